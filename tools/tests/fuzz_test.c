// SPDX-License-Identifier: GPL-2.0
/*
 * VM test (issue 13, "a fuzzer in make check", (b)): random socket calls
 * with random arguments on the family under test, and random segments at
 * its listeners and connections.
 *
 * calls: four worker processes in namespace A, each with its own seed
 * derived from the main seed, make random calls on up to 12 sockets each
 * (of the family under test; in toytcp mode one in eight is AF_INET, so
 * both stacks share ports and talk to each other over loopback):
 * socket/bind/listen/connect (blocking and not, to toytcp listeners of the
 * workers in A over the veth address and loopback, to Linux listeners in
 * B, to a closed port, a dropped port, an absent host, no route,
 * broadcast, itself)/accept/accept4/send/sendto/sendmsg/write/writev/
 * splice/recv/recvfrom/recvmsg/read/readv (MSG_PEEK, MSG_DONTWAIT,
 * MSG_WAITALL, MSG_OOB, ...)/shutdown/setsockopt/getsockopt (every
 * SOL_SOCKET and SOL_TCP option number 0..80, lengths 0, 1, 3, 4, huge,
 * negative, bad pointers)/poll/ioctl/fcntl/getsockname/getpeername/close,
 * with bad socket addresses (wrong family, short, NULL, unmapped). Every
 * call that can block runs under a repeating SIGALRM timer, so it is
 * interrupted; now and then a worker forks a "twin" that makes random
 * calls on the same sockets at the same time, and kills it mid-call; the
 * test itself SIGKILLs workers mid-call at fixed points and starts them
 * again. Linux TCP in B serves five ports: it sends a stream, swallows
 * one, resets, closes, or never reads.
 *
 * Every byte any socket sends is a seeded pattern that tells its own
 * stream offset, so every byte received (by the workers and by the Linux
 * server) is checked: nothing lost, duplicated or corrupted. Every result
 * is checked for sanity: the errno is in a set that call can give (any
 * other is printed as "# unexpected errno E from call C args ..." and
 * counted), never EFAULT when every pointer was good, never EBADF or
 * ENOTSOCK on a socket we own, never ENOSYS or a kernel-internal errno;
 * byte counts within what was asked; addresses AF_INET and 16 bytes; no
 * connection to a host or port that cannot answer; poll never says
 * POLLNVAL for our sockets. Afterwards every socket is gone from
 * /proc/net/toytcp within a bounded wait (msl set to 1 s meanwhile),
 * /proc/net/protocols counts as many TOYTCP sockets as before and no more
 * socket memory than the per-CPU reserves explain, every child is reaped
 * and the test holds the fds it started with. A worker that makes no call
 * for 120 s is reported with its call, wchan and kernel stack.
 *
 * segments: tools/tests/ttfuzz.py (scapy, /usr/bin/python3) sends random
 * and mutated segments from B: at a toytcp listener (with handshakes
 * completed from the fuzzer's own ports), at a "strict" toytcp<->Linux
 * connection only segments any correct stack must drop (bad checksum,
 * truncated header, sequence far outside the window, no ACK bit, ACK of
 * data never sent or older than the window, SYN, RST not at RCV.NXT, some
 * as IP fragments), at a "loose" connection anything at all. The strict
 * connection must then carry 32 KB each way byte-exact; the loose one is
 * reported (intact, desynchronized by injected data, or reset); the
 * listener must accept a new connection and carry data byte-exact; the
 * checksum errors must show in /proc/net/toytcp_stats.
 *
 * Both print "# seed N" first. Environment:
 *   TOYTCP_FUZZ_SEED=N      the seed (default 20261202): a failure is
 *                           reproduced by running again with its seed
 *   TOYTCP_FUZZ_ITERS=N     calls in all (default 24000 on Debian's
 *                           kernel, 16000 on the debug kernel)
 *   TOYTCP_FUZZ_WORKERS=N   worker processes (default 4, at most 8)
 *   TOYTCP_FUZZ_VERBOSE=1   print every call and its result
 *   TOYTCP_FUZZ_SEGS=N      segments (default 20000 / 4000)
 *   TOYTCP_FUZZ_PY=PATH     ttfuzz.py elsewhere
 *   TOYTCP_FUZZ_ONLY=calls  only this test (or =segments)
 *   TOYTCP_TEST_FAMILY=inet the same against Linux's AF_INET TCP (checks
 *                           the test itself)
 * The choices each worker draws (call, arguments, timers) follow from the
 * seed alone, one draw per call; which socket a call meets, and what it
 * returns, also depend on timing. A failure prints the worker, its
 * generation and call number, and its last 24 calls; TOYTCP_FUZZ_VERBOSE=1
 * shows them all.
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define FZ_MAXW		8
#define FZ_NSLOT	12
#define FZ_BUF		(256 * 1024)
#define FZ_OPTBUF	65536
#define FZ_PAGE		4096
#define FZ_HIST		24

#define FZ_PORT_TOY	7000	/* 7000..7007: what the workers listen on in A */
#define FZ_NTOY		8
#define FZ_PORT_NOBODY	7050	/* in A: nobody listens */
#define FZ_PORT_LIN	7100	/* 7100..7104: Linux in B */
#define FZ_PORT_DROP	7198	/* in B: iptables DROP */
#define FZ_PORT_CLOSED	7199	/* in B: nothing, RST */
#define FZ_RAND_LO	20000	/* random ports: 20000..29999 */

enum { LIN_SOURCE, LIN_SINK, LIN_RESET, LIN_FIN, LIN_MUTE, LIN_N };
static const char *const lin_name[LIN_N] = { "source", "sink", "reset", "fin", "mute" };

#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD	0x894B
#endif
#define FZ_SIOCATMARK	0x8905
#define FZ_SIOCGSTAMP	0x8906
#define FZ_SIOCGSTAMPNS	0x8907
#define FZ_SIOCINQ	0x541B
#define FZ_SIOCOUTQ	0x5411
#define FZ_SIOCGIFNAME	0x8910
#define FZ_SIOCGIFCONF	0x8912
#define FZ_SIOCGIFFLAGS	0x8913
#define FZ_SIOCGIFADDR	0x8915
#define FZ_SIOCGIFMTU	0x8921
#define FZ_SIOCGIFINDEX	0x8933
#define FZ_FIOGETOWN	0x8903
#define FZ_SIOCGPGRP	0x8904
#define FZ_FIOSETOWN	0x8901
#define FZ_SIOCSPGRP	0x8902

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64 */

struct rng {
	uint64_t s;
};

static uint64_t rnext(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rbelow(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnext(r) % n) : 0;
}

static bool rpct(struct rng *r, unsigned int pct)
{
	return rbelow(r, 100) < pct;
}

/* A seed for the stream @a, @b, @c of @seed. */
static uint64_t fz_derive(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	struct rng r = { seed ^ (a * 0x100000001b3ULL) ^ (b << 32) ^ (c << 48) };

	rnext(&r);
	return rnext(&r);
}

/* Numbers that tend to find edges. */
static int64_t rint_interesting(struct rng *r)
{
	static const int64_t v[] = {
		0, 1, -1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 88, 127, 128, 255, 256,
		511, 536, 1000, 1024, 1460, 4095, 4096, 32767, 32768, 65535,
		65536, 1 << 20, INT32_MAX, INT32_MIN, INT32_MAX / 2, INT32_MAX - 1,
		-2, 0x7fff, 0x8000, 0xffff,
	};

	switch (rbelow(r, 4)) {
	case 0:
		return (int32_t)rnext(r);
	case 1:
		return rbelow(r, 200);
	default:
		return v[rbelow(r, sizeof(v) / sizeof(v[0]))];
	}
}

/* ------------------------------------------------------------------ */
/* The byte stream every socket sends: byte i is byte (i % 8) of word(i / 8),
 * a bijective mix of i / 8, so 16 bytes anywhere tell their offset. */

#define FZ_M1	0x9E3779B97F4A7C15ULL
#define FZ_M2	0xD6E8FEB86659FD93ULL
#define FZ_C0	0x243F6A8885A308D3ULL

static uint64_t inv64(uint64_t a)
{
	uint64_t x = a;

	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

static uint64_t fz_word(uint64_t k)
{
	uint64_t x = (k + FZ_C0) * FZ_M1;

	x ^= x >> 32;
	x *= FZ_M2;
	x ^= x >> 32;
	return x;
}

static uint64_t fz_unword(uint64_t x)
{
	x ^= x >> 32;
	x *= inv64(FZ_M2);
	x ^= x >> 32;
	x *= inv64(FZ_M1);
	return x - FZ_C0;
}

static void fz_fill(uint8_t *p, size_t n, uint64_t off)
{
	uint64_t k = off >> 3, w = fz_word(k);
	unsigned int b = off & 7;

	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(w >> (8 * b));
		if (++b == 8) {
			b = 0;
			w = fz_word(++k);
		}
	}
}

/* A receiver's place in a stream: synchronised once 16 bytes came. */
struct fz_rx {
	bool synced;
	uint64_t off;		/* stream offset of the next byte, once synced */
	uint8_t pend[16];
	int npend;
	uint64_t checked;	/* bytes compared */
};

/* Offset of d[0..n) (n >= 16) in the stream, or -1 if it is not in it. */
static int64_t fz_sync(const uint8_t *d, size_t n, uint8_t *tmp)
{
	for (int a = 0; a < 8; a++) {
		uint64_t w = 0, k;
		int64_t o;

		for (int i = 7; i >= 0; i--)
			w = w << 8 | d[a + i];
		k = fz_unword(w);
		if (k >= (1ULL << 40) || k * 8 < (uint64_t)a)
			continue;
		o = (int64_t)(k * 8 - a);
		fz_fill(tmp, n, o);
		if (!memcmp(tmp, d, n))
			return o;
	}
	return -1;
}

/*
 * Check the received bytes d[0..n) against the stream. With @peek they are
 * not consumed. 0, or -1 with the reason in @why.
 */
static int fz_rx_check(struct fz_rx *rx, const uint8_t *d, size_t n, bool peek,
		       uint8_t *tmp, char *why, size_t whylen)
{
	uint8_t head[64];
	size_t m;
	int64_t o;

	if (!n)
		return 0;
	if (rx->synced) {
		fz_fill(tmp, n, rx->off);
		if (memcmp(tmp, d, n)) {
			size_t j = 0;

			while (d[j] == tmp[j])
				j++;
			snprintf(why, whylen,
				 "stream byte %llu is 0x%02x, expected 0x%02x (%zu bytes received%s)",
				 (unsigned long long)(rx->off + j), d[j], tmp[j], n,
				 peek ? ", MSG_PEEK" : "");
			if (!peek)
				rx->synced = false;
			return -1;
		}
		rx->checked += n;
		if (!peek)
			rx->off += n;
		return 0;
	}
	/* not synchronised yet: the pending bytes, then these */
	m = rx->npend + n < sizeof(head) ? rx->npend + n : sizeof(head);
	memcpy(head, rx->pend, rx->npend);
	memcpy(head + rx->npend, d, m - rx->npend);
	if (m < 16) {
		if (!peek) {
			memcpy(rx->pend, head, m);
			rx->npend = (int)m;
		}
		return 0;
	}
	o = fz_sync(head, m, tmp);
	if (o < 0) {
		snprintf(why, whylen, "%zu bytes received are not the pattern at any offset "
			 "(first %02x %02x %02x %02x)", m, head[0], head[1], head[2], head[3]);
		if (!peek)
			rx->npend = 0;
		return -1;
	}
	if (peek) {
		/* check the rest from there without committing */
		struct fz_rx t = { .synced = true, .off = o + rx->npend };

		return fz_rx_check(&t, d, n, true, tmp, why, whylen);
	}
	rx->synced = true;
	rx->off = o + rx->npend;
	rx->npend = 0;
	return fz_rx_check(rx, d, n, false, tmp, why, whylen);
}

/* ------------------------------------------------------------------ */
/* State shared by the test, its workers and their twins */

enum op {
	OP_SOCKET, OP_CLOSE, OP_BIND, OP_LISTEN, OP_ACCEPT, OP_CONNECT, OP_SEND,
	OP_RECV, OP_SPLICE, OP_SHUTDOWN, OP_SETSOCKOPT, OP_GETSOCKOPT, OP_POLL,
	OP_IOCTL, OP_FCNTL, OP_GETNAME, OP_BADFD, OP_TWIN, OP_KILLTWIN, OP_PAUSE,
	OP_CLOSEALL, OP_SERVE, OP_DIAL, OP_N
};

static const char *const op_name[OP_N] = {
	"socket", "close", "bind", "listen", "accept", "connect", "send", "recv",
	"splice", "shutdown", "setsockopt", "getsockopt", "poll", "ioctl", "fcntl",
	"getname", "badfd", "twin", "killtwin", "pause", "closeall", "serve", "dial",
};

/* weights, per 1000 */
static const unsigned int op_weight[OP_N] = {
	[OP_SOCKET] = 60, [OP_CLOSE] = 35, [OP_BIND] = 55, [OP_LISTEN] = 40,
	[OP_ACCEPT] = 60, [OP_CONNECT] = 85, [OP_SEND] = 110, [OP_RECV] = 110,
	[OP_SPLICE] = 20, [OP_SHUTDOWN] = 25, [OP_SETSOCKOPT] = 100,
	[OP_GETSOCKOPT] = 80, [OP_POLL] = 40, [OP_IOCTL] = 30, [OP_FCNTL] = 20,
	[OP_GETNAME] = 25, [OP_BADFD] = 10, [OP_TWIN] = 4, [OP_KILLTWIN] = 2,
	[OP_PAUSE] = 8, [OP_CLOSEALL] = 3, [OP_SERVE] = 25, [OP_DIAL] = 45,
};

#define FZ_MAXERR 134

struct fz_wshm {
	uint64_t done;		/* iterations done by this worker, all generations */
	uint32_t gen;
	pid_t pid;
	double last;		/* time of the last finished call */
	char cur[240];		/* the call in progress */
};

struct fz_shm {
	struct fz_wshm w[FZ_MAXW];
	uint64_t calls[OP_N];
	uint64_t usecs[OP_N];			/* time spent in each kind of call */
	uint64_t errs[OP_N][FZ_MAXERR + 1];	/* [FZ_MAXERR]: success */
	uint64_t fails, unexpected, sigalrm, sigpipe, sigio, twins, twin_kills;
	uint64_t rx_checked, rx_bytes, tx_bytes, accepted, connected;
	/* the Linux server in B */
	uint64_t srv_acc[LIN_N], srv_in, srv_out, srv_checked, srv_bad;
	int msgs;		/* failure messages printed (bounded) */
};

static struct fz_shm *S;

/* One socket of a worker, in memory shared with its twin. */
struct fz_slot {
	pthread_mutex_t txmu, rxmu;	/* sending / receiving and the stream state */
	uint32_t serial;		/* bumped when the worker closes the slot */
	bool used;
	int fd, fam;
	bool attempted;			/* connect() since made or disconnected */
	int role;			/* what the fuzzer made of it: ROLE_* (a hint) */
	uint64_t txoff;
	bool tx_dead;			/* unknown how much was sent: send no more */
	struct fz_rx rx;
};

enum { ROLE_NONE, ROLE_LISTEN, ROLE_CONN };

/* A worker's (or twin's) own state. */
static struct {
	int widx;
	uint32_t gen;
	bool twin;
	bool verbose;
	int fam;			/* the family under test */
	struct rng rng;
	uint64_t iter;
	struct fz_slot *slots;
	/* a twin's view of the slots, taken by the worker before the fork */
	uint32_t twin_serial[FZ_NSLOT];
	bool twin_open[FZ_NSLOT];
	int twin_fd[FZ_NSLOT], twin_fam[FZ_NSLOT];
	pid_t twin_pid;
	double twin_t0;
	uint8_t *tx, *rx, *opt, *ro, *none, *tmp;	/* buffers; tx, rx, opt end at a guard page */
	int pipefd[2], spl[2];
	char hist[FZ_HIST][330];
	int nhist;
	char desc[300];
	uint64_t seed;
} C;

static volatile sig_atomic_t fz_nalrm, fz_npipe, fz_nio;

static void fz_on_alrm(int sig) { (void)sig; fz_nalrm++; }
static void fz_on_pipe(int sig) { (void)sig; fz_npipe++; }
static void fz_on_io(int sig) { (void)sig; fz_nio++; }

/* ------------------------------------------------------------------ */
/* Output: whole lines, one write each, so processes do not mix them */

static void fz_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fz_log(const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	int n;

	buf[0] = '#';
	buf[1] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(buf + 2, sizeof(buf) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 2;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		return;
}

static const char *ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "OK";

	return s ? s : "E?";
}

