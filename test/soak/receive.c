/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * receive.c - what the soak checks in every frame it receives: the soak
 * header (the peer's, this queue's, the next in sequence), the length and
 * shape the hash gives it, the payload CRC; a GSO frame received whole
 * (LRO) with its headers as sent, or segmented by the peer's PMD, each
 * segment checked and the frame reassembled per queue. Faults are counted
 * in the end's bad_* counters (reconcile.c checks them), the first five of
 * each kind printed.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>

#include "soak.h"

/*
 * A soak header h (found: it could be read) of a frame received on queue
 * q: the peer's, for this queue, the next in sequence? Counts a foreign
 * header (the frame is counted received, nothing more to check: returns
 * false) and a sequence fault (resynchronises on h.seq, to count further
 * faults separately).
 */
static bool
hdr_check(struct end *e, uint16_t q, const struct soak_hdr *h, bool found, uint32_t len)
{
	const struct end *peer = peer_of(e);
	const uint64_t want = e->got[q];

	if (!found || h->magic != SOAK_MAGIC || h->dir != peer->dir || h->queue != q) {
		if (e->bad_hdr++ < 5)
			printf("%s q%u: frame %" PRIu64 ": bad soak header (len %u: magic 0x%08x "
			       "dir %u queue %u)\n", e->name, q, want, len, h->magic, h->dir,
			       h->queue);
		e->got[q]++;
		return false;
	}
	if (h->seq != want) {
		if (e->bad_seq++ < 5)
			printf("%s q%u: got sequence %" PRIu64 ", expected %" PRIu64 "\n", e->name, q,
			       h->seq, want);
		e->got[q] = h->seq;
	}
	return true;
}

/* Length and shape of soak frame h that arrived with len bytes: as the
 * hash says, and a GSO frame exactly when gso. */
static bool
len_check(struct end *e, uint16_t q, const struct soak_hdr *h, uint32_t len, bool gso)
{
	const struct shape s = frame_shape(peer_of(e)->dir, q, h->seq);

	if (len != h->len || h->len != s.len || s.gso != gso) {
		if (e->bad_len++ < 5)
			printf("%s q%u seq %" PRIu64 ": length %u (%s), header says %u, expected %u "
			       "(%s)\n", e->name, q, h->seq, len, gso ? "GSO" : "plain", h->len, s.len,
			       s.gso ? "GSO" : "plain");
		return false;
	}
	return true;
}

static void
crc_check(struct end *e, uint16_t q, const struct soak_hdr *h, uint32_t crc)
{
	if (crc != h->crc && e->bad_crc++ < 5)
		printf("%s q%u seq %" PRIu64 ": payload CRC 0x%08x, header says 0x%08x\n",
		       e->name, q, h->seq, crc, h->crc);
}

/* Check the soak frame in mbuf m (its soak header at hdr_off) of queue q:
 * header, sequence, length, CRC (segment by segment). Returns false when
 * the header is foreign; *h is the header read. */
static bool
check_soak(struct end *e, uint16_t q, const struct rte_mbuf *m, uint32_t hdr_off, bool gso,
	   struct soak_hdr *h)
{
	const uint32_t pay_off = hdr_off + sizeof(*h);
	const struct rte_mbuf *s;
	const void *hp = rte_pktmbuf_read(m, hdr_off, sizeof(*h), h);
	uint32_t crc = 0, off = 0;

	if (hp == NULL)
		memset(h, 0, sizeof(*h));
	else if (hp != h)
		memcpy(h, hp, sizeof(*h));
	if (!hdr_check(e, q, h, hp != NULL, m->pkt_len))
		return false;
	if (len_check(e, q, h, m->pkt_len, gso)) {
		/* CRC over the payload, segment by segment. */
		for (s = m; s != NULL; s = s->next) {
			uint32_t a = off < pay_off ? pay_off - off : 0;

			if (a < s->data_len)
				crc = rte_hash_crc(rte_pktmbuf_mtod_offset(s, uint8_t *, a),
						   s->data_len - a, crc);
			off += s->data_len;
		}
		crc_check(e, q, h, crc);
	}
	e->got[q]++;
	e->got_bytes[q] += m->pkt_len;
	return true;
}

#define SEG_FAIL(e, ...) do {                                                   \
	if ((e)->bad_seg++ < 5) {                                               \
		printf(__VA_ARGS__);                                            \
		printf("\n");                                                   \
	}                                                                       \
} while (0)

/* Give up the GSO frame being reassembled on q (it was cut short). */
static void
reasm_abandon(struct end *e, uint16_t q, const char *why)
{
	struct reasm *r = &e->rs[q];

	SEG_FAIL(e, "%s q%u seq %" PRIu64 ": GSO frame abandoned after %u segments, %u of %u "
		 "TCP payload bytes: %s", e->name, q, r->seq, r->nseg, r->have,
		 r->s.len - TCP_HDRS, why);
	r->active = false;
	e->got[q] = r->seq + 1;
}

