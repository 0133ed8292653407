/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_rx_frame.c - reading the frames the RX fast path (cxlmem_rxtx.c)
 * does not take out of the window: frames of several slots, frames that do
 * not fit one mbuf, frames that carry offload metadata (struct
 * cxlmem_offload); zerocopy=rx lending such a frame's slots; the checksum
 * status reported to the application. Writing such frames is
 * cxlmem_tx_frame.c's.
 *
 * Offloads, mapped to mbuf fields as DPDK's virtio PMD maps a
 * virtio_net_hdr to them (drivers/net/virtio: LRO and checksum status on
 * receive):
 *   RX  CXLMEM_GSO_TCPV4/6: RTE_MBUF_F_RX_LRO and tso_segsz = gso_size
 *       (only if the application enabled TCP_LRO; we publish TSO4/6 then).
 *   RX  NEEDS_CSUM: this end completes the checksum in the mbuf, and reports
 *       RTE_MBUF_F_RX_L4_CKSUM_GOOD when the application enabled TCP/UDP_CKSUM
 *       (and the field is that of the frame's TCP/UDP header). Handed over
 *       unfinished, as RTE_MBUF_F_RX_L4_CKSUM_NONE ("the checksum in the data
 *       is not correct, but the integrity of the L4 data is verified"), only
 *       with rx_partial_csum=on and TCP/UDP_CKSUM or LRO enabled: an
 *       application that forwards frames unchanged (a switch) cannot finish
 *       them, as DPDK's vhost library keeps such flags from legacy
 *       applications.
 *   RX  DATA_VALID: RTE_MBUF_F_RX_L4_CKSUM_GOOD when checksums are reported.
 *   RX  IPV4_CKSUM: the IPv4 header checksum verified here, GOOD or BAD.
 * Checksums are completed in the received mbuf (never in the window, which
 * the peer owns), with rte_ip's checksum helpers.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"
#include "cxlmem_ring.h"

/** Most slots one frame (with metadata) may span. */
#define MAX_CHAIN_SLOTS ((CXLMEM_MAX_GSO_FRAME_LEN + CXLMEM_META_LEN + CXLMEM_MIN_BUF_SIZE - 1) / \
			 CXLMEM_MIN_BUF_SIZE)
/** Most mbufs one received frame may be scattered into. */
#define MAX_RX_SEGS 512u

/* Check metadata (a local copy) against the frame of len bytes after it. */
static bool
meta_ok(const struct cxlmem_offload *o, uint32_t len)
{
	static const uint8_t zero[sizeof(o->reserved)];

	/* Unknown flags and non-zero reserved bytes: a sender of a later
	 * layout that uses them; refused rather than half understood, so
	 * they stay free to extend. */
	if ((o->flags & ~(CXLMEM_OFL_F_NEEDS_CSUM | CXLMEM_OFL_F_DATA_VALID)) != 0 ||
	    memcmp(o->reserved, zero, sizeof(zero)) != 0)
		return false;
	if ((o->flags & CXLMEM_OFL_F_NEEDS_CSUM) &&
	    (uint32_t)o->csum_start + o->csum_offset + 2 > len)
		return false;
	switch (o->gso_type) {
	case CXLMEM_GSO_NONE:
		return true;
	case CXLMEM_GSO_TCPV4:
	case CXLMEM_GSO_TCPV6:
		return o->hdr_len != 0 && o->hdr_len <= len && o->gso_size != 0 &&
		       o->gso_size <= CXLMEM_MAX_FRAME_LEN;
	default:
		return false;
	}
}

/* Store the 16-bit value v (network order already) at byte off of mbuf m,
 * where its two bytes may straddle two segments; off + 2 <= pkt_len. */
static void
mbuf_put16(struct rte_mbuf *m, uint32_t off, uint16_t v)
{
	struct rte_mbuf *seg = m;

	while (off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	if (off + 1 < seg->data_len) {
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, off), &v, 2);
	} else {
		*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) = ((uint8_t *)&v)[0];
		*rte_pktmbuf_mtod(seg->next, uint8_t *) = ((uint8_t *)&v)[1];
	}
}

/*
 * Complete the partial L4 checksum of mbuf m, whose metadata (checked by
 * meta_ok(): start + offset + 2 <= pkt_len) says it starts at byte start
 * with its field at start + offset. When the frame is TCP or UDP over
 * IPv4 or IPv6 (without extension headers) and start/offset point at that
 * header's checksum field, the checksum is computed from the headers
 * (rte_ipv4/ipv6_udptcp_cksum_mbuf, over the L4 length the IP header
 * gives, which must lie within the frame) and true is returned: the frame's
 * L4 checksum is now known to be good. Otherwise the sum runs from start
 * to the end of the frame, seeded by the field, as virtio-net defines
 * NEEDS_CSUM, and false is returned (the checksum is where the peer said,
 * but this end cannot vouch that it is the frame's L4 checksum).
 */
