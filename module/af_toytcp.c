// SPDX-License-Identifier: GPL-2.0
/*
 * af_toytcp.c: the AF_TOYTCP socket family and the calls that make and
 * end connections.
 *
 * socket()  toytcp_create(): allocates the control block (struct
 *           toytcp_sock, from its own slab cache) and hangs it on the
 *           struct socket whose descriptor the program gets back. This is
 *           the seed's "socket 작성 단계".
 * connect() toytcp_connect(): route, port, ISN, SYN; waits for ESTABLISHED
 *           (the seed's "접속 단계").
 * listen(), accept(), bind(): the server side.
 * close()   toytcp_release(): FIN after the queued data, or RST (the seed's
 *           "연결 끊기 단계"); the control block lives on, orphaned, through
 *           FIN_WAIT and TIME_WAIT and is freed when it reaches CLOSED.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/poll.h>
#include <linux/sockios.h>
#include <linux/termios.h>
#include <linux/sched/signal.h>
#include <net/sock.h>
#include <net/route.h>
#include <net/ip.h>
#include <net/tcp.h>
#include <net/l3mdev.h>
#include <uapi/linux/toytcp.h>
#include <kunit/visibility.h>

#include "toytcp.h"
#define CREATE_TRACE_POINTS
#include "toytcp_trace.h"

/*
 * For the segment events' text: " sack=L-R,L-R" (absolute sequence
 * numbers), nothing when the segment has no SACK blocks.
 */
const char *toytcp_trace_print_sacks(struct trace_seq *p, const u32 *sack, u8 n)
{
	const char *ret = trace_seq_buffer_ptr(p);
	u8 i;

	for (i = 0; i < n && i < TOYTCP_MAX_SACK_BLOCKS; i++)
		trace_seq_printf(p, "%s%u-%u", i ? "," : " sack=", sack[2 * i], sack[2 * i + 1]);
	trace_seq_putc(p, 0);
	return ret;
}

int toytcp_family = AF_TOYTCP;
module_param_named(family, toytcp_family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (default AF_TOYTCP)");

unsigned int toytcp_syn_retries = 6;
module_param_named(syn_retries, toytcp_syn_retries, uint, 0644);
MODULE_PARM_DESC(syn_retries, "SYN retransmissions before connect() gives up (6, as Linux)");

unsigned int toytcp_synack_retries = 5;
module_param_named(synack_retries, toytcp_synack_retries, uint, 0644);
MODULE_PARM_DESC(synack_retries, "SYN-ACK retransmissions before a half-open child is dropped");

unsigned int toytcp_retries2 = 15;
module_param_named(retries2, toytcp_retries2, uint, 0644);
MODULE_PARM_DESC(retries2, "retransmissions of data before the connection is aborted (15, as Linux)");

unsigned int toytcp_delack_ms = 40;
module_param_named(delack_ms, toytcp_delack_ms, uint, 0644);
MODULE_PARM_DESC(delack_ms, "longest an ACK is delayed, in ms (40 as Linux; at most 200)");

unsigned int toytcp_max_orphans = 32768;
module_param_named(max_orphans, toytcp_max_orphans, uint, 0644);
MODULE_PARM_DESC(max_orphans, "most connections closed by their application and not yet gone; past it a close resets (as net.ipv4.tcp_max_orphans)");

/* Connections closed by their application, not yet CLOSED or TIME_WAIT. */
static atomic_t toytcp_orphans = ATOMIC_INIT(0);

unsigned int toytcp_offload = 1;
module_param_named(offload, toytcp_offload, uint, 0644);
MODULE_PARM_DESC(offload, "1: segmentation and checksum offload, skbs of up to 64 KB (GSO) with CHECKSUM_PARTIAL; 0: one wire segment per skb, checksummed by toytcp (for the teaching views)");

unsigned int toytcp_msl = 30;
module_param_named(msl, toytcp_msl, uint, 0644);
MODULE_PARM_DESC(msl, "maximum segment lifetime in seconds; TIME_WAIT lasts 2*msl (60 s, as Linux)");

static void toytcp_sk_destruct(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&tp->ooo_queue);
	toytcp_purge_write_queue(sk);
	/* every byte charged is uncharged by now: give the pool back its pages */
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
	sk_sockets_allocated_dec(sk);
	dst_release(rcu_dereference_protected(sk->sk_dst_cache, 1));
	toytcp_orphan_uncount(sk);
	if (tp->tw_charged)
		toytcp_tw_uncharge(sock_net(sk));
	toytcp_port_put(sk);
	if (tp->parent)
		sock_put(tp->parent);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	pr_debug("toytcp: control block %p freed\n", sk);
}

