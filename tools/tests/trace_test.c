// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: toytcp's tracepoints and the tools that read them (toytrace).
 *
 * A scripted connection, recorded in a tracefs instance of the test's own:
 * a toytcp client in A (198.18.0.1:PORT_C) and a Linux server in B
 * (198.18.0.2:PORT_S): handshake; three writes of 100, 200 and 300 bytes,
 * each sent once its predecessor is acknowledged; the client closes, and
 * once its FIN is acknowledged the server closes. Checked:
 *
 *  - events: every event carries the tuple; the handshake's flags, seq/ack
 *    relations, MSS options and states; three data segments of 100, 200,
 *    300 bytes back to back in sequence space, each acknowledged; FIN,
 *    its ACK, the peer's FIN and our ACK with the right numbers; the
 *    state changes CLOSED..TIME-WAIT in order; an RTO update; no drop;
 *  - toytrace's ladder of that trace matches an expected text (windows
 *    masked, arrow padding squeezed); its SVG is well-formed XML with one
 *    arrow per segment, labelled as the text ladder is;
 *  - toytrace recording live (-- CMD) a fetch between two toytcp sockets
 *    over 127.0.0.1 (toyserve, toyget): each segment drawn once, both
 *    ends' states observed, the command's exit status kept; and with
 *    -p PORT alone: it stops by itself once that connection is over;
 *  - toytrace --tsg of a bulk transfer with a stall (the peer's INPUT
 *    drops everything for a while): one bar per data segment, the
 *    retransmissions marked, one circle per toytcp_retransmit event, ACK
 *    and window lines.
 *
 * toytrace and the programs are found in $TOYTCP_TOOLS (the source tools/
 * dir) and $TOYTCP_BIN (the built programs), else next to this binary in
 * .build/tools/tests of the checkout.
 */
#include <sys/stat.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT_S		7000
#define PORT_C		47001
#define PORT_LOOP	7100
#define PORT_BULK	7200
#define TRACE_INST	"/sys/kernel/tracing/instances/toytcp_trace_test"

static char tools_dir[1200], bin_dir[1100], work[200];

/* Where toytrace (source tools/) and the built programs are. */
static int find_tools(void)
{
	const char *t = getenv("TOYTCP_TOOLS"), *b = getenv("TOYTCP_BIN");
	char self[1100], *p;
	ssize_t n = readlink("/proc/self/exe", self, 1000);

	if (n <= 0)
		return -1;
	self[n] = 0;
	p = strrchr(self, '/');		/* .../.build/tools/tests/trace_test */
	if (!p)
		return -1;
	*p = 0;
	p = strrchr(self, '/');		/* .../.build/tools */
	if (!p)
		return -1;
	*p = 0;
	snprintf(bin_dir, sizeof(bin_dir), "%s", b && *b ? b : self);
	if (t && *t) {
		snprintf(tools_dir, sizeof(tools_dir), "%s", t);
	} else {
		p = strrchr(self, '/');	/* .../.build */
		if (!p)
			return -1;
		*p = 0;
		p = strrchr(self, '/');	/* the checkout */
		if (!p)
			return -1;
		*p = 0;
		snprintf(tools_dir, sizeof(tools_dir), "%s/tools", self);
	}
	return access(strcat(strcpy(self, tools_dir), "/toytrace"), R_OK);
}

/* ------------------------------------------------------------------ */
/* tracefs */

static int trace_start(int port)
{
	tt_sh("rmdir " TRACE_INST " 2>/dev/null");
	if (mkdir(TRACE_INST, 0755))
		return -1;
	return tt_sh("set -e; cd " TRACE_INST "; echo global > trace_clock; "
		     "echo 4096 > buffer_size_kb; "
		     "echo 'sport == %d || dport == %d' > events/toytcp/filter; "
		     "echo 1 > events/toytcp/enable", port, port);
}

/* Stop and save the instance's trace to path. */
static int trace_stop(const char *path)
{
	int rc = tt_sh("echo 0 > " TRACE_INST "/events/toytcp/enable && "
		       "cat " TRACE_INST "/trace > %s", path);

	tt_sh("rmdir " TRACE_INST " 2>/dev/null");
	return rc;
}

/* ------------------------------------------------------------------ */
/* Events, parsed from the trace text (the format of TP_printk) */

enum ev_kind { EV_SEND, EV_RECV, EV_STATE, EV_RTO, EV_RETX, EV_DROP, EV_OTHER };

struct ev {
	enum ev_kind kind;
	char la[32], ra[32];	/* "addr:port" */
	char flags[8], state[16], old[16], new[16];
	unsigned int seq, ack, win, len, mss, segs, rto_us;
};

