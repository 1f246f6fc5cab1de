// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_output.c: building and sending segments.
 *
 * The bytes the application wrote wait in sk_write_queue until they are
 * acknowledged. A segment is cut from them when it is sent: at most one
 * MSS, never beyond the peer's window (the seed's "데이터를 MSS 크기로
 * 나누어" and "윈도우 제어"), with a fresh TCP header in front (sequence
 * number of its first byte, ACK number = the next byte we expect).
 * Retransmission cuts the same bytes again.
 *
 * Segmentation offload (the module parameter "offload", on by default,
 * and a route whose device does GSO): the skb handed down may carry
 * several full segments at once (up to 64 KB: gso_size = MSS,
 * SKB_GSO_TCPV4), one TCP header in front, its checksum left to the
 * device or to Linux's GSO layer (CHECKSUM_PARTIAL). They cut it into
 * wire segments exactly as toytcp would have: the same header on each,
 * sequence numbers counted on, PSH and FIN only on the last. The skb's
 * data are references to the send queue's pages, not a copy. With
 * offload off, every skb is one wire segment whose checksum toytcp
 * computes: what the teaching views show, one row per segment.
 */
#include <linux/tcp.h>
#include <linux/ip.h>
#include <net/route.h>
#include <asm/unaligned.h>
#include <linux/in.h>
#include <kunit/visibility.h>

#include "toytcp.h"
#include "toytcp_trace.h"

/**
 * toytcp_choose_wscale() - our window scale shift count, for our SYN: as
 * Linux, from the largest receive buffer the socket may grow to (its own,
 * net.ipv4.tcp_rmem's maximum, net.core.rmem_max), so that the window
 * field can say all of it: ilog2(space) - 15, within 0..14.
 * @sk: the socket.
 *
 * Return: the shift count.
 */
u8 toytcp_choose_wscale(const struct sock *sk)
{
	u32 space = max3((u32)READ_ONCE(sk->sk_rcvbuf),
			 (u32)READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]),
			 (u32)READ_ONCE(sysctl_rmem_max));

	return clamp_t(int, ilog2(space) - 15, 0, TOYTCP_MAX_WSCALE);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_choose_wscale);

/**
 * toytcp_offer_options() - before our SYN (or, for a listener's child,
 * before the SYN's options are looked at): offer window scaling,
 * timestamps and SACK as the namespace's net.ipv4.tcp_window_scaling,
 * tcp_timestamps and tcp_sack say, as Linux does; pick our shift count and the
 * connection's timestamp offset.
 * @sk: the socket.
 */
void toytcp_offer_options(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct net *net = sock_net(sk);

	tp->wscale_ok = !!READ_ONCE(net->ipv4.sysctl_tcp_window_scaling);
	tp->rcv_wscale = tp->wscale_ok ? toytcp_choose_wscale(sk) : 0;
	tp->snd_wscale = 0;
	tp->tstamp_ok = !!READ_ONCE(net->ipv4.sysctl_tcp_timestamps);
	tp->sack_ok = !!READ_ONCE(net->ipv4.sysctl_tcp_sack);
	toytcp_sack_reset(tp);
	/* ECN: asked for by a client only in mode 1 (a listener's child decides on the SYN) */
	tp->ecn_ok = toytcp_ecn_mode(net) == 1;
	tp->ts_offset = toytcp_ts_offset(net, sk->sk_rcv_saddr, sk->sk_daddr);
	tp->ts_recent = 0;
	tp->ts_recent_stamp = 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_offer_options);

/* The shift count of the windows we send now (0 without scaling). */
static u8 toytcp_rcv_wscale_now(const struct toytcp_sock *tp)
{
	return tp->wscale_ok ? tp->rcv_wscale : 0;
}

/*
 * The largest window we may offer: what the window field says shifted by
 * our scale; before the handshake is over at most 65535 (a SYN's window is
 * never scaled), rounded down to what a scaled field can say too.
 */
static u32 toytcp_max_rcv_window(const struct sock *sk)
{
	u8 ws = toytcp_rcv_wscale_now(toytcp_sk(sk));

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		return round_down(TOYTCP_MAX_WINDOW, 1U << ws);
	return (u32)TOYTCP_MAX_WINDOW << ws;
}

/* The receive window we can offer now, before the never-shrink rule. */
static u32 toytcp_free_window(const struct sock *sk)
{
	int space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);

	if (space <= 0)
		return 0;
	/* Half the free buffer: a segment costs its skb's truesize, more than its data. */
	space = min_t(u32, space / 2, toytcp_max_rcv_window(sk));
	/* toytcp's memory pool is under pressure: offer little (as Linux) */
	if (sk_under_memory_pressure(sk))
		space = min_t(u32, space, 4U * (toytcp_sk(sk)->advmss ? : TOYTCP_DEFAULT_MSS));
	return space;
}

/*
 * The smallest step by which the window opens: min(RCV.BUFF / 2, MSS),
 * RCV.BUFF being the most window the buffer can offer, half of it. (With
 * an MSS near that, loopback's 65,483 bytes, a step of one MSS would
 * never come: the window would stay shut until a persist probe.)
 */
