// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_ipv4.c: toytcp's glue to IPv4.
 *
 * - Input: a netfilter hook at NF_INET_LOCAL_IN, after the filter table
 *   and NAT, takes the segments of toytcp sockets and lets every other go
 *   on to Linux.
 * - Output: the IPv4 header, the route (source address, next hop, MTU),
 *   netfilter's LOCAL_OUT and POST_ROUTING hooks and the neighbour layer,
 *   which hands the frame to the device.
 * - Per namespace: the hook, /proc files and counters.
 *
 * The tables the input path looks segments up in are in toytcp_hash.c.
 */
#include <linux/module.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <linux/siphash.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/security.h>
#include <linux/filter.h>
#include <net/xfrm.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/neighbour.h>
#include <net/icmp.h>
#include <net/dst.h>
#include <net/netns/generic.h>
#include <net/net_namespace.h>
#include <net/inet_ecn.h>
#include <kunit/visibility.h>

#include "toytcp.h"
#include "toytcp_trace.h"

static siphash_key_t toytcp_isn_key __read_mostly;

/* ---- counters ---- */

/* Counters per CPU, so that counting takes no shared cache line. */
struct toytcp_mib_cpu {
	unsigned long v[TOYTCP_MIB_MAX];
};

/**
 * struct toytcp_net - toytcp's state in a network namespace.
 * @mib: the counters of /proc/net/toytcp_stats.
 * @tw_count: TIME_WAIT control blocks, capped by net.ipv4.tcp_max_tw_buckets.
 * @challenge_lock: protects the two fields below.
 * @challenge_second: the second (jiffies / HZ) @challenge_left is for.
 * @challenge_left: challenge ACKs still allowed in that second.
 */
struct toytcp_net {
	struct toytcp_mib_cpu __percpu *mib;
	atomic_t tw_count;
	spinlock_t challenge_lock;	/* the two fields below */
	unsigned long challenge_second;
	int challenge_left;
};

static unsigned int toytcp_net_id __read_mostly;

