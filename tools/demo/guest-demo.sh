#!/bin/sh
# Inside the demo VM (Debian's stock kernel): load toytcp, then walk the
# seed's stages: sockets are created, and a toytcp client fetches a page
# from a Linux TCP web server (python3 http.server) in another network
# namespace, across a veth pair.
ko=$1
bin=$2
set -e
say() { printf '\n== %s ==\n' "$*"; }

say "load the module"
echo "\$ insmod toytcp.ko"
insmod "$ko"
# the module's pr_debug lines: control blocks and state changes
echo 'module toytcp +p' > /sys/kernel/debug/dynamic_debug/control 2>/dev/null || true
dmesg | grep 'toytcp:' | sed 's/^/    /'

say "stage 1: socket"
"$bin/toydemo" 2

say "a Linux TCP web server in namespace 'web', 198.18.0.2:8080"
ip netns add web
ip link add toy0 type veth peer name web0
ip link set web0 netns web
ip addr add 198.18.0.1/24 dev toy0
ip link set toy0 up
ip -n web addr add 198.18.0.2/24 dev web0
ip -n web link set web0 up
ip -n web link set lo up
mkdir -p /tmp/www
cat > /tmp/www/index.html <<'HTML'
<html><body><h1>Hello from Linux TCP</h1>
<p>This page crossed a veth pair into a toytcp socket.</p></body></html>
HTML
(cd /tmp/www && ip netns exec web python3 -m http.server 8080 --bind 198.18.0.2 \
	> /tmp/http.log 2>&1 &)
i=0
until ip netns exec web sh -c 'grep -q ":1F90 " /proc/net/tcp'; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "web server did not start"; exit 1; }
	sleep 0.1
done
echo "    listening"

say "stages 2-4: connect, write/read, close (toyget)"
dmesg -C
"$bin/toyget" 198.18.0.2 8080 /index.html

say "what the module said (state changes)"
dmesg | grep 'toytcp:' | grep -v 'control block' | sed 's/^/    /'

say "stage 5: TIME_WAIT, then removal"
echo "The side that closes first keeps the connection in TIME_WAIT for 2*MSL."
echo "HTTP/1.0: the server closed first, so TIME_WAIT is on Linux's side:"
echo "\$ ip netns exec web ss -tan"
ip netns exec web ss -tan | sed 's/^/    /'
echo "and toytcp's side went CLOSE-WAIT -> LAST-ACK -> CLOSED: /proc/net/toytcp is empty:"
sed 's/^/    /' /proc/net/toytcp
echo
echo "\$ cat /proc/net/toytcp_stats"
sed 's/^/    /' /proc/net/toytcp_stats
