// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_hash.c: which socket holds which port, and the tables the input
 * path looks segments up in.
 *
 * Three tables, each an array of buckets with a lock of its own, so that
 * connections on different buckets never wait for each other:
 *
 * ports    struct toytcp_port by (namespace, port); each keeps the list of
 *          sockets bound to it (their sk_bind_node), which is what bind()
 *          checks for conflicts.
 * ehash    sockets with a peer (SYN_SENT .. TIME_WAIT), by 4-tuple, linked
 *          by sk_nulls_node. Sized at load (module parameter ehash_entries).
 * lhash    listeners, by (namespace, port), linked by sk_nulls_node too.
 *
 * Changes take the bucket's lock (_bh: the input path changes them from
 * softirq). Lookups from the input path take no lock: they walk a chain
 * under RCU (the netfilter hook runs inside rcu_read_lock()) and take a
 * reference with refcount_inc_not_zero(). Sockets are freed only after a
 * grace period (SOCK_RCU_FREE), so a walk never touches freed memory; but a
 * socket can leave one chain and enter another while a walk stands on it.
 * Every chain therefore ends in a "nulls" marker that names its bucket
 * (hlist_nulls): a walk that ends on the marker of another bucket has been
 * carried off its chain and starts again.
 *
 * The hash is keyed with a secret drawn at load (jhash), so a remote host
 * cannot aim its segments at one bucket.
 */
#include <linux/module.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/workqueue.h>
#include <linux/rculist_nulls.h>
#include <net/sock.h>
#include <net/ip.h>
#include <net/netns/hash.h>
#include <net/net_namespace.h>

#include "toytcp.h"

static unsigned int toytcp_ehash_entries = 65536;
module_param_named(ehash_entries, toytcp_ehash_entries, uint, 0444);
MODULE_PARM_DESC(ehash_entries, "buckets of the connection table (rounded up to a power of two)");

#define TOYTCP_LHASH_BITS	8
#define TOYTCP_PHASH_BITS	12
/* Nulls markers of the listener table start here, so they differ from ehash's. */
#define TOYTCP_LHASH_NULLS	BIT(29)

struct toytcp_nulls_bucket {
	struct hlist_nulls_head chain;
	spinlock_t lock;	/* changes to @chain */
};

struct toytcp_port_bucket {
	struct hlist_head chain;
	spinlock_t lock;	/* @chain, and each port's @owners and @ref */
};

static struct toytcp_nulls_bucket *toytcp_ehash;
static u32 toytcp_ehash_mask;
static struct toytcp_nulls_bucket toytcp_lhash[1 << TOYTCP_LHASH_BITS];
static struct toytcp_port_bucket toytcp_ports[1 << TOYTCP_PHASH_BITS];
static u32 toytcp_hash_secret __read_mostly;

/* Shadow sockets are released from process context, here. */
static struct workqueue_struct *toytcp_wq;

/* ---- ports ---- */

