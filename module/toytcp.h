/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toytcp private header: the control block and what the parts of the
 * module share.
 *
 * Who does what (the seed's stages in brackets):
 *   af_toytcp.c      family, socket(), bind/listen/accept/connect/close
 *                    [socket, connect, close]
 *   toytcp_data.c    sendmsg, recvmsg, poll [write/read]
 *   toytcp_sockopt.c setsockopt/getsockopt, TCP_INFO
 *   toytcp_input.c   SEGMENT ARRIVES: the state machine of RFC 9293 §3.10.7
 *   toytcp_output.c  building and sending segments, options, windows
 *   toytcp_timer.c   retransmission and TIME_WAIT timers, the RTO estimator
 *   toytcp_minisocks.c  a listener's children and their queues, SYN
 *                    cookies, the TIME_WAIT stand-in
 *   toytcp_hash.c    ports and the lookup tables
 *   toytcp_ipv4.c    netfilter input, route+neighbour output, counters
 *   toytcp_icmp.c    ICMP errors about our segments, path MTU
 *   toytcp_cong.c    congestion control
 *   toytcp_sack.c    SACK blocks, the scoreboard, SACK loss recovery
 *   toytcp_proc.c    /proc/net/toytcp
 */
#ifndef _TOYTCP_H
#define _TOYTCP_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/list.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/tcp_states.h>

/* Control bits of the TCP header, as in its 13th byte. */
#define TOYTCP_FIN	0x01
#define TOYTCP_SYN	0x02
#define TOYTCP_RST	0x04
#define TOYTCP_PSH	0x08
#define TOYTCP_ACK	0x10
#define TOYTCP_URG	0x20
#define TOYTCP_ECE	0x40	/* ECN echo (RFC 3168 §6.1) */
#define TOYTCP_CWR	0x80	/* congestion window reduced */

/* Option kinds and lengths (RFC 9293 §3.2). */
#define TOYTCP_OPT_EOL		0	/* end of option list */
#define TOYTCP_OPT_NOP		1	/* no-operation */
#define TOYTCP_OPT_MSS		2	/* maximum segment size */
#define TOYTCP_OPT_MSS_LEN	4
#define TOYTCP_OPT_WSCALE	3	/* window scale (RFC 7323 §2) */
#define TOYTCP_OPT_WSCALE_LEN	3
#define TOYTCP_OPT_TIMESTAMP	8	/* timestamps (RFC 7323 §3) */
#define TOYTCP_OPT_TIMESTAMP_LEN 10
/* NOP, NOP, timestamps: what every segment of a connection with them carries */
#define TOYTCP_OPT_TS_ALIGNED_LEN 12
#define TOYTCP_OPT_SACK_PERM	4	/* SACK permitted, in a SYN (RFC 2018 §2) */
#define TOYTCP_OPT_SACK_PERM_LEN 2
#define TOYTCP_OPT_SACK		5	/* SACK blocks (RFC 2018 §3) */
#define TOYTCP_OPT_SACK_BASE	2	/* kind and length, then the blocks */
#define TOYTCP_OPT_SACK_PERBLOCK 8	/* left and right edge */
/* The most blocks one SACK option can hold: 4 in 40 option bytes, 3 beside timestamps */
#define TOYTCP_MAX_SACK_BLOCKS	4
/* SACKed ranges the sender remembers; past this the highest are forgotten */
#define TOYTCP_SCOREBOARD_MAX	16
/* Retransmissions in SACK recovery watched for loss; past this the oldest is forgotten */
#define TOYTCP_RXT_LOG_MAX	8
/* Duplicate ACKs (or MSS-sized pieces SACKed above a hole) that mean a loss (RFC 5681, RFC 6675) */
#define TOYTCP_DUPTHRESH	3
/* the retransmission timeout (RFC 6298): before any sample, and its bounds (as Linux) */
#define TOYTCP_RTO_INIT_US	USEC_PER_SEC
#define TOYTCP_RTO_MIN_US	(200 * USEC_PER_MSEC)
#define TOYTCP_RTO_MAX_US	(120 * USEC_PER_SEC)
/* RFC 7323 §2.3: a larger shift count is taken as 14 (windows up to 2^30) */
#define TOYTCP_MAX_WSCALE	14
/* The window field's largest value: the window without scaling, or in a SYN */
#define TOYTCP_MAX_WINDOW	U16_MAX
/*
 * PAWS (RFC 7323 §5.5): TS.Recent is not trusted once it is this old
 * (Linux's TCP_PAWS_24DAYS: a 1 ms timestamp clock wraps its sign bit in
 * 24.8 days).
 */
#define TOYTCP_PAWS_IDLE_SECS	(60 * 60 * 24 * 24)
/* PAWS lets a TSval this many ticks older than TS.Recent pass (Linux's TCP_PAWS_WINDOW) */
#define TOYTCP_PAWS_WINDOW	1

#define TOYTCP_HDR_LEN		20	/* TCP header without options */
#define TOYTCP_IPV4_TCP_HDR_LEN	40	/* IPv4 and TCP headers: MTU - this = MSS */
#define TOYTCP_MAX_HDR_LEN	60	/* with the most options */
#define TOYTCP_DEFAULT_MSS	536	/* RFC 9293 §3.7.1: no MSS option */
#define TOYTCP_MIN_MSS		88	/* Linux's floor for TCP_MAXSEG */
/* The smallest MSS path-MTU discovery goes down to (Linux's TCP_MIN_SND_MSS). */
#define TOYTCP_MIN_SND_MSS	48
/* What an ICMP error must quote of our segment: ports and sequence number. */
#define TOYTCP_ICMP_QUOTE_LEN	8
/* Room to reserve in front of a segment: link layer, IPv4, TCP. */
#define TOYTCP_HEADROOM		(MAX_HEADER + 20 + TOYTCP_MAX_HDR_LEN)

/**
 * struct toytcp_skb_cb - what toytcp notes about a segment, in skb->cb.
 * @seq: sequence number of the first octet (or of the SYN).
 * @end_seq: @seq + data length + 1 for SYN + 1 for FIN.
 * @ack_seq: acknowledgment number, meaningful with TOYTCP_ACK.
 * @window: window field, unscaled.
 * @flags: TOYTCP_* control bits, FIN to URG.
 * @ecn: ECN (RFC 3168): a received segment's TOYTCP_ECE and TOYTCP_CWR
 *       bits, and TOYTCP_CE if its IPv4 header says "congestion
 *       experienced", TOYTCP_ECT if it says ECT; a segment being sent:
 *       TOYTCP_ECT if its IPv4 header is to say ECT(0).
 *
 * On the write queue only @seq and @end_seq are used: each skb there is a
 * chunk of the byte stream, data only.
 */
struct toytcp_skb_cb {
	u32 seq;
	u32 end_seq;
	u32 ack_seq;
	u16 window;
	u8 flags;
	u8 ecn;
};

#define TOYTCP_CE	0x01	/* in toytcp_skb_cb.ecn: the IPv4 header had CE */
#define TOYTCP_ECT	0x02	/* in toytcp_skb_cb.ecn: ECT (sent with ECT(0)) */

#define TOYTCP_SKB_CB(skb) ((struct toytcp_skb_cb *)&((skb)->cb[0]))

/* A range of sequence numbers the receiver holds: [start, end). */
struct toytcp_sack_block {
	u32 start;
	u32 end;
};

/**
 * struct toytcp_rxt - a retransmission in SACK recovery, watched in case
 * it is lost too (toytcp_sack_lost_retransmits()).
 * @start: its first sequence number not yet known delivered.
 * @end: one past its last.
 * @high: snd_max when it left: everything from here up left after it.
 * @lost: found lost: to be sent again.
 */
struct toytcp_rxt {
	u32 start;
	u32 end;
	u32 high;
	bool lost;
};

/**
 * struct toytcp_opts - the options toytcp reads from a segment, and the
 * ones it writes.
 * @mss: maximum segment size, or 0 if the option was absent.
 * @wscale: window scale shift count, at most TOYTCP_MAX_WSCALE.
 * @saw_wscale: a window scale option was there.
 * @saw_tstamp: a timestamps option was there.
 * @tsval: its TSval.
 * @tsecr: its TSecr.
 * @saw_sack_perm: SACK permitted (a SYN's option).
 * @num_sacks: SACK blocks in @sacks.
 * @sacks: the blocks, in the order of the option, host byte order.
 */
struct toytcp_opts {
	u16 mss;
	u8 wscale;
	bool saw_wscale;
	bool saw_tstamp;
	u32 tsval;
	u32 tsecr;
	bool saw_sack_perm;
	u8 num_sacks;
	struct toytcp_sack_block sacks[TOYTCP_MAX_SACK_BLOCKS];
};

/*
 * A port held by toytcp: a bound, never-listening AF_INET TCP socket
 * reserves the same address and port in Linux TCP, so neither stack can
 * take a port the other holds. Shared, refcounted, by every toytcp socket
 * on the same (namespace, address, port): a listener and its children.
 */
struct toytcp_port;

/* A congestion control name's room, with its NUL (Linux's TCP_CA_NAME_MAX). */
#define TOYTCP_CA_NAME_MAX	16

/**
 * struct toytcp_cc_ops - a congestion control algorithm (toytcp_cong.c):
 * what it does where RFC 5681 leaves room; slow start and recovery are
 * shared.
 * @name: its TCP_CONGESTION name, as Linux's.
 * @ssthresh: a loss is known (recovery, a timeout, a tail loss probe
 *            that repaired one): the new ssthresh, from snd_cwnd and
 *            @flight, the data in flight when the loss happened; may note
 *            the loss.
 * @avoid: congestion avoidance (cwnd >= ssthresh): an ACK covered @acked
 *         new bytes; grows snd_cwnd.
 */
struct toytcp_cc_ops {
	char name[TOYTCP_CA_NAME_MAX];
	u32 (*ssthresh)(struct sock *sk, u32 flight);
	void (*avoid)(struct sock *sk, u32 acked);
};

/**
 * struct toytcp_cubic - CUBIC's state (RFC 9438 §4), bytes and times.
 * @w_max: the window just before the last reduction.
 * @origin: where W(t) levels off this epoch: @w_max, or cwnd if above it.
 * @k_ms: K, the time W(t) takes to climb back to @origin.
 * @epoch_us: when the epoch (avoidance since the last reduction) began,
 *            toytcp_clock_us(); 0: it begins at the next ACK in avoidance.
 * @w_est: the window Reno would have now (the Reno-friendly floor).
 */
struct toytcp_cubic {
	u32 w_max;
	u32 origin;
	u32 k_ms;
	u64 epoch_us;
	u32 w_est;
};

/* Work a timer could not do while the user held the socket (release_cb). */
enum {
	TOYTCP_RETX_DEFERRED,
	TOYTCP_TW_DEFERRED,
	TOYTCP_DELACK_DEFERRED,
	TOYTCP_PERSIST_DEFERRED,
	TOYTCP_KEEPALIVE_DEFERRED,
	TOYTCP_MTU_REDUCED_DEFERRED,	/* an ICMP "fragmentation needed" */
	TOYTCP_OPEN_FAILED_DEFERRED,	/* an ICMP error before the open */
};

/**
 * struct toytcp_sock - the TCP control block (the seed's "제어 정보").
 * @inet: the generic socket (@inet.sk) and the IPv4 socket fields around
 *        it; first, so a struct sock * converts. sk_state holds the RFC
 *        9293 state as Linux's TCP_* numbers, sk_write_queue the bytes not
 *        yet acknowledged, sk_receive_queue the bytes received in order
 *        and not yet read. toytcp reads only the IP options of struct
 *        inet_sock (tos, uc_ttl, freebind, transparent); the rest is there,
 *        zeroed, because netfilter and routing code called on the output
 *        path (ip_route_me_harder(), socket matches) treat skb->sk as an
 *        inet_sock: a toytcp socket must read as a valid one to them.
 *
 * Send sequence variables (RFC 9293 §3.3.1):
 * @iss: initial send sequence number.
 * @snd_una: oldest unacknowledged sequence number.
 * @snd_nxt: next sequence number to send.
 * @snd_max: highest sequence number sent so far (after a timeout
 *           @snd_nxt goes back to @snd_una, this does not).
 * @snd_wnd: the peer's window.
 * @snd_wl1: segment sequence number used for the last window update.
 * @snd_wl2: segment acknowledgment number used for the last window update.
 * @write_seq: sequence number after the last byte the application queued.
 *
 * Receive sequence variables:
 * @irs: initial receive sequence number.
 * @rcv_nxt: next sequence number expected: the ACK number we send.
 * @rcv_wnd: window we advertised in the last segment sent.
 * @rcv_wup: @rcv_nxt when we sent it: the window's right edge is
 *           @rcv_wup + @rcv_wnd, and must never move left.
 * @copied_seq: next sequence number the application will read.
 *
 * Segment sizes:
 * @mss: largest segment we send: min(@peer_mss, route MTU - 40, @user_mss).
 * @peer_mss: what the peer's MSS option said (536 without one).
 * @advmss: what our MSS option said.
 * @user_mss: TCP_MAXSEG, 0 if unset.
 * @mtu_info: the MTU the last ICMP "fragmentation needed" reported, for
 *            toytcp_mtu_reduced() (which may run later, at release_sock()).
 * @gso_segs: segmentation offload (toytcp_sync_offload(), from the route):
 *            0: none, every skb is one wire segment with a checksum
 *            toytcp computed; else skbs leave with CHECKSUM_PARTIAL and
 *            carry up to this many MSS-sized wire segments (GSO).
 *
 * RFC 7323 (both used only when both SYNs carried them):
 * @wscale_ok: window scaling is on: windows we send are shifted right by
 *             @rcv_wscale, the peer's left by @snd_wscale (never in a SYN).
 * @snd_wscale: the peer's shift count.
 * @rcv_wscale: ours, chosen before our SYN from the largest receive buffer
 *              the socket may grow to.
 * @tstamp_ok: timestamps are on: every segment carries TSval/TSecr.
 *
 * SACK (RFC 2018, RFC 2883; used only when both SYNs carried SACK permitted):
 * @sack_ok: SACK is on.
 * @sack_recent: the sequence number of the segment that last went to the
 *               out-of-order queue: our first SACK block holds it.
 * @dsack: a duplicate segment to report (RFC 2883) in the next ACK's
 *         first block; @dsack.start == @dsack.end: none.
 * @sacked: the scoreboard: ranges above snd_una the peer holds, sorted,
 *          disjoint, not adjacent; @nr_sacked of them, @sacked_bytes bytes.
 * @high_rxt: in SACK recovery, where the retransmission of lost holes has
 *            got to (RFC 6675 HighRxt).
 * @rxt_log: in SACK recovery, the retransmissions not yet known delivered,
 *           oldest first; @nr_rxt of them.
 * @rack_armed: the retransmission timer holds RACK's reordering window
 *              (toytcp_rack_arm()), not the RTO.
 * @rack_mark: the lowest SACKed byte above the holes that window is for.
 * @rack_lost: holes below @rack_lost_end are lost (the window ran out).
 * ECN (RFC 3168; net.ipv4.tcp_ecn, or the module parameter ecn):
 * @ecn_ok: ECN is on (before the handshake ends: we asked for it, or
 *          will accept it).
 * @ecn_demand_cwr: a CE mark arrived: every segment carries ECE until the
 *                  peer's CWR.
 * @ecn_cwr_pending: cwnd was reduced for an ECE: the next new data
 *                   segment carries CWR.
 * @ecn_high: snd_max at the last reduction of cwnd (any cause).
 * @cwnd_reduced: that reduction's window is not over yet (data after
 *                @ecn_high not ACKed): an ECE does nothing more.
 * @delivered_ce: segments ACKed with ECE (tcpi_delivered_ce).
 * @dsack_dups: D-SACKs received: segments we sent that the peer already
 *              had (TCP_INFO tcpi_dsack_dups).
 * @delivered: segments the peer is known to have got, ACKed or SACKed
 *             (tcpi_delivered).
 * @tlp_armed: the retransmission timer holds a probe timeout (PTO), not
 *             an RTO (RFC 8985 §7.2).
 * @tlp_out: a tail loss probe is out, unanswered: no other until an ACK
 *           covers @tlp_high_seq.
 * @tlp_retrans: it was a retransmission (of the last segment), not new data.
 * @tlp_dsacked: a D-SACK came while it was out: it repaired nothing.
 * @tlp_seq: its first sequence number.
 * @tlp_high_seq: snd_max after it was sent.
 * @tlp_flight: the flight when it was sent (for the congestion response).
 * @prr_delivered: in SACK recovery, bytes the peer got since it began
 *                 (RFC 6937 prr_delivered).
 * @prr_out: bytes sent since it began (prr_out).
 * @recover_fs: the flight when it began (RecoverFS).
 * @ts_recent: TS.Recent, the TSval to echo (and PAWS's reference).
 * @ts_recent_stamp: when @ts_recent was taken (seconds, ktime_get_seconds()).
 * @ts_offset: added to our millisecond clock for TSval: a keyed hash of
 *             the two addresses (toytcp_ts_offset()).
 * @retx_tsval: our TSval at the last retransmission timeout: an RTT
 *              sample from TSecr counts only if it echoes this or later.
 * @backoff: timeouts that doubled @rto_us since the last RTT sample (Linux's
 *           icsk_backoff): while there are any, every ACK's TSecr may give
 *           the sample that ends them, not only the timed segment's.
 *
 * Retransmission (RFC 6298; times in microseconds):
 * @srtt_us: smoothed round-trip time, 0 before the first sample.
 * @rttvar_us: round-trip time variation.
 * @rto_us: the current retransmission timeout, backoff included.
 * @rtt_seq: the timed segment's sequence number: a sample is taken when
 *           an ACK covers it, if it was not retransmitted (Karn).
 * @rtt_start: when the timed segment was sent (microseconds of the
 *             monotonic clock), 0 if none.
 * @retransmits: timeouts in a row for the oldest segment.
 * @retx_timer: retransmission timer.
 * @retx_expires: when it was last set to fire (jiffies): a firing that
 *                comes late, after ACKs set it again, does nothing.
 * @tw_timer: TIME_WAIT (2*MSL), and FIN_WAIT_2 for orphans.
 * @deferred: TOYTCP_*_DEFERRED bits: timer work left for release_sock().
 *
 * Congestion control (RFC 5681, NewReno RFC 6582, CUBIC RFC 9438; bytes):
 * @snd_cwnd: congestion window.
 * @snd_ssthresh: slow-start threshold.
 * @recover: snd_max when fast recovery began; recovery ends when it is ACKed.
 * @dupacks: duplicate ACKs in a row.
 * @in_recovery: in fast recovery.
 * @lost: segments retransmitted because they were taken as lost.
 * @max_sndwnd: the largest window the peer ever offered (sender SWS).
 * @cc: the algorithm (TCP_CONGESTION), never NULL once allocated.
 * @cwnd_limited: at the last toytcp_push(), cwnd was full: growth in
 *                avoidance is earned only then.
 * @cubic: its state when it is cubic.
 *
 * Zero window (RFC 9293 §3.8.6.1):
 * @persist_timer: probes a zero window.
 * @persist_backoff: the probe interval is the RTO times 2^this; grows with
 *                   each probe, back to 0 when the window opens.
 * @probes_out: window or keepalive probes since the peer last said
 *              anything (any ACK resets it).
 *
 * Delayed ACK (RFC 9293 §3.8.6.3; RFC 5681 §4.2):
 * @delack_timer: sends the ACK that is being held back.
 * @rcv_unacked: bytes received since our last ACK.
 *
 * Receive-buffer autotuning (toytcp_rcv_space_adjust()):
 * @rcvq_space: the most bytes the application read in one round trip.
 * @rcvq_seq: @copied_seq when the round trip being measured began.
 * @rcvq_time_us: when it began (toytcp_clock_us()).
 *
 * Keepalive (RFC 9293 §3.8.4):
 * @keepalive_timer: probes an idle connection.
 * @keepidle: TCP_KEEPIDLE, seconds.
 * @keepintvl: TCP_KEEPINTVL, seconds.
 * @keepcnt: TCP_KEEPCNT.
 * @rcv_tstamp: when the last segment arrived (jiffies).
 *
 * Reassembly:
 * @ooo_queue: segments after a hole, sorted, no overlaps; charged to the
 *             receive buffer like the receive queue.
 *
 * Flags:
 * @fin_queued: the application closed its side: FIN follows the data.
 * @wscale_ok, @tstamp_ok, @sack_ok: above.
 * @nodelay: TCP_NODELAY.
 * @cork: TCP_CORK: only full segments leave.
 * @quickack: TCP_QUICKACK: every ACK at once, none held back.
 * @pingpong: TCP_QUICKACK was turned off (Linux's "pingpong" mode), which
 *            getsockopt() reports; toytcp's ACKs are delayed either way.
 *
 * Listener (state LISTEN):
 * @accept_lock: protects @synq, @acceptq, their lengths and @listening;
 *               taken from softirq, so _bh in process context.
 * @synq: children in SYN_RECEIVED.
 * @acceptq: children ESTABLISHED (or later) and not yet accepted.
 * @listening: cleared, under @accept_lock, when the listener closes.
 * @synq_overflow: when the SYN queue last overflowed and a SYN cookie was
 *                 sent (jiffies, 0: never): cookies are checked only for
 *                 a while after.
 *
 * Child of a listener:
 * @parent: the listener, held, until accept() or abort.
 * @q_node: link in the parent's @synq or @acceptq.
 * @defer_acked: the peer's bare ACK completed the handshake, but the
 *               listener's TCP_DEFER_ACCEPT keeps the child in SYN_RECEIVED
 *               until data comes (Linux's "acked" request).
 *
 * Limits:
 * @user_timeout: TCP_USER_TIMEOUT, ms; 0: none.
 * @defer_accept: TCP_DEFER_ACCEPT, as Linux keeps it: the number of SYN-ACK
 *                timeouts a listener's child waits for data after the
 *                peer's bare ACK (0: none).
 * @fastopen_qlen: TCP_FASTOPEN as a listener's option: kept and read back,
 *                 never used (toytcp has no TCP Fast Open: Linux with
 *                 net.ipv4.tcp_fastopen's server bit off does the same).
 * @syn_retries: TCP_SYNCNT: SYN (or, for a listener's children, SYN-ACK)
 *               retransmissions before giving up; 0: the module parameter
 *               syn_retries (synack_retries).
 * @retrans_stamp: when the oldest segment still unacknowledged after a
 *                 timeout (or the first zero-window probe) left, jiffies;
 *                 0 while nothing is being retried.
 * @orphan: counted among the orphans (closed by the application, not yet
 *          CLOSED or TIME_WAIT).
 * @tw_charged: counted among the TIME_WAIT control blocks.
 *
 * Others:
 * @port: the port this socket holds, NULL when unbound.
 * @ip_id: IPv4 identification of the next datagram.
 * @segs_in, @segs_out, @total_retrans, @bytes_acked, @bytes_received:
 *      counters for TCP_INFO.
 * @xmit: where finished TCP segments go; toytcp_ip_xmit() but for the
 *        KUnit harness, which captures them.
 *
 * Locking: the socket lock (lock_sock() in process context, bh_lock_sock()
 * with sock_owned_by_user() false in softirq) covers every field except
 * those under @accept_lock.
 */
struct toytcp_sock {
	struct inet_sock inet;

	u32 iss;
	u32 snd_una;
	u32 snd_nxt;
	u32 snd_max;
	u32 snd_wnd;
	u32 snd_wl1;
	u32 snd_wl2;
	u32 write_seq;

	u32 irs;
	u32 rcv_nxt;
	u32 rcv_wnd;
	u32 rcv_wup;
	u32 copied_seq;

	u16 mss;
	u16 peer_mss;
	u16 advmss;
	u16 user_mss;
	u32 mtu_info;
	u16 gso_segs;

	u8 snd_wscale;
	u8 rcv_wscale;
	u32 ts_recent;
	u32 ts_recent_stamp;
	u32 ts_offset;
	u32 retx_tsval;

	u32 sack_recent;
	struct toytcp_sack_block dsack;
	struct toytcp_sack_block sacked[TOYTCP_SCOREBOARD_MAX];
	u8 nr_sacked;
	u32 sacked_bytes;
	u32 high_rxt;
	struct toytcp_rxt rxt_log[TOYTCP_RXT_LOG_MAX];
	u8 nr_rxt;
	u32 rack_mark;
	u32 rack_lost_end;
	u32 prr_delivered;
	u32 prr_out;
	u32 recover_fs;
	u32 tlp_seq;
	u32 tlp_high_seq;
	u32 tlp_flight;
	u32 dsack_dups;
	u32 delivered;
	u32 ecn_high;
	u32 delivered_ce;

	u32 srtt_us;
	u32 rttvar_us;
	u32 rto_us;
	u32 rtt_seq;
	u64 rtt_start;
	u8 retransmits;
	u8 backoff;
	struct timer_list retx_timer;
	unsigned long retx_expires;
	struct timer_list tw_timer;
	unsigned long deferred;

	u32 snd_cwnd;
	u32 snd_ssthresh;
	u32 recover;
	u8 dupacks;
	bool in_recovery;
	u32 lost;
	u32 max_sndwnd;
	const struct toytcp_cc_ops *cc;
	struct toytcp_cubic cubic;

	struct timer_list persist_timer;
	u8 persist_backoff;
	u8 probes_out;

	struct timer_list delack_timer;
	u32 rcv_unacked;
	u32 rcvq_space;
	u32 rcvq_seq;
	u64 rcvq_time_us;

	struct timer_list keepalive_timer;
	u16 keepidle;
	u16 keepintvl;
	u8 keepcnt;
	unsigned long rcv_tstamp;

	struct sk_buff_head ooo_queue;

	u8 fin_queued:1,
	   nodelay:1,
	   cork:1,
	   quickack:1,
	   pingpong:1,
	   orphan:1,
	   tw_charged:1,
	   wscale_ok:1,
	   tstamp_ok:1,
	   sack_ok:1,
	   cwnd_limited:1,
	   tlp_armed:1,
	   rack_armed:1,
	   rack_lost:1,
	   tlp_out:1,
	   tlp_retrans:1,
	   tlp_dsacked:1,
	   ecn_ok:1,
	   ecn_demand_cwr:1,
	   ecn_cwr_pending:1,
	   cwnd_reduced:1,
	   defer_acked:1;

	u32 user_timeout;
	u8 defer_accept;
	u32 fastopen_qlen;
	u8 syn_retries;
	unsigned long retrans_stamp;

	spinlock_t accept_lock;		/* see @accept_lock above */
	struct list_head synq;
	struct list_head acceptq;
	int synq_len;
	int acceptq_len;
	bool listening;
	unsigned long synq_overflow;

	struct sock *parent;
	struct list_head q_node;

	struct toytcp_port *port;
	u16 ip_id;

	u32 segs_in;
	u32 segs_out;
	u32 total_retrans;
	u64 bytes_acked;
	u64 bytes_received;

	int (*xmit)(struct sock *sk, struct sk_buff *skb);
};

/* Wire segments @skb carries: more than one when it leaves (or came) as GSO. */
static inline u16 toytcp_skb_segs(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_segs ? : 1;
}

/* Microseconds of the monotonic clock, never 0 (0 means "not timing"). */
static inline u64 toytcp_clock_us(void)
{
	return ktime_to_us(ktime_get()) ? : 1;
}

static inline struct toytcp_sock *toytcp_sk(const struct sock *sk)
{
	return container_of(sk, struct toytcp_sock, inet.sk);
}

/*
 * Sequence-number arithmetic (RFC 9293 §3.4): sequence numbers live in a
 * 2^32 circle, so "a before b" means the signed 32-bit distance from b to a
 * is negative. This is correct while the two are less than 2^31 apart.
 */
static inline bool toytcp_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool toytcp_seq_after(u32 a, u32 b)
{
	return toytcp_seq_before(b, a);
}

static inline bool toytcp_seq_before_eq(u32 a, u32 b)
{
	return !toytcp_seq_after(a, b);
}

static inline bool toytcp_seq_after_eq(u32 a, u32 b)
{
	return !toytcp_seq_before(a, b);
}

/* True when lo <= seq < hi on the sequence circle. */
static inline bool toytcp_seq_in_window(u32 seq, u32 lo, u32 hi)
{
	return toytcp_seq_after_eq(seq, lo) && toytcp_seq_before(seq, hi);
}

/*
 * The window still open to the peer: what our last advertisement allowed
 * beyond RCV.NXT (its right edge is RCV.WUP + RCV.WND), 0 if reached.
 */
static inline u32 toytcp_rcv_wnd_left(const struct toytcp_sock *tp)
{
	s32 wnd = tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt;

	return wnd > 0 ? wnd : 0;
}

/* TCP option bytes in every segment of the connection (not a SYN). */
static inline unsigned int toytcp_opt_overhead(const struct toytcp_sock *tp)
{
	return tp->tstamp_ok ? TOYTCP_OPT_TS_ALIGNED_LEN : 0;
}

/*
 * The data in a full segment: the smaller MSS either side said (the MSS
 * counts no options, RFC 9293 §3.7.1), less the options every segment
 * carries; not below the floor.
 */
static inline u16 toytcp_effective_mss(const struct toytcp_sock *tp)
{
	int mss = (int)min(tp->peer_mss, tp->advmss) - (int)toytcp_opt_overhead(tp);

	return max_t(int, mss, TOYTCP_MIN_MSS);
}

/* Our timestamp clock (RFC 7323 §5.4): milliseconds, shifted by the connection's offset. */
static inline u32 toytcp_ts_now(const struct toytcp_sock *tp)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC) + tp->ts_offset;
}

