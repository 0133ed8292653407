/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_vnet.c - libFuzzer harness: cxl-fwd's translation between virtio-net
 * headers and mbuf offload fields (app/cxl-fwd/vnet_hdr.c) alone, on any
 * frame with any offload fields.
 *
 * Input: a fixed head, then the frame's bytes.
 *   [0]      mode % 3: 0 window -> kernel (fwd_to_vnet), 1 kernel -> window
 *            (fwd_from_vnet), 2 round trip (fwd_from_vnet, then the RX
 *            fields net_cxlmem's receiver sets for what it asked for, then
 *            fwd_to_vnet)
 *   [1]      transport TX offloads enabled (bits: TCP_CKSUM, UDP_CKSUM,
 *            TCP_TSO, UDP_TSO, IPV4_CKSUM)
 *   [2]      what the kernel took (bits: TUN_F_CSUM, TSO4, TSO6, USO4, USO6)
 *   [3]      RX flags as the peer controls them: bits 0-1 the L4 checksum
 *            state (UNKNOWN, BAD, GOOD, NONE), bit 2 RTE_MBUF_F_RX_LRO,
 *            bit 3 the IP checksum flagged bad, bit 4 a VLAN stripped
 *   [4..5]   tso_segsz (little-endian)
 *   [6..15]  struct virtio_net_hdr as the kernel gives it
 *   [16]     cuts % 8: the frame's segments after the first
 *   ...      cuts x 2 bytes: each segment's length (% 2048; the rest of the
 *            frame goes into one more segment)
 *   ...      the frame (1..4096 bytes)
 * Every segment's data is its own heap block of its exact length and the
 * header copy one of VNET_HDR_COPY bytes, so ASan sees any byte outside.
 *
 * Invariants (besides no sanitizer report and no leak):
 *   to the kernel: the mbuf is never written; a NEEDS_CSUM header has
 *     csum_start + csum_offset + 2 <= hdr_len = bytes copied <= the copy
 *     and the first segment, csum_offset 6 or 16; the copied headers equal
 *     the frame's but for the seed (and an IPv4 header checksum under LRO);
 *     a GSO header comes only from an LRO frame, with gso_size = tso_segsz,
 *     UDP_L4 only to a kernel that took USO; flags other than GOOD/NONE/
 *     LRO give a plain frame; counters move by one exactly when a header
 *     is emitted;
 *   from the kernel: only offloads the transport enabled; TX L4 flags only
 *     with TCP (L4 >= 20 bytes) or UDP (8) headers inside the first
 *     segment; segmentation with tso_segsz = gso_size; the only bytes
 *     written are one 2-byte checksum field (the TSO seed at l2+l3+16, or
 *     the software checksum at csum_start + csum_offset); nothing written
 *     when refused;
 *   round trip: a frame sent on with segmentation or checksum offload
 *     comes back with the same GSO type (ECN aside), gso_size, csum_start
 *     and csum_offset when its headers fit the copy (UDP GSO: and the
 *     kernel took USO; refused when it did not).
 *
 * Build and run: test/fuzz/build.sh, test/fuzz/run.sh --target fuzz_vnet
 * (docs/reliability.md).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vnet_hdr.h"
#include "../heap_mbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(c, ...) do {                                           \
	if (!(c)) {                                                      \
		fprintf(stderr, "fuzz_vnet: invariant broken: %s: ", #c); \
		fprintf(stderr, __VA_ARGS__);                            \
		fprintf(stderr, "\n");                                   \
		abort();                                                 \
	}                                                                \
} while (0)

#define HEAD 17
#define MAX_FRAME 4096
#define MAX_CUTS 7

static const uint64_t tx_bits[5] = {
	RTE_ETH_TX_OFFLOAD_TCP_CKSUM, RTE_ETH_TX_OFFLOAD_UDP_CKSUM, RTE_ETH_TX_OFFLOAD_TCP_TSO,
	RTE_ETH_TX_OFFLOAD_UDP_TSO, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM,
};
static const unsigned int tun_bits[5] = {
	TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_USO4, TUN_F_USO6,
};
static const uint64_t l4_states[4] = {
	RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_BAD,
	RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_NONE,
};

/* fwd_to_vnet on m and every invariant of its result; the header, the
 * bytes copied and the result go back to the caller. */
