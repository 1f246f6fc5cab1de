// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: RFC 7323, window scaling and timestamps, through the harness
 * (segments through the real wire parser, a virtual clock for timers):
 *   the options     our SYN's layout byte by byte; parsing, a shift count
 *                   over 14 taken as 14, wrong lengths ignored
 *   negotiation     on only when both SYNs carry an option: every
 *                   combination, then a SYN-ACK with and without them
 *   scaled windows  the peer's window shifted (never in a SYN), up to the
 *                   2^30 edge; ours beyond 64 KB, a multiple of 2^scale
 *   timestamps      on every segment once on; the MSS's data less 12
 *                   bytes (never below the floor); PAWS drops a TSval
 *                   more than one tick old (not a reset, not once
 *                   TS.Recent is 24 days old, which is then replaced,
 *                   not when TS.Recent is 0); TS.Recent taken only from a
 *                   segment at or before the ACK we sent that passed
 *                   every check (a blind reset, SYN or bad ACK cannot
 *                   move it); an RTT sample from TSecr after a
 *                   retransmission (RTTM), and only then, and only from
 *                   an echo of a segment sent since the timeout
 */
#include <kunit/test.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>
#include <asm/unaligned.h>

#include "toytcp_harness.h"

#define A TOYTCP_ACK
#define S TOYTCP_SYN
#define R TOYTCP_RST
#define ISS TH_ISS
#define IRS TH_IRS

/* The namespace's switches, forced for a test (SACK off) and put back after. */
struct sysctls {
	u8 ws, ts, sack;
};

static struct sysctls sysctls_set3(u8 ws, u8 ts, u8 sack)
{
	struct sysctls old = {
		READ_ONCE(init_net.ipv4.sysctl_tcp_window_scaling),
		READ_ONCE(init_net.ipv4.sysctl_tcp_timestamps),
		READ_ONCE(init_net.ipv4.sysctl_tcp_sack),
	};

	WRITE_ONCE(init_net.ipv4.sysctl_tcp_window_scaling, ws);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_timestamps, ts);
	WRITE_ONCE(init_net.ipv4.sysctl_tcp_sack, sack);
	return old;
}

static struct sysctls sysctls_set(u8 ws, u8 ts)
{
	return sysctls_set3(ws, ts, 0);
}

static void sysctls_put(struct sysctls old)
{
	sysctls_set3(old.ws, old.ts, old.sack);
}

/* A conn in SYN_SENT that offered both (shift 7) and sent its SYN, captured. */
static struct th_conn *conn_offering(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct sysctls old = sysctls_set(1, 1);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->advmss = 1460;
	toytcp_offer_options(t->sk);
	sysctls_put(old);
	KUNIT_EXPECT_TRUE(test, (bool)tp->wscale_ok);
	KUNIT_EXPECT_TRUE(test, (bool)tp->tstamp_ok);
	tp->rcv_wscale = 7;
	lock_sock(t->sk);
	toytcp_send_syn(t->sk);
	release_sock(t->sk);
	return t;
}

static void syn_options_layout(struct kunit *test)
{
	struct th_conn *t = conn_offering(test);
	struct sk_buff *skb = skb_dequeue(&t->sent);
	const u8 expect[20] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		1, 1, 8, 10, 0, 0, 0, 0,	/* NOP NOP TS (TSval masked) */
		0, 0, 0, 0,			/* TSecr 0 in a SYN */
		1, 3, 3, 7,			/* NOP WS 7 */
	};
	u8 got[20];

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, skb->data[12] >> 4, 10);	/* 40-byte header */
	KUNIT_EXPECT_EQ(test, skb->data[13], S);
	KUNIT_EXPECT_LE(test, get_unaligned_be16(skb->data + 14), TOYTCP_MAX_WINDOW);
	memcpy(got, skb->data + 20, sizeof(got));
	memset(got + 8, 0, 4);
	KUNIT_EXPECT_EQ(test, memcmp(got, expect, sizeof(expect)), 0);
	kfree_skb(skb);
}

struct parse_case {
	const char *name;
	u8 bytes[24];
	unsigned int len;
	bool ws, ts;
	u8 wscale;
	u32 tsval, tsecr;
	u16 mss;
};

