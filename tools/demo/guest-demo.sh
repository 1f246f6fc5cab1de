#!/bin/sh
# Inside the demo VM: load toytcp, show the socket stage, unload.
ko=$1
bin=$2
set -e
echo "\$ insmod toytcp.ko"
insmod "$ko"
# Let the module's pr_debug lines (one per control block) reach dmesg.
echo 'module toytcp +p' > /sys/kernel/debug/dynamic_debug/control 2>/dev/null || true
dmesg | grep toytcp | sed 's/^/    /'
echo
"$bin/toydemo" 3
echo
echo "\$ dmesg | grep toytcp"
dmesg | grep 'toytcp' | sed 's/^/    /'
echo
echo "\$ rmmod toytcp"
rmmod toytcp
dmesg | tail -n 1 | sed 's/^/    /'
