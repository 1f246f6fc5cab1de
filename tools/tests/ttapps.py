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
  ttapps.py iperf-check JSON STREAMS TCPINFO
                                    iperf3's -J output: STREAMS streams,
                                    each carried data; with TCPINFO=1 the
                                    sender's TCP_INFO fields (rtt, cwnd,
                                    pmtu, retransmits; -R: the server's
                                    maxima) present and sane.
                                    Prints "bytes N" (received) or what is
                                    wrong
"""
import asyncio
import fcntl
import json
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


def iperf_check(path, nstreams, tcpinfo):
    with open(path) as f:
        j = json.load(f)
    if "error" in j:
        return "iperf3: " + j["error"]
    end = j["end"]
    streams = end["streams"]
    if len(streams) != nstreams:
        return "%d streams, not %d" % (len(streams), nstreams)
    for s in streams:
        if s["sender"]["bytes"] <= 0 or s["receiver"]["bytes"] <= 0:
            return "a stream carried nothing: %s" % s
    if tcpinfo:
        # the sender's TCP_INFO: in every interval when this end sent, and
        # its maxima in the end report either way (-R: the server's)
        snd_streams = streams
        if not streams[0]["sender"]["sender"]:
            # -R: the server sent; its report (iperf3 --get-server-output)
            if "server_output_json" not in j:
                return "no server output (--get-server-output)"
            snd_streams = j["server_output_json"]["end"]["streams"]
        for s in snd_streams:
            snd = s["sender"]
            for k in ("retransmits", "max_snd_cwnd", "max_rtt", "min_rtt", "mean_rtt"):
                if k not in snd:
                    return "end report without %s: %s" % (k, snd)
            if snd["max_rtt"] <= 0 or snd["max_snd_cwnd"] < 2 * 1448 or snd["retransmits"] < 0:
                return "TCP_INFO's figures are not sane: %s" % snd
        ivs = [st for iv in j["intervals"] for st in iv["streams"] if st["sender"]]
        for st in ivs:
            for k in ("rtt", "rttvar", "snd_cwnd", "pmtu", "retransmits"):
                if k not in st:
                    return "interval without %s: %s" % (k, st)
            if st["snd_cwnd"] < 2 * 1448 or st["pmtu"] < 576:
                return "an interval's cwnd or pmtu is not sane: %s" % st
        if ivs and not any(st["rtt"] > 0 for st in ivs):
            return "no interval with an rtt"
    # what arrived (the sender's last writes may be cut off at the end)
    print("bytes %d" % end["sum_received"]["bytes"])
    return None


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
    elif cmd == "iperf-check":
        err = iperf_check(args[0], int(args[1]), args[2] == "1")
        if err:
            sys.exit(err)
    else:
        sys.exit("ttapps.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
