/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the toytcp VM tests (connection lifecycle).
 *
 * The tests run as root inside a run-vm guest. Most of them build two
 * network namespaces joined by a veth pair:
 *
 *	TT_NS_A (198.18.0.1/24, TT_IF_A)  <--veth-->  TT_NS_B (198.18.0.2/24, TT_IF_B)
 *
 * The test process itself lives in TT_NS_A, where the socket family under
 * test runs; the Linux TCP peer lives in TT_NS_B. A socket keeps the
 * namespace it was created in, so one process can hold sockets of both
 * namespaces (tt_socket_in()); a forked child can move into either one
 * (tt_spawn()).
 *
 * The family under test is toytcp's (read from the module parameter), or
 * whatever TOYTCP_TEST_FAMILY says: TOYTCP_TEST_FAMILY=inet (or 2) runs
 * every test against Linux's own AF_INET TCP, which proves the test logic
 * without the module. In that mode the toytcp-only knobs map to their Linux
 * equivalents: syn_retries to net.ipv4.tcp_syn_retries, /proc/net/toytcp to
 * /proc/net/tcp, and TIME_WAIT lasts Linux's fixed 60 s.
 *
 * Nothing in here may block without a bound: every wait has a timeout.
 */
#ifndef TOYTCP_TEST_H
#define TOYTCP_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/toytcp.h>

/* errno after a call expected to fail, or 0 if it succeeded. */
#define ERRNO_OF(call) ({ errno = 0; (call) == -1 ? errno : 0; })

#define TT_NS_A		"toytcp_a"
#define TT_NS_B		"toytcp_b"
#define TT_IF_A		"ttveth_a"
#define TT_IF_B		"ttveth_b"
#define TT_ADDR_A	"198.18.0.1"
#define TT_ADDR_B	"198.18.0.2"
/* In 198.18.0.0/24 but nobody's: never answers. */
#define TT_ADDR_NONE	"198.18.0.99"
#define TT_LOOP		"127.0.0.1"

#define TT_PARAM_DIR	"/sys/module/toytcp/parameters/"

/* ------------------------------------------------------------------ */
/* The family under test */

/* The family the module registered, or -1 if it is not loaded. */
static inline int tt_module_family(void)
{
	FILE *f = fopen(TOYTCP_FAMILY_PATH, "r");
	int fam = -1;

	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = -1;
		fclose(f);
	}
	return fam;
}

/* The family under test: TOYTCP_TEST_FAMILY, else the module's. */
static inline int tt_family(void)
{
	const char *e = getenv("TOYTCP_TEST_FAMILY");

	if (e && *e) {
		if (!strcasecmp(e, "inet") || !strcasecmp(e, "af_inet"))
			return AF_INET;
		return atoi(e);
	}
	return tt_module_family();
}

/* True when the tests run against Linux TCP itself (checking the tests). */
static inline bool tt_inet_mode(void)
{
	return tt_family() == AF_INET;
}

/* The /proc/net table of the family under test, in the caller's netns. */
static inline const char *tt_proc_path(void)
{
	return tt_inet_mode() ? "/proc/net/tcp" : "/proc/net/toytcp";
}

/* The table a socket of family fam appears in. */
static inline const char *tt_proc_path_of(int fam)
{
	return fam == AF_INET ? "/proc/net/tcp" : "/proc/net/toytcp";
}

static inline const char *tt_fam_name(int fam)
{
	return fam == AF_INET ? "AF_INET" : "toytcp";
}

/* ------------------------------------------------------------------ */
/* Time, bounded waits */

static inline double tt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void tt_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline void tt_alarm_noop(int sig)
{
	(void)sig;
}

/*
 * Bound a blocking call: after secs seconds SIGALRM interrupts it (EINTR),
 * so a call that hangs fails the case instead of the whole run.
 */
static inline void tt_guard(unsigned int secs)
{
	struct sigaction sa = { .sa_handler = tt_alarm_noop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	alarm(secs);
}

static inline void tt_unguard(void)
{
	alarm(0);
}

/* poll() one fd; returns revents, 0 on timeout, -1 on error. */
static inline int tt_poll1(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	double end = tt_now() + timeout_ms / 1000.0;
	int n;

	for (;;) {
		int left = (int)((end - tt_now()) * 1000);

		n = poll(&p, 1, left > 0 ? left : 0);
		if (n >= 0 || errno != EINTR)
			break;
	}
	return n > 0 ? p.revents : n;
}

/* Wait until any bit of mask is set in revents; returns revents (0: timeout). */
static inline int tt_wait_events(int fd, short events, short mask, int timeout_ms)
{
	double end = tt_now() + timeout_ms / 1000.0;
	int r;

	do {
		r = tt_poll1(fd, events, 20);
		if (r > 0 && (r & mask))
			return r;
	} while (tt_now() < end);
	return 0;
}

/* Read exactly len bytes from a pipe within timeout_ms: 0 on success. */
static inline int tt_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	double end = tt_now() + timeout_ms / 1000.0;
	size_t got = 0;

	while (got < len) {
		int left = (int)((end - tt_now()) * 1000);
		ssize_t r;

		if (left <= 0 || tt_poll1(fd, POLLIN, left) <= 0)
			return -1;
		r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static inline int tt_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = write(fd, (const char *)buf + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Shell commands, module parameters, sysctls */

/* Run a shell command (printf-style); returns its exit status, or -1. */
static inline int tt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int tt_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc))
		return -1;
	return WEXITSTATUS(rc);
}

