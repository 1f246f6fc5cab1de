/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toytcp tracepoints: events/toytcp/ in tracefs. tools/toytrace reads
 * them; so can `cat trace_pipe`, perf and trace-cmd.
 *
 *   toytcp_send_segment, toytcp_recv_segment  one segment, either way; a
 *                                             GSO skb once, with segs=N
 *                                             wire segments; its SACK
 *                                             blocks as sack=L-R,L-R
 *   toytcp_state_change                       old state -> new state
 *   toytcp_retransmit                         a timeout sent data again
 *   toytcp_rto_update                         a new RTT sample and RTO
 *   toytcp_window_update                      a window changed
 *   toytcp_drop                               a segment dropped, and why
 *   toytcp_icmp                               an ICMP error about a connection
 *
 * Every event carries the connection as seen from toytcp's end: local
 * address and port first (saddr, sport), the peer second (daddr, dport).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM toytcp

#if !defined(_TOYTCP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOYTCP_TRACE_H

#include <linux/tracepoint.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include "toytcp.h"

/* Let user-space tools (perf, trace-cmd) resolve the names too. */
TRACE_DEFINE_ENUM(TCP_ESTABLISHED);
TRACE_DEFINE_ENUM(TCP_SYN_SENT);
TRACE_DEFINE_ENUM(TCP_SYN_RECV);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT1);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT2);
TRACE_DEFINE_ENUM(TCP_TIME_WAIT);
TRACE_DEFINE_ENUM(TCP_CLOSE);
TRACE_DEFINE_ENUM(TCP_CLOSE_WAIT);
TRACE_DEFINE_ENUM(TCP_LAST_ACK);
TRACE_DEFINE_ENUM(TCP_LISTEN);
TRACE_DEFINE_ENUM(TCP_CLOSING);

#define toytcp_show_state(s) __print_symbolic(s,		\
	{ TCP_ESTABLISHED, "ESTABLISHED" },			\
	{ TCP_SYN_SENT, "SYN-SENT" },				\
	{ TCP_SYN_RECV, "SYN-RECEIVED" },			\
	{ TCP_FIN_WAIT1, "FIN-WAIT-1" },			\
	{ TCP_FIN_WAIT2, "FIN-WAIT-2" },			\
	{ TCP_TIME_WAIT, "TIME-WAIT" },				\
	{ TCP_CLOSE, "CLOSED" },				\
	{ TCP_CLOSE_WAIT, "CLOSE-WAIT" },			\
	{ TCP_LAST_ACK, "LAST-ACK" },				\
	{ TCP_LISTEN, "LISTEN" },				\
	{ TCP_CLOSING, "CLOSING" })

/* tcpdump's letters: S F R P, "." for ACK, U */
#define toytcp_show_flags(f) __print_flags(f, "",		\
	{ 0x02, "S" }, { 0x01, "F" }, { 0x04, "R" },		\
	{ 0x08, "P" }, { 0x10, "." }, { 0x20, "U" })

/* The 4-tuple of a socket, local end first. */
#define TOYTCP_TUPLE_ASSIGN(sk) do {				\
	__entry->saddr = (__force __u32)(sk)->sk_rcv_saddr;	\
	__entry->daddr = (__force __u32)(sk)->sk_daddr;		\
	__entry->sport = (sk)->sk_num;				\
	__entry->dport = ntohs((sk)->sk_dport);			\
} while (0)

#ifndef _TOYTCP_TRACE_HELPERS
#define _TOYTCP_TRACE_HELPERS
/* The SACK blocks of a segment's options, for the segment events. */
static inline u8 toytcp_trace_sacks(const struct tcphdr *th, u32 *sack)
{
	struct toytcp_opts opts;
	u8 i;

	memset(sack, 0, 2 * TOYTCP_MAX_SACK_BLOCKS * sizeof(*sack));
	if (th->doff <= 5 ||
	    toytcp_parse_options((const u8 *)(th + 1), th->doff * 4 - sizeof(*th), &opts))
		return 0;
	for (i = 0; i < opts.num_sacks; i++) {
		sack[2 * i] = opts.sacks[i].start;
		sack[2 * i + 1] = opts.sacks[i].end;
	}
	return opts.num_sacks;
}

