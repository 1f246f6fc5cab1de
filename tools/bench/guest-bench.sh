#!/bin/sh
# Inside the bench VM (Debian's stock kernel): load toytcp and measure it
# against Linux TCP with toybench, the same program with only the family
# switched.
#
#	guest-bench.sh TOYTCP.KO BINDIR
#
# Two network namespaces, cli (198.18.0.1) and srv (198.18.0.2), joined by
# a veth pair. srv runs a toybench server per family (Linux on port 5001,
# toytcp on 5002); cli runs the clients. Each row of the table is one mode
# with toytcp on a given side; for each row: a warm-up run of each, then
# PAIRS alternating pairs back to back (Linux <-> Linux, then the same with
# toytcp in its place, ...). Then once more over loopback in cli: one pair
# per row. Every run goes to $TOYTCP_OUT/bench.results; report.py turns
# them into the table and $TOYTCP_OUT/svg/bench-ratios.svg.
#
# Then the slab memory of 1000 idle connections (toybench idle, both ends
# in cli over loopback), in PAIRS pairs.
#
# Environment: BENCH_SHORT=1 (one pair, 0.3 s runs, no warm-up, 200 idle
# connections: for make check), BENCH_PAIRS, BENCH_TIME (seconds per run),
# BENCH_WARM (seconds per warm-up run, 0: none).
ko=$1
bin=$2
here=$(cd "$(dirname "$0")" && pwd)
out=${TOYTCP_OUT:-/tmp}
results=$out/bench.results
set -e

if [ "${BENCH_SHORT:-0}" = 1 ]; then
	pairs=${BENCH_PAIRS:-1} secs=${BENCH_TIME:-0.3} warm=${BENCH_WARM:-0} conns=200
else
	pairs=${BENCH_PAIRS:-5} secs=${BENCH_TIME:-3} warm=${BENCH_WARM:-1} conns=1000
fi
t0=$(date +%s)

insmod "$ko"
modprobe veth
modprobe sch_netem
echo "bench: $(uname -r), $(nproc) cores; $pairs pair(s) of $secs s runs per row"

# cli --- veth --- srv; loopback inside cli
ip netns add cli
ip netns add srv
ip link add bcli type veth peer name bsrv
ip link set bcli netns cli
ip link set bsrv netns srv
ip -n cli addr add 198.18.0.1/24 dev bcli
ip -n srv addr add 198.18.0.2/24 dev bsrv
for ns in cli srv; do
	ip -n $ns link set lo up
done
ip -n cli link set bcli up
ip -n srv link set bsrv up

# server NS ADDRESS FAMILY PORT: a toybench server, until the VM stops
server() {
	log=/tmp/server-$1-$3.log
	ip netns exec "$1" "$bin/toybench" server -f "$3" -a "$2" -p "$4" 2> "$log" &
	i=0
	until grep -q listening "$log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "bench: server $1 $3 did not start"; cat "$log"; exit 1; }
		sleep 0.1
	done
}
server srv 198.18.0.2 inet 5001
server srv 198.18.0.2 toytcp 5002
server cli 127.0.0.1 inet 5001
server cli 127.0.0.1 toytcp 5002

# once ADDRESS MODE CLIENT SERVER SECONDS: one client run; "VALUE UNIT",
# or "fail -" if it failed
once() {
	port=5001
	[ "$4" = inet ] || port=5002
	[ "$2" = idle ] && port=5003	# both ends in the client: no server
	if ! r=$(ip netns exec cli "$bin/toybench" "$2" -f "$3" -a "$1" -p "$port" -t "$5" \
		 -n "$conns" ${cc:+-c "$cc"} 2> /tmp/client.err); then
		sed 's/^/bench: /' /tmp/client.err >&2
		r="fail -"
	fi
	echo "$r"
}

