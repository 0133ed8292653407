/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_rxtx.c - the burst functions of net_cxlmem (copy mode).
 *
 * One body per direction, instantiated twice (coherence=hw and
 * coherence=flush) with a compile-time constant, so the loop that runs has
 * no mode test. The fast path takes single-slot frames without offloads;
 * every other frame goes through cxlmem_tx_frame.c or cxlmem_rx_frame.c.
 * The ordering rules they enforce are stated in cxlmem_layout.h; each rule
 * is repeated at the line that implements it.
 */
#include <errno.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"
#include "cxlmem_copy.h"
#include "cxlmem_ring.h"

/** Most frames one RX burst returns (larger requests are cut to this). */
#define CXLMEM_RX_BULK_MAX 64u

/*
 * Apply what the control thread posted for q (struct cxlmem_queue_post),
 * seq being the count the caller read. The burst is the only writer of its
 * queue, so the resync the control thread asks for happens here:
 *   RX: the frames below post.drop_to are of the peer's earlier life:
 *       dropped (counted as stale); cons is published over them (with
 *       zerocopy=rx, only up to the oldest slot still lent);
 *   TX: nothing is known of the peer's new consumer index: assume the ring
 *       full, so the next burst reads cons.
 * A copy that the writer changed meanwhile is dropped: the next burst
 * tries again.
 */
static void __rte_noinline
queue_apply(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t seq, const bool flush)
{
	struct cxlmem_queue_post p;

	if (seq & 1)
		return; /* being written */
	p.resyncs = rte_atomic_load_explicit(&q->post.resyncs, rte_memory_order_relaxed);
	p.drop_to = rte_atomic_load_explicit(&q->post.drop_to, rte_memory_order_relaxed);
	p.epoch_tag = rte_atomic_load_explicit(&q->post.epoch_tag, rte_memory_order_relaxed);
	p.enabled = rte_atomic_load_explicit(&q->post.enabled, rte_memory_order_relaxed);
	p.peer_polls = rte_atomic_load_explicit(&q->post.peer_polls, rte_memory_order_relaxed);
	p.peer_sleeps = rte_atomic_load_explicit(&q->post.peer_sleeps, rte_memory_order_relaxed);
	p.offloads = rte_atomic_load_explicit(&q->post.offloads, rte_memory_order_relaxed);
	p.max_gso = rte_atomic_load_explicit(&q->post.max_gso, rte_memory_order_relaxed);
	/* Acquire fence: the field loads above before the second load of the
	 * count (the sequence-count read side). */
	rte_atomic_thread_fence(rte_memory_order_acquire);
	if (rte_atomic_load_explicit(&q->post.seq, rte_memory_order_relaxed) != seq)
		return;

	if (p.resyncs != q->resyncs_seen) {
		if (q->tx) {
			q->peer_cons = q->head - q->ring_size;
		} else {
			uint32_t cons;

			if (p.drop_to - q->head <= q->ring_size) {
				q->st.stale += p.drop_to - q->head;
				q->head = p.drop_to;
			} else if (q->zc == NULL) {
				q->head = p.drop_to; /* nothing below it can be believed */
			}
			/* Zero-copy: slots the application still holds stay
			 * ours; cons stops below the oldest of them. */
			cons = q->zc != NULL ? cxlmem_zc_reclaim(q->zc, q->head, q->mask) : q->head;
			/* Release: pairs with the acquire of cons in the
			 * sender's tx_refresh(). */
			rte_atomic_store_explicit(r->cons, cons, rte_memory_order_release);
			if (flush)
				cxlmem_wb_line(r->cons);
			q->st.win_written += CXLMEM_LINE;
		}
		q->resyncs_seen = p.resyncs;
	}
	q->epoch_tag = p.epoch_tag;
	q->enabled = p.enabled;
	if (q->tx) {
		q->peer_polls = p.peer_polls;
		q->peer_sleeps = p.peer_sleeps;
		q->offloads = p.offloads;
		q->max_gso = p.max_gso;
	}
	q->post_seen = seq;
}

/* The burst's one look at what the control thread posted: a load and a
 * compare, no lock. Returns whether the queue may move frames. */
