// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the defences of issue 13, as ladders through the wire parser and
 * a virtual clock (th_fire()). ISS 1000, IRS 5000, MSS 1000 both ways
 * (toytcp_harness.h).
 *
 *   SYN cookies      made from a SYN, taken back from its ACK, refused when
 *                    forged, aged or for another 4-tuple
 *   receive memory   data inside the advertised window always finds room:
 *                    the receive queue is copied together, out-of-order
 *                    data beyond it is pruned; a flood of out-of-order
 *                    bytes stays within the buffer
 *   RFC 5961         data whose ACK is older than the peer's largest
 *                    window is a blind attacker's; challenge ACKs per
 *                    second are limited
 *   TIME_WAIT        a new SYN beyond the old connection ends it
 *   orphans          give up after tcp_orphan_retries (by default 8 tries,
 *                    none once the backed-off timeout reaches 120 s),
 *                    also facing a zero window for ever; TCP_USER_TIMEOUT
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <net/net_namespace.h>

#include "toytcp_harness.h"

#define ISS TH_ISS
#define IRS TH_IRS
#define A TOYTCP_ACK
#define S TOYTCP_SYN
#define R TOYTCP_RST

static long stat(enum toytcp_mib m)
{
	return toytcp_read_stat(&init_net, m);
}

/* ---- SYN cookies ---- */

static void syncookie_round_trip(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct sk_buff *syn = th_parse(test, t, S, IRS, 0, NULL, 0);
	u32 now = 12345, cookie = toytcp_cookie_make(syn, 1460, now);
	struct sk_buff *ack;

	kfree_skb(syn);
	ack = th_parse(test, t, A, IRS + 1, cookie + 1, NULL, 0);
	/* good in its own 64 s step and the next one, not later */
	KUNIT_EXPECT_EQ(test, toytcp_cookie_check(ack, now), 1460);
	KUNIT_EXPECT_EQ(test, toytcp_cookie_check(ack, now + 1), 1460);
	KUNIT_EXPECT_EQ(test, toytcp_cookie_check(ack, now + 2), 0);
	KUNIT_EXPECT_EQ(test, toytcp_cookie_check(ack, now - 1), 0);
	kfree_skb(ack);

	/* an MSS between table entries: the largest entry not above it */
	syn = th_parse(test, t, S, IRS, 0, NULL, 0);
	cookie = toytcp_cookie_make(syn, 1420, now);
	kfree_skb(syn);
	ack = th_parse(test, t, A, IRS + 1, cookie + 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, toytcp_cookie_check(ack, now), 1400);
	kfree_skb(ack);
}

static void syncookie_forgeries_refused(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct sk_buff *syn = th_parse(test, t, S, IRS, 0, NULL, 0);
	u32 now = 777, cookie = toytcp_cookie_make(syn, 1460, now);
	struct sk_buff *ack;
	int bit;

	kfree_skb(syn);
	/* any one bit of the cookie flipped */
	for (bit = 0; bit < 32; bit++) {
		ack = th_parse(test, t, A, IRS + 1, (cookie ^ BIT(bit)) + 1, NULL, 0);
		KUNIT_EXPECT_EQ_MSG(test, toytcp_cookie_check(ack, now), 0,
				    "bit %d flipped", bit);
		kfree_skb(ack);
	}
	/* the right cookie, but not for the SYN's ISN */
	ack = th_parse(test, t, A, IRS + 2, cookie + 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, toytcp_cookie_check(ack, now), 0);
	kfree_skb(ack);
	/* nor for another peer port */
	t->sk->sk_dport = htons(81);
	ack = th_parse(test, t, A, IRS + 1, cookie + 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, toytcp_cookie_check(ack, now), 0);
	kfree_skb(ack);
}

/* ---- receive memory ---- */

