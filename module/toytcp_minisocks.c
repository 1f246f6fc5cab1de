// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_minisocks.c: the control blocks a connection begins and ends as.
 *
 * - The child a listener makes for a SYN: SYN_RECEIVED in the listener's
 *   SYN queue, then ESTABLISHED in its accept queue until accept() takes
 *   it; or, when the SYN queue is full, no child at all but a SYN cookie
 *   (RFC 4987) in the SYN-ACK's sequence number, and the child made only
 *   when the ACK brings the cookie back.
 * - What happens to the children when their listener closes.
 * - TIME_WAIT for a socket the application still holds: a stand-in takes
 *   over its 4-tuple and waits out 2*MSL.
 */
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/siphash.h>
#include <kunit/visibility.h>

#include "toytcp.h"
#include "toytcp_trace.h"

/* ---- the listener's queues ---- */

/*
 * Take a listener's child out of the listener's queue. The queue's
 * reference on the child is dropped; the caller must hold another.
 */
void toytcp_child_unlink(struct sock *sk, int old_state)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct toytcp_sock *lp;
	bool queued = false;

	if (!tp->parent)
		return;
	lp = toytcp_sk(tp->parent);
	spin_lock_bh(&lp->accept_lock);
	if (!list_empty(&tp->q_node)) {
		list_del_init(&tp->q_node);
		if (old_state == TCP_SYN_RECV)
			lp->synq_len--;
		else
			lp->acceptq_len--;
		WRITE_ONCE(tp->parent->sk_ack_backlog, lp->acceptq_len);
		queued = true;
	}
	spin_unlock_bh(&lp->accept_lock);
	if (queued)
		sock_put(sk);
}

/* The next child of @tp's queues, off its queue, or NULL. */
static struct sock *toytcp_child_pop(struct toytcp_sock *lp)
{
	struct toytcp_sock *ctp;

	spin_lock_bh(&lp->accept_lock);
	ctp = list_first_entry_or_null(&lp->synq, struct toytcp_sock, q_node);
	if (ctp) {
		lp->synq_len--;
	} else {
		ctp = list_first_entry_or_null(&lp->acceptq, struct toytcp_sock,
					       q_node);
		if (ctp)
			lp->acceptq_len--;
	}
	if (ctp)
		list_del_init(&ctp->q_node);
	WRITE_ONCE(lp->inet.sk.sk_ack_backlog, lp->acceptq_len);
	spin_unlock_bh(&lp->accept_lock);
	return ctp ? &ctp->inet.sk : NULL;
}

/**
 * toytcp_stop_listening() - close a listener: no more children; those not
 * accepted are reset.
 * @sk: the listener, locked.
 *
 * Softirq goes on completing, resetting and timing out children while this
 * runs, and each of those takes its child off the queue under the queue
 * lock: so the children are taken off one at a time under that lock too,
 * and whoever takes a child off owns the queue's reference on it.
 */
void toytcp_stop_listening(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sock *child;

	spin_lock_bh(&tp->accept_lock);
	tp->listening = false;		/* no child joins a queue from now on */
	spin_unlock_bh(&tp->accept_lock);
	toytcp_unhash(sk);
	toytcp_set_state(sk, TCP_CLOSE);

	while ((child = toytcp_child_pop(tp))) {
		lock_sock_nested(child, SINGLE_DEPTH_NESTING);
		if (child->sk_state != TCP_CLOSE) {
			toytcp_send_rst(child);
			toytcp_done(child);
		}
		release_sock(child);
		sock_put(child);	/* the queue's reference */
	}
}

/**
 * toytcp_accept_dequeue() - the oldest child ready for accept(), off the
 * accept queue with the queue's reference, or NULL.
 * @lp: the listener.
 */
struct sock *toytcp_accept_dequeue(struct toytcp_sock *lp)
{
	struct toytcp_sock *ctp;

	spin_lock_bh(&lp->accept_lock);
	ctp = list_first_entry_or_null(&lp->acceptq, struct toytcp_sock, q_node);
	if (ctp) {
		list_del_init(&ctp->q_node);
		lp->acceptq_len--;
		WRITE_ONCE(lp->inet.sk.sk_ack_backlog, lp->acceptq_len);
	}
	spin_unlock_bh(&lp->accept_lock);
	return ctp ? &ctp->inet.sk : NULL;
}

