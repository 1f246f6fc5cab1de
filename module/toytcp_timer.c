// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_timer.c: the retransmission timer with its RFC 6298 estimator
 * (the seed's "타임아웃 값의 동적 조정"), and the TIME_WAIT timer.
 *
 * A timer fires in softirq. If the application holds the socket at that
 * moment, the work is left in tp->deferred and done by toytcp_release_cb()
 * when release_sock() lets the socket go.
 */
#include <linux/jiffies.h>
#include <kunit/visibility.h>

#include "toytcp.h"

#define TOYTCP_RTO_MIN_US	(200 * USEC_PER_MSEC)	/* as Linux */
#define TOYTCP_RTO_MAX_US	(120 * USEC_PER_SEC)
#define TOYTCP_CLOCK_G_US	(USEC_PER_SEC / HZ)	/* clock granularity */

/**
 * toytcp_rtt_sample() - fold one round-trip time measurement into SRTT
 * and RTTVAR and compute a new RTO (RFC 6298 §2).
 * @tp: the control block.
 * @rtt_us: the measured round-trip time in microseconds.
 *
 * First sample R: SRTT = R, RTTVAR = R/2. Later samples:
 * RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, then SRTT = 7/8 SRTT + 1/8 R.
 * RTO = SRTT + max(G, 4 RTTVAR), clamped to [200 ms, 120 s].
 */
void toytcp_rtt_sample(struct toytcp_sock *tp, u32 rtt_us)
{
	u32 rto;

	if (!tp->srtt_us) {
		tp->srtt_us = rtt_us ? : 1;
		tp->rttvar_us = rtt_us / 2;
	} else {
		u32 delta = abs((s32)(tp->srtt_us - rtt_us));

		tp->rttvar_us = tp->rttvar_us - tp->rttvar_us / 4 + delta / 4;
		tp->srtt_us = tp->srtt_us - tp->srtt_us / 8 + rtt_us / 8;
	}
	rto = tp->srtt_us + max_t(u32, TOYTCP_CLOCK_G_US, 4 * tp->rttvar_us);
	tp->rto_us = clamp_t(u32, rto, TOYTCP_RTO_MIN_US, TOYTCP_RTO_MAX_US);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_rtt_sample);

static bool toytcp_has_work_to_time(const struct toytcp_sock *tp)
{
	/* something unacknowledged, or data (or FIN) waiting for a window */
	return tp->snd_una != tp->snd_max ||
	       tp->snd_nxt != tp->write_seq ||
	       (tp->fin_queued && tp->snd_nxt == tp->write_seq);
}

/**
 * toytcp_arm_retx() - start the retransmission timer if something needs
 * it and it is not running (RFC 6298 (5.1)); stop it if nothing does.
 * @sk: the socket, locked.
 */
void toytcp_arm_retx(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!toytcp_has_work_to_time(tp)) {
		toytcp_stop_retx(sk);
		return;
	}
	if (!timer_pending(&tp->retx_timer))
		sk_reset_timer(sk, &tp->retx_timer,
			       jiffies + usecs_to_jiffies(tp->rto_us));
}

/* Restart it from now: new data was acknowledged (RFC 6298 (5.3)). */
static void toytcp_restart_retx(struct sock *sk)
{
	toytcp_stop_retx(sk);
	toytcp_arm_retx(sk);
}

void toytcp_stop_retx(struct sock *sk)
{
	sk_stop_timer(sk, &toytcp_sk(sk)->retx_timer);
}

/**
 * toytcp_ack_advanced() - bookkeeping when an ACK moved snd_una: RTT
 * sample (if the timed segment is covered), backoff reset, timer restart.
 * @sk: the socket, locked.
 */
void toytcp_ack_advanced(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (tp->rtt_start && toytcp_seq_after_eq(tp->snd_una, tp->rtt_seq)) {
		toytcp_rtt_sample(tp, jiffies_to_usecs(jiffies - tp->rtt_start));
		tp->rtt_start = 0;
	} else if (tp->retransmits && tp->srtt_us) {
		/* backoff ends with a new ACK: RTO from the estimator again */
		u32 rto = tp->srtt_us + max_t(u32, TOYTCP_CLOCK_G_US,
					      4 * tp->rttvar_us);

		tp->rto_us = clamp_t(u32, rto, TOYTCP_RTO_MIN_US,
				     TOYTCP_RTO_MAX_US);
	}
	tp->retransmits = 0;
	toytcp_restart_retx(sk);
}

