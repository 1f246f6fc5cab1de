// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 8, test 7): the IP-level socket options real programs
 * set, each done by a socket of the family under test and by an AF_INET
 * TCP socket side by side in the same run, with the same outcome expected:
 *
 *  - IP_TOS and IP_TTL: every segment of the connection carries them in a
 *    capture (tcpdump in the peer's namespace), for a client and for the
 *    children of a listener that set them;
 *  - SO_MARK: an iptables -m mark rule in OUTPUT counts the segments, and
 *    `ip rule add fwmark` sends them by another route (another link);
 *  - SO_BINDTODEVICE: a client goes out the device it is bound to although
 *    the main route says the other one; a listener bound to a device takes
 *    connections that arrive on it and refuses those from the other;
 *  - TCP_SYNCNT 1: connect() to a port whose SYNs are dropped gives up
 *    after about 3 s;
 *  - IP_BIND_ADDRESS_NO_PORT: bind() keeps the port 0, connect() or
 *    listen() picks one on the bound address;
 *  - IP_FREEBIND / IP_TRANSPARENT: bind() to an address that is not local;
 *    a transparent socket's SYN leaves from it; without CAP_NET_RAW and
 *    CAP_NET_ADMIN, IP_TRANSPARENT is EPERM;
 *  - errno and values of bad settings and short lengths, row by row.
 *
 * Two links join A and B:
 *
 *   A ttveth_a  198.18.0.1/24 <--> 198.18.0.2/24 ttveth_b  B
 *   A ttveth2_a 198.18.1.1/24 <--> 198.18.1.2/24 ttveth2_b B
 *
 * and B owns 198.18.2.2 (on lo), which A reaches by the first link (main
 * table, metric 10) or by the second (metric 20, and table 100, which
 * packets marked 42 look up where the kernel has policy routing).
 */
#include <linux/capability.h>
#include <net/if.h>
#include <sys/syscall.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define IF2_A		"ttveth2_a"
#define IF2_B		"ttveth2_b"
#define ADDR2_A		"198.18.1.1"
#define ADDR2_B		"198.18.1.2"
#define ADDR_FAR	"198.18.2.2"	/* B's, by either link */
#define ADDR_FOREIGN	"198.18.9.9"	/* nobody's */
#define MARK		42
#define CAP_FILE	"/tmp/ipopt_capture.txt"
#define CAP_PID		"/tmp/ipopt_capture.pid"

/* Both families, the one under test first. */
static int fams[2];

FIXTURE(ipopt) {
	bool capturing;
	bool policy;	/* ip rule works (CONFIG_IP_MULTIPLE_TABLES) */
};

FIXTURE_SETUP(ipopt)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	fams[0] = tt_family();
	fams[1] = AF_INET;
	ASSERT_EQ(0, tt_net_up());
	ASSERT_EQ(0, tt_sh("set -e\n"
			   "ip link add " IF2_A " netns " TT_NS_A " type veth peer name "
			   IF2_B " netns " TT_NS_B "\n"
			   "ip -n " TT_NS_A " -b - <<EOF\n"
			   "addr add " ADDR2_A "/24 dev " IF2_A "\n"
			   "link set " IF2_A " up\n"
			   "route add " ADDR_FAR " via " TT_ADDR_B " dev " TT_IF_A " metric 10\n"
			   "route add " ADDR_FAR " via " ADDR2_B " dev " IF2_A " metric 20\n"
			   "EOF\n"
			   "ip -n " TT_NS_B " -b - <<EOF\n"
			   "addr add " ADDR2_B "/24 dev " IF2_B "\n"
			   "link set " IF2_B " up\n"
			   "addr add " ADDR_FAR "/32 dev lo\n"
			   "EOF\n"));
	/*
	 * Without policy routing (the debug kernel) there is no table 100:
	 * a route added to it would land in the main table.
	 */
	self->policy = !tt_sh("ip -n " TT_NS_A " rule add fwmark %d lookup 100 2>/dev/null",
			      MARK);
	if (self->policy)
		ASSERT_EQ(0, tt_sh("ip -n " TT_NS_A " route add " ADDR_FAR " via " ADDR2_B
				   " dev " IF2_A " table 100"));
}

