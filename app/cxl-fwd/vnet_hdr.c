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
	struct rte_mbuf *seg = m;
	uint16_t sum;
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
	/* The kernel's csum_start may be odd: no 16-bit store. */
	memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, pos), &sum, sizeof(sum));
	return 0;
}

/*
 * Whether the L2/L3/L4 header lengths rte_net_get_ptype() found (hl, for a
 * TCP or UDP frame) can be handed on: the L4 header at least as long as its
 * fixed part (rte_net_get_ptype() takes TCP's data offset as it is, 0..60
 * bytes, and UDP's 8 bytes without looking), all headers in the first
 * segment, and each length within its mbuf field.
 */
static bool
l4_hdrs_ok(const struct rte_mbuf *m, const struct rte_net_hdr_lens *hl, bool tcp)
{
	uint32_t min = tcp ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);

	return hl->l4_len >= min && (uint32_t)hl->l2_len + hl->l3_len + hl->l4_len <= m->data_len &&
	       hl->l2_len < (1u << RTE_MBUF_L2_LEN_BITS) && hl->l3_len < (1u << RTE_MBUF_L3_LEN_BITS);
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
	bool v4, v6, tcp, udp, hdrs_ok;
	void *l3, *l4h;

	ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
				  RTE_PTYPE_L4_MASK);
	v4 = RTE_ETH_IS_IPV4_HDR(ptype);
	v6 = RTE_ETH_IS_IPV6_HDR(ptype);
	l4 = ptype & RTE_PTYPE_L4_MASK;
	tcp = l4 == RTE_PTYPE_L4_TCP;
	udp = l4 == RTE_PTYPE_L4_UDP;
	hdrs_ok = (v4 || v6) && (tcp || udp) && l4_hdrs_ok(m, &hl, tcp);
	if (hdrs_ok) {
		m->l2_len = hl.l2_len;
		m->l3_len = hl.l3_len;
		m->l4_len = hl.l4_len;
	}

	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (vh->gso_size == 0 || !(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !hdrs_ok)
			return -1;
		switch (gso) {
		case VIRTIO_NET_HDR_GSO_TCPV4:
		case VIRTIO_NET_HDR_GSO_TCPV6:
			if (!tcp || (gso == VIRTIO_NET_HDR_GSO_TCPV4 ? !v4 : !v6) ||
			    !(o->tx & RTE_ETH_TX_OFFLOAD_TCP_TSO))
				return -1;
			ol = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
			break;
		case VIRTIO_NET_HDR_GSO_UDP_L4:
			if (!udp || !(o->tx & RTE_ETH_TX_OFFLOAD_UDP_TSO))
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
		uint16_t start = vh->csum_start, off = vh->csum_offset;

		c->rx_csum++;
		if (hdrs_ok && start == m->l2_len + m->l3_len &&
		    ((tcp && off == offsetof(struct rte_tcp_hdr, cksum) &&
		      (o->tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) ||
		     (udp && off == offsetof(struct rte_udp_hdr, dgram_cksum) &&
		      (o->tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)))) {
			m->ol_flags |= (tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM) |
				       (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
			return 0;
		}
		/* Anything else (a tunnel, an unknown protocol, headers the
		 * transport could not find): complete it here, as
		 * virtio_rx_offload() does. */
		return fwd_csum_in_software(m, start, off, udp);
	}
	/* VIRTIO_NET_HDR_F_DATA_VALID: the checksum in the data is right. */
	return 0;
}

/* ---- window -> kernel: mbuf RX offload flags to virtio_net_hdr ----------- */

/*
 * RTE_MBUF_F_RX_LRO (a super-frame, tso_segsz the segment size) -> GSO TCPv4/
 * TCPv6 (UDP: UDP_L4), chosen by the frame's own headers, with NEEDS_CSUM.
 * TUNSETOFFLOAD says which GSO frames the kernel may hand us; from us a tun
 * takes TCPv4/v6 GSO whatever it was set to, but UDP_L4 only from Linux
 * 6.2, the kernels that also take TUN_F_USO4/6: a UDP super-frame goes only
 * when the kernel took those, else it is dropped (nothing here segments
 * it). RTE_MBUF_F_RX_L4_CKSUM_NONE (the field
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
	uint16_t start, off, seed;
	uint8_t gso = VIRTIO_NET_HDR_GSO_NONE;

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
	if (!(v4 || v6) || !(tcp || udp)) {
		/* Verified data of a protocol we cannot point the kernel
		 * at: plain, the kernel verifies it again. A super-frame or
		 * a frame with a wrong field cannot go that way. */
		return lro || l4f == RTE_MBUF_F_RX_L4_CKSUM_NONE ? -1 : 0;
	}
	/* A TCP header shorter than its fixed 20 bytes has no room for the
	 * checksum the flags speak of: no kernel sent that. */
	if (hl.l4_len < (tcp ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr)))
		return -1;
	if (hdrs > VNET_HDR_COPY || hdrs > m->data_len)
		return lro || l4f == RTE_MBUF_F_RX_L4_CKSUM_NONE ? -1 : 0;
	if (lro) {
		gso = udp ? VIRTIO_NET_HDR_GSO_UDP_L4 :
		      v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		if (m->tso_segsz == 0 ||
		    (udp && !(o->tun & (v4 ? TUN_F_USO4 : TUN_F_USO6))))
			return -1;
	}
	start = (uint16_t)(hl.l2_len + hl.l3_len);
	off = tcp ? offsetof(struct rte_tcp_hdr, cksum) : offsetof(struct rte_udp_hdr, dgram_cksum);
	/* Implied by the L4 minimum; the bound of the seed's write below,
	 * and what the kernel needs of hdr_len. */
	if ((uint32_t)start + off + sizeof(seed) > hdrs)
		return -1;
	memcpy(hbuf, rte_pktmbuf_mtod(m, const void *), hdrs);
	*hlen = (uint16_t)hdrs;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = start;
	vh->csum_offset = off;
	vh->hdr_len = (uint16_t)hdrs;
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hbuf + hl.l2_len);

		seed = rte_ipv4_phdr_cksum(ip, 0);
		if (lro) {
			/* The kernel checks the IP header of every packet. */
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	} else {
		seed = rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)(hbuf + hl.l2_len), 0);
	}
	memcpy(hbuf + start + off, &seed, sizeof(seed));
	if (lro) {
		vh->gso_type = gso;
		vh->gso_size = m->tso_segsz;
		c->tx_gso++;
	} else {
		c->tx_csum++;
	}
	return 0;
}