#define MAX_EV 20000
static struct ev evs[MAX_EV];

static int parse_trace(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < MAX_EV) {
		struct ev *e = &evs[n];
		char *p;

		memset(e, 0, sizeof(*e));
		if ((p = strstr(line, "toytcp_send_segment: ")) ||
		    (p = strstr(line, "toytcp_recv_segment: "))) {
			e->kind = p[7] == 's' ? EV_SEND : EV_RECV;
			p = strchr(p, ' ') + 1;
			/* flags may be empty: "flags= seq=" */
			if (sscanf(p, "%31s %31s flags=%7[SFRPU.] seq=%u ack=%u win=%u len=%u mss=%u segs=%u state=%15s",
				   e->la, e->ra, e->flags, &e->seq, &e->ack, &e->win,
				   &e->len, &e->mss, &e->segs, e->state) != 10)
				continue;
		} else if ((p = strstr(line, "toytcp_state_change: "))) {
			e->kind = EV_STATE;
			if (sscanf(p + 21, "%31s %31s %15s -> %15s", e->la, e->ra,
				   e->old, e->new) != 4)
				continue;
		} else if ((p = strstr(line, "toytcp_rto_update: "))) {
			e->kind = EV_RTO;
			if (sscanf(p + 19, "%31s %31s", e->la, e->ra) != 2)
				continue;
			p = strstr(p, "rto_us=");
			if (!p)
				continue;
			e->rto_us = strtoul(p + 7, NULL, 10);
		} else if ((p = strstr(line, "toytcp_retransmit: "))) {
			e->kind = EV_RETX;
			if (sscanf(p + 19, "%31s %31s seq=%u len=%u", e->la, e->ra,
				   &e->seq, &e->len) != 4)
				continue;
		} else if ((p = strstr(line, "toytcp_drop: "))) {
			e->kind = EV_DROP;
			sscanf(p + 13, "%31s %31s", e->la, e->ra);
		} else if (strstr(line, "toytcp_")) {
			e->kind = EV_OTHER;
		} else {
			continue;
		}
		n++;
	}
	fclose(f);
	return n;
}

static int count_kind(int n, enum ev_kind k)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += evs[i].kind == k;
	return c;
}

