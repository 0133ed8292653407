/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_stale.h - the stale-read injector's interface (test builds only,
 * compiled in with -DCXLMEM_STALE_INJECT; the implementation is
 * test/stale/cxlmem_stale.c).
 *
 * The model: each mapping of a window (each end, even two ends in one
 * process) gets a private copy of the window, its "cache"; the file itself
 * is "memory". Every load and store of the driver hits the private copy.
 * Data moves between the two only at line granularity and only here:
 *   cxlmem_stale_wb_line(p)   copy p's line from the cache to memory
 *                             (CLWB / DC CVAC);
 *   cxlmem_stale_inv_line(p)  if the cached line was written since it was
 *                             last fetched, write it back first; then fetch
 *                             it from memory (CLFLUSH(OPT) / DC CIVAC).
 * The copy is never refreshed or evicted behind the driver's back, so a
 * read the driver did not invalidate returns stale data for ever, and a
 * store it did not write back never reaches the peer: a missing flush or
 * invalidate becomes a deterministic test failure on coherent memory.
 *
 * The private copies are installed by wrapping mmap (link with
 * -Wl,--wrap=mmap64,--wrap=mmap,--wrap=munmap) and are active only when the
 * environment has CXLMEM_STALE_INJECT=1; otherwise both calls fall through
 * to the instructions.
 */
#ifndef CXLMEM_STALE_H
#define CXLMEM_STALE_H

void cxlmem_stale_wb_line(const volatile void *p);
void cxlmem_stale_inv_line(const volatile void *p);

#endif /* CXLMEM_STALE_H */
