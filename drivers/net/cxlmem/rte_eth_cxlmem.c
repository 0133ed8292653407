/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_eth_cxlmem.c - net_cxlmem: a CXL memory window as a DPDK ethdev.
 *
 * One window, two ends: role=host on the host, role=device on the card's own
 * operating system. Each end is an ordinary ethdev; what one end's
 * rte_eth_tx_burst() writes into the window comes out of the other end's
 * rte_eth_rx_burst(). The wire format is cxlmem_layout.h; this file holds
 * the ethdev ops and probe/remove; the control plane is cxlmem_attach.c
 * (superblock, role claim) and cxlmem_link.c (the link), the burst
 * functions cxlmem_rxtx.c, the counters cxlmem_stats.c, the devargs
 * cxlmem_devargs.c.
 *
 * Multi-process: a secondary process maps the window itself at probe (its
 * own pmd_process_private, its own ring addresses) and may run bursts on
 * the queues it polls, as in DPDK's multi-process pattern where each
 * process polls its own queues of a shared port. Ops that change the port
 * run in the primary only; in a secondary they return -E_RTE_SECONDARY.
 *
 * Threads: as ethdev requires, an application does not run a queue's burst
 * function concurrently with dev_stop, dev_close, queue setup or queue
 * release (DPDK Programmer's Guide, "Poll Mode Driver", "Generic Packet
 * Processing": the queue functions are not thread-safe against control
 * operations). Our own control thread (the EAL alarm that runs the link
 * check) is serialised with the control ops by pi->ctrl_lock; it never
 * writes a queue's state, it posts what the burst is to apply at its next
 * call (struct cxlmem_queue_post), so the bursts take no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_alarm.h>
#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"
#include "cxlmem_compat.h"
#include "cxlmem_copy.h"
#include "cxlmem_ring.h"

RTE_LOG_REGISTER_DEFAULT(cxlmem_logtype, NOTICE);

/** Link speed reported for a file window, or a devdax window whose CXL link
 *  the kernel does not describe, when speed= is not given (Mbit/s). */
#define CXLMEM_DEFAULT_SPEED RTE_ETH_SPEED_NUM_100G
/** Smallest descriptor count a queue setup accepts. */
#define CXLMEM_MIN_DESC 32u

/* Ops that change the port, or write the window, run in the primary. */
#define PRIMARY_ONLY() do {                                              \
		if (rte_eal_process_type() != RTE_PROC_PRIMARY)          \
			return -E_RTE_SECONDARY;                         \
	} while (0)

static inline struct pmd_process_private *
proc_priv(const struct rte_eth_dev *dev)
{
	return dev->process_private;
}

/* ---- ethdev ops ---------------------------------------------------------- */

static int
eth_dev_configure(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;

	PRIMARY_ONLY();
	if (dev->data->nb_rx_queues > pi->run.nb_queues ||
	    dev->data->nb_tx_queues > pi->run.nb_queues) {
		CXLMEM_LOG(ERR, "port %u: %u rx / %u tx queues asked, the window has %u queue pairs "
			   "(queues= devarg)", pi->port_id, dev->data->nb_rx_queues,
			   dev->data->nb_tx_queues, pi->run.nb_queues);
		return -EINVAL;
	}
	if (dev->data->dev_conf.intr_conf.rxq && pi->params.doorbell[0] == '\0') {
		CXLMEM_LOG(ERR, "port %u: Rx interrupts (intr_conf.rxq) need a doorbell between the "
			   "two ends: a file window has one (doorbell=auto), a devdax window "
			   "needs doorbell=PATH_PREFIX with both ends on this host",
			   pi->port_id);
		return -ENOTSUP;
	}
	return 0;
}

static int
eth_dev_start(struct rte_eth_dev *dev)
{
	uint16_t i;
	int ret;

	PRIMARY_ONLY();
	/* Before cxlmem_ctrl_start(): it publishes CXLMEM_CTRL_F_RX_INTR. */
	if (dev->data->dev_conf.intr_conf.rxq) {
		ret = cxlmem_rx_intr_install(dev);
		if (ret != 0)
			return ret;
	}
	cxlmem_ctrl_start(dev);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	return 0;
}