static u32 toytcp_wnd_step(const struct sock *sk)
{
	return min_t(u32, toytcp_sk(sk)->advmss ? : TOYTCP_DEFAULT_MSS,
		     READ_ONCE(sk->sk_rcvbuf) / 4);
}

/**
 * toytcp_select_window() - the window to put in the next segment.
 * @sk: the socket, locked.
 *
 * The free receive buffer, but the right edge never moves left, and moves
 * right only by a worthwhile step (RFC 9293 §3.8.6.2.2). With window
 * scaling, a multiple of 2^scale, as the field can say it: a new window
 * rounded down (never promising more than the buffer), the one kept
 * rounded up (the edge must not move left by the rounding), as Linux.
 *
 * Return: the window, and records it as advertised.
 */
u32 toytcp_select_window(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 unit = 1U << toytcp_rcv_wscale_now(tp);
	u32 wnd = toytcp_free_window(sk);
	u32 cur = toytcp_rcv_wnd_left(tp);

	/*
	 * Never shrink; and receiver-side silly window avoidance (RFC 9293
	 * §3.8.6.2.2): open only by at least min(half the buffer, one MSS).
	 */
	if (wnd < cur || wnd - cur < toytcp_wnd_step(sk))
		wnd = ALIGN(cur, unit);
	else
		wnd = max(round_down(wnd, unit), ALIGN(cur, unit));
	wnd = min(wnd, toytcp_max_rcv_window(sk));
	tp->rcv_wnd = wnd;
	tp->rcv_wup = tp->rcv_nxt;
	return wnd;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_select_window);

/* The window field for a window toytcp_select_window() chose. */
static u16 toytcp_window_field(const struct toytcp_sock *tp, u32 wnd)
{
	return wnd >> toytcp_rcv_wscale_now(tp);
}

/* The window a listener's SYN-ACK offers: a new child's free buffer. */
u16 toytcp_listen_window(const struct sock *lsk)
{
	return min_t(u32, READ_ONCE(lsk->sk_rcvbuf) / 2, TOYTCP_MAX_WINDOW);
}

/**
 * toytcp_send_synack_cookie() - answer a SYN with a SYN-ACK whose ISN is
 * a SYN cookie; no control block remembers it.
 * @lsk: the listener.
 * @syn: the SYN; not consumed.
 * @iss: the cookie.
 */
void toytcp_send_synack_cookie(struct sock *lsk, const struct sk_buff *syn, u32 iss)
{
	const struct iphdr *iph = ip_hdr(syn);
	struct toytcp_sock *lp = toytcp_sk(lsk);
	struct toytcp_opts opts = {};
	struct flowi4 fl4 = {};
	struct rtable *rt;
	u16 mss = TOYTCP_DEFAULT_MSS;

	/* our MSS, from the route back, as a child would say it */
	rt = ip_route_output_ports(sock_net(lsk), &fl4, NULL, iph->saddr,
				   iph->daddr, tcp_hdr(syn)->source,
				   tcp_hdr(syn)->dest, IPPROTO_TCP, 0, 0);
	if (!IS_ERR(rt)) {
		mss = dst_mtu(&rt->dst) - TOYTCP_IPV4_TCP_HDR_LEN;
		ip_rt_put(rt);
	}
	if (lp->user_mss && lp->user_mss < mss)
		mss = lp->user_mss;
	/*
	 * The MSS only: the cookie has no room for a window scale or a
	 * timestamp clock, so the connection goes without them (RFC 7323:
	 * an option absent from the SYN-ACK is not used).
	 */
	opts.mss = mss;
	toytcp_send_reply(sock_net(lsk), syn, iss, TOYTCP_SKB_CB(syn)->seq + 1,
			  TOYTCP_SYN | TOYTCP_ACK, toytcp_listen_window(lsk), &opts);
}

/**
 * toytcp_build_tcp_header() - put a TCP header in front of @skb's data.
 * @skb: holds the data (possibly none), with headroom for the headers.
 * @sport: source port, network order.
 * @dport: destination port, network order.
 * @seq: sequence number.
 * @ack: acknowledgment number (used if @flags has TOYTCP_ACK).
 * @flags: TOYTCP_* control bits.
 * @window: window field.
 * @opts: options to send (NULL: none): MSS if @opts->mss is not 0,
 *        timestamps if @opts->saw_tstamp, SACK permitted if
 *        @opts->saw_sack_perm, window scale if @opts->saw_wscale, then
 *        @opts->num_sacks SACK blocks; each aligned to 4 bytes as Linux
 *        lays them out: MSS; SACK-permitted TS, or NOP NOP TS, or NOP NOP
 *        SACK-permitted; NOP WS; NOP NOP SACK.
 *
 * The checksum is left zero for the caller.
 *
 * Return: the header length.
 */