const char *const toytcp_mib_names[TOYTCP_MIB_MAX] = {
	[TOYTCP_MIB_INSEGS]		= "InSegs",
	[TOYTCP_MIB_OUTSEGS]		= "OutSegs",
	[TOYTCP_MIB_RETRANSSEGS]	= "RetransSegs",
	[TOYTCP_MIB_INCSUMERRORS]	= "InCsumErrors",
	[TOYTCP_MIB_INBADHDR]		= "InBadHeader",
	[TOYTCP_MIB_INUNACCEPTABLE]	= "InUnacceptable",
	[TOYTCP_MIB_OUTRSTS]		= "OutRsts",
	[TOYTCP_MIB_LISTENDROPS]	= "ListenDrops",
	[TOYTCP_MIB_BACKLOGDROPS]	= "BacklogDrops",
	[TOYTCP_MIB_RCVBUFDROPS]	= "RcvbufDrops",
	[TOYTCP_MIB_OUTOFORDER]		= "OutOfOrderQueued",
	[TOYTCP_MIB_ACTIVEOPENS]	= "ActiveOpens",
	[TOYTCP_MIB_PASSIVEOPENS]	= "PassiveOpens",
	[TOYTCP_MIB_ESTABRESETS]	= "EstabResets",
	[TOYTCP_MIB_TIMEOUTS]		= "Timeouts",
	[TOYTCP_MIB_INPOLICYDROPS]	= "InPolicyDrops",
	[TOYTCP_MIB_INFILTERDROPS]	= "InFilterDrops",
	[TOYTCP_MIB_OUTFILTERDROPS]	= "OutFilterDrops",
	[TOYTCP_MIB_OUTTOOBIG]		= "OutTooBig",
	[TOYTCP_MIB_SYNCOOKIESSENT]	= "SyncookiesSent",
	[TOYTCP_MIB_SYNCOOKIESRECV]	= "SyncookiesRecv",
	[TOYTCP_MIB_SYNCOOKIESFAILED]	= "SyncookiesFailed",
	[TOYTCP_MIB_OFOPRUNED]		= "OfoPruned",
	[TOYTCP_MIB_RCVCOLLAPSED]	= "RcvCollapsed",
	[TOYTCP_MIB_CHALLENGEACK]	= "ChallengeACK",
	[TOYTCP_MIB_CHALLENGEACKLIMIT]	= "ChallengeACKLimited",
	[TOYTCP_MIB_OLDACKDROPS]	= "OldACKDrops",
	[TOYTCP_MIB_ABORTONMEMORY]	= "AbortOnMemory",
	[TOYTCP_MIB_TIMEWAITOVERFLOW]	= "TimeWaitOverflow",
	[TOYTCP_MIB_ABORTONTIMEOUT]	= "AbortOnTimeout",
	[TOYTCP_MIB_ICMPFRAGNEEDED]	= "IcmpFragNeeded",
	[TOYTCP_MIB_ICMPUNREACH]	= "IcmpUnreach",
	[TOYTCP_MIB_ICMPTIMEEXCEEDED]	= "IcmpTimeExceeded",
	[TOYTCP_MIB_ICMPPARAMPROB]	= "IcmpParamProb",
	[TOYTCP_MIB_ICMPSOURCEQUENCH]	= "IcmpSourceQuench",
	[TOYTCP_MIB_OUTOFWINDOWICMPS]	= "OutOfWindowIcmps",
	[TOYTCP_MIB_ICMPCSUMERRORS]	= "IcmpCsumErrors",
	[TOYTCP_MIB_PAWSESTABREJECTED]	= "PAWSEstabRejected",
	[TOYTCP_MIB_SACKRECOVERY]	= "SackRecovery",
	[TOYTCP_MIB_DSACKSENT]		= "DSackSent",
	[TOYTCP_MIB_DSACKRECV]		= "DSackRecv",
	[TOYTCP_MIB_TLP]		= "TailLossProbes",
	[TOYTCP_MIB_TLPRECOVERED]	= "TailLossProbeRecovered",
	[TOYTCP_MIB_LOSTRETRANSMIT]	= "LostRetransmit",
	[TOYTCP_MIB_RACKREORDERTIMEOUTS] = "RackReorderTimeouts",
	[TOYTCP_MIB_RETRANSTIMEOUTS]	= "RetransTimeouts",
	[TOYTCP_MIB_ECNCEMARKS]		= "EcnCeMarks",
	[TOYTCP_MIB_ECNREDUCTIONS]	= "EcnCwndReductions",
	[TOYTCP_MIB_INDATABYTES]	= "InDataBytes",
	[TOYTCP_MIB_OUTDATABYTES]	= "OutDataBytes",
	[TOYTCP_MIB_DEFERACCEPTDROPS]	= "DeferAcceptDrops",
};

void toytcp_inc_stat(const struct net *net, enum toytcp_mib field)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);

	this_cpu_inc(tn->mib->v[field]);
}

void toytcp_add_stat(const struct net *net, enum toytcp_mib field, unsigned int n)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);

	this_cpu_add(tn->mib->v[field], n);
}

long toytcp_read_stat(const struct net *net, enum toytcp_mib field)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(tn->mib, cpu)->v[field];
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_read_stat);

/**
 * toytcp_tw_charge() - may one more TIME_WAIT control block exist in @net?
 * @net: namespace.
 *
 * As Linux, at most net.ipv4.tcp_max_tw_buckets of them; past that a
 * connection closes without TIME_WAIT, counted as TimeWaitOverflow.
 *
 * Return: true, and it is counted (toytcp_tw_uncharge() when it goes).
 */
bool toytcp_tw_charge(struct net *net)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);
	int max = READ_ONCE(net->ipv4.tcp_death_row.sysctl_max_tw_buckets);

	if (atomic_inc_return(&tn->tw_count) > max) {
		atomic_dec(&tn->tw_count);
		toytcp_inc_stat(net, TOYTCP_MIB_TIMEWAITOVERFLOW);
		return false;
	}
	return true;
}

void toytcp_tw_uncharge(struct net *net)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);

	atomic_dec(&tn->tw_count);
}

/**
 * toytcp_challenge_ack_allowed() - may a challenge ACK (RFC 5961) go out
 * now? As Linux: per namespace, about net.ipv4.tcp_challenge_ack_limit a
 * second (a random number near it, so an attacker cannot count them);
 * INT_MAX means no limit.
 * @net: namespace.
 *
 * Return: true, and it is counted.
 */