static int
eth_dev_stop(struct rte_eth_dev *dev)
{
	uint16_t i;

	PRIMARY_ONLY();
	/* Before cxlmem_ctrl_stop(): it publishes the flag cleared. */
	cxlmem_rx_intr_uninstall(dev);
	cxlmem_ctrl_stop(dev);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

static int
eth_dev_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct pmd_internals *pi = dev->data->dev_private;
	const uint16_t ring = (uint16_t)pi->run.ring_size;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = CXLMEM_MAX_FRAME_LEN;
	info->min_rx_bufsize = 0;
	info->min_mtu = CXLMEM_MIN_MTU;
	info->max_mtu = CXLMEM_MAX_MTU;
	info->max_rx_queues = (uint16_t)pi->run.nb_queues;
	info->max_tx_queues = (uint16_t)pi->run.nb_queues;
	info->max_lro_pkt_size = CXLMEM_MAX_GSO_FRAME_LEN;
	info->rx_offload_capa = CXLMEM_RX_OFFLOAD_CAPA;
	info->tx_offload_capa = CXLMEM_TX_OFFLOAD_CAPA;
	info->rx_queue_offload_capa = 0;
	info->tx_queue_offload_capa = 0;
	/* Any count in range: the window's ring is what it is (rsize=); a
	 * queue's count bounds the slots this end may hold (TX: frames in
	 * flight). The ring size is the default. */
	info->rx_desc_lim.nb_max = CXLMEM_MAX_RING_SIZE;
	info->rx_desc_lim.nb_min = CXLMEM_MIN_DESC;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = ring;
	info->default_txportconf.ring_size = ring;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->speed_capa = RTE_ETH_LINK_SPEED_FIXED |
			   rte_eth_speed_bitflag(pi->link_speed, RTE_ETH_LINK_FULL_DUPLEX);
	info->dev_capa &= ~RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP;
	return 0;
}

static int
eth_link_update(struct rte_eth_dev *dev, int wait_to_complete __rte_unused)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct rte_eth_link link = {
		.link_speed = pi->link_speed,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_status = pi->link_up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
		.link_autoneg = RTE_ETH_LINK_FIXED,
	};

	return rte_eth_linkstatus_set(dev, &link);
}

static struct cxlmem_queue *
queue_new(struct rte_eth_dev *dev, uint16_t qid, enum cxlmem_dir dir, int socket)
{
	struct pmd_internals *pi = dev->data->dev_private;
	const struct cxlmem_window *w = &proc_priv(dev)->win;
	struct cxlmem_queue *q;
	int node = w->numa_node >= 0 ? w->numa_node : socket;

	q = rte_zmalloc_socket("cxlmem_queue", sizeof(*q), RTE_CACHE_LINE_SIZE, node);
	if (q == NULL && node != SOCKET_ID_ANY)
		q = rte_zmalloc_socket("cxlmem_queue", sizeof(*q), RTE_CACHE_LINE_SIZE,
				       SOCKET_ID_ANY);
	if (q == NULL)
		return NULL;
	q->ring_size = pi->run.ring_size;
	q->mask = pi->run.ring_size - 1;
	q->buf_size = pi->run.buf_size;
	q->limit = pi->run.ring_size;
	q->max_frame = cxlmem_frame_len(dev->data->mtu);
	q->port_id = dev->data->port_id;
	q->queue_id = qid;
	q->dir = (uint8_t)dir;
	q->tx = dir == cxlmem_tx_dir(pi->params.role);
	/* What the first burst applies (queue_sync() in cxlmem_rxtx.c). */
	q->post.seq = 2;
	return q;
}

static void
eth_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_queue *q;

	rte_spinlock_lock(&pi->ctrl_lock);
	q = pi->rxq[qid];
	pi->rxq[qid] = NULL;
	rte_spinlock_unlock(&pi->ctrl_lock);
	dev->data->rx_queues[qid] = NULL;
	if (q != NULL && q->zc != NULL)
		cxlmem_zc_release(pi, q);
	rte_free(q);
}

static void
eth_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct cxlmem_queue *q;

	rte_spinlock_lock(&pi->ctrl_lock);
	q = pi->txq[qid];
	pi->txq[qid] = NULL;
	rte_spinlock_unlock(&pi->ctrl_lock);
	dev->data->tx_queues[qid] = NULL;
	rte_free(q);
}

