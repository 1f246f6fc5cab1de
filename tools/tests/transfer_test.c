// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: whole connections that move data and close, byte-exact.
 *
 *  interop       toytcp <-> Linux TCP across the veth pair, 1 B and 1 MB
 *                each way at once, toytcp as client and as server, each
 *                side closing first in turn;
 *  interop_big   the same with TOYTCP_BIG_BYTES (default 200 MiB, 1 GiB
 *                under make stress; 16 MiB on the debug kernel) one way,
 *                both directions, both roles, both closing orders;
 *  toy_pair      toytcp <-> toytcp across the veth pair and over 127.0.0.1.
 *  offload       the module parameter offload: on, toytcp's data leave as
 *                GSO skbs (a capture on the peer's end of the veth pair,
 *                which hands them over whole, sees packets longer than the
 *                MSS); off, as wire segments (none longer); and
 *                TOYTCP_BIG_BYTES byte-exact each way with it off (on is
 *                interop_big).
 *  tuning        buffer autotuning as SO_RCVBUF and SO_SNDBUF show it, 5 ms
 *                of delay each way: a
 *                toytcp child of a listener where they were not set has
 *                both beyond tcp_rmem[1] / tcp_wmem[1] after 4 MB each
 *                way; the child of a listener where they were set keeps
 *                them (TOYTCP_TEST_FAMILY=inet: Linux does the same).
 *
 * Every case: the sender hashes what it sent, the receiver what it got and
 * checks every byte against the expected stream; the side that closes
 * second must read end-of-stream (recv() == 0) after exactly the data; the
 * side that closed first must then be in TIME_WAIT in its /proc/net table
 * and the other side's connection gone (its FIN acknowledged).
 *
 * The side under test (the "toy" side) runs in the test process in
 * namespace A; the peer runs in a child, in namespace B (or A over lo).
 * TOYTCP_TEST_FAMILY=inet runs the toy side as Linux TCP.
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

enum peer_kind { PEER_LINUX, PEER_TOY_VETH, PEER_TOY_LOOP };

#define PORT 5001
#define BIG UINT64_MAX	/* stands for TOYTCP_BIG_BYTES */
#define MB (1024 * 1024ULL)

/*
 * 200 MiB on Debian's kernel, 1 GiB under make stress; 16 MiB on the
 * debug one, where splats are the point (64 MiB under make stress)
 */
static uint64_t big_bytes(void)
{
	const char *stress = getenv("TOYTCP_STRESS");
	bool long_form = stress && !strcmp(stress, "1");

	if (tt_debian_kernel())
		return tt_env_size("TOYTCP_BIG_BYTES", (long_form ? 1024 : 200) * MB);
	return tt_env_size("TOYTCP_BIG_BYTES", (long_form ? 64 : 16) * MB);
}

static int stall_ms(void)
{
	const char *e = getenv("TOYTCP_STALL_MS");

	return e && *e ? atoi(e) : 30000;
}

/* One end of the connection. */
struct side {
	int fam;
	bool server;
	const char *ip;		/* server: bind here; client: connect here */
	bool close_first;
	struct tt_xfer x;
	int ready_rfd;		/* client: wait for the server's byte here */
	int ready_wfd;		/* server: write it here once listening */
};

struct side_res {
	int failed;
	char err[240];
	struct tt_xfer x;
	int lport, rport;
};

/*
 * Run one end, in the caller's namespace: connect or accept, transfer,
 * close in the given order.
 */
