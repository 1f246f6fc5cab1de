// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: a fuzzer for SEGMENT ARRIVES (RFC 9293 §3.10.7).
 *
 * Each case opens connections in one state (the harness's control blocks,
 * toytcp_harness.h, brought there by real segments: FIN_WAIT2 is an
 * ESTABLISHED one that closed and had its FIN acknowledged), in variants:
 * with data written and in flight, with out-of-order data queued, with a
 * 16 KB receive buffer under the 64 KB window already offered, orphaned.
 * It then sends each connection random and mutated segments as raw bytes:
 * an IPv4 header, a TCP header with any flags, any data offset and options
 * of every kind and length (malformed ones too), sequence and
 * acknowledgment numbers at the edges of the windows, 0 to 3000 bytes of
 * data, linear or in page fragments, now and then in a clone someone else
 * still reads, a wrong checksum now and then. Two cases aim at memory: one
 * scatters out-of-order data over a 16 KB buffer, one has an honest peer
 * fill the window that buffers of 8 to 256 KB offered, for a receiver that
 * never reads. The segments take the module's own path:
 * toytcp_segment_check(), toytcp_segment_pull(), toytcp_rcv_segment()
 * under the socket lock. What the connection sends is captured (the
 * harness's xmit hook) and checked too. After every segment:
 *
 *  - the parser's verdict: a bad data offset -EINVAL, else a bad checksum
 *    -EBADMSG, else 0;
 *  - the control block: SND.UNA <= SND.NXT <= snd_max <= write_seq + 1,
 *    copied_seq <= RCV.NXT, a known state reached along RFC 9293's diagram,
 *    SND.UNA, RCV.NXT and the window's right edge never moving back;
 *  - the queues: the write queue holds every byte not acknowledged; the
 *    receive queue every byte received, without a hole, each the byte the
 *    peer sent; the out-of-order queue sorted, without overlaps, after
 *    RCV.NXT and inside the window; sk_rmem_alloc is what they hold and at
 *    most sk_rcvbuf plus one segment; CLOSED holds nothing and runs no
 *    timer; data waiting to be sent or acknowledged always has a timer
 *    that will send it (reported once a connection, which goes on);
 *  - what it sent: a checksum that is right, no data on an RST, the ACK
 *    number RCV.NXT of that moment, sequence numbers in
 *    [SND.UNA - 1, snd_max] (an RST answering a bad ACK: SEG.ACK), the
 *    bytes the application wrote, a window whose right edge never moves
 *    left;
 *  - what the segment may change (RFC 9293 and RFC 5961): a segment out of
 *    the window changes nothing and is answered with an ACK; only a reset
 *    exactly at RCV.NXT (or the ACK of our FIN in LAST-ACK) closes; a SYN
 *    in a synchronized state changes nothing; data is taken only with an
 *    acceptable ACK, never after the peer's FIN, and in-order data inside
 *    the window is never refused while the buffer it was offered from is
 *    there; a SYN-ACK with an acceptable ACK opens the connection with the
 *    MSS it carried.
 *
 * Reproducing a failure: the PRNG is this file's own (xorshift64*), seeded
 * per connection from the case's seed, which each case prints ("seed
 * 0x..."). Every failure names the seed, the run (the connection) and the
 * segment ("seed S run R seg I", seg -1 being the setup) and is followed
 * by the segment, the skb that carried it and the connection before it.
 * The same build sends the same segments again (timers aside: a delayed
 * ACK or a retransmission may fire at another moment). To replay one run
 * alone, set FZ_ONLY_RUN to R and rebuild; to try other segments, change
 * FZ_SEED.
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <asm/unaligned.h>

#include "toytcp_harness.h"

#define FZ_SEED		0x746f797463706675ULL	/* change to try other segments */
#define FZ_ONLY_RUN	(-1)			/* >= 0: replay only this run */
#define FZ_RUNS		24			/* connections per case */
#define FZ_SEGS		48			/* segments per connection */
#define FZ_FAILED_RUNS	3			/* a case gives up after these */
#define FZ_MAX_DATA	3000
#define FZ_MAX_WRITE	30000
#define FZ_SMALL_RCVBUF	(16 * 1024)
#define FZ_RAW_SIZE	(60 + 60 + FZ_MAX_DATA)
#define FZ_SCRATCH	2048

#define S TOYTCP_SYN
#define A TOYTCP_ACK
#define F TOYTCP_FIN
#define R TOYTCP_RST
#define P TOYTCP_PSH
#define U TOYTCP_URG

/* The peer's address and ours, as the harness sets them. */
#define FZ_PEER_ADDR	cpu_to_be32(0xc6120002)
#define FZ_OUR_ADDR	cpu_to_be32(0xc6120001)

#define FZ_STATES	(TCPF_SYN_SENT | TCPF_SYN_RECV | TOYTCPF_SYNCHRONIZED | TCPF_CLOSE)
#define FZ_DATA_STATES	(TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)
#define FZ_SEND_STATES	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_FIN_WAIT1 | \
			 TCPF_CLOSING | TCPF_LAST_ACK)
#define FZ_FIN_STATES	(TCPF_CLOSE_WAIT | TCPF_CLOSING | TCPF_LAST_ACK | TCPF_TIME_WAIT)

/* The connection at one moment. */
struct fz_snap {
	int state;
	u32 snd_una, snd_nxt, snd_max, write_seq, snd_wnd, max_sndwnd;
	u32 irs, rcv_nxt, rcv_wup, rcv_wnd, copied_seq;
	u16 mss;
	unsigned int rq_len;
};

/* What the capture notes, in its skb->cb, about a segment sent. */
struct fz_sent {
	u32 rcv_nxt, rcv_wnd, rcv_wup, snd_una, snd_max, in_ack;
	bool in_rcv;
	u8 wscale;	/* the window field's shift (RFC 7323; never in a SYN) */
};

/* A segment to send, and what its header says once built. */
struct fz_seg {
	u8 flags;		/* the whole flags byte */
	u32 seq, ack;
	u16 window;
	u8 doff;		/* the header's data offset */
	unsigned int ihl;	/* IPv4 header bytes */
	unsigned int hlen;	/* TCP header bytes present */
	unsigned int len;	/* data bytes */
	bool polite;		/* well-formed options only */
	bool mutate;		/* flip some header bits once built */
	bool bad_csum;		/* spoil the checksum */
	bool opts_ok;		/* options well-formed, as toytcp_parse_options() wants */
	u16 mss;		/* the MSS option, 0 if none */
	const char *how;
	unsigned int truesize, frags;	/* of the skb that carried it */
};

struct fz {
	struct kunit *test;
	struct th_conn *t;
	struct sock *sk;	/* the capture takes only this socket's segments */
	int start;		/* the state the case starts in */
	bool ofo_case;		/* the 16 KB buffer and scattered data case */
	bool fill_case;		/* an honest peer fills the window we offer */
	u64 seed;
	u64 rng;
	int run, seg;

	/* this run's variant */
	bool small_buf, dead;
	u32 written;		/* bytes th_write() queued */
	u32 ooo_end;		/* end of the out-of-order data the setup queued */

	/* the segment being delivered */
	bool in_rcv;
	u32 in_ack;
	unsigned int rcv_acks, rcv_rsts;
	u32 rcv_last_ack;	/* the last ACK number sent in reply */

	struct sk_buff_head out;	/* captured */
	u8 *raw;			/* the segment's bytes */
	u8 *scratch;
	unsigned int slack;		/* largest truesize delivered this run */
	u32 edge;			/* right edge of the last window sent */
	bool edge_set;
	struct fz_snap last;		/* after the last segment */
	bool failed;
	bool stall_seen;		/* reported once a run, which goes on */
	int failed_runs;

	/* what the case did */
	unsigned long segs, bad_hdr, bad_csum, delivered, sent, data_in,
		      acked, closed, ooo_max, rmem_max, transitions, fired;
	unsigned int reached;		/* TCPF_* of the states seen */
};

static struct fz *fz_current;

/*
 * A failed expectation names the seed, the run and the segment; the run
 * stops after the segment that failed.
 */
#define FZ_EXPECT(f, cond, fmt, ...)						\
	do {									\
		struct fz *__fz = (f);						\
		bool __fz_ok = !!(cond);					\
										\
		KUNIT_EXPECT_TRUE_MSG(__fz->test, __fz_ok,			\
				      "seed %#llx run %d seg %d: %s: " fmt,	\
				      __fz->seed, __fz->run, __fz->seg, #cond,	\
				      ##__VA_ARGS__);				\
		if (!__fz_ok)							\
			__fz->failed = true;					\
	} while (0)

/* ---- the PRNG ---- */

static u64 fz_mix(u64 x)	/* splitmix64: a run's seed from the case's */
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u32 fz_rand(struct fz *f)	/* xorshift64* */
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (f->rng * 0x2545f4914f6cdd1dULL) >> 32;
}

static u32 fz_below(struct fz *f, u32 n)
{
	return n ? fz_rand(f) % n : 0;
}

static bool fz_one_in(struct fz *f, u32 n)
{
	return !fz_below(f, n);
}

/* A small distance: -3 .. 3. */
static s32 fz_near(struct fz *f)
{
	return (s32)fz_below(f, 7) - 3;
}

/* The peer's byte stream: the byte at each sequence number, always the same. */
static u8 fz_byte(u32 seq)
{
	return (seq * 0x9e3779b1u) >> 24;
}

/* Our byte stream: th_write() writes 0, 1, 2, ... from ISS + 1. */
static u8 fz_our_byte(u32 seq)
{
	return seq - (TH_ISS + 1);
}

