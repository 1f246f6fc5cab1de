// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_input.c: SEGMENT ARRIVES (RFC 9293 §3.10.7), top-down.
 *
 * toytcp_rcv_listen() is the LISTEN state: a SYN makes a child control
 * block in SYN_RECEIVED, which answers with SYN-ACK (the server's half of
 * the seed's three-way handshake).
 * toytcp_rcv_segment() is every other state: SYN_SENT first, then the
 * RFC's checks in order: sequence number, RST, SYN, ACK, data, FIN.
 * Data after a hole waits in the out-of-order queue until the hole is
 * filled (the seed: the ACK number says which byte is expected next).
 *
 * Both get a segment whose headers are already pulled: skb->data is the
 * data, skb->len its length, TOYTCP_SKB_CB() the header fields; they
 * consume the skb.
 */
#include <linux/ip.h>
#include <linux/tcp.h>
#include <asm/unaligned.h>
#include <kunit/visibility.h>

#include "toytcp.h"
#include "toytcp_trace.h"

/* A SACK option (RFC 2018 §3): 1 to 4 blocks of two edges. */
static void toytcp_parse_sack(const u8 *p, u8 olen, struct toytcp_opts *opts)
{
	unsigned int n = (olen - TOYTCP_OPT_SACK_BASE) / TOYTCP_OPT_SACK_PERBLOCK, i;

	if (olen < TOYTCP_OPT_SACK_BASE + TOYTCP_OPT_SACK_PERBLOCK ||
	    (olen - TOYTCP_OPT_SACK_BASE) % TOYTCP_OPT_SACK_PERBLOCK ||
	    n > TOYTCP_MAX_SACK_BLOCKS)
		return;
	p += TOYTCP_OPT_SACK_BASE;
	for (i = 0; i < n; i++, p += TOYTCP_OPT_SACK_PERBLOCK) {
		opts->sacks[i].start = get_unaligned_be32(p);
		opts->sacks[i].end = get_unaligned_be32(p + 4);
	}
	opts->num_sacks = n;
}

/**
 * toytcp_parse_options() - read the options of a TCP header.
 * @p: first option byte.
 * @len: bytes of options (data offset * 4 - 20).
 * @opts: filled in; fields of absent options are 0.
 *
 * MSS, window scale, timestamps, SACK permitted and SACK are read; others
 * are skipped by their length. A length that is under 2 or runs past the
 * end, or an MSS option of another length than 4, makes the options
 * malformed. A window scale, timestamps, SACK permitted or SACK option of
 * the wrong length is ignored, as Linux does; a shift count over 14 is
 * taken as 14 (RFC 7323 §2.3). Whether a block of a SACK option makes
 * sense is for the sender's scoreboard to judge.
 *
 * Return: 0, or -EINVAL for malformed options.
 */
int toytcp_parse_options(const u8 *p, unsigned int len, struct toytcp_opts *opts)
{
	const u8 *end = p + len;

	memset(opts, 0, sizeof(*opts));
	while (p < end) {
		u8 kind = p[0], olen;

		if (kind == TOYTCP_OPT_EOL)
			break;
		if (kind == TOYTCP_OPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2)
			return -EINVAL;
		olen = p[1];
		if (olen < 2 || olen > end - p)
			return -EINVAL;
		switch (kind) {
		case TOYTCP_OPT_MSS:
			if (olen != TOYTCP_OPT_MSS_LEN)
				return -EINVAL;
			opts->mss = get_unaligned_be16(p + 2);
			break;
		case TOYTCP_OPT_WSCALE:
			if (olen != TOYTCP_OPT_WSCALE_LEN)
				break;
			opts->saw_wscale = true;
			opts->wscale = min_t(u8, p[2], TOYTCP_MAX_WSCALE);
			break;
		case TOYTCP_OPT_TIMESTAMP:
			if (olen != TOYTCP_OPT_TIMESTAMP_LEN)
				break;
			opts->saw_tstamp = true;
			opts->tsval = get_unaligned_be32(p + 2);
			opts->tsecr = get_unaligned_be32(p + 6);
			break;
		case TOYTCP_OPT_SACK_PERM:
			if (olen == TOYTCP_OPT_SACK_PERM_LEN)
				opts->saw_sack_perm = true;
			break;
		case TOYTCP_OPT_SACK:
			toytcp_parse_sack(p, olen, opts);
			break;
		}
		p += olen;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_parse_options);

/* Options of a received segment, from the header left in front of skb->data. */
int toytcp_skb_options(const struct sk_buff *skb, struct toytcp_opts *opts)
{
	const struct tcphdr *th = tcp_hdr(skb);

	return toytcp_parse_options((const u8 *)(th + 1),
				    th->doff * 4 - sizeof(*th), opts);
}

/**
 * toytcp_seq_acceptable() - the acceptability test of RFC 9293 §3.10.7.4.
 * @seq: SEG.SEQ.
 * @seg_len: SEG.LEN (data, plus one for SYN, plus one for FIN).
 * @rcv_nxt: RCV.NXT.
 * @rcv_wnd: RCV.WND.
 *
 * Return: true if some part of the segment falls in the receive window
 * (for an empty segment: its sequence number does, or equals RCV.NXT when
 * the window is zero).
 */
bool toytcp_seq_acceptable(u32 seq, u32 seg_len, u32 rcv_nxt, u32 rcv_wnd)
{
	u32 wnd_end = rcv_nxt + rcv_wnd;

	if (!seg_len) {
		if (!rcv_wnd)
			return seq == rcv_nxt;
		return toytcp_seq_in_window(seq, rcv_nxt, wnd_end);
	}
	if (!rcv_wnd)
		return false;
	return toytcp_seq_in_window(seq, rcv_nxt, wnd_end) ||
	       toytcp_seq_in_window(seq + seg_len - 1, rcv_nxt, wnd_end);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_seq_acceptable);

/* Trace a received segment (the options only parsed if someone listens). */
static void toytcp_trace_recv(const struct sock *sk, const struct sk_buff *skb)
{
	if (trace_toytcp_recv_segment_enabled()) {
		struct toytcp_opts opts;

		if (toytcp_skb_options(skb, &opts))
			opts.mss = 0;
		trace_toytcp_recv_segment(sk, tcp_hdr(skb), skb->len, opts.mss,
					  toytcp_skb_segs(skb));
	}
}

/* The peer's reset: ECONNREFUSED in SYN_SENT, ECONNRESET when synchronized. */
static void toytcp_reset(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		WRITE_ONCE(sk->sk_err, ECONNREFUSED);
		break;
	case TCP_CLOSE_WAIT:
		WRITE_ONCE(sk->sk_err, EPIPE);
		break;
	case TCP_CLOSE:
		return;
	default:
		WRITE_ONCE(sk->sk_err, ECONNRESET);
		break;
	}
	if (sk->sk_state != TCP_SYN_RECV && sk->sk_state != TCP_SYN_SENT)
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_ESTABRESETS);
	sk_error_report(sk);
	toytcp_done(sk);
}

