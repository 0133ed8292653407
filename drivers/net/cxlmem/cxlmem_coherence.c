/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_coherence.c - which cache-line instructions this CPU has, for the
 * write-back and invalidate helpers of cxlmem_coherence.h (coherence=flush).
 */
#if defined(RTE_ARCH_X86) || defined(__x86_64__)
#include <cpuid.h>
#endif

#include <rte_common.h>

#include "cxlmem_coherence.h"

int cxlmem_cpu_has_clwb;
int cxlmem_cpu_has_clflushopt;

/** Detect CLWB and CLFLUSHOPT: CPUID leaf 7, sub-leaf 0, EBX bits 24 and 23
 *  (Intel SDM vol. 2A, CPUID). */
void
cxlmem_coherence_init(void)
{
#if defined(RTE_ARCH_X86) || defined(__x86_64__)
	unsigned int a, b, c, d;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		cxlmem_cpu_has_clwb = (b >> 24) & 1;
		cxlmem_cpu_has_clflushopt = (b >> 23) & 1;
	}
#endif
}
