/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_rxtx.c - the burst functions of net_cxlmem (copy mode).
 *
 * One body per direction, instantiated twice (coherence=hw and
 * coherence=flush) with a compile-time constant, so the loop that runs has
 * no mode test. The ordering rules they enforce are stated in
 * cxlmem_layout.h; each rule is repeated at the line that implements it.
 */
#include <errno.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <ethdev_driver.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"

/** Most slots one frame may span: CXLMEM_MAX_FRAME_LEN / CXLMEM_MIN_BUF_SIZE. */
#define CXLMEM_MAX_CHAIN_SLOTS (CXLMEM_MAX_FRAME_LEN / CXLMEM_MIN_BUF_SIZE)
/** Most frames one RX burst returns (larger requests are cut to this). */
#define CXLMEM_RX_BULK_MAX 64u
/** Most mbufs one received frame may be scattered into. */
#define CXLMEM_MAX_RX_SEGS 128u

/* Window traffic accounting, in bytes, at line granularity. */
#define LINES(n) RTE_ALIGN_CEIL((uint64_t)(n), CXLMEM_LINE)

static __rte_always_inline void
desc_store(struct cxlmem_desc *d, uint32_t len, uint16_t flags, uint16_t tag)
{
	/* One aligned 8-byte store: the reader never sees half a descriptor. */
	__atomic_store_n((uint64_t *)d, (uint64_t)len | ((uint64_t)flags << 32) |
			 ((uint64_t)tag << 48), __ATOMIC_RELAXED);
}

#define DESC_TAG(raw) ((uint16_t)((raw) >> 48))

static __rte_always_inline uint64_t
desc_load(const struct cxlmem_desc *d)
{
	/* Read once; every check below is made on this local copy. */
	return __atomic_load_n((const uint64_t *)d, __ATOMIC_RELAXED);
}

static __rte_always_inline uint8_t *
slot_buf(const struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t slot)
{
	return r->bufs + (size_t)slot * q->buf_size;
}

/*
 * This process's addresses of q's ring. The queue itself is shared with
 * secondary processes and holds no window address; each process maps the
 * window where it can and keeps the ring addresses in its own
 * pmd_process_private (cxlmem_rings_map()).
 */
static __rte_always_inline const struct cxlmem_ring *
queue_ring(const struct cxlmem_queue *q)
{
	const struct pmd_process_private *pp = rte_eth_devices[q->port_id].process_private;

	return &pp->rings[q->queue_id][q->dir];
}

/* Free slots this end may still fill: its limit less what it holds. */
static __rte_always_inline uint32_t
tx_free(const struct cxlmem_queue *q, uint32_t head)
{
	const uint32_t held = head - q->peer_cons;

	return held >= q->limit ? 0 : q->limit - held;
}

/*
 * Transmit a frame the fast path did not take: more than one slot, more
 * than one mbuf segment, or a length the checks below refuse. Returns the
 * number of slots used, -ENOSPC when the ring has too few free slots (the
 * frame stays with the caller), -EMSGSIZE for a frame above max_frame (our
 * MTU or the peer's), -EINVAL for a malformed mbuf: length 0, or segment
 * lengths that do not add up to pkt_len (nothing is copied from memory the
 * mbuf does not describe).
 */
static __rte_always_inline int
tx_chain(struct cxlmem_queue *q, const struct cxlmem_ring *r, const struct rte_mbuf *m,
	 uint32_t head, uint32_t free_slots, uint32_t max_frame, const bool flush)
{
	const uint32_t len = m->pkt_len;
	const struct rte_mbuf *seg;
	uint32_t seg_off = 0, left = len, nslots, s, sum = 0, nseg = 0;

	if (unlikely(len == 0))
		return -EINVAL;
	if (unlikely(len > max_frame))
		return -EMSGSIZE;
	for (seg = m; seg != NULL && nseg < m->nb_segs; seg = seg->next, nseg++)
		sum += seg->data_len;
	if (unlikely(sum != len || seg != NULL || nseg != m->nb_segs))
		return -EINVAL;
	nslots = (len + q->buf_size - 1) / q->buf_size;
	if (nslots > free_slots)
		return -ENOSPC;

	seg = m;
	for (s = 0; s < nslots; s++) {
		const uint32_t slot = (head + s) & q->mask;
		uint8_t *dst = slot_buf(q, r, slot);
		const uint32_t chunk = RTE_MIN(left, q->buf_size);
		uint32_t done = 0;

		while (done < chunk) {
			uint32_t n;

			while (seg_off == seg->data_len) {
				seg = seg->next;
				seg_off = 0;
			}
			n = RTE_MIN(chunk - done, (uint32_t)seg->data_len - seg_off);
			rte_memcpy(dst + done, rte_pktmbuf_mtod_offset(seg, uint8_t *, seg_off), n);
			done += n;
			seg_off += n;
		}
		desc_store(&r->desc[slot], chunk, s + 1 < nslots ? CXLMEM_DESC_F_MORE : 0,
			   q->epoch_tag);
		if (flush) {
			/* coherence=flush: write back payload and descriptor lines;
			 * the sfence before the prod store orders them. */
			cxlmem_wb_range(dst, chunk);
			cxlmem_wb_line(&r->desc[slot]);
		}
		left -= chunk;
	}
	q->st.win_written += LINES(len) + (uint64_t)nslots * sizeof(struct cxlmem_desc);
	return (int)nslots;
}

