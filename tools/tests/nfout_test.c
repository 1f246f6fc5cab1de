// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: toytcp's segments pass netfilter on the way out (LOCAL_OUT,
 * POST_ROUTING) and its input keeps conntrack consistent, so a stateful
 * firewall, OUTPUT rules and NAT treat it as they treat Linux TCP (issue 8,
 * tests 1-3). Every case runs toytcp and Linux TCP (AF_INET) in the same
 * namespace under the same rules, in the same run: Linux is the reference
 * that proves the rules do what the case says.
 *
 *  stateful_*      namespace A has the classic host firewall: INPUT
 *                  policy DROP, lo and ctstate ESTABLISHED,RELATED
 *                  accepted, new connections only as a SYN to the test's
 *                  ports; *_invalid_* adds ctstate INVALID DROP. 100 KB
 *                  each way, byte-exact, toytcp as client (Linux server in
 *                  B) and as server (Linux client in B); while open,
 *                  `conntrack -L` in A shows the flow ESTABLISHED and
 *                  [ASSURED]; the INVALID rule counted nothing; the close
 *                  completes through the firewall.
 *  output_drop     OUTPUT drops SYNs to the peer's port: connect() fails
 *                  with Linux's errno (ETIMEDOUT) after one SYN retry,
 *                  the rule counted the SYNs, the peer accepted nothing.
 *  output_reject   OUTPUT REJECT --reject-with tcp-reset: connect() fails
 *                  at once with Linux's errno (ECONNREFUSED).
 *  output_reject_established  the same rule put in while connected: the
 *                  next write is answered by the rule's reset, and the
 *                  connection ends with Linux's error (ECONNRESET).
 *  snat            SNAT to A's second address (198.18.0.3) in
 *                  POSTROUTING: the peer's accept() sees 198.18.0.3, the
 *                  client's getsockname() still 198.18.0.1; 1 MB each way.
 *  masquerade      the client is bound to 198.19.0.1 (on A's lo; B has no
 *                  route back), MASQUERADE on A's veth: the peer sees
 *                  198.18.0.1; 1 MB each way.
 *  dnat_output     DNAT in OUTPUT turns a connect to B (198.18.0.2) into one
 *                  to C (198.18.1.2), behind another veth pair (the route
 *                  must be looked up again): C accepts, B does not, the
 *                  client's getpeername() still names B; 1 MB each way.
 *
 * Fixture variants: iptables-nft, iptables-legacy and nft (native nftables
 * rules). A rule the kernel cannot take (a missing netfilter feature) fails
 * the case with a message naming it. TOYTCP_TEST_FAMILY=inet runs the
 * "toytcp" side as Linux TCP too (checks the test itself).
 *
 *   A (198.18.0.1 on ttveth_a) -- B (198.18.0.2), and only where a case
 *   needs them (a process start costs a tenth of a second or more here):
 *   198.18.0.3 on ttveth_a (snat), 198.19.0.1 on A's lo (masquerade),
 *   A (198.18.1.1 on ttveth_ac) -- C (198.18.1.2 on ttveth_ca, default via A)
 *   (dnat_output). The whole file: about 2 minutes on Debian's kernel and
 *   3 on the debug one (30 cases, a loaded 2-core host).
 */
#include "toytcp_test.h"

#include "kselftest_harness.h"

#define KB 1024ULL
#define MB (1024 * 1024ULL)

#define NS_C		"toytcp_c"
#define IF_AC		"ttveth_ac"
#define IF_CA		"ttveth_ca"
#define ADDR_A2		"198.18.0.3"	/* A's second address on ttveth_a */
#define ADDR_PRIV	"198.19.0.1"	/* on A's lo: B has no route to it */
#define ADDR_AC		"198.18.1.1"
#define ADDR_C		"198.18.1.2"

/* Ports: the toytcp case uses PORT, the Linux case PORT + 1. */
#define PORT_FW		8400
#define PORT_OUT	8410
#define PORT_NAT	8420

FIXTURE(nfo) {
	int old_syn_retries;
	int ns_c;
};

FIXTURE_VARIANT(nfo) {
	const char *tool;
	bool nft;
};

FIXTURE_VARIANT_ADD(nfo, iptables_nft) { .tool = "iptables-nft" };
FIXTURE_VARIANT_ADD(nfo, iptables_legacy) { .tool = "iptables-legacy" };
FIXTURE_VARIANT_ADD(nfo, nft) { .tool = "nft", .nft = true };

FIXTURE_SETUP(nfo)
{
	self->old_syn_retries = -1;
	self->ns_c = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}

/*
 * Namespace C behind a second veth pair from A, for dnat_output. (Only
 * there: starting a process is slow in these VMs, and setup runs per case.)
 */
