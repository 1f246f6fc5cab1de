// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_cong.c: congestion control, RFC 5681 with NewReno's fast
 * recovery (RFC 6582), or with SACK the recovery of RFC 6675
 * (toytcp_sack.c). All windows in bytes.
 *
 *   slow start            cwnd < ssthresh: cwnd grows by the bytes each ACK
 *                         covers, up to ssthresh (byte counting, RFC 3465,
 *                         without its limit of two MSS per ACK, as Linux:
 *                         a receiver acknowledges a 64 KB GSO skb, or
 *                         what GRO merged, with one ACK)
 *   congestion avoidance  cwnd >= ssthresh: the algorithm's (below)
 *   fast retransmit       three duplicate ACKs: the oldest segment again,
 *                         ssthresh as the algorithm says
 *   fast recovery         cwnd = ssthresh + 3 MSS, one MSS more per further
 *                         duplicate; a partial ACK sends the next hole
 *                         again; the ACK of everything ends it
 *   timeout               ssthresh as the algorithm says, cwnd = one MSS
 *   ECN echo (RFC 3168)   ssthresh and cwnd as for a loss, once per
 *                         window, nothing sent again; CWR tells the peer
 *
 * The algorithm is the socket's (TCP_CONGESTION, names as Linux's; the
 * module parameter "congestion" for new sockets, "cubic" as Linux's
 * default; a listener's children take the listener's):
 *
 *   reno    avoidance: one MSS per cwnd's worth of bytes acknowledged,
 *           about one per round trip; on a loss ssthresh = half the
 *           flight (RFC 5681 (4))
 *   cubic   RFC 9438: avoidance follows W(t) = C (t - K)^3 + W_max, t
 *           the time since the last reduction, W_max the window then,
 *           K the time to climb back to it (flat near W_max, steep away
 *           from it), and never slower than Reno would be (W_est); no
 *           growth while the application, not cwnd, limits the sender;
 *           on a loss ssthresh = 0.7 times the flight, and W_max shrinks
 *           a little more if the loss came below the last W_max (fast
 *           convergence)
 *
 * The sender sends at most min(peer's window, cwnd) beyond snd_una.
 */
#include <linux/math64.h>
#include <kunit/visibility.h>

#include "toytcp.h"

static u32 toytcp_flight(const struct toytcp_sock *tp)
{
	return tp->snd_max - tp->snd_una;
}

/* ---- reno ---- */

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS) */
static u32 toytcp_reno_ssthresh(struct sock *sk, u32 flight)
{
	return max_t(u32, flight / 2, 2 * toytcp_sk(sk)->mss);
}

/* One MSS per window acknowledged (RFC 5681 (3), bytes counted). */
static void toytcp_reno_avoid(struct sock *sk, u32 acked)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->snd_cwnd += max_t(u32, div_u64((u64)tp->mss * acked, tp->snd_cwnd), 1);
}

/* ---- cubic (RFC 9438) ---- */

/* C = 0.4 segments/s^3, beta = 0.7, alpha = 3 (1 - beta) / (1 + beta) = 0.529 */
#define TOYTCP_CUBIC_BETA_PCT		70
#define TOYTCP_CUBIC_CONVERGE_PCT	85	/* (1 + beta) / 2 */
#define TOYTCP_CUBIC_ALPHA_PERMILLE	529

