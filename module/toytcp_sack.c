// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_sack.c: selective acknowledgment (RFC 2018, D-SACK RFC 2883) and
 * the loss recovery it allows (RFC 6675), when both SYNs carried SACK
 * permitted.
 *
 * Receiver: a cumulative ACK can only say "everything before this byte";
 * with a hole, the peer cannot tell what came after it. Every ACK without
 * data also names up to 4 (3 beside timestamps) ranges of the
 * out-of-order queue: first the one holding the segment that arrived
 * last, then the others in order. A segment that brought nothing new (an
 * old duplicate) is reported once, as the first block (D-SACK), so the
 * peer can tell that its retransmission was not needed.
 *
 *   ACK 1001  SACK 2001-4001 5001-6001     "I hold 1001..2000? no:
 *                                           2001..4000 and 5001..6000"
 *
 * Sender: the ranges the peer holds are kept in a scoreboard (tp->sacked,
 * sorted, merged). A hole with more than DupThresh - 1 MSS SACKed above it
 * (or DupThresh SACKed ranges) is taken as lost (RFC 6675 IsLost()).
 * Recovery then starts on the first such ACK, not only on the third
 * duplicate, and each ACK sends:
 *
 *   1. lost holes not yet sent again, from the lowest (HighRxt moves up)
 *   2. new data
 *
 * as long as the data in the network (the "pipe": not SACKed and not lost,
 * plus what was sent again) is under cwnd, so several holes are repaired
 * in one round trip with no timeout. How far under: proportional rate
 * reduction (RFC 6937) sets cwnd at each ACK from what the peer got.
 * A retransmission can be lost too: once IsLost() reaches data first sent
 * after it (RFC 8985's rule, by send order instead of send time), it goes
 * again at once (step 0 above), where 6675 alone would wait for the RTO.
 * RFC 6675's rule 3 (sending again a hole not yet taken as lost, when
 * nothing else may go) [not done: the timer covers it]. SACK information
 * is advisory (the peer may renege, RFC 2018 §8): nothing is freed before
 * the cumulative ACK, and a retransmission timeout forgets the scoreboard.
 *
 * Only segments without data carry SACK blocks: a data segment's MSS
 * already counts the header with the timestamps only.
 */
#include <kunit/visibility.h>

#include "toytcp.h"

static u32 toytcp_seq_max(u32 a, u32 b)
{
	return toytcp_seq_after(a, b) ? a : b;
}

static u32 toytcp_seq_min(u32 a, u32 b)
{
	return toytcp_seq_before(a, b) ? a : b;
}

/* A new connection (or a timeout): nothing known, nothing to report. */
void toytcp_sack_reset(struct toytcp_sock *tp)
{
	tp->dsack.start = tp->dsack.end;
	tp->nr_sacked = 0;
	tp->sacked_bytes = 0;
	tp->nr_rxt = 0;
	tp->rack_lost = 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_reset);

/* ---- receiver: the blocks our ACKs carry ---- */

/* A segment went to the out-of-order queue at @seq: our first block now. */
void toytcp_sack_note_ooo(struct toytcp_sock *tp, u32 seq)
{
	tp->sack_recent = seq;
}

/* Bytes [@start, @end) came again, already held: report them once (RFC 2883). */
void toytcp_sack_note_dup(struct toytcp_sock *tp, u32 start, u32 end)
{
	if (tp->sack_ok && toytcp_seq_before(start, end)) {
		tp->dsack.start = start;
		tp->dsack.end = end;
	}
}

/*
 * One range of the out-of-order queue is complete (skbs that continue
 * each other make one): the one holding the last arrival goes first,
 * the others after it from the lowest, as many as @max allows. Returns
 * true when no later range can be taken.
 */