FIXTURE_TEARDOWN(ipopt)
{
	if (self->capturing)
		tt_sh("kill $(cat " CAP_PID ") 2>/dev/null");
	tt_kill_children();
	tt_net_down();
}

/* iptables in namespace A or B */
#define IPT_A(args, ...) tt_sh("ip netns exec " TT_NS_A " iptables -w " args, ##__VA_ARGS__)
#define IPT_B(args, ...) tt_sh("ip netns exec " TT_NS_B " iptables -w " args, ##__VA_ARGS__)

/* Packets counted by the first rule of chain in ns that says what:port ("dpt:7410"). */
static long rule_count(const char *ns, const char *chain, const char *what, int port)
{
	char cmd[256], line[512], key[32];
	long n = -1, v;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s iptables -w -nvxL %s", ns, chain);
	snprintf(key, sizeof(key), "%s:%d", what, port);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *k = strstr(line, key);

		/* "dpt:7410" must not match "dpt:74100" */
		if (k && (k[strlen(key)] == ' ' || k[strlen(key)] == '\n') &&
		    sscanf(line, "%ld", &v) == 1) {
			n = v;
			break;
		}
	}
	pclose(p);
	return n;
}

static int local_addr(int fd, char *ip, size_t len, int *port)
{
	struct sockaddr_in s;
	socklen_t sl = sizeof(s);

	if (getsockname(fd, TT_SA(&s), &sl))
		return -1;
	inet_ntop(AF_INET, &s.sin_addr, ip, len);
	*port = ntohs(s.sin_port);
	return 0;
}

static int set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

static int get_int(int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len))
		return -12345;
	return v;
}

/* A few bytes both ways and an orderly close: a whole connection's worth. */
static int exchange(int c, int s)
{
	char buf[16];

	if (send(c, "ping", 4, 0) != 4 || tt_read_full(s, buf, 4, 5000) ||
	    send(s, "pong", 4, 0) != 4 || tt_read_full(c, buf, 4, 5000))
		return -1;
	shutdown(c, SHUT_WR);
	if (tt_poll1(s, POLLIN, 5000) <= 0 || recv(s, buf, sizeof(buf), 0) != 0)
		return -1;
	close(s);
	tt_poll1(c, POLLIN, 5000);
	close(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* IP_TOS, IP_TTL */

/* tcpdump in B on the first link, started and listening; 0 on success. */
static int capture_start(void)
{
	int i;

	unlink(CAP_FILE);
	if (tt_sh("ip netns exec " TT_NS_B " tcpdump -i " TT_IF_B " -nn -v -l tcp "
		  ">" CAP_FILE " 2>" CAP_FILE ".err & echo $! >" CAP_PID))
		return -1;
	for (i = 0; i < 100; i++) {
		if (!tt_sh("grep -q 'listening on' " CAP_FILE ".err"))
			return 0;
		tt_msleep(100);
	}
	return -1;
}

static void capture_stop(void)
{
	tt_msleep(300);
	tt_sh("kill -INT $(cat " CAP_PID "); i=0; "
	      "while kill -0 $(cat " CAP_PID ") 2>/dev/null && [ $i -lt 50 ]; do "
	      "sleep 0.1; i=$((i+1)); done");
}

/*
 * Segments in the capture from A (198.18.0.1) that involve port: how many,
 * and how many with this tos and ttl.
 */
static void capture_count(int port, int tos, int ttl, int *all, int *match)
{
	char line[512];
	int t = -1, l = -1;
	FILE *f = fopen(CAP_FILE, "r");

	*all = *match = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " IP (tos 0x");
		unsigned int a[4], b[4];
		int sp, dp;

		if (p) {
			if (sscanf(p, " IP (tos 0x%x", &t) != 1)
				t = -1;
			p = strstr(p, "ttl ");
			if (!p || sscanf(p, "ttl %d", &l) != 1)
				l = -1;
			continue;
		}
		if (sscanf(line, " %u.%u.%u.%u.%d > %u.%u.%u.%u.%d:", &a[0], &a[1], &a[2],
			   &a[3], &sp, &b[0], &b[1], &b[2], &b[3], &dp) != 10)
			continue;
		if (a[0] != 198 || a[1] != 18 || a[2] != 0 || a[3] != 1)
			continue;
		if (sp != port && dp != port)
			continue;
		(*all)++;
		if ((t & 0xff) == tos && l == ttl)
			(*match)++;
	}
	fclose(f);
}

