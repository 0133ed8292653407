/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lcore loops.  Each lcore owns a list of (port, queue) items and one
 * job; it polls its items round robin until *stop is set.  Counters go to
 * the item's perf_qstats (single writer: this lcore), which the main lcore -
 * or, in a two-process run, the generator process through the control file -
 * reads once a second.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "cxl_perf.h"

#define PERF_ETHERTYPE 0x88b5 /* IEEE 802 local experimental */
#define PERF_TPUT_MAGIC 0x74707574u  /* throughput frames */
#define PERF_STAMP_MAGIC 0x70657266u /* latency frames, stamped */
#define LAT_GIVE_UP_MS 100

struct perf_hdr {
	struct rte_ether_hdr eth;
	uint16_t pad;
	uint32_t magic;
	uint32_t run;   /* latency: the point that sent it */
	uint64_t tsc;   /* latency: generator TSC at transmission */
};

/* ---- histogram: values < 128 exact, then 64 sub-buckets per octave ---- */

static inline unsigned int
hist_index(uint64_t v)
{
	unsigned int e, shift;

	if (v < 2 * PERF_HIST_SUB)
		return (unsigned int)v;
	e = 63 - __builtin_clzll(v);         /* >= 7 */
	shift = e - 6;
	return 2 * PERF_HIST_SUB + (e - 7) * PERF_HIST_SUB +
	       (unsigned int)((v >> shift) - PERF_HIST_SUB);
}

static inline uint64_t
hist_value(unsigned int idx)
{
	unsigned int e, shift;
	uint64_t m;

	if (idx < 2 * PERF_HIST_SUB)
		return idx;
	e = (idx - 2 * PERF_HIST_SUB) / PERF_HIST_SUB + 7;
	shift = e - 6;
	m = (idx - 2 * PERF_HIST_SUB) % PERF_HIST_SUB + PERF_HIST_SUB;
	return (m << shift) + (1ull << shift) / 2; /* middle of the bucket */
}

void
perf_hist_add(struct perf_hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += (double)v;
}

void
perf_hist_merge(struct perf_hist *dst, const struct perf_hist *src)
{
	unsigned int i;

	if (src->count == 0)
		return;
	for (i = 0; i < PERF_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t
perf_hist_percentile(const struct perf_hist *h, double pct)
{
	uint64_t target, cum = 0, v;
	unsigned int i;

	if (h->count == 0)
		return 0;
	target = (uint64_t)(pct / 100.0 * (double)h->count + 0.999999);
	if (target < 1)
		target = 1;
	for (i = 0; i < PERF_HIST_BUCKETS; i++) {
		cum += h->b[i];
		if (cum >= target)
			break;
	}
	v = hist_value(RTE_MIN(i, PERF_HIST_BUCKETS - 1u));
	return RTE_MAX(RTE_MIN(v, h->max), h->min);
}

/* ---- frames ---- */

static unsigned int
seg_room(const struct rte_mempool *mp)
{
	return rte_pktmbuf_data_room_size((struct rte_mempool *)(uintptr_t)mp) -
	       RTE_PKTMBUF_HEADROOM;
}

unsigned int
perf_build_frame_segs(unsigned int pkt_len, const struct rte_mempool *mp)
{
	unsigned int room = seg_room(mp);

	return (pkt_len + room - 1) / room;
}

static const struct perf_hdr hdr_template = {
	.eth = {
		.dst_addr.addr_bytes = {0x02, 0, 0, 0, 0, 0x02},
		.src_addr.addr_bytes = {0x02, 0, 0, 0, 0, 0x01},
		.ether_type = RTE_BE16(PERF_ETHERTYPE),
	},
	.magic = PERF_TPUT_MAGIC,
};

/* n frames of len bytes, chained when len exceeds one mbuf; returns how many */
static unsigned int
make_frames(struct rte_mempool *mp, struct rte_mbuf **pkts, unsigned int n,
	    unsigned int len, unsigned int nsegs, unsigned int room)
{
	unsigned int i, s;

	if (nsegs == 1) {
		/* As testpmd's txonly, so that the two tools' rates compare:
		 * raw mbufs (a pool's free mbuf has refcnt 1 and one segment)
		 * and the fields it sets, in both cache lines of the mbuf. */
		if (rte_mempool_get_bulk(mp, (void **)pkts, n) != 0)
			return 0;
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];

			m->data_off = RTE_PKTMBUF_HEADROOM;
			m->ol_flags = 0;
			m->vlan_tci = 0;
			m->vlan_tci_outer = 0;
			m->tx_offload = 0;
			m->next = NULL;
			m->data_len = len;
			m->pkt_len = len;
			rte_memcpy(rte_pktmbuf_mtod(m, void *), &hdr_template, sizeof(hdr_template));
		}
		return n;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *segs[PERF_MAX_FRAME / 64 + 1];
		unsigned int left = len;

		if (rte_pktmbuf_alloc_bulk(mp, segs, nsegs) != 0)
			break;
		for (s = 0; s < nsegs; s++) {
			segs[s]->data_len = RTE_MIN(left, room);
			left -= segs[s]->data_len;
			if (s > 0)
				segs[s - 1]->next = segs[s];
		}
		segs[0]->nb_segs = nsegs;
		segs[0]->pkt_len = len;
		rte_memcpy(rte_pktmbuf_mtod(segs[0], void *), &hdr_template, sizeof(hdr_template));
		pkts[i] = segs[0];
	}
	return i;
}

