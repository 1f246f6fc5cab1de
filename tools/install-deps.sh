#!/bin/bash
# Install, with apt-get, whatever the build, the VM tests and the demo need
# and this Debian 12 machine does not have yet. Quiet when nothing is missing.
set -euo pipefail
pkgs=(
	make gcc libc6-dev bc flex bison libelf-dev libssl-dev cpio xz-utils rsync perl
	linux-headers-amd64 linux-image-amd64 linux-source-6.1
	qemu-system-x86 busybox-static kmod sparse
	iproute2 iptables nftables conntrack tcpdump tshark python3 python3-scapy
	curl wget socat netcat-openbsd dkms nginx iperf3 chromium
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
