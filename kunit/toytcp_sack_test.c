// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: SACK (RFC 2018, RFC 2883), SACK loss recovery (RFC 6675, PRR
 * RFC 6937) and the tail loss probe (RFC 8985 §7).
 * The option's bytes and its parsing, the blocks our ACKs carry, the
 * sender's scoreboard, IsLost() and the pipe, and recovery driven by the
 * peer's SACKs through the wire parser. ISS 1000, IRS 5000, MSS 1000.
 */
#include <kunit/test.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>
#include <asm/unaligned.h>

#include "toytcp_harness.h"

#define ISS TH_ISS
#define IRS TH_IRS
#define A TOYTCP_ACK
#define S TOYTCP_SYN
#define P TOYTCP_PSH

/* Our data's sequence number @n bytes on from ISS + 1. */
#define SND(n) (ISS + 1 + (n))
/* The peer's, @n bytes on from IRS + 1. */
#define RCV(n) (IRS + 1 + (n))

/* An open conn with SACK on both sides (as if both SYNs said so). */
static struct th_conn *conn_sack(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_sk(t->sk)->sack_ok = 1;
	return t;
}

/* --- the option on the wire --- */

/* Our SYN with SACK, timestamps and window scaling: Linux's layout. */
static void syn_layout(struct kunit *test, u8 ts, const u8 *expect, unsigned int len)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	u8 old_sack = READ_ONCE(init_net.ipv4.sysctl_tcp_sack);
	u8 old_ts = READ_ONCE(init_net.ipv4.sysctl_tcp_timestamps);
	u8 old_ws = READ_ONCE(init_net.ipv4.sysctl_tcp_window_scaling);
	struct sk_buff *skb;
	u8 got[20];

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_sack, 1);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_timestamps, ts);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_window_scaling, 1);
	tp->advmss = 1460;
	toytcp_offer_options(t->sk);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_sack, old_sack);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_timestamps, old_ts);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_window_scaling, old_ws);
	KUNIT_EXPECT_TRUE(test, (bool)tp->sack_ok);
	tp->rcv_wscale = 7;
	lock_sock(t->sk);
	toytcp_send_syn(t->sk);
	release_sock(t->sk);

	skb = skb_dequeue(&t->sent);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, skb->data[12] >> 4, 5 + len / 4);
	memcpy(got, skb->data + 20, len);
	if (ts)
		memset(got + 8, 0, 4);	/* TSval */
	KUNIT_EXPECT_EQ(test, memcmp(got, expect, len), 0);
	kfree_skb(skb);
}

static void syn_sack_permitted_before_timestamps(struct kunit *test)
{
	static const u8 expect[20] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		4, 2, 8, 10, 0, 0, 0, 0,	/* SACK-permitted TS (TSval masked) */
		0, 0, 0, 0,			/* TSecr 0 in a SYN */
		1, 3, 3, 7,			/* NOP WS 7 */
	};

	syn_layout(test, 1, expect, sizeof(expect));
}

static void syn_sack_permitted_without_timestamps(struct kunit *test)
{
	static const u8 expect[12] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		1, 1, 4, 2,			/* NOP NOP SACK-permitted */
		1, 3, 3, 7,			/* NOP WS 7 */
	};

	syn_layout(test, 0, expect, sizeof(expect));
}

/* A SYN-ACK without SACK permitted: no SACK on this connection. */
static void negotiated_only_when_both_offer(struct kunit *test)
{
	struct toytcp_sock *tp = kunit_kzalloc(test, sizeof(*tp), GFP_KERNEL);
	struct toytcp_opts peer = {};

	KUNIT_ASSERT_NOT_NULL(test, tp);
	tp->sack_ok = 1;
	toytcp_negotiate_options(tp, &peer);
	KUNIT_EXPECT_FALSE(test, (bool)tp->sack_ok);
	tp->sack_ok = 1;
	peer.saw_sack_perm = true;
	toytcp_negotiate_options(tp, &peer);
	KUNIT_EXPECT_TRUE(test, (bool)tp->sack_ok);
	tp->sack_ok = 0;	/* we did not offer: the peer's offer is not enough */
	toytcp_negotiate_options(tp, &peer);
	KUNIT_EXPECT_FALSE(test, (bool)tp->sack_ok);
}

struct sack_parse_case {
	const char *name;
	u8 bytes[40];
	unsigned int len;
	unsigned int n;		/* blocks taken */
	bool perm;
};

