// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_timer.c: the timers of a connection.
 *
 *   retx_timer       retransmission, with the RFC 6298 estimator (the
 *                    seed's "타임아웃 값의 동적 조정")
 *   persist_timer    probes a zero window
 *   delack_timer     sends a delayed ACK
 *   keepalive_timer  probes an idle connection (SO_KEEPALIVE)
 *   tw_timer         ends TIME_WAIT (and an orphan's FIN_WAIT_2)
 *
 * A timer fires in softirq. If the application holds the socket at that
 * moment, the work is left in tp->deferred and done by toytcp_release_cb()
 * when release_sock() lets the socket go.
 */
#include <linux/jiffies.h>
#include <kunit/visibility.h>

#include "toytcp.h"
#include "toytcp_trace.h"

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

/* Something sent is unacknowledged. */
static bool toytcp_has_work_to_time(const struct toytcp_sock *tp)
{
	return tp->snd_una != tp->snd_max;
}

/*
 * When the retransmission timer fires next: one RTO from now, but not after
 * TCP_USER_TIMEOUT runs out (as Linux's tcp_clamp_rto_to_user_timeout()).
 */
static unsigned long toytcp_retx_deadline(const struct toytcp_sock *tp)
{
	unsigned long when = jiffies + usecs_to_jiffies(tp->rto_us);

	if (tp->user_timeout && tp->retrans_stamp) {
		unsigned long end = tp->retrans_stamp +
				    msecs_to_jiffies(tp->user_timeout);

		if (time_before(end, when))
			when = time_after(end, jiffies) ? end : jiffies + 1;
	}
	return when;
}

/* (Re)start the retransmission timer for @when, and remember when that is. */
static void toytcp_retx_timer_at(struct sock *sk, unsigned long when)
{
	toytcp_sk(sk)->retx_expires = when;
	sk_reset_timer(sk, &toytcp_sk(sk)->retx_timer, when);
}

/**
 * toytcp_arm_retx() - start the retransmission timer if something needs
 * it and it is not running (RFC 6298 (5.1)); stop it if nothing does.
 * It may hold a tail loss probe's shorter timeout instead
 * (toytcp_tlp_timeout()).
 * @sk: the socket, locked.
 */
void toytcp_arm_retx(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!toytcp_has_work_to_time(tp)) {
		toytcp_stop_retx(sk);
		return;
	}
	if (!timer_pending(&tp->retx_timer)) {
		unsigned long when;

		/* a probe first, when the end of the flight may be what was lost */
		tp->rack_armed = 0;
		tp->tlp_armed = toytcp_tlp_timeout(sk, &when);
		if (!tp->tlp_armed)
			when = toytcp_retx_deadline(tp);
		toytcp_retx_timer_at(sk, when);
	}
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
	toytcp_sk(sk)->tlp_armed = 0;
	toytcp_sk(sk)->rack_armed = 0;
}

/**
 * toytcp_arm_reorder() - let the retransmission timer wake at @when for
 * RACK's reordering window (toytcp_rack_arm()), before the RTO, which
 * keeps its deadline (@retx_expires) and is armed again for it once the
 * window has run out. Nothing if the RTO comes first. A probe timeout
 * pending gives way: with SACKed data there is no tail to probe.
 * @sk: the socket, locked, with data in flight.
 * @when: the window's end (jiffies).
 */
void toytcp_arm_reorder(struct sock *sk, unsigned long when)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (tp->tlp_armed) {
		tp->tlp_armed = 0;
		tp->retx_expires = toytcp_retx_deadline(tp);
	}
	if (timer_pending(&tp->retx_timer) && !time_after(tp->retx_expires, when))
		return;
	tp->rack_armed = 1;
	sk_reset_timer(sk, &tp->retx_timer, when);
}

