// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: /proc/net/toytcp and toystat for a known set of sockets.
 *
 * The scene, all toytcp in namespace A unless said otherwise:
 *
 *	LW  listener on 0.0.0.0:4660 (0x1234)
 *	LA  listener on 198.18.0.1:43981 (0xABCD), one connection from Linux
 *	    in B accepted (SA) and one waiting in the accept queue
 *	CE  client 198.18.0.1:50001 -> Linux 198.18.0.2:5100, ESTABLISHED,
 *	    7 bytes from the peer not read yet
 *	CQ  client 198.18.0.1:50002 -> Linux 198.18.0.2:5100 whose peer does
 *	    not read: data stuck in toytcp's send queue
 *	LL  listener on 127.0.0.1:5300, with a toytcp client over loopback
 *	    (LC, 127.0.0.1:50003) and its accepted end (LS)
 *	TW  client 198.18.0.1:50004 -> Linux 198.18.0.2:5100, closed first:
 *	    TIME_WAIT
 *	SS  client 198.18.0.1:50005 -> 198.18.0.99:5100 (nobody): SYN_SENT
 *
 * lifecycle_test.c already checks the header, the line width, a listener
 * on a specific address and an accepted connection (state, addresses,
 * inode, uid, rx_queue), and TIME_WAIT's inode/uid/queues. Added here,
 * with the same parser (tt_proc_read() reads /proc/net/tcp too):
 * the wildcard and loopback addresses, the client side's ephemeral-less
 * ports, TIME_WAIT's and SYN_SENT's addresses, ports and timers, the
 * accept backlog, tx_queue against what the Linux peer holds, and the
 * named fields after the columns (mss, windows, rto against the rto
 * column, cwnd against the cwnd column).
 *
 * Then toystat (tools/toystat) over the same scene, field by field: state
 * names as ss prints them, Recv-Q/Send-Q, addresses; -l, -a and the
 * default filter; -i's values against the named fields; the columns
 * aligned; an exact golden output for a fixed table; the message and
 * exit status when /proc/net/toytcp is missing.
 */
#include <sys/stat.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define P_LW	0x1234
#define P_LA	0xABCD
#define P_LIN	5100	/* Linux's listener in B */
#define P_LL	5300
#define P_CE	50001
#define P_CQ	50002
#define P_LC	50003
#define P_TW	50004
#define P_SS	50005

static char toystat[1200];

static int find_toystat(void)
{
	const char *t = getenv("TOYTCP_TOOLS");
	char self[1100], *p;
	ssize_t n;

	if (t && *t) {
		snprintf(toystat, sizeof(toystat), "%s/toystat", t);
		return access(toystat, R_OK);
	}
	n = readlink("/proc/self/exe", self, 1000);
	if (n <= 0)
		return -1;
	self[n] = 0;
	for (int i = 0; i < 4; i++) {	/* <top>/.build/tools/tests/toystat_test */
		p = strrchr(self, '/');
		if (!p)
			return -1;
		*p = 0;
	}
	snprintf(toystat, sizeof(toystat), "%s/tools/toystat", self);
	return access(toystat, R_OK);
}

FIXTURE(st) {
	int old_msl, lin, fam;
	int lw, la, sa, cli_a, cli_pending, ce, pe, cq, pq, ll, lc, ls, ss;
	long cq_sent;
};

