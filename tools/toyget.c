// SPDX-License-Identifier: GPL-2.0
/*
 * toyget: fetch a page over HTTP/1.0 with a toytcp socket.
 *
 *	toyget ADDRESS PORT [PATH]
 *
 * The whole of the seed in one program: socket, connect, write (the
 * request), read (the answer, until the server closes), close. Each
 * stage is announced on stderr; the page goes to stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sys/socket.h>
#include "toytcp_tool.h"

static void stage(const char *what)
{
	fprintf(stderr, "toyget: %s\n", what);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	char req[512], buf[4096];
	ssize_t n, total = 0;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: toyget ADDRESS PORT [PATH]\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "toyget: bad address %s\n", argv[1]);
		return 2;
	}
	sin.sin_port = htons(atoi(argv[2]));

	stage("socket(AF_TOYTCP, SOCK_STREAM, 0)");
	fd = socket(toytcp_family("toyget"), SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	stage("connect(): SYN, SYN-ACK, ACK");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("connect");
		return 1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n",
		 argc > 3 ? argv[3] : "/", argv[1]);
	stage("write(): the request");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		perror("write");
		return 1;
	}
	stage("read(): the answer, until the server's FIN");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, stdout);
		total += n;
	}
	fflush(stdout);
	if (n < 0) {
		perror("read");
		return 1;
	}
	if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		fprintf(stderr, "toyget: %zd bytes; mss %u, rtt %u us, rto %u us, %u segments out, %u in\n",
			total, ti.tcpi_snd_mss, ti.tcpi_rtt, ti.tcpi_rto,
			ti.tcpi_segs_out, ti.tcpi_segs_in);
	stage("close(): FIN, ACK");
	close(fd);
	return 0;
}
