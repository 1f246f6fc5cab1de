#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VM test (issue 13): three attacks from namespace toytcp_b (198.18.0.2) at
# toytcp in toytcp_a (198.18.0.1), driven by tools/tests/ttattack.py.
#
# 1. SYN flood: 20,000 SYNs from random 198.18.1.0/24 addresses and ports at
#    a listener with backlog 128 (A routes that range via B, which has no
#    such hosts and does not forward: the SYN-ACKs vanish, no ARP, no RST).
#    Linux TCP clients from B each exchange 1 KB within 5 s: 5 during the
#    flood, 5 after it. Slab memory printed before and after.
# 2. Out-of-order flood: a peer played with raw segments from 198.18.0.3
#    (A has a static neighbour entry for it pointing at B; B owns no such
#    address, so its kernel neither answers nor resets) does the handshake
#    with a listener whose SO_RCVBUF is 65536, and while the accepted socket
#    is not read sends 20,000 one-byte segments at random offsets after a
#    4 KB hole inside the window, then the hole, then the rest of 100 KB,
#    then FIN. Checked: the receive memory (SO_MEMINFO, sampled all along)
#    stays within 2 * the buffer, the hole gets ACKed, the reader gets the
#    exact stream and EOF, both FINs are exchanged.
# 3. Blind injection into a connection from a Linux client in B (the
#    attacker reads the sequence numbers off the wire on B's veth end and
#    spoofs the client's address and port): an in-window RST and SYN that
#    do not hit RCV.NXT exactly, and data at RCV.NXT whose ACK number is
#    ahead of SND.NXT or older than SND.UNA - MAX.SND.WND (RFC 5961). The
#    connection must survive, the injected data must not be ACKed nor read.
#    Run against a Linux TCP server first (the reference), then toytcp.
#
# Prints TAP. TOYTCP_TEST_FAMILY=inet runs the toytcp side as Linux TCP (to
# check this test itself). DEFENCE_SYNS, DEFENCE_OOO scale the floods;
# DEFENCE_ONLY="synflood ooo inject" (any of them) runs only those.
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
atk="$here/ttattack.py"
fam=${TOYTCP_TEST_FAMILY:-toytcp}
case "$fam" in inet|AF_INET|af_inet) fam=2 ;; esac
syns=${DEFENCE_SYNS:-20000}
ooo=${DEFENCE_OOO:-20000}
A=toytcp_a B=toytcp_b
tmp=$(mktemp -d /tmp/defence_test.XXXXXX)
n=0
failed=0
bg=

tap() { # tap STATUS NAME [COMMENT]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
	[ -n "$3" ] && echo "# $3"
}

# verdict NAME FILE: the line "check NAME 0|1 DETAIL" in FILE, as TAP
verdict() {
	line=$(grep -m 1 "^check $1 " "$2" 2>/dev/null)
	case "$line" in
	"check $1 1 "*) tap 0 "$1" "${line#check "$1" 1 }" ;;
	"check $1 0 "*) tap 1 "$1" "${line#check "$1" 0 }" ;;
	*) tap 1 "$1" "no verdict: $(tail -n 3 "$2" 2>/dev/null | tr '\n' ' ')" ;;
	esac
}

# wait_for WORD FILE [TENTHS]: until FILE has WORD (bounded)
wait_for() {
	i=0
	until grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt "${3:-300}" ] && return 1
		sleep 0.1
	done
}

# memory and listener state of namespace A, one comment line
state() {
	slab=$(grep '^Slab:' /proc/meminfo | tr -s ' ')
	cache=$(grep -i '^toytcp ' /proc/slabinfo 2>/dev/null | awk '{print $2 " objects of " $4 " bytes"}')
	if [ -z "$cache" ] && [ -e /sys/kernel/slab/TOYTCP ]; then	# SLUB merged it
		cache="merged into $(basename "$(readlink /sys/kernel/slab/TOYTCP)"), $(cut -d ' ' -f 1 \
			/sys/kernel/slab/TOYTCP/objects) objects there"
	fi
	if [ "$fam" = 2 ]; then
		f=/proc/net/tcp stats=
	else
		f=/proc/net/toytcp
		stats=$(ip netns exec $A grep -E '^(ListenDrops|PassiveOpens|OutOfOrderQueued|RcvbufDrops) ' \
			/proc/net/toytcp_stats | tr '\n' ' ')
	fi
	synrecv=$(ip netns exec $A awk '$4 == "03"' $f | wc -l)
	echo "# $1: $slab; TOYTCP slab cache: ${cache:-none}; SYN_RECV sockets $synrecv; $stats"
}