static int bound_socket(int fam, const char *ip, int port)
{
	struct sockaddr_in a = tt_sin(ip, port);
	int one = 1, fd = socket(fam, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, TT_SA(&a), sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A toytcp client in A bound to port, connected to ip:dport: fd or -1. */
static int client(int fam, int port, const char *ip, int dport)
{
	int fd = bound_socket(fam, strcmp(ip, TT_LOOP) ? TT_ADDR_A : TT_LOOP, port);

	if (fd < 0 || tt_connect(fd, ip, dport, 5000)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

FIXTURE_SETUP(st)
{
	static char big[65536];
	struct sockaddr_in none = tt_sin(TT_ADDR_NONE, P_LIN);
	int small = 4096, tw, p;
	char b;

	self->old_msl = -1;
	self->fam = tt_module_family();
	ASSERT_LT(0, self->fam) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, find_toystat()) TH_LOG("tools/toystat not found (TOYTCP_TOOLS)");
	self->old_msl = tt_set_msl(3);
	ASSERT_LE(0, self->old_msl);
	ASSERT_EQ(0, tt_net_up());
	self->lin = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, P_LIN, 16);
	ASSERT_LE(0, self->lin);

	/* LW, LA with one accepted and one pending */
	self->lw = tt_listen_in(TT_A, self->fam, "0.0.0.0", P_LW, 4);
	ASSERT_LE(0, self->lw);
	self->la = tt_listen_in(TT_A, self->fam, TT_ADDR_A, P_LA, 4);
	ASSERT_LE(0, self->la);
	ASSERT_EQ(0, tt_pair_via(self->la, TT_B, AF_INET, TT_ADDR_A, P_LA,
				 &self->cli_a, &self->sa));
	self->cli_pending = tt_socket_in(TT_B, AF_INET);
	ASSERT_LE(0, self->cli_pending);
	ASSERT_EQ(0, tt_connect(self->cli_pending, TT_ADDR_A, P_LA, 5000));

	/* CE: 7 bytes waiting */
	self->ce = client(self->fam, P_CE, TT_ADDR_B, P_LIN);
	ASSERT_LE(0, self->ce);
	self->pe = tt_accept(self->lin, 5000);
	ASSERT_LE(0, self->pe);
	ASSERT_EQ(7, send(self->pe, "7 bytes", 7, 0));
	ASSERT_EQ(POLLIN, tt_poll1(self->ce, POLLIN, 5000) & POLLIN);

	/* CQ: the peer reads nothing, with a small buffer */
	self->cq = bound_socket(self->fam, TT_ADDR_A, P_CQ);
	ASSERT_LE(0, self->cq);
	ASSERT_EQ(0, setsockopt(self->lin, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, tt_connect(self->cq, TT_ADDR_B, P_LIN, 5000));
	self->pq = tt_accept(self->lin, 5000);
	ASSERT_LE(0, self->pq);
	ASSERT_EQ(0, tt_set_nonblock(self->cq, true));
	self->cq_sent = 0;
	for (int stuck = 0; stuck < 3;) {
		ssize_t r = send(self->cq, big, sizeof(big), MSG_NOSIGNAL);

		if (r > 0) {
			self->cq_sent += r;
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		stuck++;
		tt_msleep(100);
	}

	/* LL, LC, LS over loopback */
	self->ll = tt_listen_in(TT_A, self->fam, TT_LOOP, P_LL, 4);
	ASSERT_LE(0, self->ll);
	self->lc = client(self->fam, P_LC, TT_LOOP, P_LL);
	ASSERT_LE(0, self->lc);
	self->ls = tt_accept(self->ll, 5000);
	ASSERT_LE(0, self->ls);

	/* TW: we close first, then the peer */
	tw = client(self->fam, P_TW, TT_ADDR_B, P_LIN);
	ASSERT_LE(0, tw);
	p = tt_accept(self->lin, 5000);
	ASSERT_LE(0, p);
	close(tw);
	ASSERT_EQ(POLLIN, tt_poll1(p, POLLIN, 5000) & POLLIN);
	ASSERT_EQ(0, recv(p, &b, 1, 0));
	close(p);
	ASSERT_EQ(TCP_TIME_WAIT, tt_proc_wait(TT_A, "/proc/net/toytcp", P_TW, P_LIN,
					      TCP_TIME_WAIT, 3000));

	/*
	 * SS: nobody answers. A link address for the absent host, so that
	 * ARP never fails: a failed neighbour would answer the SYN with ICMP
	 * host unreachable and end the connect (as it ends Linux TCP's).
	 */
	ASSERT_EQ(0, tt_sh("ip -n " TT_NS_A " neigh replace " TT_ADDR_NONE
			   " lladdr 02:00:00:00:00:99 nud permanent dev " TT_IF_A));
	self->ss = bound_socket(self->fam, TT_ADDR_A, P_SS);
	ASSERT_LE(0, self->ss);
	ASSERT_EQ(0, tt_set_nonblock(self->ss, true));
	ASSERT_EQ(EINPROGRESS, ERRNO_OF(connect(self->ss, TT_SA(&none), sizeof(none))));
	tt_msleep(200);		/* every queue settled */
}

FIXTURE_TEARDOWN(st)
{
	tt_kill_children();
	if (self->old_msl > 0)
		tt_set_msl(self->old_msl);
	tt_net_down();
}

/* ------------------------------------------------------------------ */
/* /proc/net/toytcp */

static uint32_t printed(const char *ip)
{
	return inet_addr(ip);	/* the __be32, printed as a host u32 */
}

static unsigned long ino(int fd)
{
	struct stat s;

	return fstat(fd, &s) ? 0 : s.st_ino;
}

static struct tt_proc_ent ents[256];

/* The entry lport -> rport (rport -1: any), or NULL. */
static struct tt_proc_ent *find(int n, int lport, int rport)
{
	for (int i = 0; i < n; i++)
		if (ents[i].lport == lport && (rport < 0 || ents[i].rport == rport))
			return &ents[i];
	return NULL;
}

#define CHECK_ENT(e, st_, la, lp, ra, rp) do {				\
	ASSERT_TRUE((e) != NULL) TH_LOG("no entry for port %d", lp);	\
	EXPECT_EQ(st_, (e)->st) TH_LOG("port %d state", lp);		\
	EXPECT_EQ(printed(la), (e)->laddr) TH_LOG("port %d local address", lp); \
	EXPECT_EQ(lp, (e)->lport);					\
	EXPECT_EQ(printed(ra), (e)->raddr) TH_LOG("port %d remote address", lp); \
	EXPECT_EQ(rp, (e)->rport) TH_LOG("port %d remote port", lp);	\
} while (0)

TEST_F(st, proc_known_sockets)
{
	struct tt_proc_ent *e;
	int n = tt_proc_read("/proc/net/toytcp", ents, 256, NULL, 0);

	ASSERT_LE(10, n) TH_LOG("/proc/net/toytcp unreadable or a line does not parse");

	e = find(n, P_LW, -1);
	CHECK_ENT(e, TCP_LISTEN, "0.0.0.0", P_LW, "0.0.0.0", 0);
	EXPECT_EQ(ino(self->lw), e->inode);
	EXPECT_EQ(0, e->rxq);

	e = find(n, P_LA, 0);
	CHECK_ENT(e, TCP_LISTEN, TT_ADDR_A, P_LA, "0.0.0.0", 0);
	EXPECT_EQ(1, e->rxq) TH_LOG("one connection waiting in the accept queue");

	/* the accepted end and the one waiting, both ESTABLISHED */
	e = find(n, P_LA, tt_local_port(self->cli_a));
	CHECK_ENT(e, TCP_ESTABLISHED, TT_ADDR_A, P_LA, TT_ADDR_B, tt_local_port(self->cli_a));
	EXPECT_EQ(ino(self->sa), e->inode);
	e = find(n, P_LA, tt_local_port(self->cli_pending));
	CHECK_ENT(e, TCP_ESTABLISHED, TT_ADDR_A, P_LA, TT_ADDR_B,
		  tt_local_port(self->cli_pending));

	e = find(n, P_CE, P_LIN);
	CHECK_ENT(e, TCP_ESTABLISHED, TT_ADDR_A, P_CE, TT_ADDR_B, P_LIN);
	EXPECT_EQ(ino(self->ce), e->inode);
	EXPECT_EQ(7, e->rxq);
	EXPECT_EQ(0, e->txq);
	EXPECT_EQ(0, e->tr) TH_LOG("no timer on an idle connection");

	e = find(n, P_LL, -1);
	CHECK_ENT(e, TCP_LISTEN, TT_LOOP, P_LL, "0.0.0.0", 0);
	e = find(n, P_LC, P_LL);
	CHECK_ENT(e, TCP_ESTABLISHED, TT_LOOP, P_LC, TT_LOOP, P_LL);
	EXPECT_EQ(ino(self->lc), e->inode);
	e = find(n, P_LL, P_LC);
	CHECK_ENT(e, TCP_ESTABLISHED, TT_LOOP, P_LL, TT_LOOP, P_LC);
	EXPECT_EQ(ino(self->ls), e->inode);

	e = find(n, P_TW, P_LIN);
	CHECK_ENT(e, TCP_TIME_WAIT, TT_ADDR_A, P_TW, TT_ADDR_B, P_LIN);
	EXPECT_EQ(3, e->tr) TH_LOG("the TIME_WAIT timer");
	EXPECT_GE(2 * 3 * 100, (long)e->when) TH_LOG("at most 2*MSL to go, in 1/100 s");
	EXPECT_LT(0, (long)e->when);

	e = find(n, P_SS, P_LIN);
	CHECK_ENT(e, TCP_SYN_SENT, TT_ADDR_A, P_SS, TT_ADDR_NONE, P_LIN);
	EXPECT_EQ(1, e->tr) TH_LOG("the retransmission timer runs for the SYN");
	EXPECT_EQ(1, e->txq) TH_LOG("the SYN, unacknowledged (Linux shows 1 too)");
	EXPECT_EQ(ino(self->ss), e->inode);
}

/*
 * A listener's rx_queue is its accept backlog, as Linux's: after accept()
 * took the only connection, 0 (the loopback listener LL).
 */
TEST_F(st, proc_listener_backlog_after_accept)
{
	static struct tt_proc_ent lin[64];
	struct tt_proc_ent *e;
	int n = tt_proc_read("/proc/net/toytcp", ents, 256, NULL, 0), m, ref = -1;
	int l, c, s;

	e = find(n, P_LL, 0);
	ASSERT_TRUE(e != NULL);
	/* the same with Linux's TCP over loopback, for reference */
	l = tt_listen_in(TT_A, AF_INET, TT_LOOP, P_LL + 1, 4);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, tt_pair_via(l, TT_A, AF_INET, TT_LOOP, P_LL + 1, &c, &s));
	m = tt_proc_read("/proc/net/tcp", lin, 64, NULL, 0);
	for (int i = 0; i < m; i++)
		if (lin[i].lport == P_LL + 1 && lin[i].st == TCP_LISTEN)
			ref = lin[i].rxq;
	EXPECT_EQ(0, ref);
	EXPECT_EQ(ref, (int)e->rxq) TH_LOG("toytcp's listener still counts the accepted connection");
	close(c);
	close(s);
	close(l);
}

/* tx_queue: what toytcp holds unacknowledged is what the peer has not got */
TEST_F(st, proc_tx_queue_against_the_peer)
{
	static struct tt_proc_ent lin[64];
	struct tt_proc_ent *e;
	long peer_rx = -1;
	int n, m;

	/* settled: two readings alike */
	for (int i = 0, last = -1; i < 30; i++) {
		n = tt_proc_read("/proc/net/toytcp", ents, 256, NULL, 0);
		e = find(n, P_CQ, P_LIN);
		ASSERT_TRUE(e != NULL);
		if ((int)e->txq == last)
			break;
		last = e->txq;
		tt_msleep(100);
	}
	ASSERT_EQ(0, tt_enter(TT_B));
	m = tt_proc_read("/proc/net/tcp", lin, 64, NULL, 0);
	ASSERT_EQ(0, tt_enter(TT_A));
	for (int i = 0; i < m; i++)
		if (lin[i].lport == P_LIN && lin[i].rport == P_CQ)
			peer_rx = lin[i].rxq;
	ASSERT_LE(0, peer_rx) TH_LOG("the peer's entry in B's /proc/net/tcp");
	EXPECT_LT(0, peer_rx);
	EXPECT_EQ(self->cq_sent - peer_rx, (long)e->txq)
		TH_LOG("written %ld, the peer holds %ld", self->cq_sent, peer_rx);
	EXPECT_LT(0, (long)e->txq);
}

/* toytcp's named fields after the /proc/net/tcp columns */
struct named {
	long rtt_us, rttvar_us, rto_us, mss, rcv_mss, snd_wnd, rcv_wnd, cwnd,
	     ssthresh, retrans, lost;
	long rto_col, cwnd_col, ssthresh_col;
	int nfields;
};

static int named_of(int lport, int rport, struct named *nf)
{
	FILE *f = fopen("/proc/net/toytcp", "r");
	char line[1024], want[32];
	int found = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), ":%04X ", lport);
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *q;
		unsigned int rp;
		char *tok;
		int col = 0;

		if (!p || !strstr(line, want) || strstr(line, want) != line + 14)
			continue;
		if (sscanf(line + 29, "%x", &rp) != 1 || (int)rp != rport)
			continue;
		memset(nf, 0, sizeof(*nf));
		for (tok = strtok_r(line, " \n", &q); tok; tok = strtok_r(NULL, " \n", &q), col++) {
			long v;

			if (col == 12)
				nf->rto_col = atol(tok);
			if (col == 15)
				nf->cwnd_col = atol(tok);
			if (col == 16)
				nf->ssthresh_col = atol(tok);
			if (col < 17)
				continue;
#define NF(name) if (sscanf(tok, #name "=%ld", &v) == 1) { nf->name = v; nf->nfields++; continue; }
			NF(rtt_us) NF(rttvar_us) NF(rto_us) NF(mss) NF(rcv_mss) NF(snd_wnd)
			NF(rcv_wnd) NF(cwnd) NF(ssthresh) NF(retrans) NF(lost)
#undef NF
			nf->nfields = -100;	/* an unknown field */
		}
		found = 0;
	}
	fclose(f);
	return found;
}

