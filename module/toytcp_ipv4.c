// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_ipv4.c: toytcp's glue to IPv4.
 *
 * - Ports: which toytcp socket holds which port, kept in step with Linux
 *   TCP through a "shadow" AF_INET socket per port (see struct toytcp_port).
 * - Lookup tables: connections by 4-tuple, listeners by port, per network
 *   namespace (the namespace is part of every key).
 * - Input: a netfilter hook at NF_INET_LOCAL_IN, after the filter table,
 *   takes the segments of toytcp sockets and lets every other go on to
 *   Linux.
 * - Output: the IPv4 header, the route (source address, next hop, MTU)
 *   and the neighbour layer, which hands the frame to the device.
 */
#include <linux/module.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <linux/hash.h>
#include <linux/siphash.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/workqueue.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/neighbour.h>
#include <net/netns/generic.h>
#include <net/net_namespace.h>
#include <kunit/visibility.h>

#include "toytcp.h"
#include "toytcp_trace.h"

/*
 * The tables. One lock serializes every change to them; lookups from the
 * input path walk them under RCU (the netfilter hook runs inside
 * rcu_read_lock()) and take a reference with refcount_inc_not_zero().
 * Sockets are freed only after a grace period (SOCK_RCU_FREE), so a walk
 * never touches freed memory.
 *
 * toytcp_ehash: sockets with a peer (SYN_SENT .. TIME_WAIT), by 4-tuple,
 *               linked by sk_node.
 * toytcp_lhash: listeners, by local port, linked by sk_node.
 * toytcp_bhash: every socket holding a port, by local port, linked by
 *               sk_bind_node: what bind() checks for conflicts.
 * toytcp_ports: struct toytcp_port, by port.
 */
#define TOYTCP_HASH_BITS 8
static DEFINE_SPINLOCK(toytcp_table_lock);
static struct hlist_head toytcp_ehash[1 << TOYTCP_HASH_BITS];
static struct hlist_head toytcp_lhash[1 << TOYTCP_HASH_BITS];
static struct hlist_head toytcp_bhash[1 << TOYTCP_HASH_BITS];
static struct hlist_head toytcp_ports[1 << TOYTCP_HASH_BITS];

/* Shadow sockets are released from process context, here. */
static struct workqueue_struct *toytcp_wq;

static siphash_key_t toytcp_isn_key __read_mostly;

/* ---- counters ---- */

struct toytcp_net {
	atomic_long_t mib[TOYTCP_MIB_MAX];
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
};

void toytcp_inc_stat(const struct net *net, enum toytcp_mib field)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);

	atomic_long_inc(&tn->mib[field]);
}

long toytcp_read_stat(const struct net *net, enum toytcp_mib field)
{
	struct toytcp_net *tn = net_generic(net, toytcp_net_id);

	return atomic_long_read(&tn->mib[field]);
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

/* ---- ports ---- */

/**
 * struct toytcp_port - a local port held by toytcp sockets.
 * @node: link in toytcp_ports.
 * @net: namespace.
 * @port: the port number, host order.
 * @ref: toytcp sockets holding it.
 * @shadow: an AF_INET TCP socket bound, never listening, to the same port
 *          (and to the address of the first toytcp socket bound to it):
 *          Linux TCP then refuses the port to its own sockets, and its
 *          bind() tells us if Linux TCP already holds it.
 * @release_work: releases @shadow in process context.
 */
struct toytcp_port {
	struct hlist_node node;
	possible_net_t net;
	u16 port;
	refcount_t ref;
	struct socket *shadow;
	struct work_struct release_work;
};

static u32 toytcp_port_hash(const struct net *net, u16 port)
{
	return hash_32(net_hash_mix(net) ^ port, TOYTCP_HASH_BITS);
}

static struct toytcp_port *toytcp_find_port(const struct net *net, u16 port)
{
	struct toytcp_port *p;

	hlist_for_each_entry(p, &toytcp_ports[toytcp_port_hash(net, port)], node)
		if (p->port == port && net_eq(read_pnet(&p->net), net))
			return p;
	return NULL;
}

static void toytcp_port_release_work(struct work_struct *work)
{
	struct toytcp_port *p = container_of(work, struct toytcp_port,
					     release_work);

	sock_release(p->shadow);
	kfree(p);
}

/*
 * Make a shadow socket bound to addr:port (port 0: Linux picks one from
 * ip_local_port_range). Returns the port bound, or a negative errno.
 */
static int toytcp_shadow_bind(struct net *net, __be32 addr, u16 port,
			      struct socket **shadow)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = addr,
		.sin_port = htons(port),
	};
	struct socket *s;
	int err;

	err = sock_create_kern(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &s);
	if (err)
		return err;
	/* Binding is what the shadow is for; it must not count as a user socket. */
	err = kernel_bind(s, (struct sockaddr *)&sin, sizeof(sin));
	if (!err) {
		int len = kernel_getsockname(s, (struct sockaddr *)&sin);

		if (len < 0)
			err = len;
	}
	if (err) {
		sock_release(s);
		return err;
	}
	*shadow = s;
	return ntohs(sin.sin_port);
}

