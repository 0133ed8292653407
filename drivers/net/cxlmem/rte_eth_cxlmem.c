/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_eth_cxlmem.c - net_cxlmem: a CXL memory window as a DPDK ethdev.
 *
 * One window, two ends: role=host on the host, role=device on the card's own
 * operating system. Each end is an ordinary ethdev; what one end's
 * rte_eth_tx_burst() writes into the window comes out of the other end's
 * rte_eth_rx_burst(). The wire format is cxlmem_layout.h; the burst
 * functions are in cxlmem_rxtx.c; this file holds devargs, probe/remove,
 * the ethdev ops, and the link control that runs on an EAL alarm.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_alarm.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"

RTE_LOG_REGISTER_DEFAULT(cxlmem_logtype, NOTICE);

#define ETH_CXLMEM_ROLE_ARG         "role"
#define ETH_CXLMEM_PATH_ARG         "path"
#define ETH_CXLMEM_DAX_ARG          "dax"
#define ETH_CXLMEM_OFFSET_ARG       "offset"
#define ETH_CXLMEM_SIZE_ARG         "size"
#define ETH_CXLMEM_QUEUES_ARG       "queues"
#define ETH_CXLMEM_RSIZE_ARG        "rsize"
#define ETH_CXLMEM_BSIZE_ARG        "bsize"
#define ETH_CXLMEM_MAC_ARG          "mac"
#define ETH_CXLMEM_COHERENCE_ARG    "coherence"
#define ETH_CXLMEM_LINK_TIMEOUT_ARG "link_timeout"

static const char *const valid_arguments[] = {
	ETH_CXLMEM_ROLE_ARG, ETH_CXLMEM_PATH_ARG, ETH_CXLMEM_DAX_ARG,
	ETH_CXLMEM_OFFSET_ARG, ETH_CXLMEM_SIZE_ARG, ETH_CXLMEM_QUEUES_ARG,
	ETH_CXLMEM_RSIZE_ARG, ETH_CXLMEM_BSIZE_ARG, ETH_CXLMEM_MAC_ARG,
	ETH_CXLMEM_COHERENCE_ARG, ETH_CXLMEM_LINK_TIMEOUT_ARG, NULL
};

/** Defaults of the devargs. */
#define CXLMEM_DEFAULT_QUEUES       1u
#define CXLMEM_DEFAULT_RING_SIZE    1024u
#define CXLMEM_DEFAULT_BUF_SIZE     2048u
#define CXLMEM_DEFAULT_LINK_TIMEOUT 80u    /* ms: detection within timeout + one tick */
#define CXLMEM_MIN_LINK_TIMEOUT     20u    /* ms: two heartbeat ticks */
#define CXLMEM_MAX_LINK_TIMEOUT     60000u /* ms */
/** Heartbeat and link-check period, microseconds. */
#define CXLMEM_TICK_US              10000u
#define CXLMEM_MAX_MTU              9000u
#define CXLMEM_MIN_MTU              68u

static const struct rte_eth_link link_down = {
	.link_speed = RTE_ETH_SPEED_NUM_UNKNOWN,
	.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
	.link_status = RTE_ETH_LINK_DOWN,
	.link_autoneg = RTE_ETH_LINK_FIXED,
};

/* ---- window accessors ---------------------------------------------------- */

static inline struct cxlmem_superblock *
win_sb(const struct cxlmem_window *w)
{
	return (struct cxlmem_superblock *)(w->base + CXLMEM_SB_OFFSET);
}

static inline struct cxlmem_ctrl *
win_ctrl(const struct cxlmem_window *w, enum cxlmem_role r)
{
	return (struct cxlmem_ctrl *)(w->base + CXLMEM_CTRL_OFFSET(r));
}

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

/* ---- devargs ------------------------------------------------------------- */