TEST_F(st, proc_named_fields)
{
	struct named nf;
	int maxseg = 0;
	socklen_t len = sizeof(maxseg);

	ASSERT_EQ(0, named_of(P_CE, P_LIN, &nf));
	EXPECT_EQ(11, nf.nfields);
	ASSERT_EQ(0, getsockopt(self->ce, IPPROTO_TCP, TCP_MAXSEG, &maxseg, &len));
	EXPECT_EQ(maxseg, nf.mss);
	/* 1460 less the 12 bytes of timestamps every segment carries (as Linux) */
	EXPECT_EQ(1448, nf.mss);
	EXPECT_EQ(1460, nf.rcv_mss);
	EXPECT_LT(0, nf.snd_wnd);
	EXPECT_LT(0, nf.rcv_wnd);
	EXPECT_EQ(10 * nf.mss, nf.cwnd) TH_LOG("the initial window, 10 segments");
	EXPECT_EQ(nf.cwnd / nf.mss, nf.cwnd_col);
	EXPECT_EQ(-1, nf.ssthresh_col) TH_LOG("no threshold before a loss");
	EXPECT_EQ(0, nf.ssthresh);
	EXPECT_EQ(0, nf.retrans);
	EXPECT_EQ(0, nf.lost);
	/* the rto column is the same RTO in 1/100 s */
	EXPECT_LE(200000, nf.rto_us);
	EXPECT_GE(1, labs(nf.rto_col - nf.rto_us / 10000)) TH_LOG("rto %ld, rto_us %ld",
								   nf.rto_col, nf.rto_us);
	/* the SYN_SENT socket has retransmitted nothing yet, or counts it */
	ASSERT_EQ(0, named_of(P_SS, P_LIN, &nf));
	EXPECT_EQ(11, nf.nfields);
}

