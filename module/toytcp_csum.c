// SPDX-License-Identifier: GPL-2.0
/*
 * toytcp checksums: the TCP checksum over the IPv4 pseudo-header
 * (RFC 9293 §3.1: source and destination address, zero, protocol 6, and
 * the TCP length), the TCP header and the data.
 */
#include <linux/in.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <kunit/visibility.h>

#include "toytcp.h"

/**
 * toytcp_v4_checksum() - compute the TCP checksum of a segment.
 * @skb: buffer holding the segment; it may be non-linear.
 * @offset: where the TCP header starts in @skb's data.
 * @saddr: IPv4 source address of the segment.
 * @daddr: IPv4 destination address of the segment.
 *
 * The segment runs from @offset to the end of @skb. The checksum field in
 * the header must be zero when the result is to be stored there.
 *
 * Return: the folded, complemented checksum, ready for the header.
 */
__sum16 toytcp_v4_checksum(const struct sk_buff *skb, unsigned int offset,
			   __be32 saddr, __be32 daddr)
{
	unsigned int len = skb->len - offset;
	__wsum sum = skb_checksum(skb, offset, len, 0);

	return csum_tcpudp_magic(saddr, daddr, len, IPPROTO_TCP, sum);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_v4_checksum);

/**
 * toytcp_v4_checksum_ok() - verify the checksum of a received segment.
 * @skb: buffer holding the segment, checksum field as received.
 * @offset: where the TCP header starts in @skb's data.
 * @saddr: IPv4 source address of the segment.
 * @daddr: IPv4 destination address of the segment.
 *
 * Summing a segment whose checksum is right, checksum field included,
 * gives all ones, so the folded complement is zero.
 *
 * Return: true if the checksum is right.
 */
bool toytcp_v4_checksum_ok(const struct sk_buff *skb, unsigned int offset,
			   __be32 saddr, __be32 daddr)
{
	return toytcp_v4_checksum(skb, offset, saddr, daddr) == 0;
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_v4_checksum_ok);

/**
 * toytcp_v4_checksum_partial() - leave a segment's TCP checksum to the
 * device or to Linux's GSO layer (CHECKSUM_PARTIAL): the checksum field
 * holds the pseudo-header's sum, and the one who finishes sums the TCP
 * header and data from csum_start into the field at csum_offset.
 * @skb: the segment, transport header set, skb->data at the TCP header.
 * @saddr: source address.
 * @daddr: destination address.
 */
void toytcp_v4_checksum_partial(struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct tcphdr *th = tcp_hdr(skb);

	th->check = ~csum_tcpudp_magic(saddr, daddr, skb->len, IPPROTO_TCP, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
}
EXPORT_SYMBOL_IF_KUNIT(toytcp_v4_checksum_partial);