static const char *fam_name(int fam)
{
	return fam == AF_INET ? "inet" : fam == C.fam ? "toytcp" : "?";
}

static bool fz_msg_ok(void)
{
	return __atomic_fetch_add(&S->msgs, 1, __ATOMIC_RELAXED) < 60;
}

static void fz_history(void)
{
	int n = C.nhist < FZ_HIST ? C.nhist : FZ_HIST;

	fz_log("  the last %d calls of worker %d gen %u%s (seed %llu):", n, C.widx, C.gen,
	       C.twin ? " twin" : "", (unsigned long long)C.seed);
	for (int i = C.nhist - n; i < C.nhist; i++)
		fz_log("    %s", C.hist[i % FZ_HIST]);
}

/* A result no correct stack gives: counted, printed with the calls before it. */
static void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fz_fail(const char *fmt, ...)
{
	char buf[800];
	va_list ap;

	__atomic_fetch_add(&S->fails, 1, __ATOMIC_RELAXED);
	if (!fz_msg_ok())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fz_log("FAIL (worker %d gen %u%s iteration %llu): %s", C.widx, C.gen,
	       C.twin ? " twin" : "", (unsigned long long)C.iter, buf);
	fz_log("  in: %s", C.desc);
	fz_history();
}

/* Start describing a call (the monitor shows it if the call hangs). */
static void fz_desc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fz_desc(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(C.desc, sizeof(C.desc), fmt, ap);
	va_end(ap);
	if (!C.twin) {
		memcpy(S->w[C.widx].cur, C.desc, sizeof(S->w[C.widx].cur) - 1);
		S->w[C.widx].cur[sizeof(S->w[C.widx].cur) - 1] = 0;
	}
}

/* The call's result, into the history. */
static void fz_done(long ret, int e)
{
	char *h = C.hist[C.nhist++ % FZ_HIST];

	if (ret < 0)
		snprintf(h, sizeof(C.hist[0]), "%.290s = -1 %.20s", C.desc, ename(e));
	else
		snprintf(h, sizeof(C.hist[0]), "%.290s = %ld", C.desc, ret);
	if (C.verbose)
		fz_log("w%d%s %llu: %s", C.widx, C.twin ? "t" : "", (unsigned long long)C.iter, h);
}

/* ------------------------------------------------------------------ */
/* Plausible errors per call */

#define RES ENOMEM, ENOBUFS
#define NET ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, \
	    ECONNABORTED, EPIPE, EHOSTDOWN, ENETDOWN

static const int e_socket[] = { EINVAL, ESOCKTNOSUPPORT, EPROTONOSUPPORT, EPROTOTYPE,
				EAFNOSUPPORT, EMFILE, ENFILE, EACCES, EPERM, RES, 0 };
static const int e_close[] = { EINTR, 0 };
static const int e_bind[] = { EINVAL, EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, EACCES,
			      EPERM, RES, 0 };
static const int e_listen[] = { EINVAL, EADDRINUSE, EOPNOTSUPP, RES, 0 };
static const int e_accept[] = { EAGAIN, EINVAL, EINTR, ECONNABORTED, EMFILE, ENFILE,
				EPROTO, EPERM, EOPNOTSUPP, RES, 0 };
/* ENODEV: bound (SO_BINDTOIFINDEX) to an interface that is not there */
static const int e_connect[] = { EINPROGRESS, EALREADY, EISCONN, EADDRNOTAVAIL,
				 EAFNOSUPPORT, EINVAL, EINTR, EAGAIN, EACCES, EPERM,
				 EADDRINUSE, ENODEV, NET, RES, 0 };
static const int e_send[] = { EAGAIN, ENOTCONN, EINTR, EOPNOTSUPP, EINVAL, EMSGSIZE,
			      EISCONN, EDESTADDRREQ, EALREADY, EINPROGRESS, EACCES, EPERM,
			      ENODEV, NET, RES, 0 };
static const int e_recv[] = { EAGAIN, ENOTCONN, EINTR, EINVAL, EOPNOTSUPP, EMSGSIZE,
			      NET, RES, 0 };
static const int e_shutdown[] = { ENOTCONN, EINVAL, 0 };
static const int e_setsockopt[] = { ENOPROTOOPT, EINVAL, EOPNOTSUPP, EPERM, ENODEV,
				    ENOENT, EBUSY, EDOM, ERANGE, EACCES, EISCONN, EEXIST,
				    ENOTCONN, EALREADY, ENOSPC, EPROTO, EADDRNOTAVAIL, EMSGSIZE,
				    RES, 0 };
static const int e_getsockopt[] = { ENOPROTOOPT, EINVAL, EOPNOTSUPP, ENOTCONN, EPERM,
				    ENODATA, ERANGE, ENOENT, RES, 0 };
static const int e_poll[] = { EINTR, EINVAL, RES, 0 };
static const int e_ioctl[] = { ENOTTY, EINVAL, ENODEV, EOPNOTSUPP, EPERM, EADDRNOTAVAIL,
			       ENOENT, ENXIO, ENOTCONN, ESRCH, ENOPKG, EACCES, RES, 0 };
static const int e_fcntl[] = { EINVAL, EPERM, ESRCH, EBUSY, 0 };
static const int e_getname[] = { ENOTCONN, EINVAL, RES, 0 };

static const int *const e_plausible[OP_N] = {
	[OP_SOCKET] = e_socket, [OP_CLOSE] = e_close, [OP_BIND] = e_bind,
	[OP_LISTEN] = e_listen, [OP_ACCEPT] = e_accept, [OP_CONNECT] = e_connect,
	[OP_SEND] = e_send, [OP_RECV] = e_recv, [OP_SPLICE] = e_send,
	[OP_SHUTDOWN] = e_shutdown, [OP_SETSOCKOPT] = e_setsockopt,
	[OP_GETSOCKOPT] = e_getsockopt, [OP_POLL] = e_poll, [OP_IOCTL] = e_ioctl,
	[OP_FCNTL] = e_fcntl, [OP_GETNAME] = e_getname,
};

/* errno of a connection's failure, as SO_ERROR may hold it */
static const int e_soerror[] = { NET, EADDRNOTAVAIL, EACCES, EPERM, EMSGSIZE, ENODEV, RES,
				 0 };

static bool in_set(const int *set, int e)
{
	for (; set && *set; set++)
		if (*set == e)
			return true;
	return false;
}

/* what a call may do beyond its set */
#define FZ_BAD		1	/* a pointer or length was bad: EFAULT allowed */
#define FZ_EBADF_OK	2	/* an fd inside the argument: EBADF allowed */
#define FZ_EXTRA_EINVAL	4

/*
 * Judge one call's result: @ret < 0 means it failed with @e. A set for
 * @op (or @set if not NULL) says what is plausible; the rest is a failure
 * or an unexpected errno.
 */
static void fz_judge(int op, long ret, int e, unsigned int flags, const int *set)
{
	fz_done(ret, e);
	__atomic_fetch_add(&S->calls[op], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&S->errs[op][ret < 0 ? (e < FZ_MAXERR ? e : 0) : FZ_MAXERR], 1,
			   __ATOMIC_RELAXED);
	if (ret >= 0)
		return;
	if (e <= 0 || e >= 512) {
		fz_fail("%s returned -1 with errno %d (none, or a kernel-internal code)",
			op_name[op], e);
		return;
	}
	if (e == ENOSYS || e == ENOTSOCK) {
		fz_fail("%s on a socket we own: %s", op_name[op], ename(e));
		return;
	}
	if (e == EBADF) {
		if (!(flags & FZ_EBADF_OK))
			fz_fail("%s on a socket we own: EBADF", op_name[op]);
		return;
	}
	if (e == EFAULT) {
		if (!(flags & FZ_BAD))
			fz_fail("%s: EFAULT though every pointer and length was good",
				op_name[op]);
		return;
	}
	if (e == EINVAL && (flags & FZ_EXTRA_EINVAL))
		return;
	if (in_set(set ? set : e_plausible[op], e))
		return;
	__atomic_fetch_add(&S->unexpected, 1, __ATOMIC_RELAXED);
	if (fz_msg_ok())
		fz_log("unexpected errno %s (%d) from call %s args %s [worker %d gen %u%s iteration %llu]",
		       ename(e), e, op_name[op], C.desc, C.widx, C.gen, C.twin ? " twin" : "",
		       (unsigned long long)C.iter);
}

/* ------------------------------------------------------------------ */
/* Timers: every call that may block runs under a repeating SIGALRM */

static void fz_arm(struct rng *r)
{
	struct itimerval it = { 0 };
	long first = 1000 + rbelow(r, 80000);

	it.it_value.tv_sec = first / 1000000;
	it.it_value.tv_usec = first % 1000000;
	it.it_interval.tv_usec = 5000 + rbelow(r, 25000);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void fz_disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void fz_signals(void)
{
	struct sigaction sa = { 0 };

	sigemptyset(&sa.sa_mask);
	sa.sa_handler = fz_on_alrm;	/* no SA_RESTART: blocked calls see EINTR */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = fz_on_pipe;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = fz_on_io;
	sigaction(SIGIO, &sa, NULL);
	sigaction(SIGURG, &sa, NULL);
}

/* ------------------------------------------------------------------ */
/* Pointers */

enum { PK_GOOD, PK_NULL, PK_ONE, PK_KERNEL, PK_NONE, PK_RO, PK_EDGE, PK_N };
static const char *const pk_name[PK_N] = { "ok", "NULL", "0x1", "kernel", "unmapped",
					   "read-only", "edge" };

static int pick_pk(struct rng *r, unsigned int bad_pct)
{
	return rpct(r, bad_pct) ? 1 + (int)rbelow(r, PK_N - 1) : PK_GOOD;
}

/*
 * A pointer of kind @pk for @len bytes; @good is a good buffer of at
 * least @len bytes. PK_EDGE: the last bytes before the option buffer's
 * guard page. Sets *bad when the kernel may fault on it (for output: also
 * read-only memory).
 */
static void *pk_ptr(int pk, void *good, uint8_t *end, size_t len, bool out, bool *bad)
{
	switch (pk) {
	case PK_NULL:
		*bad = true;
		return NULL;
	case PK_ONE:
		*bad = true;
		return (void *)1;
	case PK_KERNEL:
		*bad = true;
		return (void *)0xffffffff81000000UL;
	case PK_NONE:
		*bad = true;
		return C.none;
	case PK_RO:
		if (out)
			*bad = true;
		return C.ro;
	case PK_EDGE:
		/* never @good's own end: on the stack that is someone else's memory */
		(void)end;
		*bad = true;
		return C.opt + FZ_OPTBUF - (len > 1 ? (len / 2 < FZ_PAGE ? len / 2 : FZ_PAGE) : 1);
	default:
		return good;
	}
}

/* ------------------------------------------------------------------ */
/* Addresses */

enum tgt { T_TOY, T_TOY_LO, T_LIN, T_CLOSED, T_DROP, T_NONE, T_NOROUTE, T_BCAST, T_ANY,
	   T_SELF, T_NOBODY, T_RANDPORT, T_N };
static const unsigned int tgt_w[T_N] = { 28, 8, 30, 5, 3, 3, 2, 2, 2, 3, 2, 2 };

/* targets nothing can answer: a connect() that succeeds there is wrong */
static bool tgt_impossible(int t)
{
	return t == T_CLOSED || t == T_DROP || t == T_NONE || t == T_NOROUTE ||
	       t == T_BCAST || t == T_NOBODY;
}

static int pick_w(struct rng *r, const unsigned int *w, int n)
{
	unsigned int sum = 0, x;

	for (int i = 0; i < n; i++)
		sum += w[i];
	x = rbelow(r, sum);
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static void sa_describe(char *buf, size_t len, const void *p, int pk, socklen_t alen)
{
	const struct sockaddr_in *s = p;
	char ip[32];

	if (pk != PK_GOOD) {
		snprintf(buf, len, "%s/%d", pk_name[pk], (int)alen);
		return;
	}
	inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "{fam %d %s:%u}/%d", s->sin_family, ip, ntohs(s->sin_port), (int)alen);
}

static uint16_t rand_port(struct rng *r)
{
	return FZ_RAND_LO + rbelow(r, 10000);
}

/*
 * A socket address for bind (@conn false) or connect into @ss; returns the
 * pointer to pass (maybe bad) and sets *len, *bad, *tgt, *fam.
 */
static bool fz_force_good;	/* the next address: well-formed, reachable or a toytcp port */

static void *gen_addr(struct rng *r, int fd, bool conn, struct sockaddr_storage *ss,
		      socklen_t *len, bool *bad, int *tgt, int *pk, char *d, size_t dlen)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	static const socklen_t lens[] = { 0, 1, 2, 4, 8, 15, 17, 28, 110, 128, 129, 1000,
					  (socklen_t)-1, 0x7fffffff };
	int f = rbelow(r, 100);
	void *p;

	memset(ss, 0, sizeof(*ss));
	*tgt = -1;
	if (f < 84)
		s->sin_family = AF_INET;
	else if (f < 89)
		s->sin_family = C.fam;
	else if (f < 93)
		s->sin_family = AF_UNSPEC;
	else if (f < 96)
		s->sin_family = AF_INET6;
	else
		s->sin_family = rbelow(r, 50);
	if (fz_force_good)
		f = 0;
	if (conn) {
		*tgt = pick_w(r, tgt_w, T_N);
		if (fz_force_good)
			*tgt = rpct(r, 45) ? T_LIN : rpct(r, 75) ? T_TOY : T_TOY_LO;
		switch (*tgt) {
		case T_TOY:
			*s = tt_sin(TT_ADDR_A, FZ_PORT_TOY + rbelow(r, FZ_NTOY));
			break;
		case T_TOY_LO:
			*s = tt_sin(TT_LOOP, FZ_PORT_TOY + rbelow(r, FZ_NTOY));
			break;
		case T_LIN:
			*s = tt_sin(TT_ADDR_B, FZ_PORT_LIN + rbelow(r, LIN_N));
			break;
		case T_CLOSED:
			*s = tt_sin(TT_ADDR_B, FZ_PORT_CLOSED);
			break;
		case T_DROP:
			*s = tt_sin(TT_ADDR_B, FZ_PORT_DROP);
			break;
		case T_NONE:
			*s = tt_sin(TT_ADDR_NONE, FZ_PORT_LIN);
			break;
		case T_NOROUTE:
			*s = tt_sin("198.19.0.1", FZ_PORT_LIN);
			break;
		case T_BCAST:
			*s = tt_sin("198.18.0.255", FZ_PORT_LIN);
			break;
		case T_ANY:
			*s = tt_sin("0.0.0.0", FZ_PORT_TOY + rbelow(r, FZ_NTOY));
			break;
		case T_SELF: {
			int port = tt_local_port(fd);

			*s = tt_sin(TT_ADDR_A, port > 0 ? port : FZ_PORT_TOY);
			break;
		}
		case T_NOBODY:
			*s = tt_sin(TT_ADDR_A, FZ_PORT_NOBODY);
			break;
		default:
			*s = tt_sin(TT_ADDR_A, rand_port(r));
			break;
		}
		if (f >= 84)
			s->sin_family = f < 89 ? C.fam : f < 93 ? AF_UNSPEC :
					f < 96 ? AF_INET6 : rbelow(r, 50);
	} else {
		static const char *const ips[] = { "0.0.0.0", TT_ADDR_A, TT_LOOP, "127.0.0.2",
						   TT_ADDR_B, TT_ADDR_NONE, "198.18.0.255",
						   "224.0.0.1" };
		static const unsigned int ipw[] = { 40, 30, 10, 3, 5, 4, 4, 4 };
		int port;

		switch (fz_force_good ? 10 : rbelow(r, 20)) {
		case 0 ... 5:
			port = 0;
			break;
		case 6 ... 15:
			port = FZ_PORT_TOY + rbelow(r, FZ_NTOY);
			break;
		case 16 ... 17:
			port = rand_port(r);
			break;
		case 18:
			port = 1 + rbelow(r, 1023);
			break;
		default:
			port = rbelow(r, 65536);
			if (port == FZ_PORT_NOBODY)
				port = 0;
			break;
		}
		inet_pton(AF_INET, ips[fz_force_good ? rbelow(r, 2) : pick_w(r, ipw, 8)],
			  &s->sin_addr);
		s->sin_port = htons(port);
	}
	*len = rpct(r, 85) || fz_force_good ? sizeof(*s) :
	       lens[rbelow(r, sizeof(lens) / sizeof(lens[0]))];
	*pk = fz_force_good ? PK_GOOD : pick_pk(r, 6);
	fz_force_good = false;
	p = pk_ptr(*pk, ss, (uint8_t *)ss + sizeof(*ss), *len, false, bad);
	sa_describe(d, dlen, ss, *pk, *len);
	return p;
}

