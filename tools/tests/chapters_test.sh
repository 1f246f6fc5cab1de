#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VM test (issue 12): the demo's chapters (tools/demo/chapters.py) in their
# short form. Each runs live - toytcp in one namespace, Linux TCP in the
# other - and asserts what it claims to show from toytcp's own events:
#
#   chapter1.mss       the SYN's MSS is the path MTU less 40 (1460, and 960
#                      on a route with MTU 1000); one 10 KB write leaves in
#                      as many segments as that MSS (less options) needs
#   chapter2.nagle     20 small writes: 20 segments with TCP_NODELAY, at most
#                      10 with Nagle over a 20 ms path
#   chapter3.seqack    every ACK number is the end of a segment (seq + len)
#   chapter4.loss      one segment dropped once: sent again once, no RTO
#   chapter5.cable     the path cut: as many retransmissions as retries2,
#                      each gap at least 1.5 times the last, then ETIMEDOUT
#   chapter6.rto       the path's delay 1 -> 300 -> 1 ms: the RTO at most
#                      250 ms, then at least 400 ms, then back to 250 or less
#   chapter7.window    a reader that sleeps: toytcp's window 0, Linux's
#                      probes, the window reopened, every byte read
#   chapter8.merged    requests answered after 5 ms: no bare ACK with
#                      delayed ACK, one per request with TCP_QUICKACK
#   chapter9.timewait  the last ACK dropped once: Linux's FIN comes again
#                      and is answered from TIME-WAIT
#
# Environment: TOYTCP_BIN (toytcp-run; the guest suite sets it),
# TOYTCP_OUT (the drawings go to its chapters/).
# On the (slower) debug kernel in make check only chapter 3, the shortest
# (the harness itself, under KASAN and lockdep; the mechanisms the others
# show have their own tests there); all of them on Debian's kernel, whose
# run also writes the page tools/page-check.py opens on the host.
# Under make stress (TOYTCP_STRESS=1) all, in the demo's own form (more
# retries).
here=$(cd "$(dirname "$0")" && pwd)
bin=${TOYTCP_BIN:-$here/../../.build/tools}
short=--short
which=
case "$(uname -r)" in *-amd64) ;; *) which=3 ;; esac
[ "${TOYTCP_STRESS:-0}" = 1 ] && short= which=
# shellcheck disable=SC2086 # $short: one word or none; $which: chapters
/usr/bin/python3 "$here/../demo/chapters.py" --bin "$bin" --out "${TOYTCP_OUT:-/tmp}/chapters" \
	$short --tap $which
