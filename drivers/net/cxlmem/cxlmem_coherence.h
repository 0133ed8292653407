/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_coherence.h - cache maintenance for coherence=flush.
 *
 * Memory that two hosts share without hardware coherence (e.g. a CXL 2.0
 * switch-attached HDM range seen by two hosts, or CXL.mem HDM-H without
 * back-invalidation) only guarantees that data written back to the device
 * is seen by a reader that does not hold a stale copy. The rule, applied by
 * the burst functions at the lines that need it:
 *   writer: plain stores; write back every written line (CLWB, or
 *           CLFLUSHOPT/CLFLUSH where CLWB is absent); SFENCE; then publish
 *           the index and write the index line back too.
 *   reader: invalidate (CLFLUSHOPT/CLFLUSH) the line before each read of
 *           data the peer wrote; MFENCE so the loads that follow cannot be
 *           served before the invalidation completes.
 * See Intel SDM vol. 2 (CLWB, CLFLUSHOPT: ordered by SFENCE/MFENCE) and
 * CXL 3.1 section 7.7 (multi-headed devices without HW coherence).
 * arm64: DC CVAC writes back, DC CIVAC invalidates, and both fences are
 * DSB SY (the Arm ARM section is cited at the definitions below).
 *
 * CXLMEM_STALE_INJECT (test builds only) lets a test serve the reader a
 * stale copy of any line it did not invalidate, and keep from the peer any
 * line the writer did not write back; see cxlmem_stale.h. Without that
 * define cxlmem_wb_line()/cxlmem_inv_line() are the bare instructions.
 */
#ifndef CXLMEM_COHERENCE_H
#define CXLMEM_COHERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "cxlmem_layout.h"

/** CPU features, filled by cxlmem_coherence_init(). */
extern int cxlmem_cpu_has_clwb;
extern int cxlmem_cpu_has_clflushopt;

/** Detect CLWB/CLFLUSHOPT once (x86); safe to call repeatedly. */
void cxlmem_coherence_init(void);

#if defined(RTE_ARCH_X86) || defined(__x86_64__)
/*
 * The "+m" operand names one byte, but the instruction acts on the whole
 * line: without the "memory" clobber the compiler may keep a store to any
 * other byte of the line in a register or sink it below the write-back, and
 * that store then stays in our cache while the peer reads the line.
 */
static inline void
cxlmem_clflush(const volatile void *p)
{
	__asm__ volatile("clflush %0" : "+m" (*(volatile char *)(uintptr_t)p) : : "memory");
}

static inline void
cxlmem_clflushopt(const volatile void *p)
{
	/* 66 0F AE /7; "memory": the whole line, not one byte (see above) */
	__asm__ volatile(".byte 0x66; clflush %0" : "+m" (*(volatile char *)(uintptr_t)p) : : "memory");
}

static inline void
cxlmem_clwb(const volatile void *p)
{
	/* 66 0F AE /6; "memory": the whole line, not one byte (see above) */
	__asm__ volatile(".byte 0x66; xsaveopt %0" : "+m" (*(volatile char *)(uintptr_t)p) : : "memory");
}

static inline void cxlmem_sfence(void) { __asm__ volatile("sfence" ::: "memory"); }
static inline void cxlmem_mfence(void) { __asm__ volatile("mfence" ::: "memory"); }

/** Write one line back to memory (the line may stay cached). */
static inline void
cxlmem_hw_wb_line(const volatile void *p)
{
	if (cxlmem_cpu_has_clwb)
		cxlmem_clwb(p);
	else if (cxlmem_cpu_has_clflushopt)
		cxlmem_clflushopt(p);
	else
		cxlmem_clflush(p);
}

/** Drop our copy of one line (written back first if dirty). */
static inline void
cxlmem_hw_inv_line(const volatile void *p)
{
	if (cxlmem_cpu_has_clflushopt)
		cxlmem_clflushopt(p);
	else
		cxlmem_clflush(p);
}
#elif defined(__aarch64__)
/*
 * arm64: DC CVAC cleans (writes back) a line to the Point of Coherency,
 * DC CIVAC cleans and invalidates it. A DC instruction by VA is ordered
 * after earlier loads and stores to the same line, so no barrier is needed
 * between the payload stores and the DC CVAC of their line.
 */
static inline void cxlmem_hw_wb_line(const volatile void *p)
{ __asm__ volatile("dc cvac, %0" :: "r" (p) : "memory"); }
static inline void cxlmem_hw_inv_line(const volatile void *p)
{ __asm__ volatile("dc civac, %0" :: "r" (p) : "memory"); }
/*
 * Both fences are DSB SY. Arm ARM for A-profile (DDI 0487 M.a.a), D7.5.9.15
 * "Ordering and completion of data and instruction cache instructions": a
 * cache maintenance instruction "is only guaranteed to be complete, and its
 * effects visible to other observers, following a DSB", and there "a DMB or
 * DSB [...] means a DMB or DSB whose required access type is both loads and
 * stores". DSB ST (stores only) therefore does not complete the DC CVAC
 * write-backs before prod is published, so the writer's fence is a full DSB
 * too. SY (full system) because the peer may be another host or the device
 * across CXL, outside our Inner and Outer Shareable domains. Linux does
 * the same for DMA and pmem: arch/arm64/mm/cache.S dcache_clean_poc and
 * dcache_clean_pop are "dcache_by_line_op cvac|cvap, sy", which ends in
 * DSB SY.
 */
static inline void cxlmem_sfence(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void cxlmem_mfence(void) { __asm__ volatile("dsb sy" ::: "memory"); }
#else
#error "cxlmem: coherence=flush needs cache maintenance instructions for this architecture"
#endif

#ifdef CXLMEM_STALE_INJECT
/*
 * Test builds: every line maintenance goes through the stale-read injector
 * (cxlmem_stale.h), which serves each end a private copy of the window that
 * only these two calls move data in and out of.
 */
#include "cxlmem_stale.h"
static inline void cxlmem_wb_line(const volatile void *p) { cxlmem_stale_wb_line(p); }
static inline void cxlmem_inv_line(const volatile void *p) { cxlmem_stale_inv_line(p); }
#else
/* The default build: the instructions themselves, nothing in between. */
static inline void cxlmem_wb_line(const volatile void *p) { cxlmem_hw_wb_line(p); }
static inline void cxlmem_inv_line(const volatile void *p) { cxlmem_hw_inv_line(p); }
#endif

/** Address of the cache line that holds p (maintenance is per line). */
#define CXLMEM_LINE_OF(p) ((uintptr_t)(p) & ~(uintptr_t)(CXLMEM_LINE - 1))

/** Write back every line of [p, p + len). */
static inline void
cxlmem_wb_range(const volatile void *p, size_t len)
{
	uintptr_t a = CXLMEM_LINE_OF(p);
	uintptr_t end = (uintptr_t)p + len;

	for (; a < end; a += CXLMEM_LINE)
		cxlmem_wb_line((const volatile void *)a);
}

/** Invalidate every line of [p, p + len). */
static inline void
cxlmem_inv_range(const volatile void *p, size_t len)
{
	uintptr_t a = CXLMEM_LINE_OF(p);
	uintptr_t end = (uintptr_t)p + len;

	for (; a < end; a += CXLMEM_LINE)
		cxlmem_inv_line((const volatile void *)a);
}

#endif /* CXLMEM_COHERENCE_H */
