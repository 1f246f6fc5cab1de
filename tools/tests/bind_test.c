// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: ports. toytcp and Linux TCP never share one, in either order;
 * a closed socket gives its port back; binds between sockets of the family
 * under test follow Linux's rules (SO_REUSEADDR included), checked against
 * AF_INET doing the same; listen() asks the rule again, as Linux's does;
 * SO_REUSEPORT listeners share a port and its connections; ports below 1024 need CAP_NET_BIND_SERVICE; and
 * two network namespaces do not see each other's sockets or ports.
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

FIXTURE(ports) {
	int unused;
};

FIXTURE_SETUP(ports)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}

FIXTURE_TEARDOWN(ports)
{
	tt_kill_children();
	tt_net_down();
}

/* A socket of fam bound to ip:port (listening if listening); -1 with errno. */
static int bound(int fam, const char *ip, int port, bool reuse, bool listening)
{
	struct sockaddr_in a = tt_sin(ip, port);
	int one = 1, fd = tt_socket_in(TT_A, fam), err;

	if (fd < 0)
		return -1;
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (bind(fd, TT_SA(&a), sizeof(a)))
		goto fail;
	if (listening && listen(fd, 4))
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* errno of binding a second socket (fam2) while the first (fam1) holds the port */
static int second_bind(int fam1, const char *ip1, bool reuse1, bool listen1,
		       int fam2, const char *ip2, bool reuse2, int port)
{
	int a = bound(fam1, ip1, port, reuse1, listen1), b, err;

	if (a < 0)
		return -1000 - errno;	/* the first one must work */
	b = bound(fam2, ip2, port, reuse2, false);
	err = b < 0 ? errno : 0;
	if (b >= 0)
		close(b);
	close(a);
	return err;
}

struct conflict {
	const char *ip1;
	bool reuse1, listen1;
	const char *ip2;
	bool reuse2;
};

static const struct conflict conflicts[] = {
	{ "0.0.0.0", false, true, "0.0.0.0", false },
	{ "0.0.0.0", true, true, "0.0.0.0", true },
	{ "0.0.0.0", false, true, TT_ADDR_A, false },
	{ TT_ADDR_A, false, true, "0.0.0.0", false },
	{ TT_ADDR_A, false, true, TT_ADDR_A, true },
	{ "0.0.0.0", false, false, "0.0.0.0", false },
	{ TT_ADDR_A, false, false, TT_ADDR_A, false },
};

#define NCONFLICTS (sizeof(conflicts) / sizeof(conflicts[0]))

/* A port held by one stack is EADDRINUSE for the other, every way round. */
TEST_F(ports, toytcp_bind_on_a_linux_tcp_port)
{
	for (unsigned int i = 0; i < NCONFLICTS; i++) {
		const struct conflict *c = &conflicts[i];

		EXPECT_EQ(EADDRINUSE, second_bind(AF_INET, c->ip1, c->reuse1, c->listen1,
						  tt_family(), c->ip2, c->reuse2, 7100 + i))
			TH_LOG("Linux TCP on %s (%s%s), then %s on %s", c->ip1,
			       c->listen1 ? "listening" : "bound",
			       c->reuse1 ? ", SO_REUSEADDR" : "", tt_fam_name(tt_family()), c->ip2);
	}
}

TEST_F(ports, linux_tcp_bind_on_a_toytcp_port)
{
	for (unsigned int i = 0; i < NCONFLICTS; i++) {
		const struct conflict *c = &conflicts[i];

		EXPECT_EQ(EADDRINUSE, second_bind(tt_family(), c->ip1, c->reuse1, c->listen1,
						  AF_INET, c->ip2, c->reuse2, 7150 + i))
			TH_LOG("%s on %s (%s%s), then Linux TCP on %s",
			       tt_fam_name(tt_family()), c->ip1,
			       c->listen1 ? "listening" : "bound",
			       c->reuse1 ? ", SO_REUSEADDR" : "", c->ip2);
	}
}

/* Both SO_REUSEADDR, neither listening: Linux lets two TCP sockets share; not across stacks. */
TEST_F(ports, no_sharing_across_stacks_even_with_so_reuseaddr)
{
	if (tt_inet_mode())
		SKIP(return, "two AF_INET sockets may share here");
	EXPECT_EQ(EADDRINUSE, second_bind(AF_INET, "0.0.0.0", true, false,
					  tt_family(), "0.0.0.0", true, 7190));
	EXPECT_EQ(EADDRINUSE, second_bind(tt_family(), "0.0.0.0", true, false,
					  AF_INET, "0.0.0.0", true, 7191));
}

/* Among sockets of one family: whatever Linux says for AF_INET. */
TEST_F(ports, same_family_bind_rules_as_linux)
{
	for (int reuse = 0; reuse < 4; reuse++)
		for (unsigned int i = 0; i < NCONFLICTS; i++) {
			const struct conflict *c = &conflicts[i];
			int port = 7200 + reuse * 10 + i;
			int ref = second_bind(AF_INET, c->ip1, reuse & 1, c->listen1,
					      AF_INET, c->ip2, reuse & 2, port);
			int got = second_bind(tt_family(), c->ip1, reuse & 1, c->listen1,
					      tt_family(), c->ip2, reuse & 2, port + 100);

			EXPECT_EQ(ref, got)
				TH_LOG("%s (%s, reuse %d) then %s (reuse %d): Linux %s, got %s",
				       c->ip1, c->listen1 ? "listening" : "bound", reuse & 1,
				       c->ip2, !!(reuse & 2), strerrorname_np(ref) ?: "0",
				       strerrorname_np(got) ?: "0");
		}
}

/*
 * Bind fam to port (and listen), retrying for up to 3 s; returns the fd (or
 * -1), in *retries how many tries failed first and in *ms how long it took.
 * Only the first try counts for the verdict: Linux frees a port in close();
 * the retries just tell how late it came free.
 */
static int bind_retrying(int fam, int port, int *retries, int *ms)
{
	double t0 = tt_now();
	int fd;

	*retries = 0;
	do {
		fd = bound(fam, "0.0.0.0", port, false, true);
		*ms = (int)((tt_now() - t0) * 1000);
		if (fd >= 0 || errno != EADDRINUSE)
			return fd;
		(*retries)++;
		tt_msleep(20);
	} while (tt_now() - t0 < 3);
	return -1;
}

/* Closing gives the port back at once, to either stack. */
TEST_F(ports, closed_socket_frees_its_port)
{
	int fd, ms, retries;

	for (int i = 0; i < 2; i++) {
		int first = i ? AF_INET : tt_family(), then = i ? tt_family() : AF_INET;

		fd = bound(first, "0.0.0.0", 7300 + i, false, true);
		ASSERT_LE(0, fd);
		close(fd);
		fd = bind_retrying(then, 7300 + i, &retries, &ms);
		EXPECT_LE(0, fd) TH_LOG("%s still refused port %d 3 s after %s closed it",
					tt_fam_name(then), 7300 + i, tt_fam_name(first));
		EXPECT_EQ(0, retries)
			TH_LOG("%s got the port only %d ms (%d tries) after %s closed it",
			       tt_fam_name(then), ms, retries + 1, tt_fam_name(first));
		if (fd >= 0)
			close(fd);
	}
	/* and the same stack again */
	fd = bound(tt_family(), "0.0.0.0", 7302, false, true);
	ASSERT_LE(0, fd);
	close(fd);
	fd = bind_retrying(tt_family(), 7302, &retries, &ms);
	EXPECT_LE(0, fd);
	EXPECT_EQ(0, retries) TH_LOG("rebound only after %d ms", ms);
	if (fd >= 0)
		close(fd);
}

/* An ephemeral port is picked at bind(port 0), and at connect() without bind. */
TEST_F(ports, ephemeral_ports)
{
	int a = bound(tt_family(), TT_ADDR_A, 0, false, false);
	int l = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, 7400, 4);
	int c = tt_socket_in(TT_A, tt_family());
	int held;

	ASSERT_LE(0, a);
	ASSERT_LE(0, l);
	ASSERT_LE(0, c);
	EXPECT_NE(0, tt_local_port(a));
	/* the picked port is taken: Linux TCP cannot have it */
	held = bound(AF_INET, "0.0.0.0", tt_local_port(a), false, false);
	EXPECT_EQ(-1, held);
	EXPECT_EQ(EADDRINUSE, errno);
	if (held >= 0)
		close(held);
	ASSERT_EQ(0, tt_connect(c, TT_ADDR_B, 7400, 5000));
	EXPECT_NE(0, tt_local_port(c));
	EXPECT_NE(tt_local_port(a), tt_local_port(c));
	close(a);
	close(c);
	close(l);
}