static bool toytcp_bind_conflict(const struct sock *sk, const struct net *net,
				 __be32 addr, u16 port)
{
	struct sock *sk2;

	sk_for_each_bound(sk2, &toytcp_bhash[toytcp_port_hash(net, port)]) {
		if (sk2 == sk || sk2->sk_num != port ||
		    !net_eq(sock_net(sk2), net))
			continue;
		if (addr && sk2->sk_rcv_saddr && addr != sk2->sk_rcv_saddr)
			continue;
		/* As Linux: both asked for SO_REUSEADDR, the other not listening. */
		if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
			continue;
		return true;
	}
	return false;
}

static void toytcp_port_attach(struct sock *sk, struct toytcp_port *p)
{
	toytcp_sk(sk)->port = p;
	sk->sk_num = p->port;
	sk_add_bind_node(sk, &toytcp_bhash[toytcp_port_hash(sock_net(sk), p->port)]);
}

/**
 * toytcp_port_get() - bind @sk to a local port.
 * @sk: the socket, not yet bound.
 * @addr: local address (INADDR_ANY for all).
 * @port: the port, host order, or 0 for an ephemeral one.
 *
 * Context: process context (a shadow socket may be created).
 * Return: 0, or -EADDRINUSE when a toytcp or a Linux TCP socket holds the
 * port, or another negative errno.
 */
int toytcp_port_get(struct sock *sk, __be32 addr, u16 port)
{
	struct net *net = sock_net(sk);
	struct toytcp_port *p, *newp;
	struct socket *shadow = NULL;
	int tries = 0, bound;

	newp = kzalloc(sizeof(*newp), GFP_KERNEL);
	if (!newp)
		return -ENOMEM;
again:
	if (port) {
		/* Shared with toytcp sockets already on it, if the rules allow. */
		spin_lock_bh(&toytcp_table_lock);
		p = toytcp_find_port(net, port);
		if (p) {
			if (toytcp_bind_conflict(sk, net, addr, port)) {
				spin_unlock_bh(&toytcp_table_lock);
				kfree(newp);
				return -EADDRINUSE;
			}
			refcount_inc(&p->ref);
			sk->sk_rcv_saddr = addr;
			toytcp_port_attach(sk, p);
			spin_unlock_bh(&toytcp_table_lock);
			kfree(newp);
			return 0;
		}
		spin_unlock_bh(&toytcp_table_lock);
	}

	bound = toytcp_shadow_bind(net, addr, port, &shadow);
	if (bound == -EADDRINUSE && tries++ < 1) {
		/* A port of ours may still be on its way out: let it go. */
		flush_workqueue(toytcp_wq);
		goto again;
	}
	if (bound < 0) {
		kfree(newp);
		return bound;
	}

	spin_lock_bh(&toytcp_table_lock);
	if (toytcp_find_port(net, bound)) {
		/* Raced with another bind to the same port: start over. */
		spin_unlock_bh(&toytcp_table_lock);
		sock_release(shadow);
		if (tries++ > 8) {
			kfree(newp);
			return -EADDRINUSE;
		}
		goto again;
	}
	newp->port = bound;
	write_pnet(&newp->net, net);
	refcount_set(&newp->ref, 1);
	newp->shadow = shadow;
	INIT_WORK(&newp->release_work, toytcp_port_release_work);
	hlist_add_head(&newp->node, &toytcp_ports[toytcp_port_hash(net, bound)]);
	sk->sk_rcv_saddr = addr;
	toytcp_port_attach(sk, newp);
	spin_unlock_bh(&toytcp_table_lock);
	return 0;
}

