// SPDX-License-Identifier: GPL-2.0
/*
 * toybench: one benchmark run between a client and a server, each on
 * Linux TCP (AF_INET) or on toytcp (AF_TOYTCP).
 *
 *	toybench server [-f inet|toytcp] [-a ADDRESS] -p PORT [-v]
 *	toybench MODE [-f inet|toytcp] -a ADDRESS -p PORT [-t SECONDS] [-v]
 *
 * The server serves one connection at a time, for ever; the first byte
 * of each connection says what the client wants. A client run lasts
 * about SECONDS (default 3) and prints its result on stdout as
 * "VALUE UNIT" (with -v also the details on stderr). The modes:
 *
 *	stream       the client sends bulk data (64 KiB writes), shuts its
 *	             side down, and the server answers with the byte count
 *	             it read: MB/s (10^6 bytes) of data that arrived;
 *	stream-rx    the server sends bulk data for SECONDS then closes; the
 *	             client reads until EOF: MB/s;
 *	rr           1-byte request, 1-byte response, one after the other on
 *	             one connection: transactions/s;
 *	crr          connect, a 1-byte request, a 1-byte response, then the
 *	             server closes and the client closes on EOF (the server
 *	             holds TIME_WAIT): connections/s;
 *	stream-loss  stream under another name: the loss and delay are the
 *	             driver's (netem), the program does the same;
 *	stream-retx  stream, but the result is the segments the client sent
 *	             again per MB sent (tcpi_total_retrans): less is better;
 *	idle         no server: this program listens on ADDRESS:PORT itself,
 *	             opens -n N connections to it (default 1000) and keeps
 *	             them, both ends, idle; the slab memory they added
 *	             (/proc/meminfo's Slab, after a second to settle), in KB
 *	             per connection, both ends counted: less is better. Both
 *	             ends are of the -f family; they are closed with a reset
 *	             (SO_LINGER 0), so no TIME_WAIT lingers into the next run.
 *
 * -c CC sets TCP_CONGESTION (reno, cubic) on the client's sockets.
 * -f picks this side's family; the other side's is its own business, so
 * the same program measures Linux <-> Linux, toytcp -> Linux, Linux ->
 * toytcp and toytcp <-> toytcp. tools/bench/guest-bench.sh drives it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include "toytcp_tool.h"

#define BULK	65536		/* bytes per write() / read() in bulk modes */
#define IDLE_S	20		/* a server's read waits this long at most */

/* The first byte of a connection: what the client asks the server for. */
enum {
	CMD_STREAM = 's',	/* client -> server bulk, then the count back */
	CMD_STREAM_RX = 'r',	/* + 4-byte duration in ms: server -> client */
	CMD_RR = 'p',		/* then 1-byte ping-pong until EOF */
	CMD_CRR = 'c',		/* itself the request; 1 byte back, close */
};

static int verbose;
static char buf[BULK];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "toybench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A client that hangs (a stalled connection) ends with an error. */
static void on_alarm(int sig)
{
	static const char msg[] = "toybench: timed out\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* "inet" -> AF_INET, "toytcp" -> the family the module registered. */
static int family_of(const char *name)
{
	if (!strcmp(name, "inet") || !strcmp(name, "linux"))
		return AF_INET;
	if (!strcmp(name, "toytcp"))
		return toytcp_family("toybench");
	fprintf(stderr, "toybench: unknown family %s (inet or toytcp)\n", name);
	exit(2);
}

/* -c: the congestion control of the client's sockets (NULL: the default) */
static const char *cong;

static int new_socket(int family)
{
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (cong && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cong, strlen(cong)))
		die("setsockopt TCP_CONGESTION");
	return fd;
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("setsockopt TCP_NODELAY");
}

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= n;
	}
	return 0;
}

/* Exactly @len bytes; -1 on error or EOF before them. */
static int read_all(int fd, void *p, size_t len)
{
	char *c = p;

	while (len) {
		ssize_t n = read(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= n;
	}
	return 0;
}

/* Read and drop until EOF; the byte count, or -1 on error. */
static int64_t drain(int fd)
{
	int64_t total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return total;
		total += n;
	}
}

/* ---- the server ---------------------------------------------------- */

