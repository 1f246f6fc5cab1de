// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the congestion control algorithms (TCP_CONGESTION). CUBIC's
 * curve against points computed by hand from RFC 9438 (1) and (2), its
 * reduction and fast convergence, its growth per ACK near and away from
 * W_max beside Reno's; finding algorithms by name. ECN (RFC 3168): the
 * handshake's bits, the receiver's echo until CWR, the sender's one
 * reduction per window, ECT on new data only. MSS 1000.
 */
#include <kunit/test.h>
#include <net/inet_ecn.h>

#include "toytcp_harness.h"

#define MSS TH_MSS

/*
 * RFC 9438 (2) by hand: W_max 100, cwnd 70 segments at the epoch:
 * K = cbrt(30 / 0.4) s = cbrt(75) s = 4.2172 s.
 */
static void cubic_k(struct kunit *test)
{
	u32 k = toytcp_cubic_k_ms(30 * MSS, MSS);

	KUNIT_EXPECT_GE(test, k, 4216u);
	KUNIT_EXPECT_LE(test, k, 4218u);
	KUNIT_EXPECT_EQ(test, toytcp_cubic_k_ms(0, MSS), 0u);
	/* 0.4 segments: K = cbrt(1) s */
	KUNIT_EXPECT_EQ(test, toytcp_cubic_k_ms(400, MSS), 1000u);
	/* a 1460-byte MSS counts segments, not bytes: the same K */
	KUNIT_EXPECT_EQ(test, toytcp_cubic_k_ms(30 * 1460, 1460), k);
}

/* W(t) = 0.4 (t - K)^3 + W_max, segments and seconds; by hand, in bytes. */
static void cubic_curve_points(struct kunit *test)
{
	static const struct {
		u32 t_ms;
		u32 want;	/* bytes, within 0.2 % */
	} pts[] = {
		{ 0, 70000 },		/* 100 - 0.4 * 4.2172^3 = 70 */
		{ 2000, 95640 },	/* 100 - 0.4 * 2.2172^3 */
		{ 4217, 100000 },	/* t = K: back at W_max, flat */
		{ 5217, 100400 },	/* + 0.4 * 1^3 */
		{ 6217, 103200 },	/* + 0.4 * 2^3 */
		{ 8434, 130000 },	/* t = 2K: + 0.4 * K^3 = + 30 */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pts); i++) {
		u32 w = toytcp_cubic_window(100 * MSS, 4217, pts[i].t_ms, MSS);

		KUNIT_EXPECT_LE_MSG(test, abs((s32)(w - pts[i].want)), (s32)pts[i].want / 500,
				    "t = %u ms: W = %u", pts[i].t_ms, w);
	}
	/* never below one segment */
	KUNIT_EXPECT_EQ(test, toytcp_cubic_window(MSS, 100000, 0, MSS), MSS);
}

/* A conn in avoidance with the algorithm @name, cwnd = ssthresh = @cwnd. */
static struct th_conn *conn_cc(struct kunit *test, const char *name, u32 cwnd)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	const struct toytcp_cc_ops *ops = toytcp_cc_find(name);

	KUNIT_ASSERT_NOT_NULL(test, ops);
	toytcp_cc_set(t->sk, ops);
	tp->snd_cwnd = cwnd;
	tp->snd_ssthresh = cwnd;
	tp->cwnd_limited = 1;	/* as if the last push had filled cwnd */
	return t;
}

