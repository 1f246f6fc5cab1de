// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the RFC 6298 estimator, against sequences computed by hand.
 */
#include <kunit/test.h>

#include "toytcp_harness.h"

#define MS (USEC_PER_MSEC)

/* A bare control block (too big for the stack) for the estimator alone. */
static struct toytcp_sock *bare(struct kunit *test)
{
	struct toytcp_sock *tp = kunit_kzalloc(test, sizeof(*tp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tp);
	return tp;
}

static void rto_initial_is_one_second(struct kunit *test)
{
	struct th_conn *t = th_conn(test, TCP_SYN_SENT);

	KUNIT_EXPECT_EQ(test, toytcp_sk(t->sk)->rto_us, USEC_PER_SEC);
}

/* (2.2) first sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4*RTTVAR */
static void rto_first_sample(struct kunit *test)
{
	struct toytcp_sock *tp = bare(test);

	toytcp_rtt_sample(tp, 100 * MS);
	KUNIT_EXPECT_EQ(test, tp->srtt_us, 100 * MS);
	KUNIT_EXPECT_EQ(test, tp->rttvar_us, 50 * MS);
	KUNIT_EXPECT_EQ(test, tp->rto_us, 300 * MS);
}

/* (2.3) RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT = 7/8 SRTT + 1/8 R' */
static void rto_later_samples(struct kunit *test)
{
	struct toytcp_sock *tp = bare(test);

	toytcp_rtt_sample(tp, 100 * MS);
	toytcp_rtt_sample(tp, 200 * MS);
	/* 37500 + 25000 and 87500 + 25000 */
	KUNIT_EXPECT_EQ(test, tp->rttvar_us, 62500u);
	KUNIT_EXPECT_EQ(test, tp->srtt_us, 112500u);
	KUNIT_EXPECT_EQ(test, tp->rto_us, 112500u + 4 * 62500u);
	toytcp_rtt_sample(tp, 112500);
	/* |SRTT - R'| = 0: RTTVAR shrinks by a quarter, SRTT stays */
	KUNIT_EXPECT_EQ(test, tp->rttvar_us, 46875u);
	KUNIT_EXPECT_EQ(test, tp->srtt_us, 112500u);
}

/* (2.4) never below 200 ms (Linux's floor), never above 120 s */
static void rto_clamped(struct kunit *test)
{
	struct toytcp_sock *tp = bare(test);

	toytcp_rtt_sample(tp, 1 * MS);
	KUNIT_EXPECT_EQ(test, tp->rto_us, 200 * MS);

	memset(tp, 0, sizeof(*tp));
	toytcp_rtt_sample(tp, 100 * USEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, tp->rto_us, 120 * USEC_PER_SEC);
}

/* G: with no variation the clock granularity still counts */
static void rto_granularity(struct kunit *test)
{
	struct toytcp_sock *tp = bare(test);
	int i;
	u32 g;

	for (i = 0; i < 100; i++)
		toytcp_rtt_sample(tp, 300 * MS);
	KUNIT_EXPECT_EQ(test, tp->srtt_us, 300 * MS);
	g = max_t(u32, USEC_PER_SEC / HZ, 4 * tp->rttvar_us);
	KUNIT_EXPECT_EQ(test, tp->rto_us, 300 * MS + g);
}

static struct kunit_case toytcp_rto_cases[] = {
	KUNIT_CASE(rto_initial_is_one_second),
	KUNIT_CASE(rto_first_sample),
	KUNIT_CASE(rto_later_samples),
	KUNIT_CASE(rto_clamped),
	KUNIT_CASE(rto_granularity),
	{}
};

static struct kunit_suite toytcp_rto_suite = {
	.name = "toytcp_rto",
	.exit = th_exit,
	.test_cases = toytcp_rto_cases,
};

kunit_test_suite(toytcp_rto_suite);