TEST_F_TIMEOUT(ipopt, tos_and_ttl_in_a_capture, 90)
{
	/* [fam]: client connects to B's port; listener in A on lport */
	const int cport[2] = { 7400, 7401 }, lport[2] = { 7402, 7403 };
	int lb[2], la[2], i, all, match;

	for (i = 0; i < 2; i++) {
		lb[i] = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, cport[i], 4);
		ASSERT_LE(0, lb[i]);
		la[i] = tt_listen_in(TT_A, fams[i], TT_ADDR_A, lport[i], 4);
		ASSERT_LE(0, la[i]);
		ASSERT_EQ(0, set_int(la[i], IPPROTO_IP, IP_TOS, 0xb8));
		ASSERT_EQ(0, set_int(la[i], IPPROTO_IP, IP_TTL, 44));
	}
	ASSERT_EQ(0, capture_start());
	self->capturing = true;
	for (i = 0; i < 2; i++) {
		int c = tt_socket_in(TT_A, fams[i]), s;

		ASSERT_LE(0, c);
		ASSERT_EQ(0, set_int(c, IPPROTO_IP, IP_TOS, 0x28));
		ASSERT_EQ(0, set_int(c, IPPROTO_IP, IP_TTL, 33));
		EXPECT_EQ(0x28, get_int(c, IPPROTO_IP, IP_TOS));
		EXPECT_EQ(33, get_int(c, IPPROTO_IP, IP_TTL));
		ASSERT_EQ(0, tt_connect(c, TT_ADDR_B, cport[i], 5000));
		s = tt_accept(lb[i], 5000);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, exchange(c, s));

		/* the listener's TOS and TTL go to its children */
		ASSERT_EQ(0, tt_pair_via(la[i], TT_B, AF_INET, TT_ADDR_A, lport[i], &c, &s));
		EXPECT_EQ(0xb8, get_int(s, IPPROTO_IP, IP_TOS));
		EXPECT_EQ(44, get_int(s, IPPROTO_IP, IP_TTL));
		ASSERT_EQ(0, exchange(s, c));
	}
	capture_stop();
	self->capturing = false;
	for (i = 0; i < 2; i++) {
		capture_count(cport[i], 0x28, 33, &all, &match);
		TH_LOG("%s client: %d of %d segments with tos 0x28 ttl 33",
		       tt_fam_name(fams[i]), match, all);
		EXPECT_LE(4, all);	/* SYN, ACK, data, FIN at least */
		EXPECT_EQ(all, match);
		capture_count(lport[i], 0xb8, 44, &all, &match);
		TH_LOG("%s listener's child: %d of %d segments with tos 0xb8 ttl 44",
		       tt_fam_name(fams[i]), match, all);
		EXPECT_LE(4, all);	/* SYN-ACK, data, FIN, ACK at least */
		EXPECT_EQ(all, match);
		close(la[i]);
		close(lb[i]);
	}
}

/* ------------------------------------------------------------------ */
/* SO_MARK, SO_BINDTODEVICE */

/*
 * A socket of fam, with SO_MARK mark (0: none) and bound to dev (NULL:
 * none), connects to ADDR_FAR:port, talks and closes; src gets its local
 * address. 0 on success.
 */