static int
eth_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		   unsigned int socket, const struct rte_eth_rxconf *conf __rte_unused,
		   struct rte_mempool *mp)
{
	struct pmd_internals *pi = dev->data->dev_private;
	const enum cxlmem_dir dir = cxlmem_rx_dir(pi->params.role);
	uint32_t room = rte_pktmbuf_data_room_size(mp);
	struct cxlmem_queue *q;

	PRIMARY_ONLY();
	if (pi->params.rx_zerocopy &&
	    (rte_pktmbuf_priv_flags(mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF)) {
		CXLMEM_LOG(ERR, "port %u rxq %u: zerocopy=rx lends window slots through each "
			   "mbuf's free callback, which mbufs of a pool of pinned external buffers "
			   "(%s) never call; give the queue an ordinary mbuf pool "
			   "(rte_pktmbuf_pool_create()) or drop zerocopy=rx", pi->port_id, qid,
			   mp->name);
		return -EINVAL;
	}
	if (room <= RTE_PKTMBUF_HEADROOM) {
		CXLMEM_LOG(ERR, "port %u rxq %u: mempool %s has no data room", pi->port_id, qid,
			   mp->name);
		return -EINVAL;
	}
	/* A frame of the configured MTU must fit one mbuf unless the
	 * application takes chains (ethdev's SCATTER; GSO frames of LRO come
	 * as chains in any case, as LRO does on NICs). */
	if (!(dev->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER) &&
	    cxlmem_frame_len(dev->data->mtu) > room - RTE_PKTMBUF_HEADROOM) {
		CXLMEM_LOG(ERR, "port %u rxq %u: MTU %u frames (%u bytes) do not fit the %u-byte "
			   "data room of mempool %s; enable RTE_ETH_RX_OFFLOAD_SCATTER or use "
			   "mbufs of %u bytes", pi->port_id, qid, dev->data->mtu,
			   cxlmem_frame_len(dev->data->mtu), room - RTE_PKTMBUF_HEADROOM, mp->name,
			   cxlmem_frame_len(dev->data->mtu) + RTE_PKTMBUF_HEADROOM);
		return -EINVAL;
	}
	q = queue_new(dev, qid, dir, (int)socket);
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	q->mbuf_room = (uint16_t)RTE_MIN(room - RTE_PKTMBUF_HEADROOM, (uint32_t)UINT16_MAX);
	q->mbuf_rearm = cxlmem_mbuf_rearm(dev->data->port_id);
	q->poll_period = rte_get_timer_hz() * CXLMEM_TICK_US / 1000000;
	/* What this queue reports and takes; published to the peer at start
	 * (cxlmem_ctrl_start()). */
	q->offloads = cxlmem_rx_queue_offloads(dev);
	if (pi->params.rx_partial_csum)
		q->offloads |= CXLMEM_QRX_PARTIAL;
	q->max_gso = cxlmem_rx_max_gso(dev);
	/* Our own index from a previous life; the next resync moves it, and
	 * only that resync (at the next peer epoch) enables the queue. */
	q->head = rte_atomic_load_explicit(proc_priv(dev)->rings[qid][dir].cons,
					   rte_memory_order_relaxed);
	if (pi->params.rx_zerocopy && cxlmem_zc_setup(pi, q, nb_desc, (int)socket) != 0) {
		rte_free(q);
		return -ENOMEM;
	}
	q->post.epoch_tag = (uint16_t)pi->my_epoch;
	rte_spinlock_lock(&pi->ctrl_lock);
	dev->data->rx_queues[qid] = q;
	pi->rxq[qid] = q;
	rte_spinlock_unlock(&pi->ctrl_lock);
	return 0;
}

static int
eth_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		   unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct pmd_internals *pi = dev->data->dev_private;
	const enum cxlmem_dir dir = cxlmem_tx_dir(pi->params.role);
	struct cxlmem_queue *q;