/*
 * RTTM (RFC 7323 §4): the TSecr of an ACK is the TSval of the segment
 * that made the peer send it, so now - TSecr is a round trip even after a
 * retransmission, where Karn's rule forbids timing. Only an echo of a
 * segment sent since the last timeout counts: an older one (the peer
 * answering a duplicate with the TSval of what it last took in order, or
 * the ACK of an original that was only late, RFC 3522) would measure the
 * timeout too, and inflate the RTO until the connection stalls (seen at
 * 10 % loss). Milliseconds: at least 1 ms, as Linux's tcp_rtt_tsopt_us();
 * 0 if the echo does not count.
 */
static u32 toytcp_tsecr_rtt_us(const struct toytcp_sock *tp, u32 tsecr)
{
	u32 ms = toytcp_ts_now(tp) - tsecr;

	if (!tsecr || (s32)(tsecr - tp->retx_tsval) < 0 ||
	    ms > (u32)TOYTCP_RTO_MAX_US / USEC_PER_MSEC)
		return 0;
	return max(ms, 1U) * USEC_PER_MSEC;
}

/**
 * toytcp_ack_advanced() - bookkeeping when an ACK moved snd_una: RTT
 * sample, backoff reset, timer restart. The sample comes from the timed
 * segment if the ACK covers it (microseconds), as Linux prefers its own
 * send times; else, with timestamps, from the ACK's TSecr (RTTM).
 * @sk: the socket, locked.
 * @tsecr: the ACK's TSecr with timestamps on, else 0.
 */
void toytcp_ack_advanced(struct sock *sk, u32 tsecr)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 rtt_us = 0;

	if (tp->rtt_start && toytcp_seq_after_eq(tp->snd_una, tp->rtt_seq)) {
		rtt_us = toytcp_clock_us() - tp->rtt_start;
		tp->rtt_start = 0;
	} else if (!tp->rtt_start && tp->backoff) {
		/* after a timeout: Karn's rule stopped timing, the echo still works */
		rtt_us = toytcp_tsecr_rtt_us(tp, tsecr);
	}
	/*
	 * The backoff ends with a valid sample only (RFC 6298 §5, Linux's
	 * tcp_ack_update_rtt()), not with any new ACK: were the RTO taken
	 * back to the estimate then, a path whose round trip grew past it
	 * would time out again before every ACK, and give no sample ever.
	 */
	if (rtt_us) {
		toytcp_rtt_sample(tp, rtt_us);
		tp->backoff = 0;
		trace_toytcp_rto_update(sk, rtt_us, tp->srtt_us, tp->rttvar_us,
					tp->rto_us);
	}
	tp->retransmits = 0;
	tp->retrans_stamp = 0;
	toytcp_restart_retx(sk);
}

/*
 * The peer does not answer: the connection is over, with ETIMEDOUT, or
 * with the soft error an ICMP message left (EHOSTUNREACH, ...), which
 * tells why (RFC 1122 §4.2.3.9; as Linux's tcp_write_err()).
 */
static void toytcp_give_up(struct sock *sk)
{
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_TIMEOUTS);
	WRITE_ONCE(sk->sk_err, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
	sk_error_report(sk);
	toytcp_done(sk);
}

/**
 * toytcp_orphan_retries() - how often an orphan's segments or probes are
 * tried, as Linux's tcp_orphan_retries(): net.ipv4.tcp_orphan_retries of
 * the namespace; 0 there means 8 while the orphan is @alive, and none once
 * its backed-off timeout has reached the 120 s ceiling (so an orphan whose
 * peer is gone, or answers every probe with a zero window, ends within
 * about two such intervals instead of eight). An ICMP error already
 * reported the peer unreachable: none either, once not @alive.
 * @sk: the orphan.
 * @alive: its next timeout is still below TOYTCP_RTO_MAX_US.
 */
static unsigned int toytcp_orphan_retries(const struct sock *sk, bool alive)
{
	unsigned int n = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_orphan_retries);

	if (READ_ONCE(sk->sk_err_soft) && !alive)
		return 0;
	return n ? : (alive ? 8 : 0);
}