/* A child of a listener uses its parent's port. */
void toytcp_port_share(struct sock *child, struct sock *parent)
{
	struct toytcp_port *p = toytcp_sk(parent)->port;

	spin_lock_bh(&toytcp_table_lock);
	refcount_inc(&p->ref);
	toytcp_port_attach(child, p);
	spin_unlock_bh(&toytcp_table_lock);
}

/* Drop @sk's hold on its port; returns the port if that was the last. */
static struct toytcp_port *toytcp_port_drop(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct toytcp_port *p = tp->port;

	if (!p)
		return NULL;
	spin_lock_bh(&toytcp_table_lock);
	__sk_del_bind_node(sk);
	tp->port = NULL;
	if (refcount_dec_and_test(&p->ref))
		hlist_del(&p->node);
	else
		p = NULL;
	spin_unlock_bh(&toytcp_table_lock);
	return p;
}

/**
 * toytcp_port_put() - let go of the port @sk holds, if any.
 * @sk: the socket.
 *
 * Context: any; the shadow socket is released later, from a work item.
 */
void toytcp_port_put(struct sock *sk)
{
	struct toytcp_port *p = toytcp_port_drop(sk);

	if (p)
		queue_work(toytcp_wq, &p->release_work);
}

/**
 * toytcp_port_put_sync() - let go of the port now, so that another bind()
 * from either stack, right after close(), finds it free (as Linux does).
 * @sk: the socket.
 *
 * Context: process context; may sleep.
 */
void toytcp_port_put_sync(struct sock *sk)
{
	struct toytcp_port *p = toytcp_port_drop(sk);

	might_sleep();
	if (p)
		toytcp_port_release_work(&p->release_work);
}

/* ---- connection and listener tables ---- */

static u32 toytcp_ehashfn(const struct net *net, __be32 laddr, u16 lport,
			  __be32 raddr, __be16 rport)
{
	return hash_32(net_hash_mix(net) ^ (__force u32)laddr ^
		       (__force u32)raddr ^ ((u32)lport << 16 | (__force u16)rport),
		       TOYTCP_HASH_BITS);
}

static struct hlist_head *toytcp_ehash_bucket(const struct sock *sk)
{
	return &toytcp_ehash[toytcp_ehashfn(sock_net(sk), sk->sk_rcv_saddr,
					    sk->sk_num, sk->sk_daddr,
					    sk->sk_dport)];
}

static bool toytcp_4tuple_taken(const struct sock *sk)
{
	struct net *net = sock_net(sk);
	struct sock *sk2;

	sk_for_each(sk2, toytcp_ehash_bucket(sk))
		if (sk2 != sk && net_eq(sock_net(sk2), net) &&
		    sk2->sk_num == sk->sk_num && sk2->sk_dport == sk->sk_dport &&
		    sk2->sk_rcv_saddr == sk->sk_rcv_saddr &&
		    sk2->sk_daddr == sk->sk_daddr)
			return true;
	return false;
}

/**
 * toytcp_hash_connect() - enter a connecting socket in the 4-tuple table.
 * @sk: socket with local and remote address and port set.
 *
 * Return: 0, or -EADDRNOTAVAIL if another toytcp connection has the same
 * 4-tuple.
 */
int toytcp_hash_connect(struct sock *sk)
{
	int err = 0;

	spin_lock_bh(&toytcp_table_lock);
	if (toytcp_4tuple_taken(sk))
		err = -EADDRNOTAVAIL;
	else
		sk_add_node_rcu(sk, toytcp_ehash_bucket(sk));
	spin_unlock_bh(&toytcp_table_lock);
	return err;
}

/* A new child: the listener's lookup found no connection, so none exists. */
void toytcp_hash_child(struct sock *sk)
{
	spin_lock_bh(&toytcp_table_lock);
	sk_add_node_rcu(sk, toytcp_ehash_bucket(sk));
	spin_unlock_bh(&toytcp_table_lock);
}

void toytcp_hash_listener(struct sock *sk)
{
	u32 h = toytcp_port_hash(sock_net(sk), sk->sk_num);

	spin_lock_bh(&toytcp_table_lock);
	sk_add_node_rcu(sk, &toytcp_lhash[h]);
	spin_unlock_bh(&toytcp_table_lock);
}

