// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: the life of one connection after it is up, against a Linux TCP
 * peer in namespace B.
 *
 *  - TIME_WAIT: in the /proc/net table, for 2 * msl (msl set to 2 s),
 *    then gone; on the client and on the server side;
 *  - the /proc/net/toytcp format, field by field against /proc/net/tcp;
 *  - poll bits in every interesting state, compared against AF_INET;
 *  - end of stream, half close, simultaneous close;
 *  - RST: ECONNRESET, then EPIPE with SIGPIPE (none with MSG_NOSIGNAL);
 *    close with unread data and SO_LINGER {1, 0} send one;
 *  - MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, SO_RCVTIMEO, SO_SNDTIMEO.
 */
#include <sys/stat.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT_LB 5000

FIXTURE(life) {
	int lb;
	int old_msl;
};

FIXTURE_SETUP(life)
{
	self->old_msl = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	self->lb = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT_LB, 64);
	ASSERT_LE(0, self->lb);
}

FIXTURE_TEARDOWN(life)
{
	tt_kill_children();
	if (self->old_msl > 0)
		tt_set_msl(self->old_msl);
	tt_net_down();
}

/* A client of fam in A connected to Linux in B: *c, and the Linux end *p. */
static int pair(int lb, int fam, int *c, int *p)
{
	return tt_pair_via(lb, TT_A, fam, TT_ADDR_B, PORT_LB, c, p);
}

/* ------------------------------------------------------------------ */
/* TIME_WAIT */

/*
 * Close c first (after the peer p has nothing more to say), then p; the
 * entry lport->rport must sit in TIME_WAIT for tw seconds, then go.
 */
static void check_time_wait(struct __test_metadata *_metadata, int c, int p, int tw)
{
	int lport = tt_local_port(c), rport = tt_peer_port(c);
	double t0, seen;
	char b;

	close(c);
	t0 = tt_now();
	ASSERT_EQ(POLLIN, tt_poll1(p, POLLIN, 5000) & POLLIN);
	ASSERT_EQ(0, recv(p, &b, 1, 0));
	close(p);
	ASSERT_EQ(TCP_TIME_WAIT, tt_proc_wait(TT_A, tt_proc_path(), lport, rport,
					      TCP_TIME_WAIT, 3000));
	seen = tt_now() - t0;
	/* still there a second before the end */
	while (tt_now() - t0 < tw - 1.0) {
		int st = tt_proc_state(TT_A, tt_proc_path(), lport, rport);

		ASSERT_EQ(TCP_TIME_WAIT, st)
			TH_LOG("left TIME_WAIT after %.1f s (expected %d s)", tt_now() - t0, tw);
		tt_msleep(250);
	}
	/* gone a little after */
	EXPECT_EQ(0, tt_proc_wait(TT_A, tt_proc_path(), lport, rport, 0, 3000))
		TH_LOG("still in TIME_WAIT %.1f s after close (expected %d s)",
		       tt_now() - t0, tw);
	printf("# TIME_WAIT from %.2f s to %.2f s after close\n", seen, tt_now() - t0);
}

TEST_F_TIMEOUT(life, time_wait_lasts_2msl_client, 120)
{
	int c, p;

	self->old_msl = tt_set_msl(2);
	ASSERT_LE(0, self->old_msl);
	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	check_time_wait(_metadata, c, p, tt_time_wait_secs(2));
}

TEST_F_TIMEOUT(life, time_wait_lasts_2msl_server, 120)
{
	int l, c, s;

	self->old_msl = tt_set_msl(2);
	ASSERT_LE(0, self->old_msl);
	l = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, 6000, 4);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, tt_pair_via(l, TT_B, AF_INET, TT_ADDR_A, 6000, &c, &s));
	check_time_wait(_metadata, s, c, tt_time_wait_secs(2));
	/* the listener kept working all along */
	ASSERT_EQ(0, tt_pair_via(l, TT_B, AF_INET, TT_ADDR_A, 6000, &c, &s));
	close(c);
	close(s);
	close(l);
}