static const struct sack_parse_case sack_parse_cases[] = {
	{ "one block", { 1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0 }, 12, 1 },
	{ "four blocks", { 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
			   0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8 }, 34, 4 },
	{ "length 9 ignored", { 5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1 }, 12, 0 },
	{ "length 2 (no block) ignored", { 5, 2, 1, 1 }, 4, 0 },
	{ "five blocks ignored", { 5, 42 }, 40, 0 },
	{ "SACK permitted", { 1, 1, 4, 2 }, 4, 0, true },
	{ "SACK permitted of length 3 ignored", { 4, 3, 0, 1 }, 4, 0, false },
};

static void sack_option_parse(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sack_parse_cases); i++) {
		const struct sack_parse_case *c = &sack_parse_cases[i];
		struct toytcp_opts o;
		int err = toytcp_parse_options(c->bytes, c->len, &o);

		/* "five blocks" runs past the end: malformed as a whole */
		if (c->bytes[1] > c->len) {
			KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "%s", c->name);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, err, 0, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, o.num_sacks, c->n, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, o.saw_sack_perm, c->perm, "%s", c->name);
	}
	/* the edges, in order */
	{
		struct toytcp_opts o;

		toytcp_parse_options(sack_parse_cases[1].bytes, 34, &o);
		KUNIT_EXPECT_EQ(test, o.sacks[0].start, 1u);
		KUNIT_EXPECT_EQ(test, o.sacks[0].end, 2u);
		KUNIT_EXPECT_EQ(test, o.sacks[3].start, 7u);
		KUNIT_EXPECT_EQ(test, o.sacks[3].end, 8u);
	}
}

/* --- receiver: the blocks our ACKs carry --- */

/* The next captured ACK, with its SACK blocks. */
static struct th_seg next_ack(struct kunit *test, struct th_conn *t)
{
	struct th_seg s = {};

	KUNIT_EXPECT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, s.flags, A);
	KUNIT_EXPECT_EQ(test, s.len, 0u);
	return s;
}

/* Block @i of @s is [RCV(@from), RCV(@to)). */
static void expect_block(struct kunit *test, const struct th_seg *s, int i, u32 from, u32 to)
{
	KUNIT_EXPECT_EQ_MSG(test, s->opts.sacks[i].start, RCV(from), "block %d", i);
	KUNIT_EXPECT_EQ_MSG(test, s->opts.sacks[i].end, RCV(to), "block %d", i);
}

static void seg(struct kunit *test, struct th_conn *t, u32 off, u32 len)
{
	th_segment(test, t, A, RCV(off), ISS + 1, NULL, len);
}

/* The block with the latest arrival first, then the others from the lowest. */
static void blocks_most_recent_first(struct kunit *test)
{
	struct th_conn *t = conn_sack(test);
	struct th_seg s;

	seg(test, t, 1000, 1000);
	s = next_ack(test, t);
	KUNIT_EXPECT_EQ(test, s.ack, RCV(0));
	KUNIT_ASSERT_EQ(test, s.opts.num_sacks, 1);
	expect_block(test, &s, 0, 1000, 2000);

	seg(test, t, 3000, 1000);
	s = next_ack(test, t);
	KUNIT_ASSERT_EQ(test, s.opts.num_sacks, 2);
	expect_block(test, &s, 0, 3000, 4000);
	expect_block(test, &s, 1, 1000, 2000);

	/* continues the first range: the merged range comes first */
	seg(test, t, 2000, 500);
	s = next_ack(test, t);
	KUNIT_ASSERT_EQ(test, s.opts.num_sacks, 2);
	expect_block(test, &s, 0, 1000, 2500);
	expect_block(test, &s, 1, 3000, 4000);

	/* the hole filled: everything in order, no block left */
	seg(test, t, 0, 1000);
	s = next_ack(test, t);
	KUNIT_EXPECT_EQ(test, s.ack, RCV(2500));
	KUNIT_ASSERT_EQ(test, s.opts.num_sacks, 1);
	expect_block(test, &s, 0, 3000, 4000);
	seg(test, t, 2500, 500);
	s = next_ack(test, t);
	KUNIT_EXPECT_EQ(test, s.ack, RCV(4000));
	KUNIT_EXPECT_EQ(test, s.opts.num_sacks, 0);
}

/* Without SACK on, no block, ever. */
static void no_blocks_without_sack(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct th_seg s;

	seg(test, t, 1000, 1000);
	s = next_ack(test, t);
	KUNIT_EXPECT_EQ(test, s.opts.num_sacks, 0);
	KUNIT_EXPECT_EQ(test, s.hlen, 20u);
}