static int ns_c_up(FIXTURE_DATA(nfo) *self)
{
	if (tt_sh("set -e\n"
		  /* a failure here shows in the next two */
		  "ip -force -b - 2>/dev/null <<EOF || true\n"
		  "netns del " NS_C "\n"
		  "netns add " NS_C "\n"
		  "link add " IF_AC " netns " TT_NS_A " type veth peer name "
		  IF_CA " netns " NS_C "\n"
		  "EOF\n"
		  "ip -n " TT_NS_A " -b - <<EOF\n"
		  "addr add " ADDR_AC "/24 dev " IF_AC "\n"
		  "link set " IF_AC " up\n"
		  "EOF\n"
		  "ip -n " NS_C " -b - <<EOF\n"
		  "addr add " ADDR_C "/24 dev " IF_CA "\n"
		  "link set lo up\n"
		  "link set " IF_CA " up\n"
		  "route add default via " ADDR_AC "\n"
		  "EOF\n"))
		return -1;
	self->ns_c = open("/run/netns/" NS_C, O_RDONLY | O_CLOEXEC);
	return self->ns_c < 0 ? -1 : 0;
}

FIXTURE_TEARDOWN(nfo)
{
	tt_kill_children();
	if (self->old_syn_retries >= 0 && !tt_inet_mode())
		tt_write_int(TT_PARAM_DIR "syn_retries", self->old_syn_retries);
	tt_net_down();
	if (self->ns_c >= 0) {
		close(self->ns_c);
		tt_sh("ip netns del " NS_C " 2>/dev/null");
	}
}

/* ------------------------------------------------------------------ */
/* Rules */

/*
 * Load rules into namespace A: ipt in iptables-restore format (tables are
 * not flushed) for the iptables variants, nft for nft -f; after the shell
 * command pre if not NULL (in the same shell: one process fewer). The exit
 * status.
 */
static int fw_load(const FIXTURE_VARIANT(nfo) *v, const char *pre, const char *ipt,
		   const char *nft)
{
	int rc;

	/* the test process lives in A: its commands act there */
	if (v->nft)
		rc = tt_sh("set -e\n%s\nnft -f - <<'EOF'\n%sEOF\n", pre ?: "", nft);
	else
		rc = tt_sh("set -e\n%s\n%s-restore -w -n <<'EOF'\n%sEOF\n", pre ?: "",
			   v->tool, ipt);
	if (rc)
		fprintf(stderr, "# %s refused these rules (a netfilter feature missing from "
			"this kernel?):\n%s", v->tool, v->nft ? nft : ipt);
	return rc;
}

/* All rules of A with their counters, and A's conntrack table, to stderr. */
static void fw_dump(const FIXTURE_VARIANT(nfo) *v)
{
	if (v->nft)
		tt_sh("nft list ruleset >&2");
	else
		tt_sh("for t in filter nat; do %s -w -t $t -nvxL >&2; done", v->tool);
	tt_sh("conntrack -L >&2");
}

/*
 * Packets counted by the rules of A whose listing lines hold the keys
 * (ipt_key[i] for iptables -nvxL, nft_key[i] for nft list ruleset), into
 * n[i]; -1 where not found. One listing for all: it takes half a second.
 */
static void fw_pkts_n(const FIXTURE_VARIANT(nfo) *v, const char *table, int nkeys,
		      const char *const *ipt_key, const char *const *nft_key, long *n)
{
	char cmd[256], line[1024];
	long x;
	FILE *p;

	for (int i = 0; i < nkeys; i++)
		n[i] = -1;

	if (v->nft)
		snprintf(cmd, sizeof(cmd), "nft list ruleset");
	else
		snprintf(cmd, sizeof(cmd), "%s -w -t %s -nvxL",
			 v->tool, table);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		for (int i = 0; i < nkeys; i++) {
			const char *key = v->nft ? nft_key[i] : ipt_key[i];
			char *k = strstr(line, key), *c;

			/* "dpt:8410" must not match "dpt:84100" */
			if (!k || (k[strlen(key)] >= '0' && k[strlen(key)] <= '9'))
				continue;
			if (v->nft) {
				c = strstr(line, "packets ");
				if (c && sscanf(c, "packets %ld", &x) == 1)
					n[i] = x;
			} else if (sscanf(line, "%ld", &x) == 1) {
				n[i] = x;
			}
		}
	}
	pclose(p);
}

static long fw_pkts(const FIXTURE_VARIANT(nfo) *v, const char *table,
		    const char *ipt_key, const char *nft_key)
{
	long n;

	fw_pkts_n(v, table, 1, &ipt_key, &nft_key, &n);
	return n;
}

/*
 * The classic host firewall on A's input: policy DROP, lo and
 * ESTABLISHED,RELATED accepted, a SYN to port or port + 1 accepted as a
 * new connection; with invalid_drop, ctstate INVALID dropped (and counted).
 */