static int
parse_u32(const char *key, const char *val, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;

	if (cxlmem_parse_size(val, &v) != 0 || v < lo || v > hi) {
		CXLMEM_LOG(ERR, "%s=%s: expected a number from %u to %u", key, val, lo, hi);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
parse_one(const char *key, const char *val, struct cxlmem_params *p)
{
	if (strcmp(key, ETH_CXLMEM_ROLE_ARG) == 0) {
		if (strcmp(val, "host") == 0)
			p->role = CXLMEM_ROLE_HOST;
		else if (strcmp(val, "device") == 0)
			p->role = CXLMEM_ROLE_DEVICE;
		else {
			CXLMEM_LOG(ERR, "role=%s: expected role=host or role=device", val);
			return -EINVAL;
		}
		p->role_set = true;
	} else if (strcmp(key, ETH_CXLMEM_PATH_ARG) == 0) {
		if (*val == '\0' || strlen(val) >= sizeof(p->path)) {
			CXLMEM_LOG(ERR, "path=%s: expected a file or devdax path", val);
			return -EINVAL;
		}
		snprintf(p->path, sizeof(p->path), "%s", val);
	} else if (strcmp(key, ETH_CXLMEM_DAX_ARG) == 0) {
		unsigned int a, b;
		char tail;

		if (sscanf(val, "dax%u.%u%c", &a, &b, &tail) != 2 || strlen(val) >= sizeof(p->dax)) {
			CXLMEM_LOG(ERR, "dax=%s: expected a devdax name such as dax0.0", val);
			return -EINVAL;
		}
		snprintf(p->dax, sizeof(p->dax), "%s", val);
	} else if (strcmp(key, ETH_CXLMEM_OFFSET_ARG) == 0) {
		if (cxlmem_parse_size(val, &p->offset) != 0) {
			CXLMEM_LOG(ERR, "offset=%s: expected bytes, with an optional K/M/G suffix", val);
			return -EINVAL;
		}
	} else if (strcmp(key, ETH_CXLMEM_SIZE_ARG) == 0) {
		if (cxlmem_parse_size(val, &p->size) != 0 || p->size == 0) {
			CXLMEM_LOG(ERR, "size=%s: expected bytes > 0, with an optional K/M/G suffix", val);
			return -EINVAL;
		}
	} else if (strcmp(key, ETH_CXLMEM_QUEUES_ARG) == 0) {
		p->geometry_set = true;
		return parse_u32(key, val, 1, CXLMEM_MAX_QUEUES, &p->nb_queues);
	} else if (strcmp(key, ETH_CXLMEM_RSIZE_ARG) == 0) {
		p->geometry_set = true;
		if (parse_u32(key, val, CXLMEM_MIN_RING_SIZE, CXLMEM_MAX_RING_SIZE, &p->ring_size) != 0)
			return -EINVAL;
		if (!rte_is_power_of_2(p->ring_size)) {
			CXLMEM_LOG(ERR, "rsize=%s: expected a power of two from %u to %u", val,
				   CXLMEM_MIN_RING_SIZE, CXLMEM_MAX_RING_SIZE);
			return -EINVAL;
		}
	} else if (strcmp(key, ETH_CXLMEM_BSIZE_ARG) == 0) {
		p->geometry_set = true;
		if (parse_u32(key, val, CXLMEM_MIN_BUF_SIZE, CXLMEM_MAX_BUF_SIZE, &p->buf_size) != 0)
			return -EINVAL;
		if (p->buf_size % CXLMEM_LINE != 0) {
			CXLMEM_LOG(ERR, "bsize=%s: expected a multiple of %u from %u to %u", val,
				   CXLMEM_LINE, CXLMEM_MIN_BUF_SIZE, CXLMEM_MAX_BUF_SIZE);
			return -EINVAL;
		}
	} else if (strcmp(key, ETH_CXLMEM_MAC_ARG) == 0) {
		if (rte_ether_unformat_addr(val, &p->mac) != 0 ||
		    !rte_is_unicast_ether_addr(&p->mac)) {
			CXLMEM_LOG(ERR, "mac=%s: expected a unicast MAC such as 02:00:00:00:00:01", val);
			return -EINVAL;
		}
		p->mac_set = true;
	} else if (strcmp(key, ETH_CXLMEM_COHERENCE_ARG) == 0) {
		if (strcmp(val, "hw") == 0)
			p->coherence = CXLMEM_COHERENCE_HW;
		else if (strcmp(val, "flush") == 0)
			p->coherence = CXLMEM_COHERENCE_FLUSH;
		else {
			CXLMEM_LOG(ERR, "coherence=%s: expected coherence=hw or coherence=flush", val);
			return -EINVAL;
		}
	} else if (strcmp(key, ETH_CXLMEM_LINK_TIMEOUT_ARG) == 0) {
		return parse_u32(key, val, CXLMEM_MIN_LINK_TIMEOUT, CXLMEM_MAX_LINK_TIMEOUT,
				 &p->link_timeout_ms);
	}
	return 0;
}

/**
 * Parse devargs into p (defaults first). Returns 0, or -EINVAL after one
 * log line naming the argument and what is accepted.
 */
static int
cxlmem_parse_devargs(const char *name, const char *args, struct cxlmem_params *p)
{
	struct rte_kvargs *kvl;
	unsigned int i, k;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	p->nb_queues = CXLMEM_DEFAULT_QUEUES;
	p->ring_size = CXLMEM_DEFAULT_RING_SIZE;
	p->buf_size = CXLMEM_DEFAULT_BUF_SIZE;
	p->coherence = CXLMEM_COHERENCE_HW;
	p->link_timeout_ms = CXLMEM_DEFAULT_LINK_TIMEOUT;

	/* No key filter here: an unknown key is reported by name below. */
	kvl = rte_kvargs_parse(args != NULL ? args : "", NULL);
	if (kvl == NULL) {
		CXLMEM_LOG(ERR, "%s: cannot parse devargs '%s'; expected key=value[,key=value...]",
			   name, args);
		return -EINVAL;
	}
	for (i = 0; i < kvl->count && ret == 0; i++) {
		const char *key = kvl->pairs[i].key;
		const char *val = kvl->pairs[i].value;

		for (k = 0; valid_arguments[k] != NULL; k++)
			if (strcmp(key, valid_arguments[k]) == 0)
				break;
		if (valid_arguments[k] == NULL) {
			CXLMEM_LOG(ERR, "%s: unknown devarg '%s'; accepted: role, path, dax, offset, "
				   "size, queues, rsize, bsize, mac, coherence, link_timeout", name, key);
			ret = -EINVAL;
		} else if (val == NULL) {
			CXLMEM_LOG(ERR, "%s: devarg '%s' needs a value (%s=...)", name, key, key);
			ret = -EINVAL;
		} else if (rte_kvargs_count(kvl, key) > 1) {
			CXLMEM_LOG(ERR, "%s: devarg '%s' given more than once", name, key);
			ret = -EINVAL;
		} else {
			ret = parse_one(key, val, p);
		}
	}
	rte_kvargs_free(kvl);
	if (ret != 0)
		return ret;

	if (!p->role_set) {
		CXLMEM_LOG(ERR, "%s: role= is required: role=host or role=device", name);
		return -EINVAL;
	}
	if ((p->path[0] != '\0') == (p->dax[0] != '\0')) {
		CXLMEM_LOG(ERR, "%s: give exactly one window: path=FILE (a file or /dev/daxX.Y) "
			   "or dax=daxX.Y", name);
		return -EINVAL;
	}
	return 0;
}

/* ---- superblock ---------------------------------------------------------- */

static bool
sb_matches(const struct cxlmem_superblock *sb, uint32_t q, uint32_t r, uint32_t b)
{
	return sb->nb_queues == q && sb->ring_size == r && sb->buf_size == b;
}

/**
 * Check a superblock found in a window of win_size bytes (untrusted input);
 * on success fill the geometry it holds into *q, *r, *b.
 * Returns 0 when usable, -EPROTO for another layout version, -EINVAL for
 * values this driver cannot use; logs one line on failure.
 */
int
cxlmem_sb_check(const struct cxlmem_superblock *sb, uint64_t win_size, uint32_t *q, uint32_t *r,
	 uint32_t *b)
{
	if (sb->version != CXLMEM_LAYOUT_VERSION) {
		CXLMEM_LOG(ERR, "window holds cxlmem layout version %u, this driver speaks %u; "
			   "use a driver of that version or re-create the window (new path=)",
			   sb->version, CXLMEM_LAYOUT_VERSION);
		return -EPROTO;
	}
	if (sb->line_size != CXLMEM_LINE || sb->desc_size != sizeof(struct cxlmem_desc) ||
	    sb->nb_queues < 1 || sb->nb_queues > CXLMEM_MAX_QUEUES ||
	    sb->ring_size < CXLMEM_MIN_RING_SIZE || sb->ring_size > CXLMEM_MAX_RING_SIZE ||
	    !rte_is_power_of_2(sb->ring_size) ||
	    sb->buf_size < CXLMEM_MIN_BUF_SIZE || sb->buf_size > CXLMEM_MAX_BUF_SIZE ||
	    sb->buf_size % CXLMEM_LINE != 0 ||
	    sb->queue_offset != CXLMEM_QUEUE_AREA_OFFSET ||
	    sb->ring_stride != cxlmem_ring_stride(sb->ring_size, sb->buf_size) ||
	    cxlmem_window_bytes(sb->nb_queues, sb->ring_size, sb->buf_size) > win_size) {
		CXLMEM_LOG(ERR, "window superblock is inconsistent (queues=%u rsize=%u bsize=%u, "
			   "window %" PRIu64 " bytes); re-create the window", sb->nb_queues,
			   sb->ring_size, sb->buf_size, win_size);
		return -EINVAL;
	}
	*q = sb->nb_queues;
	*r = sb->ring_size;
	*b = sb->buf_size;
	return 0;
}

/*
 * Host: lay out a window. Only host-owned lines are written: the superblock
 * and the host's control line (its epoch kept, so the next life still looks
 * new to a device that synchronised with an earlier one). Device-owned lines
 * are never touched, whatever they hold (single writer per line); ring
 * indexes need no reset, because each side adopts the other's indexes when
 * it synchronises with a new peer epoch (resync_with_peer). Everything but
 * the magic first, then the magic with a store-release, so a reader that
 * sees the magic sees the geometry.
 */
static void
sb_format(struct pmd_internals *pi, struct cxlmem_window *w)
{
	struct cxlmem_superblock *sb = win_sb(w);
	struct cxlmem_ctrl *host = win_ctrl(w, CXLMEM_ROLE_HOST);
	uint32_t host_epoch = host->epoch;

	__atomic_store_n(&sb->magic, 0, __ATOMIC_RELEASE);
	memset(host, 0, sizeof(*host));
	host->epoch = host_epoch;
	sb->version = CXLMEM_LAYOUT_VERSION;
	sb->line_size = CXLMEM_LINE;
	sb->features = CXLMEM_FEAT_NONE;
	sb->window_size = w->size;
	sb->nb_queues = pi->nb_queues;
	sb->ring_size = pi->ring_size;
	sb->buf_size = pi->buf_size;
	sb->desc_size = sizeof(struct cxlmem_desc);
	sb->queue_offset = CXLMEM_QUEUE_AREA_OFFSET;
	sb->ring_stride = cxlmem_ring_stride(pi->ring_size, pi->buf_size);
	ctrl_publish(pi, host);
	ctrl_publish(pi, sb);
	/* Release: the geometry before the magic. */
	__atomic_store_n(&sb->magic, CXLMEM_MAGIC, __ATOMIC_RELEASE);
	ctrl_publish(pi, sb);
	CXLMEM_LOG(INFO, "formatted %s: queues=%u rsize=%u bsize=%u", w->path, pi->nb_queues,
		   pi->ring_size, pi->buf_size);
}

/* ---- link control -------------------------------------------------------- */

static void cxlmem_tick(void *arg);

static void
queue_set_enabled(struct cxlmem_queue *q, bool on)
{
	rte_spinlock_lock(&q->lock);
	q->enabled = on;
	rte_spinlock_unlock(&q->lock);
}

static void
set_link(struct rte_eth_dev *dev, bool up)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct rte_eth_link link = link_down;
	uint32_t i;

	if (pi->link_up == up)
		return;
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
	link.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	rte_eth_linkstatus_set(dev, &link);
	CXLMEM_LOG(INFO, "port %u: link %s", pi->port_id, up ? "up" : "down");
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

/* The peer started a new life: drop its old frames from our receive rings
 * (cons := prod), forget what we knew of its consumer indexes, and only
 * then acknowledge its epoch. */
static void
resync_with_peer(struct pmd_internals *pi, struct cxlmem_ctrl *my, uint32_t peer_epoch)
{
	uint32_t i;

	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		struct cxlmem_queue *q = pi->rxq[i];

		if (q != NULL) {
			uint32_t prod;

			rte_spinlock_lock(&q->lock);
			ctrl_refresh(pi, q->prod);
			prod = __atomic_load_n(q->prod, __ATOMIC_ACQUIRE);
			if (prod - q->head <= q->ring_size)
				pi->stale_dropped += prod - q->head;
			q->head = prod;
			__atomic_store_n(q->cons, q->head, __ATOMIC_RELEASE);
			ctrl_publish(pi, q->cons);
			/* Accept only frames tagged for this life of ours. */
			q->epoch_tag = (uint16_t)pi->my_epoch;
			q->enabled = true;
			rte_spinlock_unlock(&q->lock);
		}
		q = pi->txq[i];
		if (q != NULL) {
			rte_spinlock_lock(&q->lock);
			/* Assume full: the next burst reads the peer's cons. */
			q->peer_cons = q->head - q->ring_size;
			/* Tag what we send from now on for the peer's new life. */
			q->epoch_tag = (uint16_t)peer_epoch;
			rte_spinlock_unlock(&q->lock);
		}
	}
	CXLMEM_LOG(INFO, "port %u: peer epoch %u: synchronised, %" PRIu64
		   " frames of earlier peer lives dropped so far", pi->port_id, peer_epoch,
		   pi->stale_dropped);
	pi->synced_peer_epoch = peer_epoch;
	/* Release: our cons stores before the acknowledgement. */
	__atomic_store_n(&my->peer_epoch_ack, peer_epoch, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);
}

/*
 * Heartbeat and link check, every CXLMEM_TICK_US on the EAL's alarm thread,
 * from probe until close. Reads at most one peer control line; writes our
 * own. The link is up when: we are started, the peer is RUNNING with a
 * heartbeat that advanced within link_timeout, we have acknowledged its
 * epoch (after dropping its old frames), and it has acknowledged ours.
 */
static void
cxlmem_link_check(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_window *w = &proc_priv(dev)->win;
	const enum cxlmem_role peer_role = pi->params.role == CXLMEM_ROLE_HOST ?
					   CXLMEM_ROLE_DEVICE : CXLMEM_ROLE_HOST;
	struct cxlmem_ctrl *my = win_ctrl(w, pi->params.role);
	struct cxlmem_ctrl *peer = win_ctrl(w, peer_role);
	struct cxlmem_superblock *sb = win_sb(w);
	const uint64_t tick_cycles = rte_get_timer_hz() * CXLMEM_TICK_US / 1000000;
	const uint64_t timeout_cycles = rte_get_timer_hz() * pi->params.link_timeout_ms / 1000;
	uint32_t state, epoch, ack;
	uint64_t hb, gap, now = rte_get_timer_cycles();

	__atomic_store_n(&my->heartbeat, my->heartbeat + 1, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);

	if (!pi->started) {
		set_link(dev, false);
		return;
	}
	if (pi->params.role == CXLMEM_ROLE_DEVICE) {
		/* The host may (re)format the window at any time it is
		 * offline: re-check the superblock each tick. */
		ctrl_refresh(pi, sb);
		if (__atomic_load_n(&sb->magic, __ATOMIC_ACQUIRE) != CXLMEM_MAGIC ||
		    sb->version != CXLMEM_LAYOUT_VERSION ||
		    !sb_matches(sb, pi->nb_queues, pi->ring_size, pi->buf_size)) {
			set_link(dev, false);
			return;
		}
	}

	ctrl_refresh(pi, peer);
	state = __atomic_load_n(&peer->state, __ATOMIC_ACQUIRE);
	epoch = __atomic_load_n(&peer->epoch, __ATOMIC_ACQUIRE);
	ack = __atomic_load_n(&peer->peer_epoch_ack, __ATOMIC_ACQUIRE);
	hb = __atomic_load_n(&peer->heartbeat, __ATOMIC_ACQUIRE);

	/*
	 * Peer silence is counted in our own ticks, each worth at most two
	 * tick periods: when this whole machine stalls (a hypervisor
	 * descheduling every vCPU, seen here for 300-600 ms at a time), the
	 * peer did not get to run either, and that is no reason to drop the
	 * link. A peer that dies while we run normally is still detected
	 * within link_timeout plus one tick.
	 */
	gap = pi->peer_seen ? now - pi->last_tick_tsc : 0;
	gap = RTE_MIN(gap, 2 * tick_cycles);
	pi->last_tick_tsc = now;
	if (!pi->peer_seen || hb != pi->peer_hb_seen) {
		pi->peer_seen = true;
		pi->peer_hb_seen = hb;
		pi->peer_silent_cycles = 0;
	} else {
		pi->peer_silent_cycles += gap;
	}
	if (state != CXLMEM_STATE_RUNNING || epoch == 0 ||
	    pi->peer_silent_cycles > timeout_cycles) {
		if (pi->link_up)
			CXLMEM_LOG(NOTICE, "port %u: peer %s (state %u, heartbeat silent for %" PRIu64
				   " ms of our running time)", pi->port_id,
				   state != CXLMEM_STATE_RUNNING ? "stopped" : "silent", state,
				   pi->peer_silent_cycles * 1000 / rte_get_timer_hz());
		set_link(dev, false);
		return;
	}
	if (epoch != pi->synced_peer_epoch) {
		set_link(dev, false);
		if (pi->synced_peer_epoch != 0)
			pi->peer_restarts++;
		resync_with_peer(pi, my, epoch);
	}
	set_link(dev, ack == pi->my_epoch);
}

static void
cxlmem_tick(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct pmd_internals *pi = dev->data->dev_private;

	cxlmem_link_check(dev);
	if (rte_eal_alarm_set(CXLMEM_TICK_US, cxlmem_tick, dev) != 0)
		CXLMEM_LOG(ERR, "port %u: cannot re-arm the heartbeat alarm; link will go down",
			   pi->port_id);
}

/* ---- ethdev ops ---------------------------------------------------------- */

static int
eth_dev_configure(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;

	if (dev->data->nb_rx_queues > pi->nb_queues || dev->data->nb_tx_queues > pi->nb_queues) {
		CXLMEM_LOG(ERR, "port %u: %u rx / %u tx queues asked, the window has %u queue pairs "
			   "(queues= devarg)", pi->port_id, dev->data->nb_rx_queues,
			   dev->data->nb_tx_queues, pi->nb_queues);
		return -EINVAL;
	}
	return 0;
}

static int
eth_dev_start(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_window *w = &proc_priv(dev)->win;
	struct cxlmem_ctrl *my = win_ctrl(w, pi->params.role);
	uint32_t i;

	rte_eal_alarm_cancel(cxlmem_tick, dev);
	/* A new life of our rings: a new epoch, nothing acknowledged yet. */
	pi->my_epoch = my->epoch + 1;
	if (pi->my_epoch == 0)
		pi->my_epoch = 1;
	pi->synced_peer_epoch = 0;
	pi->peer_seen = false;
	__atomic_store_n(&my->peer_epoch_ack, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&my->epoch, pi->my_epoch, __ATOMIC_RELEASE);
	__atomic_store_n(&my->state, CXLMEM_STATE_RUNNING, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);
	pi->started = true;
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	cxlmem_tick(dev);
	return 0;
}

static int
eth_dev_stop(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_window *w = &proc_priv(dev)->win;
	struct cxlmem_ctrl *my = win_ctrl(w, pi->params.role);
	uint32_t i;

	rte_eal_alarm_cancel(cxlmem_tick, dev);
	pi->started = false;
	__atomic_store_n(&my->state, CXLMEM_STATE_ONLINE, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);
	set_link(dev, false);
	for (i = 0; i < CXLMEM_MAX_QUEUES; i++)
		if (pi->rxq[i] != NULL)
			queue_set_enabled(pi->rxq[i], false);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	/* Keep the heartbeat: a stopped port still owns its role. */
	if (rte_eal_alarm_set(CXLMEM_TICK_US, cxlmem_tick, dev) != 0)
		CXLMEM_LOG(WARNING, "port %u: cannot re-arm the heartbeat alarm", pi->port_id);
	return 0;
}

static int
eth_dev_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct pmd_internals *pi = dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = CXLMEM_MAX_FRAME_LEN;
	info->min_rx_bufsize = 0;
	info->min_mtu = CXLMEM_MIN_MTU;
	info->max_mtu = CXLMEM_MAX_MTU;
	info->max_rx_queues = (uint16_t)pi->nb_queues;
	info->max_tx_queues = (uint16_t)pi->nb_queues;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->rx_desc_lim.nb_max = (uint16_t)RTE_MIN(pi->ring_size, (uint32_t)UINT16_MAX);
	info->rx_desc_lim.nb_min = (uint16_t)RTE_MIN(pi->ring_size, (uint32_t)UINT16_MAX);
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = (uint16_t)RTE_MIN(pi->ring_size, (uint32_t)UINT16_MAX);
	info->default_txportconf.ring_size = info->default_rxportconf.ring_size;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->speed_capa = 0;
	info->dev_capa &= ~RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP;
	return 0;
}

