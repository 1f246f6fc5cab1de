/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toytcp private header: the control block and the helpers every part of
 * the module shares.
 */
#ifndef _TOYTCP_H
#define _TOYTCP_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <net/sock.h>
#include <net/tcp_states.h>

/**
 * struct toytcp_sock - the TCP control block (the seed's "제어 정보").
 * @sk: the generic socket; must stay first so a struct sock * converts.
 * @iss: initial send sequence number (RFC 9293 ISS).
 * @snd_una: oldest sequence number sent and not yet acknowledged.
 * @snd_nxt: next sequence number to send.
 * @snd_wnd: send window, as the peer last advertised it.
 * @irs: initial receive sequence number (RFC 9293 IRS).
 * @rcv_nxt: next sequence number expected from the peer: the ACK number.
 * @rcv_wnd: receive window we advertise.
 *
 * The connection state lives in @sk.sk_state and uses the TCP_* values of
 * <net/tcp_states.h>, so generic code and /proc readers agree on numbers.
 *
 * Locking: every field is owned by the socket lock (lock_sock()).
 */
struct toytcp_sock {
	struct sock sk;

	u32 iss;
	u32 snd_una;
	u32 snd_nxt;
	u32 snd_wnd;

	u32 irs;
	u32 rcv_nxt;
	u32 rcv_wnd;
};

static inline struct toytcp_sock *toytcp_sk(const struct sock *sk)
{
	return container_of(sk, struct toytcp_sock, sk);
}

/*
 * Sequence-number arithmetic (RFC 9293 §3.4): sequence numbers live in a
 * 2^32 circle, so "a before b" means the signed 32-bit distance from b to a
 * is negative. This is correct while the two are less than 2^31 apart.
 */
static inline bool toytcp_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool toytcp_seq_after(u32 a, u32 b)
{
	return toytcp_seq_before(b, a);
}

static inline bool toytcp_seq_before_eq(u32 a, u32 b)
{
	return !toytcp_seq_after(a, b);
}

static inline bool toytcp_seq_after_eq(u32 a, u32 b)
{
	return !toytcp_seq_before(a, b);
}

/* True when lo <= seq < hi on the sequence circle. */
static inline bool toytcp_seq_in_window(u32 seq, u32 lo, u32 hi)
{
	return toytcp_seq_after_eq(seq, lo) && toytcp_seq_before(seq, hi);
}

/* toytcp_csum.c */
__sum16 toytcp_v4_checksum(const struct sk_buff *skb, unsigned int offset,
			   __be32 saddr, __be32 daddr);
bool toytcp_v4_checksum_ok(const struct sk_buff *skb, unsigned int offset,
			   __be32 saddr, __be32 daddr);

/* af_toytcp.c */
extern int toytcp_family;

#endif /* _TOYTCP_H */