static inline int tt_read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static inline int tt_write_int(const char *path, int v)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fprintf(f, "%d\n", v) < 0;
	rc |= fclose(f) != 0;
	return rc ? -1 : 0;
}

/*
 * syn_retries of the family under test: the module parameter, or in inet
 * mode net.ipv4.tcp_syn_retries of the caller's netns. Returns the old
 * value, or -1 if it could not be set.
 */
static inline int tt_set_syn_retries(int v)
{
	const char *p = tt_inet_mode() ? "/proc/sys/net/ipv4/tcp_syn_retries" :
					 TT_PARAM_DIR "syn_retries";
	int old = tt_read_int(p);

	if (old < 0 || tt_write_int(p, v))
		return -1;
	return old;
}

/* Set msl (seconds); returns the old value, -1 on error, 0 in inet mode. */
static inline int tt_set_msl(int v)
{
	int old;

	if (tt_inet_mode())
		return 0;
	old = tt_read_int(TT_PARAM_DIR "msl");
	if (old < 0 || tt_write_int(TT_PARAM_DIR "msl", v))
		return -1;
	return old;
}

/* How long TIME_WAIT lasts with msl set to msl (Linux: fixed 60 s). */
static inline int tt_time_wait_secs(int msl)
{
	return tt_inet_mode() ? 60 : 2 * msl;
}

/* ------------------------------------------------------------------ */
/* Network namespaces */

enum { TT_ORIG, TT_A, TT_B, TT_NNS };
/* Open fds of the original, A and B namespaces (-1 when not set up). */
static int tt_ns[TT_NNS] = { -1, -1, -1 };

static inline int tt_enter(int which)
{
	return setns(tt_ns[which], CLONE_NEWNET);
}

static inline void tt_net_down(void)
{
	if (tt_ns[TT_ORIG] >= 0)
		tt_enter(TT_ORIG);
	for (int i = 0; i < TT_NNS; i++) {
		if (tt_ns[i] >= 0)
			close(tt_ns[i]);
		tt_ns[i] = -1;
	}
	tt_sh("ip -force -b - 2>/dev/null <<EOF\n"
	      "netns del " TT_NS_A "\n"
	      "netns del " TT_NS_B "\n"
	      "EOF");
}

/*
 * Create both namespaces and the veth pair, and move the caller into A.
 * Anything left by an earlier, killed run is removed first. (Few commands:
 * starting a process takes a tenth of a second in these VMs.)
 */
static inline int tt_net_up(void)
{
	int rc;

	tt_ns[TT_ORIG] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (tt_ns[TT_ORIG] < 0)
		return -1;
	rc = tt_sh("set -e\n"
		   "ip -force -b - 2>/dev/null <<EOF || true\n"
		   "netns del " TT_NS_A "\n"
		   "netns del " TT_NS_B "\n"
		   "EOF\n"
		   "ip -b - <<EOF\n"
		   "netns add " TT_NS_A "\n"
		   "netns add " TT_NS_B "\n"
		   "link add " TT_IF_A " netns " TT_NS_A " type veth peer name "
		   TT_IF_B " netns " TT_NS_B "\n"
		   "EOF\n"
		   "ip -n " TT_NS_A " -b - <<EOF\n"
		   "addr add " TT_ADDR_A "/24 dev " TT_IF_A "\n"
		   "link set lo up\n"
		   "link set " TT_IF_A " up\n"
		   "EOF\n"
		   "ip -n " TT_NS_B " -b - <<EOF\n"
		   "addr add " TT_ADDR_B "/24 dev " TT_IF_B "\n"
		   "link set lo up\n"
		   "link set " TT_IF_B " up\n"
		   "EOF\n");
	if (rc)
		return -1;
	tt_ns[TT_A] = open("/run/netns/" TT_NS_A, O_RDONLY | O_CLOEXEC);
	tt_ns[TT_B] = open("/run/netns/" TT_NS_B, O_RDONLY | O_CLOEXEC);
	if (tt_ns[TT_A] < 0 || tt_ns[TT_B] < 0)
		return -1;
	return tt_enter(TT_A);
}

/* A socket created in namespace which (TT_A or TT_B); the caller stays in A. */
static inline int tt_socket_in(int which, int fam)
{
	int fd, err;

	if (which != TT_A && tt_enter(which))
		return -1;
	fd = socket(fam, SOCK_STREAM, 0);
	err = errno;
	if (which != TT_A && tt_enter(TT_A)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	errno = err;
	return fd;
}

/* ------------------------------------------------------------------ */
/* Addresses and connections */

static inline struct sockaddr_in tt_sin(const char *ip, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

#define TT_SA(p) ((struct sockaddr *)(p))

static inline int tt_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static inline int tt_so_error(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len))
		return -errno;
	return v;
}

static inline int tt_local_port(int fd)
{
	struct sockaddr_in s;
	socklen_t len = sizeof(s);

	if (getsockname(fd, TT_SA(&s), &len))
		return -1;
	return ntohs(s.sin_port);
}

static inline int tt_peer_port(int fd)
{
	struct sockaddr_in s;
	socklen_t len = sizeof(s);

	if (getpeername(fd, TT_SA(&s), &len))
		return -1;
	return ntohs(s.sin_port);
}

/* A listener of family fam in namespace which, SO_REUSEADDR set; -1 on error. */
static inline int tt_listen_in(int which, int fam, const char *ip, int port, int backlog)
{
	struct sockaddr_in a = tt_sin(ip, port);
	int one = 1;
	int fd = tt_socket_in(which, fam);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, TT_SA(&a), sizeof(a)) || listen(fd, backlog)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* accept() within timeout_ms; -1 with errno (ETIMEDOUT on timeout). */
