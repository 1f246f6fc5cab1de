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
 *   - toytcp's segment events carry the blocks (sack=) both ways; none
 *     without SACK (toytrace's drawings of them: repair.one_hole below).
 *
 * TOYTCP_TEST_FAMILY=inet runs toytcp's side as Linux TCP (checks the test).
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT 5302
#define MB (1024 * 1024ULL)
#define TRACE_INST "/sys/kernel/tracing/instances/toytcp_sack_test"

#define TRACE_RAW "/tmp/sack_test.trace"

/* toytcp's segment events for @port, into a tracefs instance of our own. */
static int trace_start(int port)
{
	tt_sh("rmdir " TRACE_INST " 2>/dev/null");
	return tt_sh("mkdir " TRACE_INST " && cd " TRACE_INST " && echo 8192 > buffer_size_kb && "
		     "echo 'sport == %d || dport == %d' > events/toytcp/filter && "
		     "echo 1 > events/toytcp/toytcp_send_segment/enable && "
		     "echo 1 > events/toytcp/toytcp_recv_segment/enable", port, port);
}

/* Stop, and keep the text in TRACE_RAW. */
static int trace_stop(void)
{
	int rc = tt_sh("echo 0 > " TRACE_INST "/events/toytcp/enable && "
		       "cat " TRACE_INST "/trace > " TRACE_RAW);

	tt_sh("rmdir " TRACE_INST);
	return rc;
}

/*
 * The events of a transfer: with SACK on (@on), segments with sack= both
 * ways (toytcp's ACKs, Linux's ACKs); without, none at all.
 */
static void trace_check(struct __test_metadata *_metadata, bool on)
{
	int want = on ? 0 : 1;	/* grep's status: found, or not */

	ASSERT_EQ(0, trace_stop());
	EXPECT_EQ(want, tt_sh("grep -q 'toytcp_send_segment: .* sack=[0-9]' " TRACE_RAW))
		TH_LOG("toytcp's own SACK blocks in its send events");
	EXPECT_EQ(want, tt_sh("grep -q 'toytcp_recv_segment: .* sack=[0-9]' " TRACE_RAW))
		TH_LOG("Linux's SACK blocks in toytcp's receive events");
	unlink(TRACE_RAW);
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
		ASSERT_EQ(0, trace_start(PORT));
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

/* ------------------------------------------------------------------ */
/*
 * Repair without the RTO (issue 10). A toytcp client in A sends a flight
 * of full segments (10, or 3) to a Linux server in B, whose INPUT drops chosen
 * segments once each: nft drops a segment whose payload begins with a
 * marker the first time and lets it through after (its source address
 * goes into a set). The markers sit where segments begin (one segment
 * per skb on both ends, TCP_NODELAY, the write after a warm-up exchange).
 *
 *  one_hole  the 6th of the 10: the peer SACKs the 4 after it, SACK
 *            recovery sends it again: one retransmission, no RTO; and
 *            toytrace shows the SACK in its ladder and graph.
 *  tail      the last two (nothing after them shows the loss): the tail
 *            loss probe sends the last again, its SACK shows the other
 *            lost, which goes too: two retransmissions, no RTO.
 *  small_flight  a flight of 3, the first dropped: 2 MSS SACKed above it
 *            never make it lost by DupThresh; RACK's reordering window
 *            runs out and it goes again: one retransmission, no RTO.
 *
 * Checked: the bytes arrive exact, each rule dropped exactly once, no
 * retransmission timeout (RetransTimeouts; Linux's TCPTimeouts in inet
 * mode), and what each mechanism's counter says.
 */
#define RPORT 5304

FIXTURE(repair) { int lfd, toy, lin; unsigned int mss; };

FIXTURE_SETUP(repair)
{
	static char warm[16384], got[sizeof(warm)];
	struct tt_tcp_info ti;
	int one = 1;

	self->lfd = self->toy = self->lin = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	ASSERT_EQ(0, tt_sh("ip -n " TT_NS_A " link set dev " TT_IF_A " gso_max_segs 1\n"
			   "ip -n " TT_NS_B " link set dev " TT_IF_B " gso_max_segs 1"));
	self->lfd = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, RPORT, 4);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, tt_pair_via(self->lfd, TT_A, tt_family(), TT_ADDR_B, RPORT,
				 &self->toy, &self->lin));
	ASSERT_EQ(0, setsockopt(self->toy, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	/*
	 * Round trips of a whole flight measured first: the probe timeout
	 * (2 SRTT) must not come before the SACKs of a flight as large as
	 * the cases' on a busy machine, or a probe would be sent as well.
	 */
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, tt_write_full(self->toy, warm, sizeof(warm)));
		ASSERT_EQ(0, tt_read_full(self->lin, got, sizeof(got), 5000));
		ASSERT_EQ(0, tt_wait_acked(self->toy, 5000));
	}
	ASSERT_EQ(0, tt_tcp_info(self->toy, &ti));
	self->mss = ti.b.tcpi_snd_mss;
	ASSERT_LT(500, self->mss);
}

