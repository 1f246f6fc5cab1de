#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Random and mutated TCP segments from namespace B at the stack in A, for
tools/tests/fuzz_test.c (the "segments" case, issue 13).

    ttfuzz.py --seed N --count N --iface IF --a IP --b IP --listen PORT
              --strict APORT:BPORT:RCVNXT:SNDNXT --loose APORT:BPORT:RCVNXT:SNDNXT
              [--ports LO:HI]

Runs in namespace B and writes Ethernet frames to IF (B's end of the veth
pair, AF_PACKET), so anything can be sent: bad IP and TCP checksums,
truncated headers, IP options, fragments. RCVNXT and SNDNXT are the stack
under test's RCV.NXT and SND.NXT on each connection (read from the Linux
end with TCP_REPAIR by the caller). Three targets, COUNT segments in all:

  listener  PORT, from B's ports LO..HI: SYNs with random options and
            flags, floods of them, handshakes completed from the SYN-ACKs
            seen on the wire, data, FIN and RST on those children, ACKs and
            RSTs for connections that never were. (B's own kernel must not
            answer for those ports: the caller drops its RSTs.)
  strict    only segments a correct stack drops (RFC 9293, and RFC 5961's
            ACK range, which toytcp and Linux implement):
            bad TCP checksum (even an RST at RCV.NXT), truncated header or
            data offset, bad IP header, sequence number far outside the
            window, in-window data without ACK, with an ACK of data never
            sent or older than any window, SYN, RST not at RCV.NXT; a tenth
            of them as IP fragments. The connection must come through.
  loose     anything: sequence and acknowledgment numbers near and far,
            all flag combinations, random options and data; RCV.NXT and
            SND.NXT followed from the stack's own segments on the wire.

Options of every kind and length come from scapy (templates built once:
building each segment with scapy takes milliseconds in a TCG guest, too
slow for 20,000), then are mutated by hand (lengths 0, 1, past the end,
random bytes). One seed gives the same choices; the numbers taken from the
wire (the listener's ISNs, the loose connection's) follow what the stack sent.

Prints "ready" once set up, then for the caller: "class NAME N" per kind of
segment sent, "csum_counted N" (segments to the stack's sockets whose only
fault is the TCP checksum, which its InCsumErrors must count), "handshakes
N", "loose RCVNXT SNDNXT" as last seen, and "done". Every wait is bounded.
"""
import argparse
import array
import collections
import random
import socket
import struct
import time

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 1, 2, 4, 8, 16, 32, 64, 128
M32 = 0xFFFFFFFF
ETH_P_IP = 0x0800


def out(*a):
    print(*a, flush=True)


def csum(data):
    """RFC 1071 sum, in the words' native order (stored the same way)."""
    if len(data) & 1:
        data += b"\0"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("=H", ~s & 0xFFFF)


class Wire:
    """Frames out of B's end of the veth pair; A's segments read back."""

    def __init__(self, iface, a_ip):
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind((iface, 0))
        self.src_mac = self.tx.getsockname()[4]
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.rx.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE
        self.rx.bind((iface, ETH_P_IP))
        self.rx.setblocking(False)
        self.dst_mac = self.arp(a_ip)
        self.sent = 0

    @staticmethod
    def arp(ip):
        with open("/proc/net/arp") as f:
            for line in f.readlines()[1:]:
                w = line.split()
                if w[0] == ip and w[3] != "00:00:00:00:00:00":
                    return bytes(int(x, 16) for x in w[3].split(":"))
        raise SystemExit("no ARP entry for %s in B" % ip)

    def send(self, datagram):
        self.tx.send(self.dst_mac + self.src_mac + struct.pack("!H", ETH_P_IP) + datagram)
        self.sent += 1

    def segments(self):
        """A's TCP segments received since the last call: (sport, dport,
        seq, ack, flags, datalen)."""
        res = []
        while True:
            try:
                f = self.rx.recv(65535)
            except (BlockingIOError, InterruptedError):
                return res
            ip = f[14:]
            if len(ip) < 40 or ip[9] != 6 or ip[0] >> 4 != 4:
                continue
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            th = ip[ihl:]
            if len(th) < 20:
                continue
            sport, dport, seq, ack = struct.unpack("!HHII", th[:12])
            doff = (th[12] >> 4) * 4
            res.append((sport, dport, seq, ack, th[13], max(0, tot - ihl - doff)))