static int
check_to_vnet(const struct rte_mbuf *m, const struct vnet_offloads *o, struct virtio_net_hdr *vh,
	      uint16_t *hlen)
{
	static uint8_t before[MAX_FRAME], after[MAX_FRAME];
	uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	bool lro = (m->ol_flags & RTE_MBUF_F_RX_LRO) != 0;
	struct vnet_ctr c = { 0 };
	uint8_t *hbuf = malloc(VNET_HDR_COPY);
	uint32_t n, i, diff = 0;
	uint16_t segsz = m->tso_segsz;
	int r;

	if (hbuf == NULL)
		abort();
	memset(vh, 0, sizeof(*vh));
	n = flatten(m, before);
	r = fwd_to_vnet(m, vh, hbuf, hlen, o, &c);
	FZ_ASSERT(flatten(m, after) == n && memcmp(before, after, n) == 0, "mbuf written");
	FZ_ASSERT(m->tso_segsz == segsz, "mbuf field written");
	FZ_ASSERT(r == 0 || r == -1, "returned %d", r);
	if (r == 0 && vh->flags != 0) {
		uint32_t need = (uint32_t)vh->csum_start + vh->csum_offset + 2;

		FZ_ASSERT(vh->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM, "flags %u", vh->flags);
		FZ_ASSERT(vh->csum_offset == offsetof(struct rte_tcp_hdr, cksum) ||
			  vh->csum_offset == offsetof(struct rte_udp_hdr, dgram_cksum),
			  "csum_offset %u", vh->csum_offset);
		FZ_ASSERT(need <= *hlen && *hlen <= VNET_HDR_COPY && *hlen <= m->data_len,
			  "field ends at %u, %u bytes copied, first segment %u", need, *hlen,
			  m->data_len);
		FZ_ASSERT(vh->hdr_len >= need && vh->hdr_len == *hlen,
			  "hdr_len %u, csum %u+%u, copied %u", vh->hdr_len, vh->csum_start,
			  vh->csum_offset, *hlen);
		for (i = 0; i < *hlen; i++)
			if (hbuf[i] != before[i] && (i < vh->csum_start + vh->csum_offset ||
						     i >= need))
				diff++;
		FZ_ASSERT(diff <= (lro ? 2u : 0u), "%u header bytes changed besides the seed", diff);
		FZ_ASSERT(c.tx_gso + c.tx_csum == 1, "counted %" PRIu64, c.tx_gso + c.tx_csum);
		FZ_ASSERT(lro || l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
			  l4f == RTE_MBUF_F_RX_L4_CKSUM_NONE, "header for flags 0x%" PRIx64,
			  m->ol_flags);
	} else if (r == 0) {
		FZ_ASSERT(vh->gso_type == 0 && vh->hdr_len == 0 && vh->gso_size == 0 &&
			  vh->csum_start == 0 && vh->csum_offset == 0 && *hlen == 0,
			  "plain frame with gso %u hdr_len %u hlen %u", vh->gso_type, vh->hdr_len,
			  *hlen);
		FZ_ASSERT(!lro, "LRO frame sent plain");
		FZ_ASSERT(c.tx_gso + c.tx_csum == 0, "counted a plain frame");
	} else {
		FZ_ASSERT(lro || l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
			  l4f == RTE_MBUF_F_RX_L4_CKSUM_NONE, "dropped for flags 0x%" PRIx64,
			  m->ol_flags);
		FZ_ASSERT(c.tx_gso + c.tx_csum == 0, "counted a dropped frame");
	}
	if (r == 0 && vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		unsigned int took = vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? TUN_F_TSO4 :
			vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV6 ? TUN_F_TSO6 :
			vh->gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 ? TUN_F_USO4 | TUN_F_USO6 : 0;

		FZ_ASSERT(took != 0 && (vh->gso_type != VIRTIO_NET_HDR_GSO_UDP_L4 ||
					(o->tun & took)),
			  "gso type %u, kernel took 0x%x", vh->gso_type, o->tun);
		FZ_ASSERT(lro && vh->gso_size == segsz && segsz != 0, "gso_size %u, tso_segsz %u",
			  vh->gso_size, segsz);
		FZ_ASSERT(c.tx_gso == 1, "GSO not counted");
	}
	FZ_ASSERT(!(r == 0 && lro) || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE,
		  "LRO frame without GSO");
	free(hbuf);
	return r;
}