static void set_rcvbuf(struct th_conn *t, int bytes, u32 window)
{
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	lock_sock(t->sk);
	WRITE_ONCE(t->sk->sk_rcvbuf, bytes);
	tp->rcv_wnd = window;
	tp->rcv_wup = tp->rcv_nxt;
	release_sock(t->sk);
}

/*
 * 1-byte segments after a hole, scattered, until the buffer is full and
 * beyond: memory stays within the buffer; then the bytes of the hole
 * arrive and must be taken (out-of-order data is dropped to make room).
 */
static void ooo_flood_then_hole_filled(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long pruned = stat(TOYTCP_MIB_OFOPRUNED);
	struct sk_buff *skb;
	int i, max_rmem = 0;

	set_rcvbuf(t, 16384, 8192);
	for (i = 0; i < 2000; i++) {
		/* scattered, odd offsets in the window: never adjacent */
		u32 off = 1001 + 2 * ((i * 7919) % 3500);

		th_segment(test, t, A, IRS + 1 + off, ISS + 1, NULL, 1);
		max_rmem = max(max_rmem, atomic_read(&t->sk->sk_rmem_alloc));
		while ((skb = skb_dequeue(&t->sent)))
			kfree_skb(skb);
	}
	skb = skb_peek(&tp->ooo_queue);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_LE_MSG(test, max_rmem, 16384 + (int)skb->truesize,
			    "out-of-order data grew past the buffer");

	/* the hole, in order: taken, whatever the queue holds */
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 1000);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 1 + 1000);
	KUNIT_EXPECT_GT(test, stat(TOYTCP_MIB_OFOPRUNED), pruned);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&t->sk->sk_receive_queue), 1);
}

/*
 * Small in-order segments, each in an skb far larger than its data: all of
 * the window we offered must be taken, though their skbs alone would fill
 * the buffer many times over.
 */
static void small_segments_fill_the_window(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long drops = stat(TOYTCP_MIB_RCVBUFDROPS);
	struct sk_buff *skb;
	u32 off;

	set_rcvbuf(t, 16384, 8000);
	for (off = 0; off < 8000; off += 10) {
		th_segment(test, t, A, IRS + 1 + off, ISS + 1, NULL, 10);
		while ((skb = skb_dequeue(&t->sent)))
			kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 1 + 8000);
	KUNIT_EXPECT_EQ(test, stat(TOYTCP_MIB_RCVBUFDROPS), drops);
	/*
	 * merged into the queue's last skb as they came (toytcp_coalesce()),
	 * or copied together when the buffer was full (RcvCollapsed): a few
	 * skbs hold the 800 segments
	 */
	KUNIT_EXPECT_LT(test, skb_queue_len(&t->sk->sk_receive_queue), 800U / 8);
	KUNIT_EXPECT_LE(test, atomic_read(&t->sk->sk_rmem_alloc), 16384 + 4096);
}

/* ---- RFC 5961 ---- */

static void data_with_too_old_ack_dropped(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long old = stat(TOYTCP_MIB_OLDACKDROPS);

	/* the peer never offered more than 65535: an older ACK is not its */
	th_segment(test, t, A, IRS + 1, ISS + 1 - 65535 - 100, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 1);
	KUNIT_EXPECT_EQ(test, stat(TOYTCP_MIB_OLDACKDROPS), old + 1);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);	/* challenge ACK */

	/* old, but within the window: a duplicate ACK; the data is taken */
	th_segment(test, t, A, IRS + 1, ISS + 1 - 100, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 1 + 100);
}

static void challenge_acks_limited(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	int saved = READ_ONCE(init_net.ipv4.sysctl_tcp_challenge_ack_limit);
	long limited = stat(TOYTCP_MIB_CHALLENGEACKLIMIT);
	struct sk_buff *skb;
	int i, sent = 0;

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_challenge_ack_limit, 10);
	/* in-window resets not at RCV.NXT: each asks for a challenge ACK */
	for (i = 0; i < 100; i++)
		th_segment(test, t, R, IRS + 2 + i, 0, NULL, 0);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_challenge_ack_limit, saved);
	while ((skb = skb_dequeue(&t->sent))) {
		sent++;
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	/* about 10 a second (5..15, drawn at random), two seconds at most */
	KUNIT_EXPECT_GE(test, sent, 5);
	KUNIT_EXPECT_LE(test, sent, 30);
	KUNIT_EXPECT_GT(test, stat(TOYTCP_MIB_CHALLENGEACKLIMIT), limited);
}