/*
 * Read the receiver's consumer index: the only remote read of a TX burst,
 * made only when the cached free space is short. Returns the free slots.
 */
static __rte_always_inline uint32_t
tx_refresh(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t head, const bool flush)
{
	uint32_t c;

	/* coherence=flush: drop our copy of the line first. */
	if (flush) {
		cxlmem_inv_line(r->cons);
		cxlmem_mfence();
	}
	/* Acquire: pairs with the store-release of cons in rx_burst() (and
	 * in resync_with_peer()): the receiver finished reading the slots
	 * below cons before it published cons, so we may overwrite them. */
	c = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
	/* Untrusted: cons must lie in [head - ring_size, head]. */
	if (likely((uint32_t)(head - c) <= q->ring_size))
		q->peer_cons = c;
	else
		q->st.bad_index++;
	return tx_free(q, head);
}

static __rte_always_inline uint16_t
tx_burst(struct cxlmem_queue *q, struct rte_mbuf **bufs, uint16_t nb_bufs, const bool flush)
{
	const struct cxlmem_ring *r;
	uint32_t head, free_slots, max_frame, one_slot;
	uint64_t bytes = 0, wbytes = 0;
	uint16_t i, sent = 0;
	bool refreshed = false;

	if (unlikely(!rte_spinlock_trylock(&q->lock)))
		return 0; /* the link control thread is resetting this ring */
	if (unlikely(!q->enabled)) {
		rte_spinlock_unlock(&q->lock);
		return 0;
	}
	if (unlikely(!q->peer_polls)) {
		/* The peer does not poll this queue's ring: refuse rather than
		 * fill a ring nobody drains. */
		q->st.peer_idle += nb_bufs;
		rte_spinlock_unlock(&q->lock);
		rte_pktmbuf_free_bulk(bufs, nb_bufs);
		return nb_bufs;
	}
	r = queue_ring(q);
	/* One limit for every path: frames above our MTU's or the peer's
	 * largest frame are refused. The fast path takes single-segment
	 * frames that fit one slot and that limit. */
	max_frame = __atomic_load_n(&q->max_frame, __ATOMIC_RELAXED);
	one_slot = RTE_MIN(q->buf_size, max_frame);

	head = q->head;
	free_slots = tx_free(q, head);
	if (free_slots < nb_bufs) {
		free_slots = tx_refresh(q, r, head, flush);
		refreshed = true;
	}

	for (i = 0; i < nb_bufs; i++) {
		struct rte_mbuf *m = bufs[i];
		const uint32_t len = m->pkt_len;

		if (i + 1 < nb_bufs)
			rte_prefetch0(rte_pktmbuf_mtod(bufs[i + 1], void *));

		/* data_len == pkt_len: never copy bytes the mbuf does not hold. */
		if (likely(m->nb_segs == 1 && m->data_len == len && len - 1 < one_slot)) {
			const uint32_t slot = head & q->mask;
			uint8_t *dst = slot_buf(q, r, slot);

			if (unlikely(free_slots == 0))
				break;
			/* Payload and descriptor first; the index is published
			 * after the loop (store-release below). */
			rte_memcpy(dst, rte_pktmbuf_mtod(m, void *), len);
			desc_store(&r->desc[slot], len, 0, q->epoch_tag);
			if (flush) {
				cxlmem_wb_range(dst, len);
				cxlmem_wb_line(&r->desc[slot]);
			}
			head++;
			free_slots--;
			wbytes += LINES(len) + sizeof(struct cxlmem_desc);
			bytes += len;
			sent++;
		} else {
			int n = tx_chain(q, r, m, head, free_slots, max_frame, flush);

			if (n == -ENOSPC && !refreshed) {
				/* A frame of several slots may need more than
				 * the burst's frame count: read cons once. */
				free_slots = tx_refresh(q, r, head, flush);
				refreshed = true;
				n = tx_chain(q, r, m, head, free_slots, max_frame, flush);
			}
			if (n == -ENOSPC)
				break;
			if (n == -EMSGSIZE) {
				q->st.too_long++; /* refused, freed with the sent ones */
				continue;
			}
			if (n < 0) {
				q->st.errors++;
				continue;
			}
			head += (uint32_t)n;
			free_slots -= (uint32_t)n;
			bytes += len;
			sent++;
		}
	}

	if (likely(head != q->head)) {
		/* coherence=flush: every payload/descriptor line was written
		 * back above; SFENCE orders those write-backs before the
		 * index store. */
		if (flush)
			cxlmem_sfence();
		/* Release: payload and descriptors before prod; pairs with the
		 * acquire load of prod in rx_burst() (and resync_with_peer()). */
		__atomic_store_n(r->prod, head, __ATOMIC_RELEASE);
		if (flush)
			cxlmem_wb_line(r->prod);
		q->head = head;
		wbytes += CXLMEM_LINE;
	}

	q->st.pkts += sent;
	q->st.bytes += bytes;
	q->st.win_written += wbytes;
	q->st.ring_full += nb_bufs - i;
	rte_spinlock_unlock(&q->lock);

	/* Frames copied or refused are ours to free. */
	rte_pktmbuf_free_bulk(bufs, i);
	return i;
}

