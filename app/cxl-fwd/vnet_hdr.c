/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: virtio_net_hdr <-> mbuf offload fields (vnet_hdr.h).
 *
 * How DPDK's virtio PMD maps the same fields (read, not copied):
 * drivers/net/virtio/virtio_rxtx.c, virtio_rx_offload() and
 * virtqueue.h, virtqueue_xmit_offload().
 */
#include <stddef.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vnet_hdr.h"

/* ---- kernel -> window: virtio_net_hdr to mbuf TX offload fields ---------- */

int
fwd_csum_in_software(struct rte_mbuf *m, uint16_t start, uint16_t off, bool udp)
{
	uint16_t sum, *field;
	struct rte_mbuf *seg = m;
	uint32_t pos = (uint32_t)start + off;

	if (pos + 2 > m->pkt_len || start >= m->pkt_len)
		return -1;
	if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &sum) != 0)
		return -1;
	sum = (uint16_t)~sum;
	if (udp && sum == 0)
		sum = 0xffff;
	while (seg != NULL && pos >= seg->data_len) {
		pos -= seg->data_len;
		seg = seg->next;
	}
	if (seg == NULL || pos + 2 > seg->data_len)
		return -1;	/* the field straddles two segments */
	field = rte_pktmbuf_mtod_offset(seg, uint16_t *, pos);
	*field = sum;
	return 0;
}

/*
 * The checksum seed: for CHECKSUM_PARTIAL (NEEDS_CSUM) frames the kernel
 * leaves in the L4 checksum field the folded pseudo-header sum including the
 * L4 length (__tcp_v4_send_check(), udp4_hwcsum(): ~tcp_v4_check(len, ...)),
 * which is exactly what the mbuf API asks for with RTE_MBUF_F_TX_TCP_CKSUM /
 * UDP_CKSUM (rte_ipv4_phdr_cksum(ip, 0)): nothing to change. For TCP GSO
 * frames the kernel's seed includes the super-frame's length too
 * (tcp_gso_segment() takes it out again), but RTE_MBUF_F_TX_TCP_SEG wants the
 * seed without the length (rte_ipv4_phdr_cksum() with TCP_SEG), so it is
 * recomputed with DPDK's helper. For UDP GSO DPDK's helper keeps the length,
 * as the kernel does.
 */