static const struct parse_case parse_cases[] = {
	{ "window scale", { 1, 3, 3, 7 }, 4, true, false, 7 },
	{ "shift 15 taken as 14", { 3, 3, 15, 0 }, 4, true, false, 14 },
	{ "shift 255 taken as 14", { 3, 3, 255, 0 }, 4, true, false, 14 },
	{ "window scale of length 4 ignored", { 3, 4, 7, 0, 2, 4, 0x05, 0xb4 }, 8,
	  false, false, 0, 0, 0, 1460 },
	{ "timestamps", { 1, 1, 8, 10, 0, 0, 0x30, 0x39, 0xff, 0xff, 0xff, 0xfe }, 12,
	  false, true, 0, 12345, 0xfffffffe },
	{ "timestamps of length 8 ignored", { 8, 8, 1, 2, 3, 4, 5, 6, 2, 4, 0x02, 0x18 },
	  12, false, false, 0, 0, 0, 536 },
	{ "all three, Linux's SYN layout",
	  { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 7 }, 20,
	  true, true, 7, 9, 0, 1460 },
};

static void options_parse(struct kunit *test)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct toytcp_opts o;

		KUNIT_EXPECT_EQ_MSG(test, toytcp_parse_options(c->bytes, c->len, &o), 0,
				    "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, o.saw_wscale, c->ws, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, o.saw_tstamp, c->ts, "%s", c->name);
		KUNIT_EXPECT_EQ_MSG(test, o.mss, c->mss, "%s", c->name);
		if (c->ws)
			KUNIT_EXPECT_EQ_MSG(test, o.wscale, c->wscale, "%s", c->name);
		if (c->ts) {
			KUNIT_EXPECT_EQ_MSG(test, o.tsval, c->tsval, "%s", c->name);
			KUNIT_EXPECT_EQ_MSG(test, o.tsecr, c->tsecr, "%s", c->name);
		}
	}
}

/* Every combination of what we offered and what the peer's SYN carried. */
static void negotiation_matrix(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	int i;

	for (i = 0; i < 16; i++) {
		bool our_ws = i & 1, our_ts = i & 2, peer_ws = i & 4, peer_ts = i & 8;
		struct toytcp_opts o = {
			.saw_wscale = peer_ws, .wscale = 5,
			.saw_tstamp = peer_ts, .tsval = 777,
		};

		tp->wscale_ok = our_ws;
		tp->rcv_wscale = our_ws ? 7 : 0;
		tp->tstamp_ok = our_ts;
		tp->ts_recent = 0;
		toytcp_negotiate_options(tp, &o);
		KUNIT_EXPECT_EQ_MSG(test, (bool)tp->wscale_ok, our_ws && peer_ws, "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, tp->snd_wscale, our_ws && peer_ws ? 5 : 0, "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, tp->rcv_wscale, our_ws && peer_ws ? 7 : 0, "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, (bool)tp->tstamp_ok, our_ts && peer_ts, "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, tp->ts_recent, our_ts && peer_ts ? 777u : 0u,
				    "case %d", i);
	}
	/* the namespace's switches off: nothing offered */
	{
		struct sysctls old = sysctls_set(0, 0);

		toytcp_offer_options(t->sk);
		sysctls_put(old);
		KUNIT_EXPECT_FALSE(test, (bool)tp->wscale_ok);
		KUNIT_EXPECT_FALSE(test, (bool)tp->tstamp_ok);
		KUNIT_EXPECT_EQ(test, tp->rcv_wscale, 0);
	}
}

static void syn_ack_with_both(struct kunit *test)
{
	struct th_conn *t = conn_offering(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct th_seg s;

	skb_queue_purge(&t->sent);
	t->opts = (struct toytcp_opts){ .mss = 1000, .saw_tstamp = true, .tsval = 5555,
					.tsecr = toytcp_ts_now(tp), .saw_wscale = true,
					.wscale = 3 };
	th_segment(test, t, S | A, IRS, ISS + 1, NULL, 0);
	KUNIT_ASSERT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, tp->snd_wscale, 3);
	KUNIT_EXPECT_EQ(test, tp->snd_wnd, (u32)t->wnd);	/* a SYN's window: not scaled */
	/* every segment now carries timestamps, and 12 bytes less data */
	KUNIT_EXPECT_EQ(test, tp->mss, 1000 - TOYTCP_OPT_TS_ALIGNED_LEN);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, s.flags, A);
	KUNIT_EXPECT_EQ(test, s.hlen, 32u);
	KUNIT_EXPECT_TRUE(test, s.opts.saw_tstamp);
	KUNIT_EXPECT_FALSE(test, s.opts.saw_wscale);
	KUNIT_EXPECT_EQ(test, s.opts.tsecr, 5555u);
	KUNIT_EXPECT_EQ(test, (u32)s.window << 7, tp->rcv_wnd);
	t->opts.mss = 0;
	t->opts.saw_wscale = false;
	th_write(t, 2 * 988);
	th_expect(test, t, A, ISS + 1, IRS + 1, 988);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1 + 988, IRS + 1, 988);
	/* the peer's window is scaled from now on: 100 << 3 */
	t->wnd = 100;
	th_segment(test, t, A, IRS + 1, ISS + 1 + 988, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_wnd, 800u);
}