int toytcp_build_tcp_header(struct sk_buff *skb, __be16 sport, __be16 dport,
			    u32 seq, u32 ack, u8 flags, u16 window,
			    const struct toytcp_opts *opts)
{
	bool mss = opts && opts->mss, ts = opts && opts->saw_tstamp;
	bool ws = opts && opts->saw_wscale, sp = opts && opts->saw_sack_perm;
	unsigned int nsacks = opts ? opts->num_sacks : 0, i;
	unsigned int len = sizeof(struct tcphdr) + (mss ? TOYTCP_OPT_MSS_LEN : 0) +
			   (ts ? TOYTCP_OPT_TS_ALIGNED_LEN : 0) +
			   (sp && !ts ? TOYTCP_OPT_SACK_PERM_LEN + 2 : 0) +
			   (ws ? TOYTCP_OPT_WSCALE_LEN + 1 : 0) +
			   (nsacks ? 2 + TOYTCP_OPT_SACK_BASE +
				     nsacks * TOYTCP_OPT_SACK_PERBLOCK : 0);
	struct tcphdr *th = skb_push(skb, len);
	u8 *opt = (u8 *)(th + 1);

	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(flags & TOYTCP_ACK ? ack : 0);
	th->doff = len / 4;
	((u8 *)th)[13] = flags;
	th->window = htons(window);
	if (mss) {
		/* RFC 9293 §3.2: kind 2, length 4, the MSS in network order */
		opt[0] = TOYTCP_OPT_MSS;
		opt[1] = TOYTCP_OPT_MSS_LEN;
		put_unaligned_be16(opts->mss, opt + 2);
		opt += TOYTCP_OPT_MSS_LEN;
	}
	if (sp) {
		/* RFC 2018 §2: kind 4, length 2; in the NOPs before TS if any */
		opt[0] = ts ? TOYTCP_OPT_SACK_PERM : TOYTCP_OPT_NOP;
		opt[1] = ts ? TOYTCP_OPT_SACK_PERM_LEN : TOYTCP_OPT_NOP;
		if (!ts) {
			opt[2] = TOYTCP_OPT_SACK_PERM;
			opt[3] = TOYTCP_OPT_SACK_PERM_LEN;
			opt += TOYTCP_OPT_SACK_PERM_LEN + 2;
		}
	}
	if (ts) {
		/* RFC 7323 §3.2: kind 8, length 10, TSval, TSecr */
		if (!sp) {
			opt[0] = TOYTCP_OPT_NOP;
			opt[1] = TOYTCP_OPT_NOP;
		}
		opt[2] = TOYTCP_OPT_TIMESTAMP;
		opt[3] = TOYTCP_OPT_TIMESTAMP_LEN;
		put_unaligned_be32(opts->tsval, opt + 4);
		put_unaligned_be32(opts->tsecr, opt + 8);
		opt += TOYTCP_OPT_TS_ALIGNED_LEN;
	}
	if (ws) {
		/* RFC 7323 §2.2: kind 3, length 3, the shift count */
		opt[0] = TOYTCP_OPT_NOP;
		opt[1] = TOYTCP_OPT_WSCALE;
		opt[2] = TOYTCP_OPT_WSCALE_LEN;
		opt[3] = opts->wscale;
		opt += TOYTCP_OPT_WSCALE_LEN + 1;
	}
	if (nsacks) {
		/* RFC 2018 §3: kind 5, length 2 + 8n, then n left and right edges */
		opt[0] = TOYTCP_OPT_NOP;
		opt[1] = TOYTCP_OPT_NOP;
		opt[2] = TOYTCP_OPT_SACK;
		opt[3] = TOYTCP_OPT_SACK_BASE + nsacks * TOYTCP_OPT_SACK_PERBLOCK;
		opt += 4;
		for (i = 0; i < nsacks; i++, opt += TOYTCP_OPT_SACK_PERBLOCK) {
			put_unaligned_be32(opts->sacks[i].start, opt);
			put_unaligned_be32(opts->sacks[i].end, opt + 4);
		}
	}
	return len;
}

/**
 * toytcp_build_header() - toytcp_build_tcp_header() with @sk's ports.
 * @skb: holds the data (possibly none), with headroom for the headers.
 * @sk: the socket.
 * @seq: sequence number.
 * @ack: acknowledgment number (used if @flags has TOYTCP_ACK).
 * @flags: TOYTCP_* control bits.
 * @window: window field.
 * @opts: options to send (NULL: none), as toytcp_build_tcp_header().
 *
 * Return: the header length.
 */
int toytcp_build_header(struct sk_buff *skb, struct sock *sk, u32 seq,
			u32 ack, u8 flags, u16 window, const struct toytcp_opts *opts)
{
	return toytcp_build_tcp_header(skb, htons(sk->sk_num), sk->sk_dport,
				       seq, ack, flags, window, opts);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_build_header);

/**
 * toytcp_syn_options() - what our SYN or SYN-ACK says: the MSS, and window
 * scaling, timestamps and SACK permitted while they are on (in SYN_SENT: offered; in
 * SYN_RECV: both sides want them).
 * @sk: the socket.
 * @opts: filled in.
 */
void toytcp_syn_options(struct sock *sk, struct toytcp_opts *opts)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	memset(opts, 0, sizeof(*opts));
	opts->mss = tp->advmss;
	opts->saw_wscale = tp->wscale_ok;
	opts->wscale = tp->rcv_wscale;
	opts->saw_tstamp = tp->tstamp_ok;
	opts->tsval = toytcp_ts_now(tp);
	opts->tsecr = sk->sk_state == TCP_SYN_RECV ? tp->ts_recent : 0;
	opts->saw_sack_perm = tp->sack_ok;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_syn_options);

