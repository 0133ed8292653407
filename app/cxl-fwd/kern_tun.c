/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd kernel backend "tun": the kernel interface is a TAP opened through
 * /dev/net/tun with IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE, one queue fd
 * per transport queue (the kernel spreads flows over them). Every frame
 * crosses with a struct virtio_net_hdr, translated to mbuf offload fields and
 * back, so that a 64 KiB TCP segment of one kernel crosses the window as one
 * frame and enters the other kernel as one GSO skb, when the transport port
 * carries those offloads (its dev_info capabilities say so; otherwise the
 * kernel is asked for none and frames are plain).
 *
 * Kernel -> window: reads of one frame each into a standing chain of pool
 * mbufs (the vnet header beside it), until EAGAIN or a burst is full: with
 * --uring on (the default) a batch of reads in one io_uring submission,
 * else one readv() each.
 * Window -> kernel: the vnet header, then the mbuf segments in place, as one
 * writev() each or a burst of them in one io_uring submission (liburing,
 * --uring on, the default): no copy in user space (the segments may sit in the CXL window with a
 * zero-copy receive path). Headers that need a fix (checksum seed, IPv4
 * header checksum) are patched in a private copy, never in the mbuf, so that
 * nothing is written into a buffer that may be window memory.
 *
 * The header translation itself is in vnet_hdr.c; this file has the queues,
 * their I/O, the offload negotiation with the kernel and the counters.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <liburing.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
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

static int
tun_refill(const struct tun_be *tb, struct tun_rd *r)
{
	unsigned int need = tb->rd_segs - r->nspare;

	if (need == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(tb->ctx->pool, r->spare + r->nspare, need) != 0)
		return -1;
	r->nspare = tb->rd_segs;
	return 0;
}

static void
prep_iov(const struct tun_be *tb, struct tun_rd *r)
{
	unsigned int i;

	r->iov[0].iov_base = &r->vh;
	r->iov[0].iov_len = sizeof(r->vh);
	for (i = 0; i < tb->rd_segs; i++) {
		r->iov[1 + i].iov_base = rte_pktmbuf_mtod(r->spare[i], void *);
		r->iov[1 + i].iov_len = tb->room;
	}
}

/* The read into r returned res bytes: take the mbufs it filled as a
 * frame (NULL when it is dropped, counted). */