/* beta = 0.7; a loss below the last W_max leaves it at 0.85 cwnd. */
static void cubic_reduction_and_fast_convergence(struct kunit *test)
{
	struct th_conn *t = conn_cc(test, "cubic", 100 * MSS);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->snd_max = tp->snd_una + 100 * MSS;	/* a full window in flight */
	toytcp_cc_enter_recovery(t->sk);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 70 * MSS);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 70 * MSS);
	KUNIT_EXPECT_EQ(test, tp->cubic.w_max, 100 * MSS);
	tp->in_recovery = false;

	tp->snd_cwnd = 80 * MSS;
	tp->snd_max = tp->snd_una + 80 * MSS;
	toytcp_cc_enter_recovery(t->sk);
	KUNIT_EXPECT_EQ(test, tp->cubic.w_max, 68 * MSS);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 56 * MSS);
	tp->in_recovery = false;

	/* ssthresh from the flight, not from a cwnd the application left unused */
	tp->snd_cwnd = 100 * MSS;
	tp->snd_max = tp->snd_una + 20 * MSS;
	toytcp_cc_enter_recovery(t->sk);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 14 * MSS);
	tp->snd_max = tp->snd_una;
	tp->in_recovery = false;

	/* reno halves the flight instead */
	toytcp_cc_set(t->sk, toytcp_cc_find("reno"));
	tp->snd_max = tp->snd_una + 100 * MSS;
	toytcp_cc_enter_recovery(t->sk);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 50 * MSS);
	tp->snd_max = tp->snd_una;
}

/*
 * Growth per ACK of one MSS at cwnd 70 after a loss at 100: at the start
 * of the epoch W(t) is about cwnd, so only the Reno-friendly part grows
 * it (0.529 MSS per window); at t = K the curve is 30 MSS above: about
 * 30/70 MSS per ACK. Reno: 1/70 MSS per ACK. The clock is moved by
 * moving the epoch's start back.
 */
static void cubic_growth_beside_reno(struct kunit *test)
{
	struct th_conn *t = conn_cc(test, "cubic", 70 * MSS);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	u32 before;

	tp->cubic.w_max = 100 * MSS;
	toytcp_cc_ack(t->sk, MSS);
	KUNIT_EXPECT_NE(test, tp->cubic.epoch_us, 0ULL);
	KUNIT_EXPECT_GE(test, tp->cubic.k_ms, 4216u);
	KUNIT_EXPECT_LE(test, tp->snd_cwnd - 70 * MSS, 10u);	/* 0.529 * 1000 / 70 */

	tp->cubic.epoch_us -= 4217 * USEC_PER_MSEC;
	before = tp->snd_cwnd;
	toytcp_cc_ack(t->sk, MSS);
	KUNIT_EXPECT_GE(test, tp->snd_cwnd - before, 400u);	/* 30000 / 70 = 428 */
	KUNIT_EXPECT_LE(test, tp->snd_cwnd - before, 450u);

	toytcp_cc_set(t->sk, toytcp_cc_find("reno"));
	tp->snd_cwnd = 70 * MSS;
	tp->snd_ssthresh = 70 * MSS;
	toytcp_cc_ack(t->sk, MSS);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 70 * MSS + MSS / 70);
}

/* Limited by the application, not cwnd: no growth, and the epoch starts over. */
static void cubic_no_growth_when_application_limited(struct kunit *test)
{
	struct th_conn *t = conn_cc(test, "cubic", 70 * MSS);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->cubic.w_max = 100 * MSS;
	toytcp_cc_ack(t->sk, MSS);
	tp->cubic.epoch_us -= 4217 * USEC_PER_MSEC;
	tp->cwnd_limited = 0;
	toytcp_cc_ack(t->sk, MSS);
	KUNIT_EXPECT_LE(test, tp->snd_cwnd, 70 * MSS + 10);
	KUNIT_EXPECT_EQ(test, tp->cubic.epoch_us, 0ULL);
}

/* After a timeout: ssthresh once, cwnd one MSS, and CUBIC from scratch (K = 0). */
static void cubic_after_timeouts(struct kunit *test)
{
	struct th_conn *t = conn_cc(test, "cubic", 100 * MSS);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->snd_max = tp->snd_una + 100 * MSS;
	tp->retransmits = 1;
	toytcp_enter_loss(t->sk);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 70 * MSS);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, MSS);
	tp->retransmits = 2;			/* the next in a row keeps it */
	toytcp_enter_loss(t->sk);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 70 * MSS);
	KUNIT_EXPECT_EQ(test, tp->cubic.w_max, 0u);
	tp->snd_max = tp->snd_una;
	tp->retransmits = 0;
}

