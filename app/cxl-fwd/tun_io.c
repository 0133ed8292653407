/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd kernel backend "tun": the reads and writes of its queues (tun.h;
 * kern_tun.c opens them).
 *
 * Kernel -> window: reads of one frame each into a standing chain of pool
 * mbufs (the vnet header beside it), until EAGAIN or a burst is full: with
 * --uring on (the default) a batch of reads in one io_uring submission,
 * else one readv() each.
 * Window -> kernel: the vnet header, then the mbuf segments in place, as one
 * writev() each or a burst of them in one io_uring submission (liburing,
 * --uring on, the default): no copy in user space (the segments may sit in
 * the CXL window with a zero-copy receive path). Headers that need a fix
 * (checksum seed, IPv4 header checksum) are patched in a private copy
 * (vnet_hdr.c), never in the mbuf, so that nothing is written into a buffer
 * that may be window memory.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <liburing.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "fwd.h"
#include "tun.h"
#include "vnet_hdr.h"

int
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
uint16_t
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

void
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
