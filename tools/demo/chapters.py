#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The demo's chapters (issue 12): what happens inside write() and read(),
live, with the seed's claim beside what the wire shows.

Inside a VM with toytcp loaded. Namespace tch_a (198.18.1.1) holds toytcp
(programs under toytcp-run), tch_b (198.18.1.2) Linux TCP; toytrace
records toytcp's tracepoints while a chapter runs, draws its ladder and
time-sequence graph, and the chapter's verdict is read from the same
events.

  chapters.py --bin DIR [--out DIR] [--short] [--tap] [CHAPTER ...]

CHAPTER is a number or a name (all when none). --short: the form make
check runs (smaller transfers, fewer retries). --tap: "ok N name" /
"not ok N name" lines for the guest suite, the ladders not printed.
"""
import argparse
import html
import importlib.machinery
import importlib.util
import math
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
PY = "/usr/bin/python3"
SCENE = os.path.join(HERE, "scene.py")
TOYTRACE = os.path.join(TOOLS, "toytrace")
A, B = "tch_a", "tch_b"
IFA, IFB = "tch0", "tch1"
IPA, IPB = "198.18.1.1", "198.18.1.2"
SERVER_PORTS = (9101, 9140)     # one per recorded run: its events alone
PARAMS = "/sys/module/toytcp/parameters/"


def load_toytrace():
    loader = importlib.machinery.SourceFileLoader("toytrace", TOYTRACE)
    spec = importlib.util.spec_from_loader("toytrace", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


tt = load_toytrace()


class Failed(Exception):
    """A step of a chapter's set-up did not work (not a verdict)."""


