// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 8, tests 4-6): ICMP errors and path-MTU discovery,
 * toytcp against Linux TCP.
 *
 *  pmtu     A (toytcp, 198.18.0.1) -- R1 -- R2 -- B (Linux TCP, 198.18.1.2):
 *           every link MTU 1500 but R1-R2, 1000 (a tunnel in the path), so
 *           both ends offer MSS 1460 and only the routers' ICMP "fragmentation
 *           needed" tells them the path is smaller. TOYTCP_PMTU_BYTES (5 MB;
 *           2 MB on the debug kernel)
 *           each way at once, byte-exact, in both roles, within a bound;
 *           `ip route get` in A then shows the PMTU (mtu 1000) and toytcp's
 *           MSS is 960.
 *  forged   A -- B directly; B plays an attacker who forges ICMP errors
 *           about toytcp's connection (B's INPUT drops toytcp's segments so
 *           they stay in flight; B reads their sequence numbers off its
 *           veth end). Frag-needed and host-unreachable quoting a sequence
 *           number outside [SND.UNA, SND.NXT) are ignored and counted
 *           (OutOfWindowIcmps): MSS and PMTU unchanged, the connection
 *           carries on, and when it later times out the error is
 *           ETIMEDOUT. In window: frag-needed lowers the MSS to 960 and the
 *           data in flight leaves again at that size at once (no timeout
 *           happened), host-unreachable makes a later timeout
 *           EHOSTUNREACH.
 *  unreach  connect() to a host that is answered with ICMP host
 *           unreachable, by a router (B forwards, its route to 198.18.5.0/24
 *           is "unreachable") or by A's own neighbour layer (an on-link
 *           address nobody answers ARP for): toytcp's connect ends with the
 *           same errno as Linux's AF_INET connect in the same run
 *           (EHOSTUNREACH), about as fast, not after all SYN retries.
 *
 * TOYTCP_TEST_FAMILY=inet runs the toytcp side as Linux TCP.
 */
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define NS_R1 "toytcp_r1"
#define NS_R2 "toytcp_r2"
#define ADDR_FAR "198.18.1.2"		/* B behind the routers */
#define ADDR_UNREACH "198.18.5.5"	/* B's route says unreachable */
#define PMTU 1000

/* ------------------------------------------------------------------ */
/* pmtu: A -- R1 -- R2 -- B */

static int chain_up(void)
{
	int rc;

	tt_ns[TT_ORIG] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (tt_ns[TT_ORIG] < 0)
		return -1;
	rc = tt_sh("set -e\n"
		   "for n in " TT_NS_A " " TT_NS_B " " NS_R1 " " NS_R2 "; do\n"
		   "  ip netns del $n 2>/dev/null || true\n"
		   "  ip netns add $n\n"
		   "  ip -n $n link set lo up\n"
		   "done\n"
		   "ip link add ttveth_a netns " TT_NS_A " type veth peer name r1a netns " NS_R1 "\n"
		   "ip link add r1b netns " NS_R1 " type veth peer name r2a netns " NS_R2 "\n"
		   "ip link add r2b netns " NS_R2 " type veth peer name ttveth_b netns " TT_NS_B "\n"
		   "ip -n " TT_NS_A " -b - <<EOF\n"
		   "addr add 198.18.0.1/24 dev ttveth_a\n"
		   "link set ttveth_a up\n"
		   "route add default via 198.18.0.254\n"
		   "EOF\n"
		   "ip -n " NS_R1 " -b - <<EOF\n"
		   "addr add 198.18.0.254/24 dev r1a\n"
		   "addr add 198.18.2.1/24 dev r1b\n"
		   "link set r1a up\n"
		   "link set r1b mtu %d up\n"
		   "route add 198.18.1.0/24 via 198.18.2.2\n"
		   "EOF\n"
		   "ip -n " NS_R2 " -b - <<EOF\n"
		   "addr add 198.18.2.2/24 dev r2a\n"
		   "addr add 198.18.1.254/24 dev r2b\n"
		   "link set r2a mtu %d up\n"
		   "link set r2b up\n"
		   "route add 198.18.0.0/24 via 198.18.2.1\n"
		   "EOF\n"
		   "ip -n " TT_NS_B " -b - <<EOF\n"
		   "addr add " ADDR_FAR "/24 dev ttveth_b\n"
		   "link set ttveth_b up\n"
		   "route add default via 198.18.1.254\n"
		   "EOF\n"
		   "ip netns exec " NS_R1 " sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'\n"
		   "ip netns exec " NS_R2 " sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'\n",
		   PMTU, PMTU);
	if (rc)
		return -1;
	tt_ns[TT_A] = open("/run/netns/" TT_NS_A, O_RDONLY | O_CLOEXEC);
	tt_ns[TT_B] = open("/run/netns/" TT_NS_B, O_RDONLY | O_CLOEXEC);
	if (tt_ns[TT_A] < 0 || tt_ns[TT_B] < 0)
		return -1;
	return tt_enter(TT_A);
}