/**
 * toytcp_child_established() - a child's handshake completed: from the SYN
 * queue to the accept queue, ESTABLISHED.
 * @sk: the child, locked, in SYN_RECEIVED.
 *
 * Return: false if the ACK must be dropped: the accept queue is full (the
 * peer will send it again when our SYN-ACK is retransmitted) or the
 * listener is gone (then the child is reset and closed).
 */
bool toytcp_child_established(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sock *parent = tp->parent;
	struct toytcp_sock *lp = toytcp_sk(parent);
	bool ok = false, gone = false;

	spin_lock_bh(&lp->accept_lock);
	if (!lp->listening || list_empty(&tp->q_node)) {
		gone = true;
	} else if (lp->acceptq_len <= READ_ONCE(parent->sk_max_ack_backlog)) {
		list_move_tail(&tp->q_node, &lp->acceptq);
		lp->synq_len--;
		lp->acceptq_len++;
		WRITE_ONCE(parent->sk_ack_backlog, lp->acceptq_len);
		toytcp_set_state(sk, TCP_ESTABLISHED);
		ok = true;
	}
	spin_unlock_bh(&lp->accept_lock);

	if (gone) {
		toytcp_send_rst(sk);
		toytcp_done(sk);
	} else if (ok) {
		parent->sk_data_ready(parent);
	} else {
		toytcp_inc_stat(sock_net(sk), TOYTCP_MIB_LISTENDROPS);
	}
	return ok;
}

/* ---- a new child ---- */

/*
 * A control block for the peer of @skb, a SYN (or a cookie's ACK) that
 * reached listener @lsk: the listener's settings, its port, our MSS from
 * the route, the peer's ISN and MSS. Not hashed nor queued, nor locked
 * yet: no one else can find it. NULL if out of memory.
 */
static struct sock *toytcp_child_new(struct sock *lsk, const struct sk_buff *skb,
				     u32 irs, u16 peer_mss)
{
	struct toytcp_sock *lp = toytcp_sk(lsk), *tp;
	const struct iphdr *iph = ip_hdr(skb);
	struct sock *child;
	int mtu;

	child = toytcp_sk_alloc(sock_net(lsk), GFP_ATOMIC, 0);
	if (!child)
		return NULL;
	tp = toytcp_sk(child);
	sock_hold(lsk);
	tp->parent = lsk;
	child->sk_rcv_saddr = iph->daddr;
	child->sk_daddr = iph->saddr;
	child->sk_dport = tcp_hdr(skb)->source;
	child->sk_rcvbuf = READ_ONCE(lsk->sk_rcvbuf);
	child->sk_sndbuf = READ_ONCE(lsk->sk_sndbuf);
	/* set on the listener, fixed for its children too: no autotuning */
	child->sk_userlocks |= lsk->sk_userlocks & (SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK);
	child->sk_rcvtimeo = lsk->sk_rcvtimeo;
	child->sk_sndtimeo = lsk->sk_sndtimeo;
	child->sk_reuse = lsk->sk_reuse;
	child->sk_reuseport = lsk->sk_reuseport;
	child->sk_uid = lsk->sk_uid;
	child->sk_mark = lsk->sk_mark;
	child->sk_priority = lsk->sk_priority;
	child->sk_bound_dev_if = lsk->sk_bound_dev_if;
	inet_sk(child)->tos = inet_sk(lsk)->tos;
	inet_sk(child)->uc_ttl = inet_sk(lsk)->uc_ttl;
	inet_sk(child)->freebind = inet_sk(lsk)->freebind;
	inet_sk(child)->transparent = inet_sk(lsk)->transparent;
	child->sk_lingertime = lsk->sk_lingertime;
	if (sock_flag(lsk, SOCK_LINGER))
		sock_set_flag(child, SOCK_LINGER);
	if (sock_flag(lsk, SOCK_KEEPOPEN))
		sock_set_flag(child, SOCK_KEEPOPEN);
	tp->nodelay = lp->nodelay;
	tp->cork = lp->cork;
	toytcp_cc_set(child, READ_ONCE(lp->cc));
	tp->user_mss = lp->user_mss;
	tp->keepidle = lp->keepidle;
	tp->keepintvl = lp->keepintvl;
	tp->keepcnt = lp->keepcnt;
	tp->user_timeout = lp->user_timeout;
	tp->syn_retries = READ_ONCE(lp->syn_retries);
	tp->rcv_tstamp = jiffies;

	if (!toytcp_port_share(child, lsk)) {
		sock_put(child);	/* the listener closed meanwhile */
		return NULL;
	}
	bh_lock_sock(child);	/* the route is cached in the socket, under its lock */
	mtu = toytcp_route_mtu(child);
	bh_unlock_sock(child);
	tp->advmss = mtu > 0 ? mtu - TOYTCP_IPV4_TCP_HDR_LEN : TOYTCP_DEFAULT_MSS;
	if (tp->user_mss && tp->user_mss < tp->advmss)
		tp->advmss = tp->user_mss;
	tp->irs = irs;
	tp->rcv_nxt = irs + 1;
	tp->copied_seq = tp->rcv_nxt;
	tp->rcv_wup = tp->rcv_nxt;
	tp->peer_mss = peer_mss ? : TOYTCP_DEFAULT_MSS;
	tp->mss = toytcp_effective_mss(tp);
	return child;
}

