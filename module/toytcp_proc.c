// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp_proc.c: /proc/net/toytcp, one line per socket in the format of
 * /proc/net/tcp (so its parsers read it too), and /proc/net/toytcp_stats,
 * the counters. Both per network namespace. The seed: "netstat 커맨드로
 * PC에 존재하는 소켓의 내용을 확인할 수 있다".
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/jiffies.h>
#include <net/net_namespace.h>

#include "toytcp.h"

struct toytcp_proc_walk {
	struct seq_file *seq;
	int n;
};

static bool toytcp_proc_show_sock(struct sock *sk, void *arg)
{
	struct toytcp_proc_walk *w = arg;
	struct toytcp_sock *tp = toytcp_sk(sk);
	u32 mss = max_t(u32, tp->mss, 1);
	int timer = 0, rx, tx;
	unsigned long expires = jiffies;

	if (timer_pending(&tp->retx_timer)) {
		timer = 1;
		expires = tp->retx_timer.expires;
	} else if (timer_pending(&tp->tw_timer)) {
		timer = sk->sk_state == TCP_TIME_WAIT ? 3 : 2;
		expires = tp->tw_timer.expires;
	}
	/* as /proc/net/tcp: bytes not yet acknowledged, bytes not yet read */
	rx = 0;
	tx = 0;
	if (sk->sk_state == TCP_LISTEN) {
		rx = READ_ONCE(sk->sk_ack_backlog);
	} else if (sk->sk_state != TCP_TIME_WAIT) {
		/* the peer's FIN and ours take a sequence number, not a byte */
		rx = READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq) -
		     sock_flag(sk, SOCK_DONE);
		tx = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_una);
		rx = max(rx, 0);
		tx = max(tx, 0);
	}
	/*
	 * The columns of /proc/net/tcp up to ssthresh (cwnd and ssthresh in
	 * segments, -1 for no threshold yet), then toytcp's own, named.
	 */
	seq_printf(w->seq,
		   "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %lu %lu %u %u %d",
		   w->n++, sk->sk_rcv_saddr, sk->sk_num, sk->sk_daddr,
		   ntohs(sk->sk_dport), sk->sk_state, tx, rx, timer,
		   jiffies_delta_to_clock_t(expires - jiffies), tp->retransmits,
		   from_kuid_munged(seq_user_ns(w->seq), sk->sk_uid), tp->probes_out,
		   sock_i_ino(sk), refcount_read(&sk->sk_refcnt), sk,
		   jiffies_to_clock_t(usecs_to_jiffies(tp->rto_us)),
		   jiffies_to_clock_t(msecs_to_jiffies(READ_ONCE(toytcp_delack_ms))),
		   0, mss ? tp->snd_cwnd / mss : 0,
		   tp->snd_ssthresh >= U32_MAX / 2 ? -1 : (int)(tp->snd_ssthresh / mss));
	seq_printf(w->seq, " rtt_us=%u rttvar_us=%u rto_us=%u mss=%u rcv_mss=%u snd_wnd=%u rcv_wnd=%u cwnd=%u ssthresh=%u retrans=%u lost=%u",
		   tp->srtt_us, tp->rttvar_us, tp->rto_us, tp->mss, tp->advmss,
		   tp->snd_wnd, tp->rcv_wnd, tp->snd_cwnd,
		   tp->snd_ssthresh >= U32_MAX / 2 ? 0 : tp->snd_ssthresh,
		   tp->total_retrans, tp->lost);
	seq_putc(w->seq, '\n');
	return true;
}

static int toytcp_proc_show(struct seq_file *seq, void *v)
{
	struct toytcp_proc_walk w = { .seq = seq };

	seq_setwidth(seq, 149);
	seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
	seq_pad(seq, '\n');
	toytcp_walk_socks(seq_file_single_net(seq), toytcp_proc_show_sock, &w);
	return 0;
}

static int toytcp_stats_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	int i;

	for (i = 0; i < TOYTCP_MIB_MAX; i++)
		seq_printf(seq, "%s %ld\n", toytcp_mib_names[i],
			   toytcp_read_stat(net, i));
	return 0;
}

int toytcp_proc_init(struct net *net)
{
	if (!proc_create_net_single("toytcp", 0444, net->proc_net,
				    toytcp_proc_show, NULL))
		return -ENOMEM;
	if (!proc_create_net_single("toytcp_stats", 0444, net->proc_net,
				    toytcp_stats_show, NULL)) {
		remove_proc_entry("toytcp", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void toytcp_proc_exit(struct net *net)
{
	remove_proc_entry("toytcp_stats", net->proc_net);
	remove_proc_entry("toytcp", net->proc_net);
}