static void chain_down(void)
{
	tt_net_down();
	tt_sh("ip netns del " NS_R1 " 2>/dev/null; ip netns del " NS_R2 " 2>/dev/null");
}

/* Does `ip route get DST` in namespace A show "mtu N"? */
static bool route_shows_mtu(const char *dst, int mtu)
{
	return !tt_sh("ip -n " TT_NS_A " route get %s | grep -q 'mtu %d'", dst, mtu);
}

static uint64_t pmtu_bytes(void)
{
	return tt_env_size("TOYTCP_PMTU_BYTES", (tt_debian_kernel() ? 5 : 2) * 1024 * 1024);
}

/* Seconds 5 MB each way may take: TCG on 2 shared cores, more with KASAN. */
static double pmtu_limit(void)
{
	return tt_debian_kernel() ? 20 : 180;
}

struct peer_arg {
	bool server;
	int lfd;		/* server: the listener (made in B by the parent) */
	const char *ip;		/* client: where to connect */
	int port;
};

struct peer_res {
	int failed;
	double secs;
	char err[240];
};

/* The Linux TCP end, in B: accept or connect, then the full-duplex pump. */
static void linux_peer(void *arg, int ready_fd, int res_fd)
{
	struct peer_arg *a = arg;
	struct peer_res r = { 0 };
	struct tt_xfer x = {
		.tx_len = pmtu_bytes(), .rx_len = pmtu_bytes(),
		.tx_seed = 2, .rx_seed = 1, .stall_ms = 20000,
	};
	int fd;

	tt_signal_ready(ready_fd);
	if (a->server) {
		fd = tt_accept(a->lfd, 20000);
	} else {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && tt_connect(fd, a->ip, a->port, 20000)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		r.failed = 1;
		snprintf(r.err, sizeof(r.err), "Linux %s: %s",
			 a->server ? "accept" : "connect", strerror(errno));
	} else if (tt_pump(fd, &x)) {
		r.failed = 1;
		snprintf(r.err, sizeof(r.err), "Linux side: %s", x.err);
	}
	r.secs = x.secs;
	if (fd >= 0)
		close(fd);
	if (write(res_fd, &r, sizeof(r)) != sizeof(r))
		_exit(97);
}

FIXTURE(pmtu) {
	int dummy;
};

FIXTURE_SETUP(pmtu)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, chain_up());
	/* nothing learnt yet */
	ASSERT_FALSE(route_shows_mtu(ADDR_FAR, PMTU));
}

FIXTURE_TEARDOWN(pmtu)
{
	tt_kill_children();
	chain_down();
}

