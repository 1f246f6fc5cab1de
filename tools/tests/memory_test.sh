#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VM test (issue 13): toytcp's socket memory is accounted like Linux TCP's.
# toytcp charges what it queues to a pool of pages of its own, shown in the
# "memory" and "press" columns of /proc/net/protocols' TOYTCP line, with
# Linux's net.ipv4.tcp_mem as the thresholds.
#
#   1. 48 Linux clients in toytcp_b each send 192 KB to a toytcp server in
#      toytcp_a whose reader waits 3 s (and then until no more comes in)
#      before reading: the pool holds the
#      waiting data (all of it: SO_RCVBUF is as large as rmem_max lets it
#      be, a window of 208 KB; merged into few skbs, so about its own
#      size), the transfer ends byte-exact, and once the sockets are gone
#      the pool is back to (nearly) 0 pages.
#   2. The same with tcp_mem's hard limit at 1024 pages, well below what
#      would wait: the pool never goes past the limit but by what Linux
#      also allows (a socket below tcp_rmem[0] may take one more segment),
#      toytcp reports memory pressure, and once the reader reads the
#      transfer still ends byte-exact; then the pool is back to nearly 0.
# "Nearly": as for Linux TCP, each CPU keeps up to 256 pages of the pool's
# count to itself (SK_MEMORY_PCPU_RESERVE), so the column lags the truth by
# up to that much per CPU; tcp_mem below that would never leave pressure.
# The sender's segmentation offloads are off, so each segment arrives alone
# and the per-socket allowance is a page or two, not a 64 KB super-segment.
#
# Prints TAP. TOYTCP_TEST_FAMILY=inet runs the server as Linux TCP (the
# columns are then TCP's, which also holds other memory: only the transfers
# are checked).
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mem="$here/ttmem.py"
fam=${TOYTCP_TEST_FAMILY:-toytcp}
case "$fam" in inet|AF_INET|af_inet) fam=2 ;; esac
proto=TOYTCP
[ "$fam" = 2 ] && proto=TCP
A=toytcp_a B=toytcp_b
tmp=$(mktemp -d /tmp/memory_test.XXXXXX)
conns=48
lag=$((256 * $(nproc)))		# pages the count may lag by
tcp_mem=$(cat /proc/sys/net/ipv4/tcp_mem)
n=0
failed=0

tap() { # tap STATUS NAME [COMMENT]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
	[ -n "$3" ] && echo "# $3"
}

cleanup() {
	echo "$tcp_mem" > /proc/sys/net/ipv4/tcp_mem
	kill $(jobs -p) 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# pages FIELD: the "memory" (pages) or "press" column of our protocol's line
col() {
	awk -v p="$proto" -v f="$1" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == p { print $(c[f]) }' /proc/net/protocols
}

# drained: no toytcp socket left in A (TIME_WAIT included: msl is short here)
drained() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(ip netns exec $A cat /proc/net/toytcp | grep -c '^ *[0-9]*:')" = 0 ] &&
			return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# transfer NAME: conns x 192 KB to a reader that waits 3 s, and then until all
# waits or no more comes in (ttmem.py wait_queued); samples the pool
transfer() {
	port=$((7800 + n))
	: > "$tmp/samples"
	ip netns exec $A $py "$mem" sink "$fam" 198.18.0.1 $port $conns 196608 3 1048576 \
		> "$tmp/sink" 2>&1 &
	sinkpid=$!
	i=0
	while ! grep -q ready "$tmp/sink" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	ip netns exec $B $py "$mem" source 198.18.0.1 $port $conns 196608 > "$tmp/source" 2>&1 &
	srcpid=$!
	# sample the pool until the reader is done (bounded: 60 s)
	i=0
	while kill -0 $sinkpid 2>/dev/null && [ $i -lt 600 ]; do
		echo "$(col memory) $(col press)" >> "$tmp/samples"
		sleep 0.1
		i=$((i + 1))
	done
	wait $sinkpid
	sink_rc=$?
	wait $srcpid
	src_rc=$?
	max=$(awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }' "$tmp/samples")
	press=$(grep -c ' yes$' "$tmp/samples")
	echo "# $1: $(cat "$tmp/sink" | tr '\n' ' ') pool at most $max pages, under pressure in $press of $(wc -l < "$tmp/samples") samples"
	[ $sink_rc = 0 ] && [ $src_rc = 0 ]
	tap $? "$1: $conns x 192 KB arrive byte-exact" "$(cat "$tmp/source")"
}

echo "TAP version 13"
echo "1..7"

ip netns del $A 2>/dev/null
ip netns del $B 2>/dev/null
ip -b - <<EOF
netns add $A
netns add $B
link add ttveth_a netns $A type veth peer name ttveth_b netns $B
EOF
ip -n $A addr add 198.18.0.1/24 dev ttveth_a
ip -n $B addr add 198.18.0.2/24 dev ttveth_b
for ns in $A $B; do
	ip -n $ns link set lo up
done
ip -n $A link set ttveth_a up
ip -n $B link set ttveth_b up
ip netns exec $B $py "$mem" offloads-off ttveth_b
msl=$(cat /sys/module/toytcp/parameters/msl)
echo 1 > /sys/module/toytcp/parameters/msl

transfer "plain"
plain_max=$max
[ "$fam" = 2 ] || { drained; [ "$(col memory)" -le $lag ]; }
tap $? "plain: the pool is back to at most $lag pages once the sockets are gone" "now $(col memory)"
# what the limit below allows: the hard limit, the lag, two pages a socket
bound=$((1024 + lag + 2 * conns))
[ "$fam" = 2 ] || [ "$plain_max" -gt $bound ]
tap $? "plain: the pool held the waiting data (at most $plain_max pages, more than $bound)"

echo "256 512 1024" > /proc/sys/net/ipv4/tcp_mem
transfer "tcp_mem 256 512 1024"
echo "$tcp_mem" > /proc/sys/net/ipv4/tcp_mem
[ "$fam" = 2 ] || [ "$max" -le $bound ]
tap $? "small tcp_mem: the pool stays at its hard limit (at most $max pages, $bound allowed)"
[ "$fam" = 2 ] || [ "$press" -gt 0 ]
tap $? "small tcp_mem: memory pressure reported"
[ "$fam" = 2 ] || { drained; [ "$(col memory)" -le $lag ]; }
tap $? "small tcp_mem: the pool is back to at most $lag pages" "now $(col memory)"

echo "$msl" > /sys/module/toytcp/parameters/msl
exit $failed