static bool toytcp_sack_take(struct toytcp_sock *tp, const struct toytcp_sack_block *r,
			     struct toytcp_opts *opts, unsigned int first, unsigned int max,
			     bool *have_first)
{
	unsigned int i;

	if (toytcp_seq_in_window(tp->sack_recent, r->start, r->end)) {
		/* room for it at @first: the others move up, the last may drop */
		for (i = min(opts->num_sacks, max - 1); i > first; i--)
			opts->sacks[i] = opts->sacks[i - 1];
		opts->sacks[first] = *r;
		opts->num_sacks = min(opts->num_sacks + 1, max);
		*have_first = true;
	} else if (opts->num_sacks < max) {
		opts->sacks[opts->num_sacks++] = *r;
	}
	return *have_first && opts->num_sacks == max;
}

/**
 * toytcp_sack_blocks() - the SACK blocks of the ACK about to leave.
 * @sk: the socket, locked.
 * @opts: its options; @opts->num_sacks and @opts->sacks are filled in,
 *        as many as fit beside the timestamps if @opts->saw_tstamp.
 *
 * A pending D-SACK first (and then forgotten), then the range holding the
 * last out-of-order arrival, then the other ranges from the lowest.
 */
void toytcp_sack_blocks(struct sock *sk, struct toytcp_opts *opts)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	unsigned int max = opts->saw_tstamp ? TOYTCP_MAX_SACK_BLOCKS - 1 :
					      TOYTCP_MAX_SACK_BLOCKS;
	struct toytcp_sack_block r = {};
	bool have_first = false, in_range = false;
	unsigned int first = 0;
	struct sk_buff *skb;

	opts->num_sacks = 0;
	if (!tp->sack_ok)
		return;
	if (tp->dsack.start != tp->dsack.end) {
		opts->sacks[opts->num_sacks++] = tp->dsack;
		tp->dsack.start = tp->dsack.end;
		first = 1;
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_DSACKSENT);
	}
	/* one walk of the queue (it may hold thousands of small segments) */
	skb_queue_walk(&tp->ooo_queue, skb) {
		u32 seq = TOYTCP_SKB_CB(skb)->seq;

		if (in_range && seq == r.end) {
			r.end = seq + skb->len;
			continue;
		}
		if (in_range && toytcp_sack_take(tp, &r, opts, first, max, &have_first))
			return;
		r.start = seq;
		r.end = seq + skb->len;
		in_range = true;
	}
	if (in_range)
		toytcp_sack_take(tp, &r, opts, first, max, &have_first);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_blocks);

/* ---- sender: the scoreboard ---- */

static void toytcp_sack_count(struct toytcp_sock *tp)
{
	u32 bytes = 0;
	int i;

	for (i = 0; i < tp->nr_sacked; i++)
		bytes += tp->sacked[i].end - tp->sacked[i].start;
	tp->sacked_bytes = bytes;
}

/* Add [@start, @end) to the scoreboard, merging what it touches. */
static void toytcp_sack_insert(struct toytcp_sock *tp, u32 start, u32 end)
{
	struct toytcp_sack_block *sb = tp->sacked;
	int n = tp->nr_sacked, i = 0, j;

	while (i < n && toytcp_seq_before(sb[i].end, start))
		i++;		/* wholly below, not even touching */
	for (j = i; j < n && toytcp_seq_before_eq(sb[j].start, end); j++) {
		start = toytcp_seq_min(start, sb[j].start);
		end = toytcp_seq_max(end, sb[j].end);
	}
	if (j == i) {
		/* a new range at i; when full, the highest is forgotten */
		if (n == TOYTCP_SCOREBOARD_MAX) {
			if (i == n)
				return;
			n--;
		}
		memmove(&sb[i + 1], &sb[i], (n - i) * sizeof(*sb));
		n++;
	} else {
		/* ranges i..j-1 become one */
		memmove(&sb[i + 1], &sb[j], (n - j) * sizeof(*sb));
		n -= j - i - 1;
	}
	sb[i].start = start;
	sb[i].end = end;
	tp->nr_sacked = n;
}

