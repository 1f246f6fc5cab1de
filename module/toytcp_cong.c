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
 *   congestion avoidance  cwnd >= ssthresh: one MSS per cwnd's worth of
 *                         bytes acknowledged, about one per round trip
 *   fast retransmit       three duplicate ACKs: the oldest segment again,
 *                         ssthresh = half the data in flight
 *   fast recovery         cwnd = ssthresh + 3 MSS, one MSS more per further
 *                         duplicate; a partial ACK sends the next hole
 *                         again; the ACK of everything ends it
 *   timeout               ssthresh = half the flight, cwnd = one MSS
 *
 * The sender sends at most min(peer's window, cwnd) beyond snd_una.
 */
#include <kunit/visibility.h>

#include "toytcp.h"

static u32 toytcp_flight(const struct toytcp_sock *tp)
{
	return tp->snd_max - tp->snd_una;
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS) */
static u32 toytcp_halved(const struct toytcp_sock *tp)
{
	return max_t(u32, toytcp_flight(tp) / 2, 2 * tp->mss);
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
		/* congestion avoidance: one MSS per window acknowledged */
		tp->snd_cwnd += max_t(u32, div_u64((u64)tp->mss * acked, tp->snd_cwnd), 1);
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
	if (tp->dupacks == TOYTCP_DUPTHRESH && toytcp_seq_after(tp->snd_una, tp->recover)) {
		toytcp_cc_enter_recovery(sk);
		toytcp_retransmit_head(sk);
		tp->snd_cwnd = tp->snd_ssthresh + TOYTCP_DUPTHRESH * tp->mss;
	}
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cc_dupack);

/**
 * toytcp_cc_enter_recovery() - a loss is known: ssthresh = half the
 * flight, cwnd = ssthresh (RFC 5681 (4), RFC 6675 §5 (4.2)); recovery
 * lasts until everything sent so far is acknowledged.
 * @sk: the socket, locked.
 */
void toytcp_cc_enter_recovery(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->snd_ssthresh = toytcp_halved(tp);
	tp->snd_cwnd = tp->snd_ssthresh;
	tp->recover = tp->snd_max;
	tp->in_recovery = true;
}

/**
 * toytcp_enter_loss() - the retransmission timer fired: everything in
 * flight may be lost. Start over from one segment (RFC 5681 (4), (5)).
 * @sk: the socket, locked.
 */
void toytcp_enter_loss(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->snd_ssthresh = toytcp_halved(tp);
	tp->snd_cwnd = tp->mss;
	tp->recover = tp->snd_max;
	tp->in_recovery = false;
	tp->dupacks = 0;
	tp->lost++;
	/* the peer may have dropped what it SACKed (RFC 2018 §8): start afresh */
	toytcp_sack_reset(tp);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_enter_loss);