/* Far beyond W_max the curve is steep, but a window grows at most by half per RTT. */
static void cubic_growth_capped(struct kunit *test)
{
	struct th_conn *t = conn_cc(test, "cubic", 10 * MSS);
	struct toytcp_sock *tp = toytcp_sk(t->sk);

	tp->cubic.w_max = 10 * MSS;
	toytcp_cc_ack(t->sk, MSS);
	tp->cubic.epoch_us -= 60ULL * USEC_PER_SEC;	/* a minute on: W(t) huge */
	tp->snd_cwnd = 10 * MSS;
	toytcp_cc_ack(t->sk, 10 * MSS);		/* a whole window ACKed */
	KUNIT_EXPECT_LE(test, tp->snd_cwnd, 15 * MSS);
	KUNIT_EXPECT_GE(test, tp->snd_cwnd, 14 * MSS);
}

static void names(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_CLOSE);

	KUNIT_EXPECT_STREQ(test, toytcp_cc_find("reno")->name, "reno");
	KUNIT_EXPECT_STREQ(test, toytcp_cc_find("cubic")->name, "cubic");
	KUNIT_EXPECT_NULL(test, toytcp_cc_find("bbr"));
	KUNIT_EXPECT_NULL(test, toytcp_cc_find(""));
	KUNIT_EXPECT_NULL(test, toytcp_cc_find("Cubic"));
	/* a new socket has the module parameter's, cubic by default */
	KUNIT_EXPECT_STREQ(test, toytcp_sk(t->sk)->cc->name, "cubic");
}

/* --- ECN (RFC 3168) --- */

#define ECE TOYTCP_ECE
#define CWR TOYTCP_CWR
#define A TOYTCP_ACK
#define SYN TOYTCP_SYN
#define SND(n) (TH_ISS + 1 + (n))
#define RCV(n) (TH_IRS + 1 + (n))

/* Asking (mode 1): the SYN says ECE and CWR; only a SYN-ACK with ECE alone agrees. */
static void ecn_negotiation(struct kunit *test)
{
	static const struct {
		u8 synack;	/* the SYN-ACK's ECN bits */
		bool on;
	} cases[] = {
		{ ECE, true }, { 0, false }, { ECE | CWR, false }, { CWR, false },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct th_conn *t = th_conn(test, TCP_SYN_SENT);
		struct toytcp_sock *tp = toytcp_sk(t->sk);
		struct th_seg s;

		tp->ecn_ok = 1;
		lock_sock(t->sk);
		toytcp_send_syn(t->sk);
		release_sock(t->sk);
		KUNIT_ASSERT_TRUE(test, th_next(t, &s));
		KUNIT_EXPECT_EQ(test, s.flags, SYN | ECE | CWR);
		th_segment(test, t, SYN | A | cases[i].synack, TH_IRS, SND(0), NULL, 0);
		KUNIT_EXPECT_EQ(test, t->sk->sk_state, TCP_ESTABLISHED);
		KUNIT_EXPECT_EQ_MSG(test, (bool)tp->ecn_ok, cases[i].on, "case %u", i);
		th_exit(test);
	}
}

/* An open conn with ECN on. */
static struct th_conn *conn_ecn(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_cc_set(t->sk, toytcp_cc_find("reno"));
	toytcp_sk(t->sk)->ecn_ok = 1;
	toytcp_sk(t->sk)->nodelay = 1;
	return t;
}

/* A CE mark on the peer's data: ECE at once, and on every ACK until its CWR. */
static void ecn_receiver_echoes_until_cwr(struct kunit *test)
{
	struct th_conn *t = conn_ecn(test);
	struct th_seg s;

	t->tos = INET_ECN_CE;
	th_segment(test, t, A, RCV(0), SND(0), NULL, 100);
	th_expect(test, t, A | ECE, SND(0), RCV(100), 0);	/* not delayed */
	t->tos = INET_ECN_ECT_0;
	th_segment(test, t, A, RCV(100), SND(0), NULL, 1000);
	th_segment(test, t, A, RCV(1100), SND(0), NULL, 1000);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, s.flags, A | ECE);
	while (th_next(t, &s))
		KUNIT_EXPECT_EQ(test, s.flags, A | ECE);
	/* its CWR: the echo ends */
	th_segment(test, t, A | CWR, RCV(2100), SND(0), NULL, 1000);
	th_segment(test, t, A, RCV(3100), SND(0), NULL, 1000);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, s.flags, A);
	while (th_next(t, &s))
		KUNIT_EXPECT_EQ(test, s.flags, A);
}

