// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the send side's one copy and segmentation offload, through the
 * harness (ISS 1000, IRS 5000, MSS 1000):
 *   the send queue   a write is copied once, into page fragments the
 *                    queue's chunks refer to; the next write continues
 *                    the same fragment; memory charged byte for byte
 *   segments         refer to the queue's pages (no second copy), and so
 *                    does a retransmission, to the same bytes; a segment
 *                    whose bytes are scattered over more fragments than
 *                    an skb holds is copied instead, byte-exact
 *   GSO              with offload, full segments leave together (up to
 *                    the offload's limit and the windows), gso_size the
 *                    MSS, CHECKSUM_PARTIAL with the pseudo-header's sum;
 *                    a short tail is left to Nagle; counters count wire
 *                    segments
 * The harness has no route, so offload is off unless a case turns it on
 * (tp->gso_segs, which toytcp_sync_offload() sets from the route).
 */
#include <kunit/test.h>
#include <linux/tcp.h>
#include <net/checksum.h>

#include "toytcp_harness.h"

#define ISS TH_ISS
#define IRS TH_IRS
#define A TOYTCP_ACK
#define P TOYTCP_PSH

/* The next captured skb, whole; the test frees it. */
static struct sk_buff *next_skb(struct kunit *test, struct th_conn *t)
{
	struct sk_buff *skb = skb_dequeue(&t->sent);

	KUNIT_ASSERT_NOT_NULL_MSG(test, skb, "no segment was sent");
	return skb;
}

static unsigned int data_len(const struct sk_buff *skb)
{
	return skb->len - tcp_hdr(skb)->doff * 4;
}

/*
 * The data of a captured segment are th_write()'s bytes: a write of n
 * bytes is 0, 1, 2, ... (mod 256); @first is the value of its first byte.
 */
static void expect_bytes(struct kunit *test, const struct sk_buff *skb, u8 first)
{
	unsigned int hl = tcp_hdr(skb)->doff * 4, i;
	u8 b;

	for (i = 0; i < data_len(skb); i++) {
		KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, hl + i, &b, 1), 0);
		if (b != (u8)(first + i)) {
			KUNIT_FAIL(test, "byte %u is %u, not %u", i, b, (u8)(first + i));
			return;
		}
	}
}

/* A write goes into page fragments, once; the next one continues it. */
static void send_queue_holds_page_fragments(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct sock *sk = t->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *chunk;
	u8 b;

	tp->snd_wnd = 0;	/* nothing leaves: the queue is looked at */
	th_write(t, 3000);
	th_write(t, 100);
	th_expect_none(test, t);
	KUNIT_ASSERT_EQ(test, skb_queue_len(&sk->sk_write_queue), 1U);
	chunk = skb_peek(&sk->sk_write_queue);
	KUNIT_EXPECT_EQ(test, chunk->len, 3100U);
	KUNIT_EXPECT_EQ(test, skb_headlen(chunk), 0U);	/* all in fragments */
	KUNIT_EXPECT_EQ(test, skb_shinfo(chunk)->nr_frags, 1);	/* one, grown */
	KUNIT_EXPECT_EQ(test, TOYTCP_SKB_CB(chunk)->seq, ISS + 1);
	KUNIT_EXPECT_EQ(test, TOYTCP_SKB_CB(chunk)->end_seq, ISS + 1 + 3100);
	KUNIT_EXPECT_EQ(test, tp->write_seq, ISS + 1 + 3100);
	KUNIT_EXPECT_EQ(test, sk->sk_wmem_queued, (int)chunk->truesize);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(chunk, 2999, &b, 1), 0);
	KUNIT_EXPECT_EQ(test, b, 2999 & 0xff);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(chunk, 3001, &b, 1), 0);
	KUNIT_EXPECT_EQ(test, b, 1);	/* the second write's second byte */
}