static __rte_always_inline bool
queue_sync(struct cxlmem_queue *q, const struct cxlmem_ring *r, const bool flush)
{
	/* Acquire: pairs with the store-release of cxlmem_post_end(). */
	const uint32_t seq = rte_atomic_load_explicit(&q->post.seq, rte_memory_order_acquire);

	if (unlikely(seq != q->post_seen))
		queue_apply(q, r, seq, flush);
	return q->enabled;
}

/* Free slots this end may still fill: its limit less what it holds. */
static __rte_always_inline uint32_t
tx_free(const struct cxlmem_queue *q, uint32_t head)
{
	const uint32_t held = head - q->peer_cons;

	return held >= q->limit ? 0 : q->limit - held;
}

/*
 * Read the receiver's consumer index: the only remote read of a TX burst,
 * made only when the cached free space is short. head: this burst's next
 * slot. Returns the free slots.
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
	c = rte_atomic_load_explicit(r->cons, rte_memory_order_acquire);
	/* Untrusted: cons only moves forward, and not past prod: it must lie
	 * in [peer_cons, prod], prod being what we last published (q->head),
	 * not the slots this burst has filled since. A receiver cannot have
	 * released slots it was never given (a cons past prod would let us
	 * overwrite slots it still owns), nor take back slots it released (a
	 * cons moved back would leave peer_cons more than a ring behind
	 * head). Both found by the fuzz harness. peer_cons >= q->head -
	 * ring_size holds from queue setup and resync on, so this also bounds
	 * head - peer_cons by the ring. */
	if (likely((uint32_t)(c - q->peer_cons) <= (uint32_t)(q->head - q->peer_cons)))
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
	uint32_t sent = 0;
	uint16_t i;
	/* free_each: a frame of the burst needs rte_pktmbuf_free_bulk()'s
	 * per-mbuf work (a chain, a refusal, an attached mbuf). */
	bool refreshed = false, nt_used = false, free_each = false;

	r = cxlmem_queue_ring(q);
	if (unlikely(!queue_sync(q, r, flush)))
		return 0;
	if (unlikely(!q->peer_polls)) {
		/* The peer does not poll this queue's ring: refuse rather than
		 * fill a ring nobody drains. */
		q->st.peer_idle += nb_bufs;
		rte_pktmbuf_free_bulk(bufs, nb_bufs);
		return nb_bufs;
	}
	/* One limit for every path: frames above our MTU's or the peer's
	 * largest frame are refused. The fast path takes single-segment
	 * frames that fit one slot and that limit. */
	max_frame = rte_atomic_load_explicit(&q->max_frame, rte_memory_order_relaxed);
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
		/* An attached mbuf must be detached to be freed, whatever
		 * the application promised (fast free below). */
		free_each |= (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) != 0;

		/* data_len == pkt_len: never copy bytes the mbuf does not hold. */
		if (likely(m->nb_segs == 1 && m->data_len == len && len - 1 < one_slot &&
			   (m->ol_flags & CXLMEM_TX_OFFLOAD_FLAGS) == 0)) {
			const uint32_t slot = head & q->mask;
			uint8_t *dst = cxlmem_slot(q, r, slot);

			if (unlikely(free_slots == 0))
				break;
			/* Payload and descriptor first; the index is published
			 * after the loop (store-release below). */
			cxlmem_copy_to_window(dst, rte_pktmbuf_mtod(m, void *), len, q->nt_min);
			nt_used |= len >= q->nt_min;
			cxlmem_desc_store(&r->desc[slot], len, 0, q->epoch_tag);
			/* coherence=flush: the payload's lines now; the
			 * descriptors' lines once for the burst, below. */
			if (flush)
				cxlmem_wb_range(dst, len);
			head++;
			free_slots--;
			wbytes += CXLMEM_LINES(len) + sizeof(struct cxlmem_desc);
			bytes += len;
			sent++;
		} else {
			uint32_t frames;
			uint64_t fbytes;
			int n;

			free_each = true;
			n = cxlmem_tx_frame(q, r, m, head, free_slots, max_frame, flush, &frames,
					    &fbytes);
			if (n == -ENOSPC && !refreshed) {
				/* A frame of several slots may need more than
				 * the burst's frame count: read cons once. */
				free_slots = tx_refresh(q, r, head, flush);
				refreshed = true;
				n = cxlmem_tx_frame(q, r, m, head, free_slots, max_frame, flush,
						    &frames, &fbytes);
			}
			if (n == -ENOSPC)
				break;
			/* Refused frames are freed with the sent ones. */
			if (n == -EMSGSIZE) {
				q->st.too_long++;
				continue;
			}
			if (n == -EPROTO) {
				q->st.bad_offload++;
				continue;
			}
			if (n < 0) {
				q->st.errors++;
				continue;
			}
			head += (uint32_t)n;
			free_slots -= (uint32_t)n;
			nt_used |= q->nt_min != CXLMEM_NT_OFF;
			bytes += fbytes;
			sent += frames;
		}
	}

	if (likely(head != q->head)) {
		/* coherence=flush: every payload line was written back above;
		 * now the descriptor lines of [q->head, head), once each (eight
		 * descriptors share a line); SFENCE orders all the write-backs
		 * before the index store. */
		if (flush) {
			const uint32_t first = q->head & q->mask;
			const uint32_t n = head - q->head, n1 = RTE_MIN(n, q->ring_size - first);

			cxlmem_wb_range(&r->desc[first], n1 * sizeof(struct cxlmem_desc));
			if (n1 < n)
				cxlmem_wb_range(&r->desc[0], (n - n1) * sizeof(struct cxlmem_desc));
			cxlmem_sfence();
		} else if (nt_used) {
			/* Non-temporal stores are not ordered with the
			 * store-release below: SFENCE makes the payload
			 * globally visible before prod (cxlmem_copy.h). */
			cxlmem_sfence();
		}
		/* Release: payload and descriptors before prod; pairs with the
		 * acquire load of prod in rx_burst() (and resync_with_peer()). */
		rte_atomic_store_explicit(r->prod, head, rte_memory_order_release);
		if (flush)
			cxlmem_wb_line(r->prod);
		q->head = head;
		wbytes += CXLMEM_LINE;
		/* Rx interrupt mode at the peer: it may sleep on this ring. */
		if (unlikely(q->peer_sleeps))
			cxlmem_doorbell_ring(q, r, flush);
	}

	q->st.pkts += sent;
	q->st.bytes += bytes;
	q->st.win_written += wbytes;
	q->st.ring_full += nb_bufs - i;

	/* Frames copied or refused are ours to free. With
	 * RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE (one mempool, refcnt 1: the
	 * application's promise, rte_ethdev.h) single-segment direct mbufs go
	 * back to their pool in one call, as free_bulk would after its
	 * per-mbuf checks. */
	if (q->fast_free && !free_each && i != 0)
		rte_mempool_put_bulk(bufs[0]->pool, (void **)bufs, i);
	else
		rte_pktmbuf_free_bulk(bufs, i);
	return i;
}

