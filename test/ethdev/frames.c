/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frames.c - the frames test_ethdev sends and how it checks what arrives:
 * numbered pattern frames of any length and segmentation, and TCP and UDP
 * frames over IPv4 and IPv6 for the offload cases.
 */
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ethdev_test.h"

/* Frame: 14-byte header, then a 32-bit sequence, then a byte pattern. */
void
fill(uint8_t *p, uint32_t len, uint32_t seq, uint32_t q)
{
	uint32_t i;

	memset(p, 0xff, 6);
	memset(p + 6, 0x02, 6);
	p[12] = 0x88;
	p[13] = 0xb5;
	memcpy(p + 14, &seq, 4);
	for (i = 18; i < len; i++)
		p[i] = (uint8_t)(seq * 7 + i + q);
}

/* bytes[0, len) as a chain of mp's mbufs of up to seg_size bytes each;
 * NULL when mp is short. */
static struct rte_mbuf *
chain_copy(struct rte_mempool *mp, const uint8_t *bytes, uint32_t len, uint32_t seg_size)
{
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t n = RTE_MIN(len - off, seg_size);
		char *d = m != NULL ? rte_pktmbuf_append(m, (uint16_t)n) : NULL;

		if (d == NULL) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		memcpy(d, bytes + off, n);
		off += n;
		if (head == NULL)
			head = m;
		else
			rte_pktmbuf_chain(head, m);
	}
	return head;
}

struct rte_mbuf *
make_frame_from(struct rte_mempool *mp, uint32_t len, uint32_t seq, uint32_t q, uint32_t seg_size)
{
	uint8_t tmp[MAX_FRAME];

	fill(tmp, len, seq, q);
	return chain_copy(mp, tmp, len, seg_size);
}

struct rte_mbuf *
make_frame(uint32_t len, uint32_t seq, uint32_t q, uint32_t seg_size)
{
	return make_frame_from(big_pool, len, seq, q, seg_size);
}

int
check_frame(struct rte_mbuf *m, uint32_t len, uint32_t seq, uint32_t q)
{
	uint8_t want[MAX_FRAME], got[MAX_FRAME];
	const uint8_t *p;

	if (m->pkt_len != len)
		return 0;
	fill(want, len, seq, q);
	p = rte_pktmbuf_read(m, 0, len, got);
	return p != NULL && memcmp(p, want, len) == 0;
}

#define TCP_PAYLOAD_MAX 64000u
static uint8_t tcp_buf[TCP_PAYLOAD_MAX + 128];

/* fd00::1 -> fd00::2. The addresses are bytes on every release (arrays up
 * to DPDK 24.07, struct rte_ipv6_addr since). */
static void
set_ipv6_addrs(struct rte_ipv6_hdr *ip6)
{
	uint8_t *src6 = (uint8_t *)&ip6->src_addr, *dst6 = (uint8_t *)&ip6->dst_addr;

	memset(src6, 0, 16);
	memset(dst6, 0, 16);
	src6[0] = dst6[0] = 0xfd;
	src6[15] = 1;
	dst6[15] = 2;
}

/* The pseudo-header sum of the IPv4 or IPv6 header at ip, as the mbuf API
 * wants it in the L4 checksum field for the offloads in ol. */
static uint16_t
phdr_sum(const uint8_t *ip, bool v6, uint64_t ol)
{
	return v6 ? rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)ip, ol) :
		    rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)ip, ol);
}

/* m's TX offload request: flags ol, Ethernet header, l3 and l4 header
 * bytes, segment size mss. */
static void
tx_request(struct rte_mbuf *m, uint64_t ol, uint32_t l3, uint32_t l4, uint16_t mss)
{
	m->ol_flags = ol;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = l3;
	m->l4_len = l4;
	m->tso_segsz = mss;
}

uint8_t
tcp_pat(uint32_t i)
{
	return (uint8_t)(i * 13 + (i >> 9));
}

/*
 * A TCP frame over IPv4 or IPv6 with `payload` bytes, as an mbuf chain of
 * 8000-byte segments. ol: the TX offload flags to request (their lengths
 * are filled in); the IPv4 header checksum is left 0 when IP_CKSUM is
 * asked, the TCP checksum holds what the mbuf API wants: the pseudo-header
 * sum for an offload (without the length for TSO), else the full sum.
 */
struct rte_mbuf *
make_tcp(bool v6, uint32_t payload, uint16_t mss, uint64_t ol, uint32_t seq)
{
	const uint32_t l2 = RTE_ETHER_HDR_LEN, l3 = v6 ? 40 : 20, l4 = 20;
	const uint32_t len = l2 + l3 + l4 + payload;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)tcp_buf;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(tcp_buf + l2 + l3);
	struct rte_mbuf *head;
	uint32_t i;

	memset(tcp_buf, 0, l2 + l3 + l4);
	memset(eth->dst_addr.addr_bytes, 0x02, 6);
	memset(eth->src_addr.addr_bytes, 0x04, 6);
	eth->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(tcp_buf + l2);

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		ip6->proto = IPPROTO_TCP;
		ip6->hop_limits = 64;
		set_ipv6_addrs(ip6);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(tcp_buf + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)RTE_MIN(l3 + l4 + payload, 65535u));
		ip->packet_id = rte_cpu_to_be_16(100);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0xc0000201);
		ip->dst_addr = rte_cpu_to_be_32(0xc0000202);
		if (!(ol & RTE_MBUF_F_TX_IP_CKSUM))
			ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	for (i = 0; i < payload; i++)
		tcp_buf[l2 + l3 + l4 + i] = tcp_pat(i);
	if (ol & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM))
		th->cksum = phdr_sum(tcp_buf + l2, v6, ol);
	else
		th->cksum = v6 ? rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)(tcp_buf + l2), th) :
				 rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)(tcp_buf + l2), th);
	head = chain_copy(big_pool, tcp_buf, len, 8000);
	if (head == NULL)
		return NULL;
	tx_request(head, ol | (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4), l3, l4, mss);
	return head;
}