/* Four blocks fit in 40 option bytes, three beside the timestamps. */
static void blocks_as_many_as_fit(struct kunit *test)
{
	struct th_conn *t = conn_sack(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct th_seg s = {};
	int i;

	for (i = 1; i <= 5; i++)
		seg(test, t, i * 2000, 1000);
	while (th_next(t, &s))
		;
	KUNIT_EXPECT_EQ(test, s.opts.num_sacks, 4);
	KUNIT_EXPECT_EQ(test, s.hlen, 20u + 4 + 4 * 8);
	expect_block(test, &s, 0, 10000, 11000);
	expect_block(test, &s, 1, 2000, 3000);

	tp->tstamp_ok = 1;
	lock_sock(t->sk);
	toytcp_send_ack(t->sk);
	release_sock(t->sk);
	s = next_ack(test, t);
	KUNIT_EXPECT_EQ(test, s.opts.num_sacks, 3);
	KUNIT_EXPECT_TRUE(test, s.opts.saw_tstamp);
	KUNIT_EXPECT_EQ(test, s.hlen, 20u + 12 + 4 + 3 * 8);
}

/* An old duplicate is reported once, first (RFC 2883 §4.1.1). */
static void dsack_for_an_old_duplicate(struct kunit *test)
{
	struct th_conn *t = conn_sack(test);
	struct th_seg s;

	seg(test, t, 0, 1000);
	while (th_next(t, &s))		/* the delayed ACK, if sent */
		;
	seg(test, t, 3000, 1000);	/* a hole at 1000..3000 */
	s = next_ack(test, t);
	seg(test, t, 0, 1000);		/* sent again, already here */
	s = next_ack(test, t);
	KUNIT_EXPECT_EQ(test, s.ack, RCV(1000));
	KUNIT_ASSERT_EQ(test, s.opts.num_sacks, 2);
	expect_block(test, &s, 0, 0, 1000);
	expect_block(test, &s, 1, 3000, 4000);

	lock_sock(t->sk);
	toytcp_send_ack(t->sk);
	release_sock(t->sk);
	s = next_ack(test, t);		/* once only */
	KUNIT_ASSERT_EQ(test, s.opts.num_sacks, 1);
	expect_block(test, &s, 0, 3000, 4000);
}

/* --- sender: the scoreboard --- */

/* The scoreboard as "[a,b) [c,d)", relative to ISS + 1. */
static void board(struct toytcp_sock *tp, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < tp->nr_sacked; i++)
		n += scnprintf(buf + n, len - n, "%s[%u,%u)", i ? " " : "",
			       tp->sacked[i].start - SND(0), tp->sacked[i].end - SND(0));
}

#define EXPECT_BOARD(test, tp, want) do {				\
	char __buf[256];						\
	board(tp, __buf, sizeof(__buf));				\
	KUNIT_EXPECT_STREQ(test, __buf, want);				\
} while (0)

/* Blocks in the order an ACK lists them, relative to ISS + 1. */
static u32 update(struct th_conn *t, int n, const u32 *edges)
{
	struct toytcp_opts o = {};
	u32 got;
	int i;

	for (i = 0; i < n; i++) {
		o.sacks[i].start = SND(edges[2 * i]);
		o.sacks[i].end = SND(edges[2 * i + 1]);
	}
	o.num_sacks = n;
	lock_sock(t->sk);
	got = toytcp_sack_update(t->sk, &o);
	release_sock(t->sk);
	return got;
}