/**
 * struct toytcp_port - a local port held by toytcp sockets.
 * @node: link in its bucket of toytcp_ports.
 * @net: namespace.
 * @port: the port number, host order.
 * @ref: toytcp sockets holding it.
 * @owners: those sockets, by sk_bind_node.
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
	struct hlist_head owners;
	struct socket *shadow;
	struct work_struct release_work;
};

static struct toytcp_port_bucket *toytcp_port_bucket(const struct net *net, u16 port)
{
	return &toytcp_ports[hash_32(net_hash_mix(net) ^ port, TOYTCP_PHASH_BITS)];
}

/* Context: the bucket's lock held. */
static struct toytcp_port *toytcp_find_port(struct toytcp_port_bucket *b,
					    const struct net *net, u16 port)
{
	struct toytcp_port *p;

	hlist_for_each_entry(p, &b->chain, node)
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
	/*
	 * toytcp's bind() has checked the address already; a non-local one
	 * it allowed (IP_FREEBIND, IP_TRANSPARENT) must pass here too.
	 */
	ip_sock_set_freebind(s->sk);
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

/* Context: the port's bucket lock held. */
static bool toytcp_bind_conflict(const struct sock *sk, const struct toytcp_port *p,
				 __be32 addr)
{
	struct sock *sk2;

	sk_for_each_bound(sk2, &p->owners) {
		if (sk2 == sk)
			continue;
		if (addr && sk2->sk_rcv_saddr && addr != sk2->sk_rcv_saddr)
			continue;
		/* As Linux: both asked for SO_REUSEADDR, the other not listening. */
		if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
			continue;
		/* or both for SO_REUSEPORT, as the same user (or it is TIME_WAIT) */
		if (sk->sk_reuseport && sk2->sk_reuseport &&
		    (sk2->sk_state == TCP_TIME_WAIT ||
		     uid_eq(sock_i_uid((struct sock *)sk), sock_i_uid(sk2))))
			continue;
		return true;
	}
	return false;
}

/* Context: the port's bucket lock held. */
static void toytcp_port_attach(struct sock *sk, struct toytcp_port *p)
{
	toytcp_sk(sk)->port = p;
	sk->sk_num = p->port;
	sk_add_bind_node(sk, &p->owners);
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
	struct toytcp_port_bucket *b;
	struct toytcp_port *p, *newp;
	struct socket *shadow = NULL;
	int tries = 0, bound;

	newp = kzalloc(sizeof(*newp), GFP_KERNEL_ACCOUNT);
	if (!newp)
		return -ENOMEM;
again:
	if (port) {
		/* Shared with toytcp sockets already on it, if the rules allow. */
		b = toytcp_port_bucket(net, port);
		spin_lock_bh(&b->lock);
		p = toytcp_find_port(b, net, port);
		if (p) {
			if (toytcp_bind_conflict(sk, p, addr)) {
				spin_unlock_bh(&b->lock);
				kfree(newp);
				return -EADDRINUSE;
			}
			refcount_inc(&p->ref);
			sk->sk_rcv_saddr = addr;
			toytcp_port_attach(sk, p);
			spin_unlock_bh(&b->lock);
			kfree(newp);
			return 0;
		}
		spin_unlock_bh(&b->lock);
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

	b = toytcp_port_bucket(net, bound);
	spin_lock_bh(&b->lock);
	if (toytcp_find_port(b, net, bound)) {
		/* Raced with another bind to the same port: start over. */
		spin_unlock_bh(&b->lock);
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
	INIT_HLIST_HEAD(&newp->owners);
	newp->shadow = shadow;
	INIT_WORK(&newp->release_work, toytcp_port_release_work);
	hlist_add_head(&newp->node, &b->chain);
	sk->sk_rcv_saddr = addr;
	toytcp_port_attach(sk, newp);
	spin_unlock_bh(&b->lock);
	return 0;
}

/**
 * toytcp_port_may_listen() - ask the bind rule again as @sk starts to listen.
 * @sk: the socket, bound, locked, its state already LISTEN.
 *
 * As Linux's listen(), which asks get_port again: two sockets that shared
 * a port under SO_REUSEADDR may not both listen on it, and an option
 * cleared since bind() counts. Two sockets starting to listen at once see
 * each other in LISTEN: at least the later one is refused, as in Linux.
 *
 * Return: 0, or -EADDRINUSE.
 */
int toytcp_port_may_listen(struct sock *sk)
{
	struct toytcp_port_bucket *b = toytcp_port_bucket(sock_net(sk), sk->sk_num);
	bool conflict;

	spin_lock_bh(&b->lock);
	conflict = toytcp_bind_conflict(sk, toytcp_sk(sk)->port, sk->sk_rcv_saddr);
	spin_unlock_bh(&b->lock);
	return conflict ? -EADDRINUSE : 0;
}

/**
 * toytcp_port_share() - @child holds @parent's port too (a listener's
 * child, a TIME_WAIT stand-in).
 * @child: the new socket.
 * @parent: the socket whose port it shares.
 *
 * A closing listener lets its port go while softirq may still be making a
 * child from it: the port is read under its bucket's lock, where
 * toytcp_port_drop() clears it.
 *
 * Context: any.
 * Return: false if @parent holds no port any more.
 */
bool toytcp_port_share(struct sock *child, struct sock *parent)
{
	struct toytcp_port_bucket *b = toytcp_port_bucket(sock_net(parent),
							  READ_ONCE(parent->sk_num));
	struct toytcp_port *p;

	spin_lock_bh(&b->lock);
	p = toytcp_sk(parent)->port;
	if (p) {
		refcount_inc(&p->ref);
		toytcp_port_attach(child, p);
	}
	spin_unlock_bh(&b->lock);
	return p;
}

/* Drop @sk's hold on its port; returns the port if that was the last. */
static struct toytcp_port *toytcp_port_drop(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct toytcp_port *p = tp->port;
	struct toytcp_port_bucket *b;

	if (!p)
		return NULL;
	b = toytcp_port_bucket(sock_net(sk), p->port);
	spin_lock_bh(&b->lock);
	__sk_del_bind_node(sk);
	tp->port = NULL;
	if (refcount_dec_and_test(&p->ref))
		hlist_del(&p->node);
	else
		p = NULL;
	spin_unlock_bh(&b->lock);
	return p;
}

/**
 * toytcp_port_put() - let go of the port @sk holds, if any.
 * @sk: the socket.
 *
 * Context: any; the shadow socket is released later, from a work item
 * (toytcp_port_flush() waits for it).
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

/**
 * toytcp_port_flush() - wait until every shadow socket let go so far is
 * released. A namespace on its way out calls it: a shadow is a kernel
 * socket, which holds no reference on its namespace.
 */
void toytcp_port_flush(void)
{
	flush_workqueue(toytcp_wq);
}

/* ---- connections and listeners ---- */

static u32 toytcp_ehashfn(const struct net *net, __be32 laddr, u16 lport,
			  __be32 raddr, __be16 rport)
{
	return jhash_3words((__force u32)laddr, (__force u32)raddr,
			    (u32)lport << 16 | (__force u16)rport,
			    toytcp_hash_secret + net_hash_mix(net));
}

static u32 toytcp_ehash_slot(const struct sock *sk)
{
	return toytcp_ehashfn(sock_net(sk), sk->sk_rcv_saddr, sk->sk_num,
			      sk->sk_daddr, sk->sk_dport) & toytcp_ehash_mask;
}

static u32 toytcp_lhash_slot(const struct net *net, u16 port)
{
	return hash_32(net_hash_mix(net) ^ port ^ toytcp_hash_secret,
		       TOYTCP_LHASH_BITS);
}

static bool toytcp_match(const struct sock *sk, const struct net *net,
			 __be32 laddr, u16 lport, __be32 raddr, __be16 rport)
{
	return sk->sk_num == lport && sk->sk_dport == rport &&
	       sk->sk_rcv_saddr == laddr && sk->sk_daddr == raddr &&
	       net_eq(sock_net(sk), net);
}

/*
 * Enter @sk in its 4-tuple's chain unless another socket has the same
 * 4-tuple. The chain takes a reference.
 */
static bool toytcp_ehash_insert(struct sock *sk)
{
	struct toytcp_nulls_bucket *b = &toytcp_ehash[toytcp_ehash_slot(sk)];
	struct hlist_nulls_node *node;
	struct sock *sk2;
	bool taken = false;

	spin_lock_bh(&b->lock);
	sk_nulls_for_each(sk2, node, &b->chain)
		if (toytcp_match(sk2, sock_net(sk), sk->sk_rcv_saddr, sk->sk_num,
				 sk->sk_daddr, sk->sk_dport)) {
			taken = true;
			break;
		}
	if (!taken)
		sk_nulls_add_node_rcu(sk, &b->chain);
	spin_unlock_bh(&b->lock);
	return !taken;
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
	return toytcp_ehash_insert(sk) ? 0 : -EADDRNOTAVAIL;
}

/**
 * toytcp_hash_child() - enter a listener's new child in the 4-tuple table.
 * @sk: the child.
 *
 * Two SYNs of one peer can reach the listener on two CPUs at once, and
 * each makes a child: only the first one in wins.
 *
 * Return: true, or false if a connection with the same 4-tuple exists.
 */
bool toytcp_hash_child(struct sock *sk)
{
	return toytcp_ehash_insert(sk);
}

void toytcp_hash_listener(struct sock *sk)
{
	struct toytcp_nulls_bucket *b =
		&toytcp_lhash[toytcp_lhash_slot(sock_net(sk), sk->sk_num)];

	spin_lock_bh(&b->lock);
	sk_nulls_add_node_rcu(sk, &b->chain);
	spin_unlock_bh(&b->lock);
}

static struct toytcp_nulls_bucket *toytcp_bucket_of(const struct sock *sk)
{
	if (sk->sk_state == TCP_LISTEN)
		return &toytcp_lhash[toytcp_lhash_slot(sock_net(sk), sk->sk_num)];
	return &toytcp_ehash[toytcp_ehash_slot(sk)];
}

/**
 * toytcp_unhash() - out of the connection or listener table (dropping the
 * table's reference), before the socket leaves state LISTEN or its 4-tuple
 * changes.
 * @sk: the socket.
 */
void toytcp_unhash(struct sock *sk)
{
	struct toytcp_nulls_bucket *b = toytcp_bucket_of(sk);

	spin_lock_bh(&b->lock);
	sk_nulls_del_node_init_rcu(sk);
	spin_unlock_bh(&b->lock);
}

/**
 * toytcp_ehash_replace() - @new takes @old's place in the 4-tuple table in
 * one step under the bucket's lock: a lookup finds one of the two, never
 * neither, and a walk standing on @old goes on down the chain.
 * @old: a hashed socket; the table's reference on it is dropped.
 * @new: a socket with the same 4-tuple; the table takes a reference.
 *
 * Return: false if @old was no longer in the table (nothing changed).
 */
bool toytcp_ehash_replace(struct sock *old, struct sock *new)
{
	struct toytcp_nulls_bucket *b = &toytcp_ehash[toytcp_ehash_slot(old)];
	bool done = false;

	spin_lock_bh(&b->lock);
	if (sk_hashed(old)) {
		sk_nulls_add_node_rcu(new, &b->chain);
		sk_nulls_del_node_init_rcu(old);
		done = true;
	}
	spin_unlock_bh(&b->lock);
	return done;
}

/*
 * SO_BINDTODEVICE, as Linux's inet_sk_bound_dev_eq(): a socket bound to a
 * device takes only what came in on it (@dif) or on an L3 slave of it, a
 * VRF (@sdif: the slave's index when @dif is the VRF device's); an unbound
 * socket takes what came through a VRF only if net.ipv4.tcp_l3mdev_accept.
 */
static bool toytcp_dev_match(const struct sock *sk, struct net *net, int dif,
			     int sdif)
{
	return inet_sk_bound_dev_eq(net, READ_ONCE(sk->sk_bound_dev_if), dif, sdif);
}

static struct sock *toytcp_lookup_established(struct net *net, __be32 saddr,
					      __be16 sport, __be32 daddr, u16 lport,
					      int dif, int sdif)
{
	u32 slot = toytcp_ehashfn(net, daddr, lport, saddr, sport) & toytcp_ehash_mask;
	struct hlist_nulls_node *node;
	struct sock *sk;

again:
	sk_nulls_for_each_rcu(sk, node, &toytcp_ehash[slot].chain) {
		if (!toytcp_match(sk, net, daddr, lport, saddr, sport) ||
		    !toytcp_dev_match(sk, net, dif, sdif))
			continue;
		if (!refcount_inc_not_zero(&sk->sk_refcnt))
			return NULL;	/* on its way out: as if not there */
		if (unlikely(!toytcp_match(sk, net, daddr, lport, saddr, sport))) {
			sock_put(sk);	/* moved to another 4-tuple meanwhile */
			goto again;
		}
		return sk;
	}
	if (get_nulls_value(node) != slot)
		goto again;	/* carried off the chain: walk it again */
	return NULL;
}

/*
 * Rendezvous hashing over a SO_REUSEPORT group: @flow's weight at listener
 * @sk; the flow goes to the heaviest.
 */
static u32 toytcp_reuseport_weight(const struct sock *sk, u32 flow)
{
	return jhash_2words(flow, hash_ptr(sk, 32), toytcp_hash_secret);
}

/**
 * toytcp_lookup_listener() - the listener a SYN for @daddr:@lport goes to.
 * @net: namespace.
 * @saddr: the segment's source address.
 * @sport: its source port.
 * @daddr: the segment's destination address.
 * @lport: its destination port, host order.
 * @dif: the device it came in on (inet_iif()).
 * @sdif: the L3 slave device, if it came through a VRF (inet_sdif()), or 0.
 *
 * As Linux's __inet_lookup_listener(): one bound to @daddr before one bound
 * to INADDR_ANY; among those, one bound (SO_BINDTODEVICE) to the device
 * before an unbound one. A listener bound to another device never matches.
 * Several equal ones with SO_REUSEPORT share the connections: each
 * 4-tuple goes to the one toytcp_reuseport_weight() ranks first, so a
 * flow always meets the same listener while the group stays as it is,
 * and a listener leaving moves only its own flows.
 *
 * Context: rcu_read_lock().
 * Return: the listener with a reference taken, or NULL.
 */
struct sock *toytcp_lookup_listener(struct net *net, __be32 saddr, __be16 sport,
				    __be32 daddr, u16 lport, int dif, int sdif)
{
	u32 slot = toytcp_lhash_slot(net, lport), flow, weight, best_weight;
	struct hlist_nulls_node *node;
	struct sock *sk, *best;
	int score, best_score, tries = 0;

	flow = toytcp_ehashfn(net, daddr, lport, saddr, sport);
again:
	best = NULL;
	best_score = 0;
	best_weight = 0;
	sk_nulls_for_each_rcu(sk, node, &toytcp_lhash[slot].chain) {
		if (sk->sk_num != lport || !net_eq(sock_net(sk), net) ||
		    sk->sk_state != TCP_LISTEN)
			continue;
		if (sk->sk_rcv_saddr && sk->sk_rcv_saddr != daddr)
			continue;
		if (!toytcp_dev_match(sk, net, dif, sdif))
			continue;
		score = (sk->sk_rcv_saddr ? 4 : 0) +
			(READ_ONCE(sk->sk_bound_dev_if) ? 2 : 1);
		weight = toytcp_reuseport_weight(sk, flow);
		if (score > best_score ||
		    (score == best_score && best->sk_reuseport && sk->sk_reuseport &&
		     weight > best_weight)) {
			best = sk;
			best_score = score;
			best_weight = weight;
		}
	}
	if (!best && get_nulls_value(node) != TOYTCP_LHASH_NULLS + slot)
		goto again;
	if (!best)
		return NULL;
	if (!refcount_inc_not_zero(&best->sk_refcnt)) {
		/* closing, on its way off the chain: another may be left */
		if (++tries < 4)
			goto again;
		return NULL;
	}
	return best;
}

/**
 * toytcp_lookup() - find the socket a segment belongs to.
 * @net: namespace the segment arrived in.
 * @saddr: segment's source address (the remote end).
 * @sport: segment's source port.
 * @daddr: segment's destination address (local).
 * @dport: segment's destination port.
 * @dif: the device it came in on (inet_iif()).
 * @sdif: the L3 slave device, if it came through a VRF (inet_sdif()), or 0.
 *
 * A connection matching the 4-tuple first; else a listener on the port
 * (toytcp_lookup_listener()). A socket bound to a device (SO_BINDTODEVICE)
 * matches only segments that came in on it, as Linux's inet_lookup().
 *
 * Context: rcu_read_lock() held.
 * Return: the socket with a reference taken, or NULL.
 */
struct sock *toytcp_lookup(struct net *net, __be32 saddr, __be16 sport,
			   __be32 daddr, __be16 dport, int dif, int sdif)
{
	struct sock *sk;

	sk = toytcp_lookup_established(net, saddr, sport, daddr, ntohs(dport),
				       dif, sdif);
	return sk ? : toytcp_lookup_listener(net, saddr, sport, daddr, ntohs(dport),
					     dif, sdif);
}

/**
 * toytcp_walk_socks() - call @fn for each socket of @net in the tables,
 * listeners first, one bucket at a time.
 * @net: namespace.
 * @fn: called under the bucket's lock with BHs off; returns false to stop.
 * @arg: passed to @fn.
 */
void toytcp_walk_socks(struct net *net, bool (*fn)(struct sock *, void *), void *arg)
{
	struct hlist_nulls_node *node;
	struct toytcp_nulls_bucket *b;
	bool more = true;
	struct sock *sk;
	u32 i, n = ARRAY_SIZE(toytcp_lhash) + toytcp_ehash_mask + 1;

	for (i = 0; i < n && more; i++) {
		b = i < ARRAY_SIZE(toytcp_lhash) ? &toytcp_lhash[i] :
		    &toytcp_ehash[i - ARRAY_SIZE(toytcp_lhash)];
		if (hlist_nulls_empty(&b->chain))
			continue;
		spin_lock_bh(&b->lock);
		sk_nulls_for_each(sk, node, &b->chain)
			if (net_eq(sock_net(sk), net) && !fn(sk, arg)) {
				more = false;
				break;
			}
		spin_unlock_bh(&b->lock);
		cond_resched();
	}
}

/* ---- set-up ---- */

int toytcp_hash_init(void)
{
	u32 i, n = roundup_pow_of_two(clamp(toytcp_ehash_entries, 16U, 1U << 24));

	toytcp_ehash = kvmalloc_array(n, sizeof(*toytcp_ehash), GFP_KERNEL);
	if (!toytcp_ehash)
		return -ENOMEM;
	toytcp_ehash_mask = n - 1;
	toytcp_ehash_entries = n;
	for (i = 0; i < n; i++) {
		INIT_HLIST_NULLS_HEAD(&toytcp_ehash[i].chain, i);
		spin_lock_init(&toytcp_ehash[i].lock);
	}
	for (i = 0; i < ARRAY_SIZE(toytcp_lhash); i++) {
		INIT_HLIST_NULLS_HEAD(&toytcp_lhash[i].chain, TOYTCP_LHASH_NULLS + i);
		spin_lock_init(&toytcp_lhash[i].lock);
	}
	for (i = 0; i < ARRAY_SIZE(toytcp_ports); i++) {
		INIT_HLIST_HEAD(&toytcp_ports[i].chain);
		spin_lock_init(&toytcp_ports[i].lock);
	}
	toytcp_hash_secret = get_random_u32();
	toytcp_wq = alloc_workqueue("toytcp", 0, 0);
	if (!toytcp_wq) {
		kvfree(toytcp_ehash);
		return -ENOMEM;
	}
	return 0;
}

void toytcp_hash_exit(void)
{
	/* waits for the last shadow sockets to be released */
	destroy_workqueue(toytcp_wq);
	kvfree(toytcp_ehash);
}