static struct rte_mbuf *
take_frame(const struct tun_be *tb, struct tun_queue *t, struct tun_rd *r, ssize_t res)
{
	unsigned int room = tb->room;
	struct rte_mbuf *m;
	unsigned int i, nseg;
	uint32_t len, left;

	if (res < TUN_VNET_HDR_SZ + RTE_ETHER_HDR_LEN ||
	    (size_t)res - TUN_VNET_HDR_SZ > tb->rd_cap) {
		t->c.rx_err++;	/* runt, or cut: larger than we read */
		return NULL;
	}
	len = (uint32_t)res - TUN_VNET_HDR_SZ;
	nseg = (len + room - 1) / room;
	left = len;
	for (i = 0; i < nseg; i++) {
		struct rte_mbuf *sg = r->spare[i];

		sg->data_len = (uint16_t)RTE_MIN(left, room);
		left -= sg->data_len;
		sg->next = i + 1 < nseg ? r->spare[i + 1] : NULL;
	}
	m = r->spare[0];
	m->pkt_len = len;
	m->nb_segs = (uint16_t)nseg;
	memmove(r->spare, r->spare + nseg, (r->nspare - nseg) * sizeof(r->spare[0]));
	r->nspare -= nseg;
	if ((r->vh.flags != 0 || r->vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) &&
	    fwd_from_vnet(m, &r->vh, &tb->offl, &t->c.v) != 0) {
		t->c.rx_bad++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	t->c.rx_pkts++;
	t->c.rx_bytes += len;
	return m;
}

/* Reads through the ring do not work here (err: what they returned):
 * readv() from now on, said once. */
static void
rd_fallback(const struct tun_be *tb, struct tun_queue *t, uint16_t q, int err)
{
	if (!t->uring_rd)
		return;
	t->uring_rd = false;
	printf("cxl-fwd: %s: queue %u: io_uring reads %s; reading with readv()\n",
	       tb->ctx->opts.iface,
	       q, err == -EAGAIN ? "miss frames that readv() finds" : strerror(-err));
	fflush(stdout);
}

/*
 * With io_uring: one submission of k reads (k adapts: doubled while all
 * of them found a frame, else what the last one found plus one), each into
 * its own standing chain; RWF_NOWAIT makes a read that finds nothing
 * complete at once with -EAGAIN (without it io_uring waits for a frame,
 * O_NONBLOCK or not). Batched reads carry more TCP throughput than
 * readv() (docs/cxl-fwd.md, "Kernel backends"). Without io_uring: readv()
 * until EAGAIN.
 */
static uint16_t
tun_rx(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct tun_be *tb = be;
	struct tun_queue *t = &tb->tq[q];
	int niov = (int)(1 + tb->rd_segs);
	struct io_uring_cqe *cqe;
	int res[TUN_RD_SLOTS];
	unsigned int k, s;
	bool empty = false;
	uint16_t got = 0;

	if (!t->uring_rd) {
		struct tun_rd *r = &t->rd[0];
		ssize_t rr;

		while (got < n) {
			if (tun_refill(tb, r) != 0) {
				/* Frames stay in the kernel's queue (it drops
				 * them when that is full: tx-dropped there). */
				t->c.rx_nombuf++;
				break;
			}
			prep_iov(tb, r);
			rr = readv(t->fd, r->iov, niov);
			if (rr < 0) {
				if (errno != EAGAIN && errno != EINTR)
					t->c.rx_err++;
				break;
			}
			pkts[got] = take_frame(tb, t, r, rr);
			if (pkts[got] != NULL)
				got++;
		}
		return got;
	}
	k = RTE_MIN(RTE_MIN(t->rd_next, t->nslots), (unsigned int)n);
	for (s = 0; s < k; s++) {
		if (tun_refill(tb, &t->rd[s]) != 0) {
			t->c.rx_nombuf++;
			k = s;
			break;
		}
	}
	if (k == 0)
		return 0;
	for (s = 0; s < k; s++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);

		prep_iov(tb, &t->rd[s]);
		io_uring_prep_readv(sqe, t->fd, t->rd[s].iov, (unsigned int)niov, 0);
		sqe->rw_flags = RWF_NOWAIT;	/* -EAGAIN, never a poll-armed wait */
		io_uring_sqe_set_data(sqe, (void *)(uintptr_t)s);
		res[s] = -EAGAIN;
	}
	io_uring_submit_and_wait(&t->ring, k);
	for (s = 0; s < k; s++) {
		if (io_uring_wait_cqe(&t->ring, &cqe) != 0)
			break;
		res[(uintptr_t)io_uring_cqe_get_data(cqe)] = cqe->res;
		io_uring_cqe_seen(&t->ring, cqe);
	}
	/* Inline reads complete in submission order: slot order is the
	 * kernel's order. */
	for (s = 0; s < k; s++) {
		if (res[s] < 0) {
			if (res[s] == -EAGAIN)
				empty = true;
			else if (res[s] != -EINTR)
				rd_fallback(tb, t, q, res[s]);
			continue;
		}
		pkts[got] = take_frame(tb, t, &t->rd[s], res[s]);
		if (pkts[got] != NULL)
			got++;
		t->rd_proven = true;
	}
	t->rd_next = empty ? (unsigned int)got + 1 : RTE_MIN(2 * k, t->nslots);
	/* Until a ring read has found a frame, an empty batch is checked with
	 * readv(), in case a kernel answers every RWF_NOWAIT read on a tun fd
	 * with -EAGAIN (Linux 6.1 says EOPNOTSUPP, handled above). Three such
	 * finds, not one: a frame may just have arrived between the two. */
	if (got == 0 && !t->rd_proven && t->uring_rd) {
		struct tun_rd *r = &t->rd[0];
		ssize_t rr;

		prep_iov(tb, r);
		rr = readv(t->fd, r->iov, niov);
		if (rr >= 0) {
			if (++t->rd_misses >= 3)
				rd_fallback(tb, t, q, -EAGAIN);
			pkts[0] = take_frame(tb, t, r, rr);
			got = pkts[0] != NULL;
		}
	}
	return got;
}

