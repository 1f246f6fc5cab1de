// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: every socket call in every state gives what Linux TCP gives.
 *
 * A table of operations (bind, listen, accept, connect, send, recv,
 * getsockname, getpeername, shutdown, options, bad address lengths and
 * families ...) runs against sockets brought into each state (fresh,
 * bound, listening, connecting, connected, accepted, peer closed, shut
 * down, reset, refused, finished). For every row the same state is built
 * twice, once with a real AF_INET TCP socket and once with the family under
 * test, the operation runs on both, and the outcomes must be equal: return
 * value, errno, and what the call reported (address, option value, bytes,
 * SIGPIPE). So the expected errno always comes from Linux, not from us.
 *
 * A few rows also carry the errno the issue names (bind twice -> EINVAL,
 * ...): if Linux itself disagrees, the state was built wrong and the row
 * fails, which keeps the table honest.
 *
 * The peer is always Linux TCP in namespace B: a listener on 5000, port
 * 5009 silently dropped (SYN_SENT forever), nothing on 5008 (RST).
 */
#include <sys/ioctl.h>

#include "toytcp_test.h"

#include "kselftest_harness.h"

#define PORT_LB		5000	/* Linux listener in B */
#define PORT_CLOSED	5008	/* nothing listens: RST */
#define PORT_DROP	5009	/* dropped by iptables in B */
#define PORT_LA_TOY	6000	/* listener under test in A */
#define PORT_LA_REF	6001	/* AF_INET reference listener in A */

enum state {
	ST_FRESH, ST_BOUND, ST_LISTENING, ST_CONNECTING, ST_CONNECTED,
	ST_CONNECTED_NB, ST_ACCEPTED, ST_PEER_CLOSED, ST_SHUT_WR, ST_SHUT_RD, ST_RESET,
	ST_REFUSED, ST_FINISHED,
};

/* What one call did, comparable between the two families. */
struct outcome {
	long ret;
	int err;
	char aux[96];
};

struct ctx {
	int lb;			/* Linux listener in B */
	int la[2];		/* listeners in A: [0] reference, [1] under test */
	int fd;			/* the socket in the state */
	int peer;		/* its Linux peer, if any */
	int fam;		/* family of fd */
	bool ref;		/* the AF_INET reference run */
	char why[160];		/* why the state could not be built */
};

/* Describe a sockaddr the same way for both families. */
static void describe_addr(char *buf, size_t len, const struct sockaddr_in *a,
			  socklen_t alen)
{
	char ip[32];
	int port = ntohs(a->sin_port);
	const char *p;

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	if (!port)
		p = "0";
	else if (port == PORT_LB)
		p = "LB";
	else if (port == PORT_LA_TOY || port == PORT_LA_REF)
		p = "LA";
	else
		p = "other";
	snprintf(buf, len, "family %d len %u %s port %s", a->sin_family, alen, ip, p);
}

/* Drain Linux's listener so the backlog never fills. */
static void drain(int lfd)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
		close(fd);
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

/* Wait until TCP_INFO says st (bounded). */
static void wait_tcp_state(int fd, int st, int ms)
{
	double end = tt_now() + ms / 1000.0;

	while (tcp_state(fd) != st && tt_now() < end)
		tt_msleep(10);
}

#define FAIL_STATE(...) do { snprintf(c->why, sizeof(c->why), __VA_ARGS__); return -1; } while (0)

/*
 * A connected client of family fam to the Linux listener; peer accepted.
 * A blocking connect() unless nb: after a nonblocking one completes, Linux
 * still counts the socket as connecting until connect() is called again
 * (which then returns 0), so the two differ.
 */