/* The entry of a TIME_WAIT connection has no inode, like Linux's. */
TEST_F(life, time_wait_entry_fields)
{
	static struct tt_proc_ent e[64];
	int c, p, lport, n, found = 0;
	char b;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	lport = tt_local_port(c);
	close(c);
	ASSERT_LT(0, tt_poll1(p, POLLIN, 5000));
	ASSERT_EQ(0, recv(p, &b, 1, 0));
	close(p);
	ASSERT_EQ(TCP_TIME_WAIT, tt_proc_wait(TT_A, tt_proc_path(), lport, PORT_LB,
					      TCP_TIME_WAIT, 3000));
	n = tt_proc_read(tt_proc_path(), e, 64, NULL, 0);
	ASSERT_LT(0, n);
	for (int i = 0; i < n; i++) {
		if (e[i].lport != lport || e[i].rport != PORT_LB)
			continue;
		found = 1;
		EXPECT_EQ(0, e[i].inode);
		EXPECT_EQ(0, e[i].uid);
		EXPECT_EQ(0, e[i].txq);
		EXPECT_EQ(0, e[i].rxq);
	}
	EXPECT_EQ(1, found);
}

/* ------------------------------------------------------------------ */
/* /proc/net/toytcp */

static uint32_t printed_addr(const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	return a.s_addr;	/* Linux prints the __be32 as a host-order %08X */
}

static unsigned long inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

struct proc_scene {
	int l, s, c;		/* listener (fam) in A, accepted, Linux client in B */
	int pending;		/* a second Linux client, not accepted */
	struct tt_proc_ent le, se;	/* their entries */
};

/* Listener on port with one accepted connection holding 5 unread bytes and one pending. */
static int scene(int fam, int port, struct proc_scene *sc, const char *path)
{
	static struct tt_proc_ent e[64];
	int n, got = 0;

	sc->l = tt_listen_in(TT_A, fam, TT_ADDR_A, port, 5);
	if (sc->l < 0 || tt_pair_via(sc->l, TT_B, AF_INET, TT_ADDR_A, port, &sc->c, &sc->s))
		return -1;
	sc->pending = tt_socket_in(TT_B, AF_INET);
	if (sc->pending < 0 || tt_connect(sc->pending, TT_ADDR_A, port, 5000))
		return -1;
	if (send(sc->c, "hello", 5, 0) != 5 || tt_poll1(sc->s, POLLIN, 5000) <= 0)
		return -1;
	tt_msleep(100);
	n = tt_proc_read(path, e, 64, NULL, 0);
	for (int i = 0; i < n; i++) {
		if (e[i].lport == port && e[i].st == TCP_LISTEN) {
			sc->le = e[i];
			got |= 1;
		}
		if (e[i].lport == port && e[i].rport == tt_local_port(sc->c)) {
			sc->se = e[i];
			got |= 2;
		}
	}
	return got == 3 ? 0 : -2;
}

static void unscene(struct proc_scene *sc)
{
	close(sc->l);
	close(sc->s);
	close(sc->c);
	close(sc->pending);
}

TEST_F(life, proc_net_table_format)
{
	static struct tt_proc_ent e[64];
	char hdr_toy[512], hdr_tcp[512];
	struct proc_scene ref, got;
	int n;

	ASSERT_EQ(0, scene(AF_INET, 6001, &ref, "/proc/net/tcp"));
	ASSERT_EQ(0, scene(tt_family(), 6002, &got, tt_proc_path()))
		TH_LOG("listener or connection missing from %s", tt_proc_path());

	/*
	 * Same header; every line at least /proc/net/tcp's fixed width:
	 * toytcp appends named fields (rtt_us=...) after Linux's columns.
	 */
	ASSERT_LE(0, tt_proc_read("/proc/net/tcp", e, 64, hdr_tcp, sizeof(hdr_tcp)));
	n = tt_proc_read(tt_proc_path(), e, 64, hdr_toy, sizeof(hdr_toy));
	ASSERT_LT(0, n) TH_LOG("%s unreadable or a line does not parse", tt_proc_path());
	EXPECT_STREQ(hdr_tcp, hdr_toy);
	for (int i = 0; i < n; i++) {
		EXPECT_LE(strcspn(hdr_tcp, "\n"), e[i].width) TH_LOG("line %d", i);
		EXPECT_EQ(i, e[i].sl);
	}

	/* the listener */
	EXPECT_EQ(printed_addr(TT_ADDR_A), got.le.laddr);
	EXPECT_EQ(0, got.le.raddr);
	EXPECT_EQ(0, got.le.rport);
	EXPECT_EQ(0, got.le.uid);
	EXPECT_EQ(inode_of(got.l), got.le.inode);
	EXPECT_EQ(ref.le.txq, got.le.txq);
	EXPECT_EQ(ref.le.rxq, got.le.rxq) TH_LOG("listener rx_queue (Linux: accept backlog)");

	/* the accepted connection with 5 unread bytes */
	EXPECT_EQ(TCP_ESTABLISHED, got.se.st);
	EXPECT_EQ(printed_addr(TT_ADDR_A), got.se.laddr);
	EXPECT_EQ(printed_addr(TT_ADDR_B), got.se.raddr);
	EXPECT_EQ(0, got.se.uid);
	EXPECT_EQ(inode_of(got.s), got.se.inode);
	EXPECT_EQ(0, got.se.txq);
	EXPECT_EQ(5, got.se.rxq);
	EXPECT_EQ(ref.se.rxq, got.se.rxq);
	unscene(&ref);
	unscene(&got);
}

