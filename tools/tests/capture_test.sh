#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VM test: a tcpdump capture of toytcp talking to Linux TCP decodes as valid
# TCP, checked by tcpdump -vv and by tshark, not by eye.
#
# Two connections across the veth pair between namespaces toytcp_a
# (198.18.0.1, toytcp) and toytcp_b (198.18.0.2, Linux TCP): toytcp as
# client and toytcp as server. The client sends 5000 bytes and shuts down
# writing, the server reads to the end, sends 3000 bytes and closes. The
# capture is taken on toytcp_b's end of the veth pair with transmit
# checksum offload off on both ends (no ethtool here: tools/tests/ttpeer.py
# does the ioctl), so every checksum on the wire is a real one. Checked:
#   - every checksum correct (tcpdump -vv "(correct)", tshark status Good);
#   - SYN, SYN-ACK, ACK in that order with the right sequence numbers;
#   - all the data both ways;
#   - a FIN each way, each acknowledged (FIN seq = 1 + data, ACK = 2 + data);
#   - no RST, no retransmission, duplicate ACK, lost or out-of-order
#     segment, zero window or malformed packet (tshark's analysis).
# Prints TAP: "ok N name" / "not ok N name". TOYTCP_TEST_FAMILY=inet runs the
# toytcp side as Linux TCP (checks this test itself).
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
peer="$here/ttpeer.py"
fam=${TOYTCP_TEST_FAMILY:-toytcp}
case "$fam" in inet|AF_INET|af_inet) fam=2 ;; esac
A=toytcp_a B=toytcp_b
tmp=$(mktemp -d /tmp/capture_test.XXXXXX)
n=0
failed=0
tdpid=

tap() { # tap STATUS NAME [COMMENT]: one TAP line
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
		[ -n "$3" ] && echo "# $3"
	fi
}

