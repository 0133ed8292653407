/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_zerocopy.c - zero-copy receive (devarg zerocopy=rx).
 *
 * A received frame is handed to the application as an mbuf attached to its
 * slot in the window (rte_pktmbuf_attach_extbuf()): one copy fewer per
 * frame. Its rte_mbuf_ext_shared_info lives in local memory (struct
 * cxlmem_zc), never in the window, where the peer could write it. When the
 * application frees the mbuf (in any order, from any lcore of this
 * process), the free callback marks the slot returned; the receiver moves
 * cons only over a contiguous run of slots no longer lent (cxlmem_zc_reclaim()).
 * At most `limit` slots are lent at once (the RX queue's descriptor count,
 * at most half the ring); beyond, and for frames shorter than
 * CXLMEM_ZC_COPYBREAK, frames are copied as without zerocopy=rx, so an
 * application that holds mbufs cannot take the whole ring.
 *
 * Read how netvsc (copy-break and a limit on outstanding receive buffers)
 * and mlx5's multi-packet RQ (external buffers returned through a
 * callback) solve the same problem; neither lends slots of a ring shared
 * with an untrusted peer, so this one differs where that matters: the
 * shared info is local, and the peer can still write a lent slot (it may
 * not, by the protocol: cons stays below it; a hostile peer can), which
 * costs the application the integrity of that frame's bytes, never memory
 * safety: the slot is memory of the window, mapped as long as the port.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"

/* The mbuf's last reference is gone: return its slot. Runs on whatever
 * lcore of the lending process freed the mbuf; addr is the slot's start. */
static void
zc_free_cb(void *addr, void *opaque)
{
	struct cxlmem_zc_slot *s = opaque;

	if (s->flush) {
		/* coherence=flush: the application may have written anywhere
		 * in the buffer (rte_pktmbuf_append(), headroom), not only the
		 * frame's bytes. Write every line of the slot back and drop
		 * it now, before the peer may reuse the slot: an invalidate of
		 * a line still dirty here, later, would write the
		 * application's bytes over the peer's. */
		cxlmem_inv_range(addr, s->buf_size);
		cxlmem_mfence();
	}
	/* Release: the application's use of the slot happens before the
	 * receiver sees it returned; pairs with the acquire load in
	 * cxlmem_zc_reclaim(). */
	rte_atomic_store_explicit(&s->returned, 1, rte_memory_order_release);
}

/**
 * Zero-copy state for RX queue q: at most min(nb_desc, ring_size / 2)
 * slots lent at once. flush: coherence=flush. Returns NULL when memory is
 * short (rte_malloc on socket, else any).
 */
