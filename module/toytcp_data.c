// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_data.c: the application's side of the byte stream: write
 * (sendmsg), read (recvmsg) and poll. The seed's "송수신 단계".
 *
 * sendmsg copies the bytes, once, into the send buffer (sk_write_queue,
 * bounded by SO_SNDBUF) and lets toytcp_push() cut segments; the bytes
 * stay until the peer acknowledges them. The send buffer is a list of
 * chunks, skbs whose data are page fragments (the socket's page_frag): a
 * segment then refers to the pages it carries instead of copying them
 * again, and so does its retransmission. recvmsg copies from the receive
 * buffer (sk_receive_queue, bounded by SO_RCVBUF), where the input path
 * left the in-order data.
 */
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/random.h>
#include <net/sock.h>
#include <kunit/visibility.h>

#include "toytcp.h"

/* Bytes of data one send-queue chunk holds at most (it also ends at MAX_SKB_FRAGS). */
#define TOYTCP_CHUNK	(64 * 1024)

static bool toytcp_wspace_ok(const struct sock *sk)
{
	return READ_ONCE(sk->sk_wmem_queued) < READ_ONCE(sk->sk_sndbuf);
}

/* As Linux TCP: writable again once a third of the send buffer is free. */
static bool toytcp_writeable(const struct sock *sk)
{
	return READ_ONCE(sk->sk_wmem_queued) * 3 <= READ_ONCE(sk->sk_sndbuf) * 2;
}

void toytcp_write_space(struct sock *sk)
{
	struct socket_wq *wq;

	if (!toytcp_writeable(sk))
		return;
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/**
 * toytcp_wmem_queue() - put a new chunk of data at the end of the send
 * queue, charged to the send buffer and the memory pool.
 * @sk: the socket, locked.
 * @skb: the chunk, with TOYTCP_SKB_CB's seq and end_seq set.
 *
 * Return: false, @skb not queued, if the pool is over its limit.
 */
static bool toytcp_wmem_queue(struct sock *sk, struct sk_buff *skb)
{
	if (!sk_wmem_schedule(sk, skb->truesize))
		return false;
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	__skb_queue_tail(&sk->sk_write_queue, skb);
	return true;
}

/* Free a chunk off the send queue, uncharging it. */
static void toytcp_wmem_free(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	kfree_skb(skb);
}

/* The connection is over: every chunk of the send queue goes. */
void toytcp_purge_write_queue(struct sock *sk)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		toytcp_wmem_free(sk, skb);
}

/**
 * toytcp_init_buffers() - a new socket's buffer sizes, as Linux TCP's: the
 * defaults of its namespace's net.ipv4.tcp_wmem and tcp_rmem (their middle
 * values, 16 KB and 128 KB unless changed), from which autotuning grows
 * them up to the maximum values unless the application sets SO_SNDBUF or
 * SO_RCVBUF (doubled and bounded by net.core.wmem_max / rmem_max, as for
 * any socket; the generic setsockopt() code also turns autotuning off).
 * @sk: the new socket.
 */
void toytcp_init_buffers(struct sock *sk)
{
	const struct net *net = sock_net(sk);

	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(net->ipv4.sysctl_tcp_wmem[1]));
	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(net->ipv4.sysctl_tcp_rmem[1]));
}

/**
 * toytcp_sndbuf_expand() - send-buffer autotuning: room for twice the
 * congestion window (one window in flight, the next one queued behind it)
 * and a chunk, at least ten segments' worth, at most tcp_wmem's maximum;
 * never shrinks, and not once SO_SNDBUF was set (as Linux's
 * tcp_sndbuf_expand()).
 * @sk: the socket, locked.
 */
void toytcp_sndbuf_expand(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u64 want;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	want = 2ULL * max_t(u32, tp->snd_cwnd, 10 * tp->mss) + TOYTCP_CHUNK;
	want = min_t(u64, want, READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_wmem[2]));
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, want);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_sndbuf_expand);