/* The cumulative ACK moved: forget what it covers. */
void toytcp_sack_trim(struct toytcp_sock *tp)
{
	int i = 0, n = tp->nr_sacked;

	while (i < n && toytcp_seq_before_eq(tp->sacked[i].end, tp->snd_una))
		i++;
	if (i) {
		memmove(tp->sacked, tp->sacked + i, (n - i) * sizeof(*tp->sacked));
		tp->nr_sacked = n - i;
	}
	if (tp->nr_sacked && toytcp_seq_before(tp->sacked[0].start, tp->snd_una))
		tp->sacked[0].start = tp->snd_una;
	if (tp->rack_lost && !toytcp_seq_after(tp->rack_lost_end, tp->snd_una))
		tp->rack_lost = 0;	/* all of it ACKed */
	toytcp_sack_count(tp);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_trim);

/**
 * toytcp_sack_update() - take the SACK blocks of an ACK (snd_una already
 * moved to its ACK number) into the scoreboard.
 * @sk: the socket, locked.
 * @opts: the ACK's options.
 *
 * A first block below the ACK number, or inside the second block, is a
 * D-SACK (RFC 2883 §4): counted, not a hole's news. A block that is empty,
 * reaches beyond what was sent, or lies wholly below snd_una is ignored;
 * one that starts below snd_una counts from there.
 *
 * Return: bytes newly SACKed.
 */
u32 toytcp_sack_update(struct sock *sk, const struct toytcp_opts *opts)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 before = tp->sacked_bytes;
	unsigned int i;

	if (!tp->sack_ok)
		return 0;
	for (i = 0; i < opts->num_sacks; i++) {
		struct toytcp_sack_block b = opts->sacks[i];

		if (!toytcp_seq_before(b.start, b.end))
			continue;
		if (i == 0 && (toytcp_seq_before_eq(b.end, tp->snd_una) ||
			       (opts->num_sacks > 1 &&
				toytcp_seq_after_eq(b.start, opts->sacks[1].start) &&
				toytcp_seq_before_eq(b.end, opts->sacks[1].end)))) {
			toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_DSACKRECV);
			tp->dsack_dups++;
			if (tp->tlp_out)
				tp->tlp_dsacked = 1;	/* the probe was not needed */
			continue;
		}
		if (toytcp_seq_after(b.end, tp->snd_max) ||
		    toytcp_seq_before_eq(b.end, tp->snd_una))
			continue;
		toytcp_sack_insert(tp, toytcp_seq_max(b.start, tp->snd_una), b.end);
	}
	toytcp_sack_count(tp);
	return tp->sacked_bytes > before ? tp->sacked_bytes - before : 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_update);

/**
 * toytcp_sack_lost_edge() - RFC 6675 IsLost() for the whole flight: every
 * byte not SACKed below the returned sequence number is taken as lost.
 * @tp: the control block.
 *
 * A byte is lost when more than (DupThresh - 1) * MSS bytes, or DupThresh
 * separate ranges, above it are SACKed; going down the scoreboard, the
 * first range where that holds is where loss begins. Or when RACK's
 * reordering window ran out for it, or a tail loss probe sent after it
 * is SACKed.
 *
 * Return: the edge; snd_una if nothing is lost.
 */
u32 toytcp_sack_lost_edge(const struct toytcp_sock *tp)
{
	u32 bytes = 0, edge = tp->snd_una;
	int i;

	for (i = tp->nr_sacked - 1; i >= 0; i--) {
		bytes += tp->sacked[i].end - tp->sacked[i].start;
		if (bytes > (TOYTCP_DUPTHRESH - 1) * tp->mss ||
		    tp->nr_sacked - i >= TOYTCP_DUPTHRESH) {
			edge = tp->sacked[i].start;
			break;
		}
	}
	/* holes RACK's reordering window ran out for (toytcp_rack_timeout()) */
	if (tp->rack_lost && toytcp_seq_after(tp->rack_lost_end, edge))
		edge = tp->rack_lost_end;
	/*
	 * A tail loss probe arrived (the peer SACKs its first byte) while
	 * what was sent before it did not: that is lost (RFC 8985's RACK
	 * rule, for the probe alone: sent earlier, not delivered, and
	 * something sent later was).
	 */
	if (tp->tlp_out) {
		for (i = 0; i < tp->nr_sacked; i++)
			if (toytcp_seq_in_window(tp->tlp_seq, tp->sacked[i].start,
						 tp->sacked[i].end))
				return toytcp_seq_max(edge, tp->sacked[i].start);
	}
	return edge;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_lost_edge);

