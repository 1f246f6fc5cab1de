// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: connection establishment and many connections at once.
 *
 *  - connect to a closed port: ECONNREFUSED (blocking, nonblocking + poll,
 *    over veth and over 127.0.0.1), and a Linux client refused by a
 *    namespace where toytcp listens on other ports;
 *  - connect to a peer that drops everything (iptables DROP in B):
 *    ETIMEDOUT after 1 + 2 + 4 = 7 s with syn_retries = 2, and exactly
 *    1 + syn_retries SYNs counted by the DROP rule;
 *  - nonblocking connect + poll: POLLOUT, then SO_ERROR 0; the poll bits
 *    compared against AF_INET doing the same;
 *  - epoll over 100 connecting clients and over a listener with 100
 *    incoming connections;
 *  - 200 concurrent connections each moving 64 KB each way, byte-exact,
 *    toytcp as client and as server.
 */
#include <sys/epoll.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT_LB		5000
#define PORT_CLOSED	5008
#define PORT_LA		6000

FIXTURE(conn) {
	int old_syn_retries;
	int lb;
};

FIXTURE_SETUP(conn)
{
	self->old_syn_retries = -1;
	self->lb = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	self->lb = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT_LB, 256);
	ASSERT_LE(0, self->lb);
}

FIXTURE_TEARDOWN(conn)
{
	tt_kill_children();
	if (self->old_syn_retries >= 0)
		tt_set_syn_retries(self->old_syn_retries);
	tt_net_down();
}

/* Blocking connect of a fresh socket of fam; returns errno (0 if connected). */
static int blocking_connect(int fam, const char *ip, int port, double *secs, int guard)
{
	struct sockaddr_in a = tt_sin(ip, port);
	int fd = tt_socket_in(TT_A, fam), err;
	double t0 = tt_now();

	if (fd < 0)
		return -1;
	tt_guard(guard);
	err = ERRNO_OF(connect(fd, TT_SA(&a), sizeof(a)));
	tt_unguard();
	if (secs)
		*secs = tt_now() - t0;
	close(fd);
	return err;
}

TEST_F(conn, parameters_have_their_defaults)
{
	if (tt_inet_mode())
		SKIP(return, "toytcp parameters only");
	EXPECT_EQ(6, tt_read_int(TT_PARAM_DIR "syn_retries"));
	EXPECT_EQ(30, tt_read_int(TT_PARAM_DIR "msl"));
}

TEST_F(conn, refused_over_veth)
{
	double secs;

	EXPECT_EQ(ECONNREFUSED, blocking_connect(tt_family(), TT_ADDR_B, PORT_CLOSED, &secs, 10));
	EXPECT_GT(2.0, secs);
}

TEST_F(conn, refused_over_loopback)
{
	EXPECT_EQ(ECONNREFUSED, blocking_connect(tt_family(), TT_LOOP, PORT_CLOSED, NULL, 10));
}

/* toytcp must leave alone what is not for its own ports */
TEST_F(conn, linux_client_refused_next_to_a_toytcp_listener)
{
	int l = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, PORT_LA, 4);
	int c = tt_socket_in(TT_B, AF_INET);

	ASSERT_LE(0, l);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, tt_connect(c, TT_ADDR_A, PORT_LA + 1, 5000));
	EXPECT_EQ(ECONNREFUSED, errno);
	close(c);
	close(l);
}

/* Packets of the DROP rule in B's INPUT chain, or -1. */
static long dropped_packets(void)
{
	FILE *p = popen("ip netns exec " TT_NS_B " iptables -w -nvxL INPUT", "r");
	char line[512];
	long n = -1, v;

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "DROP") && sscanf(line, "%ld", &v) == 1)
			n = v;
	pclose(p);
	return n;
}