/**
 * toytcp_tw_takeover() - a socket the application still holds enters
 * TIME_WAIT: a new, orphan control block takes its place in the tables
 * and waits out 2*MSL, and the application's socket goes to CLOSED at
 * once (as Linux's time-wait sockets do: getpeername() gives ENOTCONN,
 * bind() works again).
 * @sk: the socket, locked.
 *
 * Return: the TIME_WAIT socket, or NULL if none could be allocated.
 */
struct sock *toytcp_tw_takeover(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk), *twp;
	struct sock *tw;

	if (!tp->port || !sk_hashed(sk))
		return NULL;
	tw = toytcp_sk_alloc(sock_net(sk), GFP_ATOMIC, 0);
	if (!tw)
		return NULL;
	twp = toytcp_sk(tw);
	tw->sk_rcv_saddr = sk->sk_rcv_saddr;
	tw->sk_daddr = sk->sk_daddr;
	tw->sk_dport = sk->sk_dport;
	tw->sk_bound_dev_if = sk->sk_bound_dev_if;
	tw->sk_uid = sk->sk_uid;
	tw->sk_mark = sk->sk_mark;
	twp->iss = tp->iss;
	twp->snd_una = tp->snd_una;
	twp->snd_nxt = tp->snd_nxt;
	twp->snd_max = tp->snd_max;
	twp->snd_wnd = tp->snd_wnd;
	twp->write_seq = tp->write_seq;
	twp->fin_queued = tp->fin_queued;
	twp->irs = tp->irs;
	twp->rcv_nxt = tp->rcv_nxt;
	twp->rcv_wnd = tp->rcv_wnd;
	twp->rcv_wup = tp->rcv_wup;
	twp->copied_seq = tp->rcv_nxt;
	twp->mss = tp->mss;
	twp->peer_mss = tp->peer_mss;
	twp->advmss = tp->advmss;
	sock_set_flag(tw, SOCK_DEAD);
	tw->sk_shutdown = SHUTDOWN_MASK;
	tw->sk_state = TCP_TIME_WAIT;

	spin_lock_bh(&toytcp_table_lock);
	refcount_inc(&tp->port->ref);
	toytcp_port_attach(tw, tp->port);
	/* one step, so a lookup finds one of the two, never neither */
	sock_hold(tw);
	hlist_replace_rcu(&sk->sk_node, &tw->sk_node);
	sk_node_init(&sk->sk_node);
	__sock_put(sk);
	spin_unlock_bh(&toytcp_table_lock);

	toytcp_arm_tw_timer(tw, 2UL * READ_ONCE(toytcp_msl) * HZ);
	sock_put(tw);	/* the table and the timer hold it now */
	return tw;
}

/* Out of the connection or listener table (drops the table's reference). */
void toytcp_unhash(struct sock *sk)
{
	spin_lock_bh(&toytcp_table_lock);
	sk_del_node_init_rcu(sk);
	spin_unlock_bh(&toytcp_table_lock);
}

/**
 * toytcp_lookup() - find the socket a segment belongs to.
 * @net: namespace the segment arrived in.
 * @saddr: segment's source address (the remote end).
 * @sport: segment's source port.
 * @daddr: segment's destination address (local).
 * @dport: segment's destination port.
 *
 * A connection matching the 4-tuple first; else a listener on the port,
 * one bound to @daddr before one bound to INADDR_ANY.
 *
 * Context: rcu_read_lock() held.
 * Return: the socket with a reference taken, or NULL.
 */
struct sock *toytcp_lookup(struct net *net, __be32 saddr, __be16 sport,
			   __be32 daddr, __be16 dport)
{
	u16 lport = ntohs(dport);
	struct sock *sk, *any = NULL;
	u32 h = toytcp_ehashfn(net, daddr, lport, saddr, sport);

	sk_for_each_rcu(sk, &toytcp_ehash[h])
		if (sk->sk_num == lport && sk->sk_dport == sport &&
		    sk->sk_rcv_saddr == daddr && sk->sk_daddr == saddr &&
		    net_eq(sock_net(sk), net))
			goto found;

	sk_for_each_rcu(sk, &toytcp_lhash[toytcp_port_hash(net, lport)]) {
		if (sk->sk_num != lport || !net_eq(sock_net(sk), net))
			continue;
		if (sk->sk_rcv_saddr == daddr)
			goto found;
		if (!sk->sk_rcv_saddr && !any)
			any = sk;
	}
	sk = any;
	if (!sk)
		return NULL;
found:
	if (!refcount_inc_not_zero(&sk->sk_refcnt))
		return NULL;
	return sk;
}