/* A well-formed AF_INET address the kernel returned: plausible? */
static bool addr_known(uint32_t a, bool local)
{
	uint32_t h = ntohl(a);

	if ((h >> 24) == 127)
		return true;
	if (h == tt_ip(TT_ADDR_A))
		return true;
	if (local)
		return h == 0;
	return h == tt_ip(TT_ADDR_B);
}

/* ------------------------------------------------------------------ */
/* Slots and locks */

static void fz_lock_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

/* Lock within 300 ms; false if not. A holder killed mid-call: *dead set. */
static bool fz_lock(pthread_mutex_t *m, bool *dead)
{
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 300 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	do {
		rc = pthread_mutex_timedlock(m, &ts);
	} while (rc == EINTR);
	if (rc == EOWNERDEAD) {
		pthread_mutex_consistent(m);
		*dead = true;
		return true;
	}
	return rc == 0;
}

/* Is slot si ours to use (for a twin: inherited, still open in it)? */
static bool slot_usable(int si)
{
	if (C.twin)
		return C.twin_open[si];
	return C.slots[si].used;
}

/* For data: lock the slot's tx or rx side; false if we may not use it. */
static bool slot_lock(int si, bool tx)
{
	struct fz_slot *s = &C.slots[si];
	bool dead = false;

	if (!fz_lock(tx ? &s->txmu : &s->rxmu, &dead))
		return false;
	if (dead) {
		/* killed mid-call: how much it sent or read is unknown */
		if (tx)
			s->tx_dead = true;
		else
			s->rx.synced = false, s->rx.npend = 0;
	}
	if (C.twin && s->serial != C.twin_serial[si]) {
		/* the worker closed its copy: ours is the socket's last */
		pthread_mutex_unlock(tx ? &s->txmu : &s->rxmu);
		close(C.twin_fd[si]);
		C.twin_open[si] = false;
		return false;
	}
	return true;
}

static void slot_unlock(int si, bool tx)
{
	pthread_mutex_unlock(tx ? &C.slots[si].txmu : &C.slots[si].rxmu);
}

static int fz_fd(int si)
{
	return C.twin ? C.twin_fd[si] : C.slots[si].fd;
}

static int fz_fam(int si)
{
	return C.twin ? C.twin_fam[si] : C.slots[si].fam;
}

/* May this process update the slot's shared state (not a stale twin copy)? */
static bool slot_mine(int si)
{
	return !C.twin || C.slots[si].serial == C.twin_serial[si];
}

/* ------------------------------------------------------------------ */
/* The calls */

static void slot_take(struct rng *r, int si, int fd, int fam)
{
	struct fz_slot *s = &C.slots[si];

	s->fd = fd;
	s->fam = fam;
	s->attempted = false;
	s->role = ROLE_NONE;
	s->txoff = rbelow(r, 3) ? 0 : rnext(r) % 1000000;	/* receivers sync anywhere */
	s->tx_dead = false;
	memset(&s->rx, 0, sizeof(s->rx));
	s->used = true;
}

/* Close slot si (the worker's socket, or a twin's copy of it). */
static void op_close(struct rng *r, int si)
{
	struct fz_slot *s = &C.slots[si];
	int fd = fz_fd(si), rc, e;

	if (C.twin) {
		fz_desc("close(%d) [the twin's copy]", fd);
		fz_arm(r);
		rc = close(fd);
		e = errno;
		fz_disarm();
		C.twin_open[si] = false;
		fz_judge(OP_CLOSE, rc, e, 0, NULL);
		return;
	}
	/* both locks: a twin in the middle of a send or recv finishes first */
	if (!slot_lock(si, true))
		return;
	if (!slot_lock(si, false)) {
		slot_unlock(si, true);
		return;
	}
	fz_desc("close(%d %s)", fd, fam_name(s->fam));
	fz_arm(r);
	rc = close(fd);
	e = errno;
	fz_disarm();
	s->used = false;
	s->fd = -1;
	s->serial++;
	slot_unlock(si, false);
	slot_unlock(si, true);
	fz_judge(OP_CLOSE, rc, e, 0, NULL);
}

static void op_socket(struct rng *r, int si)
{
	static const int types[] = { SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_RDM, 0, 11,
				     SOCK_PACKET, SOCK_DCCP };
	static const int protos[] = { IPPROTO_UDP, 255, 256, -1, 132, 262, IPPROTO_ICMP,
				      IPPROTO_RAW };
	int fam = C.fam, type = SOCK_STREAM, proto = 0, flags = 0, fd, e, p;
	bool std;

	if (C.fam != AF_INET && rpct(r, 12))
		fam = AF_INET;	/* both stacks on the same ports */
	/*
	 * Linux asks modprobe for every type and protocol it does not know,
	 * which takes long in these VMs: odd ones rarely for AF_INET.
	 */
	if (!rpct(r, fam == AF_INET ? 99 : 88))
		type = types[rbelow(r, sizeof(types) / sizeof(types[0]))];
	if (rpct(r, 50))
		flags |= SOCK_NONBLOCK;
	if (rpct(r, 50))
		flags |= SOCK_CLOEXEC;
	if (rpct(r, 2))
		flags |= 1 << (20 + rbelow(r, 8));
	p = rbelow(r, 100);
	if (p < 8)
		proto = IPPROTO_TCP;
	else if (p < 13 && (fam != AF_INET || p < 9))
		proto = protos[rbelow(r, sizeof(protos) / sizeof(protos[0]))];
	std = type == SOCK_STREAM && (proto == 0 || proto == IPPROTO_TCP) &&
	      !(flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC));
	if (!C.twin && C.slots[si].used)
		op_close(r, si);
	if (!C.twin && C.slots[si].used)
		return;
	fz_desc("socket(%s, %d|%#x, %d)", fam_name(fam), type, flags, proto);
	fd = socket(fam, type | flags, proto);
	e = errno;
	fz_judge(OP_SOCKET, fd, e, 0, NULL);
	if (fd < 0) {
		if (std && e != EMFILE && e != ENFILE && e != ENOMEM && e != ENOBUFS)
			fz_fail("socket(%s, SOCK_STREAM, %d) failed: %s", fam_name(fam), proto,
				ename(e));
		return;
	}
	if (!std) {
		if (fam != AF_INET)
			fz_fail("toytcp made a socket of type %d, protocol %d, flags %#x", type,
				proto, flags);
		close(fd);
		return;
	}
	if (C.twin) {		/* a twin's own socket lives briefly */
		close(fd);
		return;
	}
	slot_take(r, si, fd, fam);
}

/*
 * Is this IPPROTO_IP option on (IP_FREEBIND, IP_TRANSPARENT: a non-local
 * bind() is then allowed)? Set by op_setsockopt, maybe by a twin.
 */
static bool ip_opt_on(int fd, int name)
{
	int v = 0;
	socklen_t l = sizeof(v);

	return !getsockopt(fd, SOL_IP, name, &v, &l) && v;
}

static void op_bind(struct rng *r, int si)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	int fd = fz_fd(si), fam = fz_fam(si), tgt, pk, rc, e;
	bool bad = false;
	socklen_t len;
	char d[96];
	void *p = gen_addr(r, fd, false, &ss, &len, &bad, &tgt, &pk, d, sizeof(d));

	fz_desc("bind(%d %s, %s)", fd, fam_name(fam), d);
	rc = bind(fd, p, len);
	e = errno;
	fz_judge(OP_BIND, rc, e, bad ? FZ_BAD : 0, NULL);
	if (rc || pk != PK_GOOD)
		return;
	if ((int)len < (int)sizeof(*a))
		fz_fail("bind() took an address of %d bytes", (int)len);
	else if (!(a->sin_family == AF_INET ||
		   (a->sin_family == AF_UNSPEC && a->sin_addr.s_addr == htonl(INADDR_ANY)) ||
		   (fam != AF_INET && a->sin_family == fam)))
		fz_fail("bind() took family %d", a->sin_family);
	else if (!addr_known(a->sin_addr.s_addr, true) &&
		 !(fam == AF_INET && (a->sin_addr.s_addr == inet_addr("198.18.0.255") ||
				      a->sin_addr.s_addr == inet_addr("224.0.0.1"))) &&
		 !ip_opt_on(fd, IP_FREEBIND) && !ip_opt_on(fd, IP_TRANSPARENT))
		fz_fail("bind() took an address that is not local");
}

static void op_listen(struct rng *r, int si)
{
	int fd = fz_fd(si), backlog = (int)rint_interesting(r), rc, e;

	fz_desc("listen(%d %s, %d)", fd, fam_name(fz_fam(si)), backlog);
	rc = listen(fd, backlog);
	e = errno;
	fz_judge(OP_LISTEN, rc, e, 0, NULL);
	if (!rc && slot_mine(si))
		C.slots[si].role = ROLE_LISTEN;
}

static const socklen_t small_lens[] = { 16, 16, 16, 0, 1, 2, 8, 15, 17, 128, (socklen_t)-1 };

/* A free slot for a new socket, or -1. */
static int free_slot(struct rng *r)
{
	int start = rbelow(r, FZ_NSLOT);

	for (int i = 0; i < FZ_NSLOT; i++) {
		int k = (start + i) % FZ_NSLOT;

		if (!C.slots[k].used)
			return k;
	}
	return -1;
}

static void op_accept(struct rng *r, int si)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	int fd = fz_fd(si), fam = fz_fam(si), v = rbelow(r, 3), flags = 0, nfd, e, apk, lpk;
	socklen_t lin = small_lens[rbelow(r, sizeof(small_lens) / sizeof(small_lens[0]))];
	socklen_t lout = lin, *lp;
	bool bad = false;
	void *ap;

	memset(&ss, 0xa5, sizeof(ss));
	apk = pick_pk(r, 5);
	lpk = pick_pk(r, 5);
	ap = pk_ptr(apk, &ss, (uint8_t *)&ss + sizeof(ss), lin, true, &bad);
	lp = pk_ptr(lpk, &lout, (uint8_t *)&lout + sizeof(lout), sizeof(lout), true, &bad);
	if (v == 0 || (v == 2 && rpct(r, 30))) {
		ap = NULL;
		lp = NULL;
		bad = false;
		apk = lpk = -1;
	}
	if (rpct(r, 50))
		flags |= SOCK_NONBLOCK;
	if (rpct(r, 30))
		flags |= SOCK_CLOEXEC;
	if (rpct(r, 3))
		flags |= 1 << (20 + rbelow(r, 8));
	fz_desc("accept4(%d %s, %s, %s:%d, %#x)", fd, fam_name(fam),
		apk < 0 ? "NULL" : pk_name[apk], lpk < 0 ? "NULL" : pk_name[lpk], (int)lin,
		v ? flags : 0);
	fz_arm(r);
	nfd = v ? accept4(fd, ap, lp, flags) : accept(fd, ap, lp);
	e = errno;
	fz_disarm();
	fz_judge(OP_ACCEPT, nfd, e, bad ? FZ_BAD : 0, NULL);
	if (nfd < 0)
		return;
	__atomic_fetch_add(&S->accepted, 1, __ATOMIC_RELAXED);
	if (apk == PK_GOOD && lpk == PK_GOOD && (int)lin >= 0) {
		if (lout != sizeof(*a))
			fz_fail("accept() gave an address length of %u", lout);
		else if (lin >= 2 && a->sin_family != AF_INET)
			fz_fail("accept() gave family %d", a->sin_family);
		else if (lin >= 8 && !addr_known(a->sin_addr.s_addr, false))
			fz_fail("accept() gave peer %s", inet_ntoa(a->sin_addr));
		else if (lin >= 4 && !a->sin_port)
			fz_fail("accept() gave peer port 0");
	}
	if (!C.twin) {
		int k = free_slot(r);

		if (k >= 0) {
			slot_take(r, k, nfd, fam);
			C.slots[k].role = ROLE_CONN;
			return;
		}
	}
	close(nfd);
}

/* The slot's socket carries a new stream from now on (see op_connect). */
static void rx_forget_stream(int si)
{
	struct fz_slot *s = &C.slots[si];

	if (!slot_lock(si, false))
		return;
	s->rx.synced = false;
	s->rx.npend = 0;
	slot_unlock(si, false);
}

static void op_connect(struct rng *r, int si)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	struct fz_slot *s = &C.slots[si];
	int fd = fz_fd(si), fam = fz_fam(si), tgt, pk, rc, e;
	bool bad = false, mine = slot_mine(si), attempted = s->attempted;
	socklen_t len;
	char d[96];
	void *p = gen_addr(r, fd, true, &ss, &len, &bad, &tgt, &pk, d, sizeof(d));

	fz_desc("connect(%d %s, %s)", fd, fam_name(fam), d);
	fz_arm(r);
	rc = connect(fd, p, len);
	e = errno;
	fz_disarm();
	fz_judge(OP_CONNECT, rc, e, bad ? FZ_BAD : 0, NULL);
	if (pk != PK_GOOD || (int)len < 2)
		return;
	/*
	 * A disconnect, or a connection begun again on a socket whose last
	 * one failed, was reset or was disconnected: its bytes are another
	 * stream, so the receiver finds its place anew.
	 */
	if (mine && (!rc || e == EINPROGRESS))
		rx_forget_stream(si);
	if (a->sin_family == AF_UNSPEC) {
		if (!rc && mine) {
			s->attempted = false;
			s->role = ROLE_NONE;
		}
		return;
	}
	if ((int)len < (int)sizeof(*a) || (rc && (e == EAFNOSUPPORT || e == EINVAL)))
		return;
	if (!rc) {
		__atomic_fetch_add(&S->connected, 1, __ATOMIC_RELAXED);
		/* an earlier connect() may have finished since: then 0 for any address */
		if (tgt_impossible(tgt) && !attempted && !C.twin && !C.twin_pid && mine)
			fz_fail("connect() to %s succeeded: nobody can answer there", d);
	}
	if (mine) {
		s->attempted = true;
		s->role = ROLE_CONN;
	}
}

/* Send flags; those that change the stream on Linux TCP are left out for it. */
static int send_flags(struct rng *r, int fam)
{
	int fl = 0;

	if (rpct(r, 80))
		fl |= MSG_NOSIGNAL;
	if (rpct(r, 30))
		fl |= MSG_DONTWAIT;
	if (rpct(r, 5))
		fl |= MSG_OOB;
	if (rpct(r, 10))
		fl |= MSG_MORE;
	if (rpct(r, 3))
		fl |= MSG_EOR;
	if (rpct(r, 2))
		fl |= MSG_CONFIRM;
	if (rpct(r, 2))
		fl |= MSG_FASTOPEN;
	if (rpct(r, 2))
		fl |= MSG_ZEROCOPY;
	if (rpct(r, 2))
		fl |= MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_ERRQUEUE;
	/*
	 * Urgent data leaves Linux's stream at the receiver, zerocopy sends
	 * our buffer as it is when it goes: neither keeps the pattern.
	 */
	if (fam == AF_INET)
		fl &= ~(MSG_OOB | MSG_ZEROCOPY);
	return fl;
}

static size_t pick_len(struct rng *r)
{
	switch (rbelow(r, 100)) {
	case 0 ... 4:
		return 0;
	case 5 ... 34:
		return 1 + rbelow(r, 100);
	case 35 ... 69:
		return 100 + rbelow(r, 4000);
	case 70 ... 89:
		return 4096 + rbelow(r, 61440);
	case 90 ... 97:
		return 65536 + rbelow(r, FZ_BUF - 65536);
	default:
		return rpct(r, 50) ? FZ_BUF + rbelow(r, 1 << 20) : (size_t)1 << 30;
	}
}

/*
 * The iovecs of a send or receive: @n of them over @buf (FZ_BUF bytes and a
 * guard page after), some bad. Sets *total (what was asked), *good (how many
 * bytes from the start can be copied) and *bad.
 */
#define FZ_MAXIOV 1100
static struct iovec fz_iov[FZ_MAXIOV];

