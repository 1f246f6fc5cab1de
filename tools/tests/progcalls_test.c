// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 11): calls that unmodified programs make (strace of curl,
 * python, nginx, iperf3 shows them), on a socket of the family under test
 * and on an AF_INET one side by side, each connected to Linux TCP in
 * namespace B; the answers must be Linux's.
 *
 *  ioctls          SIOCINQ (FIONREAD): EINVAL on a listener, 0 on a new
 *                  socket, the bytes waiting, the same after the peer's
 *                  FIN, 0 once read; SIOCOUTQ and SIOCOUTQNSD: 0 once all
 *                  is acknowledged, the bytes held while the peer's window
 *                  is shut; SIOCATMARK 0.
 *  quickack        TCP_QUICKACK reads 1 on a new connection (Linux's
 *                  "not pingpong"); 1 and 0 read back as set.
 *  fastopen        with net.ipv4.tcp_fastopen 0 in A (what toytcp is:
 *                  no TCP Fast Open): TCP_FASTOPEN on a listener kept and
 *                  read back, EINVAL on a connected socket;
 *                  TCP_FASTOPEN_CONNECT EOPNOTSUPP (EINVAL for 2);
 *                  sendto(MSG_FASTOPEN) EOPNOTSUPP.
 *  zerocopy        send(MSG_ZEROCOPY) without SO_ZEROCOPY is a plain send
 *                  (the bytes arrive); SO_ZEROCOPY itself: Linux's TCP
 *                  takes it, toytcp's refuses it with EOPNOTSUPP (the
 *                  socket core takes it from AF_INET/AF_INET6 only).
 *  identity        SO_TYPE SOCK_STREAM, SO_PROTOCOL IPPROTO_TCP, SO_DOMAIN
 *                  the family, SO_ERROR 0; accept4() with SOCK_NONBLOCK |
 *                  SOCK_CLOEXEC gives a socket with both.
 *  epoll           edge-triggered: one event per arrival, none again
 *                  until more comes; level-triggered: again and again
 *                  until it is read.
 *  defer_accept    TCP_DEFER_ACCEPT reads back as Linux rounds it (whole
 *                  SYN-ACK timeouts: 5 s reads 7); with it on, a peer that
 *                  sends nothing is not accepted at once (its bare ACK is
 *                  dropped and counted), one that sends is, its bytes
 *                  waiting; the silent one is accepted when the period
 *                  ends (the SYN-ACK sent again, the peer's ACK).
 *  rcvlowat        poll() and epoll say readable only once SO_RCVLOWAT
 *                  bytes wait, or the peer's FIN came with fewer.
 *
 * TOYTCP_TEST_FAMILY=inet runs both columns on Linux TCP.
 */
#include <limits.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT	5320

FIXTURE(calls) {
	int fams[2];
	int port;
};

FIXTURE_SETUP(calls)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	self->fams[0] = AF_INET;
	self->fams[1] = tt_family();
	self->port = PORT;
}

FIXTURE_TEARDOWN(calls)
{
	tt_kill_children();
	tt_net_down();
}

/*
 * A connection from B (Linux TCP) to a listener of fam in A: *a is A's
 * accepted end, *b B's; the listener stays open in *l. 0 or -1.
 */
static int pair(int fam, int port, int *l, int *a, int *b)
{
	*l = tt_listen_in(TT_A, fam, TT_ADDR_A, port, 8);
	if (*l < 0)
		return -1;
	return tt_pair_via(*l, TT_B, AF_INET, TT_ADDR_A, port, b, a);
}

/* ioctl(fd, cmd) as an int, or -errno. */
static int ioctl_int(int fd, unsigned long cmd)
{
	int v = -1;

	return ioctl(fd, cmd, &v) ? -errno : v;
}

/* Wait (2 s at most) until fd's SIOCINQ reaches n; its last value. */
static int inq_reaches(int fd, int n)
{
	double t0 = tt_now();
	int v;

	while ((v = ioctl_int(fd, SIOCINQ)) != n && tt_now() - t0 < 2)
		tt_msleep(10);
	return v;
}