/*
 * RFC 6675 IsLost(@seq): DupThresh separate ranges, or more than
 * (DupThresh - 1) MSS, SACKed above it.
 */
static bool toytcp_sack_is_lost(const struct toytcp_sock *tp, u32 seq)
{
	u32 bytes = 0;
	int i, ranges = 0;

	for (i = tp->nr_sacked - 1; i >= 0 && toytcp_seq_after(tp->sacked[i].end, seq); i--) {
		bytes += tp->sacked[i].end - toytcp_seq_max(tp->sacked[i].start, seq);
		ranges++;
	}
	return bytes > (TOYTCP_DUPTHRESH - 1) * tp->mss || ranges >= TOYTCP_DUPTHRESH;
}

/* Bytes in [snd_una, @seq) the peer has not SACKed. */
static u32 toytcp_unsacked_below(const struct toytcp_sock *tp, u32 seq)
{
	u32 bytes = seq - tp->snd_una;
	int i;

	for (i = 0; i < tp->nr_sacked; i++) {
		const struct toytcp_sack_block *b = &tp->sacked[i];

		if (!toytcp_seq_before(b->start, seq))
			break;
		bytes -= toytcp_seq_min(b->end, seq) - b->start;
	}
	return bytes;
}

/* Bytes in [@start, @end) the peer has neither ACKed nor SACKed. */
static u32 toytcp_unsacked_in(const struct toytcp_sock *tp, u32 start, u32 end)
{
	start = toytcp_seq_max(start, tp->snd_una);
	if (!toytcp_seq_before(start, end))
		return 0;
	return toytcp_unsacked_below(tp, end) - toytcp_unsacked_below(tp, start);
}

/* Bytes of retransmissions found lost and not yet sent again. */
static u32 toytcp_rxt_lost_bytes(const struct toytcp_sock *tp)
{
	u32 bytes = 0;
	int i;

	for (i = 0; i < tp->nr_rxt; i++)
		if (tp->rxt_log[i].lost)
			bytes += toytcp_unsacked_in(tp, tp->rxt_log[i].start, tp->rxt_log[i].end);
	return bytes;
}

/* In SACK recovery: bytes sent again (below HighRxt) and neither ACKed nor SACKed. */
u32 toytcp_sack_retrans_out(const struct toytcp_sock *tp)
{
	if (!tp->in_recovery || !tp->sack_ok || !toytcp_seq_after(tp->high_rxt, tp->snd_una))
		return 0;
	return toytcp_unsacked_below(tp, toytcp_seq_min(tp->high_rxt, tp->snd_max)) -
	       toytcp_rxt_lost_bytes(tp);
}

/**
 * toytcp_sack_pipe() - RFC 6675 SetPipe(): the bytes taken to be in the
 * network: sent and neither SACKed nor lost, plus lost ones sent again
 * (below HighRxt) unless that retransmission was found lost too.
 * @tp: the control block, in SACK recovery.
 * @lost: toytcp_sack_lost_edge().
 *
 * Return: the pipe, in bytes.
 */
u32 toytcp_sack_pipe(const struct toytcp_sock *tp, u32 lost)
{
	u32 rxt = toytcp_seq_min(toytcp_seq_max(tp->high_rxt, tp->snd_una), tp->snd_max);

	return tp->snd_max - tp->snd_una - tp->sacked_bytes -
	       toytcp_unsacked_below(tp, lost) + toytcp_unsacked_below(tp, rxt) -
	       toytcp_rxt_lost_bytes(tp);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_pipe);

/* The first byte at or after @seq that the peer has not SACKed. */
static u32 toytcp_next_unsacked(const struct toytcp_sock *tp, u32 seq, u32 *hole_end)
{
	int i;

	*hole_end = tp->snd_max;
	for (i = 0; i < tp->nr_sacked; i++) {
		const struct toytcp_sack_block *b = &tp->sacked[i];

		if (toytcp_seq_before_eq(b->end, seq))
			continue;
		if (toytcp_seq_before_eq(b->start, seq)) {
			seq = b->end;	/* inside this range: the hole after it */
			continue;
		}
		*hole_end = b->start;
		break;
	}
	return seq;
}