static int far_connection(int fam, int port, int mark, const char *dev, char *src, size_t len)
{
	int lb = tt_listen_in(TT_B, AF_INET, "0.0.0.0", port, 4);
	int c = tt_socket_in(TT_A, fam), s, p, rc = -1;

	if (lb < 0 || c < 0)
		goto out;
	if (mark && set_int(c, SOL_SOCKET, SO_MARK, mark))
		goto out;
	if (dev && setsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, dev, strlen(dev) + 1))
		goto out;
	if (tt_connect(c, ADDR_FAR, port, 5000))
		goto out;
	if (local_addr(c, src, len, &p))
		goto out;
	s = tt_accept(lb, 5000);
	if (s < 0)
		goto out;
	rc = exchange(c, s);
	c = -1;
out:
	if (c >= 0)
		close(c);
	if (lb >= 0)
		close(lb);
	return rc;
}

TEST_F_TIMEOUT(ipopt, so_mark_matched_by_iptables_and_routed_by_fwmark, 60)
{
	const int port[2] = { 7410, 7411 }, plain[2] = { 7412, 7413 };
	const char *marked_src = ADDR2_A;
	char src[32];
	int i;

	if (!self->policy) {
		TH_LOG("no ip rule here (CONFIG_IP_MULTIPLE_TABLES): mark match only");
		marked_src = TT_ADDR_A;
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, IPT_A("-A OUTPUT -p tcp -m mark --mark %d --dport %d",
				   MARK, port[i]));
		ASSERT_EQ(0, IPT_A("-A OUTPUT -o " TT_IF_A " -p tcp --dport %d", plain[i]));
	}
	for (i = 0; i < 2; i++) {
		/* marked: table 100, the second link */
		ASSERT_EQ(0, far_connection(fams[i], port[i], MARK, NULL, src, sizeof(src)));
		EXPECT_STREQ(marked_src, src) TH_LOG("%s, marked", tt_fam_name(fams[i]));
		EXPECT_LE(4, rule_count(TT_NS_A, "OUTPUT", "dpt", port[i]))
			TH_LOG("%s: the mark rule did not count", tt_fam_name(fams[i]));
		/* not marked: the main table, the first link */
		ASSERT_EQ(0, far_connection(fams[i], plain[i], 0, NULL, src, sizeof(src)));
		EXPECT_STREQ(TT_ADDR_A, src) TH_LOG("%s, not marked", tt_fam_name(fams[i]));
		EXPECT_LE(4, rule_count(TT_NS_A, "OUTPUT", "dpt", plain[i]));
	}
}

TEST_F_TIMEOUT(ipopt, so_bindtodevice_picks_the_outgoing_device, 60)
{
	const int port[2] = { 7420, 7421 };
	char src[32];
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, IPT_A("-A OUTPUT -o " IF2_A " -p tcp --dport %d", port[i]));
		ASSERT_EQ(0, IPT_A("-A OUTPUT -o " TT_IF_A " -p tcp --dport %d -j DROP",
				   port[i]));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, far_connection(fams[i], port[i], 0, IF2_A, src, sizeof(src)));
		EXPECT_STREQ(ADDR2_A, src) TH_LOG("%s", tt_fam_name(fams[i]));
	}
	/* the second link's rule counted them (the first link's drops all) */
	for (i = 0; i < 2; i++) {
		EXPECT_LE(4, rule_count(TT_NS_A, "OUTPUT", "dpt", port[i]))
			TH_LOG("%s", tt_fam_name(fams[i]));
	}
}