static int connect_client(struct ctx *c, bool nb)
{
	struct sockaddr_in a = tt_sin(TT_ADDR_B, PORT_LB);
	int lport, r;

	c->fd = tt_socket_in(TT_A, c->fam);
	if (c->fd < 0)
		FAIL_STATE("socket: %s", strerror(errno));
	if (nb) {
		r = tt_connect(c->fd, TT_ADDR_B, PORT_LB, 5000);
	} else {
		tt_guard(5);
		r = connect(c->fd, TT_SA(&a), sizeof(a));
		tt_unguard();
	}
	if (r)
		FAIL_STATE("connect to Linux listener: %s", strerror(errno));
	lport = tt_local_port(c->fd);
	for (int i = 0; i < 4; i++) {
		c->peer = tt_accept(c->lb, 5000);
		if (c->peer < 0)
			FAIL_STATE("Linux listener accepted nothing: %s", strerror(errno));
		if (tt_peer_port(c->peer) == lport)
			return 0;
		close(c->peer);
		c->peer = -1;
	}
	FAIL_STATE("the Linux peer of local port %d did not show up", lport);
}

static int build(struct ctx *c, enum state st)
{
	struct sockaddr_in a;
	struct linger lg = { 1, 0 };
	char buf[8];

	c->fd = c->peer = -1;
	c->why[0] = 0;
	switch (st) {
	case ST_FRESH:
		c->fd = tt_socket_in(TT_A, c->fam);
		break;
	case ST_BOUND:
	case ST_LISTENING:
		c->fd = tt_socket_in(TT_A, c->fam);
		a = tt_sin(TT_ADDR_A, 0);
		if (c->fd < 0 || bind(c->fd, TT_SA(&a), sizeof(a)))
			FAIL_STATE("bind: %s", strerror(errno));
		if (st == ST_LISTENING && listen(c->fd, 4))
			FAIL_STATE("listen: %s", strerror(errno));
		break;
	case ST_CONNECTING:
	case ST_REFUSED:
		c->fd = tt_socket_in(TT_A, c->fam);
		a = tt_sin(TT_ADDR_B, st == ST_CONNECTING ? PORT_DROP : PORT_CLOSED);
		if (c->fd < 0 || tt_set_nonblock(c->fd, true))
			FAIL_STATE("socket: %s", strerror(errno));
		if (connect(c->fd, TT_SA(&a), sizeof(a)) != -1 || errno != EINPROGRESS)
			FAIL_STATE("nonblocking connect: not EINPROGRESS but %s",
				   strerror(errno));
		if (st == ST_REFUSED &&
		    !tt_wait_events(c->fd, POLLOUT, POLLERR | POLLHUP, 5000))
			FAIL_STATE("no error within 5 s after connecting to a closed port");
		if (st == ST_CONNECTING)
			tt_msleep(2);
		break;
	case ST_ACCEPTED: {
		int cl = tt_socket_in(TT_B, AF_INET);
		int port = c->ref ? PORT_LA_REF : PORT_LA_TOY;

		if (cl < 0 || tt_connect(cl, TT_ADDR_A, port, 5000))
			FAIL_STATE("Linux client to port %d: %s", port, strerror(errno));
		c->peer = cl;
		c->fd = tt_accept(c->la[!c->ref], 5000);
		if (c->fd < 0)
			FAIL_STATE("accept: %s", strerror(errno));
		break;
	}
	case ST_CONNECTED:
	case ST_CONNECTED_NB:
	case ST_PEER_CLOSED:
	case ST_SHUT_WR:
	case ST_SHUT_RD:
	case ST_RESET:
	case ST_FINISHED:
		if (connect_client(c, st == ST_CONNECTED_NB))
			return -1;
		if (st == ST_PEER_CLOSED) {
			shutdown(c->peer, SHUT_WR);
			if (!tt_wait_events(c->fd, POLLIN | POLLRDHUP, POLLRDHUP, 5000))
				FAIL_STATE("no POLLRDHUP within 5 s after the peer's FIN");
		} else if (st == ST_SHUT_WR) {
			if (shutdown(c->fd, SHUT_WR))
				FAIL_STATE("shutdown(SHUT_WR): %s", strerror(errno));
			if (tt_poll1(c->peer, POLLIN, 5000) <= 0)
				FAIL_STATE("the peer saw no FIN within 5 s");
			wait_tcp_state(c->fd, TCP_FIN_WAIT2, 2000);
		} else if (st == ST_SHUT_RD) {
			if (shutdown(c->fd, SHUT_RD))
				FAIL_STATE("shutdown(SHUT_RD): %s", strerror(errno));
		} else if (st == ST_RESET) {
			setsockopt(c->peer, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(c->peer);
			c->peer = -1;
			if (!tt_wait_events(c->fd, POLLIN, POLLERR | POLLHUP, 5000))
				FAIL_STATE("no POLLERR/POLLHUP within 5 s after the peer's RST");
		} else if (st == ST_FINISHED) {
			if (shutdown(c->fd, SHUT_WR))
				FAIL_STATE("shutdown(SHUT_WR): %s", strerror(errno));
			if (tt_poll1(c->peer, POLLIN, 5000) <= 0 ||
			    recv(c->peer, buf, sizeof(buf), 0) != 0)
				FAIL_STATE("the peer saw no FIN within 5 s");
			close(c->peer);
			c->peer = -1;
			if (!tt_wait_events(c->fd, POLLIN | POLLRDHUP, POLLRDHUP, 5000))
				FAIL_STATE("no POLLRDHUP within 5 s after the peer's FIN");
		}
		break;
	}
	if (c->fd < 0)
		FAIL_STATE("socket: %s", strerror(errno));
	/* let the last ACKs land, the same for both families */
	tt_msleep(2);
	return 0;
}

static void unbuild(struct ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->peer >= 0)
		close(c->peer);
	c->fd = c->peer = -1;
	drain(c->lb);
	drain(c->la[0]);
	drain(c->la[1]);
}