/*
 * Send [@seq, @end) again (one segment at most) in SACK recovery, and log
 * it to be watched: if it is lost too, toytcp_sack_lost_retransmits()
 * finds out. When the log is full the oldest is forgotten (the RTO is left
 * for it). Returns what toytcp_retransmit_at() does.
 */
static u32 toytcp_sack_resend(struct sock *sk, u32 seq, u32 end)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 sent = toytcp_retransmit_at(sk, seq, end);

	if (!sent)
		return 0;
	if (tp->nr_rxt == TOYTCP_RXT_LOG_MAX) {
		memmove(tp->rxt_log, tp->rxt_log + 1, (tp->nr_rxt - 1) * sizeof(*tp->rxt_log));
		tp->nr_rxt--;
	}
	tp->rxt_log[tp->nr_rxt++] = (struct toytcp_rxt){
		.start = seq, .end = seq + sent, .high = tp->snd_max,
	};
	return sent;
}

/**
 * toytcp_sack_lost_retransmits() - after an ACK in SACK recovery: which of
 * the retransmissions sent are lost too? RFC 8985's rule (a segment is
 * lost when one sent after it was delivered, and enough later that
 * reordering cannot explain it), with send order for time: a
 * retransmission left when snd_max was at its @high, so data from @high
 * up left after it; once RFC 6675's IsLost() holds for @high (more than
 * DupThresh - 1 MSS SACKed above it), the retransmission is lost and is sent again
 * (toytcp_sack_retransmit()). Without this, every lost retransmission
 * waited for the RTO. Delivered ones leave the log.
 * @sk: the socket, locked.
 *
 * Return: how many were newly found lost (counted in LostRetransmit).
 */
int toytcp_sack_lost_retransmits(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	int i, n = 0, found = 0;

	if (!tp->in_recovery) {
		tp->nr_rxt = 0;
		return 0;
	}
	for (i = 0; i < tp->nr_rxt; i++) {
		struct toytcp_rxt r = tp->rxt_log[i];

		if (!toytcp_unsacked_in(tp, r.start, r.end))
			continue;	/* delivered: forgotten (toytcp_rxt_forget()) */
		r.start = toytcp_seq_max(r.start, tp->snd_una);
		if (!r.lost && toytcp_sack_is_lost(tp, r.high)) {
			r.lost = true;
			found++;
		}
		tp->rxt_log[n++] = r;
	}
	tp->nr_rxt = n;
	if (found)
		toytcp_add_stat(sock_net(sk), TOYTCP_MIB_LOSTRETRANSMIT, found);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_lost_retransmits);

/* Take entry @i out of the retransmission log. */
static void toytcp_rxt_forget(struct toytcp_sock *tp, int i)
{
	memmove(&tp->rxt_log[i], &tp->rxt_log[i + 1],
		(tp->nr_rxt - i - 1) * sizeof(*tp->rxt_log));
	tp->nr_rxt--;
}

/*
 * Send again the retransmissions found lost, oldest first, while the pipe
 * is under cwnd. Each was one segment: sent again, it leaves its entry
 * and is logged anew. Returns the new pipe.
 */
static u32 toytcp_resend_lost_retransmits(struct sock *sk, u32 pipe)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	int i = 0;

	while (i < tp->nr_rxt && pipe < tp->snd_cwnd) {
		struct toytcp_rxt r = tp->rxt_log[i];
		u32 hole_end, seq, sent;

		if (!r.lost) {
			i++;
			continue;
		}
		toytcp_rxt_forget(tp, i);
		seq = toytcp_next_unsacked(tp, toytcp_seq_max(r.start, tp->snd_una), &hole_end);
		if (!toytcp_seq_before(seq, r.end))
			continue;	/* it all arrived meanwhile */
		sent = toytcp_sack_resend(sk, seq, toytcp_seq_min(hole_end, r.end));
		if (!sent) {
			/* nothing left (no memory): keep it for the next ACK */
			memmove(&tp->rxt_log[i + 1], &tp->rxt_log[i],
				(tp->nr_rxt - i) * sizeof(*tp->rxt_log));
			tp->rxt_log[i] = r;
			tp->nr_rxt++;
			break;
		}
		pipe += sent;
	}
	return pipe;
}