/* The integer cube root of @x, rounded down. */
static u32 toytcp_cbrt(u64 x)
{
	u32 lo = 0, hi = 1U << 22;	/* (2^22)^3 > 2^64 */

	while (lo + 1 < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if ((u64)mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/**
 * toytcp_cubic_k_ms() - RFC 9438 (2): K = cbrt((W_max - cwnd_epoch) / C),
 * the time W(t) takes to climb from where the epoch starts back to W_max.
 * @gap: W_max - cwnd_epoch, bytes.
 * @mss: bytes per segment.
 *
 * Return: K in milliseconds.
 */
u32 toytcp_cubic_k_ms(u32 gap, u32 mss)
{
	/* segments / 0.4 = s^3; ms^3 = s^3 * 1e9: milli-segments * 2.5e6 */
	u64 msegs = div_u64((u64)gap * 1000, mss);

	return toytcp_cbrt(msegs * 2500000);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cubic_k_ms);

/**
 * toytcp_cubic_window() - RFC 9438 (1): W(t) = C (t - K)^3 + W_max.
 * @w_max: W_max (or the epoch's origin), bytes.
 * @k_ms: K.
 * @t_ms: the time since the epoch began.
 * @mss: bytes per segment.
 *
 * Return: W(t) in bytes, at least one MSS.
 */
u32 toytcp_cubic_window(u32 w_max, u32 k_ms, u32 t_ms, u32 mss)
{
	/* |t - K| at most 100 s: W(t) is far beyond any window by then */
	s64 d = clamp_t(s64, (s64)t_ms - k_ms, -100000, 100000);
	/* C d^3 segments = 0.4 d_ms^3 / 1e9; in steps that cannot overflow */
	s64 delta = div_s64(div_s64(d * d * d, 1000000) * mss * 4, 10000);
	s64 w = (s64)w_max + delta;

	return clamp_t(s64, w, mss, U32_MAX / 2);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cubic_window);

/* RFC 9438 §4.6, §4.7: remember W_max, start a new epoch at the next avoidance. */
static u32 toytcp_cubic_ssthresh(struct sock *sk, u32 flight)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct toytcp_cubic *c = &tp->cubic;
	u32 cwnd = tp->snd_cwnd;

	/* fast convergence: a loss below the last W_max leaves room to others */
	if (cwnd < c->w_max)
		c->w_max = div_u64((u64)cwnd * TOYTCP_CUBIC_CONVERGE_PCT, 100);
	else
		c->w_max = cwnd;
	c->epoch_us = 0;
	/* RFC 9438 §4.6: from the flight (an application-limited cwnd says little) */
	return max_t(u32, div_u64((u64)flight * TOYTCP_CUBIC_BETA_PCT, 100), 2 * tp->mss);
}

static void toytcp_cubic_avoid(struct sock *sk, u32 acked)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct toytcp_cubic *c = &tp->cubic;
	u64 now = toytcp_clock_us();
	u32 cwnd = tp->snd_cwnd, target, t_ms;

	if (!tp->cwnd_limited) {
		/*
		 * The application, not cwnd, held the sender back: W(t) would
		 * go on rising with time unused. No growth; the epoch starts
		 * again when cwnd is the limit again (as Linux's cubic after
		 * an idle period).
		 */
		c->epoch_us = 0;
		return;
	}
	if (!c->epoch_us) {
		/* RFC 9438 §4.2: the epoch starts with this avoidance */
		c->epoch_us = now;
		c->w_est = cwnd;
		if (c->w_max > cwnd) {
			c->k_ms = toytcp_cubic_k_ms(c->w_max - cwnd, tp->mss);
			c->origin = c->w_max;
		} else {
			c->k_ms = 0;
			c->origin = cwnd;
		}
	}
	/* where W(t) is one round trip from now (RFC 9438 §4.2) */
	t_ms = div_u64(now - c->epoch_us + tp->srtt_us, USEC_PER_MSEC);
	target = toytcp_cubic_window(c->origin, c->k_ms, t_ms, tp->mss);
	target = min_t(u32, target, cwnd + cwnd / 2);	/* at most 1.5 cwnd */
	if (target > cwnd)
		cwnd += max_t(u32, div_u64((u64)(target - cwnd) * acked, cwnd), 1);

	/* RFC 9438 §4.3: the window Reno would have (W_est), as a floor */
	c->w_est += max_t(u32, div_u64((u64)tp->mss * acked * TOYTCP_CUBIC_ALPHA_PERMILLE,
				      (u64)tp->snd_cwnd * 1000), 1);
	tp->snd_cwnd = max(cwnd, c->w_est);
}

static const struct toytcp_cc_ops toytcp_reno = {
	.name		= "reno",
	.ssthresh	= toytcp_reno_ssthresh,
	.avoid		= toytcp_reno_avoid,
};

static const struct toytcp_cc_ops toytcp_cubic = {
	.name		= "cubic",
	.ssthresh	= toytcp_cubic_ssthresh,
	.avoid		= toytcp_cubic_avoid,
};

static const struct toytcp_cc_ops *const toytcp_cc_all[] = {
	&toytcp_reno, &toytcp_cubic,
};

/* The module parameter "congestion": the algorithm of new sockets. */
static char toytcp_cc_default[TOYTCP_CA_NAME_MAX] = "cubic";
module_param_string(congestion, toytcp_cc_default, sizeof(toytcp_cc_default), 0644);
MODULE_PARM_DESC(congestion, "congestion control of new sockets: reno or cubic (as net.ipv4.tcp_congestion_control)");

/**
 * toytcp_cc_find() - an algorithm by name.
 * @name: "reno" or "cubic" (NUL-terminated).
 *
 * Return: its operations, or NULL.
 */
const struct toytcp_cc_ops *toytcp_cc_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(toytcp_cc_all); i++)
		if (!strcmp(name, toytcp_cc_all[i]->name))
			return toytcp_cc_all[i];
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cc_find);

