/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd kernel backend "tap": DPDK's net_tap (one read or write syscall per
 * frame, no offloads), or any other kernel-facing vdev given with
 * --kernel-devargs (e.g. virtio_user on /dev/vhost-net).
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_malloc.h>

#include "fwd.h"
#include "ports.h"

struct tap_be {
	struct port_info port;
	int wait_fds[MAX_QUEUES];
};

static void *
tap_open(const struct fwd_ctx *ctx, const struct rte_ether_addr *mac, uint64_t x_tx,
	 uint64_t x_rx)
{
	const struct fwd_opts *o = &ctx->opts;
	struct fwd_port_cfg cfg = { .max_frame = fwd_frame_len(o) };
	char macstr[RTE_ETHER_ADDR_FMT_SIZE];
	char args[128];
	struct tap_be *tb;
	unsigned int q;

	RTE_SET_USED(x_tx);
	RTE_SET_USED(x_rx);
	tb = rte_zmalloc("tap_be", sizeof(*tb), 0);
	if (tb == NULL)
		rte_exit(EXIT_FAILURE, "cxl-fwd: no memory for the kernel side; raise EAL -m\n");
	if (o->kern_devargs != NULL) {
		fwd_probe_port(ctx, &tb->port, o->kern_devargs, "kernel side");
	} else {
		rte_ether_format_addr(macstr, sizeof(macstr), mac);
		snprintf(args, sizeof(args), TAP_DEV_NAME ",iface=%s,mac=%s", o->iface, macstr);
		fwd_probe_port(ctx, &tb->port, args, "kernel side");
	}
	tb->port.label = o->iface;
	cfg.is_tap = strncmp(tb->port.name, "net_tap", 7) == 0;
	/* net_tap's rx queue interrupts are its queue fds: adaptive polling
	 * waits on them. Other vdevs are polled on the timeout only. */
	cfg.rx_intr = cfg.is_tap && o->poll == FWD_POLL_ADAPTIVE;
	fwd_setup_port(ctx, &tb->port, &cfg);
	for (q = 0; q < o->queues; q++) {
		tb->wait_fds[q] = -1;
		if (!cfg.rx_intr)
			continue;
		/* Level-triggered readiness of the queue fd; the interrupt
		 * need not be armed (rte_eth_dev_rx_intr_enable) for that. */
		tb->wait_fds[q] = rte_eth_dev_rx_intr_ctl_q_get_fd(tb->port.id, (uint16_t)q);
		if (tb->wait_fds[q] < 0 && q == 0)
			printf("cxl-fwd: %s: no rx queue fd to wait on; adaptive polling "
			       "wakes on its timeout only\n", o->iface);
	}
	return tb;
}

static uint16_t
tap_rx(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct tap_be *tb = be;

	return rte_eth_rx_burst(tb->port.id, q, pkts, n);
}

/* rte_eth_tx_burst() with retries while the link is up; frees and counts
 * what is left. */
static void
tap_tx(void *be, uint16_t q, struct rte_mbuf **pkts, uint16_t n, struct dir_stats *st)
{
	struct tap_be *tb = be;
	uint16_t port = tb->port.id;
	uint16_t sent;
	unsigned int tries = 0;

	sent = rte_eth_tx_burst(port, q, pkts, n);
	while (sent < n && tries++ < TX_RETRIES && tb->port.link_up) {
		rte_pause();
		sent += rte_eth_tx_burst(port, q, pkts + sent, n - sent);
	}
	st->pkts += sent;
	if (sent < n) {
		if (tb->port.link_up)
			st->drop_full += n - sent;
		else
			st->drop_down += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

static int
tap_wait_fd(void *be, uint16_t q)
{
	struct tap_be *tb = be;

	return tb->wait_fds[q];
}

static int
tap_link_up(void *be)
{
	struct tap_be *tb = be;

	fwd_port_refresh_link(&tb->port);
	return tb->port.link_up;
}

static void
tap_print_stats(void *be, bool final, double dt)
{
	struct tap_be *tb = be;

	fwd_print_port_stats(&tb->port, final, dt);
}

static void
tap_close(void *be)
{
	struct tap_be *tb = be;
	int ret = rte_eth_dev_stop(tb->port.id);

	if (ret != 0)
		printf("cxl-fwd: %s: stop: %s\n", tb->port.label, rte_strerror(-ret));
	fwd_close_port(&tb->port);
	rte_free(tb);
}

const struct fwd_kern_ops fwd_kern_tap = {
	.name = "tap",
	.open = tap_open,
	.rx = tap_rx,
	.tx = tap_tx,
	.wait_fd = tap_wait_fd,
	.link_up = tap_link_up,
	.print_stats = tap_print_stats,
	.close = tap_close,
};