/* The window a segment's field gives: shifted unless in a SYN (RFC 7323 §2.2). */
static inline u32 toytcp_peer_window(const struct toytcp_sock *tp, u16 field, u8 flags)
{
	if (flags & TOYTCP_SYN || !tp->wscale_ok)
		return field;
	return (u32)field << tp->snd_wscale;
}

/* A listener's child: its listener's TCP_DEFER_ACCEPT, in SYN-ACK timeouts. */
static inline unsigned int toytcp_defer_timeouts(const struct sock *sk)
{
	const struct sock *parent = toytcp_sk(sk)->parent;

	return parent ? READ_ONCE(toytcp_sk(parent)->defer_accept) : 0;
}

/* States in which the connection is synchronized (RFC 9293 §3.5). */
#define TOYTCPF_SYNCHRONIZED (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | \
	TCPF_FIN_WAIT2 | TCPF_CLOSE_WAIT | TCPF_CLOSING | TCPF_LAST_ACK | \
	TCPF_TIME_WAIT)

/* Module parameters (af_toytcp.c). */
extern int toytcp_family;
extern unsigned int toytcp_syn_retries;
extern unsigned int toytcp_synack_retries;
extern unsigned int toytcp_retries2;
extern unsigned int toytcp_msl;
extern unsigned int toytcp_delack_ms;