/* A conn with 10 segments of ours in flight (SND(0)..SND(10000)), reno. */
static struct th_conn *conn_in_flight(struct kunit *test)
{
	struct th_conn *t = conn_sack(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct th_seg s;

	toytcp_cc_set(t->sk, toytcp_cc_find("reno"));	/* ssthresh = half the flight */
	tp->nodelay = 1;
	/*
	 * SRTT 2 s: RACK's reordering window (SRTT / 4) is 500 ms, so the
	 * real timer never fires within a test; th_fire() runs it.
	 */
	tp->srtt_us = 2 * USEC_PER_SEC;
	th_write(t, 10000);
	while (th_next(t, &s))
		;
	KUNIT_EXPECT_EQ(test, tp->snd_max, SND(10000));
	return t;
}

static void scoreboard_merges_and_trims(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	KUNIT_EXPECT_EQ(test, update(t, 2, (u32[]){ 3000, 4000, 1000, 2000 }), 2000u);
	EXPECT_BOARD(test, tp, "[1000,2000) [3000,4000)");
	/* touching both: one range */
	KUNIT_EXPECT_EQ(test, update(t, 1, (u32[]){ 2000, 3000 }), 1000u);
	EXPECT_BOARD(test, tp, "[1000,4000)");
	/* news of nothing new */
	KUNIT_EXPECT_EQ(test, update(t, 1, (u32[]){ 1500, 2500 }), 0u);
	/* empty, beyond snd_max, wholly acknowledged: ignored */
	update(t, 3, (u32[]){ 6000, 6000, 9000, 11000, 5000, 4000 });
	EXPECT_BOARD(test, tp, "[1000,4000)");
	KUNIT_EXPECT_EQ(test, tp->sacked_bytes, 3000u);

	/* the cumulative ACK moves into the range */
	tp->snd_una = SND(2000);
	toytcp_sack_trim(tp);
	EXPECT_BOARD(test, tp, "[2000,4000)");
	tp->snd_una = SND(5000);
	toytcp_sack_trim(tp);
	EXPECT_BOARD(test, tp, "");
	KUNIT_EXPECT_EQ(test, tp->sacked_bytes, 0u);
}

/* A first block below the ACK, or inside the second, is a D-SACK: counted, not kept. */
static void scoreboard_dsack_not_kept(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	long d0 = toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_DSACKRECV);

	tp->snd_una = SND(2000);
	toytcp_sack_trim(tp);
	update(t, 1, (u32[]){ 0, 1000 });
	EXPECT_BOARD(test, tp, "");
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_DSACKRECV), d0 + 1);
	/* a first block inside the second: a D-SACK (the second is news) */
	update(t, 2, (u32[]){ 6500, 7000, 6000, 8000 });
	EXPECT_BOARD(test, tp, "[6000,8000)");
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_DSACKRECV), d0 + 2);
	/* outside it: news, both */
	update(t, 2, (u32[]){ 4000, 5000, 6000, 8000 });
	EXPECT_BOARD(test, tp, "[4000,5000) [6000,8000)");
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_DSACKRECV), d0 + 2);
}