static int toytcp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	return toytcp_rcv_segment(sk, skb);
}

/*
 * Socket memory, as Linux TCP accounts it: every byte queued to send or
 * received is charged (sk_wmem_schedule(), sk_rmem_schedule()) to a pool
 * of pages for all toytcp sockets, and to the memory cgroup of the
 * socket's creator. The pool's thresholds are Linux's own net.ipv4.tcp_mem:
 * above the second, toytcp is under memory pressure (buffers do not grow,
 * the window stays small, the send buffer shrinks); above the third a
 * charge fails (received data is dropped, a writer waits). A socket's
 * guaranteed minimum is tcp_rmem[0] / tcp_wmem[0] of its namespace.
 */
static atomic_long_t toytcp_memory_allocated;
static DEFINE_PER_CPU(int, toytcp_memory_per_cpu_fw_alloc);
static struct percpu_counter toytcp_sockets_allocated;
static unsigned long toytcp_memory_pressure;

static void toytcp_enter_memory_pressure(struct sock *sk)
{
	if (!READ_ONCE(toytcp_memory_pressure))
		WRITE_ONCE(toytcp_memory_pressure, jiffies ? : 1);
}

static void toytcp_leave_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(toytcp_memory_pressure, 0);
}

struct proto toytcp_prot = {
	.name			= "TOYTCP",
	.owner			= THIS_MODULE,
	.obj_size		= sizeof(struct toytcp_sock),
	.release_cb		= toytcp_release_cb,
	.keepalive		= toytcp_keepalive,
	.memory_allocated	= &toytcp_memory_allocated,
	.per_cpu_fw_alloc	= &toytcp_memory_per_cpu_fw_alloc,
	.sockets_allocated	= &toytcp_sockets_allocated,
	.memory_pressure	= &toytcp_memory_pressure,
	.enter_memory_pressure	= toytcp_enter_memory_pressure,
	.leave_memory_pressure	= toytcp_leave_memory_pressure,
	.sysctl_mem		= sysctl_tcp_mem,
	.sysctl_rmem_offset	= offsetof(struct net, ipv4.sysctl_tcp_rmem),
	.sysctl_wmem_offset	= offsetof(struct net, ipv4.sysctl_tcp_wmem),
};

/**
 * toytcp_sk_alloc() - allocate and initialise a control block.
 * @net: namespace.
 * @gfp: allocation flags (GFP_ATOMIC for a listener's child).
 * @kern: socket created by the kernel.
 *
 * Return: the new sock, in state CLOSE, or NULL.
 */
struct sock *toytcp_sk_alloc(struct net *net, gfp_t gfp, int kern)
{
	struct toytcp_sock *tp;
	struct sock *sk;

	sk = sk_alloc(net, toytcp_family, gfp, &toytcp_prot, kern);
	if (!sk)
		return NULL;
	tp = toytcp_sk(sk);
	sock_init_data(NULL, sk);
	toytcp_init_buffers(sk);
	sk->sk_type = SOCK_STREAM;
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_destruct = toytcp_sk_destruct;
	sk->sk_backlog_rcv = toytcp_backlog_rcv;
	sk->sk_write_space = toytcp_write_space;
	sk->sk_state = TCP_CLOSE;
	/* lookups walk the tables under RCU: free only after a grace period */
	sock_set_flag(sk, SOCK_RCU_FREE);
	/*
	 * Segments in flight are owned by the socket (skb_set_owner_w()) so
	 * that netfilter can see whose they are; the send buffer is counted
	 * in sk_wmem_queued, so their freeing need not wake writers.
	 */
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	sk_sockets_allocated_inc(sk);

