/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd kernel backend "tap": DPDK's net_tap (one read or write syscall per
 * frame, no offloads), or any other kernel-facing vdev given with
 * --kernel-devargs (e.g. virtio_user on /dev/vhost-net).
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_interrupts.h>

#include "fwd.h"
#include "ports.h"

static struct port_info tap;
static int wait_fds[MAX_QUEUES];

static bool
is_net_tap(void)
{
	return strncmp(tap.name, "net_tap", 7) == 0;
}

static void
tap_open(const struct rte_ether_addr *mac, uint64_t x_tx, uint64_t x_rx)
{
	struct fwd_port_cfg cfg = { .max_frame = fwd_frame_len() };
	char macstr[RTE_ETHER_ADDR_FMT_SIZE];
	char args[128];
	unsigned int q;

	RTE_SET_USED(x_tx);
	RTE_SET_USED(x_rx);
	if (opts.kern_devargs != NULL) {
		fwd_probe_port(&tap, opts.kern_devargs, "kernel side");
	} else {
		rte_ether_format_addr(macstr, sizeof(macstr), mac);
		snprintf(args, sizeof(args), TAP_DEV_NAME ",iface=%s,mac=%s", opts.iface, macstr);
		fwd_probe_port(&tap, args, "kernel side");
	}
	tap.label = opts.iface;
	cfg.is_tap = is_net_tap();
	/* net_tap's rx queue interrupts are its queue fds: adaptive polling
	 * waits on them. Other vdevs are polled on the timeout only. */
	cfg.rx_intr = cfg.is_tap && opts.poll == FWD_POLL_ADAPTIVE;
	fwd_setup_port(&tap, &cfg);
	for (q = 0; q < opts.queues; q++) {
		wait_fds[q] = -1;
		if (!cfg.rx_intr)
			continue;
		/* Level-triggered readiness of the queue fd; the interrupt
		 * need not be armed (rte_eth_dev_rx_intr_enable) for that. */
		wait_fds[q] = rte_eth_dev_rx_intr_ctl_q_get_fd(tap.id, (uint16_t)q);
		if (wait_fds[q] < 0 && q == 0)
			printf("cxl-fwd: %s: no rx queue fd to wait on; adaptive polling "
			       "wakes on its timeout only\n", opts.iface);
	}
}

static uint16_t
tap_rx(uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(tap.id, q, pkts, n);
}

static void
tap_tx(uint16_t q, struct rte_mbuf **pkts, uint16_t n, struct dir_stats *st)
{
	fwd_send_ethdev(tap.id, q, pkts, n, &tap.link_up, st);
}

static int
tap_wait_fd(uint16_t q)
{
	return wait_fds[q];
}

static int
tap_link_up(void)
{
	fwd_port_refresh_link(&tap);
	return tap.link_up;
}

static void
tap_print_stats(bool final, double dt)
{
	fwd_print_port_stats(&tap, final, dt);
}

static void
tap_close(void)
{
	int ret = rte_eth_dev_stop(tap.id);

	if (ret != 0)
		printf("cxl-fwd: %s: stop: %s\n", tap.label, rte_strerror(-ret));
	fwd_close_port(&tap);
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