TEST_F(calls, ioctls)
{
	char buf[65536] = { 0 };

	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], l, a, b, s, zero = 0, v;
		const char *name = tt_fam_name(fam);
		double t0;

		s = socket(fam, SOCK_STREAM, 0);
		ASSERT_LE(0, s);
		EXPECT_EQ(0, ioctl_int(s, SIOCINQ)) TH_LOG("%s: new socket", name);
		EXPECT_EQ(0, ioctl_int(s, SIOCOUTQ)) TH_LOG("%s: new socket", name);
		close(s);
		ASSERT_EQ(0, pair(fam, self->port + f, &l, &a, &b)) TH_LOG("%s", name);
		EXPECT_EQ(-EINVAL, ioctl_int(l, SIOCINQ)) TH_LOG("%s: listener", name);
		EXPECT_EQ(-EINVAL, ioctl_int(l, SIOCOUTQ)) TH_LOG("%s: listener", name);
		EXPECT_EQ(0, ioctl_int(a, SIOCATMARK)) TH_LOG("%s", name);

		/* receiving: what waits, the FIN not counted, 0 once read */
		ASSERT_EQ(1000, write(b, buf, 1000));
		EXPECT_EQ(1000, inq_reaches(a, 1000)) TH_LOG("%s: FIONREAD", name);
		EXPECT_EQ(1000, ioctl_int(a, FIONREAD)) TH_LOG("%s", name);
		ASSERT_EQ(0, shutdown(b, SHUT_WR));
		tt_msleep(200);
		EXPECT_EQ(1000, ioctl_int(a, SIOCINQ)) TH_LOG("%s: after the FIN", name);
		EXPECT_EQ(0, tt_read_full(a, buf, 1000, 2000));
		EXPECT_EQ(0, ioctl_int(a, SIOCINQ)) TH_LOG("%s: all read", name);

		/* sending: 0 once acknowledged */
		ASSERT_EQ(3000, write(a, buf, 3000));
		ASSERT_EQ(0, tt_wait_acked(a, 5000));
		EXPECT_EQ(0, ioctl_int(a, SIOCOUTQ)) TH_LOG("%s: all acknowledged", name);
		EXPECT_EQ(0, ioctl_int(a, SIOCOUTQNSD)) TH_LOG("%s", name);

		/* B stops reading with a small buffer: bytes stay unsent */
		setsockopt(b, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero));
		tt_set_nonblock(a, true);
		t0 = tt_now();
		while (tt_now() - t0 < 5 && write(a, buf, sizeof(buf)) > 0)
			;
		tt_msleep(500);
		v = ioctl_int(a, SIOCOUTQ);
		EXPECT_LT(0, v) TH_LOG("%s: SIOCOUTQ with the window shut", name);
		EXPECT_LT(0, ioctl_int(a, SIOCOUTQNSD)) TH_LOG("%s: unsent", name);
		EXPECT_LE(ioctl_int(a, SIOCOUTQNSD), v) TH_LOG("%s: unsent <= unacked", name);
		close(a);
		close(b);
		close(l);
	}
}

TEST_F(calls, quickack)
{
	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], l, a, b, v;
		socklen_t len = sizeof(v);

		ASSERT_EQ(0, pair(fam, self->port + 10 + f, &l, &a, &b));
		ASSERT_EQ(0, getsockopt(a, IPPROTO_TCP, TCP_QUICKACK, &v, &len));
		EXPECT_EQ(1, v) TH_LOG("%s: TCP_QUICKACK of a new connection", tt_fam_name(fam));
		for (int want = 1; want >= 0; want--) {
			ASSERT_EQ(0, setsockopt(a, IPPROTO_TCP, TCP_QUICKACK, &want, sizeof(want)));
			len = sizeof(v);
			ASSERT_EQ(0, getsockopt(a, IPPROTO_TCP, TCP_QUICKACK, &v, &len));
			EXPECT_EQ(want, v) TH_LOG("%s: TCP_QUICKACK %d", tt_fam_name(fam), want);
		}
		close(a);
		close(b);
		close(l);
	}
}