static inline int tt_accept(int lfd, int timeout_ms)
{
	int r = tt_poll1(lfd, POLLIN, timeout_ms);

	if (r <= 0) {
		errno = r == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	return accept(lfd, NULL, NULL);
}

/*
 * Connect fd to ip:port within timeout_ms without blocking: the socket is
 * nonblocking meanwhile and gets its mode back. 0 or -1 with errno (the
 * connection's error, or ETIMEDOUT if nothing happened in time).
 */
static inline int tt_connect(int fd, const char *ip, int port, int timeout_ms)
{
	struct sockaddr_in a = tt_sin(ip, port);
	int fl = fcntl(fd, F_GETFL);
	int rc = 0, err = 0;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, TT_SA(&a), sizeof(a))) {
		if (errno != EINPROGRESS) {
			rc = -1;
			err = errno;
		} else if (tt_poll1(fd, POLLOUT, timeout_ms) <= 0) {
			rc = -1;
			err = ETIMEDOUT;
		} else {
			err = tt_so_error(fd);
			rc = err ? -1 : 0;
			if (err < 0)
				err = -err;
		}
	}
	fcntl(fd, F_SETFL, fl);
	errno = err;
	return rc;
}

/*
 * An established connection: a client of family cfam in namespace cns, and
 * the accepted end from listener lfd. Returns 0 and both fds, or -1.
 */