/*
 * A burst that found the ring empty: at most once per heartbeat period,
 * bump ring_cons.polls, so that the sender sees this end alive while it
 * polls even when its heartbeat is late (the control thread of a loaded
 * machine can wait longer than link_timeout for a CPU, while the lcores
 * spin). Only empty bursts read the timer; a burst that receives moves
 * cons, which the sender counts the same way.
 */
static __rte_always_inline void
rx_show_poll(struct cxlmem_queue *q, const struct cxlmem_ring *r, const bool flush)
{
	const uint64_t now = rte_get_timer_cycles();

	if (likely(now - q->poll_tsc < q->poll_period))
		return;
	q->poll_tsc = now;
	q->polls++;
	/* Relaxed: a value only compared by the sender, ordered with nothing. */
	rte_atomic_store_explicit(r->polls, q->polls, rte_memory_order_relaxed);
	if (flush)
		cxlmem_wb_line(r->polls);
	q->st.win_written += CXLMEM_LINE;
}

/*
 * zc (zerocopy=rx, a compile-time constant like flush): single-slot frames
 * of at least CXLMEM_ZC_COPYBREAK bytes are lent in place while fewer than
 * the queue's limit are out; cons then follows the oldest slot still lent
 * (cxlmem_zc_reclaim()), not the read index.
 */
