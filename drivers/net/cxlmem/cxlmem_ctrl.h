/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_ctrl.h - reading and writing the window's control lines (the
 * superblock and the two ends' struct cxlmem_ctrl) in either coherence
 * mode; shared by the two halves of the control plane, cxlmem_attach.c
 * (superblock, geometry, role claim) and cxlmem_link.c (the link and what
 * each end publishes).
 */
#ifndef CXLMEM_CTRL_H
#define CXLMEM_CTRL_H

#include "cxlmem.h"
#include "cxlmem_coherence.h"
#include "cxlmem_compat.h"

/* coherence=flush: our writes to a line we own reach memory. */
static inline void
cxlmem_line_publish(const struct pmd_internals *pi, const volatile void *line)
{
	if (pi->params.coherence == CXLMEM_COHERENCE_FLUSH) {
		cxlmem_sfence();
		cxlmem_wb_line(line);
		cxlmem_sfence();
	}
}

/* coherence=flush: drop our copy of a line the peer writes. */
static inline void
cxlmem_line_refresh(const struct pmd_internals *pi, const volatile void *line)
{
	if (pi->params.coherence == CXLMEM_COHERENCE_FLUSH) {
		cxlmem_inv_line(line);
		cxlmem_mfence();
	}
}

/*
 * Read a line the peer (or a previous owner) writes, once, into copy: in
 * coherence=flush after invalidating our cached copy, so a stale line
 * cannot pass for the current one. The acquire fence after the relaxed
 * loads makes this the acquire side of the writer's store-release of
 * ctrl.state, ctrl.epoch and ctrl.peer_epoch_ack (cxlmem_ctrl_start(),
 * resync_with_peer()) and of the superblock's magic (sb_format()).
 */
static inline void
cxlmem_line_read(const struct pmd_internals *pi, void *copy, const void *line)
{
	cxlmem_line_refresh(pi, line);
	cxlmem_line_copy(copy, line);
	rte_atomic_thread_fence(rte_memory_order_acquire);
}

#endif /* CXLMEM_CTRL_H */