/* TCP_USER_TIMEOUT (RFC 5482): the peer has left data unacknowledged too long. */
static bool toytcp_user_timeout_over(const struct toytcp_sock *tp,
				     unsigned long since)
{
	return tp->user_timeout && since &&
	       time_after_eq(jiffies, since + msecs_to_jiffies(tp->user_timeout));
}

static void toytcp_retx_timeout(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	bool syn = (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV);
	unsigned int limit;

	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN | TCPF_TIME_WAIT))
		return;
	if (!toytcp_has_work_to_time(tp))
		return;
	if (tp->rack_armed) {
		/* RACK's reordering window ran out, not the RTO: holes may be lost */
		tp->rack_armed = 0;
		toytcp_rack_timeout(sk);
		if (timer_pending(&tp->retx_timer))
			return;		/* what it sent armed the timer again */
		if (time_before(jiffies, tp->retx_expires)) {
			sk_reset_timer(sk, &tp->retx_timer, tp->retx_expires);
			return;		/* the RTO, at its own deadline */
		}
		/* the RTO is due as well */
	}
	/*
	 * Late: it fired while the user held the socket, and ACKs taken from
	 * the backlog since have set it again (as Linux's
	 * tcp_write_timer_handler()). Its work is that later one's.
	 */
	if (time_before(jiffies, tp->retx_expires)) {
		if (!timer_pending(&tp->retx_timer))
			toytcp_retx_timer_at(sk, tp->retx_expires);
		return;
	}
	if (tp->tlp_armed) {
		/* the probe timeout, not the RTO: a probe, and the RTO behind it */
		tp->tlp_armed = 0;
		toytcp_send_tlp(sk);
		toytcp_retx_timer_at(sk, toytcp_retx_deadline(tp));
		return;
	}

	switch (sk->sk_state) {
	/* TCP_SYNCNT first, as Linux (a listener's counts for its children) */
	case TCP_SYN_SENT:
		limit = READ_ONCE(tp->syn_retries) ? : READ_ONCE(toytcp_syn_retries);
		break;
	case TCP_SYN_RECV:
		limit = READ_ONCE(tp->syn_retries) ? : READ_ONCE(toytcp_synack_retries);
		if (tp->defer_acked)	/* TCP_DEFER_ACCEPT: the peer is there */
			limit = max_t(unsigned int, limit, toytcp_defer_timeouts(sk));
		break;
	default:
		limit = sock_flag(sk, SOCK_DEAD) ?
			toytcp_orphan_retries(sk, tp->rto_us < TOYTCP_RTO_MAX_US) :
			READ_ONCE(toytcp_retries2);
		/* never before one retransmission (Linux's retransmits_timed_out()) */
		limit = max_t(unsigned int, limit, 1);
		break;
	}
	/* when the oldest segment went out: one RTO before this timeout */
	if (!tp->retrans_stamp)
		tp->retrans_stamp = (jiffies - usecs_to_jiffies(tp->rto_us)) ? : 1;
	/*
	 * As Linux: TCP_USER_TIMEOUT replaces the count of retries for data;
	 * a SYN or SYN-ACK gives up after the count or the time, whichever
	 * comes first.
	 */
	if (((syn || !tp->user_timeout) && tp->retransmits >= limit) ||
	    toytcp_user_timeout_over(tp, tp->retrans_stamp)) {
		toytcp_give_up(sk);
		return;
	}
	tp->retransmits++;
	if (!((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)))
		toytcp_enter_loss(sk);
	/* RFC 6298 (5.5): back off; (5.4): send the earliest segment again */
	tp->rto_us = min_t(u32, tp->rto_us * 2, TOYTCP_RTO_MAX_US);
	if (tp->backoff < U8_MAX)
		tp->backoff++;
	tp->rtt_start = 0;	/* Karn: no sample from a retransmitted segment */
	tp->retx_tsval = toytcp_ts_now(tp);	/* RTTM: only echoes from now on */
	if (tp->defer_acked && tp->retransmits < toytcp_defer_timeouts(sk)) {
		/*
		 * As Linux: the peer has ACKed; the SYN-ACK goes again only
		 * when the defer period ends, for an ACK that completes it.
		 */
		toytcp_arm_retx(sk);
		return;
	}
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_RETRANSTIMEOUTS);
	trace_toytcp_retransmit(sk, tp->snd_una, tp->snd_max - tp->snd_una,
				tp->rto_us, tp->retransmits);
	toytcp_retransmit(sk);
	toytcp_arm_retx(sk);
}