int
fwd_from_vnet(struct rte_mbuf *m, const struct virtio_net_hdr *vh,
	      const struct vnet_offloads *o, struct vnet_ctr *c)
{
	struct rte_net_hdr_lens hl;
	uint32_t ptype, l4;
	uint64_t ol = 0;
	uint8_t gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	bool v4, v6;
	void *l3, *l4h;

	ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
				  RTE_PTYPE_L4_MASK);
	v4 = RTE_ETH_IS_IPV4_HDR(ptype);
	v6 = RTE_ETH_IS_IPV6_HDR(ptype);
	l4 = ptype & RTE_PTYPE_L4_MASK;
	m->l2_len = hl.l2_len;
	m->l3_len = hl.l3_len;
	m->l4_len = hl.l4_len;

	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (vh->gso_size == 0 || !(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			return -1;
		switch (gso) {
		case VIRTIO_NET_HDR_GSO_TCPV4:
		case VIRTIO_NET_HDR_GSO_TCPV6:
			if (l4 != RTE_PTYPE_L4_TCP ||
			    (gso == VIRTIO_NET_HDR_GSO_TCPV4 ? !v4 : !v6) ||
			    !(o->tx & RTE_ETH_TX_OFFLOAD_TCP_TSO))
				return -1;
			ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
			break;
		case VIRTIO_NET_HDR_GSO_UDP_L4:
			if (l4 != RTE_PTYPE_L4_UDP || !(v4 || v6) ||
			    !(o->tx & RTE_ETH_TX_OFFLOAD_UDP_TSO))
				return -1;
			ol = RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM;
			break;
		default:
			return -1;	/* UFO (fragments): never asked for */
		}
		/* Each IPv4 segment needs its header checksum: asked for
		 * when the port offers it, else left to its TSO (as virtio's
		 * does without advertising IPV4_CKSUM). */
		ol |= v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
		if (v4 && (o->tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM))
			ol |= RTE_MBUF_F_TX_IP_CKSUM;
		if ((uint32_t)m->l2_len + m->l3_len + m->l4_len > m->data_len)
			return -1;	/* headers not in the first segment */
		m->tso_segsz = vh->gso_size;
		m->ol_flags |= ol;
		l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
		l4h = rte_pktmbuf_mtod_offset(m, char *, m->l2_len + m->l3_len);
		if (ol & RTE_MBUF_F_TX_TCP_SEG)
			((struct rte_tcp_hdr *)l4h)->cksum = v4 ?
				rte_ipv4_phdr_cksum(l3, ol) : rte_ipv6_phdr_cksum(l3, ol);
		c->rx_gso++;
		return 0;
	}
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		bool tcp = l4 == RTE_PTYPE_L4_TCP, udp = l4 == RTE_PTYPE_L4_UDP;
		uint16_t start = vh->csum_start, off = vh->csum_offset;

		c->rx_csum++;
		if ((v4 || v6) && start == m->l2_len + m->l3_len &&
		    ((tcp && off == offsetof(struct rte_tcp_hdr, cksum) &&
		      (o->tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) ||
		     (udp && off == offsetof(struct rte_udp_hdr, dgram_cksum) &&
		      (o->tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)))) {
			m->ol_flags |= (tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM) |
				       (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
			return 0;
		}
		/* Anything else (a tunnel, an unknown protocol): complete
		 * it here, as virtio_rx_offload() does. */
		return fwd_csum_in_software(m, start, off, udp);
	}
	/* VIRTIO_NET_HDR_F_DATA_VALID: the checksum in the data is right. */
	return 0;
}

/* ---- window -> kernel: mbuf RX offload flags to virtio_net_hdr ----------- */

/*
 * RTE_MBUF_F_RX_LRO (a super-frame, tso_segsz the segment size) -> GSO TCPv4/
 * TCPv6 (UDP: UDP_L4) with NEEDS_CSUM. RTE_MBUF_F_RX_L4_CKSUM_NONE (the field
 * is not right, the data is intact) and _GOOD (verified) -> NEEDS_CSUM: the
 * kernel then trusts the data and computes the checksum only if the frame
 * leaves through another device. In all three the field gets the seed the
 * kernel expects: the pseudo-header sum with the L4 length (see
 * fwd_from_vnet()). csum_start/csum_offset are computed from the headers
 * (rte_net_get_ptype). Anything else (UNKNOWN, BAD) goes as a plain frame:
 * the kernel verifies.
 */
int
fwd_to_vnet(const struct rte_mbuf *m, struct virtio_net_hdr *vh, uint8_t *hbuf,
	    uint16_t *hlen, const struct vnet_offloads *o, struct vnet_ctr *c)
{
	uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	bool lro = (m->ol_flags & RTE_MBUF_F_RX_LRO) != 0;
	struct rte_net_hdr_lens hl;
	uint32_t ptype, l4, hdrs;
	bool v4, v6, tcp, udp;
	uint16_t *field;

	RTE_SET_USED(o);
	*hlen = 0;
	if (!lro && l4f != RTE_MBUF_F_RX_L4_CKSUM_NONE && l4f != RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return 0;
	ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
				  RTE_PTYPE_L4_MASK);
	v4 = RTE_ETH_IS_IPV4_HDR(ptype);
	v6 = RTE_ETH_IS_IPV6_HDR(ptype);
	l4 = ptype & RTE_PTYPE_L4_MASK;
	tcp = l4 == RTE_PTYPE_L4_TCP;
	udp = l4 == RTE_PTYPE_L4_UDP;
	hdrs = (uint32_t)hl.l2_len + hl.l3_len + hl.l4_len;
	if (!(v4 || v6) || !(tcp || udp) || hdrs > VNET_HDR_COPY || hdrs > m->data_len) {
		/* Verified data of a protocol we cannot point the kernel
		 * at: plain, the kernel verifies it again. A super-frame or
		 * a frame with a wrong field cannot go that way. */
		return lro || l4f == RTE_MBUF_F_RX_L4_CKSUM_NONE ? -1 : 0;
	}
	if (lro && (m->tso_segsz == 0 || (udp && hl.l4_len != sizeof(struct rte_udp_hdr))))
		return -1;
	memcpy(hbuf, rte_pktmbuf_mtod(m, const void *), hdrs);
	*hlen = (uint16_t)hdrs;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = (uint16_t)(hl.l2_len + hl.l3_len);
	vh->csum_offset = tcp ? offsetof(struct rte_tcp_hdr, cksum) :
				offsetof(struct rte_udp_hdr, dgram_cksum);
	field = (uint16_t *)(hbuf + vh->csum_start + vh->csum_offset);
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hbuf + hl.l2_len);

		*field = rte_ipv4_phdr_cksum(ip, 0);
		if (lro) {
			/* The kernel checks the IP header of every packet. */
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	} else {
		*field = rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)(hbuf + hl.l2_len), 0);
	}
	if (lro) {
		vh->gso_type = udp ? VIRTIO_NET_HDR_GSO_UDP_L4 :
			       v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		vh->gso_size = m->tso_segsz;
		vh->hdr_len = (uint16_t)hdrs;
		c->tx_gso++;
	} else {
		c->tx_csum++;
	}
	return 0;
}
