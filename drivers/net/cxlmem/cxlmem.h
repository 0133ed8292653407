/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem.h - net_cxlmem internals shared by the PMD's source files.
 * Not installed; the wire format is in cxlmem_layout.h.
 *
 * Files:
 *   cxlmem_devargs.c   devargs -> struct cxlmem_params (rte_kvargs)
 *   cxlmem_window.c    find, size, map and lock a window
 *   cxlmem_attach.c    taking a place in a window: superblock, geometry,
 *                      role claim, ring addresses, going online
 *   cxlmem_link.c      the link: heartbeat, epochs and resync, what each end
 *                      publishes for the other (cxlmem_ctrl.h: the control
 *                      line helpers both use)
 *   cxlmem_rxtx.c      burst functions (their fast paths)
 *   cxlmem_tx_frame.c  frames the TX fast path does not take: slot chains,
 *                      offload metadata, segmentation and checksums
 *   cxlmem_rx_frame.c  frames the RX fast path does not take: chains,
 *                      metadata checks, checksum completion and status
 *   cxlmem_zerocopy.c  zerocopy=rx: slots lent to the application, their
 *                      return, and the state that outlives a queue
 *   cxlmem_coherence.c the CPU's cache-line instructions (coherence=flush)
 *   cxlmem_doorbell.c  Rx interrupt mode: doorbells between the two ends
 *   cxlmem_stats.c     the port's counters: stats, xstats and their reset
 *   rte_eth_cxlmem.c   ethdev ops, probe and remove
 */
#ifndef CXLMEM_H
#define CXLMEM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "cxlmem_compat.h"
#include "cxlmem_layout.h"

struct rte_eth_dev;
struct rte_eth_stats;
struct rte_eth_xstat;
struct rte_eth_xstat_name;

extern int cxlmem_logtype;
#define RTE_LOGTYPE_NET_CXLMEM cxlmem_logtype
/** One log line, "NET_CXLMEM: function(): message"; fmt has no newline. */
#define CXLMEM_LOG(level, ...) \
	RTE_LOG_LINE_PREFIX(level, NET_CXLMEM, "%s(): ", __func__, __VA_ARGS__)

/** Heartbeat and link-check period, microseconds. */
#define CXLMEM_TICK_US 10000u
/** Bytes of L2 around an MTU: Ethernet header and two VLAN tags (no FCS). */
#define CXLMEM_L2_OVERHEAD (RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN)
#define CXLMEM_MIN_MTU 68u
/** Largest MTU: the largest frame less its L2 overhead. */
#define CXLMEM_MAX_MTU (CXLMEM_MAX_FRAME_LEN - CXLMEM_L2_OVERHEAD)

/** nt_store=: how the sender copies frames into the window (cxlmem_copy.h). */
enum cxlmem_nt_store {
	CXLMEM_NT_STORE_AUTO = 0, /**< on with coherence=flush or a devdax window */
	CXLMEM_NT_STORE_ON,       /**< non-temporal stores (x86; elsewhere cached) */
	CXLMEM_NT_STORE_OFF,      /**< cached stores (rte_memcpy) */
};

/** doorbell= devarg. */
enum cxlmem_doorbell_mode {
	CXLMEM_DOORBELL_AUTO = 0, /**< beside a file window; none for devdax */
	CXLMEM_DOORBELL_OFF,      /**< none: Rx interrupt mode not offered */
	CXLMEM_DOORBELL_PATH,     /**< at the prefix given */
};
/** Bytes a doorbell socket name adds to its prefix: ".db-h2d-63". */
#define CXLMEM_DOORBELL_SUFFIX_MAX 10u
/** Longest doorbell prefix, with its NUL: a Unix socket name has 108 bytes. */
#define CXLMEM_DOORBELL_PREFIX_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - \
				    CXLMEM_DOORBELL_SUFFIX_MAX)