static int fw_stateful(const FIXTURE_VARIANT(nfo) *v, int port, bool invalid_drop)
{
	char ipt[1024], nft[1024];

	snprintf(ipt, sizeof(ipt),
		 "*filter\n"
		 ":INPUT DROP [0:0]\n"
		 "-A INPUT -i lo -j ACCEPT\n"
		 "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
		 "%s"
		 "-A INPUT -p tcp -m tcp --dport %d:%d --syn -m conntrack --ctstate NEW -j ACCEPT\n"
		 "COMMIT\n",
		 invalid_drop ? "-A INPUT -m conntrack --ctstate INVALID -j DROP\n" : "",
		 port, port + 1);
	snprintf(nft, sizeof(nft),
		 "table ip tt_filter {\n"
		 "  chain input {\n"
		 "    type filter hook input priority filter; policy drop;\n"
		 "    iif \"lo\" accept\n"
		 "    ct state established,related accept\n"
		 "    %s\n"
		 "    tcp dport %d-%d tcp flags & (fin | syn | rst | ack) == syn ct state new counter accept\n"
		 "  }\n"
		 "}\n",
		 invalid_drop ? "ct state invalid counter drop" : "",
		 port, port + 1);
	return fw_load(v, NULL, ipt, nft);
}

/* ------------------------------------------------------------------ */
/* Connections */

/*
 * Both directions at once, byte-exact: a sends ab bytes to b and b sends
 * ba bytes to a (b is pumped by a child). 0, or -1 with err filled in.
 */
struct pump_job {
	int fd;
	struct tt_xfer x;
};

static void pump_main(void *arg, int ready_fd, int res_fd)
{
	struct pump_job *j = arg;

	(void)ready_fd;
	tt_pump(j->fd, &j->x);
	tt_write_full(res_fd, &j->x, sizeof(j->x));
}

static int xfer(int a, int b, uint64_t ab, uint64_t ba, char *err, size_t len)
{
	struct pump_job j = {
		.fd = b,
		.x = { .tx_len = ba, .rx_len = ab, .tx_seed = 0xb, .rx_seed = 0xa,
		       .stall_ms = 15000 },
	};
	struct tt_xfer xa = { .tx_len = ab, .rx_len = ba, .tx_seed = 0xa, .rx_seed = 0xb,
			      .stall_ms = 15000 };
	struct tt_xfer xb;
	struct tt_child ch;
	int ra, rb;

	if (tt_spawn(&ch, -1, 120, pump_main, &j)) {
		snprintf(err, len, "fork: %s", strerror(errno));
		return -1;
	}
	ra = tt_pump(a, &xa);
	rb = tt_child_finish(&ch, &xb, sizeof(xb), 30000);
	if (ra)
		snprintf(err, len, "A side: %s", xa.err);
	else if (rb)
		snprintf(err, len, "peer side: no result");
	else if (xb.err[0])
		snprintf(err, len, "peer side: %s", xb.err);
	else if (xa.rx_done != ba || xb.rx_done != ab)
		snprintf(err, len, "short: %llu/%llu and %llu/%llu",
			 (unsigned long long)xa.rx_done, (unsigned long long)ba,
			 (unsigned long long)xb.rx_done, (unsigned long long)ab);
	else
		return 0;
	return -1;
}

/* "ip:port" of a socket's local (peer false) or remote end. */
static const char *addr_of(int fd, bool peer, char *buf, size_t len)
{
	struct sockaddr_in s;
	socklen_t sl = sizeof(s);
	char ip[INET_ADDRSTRLEN] = "?";

	if ((peer ? getpeername(fd, TT_SA(&s), &sl) : getsockname(fd, TT_SA(&s), &sl)) == 0)
		inet_ntop(AF_INET, &s.sin_addr, ip, sizeof(ip));
	else
		s.sin_port = 0;
	snprintf(buf, len, "%s:%d", ip, ntohs(s.sin_port));
	return buf;
}

/* Just the address part of the above. */
static const char *ip_of(int fd, bool peer, char *buf, size_t len)
{
	addr_of(fd, peer, buf, len);
	buf[strcspn(buf, ":")] = 0;
	return buf;
}

/*
 * Close an established pair, the peer first: the A side must read the end
 * of stream, and once it closes its connection must leave its table
 * (the last FIN acknowledged). 0, or -1 with err.
 */
static int close_pair(int afd, int fam, int peer, char *err, size_t len)
{
	int lp = tt_local_port(afd), rp = tt_peer_port(afd), st;

	close(peer);
	if (tt_expect_eof(afd, 10000, err, len)) {
		close(afd);
		return -1;
	}
	close(afd);
	st = tt_proc_wait(TT_A, tt_proc_path_of(fam), lp, rp, 0, 10000);
	if (st) {
		snprintf(err, len, "%s %d -> %d still in state %d 10 s after close",
			 tt_fam_name(fam), lp, rp, st);
		return -1;
	}
	return 0;
}