static int gen_iov(struct rng *r, uint8_t *buf, bool out, bool only_bad, size_t *total,
		   size_t *good, bool *bad, char *d, size_t dlen)
{
	int n = rpct(r, 2) ? 1025 + rbelow(r, 3) : (int)rbelow(r, 5);
	size_t pos = 0, dl = 0;
	bool stop = false;

	*total = *good = 0;
	dl += snprintf(d + dl, dlen - dl, "%d iov", n);
	for (int i = 0; i < n; i++) {
		size_t len = rpct(r, 10) ? 0 : 1 + rbelow(r, rpct(r, 80) ? 4096 : 65536);
		int pk = pick_pk(r, only_bad ? 100 : 6);

		if (pk == PK_RO && !out)
			pk = PK_NONE;	/* its bytes would not be the pattern */
		if (only_bad && (pk == PK_GOOD || pk == PK_EDGE || pk == PK_RO))
			pk = PK_NULL;
		if (pos + len > FZ_BUF - FZ_PAGE || n > 8) {
			len = n > 8 ? rbelow(r, 2) : 0;
			if (pos + len > FZ_BUF - FZ_PAGE)
				len = 0;
		}
		if (pk == PK_EDGE && i != n - 1)
			pk = PK_NULL;
		if (pk == PK_EDGE) {
			size_t k = len > 1 ? len / 2 : 1;

			fz_iov[i].iov_base = buf + FZ_BUF - k;
			fz_iov[i].iov_len = len;
			*bad = true;
			if (!stop)
				*good += len < k ? len : k;
			stop = true;
		} else if (pk == PK_GOOD) {
			fz_iov[i].iov_base = buf + pos;
			fz_iov[i].iov_len = len;
			pos += len;
			if (!stop)
				*good += len;
		} else {
			bool b = false;

			fz_iov[i].iov_base = pk_ptr(pk, NULL, NULL, len, out, &b);
			fz_iov[i].iov_len = len;
			/* access_ok() refuses a kernel address even for 0 bytes */
			*bad = true;
			if (len)
				stop = true;
		}
		*total += len;
		if (i < 6 && dl < dlen)
			dl += snprintf(d + dl, dlen - dl, " %s:%zu", pk_name[pk], len);
	}
	return n;
}

/* Fill the good parts of the iovecs with the stream from @off on. */
static void fill_iov(int n, uint64_t off, const uint8_t *lo, const uint8_t *hi)
{
	for (int i = 0; i < n; i++) {
		uint8_t *b = fz_iov[i].iov_base;
		size_t len = fz_iov[i].iov_len;

		if (b >= lo && b < hi) {
			size_t can = (size_t)(hi - b) < len ? (size_t)(hi - b) : len;

			fz_fill(b, can, off);
		}
		off += len;
	}
}

static void op_send(struct rng *r, int si)
{
	struct fz_slot *s = &C.slots[si];
	int fd = fz_fd(si), fam = fz_fam(si), v = rbelow(r, 5), fl = send_flags(r, fam), pk, e;
	uint8_t *end = C.tx + FZ_BUF, *p = NULL;
	size_t len = pick_len(r), total = len, good = 0;
	struct sockaddr_storage ss;
	struct msghdr m = { 0 };
	bool bad = false, dead;
	char d[160] = "";
	ssize_t ret;
	int n = 0;

	if (!slot_lock(si, true))
		return;
	dead = s->tx_dead;
	if (v == 2 || v == 4) {
		n = gen_iov(r, C.tx, false, dead, &total, &good, &bad, d, sizeof(d));
		fill_iov(n, s->txoff, C.tx, end);
	} else {
		pk = pick_pk(r, 5);
		if (pk == PK_RO)
			pk = PK_NONE;
		if (dead && pk != PK_NULL && pk != PK_NONE)
			pk = PK_NULL;
		if (pk == PK_GOOD) {
			if (len <= FZ_BUF) {
				p = end - len;
				good = len;
			} else {
				p = C.tx;
				good = FZ_BUF;
				bad = true;
			}
			fz_fill(p, good, s->txoff);
		} else if (pk == PK_EDGE) {
			size_t k = len > 1 ? (len / 2 < FZ_BUF ? len / 2 : FZ_BUF) : 1;

			p = end - k;
			good = k < len ? k : len;
			fz_fill(p, good, s->txoff);
			bad = true;
		} else {
			p = pk_ptr(pk, NULL, NULL, len, false, &bad);
		}
		snprintf(d, sizeof(d), "%s:%zu", pk_name[pk], len);
	}
	switch (v) {
	case 0:
		fz_desc("send(%d %s, %s, %#x)", fd, fam_name(fam), d, fl);
		break;
	case 1: {
		int tgt, apk;
		socklen_t alen;
		char ad[96];
		void *ap = rpct(r, 50) ? NULL :
			   gen_addr(r, fd, true, &ss, &alen, &bad, &tgt, &apk, ad, sizeof(ad));

		m.msg_name = ap;
		m.msg_namelen = ap ? alen : 0;
		fz_desc("sendto(%d %s, %s, %#x, %s)", fd, fam_name(fam), d, fl,
			ap ? ad : "NULL");
		break;
	}
	case 2: {
		int mpk = pick_pk(r, 3);
		socklen_t alen;
		int tgt, apk;
		char ad[96];

		m.msg_iov = fz_iov;
		m.msg_iovlen = n;
		if (rpct(r, 10)) {
			m.msg_name = gen_addr(r, fd, true, &ss, &alen, &bad, &tgt, &apk, ad,
					      sizeof(ad));
			m.msg_namelen = alen;
		}
		if (rpct(r, 10)) {
			int cpk = pick_pk(r, 30);

			m.msg_controllen = rpct(r, 90) ? rbelow(r, 256) :
					   (size_t)rint_interesting(r);
			for (size_t i = 0; i < 256; i++)
				C.opt[i] = (uint8_t)rnext(r);
			if (rpct(r, 50)) {	/* a well-formed header */
				struct cmsghdr *cm = (struct cmsghdr *)C.opt;

				cm->cmsg_len = CMSG_LEN(rbelow(r, 16));
				cm->cmsg_level = rpct(r, 70) ? SOL_SOCKET : rbelow(r, 300);
				cm->cmsg_type = rbelow(r, 80);
			}
			m.msg_control = pk_ptr(cpk, C.opt, C.opt + FZ_OPTBUF,
					       m.msg_controllen, false, &bad);
			if (m.msg_controllen > 256 && cpk == PK_GOOD && m.msg_controllen > FZ_OPTBUF)
				bad = true;
		}
		fz_desc("sendmsg(%d %s, {%s, name %u, control %zu}%s, %#x)", fd, fam_name(fam), d,
			m.msg_namelen, (size_t)m.msg_controllen, mpk ? " bad msghdr" : "", fl);
		if (mpk) {
			bool b = false;
			void *mp = pk_ptr(mpk, &m, (uint8_t *)&m + sizeof(m), sizeof(m), false, &b);

			bad |= b;
			fz_arm(r);
			ret = sendmsg(fd, mp, fl);
			e = errno;
			fz_disarm();
			goto judge;
		}
		break;
	}
	case 3:
		fz_desc("write(%d %s, %s)", fd, fam_name(fam), d);
		break;
	default:
		fz_desc("writev(%d %s, %s)", fd, fam_name(fam), d);
		break;
	}
	fz_arm(r);
	switch (v) {
	case 0:
		ret = send(fd, p, len, fl);
		break;
	case 1:
		ret = sendto(fd, p, len, fl, m.msg_name, m.msg_namelen);
		break;
	case 2:
		ret = sendmsg(fd, &m, fl);
		break;
	case 3:
		ret = write(fd, p, len);
		break;
	default:
		ret = writev(fd, fz_iov, n);
		break;
	}
	e = errno;
	fz_disarm();
judge:
	if (ret > 0 && (size_t)ret <= good)
		s->txoff += ret;
	else if (ret > 0)
		s->tx_dead = true;
	slot_unlock(si, true);
	fz_judge(OP_SEND, ret, e, bad ? FZ_BAD : 0, NULL);
	if (ret > 0) {
		__atomic_fetch_add(&S->tx_bytes, ret, __ATOMIC_RELAXED);
		if ((size_t)ret > total)
			fz_fail("sent %zd bytes of %zu", ret, total);
		else if ((size_t)ret > good)
			fz_fail("sent %zd bytes, but only %zu could be read from the buffers", ret,
				good);
	}
}

static int recv_flags(struct rng *r)
{
	int fl = 0;

	if (rpct(r, 35))
		fl |= MSG_DONTWAIT;
	if (rpct(r, 15))
		fl |= MSG_PEEK;
	if (rpct(r, 15))
		fl |= MSG_WAITALL;
	if (rpct(r, 4))
		fl |= MSG_OOB;
	if (rpct(r, 3))
		fl |= MSG_TRUNC;
	if (rpct(r, 3))
		fl |= MSG_ERRQUEUE;
	if (rpct(r, 2))
		fl |= MSG_CMSG_CLOEXEC;
	if (rpct(r, 2))
		fl |= MSG_EOR | MSG_MORE | MSG_NOSIGNAL | MSG_CONFIRM;
	return fl;
}

static uint8_t *fz_gather;	/* received bytes, in order */

/* Check what a receive brought: @n bytes at the start of the iovecs or @p. */
static void rx_verify(int si, const uint8_t *p, int niov, size_t n, bool peek)
{
	struct fz_slot *s = &C.slots[si];
	char why[200];
	const uint8_t *d = p;

	if (niov >= 0) {
		size_t got = 0;

		for (int i = 0; i < niov && got < n; i++) {
			size_t take = fz_iov[i].iov_len < n - got ? fz_iov[i].iov_len : n - got;

			memcpy(fz_gather + got, fz_iov[i].iov_base, take);
			got += take;
		}
		d = fz_gather;
	}
	__atomic_fetch_add(&S->rx_bytes, n, __ATOMIC_RELAXED);
	if (fz_rx_check(&s->rx, d, n, peek, C.tmp, why, sizeof(why))) {
		struct sockaddr_in l, pe;
		socklen_t ll = sizeof(l), pl = sizeof(pe);
		char ls[32] = "?", ps[32] = "?";

		if (!getsockname(fz_fd(si), TT_SA(&l), &ll))
			snprintf(ls, sizeof(ls), "%s:%u", inet_ntoa(l.sin_addr), ntohs(l.sin_port));
		if (!getpeername(fz_fd(si), TT_SA(&pe), &pl))
			snprintf(ps, sizeof(ps), "%s:%u", inet_ntoa(pe.sin_addr),
				 ntohs(pe.sin_port));
		fz_fail("data received on %s <- %s is wrong: %s", ls, ps, why);
	} else {
		__atomic_fetch_add(&S->rx_checked, n, __ATOMIC_RELAXED);
	}
}

static void op_recv(struct rng *r, int si)
{
	struct fz_slot *s = &C.slots[si];
	int fd = fz_fd(si), fam = fz_fam(si), v = rbelow(r, 5), fl = recv_flags(r), pk, e;
	size_t len = pick_len(r), total = len, good = 0;
	uint8_t *end = C.rx + FZ_BUF, *p = NULL;
	struct sockaddr_storage ss;
	socklen_t alen = sizeof(ss);
	uint8_t ctl[256];
	struct msghdr m = { 0 };
	bool bad = false, dead = false, peek;
	char d[160] = "";
	ssize_t ret;
	int n = -1;

	if (v == 3 || v == 4)
		fl = 0;
	peek = fl & MSG_PEEK;
	if (!slot_lock(si, false))
		return;
	if (v == 2 || v == 4) {
		n = gen_iov(r, C.rx, true, false, &total, &good, &bad, d, sizeof(d));
	} else {
		pk = pick_pk(r, 5);
		if (pk == PK_GOOD) {
			p = len <= FZ_BUF ? end - len : C.rx;
			good = len <= FZ_BUF ? len : FZ_BUF;
			bad = len > FZ_BUF;
		} else if (pk == PK_EDGE) {
			size_t k = len > 1 ? (len / 2 < FZ_BUF ? len / 2 : FZ_BUF) : 1;

			p = end - k;
			good = k < len ? k : len;
			bad = true;
		} else {
			p = pk_ptr(pk, NULL, NULL, len, true, &bad);
		}
		snprintf(d, sizeof(d), "%s:%zu", pk_name[pk], len);
	}
	switch (v) {
	case 0:
		fz_desc("recv(%d %s, %s, %#x)", fd, fam_name(fam), d, fl);
		fz_arm(r);
		ret = recv(fd, p, len, fl);
		break;
	case 1: {
		int apk = pick_pk(r, 10), lpk = pick_pk(r, 10);
		void *ap = pk_ptr(apk, &ss, (uint8_t *)&ss + sizeof(ss), alen, true, &dead);
		socklen_t *lp = pk_ptr(lpk, &alen, (uint8_t *)&alen + sizeof(alen), sizeof(alen),
				       true, &dead);

		if (rpct(r, 30)) {
			ap = NULL;
			lp = NULL;
			dead = false;
		}
		bad |= dead;
		fz_desc("recvfrom(%d %s, %s, %#x, %s, %s)", fd, fam_name(fam), d, fl,
			ap ? pk_name[apk] : "NULL", lp ? pk_name[lpk] : "NULL");
		fz_arm(r);
		ret = recvfrom(fd, p, len, fl, ap, lp);
		break;
	}
	case 2: {
		int mpk = pick_pk(r, 3);
		void *mp;

		m.msg_iov = fz_iov;
		m.msg_iovlen = n;
		if (rpct(r, 20)) {
			m.msg_name = &ss;
			m.msg_namelen = sizeof(ss);
		}
		if (rpct(r, 30)) {
			int cpk = pick_pk(r, 20);

			m.msg_controllen = rbelow(r, sizeof(ctl));
			m.msg_control = pk_ptr(cpk, ctl, ctl + sizeof(ctl), m.msg_controllen, true,
					       &bad);
		}
		dead = false;
		mp = pk_ptr(mpk, &m, (uint8_t *)&m + sizeof(m), sizeof(m), true, &dead);
		bad |= dead;
		fz_desc("recvmsg(%d %s, {%s, control %zu}%s, %#x)", fd, fam_name(fam), d,
			(size_t)m.msg_controllen, mpk ? " bad msghdr" : "", fl);
		fz_arm(r);
		ret = recvmsg(fd, mp, fl);
		if (ret >= 0 && !mpk && m.msg_controllen > sizeof(ctl)) {
			e = errno;
			fz_disarm();
			slot_unlock(si, false);
			fz_judge(OP_RECV, ret, e, 0, NULL);
			fz_fail("recvmsg() gave msg_controllen %zu", (size_t)m.msg_controllen);
			return;
		}
		break;
	}
	case 3:
		fz_desc("read(%d %s, %s)", fd, fam_name(fam), d);
		fz_arm(r);
		ret = read(fd, p, len);
		break;
	default:
		fz_desc("readv(%d %s, %s)", fd, fam_name(fam), d);
		fz_arm(r);
		ret = readv(fd, fz_iov, n);
		break;
	}
	e = errno;
	fz_disarm();
	if (ret > 0 && (size_t)ret > total) {
		s->rx.synced = false;
		s->rx.npend = 0;
		slot_unlock(si, false);
		fz_judge(OP_RECV, ret, e, bad ? FZ_BAD : 0, NULL);
		fz_fail("received %zd bytes into %zu", ret, total);
		return;
	}
	if (fl & (MSG_TRUNC | MSG_ERRQUEUE | MSG_OOB)) {
		/* Linux does not copy (MSG_TRUNC) or reads something else: resync */
		if (ret > 0 && !peek)
			s->rx.synced = false, s->rx.npend = 0;
	} else if (ret > 0) {
		if ((size_t)ret > good) {
			s->rx.synced = false;
			s->rx.npend = 0;
			slot_unlock(si, false);
			fz_judge(OP_RECV, ret, e, bad ? FZ_BAD : 0, NULL);
			fz_fail("received %zd bytes, but only %zu could be written to the buffers",
				ret, good);
			return;
		}
		rx_verify(si, p, n, ret, peek);
	} else if (ret < 0 && e == EFAULT && !peek) {
		/* the data may have been taken before the address could be written */
		s->rx.synced = false;
		s->rx.npend = 0;
	}
	slot_unlock(si, false);
	fz_judge(OP_RECV, ret, e, bad ? FZ_BAD : 0, NULL);
}