static inline int tt_pair_via(int lfd, int cns, int cfam, const char *ip, int port,
			      int *cfd, int *sfd)
{
	*cfd = tt_socket_in(cns, cfam);
	*sfd = -1;
	if (*cfd < 0)
		return -1;
	if (tt_connect(*cfd, ip, port, 5000))
		goto fail;
	*sfd = tt_accept(lfd, 5000);
	if (*sfd < 0)
		goto fail;
	return 0;
fail:
	close(*cfd);
	*cfd = -1;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Child processes (the peer side of a test) */

struct tt_child {
	pid_t pid;
	int ready;	/* read end: the child writes one byte when ready */
	int res;	/* read end: the child writes its result */
};

#define TT_MAX_CHILDREN 16
static pid_t tt_children[TT_MAX_CHILDREN];

/*
 * Fork a child that enters namespace which (TT_A, TT_B, or -1 to stay),
 * runs fn(arg, ready_fd, result_fd) and exits. The child dies by SIGALRM
 * after life_secs whatever it does. Never use ASSERT_* in a child.
 */
static inline int tt_spawn(struct tt_child *c, int which, unsigned int life_secs,
			   void (*fn)(void *arg, int ready_fd, int res_fd), void *arg)
{
	int rp[2], sp[2];

	if (pipe2(rp, O_CLOEXEC))
		return -1;
	if (pipe2(sp, O_CLOEXEC)) {
		close(rp[0]);
		close(rp[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		close(rp[0]);
		close(sp[0]);
		signal(SIGALRM, SIG_DFL);
		alarm(life_secs);
		if (which >= 0 && tt_enter(which))
			_exit(99);
		fn(arg, rp[1], sp[1]);
		_exit(0);
	}
	close(rp[1]);
	close(sp[1]);
	c->ready = rp[0];
	c->res = sp[0];
	for (int i = 0; i < TT_MAX_CHILDREN; i++)
		if (!tt_children[i]) {
			tt_children[i] = c->pid;
			break;
		}
	return 0;
}

static inline int tt_child_ready(struct tt_child *c, int timeout_ms)
{
	char b;

	return tt_read_full(c->ready, &b, 1, timeout_ms);
}

static inline void tt_signal_ready(int ready_fd)
{
	char b = 'r';

	if (write(ready_fd, &b, 1) != 1)
		_exit(98);
}

/* Collect the child's result (len bytes) and reap it: 0 on success. */
static inline int tt_child_finish(struct tt_child *c, void *res, size_t len, int timeout_ms)
{
	int rc = tt_read_full(c->res, res, len, timeout_ms);

	if (rc)
		kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	for (int i = 0; i < TT_MAX_CHILDREN; i++)
		if (tt_children[i] == c->pid)
			tt_children[i] = 0;
	close(c->ready);
	close(c->res);
	c->pid = 0;
	return rc;
}

/* Kill whatever children are still around (from a teardown). */
static inline void tt_kill_children(void)
{
	for (int i = 0; i < TT_MAX_CHILDREN; i++)
		if (tt_children[i] > 0) {
			kill(tt_children[i], SIGKILL);
			waitpid(tt_children[i], NULL, 0);
			tt_children[i] = 0;
		}
}

/* ------------------------------------------------------------------ */
/* Data: a seeded byte stream and a hash */

/* xorshift64*: any chunking of the stream gives the same bytes. */
struct tt_gen {
	uint64_t s;
	uint64_t word;
	int left;	/* unused bytes of word */
};

static inline void tt_gen_init(struct tt_gen *g, uint64_t seed)
{
	g->s = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (!g->s)
		g->s = 1;
	g->left = 0;
}

static inline void tt_gen_fill(struct tt_gen *g, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		if (!g->left) {
			g->s ^= g->s >> 12;
			g->s ^= g->s << 25;
			g->s ^= g->s >> 27;
			g->word = g->s * 0x2545f4914f6cdd1dULL;
			g->left = 8;
		}
		*p++ = (uint8_t)g->word;
		g->word >>= 8;
		g->left--;
		n--;
	}
}

#define TT_HASH_INIT 0xcbf29ce484222325ULL

/* FNV-1a, 64 bits. */
static inline uint64_t tt_hash(uint64_t h, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * n bytes each way between two connected sockets of this process at once
 * (nonblocking, poll), byte-exact: a sends the tt_gen stream seeded seed,
 * b the one seeded seed + 1. 0, or -1 with the reason in why, the ends
 * called na and nb there. Fails when nothing moves for stall_ms.
 */
static inline int tt_xfer_pair(int a, int b, size_t n, uint64_t seed, int stall_ms,
			       const char *na, const char *nb, char *why, size_t wl)
{
	static uint8_t buf[16384], exp[16384];
	struct tt_gen ga, gb, ea, eb;	/* what a and b send, and what each expects */
	size_t sent[2] = { 0, 0 }, got[2] = { 0, 0 };
	int fd[2] = { a, b };
	double last = tt_now();

	tt_gen_init(&ga, seed);
	tt_gen_init(&gb, seed + 1);
	tt_gen_init(&eb, seed);		/* b receives a's stream */
	tt_gen_init(&ea, seed + 1);
	while (got[0] < n || got[1] < n) {
		struct pollfd p[2];
		bool moved = false;

		for (int i = 0; i < 2; i++) {
			p[i].fd = fd[i];
			p[i].events = (sent[i] < n ? POLLOUT : 0) | (got[i] < n ? POLLIN : 0);
		}
		if (poll(p, 2, 100) < 0 && errno != EINTR) {
			snprintf(why, wl, "poll: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t k;

			if (p[i].revents & (POLLIN | POLLERR | POLLHUP) && got[i] < n) {
				size_t want = n - got[i] < sizeof(buf) ? n - got[i] : sizeof(buf);

				k = recv(fd[i], buf, want, MSG_DONTWAIT);
				if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
					snprintf(why, wl, "%s: recv after %zu of %zu bytes: %s",
						 i ? nb : na, got[i], n,
						 k ? strerror(errno) : "end of stream");
					return -1;
				}
				if (k > 0) {
					tt_gen_fill(i ? &eb : &ea, exp, k);
					if (memcmp(buf, exp, k)) {
						snprintf(why, wl, "%s received wrong bytes after %zu",
							 i ? nb : na, got[i]);
						return -1;
					}
					got[i] += k;
					moved = true;
				}
			}
			if (p[i].revents & POLLOUT && sent[i] < n) {
				size_t want = n - sent[i] < sizeof(buf) ? n - sent[i] : sizeof(buf);
				struct tt_gen save = i ? gb : ga;

				tt_gen_fill(i ? &gb : &ga, buf, want);
				k = send(fd[i], buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);
				if (k < 0 && errno != EAGAIN && errno != EINTR) {
					snprintf(why, wl, "%s: send after %zu bytes: %s",
						 i ? nb : na, sent[i],
						 strerror(errno));
					return -1;
				}
				/* regenerate: only k of want bytes went */
				if (i)
					gb = save;
				else
					ga = save;
				if (k > 0) {
					tt_gen_fill(i ? &gb : &ga, buf, k);
					sent[i] += k;
					moved = true;
				}
			}
		}
		if (moved)
			last = tt_now();
		else if ((tt_now() - last) * 1000 > stall_ms) {
			snprintf(why, wl, "stalled: sent %zu/%zu, received %zu/%zu", sent[0], sent[1],
				 got[0], got[1]);
			return -1;
		}
	}
	return 0;
}

/*
 * Full-duplex transfer on one connected socket: send tx_len bytes of the
 * stream seeded tx_seed and receive rx_len bytes, checking them against the
 * stream seeded rx_seed, both at once (nonblocking, poll). Fails when
 * nothing moves for stall_ms. Does not close or shut down anything.
 */
struct tt_xfer {
	uint64_t tx_len, rx_len, tx_seed, rx_seed;
	int stall_ms;
	/* results */
	uint64_t tx_done, rx_done, tx_hash, rx_hash;
	int64_t mismatch;	/* first received offset that differs, or -1 */
	double secs;
	char err[200];
};

static inline int tt_pump(int fd, struct tt_xfer *x)
{
	static uint8_t txb[65536], rxb[65536], exp[65536];
	struct tt_gen gt, gr;
	size_t txhave = 0, txoff = 0;
	double t0 = tt_now(), last = t0;
	int fl = fcntl(fd, F_GETFL);

	tt_gen_init(&gt, x->tx_seed);
	tt_gen_init(&gr, x->rx_seed);
	x->tx_done = x->rx_done = 0;
	x->tx_hash = x->rx_hash = TT_HASH_INIT;
	x->mismatch = -1;
	x->err[0] = 0;
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (x->tx_done < x->tx_len || x->rx_done < x->rx_len) {
		struct pollfd p = { .fd = fd };
		bool moved = false;
		ssize_t r;

		if (x->tx_done < x->tx_len)
			p.events |= POLLOUT;
		if (x->rx_done < x->rx_len)
			p.events |= POLLIN;
		if (poll(&p, 1, 200) < 0 && errno != EINTR) {
			snprintf(x->err, sizeof(x->err), "poll: %s", strerror(errno));
			goto out;
		}
		if (x->rx_done < x->rx_len && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
			uint64_t want = x->rx_len - x->rx_done;

			r = recv(fd, rxb, want < sizeof(rxb) ? want : sizeof(rxb), 0);
			if (r > 0) {
				tt_gen_fill(&gr, exp, r);
				if (x->mismatch < 0 && memcmp(exp, rxb, r)) {
					for (ssize_t i = 0; i < r; i++)
						if (exp[i] != rxb[i]) {
							x->mismatch = x->rx_done + i;
							break;
						}
				}
				x->rx_hash = tt_hash(x->rx_hash, rxb, r);
				x->rx_done += r;
				moved = true;
			} else if (r == 0) {
				snprintf(x->err, sizeof(x->err),
					 "EOF after %llu of %llu bytes",
					 (unsigned long long)x->rx_done,
					 (unsigned long long)x->rx_len);
				goto out;
			} else if (errno != EAGAIN && errno != EINTR) {
				snprintf(x->err, sizeof(x->err), "recv after %llu bytes: %s",
					 (unsigned long long)x->rx_done, strerror(errno));
				goto out;
			}
		}
		if (x->tx_done < x->tx_len && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			if (txoff == txhave) {
				uint64_t left = x->tx_len - x->tx_done;

				txhave = left < sizeof(txb) ? left : sizeof(txb);
				tt_gen_fill(&gt, txb, txhave);
				x->tx_hash = tt_hash(x->tx_hash, txb, txhave);
				txoff = 0;
			}
			r = send(fd, txb + txoff, txhave - txoff, MSG_NOSIGNAL);
			if (r > 0) {
				txoff += r;
				x->tx_done += r;
				moved = true;
			} else if (r < 0 && errno != EAGAIN && errno != EINTR) {
				snprintf(x->err, sizeof(x->err), "send after %llu bytes: %s",
					 (unsigned long long)x->tx_done, strerror(errno));
				goto out;
			}
		}
		if (moved) {
			last = tt_now();
		} else if ((tt_now() - last) * 1000 > x->stall_ms) {
			snprintf(x->err, sizeof(x->err),
				 "stalled %d ms: sent %llu/%llu, received %llu/%llu, revents %#x",
				 x->stall_ms, (unsigned long long)x->tx_done,
				 (unsigned long long)x->tx_len,
				 (unsigned long long)x->rx_done,
				 (unsigned long long)x->rx_len, p.revents);
			/* the stack's view of its connections, for the log */
			tt_sh("cat /proc/net/toytcp >&2 2>/dev/null");
			goto out;
		}
	}
out:
	x->secs = tt_now() - t0;
	fcntl(fd, F_SETFL, fl);
	if (!x->err[0] && x->mismatch >= 0)
		snprintf(x->err, sizeof(x->err), "received byte %lld differs",
			 (long long)x->mismatch);
	return x->err[0] ? -1 : 0;
}

/* Wait for end of stream: recv() must give 0 within timeout_ms. */
static inline int tt_expect_eof(int fd, int timeout_ms, char *err, size_t errlen)
{
	char c;
	ssize_t r;

	if (tt_poll1(fd, POLLIN, timeout_ms) <= 0) {
		snprintf(err, errlen, "no end of stream within %d ms", timeout_ms);
		return -1;
	}
	r = recv(fd, &c, 1, MSG_DONTWAIT);
	if (r != 0) {
		snprintf(err, errlen, "recv at end of stream gave %zd (%s)", r,
			 r < 0 ? strerror(errno) : "data");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* /proc/net/tcp format */

struct tt_proc_ent {
	int sl;
	uint32_t laddr, raddr;	/* as printed: the __be32 read as a host u32 */
	int lport, rport;
	int st;
	unsigned int txq, rxq;
	int tr;
	unsigned long when;
	unsigned int retr, uid;
	int timeout;
	unsigned long inode;
	size_t width;	/* characters before the newline */
};

/*
 * Parse a /proc/net/tcp-format table. Returns the number of entries (up to
 * max), or -1 if it cannot be read or a line does not parse. *header gets
 * the first line if not NULL.
 */
static inline int tt_proc_read(const char *path, struct tt_proc_ent *e, int max,
			       char *header, size_t hlen)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	if (header)
		snprintf(header, hlen, "%s", line);
	while (fgets(line, sizeof(line), f)) {
		struct tt_proc_ent t;

		if (sscanf(line, "%d: %x:%x %x:%x %x %x:%x %x:%lx %x %u %d %lu",
			   &t.sl, &t.laddr, &t.lport, &t.raddr, &t.rport, &t.st,
			   &t.txq, &t.rxq, &t.tr, &t.when, &t.retr, &t.uid,
			   &t.timeout, &t.inode) != 14) {
			fclose(f);
			return -1;
		}
		t.width = strcspn(line, "\n");
		if (n < max)
			e[n] = t;
		n++;
	}
	fclose(f);
	return n < max ? n : max;
}

/*
 * State (TCP_* number) of the entry lport -> rport in path as seen from
 * namespace which: 0 if there is none, -1 if the table cannot be read.
 */
static inline int tt_proc_state(int which, const char *path, int lport, int rport)
{
	static struct tt_proc_ent e[4096];
	int n, st = 0;

	if (which != TT_A && tt_enter(which))
		return -1;
	n = tt_proc_read(path, e, 4096, NULL, 0);
	if (which != TT_A && tt_enter(TT_A))
		return -1;
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (e[i].lport == lport && e[i].rport == rport)
			st = e[i].st;
	return st;
}

/* Wait until that entry's state is st (0: gone); returns the last state. */
static inline int tt_proc_wait(int which, const char *path, int lport, int rport,
			       int st, int timeout_ms)
{
	double end = tt_now() + timeout_ms / 1000.0;
	int cur;

	for (;;) {
		cur = tt_proc_state(which, path, lport, rport);
		if (cur == st || tt_now() > end)
			return cur;
		tt_msleep(50);
	}
}

/* ------------------------------------------------------------------ */
/* Signals */

static volatile sig_atomic_t tt_sigpipes;

static inline void tt_count_sigpipe(int sig)
{
	(void)sig;
	tt_sigpipes++;
}

static inline void tt_catch_sigpipe(void)
{
	struct sigaction sa = { .sa_handler = tt_count_sigpipe };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	tt_sigpipes = 0;
}


/* ------------------------------------------------------------------ */
/* Reliability helpers: TCP_INFO, module parameters, counters, netem,   */
/* offloads, packet captures                                            */

#include <stddef.h>
#include <net/if.h>
#include <sys/ioctl.h>

/*
 * Linux's struct tcp_info (<linux/tcp.h>) as far as the tests read it:
 * glibc's struct tcp_info stops at tcpi_total_retrans and cannot be
 * included together with the kernel's, so the kernel's later fields
 * follow it here by hand, at the kernel's offsets.
 */
struct tt_tcp_info {
	struct tcp_info b;		/* tcpi_state .. tcpi_total_retrans */
	uint64_t pacing_rate;
	uint64_t max_pacing_rate;
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint32_t segs_out;
	uint32_t segs_in;
	uint32_t notsent_bytes;
	uint32_t min_rtt;
	uint32_t data_segs_in;
	uint32_t data_segs_out;
	uint64_t delivery_rate;
	uint64_t busy_time;
	uint64_t rwnd_limited;
	uint64_t sndbuf_limited;
	uint32_t delivered;
	uint32_t delivered_ce;
	uint64_t bytes_sent;
	uint64_t bytes_retrans;
	uint32_t dsack_dups;
	uint32_t reord_seen;
	uint32_t rcv_ooopack;
	uint32_t snd_wnd;	/* the peer's window, scaled */
};
_Static_assert(offsetof(struct tt_tcp_info, pacing_rate) == 104, "tcp_info layout");
_Static_assert(offsetof(struct tt_tcp_info, bytes_acked) == 120, "tcp_info layout");
_Static_assert(offsetof(struct tt_tcp_info, segs_out) == 136, "tcp_info layout");
_Static_assert(offsetof(struct tt_tcp_info, data_segs_in) == 152, "tcp_info layout");
_Static_assert(offsetof(struct tt_tcp_info, snd_wnd) == 228, "tcp_info layout");

/* TCP_INFO of fd; 0 or -1. The fields the socket did not fill stay 0. */
static inline int tt_tcp_info(int fd, struct tt_tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

/* Wait until nothing fd sent is unacknowledged; 0, or -1 on timeout. */
static inline int tt_wait_acked(int fd, int timeout_ms)
{
	double end = tt_now() + timeout_ms / 1000.0;
	struct tt_tcp_info ti;

	for (;;) {
		if (!tt_tcp_info(fd, &ti) && !ti.b.tcpi_unacked && !ti.notsent_bytes)
			return 0;
		if (tt_now() > end)
			return -1;
		tt_msleep(20);
	}
}

/*
 * Set a toytcp module parameter (name under TT_PARAM_DIR); in inet mode,
 * the sysctl given instead (a path under /proc/sys, in the caller's
 * netns), or nothing if inet_sysctl is NULL. Returns the old value, or -1.
 */
static inline int tt_set_param(const char *name, const char *inet_sysctl, int v)
{
	char p[256];
	int old;

	if (tt_inet_mode()) {
		if (!inet_sysctl)
			return 0;
		snprintf(p, sizeof(p), "%s", inet_sysctl);
	} else {
		snprintf(p, sizeof(p), TT_PARAM_DIR "%s", name);
	}
	old = tt_read_int(p);
	if (old < 0 || tt_write_int(p, v))
		return -1;
	return old;
}

/* A counter of /proc/net/toytcp_stats in the caller's netns, -1 if absent. */
static inline long tt_stat(const char *name)
{
	FILE *f = fopen("/proc/net/toytcp_stats", "r");
	char key[64];
	long v, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/*
 * A field of Linux TCP's counters in /proc/net/snmp ("Tcp") or
 * /proc/net/netstat ("TcpExt"), as seen from namespace which; -1 if absent.
 */
static inline long tt_linux_stat(int which, const char *file, const char *group,
				 const char *name)
{
	char names[4096], vals[4096], *sn, *sv, *n, *v;
	long found = -1;
	size_t glen = strlen(group);
	FILE *f;

	if (which != TT_A && tt_enter(which))
		return -1;
	f = fopen(file, "r");
	if (which != TT_A && tt_enter(TT_A)) {
		if (f)
			fclose(f);
		return -1;
	}
	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, group, glen) || names[glen] != ':')
			continue;
		n = strtok_r(names + glen + 1, " \n", &sn);
		v = strtok_r(vals + glen + 1, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, name))
				found = atol(v);
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
	}
	fclose(f);
	return found;
}

/*
 * netem on the egress of an interface of namespace ns (TT_NS_A, TT_NS_B):
 * "loss 5%", "delay 10ms reorder 25% 50%", ...; NULL removes it. 0 or the
 * tc exit status.
 */
static inline int tt_netem(const char *ns, const char *ifname, const char *args)
{
	static bool loaded;

	if (!args)
		return tt_sh("tc -n %s qdisc del dev %s root 2>/dev/null", ns, ifname);
	if (!loaded) {	/* a module on Debian's kernel, built in on the debug one */
		tt_sh("modprobe -q sch_netem 2>/dev/null");
		loaded = true;
	}
	return tt_sh("tc -n %s qdisc replace dev %s root netem %s", ns, ifname, args);
}

/* Both directions of the veth pair at once. */
static inline int tt_netem_both(const char *args)
{
	return tt_netem(TT_NS_A, TT_IF_A, args) | tt_netem(TT_NS_B, TT_IF_B, args);
}

/*
 * One ethtool "set" command (ETHTOOL_STSO 0x1f, ETHTOOL_SGSO 0x24,
 * ETHTOOL_STXCSUM 0x17, ...) on interface ifname of namespace which: no
 * ethtool binary here, so the ioctl itself. 0 or -1.
 */
static inline int tt_ethtool_set(int which, const char *ifname, uint32_t cmd, uint32_t val)
{
	struct { uint32_t cmd, data; } ev = { cmd, val };
	struct ifreq ifr;
	int fd, rc, err;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&ev;
	if (which != TT_A && tt_enter(which))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -1 : ioctl(fd, 0x8946 /* SIOCETHTOOL */, &ifr);
	err = errno;
	if (fd >= 0)
		close(fd);
	if (which != TT_A && tt_enter(TT_A))
		return -1;
	errno = err;
	return rc;
}

/*
 * Segmentation offloads off on both ends of the pair: Linux TCP then hands
 * the veth MSS-sized segments instead of 64 KB super-packets, so netem
 * drops, corrupts and reorders segments, and a capture counts segments.
 */
static inline int tt_offloads_off(void)
{
	int rc = 0;

	rc |= tt_ethtool_set(TT_A, TT_IF_A, 0x1f, 0);	/* TSO */
	rc |= tt_ethtool_set(TT_A, TT_IF_A, 0x24, 0);	/* GSO */
	rc |= tt_ethtool_set(TT_B, TT_IF_B, 0x1f, 0);
	rc |= tt_ethtool_set(TT_B, TT_IF_B, 0x24, 0);
	return rc;
}

/* A running tcpdump writing a pcap file. */
struct tt_cap {
	pid_t pid;
	char path[128];
	char err[128];
};

/*
 * Start tcpdump on ifname of namespace which, headers only, into a file
 * under /tmp; returns 0 once it listens (bounded), -1 otherwise.
 */
static inline int tt_cap_start(struct tt_cap *c, int which, const char *ifname,
			       const char *filter)
{
	static int seq;
	double end;
	char buf[512];

	snprintf(c->path, sizeof(c->path), "/tmp/tt_cap.%d.%d.pcap", getpid(), seq);
	snprintf(c->err, sizeof(c->err), "/tmp/tt_cap.%d.%d.err", getpid(), seq++);
	unlink(c->path);
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		int fd = open(c->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 2) < 0 || dup2(fd, 1) < 0)
			_exit(97);
		if (tt_enter(which))
			_exit(96);
		/* no socket of the test may stay open in tcpdump */
		for (int i = 3; i < 1024; i++)
			close(i);
		signal(SIGALRM, SIG_DFL);
		alarm(900);
		/* immediate mode: no packet waits in a ring block at the end */
		execlp("tcpdump", "tcpdump", "-i", ifname, "-n", "-U", "-Z", "root",
		       "--immediate-mode", "-B", "8192", "-s", "128", "-w", c->path,
		       filter, (char *)NULL);
		_exit(95);
	}
	end = tt_now() + 20;
	while (tt_now() < end) {
		FILE *f = fopen(c->err, "r");
		bool ok = false;

		if (f) {
			while (fgets(buf, sizeof(buf), f))
				if (strstr(buf, "listening on"))
					ok = true;
			fclose(f);
		}
		if (ok)
			return 0;
		if (waitpid(c->pid, NULL, WNOHANG) == c->pid) {
			c->pid = 0;
			return -1;
		}
		tt_msleep(50);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
	return -1;
}

/*
 * Stop it (SIGINT, then SIGKILL after 10 s) after 300 ms for the last
 * packets to be written; the file stays.
 */
static inline void tt_cap_stop(struct tt_cap *c)
{
	double end;

	if (c->pid <= 0)
		return;
	tt_msleep(300);
	end = tt_now() + 10;
	kill(c->pid, SIGINT);
	while (waitpid(c->pid, NULL, WNOHANG) != c->pid) {
		if (tt_now() > end) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			break;
		}
		tt_msleep(20);
	}
	c->pid = 0;
}