/* Build w for m; returns 0, or -1 to drop (counted in st). */
static inline int
prep_write(const struct tun_be *tb, struct tun_queue *t, struct rte_mbuf *m, struct tun_wr *w,
	   struct dir_stats *st)
{
	struct rte_mbuf *s;
	unsigned int k = 1;

	memset(&w->vh, 0, sizeof(w->vh));
	w->hlen = 0;
	if (unlikely(m->nb_segs > TUN_MAX_SEGS)) {
		st->drop_bad++;
		return -1;
	}
	if (m->ol_flags & (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_MASK) &&
	    fwd_to_vnet(m, &w->vh, w->hbuf, &w->hlen, &tb->offl, &t->c.v) != 0) {
		t->c.tx_bad++;
		st->drop_bad++;
		return -1;
	}
	w->iov[0].iov_base = &w->vh;
	w->iov[0].iov_len = sizeof(w->vh);
	if (w->hlen != 0) {
		w->iov[k].iov_base = w->hbuf;
		w->iov[k++].iov_len = w->hlen;
	}
	for (s = m; s != NULL; s = s->next) {
		uint16_t skip = s == m ? w->hlen : 0;

		if (s->data_len <= skip)
			continue;
		w->iov[k].iov_base = rte_pktmbuf_mtod_offset(s, char *, skip);
		w->iov[k++].iov_len = s->data_len - skip;
	}
	w->niov = k;
	return 0;
}

/* Count one write's result (bytes >= 0, or -errno). */
static inline void
count_write(struct tun_queue *t, struct rte_mbuf *m, long res, struct dir_stats *st)
{
	if (res < 0) {
		t->c.tx_err++;
		if (res == -EIO)	/* interface down */
			st->drop_down++;
		else if (res == -EINVAL)	/* metadata refused */
			st->drop_bad++;
		else
			st->drop_full++;
		return;
	}
	st->pkts++;
	t->c.tx_pkts++;
	t->c.tx_bytes += m->pkt_len;
}