/* The i-th event of kind k, or NULL. */
static struct ev *nth(int n, enum ev_kind k, int i)
{
	for (int j = 0; j < n; j++)
		if (evs[j].kind == k && !i--)
			return &evs[j];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The scripted connection */

FIXTURE(tr) {
	int lb;
	int old_msl;
	char raw[300];
	int n;		/* events in evs[] */
};

FIXTURE_SETUP(tr)
{
	struct sockaddr_in a = tt_sin(TT_ADDR_B, PORT_S);
	int sz = 65536, one = 1;

	self->old_msl = -1;
	ASSERT_LT(0, tt_module_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, access("/sys/kernel/tracing/events/toytcp", F_OK))
		TH_LOG("no toytcp events in /sys/kernel/tracing");
	ASSERT_EQ(0, find_tools()) TH_LOG("toytrace not found (TOYTCP_TOOLS)");
	snprintf(work, sizeof(work), "/tmp/trace_test.%d", getpid());
	ASSERT_EQ(0, mkdir(work, 0755));
	self->old_msl = tt_set_msl(1);
	ASSERT_LE(0, self->old_msl);
	ASSERT_EQ(0, tt_net_up());
	/* a Linux server in B with a fixed receive buffer */
	self->lb = tt_socket_in(TT_B, AF_INET);
	ASSERT_LE(0, self->lb);
	ASSERT_EQ(0, setsockopt(self->lb, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)));
	setsockopt(self->lb, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ASSERT_EQ(0, bind(self->lb, TT_SA(&a), sizeof(a)));
	ASSERT_EQ(0, listen(self->lb, 8));
	snprintf(self->raw, sizeof(self->raw), "%s/scripted.trace", work);
}

FIXTURE_TEARDOWN(tr)
{
	tt_kill_children();
	if (work[0]) {	/* a toyserve or toytrace left by a failed case */
		tt_sh("[ -f %s/toyserve.pid ] && kill $(cat %s/toyserve.pid) 2>/dev/null", work, work);
		tt_sh("[ -f %s/toytrace.pid ] && kill $(cat %s/toytrace.pid) 2>/dev/null && sleep 1",
		      work, work);
	}
	tt_sh("rmdir " TRACE_INST " 2>/dev/null");
	if (self->old_msl > 0)
		tt_set_msl(self->old_msl);
	tt_net_down();
	if (work[0])
		tt_sh("rm -rf %s", work);
}

/* Bytes the toytcp socket lport -> rport has not had acknowledged (txq). */
static int txq_of(int lport, int rport)
{
	static struct tt_proc_ent e[256];
	int n = tt_proc_read("/proc/net/toytcp", e, 256, NULL, 0);

	for (int i = 0; i < n; i++)
		if (e[i].lport == lport && e[i].rport == rport)
			return e[i].txq;
	return -1;
}

static int wait_acked(int lport, int rport, int timeout_ms)
{
	double end = tt_now() + timeout_ms / 1000.0;

	while (tt_now() < end) {
		if (txq_of(lport, rport) == 0)
			return 0;
		tt_msleep(10);
	}
	return -1;
}

/*
 * Handshake, 100 + 200 + 300 bytes each acknowledged before the next,
 * client FIN, its ACK, server FIN, our ACK; the trace in self->raw.
 */
static void scripted(struct __test_metadata *_metadata, FIXTURE_DATA(tr) *self)
{
	static const int lens[3] = { 100, 200, 300 };
	struct sockaddr_in me = tt_sin(TT_ADDR_A, PORT_C);
	char buf[300], got[600];
	int c, p, st;

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(0, trace_start(PORT_S));
	c = socket(tt_module_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, bind(c, TT_SA(&me), sizeof(me)));
	ASSERT_EQ(0, tt_connect(c, TT_ADDR_B, PORT_S, 5000));
	p = tt_accept(self->lb, 5000);
	ASSERT_LE(0, p);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, tt_write_full(c, buf, lens[i]));
		ASSERT_EQ(0, tt_read_full(p, got, lens[i], 5000));
		ASSERT_EQ(0, wait_acked(PORT_C, PORT_S, 5000))
			TH_LOG("write %d not acknowledged", i + 1);
	}
	close(c);
	st = tt_proc_wait(TT_A, "/proc/net/toytcp", PORT_C, PORT_S, TCP_FIN_WAIT2, 5000);
	ASSERT_EQ(TCP_FIN_WAIT2, st) TH_LOG("our FIN not acknowledged (state %d)", st);
	ASSERT_EQ(POLLIN, tt_poll1(p, POLLIN, 5000) & POLLIN);
	ASSERT_EQ(0, recv(p, got, 1, 0));
	close(p);
	st = tt_proc_wait(TT_A, "/proc/net/toytcp", PORT_C, PORT_S, TCP_TIME_WAIT, 5000);
	ASSERT_EQ(TCP_TIME_WAIT, st);
	/*
	 * and 2*MSL (2 s here) later, CLOSED: the trace always ends with the
	 * socket gone, however long the machine takes to stop it
	 */
	st = tt_proc_wait(TT_A, "/proc/net/toytcp", PORT_C, PORT_S, 0, 10000);
	ASSERT_EQ(0, st) TH_LOG("still in state %d 10 s after TIME_WAIT began", st);
	tt_msleep(100);
	ASSERT_EQ(0, trace_stop(self->raw));
	self->n = parse_trace(self->raw);
	ASSERT_LT(0, self->n);
}

/* ------------------------------------------------------------------ */
/* Events */

TEST_F(tr, events_tuple_and_counts)
{
	scripted(_metadata, self);
	for (int i = 0; i < self->n; i++) {
		if (evs[i].kind == EV_OTHER)
			continue;
		EXPECT_STREQ("198.18.0.1:47001", evs[i].la) TH_LOG("event %d", i);
		EXPECT_STREQ("198.18.0.2:7000", evs[i].ra) TH_LOG("event %d", i);
		/* short segments: each skb is one wire segment (segs=1) */
		if (evs[i].kind == EV_SEND || evs[i].kind == EV_RECV)
			EXPECT_EQ(1, evs[i].segs) TH_LOG("event %d", i);
	}
	/* SYN, ACK, 3 data, FIN, ACK / SYN-ACK, 3 ACKs, ACK of FIN, FIN */
	EXPECT_EQ(7, count_kind(self->n, EV_SEND));
	EXPECT_EQ(6, count_kind(self->n, EV_RECV));
	/* CLOSED, SYN-SENT, ESTABLISHED, FIN-WAIT-1, -2, TIME-WAIT, CLOSED */
	EXPECT_EQ(6, count_kind(self->n, EV_STATE));
	EXPECT_EQ(0, count_kind(self->n, EV_DROP));
	EXPECT_EQ(0, count_kind(self->n, EV_RETX));
	EXPECT_LE(1, count_kind(self->n, EV_RTO));
	for (int i = 0; i < self->n; i++) {
		if (evs[i].kind == EV_RTO)
			EXPECT_LE(200000, evs[i].rto_us);
	}
}