/** Devargs (cxlmem_devargs.c parses them with rte_kvargs; defaults there). */
struct cxlmem_params {
	enum cxlmem_role role;
	bool role_set;
	char path[PATH_MAX];          /**< path=: devdax node or plain file */
	char dax[64];                 /**< dax=: daxX.Y, looked up with libdaxctl */
	uint64_t offset;              /**< offset=: sub-window start, bytes */
	uint64_t size;                /**< size=: sub-window length, bytes; 0 = rest */
	uint32_t nb_queues;           /**< queues= */
	uint32_t ring_size;           /**< rsize=: descriptors per ring */
	uint32_t buf_size;            /**< bsize=: bytes per packet buffer */
	bool geometry_set;            /**< queues/rsize/bsize given explicitly */
	struct rte_ether_addr mac;    /**< mac= */
	bool mac_set;
	enum cxlmem_coherence coherence; /**< coherence= */
	uint32_t link_timeout_ms;     /**< link_timeout=: peer silence before link down */
	uint32_t speed_mbps;          /**< speed=: reported link speed, Mbit/s; 0 = not given */
	bool rx_zerocopy;             /**< zerocopy=rx: hand received slots over in place */
	enum cxlmem_nt_store nt_store; /**< nt_store= */
	bool rx_partial_csum;         /**< rx_partial_csum=on: the application finishes
				       *   partial L4 checksums itself (RX_L4_CKSUM_NONE) */
	enum cxlmem_doorbell_mode doorbell_mode; /**< doorbell= */
	/** doorbell=PREFIX (or, with auto, a file window's path): receive
	 *  ring (q, d) of either end listens at PREFIX.db-h2d-q / .db-d2h-q.
	 *  Empty: no doorbell (Rx interrupt mode not offered). */
	char doorbell[CXLMEM_DOORBELL_PREFIX_MAX];
};

/* cxlmem_devargs.c */
/** Accepted devargs, for RTE_PMD_REGISTER_PARAM_STRING. */
#define CXLMEM_PARAM_STRING \
	"role=host|device " \
	"path=<file or /dev/daxX.Y> " \
	"dax=<daxX.Y> " \
	"offset=<bytes[K|M|G]> " \
	"size=<bytes[K|M|G]> " \
	"queues=<1-64> " \
	"rsize=<64-32768, power of 2> " \
	"bsize=<256-65536, multiple of 64> " \
	"mac=<xx:xx:xx:xx:xx:xx> " \
	"coherence=hw|flush " \
	"link_timeout=<ms> " \
	"speed=<Mbit/s> " \
	"zerocopy=rx|off " \
	"nt_store=auto|on|off " \
	"doorbell=auto|off|<path prefix> " \
	"rx_partial_csum=on|off"
int cxlmem_parse_devargs(const char *name, const char *args, struct cxlmem_params *p);
int cxlmem_parse_size(const char *s, uint64_t *out);

/** A mapped window (process-local). */
struct cxlmem_window {
	int fd;
	void *map_base;       /**< what mmap returned */
	size_t map_len;       /**< what was mapped */
	uint8_t *base;        /**< start of the (sub-)window inside the mapping */
	uint64_t size;        /**< bytes of the (sub-)window */
	int numa_node;        /**< node of the memory, or -1 if unknown */
	bool is_devdax;
	bool created;         /**< this process created the file */
	char path[PATH_MAX];  /**< what was opened (/dev/daxX.Y for dax=) */
	char dax_name[64];    /**< daxX.Y when the window is a devdax device */
};

/* cxlmem_window.c */
int cxlmem_window_open(const struct cxlmem_params *p, uint64_t create_len, uint64_t min_len,
		       struct cxlmem_window *w);
int cxlmem_window_attach(const char *path, uint64_t offset, uint64_t size,
			 struct cxlmem_window *w);
void cxlmem_window_close(struct cxlmem_window *w);
int cxlmem_lock_role(struct cxlmem_window *w, const struct cxlmem_params *p);
uint32_t cxlmem_window_link_speed(const struct cxlmem_window *w);

/** Where one ring lives in this process's mapping of the window. */
struct cxlmem_ring {
	uint32_t *prod;               /**< producer index (the sender's line) */
	uint32_t *cons;               /**< consumer index (the receiver's line) */
	uint32_t *intr_arm;           /**< doorbell request (the receiver's line) */
	uint32_t *polls;              /**< proof of polling (the receiver's line) */
	struct cxlmem_desc *desc;     /**< ring_size descriptors */
	uint8_t *bufs;                /**< ring_size buffers of buf_size bytes */
};