/* One TCP segment of a capture; addresses and ports in host order. */
struct tt_pkt {
	double t;		/* capture time, seconds (wall clock) */
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;		/* TH_FIN .. TH_URG, as the 13th header byte */
	uint16_t win;
	uint32_t len;		/* TCP data bytes, from the IPv4 total length */
	uint16_t ip_id;		/* IPv4 identification */
	uint8_t tos;		/* IPv4 TOS byte: DSCP and ECN bits */
	uint8_t hlen;		/* TCP header with options */
	uint16_t mss;		/* MSS option, 0 if none */
	int8_t wscale;		/* window scale option, -1 if none */
	bool ts;		/* timestamps option */
	uint32_t tsval, tsecr;
	bool sack_perm;		/* SACK permitted option */
	uint8_t nsacks;		/* SACK blocks */
	uint32_t sacks[4][2];	/* their left and right edges */
};

#define TT_F_FIN 0x01
#define TT_F_SYN 0x02
#define TT_F_RST 0x04
#define TT_F_PSH 0x08
#define TT_F_ACK 0x10

static inline uint32_t tt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t tt_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Read the TCP/IPv4 segments of a pcap file (Ethernet link type, either
 * byte order, micro- or nanosecond stamps). *out is malloc()ed; returns
 * the count, or -1 if the file is not a readable pcap.
 */
