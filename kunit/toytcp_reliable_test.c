// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the reliability machinery. The reassembly queue, the receive
 * window and silly window avoidance, the Nagle decision, and the
 * congestion window through slow start, avoidance, fast recovery and a
 * timeout. Ladders as in toytcp_input_test.c (ISS 1000, IRS 5000, MSS
 * 1000).
 */
#include <kunit/test.h>

#include "toytcp_harness.h"

#define ISS TH_ISS
#define IRS TH_IRS
#define A TOYTCP_ACK
#define F TOYTCP_FIN
#define P TOYTCP_PSH

static struct sk_buff_head *ooo(struct th_conn *t)
{
	return &toytcp_sk(t->sk)->ooo_queue;
}

/* The out-of-order queue as "[seq,end) [seq,end) ...", relative to IRS + 1. */
static void ooo_layout(struct th_conn *t, char *buf, size_t len)
{
	struct sk_buff *skb;
	size_t n = 0;

	buf[0] = 0;
	skb_queue_walk(ooo(t), skb) {
		u32 seq = TOYTCP_SKB_CB(skb)->seq - (IRS + 1);

		n += scnprintf(buf + n, len - n, "%s[%u,%u)", n ? " " : "",
			       seq, seq + skb->len);
	}
}

#define EXPECT_OOO(test, t, want) do {					\
	char __buf[128];						\
	ooo_layout(t, __buf, sizeof(__buf));				\
	KUNIT_EXPECT_STREQ(test, __buf, want);				\
} while (0)

/* data at IRS + 1 + @off, @len bytes */
static void seg(struct kunit *test, struct th_conn *t, u32 off, u32 len)
{
	th_segment(test, t, A, IRS + 1 + off, ISS + 1, NULL, len);
}

static void reasm_after_hole(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	seg(test, t, 200, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);	/* duplicate ACK */
	seg(test, t, 400, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	seg(test, t, 100, 50);				/* before both */
	EXPECT_OOO(test, t, "[100,150) [200,300) [400,500)");
}

/* Filling the hole moves what follows it, and the ACK jumps at once. */
static void reasm_hole_filled(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	seg(test, t, 100, 100);
	seg(test, t, 300, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	seg(test, t, 0, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1 + 200, 0);
	EXPECT_OOO(test, t, "[300,400)");
	seg(test, t, 200, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1 + 400, 0);
	EXPECT_OOO(test, t, "");
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->rcv_nxt, IRS + 401);
}

static void reasm_duplicate_dropped(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	int rmem;

	seg(test, t, 100, 100);
	rmem = atomic_read(&t->sk->sk_rmem_alloc);
	seg(test, t, 100, 100);
	seg(test, t, 120, 50);			/* inside it */
	EXPECT_OOO(test, t, "[100,200)");
	KUNIT_EXPECT_EQ(test, atomic_read(&t->sk->sk_rmem_alloc), rmem);
}

/* A segment that covers queued ones replaces them. */
static void reasm_covering_replaces(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	seg(test, t, 150, 20);
	seg(test, t, 200, 20);
	seg(test, t, 100, 200);
	EXPECT_OOO(test, t, "[100,300)");
}

/* Overlaps are trimmed; a segment continuing the one before is merged. */
static void reasm_overlap_trimmed_and_merged(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	seg(test, t, 100, 100);
	seg(test, t, 150, 100);			/* head overlaps: merged after trim */
	EXPECT_OOO(test, t, "[100,250)");
	seg(test, t, 400, 100);
	seg(test, t, 350, 100);			/* tail overlaps the next */
	EXPECT_OOO(test, t, "[100,250) [350,400) [400,500)");
	seg(test, t, 250, 100);			/* exactly between: joins the first */
	EXPECT_OOO(test, t, "[100,350) [350,400) [400,500)");
}

/* The queue is charged to the receive buffer, and bounded by it. */
static void reasm_memory_bound(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	int i;

	t->sk->sk_rcvbuf = 8 * 1024;
	for (i = 0; i < 20; i++)
		seg(test, t, 1000 + i * 1000, 100);	/* apart: no merging */
	KUNIT_EXPECT_LT(test, skb_queue_len(ooo(t)), 20u);
	KUNIT_EXPECT_GT(test, skb_queue_len(ooo(t)), 0u);
	KUNIT_EXPECT_LE(test, atomic_read(&t->sk->sk_rmem_alloc),
			t->sk->sk_rcvbuf + 4096);
}

/* A FIN waiting behind a hole takes effect when the hole is filled. */
static void reasm_fin_after_hole(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A | F, IRS + 1 + 100, ISS + 1, NULL, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	seg(test, t, 0, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1 + 200 + 1, 0);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE_WAIT);
}

/* --- the receive window --- */

static void window_never_shrinks_and_avoids_slivers(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	/* a buffer whose free half is exactly the largest window, 65535 */
	t->sk->sk_rcvbuf = 2 * U16_MAX;
	lock_sock(t->sk);
	KUNIT_EXPECT_EQ(test, toytcp_select_window(t->sk), (u32)U16_MAX);

	/* 10000 bytes arrived and were read: the edge moves 10000 on */
	tp->rcv_nxt += 10000;
	KUNIT_EXPECT_EQ(test, toytcp_select_window(t->sk), (u32)U16_MAX);

	/* 500 more arrive, unread (costing 1000 of buffer): 500 less window */
	tp->rcv_nxt += 500;
	atomic_add(1000, &t->sk->sk_rmem_alloc);
	KUNIT_EXPECT_EQ(test, toytcp_select_window(t->sk), (u32)U16_MAX - 500);

	/* read: the window could open by 500, a sliver under one MSS: it waits */
	atomic_sub(1000, &t->sk->sk_rmem_alloc);
	KUNIT_EXPECT_EQ(test, toytcp_select_window(t->sk), (u32)U16_MAX - 500);

	/* the buffer fills up: the right edge still does not move left */
	atomic_add(200 * 1024, &t->sk->sk_rmem_alloc);
	KUNIT_EXPECT_EQ(test, toytcp_select_window(t->sk), (u32)U16_MAX - 500);
	atomic_sub(200 * 1024, &t->sk->sk_rmem_alloc);
	release_sock(t->sk);
}