TEST_F_TIMEOUT(ipopt, so_bindtodevice_listener_takes_only_its_device, 60)
{
	const int port[2] = { 7430, 7431 };
	int i, l, c, s;

	for (i = 0; i < 2; i++) {
		l = tt_socket_in(TT_A, fams[i]);
		ASSERT_LE(0, l);
		ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_BINDTODEVICE, IF2_A,
					sizeof(IF2_A)));
		{
			struct sockaddr_in a = tt_sin("0.0.0.0", port[i]);
			char dev[IFNAMSIZ] = "";
			socklen_t dl = sizeof(dev);

			ASSERT_EQ(0, bind(l, TT_SA(&a), sizeof(a)));
			ASSERT_EQ(0, listen(l, 4));
			ASSERT_EQ(0, getsockopt(l, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl));
			EXPECT_STREQ(IF2_A, dev);
		}
		/* by the bound device: accepted */
		ASSERT_EQ(0, tt_pair_via(l, TT_B, AF_INET, ADDR2_A, port[i], &c, &s))
			TH_LOG("%s", tt_fam_name(fams[i]));
		EXPECT_EQ(0, exchange(c, s));
		/* by the other: as if nobody listened */
		c = tt_socket_in(TT_B, AF_INET);
		ASSERT_LE(0, c);
		EXPECT_EQ(-1, tt_connect(c, TT_ADDR_A, port[i], 5000));
		EXPECT_EQ(ECONNREFUSED, errno) TH_LOG("%s", tt_fam_name(fams[i]));
		close(c);
		close(l);
	}
}

/* ------------------------------------------------------------------ */
/* TCP_SYNCNT */

TEST_F_TIMEOUT(ipopt, tcp_syncnt_shortens_connect, 60)
{
	const int port[2] = { 7440, 7441 };
	double t0, secs[2];
	int i, c;

	ASSERT_EQ(0, IPT_B("-A INPUT -p tcp --dport %d:%d -j DROP", port[0], port[1]));
	for (i = 0; i < 2; i++) {
		struct sockaddr_in b = tt_sin(TT_ADDR_B, port[i]);

		c = tt_socket_in(TT_A, fams[i]);
		ASSERT_LE(0, c);
		EXPECT_EQ(6, get_int(c, IPPROTO_TCP, TCP_SYNCNT));	/* the default */
		ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_SYNCNT, 1));
		EXPECT_EQ(1, get_int(c, IPPROTO_TCP, TCP_SYNCNT));
		t0 = tt_now();
		tt_guard(20);
		EXPECT_EQ(ETIMEDOUT, ERRNO_OF(connect(c, TT_SA(&b), sizeof(b))))
			TH_LOG("%s", tt_fam_name(fams[i]));
		tt_unguard();
		secs[i] = tt_now() - t0;
		TH_LOG("%s: connect gave up after %.2f s", tt_fam_name(fams[i]), secs[i]);
		/* SYN at 0 s, again at 1 s, given up at 3 s */
		EXPECT_LT(2.5, secs[i]);
		EXPECT_GT(5.0, secs[i]);
		close(c);
	}
}

/* ------------------------------------------------------------------ */
/* IP_BIND_ADDRESS_NO_PORT, IP_FREEBIND, IP_TRANSPARENT */

TEST_F_TIMEOUT(ipopt, bind_address_no_port, 60)
{
	int lb = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, 7450, 8);
	char ip[32];
	int i, c, s, p;

	ASSERT_LE(0, lb);
	for (i = 0; i < 2; i++) {
		struct sockaddr_in a = tt_sin(TT_ADDR_A, 0);

		/* connect() picks the port */
		c = tt_socket_in(TT_A, fams[i]);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, set_int(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1));
		EXPECT_EQ(1, get_int(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT));
		ASSERT_EQ(0, bind(c, TT_SA(&a), sizeof(a)));
		ASSERT_EQ(0, local_addr(c, ip, sizeof(ip), &p));
		EXPECT_STREQ(TT_ADDR_A, ip);
		EXPECT_EQ(0, p) TH_LOG("%s", tt_fam_name(fams[i]));
		ASSERT_EQ(0, tt_connect(c, TT_ADDR_B, 7450, 5000));
		ASSERT_EQ(0, local_addr(c, ip, sizeof(ip), &p));
		EXPECT_STREQ(TT_ADDR_A, ip);
		EXPECT_NE(0, p);
		EXPECT_EQ(p, tt_local_port(c));
		s = tt_accept(lb, 5000);
		ASSERT_LE(0, s);
		EXPECT_EQ(p, tt_peer_port(s));
		EXPECT_EQ(0, exchange(c, s));

		/* listen() picks it, on the bound address */
		c = tt_socket_in(TT_A, fams[i]);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, set_int(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1));
		ASSERT_EQ(0, bind(c, TT_SA(&a), sizeof(a)));
		ASSERT_EQ(0, listen(c, 1));
		ASSERT_EQ(0, local_addr(c, ip, sizeof(ip), &p));
		EXPECT_STREQ(TT_ADDR_A, ip);
		EXPECT_NE(0, p) TH_LOG("%s", tt_fam_name(fams[i]));
		close(c);
	}
	close(lb);
}

