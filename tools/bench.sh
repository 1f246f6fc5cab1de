#!/bin/bash
# `make bench`: toytcp against Linux TCP, same program (toybench), same
# wire. Builds toytcp.ko for Debian's stock kernel and the user programs,
# boots that kernel in a VM and runs tools/bench/guest-bench.sh there: the
# table goes to stdout, the bar chart of the ratios next to make demo's
# drawings (.build/vm-demo/svg/bench-ratios.svg).
#
# Environment: BENCH_SHORT=1 for the short form (one pair, 0.3 s runs);
# BENCH_PAIRS, BENCH_TIME, BENCH_WARM as guest-bench.sh says.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
b=$top/.build

tools/install-deps.sh
kdir=$(ls -d /lib/modules/*-amd64/build | sort -V | tail -n 1)
# its own copies, so a make check or make demo beside it is not disturbed
mkdir -p "$b/bench"
rsync -a --delete --include='*/' --include='*.[ch]' --include=Kbuild \
	--exclude='*' Kbuild module kunit include "$b/bench/src/"
echo "bench: building toytcp.ko for $(basename "$(dirname "$kdir")")"
make -s -C "$kdir" M="$b/bench/src" modules
make -s -C tools OUT="$b/bench/tools" progs

echo "bench: booting Debian's kernel in a VM"
t0=$SECONDS
rc=0
tools/vm/run-vm --kernel debian --out "$b/vm-bench" --timeout 900 -- \
	env BENCH_SHORT="${BENCH_SHORT:-0}" BENCH_PAIRS="${BENCH_PAIRS:-}" \
	BENCH_TIME="${BENCH_TIME:-}" BENCH_WARM="${BENCH_WARM:-}" \
	tools/bench/guest-bench.sh "$b/bench/src/module/toytcp.ko" "$b/bench/tools" || rc=$?
echo "bench: the VM took $((SECONDS - t0)) s"
if [ -f "$b/vm-bench/svg/bench-ratios.svg" ]; then
	mkdir -p "$b/vm-demo/svg"
	cp "$b/vm-bench/svg/bench-ratios.svg" "$b/vm-demo/svg/"
	echo "bench: chart $b/vm-demo/svg/bench-ratios.svg"
fi
exit $rc