static int
eth_link_update(struct rte_eth_dev *dev, int wait_to_complete __rte_unused)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct rte_eth_link link = link_down;

	link.link_status = pi->link_up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	return rte_eth_linkstatus_set(dev, &link);
}

static struct cxlmem_queue *
queue_new(struct rte_eth_dev *dev, uint16_t qid, enum cxlmem_dir dir, int socket)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_window *w = &proc_priv(dev)->win;
	struct cxlmem_queue *q;
	uint8_t *ring;
	bool is_tx;
	int node = w->numa_node >= 0 ? w->numa_node : socket;

	q = rte_zmalloc_socket("cxlmem_queue", sizeof(*q), RTE_CACHE_LINE_SIZE, node);
	if (q == NULL && node != SOCKET_ID_ANY)
		q = rte_zmalloc_socket("cxlmem_queue", sizeof(*q), RTE_CACHE_LINE_SIZE,
				       SOCKET_ID_ANY);
	if (q == NULL)
		return NULL;
	ring = w->base + cxlmem_ring_offset(qid, dir, pi->ring_size, pi->buf_size);
	q->prod = &((struct cxlmem_ring_prod *)ring)->prod;
	q->cons = &((struct cxlmem_ring_cons *)(ring + CXLMEM_LINE))->cons;
	q->desc = (struct cxlmem_desc *)(ring + CXLMEM_DESC_OFFSET);
	q->bufs = ring + cxlmem_buf_offset(pi->ring_size);
	q->ring_size = pi->ring_size;
	q->mask = pi->ring_size - 1;
	q->buf_size = pi->buf_size;
	q->port_id = dev->data->port_id;
	q->queue_id = qid;
	rte_spinlock_init(&q->lock);
	/* A TX queue set up while the link is up sends at once; an RX queue
	 * waits for the next resync, which drops the ring's backlog. */
	is_tx = dir == (pi->params.role == CXLMEM_ROLE_HOST ? CXLMEM_DIR_H2D : CXLMEM_DIR_D2H);
	q->enabled = is_tx && pi->link_up;
	/* Tagged as resync_with_peer() would (TX: the peer epoch we have
	 * acknowledged; RX: ours); the next resync sets both again. */
	q->epoch_tag = (uint16_t)(is_tx ? pi->synced_peer_epoch : pi->my_epoch);
	return q;
}

