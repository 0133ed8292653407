/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_attach.c - how a port takes its place in a window at probe, before
 * any link: the superblock (the host formats it, both ends check it), the
 * geometry the two ends share, the role claim (open-file-description locks
 * against processes of this operating system, the heartbeat against one
 * across the link), the ring addresses of this process's mapping, and the
 * first publication of our control line (state ONLINE). What happens from
 * then on, the link, is cxlmem_link.c's.
 * Every value read from the window is read once into a local copy
 * (cxlmem_line_read()), checked, then used: a peer that rewrites a line
 * between our check and our use cannot reach the use.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "cxlmem.h"
#include "cxlmem_ctrl.h"

/* ---- superblock ---------------------------------------------------------- */

/**
 * Check the superblock at sb (untrusted input: the live line in the window
 * or a copy of it) for a window of win_size bytes; on success fill *g with
 * the geometry it holds. The line is read once, into a local copy, and
 * only the copy is checked and used: a peer rewriting the line during the
 * check cannot get unchecked values into *g. Every size is computed with
 * overflow checks (cxlmem_geometry()). The magic is the caller's to check.
 * Returns 0 when usable, -EPROTO for another layout version, -EINVAL for
 * values this driver cannot use (ranges, a stride that disagrees with the
 * geometry, sizes that overflow 64 bits, rings that do not fit the
 * window); logs one line on failure.
 */
int
cxlmem_sb_check(const struct cxlmem_superblock *sb, uint64_t win_size, struct cxlmem_geometry *g)
{
	struct cxlmem_superblock c;
	struct cxlmem_geometry tmp;

	cxlmem_line_copy(&c, sb);
	if (c.version != CXLMEM_LAYOUT_VERSION) {
		CXLMEM_LOG(ERR, "window holds cxlmem layout version %u, this driver speaks %u; "
			   "use a driver of that version or re-create the window (new path=)",
			   c.version, CXLMEM_LAYOUT_VERSION);
		return -EPROTO;
	}
	if (c.line_size != CXLMEM_LINE || c.desc_size != sizeof(struct cxlmem_desc) ||
	    c.nb_queues < 1 || c.nb_queues > CXLMEM_MAX_QUEUES ||
	    c.ring_size < CXLMEM_MIN_RING_SIZE || c.ring_size > CXLMEM_MAX_RING_SIZE ||
	    !rte_is_power_of_2(c.ring_size) ||
	    c.buf_size < CXLMEM_MIN_BUF_SIZE || c.buf_size > CXLMEM_MAX_BUF_SIZE ||
	    c.buf_size % CXLMEM_LINE != 0 ||
	    c.queue_offset != CXLMEM_QUEUE_AREA_OFFSET ||
	    cxlmem_geometry(c.nb_queues, c.ring_size, c.buf_size, &tmp) != 0 ||
	    c.ring_stride != tmp.ring_stride) {
		CXLMEM_LOG(ERR, "window superblock is inconsistent (queues=%u rsize=%u bsize=%u, "
			   "window %" PRIu64 " bytes); re-create the window", c.nb_queues,
			   c.ring_size, c.buf_size, win_size);
		return -EINVAL;
	}
	if (tmp.window_bytes > win_size) {
		CXLMEM_LOG(ERR, "the window's superblock says queues=%u rsize=%u bsize=%u, which "
			   "needs %" PRIu64 " bytes, but the window has %" PRIu64 " (a truncated "
			   "file, or the wrong offset=/size=?); re-create the window", c.nb_queues,
			   c.ring_size, c.buf_size, tmp.window_bytes, win_size);
		return -EINVAL;
	}
	*g = tmp;
	return 0;
}

static bool
geometry_equal(const struct cxlmem_geometry *a, const struct cxlmem_geometry *b)
{
	return a->nb_queues == b->nb_queues && a->ring_size == b->ring_size &&
	       a->buf_size == b->buf_size;
}

