/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_tx_frame.c - writing the frames the TX fast path (cxlmem_rxtx.c)
 * does not take into the window: frames of several slots or several mbuf
 * segments, frames that carry offload metadata (struct cxlmem_offload),
 * and the offloads this end completes itself when the peer does not take
 * them; and tx_pkt_prepare. Reading such frames is cxlmem_rx_frame.c's.
 *
 * Offloads, mapped to mbuf fields as DPDK's virtio PMD maps them to a
 * virtio_net_hdr (drivers/net/virtio: TSO and L4 checksum on transmit):
 *   TX  RTE_MBUF_F_TX_TCP_SEG (+IPV4/IPV6, l2/l3/l4_len, tso_segsz): a GSO
 *       frame, CXLMEM_GSO_TCPV4/6 with gso_size = tso_segsz, hdr_len =
 *       l2+l3+l4, its checksum partial. Crosses whole when the peer accepts
 *       it (CXLMEM_RXO_TSO4/6, within its max_gso_frame and this queue's
 *       slots); else this end segments it while copying into the window.
 *   TX  RTE_MBUF_F_TX_TCP_CKSUM/UDP_CKSUM (+IPV4/IPV6, l2/l3_len; the L4
 *       field holds the pseudo-header sum, as the mbuf API requires):
 *       crosses as CXLMEM_OFL_F_NEEDS_CSUM when the peer accepts it
 *       (CXLMEM_RXO_CSUM), else this end completes the checksum.
 *   TX  RTE_MBUF_F_TX_IP_CKSUM: this end always computes the IPv4 header
 *       checksum (virtio-net has no field for it; 20 bytes, in our copy).
 * Segmentation and checksums are computed on our copy in the window, never
 * in the application's TX mbuf (it may be shared), with rte_ip's checksum
 * helpers. DPDK 22.11's rte_gso segments TCP/IPv4 only, into chains of
 * indirect mbufs that would then be copied again; segmenting while copying
 * into the window costs no extra copy and covers TCP/IPv6 as well. UDP
 * segmentation is not offered: DPDK's UDP_TSO means IP fragmentation, which
 * a virtio-net receiver does not take.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"
#include "cxlmem_copy.h"
#include "cxlmem_ring.h"

/** Longest header a segmented frame may repeat (l2 + l3 + l4). */
#define MAX_HDR 256u

/*
 * What to do to our copy of a frame once it is in the window: compute the
 * IPv4 header checksum at ip_off, complete the L4 checksum from l4_off to
 * the end (the field at l4_off + csum_offset holds the pseudo-header sum).
 * Offsets are from the start of the frame; 0 = nothing to do.
 */
struct tx_plan {
	uint16_t ip_off;
	uint16_t l4_off;
	uint16_t csum_offset;
	bool udp;
	/* A TCP header at reseed_l4 behind the IP header at reseed_l3 (IPv6
	 * when reseed_v6) whose checksum field is to hold the pseudo-header
	 * sum with the L4 length, first; 0 = nothing to do. */
	uint16_t reseed_l3;
	uint16_t reseed_l4;
	bool reseed_v6;
};

/* Byte pos of a frame's slot space (metadata first) at slots head... */
static inline uint8_t *
at(const struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t head, uint32_t pos)
{
	return cxlmem_slot(q, r, head + pos / q->buf_size) + pos % q->buf_size;
}

/* Copy len bytes of m from moff into the frame at slot-space position pos. */
static void
put_mbuf(const struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t head,
	 uint32_t pos, const struct rte_mbuf *m, uint32_t moff, uint32_t len)
{
	while (moff >= m->data_len) {
		moff -= m->data_len;
		m = m->next;
	}
	while (len > 0) {
		const uint32_t in_slot = q->buf_size - pos % q->buf_size;
		const uint32_t in_seg = m->data_len - moff;
		const uint32_t n = RTE_MIN(len, RTE_MIN(in_slot, in_seg));

		cxlmem_copy_to_window(at(q, r, head, pos),
				      rte_pktmbuf_mtod_offset(m, uint8_t *, moff), n, q->nt_min);
		pos += n;
		moff += n;
		len -= n;
		if (moff == m->data_len && len > 0) {
			m = m->next;
			moff = 0;
		}
	}
}

/* One's-complement sum of frame bytes [pos, pos + len) of slot space; pos
 * even (every piece but the last then has an even length). */