static inline int tt_pcap_read(const char *path, struct tt_pkt **out)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16], d[256];
	struct tt_pkt *v = NULL;
	int n = 0, cap = 0;
	bool swap, nano;
	uint32_t magic;

	*out = NULL;
	if (!f)
		return -1;
	if (fread(gh, 1, 24, f) != 24)
		goto bad;
	magic = gh[0] | gh[1] << 8 | gh[2] << 16 | (uint32_t)gh[3] << 24;
	swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (!swap && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d)
		goto bad;
#define TT_U32(p) (swap ? tt_be32(p) : (uint32_t)((p)[0] | (p)[1] << 8 | (p)[2] << 16 | \
						 (uint32_t)(p)[3] << 24))
	if (TT_U32(gh + 20) != 1)	/* LINKTYPE_ETHERNET */
		goto bad;
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t incl = TT_U32(rh + 8), take = incl < sizeof(d) ? incl : sizeof(d);
		const uint8_t *ip = d + 14, *th;
		unsigned int ihl, doff, tot;
		struct tt_pkt p;

		if (fread(d, 1, take, f) != take ||
		    (incl > take && fseek(f, incl - take, SEEK_CUR)))
			goto bad;
		if (take < 14 + 20 || tt_be16(d + 12) != 0x0800 || (ip[0] >> 4) != 4 ||
		    ip[9] != IPPROTO_TCP)
			continue;
		ihl = (ip[0] & 15) * 4;
		if (take < 14 + ihl + 20)
			continue;
		th = ip + ihl;
		doff = (th[12] >> 4) * 4;
		tot = tt_be16(ip + 2);
		p.t = TT_U32(rh) + TT_U32(rh + 4) / (nano ? 1e9 : 1e6);
		p.saddr = tt_be32(ip + 12);
		p.daddr = tt_be32(ip + 16);
		p.sport = tt_be16(th);
		p.dport = tt_be16(th + 2);
		p.seq = tt_be32(th + 4);
		p.ack = tt_be32(th + 8);
		p.flags = th[13];
		p.win = tt_be16(th + 14);
		p.len = tot > ihl + doff ? tot - ihl - doff : 0;
		p.ip_id = tt_be16(ip + 4);
		p.tos = ip[1];
		p.hlen = doff;
		p.mss = 0;
		p.wscale = -1;
		p.ts = false;
		p.tsval = p.tsecr = 0;
		p.sack_perm = false;
		p.nsacks = 0;
		/* the options (as far as the snapshot holds them) */
		for (unsigned int o = 20; o < doff && 14 + ihl + o < take;) {
			const uint8_t *op = th + o;
			unsigned int ol;

			if (op[0] == 0)
				break;
			if (op[0] == 1) {
				o++;
				continue;
			}
			if (14 + ihl + o + 1 >= take || op[1] < 2 ||
			    14 + ihl + o + op[1] > take)
				break;
			ol = op[1];
			if (op[0] == 2 && ol == 4)
				p.mss = tt_be16(op + 2);
			else if (op[0] == 3 && ol == 3)
				p.wscale = (int8_t)op[2];
			else if (op[0] == 8 && ol == 10) {
				p.ts = true;
				p.tsval = tt_be32(op + 2);
				p.tsecr = tt_be32(op + 6);
			} else if (op[0] == 4 && ol == 2) {
				p.sack_perm = true;
			} else if (op[0] == 5 && ol >= 10 && (ol - 2) % 8 == 0 && ol <= 34) {
				p.nsacks = (ol - 2) / 8;
				for (unsigned int b = 0; b < p.nsacks; b++) {
					p.sacks[b][0] = tt_be32(op + 2 + 8 * b);
					p.sacks[b][1] = tt_be32(op + 6 + 8 * b);
				}
			}
			o += ol;
		}
		if (n == cap) {
			struct tt_pkt *nv;

			cap = cap ? 2 * cap : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto bad;
			v = nv;
		}
		v[n++] = p;
	}