/*
 * Host: lay out a window. Only host-owned lines are written: the superblock
 * and the host's control line (its epoch kept, so the next life still looks
 * new to a device that synchronised with an earlier one). Device-owned lines
 * are never touched, whatever they hold (single writer per line); ring
 * indexes need no reset, because each side adopts the other's indexes when
 * it synchronises with a new peer epoch (resync_with_peer()). Everything
 * but the magic first, then the magic with a store-release, so a reader
 * that sees the magic sees the geometry.
 */
static void
sb_format(struct pmd_internals *pi, struct cxlmem_window *w)
{
	struct cxlmem_superblock *sb = cxlmem_win_sb(w);
	struct cxlmem_ctrl *host = cxlmem_win_ctrl(w, CXLMEM_ROLE_HOST);
	uint32_t host_epoch = host->epoch;

	rte_atomic_store_explicit(&sb->magic, 0, rte_memory_order_release);
	memset(host, 0, sizeof(*host));
	host->epoch = host_epoch;
	sb->version = CXLMEM_LAYOUT_VERSION;
	sb->line_size = CXLMEM_LINE;
	sb->features = CXLMEM_FEAT_NONE;
	sb->window_size = w->size;
	sb->nb_queues = pi->run.nb_queues;
	sb->ring_size = pi->run.ring_size;
	sb->buf_size = pi->run.buf_size;
	sb->desc_size = sizeof(struct cxlmem_desc);
	sb->queue_offset = CXLMEM_QUEUE_AREA_OFFSET;
	sb->ring_stride = pi->run.ring_stride;
	cxlmem_line_publish(pi, host);
	cxlmem_line_publish(pi, sb);
	/* Release: the geometry before the magic; pairs with the acquire
	 * fence of cxlmem_line_read() in settle_geometry() and link_check(). */
	rte_atomic_store_explicit(&sb->magic, CXLMEM_MAGIC, rte_memory_order_release);
	cxlmem_line_publish(pi, sb);
	CXLMEM_LOG(INFO, "formatted %s: queues=%u rsize=%u bsize=%u", w->path,
		   pi->run.nb_queues, pi->run.ring_size, pi->run.buf_size);
}

/**
 * Point pp->rings at the rings of geometry g in pp's mapping of the window
 * (this process's addresses); entries of queues beyond g->nb_queues are
 * cleared. g->window_bytes must not exceed the mapped window.
 */
void
cxlmem_rings_map(struct pmd_process_private *pp, const struct cxlmem_geometry *g)
{
	uint32_t q;
	unsigned int d;

	memset(pp->rings, 0, sizeof(pp->rings));
	for (q = 0; q < g->nb_queues; q++) {
		for (d = 0; d < 2; d++) {
			uint8_t *ring = pp->win.base + cxlmem_ring_offset(g, q, (enum cxlmem_dir)d);
			struct cxlmem_ring_cons *cl = (struct cxlmem_ring_cons *)(ring + CXLMEM_LINE);
			struct cxlmem_ring *r = &pp->rings[q][d];

			r->prod = &((struct cxlmem_ring_prod *)ring)->prod;
			r->cons = &cl->cons;
			r->intr_arm = &cl->intr_arm;
			r->polls = &cl->polls;
			r->desc = (struct cxlmem_desc *)(ring + CXLMEM_DESC_OFFSET);
			r->bufs = ring + g->buf_offset;
		}
	}
}

/* ---- role claim and geometry ---------------------------------------------- */

/*
 * Is the owner of control line c alive? Waits up to link_timeout + a tick
 * for its heartbeat to move. In coherence=flush every read, the first one
 * included, is made after invalidating our copy of the line: a copy cached
 * before the owner came online would say OFFLINE and let two writers share
 * the rings.
 */
static bool
owner_alive(const struct pmd_internals *pi, const struct cxlmem_ctrl *live)
{
	const struct cxlmem_params *p = &pi->params;
	const uint64_t until = rte_get_timer_cycles() +
		(uint64_t)(p->link_timeout_ms * 1000ull + CXLMEM_TICK_US) * rte_get_timer_hz() / 1000000;
	struct cxlmem_ctrl c;
	uint64_t hb0;

	cxlmem_line_read(pi, &c, live);
	if (c.state == CXLMEM_STATE_OFFLINE)
		return false;
	hb0 = c.heartbeat;
	while (rte_get_timer_cycles() < until) {
		rte_delay_us_sleep(1000);
		cxlmem_line_read(pi, &c, live);
		if (c.heartbeat != hb0)
			return true;
	}
	return false;
}