TEST_F(calls, fastopen)
{
	int old = tt_read_int("/proc/sys/net/ipv4/tcp_fastopen");

	ASSERT_EQ(0, tt_write_int("/proc/sys/net/ipv4/tcp_fastopen", 0));
	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], l, a, b, v, five = 5, one = 1, two = 2, s;
		struct sockaddr_in to = tt_sin(TT_ADDR_B, 9);
		const char *name = tt_fam_name(fam);
		socklen_t len = sizeof(v);

		ASSERT_EQ(0, pair(fam, self->port + 20 + f, &l, &a, &b));
		EXPECT_EQ(0, setsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &five, sizeof(five)))
			TH_LOG("%s: TCP_FASTOPEN on a listener: %s", name, strerror(errno));
		ASSERT_EQ(0, getsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &v, &len));
		EXPECT_EQ(5, v) TH_LOG("%s", name);
		EXPECT_EQ(-1, setsockopt(a, IPPROTO_TCP, TCP_FASTOPEN, &five, sizeof(five)));
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s: TCP_FASTOPEN when connected", name);

		s = socket(fam, SOCK_STREAM, 0);
		ASSERT_LE(0, s);
		EXPECT_EQ(-1, setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)));
		EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("%s: TCP_FASTOPEN_CONNECT", name);
		EXPECT_EQ(-1, setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &two, sizeof(two)));
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s: TCP_FASTOPEN_CONNECT 2", name);
		EXPECT_EQ(-1, sendto(s, "x", 1, MSG_FASTOPEN, TT_SA(&to), sizeof(to)));
		EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("%s: sendto(MSG_FASTOPEN)", name);
		close(s);
		close(a);
		close(b);
		close(l);
	}
	tt_write_int("/proc/sys/net/ipv4/tcp_fastopen", old);
}

TEST_F(calls, zerocopy)
{
	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], l, a, b, one = 1, rc;
		const char *name = tt_fam_name(fam);
		char buf[4096] = "zerocopy";

		ASSERT_EQ(0, pair(fam, self->port + 30 + f, &l, &a, &b));
		EXPECT_EQ(4096, send(a, buf, sizeof(buf), MSG_ZEROCOPY)) TH_LOG("%s", name);
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(0, tt_read_full(b, buf, sizeof(buf), 3000));
		EXPECT_STREQ("zerocopy", buf) TH_LOG("%s", name);
		rc = setsockopt(a, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one));
		if (fam == AF_INET) {
			EXPECT_EQ(0, rc) TH_LOG("AF_INET: SO_ZEROCOPY: %s", strerror(errno));
		} else {
			EXPECT_EQ(-1, rc);
			EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("%s: SO_ZEROCOPY", name);
		}
		close(a);
		close(b);
		close(l);
	}
}

static int sol_socket_int(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, name, &v, &len) ? -errno : v;
}

TEST_F(calls, identity)
{
	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], l, a, b;
		const char *name = tt_fam_name(fam);

		l = tt_listen_in(TT_A, fam, TT_ADDR_A, self->port + 40 + f, 8);
		ASSERT_LE(0, l);
		b = tt_socket_in(TT_B, AF_INET);
		ASSERT_EQ(0, tt_connect(b, TT_ADDR_A, self->port + 40 + f, 5000));
		ASSERT_LT(0, tt_poll1(l, POLLIN, 5000));
		a = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		ASSERT_LE(0, a) TH_LOG("%s: accept4: %s", name, strerror(errno));
		EXPECT_TRUE(fcntl(a, F_GETFL) & O_NONBLOCK) TH_LOG("%s", name);
		EXPECT_TRUE(fcntl(a, F_GETFD) & FD_CLOEXEC) TH_LOG("%s", name);
		EXPECT_EQ(SOCK_STREAM, sol_socket_int(a, SO_TYPE)) TH_LOG("%s", name);
		EXPECT_EQ(IPPROTO_TCP, sol_socket_int(a, SO_PROTOCOL)) TH_LOG("%s", name);
		EXPECT_EQ(fam, sol_socket_int(a, SO_DOMAIN)) TH_LOG("%s", name);
		EXPECT_EQ(0, sol_socket_int(a, SO_ERROR)) TH_LOG("%s", name);
		close(a);
		close(b);
		close(l);
	}
}