/**
 * toytcp_negotiate_options() - the peer's SYN (or SYN-ACK) is here: window
 * scaling, timestamps and SACK stay on only if it carried them too (RFC
 * 7323 §2.2, §3.2; RFC 2018 §2); until then the bits say what our SYN
 * offered.
 * @tp: the control block; its @wscale_ok, @tstamp_ok and @sack_ok hold
 *      our offer.
 * @opts: the options of the peer's SYN.
 */
void toytcp_negotiate_options(struct toytcp_sock *tp, const struct toytcp_opts *opts)
{
	if (tp->wscale_ok && opts->saw_wscale) {
		tp->snd_wscale = opts->wscale;
	} else {
		tp->wscale_ok = 0;
		tp->snd_wscale = 0;
		tp->rcv_wscale = 0;
	}
	if (tp->tstamp_ok && opts->saw_tstamp) {
		tp->ts_recent = opts->tsval;
		tp->ts_recent_stamp = ktime_get_seconds();
	} else {
		tp->tstamp_ok = 0;
	}
	tp->sack_ok = tp->sack_ok && opts->saw_sack_perm;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_negotiate_options);

/* The TSecr of a segment, if timestamps are on and it carries one; else 0. */
static u32 toytcp_tsecr(const struct toytcp_sock *tp, const struct toytcp_opts *opts)
{
	return tp->tstamp_ok && opts->saw_tstamp ? opts->tsecr : 0;
}

/*
 * May a segment with this TSval pass, against TS.Recent? Yes if it is not
 * more than @slack older; or if TS.Recent is too old to compare (RFC 7323
 * §5.5: 24 days idle); or if TS.Recent is 0 (some stacks send TSval 0 in
 * their SYN only, as Linux's tcp_paws_check() notes).
 */
static bool toytcp_paws_ok(const struct toytcp_sock *tp, u32 tsval, int slack)
{
	if ((s32)(tp->ts_recent - tsval) <= slack)
		return true;
	if ((u32)ktime_get_seconds() - tp->ts_recent_stamp >= TOYTCP_PAWS_IDLE_SECS)
		return true;
	return !tp->ts_recent;
}

/**
 * toytcp_paws_reject() - PAWS (RFC 7323 §5.3 R1): a segment whose TSval
 * is older than TS.Recent is an old duplicate (one tick of slack, as
 * Linux's TCP_PAWS_WINDOW). A reset is never rejected so.
 * @tp: the control block.
 * @opts: the segment's options.
 * @flags: its control bits.
 *
 * Linux also lets through a pure duplicate ACK that merely arrived out of
 * order (tcp_disordered_ack()); toytcp drops it and acknowledges.
 *
 * Return: true to drop the segment (and acknowledge).
 */
bool toytcp_paws_reject(const struct toytcp_sock *tp, const struct toytcp_opts *opts,
			u8 flags)
{
	if (!tp->tstamp_ok || !opts->saw_tstamp || flags & TOYTCP_RST)
		return false;
	return !toytcp_paws_ok(tp, opts->tsval, TOYTCP_PAWS_WINDOW);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_paws_reject);