static void run_side(struct side *s, struct side_res *r)
{
	int fd = -1, lfd = -1;
	char err[160];

	memset(r, 0, sizeof(*r));
	if (s->server) {
		lfd = tt_listen_in(TT_A, s->fam, s->ip, PORT, 8);
		if (lfd < 0) {
			snprintf(r->err, sizeof(r->err), "listen on %s:%d: %s",
				 s->ip, PORT, strerror(errno));
			goto fail;
		}
		tt_signal_ready(s->ready_wfd);
		fd = tt_accept(lfd, 10000);
		if (fd < 0) {
			snprintf(r->err, sizeof(r->err), "accept: %s", strerror(errno));
			goto fail;
		}
		close(lfd);
		lfd = -1;
	} else {
		char b;

		if (tt_read_full(s->ready_rfd, &b, 1, 10000)) {
			snprintf(r->err, sizeof(r->err), "server never became ready");
			goto fail;
		}
		fd = tt_socket_in(TT_A, s->fam);
		if (fd < 0 || tt_connect(fd, s->ip, PORT, 10000)) {
			snprintf(r->err, sizeof(r->err), "connect to %s:%d: %s",
				 s->ip, PORT, strerror(errno));
			goto fail;
		}
	}
	r->lport = tt_local_port(fd);
	r->rport = tt_peer_port(fd);
	if (tt_pump(fd, &s->x)) {
		snprintf(r->err, sizeof(r->err), "%s %s: %s", tt_fam_name(s->fam),
			 s->server ? "server" : "client", s->x.err);
		r->x = s->x;
		goto fail;
	}
	r->x = s->x;
	if (!s->close_first && tt_expect_eof(fd, stall_ms(), err, sizeof(err))) {
		snprintf(r->err, sizeof(r->err), "%s %s: %s", tt_fam_name(s->fam),
			 s->server ? "server" : "client", err);
		goto fail;
	}
	close(fd);
	return;
fail:
	r->failed = 1;
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
}

/* The peer child: its struct side comes through arg. */
static void peer_main(void *arg, int ready_fd, int res_fd)
{
	struct side_res r;

	(void)ready_fd;
	run_side(arg, &r);
	tt_write_full(res_fd, &r, sizeof(r));
}

struct xcase {
	enum peer_kind peer;
	bool toy_client;
	bool toy_closes_first;
	uint64_t up, down;	/* bytes toy side -> peer, peer -> toy side */
};