static __rte_always_inline uint16_t
rx_burst(struct cxlmem_queue *q, struct rte_mbuf **bufs, uint16_t nb_bufs, const bool flush,
	 const bool zc)
{
	struct rte_mbuf *fresh[CXLMEM_RX_BULK_MAX];
	uint64_t raw[CXLMEM_RX_BULK_MAX];
	const struct cxlmem_ring *r;
	struct cxlmem_zc *z = zc ? q->zc : NULL;
	uint32_t cons, prod, avail, n_alloc, used_mbufs = 0, max_frame, one_slot, pub = 0;
	uint32_t look, i;
	uint64_t bytes = 0, rbytes = 0;
	uint16_t nb_rx = 0;

	if (nb_bufs > CXLMEM_RX_BULK_MAX)
		nb_bufs = CXLMEM_RX_BULK_MAX;

	r = cxlmem_queue_ring(q);
	if (unlikely(!queue_sync(q, r, flush)))
		return 0;
	/* One limit for every path: frames above the configured MTU are
	 * dropped. The fast path takes single-slot frames within it that fit
	 * one mbuf. */
	max_frame = rte_atomic_load_explicit(&q->max_frame, rte_memory_order_relaxed);
	one_slot = RTE_MIN(RTE_MIN(q->buf_size, max_frame), (uint32_t)q->mbuf_room);

	cons = q->head;
	if (zc) {
		/* Slots the application returned since the last burst. */
		pub = z->tail;
		cxlmem_zc_reclaim(z, cons, q->mask);
	}
	/* coherence=flush: invalidate the producer line before reading it. */
	if (flush) {
		cxlmem_inv_line(r->prod);
		cxlmem_mfence();
	}
	/* Acquire: pairs with the store-release of prod in tx_burst(): the
	 * descriptors and payload below prod are complete. The only remote
	 * index read of an RX burst. */
	prod = rte_atomic_load_explicit(r->prod, rte_memory_order_acquire);
	avail = prod - cons;
	if (avail == 0) {
		rx_show_poll(q, r, flush);
		goto publish;
	}
	rbytes += CXLMEM_LINE;
	if (unlikely(avail > q->ring_size)) {
		/* Untrusted: a producer index more than a ring ahead. Nothing
		 * in the ring can be believed; skip it all (with slots lent,
		 * keep our place: cons must stay below them). */
		q->st.bad_index++;
		if (!zc)
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

	/*
	 * The descriptors of this burst in one pass, each read once into
	 * raw[]. coherence=flush: their lines are invalidated first, with one
	 * fence for all, then the payload lines of the frames the fast path
	 * will copy, again with one fence: two fences a burst, not two a
	 * frame (eight descriptors share a line).
	 */
	look = RTE_MIN(avail, (uint32_t)nb_bufs);
	if (flush) {
		const uint32_t first = cons & q->mask, n1 = RTE_MIN(look, q->ring_size - first);

		cxlmem_inv_range(&r->desc[first], n1 * sizeof(struct cxlmem_desc));
		if (n1 < look)
			cxlmem_inv_range(&r->desc[0], (look - n1) * sizeof(struct cxlmem_desc));
		cxlmem_mfence();
	}
	for (i = 0; i < look; i++)
		raw[i] = cxlmem_desc_load(&r->desc[(cons + i) & q->mask]);
	if (flush) {
		for (i = 0; i < look; i++)
			if (CXLMEM_DESC_FLAGS(raw[i]) == 0 && CXLMEM_DESC_LEN(raw[i]) - 1 < one_slot)
				cxlmem_inv_range(cxlmem_slot(q, r, cons + i), CXLMEM_DESC_LEN(raw[i]));
		cxlmem_mfence();
	}

	i = 0;
	while (nb_rx < nb_bufs && i < avail) {
		const uint32_t slot = (cons + i) & q->mask;
		const uint8_t *src = cxlmem_slot(q, r, slot);
		struct rte_mbuf *m;
		uint32_t len;
		uint64_t d;

		/* A frame past the batch (chains took its slots): read its
		 * descriptor now; the slow path invalidates what it reads. */
		d = i < look ? raw[i] : 0;
		len = CXLMEM_DESC_LEN(d);
		if (i + 1 < look)
			rte_prefetch0(cxlmem_slot(q, r, cons + i + 1));

		/* No flag (no chain, no metadata), our epoch, within limits. */
		if (likely(i < look && CXLMEM_DESC_FLAGS(d) == 0 &&
			   CXLMEM_DESC_TAG(d) == q->epoch_tag && len - 1 < one_slot)) {
			if (unlikely(used_mbufs == n_alloc))
				break; /* no mbuf: the frame stays; retried next burst */
			m = fresh[used_mbufs++];
			/* data_off, refcnt, nb_segs, port in one 8-byte store. */
			*cxlmem_rearm_word(m) = q->mbuf_rearm;
			m->ol_flags = 0;
			if (zc && len >= CXLMEM_ZC_COPYBREAK && z->out < z->limit) {
				/* Lent in place: the mbuf's data is the slot. */
				cxlmem_zc_lend(z, m, slot, (uint8_t *)(uintptr_t)src, q->buf_size,
					       0, len);
				q->st.zc_frames++;
			} else {
				rte_memcpy(rte_pktmbuf_mtod(m, void *), src, len);
				m->data_len = (uint16_t)len;
				if (zc)
					q->st.zc_copied++;
			}
			m->pkt_len = len;
			m->packet_type = 0;
			m->vlan_tci = 0;
			if (unlikely(q->offloads & CXLMEM_QRX_IP_CKSUM))
				cxlmem_rx_ip_cksum(m);
			rbytes += CXLMEM_LINES(len) + sizeof(struct cxlmem_desc);
			i++;
		} else {
			/* Descriptors below cons + look were invalidated
			 * above, after prod was read: still fresh. */
			uint32_t used = cxlmem_rx_frame(q, r, cons + i, avail - i,
							i < look ? look - i : 0, max_frame, &m,
							flush);

			if (used == 0)
				break;
			i += used;
			if (m == NULL)
				continue;
			len = m->pkt_len;
		}
		bytes += len;
		bufs[nb_rx++] = m;
	}

	cons += i;
	if (used_mbufs != n_alloc)
		rte_mempool_put_bulk(q->mp, (void **)&fresh[used_mbufs], n_alloc - used_mbufs);
publish:
	if (zc) {
		/* cons: up to the oldest slot still lent. */
		q->head = cons;
		cons = cxlmem_zc_reclaim(z, cons, q->mask);
		if (cons != pub) {
			/* Release: pairs with the acquire load of cons in
			 * tx_refresh(); the slots below are copied out or
			 * returned by the application (the callback's release). */
			rte_atomic_store_explicit(r->cons, cons, rte_memory_order_release);
			if (flush)
				cxlmem_wb_line(r->cons);
			q->st.win_written += CXLMEM_LINE;
		}
	} else if (cons != q->head) {
		/* Release: our copies out of the slots are done before the
		 * sender may reuse them; pairs with the acquire load of cons in
		 * tx_refresh(). */
		rte_atomic_store_explicit(r->cons, cons, rte_memory_order_release);
		if (flush)
			cxlmem_wb_line(r->cons);
		q->head = cons;
		q->st.win_written += CXLMEM_LINE;
	}
	q->st.pkts += nb_rx;
	q->st.bytes += bytes;
	q->st.win_read += rbytes;
	return nb_rx;
}

uint16_t
eth_cxlmem_rx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return rx_burst(queue, bufs, nb_bufs, false, false);
}

uint16_t
eth_cxlmem_rx_zc(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return rx_burst(queue, bufs, nb_bufs, false, true);
}

uint16_t
eth_cxlmem_rx_zc_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return rx_burst(queue, bufs, nb_bufs, true, true);
}

uint16_t
eth_cxlmem_tx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return tx_burst(queue, bufs, nb_bufs, false);
}

uint16_t
eth_cxlmem_rx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return rx_burst(queue, bufs, nb_bufs, true, false);
}

uint16_t
eth_cxlmem_tx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs)
{
	return tx_burst(queue, bufs, nb_bufs, true);
}
