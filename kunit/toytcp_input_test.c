// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: SEGMENT ARRIVES, rule by rule (RFC 9293 §3.10.7). Each case is a
 * short ladder: the peer sends a segment, we expect the segment toytcp
 * answers with (or none) and the state it is in. ISS = 1000, IRS = 5000,
 * MSS 1000 both ways (toytcp_harness.h).
 */
#include <kunit/test.h>
#include <linux/delay.h>

#include "toytcp_harness.h"

#define ISS TH_ISS
#define IRS TH_IRS
#define A TOYTCP_ACK
#define S TOYTCP_SYN
#define F TOYTCP_FIN
#define R TOYTCP_RST
#define P TOYTCP_PSH

static int state(struct th_conn *t)
{
	return t->sk->sk_state;
}

/* --- SYN_SENT (§3.10.7.3) --- */

/* SYN ->  <- SYN,ACK  ACK -> */
static void syn_sent_synack_opens(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);

	th_segment(test, t, S | A, IRS, ISS + 1, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->rcv_nxt, IRS + 1);
	/* no MSS option in the SYN-ACK: 536 (RFC 9293 §3.7.1) */
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->mss, 536);
}

static void syn_sent_rst_refuses(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);

	th_segment(test, t, R | A, 0, ISS + 1, NULL, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, ECONNREFUSED);
}

/* A reset without an acceptable ACK could be anyone's: ignored. */
static void syn_sent_rst_without_ack_ignored(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);

	th_segment(test, t, R, 0, 0, NULL, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_SYN_SENT);
}

/* An ACK of something we never sent: <SEQ=SEG.ACK><CTL=RST>. */
static void syn_sent_bad_ack_gets_rst(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);

	th_segment(test, t, S | A, IRS, ISS + 7, NULL, 0);
	th_expect(test, t, R, ISS + 7, 0, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_SYN_SENT);
}

/*
 * An ICMP host unreachable came while connect() held the socket: the
 * error waits in sk_err_soft, and release_sock() ends the connect with it.
 */
static void syn_sent_icmp_error_ends_it_at_release(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);

	WRITE_ONCE(t->sk->sk_err_soft, EHOSTUNREACH);
	th_fire(t, TOYTCP_OPEN_FAILED_DEFERRED);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, EHOSTUNREACH);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err_soft, 0);
}

/* ... unless the SYN-ACK came first (from the backlog): the connection opened. */
static void syn_sent_icmp_error_after_the_open_stays_soft(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);

	WRITE_ONCE(t->sk->sk_err_soft, EHOSTUNREACH);
	th_segment(test, t, S | A, IRS, ISS + 1, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	th_fire(t, TOYTCP_OPEN_FAILED_DEFERRED);
	KUNIT_EXPECT_EQ(test, state(t), TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, 0);
}

/* Simultaneous open: both SYN; we answer SYN,ACK and wait for the ACK. */
static void syn_sent_simultaneous_open(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct th_seg s;

	th_segment(test, t, S, IRS, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_SYN_RECV);
	KUNIT_ASSERT_TRUE(test, th_next(t, &s));
	KUNIT_EXPECT_EQ(test, s.flags, S | A);
	KUNIT_EXPECT_EQ(test, s.seq, ISS);
	KUNIT_EXPECT_EQ(test, s.ack, IRS + 1);
	KUNIT_EXPECT_EQ(test, s.mss_opt, TH_MSS);
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_ESTABLISHED);
}

/* --- SYN_RECEIVED --- */

static void syn_recv_bad_ack_gets_rst(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_RECV);

	th_segment(test, t, A, IRS + 1, ISS + 50, NULL, 0);
	th_expect(test, t, R, ISS + 50, 0, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_SYN_RECV);
}

/* The peer lost our SYN,ACK and sends its SYN again: SYN,ACK again. */
static void syn_recv_repeated_syn(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_RECV);

	th_segment(test, t, S, IRS, 0, NULL, 0);
	th_expect(test, t, S | A, ISS, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_SYN_RECV);
}

/* --- first: the sequence number --- */

/*
 * Data at RCV.NXT: queued; the ACK (the next byte expected) is delayed,
 * and comes when the delayed-ACK timer fires.
 */
static void data_in_order(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A | P, IRS + 1, ISS + 1, NULL, 100);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&t->sk->sk_receive_queue), 1);
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->rcv_nxt, IRS + 101);
	msleep(150);	/* three times the default delay */
	th_expect(test, t, A, ISS + 1, IRS + 1 + 100, 0);
}

/* Every second full-sized segment is ACKed at once (RFC 5681 §4.2). */
static void data_ack_every_second_segment(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, TH_MSS);
	th_expect_none(test, t);
	th_segment(test, t, A, IRS + 1 + TH_MSS, ISS + 1, NULL, TH_MSS);
	th_expect(test, t, A, ISS + 1, IRS + 1 + 2 * TH_MSS, 0);
	th_expect_none(test, t);
}

