/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: setting up ethdev ports (ports.c), shared with kern_tap.c.
 */
#ifndef CXL_FWD_PORTS_H
#define CXL_FWD_PORTS_H

#include <stdbool.h>
#include "fwd.h"

struct fwd_port_cfg {
	unsigned int max_frame;   /* largest frame, bytes (scatter if > mbuf) */
	bool is_tap;              /* net_tap: MTU set around its 1522-byte limit */
	bool promisc;             /* every frame, whatever its destination MAC */
	bool want_offloads;       /* enable the advertised TSO/LRO/checksum ones */
	bool rx_intr;             /* rx queue interrupts (an fd to wait on) */
};

/* Configure ctx->opts.queues queue pairs on ctx->pool, start; rte_exit on
 * failure. */
void fwd_setup_port(const struct fwd_ctx *ctx, struct port_info *pi,
		    const struct fwd_port_cfg *cfg);
void fwd_port_refresh_link(struct port_info *pi);
void fwd_close_port(struct port_info *pi);

#endif