/* Why a segment was dropped (the toytcp_drop tracepoint). */
enum toytcp_drop_reason {
	TOYTCP_DROP_CSUM,
	TOYTCP_DROP_HEADER,
	TOYTCP_DROP_UNACCEPTABLE,
	TOYTCP_DROP_OUT_OF_ORDER,
	TOYTCP_DROP_RCVBUF,
	TOYTCP_DROP_BACKLOG,
	TOYTCP_DROP_LISTEN,
	TOYTCP_DROP_NO_ACK,
	TOYTCP_DROP_POLICY,
	TOYTCP_DROP_FILTER,
	TOYTCP_DROP_CLOSED,
	TOYTCP_DROP_OLD_ACK,
	TOYTCP_DROP_PAWS,
	TOYTCP_DROP_DEFER_ACCEPT,
};

void toytcp_trace_drop(const struct sock *sk, const struct sk_buff *skb,
		       enum toytcp_drop_reason reason);

/* Per-namespace counters, shown in /proc/net/toytcp_stats. */
enum toytcp_mib {
	TOYTCP_MIB_INSEGS,
	TOYTCP_MIB_OUTSEGS,
	TOYTCP_MIB_RETRANSSEGS,
	TOYTCP_MIB_INCSUMERRORS,
	TOYTCP_MIB_INBADHDR,
	TOYTCP_MIB_INUNACCEPTABLE,
	TOYTCP_MIB_OUTRSTS,
	TOYTCP_MIB_LISTENDROPS,
	TOYTCP_MIB_BACKLOGDROPS,
	TOYTCP_MIB_RCVBUFDROPS,
	TOYTCP_MIB_OUTOFORDER,
	TOYTCP_MIB_ACTIVEOPENS,
	TOYTCP_MIB_PASSIVEOPENS,
	TOYTCP_MIB_ESTABRESETS,
	TOYTCP_MIB_TIMEOUTS,
	TOYTCP_MIB_INPOLICYDROPS,
	TOYTCP_MIB_INFILTERDROPS,
	TOYTCP_MIB_OUTFILTERDROPS,
	TOYTCP_MIB_OUTTOOBIG,
	TOYTCP_MIB_SYNCOOKIESSENT,
	TOYTCP_MIB_SYNCOOKIESRECV,
	TOYTCP_MIB_SYNCOOKIESFAILED,
	TOYTCP_MIB_OFOPRUNED,
	TOYTCP_MIB_RCVCOLLAPSED,
	TOYTCP_MIB_CHALLENGEACK,
	TOYTCP_MIB_CHALLENGEACKLIMIT,
	TOYTCP_MIB_OLDACKDROPS,
	TOYTCP_MIB_ABORTONMEMORY,
	TOYTCP_MIB_TIMEWAITOVERFLOW,
	TOYTCP_MIB_ABORTONTIMEOUT,
	TOYTCP_MIB_ICMPFRAGNEEDED,
	TOYTCP_MIB_ICMPUNREACH,
	TOYTCP_MIB_ICMPTIMEEXCEEDED,
	TOYTCP_MIB_ICMPPARAMPROB,
	TOYTCP_MIB_ICMPSOURCEQUENCH,
	TOYTCP_MIB_OUTOFWINDOWICMPS,
	TOYTCP_MIB_ICMPCSUMERRORS,
	TOYTCP_MIB_PAWSESTABREJECTED,
	TOYTCP_MIB_SACKRECOVERY,
	TOYTCP_MIB_DSACKSENT,
	TOYTCP_MIB_DSACKRECV,
	TOYTCP_MIB_TLP,
	TOYTCP_MIB_TLPRECOVERED,
	TOYTCP_MIB_LOSTRETRANSMIT,
	TOYTCP_MIB_RACKREORDERTIMEOUTS,
	TOYTCP_MIB_RETRANSTIMEOUTS,
	TOYTCP_MIB_ECNCEMARKS,
	TOYTCP_MIB_ECNREDUCTIONS,
	TOYTCP_MIB_INDATABYTES,
	TOYTCP_MIB_OUTDATABYTES,
	TOYTCP_MIB_DEFERACCEPTDROPS,
	TOYTCP_MIB_MAX
};