/* A socket of family fam in the namespace whose fd is nsfd; the caller stays in A. */
static int socket_in_ns(int nsfd, int fam)
{
	int fd, err;

	if (setns(nsfd, CLONE_NEWNET))
		return -1;
	fd = socket(fam, SOCK_STREAM, 0);
	err = errno;
	if (tt_enter(TT_A)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	errno = err;
	return fd;
}

static int listen_in_ns(int nsfd, const char *ip, int port)
{
	struct sockaddr_in a = tt_sin(ip, port);
	int one = 1, fd = socket_in_ns(nsfd, AF_INET);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, TT_SA(&a), sizeof(a)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Nothing to accept on lfd (nonblocking accept gives EAGAIN). */
static bool nothing_to_accept(int lfd)
{
	int s;

	tt_set_nonblock(lfd, true);
	s = accept(lfd, NULL, NULL);
	if (s >= 0) {
		close(s);
		return false;
	}
	return errno == EAGAIN;
}

/* ------------------------------------------------------------------ */
/* conntrack */

/*
 * The line of `conntrack -L` in A whose original tuple is
 * src:sport -> dst:dport, in line; 0 if found, -1 if not, -2 if conntrack
 * itself failed (no ctnetlink in this kernel?).
 */
static int ct_line(const char *src, int sport, const char *dst, int dport,
		   char *line, size_t len)
{
	char needle[320], buf[1024];
	int found = -1, rc;
	FILE *p;

	snprintf(needle, sizeof(needle), "src=%s dst=%s sport=%d dport=%d ",
		 src, dst, sport, dport);
	p = popen("conntrack -L -p tcp 2>/dev/null", "r");
	if (!p)
		return -2;
	while (fgets(buf, sizeof(buf), p)) {
		char *s = strstr(buf, "src=");

		if (s && !strncmp(s, needle, strlen(needle))) {
			snprintf(line, len, "%s", buf);
			line[strcspn(line, "\n")] = 0;
			found = 0;
		}
	}
	rc = pclose(p);
	if (found && rc)
		return -2;
	return found;
}

/*
 * conntrack in A shows the connection of afd (client if a_client) as
 * ESTABLISHED and [ASSURED], within 3 s.
 */
static void expect_ct_assured(struct __test_metadata *_metadata, int afd, bool a_client,
			      const char *what)
{
	char l[64], r[64], line[1024] = "";
	const char *src, *dst;
	int sport, dport, rc;
	double end = tt_now() + 3;
	bool ok;

	ip_of(afd, false, l, sizeof(l));
	ip_of(afd, true, r, sizeof(r));
	src = a_client ? l : r;
	dst = a_client ? r : l;
	sport = a_client ? tt_local_port(afd) : tt_peer_port(afd);
	dport = a_client ? tt_peer_port(afd) : tt_local_port(afd);
	do {
		rc = ct_line(src, sport, dst, dport, line, sizeof(line));
		ok = !rc && strstr(line, " ESTABLISHED ") && strstr(line, "[ASSURED]");
		if (ok || rc == -2)
			break;
		tt_msleep(50);
	} while (tt_now() < end);
	ASSERT_NE(-2, rc) TH_LOG("conntrack -L failed: no ctnetlink in this kernel?");
	EXPECT_TRUE(ok) TH_LOG("%s: conntrack flow %s:%d -> %s:%d: %s", what, src, sport,
			       dst, dport, rc ? "not in conntrack -L" : line);
}

/* ------------------------------------------------------------------ */
/* 1. The classic stateful firewall */

/*
 * One family under the firewall: a connection with the Linux peer in B
 * (toytcp or Linux as client or server in A), 100 KB each way, conntrack
 * ESTABLISHED/ASSURED while open, then a clean close.
 */
static void stateful_one(struct __test_metadata *_metadata,
			 const FIXTURE_VARIANT(nfo) *variant, int fam, int port,
			 bool a_server)
{
	char err[256], what[64];
	int l, a, b;

	snprintf(what, sizeof(what), "%s %s", tt_fam_name(fam), a_server ? "server" : "client");
	if (a_server) {
		l = tt_listen_in(TT_A, fam, TT_ADDR_A, port, 4);
		ASSERT_LE(0, l);
		if (tt_pair_via(l, TT_B, AF_INET, TT_ADDR_A, port, &b, &a)) {
			fw_dump(variant);
			ASSERT_TRUE(false) TH_LOG("%s: no connection from a Linux client in B "
						  "through the firewall (connect or accept): %s",
						  what, strerror(errno));
		}
	} else {
		l = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, port, 4);
		ASSERT_LE(0, l);
		if (tt_pair_via(l, TT_A, fam, TT_ADDR_B, port, &a, &b)) {
			fw_dump(variant);
			ASSERT_TRUE(false) TH_LOG("%s: no connection to B through the firewall "
						  "(connect or accept): %s", what, strerror(errno));
		}
	}
	close(l);
	if (xfer(a, b, 100 * KB, 100 * KB, err, sizeof(err))) {
		fw_dump(variant);
		ASSERT_TRUE(false) TH_LOG("%s: 100 KB each way: %s", what, err);
	}
	expect_ct_assured(_metadata, a, !a_server, what);
	EXPECT_EQ(0, close_pair(a, fam, b, err, sizeof(err))) TH_LOG("%s: %s", what, err);
}

static void stateful(struct __test_metadata *_metadata,
		     const FIXTURE_VARIANT(nfo) *variant, bool a_server, bool invalid_drop)
{
	long inv_toy = 0, inv_lin = 0;

	ASSERT_EQ(0, fw_stateful(variant, PORT_FW, invalid_drop))
		TH_LOG("the firewall's rules do not load: conntrack match missing?");
	stateful_one(_metadata, variant, AF_INET, PORT_FW + 1, a_server);
	if (invalid_drop)
		inv_lin = fw_pkts(variant, "filter", "ctstate INVALID", "ct state invalid");
	stateful_one(_metadata, variant, tt_family(), PORT_FW, a_server);
	if (invalid_drop) {
		inv_toy = fw_pkts(variant, "filter", "ctstate INVALID", "ct state invalid") -
			  inv_lin;
		EXPECT_EQ(0, inv_lin) TH_LOG("Linux's connection had INVALID segments");
		EXPECT_EQ(0, inv_toy) TH_LOG("toytcp's connection had INVALID segments");
		if (inv_lin || inv_toy)
			fw_dump(variant);
	}
}

TEST_F_TIMEOUT(nfo, stateful_toy_client, 60)
{
	stateful(_metadata, variant, false, false);
}

TEST_F_TIMEOUT(nfo, stateful_toy_server, 60)
{
	stateful(_metadata, variant, true, false);
}

TEST_F_TIMEOUT(nfo, stateful_invalid_drop_toy_client, 60)
{
	stateful(_metadata, variant, false, true);
}

TEST_F_TIMEOUT(nfo, stateful_invalid_drop_toy_server, 60)
{
	stateful(_metadata, variant, true, true);
}

/* ------------------------------------------------------------------ */
/* 2. OUTPUT DROP and REJECT */

/* One SYN retry for fd: TCP_SYNCNT, else toytcp's module parameter. */
static void one_syn_retry(struct __test_metadata *_metadata, FIXTURE_DATA(nfo) *self, int fd,
			  int fam)
{
	int one = 1;

	if (!setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)))
		return;
	ASSERT_NE(AF_INET, fam) TH_LOG("TCP_SYNCNT on Linux: %s", strerror(errno));
	self->old_syn_retries = tt_read_int(TT_PARAM_DIR "syn_retries");
	ASSERT_LE(0, self->old_syn_retries);
	ASSERT_EQ(0, tt_write_int(TT_PARAM_DIR "syn_retries", 1));
}