TEST_F_TIMEOUT(conn, timeout_after_syn_retries, 60)
{
	double secs;

	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " iptables -w -A INPUT -p tcp -j DROP"));
	self->old_syn_retries = tt_set_syn_retries(2);
	ASSERT_LE(0, self->old_syn_retries);
	EXPECT_EQ(ETIMEDOUT, blocking_connect(tt_family(), TT_ADDR_B, PORT_LB, &secs, 20));
	/* SYNs at 0, 1 and 3 s; given up at 7 s */
	EXPECT_LT(6.0, secs);
	EXPECT_GT(9.5, secs);
	TH_LOG("ETIMEDOUT after %.2f s", secs);
	EXPECT_EQ(3, dropped_packets());
}

/* poll bits and SO_ERROR of a nonblocking connect, for fam */
struct nb_result {
	int connect_err;
	int revents;
	int so_error, so_error_again;
	double secs;
};

static void nb_connect(int fam, const char *ip, int port, int wait_ms, struct nb_result *r)
{
	struct sockaddr_in a = tt_sin(ip, port);
	int fd = tt_socket_in(TT_A, fam);
	double t0 = tt_now();

	memset(r, 0, sizeof(*r));
	r->revents = -1;
	if (fd < 0 || tt_set_nonblock(fd, true)) {
		r->connect_err = -1;
		return;
	}
	r->connect_err = ERRNO_OF(connect(fd, TT_SA(&a), sizeof(a)));
	r->revents = tt_poll1(fd, POLLIN | POLLOUT | POLLRDHUP, wait_ms);
	r->secs = tt_now() - t0;
	/* settle, then take the bits again: they must be stable */
	tt_msleep(50);
	r->revents = tt_poll1(fd, POLLIN | POLLOUT | POLLRDHUP, 0);
	r->so_error = tt_so_error(fd);
	r->so_error_again = tt_so_error(fd);
	close(fd);
}

static void compare_nb(struct __test_metadata *_metadata, const struct nb_result *ref,
		       const struct nb_result *got)
{
	EXPECT_EQ(ref->connect_err, got->connect_err);
	EXPECT_EQ(ref->revents, got->revents)
		TH_LOG("poll bits: AF_INET %#x, under test %#x", ref->revents, got->revents);
	EXPECT_EQ(ref->so_error, got->so_error);
	EXPECT_EQ(ref->so_error_again, got->so_error_again);
}

TEST_F(conn, nonblocking_connect_poll_pollout_then_so_error_0)
{
	struct nb_result ref, got;

	nb_connect(AF_INET, TT_ADDR_B, PORT_LB, 5000, &ref);
	nb_connect(tt_family(), TT_ADDR_B, PORT_LB, 5000, &got);
	EXPECT_EQ(EINPROGRESS, ref.connect_err);
	EXPECT_EQ(POLLOUT, ref.revents);
	EXPECT_EQ(0, ref.so_error);
	compare_nb(_metadata, &ref, &got);
}

TEST_F(conn, nonblocking_connect_poll_refused)
{
	struct nb_result ref, got;

	nb_connect(AF_INET, TT_ADDR_B, PORT_CLOSED, 5000, &ref);
	nb_connect(tt_family(), TT_ADDR_B, PORT_CLOSED, 5000, &got);
	EXPECT_EQ(ECONNREFUSED, ref.so_error);
	EXPECT_EQ(0, ref.so_error_again);
	EXPECT_TRUE(ref.revents & POLLERR);
	compare_nb(_metadata, &ref, &got);
}