	PRIMARY_ONLY();
	q = queue_new(dev, qid, dir, (int)socket);
	if (q == NULL)
		return -ENOMEM;
	/* This end holds at most nb_desc slots of the window's ring. */
	q->limit = RTE_MIN((uint32_t)nb_desc, q->ring_size);
	q->nt_min = cxlmem_nt_min(pi->nt_store, pi->params.coherence == CXLMEM_COHERENCE_FLUSH);
	/* A port-level offload (tx_queue_offload_capa is 0): ethdev passes
	 * only queue-level ones in conf (rte_eth_tx_queue_setup()). */
	q->fast_free = ((dev->data->dev_conf.txmode.offloads | conf->offloads) &
			RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) != 0;
	q->head = rte_atomic_load_explicit(proc_priv(dev)->rings[qid][dir].prod,
					   rte_memory_order_relaxed);
	/* Assume full: the first burst reads the receiver's cons. */
	q->peer_cons = q->head - q->ring_size;
	rte_spinlock_lock(&pi->ctrl_lock);
	/* Tagged and enabled as resync_with_peer()/set_link() would: a TX
	 * queue set up while the link is up sends at once. */
	q->post.epoch_tag = (uint16_t)pi->synced_peer_epoch;
	q->post.enabled = pi->link_up;
	if (pi->peer_max_frame != 0)
		q->max_frame = RTE_MIN(q->max_frame, pi->peer_max_frame);
	cxlmem_txq_take_peer(dev, q);
	dev->data->tx_queues[qid] = q;
	pi->txq[qid] = q;
	rte_spinlock_unlock(&pi->ctrl_lock);
	return 0;
}

CXLMEM_ETH_STATS_GET_OP(eth_stats_get, eth_cxlmem_stats_fill)

static int
eth_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	PRIMARY_ONLY();
	/* Without SCATTER, a frame of the new MTU must fit every RX queue's
	 * mbufs (as at queue setup). */
	if (!(dev->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER)) {
		struct pmd_internals *pi = dev->data->dev_private;
		uint32_t q;

		for (q = 0; q < CXLMEM_MAX_QUEUES; q++)
			if (pi->rxq[q] != NULL && cxlmem_frame_len(mtu) > pi->rxq[q]->mbuf_room) {
				CXLMEM_LOG(ERR, "port %u: MTU %u frames do not fit rxq %u's %u-byte "
					   "mbufs; enable RTE_ETH_RX_OFFLOAD_SCATTER", pi->port_id,
					   mtu, q, pi->rxq[q]->mbuf_room);
				return -EINVAL;
			}
	}
	/* ethdev checked min_mtu..max_mtu and stores mtu after we return;
	 * store it first, so what we publish and apply is the new one. */
	dev->data->mtu = mtu;
	cxlmem_ctrl_publish_rx(dev);
	return 0;
}

static int
eth_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	struct pmd_internals *pi = dev->data->dev_private;

	PRIMARY_ONLY();
	rte_ether_addr_copy(addr, &pi->mac);
	cxlmem_ctrl_publish_mac(dev);
	return 0;
}

static int
eth_promisc_noop(struct rte_eth_dev *dev __rte_unused)
{
	/* A point-to-point window delivers every frame: always promiscuous. */
	return 0;
}

static int
eth_dev_close(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = proc_priv(dev);
	uint16_t i;

	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		cxlmem_rx_intr_uninstall(dev);
		cxlmem_ctrl_close(dev);
		for (i = 0; i < dev->data->nb_rx_queues; i++)
			eth_rx_queue_release(dev, i);
		for (i = 0; i < dev->data->nb_tx_queues; i++)
			eth_tx_queue_release(dev, i);
		/* mac_addrs points into dev_private: not for ethdev to free. */
		dev->data->mac_addrs = NULL;
	}
	if (pp != NULL) {
		cxlmem_doorbell_close(pp);
		/* With zero-copy mbufs still out, their slots stay mapped. */
		if (!cxlmem_zc_close(pi)) {
			cxlmem_window_close(&pp->win);
			rte_free(pp);
		}
		dev->process_private = NULL;
	}
	return 0;
}

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
	.stats_reset = eth_cxlmem_stats_reset,
	.xstats_get = eth_cxlmem_xstats_get,
	.xstats_get_names = eth_cxlmem_xstats_get_names,
	.xstats_reset = eth_cxlmem_stats_reset,
	.mtu_set = eth_mtu_set,
	.mac_addr_set = eth_mac_addr_set,
	.promiscuous_enable = eth_promisc_noop,
	.promiscuous_disable = eth_promisc_noop,
	.allmulticast_enable = eth_promisc_noop,
	.allmulticast_disable = eth_promisc_noop,
	.rx_queue_intr_enable = eth_cxlmem_rx_intr_enable,
	.rx_queue_intr_disable = eth_cxlmem_rx_intr_disable,
};