/* ------------------------------------------------------------------ */
/* toystat */

struct srow {
	char state[16], local[64], peer[64];
	long rq, sq;
	int colon;	/* where the local column's ':' is */
};

static int run_toystat(const char *args, struct srow *rows, int max, char *hdr, size_t hlen)
{
	char cmd[1400], line[512];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "python3 %s %s", toystat, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(line, sizeof(line), p)) {
		pclose(p);
		return -1;
	}
	if (hdr)
		snprintf(hdr, hlen, "%s", line);
	while (fgets(line, sizeof(line), p)) {
		struct srow r = { 0 };
		char *c;

		if (line[0] == '\t')
			continue;	/* -i's second lines */
		if (sscanf(line, "%15s %ld %ld %63s %63s", r.state, &r.rq, &r.sq,
			   r.local, r.peer) != 5) {
			n = -2;
			break;
		}
		c = strstr(line, r.local);
		r.colon = c ? (int)(c - line + strcspn(r.local, ":")) : -1;
		if (n < max)
			rows[n] = r;
		n++;
	}
	if (pclose(p) && n >= 0)
		return -3;
	return n;
}

static struct srow *srow_of(struct srow *rows, int n, const char *local, const char *peer)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].local, local) && !strcmp(rows[i].peer, peer))
			return &rows[i];
	return NULL;
}