/* In a child without privileges: bind to 80 / 8080 for fam. */
static void low_port_child(void *arg, int ready, int resfd)
{
	int *fams = arg, res[4];

	(void)ready;
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(97);
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in lo = tt_sin(TT_ADDR_A, 80), hi = tt_sin(TT_ADDR_A, 8080 + i);
		int fd = socket(fams[i], SOCK_STREAM, 0);
		int fd2 = socket(fams[i], SOCK_STREAM, 0);

		res[2 * i] = ERRNO_OF(bind(fd, TT_SA(&lo), sizeof(lo)));
		res[2 * i + 1] = ERRNO_OF(bind(fd2, TT_SA(&hi), sizeof(hi)));
		close(fd);
		close(fd2);
	}
	tt_write_full(resfd, res, sizeof(res));
}

TEST_F(ports, low_ports_need_cap_net_bind_service)
{
	int fams[2] = { AF_INET, tt_family() }, res[4];
	struct tt_child ch;
	int fd;

	ASSERT_EQ(0, tt_spawn(&ch, TT_A, 30, low_port_child, fams));
	ASSERT_EQ(0, tt_child_finish(&ch, res, sizeof(res), 20000));
	EXPECT_EQ(EACCES, res[0]);
	EXPECT_EQ(0, res[1]);
	EXPECT_EQ(res[0], res[2]) TH_LOG("port 80 without privileges");
	EXPECT_EQ(res[1], res[3]) TH_LOG("port 8081 without privileges");
	/* root may */
	fd = bound(tt_family(), TT_ADDR_A, 80, false, true);
	EXPECT_LE(0, fd) TH_LOG("root, port 80: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */
/* SO_REUSEPORT */

/*
 * SO_REUSEPORT on: for toytcp as TOYTCP_REUSEPORT (Linux 6.1 takes the
 * SOL_SOCKET option from AF_INET and AF_INET6 only); either way the socket
 * core's getsockopt(SO_REUSEPORT) reads it back. 0 or -1 with errno.
 */
static int set_reuseport(int fd, int fam)
{
	int one = 1, v = 0;
	socklen_t l = sizeof(v);

	if (fam == AF_INET ? setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) :
	    setsockopt(fd, IPPROTO_TCP, TOYTCP_REUSEPORT, &one, sizeof(one)))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &l) || v != 1) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* A listener of fam on 0.0.0.0:port, with SO_REUSEPORT if asked; -1 with errno. */