void toytcp_inc_stat(const struct net *net, enum toytcp_mib field);
void toytcp_add_stat(const struct net *net, enum toytcp_mib field, unsigned int n);
long toytcp_read_stat(const struct net *net, enum toytcp_mib field);
extern const char *const toytcp_mib_names[TOYTCP_MIB_MAX];

/* af_toytcp.c */
extern struct proto toytcp_prot;
extern unsigned int toytcp_max_orphans;
extern unsigned int toytcp_offload;
struct sock *toytcp_sk_alloc(struct net *net, gfp_t gfp, int kern);
void toytcp_set_state(struct sock *sk, int state);
const char *toytcp_state_name(int state);
void toytcp_done(struct sock *sk);
void toytcp_orphan_uncount(struct sock *sk);
void toytcp_send_fin(struct sock *sk);

/* toytcp_csum.c */
__sum16 toytcp_v4_checksum(const struct sk_buff *skb, unsigned int offset,
			   __be32 saddr, __be32 daddr);
bool toytcp_v4_checksum_ok(const struct sk_buff *skb, unsigned int offset,
			   __be32 saddr, __be32 daddr);
void toytcp_v4_checksum_partial(struct sk_buff *skb, __be32 saddr, __be32 daddr);

/* toytcp_ipv4.c */
int toytcp_ipv4_init(void);
void toytcp_ipv4_exit(void);
u32 toytcp_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
u32 toytcp_ts_offset(const struct net *net, __be32 saddr, __be32 daddr);
int toytcp_ip_xmit(struct sock *sk, struct sk_buff *skb);
int toytcp_route_mtu(struct sock *sk);
void toytcp_send_reply(struct net *net, const struct sk_buff *in, u32 seq,
		       u32 ack, u8 flags, u16 window, const struct toytcp_opts *opts);