static uint32_t
sum_window(const struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t head,
	   uint32_t pos, uint32_t len, uint32_t sum)
{
	while (len > 0) {
		const uint32_t n = RTE_MIN(len, q->buf_size - pos % q->buf_size);

		sum = __rte_raw_cksum(at(q, r, head, pos), n, sum);
		pos += n;
		len -= n;
	}
	return sum;
}

/* Apply plan to the frame of len bytes at head (after off bytes of
 * metadata). The headers lie in the first slot (cxlmem_tx_frame() checks). */
static void
apply_plan(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t head, uint32_t off,
	   uint32_t len, const struct tx_plan *p)
{
	if (p->reseed_l4 != 0) {
		/* The IP header copied out first: in the window it may sit
		 * at any byte offset (l2_len is the sender's). */
		union {
			struct rte_ipv4_hdr v4;
			struct rte_ipv6_hdr v6;
		} ip;
		uint16_t seed;

		memcpy(&ip, at(q, r, head, off + p->reseed_l3), p->reseed_v6 ? sizeof(ip.v6) :
		       sizeof(ip.v4));
		seed = p->reseed_v6 ? rte_ipv6_phdr_cksum(&ip.v6, 0) : rte_ipv4_phdr_cksum(&ip.v4, 0);
		memcpy(at(q, r, head, off + p->reseed_l4 + offsetof(struct rte_tcp_hdr, cksum)),
		       &seed, sizeof(seed));
	}
	if (p->ip_off != 0) {
		/* The IP header sits at the sender's l2_len, which may be odd,
		 * and struct rte_ipv4_hdr is 2-byte aligned since 24.11: work
		 * on its bytes. */
		uint8_t *ip = at(q, r, head, off + p->ip_off);
		const size_t at_ck = offsetof(struct rte_ipv4_hdr, hdr_checksum);
		uint16_t ck = 0;

		memcpy(ip + at_ck, &ck, sizeof(ck));
		/* rte_ipv4_cksum() on the bytes */
		ck = (uint16_t)~rte_raw_cksum(ip, (ip[0] & RTE_IPV4_HDR_IHL_MASK) *
					     RTE_IPV4_IHL_MULTIPLIER);
		memcpy(ip + at_ck, &ck, sizeof(ck));
	}
	if (p->l4_off != 0) {
		uint8_t *field = at(q, r, head, off + p->l4_off + p->csum_offset);
		uint32_t sum = sum_window(q, r, head, off + p->l4_off, len - p->l4_off, 0);
		uint16_t c = (uint16_t)~__rte_raw_cksum_reduce(sum);

		if (c == 0 && p->udp)
			c = 0xffff; /* RFC 768: 0 means "no checksum" */
		memcpy(field, &c, sizeof(c));	/* may be odd, as the IP header */
		q->st.csum_done++;
	}
}

/* Descriptors for a frame of total bytes (metadata included) at head; in
 * coherence=flush write back its lines (the sfence before the prod store
 * in tx_burst() orders them). Returns the slots used. */
static uint32_t
finish_frame(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t head,
	     uint32_t total, bool meta, bool flush)
{
	const uint32_t nslots = (total + q->buf_size - 1) / q->buf_size;
	uint32_t s, left = total;

	for (s = 0; s < nslots; s++) {
		const uint32_t chunk = RTE_MIN(left, q->buf_size);
		uint16_t flags = s + 1 < nslots ? CXLMEM_DESC_F_MORE : 0;

		if (s == 0 && meta)
			flags |= CXLMEM_DESC_F_META;
		cxlmem_desc_store(&r->desc[(head + s) & q->mask], chunk, flags, q->epoch_tag);
		if (flush) {
			cxlmem_wb_range(cxlmem_slot(q, r, head + s), chunk);
			cxlmem_wb_line(&r->desc[(head + s) & q->mask]);
		}
		left -= chunk;
	}
	q->st.win_written += CXLMEM_LINES(total) + (uint64_t)nslots * sizeof(struct cxlmem_desc);
	return nslots;
}

/* Write frame m (len bytes) at head, with metadata when meta != NULL, then
 * apply plan. The caller checked the slots. Returns the slots used. */
static uint32_t
write_frame(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t head,
	    const struct rte_mbuf *m, uint32_t len, const struct cxlmem_offload *meta,
	    const struct tx_plan *plan, bool flush)
{
	const uint32_t off = meta != NULL ? CXLMEM_META_LEN : 0;

	if (meta != NULL)
		memcpy(cxlmem_slot(q, r, head), meta, CXLMEM_META_LEN);
	put_mbuf(q, r, head, off, m, 0, len);
	if (plan != NULL)
		apply_plan(q, r, head, off, len, plan);
	return finish_frame(q, r, head, off + len, meta != NULL, flush);
}