static int
eth_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		   unsigned int socket, const struct rte_eth_rxconf *conf __rte_unused,
		   struct rte_mempool *mp)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_queue *q;
	uint32_t room = rte_pktmbuf_data_room_size(mp);

	if (room <= RTE_PKTMBUF_HEADROOM) {
		CXLMEM_LOG(ERR, "port %u rxq %u: mempool %s has no data room", pi->port_id, qid,
			   mp->name);
		return -EINVAL;
	}
	q = queue_new(dev, qid, pi->params.role == CXLMEM_ROLE_HOST ? CXLMEM_DIR_D2H :
				CXLMEM_DIR_H2D, (int)socket);
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	q->mbuf_room = (uint16_t)(room - RTE_PKTMBUF_HEADROOM);
	/* Our own index from a previous life; the link resync moves it. */
	q->head = __atomic_load_n(q->cons, __ATOMIC_ACQUIRE);
	rte_spinlock_lock(&q->lock);
	dev->data->rx_queues[qid] = q;
	pi->rxq[qid] = q;
	rte_spinlock_unlock(&q->lock);
	/* Queues set up on a started port join at the next peer epoch. */
	return 0;
}

static int
eth_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		   unsigned int socket, const struct rte_eth_txconf *conf __rte_unused)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_queue *q;

	q = queue_new(dev, qid, pi->params.role == CXLMEM_ROLE_HOST ? CXLMEM_DIR_H2D :
				CXLMEM_DIR_D2H, (int)socket);
	if (q == NULL)
		return -ENOMEM;
	q->head = __atomic_load_n(q->prod, __ATOMIC_ACQUIRE);
	q->peer_cons = q->head - q->ring_size;
	dev->data->tx_queues[qid] = q;
	pi->txq[qid] = q;
	return 0;
}