/**
 * toytcp_cc_set() - the algorithm of @sk from now on; its state starts
 * afresh unless it is the one @sk has (as Linux's
 * tcp_set_congestion_control()).
 * @sk: the socket, locked.
 * @ops: the algorithm, or NULL for the module parameter's (cubic if that
 *       names none).
 */
void toytcp_cc_set(struct sock *sk, const struct toytcp_cc_ops *ops)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!ops)
		ops = toytcp_cc_find(toytcp_cc_default) ? : &toytcp_cubic;
	if (ops == tp->cc)
		return;		/* as Linux: the same one again changes nothing */
	WRITE_ONCE(tp->cc, ops);
	memset(&tp->cubic, 0, sizeof(tp->cubic));
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cc_set);

/*
 * cwnd just went down (a loss, a timeout, an ECE): no ECE counts again
 * before what is in flight now is ACKed, and with ECN the peer learns of
 * it by the CWR on our next new data (RFC 3168 §6.1.2).
 */
void toytcp_cwnd_reduced(struct toytcp_sock *tp)
{
	tp->cwnd_reduced = 1;
	tp->ecn_high = tp->snd_max;
	if (tp->ecn_ok)
		tp->ecn_cwr_pending = 1;
}

/**
 * toytcp_cc_ack() - an ACK covered @acked new bytes (snd_una already moved).
 * @sk: the socket, locked.
 * @acked: bytes newly acknowledged.
 */
void toytcp_cc_ack(struct sock *sk, u32 acked)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (tp->in_recovery) {
		if (toytcp_seq_after_eq(tp->snd_una, tp->recover)) {
			/* full ACK: recovery is over, deflate to ssthresh */
			tp->in_recovery = false;
			tp->snd_cwnd = tp->snd_ssthresh;
		} else if (tp->sack_ok) {
			/* SACK recovery: the pipe decides what goes (toytcp_push()) */
		} else {
			/* partial ACK: the next hole is lost too (RFC 6582 3.2 (5)) */
			toytcp_retransmit_head(sk);
			tp->snd_cwnd -= min(acked, tp->snd_cwnd - tp->mss);
			if (acked >= tp->mss)
				tp->snd_cwnd += tp->mss;
		}
	} else if (tp->snd_cwnd < tp->snd_ssthresh) {
		/* slow start: by the bytes acknowledged, up to ssthresh */
		tp->snd_cwnd = min(tp->snd_cwnd + acked, tp->snd_ssthresh);
	} else {
		tp->cc->avoid(sk, acked);	/* congestion avoidance */
	}
	tp->dupacks = 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cc_ack);

/**
 * toytcp_cc_dupack() - a duplicate ACK: the peer got a segment after a hole.
 * @sk: the socket, locked, with data in flight.
 */
void toytcp_cc_dupack(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->dupacks++;
	if (tp->sack_ok)
		return;		/* toytcp_sack_enter_recovery() counts them */
	if (tp->in_recovery) {
		tp->snd_cwnd += tp->mss;	/* one more segment has left the network */
		return;
	}
	/* a third duplicate, and not for data sent before the last recovery */
	if (tp->dupacks == TOYTCP_DUPTHRESH && toytcp_seq_after_eq(tp->snd_una, tp->recover)) {
		toytcp_cc_enter_recovery(sk);
		toytcp_retransmit_head(sk);
		tp->snd_cwnd = tp->snd_ssthresh + TOYTCP_DUPTHRESH * tp->mss;
	}
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cc_dupack);