static void ep(char *buf, size_t len, const char *ip, int port)
{
	if (port)
		snprintf(buf, len, "%s:%d", ip, port);
	else
		snprintf(buf, len, "%s:*", ip);
}

#define CHECK_ROW(st_, lip, lp, rip, rp, rq_, sq_) do {			\
	char l[64], r[64];						\
	struct srow *x;							\
	ep(l, sizeof(l), lip, lp);					\
	ep(r, sizeof(r), rip, rp);					\
	x = srow_of(rows, n, l, r);					\
	EXPECT_TRUE(x != NULL) TH_LOG("no line %s %s", l, r);		\
	if (x) {							\
		EXPECT_STREQ(st_, x->state) TH_LOG("%s %s", l, r);	\
		if ((rq_) >= 0)						\
			EXPECT_EQ(rq_, x->rq) TH_LOG("%s Recv-Q", l);	\
		if ((sq_) >= 0)						\
			EXPECT_EQ(sq_, x->sq) TH_LOG("%s Send-Q", l);	\
	}								\
} while (0)

TEST_F(st, toystat_all_field_by_field)
{
	static struct srow rows[64];
	struct tt_proc_ent *cq, *ll;
	char hdr[512];
	int n, pn;

	n = run_toystat("-tan", rows, 64, hdr, sizeof(hdr));
	if (n < 0)
		tt_sh("cat -A /proc/net/toytcp >&2");
	ASSERT_LE(0, n) TH_LOG("toystat failed or printed a line that does not parse (%d)", n);
	EXPECT_EQ(0, strncmp(hdr, "State", 5));
	EXPECT_TRUE(strstr(hdr, "Recv-Q Send-Q") && strstr(hdr, "Local Address:Port") &&
		    strstr(hdr, "Peer Address:Port"));
	/* as many lines as /proc/net/toytcp has sockets */
	pn = tt_proc_read("/proc/net/toytcp", ents, 256, NULL, 0);
	EXPECT_EQ(pn, n);
	cq = find(pn, P_CQ, P_LIN);
	ASSERT_TRUE(cq != NULL);

	CHECK_ROW("LISTEN", "0.0.0.0", P_LW, "0.0.0.0", 0, 0, 0);
	CHECK_ROW("LISTEN", TT_ADDR_A, P_LA, "0.0.0.0", 0, 1, 0);
	CHECK_ROW("ESTAB", TT_ADDR_A, P_LA, TT_ADDR_B, tt_local_port(self->cli_a), 0, 0);
	CHECK_ROW("ESTAB", TT_ADDR_A, P_CE, TT_ADDR_B, P_LIN, 7, 0);
	CHECK_ROW("ESTAB", TT_ADDR_A, P_CQ, TT_ADDR_B, P_LIN, 0, (long)cq->txq);
	ll = find(pn, P_LL, 0);
	ASSERT_TRUE(ll != NULL);
	CHECK_ROW("LISTEN", TT_LOOP, P_LL, "0.0.0.0", 0, (long)ll->rxq, 0);
	CHECK_ROW("ESTAB", TT_LOOP, P_LC, TT_LOOP, P_LL, 0, 0);
	CHECK_ROW("ESTAB", TT_LOOP, P_LL, TT_LOOP, P_LC, 0, 0);
	CHECK_ROW("TIME-WAIT", TT_ADDR_A, P_TW, TT_ADDR_B, P_LIN, 0, 0);
	/* the SYN takes a sequence number: Send-Q 1, as Linux shows it */
	CHECK_ROW("SYN-SENT", TT_ADDR_A, P_SS, TT_ADDR_NONE, P_LIN, 0, 1);
	/* aligned: every local address's ':' under the header's */
	for (int i = 0; i < n && i < 64; i++) {
		EXPECT_EQ((int)(strstr(hdr, "Address:Port") - hdr) + 7, rows[i].colon)
			TH_LOG("line %d not aligned", i + 1);
	}
}

