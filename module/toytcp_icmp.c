// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_icmp.c: ICMP errors about toytcp's own segments, and path-MTU
 * discovery (RFC 9293 §3.9.2.2, RFC 1122 §4.2.3.9, RFC 1191, RFC 5927).
 *
 * Linux's ICMP code hands an error to the protocol its quoted header names,
 * and for TCP that is tcp_v4_err(), which knows no toytcp socket. So
 * toytcp's netfilter hook at LOCAL_IN (toytcp_nf_local_in()) passes every
 * ICMP message here first: an error whose quoted IPv4 and TCP header is one
 * of our segments is taken and consumed, everything else goes on to Linux.
 *
 *   fragmentation needed   the kernel's own PMTU cache learns the next-hop
 *                          MTU (so Linux and toytcp agree on the path), the
 *                          MSS goes down, and what is in flight is sent
 *                          again at the new size at once (RFC 1191)
 *   other unreachables,    in SYN-SENT connect() fails at once with the
 *   time exceeded,         errno of icmp_err_convert[], as Linux's (if the
 *   parameter problem      caller still holds the socket: when it lets go,
 *                          where Linux waits for the next SYN's answer);
 *                          later a soft error, reported instead of
 *                          ETIMEDOUT if the connection then times out
 *   source quench          ignored (RFC 6633)
 *
 * Anyone can send ICMP, so the quoted sequence number must lie in
 * [SND.UNA, SND.NXT) (RFC 5927 §4.1; SND.NXT here is snd_max, the highest
 * ever sent): else the message is dropped and counted (OutOfWindowIcmps),
 * and an attacker off the path can neither shrink the MSS nor end or
 * mark a connection without guessing a sequence number in flight.
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/netfilter.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/xfrm.h>

#include "toytcp.h"
#include "toytcp_trace.h"

/* The four ICMP types that report an error about a datagram we sent. */
static bool toytcp_icmp_is_error(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/* The counter of each kind taken. */
static enum toytcp_mib toytcp_icmp_mib(u8 type, u8 code)
{
	switch (type) {
	case ICMP_DEST_UNREACH:
		return code == ICMP_FRAG_NEEDED ? TOYTCP_MIB_ICMPFRAGNEEDED :
						  TOYTCP_MIB_ICMPUNREACH;
	case ICMP_TIME_EXCEEDED:
		return TOYTCP_MIB_ICMPTIMEEXCEEDED;
	case ICMP_PARAMETERPROB:
		return TOYTCP_MIB_ICMPPARAMPROB;
	default:
		return TOYTCP_MIB_ICMPSOURCEQUENCH;
	}
}

/*
 * The errno an error means for a connection, as in Linux's tcp_v4_err():
 * EPROTO for a parameter problem, EHOSTUNREACH for a time exceeded, the
 * table of RFC 1122's codes for an unreachable. 0 for none: source quench,
 * a time exceeded in reassembly (about a fragment, never one of our
 * segments), an unreachable code past the table.
 */
static int toytcp_icmp_errno(u8 type, u8 code)
{
	int err = 0;

	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code <= NR_ICMP_UNREACH)
			err = icmp_err_convert[code].errno;
		break;
	case ICMP_TIME_EXCEEDED:
		if (code != ICMP_EXC_FRAGTIME)
			err = EHOSTUNREACH;
		break;
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		break;
	}
	return err;
}

/*
 * Would Linux drop a request socket (a listener's child in SYN-RECEIVED)
 * for this error? As tcp_req_err(): net or host unreachable, time
 * exceeded, parameter problem. The child goes quietly: accept() is not
 * the place for a network error (POSIX).
 */
static bool toytcp_icmp_drops_child(u8 type, u8 code)
{
	return type == ICMP_PARAMETERPROB || type == ICMP_TIME_EXCEEDED ||
	       (type == ICMP_DEST_UNREACH &&
		(code == ICMP_NET_UNREACH || code == ICMP_HOST_UNREACH));
}