/* The states a segment may move each state to (RFC 9293 §3.3.2, Figure 5). */
static const unsigned int fz_next_states[TCP_MAX_STATES] = {
	[TCP_SYN_SENT]		= TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_ESTABLISHED |
				  TCPF_CLOSE,
	[TCP_SYN_RECV]		= TCPF_SYN_RECV | TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				  TCPF_CLOSE,
	[TCP_ESTABLISHED]	= TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_CLOSE,
	[TCP_FIN_WAIT1]		= TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | TCPF_CLOSING |
				  TCPF_TIME_WAIT | TCPF_CLOSE,
	[TCP_FIN_WAIT2]		= TCPF_FIN_WAIT2 | TCPF_TIME_WAIT | TCPF_CLOSE,
	[TCP_CLOSE_WAIT]	= TCPF_CLOSE_WAIT | TCPF_CLOSE,
	[TCP_CLOSING]		= TCPF_CLOSING | TCPF_TIME_WAIT | TCPF_CLOSE,
	[TCP_LAST_ACK]		= TCPF_LAST_ACK | TCPF_CLOSE,
	[TCP_TIME_WAIT]		= TCPF_TIME_WAIT | TCPF_CLOSE,
	[TCP_CLOSE]		= TCPF_CLOSE,
};

static u32 fz_data_end(const struct sk_buff *skb)
{
	return TOYTCP_SKB_CB(skb)->seq + skb->len;
}

/* The receive window still open: RCV.WUP + RCV.WND - RCV.NXT, at least 0. */
static u32 fz_wnd(const struct fz_snap *s)
{
	s32 wnd = s->rcv_wup + s->rcv_wnd - s->rcv_nxt;

	return wnd > 0 ? wnd : 0;
}

/* RFC 9293 §3.10.7.4, the four cases, written again here. */
static bool fz_acceptable(u32 seq, u32 seg_len, u32 rcv_nxt, u32 wnd)
{
	u32 end = rcv_nxt + wnd;

	if (!seg_len)
		return wnd ? toytcp_seq_in_window(seq, rcv_nxt, end) : seq == rcv_nxt;
	if (!wnd)
		return false;
	return toytcp_seq_in_window(seq, rcv_nxt, end) ||
	       toytcp_seq_in_window(seq + seg_len - 1, rcv_nxt, end);
}

/*
 * Options as toytcp_parse_options() documents them: EOL ends the list,
 * NOP is one byte, any other kind needs a length of at least 2 that stays
 * inside; an MSS option is 4 bytes long. Returns false when malformed.
 */
static bool fz_parse_opts(const u8 *p, unsigned int len, u16 *mss)
{
	unsigned int i = 0;

	*mss = 0;
	while (i < len) {
		if (p[i] == TOYTCP_OPT_EOL)
			break;
		if (p[i] == TOYTCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] < 2 || p[i + 1] > len - i)
			return false;
		if (p[i] == TOYTCP_OPT_MSS) {
			if (p[i + 1] != TOYTCP_OPT_MSS_LEN)
				return false;
			*mss = get_unaligned_be16(p + i + 2);
		}
		i += p[i + 1];
	}
	return true;
}

static void fz_snap(struct fz *f, struct fz_snap *s)
{
	struct toytcp_sock *tp = toytcp_sk(f->sk);

	s->state = f->sk->sk_state;
	s->snd_una = tp->snd_una;
	s->snd_nxt = tp->snd_nxt;
	s->snd_max = tp->snd_max;
	s->write_seq = tp->write_seq;
	s->snd_wnd = tp->snd_wnd;
	s->max_sndwnd = tp->max_sndwnd;
	s->irs = tp->irs;
	s->rcv_nxt = tp->rcv_nxt;
	s->rcv_wup = tp->rcv_wup;
	s->rcv_wnd = tp->rcv_wnd;
	s->copied_seq = tp->copied_seq;
	s->mss = tp->mss;
	s->rq_len = skb_queue_len(&f->sk->sk_receive_queue);
}

/* ---- the capture: what the connection sends ---- */

static int fz_capture(struct sock *sk, struct sk_buff *skb)
{
	struct fz *f = READ_ONCE(fz_current);
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct fz_sent *s = (struct fz_sent *)skb->cb;

	BUILD_BUG_ON(sizeof(*s) > sizeof(skb->cb));
	if (!f || READ_ONCE(f->sk) != sk) {
		kfree_skb(skb);		/* an old connection's timer: gone */
		return 0;
	}
	s->rcv_nxt = tp->rcv_nxt;
	s->rcv_wnd = tp->rcv_wnd;
	s->rcv_wup = tp->rcv_wup;
	s->snd_una = tp->snd_una;
	s->snd_max = tp->snd_max;
	s->in_rcv = f->in_rcv;
	s->in_ack = f->in_ack;
	s->wscale = tp->wscale_ok && !(skb->len > 13 && skb->data[13] & S) ?
		    tp->rcv_wscale : 0;
	if (f->in_rcv) {
		u8 flags = skb->len > 13 ? skb->data[13] : 0;

		f->rcv_acks += !!(flags & A);
		f->rcv_rsts += !!(flags & R);
		if (flags & A)
			f->rcv_last_ack = tp->rcv_nxt;
	}
	skb_queue_tail(&f->out, skb);
	return 0;
}

/* One segment the connection sent, checked against the moment it left. */
static void fz_check_sent(struct fz *f, struct sk_buff *skb)
{
	const struct fz_sent *s = (const struct fz_sent *)skb->cb;
	const struct tcphdr *th = (const struct tcphdr *)skb->data;
	unsigned int hl, len, i;
	u32 seq, ack, end;
	__wsum sum;
	u8 flags;

	f->sent++;
	FZ_EXPECT(f, skb->len >= sizeof(*th) && th->doff >= 5 &&
		  th->doff * 4 <= skb->len, "sent a segment of %u bytes with data offset %u",
		  skb->len, skb->len >= sizeof(*th) ? th->doff : 0);
	if (f->failed)
		return;
	hl = th->doff * 4;
	len = skb->len - hl;
	flags = ((const u8 *)th)[13];
	seq = ntohl(th->seq);
	ack = ntohl(th->ack_seq);
	end = seq + len + !!(flags & S) + !!(flags & F);

	sum = csum_tcpudp_nofold(FZ_OUR_ADDR, FZ_PEER_ADDR, skb->len, IPPROTO_TCP, 0);
	FZ_EXPECT(f, !(__force u16)csum_fold(skb_checksum(skb, 0, skb->len, sum)),
		  "sent a segment with a wrong checksum (seq %u flags %#x)", seq, flags);
	FZ_EXPECT(f, !(flags & ~(S | A | F | R | P)), "sent flags %#x", flags);
	FZ_EXPECT(f, !(flags & R) || (!len && !(flags & (S | F))),
		  "sent an RST with flags %#x and %u bytes of data", flags, len);
	FZ_EXPECT(f, th->source == htons(40000) && th->dest == htons(80),
		  "sent from port %u to %u", ntohs(th->source), ntohs(th->dest));
	if (flags & A)
		FZ_EXPECT(f, ack == s->rcv_nxt, "sent ACK %u, RCV.NXT was %u (flags %#x)",
			  ack, s->rcv_nxt, flags);
	else
		FZ_EXPECT(f, !ack, "sent ACK field %u without ACK", ack);
	if (flags & S) {
		u16 mss;

		FZ_EXPECT(f, seq == TH_ISS && !len, "sent a SYN at %u with %u bytes", seq, len);
		FZ_EXPECT(f, fz_parse_opts((const u8 *)(th + 1), hl - sizeof(*th), &mss) &&
			  mss == TH_MSS, "sent a SYN with MSS option %u", mss);
	} else {
		FZ_EXPECT(f, hl == sizeof(*th), "sent options (%u header bytes) without SYN", hl);
	}
	if ((flags & (R | A)) == R) {
		/* RFC 9293 §3.10.7.3/4: <SEQ=SEG.ACK><CTL=RST> */
		FZ_EXPECT(f, s->in_rcv && seq == s->in_ack,
			  "sent RST at %u, not at SEG.ACK %u (in reply: %d)", seq, s->in_ack,
			  s->in_rcv);
	} else if (!(flags & S)) {
		FZ_EXPECT(f, toytcp_seq_after_eq(seq, s->snd_una - 1) &&
			  toytcp_seq_before_eq(end, s->snd_max),
			  "sent [%u, %u) (flags %#x), SND.UNA %u snd_max %u", seq, end, flags,
			  s->snd_una, s->snd_max);
	}
	if ((flags & (A | R)) == A) {
		u32 wnd = (u32)ntohs(th->window) << s->wscale;
		u32 edge = ack + wnd;

		FZ_EXPECT(f, wnd == s->rcv_wnd && s->rcv_wup == s->rcv_nxt,
			  "sent window %u, RCV.WND %u RCV.WUP %u RCV.NXT %u", wnd,
			  s->rcv_wnd, s->rcv_wup, s->rcv_nxt);
		FZ_EXPECT(f, !f->edge_set || toytcp_seq_after_eq(edge, f->edge),
			  "the window's right edge moved left, from %u to %u", f->edge, edge);
		f->edge = edge;
		f->edge_set = true;
	}
	/* the bytes the application wrote */
	for (i = 0; i < len && !f->failed; i += FZ_SCRATCH) {
		unsigned int n = min_t(unsigned int, len - i, FZ_SCRATCH), k;

		if (skb_copy_bits(skb, hl + i, f->scratch, n))
			break;
		for (k = 0; k < n; k++)
			if (f->scratch[k] != fz_our_byte(seq + i + k))
				break;
		FZ_EXPECT(f, k == n, "sent byte %u of the stream as %#x, the application wrote %#x",
			  seq + i + k - (TH_ISS + 1), f->scratch[k], fz_our_byte(seq + i + k));
	}
}