/* Past TOYTCP_SCOREBOARD_MAX ranges, the highest are forgotten. */
static void scoreboard_full_forgets_the_highest(struct kunit *test)
{
	struct th_conn *t = conn_sack(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	int i;

	tp->snd_max = SND(100000);	/* as if sent */
	for (i = TOYTCP_SCOREBOARD_MAX; i >= 0; i--)
		update(t, 1, (u32[]){ 2000 * i + 1000, 2000 * i + 1500 });
	KUNIT_EXPECT_EQ(test, tp->nr_sacked, TOYTCP_SCOREBOARD_MAX);
	KUNIT_EXPECT_EQ(test, tp->sacked[0].start, SND(1000));
	KUNIT_EXPECT_EQ(test, tp->sacked[TOYTCP_SCOREBOARD_MAX - 1].start,
			SND(2000 * (TOYTCP_SCOREBOARD_MAX - 1) + 1000));
}

/* IsLost(): more than 2 MSS, or 3 ranges, SACKed above. The pipe. */
static void lost_edge_and_pipe(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	update(t, 1, (u32[]){ 1000, 3000 });	/* 2 MSS: not yet */
	KUNIT_EXPECT_EQ(test, toytcp_sack_lost_edge(tp), SND(0));
	update(t, 1, (u32[]){ 3000, 3001 });	/* one byte more */
	KUNIT_EXPECT_EQ(test, toytcp_sack_lost_edge(tp), SND(1000));

	/* three small ranges are as good */
	tp->nr_sacked = 0;
	update(t, 3, (u32[]){ 5000, 5100, 7000, 7100, 9000, 9100 });
	KUNIT_EXPECT_EQ(test, toytcp_sack_lost_edge(tp), SND(5000));

	/*
	 * [1000,3000) and [6000,10000) SACKed: [0,1000) and [3000,6000)
	 * lost. Pipe: nothing but what was sent again, here [0,1000).
	 */
	tp->nr_sacked = 0;
	update(t, 2, (u32[]){ 1000, 3000, 6000, 10000 });
	KUNIT_EXPECT_EQ(test, toytcp_sack_lost_edge(tp), SND(6000));
	tp->high_rxt = SND(0);
	KUNIT_EXPECT_EQ(test, toytcp_sack_pipe(tp, SND(6000)), 0u);
	tp->high_rxt = SND(1000);
	KUNIT_EXPECT_EQ(test, toytcp_sack_pipe(tp, SND(6000)), 1000u);
	tp->high_rxt = SND(4000);
	KUNIT_EXPECT_EQ(test, toytcp_sack_pipe(tp, SND(6000)), 2000u);
	/* one MSS SACKed: nothing lost, all but it in the pipe */
	tp->nr_sacked = 0;
	tp->high_rxt = SND(0);
	update(t, 1, (u32[]){ 8000, 9000 });
	KUNIT_EXPECT_EQ(test, toytcp_sack_lost_edge(tp), SND(0));
	KUNIT_EXPECT_EQ(test, toytcp_sack_pipe(tp, SND(0)), 9000u);
}

/*
 * PRR (RFC 6937) by hand: ssthresh 5000, RecoverFS 10000. Pipe above
 * ssthresh: send delivered * 1/2; at or below: up to ssthresh, at most
 * one MSS more than delivered (SSRB).
 */
static void prr_arithmetic(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->in_recovery = true;
	tp->snd_ssthresh = 5000;
	tp->recover_fs = 10000;
	tp->high_rxt = SND(0);

	update(t, 1, (u32[]){ 1000, 2000 });		/* pipe 9000 */
	toytcp_sack_prr(t->sk, 1000);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 9000u + 500);
	tp->prr_out = 500;				/* as if sent */
	update(t, 1, (u32[]){ 2000, 3000 });		/* pipe 8000 */
	toytcp_sack_prr(t->sk, 1000);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 8000u + (2000 * 5000 / 10000 - 500));

	update(t, 1, (u32[]){ 3000, 7000 });		/* [0,1000) lost: pipe 3000 */
	KUNIT_EXPECT_EQ(test, toytcp_sack_pipe(tp, toytcp_sack_lost_edge(tp)), 3000u);
	toytcp_sack_prr(t->sk, 4000);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 5000u);	/* up to ssthresh */
	tp->prr_out = 6000;
	toytcp_sack_prr(t->sk, 0);			/* SSRB: one MSS beyond delivered */
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 3000u + 1000);

	/* all SACKed, more sent than delivered: one MSS (SSRB), no less */
	tp->prr_out = 100000;
	update(t, 1, (u32[]){ 0, 10000 });
	toytcp_sack_prr(t->sk, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, TH_MSS);
	tp->in_recovery = false;
}

/* --- recovery, through the wire parser --- */

/* The peer's ACK of ISS + 1 + @ack with @n SACK blocks. */
static void peer_ack(struct kunit *test, struct th_conn *t, u32 ack, int n, const u32 *edges)
{
	int i;

	for (i = 0; i < n; i++) {
		t->opts.sacks[i].start = SND(edges[2 * i]);
		t->opts.sacks[i].end = SND(edges[2 * i + 1]);
	}
	t->opts.num_sacks = n;
	th_segment(test, t, A, RCV(0), SND(ack), NULL, 0);
	t->opts.num_sacks = 0;
}

/*
 * One hole: the peer SACKs three segments after it. Recovery begins at
 * that ACK, the second duplicate (not at a third), the hole alone goes
 * again, and what the peer holds is never sent twice.
 */
static void one_hole_one_retransmission(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	peer_ack(test, t, 0, 1, (u32[]){ 1000, 3000 });
	th_expect_none(test, t);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	peer_ack(test, t, 0, 1, (u32[]){ 1000, 4000 });	/* the second duplicate */
	KUNIT_EXPECT_EQ(test, (u32)tp->dupacks, 2u);
	KUNIT_EXPECT_TRUE(test, tp->in_recovery);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 5000u);
	th_expect(test, t, A, SND(0), RCV(0), 1000);
	th_expect_none(test, t);
	/*
	 * PRR: 7000 in the pipe (10000 sent, 3000 SACKed, 1000 lost and
	 * sent again), above ssthresh: 1000 delivered * 5000 / 10000 minus
	 * the 1000 sent is nothing more; cwnd = pipe.
	 */
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 7000u);

	/* more SACKs: nothing more is lost, the pipe down to ssthresh */
	peer_ack(test, t, 0, 1, (u32[]){ 1000, 6000 });
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 5000u);

	/* the retransmission arrives: the ACK jumps to what the peer holds */
	peer_ack(test, t, 6000, 0, NULL);
	KUNIT_EXPECT_TRUE(test, tp->in_recovery);
	peer_ack(test, t, 10000, 0, NULL);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 5000u);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->total_retrans, 1u);
	KUNIT_EXPECT_EQ(test, (u32)tp->retransmits, 0u);
}