bool toytcp_challenge_ack_allowed(struct net *net)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);
	int limit = READ_ONCE(net->ipv4.sysctl_tcp_challenge_ack_limit);
	unsigned long now = jiffies / HZ;
	bool ok;

	if (limit == INT_MAX)
		goto allowed;
	spin_lock_bh(&tn->challenge_lock);
	if (now != tn->challenge_second) {
		u32 half = ((u32)limit + 1) / 2;

		tn->challenge_second = now;
		tn->challenge_left = half + get_random_u32_below(max(limit, 1));
	}
	ok = tn->challenge_left > 0;
	if (ok)
		tn->challenge_left--;
	spin_unlock_bh(&tn->challenge_lock);
	if (!ok) {
		toytcp_inc_stat(net, TOYTCP_MIB_CHALLENGEACKLIMIT);
		return false;
	}
allowed:
	toytcp_inc_stat(net, TOYTCP_MIB_CHALLENGEACK);
	return true;
}

/* ---- ISN, RFC 6528 ---- */

/**
 * toytcp_isn() - initial sequence number for a new connection.
 * @saddr: local address.
 * @daddr: remote address.
 * @sport: local port.
 * @dport: remote port.
 *
 * RFC 6528: ISN = M + F(4-tuple, secret), where F is a keyed hash (here
 * SipHash with a key drawn at module load) and M a clock (microseconds).
 * A given 4-tuple sees ISNs that grow with time, so a new incarnation of
 * a connection starts above the old one; different 4-tuples see unrelated
 * ISNs, so an attacker cannot guess one from another.
 *
 * Return: the ISN.
 */
u32 toytcp_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	u32 f = siphash_3u32((__force u32)saddr, (__force u32)daddr,
			     (__force u32)sport << 16 | (__force u32)dport,
			     &toytcp_isn_key);

	return f + (u32)ktime_to_us(ktime_get_real());
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_isn);

/**
 * toytcp_ts_offset() - what a connection adds to the millisecond clock for
 * its TSval (RFC 7323 §5.4, as Linux's secure_tcp_ts_off()): a keyed hash
 * of the two addresses, so that TSval tells nothing of the host's uptime
 * yet keeps growing across connections between the same two hosts (a peer
 * in TIME_WAIT then takes a new connection's SYN by its timestamp).
 * @saddr: our address.
 * @daddr: the peer's.
 * @net: namespace: net.ipv4.tcp_timestamps 2 there means no offset.
 *
 * Return: the offset.
 */
u32 toytcp_ts_offset(const struct net *net, __be32 saddr, __be32 daddr)
{
	if (READ_ONCE(net->ipv4.sysctl_tcp_timestamps) == 2)
		return 0;
	return siphash_3u32((__force u32)saddr, (__force u32)daddr, 7323, &toytcp_isn_key);
}

/* ---- output: IPv4 header, route, neighbour ---- */

/*
 * The flow of @sk's segments, built here from toytcp's own fields: the
 * inet_* helpers (ip_route_output_ports() with a socket) would read
 * struct inet_sock fields that a toytcp socket does not have.
 */
static void toytcp_flow(const struct sock *sk, struct flowi4 *fl4)
{
	flowi4_init_output(fl4, sk->sk_bound_dev_if, READ_ONCE(sk->sk_mark),
			   RT_CONN_FLAGS(sk), RT_SCOPE_UNIVERSE, IPPROTO_TCP,
			   inet_sk_flowi_flags(sk), sk->sk_daddr, sk->sk_rcv_saddr,
			   sk->sk_dport, htons(sk->sk_num), sk->sk_uid);
}

static struct rtable *toytcp_route(struct sock *sk, struct flowi4 *fl4)
{
	struct rtable *rt;

	rt = (struct rtable *)__sk_dst_check(sk, 0);
	if (rt) {
		fl4->saddr = sk->sk_rcv_saddr;
		fl4->daddr = sk->sk_daddr;
		return rt;
	}
	toytcp_flow(sk, fl4);
	security_sk_classify_flow(sk, flowi4_to_flowi_common(fl4));
	rt = ip_route_output_flow(sock_net(sk), fl4, NULL);
	if (IS_ERR(rt))
		return rt;
	__sk_dst_set(sk, &rt->dst);
	return rt;
}

/* Route MTU towards the peer, or a negative errno when there is no route. */
int toytcp_route_mtu(struct sock *sk)
{
	struct flowi4 fl4;
	struct rtable *rt = toytcp_route(sk, &fl4);

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (!sk->sk_rcv_saddr)
		sk->sk_rcv_saddr = fl4.saddr;
	return dst_mtu(&rt->dst);
}

