/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd kernel backend "tun": its state, shared by its set-up
 * (kern_tun.c: the queues, the offloads negotiated with the kernel, the
 * counters) and its data path (tun_io.c: reads and writes of the queues).
 */
#ifndef CXL_FWD_TUN_H
#define CXL_FWD_TUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <liburing.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "fwd.h"
#include "vnet_hdr.h"

#define TUN_MAX_SEGS 128          /* mbufs one read may fill */
#define TUN_MAX_IOV  (TUN_MAX_SEGS + 2)
#define TUN_RD_SLOTS 32           /* reads in one io_uring submission, at most */
#define TUN_RD_MBUFS 256          /* standing mbufs of all slots, at most */
#define TUN_VNET_HDR_SZ ((int)sizeof(struct virtio_net_hdr))

/* Per-queue counters; one writer (the lcore owning the queue). */
struct tun_ctr {
	uint64_t rx_pkts, rx_bytes;   /* read from the kernel */
	uint64_t rx_err, rx_bad;      /* read errors; metadata not carried */
	uint64_t rx_nombuf;           /* rounds cut short: pool empty */
	uint64_t tx_pkts, tx_bytes;   /* written to the kernel */
	uint64_t tx_err, tx_bad;      /* refused by the kernel; metadata not carried */
	struct vnet_ctr v;            /* frames with offloads, both ways */
};

/* One frame on its way to the kernel: its header, patched headers and the
 * iovec that writev()/io_uring takes. */
struct tun_wr {
	struct virtio_net_hdr vh;
	uint16_t hlen;
	unsigned int niov;
	struct iovec iov[TUN_MAX_IOV];
	uint8_t hbuf[VNET_HDR_COPY];
};

/* One standing read: a chain of pool mbufs large enough for the largest
 * frame, and the header it comes with. */
struct tun_rd {
	struct virtio_net_hdr vh;
	unsigned int nspare;
	struct rte_mbuf *spare[TUN_MAX_SEGS];
	struct iovec iov[1 + TUN_MAX_SEGS];
};

struct tun_queue {
	int fd;
	struct tun_rd *rd;            /* nslots of them */
	unsigned int nslots;          /* 1 without io_uring */
	unsigned int rd_next;         /* reads to submit next time (adaptive) */
	struct tun_ctr c;
	struct tun_wr *wr;            /* MAX_BURST of them */
	struct io_uring ring;         /* batched I/O (--uring on) */
	bool uring;                   /* writes through the ring */
	bool uring_rd;                /* reads through the ring */
	bool rd_proven;               /* a ring read has returned a frame */
	unsigned int rd_misses;       /* frames readv() found after empty batches */
} __rte_cache_aligned;

/* The backend's state (fwd_kern_ops' be): fixed once open, but for the
 * queues' own fields and the counters' print base. */
struct tun_be {
	const struct fwd_ctx *ctx;    /* opts (iface, queues), the pool */
	unsigned int rd_segs;         /* mbufs per read */
	unsigned int rd_cap;          /* largest frame a read takes */
	unsigned int room;            /* data room of one mbuf */
	struct vnet_offloads offl;    /* transport TX offloads, kernel's TUN_F_* */
	struct tun_ctr last;          /* sum at the previous print */
	struct tun_queue tq[MAX_QUEUES];
};

/* tun_io.c */
/* Tops r up to rd_segs mbufs from the pool; 0, or -1 when the pool is
 * short (r keeps what it had). */
int tun_refill(const struct tun_be *tb, struct tun_rd *r);
/* fwd_kern_ops rx and tx of the tun backend (be: struct tun_be). */
uint16_t tun_rx(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
void tun_tx(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n, struct dir_stats *st);

#endif
