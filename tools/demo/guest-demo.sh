#!/bin/sh
# Inside the demo VM (Debian's stock kernel): load toytcp, then walk the
# seed's stages - socket, connect, write/read, close, removal - twice:
#
#   1. a toytcp client (toystep: toyget one stage at a time) fetches a page
#      from a Linux TCP web server (python3 http.server) in namespace web;
#   2. a Linux client (python3 urllib, in namespace web) fetches a page
#      from a toytcp server (toyserve);
#
# showing at each stage the segments as a ladder diagram (toytrace, from
# the tracepoints) and the sockets as ss shows them (toystat, from
# /proc/net/toytcp). Then a bulk transfer for a time-sequence graph, and
# an unmodified curl fetching it over toytcp (toytcp-run). Then the
# chapters of what happens inside write() and read() (chapters.py). The SVG
# drawings go to $TOYTCP_OUT/svg, a directory the host sees.
#
# With CHAPTER set (numbers or names, space-separated), only those chapters.
ko=$1
bin=$2
tools=$(cd "$(dirname "$0")/.." && pwd)
out=${TOYTCP_OUT:-/tmp}/svg
set -e
say() { printf '\n== %s ==\n' "$*"; }
run() { echo "\$ $*"; "$@" 2>&1 | sed 's/^/    /'; }
toystat() { python3 "$tools/toystat" "$@"; }
toytrace() { python3 "$tools/toytrace" "$@"; }
# wait_for FILE TEXT: until FILE holds TEXT (bounded: 10 s)
wait_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "timed out waiting for '$2'"; cat "$1"; exit 1; }
		sleep 0.1
	done
}
# start_recording NAME: toytrace records every toytcp event to /tmp/NAME.trace
start_recording() {
	rm -f "/tmp/$1.trace"
	toytrace --instance "$1" -q -w "/tmp/$1.trace" &
	echo $! > "/tmp/$1.pid"
	i=0
	until [ -e "/tmp/$1.trace" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "toytrace did not start"; exit 1; }
		sleep 0.1
	done
}
stop_recording() {
	kill -TERM "$(cat "/tmp/$1.pid")"
	i=0
	while kill -0 "$(cat "/tmp/$1.pid")" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || break
		sleep 0.1
	done
}
# ladder NAME: the rows since the last marker
ladder() {
	sleep 0.3	# let the recorder catch up
	toytrace -r "/tmp/$1.trace" --last-section | sed 's/^/    /'
}

say "load the module"
echo "\$ insmod toytcp.ko"
insmod "$ko"
if [ -n "${CHAPTER:-}" ]; then
	# shellcheck disable=SC2086 # several chapters, one word each
	exec /usr/bin/python3 "$tools/demo/chapters.py" --bin "$bin" --out "$out" $CHAPTER
fi
echo 3 > /sys/module/toytcp/parameters/msl
echo "(msl=3: TIME-WAIT lasts 2*MSL = 6 s here, so the demo can wait it out)"
mkdir -p "$out"

say "the network: toytcp in the root namespace (198.18.0.1), Linux TCP in namespace 'web' (198.18.0.2)"
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
head -c 262144 /dev/zero | tr '\0' 'x' > /tmp/www/bulk.bin
(cd /tmp/www && ip netns exec web python3 -m http.server 8080 --bind 198.18.0.2 \
	> /tmp/http.log 2>&1 &)
i=0
until ip netns exec web sh -c 'grep -q ":1F90 " /proc/net/tcp'; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "web server did not start"; exit 1; }
	sleep 0.1
done
echo "Linux's web server listens on 198.18.0.2:8080"

# ---------------------------------------------------------------------
echo
echo "######## 1. a toytcp client fetches a page from Linux TCP ########"
start_recording client
mkfifo /tmp/step
"$bin/toystep" 198.18.0.2 8080 /index.html < /tmp/step > /tmp/page 2> /tmp/step.log &
exec 3> /tmp/step

say "stage 1: socket() - the stack writes a control block (the socket)"
wait_for /tmp/step.log "done socket"
echo "socket(AF_TOYTCP, SOCK_STREAM, 0) done; the control blocks alive:"
grep -E '^protocol|^TOYTCP' /proc/net/protocols | sed 's/^/    /'
echo "It is in no table yet (no address, no peer): toystat -a shows nothing:"
run toystat -a

say "stage 2: connect() - SYN, SYN-ACK, ACK: each side tells its initial sequence number"
toytrace --instance client --mark "stage 2: connect()"
echo >&3
wait_for /tmp/step.log "done connect"
ladder client
run toystat -tni

say "stage 3: write() - the request goes out as one segment, and is acknowledged"
toytrace --instance client --mark "stage 3: write() the request"
echo >&3
wait_for /tmp/step.log "done write"
sleep 0.5	# the answer comes in; HTTP/1.0: the server closes at once
ladder client
echo "The answer and the server's FIN arrived before read(): they wait in the"
echo "receive buffer (Recv-Q), and toytcp is in CLOSE-WAIT:"
run toystat -tn