void toytcp_send_reset_reply(struct net *net, struct sk_buff *skb);
int toytcp_segment_check(struct net *net, struct sk_buff *skb);
void toytcp_segment_pull(struct sk_buff *skb);
bool toytcp_tw_charge(struct net *net);
void toytcp_tw_uncharge(struct net *net);
bool toytcp_challenge_ack_allowed(struct net *net);

/* toytcp_hash.c */
int toytcp_hash_init(void);
void toytcp_hash_exit(void);
int toytcp_port_get(struct sock *sk, __be32 addr, u16 port);
int toytcp_port_may_listen(struct sock *sk);
bool toytcp_port_share(struct sock *child, struct sock *parent);
void toytcp_port_put(struct sock *sk);
void toytcp_port_put_sync(struct sock *sk);
void toytcp_port_flush(void);
int toytcp_hash_connect(struct sock *sk);
bool toytcp_hash_child(struct sock *sk);
void toytcp_hash_listener(struct sock *sk);
void toytcp_unhash(struct sock *sk);
bool toytcp_ehash_replace(struct sock *old, struct sock *new);
struct sock *toytcp_lookup(struct net *net, __be32 saddr, __be16 sport,
			   __be32 daddr, __be16 dport, int dif, int sdif);
struct sock *toytcp_lookup_listener(struct net *net, __be32 saddr, __be16 sport,
				    __be32 daddr, u16 lport, int dif, int sdif);