static bool
rx_complete_csum(struct rte_mbuf *m, uint32_t start, uint32_t offset)
{
	union {
		struct rte_ipv4_hdr v4;
		struct rte_ipv6_hdr v6;
	} ipbuf;
	struct rte_net_hdr_lens hl;
	const void *ip;
	uint32_t ptype, l4, l4_len;
	uint16_t c;

	ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
				  RTE_PTYPE_L4_MASK);
	l4 = ptype & RTE_PTYPE_L4_MASK;
	if ((l4 == RTE_PTYPE_L4_TCP || l4 == RTE_PTYPE_L4_UDP) &&
	    start == (uint32_t)hl.l2_len + hl.l3_len &&
	    offset == (l4 == RTE_PTYPE_L4_TCP ? offsetof(struct rte_tcp_hdr, cksum) :
					       offsetof(struct rte_udp_hdr, dgram_cksum))) {
		if ((ptype & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV4 ||
		    (ptype & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV4_EXT) {
			ip = rte_pktmbuf_read(m, hl.l2_len, sizeof(ipbuf.v4), &ipbuf);
			l4_len = ip == NULL ? UINT32_MAX :
				 (uint32_t)rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)ip)->total_length) -
				 hl.l3_len;
			if (ip != NULL && l4_len <= m->pkt_len - start && l4_len >= offset + 2) {
				mbuf_put16(m, start + offset, 0);
				c = rte_ipv4_udptcp_cksum_mbuf(m, ip, (uint16_t)start);
				mbuf_put16(m, start + offset, c);
				return true;
			}
		} else if ((ptype & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV6) {
			ip = rte_pktmbuf_read(m, hl.l2_len, sizeof(ipbuf.v6), &ipbuf);
			l4_len = ip == NULL ? UINT32_MAX :
				 rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)ip)->payload_len);
			if (ip != NULL && l4_len <= m->pkt_len - start && l4_len >= offset + 2) {
				mbuf_put16(m, start + offset, 0);
				c = rte_ipv6_udptcp_cksum_mbuf(m, ip, (uint16_t)start);
				mbuf_put16(m, start + offset, c);
				return true;
			}
		}
	}
	/* Another protocol, or offsets that are not its header's: finish the
	 * sum where the peer said, as a virtio-net device does. */
	if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &c) != 0)
		return false;
	c = (uint16_t)~c;
	if (c == 0 && offset == offsetof(struct rte_udp_hdr, dgram_cksum))
		c = 0xffff; /* RFC 768: 0 means "no checksum" */
	mbuf_put16(m, start + offset, c);
	return false;
}

/*
 * zerocopy=rx: lend the n slots of a checked frame as a chain of n mbufs
 * attached to them (the first after its metadata). Only when the frame is
 * at least CXLMEM_ZC_COPYBREAK bytes, n more slots may be lent, and each
 * segment fits an mbuf's 16-bit length. Returns 0 with the chain in
 * segs[0], -ENOSPC when the frame is to be copied instead, -ENOMEM when
 * no mbufs could be had (counted).
 */
static int
rx_lend(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t cons, uint32_t n,
	const uint32_t *seglen, bool has_meta, bool gso, uint32_t total, struct rte_mbuf **segs)
{
	struct cxlmem_zc *zc = q->zc;
	uint32_t s;

	if (total < CXLMEM_ZC_COPYBREAK || zc->out + n > zc->limit || n > MAX_RX_SEGS ||
	    q->buf_size > UINT16_MAX)
		return -ENOSPC;
	/* A chain only where the application takes one (SCATTER, or LRO for
	 * a GSO frame); else the frame is copied into one mbuf. */
	if (n > 1 && !(q->offloads & CXLMEM_QRX_SCATTER) && !(gso && (q->offloads & CXLMEM_QRX_LRO)))
		return -ENOSPC;
	if (rte_pktmbuf_alloc_bulk(q->mp, segs, n) != 0) {
		q->st.nombuf++;
		return -ENOMEM;
	}
	/* coherence=flush: cxlmem_rx_frame() invalidated the slots, fenced. */
	for (s = 0; s < n; s++) {
		uint8_t *src = cxlmem_slot(q, r, cons + s);
		const uint32_t off = s == 0 && has_meta ? CXLMEM_META_LEN : 0;

		cxlmem_zc_lend(zc, segs[s], (cons + s) & q->mask, src, q->buf_size, off,
			       seglen[s] - off);
		if (s > 0)
			segs[s - 1]->next = segs[s];
	}
	segs[0]->nb_segs = (uint16_t)n;
	segs[0]->pkt_len = total;
	segs[0]->port = q->port_id;
	return 0;
}