/*
 * RFC 7323 §4.3 (R3): a segment that passed every check, ACK included,
 * and starts at or before the ACK number we last sent (RCV.WUP: every
 * segment we send sets it), gives the TSval to echo from now on (as
 * Linux's tcp_replace_ts_recent(): a blind reset, SYN or bad ACK never
 * gets this far, so it cannot move TS.Recent).
 */
static void toytcp_store_ts_recent(struct toytcp_sock *tp, const struct toytcp_opts *opts,
				   u32 seq)
{
	if (tp->tstamp_ok && opts->saw_tstamp &&
	    toytcp_seq_before_eq(seq, tp->rcv_wup) &&
	    toytcp_paws_ok(tp, opts->tsval, 0)) {
		tp->ts_recent = opts->tsval;
		tp->ts_recent_stamp = ktime_get_seconds();
	}
}

/* RFC 9293 §3.10.7.3: the answer to our SYN. */
static void toytcp_rcv_syn_sent(struct sock *sk, struct sk_buff *skb)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	struct toytcp_opts opts;

	/* first: an ACK must acknowledge our SYN and nothing more */
	if (cb->flags & TOYTCP_ACK &&
	    (toytcp_seq_before_eq(cb->ack_seq, tp->iss) ||
	     toytcp_seq_after(cb->ack_seq, tp->snd_max))) {
		toytcp_send_reset_to(sk, skb);
		return;
	}
	/* second: a reset with an acceptable ACK refuses the connection */
	if (cb->flags & TOYTCP_RST) {
		if (cb->flags & TOYTCP_ACK)
			toytcp_reset(sk);
		return;
	}
	/* fourth: SYN */
	if (!(cb->flags & TOYTCP_SYN))
		return;
	if (toytcp_skb_options(skb, &opts)) {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_INBADHDR);
		return;
	}
	tp->irs = cb->seq;
	tp->rcv_nxt = cb->seq + 1;
	tp->copied_seq = tp->rcv_nxt;
	tp->rcv_wup = tp->rcv_nxt;
	tp->peer_mss = opts.mss ? : TOYTCP_DEFAULT_MSS;
	toytcp_negotiate_options(tp, &opts);
	if (cb->flags & TOYTCP_ACK)
		toytcp_ecn_syn_negotiate(sk, skb);
	else	/* simultaneous open: on if the peer's SYN asked too (as Linux) */
		tp->ecn_ok = tp->ecn_ok &&
			     (cb->ecn & (TOYTCP_ECE | TOYTCP_CWR)) == (TOYTCP_ECE | TOYTCP_CWR);
	tp->mss = toytcp_effective_mss(tp);
	tp->snd_wnd = cb->window;	/* a SYN's window is never scaled */
	tp->snd_wl1 = cb->seq;
	tp->snd_wl2 = cb->ack_seq;

	if (cb->flags & TOYTCP_ACK) {
		/* SYN-ACK: our SYN is acknowledged, the connection is open */
		tp->snd_una = cb->ack_seq;
		toytcp_ack_advanced(sk, toytcp_tsecr(tp, &opts));
		toytcp_init_cwnd(sk);
		tp->max_sndwnd = tp->snd_wnd;
		toytcp_set_state(sk, TCP_ESTABLISHED);
		toytcp_reset_keepalive(sk);
		toytcp_send_ack(sk);
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	} else {
		/* simultaneous open: both sent SYN */
		toytcp_set_state(sk, TCP_SYN_RECV);
		toytcp_send_syn(sk);
	}
}

/*
 * TCP_DEFER_ACCEPT: the peer's bare ACK (no data, no FIN, right after its
 * SYN) would complete a listener's child, but the listener waits for data.
 * As Linux's tcp_check_req(), the child stays in SYN_RECEIVED, marked as
 * ACKed, and the ACK is dropped (its timestamp taken for our echo first);
 * until the SYN-ACK has timed out as often as the option says, when the
 * peer's answer to the SYN-ACK sent again completes it
 * (toytcp_retx_timeout()).
 */
static bool toytcp_defer_bare_ack(struct sock *sk, const struct sk_buff *skb,
				  const struct toytcp_opts *opts)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);

	if (cb->end_seq != cb->seq || cb->seq != tp->rcv_nxt ||
	    tp->retransmits >= toytcp_defer_timeouts(sk))
		return false;
	toytcp_store_ts_recent(tp, opts, cb->seq);
	tp->defer_acked = 1;
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_DEFERACCEPTDROPS);
	toytcp_trace_drop(sk, skb, TOYTCP_DROP_DEFER_ACCEPT);
	return true;
}

/*
 * Fifth, the ACK field (RFC 9293 §3.10.7.4). Returns false when the
 * segment is to be dropped here.
 */