/* Two holes in one window: both go again in the same round trip. */
static void two_holes_one_round_trip(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	peer_ack(test, t, 0, 2, (u32[]){ 6000, 10000, 1000, 4000 });
	KUNIT_EXPECT_TRUE(test, tp->in_recovery);
	th_expect(test, t, A, SND(0), RCV(0), 1000);
	th_expect(test, t, A, SND(4000), RCV(0), 1000);
	th_expect(test, t, A, SND(5000), RCV(0), 1000);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->high_rxt, SND(6000));

	/* all of it arrived */
	peer_ack(test, t, 10000, 0, NULL);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	KUNIT_EXPECT_EQ(test, tp->total_retrans, 3u);
}

/* In recovery, the room the pipe leaves under cwnd takes new data. */
static void new_data_in_what_the_pipe_leaves(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct th_seg s;
	int n = 0;

	th_write(t, 5000);	/* queued: the window is full */
	th_expect_none(test, t);
	/* [1000,10000) SACKed: [0,1000) lost; pipe after resending it 1000 */
	peer_ack(test, t, 0, 1, (u32[]){ 1000, 10000 });
	th_expect(test, t, A, SND(0), RCV(0), 1000);
	while (th_next(t, &s)) {
		KUNIT_EXPECT_EQ(test, s.seq, SND(10000 + n * 1000));
		n++;
	}
	/* cwnd 5000 - pipe 1000: four new segments */
	KUNIT_EXPECT_EQ(test, n, 4);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 5000u);
}

/*
 * The retransmission of a hole is lost too. It left when 10000 had been
 * sent; once more than 2 MSS sent after it (from 10000 up) are SACKed,
 * it is lost (the RFC 8985 rule by send order) and goes once more, not
 * after the RTO; 2 MSS above it are not yet enough (reordering).
 */
static void lost_retransmission_sent_again(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long lost0 = toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_LOSTRETRANSMIT);
	int i;

	th_write(t, 4000);	/* queued: the window is full */
	peer_ack(test, t, 0, 1, (u32[]){ 1000, 10000 });
	th_expect(test, t, A, SND(0), RCV(0), 1000);
	for (i = 0; i < 4; i++)	/* the last one ends the write: PSH */
		th_expect(test, t, i == 3 ? A | TOYTCP_PSH : A, SND(10000 + i * 1000),
			  RCV(0), 1000);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->nr_rxt, 1);
	KUNIT_EXPECT_EQ(test, tp->rxt_log[0].high, SND(10000));

	/* 2000 of the new data SACKed: not more than DupThresh - 1 MSS */
	peer_ack(test, t, 0, 1, (u32[]){ 1000, 12000 });
	th_expect_none(test, t);
	KUNIT_EXPECT_FALSE(test, tp->rxt_log[0].lost);
	/* 3000: the retransmission is lost, and goes again at once */
	peer_ack(test, t, 0, 1, (u32[]){ 1000, 13000 });
	th_expect(test, t, A, SND(0), RCV(0), 1000);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_LOSTRETRANSMIT),
			lost0 + 1);
	/* watched again, from what has been sent by now */
	KUNIT_EXPECT_EQ(test, tp->nr_rxt, 1);
	KUNIT_EXPECT_FALSE(test, tp->rxt_log[0].lost);
	KUNIT_EXPECT_EQ(test, tp->rxt_log[0].high, SND(14000));
	KUNIT_EXPECT_EQ(test, tp->total_retrans, 2u);

	peer_ack(test, t, 14000, 0, NULL);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	KUNIT_EXPECT_EQ(test, tp->nr_rxt, 0);
	KUNIT_EXPECT_EQ(test, (u32)tp->retransmits, 0u);
}

/* A timeout forgets the scoreboard (the peer may renege, RFC 2018 §8). */
static void timeout_forgets_the_scoreboard(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	peer_ack(test, t, 0, 1, (u32[]){ 2000, 3000 });
	KUNIT_EXPECT_EQ(test, tp->nr_sacked, 1);
	/* first RACK's reordering window: the hole below goes again */
	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A, SND(0), RCV(0), 1000);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->nr_sacked, 1);
	/* then the RTO */
	th_fire(t, TOYTCP_RETX_DEFERRED);
	KUNIT_EXPECT_EQ(test, (u32)tp->retransmits, 1u);
	KUNIT_EXPECT_EQ(test, tp->nr_sacked, 0);
	KUNIT_EXPECT_EQ(test, tp->sacked_bytes, 0u);
	th_expect(test, t, A, SND(0), RCV(0), 1000);
}