/* ------------------------------------------------------------------ */
/* The operations */

enum afam { A_INET, A_SELF, A_UNSPEC, A_INET6, A_BOGUS };

static int addr_family(struct ctx *c, enum afam f)
{
	switch (f) {
	case A_INET: return AF_INET;
	case A_SELF: return c->ref ? AF_INET : c->fam;
	case A_UNSPEC: return AF_UNSPEC;
	case A_INET6: return AF_INET6;
	default: return 200;
	}
}

struct row;
typedef void (*op_fn)(struct ctx *c, const struct row *r, struct outcome *o);

struct row {
	const char *name;
	op_fn fn;
	/* parameters, as the op wants them */
	const char *ip;
	int port;
	enum afam afam;
	int len;	/* address length; 0 means sizeof(struct sockaddr_in) */
	int arg;
	/* the errno the issue expects, checked against Linux; 0: none given */
	enum state spec_state;
	int spec_err;
};

static socklen_t row_len(const struct row *r)
{
	return r->len ? (r->len < 0 ? 0 : r->len) : sizeof(struct sockaddr_in);
}

/* Build the row's address in a big buffer (lengths up to 200 are tried). */
static void row_addr(struct ctx *c, const struct row *r, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	*a = tt_sin(r->ip ? r->ip : "0.0.0.0", r->port);
	a->sin_family = addr_family(c, r->afam);
}

#define RESULT(call) do { errno = 0; o->ret = (call); o->err = o->ret < 0 ? errno : 0; } while (0)

static void op_bind(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct sockaddr_storage ss;

	row_addr(c, r, &ss);
	RESULT(bind(c->fd, TT_SA(&ss), row_len(r)));
}

static void op_connect(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct sockaddr_storage ss;

	row_addr(c, r, &ss);
	if (r->arg)	/* nonblocking */
		tt_set_nonblock(c->fd, true);
	tt_guard(10);
	RESULT(connect(c->fd, TT_SA(&ss), row_len(r)));
	tt_unguard();
	if (o->err == EINTR)
		snprintf(o->aux, sizeof(o->aux), "blocked for 10 s");
}