struct trace_seq;
const char *toytcp_trace_print_sacks(struct trace_seq *p, const u32 *sack, u8 n);
#endif

DECLARE_EVENT_CLASS(toytcp_segment,
	TP_PROTO(const struct sock *sk, const struct tcphdr *th, u32 len,
		 u16 mss, u16 segs),
	TP_ARGS(sk, th, len, mss, segs),
	TP_STRUCT__entry(
		__field(__u32, saddr)
		__field(__u32, daddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, seq)
		__field(__u32, ack)
		__field(__u8, flags)
		__field(__u16, window)
		__field(__u32, len)
		__field(__u16, mss)
		__field(__u16, segs)
		__field(__u8, state)
		__field(__u8, nsack)
		__array(__u32, sack, 2 * TOYTCP_MAX_SACK_BLOCKS)
	),
	TP_fast_assign(
		TOYTCP_TUPLE_ASSIGN(sk);
		__entry->seq = ntohl(th->seq);
		__entry->ack = ntohl(th->ack_seq);
		__entry->flags = ((const u8 *)th)[13];
		__entry->window = ntohs(th->window);
		__entry->len = len;
		__entry->mss = mss;
		__entry->segs = segs;
		__entry->state = sk->sk_state;
		__entry->nsack = toytcp_trace_sacks(th, __entry->sack);
	),
	TP_printk("%pI4:%u %pI4:%u flags=%s seq=%u ack=%u win=%u len=%u mss=%u segs=%u state=%s%s",
		  &__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport, toytcp_show_flags(__entry->flags),
		  __entry->seq, __entry->ack, __entry->window, __entry->len,
		  __entry->mss, __entry->segs, toytcp_show_state(__entry->state),
		  toytcp_trace_print_sacks(p, __entry->sack, __entry->nsack))
);

DEFINE_EVENT(toytcp_segment, toytcp_send_segment,
	TP_PROTO(const struct sock *sk, const struct tcphdr *th, u32 len, u16 mss,
		 u16 segs),
	TP_ARGS(sk, th, len, mss, segs));

DEFINE_EVENT(toytcp_segment, toytcp_recv_segment,
	TP_PROTO(const struct sock *sk, const struct tcphdr *th, u32 len, u16 mss,
		 u16 segs),
	TP_ARGS(sk, th, len, mss, segs));

TRACE_EVENT(toytcp_state_change,
	TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	TP_ARGS(sk, oldstate, newstate),
	TP_STRUCT__entry(
		__field(__u32, saddr)
		__field(__u32, daddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u8, oldstate)
		__field(__u8, newstate)
	),
	TP_fast_assign(
		TOYTCP_TUPLE_ASSIGN(sk);
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
	),
	TP_printk("%pI4:%u %pI4:%u %s -> %s", &__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport,
		  toytcp_show_state(__entry->oldstate),
		  toytcp_show_state(__entry->newstate))
);

TRACE_EVENT(toytcp_retransmit,
	TP_PROTO(const struct sock *sk, u32 seq, u32 len, u32 rto_us,
		 u8 retransmits),
	TP_ARGS(sk, seq, len, rto_us, retransmits),
	TP_STRUCT__entry(
		__field(__u32, saddr)
		__field(__u32, daddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, seq)
		__field(__u32, len)
		__field(__u32, rto_us)
		__field(__u8, retransmits)
	),
	TP_fast_assign(
		TOYTCP_TUPLE_ASSIGN(sk);
		__entry->seq = seq;
		__entry->len = len;
		__entry->rto_us = rto_us;
		__entry->retransmits = retransmits;
	),
	TP_printk("%pI4:%u %pI4:%u seq=%u len=%u rto_us=%u retransmits=%u",
		  &__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport, __entry->seq, __entry->len,
		  __entry->rto_us, __entry->retransmits)
);