/* --- RACK's reordering window (RFC 8985 §6) --- */

/*
 * Three segments out, the middle one SACKed: one MSS above the hole is not
 * enough for IsLost(), and no more will come. RACK's reordering window
 * starts; when it runs out the hole is lost: recovery, and it goes again
 * long before the RTO.
 */
static void rack_small_flight_hole(struct kunit *test)
{
	struct th_conn *t = conn_sack(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long reo0 = toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_RACKREORDERTIMEOUTS);
	struct th_seg s;

	toytcp_cc_set(t->sk, toytcp_cc_find("reno"));
	tp->nodelay = 1;
	tp->srtt_us = 2 * USEC_PER_SEC;	/* a 500 ms window: th_fire() ends it */
	th_write(t, 3000);
	while (th_next(t, &s))
		;
	peer_ack(test, t, 0, 1, (u32[]){ 1000, 2000 });
	th_expect_none(test, t);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	KUNIT_EXPECT_TRUE(test, (bool)tp->rack_armed);
	KUNIT_EXPECT_EQ(test, tp->rack_mark, SND(1000));
	/* the window: SRTT / 4 from the ACK; the RTO keeps its later deadline */
	KUNIT_EXPECT_TRUE(test, time_before_eq(tp->retx_timer.expires,
					       jiffies + usecs_to_jiffies(500000)));
	KUNIT_EXPECT_TRUE(test, time_after(tp->retx_timer.expires,
					   jiffies + usecs_to_jiffies(400000)));
	KUNIT_EXPECT_TRUE(test, time_after(tp->retx_expires, tp->retx_timer.expires));

	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A, SND(0), RCV(0), 1000);
	th_expect_none(test, t);
	KUNIT_EXPECT_TRUE(test, tp->in_recovery);
	KUNIT_EXPECT_EQ(test, (u32)tp->retransmits, 0u);	/* no timeout */
	KUNIT_EXPECT_FALSE(test, (bool)tp->rack_armed);	/* the RTO is back */
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk),
					       TOYTCP_MIB_RACKREORDERTIMEOUTS), reo0 + 1);

	peer_ack(test, t, 3000, 0, NULL);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	KUNIT_EXPECT_FALSE(test, (bool)tp->rack_lost);
}

/*
 * Reordering, not loss: the hole is filled within the window. Nothing is
 * sent again, no recovery, and the timer holds the RTO again.
 */
static void rack_reordered_hole_filled_in_time(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	peer_ack(test, t, 0, 1, (u32[]){ 1000, 2000 });
	KUNIT_EXPECT_TRUE(test, (bool)tp->rack_armed);
	peer_ack(test, t, 2000, 0, NULL);	/* the late segment arrived */
	KUNIT_EXPECT_FALSE(test, (bool)tp->rack_armed);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->total_retrans, 0u);
}

/* --- tail loss probe (RFC 8985 §7) --- */

/*
 * 10 segments out, the peer ACKs 8: the last two are lost with nothing
 * after them. The timer holds a probe timeout (2 SRTT), not the RTO.
 */
static struct th_conn *conn_tail_lost(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	/* PTO about 700 ms, RTO 1.35 s: the real timer fires after the test */
	tp->srtt_us = 400000;
	tp->rttvar_us = 200000;
	tp->rto_us = 2 * USEC_PER_SEC;
	peer_ack(test, t, 8000, 0, NULL);
	th_expect_none(test, t);
	KUNIT_EXPECT_TRUE(test, (bool)tp->tlp_armed);
	return t;
}

/* The probe resends the last segment; its SACK shows the one before it lost. */
static void tlp_probe_then_the_hole_before_it(struct kunit *test)
{
	struct th_conn *t = conn_tail_lost(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long probes = toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_TLP);

	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A | P, SND(9000), RCV(0), 1000);	/* the last: PSH */
	th_expect_none(test, t);
	KUNIT_EXPECT_TRUE(test, (bool)tp->tlp_out);
	KUNIT_EXPECT_FALSE(test, (bool)tp->tlp_armed);
	KUNIT_EXPECT_EQ(test, (u32)tp->retransmits, 0u);	/* no timeout */
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_TLP), probes + 1);

	/* the probe arrived, [8000,9000) did not: lost, sent again at once */
	peer_ack(test, t, 8000, 1, (u32[]){ 9000, 10000 });
	KUNIT_EXPECT_TRUE(test, tp->in_recovery);
	th_expect(test, t, A, SND(8000), RCV(0), 1000);
	th_expect_none(test, t);

	peer_ack(test, t, 10000, 0, NULL);
	KUNIT_EXPECT_FALSE(test, tp->in_recovery);
	KUNIT_EXPECT_FALSE(test, (bool)tp->tlp_out);
}

