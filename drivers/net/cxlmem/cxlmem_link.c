/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_link.c - the link between the two ends of a window, once a port is
 * attached (cxlmem_attach.c):
 *   - the link state machine: heartbeat, epochs and resync, checked every
 *     CXLMEM_TICK_US on the EAL alarm thread from probe until close, and
 *     dev_start/dev_stop/dev_close's part in it;
 *   - what this end publishes for the peer's transmit side (the receive
 *     queues it polls, the largest frame it takes, its offloads and
 *     coherence mode), and what our transmit queues make of the peer's.
 * The control thread never writes a queue's state: it posts what the burst
 * is to apply (struct cxlmem_queue_post). Every value read from the window
 * is read once into a local copy (cxlmem_line_read()), checked, then used.
 */
#include <inttypes.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "cxlmem.h"
#include "cxlmem_ctrl.h"

static inline struct pmd_process_private *
proc_priv(const struct rte_eth_dev *dev)
{
	return dev->process_private;
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
			rte_atomic_store_explicit(&rq->max_frame, ours, rte_memory_order_relaxed);
		if (tq != NULL)
			rte_atomic_store_explicit(&tq->max_frame, tx, rte_memory_order_relaxed);
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
	rte_atomic_store_explicit(&my->max_rx_frame, cxlmem_frame_len(dev->data->mtu),
				  rte_memory_order_relaxed);
	rte_atomic_store_explicit(&my->rx_offloads, rx_offloads_published(dev),
				  rte_memory_order_relaxed);
	rte_atomic_store_explicit(&my->max_gso_frame, cxlmem_rx_max_gso(dev),
				  rte_memory_order_relaxed);
	rte_atomic_store_explicit(&my->rx_queue_mask, rx_queue_mask(dev), rte_memory_order_relaxed);
	rte_atomic_store_explicit(&my->flags, (pi->rx_intr ? CXLMEM_CTRL_F_RX_INTR : 0) |
				  (proc_priv(dev)->db.tx_fd >= 0 ? CXLMEM_CTRL_F_DOORBELL : 0),
				  rte_memory_order_relaxed);
	cxlmem_line_publish(pi, my);
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
	cxlmem_line_publish(pi, my);
	rte_spinlock_unlock(&pi->ctrl_lock);
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

			cxlmem_line_refresh(pi, r->prod);
			/* Acquire: pairs with the sender's store-release of prod
			 * in tx_burst(); what lies below prod is a whole frame. */
			prod = rte_atomic_load_explicit(r->prod, rte_memory_order_acquire);
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
	 * with the acquire fence of the peer's cxlmem_line_read() in link_check(). */
	rte_atomic_store_explicit(&my->peer_epoch_ack, peer_epoch, rte_memory_order_release);
	cxlmem_line_publish(pi, my);
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
 * moves: its producer indexes of our receive rings, its consumer indexes,
 * doorbell requests and poll counts of our transmit rings (each line read
 * once; values only compared, never used). A peer whose control thread a
 * busy machine delays still moves these while its lcores poll, idle or
 * forwarding: that is proof of life too.
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
		cxlmem_line_refresh(pi, rx->prod);
		cxlmem_line_refresh(pi, tx->cons);
		sig = sig * 31 + rte_atomic_load_explicit(rx->prod, rte_memory_order_relaxed);
		sig = sig * 31 + rte_atomic_load_explicit(tx->cons, rte_memory_order_relaxed);
		sig = sig * 31 + rte_atomic_load_explicit(tx->intr_arm, rte_memory_order_relaxed);
		sig = sig * 31 + rte_atomic_load_explicit(tx->polls, rte_memory_order_relaxed);
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

	rte_atomic_store_explicit(&my->heartbeat, my->heartbeat + 1, rte_memory_order_release);
	cxlmem_line_publish(pi, my);

	if (!pi->started)
		return set_link(dev, false);
	if (pi->params.role == CXLMEM_ROLE_DEVICE) {
		/* The host may (re)format the window at any time it is
		 * offline: re-check the superblock each tick, on one copy. */
		struct cxlmem_superblock sb;

		cxlmem_line_read(pi, &sb, cxlmem_win_sb(w));
		if (sb.magic != CXLMEM_MAGIC || sb.version != CXLMEM_LAYOUT_VERSION ||
		    sb.nb_queues != pi->run.nb_queues || sb.ring_size != pi->run.ring_size ||
		    sb.buf_size != pi->run.buf_size)
			return set_link(dev, false);
	}

	cxlmem_line_read(pi, &peer, peer_live);
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
	 * lcores poll, idle or forwarding, does not drop it either. A peer
	 * that dies while we run normally is still detected within
	 * link_timeout plus one tick: a dead peer moves nothing.
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
	epoch = rte_atomic_load_explicit(&my->epoch, rte_memory_order_relaxed);
	pi->my_epoch = epoch + 1 != 0 ? epoch + 1 : 1;
	pi->synced_peer_epoch = 0;
	pi->peer_seen = false;
	pi->started = true;
	publish_rx(dev);
	rte_atomic_store_explicit(&my->peer_epoch_ack, 0, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&my->epoch, pi->my_epoch, rte_memory_order_relaxed);
	/* Release: epoch, ack and receive queues before RUNNING; pairs with
	 * the acquire fence of the peer's cxlmem_line_read() in link_check(). */
	rte_atomic_store_explicit(&my->state, CXLMEM_STATE_RUNNING, rte_memory_order_release);
	cxlmem_line_publish(pi, my);
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
	rte_atomic_store_explicit(&my->state, CXLMEM_STATE_ONLINE, rte_memory_order_release);
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

		rte_atomic_store_explicit(&my->rx_queue_mask, 0, rte_memory_order_relaxed);
		rte_atomic_store_explicit(&my->state, CXLMEM_STATE_OFFLINE,
					  rte_memory_order_release);
		cxlmem_line_publish(pi, my);
	}
	rte_spinlock_unlock(&pi->ctrl_lock);
	if (changed)
		link_event(dev);
}
