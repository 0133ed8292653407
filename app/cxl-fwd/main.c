/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: bridges a cxlmem port (a CXL memory window shared with a peer) to a
 * kernel network interface, queue by queue, in both directions (see fwd.h for
 * the modules). This file: EAL, the mbuf pool, the poll loops, drain and
 * cleanup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setns, CLONE_NEWNET, epoll_pwait2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fwd.h"
#include "poll.h"
#include "ports.h"

/* Timer slack of the polling threads (ns): an idle wait ends on time. */
#define TIMER_SLACK_NS 1000

struct fwd_opts opts = {
	.iface = "cxl0",
	.kernel = FWD_KERN_TUN,
	.offloads = true,
	.uring = true,
	.mtu = 1500,
	.queues = 1,
	.burst = 32,
	.poll = FWD_POLL_ADAPTIVE,
	.grace_us = 200,
	.grace_max_us = 20000,
	.poll_yield = true,
	.idle_us = 50,
	.deep_us = 1000,
	.deep_ms = 100,
	.stats_sec = 1,
	.mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE,
	.rxd = 1024,
	.txd = 1024,
};

struct port_info xport;
const struct fwd_kern_ops *kern;
struct rte_mempool *pool;
struct lcore_conf lconf[RTE_MAX_LCORE];
struct dir_stats stats[MAX_QUEUES][2];
unsigned int kern_ifindex;
uint64_t start_tsc;
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