static int reuseport_listener(int fam, int port, bool reuseport)
{
	struct sockaddr_in a = tt_sin("0.0.0.0", port);
	int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0), err;

	if (fd < 0)
		return -1;
	if ((reuseport && set_reuseport(fd, fam)) ||
	    bind(fd, TT_SA(&a), sizeof(a)) || listen(fd, 64)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* In a child as another user: a SO_REUSEPORT listener on the port in *arg. */
static void other_user_child(void *arg, int ready, int resfd)
{
	int *a = arg, res;

	(void)ready;
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(97);
	res = reuseport_listener(a[0], a[1], true) < 0 ? errno : 0;
	tt_write_full(resfd, &res, sizeof(res));
}

/* Accept from both listeners until n connections came or 10 s passed. */
static void accept_spread(int l[2], int n, int got[2])
{
	double t0 = tt_now();
	int fd;

	got[0] = got[1] = 0;
	while (got[0] + got[1] < n && tt_now() - t0 < 10) {
		bool any = false;

		for (int k = 0; k < 2; k++) {
			if (l[k] < 0)
				continue;
			while ((fd = accept(l[k], NULL, NULL)) >= 0) {
				got[k]++;
				any = true;
				close(fd);
			}
		}
		if (!any)
			tt_msleep(10);
	}
}

/*
 * SO_REUSEPORT, for the family under test and for AF_INET alike: two
 * listeners that both set it share 0.0.0.0:port; one without it, or of
 * another user, is refused (EADDRINUSE); 32 connections from B are each
 * accepted once, by both listeners between them (all 32 on one would
 * happen once in 2^31); with one listener closed, the other takes every
 * new connection.
 */
TEST_F(ports, so_reuseport_listeners_share_connections)
{
	int fams[2] = { AF_INET, tt_family() };

	for (int f = 0; f < 2; f++) {
		int fam = fams[f], port = 7600 + f, l[2], got[2], child_arg[2] = { fam, port };
		const char *name = tt_fam_name(fam);
		struct tt_child ch;
		int c[40], res = -1;

		l[0] = reuseport_listener(fam, port, true);
		ASSERT_LE(0, l[0]) TH_LOG("%s: %s", name, strerror(errno));
		l[1] = reuseport_listener(fam, port, true);
		ASSERT_LE(0, l[1]) TH_LOG("%s, second SO_REUSEPORT listener: %s", name,
					  strerror(errno));
		EXPECT_EQ(-1, reuseport_listener(fam, port, false));
		EXPECT_EQ(EADDRINUSE, errno) TH_LOG("%s: without SO_REUSEPORT", name);
		ASSERT_EQ(0, tt_spawn(&ch, TT_A, 30, other_user_child, child_arg));
		ASSERT_EQ(0, tt_child_finish(&ch, &res, sizeof(res), 20000));
		EXPECT_EQ(EADDRINUSE, res) TH_LOG("%s: another user's listener", name);

		for (int i = 0; i < 32; i++) {
			c[i] = tt_socket_in(TT_B, AF_INET);
			ASSERT_EQ(0, tt_connect(c[i], TT_ADDR_A, port, 5000));
		}
		accept_spread(l, 32, got);
		EXPECT_EQ(32, got[0] + got[1]) TH_LOG("%s: %d + %d accepted", name, got[0], got[1]);
		EXPECT_LT(0, got[0]) TH_LOG("%s: %d + %d accepted", name, got[0], got[1]);
		EXPECT_LT(0, got[1]) TH_LOG("%s: %d + %d accepted", name, got[0], got[1]);

		close(l[0]);
		l[0] = -1;
		for (int i = 32; i < 40; i++) {
			c[i] = tt_socket_in(TT_B, AF_INET);
			ASSERT_EQ(0, tt_connect(c[i], TT_ADDR_A, port, 5000));
		}
		accept_spread(l, 8, got);
		EXPECT_EQ(8, got[1]) TH_LOG("%s: the listener left accepted %d of 8", name,
					    got[1]);
		for (int i = 0; i < 40; i++)
			close(c[i]);
		close(l[1]);
	}
}

/* SO_REUSEPORT off again on fd (a toytcp socket: TOYTCP_REUSEPORT). */
static int clear_reuseport(int fd, int fam)
{
	int zero = 0;

	return fam == AF_INET ? setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &zero, sizeof(zero)) :
	       setsockopt(fd, IPPROTO_TCP, TOYTCP_REUSEPORT, &zero, sizeof(zero));
}