static void fz_drain(struct fz *f)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&f->out))) {
		if (!f->failed)
			fz_check_sent(f, skb);
		kfree_skb(skb);
	}
}

/* ---- the invariants of a connection (socket locked) ---- */

static void fz_check_write_queue(struct fz *f, const struct fz_snap *s)
{
	struct sock *sk = f->sk;
	u32 una = toytcp_seq_after(s->snd_una, TH_ISS) ? s->snd_una : TH_ISS + 1;
	struct sk_buff *skb, *first = skb_peek(&sk->sk_write_queue);
	unsigned int truesize = 0;
	u32 seq = first ? TOYTCP_SKB_CB(first)->seq : s->write_seq;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);

		FZ_EXPECT(f, cb->seq == seq && cb->end_seq == cb->seq + skb->len,
			  "write queue: chunk [%u, %u) of %u bytes after %u", cb->seq,
			  cb->end_seq, skb->len, seq);
		seq = cb->end_seq;
		truesize += skb->truesize;
	}
	FZ_EXPECT(f, seq == s->write_seq, "write queue ends at %u, write_seq %u", seq,
		  s->write_seq);
	FZ_EXPECT(f, truesize == sk->sk_wmem_queued, "write queue holds %u, sk_wmem_queued %d",
		  truesize, sk->sk_wmem_queued);
	if (s->state != TCP_CLOSE && toytcp_seq_before(una, s->write_seq))
		FZ_EXPECT(f, first && toytcp_seq_before_eq(TOYTCP_SKB_CB(first)->seq, una),
			  "bytes from %u on are not acknowledged, the write queue starts at %u",
			  una, first ? TOYTCP_SKB_CB(first)->seq : s->write_seq);
}

/* Every queued byte is the peer's byte at its sequence number. */
static void fz_check_bytes(struct fz *f, struct sk_buff_head *q, const char *name)
{
	struct sk_buff *skb;

	skb_queue_walk(q, skb) {
		u32 seq = TOYTCP_SKB_CB(skb)->seq;
		unsigned int i, k;

		for (i = 0; i < skb->len; i += FZ_SCRATCH) {
			unsigned int n = min_t(unsigned int, skb->len - i, FZ_SCRATCH);

			if (skb_copy_bits(skb, i, f->scratch, n))
				break;
			for (k = 0; k < n; k++)
				if (f->scratch[k] != fz_byte(seq + i + k))
					break;
			FZ_EXPECT(f, k == n, "%s: byte at %u is %#x, the peer sent %#x", name,
				  seq + i + k, f->scratch[k], fz_byte(seq + i + k));
			if (f->failed)
				return;
		}
	}
}

static void fz_check_rcv_queues(struct fz *f, const struct fz_snap *s, bool bytes)
{
	struct sock *sk = f->sk;
	struct sk_buff_head *ooo = &toytcp_sk(sk)->ooo_queue;
	unsigned int truesize = 0, n = 0;
	u32 edge = s->rcv_wup + s->rcv_wnd;
	u32 end = s->copied_seq, prev;
	struct sk_buff *skb;
	int rmem;

	/* in order: every byte from copied_seq to RCV.NXT (before a FIN), no hole */
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 seq = TOYTCP_SKB_CB(skb)->seq;

		FZ_EXPECT(f, toytcp_seq_before_eq(seq, end) &&
			  toytcp_seq_after(fz_data_end(skb), end),
			  "receive queue: [%u, %u) after %u", seq, fz_data_end(skb), end);
		end = fz_data_end(skb);
		truesize += skb->truesize;
	}
	if ((1 << s->state) & (FZ_DATA_STATES | TCPF_SYN_RECV | TCPF_SYN_SENT))
		FZ_EXPECT(f, end == s->rcv_nxt, "receive queue ends at %u, RCV.NXT %u", end,
			  s->rcv_nxt);
	else if ((1 << s->state) & FZ_FIN_STATES)
		FZ_EXPECT(f, end == s->rcv_nxt - 1,
			  "receive queue ends at %u, RCV.NXT %u after the FIN", end, s->rcv_nxt);

	/* out of order: sorted, no byte twice, after RCV.NXT, inside the window */
	skb = skb_peek(ooo);
	prev = skb ? TOYTCP_SKB_CB(skb)->seq : 0;
	skb_queue_walk(ooo, skb) {
		u32 seq = TOYTCP_SKB_CB(skb)->seq;

		if ((1 << s->state) & FZ_DATA_STATES)
			FZ_EXPECT(f, toytcp_seq_after(seq, s->rcv_nxt),
				  "out-of-order segment at %u, RCV.NXT %u", seq, s->rcv_nxt);
		FZ_EXPECT(f, toytcp_seq_after_eq(seq, prev) &&
			  toytcp_seq_before_eq(fz_data_end(skb), edge) &&
			  (skb->len || TOYTCP_SKB_CB(skb)->flags & F),
			  "out-of-order segment [%u, %u) after %u, right edge %u", seq,
			  fz_data_end(skb), prev, edge);
		prev = fz_data_end(skb);
		truesize += skb->truesize;
		n++;
	}
	f->ooo_max = max_t(unsigned long, f->ooo_max, n);

	rmem = atomic_read(&sk->sk_rmem_alloc);
	f->rmem_max = max_t(unsigned long, f->rmem_max, rmem);
	FZ_EXPECT(f, rmem == truesize, "sk_rmem_alloc %d, the queues hold %u", rmem, truesize);
	FZ_EXPECT(f, rmem <= sk->sk_rcvbuf + f->slack,
		  "sk_rmem_alloc %d over sk_rcvbuf %d + one segment (%u)", rmem, sk->sk_rcvbuf,
		  f->slack);
	if (bytes && !f->failed) {
		fz_check_bytes(f, &sk->sk_receive_queue, "receive queue");
		fz_check_bytes(f, ooo, "out-of-order queue");
	}
}

static void fz_invariants(struct fz *f, const struct fz_snap *s, bool bytes)
{
	struct sock *sk = f->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);

	f->reached |= 1 << s->state;
	FZ_EXPECT(f, (1 << s->state) & FZ_STATES, "state %d", s->state);
	FZ_EXPECT(f, toytcp_seq_before_eq(s->snd_una, s->snd_nxt) &&
		  toytcp_seq_before_eq(s->snd_nxt, s->snd_max) &&
		  toytcp_seq_before_eq(s->snd_max, s->write_seq + 1) &&
		  toytcp_seq_after_eq(s->snd_una, TH_ISS),
		  "ISS %u SND.UNA %u SND.NXT %u snd_max %u write_seq %u", TH_ISS, s->snd_una,
		  s->snd_nxt, s->snd_max, s->write_seq);
	FZ_EXPECT(f, toytcp_seq_before_eq(s->copied_seq, s->rcv_nxt),
		  "copied_seq %u after RCV.NXT %u", s->copied_seq, s->rcv_nxt);
	if ((1 << s->state) & TOYTCPF_SYNCHRONIZED) {
		FZ_EXPECT(f, toytcp_seq_before_eq(s->rcv_wup, s->rcv_nxt),
			  "RCV.WUP %u after RCV.NXT %u", s->rcv_wup, s->rcv_nxt);
		FZ_EXPECT(f, s->max_sndwnd >= s->snd_wnd, "max_sndwnd %u < SND.WND %u",
			  s->max_sndwnd, s->snd_wnd);
		FZ_EXPECT(f, tp->mss >= TOYTCP_MIN_MSS && tp->snd_cwnd >= tp->mss,
			  "MSS %u, cwnd %u", tp->mss, tp->snd_cwnd);
	}
	fz_check_write_queue(f, s);
	fz_check_rcv_queues(f, s, bytes);
	FZ_EXPECT(f, sk->sk_forward_alloc >= 0, "sk_forward_alloc %d", sk->sk_forward_alloc);
	if (s->state == TCP_CLOSE) {
		FZ_EXPECT(f, skb_queue_empty(&tp->ooo_queue) &&
			  skb_queue_empty(&sk->sk_write_queue) && !sk->sk_wmem_queued,
			  "CLOSED, yet %u out-of-order and %u unsent skbs (%d bytes) held",
			  skb_queue_len(&tp->ooo_queue), skb_queue_len(&sk->sk_write_queue),
			  sk->sk_wmem_queued);
		FZ_EXPECT(f, !timer_pending(&tp->retx_timer) &&
			  !timer_pending(&tp->persist_timer) &&
			  !timer_pending(&tp->delack_timer) &&
			  !timer_pending(&tp->keepalive_timer) &&
			  !timer_pending(&tp->tw_timer), "CLOSED with a timer running");
	}
	if (s->state == TCP_TIME_WAIT)
		FZ_EXPECT(f, timer_pending(&tp->tw_timer) ||
			  test_bit(TOYTCP_TW_DEFERRED, &tp->deferred),
			  "TIME-WAIT without its 2*MSL timer");
}

/*
 * Data waiting to be sent or acknowledged must have a timer that sends it
 * (RFC 6298 (5.1); RFC 9293 §3.8.6.1 for a zero window, §3.8.6.2.1's
 * override timeout for a window too small to send into).
 */