static void syn_ack_without_options(struct kunit *test)
{
	struct th_conn *t = conn_offering(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct th_seg s;

	skb_queue_purge(&t->sent);
	t->opts = (struct toytcp_opts){ .mss = 1000 };
	th_segment(test, t, S | A, IRS, ISS + 1, NULL, 0);
	KUNIT_ASSERT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	KUNIT_EXPECT_FALSE(test, (bool)tp->wscale_ok);
	KUNIT_EXPECT_FALSE(test, (bool)tp->tstamp_ok);
	KUNIT_EXPECT_EQ(test, tp->rcv_wscale, 0);
	KUNIT_EXPECT_EQ(test, tp->mss, 1000);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, s.hlen, 20u);
	KUNIT_EXPECT_EQ(test, (u32)s.window, tp->rcv_wnd);
	/* a window field is then taken as it is */
	t->opts.mss = 0;
	t->wnd = 100;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_wnd, 100u);
}

/* An established conn with window scaling on: ours 7, the peer's @snd_wscale. */
static struct th_conn *conn_scaled(struct kunit *test, u8 snd_wscale)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->wscale_ok = 1;
	tp->rcv_wscale = 7;
	tp->snd_wscale = snd_wscale;
	return t;
}

/* The peer's largest window with shift 14 is just under 2^30: no overflow. */
static void peer_window_at_the_2_30_edge(struct kunit *test)
{
	struct th_conn *t = conn_scaled(test, TOYTCP_MAX_WSCALE);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	t->wnd = U16_MAX;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_wnd, (u32)U16_MAX << 14);
	KUNIT_EXPECT_LT(test, tp->snd_wnd, 1U << 30);
	KUNIT_EXPECT_EQ(test, toytcp_peer_window(tp, 1, A), 16384u);
	KUNIT_EXPECT_EQ(test, toytcp_peer_window(tp, 1, S | A), 1u);
	/* a sender limited by it sends what it has */
	th_write(t, 3 * TH_MSS);
	th_expect(test, t, A, ISS + 1, IRS + 1, TH_MSS);
	th_expect(test, t, A, ISS + 1 + TH_MSS, IRS + 1, TH_MSS);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1 + 2 * TH_MSS, IRS + 1, TH_MSS);
}

/* Our window beyond 64 KB, and a multiple of 2^7 so the field says it exactly. */
static void our_window_beyond_64k(struct kunit *test)
{
	struct th_conn *t = conn_scaled(test, 0);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct th_seg s;

	t->sk->sk_rcvbuf = 1024 * 1024 + 1000;	/* half of it: 524788, not a multiple of 128 */
	lock_sock(t->sk);
	toytcp_send_ack(t->sk);
	release_sock(t->sk);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, (u32)s.window << 7, tp->rcv_wnd);
	KUNIT_EXPECT_GT(test, tp->rcv_wnd, (u32)U16_MAX);
	/* rounded down: never more than half the buffer */
	KUNIT_EXPECT_EQ(test, tp->rcv_wnd, 524788u / 128 * 128);
}

/* Shift 14 and a buffer of 2^31: the field still fits, the window under 2^30. */
static void shift_14_at_the_largest_buffer(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct th_seg s;

	t->sk->sk_rcvbuf = INT_MAX;
	KUNIT_EXPECT_EQ(test, toytcp_choose_wscale(t->sk), TOYTCP_MAX_WSCALE);
	tp->wscale_ok = 1;
	tp->rcv_wscale = TOYTCP_MAX_WSCALE;
	lock_sock(t->sk);
	toytcp_send_ack(t->sk);
	release_sock(t->sk);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, (u32)s.window << 14, tp->rcv_wnd);
	KUNIT_EXPECT_EQ(test, tp->rcv_wnd, (u32)U16_MAX << 14);
}

/* An established conn with timestamps on; TS.Recent 1000, taken now. */
static struct th_conn *conn_ts(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->tstamp_ok = 1;
	tp->ts_recent = 1000;
	tp->ts_recent_stamp = ktime_get_seconds();
	t->opts.saw_tstamp = true;
	t->opts.tsecr = toytcp_ts_now(tp);
	return t;
}