/* splice() between the socket and a pipe, either way. */
static void op_splice(struct rng *r, int si)
{
	struct fz_slot *s = &C.slots[si];
	int fd = fz_fd(si), fam = fz_fam(si), e;
	unsigned int fl = (rpct(r, 50) ? SPLICE_F_NONBLOCK : 0) | (rpct(r, 20) ? SPLICE_F_MORE : 0);
	size_t n = 1 + rbelow(r, 65536);
	ssize_t ret, w;
	char junk[4096];

	if (rpct(r, 50)) {
		if (!slot_lock(si, true))
			return;
		if (s->tx_dead) {
			slot_unlock(si, true);
			return;
		}
		fz_fill(C.tx, n, s->txoff);
		w = write(C.spl[1], C.tx, n);
		if (w <= 0) {
			slot_unlock(si, true);
			return;
		}
		fz_desc("splice(pipe -> %d %s, %zd, %#x)", fd, fam_name(fam), w, fl);
		fz_arm(r);
		ret = splice(C.spl[0], NULL, fd, NULL, w, fl);
		e = errno;
		fz_disarm();
		if (ret > 0 && ret <= w)
			s->txoff += ret;
		else if (ret > 0)
			s->tx_dead = true;
		while (read(C.spl[0], junk, sizeof(junk)) > 0)
			;
		slot_unlock(si, true);
		fz_judge(OP_SPLICE, ret, e, 0, e_send);
		if (ret > w)
			fz_fail("spliced %zd bytes of %zd", ret, w);
		return;
	}
	if (!slot_lock(si, false))
		return;
	fz_desc("splice(%d %s -> pipe, %zu, %#x)", fd, fam_name(fam), n, fl);
	fz_arm(r);
	ret = splice(fd, NULL, C.spl[1], NULL, n, fl);
	e = errno;
	fz_disarm();
	if (ret > 0) {
		ssize_t got = 0;

		while (got < ret) {
			ssize_t k = read(C.spl[0], C.rx + got, ret - got);

			if (k <= 0)
				break;
			got += k;
		}
		if (got != ret || (size_t)ret > n) {
			s->rx.synced = false;
			s->rx.npend = 0;
			fz_fail("spliced %zd bytes of %zu, the pipe held %zd", ret, n, got);
		} else
			rx_verify(si, C.rx, -1, ret, false);
	}
	while (read(C.spl[0], junk, sizeof(junk)) > 0)
		;
	slot_unlock(si, false);
	fz_judge(OP_SPLICE, ret, e, 0, e_recv);
}

static void op_shutdown(struct rng *r, int si)
{
	static const int bad_how[] = { 3, -1, 100, INT32_MAX, INT32_MIN };
	int fd = fz_fd(si), how, rc, e;
	bool valid = rpct(r, 90);

	how = valid ? (int)rbelow(r, 3) : bad_how[rbelow(r, 5)];
	fz_desc("shutdown(%d %s, %d)", fd, fam_name(fz_fam(si)), how);
	rc = shutdown(fd, how);
	e = errno;
	if (valid) {
		static const int ok[] = { ENOTCONN, 0 };

		fz_judge(OP_SHUTDOWN, rc, e, 0, ok);
	} else {
		static const int ok[] = { EINVAL, 0 };

		fz_judge(OP_SHUTDOWN, rc, e, 0, ok);
		if (!rc)
			fz_fail("shutdown(how %d) succeeded", how);
	}
}

static const int opt_lens[] = { 4, 4, 4, 0, 1, 2, 3, 8, 16, 64, 256, 4096, 65536, 1 << 20,
				INT32_MAX, -1, -4096 };

static int pick_level(struct rng *r)
{
	static const int others[] = { SOL_IPV6, SOL_RAW, 17 /* SOL_UDP */, 0x10000, -1, 282 /* SOL_TLS */,
				      SOL_PACKET, 6 + 256 };
	int x = rbelow(r, 100);

	if (x < 45)
		return SOL_SOCKET;
	if (x < 90)
		return SOL_TCP;
	if (x < 95)
		return SOL_IP;
	return others[rbelow(r, sizeof(others) / sizeof(others[0]))];
}

static int pick_optname(struct rng *r)
{
	int x = rbelow(r, 100);

	if (x < 85)
		return rbelow(r, 41);
	if (x < 95)
		return 41 + rbelow(r, 40);
	return (int)rint_interesting(r);
}

/*
 * Options that would make Linux TCP (the AF_INET sockets among ours) leave
 * the test's model: repair mode, kernel TLS, deferred connect, freebind,
 * IP options (source routes), IPsec policies, zerocopy receive. toytcp
 * refuses them all but IP_FREEBIND (15), which it takes as Linux does: the
 * toytcp sockets keep getting it.
 */
static int inet_safe_opt(int fam, int level, int name, bool get)
{
	if (fam != AF_INET)
		return name;
	if (level == SOL_TCP && (name == 19 || name == 20 || name == 21 || name == 22 ||
				 name == 29 || name == 31 || name == 30 || (get && name == 35)))
		return TCP_NODELAY;
	if (level == SOL_IP && (name == 4 || name == 15 || name == 16 || name == 17 || name == 19))
		return 1;	/* IP_TOS */
	return name;
}

static void op_setsockopt(struct rng *r, int si)
{
	int fd = fz_fd(si), fam = fz_fam(si), level = pick_level(r), name = pick_optname(r);
	int len, pk, rc, e, v = (int)rint_interesting(r);
	unsigned int flags = 0;
	bool bad = false;
	void *p;

	name = inet_safe_opt(fam, level, name, false);
	memset(C.opt, 0, 256);
	if (rpct(r, 40))
		for (int i = 0; i < 256; i++)
			C.opt[i] = (uint8_t)rnext(r);
	memcpy(C.opt, &v, sizeof(v));
	len = rpct(r, 60) ? 4 : opt_lens[rbelow(r, sizeof(opt_lens) / sizeof(opt_lens[0]))];
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_LINGER: {
			struct linger l = { rbelow(r, 2), rpct(r, 80) ? (int)rbelow(r, 3) : v };

			memcpy(C.opt, &l, sizeof(l));
			if (len == 4)
				len = sizeof(l);
			break;
		}
		case 20: case 21: case 66: case 67: {	/* SO_RCVTIMEO, SO_SNDTIMEO */
			struct timeval tv = { rbelow(r, 3), rbelow(r, 1000000) };

			if (rpct(r, 10))
				tv.tv_usec = v;
			memcpy(C.opt, &tv, sizeof(tv));
			if (len == 4)
				len = sizeof(tv);
			break;
		}
		case SO_BINDTODEVICE: {
			static const char *const dev[] = { "lo", TT_IF_A, "", TT_IF_B, "nosuchdev0" };
			const char *dn = dev[rpct(r, 95) ? rbelow(r, 4) : 4];

			strcpy((char *)C.opt, dn);
			if (len == 4)
				len = strlen(dn) + rbelow(r, 2);
			break;
		}
		case SO_ATTACH_FILTER: case 51: {	/* and SO_ATTACH_REUSEPORT_CBPF */
			struct { unsigned short len; void *filter; } fp;
			uint32_t *ins = (uint32_t *)(C.opt + 64);

			/* ret #-1 (take all), or random instructions */
			ins[0] = 0x06;
			ins[1] = 0xffffffff;
			fp.len = rpct(r, 50) ? 1 : rbelow(r, 6);
			fp.filter = rpct(r, 90) ? C.opt + 64 : NULL;
			memcpy(C.opt, &fp, sizeof(fp));
			if (len == 4)
				len = sizeof(fp);
			flags |= FZ_BAD;	/* the filter's own pointer */
			break;
		}
		case 50: case 52:	/* SO_ATTACH_BPF and _REUSEPORT_EBPF take an fd */
			flags |= FZ_EBADF_OK;
			break;
		}
	} else if (level == SOL_TCP && name == TCP_CONGESTION) {
		/* "bogus": Linux asks modprobe for tcp_bogus, slowly */
		static const char *const cc[] = { "reno", "cubic", "", "bogus" };

		strcpy((char *)C.opt, cc[rpct(r, 95) ? rbelow(r, 3) : 3]);
		if (len == 4)
			len = strlen((char *)C.opt);
	}
	pk = pick_pk(r, 6);
	p = pk_ptr(pk, C.opt, C.opt + FZ_OPTBUF, len > 0 ? len : 0, false, &bad);
	if (len > FZ_OPTBUF || (pk == PK_GOOD && len < 0))
		bad = true;
	fz_desc("setsockopt(%d %s, %d, %d, %s [%d], %d)", fd, fam_name(fam), level, name,
		pk_name[pk], v, len);
	rc = setsockopt(fd, level, name, p, len);
	e = errno;
	fz_judge(OP_SETSOCKOPT, rc, e, flags | (bad ? FZ_BAD : 0), NULL);
}

static void op_getsockopt(struct rng *r, int si)
{
	struct fz_slot *s = &C.slots[si];
	int fd = fz_fd(si), fam = fz_fam(si), level = pick_level(r), name = pick_optname(r);
	int pk, lpk, rc, e, val;
	socklen_t lin, lout;
	bool bad = false;
	void *p;
	socklen_t *lp;

	name = inet_safe_opt(fam, level, name, true);
	if (rpct(r, 50))
		lin = level == SOL_TCP && name == TCP_INFO ? 232 : 4;
	else
		lin = opt_lens[rbelow(r, sizeof(opt_lens) / sizeof(opt_lens[0]))];
	lout = lin;
	memset(C.opt, 0, 512);
	pk = pick_pk(r, 6);
	lpk = pick_pk(r, 4);
	p = pk_ptr(pk, C.opt, C.opt + FZ_OPTBUF, (int)lin > 0 ? lin : 0, true, &bad);
	lp = pk_ptr(lpk, &lout, (uint8_t *)&lout + sizeof(lout), sizeof(lout), true, &bad);
	if ((int)lin > FZ_OPTBUF)
		bad = true;
	fz_desc("getsockopt(%d %s, %d, %d, %s, %s:%d)", fd, fam_name(fam), level, name,
		pk_name[pk], pk_name[lpk], (int)lin);
	rc = getsockopt(fd, level, name, p, lp);
	e = errno;
	fz_judge(OP_GETSOCKOPT, rc, e, bad ? FZ_BAD : 0, NULL);
	if (rc || pk != PK_GOOD || lpk != PK_GOOD || (int)lin < 0 || (int)lin > FZ_OPTBUF)
		return;
	if (lout > lin) {
		fz_fail("getsockopt(%d, %d) wrote %u bytes into %u", level, name, lout, lin);
		return;
	}
	memcpy(&val, C.opt, sizeof(val));
	if (level == SOL_SOCKET && lin >= 4 && lout == 4) {
		if (name == SO_TYPE && val != SOCK_STREAM)
			fz_fail("SO_TYPE is %d", val);
		if (name == SO_PROTOCOL && val != IPPROTO_TCP)
			fz_fail("SO_PROTOCOL is %d", val);
		if (name == SO_DOMAIN && val != fam)
			fz_fail("SO_DOMAIN is %d, the socket is %s", val, fam_name(fam));
		if (name == SO_ACCEPTCONN && val != 0 && val != 1)
			fz_fail("SO_ACCEPTCONN is %d", val);
		if (name == SO_ERROR && val && !in_set(e_soerror, val))
			fz_fail("SO_ERROR is %d (%s)", val, ename(val));
	}
	if (level == SOL_TCP && name == TCP_INFO && lout >= 1 && (C.opt[0] < 1 || C.opt[0] > 12))
		fz_fail("TCP_INFO says state %u", C.opt[0]);
	(void)s;
}

static void op_poll(struct rng *r, int si)
{
	static const short evs[] = { POLLIN, POLLOUT, POLLPRI, POLLRDHUP, POLLRDNORM,
				     POLLWRNORM, POLLRDBAND, POLLWRBAND, POLLMSG };
	struct pollfd pf[4];
	int n = 1 + rbelow(r, 4), ret, e, tmo = rbelow(r, 31), pk = pick_pk(r, 4);
	bool own[4], bad = false;
	void *pp;

	(void)si;
	for (int i = 0; i < n; i++) {
		int k = rbelow(r, FZ_NSLOT);

		own[i] = slot_usable(k);
		pf[i].fd = own[i] ? fz_fd(k) : rpct(r, 50) ? -1 : 1000000;
		pf[i].events = 0;
		for (unsigned int b = 0; b < sizeof(evs) / sizeof(evs[0]); b++)
			if (rpct(r, 35))
				pf[i].events |= evs[b];
		pf[i].revents = (short)rnext(r);
	}
	if (pk == PK_RO)
		pk = PK_NONE;
	pp = pk_ptr(pk, pf, (uint8_t *)pf + sizeof(pf), n * sizeof(pf[0]), true, &bad);
	fz_desc("poll(%s [%d] fd %d ev %#x, %d, %d)", pk_name[pk], n, pf[0].fd, pf[0].events,
		n, tmo);
	if (rpct(r, 20))
		fz_arm(r);
	if (rpct(r, 50)) {
		ret = poll(pp, n, tmo);
	} else {
		struct timespec ts = { 0, tmo * 1000000L };

		ret = ppoll(pp, n, &ts, NULL);
	}
	e = errno;
	fz_disarm();
	fz_judge(OP_POLL, ret, e, bad ? FZ_BAD : 0, NULL);
	if (ret < 0 || pk != PK_GOOD)
		return;
	if (ret > n) {
		fz_fail("poll() returned %d for %d fds", ret, n);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (!own[i])
			continue;
		if (pf[i].revents & POLLNVAL)
			fz_fail("poll() says POLLNVAL for our socket %d", pf[i].fd);
		else if (pf[i].revents & ~(pf[i].events | POLLERR | POLLHUP))
			fz_fail("poll() gave revents %#x for events %#x", pf[i].revents,
				pf[i].events);
	}
}

/*
 * Owners for SIGIO: ourselves, nobody, or values refused; never another
 * process (it would die of the signal).
 */
static int fz_owner(struct rng *r)
{
	static const int v[] = { 0, 999999, INT32_MIN };

	return rpct(r, 60) ? getpid() : v[rbelow(r, 3)];
}

/* Signals for F_SETSIG: ones we catch, or invalid numbers. */
static int fz_sig(struct rng *r)
{
	static const int v[] = { 0, SIGIO, SIGURG, 65, -1, 1000 };

	return v[rbelow(r, 6)];
}

static void op_ioctl(struct rng *r, int si)
{
	static const unsigned long cmds[] = {
		FZ_SIOCINQ, FZ_SIOCOUTQ, SIOCOUTQNSD, FZ_SIOCATMARK, FIONBIO, FIOASYNC,
		FIOCLEX, FIONCLEX, FZ_SIOCGSTAMP, FZ_SIOCGSTAMPNS, FZ_SIOCGIFNAME,
		FZ_SIOCGIFINDEX, FZ_SIOCGIFFLAGS, FZ_SIOCGIFADDR, FZ_SIOCGIFMTU,
		FZ_SIOCGIFCONF, FZ_SIOCGPGRP, FZ_FIOGETOWN, FZ_SIOCSPGRP, FZ_FIOSETOWN,
		TIOCGWINSZ, 0x8947 /* SIOCGMIIPHY */,
	};
	int fd = fz_fd(si), pk = pick_pk(r, 8), rc, e;
	unsigned long cmd;
	struct ifreq *ifr = (struct ifreq *)C.opt;
	bool bad = false;
	void *p;

	if (rpct(r, 90)) {
		cmd = cmds[rbelow(r, sizeof(cmds) / sizeof(cmds[0]))];
	} else {
		/* anything but socket, filesystem and tty commands */
		cmd = (uint32_t)rnext(r);
		while (((cmd >> 8) & 0xff) == 0x89 || ((cmd >> 8) & 0xff) == 'X' ||
		       ((cmd >> 8) & 0xff) == 0x8b ||
		       ((cmd >> 8) & 0xff) == 0x94 || ((cmd >> 8) & 0xff) == 'T' ||
		       ((cmd >> 8) & 0xff) == 'f' || ((cmd >> 8) & 0xff) == 0)
			cmd ^= 0x4200;
	}
	memset(C.opt, 0, 256);
	if (cmd == FZ_SIOCGIFCONF) {
		struct ifconf *ic = (struct ifconf *)C.opt;

		ic->ifc_len = rpct(r, 50) ? 0 : 128;
		ic->ifc_buf = ic->ifc_len ? (char *)C.opt + 128 : NULL;
	} else if (cmd == FZ_SIOCSPGRP || cmd == FZ_FIOSETOWN) {
		int v = fz_owner(r);

		memcpy(C.opt, &v, sizeof(v));
	} else if (cmd == FIONBIO || cmd == FIOASYNC) {
		int v = rbelow(r, 2);

		memcpy(C.opt, &v, sizeof(v));
	} else {
		/* an unknown name makes Linux ask modprobe for it: rarely */
		static const char *const dev[] = { "lo", TT_IF_A, "nosuchdev0", "" };

		strcpy(ifr->ifr_name, dev[rpct(r, 95) ? rbelow(r, 2) : 2 + rbelow(r, 2)]);
		ifr->ifr_ifindex = rbelow(r, 4);
	}
	if (pk == PK_RO)
		pk = PK_NONE;	/* an empty name there: modprobe "netdev-", slowly */
	p = pk_ptr(pk, C.opt, C.opt + FZ_OPTBUF, 64, true, &bad);
	fz_desc("ioctl(%d %s, %#lx, %s)", fd, fam_name(fz_fam(si)), cmd, pk_name[pk]);
	rc = ioctl(fd, cmd, p);
	e = errno;
	fz_judge(OP_IOCTL, rc, e, bad ? FZ_BAD : 0, NULL);
}