/* ------------------------------------------------------------------ */
/* poll */

enum scenario {
	SC_IDLE, SC_DATA, SC_PEER_FIN, SC_PEER_FIN_DATA, SC_PEER_FIN_READ,
	SC_PEER_RST, SC_PEER_RST_READ, SC_SHUT_WR, SC_SHUT_RD, SC_SHUT_RDWR,
	SC_BOTH_FIN, SC_N
};

static const char * const sc_names[] = {
	"idle", "data waiting", "peer FIN", "peer FIN with data waiting",
	"peer FIN, read to the end", "peer RST", "peer RST, error read",
	"shutdown(SHUT_WR)", "shutdown(SHUT_RD)", "shutdown(SHUT_RDWR)",
	"both FINs",
};

#define ALL_EVENTS (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

/* Bring a fresh connection of fam into the scenario; return its settled poll bits. */
static int poll_bits(int lb, int fam, enum scenario sc)
{
	struct linger lg = { 1, 0 };
	char b[16];
	int c, p, r = -1;
	short wait_for = 0;

	if (pair(lb, fam, &c, &p))
		return -2;
	switch (sc) {
	case SC_IDLE:
	case SC_N:
		break;
	case SC_DATA:
		send(p, "x", 1, 0);
		wait_for = POLLIN;
		break;
	case SC_PEER_FIN:
	case SC_PEER_FIN_READ:
		shutdown(p, SHUT_WR);
		wait_for = POLLRDHUP;
		break;
	case SC_PEER_FIN_DATA:
		send(p, "x", 1, 0);
		shutdown(p, SHUT_WR);
		wait_for = POLLRDHUP;
		break;
	case SC_PEER_RST:
	case SC_PEER_RST_READ:
		setsockopt(p, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(p);
		p = -1;
		wait_for = POLLERR | POLLHUP;
		break;
	case SC_SHUT_WR:
		shutdown(c, SHUT_WR);
		tt_poll1(p, POLLIN, 3000);
		break;
	case SC_SHUT_RD:
		shutdown(c, SHUT_RD);
		break;
	case SC_SHUT_RDWR:
		shutdown(c, SHUT_RDWR);
		tt_poll1(p, POLLIN, 3000);
		break;
	case SC_BOTH_FIN:
		shutdown(c, SHUT_WR);
		tt_poll1(p, POLLIN, 3000);
		shutdown(p, SHUT_WR);
		wait_for = POLLRDHUP;
		break;
	}
	if (wait_for)
		tt_wait_events(c, ALL_EVENTS, wait_for, 3000);
	tt_msleep(100);
	if (sc == SC_PEER_FIN_READ) {
		while (recv(c, b, sizeof(b), MSG_DONTWAIT) > 0)
			;
	}
	if (sc == SC_PEER_RST_READ)
		recv(c, b, sizeof(b), MSG_DONTWAIT);
	r = tt_poll1(c, ALL_EVENTS, 0);
	close(c);
	if (p >= 0)
		close(p);
	return r;
}

static void bits(char *buf, size_t len, int r)
{
	snprintf(buf, len, "%#x%s%s%s%s%s%s", r, r & POLLIN ? " IN" : "", r & POLLOUT ? " OUT" : "",
		 r & POLLRDHUP ? " RDHUP" : "", r & POLLHUP ? " HUP" : "",
		 r & POLLERR ? " ERR" : "", r & POLLPRI ? " PRI" : "");
}

TEST_F(life, poll_bits_like_linux)
{
	for (int sc = 0; sc < SC_N; sc++) {
		int ref = poll_bits(self->lb, AF_INET, sc);
		int got = poll_bits(self->lb, tt_family(), sc);
		char rb[64], gb[64];

		bits(rb, sizeof(rb), ref);
		bits(gb, sizeof(gb), got);
		EXPECT_EQ(ref, got) TH_LOG("%s: Linux %s, under test %s", sc_names[sc], rb, gb);
	}
}

/*
 * A peer that does not read: sending stops with EAGAIN and POLLOUT goes
 * away (no busy loop); once the peer reads everything, POLLOUT is back and
 * every byte arrived. (How much fits depends on buffer sizes, so this is
 * not compared bit for bit with Linux.)
 */
TEST_F(life, pollout_clears_when_full_and_returns)
{
	static char big[65536], sink[65536];
	long sent = 0, got = 0, r;
	int c, p, stuck = 0;
	double end;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	ASSERT_EQ(0, tt_set_nonblock(c, true));
	/* fill until nothing more goes in three times in a row, 200 ms apart */
	end = tt_now() + 60;
	while (stuck < 3 && tt_now() < end) {
		r = send(c, big, sizeof(big), MSG_NOSIGNAL);
		if (r > 0) {
			sent += r;
			stuck = 0;
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		stuck++;
		tt_msleep(200);
	}
	ASSERT_EQ(3, stuck) TH_LOG("still sending after 60 s (%ld bytes)", sent);
	EXPECT_EQ(0, tt_poll1(c, POLLOUT, 500)) TH_LOG("POLLOUT with a full send buffer");
	/* the peer drains it all */
	end = tt_now() + 60;
	while (got < sent && tt_now() < end) {
		if (tt_poll1(p, POLLIN, 1000) <= 0)
			continue;
		r = recv(p, sink, sizeof(sink), MSG_DONTWAIT);
		if (r > 0)
			got += r;
	}
	EXPECT_EQ(sent, got);
	EXPECT_EQ(POLLOUT, tt_poll1(c, POLLOUT, 5000));
	printf("# %ld bytes fitted before POLLOUT went away\n", sent);
	close(c);
	close(p);
}

TEST_F(life, poll_bits_of_a_listener)
{
	int fams[2] = { AF_INET, tt_family() }, r[2][2];

	for (int i = 0; i < 2; i++) {
		int l = tt_listen_in(TT_A, fams[i], TT_ADDR_A, 6010 + i, 4), c;

		ASSERT_LE(0, l);
		r[i][0] = tt_poll1(l, ALL_EVENTS, 0);
		c = tt_socket_in(TT_B, AF_INET);
		ASSERT_EQ(0, tt_connect(c, TT_ADDR_A, 6010 + i, 5000));
		tt_wait_events(l, ALL_EVENTS, POLLIN, 3000);
		r[i][1] = tt_poll1(l, ALL_EVENTS, 0);
		close(c);
		close(l);
	}
	EXPECT_EQ(r[0][0], r[1][0]) TH_LOG("idle listener");
	EXPECT_EQ(r[0][1], r[1][1]) TH_LOG("listener with a connection to accept");
	EXPECT_EQ(POLLIN, r[1][1]);
}

/* ------------------------------------------------------------------ */
/* End of stream, half close */

TEST_F(life, recv_returns_0_after_fin_once_data_is_read)
{
	char b[16];
	int c, p;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	ASSERT_EQ(5, send(p, "hello", 5, 0));
	close(p);
	ASSERT_EQ(0, tt_wait_events(c, POLLIN | POLLRDHUP, POLLRDHUP, 5000) ? 0 : -1);
	tt_guard(10);
	EXPECT_EQ(5, recv(c, b, sizeof(b), 0));
	EXPECT_EQ(0, memcmp(b, "hello", 5));
	EXPECT_EQ(0, recv(c, b, sizeof(b), 0));
	EXPECT_EQ(0, recv(c, b, sizeof(b), 0));
	EXPECT_EQ(0, recv(c, b, sizeof(b), MSG_DONTWAIT));
	EXPECT_EQ(0, read(c, b, sizeof(b)));
	tt_unguard();
	close(c);
}

TEST_F(life, half_close_peer_can_still_send)
{
	char b[16];
	int c, p;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_LT(0, tt_poll1(p, POLLIN, 5000));
	ASSERT_EQ(0, recv(p, b, sizeof(b), 0));
	/* the other direction still works */
	ASSERT_EQ(3, send(p, "abc", 3, 0));
	ASSERT_LT(0, tt_poll1(c, POLLIN, 5000));
	ASSERT_EQ(3, recv(c, b, sizeof(b), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(b, "abc", 3));
	/* and writing on our side is refused */
	EXPECT_EQ(EPIPE, ERRNO_OF(send(c, "x", 1, MSG_NOSIGNAL)));
	close(p);
	ASSERT_LT(0, tt_poll1(c, POLLIN, 5000));
	EXPECT_EQ(0, recv(c, b, sizeof(b), MSG_DONTWAIT));
	close(c);
}

TEST_F(life, simultaneous_close_completes)
{
	char b[4];
	int c, p, lport, st;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	lport = tt_local_port(c);
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_EQ(0, shutdown(p, SHUT_WR));
	ASSERT_LT(0, tt_poll1(c, POLLIN, 5000));
	ASSERT_LT(0, tt_poll1(p, POLLIN, 5000));
	EXPECT_EQ(0, recv(c, b, sizeof(b), MSG_DONTWAIT));
	EXPECT_EQ(0, recv(p, b, sizeof(b), MSG_DONTWAIT));
	close(c);
	close(p);
	/* ends in TIME_WAIT (or closed), never stuck in CLOSING or LAST_ACK */
	tt_msleep(1000);
	st = tt_proc_state(TT_A, tt_proc_path(), lport, PORT_LB);
	EXPECT_TRUE(st == TCP_TIME_WAIT || st == 0) TH_LOG("state %d", st);
}

/* ------------------------------------------------------------------ */
/* Resets */

struct rst_seq {
	long r1, r2, r3;
	int e1, e2, e3;
	int sig2, sig3;
};

static void rst_sequence(int lb, int fam, bool send_first, struct rst_seq *s)
{
	struct linger lg = { 1, 0 };
	char b[8];
	int c, p;

	memset(s, 0, sizeof(*s));
	s->r1 = -999;
	if (pair(lb, fam, &c, &p))
		return;
	setsockopt(p, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(p);
	tt_wait_events(c, POLLIN, POLLERR | POLLHUP, 3000);
	tt_catch_sigpipe();
	tt_guard(10);
	if (send_first)
		s->r1 = send(c, "x", 1, MSG_NOSIGNAL);
	else
		s->r1 = recv(c, b, sizeof(b), 0);
	s->e1 = s->r1 < 0 ? errno : 0;
	s->r2 = send(c, "x", 1, 0);
	s->e2 = s->r2 < 0 ? errno : 0;
	s->sig2 = tt_sigpipes;
	s->r3 = send(c, "x", 1, MSG_NOSIGNAL);
	s->e3 = s->r3 < 0 ? errno : 0;
	s->sig3 = tt_sigpipes;
	tt_unguard();
	signal(SIGPIPE, SIG_DFL);
	close(c);
}

static void check_rst(struct __test_metadata *_metadata, int lb, bool send_first)
{
	struct rst_seq ref, got;

	rst_sequence(lb, AF_INET, send_first, &ref);
	rst_sequence(lb, tt_family(), send_first, &got);
	/* what Linux does (and the issue says) */
	EXPECT_EQ(-1, ref.r1);
	EXPECT_EQ(ECONNRESET, ref.e1);
	EXPECT_EQ(EPIPE, ref.e2);
	EXPECT_EQ(1, ref.sig2);
	EXPECT_EQ(EPIPE, ref.e3);
	EXPECT_EQ(1, ref.sig3);
	/* the same under test */
	EXPECT_EQ(ref.r1, got.r1);
	EXPECT_EQ(ref.e1, got.e1) TH_LOG("first call: %s", strerror(got.e1));
	EXPECT_EQ(ref.r2, got.r2);
	EXPECT_EQ(ref.e2, got.e2) TH_LOG("send: %s", strerror(got.e2));
	EXPECT_EQ(ref.sig2, got.sig2) TH_LOG("SIGPIPE after send");
	EXPECT_EQ(ref.r3, got.r3);
	EXPECT_EQ(ref.e3, got.e3) TH_LOG("send MSG_NOSIGNAL: %s", strerror(got.e3));
	EXPECT_EQ(ref.sig3, got.sig3) TH_LOG("SIGPIPE after send(MSG_NOSIGNAL)");
}

TEST_F(life, rst_econnreset_then_epipe_and_sigpipe)
{
	check_rst(_metadata, self->lb, false);
}

TEST_F(life, rst_first_send_econnreset_then_epipe)
{
	check_rst(_metadata, self->lb, true);
}

/* After close(c) the peer p must see a reset, and c's side no TIME_WAIT. */
static void expect_reset_seen(struct __test_metadata *_metadata, int p, int lport)
{
	char b[64];
	ssize_t r;

	ASSERT_LT(0, tt_wait_events(p, POLLIN, POLLERR | POLLHUP, 5000))
		TH_LOG("the peer saw no RST");
	/* the peer may first read data it had not read yet */
	do
		r = recv(p, b, sizeof(b), MSG_DONTWAIT);
	while (r > 0);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(ECONNRESET, errno);
	close(p);
	tt_msleep(200);
	EXPECT_EQ(0, tt_proc_state(TT_A, tt_proc_path(), lport, PORT_LB))
		TH_LOG("an aborted connection must not go to TIME_WAIT");
}

TEST_F(life, close_with_unread_data_sends_rst)
{
	int c, p, lport;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	lport = tt_local_port(c);
	ASSERT_EQ(10, send(p, "0123456789", 10, 0));
	ASSERT_LT(0, tt_poll1(c, POLLIN, 5000));
	close(c);
	expect_reset_seen(_metadata, p, lport);
}

TEST_F(life, so_linger_zero_sends_rst)
{
	struct linger lg = { 1, 0 };
	int c, p, lport;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	lport = tt_local_port(c);
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(c);
	expect_reset_seen(_metadata, p, lport);
}

/* An orderly close is not a reset: the peer reads all, then 0. */
TEST_F(life, orderly_close_is_no_reset)
{
	char b[64];
	int c, p;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	ASSERT_EQ(10, send(c, "0123456789", 10, 0));
	close(c);
	ASSERT_LT(0, tt_poll1(p, POLLIN, 5000));
	tt_msleep(200);
	EXPECT_EQ(10, recv(p, b, sizeof(b), MSG_DONTWAIT));
	EXPECT_EQ(0, recv(p, b, sizeof(b), MSG_DONTWAIT));
	close(p);
}

/* ------------------------------------------------------------------ */
/* recv flags and timeouts */

TEST_F(life, msg_peek)
{
	char b[16];
	int c, p;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	ASSERT_EQ(6, send(p, "abcdef", 6, 0));
	ASSERT_LT(0, tt_poll1(c, POLLIN, 5000));
	tt_msleep(100);
	memset(b, 0, sizeof(b));
	EXPECT_EQ(3, recv(c, b, 3, MSG_PEEK | MSG_DONTWAIT));
	EXPECT_STREQ("abc", b);
	memset(b, 0, sizeof(b));
	EXPECT_EQ(6, recv(c, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_STREQ("abcdef", b);
	memset(b, 0, sizeof(b));
	EXPECT_EQ(3, recv(c, b, 3, MSG_DONTWAIT));
	EXPECT_STREQ("abc", b);
	memset(b, 0, sizeof(b));
	EXPECT_EQ(3, recv(c, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_STREQ("def", b);
	memset(b, 0, sizeof(b));
	EXPECT_EQ(3, recv(c, b, sizeof(b), MSG_DONTWAIT));
	EXPECT_STREQ("def", b);
	EXPECT_EQ(EAGAIN, ERRNO_OF(recv(c, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT)));
	close(c);
	close(p);
}

/* child: send total bytes in chunks of chunk, 30 ms apart, then close */
struct dribble {
	int fd, total, chunk;
};

static void dribble_child(void *arg, int ready, int res)
{
	struct dribble *d = arg;
	char buf[1000];

	(void)ready;
	(void)res;
	for (int i = 0; i < (int)sizeof(buf); i++)
		buf[i] = 'A' + i % 26;
	for (int off = 0; off < d->total; off += d->chunk) {
		tt_msleep(30);
		if (send(d->fd, buf + off, d->chunk, 0) != d->chunk)
			_exit(1);
	}
	close(d->fd);
}

TEST_F(life, msg_waitall)
{
	struct dribble d = { .total = 1000, .chunk = 100 };
	struct tt_child ch;
	char b[1000], want[1000];
	int c, p;

	for (int i = 0; i < 1000; i++)
		want[i] = 'A' + i % 26;
	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	d.fd = p;
	ASSERT_EQ(0, tt_spawn(&ch, -1, 30, dribble_child, &d));
	close(p);
	tt_guard(20);
	EXPECT_EQ(1000, recv(c, b, sizeof(b), MSG_WAITALL));
	tt_unguard();
	EXPECT_EQ(0, memcmp(b, want, 1000));
	close(c);
	tt_child_finish(&ch, NULL, 0, 5000);

	/* end of stream first: MSG_WAITALL returns what there was */
	d.total = 500;
	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	d.fd = p;
	ASSERT_EQ(0, tt_spawn(&ch, -1, 30, dribble_child, &d));
	close(p);
	tt_guard(20);
	EXPECT_EQ(500, recv(c, b, sizeof(b), MSG_WAITALL));
	tt_unguard();
	close(c);
	tt_child_finish(&ch, NULL, 0, 5000);
}

TEST_F(life, msg_dontwait_on_a_blocking_socket)
{
	double t0;
	char b[4];
	int c, p;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	t0 = tt_now();
	tt_guard(10);
	EXPECT_EQ(EAGAIN, ERRNO_OF(recv(c, b, sizeof(b), MSG_DONTWAIT)));
	tt_unguard();
	EXPECT_GT(0.5, tt_now() - t0);
	close(c);
	close(p);
}

TEST_F(life, so_rcvtimeo)
{
	struct timeval tv = { 0, 300000 };
	double t0, secs;
	char b[4];
	int c, p;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = tt_now();
	tt_guard(10);
	EXPECT_EQ(EAGAIN, ERRNO_OF(recv(c, b, sizeof(b), 0)));
	tt_unguard();
	secs = tt_now() - t0;
	EXPECT_LT(0.28, secs);
	EXPECT_GT(2.0, secs);
	/* data within the timeout is returned */
	ASSERT_EQ(1, send(p, "z", 1, 0));
	tt_guard(10);
	EXPECT_EQ(1, recv(c, b, sizeof(b), 0));
	tt_unguard();
	close(c);
	close(p);
}

TEST_F(life, so_sndtimeo)
{
	struct timeval tv = { 0, 300000 };
	static char big[65536];
	double t0 = 0, secs = 0;
	long r = 1;
	int c, p, n = 0;

	ASSERT_EQ(0, pair(self->lb, tt_family(), &c, &p));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	/* the peer never reads: sooner or later a send waits, then gives up */
	tt_guard(30);
	while (n++ < 2000) {
		t0 = tt_now();
		r = send(c, big, sizeof(big), MSG_NOSIGNAL);
		secs = tt_now() - t0;
		if (r != (long)sizeof(big))
			break;
	}
	tt_unguard();
	EXPECT_TRUE(r == -1 ? errno == EAGAIN : r >= 0)
		TH_LOG("send returned %ld: %s", r, strerror(errno));
	EXPECT_NE(sizeof(big), r);
	EXPECT_LT(0.28, secs);
	EXPECT_GT(5.0, secs);
	close(c);
	close(p);
}

TEST_HARNESS_MAIN