static inline uint32_t
slots_for(const struct cxlmem_queue *q, uint32_t bytes)
{
	return (bytes + q->buf_size - 1) / q->buf_size;
}

/* Can a frame of need slots go now? 0: yes; -ENOSPC: once the ring has
 * drained; -EMSGSIZE: never, it needs more slots than this queue may hold
 * (its limit): refused, not left for a retry that cannot succeed. */
static inline int
slots_check(const struct cxlmem_queue *q, uint32_t need, uint32_t free_slots)
{
	if (unlikely(need > q->limit))
		return -EMSGSIZE;
	return need > free_slots ? -ENOSPC : 0;
}

/*
 * Segment TCP GSO frame m into frames of hdr + mss bytes while copying it
 * into the window: each gets the headers with its IP length (and, IPv4,
 * id), TCP sequence number and flags, then its full checksums (computed
 * here, in our copy). Returns the slots used, -ENOSPC or -EMSGSIZE (a
 * segment above max_frame, or more slots than the queue may ever hold);
 * nothing is written on error.
 */
static int
tx_segment(struct cxlmem_queue *q, const struct cxlmem_ring *r, const struct rte_mbuf *m,
	   uint32_t head, uint32_t free_slots, uint32_t max_frame, bool v4, bool flush,
	   uint32_t *frames, uint64_t *bytes)
{
	const uint32_t l2 = m->l2_len, l3 = m->l3_len, l4 = m->l4_len, hdr = l2 + l3 + l4;
	const uint32_t mss = m->tso_segsz, payload = m->pkt_len - hdr;
	const uint32_t nseg = (payload + mss - 1) / mss;
	const struct tx_plan plan = {
		.ip_off = v4 ? (uint16_t)l2 : 0,
		.l4_off = (uint16_t)(l2 + l3),
		.csum_offset = offsetof(struct rte_tcp_hdr, cksum),
	};
	uint8_t h[MAX_HDR];
	const struct rte_tcp_hdr *th0;
	uint32_t i, need, seq0, used = 0;
	uint16_t id0 = 0;
	int ret;

	if (hdr + RTE_MIN(mss, payload) > max_frame)
		return -EMSGSIZE;
	need = (nseg - 1) * slots_for(q, hdr + mss) + slots_for(q, hdr + payload - (nseg - 1) * mss);
	ret = slots_check(q, need, free_slots);
	if (ret != 0)
		return ret;
	/* The headers, read once from the mbuf (its chain may split them). */
	{
		const void *p = rte_pktmbuf_read(m, 0, hdr, h);

		if (p != h)
			memcpy(h, p, hdr);
	}
	th0 = (const struct rte_tcp_hdr *)(h + l2 + l3);
	seq0 = rte_be_to_cpu_32(th0->sent_seq);
	if (v4) {
		rte_be16_t id; /* h + l2 may be odd: see apply_plan() */

		memcpy(&id, h + l2 + offsetof(struct rte_ipv4_hdr, packet_id), sizeof(id));
		id0 = rte_be_to_cpu_16(id);
	}

	for (i = 0; i < nseg; i++) {
		const uint32_t chunk = RTE_MIN(mss, payload - i * mss);
		const uint32_t pos_head = head + used;
		uint8_t *d = cxlmem_slot(q, r, pos_head);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(d + l2 + l3);
		uint8_t tcp_flags = th0->tcp_flags;

		/* The headers lie in the first slot (checked by the caller). */
		memcpy(d, h, hdr);
		/* On a copy of the IP header: d + l2 may be odd (apply_plan()). */
		if (v4) {
			struct rte_ipv4_hdr ip;

			memcpy(&ip, d + l2, sizeof(ip));
			ip.total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + chunk));
			ip.packet_id = rte_cpu_to_be_16((uint16_t)(id0 + i));
			ip.hdr_checksum = 0;
			memcpy(d + l2, &ip, sizeof(ip));
			th->cksum = rte_ipv4_phdr_cksum(&ip, 0);
		} else {
			struct rte_ipv6_hdr ip6;

			memcpy(&ip6, d + l2, sizeof(ip6));
			ip6.payload_len = rte_cpu_to_be_16((uint16_t)(l3 - sizeof(ip6) + l4 + chunk));
			memcpy(d + l2, &ip6, sizeof(ip6));
			th->cksum = rte_ipv6_phdr_cksum(&ip6, 0);
		}
		th->sent_seq = rte_cpu_to_be_32(seq0 + i * mss);
		if (i + 1 < nseg)
			tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		if (i > 0)
			tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
		th->tcp_flags = tcp_flags;
		put_mbuf(q, r, pos_head, hdr, m, hdr + i * mss, chunk);
		apply_plan(q, r, pos_head, 0, hdr + chunk, &plan);
		used += finish_frame(q, r, pos_head, hdr + chunk, false, flush);
	}
	q->st.gso_segmented++;
	*frames = nseg;
	*bytes = (uint64_t)nseg * hdr + payload;
	return (int)used;
}