TEST_F(tr, events_handshake)
{
	struct ev *syn, *synack, *ack;

	scripted(_metadata, self);
	syn = nth(self->n, EV_SEND, 0);
	synack = nth(self->n, EV_RECV, 0);
	ack = nth(self->n, EV_SEND, 1);
	ASSERT_TRUE(syn && synack && ack);
	EXPECT_STREQ("S", syn->flags);
	EXPECT_EQ(0, syn->len);
	EXPECT_EQ(0, syn->ack);
	EXPECT_EQ(1460, syn->mss);	/* veth MTU 1500 - 40 */
	EXPECT_STREQ("SYN-SENT", syn->state);
	EXPECT_STREQ("S.", synack->flags);
	EXPECT_EQ(syn->seq + 1, synack->ack);
	EXPECT_EQ(0, synack->len);
	EXPECT_EQ(1460, synack->mss);
	EXPECT_STREQ("SYN-SENT", synack->state);
	EXPECT_STREQ(".", ack->flags);
	EXPECT_EQ(syn->seq + 1, ack->seq);
	EXPECT_EQ(synack->seq + 1, ack->ack);
	EXPECT_EQ(0, ack->len);
	EXPECT_EQ(0, ack->mss);
	EXPECT_STREQ("ESTABLISHED", ack->state);
	/* the event order: SYN sent before the SYN-ACK came, ACK after */
	EXPECT_TRUE(syn < synack && synack < ack);
}

TEST_F(tr, events_data)
{
	static const unsigned int lens[3] = { 100, 200, 300 };
	struct ev *syn, *synack;
	unsigned int seq;

	scripted(_metadata, self);
	syn = nth(self->n, EV_SEND, 0);
	synack = nth(self->n, EV_RECV, 0);
	ASSERT_TRUE(syn && synack);
	seq = syn->seq + 1;
	for (int i = 0; i < 3; i++) {
		struct ev *d = nth(self->n, EV_SEND, 2 + i);
		struct ev *a = nth(self->n, EV_RECV, 1 + i);

		ASSERT_TRUE(d && a);
		EXPECT_EQ(lens[i], d->len) TH_LOG("data segment %d", i + 1);
		EXPECT_EQ(seq, d->seq) TH_LOG("data segment %d", i + 1);
		EXPECT_EQ(synack->seq + 1, d->ack);
		EXPECT_TRUE(strchr(d->flags, 'P') && strchr(d->flags, '.'))
			TH_LOG("data segment %d flags %s", i + 1, d->flags);
		EXPECT_STREQ("ESTABLISHED", d->state);
		/* its acknowledgment, after it */
		EXPECT_STREQ(".", a->flags);
		EXPECT_EQ(seq + lens[i], a->ack) TH_LOG("ACK of segment %d", i + 1);
		EXPECT_EQ(synack->seq + 1, a->seq);
		EXPECT_EQ(0, a->len);
		EXPECT_TRUE(d < a);
		seq += lens[i];
	}
}

TEST_F(tr, events_close)
{
	struct ev *syn, *synack, *fin, *finack, *pfin, *last;
	unsigned int end;

	scripted(_metadata, self);
	syn = nth(self->n, EV_SEND, 0);
	synack = nth(self->n, EV_RECV, 0);
	fin = nth(self->n, EV_SEND, 5);
	finack = nth(self->n, EV_RECV, 4);
	pfin = nth(self->n, EV_RECV, 5);
	last = nth(self->n, EV_SEND, 6);
	ASSERT_TRUE(syn && synack && fin && finack && pfin && last);
	end = syn->seq + 1 + 600;
	EXPECT_STREQ("F.", fin->flags);
	EXPECT_EQ(end, fin->seq);
	EXPECT_EQ(0, fin->len);
	EXPECT_STREQ("FIN-WAIT-1", fin->state);
	EXPECT_STREQ(".", finack->flags);
	EXPECT_EQ(end + 1, finack->ack);	/* the FIN takes a number */
	EXPECT_STREQ("FIN-WAIT-1", finack->state);
	EXPECT_STREQ("F.", pfin->flags);
	EXPECT_EQ(synack->seq + 1, pfin->seq);
	EXPECT_EQ(end + 1, pfin->ack);
	EXPECT_STREQ("FIN-WAIT-2", pfin->state);
	EXPECT_STREQ(".", last->flags);
	EXPECT_EQ(end + 1, last->seq);
	EXPECT_EQ(synack->seq + 2, last->ack);
	EXPECT_TRUE(fin < finack && finack < pfin && pfin < last);
}

