/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_ctrl.c - the control plane of net_cxlmem: what the two ends of a
 * window tell each other through the superblock and their control lines
 * (cxlmem_layout.h).
 *   - the superblock: the host formats it, both ends check it;
 *   - the role claim: open-file-description locks against processes of this
 *     operating system, the heartbeat against one across the link;
 *   - the link: heartbeat, epochs and resync, checked every CXLMEM_TICK_US on
 *     the EAL alarm thread from probe until close;
 *   - what this end publishes for the peer's transmit side (the receive
 *     queues it polls, the largest frame it takes, its coherence mode), and
 *     what our transmit queues make of the peer's.
 * Every value read from the window is read once into a local copy
 * (line_read()), checked, then used: a peer that rewrites a line between
 * our check and our use cannot reach the use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"

static inline struct pmd_process_private *
proc_priv(const struct rte_eth_dev *dev)
{
	return dev->process_private;
}

/* coherence=flush: our writes to a line we own reach memory. */
static inline void
ctrl_publish(const struct pmd_internals *pi, const volatile void *line)
{
	if (pi->params.coherence == CXLMEM_COHERENCE_FLUSH) {
		cxlmem_sfence();
		cxlmem_wb_line(line);
		cxlmem_sfence();
	}
}

/* coherence=flush: drop our copy of a line the peer writes. */
static inline void
ctrl_refresh(const struct pmd_internals *pi, const volatile void *line)
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
static void
line_read(const struct pmd_internals *pi, void *copy, const void *line)
{
	ctrl_refresh(pi, line);
	cxlmem_line_copy(copy, line);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

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

	__atomic_store_n(&sb->magic, 0, __ATOMIC_RELEASE);
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
	ctrl_publish(pi, host);
	ctrl_publish(pi, sb);
	/* Release: the geometry before the magic; pairs with the acquire
	 * fence of line_read() in settle_geometry() and link_check(). */
	__atomic_store_n(&sb->magic, CXLMEM_MAGIC, __ATOMIC_RELEASE);
	ctrl_publish(pi, sb);
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
			struct cxlmem_ring *r = &pp->rings[q][d];

			r->prod = &((struct cxlmem_ring_prod *)ring)->prod;
			r->cons = &((struct cxlmem_ring_cons *)(ring + CXLMEM_LINE))->cons;
			r->intr_arm = &((struct cxlmem_ring_cons *)(ring + CXLMEM_LINE))->intr_arm;
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

	line_read(pi, &c, live);
	if (c.state == CXLMEM_STATE_OFFLINE)
		return false;
	hb0 = c.heartbeat;
	while (rte_get_timer_cycles() < until) {
		rte_delay_us_sleep(1000);
		line_read(pi, &c, live);
		if (c.heartbeat != hb0)
			return true;
	}
	return false;
}

/* Host: format the window with the geometry asked for (pi->cfg, which
 * becomes pi->run) if it fits; nothing is written into a window too small
 * for it. Returns 0 or -ENOSPC. */
