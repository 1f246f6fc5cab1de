// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_sockopt.c: IPPROTO_TCP and IPPROTO_IP socket options, with
 * Linux's numbers and meanings. SOL_SOCKET options (SO_REUSEADDR,
 * SO_RCVBUF, SO_LINGER, SO_MARK, SO_PRIORITY, SO_BINDTODEVICE, ...) never
 * come here: the socket core handles them on struct sock.
 */
#include <linux/tcp.h>
#include <linux/in.h>
#include <linux/jiffies.h>
#include <net/inet_ecn.h>
#include <net/route.h>
#include <kunit/visibility.h>
#include <uapi/linux/toytcp.h>

#include "toytcp.h"

/* the limits Linux puts on the keepalive options */
#define TOYTCP_MAX_KEEPIDLE	32767
#define TOYTCP_MAX_KEEPINTVL	32767
#define TOYTCP_MAX_KEEPCNT	127
/* and on TCP_SYNCNT (MAX_TCP_SYNCNT) */
#define TOYTCP_MAX_SYNCNT	127

/*
 * TCP_DEFER_ACCEPT's seconds as SYN-ACK timeouts and back, as Linux keeps
 * it: the timeouts start at the initial RTO and double up to the RTO's
 * ceiling; a number of seconds becomes the fewest timeouts that add up to
 * at least that many, so 5 s reads back as 7 (1 + 2 + 4).
 */
