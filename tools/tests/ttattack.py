#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Attacks and their victims for tools/tests/defence_test.sh (issue 13).

In namespace A (the stack under test, toytcp or Linux):
    ttattack.py serve FAMILY IP PORT NBYTES BACKLOG
        listen ("ready"), then for each connection (a thread each): read to
        the end, send NBYTES, close; one line per connection:
        "conn N received LEN match 0|1 injected 0|1"
    ttattack.py ooo-recv FAMILY IP PORT RCVBUF NBYTES GOFILE
        SO_RCVBUF before listen, accept one, do not read until GOFILE
        exists; sample the socket's receive memory (SO_MEMINFO) all along;
        then read to the end and close.
In namespace B (the attacker, and the Linux TCP client):
    ttattack.py clients IP PORT NBYTES COUNT [FLOODOUT]
        COUNT Linux TCP clients in parallel, started 0.5 s apart: each
        connects within 5 s and exchanges NBYTES each way; with FLOODOUT
        (synflood's output), they start once it says "flooding", and tell
        whether the flood still ran when the last one started
    ttattack.py synflood IP PORT COUNT SRCNET MINSECS
        COUNT SYNs from random SRCNET.1-254 addresses and ports, raw
        socket, prebuilt, spread over at least MINSECS
    ttattack.py ooo-peer IFACE SRC IP PORT COUNT NBYTES GOFILE
        play a TCP peer from the unowned address SRC: handshake, COUNT
        scattered one-byte segments after a hole, the hole, the rest, FIN
    ttattack.py inject IFACE IP PORT LABEL [PCAP]
        a Linux TCP client connection to IP:PORT carrying data; off-path
        segments spoofed from the client's address and port: in-window
        RST and SYN, data with an ACK number ahead or too old
Verdicts are printed as "check NAME 0|1 DETAIL" (1 = pass) for the shell
test to turn into TAP. Raw segments are built here with struct (scapy's
import alone takes 5-10 s in a TCG guest). Every wait has a bound.
"""
import array
import fcntl
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ttpeer  # noqa: E402  (family(), libc, libc_call(), pattern(), read_all())

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
M32 = 0xFFFFFFFF
SO_MEMINFO = 55
SIOCOUTQ = 0x5411


def check(name, ok, detail):
    print("check %s %d %s" % (name, 1 if ok else 0, detail), flush=True)


# ---------------------------------------------------------------- segments

def csum(data):
    """RFC 1071 sum, in the words' native order (the result is stored the same way)."""
    if len(data) & 1:
        data += b"\0"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("=H", ~s & 0xFFFF)


def segment(src, dst, sport, dport, seq, ack, flags, payload=b"", win=65535, mss=0):
    """An IPv4 datagram carrying one TCP segment (the kernel fills in the
    IP checksum and id for an IPPROTO_RAW socket)."""
    opt = struct.pack("!BBH", 2, 4, mss) if mss else b""
    th = struct.pack("!HHIIBBH", sport, dport, seq & M32, ack & M32,
                     (20 + len(opt)) << 2, flags, win)
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tlen = len(th) + 4 + len(opt) + len(payload)
    c = csum(s + d + struct.pack("!HH", 6, tlen) + th + bytes(4) + opt + payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tlen, 0, 0x4000, 64, 6, 0, s, d)
    return ip + th + c + bytes(2) + opt + payload


def raw_socket():
    return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)