TEST_F(st, toystat_filters)
{
	static struct srow rows[64];
	int n;

	/* -l: the three listeners only */
	n = run_toystat("-ln", rows, 64, NULL, 0);
	EXPECT_EQ(3, n);
	for (int i = 0; i < n && i < 64; i++) {
		EXPECT_STREQ("LISTEN", rows[i].state);
	}
	/* no flag: connections, as ss: no LISTEN, TIME-WAIT, SYN-RECV */
	n = run_toystat("-n", rows, 64, NULL, 0);
	EXPECT_EQ(7, n) TH_LOG("4 ESTAB to/from Linux, 2 over loopback, 1 SYN-SENT");
	for (int i = 0; i < n && i < 64; i++) {
		EXPECT_STRNE("LISTEN", rows[i].state);
		EXPECT_STRNE("TIME-WAIT", rows[i].state);
	}
	/* without -n the same lines (no DNS here; ports may be named) */
	EXPECT_EQ(7, run_toystat("", rows, 64, NULL, 0));
}

TEST_F(st, toystat_info)
{
	struct named nf;
	char cmd[1400], out[512], want[128];
	FILE *p;
	bool found = false;

	ASSERT_EQ(0, named_of(P_CE, P_LIN, &nf));
	snprintf(cmd, sizeof(cmd), "python3 %s -tni | grep -A1 ':%d ' | tail -n 1",
		 toystat, P_CE);
	p = popen(cmd, "r");
	ASSERT_TRUE(p != NULL);
	if (fgets(out, sizeof(out), p))
		found = true;
	pclose(p);
	ASSERT_TRUE(found);
	printf("# %s", out);
	EXPECT_EQ('\t', out[0]);
	snprintf(want, sizeof(want), " mss:%ld ", nf.mss);
	EXPECT_TRUE(strstr(out, want) != NULL) TH_LOG("want%s", want);
	snprintf(want, sizeof(want), " cwnd:%ld ", nf.cwnd_col);
	EXPECT_TRUE(strstr(out, want) != NULL) TH_LOG("want%s", want);
	snprintf(want, sizeof(want), " snd_wnd:%ld ", nf.snd_wnd);
	EXPECT_TRUE(strstr(out, want) != NULL) TH_LOG("want%s", want);
	snprintf(want, sizeof(want), " rcv_wnd:%ld", nf.rcv_wnd);
	EXPECT_TRUE(strstr(out, want) != NULL) TH_LOG("want%s", want);
	if (nf.rto_us % 1000 == 0) {
		snprintf(want, sizeof(want), "rto:%ld ", nf.rto_us / 1000);
		EXPECT_TRUE(strstr(out, want) != NULL) TH_LOG("want %s", want);
	}
	EXPECT_TRUE(strstr(out, "ssthresh:") == NULL) TH_LOG("no threshold yet");
}