cleanup() {
	for p in $bg; do kill "$p" 2>/dev/null; done
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..21"

ip netns del $A 2>/dev/null
ip netns del $B 2>/dev/null
ip -b - <<EOF
netns add $A
netns add $B
link add ttveth_a netns $A type veth peer name ttveth_b netns $B
EOF
ip -n $A -b - <<EOF
addr add 198.18.0.1/24 dev ttveth_a
link set lo up
link set ttveth_a up
EOF
ip -n $B -b - <<EOF
addr add 198.18.0.2/24 dev ttveth_b
link set lo up
link set ttveth_b up
EOF
mac_a=$(ip netns exec $A cat /sys/class/net/ttveth_a/address)
mac_b=$(ip netns exec $B cat /sys/class/net/ttveth_b/address)
# No ARP anywhere: the spoofed SYNs' range routed to B, the OOO peer's
# address (198.18.0.3) at B's MAC; B does not forward, so whatever A sends
# there is dropped without an answer.
ip -n $A -b - <<EOF &&
neigh replace 198.18.0.2 lladdr $mac_b dev ttveth_a nud permanent
neigh replace 198.18.0.3 lladdr $mac_b dev ttveth_a nud permanent
route add 198.18.1.0/24 via 198.18.0.2 dev ttveth_a
EOF
	ip -n $B neigh replace 198.18.0.1 lladdr "$mac_a" dev ttveth_b nud permanent &&
	[ "$(ip netns exec $B cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
tap $? setup.namespaces_routes_static_neighbours

# want SCENARIO TEST...: true if DEFENCE_ONLY does not leave SCENARIO out;
# else the tests pass as skipped
want() {
	case "${DEFENCE_ONLY:-$1}" in *"$1"*) return 0 ;; esac
	shift
	for t in "$@"; do n=$((n + 1)); echo "ok $n $t # SKIP DEFENCE_ONLY=$DEFENCE_ONLY"; done
	return 1
}

# ---- 1. SYN flood ------------------------------------------------------
synflood() {
d=$tmp/synflood
mkdir -p "$d"
port=7801
t0=$(date +%s)
state "before the SYN flood"
ip netns exec $A timeout 900 $py "$atk" serve "$fam" 198.18.0.1 $port 1024 128 \
	> "$d/serve.out" 2>&1 &
spid=$!
bg="$bg $spid"
wait_for ready "$d/serve.out"
: > "$d/flood.out"
# the clients start (python takes seconds to start here) and wait for the flood
ip netns exec $B timeout 400 $py "$atk" clients 198.18.0.1 $port 1024 5 "$d/flood.out" \
	> "$d/during.out" 2>&1 &
cpid=$!
bg="$bg $cpid"
ip netns exec $B timeout 500 $py "$atk" synflood 198.18.0.1 $port "$syns" 198.18.1 4 \
	> "$d/flood.out" 2>&1 &
fpid=$!
bg="$bg $fpid"
wait $cpid
wait $fpid
frc=$?
state "after the SYN flood"
ip netns exec $B timeout 400 $py "$atk" clients 198.18.0.1 $port 1024 5 > "$d/after.out" 2>&1
grep -q '^sent' "$d/flood.out" && [ $frc = 0 ]
tap $? synflood.flood_sent "$(grep -v '^flooding' "$d/flood.out" | tr '\n' ' ')"
grep -q '^5 of 5 clients' "$d/during.out" && grep -q 'running when the last client started: yes' "$d/during.out"
tap $? synflood.clients_during_flood "$(tr '\n' ' ' < "$d/during.out")"
grep -q '^5 of 5 clients' "$d/after.out"
tap $? synflood.clients_after_flood "$(tr '\n' ' ' < "$d/after.out")"
kill $spid 2>/dev/null
wait $spid 2>/dev/null
state "after closing the listener"
echo "# SYN flood scenario: $(($(date +%s) - t0)) s"
}
want synflood synflood.flood_sent synflood.clients_during_flood synflood.clients_after_flood &&
	synflood

# ---- 2. out-of-order flood --------------------------------------------
ooo() {
d=$tmp/ooo
mkdir -p "$d"
port=7802
t0=$(date +%s)
state "before the out-of-order flood"
ip netns exec $A timeout 900 $py "$atk" ooo-recv "$fam" 198.18.0.1 $port 65536 100000 "$d/go" \
	> "$d/recv.out" 2>&1 &
rpid=$!
bg="$bg $rpid"
wait_for ready "$d/recv.out"
ip netns exec $B timeout 900 $py "$atk" ooo-peer ttveth_b 198.18.0.3 198.18.0.1 $port \
	"$ooo" 100000 "$d/go" > "$d/peer.out" 2>&1
touch "$d/go"	# whatever happened, let the receiver finish
wait $rpid
state "after the out-of-order flood"
grep -v '^check ' "$d/peer.out" "$d/recv.out" | sed 's/^/# /'
verdict ooo.flood_sent "$d/peer.out"
verdict ooo.memory_bounded "$d/recv.out"
verdict ooo.hole_filled "$d/peer.out"
verdict ooo.stream_exact "$d/recv.out"
verdict ooo.connection_completes "$d/peer.out"
echo "# out-of-order scenario: $(($(date +%s) - t0)) s"
}
want ooo ooo.flood_sent ooo.memory_bounded ooo.hole_filled ooo.stream_exact \
	ooo.connection_completes && ooo

# ---- 3. blind injection: Linux TCP first (the reference), then toytcp --
inject() {
d=$tmp/inject
mkdir -p "$d"
port=7803
for run in linux:2 toytcp:$fam; do
	label=${run%%:*} f=${run#*:}
	t0=$(date +%s)
	port=$((port + 1))
	ip netns exec $A timeout 500 $py "$atk" serve "$f" 198.18.0.1 $port 4000 8 \
		> "$d/$label.serve" 2>&1 &
	spid=$!
	bg="$bg $spid"
	wait_for ready "$d/$label.serve"
	ip netns exec $B timeout 500 $py "$atk" inject ttveth_b 198.18.0.1 $port \
		"inject.$label" "$d/$label.pcap" > "$d/$label.out" 2>&1
	wait_for '^conn 1 ' "$d/$label.serve" 600
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	grep -v '^check ' "$d/$label.out" | sed 's/^/# /'
	for c in rst_in_window_ignored syn_in_window_ignored data_ahead_ack_dropped \
		 data_old_ack_dropped client_gets_reply; do
		verdict "inject.$label.$c" "$d/$label.out"
	done
	grep -q '^conn 1 received 8000 match 1 injected 0$' "$d/$label.serve"
	tap $? "inject.$label.server_reads_exact_stream" "server: $(grep '^conn' "$d/$label.serve" | tr '\n' ' ')"
	if [ -n "${TOYTCP_OUT:-}" ] && [ -d "${TOYTCP_OUT:-}" ]; then
		cp "$d/$label.pcap" "$TOYTCP_OUT/defence_test-inject-$label.pcap"
	fi
	echo "# injection against $label: $(($(date +%s) - t0)) s"
done
}
checks=
for l in linux toytcp; do
	for c in rst_in_window_ignored syn_in_window_ignored data_ahead_ack_dropped \
		 data_old_ack_dropped client_gets_reply server_reads_exact_stream; do
		checks="$checks inject.$l.$c"
	done
done
# shellcheck disable=SC2086
want inject $checks && inject
exit $failed
