/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: bridges a cxlmem port (a CXL memory window shared with a peer) to a
 * kernel network interface, queue by queue, in both directions (see fwd.h for
 * the modules). This file: the options before EAL, EAL, the mbuf pool, which
 * lcore polls which queues, start and stop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setns, CLONE_NEWNET */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fwd.h"
#include "ports.h"

/* Set by SIGINT/SIGTERM; the loops read it through fwd_ctx.quit. */
static volatile bool force_quit;

/* Enter the network namespace given by --netns before any thread exists. */
static void
enter_netns(const char *ns)
{
	char path[256];
	int fd;

	if (strchr(ns, '/') != NULL)
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cxl-fwd: --netns: cannot open %s: %s (create it with 'ip netns add %s')\n",
			path, strerror(errno), ns);
		exit(EXIT_FAILURE);
	}
	if (setns(fd, CLONE_NEWNET) != 0) {
		fprintf(stderr, "cxl-fwd: --netns: setns(%s): %s (needs CAP_SYS_ADMIN)\n",
			path, strerror(errno));
		exit(EXIT_FAILURE);
	}
	close(fd);
}

static void
signal_handler(int sig)
{
	(void)sig;
	force_quit = true;
}

static void
assign_queues(struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = &ctx->opts;
	unsigned int lcores[RTE_MAX_LCORE];
	unsigned int n = 0, q, i;

	if (o->poll_lcores != NULL) {
		n = fwd_parse_lcore_list(o->poll_lcores, lcores, RTE_MAX_LCORE);
	} else {
		RTE_LCORE_FOREACH_WORKER(i)
			lcores[n++] = i;
		if (n == 0)
			lcores[n++] = rte_get_main_lcore();
	}
	for (q = 0; q < o->queues; q++) {
		struct lcore_conf *lc = &ctx->lconf[lcores[q % n]];

		lc->q[lc->nq++] = (uint16_t)q;
	}
	for (i = 0; i < n; i++) {
		const struct lcore_conf *lc = &ctx->lconf[lcores[i]];

		if (lc->nq == 0) {
			printf("cxl-fwd: lcore %u has no queue to poll (%u queue pair(s), %u lcores)\n",
			       lcores[i], o->queues, n);
			continue;
		}
		printf("cxl-fwd: lcore %u polls queue(s)", lcores[i]);
		for (q = 0; q < lc->nq; q++)
			printf(" %u", lc->q[q]);
		printf("\n");
	}
}

/* Mbufs: the transport's receive rings, the kernel side's standing reads
 * (tun: up to 256 mbufs a queue; TAP: a segment chain), bursts in flight
 * both ways, lcore caches. */
static unsigned int
pool_size(const struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = &ctx->opts;
	struct rte_eth_dev_info info;
	unsigned int big = fwd_frame_len(o);
	uint64_t n;

	if (o->nb_mbufs != 0)
		return o->nb_mbufs;
	if (o->kernel == FWD_KERN_TUN && o->offloads &&
	    rte_eth_dev_info_get(ctx->xport.id, &info) == 0 &&
	    ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) ||
	     (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_LRO)))
		big = GSO_MAX_FRAME;
	n = (uint64_t)o->queues * (o->rxd + o->txd + 256 + fwd_segs(o, big) + 1 +
				   8u * o->burst * fwd_segs(o, big)) +
	    rte_lcore_count() * MEMPOOL_CACHE + 1024;
	return (unsigned int)RTE_MAX(n, 4095u);
}