TEST_F(tr, events_state_changes)
{
	static const char * const want[][2] = {
		{ "CLOSED", "SYN-SENT" }, { "SYN-SENT", "ESTABLISHED" },
		{ "ESTABLISHED", "FIN-WAIT-1" }, { "FIN-WAIT-1", "FIN-WAIT-2" },
		{ "FIN-WAIT-2", "TIME-WAIT" },
	};
	/* and where: SYN-SENT before the SYN, ESTABLISHED after the SYN-ACK... */
	struct ev *at[5];

	scripted(_metadata, self);
	for (int i = 0; i < 5; i++) {
		at[i] = nth(self->n, EV_STATE, i);
		ASSERT_TRUE(at[i] != NULL) TH_LOG("state change %d missing", i + 1);
		EXPECT_STREQ(want[i][0], at[i]->old) TH_LOG("state change %d", i + 1);
		EXPECT_STREQ(want[i][1], at[i]->new) TH_LOG("state change %d", i + 1);
	}
	EXPECT_TRUE(at[0] < nth(self->n, EV_SEND, 0));	/* connect() */
	EXPECT_TRUE(at[1] > nth(self->n, EV_RECV, 0));	/* the SYN-ACK */
	EXPECT_TRUE(at[2] < nth(self->n, EV_SEND, 5));	/* close(), then FIN */
	EXPECT_TRUE(at[3] > nth(self->n, EV_RECV, 4));	/* the ACK of our FIN */
	EXPECT_TRUE(at[4] > nth(self->n, EV_RECV, 5));	/* the peer's FIN */
}

/* ------------------------------------------------------------------ */
/* toytrace's ladder and SVG */

static const char expected_ladder[] =
	"toytcp 198.18.0.1:47001 <-> peer 198.18.0.2:7000 (peer's states inferred from the segments (RFC 9293), marked *)\n"
	"toytcp 198.18.0.1:47001 peer 198.18.0.2:7000\n"
	"CLOSED LISTEN*\n"
	"SYN-SENT |-- SYN seq=0 win=* mss=1460 -->| SYN-RECEIVED*\n"
	"ESTABLISHED |<- SYN-ACK seq=0 ack=1 win=* mss=1460 --| SYN-RECEIVED*\n"
	"ESTABLISHED |-- ACK seq=1 ack=1 win=* -->| ESTABLISHED*\n"
	"ESTABLISHED |-- PSH-ACK seq=1 ack=1 len=100 win=* -->| ESTABLISHED*\n"
	"ESTABLISHED |<- ACK seq=1 ack=101 win=* --| ESTABLISHED*\n"
	"ESTABLISHED |-- PSH-ACK seq=101 ack=1 len=200 win=* -->| ESTABLISHED*\n"
	"ESTABLISHED |<- ACK seq=1 ack=301 win=* --| ESTABLISHED*\n"
	"ESTABLISHED |-- PSH-ACK seq=301 ack=1 len=300 win=* -->| ESTABLISHED*\n"
	"ESTABLISHED |<- ACK seq=1 ack=601 win=* --| ESTABLISHED*\n"
	"FIN-WAIT-1 |-- FIN-ACK seq=601 ack=1 win=* -->| CLOSE-WAIT*\n"
	"FIN-WAIT-2 |<- ACK seq=1 ack=602 win=* --| CLOSE-WAIT*\n"
	"TIME-WAIT |<- FIN-ACK seq=1 ack=602 win=* --| LAST-ACK*\n"
	"TIME-WAIT |-- ACK seq=602 ack=2 win=* -->| CLOSED*\n"
	"CLOSED | (2*MSL over: TIME-WAIT -> CLOSED, the socket is removed) | CLOSED*\n";

/* The ladder normalized: windows masked, runs of '-' and ' ' squeezed. */
static const char normalize[] =
	"sed -E -e 's/win=[0-9]+/win=*/g' -e 's/ -+>\\|/ -->|/' -e 's/ -+\\|/ --|/' "
	"-e 's/ +/ /g' -e 's/ $//'";