TEST_F_TIMEOUT(conn, nonblocking_connect_poll_timeout, 60)
{
	struct nb_result ref, got;
	int old_inet;

	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " iptables -w -A INPUT -p tcp -j DROP"));
	/* the reference's own knob, in namespace A only */
	old_inet = tt_read_int("/proc/sys/net/ipv4/tcp_syn_retries");
	ASSERT_EQ(0, tt_write_int("/proc/sys/net/ipv4/tcp_syn_retries", 1));
	self->old_syn_retries = tt_set_syn_retries(1);
	ASSERT_LE(0, self->old_syn_retries);
	nb_connect(AF_INET, TT_ADDR_B, PORT_LB, 10000, &ref);
	nb_connect(tt_family(), TT_ADDR_B, PORT_LB, 10000, &got);
	tt_write_int("/proc/sys/net/ipv4/tcp_syn_retries", old_inet);
	EXPECT_EQ(ETIMEDOUT, ref.so_error);
	compare_nb(_metadata, &ref, &got);
	/* 1 + 2 s */
	EXPECT_LT(2.5, got.secs);
	EXPECT_GT(5.0, got.secs);
}

/* ------------------------------------------------------------------ */
/* epoll */

#define NPOLL 100

/* Wait until every one of n fds reported one of mask; returns how many did. */
static int epoll_all(int ep, int n, uint32_t mask, bool *seen, int timeout_ms)
{
	struct epoll_event ev[64];
	double end = tt_now() + timeout_ms / 1000.0;
	int count = 0;

	memset(seen, 0, n * sizeof(*seen));
	while (count < n && tt_now() < end) {
		int k = epoll_wait(ep, ev, 64, 100);

		for (int i = 0; i < k; i++) {
			uint32_t idx = ev[i].data.u32;

			if ((ev[i].events & mask) && idx < (uint32_t)n && !seen[idx]) {
				seen[idx] = true;
				count++;
			}
		}
	}
	return count;
}

TEST_F(conn, epoll_100_connecting_clients)
{
	static int fd[NPOLL], peer[NPOLL];
	struct sockaddr_in a = tt_sin(TT_ADDR_B, PORT_LB);
	bool seen[NPOLL];
	int ep = epoll_create1(0), accepted = 0;

	ASSERT_LE(0, ep);
	tt_set_nonblock(self->lb, true);
	for (int i = 0; i < NPOLL; i++) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = i };

		fd[i] = tt_socket_in(TT_A, tt_family());
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, tt_set_nonblock(fd[i], true));
		errno = 0;
		ASSERT_EQ(-1, connect(fd[i], TT_SA(&a), sizeof(a)));
		ASSERT_EQ(EINPROGRESS, errno);
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev));
		peer[i] = -1;
	}
	/* every one becomes writable, connected */
	ASSERT_EQ(NPOLL, epoll_all(ep, NPOLL, EPOLLOUT, seen, 20000));
	for (int i = 0; i < NPOLL; i++)
		ASSERT_EQ(0, tt_so_error(fd[i]));

	/* Linux accepts them all; each peer sends its client's index */
	while (accepted < NPOLL) {
		int s = tt_accept(self->lb, 5000), port, i;
		unsigned char b;

		ASSERT_LE(0, s);
		port = tt_peer_port(s);
		for (i = 0; i < NPOLL; i++)
			if (tt_local_port(fd[i]) == port)
				break;
		ASSERT_GT(NPOLL, i) TH_LOG("accepted a stranger from port %d", port);
		ASSERT_EQ(-1, peer[i]);
		peer[i] = s;
		b = i;
		ASSERT_EQ(1, send(peer[i], &b, 1, 0));
		accepted++;
	}
	for (int i = 0; i < NPOLL; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = i };

		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, fd[i], &ev));
	}
	ASSERT_EQ(NPOLL, epoll_all(ep, NPOLL, EPOLLIN, seen, 20000));
	for (int i = 0; i < NPOLL; i++) {
		unsigned char b = 0xff;

		ASSERT_EQ(1, recv(fd[i], &b, 1, 0));
		EXPECT_EQ(i, b);
	}
	/* the peers close: every client sees EPOLLRDHUP and end of stream */
	for (int i = 0; i < NPOLL; i++)
		close(peer[i]);
	ASSERT_EQ(NPOLL, epoll_all(ep, NPOLL, EPOLLRDHUP, seen, 20000));
	for (int i = 0; i < NPOLL; i++) {
		char b;

		EXPECT_EQ(0, recv(fd[i], &b, 1, 0));
		close(fd[i]);
	}
	close(ep);
}