/* The toytcp end's transfer and the checks after it, in both roles. */
static void pmtu_transfer(struct __test_metadata *_metadata, bool toytcp_client)
{
	struct tt_xfer x = {
		.tx_len = pmtu_bytes(), .rx_len = pmtu_bytes(),
		.tx_seed = 1, .rx_seed = 2, .stall_ms = 20000,
	};
	struct peer_arg a = { .server = toytcp_client, .lfd = -1, .ip = "198.18.0.1",
			      .port = 7601 };
	struct peer_res r;
	struct tt_child c;
	struct tt_tcp_info ti;
	int fd = -1, lfd = -1;
	double t0;

	if (toytcp_client) {
		a.lfd = tt_listen_in(TT_B, AF_INET, ADDR_FAR, 7600, 4);
		ASSERT_LE(0, a.lfd);
	} else {
		lfd = tt_listen_in(TT_A, tt_family(), "198.18.0.1", 7601, 4);
		ASSERT_LE(0, lfd);
	}
	ASSERT_EQ(0, tt_spawn(&c, TT_B, 300, linux_peer, &a));
	ASSERT_EQ(0, tt_child_ready(&c, 10000));
	t0 = tt_now();
	if (toytcp_client) {
		fd = tt_socket_in(TT_A, tt_family());
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, tt_connect(fd, ADDR_FAR, 7600, 20000))
			TH_LOG("connect: %s", strerror(errno));
	} else {
		fd = tt_accept(lfd, 20000);
		ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	}
	EXPECT_EQ(0, tt_pump(fd, &x)) TH_LOG("toytcp side: %s", x.err);
	ASSERT_EQ(0, tt_child_finish(&c, &r, sizeof(r), 200000));
	EXPECT_EQ(0, r.failed) TH_LOG("%s", r.err);
	TH_LOG("%llu bytes each way in %.2f s (toytcp %s); Linux side %.2f s",
	       (unsigned long long)x.tx_len, tt_now() - t0,
	       toytcp_client ? "client" : "server", r.secs);
	EXPECT_GT(pmtu_limit(), tt_now() - t0);
	/* the kernel's PMTU cache knows the path, and toytcp's MSS follows it */
	EXPECT_TRUE(route_shows_mtu(ADDR_FAR, PMTU));
	ASSERT_EQ(0, tt_tcp_info(fd, &ti));
	EXPECT_GE(PMTU - 40, (int)ti.b.tcpi_snd_mss);
	EXPECT_LT(PMTU - 100, (int)ti.b.tcpi_snd_mss);
	if (!tt_inet_mode())
		EXPECT_LT(0, tt_stat("IcmpFragNeeded"));
	close(fd);
	if (lfd >= 0)
		close(lfd);
	if (a.lfd >= 0)
		close(a.lfd);
}

TEST_F_TIMEOUT(pmtu, toytcp_client_5mb_each_way, 400)
{
	pmtu_transfer(_metadata, true);
}

TEST_F_TIMEOUT(pmtu, toytcp_server_5mb_each_way, 400)
{
	pmtu_transfer(_metadata, false);
}

/* ------------------------------------------------------------------ */
/* forged: A -- B, B forges ICMP errors */

