// SPDX-License-Identifier: GPL-2.0
/*
 * libtoytcp.so: run an unmodified program over toytcp (issue 11).
 *
 * Loaded with LD_PRELOAD (tools/preload/toytcp-run does it), it takes the
 * program's socket(AF_INET, SOCK_STREAM, 0 or IPPROTO_TCP) calls, with
 * SOCK_NONBLOCK and SOCK_CLOEXEC too, and makes them AF_TOYTCP sockets;
 * the family number is read from /sys/module/toytcp/parameters/family.
 * Every other call goes to the C library untouched: AF_INET6, UDP and
 * Unix sockets stay Linux's, and so does a program that makes its system
 * calls without the C library.
 *
 * toytcp's sockets already speak AF_INET addresses (bind, connect,
 * accept, getsockname, getpeername take and give struct sockaddr_in), so
 * little is translated: getsockopt(SOL_SOCKET, SO_DOMAIN) gives AF_INET,
 * as it would on the Linux TCP socket the program asked for, and
 * setsockopt(SOL_SOCKET, SO_REUSEPORT) on a toytcp socket becomes
 * TOYTCP_REUSEPORT (the socket core takes it from AF_INET sockets only).
 *
 * The environment (toytcp-run's options set it):
 *   TOYTCP_PRELOAD_PORTS=P[,P...]  only sockets that bind() to one of
 *       these local ports, or connect() to one of these remote ports,
 *       become toytcp's; the others stay Linux TCP. Such a socket starts
 *       as Linux's and is replaced (dup3 onto the same descriptor) at
 *       that bind() or connect(), with its O_NONBLOCK flag, close-on-exec
 *       flag, the socket options set so far and an earlier bind() to port
 *       0 carried over. Descriptors above 2^20 are never replaced; an
 *       epoll registration, F_SETOWN or a dup() made before the swap stays
 *       with the old socket, and options longer than 64 bytes are not
 *       carried over (a line on stderr says so).
 *   TOYTCP_PRELOAD_STRICT=1  when toytcp's socket cannot be made (the
 *       module is not loaded, or socket() fails), the call fails with
 *       that errno and a line on stderr, instead of a Linux TCP socket.
 *   TOYTCP_PRELOAD_VERBOSE=1  a line on stderr for each socket made
 *       toytcp's.
 * Without STRICT, a missing module gives Linux TCP sockets and one
 * warning on stderr.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/toytcp.h>

#define FAMILY_FILE	"/sys/module/toytcp/parameters/family"
#define MAX_PORTS	64
#define MAX_SAVED_OPTS	16
#define MAX_OPT_LEN	64
#define MAX_TRACKED_FD	(1 << 20)

/* The C library's own functions, found once. */
static int (*libc_socket)(int, int, int);
static int (*libc_bind)(int, const struct sockaddr *, socklen_t);
static int (*libc_connect)(int, const struct sockaddr *, socklen_t);
static int (*libc_setsockopt)(int, int, int, const void *, socklen_t);
static int (*libc_getsockopt)(int, int, int, void *, socklen_t *);

static int toy_family = -1;	/* -1: the module is not loaded */
static int strict, verbose, warned;
static unsigned short ports[MAX_PORTS];
static int nports;		/* 0: every TCP socket is toytcp's */

/*
 * With TOYTCP_PRELOAD_PORTS, a Linux TCP socket that may still become
 * toytcp's ("undecided") is remembered by its descriptor, with what has
 * to be carried over to its replacement. Guarded by fd_lock.
 */
struct saved_opt {
	int level, name;
	socklen_t len;
	unsigned char val[MAX_OPT_LEN];
};

struct undecided {
	int nopts;
	int bound;			/* bind() to port 0 done */
	struct sockaddr_in bind_addr;
	struct saved_opt opts[MAX_SAVED_OPTS];
};

static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct undecided **fds;	/* indexed by descriptor */
static int nfds;

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* write(2), not stdio: the program may use stderr's buffer itself */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

static void *libc_fn(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn) {
		say("libtoytcp: %s not found in the C library", name);
		abort();
	}
	return fn;
}

static int env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

static void parse_ports(const char *list)
{
	char *end;
	long p;

	while (list && *list) {
		p = strtol(list, &end, 10);
		if (end == list || p <= 0 || p > 65535 || (*end && *end != ',')) {
			say("libtoytcp: TOYTCP_PRELOAD_PORTS: bad port list at \"%s\"", list);
			exit(2);
		}
		if (nports < MAX_PORTS)
			ports[nports++] = p;
		list = *end ? end + 1 : end;
	}
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void libtoytcp_setup(void)
{
	struct rlimit rl;
	FILE *f;

	libc_socket = libc_fn("socket");
	libc_bind = libc_fn("bind");
	libc_connect = libc_fn("connect");
	libc_setsockopt = libc_fn("setsockopt");
	libc_getsockopt = libc_fn("getsockopt");
	strict = env_flag("TOYTCP_PRELOAD_STRICT");
	verbose = env_flag("TOYTCP_PRELOAD_VERBOSE");
	parse_ports(getenv("TOYTCP_PRELOAD_PORTS"));

	f = fopen(FAMILY_FILE, "re");
	if (f) {
		if (fscanf(f, "%d", &toy_family) != 1)
			toy_family = -1;
		fclose(f);
	}
	nfds = MAX_TRACKED_FD;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_max < MAX_TRACKED_FD)
		nfds = rl.rlim_max;
}