/**
 * toytcp_sack_enter_recovery() - is a loss known? Either a third duplicate
 * ACK or a hole with enough SACKed above it (RFC 6675 §5), for data sent
 * after the last recovery: ssthresh and cwnd halve, and recovery sends the
 * first hole again at once.
 * @sk: the socket, locked, with SACK on.
 *
 * Return: true if recovery began.
 */
bool toytcp_sack_enter_recovery(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	u32 hole_end;

	if (tp->in_recovery || toytcp_seq_before(tp->snd_una, tp->recover) ||
	    tp->snd_una == tp->snd_max)
		return false;
	if (tp->dupacks < TOYTCP_DUPTHRESH &&
	    toytcp_sack_lost_edge(tp) == tp->snd_una)
		return false;
	toytcp_cc_enter_recovery(sk);
	tp->tlp_out = 0;	/* a probe's work is done once a hole is known */
	tp->prr_delivered = 0;
	tp->prr_out = 0;
	tp->recover_fs = tp->snd_max - tp->snd_una;
	tp->nr_rxt = 0;
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_SACKRECOVERY);
	/* RFC 6675 §5 (4.3): the first segment not acknowledged goes at once */
	toytcp_next_unsacked(tp, tp->snd_una, &hole_end);
	tp->high_rxt = tp->snd_una + toytcp_sack_resend(sk, tp->snd_una, hole_end);
	return true;
}

/**
 * toytcp_sack_prr() - proportional rate reduction (RFC 6937): how much an
 * ACK in SACK recovery lets go, as the cwnd for toytcp_push().
 * @sk: the socket, locked, in SACK recovery.
 * @delivered: bytes this ACK says the peer got (ACKed and SACKed anew).
 *
 * While the pipe is above ssthresh, sending follows delivery in the ratio
 * ssthresh / RecoverFS, so the flight shrinks smoothly to ssthresh over
 * one round trip instead of halting for half of it; below it, slow start
 * (at most one MSS more than delivered) brings it back up to ssthresh
 * (PRR-SSRB). cwnd = pipe + what may be sent now, at least one MSS.
 */
void toytcp_sack_prr(struct sock *sk, u32 delivered)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 pipe = toytcp_sack_pipe(tp, toytcp_sack_lost_edge(tp));
	s64 sndcnt;

	tp->prr_delivered += delivered;
	if (pipe > tp->snd_ssthresh)
		sndcnt = (s64)DIV_ROUND_UP_ULL((u64)tp->prr_delivered * tp->snd_ssthresh,
					       max(tp->recover_fs, 1U)) - tp->prr_out;
	else
		sndcnt = min_t(s64, tp->snd_ssthresh - pipe,
			       max_t(s64, (s64)tp->prr_delivered - tp->prr_out, delivered) +
			       tp->mss);
	tp->snd_cwnd = max_t(u32, pipe + max_t(s64, sndcnt, 0), tp->mss);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sack_prr);

/**
 * toytcp_sack_retransmit() - in SACK recovery, send lost holes again from
 * HighRxt up, while the pipe is under cwnd.
 * @sk: the socket, locked.
 *
 * Return: room left under cwnd for new data, in bytes.
 */
u32 toytcp_sack_retransmit(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 lost = toytcp_sack_lost_edge(tp);
	u32 pipe = toytcp_sack_pipe(tp, lost);
	u32 seq = toytcp_seq_max(tp->high_rxt, tp->snd_una);

	/* 0. retransmissions that were lost too */
	pipe = toytcp_resend_lost_retransmits(sk, pipe);
	/* 1. lost holes not yet sent again */
	while (pipe < tp->snd_cwnd) {
		u32 hole_end, sent;

		seq = toytcp_next_unsacked(tp, seq, &hole_end);
		if (!toytcp_seq_before(seq, lost))
			break;
		sent = toytcp_sack_resend(sk, seq, toytcp_seq_min(hole_end, lost));
		if (!sent)
			break;
		seq += sent;
		tp->high_rxt = seq;
		pipe += sent;
	}
	return pipe < tp->snd_cwnd ? tp->snd_cwnd - pipe : 0;
}