FIXTURE_TEARDOWN(repair)
{
	tt_sh("ip netns exec " TT_NS_B " nft delete table inet tt_repair 2>/dev/null");
	close(self->toy);
	close(self->lin);
	close(self->lfd);
}

/* Retransmission timeouts so far in A: toytcp's, or Linux's in inet mode. */
static long rto_count(void)
{
	long v = -1;
	FILE *f;

	if (!tt_inet_mode())
		return tt_stat("RetransTimeouts");
	f = popen("nstat -az TcpExtTCPTimeouts | awk '$1 == \"TcpExtTCPTimeouts\" { print $2 }'", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	pclose(f);
	return v;
}

/* In B: drop the first segment whose payload begins with each marker. */
static int drop_once(const char *const *marks, int n)
{
	char rules[2048];
	int len = 0;

	for (int i = 0; i < n; i++) {
		char hex[17];

		for (int j = 0; j < 8; j++)
			sprintf(hex + 2 * j, "%02x", (unsigned char)marks[i][j]);
		len += snprintf(rules + len, sizeof(rules) - len,
				"set seen%d { type ipv4_addr; flags dynamic; }\n"
				"chain in%d { type filter hook input priority 0;\n"
				"  tcp dport %d @ih,0,64 0x%s ip saddr @seen%d accept\n"
				"  tcp dport %d @ih,0,64 0x%s add @seen%d { ip saddr } counter drop\n}\n",
				i, i, RPORT, hex, i, RPORT, hex, i);
	}
	return tt_sh("ip netns exec " TT_NS_B " nft -f - <<'EOF'\ntable inet tt_repair {\n%s}\nEOF\n",
		     rules);
}

/* Each drop rule matched once: "counter packets 1" as often as rules. */
static int drops(void)
{
	return tt_sh("exit $(ip netns exec " TT_NS_B " nft list table inet tt_repair | "
		     "grep -c 'counter packets 1 ')");
}

/* Send @segs segments with @marks at segments @at[]; the peer reads them all. */
static void flight(struct __test_metadata *_metadata, FIXTURE_DATA(repair) *self, int segs,
		   const char *const *marks, const int *at, int n)
{
	size_t len = segs * self->mss;
	char *buf = calloc(1, len), *got = malloc(len);

	ASSERT_TRUE(buf && got);
	for (int i = 0; i < len; i++)
		buf[i] = 'a' + i % 23;
	for (int i = 0; i < n; i++)
		memcpy(buf + at[i] * self->mss, marks[i], 8);
	ASSERT_EQ(0, drop_once(marks, n));
	ASSERT_EQ(0, tt_write_full(self->toy, buf, len));
	ASSERT_EQ(0, tt_read_full(self->lin, got, len, 10000));
	EXPECT_EQ(0, memcmp(buf, got, len));
	ASSERT_EQ(0, tt_wait_acked(self->toy, 10000));
	EXPECT_EQ(n, drops()) TH_LOG("not every marked segment was dropped once");
	free(buf);
	free(got);
}

TEST_F_TIMEOUT(repair, one_hole, 120)
{
	static const char *const marks[] = { "TOY_HOLE" };
	long rto0 = rto_count(), rec0 = tt_inet_mode() ? 0 : tt_stat("SackRecovery");
	const char *tools = getenv("TOYTCP_TOOLS");
	unsigned int m = self->mss;
	struct tt_tcp_info ti;

	if (!tt_inet_mode())
		ASSERT_EQ(0, trace_start(RPORT));
	flight(_metadata, self, 10, marks, (const int[]){ 5 }, 1);
	ASSERT_EQ(0, tt_tcp_info(self->toy, &ti));
	EXPECT_EQ(1, (int)ti.b.tcpi_total_retrans);
	EXPECT_EQ(rto0, rto_count()) TH_LOG("a retransmission timeout repaired the hole");
	if (tt_inet_mode())
		return;
	EXPECT_EQ(rec0 + 1, tt_stat("SackRecovery"));
	/*
	 * toytrace draws what the events say: an ACK of the hole SACKs from
	 * the 7th segment on (how far depends on how many Linux's ACK
	 * compression took together; absolute numbers, -A: the trace began
	 * after the handshake; S0, the first segment's, is read from it),
	 * and the graph marks SACKed ranges.
	 */
	ASSERT_EQ(0, trace_stop());
	if (!tools || !*tools)
		tools = "tools";
	EXPECT_EQ(0, tt_sh("S0=$(grep -m 1 toytcp_send_segment %s | sed 's/.* seq=\\([0-9]*\\) .*/\\1/')\n"
			   "w() { echo $(( (S0 + $1 * %u) %% 4294967296 )); }\n"
			   "python3 %s/toytrace -A -r %s | "
			   "grep -q \"|<- ACK .*ack=$(w 5) .*sack=$(w 6)-\"",
			   TRACE_RAW, m, tools, TRACE_RAW))
		TH_LOG("toytrace's ladder: no row with the SACK of segment 7");
	EXPECT_EQ(0, tt_sh("python3 %s/toytrace -q -r %s --tsg %s.svg && "
			   "grep -q '<line class=.sack.[^>]*><title>SACK [0-9]' %s.svg",
			   tools, TRACE_RAW, TRACE_RAW, TRACE_RAW))
		TH_LOG("toytrace's time-sequence graph: no SACKed range");
	unlink(TRACE_RAW);
}

TEST_F_TIMEOUT(repair, tail, 120)
{
	static const char *const marks[] = { "TOY_TL_8", "TOY_TL_9" };
	long rto0 = rto_count(), tlp0 = tt_inet_mode() ? 0 : tt_stat("TailLossProbes");
	struct tt_tcp_info ti;

	flight(_metadata, self, 10, marks, (const int[]){ 8, 9 }, 2);
	ASSERT_EQ(0, tt_tcp_info(self->toy, &ti));
	EXPECT_EQ(2, (int)ti.b.tcpi_total_retrans);
	EXPECT_EQ(rto0, rto_count()) TH_LOG("a retransmission timeout repaired the tail");
	if (!tt_inet_mode())
		EXPECT_EQ(tlp0 + 1, tt_stat("TailLossProbes"));
}

TEST_F_TIMEOUT(repair, small_flight, 120)
{
	static const char *const marks[] = { "TOY_SMAL" };
	long rto0 = rto_count(), reo0 = tt_inet_mode() ? 0 : tt_stat("RackReorderTimeouts");
	struct tt_tcp_info ti;

	flight(_metadata, self, 3, marks, (const int[]){ 0 }, 1);
	ASSERT_EQ(0, tt_tcp_info(self->toy, &ti));
	EXPECT_EQ(1, (int)ti.b.tcpi_total_retrans);
	EXPECT_EQ(rto0, rto_count()) TH_LOG("a retransmission timeout repaired the hole");
	if (!tt_inet_mode())
		EXPECT_EQ(reo0 + 1, tt_stat("RackReorderTimeouts"));
}

TEST_HARNESS_MAIN
