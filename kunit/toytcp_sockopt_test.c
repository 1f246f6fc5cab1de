// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the IP-level socket options and TCP_SYNCNT (issue 8), as Linux's
 * ip_setsockopt() and do_tcp_setsockopt() take them from a TCP socket.
 *
 *   IP_TOS       the ECN bits stay TCP's; the TOS sets sk_priority too
 *   IP_TTL       1..255 or -1; a missing value is EINVAL
 *   lengths      an optlen of 1..3 is one unsigned byte, 0 reads as 0
 *   others       an IP option toytcp does not implement: ENOPROTOOPT
 *   TCP_SYNCNT   a connecting socket gives up after that many SYN
 *                retransmissions, not the module parameter's
 *   TCP_DEFER_ACCEPT  seconds kept as SYN-ACK timeouts (1, 2, 4, ... s, up
 *                to 120 s each, at most 255) and read back as their sum
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <net/inet_ecn.h>
#include <net/route.h>

#include "toytcp_harness.h"

static int set_ip(struct sock *sk, int name, int val, unsigned int len)
{
	return toytcp_ip_setsockopt(sk, name, KERNEL_SOCKPTR(&val), len);
}

static void ip_tos_keeps_ecn_bits(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_CLOSE);
	struct sock *sk = t->sk;

	/* the application's ECN bits are not taken */
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TOS, 0x28 | INET_ECN_CE, 4), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->tos, 0x28);
	KUNIT_EXPECT_EQ(test, sk->sk_priority, (u32)rt_tos2priority(0x28));
	/* TCP's own ECN bits survive a new TOS */
	inet_sk(sk)->tos |= INET_ECN_ECT_0;
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TOS, IPTOS_LOWDELAY, 4), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->tos, IPTOS_LOWDELAY | INET_ECN_ECT_0);
	KUNIT_EXPECT_EQ(test, sk->sk_priority, (u32)TC_PRIO_INTERACTIVE);
	/* only the low byte counts */
	inet_sk(sk)->tos = 0;
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TOS, 0x1b8, 4), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->tos, 0xb8);
}

static void ip_ttl_range(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_CLOSE);
	struct sock *sk = t->sk;

	KUNIT_EXPECT_EQ(test, inet_sk(sk)->uc_ttl, -1);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TTL, 0, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TTL, 256, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TTL, -2, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->uc_ttl, -1);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TTL, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->uc_ttl, 1);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TTL, 255, 4), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->uc_ttl, 255);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TTL, -1, 4), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->uc_ttl, -1);
}

static void ip_short_lengths(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_CLOSE);
	struct sock *sk = t->sk;
	u8 byte = 33;

	/* one byte: its value, unsigned (so -1 cannot be said this way) */
	KUNIT_EXPECT_EQ(test, toytcp_ip_setsockopt(sk, IP_TTL, KERNEL_SOCKPTR(&byte), 1), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->uc_ttl, 33);
	byte = 0xff;
	KUNIT_EXPECT_EQ(test, toytcp_ip_setsockopt(sk, IP_TTL, KERNEL_SOCKPTR(&byte), 3), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->uc_ttl, 255);
	/* no value: EINVAL for IP_TTL and IP_FREEBIND, 0 for IP_TOS */
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TTL, 64, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_FREEBIND, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TOS, 0x28, 4), 0);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TOS, 0x28, 0), 0);
	KUNIT_EXPECT_EQ(test, inet_sk(sk)->tos, 0);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_BIND_ADDRESS_NO_PORT, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, (int)inet_sk(sk)->bind_address_no_port, 0);
}

static void ip_flags(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_CLOSE);
	struct sock *sk = t->sk;

	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_BIND_ADDRESS_NO_PORT, 7, 4), 0);
	KUNIT_EXPECT_EQ(test, (int)inet_sk(sk)->bind_address_no_port, 1);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_FREEBIND, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, (int)inet_sk(sk)->freebind, 1);
	/* the test runs with every capability: IP_TRANSPARENT is allowed */
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TRANSPARENT, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, (int)inet_sk(sk)->transparent, 1);
	KUNIT_EXPECT_TRUE(test, inet_sk_flowi_flags(sk) & FLOWI_FLAG_ANYSRC);
	KUNIT_EXPECT_EQ(test, set_ip(sk, IP_TRANSPARENT, 0, 4), 0);
	KUNIT_EXPECT_EQ(test, (int)inet_sk(sk)->transparent, 0);
}

static void ip_unknown_options(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_CLOSE);

	KUNIT_EXPECT_EQ(test, set_ip(t->sk, IP_MINTTL, 1, 4), -ENOPROTOOPT);
	KUNIT_EXPECT_EQ(test, set_ip(t->sk, IP_HDRINCL, 1, 4), -ENOPROTOOPT);
	KUNIT_EXPECT_EQ(test, set_ip(t->sk, 9999, 1, 4), -ENOPROTOOPT);
}

/* TCP_SYNCNT 2: the SYN goes out twice more, then connect() gives up */
static void syncnt_limits_syn_retries(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	int i;

	tp->syn_retries = 2;
	for (i = 0; i < 2; i++) {
		th_fire(t, TOYTCP_RETX_DEFERRED);
		KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_SYN_SENT);
		KUNIT_EXPECT_EQ(test, tp->retransmits, i + 1);
	}
	th_fire(t, TOYTCP_RETX_DEFERRED);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, ETIMEDOUT);
}

/* Linux's secs_to_retrans() and retrans_to_secs(), worked by hand */
static void defer_accept_seconds_as_timeouts(struct kunit *test)
{
	static const struct { int secs; u8 n; int back; } c[] = {
		{ 0, 0, 0 }, { -5, 0, 0 }, { 1, 1, 1 }, { 2, 2, 3 }, { 3, 2, 3 },
		{ 4, 3, 7 }, { 5, 3, 7 }, { 7, 3, 7 }, { 8, 4, 15 },
		{ 127, 7, 127 },		/* 1 + 2 + ... + 64 */
		{ 128, 8, 247 },		/* then 120 s each */
		{ INT_MAX, 255, 127 + 248 * 120 },
	};

	for (int i = 0; i < ARRAY_SIZE(c); i++) {
		u8 n = toytcp_defer_secs_to_timeouts(c[i].secs);

		KUNIT_EXPECT_EQ_MSG(test, n, c[i].n, "%d s", c[i].secs);
		KUNIT_EXPECT_EQ_MSG(test, toytcp_defer_timeouts_to_secs(n), c[i].back,
				    "%d s", c[i].secs);
	}
}

static struct kunit_case toytcp_sockopt_cases[] = {
	KUNIT_CASE(ip_tos_keeps_ecn_bits),
	KUNIT_CASE(ip_ttl_range),
	KUNIT_CASE(ip_short_lengths),
	KUNIT_CASE(ip_flags),
	KUNIT_CASE(ip_unknown_options),
	KUNIT_CASE(syncnt_limits_syn_retries),
	KUNIT_CASE(defer_accept_seconds_as_timeouts),
	{}
};

static struct kunit_suite toytcp_sockopt_suite = {
	.name = "toytcp_sockopt",
	.exit = th_exit,
	.test_cases = toytcp_sockopt_cases,
};

kunit_test_suite(toytcp_sockopt_suite);