/* Events epoll_wait gives for ep within ms. */
static int events(int ep, int ms)
{
	struct epoll_event ev[4];

	return epoll_wait(ep, ev, 4, ms);
}

TEST_F(calls, epoll)
{
	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], l, a, b, et, lt;
		const char *name = tt_fam_name(fam);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
		char buf[64];

		ASSERT_EQ(0, pair(fam, self->port + 50 + f, &l, &a, &b));
		et = epoll_create1(0);
		lt = epoll_create1(0);
		ASSERT_EQ(0, epoll_ctl(et, EPOLL_CTL_ADD, a, &ev));
		ev.events = EPOLLIN;
		ASSERT_EQ(0, epoll_ctl(lt, EPOLL_CTL_ADD, a, &ev));
		EXPECT_EQ(0, events(et, 100)) TH_LOG("%s: nothing yet", name);
		EXPECT_EQ(0, events(lt, 0)) TH_LOG("%s: nothing yet", name);

		ASSERT_EQ(10, write(b, "0123456789", 10));
		EXPECT_EQ(1, events(et, 3000)) TH_LOG("%s: edge: the arrival", name);
		EXPECT_EQ(0, events(et, 200)) TH_LOG("%s: edge: not again", name);
		EXPECT_EQ(1, events(lt, 0)) TH_LOG("%s: level", name);
		EXPECT_EQ(1, events(lt, 0)) TH_LOG("%s: level: again", name);

		ASSERT_EQ(5, write(b, "abcde", 5));
		EXPECT_EQ(1, events(et, 3000)) TH_LOG("%s: edge: more came", name);
		EXPECT_EQ(0, tt_read_full(a, buf, 15, 2000));
		EXPECT_EQ(0, events(lt, 100)) TH_LOG("%s: level: all read", name);
		EXPECT_EQ(0, events(et, 100)) TH_LOG("%s: edge: all read", name);
		close(et);
		close(lt);
		close(a);
		close(b);
		close(l);
	}
}

/* Set TCP_DEFER_ACCEPT to secs on fd and read it back; -errno on failure. */
static int defer_roundtrip(int fd, int secs)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &len))
		return -errno;
	return v;
}

/* Bare ACKs a listener of fam in A kept waiting for data (both stacks count them). */
static long defer_drops(int fam)
{
	return fam == AF_INET ?
	       tt_linux_stat(TT_A, "/proc/net/netstat", "TcpExt", "TCPDeferAcceptDrop") :
	       tt_stat("DeferAcceptDrops");
}