/*
 * The options of any other segment of the connection: timestamps, once
 * both SYNs agreed on them (in SYN_SENT they are only offered: a reset
 * sent there has none, as Linux's); SACK blocks in a segment without data
 * when @sack (toytcp_sack_blocks()).
 */
static const struct toytcp_opts *toytcp_seg_options(struct sock *sk, struct toytcp_opts *opts,
						    bool sack)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (sk->sk_state == TCP_SYN_SENT)
		return NULL;
	memset(opts, 0, sizeof(*opts));
	if (tp->tstamp_ok) {
		opts->saw_tstamp = true;
		opts->tsval = toytcp_ts_now(tp);
		opts->tsecr = tp->ts_recent;
	}
	if (sack)
		toytcp_sack_blocks(sk, opts);
	return tp->tstamp_ok || opts->num_sacks ? opts : NULL;
}

static struct sk_buff *toytcp_alloc_segment(struct sock *sk, unsigned int datalen)
{
	struct sk_buff *skb = alloc_skb(TOYTCP_HEADROOM + datalen, GFP_ATOMIC);

	if (!skb)
		return NULL;
	skb_reserve(skb, TOYTCP_HEADROOM);
	return skb;
}

/* Checksum, count and send one finished segment; consumes @skb. */
static int toytcp_transmit(struct sock *sk, struct sk_buff *skb)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct tcphdr *th = tcp_hdr(skb);

	const u8 *opt = (const u8 *)(th + 1);

	th->check = 0;
	if (tp->gso_segs)
		toytcp_v4_checksum_partial(skb, sk->sk_rcv_saddr, sk->sk_daddr);
	else
		th->check = toytcp_v4_checksum(skb, 0, sk->sk_rcv_saddr, sk->sk_daddr);
	tp->segs_out += toytcp_skb_segs(skb);
	if (th->ack)
		toytcp_ack_sent(sk);	/* this ACK is the one a delayed ACK waited for */
	trace_toytcp_send_segment(sk, th, skb->len - th->doff * 4,
				  th->doff > 5 && opt[0] == TOYTCP_OPT_MSS ?
				  get_unaligned_be16(opt + 2) : 0, toytcp_skb_segs(skb));
	return tp->xmit(sk, skb);
}

/* A segment with no data: SYN, SYN-ACK (with their options), ACK, FIN, RST. */
static int toytcp_send_ctl(struct sock *sk, u32 seq, u8 flags)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *skb = toytcp_alloc_segment(sk, 0);
	const struct toytcp_opts *o;
	struct toytcp_opts opts;
	u16 wnd;

	if (!skb)
		return -ENOBUFS;
	if (flags & TOYTCP_SYN) {
		toytcp_syn_options(sk, &opts);
		o = &opts;
		wnd = toytcp_select_window(sk);	/* at most 65535 in these states */
		flags |= toytcp_ecn_syn_flags(sk);
	} else {
		o = toytcp_seg_options(sk, &opts, !(flags & TOYTCP_RST));
		wnd = flags & TOYTCP_RST ? 0 : toytcp_window_field(tp, toytcp_select_window(sk));
		if (!(flags & TOYTCP_RST))
			flags |= toytcp_ecn_send_flags(sk, false);
	}
	toytcp_build_header(skb, sk, seq, tp->rcv_nxt, flags, wnd, o);
	return toytcp_transmit(sk, skb);
}

/* Sequence variables of a new connection, from its ISS. */
void toytcp_init_xmit(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss;
	tp->snd_max = tp->iss;
	tp->write_seq = tp->iss + 1;	/* the SYN takes one sequence number */
	tp->fin_queued = 0;
	tp->retransmits = 0;
	tp->rtt_start = 0;
	tp->snd_ssthresh = U32_MAX / 2;	/* no threshold until the first loss */
	tp->recover = tp->iss;
	tp->ecn_high = tp->iss;
	tp->cwnd_reduced = 0;
	tp->dupacks = 0;
	tp->in_recovery = false;
	/* a socket may connect again (AF_UNSPEC): nothing from the last one */
	tp->tlp_out = 0;
	tp->tlp_armed = 0;
	tp->rack_armed = 0;
	tp->dsack_dups = 0;
	tp->delivered = 0;
	tp->delivered_ce = 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_init_xmit);

/* Initial window: 10 segments (RFC 6928), once the MSS is known. */
void toytcp_init_cwnd(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	tp->snd_cwnd = 10 * tp->mss;
	toytcp_sndbuf_expand(sk);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_init_cwnd);

/**
 * toytcp_send_syn() - send (or send again) our SYN: a SYN in SYN_SENT, a
 * SYN-ACK in SYN_RECV. It carries the MSS option and occupies sequence
 * number ISS.
 * @sk: the socket, locked.
 *
 * Return: 0 or a negative errno from the output path.
 */