/** Counters of one queue; see eth_cxlmem_xstats_get() for their xstat names. */
struct cxlmem_queue_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t errors;        /**< RX: invalid descriptors; TX: frames refused */
	uint64_t ring_full;     /**< TX: frames not sent because the ring was full */
	uint64_t nombuf;        /**< RX: mbuf allocation failures */
	uint64_t bad_index;     /**< peer index outside the ring, refused */
	uint64_t stale;         /**< RX: frames of an earlier life of either end, dropped
				 *   (tagged for another epoch, or below a resync) */
	uint64_t too_long;      /**< RX: frames above the configured MTU, dropped;
				 *   TX: frames above our or the peer's limit, refused */
	uint64_t peer_idle;     /**< TX: frames refused because the peer does not poll this queue */
	uint64_t bad_offload;   /**< RX: frames with invalid or unaccepted offload metadata,
				 *   dropped; TX: frames with an offload request we cannot
				 *   carry (bad lengths, UDP segmentation, SCTP), refused */
	uint64_t gso_segmented; /**< TX: GSO frames segmented here (the peer does not take them) */
	uint64_t csum_done;     /**< TX: L4 checksums completed here; RX: completed for the app */
	uint64_t zc_frames;     /**< RX zero-copy: frames handed over in their slots */
	uint64_t zc_copied;     /**< RX zero-copy: frames copied (short, or too many slots out) */
	uint64_t win_written;   /**< bytes stored into the window, line-granular */
	uint64_t win_read;      /**< bytes loaded from the window, line-granular */
	uint64_t doorbells;     /**< TX: doorbells rung (the peer slept on the ring) */
	uint64_t doorbells_lost; /**< TX: doorbells the peer asked for that found no
				  *   socket to ring (the two ends' doorbell
				  *   prefixes differ, or the peer is gone) */
};

/** Frames shorter than this are copied even with zerocopy=rx (bytes). */
#define CXLMEM_ZC_COPYBREAK 256u

/** Zero-copy state of one slot of an RX ring. */
struct cxlmem_zc_slot {
	/** Set by the free callback (any lcore) when the application's
	 *  last reference to the slot's mbuf is gone; cleared by the
	 *  receiver when it takes the slot back. */
	uint8_t returned;
	/** Receiver only: the slot is lent to the application. */
	uint8_t lent;
	/** coherence=flush: the callback writes the slot's lines back (the
	 *  application may have written them) before returning it. */
	uint8_t flush;
	uint32_t buf_size;      /**< bytes of the slot, all of which the callback
				 *   writes back in coherence=flush */
};

/**
 * Zero-copy receive (zerocopy=rx) of one RX queue: a received frame is an
 * mbuf attached (rte_pktmbuf_attach_extbuf) to its slot in the window;
 * the shared info lives here, in local memory, never in the window where
 * the peer could write it. The slot returns when the application frees
 * the mbuf, in any order and from any lcore of this process; the receiver
 * moves cons only over a contiguous run of returned slots (tail).
 */
struct cxlmem_zc {
	uint32_t out;           /**< slots lent now (receiver only) */
	uint32_t limit;         /**< most slots lent at once; beyond, frames are copied */
	uint32_t tail;          /**< oldest slot not yet returned: the cons we publish */
	uint32_t size;          /**< entries of slot[] and shinfo[]: the ring size */
	uint32_t kept_head;     /**< the read index of a released queue that kept this
				 *   state (pmd_internals.zc_kept) */
	struct cxlmem_zc_slot *slot;            /**< ring_size entries */
	struct rte_mbuf_ext_shared_info *shinfo; /**< ring_size entries */
};

/**
 * What the control thread (the link check on the EAL alarm thread, and the
 * control ops) asks of a queue's burst: the burst alone writes its queue
 * state, and applies these values at its next call (queue_sync() in cxlmem_rxtx.c).
 * Written under pi->ctrl_lock as a sequence count: seq is odd while the
 * writer is between cxlmem_post_begin() and cxlmem_post_end(); a reader
 * that sees seq even and unchanged across its copy has a consistent copy,
 * and otherwise tries again at its next burst (it never waits).
 */
