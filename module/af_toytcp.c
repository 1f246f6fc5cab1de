// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp: the AF_TOYTCP socket family.
 *
 * This file is the seed's "socket 작성 단계" (the socket stage): socket()
 * lands in toytcp_create(), which allocates the control block (struct
 * toytcp_sock, from its own slab cache) and hangs it on the struct socket
 * whose descriptor the kernel hands back to the program.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/poll.h>
#include <net/sock.h>
#include <uapi/linux/toytcp.h>

#include "toytcp.h"

int toytcp_family = AF_TOYTCP;
module_param_named(family, toytcp_family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (default AF_TOYTCP)");

static struct proto toytcp_prot = {
	.name		= "TOYTCP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct toytcp_sock),
};

static void toytcp_sk_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_write_queue);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	pr_debug("toytcp: control block %p freed\n", sk);
}

static int toytcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;

	lock_sock(sk);
	sk->sk_state = TCP_CLOSE;
	sk->sk_shutdown = SHUTDOWN_MASK;
	sock_orphan(sk);
	release_sock(sk);

	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static __poll_t toytcp_poll(struct file *file, struct socket *sock,
			    poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	/* As Linux TCP: a socket that is closed and not connecting hangs up. */
	if (sk->sk_shutdown == SHUTDOWN_MASK || sk->sk_state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (!(sk->sk_shutdown & SEND_SHUTDOWN) && sk->sk_state == TCP_CLOSE)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static int toytcp_no_bind(struct socket *sock, struct sockaddr *uaddr,
			  int addr_len)
{
	return -EOPNOTSUPP;
}

static int toytcp_no_connect(struct socket *sock, struct sockaddr *uaddr,
			     int addr_len, int flags)
{
	return -EOPNOTSUPP;
}

static int toytcp_no_setsockopt(struct socket *sock, int level, int optname,
				sockptr_t optval, unsigned int optlen)
{
	return -EOPNOTSUPP;
}

static int toytcp_no_getsockopt(struct socket *sock, int level, int optname,
				char __user *optval, int __user *optlen)
{
	return -EOPNOTSUPP;
}

static int toytcp_no_ioctl(struct socket *sock, unsigned int cmd,
			   unsigned long arg)
{
	return -EOPNOTSUPP;
}

/*
 * .family here is informational only (the core compares it with PF_UNIX and
 * nothing else); the number in use is sk->sk_family and the one registered
 * with sock_register(), both from the "family" parameter.
 */
static const struct proto_ops toytcp_ops = {
	.family		= AF_TOYTCP,
	.owner		= THIS_MODULE,
	.release	= toytcp_release,
	.bind		= toytcp_no_bind,
	.connect	= toytcp_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= sock_no_getname,
	.poll		= toytcp_poll,
	.ioctl		= toytcp_no_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sock_no_shutdown,
	.setsockopt	= toytcp_no_setsockopt,
	.getsockopt	= toytcp_no_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};

/**
 * toytcp_create() - socket(AF_TOYTCP, type, protocol) lands here.
 * @net: network namespace of the caller.
 * @sock: the struct socket the kernel made for the new descriptor.
 * @protocol: 0 or IPPROTO_TCP; anything else is refused.
 * @kern: true for a socket created from inside the kernel.
 *
 * Errors follow AF_INET: a protocol out of range is EINVAL, a type with no
 * protocol behind it ESOCKTNOSUPPORT, a protocol that is not TCP for a
 * stream socket EPROTONOSUPPORT.
 *
 * Return: 0 with @sock->sk set, or a negative errno.
 */
static int toytcp_create(struct net *net, struct socket *sock, int protocol,
			 int kern)
{
	struct sock *sk;

	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;
	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, toytcp_family, GFP_KERNEL, &toytcp_prot, kern);
	if (!sk)
		return -ENOMEM;

	sock->state = SS_UNCONNECTED;
	sock->ops = &toytcp_ops;
	sock_init_data(sock, sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_destruct = toytcp_sk_destruct;
	sk->sk_state = TCP_CLOSE;
	/* counted per namespace in the "sockets" column of /proc/net/protocols */
	sock_prot_inuse_add(net, &toytcp_prot, 1);
	pr_debug("toytcp: control block %p created\n", sk);
	return 0;
}

static struct net_proto_family toytcp_family_ops __ro_after_init = {
	.create	= toytcp_create,
	.owner	= THIS_MODULE,
};

static int __init toytcp_init(void)
{
	int err;

	if (toytcp_family <= AF_UNSPEC || toytcp_family >= AF_MAX) {
		pr_err("toytcp: family %d out of range 1..%d\n",
		       toytcp_family, AF_MAX - 1);
		return -EINVAL;
	}

	toytcp_family_ops.family = toytcp_family;

	err = proto_register(&toytcp_prot, 1);
	if (err)
		return err;

	err = sock_register(&toytcp_family_ops);
	if (err) {
		pr_err("toytcp: family %d is taken (%d)\n", toytcp_family, err);
		proto_unregister(&toytcp_prot);
		return err;
	}

	pr_info("toytcp: registered family %d\n", toytcp_family);
	return 0;
}

static void __exit toytcp_exit(void)
{
	sock_unregister(toytcp_family);
	proto_unregister(&toytcp_prot);
	pr_info("toytcp: unregistered family %d\n", toytcp_family);
}

module_init(toytcp_init);
module_exit(toytcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("toytcp: a small TCP/IPv4 stack with its own socket family");
MODULE_ALIAS_NETPROTO(AF_TOYTCP);