class Sniffer:
    """TCP segments seen on an interface (AF_PACKET): the ones received, or
    with @both (ETH_P_ALL) those sent too; all kept in @pcap if given."""

    def __init__(self, iface, pcap=None, both=False):
        proto = 0x0003 if both else 0x0800
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        self.s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)   # SO_RCVBUFFORCE
        self.s.bind((iface, proto))
        self.s.setblocking(False)
        self.pcap = open(pcap, "wb") if pcap else None
        if self.pcap:
            self.pcap.write(struct.pack("=IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def read(self, wait):
        """Segments that arrive within @wait seconds (if 0: all that are
        queued): tuples (time, src, sport, dst, dport, seq, ack, flags,
        win, payload)."""
        out = []
        end = time.monotonic() + wait
        while True:
            if wait and time.monotonic() > end:
                return out
            try:
                frame = self.s.recv(65535)
            except BlockingIOError:
                left = end - time.monotonic()
                if left <= 0:
                    return out
                select.select([self.s], [], [], left)
                continue
            now = time.time()
            if self.pcap:
                self.pcap.write(struct.pack("=IIII", int(now), int(now % 1 * 1e6),
                                            len(frame), len(frame)) + frame)
            ip = frame[14:]
            if frame[12:14] != b"\x08\x00" or len(ip) < 40 or ip[9] != 6:
                continue
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            th = ip[ihl:tot]
            sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", th[:16])
            out.append((time.monotonic(), socket.inet_ntoa(ip[12:16]), sport,
                        socket.inet_ntoa(ip[16:20]), dport, seq, ack, flags, win,
                        th[(off >> 4) * 4:]))

    def close(self):
        if self.pcap:
            self.pcap.close()
        self.s.close()


# ---------------------------------------------------------------- namespace A

def toy_listen(fam, ip, port, backlog, rcvbuf=0):
    ls = socket.socket(fam, socket.SOCK_STREAM, 0)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    ttpeer.libc_call("bind", ls.fileno(), ip, port)
    ls.listen(backlog)
    return ls


def toy_accept(ls):
    fd = ttpeer.libc.accept(ls.fileno(), None, None)   # ctypes drops the GIL
    if fd < 0:
        raise OSError(ttpeer.ctypes.get_errno(), "accept")
    return socket.socket(fileno=fd)


def serve(fam, ip, port, nbytes, backlog):
    signal.alarm(900)
    ls = toy_listen(ttpeer.family(fam), ip, port, backlog)
    print("ready", flush=True)

    def one(s, n):
        got = b""
        try:
            s.settimeout(30)
            got = ttpeer.read_all(s)
            s.sendall(ttpeer.pattern(nbytes, 2))
        except OSError as e:
            print("conn %d error %s" % (n, e), flush=True)
        s.close()
        print("conn %d received %d match %d injected %d" % (
            n, len(got), got == ttpeer.pattern(len(got), 1), b"INJECTED" in got), flush=True)

    n = 0
    while True:
        s = toy_accept(ls)
        n += 1
        threading.Thread(target=one, args=(s, n), daemon=True).start()


def ooo_recv(fam, ip, port, rcvbuf, nbytes, gofile):
    signal.alarm(900)
    ls = toy_listen(ttpeer.family(fam), ip, port, 1, rcvbuf)
    print("ready", flush=True)
    s = toy_accept(ls)
    ls.close()
    sk_rcvbuf = s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    peak, samples, done = [0], [0], []

    def sample():       # rmem_alloc is the first of SO_MEMINFO's u32s
        while not done:
            rmem = struct.unpack("=I", s.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, 36)[:4])[0]
            peak[0] = max(peak[0], rmem)
            samples[0] += 1
            time.sleep(0.01)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    end = time.monotonic() + 600
    while not os.path.exists(gofile) and time.monotonic() < end:
        time.sleep(0.05)
    got, eof, err = bytearray(), False, ""
    s.settimeout(30)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                eof = True
                break
            got += b
    except OSError as e:
        err = " (%s)" % (e.strerror or e)
    done.append(1)
    t.join()
    want = ttpeer.pattern(nbytes, 3)
    diff = next((i for i in range(min(len(got), nbytes)) if got[i] != want[i]), None)
    check("ooo.memory_bounded", peak[0] <= 2 * sk_rcvbuf,
          "receive memory peaked at %d bytes (%d samples of SO_MEMINFO); SO_RCVBUF reads %d, "
          "bound 2x that" % (peak[0], samples[0], sk_rcvbuf))
    check("ooo.stream_exact", eof and got == want,
          "read %d of %d bytes, %s%s%s" % (
              len(got), nbytes, "EOF" if eof else "no EOF", err,
              "" if diff is None else ", first wrong byte at %d" % diff))
    s.close()


# ---------------------------------------------------------------- namespace B

def client(ip, port, nbytes, out):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((ip, port))
        tc = time.monotonic() - t0
        s.settimeout(30)
        s.sendall(ttpeer.pattern(nbytes, 1))
        s.shutdown(socket.SHUT_WR)
        got = ttpeer.read_all(s)
    except OSError as e:
        out.append("fail after %.1f s: %s" % (time.monotonic() - t0, e.strerror or e))
        return
    finally:
        s.close()
    ok = got == ttpeer.pattern(nbytes, 2)
    out.append("%s connected in %.2f s, sent %d, received %d%s" % (
        "ok" if ok else "fail", tc, nbytes, len(got), "" if ok else " (bytes differ)"))


def clients(ip, port, nbytes, count, floodout):
    signal.alarm(400)
    out, ts, pid, end = [], [], 0, time.monotonic() + 300
    while floodout and not pid and time.monotonic() < end:
        with open(floodout) as f:
            pid = next((int(w.split()[-1]) for w in f if w.startswith("flooding")), 0)
        time.sleep(0.05)
    for i in range(count):
        if i:
            time.sleep(0.5)
        ts.append(threading.Thread(target=client, args=(ip, port, nbytes, out)))
        ts[-1].start()
    if floodout:
        try:
            os.kill(pid, 0)
            print("flood still running when the last client started: yes")
        except OSError:
            print("flood still running when the last client started: no")
    for t in ts:
        t.join()
    for line in out:
        print(line)
    good = sum(1 for line in out if line.startswith("ok"))
    print("%d of %d clients exchanged %d bytes each way" % (good, count, nbytes))
    return 0 if good == count else 1


def synflood(ip, port, count, srcnet, minsecs):
    signal.alarm(500)
    rnd = random.Random(13)
    t0 = time.monotonic()
    pkts = [segment("%s.%d" % (srcnet, rnd.randint(1, 254)), ip, rnd.randint(1024, 65535),
                    port, rnd.getrandbits(32), 0, SYN, mss=1460) for _ in range(count)]
    print("built %d SYNs in %.1f s" % (count, time.monotonic() - t0), flush=True)
    raw, dst, errs = raw_socket(), (ip, 0), 0
    t0 = time.monotonic()
    for i, p in enumerate(pkts):
        try:
            raw.sendto(p, dst)
        except OSError:
            errs += 1
        if i == 999:
            print("flooding, pid %d" % os.getpid(), flush=True)   # the SYN queue is full
        if i % 500 == 499:                      # not faster than MINSECS in all
            ahead = t0 + minsecs * (i + 1) / count - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    el = time.monotonic() - t0
    print("sent %d SYNs from %s.0/24 in %.1f s (%d/s), %d send errors" % (
        count - errs, srcnet, el, count / el, errs), flush=True)
    return 0 if errs == 0 else 1


class RawPeer:
    """One TCP connection played with raw segments from an address of our own."""

    def __init__(self, iface, src, dst, dport):
        self.sn, self.raw = Sniffer(iface), raw_socket()
        self.src, self.dst, self.dport = src, dst, dport
        self.sport = random.randint(40000, 60000)
        self.iss = random.getrandbits(32)
        self.base = (self.iss + 1) & M32        # sequence number of stream byte 0
        self.ack, self.win, self.fin = 0, 0, None   # the other side's last ACK, window, FIN

    def mk(self, off, flags, data=b"", ackno=None):
        return segment(self.src, self.dst, self.sport, self.dport, self.base + off,
                       self.irs + 1 if ackno is None else ackno, flags, data)

    def send(self, pkt):
        self.raw.sendto(pkt, (self.dst, 0))

    def poll(self, wait):
        """Take in the other side's segments; its ACK as a stream offset."""
        n = 0
        for (_, src, sport, dst, dport, seq, ack, flags, win, _p) in self.sn.read(wait):
            if (src, sport, dport) != (self.dst, self.dport, self.sport):
                continue
            n += 1
            if flags & ACK and 0 <= (ack - self.base) & M32 <= 1 << 30:
                self.ack = max(self.ack, (ack - self.base) & M32)
            self.win = win
            if flags & FIN:
                self.fin = seq
        return n

    def handshake(self):
        syn = segment(self.src, self.dst, self.sport, self.dport, self.iss, 0, SYN, mss=1460)
        for _ in range(5):
            self.send(syn)
            end = time.monotonic() + 1
            while time.monotonic() < end:
                for (_, src, sport, dst, dport, seq, ack, flags, win, p) in self.sn.read(0.2):
                    if (src, sport, dport, flags & (SYN | ACK)) == \
                            (self.dst, self.dport, self.sport, SYN | ACK):
                        self.irs, self.win = seq, win
                        self.send(self.mk(0, ACK))
                        return True
        return False


def ooo_peer(iface, src, ip, port, count, nbytes, gofile):
    signal.alarm(900)
    mss, hole = 1460, 4096
    p = RawPeer(iface, src, ip, port)
    stream = ttpeer.pattern(nbytes, 3)
    names = ("ooo.flood_sent", "ooo.hole_filled", "ooo.connection_completes")
    if not p.handshake():
        for n in names:
            check(n, False, "no SYN-ACK from %s:%d" % (ip, port))
        open(gofile, "w").close()
        return 1
    wnd = min(p.win, nbytes)                    # the window of the SYN-ACK
    if wnd < 2 * hole:
        for n in names:
            check(n, False, "a window of %d is too small for this test" % p.win)
        p.send(p.mk(0, RST | ACK))
        open(gofile, "w").close()
        return 1
    print("handshake done, window %d" % p.win, flush=True)

    # 1. COUNT one-byte segments at random places after the hole, inside the window
    rnd = random.Random(13)
    offs = [rnd.randrange(hole, wnd) for _ in range(count)]
    pkts = [p.mk(o, ACK | PSH, stream[o:o + 1]) for o in offs]
    p.sn.close()        # not a copy of each duplicate ACK: the flood goes faster
    t0 = time.monotonic()
    for pkt in pkts:
        p.send(pkt)
    el = time.monotonic() - t0
    p.sn = Sniffer(iface)
    check(names[0], True, "%d one-byte segments at %d distinct offsets in [%d, %d) in %.1f s" % (
        count, len(set(offs)), hole, wnd, el))

    # 2. the hole, in MSS-sized segments (inside the SYN-ACK's window: its
    #    right edge never moves left), again every 0.5 s until ACKed
    def send_hole():
        for o in range(0, hole, mss):
            p.send(p.mk(o, ACK | PSH, stream[o:min(o + mss, hole)]))

    def wait_hole(secs):
        end = time.monotonic() + secs
        while p.ack < hole and time.monotonic() < end:
            send_hole()
            p.poll(0.5)
        return p.ack >= hole
    filled = wait_hole(6)
    detail = "the ACK %s: +%d after %d bytes of hole (%d bytes after it were kept)" % (
        "jumped" if filled else "stayed", p.ack, hole, max(p.ack - hole, 0))
    open(gofile, "w").close()                   # let the receiver read now
    if not filled:
        filled = wait_hole(3)
        detail += "; %s once the receiver reads" % ("filled" if filled else "still stuck")
    check(names[1], filled, detail)
    if not filled:
        # clean up: a RST exactly at RCV.NXT resets it
        p.send(p.mk(p.ack, RST | ACK))
        check(names[2], False, "never got past the hole; reset the connection")
        return 1

    # 3. the rest of the stream, go-back-N inside the advertised window,
    #    until all is ACKed or nothing is for 30 s
    nxt, last, prog = p.ack, time.monotonic(), time.monotonic()
    while p.ack < nbytes and time.monotonic() < prog + 30:
        edge = min(p.ack + p.win, nbytes)
        while nxt < edge:
            n = min(mss, edge - nxt)
            p.send(p.mk(nxt, ACK | PSH, stream[nxt:nxt + n]))
            nxt += n
        before = p.ack
        p.poll(0.05)
        if p.ack > before:
            last = prog = time.monotonic()
        elif time.monotonic() - last > 0.3:     # nothing ACKed for a while: again
            nxt, last = p.ack, time.monotonic()
            if not p.win:                       # zero window: probe with a byte
                p.send(p.mk(p.ack, ACK, stream[p.ack:p.ack + 1]))
    acked = p.ack >= nbytes

    # 4. our FIN, theirs (the receiver closes at EOF), our last ACK
    end = time.monotonic() + 30
    while acked and (p.ack < nbytes + 1 or p.fin is None) and time.monotonic() < end:
        if p.ack < nbytes + 1:
            p.send(p.mk(nbytes, FIN | ACK))
        p.poll(0.5)
    fin_done = acked and p.ack == nbytes + 1 and p.fin is not None
    if fin_done:
        p.send(p.mk(nbytes + 1, ACK, ackno=p.fin + 1))
    else:
        p.send(p.mk(p.ack, RST | ACK))
    check(names[2], fin_done, "%d of %d bytes ACKed, our FIN %s, their FIN %s" % (
        min(p.ack, nbytes), nbytes, "ACKed" if p.ack == nbytes + 1 else "not ACKed",
        "received and ACKed" if p.fin is not None else "never came"))
    return 0 if fin_done else 1


def inject(iface, ip, port, label, pcap):
    """A Linux client connection carrying data; after each off-path segment,
    a real 100-byte write must be ACKed exactly and nothing reset. Waits
    are for events, not fixed times (a loaded KASAN guest is slow)."""
    signal.alarm(400)
    sn = Sniffer(iface, pcap, both=True)
    raw = raw_socket()
    total, chunk = 8000, 4000
    stream = ttpeer.pattern(total, 1)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.settimeout(30)
    c.connect((ip, port))
    me, cport = c.getsockname()
    seen = []       # A's segments to us: (time, seq, ack, flags, win, len)

    def take(wait):
        for (t, src, sport, dst, dport, seq, ack, flags, win, pl) in sn.read(wait):
            if (src, sport, dport) == (ip, port, cport):
                seen.append((t, seq, ack, flags, win, len(pl)))

    def unacked():
        return struct.unpack("i", fcntl.ioctl(c.fileno(), SIOCOUTQ, bytes(4)))[0]

    def write_acked(off, n):
        """Write stream[off:off+n]; wait (30 s at most) until it is all ACKed."""
        c.sendall(stream[off:off + n])
        end = time.monotonic() + 30
        while unacked() and time.monotonic() < end:
            take(0.05)
        take(0)
        return not unacked()

    # the sequence numbers, as an observer of the handshake knows them
    take(0)
    synack = [x for x in seen if x[3] & SYN]
    if not synack:
        print("%s: no SYN-ACK seen" % label)
        return 1
    isn_b, snd_nxt = (synack[0][2] - 1) & M32, (synack[0][1] + 1) & M32
    sent = chunk
    ok = write_acked(0, chunk)
    print("%s: connected from port %d, %d bytes sent, %s" % (
        label, cport, chunk, "ACKed" if ok else "NOT ACKed within 30 s"), flush=True)
    injections = [
        # name, flags, where (seq offset into A's window or None), ACK, payload
        ("rst_in_window_ignored", RST, "mid", None, b""),
        ("syn_in_window_ignored", SYN, "mid", None, b""),
        ("data_ahead_ack_dropped", ACK | PSH, "rcv_nxt", +0x10000000, b"INJECTED:AHEAD-ACK"),
        ("data_old_ack_dropped", ACK | PSH, "rcv_nxt", -0x50000000, b"INJECTED:OLD-ACK!!"),
    ]
    summary = []
    for name, flags, where, ackd, payload in injections:
        take(0)
        rcv_nxt = (isn_b + 1 + sent) & M32
        wnd = seen[-1][4]
        seq = rcv_nxt + (wnd // 2 if where == "mid" else 0)
        ackno = (snd_nxt + ackd) if ackd is not None else 0
        fl = flags | (ACK if ackd is not None else 0)
        t0 = time.monotonic()
        raw.sendto(segment(me, ip, cport, port, seq, ackno, fl, payload), (ip, 0))
        take(0.5)
        chal = sum(1 for x in seen if x[0] >= t0 and x[3] & ACK and not x[3] & RST
                   and not x[5] and x[2] == rcv_nxt)
        # ask A for its RCV.NXT: the last real byte again is out of window,
        # which both stacks answer at once with an ACK (as to a keepalive)
        tq = time.monotonic()
        raw.sendto(segment(me, ip, cport, port, rcv_nxt - 1, snd_nxt, ACK,
                           stream[sent - 1:sent]), (ip, 0))
        while time.monotonic() < tq + 10 and not [x for x in seen if x[0] >= tq]:
            take(0.1)
        answer = [x for x in seen if x[0] >= tq]
        took = answer and answer[0][3] & ACK and answer[0][2] != rcv_nxt
        # the connection still works: 100 real bytes, ACKed exactly
        try:
            alive = write_acked(sent, 100)
        except OSError as e:
            alive = False
            print("%s: write after %s: %s" % (label, name, e), flush=True)
        sent += 100
        rst = [x for x in seen if x[0] >= t0 and x[3] & RST]
        ack_now = seen[-1][2]
        exact = alive and ack_now == (rcv_nxt + 100) & M32
        what = "%d challenge ACK%s" % (chal, "" if chal == 1 else "s")
        if took:
            what += ", data taken (RCV.NXT moved to rcv_nxt%+d)" % (
                ((answer[0][2] - rcv_nxt + 2**31) & M32) - 2**31)
        elif not answer:
            what += ", no answer to a segment left of the window"
        if rst:
            what += ", %d RST" % len(rst)
        summary.append("%s: %s" % (name.rsplit("_", 1)[0], what))
        check("%s.%s" % (label, name), answer and not took and not rst and exact,
              "seq rcv_nxt%s, ack %s: %s; then 100 real bytes %s" % (
                  "+%d" % (wnd // 2) if where == "mid" else "",
                  "none" if ackd is None else "snd_nxt%+#x" % ackd, what,
                  "ACKed exactly" if exact else "ACKed to rcv_nxt%+d%s" % (
                      ((ack_now - rcv_nxt + 2**31) & M32) - 2**31,
                      "" if alive else ", not all within 30 s")))
        time.sleep(0.6)     # Linux sends at most one challenge ACK per 0.5 s per socket
    print("%s did: %s" % (label, "; ".join(summary)), flush=True)
    # the rest, then the reply
    got, err = b"", ""
    try:
        c.sendall(stream[sent:])
        c.shutdown(socket.SHUT_WR)
        got = ttpeer.read_all(c)
    except OSError as e:
        err = " (%s)" % (e.strerror or e)
    c.close()
    take(0.3)
    sn.close()
    check("%s.client_gets_reply" % label, got == ttpeer.pattern(chunk, 2),
          "sent %d bytes, got %d of %d back%s" % (total, len(got), chunk, err))
    return 0


def main():
    a = sys.argv[1:]
    cmds = {
        "serve": (5, lambda: serve(a[1], a[2], int(a[3]), int(a[4]), int(a[5]))),
        "ooo-recv": (6, lambda: ooo_recv(a[1], a[2], int(a[3]), int(a[4]), int(a[5]), a[6])),
        "clients": (4, lambda: clients(a[1], int(a[2]), int(a[3]), int(a[4]),
                                       a[5] if len(a) > 5 else None)),
        "synflood": (5, lambda: synflood(a[1], int(a[2]), int(a[3]), a[4], float(a[5]))),
        "ooo-peer": (7, lambda: ooo_peer(a[1], a[2], a[3], int(a[4]), int(a[5]),
                                         int(a[6]), a[7])),
        "inject": (4, lambda: inject(a[1], a[2], int(a[3]), a[4], a[5] if len(a) > 5 else None)),
    }
    if not a or a[0] not in cmds or len(a) - 1 < cmds[a[0]][0]:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[a[0]][1]() or 0


if __name__ == "__main__":
    sys.exit(main())