static void
tun_tx(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n, struct dir_stats *st)
{
	struct tun_be *tb = be;
	struct tun_queue *t = &tb->tq[q];
	uint16_t i;

	/* One io_uring_enter() for the burst: tun writes complete inline
	 * (they never wait), so all completions are there when it returns.
	 * More TCP throughput than one writev() per frame (docs/cxl-fwd.md,
	 * "Kernel backends"). */
	if (t->uring) {
		struct rte_mbuf *sent[MAX_BURST];
		struct io_uring_cqe *cqe;
		unsigned int ns = 0, j;

		for (i = 0; i < n; i++) {
			struct io_uring_sqe *sqe;
			struct tun_wr *w = &t->wr[ns];

			if (prep_write(tb, t, pkts[i], w, st) != 0)
				continue;
			sqe = io_uring_get_sqe(&t->ring);
			io_uring_prep_writev(sqe, t->fd, w->iov, w->niov, 0);
			io_uring_sqe_set_data(sqe, (void *)(uintptr_t)ns);
			sent[ns++] = pkts[i];
		}
		if (ns != 0) {
			io_uring_submit_and_wait(&t->ring, ns);
			for (j = 0; j < ns; j++) {
				if (io_uring_wait_cqe(&t->ring, &cqe) != 0)
					break;
				count_write(t, sent[(uintptr_t)io_uring_cqe_get_data(cqe)],
					    cqe->res, st);
				io_uring_cqe_seen(&t->ring, cqe);
			}
		}
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	for (i = 0; i < n; i++) {
		struct tun_wr *w = &t->wr[0];
		ssize_t r;

		if (prep_write(tb, t, pkts[i], w, st) != 0)
			continue;
		r = writev(t->fd, w->iov, (int)w->niov);
		count_write(t, pkts[i], r < 0 ? -errno : r, st);
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

/* ---- setup ---------------------------------------------------------------- */

static void
offl_names(unsigned int f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", f & TUN_F_CSUM ? " csum" : "",
		 f & TUN_F_TSO4 ? " tso4" : "", f & TUN_F_TSO6 ? " tso6" : "",
		 f & TUN_F_USO4 ? " uso4" : "", f & TUN_F_USO6 ? " uso6" : "");
	if (buf[0] == '\0')
		snprintf(buf, len, " none");
}

/* Ask the kernel for the offloads in want; a flag it refuses is dropped
 * (logged once) and the rest asked again. Returns what it took. */
static unsigned int
set_offloads(const char *iface, int fd, unsigned int want)
{
	/* Most optional first: USO (Linux >= 6.2), then TSO, then CSUM. */
	static const unsigned int drop_order[] = {
		TUN_F_USO4 | TUN_F_USO6, TUN_F_TSO6, TUN_F_TSO4, TUN_F_CSUM,
	};
	char names[64];
	unsigned int i = 0;

	while (ioctl(fd, TUNSETOFFLOAD, (unsigned long)want) != 0) {
		if (errno != EINVAL || want == 0)
			rte_exit(EXIT_FAILURE, "cxl-fwd: %s: TUNSETOFFLOAD 0x%x: %s\n",
				 iface, want, strerror(errno));
		while (i < RTE_DIM(drop_order) && !(want & drop_order[i]))
			i++;
		if (i == RTE_DIM(drop_order))
			want = 0;
		else {
			offl_names(drop_order[i], names, sizeof(names));
			printf("cxl-fwd: %s: the kernel refuses offload%s; going on without it\n",
			       iface, names);
			want &= ~drop_order[i];
			if (!(want & TUN_F_CSUM))
				want = 0;	/* TSO needs CSUM */
		}
	}
	return want;
}

static int
open_queue(const char *iface, unsigned int q)
{
	const int vnet_hdr_sz = TUN_VNET_HDR_SZ;
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: cannot open /dev/net/tun: %s (load the tun "
			 "module, or use --kernel tap)\n", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: TUNSETIFF (queue %u, multi-queue TAP with "
			 "virtio-net header): %s\n", iface, q, strerror(errno));
	if (ioctl(fd, TUNSETVNETHDRSZ, &vnet_hdr_sz) != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: TUNSETVNETHDRSZ %d: %s\n", iface,
			 vnet_hdr_sz, strerror(errno));
	return fd;
}

static void *
tun_open(const struct fwd_ctx *ctx, const struct rte_ether_addr *mac, uint64_t x_tx,
	 uint64_t x_rx)
{
	const struct fwd_opts *o = &ctx->opts;
	unsigned int want = 0, q, i;
	struct tun_queue *tq;
	struct tun_be *tb;
	char names[64];
	struct ifreq ifr;

	if (if_nametoindex(o->iface) != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: interface %s exists already (another cxl-fwd, "
			 "or a left-over device); choose another --iface or delete it with "
			 "'ip link del %s'\n", o->iface, o->iface);
	tb = rte_zmalloc("tun_be", sizeof(*tb), 0);
	if (tb == NULL)
		rte_exit(EXIT_FAILURE, "cxl-fwd: no memory for the kernel queues; raise EAL -m\n");
	tb->ctx = ctx;
	tq = tb->tq;
	tb->offl.tx = x_tx;
	/* Only what the transport can carry: a checksum-partial frame needs
	 * the TCP and UDP checksum offloads, a GSO frame TSO (USO). */
	if ((x_tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) && (x_tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
		want |= TUN_F_CSUM;
		if (x_tx & RTE_ETH_TX_OFFLOAD_TCP_TSO)
			want |= TUN_F_TSO4 | TUN_F_TSO6;
		if (x_tx & RTE_ETH_TX_OFFLOAD_UDP_TSO)
			want |= TUN_F_USO4 | TUN_F_USO6;
	}
	tb->room = fwd_data_room(o);
	tb->rd_cap = (want & (TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4)) ? GSO_MAX_FRAME :
		     fwd_frame_len(o);
	tb->rd_segs = (tb->rd_cap + tb->room - 1) / tb->room;
	if (tb->rd_segs > TUN_MAX_SEGS)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %u-byte frames in %u-byte mbufs take %u "
			 "segments, at most %u; raise --mbuf-size\n", tb->rd_cap, tb->room,
			 tb->rd_segs, TUN_MAX_SEGS);
	for (q = 0; q < o->queues; q++) {
		tq[q].fd = open_queue(o->iface, q);
		tq[q].wr = rte_zmalloc("tun_wr", sizeof(struct tun_wr) * MAX_BURST, 0);
		if (tq[q].wr == NULL)
			rte_exit(EXIT_FAILURE, "cxl-fwd: no memory for the kernel queues; raise EAL -m\n");
		if (o->uring) {
			int ret = io_uring_queue_init(MAX_BURST + TUN_RD_SLOTS, &tq[q].ring, 0);

			if (ret == 0)
				tq[q].uring = tq[q].uring_rd = true;
			else if (q == 0)
				printf("cxl-fwd: %s: io_uring unavailable (%s): one readv()/"
				       "writev() per frame\n", o->iface, strerror(-ret));
		}
		if (q == 0)
			tb->offl.tun = set_offloads(o->iface, tq[q].fd, want);
		tq[q].nslots = tq[q].uring ?
			RTE_MAX(1u, RTE_MIN((unsigned int)TUN_RD_SLOTS,
					    TUN_RD_MBUFS / tb->rd_segs)) : 1;
		tq[q].rd_next = 1;
		tq[q].rd = rte_zmalloc("tun_rd", sizeof(struct tun_rd) * tq[q].nslots, 0);
		if (tq[q].rd == NULL)
			rte_exit(EXIT_FAILURE, "cxl-fwd: no memory for the kernel queues; raise EAL -m\n");
		for (i = 0; i < tq[q].nslots; i++)
			if (tun_refill(tb, &tq[q].rd[i]) != 0)
				rte_exit(EXIT_FAILURE, "cxl-fwd: no mbufs for the kernel queues (%u per "
					 "queue); raise --mbufs or EAL -m\n",
					 tq[q].nslots * tb->rd_segs);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->iface);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	if (ioctl(tq[0].fd, SIOCSIFHWADDR, &ifr) != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: setting the MAC: %s\n", o->iface,
			 strerror(errno));
	offl_names(tb->offl.tun, names, sizeof(names));
	printf("cxl-fwd: %s: tun backend, %u queue(s), kernel offloads:%s (transport tx 0x%"
	       PRIx64 " rx 0x%" PRIx64 "), reads up to %u bytes into %u mbuf(s), %s\n",
	       o->iface, o->queues, names, x_tx, x_rx, tb->rd_cap, tb->rd_segs,
	       tq[0].uring ? "I/O in io_uring batches" : "one readv()/writev() per frame");
	return tb;
}

static int
tun_wait_fd(void *be, uint16_t q)
{
	struct tun_be *tb = be;

	return tb->tq[q].fd;
}

static int
tun_link_up(void *be)
{
	RTE_SET_USED(be);
	return 1;
}

static void
sum_ctr(const struct tun_be *tb, struct tun_ctr *s)
{
	unsigned int q;

	memset(s, 0, sizeof(*s));
	for (q = 0; q < tb->ctx->opts.queues; q++) {
		const struct tun_ctr *c = &tb->tq[q].c;

		s->rx_pkts += c->rx_pkts;
		s->rx_bytes += c->rx_bytes;
		s->v.rx_gso += c->v.rx_gso;
		s->v.rx_csum += c->v.rx_csum;
		s->rx_err += c->rx_err;
		s->rx_bad += c->rx_bad;
		s->rx_nombuf += c->rx_nombuf;
		s->tx_pkts += c->tx_pkts;
		s->tx_bytes += c->tx_bytes;
		s->v.tx_gso += c->v.tx_gso;
		s->v.tx_csum += c->v.tx_csum;
		s->tx_err += c->tx_err;
		s->tx_bad += c->tx_bad;
	}
}

static void
tun_print_stats(void *be, bool final, double dt)
{
	struct tun_be *tb = be;
	const char *iface = tb->ctx->opts.iface;
	const struct tun_ctr *last = &tb->last;
	struct tun_ctr s;

	sum_ctr(tb, &s);
	if (final) {
		printf("  %-12s rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
		       " pkts %" PRIu64 " bytes\n", iface, s.rx_pkts, s.rx_bytes,
		       s.tx_pkts, s.tx_bytes);
	} else {
		printf("  %-12s tun  rx %9.0f pkt/s %9.2f Mbit/s  tx %9.0f pkt/s %9.2f Mbit/s\n",
		       iface, (s.rx_pkts - last->rx_pkts) / dt,
		       (s.rx_bytes - last->rx_bytes) * 8.0 / dt / 1e6,
		       (s.tx_pkts - last->tx_pkts) / dt,
		       (s.tx_bytes - last->tx_bytes) * 8.0 / dt / 1e6);
	}
	printf("  %-12s offloads: rx gso %" PRIu64 " csum %" PRIu64 ", tx gso %" PRIu64
	       " csum %" PRIu64 "; drops: rx-errors %" PRIu64 " rx-bad-offload %" PRIu64
	       " rx-nombuf %" PRIu64 " tx-errors %" PRIu64 " tx-bad-offload %" PRIu64 "\n", "",
	       s.v.rx_gso, s.v.rx_csum, s.v.tx_gso, s.v.tx_csum, s.rx_err, s.rx_bad, s.rx_nombuf,
	       s.tx_err, s.tx_bad);
	tb->last = s;
}

static void
tun_close(void *be)
{
	struct tun_be *tb = be;
	struct tun_queue *tq = tb->tq;
	unsigned int q, i;

	for (q = 0; q < tb->ctx->opts.queues; q++) {
		for (i = 0; tq[q].rd != NULL && i < tq[q].nslots; i++)
			if (tq[q].rd[i].nspare != 0)
				rte_pktmbuf_free_bulk(tq[q].rd[i].spare, tq[q].rd[i].nspare);
		rte_free(tq[q].rd);
		tq[q].rd = NULL;
		if (tq[q].fd >= 0)
			close(tq[q].fd);
		tq[q].fd = -1;
		rte_free(tq[q].wr);
		tq[q].wr = NULL;
		if (tq[q].uring)
			io_uring_queue_exit(&tq[q].ring);
		tq[q].uring = tq[q].uring_rd = false;
	}
	rte_free(tb);
}

const struct fwd_kern_ops fwd_kern_tun = {
	.name = "tun",
	.open = tun_open,
	.rx = tun_rx,
	.tx = tun_tx,
	.wait_fd = tun_wait_fd,
	.link_up = tun_link_up,
	.print_stats = tun_print_stats,
	.close = tun_close,
};