/*
 * One TCP segment (no RX_LRO) of a GSO frame the peer's PMD segmented:
 * check its headers and checksums against the frame's shape, append its
 * payload to queue q's reassembly, and check the soak frame when whole.
 */
static void
rx_segment(struct end *e, uint16_t q, const struct rte_mbuf *m)
{
	struct reasm *r = &e->rs[q];
	uint8_t hb[2 + TCP_HDRS] __rte_aligned(8);
	const uint8_t *p;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	uint32_t chunk, want, tcp_seq;
	uint8_t flags;
	bool last;

	e->segs_got[q]++;
	if (m->pkt_len <= TCP_HDRS) {
		SEG_FAIL(e, "%s q%u: IPv4 frame of %u bytes", e->name, q, m->pkt_len);
		return;
	}
	p = rte_pktmbuf_read(m, 0, TCP_HDRS, hb + 2);
	if (p != hb + 2)
		memcpy(hb + 2, p, TCP_HDRS);
	ip = (const struct rte_ipv4_hdr *)(hb + 2 + RTE_ETHER_HDR_LEN);
	th = (const struct rte_tcp_hdr *)(hb + 2 + RTE_ETHER_HDR_LEN + 20);
	chunk = m->pkt_len - TCP_HDRS;
	tcp_seq = rte_be_to_cpu_32(th->sent_seq);

	if (!r->active) {
		/* The first segment of a GSO frame: its payload starts with
		 * the soak header. */
		struct soak_hdr h;
		const void *hp = chunk >= sizeof(h) ?
				 rte_pktmbuf_read(m, TCP_HDRS, sizeof(h), &h) : NULL;
		struct shape s;

		if (hp != NULL && hp != &h)
			memcpy(&h, hp, sizeof(h));
		if (hp == NULL || h.magic != SOAK_MAGIC) {
			SEG_FAIL(e, "%s q%u: TCP segment (seq %u, %u bytes) that starts no GSO frame",
				 e->name, q, tcp_seq, chunk);
			return;
		}
		if (!hdr_check(e, q, &h, true, m->pkt_len))
			return;
		s = frame_shape(peer_of(e)->dir, q, h.seq);
		if (!s.gso) {
			len_check(e, q, &h, m->pkt_len, true); /* counts it */
			e->got[q]++;
			return;
		}
		r->active = true;
		r->seq = h.seq;
		r->s = s;
		r->have = 0;
		r->nseg = 0;
	}
	want = r->s.len - TCP_HDRS;
	last = r->have + chunk == want;
	flags = last ? TCP_FLAGS_LAST : RTE_TCP_ACK_FLAG;
	if (ip->version_ihl != 0x45 || ip->next_proto_id != IPPROTO_TCP ||
	    rte_raw_cksum(ip, sizeof(*ip)) != 0xffff ||
	    rte_be_to_cpu_16(ip->total_length) != m->pkt_len - RTE_ETHER_HDR_LEN ||
	    rte_be_to_cpu_16(ip->packet_id) != (uint16_t)(r->s.ip_id + r->nseg)) {
		SEG_FAIL(e, "%s q%u seq %" PRIu64 " segment %u: bad IPv4 header (sum 0x%04x, length "
			 "%u of a %u-byte frame, id %u, expected %u)", e->name, q, r->seq, r->nseg,
			 rte_raw_cksum(ip, sizeof(*ip)), rte_be_to_cpu_16(ip->total_length),
			 m->pkt_len, rte_be_to_cpu_16(ip->packet_id),
			 (uint16_t)(r->s.ip_id + r->nseg));
	}
	if (rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, RTE_ETHER_HDR_LEN + 20) != 0)
		SEG_FAIL(e, "%s q%u seq %" PRIu64 " segment %u: bad TCP checksum 0x%04x", e->name,
			 q, r->seq, r->nseg, rte_be_to_cpu_16(th->cksum));
	if (th->tcp_flags != flags || (m->ol_flags & RTE_MBUF_F_RX_LRO) || th->data_off != 5 << 4)
		SEG_FAIL(e, "%s q%u seq %" PRIu64 " segment %u%s: TCP flags 0x%02x, expected 0x%02x "
			 "(ol_flags 0x%" PRIx64 ")", e->name, q, r->seq, r->nseg, last ? " (last)" : "",
			 th->tcp_flags, flags, m->ol_flags);
	if (tcp_seq != r->s.tcp_seq + r->have || chunk > r->s.mss || r->have + chunk > want) {
		char why[128];

		snprintf(why, sizeof(why), "segment with TCP sequence %u (expected %u), %u bytes "
			 "(MSS %u)", tcp_seq, r->s.tcp_seq + r->have, chunk, r->s.mss);
		reasm_abandon(e, q, why);
		return;
	}
	p = rte_pktmbuf_read(m, TCP_HDRS, chunk, e->rbuf[q] + RB_OFF + r->have);
	if (p != e->rbuf[q] + RB_OFF + r->have)
		memcpy(e->rbuf[q] + RB_OFF + r->have, p, chunk);
	r->have += chunk;
	r->nseg++;
	if (last) {
		/* Whole: check it as a soak frame. */
		struct soak_hdr h;

		memcpy(&h, e->rbuf[q] + RB_OFF, sizeof(h));
		r->active = false;
		e->gso_reasm[q]++;
		if (r->nseg != (want + r->s.mss - 1) / r->s.mss)
			SEG_FAIL(e, "%s q%u seq %" PRIu64 ": %u segments of MSS %u for %u bytes",
				 e->name, q, r->seq, r->nseg, r->s.mss, want);
		/* Its header is the first segment's, checked by hdr_check(). */
		if (len_check(e, q, &h, TCP_HDRS + r->have, true))
			crc_check(e, q, &h, rte_hash_crc(e->rbuf[q] + RB_OFF + sizeof(h),
							 want - sizeof(h), 0));
		e->got[q] = r->seq + 1;
		e->got_bytes[q] += TCP_HDRS + r->have;
	}
}

