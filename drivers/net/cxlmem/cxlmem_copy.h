/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_copy.h - the sender's copy of a frame into its window slot, with
 * cached stores (rte_memcpy) or non-temporal stores (devarg nt_store=).
 *
 * A cached store to a line the CPU does not own first reads the line in
 * (a read-for-ownership): from the peer's cache, which read the slot one
 * lap ago, or across the CXL link from device memory. A non-temporal store
 * (x86 MOVNTDQ) writes the line to memory through a write-combining buffer
 * without reading it, and drops any cached copy. It pays when the peer does
 * not share a cache with us (another host, a device, a far core) and always
 * in coherence=flush, where the receiver reads from memory anyway; it costs
 * when the peer shares our last-level cache and would have read the line
 * from there. Measured figures: docs/performance.md, "Non-temporal stores".
 *
 * Which copies (cxlmem_nt_min()): in coherence=hw those of at least
 * CXLMEM_NT_MIN_HW bytes, since a small frame's line or two is cheap to take
 * from the peer's cache (at 64 B the two measured the same); in
 * coherence=flush those of at least CXLMEM_NT_MIN_FLUSH bytes: a cached
 * store written back with CLWB may stay in this cache, and the reader, which
 * invalidated only its own copy, then takes it from here rather than from
 * memory; non-temporal stores send every line to memory. Measured on an
 * Intel VM (2026-12-06, docs/performance.md, "coherence=flush stores small
 * frames cached"): cached 1.6x / 1.4x / 1.2x the rate of non-temporal at
 * 64 / 128 / 256 B, non-temporal 1.1x / 1.2x at 512 / 1518 B.
 *
 * Ordering: non-temporal stores are weakly ordered. Intel SDM vol. 3A,
 * "Memory Ordering in P6 and More Recent Processor Families": writes are
 * not reordered with other writes, except streaming stores (MOVNTI, MOVNTDQ,
 * ...) and string operations; SFENCE orders them. So the burst that used
 * them issues SFENCE before it publishes prod (cxlmem_rxtx.c, tx burst).
 *
 * Elsewhere than x86 the copy is rte_memcpy() either way.
 */
#ifndef CXLMEM_COPY_H
#define CXLMEM_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_memcpy.h>
#if defined(RTE_ARCH_X86)
#include <emmintrin.h>
#endif

/** Shortest copy stored non-temporally in coherence=hw (4 lines). */
#define CXLMEM_NT_MIN_HW 256u
/** Shortest copy stored non-temporally in coherence=flush (8 lines). */
#define CXLMEM_NT_MIN_FLUSH 512u
/** cxlmem_queue.nt_min when non-temporal stores are off. */
#define CXLMEM_NT_OFF UINT32_MAX

/** The shortest copy a TX queue stores non-temporally (CXLMEM_NT_OFF: none). */
static inline uint32_t
cxlmem_nt_min(bool nt_store, bool flush)
{
	return !nt_store ? CXLMEM_NT_OFF : flush ? CXLMEM_NT_MIN_FLUSH : CXLMEM_NT_MIN_HW;
}

/** Whether cxlmem_copy_to_window() can store non-temporally here. */
#if defined(RTE_ARCH_X86)
#define CXLMEM_HAVE_NT_STORE 1
#else
#define CXLMEM_HAVE_NT_STORE 0
#endif

/*
 * Copy n bytes from src (local memory, any alignment) to dst (the window,
 * any alignment). When n >= nt_min, the whole 64-byte lines of dst are
 * written with non-temporal stores, a full line at a time, and the partial
 * lines at either end (under 64 bytes each) with ordinary stores: no line
 * gets both kinds, and no write-combining buffer is flushed half full (a
 * frame whose last line took a partial non-temporal store and an ordinary
 * one ran at a third of the rate in cxl-perf at 1518 B). The caller fences
 * before publishing (see above).
 */
static __rte_always_inline void
cxlmem_copy_to_window(void *dst, const void *src, uint32_t n, uint32_t nt_min)
{
#if CXLMEM_HAVE_NT_STORE
	if (n >= nt_min) {
		uint8_t *d = dst;
		const uint8_t *s = src;
		uint32_t head = RTE_MIN((uint32_t)(-(uintptr_t)d & 63u), n);

		memcpy(d, s, head);
		d += head;
		s += head;
		n -= head;
		for (; n >= 64; n -= 64, d += 64, s += 64) {
			const __m128i a = _mm_loadu_si128((const __m128i *)s);
			const __m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
			const __m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
			const __m128i e = _mm_loadu_si128((const __m128i *)(s + 48));

			_mm_stream_si128((__m128i *)d, a);
			_mm_stream_si128((__m128i *)(d + 16), b);
			_mm_stream_si128((__m128i *)(d + 32), c);
			_mm_stream_si128((__m128i *)(d + 48), e);
		}
		memcpy(d, s, n);
		return;
	}
#else
	RTE_SET_USED(nt_min);
#endif
	rte_memcpy(dst, src, n);
}

#endif /* CXLMEM_COPY_H */