/* ---- probe / remove ------------------------------------------------------ */

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
		dev->rx_pkt_burst = p->rx_zerocopy ? eth_cxlmem_rx_zc_flush : eth_cxlmem_rx_flush;
		dev->tx_pkt_burst = eth_cxlmem_tx_flush;
	} else {
		dev->rx_pkt_burst = p->rx_zerocopy ? eth_cxlmem_rx_zc : eth_cxlmem_rx;
		dev->tx_pkt_burst = eth_cxlmem_tx;
	}
}

/*
 * nt_store= resolved for this window (cxlmem_copy.h says what it does):
 * auto is on where the receiver reads the frame from memory, not from a
 * cache it shares with us: coherence=flush, and a devdax window (an HDM
 * range: a cached store would first read the line across the link). A file
 * window in coherence=hw is shared by two processes of one host, whose cores
 * may share the last-level cache: off (docs/cxlmem.md, nt_store).
 */
static bool
nt_store_on(const char *name, const struct cxlmem_params *p, const struct cxlmem_window *w)
{
	bool on = p->nt_store == CXLMEM_NT_STORE_ON ||
		  (p->nt_store == CXLMEM_NT_STORE_AUTO &&
		   (p->coherence == CXLMEM_COHERENCE_FLUSH || w->is_devdax));

	if (on && !CXLMEM_HAVE_NT_STORE) {
		if (p->nt_store == CXLMEM_NT_STORE_ON)
			CXLMEM_LOG(NOTICE, "%s: nt_store=on: this architecture has no non-temporal "
				   "stores here; frames are copied with cached stores", name);
		on = false;
	}
	return on;
}

/* The link speed to report: speed=, else the CXL link's, else the default. */
static uint32_t
link_speed(const char *name, const struct cxlmem_params *p, const struct cxlmem_window *w)
{
	uint32_t s;

	if (p->speed_mbps != 0)
		return p->speed_mbps;
	s = cxlmem_window_link_speed(w);
	if (s != 0) {
		CXLMEM_LOG(INFO, "%s: link speed %u Mbit/s, from the CXL link of %s", name, s,
			   w->dax_name);
		return s;
	}
	return CXLMEM_DEFAULT_SPEED;
}

/* A secondary process: attach to the primary's port and map its window. */
static int
probe_secondary(struct rte_vdev_device *vdev, const char *name)
{
	struct rte_eth_dev *dev = rte_eth_dev_attach_secondary(name);
	struct pmd_internals *pi;
	struct pmd_process_private *pp;
	int ret;

	if (dev == NULL) {
		CXLMEM_LOG(ERR, "%s: cannot attach to the primary's port", name);
		return -ENODEV;
	}
	pi = dev->data->dev_private;
	cxlmem_coherence_init();
	pp = rte_zmalloc_socket(name, sizeof(*pp), 0, rte_socket_id());
	if (pp == NULL) {
		rte_eth_dev_release_port(dev);
		return -ENOMEM;
	}
	cxlmem_doorbell_init(pp);
	ret = cxlmem_window_attach(pi->win_path, pi->params.offset, pi->win_size, &pp->win);
	if (ret != 0) {
		rte_free(pp);
		rte_eth_dev_release_port(dev);
		return ret;
	}
	cxlmem_rings_map(pp, &pi->run);
	cxlmem_doorbell_open(pi, pp);
	dev->process_private = pp;
	dev->dev_ops = &ops;
	dev->device = &vdev->device;
	set_burst_functions(dev, &pi->params);
	dev->tx_pkt_prepare = eth_cxlmem_tx_prepare;
	rte_eth_dev_probing_finish(dev);
	CXLMEM_LOG(INFO, "%s: secondary process mapped window %s (%" PRIu64 " bytes)", name,
		   pi->win_path, pi->win_size);
	return 0;
}