/**
 * toytcp_rcv_space_adjust() - receive-buffer autotuning, after the
 * application read (Linux's dynamic right-sizing, tcp_rcv_space_adjust()):
 * once per round trip, if the application read more in the last one than
 * in any before, the buffer grows so that the window can offer twice that
 * (the sender's window may double in the next round trip) and sixteen
 * segments more: the window is half the free buffer, so four times what
 * was read and 32 segments; at most tcp_rmem's maximum; never shrinks, and
 * not once SO_RCVBUF was set. The round trip is the connection's smoothed
 * RTT (taken at least from the handshake).
 * @sk: the socket, locked.
 * @now: toytcp_clock_us(); a parameter for the KUnit suite.
 */
void toytcp_rcv_space_adjust(struct sock *sk, u64 now)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 copied = tp->copied_seq - tp->rcvq_seq;
	u64 want;

	if (!tp->rcvq_time_us || !tp->srtt_us) {
		/*
		 * The first read: the first round trip begins, and what the
		 * peer's first flight can bring counts as read already (as
		 * Linux's rcvq_space): a first round trip that reads less does
		 * not grow the buffer.
		 */
		tp->rcvq_time_us = now;
		tp->rcvq_seq = tp->copied_seq;
		tp->rcvq_space = min_t(u32, tp->rcv_wnd,
				       10U * (tp->advmss ? : TOYTCP_DEFAULT_MSS));
		return;
	}
	if (now - tp->rcvq_time_us < tp->srtt_us)
		return;
	if (copied > tp->rcvq_space) {
		tp->rcvq_space = copied;
		want = 4ULL * copied + 32ULL * (tp->advmss ? : TOYTCP_DEFAULT_MSS);
		want = min_t(u64, want, READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]));
		if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
		    want > READ_ONCE(sk->sk_rcvbuf)) {
			WRITE_ONCE(sk->sk_rcvbuf, want);
		}
	}
	tp->rcvq_time_us = now;
	tp->rcvq_seq = tp->copied_seq;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_rcv_space_adjust);

/* Free the send-buffer chunks the peer has acknowledged entirely. */
void toytcp_free_acked(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *skb;
	bool freed = false;

	/* an idle connection holds no send memory (the next write allocates) */
	while ((skb = skb_peek(&sk->sk_write_queue)) &&
	       toytcp_seq_before_eq(TOYTCP_SKB_CB(skb)->end_seq, tp->snd_una)) {
		__skb_unlink(skb, &sk->sk_write_queue);
		toytcp_wmem_free(sk, skb);
		freed = true;
	}
	if (freed) {
		toytcp_sndbuf_expand(sk);
		sk->sk_write_space(sk);
	}
}

static int toytcp_send_error(struct sock *sk, int flags, int err)
{
	if (err == -EPIPE)
		err = sock_error(sk) ? : -EPIPE;
	if (err == -EPIPE && !(flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return err;
}

/* Wait for the handshake to finish, as Linux's sk_stream_wait_connect(). */
static int toytcp_wait_connect(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		if (sk->sk_err) {
			err = sock_error(sk);
			break;
		}
		if (!((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)))
			break;
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, sk->sk_err ||
			      !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)),
			      &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!err && !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		err = -EPIPE;
	return err;
}

/*
 * Wait for room in the send buffer; or, if @pool_full (the memory pool
 * refused a charge though the buffer has room), a moment: memory comes
 * back without a wake-up (as Linux's sk_stream_wait_memory()).
 */