/* fwd_from_vnet on m and every invariant of its result. */
static int
check_from_vnet(struct rte_mbuf *m, const struct virtio_net_hdr *vh, const struct vnet_offloads *o)
{
	static uint8_t before[MAX_FRAME], after[MAX_FRAME];
	const uint64_t l4_tx = RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;
	struct vnet_ctr c = { 0 };
	uint32_t n, i, lo = 0, hi = 0;
	uint64_t ol;
	int r;

	n = flatten(m, before);
	r = fwd_from_vnet(m, vh, o, &c);
	FZ_ASSERT(flatten(m, after) == n, "length changed");
	FZ_ASSERT(r == 0 || r == -1, "returned %d", r);
	ol = m->ol_flags;
	if (r != 0) {
		FZ_ASSERT(memcmp(before, after, n) == 0, "refused frame written");
		return r;
	}
	if (ol & RTE_MBUF_F_TX_TCP_SEG)
		FZ_ASSERT(o->tx & RTE_ETH_TX_OFFLOAD_TCP_TSO, "TSO not enabled");
	else if (ol & RTE_MBUF_F_TX_UDP_SEG)
		FZ_ASSERT(o->tx & RTE_ETH_TX_OFFLOAD_UDP_TSO, "UDP TSO not enabled");
	else if ((ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM)
		FZ_ASSERT(o->tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM, "TCP checksum not enabled");
	else if ((ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM)
		FZ_ASSERT(o->tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM, "UDP checksum not enabled");
	else
		FZ_ASSERT((ol & RTE_MBUF_F_TX_L4_MASK) == 0, "L4 flags 0x%" PRIx64, ol);
	FZ_ASSERT(!(ol & RTE_MBUF_F_TX_IP_CKSUM) || (o->tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM),
		  "IPv4 checksum not enabled");
	if (ol & l4_tx) {
		bool tcp = (ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM;

		FZ_ASSERT((ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM ||
			  (ol & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM,
			  "flags 0x%" PRIx64, ol);
		FZ_ASSERT(!(ol & RTE_MBUF_F_TX_TCP_SEG) || tcp, "TSO on UDP");
		FZ_ASSERT(!(ol & RTE_MBUF_F_TX_UDP_SEG) || !tcp, "UDP segmentation on TCP");
		FZ_ASSERT(!!(ol & RTE_MBUF_F_TX_IPV4) + !!(ol & RTE_MBUF_F_TX_IPV6) == 1,
			  "flags 0x%" PRIx64, ol);
		FZ_ASSERT(m->l4_len >= (tcp ? 20 : 8) && m->l3_len >= 20 && m->l2_len >= 14,
			  "l2/l3/l4 %u/%u/%u", m->l2_len, m->l3_len, m->l4_len);
		FZ_ASSERT((uint32_t)m->l2_len + m->l3_len + m->l4_len <= m->data_len,
			  "headers %u past the first segment %u",
			  m->l2_len + m->l3_len + m->l4_len, m->data_len);
		if (ol & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))
			FZ_ASSERT(m->tso_segsz == vh->gso_size && m->tso_segsz != 0,
				  "tso_segsz %u, gso_size %u", m->tso_segsz, vh->gso_size);
		else
			FZ_ASSERT(vh->csum_start == m->l2_len + m->l3_len &&
				  vh->csum_offset == (tcp ? 16 : 6), "checksum at %u+%u, l2+l3 %u",
				  vh->csum_start, vh->csum_offset, m->l2_len + m->l3_len);
	}
	if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE)
		FZ_ASSERT(ol & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG),
			  "GSO header accepted without segmentation");
	FZ_ASSERT(c.rx_gso + c.rx_csum == ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != 0 ||
		  (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ? 1u : 0u),
		  "counters %" PRIu64 "/%" PRIu64, c.rx_gso, c.rx_csum);
	/* Bytes written: one 2-byte field at most. */
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		lo = m->l2_len + m->l3_len + 16u;
		hi = lo + 2;
	} else if (!(ol & l4_tx) && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		lo = (uint32_t)vh->csum_start + vh->csum_offset;
		hi = lo + 2;
	}
	for (i = 0; i < n; i++)
		FZ_ASSERT(before[i] == after[i] || (i >= lo && i < hi),
			  "byte %u written (allowed %u..%u)", i, lo, hi);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_offloads o = { 0 };
	struct virtio_net_hdr vh, back;
	uint32_t cuts[MAX_CUTS], len;
	unsigned int mode, ncut, i;
	uint64_t rx_ol;
	uint16_t segsz, hlen;
	const uint8_t *p;
	struct rte_mbuf *m;
	int r;

	if (size < HEAD + 1)
		return 0;
	mode = data[0] % 3;
	for (i = 0; i < RTE_DIM(tx_bits); i++) {
		if (data[1] & (1u << i))
			o.tx |= tx_bits[i];
		if (data[2] & (1u << i))
			o.tun |= tun_bits[i];
	}
	rx_ol = l4_states[data[3] & 3] | (data[3] & 4 ? RTE_MBUF_F_RX_LRO : 0) |
		(data[3] & 8 ? RTE_MBUF_F_RX_IP_CKSUM_BAD : 0) |
		(data[3] & 16 ? RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED : 0);
	segsz = (uint16_t)(data[4] | data[5] << 8);
	memcpy(&vh, data + 6, sizeof(vh));
	ncut = data[16] % (MAX_CUTS + 1);
	p = data + HEAD;
	size -= HEAD;
	if (size < 2 * ncut + 1)
		return 0;
	for (i = 0; i < ncut; i++)
		cuts[i] = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) % 2048;
	p += 2 * ncut;
	size -= 2 * ncut;
	len = (uint32_t)RTE_MIN(size, (size_t)MAX_FRAME);
	m = mk_chain(p, len, cuts, ncut);

	if (mode == 0) {
		m->ol_flags = rx_ol;
		m->tso_segsz = segsz;
		check_to_vnet(m, &o, &back, &hlen);
	} else if (mode == 1) {
		check_from_vnet(m, &vh, &o);
	} else if (check_from_vnet(m, &vh, &o) == 0) {
		/* Across the window, as net_cxlmem's receiver reports what
		 * this end asked for; anything else arrives as the peer
		 * says (the input's flags). */
		uint64_t ol = m->ol_flags;
		bool seg = (ol & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)) != 0;
		bool csum = (ol & RTE_MBUF_F_TX_L4_MASK) != 0;
		uint32_t hdrs = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
		uint16_t l2l3 = (uint16_t)(m->l2_len + m->l3_len);
		uint8_t gso = vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
		unsigned int need;

		if (csum)
			m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE | (seg ? RTE_MBUF_F_RX_LRO : 0);
		else
			m->ol_flags = rx_ol & ~RTE_MBUF_F_RX_LRO;
		if (!seg)
			m->tso_segsz = 0;
		m->l2_len = m->l3_len = m->l4_len = 0;
		r = check_to_vnet(m, &o, &back, &hlen);
		need = (ol & RTE_MBUF_F_TX_IPV4) ? TUN_F_USO4 : TUN_F_USO6;
		if (seg && gso == VIRTIO_NET_HDR_GSO_UDP_L4 && !(o.tun & need)) {
			FZ_ASSERT(r == -1, "GSO %u to a kernel that took 0x%x", gso, o.tun);
		} else if (csum && hdrs <= VNET_HDR_COPY) {
			FZ_ASSERT(r == 0, "refused on the way back (gso %u, headers %u)", gso, hdrs);
			FZ_ASSERT(back.gso_type == (seg ? gso : 0) &&
				  back.gso_size == (seg ? vh.gso_size : 0),
				  "gso %u/%u back, %u/%u sent", back.gso_type, back.gso_size,
				  vh.gso_type, vh.gso_size);
			FZ_ASSERT(back.csum_start == l2l3 && back.hdr_len == hdrs &&
				  (seg || (back.csum_start == vh.csum_start &&
					   back.csum_offset == vh.csum_offset)),
				  "csum %u+%u hdr_len %u back, %u+%u sent, headers %u",
				  back.csum_start, back.csum_offset, back.hdr_len, vh.csum_start,
				  vh.csum_offset, hdrs);
		}
	}
	free_chain(m);
	return 0;
}