struct cxlmem_zc *
cxlmem_zc_create(const struct cxlmem_queue *q, uint32_t nb_desc, bool flush, int socket)
{
	const size_t bytes = sizeof(struct cxlmem_zc) +
			     (size_t)q->ring_size * (sizeof(struct cxlmem_zc_slot) +
						     sizeof(struct rte_mbuf_ext_shared_info));
	struct cxlmem_zc *zc;
	uint32_t i;

	zc = rte_zmalloc_socket("cxlmem_zc", bytes, RTE_CACHE_LINE_SIZE, socket);
	if (zc == NULL)
		zc = rte_zmalloc_socket("cxlmem_zc", bytes, RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	if (zc == NULL)
		return NULL;
	zc->shinfo = (struct rte_mbuf_ext_shared_info *)(zc + 1);
	zc->slot = (struct cxlmem_zc_slot *)(zc->shinfo + q->ring_size);
	zc->size = q->ring_size;
	cxlmem_zc_set_limit(zc, nb_desc);
	for (i = 0; i < q->ring_size; i++) {
		zc->shinfo[i].fcb_opaque = &zc->slot[i];
		zc->slot[i].flush = flush;
		zc->slot[i].buf_size = q->buf_size;
	}
	return zc;
}

/** At most min(nb_desc, ring size / 2) slots lent at once, at least one. */
void
cxlmem_zc_set_limit(struct cxlmem_zc *zc, uint32_t nb_desc)
{
	zc->limit = RTE_MAX(1u, RTE_MIN(nb_desc, zc->size / 2));
}

/** Slots lent and not yet returned by the application (any thread may
 *  call it; the answer may be stale by one free). */
uint32_t
cxlmem_zc_held(const struct cxlmem_zc *zc)
{
	uint32_t i, n = 0;

	for (i = 0; i < zc->size; i++)
		n += zc->slot[i].lent &&
		     !rte_atomic_load_explicit(&zc->slot[i].returned, rte_memory_order_acquire);
	return n;
}

/**
 * Take back the slots returned since the last call, oldest first, up to
 * the first still lent; head is the receiver's next slot to read. Returns
 * the new tail: the consumer index to publish.
 */
uint32_t
cxlmem_zc_reclaim(struct cxlmem_zc *zc, uint32_t head, uint32_t mask)
{
	uint32_t tail = zc->tail;

	while (tail != head) {
		struct cxlmem_zc_slot *s = &zc->slot[tail & mask];

		if (s->lent) {
			if (!rte_atomic_load_explicit(&s->returned, rte_memory_order_acquire))
				break;
			s->returned = 0;
			s->lent = 0;
			zc->out--;
		}
		tail++;
	}
	zc->tail = tail;
	return tail;
}

/**
 * Lend slot (index into the ring) to the application as mbuf m: m's data
 * is len bytes at buf + off, in the window. m is a raw mbuf of the
 * queue's pool; its other fields are the caller's to set.
 */
void
cxlmem_zc_lend(struct cxlmem_zc *zc, struct rte_mbuf *m, uint32_t slot, uint8_t *buf,
	       uint32_t buf_size, uint32_t off, uint32_t len)
{
	struct cxlmem_zc_slot *s = &zc->slot[slot];

	s->lent = 1;
	zc->out++;
	/* The callback of this process: zc is shared memory, and a secondary
	 * process that lends slots has the function at its own address. */
	zc->shinfo[slot].free_cb = zc_free_cb;
	rte_mbuf_ext_refcnt_set(&zc->shinfo[slot], 1);
	/* No IOVA: the window is not DMA-mapped for devices (docs/cxlmem.md). */
	rte_pktmbuf_attach_extbuf(m, buf, RTE_BAD_IOVA,
				  (uint16_t)RTE_MIN(buf_size, (uint32_t)UINT16_MAX), &zc->shinfo[slot]);
	m->data_off = (uint16_t)off;
	m->data_len = (uint16_t)len;
}

/*
 * zerocopy=rx: mbufs the application still holds point into the window
 * and at q->zc (their free callback's state). Wait up to 100 ms for them
 * to come back; if some do not, the caller keeps q->zc (and the window
 * stays mapped until the process exits) rather than let a later free touch
 * freed memory. Returns true when nothing is lent any more.
 */
static bool
zc_drain(struct pmd_internals *pi, struct cxlmem_queue *q)
{
	unsigned int i;

	for (i = 0; i < 100 && q->zc->out != 0; i++) {
		cxlmem_zc_reclaim(q->zc, q->head, q->mask);
		if (q->zc->out != 0)
			rte_delay_us_sleep(1000);
	}
	if (q->zc->out == 0)
		return true;
	CXLMEM_LOG(ERR, "port %u rxq %u: the application still holds %u zero-copy mbufs; their "
		   "slots stay out of the peer's reach, and the window mapped, until they are "
		   "freed (free received mbufs before releasing the queue)", pi->port_id,
		   q->queue_id, q->zc->out);
	return false;
}

/**
 * RX queue q (zerocopy=rx) is released: its zero-copy state is freed, or,
 * when the application still holds some of its mbufs after a short wait,
 * kept for the next setup of that queue (pi->zc_kept), with the read index
 * it had reached.
 */
void
cxlmem_zc_release(struct pmd_internals *pi, struct cxlmem_queue *q)
{
	if (zc_drain(pi, q)) {
		rte_free(q->zc);
	} else {
		q->zc->kept_head = q->head;
		pi->zc_kept[q->queue_id] = q->zc; /* the held mbufs use it */
	}
	q->zc = NULL;
}

/**
 * Zero-copy state for RX queue q at its setup: the state a released queue
 * of the same id kept (its held slots stay out of the peer's reach: cons
 * stays below them, and reading goes on where it was), or a new one whose
 * tail is q->head. At most min(nb_desc, ring size / 2) slots lent at once.
 * Returns 0, or -ENOMEM.
 */
int
cxlmem_zc_setup(struct pmd_internals *pi, struct cxlmem_queue *q, uint32_t nb_desc, int socket)
{
	struct cxlmem_zc *kept = pi->zc_kept[q->queue_id];

	if (kept != NULL) {
		q->zc = kept;
		pi->zc_kept[q->queue_id] = NULL;
		cxlmem_zc_set_limit(q->zc, nb_desc);
		q->head = q->zc->kept_head;
		return 0;
	}
	q->zc = cxlmem_zc_create(q, nb_desc, pi->params.coherence == CXLMEM_COHERENCE_FLUSH,
				 socket);
	if (q->zc == NULL)
		return -ENOMEM;
	q->zc->tail = q->head;
	return 0;
}

/**
 * At the port's close (queues released): may this process unmap the
 * window? The primary frees kept states nothing is held from, and keeps
 * the window (pi->zc_held) while one is. A secondary's zero-copy mbufs
 * point into its own mapping; which process lent a slot is not recorded,
 * so any slot still lent keeps a secondary's mapping too. Returns true
 * when zero-copy mbufs still need the window.
 */
bool
cxlmem_zc_close(struct pmd_internals *pi)
{
	bool held = false;
	uint32_t i;

	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		struct cxlmem_zc *kept = pi->zc_kept[i];

		if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
			if (kept != NULL && cxlmem_zc_held(kept) == 0) {
				rte_free(kept);
				pi->zc_kept[i] = NULL;
			}
			pi->zc_held |= pi->zc_kept[i] != NULL;
		} else {
			held |= (pi->rxq[i] != NULL && pi->rxq[i]->zc != NULL &&
				 cxlmem_zc_held(pi->rxq[i]->zc) != 0) || kept != NULL;
		}
	}
	return pi->zc_held || held;
}