static bool fz_stalled(struct fz *f)
{
	struct sock *sk = f->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (!((1 << sk->sk_state) & FZ_SEND_STATES))
		return false;
	if (tp->snd_una == tp->snd_max && !toytcp_seq_before(tp->snd_nxt, tp->write_seq) &&
	    (!tp->fin_queued || tp->snd_max == tp->write_seq + 1))
		return false;
	return !timer_pending(&tp->retx_timer) && !timer_pending(&tp->persist_timer) &&
	       !test_bit(TOYTCP_RETX_DEFERRED, &tp->deferred) &&
	       !test_bit(TOYTCP_PERSIST_DEFERRED, &tp->deferred);
}

/*
 * Reported once a run, and the run goes on: the other checks still have
 * something to say about the segments after. Returns true when reported.
 */
static bool fz_check_stall(struct fz *f)
{
	struct sock *sk = f->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	bool stalled, failed = f->failed;

	if (f->stall_seen)
		return false;
	lock_sock(sk);
	stalled = fz_stalled(f);
	release_sock(sk);
	if (!stalled)
		return false;
	/* a timer may have been on its way to the lock: once more */
	lock_sock(sk);
	FZ_EXPECT(f, !fz_stalled(f),
		  "%s: SND.UNA %u SND.NXT %u snd_max %u write_seq %u%s, SND.WND %u (max %u), cwnd %u, MSS %u: no timer will send",
		  toytcp_state_name(sk->sk_state), tp->snd_una, tp->snd_nxt, tp->snd_max,
		  tp->write_seq, tp->fin_queued ? " + FIN" : "", tp->snd_wnd, tp->max_sndwnd,
		  tp->snd_cwnd, tp->mss);
	release_sock(sk);
	f->stall_seen = f->failed;
	f->failed = failed;
	return f->stall_seen;
}

/* ---- what one segment may change ---- */

/* Since f->last only timers ran: they may close, not take data or ACKs. */
static void fz_timers_only(struct fz *f, const struct fz_snap *s)
{
	FZ_EXPECT(f, (s->state == f->last.state || s->state == TCP_CLOSE) &&
		  s->rcv_nxt == f->last.rcv_nxt && s->snd_una == f->last.snd_una,
		  "by timers alone %s became %s, RCV.NXT %u -> %u, SND.UNA %u -> %u",
		  toytcp_state_name(f->last.state), toytcp_state_name(s->state), f->last.rcv_nxt,
		  s->rcv_nxt, f->last.snd_una, s->snd_una);
}

static void fz_effects_syn_sent(struct fz *f, const struct fz_seg *g,
				const struct fz_snap *b, const struct fz_snap *a)
{
	bool syn = g->flags & S, ack = g->flags & A, rst = g->flags & R;
	bool ack_ok = ack && toytcp_seq_after(g->ack, TH_ISS) &&
		      toytcp_seq_before_eq(g->ack, b->snd_max);
	u16 mss = max_t(u16, min_t(u16, g->mss ? : TOYTCP_DEFAULT_MSS, TH_MSS),
			TOYTCP_MIN_MSS);

	switch (a->state) {
	case TCP_ESTABLISHED:
		FZ_EXPECT(f, syn && ack_ok && !rst && g->opts_ok && a->rcv_nxt == g->seq + 1 &&
			  a->snd_una == g->ack && a->mss == mss,
			  "SYN-SENT -> ESTABLISHED on flags %#x seq %u ack %u options %s: RCV.NXT %u SND.UNA %u MSS %u (expected %u)",
			  g->flags, g->seq, g->ack, g->opts_ok ? "ok" : "malformed", a->rcv_nxt,
			  a->snd_una, a->mss, mss);
		break;
	case TCP_SYN_RECV:
		FZ_EXPECT(f, syn && !ack && !rst && g->opts_ok && a->rcv_nxt == g->seq + 1 &&
			  a->mss == mss,
			  "SYN-SENT -> SYN-RECEIVED on flags %#x seq %u: RCV.NXT %u MSS %u",
			  g->flags, g->seq, a->rcv_nxt, a->mss);
		break;
	case TCP_CLOSE:
		FZ_EXPECT(f, rst && ack_ok, "SYN-SENT -> CLOSED on flags %#x ack %u", g->flags,
			  g->ack);
		break;
	default:
		FZ_EXPECT(f, !(rst && ack_ok) && !(syn && !rst && g->opts_ok && (!ack || ack_ok)),
			  "SYN-SENT stayed %s on flags %#x seq %u ack %u",
			  toytcp_state_name(a->state), g->flags, g->seq, g->ack);
		break;
	}
	if (ack && !ack_ok && !rst)
		FZ_EXPECT(f, f->rcv_rsts, "SYN-SENT: an unacceptable ACK %u got no reset", g->ack);
}

static void fz_effects(struct fz *f, const struct fz_seg *g, const struct fz_snap *b,
		       const struct fz_snap *a)
{
	bool syn = g->flags & S, ack = g->flags & A, rst = g->flags & R, fin = g->flags & F;
	u32 seg_len = g->len + syn + fin, b_edge = b->rcv_wup + b->rcv_wnd;
	bool ack_ok;

	if (a->state != b->state)
		f->transitions++;
	FZ_EXPECT(f, fz_next_states[b->state] & (1 << a->state), "%s -> %s",
		  toytcp_state_name(b->state), toytcp_state_name(a->state));
	FZ_EXPECT(f, toytcp_seq_after_eq(a->snd_una, b->snd_una), "SND.UNA went back: %u -> %u",
		  b->snd_una, a->snd_una);
	if (b->state == TCP_SYN_SENT) {
		fz_effects_syn_sent(f, g, b, a);
		return;
	}
	if (b->state == TCP_CLOSE) {
		FZ_EXPECT(f, a->rcv_nxt == b->rcv_nxt && a->snd_una == b->snd_una,
			  "CLOSED, yet RCV.NXT %u -> %u, SND.UNA %u -> %u", b->rcv_nxt, a->rcv_nxt,
			  b->snd_una, a->snd_una);
		return;
	}
	FZ_EXPECT(f, toytcp_seq_after_eq(a->rcv_nxt, b->rcv_nxt), "RCV.NXT went back: %u -> %u",
		  b->rcv_nxt, a->rcv_nxt);
	FZ_EXPECT(f, toytcp_seq_after_eq(a->rcv_wup + a->rcv_wnd, b_edge),
		  "the window's right edge moved left: %u -> %u", b_edge, a->rcv_wup + a->rcv_wnd);

	/* first: out of the window, nothing changes but an ACK goes back */
	if (!fz_acceptable(g->seq, seg_len, b->rcv_nxt, fz_wnd(b)) &&
	    !(b->state == TCP_SYN_RECV && syn && !rst && !ack && g->seq == b->irs)) {
		FZ_EXPECT(f, a->state == b->state && a->rcv_nxt == b->rcv_nxt &&
			  a->snd_una == b->snd_una,
			  "an unacceptable segment changed %s (RCV.NXT %u, window %u) to %s, RCV.NXT %u, SND.UNA %u",
			  toytcp_state_name(b->state), b->rcv_nxt, fz_wnd(b),
			  toytcp_state_name(a->state), a->rcv_nxt, a->snd_una);
		if (!rst)
			FZ_EXPECT(f, f->rcv_acks, "an unacceptable segment got no ACK");
		return;
	}
	if (a->state == TCP_CLOSE && b->state != TCP_CLOSE) {
		f->closed++;
		FZ_EXPECT(f, (rst && g->seq == b->rcv_nxt) ||
			  (b->state == TCP_LAST_ACK && ack && !rst && !syn &&
			   a->snd_una == a->write_seq + 1),
			  "%s closed by flags %#x seq %u (RCV.NXT %u) ack %u",
			  toytcp_state_name(b->state), g->flags, g->seq, b->rcv_nxt, g->ack);
	}
	/* RFC 5961 §3.2 and §4: a reset not exactly at RCV.NXT, or a SYN, changes nothing */
	if ((rst && g->seq != b->rcv_nxt) || (syn && !rst))
		FZ_EXPECT(f, a->state == b->state && a->rcv_nxt == b->rcv_nxt &&
			  a->snd_una == b->snd_una,
			  "flags %#x at %u (RCV.NXT %u) changed %s to %s, RCV.NXT %u, SND.UNA %u",
			  g->flags, g->seq, b->rcv_nxt, toytcp_state_name(b->state),
			  toytcp_state_name(a->state), a->rcv_nxt, a->snd_una);

	if (b->state == TCP_SYN_RECV)
		ack_ok = toytcp_seq_after(g->ack, b->snd_una) &&
			 toytcp_seq_before_eq(g->ack, b->snd_max);
	else	/* RFC 5961 §5.2: not after SND.MAX, not before SND.UNA - MAX.SND.WND */
		ack_ok = toytcp_seq_before_eq(g->ack, b->snd_max) &&
			 toytcp_seq_after_eq(g->ack, b->snd_una - b->max_sndwnd);
	if (a->rcv_nxt != b->rcv_nxt) {
		f->data_in++;
		FZ_EXPECT(f, ack && !syn && !rst && ack_ok &&
			  (1 << b->state) & (FZ_DATA_STATES | TCPF_SYN_RECV),
			  "RCV.NXT moved %u -> %u in %s on flags %#x ack %u (SND.UNA %u snd_max %u max window %u)",
			  b->rcv_nxt, a->rcv_nxt, toytcp_state_name(b->state), g->flags, g->ack,
			  b->snd_una, b->snd_max, b->max_sndwnd);
		FZ_EXPECT(f, toytcp_seq_before_eq(a->rcv_nxt, b_edge + 1),
			  "RCV.NXT %u beyond the window's right edge %u", a->rcv_nxt, b_edge);
		/* and acknowledged: now, or by the delayed-ACK timer */
		FZ_EXPECT(f, (f->rcv_acks && f->rcv_last_ack == a->rcv_nxt) ||
			  timer_pending(&toytcp_sk(f->sk)->delack_timer) ||
			  test_bit(TOYTCP_DELACK_DEFERRED, &toytcp_sk(f->sk)->deferred),
			  "RCV.NXT moved to %u, and no ACK of it went out or waits (last ACK sent: %u)",
			  a->rcv_nxt, f->rcv_acks ? f->rcv_last_ack : 0);
	}
	if (a->snd_una != b->snd_una) {
		f->acked++;
		FZ_EXPECT(f, ack && !syn && !rst && a->snd_una == g->ack &&
			  toytcp_seq_before_eq(g->ack, b->snd_max),
			  "SND.UNA moved %u -> %u on flags %#x ack %u (snd_max %u)", b->snd_una,
			  a->snd_una, g->flags, g->ack, b->snd_max);
	}
	if ((1 << b->state) & FZ_FIN_STATES)
		FZ_EXPECT(f, a->rcv_nxt == b->rcv_nxt, "RCV.NXT moved after the peer's FIN (%s)",
			  toytcp_state_name(b->state));
	/*
	 * In-order data inside the window we offered, with an acceptable ACK,
	 * must find room (toytcp_rmem_charge()). Not if the buffer was shrunk
	 * under the offer, unless nothing in order is queued: then only
	 * out-of-order data is in the way, and that can go.
	 */
	if (ack && !syn && !rst && ack_ok && g->len && g->seq == b->rcv_nxt && fz_wnd(b) &&
	    (1 << b->state) & FZ_DATA_STATES && (!f->small_buf || !b->rq_len))
		FZ_EXPECT(f, toytcp_seq_after(a->rcv_nxt, b->rcv_nxt),
			  "%u bytes at RCV.NXT %u inside the window (%u) refused; %u skbs queued in order (%u after), sk_rmem_alloc %d of %d",
			  g->len, b->rcv_nxt, fz_wnd(b), b->rq_len, a->rq_len,
			  atomic_read(&f->sk->sk_rmem_alloc), f->sk->sk_rcvbuf);
}