u8 toytcp_defer_secs_to_timeouts(int secs)
{
	u32 timeout = TOYTCP_RTO_INIT_US / USEC_PER_SEC, period = timeout;
	u8 n = 1;

	if (secs <= 0)
		return 0;
	while ((u32)secs > period && n < U8_MAX) {
		n++;
		timeout = min_t(u32, timeout * 2, TOYTCP_RTO_MAX_US / USEC_PER_SEC);
		period += timeout;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_defer_secs_to_timeouts);

int toytcp_defer_timeouts_to_secs(u8 n)
{
	u32 timeout = TOYTCP_RTO_INIT_US / USEC_PER_SEC, period = 0;

	for (; n; n--) {
		period += timeout;
		timeout = min_t(u32, timeout * 2, TOYTCP_RTO_MAX_US / USEC_PER_SEC);
	}
	return period;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_defer_timeouts_to_secs);

/*
 * The IPv4 options toytcp acts on. Linux's TCP accepts more (IP_RECVERR,
 * IP_MTU_DISCOVER, IP_MINTTL, IP_OPTIONS, ...): toytcp refuses those with
 * ENOPROTOOPT rather than take a setting it would then ignore.
 */
static bool toytcp_ip_opt_known(int optname)
{
	switch (optname) {
	case IP_TOS:
	case IP_TTL:
	case IP_BIND_ADDRESS_NO_PORT:
	case IP_FREEBIND:
	case IP_TRANSPARENT:
		return true;
	}
	return false;
}

/* IP_TOS, as Linux's __ip_sock_set_tos() for a stream socket. */
static void toytcp_set_tos(struct sock *sk, int val)
{
	struct inet_sock *inet = inet_sk(sk);

	/* the ECN field is TCP's own (RFC 3168), not the application's */
	val &= ~INET_ECN_MASK;
	val |= inet->tos & INET_ECN_MASK;
	if (inet->tos != val) {
		WRITE_ONCE(inet->tos, val);
		/* as Linux: the TOS also sets the queueing priority */
		WRITE_ONCE(sk->sk_priority, rt_tos2priority(val));
		sk_dst_reset(sk);	/* the TOS is part of the route's key */
	}
}

/**
 * toytcp_ip_setsockopt() - setsockopt() at level IPPROTO_IP.
 * @sk: the socket.
 * @optname: IP_*.
 * @optval: the value: an int, or as Linux a single unsigned byte when
 *          @optlen is 1 to 3; @optlen 0 reads as 0.
 * @optlen: its length.
 *
 * Return: 0 or a negative errno, the one Linux's ip_setsockopt() gives for
 * a TCP socket: EINVAL for a value out of range or a missing one, EPERM
 * for IP_TRANSPARENT without CAP_NET_RAW or CAP_NET_ADMIN, ENOPROTOOPT for
 * an option toytcp does not implement.
 */
int toytcp_ip_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			 unsigned int optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	int val = 0, err = 0;

	if (!toytcp_ip_opt_known(optname))
		return -ENOPROTOOPT;
	if (optlen >= sizeof(int)) {
		if (copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
	} else if (optlen) {
		u8 byte;

		if (copy_from_sockptr(&byte, optval, sizeof(byte)))
			return -EFAULT;
		val = byte;
	}
	/* as Linux, the capability first, then the length */
	if (optname == IP_TRANSPARENT && val &&
	    !ns_capable(net->user_ns, CAP_NET_RAW) &&
	    !ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (!optlen && optname != IP_TOS && optname != IP_BIND_ADDRESS_NO_PORT)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case IP_TOS:
		toytcp_set_tos(sk, val);
		break;
	case IP_TTL:
		/* 1..255, or -1: the route's hop limit again */
		if (val != -1 && (val < 1 || val > 255))
			err = -EINVAL;
		else
			WRITE_ONCE(inet->uc_ttl, val);
		break;
	case IP_BIND_ADDRESS_NO_PORT:
		inet->bind_address_no_port = !!val;
		break;
	case IP_FREEBIND:
		inet->freebind = !!val;
		break;
	case IP_TRANSPARENT:
		inet->transparent = !!val;
		break;
	}
	release_sock(sk);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_ip_setsockopt);

/* getsockopt() at level IPPROTO_IP; the value's length as Linux gives it. */
static int toytcp_ip_getsockopt(struct sock *sk, int optname,
				char __user *optval, int __user *optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	int len, val;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case IP_TOS:
		val = inet->tos;
		break;
	case IP_TTL:
		/* unset: Linux says net.ipv4.ip_default_ttl, not the route's */
		val = inet->uc_ttl == -1 ?
		      READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_default_ttl) :
		      inet->uc_ttl;
		break;
	case IP_BIND_ADDRESS_NO_PORT:
		val = inet->bind_address_no_port;
		break;
	case IP_FREEBIND:
		val = inet->freebind;
		break;
	case IP_TRANSPARENT:
		val = inet->transparent;
		break;
	default:
		release_sock(sk);
		return -ENOPROTOOPT;
	}
	release_sock(sk);

	/* as Linux: a buffer shorter than an int gets one byte, if it fits */
	if (len > 0 && len < sizeof(int) && val >= 0 && val <= 255) {
		u8 byte = val;

		len = 1;
		if (put_user(len, optlen) || copy_to_user(optval, &byte, 1))
			return -EFAULT;
		return 0;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/* TCP_CONGESTION: a name, as Linux: ENOENT for one it does not know. */
static int toytcp_set_congestion(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	const struct toytcp_cc_ops *ops;
	char name[TOYTCP_CA_NAME_MAX];
	long n;

	if (optlen < 1)
		return -EINVAL;
	n = strncpy_from_sockptr(name, optval,
				 min_t(long, TOYTCP_CA_NAME_MAX - 1, optlen));
	if (n < 0)
		return -EFAULT;
	name[n] = 0;
	ops = toytcp_cc_find(name);
	if (!ops)
		return -ENOENT;
	lock_sock(sk);
	toytcp_cc_set(sk, ops);
	release_sock(sk);
	return 0;
}

int toytcp_setsockopt(struct socket *sock, int level, int optname,
		      sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	int val, err = 0;

	if (level == SOL_IP)
		return toytcp_ip_setsockopt(sk, optname, optval, optlen);
	if (level != SOL_TCP)
		return -ENOPROTOOPT;	/* as Linux's ip_setsockopt() */
	if (optname == TCP_CONGESTION)
		return toytcp_set_congestion(sk, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	switch (optname) {
	case TCP_NODELAY:
		tp->nodelay = !!val;
		if (val)
			toytcp_push(sk);
		break;
	case TCP_CORK:
		tp->cork = !!val;
		if (!val)
			toytcp_push(sk);	/* uncorked: what waited goes now */
		break;
	case TCP_KEEPIDLE:
		if (val < 1 || val > TOYTCP_MAX_KEEPIDLE) {
			err = -EINVAL;
			break;
		}
		tp->keepidle = val;
		toytcp_reset_keepalive(sk);
		break;
	case TCP_KEEPINTVL:
		if (val < 1 || val > TOYTCP_MAX_KEEPINTVL)
			err = -EINVAL;
		else
			tp->keepintvl = val;
		break;
	case TCP_KEEPCNT:
		if (val < 1 || val > TOYTCP_MAX_KEEPCNT)
			err = -EINVAL;
		else
			tp->keepcnt = val;
		break;
	case TCP_MAXSEG:
		/* as Linux: 0 clears it; else between 88 and 65535 */
		if (val && (val < TOYTCP_MIN_MSS || val > U16_MAX)) {
			err = -EINVAL;
			break;
		}
		tp->user_mss = val;
		break;
	case TOYTCP_REUSEPORT:
		/* SO_REUSEPORT, which the socket core refuses us (see the UAPI) */
		sk->sk_reuseport = !!val;
		break;
	case TCP_QUICKACK:
		/*
		 * As Linux: any value but 0 sends the ACK held back now; bit 0
		 * on, none is held from then on (Linux's quick-ACK mode also
		 * ends by itself; toytcp's lasts); 0, or bit 0 off, ACKs are
		 * delayed again and getsockopt() says 0.
		 */
		if (val && tp->rcv_unacked &&
		    ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
			toytcp_send_ack(sk);
		tp->quickack = val & 1;
		tp->pingpong = !(val & 1);
		break;
	case TCP_FASTOPEN:
		/* as Linux: a queue length on a closed or listening socket */
		if (val >= 0 && ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
			tp->fastopen_qlen = min_t(u32, val,
						  READ_ONCE(sock_net(sk)->core.sysctl_somaxconn));
		else
			err = -EINVAL;
		break;
	case TCP_FASTOPEN_CONNECT:
		/* as Linux with net.ipv4.tcp_fastopen's client bit off */
		err = val < 0 || val > 1 ? -EINVAL : -EOPNOTSUPP;
		break;
	case TCP_USER_TIMEOUT:
		/* RFC 5482, as Linux: milliseconds, 0 for the default */
		if (val < 0)
			err = -EINVAL;
		else
			WRITE_ONCE(tp->user_timeout, val);
		break;
	case TCP_DEFER_ACCEPT:
		/* as Linux: seconds, kept as SYN-ACK timeouts; 0 or less: off */
		WRITE_ONCE(tp->defer_accept, toytcp_defer_secs_to_timeouts(val));
		break;
	case TCP_SYNCNT:
		/* as Linux: 1..127; there is no way back to the default */
		if (val < 1 || val > TOYTCP_MAX_SYNCNT)
			err = -EINVAL;
		else
			WRITE_ONCE(tp->syn_retries, val);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}

/* TCP_INFO: Linux's struct tcp_info, with what toytcp knows; the rest 0. */
static void toytcp_get_info(struct sock *sk, struct tcp_info *info)
{
	struct toytcp_sock *tp = toytcp_sk(sk);

	memset(info, 0, sizeof(*info));
	info->tcpi_state = sk->sk_state;
	info->tcpi_retransmits = tp->retransmits;
	info->tcpi_backoff = tp->backoff;
	info->tcpi_rto = tp->rto_us;
	/* RFC 7323, once both SYNs agreed (Linux fills them in the same way) */
	if (tp->tstamp_ok && (1 << sk->sk_state) & TOYTCPF_SYNCHRONIZED)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tp->wscale_ok && (1 << sk->sk_state) & TOYTCPF_SYNCHRONIZED) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = tp->snd_wscale;
		info->tcpi_rcv_wscale = tp->rcv_wscale;
	}
	if (tp->sack_ok && (1 << sk->sk_state) & TOYTCPF_SYNCHRONIZED)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (tp->ecn_ok && (1 << sk->sk_state) & TOYTCPF_SYNCHRONIZED)
		info->tcpi_options |= TCPI_OPT_ECN;
	info->tcpi_delivered_ce = tp->delivered_ce;
	if (tp->mss) {
		info->tcpi_sacked = DIV_ROUND_UP(tp->sacked_bytes, tp->mss);
		/* sent again in this recovery and not yet acknowledged */
		info->tcpi_retrans = DIV_ROUND_UP(toytcp_sack_retrans_out(tp), tp->mss);
	}
	info->tcpi_reordering = TOYTCP_DUPTHRESH;	/* fixed, as Linux's default */
	info->tcpi_dsack_dups = tp->dsack_dups;
	info->tcpi_delivered = tp->delivered;
	info->tcpi_snd_mss = tp->mss;
	info->tcpi_rcv_mss = tp->advmss;
	info->tcpi_advmss = tp->advmss;
	info->tcpi_pmtu = tp->advmss + 40;
	if (tp->mss)
		info->tcpi_unacked = DIV_ROUND_UP(tp->snd_max - tp->snd_una, tp->mss);
	info->tcpi_rtt = tp->srtt_us;
	info->tcpi_rttvar = tp->rttvar_us;
	/* in segments, as Linux; no threshold yet reads 0x7fffffff */
	info->tcpi_snd_ssthresh = tp->snd_ssthresh >= U32_MAX / 2 ? 0x7fffffff :
				  tp->snd_ssthresh / max_t(u16, tp->mss, 1);
	info->tcpi_snd_cwnd = tp->snd_cwnd / max_t(u16, tp->mss, 1);
	info->tcpi_lost = tp->lost;
	info->tcpi_ca_state = tp->in_recovery ? 3 : 0;	/* TCP_CA_Recovery */
	info->tcpi_probes = tp->probes_out;
	info->tcpi_max_pacing_rate = ~0ULL;
	info->tcpi_rcv_space = tp->rcv_wnd;
	info->tcpi_total_retrans = tp->total_retrans;
	info->tcpi_bytes_acked = tp->bytes_acked;
	info->tcpi_bytes_received = tp->bytes_received;
	info->tcpi_segs_in = tp->segs_in;
	info->tcpi_segs_out = tp->segs_out;
	info->tcpi_snd_wnd = tp->snd_wnd;
	info->tcpi_notsent_bytes = tp->write_seq - tp->snd_nxt;
}

int toytcp_getsockopt(struct socket *sock, int level, int optname,
		      char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	struct tcp_info info;
	int len, val;

	if (level == SOL_IP)
		return toytcp_ip_getsockopt(sk, optname, optval, optlen);
	if (level != SOL_TCP)
		return -EOPNOTSUPP;	/* as Linux's do_ip_getsockopt() */
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case TCP_INFO:
		lock_sock(sk);
		toytcp_get_info(sk, &info);
		release_sock(sk);
		len = min_t(unsigned int, len, sizeof(info));
		if (put_user(len, optlen) || copy_to_user(optval, &info, len))
			return -EFAULT;
		return 0;
	case TCP_CONGESTION:
		/* the name, cut to the caller's length, as Linux */
		len = min_t(unsigned int, len, TOYTCP_CA_NAME_MAX);
		if (put_user(len, optlen) ||
		    copy_to_user(optval, READ_ONCE(tp->cc)->name, len))
			return -EFAULT;
		return 0;
	case TCP_NODELAY:
		val = tp->nodelay;
		break;
	case TCP_CORK:
		val = tp->cork;
		break;
	case TCP_KEEPIDLE:
		val = tp->keepidle;
		break;
	case TCP_KEEPINTVL:
		val = tp->keepintvl;
		break;
	case TCP_KEEPCNT:
		val = tp->keepcnt;
		break;
	case TCP_MAXSEG:
		val = tp->mss;
		if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)) || !tp->user_mss)
			val = tp->user_mss && sk->sk_state == TCP_CLOSE ?
			      tp->user_mss : tp->mss;
		else
			val = tp->user_mss;
		break;
	case TOYTCP_REUSEPORT:
		val = sk->sk_reuseport;
		break;
	case TCP_QUICKACK:
		val = !tp->pingpong;
		break;
	case TCP_FASTOPEN:
		val = tp->fastopen_qlen;
		break;
	case TCP_FASTOPEN_CONNECT:
		val = 0;
		break;
	case TCP_USER_TIMEOUT:
		val = READ_ONCE(tp->user_timeout);
		break;
	case TCP_DEFER_ACCEPT:
		val = toytcp_defer_timeouts_to_secs(READ_ONCE(tp->defer_accept));
		break;
	case TCP_SYNCNT:
		/* as Linux: the socket's own, else the default it would use */
		val = READ_ONCE(tp->syn_retries) ? : READ_ONCE(toytcp_syn_retries);
		break;
	default:
		return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}