int
main(int argc, char **argv)
{
	struct fwd_ctx ctx;
	const struct fwd_opts *o = &ctx.opts;
	char **app_argv;
	int eal_argc = argc, app_argc, i, ret;
	unsigned int nb_mbufs, lcore;
	struct rte_ether_addr mac;

	memset(&ctx, 0, sizeof(ctx));
	fwd_opts_init(&ctx.opts);
	ctx.quit = &force_quit;
	/* Application options follow "--"; parse them before EAL so that
	 * --help and mistakes need no EAL, and --netns applies to all threads. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	}
	if (eal_argc == argc) {
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
				fwd_usage(argv[0]);
				printf("\nEAL options: see any DPDK application's --help, e.g. dpdk-testpmd --help\n");
				return 0;
			}
		}
		fprintf(stderr, "cxl-fwd: options missing: %s [EAL options] -- --cxl DEVARGS "
			"[options]\n(see cxl-fwd -- --help)\n", argv[0]);
		return EXIT_FAILURE;
	}
	app_argc = argc - eal_argc;
	app_argv = calloc(app_argc + 1, sizeof(char *));
	if (app_argv == NULL) {
		fprintf(stderr, "cxl-fwd: out of memory\n");
		return EXIT_FAILURE;
	}
	app_argv[0] = argv[0];
	for (i = 1; i < app_argc; i++)
		app_argv[i] = argv[eal_argc + i];
	fwd_parse_args(&ctx.opts, app_argc, app_argv);
	if (o->netns != NULL)
		enter_netns(o->netns);

	ret = rte_eal_init(eal_argc, argv);
	if (ret < 0) {
		fprintf(stderr, "cxl-fwd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	ctx.start_tsc = rte_get_timer_cycles();
	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);
	ctx.kern = o->kernel == FWD_KERN_TUN ? &fwd_kern_tun : &fwd_kern_tap;

	fwd_probe_port(&ctx, &ctx.xport, o->xport_devargs, "transport");
	nb_mbufs = pool_size(&ctx);
	ctx.pool = rte_pktmbuf_pool_create("cxlfwd_pool", nb_mbufs, MEMPOOL_CACHE, 0,
					   (uint16_t)o->mbuf_size, rte_socket_id());
	if (ctx.pool == NULL)
		rte_exit(EXIT_FAILURE, "cxl-fwd: cannot create a pool of %u mbufs of %u bytes "
			 "(%u MiB): %s; raise EAL -m or lower --mbufs/--rxd\n", nb_mbufs,
			 o->mbuf_size,
			 (unsigned int)((uint64_t)nb_mbufs * (o->mbuf_size + 192) >> 20),
			 rte_strerror(rte_errno));
	fwd_setup_xport(&ctx);
	if (o->mac_set)
		mac = o->mac;
	else
		fwd_default_mac(o, &mac);
	ctx.kern_be = ctx.kern->open(&ctx, &mac, ctx.xport.tx_offloads, ctx.xport.rx_offloads);
	fwd_configure_kernel_iface(&ctx);
	fwd_stats_init(&ctx);
	fwd_port_refresh_link(&ctx.xport);
	ctx.kern->link_up(ctx.kern_be);
	printf("cxl-fwd: bridging %s (port %u) <-> %s (%s backend), %u queue pair(s), MTU %u, "
	       "%u mbufs of %u bytes, %s polling\n", ctx.xport.name, ctx.xport.id, o->iface,
	       ctx.kern->name, o->queues, o->mtu, nb_mbufs, o->mbuf_size,
	       o->poll == FWD_POLL_BUSY ? "busy" : "adaptive");

	assign_queues(&ctx);
	fflush(stdout);
	rte_eal_mp_remote_launch(fwd_loop, &ctx, CALL_MAIN);
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_wait_lcore(lcore);

	printf("[%7.1fs] cxl-fwd: stopping\n", fwd_now_s(&ctx));
	fwd_drain(&ctx);
	ret = rte_eth_dev_stop(ctx.xport.id);
	if (ret != 0)
		printf("cxl-fwd: %s: stop: %s\n", ctx.xport.label, rte_strerror(-ret));
	fwd_print_stats(&ctx, true);
	ctx.kern->close(ctx.kern_be);
	fwd_close_port(&ctx.xport);
	rte_mempool_free(ctx.pool);
	rte_eal_cleanup();
	free(app_argv);
	printf("cxl-fwd: done\n");
	return 0;
}
