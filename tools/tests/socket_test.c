// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: the AF_TOYTCP family and socket creation (the seed's socket
 * stage). Runs inside a VM with toytcp.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/toytcp.h>

#include "kselftest_harness.h"


/* The family in use: the module parameter, which may differ from AF_TOYTCP. */
static int family(void)
{
	FILE *f = fopen(TOYTCP_FAMILY_PATH, "r");
	int fam = -1;

	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = -1;
		fclose(f);
	}
	return fam;
}

TEST(family_parameter_is_the_header_default)
{
	ASSERT_EQ(AF_TOYTCP, family());
	ASSERT_EQ(PF_TOYTCP, AF_TOYTCP);
}

TEST(stream_protocol_zero_and_tcp)
{
	int protos[] = { 0, IPPROTO_TCP };

	for (int i = 0; i < 2; i++) {
		int fd = socket(family(), SOCK_STREAM, protos[i]);

		ASSERT_LE(0, fd) TH_LOG("protocol %d: %s", protos[i], strerror(errno));
		ASSERT_EQ(0, close(fd));
	}
}

TEST(type_flags_are_honoured)
{
	int fd = socket(family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

/* The errno Linux gives for AF_INET with the same arguments. */
TEST(bad_type_and_protocol)
{
	static const struct { int type, proto, err; } t[] = {
		{ SOCK_DGRAM, 0, ESOCKTNOSUPPORT },
		{ SOCK_SEQPACKET, 0, ESOCKTNOSUPPORT },
		{ SOCK_RDM, 0, ESOCKTNOSUPPORT },
		{ SOCK_STREAM, IPPROTO_UDP, EPROTONOSUPPORT },
		{ SOCK_STREAM, IPPROTO_SCTP, EPROTONOSUPPORT },
		{ SOCK_STREAM, -1, EINVAL },
		{ SOCK_STREAM, 1000, EINVAL },
		{ 42, 0, EINVAL },
	};

	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, socket(family(), t[i].type, t[i].proto));
		EXPECT_EQ(t[i].err, errno)
			TH_LOG("type %d proto %d: got %s", t[i].type, t[i].proto,
			       strerror(errno));
	}
}

TEST(generic_socket_options)
{
	int fd = socket(family(), SOCK_STREAM, 0);
	int v;
	socklen_t len = sizeof(v);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(SOCK_STREAM, v);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len));
	EXPECT_EQ(family(), v);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(IPPROTO_TCP, v);
	close(fd);
}

/* A fresh, unconnected TCP socket polls as POLLOUT | POLLHUP on Linux. */
TEST(poll_fresh_socket)
{
	struct pollfd p = { .events = POLLIN | POLLOUT | POLLRDHUP };

	p.fd = socket(family(), SOCK_STREAM, 0);
	ASSERT_LE(0, p.fd);
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT | POLLHUP, p.revents);
	close(p.fd);
}

/* Many control blocks come and go; /proc/net/protocols counts them. */
static long inuse(void)
{
	FILE *f = fopen("/proc/net/protocols", "r");
	char line[512], name[64];
	long size, n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %ld", name, &size, &n) == 3 &&
		    !strcmp(name, "TOYTCP"))
			break;
		else
			n = -1;
	fclose(f);
	return n;
}

TEST(many_sockets_counted_and_freed)
{
	enum { N = 1000 };
	static int fds[N];
	long before;

	/* a namespace of our own: no other test's sockets come and go in it */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	before = inuse();

	ASSERT_LE(0, before);
	for (int i = 0; i < N; i++) {
		fds[i] = socket(family(), SOCK_STREAM, 0);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(before + N, inuse());
	for (int i = 0; i < N; i++)
		close(fds[i]);
	/* a control block is freed an RCU grace period after close */
	for (int i = 0; i < 100 && inuse() != before; i++)
		usleep(20000);
	EXPECT_EQ(before, inuse());
}

TEST(rmmod_refused_while_a_socket_exists)
{
	int fd = socket(family(), SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	EXPECT_NE(0, system("rmmod toytcp 2>/dev/null"));
	EXPECT_EQ(0, access("/sys/module/toytcp", F_OK));
	close(fd);
}

TEST_HARNESS_MAIN