# row WIRE NAME MODE CLIENT SERVER PAIRS [CC]: warm-up, then PAIRS pairs of
# (Linux <-> Linux, CLIENT -> SERVER), appended to $results as
# "WIRE<tab>NAME<tab>linux|toytcp<tab>PAIR<tab>VALUE<tab>UNIT"; with CC, the
# clients of both (Linux's and toytcp's) use that congestion control.
row() {
	cc=${7:-}
	addr=198.18.0.2
	[ "$1" = veth ] || addr=127.0.0.1
	if [ "$warm" != 0 ]; then
		once $addr "$3" inet inet "$warm" > /dev/null
		once $addr "$3" "$4" "$5" "$warm" > /dev/null
	fi
	p=1
	while [ $p -le "$6" ]; do
		lin=$(once $addr "$3" inet inet "$secs")
		toy=$(once $addr "$3" "$4" "$5" "$secs")
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" linux $p "${lin% *}" "${lin#* }" \
			"$1" "$2" toytcp $p "${toy% *}" "${toy#* }" >> "$results"
		echo "bench: $1 $2 pair $p: Linux $lin, toytcp $toy"
		p=$((p + 1))
	done
}

# netem on both ends of the veth pair: LOSS (1 % or 5 %) and 5 ms delay each way.
# netem drops whole skbs: with segmentation offload a 64 KB GSO skb is
# one loss of 44 segments, and a stack that sends larger skbs sees fewer
# losses per segment. gso_max_segs 1 on both ends first, which Linux TCP
# and toytcp both obey (device GSO off would not do: Linux TCP 6.1 makes
# GSO skbs anyway and has them cut after netem), so that both hand netem
# one segment per skb and 1 % of segments are lost for either.
netem() { # netem add LOSS% | netem del
	for end in cli:bcli srv:bsrv; do
		ns=${end%:*} dev=${end#*:}
		if [ "$1" = add ]; then
			ip -n "$ns" link set dev "$dev" gso_max_segs 1
			ip netns exec "$ns" tc qdisc add dev "$dev" root netem loss "$2" delay 5ms
		else
			ip netns exec "$ns" tc qdisc del dev "$dev" root
		fi
	done
}

: > "$results"
# The rows: name, mode, client family, server family. The names say where
# toytcp is; "Linux median" is always Linux <-> Linux in the same mode.
rows() { # rows WIRE PAIRS
	row "$1" "stream toytcp->Linux"      stream    toytcp inet   "$2"
	row "$1" "stream-rx Linux->toytcp"   stream-rx toytcp inet   "$2"
	row "$1" "rr toytcp client"          rr        toytcp inet   "$2"
	row "$1" "crr toytcp client"         crr       toytcp inet   "$2"
	row "$1" "crr toytcp server"         crr       inet   toytcp "$2"
	row "$1" "stream toytcp<->toytcp"    stream    toytcp toytcp "$2"
}
rows veth "$pairs"
# loss recovery (issue 10): each congestion control against Linux's same one
# ("stream-loss toytcp->Linux" is 1 % loss with both defaults: cubic)
netem add 1%
row veth "stream-loss toytcp->Linux"       stream-loss toytcp inet "$pairs"
row veth "stream-loss 1% reno"             stream-loss toytcp inet "$pairs" reno
row veth "retransmitted 1% cubic"          stream-retx toytcp inet "$pairs" cubic
row veth "retransmitted 1% reno"           stream-retx toytcp inet "$pairs" reno
netem del
netem add 5%
row veth "stream-loss 5% cubic"            stream-loss toytcp inet "$pairs" cubic
row veth "stream-loss 5% reno"             stream-loss toytcp inet "$pairs" reno
netem del
rows lo 1
# memory: $conns idle connections, both ends toytcp (or both Linux)
warm=0 row lo "memory of idle connections" idle toytcp toytcp "$pairs"

echo "bench: $(($(date +%s) - t0)) s in the VM"
mkdir -p "$out/svg"
python3 "$here/report.py" "$results" "$out/svg/bench-ratios.svg" \
	"$(date -u +%Y-%m-%d), Debian's kernel $(uname -r), $(nproc) cores, qemu VM"