/** IPv4 header checksum status of m into its ol_flags (RX IPV4_CKSUM). */
void
cxlmem_rx_ip_cksum(struct rte_mbuf *m)
{
	struct rte_net_hdr_lens hl;
	uint8_t buf[60];
	const struct rte_ipv4_hdr *ip;
	uint32_t ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK);

	m->ol_flags &= ~RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (!RTE_ETH_IS_IPV4_HDR(ptype) || hl.l3_len < sizeof(*ip) || hl.l3_len > sizeof(buf))
		return; /* not IPv4: status unknown */
	ip = rte_pktmbuf_read(m, hl.l2_len, hl.l3_len, buf);
	if (ip == NULL)
		return;
	/* A correct header sums to 0xffff, so its checksum over it is 0. */
	m->ol_flags |= __rte_raw_cksum_reduce(__rte_raw_cksum(ip, hl.l3_len, 0)) == 0xffff ?
		       RTE_MBUF_F_RX_IP_CKSUM_GOOD : RTE_MBUF_F_RX_IP_CKSUM_BAD;
}

/*
 * Receive a frame the fast path did not take: it spans several slots,
 * does not fit one mbuf, carries metadata, or breaks a limit. The chain is
 * walked and checked on local copies of the descriptors before anything
 * is copied: each length 1..buf_size, metadata (CXLMEM_DESC_F_META) on the
 * first slot only and then checked (meta_ok()), no unknown flag, the total
 * within the protocol's limit, tagged for our epoch, ending before prod.
 * A checked frame above this queue's limits (max_frame, or max_gso for a
 * GSO frame; 0 when GSO frames are not accepted) is dropped whole.
 * fresh: how many descriptors from cons the caller invalidated after it
 * read prod (coherence=flush; they are not invalidated again).
 * Returns the slots consumed (the frame is in *out, or *out is NULL when it
 * was dropped), or 0 when no mbufs could be had (nothing consumed).
 */