/* ---- building a segment ---- */

/*
 * Options at @p, @room bytes: every kind toytcp knows and some it does
 * not, and unless @polite, malformed ones: length 0 or 1, past the end, an
 * MSS option of an odd length, garbage after EOL.
 */
static void fz_options(struct fz *f, u8 *p, unsigned int room, bool polite)
{
	static const u16 mss_values[] = { 0, 1, 87, 88, 89, 536, 999, 1000, 1001, 1460,
					  65535 };
	static const u8 odd_lengths[] = { 0, 1, 2, 3, 5, 6, 8, 40, 255 };
	unsigned int i = 0, k;

	while (i < room) {
		unsigned int left = room - i, n;
		u8 o[40];

		switch (fz_below(f, polite ? 4 : 12)) {
		case 0:		/* MSS */
			o[0] = TOYTCP_OPT_MSS;
			o[1] = TOYTCP_OPT_MSS_LEN;
			put_unaligned_be16(fz_one_in(f, 4) ? fz_rand(f) :
					   mss_values[fz_below(f, ARRAY_SIZE(mss_values))], o + 2);
			n = 4;
			if (polite && left < n) {
				memset(p + i, TOYTCP_OPT_NOP, left);
				return;
			}
			break;
		case 1:
			o[0] = TOYTCP_OPT_NOP;
			n = 1;
			break;
		case 2:		/* window scale, SACK permitted, timestamps */
			n = 3 + fz_below(f, 3);
			n = n == 5 ? 10 : n == 4 ? 2 : 3;
			o[0] = n == 10 ? 8 : n == 2 ? 4 : 3;
			o[1] = n;
			memset(o + 2, fz_rand(f), n - 2);
			if (polite && left < n) {
				memset(p + i, TOYTCP_OPT_NOP, left);
				return;
			}
			break;
		case 3:		/* end of the list */
			memset(p + i, TOYTCP_OPT_EOL, left);
			return;
		case 4:		/* garbage after EOL */
			p[i] = TOYTCP_OPT_EOL;
			while (++i < room)
				p[i] = fz_rand(f);
			return;
		case 5:
		case 6:		/* MSS of an odd length */
			o[0] = TOYTCP_OPT_MSS;
			o[1] = odd_lengths[fz_below(f, ARRAY_SIZE(odd_lengths))];
			n = clamp_t(unsigned int, o[1], 2, sizeof(o));
			memset(o + 2, fz_rand(f), n - 2);
			break;
		case 7:		/* SACK blocks */
			n = 2 + 8 * (1 + fz_below(f, 4));
			o[0] = 5;
			o[1] = n;
			for (k = 2; k < n; k++)
				o[k] = fz_rand(f);
			break;
		case 8:		/* a kind nobody knows */
			n = 2 + fz_below(f, min(left, 38u));
			o[0] = 9 + fz_below(f, 247);
			o[1] = n;
			memset(o + 2, fz_rand(f), n - 2);
			break;
		case 9:		/* length 0 or 1 */
			o[0] = 2 + fz_below(f, 254);
			o[1] = fz_below(f, 2);
			n = 2;
			break;
		case 10:	/* past the end */
			o[0] = fz_below(f, 2) ? TOYTCP_OPT_MSS : 2 + fz_below(f, 254);
			o[1] = left + 1 + fz_below(f, 8);
			n = 2;
			break;
		default:	/* random bytes */
			n = 1 + fz_below(f, min(left, 8u));
			for (k = 0; k < n; k++)
				o[k] = fz_rand(f);
			break;
		}
		n = min(n, left);	/* cut at the end: malformed too */
		memcpy(p + i, o, n);
		i += n;
	}
}

static u16 fz_window(struct fz *f)
{
	switch (fz_below(f, 10)) {
	case 0:
		return 0;
	case 1:
		return 1 + fz_below(f, 1000);
	case 2:
	case 3:
		return fz_rand(f);
	default:
		return U16_MAX;
	}
}

static unsigned int fz_len(struct fz *f)
{
	switch (fz_below(f, 20)) {
	case 0 ... 7:
		return 0;
	case 8 ... 12:
		return 1 + fz_below(f, 16);
	case 13 ... 17:
		return 1 + fz_below(f, TH_MSS);
	default:
		return 1 + fz_below(f, FZ_MAX_DATA);
	}
}

static const u8 fz_flag_sets[] = {
	A, A, A | P, A | F, A | F | P, F, S, S | A, R, R | A, S | F, S | F | R, S | R,
	F | R, R | A | F, A | U, 0, S | A | F, S | A | R, A | 0x40 | 0x80, 0xff, 0x3f,
};

/* A segment an honest peer could send now. */
static void fz_gen_peer(struct fz *f, struct fz_seg *g, const struct fz_snap *s)
{
	u32 wnd = fz_wnd(s);

	g->how = "peer";
	g->polite = true;
	switch (s->state) {
	case TCP_SYN_SENT:	/* SYN-ACK (or a SYN: simultaneous open), with options */
		g->flags = fz_one_in(f, 4) ? S : S | A;
		g->seq = fz_one_in(f, 2) ? TH_IRS : fz_rand(f);
		g->ack = s->snd_una + 1;
		g->len = fz_one_in(f, 4) ? g->len : 0;
		g->doff = 5 + fz_below(f, 11);
		return;
	case TCP_SYN_RECV:	/* the handshake's ACK */
		g->flags = fz_one_in(f, 4) ? A | P : A;
		g->seq = s->rcv_nxt;
		g->ack = s->snd_max;
		g->len = min(g->len, wnd);
		return;
	}
	g->flags = A;
	if (fz_one_in(f, 3))
		g->flags |= P;
	if (fz_one_in(f, 16))
		g->flags |= F;
	g->ack = s->snd_una + fz_below(f, s->snd_max - s->snd_una + 1);
	g->seq = s->rcv_nxt;
	if (f->ofo_case && fz_one_in(f, 3))
		g->len = fz_one_in(f, 2) ? 1 : 1 + fz_below(f, TH_MSS);
	if (wnd > 1 && (fz_one_in(f, 3) || (f->ofo_case && !fz_one_in(f, 3)))) {
		/* after a hole */
		g->seq += 1 + fz_below(f, wnd - 1);
		wnd = s->rcv_nxt + wnd - g->seq;
	}
	if (fz_one_in(f, 8))
		g->len = wnd;	/* up to the right edge */
	g->len = min3(g->len, wnd, (u32)FZ_MAX_DATA);
}

/*
 * An honest sender with much to send and a receiver that never reads: in
 * order up to the right edge we offered (sometimes after a hole, sometimes
 * again), then zero-window probes.
 */
static void fz_gen_fill(struct fz *f, struct fz_seg *g, const struct fz_snap *s)
{
	u32 edge = s->rcv_wup + s->rcv_wnd;
	u32 room = toytcp_seq_after(edge, s->rcv_nxt) ? edge - s->rcv_nxt : 0;

	g->how = "fill";
	g->polite = true;
	g->flags = fz_one_in(f, 3) ? A | P : A;
	g->ack = s->snd_una;
	g->seq = s->rcv_nxt;
	switch (fz_below(f, 8)) {
	case 0:		/* after a hole */
		if (room > 1) {
			g->seq += 1 + fz_below(f, room - 1);
			room = edge - g->seq;
		}
		break;
	case 1:		/* again, and on beyond */
		room += fz_below(f, 2000);
		g->seq = edge - room;
		break;
	}
	switch (fz_below(f, 4)) {
	case 0:
		g->len = 1;
		break;
	case 1:
		g->len = 1 + fz_below(f, TH_MSS);
		break;
	default:
		g->len = 1 + fz_below(f, FZ_MAX_DATA);
		break;
	}
	g->len = min(g->len, room);
	if (!room && fz_one_in(f, 2))
		g->len = 1;	/* a zero-window probe with a byte in it */
}