/* ---- zero-window probes ---- */

static u64 toytcp_probe_interval_us(const struct toytcp_sock *tp)
{
	u64 us = (u64)tp->rto_us << min_t(u8, tp->persist_backoff, 10);

	return min_t(u64, us, TOYTCP_RTO_MAX_US);
}

static unsigned long toytcp_probe_interval(const struct toytcp_sock *tp)
{
	return usecs_to_jiffies(toytcp_probe_interval_us(tp));
}

/* The next probe would still come before the 120 s ceiling. */
static bool toytcp_probe_alive(const struct toytcp_sock *tp)
{
	return toytcp_probe_interval_us(tp) < TOYTCP_RTO_MAX_US;
}

/**
 * toytcp_arm_persist() - data waits and nothing is in flight, so no ACK
 * will come to clock it out: the peer's window is zero (only a probe can
 * learn when it opens, RFC 9293 §3.8.6.1), or too small for silly window
 * avoidance to send into (and the update that would open it may be lost).
 * Start the persist timer then; stop it otherwise.
 * @sk: the socket, locked.
 */
void toytcp_arm_persist(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	u32 want = min_t(u32, tp->write_seq - tp->snd_nxt, tp->mss);

	/* data waits, none in flight, and the window is what holds it back */
	if (tp->snd_nxt == tp->write_seq || tp->snd_una != tp->snd_max ||
	    min(tp->snd_wnd, tp->snd_cwnd) >= want) {
		sk_stop_timer(sk, &tp->persist_timer);
		tp->persist_backoff = 0;
		return;
	}
	if (!timer_pending(&tp->persist_timer))
		sk_reset_timer(sk, &tp->persist_timer,
			       jiffies + toytcp_probe_interval(tp));
}

static void toytcp_persist_expired(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK)))
		return;
	if (tp->snd_wnd) {
		/* a window too small to fill: send what fits (RFC 9293 §3.8.6.2.1) */
		toytcp_push_window(sk);
		return;
	}
	if (tp->user_timeout ? toytcp_user_timeout_over(tp, tp->rcv_tstamp) :
			       tp->probes_out >= READ_ONCE(toytcp_retries2)) {
		/* the peer answers no probe: it is gone */
		toytcp_give_up(sk);
		return;
	}
	/*
	 * An orphan whose peer answers every probe with a zero window would
	 * live for ever: as Linux, it gets tcp_orphan_retries probes.
	 */
	if (sock_flag(sk, SOCK_DEAD) &&
	    tp->persist_backoff >= toytcp_orphan_retries(sk, toytcp_probe_alive(tp))) {
		toytcp_send_rst(sk);
		toytcp_give_up(sk);
		return;
	}
	toytcp_send_keepalive_probe(sk);
	tp->probes_out++;
	if (tp->persist_backoff < 10)
		tp->persist_backoff++;
	toytcp_arm_persist(sk);	/* again, with the backoff */
}

/* ---- delayed ACK ---- */

/**
 * toytcp_schedule_ack() - in-order data arrived: ACK it now if two full
 * segments wait for their ACK (RFC 5681 §4.2), or if the window we last
 * offered has no room left for a full segment (the peer cannot send the
 * second one a delayed ACK would wait for: with 64 KB segments over
 * loopback every round trip would cost the delay), or under TCP_QUICKACK;
 * else within delack_ms.
 * @sk: the socket, locked.
 */