/*
 * Set up once, from whichever comes first: this library's constructor or
 * a call to one of its functions (another library's constructor may make
 * sockets before ours runs).
 */
static void init(void)
{
	int err = errno;

	pthread_once(&init_once, libtoytcp_setup);
	errno = err;
}

__attribute__((constructor))
static void libtoytcp_init(void)
{
	init();
}

static int is_tcp_request(int domain, int type, int protocol)
{
	return domain == AF_INET &&
	       (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

static int port_listed(const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	int i;

	if (!addr || len < sizeof(*sin) || sin->sin_family != AF_INET)
		return 0;
	for (i = 0; i < nports; i++)
		if (ports[i] == ntohs(sin->sin_port))
			return 1;
	return 0;
}

/* toytcp's socket, or -1 with errno (and, with STRICT, a line saying why). */
static int toy_socket(int type)
{
	int fd, err;

	if (toy_family < 0) {
		if (strict)
			say("libtoytcp: the toytcp module is not loaded (no %s)", FAMILY_FILE);
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = libc_socket(toy_family, type, 0);
	if (fd < 0) {
		err = errno;
		if (strict)
			say("libtoytcp: socket(AF_TOYTCP=%d): %s", toy_family, strerror(err));
		errno = err;
	} else if (verbose) {
		say("libtoytcp: fd %d is toytcp's", fd);
	}
	return fd;
}

static void warn_fallback(void)
{
	if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		say("libtoytcp: toytcp unavailable (%s); using Linux TCP", strerror(errno));
}

/* Forget fd; caller holds fd_lock. */
static void forget_locked(int fd)
{
	if (fds && fd >= 0 && fd < nfds) {
		free(fds[fd]);
		fds[fd] = NULL;
	}
}

static void remember(int fd)
{
	struct undecided *u;

	if (fd < 0 || fd >= nfds)
		return;
	u = calloc(1, sizeof(*u));
	pthread_mutex_lock(&fd_lock);
	if (!fds)
		fds = calloc(nfds, sizeof(*fds));
	if (fds && u) {
		forget_locked(fd);
		fds[fd] = u;
		u = NULL;
	}
	pthread_mutex_unlock(&fd_lock);
	free(u);
}

/* Take fd's record out of the table (the caller frees it), or NULL. */
static struct undecided *take(int fd)
{
	struct undecided *u = NULL;

	pthread_mutex_lock(&fd_lock);
	if (fds && fd >= 0 && fd < nfds) {
		u = fds[fd];
		fds[fd] = NULL;
	}
	pthread_mutex_unlock(&fd_lock);
	return u;
}

static int is_undecided(int fd)
{
	int r;

	pthread_mutex_lock(&fd_lock);
	r = fds && fd >= 0 && fd < nfds && fds[fd];
	pthread_mutex_unlock(&fd_lock);
	return r;
}

static void drop_record(int fd)
{
	free(take(fd));
}

static void put_back(int fd, struct undecided *u)
{
	pthread_mutex_lock(&fd_lock);
	forget_locked(fd);
	fds[fd] = u;
	pthread_mutex_unlock(&fd_lock);
}

static int is_toytcp_fd(int fd)
{
	int d = -1;
	socklen_t l = sizeof(d);

	return toy_family >= 0 && !libc_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l) &&
	       d == toy_family;
}

/* setsockopt() as the program meant it, on a Linux or a toytcp socket */
static int any_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (level == SOL_SOCKET && name == SO_REUSEPORT && is_toytcp_fd(fd))
		return libc_setsockopt(fd, IPPROTO_TCP, TOYTCP_REUSEPORT, val, len);
	return libc_setsockopt(fd, level, name, val, len);
}

int socket(int domain, int type, int protocol)
{
	int fd;

	init();
	if (!is_tcp_request(domain, type, protocol)) {
		fd = libc_socket(domain, type, protocol);
		if (nports && fd >= 0)
			drop_record(fd);	/* the number may have been an undecided one */
		return fd;
	}
	if (nports) {
		fd = libc_socket(domain, type, protocol);
		remember(fd);
		return fd;
	}
	fd = toy_socket(type);
	if (fd >= 0 || strict)
		return fd;
	warn_fallback();
	return libc_socket(domain, type, protocol);
}

/*
 * Put a toytcp socket in place of the undecided Linux socket fd: same
 * descriptor, same flags, the options and port-0 bind carried over.
 * 0, or -1 with errno (fd is then left as it was).
 */
static int make_toytcp(int fd, struct undecided *u)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	int nfd, i, err;

	if (fl < 0 || fdfl < 0)
		return -1;
	/* close-on-exec until dup3() gives fd its own flag: no leak to a fork */
	nfd = toy_socket(SOCK_STREAM | SOCK_CLOEXEC | ((fl & O_NONBLOCK) ? SOCK_NONBLOCK : 0));
	if (nfd < 0)
		return -1;
	for (i = 0; i < u->nopts; i++) {
		struct saved_opt *o = &u->opts[i];

		if (any_setsockopt(nfd, o->level, o->name, o->val, o->len) < 0) {
			err = errno;
			say("libtoytcp: fd %d: option %d/%d not taken by toytcp: %s",
			    fd, o->level, o->name, strerror(err));
			goto fail;
		}
	}
	if (u->bound && libc_bind(nfd, (struct sockaddr *)&u->bind_addr,
				  sizeof(u->bind_addr)) < 0) {
		err = errno;
		goto fail;
	}
	if (dup3(nfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		err = errno;
		goto fail;
	}
	close(nfd);
	return 0;
fail:
	close(nfd);
	errno = err;
	return -1;
}

/* Is fd (still) a Linux TCP socket over IPv4? */
static int is_linux_tcp_fd(int fd)
{
	int d = -1, t = -1, p = -1;
	socklen_t l = sizeof(int);

	if (libc_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l))
		return 0;
	l = sizeof(int);
	if (libc_getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l))
		return 0;
	l = sizeof(int);
	if (libc_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &l))
		return 0;
	return d == AF_INET && t == SOCK_STREAM && p == IPPROTO_TCP;
}