	spin_lock_init(&tp->accept_lock);
	INIT_LIST_HEAD(&tp->synq);
	INIT_LIST_HEAD(&tp->acceptq);
	INIT_LIST_HEAD(&tp->q_node);
	skb_queue_head_init(&tp->ooo_queue);
	/* as Linux's tcp_keepalive_time, _intvl and _probes */
	tp->keepidle = 7200;
	tp->keepintvl = 75;
	tp->keepcnt = 9;
	tp->peer_mss = TOYTCP_DEFAULT_MSS;
	tp->mss = TOYTCP_DEFAULT_MSS;
	tp->rto_us = TOYTCP_RTO_INIT_US;	/* RFC 6298 (2.1): before any sample */
	tp->ip_id = get_random_u16();
	tp->gso_segs = 0;	/* toytcp_sync_offload() decides, from the route */
	inet_sk(sk)->uc_ttl = -1;	/* the route's hop limit */
	tp->xmit = toytcp_ip_xmit;
	toytcp_cc_set(sk, NULL);	/* the module parameter's */
	toytcp_init_timers(sk);

	/* counted per namespace in the "sockets" column of /proc/net/protocols */
	sock_prot_inuse_add(net, &toytcp_prot, 1);
	pr_debug("toytcp: control block %p created\n", sk);
	return sk;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sk_alloc);

/* RFC 9293's names for Linux's TCP_* state numbers. */
const char *toytcp_state_name(int state)
{
	static const char *const names[TCP_MAX_STATES] = {
		[TCP_ESTABLISHED]	= "ESTABLISHED",
		[TCP_SYN_SENT]		= "SYN-SENT",
		[TCP_SYN_RECV]		= "SYN-RECEIVED",
		[TCP_FIN_WAIT1]		= "FIN-WAIT-1",
		[TCP_FIN_WAIT2]		= "FIN-WAIT-2",
		[TCP_TIME_WAIT]		= "TIME-WAIT",
		[TCP_CLOSE]		= "CLOSED",
		[TCP_CLOSE_WAIT]	= "CLOSE-WAIT",
		[TCP_LAST_ACK]		= "LAST-ACK",
		[TCP_LISTEN]		= "LISTEN",
		[TCP_CLOSING]		= "CLOSING",
	};

	if (state < 0 || state >= TCP_MAX_STATES || !names[state])
		return "?";
	return names[state];
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_state_name);

void toytcp_set_state(struct sock *sk, int state)
{
	pr_debug("toytcp: %p %pI4:%u %pI4:%u %s -> %s\n", sk, &sk->sk_rcv_saddr,
		 sk->sk_num, &sk->sk_daddr, ntohs(sk->sk_dport),
		 toytcp_state_name(sk->sk_state), toytcp_state_name(state));
	trace_toytcp_state_change(sk, sk->sk_state, state);
	WRITE_ONCE(sk->sk_state, state);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_set_state);

/**
 * toytcp_trace_drop() - a segment of @sk's connection is dropped: trace it.
 * @sk: the socket it was for.
 * @skb: the segment, headers pulled (TOYTCP_SKB_CB filled in).
 * @reason: why.
 */
void toytcp_trace_drop(const struct sock *sk, const struct sk_buff *skb,
		       enum toytcp_drop_reason reason)
{
	trace_toytcp_drop(sk->sk_rcv_saddr, sk->sk_num, sk->sk_daddr,
			  ntohs(sk->sk_dport), TOYTCP_SKB_CB(skb)->seq, reason);
}

/**
 * toytcp_orphan_count() - the application closed @sk before the connection
 * ended: count it among the orphans.
 * @sk: the socket, locked, not CLOSED.
 *
 * Return: false if there are too many orphans already (as Linux's
 * tcp_too_many_orphans()): then the caller aborts the connection.
 */
static bool toytcp_orphan_count(struct sock *sk)
{
	if (atomic_inc_return(&toytcp_orphans) > READ_ONCE(toytcp_max_orphans)) {
		atomic_dec(&toytcp_orphans);
		return false;
	}
	toytcp_sk(sk)->orphan = 1;
	return true;
}

/* @sk is no orphan any more: CLOSED, TIME_WAIT or freed. */
void toytcp_orphan_uncount(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	if (tp->orphan) {
		tp->orphan = 0;
		atomic_dec(&toytcp_orphans);
	}
}

/**
 * toytcp_done() - the connection is over: state CLOSED.
 * @sk: the socket, locked.
 *
 * Stops the timers, leaves the tables (and the port, unless the user bound
 * it), wakes the user. An orphan is freed once the last reference goes.
 */
