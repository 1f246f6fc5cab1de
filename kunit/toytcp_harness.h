/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A KUnit harness for the state machine: a control block with no network
 * under it. th_segment() feeds it a segment as the input path would (real
 * header bytes and checksum, through the input path's own parser);
 * th_fire() runs one of its timers, a virtual clock;
 * whatever it sends lands in a capture queue instead of on a wire, and
 * th_expect() reads it back. A test then reads like a ladder diagram:
 *
 *	th_segment(test, t, TOYTCP_SYN | TOYTCP_ACK, IRS, ISS + 1, NULL, 0);
 *	th_expect(test, t, TOYTCP_ACK, ISS + 1, IRS + 1, 0);
 */
#ifndef _TOYTCP_HARNESS_H
#define _TOYTCP_HARNESS_H

#include <kunit/test.h>
#include "toytcp.h"

#define TH_ISS	1000u
#define TH_IRS	5000u
#define TH_MSS	1000u

struct th_conn {
	struct sock *sk;
	struct sk_buff_head sent;	/* what the socket transmitted */
	u16 wnd;			/* the window the peer's segments carry */
	struct toytcp_opts opts;	/* and their options (MSS, TS, WS, SACK) */
	u8 tos;				/* and their IPv4 TOS byte (ECN bits) */
};

/* A segment as captured. */
struct th_seg {
	u32 seq, ack;
	u8 flags;
	u16 window;
	unsigned int len;
	u16 mss_opt;
	unsigned int hlen;		/* TCP header with options */
	struct toytcp_opts opts;
};

struct th_conn *th_conn(struct kunit *test, int state);
void th_exit(struct kunit *test);
struct sk_buff *th_build(struct th_conn *t, u8 flags, u32 seq, u32 ack,
			 const void *data, unsigned int len);
struct sk_buff *th_parse(struct kunit *test, struct th_conn *t, u8 flags,
			 u32 seq, u32 ack, const void *data, unsigned int len);
void th_segment(struct kunit *test, struct th_conn *t, u8 flags, u32 seq,
		u32 ack, const void *data, unsigned int len);
void th_fire(struct th_conn *t, int bit);
bool th_next(struct th_conn *t, struct th_seg *seg);
void th_expect(struct kunit *test, struct th_conn *t, u8 flags, u32 seq,
	       u32 ack, unsigned int len);
void th_expect_none(struct kunit *test, struct th_conn *t);
void th_write(struct th_conn *t, unsigned int len);

#endif
