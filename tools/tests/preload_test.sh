#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VM test (issue 11): unmodified programs over toytcp through toytcp-run
# (tools/preload/): curl, wget, python's http.server, urllib and asyncio,
# nc (openbsd), socat, iperf3 (its TCP_INFO figures too) and nginx
# (sendfile, reuseport), with Linux TCP on the other side and with toytcp
# on both sides, and the wrapper's port restriction.
#
# Namespace toytcp_a (198.18.0.1) runs the programs under toytcp-run
# --strict, toytcp_b (198.18.0.2) runs them plain, on Linux TCP. Every
# transfer is compared byte for byte, and each case proves that toytcp
# carried it: toytcp_a's InDataBytes (bytes received in order) or
# OutDataBytes (new bytes sent) in /proc/net/toytcp_stats grew by at least
# the payload, and Linux TCP's InSegs + OutSegs in toytcp_a (/proc/net/snmp)
# did not grow at all.
#
# Environment: TOYTCP_BIN (where toytcp-run and libtoytcp.so are; the
# guest suite sets it), TOYTCP_PRELOAD_MB (the nc and socat transfers, in
# MB; sizes below), TOYTCP_TEST_FAMILY=inet (the
# same programs without toytcp-run, on Linux TCP: checks the test; the
# counter checks are then skipped).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tt_lib.sh"
py=/usr/bin/python3
apps="$here/ttapps.py"
bin=${TOYTCP_BIN:-$here/../../.build/tools}
# nc and socat carry 50 MB each way, the http cases 10 MB, iperf3 runs 2 s,
# asyncio echoes 1000 messages on Debian's kernel and under make stress; on
# the (slower) debug kernel in make check 8 MB, 4 MB, 1 s and 250 messages
case "$(uname -r)" in *-amd64) short= ;; *) short=1 ;; esac
[ "${TOYTCP_STRESS:-0}" = 1 ] && short=
if [ -n "$short" ]; then mb=8 httpmb=4 secs=1 msgs=250; else mb=50 httpmb=10 secs=2 msgs=1000; fi
mb=${TOYTCP_PRELOAD_MB:-$mb}
t0=$(date +%s)
elapsed() { echo "# $(($(date +%s) - t0)) s: $1"; }
A=toytcp_a B=toytcp_b
IPA=198.18.0.1 IPB=198.18.0.2
tmp=$(mktemp -d /tmp/preload_test.XXXXXX)
bg=
inet=
case "${TOYTCP_TEST_FAMILY:-toytcp}" in inet | AF_INET | af_inet | 2) inet=1 ;; esac
if [ -n "$inet" ]; then run=; else run="$bin/toytcp-run --strict"; fi

# msl 1 s while the test runs: TIME_WAIT lasts 2 s, and A's table can be
# waited for before the namespaces go (a socket left in a deleted
# namespace would keep the module loaded until its TIME_WAIT ended)
msl0=$(cat /sys/module/toytcp/parameters/msl 2>/dev/null)
[ -n "$msl0" ] && echo 1 > /sys/module/toytcp/parameters/msl
cleanup() {
	for p in $bg; do kill "$p" 2>/dev/null; done
	# the servers themselves (a wrapper's pid is not theirs), by namespace
	for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null; done
	_i=0
	while [ -z "$inet" ] && [ $_i -lt 150 ] &&
		[ "$(ip netns exec $A grep -c '^ *[0-9]*:' /proc/net/toytcp 2>/dev/null)" != 0 ]; do
		sleep 0.2
		_i=$((_i + 1))
	done
	[ -n "$msl0" ] && echo "$msl0" > /sys/module/toytcp/parameters/msl
	ns_pair_del $A $B
	rm -rf "$tmp"
}
trap cleanup EXIT

inA() { ip netns exec $A "$@"; }
inB() { ip netns exec $B "$@"; }
# inA_run CMD...: CMD in toytcp_a under toytcp-run (plain in inet mode)
inA_run() { ip netns exec $A $run "$@"; }
# bg_start LOG CMD...: CMD in the background, its output in LOG
bg_start() {
	_log=$1
	shift
	"$@" > "$_log" 2>&1 &
	bg="$bg $!"
}

