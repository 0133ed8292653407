/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * heap_mbuf.h - mbuf chains outside any mempool, for tests and fuzz targets
 * of code that only reads and writes mbuf fields and data (no EAL): every
 * mbuf and every segment's data is its own heap block of exactly its
 * length, so ASan sees a read or write one byte past a segment.
 */
#ifndef CXLMEM_TEST_HEAP_MBUF_H
#define CXLMEM_TEST_HEAP_MBUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>

/* An mbuf chain holding bytes[0, len), cut after the lengths in cuts
 * (ncut of them, each > 0; the rest goes into a last segment; len 0 gives
 * one empty segment). Aborts when memory is short. */
static inline struct rte_mbuf *
mk_chain(const uint8_t *bytes, uint32_t len, const uint32_t *cuts, unsigned int ncut)
{
	struct rte_mbuf *head = NULL, **link = &head;
	uint32_t done = 0;
	uint16_t nseg = 0;
	unsigned int i;

	for (i = 0; i <= ncut && (done < len || i == 0); i++) {
		uint32_t n = i < ncut ? RTE_MIN(cuts[i], len - done) : len - done;
		struct rte_mbuf *m;
		void *mem;

		if (posix_memalign(&mem, RTE_CACHE_LINE_SIZE, sizeof(*m)) != 0)
			abort();
		m = mem;
		memset(m, 0, sizeof(*m));
		m->buf_addr = malloc(n ? n : 1);
		if (m->buf_addr == NULL)
			abort();
		memcpy(m->buf_addr, bytes + done, n);
		m->buf_len = (uint16_t)n;
		m->data_len = (uint16_t)n;
		rte_mbuf_refcnt_set(m, 1);
		*link = m;
		link = &m->next;
		done += n;
		nseg++;
	}
	head->nb_segs = nseg;
	head->pkt_len = len;
	return head;
}

/* Free a chain of mk_chain(). */
static inline void
free_chain(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *n = m->next;

		free(m->buf_addr);
		free(m);
		m = n;
	}
}

/* The chain's bytes, flattened into out; returns their count. */
static inline uint32_t
flatten(const struct rte_mbuf *m, uint8_t *out)
{
	uint32_t n = 0;

	for (; m != NULL; m = m->next) {
		memcpy(out + n, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		n += m->data_len;
	}
	return n;
}

#endif /* CXLMEM_TEST_HEAP_MBUF_H */