void toytcp_walk_socks(struct net *net, bool (*fn)(struct sock *, void *), void *arg);

/* toytcp_minisocks.c */
void toytcp_minisocks_init(void);
void toytcp_child_unlink(struct sock *sk, int old_state);
void toytcp_stop_listening(struct sock *sk);
struct sock *toytcp_accept_dequeue(struct toytcp_sock *lp);
bool toytcp_child_established(struct sock *sk);
void toytcp_conn_request(struct sock *lsk, struct sk_buff *skb,
			 const struct toytcp_opts *opts);
bool toytcp_rcv_cookie_ack(struct sock *lsk, struct sk_buff *skb);
u32 toytcp_cookie_make(const struct sk_buff *skb, u16 peer_mss, u32 now);
u16 toytcp_cookie_check(const struct sk_buff *skb, u32 now);
struct sock *toytcp_tw_takeover(struct sock *sk);
bool toytcp_tw_new_syn(struct sock *sk, const struct sk_buff *skb);

/* toytcp_input.c */
int toytcp_rcv_segment(struct sock *sk, struct sk_buff *skb);
void toytcp_rcv_listen(struct sock *sk, struct sk_buff *skb);
int toytcp_parse_options(const u8 *p, unsigned int len, struct toytcp_opts *opts);
int toytcp_skb_options(const struct sk_buff *skb, struct toytcp_opts *opts);
bool toytcp_seq_acceptable(u32 seq, u32 seg_len, u32 rcv_nxt, u32 rcv_wnd);
void toytcp_negotiate_options(struct toytcp_sock *tp, const struct toytcp_opts *opts);
bool toytcp_paws_reject(const struct toytcp_sock *tp, const struct toytcp_opts *opts,
			u8 flags);