TRACE_EVENT(toytcp_rto_update,
	TP_PROTO(const struct sock *sk, u32 rtt_us, u32 srtt_us, u32 rttvar_us,
		 u32 rto_us),
	TP_ARGS(sk, rtt_us, srtt_us, rttvar_us, rto_us),
	TP_STRUCT__entry(
		__field(__u32, saddr)
		__field(__u32, daddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, rtt_us)
		__field(__u32, srtt_us)
		__field(__u32, rttvar_us)
		__field(__u32, rto_us)
	),
	TP_fast_assign(
		TOYTCP_TUPLE_ASSIGN(sk);
		__entry->rtt_us = rtt_us;
		__entry->srtt_us = srtt_us;
		__entry->rttvar_us = rttvar_us;
		__entry->rto_us = rto_us;
	),
	TP_printk("%pI4:%u %pI4:%u rtt_us=%u srtt_us=%u rttvar_us=%u rto_us=%u",
		  &__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport, __entry->rtt_us, __entry->srtt_us,
		  __entry->rttvar_us, __entry->rto_us)
);

/* side: 0 the peer's window (what we may send), 1 ours (what we advertise) */
TRACE_EVENT(toytcp_window_update,
	TP_PROTO(const struct sock *sk, int side, u32 old_wnd, u32 new_wnd),
	TP_ARGS(sk, side, old_wnd, new_wnd),
	TP_STRUCT__entry(
		__field(__u32, saddr)
		__field(__u32, daddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u8, side)
		__field(__u32, old_wnd)
		__field(__u32, new_wnd)
	),
	TP_fast_assign(
		TOYTCP_TUPLE_ASSIGN(sk);
		__entry->side = side;
		__entry->old_wnd = old_wnd;
		__entry->new_wnd = new_wnd;
	),
	TP_printk("%pI4:%u %pI4:%u %s window %u -> %u", &__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport,
		  __entry->side ? "local" : "peer", __entry->old_wnd,
		  __entry->new_wnd)
);

TRACE_DEFINE_ENUM(TOYTCP_DROP_CSUM);
TRACE_DEFINE_ENUM(TOYTCP_DROP_HEADER);
TRACE_DEFINE_ENUM(TOYTCP_DROP_UNACCEPTABLE);
TRACE_DEFINE_ENUM(TOYTCP_DROP_OUT_OF_ORDER);
TRACE_DEFINE_ENUM(TOYTCP_DROP_RCVBUF);
TRACE_DEFINE_ENUM(TOYTCP_DROP_BACKLOG);
TRACE_DEFINE_ENUM(TOYTCP_DROP_LISTEN);
TRACE_DEFINE_ENUM(TOYTCP_DROP_NO_ACK);
TRACE_DEFINE_ENUM(TOYTCP_DROP_POLICY);
TRACE_DEFINE_ENUM(TOYTCP_DROP_FILTER);
TRACE_DEFINE_ENUM(TOYTCP_DROP_CLOSED);
TRACE_DEFINE_ENUM(TOYTCP_DROP_OLD_ACK);
TRACE_DEFINE_ENUM(TOYTCP_DROP_PAWS);
TRACE_DEFINE_ENUM(TOYTCP_DROP_DEFER_ACCEPT);

#define toytcp_show_drop(r) __print_symbolic(r,			\
	{ TOYTCP_DROP_CSUM, "checksum" },			\
	{ TOYTCP_DROP_HEADER, "bad_header" },			\
	{ TOYTCP_DROP_UNACCEPTABLE, "unacceptable" },		\
	{ TOYTCP_DROP_OUT_OF_ORDER, "out_of_order" },		\
	{ TOYTCP_DROP_RCVBUF, "rcvbuf_full" },			\
	{ TOYTCP_DROP_BACKLOG, "backlog_full" },		\
	{ TOYTCP_DROP_LISTEN, "listen_queue_full" },		\
	{ TOYTCP_DROP_NO_ACK, "no_ack" },			\
	{ TOYTCP_DROP_POLICY, "policy" },			\
	{ TOYTCP_DROP_FILTER, "filter" },			\
	{ TOYTCP_DROP_CLOSED, "closed" },			\
	{ TOYTCP_DROP_OLD_ACK, "old_ack" },			\
	{ TOYTCP_DROP_PAWS, "paws" },				\
	{ TOYTCP_DROP_DEFER_ACCEPT, "defer_accept" })