/* An AF_PACKET socket on B's veth end: the IPv4 packets that reach B. */
static int sniff_open(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
	};
	int fd;

	if (tt_enter(TT_B))
		return -1;
	sll.sll_ifindex = if_nametoindex(TT_IF_B);
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd >= 0 && bind(fd, TT_SA(&sll), sizeof(sll))) {
		close(fd);
		fd = -1;
	}
	if (tt_enter(TT_A)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * The next data segment from A's port sport (to B), within ms: its
 * sequence number and length. With want_seq set, only one with that
 * sequence number. 0 or -1.
 */
static int sniff_data(int fd, int sport, const uint32_t *want_seq, uint32_t *seq,
		      uint32_t *len, int ms)
{
	double end = tt_now() + ms / 1000.0;
	uint8_t p[2048];

	while (tt_now() < end) {
		int left = (int)((end - tt_now()) * 1000);
		unsigned int ihl, doff, tot;
		ssize_t n;

		if (tt_poll1(fd, POLLIN, left > 0 ? left : 0) <= 0)
			continue;
		n = recv(fd, p, sizeof(p), MSG_DONTWAIT);
		if (n < 40 || (p[0] >> 4) != 4 || p[9] != IPPROTO_TCP ||
		    tt_be32(p + 12) != tt_ip(TT_ADDR_A))
			continue;
		ihl = (p[0] & 15) * 4;
		if (n < ihl + 20 || tt_be16(p + ihl) != sport)
			continue;
		doff = (p[ihl + 12] >> 4) * 4;
		tot = tt_be16(p + 2);
		if (tot <= ihl + doff)
			continue;
		if (want_seq && tt_be32(p + ihl + 4) != *want_seq)
			continue;
		*seq = tt_be32(p + ihl + 4);
		*len = tot - ihl - doff;
		return 0;
	}
	return -1;
}

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * From B (a raw ICMP socket there), to A: an ICMP error of type/code
 * quoting a segment of toytcp's connection sport -> dport with sequence
 * number seq (its IPv4 header and TCP header); mtu for frag-needed.
 */
static int forge_icmp(uint8_t type, uint8_t code, uint16_t mtu, int sport, int dport,
		      uint32_t seq)
{
	uint8_t m[8 + 20 + 20] = { 0 };
	uint8_t *q = m + 8, *t = m + 28;
	struct sockaddr_in to = tt_sin(TT_ADDR_A, 0);
	uint32_t a = tt_ip(TT_ADDR_A), b = tt_ip(TT_ADDR_B);
	uint16_t c;
	int fd, rc;

	m[0] = type;
	m[1] = code;
	m[6] = mtu >> 8;
	m[7] = mtu & 0xff;
	q[0] = 0x45;
	q[2] = (20 + 20 + 1460) >> 8;
	q[3] = (20 + 20 + 1460) & 0xff;
	q[6] = 0x40;	/* DF */
	q[8] = 64;
	q[9] = IPPROTO_TCP;
	for (int i = 0; i < 4; i++) {
		q[12 + i] = a >> (24 - 8 * i);
		q[16 + i] = b >> (24 - 8 * i);
	}
	c = csum16(q, 20);
	q[10] = c >> 8;
	q[11] = c & 0xff;
	t[0] = sport >> 8;
	t[1] = sport & 0xff;
	t[2] = dport >> 8;
	t[3] = dport & 0xff;
	for (int i = 0; i < 4; i++)
		t[4 + i] = seq >> (24 - 8 * i);
	t[12] = 5 << 4;
	t[13] = TT_F_ACK;
	c = csum16(m, sizeof(m));
	m[2] = c >> 8;
	m[3] = c & 0xff;

	if (tt_enter(TT_B))
		return -1;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	rc = fd < 0 ? -1 : (sendto(fd, m, sizeof(m), 0, TT_SA(&to), sizeof(to)) ==
			    (ssize_t)sizeof(m) ? 0 : -1);
	if (fd >= 0)
		close(fd);
	if (tt_enter(TT_A))
		return -1;
	return rc;
}

/* B's INPUT drops (or, add = false, again accepts) toytcp's segments from sport. */
static int block(int sport, bool add)
{
	return tt_sh("ip netns exec " TT_NS_B " iptables -w -%c INPUT -p tcp -s " TT_ADDR_A
		     " --sport %d -j DROP", add ? 'I' : 'D', sport);
}

/* Out-of-window ICMPs counted, by toytcp or (inet mode) by Linux. */
static long oow_icmps(void)
{
	if (tt_inet_mode())
		return tt_linux_stat(TT_A, "/proc/net/netstat", "TcpExt", "OutOfWindowIcmps");
	return tt_stat("OutOfWindowIcmps");
}

/* A toytcp counter, 0 in inet mode (Linux has no per-kind TCP counter). */
static long stat_or0(const char *name)
{
	return tt_inet_mode() ? 0 : tt_stat(name);
}

/* Wait up to ms for fd's connection to end; its error (SO_ERROR), or 0. */
static int wait_error(int fd, int ms)
{
	if (!tt_wait_events(fd, POLLIN, POLLERR | POLLHUP, ms))
		return 0;
	return tt_so_error(fd);
}

static int mss_of(int fd)
{
	struct tt_tcp_info ti;

	return tt_tcp_info(fd, &ti) ? -1 : (int)ti.b.tcpi_snd_mss;
}

FIXTURE(forged) {
	int lfd, cfd, sfd, snf;
	int port, cport;
};

FIXTURE_SETUP(forged)
{
	self->lfd = self->cfd = self->sfd = self->snf = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	/* one segment per packet: a sniffed length is a segment's */
	ASSERT_EQ(0, tt_offloads_off());
	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " iptables -w -L INPUT -n >/dev/null"));
	self->snf = sniff_open();
	ASSERT_LE(0, self->snf);
}

