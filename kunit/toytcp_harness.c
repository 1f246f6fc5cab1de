// SPDX-License-Identifier: GPL-2.0
/*
 * The state-machine harness (see toytcp_harness.h).
 */
#include <linux/tcp.h>
#include <linux/ip.h>
#include <asm/unaligned.h>
#include <net/net_namespace.h>

#include "toytcp_harness.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* The conn of the running test: KUnit runs one case at a time. */
static struct th_conn *th_current;

/* Capture instead of transmit. */
static int th_capture(struct sock *sk, struct sk_buff *skb)
{
	struct th_conn *t = th_current;

	if (!t || t->sk != sk) {
		kfree_skb(skb);
		return -EINVAL;
	}
	skb_queue_tail(&t->sent, skb);
	return 0;
}

/* Suite .exit: free the test's conn. */
void th_exit(struct kunit *test)
{
	struct th_conn *t = test->priv;
	struct sock *sk;

	if (!t)
		return;
	sk = t->sk;
	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE)
		toytcp_done(sk);
	release_sock(sk);
	sock_put(sk);
	skb_queue_purge(&t->sent);
	th_current = NULL;
	test->priv = NULL;
}
EXPORT_SYMBOL_GPL(th_exit);

/**
 * th_conn() - a control block in @state, as if its handshake had
 * happened with ISS TH_ISS and IRS TH_IRS, MSS TH_MSS both ways and a
 * 65535-byte window each way. SYN_SENT and SYN_RECV have sent only their
 * SYN (not captured).
 * @test: the test; the conn is freed by th_exit() when it ends.
 * @state: TCP_* state to start in.
 *
 * Return: the conn.
 */
struct th_conn *th_conn(struct kunit *test, int state)
{
	struct th_conn *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct toytcp_sock *tp;
	struct sock *sk;

	KUNIT_ASSERT_NOT_NULL(test, t);
	sk = toytcp_sk_alloc(&init_net, GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, sk);
	t->sk = sk;
	skb_queue_head_init(&t->sent);
	t->wnd = U16_MAX;
	test->priv = t;
	th_current = t;

	tp = toytcp_sk(sk);
	tp->xmit = th_capture;
	sk->sk_rcv_saddr = cpu_to_be32(0xc6120001);	/* 198.18.0.1:40000 */
	sk->sk_num = 40000;
	sk->sk_daddr = cpu_to_be32(0xc6120002);		/* 198.18.0.2:80 */
	sk->sk_dport = htons(80);
	sk->sk_rcvbuf = 256 * 1024;
	tp->iss = TH_ISS;
	toytcp_init_xmit(sk);
	tp->snd_nxt = TH_ISS + 1;	/* the SYN went out */
	tp->snd_max = TH_ISS + 1;
	tp->advmss = TH_MSS;
	tp->mss = TH_MSS;
	toytcp_set_state(sk, state);
	if (state == TCP_SYN_SENT)
		return t;

	tp->irs = TH_IRS;
	tp->rcv_nxt = TH_IRS + 1;
	tp->copied_seq = tp->rcv_nxt;
	tp->rcv_wup = tp->rcv_nxt;
	tp->rcv_wnd = U16_MAX;
	tp->peer_mss = TH_MSS;
	tp->snd_wnd = U16_MAX;
	tp->max_sndwnd = U16_MAX;
	toytcp_init_cwnd(sk);
	tp->snd_wl1 = TH_IRS;
	if (state != TCP_SYN_RECV) {
		tp->snd_una = TH_ISS + 1;
		tp->snd_wl2 = TH_ISS + 1;
	}
	return t;
}
EXPORT_SYMBOL_GPL(th_conn);

/**
 * th_build() - a segment from the peer as it comes off the wire: IPv4 and
 * TCP headers in front of the data, the checksum right, skb->data at the
 * TCP header (as the input hook has it once the IPv4 header is pulled).
 * @t: the conn.
 * @flags: TOYTCP_* bits.
 * @seq: sequence number.
 * @ack: acknowledgment number.
 * @data: @len bytes of data (NULL: zeros).
 * @len: data length.
 *
 * Return: the skb, or NULL if out of memory.
 */