void toytcp_done(struct sock *sk)
{
	int old = sk->sk_state;

	toytcp_set_state(sk, TCP_CLOSE);
	toytcp_stop_timers(sk);
	toytcp_orphan_uncount(sk);
	toytcp_unhash(sk);
	toytcp_purge_write_queue(sk);
	skb_queue_purge(&toytcp_sk(sk)->ooo_queue);
	sk_mem_reclaim(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK) && !toytcp_sk(sk)->parent)
		toytcp_port_put(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	toytcp_child_unlink(sk, old);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_done);

static inline struct toytcp_sock *toytcp_sock_tp(struct socket *sock)
{
	return toytcp_sk(sock->sk);
}

/* ---- bind ---- */

static int toytcp_check_sockaddr(struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;

	if (addr_len < (int)sizeof(*sin))
		return -EINVAL;
	if (sin->sin_family != AF_INET && sin->sin_family != toytcp_family)
		return -EAFNOSUPPORT;
	return 0;
}

static int toytcp_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	u32 tb_id;
	u16 port;
	int err;

	err = toytcp_check_sockaddr(uaddr, addr_len);
	/* As Linux: AF_UNSPEC with INADDR_ANY is taken for AF_INET. */
	if (err == -EAFNOSUPPORT && sin->sin_family == AF_UNSPEC &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY))
		err = 0;
	if (err)
		return err;

	port = ntohs(sin->sin_port);
	if (port && port < READ_ONCE(net->ipv4.sysctl_ip_prot_sock) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;
	/*
	 * A local address (of the VRF the socket is bound to, if any), unless
	 * ip_nonlocal_bind, IP_FREEBIND or IP_TRANSPARENT allow any, as Linux.
	 */
	tb_id = l3mdev_fib_table_by_index(net, READ_ONCE(sk->sk_bound_dev_if)) ? :
		RT_TABLE_LOCAL;
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY) &&
	    !inet_can_nonlocal_bind(net, inet) &&
	    inet_addr_type_table(net, sin->sin_addr.s_addr, tb_id) != RTN_LOCAL)
		return -EADDRNOTAVAIL;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE || toytcp_sk(sk)->port)
		goto out;
	if (!port && inet->bind_address_no_port) {
		/*
		 * IP_BIND_ADDRESS_NO_PORT: only the address now; connect()
		 * picks the port (and a second bind() may still come, as
		 * Linux allows while no port is held).
		 */
		sk->sk_rcv_saddr = sin->sin_addr.s_addr;
	} else {
		err = toytcp_port_get(sk, sin->sin_addr.s_addr, port);
		if (err)
			goto out;
	}
	err = 0;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	if (sin->sin_addr.s_addr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	sk_dst_reset(sk);
out:
	release_sock(sk);
	return err;
}

/* ---- listen and accept ---- */

static int toytcp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED)
		goto out;
	if (sk->sk_state == TCP_LISTEN) {
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		err = 0;
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE)
		goto out;
	if (!tp->port) {
		/* the address of a bind() with IP_BIND_ADDRESS_NO_PORT, if any */
		err = toytcp_port_get(sk, sk->sk_rcv_saddr, 0);
		if (err)
			goto out;
	}
	toytcp_set_state(sk, TCP_LISTEN);	/* before the check: see there */
	err = toytcp_port_may_listen(sk);
	if (err) {
		toytcp_set_state(sk, TCP_CLOSE);
		goto out;
	}
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	sk->sk_ack_backlog = 0;
	spin_lock_bh(&tp->accept_lock);
	tp->listening = true;
	tp->synq_len = 0;
	tp->acceptq_len = 0;
	spin_unlock_bh(&tp->accept_lock);
	toytcp_hash_listener(sk);
	err = 0;
out:
	release_sock(sk);
	return err;
}

