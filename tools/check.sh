#!/bin/bash
# `make check`: the whole test suite, from a fresh Debian 12 machine.
#
# Installs what is missing, builds (or reuses) the debug test kernel, builds
# toytcp.ko against it and against Debian's headers (W=1, sparse), runs
# checkpatch, boots the debug kernel for KUnit and the VM tests, boots
# Debian's stock kernel for the same VM tests, and ends with one line:
# "N passed, N failed". Every step and case counts; any failure exits 1.
#
# Environment: CHECK_ONLY=debug|debian runs one VM half only;
# TOYTCP_CACHE moves the kernel cache (default ~/.cache/toytcp);
# TOYTCP_STRESS=1 runs the tests' long forms (make stress); VM_MEM and
# VM_TIMEOUT size the VMs.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
b=$top/.build
vms_run=	# the VM halves run so far (vm_half)
mkdir -p "$b"
results=$b/results
: > "$results"
: > "$b/timings"
: > "$b/why"

# Every case is one line of $results, "ok - NAME" or "not ok - NAME"
# ("# SKIP" after a skipped one); the summary counts those lines.
record() { # record ok|fail|skip NAME
	case "$1" in
	ok) echo "ok - $2" ;;
	skip) echo "ok - $2 # SKIP" ;;
	*) echo "not ok - $2" ;;
	esac | tee -a "$results"
}
timed() { # timed NAME CMD...: run, log to .build/NAME.log, record, time
	local name=$1 t0=$SECONDS rc
	shift
	"$@" > "$b/${name// /_}.log" 2>&1
	rc=$?
	echo "$name: $((SECONDS - t0)) s" >> "$b/timings"
	if [ $rc = 0 ]; then record ok "$name"; else
		record fail "$name"
		tail -n 40 "$b/${name// /_}.log" | sed 's/^/#   /'
	fi
	return $rc
}
finish() {
	local pass fail skip
	echo "# timings:"; sed 's/^/#   /' "$b/timings"
	[ -s "$b/why" ] && { echo "# why the failed tests failed:"; head -n 150 "$b/why"; }
	# a VM's first kernel splat with its backtrace, last (CI shows the end)
	for kind in $vms_run; do
		tools/vm/splat-scan --context 45 "$b/vm-$kind/console.log" > "$b/splat-$kind" ||
			{ echo "# $kind VM: the first splat:"; sed 's/^/#   /' "$b/splat-$kind"; }
	done
	skip=$(grep -c -E '^ok - .*# SKIP' "$results")
	pass=$(( $(grep -c -E '^ok - ' "$results") - skip ))
	fail=$(grep -c -E '^not ok - ' "$results")
	if [ $skip -gt 0 ]; then
		echo "$pass passed, $fail failed, $skip skipped"
	else
		echo "$pass passed, $fail failed"
	fi
	[ $fail = 0 ]
	exit
}

timed "install dependencies" tools/install-deps.sh || finish
timed "debug test kernel" tools/vm/build-kernel.sh || finish
kdir_debug=$(tail -n 1 "$b/debug_test_kernel.log")
src=$(tools/vm/build-kernel.sh --source)
kdir_debian=$(ls -d /lib/modules/*-amd64/build | sort -V | tail -n 1)

# Build in a copy per kernel, so the two builds do not share object files.
build_for() { # build_for NAME KDIR
	local dir=$b/$1
	mkdir -p "$dir"
	rsync -a --delete --include='*/' --include='*.[ch]' --include=Kbuild \
		--exclude='*' Kbuild module kunit include "$dir/" || return 1
	make -C "$2" M="$dir" W=1 C=1 modules > "$dir/build.log" 2>&1
	local rc=$?
	cat "$dir/build.log"
	[ $rc = 0 ] || return 1
	# warning-free with W=1 and sparse
	! grep -E -i 'warning|error' "$dir/build.log" | grep -v 'Skipping BTF generation'
}
timed "build on debug kernel, W=1 C=1, no warnings" build_for debug "$kdir_debug"
timed "build on Debian $(basename "$(dirname "$kdir_debian")"), W=1 C=1, no warnings" \
	build_for debian "$kdir_debian"