/* Check one received TCP frame of the stream: full checksums valid (when
 * want_csum), payload bytes in place. Returns its TCP payload length or -1. */
int
check_tcp(struct rte_mbuf *m, bool v6, uint32_t seq0, bool want_csum)
{
	const uint32_t l2 = RTE_ETHER_HDR_LEN, l3 = v6 ? 40 : 20, l4 = 20;
	static uint8_t b[TCP_PAYLOAD_MAX + 128];
	const uint8_t *p;
	const struct rte_tcp_hdr *th;
	uint32_t i, payload, first;

	if (m->pkt_len < l2 + l3 + l4 || m->pkt_len > sizeof(b))
		return -1;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, b);
	th = (const struct rte_tcp_hdr *)(p + l2 + l3);
	payload = m->pkt_len - l2 - l3 - l4;
	first = rte_be_to_cpu_32(th->sent_seq) - seq0;
	if (want_csum) {
		if (v6) {
			if (rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)(p + l2), th) != 0)
				return -1;
		} else {
			const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + l2);

			if (rte_raw_cksum(ip, 20) != 0xffff ||
			    rte_be_to_cpu_16(ip->total_length) != l3 + l4 + payload ||
			    rte_ipv4_udptcp_cksum_verify(ip, th) != 0)
				return -1;
		}
	}
	for (i = 0; i < payload; i++)
		if (p[l2 + l3 + l4 + i] != tcp_pat(first + i))
			return -1;
	return (int)payload;
}

/*
 * A TCP or UDP frame over IPv4 or IPv6 with `payload` bytes in one mbuf of
 * big_pool, its L4 checksum requested as an offload (TX TCP_CKSUM or
 * UDP_CKSUM: the field holds the pseudo-header sum, as the mbuf API says).
 */
struct rte_mbuf *
make_l4_partial(bool v6, bool udp, uint32_t payload, uint8_t salt)
{
	const uint32_t l2 = RTE_ETHER_HDR_LEN, l3 = v6 ? 40 : 20, l4 = udp ? 8 : 20;
	const uint64_t ol = (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
			    (udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
	struct rte_mbuf *m = rte_pktmbuf_alloc(big_pool);
	uint8_t *p;
	uint32_t i, field;
	uint16_t seed;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + l3 + l4 + payload));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, l2 + l3 + l4);
	memset(p, 0x02, 6);
	memset(p + 6, 0x04, 6);
	((struct rte_ether_hdr *)p)->ether_type =
		rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + l2);

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		ip6->proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip6->hop_limits = 64;
		set_ipv6_addrs(ip6);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + payload));
		ip->time_to_live = 64;
		ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0xc6336401);
		ip->dst_addr = rte_cpu_to_be_32(0xc6336402);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (udp) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(p + l2 + l3);

		uh->src_port = rte_cpu_to_be_16(40001);
		uh->dst_port = rte_cpu_to_be_16(4789);
		uh->dgram_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		field = l2 + l3 + offsetof(struct rte_udp_hdr, dgram_cksum);
	} else {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(p + l2 + l3);

		th->src_port = rte_cpu_to_be_16(40002);
		th->dst_port = rte_cpu_to_be_16(5201);
		th->sent_seq = rte_cpu_to_be_32(77);
		th->data_off = 5 << 4;
		th->tcp_flags = RTE_TCP_ACK_FLAG;
		th->rx_win = rte_cpu_to_be_16(65535);
		field = l2 + l3 + offsetof(struct rte_tcp_hdr, cksum);
	}
	for (i = 0; i < payload; i++)
		p[l2 + l3 + l4 + i] = (uint8_t)(tcp_pat(i) ^ salt);
	seed = phdr_sum(p + l2, v6, ol);
	memcpy(p + field, &seed, sizeof(seed));
	tx_request(m, ol, l3, l4, 0);
	return m;
}

/* Whether received frame m (as make_l4_partial() built it) has a valid L4
 * checksum: it sums, pseudo-header included, to 0xffff. */
bool
l4_csum_valid(struct rte_mbuf *m, bool v6)
{
	static uint8_t b[MAX_FRAME];
	const uint8_t *p;
	const uint32_t l2 = RTE_ETHER_HDR_LEN;

	if (m->pkt_len > sizeof(b))
		return false;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, b);
	if (v6)
		return rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)(p + l2),
						    p + l2 + 40) == 0;
	return rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)(p + l2),
					    p + l2 + 20) == 0;
}