struct cxlmem_queue_post {
	uint32_t seq;           /**< odd while being written; +2 per post */
	uint32_t resyncs;       /**< resyncs asked; a change asks the burst to resync */
	uint32_t drop_to;       /**< RX resync: the peer's prod when its new life was
				 *   seen; the frames below it are of an earlier life */
	uint16_t epoch_tag;     /**< TX: peer epoch acked; RX: our epoch (low 16 bits) */
	uint8_t enabled;        /**< TX: link up; RX: synchronised */
	uint8_t peer_polls;     /**< TX: the peer polls this ring */
	uint8_t peer_sleeps;    /**< TX: the peer may sleep on this ring (doorbells) */
	uint32_t offloads;      /**< TX: CXLMEM_RXO_* the peer accepts */
	uint32_t max_gso;       /**< TX: longest GSO frame the peer takes, 0 = none */
};

/**
 * One ring as seen by one end: a TX queue (we are the sender) or an RX queue
 * (we are the receiver). Lives in rte_malloc memory, shared with secondary
 * processes: it holds no pointer into the window, whose address differs
 * per process; the burst finds the ring through its own process's
 * pmd_process_private (cxlmem_queue_ring()).
 *
 * One writer: everything but `post` and `max_frame` is written by the burst
 * (and by queue setup, when no burst runs: ethdev's rule). The control
 * thread only posts (struct cxlmem_queue_post); no lock is taken in a burst.
 */
struct cxlmem_queue {
	/* Hot, read-mostly. */
	uint32_t mask;                  /**< ring_size - 1 */
	uint32_t ring_size;             /**< descriptors in the window's ring */
	uint32_t buf_size;              /**< bytes per slot */
	uint32_t head;                  /**< our own index (prod for TX, cons for RX) */
	uint32_t peer_cons;             /**< TX: last consumer index read and accepted */
	uint32_t limit;                 /**< TX: most slots this end may hold
					 *   (nb_desc of queue setup, at most ring_size) */
	uint32_t max_frame;             /**< RX: longest frame accepted (configured MTU);
					 *   TX: longest frame sent (ours and the peer's).
					 *   Written by the control thread, one atomic
					 *   store: either value is a limit this end took */
	uint32_t max_gso;               /**< RX: longest GSO frame accepted (LRO), 0 = none;
					 *   TX: longest GSO frame the peer takes, 0 = none */
	uint32_t offloads;              /**< RX: CXLMEM_QRX_* reporting this queue does;
					 *   TX: CXLMEM_RXO_* the peer accepts */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t mbuf_room;             /**< RX: data room of the mempool's mbufs */
	uint16_t epoch_tag;             /**< TX: peer epoch acked; RX: our epoch (low 16 bits) */
	uint8_t dir;                    /**< enum cxlmem_dir of the ring */
	bool tx;                        /**< a TX queue (we send on the ring) */
	bool enabled;                   /**< TX: link up; RX: synchronised */
	bool peer_polls;                /**< TX: the peer polls this ring */
	bool peer_sleeps;               /**< TX: the peer may sleep on this ring and ask for
					 *   a doorbell (ctrl.flags), and we can ring one */
	uint32_t post_seen;             /**< post.seq last applied */
	uint32_t resyncs_seen;          /**< post.resyncs last applied */
	uint32_t intr_arm;              /**< RX: the intr_arm value we published last */
	uint32_t rung;                  /**< TX: the peer's last intr_arm we rang for */
	bool ring_lost_said;            /**< TX: a lost doorbell was logged */
	bool fast_free;                 /**< TX: RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE: the
					 *   application's mbufs come from one mempool
					 *   with refcnt 1 (rte_ethdev.h) */
	uint32_t nt_min;                /**< TX: copies of at least this many bytes use
					 *   non-temporal stores (CXLMEM_NT_OFF: none) */
	struct rte_mempool *mp;         /**< RX: mbuf pool */
	uint64_t mbuf_rearm;            /**< RX: rearm_data of a fresh mbuf (data_off,
					 *   refcnt 1, nb_segs 1, port), one store */
	struct cxlmem_zc *zc;           /**< RX with zerocopy=rx, else NULL */
	uint64_t poll_tsc;              /**< RX: timer cycles when polls was last published */
	uint64_t poll_period;           /**< RX: timer cycles between polls publications
					 *   (one heartbeat tick) */
	uint32_t polls;                 /**< RX: the ring_cons.polls value published last */

	/** Posted by the control thread, on a line of its own. */
	struct cxlmem_queue_post post __rte_cache_aligned;

