// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 10): SACK (RFC 2018) with Linux TCP as the peer, toytcp
 * in namespace A, Linux in B with its net.ipv4.tcp_sack on and off,
 * toytcp as client and as server: 4 cases.
 *
 * Each case captures on B's veth end while both ends send
 * TOYTCP_SACK_BYTES (1 MB) at once through netem loss (1 % each way),
 * byte-exact, and checks:
 *   - toytcp's SYN (or SYN-ACK, when both SYNs offer it) carries SACK
 *     permitted; Linux's as its switch says;
 *   - with SACK on both sides, SACK blocks come both ways (toytcp reports
 *     the holes in what Linux sent, Linux the holes in toytcp's), each
 *     block above the segment's ACK number or a D-SACK below it, and no
 *     segment with data carries one from toytcp; with it off, none at all;
 *   - TCP_INFO of toytcp's socket has TCPI_OPT_SACK as negotiated,
 *     tcpi_delivered at least the segments the data needed, tcpi_reordering
 *     3, nothing SACKed once all is acknowledged; with SACK on its
 *     SackRecovery counter grew;
 *   - toytcp's segment events carry the blocks (sack=) both ways, and
 *     toytrace shows them: in the ladder's rows and as SACKed ranges in
 *     the time-sequence graph; none without SACK.
 *
 * TOYTCP_TEST_FAMILY=inet runs toytcp's side as Linux TCP (checks the test).
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT 5302
#define MB (1024 * 1024ULL)
#define TRACE_INST "/sys/kernel/tracing/instances/toytcp_sack_test"

/* toytcp's segment events for PORT, into a tracefs instance of our own. */
static int trace_start(void)
{
	tt_sh("rmdir " TRACE_INST " 2>/dev/null");
	return tt_sh("mkdir " TRACE_INST " && cd " TRACE_INST " && echo 8192 > buffer_size_kb && "
		     "echo 'sport == %d || dport == %d' > events/toytcp/filter && "
		     "echo 1 > events/toytcp/toytcp_send_segment/enable && "
		     "echo 1 > events/toytcp/toytcp_recv_segment/enable", PORT, PORT);
}

/*
 * Stop; check the events and toytcp's drawings of them: with SACK on
 * (@on), segments with sack= both ways (toytcp's ACKs, Linux's ACKs), the
 * ladder's rows and the graph's SACK marks; none of it without.
 */
static void trace_check(struct __test_metadata *_metadata, bool on)
{
	const char *tools = getenv("TOYTCP_TOOLS");
	const char *raw = "/tmp/sack_test.trace";
	int want = on ? 0 : 1;	/* grep's status: found, or not */

	ASSERT_EQ(0, tt_sh("echo 0 > " TRACE_INST "/events/toytcp/enable && "
			   "cat " TRACE_INST "/trace > %s", raw));
	tt_sh("rmdir " TRACE_INST);
	EXPECT_EQ(want, tt_sh("grep -q 'toytcp_send_segment: .* sack=[0-9]' %s", raw))
		TH_LOG("toytcp's own SACK blocks in its send events");
	EXPECT_EQ(want, tt_sh("grep -q 'toytcp_recv_segment: .* sack=[0-9]' %s", raw))
		TH_LOG("Linux's SACK blocks in toytcp's receive events");
	if (!tools || !*tools)
		tools = "tools";
	EXPECT_EQ(want, tt_sh("python3 %s/toytrace -r %s | grep -q '|<- .* sack=[0-9]*-[0-9]'",
			      tools, raw)) TH_LOG("toytrace's ladder: no row with Linux's blocks");
	EXPECT_EQ(want, tt_sh("python3 %s/toytrace -q -r %s --tsg %s.svg && "
			      "grep -q '<line class=\"sack\"' %s.svg", tools, raw, raw, raw))
		TH_LOG("toytrace's time-sequence graph: no SACKed range");
	unlink(raw);
}

struct scase {
	bool linux_sack, toy_client;
};

FIXTURE(sack) { int unused; };
FIXTURE_VARIANT(sack) { struct scase c; };
FIXTURE_SETUP(sack)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}
FIXTURE_TEARDOWN(sack)
{
	tt_netem_both(NULL);
	tt_net_down();
}

#define SV(name, on, client)						\
	FIXTURE_VARIANT_ADD(sack, name) {				\
		.c = { .linux_sack = on, .toy_client = client }		\
	}
SV(linux_sack_toy_client, true, true);
SV(linux_sack_toy_server, true, false);
SV(linux_no_sack_toy_client, false, true);
SV(linux_no_sack_toy_server, false, false);