/*
 * The next-hop MTU a "fragmentation needed" reports, read as Linux's
 * icmp_unreach() reads it under net.ipv4.ip_no_pmtu_disc: 0 (the default)
 * and 3 (TCP's messages pass its tag validation) take the field; 1 passes
 * 0, which the route raises to net.ipv4.route.min_pmtu; 2 ignores the
 * message. Returns the MTU, or -1 to ignore it.
 */
static int toytcp_icmp_mtu(const struct net *net, const struct icmphdr *icmph)
{
	switch (READ_ONCE(net->ipv4.sysctl_ip_no_pmtu_disc)) {
	case 0:
	case 3:
		return ntohs(icmph->un.frag.mtu);
	case 2:
		return -1;
	default:
		return 0;
	}
}

/**
 * toytcp_pmtu_mss() - the data in a full segment for a path MTU (the
 * headers and the options every segment carries subtracted): never above
 * what the peer and TCP_MAXSEG allow, never below the floor.
 * @sk: the socket.
 * @mtu: the path MTU.
 *
 * Return: the MSS.
 */
u32 toytcp_pmtu_mss(const struct sock *sk, int mtu)
{
	u32 floor = max_t(u32, TOYTCP_MIN_SND_MSS,
			  READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_min_snd_mss));
	u32 hdrs = TOYTCP_IPV4_TCP_HDR_LEN + toytcp_opt_overhead(toytcp_sk(sk));
	u32 mss = mtu > hdrs ? mtu - hdrs : 0;

	mss = min_t(u32, mss, toytcp_effective_mss(toytcp_sk(sk)));
	return max(mss, floor);
}

/*
 * The segments in flight were cut for the larger MSS and the router dropped
 * them: send everything from SND.UNA again at the new size, now, not when
 * the retransmission timer fires, and not as a congestion signal (RFC 1191
 * §6.5; the idea of Linux's tcp_simple_retransmit()). The duplicate ACKs
 * this may draw are not taken as a loss.
 */
static void toytcp_resend_smaller(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (tp->snd_una == tp->snd_max)
		return;
	tp->snd_nxt = tp->snd_una;
	/* all of it goes again, in order: what was SACKed is no longer counted */
	toytcp_sack_reset(tp);
	tp->rtt_start = 0;	/* Karn: no sample from a segment sent again */
	tp->recover = tp->snd_max;
	tp->dupacks = 0;
	toytcp_push(sk);
}

/**
 * toytcp_mtu_reduced() - an ICMP "fragmentation needed" for @sk was taken
 * (its MTU in tp->mtu_info, the kernel's PMTU cache already told): lower
 * the MSS to the route's path MTU and send what is in flight again at the
 * new size. Called from softirq, or from release_sock() if the user held
 * the socket then (TOYTCP_MTU_REDUCED_DEFERRED).
 * @sk: the socket, locked.
 *
 * As Linux's tcp_v4_mtu_reduced(): the route's MTU decides, not the
 * message's (the route may refuse to go below net.ipv4.route.min_pmtu:
 * then EMSGSIZE is remembered as the soft error, for a connection that
 * may not recover); nothing happens unless the MSS gets smaller.
 */
void toytcp_mtu_reduced(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 info = READ_ONCE(tp->mtu_info);
	int mtu;
	u32 mss;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE | TCPF_TIME_WAIT))
		return;
	mtu = toytcp_route_mtu(sk);	/* rechecks the cached route */
	if (mtu <= 0)
		return;
	if (info < mtu)
		WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
	mss = toytcp_pmtu_mss(sk, mtu);
	if (mss >= tp->mss)
		return;
	tp->mss = mss;
	if ((1 << sk->sk_state) & TOYTCPF_SYNCHRONIZED)
		toytcp_resend_smaller(sk);
}

/* A hard error before the connection opened: connect() fails with @err. */
static void toytcp_fail_to_open(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	sk_error_report(sk);
	toytcp_done(sk);
}

