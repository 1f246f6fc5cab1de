# SPDX-License-Identifier: GPL-2.0
#
# Shared by the shell tests (source it: . "$here/tt_lib.sh"):
#   tap STATUS NAME [COMMENT]   one TAP line, "ok N NAME" or "not ok N NAME"
#                               (then "# COMMENT"); sets failed=1 on a failure
#   wait_for FILE PATTERN       up to 30 s for PATTERN to appear in FILE
#   ns_pair NS_A IF_A ADDR_A NS_B IF_B ADDR_B
#                               two fresh namespaces joined by a veth pair,
#                               each end with its /24 address, lo up
#   ns_pair_del NS_A NS_B       remove them
n=0
failed=0

tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
		[ -n "${3:-}" ] && echo "# $3"
	fi
	return 0
}

wait_for() {
	_i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] && return 1
		sleep 0.1
	done
}

ns_pair_del() {
	ip netns del "$1" 2>/dev/null
	ip netns del "$2" 2>/dev/null
	return 0
}

ns_pair() {
	ns_pair_del "$1" "$4"
	ip -b - <<NSEOF || return 1
netns add $1
netns add $4
link add $2 netns $1 type veth peer name $5 netns $4
NSEOF
	ip -n "$1" -b - <<NSEOF || return 1
addr add $3/24 dev $2
link set lo up
link set $2 up
NSEOF
	ip -n "$4" -b - <<NSEOF
addr add $6/24 dev $5
link set lo up
link set $5 up
NSEOF
}