# listening NS PORT: wait (up to 30 s) for a listener on PORT in NS's
# /proc/net/toytcp or /proc/net/tcp
listening() {
	_hex=$(printf ':%04X' "$2")
	_i=0
	until ip netns exec "$1" awk -v p="$_hex" 'NR > 1 && substr($2, 9) == p && $4 == "0A" { f = 1 }
		END { exit !f }' /proc/net/toytcp /proc/net/tcp; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] && return 1
		sleep 0.1
	done
}

stat_a() { inA awk -v k="$1" '$1 == k { print $2 }' /proc/net/toytcp_stats; }
linux_segs_a() { inA awk '$1 == "Tcp:" && $2 ~ /^[0-9]/ { print $11 + $12 }' /proc/net/snmp; }

# mark; ...; carried IN OUT: toytcp_a's toytcp received at least IN bytes
# and sent at least OUT new bytes since mark, and its Linux TCP nothing.
mark() {
	[ -n "$inet" ] && return
	in0=$(stat_a InDataBytes) out0=$(stat_a OutDataBytes) lin0=$(linux_segs_a)
}
carried() {
	[ -n "$inet" ] && return 0
	din=$(($(stat_a InDataBytes) - in0)) dout=$(($(stat_a OutDataBytes) - out0))
	dlin=$(($(linux_segs_a) - lin0))
	why="toytcp in $din out $dout bytes, Linux TCP $dlin segments"
	[ "$din" -ge "$1" ] && [ "$dout" -ge "$2" ] && [ "$dlin" = 0 ]
}
# same NAME FILE COPY: TAP for a transfer that must be byte-exact and toytcp's
same() {
	if ! cmp -s "$2" "$3"; then
		tap 1 "$1" "$3: $(wc -c < "$3" 2>/dev/null || echo no) bytes, differs from $2; $why"
	else
		tap 0 "$1"
	fi
}

echo "TAP version 13"
echo "1..23"
size=$((httpmb * 1024 * 1024))
big=$((mb * 1024 * 1024))

ns_pair $A ttveth_a $IPA $B ttveth_b $IPB
tap $? setup.namespaces
mkdir -p "$tmp/www"
head -c $size /dev/urandom > "$tmp/www/f10"
head -c $big /dev/urandom > "$tmp/big"

# Linux's http.server in B, toytcp's (python under toytcp-run) in A.
bg_start "$tmp/srvB.log" inB $py -u -m http.server 8000 --bind $IPB --directory "$tmp/www"
bg_start "$tmp/srvA.log" inA_run $py -u -m http.server 8001 --bind $IPA --directory "$tmp/www"
wait_for "$tmp/srvB.log" "Serving HTTP" && wait_for "$tmp/srvA.log" "Serving HTTP"
tap $? setup.http_servers "$(cat "$tmp/srvA.log" "$tmp/srvB.log")"

mark
inA_run curl -4 -sS --max-time 120 -o "$tmp/c1" http://$IPB:8000/f10 2> "$tmp/err"
carried $size 0
same curl.toytcp_client_linux_server "$tmp/www/f10" "$tmp/c1"

mark
inB curl -4 -sS --max-time 120 -o "$tmp/c2" http://$IPA:8001/f10 2> "$tmp/err"
carried 0 $size
same curl.linux_client_toytcp_server "$tmp/www/f10" "$tmp/c2"

mark
inA_run curl -4 -sS --max-time 120 -o "$tmp/c3" http://$IPA:8001/f10 2> "$tmp/err"
carried $size $size
same curl.toytcp_both_sides "$tmp/www/f10" "$tmp/c3"

mark
inA_run wget -4 -q -T 120 -O "$tmp/w1" http://$IPB:8000/f10
carried $size 0
same wget.toytcp_client_linux_server "$tmp/www/f10" "$tmp/w1"

mark
inB wget -4 -q -T 120 -O "$tmp/w2" http://$IPA:8001/f10
carried 0 $size
same wget.linux_client_toytcp_server "$tmp/www/f10" "$tmp/w2"

mark
inA_run $py "$apps" urlget http://$IPB:8000/f10 "$tmp/u1"
carried $size 0
same urllib.toytcp_client_linux_server "$tmp/www/f10" "$tmp/u1"

elapsed "http done"
# asyncio: $msgs messages echoed, each way round.
bg_start "$tmp/echoB.log" inB $py -u "$apps" echo-server $IPB 8100
bg_start "$tmp/echoA.log" inA_run $py -u "$apps" echo-server $IPA 8101
bg_start "$tmp/echoB2.log" inB $py -u "$apps" echo-server $IPB 8102	# for --ports
wait_for "$tmp/echoB.log" listening && wait_for "$tmp/echoA.log" listening &&
	wait_for "$tmp/echoB2.log" listening
