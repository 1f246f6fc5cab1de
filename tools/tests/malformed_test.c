// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: bad input to a toytcp listener. From namespace B, raw IPv4
 * datagrams carrying broken TCP segments go to a toytcp listener in A:
 * each is dropped and counted (/proc/net/toytcp_stats), gets no answer,
 * and makes no connection; a good SYN sent the same way gets a SYN-ACK, so
 * the raw path itself is known to work. A kernel splat fails the VM run.
 */
#include <netinet/ip.h>
#include <linux/toytcp.h>

#include "kselftest_harness.h"
#include "toytcp_test.h"

#define PORT 7700

/* RFC 1071 sum of @len bytes, continuing from @sum. */
static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (; len > 1; len -= 2, b += 2)
		sum += b[0] << 8 | b[1];
	if (len)
		sum += b[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * A segment from B to A's listener: header @doff words long (its options
 * @opt, @optlen bytes, then zero padding), @len bytes of datagram in all
 * (shorter than the header to truncate it), checksum right unless @bad_csum.
 */
static int send_raw(int raw, uint8_t flags, int doff, const uint8_t *opt,
		    int optlen, int len, bool bad_csum)
{
	uint8_t pkt[20 + 60] = { 0 };
	struct iphdr *ip = (struct iphdr *)pkt;
	uint8_t *th = pkt + 20;
	struct sockaddr_in dst = tt_sin(TT_ADDR_A, PORT);
	uint8_t pseudo[12];
	int tcplen = len - 20;
	uint16_t c;

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(len);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	inet_pton(AF_INET, TT_ADDR_B, &ip->saddr);
	inet_pton(AF_INET, TT_ADDR_A, &ip->daddr);
	th[0] = 40000 >> 8;
	th[1] = 40000 & 0xff;
	th[2] = PORT >> 8;
	th[3] = PORT & 0xff;
	th[4] = 0x11;			/* seq 0x11223344 */
	th[5] = 0x22;
	th[6] = 0x33;
	th[7] = 0x44;
	th[12] = doff << 4;
	th[13] = flags;
	th[14] = 0xff;			/* window */
	th[15] = 0xff;
	memcpy(th + 20, opt, optlen);
	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = tcplen >> 8;
	pseudo[11] = tcplen & 0xff;
	c = fold(sum16(th, tcplen, sum16(pseudo, 12, 0)));
	if (bad_csum)
		c ^= 0x0101;
	th[16] = c >> 8;
	th[17] = c & 0xff;
	return sendto(raw, pkt, len, 0, TT_SA(&dst), sizeof(dst)) == len ? 0 : -1;
}

/* Did a SYN-ACK from A's port come back to B within @ms? */
static bool got_synack(int sniff, int ms)
{
	uint8_t buf[1500];
	double end = tt_now() + ms / 1000.0;

	while (tt_now() < end) {
		struct pollfd p = { .fd = sniff, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(sniff, buf, sizeof(buf), 0);
		if (n >= 40 && (buf[0] & 0x0f) == 5 &&
		    (buf[20] << 8 | buf[21]) == PORT && (buf[33] & 0x12) == 0x12)
			return true;
	}
	return false;
}

FIXTURE(bad) {
	int listener, raw, sniff;
};

FIXTURE_SETUP(bad)
{
	int one = 1;

	ASSERT_EQ(0, tt_net_up());
	self->listener = tt_listen_in(TT_A, tt_family(), "0.0.0.0", PORT, 16);
	ASSERT_LE(0, self->listener);
	ASSERT_EQ(0, tt_enter(TT_B));
	self->raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	self->sniff = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	ASSERT_EQ(0, tt_enter(TT_A));
	ASSERT_LE(0, self->raw);
	ASSERT_LE(0, self->sniff);
	ASSERT_EQ(0, setsockopt(self->raw, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)));
}

FIXTURE_TEARDOWN(bad)
{
	close(self->raw);
	close(self->sniff);
	close(self->listener);
	tt_net_down();
}

/* The control: a well-formed SYN sent this way is answered. */
TEST_F(bad, good_syn_is_answered)
{
	const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };

	ASSERT_EQ(0, send_raw(self->raw, TT_F_SYN, 6, mss, 4, 44, false));
	EXPECT_TRUE(got_synack(self->sniff, 3000));
}

struct bad_case {
	const char *name, *counter;
	int doff, optlen, len;
	uint8_t opt[8];
	bool bad_csum;
};

static const struct bad_case cases[] = {
	{ "checksum wrong", "InCsumErrors", 5, 0, 40, { 0 }, true },
	{ "data offset 3 (under 20 bytes)", "InBadHeader", 3, 0, 40, { 0 }, false },
	{ "data offset past the end", "InBadHeader", 15, 0, 44, { 0 }, false },
	{ "option length 0", "InBadHeader", 6, 4, 44, { 2, 0, 0, 0 }, false },
	{ "option runs past the header", "InBadHeader", 6, 4, 44, { 8, 10, 0, 0 }, false },
	{ "MSS option of length 3", "InBadHeader", 6, 4, 44, { 2, 3, 5, 0 }, false },
};

TEST_F(bad, each_dropped_counted_unanswered)
{
	if (tt_inet_mode())
		SKIP(return, "toytcp's own counters");
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		long before = tt_stat(c->counter);

		ASSERT_LE(0, before);
		ASSERT_EQ(0, send_raw(self->raw, TT_F_SYN, c->doff, c->opt,
				      c->optlen, c->len, c->bad_csum));
		EXPECT_FALSE(got_synack(self->sniff, 1000)) TH_LOG("%s answered", c->name);
		EXPECT_EQ(before + 1, tt_stat(c->counter)) TH_LOG("%s not counted", c->name);
	}
	/* no connection came of any of it */
	EXPECT_EQ(0, tt_set_nonblock(self->listener, true));
	EXPECT_EQ(-1, accept(self->listener, NULL, NULL));
}

TEST_HARNESS_MAIN