static void op_fcntl(struct rng *r, int si)
{
	int fd = fz_fd(si), rc, e, x = rbelow(r, 8);
	long arg = 0;
	int cmd;

	switch (x) {
	case 0:
		cmd = F_GETFL;
		break;
	case 1:
	case 2:
		cmd = F_SETFL;
		arg = (rpct(r, 50) ? O_NONBLOCK : 0) | (rpct(r, 10) ? O_ASYNC : 0);
		break;
	case 3:
		cmd = F_SETOWN;
		arg = fz_owner(r);
		break;
	case 4:
		cmd = F_GETOWN;
		break;
	case 5:
		cmd = F_SETSIG;
		arg = fz_sig(r);
		break;
	case 6:
		cmd = F_SETFD;
		arg = rbelow(r, 2) ? FD_CLOEXEC : 0;
		break;
	default:
		cmd = F_GETSIG;
		break;
	}
	fz_desc("fcntl(%d %s, %d, %ld)", fd, fam_name(fz_fam(si)), cmd, arg);
	rc = fcntl(fd, cmd, arg);
	e = errno;
	fz_judge(OP_FCNTL, rc, e, 0, NULL);
}

static void op_getname(struct rng *r, int si)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	int fd = fz_fd(si), fam = fz_fam(si), peer = rbelow(r, 2), pk = pick_pk(r, 6),
	    lpk = pick_pk(r, 4), rc, e;
	socklen_t lin = small_lens[rbelow(r, sizeof(small_lens) / sizeof(small_lens[0]))];
	socklen_t lout = lin;
	bool bad = false;
	void *p = pk_ptr(pk, &ss, (uint8_t *)&ss + sizeof(ss), lin, true, &bad);
	socklen_t *lp = pk_ptr(lpk, &lout, (uint8_t *)&lout + sizeof(lout), sizeof(lout), true,
			       &bad);

	fz_desc("%s(%d %s, %s, %s:%d)", peer ? "getpeername" : "getsockname", fd, fam_name(fam),
		pk_name[pk], pk_name[lpk], (int)lin);
	rc = peer ? getpeername(fd, p, lp) : getsockname(fd, p, lp);
	e = errno;
	fz_judge(OP_GETNAME, rc, e, bad ? FZ_BAD : 0, NULL);
	if (rc || pk != PK_GOOD || lpk != PK_GOOD || (int)lin < 0)
		return;
	if (lout != sizeof(*a))
		fz_fail("address length %u", lout);
	else if (lin >= 2 && a->sin_family != AF_INET)
		fz_fail("family %d", a->sin_family);
	else if (lin >= 8 && !addr_known(a->sin_addr.s_addr, !peer) &&
		 !(fam == AF_INET && !peer &&
		   (a->sin_addr.s_addr == inet_addr("198.18.0.255") ||
		    a->sin_addr.s_addr == inet_addr("224.0.0.1"))))
		fz_fail("address %s", inet_ntoa(a->sin_addr));
	else if (peer && lin >= 4 && !a->sin_port)
		fz_fail("peer port 0");
}

