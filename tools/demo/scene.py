#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The small programs the demo's chapters run (tools/demo/chapters.py).

Plain AF_INET sockets: under toytcp-run they are toytcp's, without it
Linux TCP's, so one program serves both sides of a chapter.

  server  on each port of a range: accept connections, read each to its
          end, answer nothing, close; until killed
  client  connect, write COUNT blocks of SIZE bytes GAP ms apart, close;
          --until-error: keep writing until the connection fails and say
          with what errno, and when (time.monotonic(), the same clock for
          every process on the machine); it says "connected" first
  respond answer requests after a pause (the receiver of chapter 8)
  ask     requests and answers, one at a time
  slowread  a reader with a small buffer that waits, then reads slowly
"""
import argparse
import errno
import socket
import sys
import threading
import time

MARK = b"LOSE-ME!"      # chapters.py's nft rule drops the segment it begins, once


def drain(c):
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.close()


def serve(ls):
    while True:
        c, _ = ls.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()


def server(a):
    first, _, last = a.ports.partition("-")
    for port in range(int(first), int(last or first) + 1):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.addr, port))
        ls.listen(8)
        threading.Thread(target=serve, args=(ls,), daemon=True).start()
    print("listening", flush=True)
    while True:
        time.sleep(3600)


def client(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if a.nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect((a.addr, a.port))
    if a.until_error:
        print("connected", flush=True)
    block = bytearray(b"x" * a.size)
    if a.mark_segment:
        # a marker where that segment of the first write begins (full segments)
        mss = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
        at = (a.mark_segment - 1) * mss
        block[at:at + len(MARK)] = MARK
    sent = 0
    try:
        for i in range(a.count):
            if i and a.gap_ms:
                time.sleep(a.gap_ms / 1000.0)
            s.sendall(block)
            sent += a.size
            block[:] = b"x" * a.size
        if a.until_error:
            while True:
                time.sleep(a.gap_ms / 1000.0)
                s.sendall(block)
                sent += a.size
    except OSError as e:
        print("client: %s at %.3f after %d bytes" %
              (errno.errorcode.get(e.errno, str(e.errno)), time.monotonic(), sent), flush=True)
        return 3
    s.close()
    print("client sent %d bytes" % sent, flush=True)
    return 0


def respond(a):
    """A server for one connection: each request of SIZE bytes is answered with
    SIZE bytes after THINK ms (TCP_QUICKACK on it with --quickack)."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    if a.quickack:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    while True:
        got = b""
        while len(got) < a.size:
            d = c.recv(a.size - len(got))
            if not d:
                c.close()
                return 0
            got += d
        time.sleep(a.think_ms / 1000.0)
        c.sendall(b"r" * a.size)


def ask(a):
    """COUNT requests of SIZE bytes, each waiting for its answer."""
    s = socket.create_connection((a.addr, a.port))
    for _ in range(a.count):
        s.sendall(b"q" * a.size)
        got = 0
        while got < a.size:
            d = s.recv(a.size - got)
            if not d:
                return 1
            got += len(d)
        time.sleep(a.gap_ms / 1000.0)
    s.close()
    print("asked %d times" % a.count, flush=True)
    return 0


def slowread(a):
    """One connection with a small receive buffer: wait WAIT s before the
    first read, then read BURST bytes every PAUSE ms to the end."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    ls.bind((a.addr, a.port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    time.sleep(a.wait)
    n = 0
    while True:
        d = c.recv(a.burst)
        if not d:
            break
        n += len(d)
        time.sleep(a.pause_ms / 1000.0)
    c.close()
    print("read %d bytes" % n, flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(prog="scene.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sv = sub.add_parser("server", help="accept, read each connection to its end")
    sv.add_argument("--addr", default="0.0.0.0", help="local address to listen on")
    sv.add_argument("--ports", required=True, help="PORT or FIRST-LAST")
    cl = sub.add_parser("client", help="connect, write, close")
    cl.add_argument("--addr", required=True, help="the server\'s address")
    cl.add_argument("--port", type=int, required=True, help="TCP port")
    cl.add_argument("--size", type=int, default=1000, help="bytes per write")
    cl.add_argument("--count", type=int, default=1, help="writes")
    cl.add_argument("--gap-ms", type=float, default=0, help="pause between writes")
    cl.add_argument("--nodelay", action="store_true", help="TCP_NODELAY")
    cl.add_argument("--mark-segment", type=int, metavar="N",
                    help="the Nth segment of the first write begins with " + MARK.decode())
    cl.add_argument("--until-error", action="store_true",
                    help="then keep writing until the connection fails")
    rs = sub.add_parser("respond", help="answer each request after a pause")
    rs.add_argument("--addr", default="0.0.0.0", help="local address to listen on")
    rs.add_argument("--port", type=int, required=True, help="TCP port")
    rs.add_argument("--size", type=int, default=100, help="bytes of a request and an answer")
    rs.add_argument("--think-ms", type=float, default=5, help="pause before answering")
    rs.add_argument("--quickack", action="store_true", help="TCP_QUICKACK on")
    ak = sub.add_parser("ask", help="requests, each waiting for its answer")
    ak.add_argument("--addr", required=True, help="the server\'s address")
    ak.add_argument("--port", type=int, required=True, help="TCP port")
    ak.add_argument("--size", type=int, default=100, help="bytes of a request and an answer")
    ak.add_argument("--count", type=int, default=10, help="requests")
    ak.add_argument("--gap-ms", type=float, default=50, help="pause between requests")
    sr = sub.add_parser("slowread", help="a reader that waits, then reads in bursts")
    sr.add_argument("--addr", default="0.0.0.0", help="local address to listen on")
    sr.add_argument("--port", type=int, required=True, help="TCP port")
    sr.add_argument("--rcvbuf", type=int, default=16384, help="SO_RCVBUF")
    sr.add_argument("--wait", type=float, default=1.5, help="seconds before the first read")
    sr.add_argument("--burst", type=int, default=8192, help="bytes per read")
    sr.add_argument("--pause-ms", type=float, default=20, help="between reads")
    a = ap.parse_args()
    return {"server": server, "client": client, "respond": respond, "ask": ask,
            "slowread": slowread}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