/*
 * Transmit frame m, which the fast path did not take, at slot head with
 * free_slots free: a plain frame of several slots or segments, or a frame
 * with offload requests (see the top of this file). On success returns
 * the slots used and sets *frames (frames written: several when this end
 * segmented a GSO frame) and *bytes. Errors, with nothing written:
 *   -ENOSPC    not enough free slots (the frame stays with the caller);
 *   -EMSGSIZE  above max_frame (our MTU or the peer's), a GSO frame
 *              whose segments would be, or a frame that needs more slots
 *              than the queue may ever hold (its descriptor count);
 *   -EINVAL    malformed mbuf: length 0, segment lengths that do not add up
 *              to pkt_len (nothing is copied from memory it does not hold);
 *   -EPROTO    an offload request this port cannot carry: UDP segmentation,
 *              SCTP checksum, missing IPV4/IPV6 flag, header lengths that do
 *              not fit the frame or the first slot, an odd L4 offset.
 */
int
cxlmem_tx_frame(struct cxlmem_queue *q, const struct cxlmem_ring *r, struct rte_mbuf *m,
		uint32_t head, uint32_t free_slots, uint32_t max_frame, bool flush,
		uint32_t *frames, uint64_t *bytes)
{
	const uint64_t ol = m->ol_flags & CXLMEM_TX_OFFLOAD_FLAGS;
	uint64_t l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	const uint32_t len = m->pkt_len;
	const bool v4 = m->ol_flags & RTE_MBUF_F_TX_IPV4, v6 = m->ol_flags & RTE_MBUF_F_TX_IPV6;
	struct cxlmem_offload meta;
	struct tx_plan plan = { 0 };
	const struct rte_mbuf *seg;
	uint32_t sum = 0, nseg = 0, l3_end, need;
	int ret;

	/* The mbuf describes exactly its bytes. */
	for (seg = m; seg != NULL && nseg < m->nb_segs; seg = seg->next, nseg++)
		sum += seg->data_len;
	if (unlikely(len == 0 || sum != len || seg != NULL || nseg != m->nb_segs))
		return -EINVAL;
	*frames = 1;
	*bytes = len;

	if (ol == 0) {
		if (len > max_frame)
			return -EMSGSIZE;
		ret = slots_check(q, slots_for(q, len), free_slots);
		if (ret != 0)
			return ret;
		return (int)write_frame(q, r, head, m, len, NULL, NULL, flush);
	}

	/* An offload request: its lengths must describe this frame, and its
	 * headers (with metadata) must lie in the first slot. */
	l3_end = (uint32_t)m->l2_len + m->l3_len;
	if ((ol & RTE_MBUF_F_TX_UDP_SEG) || l4 == RTE_MBUF_F_TX_SCTP_CKSUM || v4 == v6 ||
	    ((ol & RTE_MBUF_F_TX_IP_CKSUM) && !v4) || m->l2_len < RTE_ETHER_HDR_LEN ||
	    m->l3_len < (v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr)) ||
	    (l3_end & 1) != 0)
		return -EPROTO;
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		const uint32_t hdr = l3_end + m->l4_len;

		if (m->l4_len < sizeof(struct rte_tcp_hdr) || m->tso_segsz == 0 || hdr >= len ||
		    hdr > MAX_HDR || hdr + CXLMEM_META_LEN > q->buf_size ||
		    len > CXLMEM_MAX_GSO_FRAME_LEN)
			return -EPROTO;
		if (len - hdr > m->tso_segsz) {
			/* Each segment, hdr + tso_segsz bytes, must be a frame
			 * within the limits: the peer re-segments a whole GSO
			 * frame at gso_size and refuses gso_size above
			 * CXLMEM_MAX_FRAME_LEN (found by the fuzz harness: a
			 * 9362-byte tso_segsz crossed whole and was dropped). */
			if (hdr + m->tso_segsz > max_frame)
				return -EMSGSIZE;
			/* A GSO frame: whole, if the peer takes it. */
			need = slots_for(q, CXLMEM_META_LEN + len);
			if ((q->offloads & (v4 ? CXLMEM_RXO_TSO4 : CXLMEM_RXO_TSO6)) &&
			    len <= q->max_gso && need <= q->limit) {
				if (need > free_slots)
					return -ENOSPC; /* need <= q->limit: it will fit */
				memset(&meta, 0, sizeof(meta));
				meta.flags = CXLMEM_OFL_F_NEEDS_CSUM;
				meta.gso_type = v4 ? CXLMEM_GSO_TCPV4 : CXLMEM_GSO_TCPV6;
				meta.hdr_len = (uint16_t)hdr;
				meta.gso_size = m->tso_segsz;
				meta.csum_start = (uint16_t)l3_end;
				meta.csum_offset = offsetof(struct rte_tcp_hdr, cksum);
				plan.ip_off = (ol & RTE_MBUF_F_TX_IP_CKSUM) ? m->l2_len : 0;
				return (int)write_frame(q, r, head, m, len, &meta, &plan, flush);
			}
			/* Else segmented here. */
			return tx_segment(q, r, m, head, free_slots, max_frame, v4, flush, frames,
					  bytes);
		}
		/* One segment's worth: just its checksum is left to do. Its
		 * field holds TSO's seed, without the L4 length; checksum
		 * offload's seed has it (rte_ipv4_phdr_cksum()): rewritten in
		 * our copy. */
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;
		plan.reseed_l3 = m->l2_len;
		plan.reseed_l4 = (uint16_t)l3_end;
		plan.reseed_v6 = v6;
	}
	if (len > max_frame)
		return -EMSGSIZE;
	if (l4 != 0 && l3_end + (l4 == RTE_MBUF_F_TX_TCP_CKSUM ? sizeof(struct rte_tcp_hdr) :
				  sizeof(struct rte_udp_hdr)) >
		       RTE_MIN(len, q->buf_size - CXLMEM_META_LEN))
		return -EPROTO;
	if (!(ol & RTE_MBUF_F_TX_TCP_SEG) && l3_end + CXLMEM_META_LEN > q->buf_size)
		return -EPROTO;
	plan.ip_off = (ol & RTE_MBUF_F_TX_IP_CKSUM) ? m->l2_len : 0;
	if (l4 != 0 && (q->offloads & CXLMEM_RXO_CSUM)) {
		/* The peer takes a partial checksum. */
		ret = slots_check(q, slots_for(q, CXLMEM_META_LEN + len), free_slots);
		if (ret != 0)
			return ret;
		memset(&meta, 0, sizeof(meta));
		meta.flags = CXLMEM_OFL_F_NEEDS_CSUM;
		meta.csum_start = (uint16_t)l3_end;
		meta.csum_offset = l4 == RTE_MBUF_F_TX_TCP_CKSUM ?
				   offsetof(struct rte_tcp_hdr, cksum) :
				   offsetof(struct rte_udp_hdr, dgram_cksum);
		return (int)write_frame(q, r, head, m, len, &meta, &plan, flush);
	}
	if (l4 != 0) {
		/* We complete it, in our copy. */
		plan.l4_off = (uint16_t)l3_end;
		plan.csum_offset = l4 == RTE_MBUF_F_TX_TCP_CKSUM ? offsetof(struct rte_tcp_hdr, cksum) :
				   offsetof(struct rte_udp_hdr, dgram_cksum);
		plan.udp = l4 == RTE_MBUF_F_TX_UDP_CKSUM;
	}
	ret = slots_check(q, slots_for(q, len), free_slots);
	if (ret != 0)
		return ret;
	return (int)write_frame(q, r, head, m, len, NULL, &plan, flush);
}

/**
 * tx_pkt_prepare: check each frame's offload request and write the
 * pseudo-header sums the mbuf API asks for (rte_net_intel_cksum_prepare()),
 * as a NIC's prepare does. Returns the frames ready; on the first that is
 * not, rte_errno is EINVAL (malformed request) or ENOTSUP (an offload this
 * port does not offer).
 */
uint16_t
eth_cxlmem_tx_prepare(void *queue __rte_unused, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	uint16_t i;

	for (i = 0; i < nb_bufs; i++) {
		struct rte_mbuf *m = bufs[i];
		int ret;

		if (m->ol_flags & (RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_SCTP_CKSUM)) {
			rte_errno = ENOTSUP;
			return i;
		}
		ret = rte_validate_tx_offload(m);
		if (ret == 0)
			ret = rte_net_intel_cksum_prepare(m);
		if (ret != 0) {
			rte_errno = -ret;
			return i;
		}
	}
	return nb_bufs;
}
