// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: sequence-number comparison on the 2^32 circle (RFC 9293 §3.4).
 */
#include <kunit/test.h>

#include "toytcp.h"

static void seq_plain_order(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, toytcp_seq_before(1, 2));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_before(2, 1));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_before(5, 5));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_after(2, 1));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_after(5, 5));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_before_eq(5, 5));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_after_eq(5, 5));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_after_eq(4, 5));
}

/* 0xfffffff0 + 0x20 wraps to 0x10: the later number is numerically smaller. */
static void seq_wrap_around(struct kunit *test)
{
	u32 old = 0xfffffff0, new = old + 0x20;

	KUNIT_EXPECT_EQ(test, new, 0x10u);
	KUNIT_EXPECT_TRUE(test, toytcp_seq_before(old, new));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_after(new, old));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_after(old, new));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_before(0xffffffff, 0));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_after(0, 0xffffffff));
}

/* Half the circle away is the edge: 2^31 - 1 ahead is "after", 2^31 is not. */
static void seq_half_circle(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, toytcp_seq_after(0x7fffffff, 0));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_before(0x80000000, 0));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_after(100 + 0x7fffffffu, 100));
}

static void seq_window(struct kunit *test)
{
	/* [lo, hi) across the wrap point */
	u32 lo = 0xfffffff0, hi = 0x00000010;

	KUNIT_EXPECT_TRUE(test, toytcp_seq_in_window(lo, lo, hi));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_in_window(0xffffffff, lo, hi));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_in_window(0, lo, hi));
	KUNIT_EXPECT_TRUE(test, toytcp_seq_in_window(0xf, lo, hi));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_in_window(hi, lo, hi));
	KUNIT_EXPECT_FALSE(test, toytcp_seq_in_window(lo - 1, lo, hi));
	/* an empty window holds nothing */
	KUNIT_EXPECT_FALSE(test, toytcp_seq_in_window(7, 7, 7));
}

static struct kunit_case toytcp_seq_cases[] = {
	KUNIT_CASE(seq_plain_order),
	KUNIT_CASE(seq_wrap_around),
	KUNIT_CASE(seq_half_circle),
	KUNIT_CASE(seq_window),
	{}
};

static struct kunit_suite toytcp_seq_suite = {
	.name = "toytcp_seq",
	.test_cases = toytcp_seq_cases,
};

kunit_test_suite(toytcp_seq_suite);