static int toytcp_accept(struct socket *sock, struct socket *newsock, int flags,
			 bool kern)
{
	struct sock *sk = sock->sk, *child = NULL;
	struct toytcp_sock *tp = toytcp_sk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeo;
	int err = 0;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	add_wait_queue_exclusive(sk_sleep(sk), &wait);
	for (;;) {
		if (sk->sk_state != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		child = toytcp_accept_dequeue(tp);
		if (child)
			break;
		if (!timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_event(sk, &timeo, sk->sk_state != TCP_LISTEN ||
			      READ_ONCE(tp->acceptq_len) > 0, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	release_sock(sk);
	if (!child)
		return err;

	/* The queue's reference on the child becomes the new socket's. */
	lock_sock(child);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
}

/* ---- connect ---- */

static int toytcp_do_connect(struct sock *sk, struct sockaddr_in *sin)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	int mtu, err;

	sk->sk_daddr = sin->sin_addr.s_addr;
	sk->sk_dport = sin->sin_port;
	sk_dst_reset(sk);
	mtu = toytcp_route_mtu(sk);	/* sets the source address if unbound */
	if (mtu < 0) {
		err = mtu;
		goto fail;
	}
	if (!tp->port) {
		err = toytcp_port_get(sk, sk->sk_rcv_saddr, 0);
		if (err)
			goto fail;
	}
	err = toytcp_hash_connect(sk);
	if (err)
		goto fail;

	tp->iss = toytcp_isn(sk->sk_rcv_saddr, sk->sk_daddr,
			     htons(sk->sk_num), sk->sk_dport);
	toytcp_init_xmit(sk);
	tp->advmss = mtu - 40;
	if (tp->user_mss && tp->user_mss < tp->advmss)
		tp->advmss = tp->user_mss;
	toytcp_offer_options(sk);
	toytcp_set_state(sk, TCP_SYN_SENT);
	toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_ACTIVEOPENS);
	toytcp_send_syn(sk);
	return 0;
fail:
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		sk->sk_rcv_saddr = 0;
	sk_dst_reset(sk);
	return err;
}

/* connect(AF_UNSPEC): drop the association, as Linux's tcp_disconnect(). */
static int toytcp_disconnect(struct sock *sk)
{
	if (sk->sk_state == TCP_LISTEN) {
		toytcp_stop_listening(sk);
	} else if (sk->sk_state != TCP_CLOSE) {
		if (sk->sk_state != TCP_SYN_SENT)
			toytcp_send_rst(sk);
		toytcp_done(sk);
	}
	skb_queue_purge(&sk->sk_receive_queue);
	sk->sk_shutdown = 0;
	sock_reset_flag(sk, SOCK_DONE);	/* the old peer's FIN is forgotten too */
	sk->sk_err = 0;
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	sk->sk_disconnects++;
	return 0;
}

static int toytcp_connect(struct socket *sock, struct sockaddr *uaddr,
			  int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	lock_sock(sk);
	if (uaddr->sa_family == AF_UNSPEC) {
		err = toytcp_disconnect(sk);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		goto out;
	}

	switch (sock->state) {
	default:
		err = -EINVAL;
		goto out;
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;	/* unless it finished meanwhile, below */
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		err = toytcp_check_sockaddr(uaddr, addr_len);
		if (err)
			goto out;
		err = toytcp_do_connect(sk, (struct sockaddr_in *)uaddr);
		if (err)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		if (!timeo)
			goto out;	/* EINPROGRESS or EALREADY */
		add_wait_queue(sk_sleep(sk), &wait);
		while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
			if (signal_pending(current) || !timeo)
				break;
			sk_wait_event(sk, &timeo, !((1 << sk->sk_state) &
				      (TCPF_SYN_SENT | TCPF_SYN_RECV)), &wait);
		}
		remove_wait_queue(sk_sleep(sk), &wait);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
			err = signal_pending(current) ? sock_intr_errno(timeo)
						      : -EINPROGRESS;
			goto out;
		}
	}

	if (sk->sk_state == TCP_CLOSE) {
		/* refused, timed out or reset */
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		toytcp_disconnect(sk);
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

/* ---- names, shutdown, close ---- */

static int toytcp_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	lock_sock(sk);
	if (peer) {
		if (!sk->sk_dport ||
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT) &&
		     peer == 1)) {
			release_sock(sk);
			return -ENOTCONN;
		}
		sin->sin_port = sk->sk_dport;
		sin->sin_addr.s_addr = sk->sk_daddr;
	} else {
		sin->sin_port = htons(sk->sk_num);
		sin->sin_addr.s_addr = sk->sk_rcv_saddr;
	}
	release_sock(sk);
	return sizeof(*sin);
}