/* One connection: its first byte says what to do. Errors end it only. */
static void serve(int fd)
{
	unsigned char cmd, c;
	uint32_t ms;
	uint64_t be;
	int64_t got;
	double end;

	if (read_all(fd, &cmd, 1))
		return;
	switch (cmd) {
	case CMD_STREAM:
		got = drain(fd);
		if (got < 0)
			return;
		be = htobe64(got);
		write_all(fd, &be, sizeof(be));
		break;
	case CMD_STREAM_RX:
		if (read_all(fd, &ms, sizeof(ms)))
			return;
		end = now() + ntohl(ms) / 1000.0;
		while (now() < end)
			if (write_all(fd, buf, sizeof(buf)))
				return;
		break;
	case CMD_RR:
		nodelay(fd);
		while (read_all(fd, &c, 1) == 0)
			if (write_all(fd, &c, 1))
				return;
		break;
	case CMD_CRR:
		nodelay(fd);
		write_all(fd, &cmd, 1);
		break;
	default:
		fprintf(stderr, "toybench: unknown command 0x%02x\n", cmd);
	}
}

static void server(int family, struct sockaddr_in *sin)
{
	struct timeval idle = { .tv_sec = IDLE_S };
	int one = 1, lfd;

	lfd = new_socket(family);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)sin, sizeof(*sin)))
		die("bind");
	if (listen(lfd, 128))
		die("listen");
	/* the driver waits for this line */
	fprintf(stderr, "toybench: listening on %s:%u\n",
		inet_ntoa(sin->sin_addr), ntohs(sin->sin_port));
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		/* a client that died mid-run must not stall the next ones */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof(idle));
		serve(fd);
		close(fd);
	}
}

/* ---- the client ---------------------------------------------------- */

static int dial(int family, struct sockaddr_in *sin)
{
	int fd = new_socket(family);

	if (connect(fd, (struct sockaddr *)sin, sizeof(*sin)))
		die("connect");
	return fd;
}

/*
 * stream: bulk to the server for @secs; MB/s of what it read. If @retx,
 * the segments sent again per MB sent instead (TCP_INFO's
 * tcpi_total_retrans).
 */
static double run_stream(int family, struct sockaddr_in *sin, double secs, int retx)
{
	unsigned char cmd = CMD_STREAM;
	struct tcp_info ti;
	socklen_t tilen = sizeof(ti);
	uint64_t be;
	double t0, end, t;
	int fd;

	fd = dial(family, sin);
	t0 = now();
	end = t0 + secs;
	if (write_all(fd, &cmd, 1))
		die("write");
	while (now() < end)
		if (write_all(fd, buf, sizeof(buf)))
			die("write");
	/* the rate counts only what has arrived: wait for the count */
	if (shutdown(fd, SHUT_WR))
		die("shutdown");
	if (read_all(fd, &be, sizeof(be)))
		die("read the server's count");
	t = now() - t0;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tilen))
		die("getsockopt TCP_INFO");
	close(fd);
	if (verbose)
		fprintf(stderr, "toybench: %llu bytes in %.3f s, %u segments sent again\n",
			(unsigned long long)be64toh(be), t, ti.tcpi_total_retrans);
	if (retx)
		return ti.tcpi_total_retrans / (be64toh(be) / 1e6);
	return be64toh(be) / t / 1e6;
}

/* stream-rx: the server sends for @secs; MB/s read until its EOF. */
static double run_stream_rx(int family, struct sockaddr_in *sin, double secs)
{
	unsigned char req[5] = { CMD_STREAM_RX };
	uint32_t ms = htonl((uint32_t)(secs * 1000));
	double t0, t;
	int64_t got;
	int fd;

	memcpy(req + 1, &ms, sizeof(ms));
	fd = dial(family, sin);
	t0 = now();
	if (write_all(fd, req, sizeof(req)))
		die("write");
	got = drain(fd);
	if (got < 0)
		die("read");
	t = now() - t0;
	close(fd);
	if (verbose)
		fprintf(stderr, "toybench: %lld bytes in %.3f s\n",
			(long long)got, t);
	return got / t / 1e6;
}

/* rr: 1-byte ping-pong on one connection for @secs; transactions/s. */
static double run_rr(int family, struct sockaddr_in *sin, double secs)
{
	unsigned char cmd = CMD_RR, c = 'x';
	double t0, end, t;
	long n = 0;
	int fd;

	fd = dial(family, sin);
	nodelay(fd);
	if (write_all(fd, &cmd, 1))
		die("write");
	t0 = now();
	end = t0 + secs;
	do {
		if (write_all(fd, &c, 1))
			die("write");
		if (read_all(fd, &c, 1))
			die("read");
		n++;
	} while (now() < end);
	t = now() - t0;
	close(fd);
	if (verbose)
		fprintf(stderr, "toybench: %ld transactions in %.3f s\n", n, t);
	return n / t;
}