/*
 * Put a new, hashed, locked child on a queue of its listener; false if the
 * listener stopped listening meanwhile (the child is then the caller's).
 * The SYN-queue place was reserved already; an accept-queue child is
 * counted here.
 */
static bool toytcp_child_enqueue(struct sock *lsk, struct sock *child, bool synq)
{
	struct toytcp_sock *lp = toytcp_sk(lsk), *tp = toytcp_sk(child);
	bool listening;

	spin_lock(&lp->accept_lock);
	listening = lp->listening;
	if (listening && synq) {
		list_add_tail(&tp->q_node, &lp->synq);	/* takes the alloc reference */
	} else if (listening) {
		list_add_tail(&tp->q_node, &lp->acceptq);
		lp->acceptq_len++;
		WRITE_ONCE(lsk->sk_ack_backlog, lp->acceptq_len);
	} else if (synq) {
		lp->synq_len--;
	}
	spin_unlock(&lp->accept_lock);
	return listening;
}

/* ---- SYN cookies (RFC 4987) ---- */

/*
 * A SYN cookie is our ISN: it lets the ACK of the handshake prove that we
 * sent the SYN-ACK, so that a full SYN queue costs nothing. Its 32 bits:
 *
 *   31..27  t: the time, in 64-second steps, modulo 32
 *   26..24  the peer's MSS, as an index in toytcp_cookie_mss[]
 *   23..0   a keyed hash (SipHash, secret drawn at load) of the 4-tuple,
 *           the peer's ISN, t and the MSS index
 *
 * An ACK is taken as the cookie's if ack - 1 is a cookie made for its
 * 4-tuple and seq - 1 in this step or the one before (64..128 s). A blind
 * attacker guesses 24 bits. The options beyond MSS are not encoded.
 */
#define TOYTCP_COOKIE_T_SHIFT		27
#define TOYTCP_COOKIE_MSS_SHIFT		24
#define TOYTCP_COOKIE_HASH_MASK		((1U << TOYTCP_COOKIE_MSS_SHIFT) - 1)
#define TOYTCP_COOKIE_STEP_SECS		64

static const u16 toytcp_cookie_mss[8] = {
	536, 1024, 1300, 1400, 1440, 1460, 4312, 8960,
};

static siphash_key_t toytcp_cookie_key __read_mostly;

static u32 toytcp_cookie_now(void)
{
	return (u32)(ktime_get_seconds() / TOYTCP_COOKIE_STEP_SECS);
}

static u32 toytcp_cookie_hash(const struct sk_buff *skb, u32 irs, u32 t, u32 mssi)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th = tcp_hdr(skb);

	return (u32)siphash_4u32((__force u32)iph->saddr, (__force u32)iph->daddr,
				 (__force u32)th->source << 16 | (__force u32)th->dest,
				 irs ^ (t << 8 | mssi), &toytcp_cookie_key);
}