/**
 * toytcp_open_failed() - the hard error an ICMP message brought while the
 * user held a socket that was not open yet (TOYTCP_OPEN_FAILED_DEFERRED),
 * from release_sock().
 * @sk: the socket, locked.
 *
 * The error waits in sk_err_soft. A SYN-ACK taken from the backlog first
 * opened the connection (the error is a soft one now), and a user who read
 * SO_ERROR took it: either way nothing more happens.
 */
void toytcp_open_failed(struct sock *sk)
{
	int err = READ_ONCE(sk->sk_err_soft);

	if (!err || !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)))
		return;
	WRITE_ONCE(sk->sk_err_soft, 0);
	toytcp_fail_to_open(sk, err);
}

/*
 * An error about @sk's segment with sequence number @seq; @skb->data at
 * the quoted IPv4 header, @mtu from toytcp_icmp_mtu() for "fragmentation
 * needed". @sk's spinlock held; the user may hold the socket. Sets *@err
 * to the errno the error means. Returns what was done (enum
 * toytcp_icmp_action).
 */
static int toytcp_icmp_err(struct sock *sk, struct sk_buff *skb, u8 type,
			   u8 code, int mtu, u32 seq, int *err)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct net *net = sock_net(sk);

	/* Linux takes no error for TIME_WAIT, and finds no listener */
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN | TCPF_TIME_WAIT))
		return TOYTCP_ICMP_IGNORED;
	if (!toytcp_seq_in_window(seq, tp->snd_una, tp->snd_max)) {
		toytcp_inc_stat(net, TOYTCP_MIB_OUTOFWINDOWICMPS);
		return TOYTCP_ICMP_OUT_OF_WINDOW;
	}
	toytcp_inc_stat(net, toytcp_icmp_mib(type, code));

	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		if (mtu < 0)
			return TOYTCP_ICMP_IGNORED;
		/*
		 * The kernel's cache first (a route exception for the
		 * destination), now, whoever holds the socket: the flow is
		 * built from the quoted header, on the socket's device.
		 */
		ipv4_update_pmtu(skb, net, mtu, sk->sk_bound_dev_if, IPPROTO_TCP);
		WRITE_ONCE(tp->mtu_info, mtu);
		if (!sock_owned_by_user(sk))
			toytcp_mtu_reduced(sk);
		else if (!test_and_set_bit(TOYTCP_MTU_REDUCED_DEFERRED, &tp->deferred))
			sock_hold(sk);	/* release_cb's reference */
		return TOYTCP_ICMP_PMTU;
	}

	*err = toytcp_icmp_errno(type, code);
	if (!*err)
		return TOYTCP_ICMP_IGNORED;
	if (sk->sk_state == TCP_SYN_RECV && tp->parent) {
		if (!toytcp_icmp_drops_child(type, code) || sock_owned_by_user(sk))
			return TOYTCP_ICMP_IGNORED;
		toytcp_inc_stat(net, TOYTCP_MIB_LISTENDROPS);
		toytcp_done(sk);
		return TOYTCP_ICMP_HARD;
	}
	/* the connection is not open yet: every error is a hard one (as Linux) */
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (!sock_owned_by_user(sk)) {
			toytcp_fail_to_open(sk, *err);
			return TOYTCP_ICMP_HARD;
		}
		/*
		 * connect() still holds the socket (the router answered
		 * before the call returned): Linux keeps only a soft error
		 * and waits for the next SYN's answer, a second later;
		 * toytcp ends the connect at release_sock() instead.
		 */
		WRITE_ONCE(sk->sk_err_soft, *err);
		if (!test_and_set_bit(TOYTCP_OPEN_FAILED_DEFERRED, &tp->deferred))
			sock_hold(sk);	/* release_cb's reference */
		return TOYTCP_ICMP_DEFERRED;
	}
	/*
	 * Open (or held by the user): keep trying until the connection times
	 * out; RFC 1122 §4.2.3.9 lets the error only explain why then.
	 */
	WRITE_ONCE(sk->sk_err_soft, *err);
	return TOYTCP_ICMP_SOFT;
}