/* crr: a connection per request/response for @secs; connections/s. */
static double run_crr(int family, struct sockaddr_in *sin, double secs)
{
	double t0, end, t;
	unsigned char c;
	long n = 0;
	int fd;

	t0 = now();
	end = t0 + secs;
	do {
		c = CMD_CRR;
		fd = dial(family, sin);
		nodelay(fd);
		if (write_all(fd, &c, 1))
			die("write");
		if (read_all(fd, &c, 1))
			die("read");
		/* the server closes first: wait for its FIN, then ours */
		if (drain(fd) != 0)
			die("read (EOF expected)");
		close(fd);
		n++;
	} while (now() < end);
	t = now() - t0;
	if (verbose)
		fprintf(stderr, "toybench: %ld connections in %.3f s\n", n, t);
	return n / t;
}

/* /proc/meminfo's Slab, in KB; dies if unreadable. */
static long slab_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		die("no Slab in /proc/meminfo");
	return kb;
}

/* idle: @n connections to ourselves, both ends kept; KB of slab each. */
static double run_idle(int family, struct sockaddr_in *sin, int n)
{
	struct rlimit rl = { 2 * n + 64, 2 * n + 64 };
	struct linger abort_on_close = { 1, 0 };
	int one = 1, lfd, i, *fds;
	long before, after;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE");
	fds = calloc(2 * n, sizeof(*fds));
	if (!fds)
		die("calloc");
	sleep(1);	/* the last run's sockets freed (RCU) */
	before = slab_kb();
	lfd = new_socket(family);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)sin, sizeof(*sin)))
		die("bind");
	if (listen(lfd, n))
		die("listen");
	for (i = 0; i < n; i++) {
		fds[2 * i] = dial(family, sin);
		fds[2 * i + 1] = accept(lfd, NULL, NULL);
		if (fds[2 * i + 1] < 0)
			die("accept");
	}
	close(lfd);
	sleep(1);	/* delayed ACKs and the like are over */
	after = slab_kb();
	for (i = 0; i < 2 * n; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &abort_on_close,
			   sizeof(abort_on_close));
		close(fds[i]);
	}
	free(fds);
	if (verbose)
		fprintf(stderr, "toybench: Slab %ld kB -> %ld kB with %d connections\n",
			before, after, n);
	return (double)(after - before) / n;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: toybench server [-f inet|toytcp] [-a ADDRESS] -p PORT [-v]\n"
		"       toybench stream|stream-rx|rr|crr|stream-loss|stream-retx\n"
		"                [-f inet|toytcp] [-c CC] -a ADDRESS -p PORT [-t SECONDS] [-v]\n"
		"       toybench idle [-f inet|toytcp] -a ADDRESS -p PORT [-n N] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *mode, *fam = "inet", *unit;
	double secs = 3, value;
	int opt, family, have_addr = 0, conns = 1000;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "f:a:p:t:n:c:v")) != -1) {
		switch (opt) {
		case 'c':
			cong = optarg;
			break;
		case 'f':
			fam = optarg;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &sin.sin_addr) != 1) {
				fprintf(stderr, "toybench: bad address %s\n", optarg);
				return 2;
			}
			have_addr = 1;
			break;
		case 'p':
			sin.sin_port = htons(atoi(optarg));
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'n':
			conns = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (!sin.sin_port || secs <= 0 || conns <= 0)
		usage();
	family = family_of(fam);
	signal(SIGPIPE, SIG_IGN);
	memset(buf, 'x', sizeof(buf));

	if (!strcmp(mode, "server")) {
		server(family, &sin);	/* INADDR_ANY without -a; never returns */
		return 1;
	}

	if (!have_addr)
		usage();
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)secs + 60);
	if (!strcmp(mode, "stream") || !strcmp(mode, "stream-loss")) {
		value = run_stream(family, &sin, secs, 0);
		unit = "MB/s";
	} else if (!strcmp(mode, "stream-retx")) {
		value = run_stream(family, &sin, secs, 1);
		unit = "retx/MB";
	} else if (!strcmp(mode, "stream-rx")) {
		value = run_stream_rx(family, &sin, secs);
		unit = "MB/s";
	} else if (!strcmp(mode, "rr")) {
		value = run_rr(family, &sin, secs);
		unit = "trans/s";
	} else if (!strcmp(mode, "crr")) {
		value = run_crr(family, &sin, secs);
		unit = "conn/s";
	} else if (!strcmp(mode, "idle")) {
		value = run_idle(family, &sin, conns);
		unit = "KB/conn";
	} else {
		usage();
	}
	printf("%.2f %s\n", value, unit);
	return 0;
}