/* toytcp_output.c */
int toytcp_build_tcp_header(struct sk_buff *skb, __be16 sport, __be16 dport,
			    u32 seq, u32 ack, u8 flags, u16 window,
			    const struct toytcp_opts *opts);
int toytcp_build_header(struct sk_buff *skb, struct sock *sk, u32 seq,
			u32 ack, u8 flags, u16 window, const struct toytcp_opts *opts);
void toytcp_syn_options(struct sock *sk, struct toytcp_opts *opts);
int toytcp_send_syn(struct sock *sk);
int toytcp_send_ack(struct sock *sk);
int toytcp_send_rst(struct sock *sk);
void toytcp_send_reset_to(struct sock *sk, const struct sk_buff *in);
void toytcp_push(struct sock *sk);
void toytcp_push_window(struct sock *sk);
void toytcp_retransmit(struct sock *sk);
u32 toytcp_select_window(struct sock *sk);
u8 toytcp_choose_wscale(const struct sock *sk);
void toytcp_offer_options(struct sock *sk);
u16 toytcp_listen_window(const struct sock *lsk);
void toytcp_send_synack_cookie(struct sock *lsk, const struct sk_buff *syn, u32 iss);
int toytcp_send_challenge_ack(struct sock *sk);
void toytcp_maybe_window_update(struct sock *sk);
void toytcp_init_xmit(struct sock *sk);
bool toytcp_nagle_ok(u32 len, u32 mss, u32 unsent, bool idle, bool nodelay,
		     bool cork, u32 max_sndwnd);