static void op_listen(struct ctx *c, const struct row *r, struct outcome *o)
{
	RESULT(listen(c->fd, r->arg));
}

static void op_accept(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	tt_set_nonblock(c->fd, true);
	RESULT(accept4(c->fd, TT_SA(&a), &len, r->arg));
	if (o->ret >= 0) {
		close(o->ret);
		o->ret = 0;
	}
}

static void op_send(struct ctx *c, const struct row *r, struct outcome *o)
{
	char b[4] = "abc";

	tt_catch_sigpipe();
	RESULT(send(c->fd, b, 3, MSG_DONTWAIT | r->arg));
	snprintf(o->aux, sizeof(o->aux), "SIGPIPE %d", (int)tt_sigpipes);
}

static void op_write(struct ctx *c, const struct row *r, struct outcome *o)
{
	char b[4] = "abc";

	tt_catch_sigpipe();
	tt_set_nonblock(c->fd, true);
	RESULT(write(c->fd, b, 3));
	snprintf(o->aux, sizeof(o->aux), "SIGPIPE %d", (int)tt_sigpipes);
}

static void op_sendto(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct sockaddr_storage ss;
	char b[4] = "abc";

	row_addr(c, r, &ss);
	RESULT(sendto(c->fd, b, 3, MSG_DONTWAIT | MSG_NOSIGNAL, TT_SA(&ss), row_len(r)));
}

static void op_recv(struct ctx *c, const struct row *r, struct outcome *o)
{
	char b[16];

	RESULT(recv(c->fd, b, sizeof(b), MSG_DONTWAIT | r->arg));
}

static void op_read(struct ctx *c, const struct row *r, struct outcome *o)
{
	char b[16];

	tt_set_nonblock(c->fd, true);
	RESULT(read(c->fd, b, sizeof(b)));
}

static void op_recvfrom(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char b[16];

	memset(&a, 0xa5, sizeof(a));
	RESULT(recvfrom(c->fd, b, sizeof(b), MSG_DONTWAIT, TT_SA(&a), &len));
	snprintf(o->aux, sizeof(o->aux), "addrlen %u", len);
}

static void op_getname(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct sockaddr_storage ss;
	socklen_t len = r->len ? r->len : sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (r->arg)
		RESULT(getpeername(c->fd, TT_SA(&ss), &len));
	else
		RESULT(getsockname(c->fd, TT_SA(&ss), &len));
	if (!o->ret)
		describe_addr(o->aux, sizeof(o->aux), (struct sockaddr_in *)&ss, len);
}

static void op_shutdown(struct ctx *c, const struct row *r, struct outcome *o)
{
	RESULT(shutdown(c->fd, r->arg));
}

/* getsockopt of an int-sized option at level r->port, name r->arg */
static void op_getint(struct ctx *c, const struct row *r, struct outcome *o)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	RESULT(getsockopt(c->fd, r->port, r->arg, &v, &len));
	if (!o->ret)
		snprintf(o->aux, sizeof(o->aux), "value %d len %u", v, len);
}

/* like op_getint, but only whether it works, not the value */
static void op_getint_novalue(struct ctx *c, const struct row *r, struct outcome *o)
{
	int v;
	socklen_t len = sizeof(v);

	RESULT(getsockopt(c->fd, r->port, r->arg, &v, &len));
}

/* setsockopt(level r->port, name r->arg, value 1, optlen r->len or 4) */
static void op_setint(struct ctx *c, const struct row *r, struct outcome *o)
{
	int v = 1;

	RESULT(setsockopt(c->fd, r->port, r->arg, &v, r->len ? (r->len < 0 ? 0 : r->len) : 4));
}

/* set to 1, read back */
static void op_setget(struct ctx *c, const struct row *r, struct outcome *o)
{
	int v = 1;
	socklen_t len = sizeof(v);

	RESULT(setsockopt(c->fd, r->port, r->arg, &v, sizeof(v)));
	if (o->ret)
		return;
	v = -1;
	RESULT(getsockopt(c->fd, r->port, r->arg, &v, &len));
	snprintf(o->aux, sizeof(o->aux), "read back %d", v);
}

