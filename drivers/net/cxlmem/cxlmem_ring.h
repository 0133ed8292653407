/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_ring.h - inline helpers of the data path, shared by the burst
 * fast paths (cxlmem_rxtx.c) and the frame slow paths (cxlmem_tx_frame.c,
 * cxlmem_rx_frame.c).
 */
#ifndef CXLMEM_RING_H
#define CXLMEM_RING_H

#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_common.h>

#include "cxlmem.h"

/** Bytes of offload metadata before a frame that carries it (CXLMEM_DESC_F_META). */
#define CXLMEM_META_LEN sizeof(struct cxlmem_offload)

/** Window traffic accounting, in bytes, at line granularity. */
#define CXLMEM_LINES(n) RTE_ALIGN_CEIL((uint64_t)(n), CXLMEM_LINE)

/** A descriptor as one 64-bit word: len | flags << 32 | tag << 48. */
#define CXLMEM_DESC_LEN(raw) ((uint32_t)(raw))
#define CXLMEM_DESC_FLAGS(raw) ((uint16_t)((raw) >> 32))
#define CXLMEM_DESC_TAG(raw) ((uint16_t)((raw) >> 48))

static __rte_always_inline void
cxlmem_desc_store(struct cxlmem_desc *d, uint32_t len, uint16_t flags, uint16_t tag)
{
	/* One aligned 8-byte store: the reader never sees half a descriptor. */
	rte_atomic_store_explicit((uint64_t *)d, (uint64_t)len | ((uint64_t)flags << 32) |
				  ((uint64_t)tag << 48), rte_memory_order_relaxed);
}

static __rte_always_inline uint64_t
cxlmem_desc_load(const struct cxlmem_desc *d)
{
	/* Read once; every check is made on this local copy. */
	return rte_atomic_load_explicit((const uint64_t *)d, rte_memory_order_relaxed);
}

/* The 8 bytes of an mbuf from its rearm_data marker on (data_off, refcnt,
 * nb_segs, port), as one word that may alias those fields: written in one
 * store by the RX burst. */
static __rte_always_inline cxlmem_word_t *
cxlmem_rearm_word(struct rte_mbuf *m)
{
	return (cxlmem_word_t *)(void *)((uintptr_t)m + offsetof(struct rte_mbuf, rearm_data));
}

/* The rearm_data word of a fresh mbuf of port: data_off RTE_PKTMBUF_HEADROOM,
 * refcnt 1, nb_segs 1, port; built from a template mbuf, as other PMDs do. */
static inline uint64_t
cxlmem_mbuf_rearm(uint16_t port)
{
	struct rte_mbuf t = { .buf_addr = NULL };

	t.data_off = RTE_PKTMBUF_HEADROOM;
	rte_mbuf_refcnt_set(&t, 1);
	t.nb_segs = 1;
	t.port = port;
	return *cxlmem_rearm_word(&t);
}

static __rte_always_inline uint8_t *
cxlmem_slot(const struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t slot)
{
	return r->bufs + (size_t)(slot & q->mask) * q->buf_size;
}

/*
 * This process's addresses of q's ring. The queue itself is shared with
 * secondary processes and holds no window address; each process maps the
 * window where it can and keeps the ring addresses in its own
 * pmd_process_private (cxlmem_rings_map()).
 */
static __rte_always_inline const struct cxlmem_ring *
cxlmem_queue_ring(const struct cxlmem_queue *q)
{
	const struct pmd_process_private *pp = rte_eth_devices[q->port_id].process_private;

	return &pp->rings[q->queue_id][q->dir];
}

#endif /* CXLMEM_RING_H */