static void run_case(struct __test_metadata *_metadata, const struct xcase *c)
{
	struct side toy = { .fam = tt_family() }, peer = { 0 };
	struct side_res tr, pr;
	struct tt_child ch;
	int rp[2], peer_ns, toy_first;
	uint64_t up = c->up == BIG ? big_bytes() : c->up;
	uint64_t down = c->down == BIG ? big_bytes() : c->down;
	const char *toy_tab, *peer_tab;
	unsigned int life;
	long resets0;
	double t0;

	peer.fam = c->peer == PEER_LINUX ? AF_INET : tt_family();
	peer_ns = c->peer == PEER_TOY_LOOP ? TT_A : TT_B;
	toy.server = !c->toy_client;
	peer.server = c->toy_client;
	if (c->peer == PEER_TOY_LOOP)
		toy.ip = peer.ip = TT_LOOP;
	else
		toy.ip = peer.ip = c->toy_client ? TT_ADDR_B : TT_ADDR_A;
	toy.close_first = c->toy_closes_first;
	peer.close_first = !c->toy_closes_first;
	toy.x = (struct tt_xfer){ .tx_len = up, .rx_len = down, .tx_seed = 1,
				  .rx_seed = 2, .stall_ms = stall_ms() };
	peer.x = (struct tt_xfer){ .tx_len = down, .rx_len = up, .tx_seed = 2,
				   .rx_seed = 1, .stall_ms = stall_ms() };

	/* Whoever is the client waits for the server's byte on rp[0]. */
	ASSERT_EQ(0, pipe(rp));
	toy.ready_rfd = peer.ready_rfd = rp[0];
	toy.ready_wfd = peer.ready_wfd = rp[1];
	/* a child lives at most this long: 100 KB/s at worst, plus a minute */
	life = 60 + (up + down) / 100000;
	resets0 = tt_stat("EstabResets");
	ASSERT_EQ(0, tt_spawn(&ch, peer_ns, life, peer_main, &peer));
	t0 = tt_now();
	run_side(&toy, &tr);
	if (tr.failed)
		kill(ch.pid, SIGKILL);
	ASSERT_EQ(0, tt_child_finish(&ch, &pr, sizeof(pr), 1000 * life))
		TH_LOG("%s peer died or hung (toy side: %s)", tt_fam_name(peer.fam),
		       tr.failed ? tr.err : "ok");
	printf("# %llu bytes up, %llu down in %.2f s (toy side %.2f MB/s up, %.2f MB/s down)\n",
	       (unsigned long long)up, (unsigned long long)down, tt_now() - t0,
	       tr.x.secs > 0 ? up / tr.x.secs / 1e6 : 0.0,
	       tr.x.secs > 0 ? down / tr.x.secs / 1e6 : 0.0);
	EXPECT_EQ(0, tr.failed) TH_LOG("toy side: %s", tr.err);
	EXPECT_EQ(0, pr.failed) TH_LOG("peer side: %s", pr.err);
	ASSERT_FALSE(tr.failed || pr.failed);

	/* the same bytes, in order, both ways */
	EXPECT_EQ(up, tr.x.tx_done);
	EXPECT_EQ(up, pr.x.rx_done);
	EXPECT_EQ(down, pr.x.tx_done);
	EXPECT_EQ(down, tr.x.rx_done);
	EXPECT_EQ(tr.x.tx_hash, pr.x.rx_hash);
	EXPECT_EQ(pr.x.tx_hash, tr.x.rx_hash);
	EXPECT_EQ(-1, tr.x.mismatch);
	EXPECT_EQ(-1, pr.x.mismatch);
	EXPECT_EQ(tr.lport, pr.rport);
	EXPECT_EQ(tr.rport, pr.lport);

	/*
	 * The first closer sits in TIME_WAIT; the other end is gone, which
	 * needs its FIN acknowledged.
	 */
	toy_tab = tt_proc_path();
	peer_tab = tt_proc_path_of(peer.fam);
	toy_first = c->toy_closes_first;
	EXPECT_EQ(toy_first ? TCP_TIME_WAIT : 0,
		  tt_proc_wait(TT_A, toy_tab, tr.lport, tr.rport,
			       toy_first ? TCP_TIME_WAIT : 0, 5000))
		TH_LOG("toy side %d->%d in %s (resets taken during the case: %ld)",
		       tr.lport, tr.rport, toy_tab, tt_stat("EstabResets") - resets0);
	EXPECT_EQ(toy_first ? 0 : TCP_TIME_WAIT,
		  tt_proc_wait(peer_ns, peer_tab, pr.lport, pr.rport,
			       toy_first ? 0 : TCP_TIME_WAIT, 5000))
		TH_LOG("peer side %d->%d in %s", pr.lport, pr.rport, peer_tab);
}

