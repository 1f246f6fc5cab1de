// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 9): RFC 7323 window scaling and timestamps, toytcp in
 * namespace A against Linux TCP in B, with Linux's own switches in B
 * (net.ipv4.tcp_window_scaling, net.ipv4.tcp_timestamps) flipped off and
 * on, toytcp as client and as server: 8 cases.
 *
 * Each case captures the connection on B's veth end (tcpdump), moves
 * TOYTCP_RFC7323_BYTES (2 MB; 1 MB on the debug kernel) each way at once,
 * byte-exact, and checks:
 *   - the SYN carries window scale and timestamps from its sender when
 *     that one offers them (toytcp always does here; Linux as its
 *     switches say), the SYN-ACK only when both SYNs do;
 *   - every later segment carries timestamps exactly when both offered
 *     them, and never a window scale option;
 *   - TCP_INFO of toytcp's socket says the same (tcpi_options,
 *     tcpi_snd_wscale, tcpi_rcv_wscale);
 *   - with scaling on, toytcp advertised a window beyond 64 KB (a field
 *     shifted by its scale); without it no window exceeds 65535;
 *   - toytcp's SND.WND (tcpi_snd_wnd) is one of the windows Linux sent,
 *     read with Linux's shift (or none).
 *
 * TOYTCP_TEST_FAMILY=inet runs toytcp's side as Linux TCP (checks the test).
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT 5301
#define MB (1024 * 1024ULL)

/* Linux's switches in namespace B; 0 or -1. */
static int linux_switches(int ws, int ts)
{
	return tt_sh("ip netns exec " TT_NS_B " sysctl -q -w net.ipv4.tcp_window_scaling=%d "
		     "net.ipv4.tcp_timestamps=%d", ws, ts);
}

struct rcase {
	bool linux_ws, linux_ts, toy_client;
};

FIXTURE(rfc7323) { int unused; };
FIXTURE_VARIANT(rfc7323) { struct rcase c; };
FIXTURE_SETUP(rfc7323)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}
FIXTURE_TEARDOWN(rfc7323)
{
	tt_net_down();
}

#define RV(name, ws, ts, client)					\
	FIXTURE_VARIANT_ADD(rfc7323, name) {				\
		.c = { .linux_ws = ws, .linux_ts = ts, .toy_client = client } \
	}
RV(linux_both_toy_client, true, true, true);
RV(linux_both_toy_server, true, true, false);
RV(linux_no_wscale_toy_client, false, true, true);
RV(linux_no_wscale_toy_server, false, true, false);
RV(linux_no_timestamps_toy_client, true, false, true);
RV(linux_no_timestamps_toy_server, true, false, false);
RV(linux_neither_toy_client, false, false, true);
RV(linux_neither_toy_server, false, false, false);