/**
 * toytcp_cookie_make() - the ISN of a SYN-ACK that makes no child.
 * @skb: the SYN (headers pulled, TOYTCP_SKB_CB filled in).
 * @peer_mss: the MSS the SYN offered (0: none).
 * @now: toytcp_cookie_now(), a parameter for the KUnit suite.
 *
 * Return: the cookie.
 */
u32 toytcp_cookie_make(const struct sk_buff *skb, u16 peer_mss, u32 now)
{
	u32 mssi = ARRAY_SIZE(toytcp_cookie_mss) - 1;
	u32 t = now & 0x1f;

	if (!peer_mss)
		peer_mss = TOYTCP_DEFAULT_MSS;
	while (mssi && toytcp_cookie_mss[mssi] > peer_mss)
		mssi--;
	return t << TOYTCP_COOKIE_T_SHIFT | mssi << TOYTCP_COOKIE_MSS_SHIFT |
	       (toytcp_cookie_hash(skb, TOYTCP_SKB_CB(skb)->seq, t, mssi) &
		TOYTCP_COOKIE_HASH_MASK);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cookie_make);

/**
 * toytcp_cookie_check() - does this ACK carry a cookie of ours?
 * @skb: the ACK (headers pulled, TOYTCP_SKB_CB filled in).
 * @now: toytcp_cookie_now().
 *
 * Return: the MSS the cookie holds, or 0 if it is not a valid cookie.
 */
u16 toytcp_cookie_check(const struct sk_buff *skb, u32 now)
{
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	u32 cookie = cb->ack_seq - 1, irs = cb->seq - 1;
	u32 t = cookie >> TOYTCP_COOKIE_T_SHIFT;
	u32 mssi = (cookie >> TOYTCP_COOKIE_MSS_SHIFT) & 7;
	u32 age = (now - t) & 0x1f;

	if (age > 1)
		return 0;	/* older than the step before this one */
	if ((toytcp_cookie_hash(skb, irs, t, mssi) & TOYTCP_COOKIE_HASH_MASK) !=
	    (cookie & TOYTCP_COOKIE_HASH_MASK))
		return 0;
	return toytcp_cookie_mss[mssi];
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_cookie_check);

/* net.ipv4.tcp_syncookies of the namespace: 0 never, 1 when the SYN queue is full, 2 always. */
static int toytcp_syncookies(const struct net *net)
{
	return READ_ONCE(net->ipv4.sysctl_tcp_syncookies);
}

/**
 * toytcp_conn_request() - a SYN reached listener @lsk: a child in
 * SYN_RECEIVED that answers with SYN-ACK, or a SYN-ACK with a cookie.
 * @lsk: the listener; not locked.
 * @skb: the SYN, headers pulled; not consumed.
 * @opts: the options of the SYN.
 */
