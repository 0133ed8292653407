/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_stats.c - the port's counters: the basic ethdev statistics, the
 * extended ones (xstats, whose names are stable API for tools) and their
 * reset. Each queue's counters (struct cxlmem_queue_stats) are written
 * only by the lcore that polls the queue; they are read here field by
 * field, each with one single-copy atomic load, and a reset records where
 * zero now is instead of writing them.
 */
#include <stdint.h>
#include <stdio.h>

#include <ethdev_driver.h>
#include <rte_ethdev.h>

#include "cxlmem.h"
#include "cxlmem_compat.h"

/* Read a queue's counters (written by another lcore) field by field, each
 * with one single-copy atomic load. */
static void
stats_load(struct cxlmem_queue_stats *dst, const struct cxlmem_queue_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	unsigned int i;

	for (i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] = rte_atomic_load_explicit(&s[i], rte_memory_order_relaxed);
}

/* The queue's counters since the last reset: st - base. */
static void
queue_stats(const struct cxlmem_queue *q, struct cxlmem_queue_stats *out)
{
	const uint64_t *b = (const uint64_t *)&q->base;
	uint64_t *o = (uint64_t *)out;
	unsigned int i;

	stats_load(out, &q->st);
	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] -= b[i];
}

/**
 * The port's basic counters into *st, and, when qs is not NULL, the
 * per-queue ones into qs (the q_* arrays; for the stats_get op of every
 * DPDK release, cxlmem_compat.h). Always returns 0.
 */
int
eth_cxlmem_stats_fill(struct rte_eth_dev *dev, struct rte_eth_stats *st,
		      cxlmem_eth_queue_stats *qs)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_queue_stats s;
	uint32_t i;

	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		const struct cxlmem_queue *rq = pi->rxq[i], *tq = pi->txq[i];

		if (rq != NULL) {
			queue_stats(rq, &s);
			st->ipackets += s.pkts;
			st->ibytes += s.bytes;
			st->ierrors += s.errors + s.too_long + s.bad_offload + s.stale;
			st->rx_nombuf += s.nombuf;
			if (qs != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
				qs->q_ipackets[i] = s.pkts;
				qs->q_ibytes[i] = s.bytes;
				qs->q_errors[i] = s.errors + s.too_long + s.bad_offload + s.stale;
			}
		}
		if (tq != NULL) {
			queue_stats(tq, &s);
			st->opackets += s.pkts;
			st->obytes += s.bytes;
			st->oerrors += s.errors + s.too_long + s.peer_idle + s.bad_offload;
			if (qs != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
				qs->q_opackets[i] = s.pkts;
				qs->q_obytes[i] = s.bytes;
			}
		}
	}
	return 0;
}
/*
 * Reset by snapshot, as other PMDs do: the lcore that owns a queue's
 * counters keeps counting; we only record where zero now is. So a reset
 * never loses or undoes an update the lcore is making.
 */
int
eth_cxlmem_stats_reset(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	uint32_t i;

	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		if (pi->rxq[i] != NULL)
			stats_load(&pi->rxq[i]->base, &pi->rxq[i]->st);
		if (pi->txq[i] != NULL)
			stats_load(&pi->txq[i]->base, &pi->txq[i]->st);
	}
	pi->base_peer_restarts = pi->peer_restarts;
	pi->base_link_flaps = pi->link_flaps;
	return 0;
}