uint32_t
cxlmem_rx_frame(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t cons,
		uint32_t avail, uint32_t fresh, uint32_t max_frame, struct rte_mbuf **out,
		bool flush)
{
	const struct cxlmem_desc *inv_done = NULL;
	uint32_t seglen[MAX_CHAIN_SLOTS];
	struct rte_mbuf *segs[MAX_RX_SEGS];
	struct cxlmem_offload meta = { 0 };
	uint32_t n = 0, total = 0, nmbufs, s, d, src_off, dst_off, len;
	bool ok = false, stale = false, has_meta = false, gso;

	*out = NULL;
	while (n < avail && n < MAX_CHAIN_SLOTS) {
		const uint32_t slot = cons + n;
		uint64_t raw;
		uint16_t flags;

		/* coherence=flush: a descriptor past the burst's fresh ones
		 * is invalidated before it is read, its line once. */
		if (flush && n >= fresh &&
		    CXLMEM_LINE_OF(&r->desc[slot & q->mask]) != CXLMEM_LINE_OF(inv_done)) {
			inv_done = &r->desc[slot & q->mask];
			cxlmem_inv_line(inv_done);
			cxlmem_mfence();
		}
		raw = cxlmem_desc_load(&r->desc[slot & q->mask]);
		len = CXLMEM_DESC_LEN(raw);
		flags = CXLMEM_DESC_FLAGS(raw);
		n++;
		if (CXLMEM_DESC_TAG(raw) != q->epoch_tag) {
			stale = true;
			break;
		}
		if (len == 0 || len > q->buf_size ||
		    (flags & ~(CXLMEM_DESC_F_MORE | CXLMEM_DESC_F_META)) != 0)
			break;
		if (flags & CXLMEM_DESC_F_META) {
			if (n != 1 || len <= CXLMEM_META_LEN)
				break;
			has_meta = true;
		}
		seglen[n - 1] = len;
		total += len;
		if (total > CXLMEM_MAX_GSO_FRAME_LEN + CXLMEM_META_LEN)
			break;
		if (!(flags & CXLMEM_DESC_F_MORE)) {
			ok = true;
			break;
		}
	}
	q->st.win_read += (uint64_t)n * sizeof(struct cxlmem_desc);
	if (unlikely(!ok)) {
		/* A frame for an earlier life of ours; or a bad length or flag,
		 * a frame too long, a chain that runs past prod (a sender
		 * publishes whole frames only): drop what we read. */
		if (stale)
			q->st.stale++;
		else
			q->st.errors++;
		return n;
	}
	if (flush) {
		/* Every line of the frame (metadata included) at once, one
		 * fence: the loads below cannot pass the invalidations. */
		for (s = 0; s < n; s++)
			cxlmem_inv_range(cxlmem_slot(q, r, cons + s), seglen[s]);
		cxlmem_mfence();
	}
	if (has_meta) {
		const uint8_t *first = cxlmem_slot(q, r, cons);

		/* Read once into a local copy; checked, then used. */
		memcpy(&meta, first, CXLMEM_META_LEN);
		rte_compiler_barrier();
		total -= CXLMEM_META_LEN;
		if (!meta_ok(&meta, total)) {
			q->st.bad_offload++;
			return n;
		}
	}
	gso = meta.gso_type != CXLMEM_GSO_NONE;
	if (unlikely(gso && q->max_gso == 0)) {
		/* A GSO frame we did not accept (no LRO): the sender broke
		 * the negotiation. */
		q->st.bad_offload++;
		return n;
	}
	if (unlikely(total > (gso ? q->max_gso : max_frame))) {
		/* Well formed, but above what this end takes: dropped whole,
		 * as a NIC drops an oversize frame. */
		q->st.too_long++;
		return n;
	}

	if (q->zc != NULL) {
		int ret = rx_lend(q, r, cons, n, seglen, has_meta, gso, total, segs);

		if (ret == 0) {
			q->st.zc_frames++;
			goto deliver;
		}
		if (ret == -ENOMEM)
			return 0; /* no mbufs: nothing consumed */
		q->st.zc_copied++;
	}
	nmbufs = (total + q->mbuf_room - 1) / q->mbuf_room;
	if (unlikely(nmbufs > MAX_RX_SEGS)) {
		q->st.errors++;
		return n;
	}
	if (unlikely(rte_pktmbuf_alloc_bulk(q->mp, segs, nmbufs) != 0)) {
		q->st.nombuf++;
		return 0;
	}

	d = 0;
	dst_off = 0;
	for (s = 0; s < n; s++) {
		const uint8_t *src = cxlmem_slot(q, r, cons + s);

		src_off = s == 0 && has_meta ? CXLMEM_META_LEN : 0;
		while (src_off < seglen[s]) {
			uint32_t k = RTE_MIN(seglen[s] - src_off, (uint32_t)q->mbuf_room - dst_off);

			rte_memcpy(rte_pktmbuf_mtod_offset(segs[d], uint8_t *, dst_off),
				   src + src_off, k);
			src_off += k;
			dst_off += k;
			if (dst_off == q->mbuf_room && d + 1 < nmbufs) {
				segs[d]->data_len = (uint16_t)dst_off;
				segs[d]->next = segs[d + 1];
				d++;
				dst_off = 0;
			}
		}
	}
	segs[d]->data_len = (uint16_t)dst_off;
	segs[0]->nb_segs = (uint16_t)nmbufs;
	segs[0]->pkt_len = total;
	segs[0]->port = q->port_id;
deliver:
	q->st.win_read += CXLMEM_LINES(total + (has_meta ? CXLMEM_META_LEN : 0));

	if (gso) {
		segs[0]->ol_flags |= RTE_MBUF_F_RX_LRO;
		segs[0]->tso_segsz = meta.gso_size;
	}
	if (meta.flags & CXLMEM_OFL_F_NEEDS_CSUM) {
		if ((q->offloads & CXLMEM_QRX_PARTIAL) &&
		    (gso || (q->offloads & CXLMEM_QRX_L4_CKSUM))) {
			/* rx_partial_csum=on: the application finishes it. */
			segs[0]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
		} else {
			/* An application that forwards frames as they came
			 * (a switch) must not get a partial checksum: hand it
			 * a correct one, reported GOOD where it asked. */
			if (rx_complete_csum(segs[0], meta.csum_start, meta.csum_offset) &&
			    (q->offloads & CXLMEM_QRX_L4_CKSUM))
				segs[0]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
			q->st.csum_done++;
		}
	} else if ((meta.flags & CXLMEM_OFL_F_DATA_VALID) && (q->offloads & CXLMEM_QRX_L4_CKSUM)) {
		segs[0]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}
	if (q->offloads & CXLMEM_QRX_IP_CKSUM)
		cxlmem_rx_ip_cksum(segs[0]);
	*out = segs[0];
	return n;
}