TEST_F_TIMEOUT(sack, blocks_both_ways, 300)
{
	const struct scase *c = &variant->c;
	uint64_t n = tt_env_size("TOYTCP_SACK_BYTES", MB);
	bool on = c->linux_sack;	/* toytcp offers it */
	uint32_t a = tt_ip(TT_ADDR_A);
	int lfd, toy = -1, lin = -1, npk, toy_blocks = 0, lin_blocks = 0;
	int syn_perm[2] = { -1, -1 };	/* toytcp's, Linux's first SYN or SYN-ACK */
	long rec0 = tt_inet_mode() ? 0 : tt_stat("SackRecovery");
	struct tt_tcp_info ti;
	struct tt_pkt *pk;
	struct tt_cap cap;
	char why[200];

	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " sysctl -q -w net.ipv4.tcp_sack=%d", on));
	/*
	 * One segment per skb on both ends, which both stacks obey: netem
	 * takes whole skbs, and a 64 KB GSO skb would be one loss (or mark)
	 * of 44 segments, too few events in 1 MB to count on. Set before
	 * the connection: Linux TCP reads the limit when it connects.
	 */
	ASSERT_EQ(0, tt_sh("ip -n " TT_NS_A " link set dev " TT_IF_A " gso_max_segs 1\n"
			   "ip -n " TT_NS_B " link set dev " TT_IF_B " gso_max_segs 1"));
	ASSERT_EQ(0, tt_cap_start(&cap, TT_B, TT_IF_B, "tcp port 5302"));
	if (!tt_inet_mode())
		ASSERT_EQ(0, trace_start());
	if (c->toy_client) {
		lfd = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT, 4);
		ASSERT_LE(0, lfd);
		ASSERT_EQ(0, tt_pair_via(lfd, TT_A, tt_family(), TT_ADDR_B, PORT, &toy, &lin));
	} else {
		lfd = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, PORT, 4);
		ASSERT_LE(0, lfd);
		ASSERT_EQ(0, tt_pair_via(lfd, TT_B, AF_INET, TT_ADDR_A, PORT, &lin, &toy));
	}
	close(lfd);
	ASSERT_EQ(0, tt_netem_both("loss 1%"));
	EXPECT_EQ(0, tt_xfer_pair(toy, lin, n, 2018, 60000, "toytcp", "Linux", why, sizeof(why)))
		TH_LOG("%s", why);
	tt_netem_both(NULL);

	ASSERT_EQ(0, tt_tcp_info(toy, &ti));
	EXPECT_EQ(on, !!(ti.b.tcpi_options & TCPI_OPT_SACK));
	/* delivered counts segments the peer got: at least n / MSS of them */
	EXPECT_LE(n / ti.b.tcpi_snd_mss, ti.delivered);
	EXPECT_EQ(3, (int)ti.b.tcpi_reordering);
	EXPECT_EQ(0, (int)ti.b.tcpi_sacked) TH_LOG("all acknowledged: nothing SACKed above it");
	close(toy);
	close(lin);
	tt_cap_stop(&cap);
	tt_sh("ip netns exec " TT_NS_B " sysctl -q -w net.ipv4.tcp_sack=1");
	if (on && !tt_inet_mode())
		EXPECT_LT(rec0, tt_stat("SackRecovery"));
	if (!tt_inet_mode())
		trace_check(_metadata, on);

	npk = tt_pcap_read(cap.path, &pk);
	ASSERT_LT(0, npk) TH_LOG("no capture in %s", cap.path);
	for (int i = 0; i < npk; i++) {
		const struct tt_pkt *p = &pk[i];
		bool from_toy = p->saddr == a;

		if (p->flags & TT_F_SYN) {
			if (syn_perm[!from_toy] < 0)
				syn_perm[!from_toy] = p->sack_perm;
			continue;
		}
		if (!p->nsacks)
			continue;
		*(from_toy ? &toy_blocks : &lin_blocks) += 1;
		if (from_toy)
			EXPECT_EQ(0, p->len) TH_LOG("toytcp: SACK blocks on a data segment");
		for (int b = 0; b < p->nsacks; b++) {
			uint32_t l = p->sacks[b][0], r = p->sacks[b][1];

			EXPECT_TRUE((int32_t)(r - l) > 0)
				TH_LOG("%s: empty block %u-%u", from_toy ? "toytcp" : "Linux", l, r);
			/* above the ACK, or (first block only) a D-SACK below it */
			EXPECT_TRUE((int32_t)(l - p->ack) > 0 ||
				    (b == 0 && (int32_t)(r - p->ack) <= 0) ||
				    (b == 0 && p->nsacks > 1))
				TH_LOG("%s: block %u-%u at ACK %u", from_toy ? "toytcp" : "Linux",
				       l, r, p->ack);
		}
	}
	/* toytcp always offers; whoever answers the SYN only when both do */
	EXPECT_EQ(c->toy_client || on, syn_perm[0] == 1)
		TH_LOG("toytcp's SYN or SYN-ACK: SACK permitted %d", syn_perm[0]);
	EXPECT_EQ(on, syn_perm[1] == 1) TH_LOG("Linux's: SACK permitted %d", syn_perm[1]);
	if (on) {
		EXPECT_LT(0, toy_blocks) TH_LOG("toytcp sent no SACK block");
		EXPECT_LT(0, lin_blocks) TH_LOG("Linux sent no SACK block");
	} else {
		EXPECT_EQ(0, toy_blocks);
		EXPECT_EQ(0, lin_blocks);
	}
	printf("# Linux sack=%d, toytcp %s: %d segments, %d with SACK from toytcp, %d from Linux, %u retransmitted by toytcp, %u D-SACKs, %u delivered\n",
	       on, c->toy_client ? "client" : "server", npk, toy_blocks, lin_blocks,
	       ti.b.tcpi_total_retrans, ti.dsack_dups, ti.delivered);
	free(pk);
	unlink(cap.path);
}

TEST_HARNESS_MAIN