/* Socket calls on what is no socket of ours: the kernel's answer is fixed. */
static void op_badfd(struct rng *r, int si)
{
	int x = rbelow(r, 4), fd, want, rc, e, c = rbelow(r, 9), one = 1;
	struct sockaddr_in a = tt_sin(TT_ADDR_B, FZ_PORT_LIN);
	socklen_t l = sizeof(a);
	char b[16];

	(void)si;
	if (x == 0) {
		fd = -1;
		want = EBADF;
	} else if (x == 1) {
		fd = 1000000;
		want = EBADF;
	} else if (x == 2) {
		fd = C.pipefd[0];
		want = ENOTSOCK;
	} else {
		fd = dup(C.pipefd[0]);
		close(fd);
		want = EBADF;
	}
	fz_desc("call %d on fd %d (%s)", c, fd, ename(want));
	errno = 0;
	switch (c) {
	case 0:
		rc = bind(fd, TT_SA(&a), sizeof(a));
		break;
	case 1:
		rc = connect(fd, TT_SA(&a), sizeof(a));
		break;
	case 2:
		rc = listen(fd, 1);
		break;
	case 3:
		rc = accept(fd, NULL, NULL);
		break;
	case 4:
		rc = send(fd, b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case 5:
		rc = recv(fd, b, 1, MSG_DONTWAIT);
		break;
	case 6:
		rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		break;
	case 7:
		rc = getsockname(fd, TT_SA(&a), &l);
		break;
	default:
		rc = shutdown(fd, SHUT_RDWR);
		break;
	}
	e = errno;
	fz_done(rc, e);
	__atomic_fetch_add(&S->calls[OP_BADFD], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&S->errs[OP_BADFD][rc < 0 && e < FZ_MAXERR ? e : FZ_MAXERR], 1,
			   __ATOMIC_RELAXED);
	if (rc != -1 || e != want)
		fz_fail("call %d on fd %d gave %d %s, not %s", c, fd, rc, ename(e), ename(want));
}

static void fz_iteration(void);

/* Reap the twin; kill it when it has lived too long. */
static void twin_reap(bool wait)
{
	int st;

	if (!C.twin_pid)
		return;
	if (!wait && tt_now() - C.twin_t0 > 15)
		kill(C.twin_pid, SIGKILL);
	if (waitpid(C.twin_pid, &st, wait ? 0 : WNOHANG) != C.twin_pid)
		return;
	if (WIFSIGNALED(st) ? WTERMSIG(st) != SIGKILL : WEXITSTATUS(st) != 0)
		fz_fail("twin %d died: %s %d", C.twin_pid, WIFSIGNALED(st) ? "signal" : "status",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	C.twin_pid = 0;
}

/* A twin: a second process making calls on the same sockets for a while. */
static void op_twin(struct rng *r)
{
	uint64_t tseed = rnext(r);
	int n = 10 + rbelow(r, 150);
	pid_t pid, parent = getpid();

	if (C.twin || C.twin_pid)
		return;
	for (int i = 0; i < FZ_NSLOT; i++) {
		C.twin_serial[i] = C.slots[i].serial;
		C.twin_open[i] = C.slots[i].used;
		C.twin_fd[i] = C.slots[i].fd;
		C.twin_fam[i] = C.slots[i].fam;
	}
	fz_desc("fork a twin (%d calls)", n);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		C.twin = true;
		C.twin_pid = 0;
		C.rng.s = tseed;
		/* its own pipe for splice: the worker's bytes stay the worker's */
		close(C.spl[0]);
		close(C.spl[1]);
		if (pipe2(C.spl, O_CLOEXEC | O_NONBLOCK))
			_exit(92);
		C.iter = 0;
		C.nhist = 0;
		for (int i = 0; i < n; i++) {
			C.iter++;
			fz_iteration();
		}
		_exit(0);
	}
	C.twin_pid = pid;
	C.twin_t0 = tt_now();
	__atomic_fetch_add(&S->twins, 1, __ATOMIC_RELAXED);
	fz_done(pid, 0);
}

/* A listener on one of the workers' ports: socket if need be, SO_REUSEADDR, bind, listen. */
static void op_serve(struct rng *r, int si)
{
	int one = 1, rc, e;

	if (C.twin)
		return;
	if (!C.slots[si].used || rpct(r, 30))
		op_socket(r, si);
	if (!C.slots[si].used)
		return;
	if (rpct(r, 70)) {
		fz_desc("setsockopt(%d, SO_REUSEADDR, 1)", fz_fd(si));
		rc = setsockopt(fz_fd(si), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		e = errno;
		fz_judge(OP_SETSOCKOPT, rc, e, 0, NULL);
	}
	fz_force_good = true;
	op_bind(r, si);
	op_listen(r, si);
}

/* A connect() that can succeed: to a toytcp port in A or to Linux in B. */
static void op_dial(struct rng *r, int si)
{
	if (!C.twin && (!C.slots[si].used || C.slots[si].role != ROLE_NONE || rpct(r, 20)))
		op_socket(r, si);
	if (!slot_usable(si))
		return;
	fz_force_good = true;
	op_connect(r, si);
}

/* Which slot: for some calls, one whose role fits, if there is one. */
static int pick_slot(struct rng *r, int op)
{
	int want = op == OP_ACCEPT ? ROLE_LISTEN :
		   op == OP_SEND || op == OP_RECV || op == OP_SPLICE || op == OP_SHUTDOWN ?
		   ROLE_CONN : -1;
	int si = rbelow(r, FZ_NSLOT), start = rbelow(r, FZ_NSLOT);

	if (want < 0 || !rpct(r, 75))
		return si;
	for (int i = 0; i < FZ_NSLOT; i++) {
		int k = (start + i) % FZ_NSLOT;

		if (slot_usable(k) && C.slots[k].role == want && slot_mine(k))
			return k;
	}
	return si;
}

static void fz_iteration_op(struct rng *r, int op, int si);

static void fz_iteration(void)
{
	struct rng r = { rnext(&C.rng) };
	int op = pick_w(&r, op_weight, OP_N), si = pick_slot(&r, op);
	double t = tt_now();

	fz_iteration_op(&r, op, si);
	__atomic_fetch_add(&S->usecs[op], (uint64_t)((tt_now() - t) * 1e6), __ATOMIC_RELAXED);
}

static void fz_iteration_op(struct rng *rr, int op, int si)
{
	struct rng r = *rr;

	switch (op) {
	case OP_BADFD:
		op_badfd(&r, si);
		return;
	case OP_POLL:
		op_poll(&r, si);
		return;
	case OP_TWIN:
		if (!C.twin)
			op_twin(&r);
		return;
	case OP_KILLTWIN:
		if (C.twin_pid) {
			fz_desc("kill the twin %d", C.twin_pid);
			kill(C.twin_pid, SIGKILL);
			__atomic_fetch_add(&S->twin_kills, 1, __ATOMIC_RELAXED);
			fz_done(0, 0);
		}
		return;
	case OP_PAUSE:
		fz_desc("pause");
		tt_msleep(rbelow(&r, 15));
		fz_done(0, 0);
		return;
	case OP_CLOSEALL:
		for (int i = 0; i < FZ_NSLOT; i++)
			if (slot_usable(i))
				op_close(&r, i);
		return;
	case OP_SERVE:
		op_serve(&r, si);
		return;
	case OP_DIAL:
		op_dial(&r, si);
		return;
	}
	if (!slot_usable(si))
		op = OP_SOCKET;
	switch (op) {
	case OP_SOCKET:
		op_socket(&r, si);
		break;
	case OP_CLOSE:
		op_close(&r, si);
		break;
	case OP_BIND:
		op_bind(&r, si);
		break;
	case OP_LISTEN:
		op_listen(&r, si);
		break;
	case OP_ACCEPT:
		op_accept(&r, si);
		break;
	case OP_CONNECT:
		op_connect(&r, si);
		break;
	case OP_SEND:
		op_send(&r, si);
		break;
	case OP_RECV:
		op_recv(&r, si);
		break;
	case OP_SPLICE:
		op_splice(&r, si);
		break;
	case OP_SHUTDOWN:
		op_shutdown(&r, si);
		break;
	case OP_SETSOCKOPT:
		op_setsockopt(&r, si);
		break;
	case OP_GETSOCKOPT:
		op_getsockopt(&r, si);
		break;
	case OP_IOCTL:
		op_ioctl(&r, si);
		break;
	case OP_FCNTL:
		op_fcntl(&r, si);
		break;
	default:
		op_getname(&r, si);
		break;
	}
}

/* A buffer of @len bytes that ends at a PROT_NONE page. */
static uint8_t *guarded(size_t len)
{
	uint8_t *m = mmap(NULL, len + FZ_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		_exit(90);
	mprotect(m + len, FZ_PAGE, PROT_NONE);
	return m;
}

static void worker_main(int w, uint32_t gen, uint64_t seed, uint64_t per, int fam,
			bool verbose)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&C, 0, sizeof(C));
	C.widx = w;
	C.gen = gen;
	C.seed = seed;
	C.fam = fam;
	C.verbose = verbose;
	C.rng.s = fz_derive(seed, w + 1, gen, 1);
	fz_signals();
	C.tx = guarded(FZ_BUF);
	C.rx = guarded(FZ_BUF);
	C.opt = guarded(FZ_OPTBUF);
	C.tmp = malloc(FZ_BUF + 64);
	fz_gather = malloc(FZ_BUF + 64);
	C.ro = mmap(NULL, FZ_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	C.none = mmap(NULL, FZ_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	C.slots = mmap(NULL, sizeof(struct fz_slot) * FZ_NSLOT, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!C.tmp || !fz_gather || C.ro == MAP_FAILED || C.none == MAP_FAILED ||
	    C.slots == MAP_FAILED || pipe2(C.pipefd, O_CLOEXEC) ||
	    pipe2(C.spl, O_CLOEXEC | O_NONBLOCK))
		_exit(91);
	for (int i = 0; i < FZ_NSLOT; i++) {
		fz_lock_init(&C.slots[i].txmu);
		fz_lock_init(&C.slots[i].rxmu);
		C.slots[i].fd = -1;
	}
	while (S->w[w].done < per) {
		sig_atomic_t a = fz_nalrm, p = fz_npipe, io = fz_nio;

		C.iter++;
		fz_iteration();
		twin_reap(false);
		S->w[w].done++;
		S->w[w].last = tt_now();
		__atomic_fetch_add(&S->sigalrm, fz_nalrm - a, __ATOMIC_RELAXED);
		__atomic_fetch_add(&S->sigpipe, fz_npipe - p, __ATOMIC_RELAXED);
		__atomic_fetch_add(&S->sigio, fz_nio - io, __ATOMIC_RELAXED);
	}
	if (C.twin_pid)
		kill(C.twin_pid, SIGKILL);
	twin_reap(true);
	for (int i = 0; i < FZ_NSLOT; i++) {
		struct rng r = { i };

		if (C.slots[i].used)
			op_close(&r, i);
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The Linux peer in B: five ports, five ways to treat a connection */

#define SRV_MAX		256
#define SRV_SEND_MAX	(1 << 20)

struct sconn {
	int fd, kind;
	struct fz_rx rx;
	uint64_t txoff, in;
	double t0, close_at;
	bool shut;
	char peer[32];
};

static volatile sig_atomic_t srv_stop;

static void srv_on_term(int sig)
{
	(void)sig;
	srv_stop = 1;
}

static void srv_main(void *arg, int ready, int res)
{
	static struct sconn cs[SRV_MAX];
	static uint8_t buf[65536], tmp[65536 + 64];
	static struct pollfd pf[1 + LIN_N + SRV_MAX];
	static int map[1 + LIN_N + SRV_MAX];
	struct rng r = { fz_derive(*(uint64_t *)arg, 99, 0, 0) };
	struct sigaction sa = { .sa_handler = srv_on_term };
	int lfd[LIN_N], one = 1;
	char why[200];

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int k = 0; k < LIN_N; k++) {
		struct sockaddr_in a = tt_sin(TT_ADDR_B, FZ_PORT_LIN + k);

		lfd[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (lfd[k] < 0 ||
		    setsockopt(lfd[k], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    setsockopt(lfd[k], SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)) ||
		    bind(lfd[k], TT_SA(&a), sizeof(a)) || listen(lfd[k], 128))
			_exit(80);
	}
	for (int i = 0; i < SRV_MAX; i++)
		cs[i].fd = -1;
	tt_signal_ready(ready);
	while (!srv_stop) {
		double now = tt_now();
		int n = 0;

		for (int k = 0; k < LIN_N; k++) {
			pf[n] = (struct pollfd){ .fd = lfd[k], .events = POLLIN };
			map[n++] = -1 - k;
		}
		for (int i = 0; i < SRV_MAX; i++) {
			struct sconn *c = &cs[i];
			short ev = 0;

			if (c->fd < 0)
				continue;
			if (c->kind == LIN_SOURCE || c->kind == LIN_SINK || c->kind == LIN_FIN)
				ev |= POLLIN;
			if (c->kind == LIN_SOURCE && c->txoff < SRV_SEND_MAX)
				ev |= POLLOUT;
			pf[n] = (struct pollfd){ .fd = c->fd, .events = ev };
			map[n++] = i;
		}
		if (poll(pf, n, 20) < 0 && errno != EINTR)
			break;
		for (int j = 0; j < n; j++) {
			struct sconn *c;

			if (!pf[j].revents)
				continue;
			if (map[j] < 0) {
				int kind = -1 - map[j];

				for (int m = 0; m < 16; m++) {
					struct sockaddr_in pa;
					socklen_t pl = sizeof(pa);
					int fd = accept4(pf[j].fd, TT_SA(&pa), &pl, SOCK_NONBLOCK);
					int slot = -1;
					double oldest = 1e300;

					if (fd < 0)
						break;
					for (int i = 0; i < SRV_MAX; i++) {
						if (cs[i].fd < 0) {
							slot = i;
							break;
						}
						if (cs[i].t0 < oldest) {
							oldest = cs[i].t0;
							slot = i;
						}
					}
					c = &cs[slot];
					if (c->fd >= 0)
						close(c->fd);
					memset(c, 0, sizeof(*c));
					c->fd = fd;
					c->kind = kind;
					c->t0 = now;
					snprintf(c->peer, sizeof(c->peer), "%s:%u",
						 inet_ntoa(pa.sin_addr), ntohs(pa.sin_port));
					if (kind == LIN_RESET) {
						struct linger l = { 1, 0 };

						setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
						c->close_at = now + rbelow(&r, 50) / 1000.0;
					} else if (kind == LIN_MUTE || kind == LIN_FIN) {
						c->close_at = now + 3;
					}
					__atomic_fetch_add(&S->srv_acc[kind], 1, __ATOMIC_RELAXED);
				}
				continue;
			}
			c = &cs[map[j]];
			if (c->fd < 0)
				continue;
			if (pf[j].revents & (POLLIN | POLLERR | POLLHUP) &&
			    (c->kind == LIN_SOURCE || c->kind == LIN_SINK || c->kind == LIN_FIN)) {
				ssize_t got = recv(c->fd, buf, sizeof(buf), 0);

				if (got > 0) {
					__atomic_fetch_add(&S->srv_in, got, __ATOMIC_RELAXED);
					c->in += got;
					if (fz_rx_check(&c->rx, buf, got, false, tmp, why,
							sizeof(why))) {
						__atomic_fetch_add(&S->srv_bad, 1, __ATOMIC_RELAXED);
						if (fz_msg_ok())
							fz_log("FAIL Linux in B, port %d (%s), from %s: %s",
							       FZ_PORT_LIN + c->kind,
							       lin_name[c->kind], c->peer, why);
					} else {
						__atomic_fetch_add(&S->srv_checked, got,
								   __ATOMIC_RELAXED);
					}
					if (c->kind == LIN_FIN && c->in >= 4096 && !c->shut) {
						shutdown(c->fd, SHUT_WR);
						c->shut = true;
					}
				} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
					close(c->fd);
					c->fd = -1;
					continue;
				}
			}
			if (pf[j].revents & POLLOUT && c->kind == LIN_SOURCE) {
				size_t want = 1 + rbelow(&r, 16384);
				ssize_t sent;

				fz_fill(buf, want, c->txoff);
				sent = send(c->fd, buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);
				if (sent > 0) {
					c->txoff += sent;
					__atomic_fetch_add(&S->srv_out, sent, __ATOMIC_RELAXED);
				} else if (sent < 0 && errno != EAGAIN && errno != EINTR) {
					close(c->fd);
					c->fd = -1;
				}
			}
		}
		now = tt_now();
		for (int i = 0; i < SRV_MAX; i++) {
			struct sconn *c = &cs[i];

			if (c->fd < 0)
				continue;
			if (c->kind == LIN_FIN && !c->shut && now - c->t0 > 0.3) {
				shutdown(c->fd, SHUT_WR);
				c->shut = true;
			}
			if (c->close_at && now >= c->close_at) {
				close(c->fd);
				c->fd = -1;
			}
		}
	}
	for (int i = 0; i < SRV_MAX; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	for (int k = 0; k < LIN_N; k++)
		close(lfd[k]);
	if (write(res, "d", 1) != 1)
		_exit(81);
}

/* ------------------------------------------------------------------ */
/* The test's own helpers */

static pid_t fz_pids[FZ_MAXW];

static void fz_kill_workers(void)
{
	for (int w = 0; w < FZ_MAXW; w++)
		if (fz_pids[w] > 0) {
			kill(fz_pids[w], SIGKILL);
			waitpid(fz_pids[w], NULL, 0);
			fz_pids[w] = 0;
		}
}

static uint64_t fz_seed(void)
{
	const char *e = getenv("TOYTCP_FUZZ_SEED");

	return e && *e ? strtoull(e, NULL, 0) : 20261202;
}

/* The "sockets" and "memory" columns of @name in /proc/net/protocols. */
static int proto_counts(const char *name, long *sockets, long *mem)
{
	FILE *f = fopen("/proc/net/protocols", "r");
	char line[512], n[64];
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		long size;

		if (sscanf(line, "%63s %ld %ld %ld", n, &size, sockets, mem) == 4 &&
		    !strcmp(n, name)) {
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Entries of a /proc/net/tcp-format table; *late: those in TIME_WAIT or FIN_WAIT2. */
static int proc_entries(const char *path, int *late, bool print)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	*late = 0;
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int st = 0;

		if (sscanf(line, "%*d: %*x:%*x %*x:%*x %x", &st) == 1 &&
		    (st == TCP_TIME_WAIT || st == TCP_FIN_WAIT2))
			(*late)++;
		if (print && n < 40)
			fz_log("  left: %.*s", (int)strcspn(line, "\n"), line);
		n++;
	}
	fclose(f);
	return n;
}

/* Open fds of this process (the directory's own not counted). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static void fz_dump_stuck(pid_t pid)
{
	char p[64], line[256];
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/wchan", pid);
	f = fopen(p, "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			fz_log("  wchan: %s", line);
		fclose(f);
	}
	snprintf(p, sizeof(p), "/proc/%d/stack", pid);
	f = fopen(p, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			fz_log("  %.*s", (int)strcspn(line, "\n"), line);
		fclose(f);
	}
}

static pid_t fz_spawn_worker(int w, uint32_t gen, uint64_t seed, uint64_t per, int fam,
			     bool verbose)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	S->w[w].gen = gen;
	S->w[w].last = tt_now();
	pid = fork();
	if (pid == 0)
		worker_main(w, gen, seed, per, fam, verbose);
	S->w[w].pid = pid;
	return pid;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Per call: how often, and its most frequent results. */
static void fz_summary(void)
{
	for (int op = 0; op < OP_N; op++) {
		char line[600];
		int l = 0;
		bool used[FZ_MAXERR + 1] = { 0 };

		if (!S->calls[op] && !S->usecs[op])
			continue;
		l += snprintf(line + l, sizeof(line) - l, "%-10s %6llu %6.1f s:", op_name[op],
			      (unsigned long long)S->calls[op], S->usecs[op] / 1e6);
		for (int k = 0; k < 7; k++) {
			int best = -1;

			for (int e = 0; e <= FZ_MAXERR; e++)
				if (!used[e] && S->errs[op][e] &&
				    (best < 0 || S->errs[op][e] > S->errs[op][best]))
					best = e;
			if (best < 0)
				break;
			used[best] = true;
			l += snprintf(line + l, sizeof(line) - l, " %s %llu",
				      best == FZ_MAXERR ? "ok" : ename(best),
				      (unsigned long long)S->errs[op][best]);
		}
		fz_log("  %s", line);
	}
}

/* TOYTCP_FUZZ_ONLY=calls or =segments runs only that one. */
static bool fz_skip(const char *name)
{
	const char *e = getenv("TOYTCP_FUZZ_ONLY");

	return e && *e && strcmp(e, name);
}

FIXTURE(fz) {
	int old_msl;
};

FIXTURE_SETUP(fz)
{
	self->old_msl = -1;
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
}

FIXTURE_TEARDOWN(fz)
{
	fz_kill_workers();
	tt_kill_children();
	if (self->old_msl > 0)
		tt_set_msl(self->old_msl);
	tt_net_down();
}

/*
 * Wait (bounded) until the table of the family under test in A is empty
 * (in inet mode: but for TIME_WAIT and FIN_WAIT2, which Linux keeps 60 s)
 * and /proc/net/protocols counts sock0 sockets again. 0, or -1 (printed).
 */
static int fz_drained(bool inet, long sock0, long mem0, int secs)
{
	const char *pname = inet ? "TCP" : "TOYTCP";
	double t0 = tt_now(), end = t0 + secs;
	long sock = -1, mem = -1;
	bool shown = false;
	int n, late;

	for (;;) {
		n = proc_entries(tt_proc_path(), &late, false);
		if (n == 0 || (inet && n == late))
			break;
		if (tt_now() > end) {
			fz_log("%d sockets still in %s after %d s:", n, tt_proc_path(), secs);
			proc_entries(tt_proc_path(), &late, true);
			return -1;
		}
		if (!shown && tt_now() > t0 + 20) {
			/* what takes long: shown once, for the log */
			fz_log("%d sockets still in %s after 20 s:", n, tt_proc_path());
			proc_entries(tt_proc_path(), &late, true);
			shown = true;
		}
		tt_msleep(100);
	}
	fz_log("%s empty%s %.1f s after the last close", tt_proc_path(),
	       inet && n ? " (but for TIME_WAIT/FIN_WAIT2)" : "", tt_now() - t0);
	for (;;) {
		if (proto_counts(pname, &sock, &mem))
			return -1;
		if (sock == sock0 || (inet && sock <= sock0 + late))
			break;
		if (tt_now() > end + 10) {
			fz_log("/proc/net/protocols: %ld %s sockets, %ld before", sock, pname, sock0);
			return -1;
		}
		tt_msleep(100);
	}
	fz_log("/proc/net/protocols: %ld %s sockets (%ld before), memory %ld pages (%ld before)",
	       sock, pname, sock0, mem, mem0);
	/*
	 * The memory column is global and lags by what each CPU keeps back
	 * (sysctl_mem_pcpu_rsv, 256 pages): a leak shows as more than that.
	 */
	if (!inet && mem > mem0 + 256 * sysconf(_SC_NPROCESSORS_ONLN) + 16) {
		fz_log("%ld pages of socket memory more than before, with no socket left",
		       mem - mem0);
		return -1;
	}
	return 0;
}

TEST_F_TIMEOUT(fz, calls, 1500)
{
	uint64_t seed = fz_seed();
	bool debian = tt_debian_kernel(), inet = tt_inet_mode();
	bool verbose = getenv("TOYTCP_FUZZ_VERBOSE") && *getenv("TOYTCP_FUZZ_VERBOSE") == '1';
	uint64_t iters = tt_env_size("TOYTCP_FUZZ_ITERS", debian ? 24000 : 16000);
	int nw = (int)tt_env_size("TOYTCP_FUZZ_WORKERS", 4), fam = tt_family(), fds0;
	const char *pname = inet ? "TCP" : "TOYTCP";
	uint32_t kill_at[FZ_MAXW][2], nkill[FZ_MAXW], nk[FZ_MAXW] = { 0 }, gen[FZ_MAXW] = { 0 };
	bool killed[FZ_MAXW] = { 0 };
	struct rng kr = { fz_derive(seed, 77, 0, 0) };
	double t0, last_print, deadline, stuck_secs = 120;
	uint64_t per, kills = 0, total;
	long sock0, mem0;
	struct tt_child srv;
	int failed_workers = 0;
	char b;

	if (fz_skip("calls"))
		SKIP(return, "TOYTCP_FUZZ_ONLY=%s", getenv("TOYTCP_FUZZ_ONLY"));
	if (nw < 1 || nw > FZ_MAXW)
		nw = 4;
	per = (iters + nw - 1) / nw;
	fz_log("seed %llu (TOYTCP_FUZZ_SEED=%llu reproduces this run)",
	       (unsigned long long)seed, (unsigned long long)seed);
	fz_log("%llu calls in %d workers on %s, family %s%s", (unsigned long long)(per * nw), nw,
	       debian ? "Debian's kernel" : "the debug kernel", inet ? "AF_INET" : "toytcp",
	       verbose ? ", every call printed" : "");
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, S);
	ASSERT_EQ(0, proto_counts(pname, &sock0, &mem0));
	fz_log("/proc/net/protocols before: %ld %s sockets, memory %ld pages", sock0, pname, mem0);
	fds0 = count_fds();
	self->old_msl = tt_set_msl(1);
	ASSERT_LE(0, self->old_msl);
	if (tt_sh("ip netns exec " TT_NS_B " iptables -w -A INPUT -p tcp --dport %d -j DROP "
		  "2>/dev/null", FZ_PORT_DROP))
		fz_log("no iptables: port %d in B answers with RST", FZ_PORT_DROP);
	ASSERT_EQ(0, tt_spawn(&srv, TT_B, 3000, srv_main, &seed));
	ASSERT_EQ(0, tt_child_ready(&srv, 20000));

	/* where the test kills each worker: fixed by the seed */
	for (int w = 0; w < nw; w++) {
		nkill[w] = rbelow(&kr, 3);
		for (uint32_t k = 0; k < nkill[w]; k++)
			kill_at[w][k] = per / 20 + rbelow(&kr, per * 9 / 10);
		qsort(kill_at[w], nkill[w], sizeof(uint32_t), cmp_u32);
	}
	t0 = last_print = tt_now();
	deadline = t0 + 1300;
	for (int w = 0; w < nw; w++)
		ASSERT_LT(0, fz_pids[w] = fz_spawn_worker(w, 0, seed, per, fam, verbose));

	for (;;) {
		bool running = false;

		for (int w = 0; w < nw; w++) {
			int st;

			if (!fz_pids[w])
				continue;
			running = true;
			if (waitpid(fz_pids[w], &st, WNOHANG) == fz_pids[w]) {
				if (killed[w] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
					killed[w] = false;
					fz_pids[w] = S->w[w].done < per ?
						fz_spawn_worker(w, ++gen[w], seed, per, fam, verbose) : 0;
				} else if (!killed[w] && WIFEXITED(st) && !WEXITSTATUS(st)) {
					fz_pids[w] = 0;
				} else {
					fz_log("FAIL worker %d gen %u died (%s %d) in: %s", w, gen[w],
					       WIFSIGNALED(st) ? "signal" : "status",
					       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
					       S->w[w].cur);
					failed_workers++;
					fz_pids[w] = 0;
				}
				continue;
			}
			if (nk[w] < nkill[w] && S->w[w].done >= kill_at[w][nk[w]]) {
				kill(fz_pids[w], SIGKILL);
				killed[w] = true;
				nk[w]++;
				kills++;
				if (verbose)
					fz_log("killed worker %d gen %u at call %llu in: %s", w, gen[w],
					       (unsigned long long)S->w[w].done, S->w[w].cur);
			}
			if (tt_now() - S->w[w].last > stuck_secs) {
				double k0 = tt_now();

				fz_log("FAIL worker %d gen %u made no call for %.0f s; in: %s", w,
				       gen[w], stuck_secs, S->w[w].cur);
				fz_dump_stuck(fz_pids[w]);
				kill(fz_pids[w], SIGKILL);
				while (waitpid(fz_pids[w], &st, WNOHANG) != fz_pids[w]) {
					if (tt_now() - k0 > 30) {
						fz_log("FAIL worker %d does not die of SIGKILL: stuck in the kernel",
						       w);
						fz_dump_stuck(fz_pids[w]);
						break;
					}
					tt_msleep(100);
				}
				failed_workers++;
				fz_pids[w] = 0;
			}
		}
		if (!running)
			break;
		if (tt_now() - last_print > 15) {
			total = 0;
			for (int w = 0; w < nw; w++)
				total += S->w[w].done;
			fz_log("%llu/%llu calls after %.0f s", (unsigned long long)total,
			       (unsigned long long)(per * nw), tt_now() - t0);
			last_print = tt_now();
		}
		if (tt_now() > deadline) {
			fz_log("FAIL the workers did not finish in %.0f s", deadline - t0);
			failed_workers++;
			fz_kill_workers();
			break;
		}
		tt_msleep(5);
	}
	total = 0;
	for (int w = 0; w < nw; w++)
		total += S->w[w].done;
	fz_log("%llu calls in %.1f s (%.0f/s); %llu workers killed mid-call, %llu twins (%llu killed)",
	       (unsigned long long)total, tt_now() - t0, total / (tt_now() - t0),
	       (unsigned long long)kills, (unsigned long long)S->twins,
	       (unsigned long long)S->twin_kills);
	fz_log("signals: %llu SIGALRM, %llu SIGPIPE, %llu SIGIO/SIGURG; %llu accepted, %llu connected",
	       (unsigned long long)S->sigalrm, (unsigned long long)S->sigpipe,
	       (unsigned long long)S->sigio, (unsigned long long)S->accepted,
	       (unsigned long long)S->connected);
	fz_log("data: %llu bytes sent, %llu received, %llu checked against the pattern",
	       (unsigned long long)S->tx_bytes, (unsigned long long)S->rx_bytes,
	       (unsigned long long)S->rx_checked);
	fz_log("Linux in B: accepted %llu/%llu/%llu/%llu/%llu (%s/%s/%s/%s/%s), %llu bytes in "
	       "(%llu checked, %llu bad), %llu out",
	       (unsigned long long)S->srv_acc[0], (unsigned long long)S->srv_acc[1],
	       (unsigned long long)S->srv_acc[2], (unsigned long long)S->srv_acc[3],
	       (unsigned long long)S->srv_acc[4], lin_name[0], lin_name[1], lin_name[2],
	       lin_name[3], lin_name[4], (unsigned long long)S->srv_in,
	       (unsigned long long)S->srv_checked, (unsigned long long)S->srv_bad,
	       (unsigned long long)S->srv_out);
	fz_summary();
	fz_log("%llu failures, %llu unexpected errnos", (unsigned long long)S->fails,
	       (unsigned long long)S->unexpected);

	kill(srv.pid, SIGTERM);
	EXPECT_EQ(0, tt_child_finish(&srv, &b, 1, 30000));
	/*
	 * An orphan retransmitting into silence, or probing a zero window,
	 * gives up after net.ipv4.tcp_orphan_retries tries at doubling
	 * intervals: by default 8 (about 100 s at the smallest RTO, as
	 * Linux; KUnit's toytcp_defence checks that count). Here 1, in A,
	 * so the drain takes seconds; a large RTO still allows about four
	 * minutes.
	 */
	EXPECT_EQ(0, tt_write_int("/proc/sys/net/ipv4/tcp_orphan_retries", 1));
	EXPECT_EQ(0, fz_drained(inet, sock0, mem0, 300));
	EXPECT_EQ(fds0, count_fds());
	if (self->old_msl > 0)
		tt_set_msl(self->old_msl);
	self->old_msl = -1;

	EXPECT_EQ(0, failed_workers);
	EXPECT_EQ(0, S->fails);
	EXPECT_EQ(0, S->unexpected);
	EXPECT_EQ(0, S->srv_bad);
	EXPECT_LT(0, S->accepted + S->connected) TH_LOG("no connection at all: the fuzzer is broken");
	EXPECT_LT(0, S->rx_checked) TH_LOG("no data checked: the fuzzer is broken");
	EXPECT_LT(0, S->srv_checked) TH_LOG("Linux got no data: the fuzzer is broken");
	fz_log("seed %llu", (unsigned long long)seed);
}

/* ------------------------------------------------------------------ */
/* segments: ttfuzz.py from B at a listener and two connections in A */

#define SG_PORT_LISTEN	7300	/* toytcp listener the fuzzer aims at */
#define SG_PORT_LOOSE	7301	/* toytcp listener for the loose connection */
#define SG_PORT_STRICT	7310	/* Linux listener in B for the strict one */
#define SG_FUZZ_PORTS	"40000:49999"

/* tt_xfer_pair() with the ends named as this test's messages say */
static int sg_xfer(int a, int b, size_t n, uint64_t seed, int stall_ms, char *why, size_t wl)
{
	return tt_xfer_pair(a, b, n, seed, stall_ms, "stack under test", "Linux end", why, wl);
}

/* The Linux end's SND.NXT (write_seq) and RCV.NXT, read in repair mode. */
static int sg_linux_seqs(int fd, uint32_t *snd, uint32_t *rcv)
{
	int on = 1, off = -1 /* TCP_REPAIR_OFF_NO_WP */, q;
	socklen_t l = sizeof(*snd);
	int rc = 0;

	if (setsockopt(fd, SOL_TCP, 19 /* TCP_REPAIR */, &on, sizeof(on)))
		return -1;
	q = 2;	/* TCP_SEND_QUEUE */
	rc |= setsockopt(fd, SOL_TCP, 20 /* TCP_REPAIR_QUEUE */, &q, sizeof(q));
	rc |= getsockopt(fd, SOL_TCP, 21 /* TCP_QUEUE_SEQ */, snd, &l);
	q = 1;	/* TCP_RECV_QUEUE */
	rc |= setsockopt(fd, SOL_TCP, 20, &q, sizeof(q));
	l = sizeof(*rcv);
	rc |= getsockopt(fd, SOL_TCP, 21, rcv, &l);
	rc |= setsockopt(fd, SOL_TCP, 19, &off, sizeof(off));
	return rc;
}

/* In A: accept what the fuzzer's handshakes bring, read a little, close. */
static void sg_acceptor(void *arg, int ready, int res)
{
	struct sigaction sa = { .sa_handler = srv_on_term };
	struct rng r = { 5 };
	int lfd = *(int *)arg, n = 0;
	char buf[4096];

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	tt_signal_ready(ready);
	while (!srv_stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		n++;
		if (tt_poll1(fd, POLLIN, 20) > 0 && recv(fd, buf, sizeof(buf), 0) < 0)
			n += 0;
		if (rpct(&r, 30)) {
			struct linger l = { 1, 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(fd);
	}
	if (write(res, &n, sizeof(n)) != sizeof(n))
		_exit(81);
}

/* Where ttfuzz.py is: $TOYTCP_FUZZ_PY, next to the tools ($TOYTCP_TOOLS), or here. */
static void sg_script(char *path, size_t len)
{
	const char *e = getenv("TOYTCP_FUZZ_PY"), *t = getenv("TOYTCP_TOOLS");

	if (e && *e)
		snprintf(path, len, "%s", e);
	else if (t && *t)
		snprintf(path, len, "%s/tests/ttfuzz.py", t);
	else
		snprintf(path, len, "tools/tests/ttfuzz.py");
}

#define SG_NSTATS 40
struct sg_stats {
	int n;
	char name[SG_NSTATS][32];
	long v[SG_NSTATS];
};

static void sg_stats_read(struct sg_stats *st)
{
	FILE *f = fopen("/proc/net/toytcp_stats", "r");

	st->n = 0;
	if (!f)
		return;
	while (st->n < SG_NSTATS && fscanf(f, "%31s %ld", st->name[st->n], &st->v[st->n]) == 2)
		st->n++;
	fclose(f);
}

static long sg_delta(const struct sg_stats *a, const struct sg_stats *b, const char *name)
{
	for (int i = 0; i < b->n; i++)
		if (!strcmp(b->name[i], name))
			return b->v[i] - (i < a->n ? a->v[i] : 0);
	return -1;
}

TEST_F_TIMEOUT(fz, segments, 1500)
{
	uint64_t seed = fz_seed();
	bool debian = tt_debian_kernel(), inet = tt_inet_mode();
	uint64_t count = tt_env_size("TOYTCP_FUZZ_SEGS", debian ? 20000 : 4000);
	int fam = tt_family(), lfz, ll, lb, la = -1, loose_a, loose_b, strict_a, strict_b;
	int out[2], st, accepted = 0, one = 1;
	long sock0, mem0, csum_counted = -1;
	uint32_t s_snd, s_rcv, l_snd, l_rcv;
	struct sg_stats before, after;
	struct tt_child acc;
	char py[512], args[4][64], why[200], line[512];
	struct tt_tcp_info ti;
	bool done = false, loose_ok;
	double t0;
	FILE *f;
	pid_t pid;

	if (fz_skip("segments"))
		SKIP(return, "TOYTCP_FUZZ_ONLY=%s", getenv("TOYTCP_FUZZ_ONLY"));
	sg_script(py, sizeof(py));
	if (access("/usr/bin/python3", X_OK) || access(py, R_OK))
		SKIP(return, "no /usr/bin/python3 or no %s", py);
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, S);
	fz_log("seed %llu (TOYTCP_FUZZ_SEED=%llu reproduces the segments)",
	       (unsigned long long)seed, (unsigned long long)seed);
	fz_log("%llu segments from B on %s, family %s", (unsigned long long)count,
	       debian ? "Debian's kernel" : "the debug kernel", inet ? "AF_INET" : "toytcp");
	ASSERT_EQ(0, proto_counts(inet ? "TCP" : "TOYTCP", &sock0, &mem0));
	self->old_msl = tt_set_msl(1);
	ASSERT_LE(0, self->old_msl);

	/* the three targets */
	lfz = tt_listen_in(TT_A, fam, "0.0.0.0", SG_PORT_LISTEN, 64);
	ll = tt_listen_in(TT_A, fam, "0.0.0.0", SG_PORT_LOOSE, 4);
	lb = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, SG_PORT_STRICT, 4);
	ASSERT_LE(0, lfz);
	ASSERT_LE(0, ll);
	ASSERT_LE(0, lb);
	ASSERT_EQ(0, tt_pair_via(ll, TT_B, AF_INET, TT_ADDR_A, SG_PORT_LOOSE, &loose_b, &loose_a));
	ASSERT_EQ(0, tt_pair_via(lb, TT_A, fam, TT_ADDR_B, SG_PORT_STRICT, &strict_a, &strict_b));
	setsockopt(strict_a, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(loose_a, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	ASSERT_EQ(0, sg_xfer(strict_a, strict_b, 8192, seed, 10000, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, sg_xfer(loose_a, loose_b, 8192, seed, 10000, why, sizeof(why))) TH_LOG("%s", why);
	/* idle: everything acknowledged both ways, then the numbers */
	ASSERT_EQ(0, tt_wait_acked(strict_a, 5000));
	ASSERT_EQ(0, tt_wait_acked(strict_b, 5000));
	ASSERT_EQ(0, tt_wait_acked(loose_a, 5000));
	ASSERT_EQ(0, tt_wait_acked(loose_b, 5000));
	tt_msleep(300);	/* delayed ACKs */
	ASSERT_EQ(0, sg_linux_seqs(strict_b, &s_snd, &s_rcv));
	ASSERT_EQ(0, sg_linux_seqs(loose_b, &l_snd, &l_rcv));
	snprintf(args[0], sizeof(args[0]), "%d:%d:%u:%u", tt_local_port(strict_a), SG_PORT_STRICT,
		 s_snd, s_rcv);
	snprintf(args[1], sizeof(args[1]), "%d:%d:%u:%u", SG_PORT_LOOSE, tt_local_port(loose_b),
		 l_snd, l_rcv);
	fz_log("strict %s, loose %s (port in A : port in B : RCV.NXT : SND.NXT of the stack)",
	       args[0], args[1]);
	/* B's kernel must not reset the fuzzer's handshakes */
	if (tt_sh("ip netns exec " TT_NS_B " iptables -w -A OUTPUT -p tcp --sport "
		  SG_FUZZ_PORTS " --tcp-flags RST RST -j DROP 2>/dev/null"))
		fz_log("no iptables: B's kernel resets the fuzzer's handshakes");
	if (!inet)
		sg_stats_read(&before);
	ASSERT_EQ(0, tt_spawn(&acc, TT_A, 3000, sg_acceptor, &lfz));
	ASSERT_EQ(0, tt_child_ready(&acc, 10000));

	/* ttfuzz.py in B */
	ASSERT_EQ(0, pipe(out));
	snprintf(args[2], sizeof(args[2]), "%llu", (unsigned long long)seed);
	snprintf(args[3], sizeof(args[3]), "%llu", (unsigned long long)count);
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char lp[16];

		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		if (tt_enter(TT_B))
			_exit(97);
		snprintf(lp, sizeof(lp), "%d", SG_PORT_LISTEN);
		signal(SIGALRM, SIG_DFL);
		alarm(1400);
		execl("/usr/bin/python3", "python3", py, "--seed", args[2], "--count", args[3],
		      "--iface", TT_IF_B, "--a", TT_ADDR_A, "--b", TT_ADDR_B, "--listen", lp,
		      "--strict", args[0], "--loose", args[1], "--ports", SG_FUZZ_PORTS,
		      (char *)NULL);
		_exit(96);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	t0 = tt_now();
	while (fgets(line, sizeof(line), f)) {
		long v;

		line[strcspn(line, "\n")] = 0;
		fz_log("ttfuzz: %s", line);
		if (sscanf(line, "csum_counted %ld", &v) == 1)
			csum_counted = v;
		if (!strcmp(line, "done"))
			done = true;
	}
	fclose(f);
	waitpid(pid, &st, 0);
	fz_log("ttfuzz.py ran %.1f s", tt_now() - t0);
	kill(acc.pid, SIGTERM);
	EXPECT_EQ(0, tt_child_finish(&acc, &accepted, sizeof(accepted), 20000));
	tt_sh("ip netns exec " TT_NS_B " iptables -w -D OUTPUT -p tcp --sport " SG_FUZZ_PORTS
	      " --tcp-flags RST RST -j DROP 2>/dev/null");
	EXPECT_TRUE(done && WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("ttfuzz.py failed");
	fz_log("the listener's children accepted meanwhile: %d", accepted);

	/* the strict connection: through, byte-exact, both ways */
	EXPECT_EQ(0, tt_tcp_info(strict_a, &ti));
	EXPECT_EQ(TCP_ESTABLISHED, ti.b.tcpi_state) TH_LOG("strict connection in state %u",
							    ti.b.tcpi_state);
	EXPECT_EQ(0, sg_xfer(strict_a, strict_b, 32768, seed + 10, 20000, why, sizeof(why)))
		TH_LOG("strict connection after the segments: %s", why);

	/*
	 * The loose one: whatever happened to it, said. In-window data with
	 * an acceptable ACK is taken by any TCP, and an RST at RCV.NXT resets
	 * it: neither is a fault.
	 */
	EXPECT_EQ(0, tt_tcp_info(loose_a, &ti));
	fz_log("loose connection after the segments: state %u (%s)", ti.b.tcpi_state,
	       ti.b.tcpi_state == TCP_ESTABLISHED ? "established" :
	       ti.b.tcpi_state == TCP_CLOSE ? "reset" : "closing");
	loose_ok = !sg_xfer(loose_a, loose_b, 4096, seed + 20, 5000, why, sizeof(why));
	if (loose_ok)
		fz_log("  and intact: 4 KB each way byte-exact");
	else if (strstr(why, "wrong bytes"))
		fz_log("  desynchronized: it took in-window data from the fuzzer (%s)", why);
	else
		fz_log("  no longer carries data: %s", why);

	/* the listener: a new connection from Linux in B, byte-exact */
	{
		int c, s, fd;

		tt_set_nonblock(lfz, true);
		while ((fd = accept(lfz, NULL, NULL)) >= 0)
			close(fd);
		tt_set_nonblock(lfz, false);
		EXPECT_EQ(0, tt_pair_via(lfz, TT_B, AF_INET, TT_ADDR_A, SG_PORT_LISTEN, &c, &s))
			TH_LOG("the fuzzed listener takes no new connection");
		if (c >= 0 && s >= 0) {
			la = s;
			EXPECT_EQ(0, sg_xfer(s, c, 16384, seed + 30, 20000, why, sizeof(why)))
				TH_LOG("new connection to the fuzzed listener: %s", why);
			close(c);
		}
	}

	if (!inet) {
		static const char *const names[] = {
			"InCsumErrors", "InBadHeader", "InUnacceptable", "OldACKDrops",
			"ChallengeACK", "ChallengeACKLimited", "ListenDrops", "SyncookiesSent",
			"SyncookiesRecv", "SyncookiesFailed", "PassiveOpens", "EstabResets",
			"OutRsts", "InSegs", "OutOfOrderQueued", "PAWSEstabRejected",
		};
		long d;

		sg_stats_read(&after);
		for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			fz_log("  /proc/net/toytcp_stats %-20s +%ld", names[i],
			       sg_delta(&before, &after, names[i]));
		d = sg_delta(&before, &after, "InCsumErrors");
		/* a few may be lost on the way (the veth's backlog); most must be counted */
		EXPECT_LE(csum_counted * 9 / 10, d)
			TH_LOG("%ld segments with only a bad checksum sent, InCsumErrors +%ld",
			       csum_counted, d);
	}

	/* clean up: the loose end abortively (it may be out of step) */
	{
		struct linger l = { 1, 0 };

		setsockopt(loose_a, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(loose_a);
	close(loose_b);
	close(strict_a);
	close(strict_b);
	if (la >= 0)
		close(la);
	close(lfz);
	close(ll);
	close(lb);
	/* orphans: one try in A, as in fz.calls */
	EXPECT_EQ(0, tt_write_int("/proc/sys/net/ipv4/tcp_orphan_retries", 1));
	EXPECT_EQ(0, fz_drained(inet, sock0, mem0, 300));
	if (self->old_msl > 0)
		tt_set_msl(self->old_msl);
	self->old_msl = -1;
	fz_log("seed %llu", (unsigned long long)seed);
}

TEST_HARNESS_MAIN
