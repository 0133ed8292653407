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
 * This file: opening the queues, the offloads negotiated with the kernel,
 * the counters, closing. The reads and writes are in tun_io.c, the header
 * translation in vnet_hdr.c.
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
#include <liburing.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fwd.h"
#include "tun.h"
#include "vnet_hdr.h"

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