void
fwd_send_ethdev(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
		volatile int *link_up, struct dir_stats *st)
{
	uint16_t sent;
	unsigned int tries = 0;

	sent = rte_eth_tx_burst(port, q, pkts, n);
	while (sent < n && tries++ < TX_RETRIES && *link_up) {
		rte_pause();
		sent += rte_eth_tx_burst(port, q, pkts + sent, n - sent);
	}
	st->pkts += sent;
	if (sent < n) {
		if (*link_up)
			st->drop_full += n - sent;
		else
			st->drop_down += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

static inline uint64_t
sum_bytes(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t j;

	for (j = 0; j < n; j++)
		bytes += pkts[j]->pkt_len;
	return bytes;
}

/* Frames read from the kernel that the transport did not take yet (its
 * ring was full): sent first in the next round, and the kernel side is not
 * read meanwhile, so that a full window pushes back instead of dropping. */
struct pending {
	uint16_t n, off;
	struct rte_mbuf *pkts[MAX_BURST];
} __rte_cache_aligned;
static struct pending pend[MAX_QUEUES];

/* Send what is pending on q; true when nothing is left. */
static inline bool
flush_pending(uint16_t q, struct dir_stats *st)
{
	struct pending *p = &pend[q];
	uint16_t sent;

	if (p->n == 0)
		return true;
	sent = rte_eth_tx_burst(xport.id, q, p->pkts + p->off, p->n);
	st->pkts += sent;
	p->off += sent;
	p->n -= sent;
	if (p->n != 0 && !xport.link_up) {
		st->drop_down += p->n;
		rte_pktmbuf_free_bulk(p->pkts + p->off, p->n);
		p->n = 0;
	}
	if (p->n == 0)
		p->off = 0;
	return p->n == 0;
}

/* One poll round over the queues of this lcore; returns packets moved. The
 * kernel side is read until it has nothing (or 4 bursts), so that a queue
 * fd is empty before the lcore may wait on it. */
static inline unsigned int
poll_round(const struct lcore_conf *lc, struct rte_mbuf **pkts)
{
	unsigned int i, k, total = 0;
	uint16_t n, sent;

	for (i = 0; i < lc->nq; i++) {
		uint16_t q = lc->q[i];
		struct pending *p = &pend[q];

		n = rte_eth_rx_burst(xport.id, q, pkts, opts.burst);
		if (n != 0) {
			stats[q][0].bytes += sum_bytes(pkts, n);
			kern->tx(q, pkts, n, &stats[q][0]);
			total += n;
		}
		for (k = 0; k < 4 && flush_pending(q, &stats[q][1]); k++) {
			n = kern->rx(q, p->pkts, opts.burst);
			if (n == 0)
				break;
			stats[q][1].bytes += sum_bytes(p->pkts, n);
			total += n;
			sent = rte_eth_tx_burst(xport.id, q, p->pkts, n);
			stats[q][1].pkts += sent;
			p->off = sent;
			p->n = n - sent;
			if (n < opts.burst)
				break;
		}
		if (p->n != 0)
			total++;	/* keep polling: the window drains soon */
	}
	return total;
}

/* Longest wait on the window's doorbell (ms): a safety net only. */
#define ARMED_WAIT_MS 100

/* epoll data of a transport queue's doorbell (else: a kernel queue). */
#define EV_XPORT 0x10000u

/* The epoll set of an lcore: the kernel side's queue fds it polls and, with
 * Rx interrupts, the transport's (its doorbells); lc->xport_intr says
 * whether the latter are all there. */
static int
make_epoll(struct lcore_conf *lc)
{
	struct epoll_event ev;
	unsigned int i;
	int ep, fd;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: epoll_create1: %s\n", strerror(errno));
	for (i = 0; i < lc->nq; i++) {
		fd = kern->wait_fd(lc->q[i]);
		if (fd < 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = lc->q[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			rte_exit(EXIT_FAILURE, "cxl-fwd: epoll_ctl(queue %u): %s\n", lc->q[i],
				 strerror(errno));
	}
	lc->xport_intr = xport.rx_intr;
	for (i = 0; lc->xport_intr && i < lc->nq; i++) {
		fd = rte_eth_dev_rx_intr_ctl_q_get_fd(xport.id, lc->q[i]);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = EV_XPORT | lc->q[i];
		if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			printf("cxl-fwd: %s queue %u: no Rx interrupt fd; polling its window every "
			       "--idle-sleep\n", xport.label, lc->q[i]);
			lc->xport_intr = false;
		}
	}
	return ep;
}

/* Arm (on) or disarm the transport's Rx interrupts of lc's queues; true
 * when every queue is armed (the peer will ring). */
static bool
xport_intr_arm(const struct lcore_conf *lc, bool on)
{
	bool all = true;
	unsigned int i;

	for (i = 0; i < lc->nq; i++) {
		if (on)
			all &= rte_eth_dev_rx_intr_enable(xport.id, lc->q[i]) == 0;
		else
			rte_eth_dev_rx_intr_disable(xport.id, lc->q[i]);
	}
	return all;
}

/*
 * Busy: poll rounds back to back. Adaptive: the same while frames move and
 * for a grace after the last one (yielding the CPU between empty rounds
 * with --poll-yield on), from --poll-grace to --poll-grace-max as the gaps
 * between frames say (poll.h); then wait in epoll_pwait2() on the
 * kernel queues (a frame from the kernel ends the wait at once) for at most
 * --idle-sleep, so that the window is looked at that often. Once idle for
 * --deep-after: with Rx interrupts on the transport (net_cxlmem's
 * doorbell), wait on its doorbells too (a frame from the peer ends the
 * wait at once) for up to ARMED_WAIT_MS; without them, --deep-sleep.
 */
static int
fwd_loop(void *arg)
{
	unsigned int lcore = rte_lcore_id();
	struct lcore_conf *lc = &lconf[lcore];
	bool is_main = lcore == rte_get_main_lcore();
	struct rte_mbuf *pkts[MAX_BURST];
	struct epoll_event evs[2 * MAX_QUEUES];
	uint64_t hz = rte_get_timer_hz();
	uint64_t stats_cycles = (uint64_t)opts.stats_sec * hz;
	uint64_t grace_base = (uint64_t)opts.grace_us * hz / 1000000;
	uint64_t grace_max = (uint64_t)opts.grace_max_us * hz / 1000000;
	uint64_t grace = grace_base;
	uint64_t deep_after = (uint64_t)opts.deep_ms * hz / 1000;
	uint64_t now, last_busy, next_stats;
	struct timespec ts_idle = { 0, (long)opts.idle_us * 1000 };
	struct timespec ts_deep = { 0, (long)opts.deep_us * 1000 };
	const struct timespec ts_armed = { 0, ARMED_WAIT_MS * 1000000L };
	int ep = -1, n, i;
	bool armed, deep;

	RTE_SET_USED(arg);
	if (lc->nq == 0 && !is_main)
		return 0;
	if (opts.idle_us >= 1000000)
		ts_idle = (struct timespec){ 1, 0 };
	if (opts.deep_us >= 1000000)
		ts_deep = (struct timespec){ 1, 0 };
	prctl(PR_SET_TIMERSLACK, TIMER_SLACK_NS, 0, 0, 0);
	if (lc->nq != 0) {
		lc->polls = true;
		fwd_lcore_cpu_register(lcore);
		if (opts.poll == FWD_POLL_ADAPTIVE)
			ep = make_epoll(lc);
	}
	lc->grace_us = lc->grace_top_us = opts.grace_us;
	now = last_busy = rte_get_timer_cycles();
	next_stats = now + stats_cycles;
	while (!force_quit) {
		unsigned int moved = lc->nq ? poll_round(lc, pkts) : 0;

		now = rte_get_timer_cycles();
		if (is_main && stats_cycles != 0 && now >= next_stats) {
			fwd_refresh_link();
			kern->link_up();
			fwd_print_stats(false);
			next_stats = now + stats_cycles;
		}
		if (lc->nq == 0) {
			usleep(100 * 1000);
			continue;
		}
		if (moved != 0) {
			/* The grace follows the gaps between frames (poll.h). */
			uint64_t g = fwd_grace_next(grace, now - last_busy, grace_base, grace_max);

			if (g != grace) {
				grace = g;
				lc->grace_us = (uint32_t)(grace * 1000000 / hz);
				if (lc->grace_us > lc->grace_top_us)
					lc->grace_top_us = lc->grace_us;
			}
			last_busy = now;
			continue;
		}
		if (opts.poll == FWD_POLL_BUSY) {
			rte_pause();
			continue;
		}
		if (now - last_busy < grace) {
			/* Poll on, but let whatever else is runnable on this
			 * CPU go first: on a small machine that is the
			 * application the frames are for (redis-server, a
			 * client, iperf3) or the kernel's softirq thread. With
			 * nothing else runnable the yield returns at once
			 * (docs/cxl-fwd.md, "Polling"). */
			if (opts.poll_yield) {
				sched_yield();
				lc->yields++;
			} else {
				rte_pause();
			}
			continue;
		}
		/* Once idle for --deep-after, the window's doorbell wakes us;
		 * until then a short poll of the window answers as fast and
		 * keeps this vCPU from a deep idle, which on a VM is slow to
		 * leave (docs/cxl-fwd.md, "Polling"). */
		deep = now - last_busy >= deep_after;
		armed = deep && lc->xport_intr && xport_intr_arm(lc, true);
		n = epoll_pwait2(ep, evs, 2 * MAX_QUEUES,
				 armed ? &ts_armed : deep ? &ts_deep : &ts_idle, NULL);
		if (deep && lc->xport_intr)
			xport_intr_arm(lc, false);
		lc->sleeps++;
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 & EV_XPORT)
				lc->wakeups_xport++;
			else
				lc->wakeups_kern++;
		}
	}
	if (ep >= 0)
		close(ep);
	return 0;
}

static void
assign_queues(void)
{
	unsigned int lcores[RTE_MAX_LCORE];
	unsigned int n = 0, q, i;

	if (opts.poll_lcores != NULL) {
		n = fwd_parse_lcore_list(opts.poll_lcores, lcores, RTE_MAX_LCORE);
	} else {
		RTE_LCORE_FOREACH_WORKER(i)
			lcores[n++] = i;
		if (n == 0)
			lcores[n++] = rte_get_main_lcore();
	}
	for (q = 0; q < opts.queues; q++) {
		struct lcore_conf *lc = &lconf[lcores[q % n]];

		lc->q[lc->nq++] = (uint16_t)q;
	}
	for (i = 0; i < n; i++) {
		if (lconf[lcores[i]].nq == 0) {
			printf("cxl-fwd: lcore %u has no queue to poll (%u queue pair(s), %u lcores)\n",
			       lcores[i], opts.queues, n);
			continue;
		}
		printf("cxl-fwd: lcore %u polls queue(s)", lcores[i]);
		for (q = 0; q < lconf[lcores[i]].nq; q++)
			printf(" %u", lconf[lcores[i]].q[q]);
		printf("\n");
	}
}

/* After the poll loops ended: forward what is still queued, bounded in time. */
static void
drain(void)
{
	struct lcore_conf all = { .nq = 0 };
	struct rte_mbuf *pkts[MAX_BURST];
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * DRAIN_MS / 1000;
	unsigned int q;

	for (q = 0; q < opts.queues; q++)
		all.q[all.nq++] = (uint16_t)q;
	while (rte_get_timer_cycles() < deadline)
		if (poll_round(&all, pkts) == 0)
			break;
	for (q = 0; q < opts.queues; q++) {
		if (pend[q].n == 0)
			continue;
		stats[q][1].drop_full += pend[q].n;
		rte_pktmbuf_free_bulk(pend[q].pkts + pend[q].off, pend[q].n);
		pend[q].n = 0;
	}
}

/* Mbufs: the transport's receive rings, the kernel side's standing reads
 * (tun: up to 256 mbufs a queue; TAP: a segment chain), bursts in flight
 * both ways, lcore caches. */
static unsigned int
pool_size(void)
{
	struct rte_eth_dev_info info;
	unsigned int big = fwd_frame_len();
	uint64_t n;

	if (opts.nb_mbufs != 0)
		return opts.nb_mbufs;
	if (opts.kernel == FWD_KERN_TUN && opts.offloads &&
	    rte_eth_dev_info_get(xport.id, &info) == 0 &&
	    ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) ||
	     (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_LRO)))
		big = GSO_MAX_FRAME;
	n = (uint64_t)opts.queues * (opts.rxd + opts.txd + 256 + fwd_segs(big) + 1 +
				     8u * opts.burst * fwd_segs(big)) +
	    rte_lcore_count() * MEMPOOL_CACHE + 1024;
	return (unsigned int)RTE_MAX(n, 4095u);
}

