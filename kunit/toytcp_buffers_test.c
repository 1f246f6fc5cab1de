// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: buffer sizes as Linux TCP's, and their autotuning:
 *   defaults        a new socket's send and receive buffers are the
 *                   namespace's tcp_wmem[1] and tcp_rmem[1]
 *   send buffer     twice the congestion window and a chunk, from the
 *                   handshake on; grows with cwnd, never beyond
 *                   tcp_wmem[2], never once SO_SNDBUF was set
 *   receive buffer  once per round trip (a virtual clock), grows to four
 *                   times the most the application read in one, and 32
 *                   segments; not for less than before (the first
 *                   flight, 10 segments, counting as read), not before a
 *                   round trip is over, never beyond tcp_rmem[2], never
 *                   once SO_RCVBUF was set
 */
#include <kunit/test.h>
#include <net/net_namespace.h>

#include "toytcp_harness.h"

static int wmem(int i)
{
	return READ_ONCE(init_net.ipv4.sysctl_tcp_wmem[i]);
}

static int rmem(int i)
{
	return READ_ONCE(init_net.ipv4.sysctl_tcp_rmem[i]);
}

static void new_socket_takes_tcp_wmem_and_tcp_rmem(struct kunit *test)
{
	struct sock *sk = toytcp_sk_alloc(&init_net, GFP_KERNEL, 1);

	KUNIT_ASSERT_NOT_NULL(test, sk);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, wmem(1));
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, rmem(1));
	sock_put(sk);
}

static void sndbuf_follows_cwnd(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct sock *sk = t->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);

	/* from the handshake on: 2 * 10 MSS and a chunk of 64 KB */
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, 2 * 10 * TH_MSS + 65536);
	tp->snd_cwnd = 100 * TH_MSS;
	toytcp_sndbuf_expand(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, 2 * 100 * TH_MSS + 65536);
	tp->snd_cwnd = 50 * TH_MSS;		/* cwnd fell: the buffer stays */
	toytcp_sndbuf_expand(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, 2 * 100 * TH_MSS + 65536);
	tp->snd_cwnd = wmem(2);			/* at most tcp_wmem[2] */
	toytcp_sndbuf_expand(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, wmem(2));

	sk->sk_sndbuf = 4608;			/* SO_SNDBUF: no more tuning */
	sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	toytcp_sndbuf_expand(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, 4608);
}

static void rcvbuf_grows_with_what_is_read(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct sock *sk = t->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	const u32 rtt = 10000;		/* 10 ms */
	u64 now = 1000000;

	sk->sk_rcvbuf = rmem(1);
	tp->srtt_us = rtt;
	toytcp_rcv_space_adjust(sk, now);	/* the first read: measuring begins */
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, rmem(1));
	/* the first flight counts as read: 10 segments' worth (as Linux) */
	KUNIT_EXPECT_EQ(test, tp->rcvq_space, 10 * TH_MSS);
	tp->copied_seq += 10 * TH_MSS;
	now += rtt;
	toytcp_rcv_space_adjust(sk, now);	/* no more than that: no growth */
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, rmem(1));

	tp->copied_seq += 100000;
	toytcp_rcv_space_adjust(sk, now + rtt / 2);	/* within the round trip */
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, rmem(1));
	now += rtt;
	toytcp_rcv_space_adjust(sk, now);	/* 100,000 bytes in one round trip */
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 4 * 100000 + 32 * TH_MSS);

	/*
	 * less than before: not grown, even from a smaller buffer (set by
	 * hand here, so that only the "more than before" rule holds it)
	 */
	sk->sk_rcvbuf = 200000;
	tp->copied_seq += 50000;
	now += rtt;
	toytcp_rcv_space_adjust(sk, now);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 200000);

	tp->copied_seq += 200000;		/* more: grows again */
	now += 2 * rtt;
	toytcp_rcv_space_adjust(sk, now);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 4 * 200000 + 32 * TH_MSS);

	tp->copied_seq += rmem(2);		/* never beyond tcp_rmem[2] */
	now += rtt;
	toytcp_rcv_space_adjust(sk, now);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, rmem(2));
}

static void rcvbuf_set_by_the_application_stays(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct sock *sk = t->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	u64 now = 1000000;

	sk->sk_rcvbuf = 4608;			/* SO_RCVBUF 2304, doubled */
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	tp->srtt_us = 1000;
	toytcp_rcv_space_adjust(sk, now);
	tp->copied_seq += 1000000;
	toytcp_rcv_space_adjust(sk, now + 1000);
	KUNIT_EXPECT_EQ(test, sk->sk_rcvbuf, 4608);
}

static struct kunit_case toytcp_buffers_cases[] = {
	KUNIT_CASE(new_socket_takes_tcp_wmem_and_tcp_rmem),
	KUNIT_CASE(sndbuf_follows_cwnd),
	KUNIT_CASE(rcvbuf_grows_with_what_is_read),
	KUNIT_CASE(rcvbuf_set_by_the_application_stays),
	{}
};

static struct kunit_suite toytcp_buffers_suite = {
	.name = "toytcp_buffers",
	.exit = th_exit,
	.test_cases = toytcp_buffers_cases,
};

kunit_test_suite(toytcp_buffers_suite);
