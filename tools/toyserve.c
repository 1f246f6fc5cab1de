// SPDX-License-Identifier: GPL-2.0
/*
 * toyserve: a tiny HTTP/1.0 server on a toytcp socket.
 *
 *	toyserve [-a ADDRESS] [-p PORT] [-n COUNT] [-f FILE] [-q]
 *
 * The server's half of the seed: socket, bind, listen, then for each
 * client accept, read the request (up to the empty line), write the
 * answer, close - the server closes first, as HTTP/1.0 servers do (the
 * answer has no Content-Length: it ends where the connection does), so
 * TIME_WAIT is on toytcp's side. Serves FILE, or a page of its own, to
 * every path. Stops after COUNT connections (default: never). Each stage
 * is announced on stderr unless -q; "listening" tells a script it is ready.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "toytcp_tool.h"

static int quiet;

static void stage(const char *fmt, const char *arg)
{
	if (quiet)
		return;
	fprintf(stderr, "toyserve: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
}

static char *load(const char *path, size_t *len)
{
	static const char page[] =
		"<html><body><h1>Hello from toytcp</h1>\n"
		"<p>This page was sent by a toytcp socket.</p></body></html>\n";
	FILE *f;
	char *buf;
	long n;

	if (!path) {
		*len = strlen(page);
		return strdup(page);
	}
	f = fopen(path, "r");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(1);
	}
	buf = malloc(n + 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n) {
		fprintf(stderr, "toyserve: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = n;
	return buf;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read the request up to its empty line (or EOF); 0 if one came. */
static int read_request(int fd, char *req, size_t size)
{
	size_t got = 0;

	while (got + 1 < size) {
		ssize_t n = read(fd, req + got, size - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		req[got] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			return 0;
	}
	req[got] = 0;
	return got ? 0 : -1;
}

/*
 * HTTP/1.0 without Content-Length: the end of the body is the server's
 * close (RFC 1945 §7.2.2), so the client reads until our FIN and the
 * server is always the one that closes first, as in the seed.
 */
static void serve(int fd, const char *body, size_t blen)
{
	static const char head[] = "HTTP/1.0 200 OK\r\nServer: toyserve\r\n"
				   "Content-Type: text/html\r\n\r\n";
	char req[4096], first[128] = "", *resp;

	stage("read(): %s", "the request");
	if (read_request(fd, req, sizeof(req))) {
		stage("%s", "no request");
		return;
	}
	sscanf(req, "%127[^\r\n]", first);
	stage("request: %s", first);
	/* one write: the head and the body leave together */
	resp = malloc(sizeof(head) - 1 + blen);
	if (!resp)
		return;
	memcpy(resp, head, sizeof(head) - 1);
	memcpy(resp + sizeof(head) - 1, body, blen);
	stage("write(): %s", "the answer");
	if (write_all(fd, resp, sizeof(head) - 1 + blen))
		perror("toyserve: write");
	free(resp);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
	const char *file = NULL;
	long count = -1, served = 0;
	size_t blen;
	char *body;
	int one = 1, opt, lfd;

	while ((opt = getopt(argc, argv, "a:p:n:f:q")) != -1) {
		switch (opt) {
		case 'a':
			if (inet_pton(AF_INET, optarg, &sin.sin_addr) != 1) {
				fprintf(stderr, "toyserve: bad address %s\n", optarg);
				return 2;
			}
			break;
		case 'p':
			sin.sin_port = htons(atoi(optarg));
			break;
		case 'n':
			count = atol(optarg);
			break;
		case 'f':
			file = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: toyserve [-a ADDRESS] [-p PORT] [-n COUNT] [-f FILE] [-q]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	body = load(file, &blen);

	stage("%s", "socket(AF_TOYTCP, SOCK_STREAM, 0)");
	lfd = socket(toytcp_family("toyserve"), SOCK_STREAM, 0);
	if (lfd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("bind");
		return 1;
	}
	if (listen(lfd, 16)) {
		perror("listen");
		return 1;
	}
	if (!quiet)
		fprintf(stderr, "toyserve: listening on %s:%u\n",
			inet_ntoa(sin.sin_addr), ntohs(sin.sin_port));
	while (count < 0 || served < count) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		int fd;

		stage("%s", "accept(): waiting for a SYN");
		fd = accept(lfd, (struct sockaddr *)&peer, &plen);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
		}
		stage("accepted %s", inet_ntoa(peer.sin_addr));
		serve(fd, body, blen);
		stage("%s", "close(): FIN");
		close(fd);
		served++;
	}
	close(lfd);
	free(body);
	return 0;
}
