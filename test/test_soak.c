/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_soak.c - integrity soak: both ends of one window in one process, one
 * lcore per end, 4 queues, both directions at once.
 *
 * Every frame carries a soak header: magic, direction, queue, a per-queue
 * sequence number, its length, and a CRC32C of its payload. A hash of
 * (direction, queue, sequence) gives each frame its shape, so the receiver
 * knows what to expect:
 *   - 15 in 16 are plain frames (EtherType 0x88b5, the soak header right
 *     after the 14-byte Ethernet header) of 60..9000 bytes: 3 in 4 are
 *     60..1514, 1 in 4 are 1515..9000; every 8th frame is sent as a
 *     two-segment mbuf chain, and RX mbufs hold 2 KiB, so jumbo frames
 *     arrive scattered.
 *   - 1 in 16 is a TCP/IPv4 GSO frame of 2000..30000 bytes of TCP payload
 *     (the soak header right after the TCP header, then the CRC'd payload),
 *     MSS 536, 1448 or 8960, sent as an mbuf chain (its first segment
 *     ends inside or after the headers) with TX_TCP_SEG|IPV4|IP_CKSUM and
 *     the pseudo-header sum without the length in its TCP checksum field.
 *     Host->device: the device port enabled TCP_LRO, so the frame crosses
 *     whole and must arrive as one chain with RX_LRO and tso_segsz = MSS
 *     (and, with rx_partial_csum=on, its checksum still partial).
 *     Device->host: the host port did not, so the device's PMD segments it;
 *     the host checks each segment (IPv4 header checksum, total length and
 *     id; TCP checksum over the segment; sequence number continuity; at
 *     most MSS bytes of payload; FIN/PSH on the last only) and reassembles
 *     the frame per queue before checking it as a soak frame.
 * The receiver checks each soak frame: sequence is the next one of its
 * queue (none lost, none twice, in order), length, header and payload CRC.
 * At the end every counter (ethdev stats, per-queue stats, xstats) must
 * agree with what the soak itself sent and received: the PMD counts frames
 * in the window (a segmented GSO frame is one frame per segment), so the
 * soak counts those "wire" frames and bytes apart from its soak frames.
 *
 * Usage: test_soak [--seconds S] [--frames N] [--devargs K=V,...] [-- EAL args]
 *   --seconds S  stop sending after S seconds (default 20)
 *   --frames N   stop sending after N soak frames in all (default: no limit)
 *   --devargs    appended to both ends' devargs (e.g. coherence=flush)
 * Exits 0 when every check passed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "cxlmem_compat.h"

#define NB_Q 4
#define BURST 32
#define SOAK_MAGIC 0x534f414bu /* "SOAK" */
#define HDR_OFF 14
#define NOISE 16384

/* GSO frames: Ethernet + IPv4 + TCP headers (no options), then the soak
 * header; TCP payload (soak header included) GSO_MIN..GSO_MAX bytes. */
#define TCP_HDRS (RTE_ETHER_HDR_LEN + 20 + 20)
#define GSO_MIN 2000u
#define GSO_MAX 30000u
#define GSO_TX_CHUNK 8192u           /* TX chain segments after the first */
#define TCP_FLAGS_LAST (RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG)

struct __rte_packed_begin soak_hdr {
	uint32_t magic;
	uint16_t dir;
	uint16_t queue;
	uint64_t seq;
	uint32_t len;   /**< the frame's length (a GSO frame's, whole) */
	uint32_t crc;   /**< CRC32C of the payload: frame bytes [PAY_OFF, len),
			 *   or [GSO_PAY_OFF, len) in a GSO frame */
	uint16_t pad;   /**< puts the payload at an 8-byte boundary */
} __rte_packed_end;
#define PAY_OFF (HDR_OFF + sizeof(struct soak_hdr))
#define GSO_PAY_OFF (TCP_HDRS + sizeof(struct soak_hdr))
/* rte_hash_crc() reads 8 bytes at a time: keep its input 8-byte aligned. */
_Static_assert(PAY_OFF % 8 == 0, "payload offset");
_Static_assert(GSO_PAY_OFF % 8 == 0, "GSO payload offset");

/* A reassembly buffer holds a GSO frame's TCP payload at RB_OFF, so its
 * CRC'd payload (after the soak header) is 8-byte aligned. */
#define RB_OFF 6u
_Static_assert((RB_OFF + sizeof(struct soak_hdr)) % 8 == 0, "reassembly offset");
/* Each queue's buffer 64-byte aligned, as the first. */
#define RB_LEN RTE_ALIGN_CEIL(RB_OFF + GSO_MAX, 64u)

/* What the hash of (direction, queue, sequence) makes of a frame. */
struct shape {
	uint32_t len;      /**< frame length (a GSO frame's, whole) */
	bool gso;          /**< a TCP/IPv4 GSO frame; the rest only then: */
	uint16_t mss;
	uint32_t tcp_seq;  /**< TCP sequence number of its first payload byte */
	uint16_t ip_id;    /**< IPv4 id of its first segment */
	uint16_t split;    /**< bytes in its first TX mbuf */
};

/* A GSO frame being reassembled from its segments (device->host). */
struct reasm {
	bool active;
	uint64_t seq;      /**< its soak sequence number */
	struct shape s;
	uint32_t have;     /**< TCP payload bytes so far */
	uint32_t nseg;     /**< segments so far */
};

struct end {
	const char *name;
	uint16_t port;
	uint16_t dir;                /* direction this end sends: 0 host->dev, 1 dev->host */
	bool peer_lro;               /* the peer enabled TCP_LRO: GSO frames cross whole */
	/* Soak frames (a GSO frame counts once, with its whole length). */
	uint64_t sent[NB_Q], sent_bytes[NB_Q];
	uint64_t got[NB_Q], got_bytes[NB_Q];
	/* Frames in the window, as the PMD counts them (a segment is one). */
	uint64_t wire_sent[NB_Q], wire_sent_bytes[NB_Q];
	uint64_t wire_got[NB_Q], wire_got_bytes[NB_Q];
	/* GSO frames sent; received whole (LRO); segments received; frames
	 * reassembled from them. */
	uint64_t gso_sent[NB_Q], gso_segs_sent[NB_Q];
	uint64_t gso_whole[NB_Q], segs_got[NB_Q], gso_reasm[NB_Q];
	uint64_t bad_seq, bad_len, bad_crc, bad_hdr, bad_seg, bad_lro;
	struct rte_mbuf *pending[NB_Q][BURST];
	uint16_t npending[NB_Q];
	struct rte_mempool *txp;
	struct reasm rs[NB_Q];
	uint8_t rbuf[NB_Q][RB_LEN] __rte_aligned(64);
};

static uint8_t noise[NOISE + GSO_MAX + 64] __rte_aligned(64);
static volatile int stop_sending;
static volatile int stop_all;
static struct end ends[2];
static uint64_t frame_limit;

static inline uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static struct shape
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

static inline const struct end *
peer_of(const struct end *e)
{
	return &ends[!(e - ends)];
}

/* Copy len bytes from src into a chain of TX mbufs whose first holds first
 * bytes and the others up to GSO_TX_CHUNK. Returns the head or NULL. */
static struct rte_mbuf *
chain_from(struct rte_mempool *mp, const uint8_t *hdr, uint32_t hdr_len, const uint8_t *pay,
	   uint32_t len, uint32_t first)
{
	struct rte_mbuf *head = NULL, *prev = NULL;
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
		if (head == NULL) {
			head = m;
			head->pkt_len = n;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		prev = m;
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

static struct rte_mbuf *
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
static void
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

/* Count soak frame seq of queue q, taken by the PMD, as sent: its bytes,
 * and the frames and bytes it makes in the window (one frame when it goes
 * whole; one per segment when the PMD segments it). */
static void
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

/* One pass over queue q of end e: top up and send its pending frames
 * (what the PMD does not take stays pending, in order), then receive and
 * check a burst. */
static void
poll_queue(struct end *e, uint16_t q)
{
	struct rte_mbuf *rx[BURST];
	uint16_t i, n;

	if (!stop_sending) {
		while (e->npending[q] < BURST) {
			struct rte_mbuf *m = make_frame(e, q, e->sent[q] + e->npending[q]);

			if (m == NULL)
				break;
			e->pending[q][e->npending[q]++] = m;
		}
		n = rte_eth_tx_burst(e->port, q, e->pending[q], e->npending[q]);
		/* The PMD freed what it took (count it from its shape, not from
		 * the freed mbufs); keep the rest, in order. */
		for (i = 0; i < n; i++)
			count_sent(e, q, e->sent[q]);
		memmove(e->pending[q], e->pending[q] + n,
			(e->npending[q] - n) * sizeof(e->pending[q][0]));
		e->npending[q] -= n;
	}
	n = rte_eth_rx_burst(e->port, q, rx, BURST);
	for (i = 0; i < n; i++) {
		check_frame(e, q, rx[i]);
		rte_pktmbuf_free(rx[i]);
	}
}

static int
run_end(void *arg)
{
	struct end *e = arg;
	uint16_t q;

	while (!stop_all)
		for (q = 0; q < NB_Q; q++)
			poll_queue(e, q);
	for (q = 0; q < NB_Q; q++)
		rte_pktmbuf_free_bulk(e->pending[q], e->npending[q]);
	return 0;
}

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

/* ethdev's per-queue xstat DIR_qQ_WHAT (e.g. tx_q1_packets). */
static uint64_t
qxstat(uint16_t port, const char *dir, unsigned int q, const char *what)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];

	snprintf(name, sizeof(name), "%s_q%u_%s", dir, q, what);
	return xstat(port, name);
}

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

static uint64_t
total(const uint64_t *v)
{
	uint64_t t = 0;
	unsigned int q;

	for (q = 0; q < NB_Q; q++)
		t += v[q];
	return t;
}

/* MTU 9000, TSO on transmit; lro: take GSO frames whole on receive. */
static int
setup(uint16_t port, struct rte_mempool *rxp, bool lro)
{
	struct rte_eth_conf conf = { .rxmode = { .mtu = 9000 } };
	uint16_t q;

	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_SCATTER; /* 2 KiB mbufs, jumbo frames */
	if (lro) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_LRO;
		conf.rxmode.max_lro_pkt_size = 65535;
	}
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_TCP_TSO |
			       RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;

	if (rte_eth_dev_configure(port, NB_Q, NB_Q, &conf) != 0)
		return -1;
	for (q = 0; q < NB_Q; q++)
		if (rte_eth_rx_queue_setup(port, q, 0, rte_socket_id(), NULL, rxp) != 0 ||
		    rte_eth_tx_queue_setup(port, q, 0, rte_socket_id(), NULL) != 0)
			return -1;
	return rte_eth_dev_start(port);
}