struct conn_try {
	int fd;
	int now_err;	/* errno of connect() itself */
	int err;	/* SO_ERROR once it ended, -1 if it did not */
	double secs;
};

/*
 * Connect both sockets to B at the same time (nonblocking), and wait up to
 * timeout_ms for both to end.
 */
static void connect_both(struct conn_try *t, const int *port, int timeout_ms)
{
	double t0 = tt_now(), end = t0 + timeout_ms / 1000.0;

	for (int i = 0; i < 2; i++) {
		struct sockaddr_in a = tt_sin(TT_ADDR_B, port[i]);

		tt_set_nonblock(t[i].fd, true);
		t[i].err = -1;
		t[i].now_err = connect(t[i].fd, TT_SA(&a), sizeof(a)) ? errno : 0;
		if (t[i].now_err != EINPROGRESS) {
			t[i].err = t[i].now_err;
			t[i].secs = tt_now() - t0;
		}
	}
	while (tt_now() < end && (t[0].err < 0 || t[1].err < 0)) {
		struct pollfd p[2];
		int n = 0, idx[2];

		for (int i = 0; i < 2; i++)
			if (t[i].err < 0) {
				p[n] = (struct pollfd){ .fd = t[i].fd, .events = POLLOUT };
				idx[n++] = i;
			}
		if (poll(p, n, 50) <= 0)
			continue;
		for (int k = 0; k < n; k++)
			if (p[k].revents) {
				int e = tt_so_error(t[idx[k]].fd);

				t[idx[k]].err = e < 0 ? -e : e;
				t[idx[k]].secs = tt_now() - t0;
			}
	}
}