static void
eth_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct pmd_internals *pi = dev->data->dev_private;

	if (pi->rxq[qid] != NULL) {
		rte_spinlock_lock(&pi->rxq[qid]->lock);
		rte_spinlock_unlock(&pi->rxq[qid]->lock);
	}
	rte_free(pi->rxq[qid]);
	pi->rxq[qid] = NULL;
	dev->data->rx_queues[qid] = NULL;
}

static void
eth_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct pmd_internals *pi = dev->data->dev_private;

	if (pi->txq[qid] != NULL) {
		rte_spinlock_lock(&pi->txq[qid]->lock);
		rte_spinlock_unlock(&pi->txq[qid]->lock);
	}
	rte_free(pi->txq[qid]);
	pi->txq[qid] = NULL;
	dev->data->tx_queues[qid] = NULL;
}

static int
eth_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct pmd_internals *pi = dev->data->dev_private;
	uint32_t i;

	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		const struct cxlmem_queue *rq = pi->rxq[i], *tq = pi->txq[i];

		if (rq != NULL) {
			st->ipackets += rq->pkts;
			st->ibytes += rq->bytes;
			st->ierrors += rq->errors;
			st->rx_nombuf += rq->nombuf;
			if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
				st->q_ipackets[i] = rq->pkts;
				st->q_ibytes[i] = rq->bytes;
				st->q_errors[i] = rq->errors;
			}
		}
		if (tq != NULL) {
			st->opackets += tq->pkts;
			st->obytes += tq->bytes;
			st->oerrors += tq->errors;
			if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
				st->q_opackets[i] = tq->pkts;
				st->q_obytes[i] = tq->bytes;
			}
		}
	}
	return 0;
}