def sh(*cmd, check=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and p.returncode:
        raise Failed("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stdout.strip()))
    return p.stdout


def nft(ns, rules):
    p = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode:
        raise Failed("nft: %s" % p.stdout.strip())


def param(name, value=None):
    with open(PARAMS + name) as fh:
        old = fh.read().strip()
    if value is not None:
        with open(PARAMS + name, "w") as fh:
            fh.write(str(value))
    return old


def stat(name):
    """A counter of /proc/net/toytcp_stats in namespace A."""
    out = sh("ip", "netns", "exec", A, "cat", "/proc/net/toytcp_stats")
    for line in out.splitlines():
        k, _, v = line.partition(" ")
        if k == name:
            return int(v)
    raise Failed("no counter %s in /proc/net/toytcp_stats" % name)


class Run:
    """One recorded run: toytrace's view of it (connections, rows, events)."""

    def __init__(self, path, port):
        with open(path, errors="replace") as fh:
            lines = [x for x in fh.read().splitlines() if tt.port_matches(x, port)]
        self.events, _ = tt.parse_text(lines)
        tracer = tt.Tracer()
        for ev in self.events:
            tracer.feed(ev)
        conns = tracer.connections()
        self.conn = conns[0] if conns else None
        self.rows = [r for r in self.conn.rows if r.kind == "seg"] if self.conn else []

    def toy(self, r):
        return r.src in self.conn.toy

    def sent(self):
        return [r for r in self.rows if self.toy(r)]

    def got(self):
        return [r for r in self.rows if not self.toy(r)]

    def data_sent(self):
        return [r for r in self.sent() if r.seg["len"]]

    def rel(self, r, field="seq"):
        end = r.src if field == "seq" else r.dst
        return tt.rel(self.conn, end, r.seg[field], False)


class Demo:
    def __init__(self, opts):
        self.o = opts
        self.run_bin = os.path.join(opts.bin, "toytcp-run")
        self.port = SERVER_PORTS[0] - 1
        self.server_proc = None
        self.tport = 9200
        self.notes = []         # the running chapter's commentary and drawings
        self.drawings = []

    # ---- the network

    def net_up(self):
        self.net_down()
        sh("ip", "netns", "add", A)
        sh("ip", "netns", "add", B)
        sh("ip", "link", "add", IFA, "netns", A, "type", "veth", "peer", "name", IFB, "netns", B)
        for ns, dev, ip in ((A, IFA, IPA), (B, IFB, IPB)):
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        self.servers_up()

    def net_down(self):
        for ns in (A, B):
            pids = sh("ip", "netns", "pids", ns, check=False).split()
            for p in pids:
                subprocess.run(["kill", "-9", p], stderr=subprocess.DEVNULL)
        # TIME_WAIT in A (msl is short while the chapters run) goes first:
        # a socket left in a deleted namespace would hold the module
        for _ in range(100):
            out = sh("ip", "netns", "exec", A, "cat", "/proc/net/toytcp", check=False)
            if "No such file" in out or not any(x.strip()[:1].isdigit() for x in out.splitlines()[1:]):
                break
            time.sleep(0.1)
        for ns in (A, B):
            sh("ip", "netns", "del", ns, check=False)

    # ---- programs

    # Every program on CPU 0: a veth hands a packet to the receive queue of
    # the CPU that sent it, so senders on two CPUs can reorder segments
    # (real reordering, which SACK copes with, but not what a chapter shows).
    def toy_cmd(self, *args):
        return ["ip", "netns", "exec", A, "taskset", "-c", "0", self.run_bin, "--strict", PY,
                SCENE] + list(args)

    def servers_up(self):
        """Linux servers in B, one per port of SERVER_PORTS, for the whole run."""
        p = subprocess.Popen(self.linux_cmd("server", "--addr", IPB,
                                            "--ports", "%d-%d" % SERVER_PORTS),
                             stdout=subprocess.PIPE, text=True)
        if p.stdout.readline().strip() != "listening":
            raise Failed("the Linux servers did not start")
        self.server_proc = p

    def server(self):
        """A port of the Linux servers that no run has used yet."""
        self.port += 1
        if self.port > SERVER_PORTS[1]:
            raise Failed("more runs than server ports")
        return self.port

    def toy_port(self):
        """A port for a toytcp server in A that no run has used yet."""
        self.tport += 1
        return self.tport

    def toy_server(self, *args):
        """A toytcp server in A (scene.py under toytcp-run), listening."""
        p = subprocess.Popen(self.toy_cmd(*args), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        if p.stdout.readline().strip() != "listening":
            p.kill()
            raise Failed("the toytcp server did not start: %s" % p.communicate()[0])
        return p

    @staticmethod
    def linux_cmd(*args):
        return ["ip", "netns", "exec", B, "taskset", "-c", "0", PY, SCENE] + list(args)

    def recorder(self, name, port):
        """Start recording toytcp's events of port into NAME.trace."""
        trace = os.path.join(self.o.out, name + ".trace")
        return tt.Recorder("toychapters", port, trace), trace

    def record(self, name, port, cmd, linger=0.5, also=None):
        """Run cmd, recording toytcp's events until linger s after it (and the
        process also, if given) ended; print the ladder, draw it; return
        (Run, what cmd printed)."""
        rec, trace = self.recorder(name, port)
        p = None
        try:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
            t0 = time.monotonic()
            while ((p.poll() is None or (also and also.poll() is None)) and
                   time.monotonic() - t0 < 120):
                rec.poll(0.05)
            if p.poll() is None:
                raise Failed("%s: still running after 120 s" % " ".join(cmd))
            end = time.monotonic()
            while time.monotonic() - end < linger:
                rec.poll(0.05)
            out = p.stdout.read()
        finally:
            rec.stop()
            if p and p.poll() is None:
                p.kill()
                p.wait()
        return self.draw(name, port, trace, out), out

    def draw(self, name, port, trace, out=""):
        """The ladder (printed) and the drawings of a recorded run."""
        svg = os.path.join(self.o.out, name + "-ladder.svg")
        tsg = os.path.join(self.o.out, name + "-tsg.svg")
        run = Run(trace, port)
        if run.conn is None:
            raise Failed("%s: no toytcp connection recorded; it printed: %s" % (name, out))
        with open(trace, errors="replace") as fh:
            lines = fh.read().splitlines()
        opts = argparse.Namespace(verbose=False, events=False, quiet=True, svg=svg, tsg=tsg,
                                  absolute=False, last_section=False, time=False)
        tt.render(lines, opts)
        merged = [r for r in run.rows if r.seg["segs"] > 1]
        if merged:
            say(self,
                "rows marked (N × SIZE, merged by GRO) are N wire segments the receive path "
                "handed toytcp as one (GRO, or a veth passing Linux's GSO skb along); "
                "(cut by GSO): one skb of toytcp's that became N wire segments after it")
        self.drawings.append((svg, name + ": the ladder"))
        if os.path.exists(tsg):
            self.drawings.append((tsg, name + ": the time-sequence graph"))
        if not self.o.tap:
            ladder = tt.ladder_text(run.conn, opts)
            for line in ladder[:self.o.rows]:
                print("    " + line.rstrip())
            if len(ladder) > self.o.rows:
                print("    ... %d rows more: the whole ladder is %s" %
                      (len(ladder) - self.o.rows, svg))
            print("    drawn: %s, %s" % (svg, tsg if os.path.exists(tsg) else "(no data)"))
        return run


# ------------------------------------------------------------------ chapters

CHAPTERS = []


def chapter(num, name, title, ko, en, look):
    def reg(fn):
        CHAPTERS.append(dict(num=num, name=name, title=title, ko=ko, en=en, look=look, fn=fn))
        return fn
    return reg


def say(d, *lines):
    """Commentary: printed in the demo, kept for the page."""
    d.notes.extend(lines)
    if not d.o.tap:
        for line in lines:
            print("    " + line)


@chapter(1, "mss", "MTU -> MSS, and splitting a large write",
         "패킷에 저장 가능한 실제 데이터의 크기는 MTU - 헤더 크기(TCP 헤더 + IP 헤더)가 된다. "
         "이를 MSS라고 한다.",
         "What one packet can carry is the MTU less the headers (TCP + IP): the MSS.",
         "the SYN's mss option, and how many segments one 10 KB write becomes")
def ch_mss(d):
    size = 10240
    seen = {}
    try:
        for mtu in (1500, 1000):
            if mtu != 1500:
                sh("ip", "-n", A, "route", "replace", IPB + "/32", "dev", IFA, "mtu", str(mtu))
            say(d, "", "path MTU %d: one write() of %d bytes" % (mtu, size))
            port = d.server()
            run, _ = d.record("ch1-mtu%d" % mtu, port,
                              d.toy_cmd("client", "--addr", IPB, "--port", str(port),
                                        "--size", str(size)))
            syn = next((r for r in run.sent() if "S" in r.seg["flags"]), None)
            data = run.data_sent()
            if not syn or not data:
                raise Failed("MTU %d: no SYN or no data recorded" % mtu)
            wire = sum(r.seg["segs"] for r in data)
            # a wire segment's payload: full ones fill the MSS less the 12 bytes of timestamps
            full = syn.seg["mss"] - 12
            fits = all(r.seg["len"] <= r.seg["segs"] * full for r in data)
            seen[mtu] = (syn.seg["mss"], wire, full, sum(r.seg["len"] for r in data), fits)
            say(d, "MTU %d: the SYN says mss=%d (%d - 20 IP - 20 TCP); %d bytes left in %d "
                "segments of at most %d bytes" % (mtu, seen[mtu][0], mtu, seen[mtu][3], wire,
                                                  full))
    finally:
        sh("ip", "-n", A, "route", "del", IPB + "/32", check=False)
    ok = all(seen[m][0] == m - 40 and seen[m][3] == size and seen[m][4] and
             seen[m][1] == math.ceil(size / seen[m][2]) for m in seen)
    return ok, ("MSS %d on the 1500 path, %d on the 1000 path; %d and %d segments. Each "
                "carried at most %d and %d bytes: the timestamp option takes 12 of the MSS" %
                (seen[1500][0], seen[1000][0], seen[1500][1], seen[1000][1],
                 seen[1500][2], seen[1000][2]))


@chapter(2, "nagle", "Hold small writes, or send now",
         "버퍼에 머물지 않고 바로 송신하라",
         "\"Do not wait in the buffer, send at once\" - an option for interactive programs.",
         "twenty 10-byte writes 4 ms apart over a 20 ms path: segments with Nagle, "
         "and with TCP_NODELAY")
def ch_nagle(d):
    sh("tc", "-n", B, "qdisc", "add", "dev", IFB, "root", "netem", "delay", "20ms")
    count = {}
    try:
        for nodelay in (False, True):
            label = "TCP_NODELAY" if nodelay else "Nagle (default)"
            say(d, "", label + ":")
            port = d.server()
            args = ["client", "--addr", IPB, "--port", str(port), "--size", "10",
                    "--count", "20", "--gap-ms", "4"] + (["--nodelay"] if nodelay else [])
            run, _ = d.record("ch2-" + ("nodelay" if nodelay else "nagle"), port,
                              d.toy_cmd(*args))
            data = run.data_sent()
            count[nodelay] = (sum(r.seg["segs"] for r in data), sum(r.seg["len"] for r in data))
            say(d, "%s: %d bytes in %d segments" % (label, count[nodelay][1], count[nodelay][0]))
    finally:
        sh("tc", "-n", B, "qdisc", "del", "dev", IFB, "root", check=False)
    ok = count[True] == (20, 200) and count[False][1] == 200 and count[False][0] <= 10
    return ok, ("with Nagle the 20 writes left in %d segments (small ones wait while data is "
                "unacknowledged); with TCP_NODELAY in %d, one per write" %
                (count[False][0], count[True][0]))


@chapter(3, "seqack", "Sequence and ACK numbers",
         "수신처는 1460번째 바이트까지의 데이터를 수신했다는 의미로 ACK 번호를 1460으로 기록하여 "
         "다시 송신처로 돌려보낸다.",
         "The receiver writes ACK number 1460 to say it has received up to byte 1460.",
         "each data segment's sequence number and length, and the ACK number that answers it")
def ch_seqack(d):
    port = d.server()
    run, _ = d.record("ch3-seqack", port,
                      d.toy_cmd("client", "--addr", IPB, "--port", str(port), "--size", "1000",
                                "--count", "3", "--gap-ms", "100"))
    ends = set()
    for r in run.sent():
        span = r.seg["len"] + ("S" in r.seg["flags"]) + ("F" in r.seg["flags"])
        ends.add((r.seg["seq"] + span) & 0xffffffff)
    say(d, "", "%-10s %-12s %-6s %-22s" % ("rel. seq", "absolute", "len", "the ACK that answers"))
    for r in run.data_sent():
        end = (r.seg["seq"] + r.seg["len"]) & 0xffffffff
        ack = next((a for a in run.got() if a.ts > r.ts and "." in a.seg["flags"] and
                    tt.seq_ge(a.seg["ack"], end)), None)
        say(d, "%-10d %-12d %-6d %s" % (run.rel(r), r.seg["seq"], r.seg["len"],
                                        "ack=%d (absolute %d)" % (run.rel(ack, "ack"), ack.seg["ack"])
                                        if ack else "none"))
    acks = [a.seg["ack"] for a in run.got() if "." in a.seg["flags"]]
    ok = len(run.data_sent()) == 3 and acks and all(a in ends for a in acks)
    return ok, ("every ACK number Linux sent is the next byte it expects (sequence number + "
                "length: 1 + 1000 = 1001), not the last byte received (1000): the seed's "
                "sentence is off by one" if ok else
                "an ACK number that is not the end of a segment: %s" %
                [a for a in acks if a not in ends])


@chapter(4, "loss", "A lost segment and its retransmission",
         "송신처는 ACK 번호가 돌아오지 않는다면 수신처가 정상적으로 패킷을 수신하지 못했다고 "
         "판단하여 패킷을 재송신한다.",
         "Without an ACK the sender concludes the packet did not arrive, and sends it again.",
         "the gap, the duplicate ACKs with their SACK blocks, the retransmission (red), and the "
         "ACK jumping past everything that came after the hole")
def ch_loss(d):
    size = 200 * 1024
    port = d.server()
    mark = "0x" + b"LOSE-ME!".hex()
    rto0 = stat("RetransTimeouts")
    try:
        sh("ip", "-n", A, "link", "set", "dev", IFA, "gso_max_segs", "1")
        nft(B, "table inet tch_loss {\n set seen { type ipv4_addr; flags dynamic; }\n"
            " chain in { type filter hook input priority 0;\n"
            "  tcp dport %d @ih,0,64 %s ip saddr @seen accept\n"
            "  tcp dport %d @ih,0,64 %s add @seen { ip saddr } counter drop\n }\n}\n"
            % (port, mark, port, mark))
        run, _ = d.record("ch4-loss", port,
                          d.toy_cmd("client", "--addr", IPB, "--port", str(port),
                                    "--size", str(size), "--mark-segment", "20"))
        rules = sh("ip", "netns", "exec", B, "nft", "list", "table", "inet", "tch_loss")
    finally:
        sh("ip", "netns", "exec", B, "nft", "delete", "table", "inet", "tch_loss", check=False)
        sh("ip", "-n", A, "link", "set", "dev", IFA, "gso_max_segs", "65535", check=False)
    rto = stat("RetransTimeouts") - rto0
    again = [r for r in run.data_sent() if r.retrans]
    hole = next((r for r in again if run.rel(r) == 1 + 19 * r.seg["len"]), None)
    if not hole:
        return False, "the 20th segment was not sent again (%d retransmissions)" % len(again)
    others = len([r for r in again if r.seg["seq"] != hole.seg["seq"]])
    ok = ("counter packets 1 " in rules and rto == 0 and
          len([r for r in again if r.seg["seq"] == hole.seg["seq"]]) == 1)
    asking = [a for a in run.got() if a.ts < hole.ts and a.seg["ack"] == hole.seg["seq"]]
    dups = asking[1:]           # the first of them was the ordinary ACK up to the hole
    after = next((a for a in run.got() if a.ts > hole.ts and
                  tt.seq_ge(a.seg["ack"], hole.seg["seq"] + hole.seg["len"])), None)
    jump = (after.seg["ack"] - hole.seg["seq"]) & 0xffffffff if after else 0
    say(d, "", "the 20th segment, at seq %d (%d bytes), was dropped once by nft in Linux's "
        "namespace" %
        (run.rel(hole), hole.seg["len"]),
        "%d ACKs asked for it again (ack=%d, SACK blocks naming what came after)" %
        (len(dups), run.rel(hole)),
        "toytcp sent it again %.1f ms after it first left; the next ACK jumped %d bytes" %
        ((hole.ts - next(r.ts for r in run.data_sent()
                         if r.seg["seq"] == hole.seg["seq"])) * 1000, jump))
    return ok, ("one segment lost, %d duplicate ACK(s), sent again once, no timeout "
                "(RetransTimeouts +%d): SACK recovery repaired it within a round trip%s" %
                (len(dups), rto, "" if not others else
                 " (and %d other segment(s) sent again: reordered, not lost)" % others))


@chapter(5, "cable", "The cable is pulled",
         "TCP에서는 몇 번 재송신을 해본다. 그래도 ACK 번호 응답이 없다면 가망이 없는 것으로 보고 "
         "데이터 송신 동작을 종료한 후 애플리케이션에 오류를 보고한다.",
         "TCP tries a few retransmissions; if no ACK ever comes it gives up and reports an error "
         "to the application.",
         "the retransmissions of one segment, the gap doubling each time (the backoff), and the "
         "error write() returns")
def ch_cable(d):
    retries = 3 if d.o.short else 5
    port = d.server()
    rec, trace = d.recorder("ch5-cable", port)
    client = old = None
    try:
        old = param("retries2", retries)
        client = subprocess.Popen(d.toy_cmd("client", "--addr", IPB, "--port", str(port),
                                            "--size", "1000", "--count", "1", "--gap-ms", "20",
                                            "--until-error"),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if client.stdout.readline().strip() != "connected":
            raise Failed("the client did not connect")
        t = time.monotonic()
        while time.monotonic() - t < 0.5:
            rec.poll(0.05)
        cut = time.monotonic()
        nft(B, "table inet tch_cable {\n chain in { type filter hook input priority 0;\n"
            "  ip saddr %s drop\n }\n}\n" % IPA)
        tt.put(os.path.join(rec.dir, "trace_marker"), "the path is cut")
        say(d, "", "the path is cut (every packet from toytcp dropped); net.ipv4.tcp_retries2 "
            "is %d for toytcp (its retries2 parameter)" % retries)
        while client.poll() is None and time.monotonic() - cut < 90:
            rec.poll(0.1)
        out = client.stdout.read() if client.poll() is not None else "(still writing)"
    finally:
        rec.stop()
        if client and client.poll() is None:
            client.kill()
            client.wait()
        if old is not None:
            param("retries2", old)
        sh("ip", "netns", "exec", B, "nft", "delete", "table", "inet", "tch_cable", check=False)
    run = d.draw("ch5-cable", port, trace, out)
    m = re.search(r"client: (\S+) at ([\d.]+)", out)
    err, when = (m.group(1), float(m.group(2)) - cut) if m else ("no error", -1)
    # the timeouts after the cut, of the oldest segment then unacknowledged
    cut_ts = next((e.ts for e in run.events if e.kind == "mark"), None)
    after = [e for e in run.events if e.kind == "retransmit" and cut_ts is not None and
             e.ts > cut_ts]
    rt = [e for e in after if e.f.get("seq") == after[0].f.get("seq")] if after else []
    times = [e.ts for e in rt]
    gaps = [b - a for a, b in zip(times, times[1:])]
    for i, e in enumerate(rt):
        say(d, "retransmission %d at +%.2f s, the next timeout %d ms" %
            (e.f.get("retransmits", i + 1), e.ts - times[0], e.f.get("rto_us", 0) // 1000))
    say(d, "write() failed with %s %.1f s after the cut" % (err, when))
    ok = (err == "ETIMEDOUT" and len(rt) == retries and
          all(b >= 1.5 * a for a, b in zip(gaps, gaps[1:])))
    return ok, ("%d retransmissions, %s s apart (each gap about twice the last), then %s to "
                "the application after %.1f s" %
                (len(rt), ", ".join("%.1f" % g for g in gaps), err, when))


def plot_rto(path, samples, marks):
    """An SVG of RTT samples (dots), SRTT and RTO (lines) over time, with the
    path's delay changes (marks: (time, text)) as vertical lines."""
    w, h, left, bottom = 640, 300, 50, 30
    t0 = samples[0][0]
    tmax = max(s[0] for s in samples) - t0 or 1
    ymax = max(max(s[1], s[3]) for s in samples) * 1.1 or 1

    def X(t):
        return left + (t - t0) / tmax * (w - left - 10)

    def Y(ms):
        return h - bottom - ms / ymax * (h - bottom - 10)
    g = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="11">' % (w, h),
         '<rect width="100%" height="100%" fill="white"/>',
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (left, Y(0), w - 10, Y(0)),
         '<line x1="%d" y1="10" x2="%d" y2="%d" stroke="black"/>' % (left, left, Y(0))]
    for ms in range(0, int(ymax), 100):
        g.append('<text x="%d" y="%.1f" text-anchor="end">%d ms</text>' % (left - 4, Y(ms) + 4, ms))
    for t, text in marks:
        g.append('<line x1="%.1f" y1="10" x2="%.1f" y2="%.1f" stroke="#999" '
                 'stroke-dasharray="4 3"/><text x="%.1f" y="20">%s</text>' %
                 (X(t), X(t), Y(0), X(t) + 3, html.escape(text)))
    for t, rtt, srtt, rto in samples:
        g.append('<circle cx="%.1f" cy="%.1f" r="1.5" fill="#888"/>' % (X(t), Y(rtt)))
    for i, (name, color) in enumerate((("SRTT", "#06c"), ("RTO", "#c00"))):
        pts = " ".join("%.1f,%.1f" % (X(s[0]), Y(s[2 + i])) for s in samples)
        g.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>' %
                 (pts, color))
        g.append('<text x="%d" y="%d" fill="%s">%s</text>' % (w - 60, 20 + 14 * i, color, name))
    g.append('<text x="%d" y="48" fill="#888">RTT samples</text>' % (w - 100))
    g.append('<text x="%d" y="%d">seconds: %.1f in all</text>' % (left, h - 8, tmax))
    g.append("</svg>")
    with open(path, "w") as fh:
        fh.write("\n".join(g))


@chapter(6, "rto", "The timeout adapts",
         "데이터 송신 동작을 실행중일 때 항상 ACK 번호가 돌아오는 시간을 측정하다가, 만약 이 시간이 "
         "지연되는 것 같으면 대기시간도 늘려준다. 반대로 ACK 번호가 일찍 오면 대기시간을 다시 줄인다.",
         "TCP keeps measuring how long ACKs take; when they come later it waits longer, when "
         "they come early again it shortens the wait.",
         "the RTT samples, SRTT and the RTO (toytcp_rto_update) while the path's delay goes "
         "1 ms -> 300 ms -> 1 ms; the RTO never goes below 200 ms (RFC 6298's floor, Linux's too)")
def ch_rto(d):
    phases = [(1, 1.5), (300, 3.0), (1, 2.5)]
    port = d.server()
    sh("tc", "-n", B, "qdisc", "add", "dev", IFB, "root", "netem", "delay", "1ms")
    rto0 = stat("RetransTimeouts")
    rec, trace = d.recorder("ch6-rto", port)
    client = None
    try:
        client = subprocess.Popen(d.toy_cmd("client", "--addr", IPB, "--port", str(port),
                                            "--size", "1000", "--count", "1", "--gap-ms", "20",
                                            "--until-error"),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if client.stdout.readline().strip() != "connected":
            raise Failed("the client did not connect")
        for delay, secs in phases:
            sh("tc", "-n", B, "qdisc", "change", "dev", IFB, "root", "netem", "delay",
               "%dms" % delay)
            tt.put(os.path.join(rec.dir, "trace_marker"), "delay %d ms" % delay)
            t = time.monotonic()
            while time.monotonic() - t < secs:
                rec.poll(0.05)
    finally:
        if client:
            client.kill()
            client.wait()
        rec.stop()
        sh("tc", "-n", B, "qdisc", "del", "dev", IFB, "root", check=False)
    timeouts = stat("RetransTimeouts") - rto0
    with open(trace, errors="replace") as fh:
        events, _ = tt.parse_text(fh.read().splitlines())
    marks = [(e.ts, e.body.strip()) for e in events if e.kind == "mark"]
    samples = [(e.ts, e.f["rtt_us"] / 1000, e.f["srtt_us"] / 1000, e.f["rto_us"] / 1000)
               for e in events if e.kind == "rto_update" and "rtt_us" in e.f]
    if len(marks) != 3 or not samples:
        return False, "%d phase marks and %d RTO updates recorded" % (len(marks), len(samples))
    svg = os.path.join(d.o.out, "ch6-rto.svg")
    plot_rto(svg, samples, marks)
    d.drawings.append((svg, "ch6-rto: RTT samples, SRTT and RTO over time"))

    def phase(i):
        end = marks[i + 1][0] if i + 1 < len(marks) else float("inf")
        return [s for s in samples if marks[i][0] <= s[0] < end]
    rto = [[s[3] for s in phase(i)] for i in range(3)]
    if not all(rto):
        return False, "a phase without RTO updates: %s" % [len(r) for r in rto]
    for (delay, _), r in zip(phases, rto):
        say(d, "delay %3d ms: RTO from %d to %d ms (last %d ms)" % (delay, min(r), max(r), r[-1]))
    say(d, "drawn: " + svg)
    ok = max(rto[0]) <= 250 and max(rto[1]) >= 400 and rto[2][-1] <= 250
    return ok, ("the RTO went from %d ms up to %d ms while ACKs took 300 ms longer, and back "
                "to %d ms; %d timeout(s) fired when the delay jumped before it had caught up" %
                (rto[0][-1], max(rto[1]), rto[2][-1], timeouts))


@chapter(7, "window", "Window control with a slow reader",
         "윈도우에는 수신측에서 수신 가능한 수신 버퍼의 빈 공간 분량을 기록한다.",
         "The window field carries how much free space the receiver's buffer has.",
         "toytcp's advertised window shrinking to 0 while its reader sleeps, Linux stopping and "
         "probing the zero window, the window update a read() sends, the transfer going on")
def ch_window(d):
    total = 128 * 1024 if d.o.short else 256 * 1024
    port = d.toy_port()
    srv = d.toy_server("slowread", "--addr", IPA, "--port", str(port), "--rcvbuf", "16384",
                       "--wait", "1.5", "--burst", "4096", "--pause-ms", "20")
    try:
        run, _ = d.record("ch7-window", port,
                          d.linux_cmd("client", "--addr", IPA, "--port", str(port),
                                      "--size", str(total)), also=srv)
        out = srv.communicate(timeout=30)[0]
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    sent = run.sent()
    zero = next((r for r in sent if r.seg["win"] == 0 and "S" not in r.seg["flags"]), None)
    if not zero:
        return False, "toytcp never advertised a zero window; the reader said: %s" % out.strip()
    reopen = next((r for r in sent if r.ts > zero.ts and r.seg["win"] > 0), None)
    # Linux's zero-window probes: no data, one below the sequence number toytcp expects
    probes = [r for r in run.got() if r.ts > zero.ts and (not reopen or r.ts < reopen.ts) and
              not r.seg["len"] and r.seg["seq"] == (zero.seg["ack"] - 1) & 0xffffffff]
    updates = [e for e in run.events if e.kind == "window_update" and
               e.f.get("side") == "local" and e.f.get("old") == 0]
    say(d, "", "toytcp's window reached 0 at +%.2f s; Linux sent %d probe(s) while it was shut; "
        "it opened again at +%.2f s (%s)" %
        (zero.ts - run.rows[0].ts, len(probes),
         (reopen.ts if reopen else zero.ts) - run.rows[0].ts,
         "a window update without data" if reopen and not reopen.seg["len"] else "with data"),
        "the reader: %s" % out.strip())
    ok = (reopen is not None and probes and updates != [] and
          out.strip() == "read %d bytes" % total)
    return ok, ("the window closed (win=0) while the reader slept, Linux probed it %d time(s), "
                "and a read() reopened it; all %d bytes arrived" % (len(probes), total))


@chapter(8, "merged", "ACK and window merged",
         "수신측은 ACK 번호나 윈도우를 통지하고자 할 때 패킷을 바로 보내지 않고 잠시 기다리면서 "
         "다음 통지 동작이 일어나는지 기다려본다.",
         "The receiver does not send the ACK or the window at once: it waits a little to see "
         "whether something else is to be sent, and sends them together.",
         "requests answered after 5 ms: with delayed ACK the ACK rides on the answer, with "
         "TCP_QUICKACK a bare ACK goes first")
def ch_merged(d):
    n = 6 if d.o.short else 10
    res = {}
    for quick in (False, True):
        label = "TCP_QUICKACK" if quick else "delayed ACK (default)"
        say(d, "", label + ":")
        port = d.toy_port()
        srv = d.toy_server("respond", "--addr", IPA, "--port", str(port), "--size", "100",
                           "--think-ms", "5", *(["--quickack"] if quick else []))
        try:
            run, out = d.record("ch8-" + ("quickack" if quick else "delayed"), port,
                                d.linux_cmd("ask", "--addr", IPA, "--port", str(port),
                                            "--count", str(n), "--size", "100"), also=srv)
        finally:
            if srv.poll() is None:
                srv.kill()
            srv.wait()
        fin = next((r.ts for r in run.got() if "F" in r.seg["flags"]), float("inf"))
        mine = [r for r in run.sent() if r.ts < fin and not set(r.seg["flags"]) & set("SF")]
        res[quick] = (len([r for r in mine if not r.seg["len"]]),
                      len([r for r in mine if r.seg["len"]]))
        say(d, "%s: %d answers, %d bare ACKs from toytcp for %d requests" %
            (label, res[quick][1], res[quick][0], n))
    ok = res[False][1] == n and res[True][1] == n and res[False][0] <= 1 and res[True][0] >= n - 1
    return ok, ("with delayed ACK the %d answers carried the ACKs (and the window): %d bare "
                "ACK(s); with TCP_QUICKACK %d bare ACKs went first, %d segments instead of %d" %
                (n, res[False][0], res[True][0], res[True][0] + n, res[False][0] + n))


@chapter(9, "timewait", "Why TIME_WAIT",
         "이러한 오동작을 막기 위해 데이터 송수신이 완전히 끝나더라도 소켓은 잠시 기다린 후에 "
         "제거해야 한다.",
         "To prevent such mistakes, even when the exchange is completely over, the socket must "
         "wait a while before it is removed.",
         "toytcp closes first; its last ACK is dropped once; Linux sends its FIN again, and the "
         "socket in TIME-WAIT is still there to answer it")
def ch_timewait(d):
    port = d.server()
    nft(B, "table inet tch_tw {\n set finned { type ipv4_addr; flags dynamic; }\n"
        " set dropped { type ipv4_addr; flags dynamic; }\n"
        " chain in { type filter hook input priority 0;\n"
        "  tcp dport %d tcp flags & fin == fin add @finned { ip saddr }\n"
        "  tcp dport %d ip saddr @finned ip saddr != @dropped tcp flags == ack "
        "add @dropped { ip saddr } counter drop\n }\n}\n" % (port, port))
    try:
        run, _ = d.record("ch9-timewait", port,
                          d.toy_cmd("client", "--addr", IPB, "--port", str(port),
                                    "--size", "4", "--count", "1"),
                          linger=2.0)     # Linux's FIN again comes after its RTO
        rules = sh("ip", "netns", "exec", B, "nft", "list", "table", "inet", "tch_tw")
    finally:
        sh("ip", "netns", "exec", B, "nft", "delete", "table", "inet", "tch_tw", check=False)
    fins = [r for r in run.got() if "F" in r.seg["flags"]]
    tw = [e for e in run.events if e.kind == "state_change" and e.f.get("new") == "TIME-WAIT"]
    # the repeated FIN answered: an ACK (not a reset) from toytcp after it
    answered = len(fins) >= 2 and any(
        r.ts > fins[1].ts and "." in r.seg["flags"] and "R" not in r.seg["flags"]
        for r in run.sent())
    say(d, "", "Linux's FIN arrived %d times; toytcp went to TIME-WAIT%s" %
        (len(fins), " and answered the repeat from there" if tw and answered else ""))
    return ("counter packets 1 " in rules and tw != [] and answered,
            "the last ACK was lost, Linux sent its FIN %d times, and toytcp's TIME-WAIT "
            "answered the repeat: without it, a reset would have met the FIN" % len(fins))


# ------------------------------------------------------------------ the page

PAGE_CSS = """
body { font-family: sans-serif; line-height: 1.45; margin: 0 auto; padding: 0 1em;
       max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-top: 1px solid #ccc;
     padding-top: 0.8em; }
blockquote { margin: 0.5em 0; padding: 0.3em 0.8em; border-left: 4px solid #06c;
             background: #f4f8fc; }
.en { color: #555; margin-top: 0; }
pre { white-space: pre-wrap; font-size: 0.85em; background: #f6f6f6; padding: 0.5em; }
figure { margin: 1em 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
.verdict { font-weight: bold; } .bad { color: #c00; }
@media print { section { break-before: page; } figure { break-inside: avoid; } }
"""


def inline_svg(path):
    """An SVG file's root element, scalable (a viewBox from its size)."""
    with open(path, errors="replace") as fh:
        doc = fh.read()
    doc = re.sub(r"^<\?xml[^>]*>\s*", "", doc)
    m = re.match(r"<svg\b[^>]*>", doc)
    if m and "viewBox" not in m.group(0):
        w = re.search(r'\bwidth="([\d.]+)', m.group(0))
        h = re.search(r'\bheight="([\d.]+)', m.group(0))
        if w and h:
            doc = doc.replace("<svg", '<svg viewBox="0 0 %s %s"' % (w.group(1), h.group(1)), 1)
    return doc


def write_page(path, done):
    """One self-contained HTML page: every chapter run, its drawings inline."""
    e = html.escape
    out = ['<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           # nothing may be fetched: a request would break this and be reported
           '<meta http-equiv="Content-Security-Policy" '
           'content="default-src \'none\'; style-src \'unsafe-inline\'">',
           "<title>toytcp: inside write() and read()</title>",
           "<style>%s</style></head><body>" % PAGE_CSS,
           "<h1>toytcp: what happens inside write() and read()</h1>",
           "<p>Each chapter ran live: toytcp in one network namespace, Linux TCP in the other, "
           "toytcp's tracepoints recorded by toytrace. The seed's claim, what to look at, what "
           "the wire showed.</p><ul>"]
    for c, ok, verdict, notes, drawings in done:
        out.append('<li><a href="#ch%d">%d. %s</a></li>' % (c["num"], c["num"], e(c["title"])))
    out.append("</ul>")
    for c, ok, verdict, notes, drawings in done:
        out.append('<section id="ch%d"><h2>%d. %s</h2>' % (c["num"], c["num"], e(c["title"])))
        out.append('<blockquote lang="ko">%s</blockquote><p class="en">%s</p>' %
                   (e(c["ko"]), e(c["en"])))
        out.append("<p><b>Look at:</b> %s</p>" % e(c["look"]))
        if any(n.strip() for n in notes):
            out.append("<pre>%s</pre>" % e("\n".join(n for n in notes if n.strip())))
        for svg, caption in drawings:
            out.append("<figure>%s<figcaption>%s</figcaption></figure>" %
                       (inline_svg(svg), e(caption)))
        out.append('<p class="verdict%s">The wire: %s</p></section>' %
                   ("" if ok else " bad", e(verdict)))
    out.append("</body></html>\n")
    with open(path, "w") as fh:
        fh.write("\n".join(out))


# ------------------------------------------------------------------ main

def pick(names):
    if not names:
        return CHAPTERS
    out = []
    for n in names:
        m = [c for c in CHAPTERS if str(c["num"]) == n or c["name"] == n]
        if not m:
            sys.exit("chapters.py: no chapter %s (there are: %s)" %
                     (n, ", ".join("%d %s" % (c["num"], c["name"]) for c in CHAPTERS)))
        out += m
    return out


def main():
    ap = argparse.ArgumentParser(prog="chapters.py", description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="where toytcp-run and libtoytcp.so are")
    ap.add_argument("--out", default="/tmp/chapters", help="traces and drawings go here")
    ap.add_argument("--short", action="store_true", help="make check's short form")
    ap.add_argument("--tap", action="store_true", help="TAP lines, no ladders")
    ap.add_argument("--rows", type=int, default=40, help="ladder rows printed per run")
    ap.add_argument("chapter", nargs="*", help="number or name (default: all)")
    o = ap.parse_args()
    os.makedirs(o.out, exist_ok=True)
    # a SIGTERM (a timeout's kill) still runs the clean-up below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    d = Demo(o)
    msl = param("msl", 1)
    failed = 0
    done = []
    page = os.path.join(o.out, "chapters.html")
    try:
        d.net_up()
        for i, c in enumerate(pick(o.chapter), 1):
            if not o.tap:
                print("\n######## chapter %d: %s ########" % (c["num"], c["title"]))
                print("  the seed: %s" % c["ko"])
                print("            (%s)" % c["en"])
                print("  look at:  %s" % c["look"])
            t0 = time.monotonic()
            d.notes, d.drawings = [], []
            try:
                ok, verdict = c["fn"](d)
            except (Exception, SystemExit) as x:     # noqa: B902 - one chapter, not the run
                ok, verdict = False, "could not run: %s: %s" % (type(x).__name__, x)
            failed += not ok
            done.append((c, ok, verdict, d.notes, d.drawings))
            write_page(page, done)
            if o.tap:
                print("# chapter %d (%.0f s): %s" % (c["num"], time.monotonic() - t0, verdict))
                print("%s %d chapter%d.%s" % ("ok" if ok else "not ok", i, c["num"], c["name"]))
            else:
                print("  the wire: %s%s" % (verdict, "" if ok else "  [NOT AS EXPECTED]"))
    finally:
        d.net_down()
        param("msl", msl)
    if not o.tap:
        print("\nthe chapters on one page: %s" % page)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