/**
 * toytcp_cc_enter_recovery() - a loss is known: ssthresh as the
 * algorithm says (reno: half the flight), cwnd = ssthresh (RFC 5681 (4),
 * RFC 6675 §5 (4.2)); recovery lasts until everything sent so far is
 * acknowledged.
 * @sk: the socket, locked.
 */
void toytcp_cc_enter_recovery(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->snd_ssthresh = tp->cc->ssthresh(sk, toytcp_flight(tp));
	tp->snd_cwnd = tp->snd_ssthresh;
	tp->recover = tp->snd_max;
	tp->in_recovery = true;
	toytcp_cwnd_reduced(tp);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cc_enter_recovery);

/**
 * toytcp_enter_loss() - the retransmission timer fired: everything in
 * flight may be lost. Start over from one segment (RFC 5681 (4), (5);
 * RFC 9438 §4.8), ssthresh as the algorithm says.
 * @sk: the socket, locked.
 */
void toytcp_enter_loss(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	/*
	 * The first timeout of a series, outside recovery, sets ssthresh; a
	 * second one in a row, or one during recovery, keeps it (RFC 5681
	 * §3.1, as Linux's tcp_enter_loss()): cwnd is no measure of the path
	 * by then.
	 */
	if (tp->retransmits <= 1 && !tp->in_recovery)
		tp->snd_ssthresh = tp->cc->ssthresh(sk, toytcp_flight(tp));
	tp->snd_cwnd = tp->mss;
	toytcp_cwnd_reduced(tp);
	/* RFC 9438 §4.8: after a timeout CUBIC starts afresh from cwnd (K = 0) */
	tp->cubic.w_max = 0;
	tp->cubic.epoch_us = 0;
	tp->recover = tp->snd_max;
	tp->in_recovery = false;
	tp->dupacks = 0;
	tp->lost++;
	tp->tlp_out = 0;
	/* the peer may have dropped what it SACKed (RFC 2018 §8): start afresh */
	toytcp_sack_reset(tp);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_enter_loss);

/* ---- ECN (RFC 3168) ---- */

/* The module parameter "ecn": -1 follows the namespace's net.ipv4.tcp_ecn. */
static int toytcp_ecn = -1;
module_param_named(ecn, toytcp_ecn, int, 0644);
MODULE_PARM_DESC(ecn, "ECN: 0 off, 1 ask for it and accept it, 2 accept it when asked; -1 (default): as net.ipv4.tcp_ecn (2)");

/**
 * toytcp_ecn_mode() - ECN for new connections in @net, as Linux's
 * net.ipv4.tcp_ecn: 0 off, 1 request it (and accept it), 2 accept it.
 * @net: namespace.
 *
 * Return: the mode, from the module parameter unless that is -1.
 */
int toytcp_ecn_mode(const struct net *net)
{
	int mode = READ_ONCE(toytcp_ecn);

	return mode >= 0 ? mode : READ_ONCE(net->ipv4.sysctl_tcp_ecn);
}

/*
 * The ECN bits of our SYN (ECE and CWR: "I can do ECN") or SYN-ACK (ECE
 * alone: "so can I"), RFC 3168 §6.1.1. @ecn_ok says we asked or accepted.
 */
u8 toytcp_ecn_syn_flags(const struct sock *sk)
{
	const struct toytcp_sock *tp = toytcp_sk(sk);

	if (!tp->ecn_ok)
		return 0;
	/*
	 * A SYN sent again goes without: a middlebox may drop ECN SYNs (as
	 * Linux with net.ipv4.tcp_ecn_fallback); the SYN-ACK decides.
	 */
	if (sk->sk_state == TCP_SYN_SENT)
		return tp->retransmits ? 0 : TOYTCP_ECE | TOYTCP_CWR;
	return TOYTCP_ECE;
}

/**
 * toytcp_ecn_syn_negotiate() - the peer's SYN or SYN-ACK is here: ECN is
 * on if we wanted it and the peer said so too (a SYN with ECE and CWR; a
 * SYN-ACK with ECE and not CWR, RFC 3168 §6.1.1).
 * @sk: the socket (in SYN_SENT, or a new child in SYN_RECV).
 * @syn: the peer's segment.
 */
