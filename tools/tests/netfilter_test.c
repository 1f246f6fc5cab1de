// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: toytcp's input sits after the filter table, so an iptables
 * INPUT DROP rule in its namespace stops its traffic: with iptables-nft and
 * with iptables-legacy (fixture variants).
 *
 *  - a Linux client cannot reach a toytcp listener whose port is dropped
 *    (ETIMEDOUT; nothing to accept, no half-open entry);
 *  - a toytcp client whose SYN-ACKs are dropped times out after
 *    syn_retries;
 *  - on an established connection, data from the peer stops while the
 *    rule is in and arrives (retransmitted) once it is gone;
 * and each time the rule's counter shows it did see the packets.
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

FIXTURE(nf) {
	int old_syn_retries;
};

FIXTURE_VARIANT(nf) {
	const char *iptables;
};

FIXTURE_VARIANT_ADD(nf, nft) { .iptables = "iptables-nft" };
FIXTURE_VARIANT_ADD(nf, legacy) { .iptables = "iptables-legacy" };

FIXTURE_SETUP(nf)
{
	self->old_syn_retries = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	ASSERT_EQ(0, tt_sh("%s -w -L INPUT -n >/dev/null", variant->iptables))
		TH_LOG("%s does not work here", variant->iptables);
}

FIXTURE_TEARDOWN(nf)
{
	if (self->old_syn_retries >= 0)
		tt_set_syn_retries(self->old_syn_retries);
	tt_net_down();
}

/* Run iptables of the variant in namespace A with these arguments. */
#define IPT(args, ...) tt_sh("ip netns exec " TT_NS_A " %s -w " args, variant->iptables, ##__VA_ARGS__)

/* Packets counted by the (only) DROP rule in A's INPUT chain. */
static long drops(const char *iptables)
{
	char cmd[256], line[512];
	long n = -1, v;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip netns exec " TT_NS_A " %s -w -nvxL INPUT", iptables);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "DROP") && sscanf(line, "%ld", &v) == 1)
			n = v;
	pclose(p);
	return n;
}

/* Set Linux's tcp_syn_retries in namespace B; returns 0 on success. */
static int linux_syn_retries_in_b(int v)
{
	int rc;

	if (tt_enter(TT_B))
		return -1;
	rc = tt_write_int("/proc/sys/net/ipv4/tcp_syn_retries", v);
	return tt_enter(TT_A) || rc;
}

TEST_F_TIMEOUT(nf, linux_client_cannot_reach_a_dropped_toytcp_listener, 60)
{
	int l = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, 7300, 4);
	int c = tt_socket_in(TT_B, AF_INET), s;
	double t0;

	ASSERT_LE(0, l);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, IPT("-A INPUT -p tcp --dport 7300 -j DROP"));
	ASSERT_EQ(0, linux_syn_retries_in_b(1));
	t0 = tt_now();
	EXPECT_EQ(-1, tt_connect(c, TT_ADDR_A, 7300, 15000));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LT(2.0, tt_now() - t0);
	tt_set_nonblock(l, true);
	s = accept(l, NULL, NULL);
	EXPECT_EQ(-1, s);
	EXPECT_EQ(EAGAIN, errno);
	if (s >= 0)
		close(s);
	/* no half-open connection either: only the listener on 7300 */
	EXPECT_EQ(TCP_LISTEN, tt_proc_state(TT_A, tt_proc_path(), 7300, 0));
	EXPECT_EQ(0, tt_proc_state(TT_A, tt_proc_path(), 7300, tt_local_port(c)));
	EXPECT_EQ(2, drops(variant->iptables));	/* SYN, one retry */
	close(c);
	close(l);
}

TEST_F_TIMEOUT(nf, toytcp_client_times_out_when_syn_acks_are_dropped, 60)
{
	int l = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, 7301, 4);
	int c = tt_socket_in(TT_A, tt_family());
	double t0, secs;

	ASSERT_LE(0, l);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, IPT("-A INPUT -p tcp --sport 7301 -j DROP"));
	self->old_syn_retries = tt_set_syn_retries(1);
	ASSERT_LE(0, self->old_syn_retries);
	t0 = tt_now();
	EXPECT_EQ(-1, tt_connect(c, TT_ADDR_B, 7301, 15000));
	secs = tt_now() - t0;
	EXPECT_EQ(ETIMEDOUT, errno);
	/* SYNs at 0 and 1 s, given up at 3 s */
	EXPECT_LT(2.5, secs);
	EXPECT_GT(5.0, secs);
	EXPECT_LE(2, drops(variant->iptables));
	close(c);
	close(l);
}

TEST_F_TIMEOUT(nf, established_traffic_stops_and_resumes, 60)
{
	int l = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, 7302, 4);
	int c, s, r;
	char buf[8] = { 0 };

	ASSERT_LE(0, l);
	ASSERT_EQ(0, tt_pair_via(l, TT_A, tt_family(), TT_ADDR_B, 7302, &c, &s));
	/* it works first */
	ASSERT_EQ(1, send(s, "a", 1, 0));
	ASSERT_EQ(POLLIN, tt_poll1(c, POLLIN, 5000));
	ASSERT_EQ(1, recv(c, buf, sizeof(buf), 0));
	/* with the rule in, nothing arrives */
	ASSERT_EQ(0, IPT("-A INPUT -p tcp --sport 7302 -j DROP"));
	ASSERT_EQ(1, send(s, "b", 1, 0));
	EXPECT_EQ(0, tt_poll1(c, POLLIN, 2000));
	EXPECT_LE(1, drops(variant->iptables));
	/* rule out: the retransmission gets through */
	ASSERT_EQ(0, IPT("-D INPUT -p tcp --sport 7302 -j DROP"));
	EXPECT_EQ(POLLIN, tt_poll1(c, POLLIN, 15000));
	r = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT_EQ(1, r);
	EXPECT_EQ('b', buf[0]);
	close(c);
	close(s);
	close(l);
}

TEST_HARNESS_MAIN