FIXTURE_TEARDOWN(forged)
{
	for (int *p = &self->lfd; p <= &self->snf; p++)
		if (*p >= 0)
			close(*p);
	tt_net_down();
}

/* toytcp client in A, Linux server in B on port; self->cfd, self->sfd. */
static int forged_connect(FIXTURE_DATA(forged) *self, int port)
{
	self->port = port;
	self->lfd = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, port, 4);
	if (self->lfd < 0 ||
	    tt_pair_via(self->lfd, TT_A, tt_family(), TT_ADDR_B, port, &self->cfd, &self->sfd))
		return -1;
	self->cport = tt_local_port(self->cfd);
	return 0;
}

/* Read n bytes on Linux's end within ms: 0 when all came. */
static int peer_reads(int fd, size_t n, int ms)
{
	static char buf[65536];

	return tt_read_full(fd, buf, n, ms);
}

TEST_F_TIMEOUT(forged, frag_needed_out_of_window_ignored_in_window_taken, 120)
{
	static char data[3000];
	uint32_t seq, len, seq2, len2;
	long oow0, fn0;
	int mss0, mss;
	struct tt_tcp_info ti;

	/*
	 * A's segments take 500 ms to B: the RTO (3 RTTs after the handshake)
	 * is far longer than the fast steps below, so a segment sent again
	 * before it is no timeout's retransmission.
	 */
	ASSERT_EQ(0, tt_netem(TT_NS_A, TT_IF_A, "delay 500ms"));
	ASSERT_EQ(0, forged_connect(self, 7610));
	mss0 = mss_of(self->cfd);
	ASSERT_LT(1000, mss0);
	ASSERT_EQ(0, block(self->cport, true));
	ASSERT_EQ((ssize_t)sizeof(data), send(self->cfd, data, sizeof(data), 0));
	ASSERT_EQ(0, sniff_data(self->snf, self->cport, NULL, &seq, &len, 5000));
	ASSERT_LT(1000, (int)len);

	/* outside [SND.UNA, SND.NXT): after it, and before it */
	oow0 = oow_icmps();
	fn0 = stat_or0("IcmpFragNeeded");
	ASSERT_EQ(0, forge_icmp(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 600, self->cport,
				self->port, seq + 100000));
	ASSERT_EQ(0, forge_icmp(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 600, self->cport,
				self->port, seq - 100000));
	tt_msleep(50);
	EXPECT_EQ(oow0 + 2, oow_icmps());
	EXPECT_EQ(fn0, stat_or0("IcmpFragNeeded"));
	EXPECT_EQ(mss0, mss_of(self->cfd));
	ASSERT_EQ(0, tt_tcp_info(self->cfd, &ti));
	EXPECT_EQ(0, ti.b.tcpi_total_retrans);

	/* in window: the MSS goes down and what is in flight leaves again at once */
	ASSERT_EQ(0, forge_icmp(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, PMTU, self->cport,
				self->port, seq));
	tt_msleep(50);
	ASSERT_EQ(0, tt_tcp_info(self->cfd, &ti));
	mss = ti.b.tcpi_snd_mss;
	EXPECT_GE(PMTU - 40, mss);
	EXPECT_LT(PMTU - 100, mss);
	EXPECT_LT(0, ti.b.tcpi_total_retrans) TH_LOG("nothing sent again");
	EXPECT_EQ(0, ti.b.tcpi_retransmits) TH_LOG("a timeout came first: the test was too slow");
	EXPECT_EQ(oow0 + 2, oow_icmps());
	if (!tt_inet_mode())
		EXPECT_EQ(fn0 + 1, tt_stat("IcmpFragNeeded"));
	/* the kernel's PMTU cache has the in-window value only */
	EXPECT_TRUE(route_shows_mtu(TT_ADDR_B, PMTU));
	EXPECT_FALSE(route_shows_mtu(TT_ADDR_B, 600));
	/* what B sees again of the first segment is cut to the new size */
	EXPECT_EQ(0, sniff_data(self->snf, self->cport, &seq, &seq2, &len2, 3000))
		TH_LOG("no segment with seq %u again within 3 s", seq);
	EXPECT_GE(mss, (int)len2);

	/* the path opens: everything arrives, at the new size */
	ASSERT_EQ(0, block(self->cport, false));
	tt_netem(TT_NS_A, TT_IF_A, NULL);
	EXPECT_EQ(0, peer_reads(self->sfd, sizeof(data), 10000));
	ASSERT_EQ((ssize_t)sizeof(data), send(self->cfd, data, sizeof(data), 0));
	EXPECT_EQ(0, peer_reads(self->sfd, sizeof(data), 10000));
	EXPECT_EQ(mss, mss_of(self->cfd));
}