/* Drop CAP_NET_RAW and CAP_NET_ADMIN; then IP_TRANSPARENT is EPERM. */
static void transparent_without_caps(void *arg, int ready_fd, int res_fd)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int fam = *(int *)arg, res[3] = { -1, -1, -1 }, fd, one = 1;

	(void)ready_fd;
	if (!syscall(SYS_capget, &h, d)) {
		d[0].effective &= ~((1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN));
		syscall(SYS_capset, &h, d);
	}
	fd = socket(fam, SOCK_STREAM, 0);
	res[0] = fd >= 0 ? ERRNO_OF(setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT,
					       &one, sizeof(one))) : -1;
	one = 0;
	res[1] = fd >= 0 ? ERRNO_OF(setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT,
					       &one, sizeof(one))) : -1;
	res[2] = fd >= 0 ? ERRNO_OF(setsockopt(fd, IPPROTO_IP, IP_FREEBIND,
					       &one, sizeof(one))) : -1;
	if (write(res_fd, res, sizeof(res)) != sizeof(res))
		_exit(1);
}

TEST_F_TIMEOUT(ipopt, freebind_and_transparent, 60)
{
	struct sockaddr_in foreign = tt_sin(ADDR_FOREIGN, 0);
	int i, fd, res[3];
	char ip[32];
	int p;

	ASSERT_EQ(0, IPT_B("-A INPUT -s " ADDR_FOREIGN " -p tcp --dport 7460"));
	ASSERT_EQ(0, IPT_B("-A INPUT -s " ADDR_FOREIGN " -p tcp --dport 7461"));
	for (i = 0; i < 2; i++) {
		struct tt_child ch;

		/* not local: refused, unless IP_FREEBIND */
		fd = tt_socket_in(TT_A, fams[i]);
		ASSERT_LE(0, fd);
		EXPECT_EQ(EADDRNOTAVAIL, ERRNO_OF(bind(fd, TT_SA(&foreign), sizeof(foreign))));
		ASSERT_EQ(0, set_int(fd, IPPROTO_IP, IP_FREEBIND, 1));
		EXPECT_EQ(1, get_int(fd, IPPROTO_IP, IP_FREEBIND));
		EXPECT_EQ(0, ERRNO_OF(bind(fd, TT_SA(&foreign), sizeof(foreign))))
			TH_LOG("%s", tt_fam_name(fams[i]));
		EXPECT_EQ(0, listen(fd, 1));
		EXPECT_EQ(0, local_addr(fd, ip, sizeof(ip), &p));
		EXPECT_STREQ(ADDR_FOREIGN, ip);
		close(fd);

		/* IP_TRANSPARENT: the SYN leaves from the foreign address */
		fd = tt_socket_in(TT_A, fams[i]);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, set_int(fd, IPPROTO_IP, IP_TRANSPARENT, 1));
		EXPECT_EQ(1, get_int(fd, IPPROTO_IP, IP_TRANSPARENT));
		EXPECT_EQ(0, ERRNO_OF(bind(fd, TT_SA(&foreign), sizeof(foreign))));
		tt_set_nonblock(fd, true);
		{
			struct sockaddr_in b = tt_sin(TT_ADDR_B, 7460 + i);

			EXPECT_EQ(EINPROGRESS, ERRNO_OF(connect(fd, TT_SA(&b), sizeof(b))))
				TH_LOG("%s", tt_fam_name(fams[i]));
		}
		tt_msleep(300);
		EXPECT_LE(1, rule_count(TT_NS_B, "INPUT", "dpt", 7460 + i))
			TH_LOG("%s: no SYN from " ADDR_FOREIGN, tt_fam_name(fams[i]));
		close(fd);

		/* without the capabilities */
		ASSERT_EQ(0, tt_spawn(&ch, TT_A, 10, transparent_without_caps, &fams[i]));
		ASSERT_EQ(0, tt_child_finish(&ch, res, sizeof(res), 5000));
		EXPECT_EQ(EPERM, res[0]) TH_LOG("%s", tt_fam_name(fams[i]));
		EXPECT_EQ(0, res[1]);	/* turning it off needs nothing */
		EXPECT_EQ(0, res[2]);	/* nor does IP_FREEBIND */
	}
}