void toytcp_init_cwnd(struct sock *sk);
void toytcp_retransmit_head(struct sock *sk);
u32 toytcp_retransmit_at(struct sock *sk, u32 seq, u32 end);
int toytcp_send_probe_data(struct sock *sk, u32 len, bool fin);
int toytcp_send_keepalive_probe(struct sock *sk);

/* toytcp_timer.c */
void toytcp_init_timers(struct sock *sk);
void toytcp_stop_timers(struct sock *sk);
void toytcp_arm_retx(struct sock *sk);
void toytcp_stop_retx(struct sock *sk);
void toytcp_arm_reorder(struct sock *sk, unsigned long when);
void toytcp_time_wait(struct sock *sk);
void toytcp_arm_tw_timer(struct sock *sk, unsigned long timeout);
void toytcp_rtt_sample(struct toytcp_sock *tp, u32 rtt_us);
void toytcp_ack_advanced(struct sock *sk, u32 tsecr);
void toytcp_release_cb(struct sock *sk);
void toytcp_schedule_ack(struct sock *sk);
void toytcp_ack_sent(struct sock *sk);
void toytcp_arm_persist(struct sock *sk);
void toytcp_keepalive(struct sock *sk, int on);
void toytcp_reset_keepalive(struct sock *sk);
void toytcp_enter_loss(struct sock *sk);
void toytcp_cc_ack(struct sock *sk, u32 acked);
void toytcp_cc_dupack(struct sock *sk);
void toytcp_cc_enter_recovery(struct sock *sk);
void toytcp_cwnd_reduced(struct toytcp_sock *tp);
const struct toytcp_cc_ops *toytcp_cc_find(const char *name);
void toytcp_cc_set(struct sock *sk, const struct toytcp_cc_ops *ops);
u32 toytcp_cubic_k_ms(u32 gap, u32 mss);
u32 toytcp_cubic_window(u32 w_max, u32 k_ms, u32 t_ms, u32 mss);

/* toytcp_data.c */
int toytcp_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int toytcp_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		   int flags);
__poll_t toytcp_poll(struct file *file, struct socket *sock,
		     poll_table *wait);
void toytcp_write_space(struct sock *sk);
void toytcp_free_acked(struct sock *sk);
ssize_t toytcp_queue_data(struct sock *sk, struct iov_iter *from, size_t len);
void toytcp_init_buffers(struct sock *sk);
void toytcp_sndbuf_expand(struct sock *sk);
void toytcp_rcv_space_adjust(struct sock *sk, u64 now);
void toytcp_purge_write_queue(struct sock *sk);

/* toytcp_sockopt.c */
u8 toytcp_defer_secs_to_timeouts(int secs);
int toytcp_defer_timeouts_to_secs(u8 n);
int toytcp_ip_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			 unsigned int optlen);
int toytcp_setsockopt(struct socket *sock, int level, int optname,
		      sockptr_t optval, unsigned int optlen);
int toytcp_getsockopt(struct socket *sock, int level, int optname,
		      char __user *optval, int __user *optlen);

/* What toytcp did with an ICMP error about one of its connections (trace). */
enum toytcp_icmp_action {
	TOYTCP_ICMP_HARD,		/* the connection ended with its errno */
	TOYTCP_ICMP_SOFT,		/* remembered, reported if it times out */
	TOYTCP_ICMP_PMTU,		/* path MTU lowered */
	TOYTCP_ICMP_IGNORED,		/* valid, but nothing to do */
	TOYTCP_ICMP_OUT_OF_WINDOW,	/* quoted sequence number not in flight */
	TOYTCP_ICMP_BAD_CSUM,		/* ICMP checksum wrong */
	TOYTCP_ICMP_DEFERRED,		/* not open, user held it: ends it at release */
};

/* toytcp_sack.c */
void toytcp_sack_reset(struct toytcp_sock *tp);
void toytcp_sack_note_ooo(struct toytcp_sock *tp, u32 seq);
void toytcp_sack_note_dup(struct toytcp_sock *tp, u32 start, u32 end);
void toytcp_sack_blocks(struct sock *sk, struct toytcp_opts *opts);
void toytcp_sack_trim(struct toytcp_sock *tp);
u32 toytcp_sack_update(struct sock *sk, const struct toytcp_opts *opts);
u32 toytcp_sack_lost_edge(const struct toytcp_sock *tp);
u32 toytcp_sack_pipe(const struct toytcp_sock *tp, u32 lost);
u32 toytcp_sack_retrans_out(const struct toytcp_sock *tp);
bool toytcp_sack_enter_recovery(struct sock *sk);
void toytcp_sack_prr(struct sock *sk, u32 delivered);
bool toytcp_tlp_timeout(struct sock *sk, unsigned long *when);
void toytcp_send_tlp(struct sock *sk);
void toytcp_tlp_ack(struct sock *sk, u32 ack, bool was_in_recovery, bool news);
u32 toytcp_sack_retransmit(struct sock *sk);
int toytcp_sack_lost_retransmits(struct sock *sk);
void toytcp_rack_arm(struct sock *sk);
void toytcp_rack_timeout(struct sock *sk);

/* toytcp_cong.c: ECN */
int toytcp_ecn_mode(const struct net *net);
u8 toytcp_ecn_syn_flags(const struct sock *sk);
void toytcp_ecn_syn_negotiate(struct sock *sk, const struct sk_buff *syn);
u8 toytcp_ecn_send_flags(struct sock *sk, bool new_data);
void toytcp_ecn_rcv(struct sock *sk, const struct sk_buff *skb);
void toytcp_ecn_ack(struct sock *sk, const struct sk_buff *skb, u32 acked);

/* toytcp_icmp.c */
unsigned int toytcp_icmp_rcv(struct net *net, struct sk_buff *skb);
void toytcp_mtu_reduced(struct sock *sk);
void toytcp_open_failed(struct sock *sk);
u32 toytcp_pmtu_mss(const struct sock *sk, int mtu);

/* toytcp_proc.c */
int toytcp_proc_init(struct net *net);
void toytcp_proc_exit(struct net *net);

#endif /* _TOYTCP_H */