/* The ICMP checksum over the message from @off on (as icmp_rcv() checks it). */
static bool toytcp_icmp_csum_ok(struct sk_buff *skb, unsigned int off)
{
	if (skb_csum_unnecessary(skb))
		return true;
	return !csum_fold(skb_checksum(skb, off, skb->len - off, 0));
}

/**
 * toytcp_icmp_rcv() - take an ICMP error about one of toytcp's segments.
 * @net: namespace.
 * @skb: an ICMP message at NF_INET_LOCAL_IN, skb->data at its IPv4 header;
 *       softirq, inside rcu_read_lock().
 *
 * An error (destination unreachable, source quench, time exceeded,
 * parameter problem) whose quoted IPv4 header and first 8 bytes of TCP
 * header (ports, sequence number) name a toytcp connection is checked as
 * Linux's icmp_rcv() and icmp_unreach() check it (checksum, lengths, sent
 * to this host), handled as Linux's tcp_v4_err() handles it, counted,
 * traced and consumed.
 *
 * Return: NF_STOLEN when taken (@skb consumed), NF_ACCEPT for every other
 * message: Linux's ICMP code goes on with it.
 */
unsigned int toytcp_icmp_rcv(struct net *net, struct sk_buff *skb)
{
	unsigned int ihl = ip_hdr(skb)->ihl * 4, off;
	const struct icmphdr *icmph;
	const struct iphdr *qiph;
	const struct tcphdr *qth;
	int action, err = 0, mtu = 0;
	struct sock *sk;
	u8 type, code;
	u32 seq;

	/* icmp_rcv() takes no error sent to a broadcast or multicast address */
	if (skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	if (!pskb_may_pull(skb, ihl + sizeof(*icmph) + sizeof(*qiph)))
		return NF_ACCEPT;
	icmph = (const struct icmphdr *)(skb->data + ihl);
	if (!toytcp_icmp_is_error(icmph->type))
		return NF_ACCEPT;
	qiph = (const struct iphdr *)(icmph + 1);
	if (qiph->version != 4 || qiph->ihl < 5 || qiph->protocol != IPPROTO_TCP)
		return NF_ACCEPT;
	off = ihl + sizeof(*icmph) + qiph->ihl * 4;
	if (!pskb_may_pull(skb, off + TOYTCP_ICMP_QUOTE_LEN))
		return NF_ACCEPT;
	/* the pull may have moved the data */
	icmph = (const struct icmphdr *)(skb->data + ihl);
	qiph = (const struct iphdr *)(icmph + 1);
	qth = (const struct tcphdr *)(skb->data + off);

	/* the quoted segment went from us to the peer: the peer is "remote" */
	sk = toytcp_lookup(net, qiph->daddr, qth->dest, qiph->saddr, qth->source,
			   inet_iif(skb), 0);
	if (!sk)
		return NF_ACCEPT;	/* not ours: on to Linux's ICMP code */
	if (!xfrm4_policy_check(NULL, XFRM_POLICY_IN, skb)) {
		/* IPsec policy: let Linux's icmp_rcv() decide, as for its own */
		sock_put(sk);
		return NF_ACCEPT;
	}
	type = icmph->type;
	code = icmph->code;
	seq = ntohl(qth->seq);

	if (!toytcp_icmp_csum_ok(skb, ihl)) {
		toytcp_inc_stat(net, TOYTCP_MIB_ICMPCSUMERRORS);
		action = TOYTCP_ICMP_BAD_CSUM;
		goto out;
	}
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		mtu = toytcp_icmp_mtu(net, icmph);
	/* the quoted header first, as ipv4_update_pmtu() wants it */
	__skb_pull(skb, ihl + sizeof(*icmph));
	bh_lock_sock(sk);
	action = toytcp_icmp_err(sk, skb, type, code, mtu, seq, &err);
	bh_unlock_sock(sk);
out:
	trace_toytcp_icmp(sk, type, code, mtu, seq, err, action);
	sock_put(sk);
	if (action == TOYTCP_ICMP_BAD_CSUM || action == TOYTCP_ICMP_OUT_OF_WINDOW)
		kfree_skb(skb);
	else
		consume_skb(skb);
	return NF_STOLEN;
}
