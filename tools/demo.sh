#!/bin/bash
# `make demo`: build toytcp.ko for Debian's stock kernel, boot that kernel in
# a VM, load the module and walk through the seed's stages with toydemo,
# then the chapters (tools/demo/chapters.py; CHAPTER=N runs only chapter N).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
b=$top/.build

tools/install-deps.sh
kdir=$(ls -d /lib/modules/*-amd64/build | sort -V | tail -n 1)
mkdir -p "$b/demo"
rsync -a --delete --include='*/' --include='*.[ch]' --include=Kbuild \
	--exclude='*' Kbuild module kunit include "$b/demo/"
echo "demo: building toytcp.ko for $(basename "$(dirname "$kdir")")"
make -s -C "$kdir" M="$b/demo" modules
make -s -C tools OUT="$b/tools" progs

echo "demo: booting Debian's kernel in a VM"
tools/vm/run-vm --kernel debian --out "$b/vm-demo" --timeout 900 -- \
	env CHAPTER="${CHAPTER:-}" tools/demo/guest-demo.sh "$b/demo/module/toytcp.ko" "$b/tools"