/*
 * Output, as Linux's IPv4 output does it (ip_local_out(), ip_output(),
 * ip_finish_output2()), with toytcp's own steps:
 *
 *   toytcp_ip_out()          IPv4 header; NF_INET_LOCAL_OUT
 *   toytcp_local_out_done()  NF_INET_POST_ROUTING (or the IPsec transform)
 *   toytcp_finish_output()   MTU check; the neighbour layer, the device
 *
 * Each step is the "okfn" of the hook before it: netfilter calls it when
 * the hook accepts, maybe later and from another context (NFQUEUE), so it
 * must not rely on the socket lock. A hook may change the packet (NAT, a
 * mark) and the route (netfilter's NAT and mangle code re-route with
 * ip_route_me_harder()): after each hook only skb_dst() and the packet's
 * own header count.
 */

/* The neighbour layer: resolve the next hop's link address and send. */
static int toytcp_finish_output(struct net *net, struct sock *sk,
				struct sk_buff *skb)
{
	struct dst_entry *dst = skb_dst(skb);
	struct net_device *dev = dst->dev;
	unsigned int hh_len = LL_RESERVED_SPACE(dev);
	unsigned int mtu = dst_mtu(dst);
	struct neighbour *neigh;
	bool is_v6gw = false;
	int err;

	/* POST_ROUTING's source NAT re-routed onto an IPsec route */
	if (dst->xfrm) {
		IPCB(skb)->flags |= IPSKB_REROUTED;
		return dst_output(net, sk, skb);
	}
	/*
	 * DF is set and toytcp never fragments: a segment built for a larger
	 * MTU than the route's now (the MTU shrank after it was cut) is
	 * answered, as Linux's ip_fragment() answers it, with a local ICMP
	 * "fragmentation needed", which lowers the connection's MSS.
	 */
	if (skb->len > mtu && !(skb_is_gso(skb) &&
				skb_gso_validate_network_len(skb, mtu))) {
		toytcp_inc_stat(net, TOYTCP_MIB_OUTTOOBIG);
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	/* a rule may have moved it to a device with a longer link header */
	if (unlikely(skb_headroom(skb) < hh_len && dev->header_ops)) {
		skb = skb_expand_head(skb, hh_len);
		if (!skb)
			return -ENOMEM;
	}

	rcu_read_lock();
	neigh = ip_neigh_for_gw(skb_rtable(skb), skb, &is_v6gw);
	if (IS_ERR(neigh)) {
		rcu_read_unlock();
		kfree_skb(skb);
		return PTR_ERR(neigh);
	}
	err = neigh_output(neigh, skb, is_v6gw);
	rcu_read_unlock();
	return err;
}

/*
 * Run netfilter's @hook on @skb, then @okfn if it accepts. A verdict of
 * DROP (or REJECT, which sends its answer and drops) comes back as -EPERM:
 * the segment is lost, as any lost segment, and counted.
 */
static int toytcp_nf_hook(unsigned int hook, struct net *net, struct sock *sk,
			  struct sk_buff *skb, struct net_device *dev,
			  int (*okfn)(struct net *, struct sock *, struct sk_buff *))
{
	int ret = nf_hook(NFPROTO_IPV4, hook, net, sk, skb, NULL, dev, okfn);

	if (ret == 1)
		return okfn(net, sk, skb);
	if (ret < 0)
		toytcp_inc_stat(net, TOYTCP_MIB_OUTFILTERDROPS);
	return ret;
}

/* After LOCAL_OUT: POST_ROUTING, or the IPsec transform. */
static int toytcp_local_out_done(struct net *net, struct sock *sk,
				 struct sk_buff *skb)
{
	struct dst_entry *dst = skb_dst(skb);

