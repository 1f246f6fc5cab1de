#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make check: toytrace's ladder from made-up input, through its real
parsers.

  events   a handshake, one skb of ours cut by GSO into 3 wire segments
           and one of Linux's merged by GRO from 22, each drawn as what
           the wire carried;
  capture  a pcap file as tcpdump writes it (Ethernet): a connection from
           SYN to the last ACK, one segment with SACK blocks; both ends'
           states inferred, the blocks shown relative.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile

A, B = "198.18.0.1:40000", "198.18.0.2:8080"
EVENTS = [
    "state_change: %s %s CLOSED -> SYN-SENT",
    "send_segment: %s %s flags=S seq=1000 ack=0 win=64240 len=0 mss=1460 segs=1 state=SYN-SENT",
    "recv_segment: %s %s flags=S. seq=5000 ack=1001 win=65160 len=0 mss=1460 segs=1 "
    "state=SYN-SENT",
    "state_change: %s %s SYN-SENT -> ESTABLISHED",
    "send_segment: %s %s flags=. seq=1001 ack=5001 win=502 len=0 mss=0 segs=1 state=ESTABLISHED",
    "send_segment: %s %s flags=P. seq=1001 ack=5001 win=502 len=4380 mss=0 segs=3 "
    "state=ESTABLISHED",
    "recv_segment: %s %s flags=. seq=5001 ack=5381 win=501 len=32120 mss=0 segs=22 "
    "state=ESTABLISHED",
]
WANT = ["len=4380 (3 × 1460, cut by GSO)", "len=32120 (22 × 1460, merged by GRO)"]


# (from client?, flags, seq, ack, payload bytes, SACK blocks)
CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 80)
SEGMENTS = [(True, 0x02, 100, 0, 0, []), (False, 0x12, 900, 101, 0, []),
            (True, 0x10, 101, 901, 0, []), (True, 0x18, 101, 901, 50, []),
            (False, 0x10, 901, 101, 0, [(151, 201)]), (True, 0x18, 151, 901, 50, []),
            (False, 0x11, 901, 201, 0, []), (True, 0x11, 201, 902, 0, []),
            (False, 0x10, 902, 202, 0, [])]
WANT_CAPTURE = ["client 10.0.0.1:40000", "server 10.0.0.2:80", "SYN seq=0 win=501 mss=1460",
                "ack=1 win=501 sack=51-101", "LAST-ACK*", "CLOSED*", "TIME-WAIT*"]


def frame(from_client, flags, seq, ack, size, sacks):
    src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
    opts = b""
    if flags & 0x02:
        opts = struct.pack("!BBH", 2, 4, 1460)
    if sacks:
        opts = b"\x01\x01" + struct.pack("!BB", 5, 2 + 8 * len(sacks)) + \
            b"".join(struct.pack("!II", lo, hi) for lo, hi in sacks)
    opts += b"\x00" * (-len(opts) % 4)
    tcp = struct.pack("!HHIIHHHH", src[1], dst[1], seq, ack,
                      ((20 + len(opts)) // 4) << 12 | flags, 501, 0, 0) + opts + b"x" * size
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                     socket.inet_aton(src[0]), socket.inet_aton(dst[0])) + tcp
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip


def run(path):
    p = subprocess.run(["/usr/bin/python3", "tools/toytrace", "-r", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.stdout + ("" if p.returncode == 0 else "\n(exit %d)" % p.returncode)


def check(name, out, want):
    missing = [w for w in want if w not in out]
    print(out.rstrip())
    print("toytrace, %s: %d of %d expected texts%s" %
          (name, len(want) - len(missing), len(want),
           "; missing: " + ", ".join(missing) if missing else ""))
    return not missing


def main():
    with tempfile.NamedTemporaryFile("w", suffix=".trace", delete=False) as fh:
        for i, ev in enumerate(EVENTS):
            fh.write("  python3-1 [000] ..... %d.%06d: toytcp_%s\n" % (10, i * 1000, ev % (A, B)))
        events = fh.name
    with tempfile.NamedTemporaryFile("wb", suffix=".pcap", delete=False) as fh:
        fh.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, seg in enumerate(SEGMENTS):
            f = frame(*seg)
            fh.write(struct.pack("<IIII", 1000, i * 1000, len(f), len(f)) + f)
        capture = fh.name
    try:
        ok = check("events", run(events), WANT)
        ok = check("capture", run(capture), WANT_CAPTURE) and ok
    finally:
        os.unlink(events)
        os.unlink(capture)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