/*
 * Host unreachable about toytcp's segment in flight, quoting seq_off past
 * it; B keeps dropping toytcp's segments, TCP_USER_TIMEOUT 2 s: the error
 * the connection ends with. (Nothing may read SO_ERROR before: it hands
 * out and clears a soft error, on Linux as on toytcp.)
 */
static int unreach_then_timeout(struct __test_metadata *_metadata,
				FIXTURE_DATA(forged) *self, int port, uint32_t seq_off)
{
	static char data[100];
	int uto = 2000, err;
	uint32_t seq, len;

	if (forged_connect(self, port))
		return -1;
	if (setsockopt(self->cfd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto)))
		return -1;
	block(self->cport, true);
	if (send(self->cfd, data, sizeof(data), 0) != sizeof(data) ||
	    sniff_data(self->snf, self->cport, NULL, &seq, &len, 5000))
		return -1;
	forge_icmp(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, self->cport, self->port,
		   seq + seq_off);
	tt_msleep(100);
	/* a soft error at most: the connection goes on */
	EXPECT_EQ(0, tt_poll1(self->cfd, POLLIN, 0) & (POLLERR | POLLHUP));
	err = wait_error(self->cfd, 15000);
	TH_LOG("connection ended with %s", err > 0 ? strerror(err) : "nothing");
	return err;
}

TEST_F_TIMEOUT(forged, host_unreachable_out_of_window_ignored, 60)
{
	long oow0 = oow_icmps(), un0 = stat_or0("IcmpUnreach");

	EXPECT_EQ(ETIMEDOUT, unreach_then_timeout(_metadata, self, 7611, 200000));
	EXPECT_EQ(oow0 + 1, oow_icmps());
	EXPECT_EQ(un0, stat_or0("IcmpUnreach"));
}

TEST_F_TIMEOUT(forged, host_unreachable_in_window_reported_at_timeout, 60)
{
	long oow0 = oow_icmps(), un0 = stat_or0("IcmpUnreach");

	EXPECT_EQ(EHOSTUNREACH, unreach_then_timeout(_metadata, self, 7612, 0));
	EXPECT_EQ(oow0, oow_icmps());
	if (!tt_inet_mode())
		EXPECT_EQ(un0 + 1, tt_stat("IcmpUnreach"));
}

