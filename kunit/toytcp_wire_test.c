// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: what goes on the wire: the ISN (RFC 6528), the header toytcp
 * builds, the options it parses (malformed ones included) and the
 * segment acceptability test (RFC 9293 §3.10.7.4).
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/tcp.h>

#include "toytcp_harness.h"

#define SADDR	cpu_to_be32(0xc6120001)
#define DADDR	cpu_to_be32(0xc6120002)

/* The clock part: the same 4-tuple a few milliseconds later is further on. */
static void isn_grows_with_time(struct kunit *test)
{
	u32 a = toytcp_isn(SADDR, DADDR, htons(40000), htons(80));
	u32 b;

	msleep(20);
	b = toytcp_isn(SADDR, DADDR, htons(40000), htons(80));
	/* microseconds: at least 20000 on, and not absurdly far */
	KUNIT_EXPECT_GE(test, b - a, 20000u);
	KUNIT_EXPECT_LT(test, b - a, 10u * USEC_PER_SEC);
}

/* The hash part: other 4-tuples land far apart, not next to each other. */
static void isn_differs_by_tuple(struct kunit *test)
{
	u32 isn[4];
	int i, j;

	isn[0] = toytcp_isn(SADDR, DADDR, htons(40000), htons(80));
	isn[1] = toytcp_isn(SADDR, DADDR, htons(40001), htons(80));
	isn[2] = toytcp_isn(SADDR, DADDR, htons(40000), htons(81));
	isn[3] = toytcp_isn(DADDR, SADDR, htons(40000), htons(80));
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++) {
			u32 d = isn[i] - isn[j];

			KUNIT_EXPECT_TRUE_MSG(test, d > 1000000 && d < 0u - 1000000,
					      "ISNs %d and %d only %d apart", i, j,
					      (s32)d);
		}
}

static void header_build(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);
	struct sk_buff *skb = alloc_skb(128, GFP_KERNEL);
	const struct toytcp_opts mss = { .mss = 1460 };
	const u8 expect[24] = {
		0x9c, 0x40, 0x00, 0x50,		/* ports 40000 -> 80 */
		0x01, 0x02, 0x03, 0x04,		/* seq */
		0x0a, 0x0b, 0x0c, 0x0d,		/* ack */
		0x60, 0x12,			/* doff 6, SYN|ACK */
		0xfa, 0xf0,			/* window 64240 */
		0x00, 0x00, 0x00, 0x00,		/* checksum, urgent */
		0x02, 0x04, 0x05, 0xb4,		/* MSS 1460 */
	};
	int len;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 128);
	len = toytcp_build_header(skb, t->sk, 0x01020304, 0x0a0b0c0d,
				  TOYTCP_SYN | TOYTCP_ACK, 64240, &mss);
	KUNIT_EXPECT_EQ(test, len, 24);
	KUNIT_EXPECT_EQ(test, skb->len, 24u);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, expect, sizeof(expect)), 0);
	kfree_skb(skb);

	/* without ACK the ACK field is zero; without MSS no option */
	skb = alloc_skb(128, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 128);
	len = toytcp_build_header(skb, t->sk, 1, 0x0a0b0c0d, TOYTCP_RST, 0, NULL);
	KUNIT_EXPECT_EQ(test, len, 20);
	KUNIT_EXPECT_EQ(test, ntohl(tcp_hdr(skb)->ack_seq), 0u);
	KUNIT_EXPECT_EQ(test, skb->data[12], 0x50);
	KUNIT_EXPECT_EQ(test, skb->data[13], TOYTCP_RST);
	kfree_skb(skb);
}

struct opt_case {
	const char *name;
	u8 bytes[16];
	unsigned int len;
	int err;
	u16 mss;
};

static const struct opt_case opt_cases[] = {
	{ "mss", { 2, 4, 0x05, 0xb4 }, 4, 0, 1460 },
	{ "nop nop mss", { 1, 1, 2, 4, 0x02, 0x18 }, 6, 0, 536 },
	{ "end of list stops", { 0, 2, 4, 0x05, 0xb4 }, 5, 0, 0 },
	{ "unknown kinds skipped", { 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 0x05, 0xb4 },
	  16, 0, 1460 },
	{ "window scale then mss", { 3, 3, 7, 1, 2, 4, 0x04, 0x00 }, 8, 0, 1024 },
	{ "no options", { 0 }, 0, 0, 0 },
	{ "length 0", { 2, 0, 0, 0 }, 4, -EINVAL, 0 },
	{ "length 1", { 5, 1, 0, 0 }, 4, -EINVAL, 0 },
	{ "runs past the end", { 2, 4, 0x05 }, 3, -EINVAL, 0 },
	{ "kind without length", { 1, 1, 1, 8 }, 4, -EINVAL, 0 },
	{ "mss of wrong length", { 2, 3, 5, 1 }, 4, -EINVAL, 0 },
};

static void options_parse(struct kunit *test)
{
	struct toytcp_opts opts;
	int i;

	for (i = 0; i < ARRAY_SIZE(opt_cases); i++) {
		const struct opt_case *c = &opt_cases[i];
		int err = toytcp_parse_options(c->bytes, c->len, &opts);

		KUNIT_EXPECT_EQ_MSG(test, err, c->err, "%s", c->name);
		if (!c->err)
			KUNIT_EXPECT_EQ_MSG(test, opts.mss, c->mss, "%s", c->name);
	}
}

/* The four cases of RFC 9293 §3.10.7.4's table, RCV.NXT = 1000. */
static void acceptability(struct kunit *test)
{
	/* length 0, window 0: only SEG.SEQ = RCV.NXT */
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(1000, 0, 1000, 0));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_acceptable(1001, 0, 1000, 0));
	/* length 0, window > 0: RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND */
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(1000, 0, 1000, 100));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(1099, 0, 1000, 100));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_acceptable(1100, 0, 1000, 100));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_acceptable(999, 0, 1000, 100));
	/* length > 0, window 0: never */
	KUNIT_EXPECT_FALSE(test, toytcp_seq_acceptable(1000, 10, 1000, 0));
	/* length > 0, window > 0: first or last octet inside */
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(1000, 10, 1000, 100));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(995, 10, 1000, 100));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(1095, 10, 1000, 100));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_acceptable(990, 10, 1000, 100));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_acceptable(1100, 10, 1000, 100));
	/* across the wrap of the sequence space */
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(0xfffffffa, 10, 0xfffffff0, 100));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_acceptable(5, 10, 0xfffffff0, 100));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_acceptable(0xffffffe0, 10, 0xfffffff0, 100));
}

static struct kunit_case toytcp_wire_cases[] = {
	KUNIT_CASE(isn_grows_with_time),
	KUNIT_CASE(isn_differs_by_tuple),
	KUNIT_CASE(header_build),
	KUNIT_CASE(options_parse),
	KUNIT_CASE(acceptability),
	{}
};

static struct kunit_suite toytcp_wire_suite = {
	.name = "toytcp_wire",
	.exit = th_exit,
	.test_cases = toytcp_wire_cases,
};

kunit_test_suite(toytcp_wire_suite);