TEST_F(calls, defer_accept)
{
	static const int secs[] = { 0, 1, 2, 3, 4, 5, 8, 100, 1000, 100000, -1, INT_MAX };
	int got[2][sizeof(secs) / sizeof(secs[0])];

	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], port = self->port + 60 + f, one = 1, l, c, c2, a;
		const char *name = tt_fam_name(fam);
		long drops;
		char buf[8] = "";
		double t0;

		l = tt_listen_in(TT_A, fam, TT_ADDR_A, port, 8);
		ASSERT_LE(0, l);
		for (unsigned int i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
			got[f][i] = defer_roundtrip(l, secs[i]);

		ASSERT_EQ(0, setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one)));
		ASSERT_EQ(0, tt_set_nonblock(l, true));
		drops = defer_drops(fam);
		c = tt_socket_in(TT_B, AF_INET);
		ASSERT_EQ(0, tt_connect(c, TT_ADDR_A, port, 5000));
		tt_msleep(300);
		EXPECT_EQ(0, tt_poll1(l, POLLIN, 0)) TH_LOG("%s: connected, nothing sent", name);
		EXPECT_EQ(-1, accept(l, NULL, NULL));
		EXPECT_EQ(EAGAIN, errno) TH_LOG("%s: accept() before data", name);
		EXPECT_LT(drops, defer_drops(fam)) TH_LOG("%s: the bare ACK not counted", name);

		ASSERT_EQ(5, write(c, "hello", 5));
		EXPECT_LT(0, tt_poll1(l, POLLIN, 3000)) TH_LOG("%s: data came", name);
		a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		ASSERT_LE(0, a) TH_LOG("%s: accept() after data: %s", name, strerror(errno));
		EXPECT_LT(0, tt_poll1(a, POLLIN, 1000));
		EXPECT_EQ(5, recv(a, buf, sizeof(buf), MSG_DONTWAIT)) TH_LOG("%s", name);
		EXPECT_STREQ("hello", buf) TH_LOG("%s", name);
		close(a);

		/* silent: the SYN-ACK goes again after 1 s, and the peer's ACK completes it */
		c2 = tt_socket_in(TT_B, AF_INET);
		t0 = tt_now();
		ASSERT_EQ(0, tt_connect(c2, TT_ADDR_A, port, 5000));
		EXPECT_LT(0, tt_poll1(l, POLLIN, 6000)) TH_LOG("%s: the period ended", name);
		EXPECT_LE(0.5, tt_now() - t0) TH_LOG("%s: accepted after %.2f s", name,
						     tt_now() - t0);
		a = accept(l, NULL, NULL);
		EXPECT_LE(0, a) TH_LOG("%s: accept() after the period: %s", name, strerror(errno));
		if (a >= 0)
			close(a);
		close(c2);
		close(c);
		close(l);
	}
	for (unsigned int i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		EXPECT_EQ(got[0][i], got[1][i]) TH_LOG("TCP_DEFER_ACCEPT %d reads %d on Linux, %d",
						       secs[i], got[0][i], got[1][i]);
	}
	EXPECT_EQ(7, got[0][5]) TH_LOG("Linux: 5 s reads %d", got[0][5]);
}

TEST_F(calls, rcvlowat)
{
	for (int f = 0; f < 2; f++) {
		int fam = self->fams[f], l, a, b, ep, ten = 10;
		const char *name = tt_fam_name(fam);
		struct epoll_event ev = { .events = EPOLLIN };
		char buf[16];

		ASSERT_EQ(0, pair(fam, self->port + 70 + f, &l, &a, &b));
		ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_RCVLOWAT, &ten, sizeof(ten)));
		ep = epoll_create1(0);
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));

		ASSERT_EQ(5, write(b, "01234", 5));
		EXPECT_EQ(5, inq_reaches(a, 5)) TH_LOG("%s", name);
		EXPECT_EQ(0, tt_poll1(a, POLLIN, 100)) TH_LOG("%s: 5 of 10 bytes", name);
		EXPECT_EQ(0, events(ep, 0)) TH_LOG("%s: epoll, 5 of 10 bytes", name);

		ASSERT_EQ(5, write(b, "56789", 5));
		EXPECT_LT(0, tt_poll1(a, POLLIN, 3000)) TH_LOG("%s: 10 of 10 bytes", name);
		EXPECT_EQ(1, events(ep, 0)) TH_LOG("%s: epoll, 10 of 10 bytes", name);
		EXPECT_EQ(10, recv(a, buf, sizeof(buf), MSG_DONTWAIT)) TH_LOG("%s", name);

		ASSERT_EQ(2, write(b, "ab", 2));
		EXPECT_EQ(2, inq_reaches(a, 2)) TH_LOG("%s", name);
		EXPECT_EQ(0, tt_poll1(a, POLLIN, 100)) TH_LOG("%s: 2 of 10 bytes", name);
		ASSERT_EQ(0, shutdown(b, SHUT_WR));
		EXPECT_LT(0, tt_poll1(a, POLLIN, 3000)) TH_LOG("%s: 2 bytes and the FIN", name);
		EXPECT_EQ(2, recv(a, buf, sizeof(buf), MSG_DONTWAIT)) TH_LOG("%s", name);
		EXPECT_EQ(0, recv(a, buf, sizeof(buf), MSG_DONTWAIT)) TH_LOG("%s: EOF", name);
		close(ep);
		close(a);
		close(b);
		close(l);
	}
}

TEST_HARNESS_MAIN