/**
 * toytcp_walk_socks() - call @fn for each socket of @net in the tables.
 * @net: namespace.
 * @fn: called under the table lock with BHs off; returns false to stop.
 * @arg: passed to @fn.
 */
void toytcp_walk_socks(struct net *net, bool (*fn)(struct sock *, void *), void *arg)
{
	struct sock *sk;
	int i;

	spin_lock_bh(&toytcp_table_lock);
	for (i = 0; i < ARRAY_SIZE(toytcp_lhash); i++)
		sk_for_each(sk, &toytcp_lhash[i])
			if (net_eq(sock_net(sk), net) && !fn(sk, arg))
				goto out;
	for (i = 0; i < ARRAY_SIZE(toytcp_ehash); i++)
		sk_for_each(sk, &toytcp_ehash[i])
			if (net_eq(sock_net(sk), net) && !fn(sk, arg))
				goto out;
out:
	spin_unlock_bh(&toytcp_table_lock);
}

/* ---- output: IPv4 header, route, neighbour ---- */

static struct rtable *toytcp_route(struct sock *sk, struct flowi4 *fl4)
{
	struct rtable *rt;

	rt = (struct rtable *)__sk_dst_check(sk, 0);
	if (rt) {
		fl4->saddr = sk->sk_rcv_saddr;
		fl4->daddr = sk->sk_daddr;
		return rt;
	}
	rt = ip_route_output_ports(sock_net(sk), fl4, sk, sk->sk_daddr,
				   sk->sk_rcv_saddr, sk->sk_dport,
				   htons(sk->sk_num), IPPROTO_TCP, 0,
				   sk->sk_bound_dev_if);
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
 * Put the IPv4 header in front of the TCP segment in @skb and hand it to
 * the neighbour layer. Consumes @skb and the reference on @rt.
 */
static int toytcp_ip_out(struct net *net, struct sk_buff *skb,
			 struct rtable *rt, __be32 saddr, __be32 daddr, u16 id)
{
	struct net_device *dev = rt->dst.dev;
	struct neighbour *neigh;
	struct iphdr *iph;
	bool is_v6gw = false;
	int err;

	skb_dst_set(skb, &rt->dst);
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = 0;
	iph->tot_len = htons(skb->len);
	iph->id = htons(id);
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_TCP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->check = 0;
	iph->check = ip_fast_csum((u8 *)iph, iph->ihl);

	skb->protocol = htons(ETH_P_IP);
	skb->dev = dev;
	skb->ip_summed = CHECKSUM_NONE;
	toytcp_inc_stat(net, TOYTCP_MIB_OUTSEGS);

	rcu_read_lock();
	neigh = ip_neigh_for_gw(rt, skb, &is_v6gw);
	if (IS_ERR(neigh)) {
		rcu_read_unlock();
		kfree_skb(skb);
		return PTR_ERR(neigh);
	}
	err = neigh_output(neigh, skb, is_v6gw);
	rcu_read_unlock();
	return err;
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
	struct flowi4 fl4;
	struct rtable *rt = toytcp_route(sk, &fl4);

	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	dst_hold(&rt->dst);
	return toytcp_ip_out(sock_net(sk), skb, rt, sk->sk_rcv_saddr,
			     sk->sk_daddr, tp->ip_id++);
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
	const struct iphdr *iph = ip_hdr(in);
	const struct tcphdr *tin = tcp_hdr(in);
	struct sk_buff *skb;
	struct tcphdr *th;
	struct flowi4 fl4;
	struct rtable *rt;