static bool toytcp_rcv_ack(struct sock *sk, struct sk_buff *skb,
			   const struct toytcp_opts *opts)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	u32 wnd = toytcp_peer_window(tp, cb->window, cb->flags);
	u32 tsecr = toytcp_tsecr(tp, opts);
	u32 sacked_before = tp->sacked_bytes;
	bool was_in_recovery = tp->in_recovery;
	u32 ack = cb->ack_seq, acked = 0;

	if (sk->sk_state == TCP_SYN_RECV) {
		if (!toytcp_seq_after(ack, tp->snd_una) ||
		    toytcp_seq_after(ack, tp->snd_max)) {
			toytcp_send_reset_to(sk, skb);
			return false;
		}
		if (tp->parent) {
			if (toytcp_defer_bare_ack(sk, skb, opts) ||
			    !toytcp_child_established(sk))
				return false;
		} else {
			toytcp_set_state(sk, TCP_ESTABLISHED);
			sk->sk_state_change(sk);
		}
		tp->snd_wnd = wnd;
		tp->snd_wl1 = cb->seq;
		tp->snd_wl2 = ack;
		tp->max_sndwnd = tp->snd_wnd;
		toytcp_init_cwnd(sk);
		toytcp_reset_keepalive(sk);
	}

	if (toytcp_seq_after(ack, tp->snd_max)) {
		/* acknowledges something not yet sent */
		toytcp_send_challenge_ack(sk);
		return false;
	}
	/*
	 * RFC 5961 §5.2: an ACK older than the largest window the peer ever
	 * offered cannot be the peer's: a blind attacker's data is dropped.
	 */
	if (toytcp_seq_before(ack, tp->snd_una - tp->max_sndwnd)) {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_OLDACKDROPS);
		toytcp_trace_drop(sk, skb, TOYTCP_DROP_OLD_ACK);
		toytcp_send_challenge_ack(sk);
		return false;
	}
	if (toytcp_seq_after(ack, tp->snd_una)) {
		acked = ack - tp->snd_una;
		tp->bytes_acked += acked;
		tp->snd_una = ack;
		if (toytcp_seq_before(tp->snd_nxt, ack))
			tp->snd_nxt = ack;
		toytcp_sack_trim(tp);
		toytcp_sack_update(sk, opts);
		toytcp_cc_ack(sk, acked);
		toytcp_free_acked(sk);	/* after cwnd moved: the send buffer follows it */
		toytcp_ack_advanced(sk, tsecr);
	} else if (ack == tp->snd_una && tp->snd_una != tp->snd_max &&
		   !skb->len && !(cb->flags & (TOYTCP_SYN | TOYTCP_FIN)) &&
		   wnd == tp->snd_wnd) {
		/* a duplicate ACK (RFC 5681 §2): a segment after a hole arrived */
		toytcp_sack_update(sk, opts);
		toytcp_cc_dupack(sk);
	} else {
		toytcp_sack_update(sk, opts);
	}
	if (tp->sack_ok || acked) {
		/* RFC 6937 DeliveredData: ACKed, and SACKed anew (less what the ACK covered) */
		s64 delivered = (s64)acked + tp->sacked_bytes - sacked_before;

		if (delivered > 0)
			tp->delivered += DIV_ROUND_UP((u32)delivered, tp->mss);
	}
	if (tp->sack_ok) {
		s64 delivered = (s64)acked + tp->sacked_bytes - sacked_before;

		bool tlp_was_out = tp->tlp_out;

		toytcp_tlp_ack(sk, ack, was_in_recovery, acked || delivered > 0);
		if (tlp_was_out && !tp->tlp_out && acked) {
			/* the timer was restarted while the probe was out: a PTO may go now */
			toytcp_stop_retx(sk);
			toytcp_arm_retx(sk);
		}
		toytcp_sack_enter_recovery(sk);
		toytcp_sack_lost_retransmits(sk);
		if (tp->in_recovery)
			toytcp_sack_prr(sk, max_t(s64, delivered, 0));
		toytcp_rack_arm(sk);
	}
	toytcp_ecn_ack(sk, skb, acked);
	tp->probes_out = 0;	/* the peer is alive: probes were answered */
	WRITE_ONCE(sk->sk_err_soft, 0);	/* and an ICMP error no longer tells why */
	/* window update, if this segment is newer than the last one used */
	if (toytcp_seq_before(tp->snd_wl1, cb->seq) ||
	    (tp->snd_wl1 == cb->seq && toytcp_seq_before_eq(tp->snd_wl2, ack))) {
		if (tp->snd_wnd != wnd)
			trace_toytcp_window_update(sk, 0, tp->snd_wnd, wnd);
		tp->snd_wnd = wnd;
		tp->max_sndwnd = max(tp->max_sndwnd, tp->snd_wnd);
		tp->snd_wl1 = cb->seq;
		tp->snd_wl2 = ack;
	}

	/* our FIN is acknowledged when everything up to it and it is */
	if (tp->fin_queued && tp->snd_una == tp->write_seq + 1) {
		switch (sk->sk_state) {
		case TCP_FIN_WAIT1:
			toytcp_set_state(sk, TCP_FIN_WAIT2);
			sk->sk_state_change(sk);
			if (sock_flag(sk, SOCK_DEAD))
				toytcp_arm_tw_timer(sk, 2UL * toytcp_msl * HZ);
			break;
		case TCP_CLOSING:
			toytcp_time_wait(sk);
			break;
		case TCP_LAST_ACK:
			toytcp_done(sk);
			return false;
		}
	}
	toytcp_push(sk);
	return true;
}