void toytcp_conn_request(struct sock *lsk, struct sk_buff *skb,
			 const struct toytcp_opts *opts)
{
	struct toytcp_sock *lp = toytcp_sk(lsk), *tp;
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	int backlog = READ_ONCE(lsk->sk_max_ack_backlog);
	struct net *net = sock_net(lsk);
	int cookies = toytcp_syncookies(net);
	bool listening, synq_full, acceptq_full;
	struct sock *child;

	/* reserve a place in the SYN queue */
	spin_lock(&lp->accept_lock);
	listening = lp->listening;
	synq_full = lp->synq_len >= max(backlog, 1);
	acceptq_full = lp->acceptq_len > backlog;
	if (listening && !synq_full && !acceptq_full && cookies != 2)
		lp->synq_len++;
	spin_unlock(&lp->accept_lock);
	if (!listening)
		return;		/* closing: its children are being reset */
	if (acceptq_full || (synq_full && !cookies)) {
		toytcp_inc_stat(net, TOYTCP_MIB_LISTENDROPS);
		toytcp_trace_drop(lsk, skb, TOYTCP_DROP_LISTEN);
		return;
	}
	if (synq_full || cookies == 2) {
		/* no child: the SYN-ACK's sequence number remembers the SYN */
		toytcp_inc_stat(net, TOYTCP_MIB_SYNCOOKIESSENT);
		WRITE_ONCE(lp->synq_overflow, jiffies ? : 1);
		toytcp_send_synack_cookie(lsk, skb,
					  toytcp_cookie_make(skb, opts->mss, toytcp_cookie_now()));
		return;
	}

	child = toytcp_child_new(lsk, skb, cb->seq, opts->mss);
	if (!child) {
		spin_lock(&lp->accept_lock);
		lp->synq_len--;
		spin_unlock(&lp->accept_lock);
		toytcp_inc_stat(net, TOYTCP_MIB_LISTENDROPS);
		return;
	}
	tp = toytcp_sk(child);
	bh_lock_sock(child);
	tp->iss = toytcp_isn(child->sk_rcv_saddr, child->sk_daddr,
			     htons(child->sk_num), child->sk_dport);
	toytcp_init_xmit(child);
	/* RFC 7323: what we would offer, kept only if the SYN offered it too */
	toytcp_offer_options(child);
	toytcp_negotiate_options(tp, opts);
	toytcp_ecn_syn_negotiate(child, skb);
	tp->mss = toytcp_effective_mss(tp);
	tp->snd_wnd = cb->window;
	tp->snd_wl1 = cb->seq;
	tp->snd_wl2 = tp->iss;
	toytcp_set_state(child, TCP_SYN_RECV);
	if (toytcp_hash_child(child)) {
		if (toytcp_child_enqueue(lsk, child, true)) {
			toytcp_inc_stat(net, TOYTCP_MIB_PASSIVEOPENS);
			toytcp_send_syn(child);
			bh_unlock_sock(child);
			return;
		}
	} else {
		/* the same SYN made a child on another CPU first: that one answers */
		spin_lock(&lp->accept_lock);
		lp->synq_len--;
		spin_unlock(&lp->accept_lock);
	}
	toytcp_done(child);
	bh_unlock_sock(child);
	sock_put(child);
}

/**
 * toytcp_rcv_cookie_ack() - an ACK reached listener @lsk with no connection
 * of its own: if it returns one of our cookies, the child the cookie stood
 * for is made now, ESTABLISHED, on the accept queue, and takes the segment
 * (and any data in it).
 * @lsk: the listener; not locked.
 * @skb: the ACK, headers pulled; consumed if true is returned.
 *
 * Return: false if the ACK holds no valid cookie (or there is no room):
 * the caller answers it as a listener does.
 */
bool toytcp_rcv_cookie_ack(struct sock *lsk, struct sk_buff *skb)
{
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	struct toytcp_sock *lp = toytcp_sk(lsk), *tp;
	struct net *net = sock_net(lsk);
	unsigned long overflow;
	struct sock *child;
	bool room;
	u16 mss;

	if (!toytcp_syncookies(net) || cb->flags & (TOYTCP_SYN | TOYTCP_RST))
		return false;
	/* no cookie sent for two steps (or ever): none can come back (as Linux) */
	overflow = READ_ONCE(lp->synq_overflow);
	if (toytcp_syncookies(net) != 2 &&
	    (!overflow ||
	     time_after(jiffies, overflow + 2 * TOYTCP_COOKIE_STEP_SECS * HZ)))
		return false;
	mss = toytcp_cookie_check(skb, toytcp_cookie_now());
	if (!mss) {
		toytcp_inc_stat(net, TOYTCP_MIB_SYNCOOKIESFAILED);
		return false;
	}
	toytcp_inc_stat(net, TOYTCP_MIB_SYNCOOKIESRECV);
	spin_lock(&lp->accept_lock);
	room = lp->listening &&
	       lp->acceptq_len <= READ_ONCE(lsk->sk_max_ack_backlog);
	spin_unlock(&lp->accept_lock);
	if (!room) {
		toytcp_inc_stat(net, TOYTCP_MIB_LISTENDROPS);
		return false;
	}

	child = toytcp_child_new(lsk, skb, cb->seq - 1, mss);
	if (!child)
		return false;
	tp = toytcp_sk(child);
	bh_lock_sock(child);
	tp->iss = cb->ack_seq - 1;
	toytcp_init_xmit(child);
	tp->snd_una = cb->ack_seq;
	tp->snd_nxt = cb->ack_seq;
	tp->snd_max = cb->ack_seq;
	tp->snd_wnd = cb->window;
	tp->max_sndwnd = cb->window;
	tp->snd_wl1 = cb->seq;
	tp->snd_wl2 = cb->ack_seq;
	toytcp_init_cwnd(child);
	/* the window our SYN-ACK offered, so the ACK's data is in it */
	tp->rcv_wnd = toytcp_listen_window(lsk);
	toytcp_set_state(child, TCP_ESTABLISHED);
	if (!toytcp_hash_child(child) || !toytcp_child_enqueue(lsk, child, false)) {
		toytcp_done(child);
		bh_unlock_sock(child);
		sock_put(child);
		return false;
	}
	toytcp_reset_keepalive(child);
	toytcp_inc_stat(net, TOYTCP_MIB_PASSIVEOPENS);
	lsk->sk_data_ready(lsk);
	toytcp_rcv_segment(child, skb);
	bh_unlock_sock(child);
	return true;
}