/* A segment at the edges: any flags, numbers just in and just out. */
static void fz_gen_edge(struct fz *f, struct fz_seg *g, const struct fz_snap *s)
{
	u32 base = s->state == TCP_SYN_SENT ? TH_IRS : s->rcv_nxt;
	u32 edge = s->state == TCP_SYN_SENT ? TH_IRS + U16_MAX : s->rcv_wup + s->rcv_wnd;

	g->how = "edge";
	if (fz_one_in(f, 2))
		g->flags = fz_flag_sets[fz_below(f, ARRAY_SIZE(fz_flag_sets))];
	else if (fz_one_in(f, 2))
		g->flags = A | (fz_rand(f) & fz_rand(f));
	else
		g->flags = fz_rand(f);

	switch (fz_below(f, 11)) {
	case 0 ... 2:
		g->seq = base + fz_near(f);
		break;
	case 3:
		g->seq = edge + fz_near(f);
		break;
	case 4:
		g->seq = edge - g->len + fz_near(f);	/* ending at the right edge */
		break;
	case 5:
		g->seq = base + fz_below(f, fz_wnd(s) + 1);
		break;
	case 6:
		g->seq = base - g->len + fz_near(f);	/* old data ending at RCV.NXT */
		break;
	case 7:
		g->seq = s->irs + fz_near(f);
		break;
	case 8:
		g->seq = base + 0x80000000u + fz_near(f);
		break;
	default:
		g->seq = fz_rand(f);
		break;
	}
	switch (fz_below(f, 11)) {
	case 0:
		g->ack = s->snd_una + fz_near(f);
		break;
	case 1:
		g->ack = s->snd_nxt + fz_near(f);
		break;
	case 2:
	case 3:
		g->ack = s->snd_max + (fz_one_in(f, 2) ? 0 : fz_near(f));
		break;
	case 4:
		g->ack = s->write_seq + 1 + fz_near(f);
		break;
	case 5:		/* RFC 5961 §5.2's lower bound */
		g->ack = s->snd_una - s->max_sndwnd + fz_near(f);
		break;
	case 6:
		g->ack = s->snd_una + fz_below(f, s->snd_max - s->snd_una + 1);
		break;
	case 7:
		g->ack = TH_ISS + fz_near(f);
		break;
	case 8:
		g->ack = s->snd_una + 0x80000000u + fz_near(f);
		break;
	default:
		g->ack = fz_rand(f);
		break;
	}
	g->polite = fz_one_in(f, 2);
	g->doff = 5;
	if (fz_one_in(f, 3))
		g->doff += 1 + fz_below(f, 10);
}

/* Flip 1 to 4 bits of the TCP header and its options, but not the data offset. */
static void fz_mutate(struct fz *f, u8 *th, unsigned int hlen)
{
	unsigned int n = 1 + fz_below(f, 4);

	while (n--) {
		unsigned int pos = 4 + fz_below(f, hlen - 4), bit = fz_below(f, 8);

		if (pos == 12 && bit >= 4)
			bit -= 4;
		th[pos] ^= 1 << bit;
	}
}

/*
 * Lay the segment out in f->raw: IPv4 header, TCP header and options,
 * data. What the header says after mutation goes back into @g. Returns the
 * bytes.
 */
static unsigned int fz_layout(struct fz *f, struct fz_seg *g)
{
	struct iphdr *iph = (struct iphdr *)f->raw;
	u8 *th = f->raw + g->ihl;
	unsigned int tcplen, i;
	__sum16 check;
	u32 dseq;

	memset(f->raw, 0, g->ihl + g->hlen);
	put_unaligned_be16(80, th);
	put_unaligned_be16(40000, th + 2);
	put_unaligned_be32(g->seq, th + 4);
	put_unaligned_be32(g->ack, th + 8);
	th[12] = g->doff << 4;
	if (fz_one_in(f, 16))
		th[12] |= fz_below(f, 16);	/* reserved bits, AE */
	th[13] = g->flags;
	put_unaligned_be16(g->window, th + 14);
	if (g->flags & U)
		put_unaligned_be16(fz_rand(f), th + 18);
	if (g->hlen > sizeof(struct tcphdr))
		fz_options(f, th + sizeof(struct tcphdr), g->hlen - sizeof(struct tcphdr),
			   g->polite);
	if (g->mutate) {
		fz_mutate(f, th, g->hlen);
		g->how = "mutated";
	}
	g->seq = get_unaligned_be32(th + 4);
	g->ack = get_unaligned_be32(th + 8);
	g->flags = th[13];
	g->window = get_unaligned_be16(th + 14);
	g->opts_ok = g->doff >= 5 && g->doff * 4 <= g->hlen &&
		     fz_parse_opts(th + sizeof(struct tcphdr), g->doff * 4 - sizeof(struct tcphdr),
				   &g->mss);

	/* the data: the peer's stream, which after a SYN starts at SEQ + 1 */
	dseq = g->seq + !!(g->flags & S);
	for (i = 0; i < g->len; i++)
		th[g->hlen + i] = fz_byte(dseq + i);
	tcplen = g->hlen + g->len;
	check = csum_tcpudp_magic(FZ_PEER_ADDR, FZ_OUR_ADDR, tcplen, IPPROTO_TCP,
				  csum_partial(th, tcplen, 0));
	if (g->bad_csum)
		check = (__force __sum16)((__force u16)check ^ (1 << fz_below(f, 16)));
	memcpy(th + 16, &check, sizeof(check));

	iph->version = 4;
	iph->ihl = g->ihl / 4;
	iph->tot_len = htons(g->ihl + tcplen);
	iph->id = htons(fz_rand(f));
	iph->frag_off = htons(IP_DF);
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = FZ_PEER_ADDR;
	iph->daddr = FZ_OUR_ADDR;
	memset(iph + 1, 1, g->ihl - sizeof(*iph));	/* IP options: NOPs */
	iph->check = ip_fast_csum(iph, iph->ihl);
	return g->ihl + tcplen;
}

/* What toytcp_segment_check() must say about f->raw. */
static int fz_verdict(struct fz *f, const struct fz_seg *g)
{
	unsigned int tcplen = g->hlen + g->len;
	__wsum sum;

	if (g->doff < 5 || g->doff * 4 > tcplen)
		return -EINVAL;
	sum = csum_tcpudp_nofold(FZ_PEER_ADDR, FZ_OUR_ADDR, tcplen, IPPROTO_TCP, 0);
	sum = csum_partial(f->raw + g->ihl, tcplen, sum);
	return (__force u16)csum_fold(sum) ? -EBADMSG : 0;
}

/*
 * An skb as a driver would hand it up: the IPv4 header linear, the rest
 * linear too or partly in page fragments (the TCP header may be cut),
 * skb->data at the TCP header, the network header set.
 */
static struct sk_buff *fz_skb(struct fz *f, const struct fz_seg *g, unsigned int total)
{
	unsigned int lin = total, head = NET_SKB_PAD + fz_below(f, 64);
	unsigned int tail = fz_one_in(f, 2) ? fz_below(f, 2048) : 0;
	struct sk_buff *skb;
	int frag = 0;

	if (total > g->ihl && fz_one_in(f, 4))
		lin = g->ihl + fz_below(f, total - g->ihl + 1);
	skb = alloc_skb(head + lin + tail, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, head);
	skb_put_data(skb, f->raw, lin);
	while (lin < total) {
		unsigned int n = total - lin, off;
		struct page *page;

		if (frag < 2)
			n = min(n, 1 + fz_below(f, 1500));
		page = alloc_page(GFP_KERNEL);
		if (!page) {
			kfree_skb(skb);
			return NULL;
		}
		off = fz_below(f, PAGE_SIZE - n + 1);
		memcpy(page_address(page) + off, f->raw + lin, n);
		skb_add_rx_frag(skb, frag++, page, off, n,
				n <= PAGE_SIZE / 2 && fz_one_in(f, 2) ? PAGE_SIZE / 2 : PAGE_SIZE);
		lin += n;
	}
	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	skb_reset_network_header(skb);
	__skb_pull(skb, g->ihl);
	return skb;
}

static void fz_dump(struct fz *f, const struct fz_seg *g, const struct fz_snap *b)
{
	kunit_err(f->test,
		  "seed %#llx run %d seg %d: %s segment flags %#x seq %u (RCV.NXT%+d) ack %u (SND.UNA%+d) win %u doff %u (%u header bytes) len %u%s (truesize %u, %u page fragments), to %s: SND.UNA %u SND.NXT %u snd_max %u write_seq %u SND.WND %u max %u RCV.NXT %u window %u, sk_rcvbuf %d%s",
		  f->seed, f->run, f->seg, g->how, g->flags, g->seq, (s32)(g->seq - b->rcv_nxt),
		  g->ack, (s32)(g->ack - b->snd_una), g->window, g->doff, g->hlen, g->len,
		  g->bad_csum ? " bad checksum" : "", g->truesize, g->frags,
		  toytcp_state_name(b->state), b->snd_una,
		  b->snd_nxt, b->snd_max, b->write_seq, b->snd_wnd, b->max_sndwnd, b->rcv_nxt,
		  fz_wnd(b), f->sk->sk_rcvbuf, f->dead ? ", orphan" : "");
}