#define XCASE_FIXTURE(fx)						\
	FIXTURE(fx) { int unused; };					\
	FIXTURE_VARIANT(fx) { struct xcase c; };			\
	FIXTURE_SETUP(fx)						\
	{								\
		ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");	\
		ASSERT_EQ(0, tt_net_up());				\
	}								\
	FIXTURE_TEARDOWN(fx)						\
	{								\
		tt_kill_children();					\
		tt_net_down();						\
	}

#define XV(fx, name, peer_, client_, closes_, up_, down_)		\
	FIXTURE_VARIANT_ADD(fx, name) {					\
		.c = { .peer = peer_, .toy_client = client_,		\
		       .toy_closes_first = closes_, .up = up_, .down = down_ } \
	}

XCASE_FIXTURE(interop);
/* toytcp client -> Linux server, and Linux client -> toytcp server */
XV(interop, toy_client_1B_toy_closes, PEER_LINUX, true, true, 1, 1);
XV(interop, toy_client_1B_linux_closes, PEER_LINUX, true, false, 1, 1);
XV(interop, toy_server_1B_toy_closes, PEER_LINUX, false, true, 1, 1);
XV(interop, toy_server_1B_linux_closes, PEER_LINUX, false, false, 1, 1);
XV(interop, toy_client_1M_toy_closes, PEER_LINUX, true, true, MB, MB);
XV(interop, toy_client_1M_linux_closes, PEER_LINUX, true, false, MB, MB);
XV(interop, toy_server_1M_toy_closes, PEER_LINUX, false, true, MB, MB);
XV(interop, toy_server_1M_linux_closes, PEER_LINUX, false, false, MB, MB);
/* one direction only, so that the first closer has nothing to read */
XV(interop, toy_client_sends_only, PEER_LINUX, true, true, MB, 0);
XV(interop, linux_server_sends_only, PEER_LINUX, true, false, 0, MB);
XV(interop, no_data_toy_closes, PEER_LINUX, true, true, 0, 0);
XV(interop, no_data_linux_closes, PEER_LINUX, false, false, 0, 0);

TEST_F_TIMEOUT(interop, transfer, 180)
{
	run_case(_metadata, &variant->c);
}

XCASE_FIXTURE(interop_big);
XV(interop_big, toy_client_sends_toy_closes, PEER_LINUX, true, true, BIG, 0);
XV(interop_big, toy_client_receives_linux_closes, PEER_LINUX, true, false, 0, BIG);
XV(interop_big, toy_server_receives_toy_closes, PEER_LINUX, false, true, 0, BIG);
XV(interop_big, toy_server_sends_linux_closes, PEER_LINUX, false, false, BIG, 0);

TEST_F_TIMEOUT(interop_big, transfer, 3000)
{
	run_case(_metadata, &variant->c);
}

XCASE_FIXTURE(toy_pair);
XV(toy_pair, veth_1B_client_closes, PEER_TOY_VETH, true, true, 1, 1);
XV(toy_pair, veth_1B_server_closes, PEER_TOY_VETH, true, false, 1, 1);
XV(toy_pair, veth_1M_client_closes, PEER_TOY_VETH, true, true, MB, MB);
XV(toy_pair, veth_1M_server_closes, PEER_TOY_VETH, true, false, MB, MB);
XV(toy_pair, loop_1B_client_closes, PEER_TOY_LOOP, true, true, 1, 1);
XV(toy_pair, loop_1B_server_closes, PEER_TOY_LOOP, true, false, 1, 1);
XV(toy_pair, loop_1M_client_closes, PEER_TOY_LOOP, true, true, MB, MB);
XV(toy_pair, loop_1M_server_closes, PEER_TOY_LOOP, true, false, MB, MB);

TEST_F_TIMEOUT(toy_pair, transfer, 180)
{
	run_case(_metadata, &variant->c);
}

/* The offload parameter for one case; back to on (the default) after it. */
FIXTURE(offload) { int unused; };
FIXTURE_SETUP(offload)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}
FIXTURE_TEARDOWN(offload)
{
	tt_kill_children();
	tt_net_down();
	if (!tt_inet_mode())
		tt_write_int(TT_PARAM_DIR "offload", 1);
}

/*
 * toytcp (client, in A) sends 4 MB to Linux with offload @on, captured on
 * B's veth end: the longest data packet from A, in bytes of data.
 */
static void offload_case(struct __test_metadata *_metadata, int on)
{
	struct xcase c = { .peer = PEER_LINUX, .toy_client = true,
			   .toy_closes_first = true, .up = 4 * MB };
	uint32_t a = tt_ip(TT_ADDR_A), longest = 0, mss = 0;
	struct tt_pkt *pk;
	struct tt_cap cap;
	int npk;

	if (tt_inet_mode())
		SKIP(return, "toytcp's offload parameter");
	ASSERT_EQ(0, tt_write_int(TT_PARAM_DIR "offload", on));
	ASSERT_EQ(0, tt_cap_start(&cap, TT_B, TT_IF_B, "tcp port 5001"));
	run_case(_metadata, &c);
	tt_cap_stop(&cap);
	npk = tt_pcap_read(cap.path, &pk);
	ASSERT_LT(0, npk) TH_LOG("no capture in %s", cap.path);
	for (int i = 0; i < npk; i++) {
		if (pk[i].flags & TT_F_SYN && pk[i].saddr != a && pk[i].mss)
			mss = pk[i].mss;	/* Linux's SYN-ACK */
		if (pk[i].saddr == a && pk[i].len > longest)
			longest = pk[i].len;
	}
	free(pk);
	unlink(cap.path);
	ASSERT_LT(0, mss) TH_LOG("no SYN-ACK with Linux's MSS in the capture");
	ASSERT_LT(0, longest) TH_LOG("no data from toytcp in the capture");
	if (on) {
		EXPECT_LT(mss, longest)
			TH_LOG("offload on, and no packet longer than the MSS %u", mss);
	} else {
		EXPECT_GE(mss, longest) TH_LOG("offload off, and a packet of %u bytes", longest);
	}
}