void toytcp_schedule_ack(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	unsigned int ms = min(READ_ONCE(toytcp_delack_ms), 200U);
	u32 full = toytcp_effective_mss(tp);	/* the MSS less the options in each segment */

	if (tp->rcv_unacked >= 2U * full || toytcp_rcv_wnd_left(tp) < full || !ms ||
	    tp->quickack) {
		toytcp_send_ack(sk);
		return;
	}
	if (!timer_pending(&tp->delack_timer))
		sk_reset_timer(sk, &tp->delack_timer,
			       jiffies + msecs_to_jiffies(ms));
}

/* A segment with our ACK left: nothing is owed any more. */
void toytcp_ack_sent(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->rcv_unacked = 0;
	sk_stop_timer(sk, &tp->delack_timer);
}

static void toytcp_delack_expired(struct sock *sk)
{
	if (toytcp_sk(sk)->rcv_unacked && sk->sk_state != TCP_CLOSE)
		toytcp_send_ack(sk);
}

/* ---- keepalive ---- */

static unsigned long toytcp_keepidle(const struct toytcp_sock *tp)
{
	return (unsigned long)tp->keepidle * HZ;
}

/* SO_KEEPALIVE turned on or off (struct proto's .keepalive). */
void toytcp_keepalive(struct sock *sk, int on)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!on) {
		sk_stop_timer(sk, &tp->keepalive_timer);
		return;
	}
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	sk_reset_timer(sk, &tp->keepalive_timer, jiffies + toytcp_keepidle(tp));
}

/* TCP_KEEPIDLE changed, or the connection opened: count from now. */
void toytcp_reset_keepalive(struct sock *sk)
{
	if (sock_flag(sk, SOCK_KEEPOPEN))
		toytcp_keepalive(sk, 1);
}

static void toytcp_keepalive_expired(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	unsigned long idle = jiffies - tp->rcv_tstamp;

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT2)))
		return;
	/*
	 * Data in flight: the retransmission timer watches the peer; look
	 * again a whole idle time later (as Linux), not at once: the peer
	 * may have been silent for longer than that already.
	 */
	if (tp->snd_una != tp->snd_max) {
		sk_reset_timer(sk, &tp->keepalive_timer, jiffies + toytcp_keepidle(tp));
		return;
	}
	if (idle < toytcp_keepidle(tp)) {
		sk_reset_timer(sk, &tp->keepalive_timer,
			       jiffies + toytcp_keepidle(tp) - idle);
		return;
	}
	if (tp->probes_out >= tp->keepcnt) {
		toytcp_send_rst(sk);
		toytcp_give_up(sk);
		return;
	}
	toytcp_send_keepalive_probe(sk);
	tp->probes_out++;
	sk_reset_timer(sk, &tp->keepalive_timer,
		       jiffies + (unsigned long)tp->keepintvl * HZ);
}

/* ---- running timer work, now or when the user lets the socket go ---- */

static void toytcp_tw_expired(struct sock *sk)
{
	toytcp_done(sk);
}

/* What each timer does, by its TOYTCP_*_DEFERRED bit. */
static void (*const toytcp_timer_work[])(struct sock *sk) = {
	[TOYTCP_RETX_DEFERRED]		= toytcp_retx_timeout,
	[TOYTCP_TW_DEFERRED]		= toytcp_tw_expired,
	[TOYTCP_DELACK_DEFERRED]	= toytcp_delack_expired,
	[TOYTCP_PERSIST_DEFERRED]	= toytcp_persist_expired,
	[TOYTCP_KEEPALIVE_DEFERRED]	= toytcp_keepalive_expired,
	/* not a timer's: ICMP errors that came while the user held the socket */
	[TOYTCP_MTU_REDUCED_DEFERRED]	= toytcp_mtu_reduced,
	[TOYTCP_OPEN_FAILED_DEFERRED]	= toytcp_open_failed,
};