TEST_F(tr, ladder_text_matches)
{
	char cmd[4096], exp[300], out[300];
	FILE *f;

	scripted(_metadata, self);
	snprintf(exp, sizeof(exp), "%s/expected", work);
	snprintf(out, sizeof(out), "%s/ladder", work);
	f = fopen(exp, "w");
	ASSERT_TRUE(f != NULL);
	fputs(expected_ladder, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s/toytrace -r %s | %s > %s",
		 tools_dir, self->raw, normalize, out);
	ASSERT_EQ(0, tt_sh("%s", cmd));
	EXPECT_EQ(0, tt_sh("diff -u %s %s", exp, out))
		TH_LOG("the ladder differs from the expected one (diff above)");
	/* no timestamps unless asked for; -t adds them */
	EXPECT_EQ(1, tt_sh("python3 %s/toytrace -r %s | grep -q '[0-9]\\.[0-9]\\{6\\}'",
			   tools_dir, self->raw));
	EXPECT_EQ(0, tt_sh("python3 %s/toytrace -t -r %s | grep -q '^ *0\\.[0-9]\\{6\\} '",
			   tools_dir, self->raw));
}

/*
 * The SVG: well-formed; one <g class="segment"> per segment, each with
 * one arrow (a line whose direction is the segment's) and the label the
 * text ladder has, in the same order.
 */
static const char svg_check[] =
	"import re, sys, xml.etree.ElementTree as ET\n"
	"svg, txt, want = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
	"ns = '{http://www.w3.org/2000/svg}'\n"
	"root = ET.parse(svg).getroot()\n"
	"segs = [g for g in root.iter(ns + 'g') if 'segment' in g.get('class', '').split()]\n"
	"rows = [l for l in open(txt) if '|-- ' in l or '|<- ' in l]\n"
	"bad = 0\n"
	"if len(segs) != want or len(rows) != want:\n"
	"    print('# %d arrows in the SVG, %d in the text, %d expected' % (len(segs), len(rows), want)); bad = 1\n"
	"for i, (g, row) in enumerate(zip(segs, rows)):\n"
	"    lines = g.findall(ns + 'line'); texts = [t.text for t in g.findall(ns + 'text')]\n"
	"    lab = re.search(r'\\|(?:-- |<- )(.*?) -*>?\\|', row).group(1)\n"
	"    right = '|-- ' in row\n"
	"    if len(lines) != 1 or lab not in texts:\n"
	"        print('# segment %d: %d lines, texts %r, want %r' % (i, len(lines), texts, lab)); bad = 1; continue\n"
	"    x1, x2 = float(lines[0].get('x1')), float(lines[0].get('x2'))\n"
	"    if (x1 < x2) != right:\n"
	"        print('# segment %d points the wrong way' % i); bad = 1\n"
	"    if g.get('data-flags') != lab.split()[0]:\n"
	"        print('# segment %d data-flags %s' % (i, g.get('data-flags'))); bad = 1\n"
	"sys.exit(bad)\n";

TEST_F(tr, ladder_svg)
{
	char py[300], svg[300], txt[300];
	FILE *f;

	scripted(_metadata, self);
	snprintf(py, sizeof(py), "%s/svg_check.py", work);
	snprintf(svg, sizeof(svg), "%s/ladder.svg", work);
	snprintf(txt, sizeof(txt), "%s/ladder.txt", work);
	f = fopen(py, "w");
	ASSERT_TRUE(f != NULL);
	fputs(svg_check, f);
	fclose(f);
	ASSERT_EQ(0, tt_sh("python3 %s/toytrace -r %s -o %s > %s", tools_dir,
			   self->raw, svg, txt));
	EXPECT_EQ(0, tt_sh("python3 %s %s %s 13", py, svg, txt));
	/* and the check can fail: a document with one arrow removed */
	EXPECT_NE(0, tt_sh("sed -i '0,/class=\"segment/s/class=\"segment/class=\"gone/' %s && "
			   "python3 %s %s %s 13 >/dev/null", svg, py, svg, txt));
}

/* ------------------------------------------------------------------ */
/* Live: two toytcp ends over loopback, recorded around a command */