TRACE_EVENT(toytcp_drop,
	TP_PROTO(__be32 saddr, u16 sport, __be32 daddr, u16 dport, u32 seq,
		 int reason),
	TP_ARGS(saddr, sport, daddr, dport, seq, reason),
	TP_STRUCT__entry(
		__field(__u32, saddr)
		__field(__u32, daddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, seq)
		__field(int, reason)
	),
	TP_fast_assign(
		__entry->saddr = (__force __u32)saddr;
		__entry->sport = sport;
		__entry->daddr = (__force __u32)daddr;
		__entry->dport = dport;
		__entry->seq = seq;
		__entry->reason = reason;
	),
	TP_printk("%pI4:%u %pI4:%u seq=%u reason=%s", &__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport,
		  __entry->seq, toytcp_show_drop(__entry->reason))
);

TRACE_DEFINE_ENUM(TOYTCP_ICMP_HARD);
TRACE_DEFINE_ENUM(TOYTCP_ICMP_SOFT);
TRACE_DEFINE_ENUM(TOYTCP_ICMP_PMTU);
TRACE_DEFINE_ENUM(TOYTCP_ICMP_IGNORED);
TRACE_DEFINE_ENUM(TOYTCP_ICMP_OUT_OF_WINDOW);
TRACE_DEFINE_ENUM(TOYTCP_ICMP_BAD_CSUM);
TRACE_DEFINE_ENUM(TOYTCP_ICMP_DEFERRED);

#define toytcp_show_icmp_action(a) __print_symbolic(a,		\
	{ TOYTCP_ICMP_HARD, "hard_error" },			\
	{ TOYTCP_ICMP_SOFT, "soft_error" },			\
	{ TOYTCP_ICMP_PMTU, "pmtu" },				\
	{ TOYTCP_ICMP_IGNORED, "ignored" },			\
	{ TOYTCP_ICMP_OUT_OF_WINDOW, "out_of_window" },		\
	{ TOYTCP_ICMP_BAD_CSUM, "bad_checksum" },		\
	{ TOYTCP_ICMP_DEFERRED, "deferred_hard_error" })

/*
 * An ICMP error about one of our segments, taken by toytcp: its type and
 * code, info (the next-hop MTU for "fragmentation needed"), the sequence
 * number it quotes, the errno it means (0: none) and what was done.
 */
TRACE_EVENT(toytcp_icmp,
	TP_PROTO(const struct sock *sk, u8 type, u8 code, u32 info, u32 seq,
		 int err, int action),
	TP_ARGS(sk, type, code, info, seq, err, action),
	TP_STRUCT__entry(
		__field(__u32, saddr)
		__field(__u32, daddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u8, type)
		__field(__u8, code)
		__field(__u32, info)
		__field(__u32, seq)
		__field(int, err)
		__field(int, action)
	),
	TP_fast_assign(
		TOYTCP_TUPLE_ASSIGN(sk);
		__entry->type = type;
		__entry->code = code;
		__entry->info = info;
		__entry->seq = seq;
		__entry->err = err;
		__entry->action = action;
	),
	TP_printk("%pI4:%u %pI4:%u type=%u code=%u info=%u seq=%u err=%d action=%s",
		  &__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport,
		  __entry->type, __entry->code, __entry->info, __entry->seq,
		  __entry->err, toytcp_show_icmp_action(__entry->action))
);

#endif /* _TOYTCP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE toytcp_trace
#include <trace/define_trace.h>