TEST_F(conn, epoll_listener_100_incoming)
{
	static int cl[NPOLL], srv[NPOLL];
	struct epoll_event ev[16];
	struct sockaddr_in a = tt_sin(TT_ADDR_A, PORT_LA);
	int l = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, PORT_LA, 128);
	int ep = epoll_create1(0), n = 0, got = 0;
	double end;

	ASSERT_LE(0, l);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, tt_set_nonblock(l, true));
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 1000 };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev[0]));
	for (int i = 0; i < NPOLL; i++) {
		cl[i] = tt_socket_in(TT_B, AF_INET);
		ASSERT_LE(0, cl[i]);
		ASSERT_EQ(0, tt_set_nonblock(cl[i], true));
		connect(cl[i], TT_SA(&a), sizeof(a));
	}
	/* accept all through epoll; each accepted socket joins the set */
	end = tt_now() + 30;
	while ((n < NPOLL || got < NPOLL) && tt_now() < end) {
		int k = epoll_wait(ep, ev, 16, 100);

		for (int j = 0; j < k; j++) {
			if (ev[j].data.u32 == 1000) {
				int s;

				while (n < NPOLL && (s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event e = { .events = EPOLLIN, .data.u32 = n };

					srv[n] = s;
					ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, s, &e));
					n++;
				}
				continue;
			}
			/* a client's index arrived on accepted socket data.u32 */
			{
				unsigned char b[2];
				uint32_t i = ev[j].data.u32;

				ASSERT_EQ(2, recv(srv[i], b, 2, MSG_WAITALL));
				EXPECT_EQ(tt_peer_port(srv[i]) & 0xff, b[0]);
				EXPECT_EQ(tt_peer_port(srv[i]) >> 8, b[1]);
				ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_DEL, srv[i], NULL));
				got++;
			}
		}
		/* clients send their own port once connected */
		for (int i = 0; i < NPOLL; i++) {
			if (cl[i] >= 0 && tt_poll1(cl[i], POLLOUT, 0) == POLLOUT) {
				int p = tt_local_port(cl[i]);
				unsigned char b[2] = { p & 0xff, p >> 8 };

				ASSERT_EQ(2, send(cl[i], b, 2, 0));
				close(cl[i]);
				cl[i] = -1;
			}
		}
	}
	EXPECT_EQ(NPOLL, n);
	EXPECT_EQ(NPOLL, got);
	for (int i = 0; i < n; i++)
		close(srv[i]);
	for (int i = 0; i < NPOLL; i++)
		if (cl[i] >= 0)
			close(cl[i]);
	close(l);
	close(ep);
}

/* ------------------------------------------------------------------ */
/* Many connections at once, each byte-exact */

#define NCONN 200
#define PER_CONN (64 * 1024)

/*
 * One connection of the many: the client first sends its 4-byte index,
 * then PER_CONN bytes of stream idx + 1; the server sends PER_CONN bytes of
 * stream idx + 100001 back once it knows the index. The client closes
 * first when all is through; the server then reads end-of-stream.
 */
struct mc {
	int fd;
	int32_t idx;		/* -1 until known (server) */
	unsigned char hdr[4];
	int hdr_done;
	uint64_t tx, rx;
	struct tt_gen gt, gr;
	uint8_t pend[4096];
	int pend_len, pend_off;
	bool bad, finished;
	bool rx_only;		/* all sent: no longer waiting for EPOLLOUT */
};

struct many_res {
	int done, bad;
	char err[200];
};