TEST_F_TIMEOUT(tr, live_loopback_each_segment_once, 120)
{
	char raw[300], out[300];
	int sends, recvs, arrows, n;

	snprintf(raw, sizeof(raw), "%s/loop.trace", work);
	snprintf(out, sizeof(out), "%s/loop.ladder", work);
	ASSERT_EQ(0, tt_sh("%s/toyserve -q -a 127.0.0.1 -p %d -n 1 & echo $! > %s/toyserve.pid; "
			   "for i in $(seq 50); do grep -q ':%04X 00000000:0000 0A' /proc/net/toytcp && break; sleep 0.1; done",
			   bin_dir, PORT_LOOP, work, PORT_LOOP));
	ASSERT_EQ(0, tt_sh("timeout 60 python3 %s/toytrace --instance toytcp_trace_test -p %d -w %s "
			   "-- sh -c '%s/toyget 127.0.0.1 %d / >/dev/null 2>&1' > %s",
			   tools_dir, PORT_LOOP, raw, bin_dir, PORT_LOOP, out));
	tt_sh("cat %s >&2", out);
	/* the command's exit status comes back */
	EXPECT_EQ(3, tt_sh("python3 %s/toytrace --instance toytcp_trace_test -- sh -c 'exit 3' >/dev/null",
			   tools_dir));
	n = parse_trace(raw);
	ASSERT_LT(0, n);
	sends = count_kind(n, EV_SEND);
	recvs = count_kind(n, EV_RECV);
	EXPECT_LE(7, sends);	/* 3 handshake, request, answer, 2 FINs, ACKs */
	EXPECT_EQ(sends, recvs) TH_LOG("every segment sent is received on loopback");
	arrows = tt_sh("exit $(grep -c -e '|-- ' -e '|<- ' %s)", out);
	EXPECT_EQ(sends, arrows) TH_LOG("each segment drawn once");
	EXPECT_EQ(0, tt_sh("grep -q 'both ends toytcp' %s", out));
	EXPECT_EQ(1, tt_sh("grep -q '[A-Z]\\*' %s", out)) TH_LOG("no inferred state");
	/* the client's SYN first, from the left; the server was listening */
	EXPECT_EQ(0, tt_sh("sed -n 3p %s | grep -q '^CLOSED  *LISTEN$'", out));
	EXPECT_EQ(0, tt_sh("sed -n 4p %s | grep -q '^SYN-SENT *|-- SYN seq=0 .*>| SYN-RECEIVED$'", out));
	EXPECT_EQ(0, tt_sh("grep -q 'TIME-WAIT' %s", out));
}

/* -p PORT without a command: one connection, then it stops by itself */
TEST_F_TIMEOUT(tr, live_port_stops_after_one_connection, 120)
{
	char raw[300], out[300];
	double t0;
	int n, rc;

	snprintf(raw, sizeof(raw), "%s/port.trace", work);
	snprintf(out, sizeof(out), "%s/port.ladder", work);
	ASSERT_EQ(0, tt_sh("%s/toyserve -q -a 127.0.0.1 -p %d -n 1 & echo $! > %s/toyserve.pid; "
			   "for i in $(seq 50); do grep -q ':%04X 00000000:0000 0A' /proc/net/toytcp && break; sleep 0.1; done",
			   bin_dir, PORT_LOOP + 1, work, PORT_LOOP + 1));
	ASSERT_EQ(0, tt_sh("python3 %s/toytrace --instance toytcp_trace_test -p %d --timeout 40 -w %s "
			   "> %s 2>&1 & echo $! > %s/toytrace.pid; "
			   "for i in $(seq 100); do [ -e %s ] && break; sleep 0.1; done; [ -e %s ]",
			   tools_dir, PORT_LOOP + 1, raw, out, work, raw, raw));
	t0 = tt_now();
	ASSERT_EQ(0, tt_sh("%s/toyget 127.0.0.1 %d / >/dev/null 2>&1", bin_dir, PORT_LOOP + 1));
	/* it ends on its own once the connection is over, not at --timeout */
	rc = tt_sh("for i in $(seq 300); do kill -0 $(cat %s/toytrace.pid) 2>/dev/null || exit 0; "
		   "sleep 0.1; done; kill $(cat %s/toytrace.pid); exit 1", work, work);
	EXPECT_EQ(0, rc) TH_LOG("toytrace -p still recording %.1f s after the connection", tt_now() - t0);
	tt_sh("cat %s >&2", out);
	n = parse_trace(raw);
	ASSERT_LT(0, n);
	EXPECT_EQ(count_kind(n, EV_SEND), tt_sh("exit $(grep -c -e '|-- ' -e '|<- ' %s)", out));
	EXPECT_EQ(0, tt_sh("grep -q '^CLOSED  *|<- ACK.*| TIME-WAIT$' %s", out))
		TH_LOG("the last ACK: the client CLOSED, the server in TIME-WAIT");
}

/* ------------------------------------------------------------------ */
/* Time-sequence graph of a bulk transfer with a stall */

static void sink(void *arg, int ready, int res)
{
	int lfd = *(int *)arg, fd;
	static char buf[65536];
	long total = 0;
	ssize_t r;

	tt_signal_ready(ready);
	fd = tt_accept(lfd, 10000);
	while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	if (write(res, &total, sizeof(total)) != sizeof(total))
		_exit(1);
}