/**
 * toytcp_send_fin() - the application is done writing: FIN after the data.
 * @sk: the socket, locked.
 *
 * ESTABLISHED -> FIN_WAIT_1, CLOSE_WAIT -> LAST_ACK; other states: nothing.
 */
void toytcp_send_fin(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		toytcp_set_state(sk, TCP_FIN_WAIT1);
		break;
	case TCP_CLOSE_WAIT:
		toytcp_set_state(sk, TCP_LAST_ACK);
		break;
	default:
		return;
	}
	tp->fin_queued = 1;
	toytcp_push(sk);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_send_fin);

static int toytcp_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how++;	/* SHUT_RD/WR/RDWR -> RCV_SHUTDOWN/SEND_SHUTDOWN/both */
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		sk->sk_shutdown |= how;
		break;
	case TCP_LISTEN:
		if (how & RCV_SHUTDOWN) {
			toytcp_disconnect(sk);
			sock->state = SS_UNCONNECTED;
		}
		break;
	case TCP_SYN_SENT:
		toytcp_disconnect(sk);
		sock->state = SS_UNCONNECTED;
		break;
	default:
		sk->sk_shutdown |= how;
		if (how & SEND_SHUTDOWN)
			toytcp_send_fin(sk);
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/* Unread data: the peer must learn its bytes were not read (RFC 9293 §3.6). */
static bool toytcp_unread_data(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb)
		if (toytcp_seq_after(TOYTCP_SKB_CB(skb)->end_seq, tp->copied_seq) &&
		    skb->len)
			return true;
	return false;
}

static void toytcp_close(struct sock *sk, long timeout)
{
	lock_sock(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		break;
	case TCP_LISTEN:
		toytcp_stop_listening(sk);
		break;
	case TCP_SYN_SENT:
		toytcp_done(sk);
		break;
	default:
		if (toytcp_unread_data(sk) ||
		    (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
			toytcp_send_rst(sk);
			toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_ESTABRESETS);
			toytcp_done(sk);
			break;
		}
		toytcp_send_fin(sk);
		if (timeout) {
			/* SO_LINGER: wait for our FIN to be acknowledged */
			DEFINE_WAIT_FUNC(wait, woken_wake_function);

			add_wait_queue(sk_sleep(sk), &wait);
			while (timeout && !signal_pending(current) &&
			       ((1 << sk->sk_state) &
				(TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK)))
				sk_wait_event(sk, &timeout, !((1 << sk->sk_state) &
					      (TCPF_FIN_WAIT1 | TCPF_CLOSING |
					       TCPF_LAST_ACK)), &wait);
			remove_wait_queue(sk_sleep(sk), &wait);
		}
		break;
	}
	/* Too many connections closed and still going: abort this one. */
	if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_TIME_WAIT)) &&
	    !toytcp_orphan_count(sk)) {
		net_info_ratelimited("toytcp: too many orphaned sockets\n");
		toytcp_send_rst(sk);
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_ABORTONMEMORY);
		toytcp_done(sk);
	}
	/* Closed for good: the port is free again for either stack, now. */
	if (sk->sk_state == TCP_CLOSE)
		toytcp_port_put_sync(sk);
	sock_orphan(sk);
	/* An orphan in FIN_WAIT_2 waits for the peer's FIN only so long. */
	if (sk->sk_state == TCP_FIN_WAIT2)
		toytcp_arm_tw_timer(sk, 2 * toytcp_msl * HZ);
	release_sock(sk);
	sock_put(sk);	/* the user's reference */
}

static int toytcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	toytcp_close(sk, sock_flag(sk, SOCK_LINGER) ? sk->sk_lingertime : 0);
	sock->sk = NULL;
	return 0;
}

/*
 * As Linux's tcp_ioctl(): SIOCINQ (FIONREAD) bytes to read, SIOCOUTQ bytes
 * not yet acknowledged, SIOCOUTQNSD bytes not yet sent; EINVAL on a
 * listener, 0 while the handshake runs. SIOCATMARK: always 0, as toytcp
 * ignores urgent data (RFC 9293 step 6: URG [ignored]). Anything else goes
 * on to the device ioctls (-ENOIOCTLCMD).
 */