/* Drive one connection as far as it goes without blocking; 1 if it moved. */
static int mc_step(struct mc *m, bool server)
{
	uint8_t buf[4096], exp[4096];
	int moved = 0;
	ssize_t r;

	/* header */
	if (m->hdr_done < 4) {
		if (server)
			r = recv(m->fd, m->hdr + m->hdr_done, 4 - m->hdr_done, 0);
		else
			r = send(m->fd, m->hdr + m->hdr_done, 4 - m->hdr_done, MSG_NOSIGNAL);
		if (r > 0) {
			m->hdr_done += r;
			moved = 1;
		} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			m->bad = true;
			return 1;
		}
		if (m->hdr_done < 4)
			return moved;
		if (server) {
			memcpy(&m->idx, m->hdr, 4);
			if (m->idx < 0 || m->idx >= NCONN) {
				m->bad = true;
				return 1;
			}
		}
		tt_gen_init(server ? &m->gr : &m->gt, m->idx + 1);
		tt_gen_init(server ? &m->gt : &m->gr, m->idx + 100001);
	}
	/* send */
	while (m->tx < PER_CONN) {
		if (m->pend_off == m->pend_len) {
			m->pend_len = PER_CONN - m->tx < sizeof(m->pend) ? PER_CONN - m->tx
									  : sizeof(m->pend);
			tt_gen_fill(&m->gt, m->pend, m->pend_len);
			m->pend_off = 0;
		}
		r = send(m->fd, m->pend + m->pend_off, m->pend_len - m->pend_off, MSG_NOSIGNAL);
		if (r <= 0) {
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				m->bad = true;
			break;
		}
		m->pend_off += r;
		m->tx += r;
		moved = 1;
	}
	/* receive */
	while (m->rx < PER_CONN) {
		uint64_t want = PER_CONN - m->rx;

		r = recv(m->fd, buf, want < sizeof(buf) ? want : sizeof(buf), 0);
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				m->bad = true;
			break;
		}
		if (r == 0) {
			m->bad = true;
			break;
		}
		tt_gen_fill(&m->gr, exp, r);
		if (memcmp(buf, exp, r))
			m->bad = true;
		m->rx += r;
		moved = 1;
	}
	if (m->tx == PER_CONN && m->rx == PER_CONN && !m->bad) {
		if (!server) {
			m->finished = true;
		} else {
			char c;

			r = recv(m->fd, &c, 1, 0);
			if (r == 0)
				m->finished = true;
			else if (r > 0 || (errno != EAGAIN && errno != EINTR))
				m->bad = true;
		}
	}
	return moved || m->bad || m->finished;
}

/*
 * Run NCONN connections, as clients (connect to ip:port) or as the server
 * on listener lfd, with epoll; returns how many finished byte-exact.
 */
static void run_many(bool server, int fam, int lfd, const char *ip, int port,
		     struct many_res *res)
{
	static struct mc m[NCONN];
	struct sockaddr_in a = tt_sin(ip, port);
	struct epoll_event ev[64];
	int ep = epoll_create1(0), opened = 0, closed = 0;
	double last = tt_now(), stall = 30;