	/*
	 * A route with an xfrm bundle: never in cleartext. dst_output() is
	 * the transform's output, which encrypts and sends the result on
	 * through Linux's own IPv4 output.
	 */
	if (dst->xfrm)
		return dst_output(net, sk, skb);
	skb->dev = dst->dev;
	return toytcp_nf_hook(NF_INET_POST_ROUTING, net, sk, skb, dst->dev,
			      toytcp_finish_output);
}

/**
 * struct toytcp_iph - what the IPv4 header of a segment says besides the
 * addresses.
 * @id: identification.
 * @tos: type of service (DSCP and ECN bits), IP_TOS.
 * @ttl: time to live; negative: the route's hop limit.
 */
struct toytcp_iph {
	u16 id;
	u8 tos;
	int ttl;
};

/*
 * Put the IPv4 header in front of the TCP segment in @skb and send it
 * through LOCAL_OUT. @sk, if not NULL, is the full socket the segment
 * belongs to: it owns the skb while it travels (netfilter's owner and
 * cgroup matches read it). Consumes @skb and the reference on @rt.
 */
static int toytcp_ip_out(struct net *net, struct sock *sk, struct sk_buff *skb,
			 struct rtable *rt, __be32 saddr, __be32 daddr,
			 const struct toytcp_iph *h)
{
	struct iphdr *iph;

	skb_dst_set(skb, &rt->dst);
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = h->tos;
	iph->tot_len = htons(skb->len);
	iph->id = htons(h->id);
	iph->frag_off = htons(IP_DF);
	iph->ttl = h->ttl < 0 ? ip4_dst_hoplimit(&rt->dst) : h->ttl;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->check = 0;
	iph->check = ip_fast_csum((u8 *)iph, iph->ihl);

	/* the control block is IPv4's from here on (flags, options) */
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	skb->protocol = htons(ETH_P_IP);
	if (sk) {
		skb->priority = READ_ONCE(sk->sk_priority);
		skb->mark = READ_ONCE(sk->sk_mark);
		skb_set_owner_w(skb, sk);
	}
	toytcp_add_stat(net, TOYTCP_MIB_OUTSEGS, toytcp_skb_segs(skb));
	return toytcp_nf_hook(NF_INET_LOCAL_OUT, net, sk, skb, rt->dst.dev,
			      toytcp_local_out_done);
}

/**
 * toytcp_ip_xmit() - send a finished TCP segment of @sk.
 * @sk: the socket, locked.
 * @skb: TCP header and data, checksum filled in; consumed.
 *
 * Return: 0 or a negative errno (the segment is gone either way; a lost
 * segment is the retransmission timer's business).
 */
int toytcp_ip_xmit(struct sock *sk, struct sk_buff *skb)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	struct toytcp_iph h = {
		.id = tp->ip_id,
		/* ECN's bits are the segment's (RFC 3168 §6.1.1), not IP_TOS's */
		.tos = (READ_ONCE(inet->tos) & ~INET_ECN_MASK) |
		       (TOYTCP_SKB_CB(skb)->ecn & TOYTCP_ECT ? INET_ECN_ECT_0 : 0),
		.ttl = READ_ONCE(inet->uc_ttl),
	};
	struct flowi4 fl4;
	struct rtable *rt = toytcp_route(sk, &fl4);

	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	dst_hold(&rt->dst);
	/* GSO: the GSO layer numbers the wire segments on from this one */
	tp->ip_id += toytcp_skb_segs(skb);
	/*
	 * A TIME_WAIT stand-in is no full socket to netfilter (sk_fullsock()
	 * is false for that state and it would read it as an
	 * inet_timewait_sock): its ACKs go out unowned, as Linux's do.
	 */
	return toytcp_ip_out(sock_net(sk), sk_fullsock(sk) ? sk : NULL, skb,
			     rt, sk->sk_rcv_saddr, sk->sk_daddr, &h);
}

/**
 * toytcp_send_reply() - send a segment that belongs to no socket, back to
 * where @in came from: a reset, or a listener's SYN-ACK with a cookie.
 * @net: namespace.
 * @in: the segment answered, headers pulled; not consumed.
 * @seq: sequence number.
 * @ack: acknowledgment number (sent with TOYTCP_ACK in @flags).
 * @flags: TOYTCP_* control bits.
 * @window: window field.
 * @opts: the options to send (NULL: none).
 */