/*
 * The probe repaired the only loss: cwnd still answers for it, once an
 * ACK beyond the probe shows no D-SACK came for it.
 */
static void tlp_repair_reduces_cwnd(struct kunit *test)
{
	struct th_conn *t = conn_tail_lost(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long rec = toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_TLPRECOVERED);

	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A | P, SND(9000), RCV(0), 1000);	/* the last: PSH */
	peer_ack(test, t, 10000, 0, NULL);
	KUNIT_EXPECT_TRUE(test, (bool)tp->tlp_out);	/* a D-SACK may still come */
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_TLPRECOVERED), rec);
	th_write(t, 1000);
	th_expect(test, t, A | P, SND(10000), RCV(0), 1000);
	peer_ack(test, t, 11000, 0, NULL);
	KUNIT_EXPECT_FALSE(test, (bool)tp->tlp_out);
	/* reno: half the flight when the probe left (2000), at least 2 MSS */
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 2 * TH_MSS);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 2 * TH_MSS);
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_TLPRECOVERED),
			rec + 1);
}

/* The original arrived after all (a D-SACK for the probe): no reduction. */
static void tlp_not_needed_no_reduction(struct kunit *test)
{
	struct th_conn *t = conn_tail_lost(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	u32 cwnd;

	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A | P, SND(9000), RCV(0), 1000);	/* the last: PSH */
	cwnd = tp->snd_cwnd;
	peer_ack(test, t, 10000, 1, (u32[]){ 9000, 10000 });	/* D-SACK */
	KUNIT_EXPECT_FALSE(test, (bool)tp->tlp_out);
	KUNIT_EXPECT_GE(test, tp->snd_cwnd, cwnd);
}

/* No SACK, no probe: its answer could not show a hole. */
static void tlp_needs_sack(struct kunit *test)
{
	struct th_conn *t = conn_in_flight(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->sack_ok = 0;
	tp->srtt_us = 50000;
	tp->rto_us = USEC_PER_SEC;
	peer_ack(test, t, 8000, 0, NULL);
	KUNIT_EXPECT_FALSE(test, (bool)tp->tlp_armed);
}

static struct kunit_case toytcp_sack_cases[] = {
	KUNIT_CASE(syn_sack_permitted_before_timestamps),
	KUNIT_CASE(syn_sack_permitted_without_timestamps),
	KUNIT_CASE(negotiated_only_when_both_offer),
	KUNIT_CASE(sack_option_parse),
	KUNIT_CASE(blocks_most_recent_first),
	KUNIT_CASE(no_blocks_without_sack),
	KUNIT_CASE(blocks_as_many_as_fit),
	KUNIT_CASE(dsack_for_an_old_duplicate),
	KUNIT_CASE(scoreboard_merges_and_trims),
	KUNIT_CASE(scoreboard_dsack_not_kept),
	KUNIT_CASE(scoreboard_full_forgets_the_highest),
	KUNIT_CASE(lost_edge_and_pipe),
	KUNIT_CASE(prr_arithmetic),
	KUNIT_CASE(one_hole_one_retransmission),
	KUNIT_CASE(two_holes_one_round_trip),
	KUNIT_CASE(new_data_in_what_the_pipe_leaves),
	KUNIT_CASE(lost_retransmission_sent_again),
	KUNIT_CASE(timeout_forgets_the_scoreboard),
	KUNIT_CASE(rack_small_flight_hole),
	KUNIT_CASE(rack_reordered_hole_filled_in_time),
	KUNIT_CASE(tlp_probe_then_the_hole_before_it),
	KUNIT_CASE(tlp_repair_reduces_cwnd),
	KUNIT_CASE(tlp_not_needed_no_reduction),
	KUNIT_CASE(tlp_needs_sack),
	{}
};

static struct kunit_suite toytcp_sack_suite = {
	.name = "toytcp_sack",
	.exit = th_exit,
	.test_cases = toytcp_sack_cases,
};

kunit_test_suite(toytcp_sack_suite);
