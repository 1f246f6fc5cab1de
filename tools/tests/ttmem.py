#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Both ends of memory_test.sh's transfers.

    ttmem.py sink FAMILY IP PORT CONNS BYTES PAUSE RCVBUF
        listen (SO_RCVBUF RCVBUF before listen, so every child has it),
        print "ready", accept CONNS connections, read nothing for PAUSE
        seconds, and then until everything waits or stops coming in for a
        second (wait_queued()), then read all of them as data comes
        (select), to the end,
        and check that each sent BYTES of its pattern; prints
        "got N bytes from M connections, ok" or why not, exits 0 or 1
    ttmem.py source IP PORT CONNS BYTES
        CONNS Linux TCP connections to IP:PORT, each sending BYTES (all at
        once, from threads), then closing; exits 0 when all were sent
    ttmem.py offloads-off IFNAME
        turn TCP segmentation offload and GSO off (no ethtool here), so the
        receiver gets one skb per wire segment, not 64 KB super-segments

FAMILY is a number (2 = AF_INET) or "toytcp". The bytes of connection i are
pattern(i): byte k is (k * 7 + i) & 0xff.
"""
import ctypes
import fcntl
import select
import socket
import struct
import sys
import threading
import time
import signal

libc = ctypes.CDLL(None, use_errno=True)


def family(arg):
    if arg == "toytcp":
        with open("/sys/module/toytcp/parameters/family") as f:
            return int(f.read())
    return int(arg)


def pattern(n, i):
    return bytes((k * 7 + i) & 0xFF for k in range(n))


def bind(fd, ip, port):
    sa = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + \
        socket.inet_aton(ip) + bytes(8)
    if libc.bind(fd, ctypes.create_string_buffer(sa, 16), 16) != 0:
        raise OSError(ctypes.get_errno(), "bind")


def queued(fam, port):
    """Bytes waiting to be read on the connections to local port @port,
    from the rx_queue column of /proc/net/toytcp (or tcp)."""
    path = "/proc/net/tcp" if fam == socket.AF_INET else "/proc/net/toytcp"
    total = 0
    with open(path) as f:
        next(f)
        for line in f:
            col = line.split()
            if len(col) > 4 and int(col[1].split(":")[1], 16) == port and col[3] != "0A":
                total += int(col[4].split(":")[1], 16)
    return total


def wait_queued(fam, port, want, pause):
    """Leave the data unread for @pause seconds at least, and then until
    all @want bytes wait or their count has not grown for a second (a
    memory limit holds the rest back); 30 s at most. (A fixed pause left
    data still on its way on a slow machine.)"""
    start = time.monotonic()
    last, since = -1, start
    while time.monotonic() - start < 30:
        now = time.monotonic()
        n = queued(fam, port)
        if n != last:
            last, since = n, now
        if now - start >= pause and (n >= want or now - since >= 1.0):
            return
        time.sleep(0.1)


def sink(fam, ip, port, conns, nbytes, pause, rcvbuf):
    ls = socket.socket(fam, socket.SOCK_STREAM, 0)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    bind(ls.fileno(), ip, port)
    ls.listen(conns)
    print("ready", flush=True)
    socks = []
    for _ in range(conns):
        fd = libc.accept(ls.fileno(), None, None)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "accept")
        socks.append(socket.socket(fileno=fd))
    wait_queued(fam, port, conns * nbytes, pause)
    # then read them all as they have data, as an event loop would
    got = {s: bytearray() for s in socks}
    open_socks = list(socks)
    end = time.monotonic() + 90
    while open_socks and time.monotonic() < end:
        for s in select.select(open_socks, [], [], 1.0)[0]:
            b = s.recv(65536)
            if b:
                got[s] += b
            else:
                open_socks.remove(s)
    total = 0
    for s in socks:
        data = got[s]
        total += len(data)
        # the sender's first byte tells which connection this is
        i = data[0] if data else 0
        if len(data) != nbytes or bytes(data) != pattern(nbytes, i):
            print("connection %d: %d bytes, not the %d sent" % (i, len(data), nbytes))
            return 1
        s.close()
    ls.close()
    print("got %d bytes from %d connections, ok" % (total, conns))
    return 0


def source(ip, port, conns, nbytes):
    errors = []

    def one(i):
        try:
            s = socket.create_connection((ip, port), timeout=60)
            s.sendall(pattern(nbytes, i))
            s.close()
        except OSError as e:
            errors.append("connection %d: %s" % (i, e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
        time.sleep(0.05)    # accepted in this order
    for t in threads:
        t.join()
    for e in errors:
        print(e)
    return 1 if errors else 0


def offloads_off(ifname):
    SIOCETHTOOL = 0x8946
    ETHTOOL_STSO, ETHTOOL_SGSO = 0x1f, 0x24
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for cmd in (ETHTOOL_STSO, ETHTOOL_SGSO):
        val = ctypes.create_string_buffer(struct.pack("=II", cmd, 0), 8)
        ifr = struct.pack("16sP", ifname.encode(), ctypes.addressof(val)) + bytes(16)
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
    s.close()
    return 0


def main():
    signal.alarm(120)
    a = sys.argv[1:]
    if len(a) == 8 and a[0] == "sink":
        return sink(family(a[1]), a[2], int(a[3]), int(a[4]), int(a[5]),
                    float(a[6]), int(a[7]))
    if len(a) == 2 and a[0] == "offloads-off":
        return offloads_off(a[1])
    if len(a) == 5 and a[0] == "source":
        return source(a[1], int(a[2]), int(a[3]), int(a[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        print("ttmem: %s" % e)
        sys.exit(1)
