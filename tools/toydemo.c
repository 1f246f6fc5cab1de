// SPDX-License-Identifier: GPL-2.0
/*
 * toydemo: walk through the seed's stages on a live toytcp module.
 *
 * Stage 1, socket: socket(AF_TOYTCP, SOCK_STREAM, 0) asks the module for a
 * control block and gets a descriptor back. The later stages (connect,
 * write/read, close, removal) come with the connection work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "toytcp_tool.h"

static void show_protocols(void)
{
	FILE *f = fopen("/proc/net/protocols", "r");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "protocol", 8) || !strncmp(line, "TOYTCP", 6))
			printf("    %.60s\n", line);
	fclose(f);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	int fam = toytcp_family("toydemo");
	int fds[64];

	if (n < 1 || n > 64)
		n = 3;
	printf("== stage 1: socket ==\n");
	printf("toytcp is family %d; the control blocks alive now:\n", fam);
	show_protocols();
	for (int i = 0; i < n; i++) {
		int v = 0;
		socklen_t len = sizeof(v);

		fds[i] = socket(fam, SOCK_STREAM, 0);
		if (fds[i] < 0) {
			perror("socket");
			return 1;
		}
		getsockopt(fds[i], SOL_SOCKET, SO_PROTOCOL, &v, &len);
		printf("socket(AF_TOYTCP, SOCK_STREAM, 0) = fd %d (protocol %d)\n",
		       fds[i], v);
	}
	printf("with %d sockets open:\n", n);
	show_protocols();
	for (int i = 0; i < n; i++)
		close(fds[i]);
	usleep(200000);	/* a control block is freed after an RCU grace period */
	printf("after close:\n");
	show_protocols();
	return 0;
}