static int toytcp_wait_memory(struct sock *sk, long *timeo, bool pool_full)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long vm_wait = 0;

	if (!*timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	if (pool_full) {
		sk_stream_moderate_sndbuf(sk);
		vm_wait = get_random_u32_below(HZ / 5) + 2;
	}
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	add_wait_queue(sk_sleep(sk), &wait);
	if (vm_wait) {
		long t = min(vm_wait, *timeo);

		sk_wait_event(sk, &t, sk->sk_err || sk->sk_shutdown & SEND_SHUTDOWN,
			      &wait);
		*timeo -= min(vm_wait, *timeo) - t;
	} else {
		sk_wait_event(sk, timeo, sk->sk_err ||
			      sk->sk_shutdown & SEND_SHUTDOWN ||
			      toytcp_wspace_ok(sk), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return 0;
}

/* A new, empty chunk at the end of the send queue; NULL if the pool refused it. */
static struct sk_buff *toytcp_new_chunk(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *skb = alloc_skb(0, sk->sk_allocation);

	if (!skb)
		return ERR_PTR(-ENOBUFS);
	TOYTCP_SKB_CB(skb)->seq = tp->write_seq;
	TOYTCP_SKB_CB(skb)->end_seq = tp->write_seq;
	if (!toytcp_wmem_queue(sk, skb)) {
		kfree_skb(skb);
		return NULL;	/* the memory pool is full */
	}
	return skb;
}

/**
 * toytcp_queue_data() - copy the application's bytes to the end of the
 * send queue: into the socket's page fragment, which the last chunk then
 * refers to (growing its last fragment when the bytes follow on in the
 * same page). The one copy of the data on the send side.
 * @sk: the socket, locked.
 * @from: the bytes.
 * @len: how many are left to write.
 *
 * Copies at most what fits in one page fragment and in the last chunk;
 * moves write_seq. Does not send.
 *
 * Return: the bytes copied; 0 if the send buffer is full or the memory
 * pool refused (the caller waits); -EFAULT or -ENOBUFS.
 */
ssize_t toytcp_queue_data(struct sock *sk, struct iov_iter *from, size_t len)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct page_frag *pfrag = sk_page_frag(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	bool merge = false;
	size_t n;
	int i;

	if (!toytcp_wspace_ok(sk) || !sk_page_frag_refill(sk, pfrag))
		return 0;
	if (skb) {
		i = skb_shinfo(skb)->nr_frags;
		merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
		if (skb->len >= TOYTCP_CHUNK || (!merge && i >= MAX_SKB_FRAGS))
			skb = NULL;	/* full: a new one */
	}
	if (!skb) {
		skb = toytcp_new_chunk(sk);
		if (IS_ERR_OR_NULL(skb))
			return PTR_ERR_OR_ZERO(skb);
		merge = false;
	}
	i = skb_shinfo(skb)->nr_frags;
	n = min3(len, (size_t)(pfrag->size - pfrag->offset),
		 (size_t)(TOYTCP_CHUNK - skb->len));
	if (!sk_wmem_schedule(sk, n))
		return 0;
	if (!copy_from_iter_full(page_address(pfrag->page) + pfrag->offset, n, from))
		return -EFAULT;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], n);
	} else {
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, n);
		get_page(pfrag->page);
	}
	pfrag->offset += n;
	skb_len_add(skb, n);	/* len, data_len and truesize */
	sk_wmem_queued_add(sk, n);
	sk_mem_charge(sk, n);
	TOYTCP_SKB_CB(skb)->end_seq += n;
	tp->write_seq += n;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_queue_data);

int toytcp_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	int flags = msg->msg_flags;
	size_t copied = 0;
	long timeo;
	int err = 0;

	/* no urgent data; no TCP Fast Open (Linux with its client bit off) */
	if (flags & (MSG_OOB | MSG_FASTOPEN))
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))) {
		err = toytcp_wait_connect(sk, &timeo);
		if (err)
			goto error;
	}

	while (copied < size) {
		ssize_t n;

		if (sk->sk_err || sk->sk_shutdown & SEND_SHUTDOWN) {
			err = -EPIPE;
			goto error;
		}
		n = toytcp_queue_data(sk, &msg->msg_iter, size - copied);
		if (n < 0) {
			err = n;
			goto error;
		}
		if (!n) {
			toytcp_push(sk);
			err = toytcp_wait_memory(sk, &timeo, toytcp_wspace_ok(sk));
			if (err)
				goto error;
			continue;
		}
		copied += n;
		/* a chunk's worth at a time goes out while the rest is copied */
		if (tp->write_seq - tp->snd_nxt >= TOYTCP_CHUNK)
			toytcp_push(sk);
	}
	toytcp_push(sk);
	release_sock(sk);
	return copied;

error:
	toytcp_push(sk);
	release_sock(sk);
	if (copied)
		return copied;
	return toytcp_send_error(sk, flags, err);
}

