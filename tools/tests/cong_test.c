// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 10): TCP_CONGESTION on toytcp's sockets, as on Linux's.
 *
 *  names     a new socket has cubic (the module parameter "congestion",
 *            Linux's default too); "reno" and "cubic" round-trip through
 *            setsockopt and getsockopt; an unknown name is ENOENT and
 *            leaves the algorithm as it was; an empty one is EINVAL; a
 *            short getsockopt buffer gets the name cut, and that length
 *            back.
 *  inherit   the children of a listener set to reno are reno, and may
 *            change theirs without changing the listener's.
 *
 * TOYTCP_TEST_FAMILY=inet runs it on Linux TCP (checks the test; the
 * default is then net.ipv4.tcp_congestion_control's).
 */
#include <netinet/tcp.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT 5303

static int set_cc(int fd, const char *name, socklen_t len)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, len);
}

/* The socket's algorithm, "" if getsockopt failed. */
static const char *cc_of(int fd)
{
	static char name[32];
	socklen_t len = sizeof(name);

	memset(name, 0, sizeof(name));
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len))
		return "";
	return name;
}

/* What a new socket gets. */
static const char *default_cc(void)
{
	static char name[32];
	FILE *f;

	if (!tt_inet_mode())
		return "cubic";
	f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "r");
	if (!f || !fgets(name, sizeof(name), f))
		strcpy(name, "?");
	if (f)
		fclose(f);
	name[strcspn(name, "\n")] = 0;
	return name;
}

FIXTURE(cc) { int fd; };
FIXTURE_SETUP(cc)
{
	self->fd = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}
FIXTURE_TEARDOWN(cc)
{
	if (self->fd >= 0)
		close(self->fd);
	tt_net_down();
}

TEST_F(cc, names)
{
	char buf[16];
	socklen_t len = 3;

	self->fd = tt_socket_in(TT_A, tt_family());
	ASSERT_LE(0, self->fd);
	EXPECT_STREQ(default_cc(), cc_of(self->fd));

	ASSERT_EQ(0, set_cc(self->fd, "reno", 4));
	EXPECT_STREQ("reno", cc_of(self->fd));
	/* a length past the name's NUL reads up to the NUL, as Linux */
	ASSERT_EQ(0, set_cc(self->fd, "cubic", 6));
	EXPECT_STREQ("cubic", cc_of(self->fd));

	EXPECT_EQ(-1, set_cc(self->fd, "no-such-cc", 10));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_STREQ("cubic", cc_of(self->fd));
	EXPECT_EQ(-1, set_cc(self->fd, "", 0));
	EXPECT_EQ(EINVAL, errno);
	/* a prefix is no name */
	EXPECT_EQ(-1, set_cc(self->fd, "cubic", 3));
	EXPECT_EQ(ENOENT, errno);

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(0, getsockopt(self->fd, IPPROTO_TCP, TCP_CONGESTION, buf, &len));
	EXPECT_EQ(3, (int)len);
	EXPECT_EQ(0, memcmp(buf, "cubx", 4));
}

TEST_F(cc, inherit)
{
	int lfd, cfd = -1, sfd = -1;

	lfd = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, PORT, 4);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, set_cc(lfd, "reno", 4));
	ASSERT_EQ(0, tt_pair_via(lfd, TT_B, AF_INET, TT_ADDR_A, PORT, &cfd, &sfd));
	EXPECT_STREQ("reno", cc_of(sfd));
	/* the child's own from then on */
	ASSERT_EQ(0, set_cc(sfd, "cubic", 5));
	EXPECT_STREQ("cubic", cc_of(sfd));
	EXPECT_STREQ("reno", cc_of(lfd));
	close(cfd);
	close(sfd);
	close(lfd);
}

TEST_HARNESS_MAIN