/* ---- RACK's reordering window (RFC 8985 §6) ---- */

/**
 * toytcp_rack_arm() - after an ACK: SACKed data lies above a hole that
 * IsLost() does not call lost (too little above it: a flight of two or
 * three segments never gets there). RACK (RFC 8985 §6.2) takes a segment
 * as lost once one sent after it was delivered and a reordering window
 * (a quarter of the RTT) has passed since it should have arrived too.
 * Here the window starts at this ACK, which came at least a round trip
 * after the hole left (it SACKs data sent later): the retransmission
 * timer holds it (toytcp_arm_reorder()), and if the holes below @rack_mark
 * are still there when it runs out, toytcp_rack_timeout() takes them as
 * lost. No window is started while one runs, nor before an RTT is known
 * (RFC 8985 takes nothing as lost without one).
 * @sk: the socket, locked.
 */
void toytcp_rack_arm(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 top, reo_us;

	if (!tp->sack_ok || !tp->nr_sacked || tp->rack_armed || !tp->srtt_us ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_FIN_WAIT1 |
				     TCPF_CLOSING | TCPF_LAST_ACK)))
		return;
	top = tp->sacked[tp->nr_sacked - 1].start;
	if (!toytcp_seq_after(top, toytcp_sack_lost_edge(tp)))
		return;		/* every hole below is taken as lost already */
	tp->rack_mark = top;
	reo_us = tp->srtt_us / 4;
	toytcp_arm_reorder(sk, jiffies + max_t(unsigned long, usecs_to_jiffies(reo_us), 1));
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_rack_arm);

/**
 * toytcp_rack_timeout() - the reordering window ran out: what is still
 * missing below @rack_mark is lost. Recovery begins (or goes on) and
 * sends it again, as after enough SACKs.
 * @sk: the socket, locked.
 */
void toytcp_rack_timeout(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!tp->nr_sacked || !toytcp_seq_after(tp->rack_mark, toytcp_sack_lost_edge(tp)))
		return;		/* taken as lost meanwhile, or ACKed */
	if (!toytcp_unsacked_in(tp, tp->snd_una, tp->rack_mark))
		return;		/* filled meanwhile: it was reordering */
	if (!tp->rack_lost || toytcp_seq_after(tp->rack_mark, tp->rack_lost_end))
		tp->rack_lost_end = tp->rack_mark;
	tp->rack_lost = 1;
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_RACKREORDERTIMEOUTS);
	if (toytcp_sack_enter_recovery(sk) || tp->in_recovery) {
		toytcp_sack_prr(sk, 0);
		toytcp_push(sk);
	}
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_rack_timeout);

/* ---- tail loss probe (RFC 8985 §7) ---- */

/**
 * toytcp_tlp_timeout() - should the retransmission timer hold a probe
 * timeout (PTO) instead of the RTO? Only with SACK (the probe's answer
 * must be able to show a hole), open, outside recovery and timeouts, with
 * an RTT measured and no probe out.
 * @sk: the socket, locked, with data in flight.
 * @when: set to the PTO's expiry (jiffies).
 *
 * PTO = 2 SRTT, plus the peer's worst delayed ACK (200 ms) when less
 * than two full segments are in flight (their ACK may be held back), else
 * two ticks; only if that comes before the RTO, as Linux's
 * tcp_schedule_loss_probe(); not while the scoreboard knows of a hole
 * (SACK recovery's business).
 *
 * Return: true to arm the PTO.
 */