/* The queued skb holding stream byte @seq, or NULL. */
static struct sk_buff *toytcp_find_rcv(struct sock *sk, u32 seq)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		const struct toytcp_skb_cb *cb = TOYTCP_SKB_CB(skb);

		if (toytcp_seq_in_window(seq, cb->seq, cb->seq + skb->len))
			return skb;
	}
	return NULL;
}

/* Drop the received skbs read to the end. */
static void toytcp_free_read(struct sock *sk)
{
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = skb_peek(&sk->sk_receive_queue)) &&
	       toytcp_seq_before_eq(TOYTCP_SKB_CB(skb)->seq + skb->len,
				    tp->copied_seq)) {
		__skb_unlink(skb, &sk->sk_receive_queue);
		kfree_skb(skb);
	}
}

int toytcp_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		   int flags)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	bool peek = flags & MSG_PEEK;
	size_t copied = 0;
	int target, err = 0;
	long timeo;
	u32 seq;

	if (flags & MSG_OOB)
		return -EINVAL;	/* no urgent data, as Linux without it */
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		err = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	seq = tp->copied_seq;

	add_wait_queue(sk_sleep(sk), &wait);
	while (copied < len) {
		struct sk_buff *skb = toytcp_find_rcv(sk, seq);

		if (skb) {
			u32 off = seq - TOYTCP_SKB_CB(skb)->seq;
			size_t n = min_t(size_t, skb->len - off, len - copied);

			if (skb_copy_datagram_msg(skb, off, msg, n)) {
				err = -EFAULT;
				break;
			}
			seq += n;
			copied += n;
			if (!peek) {
				tp->copied_seq = seq;
				toytcp_free_read(sk);
			}
			continue;
		}
		if (copied >= target)
			break;
		if (copied) {
			if (!timeo || sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    sk->sk_shutdown & RCV_SHUTDOWN ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				err = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				err = -ENOTCONN;	/* never connected */
				break;
			}
			if (!timeo) {
				err = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				err = sock_intr_errno(timeo);
				break;
			}
		}
		/* The window may have opened while we read: tell the peer. */
		toytcp_maybe_window_update(sk);
		sk_wait_event(sk, &timeo, toytcp_find_rcv(sk, seq) || sk->sk_err ||
			      sk->sk_shutdown & RCV_SHUTDOWN ||
			      sk->sk_state == TCP_CLOSE, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (copied && !peek) {
		toytcp_rcv_space_adjust(sk, toytcp_clock_us());
		toytcp_maybe_window_update(sk);
	}
out:
	release_sock(sk);
	return copied ? copied : err;
}

/*
 * Readable for poll, as Linux's tcp_epollin_ready(): SO_RCVLOWAT bytes wait
 * (one by default); or fewer, when less than a segment of window is left
 * and no more can come until the reader makes room.
 */
static bool toytcp_epollin_ready(const struct sock *sk)
{
	const struct toytcp_sock *tp = toytcp_sk(sk);
	int avail = READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq);

	if (avail <= 0 || skb_queue_empty_lockless(&sk->sk_receive_queue))
		return false;
	return avail >= max(READ_ONCE(sk->sk_rcvlowat), 1) ||
	       toytcp_rcv_wnd_left(tp) < READ_ONCE(tp->mss);
}

/* Poll bits as Linux TCP's tcp_poll(). */
__poll_t toytcp_poll(struct file *file, struct socket *sock, poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	int state = READ_ONCE(sk->sk_state);
	u8 shutdown = READ_ONCE(sk->sk_shutdown);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	if (state == TCP_LISTEN)
		return READ_ONCE(tp->acceptq_len) ? EPOLLIN | EPOLLRDNORM : 0;

	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;

	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		if (toytcp_epollin_ready(sk))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (toytcp_writeable(sk)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/*
				 * Pairs with the ACK path freeing space: either
				 * it sees NOSPACE and wakes us, or we see the
				 * space it freed.
				 */
				smp_mb__after_atomic();
				if (toytcp_writeable(sk))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(sk->sk_err) || !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}