TEST_F_TIMEOUT(rfc7323, negotiated, 180)
{
	const struct rcase *c = &variant->c;
	uint64_t n = tt_env_size("TOYTCP_RFC7323_BYTES", tt_debian_kernel() ? 2 * MB : MB);
	int lfd, toy = -1, lin = -1, npk, syns = 0, synacks = 0, later = 0;
	bool ws = c->linux_ws, ts = c->linux_ts;	/* toytcp offers both */
	uint32_t a = tt_ip(TT_ADDR_A), max_toy_wnd = 0, max_lin_wnd = 0;
	bool lin_wnd_seen = false;	/* toytcp's SND.WND is a window Linux sent */
	struct tt_tcp_info ti;
	struct tt_pkt *pk;
	struct tt_cap cap;
	char why[200];
	int toy_ws = -1, lin_ws = -1;

	ASSERT_EQ(0, linux_switches(c->linux_ws, c->linux_ts));
	ASSERT_EQ(0, tt_cap_start(&cap, TT_B, TT_IF_B, "tcp port 5301"));
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
	EXPECT_EQ(0, tt_xfer_pair(toy, lin, n, 7323, 30000, "toytcp", "Linux", why, sizeof(why)))
		TH_LOG("%s", why);

	/* TCP_INFO of toytcp's end */
	ASSERT_EQ(0, tt_tcp_info(toy, &ti));
	EXPECT_EQ(ts, !!(ti.b.tcpi_options & TCPI_OPT_TIMESTAMPS));
	EXPECT_EQ(ws, !!(ti.b.tcpi_options & TCPI_OPT_WSCALE));
	if (ws) {
		EXPECT_LT(0, (int)ti.b.tcpi_snd_wscale) TH_LOG("Linux's shift count");
		EXPECT_LT(0, (int)ti.b.tcpi_rcv_wscale) TH_LOG("toytcp's shift count");
	} else {
		EXPECT_EQ(0, (int)ti.b.tcpi_snd_wscale);
		EXPECT_EQ(0, (int)ti.b.tcpi_rcv_wscale);
		EXPECT_GE(65535, ti.snd_wnd);
	}
	close(toy);
	close(lin);
	tt_cap_stop(&cap);
	linux_switches(1, 1);

	npk = tt_pcap_read(cap.path, &pk);
	ASSERT_LT(0, npk) TH_LOG("no capture in %s", cap.path);
	for (int i = 0; i < npk; i++) {
		const struct tt_pkt *p = &pk[i];
		bool from_toy = p->saddr == a;
		/* a SYN as its sender offers (toytcp: both); a SYN-ACK what both do */
		bool offers = p->flags & TT_F_ACK ? ws : from_toy || c->linux_ws;
		bool offers_ts = p->flags & TT_F_ACK ? ts : from_toy || c->linux_ts;

		if (p->flags & TT_F_SYN) {
			*(p->flags & TT_F_ACK ? &synacks : &syns) += 1;
			EXPECT_EQ(offers, p->wscale >= 0)
				TH_LOG("%s %s: window scale %d", from_toy ? "toytcp" : "Linux",
				       p->flags & TT_F_ACK ? "SYN-ACK" : "SYN", p->wscale);
			EXPECT_EQ(offers_ts, p->ts)
				TH_LOG("%s %s: timestamps %d", from_toy ? "toytcp" : "Linux",
				       p->flags & TT_F_ACK ? "SYN-ACK" : "SYN", p->ts);
			if (p->wscale >= 0)
				*(from_toy ? &toy_ws : &lin_ws) = p->wscale;
			continue;
		}
		later++;
		EXPECT_EQ(-1, p->wscale) TH_LOG("window scale outside a SYN");
		if (p->flags & TT_F_RST)
			continue;
		EXPECT_EQ(ts, p->ts) TH_LOG("%s segment %u: timestamps %d",
					    from_toy ? "toytcp" : "Linux", p->seq, p->ts);
		if (from_toy) {
			uint32_t w = (uint32_t)p->win << (ws && toy_ws > 0 ? toy_ws : 0);

			if (w > max_toy_wnd)
				max_toy_wnd = w;
		} else {
			uint32_t w = (uint32_t)p->win << (ws && lin_ws > 0 ? lin_ws : 0);

			if (w > max_lin_wnd)
				max_lin_wnd = w;
			lin_wnd_seen |= w == ti.snd_wnd;
		}
	}
	EXPECT_EQ(1, syns);
	EXPECT_EQ(1, synacks);
	EXPECT_LT(100, later);
	if (ws) {
		/* Linux's grows past 64 KB only as its autotuning sees fit: not checked */
		EXPECT_LT(65535, max_toy_wnd) TH_LOG("toytcp's largest window %u", max_toy_wnd);
	} else {
		EXPECT_GE(65535, max_toy_wnd);
		EXPECT_GE(65535, max_lin_wnd);
	}
	/* toytcp read Linux's window fields as Linux meant them (shifted or not) */
	EXPECT_TRUE(lin_wnd_seen)
		TH_LOG("toytcp's SND.WND %u is no window Linux sent (shift %d)", ti.snd_wnd, lin_ws);
	printf("# Linux ws=%d ts=%d, toytcp %s: %d segments, shifts %d (toytcp) %d (Linux), largest windows %u / %u, toytcp's SND.WND %u\n",
	       c->linux_ws, c->linux_ts, c->toy_client ? "client" : "server", npk, toy_ws,
	       lin_ws, max_toy_wnd, max_lin_wnd, ti.snd_wnd);
	free(pk);
	unlink(cap.path);
}

TEST_HARNESS_MAIN