static u32 toytcp_data_end(const struct sk_buff *skb)
{
	return TOYTCP_SKB_CB(skb)->seq + skb->len;
}

/*
 * Bytes per skb when the receive queue is copied together: what fills one
 * page with the skb's shared info, so each costs about a page.
 */
#define TOYTCP_COLLAPSE_SIZE	SKB_WITH_OVERHEAD(PAGE_SIZE)

/*
 * Copy the unread bytes of the receive queue into as few skbs as they fill:
 * data that arrived in skbs much larger than itself (small segments, GRO)
 * then costs about what the data is. As Linux's tcp_collapse(), the new
 * skbs are charged without asking the memory pool: the old ones, freed in
 * the same call, give back more. If memory runs out half-way, the rest
 * stays as it was (an skb's first bytes may then be held twice, which
 * readers, who go by sequence number, never see).
 */
static void toytcp_collapse_rcv(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *skb, *n = NULL;
	struct sk_buff_head tmp;
	u32 seq = tp->copied_seq;

	__skb_queue_head_init(&tmp);
	while ((skb = __skb_dequeue(&sk->sk_receive_queue))) {
		u32 off;

		if (toytcp_seq_before_eq(toytcp_data_end(skb), seq)) {
			kfree_skb(skb);		/* read already */
			continue;
		}
		off = seq - TOYTCP_SKB_CB(skb)->seq;
		while (off < skb->len) {
			unsigned int len;

			if (!n || !skb_tailroom(n)) {
				n = alloc_skb(min_t(u32, tp->rcv_nxt - seq,
						    TOYTCP_COLLAPSE_SIZE), GFP_ATOMIC);
				if (!n) {
					__skb_queue_head(&sk->sk_receive_queue, skb);
					goto out;
				}
				TOYTCP_SKB_CB(n)->seq = seq;
				TOYTCP_SKB_CB(n)->flags = 0;
				skb_set_owner_r(n, sk);
				__skb_queue_tail(&tmp, n);
			}
			len = min_t(u32, skb->len - off, skb_tailroom(n));
			if (WARN_ON_ONCE(skb_copy_bits(skb, off, skb_put(n, len), len)))
				break;
			off += len;
			seq += len;
			TOYTCP_SKB_CB(n)->end_seq = seq;
		}
		kfree_skb(skb);
	}
out:
	skb_queue_splice(&tmp, &sk->sk_receive_queue);
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_RCVCOLLAPSED);
}

/*
 * Room for @skb in the receive buffer and in the memory pool (tcp_mem)?
 * As Linux's tcp_try_rmem_schedule(): the buffer has room while what it
 * holds is within SO_RCVBUF, whatever @skb's own size (so memory stays
 * within the buffer plus one skb, and a segment inside the window is
 * never refused because its skb is larger than its data).
 */
static bool toytcp_rmem_room(struct sock *sk, struct sk_buff *skb)
{
	return atomic_read(&sk->sk_rmem_alloc) <= READ_ONCE(sk->sk_rcvbuf) &&
	       sk_rmem_schedule(sk, skb, skb->truesize);
}

/*
 * Drop out-of-order segments from the far end of the queue while @in does
 * not fit the buffer, but none that starts before it (those are nearer the
 * hole than the segment that needs the room). As Linux's
 * tcp_prune_ofo_queue(): data after a hole is a promise the peer must keep
 * anyway (it retransmits what we never acknowledged), so dropping it is
 * always safe, and the bytes that fill the hole always find room.
 */
static void toytcp_ofo_prune(struct sock *sk, struct sk_buff *in)
{
	struct sk_buff_head *q = &toytcp_sk(sk)->ooo_queue;
	struct sk_buff *skb;
	bool pruned = false;

	while (!toytcp_rmem_room(sk, in) && (skb = skb_peek_tail(q)) &&
	       toytcp_seq_after(TOYTCP_SKB_CB(skb)->seq, TOYTCP_SKB_CB(in)->seq)) {
		__skb_unlink(skb, q);
		kfree_skb(skb);
		pruned = true;
	}
	if (pruned)
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_OFOPRUNED);
}

/**
 * toytcp_rmem_charge() - charge @skb to the receive buffer and the memory
 * pool, making room if it does not fit: first by copying the receive queue
 * together, then by dropping out-of-order data that lies beyond @skb.
 * @sk: the socket, locked.
 * @skb: a segment inside the window we advertised.
 *
 * Data inside the advertised window must find room: the window is at most
 * half the free buffer, and copied together the data costs little more
 * than its length.
 *
 * Return: false if it still does not fit (counted and traced).
 */
static bool toytcp_rmem_charge(struct sock *sk, struct sk_buff *skb)
{
	if (!toytcp_rmem_room(sk, skb)) {
		/* in-order data may need the unread data copied together */
		if (TOYTCP_SKB_CB(skb)->seq == toytcp_sk(sk)->rcv_nxt)
			toytcp_collapse_rcv(sk);
		toytcp_ofo_prune(sk, skb);
	}
	if (!toytcp_rmem_room(sk, skb)) {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_RCVBUFDROPS);
		toytcp_trace_drop(sk, skb, TOYTCP_DROP_RCVBUF);
		return false;
	}
	skb_set_owner_r(skb, sk);
	return true;
}

