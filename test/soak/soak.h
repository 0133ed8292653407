/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * soak.h - what the parts of test_soak share: the soak header every frame
 * carries, the shape the hash of (direction, queue, sequence) gives a frame,
 * and each end's state and counters. main.c describes the soak.
 */
#ifndef CXLMEM_SOAK_H
#define CXLMEM_SOAK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
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

/* One end of the window: its port, what it sends, what it got. */
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

extern struct end ends[2]; /* [0] the host end, [1] the device end (main.c) */

static inline uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static inline const struct end *
peer_of(const struct end *e)
{
	return &ends[!(e - ends)];
}

/* The sum of a per-queue counter over the queues. */
static inline uint64_t
total(const uint64_t *v)
{
	uint64_t t = 0;
	unsigned int q;

	for (q = 0; q < NB_Q; q++)
		t += v[q];
	return t;
}

/* ---- frames.c: what is sent ---- */

/* Fill the random payload every frame takes its bytes from. */
void noise_init(void);
/* The shape of frame seq of queue q sent in direction dir. */
struct shape frame_shape(uint16_t dir, uint16_t q, uint64_t seq);
/* Soak frame seq of queue q of end e, as mbufs of e->txp; NULL when short. */
struct rte_mbuf *make_frame(struct end *e, uint16_t q, uint64_t seq);
/* Count soak frame seq of queue q, taken by the PMD, as sent. */
void count_sent(struct end *e, uint16_t q, uint64_t seq);

/* ---- receive.c: what is checked on receipt ---- */

/* Check one frame received on queue q of e, sent by the other end. */
void check_frame(struct end *e, uint16_t q, const struct rte_mbuf *m);

/* ---- reconcile.c: the counters at the end ---- */

/* Check that every frame arrived once, intact, in order, and that the
 * ports' stats and xstats agree with the soak's counts; frames: soak
 * frames received; the pools must have every mbuf back. Prints the checks'
 * summary; returns the exit status (0: every check passed). */
int reconcile(uint64_t frames, struct rte_mempool *rxp, struct rte_mempool *const txp[2]);

#endif /* CXLMEM_SOAK_H */