	/** Written only by the lcore that polls this queue. */
	struct cxlmem_queue_stats st __rte_cache_aligned;
	/** st at the last stats reset; written only by the control path
	 *  (counters are reported as st - base, so a reset never races the
	 *  lcore's updates). */
	struct cxlmem_queue_stats base;
} __rte_cache_aligned;

/* Writer side of struct cxlmem_queue_post (pi->ctrl_lock held). */
static inline void
cxlmem_post_begin(struct cxlmem_queue *q)
{
	rte_atomic_store_explicit(&q->post.seq, q->post.seq + 1, rte_memory_order_relaxed);
	/* The odd count before any field store: a reader that sees a new
	 * field also sees the count move (and drops its copy). */
	rte_atomic_thread_fence(rte_memory_order_release);
}

/** Set field f of q's post to v, between cxlmem_post_begin() and _end(). */
#define CXLMEM_POST(q, f, v) rte_atomic_store_explicit(&(q)->post.f, (v), rte_memory_order_relaxed)

static inline void
cxlmem_post_end(struct cxlmem_queue *q)
{
	/* Release: the fields before the even count; pairs with the acquire
	 * load of seq in queue_sync() in cxlmem_rxtx.c. */
	rte_atomic_store_explicit(&q->post.seq, q->post.seq + 1, rte_memory_order_release);
}

/** cxlmem_queue.offloads of an RX queue: what the application enabled. */
#define CXLMEM_QRX_L4_CKSUM 0x01u /**< report L4 checksum status (TCP/UDP_CKSUM) */
#define CXLMEM_QRX_IP_CKSUM 0x02u /**< report IPv4 header checksum status */
#define CXLMEM_QRX_LRO      0x04u /**< take GSO frames (TCP_LRO) */
#define CXLMEM_QRX_SCATTER  0x08u /**< plain frames may arrive in mbuf chains (SCATTER) */
#define CXLMEM_QRX_PARTIAL  0x10u /**< rx_partial_csum=on: partial L4 checksums are handed
				   *   over unfinished (RX_L4_CKSUM_NONE) when L4_CKSUM or LRO
				   *   is enabled; without it they are completed here */

/** TX mbuf flags that take the slow path (cxlmem_tx_frame()). */
#define CXLMEM_TX_OFFLOAD_FLAGS (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG | \
				 RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)

/** Offloads the port offers (rte_eth_dev_info). */
#define CXLMEM_TX_OFFLOAD_CAPA (RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_TCP_TSO | \
				RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
				RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
#define CXLMEM_RX_OFFLOAD_CAPA (RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_TCP_LRO | \
				RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM | \
				RTE_ETH_RX_OFFLOAD_UDP_CKSUM)

/** Per-port state shared between processes (dev->data->dev_private). */
struct pmd_internals {
	struct cxlmem_params params;
	struct cxlmem_geometry cfg;     /**< geometry asked for (devargs, or their defaults) */
	struct cxlmem_geometry run;     /**< geometry in use: the window's superblock's
					 *   (cfg when this end formatted it, or when the
					 *   window is not formatted yet) */
	uint16_t port_id;
	bool started;
	struct rte_ether_addr mac;
	char win_path[PATH_MAX];        /**< the window's file, as the primary opened it */
	uint64_t win_size;              /**< bytes of the (sub-)window */
	uint32_t link_speed;            /**< reported link speed, Mbit/s */
	bool nt_store;                  /**< nt_store= resolved: TX queues store non-temporally */

	/*
	 * Serialises the control path of this port: the link check on the
	 * EAL alarm thread against queue setup/release, start/stop, MTU and
	 * close on the application's thread.
	 */
	rte_spinlock_t ctrl_lock;