struct sk_buff *th_build(struct th_conn *t, u8 flags, u32 seq, u32 ack,
			 const void *data, unsigned int len)
{
	/* room after the data, so the reassembly queue can merge into it */
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 60 + len + 2048, GFP_KERNEL);
	struct sock *sk = t->sk;
	unsigned int olen;
	struct tcphdr *th;
	struct iphdr *iph;
	u8 *o;

	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_HEADER + 60);
	if (data)
		skb_put_data(skb, data, len);
	else
		skb_put_zero(skb, len);
	/* the peer's options, written byte by byte (not by the code under test) */
	olen = (t->opts.mss ? 4 : 0) + (t->opts.saw_tstamp ? 12 : 0) +
	       (t->opts.saw_wscale ? 4 : 0) + (t->opts.saw_sack_perm ? 4 : 0) +
	       (t->opts.num_sacks ? 4 + 8 * t->opts.num_sacks : 0);
	o = skb_push(skb, olen);
	if (t->opts.mss) {
		*o++ = 2;
		*o++ = 4;
		put_unaligned_be16(t->opts.mss, o);
		o += 2;
	}
	if (t->opts.saw_tstamp) {
		*o++ = 1;
		*o++ = 1;
		*o++ = 8;
		*o++ = 10;
		put_unaligned_be32(t->opts.tsval, o);
		put_unaligned_be32(t->opts.tsecr, o + 4);
		o += 8;
	}
	if (t->opts.saw_wscale) {
		*o++ = 1;
		*o++ = 3;
		*o++ = 3;
		*o++ = t->opts.wscale;
	}
	if (t->opts.saw_sack_perm) {
		*o++ = 1;
		*o++ = 1;
		*o++ = 4;
		*o++ = 2;
	}
	if (t->opts.num_sacks) {
		unsigned int i;

		*o++ = 1;
		*o++ = 1;
		*o++ = 5;
		*o++ = 2 + 8 * t->opts.num_sacks;
		for (i = 0; i < t->opts.num_sacks; i++, o += 8) {
			put_unaligned_be32(t->opts.sacks[i].start, o);
			put_unaligned_be32(t->opts.sacks[i].end, o + 4);
		}
	}
	th = skb_push(skb, sizeof(*th));
	memset(th, 0, sizeof(*th));
	th->source = sk->sk_dport;
	th->dest = htons(sk->sk_num);
	th->seq = htonl(seq);
	th->ack_seq = htonl(flags & TOYTCP_ACK ? ack : 0);
	th->doff = (sizeof(*th) + olen) / 4;
	((u8 *)th)[13] = flags;
	th->window = htons(t->wnd);
	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons(skb->len);
	iph->ttl = 64;
	iph->tos = t->tos;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = sk->sk_daddr;
	iph->daddr = sk->sk_rcv_saddr;
	skb_pull(skb, sizeof(*iph));
	th->check = toytcp_v4_checksum(skb, 0, iph->saddr, iph->daddr);
	return skb;
}
EXPORT_SYMBOL_GPL(th_build);

/**
 * th_parse() - th_build(), then the input path's own checks and header
 * parsing: the segment as toytcp_rcv_segment() gets it.
 * @test: the test.
 * @t: the conn.
 * @flags: TOYTCP_* bits.
 * @seq: sequence number.
 * @ack: acknowledgment number.
 * @data: @len bytes of data (NULL: zeros).
 * @len: data length.
 *
 * Return: the skb (the test fails if it cannot be made or is refused).
 */
struct sk_buff *th_parse(struct kunit *test, struct th_conn *t, u8 flags,
			 u32 seq, u32 ack, const void *data, unsigned int len)
{
	struct sk_buff *skb = th_build(t, flags, seq, ack, data, len);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	err = toytcp_segment_check(sock_net(t->sk), skb);
	if (err)
		kfree_skb(skb);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "the wire parser refused the segment");
	toytcp_segment_pull(skb);
	return skb;
}
EXPORT_SYMBOL_GPL(th_parse);

/**
 * th_segment() - a segment arrives from the peer, through the wire parser.
 * @test: the test.
 * @t: the conn.
 * @flags: TOYTCP_* bits.
 * @seq: sequence number.
 * @ack: acknowledgment number.
 * @data: @len bytes of data (NULL: zeros).
 * @len: data length.
 */