/* A segment refers to the queue's page; its retransmission to the same. */
static void segments_refer_to_the_queue(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct sock *sk = t->sk;
	const skb_frag_t *qf;
	struct sk_buff *skb;
	struct page *page;
	int refs;

	th_write(t, 1000);
	qf = &skb_shinfo(skb_peek(&sk->sk_write_queue))->frags[0];
	page = skb_frag_page(qf);
	skb = next_skb(test, t);
	refs = page_ref_count(page);	/* the queue's, the segment's, the page_frag's */
	KUNIT_EXPECT_EQ(test, data_len(skb), 1000U);
	KUNIT_EXPECT_EQ(test, skb_headlen(skb), (unsigned int)tcp_hdrlen(skb));
	KUNIT_ASSERT_EQ(test, skb_shinfo(skb)->nr_frags, 1);
	KUNIT_EXPECT_PTR_EQ(test, skb_frag_page(&skb_shinfo(skb)->frags[0]), skb_frag_page(qf));
	KUNIT_EXPECT_EQ(test, skb_frag_off(&skb_shinfo(skb)->frags[0]), skb_frag_off(qf));
	/* offload off: toytcp's own checksum, right */
	KUNIT_EXPECT_NE(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	KUNIT_EXPECT_TRUE(test, toytcp_v4_checksum_ok(skb, 0, sk->sk_rcv_saddr, sk->sk_daddr));
	KUNIT_EXPECT_FALSE(test, skb_is_gso(skb));
	expect_bytes(test, skb, 0);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), refs - 1);	/* the segment's went */

	th_fire(t, TOYTCP_RETX_DEFERRED);	/* no ACK came: sent again */
	skb = next_skb(test, t);
	KUNIT_EXPECT_EQ(test, ntohl(tcp_hdr(skb)->seq), ISS + 1);
	KUNIT_ASSERT_EQ(test, skb_shinfo(skb)->nr_frags, 1);
	KUNIT_EXPECT_PTR_EQ(test, skb_frag_page(&skb_shinfo(skb)->frags[0]), skb_frag_page(qf));
	KUNIT_EXPECT_EQ(test, skb_frag_off(&skb_shinfo(skb)->frags[0]), skb_frag_off(qf));
	expect_bytes(test, skb, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), refs);	/* a reference again */
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, toytcp_sk(sk)->total_retrans, 1U);

	/* acknowledged: the chunk goes, with its reference and its charge */
	th_segment(test, t, A, IRS + 1, ISS + 1001, NULL, 0);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&sk->sk_write_queue));
	KUNIT_EXPECT_EQ(test, sk->sk_wmem_queued, 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), refs - 2);
}

/*
 * Writes of 10 bytes, each followed by another writer's 10 bytes in the
 * same page fragment (as a second socket of the same task would take):
 * every write its own fragment. Up to MAX_SKB_FRAGS of them fit in one
 * skb's fragments; a segment needing more is copied.
 */
static void scattered_bytes(struct kunit *test, unsigned int mss, unsigned int nwrites)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct sk_buff *skb;
	unsigned int i, sent = 0;

	tp->mss = mss;
	tp->snd_wnd = 0;
	for (i = 0; i < nwrites; i++) {
		th_write(t, 10);
		current->task_frag.offset += 10;	/* the other writer */
	}
	KUNIT_EXPECT_GE(test, skb_queue_len(&t->sk->sk_write_queue), 2U);
	tp->snd_wnd = U16_MAX;
	tp->nodelay = 1;
	tp->gso_segs = 8;
	lock_sock(t->sk);
	toytcp_push(t->sk);
	release_sock(t->sk);
	while ((skb = skb_dequeue(&t->sent))) {
		unsigned int hl = tcp_hdrlen(skb), n = data_len(skb), k;
		u8 b;

		KUNIT_EXPECT_EQ(test, ntohl(tcp_hdr(skb)->seq), ISS + 1 + sent);
		KUNIT_EXPECT_LE(test, skb_shinfo(skb)->nr_frags, MAX_SKB_FRAGS);
		if (mss / 10 > MAX_SKB_FRAGS)	/* one MSS is too many fragments: copied */
			KUNIT_EXPECT_EQ(test, skb_headlen(skb), hl + n);
		else				/* referred to */
			KUNIT_EXPECT_EQ(test, skb_headlen(skb), hl);
		/* never more than the fragments hold: whole MSS units */
		KUNIT_EXPECT_EQ(test, n % mss == 0 || sent + n == nwrites * 10, true);
		for (k = 0; k < n; k++) {
			KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, hl + k, &b, 1), 0);
			KUNIT_ASSERT_EQ(test, b, (u8)((sent + k) % 10));
		}
		sent += n;
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, sent, nwrites * 10);
}

/* MSS 100 (10 fragments), 8 segments allowed: skbs of one MSS only (17 fit). */
static void scattered_bytes_cut_the_gso_skb(struct kunit *test)
{
	scattered_bytes(test, 100, 40);
}

/* MSS 1000 needs 100 fragments: copied. */
static void scattered_bytes_are_copied(struct kunit *test)
{
	scattered_bytes(test, 1000, 250);
}

