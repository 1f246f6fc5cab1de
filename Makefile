# SPDX-License-Identifier: GPL-2.0
# toytcp: `make` builds module/toytcp.ko against KDIR; `make check` runs the
# whole test suite in VMs; `make demo` shows the stack at work; `make bench`
# measures it against Linux TCP. See README.

KDIR ?= $(shell tools/kdir.sh)
# where `make install` puts the user programs and the preload library
PREFIX ?= /usr/local
KRELEASE = $(or $(shell PATH=$$PATH:/usr/sbin:/sbin modinfo -F vermagic module/toytcp.ko \
	2>/dev/null | cut -d " " -f 1),$(shell uname -r))
# installed under PREFIX/bin (toytcp-run finds ../lib/toytcp/libtoytcp.so)
USER_PROGS := toyget toyserve toybench toystep toytcp-run
USER_SCRIPTS := toystat toytrace

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The module into /lib/modules/RELEASE/updates/module (INSTALL_MOD_PATH=DIR
# puts that tree under DIR), depmod, then the user programs under
# DESTDIR/PREFIX. With DKMS instead: dkms add . && dkms install
# toytcp/VERSION, then make install-tools.
install: install-module install-tools

install-module: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

install-tools:
	$(MAKE) -C tools OUT=$(CURDIR)/.build/tools progs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/toytcp
	install -m 755 $(addprefix .build/tools/,$(USER_PROGS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(addprefix tools/,$(USER_SCRIPTS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 .build/tools/libtoytcp.so $(DESTDIR)$(PREFIX)/lib/toytcp/

# What install put there, taken away again (the same variables).
uninstall:
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/updates/module/toytcp.ko \
		$(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/updates/kunit/toytcp_kunit.ko
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(USER_PROGS) $(USER_SCRIPTS))
	rm -rf $(DESTDIR)$(PREFIX)/lib/toytcp

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf .build

check:
	@bash tools/check.sh

# CHAPTER=N (or a name, or several): only those chapters of the demo
demo:
	@CHAPTER='$(CHAPTER)' bash tools/demo.sh

# toytcp against Linux TCP, side by side (BENCH_SHORT=1: the short form).
bench:
	@bash tools/bench.sh

# The long forms of the heavy tests (100,000 connections, longer floods and
# fuzzing), on Debian's kernel only.
stress:
	@TOYTCP_STRESS=1 CHECK_ONLY=debian VM_MEM=6144 VM_TIMEOUT=5400 bash tools/check.sh

.PHONY: all modules install install-module install-tools uninstall clean check demo bench stress