void th_segment(struct kunit *test, struct th_conn *t, u8 flags, u32 seq,
		u32 ack, const void *data, unsigned int len)
{
	struct sk_buff *skb = th_parse(test, t, flags, seq, ack, data, len);

	lock_sock(t->sk);
	toytcp_rcv_segment(t->sk, skb);
	release_sock(t->sk);
}
EXPORT_SYMBOL_GPL(th_segment);

/**
 * th_fire() - a timer of the conn expires now (the virtual clock): its
 * work runs as it would from softirq.
 * @t: the conn.
 * @bit: the timer's TOYTCP_*_DEFERRED bit.
 */
void th_fire(struct th_conn *t, int bit)
{
	struct sock *sk = t->sk;

	lock_sock(sk);
	/*
	 * the virtual clock has reached its expiry (a late firing does
	 * nothing); RACK's reordering window ends before the RTO's deadline
	 */
	if (bit == TOYTCP_RETX_DEFERRED && !toytcp_sk(sk)->rack_armed)
		toytcp_sk(sk)->retx_expires = jiffies;
	/* as a timer that found the socket held: release_sock() runs it */
	if (!test_and_set_bit(bit, &toytcp_sk(sk)->deferred))
		sock_hold(sk);
	release_sock(sk);
}
EXPORT_SYMBOL_GPL(th_fire);

/* Take the next captured segment; false if none. */
bool th_next(struct th_conn *t, struct th_seg *seg)
{
	struct sk_buff *skb = skb_dequeue(&t->sent);
	struct tcphdr *th;
	struct toytcp_opts opts;

	if (!skb)
		return false;
	th = (struct tcphdr *)skb->data;
	seg->seq = ntohl(th->seq);
	seg->ack = ntohl(th->ack_seq);
	seg->flags = ((u8 *)th)[13];
	seg->window = ntohs(th->window);
	seg->len = skb->len - th->doff * 4;
	seg->hlen = th->doff * 4;
	toytcp_parse_options((u8 *)(th + 1), th->doff * 4 - sizeof(*th), &opts);
	seg->mss_opt = opts.mss;
	seg->opts = opts;
	kfree_skb(skb);
	return true;
}
EXPORT_SYMBOL_GPL(th_next);

/* The next segment sent must be this one (ack checked only with ACK). */
void th_expect(struct kunit *test, struct th_conn *t, u8 flags, u32 seq,
	       u32 ack, unsigned int len)
{
	struct th_seg s;

	KUNIT_ASSERT_TRUE_MSG(test, th_next(t, &s), "no segment was sent");
	KUNIT_EXPECT_EQ_MSG(test, s.flags, flags, "flags");
	KUNIT_EXPECT_EQ_MSG(test, s.seq, seq, "seq");
	if (flags & TOYTCP_ACK)
		KUNIT_EXPECT_EQ_MSG(test, s.ack, ack, "ack");
	KUNIT_EXPECT_EQ_MSG(test, s.len, len, "length");
}
EXPORT_SYMBOL_GPL(th_expect);

void th_expect_none(struct kunit *test, struct th_conn *t)
{
	struct th_seg s;

	KUNIT_EXPECT_FALSE_MSG(test, th_next(t, &s),
			       "unexpected segment flags %#x seq %u ack %u len %u",
			       s.flags, s.seq, s.ack, s.len);
}
EXPORT_SYMBOL_GPL(th_expect_none);

/*
 * The application writes @len bytes (0, 1, 2, ...) and the socket pushes:
 * through toytcp_queue_data(), sendmsg's copy into the send queue.
 */
void th_write(struct th_conn *t, unsigned int len)
{
	struct sock *sk = t->sk;
	u8 *buf = kmalloc(len ? : 1, GFP_KERNEL);
	struct iov_iter from;
	struct kvec kv;
	unsigned int i;
	ssize_t n = 0;

	if (!buf)
		return;
	for (i = 0; i < len; i++)
		buf[i] = i;
	kv.iov_base = buf;
	kv.iov_len = len;
	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, len);
	lock_sock(sk);
	for (i = 0; i < len && n >= 0; i += n) {
		n = toytcp_queue_data(sk, &from, len - i);
		if (n <= 0)
			break;	/* the send buffer is full: the rest is not written */
	}
	toytcp_push(sk);
	release_sock(sk);
	kfree(buf);
}
EXPORT_SYMBOL_GPL(th_write);