#undef TT_U32
	fclose(f);
	*out = v;
	return n;
bad:
	fclose(f);
	free(v);
	return -1;
}

/* A host-order IPv4 address from dotted text. */
static inline uint32_t tt_ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

/* Sequence-number comparison on the 2^32 circle. */
static inline bool tt_seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* True on Debian's stock kernel (release "*-amd64"), false on the debug one. */
static inline bool tt_debian_kernel(void)
{
	FILE *f = fopen("/proc/sys/kernel/osrelease", "r");
	char r[128] = "";
	size_t l;

	if (f) {
		if (!fgets(r, sizeof(r), f))
			r[0] = 0;
		fclose(f);
	}
	l = strcspn(r, "\n");
	r[l] = 0;
	return l > 6 && !strcmp(r + l - 6, "-amd64");
}

/* An unsigned size from the environment (k/M suffixes), or def. */
static inline uint64_t tt_env_size(const char *name, uint64_t def)
{
	const char *e = getenv(name);
	char *endp;
	uint64_t v;

	if (!e || !*e)
		return def;
	v = strtoull(e, &endp, 0);
	if (*endp == 'k' || *endp == 'K')
		v <<= 10;
	else if (*endp == 'm' || *endp == 'M')
		v <<= 20;
	return v;
}

#endif /* TOYTCP_TEST_H */