bool toytcp_tlp_timeout(struct sock *sk, unsigned long *when)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 pto_us;

	if (!tp->sack_ok || tp->tlp_out || tp->in_recovery || tp->retransmits ||
	    tp->nr_sacked || !tp->srtt_us ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return false;
	pto_us = 2 * tp->srtt_us;
	/* under two full segments out, the peer may hold its ACK back */
	if (tp->snd_max - tp->snd_una < 2 * tp->mss)
		pto_us += 200 * USEC_PER_MSEC;
	else
		pto_us += 2 * jiffies_to_usecs(1);
	if (pto_us >= tp->rto_us)
		return false;
	*when = jiffies + usecs_to_jiffies(pto_us);
	return true;
}

/**
 * toytcp_send_tlp() - the PTO fired: no ACK for two round trips, and the
 * end of what was sent may be lost with nothing after it to show it. Send
 * one segment to make the peer answer (RFC 8985 §7.3): new data if there
 * is some the peer's window takes, else the last segment again. Its
 * answer either shows a hole (SACK: toytcp_sack_lost_edge()) or covers
 * everything; the RTO is armed behind it.
 * @sk: the socket, locked.
 */
void toytcp_send_tlp(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 unsent = tp->write_seq - tp->snd_nxt;
	u32 len = min_t(u32, unsent, tp->mss);
	u32 data_end, start;

	if (tp->snd_nxt == tp->snd_max && len &&
	    toytcp_seq_before_eq(tp->snd_nxt + len, tp->snd_una + tp->snd_wnd)) {
		bool fin = tp->fin_queued && tp->snd_nxt + len == tp->write_seq;

		tp->tlp_seq = tp->snd_nxt;
		if (toytcp_send_probe_data(sk, len, fin))
			return;
		tp->tlp_retrans = 0;
	} else {
		/* the last segment: up to an MSS of data before snd_max (and our FIN) */
		data_end = toytcp_seq_after(tp->snd_max, tp->write_seq) ? tp->write_seq :
									  tp->snd_max;
		start = data_end - min_t(u32, data_end - tp->snd_una, tp->mss);
		tp->tlp_seq = start;
		if (!toytcp_retransmit_at(sk, start, tp->snd_max))
			return;
		tp->tlp_retrans = 1;
	}
	tp->tlp_out = 1;
	tp->tlp_dsacked = 0;
	tp->tlp_high_seq = tp->snd_max;
	tp->tlp_flight = tp->snd_max - tp->snd_una;
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_TLP);
}

/**
 * toytcp_tlp_ack() - an ACK came while a probe was out (RFC 8985
 * §7.4.2, as Linux's tcp_process_tlp_ack()). The episode is over when:
 *   - the probe was new data, once the ACK covers it;
 *   - a D-SACK said the probe's original had arrived: nothing was lost;
 *   - a pure duplicate ACK of everything came: the original and the
 *     probe both arrived;
 *   - the ACK goes beyond the probe with no D-SACK: the probe repaired a
 *     loss by itself, which still needs its congestion response: ssthresh
 *     and cwnd go down as for a recovery (unless one is under way).
 * An ACK of exactly up to the probe that brings news waits: its D-SACK
 * may come next.
 * @sk: the socket, locked.
 * @ack: the ACK number.
 * @was_in_recovery: the socket was in recovery before this ACK.
 * @news: the ACK moved snd_una or SACKed something new.
 */
void toytcp_tlp_ack(struct sock *sk, u32 ack, bool was_in_recovery, bool news)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!tp->tlp_out || toytcp_seq_before(ack, tp->tlp_high_seq))
		return;
	if (!tp->tlp_retrans || tp->tlp_dsacked) {
		tp->tlp_out = 0;
		return;
	}
	if (ack == tp->tlp_high_seq) {
		if (!news)
			tp->tlp_out = 0;	/* both arrived: nothing lost */
		return;
	}
	tp->tlp_out = 0;
	if (was_in_recovery || tp->in_recovery)
		return;
	tp->snd_ssthresh = tp->cc->ssthresh(sk, tp->tlp_flight);
	tp->snd_cwnd = max_t(u32, min(tp->snd_cwnd, tp->snd_ssthresh), tp->mss);
	toytcp_cwnd_reduced(tp);
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_TLPRECOVERED);
}