/* ---- jobs ---- */

/* Between two rounds of bursts: a core-to-core probe asked for? (probe.c)
 * True when it ran, so the caller restarts its busy clock. */
static inline bool
c2c_poll(struct perf_worker *w)
{
	if (likely(w->c2c == NULL ||
		   __atomic_load_n(&w->c2c->req, __ATOMIC_RELAXED) == w->c2c_seen))
		return false;
	return perf_c2c_poll(w);
}

int
perf_job_idle(struct perf_worker *w)
{
	while (!*w->stop) {
		c2c_poll(w);
		rte_pause();
	}
	return 0;
}

int
perf_job_tx(struct perf_worker *w)
{
	unsigned int burst = w->burst, room = seg_room(w->mp);
	unsigned int nsegs = perf_build_frame_segs(w->pkt_len, w->mp);
	struct rte_mbuf **pend;
	unsigned int *npend, i;

	pend = calloc((size_t)w->nb_items * burst, sizeof(*pend));
	npend = calloc(w->nb_items, sizeof(*npend));
	if (pend == NULL || npend == NULL) {
		free(pend);
		free(npend);
		return -1;
	}
	uint64_t t_prev = rte_rdtsc(), now;

	while (!*w->stop) {
		if (c2c_poll(w))
			t_prev = rte_rdtsc();
		for (i = 0; i < w->nb_items; i++) {
			struct perf_item *it = &w->items[i];
			struct rte_mbuf **p = &pend[(size_t)i * burst];
			unsigned int n = npend[i];
			uint16_t sent;

			if (n < burst)
				n += make_frames(w->mp, p + n, burst - n, w->pkt_len, nsegs, room);
			if (n == 0)
				continue;
			sent = rte_eth_tx_burst(it->port, it->queue, p, n);
			now = rte_rdtsc();
			if (sent > 0)
				it->qs->busy_cyc += now - t_prev;
			t_prev = now;
			it->qs->tx_pkts += sent;
			it->qs->tx_bytes += (uint64_t)sent * w->pkt_len;
			if (sent == 0)
				it->qs->tx_full++;
			else if (sent < n)
				memmove(p, p + sent, (n - sent) * sizeof(*p));
			npend[i] = n - sent;
		}
	}
	for (i = 0; i < w->nb_items; i++)
		rte_pktmbuf_free_bulk(&pend[(size_t)i * burst], npend[i]);
	free(pend);
	free(npend);
	return 0;
}

/* Receive a burst on one item and count it; *bytes gets its frame bytes. */
static inline uint16_t
rx_counted(struct perf_worker *w, struct perf_item *it, struct rte_mbuf **pkts,
	   uint64_t *bytes)
{
	uint16_t n = rte_eth_rx_burst(it->port, it->queue, pkts, w->burst);
	uint16_t k;

	*bytes = 0;
	for (k = 0; k < n; k++)
		*bytes += pkts[k]->pkt_len;
	it->qs->rx_pkts += n;
	it->qs->rx_bytes += *bytes;
	return n;
}

int
perf_job_rx(struct perf_worker *w)
{
	struct rte_mbuf *pkts[PERF_MAX_BURST];
	uint64_t t_prev = rte_rdtsc(), now, bytes;
	unsigned int i;

	while (!*w->stop) {
		if (c2c_poll(w))
			t_prev = rte_rdtsc();
		for (i = 0; i < w->nb_items; i++) {
			struct perf_item *it = &w->items[i];
			uint16_t n = rx_counted(w, it, pkts, &bytes);

			if (n == 0) {
				t_prev = rte_rdtsc();
				continue;
			}
			rte_pktmbuf_free_bulk(pkts, n);
			now = rte_rdtsc();
			it->qs->busy_cyc += now - t_prev;
			t_prev = now;
		}
	}
	return 0;
}