static void
queue_counters_reset(struct cxlmem_queue *q)
{
	if (q == NULL)
		return;
	q->pkts = 0;
	q->bytes = 0;
	q->errors = 0;
	q->ring_full = 0;
	q->nombuf = 0;
	q->bad_index = 0;
	q->stale = 0;
	q->win_written = 0;
	q->win_read = 0;
}

static int
eth_stats_reset(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	uint32_t i;

	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		queue_counters_reset(pi->rxq[i]);
		queue_counters_reset(pi->txq[i]);
	}
	pi->peer_restarts = 0;
	pi->link_flaps = 0;
	pi->stale_dropped = 0;
	return 0;
}

/* Extended statistics, port totals. Names are stable API for tools. */
enum {
	XS_RING_FULL, XS_INVALID_DESC, XS_INVALID_INDEX, XS_RX_NOMBUF, XS_TX_REFUSED,
	XS_PEER_RESTARTS, XS_LINK_FLAPS, XS_STALE_DROPPED, XS_WIN_WRITTEN, XS_WIN_READ, XS_COUNT
};
static const char *const xstat_names[XS_COUNT] = {
	[XS_RING_FULL] = "ring_full",
	[XS_INVALID_DESC] = "invalid_desc",
	[XS_INVALID_INDEX] = "invalid_index",
	[XS_RX_NOMBUF] = "rx_nombuf",
	[XS_TX_REFUSED] = "tx_refused",
	[XS_PEER_RESTARTS] = "peer_restarts",
	[XS_LINK_FLAPS] = "link_flaps",
	[XS_STALE_DROPPED] = "rx_stale_dropped",
	[XS_WIN_WRITTEN] = "window_bytes_written",
	[XS_WIN_READ] = "window_bytes_read",
};

static int
eth_xstats_get_names(struct rte_eth_dev *dev __rte_unused, struct rte_eth_xstat_name *names,
		     unsigned int size)
{
	unsigned int i;

	if (names == NULL || size < XS_COUNT)
		return XS_COUNT;
	for (i = 0; i < XS_COUNT; i++)
		snprintf(names[i].name, sizeof(names[i].name), "%s", xstat_names[i]);
	return XS_COUNT;
}

static int
eth_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	struct pmd_internals *pi = dev->data->dev_private;
	uint64_t v[XS_COUNT] = {0};
	unsigned int i;

	if (xs == NULL || n < XS_COUNT)
		return XS_COUNT;
	for (i = 0; i < CXLMEM_MAX_QUEUES; i++) {
		const struct cxlmem_queue *rq = pi->rxq[i], *tq = pi->txq[i];

		if (rq != NULL) {
			v[XS_INVALID_DESC] += rq->errors;
			v[XS_INVALID_INDEX] += rq->bad_index;
			v[XS_RX_NOMBUF] += rq->nombuf;
			v[XS_STALE_DROPPED] += rq->stale;
			v[XS_WIN_WRITTEN] += rq->win_written;
			v[XS_WIN_READ] += rq->win_read;
		}
		if (tq != NULL) {
			v[XS_RING_FULL] += tq->ring_full;
			v[XS_INVALID_INDEX] += tq->bad_index;
			v[XS_TX_REFUSED] += tq->errors;
			v[XS_WIN_WRITTEN] += tq->win_written;
			v[XS_WIN_READ] += tq->win_read;
		}
	}
	v[XS_PEER_RESTARTS] = pi->peer_restarts;
	v[XS_LINK_FLAPS] = pi->link_flaps;
	v[XS_STALE_DROPPED] += pi->stale_dropped;
	for (i = 0; i < XS_COUNT; i++) {
		xs[i].id = i;
		xs[i].value = v[i];
	}
	return XS_COUNT;
}

static int
eth_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_ctrl *my = win_ctrl(&proc_priv(dev)->win, pi->params.role);

	/* ethdev has checked min_mtu..max_mtu; the peer reads ours as a hint. */
	__atomic_store_n(&my->mtu, mtu, __ATOMIC_RELAXED);
	ctrl_publish(pi, my);
	return 0;
}

static int
eth_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_ctrl *my = win_ctrl(&proc_priv(dev)->win, pi->params.role);

	rte_ether_addr_copy(addr, &pi->mac);
	memcpy(my->mac, addr->addr_bytes, RTE_ETHER_ADDR_LEN);
	ctrl_publish(pi, my);
	return 0;
}

static int
eth_promisc_noop(struct rte_eth_dev *dev __rte_unused)
{
	/* A point-to-point window delivers every frame: always promiscuous. */
	return 0;
}

static int eth_dev_close(struct rte_eth_dev *dev);

static const struct eth_dev_ops ops = {
	.dev_configure = eth_dev_configure,
	.dev_start = eth_dev_start,
	.dev_stop = eth_dev_stop,
	.dev_close = eth_dev_close,
	.dev_infos_get = eth_dev_info,
	.link_update = eth_link_update,
	.rx_queue_setup = eth_rx_queue_setup,
	.tx_queue_setup = eth_tx_queue_setup,
	.rx_queue_release = eth_rx_queue_release,
	.tx_queue_release = eth_tx_queue_release,
	.stats_get = eth_stats_get,
	.stats_reset = eth_stats_reset,
	.xstats_get = eth_xstats_get,
	.xstats_get_names = eth_xstats_get_names,
	.xstats_reset = eth_stats_reset,
	.mtu_set = eth_mtu_set,
	.mac_addr_set = eth_mac_addr_set,
	.promiscuous_enable = eth_promisc_noop,
	.promiscuous_disable = eth_promisc_noop,
	.allmulticast_enable = eth_promisc_noop,
	.allmulticast_disable = eth_promisc_noop,
};

static uint16_t
eth_cxlmem_secondary_burst(void *q __rte_unused, struct rte_mbuf **b __rte_unused,
			   uint16_t n __rte_unused)
{
	/* Bursts run in the primary only (dumpcap/pdump capture there). */
	return 0;
}

/* ---- probe / remove ------------------------------------------------------ */