static void output_block(struct __test_metadata *_metadata, FIXTURE_DATA(nfo) *self,
			 const FIXTURE_VARIANT(nfo) *variant, bool reject)
{
	const char *ipt_t = reject ? "REJECT --reject-with tcp-reset" : "DROP";
	const char *nft_t = reject ? "reject with tcp reset" : "drop";
	int port[2] = { PORT_OUT, PORT_OUT + 1 };	/* toytcp, Linux */
	int fam[2] = { tt_family(), AF_INET };
	struct conn_try t[2];
	char ipt[512], nft[512], key[2][2][32];
	const char *ikey[2] = { key[0][0], key[1][0] }, *nkey[2] = { key[0][1], key[1][1] };
	long n[2];
	int l[2];

	snprintf(ipt, sizeof(ipt),
		 "*filter\n"
		 "-A OUTPUT -p tcp -m tcp --dport %d -j %s\n"
		 "-A OUTPUT -p tcp -m tcp --dport %d -j %s\n"
		 "COMMIT\n", port[0], ipt_t, port[1], ipt_t);
	snprintf(nft, sizeof(nft),
		 "table ip tt_filter {\n"
		 "  chain output {\n"
		 "    type filter hook output priority filter; policy accept;\n"
		 "    tcp dport %d counter %s\n"
		 "    tcp dport %d counter %s\n"
		 "  }\n"
		 "}\n", port[0], nft_t, port[1], nft_t);
	for (int i = 0; i < 2; i++) {
		snprintf(key[i][0], sizeof(key[i][0]), "dpt:%d", port[i]);
		snprintf(key[i][1], sizeof(key[i][1]), "dport %d", port[i]);
		l[i] = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, port[i], 4);
		ASSERT_LE(0, l[i]);
		t[i].fd = tt_socket_in(TT_A, fam[i]);
		ASSERT_LE(0, t[i].fd);
		one_syn_retry(_metadata, self, t[i].fd, fam[i]);
	}
	ASSERT_EQ(0, fw_load(variant, NULL, ipt, nft))
		TH_LOG("OUTPUT %s does not load: missing in this kernel?", ipt_t);

	/* SYN at 0 and 1 s, given up at 3 s (DROP); the reset at once (REJECT) */
	connect_both(t, port, 15000);

	TH_LOG("%s: toytcp connect() %s then %s after %.2f s; Linux %s then %s after %.2f s",
	       ipt_t, strerror(t[0].now_err), t[0].err < 0 ? "nothing" : strerror(t[0].err),
	       t[0].secs, strerror(t[1].now_err), t[1].err < 0 ? "nothing" : strerror(t[1].err),
	       t[1].secs);
	/* the reference: Linux's connect failed */
	ASSERT_LT(0, t[1].err) TH_LOG("Linux TCP connected through OUTPUT %s", ipt_t);
	EXPECT_NE(0, t[0].err) TH_LOG("toytcp connected through OUTPUT %s", ipt_t);
	EXPECT_EQ(t[1].now_err, t[0].now_err) TH_LOG("connect() itself");
	EXPECT_EQ(t[1].err, t[0].err) TH_LOG("the connection's error");
	if (reject) {
		EXPECT_GT(1.0, t[0].secs) TH_LOG("toytcp took the reset late");
	} else {
		EXPECT_LT(t[1].secs - 1.0, t[0].secs);
		EXPECT_GT(t[1].secs + 1.0, t[0].secs);
	}
	fw_pkts_n(variant, "filter", 2, ikey, nkey, n);
	for (int i = 0; i < 2; i++) {
		EXPECT_LE(reject ? 1 : 2, n[i]) TH_LOG("%s: the OUTPUT rule counted %ld",
						       tt_fam_name(fam[i]), n[i]);
		EXPECT_TRUE(nothing_to_accept(l[i]))
			TH_LOG("%s: the peer accepted a connection", tt_fam_name(fam[i]));
		close(t[i].fd);
		close(l[i]);
	}
}

TEST_F_TIMEOUT(nfo, output_drop, 60)
{
	output_block(_metadata, self, variant, false);
}

TEST_F_TIMEOUT(nfo, output_reject, 60)
{
	output_block(_metadata, self, variant, true);
}