cleanup() {
	[ -n "$tdpid" ] && kill "$tdpid" 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..15"

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
ip netns exec $A $py "$peer" txcsum-off ttveth_a &&
	ip netns exec $B $py "$peer" txcsum-off ttveth_b
tap $? setup.namespaces_and_tx_checksum_offload_off

# one_case NAME CLIENT_NS CLIENT_FAM SERVER_NS SERVER_FAM SERVER_IP PORT
one_case() {
	name=$1 cns=$2 cfam=$3 sns=$4 sfam=$5 sip=$6 port=$7
	d=$tmp/$name
	failed_before=$failed
	mkdir -p "$d"

	# capture on B's end of the pair, until told to stop
	ip netns exec $B timeout 120 tcpdump -i ttveth_b -n -U \
		-w "$d/cap.pcap" "tcp port $port" 2> "$d/tcpdump.err" &
	tdpid=$!
	i=0
	until grep -q 'listening on' "$d/tcpdump.err" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && break
		sleep 0.1
	done

	ip netns exec $sns timeout 60 $py "$peer" server "$sfam" "$sip" "$port" 3000 \
		> "$d/server.out" 2>&1 &
	spid=$!
	i=0
	until grep -q ready "$d/server.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && break
		sleep 0.1
	done
	ip netns exec $cns timeout 60 $py "$peer" client "$cfam" "$sip" "$port" 5000 \
		> "$d/client.out" 2>&1
	crc=$?
	wait $spid
	src=$?
	sleep 1	# the last ACKs
	kill -INT $tdpid 2>/dev/null
	wait $tdpid
	tdpid=

	grep -q '^sent 5000 received 3000$' "$d/client.out" && [ $crc = 0 ] &&
		grep -q '^sent 3000 received 5000$' "$d/server.out" && [ $src = 0 ]
	tap $? "$name.connection_completes" \
		"client: $(tail -n 1 "$d/client.out"); server: $(tail -n 1 "$d/server.out")"

	tcpdump -r "$d/cap.pcap" -nn -vv > "$d/dump.txt" 2> /dev/null
	packets=$(grep -c 'Flags \[' "$d/dump.txt")
	correct=$(grep -c 'Flags \[.*cksum 0x[0-9a-f]* (correct)' "$d/dump.txt")
	[ "$packets" -gt 0 ] && [ "$packets" = "$correct" ]
	tap $? "$name.tcpdump_checksums_correct" \
		"$correct of $packets TCP checksums correct: $(grep -m 3 incorrect "$d/dump.txt")"

	# one line per packet: src,syn,ack,fin,rst,len,seq,ack#,cksum,stream,expert
	tshark -r "$d/cap.pcap" -o tcp.check_checksum:TRUE -o tcp.relative_sequence_numbers:TRUE \
		-T fields -E separator=, -E occurrence=a -E aggregator=/ \
		-e ip.src -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin \
		-e tcp.flags.reset -e tcp.len -e tcp.seq -e tcp.ack -e tcp.checksum.status \
		-e tcp.stream -e _ws.expert.message > "$d/fields.txt" 2> "$d/tshark.err"
	# the client is whoever sent the first SYN
	awk -F, -v out="$d/verdict" '
	NR == 1 { c = $1 }
	{
		from_c = $1 == c
		n++
		if ($9 != 1) badsum++
		if ($10 != 0) streams++
		if ($5 == 1) rst++
		msg = $11; for (i = 12; i <= NF; i++) msg = msg "," $i
		if (msg ~ /etransmission|ut-Of-Order|out-of-order|revious segment|ACKed segment|uplicate ACK|ero window|alformed|Bad checksum/)
			{ bad_exp++; why = why " [" NR ": " msg "]" }
		if (n == 1) hs1 = ($2 == 1 && $3 == 0 && from_c && $7 == 0)
		if (n == 2) hs2 = ($2 == 1 && $3 == 1 && !from_c && $7 == 0 && $8 == 1)
		if (n > 2 && from_c && !hs3_seen) { hs3_seen = 1; hs3 = ($2 == 0 && $3 == 1 && $8 == 1) }
		if (from_c) cbytes += $6; else sbytes += $6
		if ($4 == 1) {
			if (from_c) { cfin++; cfin_end = $7 + $6 } else { sfin++; sfin_end = $7 + $6 }
		}
		if (!from_c && $3 == 1 && $8 > sacked) sacked = $8
		if (from_c && $3 == 1 && $8 > cacked) cacked = $8
	}
	END {
		printf("checksums %d %d of %d bad\n", (n > 0 && !badsum), badsum, n) > out
		printf("handshake %d SYN %d, SYN-ACK %d, ACK %d\n", (hs1 && hs2 && hs3), hs1, hs2, hs3) > out
		printf("data %d client sent %d, server sent %d\n",
		       (cbytes == 5000 && sbytes == 3000), cbytes, sbytes) > out
		printf("fin %d client FIN %d ending at %d, acked %d; server FIN %d ending at %d, acked %d\n",
		       (cfin == 1 && sfin == 1 && cfin_end == 5001 && sfin_end == 3001 &&
			sacked == 5002 && cacked == 3002),
		       cfin, cfin_end, sacked, sfin, sfin_end, cacked) > out
		printf("clean %d %d RST, %d other streams, %d suspicious:%s\n",
		       (!rst && !streams && !bad_exp), rst, streams, bad_exp, why) > out
	}' "$d/fields.txt"
	for check in checksums handshake data fin clean; do
		line=$(grep "^$check " "$d/verdict" 2>/dev/null)
		case "$line" in "$check 1 "*) rc=0 ;; *) rc=1 ;; esac
		case $check in
		checksums) t=tshark_checksums_good ;;
		handshake) t=syn_synack_ack ;;
		data) t=all_data_both_ways ;;
		fin) t=fin_both_ways_acknowledged ;;
		clean) t=no_rst_retransmission_or_malformed ;;
		esac
		tap $rc "$name.$t" "${line:-no verdict: $(head -c 300 "$d/tshark.err")}"
	done
	# keep the evidence of a failure (TOYTCP_OUT is the VM's results share)
	keep=${TOYTCP_CAPTURE_KEEP:-}
	if [ $failed_before != $failed ] || [ -n "$TOYTCP_TEST_VERBOSE" ]; then
		sed 's/^/# /' "$d/dump.txt" "$d/verdict"
		[ -z "$keep" ] && [ $failed_before != $failed ] && keep=${TOYTCP_OUT:-}
	fi
	if [ -n "$keep" ] && [ -d "$keep" ]; then
		cp "$d/cap.pcap" "$keep/capture_test-$name.pcap"
		cp "$d/dump.txt" "$keep/capture_test-$name.txt"
		echo "# capture kept in $keep/capture_test-$name.pcap"
	fi
}

one_case toy_client $A "$fam" $B 2 198.18.0.2 5001
one_case toy_server $B 2 $A "$fam" 198.18.0.1 5002
exit $failed