/* Wait up to link_timeout + a tick for the owner's heartbeat to move. */
static bool
owner_alive(const struct cxlmem_params *p, const struct cxlmem_ctrl *c)
{
	const uint64_t hb0 = __atomic_load_n(&c->heartbeat, __ATOMIC_ACQUIRE);
	const uint64_t until = rte_get_timer_cycles() +
		(uint64_t)(p->link_timeout_ms * 1000ull + CXLMEM_TICK_US) * rte_get_timer_hz() / 1000000;

	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == CXLMEM_STATE_OFFLINE)
		return false;
	while (rte_get_timer_cycles() < until) {
		if (p->coherence == CXLMEM_COHERENCE_FLUSH) {
			cxlmem_inv_line(c);
			cxlmem_mfence();
		}
		if (__atomic_load_n(&c->heartbeat, __ATOMIC_ACQUIRE) != hb0)
			return true;
		rte_delay_us_sleep(1000);
	}
	return false;
}

/* Settle the geometry with the window's superblock. Returns 0 or -errno. */
static int
settle_geometry(const char *name, struct pmd_internals *pi, struct cxlmem_window *w)
{
	struct cxlmem_superblock *sb = win_sb(w);
	const struct cxlmem_params *p = &pi->params;
	uint32_t q, r, b;
	int ret;

	if (p->coherence == CXLMEM_COHERENCE_FLUSH) {
		cxlmem_inv_range(w->base, CXLMEM_QUEUE_AREA_OFFSET);
		cxlmem_mfence();
	}
	if (__atomic_load_n(&sb->magic, __ATOMIC_ACQUIRE) != CXLMEM_MAGIC) {
		if (p->role == CXLMEM_ROLE_HOST)
			sb_format(pi, w);
		else
			CXLMEM_LOG(NOTICE, "%s: window %s not formatted yet; link stays down until "
				   "the role=host end formats it", name, w->path);
		return 0;
	}
	ret = cxlmem_sb_check(sb, w->size, &q, &r, &b);
	if (ret != 0)
		return ret;
	if (sb_matches(sb, pi->nb_queues, pi->ring_size, pi->buf_size))
		return 0;
	if (!p->geometry_set) {
		/* No geometry given: use the window's. */
		pi->nb_queues = q;
		pi->ring_size = r;
		pi->buf_size = b;
		return 0;
	}
	if (p->role == CXLMEM_ROLE_HOST &&
	    !owner_alive(p, win_ctrl(w, CXLMEM_ROLE_DEVICE))) {
		CXLMEM_LOG(NOTICE, "%s: re-formatting %s from queues=%u rsize=%u bsize=%u", name,
			   w->path, q, r, b);
		sb_format(pi, w);
		return 0;
	}
	CXLMEM_LOG(ERR, "%s: window %s is formatted with queues=%u rsize=%u bsize=%u%s; "
		   "give the same geometry (or none)", name, w->path, q, r, b,
		   p->role == CXLMEM_ROLE_HOST ? " and its device end is online" : "");
	/* Not -EEXIST: the vdev bus reads that as "already probed". */
	return -EINVAL;
}

