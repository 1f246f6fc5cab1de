# SPDX-License-Identifier: GPL-2.0
"""Small programs for preload_test.sh, written as any Python program is:
plain AF_INET sockets, with no idea of toytcp (toytcp-run makes them
toytcp's). Run with /usr/bin/python3.

  ttapps.py urlget URL OUT          fetch URL with urllib into OUT
  ttapps.py echo-server ADDR PORT   asyncio echo server, until killed
  ttapps.py echo-client ADDR PORT N N messages of 1..2000 bytes, each
                                    echoed back whole; prints "echoed N"
  ttapps.py two-conns ADDR P1 P2    connect to ADDR:P1 and ADDR:P2 (with
                                    SO_REUSEADDR, TCP_NODELAY, O_NONBLOCK
                                    set first), print each one's
                                    TCP_NODELAY, O_NONBLOCK and SO_DOMAIN,
                                    then "ready", wait for stdin to close
  ttapps.py two-listeners ADDR P1 P2  listen on both, "ready", wait
"""
import asyncio
import fcntl
import os
import select
import socket
import sys
import urllib.request


def urlget(url, out):
    with urllib.request.urlopen(url, timeout=60) as r, open(out, "wb") as f:
        while True:
            b = r.read(65536)
            if not b:
                break
            f.write(b)


async def echo(reader, writer):
    while True:
        b = await reader.read(65536)
        if not b:
            break
        writer.write(b)
        await writer.drain()
    writer.close()


async def echo_server(addr, port):
    srv = await asyncio.start_server(echo, addr, port)
    print("listening", flush=True)
    async with srv:
        await srv.serve_forever()


async def echo_client(addr, port, n):
    reader, writer = await asyncio.open_connection(addr, port)
    done = 0
    for i in range(n):
        size = 1 + (i * 7919) % 2000
        msg = bytes((i + j) & 0xFF for j in range(size))
        writer.write(msg)
        await writer.drain()
        got = await reader.readexactly(size)
        if got != msg:
            print("message %d came back different" % i)
            break
        done += 1
    writer.close()
    await writer.wait_closed()
    print("echoed %d" % done, flush=True)


def wait_stdin():
    select.select([sys.stdin], [], [])


def two_conns(addr, p1, p2):
    socks = []
    for p in (p1, p2):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        try:
            s.connect((addr, p))
        except BlockingIOError:
            pass
        select.select([], [s], [], 10)
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        fl = fcntl.fcntl(s.fileno(), fcntl.F_GETFL)
        print("port %d: error %d nodelay %d nonblock %d domain %d" %
              (p, err, s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
               1 if fl & os.O_NONBLOCK else 0,
               s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)), flush=True)
        socks.append(s)
    print("ready", flush=True)
    wait_stdin()


def two_listeners(addr, p1, p2):
    socks = []
    for p in (p1, p2):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, p))
        s.listen()
        socks.append(s)
    print("ready", flush=True)
    wait_stdin()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "urlget":
        urlget(args[0], args[1])
    elif cmd == "echo-server":
        asyncio.run(echo_server(args[0], int(args[1])))
    elif cmd == "echo-client":
        asyncio.run(echo_client(args[0], int(args[1]), int(args[2])))
    elif cmd == "two-conns":
        two_conns(args[0], int(args[1]), int(args[2]))
    elif cmd == "two-listeners":
        two_listeners(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit("ttapps.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