TEST_F_TIMEOUT(offload, on_data_leave_as_gso_skbs, 180)
{
	offload_case(_metadata, 1);
}

TEST_F_TIMEOUT(offload, off_data_leave_as_wire_segments, 180)
{
	offload_case(_metadata, 0);
}

TEST_F_TIMEOUT(offload, off_big_toy_sends, 3000)
{
	struct xcase c = { .peer = PEER_LINUX, .toy_client = true,
			   .toy_closes_first = true, .up = BIG };

	if (!tt_inet_mode())
		ASSERT_EQ(0, tt_write_int(TT_PARAM_DIR "offload", 0));
	run_case(_metadata, &c);
}

TEST_F_TIMEOUT(offload, off_big_toy_receives, 3000)
{
	struct xcase c = { .peer = PEER_LINUX, .toy_client = false,
			   .toy_closes_first = false, .down = BIG };

	if (!tt_inet_mode())
		ASSERT_EQ(0, tt_write_int(TT_PARAM_DIR "offload", 0));
	run_case(_metadata, &c);
}

FIXTURE(tuning) { int unused; };
FIXTURE_SETUP(tuning)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}
FIXTURE_TEARDOWN(tuning)
{
	tt_net_down();
}

/* net.ipv4.tcp_rmem or tcp_wmem's default (middle) value, in this netns */
static int mem_default(const char *name)
{
	char path[64];
	int lo, def = -1, hi;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d %d %d", &lo, &def, &hi) != 3)
		def = -1;
	if (f)
		fclose(f);
	return def;
}

static void tuning_case(struct __test_metadata *_metadata, bool set)
{
	int lfd, lin, toy, rb = 0, sb = 0, size = 100000;
	socklen_t l = sizeof(int);
	char why[200];

	/* 10 ms of round trip: a window's worth to grow into, whatever the kernel's speed */
	ASSERT_EQ(0, tt_netem_both("delay 5ms"));
	lfd = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, PORT, 4);
	ASSERT_LE(0, lfd);
	if (set) {
		ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
		ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)));
	}
	ASSERT_EQ(0, tt_pair_via(lfd, TT_B, AF_INET, TT_ADDR_A, PORT, &lin, &toy));
	close(lfd);
	EXPECT_EQ(0, tt_xfer_pair(toy, lin, 4 * MB, 42, 30000, "toytcp", "Linux",
				  why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, getsockopt(toy, SOL_SOCKET, SO_RCVBUF, &rb, &l));
	ASSERT_EQ(0, getsockopt(toy, SOL_SOCKET, SO_SNDBUF, &sb, &l));
	if (set) {
		/* doubled, as the socket core does; then never tuned */
		EXPECT_EQ(2 * size, rb);
		EXPECT_EQ(2 * size, sb);
	} else {
		EXPECT_LT(mem_default("tcp_rmem"), rb);
		EXPECT_LT(mem_default("tcp_wmem"), sb);
	}
	close(toy);
	close(lin);
}

TEST_F_TIMEOUT(tuning, buffers_grow_when_not_set, 120)
{
	tuning_case(_metadata, false);
}

TEST_F_TIMEOUT(tuning, buffers_set_on_the_listener_stay, 120)
{
	tuning_case(_metadata, true);
}

TEST_HARNESS_MAIN