/* Do a timer's work now, or leave it for release_cb if the user holds @sk. */
static void toytcp_timer_fire(struct toytcp_sock *tp, int bit)
{
	struct sock *sk = &tp->inet.sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		toytcp_timer_work[bit](sk);
	else if (!test_and_set_bit(bit, &tp->deferred))
		sock_hold(sk);	/* release_cb's reference */
	bh_unlock_sock(sk);
	sock_put(sk);	/* the timer's reference */
}

static void toytcp_retx_timer(struct timer_list *t)
{
	struct toytcp_sock *tp = from_timer(tp, t, retx_timer);

	toytcp_timer_fire(tp, TOYTCP_RETX_DEFERRED);
}

static void toytcp_tw_timer(struct timer_list *t)
{
	struct toytcp_sock *tp = from_timer(tp, t, tw_timer);

	toytcp_timer_fire(tp, TOYTCP_TW_DEFERRED);
}

static void toytcp_delack_timer(struct timer_list *t)
{
	struct toytcp_sock *tp = from_timer(tp, t, delack_timer);

	toytcp_timer_fire(tp, TOYTCP_DELACK_DEFERRED);
}

static void toytcp_persist_timer(struct timer_list *t)
{
	struct toytcp_sock *tp = from_timer(tp, t, persist_timer);

	toytcp_timer_fire(tp, TOYTCP_PERSIST_DEFERRED);
}

static void toytcp_keepalive_timer(struct timer_list *t)
{
	struct toytcp_sock *tp = from_timer(tp, t, keepalive_timer);

	toytcp_timer_fire(tp, TOYTCP_KEEPALIVE_DEFERRED);
}

/**
 * toytcp_release_cb() - do the timer work deferred while the user held
 * the socket. Called by release_sock(), socket spinlock held.
 * @sk: the socket.
 */
void toytcp_release_cb(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	int i;

	for (i = 0; i < ARRAY_SIZE(toytcp_timer_work); i++) {
		if (test_and_clear_bit(i, &tp->deferred)) {
			toytcp_timer_work[i](sk);
			__sock_put(sk);
		}
	}
}

void toytcp_init_timers(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	timer_setup(&tp->retx_timer, toytcp_retx_timer, 0);
	timer_setup(&tp->tw_timer, toytcp_tw_timer, 0);
	timer_setup(&tp->delack_timer, toytcp_delack_timer, 0);
	timer_setup(&tp->persist_timer, toytcp_persist_timer, 0);
	timer_setup(&tp->keepalive_timer, toytcp_keepalive_timer, 0);
}

void toytcp_stop_timers(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	sk_stop_timer(sk, &tp->retx_timer);
	sk_stop_timer(sk, &tp->tw_timer);
	sk_stop_timer(sk, &tp->delack_timer);
	sk_stop_timer(sk, &tp->persist_timer);
	sk_stop_timer(sk, &tp->keepalive_timer);
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
	struct toytcp_sock *tp = toytcp_sk(sk);

	/* the application still holds it: an orphan stands in for it */
	if (!sock_flag(sk, SOCK_DEAD) && tp->port && sk_hashed(sk)) {
		/* no stand-in (too many of them): closed at once, as Linux */
		toytcp_tw_takeover(sk);
		toytcp_done(sk);
		return;
	}
	if (!tp->tw_charged) {
		if (!toytcp_tw_charge(sock_net(sk))) {
			toytcp_done(sk);
			return;
		}
		tp->tw_charged = 1;
	}
	toytcp_orphan_uncount(sk);
	toytcp_set_state(sk, TCP_TIME_WAIT);
	toytcp_stop_retx(sk);
	toytcp_arm_tw_timer(sk, 2UL * READ_ONCE(toytcp_msl) * HZ);
}
