// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_sockopt.c: IPPROTO_TCP socket options, with Linux's numbers and
 * meanings. SOL_SOCKET options (SO_REUSEADDR, SO_RCVBUF, SO_LINGER, ...)
 * never come here: the socket core handles them on struct sock.
 */
#include <linux/tcp.h>
#include <linux/in.h>
#include <linux/jiffies.h>

#include "toytcp.h"

/* the limits Linux puts on the keepalive options */
#define TOYTCP_MAX_KEEPIDLE	32767
#define TOYTCP_MAX_KEEPINTVL	32767
#define TOYTCP_MAX_KEEPCNT	127
/* and on TCP_SYNCNT (MAX_TCP_SYNCNT) */
#define TOYTCP_MAX_SYNCNT	127

int toytcp_setsockopt(struct socket *sock, int level, int optname,
		      sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct toytcp_sock *tp = toytcp_sk(sk);
	int val, err = 0;

	if (level != SOL_TCP)
		return -ENOPROTOOPT;
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
	case TCP_USER_TIMEOUT:
		/* RFC 5482, as Linux: milliseconds, 0 for the default */
		if (val < 0)
			err = -EINVAL;
		else
			WRITE_ONCE(tp->user_timeout, val);
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
	info->tcpi_backoff = tp->retransmits;
	info->tcpi_rto = tp->rto_us;
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

	if (level != SOL_TCP)
		return -ENOPROTOOPT;
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
	case TCP_USER_TIMEOUT:
		val = READ_ONCE(tp->user_timeout);
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