# Trace-event headers are written in the TRACE_EVENT() macro language,
# whose layout --strict's alignment checks reject (the kernel's own
# include/trace/events/*.h fail them too): they get checkpatch's default
# checks, everything else --strict.
checkpatch() {
	"$src/scripts/checkpatch.pl" --no-tree --quiet --ignore SPDX_LICENSE_TAG "$@"
}
timed "checkpatch --strict" checkpatch --strict \
	-f $(find module kunit include -name '*.[ch]' ! -name '*.mod.c' ! -name '*_trace.h' | sort)
timed "checkpatch on trace headers" checkpatch -f $(find module -name '*_trace.h' | sort)
timed "python tools: every option in --help explained" /usr/bin/python3 tools/help-check.py
timed "toytrace draws what the wire carried (GSO, GRO)" /usr/bin/python3 tools/toytrace-selftest.py

timed "build user programs and tests" \
	make -C tools OUT="$b/tools" SELFTESTS="$src/tools/testing/selftests" progs tests

# make install, make uninstall and DKMS, each into a root under $b, for
# Debian's kernel; the Debian VM loads what they installed.
install_roots=
install_check() {
	local t0=$SECONDS
	bash tools/check-install.sh "$b" "$kdir_debian" | tee -a "$results"
	[ "${PIPESTATUS[0]}" = 0 ] && install_roots="$b/inst $b/dkmsroot"
	echo "make install, uninstall, dkms: $((SECONDS - t0)) s" >> "$b/timings"
}
[ "${CHECK_ONLY:-debian}" = debian ] && install_check

vm_half() { # vm_half KIND: boot it, run the guest suite, count its cases
	local kind=$1 rc t0=$SECONDS
	local out=$b/vm-$kind
	rm -rf "$out"
	vms_run="$vms_run $kind"
	tools/vm/run-vm --kernel "$kind" --out "$out" --timeout "${VM_TIMEOUT:-3300}" \
		--mem "${VM_MEM:-2048}" -- env TOYTCP_STRESS="${TOYTCP_STRESS:-0}" \
		TOYTCP_INSTALL_ROOTS="$([ "$kind" = debian ] && echo "$install_roots")" \
		tools/tests/guest-suite.sh "$b/$kind" "$b/tools/tests" "$kind" > "$out.log" 2>&1
	rc=$?
	echo "$kind VM: $((SECONDS - t0)) s" >> "$b/timings"
	# and each test file's time in it (guest-suite.sh: "# KIND: NAME took N s")
	sed -n 's/^# \('"$kind"': [a-z0-9_]* took [0-9]* s\)$/  \1/p' "$out.log" >> "$b/timings"
	grep -E '^(not )?ok - ' "$out.log" | tee -a "$results"
	# why a test failed (guest-suite.sh); again at the end (CI shows the end)
	grep -E '^#! ' "$out.log" | tee -a "$b/why"
	if [ $rc = 0 ]; then
		record ok "$kind VM: exit 0, console free of splats"
	else
		record fail "$kind VM: exit $rc, console free of splats"
		grep -v -E '^(not )?ok - ' "$out.log" | tail -n 40 | sed 's/^/#   /'
	fi
}
# make bench's short form (one pair of 0.3 s runs per row), so the tool
# never rots: it must print every row of its table with a ratio. No ratio
# is judged: a benchmark is not a timed test.
bench_short() {
	BENCH_SHORT=1 bash tools/bench.sh || return 1
	local rows
	rows=$(awk -F'|' 'NF == 5 && $4 ~ /^ *[0-9]+\.[0-9]+ *$/' "$b/vm-bench/cmd.log" | wc -l)
	echo "bench: $rows rows with a ratio"
	[ "$rows" -ge 19 ]
}

[ "${CHECK_ONLY:-debug}" = debug ] && vm_half debug
[ "${CHECK_ONLY:-debian}" = debian ] && vm_half debian
# the demo's page, written by the Debian VM's chapters_test, in a browser
[ "${CHECK_ONLY:-debian}" = debian ] &&
	timed "the chapters' page renders in headless Chromium, nothing fetched" \
		/usr/bin/python3 tools/page-check.py "$b/vm-debian/chapters/chapters.html" \
		"$b/chapters.png"
[ "${CHECK_ONLY:-debian}" = debian ] && [ "${TOYTCP_STRESS:-0}" = 0 ] &&
	timed "make bench, short form: every row measured" bench_short
finish