/* ------------------------------------------------------------------ */
/* errno and values, row by row, against AF_INET */

struct row {
	const char *name;
	int level, opt;
	int val;
	int setlen;	/* -1: no setsockopt, only the get */
	int getlen;	/* the get's buffer length */
};

static const struct row rows[] = {
	{ "IP_TOS 0x28", IPPROTO_IP, IP_TOS, 0x28, 4, 4 },
	{ "IP_TOS with ECN bits", IPPROTO_IP, IP_TOS, 0x2b, 4, 4 },
	{ "IP_TOS 0x1b8", IPPROTO_IP, IP_TOS, 0x1b8, 4, 4 },
	{ "IP_TOS -1", IPPROTO_IP, IP_TOS, -1, 4, 4 },
	{ "IP_TOS optlen 1", IPPROTO_IP, IP_TOS, 0x10, 1, 4 },
	{ "IP_TOS optlen 2", IPPROTO_IP, IP_TOS, 0x10, 2, 4 },
	{ "IP_TOS optlen 0", IPPROTO_IP, IP_TOS, 0x10, 0, 4 },
	{ "IP_TOS optlen 8", IPPROTO_IP, IP_TOS, 0x10, 8, 4 },
	{ "IP_TOS get into 1 byte", IPPROTO_IP, IP_TOS, 0x48, 4, 1 },
	{ "IP_TOS get into 3 bytes", IPPROTO_IP, IP_TOS, 0x48, 4, 3 },
	{ "IP_TOS get into 0 bytes", IPPROTO_IP, IP_TOS, 0x48, 4, 0 },
	{ "IP_TOS get into 8 bytes", IPPROTO_IP, IP_TOS, 0x48, 4, 8 },
	{ "IP_TOS get, optlen -1", IPPROTO_IP, IP_TOS, 0, -1, -1 },
	{ "IP_TTL unset", IPPROTO_IP, IP_TTL, 0, -1, 4 },
	{ "IP_TTL unset, 1 byte", IPPROTO_IP, IP_TTL, 0, -1, 1 },
	{ "IP_TTL 1", IPPROTO_IP, IP_TTL, 1, 4, 4 },
	{ "IP_TTL 255", IPPROTO_IP, IP_TTL, 255, 4, 4 },
	{ "IP_TTL 0", IPPROTO_IP, IP_TTL, 0, 4, 4 },
	{ "IP_TTL 256", IPPROTO_IP, IP_TTL, 256, 4, 4 },
	{ "IP_TTL -1", IPPROTO_IP, IP_TTL, -1, 4, 4 },
	{ "IP_TTL -2", IPPROTO_IP, IP_TTL, -2, 4, 4 },
	{ "IP_TTL optlen 1", IPPROTO_IP, IP_TTL, 200, 1, 4 },
	{ "IP_TTL optlen 0", IPPROTO_IP, IP_TTL, 64, 0, 4 },
	{ "IP_BIND_ADDRESS_NO_PORT 5", IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 5, 4, 4 },
	{ "IP_BIND_ADDRESS_NO_PORT optlen 0", IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, 0, 4 },
	{ "IP_FREEBIND 1", IPPROTO_IP, IP_FREEBIND, 1, 4, 4 },
	{ "IP_FREEBIND optlen 0", IPPROTO_IP, IP_FREEBIND, 1, 0, 4 },
	{ "IP_TRANSPARENT 2", IPPROTO_IP, IP_TRANSPARENT, 2, 4, 4 },
	{ "IP_TRANSPARENT optlen 0", IPPROTO_IP, IP_TRANSPARENT, 1, 0, 4 },
	{ "IP unknown option 9999", IPPROTO_IP, 9999, 1, 4, 4 },
	{ "TCP_SYNCNT unset", IPPROTO_TCP, TCP_SYNCNT, 0, -1, 4 },
	{ "TCP_SYNCNT 1", IPPROTO_TCP, TCP_SYNCNT, 1, 4, 4 },
	{ "TCP_SYNCNT 127", IPPROTO_TCP, TCP_SYNCNT, 127, 4, 4 },
	{ "TCP_SYNCNT 128", IPPROTO_TCP, TCP_SYNCNT, 128, 4, 4 },
	{ "TCP_SYNCNT 0", IPPROTO_TCP, TCP_SYNCNT, 0, 4, 4 },
	{ "TCP_SYNCNT -1", IPPROTO_TCP, TCP_SYNCNT, -1, 4, 4 },
	{ "TCP_SYNCNT optlen 2", IPPROTO_TCP, TCP_SYNCNT, 3, 2, 4 },
	{ "TCP_SYNCNT get into 1 byte", IPPROTO_TCP, TCP_SYNCNT, 3, 4, 1 },
	{ "unknown level get", 12345, 1, 0, -1, 4 },
};