static int
claim_role(const char *name, struct pmd_internals *pi, struct cxlmem_window *w)
{
	const struct cxlmem_params *p = &pi->params;
	struct cxlmem_ctrl *my = win_ctrl(w, p->role);
	const char *role = p->role == CXLMEM_ROLE_HOST ? "host" : "device";
	int ret;

	ret = cxlmem_lock_role(w, p);
	if (ret == -EBUSY) {
		CXLMEM_LOG(ERR, "%s: role=%s of %s (offset %" PRIu64 ") is owned by process %u on "
			   "this machine; stop it, or use the other role", name, role, w->path,
			   p->offset, my->pid);
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
	if (owner_alive(p, my)) {
		CXLMEM_LOG(ERR, "%s: role=%s of %s is owned by a live process (pid %u, heartbeat "
			   "advancing) on the other side of the window; stop it, or use the other "
			   "role", name, role, w->path, my->pid);
		return -EBUSY;
	}
	if (my->state != CXLMEM_STATE_OFFLINE)
		CXLMEM_LOG(NOTICE, "%s: taking over role=%s of %s from pid %u (heartbeat stopped)",
			   name, role, w->path, my->pid);
	return 0;
}

static void
publish_ctrl(struct pmd_internals *pi, struct cxlmem_window *w)
{
	struct cxlmem_ctrl *my = win_ctrl(w, pi->params.role);

	my->pid = (uint32_t)getpid();
	memcpy(my->mac, pi->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	my->nb_queues = (uint16_t)pi->nb_queues;
	my->mtu = RTE_ETHER_MTU;
	my->tick_us = CXLMEM_TICK_US;
	__atomic_store_n(&my->peer_epoch_ack, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&my->state, CXLMEM_STATE_ONLINE, __ATOMIC_RELEASE);
	ctrl_publish(pi, my);
}

/* A stable default MAC: locally administered unicast, 02:xx:xx:xx:xx:0R,
 * from a hash (FNV-1a) of the window's name and offset; R is the role, so
 * the two ends differ and a restart keeps its address. */
static void
default_mac(const struct cxlmem_params *p, const struct cxlmem_window *w,
	    struct rte_ether_addr *mac)
{
	uint32_t h = 2166136261u;
	const char *c;
	unsigned int i;

	for (c = w->path; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	for (i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(p->offset >> (8 * i))) * 16777619u;
	mac->addr_bytes[0] = 0x02;
	mac->addr_bytes[1] = (uint8_t)(h >> 24);
	mac->addr_bytes[2] = (uint8_t)(h >> 16);
	mac->addr_bytes[3] = (uint8_t)(h >> 8);
	mac->addr_bytes[4] = (uint8_t)h;
	mac->addr_bytes[5] = (uint8_t)(p->role + 1);
}

static void
set_burst_functions(struct rte_eth_dev *dev, const struct cxlmem_params *p)
{
	/* Chosen once: the burst loop has no mode test. */
	if (p->coherence == CXLMEM_COHERENCE_FLUSH) {
		dev->rx_pkt_burst = eth_cxlmem_rx_flush;
		dev->tx_pkt_burst = eth_cxlmem_tx_flush;
	} else {
		dev->rx_pkt_burst = eth_cxlmem_rx;
		dev->tx_pkt_burst = eth_cxlmem_tx;
	}
}

static int
eth_dev_close(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = proc_priv(dev);
	uint16_t i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		rte_free(pp);
		dev->process_private = NULL;
		return 0;
	}
	rte_eal_alarm_cancel(cxlmem_tick, dev);
	if (pp != NULL && pp->win.base != NULL) {
		struct cxlmem_ctrl *my = win_ctrl(&pp->win, pi->params.role);

		set_link(dev, false);
		pi->started = false;
		/* Leave the role free for the next owner. */
		__atomic_store_n(&my->state, CXLMEM_STATE_OFFLINE, __ATOMIC_RELEASE);
		ctrl_publish(pi, my);
	}
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		eth_rx_queue_release(dev, i);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		eth_tx_queue_release(dev, i);
	if (pp != NULL) {
		cxlmem_window_close(&pp->win);
		rte_free(pp);
		dev->process_private = NULL;
	}
	/* mac_addrs points into dev_private: not freed by ethdev. */
	dev->data->mac_addrs = NULL;
	return 0;
}

static int
probe_secondary(struct rte_vdev_device *vdev, const char *name)
{
	struct rte_eth_dev *dev = rte_eth_dev_attach_secondary(name);

	if (dev == NULL) {
		CXLMEM_LOG(ERR, "%s: cannot attach to the primary's port", name);
		return -ENODEV;
	}
	dev->dev_ops = &ops;
	dev->device = &vdev->device;
	dev->rx_pkt_burst = eth_cxlmem_secondary_burst;
	dev->tx_pkt_burst = eth_cxlmem_secondary_burst;
	rte_eth_dev_probing_finish(dev);
	return 0;
}

static int
rte_pmd_cxlmem_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct cxlmem_params params;
	struct pmd_internals *pi;
	struct pmd_process_private *pp = NULL;
	struct rte_eth_dev *dev = NULL;
	int ret;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return probe_secondary(vdev, name);

	ret = cxlmem_parse_devargs(name, rte_vdev_device_args(vdev), &params);
	if (ret != 0)
		return ret;
	cxlmem_coherence_init();

	pp = rte_zmalloc_socket(name, sizeof(*pp), 0, rte_socket_id());
	if (pp == NULL)
		return -ENOMEM;
	pp->win.fd = -1;

	dev = rte_eth_vdev_allocate(vdev, sizeof(*pi));
	if (dev == NULL) {
		rte_free(pp);
		return -ENOMEM;
	}
	pi = dev->data->dev_private;
	pi->params = params;
	pi->nb_queues = params.nb_queues;
	pi->ring_size = params.ring_size;
	pi->buf_size = params.buf_size;
	pi->port_id = dev->data->port_id;
	dev->process_private = pp;

	ret = cxlmem_window_open(&params,
				 cxlmem_window_bytes(params.nb_queues, params.ring_size,
						     params.buf_size), &pp->win);
	if (ret != 0)
		goto fail;
	ret = claim_role(name, pi, &pp->win);
	if (ret != 0)
		goto fail;
	ret = settle_geometry(name, pi, &pp->win);
	if (ret != 0)
		goto fail;
	if (cxlmem_window_bytes(pi->nb_queues, pi->ring_size, pi->buf_size) > pp->win.size) {
		CXLMEM_LOG(ERR, "%s: window %s (%" PRIu64 " bytes) is too small for its own "
			   "geometry; re-create it", name, pp->win.path, pp->win.size);
		ret = -ENOSPC;
		goto fail;
	}

	if (params.mac_set)
		pi->mac = params.mac;
	else
		default_mac(&params, &pp->win, &pi->mac);
	publish_ctrl(pi, &pp->win);

	dev->data->mac_addrs = &pi->mac;
	dev->data->dev_link = link_down;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->promiscuous = 1;
	dev->data->all_multicast = 1;
	dev->dev_ops = &ops;
	set_burst_functions(dev, &params);

	ret = rte_eal_alarm_set(CXLMEM_TICK_US, cxlmem_tick, dev);
	if (ret != 0) {
		CXLMEM_LOG(ERR, "%s: cannot start the heartbeat alarm: %s", name, strerror(-ret));
		goto fail;
	}
	rte_eth_dev_probing_finish(dev);
	CXLMEM_LOG(INFO, "%s: role=%s window %s offset=%" PRIu64 " size=%" PRIu64
		   " queues=%u rsize=%u bsize=%u coherence=%s node=%d", name,
		   params.role == CXLMEM_ROLE_HOST ? "host" : "device", pp->win.path,
		   params.offset, pp->win.size, pi->nb_queues, pi->ring_size, pi->buf_size,
		   params.coherence == CXLMEM_COHERENCE_FLUSH ? "flush" : "hw",
		   pp->win.numa_node);
	return 0;

fail:
	cxlmem_window_close(&pp->win);
	rte_free(pp);
	dev->process_private = NULL;
	dev->data->mac_addrs = NULL;
	rte_eth_dev_release_port(dev);
	return ret;
}

static int
rte_pmd_cxlmem_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0; /* already gone */
	eth_dev_close(dev);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver pmd_cxlmem_drv = {
	.probe = rte_pmd_cxlmem_probe,
	.remove = rte_pmd_cxlmem_remove,
};

RTE_PMD_REGISTER_VDEV(net_cxlmem, pmd_cxlmem_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_cxlmem,
	ETH_CXLMEM_ROLE_ARG "=host|device "
	ETH_CXLMEM_PATH_ARG "=<file or /dev/daxX.Y> "
	ETH_CXLMEM_DAX_ARG "=<daxX.Y> "
	ETH_CXLMEM_OFFSET_ARG "=<bytes[K|M|G]> "
	ETH_CXLMEM_SIZE_ARG "=<bytes[K|M|G]> "
	ETH_CXLMEM_QUEUES_ARG "=<1-64> "
	ETH_CXLMEM_RSIZE_ARG "=<64-32768, power of 2> "
	ETH_CXLMEM_BSIZE_ARG "=<256-65536, multiple of 64> "
	ETH_CXLMEM_MAC_ARG "=<xx:xx:xx:xx:xx:xx> "
	ETH_CXLMEM_COHERENCE_ARG "=hw|flush "
	ETH_CXLMEM_LINK_TIMEOUT_ARG "=<ms>");
