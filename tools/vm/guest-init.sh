#!/bin/sh
# PID 1 inside a run-vm guest. The root is the host's, read-only over 9p.
# Sets up the writable places, runs $TOYTCP_OUT/cmd, writes its exit status
# to $TOYTCP_OUT/status, checks kmemleak, and powers the VM off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
for d in /tmp /run /var/tmp /root /dev/shm; do
	mount -t tmpfs -o mode=1777 tmpfs "$d"
done
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

# The host's current directory, on its own share: it may lie under a tmpfs.
mkdir -p "$TOYTCP_CWD"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro toytcpcwd "$TOYTCP_CWD"

out=$TOYTCP_OUT
mkdir -p "$out"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 toytcpout "$out"

hostname toytcp-vm
ip link set lo up 2>/dev/null

# Leaks from boot are not ours: take them out of later reports.
leaks=/sys/kernel/debug/kmemleak
if [ -w $leaks ]; then
	echo scan > $leaks
	echo clear > $leaks
fi

sh "$out/cmd" > "$out/cmd.log" 2>&1 < /dev/null
rc=$?

if [ -w $leaks ]; then
	# Two scans: an object is reported only once it has been seen twice.
	echo scan > $leaks
	echo scan > $leaks
	cat $leaks > /dev/console
fi

echo "$rc" > "$out/status"
sync
umount "$out"
echo "guest-init: command exited $rc" > /dev/console
busybox reboot -f
