#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Part of `make check` (issue 11), on this machine, nothing loaded: install
# toytcp the two ways the README shows, each into a root under OUT instead
# of /, for Debian's kernel (KDIR); the Debian VM then loads both with
# `modprobe -d` (tools/tests/guest-suite.sh).
#
#   check-install.sh OUT KDIR
#
#   OUT/inst      `make install INSTALL_MOD_PATH=OUT/inst DESTDIR=OUT/inst`
#                 (lib/modules/RELEASE/updates/module/toytcp.ko, depmod'ed;
#                 usr/local/bin/toytcp-run and the other programs,
#                 usr/local/lib/toytcp/libtoytcp.so)
#   OUT/dkmsroot  `dkms add .`, `dkms build`, `dkms install` with DKMS's
#                 trees under OUT/dkms (lib/modules/RELEASE/updates/dkms/)
# and, checked here: `make uninstall` takes away everything `make install`
# put into a third root. Prints TAP-like
# "ok - NAME" / "not ok - NAME" lines; exits non-zero on a failure.
set -u
out=$1 kdir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
fail=0
step() { # step NAME CMD...: one line, the command's output kept in OUT/install.log
	local name=$1
	shift
	if "$@" >> "$out/install.log" 2>&1; then
		echo "ok - install: $name"
	else
		echo "not ok - install: $name"
		fail=1
		tail -n 20 "$out/install.log" | sed 's/^/#   /'
	fi
}
: > "$out/install.log"
rm -rf "$out/inst" "$out/uninst" "$out/dkms" "$out/dkmsroot"
# the in-tree build `make install` does goes to a copy: the clone stays clean
rm -rf "$out/inst-src"
mkdir -p "$out/inst-src"
cp -r Makefile Kbuild dkms.conf module include kunit tools "$out/inst-src/"

mk() { make -C "$out/inst-src" KDIR="$kdir" "$@"; }
step "make install" mk install INSTALL_MOD_PATH="$out/inst" DESTDIR="$out/inst"
release=$(modinfo -F vermagic "$out/inst-src/module/toytcp.ko" | cut -d ' ' -f 1)
step "make install: module and modules.dep for $release" \
	grep -q '^updates/module/toytcp.ko:' "$out/inst/lib/modules/$release/modules.dep"
step "make install: toytcp-run, toystat and libtoytcp.so under PREFIX" \
	test -x "$out/inst/usr/local/bin/toytcp-run" -a -x "$out/inst/usr/local/bin/toystat" \
	-a -f "$out/inst/usr/local/lib/toytcp/libtoytcp.so"

step "make install into a third root" mk install INSTALL_MOD_PATH="$out/uninst" DESTDIR="$out/uninst"
step "make uninstall" mk uninstall INSTALL_MOD_PATH="$out/uninst" DESTDIR="$out/uninst"
left() { test -z "$(find "$out/uninst" -name toytcp.ko -o -path '*bin/toy*' -o -name 'libtoytcp*')"; }
step "make uninstall: no module, program or library left" left
nodep() {
	test -f "$out/uninst/lib/modules/$release/modules.dep" &&
		! grep -q toytcp "$out/uninst/lib/modules/$release/modules.dep"
}
step "make uninstall: modules.dep without toytcp" nodep

# DKMS, from the top of the tree as the README says; `dkms add` copies what
# `*` matches, so .build and .git stay behind.
trees=(--sourcetree "$out/dkms/src" --dkmstree "$out/dkms/tree")
mkdir -p "$out/dkms/src" "$out/dkms/tree" "$out/dkmsroot/lib/modules/$release"
step "dkms add ." dkms add "${trees[@]}" .
step "dkms build toytcp/$version" dkms build "toytcp/$version" -k "$release" "${trees[@]}"
step "dkms install toytcp/$version" dkms install "toytcp/$version" -k "$release" "${trees[@]}" \
	--installtree "$out/dkmsroot/lib/modules" --no-depmod
step "depmod of the DKMS root" depmod -b "$out/dkmsroot" "$release"
step "dkms status: installed" \
	sh -c "dkms status ${trees[*]} | grep -q 'toytcp/$version, $release, .*: installed'"
exit $fail