void toytcp_ecn_syn_negotiate(struct sock *sk, const struct sk_buff *syn)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u8 ecn = TOYTCP_SKB_CB(syn)->ecn & (TOYTCP_ECE | TOYTCP_CWR);

	if (sk->sk_state == TCP_SYN_SENT)
		tp->ecn_ok = tp->ecn_ok && ecn == TOYTCP_ECE;
	else	/* a SYN that is itself ECT or CE came through something odd (as Linux) */
		tp->ecn_ok = toytcp_ecn_mode(sock_net(sk)) &&
			     ecn == (TOYTCP_ECE | TOYTCP_CWR) &&
			     !(TOYTCP_SKB_CB(syn)->ecn & (TOYTCP_ECT | TOYTCP_CE));
	tp->ecn_demand_cwr = 0;
	tp->ecn_cwr_pending = 0;
}

/**
 * toytcp_ecn_send_flags() - the ECN bits of a segment of an open
 * connection: ECE while a CE mark waits for the peer's CWR; CWR on the
 * first new data after our reduction. Only new data goes as ECT (a
 * retransmission or a pure ACK must not, RFC 3168 §6.1.5, §6.1.4): the
 * caller marks its skb TOYTCP_ECT when this returns with @new_data.
 * @sk: the socket, locked.
 * @new_data: the segment carries data never sent before.
 *
 * Return: TOYTCP_ECE and TOYTCP_CWR bits for the header.
 */
u8 toytcp_ecn_send_flags(struct sock *sk, bool new_data)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u8 flags = 0;

	if (!tp->ecn_ok || !((1 << sk->sk_state) & TOYTCPF_SYNCHRONIZED))
		return 0;
	if (tp->ecn_demand_cwr)
		flags |= TOYTCP_ECE;
	if (new_data && tp->ecn_cwr_pending) {
		flags |= TOYTCP_CWR;
		tp->ecn_cwr_pending = 0;
	}
	return flags;
}

/**
 * toytcp_ecn_rcv() - a segment of an open connection arrived: the peer's
 * CWR ends our echo; a CE mark on data starts it (RFC 3168 §6.1.3), and
 * is answered at once.
 * @sk: the socket, locked.
 * @skb: the segment.
 */
void toytcp_ecn_rcv(struct sock *sk, const struct sk_buff *skb)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);

	if (!tp->ecn_ok)
		return;
	if (cb->ecn & TOYTCP_CWR)
		tp->ecn_demand_cwr = 0;
	if (cb->ecn & TOYTCP_CE && skb->len) {
		tp->ecn_demand_cwr = 1;
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_ECNCEMARKS);
	}
}

/**
 * toytcp_ecn_ack() - an ACK with ECE: the network marked our data. cwnd
 * goes down as for a loss, once per window of data (RFC 3168 §6.1.2),
 * with nothing sent again; the next new data carries CWR.
 * @sk: the socket, locked.
 * @skb: the ACK.
 * @acked: bytes it acknowledged anew.
 */
void toytcp_ecn_ack(struct sock *sk, const struct sk_buff *skb, u32 acked)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	/* the window of the last reduction is over once data after it is ACKed */
	if (tp->cwnd_reduced && toytcp_seq_after(tp->snd_una, tp->ecn_high))
		tp->cwnd_reduced = 0;
	if (!tp->ecn_ok || !(TOYTCP_SKB_CB(skb)->ecn & TOYTCP_ECE))
		return;
	if (acked)
		tp->delivered_ce += DIV_ROUND_UP(acked, tp->mss);
	/* once per window, and not on top of a recovery or a timeout's */
	if (tp->cwnd_reduced || tp->in_recovery || tp->retransmits)
		return;
	tp->snd_ssthresh = tp->cc->ssthresh(sk, toytcp_flight(tp) + acked);
	tp->snd_cwnd = max_t(u32, min(tp->snd_cwnd, tp->snd_ssthresh), tp->mss);
	toytcp_cwnd_reduced(tp);
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_ECNREDUCTIONS);
}