void toytcp_send_reply(struct net *net, const struct sk_buff *in, u32 seq,
		       u32 ack, u8 flags, u16 window, const struct toytcp_opts *opts)
{
	const struct iphdr *iph = ip_hdr(in);
	const struct tcphdr *tin = tcp_hdr(in);
	const struct toytcp_iph h = { .ttl = -1 };
	struct sk_buff *skb;
	struct tcphdr *th;
	struct flowi4 fl4;
	struct rtable *rt;

	flowi4_init_output(&fl4, 0, 0, 0, RT_SCOPE_UNIVERSE, IPPROTO_TCP, 0,
			   iph->saddr, iph->daddr, tin->source, tin->dest,
			   sock_net_uid(net, NULL));
	rt = ip_route_output_flow(net, &fl4, NULL);
	if (IS_ERR(rt))
		return;
	skb = alloc_skb(TOYTCP_HEADROOM, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	skb_reserve(skb, TOYTCP_HEADROOM);
	toytcp_build_tcp_header(skb, tin->dest, tin->source, seq, ack, flags,
				window, opts);
	th = tcp_hdr(skb);
	th->check = toytcp_v4_checksum(skb, 0, iph->daddr, iph->saddr);
	toytcp_ip_out(net, NULL, skb, rt, iph->daddr, iph->saddr, &h);
}

/**
 * toytcp_send_reset_reply() - answer a segment that has no connection.
 * @net: namespace.
 * @in: the offending segment, headers pulled (cb filled in); not consumed.
 *
 * RFC 9293 §3.10.7.1: if the segment has ACK, the reset takes its
 * sequence number from the ACK field; else it has sequence number zero
 * and acknowledges everything the segment occupied.
 */
void toytcp_send_reset_reply(struct net *net, struct sk_buff *in)
{
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(in);

	if (cb->flags & TOYTCP_RST)
		return;
	toytcp_inc_stat(net, TOYTCP_MIB_OUTRSTS);
	if (cb->flags & TOYTCP_ACK)
		toytcp_send_reply(net, in, cb->ack_seq, 0, TOYTCP_RST, 0, NULL);
	else
		toytcp_send_reply(net, in, 0, cb->end_seq, TOYTCP_RST | TOYTCP_ACK, 0, NULL);
}

/* ---- input: the netfilter hook ---- */

/**
 * toytcp_segment_check() - is this a well-formed TCP segment? Its whole
 * header is there and its checksum is right.
 * @net: namespace, for the counters.
 * @skb: the segment, skb->data at the TCP header, the IPv4 header before
 *       it (network header set).
 *
 * Return: 0, or -EINVAL (bad header) or -EBADMSG (bad checksum), counted;
 * the caller drops the segment.
 */
int toytcp_segment_check(struct net *net, struct sk_buff *skb)
{
	const struct tcphdr *th;
	unsigned int thl;

	if (!pskb_may_pull(skb, sizeof(*th)))
		goto bad_header;
	th = (const struct tcphdr *)skb->data;
	thl = th->doff * 4;
	if (thl < sizeof(*th) || !pskb_may_pull(skb, thl))
		goto bad_header;
	skb_reset_transport_header(skb);
	if (!skb_csum_unnecessary(skb) &&
	    !toytcp_v4_checksum_ok(skb, 0, ip_hdr(skb)->saddr, ip_hdr(skb)->daddr)) {
		toytcp_inc_stat(net, TOYTCP_MIB_INCSUMERRORS);
		return -EBADMSG;
	}
	return 0;
bad_header:
	toytcp_inc_stat(net, TOYTCP_MIB_INBADHDR);
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_segment_check);

/**
 * toytcp_segment_pull() - note a checked segment's header fields in
 * TOYTCP_SKB_CB() and pull the header: skb->data is then the data, and
 * tcp_hdr() still finds the header (and its options) in front of it.
 * @skb: the segment, skb->data at the TCP header, as toytcp_segment_check()
 *       left it.
 */
void toytcp_segment_pull(struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	unsigned int thl = th->doff * 4;

	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + skb->len - thl + th->syn + th->fin;
	cb->ack_seq = ntohl(th->ack_seq);
	cb->window = ntohs(th->window);
	cb->flags = ((const u8 *)th)[13] & 0x3f;
	cb->ecn = ((const u8 *)th)[13] & (TOYTCP_ECE | TOYTCP_CWR);
	if (INET_ECN_is_ce(ip_hdr(skb)->tos))
		cb->ecn |= TOYTCP_CE;
	else if (!INET_ECN_is_not_ect(ip_hdr(skb)->tos))
		cb->ecn |= TOYTCP_ECT;
	__skb_pull(skb, thl);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_segment_pull);

/*
 * How much the backlog and the receive queue may hold together while the
 * application holds the socket, as Linux's tcp_add_backlog(): twice the
 * receive buffer, half the send buffer (ACKs) and 64 KB. The backlog's
 * count only falls when release_sock() has worked through all of it, and
 * segments keep coming meanwhile: with only SO_RCVBUF + SO_SNDBUF, data
 * inside the window offered was dropped at 100 MB/s, and the sender
 * waited for its timeout.
 */
static u32 toytcp_backlog_limit(const struct sock *sk)
{
	u64 limit = 2ULL * READ_ONCE(sk->sk_rcvbuf) + READ_ONCE(sk->sk_sndbuf) / 2 + SZ_64K;

	return min_t(u64, limit, U32_MAX);	/* SO_RCVBUFFORCE may say INT_MAX */
}

/*
 * Hand a checked segment to @sk: listeners take it at once (their queues
 * have their own lock); a connection takes it now, or from its backlog
 * when the application lets go of the socket.
 */
static void toytcp_deliver(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_state == TCP_LISTEN) {
		toytcp_rcv_listen(sk, skb);
		return;
	}
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		toytcp_rcv_segment(sk, skb);
	} else if (sk_add_backlog(sk, skb, toytcp_backlog_limit(sk))) {
		toytcp_inc_stat(net, TOYTCP_MIB_BACKLOGDROPS);
		toytcp_trace_drop(sk, skb, TOYTCP_DROP_BACKLOG);
		kfree_skb(skb);
	}
	bh_unlock_sock(sk);
}