TEST_F_TIMEOUT(nfo, output_reject_established, 60)
{
	int port[2] = { PORT_OUT, PORT_OUT + 1 };	/* toytcp, Linux */
	int fam[2] = { tt_family(), AF_INET };
	int l[2], c[2], s[2], ev[2], err[2];
	char ipt[512], nft[512], b;

	snprintf(ipt, sizeof(ipt),
		 "*filter\n"
		 "-A OUTPUT -p tcp -m tcp --dport %d:%d -j REJECT --reject-with tcp-reset\n"
		 "COMMIT\n", port[0], port[1]);
	snprintf(nft, sizeof(nft),
		 "table ip tt_filter {\n"
		 "  chain output {\n"
		 "    type filter hook output priority filter; policy accept;\n"
		 "    tcp dport %d-%d counter reject with tcp reset\n"
		 "  }\n"
		 "}\n", port[0], port[1]);
	for (int i = 0; i < 2; i++) {
		l[i] = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, port[i], 4);
		ASSERT_LE(0, l[i]);
		ASSERT_EQ(0, tt_pair_via(l[i], TT_A, fam[i], TT_ADDR_B, port[i], &c[i], &s[i]))
			TH_LOG("%s: no connection before the rule", tt_fam_name(fam[i]));
		/* it works first */
		ASSERT_EQ(1, send(c[i], "a", 1, 0));
		ASSERT_EQ(0, tt_read_full(s[i], &b, 1, 5000));
	}
	ASSERT_EQ(0, fw_load(variant, NULL, ipt, nft))
		TH_LOG("OUTPUT REJECT does not load: missing in this kernel?");
	for (int i = 0; i < 2; i++) {
		/* the write itself may succeed: the segment is what is refused */
		send(c[i], "b", 1, MSG_NOSIGNAL);
		ev[i] = tt_wait_events(c[i], POLLIN, POLLERR | POLLHUP, 5000);
		err[i] = tt_so_error(c[i]);
	}
	TH_LOG("toytcp: revents %#x, error %s; Linux: revents %#x, error %s",
	       ev[0], strerror(err[0]), ev[1], strerror(err[1]));
	ASSERT_NE(0, ev[1]) TH_LOG("Linux's connection survived the reset");
	ASSERT_NE(0, err[1]);
	EXPECT_NE(0, ev[0]) TH_LOG("toytcp's connection survived the reset");
	EXPECT_EQ(err[1], err[0]);
	for (int i = 0; i < 2; i++) {
		/* nothing of "b" reached the peer */
		EXPECT_EQ(0, tt_poll1(s[i], POLLIN, 200) & POLLIN)
			TH_LOG("%s: data passed the REJECT rule", tt_fam_name(fam[i]));
		close(c[i]);
		close(s[i]);
		close(l[i]);
	}
}

/* ------------------------------------------------------------------ */
/* 3. NAT */

/*
 * A client of family fam in A (bound to bind_ip first if not NULL)
 * connects to dst:port; the connection is accepted on lfd (in B or C),
 * whose accept() must see the client as want_src, and the client's
 * getsockname()/getpeername() must still show want_local and dst:port.
 * 1 MB each way, byte-exact, then a clean close.
 */
static void nat_one(struct __test_metadata *_metadata, const FIXTURE_VARIANT(nfo) *variant,
		    int fam, const char *bind_ip, const char *dst, int port, int lfd,
		    const char *want_src, const char *want_local)
{
	char err[256], buf[64], want[64];
	const char *name = tt_fam_name(fam);
	int c = tt_socket_in(TT_A, fam), s;

	ASSERT_LE(0, c);
	if (bind_ip) {
		struct sockaddr_in b = tt_sin(bind_ip, 0);

		ASSERT_EQ(0, bind(c, TT_SA(&b), sizeof(b))) TH_LOG("%s bind %s: %s", name,
								     bind_ip, strerror(errno));
	}
	if (tt_connect(c, dst, port, 5000)) {
		fw_dump(variant);
		ASSERT_TRUE(false) TH_LOG("%s connect to %s:%d: %s", name, dst, port,
					  strerror(errno));
	}
	s = tt_accept(lfd, 5000);
	if (s < 0) {
		fw_dump(variant);
		ASSERT_LE(0, s) TH_LOG("%s: connected, but the server never accepted: %s",
				       name, strerror(errno));
	}
	EXPECT_STREQ(want_src, ip_of(s, true, buf, sizeof(buf)))
		TH_LOG("%s: the server sees the client as %s", name, buf);
	EXPECT_STREQ(want_local, ip_of(c, false, buf, sizeof(buf)))
		TH_LOG("%s: the client's own address", name);
	snprintf(want, sizeof(want), "%s:%d", dst, port);
	EXPECT_STREQ(want, addr_of(c, true, buf, sizeof(buf)))
		TH_LOG("%s: the client's peer", name);
	if (xfer(c, s, MB, MB, err, sizeof(err))) {
		fw_dump(variant);
		ASSERT_TRUE(false) TH_LOG("%s: 1 MB each way: %s", name, err);
	}
	EXPECT_EQ(0, close_pair(c, fam, s, err, sizeof(err))) TH_LOG("%s: %s", name, err);
}