int toytcp_send_syn(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u8 flags = TOYTCP_SYN;
	int err;

	if (sk->sk_state == TCP_SYN_RECV)
		flags |= TOYTCP_ACK;
	if (!tp->retransmits && !tp->rtt_start) {
		tp->rtt_seq = tp->iss + 1;
		tp->rtt_start = toytcp_clock_us();
	}
	/*
	 * In flight before it leaves: an ICMP error about it can come back
	 * before toytcp_send_ctl() returns (a router one veth away answers
	 * in the same softirq), and must find its sequence number sent.
	 */
	tp->snd_nxt = tp->iss + 1;
	if (toytcp_seq_after(tp->snd_nxt, tp->snd_max))
		tp->snd_max = tp->snd_nxt;
	err = toytcp_send_ctl(sk, tp->iss, flags);
	toytcp_arm_retx(sk);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_send_syn);

/* An ACK now: sequence number snd_nxt, ACK number rcv_nxt, our window. */
int toytcp_send_ack(struct sock *sk)
{
	return toytcp_send_ctl(sk, toytcp_sk(sk)->snd_nxt, TOYTCP_ACK);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_send_ack);

/**
 * toytcp_send_challenge_ack() - RFC 5961: a segment that might be an
 * attacker's (a SYN, a reset not exactly at RCV.NXT, an ACK of data never
 * sent) is answered with an ACK of where we are, which a real peer can act
 * on and a blind attacker never sees; rate-limited per namespace.
 * @sk: the socket, locked.
 *
 * Return: 0 or a negative errno; 0 also when the limit held it back.
 */
int toytcp_send_challenge_ack(struct sock *sk)
{
	if (!toytcp_challenge_ack_allowed(sock_net(sk)))
		return 0;
	return toytcp_send_ack(sk);
}

/* Abort: RST|ACK at snd_nxt (as Linux's active reset). */
int toytcp_send_rst(struct sock *sk)
{
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_OUTRSTS);
	return toytcp_send_ctl(sk, toytcp_sk(sk)->snd_nxt,
			       TOYTCP_RST | TOYTCP_ACK);
}

/**
 * toytcp_send_reset_to() - answer an unacceptable segment of @sk's
 * connection with RST, as RFC 9293 §3.10.7 says for a bad ACK in SYN_SENT
 * or SYN_RECEIVED: <SEQ=SEG.ACK><CTL=RST>.
 * @sk: the socket the segment was for, locked.
 * @in: the segment; not consumed.
 */
void toytcp_send_reset_to(struct sock *sk, const struct sk_buff *in)
{
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(in);

	if (cb->flags & TOYTCP_RST)
		return;
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_OUTRSTS);
	toytcp_send_ctl(sk, cb->ack_seq, TOYTCP_RST);
}

/*
 * Walk the send queue's fragments holding stream bytes [seq, seq + len):
 * @fn(page, offset, size, arg) for each piece, in order; a piece that
 * continues the previous one in the same page is passed on its own too.
 * Stops early when @fn returns false. Return: the bytes walked.
 */
static u32 toytcp_walk_queue(struct sock *sk, u32 seq, u32 len,
			     bool (*fn)(struct page *page, u32 off, u32 size, void *arg),
			     void *arg)
{
	u32 done = 0;
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
		u32 pos = cb->seq;	/* of the fragment at hand */
		int i;

		if (toytcp_seq_before_eq(cb->end_seq, seq))
			continue;
		for (i = 0; i < skb_shinfo(skb)->nr_frags && done < len; i++) {
			const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
			u32 size = skb_frag_size(frag), off;

			if (toytcp_seq_before_eq(pos + size, seq + done)) {
				pos += size;
				continue;
			}
			off = seq + done - pos;
			size = min(size - off, len - done);
			if (!fn(skb_frag_page(frag), skb_frag_off(frag) + off, size, arg))
				return done;
			done += size;
			pos += skb_frag_size(frag);
		}
		if (done == len)
			break;
	}
	return done;
}

/* One skb's fragments being filled, or counted (@skb NULL). */
struct toytcp_frag_fill {
	struct sk_buff *skb;
	struct page *page;	/* the last fragment's */
	u32 end;		/* its end in the page */
	int nr;			/* fragments so far */
};

static bool toytcp_fill_frag(struct page *page, u32 off, u32 size, void *arg)
{
	struct toytcp_frag_fill *f = arg;

	if (f->nr && page == f->page && off == f->end) {
		if (f->skb)
			skb_frag_size_add(&skb_shinfo(f->skb)->frags[f->nr - 1], size);
	} else {
		if (f->nr == MAX_SKB_FRAGS)
			return false;
		if (f->skb) {
			get_page(page);
			skb_fill_page_desc(f->skb, f->nr, page, off, size);
		}
		f->nr++;
	}
	f->page = page;
	f->end = off + size;
	if (f->skb)
		skb_len_add(f->skb, size);
	return true;
}

/*
 * How many of the queued bytes [seq, seq + len) one skb's fragments can
 * refer to: all of them, unless many small writes left them scattered.
 */
