/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * toytcp: a small TCP stack as a loadable module, with its own socket family.
 *
 * This is the only header user programs include. A toytcp socket is
 *
 *	int fd = socket(AF_TOYTCP, SOCK_STREAM, 0);
 *
 * and from there on it takes the same struct sockaddr_in addresses and the
 * same SOL_SOCKET / IPPROTO_TCP options as an AF_INET TCP socket.
 */
#ifndef _UAPI_LINUX_TOYTCP_H
#define _UAPI_LINUX_TOYTCP_H

/*
 * The family number. 19 was AF_ECONET, whose code left Linux in 3.5; no
 * mainline 6.1 kernel registers it. The module parameter "family" moves
 * toytcp to another number; the one in use is always readable at
 * TOYTCP_FAMILY_PATH.
 */
#define AF_TOYTCP	19
#define PF_TOYTCP	AF_TOYTCP

#define TOYTCP_FAMILY_PATH	"/sys/module/toytcp/parameters/family"

/*
 * SO_REUSEPORT, set at level IPPROTO_TCP: Linux 6.1's socket core takes
 * setsockopt(SOL_SOCKET, SO_REUSEPORT) from AF_INET and AF_INET6 sockets
 * only (EOPNOTSUPP for any other family), so toytcp takes it here, with
 * the same int value and meaning (listeners of one user that all set it
 * share a port and its connections). getsockopt(SOL_SOCKET, SO_REUSEPORT)
 * and this both read it back. libtoytcp.so turns a program's
 * SO_REUSEPORT into this.
 */
#define TOYTCP_REUSEPORT	1000

#endif /* _UAPI_LINUX_TOYTCP_H */