/* Extended statistics, port totals. Names are stable API for tools. */
enum {
	XS_RING_FULL, XS_INVALID_DESC, XS_INVALID_INDEX, XS_RX_NOMBUF, XS_TX_REFUSED,
	XS_PEER_RESTARTS, XS_LINK_FLAPS, XS_STALE_DROPPED, XS_WIN_WRITTEN, XS_WIN_READ,
	XS_RX_TOO_LONG, XS_TX_TOO_LONG, XS_TX_PEER_IDLE, XS_COHERENCE_MISMATCH,
	XS_RX_BAD_OFFLOAD, XS_TX_BAD_OFFLOAD, XS_TX_GSO_SEGMENTED, XS_TX_CSUM_DONE, XS_RX_CSUM_DONE,
	XS_RX_ZC_FRAMES, XS_RX_ZC_COPIED, XS_RX_ZC_OUT, XS_TX_DOORBELLS, XS_TX_DOORBELLS_LOST,
	XS_COUNT
};
static const char *const xstat_names[XS_COUNT] = {
	[XS_RING_FULL] = "ring_full",
	[XS_INVALID_DESC] = "invalid_desc",
	[XS_INVALID_INDEX] = "invalid_index",
	[XS_RX_NOMBUF] = "rx_nombuf",
	[XS_TX_REFUSED] = "tx_refused",
	[XS_PEER_RESTARTS] = "peer_restarts",
	[XS_LINK_FLAPS] = "link_flaps",
	[XS_STALE_DROPPED] = "rx_stale_dropped",
	[XS_WIN_WRITTEN] = "window_bytes_written",
	[XS_WIN_READ] = "window_bytes_read",
	[XS_RX_TOO_LONG] = "rx_too_long",
	[XS_TX_TOO_LONG] = "tx_too_long",
	[XS_TX_PEER_IDLE] = "tx_peer_queue_idle",
	[XS_COHERENCE_MISMATCH] = "coherence_mismatch",
	[XS_RX_BAD_OFFLOAD] = "rx_bad_offload",
	[XS_TX_BAD_OFFLOAD] = "tx_bad_offload",
	[XS_TX_GSO_SEGMENTED] = "tx_gso_segmented",
	[XS_TX_CSUM_DONE] = "tx_csum_completed",
	[XS_RX_CSUM_DONE] = "rx_csum_completed",
	[XS_RX_ZC_FRAMES] = "rx_zerocopy_frames",
	[XS_RX_ZC_COPIED] = "rx_zerocopy_copied",
	[XS_RX_ZC_OUT] = "rx_zerocopy_slots_out",
	[XS_TX_DOORBELLS] = "tx_doorbells",
	[XS_TX_DOORBELLS_LOST] = "tx_doorbells_lost",
};

int
eth_cxlmem_xstats_get_names(struct rte_eth_dev *dev __rte_unused,
			    struct rte_eth_xstat_name *names, unsigned int size)
{
	unsigned int i;

	if (names == NULL || size < XS_COUNT)
		return XS_COUNT;
	for (i = 0; i < XS_COUNT; i++)
		snprintf(names[i].name, sizeof(names[i].name), "%s", xstat_names[i]);
	return XS_COUNT;
}

int
eth_cxlmem_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	struct pmd_internals *pi = dev->data->dev_private;
	uint64_t v[XS_COUNT] = {0};
	struct cxlmem_queue_stats s;
	unsigned int i;

	if (xs == NULL || n < XS_COUNT)
		return XS_COUNT;
	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		if (pi->rxq[i] != NULL) {
			queue_stats(pi->rxq[i], &s);
			v[XS_INVALID_DESC] += s.errors;
			v[XS_INVALID_INDEX] += s.bad_index;
			v[XS_RX_NOMBUF] += s.nombuf;
			v[XS_STALE_DROPPED] += s.stale;
			v[XS_RX_TOO_LONG] += s.too_long;
			v[XS_RX_BAD_OFFLOAD] += s.bad_offload;
			v[XS_RX_CSUM_DONE] += s.csum_done;
			v[XS_RX_ZC_FRAMES] += s.zc_frames;
			v[XS_RX_ZC_COPIED] += s.zc_copied;
			if (pi->rxq[i]->zc != NULL)
				v[XS_RX_ZC_OUT] += cxlmem_zc_held(pi->rxq[i]->zc);
			v[XS_WIN_WRITTEN] += s.win_written;
			v[XS_WIN_READ] += s.win_read;
		}
		if (pi->txq[i] != NULL) {
			queue_stats(pi->txq[i], &s);
			v[XS_RING_FULL] += s.ring_full;
			v[XS_INVALID_INDEX] += s.bad_index;
			v[XS_TX_REFUSED] += s.errors;
			v[XS_TX_TOO_LONG] += s.too_long;
			v[XS_TX_PEER_IDLE] += s.peer_idle;
			v[XS_TX_BAD_OFFLOAD] += s.bad_offload;
			v[XS_TX_GSO_SEGMENTED] += s.gso_segmented;
			v[XS_TX_CSUM_DONE] += s.csum_done;
			v[XS_TX_DOORBELLS] += s.doorbells;
			v[XS_TX_DOORBELLS_LOST] += s.doorbells_lost;
			v[XS_WIN_WRITTEN] += s.win_written;
			v[XS_WIN_READ] += s.win_read;
		}
	}
	v[XS_PEER_RESTARTS] = pi->peer_restarts - pi->base_peer_restarts;
	v[XS_LINK_FLAPS] = pi->link_flaps - pi->base_link_flaps;
	/* A state, not a counter: the peer's coherence mode differs from ours
	 * (known once the peer has been seen). */
	v[XS_COHERENCE_MISMATCH] = pi->peer_seen && pi->peer_coherence != pi->params.coherence;
	for (i = 0; i < XS_COUNT; i++) {
		xs[i].id = i;
		xs[i].value = v[i];
	}
	return XS_COUNT;
}