/* A fixed table: the whole output, exactly. */
static const char golden_in[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000:1234 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1 0000000000000000 100 4 0 10 -1 rtt_us=0 rttvar_us=0 rto_us=1000000 mss=536 rcv_mss=536 snd_wnd=0 rcv_wnd=0 cwnd=0 ssthresh=0 retrans=0 lost=0\n"
	"   1: 0100007F:14B4 0100007F:C351 01 0000000A:00000005 01:00000014 00000002  1000        0 102 2 0000000000000000 40 4 0 5 7 rtt_us=1500 rttvar_us=750 rto_us=400000 mss=1460 rcv_mss=1460 snd_wnd=65535 rcv_wnd=64000 cwnd=7300 ssthresh=10220 retrans=3 lost=1\n"
	"   2: 010012C6:C354 020012C6:13EC 06 00000000:00000000 03:000001F4 00000000     0        0 0 1 0000000000000000 20 4 0 10 -1 rtt_us=0 rttvar_us=0 rto_us=200000 mss=1460 rcv_mss=1460 snd_wnd=0 rcv_wnd=0 cwnd=14600 ssthresh=0 retrans=0 lost=0\n";

static const char golden_out[] =
	"State     Recv-Q Send-Q Local Address:Port  Peer Address:Port\n"
	"LISTEN    0      0            0.0.0.0:4660       0.0.0.0:*     uid:0 ino:101\n"
	"\t rto:1000 mss:536 rcvmss:536 cwnd:10 snd_wnd:0 rcv_wnd:0\n"
	"ESTAB     5      10         127.0.0.1:5300     127.0.0.1:50001 timer:(on,200ms,2) uid:1000 ino:102\n"
	"\t rto:400 rtt:1.5/0.75 mss:1460 rcvmss:1460 cwnd:5 ssthresh:7 snd_wnd:65535 rcv_wnd:64000 retrans:2/3 lost:1\n"
	"TIME-WAIT 0      0         198.18.0.1:50004   198.18.0.2:5100  timer:(timewait,5sec,0) uid:0 ino:0\n"
	"\t rto:200 mss:1460 rcvmss:1460 cwnd:10 snd_wnd:0 rcv_wnd:0\n";

TEST_F(st, toystat_golden)
{
	char in[64], want[64];
	FILE *f;

	snprintf(in, sizeof(in), "/tmp/toystat_golden.%d", getpid());
	snprintf(want, sizeof(want), "/tmp/toystat_want.%d", getpid());
	f = fopen(in, "w");
	ASSERT_TRUE(f != NULL);
	fputs(golden_in, f);
	fclose(f);
	f = fopen(want, "w");
	ASSERT_TRUE(f != NULL);
	fputs(golden_out, f);
	fclose(f);
	EXPECT_EQ(0, tt_sh("python3 %s -f %s -anioe | diff -u %s -", toystat, in, want));
	unlink(in);
	unlink(want);
}

TEST_F(st, toystat_not_loaded)
{
	/* a missing table: exit 1 and a message naming it */
	EXPECT_EQ(1, tt_sh("python3 %s -f /nonexistent/toytcp 2>/dev/null", toystat));
	EXPECT_EQ(0, tt_sh("python3 %s -f /nonexistent/toytcp 2>&1 >/dev/null | grep -q 'nonexistent/toytcp not found'",
			   toystat));
	/*
	 * The module not loaded: /proc/net/toytcp hidden (an empty tmpfs
	 * over /proc, in a mount namespace of its own).
	 */
	EXPECT_EQ(0, tt_sh("unshare -m sh -c 'mount -t tmpfs none /proc && "
			   "exec python3 %s -a' > /tmp/toystat_nl.out 2>&1; rc=$?; cat /tmp/toystat_nl.out; "
			   "[ $rc = 1 ] && grep -q 'toytcp module is not loaded' /tmp/toystat_nl.out",
			   toystat));
}

TEST_HARNESS_MAIN