/*
 * A window with no room left for a full segment: the peer cannot send the
 * second one a delayed ACK would wait for, so the ACK goes at once.
 */
static void data_ack_at_once_when_the_window_is_nearly_full(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_sk(t->sk)->rcv_wnd = TH_MSS + TH_MSS / 2;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, TH_MSS);
	th_expect(test, t, A, ISS + 1, IRS + 1 + TH_MSS, 0);
}

/* Our data carries the ACK: the delayed one is not sent on its own. */
static void data_ack_piggybacked(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A | P, IRS + 1, ISS + 1, NULL, 10);
	th_write(t, 20);
	th_expect(test, t, A | P, ISS + 1, IRS + 11, 20);
	msleep(150);	/* three times the default delay */
	th_expect_none(test, t);
}

/* All of it seen before: not acceptable, ACK again, nothing queued. */
static void data_old_duplicate(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A, IRS + 1 - 100, ISS + 1, NULL, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&t->sk->sk_receive_queue));
}

/* Starts before RCV.NXT, ends after: the new part counts. */
static void data_partly_old(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A, IRS + 1 - 50, ISS + 1, NULL, 100);
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->rcv_nxt, IRS + 51);
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->rcv_unacked, 50u);
}

/* A hole before it: a duplicate ACK for the hole, the data kept aside. */
static void data_out_of_order(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A, IRS + 1 + 100, ISS + 1, NULL, 100);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&t->sk->sk_receive_queue));
	KUNIT_EXPECT_EQ(test, skb_queue_len(&toytcp_sk(t->sk)->ooo_queue), 1);
}

/* A zero window takes no data: the ACK repeats RCV.NXT. */
static void data_zero_window(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_sk(t->sk)->rcv_wnd = 0;
	th_segment(test, t, A, IRS + 1, ISS + 1, NULL, 10);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&t->sk->sk_receive_queue));
}

/* A segment without ACK carries nothing we act on. */
static void data_without_ack_dropped(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, P, IRS + 1, 0, NULL, 10);
	th_expect_none(test, t);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&t->sk->sk_receive_queue));
}

/* --- second: RST (with RFC 5961's blind-reset protection) --- */

static void rst_exact_resets(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, R, IRS + 1, 0, NULL, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_CLOSE);
	KUNIT_EXPECT_EQ(test, t->sk->sk_err, ECONNRESET);
}

static void rst_in_window_gets_challenge_ack(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, R, IRS + 100, 0, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_ESTABLISHED);
}

static void rst_outside_window_ignored(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, R, IRS + 1 + 100000, 0, NULL, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_ESTABLISHED);
}

/* --- fourth: SYN in a synchronized state --- */

static void syn_when_established_gets_challenge_ack(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, S, IRS + 1, 0, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_ESTABLISHED);
}

/* --- fifth: ACK --- */

static void ack_of_unsent_data_gets_ack(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, A, IRS + 1, ISS + 500, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->snd_una, ISS + 1);
}

/* Segmentation by MSS; PSH on the segment that empties the buffer. */
static void send_cut_by_mss(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_sk(t->sk)->nodelay = 1;
	th_write(t, 2500);
	th_expect(test, t, A, ISS + 1, IRS + 1, 1000);
	th_expect(test, t, A, ISS + 1001, IRS + 1, 1000);
	th_expect(test, t, A | P, ISS + 2001, IRS + 1, 500);
	th_expect_none(test, t);
}

/* Nagle: the short tail waits until what is in flight is acknowledged. */
static void send_nagle_holds_tail(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_write(t, 2500);
	th_expect(test, t, A, ISS + 1, IRS + 1, 1000);
	th_expect(test, t, A, ISS + 1001, IRS + 1, 1000);
	th_expect_none(test, t);
	th_segment(test, t, A, IRS + 1, ISS + 1001, NULL, 0);
	th_expect_none(test, t);	/* 1000 bytes still in flight */
	th_segment(test, t, A, IRS + 1, ISS + 2001, NULL, 0);
	th_expect(test, t, A | P, ISS + 2001, IRS + 1, 500);
	th_expect_none(test, t);
}

/*
 * Never beyond the peer's window, and no sliver of it either (sender
 * SWS avoidance); an ACK that opens it lets the rest go.
 */
static void send_limited_by_window(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	toytcp_sk(t->sk)->nodelay = 1;
	toytcp_sk(t->sk)->snd_wnd = 1500;
	th_write(t, 2500);
	th_expect(test, t, A, ISS + 1, IRS + 1, 1000);
	th_expect_none(test, t);	/* 500 would fit: too small a piece */

	th_segment(test, t, A, IRS + 1, ISS + 1001, NULL, 0);
	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->snd_una, ISS + 1001);
	th_expect(test, t, A, ISS + 1001, IRS + 1, 1000);
	th_expect(test, t, A | P, ISS + 2001, IRS + 1, 500);
	th_expect_none(test, t);
}

/* --- eighth: FIN, and the closing states --- */

