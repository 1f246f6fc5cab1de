#!/bin/sh
# Runs inside a run-vm guest: the VM half of `make check`.
#
#   guest-suite.sh BUILD TESTBIN [KIND]
#
# BUILD holds module/toytcp.ko (and kunit/toytcp_kunit.ko on the debug
# kernel), TESTBIN the compiled user-space tests. Prints one line per case,
# "ok - NAME" or "not ok - NAME", which tools/check.sh counts; everything
# else it prints is commentary. KIND (debug or debian) prefixes the names.
build=$1
bin=$2
kind=${3:-debug}
out=${TOYTCP_OUT:-/tmp}
# for trace_test and toystat_test: tools/ (toytrace, toystat), the programs
export TOYTCP_TOOLS="$(cd "$(dirname "$0")/.." && pwd)" TOYTCP_BIN="$(cd "$bin/.." && pwd)"

ok() { echo "ok - $kind: $1"; }
fail() { echo "not ok - $kind: $1"; }
check() { _cn=$1; shift; if "$@"; then ok "$_cn"; else fail "$_cn"; fi; }
# A failed test's last commentary, marked "#! " so that check.sh shows it
# (CI prints make check's output, not the VM's log).
why() { # why NAME TAP
	echo "#! $kind: $1 failed; its failed checks, then the end of what it printed:"
	grep -E 'Expected|FAIL|unexpected|still in|more than before|^not ok' "$2" | head -n 30 | sed 's/^/#! /'
	echo "#! ..."
	grep -v '^\(not \)\{0,1\}ok ' "$2" | tail -n 30 | sed 's/^/#! /'
}
# Sockets are freed an RCU grace period after their last reference, and
# TIME_WAIT holds them 2*MSL: wait (bounded) for the table to empty, then
# for rmmod to be allowed.
drained() {
	i=0
	while [ $i -lt 150 ]; do
		[ "$(grep -c '^ *[0-9]*:' /proc/net/toytcp 2>/dev/null)" = 0 ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	cat /proc/net/toytcp >&2
	return 1
}
rmmod_wait() {
	i=0
	while ! rmmod toytcp 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 120 ] || { grep TOYTCP /proc/net/protocols >&2; return 1; }
		sleep 0.25
	done
}

check "insmod toytcp.ko" insmod "$build/module/toytcp.ko"
check "family parameter readable" test -r /sys/module/toytcp/parameters/family
grep -q TOYTCP /proc/net/protocols
check "TOYTCP in /proc/net/protocols" test $? = 0

# KUnit: the suites run when the test module loads; each case is counted.
if [ -f "$build/kunit/toytcp_kunit.ko" ]; then
	t0=$(date +%s)
	check "insmod toytcp_kunit.ko" insmod "$build/kunit/toytcp_kunit.ko"
	echo "# $kind: kunit took $(($(date +%s) - t0)) s"
	mkdir -p "$out/kunit"
	for r in /sys/kernel/debug/kunit/toytcp*/results; do
		[ -f "$r" ] || { fail "kunit results present"; continue; }
		suite=$(basename "$(dirname "$r")")
		cp "$r" "$out/kunit/$suite.ktap"
		# cases sit one level in: "    ok 3 name" / "    not ok 3 name"
		sed -n 's/^    \(not ok\|ok\) [0-9]* \(- \)\{0,1\}\([^ #]*\).*$/\1 - kunit: '"$suite"'.\3/p' "$r" |
			sed "s/ - kunit:/ - $kind: kunit:/"
		grep -q '^ok [0-9]' "$r" || grep -q '^not ok' "$r" || fail "kunit $suite: no verdict"
	done
	check "rmmod toytcp_kunit" rmmod toytcp_kunit
fi