static const char tsg_check[] =
	"import sys, xml.etree.ElementTree as ET\n"
	"svg, nseg, nretx, nrto = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])\n"
	"ns = '{http://www.w3.org/2000/svg}'\n"
	"root = ET.parse(svg).getroot()\n"
	"lines = [l for l in root.iter(ns + 'line') if l.find(ns + 'title') is not None]\n"
	"seg = [l for l in lines if l.get('class') == 'seg']\n"
	"retx = [l for l in lines if l.get('class') == 'retx']\n"
	"circ = [c for c in root.iter(ns + 'circle') if c.get('class') == 'rto']\n"
	"poly = {p.get('class') for p in root.iter(ns + 'polyline')}\n"
	"print('# svg: %d segments, %d retransmissions, %d RTO marks, lines %s' % (len(seg), len(retx), len(circ), sorted(poly)))\n"
	"ok = len(seg) + len(retx) == nseg and len(retx) == nretx and len(circ) == nrto and {'ack', 'win'} <= poly\n"
	"sys.exit(0 if ok else 1)\n";

TEST_F_TIMEOUT(tr, tsg_bulk_with_stall, 120)
{
	static char buf[16384];
	char raw[300], svg[300], py[300];
	struct tt_child ch;
	int lfd, c, n, data = 0, retx = 0, rto;
	long total = 0, got = 0;
	unsigned int top = 0;
	bool have_top = false;
	FILE *f;

	snprintf(raw, sizeof(raw), "%s/bulk.trace", work);
	snprintf(svg, sizeof(svg), "%s/bulk.svg", work);
	snprintf(py, sizeof(py), "%s/tsg_check.py", work);
	lfd = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT_BULK, 4);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, tt_spawn(&ch, TT_B, 60, sink, &lfd));
	ASSERT_EQ(0, tt_child_ready(&ch, 5000));
	ASSERT_EQ(0, trace_start(PORT_BULK));
	c = tt_socket_in(TT_A, tt_module_family());
	ASSERT_LE(0, c);
	ASSERT_EQ(0, tt_connect(c, TT_ADDR_B, PORT_BULK, 5000));
	for (int i = 0; i < 8; i++, total += sizeof(buf))
		ASSERT_EQ(0, tt_write_full(c, buf, sizeof(buf)));
	/* the peer takes nothing for 0.6 s: RTO, retransmissions */
	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " iptables -w -I INPUT -p tcp --dport %d -j DROP",
			   PORT_BULK));
	for (int i = 0; i < 4; i++) {
		ssize_t r = send(c, buf, sizeof(buf), MSG_DONTWAIT);

		if (r > 0)
			total += r;
	}
	tt_msleep(600);
	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " iptables -w -D INPUT -p tcp --dport %d -j DROP",
			   PORT_BULK));
	tt_guard(30);
	for (int i = 0; i < 4; i++, total += sizeof(buf))
		ASSERT_EQ(0, tt_write_full(c, buf, sizeof(buf)));
	tt_unguard();
	close(c);
	ASSERT_EQ(0, tt_child_finish(&ch, &got, sizeof(got), 30000));
	EXPECT_EQ(total, got);
	tt_msleep(200);
	ASSERT_EQ(0, trace_stop(raw));
	n = parse_trace(raw);
	ASSERT_LT(0, n);
	/* what the graph must show, worked out from the events */
	for (int i = 0; i < n; i++) {
		struct ev *e = &evs[i];

		if (e->kind != EV_SEND || !e->len)
			continue;
		data++;
		if (have_top && (int)(e->seq + e->len - top) <= 0)
			retx++;
		if (!have_top || (int)(e->seq + e->len - top) > 0)
			top = e->seq + e->len;
		have_top = true;
	}
	rto = count_kind(n, EV_RETX);
	printf("# %d data segments, %d retransmitted, %d RTO events\n", data, retx, rto);
	EXPECT_LE(1, rto) TH_LOG("no retransmission timeout during the stall");
	EXPECT_LE(1, retx);
	f = fopen(py, "w");
	ASSERT_TRUE(f != NULL);
	fputs(tsg_check, f);
	fclose(f);
	ASSERT_EQ(0, tt_sh("python3 %s/toytrace -q -r %s --tsg %s", tools_dir, raw, svg));
	EXPECT_EQ(0, tt_sh("python3 %s %s %d %d %d", py, svg, data, retx, rto));
	close(lfd);
}

TEST_HARNESS_MAIN