mark
r=$(inA_run timeout 120 $py "$apps" echo-client $IPB 8100 $msgs 2>&1)
[ "$r" = "echoed $msgs" ] && carried 1000 1000
tap $? asyncio.toytcp_client_linux_echo_server "$r; $why"
mark
r=$(inB timeout 120 $py "$apps" echo-client $IPA 8101 $msgs 2>&1)
[ "$r" = "echoed $msgs" ] && carried 1000 1000
tap $? asyncio.linux_client_toytcp_echo_server "$r; $why"

elapsed "asyncio done"
# nc and socat: $mb MB each way.
mark
bg_start "$tmp/ncB.log" sh -c "ip netns exec $B timeout 300 nc -d -l $IPB 9000 > $tmp/n1"
listening $B 9000
inA_run timeout 300 nc -N $IPB 9000 < "$tmp/big"
wait $!
carried 0 $big
same nc.toytcp_sends "$tmp/big" "$tmp/n1"

mark
bg_start "$tmp/ncA.log" sh -c "ip netns exec $A $run timeout 300 nc -d -l $IPA 9001 > $tmp/n2"
listening $A 9001
inB timeout 300 nc -N $IPA 9001 < "$tmp/big"
wait $!
carried $big 0
same nc.toytcp_receives "$tmp/big" "$tmp/n2"

mark
bg_start "$tmp/soB.log" inB timeout 300 socat -u TCP4-LISTEN:9002,bind=$IPB,reuseaddr CREATE:"$tmp/s1"
listening $B 9002
inA_run timeout 300 socat -u FILE:"$tmp/big" TCP4:$IPB:9002
wait $!
carried 0 $big
same socat.toytcp_sends "$tmp/big" "$tmp/s1"

mark
bg_start "$tmp/soA.log" inA_run timeout 300 socat -u TCP4-LISTEN:9003,bind=$IPA,reuseaddr CREATE:"$tmp/s2"
listening $A 9003
inB timeout 300 socat -u FILE:"$tmp/big" TCP4:$IPA:9003
wait $!
carried $big 0
same socat.toytcp_receives "$tmp/big" "$tmp/s2"

elapsed "nc and socat done"
# iperf3: toytcp sending, receiving (-R), 4 streams (-P 4), and as the
# server; what it reports from TCP_INFO must be there and sane.
# iperf_case NAME CLIENT_NS SERVER_ADDR PORT STREAMS CARRIED_DIR ARGS...
iperf_case() {
	_name=$1 _cns=$2 _addr=$3 _port=$4 _streams=$5 _dir=$6
	shift 6
	mark
	if [ "$_cns" = A ]; then
		inA_run timeout 120 iperf3 -4 -c "$_addr" -p "$_port" -t $secs -J --get-server-output "$@"
	else
		inB timeout 120 iperf3 -4 -c "$_addr" -p "$_port" -t $secs -J --get-server-output "$@"
	fi > "$tmp/$_name.json" 2> "$tmp/$_name.err"
	r=$($py "$apps" iperf-check "$tmp/$_name.json" "$_streams" 1 2>&1)
	_bytes=${r#bytes }
	case $r in
	"bytes "*)
		if [ "$_dir" = out ]; then carried 0 "$_bytes"; else carried "$_bytes" 0; fi
		tap $? "$_name" "$r; $why" ;;
	*) tap 1 "$_name" "$r $(head -c 300 "$tmp/$_name.err")" ;;
	esac
}
bg_start "$tmp/ipB.log" inB iperf3 -s -J -4 -B $IPB -p 5201
bg_start "$tmp/ipA.log" inA_run iperf3 -s -J -4 -B $IPA -p 5202
listening $B 5201 && listening $A 5202
iperf_case iperf3.toytcp_sends A $IPB 5201 1 out
iperf_case iperf3.toytcp_receives A $IPB 5201 1 in -R
iperf_case iperf3.toytcp_4_streams A $IPB 5201 4 out -P 4
iperf_case iperf3.toytcp_server_sends B $IPA 5202 1 out -R