/*
 * Send @g: lay it out, run the parser, and if it takes it, deliver it and
 * check everything. @g->seq etc. may change (mutation).
 */
static void fz_send(struct fz *f, struct fz_seg *g)
{
	unsigned int total = fz_layout(f, g);
	int expect = fz_verdict(f, g), err;
	struct sk_buff *skb, *tap = NULL;
	struct sock *sk = f->sk;
	struct fz_snap b, a;

	f->segs++;
	skb = fz_skb(f, g, total);
	if (!skb) {
		KUNIT_FAIL(f->test, "no memory for a segment");
		f->failed = true;
		return;
	}
	if (fz_one_in(f, 10)) {
		/* someone else (a tap) reads the same bytes: they must not change */
		tap = skb;
		skb = skb_clone(tap, GFP_KERNEL);
		if (!skb) {
			skb = tap;
			tap = NULL;
		}
	}
	g->truesize = skb->truesize;
	g->frags = skb_shinfo(skb)->nr_frags;
	err = toytcp_segment_check(sock_net(sk), skb);
	FZ_EXPECT(f, err == expect, "toytcp_segment_check() said %d, not %d", err, expect);
	if (err) {
		f->bad_hdr += err == -EINVAL;
		f->bad_csum += err == -EBADMSG;
		kfree_skb(skb);
		goto out;
	}
	toytcp_segment_pull(skb);
	f->slack = max(f->slack, skb->truesize);
	f->delivered++;

	lock_sock(sk);
	fz_snap(f, &b);
	fz_timers_only(f, &b);
	f->rcv_acks = 0;
	f->rcv_rsts = 0;
	f->in_ack = g->ack;
	f->in_rcv = true;
	toytcp_rcv_segment(sk, skb);
	f->in_rcv = false;
	fz_snap(f, &a);
	fz_effects(f, g, &b, &a);
	fz_invariants(f, &a, f->seg < 0 || !(f->seg % 8));
	f->last = a;
	release_sock(sk);
	fz_drain(f);
	if (f->failed || fz_check_stall(f))
		fz_dump(f, g, &b);
out:
	if (tap) {
		unsigned int len = total - g->ihl, n = min_t(unsigned int, len, FZ_SCRATCH);

		FZ_EXPECT(f, tap->len == len && !skb_copy_bits(tap, 0, f->scratch, n) &&
			  !memcmp(f->scratch, f->raw + g->ihl, n),
			  "the module wrote into a segment it shares with a clone");
		kfree_skb(tap);
	}
}

/*
 * The virtual clock: one of the connection's running timers expires now
 * (th_fire()), retransmission, zero-window probe or delayed ACK, or
 * rarely the end of TIME-WAIT. Checked as after a segment.
 */
static void fz_tick(struct fz *f)
{
	struct toytcp_sock *tp = toytcp_sk(f->sk);
	struct timer_list *timer;
	struct fz_snap s;
	int bit;

	switch (fz_below(f, 10)) {
	case 0 ... 3:
		bit = TOYTCP_RETX_DEFERRED;
		timer = &tp->retx_timer;
		break;
	case 4 ... 6:
		bit = TOYTCP_PERSIST_DEFERRED;
		timer = &tp->persist_timer;
		break;
	case 7 ... 8:
		bit = TOYTCP_DELACK_DEFERRED;
		timer = &tp->delack_timer;
		break;
	default:
		bit = TOYTCP_TW_DEFERRED;
		timer = &tp->tw_timer;
		if (!fz_one_in(f, 4))
			return;
		break;
	}
	if (!timer_pending(timer))
		return;
	f->fired++;
	th_fire(f->t, bit);
	lock_sock(f->sk);
	fz_snap(f, &s);
	fz_timers_only(f, &s);
	fz_invariants(f, &s, false);
	f->last = s;
	release_sock(f->sk);
	fz_drain(f);
	if (f->failed)
		kunit_err(f->test, "seed %#llx run %d seg %d: after timer %d fired in %s",
			  f->seed, f->run, f->seg, bit, toytcp_state_name(s.state));
}

/* One random segment, a timer now and then. */
static void fz_one(struct fz *f)
{
	struct sock *sk = f->sk;
	struct fz_seg g = {};
	struct fz_snap s;

	if (fz_one_in(f, 6)) {
		fz_tick(f);
		if (f->failed)
			return;
	}
	lock_sock(sk);
	fz_snap(f, &s);
	release_sock(sk);

	g.ihl = fz_one_in(f, 10) ? 24 + 4 * fz_below(f, 10) : sizeof(struct iphdr);
	g.window = fz_window(f);
	g.len = fz_len(f);
	g.doff = 5;
	if (f->fill_case && !fz_one_in(f, 8))
		fz_gen_fill(f, &g, &s);
	else if (fz_below(f, 10) < (s.state == TCP_SYN_SENT ? 4 : f->ofo_case ? 7 : 3))
		fz_gen_peer(f, &g, &s);
	else
		fz_gen_edge(f, &g, &s);
	g.mutate = fz_one_in(f, 5);
	g.bad_csum = fz_one_in(f, 12);
	g.hlen = g.doff * 4;
	switch (fz_below(f, 20)) {
	case 0:		/* data offset too small */
		g.doff = fz_below(f, 5);
		g.hlen = sizeof(struct tcphdr);
		break;
	case 1:		/* the header runs past the end */
		g.doff = 6 + fz_below(f, 10);
		g.hlen = sizeof(struct tcphdr) + fz_below(f, g.doff * 4 - sizeof(struct tcphdr));
		g.len = 0;
		break;
	}
	fz_send(f, &g);
}

/* A well-formed segment, for the setup. */
static void fz_inject(struct fz *f, u8 flags, u32 seq, u32 ack, unsigned int len)
{
	struct fz_seg g = {
		.flags = flags, .seq = seq, .ack = ack, .window = U16_MAX, .doff = 5,
		.ihl = sizeof(struct iphdr), .hlen = sizeof(struct tcphdr), .len = len,
		.polite = true, .how = "setup",
	};

	if (!f->failed)
		fz_send(f, &g);
}

static struct fz_snap fz_now(struct fz *f)
{
	struct fz_snap s;

	lock_sock(f->sk);
	fz_snap(f, &s);
	release_sock(f->sk);
	return s;
}

/* ---- bringing a connection to its state ---- */

/* Out-of-order data: 1 to 4 segments after a hole. */
static void fz_queue_ooo(struct fz *f)
{
	int n = 1 + fz_below(f, 4);
	struct fz_snap s = fz_now(f);
	u32 reach = min_t(u32, fz_wnd(&s) / 2, f->small_buf ? 3000 : 30000);

	while (n--) {
		u32 seq = s.rcv_nxt + 1 + fz_below(f, reach);
		unsigned int len = 1 + fz_below(f, TH_MSS);

		fz_inject(f, A, seq, s.snd_una, len);
		if (toytcp_seq_after(seq + len, f->ooo_end))
			f->ooo_end = seq + len;
	}
}

/* The peer acknowledges what was sent, until @until is, or nothing more goes. */
static void fz_ack_until(struct fz *f, u32 until)
{
	int i;

	for (i = 0; i < 64 && !f->failed; i++) {
		struct fz_snap s = fz_now(f);

		if (toytcp_seq_after_eq(s.snd_una, until) || s.snd_una == s.snd_max)
			break;
		fz_inject(f, A, s.rcv_nxt, min_t(u32, s.snd_max - s.snd_una, until - s.snd_una) +
			  s.snd_una, 0);
	}
}

/* Have our FIN sent, acknowledging data (not the FIN) until it is. */
static void fz_until_fin_sent(struct fz *f)
{
	int i;

	for (i = 0; i < 64 && !f->failed; i++) {
		struct fz_snap s = fz_now(f);

		if (s.snd_max == s.write_seq + 1)
			break;
		fz_inject(f, A, s.rcv_nxt, s.snd_max, 0);
	}
}

/* The peer's FIN after the data that fills any hole; it acknowledges @ack. */
static void fz_peer_fin(struct fz *f, bool ack_all)
{
	struct fz_snap s;
	int i;

	for (i = 0; i < 64 && !f->failed; i++) {
		s = fz_now(f);
		if (!f->ooo_end || toytcp_seq_after_eq(s.rcv_nxt, f->ooo_end))
			break;
		fz_inject(f, A, s.rcv_nxt, s.snd_una, min_t(u32, f->ooo_end - s.rcv_nxt, TH_MSS));
	}
	s = fz_now(f);
	fz_inject(f, A | F, s.rcv_nxt, ack_all ? s.write_seq + 1 : s.snd_una, 0);
}

/* The application closes: FIN after the data. */
static void fz_close(struct fz *f)
{
	lock_sock(f->sk);
	toytcp_send_fin(f->sk);
	fz_snap(f, &f->last);
	release_sock(f->sk);
	fz_drain(f);
}