	/* Link control, owned by the primary's alarm callback. */
	uint32_t my_epoch;
	uint32_t synced_peer_epoch;     /**< peer epoch whose backlog we dropped */
	uint64_t peer_hb_seen;
	uint64_t peer_silent_cycles;    /**< our running time since the peer's heartbeat
					 *   or its indexes on our rings moved */
	uint64_t peer_progress;         /**< the peer's indexes on our rings, as last seen
					 *   (a signature; see peer_progress()) */
	uint64_t last_tick_tsc;         /**< TSC of our previous link check */
	bool peer_seen;
	bool link_up;
	uint64_t peer_rx_mask;          /**< the peer's published rx_queue_mask */
	uint32_t peer_max_frame;        /**< the peer's published max_rx_frame (0: none) */
	uint32_t peer_rx_offloads;      /**< the peer's published CXLMEM_RXO_* bits */
	uint32_t peer_max_gso;          /**< the peer's published max_gso_frame (0: none) */
	bool peer_rx_intr;              /**< the peer publishes CXLMEM_CTRL_F_RX_INTR */
	bool peer_rings;                /**< the peer publishes CXLMEM_CTRL_F_DOORBELL */
	bool rx_intr;                   /**< Rx interrupt mode installed (started with
					 *   intr_conf.rxq): we publish CXLMEM_CTRL_F_RX_INTR */
	bool peer_version_logged;       /**< a peer of another layout version was logged */
	bool zc_held;                   /**< zero-copy mbufs outlived their queue: keep the window */
	/** Zero-copy state of an RX queue released while the application
	 *  held some of its mbufs: the next setup of that queue takes it over
	 *  (the held slots stay out of the peer's reach), close keeps it. */
	struct cxlmem_zc *zc_kept[CXLMEM_MAX_QUEUES];
	uint8_t peer_coherence;         /**< the peer's published coherence mode */
	uint64_t peer_restarts;
	uint64_t link_flaps;
	/* Snapshots of the port counters at the last stats reset. */
	uint64_t base_peer_restarts;
	uint64_t base_link_flaps;

	struct cxlmem_queue *rxq[CXLMEM_MAX_QUEUES];
	struct cxlmem_queue *txq[CXLMEM_MAX_QUEUES];
};

/** Doorbells of one process (cxlmem_doorbell.c); fds are -1 when absent. */
struct cxlmem_doorbells {
	int tx_fd;                    /**< unbound datagram socket we ring the peer with */
	int rx_fd[CXLMEM_MAX_QUEUES]; /**< receive queue q's bound socket (Rx interrupt mode) */
	struct sockaddr_un peer[CXLMEM_MAX_QUEUES]; /**< the peer's receive ring q's socket */
	struct sockaddr_un own[CXLMEM_MAX_QUEUES];  /**< our receive ring q's socket */
};

/** This process's view of a port (dev->process_private). */
struct pmd_process_private {
	struct cxlmem_window win;
	/** rings[q][d]: queue q's ring of direction d (enum cxlmem_dir). */
	struct cxlmem_ring rings[CXLMEM_MAX_QUEUES][2];
	struct cxlmem_doorbells db;
};

/** Window line accessors. */
static inline struct cxlmem_superblock *
cxlmem_win_sb(const struct cxlmem_window *w)
{
	return (struct cxlmem_superblock *)(w->base + CXLMEM_SB_OFFSET);
}

static inline struct cxlmem_ctrl *
cxlmem_win_ctrl(const struct cxlmem_window *w, enum cxlmem_role r)
{
	return (struct cxlmem_ctrl *)(w->base + CXLMEM_CTRL_OFFSET(r));
}

static inline enum cxlmem_role
cxlmem_peer_role(enum cxlmem_role r)
{
	return r == CXLMEM_ROLE_HOST ? CXLMEM_ROLE_DEVICE : CXLMEM_ROLE_HOST;
}

/** Direction of the ring this end transmits on. */
static inline enum cxlmem_dir
cxlmem_tx_dir(enum cxlmem_role r)
{
	return r == CXLMEM_ROLE_HOST ? CXLMEM_DIR_H2D : CXLMEM_DIR_D2H;
}

/** Direction of the ring this end receives on. */
static inline enum cxlmem_dir
cxlmem_rx_dir(enum cxlmem_role r)
{
	return r == CXLMEM_ROLE_HOST ? CXLMEM_DIR_D2H : CXLMEM_DIR_H2D;
}

/** Longest frame for an MTU, in bytes without FCS. */
static inline uint32_t
cxlmem_frame_len(uint32_t mtu)
{
	return mtu + CXLMEM_L2_OVERHEAD;
}

/* cxlmem_attach.c */
int cxlmem_sb_check(const struct cxlmem_superblock *sb, uint64_t win_size,
		    struct cxlmem_geometry *g);