elapsed "iperf3 done"
# nginx (Debian's), serving with sendfile on, one listener per worker with
# reuseport: to Linux's curl and to toytcp's.
mkdir -p "$tmp/ngx"
cat > "$tmp/ngx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user root;
pid $tmp/ngx/nginx.pid;
error_log $tmp/ngx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $tmp/ngx/body;
	proxy_temp_path $tmp/ngx/proxy;
	fastcgi_temp_path $tmp/ngx/fastcgi;
	uwsgi_temp_path $tmp/ngx/uwsgi;
	scgi_temp_path $tmp/ngx/scgi;
	server {
		listen $IPA:8080 reuseport;
		root $tmp/www;
	}
}
EOF
bg_start "$tmp/ngx.log" inA_run nginx -e "$tmp/ngx/error.log" -p "$tmp/ngx" -c "$tmp/ngx/nginx.conf"
listening $A 8080
nlisten=$(inA awk 'NR > 1 && substr($2, 9) == ":1F90" && $4 == "0A"' /proc/net/toytcp | wc -l)
[ -n "$inet" ] || [ "$nlisten" = 2 ]
tap $? nginx.reuseport_a_toytcp_listener_per_worker \
	"$nlisten listeners; $(cat "$tmp/ngx.log" "$tmp/ngx/error.log" 2>/dev/null | tail -5)"
mark
inB curl -4 -sS --max-time 120 -o "$tmp/g1" http://$IPA:8080/f10 2> "$tmp/err"
carried 0 $size
same nginx.sendfile_to_linux_curl "$tmp/www/f10" "$tmp/g1"
mark
inA_run curl -4 -sS --max-time 120 -o "$tmp/g2" http://$IPA:8080/f10 2> "$tmp/err"
carried $size $size
same nginx.sendfile_to_toytcp_curl "$tmp/www/f10" "$tmp/g2"

elapsed "nginx done"
# --ports: only the named port's socket is toytcp's. Ports in hex as
# /proc/net/{toytcp,tcp} show them: 8000 = 1F40, 8102 = 1FA6, 8200 = 2008,
# 8201 = 2009.
# in_table FILE PORT_HEX remote|local: an established connection to that
# remote port, or a listener on that local port, in A's FILE
in_table() {
	if [ "$3" = remote ]; then col=3 st=01; else col=2 st=0A; fi
	inA awk -v c=$col -v p=":$2" -v st=$st \
		'NR > 1 && substr($c, 9) == p && $4 == st { f = 1 } END { exit !f }' "$1"
}
if [ -n "$inet" ]; then
	tap 0 "ports.only_the_named_remote_port # SKIP inet mode"
	tap 0 "ports.only_the_named_local_port # SKIP inet mode"
else
	mkfifo "$tmp/hold1" "$tmp/hold2"
	inA "$bin/toytcp-run" -s -p 8000 $py -u "$apps" two-conns $IPB 8000 8102 < "$tmp/hold1" > "$tmp/two.log" 2>&1 &
	bg="$bg $!"
	exec 7> "$tmp/hold1"
	wait_for "$tmp/two.log" ready &&
		in_table /proc/net/toytcp 1F40 remote && ! in_table /proc/net/toytcp 1FA6 remote &&
		in_table /proc/net/tcp 1FA6 remote && ! in_table /proc/net/tcp 1F40 remote &&
		grep -q "port 8000: error 0 nodelay 1 nonblock 1 domain 2" "$tmp/two.log" &&
		grep -q "port 8102: error 0 nodelay 1 nonblock 1 domain 2" "$tmp/two.log"
	tap $? ports.only_the_named_remote_port "$(cat "$tmp/two.log"; inA cat /proc/net/toytcp /proc/net/tcp)"
	exec 7>&-

	inA "$bin/toytcp-run" -s --ports=8200 $py -u "$apps" two-listeners $IPA 8200 8201 < "$tmp/hold2" > "$tmp/lis.log" 2>&1 &
	bg="$bg $!"
	exec 7> "$tmp/hold2"
	wait_for "$tmp/lis.log" ready &&
		in_table /proc/net/toytcp 2008 local && ! in_table /proc/net/toytcp 2009 local &&
		in_table /proc/net/tcp 2009 local && ! in_table /proc/net/tcp 2008 local
	tap $? ports.only_the_named_local_port "$(cat "$tmp/lis.log"; inA cat /proc/net/toytcp /proc/net/tcp)"
	exec 7>&-
fi

[ $failed = 0 ]