static u32 toytcp_frags_fit(struct sock *sk, u32 seq, u32 len)
{
	struct toytcp_frag_fill f = {};

	return toytcp_walk_queue(sk, seq, len, toytcp_fill_frag, &f);
}

static bool toytcp_copy_piece(struct page *page, u32 off, u32 size, void *arg)
{
	u8 **to = arg;

	memcpy(*to, page_address(page) + off, size);
	*to += size;
	return true;
}

/*
 * Put queued bytes [seq, seq + len) of the stream into @skb: as references
 * to the queue's pages if @refer (toytcp_frags_fit() said they fit), else
 * copied into its tailroom (many small writes left them too scattered).
 */
static void toytcp_add_queued(struct sock *sk, struct sk_buff *skb, u32 seq,
			      u32 len, bool refer)
{
	struct toytcp_frag_fill f = { .skb = skb };
	u8 *to;

	if (refer) {
		WARN_ON_ONCE(toytcp_walk_queue(sk, seq, len, toytcp_fill_frag, &f) != len);
		return;
	}
	to = skb_put(skb, len);
	WARN_ON_ONCE(toytcp_walk_queue(sk, seq, len, toytcp_copy_piece, &to) != len);
}

/*
 * Send bytes [seq, seq + len) of the stream, with FIN after them if @fin.
 * snd_max follows; snd_nxt is the caller's to move.
 */
static int toytcp_send_data(struct sock *sk, u32 seq, unsigned int len, bool fin)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	bool retrans = toytcp_seq_before(seq, tp->snd_max);
	struct toytcp_opts opts;
	u8 flags = TOYTCP_ACK;
	struct sk_buff *skb;
	u32 end = seq + len;
	bool refer;

	refer = toytcp_frags_fit(sk, seq, len) == len;
	skb = toytcp_alloc_segment(sk, refer ? 0 : len);
	if (!skb)
		return -ENOBUFS;
	toytcp_add_queued(sk, skb, seq, len, refer);
	if (len && end == tp->write_seq)
		flags |= TOYTCP_PSH;	/* the last byte written so far */
	if (fin)
		flags |= TOYTCP_FIN;
	flags |= toytcp_ecn_send_flags(sk, len && !retrans);
	if (tp->ecn_ok && len && !retrans)
		TOYTCP_SKB_CB(skb)->ecn = TOYTCP_ECT;	/* new data only */
	toytcp_build_header(skb, sk, seq, tp->rcv_nxt, flags,
			    toytcp_window_field(tp, toytcp_select_window(sk)),
			    toytcp_seg_options(sk, &opts, false));
	if (len > tp->mss) {
		/* several wire segments: the GSO layer or the device cuts them */
		skb_shinfo(skb)->gso_size = tp->mss;
		skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
		skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(len, tp->mss);
		/* CWR on the first wire segment only (the GSO layer knows how) */
		if (flags & TOYTCP_CWR)
			skb_shinfo(skb)->gso_type |= SKB_GSO_TCP_ECN;
	}
	if (fin)
		end++;
	if (tp->in_recovery)
		tp->prr_out += len;	/* RFC 6937 prr_out */
	if (retrans) {
		/* Karn: the timed segment is sent again, its ACK times nothing */
		if (tp->rtt_start && toytcp_seq_before(seq, tp->rtt_seq))
			tp->rtt_start = 0;
		tp->total_retrans += toytcp_skb_segs(skb);
		toytcp_add_stat(sock_net(sk), TOYTCP_MIB_RETRANSSEGS, toytcp_skb_segs(skb));
	} else if (!tp->rtt_start) {
		/* time this segment (Karn: never a retransmitted one) */
		tp->rtt_seq = end;
		tp->rtt_start = toytcp_clock_us();
	}
	if (toytcp_seq_after(seq + len, tp->snd_max))	/* new data: first send */
		toytcp_add_stat(sock_net(sk), TOYTCP_MIB_OUTDATABYTES,
				seq + len - (retrans ? tp->snd_max : seq));
	if (toytcp_seq_after(end, tp->snd_max))
		tp->snd_max = end;
	return toytcp_transmit(sk, skb);
}

/**
 * toytcp_send_probe_data() - a tail loss probe with new data: @len bytes
 * from snd_nxt (and the FIN if @fin), whatever cwnd says; snd_nxt moves.
 * @sk: the socket, locked.
 * @len: bytes, at most an MSS.
 * @fin: our FIN follows them.
 *
 * Return: 0 or a negative errno.
 */
int toytcp_send_probe_data(struct sock *sk, u32 len, bool fin)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	int err = toytcp_send_data(sk, tp->snd_nxt, len, fin);

	if (!err)
		tp->snd_nxt += len + fin;
	return err;
}

/**
 * toytcp_nagle_ok() - may a segment of @len bytes leave now? Nagle's rule
 * (RFC 896, RFC 9293 §3.7.4) with sender-side silly window avoidance
 * (RFC 9293 §3.8.6.2.1).
 * @len: the segment: min(unsent data, usable window, MSS).
 * @mss: the MSS.
 * @unsent: bytes queued and not yet sent.
 * @idle: nothing sent is unacknowledged.
 * @nodelay: TCP_NODELAY.
 * @cork: TCP_CORK.
 * @max_sndwnd: the largest window the peer has offered.
 *
 * A full segment always goes. With TCP_CORK nothing less does. Else a
 * short segment goes if it is all there is and nothing is in flight (or
 * Nagle is off), or, when the window is what makes it short, if it is at
 * least half the largest window the peer ever offered.
 *
 * Return: true to send now, false to hold the bytes back.
 */