static void toytcp_retx_timeout(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	unsigned int limit;

	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN | TCPF_TIME_WAIT))
		return;
	if (tp->snd_una == tp->snd_max && tp->snd_wnd == 0) {
		/* nothing in flight, data waiting on a zero window: probe */
		toytcp_send_probe(sk);
		return;
	}
	if (!toytcp_has_work_to_time(tp))
		return;

	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		limit = READ_ONCE(toytcp_syn_retries);
		break;
	case TCP_SYN_RECV:
		limit = READ_ONCE(toytcp_synack_retries);
		break;
	default:
		limit = READ_ONCE(toytcp_retries2);
		break;
	}
	if (tp->retransmits >= limit) {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_TIMEOUTS);
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		sk_error_report(sk);
		toytcp_done(sk);
		return;
	}
	tp->retransmits++;
	/* RFC 6298 (5.5): back off; (5.4): send the earliest segment again */
	tp->rto_us = min_t(u32, tp->rto_us * 2, TOYTCP_RTO_MAX_US);
	tp->rtt_start = 0;	/* Karn: no sample from a retransmitted segment */
	toytcp_retransmit(sk);
	toytcp_arm_retx(sk);
}

static void toytcp_retx_timer(struct timer_list *t)
{
	struct toytcp_sock *tp = from_timer(tp, t, retx_timer);
	struct sock *sk = &tp->sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		toytcp_retx_timeout(sk);
	else if (!test_and_set_bit(TOYTCP_RETX_DEFERRED, &tp->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);	/* the timer's reference */
}

static void toytcp_tw_timer(struct timer_list *t)
{
	struct toytcp_sock *tp = from_timer(tp, t, tw_timer);
	struct sock *sk = &tp->sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		toytcp_done(sk);
	else if (!test_and_set_bit(TOYTCP_TW_DEFERRED, &tp->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

/**
 * toytcp_release_cb() - do the timer work deferred while the user held
 * the socket. Called by release_sock(), socket spinlock held.
 * @sk: the socket.
 */
void toytcp_release_cb(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (test_and_clear_bit(TOYTCP_RETX_DEFERRED, &tp->deferred)) {
		toytcp_retx_timeout(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TOYTCP_TW_DEFERRED, &tp->deferred)) {
		toytcp_done(sk);
		__sock_put(sk);
	}
}

void toytcp_init_timers(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	timer_setup(&tp->retx_timer, toytcp_retx_timer, 0);
	timer_setup(&tp->tw_timer, toytcp_tw_timer, 0);
}

void toytcp_stop_timers(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	sk_stop_timer(sk, &tp->retx_timer);
	sk_stop_timer(sk, &tp->tw_timer);
}

/* Done after @timeout jiffies, whatever the state (TIME_WAIT, orphan FIN_WAIT_2). */
void toytcp_arm_tw_timer(struct sock *sk, unsigned long timeout)
{
	sk_reset_timer(sk, &toytcp_sk(sk)->tw_timer, jiffies + timeout);
}

/**
 * toytcp_time_wait() - enter TIME_WAIT for 2*MSL (RFC 9293 §3.6): long
 * enough for our last ACK to be retransmitted if lost and for old
 * duplicates of this connection to die out before the 4-tuple is reused.
 * @sk: the socket, locked.
 */
void toytcp_time_wait(struct sock *sk)
{
	/* the application still holds it: an orphan stands in for it */
	if (!sock_flag(sk, SOCK_DEAD) && toytcp_tw_takeover(sk)) {
		toytcp_done(sk);
		return;
	}
	toytcp_set_state(sk, TCP_TIME_WAIT);
	toytcp_stop_retx(sk);
	toytcp_arm_tw_timer(sk, 2UL * READ_ONCE(toytcp_msl) * HZ);
}