/*
 * With a port list: at the bind() or connect() that names the port, the
 * undecided socket becomes toytcp's; a bind() to another port, or a
 * connect() to one, leaves it Linux's for good. 0 when the call may go
 * on, -1 with errno when it must fail.
 */
static int decide(int fd, const struct sockaddr *addr, socklen_t len, int binding)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	struct undecided *u;
	int ret = 0;

	if (!nports)
		return 0;
	u = take(fd);
	if (!u)
		return 0;
	if (!is_linux_tcp_fd(fd)) {
		/* closed and its number reused by something else: not ours */
		free(u);
		return 0;
	}
	if (port_listed(addr, len)) {
		ret = make_toytcp(fd, u);
		if (ret < 0 && !strict) {
			warn_fallback();
			ret = 0;
		}
	} else if (binding && addr && len >= sizeof(*sin) &&
		   sin->sin_family == AF_INET && !sin->sin_port) {
		/* port 0: the connect() to come decides; keep the address */
		u->bound = 1;
		memcpy(&u->bind_addr, sin, sizeof(*sin));
		put_back(fd, u);
		return 0;
	}
	free(u);
	return ret;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	init();
	if (decide(fd, addr, len, 1) < 0)
		return -1;
	return libc_bind(fd, addr, len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	init();
	if (decide(fd, addr, len, 0) < 0)
		return -1;
	return libc_connect(fd, addr, len);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct undecided *u;
	struct saved_opt *o;
	int ret, i;

	init();
	ret = any_setsockopt(fd, level, name, val, len);
	if (ret < 0 || !nports || !val)
		return ret;
	if (len > MAX_OPT_LEN) {
		if (is_undecided(fd))
			say("libtoytcp: fd %d: option %d/%d (%u bytes) not carried over",
			    fd, level, name, (unsigned int)len);
		return ret;
	}
	pthread_mutex_lock(&fd_lock);
	u = fds && fd >= 0 && fd < nfds ? fds[fd] : NULL;
	if (u) {
		for (i = 0; i < u->nopts; i++)
			if (u->opts[i].level == level && u->opts[i].name == name)
				break;
		if (i < MAX_SAVED_OPTS) {
			o = &u->opts[i];
			o->level = level;
			o->name = name;
			o->len = len;
			memcpy(o->val, val, len);
			if (i == u->nopts)
				u->nopts++;
		} else {
			say("libtoytcp: fd %d: more than %d options, %d/%d not carried over",
			    fd, MAX_SAVED_OPTS, level, name);
		}
	}
	pthread_mutex_unlock(&fd_lock);
	return ret;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int ret;

	init();
	ret = libc_getsockopt(fd, level, name, val, len);

	if (!ret && level == SOL_SOCKET && name == SO_DOMAIN && toy_family >= 0 &&
	    val && len && *len >= sizeof(int) && *(int *)val == toy_family)
		*(int *)val = AF_INET;
	return ret;
}