/* What one row did on a fresh socket of fam, as text to compare. */
static void run_row(int fam, const struct row *r, char *out, size_t len)
{
	int fd = tt_socket_in(TT_A, fam), se = 0, ge, v = r->val;
	unsigned char buf[8];
	socklen_t gl = r->getlen;

	if (fd < 0) {
		snprintf(out, len, "socket: %s", strerror(errno));
		return;
	}
	if (r->setlen >= 0)
		se = ERRNO_OF(setsockopt(fd, r->level, r->opt, &v, r->setlen));
	memset(buf, 0xee, sizeof(buf));
	ge = ERRNO_OF(getsockopt(fd, r->level, r->opt, buf, &gl));
	snprintf(out, len, "set %s; get %s, len %d, bytes %02x %02x %02x %02x",
		 se ? strerror(se) : "ok", ge ? strerror(ge) : "ok", ge ? -1 : (int)gl,
		 buf[0], buf[1], buf[2], buf[3]);
	close(fd);
}

TEST_F(ipopt, errno_and_values_as_linux)
{
	char got[160], want[160];
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run_row(fams[0], &rows[i], got, sizeof(got));
		run_row(AF_INET, &rows[i], want, sizeof(want));
		EXPECT_STREQ(want, got) TH_LOG("%s", rows[i].name);
	}
}

/* Options Linux takes and toytcp does not implement: refused, not ignored. */
TEST_F(ipopt, unimplemented_ip_options_refused)
{
	int fd = tt_socket_in(TT_A, fams[0]);
	static const int opts[] = { IP_MINTTL, IP_MTU_DISCOVER, IP_RECVERR, IP_PKTINFO };
	unsigned int i;

	ASSERT_LE(0, fd);
	if (tt_inet_mode())
		SKIP(return, "Linux takes them");
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		EXPECT_EQ(ENOPROTOOPT, ERRNO_OF(set_int(fd, IPPROTO_IP, opts[i], 1)));
	close(fd);
}

TEST_HARNESS_MAIN
