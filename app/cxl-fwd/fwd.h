/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: bridges a cxlmem port (a CXL memory window shared with a peer) to a
 * kernel network interface, queue by queue, in both directions. Shared
 * declarations of the forwarder's modules:
 *
 *   main.c      EAL, the mbuf pool, the queues' lcores, start and stop
 *   fwd_loop.c  the poll loops (busy or adaptive) and the drain at stop
 *   options.c   command line -> struct fwd_opts (before EAL: no DPDK calls
 *               but rte_kvargs and rte_ether_unformat_addr)
 *   ports.c     the transport port (cxlmem or any vdev): probe, offloads,
 *               queues, link state; the stable default MAC
 *   kern_tap.c  kernel backend "tap": DPDK's net_tap (or --kernel-devargs)
 *   kern_tun.c  kernel backend "tun": /dev/net/tun queues with virtio_net_hdr,
 *               their set-up, offload negotiation and counters (tun.h)
 *   tun_io.c    the tun backend's reads and writes (io_uring or readv/writev)
 *   vnet_hdr.c  virtio_net_hdr <-> mbuf offload fields (vnet_hdr.h; no state)
 *   stats.c     the --stats lines, the forwarders' CPU share
 *   fwd_netlink.c  rtnetlink requests (libmnl)
 *
 * The state they share is one struct fwd_ctx, made by main() and passed to
 * each of them (and to each lcore's loop); only the signal handler's flag
 * lives outside it.
 */
#ifndef CXL_FWD_H
#define CXL_FWD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <net/if.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fwd_netlink.h"

#define CXL_DEV_NAME      "net_cxlmem0"
#define TAP_DEV_NAME      "net_tap0"
#define MAX_QUEUES        16
#define MAX_BURST         256
#define MAX_ADDRS         8
#define MAX_MTU           9000
#define TX_RETRIES        16
#define MEMPOOL_CACHE     256
#define DRAIN_MS          200
/* Largest frame the kernel hands over or takes with GSO: a 64 KiB IP packet
 * plus Ethernet header and one VLAN tag. */
#define GSO_MAX_FRAME     (65535 + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)

enum fwd_kernel { FWD_KERN_TUN = 0, FWD_KERN_TAP };
enum fwd_poll { FWD_POLL_ADAPTIVE = 0, FWD_POLL_BUSY };

struct fwd_opts {
	char *xport_devargs;          /* "name,args" of the transport port */
	bool xport_is_cxl;
	enum fwd_kernel kernel;       /* --kernel */
	char *kern_devargs;           /* --kernel-devargs (tap backend) */
	bool offloads;                /* --offloads auto (true) | off */
	bool uring;                   /* --uring on (true) | off: batched I/O */
	char iface[IFNAMSIZ];
	struct rte_ether_addr mac;
	bool mac_set;
	struct fwd_ifaddr addrs[MAX_ADDRS];
	unsigned int n_addrs;
	unsigned int mtu;
	unsigned int queues;
	bool queues_set;
	unsigned int burst;
	const char *poll_lcores;
	enum fwd_poll poll;           /* --poll */
	unsigned int grace_us;        /* --poll-grace: polling after traffic (base) */
	unsigned int grace_max_us;    /* --poll-grace-max: the most it grows to */
	bool poll_yield;              /* --poll-yield on (true) | off: sched_yield()
	                               * between empty rounds of the grace */
	unsigned int idle_us;         /* --idle-sleep: window poll interval, idle */
	unsigned int deep_us;         /* --deep-sleep: same after deep_ms idle */
	unsigned int deep_ms;         /* --deep-after */
	unsigned int stats_sec;
	unsigned int mbuf_size;
	unsigned int nb_mbufs;
	unsigned int rxd, txd;
	const char *netns;
};

/* Counters of one direction of one queue; written by one lcore only. */
struct dir_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t drop_full;           /* tx ring/queue full after retries */
	uint64_t drop_down;           /* tx side's link was down */
	uint64_t drop_bad;            /* offload metadata that cannot be carried */
} __rte_cache_aligned;

/* The queues one lcore polls, and its CPU clock (for the CPU share). */
struct lcore_conf {
	unsigned int nq;
	uint16_t q[MAX_QUEUES];
	bool polls;                   /* runs fwd_loop with queues */
	clockid_t cpu_clock;          /* this lcore's thread CPU clock */
	volatile bool cpu_clock_ok;
	uint64_t last_cpu_ns;         /* at the previous stats print */
	uint64_t sleeps;              /* epoll waits (adaptive mode) */
	uint64_t yields;              /* sched_yield() calls in the grace */
	volatile uint32_t grace_us;   /* the grace now (poll.h), for --stats */
	volatile uint32_t grace_top_us; /* the longest it has been */
	uint64_t wakeups_kern;        /* waits ended by a kernel queue */
	uint64_t wakeups_xport;       /* waits ended by the transport's doorbell */
	bool xport_intr;              /* the transport's queues have Rx interrupt fds */
} __rte_cache_aligned;

struct fwd_ctx;

/* The transport port (cxlmem or another vdev), or net_tap's. */
struct port_info {
	uint16_t id;
	char name[64];
	const char *label;            /* for messages: name or interface */
	volatile int link_up;         /* -1: not known yet */
	struct rte_eth_stats last;    /* at the previous stats print */
	uint64_t tx_offloads;         /* enabled on the port */
	uint64_t rx_offloads;
	bool rx_intr;                 /* configured with Rx interrupts (intr_conf.rxq) */
	const struct fwd_ctx *ctx;    /* the clock of its link messages */
};