/* ------------------------------------------------------------------ */
/* unreach: connect() answered by ICMP host unreachable */

FIXTURE(unreach) {
	int lin, toy;
};

FIXTURE_SETUP(unreach)
{
	self->lin = self->toy = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	ASSERT_EQ(0, tt_sh("ip -n " TT_NS_A " route add 198.18.5.0/24 via " TT_ADDR_B "\n"
			   "ip -n " TT_NS_B " route add unreachable 198.18.5.0/24\n"
			   "ip netns exec " TT_NS_B
			   " sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'"));
}

FIXTURE_TEARDOWN(unreach)
{
	if (self->lin >= 0)
		close(self->lin);
	if (self->toy >= 0)
		close(self->toy);
	tt_net_down();
}

/*
 * Nonblocking connects of an AF_INET and a toytcp socket to ip at once;
 * each one's errno and how long it took, within limit_ms.
 */
static void both_connect(struct __test_metadata *_metadata, FIXTURE_DATA(unreach) *self,
			 const char *ip, int limit_ms, double slack)
{
	struct sockaddr_in to = tt_sin(ip, 80);
	int fds[2], errs[2] = { 0, 0 };
	double t0 = tt_now(), took[2] = { 0, 0 };

	self->lin = tt_socket_in(TT_A, AF_INET);
	self->toy = tt_socket_in(TT_A, tt_family());
	ASSERT_LE(0, self->lin);
	ASSERT_LE(0, self->toy);
	fds[0] = self->lin;
	fds[1] = self->toy;
	for (int i = 0; i < 2; i++) {
		tt_set_nonblock(fds[i], true);
		ASSERT_EQ(-1, connect(fds[i], TT_SA(&to), sizeof(to)));
		ASSERT_EQ(EINPROGRESS, errno);
	}
	while (tt_now() - t0 < limit_ms / 1000.0 && (!took[0] || !took[1])) {
		for (int i = 0; i < 2; i++)
			if (!took[i] && tt_poll1(fds[i], POLLOUT, 20) > 0) {
				errs[i] = tt_so_error(fds[i]);
				took[i] = tt_now() - t0;
			}
	}
	TH_LOG("%s: AF_INET connect: %s after %.2f s; %s connect: %s after %.2f s", ip,
	       took[0] ? strerror(errs[0]) : "pending", took[0],
	       tt_fam_name(tt_family()), took[1] ? strerror(errs[1]) : "pending", took[1]);
	ASSERT_NE(0, took[0]) TH_LOG("Linux's connect did not end: the test is wrong");
	EXPECT_EQ(EHOSTUNREACH, errs[0]);
	EXPECT_NE(0, took[1]);
	EXPECT_EQ(errs[0], errs[1]);
	/* about as fast: the ICMP for the same SYN, not for a retransmission */
	EXPECT_GT(took[0] + slack, took[1]);
}

TEST_F_TIMEOUT(unreach, router_answers_host_unreachable, 60)
{
	long un0 = stat_or0("IcmpUnreach");

	/*
	 * The router answers the first SYN before connect() returns, while the
	 * caller still holds the socket: Linux's tcp_v4_err() then keeps only a
	 * soft error (so Linux too may take the 1 s of a retransmission), and
	 * toytcp ends the connect when the caller lets go. Less than that
	 * second apart: toytcp took the first answer.
	 */
	both_connect(_metadata, self, ADDR_UNREACH, 15000, 0.5);
	if (!tt_inet_mode())
		EXPECT_LT(un0, tt_stat("IcmpUnreach"));
}

TEST_F_TIMEOUT(unreach, arp_fails_local_host_unreachable, 60)
{
	both_connect(_metadata, self, TT_ADDR_NONE, 20000, 2.0);
}

TEST_HARNESS_MAIN