class Gen:
    """Segments: header fields chosen by the caller, the rest random."""

    def __init__(self, rnd, a_ip, b_ip):
        self.r = rnd
        self.a = socket.inet_aton(a_ip)
        self.b = socket.inet_aton(b_ip)
        self.ident = rnd.randrange(65536)
        self.topts, self.iopts = self.templates()

    def templates(self):
        """TCP and IP option blocks of every kind, from scapy."""
        from scapy.compat import raw
        from scapy.layers import inet
        r = self.r

        def tcp_opt():
            choices = [
                lambda: ("MSS", r.randrange(65536)),
                lambda: ("WScale", r.randrange(256)),
                lambda: ("SAckOK", b""),
                lambda: ("SAck", tuple(r.randrange(1 << 32) for _ in range(2 * r.randrange(1, 4)))),
                lambda: ("Timestamp", (r.randrange(1 << 32), r.randrange(1 << 32))),
                lambda: ("NOP", None),
                lambda: ("EOL", None),
                lambda: ("AltChkSum", (r.randrange(256), r.randrange(65536))),
                lambda: ("AltChkSumOpt", b""),
                lambda: ("UTO", r.randrange(65536)),
                lambda: ("TFO", bytes(r.randrange(256) for _ in range(r.choice([0, 4, 8, 16])))),
                lambda: ("MD5", bytes(r.randrange(256) for _ in range(16))),
                lambda: ("Mood", r.choice([":)", ":(", "%)"])),
                lambda: ("AO", (r.randrange(256), r.randrange(256), b"x" * r.randrange(12))),
                lambda: (r.randrange(256), bytes(r.randrange(256) for _ in range(r.randrange(12)))),
            ]
            return r.choice(choices)()

        topts = [b""]
        for _ in range(160):
            opts = [tcp_opt() for _ in range(r.randrange(1, 6))]
            try:
                b = raw(inet.TCP(options=opts))[20:]
            except Exception:  # a combination scapy cannot encode
                continue
            if len(b) <= 40:
                topts.append(b)
        # scapy's own fuzzer on the options too
        random.seed(r.randrange(1 << 30))
        for _ in range(20):
            try:
                b = raw(inet.TCP(options=[tcp_opt()]))[20:]
                topts.append(b[:40])
            except Exception:
                pass
        iopts = [b""]
        for cls, kw in ((inet.IPOption_NOP, {}), (inet.IPOption_EOL, {}),
                        (inet.IPOption_RR, {"routers": ["198.18.0.2"]}),
                        (inet.IPOption_Timestamp, {}),
                        (inet.IPOption_Router_Alert, {}),
                        (inet.IPOption_Security, {}),
                        (inet.IPOption_LSRR, {"routers": ["198.18.0.1"]}),
                        (inet.IPOption_SSRR, {"routers": ["198.18.0.1"]})):
            try:
                b = raw(cls(**kw))
            except Exception:
                continue
            b += b"\0" * (-len(b) % 4)
            if len(b) <= 40:
                iopts.append(b)
        return topts, iopts

    def opts(self):
        """TCP options: a template, sometimes broken by hand."""
        r = self.r
        o = bytearray(r.choice(self.topts) if r.random() < 0.7 else b"")
        x = r.random()
        if o and x < 0.08:
            o[r.randrange(len(o))] = r.randrange(256)
        elif o and x < 0.14:
            # a length byte of 0, 1 or past the end
            for i in range(len(o) - 1):
                if o[i] > 1:
                    o[i + 1] = r.choice([0, 1, 2, 3, 41, 255])
                    break
        elif x < 0.18:
            o = bytearray(r.randrange(256) for _ in range(r.randrange(1, 41)))
        o += b"\0" * (-len(o) % 4)
        return bytes(o[:40])

    def payload(self, big=False):
        r = self.r
        n = r.choice([0, 0, 0, 1, 2, r.randrange(64), r.randrange(1400)])
        if big and r.random() < 0.3:
            n = r.randrange(1400)
        return r.randbytes(n)

    def segment(self, sport, dport, seq, ack, flags, win=None, opts=None, data=b"",
                urg=0, bad_csum=False, doff=None, src=None):
        """The TCP segment (header and data) and the pseudo header sum."""
        r = self.r
        if opts is None:
            opts = self.opts()
        if win is None:
            win = r.choice([65535, 0, 1, r.randrange(65536), 29200])
        if doff is None:
            doff = (20 + len(opts)) // 4
        th = struct.pack("!HHIIBBHH", sport, dport, seq & M32, ack & M32,
                         (doff & 15) << 4 | r.choice([0, 0, 0, r.randrange(16)]),
                         flags & 0xFF, win, urg if flags & URG or r.random() < 0.05 else 0)
        seg = th[:16] + b"\0\0" + th[16:] + opts + data
        ps = (src or self.b) + self.a + struct.pack("!HH", 6, len(seg))
        c = bytearray(csum(ps + seg))
        if bad_csum:
            c[r.randrange(2)] ^= 1 << r.randrange(8)
        return seg[:16] + bytes(c) + seg[18:]

    def ip(self, payload, src=None, opts=b"", frag=None, ident=None, tot=None, bad=False,
           ihl=None, version=4, df=True):
        """An IPv4 header for @payload; @frag (offset in 8-byte units, more)."""
        r = self.r
        if ident is None:
            self.ident = (self.ident + 1) & 0xFFFF
            ident = self.ident
        ihl = ihl if ihl is not None else (20 + len(opts)) // 4
        off = 0x4000 if df and frag is None else 0
        if frag:
            off = frag[0] | (0x2000 if frag[1] else 0)
        length = tot if tot is not None else 20 + len(opts) + len(payload)
        h = struct.pack("!BBHHHBBH4s4s", version << 4 | (ihl & 15), 0, length & 0xFFFF,
                        ident, off, r.choice([64, 64, 1, 255]), 6, 0, src or self.b,
                        self.a) + opts
        c = bytearray(csum(h))
        if bad:
            c[0] ^= 0x55
        return h[:10] + bytes(c) + h[12:] + payload

    def fragments(self, seg, src=None):
        """@seg as IP fragments: 8-byte multiples, maybe out of order."""
        r = self.r
        self.ident = (self.ident + 1) & 0xFFFF
        size = r.choice([8, 16, 24, 40, 64])
        size = max(size, (len(seg) // 16 + 7) & ~7)    # at most 16 of them
        pieces = [seg[i:i + size] for i in range(0, len(seg), size)]
        frags = [self.ip(p, src=src, frag=(i * size // 8, i < len(pieces) - 1),
                         ident=self.ident) for i, p in enumerate(pieces)]
        if r.random() < 0.5:
            r.shuffle(frags)
        if r.random() < 0.1:
            frags.append(r.choice(frags))       # a duplicate
        if r.random() < 0.05 and len(frags) > 1:
            frags.pop(r.randrange(len(frags)))  # one lost: reassembly times out
        return frags


def far(r):
    """A distance that puts a sequence number outside any window."""
    return r.randrange(1 << 29, (1 << 31) - (1 << 17))


class Conn:
    """A connection of the stack under test: its numbers as last seen."""

    def __init__(self, spec, name):
        aport, bport, rcv, snd = (int(x) for x in spec.split(":"))
        self.aport, self.bport, self.rcv, self.snd, self.name = aport, bport, rcv, snd, name

    def saw(self, seq, ack, flags, dlen):
        """A segment from the stack: its ACK is its RCV.NXT, its end its SND.NXT."""
        if flags & RST:
            return
        if flags & ACK:
            self.rcv = ack
        end = (seq + dlen + (1 if flags & (SYN | FIN) else 0)) & M32
        if ((end - self.snd) & M32) < (1 << 31):
            self.snd = end


class Fuzz:
    def __init__(self, args):
        self.r = random.Random(args.seed)
        self.args = args
        self.wire = Wire(args.iface, args.a)
        self.gen = Gen(self.r, args.a, args.b)
        self.strict = Conn(args.strict, "strict")
        self.loose = Conn(args.loose, "loose")
        self.lo, self.hi = (int(x) for x in args.ports.split(":"))
        self.classes = collections.Counter()
        self.csum_counted = 0
        self.children = {}      # our port -> [our next seq, their ISN + 1 or None]
        self.handshakes = 0
        self.nseg = 0

    def send(self, cls, seg, frag=False, ipbad=None, src=None, counted=False):
        """Send @seg (maybe fragmented, maybe with an IP defect)."""
        r, g = self.r, self.gen
        self.classes[cls] += 1
        self.nseg += 1
        if frag:
            for f in g.fragments(seg, src=src):
                self.wire.send(f)
            return
        if ipbad is None and r.random() < 0.03:
            ipbad = r.choice(["csum", "tot", "ihl", "version", "opts", "short"])
        if ipbad:
            self.classes["ip-" + ipbad] += 1
        if ipbad == "csum":
            d = g.ip(seg, src=src, bad=True)
        elif ipbad == "tot":
            d = g.ip(seg, src=src, tot=20 + len(seg) + r.randrange(1, 100))
        elif ipbad == "ihl":
            d = g.ip(seg, src=src, ihl=r.randrange(5))
        elif ipbad == "version":
            d = g.ip(seg, src=src, version=r.choice([0, 6, 15]))
        elif ipbad == "opts":
            d = g.ip(seg, src=src, opts=r.choice(g.iopts))
        elif ipbad == "short":
            d = g.ip(seg, src=src)[:r.randrange(20, 40)]
        else:
            d = g.ip(seg, src=src)
            if counted:
                self.csum_counted += 1
        self.wire.send(d)

    def watch(self):
        """Follow the stack's own segments: the loose connection's numbers,
        the listener's SYN-ACKs and resets."""
        for sport, dport, seq, ack, flags, dlen in self.wire.segments():
            if sport == self.loose.aport and dport == self.loose.bport:
                self.loose.saw(seq, ack, flags, dlen)
            elif sport == self.args.listen and self.lo <= dport <= self.hi:
                c = self.children.get(dport)
                if flags & RST:
                    self.children.pop(dport, None)
                elif c is not None and flags & SYN and flags & ACK:
                    c[1] = (seq + 1) & M32
                    if ((ack - c[0]) & M32) < (1 << 31):
                        c[0] = ack
                elif c is not None and flags & ACK:
                    c[0] = ack      # what it takes next from us

    # ---------------------------------------------------------- strict

    def strict_one(self):
        """One segment the strict connection must drop."""
        r, g, c = self.r, self.gen, self.strict
        R, N = c.rcv, c.snd
        kind = r.choice(["csum", "csum", "far", "far", "noack", "ackahead", "ackold",
                         "syn", "rst", "trunc", "doff"])
        flags = r.randrange(256)
        data = g.payload()
        frag = r.random() < 0.1
        bad = False
        doff = None
        counted = False
        if kind == "csum":
            seq = r.choice([R, R, (R + r.randrange(-3000, 3000)) & M32, r.randrange(1 << 32)])
            ack = r.choice([N, N, (N + r.randrange(-3000, 3000)) & M32])
            flags = r.choice([RST, RST | ACK, ACK | PSH, ACK | FIN, SYN, flags])
            bad = True
            counted = not frag
        elif kind == "far":
            seq = (R + far(r)) & M32 if r.random() < 0.5 else (R - far(r)) & M32
            ack = r.choice([N, (N + r.randrange(-3000, 3000)) & M32, r.randrange(1 << 32)])
        else:
            seq = (R + r.randrange(1000)) & M32
            ack = N
            if kind == "noack":
                flags &= ~(ACK | RST | SYN)
                if not flags & FIN and not data:
                    data = b"x"
            elif kind == "ackahead":
                flags = (flags | ACK) & ~(RST | SYN)
                ack = (N + far(r)) & M32
            elif kind == "ackold":
                flags = (flags | ACK) & ~(RST | SYN)
                ack = (N - far(r)) & M32
            elif kind == "syn":
                flags = (flags | SYN) & ~RST
            elif kind == "rst":
                flags = (flags | RST) & ~SYN
                seq = (R + r.randrange(1, 1000)) & M32
            elif kind == "trunc":
                seg = g.segment(c.bport, c.aport, seq, ack, flags, data=data)
                self.send("strict-trunc", seg[:r.randrange(1, 20)], ipbad="")
                return
            elif kind == "doff":
                doff = r.choice([0, 1, 2, 3, 4, 15])
                data = data[:8]
        seg = g.segment(c.bport, c.aport, seq, ack, flags, data=data, bad_csum=bad, doff=doff)
        if kind == "doff" and doff >= 5 and doff * 4 <= len(seg):
            seg = seg[:r.randrange(20, doff * 4)]
        self.send("strict-" + kind, seg, frag=frag, counted=counted)

    # ---------------------------------------------------------- loose

    def loose_one(self):
        r, g, c = self.r, self.gen, self.loose
        R, N = c.rcv, c.snd
        x = r.random()
        if x < 0.25:
            seq = R
        elif x < 0.6:
            seq = (R + r.randrange(-70000, 70000)) & M32
        elif x < 0.75:
            seq = (R + far(r) * r.choice([1, -1])) & M32
        else:
            seq = r.randrange(1 << 32)
        x = r.random()
        if x < 0.3:
            ack = N
        elif x < 0.6:
            ack = (N + r.randrange(-70000, 70000)) & M32
        elif x < 0.8:
            ack = (N + far(r) * r.choice([1, -1])) & M32
        else:
            ack = r.randrange(1 << 32)
        flags = r.choice([ACK, ACK | PSH, ACK | FIN, RST, RST | ACK, SYN, SYN | ACK,
                          FIN, URG | ACK, ECE | CWR | ACK, r.randrange(256), r.randrange(256)])
        # an exact reset ends the loose connection: rarely
        if flags & RST and seq == R and r.random() > 0.0005:
            seq = (seq + r.randrange(1, 100000)) & M32
        bad = r.random() < 0.1
        seg = g.segment(c.bport, c.aport, seq, ack, flags, data=g.payload(big=True),
                        urg=r.randrange(65536), bad_csum=bad)
        self.send("loose", seg, frag=r.random() < 0.05)

    # ---------------------------------------------------------- listener

    def listener_one(self):
        r, g, L = self.r, self.gen, self.args.listen
        x = r.random()
        if x < 0.35 or not self.children:
            port = r.randrange(self.lo, self.hi + 1)
            isn = r.randrange(1 << 32)
            flags = SYN if r.random() < 0.8 else SYN | r.randrange(256)
            bad = r.random() < 0.08
            data = g.payload() if r.random() < 0.2 else b""
            seg = g.segment(port, L, isn, r.randrange(1 << 32) if flags & ACK else 0, flags,
                            data=data, bad_csum=bad)
            if not bad and flags == SYN:
                self.children[port] = [(isn + 1 + len(data)) & M32, None]
            self.send("listen-syn", seg, frag=r.random() < 0.05, counted=bad)
        elif x < 0.38:
            # a burst from many ports: the SYN queue fills, cookies
            for _ in range(r.randrange(10, 80)):
                port = r.randrange(self.lo, self.hi + 1)
                seg = g.segment(port, L, r.randrange(1 << 32), 0, SYN,
                                opts=struct.pack("!BBH", 2, 4, 1460))
                self.send("listen-synflood", seg, ipbad="")
        elif x < 0.65:
            # complete, or use, a handshake we saw answered
            known = [p for p, v in self.children.items() if v[1] is not None]
            if not known:
                return self.listener_stray()
            port = r.choice(known)
            ours, theirs = self.children[port]
            y = r.random()
            if y < 0.5:
                data = g.payload(big=True)
                ack = theirs if r.random() < 0.9 else (theirs + r.randrange(-5, 5)) & M32
                flags = ACK | (PSH if data else 0) | (FIN if r.random() < 0.1 else 0)
                seg = g.segment(port, L, ours, ack, flags, data=data, opts=b"")
                self.children[port][0] = (ours + len(data) + (1 if flags & FIN else 0)) & M32
                self.handshakes += 1
                self.send("listen-ack", seg)
            elif y < 0.6:
                seg = g.segment(port, L, ours, theirs, RST | ACK, opts=b"")
                self.children.pop(port, None)
                self.send("listen-rst", seg, ipbad="")
            else:
                seq = r.choice([ours, (ours + r.randrange(-70000, 70000)) & M32,
                                r.randrange(1 << 32)])
                seg = g.segment(port, L, seq, r.choice([theirs, r.randrange(1 << 32)]),
                                r.randrange(256), data=g.payload(), bad_csum=r.random() < 0.1)
                self.send("listen-child", seg, frag=r.random() < 0.05)
        else:
            self.listener_stray()

    def listener_stray(self):
        """ACKs, RSTs, data for connections that never were; truncated headers."""
        r, g, L = self.r, self.gen, self.args.listen
        port = r.randrange(self.lo, self.hi + 1)
        flags = r.choice([ACK, RST, RST | ACK, FIN | ACK, ACK | PSH, r.randrange(256)]) & ~SYN
        seg = g.segment(port, L, r.randrange(1 << 32), r.randrange(1 << 32), flags,
                        data=g.payload())
        if r.random() < 0.1:
            self.send("listen-trunc", seg[:r.randrange(1, 20)], ipbad="")
        else:
            self.send("listen-stray", seg, frag=r.random() < 0.05)

    # ---------------------------------------------------------- all

    def cleanup(self):
        """Reset every child we made, at its RCV.NXT as seen on the wire."""
        g, L = self.gen, self.args.listen
        for rnd in range(3):
            self.watch()
            for port, (ours, theirs) in list(self.children.items()):
                seg = g.segment(port, L, ours, theirs or 0, RST | ACK, opts=b"")
                self.wire.send(g.ip(seg))
            time.sleep(0.3)
        self.watch()

    def run(self):
        r = self.r
        count = self.args.count
        t0 = time.monotonic()
        i = 0
        report = 5000
        while self.nseg < count:
            x = r.random()
            if x < 0.35:
                self.strict_one()
            elif x < 0.65:
                self.loose_one()
            else:
                self.listener_one()
            i += 1
            if i % 32 == 0:
                self.watch()
                time.sleep(0.002)   # let softirq keep up: no backlog drops
            if self.nseg >= report:
                out("sent %d segments in %.1f s" % (self.nseg, time.monotonic() - t0))
                report += 5000
        self.cleanup()
        out("sent %d frames for %d segments in %.1f s" % (self.wire.sent, self.nseg,
                                                          time.monotonic() - t0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--strict", required=True)
    ap.add_argument("--loose", required=True)
    ap.add_argument("--ports", default="40000:49999")
    args = ap.parse_args()
    t0 = time.monotonic()
    f = Fuzz(args)
    out("seed %d: %d TCP option templates, %d IP option templates, set up in %.1f s" %
        (args.seed, len(f.gen.topts), len(f.gen.iopts), time.monotonic() - t0))
    out("ready")
    f.run()
    for k in sorted(f.classes):
        out("class %s %d" % (k, f.classes[k]))
    out("csum_counted %d" % f.csum_counted)
    out("handshakes %d" % f.handshakes)
    out("loose %d %d" % (f.loose.rcv, f.loose.snd))
    out("done")


if __name__ == "__main__":
    main()