/* Does the window hold the geometry asked for (pi->cfg)? Returns 0, or
 * -ENOSPC after one log line. */
static int
cfg_fits(const char *name, const struct pmd_internals *pi, const struct cxlmem_window *w)
{
	if (pi->cfg.window_bytes > w->size) {
		CXLMEM_LOG(ERR, "%s: window %s is %" PRIu64 " bytes, the geometry queues=%u rsize=%u "
			   "bsize=%u needs %" PRIu64 "; give size=%" PRIu64 " or more (on a new "
			   "file), or fewer queues or smaller rings", name, w->path, w->size,
			   pi->cfg.nb_queues, pi->cfg.ring_size, pi->cfg.buf_size,
			   pi->cfg.window_bytes, pi->cfg.window_bytes);
		return -ENOSPC;
	}
	return 0;
}

/* Host: format the window with the geometry asked for (pi->cfg, which
 * becomes pi->run) if it fits; nothing is written into a window too small
 * for it. Returns 0 or -ENOSPC. */
static int
format_window(const char *name, struct pmd_internals *pi, struct cxlmem_window *w)
{
	int ret = cfg_fits(name, pi, w);

	if (ret != 0)
		return ret;
	pi->run = pi->cfg;
	sb_format(pi, w);
	return 0;
}

/* Settle the geometry with the window's superblock. Returns 0 or -errno. */
static int
settle_geometry(const char *name, struct pmd_internals *pi, struct cxlmem_window *w)
{
	const struct cxlmem_params *p = &pi->params;
	struct cxlmem_superblock sb;
	struct cxlmem_geometry g;
	int ret;

	cxlmem_line_read(pi, &sb, cxlmem_win_sb(w));
	if (sb.magic != CXLMEM_MAGIC) {
		if (p->role == CXLMEM_ROLE_HOST)
			return format_window(name, pi, w);
		else
			CXLMEM_LOG(NOTICE, "%s: window %s not formatted yet; link stays down until "
				   "the role=host end formats it", name, w->path);
		return 0;
	}
	ret = cxlmem_sb_check(&sb, w->size, &g);
	if (ret != 0)
		return ret;
	if (geometry_equal(&g, &pi->cfg) || !p->geometry_set) {
		/* The same, or none given: use the window's. */
		pi->run = g;
		return 0;
	}
	if (p->role == CXLMEM_ROLE_HOST &&
	    !owner_alive(pi, cxlmem_win_ctrl(w, CXLMEM_ROLE_DEVICE))) {
		CXLMEM_LOG(NOTICE, "%s: re-formatting %s from queues=%u rsize=%u bsize=%u", name,
			   w->path, g.nb_queues, g.ring_size, g.buf_size);
		return format_window(name, pi, w);
	}
	CXLMEM_LOG(ERR, "%s: window %s is formatted with queues=%u rsize=%u bsize=%u%s; "
		   "give the same geometry (or none)", name, w->path, g.nb_queues, g.ring_size,
		   g.buf_size, p->role == CXLMEM_ROLE_HOST ? " and its device end is online" : "");
	/* Not -EEXIST: the vdev bus reads that as "already probed". */
	return -EINVAL;
}