static void fz_setup(struct fz *f)
{
	struct kunit *test = f->test;
	int want = f->start;
	struct sock *sk;

	f->written = 0;
	f->ooo_end = 0;
	f->slack = 0;
	f->edge_set = false;
	f->stall_seen = false;
	f->small_buf = f->ofo_case || (!f->fill_case && fz_one_in(f, 8));
	f->dead = fz_one_in(f, 6);
	f->t = th_conn(test, want == TCP_SYN_SENT || want == TCP_SYN_RECV ?
		       want : TCP_ESTABLISHED);
	sk = f->t->sk;
	lock_sock(sk);
	WRITE_ONCE(f->sk, sk);
	toytcp_sk(sk)->xmit = fz_capture;
	if (f->small_buf)
		sk->sk_rcvbuf = FZ_SMALL_RCVBUF;	/* under the 64 KB window offered */
	if (f->fill_case) {
		/* a buffer of 8 to 256 KB, and the window its SYN-ACK offered */
		sk->sk_rcvbuf = 8192 << fz_below(f, 6);
		toytcp_sk(sk)->rcv_wnd = min_t(u32, sk->sk_rcvbuf / 2, U16_MAX);
	}
	if (f->dead)
		sock_set_flag(sk, SOCK_DEAD);
	fz_snap(f, &f->last);
	release_sock(sk);
	if (want != TCP_SYN_SENT) {
		f->edge = f->last.rcv_wup + f->last.rcv_wnd;
		f->edge_set = true;
	}
	if (want == TCP_SYN_SENT || want == TCP_SYN_RECV)
		return;

	if (fz_one_in(f, 2)) {
		f->written = 1 + fz_below(f, FZ_MAX_WRITE);
		th_write(f->t, f->written);
		fz_drain(f);
	}
	if (f->ofo_case || fz_one_in(f, 3))
		fz_queue_ooo(f);

	switch (want) {
	case TCP_FIN_WAIT1:
		fz_close(f);
		break;
	case TCP_FIN_WAIT2:
		fz_close(f);
		fz_ack_until(f, f->last.write_seq + 1);
		break;
	case TCP_CLOSE_WAIT:
		fz_peer_fin(f, false);
		break;
	case TCP_LAST_ACK:
		fz_peer_fin(f, false);
		fz_close(f);
		break;
	case TCP_CLOSING:
		fz_close(f);
		fz_until_fin_sent(f);
		fz_peer_fin(f, false);
		break;
	case TCP_TIME_WAIT:
		fz_close(f);
		switch (fz_below(f, 3)) {
		case 0:		/* FIN-WAIT-2, then the peer's FIN */
			fz_ack_until(f, f->last.write_seq + 1);
			fz_peer_fin(f, false);
			break;
		case 1:		/* CLOSING, then the ACK of our FIN */
			fz_until_fin_sent(f);
			fz_peer_fin(f, false);
			fz_inject(f, A, f->last.rcv_nxt, f->last.write_seq + 1, 0);
			break;
		default:	/* FIN and the ACK of ours in one segment */
			fz_until_fin_sent(f);
			fz_peer_fin(f, true);
			break;
		}
		break;
	}
	if (!f->failed)
		FZ_EXPECT(f, f->last.state == want, "the setup reached %s, not %s",
			  toytcp_state_name(f->last.state), toytcp_state_name(want));
}

/* Counters the summary shows: what the segments made the module do. */
static const enum toytcp_mib fz_mibs[] = {
	TOYTCP_MIB_INUNACCEPTABLE, TOYTCP_MIB_OUTOFORDER, TOYTCP_MIB_OFOPRUNED,
	TOYTCP_MIB_RCVCOLLAPSED, TOYTCP_MIB_RCVBUFDROPS, TOYTCP_MIB_CHALLENGEACK,
	TOYTCP_MIB_OLDACKDROPS,
};

static void fz_end_run(struct fz *f)
{
	WRITE_ONCE(f->sk, NULL);
	th_exit(f->test);
	fz_drain(f);
	f->t = NULL;
}

/**
 * fz_case() - fuzz connections that start in @state.
 * @test: the test.
 * @state: TCP_* state each connection is brought to first.
 * @ofo_case: a 16 KB receive buffer and scattered out-of-order data.
 * @fill_case: buffers of 8 to 256 KB, and a peer that fills the window.
 */
static void fz_case(struct kunit *test, int state, bool ofo_case, bool fill_case)
{
	struct fz *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	long mib[ARRAY_SIZE(fz_mibs)];
	int run, i, closed;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->raw = kunit_kzalloc(test, FZ_RAW_SIZE, GFP_KERNEL);
	f->scratch = kunit_kzalloc(test, FZ_SCRATCH, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->raw);
	KUNIT_ASSERT_NOT_NULL(test, f->scratch);
	f->test = test;
	f->start = state;
	f->ofo_case = ofo_case;
	f->fill_case = fill_case;
	f->seed = fz_mix(FZ_SEED ^ ((u64)state << 8 | fill_case << 1 | ofo_case));
	skb_queue_head_init(&f->out);
	WRITE_ONCE(fz_current, f);
	for (i = 0; i < ARRAY_SIZE(fz_mibs); i++)
		mib[i] = toytcp_read_stat(&init_net, fz_mibs[i]);
	kunit_info(test, "seed %#llx: %d connections from %s, %d segments each%s\n",
		   f->seed, FZ_RUNS, toytcp_state_name(state), FZ_SEGS * (ofo_case + fill_case + 1),
		   ofo_case ? ", 16 KB buffer, scattered data" :
		   fill_case ? ", the window filled" : "");

	for (run = 0; run < FZ_RUNS && f->failed_runs < FZ_FAILED_RUNS; run++) {
		if (FZ_ONLY_RUN >= 0 && run != FZ_ONLY_RUN)
			continue;
		f->run = run;
		f->seg = -1;
		f->failed = false;
		f->rng = fz_mix(f->seed + run) | 1;
		fz_setup(f);
		for (i = 0, closed = 0; i < FZ_SEGS * (ofo_case + fill_case + 1) && !f->failed &&
		     closed < 4; i++) {
			f->seg = i;
			fz_one(f);
			closed += f->last.state == TCP_CLOSE;	/* a few more, then the next */
			cond_resched();
		}
		if (!f->failed) {
			lock_sock(f->sk);
			fz_invariants(f, &f->last, true);
			release_sock(f->sk);
		}
		f->failed_runs += f->failed;
		fz_end_run(f);
	}
	kunit_info(test, "%lu segments: %lu bad header, %lu bad checksum, %lu delivered; %lu timers fired; %lu sent; %lu took data, %lu took an ACK, %lu state changes (%lu closed); out-of-order queue up to %lu skbs, sk_rmem_alloc up to %lu; states reached %#x\n",
		   f->segs, f->bad_hdr, f->bad_csum, f->delivered, f->fired, f->sent, f->data_in,
		   f->acked, f->transitions, f->closed, f->ooo_max, f->rmem_max, f->reached);
	for (i = 0; i < ARRAY_SIZE(fz_mibs); i++)
		mib[i] = toytcp_read_stat(&init_net, fz_mibs[i]) - mib[i];
	kunit_info(test, "counters: %ld unacceptable, %ld out of order, %ld pruned, %ld collapsed, %ld refused for memory, %ld challenge ACKs, %ld old ACKs\n",
		   mib[0], mib[1], mib[2], mib[3], mib[4], mib[5], mib[6]);
}

static void fz_exit(struct kunit *test)
{
	struct fz *f = READ_ONCE(fz_current);

	if (f)
		WRITE_ONCE(f->sk, NULL);
	th_exit(test);
	if (f) {
		skb_queue_purge(&f->out);
		WRITE_ONCE(fz_current, NULL);
	}
}

static void fuzz_syn_sent(struct kunit *test)
{
	fz_case(test, TCP_SYN_SENT, false, false);
}

static void fuzz_syn_recv(struct kunit *test)
{
	fz_case(test, TCP_SYN_RECV, false, false);
}

static void fuzz_established(struct kunit *test)
{
	fz_case(test, TCP_ESTABLISHED, false, false);
}

static void fuzz_fin_wait1(struct kunit *test)
{
	fz_case(test, TCP_FIN_WAIT1, false, false);
}

static void fuzz_fin_wait2(struct kunit *test)
{
	fz_case(test, TCP_FIN_WAIT2, false, false);
}

static void fuzz_close_wait(struct kunit *test)
{
	fz_case(test, TCP_CLOSE_WAIT, false, false);
}

static void fuzz_closing(struct kunit *test)
{
	fz_case(test, TCP_CLOSING, false, false);
}

static void fuzz_last_ack(struct kunit *test)
{
	fz_case(test, TCP_LAST_ACK, false, false);
}

static void fuzz_time_wait(struct kunit *test)
{
	fz_case(test, TCP_TIME_WAIT, false, false);
}

/* Scattered out-of-order data overflowing a 16 KB buffer, holes filled now and then. */
static void fuzz_ofo_small_rcvbuf(struct kunit *test)
{
	fz_case(test, TCP_ESTABLISHED, true, false);
}

/*
 * Buffers of 8 to 256 KB offering an honest window, a peer that fills it
 * in segments of any size and truesize, a receiver that never reads: what
 * was offered must be taken.
 */
static void fuzz_fill_window(struct kunit *test)
{
	fz_case(test, TCP_ESTABLISHED, false, true);
}

static struct kunit_case toytcp_fuzz_cases[] = {
	KUNIT_CASE(fuzz_syn_sent),
	KUNIT_CASE(fuzz_syn_recv),
	KUNIT_CASE(fuzz_established),
	KUNIT_CASE(fuzz_fin_wait1),
	KUNIT_CASE(fuzz_fin_wait2),
	KUNIT_CASE(fuzz_close_wait),
	KUNIT_CASE(fuzz_closing),
	KUNIT_CASE(fuzz_last_ack),
	KUNIT_CASE(fuzz_time_wait),
	KUNIT_CASE(fuzz_ofo_small_rcvbuf),
	KUNIT_CASE(fuzz_fill_window),
	{}
};

static struct kunit_suite toytcp_fuzz_suite = {
	.name = "toytcp_fuzz",
	.exit = fz_exit,
	.test_cases = toytcp_fuzz_cases,
};

kunit_test_suite(toytcp_fuzz_suite);