/* --- Nagle and sender SWS --- */

static void nagle_decisions(struct kunit *test)
{
	/* len, mss, unsent, idle, nodelay, cork, max_sndwnd -> send? */
	static const struct {
		u32 len, unsent;
		bool idle, nodelay, cork, send;
	} c[] = {
		{ 1000, 5000, false, false, false, true },	/* full segment */
		{ 1000, 5000, false, false, true, true },	/* full, corked */
		{ 10, 10, true, false, false, true },	/* all of it, idle */
		{ 10, 10, false, false, false, false },	/* Nagle holds */
		{ 10, 10, false, true, false, true },	/* TCP_NODELAY */
		{ 10, 10, true, true, true, false },	/* TCP_CORK */
		{ 10, 5000, true, true, false, false },	/* a sliver of window */
		{ 600, 5000, true, true, false, true },	/* half the max window */
		{ 0, 0, true, true, false, false },	/* nothing */
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(c); i++)
		KUNIT_EXPECT_EQ_MSG(test, toytcp_nagle_ok(c[i].len, 1000, c[i].unsent,
							  c[i].idle, c[i].nodelay,
							  c[i].cork, 1200),
				    c[i].send, "row %d", i);
}

/* --- congestion control --- */

/* A conn with reno, the algorithm these cases describe (cubic: toytcp_cong_test.c). */
static struct th_conn *conn_reno(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_cc_set(t->sk, toytcp_cc_find("reno"));
	return t;
}

static void cwnd_slow_start_then_avoidance(struct kunit *test)
{
	struct th_conn *t = conn_reno(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 10 * TH_MSS);	/* RFC 6928 */
	toytcp_cc_ack(t->sk, 1000);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 11 * TH_MSS);
	toytcp_cc_ack(t->sk, 5000);		/* byte counting: all five */
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 16 * TH_MSS);
	tp->snd_ssthresh = 18 * TH_MSS;
	toytcp_cc_ack(t->sk, 5000);		/* but not beyond ssthresh */
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 18 * TH_MSS);

	/* now avoidance: one MSS per cwnd's worth of bytes acknowledged */
	toytcp_cc_ack(t->sk, 1000);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 18 * TH_MSS + TH_MSS * TH_MSS / (18 * TH_MSS));
	tp->snd_cwnd = 20 * TH_MSS;
	toytcp_cc_ack(t->sk, 10 * TH_MSS);	/* a stretch ACK of half a window */
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 20 * TH_MSS + TH_MSS / 2);
}

/* Three duplicate ACKs, a partial ACK, then the ACK of all (NewReno). */
static void cwnd_fast_recovery(struct kunit *test)
{
	struct th_conn *t = conn_reno(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	int i;

	tp->nodelay = 1;
	th_write(t, 5000);
	for (i = 0; i < 5; i++)
		th_expect(test, t, i < 4 ? A : A | P, ISS + 1 + i * 1000, IRS + 1, 1000);
	th_expect_none(test, t);

	/* the first segment is lost: the peer ACKs ISS + 1 again and again */
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);
	th_expect_none(test, t);
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 1000);	/* fast retransmit */
	KUNIT_EXPECT_TRUE(test, tp->in_recovery);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 2500u);	/* half of 5000 */
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 2500u + 3 * TH_MSS);
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 2500u + 4 * TH_MSS);

	/* partial ACK: the next hole is sent again at once */
	th_segment(test, t, A, IRS + 1, ISS + 2001, NULL, 0);
	th_expect(test, t, A, ISS + 2001, IRS + 1, 1000);
	KUNIT_EXPECT_TRUE(test, tp->in_recovery);

	/* everything acknowledged: recovery ends, cwnd = ssthresh */
	th_segment(test, t, A, IRS + 1, ISS + 5001, NULL, 0);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 2500u);
}

static void cwnd_after_timeout(struct kunit *test)
{
	struct th_conn *t = conn_reno(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->nodelay = 1;
	th_write(t, 8000);
	lock_sock(t->sk);
	toytcp_enter_loss(t->sk);
	release_sock(t->sk);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, TH_MSS);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 4000u);
}

static struct kunit_case toytcp_reliable_cases[] = {
	KUNIT_CASE(reasm_after_hole),
	KUNIT_CASE(reasm_hole_filled),
	KUNIT_CASE(reasm_duplicate_dropped),
	KUNIT_CASE(reasm_covering_replaces),
	KUNIT_CASE(reasm_overlap_trimmed_and_merged),
	KUNIT_CASE(reasm_memory_bound),
	KUNIT_CASE(reasm_fin_after_hole),
	KUNIT_CASE(window_never_shrinks_and_avoids_slivers),
	KUNIT_CASE(nagle_decisions),
	KUNIT_CASE(cwnd_slow_start_then_avoidance),
	KUNIT_CASE(cwnd_fast_recovery),
	KUNIT_CASE(cwnd_after_timeout),
	{}
};

static struct kunit_suite toytcp_reliable_suite = {
	.name = "toytcp_reliable",
	.exit = th_exit,
	.test_cases = toytcp_reliable_cases,
};

kunit_test_suite(toytcp_reliable_suite);