static int
claim_role(const char *name, struct pmd_internals *pi, struct cxlmem_window *w)
{
	const struct cxlmem_params *p = &pi->params;
	const struct cxlmem_ctrl *live = cxlmem_win_ctrl(w, p->role);
	const char *role = p->role == CXLMEM_ROLE_HOST ? "host" : "device";
	struct cxlmem_ctrl c;
	int ret;

	ret = cxlmem_lock_role(w, p);
	if (ret == -EBUSY) {
		cxlmem_line_read(pi, &c, live);
		CXLMEM_LOG(ERR, "%s: role=%s of %s (offset %" PRIu64 ") is owned by process %u on "
			   "this machine; stop it, or use the other role", name, role, w->path,
			   p->offset, c.pid);
		return -EBUSY;
	}
	if (ret == -EADDRINUSE) {
		CXLMEM_LOG(ERR, "%s: offset=%" PRIu64 " size=%" PRIu64 " overlaps a sub-window of %s "
			   "that another port uses; choose a range that does not overlap", name,
			   p->offset, w->size, w->path);
		return -EADDRINUSE;
	}
	if (ret != 0) {
		CXLMEM_LOG(ERR, "%s: cannot lock %s: %s", name, w->path, strerror(-ret));
		return ret;
	}
	if (owner_alive(pi, live)) {
		cxlmem_line_read(pi, &c, live);
		CXLMEM_LOG(ERR, "%s: role=%s of %s is owned by a live process (pid %u, heartbeat "
			   "advancing) on the other side of the window; stop it, or use the other "
			   "role", name, role, w->path, c.pid);
		return -EBUSY;
	}
	cxlmem_line_read(pi, &c, live);
	if (c.state != CXLMEM_STATE_OFFLINE)
		CXLMEM_LOG(NOTICE, "%s: taking over role=%s of %s from pid %u (heartbeat stopped)",
			   name, role, w->path, c.pid);
	return 0;
}

/**
 * Primary's attach to a mapped window: claim our role, settle the geometry
 * (format as host, or adopt the window's when none was given), and check
 * that the window holds it. pi->cfg holds the devargs' geometry; on
 * success pi->run holds the one in use.
 * Returns 0, or a negative errno after one log line: -EBUSY (role owned
 * here or across the link), -EADDRINUSE (overlapping sub-window), -EPROTO
 * (other layout version), -EINVAL (inconsistent superblock or another
 * geometry), -ENOSPC (window smaller than its geometry).
 */
int
cxlmem_ctrl_attach(const char *name, struct pmd_internals *pi, struct cxlmem_window *w)
{
	int ret;

	if (pi->params.geometry_set) {
		ret = cfg_fits(name, pi, w);
		if (ret != 0)
			return ret;
	}
	ret = claim_role(name, pi, w);
	if (ret != 0)
		return ret;
	ret = settle_geometry(name, pi, w);
	if (ret != 0)
		return ret;
	if (pi->run.window_bytes > w->size) {
		CXLMEM_LOG(ERR, "%s: window %s is %" PRIu64 " bytes, the geometry queues=%u rsize=%u "
			   "bsize=%u needs %" PRIu64 "; give a smaller geometry or a larger window",
			   name, w->path, w->size, pi->run.nb_queues, pi->run.ring_size,
			   pi->run.buf_size, pi->run.window_bytes);
		return -ENOSPC;
	}
	return 0;
}

/**
 * Go online: publish our control line for the first time (pid, MAC, no
 * receive queue yet, the default MTU's frame limit, our coherence mode),
 * state ONLINE last.
 */
void
cxlmem_ctrl_online(struct pmd_internals *pi, struct cxlmem_window *w)
{
	struct cxlmem_ctrl *my = cxlmem_win_ctrl(w, pi->params.role);

	my->pid = (uint32_t)getpid();
	memcpy(my->mac, pi->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	my->nb_queues = 0;
	my->mtu = RTE_ETHER_MTU;
	my->tick_us = CXLMEM_TICK_US;
	my->rx_queue_mask = 0;
	my->max_rx_frame = cxlmem_frame_len(RTE_ETHER_MTU);
	my->rx_offloads = 0;
	my->max_gso_frame = 0;
	my->coherence = (uint8_t)pi->params.coherence;
	my->version = CXLMEM_LAYOUT_VERSION;
	my->flags = 0;
	memset(my->reserved, 0, sizeof(my->reserved));
	rte_atomic_store_explicit(&my->peer_epoch_ack, 0, rte_memory_order_relaxed);
	/* Release: the fields above before the state; pairs with the acquire
	 * fence of the peer's cxlmem_line_read(). */
	rte_atomic_store_explicit(&my->state, CXLMEM_STATE_ONLINE, rte_memory_order_release);
	cxlmem_line_publish(pi, my);
}