bool toytcp_nagle_ok(u32 len, u32 mss, u32 unsent, bool idle, bool nodelay,
		     bool cork, u32 max_sndwnd)
{
	if (len >= mss)
		return true;
	if (cork || !len)
		return false;
	if (!idle && !nodelay)
		return false;	/* Nagle: wait for the ACK, then send more at once */
	if (len == unsent)
		return true;
	return len >= max_sndwnd / 2;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_nagle_ok);

/**
 * toytcp_sync_offload() - may @sk's skbs carry several segments, and
 * their checksum be left to the device? From the route, much as Linux's
 * sk_setup_caps() decides: the module parameter offload on, no IPsec
 * transform in the way; up to 64 KB and the device's gso_max_size and
 * gso_max_segs (ip link set DEV gso_max_segs 1: one segment per skb, for
 * toytcp as for Linux TCP). One difference: a device with GSO off
 * (ethtool -K DEV gso off) gets one segment per skb from toytcp, where
 * Linux TCP 6.1 sends GSO skbs anyway and lets its core cut them after
 * the queueing discipline.
 * @sk: the socket, locked, with a route.
 * @dst: the route.
 */
static void toytcp_sync_offload(struct sock *sk, const struct dst_entry *dst)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	const struct net_device *dev = dst->dev;
	u32 bytes, segs;

	if (!READ_ONCE(toytcp_offload) || dst->header_len || dst->xfrm) {
		tp->gso_segs = 0;
		return;
	}
	segs = 1;
	bytes = min_t(u32, READ_ONCE(dev->gso_max_size), GSO_LEGACY_MAX_SIZE);
	if (READ_ONCE(dev->features) & NETIF_F_GSO && bytes > TOYTCP_HEADROOM + 1) {
		bytes -= TOYTCP_HEADROOM + 1;	/* an IPv4 datagram says its length in 16 bits */
		segs = clamp_t(u32, bytes / tp->mss, 1, READ_ONCE(dev->gso_max_segs));
	}
	tp->gso_segs = segs;
}

/*
 * How many bytes one skb carries from snd_nxt when a full segment may go:
 * as many full segments as the offload allows, the room in the windows
 * has and one skb's fragments can refer to. A short tail is left for the
 * next turn, where Nagle decides about it as about any short segment.
 */
static u32 toytcp_gso_len(struct sock *sk, u32 room)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 len = min_t(u32, room / tp->mss, tp->gso_segs) * tp->mss;

	if (len <= tp->mss)
		return tp->mss;
	len = rounddown(toytcp_frags_fit(sk, tp->snd_nxt, len), tp->mss);
	return max_t(u32, len, tp->mss);
}

/*
 * The route's MTU may have shrunk since the MSS was chosen (a path-MTU
 * update the socket has not acted on yet, an administrator's change): cut
 * segments for the smaller one, as Linux's tcp_current_mss() checks before
 * each send, rather than have each too-big segment bounce as a local
 * "fragmentation needed". A socket that never routed (the KUnit harness)
 * has nothing to check.
 */
static void toytcp_sync_mss(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	int mtu;
	u32 mss;

	if (!__sk_dst_get(sk))
		return;
	mtu = toytcp_route_mtu(sk);	/* routes again if the cached one is stale */
	if (mtu <= 0)
		return;
	mss = toytcp_pmtu_mss(sk, mtu);
	if (mss < tp->mss)
		tp->mss = mss;
	toytcp_sync_offload(sk, __sk_dst_get(sk));
}

/**
 * toytcp_push() - send what the windows and Nagle allow of the queued
 * data, then our FIN once all data is out.
 * @sk: the socket, locked, in a state that may send data.
 *
 * The limit is the smaller of the peer's window (flow control) and the
 * congestion window, counted from snd_una; in SACK recovery, lost holes
 * go again first and new data fills what the pipe leaves of cwnd
 * (toytcp_sack_retransmit()).
 */
