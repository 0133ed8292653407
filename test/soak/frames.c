/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frames.c - what the soak sends: the shape the hash gives each frame, the
 * frame built from it (a plain frame, or a TCP/IPv4 GSO frame as an mbuf
 * chain), and the frames and bytes it makes in the window once sent.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>

#include "soak.h"

static uint8_t noise[NOISE + GSO_MAX + 64] __rte_aligned(64);

void
noise_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)mix((uint64_t)i);
}

struct shape
frame_shape(uint16_t dir, uint16_t q, uint64_t seq)
{
	static const uint16_t mss[4] = { 1448, 1448, 536, 8960 };
	static const uint16_t split[4] = { 40, TCP_HDRS, GSO_PAY_OFF, 4000 };
	const uint64_t h = mix(seq * 8 + (uint64_t)dir * 4 + q);
	struct shape s = { 0 };

	if (((h >> 2) & 15) == 0) {
		const uint64_t g = mix(h ^ 0x9e3779b97f4a7c15ull), g2 = mix(g);
		uint32_t lo;

		s.gso = true;
		s.mss = mss[g & 3];
		lo = RTE_MAX(GSO_MIN, s.mss + 1u); /* more than one segment's worth */
		s.len = TCP_HDRS + lo + (uint32_t)((g >> 8) % (GSO_MAX - lo + 1));
		s.tcp_seq = (uint32_t)g2;
		s.ip_id = (uint16_t)(g2 >> 32);
		s.split = split[(g2 >> 48) & 3];
	} else if ((h & 3) == 0) {
		s.len = 1515 + (uint32_t)((h >> 8) % (9000 - 1515 + 1));
	} else {
		s.len = 60 + (uint32_t)((h >> 8) % (1514 - 60 + 1));
	}
	return s;
}

/* Copy len bytes from src into a chain of TX mbufs whose first holds first
 * bytes and the others up to GSO_TX_CHUNK. Returns the head or NULL. */
static struct rte_mbuf *
chain_from(struct rte_mempool *mp, const uint8_t *hdr, uint32_t hdr_len, const uint8_t *pay,
	   uint32_t len, uint32_t first)
{
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		const uint32_t n = RTE_MIN(len - off, off == 0 ? first : GSO_TX_CHUNK);
		uint8_t *d;
		uint32_t i;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		d = rte_pktmbuf_mtod(m, uint8_t *);
		/* Bytes [off, off + n): from the header, then from the payload. */
		for (i = 0; i < n; ) {
			const uint32_t at = off + i;
			const uint32_t k = at < hdr_len ? RTE_MIN(n - i, hdr_len - at) : n - i;

			memcpy(d + i, at < hdr_len ? hdr + at : pay + (at - hdr_len), k);
			i += k;
		}
		m->data_len = (uint16_t)n;
		m->pkt_len = n;
		if (head == NULL)
			head = m;
		else
			rte_pktmbuf_chain(head, m);
		off += n;
	}
	return head;
}

/*
 * A TCP/IPv4 GSO frame of shape s: Ethernet, IPv4 (checksum left to the
 * IP_CKSUM offload), TCP (ACK|PSH|FIN, the pseudo-header sum without the
 * length in its checksum field, as the mbuf API asks for TSO), the soak
 * header h, then h.len - GSO_PAY_OFF bytes of pay.
 */
static struct rte_mbuf *
make_gso(struct end *e, const struct shape *s, const struct soak_hdr *h, const uint8_t *pay)
{
	const uint64_t ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	uint8_t hdr[2 + GSO_PAY_OFF] __rte_aligned(8);
	uint8_t *f = hdr + 2; /* the IPv4 header 4-byte aligned */
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + RTE_ETHER_HDR_LEN + 20);
	struct rte_mbuf *m;

	memset(hdr, 0, sizeof(hdr));
	memset(eth->dst_addr.addr_bytes, 0x02, RTE_ETHER_ADDR_LEN);
	memset(eth->src_addr.addr_bytes, 0x04, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(s->len - RTE_ETHER_HDR_LEN));
	ip->packet_id = rte_cpu_to_be_16(s->ip_id);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0xc0000201u + e->dir);
	ip->dst_addr = rte_cpu_to_be_32(0xc0000202u - e->dir);
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16((uint16_t)(5201 + h->queue));
	th->sent_seq = rte_cpu_to_be_32(s->tcp_seq);
	th->recv_ack = rte_cpu_to_be_32(1);
	th->data_off = 5 << 4;
	th->tcp_flags = TCP_FLAGS_LAST;
	th->rx_win = rte_cpu_to_be_16(65535);
	th->cksum = rte_ipv4_phdr_cksum(ip, ol);
	memcpy(f + TCP_HDRS, h, sizeof(*h));

	m = chain_from(e->txp, f, GSO_PAY_OFF, pay, s->len, s->split);
	if (m == NULL)
		return NULL;
	m->ol_flags = ol;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = s->mss;
	return m;
}

struct rte_mbuf *
make_frame(struct end *e, uint16_t q, uint64_t seq)
{
	const struct shape s = frame_shape(e->dir, q, seq);
	const uint32_t len = s.len, pay_off = s.gso ? GSO_PAY_OFF : PAY_OFF;
	const uint8_t *pay = noise + (mix(seq ^ q) & (NOISE - 8)); /* 8-byte aligned */
	struct rte_mbuf *m, *m2 = NULL;
	struct soak_hdr h = {
		.magic = SOAK_MAGIC, .dir = e->dir, .queue = q, .seq = seq, .len = len,
		.crc = rte_hash_crc(pay, len - pay_off, 0),
	};
	uint32_t first = len;
	uint8_t *d;

	if (s.gso)
		return make_gso(e, &s, &h, pay);
	m = rte_pktmbuf_alloc(e->txp);
	if (m == NULL)
		return NULL;
	if (seq % 8 == 7 && len > PAY_OFF + 1) {
		m2 = rte_pktmbuf_alloc(e->txp);
		if (m2 == NULL) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		first = PAY_OFF + (len - PAY_OFF) / 2;
	}
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0xff, 6);
	memset(d + 6, 0x02, 6);
	d[12] = 0x88;
	d[13] = 0xb5;
	memcpy(d + HDR_OFF, &h, sizeof(h));
	memcpy(d + PAY_OFF, pay, first - PAY_OFF);
	m->data_len = (uint16_t)first;
	m->pkt_len = len;
	if (m2 != NULL) {
		memcpy(rte_pktmbuf_mtod(m2, uint8_t *), pay + (first - PAY_OFF), len - first);
		m2->data_len = (uint16_t)(len - first);
		m->next = m2;
		m->nb_segs = 2;
	}
	return m;
}

/* Count soak frame seq of queue q, taken by the PMD, as sent: its bytes,
 * and the frames and bytes it makes in the window (one frame when it goes
 * whole; one per segment when the PMD segments it). */
void
count_sent(struct end *e, uint16_t q, uint64_t seq)
{
	const struct shape s = frame_shape(e->dir, q, seq);

	e->sent[q]++;
	e->sent_bytes[q] += s.len;
	if (s.gso && !e->peer_lro) {
		const uint32_t pay = s.len - TCP_HDRS, nseg = (pay + s.mss - 1) / s.mss;

		e->wire_sent[q] += nseg;
		e->wire_sent_bytes[q] += (uint64_t)nseg * TCP_HDRS + pay;
		e->gso_segs_sent[q] += nseg;
	} else {
		e->wire_sent[q]++;
		e->wire_sent_bytes[q] += s.len;
	}
	e->gso_sent[q] += s.gso;
}
