/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem.h - net_cxlmem internals shared by the PMD's source files.
 * Not installed; the wire format is in cxlmem_layout.h.
 */
#ifndef CXLMEM_H
#define CXLMEM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "cxlmem_layout.h"

extern int cxlmem_logtype;
#define CXLMEM_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, cxlmem_logtype, "%s(): " fmt "\n", __func__, ##__VA_ARGS__)

/** Coherence mode of the window (devarg coherence=). */
enum cxlmem_coherence {
	CXLMEM_COHERENCE_HW = 0,    /**< coherent memory: plain loads/stores */
	CXLMEM_COHERENCE_FLUSH = 1, /**< writer writes back, reader invalidates */
};

/** Devargs, parsed with rte_kvargs into this struct (defaults in rte_eth_cxlmem.c). */
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
	enum cxlmem_coherence coherence;
	uint32_t link_timeout_ms;     /**< link_timeout=: peer silence before link down */
};

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
	char path[PATH_MAX];  /**< what was opened */
};

/**
 * One ring as seen by one end: a TX queue (we are the sender) or an RX queue
 * (we are the receiver). Lives in rte_malloc memory so that a secondary
 * process can read its counters; the window pointers are valid only in the
 * primary, which is the only process that runs bursts.
 */
struct cxlmem_queue {
	/* Hot, read-mostly. */
	struct cxlmem_desc *desc;       /**< descriptor array in the window */
	uint8_t *bufs;                  /**< buffer area in the window */
	uint32_t *prod;                 /**< producer index in the window */
	uint32_t *cons;                 /**< consumer index in the window */
	uint32_t mask;                  /**< ring_size - 1 */
	uint32_t ring_size;
	uint32_t buf_size;
	uint32_t head;                  /**< our own index (prod for TX, cons for RX) */
	uint32_t peer_cons;             /**< TX: last consumer index read and accepted */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t mbuf_room;             /**< RX: data room of the mempool's mbufs */
	uint16_t epoch_tag;             /**< TX: peer epoch acked; RX: our epoch (low 16 bits) */
	bool enabled;                   /**< link up for this queue (written under lock) */
	struct rte_mempool *mp;         /**< RX: mbuf pool */
	/*
	 * Serialises the burst function with the link control thread, which
	 * resets indexes on a peer restart. The burst only try-locks it: a
	 * burst that loses the race returns 0 instead of waiting.
	 */
	rte_spinlock_t lock;

	/* Counters, written only by the lcore that polls this queue. */
	uint64_t pkts;
	uint64_t bytes;
	uint64_t errors;        /**< RX: invalid descriptors; TX: frames refused */
	uint64_t ring_full;     /**< TX: frames not sent because the ring was full */
	uint64_t nombuf;        /**< RX: mbuf allocation failures */
	uint64_t bad_index;     /**< peer index outside the ring, refused */
	uint64_t stale;         /**< RX: frames tagged for another epoch, dropped */
	uint64_t win_written;   /**< bytes stored into the window, line-granular */
	uint64_t win_read;      /**< bytes loaded from the window, line-granular */
} __rte_cache_aligned;

/** Per-port state shared between processes (dev->data->dev_private). */
struct pmd_internals {
	struct cxlmem_params params;
	uint32_t nb_queues;             /**< geometry in use (from the superblock) */
	uint32_t ring_size;
	uint32_t buf_size;
	uint16_t port_id;
	bool started;
	struct rte_ether_addr mac;

	/* Link control, owned by the primary's alarm callback. */
	uint32_t my_epoch;
	uint32_t synced_peer_epoch;     /**< peer epoch whose backlog we dropped */
	uint64_t peer_hb_seen;
	uint64_t peer_silent_cycles;    /**< our running time since the peer's heartbeat moved */
	uint64_t last_tick_tsc;         /**< TSC of our previous link check */
	bool peer_seen;
	bool link_up;
	uint64_t peer_restarts;
	uint64_t link_flaps;
	uint64_t stale_dropped;         /**< frames of a previous peer life dropped at resync */

	struct cxlmem_queue *rxq[CXLMEM_MAX_QUEUES];
	struct cxlmem_queue *txq[CXLMEM_MAX_QUEUES];
};

/** This process's view of a port (dev->process_private). */
struct pmd_process_private {
	struct cxlmem_window win;
};

/* cxlmem_window.c */
int cxlmem_window_open(const struct cxlmem_params *p, uint64_t need,
		       struct cxlmem_window *w);
void cxlmem_window_close(struct cxlmem_window *w);
int cxlmem_lock_role(struct cxlmem_window *w, const struct cxlmem_params *p);
int cxlmem_parse_size(const char *s, uint64_t *out);

/* rte_eth_cxlmem.c */
int cxlmem_sb_check(const struct cxlmem_superblock *sb, uint64_t win_size, uint32_t *q,
		    uint32_t *r, uint32_t *b);

/* cxlmem_rxtx.c */
uint16_t eth_cxlmem_rx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_tx(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_rx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);
uint16_t eth_cxlmem_tx_flush(void *queue, struct rte_mbuf **bufs, uint16_t nb_bufs);

#endif /* CXLMEM_H */
