// SPDX-License-Identifier: GPL-2.0
/*
 * toystep: toyget one stage at a time, for watching each stage.
 *
 *	toystep ADDRESS PORT [PATH] < COMMANDS
 *
 * Does the seed's stages of an HTTP/1.0 fetch over a toytcp socket, but
 * each only when a line arrives on stdin:
 *
 *	socket   at once
 *	connect  after the 1st line: SYN, SYN-ACK, ACK
 *	write    after the 2nd line: the request
 *	read     after the 3rd line: the answer, until the server's FIN
 *	close    after the 4th line: FIN, ACK
 *
 * After each stage it prints "toystep: done STAGE" on stderr (flushed),
 * so a script can wait for it and look at the sockets in between. The
 * page goes to stdout. EOF on stdin runs the remaining stages at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "toytcp_tool.h"

static void wait_line(void)
{
	char c;

	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

static void done(const char *what)
{
	fprintf(stderr, "toystep: done %s\n", what);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char req[512], buf[4096];
	ssize_t n, total = 0;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: toystep ADDRESS PORT [PATH] < COMMANDS\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "toystep: bad address %s\n", argv[1]);
		return 2;
	}
	sin.sin_port = htons(atoi(argv[2]));
	fd = socket(toytcp_family("toystep"), SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	done("socket");

	wait_line();
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("connect");
		return 1;
	}
	done("connect");

	wait_line();
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n",
		 argc > 3 ? argv[3] : "/", argv[1]);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		perror("write");
		return 1;
	}
	done("write");

	wait_line();
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, stdout);
		total += n;
	}
	fflush(stdout);
	if (n < 0) {
		perror("read");
		return 1;
	}
	fprintf(stderr, "toystep: read %zd bytes, then end of stream\n", total);
	done("read");

	wait_line();
	close(fd);
	done("close");
	return 0;
}