/* With offload: full segments leave in one skb, the tail after Nagle. */
static void gso_skb_of_full_segments(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct sock *sk = t->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct tcphdr *th;
	struct sk_buff *skb;
	__sum16 partial;

	tp->gso_segs = 4;
	th_write(t, 4500);
	skb = next_skb(test, t);
	th = tcp_hdr(skb);
	KUNIT_EXPECT_EQ(test, ntohl(th->seq), ISS + 1);
	KUNIT_EXPECT_EQ(test, data_len(skb), 4000U);
	KUNIT_EXPECT_EQ(test, ((u8 *)th)[13], A);	/* PSH: only the last byte's segment */
	KUNIT_EXPECT_TRUE(test, skb_is_gso(skb));
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_size, TH_MSS);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_segs, 4);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_type, SKB_GSO_TCPV4);
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	KUNIT_EXPECT_EQ(test, skb->csum_start, skb_transport_header(skb) - skb->head);
	KUNIT_EXPECT_EQ(test, skb->csum_offset, offsetof(struct tcphdr, check));
	partial = ~csum_tcpudp_magic(sk->sk_rcv_saddr, sk->sk_daddr, skb->len, IPPROTO_TCP, 0);
	KUNIT_EXPECT_EQ(test, (__force u16)th->check, (__force u16)partial);
	/*
	 * Finished in software: the right checksum over the whole. (Its
	 * cutting into wire segments is Linux's GSO layer's; capture_test
	 * checks the segments it made, checksums and all.)
	 */
	skb_shinfo(skb)->gso_size = 0;
	skb_shinfo(skb)->gso_type = 0;
	KUNIT_ASSERT_EQ(test, skb_checksum_help(skb), 0);
	KUNIT_EXPECT_TRUE(test, toytcp_v4_checksum_ok(skb, 0, sk->sk_rcv_saddr, sk->sk_daddr));
	expect_bytes(test, skb, 0);
	kfree_skb(skb);
	/* 500 bytes left: Nagle holds them while data is in flight */
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->segs_out, 4U);
	KUNIT_EXPECT_EQ(test, tp->snd_nxt, ISS + 4001);

	/* the ACK of all: the tail goes, one short segment with PSH */
	th_segment(test, t, A, IRS + 1, ISS + 4001, NULL, 0);
	skb = next_skb(test, t);
	KUNIT_EXPECT_EQ(test, data_len(skb), 500U);
	KUNIT_EXPECT_EQ(test, ((u8 *)tcp_hdr(skb))[13], A | P);
	KUNIT_EXPECT_FALSE(test, skb_is_gso(skb));
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	expect_bytes(test, skb, 4000 & 0xff);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, tp->segs_out, 5U);
}

/* The windows bound a GSO skb as they bound one segment. */
static void gso_skb_within_the_windows(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_ESTABLISHED);
	struct toytcp_sock *tp = toytcp_sk(t->sk);
	struct sk_buff *skb;

	tp->gso_segs = 40;
	tp->snd_wnd = 2500;	/* the peer's window: two full segments */
	th_write(t, 20000);
	skb = next_skb(test, t);
	KUNIT_EXPECT_EQ(test, data_len(skb), 2000U);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_segs, 2);
	kfree_skb(skb);
	th_expect_none(test, t);	/* 500 left in it: sender SWS waits */

	tp->snd_wnd = U16_MAX;		/* now cwnd (10 MSS) is the limit */
	lock_sock(t->sk);
	toytcp_push(t->sk);
	release_sock(t->sk);
	skb = next_skb(test, t);
	KUNIT_EXPECT_EQ(test, ntohl(tcp_hdr(skb)->seq), ISS + 2001);
	KUNIT_EXPECT_EQ(test, data_len(skb), 8000U);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_segs, 8);
	kfree_skb(skb);
	th_expect_none(test, t);
	KUNIT_EXPECT_EQ(test, tp->segs_out, 10U);
}

static struct kunit_case toytcp_offload_cases[] = {
	KUNIT_CASE(send_queue_holds_page_fragments),
	KUNIT_CASE(segments_refer_to_the_queue),
	KUNIT_CASE(scattered_bytes_cut_the_gso_skb),
	KUNIT_CASE(scattered_bytes_are_copied),
	KUNIT_CASE(gso_skb_of_full_segments),
	KUNIT_CASE(gso_skb_within_the_windows),
	{}
};

static struct kunit_suite toytcp_offload_suite = {
	.name = "toytcp_offload",
	.exit = th_exit,
	.test_cases = toytcp_offload_cases,
};

kunit_test_suite(toytcp_offload_suite);