static char win[128];

static void
remove_window(void)
{
	unlink(win);
}

int
main(int argc, char **argv)
{
	char prefix[64], args[512];
	const char *extra = "";
	char *eal[32];
	int eal_argc = 0, opt, i;
	double seconds = 20;
	struct rte_mempool *rxp, *txp[2];
	struct rte_eth_stats st[2];
	unsigned int worker;
	uint64_t t0, t_last, hz, frames = 0, bytes = 0;
	uint16_t q;
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'f' },
		{ "devargs", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's': seconds = atof(optarg); break;
		case 'f': frame_limit = strtoull(optarg, NULL, 0); break;
		case 'd': extra = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--seconds S] [--frames N] [--devargs K=V,...] [-- EAL args]\n",
				argv[0]);
			return 2;
		}
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlsoak%d", (int)getpid());
	eal[eal_argc++] = argv[0];
	if (optind < argc) {
		for (i = optind; i < argc && eal_argc < 30; i++)
			eal[eal_argc++] = argv[i];
	} else {
		const char *def[] = { "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "-l", "0,1",
				      "--log-level=pmd.net.cxlmem:notice", prefix };

		for (i = 0; i < (int)RTE_DIM(def); i++)
			eal[eal_argc++] = (char *)(uintptr_t)def[i];
	}
	eal[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal) < 0) {
		printf("FAIL: EAL init\n");
		return 1;
	}
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE) {
		printf("FAIL: the soak needs two lcores (-l 0,1)\n");
		return 1;
	}
	for (i = 0; i < (int)sizeof(noise); i++)
		noise[i] = (uint8_t)mix((uint64_t)i);

	rxp = rte_pktmbuf_pool_create("soak_rx", 16383, 256, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				      rte_socket_id());
	/* TX: up to NB_Q * BURST frames pending per end, a GSO frame a chain
	 * of up to 1 + GSO_MAX / GSO_TX_CHUNK + 1 mbufs. */
	txp[0] = rte_pktmbuf_pool_create("soak_tx0", 2047, 64, 0, 9216 + RTE_PKTMBUF_HEADROOM,
					 rte_socket_id());
	txp[1] = rte_pktmbuf_pool_create("soak_tx1", 2047, 64, 0, 9216 + RTE_PKTMBUF_HEADROOM,
					 rte_socket_id());
	if (rxp == NULL || txp[0] == NULL || txp[1] == NULL) {
		printf("FAIL: mempools: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	snprintf(win, sizeof(win), "/dev/shm/cxlmem-soak-%d", (int)getpid());
	unlink(win);
	atexit(remove_window); /* every exit, the early failures too */
	for (i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "net_cxlmem_soak%d", i);
		/* The device end checks GSO frames as they crossed, their
		 * checksum partial (rx_partial_csum=on). */
		snprintf(args, sizeof(args), "role=%s,path=%s,queues=%d%s%s%s", i ? "device" : "host",
			 win, NB_Q, i ? ",rx_partial_csum=on" : "", *extra ? "," : "", extra);
		if (i == 0)
			printf("devargs: %s\n", args);
		if (rte_vdev_init(name, args) != 0 ||
		    rte_eth_dev_get_port_by_name(name, &ends[i].port) != 0) {
			printf("FAIL: probe %s\n", args);
			return 1;
		}
		ends[i].name = i ? "device" : "host";
		ends[i].dir = (uint16_t)i;
		ends[i].txp = txp[i];
		/* The device end takes GSO frames whole (TCP_LRO); the host
		 * end does not, so the device's PMD segments them. */
		ends[i].peer_lro = i == 0;
	}
	if (setup(ends[0].port, rxp, false) != 0 || setup(ends[1].port, rxp, true) != 0) {
		printf("FAIL: port setup\n");
		return 1;
	}
	hz = rte_get_timer_hz();
	t0 = rte_get_timer_cycles();
	for (;;) {
		struct rte_eth_link a, b;

		if (rte_eth_link_get_nowait(ends[0].port, &a) == 0 &&
		    rte_eth_link_get_nowait(ends[1].port, &b) == 0 &&
		    a.link_status && b.link_status)
			break;
		if (rte_get_timer_cycles() - t0 > 5 * hz) {
			printf("FAIL: link not up within 5 s\n");
			return 1;
		}
		rte_delay_us_sleep(1000);
	}
	rte_eth_stats_reset(ends[0].port);
	rte_eth_stats_reset(ends[1].port);

	printf("soak: 4 queues, both directions, 60..9000-byte frames, %.0f s%s\n", seconds,
	       frame_limit ? " or frame limit" : "");
	printf("soak: 1 frame in 16 a TCP/IPv4 GSO frame of %u..%u bytes of TCP payload, MSS 536, "
	       "1448 or 8960: whole to the device (TCP_LRO), segmented to the host\n", GSO_MIN,
	       GSO_MAX);
	t0 = t_last = rte_get_timer_cycles();
	rte_eal_remote_launch(run_end, &ends[1], worker);
	/* The main lcore drives the host end and watches the clock between bursts. */
	{
		struct end *e = &ends[0];

		while (!stop_all) {
			uint64_t now = rte_get_timer_cycles();

			for (q = 0; q < NB_Q; q++)
				poll_queue(e, q);
			if (now - t_last > 5 * hz) {
				double el = (double)(now - t0) / hz;
				uint64_t f = total(ends[0].got) + total(ends[1].got);
				uint64_t b = total(ends[0].got_bytes) + total(ends[1].got_bytes);

				printf("  %6.0f s: %" PRIu64 " frames received (%.2f Mfps, %.2f Gbit/s)\n",
				       el, f, f / el / 1e6, b * 8 / el / 1e9);
				fflush(stdout);
				t_last = now;
			}
			if (!stop_sending &&
			    (now - t0 > (uint64_t)(seconds * hz) ||
			     (frame_limit && total(ends[0].sent) + total(ends[1].sent) >= frame_limit))) {
				stop_sending = 1;
				t_last = now; /* drain: stop when nothing is in flight */
			}
			if (stop_sending) {
				int drained = 1;

				for (q = 0; q < NB_Q; q++)
					if (ends[0].got[q] < ends[1].sent[q] ||
					    ends[1].got[q] < ends[0].sent[q])
						drained = 0;
				if (drained || now - t0 > (uint64_t)((seconds + 30) * hz))
					stop_all = 1;
			}
		}
		for (q = 0; q < NB_Q; q++)
			rte_pktmbuf_free_bulk(e->pending[q], e->npending[q]);
	}
	rte_eal_mp_wait_lcore();
	{
		double el = (double)(rte_get_timer_cycles() - t0) / hz;

		frames = total(ends[0].got) + total(ends[1].got);
		bytes = total(ends[0].got_bytes) + total(ends[1].got_bytes);
		printf("soak: %" PRIu64 " frames, %" PRIu64 " bytes in %.1f s (%.2f Mfps, %.2f Gbit/s)\n",
		       frames, bytes, el, frames / el / 1e6, bytes * 8 / el / 1e9);
		printf("soak: GSO frames: host->device %" PRIu64 " sent, %" PRIu64 " received whole; "
		       "device->host %" PRIu64 " sent, %" PRIu64 " received in %" PRIu64 " segments\n",
		       total(ends[0].gso_sent), total(ends[1].gso_whole), total(ends[1].gso_sent),
		       total(ends[0].gso_reasm), total(ends[0].segs_got));
	}

	/* Every frame once, intact, in order; every counter agrees. */
	CHECK(rte_eth_stats_get(ends[0].port, &st[0]) == 0 &&
	      rte_eth_stats_get(ends[1].port, &st[1]) == 0, "rte_eth_stats_get failed");
	for (i = 0; i < 2; i++) {
		struct end *tx = &ends[i], *rx = &ends[!i];
		const uint64_t gso_tx = total(tx->gso_sent);

		CHECK(rx->bad_seq == 0 && rx->bad_len == 0 && rx->bad_crc == 0 && rx->bad_hdr == 0,
		      "%s received %" PRIu64 " out-of-sequence, %" PRIu64 " wrong-length, %" PRIu64
		      " corrupt, %" PRIu64 " foreign frames", rx->name, rx->bad_seq, rx->bad_len,
		      rx->bad_crc, rx->bad_hdr);
		CHECK(rx->bad_seg == 0 && rx->bad_lro == 0,
		      "%s received %" PRIu64 " bad TCP segments, %" PRIu64 " bad LRO frames", rx->name,
		      rx->bad_seg, rx->bad_lro);
		for (q = 0; q < NB_Q; q++) {
			CHECK(!rx->rs[q].active, "queue %u %s->%s: GSO frame %" PRIu64 " incomplete at "
			      "the end (%u bytes in %u segments)", q, tx->name, rx->name,
			      rx->rs[q].seq, rx->rs[q].have, rx->rs[q].nseg);
			CHECK(rx->got[q] == tx->sent[q], "queue %u %s->%s: sent %" PRIu64 ", received %"
			      PRIu64, q, tx->name, rx->name, tx->sent[q], rx->got[q]);
			CHECK(rx->got_bytes[q] == tx->sent_bytes[q], "queue %u %s->%s: bytes differ", q,
			      tx->name, rx->name);
			/* The PMDs count frames in the window: segments one by one. */
			CHECK(rx->wire_got[q] == tx->wire_sent[q] &&
			      rx->wire_got_bytes[q] == tx->wire_sent_bytes[q],
			      "queue %u %s->%s: window frames sent %" PRIu64 " / %" PRIu64 " bytes, received %"
			      PRIu64 " / %" PRIu64 " bytes", q, tx->name, rx->name, tx->wire_sent[q],
			      tx->wire_sent_bytes[q], rx->wire_got[q], rx->wire_got_bytes[q]);
			/* Per-queue counters: ethdev's tx_qN_ and rx_qN_ xstats,
			 * which it fills from the PMD's stats_get on every release. */
			CHECK(qxstat(tx->port, "tx", q, "packets") == tx->wire_sent[q] &&
			      qxstat(rx->port, "rx", q, "packets") == rx->wire_got[q],
			      "queue %u %s->%s: tx_q%u_packets %" PRIu64 " rx_q%u_packets %" PRIu64
			      ", soak %" PRIu64, q, tx->name, rx->name, q, qxstat(tx->port, "tx", q, "packets"),
			      q, qxstat(rx->port, "rx", q, "packets"), tx->wire_sent[q]);
			CHECK(qxstat(tx->port, "tx", q, "bytes") == tx->wire_sent_bytes[q] &&
			      qxstat(rx->port, "rx", q, "bytes") == rx->wire_got_bytes[q],
			      "queue %u %s->%s: per-queue bytes disagree", q, tx->name, rx->name);
		}
		CHECK(st[i].opackets == total(tx->wire_sent) && st[!i].ipackets == total(rx->wire_got),
		      "%s opackets %" PRIu64 " / peer ipackets %" PRIu64 " / soak %" PRIu64, tx->name,
		      st[i].opackets, st[!i].ipackets, total(tx->wire_sent));
		CHECK(st[i].obytes == total(tx->wire_sent_bytes) &&
		      st[!i].ibytes == total(rx->wire_got_bytes),
		      "%s obytes %" PRIu64 " / peer ibytes %" PRIu64 " / soak %" PRIu64, tx->name,
		      st[i].obytes, st[!i].ibytes, total(tx->wire_sent_bytes));
		CHECK(st[i].ierrors == 0 && st[i].oerrors == 0, "%s ierrors %" PRIu64 " oerrors %" PRIu64,
		      tx->name, st[i].ierrors, st[i].oerrors);
		CHECK(xstat(tx->port, "invalid_desc") == 0 && xstat(tx->port, "invalid_index") == 0 &&
		      xstat(tx->port, "tx_refused") == 0 && xstat(tx->port, "peer_restarts") == 0 &&
		      xstat(tx->port, "link_flaps") == 0,
		      "%s xstats: invalid_desc %" PRIu64 " invalid_index %" PRIu64 " tx_refused %" PRIu64
		      " peer_restarts %" PRIu64 " link_flaps %" PRIu64, tx->name,
		      xstat(tx->port, "invalid_desc"), xstat(tx->port, "invalid_index"),
		      xstat(tx->port, "tx_refused"), xstat(tx->port, "peer_restarts"),
		      xstat(tx->port, "link_flaps"));
		CHECK(xstat(tx->port, "rx_bad_offload") == 0 && xstat(tx->port, "tx_bad_offload") == 0 &&
		      xstat(tx->port, "rx_too_long") == 0 && xstat(tx->port, "tx_too_long") == 0,
		      "%s xstats: rx_bad_offload %" PRIu64 " tx_bad_offload %" PRIu64 " rx_too_long %"
		      PRIu64 " tx_too_long %" PRIu64, tx->name, xstat(tx->port, "rx_bad_offload"),
		      xstat(tx->port, "tx_bad_offload"), xstat(tx->port, "rx_too_long"),
		      xstat(tx->port, "tx_too_long"));
		/* GSO frames: whole to a receiver with LRO, else segmented by
		 * the sender's PMD (and only then). */
		CHECK(gso_tx > 0, "%s sent no GSO frame", tx->name);
		CHECK(xstat(tx->port, "tx_gso_segmented") == (tx->peer_lro ? 0 : gso_tx),
		      "%s tx_gso_segmented %" PRIu64 ", expected %" PRIu64, tx->name,
		      xstat(tx->port, "tx_gso_segmented"), tx->peer_lro ? 0 : gso_tx);
		if (tx->peer_lro)
			CHECK(total(rx->gso_whole) == gso_tx && total(rx->segs_got) == 0,
			      "%s->%s: %" PRIu64 " GSO frames sent, %" PRIu64 " received whole, %" PRIu64
			      " TCP segments received", tx->name, rx->name, gso_tx, total(rx->gso_whole),
			      total(rx->segs_got));
		else
			CHECK(total(rx->gso_reasm) == gso_tx && total(rx->gso_whole) == 0 &&
			      total(rx->segs_got) == total(tx->gso_segs_sent),
			      "%s->%s: %" PRIu64 " GSO frames sent as %" PRIu64 " segments; received %"
			      PRIu64 " segments, %" PRIu64 " frames reassembled, %" PRIu64 " whole",
			      tx->name, rx->name, gso_tx, total(tx->gso_segs_sent), total(rx->segs_got),
			      total(rx->gso_reasm), total(rx->gso_whole));
		printf("%s: sent %" PRIu64 " frames / %" PRIu64 " bytes, ring_full %" PRIu64
		       ", rx_nombuf %" PRIu64 "\n", tx->name, total(tx->sent), total(tx->sent_bytes),
		       xstat(tx->port, "ring_full"), xstat(tx->port, "rx_nombuf"));
		printf("%s: %" PRIu64 " GSO frames (%s), %" PRIu64 " frames / %" PRIu64
		       " bytes in the window, tx_gso_segmented %" PRIu64 "\n", tx->name, gso_tx,
		       tx->peer_lro ? "whole" : "segmented", total(tx->wire_sent),
		       total(tx->wire_sent_bytes), xstat(tx->port, "tx_gso_segmented"));
	}
	CHECK(frames > 0, "no frame moved");
	CHECK(rte_mempool_in_use_count(rxp) == 0 && rte_mempool_in_use_count(txp[0]) == 0 &&
	      rte_mempool_in_use_count(txp[1]) == 0, "mbufs leaked: rx %u tx %u/%u",
	      rte_mempool_in_use_count(rxp), rte_mempool_in_use_count(txp[0]),
	      rte_mempool_in_use_count(txp[1]));

	for (i = 0; i < 2; i++) {
		rte_eth_dev_stop(ends[i].port);
		rte_eth_dev_close(ends[i].port);
	}
	unlink(win);
	rte_eal_cleanup();
	printf("soak: %" PRIu64 " frames, %d failed checks\n", frames, failures);
	return failures ? 1 : 0;
}