	if (cb->flags & TOYTCP_RST)
		return;
	rt = ip_route_output_ports(net, &fl4, NULL, iph->saddr, iph->daddr,
				   tin->source, tin->dest, IPPROTO_TCP, 0, 0);
	if (IS_ERR(rt))
		return;
	skb = alloc_skb(TOYTCP_HEADROOM, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	skb_reserve(skb, TOYTCP_HEADROOM);
	th = skb_push(skb, sizeof(*th));
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = tin->dest;
	th->dest = tin->source;
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	if (cb->flags & TOYTCP_ACK) {
		th->seq = htonl(cb->ack_seq);
	} else {
		th->ack = 1;
		th->ack_seq = htonl(cb->end_seq);
	}
	th->check = toytcp_v4_checksum(skb, 0, iph->daddr, iph->saddr);
	toytcp_inc_stat(net, TOYTCP_MIB_OUTRSTS);
	toytcp_ip_out(net, skb, rt, iph->daddr, iph->saddr, 0);
}

/* ---- input: the netfilter hook ---- */

static void toytcp_fill_cb(struct sk_buff *skb, const struct tcphdr *th,
			   unsigned int datalen)
{
	struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);

	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + datalen + th->syn + th->fin;
	cb->ack_seq = ntohl(th->ack_seq);
	cb->window = ntohs(th->window);
	cb->flags = ((const u8 *)th)[13] & 0x3f;
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
	unsigned int ihl, thl;
	struct sock *sk;

	if (iph->protocol != IPPROTO_TCP)
		return NF_ACCEPT;
	ihl = iph->ihl * 4;
	if (!pskb_may_pull(skb, ihl + sizeof(*th)))
		return NF_ACCEPT;	/* too short to be anyone's: Linux counts it */
	iph = ip_hdr(skb);
	th = (const struct tcphdr *)(skb->data + ihl);

	sk = toytcp_lookup(net, iph->saddr, th->source, iph->daddr, th->dest);
	if (!sk)
		return NF_ACCEPT;	/* not ours: on to Linux TCP */
	thl = th->doff * 4;

	/* Ours from here on: whatever is wrong with it is dropped and counted. */
	if (thl < sizeof(*th) || !pskb_may_pull(skb, ihl + thl)) {
		toytcp_inc_stat(net, TOYTCP_MIB_INBADHDR);
		reason = TOYTCP_DROP_HEADER;
		goto drop;
	}
	iph = ip_hdr(skb);
	if (!skb_csum_unnecessary(skb) &&
	    !toytcp_v4_checksum_ok(skb, ihl, iph->saddr, iph->daddr)) {
		toytcp_inc_stat(net, TOYTCP_MIB_INCSUMERRORS);
		reason = TOYTCP_DROP_CSUM;
		goto drop;
	}
	skb_set_transport_header(skb, ihl);
	th = tcp_hdr(skb);
	toytcp_fill_cb(skb, th, skb->len - ihl - thl);
	__skb_pull(skb, ihl + thl);
	skb_dst_drop(skb);
	toytcp_inc_stat(net, TOYTCP_MIB_INSEGS);

	if (sk->sk_state == TCP_LISTEN) {
		toytcp_rcv_listen(sk, skb);
	} else {
		bh_lock_sock(sk);
		if (!sock_owned_by_user(sk)) {
			toytcp_rcv_segment(sk, skb);
		} else if (sk_add_backlog(sk, skb, sk->sk_rcvbuf + sk->sk_sndbuf)) {
			toytcp_inc_stat(net, TOYTCP_MIB_BACKLOGDROPS);
			toytcp_trace_drop(sk, skb, TOYTCP_DROP_BACKLOG);
			kfree_skb(skb);
		}
		bh_unlock_sock(sk);
	}
	sock_put(sk);
	return NF_STOLEN;
drop:
	/* a pull may have moved the header: the socket names the connection */
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
	/* after iptables' and nftables' filter chains: their DROP wins */
	.priority	= NF_IP_PRI_FILTER + 1,
};

/* ---- per namespace ---- */

static int __net_init toytcp_net_init(struct net *net)
{
	int err;

	err = nf_register_net_hook(net, &toytcp_nf_ops);
	if (err)
		return err;
	err = toytcp_proc_init(net);
	if (err)
		nf_unregister_net_hook(net, &toytcp_nf_ops);
	return err;
}

static void __net_exit toytcp_net_exit(struct net *net)
{
	toytcp_proc_exit(net);
	nf_unregister_net_hook(net, &toytcp_nf_ops);
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
	toytcp_wq = alloc_workqueue("toytcp", 0, 0);
	if (!toytcp_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&toytcp_net_ops);
	if (err)
		destroy_workqueue(toytcp_wq);
	return err;
}

void toytcp_ipv4_exit(void)
{
	unregister_pernet_subsys(&toytcp_net_ops);
	/* waits for the last shadow sockets to be released */
	destroy_workqueue(toytcp_wq);
}
