#!/bin/bash
# Build (or reuse) the toytcp debug test kernel from Debian's linux-source-6.1.
#
# The build lives outside the checkout, in $TOYTCP_CACHE (default ~/.cache/toytcp),
# keyed by the source package version and the config fragment, so a second run
# reuses it. Prints the build directory (usable as KDIR) on its last line.
# With --source it only extracts the source tree and prints its path (for
# checkpatch.pl and the selftests' kselftest_harness.h).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug-kernel.config
cache=${TOYTCP_CACHE:-$HOME/.cache/toytcp}
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${JOBS:-$(nproc)}

[ -f "$tarball" ] || { echo "build-kernel: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# Bump recipe when a change below changes what gets built.
recipe=1
key=$(cat "$frag" <(echo "$srcver $recipe") | sha256sum | cut -c1-16)
src=$cache/src-$srcver/linux-source-6.1
out=$cache/kernel-$key

only_source=0
[ "${1:-}" = --source ] && only_source=1

if [ $only_source = 0 ] && [ -f "$out/.toytcp-done" ]; then
	echo "build-kernel: reusing $out" >&2
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
if [ ! -f "$src/.toytcp-extracted" ]; then
	echo "build-kernel: extracting $tarball" >&2
	rm -rf "$cache/src-$srcver"
	mkdir -p "$cache/src-$srcver"
	tar -C "$cache/src-$srcver" -xf "$tarball"
	touch "$src/.toytcp-extracted"
fi
if [ $only_source = 1 ]; then
	echo "$src"
	exit 0
fi

start=$(date +%s)
rm -rf "$out"
mkdir -p "$out"
echo "build-kernel: configuring $out" >&2
make -s -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >&2

# Every symbol the fragment asks for must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) sym=${line%%=*}
		    grep -q "^$sym=" "$out/.config" && { echo "build-kernel: $sym still set" >&2; bad=1; } ;;
	CONFIG_*=*) grep -qx "$line" "$out/.config" || { echo "build-kernel: $line not in .config" >&2; bad=1; } ;;
	esac
done < "$frag"
[ $bad = 0 ] || exit 1

echo "build-kernel: building with -j$jobs (about 12 minutes on 2 cores)" >&2
make -s -C "$src" O="$out" ARCH=x86_64 -j"$jobs" bzImage modules >&2
make -s -C "$src" O="$out" ARCH=x86_64 modules_prepare >&2
echo "$(( $(date +%s) - start ))" > "$out/.toytcp-build-seconds"
touch "$out/.toytcp-done"
echo "build-kernel: built in $(cat "$out/.toytcp-build-seconds") s" >&2
echo "$out"