void toytcp_push(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 limit;

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_CLOSING |
				     TCPF_LAST_ACK)))
		return;
	toytcp_sync_mss(sk);
	limit = tp->snd_una + min(tp->snd_wnd, tp->snd_cwnd);
	if (tp->in_recovery && tp->sack_ok) {
		/* lost holes first; new data in what the pipe leaves of cwnd */
		u32 room = toytcp_sack_retransmit(sk);

		if (toytcp_seq_before(tp->snd_nxt + room, tp->snd_una + tp->snd_wnd))
			limit = tp->snd_nxt + room;
		else
			limit = tp->snd_una + tp->snd_wnd;
	}

	while (toytcp_seq_before(tp->snd_nxt, tp->write_seq)) {
		u32 unsent = tp->write_seq - tp->snd_nxt;
		u32 len;
		bool fin;

		if (!toytcp_seq_before(tp->snd_nxt, limit))
			break;	/* a window is full */
		len = min3(unsent, (u32)tp->mss, limit - tp->snd_nxt);
		/* after close() or shutdown() nothing more comes: uncorked (as Linux) */
		if (!toytcp_nagle_ok(len, tp->mss, unsent,
				     tp->snd_nxt == tp->snd_una, tp->nodelay,
				     tp->cork && !tp->fin_queued, tp->max_sndwnd))
			break;
		if (len == tp->mss && tp->gso_segs > 1)
			len = toytcp_gso_len(sk, min(unsent, limit - tp->snd_nxt));
		fin = tp->fin_queued && tp->snd_nxt + len == tp->write_seq;
		if (toytcp_send_data(sk, tp->snd_nxt, len, fin))
			break;
		tp->snd_nxt += len + fin;
	}
	/* cwnd, not the application or the peer's window, holds the sender back */
	tp->cwnd_limited = tp->snd_nxt - tp->snd_una + tp->mss > tp->snd_cwnd;
	/* A FIN alone: all data sent, FIN not yet (or to be sent again). */
	if (tp->fin_queued && tp->snd_nxt == tp->write_seq &&
	    !toytcp_send_data(sk, tp->snd_nxt, 0, true))
		tp->snd_nxt++;
	toytcp_arm_retx(sk);
	toytcp_arm_persist(sk);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_push);

/**
 * toytcp_push_window() - the persist timer fired with a window open but
 * smaller than silly window avoidance sends into, and nothing in flight:
 * send one segment of what fits, whatever its size (the override timeout
 * of RFC 9293 §3.8.6.2.1), then as toytcp_push().
 * @sk: the socket, locked.
 */
void toytcp_push_window(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 len = min3(tp->write_seq - tp->snd_nxt, (u32)tp->mss,
		       min(tp->snd_wnd, tp->snd_cwnd));

	if (len && tp->snd_nxt == tp->snd_una &&
	    ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				    TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK))) {
		bool fin = tp->fin_queued && tp->snd_nxt + len == tp->write_seq;

		if (!toytcp_send_data(sk, tp->snd_nxt, len, fin))
			tp->snd_nxt += len + fin;
	}
	toytcp_push(sk);
}

/**
 * toytcp_retransmit() - the retransmission timer fired with data or a FIN
 * unacknowledged: go back to snd_una and send again from there.
 * @sk: the socket, locked.
 */
void toytcp_retransmit(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		toytcp_send_syn(sk);
		return;
	}
	tp->snd_nxt = tp->snd_una;
	toytcp_push(sk);
}

/**
 * toytcp_retransmit_at() - send one segment again from @seq: at most an
 * MSS, not past @end, with our FIN if it follows and was sent; snd_nxt
 * stays.
 * @sk: the socket, locked.
 * @seq: its first sequence number, in [snd_una, snd_max).
 * @end: where it must stop (a hole's end).
 *
 * Return: the sequence numbers sent again (the FIN counts one), 0 if none.
 */
u32 toytcp_retransmit_at(struct sock *sk, u32 seq, u32 end)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 len;
	bool fin;

	if (!toytcp_seq_in_window(seq, tp->snd_una, tp->snd_max) ||
	    toytcp_seq_after(seq, tp->write_seq) || toytcp_seq_after(seq, end))
		return 0;
	len = min3((u32)tp->mss, tp->write_seq - seq, end - seq);
	fin = tp->fin_queued && seq + len == tp->write_seq &&
	      toytcp_seq_after(tp->snd_max, tp->write_seq);
	if (!len && !fin)
		return 0;
	tp->lost++;
	if (toytcp_send_data(sk, seq, len, fin))
		return 0;
	return len + fin;
}

/**
 * toytcp_retransmit_head() - send the oldest unacknowledged segment again
 * (fast retransmit, and NewReno's partial ACKs); snd_nxt stays.
 * @sk: the socket, locked.
 */
void toytcp_retransmit_head(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	toytcp_retransmit_at(sk, tp->snd_una, tp->snd_max);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_retransmit_head);

/**
 * toytcp_send_keepalive_probe() - an ACK with an old sequence number
 * (snd_una - 1, no data): the peer must answer with an ACK carrying its
 * current window. Probes both a zero window and an idle connection.
 * @sk: the socket, locked.
 *
 * Return: 0 or a negative errno.
 */
int toytcp_send_keepalive_probe(struct sock *sk)
{
	return toytcp_send_ctl(sk, toytcp_sk(sk)->snd_una - 1, TOYTCP_ACK);
}

/**
 * toytcp_maybe_window_update() - after the application read: tell the
 * peer if the window opened by at least min(MSS, half the buffer).
 * @sk: the socket, locked.
 */
void toytcp_maybe_window_update(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 now = toytcp_rcv_wnd_left(tp);
	u32 could = toytcp_free_window(sk);
	u32 step = toytcp_wnd_step(sk);

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)))
		return;
	if (could > now && could - now >= step) {
		trace_toytcp_window_update(sk, 1, now, could);
		toytcp_send_ack(sk);
	}
}