/* ---- TIME_WAIT ---- */

/* toytcp_tw_new_syn() as the input hook calls it: in softirq context. */
static bool tw_new_syn(struct th_conn *t, struct sk_buff *skb)
{
	bool ended;

	local_bh_disable();
	ended = toytcp_tw_new_syn(t->sk, skb);
	local_bh_enable();
	kfree_skb(skb);
	return ended;
}

static void time_wait_new_syn(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_TIME_WAIT);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct sk_buff *skb;

	tp->rcv_nxt = IRS + 2;	/* the peer's FIN was taken */
	/* an old SYN (below what the peer sent): TIME_WAIT stays */
	skb = th_parse(test, t, S, IRS - 10, 0, NULL, 0);
	KUNIT_EXPECT_FALSE(test, tw_new_syn(t, skb));
	/* a SYN with ACK is no new connection either */
	skb = th_parse(test, t, S | A, IRS + 100000, ISS, NULL, 0);
	KUNIT_EXPECT_FALSE(test, tw_new_syn(t, skb));
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_TIME_WAIT);
	/* a new incarnation, beyond the old: TIME_WAIT ends */
	skb = th_parse(test, t, S, IRS + 100000, 0, NULL, 0);
	KUNIT_EXPECT_TRUE(test, tw_new_syn(t, skb));
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
}

/* ---- orphans and TCP_USER_TIMEOUT ---- */

/* An established conn with 500 bytes in flight and an RTO no real timer reaches. */
static struct th_conn *conn_in_flight(struct kunit *test, bool orphan)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_sk(t->sk)->rto_us = 60 * USEC_PER_SEC;
	th_write(t, 500);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	if (orphan)
		sock_set_flag(t->sk, SOCK_DEAD);
	return t;
}

static void orphan_gives_up_after_orphan_retries(struct kunit *test)
{
	u8 saved = READ_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries);
	struct th_conn *t;
	int i;

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, 3);
	t = conn_in_flight(test, true);
	for (i = 0; i < 3; i++) {
		th_fire(t, TOYTCP_RETX_DEFERRED);
		th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	}
	th_fire(t, TOYTCP_RETX_DEFERRED);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, saved);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, ETIMEDOUT);
}

/* The same with the application still there: retries2 (15) applies. */
static void owned_conn_keeps_retrying(struct kunit *test)
{
	u8 saved = READ_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries);
	struct th_conn *t;
	int i;

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, 3);
	t = conn_in_flight(test, false);
	for (i = 0; i < 5; i++)
		th_fire(t, TOYTCP_RETX_DEFERRED);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, saved);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
}

/* An orphan with 100 bytes held back by the peer's zero window; RTO 60 s. */
static struct th_conn *orphan_facing_zero_window(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_sk(t->sk)->rto_us = 60 * USEC_PER_SEC;
	t->wnd = 0;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);	/* window 0 */
	th_write(t, 100);
	th_expect_none(test, t);
	sock_set_flag(t->sk, SOCK_DEAD);
	return t;
}

/* A peer that answers every probe with a zero window cannot keep an orphan. */
static void orphan_facing_zero_window_gives_up(struct kunit *test)
{
	u8 saved = READ_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries);
	struct th_conn *t = orphan_facing_zero_window(test);
	int i;

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, 2);
	for (i = 0; i < 2; i++) {
		th_fire(t, TOYTCP_PERSIST_DEFERRED);
		th_expect(test, t, A, ISS, IRS + 1, 0);		/* a probe */
		th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);	/* still 0 */
		KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	}
	th_fire(t, TOYTCP_PERSIST_DEFERRED);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, saved);
	th_expect(test, t, R | A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
}