static int toytcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	int answ = 0;
	bool slow;

	switch (cmd) {
	case SIOCINQ:
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		slow = lock_sock_fast(sk);
		if (!((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))) {
			if (cmd == SIOCINQ)	/* a FIN counts in rcv_nxt, not a byte */
				answ = tp->rcv_nxt - tp->copied_seq -
				       (sock_flag(sk, SOCK_DONE) && tp->rcv_nxt != tp->copied_seq);
			else if (cmd == SIOCOUTQ)	/* our FIN counts, as in Linux */
				answ = tp->write_seq + tp->fin_queued - tp->snd_una;
			else
				answ = tp->write_seq + tp->fin_queued - tp->snd_nxt;
		}
		unlock_sock_fast(sk, slow);
		break;
	case SIOCATMARK:
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(answ, (int __user *)arg);
}

/*
 * .family here is informational only (the core compares it with PF_UNIX and
 * nothing else); the number in use is sk->sk_family and the one registered
 * with sock_register(), both from the "family" parameter.
 */
static const struct proto_ops toytcp_ops = {
	.family		= AF_TOYTCP,
	.owner		= THIS_MODULE,
	.release	= toytcp_release,
	.bind		= toytcp_bind,
	.connect	= toytcp_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= toytcp_accept,
	.getname	= toytcp_getname,
	.poll		= toytcp_poll,
	.ioctl		= toytcp_ioctl,
	.listen		= toytcp_listen,
	.shutdown	= toytcp_shutdown,
	.setsockopt	= toytcp_setsockopt,
	.getsockopt	= toytcp_getsockopt,
	.sendmsg	= toytcp_sendmsg,
	.recvmsg	= toytcp_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};

/**
 * toytcp_create() - socket(AF_TOYTCP, type, protocol) lands here.
 * @net: network namespace of the caller.
 * @sock: the struct socket the kernel made for the new descriptor.
 * @protocol: 0 or IPPROTO_TCP; anything else is refused.
 * @kern: true for a socket created from inside the kernel.
 *
 * Errors follow AF_INET: a protocol out of range is EINVAL, a type with no
 * protocol behind it ESOCKTNOSUPPORT, a protocol that is not TCP for a
 * stream socket EPROTONOSUPPORT.
 *
 * Return: 0 with @sock->sk set, or a negative errno.
 */
static int toytcp_create(struct net *net, struct socket *sock, int protocol,
			 int kern)
{
	struct sock *sk;

	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;
	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;

	sk = toytcp_sk_alloc(net, GFP_KERNEL, kern);
	if (!sk)
		return -ENOMEM;
	sock->state = SS_UNCONNECTED;
	sock->ops = &toytcp_ops;
	sock_graft(sk, sock);
	return 0;
}

static struct net_proto_family toytcp_family_ops __ro_after_init = {
	.create	= toytcp_create,
	.owner	= THIS_MODULE,
};

static int __init toytcp_init(void)
{
	int err;

	if (toytcp_family <= AF_UNSPEC || toytcp_family >= AF_MAX) {
		pr_err("toytcp: family %d out of range 1..%d\n",
		       toytcp_family, AF_MAX - 1);
		return -EINVAL;
	}
	toytcp_family_ops.family = toytcp_family;

	err = percpu_counter_init(&toytcp_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	err = proto_register(&toytcp_prot, 1);
	if (err)
		goto out_counter;
	err = toytcp_ipv4_init();
	if (err)
		goto out_proto;
	err = sock_register(&toytcp_family_ops);
	if (err) {
		pr_err("toytcp: family %d is taken (%d)\n", toytcp_family, err);
		goto out_ipv4;
	}
	pr_info("toytcp: registered family %d\n", toytcp_family);
	return 0;

out_ipv4:
	toytcp_ipv4_exit();
out_proto:
	proto_unregister(&toytcp_prot);
out_counter:
	percpu_counter_destroy(&toytcp_sockets_allocated);
	return err;
}

static void __exit toytcp_exit(void)
{
	sock_unregister(toytcp_family);
	toytcp_ipv4_exit();
	proto_unregister(&toytcp_prot);
	percpu_counter_destroy(&toytcp_sockets_allocated);
	pr_info("toytcp: unregistered family %d\n", toytcp_family);
}

module_init(toytcp_init);
module_exit(toytcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("toytcp: a small TCP/IPv4 stack with its own socket family");
MODULE_ALIAS_NETPROTO(AF_TOYTCP);