TEST_F_TIMEOUT(nfo, snat, 60)
{
	char ipt[512], nft[512];
	int l;

	snprintf(ipt, sizeof(ipt),
		 "*nat\n"
		 "-A POSTROUTING -o " TT_IF_A " -p tcp -m tcp --dport %d:%d "
		 "-j SNAT --to-source " ADDR_A2 "\n"
		 "COMMIT\n", PORT_NAT, PORT_NAT + 1);
	snprintf(nft, sizeof(nft),
		 "table ip tt_nat {\n"
		 "  chain postrouting {\n"
		 "    type nat hook postrouting priority srcnat; policy accept;\n"
		 "    oif \"" TT_IF_A "\" tcp dport %d-%d counter snat to " ADDR_A2 "\n"
		 "  }\n"
		 "}\n", PORT_NAT, PORT_NAT + 1);
	ASSERT_EQ(0, fw_load(variant, "ip addr add " ADDR_A2 "/24 dev " TT_IF_A, ipt, nft))
		TH_LOG("SNAT does not load: no NAT here?");
	for (int i = 0; i < 2; i++) {
		int fam = i ? AF_INET : tt_family();

		l = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT_NAT + i, 8);
		ASSERT_LE(0, l);
		nat_one(_metadata, variant, fam, NULL, TT_ADDR_B, PORT_NAT + i, l, ADDR_A2,
			TT_ADDR_A);
		close(l);
	}
}

TEST_F_TIMEOUT(nfo, masquerade, 60)
{
	char ipt[512], nft[512];
	int l;

	snprintf(ipt, sizeof(ipt),
		 "*nat\n"
		 "-A POSTROUTING -o " TT_IF_A " -p tcp -m tcp --dport %d:%d -j MASQUERADE\n"
		 "COMMIT\n", PORT_NAT, PORT_NAT + 1);
	snprintf(nft, sizeof(nft),
		 "table ip tt_nat {\n"
		 "  chain postrouting {\n"
		 "    type nat hook postrouting priority srcnat; policy accept;\n"
		 "    oif \"" TT_IF_A "\" tcp dport %d-%d counter masquerade\n"
		 "  }\n"
		 "}\n", PORT_NAT, PORT_NAT + 1);
	ASSERT_EQ(0, fw_load(variant, "ip addr add " ADDR_PRIV "/32 dev lo", ipt, nft))
		TH_LOG("MASQUERADE does not load: missing in this kernel?");
	for (int i = 0; i < 2; i++) {
		int fam = i ? AF_INET : tt_family();

		l = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT_NAT + i, 8);
		ASSERT_LE(0, l);
		nat_one(_metadata, variant, fam, ADDR_PRIV, TT_ADDR_B, PORT_NAT + i, l,
			TT_ADDR_A, ADDR_PRIV);
		close(l);
	}
}

TEST_F_TIMEOUT(nfo, dnat_output, 60)
{
	char ipt[512], nft[512];
	int lb, lc;

	snprintf(ipt, sizeof(ipt),
		 "*nat\n"
		 "-A OUTPUT -d " TT_ADDR_B "/32 -p tcp -m tcp --dport %d:%d "
		 "-j DNAT --to-destination " ADDR_C "\n"
		 "COMMIT\n", PORT_NAT, PORT_NAT + 1);
	snprintf(nft, sizeof(nft),
		 "table ip tt_nat {\n"
		 "  chain output {\n"
		 "    type nat hook output priority -100; policy accept;\n"
		 "    ip daddr " TT_ADDR_B " tcp dport %d-%d counter dnat to " ADDR_C "\n"
		 "  }\n"
		 "}\n", PORT_NAT, PORT_NAT + 1);
	ASSERT_EQ(0, ns_c_up(self));
	ASSERT_EQ(0, fw_load(variant, NULL, ipt, nft)) TH_LOG("DNAT does not load: no NAT here?");
	for (int i = 0; i < 2; i++) {
		int fam = i ? AF_INET : tt_family();

		/* the same service on B and on C: only C's may see it */
		lb = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT_NAT + i, 8);
		ASSERT_LE(0, lb);
		lc = listen_in_ns(self->ns_c, ADDR_C, PORT_NAT + i);
		ASSERT_LE(0, lc);
		nat_one(_metadata, variant, fam, NULL, TT_ADDR_B, PORT_NAT + i, lc,
			TT_ADDR_A, TT_ADDR_A);
		EXPECT_TRUE(nothing_to_accept(lb))
			TH_LOG("%s: B accepted the connection meant for C", tt_fam_name(fam));
		close(lb);
		close(lc);
	}
}

TEST_HARNESS_MAIN