/*
 * With net.ipv4.tcp_orphan_retries at its default 0, as Linux: 8 tries
 * while the backed-off timeout is below 120 s, none once it is not. The
 * RTO here is 60 s: one retransmission (RTO now 120 s), then the end.
 */
static void orphan_default_retries_end_at_the_rto_ceiling(struct kunit *test)
{
	u8 saved = READ_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries);
	struct th_conn *t;

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, 0);
	t = conn_in_flight(test, true);
	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	th_fire(t, TOYTCP_RETX_DEFERRED);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, saved);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, ETIMEDOUT);
}

/* The same for zero-window probes: a 60 s probe, then 120 s would be next: reset. */
static void orphan_default_probes_end_at_the_rto_ceiling(struct kunit *test)
{
	u8 saved = READ_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries);
	struct th_conn *t = orphan_facing_zero_window(test);

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, 0);
	th_fire(t, TOYTCP_PERSIST_DEFERRED);
	th_expect(test, t, A, ISS, IRS + 1, 0);			/* a probe */
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);	/* still 0 */
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	th_fire(t, TOYTCP_PERSIST_DEFERRED);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_orphan_retries, saved);
	th_expect(test, t, R | A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
}

static void user_timeout_ends_retrying(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test, false);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	/* the RTO (60 s) already exceeds a 1 s user timeout: no retransmission */
	tp->user_timeout = 1000;
	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, ETIMEDOUT);
}

/*
 * Keepalive with data in flight and a peer silent for longer than the
 * idle time: no probe (the retransmission timer watches the peer), and
 * the keepalive timer looks again a whole idle time later, as Linux's
 * tcp_keepalive_timer(); set for "now" it would fire every tick.
 */
static void keepalive_waits_while_data_in_flight(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test, false);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	unsigned long idle;

	lock_sock(t->sk);
	sock_set_flag(t->sk, SOCK_KEEPOPEN);
	tp->keepidle = 10;
	idle = (unsigned long)tp->keepidle * HZ;
	tp->rcv_tstamp = jiffies - 2 * idle;
	release_sock(t->sk);
	th_fire(t, TOYTCP_KEEPALIVE_DEFERRED);
	th_expect_none(test, t);
	KUNIT_EXPECT_TRUE(test, timer_pending(&tp->keepalive_timer));
	KUNIT_EXPECT_TRUE(test, time_after_eq(tp->keepalive_timer.expires,
					      jiffies + idle - HZ));
}

static struct kunit_case toytcp_defence_cases[] = {
	KUNIT_CASE(syncookie_round_trip),
	KUNIT_CASE(syncookie_forgeries_refused),
	KUNIT_CASE(ooo_flood_then_hole_filled),
	KUNIT_CASE(small_segments_fill_the_window),
	KUNIT_CASE(data_with_too_old_ack_dropped),
	KUNIT_CASE(challenge_acks_limited),
	KUNIT_CASE(time_wait_new_syn),
	KUNIT_CASE(orphan_gives_up_after_orphan_retries),
	KUNIT_CASE(owned_conn_keeps_retrying),
	KUNIT_CASE(orphan_facing_zero_window_gives_up),
	KUNIT_CASE(orphan_default_retries_end_at_the_rto_ceiling),
	KUNIT_CASE(orphan_default_probes_end_at_the_rto_ceiling),
	KUNIT_CASE(user_timeout_ends_retrying),
	KUNIT_CASE(keepalive_waits_while_data_in_flight),
	{}
};

static struct kunit_suite toytcp_defence_suite = {
	.name = "toytcp_defence",
	.exit = th_exit,
	.test_cases = toytcp_defence_cases,
};

kunit_test_suite(toytcp_defence_suite);