/**
 * toytcp_coalesce() - append @from's data to @to, the skb before it in a
 * queue, as Linux's tcp_try_coalesce(): fewer skbs to walk and to free,
 * and @from's head is given back.
 * @sk: the socket, locked; both skbs are charged to its receive buffer.
 * @to: holds the bytes just before @from's, no FIN.
 * @from: not on any queue; freed if it was merged.
 *
 * Return: true if merged (@to holds @from's bytes, its FIN, and the part
 * of its charge the data still need).
 */
static bool toytcp_coalesce(struct sock *sk, struct sk_buff *to, struct sk_buff *from)
{
	bool stolen;
	int delta;

	if (toytcp_data_end(to) != TOYTCP_SKB_CB(from)->seq ||
	    TOYTCP_SKB_CB(to)->flags & TOYTCP_FIN ||
	    !skb_try_coalesce(to, from, &stolen, &delta))
		return false;
	/* @to grew by @delta: of @from's charge, only that stays */
	atomic_sub(from->truesize - delta, &sk->sk_rmem_alloc);
	sk_mem_uncharge(sk, from->truesize - delta);
	from->destructor = NULL;
	TOYTCP_SKB_CB(to)->flags |= TOYTCP_SKB_CB(from)->flags & TOYTCP_FIN;
	kfree_skb_partial(from, stolen);
	return true;
}

/* In-order data to the end of the receive queue, merged into the last skb if it can be. */
static void toytcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);

	if (!tail || !toytcp_coalesce(sk, tail, skb))
		__skb_queue_tail(&sk->sk_receive_queue, skb);
}

/* Out-of-order segments: drop @skb from the queue and the buffer. */
static void toytcp_ooo_drop(struct sock *sk, struct sk_buff *skb)
{
	__skb_unlink(skb, &toytcp_sk(sk)->ooo_queue);
	kfree_skb(skb);
}

/**
 * toytcp_ooo_insert() - keep a segment that arrived after a hole.
 * @sk: the socket, locked.
 * @skb: data starting after rcv_nxt, inside the window; consumed.
 *
 * The queue stays sorted with no byte held twice: a segment already
 * covered is dropped, segments it covers are dropped, overlaps are
 * trimmed, and a segment that continues the one before it is merged
 * into it. Memory counts against the receive buffer.
 */
static void toytcp_ooo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff_head *q = &toytcp_sk(sk)->ooo_queue;
	struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	struct sk_buff *p, *tmp, *next;

	skb_queue_walk_safe(q, p, tmp) {
		u32 pseq = TOYTCP_SKB_CB(p)->seq, pend = toytcp_data_end(p);
		u32 end = toytcp_data_end(skb);

		if (toytcp_seq_before_eq(pend, cb->seq))
			continue;			/* wholly before us */
		if (toytcp_seq_after_eq(pseq, end))
			break;				/* wholly after us */
		if (toytcp_seq_before_eq(pseq, cb->seq) &&
		    toytcp_seq_after_eq(pend, end)) {
			TOYTCP_SKB_CB(p)->flags |= cb->flags & TOYTCP_FIN;
			kfree_skb(skb);			/* nothing new in it */
			return;
		}
		if (toytcp_seq_after_eq(pseq, cb->seq) &&
		    toytcp_seq_before_eq(pend, end)) {
			toytcp_ooo_drop(sk, p);		/* we cover it */
			continue;
		}
		if (toytcp_seq_before(pseq, cb->seq)) {
			/* it holds our first bytes: trim them */
			if (!pskb_pull(skb, pend - cb->seq))
				goto drop;
			cb->seq = pend;
			continue;
		}
		/* it holds our last bytes: trim them, we end where it starts */
		if (pskb_trim(skb, pseq - cb->seq))
			goto drop;
		cb->flags &= ~TOYTCP_FIN;
		break;
	}
	if (!toytcp_rmem_charge(sk, skb))
		goto drop;
	/* before the first segment after us (making room may have freed some) */
	next = NULL;
	skb_queue_walk(q, p)
		if (toytcp_seq_after_eq(TOYTCP_SKB_CB(p)->seq, toytcp_data_end(skb))) {
			next = p;
			break;
		}
	if (next)
		__skb_queue_before(q, next, skb);
	else
		__skb_queue_tail(q, skb);

	/* merge with the segment just before, if it ends where we start */
	p = skb_queue_is_first(q, skb) ? NULL : skb_queue_prev(q, skb);
	if (p) {
		__skb_unlink(skb, q);
		if (!toytcp_coalesce(sk, p, skb))
			__skb_queue_after(q, p, skb);
	}
	return;
drop:
	kfree_skb(skb);
}

/* A FIN at rcv_nxt: see toytcp_rcv_fin(). */
static void toytcp_rcv_fin(struct sock *sk);

/* New data up to @end arrived in order: count it, then expect what follows. */
static void toytcp_rcv_nxt_advance(struct sock *sk, u32 end)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 bytes = end - tp->rcv_nxt;

	tp->bytes_received += bytes;
	toytcp_add_stat(sock_net(sk), TOYTCP_MIB_INDATABYTES, bytes);
	tp->rcv_nxt = end;
}

