#!/bin/bash
# make-initramfs.sh KVER: a small busybox initramfs for Debian's stock kernel,
# whose virtio and 9p drivers are modules. Its /init loads them, mounts the
# host root over 9p and switches to run-vm's guest-init. Cached in
# $TOYTCP_CACHE; prints the image's path.
set -euo pipefail
kver=$1
cache=${TOYTCP_CACHE:-$HOME/.cache/toytcp}
img=$cache/initramfs-$kver-$(sha256sum "$0" | cut -c1-12).cpio.gz
# Drop images an older version of this script made.
find "$cache" -maxdepth 1 -name "initramfs-$kver-*.cpio.gz" ! -path "$img" -delete 2>/dev/null || true
if [ -f "$img" ]; then
	echo "$img"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,lib/modules,proc,sys,dev,newroot}
cp /bin/busybox "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"

# Dependency order from modprobe, each module once.
modprobe -a --show-depends -S "$kver" virtio_pci 9pnet_virtio 9p |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$tmp/order"
while read -r ko; do
	cp "$ko" "$tmp/lib/modules/"
	basename "$ko" >> "$tmp/lib/modules/order"
done < "$tmp/order"

cat > "$tmp/init" <<'INIT'
#!/bin/sh
export PATH=/bin
busybox mount -t proc proc /proc
busybox mount -t devtmpfs devtmpfs /dev
while read -r ko; do
	busybox insmod "/lib/modules/$ko" || echo "initramfs: insmod $ko failed"
done < /lib/modules/order
# virtio devices probe asynchronously: give the 9p device a few seconds.
tries=0
until busybox mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro \
	root /newroot 2>/dev/null; do
	tries=$((tries + 1))
	[ $tries -lt 50 ] || { echo "initramfs: cannot mount the host root"; busybox reboot -f; }
	busybox sleep 0.2
done
init=$(busybox sed -n 's/.* init=\([^ ]*\).*/\1/p' /proc/cmdline)
busybox umount /dev
busybox umount /proc
exec busybox switch_root /newroot "$init"
INIT
chmod +x "$tmp/init"
mkdir -p "$cache"
(cd "$tmp" && find . -path ./order -prune -o -print | cpio -o -H newc --quiet | gzip -1) > "$img.tmp"
mv "$img.tmp" "$img"
echo "$img"