static void paws_drops_an_old_timestamp(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long paws = toytcp_read_stat(&init_net, TOYTCP_MIB_PAWSESTABREJECTED);
	struct th_seg s;

	t->opts.tsval = 998;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 1);	/* dropped */
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(&init_net, TOYTCP_MIB_PAWSESTABREJECTED),
			paws + 1);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));	/* acknowledged */
	KUNIT_EXPECT_EQ(test, s.flags, A);
	KUNIT_EXPECT_EQ(test, s.ack, IRS + 1);
	KUNIT_EXPECT_EQ(test, s.opts.tsecr, 1000u);
	/* one tick older passes (Linux's TCP_PAWS_WINDOW), TS.Recent stays */
	t->opts.tsval = 999;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 101);
	KUNIT_EXPECT_EQ(test, tp->ts_recent, 1000u);
	th_fire(t, TOYTCP_DELACK_DEFERRED);		/* our ACK: Last.ACK.sent moves */
	skb_queue_purge(&t->sent);
	t->opts.tsval = 1500;
	th_segment(test, t, A, IRS + 101, ISS + 1, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 201);
	KUNIT_EXPECT_EQ(test, tp->ts_recent, 1500u);
	/* a reset is never dropped by PAWS */
	t->opts.tsval = 1;
	th_segment(test, t, R, IRS + 201, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_CLOSE);
}

static void paws_forgets_a_ts_recent_24_days_old(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->ts_recent_stamp = ktime_get_seconds() - TOYTCP_PAWS_IDLE_SECS - 1;
	t->opts.tsval = 500;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 101);
	/* and the stale TS.Recent is replaced, though by an older TSval */
	KUNIT_EXPECT_EQ(test, tp->ts_recent, 500u);
}

/* TS.Recent 0 (a peer that sent TSval 0 in its SYN) compares with nothing. */
static void paws_ignores_ts_recent_0(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->ts_recent = 0;
	t->opts.tsval = 0x90000000;	/* "older" than 0 on the circle */
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 101);
}

/* A blind reset or SYN with a new TSval cannot move TS.Recent (and so poison PAWS). */
static void blind_segments_leave_ts_recent(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	t->opts.tsval = 0x40000000;
	th_segment(test, t, R, IRS + 50, 0, NULL, 0);		/* in window, not exact */
	KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
	th_segment(test, t, S, IRS + 50, 0, NULL, 0);
	th_segment(test, t, A, IRS + 1, ISS + 5000, NULL, 0);	/* ACK of unsent data */
	KUNIT_EXPECT_EQ(test, tp->ts_recent, 1000u);
	/* the real peer's next segment still passes */
	t->opts.tsval = 1001;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 100);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 101);
}

/* A full segment's data with timestamps is MSS - 12, never below the floor. */
static void tiny_peer_mss_with_timestamps(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->peer_mss = 8;
	KUNIT_EXPECT_EQ(test, toytcp_effective_mss(tp), TOYTCP_MIN_MSS);
	tp->peer_mss = 1460;
	tp->advmss = 1460;
	KUNIT_EXPECT_EQ(test, toytcp_effective_mss(tp), 1448);
}

/* RFC 7323 §4.3: a segment after a hole does not set TS.Recent. */
static void ts_recent_only_from_the_ack_point(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	t->opts.tsval = 2000;
	th_segment(test, t, A, IRS + 101, ISS + 1, NULL, 100);	/* out of order */
	KUNIT_EXPECT_EQ(test, tp->ts_recent, 1000u);
	t->opts.tsval = 1800;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 100);	/* fills the hole */
	KUNIT_EXPECT_EQ(test, tp->ts_recent, 1800u);
	KUNIT_EXPECT_EQ(test, tp->rcv_nxt, IRS + 201);
}

/* After a timeout Karn forbids timing; the echoed TSval still gives the RTT. */
static void rttm_after_a_retransmission(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	th_write(t, 500);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	KUNIT_EXPECT_EQ(test, tp->srtt_us, 0u);
	/* the virtual clock: the timeout was 60 ms ago, the echoed segment left 50 ms ago */
	tp->retx_tsval = toytcp_ts_now(tp) - 60;
	t->opts.tsval = 1001;
	t->opts.tsecr = toytcp_ts_now(tp) - 50;
	th_segment(test, t, A, IRS + 1, ISS + 501, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_una, ISS + 501);
	KUNIT_EXPECT_GE(test, tp->srtt_us, 50000u);
	KUNIT_EXPECT_LE(test, tp->srtt_us, 60000u);
}