/* Passive close: FIN ->  <- ACK; close(): <- FIN  ACK -> CLOSED. */
static void fin_passive_close(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, F | A, IRS + 1, ISS + 1, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 2, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_CLOSE_WAIT);
	KUNIT_EXPECT_TRUE(test, t->sk->sk_shutdown & RCV_SHUTDOWN);

	lock_sock(t->sk);
	toytcp_send_fin(t->sk);
	release_sock(t->sk);
	th_expect(test, t, F | A, ISS + 1, IRS + 2, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_LAST_ACK);

	th_segment(test, t, A, IRS + 2, ISS + 2, NULL, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_CLOSE);
}

/* Active close: <- FIN  ACK ->  FIN ->  <- ACK, TIME_WAIT. */
static void fin_active_close(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	lock_sock(t->sk);
	toytcp_send_fin(t->sk);
	release_sock(t->sk);
	th_expect(test, t, F | A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_FIN_WAIT1);

	th_segment(test, t, A, IRS + 1, ISS + 2, NULL, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_FIN_WAIT2);

	th_segment(test, t, F | A, IRS + 1, ISS + 2, NULL, 0);
	th_expect(test, t, A, ISS + 2, IRS + 2, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_TIME_WAIT);

	/* the peer did not get our ACK and sends its FIN again */
	th_segment(test, t, F | A, IRS + 1, ISS + 2, NULL, 0);
	th_expect(test, t, A, ISS + 2, IRS + 2, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_TIME_WAIT);
}

/* Both close at once: FIN crosses FIN; CLOSING, then TIME_WAIT. */
static void fin_simultaneous_close(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	lock_sock(t->sk);
	toytcp_send_fin(t->sk);
	release_sock(t->sk);
	th_expect(test, t, F | A, ISS + 1, IRS + 1, 0);

	th_segment(test, t, F | A, IRS + 1, ISS + 1, NULL, 0);
	th_expect(test, t, A, ISS + 2, IRS + 2, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_CLOSING);

	th_segment(test, t, A, IRS + 2, ISS + 2, NULL, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_TIME_WAIT);
}

/* Data and FIN in one segment: one ACK covers both. */
static void fin_with_data(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, F | P | A, IRS + 1, ISS + 1, NULL, 10);
	th_expect(test, t, A, ISS + 1, IRS + 12, 0);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, state(t), TCP_CLOSE_WAIT);
}

/* A FIN after a hole is not processed: the data before it is missing. */
static void fin_after_hole_waits(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);

	th_segment(test, t, F | A, IRS + 11, ISS + 1, NULL, 0);
	th_expect(test, t, A, ISS + 1, IRS + 1, 0);
	KUNIT_EXPECT_EQ(test, state(t), TCP_ESTABLISHED);
}

static struct kunit_case toytcp_input_cases[] = {
	KUNIT_CASE(syn_sent_synack_opens),
	KUNIT_CASE(syn_sent_rst_refuses),
	KUNIT_CASE(syn_sent_rst_without_ack_ignored),
	KUNIT_CASE(syn_sent_bad_ack_gets_rst),
	KUNIT_CASE(syn_sent_icmp_error_ends_it_at_release),
	KUNIT_CASE(syn_sent_icmp_error_after_the_open_stays_soft),
	KUNIT_CASE(syn_sent_simultaneous_open),
	KUNIT_CASE(syn_recv_bad_ack_gets_rst),
	KUNIT_CASE(syn_recv_repeated_syn),
	KUNIT_CASE(data_in_order),
	KUNIT_CASE(data_ack_every_second_segment),
	KUNIT_CASE(data_ack_at_once_when_the_window_is_nearly_full),
	KUNIT_CASE(data_ack_piggybacked),
	KUNIT_CASE(data_old_duplicate),
	KUNIT_CASE(data_partly_old),
	KUNIT_CASE(data_out_of_order),
	KUNIT_CASE(data_zero_window),
	KUNIT_CASE(data_without_ack_dropped),
	KUNIT_CASE(rst_exact_resets),
	KUNIT_CASE(rst_in_window_gets_challenge_ack),
	KUNIT_CASE(rst_outside_window_ignored),
	KUNIT_CASE(syn_when_established_gets_challenge_ack),
	KUNIT_CASE(ack_of_unsent_data_gets_ack),
	KUNIT_CASE(send_cut_by_mss),
	KUNIT_CASE(send_nagle_holds_tail),
	KUNIT_CASE(send_limited_by_window),
	KUNIT_CASE(fin_passive_close),
	KUNIT_CASE(fin_active_close),
	KUNIT_CASE(fin_simultaneous_close),
	KUNIT_CASE(fin_with_data),
	KUNIT_CASE(fin_after_hole_waits),
	{}
};

static struct kunit_suite toytcp_input_suite = {
	.name = "toytcp_input",
	.exit = th_exit,
	.test_cases = toytcp_input_cases,
};

kunit_test_suite(toytcp_input_suite);