/*
 * The hole before the out-of-order queue may be filled: move what now
 * follows rcv_nxt to the receive queue. Returns true if anything moved.
 */
static bool toytcp_ooo_drain(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *skb;
	bool moved = false;

	while ((skb = skb_peek(&tp->ooo_queue)) &&
	       toytcp_seq_before_eq(TOYTCP_SKB_CB(skb)->seq, tp->rcv_nxt)) {
		u32 end = toytcp_data_end(skb);
		bool fin = TOYTCP_SKB_CB(skb)->flags & TOYTCP_FIN;

		__skb_unlink(skb, &tp->ooo_queue);
		moved = true;
		if (toytcp_seq_after(end, tp->rcv_nxt)) {
			toytcp_rcv_nxt_advance(sk, end);
			toytcp_queue_rcv(sk, skb);
		} else {
			kfree_skb(skb);
		}
		if (fin && end == tp->rcv_nxt) {
			toytcp_rcv_fin(sk);
			break;
		}
	}
	return moved;
}

/**
 * toytcp_rcv_text() - seventh and eighth: the data and the FIN.
 * @sk: the socket, locked.
 * @skb: the segment, its ACK already processed; consumed.
 *
 * In-order data goes to the receive queue and is ACKed as delayed ACK
 * says; data after a hole waits in the out-of-order queue and is ACKed at
 * once (a duplicate ACK, asking for the hole); filling a hole, or a FIN,
 * is ACKed at once too.
 */
static void toytcp_rcv_text(struct sock *sk, struct sk_buff *skb)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	u32 wnd_end = tp->rcv_nxt + toytcp_rcv_wnd_left(tp);
	bool fin = cb->flags & TOYTCP_FIN;
	bool ce = cb->ecn & TOYTCP_CE;	/* @skb may be merged away below */
	u32 end = toytcp_data_end(skb);

	if (!skb->len && !fin)
		goto free;	/* a pure ACK */
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)))
		goto free;	/* after the peer's FIN there is no more data */
	if (toytcp_seq_after(end, wnd_end)) {
		/* trim what lies beyond the window (and the FIN with it) */
		if (pskb_trim(skb, wnd_end - cb->seq))
			goto free;
		cb->flags &= ~TOYTCP_FIN;
		fin = false;
		end = wnd_end;
	}

	if (toytcp_seq_after(cb->seq, tp->rcv_nxt)) {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_OUTOFORDER);
		toytcp_sack_note_ooo(tp, cb->seq);
		toytcp_ooo_insert(sk, skb);
		toytcp_send_ack(sk);	/* a duplicate ACK for the hole (and SACK) */
		return;
	}
	if (toytcp_seq_before_eq(end, tp->rcv_nxt) && !(fin && end == tp->rcv_nxt)) {
		toytcp_sack_note_dup(tp, cb->seq, end);
		toytcp_send_ack(sk);	/* all seen before: ACK again (D-SACK) */
		goto free;
	}

	if (toytcp_seq_after(end, tp->rcv_nxt)) {
		if (!toytcp_rmem_charge(sk, skb)) {
			toytcp_send_ack(sk);
			goto free;
		}
		tp->rcv_unacked += end - tp->rcv_nxt;
		toytcp_rcv_nxt_advance(sk, end);
		toytcp_queue_rcv(sk, skb);
		skb = NULL;
	}
	if (fin)
		toytcp_rcv_fin(sk);		/* ACKs at once */
	else if (toytcp_ooo_drain(sk) && sk->sk_state != TCP_CLOSE &&
		 !(sk->sk_shutdown & RCV_SHUTDOWN))
		toytcp_send_ack(sk);		/* a hole filled: the ACK jumps */
	else if (sk->sk_state != TCP_CLOSE && !(sk->sk_shutdown & RCV_SHUTDOWN) &&
		 ce && tp->ecn_ok)
		toytcp_send_ack(sk);		/* congestion: ECE at once (as Linux) */
	else if (sk->sk_state != TCP_CLOSE && !(sk->sk_shutdown & RCV_SHUTDOWN))
		toytcp_schedule_ack(sk);	/* delayed ACK */
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
free:
	kfree_skb(skb);
}

/* Eighth, the FIN: the peer has no more to send (EOF for our reader). */
static void toytcp_rcv_fin(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->rcv_nxt++;
	toytcp_send_ack(sk);	/* before TIME_WAIT may hand the tuple over */
	sk->sk_shutdown |= RCV_SHUTDOWN;
	sock_set_flag(sk, SOCK_DONE);

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		toytcp_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* our FIN not yet acknowledged: simultaneous close */
		toytcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		toytcp_time_wait(sk);
		break;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	}
}

/**
 * toytcp_rcv_segment() - a segment for a socket that is not listening.
 * @sk: the socket, locked (bh_lock_sock and not owned by the user, or
 *      lock_sock from the backlog).
 * @skb: the segment, headers pulled; consumed.
 *
 * Return: 0.
 */