/* A GSO frame received whole (RX_LRO): the headers as sent (the IPv4
 * checksum completed by the sender's PMD, the TCP checksum left partial),
 * then the usual soak checks. */
static void
rx_lro(struct end *e, uint16_t q, const struct rte_mbuf *m)
{
	uint8_t hb[2 + TCP_HDRS] __rte_aligned(8);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(hb + 2 + RTE_ETHER_HDR_LEN);
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(hb + 2 + RTE_ETHER_HDR_LEN + 20);
	const void *p = rte_pktmbuf_read(m, 0, TCP_HDRS, hb + 2);
	struct soak_hdr h;
	struct shape s;

	e->gso_whole[q]++;
	if (p == NULL) {
		if (e->bad_lro++ < 5)
			printf("%s q%u: LRO frame of %u bytes\n", e->name, q, m->pkt_len);
		e->got[q]++;
		return;
	}
	if (p != hb + 2)
		memcpy(hb + 2, p, TCP_HDRS);
	if (!check_soak(e, q, m, TCP_HDRS, true, &h))
		return;
	s = frame_shape(peer_of(e)->dir, q, h.seq);
	if (rte_raw_cksum(ip, sizeof(*ip)) != 0xffff ||
	    rte_be_to_cpu_16(ip->total_length) != m->pkt_len - RTE_ETHER_HDR_LEN ||
	    rte_be_to_cpu_16(ip->packet_id) != s.ip_id ||
	    rte_be_to_cpu_32(th->sent_seq) != s.tcp_seq || th->tcp_flags != TCP_FLAGS_LAST ||
	    th->cksum != rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_TCP_SEG) ||
	    m->tso_segsz != s.mss ||
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE) {
		if (e->bad_lro++ < 5)
			printf("%s q%u seq %" PRIu64 ": LRO frame: IPv4 sum 0x%04x length %u id %u, "
			       "TCP seq %u flags 0x%02x cksum 0x%04x, tso_segsz %u (MSS %u), "
			       "ol_flags 0x%" PRIx64 "\n", e->name, q, h.seq,
			       rte_raw_cksum(ip, sizeof(*ip)), rte_be_to_cpu_16(ip->total_length),
			       rte_be_to_cpu_16(ip->packet_id), rte_be_to_cpu_32(th->sent_seq),
			       th->tcp_flags, th->cksum, m->tso_segsz, s.mss, m->ol_flags);
	}
}

/* Check one frame received on queue q of e, sent by the other end. */
void
check_frame(struct end *e, uint16_t q, const struct rte_mbuf *m)
{
	uint16_t et_be = 0;
	const void *etp = rte_pktmbuf_read(m, 12, 2, &et_be);
	struct soak_hdr h;

	e->wire_got[q]++;
	e->wire_got_bytes[q] += m->pkt_len;
	if (etp != NULL && etp != &et_be)
		memcpy(&et_be, etp, 2);
	if (et_be == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && !(m->ol_flags & RTE_MBUF_F_RX_LRO)) {
		rx_segment(e, q, m);
		return;
	}
	if (e->rs[q].active)
		reasm_abandon(e, q, "a frame that is no segment came first");
	if (et_be == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		rx_lro(e, q, m);
	else
		check_soak(e, q, m, HDR_OFF, false, &h);
}