static void op_bufsize(struct ctx *c, const struct row *r, struct outcome *o)
{
	int v = 65536;
	socklen_t len = sizeof(v);

	RESULT(setsockopt(c->fd, SOL_SOCKET, r->arg, &v, sizeof(v)));
	if (o->ret)
		return;
	RESULT(getsockopt(c->fd, SOL_SOCKET, r->arg, &v, &len));
	snprintf(o->aux, sizeof(o->aux), "set 65536, read back %d", v);
}

static void op_linger(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct linger lg = { 1, 7 };
	socklen_t len = sizeof(lg);

	RESULT(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	if (o->ret)
		return;
	memset(&lg, 0, sizeof(lg));
	RESULT(getsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	snprintf(o->aux, sizeof(o->aux), "{%d, %d} len %u", lg.l_onoff, lg.l_linger, len);
}

static void op_timeo(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct timeval tv = { 1, 500000 };
	socklen_t len = sizeof(tv);

	RESULT(setsockopt(c->fd, SOL_SOCKET, r->arg, &tv, sizeof(tv)));
	if (o->ret)
		return;
	memset(&tv, 0, sizeof(tv));
	RESULT(getsockopt(c->fd, SOL_SOCKET, r->arg, &tv, &len));
	snprintf(o->aux, sizeof(o->aux), "%ld.%06ld len %u", (long)tv.tv_sec,
		 (long)tv.tv_usec, len);
}

static void op_tcp_info(struct ctx *c, const struct row *r, struct outcome *o)
{
	struct tcp_info ti;
	socklen_t len = r->len ? r->len : sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	RESULT(getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	if (!o->ret)
		snprintf(o->aux, sizeof(o->aux), "tcpi_state %d len %s", ti.tcpi_state,
			 len == sizeof(ti) ? "full" : len == (socklen_t)r->len ? "asked" : "other");
}

static void op_getopt_badlen(struct ctx *c, const struct row *r, struct outcome *o)
{
	int v;
	socklen_t len = -1;

	if (r->len)	/* NULL optlen */
		RESULT(getsockopt(c->fd, r->port, r->arg, &v, NULL));
	else
		RESULT(getsockopt(c->fd, r->port, r->arg, &v, &len));
}

static void op_maxseg_set(struct ctx *c, const struct row *r, struct outcome *o)
{
	int v = r->arg;

	RESULT(setsockopt(c->fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)));
}

static const struct row rows[] = {
	/* bind */
	{ "bind INADDR_ANY:0", op_bind, NULL, 0, A_INET, .spec_state = ST_BOUND, .spec_err = EINVAL },
	{ "bind A:0", op_bind, TT_ADDR_A, 0, A_INET },
	{ "bind A:0, sin_family = the socket's family", op_bind, TT_ADDR_A, 0, A_SELF },
	{ "bind 127.0.0.1:0", op_bind, TT_LOOP, 0, A_INET },
	{ "bind a foreign address", op_bind, TT_ADDR_NONE, 0, A_INET },
	{ "bind addrlen 0", op_bind, TT_ADDR_A, 0, A_INET, -1 },
	{ "bind addrlen 2", op_bind, TT_ADDR_A, 0, A_INET, 2 },
	{ "bind addrlen 8", op_bind, TT_ADDR_A, 0, A_INET, 8, .spec_state = ST_FRESH, .spec_err = EINVAL },
	{ "bind addrlen 15", op_bind, TT_ADDR_A, 0, A_INET, 15 },
	{ "bind addrlen 17", op_bind, TT_ADDR_A, 0, A_INET, 17 },
	{ "bind addrlen 128", op_bind, TT_ADDR_A, 0, A_INET, 128 },
	{ "bind addrlen 129", op_bind, TT_ADDR_A, 0, A_INET, 129 },
	{ "bind AF_INET6", op_bind, TT_ADDR_A, 0, A_INET6, .spec_state = ST_FRESH, .spec_err = EAFNOSUPPORT },
	{ "bind family 200", op_bind, TT_ADDR_A, 0, A_BOGUS },
	{ "bind AF_UNSPEC INADDR_ANY", op_bind, NULL, 0, A_UNSPEC },
	{ "bind AF_UNSPEC A", op_bind, TT_ADDR_A, 0, A_UNSPEC },
	/* listen */
	{ "listen(1)", op_listen, .arg = 1, .spec_state = ST_CONNECTED, .spec_err = EINVAL },
	{ "listen(0)", op_listen, .arg = 0 },
	{ "listen(-1)", op_listen, .arg = -1 },
	/* accept */
	{ "accept", op_accept, .spec_state = ST_FRESH, .spec_err = EINVAL },
	{ "accept4 SOCK_CLOEXEC", op_accept, .arg = SOCK_CLOEXEC },
	{ "accept4 bad flags", op_accept, .arg = 0x1 },
	/* connect */
	{ "connect to Linux listener", op_connect, TT_ADDR_B, PORT_LB, A_INET, .spec_state = ST_CONNECTED, .spec_err = EISCONN },
	{ "connect nonblocking", op_connect, TT_ADDR_B, PORT_LB, A_INET, .arg = 1 },
	{ "connect nonblocking to a dropped port", op_connect, TT_ADDR_B, PORT_DROP, A_INET, .arg = 1, .spec_state = ST_CONNECTING, .spec_err = EALREADY },
	{ "connect, sin_family = the socket's family", op_connect, TT_ADDR_B, PORT_LB, A_SELF },
	{ "connect to a closed port", op_connect, TT_ADDR_B, PORT_CLOSED, A_INET },
	{ "connect addrlen 0", op_connect, TT_ADDR_B, PORT_LB, A_INET, -1 },
	{ "connect addrlen 1", op_connect, TT_ADDR_B, PORT_LB, A_INET, 1 },
	{ "connect addrlen 8", op_connect, TT_ADDR_B, PORT_LB, A_INET, 8, .spec_state = ST_FRESH, .spec_err = EINVAL },
	{ "connect addrlen 15", op_connect, TT_ADDR_B, PORT_LB, A_INET, 15 },
	{ "connect addrlen 129", op_connect, TT_ADDR_B, PORT_LB, A_INET, 129 },
	{ "connect AF_INET6", op_connect, TT_ADDR_B, PORT_LB, A_INET6, .spec_state = ST_FRESH, .spec_err = EAFNOSUPPORT },
	{ "connect family 200", op_connect, TT_ADDR_B, PORT_LB, A_BOGUS },
	{ "connect to port 0", op_connect, TT_ADDR_B, 0, A_INET },
	/* data */
	{ "send MSG_NOSIGNAL", op_send, .arg = MSG_NOSIGNAL },
	{ "send", op_send },
	{ "write", op_write },
	{ "sendto with an address", op_sendto, TT_ADDR_B, PORT_LB, A_INET },
	{ "recv", op_recv },
	{ "recv MSG_PEEK", op_recv, .arg = MSG_PEEK },
	{ "read", op_read },
	{ "recvfrom with an address", op_recvfrom },
	/* names */
	{ "getsockname", op_getname },
	{ "getsockname addrlen 4", op_getname, .len = 4 },
	{ "getpeername", op_getname, .arg = 1, .spec_state = ST_FRESH, .spec_err = ENOTCONN },
	{ "getpeername addrlen 4", op_getname, .len = 4, .arg = 1 },
	/* shutdown */
	{ "shutdown SHUT_RD", op_shutdown, .arg = SHUT_RD },
	{ "shutdown SHUT_WR", op_shutdown, .arg = SHUT_WR, .spec_state = ST_FRESH, .spec_err = ENOTCONN },
	{ "shutdown SHUT_RDWR", op_shutdown, .arg = SHUT_RDWR },
	{ "shutdown how 3", op_shutdown, .arg = 3 },
	{ "shutdown how -1", op_shutdown, .arg = -1 },
	/* options */
	{ "SO_ERROR", op_getint, .port = SOL_SOCKET, .arg = SO_ERROR },
	{ "SO_TYPE", op_getint, .port = SOL_SOCKET, .arg = SO_TYPE },
	{ "SO_PROTOCOL", op_getint, .port = SOL_SOCKET, .arg = SO_PROTOCOL },
	{ "SO_ACCEPTCONN", op_getint, .port = SOL_SOCKET, .arg = SO_ACCEPTCONN },
	{ "SO_REUSEADDR set, get", op_setget, .port = SOL_SOCKET, .arg = SO_REUSEADDR },
	{ "SO_KEEPALIVE set, get", op_setget, .port = SOL_SOCKET, .arg = SO_KEEPALIVE },
	{ "SO_SNDBUF set, get", op_bufsize, .arg = SO_SNDBUF },
	{ "SO_RCVBUF set, get", op_bufsize, .arg = SO_RCVBUF },
	{ "SO_LINGER set, get", op_linger },
	{ "SO_RCVTIMEO set, get", op_timeo, .arg = SO_RCVTIMEO },
	{ "SO_SNDTIMEO set, get", op_timeo, .arg = SO_SNDTIMEO },
	{ "SO_REUSEADDR optlen 0", op_setint, .port = SOL_SOCKET, .arg = SO_REUSEADDR, .len = -1 },
	{ "SOL_SOCKET unknown option", op_setint, .port = SOL_SOCKET, .arg = 9999 },
	{ "TCP_NODELAY set, get", op_setget, .port = IPPROTO_TCP, .arg = TCP_NODELAY },
	{ "TCP_NODELAY optlen 2", op_setint, .port = IPPROTO_TCP, .arg = TCP_NODELAY, .len = 2 },
	{ "TCP_NODELAY get, NULL optlen", op_getopt_badlen, .port = IPPROTO_TCP, .arg = TCP_NODELAY, .len = 1 },
	{ "TCP_NODELAY get, optlen -1", op_getopt_badlen, .port = IPPROTO_TCP, .arg = TCP_NODELAY },
	{ "TCP_MAXSEG get", op_getint_novalue, .port = IPPROTO_TCP, .arg = TCP_MAXSEG },
	{ "TCP_MAXSEG set 1000", op_maxseg_set, .arg = 1000 },
	{ "TCP_MAXSEG set 10", op_maxseg_set, .arg = 10 },
	{ "TCP_INFO", op_tcp_info },
	{ "TCP_INFO optlen 8", op_tcp_info, .len = 8 },
	{ "IPPROTO_TCP unknown option set", op_setint, .port = IPPROTO_TCP, .arg = 9999 },
	{ "IPPROTO_TCP unknown option get", op_getint, .port = IPPROTO_TCP, .arg = 9999 },
	{ "unknown level", op_setint, .port = 12345, .arg = 1 },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const char * const state_names[] = {
	"fresh", "bound", "listening", "connecting", "connected", "connected_nb", "accepted",
	"peer_closed", "shut_wr", "shut_rd", "reset", "refused", "finished",
};

FIXTURE(calls) {
	struct ctx c;
};

FIXTURE_VARIANT(calls) {
	enum state st;
};

#define STATE(s, e) FIXTURE_VARIANT_ADD(calls, s) { .st = e }
STATE(fresh, ST_FRESH);
STATE(bound, ST_BOUND);
STATE(listening, ST_LISTENING);
STATE(connecting, ST_CONNECTING);
STATE(connected, ST_CONNECTED);
STATE(connected_nb, ST_CONNECTED_NB);
STATE(accepted, ST_ACCEPTED);
STATE(peer_closed, ST_PEER_CLOSED);
STATE(shut_wr, ST_SHUT_WR);
STATE(shut_rd, ST_SHUT_RD);
STATE(reset, ST_RESET);
STATE(refused, ST_REFUSED);
STATE(finished, ST_FINISHED);

FIXTURE_SETUP(calls)
{
	ASSERT_LT(0, tt_family()) TH_LOG("toytcp not loaded");
	ASSERT_EQ(0, tt_net_up());
	ASSERT_EQ(0, tt_sh("ip netns exec " TT_NS_B " iptables -A INPUT -p tcp --dport %d -j DROP",
			   PORT_DROP));
	self->c.lb = tt_listen_in(TT_B, AF_INET, TT_ADDR_B, PORT_LB, 64);
	ASSERT_LE(0, self->c.lb);
	self->c.la[0] = tt_listen_in(TT_A, AF_INET, TT_ADDR_A, PORT_LA_REF, 16);
	ASSERT_LE(0, self->c.la[0]);
	self->c.la[1] = tt_listen_in(TT_A, tt_family(), TT_ADDR_A, PORT_LA_TOY, 16);
	ASSERT_LE(0, self->c.la[1]) TH_LOG("listener under test: %s", strerror(errno));
	tt_set_nonblock(self->c.lb, true);
	tt_set_nonblock(self->c.la[0], true);
	tt_set_nonblock(self->c.la[1], true);
}

FIXTURE_TEARDOWN(calls)
{
	tt_net_down();
}

static void run_row(struct ctx *c, bool ref, enum state st, const struct row *r,
		    struct outcome *o, char *why, size_t whylen)
{
	memset(o, 0, sizeof(*o));
	c->ref = ref;
	c->fam = ref ? AF_INET : tt_family();
	if (build(c, st)) {
		snprintf(why, whylen, "%s", c->why);
		o->ret = -999;
	} else {
		r->fn(c, r, o);
		why[0] = 0;
	}
	unbuild(c);
}

TEST_F_TIMEOUT(calls, table, 300)
{
	enum state st = variant->st;
	int mismatches = 0, built = 0;
	double t0 = tt_now();

	for (unsigned int i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		struct outcome ref, got;
		char why_ref[160], why_got[160];

		run_row(&self->c, true, st, r, &ref, why_ref, sizeof(why_ref));
		ASSERT_EQ(0, why_ref[0]) TH_LOG("AF_INET state %s: %s", state_names[st], why_ref);
		if (r->spec_err && r->spec_state == st)
			EXPECT_EQ(r->spec_err, ref.err)
				TH_LOG("the reference disagrees with the issue: %s in state %s gave %s",
				       r->name, state_names[st], strerror(ref.err));
		run_row(&self->c, false, st, r, &got, why_got, sizeof(why_got));
		if (why_got[0]) {
			TH_LOG("%s: cannot reach state %s: %s", tt_fam_name(self->c.fam),
			       state_names[st], why_got);
			mismatches++;
			/* the rest would fail the same way */
			break;
		}
		built++;
		if (getenv("TOYTCP_TEST_VERBOSE"))
			printf("# %-10s %-44s %ld %s %s\n", state_names[st], r->name, got.ret,
			       got.err ? strerrorname_np(got.err) : "", got.aux);
		if (ref.ret != got.ret || ref.err != got.err || strcmp(ref.aux, got.aux)) {
			mismatches++;
			TH_LOG("%-10s %-44s Linux: %ld %s %s | %s: %ld %s %s",
			       state_names[st], r->name,
			       ref.ret, ref.err ? strerrorname_np(ref.err) : "", ref.aux,
			       tt_fam_name(self->c.fam),
			       got.ret, got.err ? strerrorname_np(got.err) : "", got.aux);
		}
	}
	printf("# state %s: %d rows, %d differ from Linux (%.1f s)\n", state_names[st], built,
	       mismatches, tt_now() - t0);
	EXPECT_EQ(0, mismatches);
}

TEST_HARNESS_MAIN
