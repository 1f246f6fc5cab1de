// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the TCP checksum over the IPv4 pseudo-header.
 *
 * The expected values were computed by hand with RFC 1071's algorithm for
 * a SYN from 198.18.0.1:40000 to 198.18.0.2:80, seq 0x01020304, window
 * 64240, with no data and with the 5 data bytes "hello".
 */
#include <kunit/test.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/in.h>

#include "toytcp.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define SADDR	cpu_to_be32(0xc6120001)	/* 198.18.0.1 */
#define DADDR	cpu_to_be32(0xc6120002)	/* 198.18.0.2 */

static struct sk_buff *make_syn(struct kunit *test, const char *data,
				unsigned int len)
{
	struct sk_buff *skb = alloc_skb(sizeof(struct tcphdr) + len, GFP_KERNEL);
	struct tcphdr *th;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	th = skb_put_zero(skb, sizeof(*th));
	th->source = htons(40000);
	th->dest = htons(80);
	th->seq = htonl(0x01020304);
	th->doff = 5;
	th->syn = 1;
	th->window = htons(64240);
	skb_put_data(skb, data, len);
	return skb;
}

static u16 csum_host(__sum16 sum)
{
	return ntohs((__force __be16)sum);
}

static void csum_known_answer(struct kunit *test)
{
	struct sk_buff *skb = make_syn(test, "", 0);

	KUNIT_EXPECT_EQ(test, csum_host(toytcp_v4_checksum(skb, 0, SADDR, DADDR)),
			0x8833);
	kfree_skb(skb);

	/* odd length: the last byte is padded with a zero byte */
	skb = make_syn(test, "hello", 5);
	KUNIT_EXPECT_EQ(test, csum_host(toytcp_v4_checksum(skb, 0, SADDR, DADDR)),
			0x445c);
	kfree_skb(skb);
}

static void csum_verify_roundtrip(struct kunit *test)
{
	struct sk_buff *skb = make_syn(test, "hello", 5);
	struct tcphdr *th = (struct tcphdr *)skb->data;

	th->check = toytcp_v4_checksum(skb, 0, SADDR, DADDR);
	KUNIT_EXPECT_TRUE(test, toytcp_v4_checksum_ok(skb, 0, SADDR, DADDR));

	/* one flipped data bit is caught */
	skb->data[sizeof(*th) + 1] ^= 0x01;
	KUNIT_EXPECT_FALSE(test, toytcp_v4_checksum_ok(skb, 0, SADDR, DADDR));
	skb->data[sizeof(*th) + 1] ^= 0x01;

	/* the pseudo-header counts: another destination fails */
	KUNIT_EXPECT_FALSE(test, toytcp_v4_checksum_ok(skb, 0, SADDR,
						       cpu_to_be32(0xc6120003)));
	kfree_skb(skb);
}

/* The TCP header need not start at the beginning of the buffer. */
static void csum_offset(struct kunit *test)
{
	struct sk_buff *skb = alloc_skb(20 + sizeof(struct tcphdr) + 5, GFP_KERNEL);
	struct sk_buff *ref = make_syn(test, "hello", 5);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	memset(skb_put(skb, 20), 0xab, 20);
	skb_put_data(skb, ref->data, ref->len);
	KUNIT_EXPECT_EQ(test, csum_host(toytcp_v4_checksum(skb, 20, SADDR, DADDR)),
			0x445c);
	kfree_skb(ref);
	kfree_skb(skb);
}

/* Data in page fragments sums the same as data in the linear part. */
static void csum_nonlinear(struct kunit *test)
{
	struct sk_buff *skb = make_syn(test, "", 0);
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	memcpy(page_address(page), "hello", 5);
	skb_add_rx_frag(skb, 0, page, 0, 5, PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, skb_is_nonlinear(skb));
	KUNIT_EXPECT_EQ(test, csum_host(toytcp_v4_checksum(skb, 0, SADDR, DADDR)),
			0x445c);
	kfree_skb(skb);
}

static struct kunit_case toytcp_csum_cases[] = {
	KUNIT_CASE(csum_known_answer),
	KUNIT_CASE(csum_verify_roundtrip),
	KUNIT_CASE(csum_offset),
	KUNIT_CASE(csum_nonlinear),
	{}
};

static struct kunit_suite toytcp_csum_suite = {
	.name = "toytcp_csum",
	.test_cases = toytcp_csum_cases,
};

kunit_test_suite(toytcp_csum_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites for toytcp");