# User-space tests (kselftest harness, TAP).
for t in "$bin"/*_test; do
	[ -x "$t" ] || { fail "user-space tests present in $bin"; continue; }
	name=$(basename "$t")
	t0=$(date +%s)
	"$t" > "$out/$name.tap" 2>&1
	rc=$?
	echo "# $kind: $name took $(($(date +%s) - t0)) s"
	sed -n 's/^\(not ok\|ok\) [0-9]* \([^ #]*\)\(.*\)$/\1 - '"$kind: $name"'.\2\3/p' "$out/$name.tap"
	cat "$out/$name.tap" | sed 's/^/#   /' | grep -v '^#   \(not \)\{0,1\}ok ' >&2
	check "$name exit status" test $rc = 0
	[ $rc = 0 ] || why "$name" "$out/$name.tap"
done

# Shell tests next to this script (TAP "ok N name" / "not ok N name").
for t in "$(dirname "$0")"/*_test.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	t0=$(date +%s)
	sh "$t" > "$out/$name.tap" 2>&1
	rc=$?
	echo "# $kind: $name took $(($(date +%s) - t0)) s"
	sed -n 's/^\(not ok\|ok\) [0-9]* \([^ #]*\)\(.*\)$/\1 - '"$kind: $name"'.\2\3/p' "$out/$name.tap"
	sed 's/^/#   /' "$out/$name.tap" | grep -v '^#   \(not \)\{0,1\}ok ' >&2
	check "$name exit status" test $rc = 0
	[ $rc = 0 ] || why "$name" "$out/$name.tap"
done

# Module life cycle: unload, load with another family, unload, load again.
check "every socket gone within 2*MSL after the tests" drained
check "rmmod after the last socket closed" rmmod_wait
check "gone after rmmod" test ! -d /sys/module/toytcp
# toytcp-run (issue 11) without the module: --strict stops at once, the
# library alone fails socket() with EAFNOSUPPORT and says why; without
# --strict the program gets Linux TCP after a warning. With family=27 its
# sockets are made with that number.
preload_socket() { # preload_socket CMD...: python's socket() under CMD
	"$@" /usr/bin/python3 -c '
import socket
try:
	socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	print("socket made")
except OSError as e:
	print("errno", e.errno)' 2>&1 | tr '\n' ' '
}
run_strict_exits_1() {
	"$TOYTCP_BIN/toytcp-run" --strict true 2>/dev/null
	test $? = 1
}
lib_strict_refuses() {
	preload_socket env TOYTCP_PRELOAD_STRICT=1 LD_PRELOAD="$TOYTCP_BIN/libtoytcp.so" |
		grep -q "not loaded.*errno 97"
}
run_falls_back() {
	preload_socket "$TOYTCP_BIN/toytcp-run" | grep -q "using Linux TCP.*socket made"
}
run_uses_family() {
	preload_socket "$TOYTCP_BIN/toytcp-run" -s -v | grep -q "is toytcp's.*socket made"
}
check "toytcp-run --strict exits 1 without the module" run_strict_exits_1
check "libtoytcp strict without the module: EAFNOSUPPORT and why" lib_strict_refuses
check "toytcp-run without the module: Linux TCP and a warning" run_falls_back
check "load with family=27" insmod "$build/module/toytcp.ko" family=27
check "family parameter is 27" test "$(cat /sys/module/toytcp/parameters/family 2>/dev/null)" = 27
check "toytcp-run makes family 27 sockets" run_uses_family
check "rmmod with family=27" rmmod_wait
check "out-of-range family refused" sh -c "! insmod $build/module/toytcp.ko family=99 2>/dev/null"
check "load again" insmod "$build/module/toytcp.ko"
check "rmmod at the end" rmmod_wait

# What tools/check-install.sh installed on the host (make install, DKMS),
# each in a root of its own: modprobe finds it there, and the toytcp-run
# that make install put under PREFIX makes toytcp's sockets with it.
run_installed() { # run_installed ROOT
	preload_socket "$1/usr/local/bin/toytcp-run" -s -v | grep -q "is toytcp's.*socket made"
}
for root in $TOYTCP_INSTALL_ROOTS; do
	how=$(basename "$root")
	check "$how: modprobe toytcp" modprobe -d "$root" toytcp
	[ -x "$root/usr/local/bin/toytcp-run" ] &&
		check "$how: the installed toytcp-run makes toytcp sockets" run_installed "$root"
	check "$how: unloads" rmmod_wait
done
true