/* ---- TIME_WAIT ---- */

/**
 * toytcp_tw_takeover() - a socket the application still holds enters
 * TIME_WAIT: a new, orphan control block takes its place in the tables
 * and waits out 2*MSL, and the application's socket goes to CLOSED at
 * once (as Linux's time-wait sockets do: getpeername() gives ENOTCONN,
 * bind() works again).
 * @sk: the socket, locked.
 *
 * Return: the TIME_WAIT socket, or NULL if none could be allocated (or
 * the cap on TIME_WAIT sockets is reached).
 */
struct sock *toytcp_tw_takeover(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk), *twp;
	struct sock *tw;

	if (!tp->port || !sk_hashed(sk) || !toytcp_tw_charge(sock_net(sk)))
		return NULL;
	tw = toytcp_sk_alloc(sock_net(sk), GFP_ATOMIC, 0);
	if (!tw) {
		toytcp_tw_uncharge(sock_net(sk));
		return NULL;
	}
	twp = toytcp_sk(tw);
	twp->tw_charged = 1;
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
	twp->wscale_ok = tp->wscale_ok;
	twp->snd_wscale = tp->snd_wscale;
	twp->rcv_wscale = tp->rcv_wscale;
	twp->tstamp_ok = tp->tstamp_ok;
	twp->ts_recent = tp->ts_recent;
	twp->ts_recent_stamp = tp->ts_recent_stamp;
	twp->ts_offset = tp->ts_offset;
	sock_set_flag(tw, SOCK_DEAD);
	tw->sk_shutdown = SHUTDOWN_MASK;
	tw->sk_state = TCP_TIME_WAIT;

	/* one step, so a lookup finds one of the two, never neither */
	if (!toytcp_port_share(tw, sk) || !toytcp_ehash_replace(sk, tw)) {
		toytcp_port_put(tw);
		sock_put(tw);
		return NULL;
	}
	toytcp_arm_tw_timer(tw, 2UL * READ_ONCE(toytcp_msl) * HZ);
	sock_put(tw);	/* the table and the timer hold it now */
	return tw;
}

/**
 * toytcp_tw_new_syn() - may this SYN end TIME_WAIT and open a new
 * connection on the same 4-tuple? Yes if it starts beyond everything the
 * old connection's peer sent (RFC 1122 §4.2.2.13, as Linux without
 * timestamps; RFC 6191): then TIME_WAIT ends here, and the caller hands
 * the SYN to the listener.
 * @sk: a socket found for the segment.
 * @skb: the segment, headers pulled.
 *
 * Return: true if @sk left TIME_WAIT for it.
 */
bool toytcp_tw_new_syn(struct sock *sk, const struct sk_buff *skb)
{
	const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);
	bool ended = false;

	if ((cb->flags & (TOYTCP_SYN | TOYTCP_ACK | TOYTCP_RST | TOYTCP_FIN)) !=
	    TOYTCP_SYN)
		return false;
	bh_lock_sock(sk);
	if (sk->sk_state == TCP_TIME_WAIT && !sock_owned_by_user(sk) &&
	    toytcp_seq_after(cb->seq, toytcp_sk(sk)->rcv_nxt)) {
		toytcp_done(sk);
		ended = true;
	}
	bh_unlock_sock(sk);
	return ended;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_tw_new_syn);

void toytcp_minisocks_init(void)
{
	get_random_bytes(&toytcp_cookie_key, sizeof(toytcp_cookie_key));
}