/*
 * Receive a frame the fast path did not take: it spans several slots, does
 * not fit one mbuf, or is longer than max_frame. The chain is walked and
 * checked (each length 1..buf_size, total at most CXLMEM_MAX_FRAME_LEN, it
 * ends before prod, tagged for our epoch) on local copies of the
 * descriptors before anything is copied. Returns the slots consumed (the
 * frame is in *out, or *out is NULL when the chain was invalid or too long
 * and dropped), or 0 when no mbufs could be had (nothing consumed).
 */
static __rte_always_inline uint32_t
rx_chain(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t cons, uint32_t avail,
	 uint32_t max_frame, struct rte_mbuf **out, const bool flush)
{
	uint32_t seglen[CXLMEM_MAX_CHAIN_SLOTS];
	struct rte_mbuf *segs[CXLMEM_MAX_RX_SEGS];
	uint32_t n = 0, total = 0, nmbufs, s, d, src_off, dst_off;
	bool ok = false, stale = false;

	*out = NULL;
	while (n < avail && n < CXLMEM_MAX_CHAIN_SLOTS) {
		const uint32_t slot = (cons + n) & q->mask;
		uint64_t raw;
		uint32_t len;

		if (flush) {
			cxlmem_inv_line(&r->desc[slot]);
			cxlmem_mfence();
		}
		raw = desc_load(&r->desc[slot]);
		len = (uint32_t)raw;
		n++;
		if (DESC_TAG(raw) != q->epoch_tag) {
			stale = true;
			break;
		}
		if (len == 0 || len > q->buf_size)
			break;
		seglen[n - 1] = len;
		total += len;
		if (total > CXLMEM_MAX_FRAME_LEN)
			break;
		if (!((raw >> 32) & CXLMEM_DESC_F_MORE)) {
			ok = true;
			break;
		}
	}
	q->st.win_read += (uint64_t)n * sizeof(struct cxlmem_desc);
	if (unlikely(!ok)) {
		/* A frame for an earlier life of ours; or a bad length, a frame
		 * too long, a chain that runs past prod (a sender publishes
		 * whole frames only): drop what we read. */
		if (stale)
			q->st.stale++;
		else
			q->st.errors++;
		return n;
	}
	if (unlikely(total > max_frame)) {
		/* Well formed, but above the MTU this end configured: dropped
		 * whole, as a NIC drops an oversize frame. */
		q->st.too_long++;
		return n;
	}

	nmbufs = (total + q->mbuf_room - 1) / q->mbuf_room;
	if (unlikely(nmbufs > CXLMEM_MAX_RX_SEGS)) {
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
		const uint8_t *src = slot_buf(q, r, (cons + s) & q->mask);

		if (flush) {
			cxlmem_inv_range(src, seglen[s]);
			cxlmem_mfence();
		}
		src_off = 0;
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
	q->st.win_read += LINES(total);
	*out = segs[0];
	return n;
}

static __rte_always_inline uint16_t
rx_burst(struct cxlmem_queue *q, struct rte_mbuf **bufs, uint16_t nb_bufs, const bool flush)
{
	struct rte_mbuf *fresh[CXLMEM_RX_BULK_MAX];
	const struct cxlmem_ring *r;
	uint32_t cons, prod, avail, n_alloc, used_mbufs = 0, max_frame, one_slot;
	uint64_t bytes = 0, rbytes = 0;
	uint16_t nb_rx = 0;

	if (nb_bufs > CXLMEM_RX_BULK_MAX)
		nb_bufs = CXLMEM_RX_BULK_MAX;

	if (unlikely(!rte_spinlock_trylock(&q->lock)))
		return 0;
	if (unlikely(!q->enabled))
		goto out;
	r = queue_ring(q);
	/* One limit for every path: frames above the configured MTU are
	 * dropped. The fast path takes single-slot frames within it that fit
	 * one mbuf. */
	max_frame = __atomic_load_n(&q->max_frame, __ATOMIC_RELAXED);
	one_slot = RTE_MIN(RTE_MIN(q->buf_size, max_frame), (uint32_t)q->mbuf_room);

	cons = q->head;
	/* coherence=flush: invalidate the producer line before reading it. */
	if (flush) {
		cxlmem_inv_line(r->prod);
		cxlmem_mfence();
	}
	/* Acquire: pairs with the store-release of prod in tx_burst(): the
	 * descriptors and payload below prod are complete. The only remote
	 * index read of an RX burst. */
	prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
	avail = prod - cons;
	if (avail == 0)
		goto out;
	rbytes += CXLMEM_LINE;
	if (unlikely(avail > q->ring_size)) {
		/* Untrusted: a producer index more than a ring ahead. Nothing
		 * in the ring can be believed; skip it all. */
		q->st.bad_index++;
		cons = prod;
		goto publish;
	}

	/* One mempool access per burst: as many mbufs as frames could come
	 * (single-slot frames); the unused ones go back at the end. */
	n_alloc = RTE_MIN((uint32_t)nb_bufs, avail);
	if (unlikely(rte_mempool_get_bulk(q->mp, (void **)fresh, n_alloc) != 0)) {
		/* A pool running dry: take what one mbuf at a time gives. */
		n_alloc = rte_mempool_get(q->mp, (void **)&fresh[0]) == 0 ? 1 : 0;
		if (n_alloc == 0)
			q->st.nombuf++;
	}

	while (nb_rx < nb_bufs && avail != 0) {
		const uint32_t slot = cons & q->mask;
		const uint8_t *src = slot_buf(q, r, slot);
		struct rte_mbuf *m;
		uint64_t raw;
		uint32_t len;

		if (flush) {
			cxlmem_inv_line(&r->desc[slot]);
			cxlmem_mfence();
		}
		raw = desc_load(&r->desc[slot]);
		len = (uint32_t)raw;
		if (avail > 1)
			rte_prefetch0(slot_buf(q, r, (cons + 1) & q->mask));

		if (likely(!((raw >> 32) & CXLMEM_DESC_F_MORE) && DESC_TAG(raw) == q->epoch_tag &&
			   len - 1 < one_slot)) {
			if (unlikely(used_mbufs == n_alloc))
				break; /* no mbuf: the frame stays; retried next burst */
			m = fresh[used_mbufs++];
			if (flush) {
				cxlmem_inv_range(src, len);
				cxlmem_mfence();
			}
			m->data_off = RTE_PKTMBUF_HEADROOM;
			rte_memcpy(rte_pktmbuf_mtod(m, void *), src, len);
			m->data_len = (uint16_t)len;
			m->pkt_len = len;
			m->port = q->port_id;
			m->ol_flags = 0;
			m->packet_type = 0;
			m->vlan_tci = 0;
			rbytes += LINES(len) + sizeof(struct cxlmem_desc);
			cons++;
			avail--;
		} else {
			uint32_t used = rx_chain(q, r, cons, avail, max_frame, &m, flush);

			if (used == 0)
				break;
			cons += used;
			avail -= used;
			if (m == NULL)
				continue;
			len = m->pkt_len;
		}
		bytes += len;
		bufs[nb_rx++] = m;
	}

	if (used_mbufs != n_alloc)
		rte_mempool_put_bulk(q->mp, (void **)&fresh[used_mbufs], n_alloc - used_mbufs);
publish:
	if (cons != q->head) {
		/* Release: our copies out of the slots are done before the
		 * sender may reuse them; pairs with the acquire load of cons in
		 * tx_refresh(). */
		__atomic_store_n(r->cons, cons, __ATOMIC_RELEASE);
		if (flush)
			cxlmem_wb_line(r->cons);
		q->head = cons;
		q->st.win_written += CXLMEM_LINE;
	}
	q->st.pkts += nb_rx;
	q->st.bytes += bytes;
	q->st.win_read += rbytes;
out:
	rte_spinlock_unlock(&q->lock);
	return nb_rx;
}

uint16_t
eth_cxlmem_rx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return rx_burst(queue, bufs, nb_bufs, false);
}

uint16_t
eth_cxlmem_tx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return tx_burst(queue, bufs, nb_bufs, false);
}

uint16_t
eth_cxlmem_rx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return rx_burst(queue, bufs, nb_bufs, true);
}

uint16_t
eth_cxlmem_tx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return tx_burst(queue, bufs, nb_bufs, true);
}