int
perf_job_reflect(struct perf_worker *w)
{
	struct rte_mbuf *pkts[PERF_MAX_BURST];
	uint64_t t_prev = rte_rdtsc(), now, bytes;
	unsigned int i;

	while (!*w->stop) {
		if (c2c_poll(w))
			t_prev = rte_rdtsc();
		for (i = 0; i < w->nb_items; i++) {
			struct perf_item *it = &w->items[i];
			uint16_t n = rx_counted(w, it, pkts, &bytes);
			uint16_t sent = 0;

			if (n == 0) {
				t_prev = rte_rdtsc();
				continue;
			}
			/* echo everything: a dropped echo would read as loss */
			while (sent < n && !*w->stop) {
				uint16_t s = rte_eth_tx_burst(it->port, it->queue, pkts + sent, n - sent);

				if (s == 0)
					it->qs->tx_full++;
				sent += s;
			}
			it->qs->tx_pkts += sent;
			it->qs->tx_bytes += bytes;
			if (sent < n)
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			now = rte_rdtsc();
			it->qs->busy_cyc += now - t_prev;
			t_prev = now;
		}
	}
	return 0;
}

int
perf_job_lat(struct perf_worker *w)
{
	unsigned int room = seg_room(w->mp);
	unsigned int nsegs = perf_build_frame_segs(w->pkt_len, w->mp);
	uint64_t give_up = rte_get_tsc_hz() / 1000 * LAT_GIVE_UP_MS;
	struct rte_mbuf *pkts[PERF_MAX_BURST];
	unsigned int i, k;

	for (i = 0; i < w->nb_items; i++) {
		w->items[i].outstanding = 0;
		w->items[i].last_rx_tsc = rte_rdtsc();
	}
	while (!*w->stop) {
		c2c_poll(w);
		for (i = 0; i < w->nb_items; i++) {
			struct perf_item *it = &w->items[i];
			uint16_t n, sent;
			uint64_t now;

			if (it->outstanding < w->inflight) {
				unsigned int want = RTE_MIN(w->burst, w->inflight - it->outstanding);

				n = make_frames(w->mp, pkts, want, w->pkt_len, nsegs, room);
				now = rte_rdtsc();
				for (k = 0; k < n; k++) {
					struct perf_hdr *h = rte_pktmbuf_mtod(pkts[k], struct perf_hdr *);

					h->magic = PERF_STAMP_MAGIC;
					h->run = w->run_id;
					h->tsc = now;
				}
				sent = rte_eth_tx_burst(it->port, it->queue, pkts, n);
				if (sent < n)
					rte_pktmbuf_free_bulk(pkts + sent, n - sent);
				if (sent == 0 && n > 0)
					it->qs->tx_full++;
				if (sent > 0 && it->outstanding == 0)
					it->last_rx_tsc = now; /* give-up clock starts now */
				it->outstanding += sent;
				it->qs->tx_pkts += sent;
				it->qs->tx_bytes += (uint64_t)sent * w->pkt_len;
			}
			n = rte_eth_rx_burst(it->port, it->queue, pkts, PERF_MAX_BURST);
			now = rte_rdtsc();
			if (n > 0) {
				bool rec = *w->measuring != 0;
				uint64_t bytes = 0;

				for (k = 0; k < n; k++) {
					struct perf_hdr hb;
					const struct perf_hdr *h =
						rte_pktmbuf_read(pkts[k], 0, sizeof(hb), &hb);

					bytes += pkts[k]->pkt_len;
					/* a frame of an earlier point (left in a ring
					 * and echoed now) is not a round trip */
					if (h == NULL || h->magic != PERF_STAMP_MAGIC ||
					    h->run != w->run_id || now < h->tsc)
						continue;
					if (rec)
						perf_hist_add(w->hist, now - h->tsc);
					if (it->outstanding > 0)
						it->outstanding--;
				}
				it->qs->rx_pkts += n;
				it->qs->rx_bytes += bytes;
				it->last_rx_tsc = now;
				rte_pktmbuf_free_bulk(pkts, n);
			} else if (it->outstanding > 0 && now - it->last_rx_tsc > give_up) {
				/* lost on the way: stop waiting for them */
				it->qs->lost += it->outstanding;
				it->outstanding = 0;
				it->last_rx_tsc = now;
			}
		}
	}
	return 0;
}

int
perf_worker_main(void *arg)
{
	struct perf_worker *w = arg;

	return w->job != NULL ? w->job(w) : 0;
}
