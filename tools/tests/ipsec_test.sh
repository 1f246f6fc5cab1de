#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VM test: a route that needs an IPsec transform never carries toytcp's
# segments in cleartext. toytcp's output hands a segment whose route has an
# xfrm bundle to the transform (dst_output()), as Linux's IPv4 output does.
#
# Namespaces toytcp_a (198.18.1.1, toytcp) and toytcp_b (198.18.1.2, Linux
# TCP) over a veth pair, with ESP in transport mode (AES-GCM) required for
# TCP both ways by policies on both sides: B drops cleartext TCP from A
# (its inbound policy wants ESP). Cases, each first with Linux TCP on both
# sides (the reference: checks the set-up) and then with toytcp:
#   - toytcp as client and as server: 20000 bytes up, 30000 down, complete;
#   - the capture on B's end holds ESP packets and not one cleartext TCP
#     segment.
# Prints TAP: "ok N name" / "not ok N name".
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
peer="$here/ttpeer.py"
A=toytcp_a B=toytcp_b
tmp=$(mktemp -d /tmp/ipsec_test.XXXXXX)
tdpid=
. "$here/tt_lib.sh"

cleanup() {
	[ -n "$tdpid" ] && kill "$tdpid" 2>/dev/null
	ns_pair_del $A $B
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..12"

ns_pair $A ttveth_a 198.18.1.1 $B ttveth_b 198.18.1.2
tap $? setup.namespaces

# the same two security associations on both sides; each side's policies
# send its TCP out through ESP and accept inbound TCP only through ESP
key=0x0123456789abcdef0123456789abcdef01234567
xfrm_setup() { # xfrm_setup NS LOCAL REMOTE
	ip -n "$1" -b - <<EOF
xfrm state add src 198.18.1.1 dst 198.18.1.2 proto esp spi 0x1001 mode transport reqid 7 aead rfc4106(gcm(aes)) $key 128
xfrm state add src 198.18.1.2 dst 198.18.1.1 proto esp spi 0x1002 mode transport reqid 7 aead rfc4106(gcm(aes)) $key 128
xfrm policy add src $2 dst $3 proto tcp dir out tmpl proto esp mode transport reqid 7
xfrm policy add src $3 dst $2 proto tcp dir in tmpl proto esp mode transport reqid 7
EOF
}
xfrm_setup $A 198.18.1.1 198.18.1.2 && xfrm_setup $B 198.18.1.2 198.18.1.1
tap $? setup.esp_transport_both_ways "ip xfrm failed (CONFIG_XFRM_USER, CONFIG_INET_ESP?)"

# one_case NAME A_FAMILY ROLE PORT: A's side is client or server
one_case() {
	name=$1 afam=$2 role=$3 port=$4
	d=$tmp/$name
	mkdir -p "$d"
	# everything on the wire for this port: cleartext TCP, and ESP
	# --immediate-mode: each packet to the file at once, not when the
	# kernel's capture block is handed over (up to a second later)
	ip netns exec $B timeout 120 tcpdump -i ttveth_b -n -U --immediate-mode -w "$d/cap.pcap" \
		"tcp port $port or esp" 2> "$d/tcpdump.err" &
	tdpid=$!
	wait_for "$d/tcpdump.err" 'listening on' || echo "# tcpdump not listening after 30 s"
	if [ "$role" = client ]; then
		sns=$B sfam=2 sip=198.18.1.2 cns=$A cfam=$afam
	else
		sns=$A sfam=$afam sip=198.18.1.1 cns=$B cfam=2
	fi
	ip netns exec $sns timeout 60 $py "$peer" server "$sfam" "$sip" "$port" 30000 \
		> "$d/server.out" 2>&1 &
	spid=$!
	wait_for "$d/server.out" ready
	ip netns exec $cns timeout 60 $py "$peer" client "$cfam" "$sip" "$port" 20000 \
		> "$d/client.out" 2>&1
	crc=$?
	wait $spid
	src=$?
	sleep 1	# the last segments
	kill -INT $tdpid 2>/dev/null
	wait $tdpid
	tdpid=

	grep -q '^sent 20000 received 30000$' "$d/client.out" && [ $crc = 0 ] &&
		grep -q '^sent 30000 received 20000$' "$d/server.out" && [ $src = 0 ]
	tap $? "$name.connection_completes" \
		"client: $(tail -n 1 "$d/client.out"); server: $(tail -n 1 "$d/server.out")"
	clear=$(tcpdump -r "$d/cap.pcap" -nn "tcp port $port" 2>/dev/null | wc -l)
	esp=$(tcpdump -r "$d/cap.pcap" -nn esp 2>/dev/null | wc -l)
	[ "$clear" = 0 ] && [ "$esp" -gt 0 ]
	tap $? "$name.only_esp_on_the_wire" \
		"$clear cleartext TCP packets, $esp ESP packets; tcpdump: $(tr '\n' ' ' < "$d/tcpdump.err")"
}

one_case linux_client 2 client 5101
one_case linux_server 2 server 5102
one_case toy_client toytcp client 5103
one_case toy_server toytcp server 5104

# the policy really holds: without B's SAs, toytcp's connect fails (no
# cleartext fallback), as Linux's does
ip -n $B xfrm state flush
for fam in 2 toytcp; do
	ip netns exec $B timeout 20 $py "$peer" server 2 198.18.1.2 5105 1 \
		> "$tmp/nosa-server.out" 2>&1 &
	spid=$!
	wait_for "$tmp/nosa-server.out" ready
	echo 2 > /sys/module/toytcp/parameters/syn_retries
	ip netns exec $A sysctl -qw net.ipv4.tcp_syn_retries=2
	ip netns exec $A timeout 30 $py "$peer" client "$fam" 198.18.1.2 5105 1 \
		> "$tmp/nosa-client.out" 2>&1
	crc=$?
	echo 6 > /sys/module/toytcp/parameters/syn_retries
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	[ $crc != 0 ]
	tap $? "no_sa_at_peer.connect_fails.family_$fam" "client: $(tail -n 1 "$tmp/nosa-client.out")"
done
exit $failed