say "stage 3: read() - the application takes the answer; then end of stream"
toytrace --instance client --mark "stage 3: read() the answer"
echo >&3
wait_for /tmp/step.log "done read"
ladder client
echo "read() takes the bytes from the receive buffer: nothing crosses the wire."
sed 's/^/    | /' /tmp/page
run toystat -tn

say "stage 4: close() - FIN, ACK"
toytrace --instance client --mark "stage 4: close()"
echo >&3
wait_for /tmp/step.log "done close"
ladder client
exec 3>&-

say "stage 5: removal - TIME-WAIT on the side that closed first"
echo "The server closed first, so TIME-WAIT is on Linux's side; toytcp's"
echo "went CLOSE-WAIT -> LAST-ACK -> CLOSED, and its table is empty:"
run toystat -a
run ip netns exec web ss -tan
stop_recording client

say "the whole connection (the seed's figure 3-6, with real numbers)"
toytrace -r /tmp/client.trace -o "$out/client-ladder.svg" | sed 's/^/    /'

# ---------------------------------------------------------------------
echo
echo "######## 2. a Linux client fetches a page from a toytcp server ########"
start_recording server
"$bin/toyserve" -a 198.18.0.1 -p 80 -n 1 2> /tmp/toyserve.log &
wait_for /tmp/toyserve.log "listening"

say "stage 1: socket(), bind(), listen() - a listening control block"
run toystat -ln

say "stages 2-4: python3 urllib connects, asks, reads; toyserve answers and closes"
toytrace --instance server --mark "python3 urllib.request.urlopen('http://198.18.0.1/')"
ip netns exec web python3 -c '
import urllib.request
r = urllib.request.urlopen("http://198.18.0.1/", timeout=10)
print("python3 got", r.status, r.reason, len(r.read()), "bytes")' 2>&1 | sed 's/^/    /'
sed 's/^/    toyserve| /' /tmp/toyserve.log
sleep 0.3
echo "toyserve closed first: TIME-WAIT is on toytcp's side now, for 2*MSL:"
run toystat -tano

say "stage 5: removal - 2*MSL later the TIME-WAIT control block is freed"
i=0
while grep -q '^ *[0-9]*: ' /proc/net/toytcp; do
	i=$((i + 1)); [ $i -lt 100 ] || break
	sleep 0.1
done
run toystat -a
stop_recording server
toytrace -r /tmp/server.trace -o "$out/server-ladder.svg" | sed 's/^/    /'

# ---------------------------------------------------------------------
say "a bulk transfer: 256 KiB from Linux into a toytcp socket"
toytrace -q -p 8080 --tsg "$out/bulk-tsg.svg" -o "$out/bulk-ladder.svg" -- \
	"$bin/toyget" 198.18.0.2 8080 /bulk.bin > /tmp/bulk.out 2> /tmp/bulk.log
grep 'bytes;' /tmp/bulk.log | sed 's/^/    /'
echo "    (toytcp is the receiver: the graph shows Linux's segments against"
echo "     toytcp's ACKs and its receive window, ACK + window)"

# ---------------------------------------------------------------------
echo
echo "######## 3. an unmodified program over toytcp: toytcp-run curl ########"
say "toytcp-run curl -4: curl's socket(AF_INET, SOCK_STREAM) becomes toytcp's"
echo "\$ toytcp-run curl -4 -o bulk.bin http://198.18.0.2:8080/bulk.bin"
in0=$(awk '$1 == "InDataBytes" { print $2 }' /proc/net/toytcp_stats)
toytrace -q -p 8080 --tsg "$out/curl-tsg.svg" -o "$out/curl-ladder.svg" -- \
	"$bin/toytcp-run" --strict curl -4 -sS -o /tmp/curl.out \
	-w '%{http_code}, %{size_download} bytes\n' http://198.18.0.2:8080/bulk.bin \
	> /tmp/curl.log 2>&1
sed 's/^/    curl| /' /tmp/curl.log
echo "    toytcp took $(($(awk '$1 == "InDataBytes" { print $2 }' /proc/net/toytcp_stats) - in0)) bytes in order for it (InDataBytes in /proc/net/toytcp_stats)"
cmp -s /tmp/curl.out /tmp/www/bulk.bin && echo "    the file is byte for byte the server's"

# ---------------------------------------------------------------------
echo
echo "######## 4. inside write() and read(): the chapters ########"
/usr/bin/python3 "$tools/demo/chapters.py" --bin "$bin" --out "$out"

say "the drawings (SVG), on the host"
for f in "$out"/*.svg; do
	echo "    $f"
done