/*
 * A kernel backend: the kernel interface and how frames reach it. Queue q of
 * the backend is bridged to queue q of the transport; each queue is used by
 * one lcore only. be is the backend's own state, as open() returned it.
 */
struct fwd_kern_ops {
	const char *name;
	/* Creates interface ctx->opts.iface with ctx->opts.queues queues and
	 * MAC mac, using offloads the transport port has enabled (its tx and
	 * rx offload masks); returns the backend's state (never NULL). Exits
	 * through rte_exit() with a message on failure. */
	void *(*open)(const struct fwd_ctx *ctx, const struct rte_ether_addr *mac,
		      uint64_t x_tx, uint64_t x_rx);
	/* Up to n frames the kernel sent, as mbufs (chains allowed) with TX
	 * offload flags the transport has enabled; returns how many. */
	uint16_t (*rx)(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	/* Hands n frames (received from the transport) to the kernel; frees
	 * all of them; counts delivered frames and drops in st. */
	void (*tx)(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
		   struct dir_stats *st);
	/* A file descriptor that is readable when queue q has frames from the
	 * kernel, or -1 (then adaptive polling wakes on its timeout only). */
	int (*wait_fd)(void *be, uint16_t q);
	/* Refreshes and returns the link state (1 up, 0 down); a change is
	 * printed. */
	int (*link_up)(void *be);
	/* Appends its lines to a --stats print (dt: seconds since the last). */
	void (*print_stats)(void *be, bool final, double dt);
	/* Stop (after the drain) and close; frees everything it holds, be
	 * included. */
	void (*close)(void *be);
};

extern const struct fwd_kern_ops fwd_kern_tap;
extern const struct fwd_kern_ops fwd_kern_tun;

/* Frames read from the kernel that the transport did not take yet (its
 * ring was full): sent first in the next round, and the kernel side is not
 * read meanwhile, so that a full window pushes back instead of dropping. */
struct fwd_pending {
	uint16_t n, off;
	struct rte_mbuf *pkts[MAX_BURST];
} __rte_cache_aligned;

/* What a --stats print is compared with; the main lcore's only. */
struct fwd_stats_base {
	uint64_t tsc;                 /* at the previous print */
	uint64_t proc_ns;             /* the process's CPU time then */
	struct fwd_ifstats kern;      /* the kernel interface's counters at start */
	bool kern_ok;
};

/*
 * The forwarder's state: made by main(), passed to every module and, as the
 * launch argument, to each lcore's loop. opts is written before EAL starts
 * and read only after; a queue's stats and pending frames are written by
 * the lcore that owns the queue (and by the drain, once the loops ended).
 */
struct fwd_ctx {
	struct fwd_opts opts;
	uint64_t start_tsc;           /* time 0 of the messages (after EAL init) */
	const volatile bool *quit;    /* set on SIGINT/SIGTERM: the loops end */
	struct rte_mempool *pool;
	struct port_info xport;
	const struct fwd_kern_ops *kern;
	void *kern_be;                /* kern->open()'s state */
	unsigned int kern_ifindex;
	struct lcore_conf lconf[RTE_MAX_LCORE];
	/* stats[q][0]: transport -> kernel, stats[q][1]: kernel -> transport */
	struct dir_stats stats[MAX_QUEUES][2];
	struct fwd_pending pend[MAX_QUEUES];
	struct fwd_stats_base base;
};

/* options.c */
/* The defaults of every option. */
void fwd_opts_init(struct fwd_opts *o);
void fwd_usage(const char *prog);
/* Fills o (holding the defaults) from argv; exits with a message on a
 * mistake, and after --help. */
void fwd_parse_args(struct fwd_opts *o, int argc, char **argv);
unsigned int fwd_parse_lcore_list(const char *list, unsigned int *out, unsigned int max);

/* ports.c */
void fwd_probe_port(const struct fwd_ctx *ctx, struct port_info *pi, const char *devargs,
		    const char *role);
void fwd_setup_xport(struct fwd_ctx *ctx);
void fwd_default_mac(const struct fwd_opts *o, struct rte_ether_addr *mac);
/* Frame and mbuf geometry for the MTU. */
unsigned int fwd_frame_len(const struct fwd_opts *o);
unsigned int fwd_data_room(const struct fwd_opts *o);
unsigned int fwd_segs(const struct fwd_opts *o, unsigned int frame_len);
/* Sets ctx->kern_ifindex. */
void fwd_configure_kernel_iface(struct fwd_ctx *ctx);

/* fwd_loop.c */
/* An lcore's poll loop (arg: the struct fwd_ctx); returns 0 once *quit. */
int fwd_loop(void *arg);
/* After the loops ended: forwards what is still queued, bounded in time. */
void fwd_drain(struct fwd_ctx *ctx);

/* stats.c */
void fwd_print_port_stats(struct port_info *pi, bool final, double dt);
/* Seconds since ctx->start_tsc. */
double fwd_now_s(const struct fwd_ctx *ctx);
void fwd_stats_init(struct fwd_ctx *ctx);
void fwd_print_stats(struct fwd_ctx *ctx, bool final);
void fwd_lcore_cpu_register(struct lcore_conf *lc);

#endif