int
main(int argc, char **argv)
{
	char **app_argv;
	int eal_argc = argc, app_argc, i, ret;
	unsigned int nb_mbufs, lcore;
	struct rte_ether_addr mac;

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
	fwd_parse_args(app_argc, app_argv);
	if (opts.netns != NULL)
		enter_netns(opts.netns);

	ret = rte_eal_init(eal_argc, argv);
	if (ret < 0) {
		fprintf(stderr, "cxl-fwd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	start_tsc = rte_get_timer_cycles();
	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);
	kern = opts.kernel == FWD_KERN_TUN ? &fwd_kern_tun : &fwd_kern_tap;

	fwd_probe_port(&xport, opts.xport_devargs, "transport");
	nb_mbufs = pool_size();
	pool = rte_pktmbuf_pool_create("cxlfwd_pool", nb_mbufs, MEMPOOL_CACHE, 0,
				       (uint16_t)opts.mbuf_size, rte_socket_id());
	if (pool == NULL)
		rte_exit(EXIT_FAILURE, "cxl-fwd: cannot create a pool of %u mbufs of %u bytes "
			 "(%u MiB): %s; raise EAL -m or lower --mbufs/--rxd\n", nb_mbufs,
			 opts.mbuf_size,
			 (unsigned int)((uint64_t)nb_mbufs * (opts.mbuf_size + 192) >> 20),
			 rte_strerror(rte_errno));
	fwd_setup_xport();
	if (opts.mac_set)
		mac = opts.mac;
	else
		fwd_default_mac(&mac);
	kern->open(&mac, xport.tx_offloads, xport.rx_offloads);
	fwd_configure_kernel_iface();
	fwd_stats_init();
	fwd_refresh_link();
	kern->link_up();
	printf("cxl-fwd: bridging %s (port %u) <-> %s (%s backend), %u queue pair(s), MTU %u, "
	       "%u mbufs of %u bytes, %s polling\n", xport.name, xport.id, opts.iface,
	       kern->name, opts.queues, opts.mtu, nb_mbufs, opts.mbuf_size,
	       opts.poll == FWD_POLL_BUSY ? "busy" : "adaptive");

	assign_queues();
	fflush(stdout);
	rte_eal_mp_remote_launch(fwd_loop, NULL, CALL_MAIN);
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_wait_lcore(lcore);

	printf("[%7.1fs] cxl-fwd: stopping\n", fwd_now_s());
	drain();
	ret = rte_eth_dev_stop(xport.id);
	if (ret != 0)
		printf("cxl-fwd: %s: stop: %s\n", xport.label, rte_strerror(-ret));
	fwd_print_stats(true);
	kern->close();
	fwd_close_port(&xport);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	free(app_argv);
	printf("cxl-fwd: done\n");
	return 0;
}