/*
 * Two sockets of fam bound to 0.0.0.0:port: the errno of the second's
 * listen() (0 if it worked), or -1000 - errno if a step before it failed.
 * how: 0, both with SO_REUSEADDR, the first listening; 1, both
 * with SO_REUSEPORT, the second's cleared after bind(), and the first only
 * stays bound. (With the first listening too, Linux lets the first listen
 * because its port keeps a note of SO_REUSEPORT as it was at bind() time;
 * toytcp asks the sockets as they are now and refuses it already.)
 */
static int second_listen(int fam, int port, int how)
{
	struct sockaddr_in sa = tt_sin("0.0.0.0", port);
	int fd[2] = { -1, -1 }, rc = 0, one = 1;

	for (int i = 0; i < 2 && !rc; i++) {
		fd[i] = tt_socket_in(TT_A, fam);
		if (fd[i] < 0 ||
		    (how == 0 && setsockopt(fd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
		    (how > 0 && set_reuseport(fd[i], fam)) ||
		    bind(fd[i], TT_SA(&sa), sizeof(sa)))
			rc = -1000 - errno;
	}
	if (!rc && how > 0 && clear_reuseport(fd[1], fam))
		rc = -1000 - errno;
	if (!rc && how == 0 && listen(fd[0], 4))
		rc = -1000 - errno;
	if (!rc && listen(fd[1], 4))
		rc = errno;
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return rc;
}

TEST_F(ports, listen_checks_the_port_again)
{
	static const char *const how[] = {
		"SO_REUSEADDR on both, the first listening",
		"SO_REUSEPORT on both, cleared on one after bind()",
	};

	for (int i = 0; i < 2; i++) {
		int ref = second_listen(AF_INET, 7700 + i, i);
		int got = second_listen(tt_family(), 7710 + i, i);

		EXPECT_EQ(EADDRINUSE, ref) TH_LOG("Linux, %s: %d", how[i], ref);
		EXPECT_EQ(ref, got) TH_LOG("%s: second listen(): Linux %d, got %d", how[i],
					   ref, got);
	}
}

/* ------------------------------------------------------------------ */
/* Namespaces */

/* Is there a LISTEN entry on port in path, seen from namespace which? */
static int listening_on(int which, const char *path, int port)
{
	static struct tt_proc_ent e[256];
	int n, found = 0;

	if (which != TT_A && tt_enter(which))
		return -1;
	n = tt_proc_read(path, e, 256, NULL, 0);
	if (which != TT_A)
		tt_enter(TT_A);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (e[i].lport == port && e[i].st == TCP_LISTEN)
			found = 1;
	return found;
}

TEST_F(ports, namespaces_do_not_share_sockets_or_ports)
{
	struct sockaddr_in a = tt_sin("0.0.0.0", 7500);
	int la = tt_listen_in(TT_A, tt_family(), "0.0.0.0", 7500, 4);
	int lb, cb, err;

	ASSERT_LE(0, la);
	EXPECT_EQ(1, listening_on(TT_A, tt_proc_path(), 7500));
	EXPECT_EQ(0, listening_on(TT_B, tt_proc_path(), 7500));

	/* B can connect to nothing on its own 127.0.0.1:7500 */
	cb = tt_socket_in(TT_B, tt_family());
	ASSERT_LE(0, cb);
	tt_enter(TT_B);
	err = tt_connect(cb, TT_LOOP, 7500, 5000) ? errno : 0;
	tt_enter(TT_A);
	EXPECT_EQ(ECONNREFUSED, err);
	close(cb);

	/* B may take the same port, for either stack */
	lb = tt_socket_in(TT_B, tt_family());
	ASSERT_LE(0, lb);
	EXPECT_EQ(0, bind(lb, TT_SA(&a), sizeof(a))) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, listen(lb, 4));
	EXPECT_EQ(1, listening_on(TT_B, tt_proc_path(), 7500));
	close(lb);
	lb = tt_socket_in(TT_B, AF_INET);
	ASSERT_LE(0, lb);
	EXPECT_EQ(0, bind(lb, TT_SA(&a), sizeof(a))) TH_LOG("%s", strerror(errno));
	close(lb);
	close(la);
	EXPECT_EQ(0, listening_on(TT_A, tt_proc_path(), 7500));
}

/* A connection in A is not in B's table, and B's sockets cannot reach A's loopback. */
TEST_F(ports, connections_stay_in_their_namespace)
{
	int l = tt_listen_in(TT_A, tt_family(), TT_LOOP, 7600, 4);
	int c = tt_socket_in(TT_A, tt_family()), s, cport;

	ASSERT_LE(0, l);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, tt_connect(c, TT_LOOP, 7600, 5000));
	s = tt_accept(l, 5000);
	ASSERT_LE(0, s);
	cport = tt_local_port(c);
	EXPECT_EQ(TCP_ESTABLISHED, tt_proc_state(TT_A, tt_proc_path(), cport, 7600));
	EXPECT_EQ(0, tt_proc_state(TT_B, tt_proc_path(), cport, 7600));
	close(c);
	close(s);
	close(l);
}

TEST_HARNESS_MAIN