static int
rte_pmd_cxlmem_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct cxlmem_params params;
	struct pmd_internals *pi;
	struct pmd_process_private *pp;
	struct rte_eth_dev *dev;
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
	cxlmem_doorbell_init(pp);

	dev = rte_eth_vdev_allocate(vdev, sizeof(*pi));
	if (dev == NULL) {
		rte_free(pp);
		return -ENOMEM;
	}
	pi = dev->data->dev_private;
	pi->params = params;
	pi->port_id = dev->data->port_id;
	rte_spinlock_init(&pi->ctrl_lock);
	/* Within the devargs' ranges the sizes cannot overflow. */
	ret = cxlmem_geometry(params.nb_queues, params.ring_size, params.buf_size, &pi->cfg);
	if (ret != 0)
		goto fail;
	dev->process_private = pp;

	/* Until the geometry is settled only the header must be there. */
	/* Until the window's superblock says otherwise: what was asked. */
	pi->run = pi->cfg;
	ret = cxlmem_window_open(&params, pi->cfg.window_bytes, CXLMEM_QUEUE_AREA_OFFSET,
				 &pp->win);
	if (ret != 0)
		goto fail;
	ret = cxlmem_ctrl_attach(name, pi, &pp->win);
	if (ret != 0)
		goto fail;
	cxlmem_rings_map(pp, &pi->run);
	snprintf(pi->win_path, sizeof(pi->win_path), "%s", pp->win.path);
	pi->win_size = pp->win.size;
	pi->link_speed = link_speed(name, &params, &pp->win);
	pi->nt_store = nt_store_on(name, &params, &pp->win);
	cxlmem_doorbell_resolve(name, &pi->params, &pp->win);
	cxlmem_doorbell_open(pi, pp);

	if (params.mac_set)
		pi->mac = params.mac;
	else
		default_mac(&params, &pp->win, &pi->mac);
	cxlmem_ctrl_online(pi, &pp->win);

	dev->data->mac_addrs = &pi->mac;
	dev->data->dev_link.link_speed = pi->link_speed;
	dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	dev->data->dev_link.link_autoneg = RTE_ETH_LINK_FIXED;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->promiscuous = 1;
	dev->data->all_multicast = 1;
	dev->dev_ops = &ops;
	set_burst_functions(dev, &params);
	dev->tx_pkt_prepare = eth_cxlmem_tx_prepare;

	ret = rte_eal_alarm_set(CXLMEM_TICK_US, cxlmem_tick, dev);
	if (ret != 0) {
		CXLMEM_LOG(ERR, "%s: cannot start the heartbeat alarm: %s", name, strerror(-ret));
		goto fail;
	}
	rte_eth_dev_probing_finish(dev);
	CXLMEM_LOG(INFO, "%s: role=%s window %s offset=%" PRIu64 " size=%" PRIu64
		   " queues=%u rsize=%u bsize=%u coherence=%s nt_store=%s node=%d speed=%u", name,
		   params.role == CXLMEM_ROLE_HOST ? "host" : "device", pp->win.path,
		   params.offset, pp->win.size, pi->run.nb_queues, pi->run.ring_size,
		   pi->run.buf_size, params.coherence == CXLMEM_COHERENCE_FLUSH ? "flush" : "hw",
		   pi->nt_store ? "on" : "off", pp->win.numa_node, pi->link_speed);
	return 0;

fail:
	cxlmem_doorbell_close(pp);
	cxlmem_window_close(&pp->win);
	rte_free(pp);
	dev->process_private = NULL;
	dev->data->mac_addrs = NULL;
	rte_eth_dev_release_port(dev);
	return ret;
}

/* Hot-unplug: a started port is stopped first, then closed, as ethdev
 * requires of an application (rte_eth_dev_close() refuses a started port). */
static int
rte_pmd_cxlmem_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	uint16_t port;
	int ret;

	if (dev == NULL)
		return 0; /* already closed */
	port = dev->data->port_id;
	if (rte_eal_process_type() == RTE_PROC_PRIMARY && dev->data->dev_started) {
		ret = rte_eth_dev_stop(port);
		if (ret != 0)
			CXLMEM_LOG(WARNING, "port %u: stop before remove: %s", port,
				   rte_strerror(-ret));
	}
	return rte_eth_dev_close(port);
}

static struct rte_vdev_driver pmd_cxlmem_drv = {
	.probe = rte_pmd_cxlmem_probe,
	.remove = rte_pmd_cxlmem_remove,
};

RTE_PMD_REGISTER_VDEV(net_cxlmem, pmd_cxlmem_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_cxlmem, CXLMEM_PARAM_STRING);
