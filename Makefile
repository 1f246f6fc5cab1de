# SPDX-License-Identifier: GPL-2.0
# toytcp: `make` builds module/toytcp.ko against KDIR; `make check` runs the
# whole test suite in VMs; `make demo` shows the stack at work; `make bench`
# measures it against Linux TCP. See README.

KDIR ?= $(shell tools/kdir.sh)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf .build

check:
	@bash tools/check.sh

demo:
	@bash tools/demo.sh

# toytcp against Linux TCP, side by side (BENCH_SHORT=1: the short form).
bench:
	@bash tools/bench.sh

# The long forms of the heavy tests (100,000 connections, longer floods and
# fuzzing), on Debian's kernel only.
stress:
	@TOYTCP_STRESS=1 CHECK_ONLY=debian VM_MEM=6144 VM_TIMEOUT=5400 bash tools/check.sh

.PHONY: all modules clean check demo bench stress
