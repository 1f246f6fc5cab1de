// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 10): ECN (RFC 3168) with Linux TCP as the peer, toytcp in
 * namespace A, Linux in B; netem on both veth ends marks CE where it
 * would drop an ECT packet ("loss 2% ecn"). Three cases:
 *
 *   toy_asks      toytcp client with the module parameter ecn=1 (ask),
 *                 Linux server with net.ipv4.tcp_ecn=2 (accept)
 *   linux_asks    Linux client with tcp_ecn=1, toytcp server with its
 *                 default (the namespace's tcp_ecn, 2: accept)
 *   linux_off     toytcp asks, Linux has tcp_ecn=0: no ECN
 *
 * Each moves TOYTCP_ECN_BYTES (1 MB) each way at once, byte-exact, with a
 * capture on B's end, and checks: the asker's SYN says ECE and CWR, the
 * SYN-ACK ECE alone (none when Linux is off); with ECN, toytcp's data
 * leave as ECT(0) and its pure ACKs as not-ECT; CE marks on Linux's data
 * come back as ECE from toytcp, and Linux's CWR follows; CE marks on
 * toytcp's data come back as ECE from Linux, and toytcp's CWR follows;
 * TCP_INFO has TCPI_OPT_ECN and tcpi_delivered_ce; the counters
 * EcnCeMarks and EcnCwndReductions grew. Without ECN, none of it.
 *
 * TOYTCP_TEST_FAMILY=inet runs toytcp's side as Linux TCP.
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT 5304
#define MB (1024 * 1024ULL)
#define TH_ECE 0x40
#define TH_CWR 0x80
#define ECN_MASK 3
#define ECT0 2

struct ecase {
	bool toy_client;	/* toytcp connects (and asks); else Linux does */
	int linux_ecn;		/* B's net.ipv4.tcp_ecn */
};

FIXTURE(ecn) { bool asked; };

/*
 * toytcp's side asks for ECN (the module parameter ecn=1), or stops
 * asking (-1: the namespace's tcp_ecn again); in inet mode A's tcp_ecn.
 */
static int toy_asks(bool on)
{
	if (tt_inet_mode())
		return tt_write_int("/proc/sys/net/ipv4/tcp_ecn", on ? 1 : 2);
	return tt_write_int(TT_PARAM_DIR "ecn", on ? 1 : -1);
}
FIXTURE_VARIANT(ecn) { struct ecase c; };
FIXTURE_SETUP(ecn)
{
	self->asked = false;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}
FIXTURE_TEARDOWN(ecn)
{
	tt_netem_both(NULL);
	if (self->asked)
		toy_asks(false);
	tt_net_down();
}

FIXTURE_VARIANT_ADD(ecn, toy_asks) { .c = { .toy_client = true, .linux_ecn = 2 } };
FIXTURE_VARIANT_ADD(ecn, linux_asks) { .c = { .toy_client = false, .linux_ecn = 1 } };
FIXTURE_VARIANT_ADD(ecn, linux_off) { .c = { .toy_client = true, .linux_ecn = 0 } };

TEST_F_TIMEOUT(ecn, marks_both_ways, 300)
{
	const struct ecase *c = &variant->c;
	uint64_t n = tt_env_size("TOYTCP_ECN_BYTES", MB);
	bool on = c->linux_ecn != 0;
	uint32_t a = tt_ip(TT_ADDR_A);
	int lfd, toy = -1, lin = -1, npk, syn_ecn[2] = { -1, -1 };
	int toy_ect = 0, toy_data = 0, toy_ack_ect = 0, ce_on_lin = 0, ce_on_toy = 0;
	int toy_ece = 0, lin_ece = 0, toy_cwr = 0, lin_cwr = 0;
	long marks0 = tt_inet_mode() ? 0 : tt_stat("EcnCeMarks");
	long red0 = tt_inet_mode() ? 0 : tt_stat("EcnCwndReductions");
	struct tt_tcp_info ti;
	struct tt_pkt *pk;
	struct tt_cap cap;
	char why[200];

	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " sysctl -q -w net.ipv4.tcp_ecn=%d",
			   c->linux_ecn));
	if (c->toy_client) {
		self->asked = true;
		ASSERT_EQ(0, toy_asks(true));
	}
	/*
	 * One segment per skb on both ends, which both stacks obey: netem
	 * takes whole skbs, and a 64 KB GSO skb would be one loss (or mark)
	 * of 44 segments, too few events in 1 MB to count on. Set before
	 * the connection: Linux TCP reads the limit when it connects.
	 */
	ASSERT_EQ(0, tt_sh("ip -n " TT_NS_A " link set dev " TT_IF_A " gso_max_segs 1\n"
			   "ip -n " TT_NS_B " link set dev " TT_IF_B " gso_max_segs 1"));
	ASSERT_EQ(0, tt_cap_start(&cap, TT_B, TT_IF_B, "tcp port 5304"));
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
	ASSERT_EQ(0, tt_netem_both("loss 2% ecn"));
	EXPECT_EQ(0, tt_xfer_pair(toy, lin, n, 3168, 60000, "toytcp", "Linux", why, sizeof(why)))
		TH_LOG("%s", why);
	tt_netem_both(NULL);
	ASSERT_EQ(0, tt_tcp_info(toy, &ti));
	close(toy);
	close(lin);
	tt_cap_stop(&cap);
	tt_sh("ip netns exec " TT_NS_B " sysctl -q -w net.ipv4.tcp_ecn=2");

	npk = tt_pcap_read(cap.path, &pk);
	ASSERT_LT(0, npk) TH_LOG("no capture in %s", cap.path);
	for (int i = 0; i < npk; i++) {
		const struct tt_pkt *p = &pk[i];
		bool from_toy = p->saddr == a;
		int ecn = p->tos & ECN_MASK;

		if (p->flags & TT_F_SYN) {
			if (syn_ecn[!from_toy] < 0)
				syn_ecn[!from_toy] = p->flags & (TH_ECE | TH_CWR);
			continue;
		}
		if (from_toy) {
			toy_ece += !!(p->flags & TH_ECE);
			toy_cwr += !!(p->flags & TH_CWR);
			if (p->len) {
				toy_data++;
				toy_ect += ecn != 0;
				ce_on_toy += ecn == 3;
			} else if (!(p->flags & TT_F_FIN)) {
				toy_ack_ect += ecn != 0;
			}
		} else {
			lin_ece += !!(p->flags & TH_ECE);
			lin_cwr += !!(p->flags & TH_CWR);
			ce_on_lin += p->len && ecn == 3;
		}
	}
	printf("# Linux tcp_ecn=%d, toytcp %s: %d segments; toytcp: %d data (%d ECT, %d CE), %d ECE, %d CWR; Linux: %d CE on its data, %d ECE, %d CWR; delivered_ce %u\n",
	       c->linux_ecn, c->toy_client ? "client" : "server", npk, toy_data, toy_ect,
	       ce_on_toy, toy_ece, toy_cwr, ce_on_lin, lin_ece, lin_cwr, ti.delivered_ce);
	/* the asker's SYN: ECE and CWR; the answer: ECE alone, if it accepts */
	EXPECT_EQ(TH_ECE | TH_CWR, syn_ecn[c->toy_client ? 0 : 1]);
	EXPECT_EQ(on ? TH_ECE : 0, syn_ecn[c->toy_client ? 1 : 0]);
	EXPECT_EQ(on, !!(ti.b.tcpi_options & TCPI_OPT_ECN));
	EXPECT_EQ(0, toy_ack_ect) TH_LOG("toytcp's pure ACKs must not be ECT");
	if (on) {
		/* retransmissions go without ECT: most data does not */
		EXPECT_LT(toy_data / 2, toy_ect);
		EXPECT_LT(0, ce_on_lin) TH_LOG("netem marked none of Linux's data");
		EXPECT_LT(0, toy_ece) TH_LOG("toytcp echoed no CE mark");
		EXPECT_LT(0, lin_cwr) TH_LOG("Linux never reduced for toytcp's ECE");
		EXPECT_LT(0, ce_on_toy) TH_LOG("netem marked none of toytcp's data");
		EXPECT_LT(0, lin_ece) TH_LOG("Linux echoed no CE mark");
		EXPECT_LT(0, toy_cwr) TH_LOG("toytcp never said CWR");
		EXPECT_LT(0u, ti.delivered_ce);
		if (!tt_inet_mode()) {
			EXPECT_LT(marks0, tt_stat("EcnCeMarks"));
			EXPECT_LT(red0, tt_stat("EcnCwndReductions"));
		}
	} else {
		EXPECT_EQ(0, toy_ect);
		EXPECT_EQ(0, toy_ece + toy_cwr + lin_ece + lin_cwr);
	}
	free(pk);
	unlink(cap.path);
}

TEST_HARNESS_MAIN