int toytcp_rcv_segment(struct sock *sk, struct sk_buff *skb)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	u32 seg_len = cb->end_seq - cb->seq;
	struct toytcp_opts opts = {};

	tp->segs_in++;
	tp->rcv_tstamp = jiffies;
	toytcp_trace_recv(sk, skb);
	switch (sk->sk_state) {
	case TCP_CLOSE:
		/*
		 * Found before it closed (a TIME_WAIT stand-in may hold the
		 * 4-tuple now): as Linux, dropped, not answered.
		 */
		toytcp_trace_drop(sk, skb, TOYTCP_DROP_CLOSED);
		goto drop;
	case TCP_LISTEN:
		goto drop;
	case TCP_SYN_SENT:
		toytcp_rcv_syn_sent(sk, skb);
		goto drop;
	}

	/* The peer did not get our SYN-ACK and sends its SYN again. */
	if (sk->sk_state == TCP_SYN_RECV && cb->flags & TOYTCP_SYN &&
	    cb->seq == tp->irs && !(cb->flags & (TOYTCP_RST | TOYTCP_ACK))) {
		toytcp_send_syn(sk);
		goto drop;
	}

	/*
	 * first, with timestamps: PAWS (RFC 7323 §5.3). The options are only
	 * read when they matter (checked when the SYN was).
	 */
	if ((tp->tstamp_ok || tp->sack_ok) && toytcp_skb_options(skb, &opts))
		memset(&opts, 0, sizeof(opts));
	if (toytcp_paws_reject(tp, &opts, cb->flags)) {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_PAWSESTABREJECTED);
		toytcp_trace_drop(sk, skb, TOYTCP_DROP_PAWS);
		toytcp_send_ack(sk);
		goto drop;
	}

	/* first: is any of it inside our receive window? */
	if (!toytcp_seq_acceptable(cb->seq, seg_len, tp->rcv_nxt,
				   toytcp_rcv_wnd_left(tp))) {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_INUNACCEPTABLE);
		toytcp_trace_drop(sk, skb, TOYTCP_DROP_UNACCEPTABLE);
		/* data already received: a D-SACK tells the peer (RFC 2883) */
		if (skb->len && toytcp_seq_before_eq(cb->seq + skb->len, tp->rcv_nxt))
			toytcp_sack_note_dup(tp, cb->seq, cb->seq + skb->len);
		if (!(cb->flags & TOYTCP_RST))
			toytcp_send_ack(sk);
		if (sk->sk_state == TCP_TIME_WAIT && cb->flags & TOYTCP_FIN)
			toytcp_time_wait(sk);	/* its FIN again: restart 2*MSL */
		goto drop;
	}

	/* second: RST. Only an exact hit resets (RFC 5961 §3.2). */
	if (cb->flags & TOYTCP_RST) {
		if (cb->seq == tp->rcv_nxt)
			toytcp_reset(sk);
		else
			toytcp_send_challenge_ack(sk);
		goto drop;
	}

	/* third: security [ignored: no IP security compartments] */

	/* fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4) */
	if (cb->flags & TOYTCP_SYN) {
		toytcp_send_challenge_ack(sk);
		goto drop;
	}

	/* fifth: without ACK, drop */
	if (!(cb->flags & TOYTCP_ACK)) {
		toytcp_trace_drop(sk, skb, TOYTCP_DROP_NO_ACK);
		goto drop;
	}
	if (!toytcp_rcv_ack(sk, skb, &opts))
		goto drop;
	toytcp_store_ts_recent(tp, &opts, cb->seq);
	toytcp_ecn_rcv(sk, skb);	/* the peer's CWR, a CE mark on its data */

	/* seventh: data; eighth: FIN */
	toytcp_rcv_text(sk, skb);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_rcv_segment);

/**
 * toytcp_rcv_listen() - a segment for a listener (RFC 9293 §3.10.7.2).
 * @sk: the listener; not locked (the queues have their own lock).
 * @skb: the segment, headers pulled; consumed.
 *
 * first: a RST is dropped. second: an ACK is a SYN cookie coming back, or
 * else answered with RST. third: security [ignored]. fourth: a SYN makes
 * a child in SYN_RECEIVED that answers with SYN-ACK, or, when the SYN
 * queue is full, a SYN-ACK with a cookie. fifth: anything else is dropped.
 */
void toytcp_rcv_listen(struct sock *sk, struct sk_buff *skb)
{
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	struct net *net = sock_net(sk);
	struct toytcp_opts opts;

	toytcp_trace_recv(sk, skb);
	if (cb->flags & TOYTCP_RST)
		goto drop;
	if (cb->flags & TOYTCP_ACK) {
		if (toytcp_rcv_cookie_ack(sk, skb))
			return;
		toytcp_send_reset_reply(net, skb);
		goto drop;
	}
	if (!(cb->flags & TOYTCP_SYN))
		goto drop;
	if (toytcp_skb_options(skb, &opts)) {
		toytcp_inc_stat(net, TOYTCP_MIB_INBADHDR);
		goto drop;
	}
	toytcp_conn_request(sk, skb, &opts);
drop:
	kfree_skb(skb);
}