/* Our data goes as ECT(0); an ECE halves cwnd once per window; CWR follows. */
static void ecn_sender_reduces_once_then_cwr(struct kunit *test)
{
	struct th_conn *t = conn_ecn(test);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	long red0 = toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_ECNREDUCTIONS);
	struct sk_buff *skb;
	struct th_seg s;

	th_write(t, 4000);
	skb = skb_peek(&t->sent);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_TRUE(test, TOYTCP_SKB_CB(skb)->ecn & TOYTCP_ECT);
	while (th_next(t, &s))
		KUNIT_EXPECT_EQ(test, s.flags & CWR, 0);
	th_segment(test, t, A | ECE, RCV(0), SND(1000), NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 2 * TH_MSS);	/* reno: half of 4000 */
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, 2 * TH_MSS);
	/* more ECE for the same window: no second reduction */
	th_segment(test, t, A | ECE, RCV(0), SND(2000), NULL, 0);
	KUNIT_EXPECT_GE(test, tp->snd_cwnd, 2 * TH_MSS);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 2 * TH_MSS);
	/* the ACK of the rest still says ECE (the peer saw no CWR yet): nothing */
	th_segment(test, t, A | ECE, RCV(0), SND(4000), NULL, 0);
	KUNIT_EXPECT_EQ(test, tp->snd_ssthresh, 2 * TH_MSS);
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_ECNREDUCTIONS),
			red0 + 1);
	/* the next new data says CWR, once */
	th_write(t, 2000);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, s.flags & CWR, CWR);
	while (th_next(t, &s))
		KUNIT_EXPECT_EQ(test, s.flags & CWR, 0);
	/* a retransmission is never ECT */
	lock_sock(t->sk);
	toytcp_retransmit_head(t->sk);
	release_sock(t->sk);
	skb = skb_peek(&t->sent);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_FALSE(test, TOYTCP_SKB_CB(skb)->ecn & TOYTCP_ECT);
	while (th_next(t, &s))
		;
	/* data after the reduction ACKed: a new ECE is a new window's, and counts */
	th_segment(test, t, A | ECE, RCV(0), SND(5000), NULL, 0);
	KUNIT_EXPECT_EQ(test, toytcp_read_stat(sock_net(t->sk), TOYTCP_MIB_ECNREDUCTIONS),
			red0 + 2);
}

/* Without ECN: no bits, no reaction. */
static void ecn_off_ignores_marks(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	u32 cwnd = tp->snd_cwnd;
	struct th_seg s;

	t->tos = INET_ECN_CE;
	th_segment(test, t, A | ECE, RCV(0), SND(0), NULL, 1000);
	KUNIT_EXPECT_EQ(test, tp->snd_cwnd, cwnd);
	KUNIT_EXPECT_FALSE(test, (bool)tp->ecn_demand_cwr);
	while (th_next(t, &s))
		KUNIT_EXPECT_EQ(test, s.flags & ECE, 0);
}

static struct kunit_case toytcp_cong_cases[] = {
	KUNIT_CASE(cubic_k),
	KUNIT_CASE(cubic_curve_points),
	KUNIT_CASE(cubic_reduction_and_fast_convergence),
	KUNIT_CASE(cubic_growth_beside_reno),
	KUNIT_CASE(cubic_growth_capped),
	KUNIT_CASE(cubic_no_growth_when_application_limited),
	KUNIT_CASE(cubic_after_timeouts),
	KUNIT_CASE(names),
	KUNIT_CASE(ecn_negotiation),
	KUNIT_CASE(ecn_receiver_echoes_until_cwr),
	KUNIT_CASE(ecn_sender_reduces_once_then_cwr),
	KUNIT_CASE(ecn_off_ignores_marks),
	{}
};

static struct kunit_suite toytcp_cong_suite = {
	.name = "toytcp_cong",
	.exit = th_exit,
	.test_cases = toytcp_cong_cases,
};

kunit_test_suite(toytcp_cong_suite);