/* After a timeout, an echo of a segment sent before it measures nothing (RFC 3522). */
static void no_tsecr_sample_from_before_the_timeout(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	u32 before = toytcp_ts_now(tp) - 3000;	/* our TSval 3 s ago */

	th_write(t, 500);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	t->opts.tsval = 1001;
	t->opts.tsecr = before;
	th_segment(test, t, A, IRS + 1, ISS + 501, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_una, ISS + 501);
	KUNIT_EXPECT_EQ(test, tp->srtt_us, 0u);
}

/*
 * The backoff lasts until a valid sample (RFC 6298 §5), not until any new
 * ACK: the late ACK of the original measures nothing, and the RTO stays
 * doubled; the next timed segment's ACK brings it back to the estimate.
 */
static void backoff_lasts_until_a_sample(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	u32 backed;

	toytcp_rtt_sample(tp, 10000);		/* 10 ms: the RTO at its 200 ms floor */
	th_write(t, 500);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	th_fire(t, TOYTCP_RETX_DEFERRED);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	backed = tp->rto_us;
	KUNIT_EXPECT_EQ(test, backed, 400000u);
	KUNIT_EXPECT_EQ(test, (u32)tp->backoff, 1u);
	/* the original's ACK, 300 ms after it left, 100 ms after the timeout */
	tp->retx_tsval = toytcp_ts_now(tp) - 100;
	t->opts.tsval = 1001;
	t->opts.tsecr = toytcp_ts_now(tp) - 300;
	th_segment(test, t, A, IRS + 1, ISS + 501, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_una, ISS + 501);
	KUNIT_EXPECT_EQ(test, tp->rto_us, backed);
	KUNIT_EXPECT_EQ(test, (u32)tp->backoff, 1u);
	/* new data, timed and acknowledged: a sample, the RTO from the estimate */
	th_write(t, 100);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 501, IRS + 1, 100);
	t->opts.tsval = 1002;
	t->opts.tsecr = toytcp_ts_now(tp);
	th_segment(test, t, A, IRS + 1, ISS + 601, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_una, ISS + 601);
	KUNIT_EXPECT_EQ(test, tp->rto_us, 200000u);
	KUNIT_EXPECT_EQ(test, (u32)tp->backoff, 0u);
}

/* Without a retransmission the timed segment alone gives samples, not TSecr. */
static void no_tsecr_sample_without_a_retransmission(struct kunit *test)
{
	struct th_conn *t = conn_ts(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	th_write(t, 500);
	th_expect(test, t, A | TOYTCP_PSH, ISS + 1, IRS + 1, 500);
	tp->rtt_start = 0;	/* as if the timed segment's sample were taken */
	t->opts.tsval = 1001;
	t->opts.tsecr = toytcp_ts_now(tp) - 50;
	th_segment(test, t, A, IRS + 1, ISS + 501, NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_una, ISS + 501);
	KUNIT_EXPECT_EQ(test, tp->srtt_us, 0u);
}

static struct kunit_case toytcp_rfc7323_cases[] = {
	KUNIT_CASE(syn_options_layout),
	KUNIT_CASE(options_parse),
	KUNIT_CASE(negotiation_matrix),
	KUNIT_CASE(syn_ack_with_both),
	KUNIT_CASE(syn_ack_without_options),
	KUNIT_CASE(peer_window_at_the_2_30_edge),
	KUNIT_CASE(our_window_beyond_64k),
	KUNIT_CASE(shift_14_at_the_largest_buffer),
	KUNIT_CASE(paws_drops_an_old_timestamp),
	KUNIT_CASE(paws_forgets_a_ts_recent_24_days_old),
	KUNIT_CASE(ts_recent_only_from_the_ack_point),
	KUNIT_CASE(rttm_after_a_retransmission),
	KUNIT_CASE(no_tsecr_sample_without_a_retransmission),
	KUNIT_CASE(no_tsecr_sample_from_before_the_timeout),
	KUNIT_CASE(backoff_lasts_until_a_sample),
	KUNIT_CASE(paws_ignores_ts_recent_0),
	KUNIT_CASE(blind_segments_leave_ts_recent),
	KUNIT_CASE(tiny_peer_mss_with_timestamps),
	{}
};

static struct kunit_suite toytcp_rfc7323_suite = {
	.name = "toytcp_rfc7323",
	.exit = th_exit,
	.test_cases = toytcp_rfc7323_cases,
};

kunit_test_suite(toytcp_rfc7323_suite);