void cxlmem_rings_map(struct pmd_process_private *pp, const struct cxlmem_geometry *g);
int cxlmem_ctrl_attach(const char *name, struct pmd_internals *pi, struct cxlmem_window *w);
void cxlmem_ctrl_online(struct pmd_internals *pi, struct cxlmem_window *w);

/* cxlmem_link.c */
void cxlmem_ctrl_start(struct rte_eth_dev *dev);
void cxlmem_ctrl_stop(struct rte_eth_dev *dev);
void cxlmem_ctrl_close(struct rte_eth_dev *dev);
void cxlmem_ctrl_publish_rx(struct rte_eth_dev *dev);
void cxlmem_ctrl_publish_mac(struct rte_eth_dev *dev);
/** Post to TX queue tq what this end knows of the peer's receive side (the
 *  offloads it takes, its largest GSO frame, whether it polls or may sleep
 *  on tq's ring); ctrl_lock held. */
void cxlmem_txq_take_peer(struct rte_eth_dev *dev, struct cxlmem_queue *tq);
uint32_t cxlmem_rx_queue_offloads(const struct rte_eth_dev *dev);
uint32_t cxlmem_rx_max_gso(const struct rte_eth_dev *dev);
void cxlmem_tick(void *arg);

/* cxlmem_tx_frame.c, cxlmem_rx_frame.c, cxlmem_zerocopy.c */
int cxlmem_tx_frame(struct cxlmem_queue *q, const struct cxlmem_ring *r, struct rte_mbuf *m,
		    uint32_t head, uint32_t free_slots, uint32_t max_frame, bool flush,
		    uint32_t *frames, uint64_t *bytes);
uint32_t cxlmem_rx_frame(struct cxlmem_queue *q, const struct cxlmem_ring *r, uint32_t cons,
			 uint32_t avail, uint32_t fresh, uint32_t max_frame, struct rte_mbuf **out,
			 bool flush);
struct cxlmem_zc *cxlmem_zc_create(const struct cxlmem_queue *q, uint32_t nb_desc, bool flush,
				   int socket);
uint32_t cxlmem_zc_reclaim(struct cxlmem_zc *zc, uint32_t head, uint32_t mask);
void cxlmem_zc_set_limit(struct cxlmem_zc *zc, uint32_t nb_desc);
void cxlmem_zc_release(struct pmd_internals *pi, struct cxlmem_queue *q);
int cxlmem_zc_setup(struct pmd_internals *pi, struct cxlmem_queue *q, uint32_t nb_desc,
		    int socket);
bool cxlmem_zc_close(struct pmd_internals *pi);
uint32_t cxlmem_zc_held(const struct cxlmem_zc *zc);
void cxlmem_zc_lend(struct cxlmem_zc *zc, struct rte_mbuf *m, uint32_t slot, uint8_t *buf,
		    uint32_t buf_size, uint32_t off, uint32_t len);
void cxlmem_rx_ip_cksum(struct rte_mbuf *m);
uint16_t eth_cxlmem_tx_prepare(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);

/* cxlmem_doorbell.c */
void cxlmem_doorbell_resolve(const char *name, struct cxlmem_params *p,
			     const struct cxlmem_window *w);
void cxlmem_doorbell_init(struct pmd_process_private *pp);
void cxlmem_doorbell_open(const struct pmd_internals *pi, struct pmd_process_private *pp);
void cxlmem_doorbell_close(struct pmd_process_private *pp);
int cxlmem_rx_intr_install(struct rte_eth_dev *dev);
void cxlmem_rx_intr_uninstall(struct rte_eth_dev *dev);
int eth_cxlmem_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid);
int eth_cxlmem_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid);
void cxlmem_doorbell_ring(struct cxlmem_queue *q, const struct cxlmem_ring *r, bool flush);

/* cxlmem_stats.c */
int eth_cxlmem_stats_fill(struct rte_eth_dev *dev, struct rte_eth_stats *st,
			  cxlmem_eth_queue_stats *qs);
int eth_cxlmem_stats_reset(struct rte_eth_dev *dev);
int eth_cxlmem_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
				unsigned int size);
int eth_cxlmem_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n);

/* cxlmem_rxtx.c */
uint16_t eth_cxlmem_rx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_tx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_rx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_tx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_rx_zc(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_rx_zc_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);

#endif /* CXLMEM_H */