/*
 * Conntrack confirms the entry a connection's first segment created at the
 * very end of LOCAL_IN (NF_IP_PRI_CONNTRACK_CONFIRM, after every other
 * hook), which a segment toytcp takes never reaches: confirm it here, as
 * that hook would, so the entry lives on and the replies match it. Then
 * the segment lets go of its entry before it is queued, as Linux's TCP
 * does (nf_reset_ct()). Conntrack's own verdict may drop the segment.
 *
 * Return: false if conntrack dropped the segment (consumed).
 */
static bool toytcp_conntrack_confirm(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	struct nf_conn *ct = (struct nf_conn *)skb_nfct(skb);
	const struct nf_ct_hook *ct_hook;

	if (ct && !nf_ct_is_confirmed(ct)) {
		ct_hook = rcu_dereference(nf_ct_hook);
		if (ct_hook && ct_hook->confirm(skb) != NF_ACCEPT) {
			kfree_skb(skb);
			return false;
		}
	}
#endif
	nf_reset_ct(skb);
	return true;
}

/*
 * Take a segment for toytcp, or let it pass. Runs in softirq, inside
 * rcu_read_lock(), with skb->data at the IPv4 header.
 */
static unsigned int toytcp_nf_local_in(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct net *net = state->net;
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th;
	enum toytcp_drop_reason reason;
	unsigned int ihl;
	struct sock *sk;
	int tries = 0, dif, sdif;

	/* ICMP errors about our own segments (toytcp_icmp.c) */
	if (iph->protocol == IPPROTO_ICMP)
		return toytcp_icmp_rcv(net, skb);
	/* Linux's TCP drops what was not addressed to this host; so do we */
	if (iph->protocol != IPPROTO_TCP || skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	ihl = iph->ihl * 4;
	if (!pskb_may_pull(skb, ihl + sizeof(*th)))
		return NF_ACCEPT;	/* too short to be anyone's: Linux counts it */
	/* for SO_BINDTODEVICE; read now, before the route is dropped */
	dif = inet_iif(skb);
	sdif = inet_sdif(skb);
lookup:
	iph = ip_hdr(skb);
	th = (const struct tcphdr *)(skb->data + ihl);
	sk = toytcp_lookup(net, iph->saddr, th->source, iph->daddr, th->dest,
			   dif, sdif);
	if (!sk)
		return NF_ACCEPT;	/* not ours: on to Linux TCP */
	/*
	 * Closed under us (TIME_WAIT took its place, or it was reset): the
	 * tables hold whoever has the 4-tuple now, if anyone.
	 */
	if (unlikely(sk->sk_state == TCP_CLOSE) && tries++ < 2) {
		sock_put(sk);
		goto lookup;
	}

	/* Ours from here on: whatever is wrong with it is dropped and counted. */
	if (!toytcp_conntrack_confirm(skb)) {
		sock_put(sk);
		return NF_STOLEN;
	}
	__skb_pull(skb, ihl);
	skb_dst_drop(skb);
	if (toytcp_segment_check(net, skb)) {
		reason = TOYTCP_DROP_HEADER;
		goto drop;
	}
	if (!xfrm4_policy_check(sk, XFRM_POLICY_IN, skb)) {
		toytcp_inc_stat(net, TOYTCP_MIB_INPOLICYDROPS);
		reason = TOYTCP_DROP_POLICY;
		goto drop;
	}
	/* the socket's BPF filter and the LSM; either may trim the data */
	if (sk_filter_trim_cap(sk, skb, tcp_hdr(skb)->doff * 4)) {
		toytcp_inc_stat(net, TOYTCP_MIB_INFILTERDROPS);
		reason = TOYTCP_DROP_FILTER;
		goto drop;
	}
	toytcp_segment_pull(skb);
	toytcp_inc_stat(net, TOYTCP_MIB_INSEGS);
	if (unlikely(sk->sk_state == TCP_TIME_WAIT) && toytcp_tw_new_syn(sk, skb)) {
		/* a new connection on the 4-tuple: the listener's, if any */
		sock_put(sk);
		sk = toytcp_lookup_listener(net, ip_hdr(skb)->saddr, tcp_hdr(skb)->source,
					    ip_hdr(skb)->daddr, ntohs(tcp_hdr(skb)->dest),
					    dif, sdif);
		if (!sk) {
			toytcp_send_reset_reply(net, skb);
			kfree_skb(skb);
			return NF_STOLEN;
		}
	}
	toytcp_deliver(net, sk, skb);
	sock_put(sk);
	return NF_STOLEN;
drop:
	/* the socket names the connection: the header may be unreadable */
	trace_toytcp_drop(sk->sk_rcv_saddr, sk->sk_num, sk->sk_daddr,
			  ntohs(sk->sk_dport), 0, reason);
	sock_put(sk);
	kfree_skb(skb);
	return NF_STOLEN;
}

static const struct nf_hook_ops toytcp_nf_ops = {
	.hook		= toytcp_nf_local_in,
	.pf		= NFPROTO_IPV4,
	.hooknum	= NF_INET_LOCAL_IN,
	/*
	 * After iptables' and nftables' filter chains (their DROP wins) and
	 * after source NAT's input side, which gives the reply to a
	 * connection DNATed on output its original source back; conntrack's
	 * confirmation, which comes last of all, is done by the hook itself.
	 */
	.priority	= NF_IP_PRI_NAT_SRC + 1,
};

/* ---- per namespace ---- */

static int __net_init toytcp_net_init(struct net *net)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);
	int err;

	spin_lock_init(&tn->challenge_lock);
	tn->mib = alloc_percpu(struct toytcp_mib_cpu);
	if (!tn->mib)
		return -ENOMEM;
	err = nf_register_net_hook(net, &toytcp_nf_ops);
	if (err)
		goto out_mib;
	err = toytcp_proc_init(net);
	if (err)
		goto out_hook;
	return 0;
out_hook:
	nf_unregister_net_hook(net, &toytcp_nf_ops);
out_mib:
	free_percpu(tn->mib);
	return err;
}

static void __net_exit toytcp_net_exit(struct net *net)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);

	toytcp_proc_exit(net);
	nf_unregister_net_hook(net, &toytcp_nf_ops);
	/* shadow sockets hold no reference on the namespace: release them now */
	toytcp_port_flush();
	free_percpu(tn->mib);
}

static struct pernet_operations toytcp_net_ops = {
	.init	= toytcp_net_init,
	.exit	= toytcp_net_exit,
	.id	= &toytcp_net_id,
	.size	= sizeof(struct toytcp_net),
};

int toytcp_ipv4_init(void)
{
	int err;

	get_random_bytes(&toytcp_isn_key, sizeof(toytcp_isn_key));
	toytcp_minisocks_init();
	err = toytcp_hash_init();
	if (err)
		return err;
	err = register_pernet_subsys(&toytcp_net_ops);
	if (err)
		toytcp_hash_exit();
	return err;
}

void toytcp_ipv4_exit(void)
{
	unregister_pernet_subsys(&toytcp_net_ops);
	toytcp_hash_exit();
}