static int
format_window(const char *name, struct pmd_internals *pi, struct cxlmem_window *w)
{
	if (pi->cfg.window_bytes > w->size) {
		CXLMEM_LOG(ERR, "%s: window %s is %" PRIu64 " bytes, the geometry queues=%u rsize=%u "
			   "bsize=%u needs %" PRIu64 "; give size=%" PRIu64 " or more (on a new "
			   "file), or fewer queues or smaller rings", name, w->path, w->size,
			   pi->cfg.nb_queues, pi->cfg.ring_size, pi->cfg.buf_size,
			   pi->cfg.window_bytes, pi->cfg.window_bytes);
		return -ENOSPC;
	}
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

	line_read(pi, &sb, cxlmem_win_sb(w));
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
		line_read(pi, &c, live);
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
		line_read(pi, &c, live);
		CXLMEM_LOG(ERR, "%s: role=%s of %s is owned by a live process (pid %u, heartbeat "
			   "advancing) on the other side of the window; stop it, or use the other "
			   "role", name, role, w->path, c.pid);
		return -EBUSY;
	}
	line_read(pi, &c, live);
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

	if (pi->params.geometry_set && pi->cfg.window_bytes > w->size) {
		CXLMEM_LOG(ERR, "%s: window %s is %" PRIu64 " bytes, the geometry queues=%u rsize=%u "
			   "bsize=%u needs %" PRIu64 "; give size=%" PRIu64 " or more (on a new "
			   "file), or fewer queues or smaller rings", name, w->path, w->size,
			   pi->cfg.nb_queues, pi->cfg.ring_size, pi->cfg.buf_size,
			   pi->cfg.window_bytes, pi->cfg.window_bytes);
		return -ENOSPC;
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

/* ---- what this end publishes ---------------------------------------------- */

/* Receive queues set up on a started port, as ctrl.rx_queue_mask. */
static uint64_t
rx_queue_mask(const struct rte_eth_dev *dev)
{
	const struct pmd_internals *pi = dev->data->dev_private;
	uint64_t mask = 0;
	uint32_t q;

	if (!pi->started)
		return 0;
	for (q = 0; q < CXLMEM_MAX_QUEUES; q++)
		if (pi->rxq[q] != NULL)
			mask |= 1ull << q;
	return mask;
}

/*
 * The longest frame each of our queues takes or sends: RX drops frames
 * above the configured MTU; TX refuses frames above it or above what the
 * peer's receive side published. Called with ctrl_lock held.
 */
static void
apply_frame_limits(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	const uint32_t ours = cxlmem_frame_len(dev->data->mtu);
	const uint32_t tx = pi->peer_max_frame != 0 ? RTE_MIN(ours, pi->peer_max_frame) : ours;
	uint32_t q;

	for (q = 0; q < CXLMEM_MAX_QUEUES; q++) {
		struct cxlmem_queue *rq = pi->rxq[q], *tq = pi->txq[q];

		/* Single aligned 32-bit stores: a burst sees the old or the new
		 * limit, both of them limits this end accepted. */
		if (rq != NULL)
			__atomic_store_n(&rq->max_frame, ours, __ATOMIC_RELAXED);
		if (tq != NULL)
			__atomic_store_n(&tq->max_frame, tx, __ATOMIC_RELAXED);
	}
}

/** CXLMEM_QRX_* of a receive queue: the RX offloads the application
 *  enabled on the port (dev_configure). */
uint32_t
cxlmem_rx_queue_offloads(const struct rte_eth_dev *dev)
{
	const uint64_t rx = dev->data->dev_conf.rxmode.offloads;
	uint32_t o = 0;

	if (rx & (RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM))
		o |= CXLMEM_QRX_L4_CKSUM;
	if (rx & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		o |= CXLMEM_QRX_IP_CKSUM;
	if (rx & RTE_ETH_RX_OFFLOAD_TCP_LRO)
		o |= CXLMEM_QRX_LRO;
	if (rx & RTE_ETH_RX_OFFLOAD_SCATTER)
		o |= CXLMEM_QRX_SCATTER;
	return o;
}

/** Longest GSO frame our receive side takes: the application's
 *  max_lro_pkt_size with TCP_LRO (ethdev checked it against ours), else 0. */
uint32_t
cxlmem_rx_max_gso(const struct rte_eth_dev *dev)
{
	const struct rte_eth_rxmode *rx = &dev->data->dev_conf.rxmode;

	if (!(rx->offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO))
		return 0;
	return RTE_MIN(rx->max_lro_pkt_size, CXLMEM_MAX_GSO_FRAME_LEN);
}

/* CXLMEM_RXO_* we publish: GSO frames with LRO; partial checksums with
 * LRO (a GSO frame's checksum is partial) or with L4 checksum offload
 * (plain frames we would otherwise complete for the application anyway,
 * so taking them costs no more). */
static uint32_t
rx_offloads_published(const struct rte_eth_dev *dev)
{
	const uint32_t o = cxlmem_rx_queue_offloads(dev);
	uint32_t p = 0;

	if (o & CXLMEM_QRX_LRO)
		p |= CXLMEM_RXO_TSO4 | CXLMEM_RXO_TSO6 | CXLMEM_RXO_CSUM;
	if (o & CXLMEM_QRX_L4_CKSUM)
		p |= CXLMEM_RXO_CSUM;
	return p;
}

/* Publish our receive side: queues polled, largest frames, offloads taken.
 * ctrl_lock held. */
static void
publish_rx(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_ctrl *my = cxlmem_win_ctrl(&proc_priv(dev)->win, pi->params.role);
	uint16_t n = 0;
	uint32_t q;

	for (q = 0; q < CXLMEM_MAX_QUEUES; q++)
		n += pi->rxq[q] != NULL;
	my->nb_queues = n;
	my->mtu = dev->data->mtu;
	__atomic_store_n(&my->max_rx_frame, cxlmem_frame_len(dev->data->mtu), __ATOMIC_RELAXED);
	__atomic_store_n(&my->rx_offloads, rx_offloads_published(dev), __ATOMIC_RELAXED);
	__atomic_store_n(&my->max_gso_frame, cxlmem_rx_max_gso(dev), __ATOMIC_RELAXED);
	__atomic_store_n(&my->rx_queue_mask, rx_queue_mask(dev), __ATOMIC_RELAXED);
	__atomic_store_n(&my->flags, (pi->rx_intr ? CXLMEM_CTRL_F_RX_INTR : 0) |
			 (proc_priv(dev)->db.tx_fd >= 0 ? CXLMEM_CTRL_F_DOORBELL : 0),
			 __ATOMIC_RELAXED);
	ctrl_publish(pi, my);
	apply_frame_limits(dev);
}

/** Publish our receive side after an MTU or queue change (takes ctrl_lock). */
void
cxlmem_ctrl_publish_rx(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;

	rte_spinlock_lock(&pi->ctrl_lock);
	publish_rx(dev);
	rte_spinlock_unlock(&pi->ctrl_lock);
}

/** Publish our MAC address (takes ctrl_lock). */
void
cxlmem_ctrl_publish_mac(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_ctrl *my = cxlmem_win_ctrl(&proc_priv(dev)->win, pi->params.role);

	rte_spinlock_lock(&pi->ctrl_lock);
	memcpy(my->mac, pi->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	ctrl_publish(pi, my);
	rte_spinlock_unlock(&pi->ctrl_lock);
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
	__atomic_store_n(&my->peer_epoch_ack, 0, __ATOMIC_RELAXED);
	/* Release: the fields above before the state; pairs with the acquire
	 * fence of the peer's line_read(). */
	__atomic_store_n(&my->state, CXLMEM_STATE_ONLINE, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);
}

/* ---- link ---------------------------------------------------------------- */

/* Ask q's burst to start or stop moving frames. ctrl_lock held. */
static void
queue_set_enabled(struct cxlmem_queue *q, bool on)
{
	cxlmem_post_begin(q);
	CXLMEM_POST(q, enabled, on);
	cxlmem_post_end(q);
}

/*
 * Set the link state; returns true when it changed (the caller raises the
 * LSC event after dropping ctrl_lock). ctrl_lock held.
 */
static bool
set_link(struct rte_eth_dev *dev, bool up)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct rte_eth_link link = {
		.link_speed = pi->link_speed,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
		.link_autoneg = RTE_ETH_LINK_FIXED,
	};
	uint32_t i;

	if (pi->link_up == up)
		return false;
	/* TX follows the link. RX is enabled by resync_with_peer() and stays
	 * so while the peer is down: frames it published before it stopped or
	 * died are complete (prod moves after the payload) and still belong
	 * to this connection, so they are delivered; a new peer epoch drops
	 * them instead. */
	for (i = 0; i < CXLMEM_MAX_QUEUES; i++)
		if (pi->txq[i] != NULL)
			queue_set_enabled(pi->txq[i], up);
	pi->link_up = up;
	if (!up)
		pi->link_flaps++;
	rte_eth_linkstatus_set(dev, &link);
	CXLMEM_LOG(INFO, "port %u: link %s", pi->port_id, up ? "up" : "down");
	if (up && pi->peer_coherence != pi->params.coherence)
		CXLMEM_LOG(NOTICE, "port %u: link up between coherence=%s here and coherence=%s on "
			   "the peer; safe only when the hw side's accesses are coherent with the "
			   "memory the flush side writes back (docs/cxlmem.md, Coherence)",
			   pi->port_id,
			   pi->params.coherence == CXLMEM_COHERENCE_FLUSH ? "flush" : "hw",
			   pi->peer_coherence == CXLMEM_COHERENCE_FLUSH ? "flush" : "hw");
	return true;
}

static void
link_event(struct rte_eth_dev *dev)
{
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

/*
 * The peer started a new life: ask our bursts to drop its old frames from
 * our receive rings (those below the prod read here) and to forget what we
 * knew of its consumer indexes; then acknowledge its epoch. The peer's new
 * life sends only after our acknowledgement, from the prod it finds, so no
 * frame of it lies below what we read here; and until our RX burst applies
 * the drop, cons stays where it was, which holds the peer back, never
 * lets it overwrite a slot we read. ctrl_lock held.
 */
static void
resync_with_peer(struct rte_eth_dev *dev, uint32_t peer_epoch)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = proc_priv(dev);
	struct cxlmem_ctrl *my = cxlmem_win_ctrl(&pp->win, pi->params.role);
	const enum cxlmem_dir rx_dir = cxlmem_rx_dir(pi->params.role);
	uint32_t i;

	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		struct cxlmem_queue *q = pi->rxq[i];

		if (q != NULL) {
			const struct cxlmem_ring *r = &pp->rings[i][rx_dir];
			uint32_t prod;

			ctrl_refresh(pi, r->prod);
			/* Acquire: pairs with the sender's store-release of prod
			 * in tx_burst(); what lies below prod is a whole frame. */
			prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
			cxlmem_post_begin(q);
			CXLMEM_POST(q, drop_to, prod);
			/* Accept only frames tagged for this life of ours. */
			CXLMEM_POST(q, epoch_tag, (uint16_t)pi->my_epoch);
			CXLMEM_POST(q, enabled, 1);
			CXLMEM_POST(q, resyncs, q->post.resyncs + 1);
			cxlmem_post_end(q);
		}
		q = pi->txq[i];
		if (q != NULL) {
			cxlmem_post_begin(q);
			/* Tag what we send from now on for the peer's new life. */
			CXLMEM_POST(q, epoch_tag, (uint16_t)peer_epoch);
			CXLMEM_POST(q, resyncs, q->post.resyncs + 1);
			cxlmem_post_end(q);
		}
	}
	CXLMEM_LOG(INFO, "port %u: peer epoch %u: synchronised", pi->port_id, peer_epoch);
	pi->synced_peer_epoch = peer_epoch;
	/* Release: the prod loads above before the acknowledgement; pairs
	 * with the acquire fence of the peer's line_read() in link_check(). */
	__atomic_store_n(&my->peer_epoch_ack, peer_epoch, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);
}

/* Declared in cxlmem.h; also called from eth_tx_queue_setup(). */
void
cxlmem_txq_take_peer(struct rte_eth_dev *dev, struct cxlmem_queue *tq)
{
	const struct pmd_internals *pi = dev->data->dev_private;

	cxlmem_post_begin(tq);
	CXLMEM_POST(tq, offloads, pi->peer_rx_offloads);
	CXLMEM_POST(tq, max_gso, pi->peer_max_gso);
	CXLMEM_POST(tq, peer_polls, (pi->peer_rx_mask >> tq->queue_id) & 1);
	CXLMEM_POST(tq, peer_sleeps, pi->peer_rx_intr && proc_priv(dev)->db.tx_fd >= 0);
	cxlmem_post_end(tq);
}

/*
 * What the peer published for our transmit side: the receive queues it
 * polls and its largest frame. A TX queue the peer does not poll refuses
 * frames (counted) rather than fill a ring nobody drains. ctrl_lock held.
 */
static void
apply_peer(struct rte_eth_dev *dev, const struct cxlmem_ctrl *peer)
{
	struct pmd_internals *pi = dev->data->dev_private;
	uint32_t max_frame = peer->max_rx_frame;
	uint32_t rxo = peer->rx_offloads & CXLMEM_RXO_ALL;
	uint32_t max_gso = peer->max_gso_frame;
	const bool rx_intr = (peer->flags & CXLMEM_CTRL_F_RX_INTR) != 0;
	uint32_t q;

	/* Untrusted: a frame limit outside what a receiver can publish is
	 * taken as "not published" (our own limit applies); GSO frames go
	 * whole only within what the layout allows. */
	if (max_frame < cxlmem_frame_len(CXLMEM_MIN_MTU) || max_frame > CXLMEM_MAX_FRAME_LEN)
		max_frame = 0;
	if (!(rxo & (CXLMEM_RXO_TSO4 | CXLMEM_RXO_TSO6)) || max_gso > CXLMEM_MAX_GSO_FRAME_LEN)
		max_gso = 0;
	if (max_gso == 0)
		rxo &= ~(CXLMEM_RXO_TSO4 | CXLMEM_RXO_TSO6);
	if (pi->peer_rx_offloads != rxo || pi->peer_max_gso != max_gso ||
	    pi->peer_rx_intr != rx_intr || pi->peer_rx_mask != peer->rx_queue_mask) {
		pi->peer_rx_offloads = rxo;
		pi->peer_max_gso = max_gso;
		pi->peer_rx_intr = rx_intr;
		pi->peer_rx_mask = peer->rx_queue_mask;
		for (q = 0; q < CXLMEM_MAX_QUEUES; q++)
			if (pi->txq[q] != NULL)
				cxlmem_txq_take_peer(dev, pi->txq[q]);
	}
	pi->peer_rings = (peer->flags & CXLMEM_CTRL_F_DOORBELL) != 0;
	pi->peer_coherence = peer->coherence == CXLMEM_COHERENCE_FLUSH ?
			     CXLMEM_COHERENCE_FLUSH : CXLMEM_COHERENCE_HW;
	if (pi->peer_max_frame != max_frame) {
		pi->peer_max_frame = max_frame;
		apply_frame_limits(dev);
	}
}

/*
 * The peer's progress on our rings, as one value that changes whenever it
 * moves: its producer indexes of our receive rings, its consumer indexes
 * and doorbell requests of our transmit rings (each line read once; values
 * only compared, never used). A peer whose control thread a busy machine
 * delays still moves these while it forwards: that is proof of life too.
 */
static uint64_t
peer_progress(const struct rte_eth_dev *dev)
{
	const struct pmd_internals *pi = dev->data->dev_private;
	const struct pmd_process_private *pp = proc_priv(dev);
	const enum cxlmem_dir rx_dir = cxlmem_rx_dir(pi->params.role);
	const enum cxlmem_dir tx_dir = cxlmem_tx_dir(pi->params.role);
	uint64_t sig = 0;
	uint32_t q;

	for (q = 0; q < pi->run.nb_queues && q < CXLMEM_MAX_QUEUES; q++) {
		const struct cxlmem_ring *rx = &pp->rings[q][rx_dir];
		const struct cxlmem_ring *tx = &pp->rings[q][tx_dir];

		if (rx->prod == NULL || tx->cons == NULL)
			break;
		ctrl_refresh(pi, rx->prod);
		ctrl_refresh(pi, tx->cons);
		sig = sig * 31 + __atomic_load_n(rx->prod, __ATOMIC_RELAXED);
		sig = sig * 31 + __atomic_load_n(tx->cons, __ATOMIC_RELAXED);
		sig = sig * 31 + __atomic_load_n(tx->intr_arm, __ATOMIC_RELAXED);
	}
	return sig;
}

/*
 * Heartbeat and link check, every CXLMEM_TICK_US on the EAL's alarm thread,
 * from probe until close. Reads the peer's control line once (and, on the
 * device end, the superblock); writes our own. The link is up when: we are
 * started, the peer is RUNNING with a heartbeat that advanced within
 * link_timeout, we have acknowledged its epoch (after dropping its old
 * frames), and it has acknowledged ours. Returns true when the link state
 * changed. ctrl_lock held.
 */
static bool
link_check(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_window *w = &proc_priv(dev)->win;
	struct cxlmem_ctrl *my = cxlmem_win_ctrl(w, pi->params.role);
	const struct cxlmem_ctrl *peer_live = cxlmem_win_ctrl(w, cxlmem_peer_role(pi->params.role));
	const uint64_t tick_cycles = rte_get_timer_hz() * CXLMEM_TICK_US / 1000000;
	const uint64_t timeout_cycles = rte_get_timer_hz() * pi->params.link_timeout_ms / 1000;
	const uint64_t now = rte_get_timer_cycles();
	struct cxlmem_ctrl peer;
	bool changed = false;
	uint64_t gap, progress;

	__atomic_store_n(&my->heartbeat, my->heartbeat + 1, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);

	if (!pi->started)
		return set_link(dev, false);
	if (pi->params.role == CXLMEM_ROLE_DEVICE) {
		/* The host may (re)format the window at any time it is
		 * offline: re-check the superblock each tick, on one copy. */
		struct cxlmem_superblock sb;

		line_read(pi, &sb, cxlmem_win_sb(w));
		if (sb.magic != CXLMEM_MAGIC || sb.version != CXLMEM_LAYOUT_VERSION ||
		    sb.nb_queues != pi->run.nb_queues || sb.ring_size != pi->run.ring_size ||
		    sb.buf_size != pi->run.buf_size)
			return set_link(dev, false);
	}

	line_read(pi, &peer, peer_live);
	if (peer.state != CXLMEM_STATE_OFFLINE && peer.version != CXLMEM_LAYOUT_VERSION) {
		/* A peer of another layout version: never a link. */
		if (!pi->peer_version_logged)
			CXLMEM_LOG(ERR, "port %u: the peer (pid %u) speaks cxlmem layout version %u, "
				   "this driver speaks %u; run the same driver version on both ends",
				   pi->port_id, peer.pid, peer.version != 0 ? peer.version : 1,
				   CXLMEM_LAYOUT_VERSION);
		pi->peer_version_logged = true;
		return set_link(dev, false);
	}

	/*
	 * Peer silence is counted in our own ticks, each worth at most two
	 * tick periods: when this whole machine stalls (a hypervisor
	 * descheduling every vCPU), the peer did not get to run either, and
	 * that is no reason to drop the link. Silence ends when the peer's
	 * heartbeat or its indexes on our rings move (peer_progress()): a
	 * busy machine that delays only the peer's control thread while its
	 * lcores forward does not drop it either. A peer that dies while we
	 * run normally is still detected within link_timeout plus one tick:
	 * a dead peer moves nothing.
	 */
	gap = pi->peer_seen ? now - pi->last_tick_tsc : 0;
	gap = RTE_MIN(gap, 2 * tick_cycles);
	pi->last_tick_tsc = now;
	/* Its heartbeat moved, or (a running peer whose control thread is
	 * held up) its indexes on our rings did. */
	progress = peer.state == CXLMEM_STATE_RUNNING ? peer_progress(dev) : pi->peer_progress;
	if (!pi->peer_seen || peer.heartbeat != pi->peer_hb_seen ||
	    progress != pi->peer_progress) {
		pi->peer_seen = true;
		pi->peer_hb_seen = peer.heartbeat;
		pi->peer_progress = progress;
		pi->peer_silent_cycles = 0;
	} else {
		pi->peer_silent_cycles += gap;
	}
	if (peer.state != CXLMEM_STATE_RUNNING || peer.epoch == 0 ||
	    pi->peer_silent_cycles > timeout_cycles) {
		if (pi->link_up)
			CXLMEM_LOG(NOTICE, "port %u: peer %s (state %u, heartbeat silent for %" PRIu64
				   " ms of our running time)", pi->port_id,
				   peer.state != CXLMEM_STATE_RUNNING ? "stopped" : "silent",
				   peer.state, pi->peer_silent_cycles * 1000 / rte_get_timer_hz());
		return set_link(dev, false);
	}
	apply_peer(dev, &peer);
	if (peer.epoch != pi->synced_peer_epoch) {
		changed = set_link(dev, false);
		if (pi->synced_peer_epoch != 0)
			pi->peer_restarts++;
		resync_with_peer(dev, peer.epoch);
	}
	return set_link(dev, peer.peer_epoch_ack == pi->my_epoch) || changed;
}

/** The EAL alarm callback: one link check, then re-arm. */
void
cxlmem_tick(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct pmd_internals *pi = dev->data->dev_private;
	bool changed;

	rte_spinlock_lock(&pi->ctrl_lock);
	changed = link_check(dev);
	rte_spinlock_unlock(&pi->ctrl_lock);
	if (changed)
		link_event(dev);
	if (rte_eal_alarm_set(CXLMEM_TICK_US, cxlmem_tick, dev) != 0)
		CXLMEM_LOG(ERR, "port %u: cannot re-arm the heartbeat alarm; link will go down",
			   pi->port_id);
}

/**
 * dev_start: a new life of our rings: a new epoch, nothing acknowledged
 * yet, our receive queues published, state RUNNING; then a link check at
 * once (which re-arms the heartbeat).
 */
void
cxlmem_ctrl_start(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_ctrl *my = cxlmem_win_ctrl(&proc_priv(dev)->win, pi->params.role);
	uint32_t epoch;

	rte_eal_alarm_cancel(cxlmem_tick, dev);
	rte_spinlock_lock(&pi->ctrl_lock);
	/* Our own line: read once, only to count on from it. */
	epoch = __atomic_load_n(&my->epoch, __ATOMIC_RELAXED);
	pi->my_epoch = epoch + 1 != 0 ? epoch + 1 : 1;
	pi->synced_peer_epoch = 0;
	pi->peer_seen = false;
	pi->started = true;
	publish_rx(dev);
	__atomic_store_n(&my->peer_epoch_ack, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&my->epoch, pi->my_epoch, __ATOMIC_RELAXED);
	/* Release: epoch, ack and receive queues before RUNNING; pairs with
	 * the acquire fence of the peer's line_read() in link_check(). */
	__atomic_store_n(&my->state, CXLMEM_STATE_RUNNING, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);
	rte_spinlock_unlock(&pi->ctrl_lock);
	cxlmem_tick(dev);
}

/**
 * dev_stop: state ONLINE (we keep the role and the heartbeat), no receive
 * queue polled, link down, receive queues off until the next resync.
 */
void
cxlmem_ctrl_stop(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_ctrl *my = cxlmem_win_ctrl(&proc_priv(dev)->win, pi->params.role);
	bool changed;
	uint32_t i;

	rte_eal_alarm_cancel(cxlmem_tick, dev);
	rte_spinlock_lock(&pi->ctrl_lock);
	pi->started = false;
	__atomic_store_n(&my->state, CXLMEM_STATE_ONLINE, __ATOMIC_RELEASE);
	publish_rx(dev);
	changed = set_link(dev, false);
	for (i = 0; i < CXLMEM_MAX_QUEUES; i++)
		if (pi->rxq[i] != NULL)
			queue_set_enabled(pi->rxq[i], false);
	rte_spinlock_unlock(&pi->ctrl_lock);
	if (changed)
		link_event(dev);
	/* Keep the heartbeat: a stopped port still owns its role. */
	if (rte_eal_alarm_set(CXLMEM_TICK_US, cxlmem_tick, dev) != 0)
		CXLMEM_LOG(WARNING, "port %u: cannot re-arm the heartbeat alarm", pi->port_id);
}

/** dev_close: no more heartbeat; state OFFLINE leaves the role free. */
void
cxlmem_ctrl_close(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = proc_priv(dev);
	bool changed;

	rte_eal_alarm_cancel(cxlmem_tick, dev);
	if (pp == NULL || pp->win.base == NULL)
		return;
	rte_spinlock_lock(&pi->ctrl_lock);
	changed = set_link(dev, false);
	pi->started = false;
	{
		struct cxlmem_ctrl *my = cxlmem_win_ctrl(&pp->win, pi->params.role);

		__atomic_store_n(&my->rx_queue_mask, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&my->state, CXLMEM_STATE_OFFLINE, __ATOMIC_RELEASE);
		ctrl_publish(pi, my);
	}
	rte_spinlock_unlock(&pi->ctrl_lock);
	if (changed)
		link_event(dev);
}