	memset(res, 0, sizeof(*res));
	memset(m, 0, sizeof(m));
	if (ep < 0) {
		snprintf(res->err, sizeof(res->err), "epoll_create1: %s", strerror(errno));
		return;
	}
	if (server) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = NCONN };

		tt_set_nonblock(lfd, true);
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
	} else {
		for (int i = 0; i < NCONN; i++) {
			struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.u32 = i };

			m[i].idx = i;
			memcpy(m[i].hdr, &m[i].idx, 4);
			m[i].fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (m[i].fd < 0 || (connect(m[i].fd, TT_SA(&a), sizeof(a)) &&
					    errno != EINPROGRESS)) {
				snprintf(res->err, sizeof(res->err), "client %d: %s", i,
					 strerror(errno));
				return;
			}
			epoll_ctl(ep, EPOLL_CTL_ADD, m[i].fd, &e);
		}
		opened = NCONN;
	}
	while (closed < NCONN) {
		int k = epoll_wait(ep, ev, 64, 200);

		if (tt_now() - last > stall) {
			snprintf(res->err, sizeof(res->err),
				 "%s: nothing moved for %.0f s; %d connections opened, %d closed",
				 server ? "server" : "client", stall, opened, closed);
			break;
		}
		for (int j = 0; j < k; j++) {
			uint32_t i = ev[j].data.u32;

			if (i == NCONN) {
				int s;

				while (opened < NCONN &&
				       (s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event e = { .events = EPOLLIN | EPOLLOUT,
								 .data.u32 = opened };

					m[opened].fd = s;
					m[opened].idx = -1;
					epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
					opened++;
					last = tt_now();
				}
				continue;
			}
			if (m[i].fd < 0 || m[i].finished)
				continue;
			if (mc_step(&m[i], server))
				last = tt_now();
			if (m[i].tx == PER_CONN && !m[i].rx_only) {
				struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

				epoll_ctl(ep, EPOLL_CTL_MOD, m[i].fd, &e);
				m[i].rx_only = true;
			}
			if (m[i].finished || m[i].bad) {
				if (m[i].finished && !m[i].bad)
					res->done++;
				else
					res->bad++;
				epoll_ctl(ep, EPOLL_CTL_DEL, m[i].fd, NULL);
				close(m[i].fd);
				m[i].fd = -1;
				m[i].finished = true;
				closed++;
			}
		}
	}
	for (int i = 0; i < NCONN; i++)
		if (m[i].fd > 0 && !m[i].finished)
			close(m[i].fd);
	close(ep);
	if (!res->err[0] && res->bad)
		snprintf(res->err, sizeof(res->err), "%d connections broke or differed", res->bad);
}

struct many_arg {
	bool server;
	int fam;
	const char *ip;
	int port;
};

static void many_child(void *argp, int ready, int resfd)
{
	struct many_arg *a = argp;
	struct many_res r;
	int l = -1;

	if (a->server) {
		l = tt_listen_in(TT_A, a->fam, a->ip, a->port, NCONN + 16);
		if (l < 0) {
			memset(&r, 0, sizeof(r));
			snprintf(r.err, sizeof(r.err), "listen: %s", strerror(errno));
			tt_write_full(resfd, &r, sizeof(r));
			return;
		}
	}
	tt_signal_ready(ready);
	run_many(a->server, a->fam, l, a->ip, a->port, &r);
	tt_write_full(resfd, &r, sizeof(r));
}

static void many(struct __test_metadata *_metadata, bool toy_server)
{
	struct many_arg peer = {
		.server = !toy_server, .fam = AF_INET,
		.ip = toy_server ? TT_ADDR_A : TT_ADDR_B, .port = 7000,
	};
	struct many_res mine, theirs;
	struct tt_child ch;
	int l = -1;
	double t0 = tt_now();

	if (toy_server) {
		l = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, 7000, NCONN + 16);
		ASSERT_LE(0, l) TH_LOG("listen: %s", strerror(errno));
	}
	ASSERT_EQ(0, tt_spawn(&ch, TT_B, 600, many_child, &peer));
	ASSERT_EQ(0, tt_child_ready(&ch, 10000));
	run_many(toy_server, tt_family(), l, peer.ip, 7000, &mine);
	ASSERT_EQ(0, tt_child_finish(&ch, &theirs, sizeof(theirs), 60000));
	printf("# %d connections x %d bytes each way in %.2f s\n", NCONN, PER_CONN,
	       tt_now() - t0);
	EXPECT_EQ(NCONN, mine.done) TH_LOG("under test: %s", mine.err);
	EXPECT_EQ(NCONN, theirs.done) TH_LOG("Linux peer: %s", theirs.err);
	if (l >= 0)
		close(l);
}

TEST_F_TIMEOUT(conn, concurrent_200_toy_clients_64k, 300)
{
	many(_metadata, false);
}

TEST_F_TIMEOUT(conn, concurrent_200_toy_server_64k, 300)
{
	many(_metadata, true);
}

TEST_HARNESS_MAIN
