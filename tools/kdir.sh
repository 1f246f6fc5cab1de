#!/bin/bash
# Print the default KDIR: the running kernel's build directory if it has
# one, else the newest Debian /lib/modules/*-amd64/build (these machines run
# a kernel without headers).
build=/lib/modules/$(uname -r)/build
if [ -d "$build" ]; then
	echo "$build"
	exit 0
fi
ls -d /lib/modules/*-amd64/build 2>/dev/null | sort -V | tail -n 1
