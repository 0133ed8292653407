/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: the poll loops that move frames between the transport's queues
 * and the kernel backend's, one lcore each over the queues it owns (busy or
 * adaptive polling), and the drain once they have ended.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* epoll_pwait2 */
#endif
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fwd.h"
#include "poll.h"
#include "ports.h"

/* Timer slack of the polling threads (ns): an idle wait ends on time. */
#define TIMER_SLACK_NS 1000

static inline uint64_t
sum_bytes(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t j;

	for (j = 0; j < n; j++)
		bytes += pkts[j]->pkt_len;
	return bytes;
}

/* Send what is pending on q; true when nothing is left. */
static inline bool
flush_pending(struct fwd_ctx *ctx, uint16_t q, struct dir_stats *st)
{
	struct fwd_pending *p = &ctx->pend[q];
	uint16_t sent;

	if (p->n == 0)
		return true;
	sent = rte_eth_tx_burst(ctx->xport.id, q, p->pkts + p->off, p->n);
	st->pkts += sent;
	p->off += sent;
	p->n -= sent;
	if (p->n != 0 && !ctx->xport.link_up) {
		st->drop_down += p->n;
		rte_pktmbuf_free_bulk(p->pkts + p->off, p->n);
		p->n = 0;
	}
	if (p->n == 0)
		p->off = 0;
	return p->n == 0;
}

/* One poll round over the queues of lc; returns packets moved. The
 * kernel side is read until it has nothing (or 4 bursts), so that a queue
 * fd is empty before the lcore may wait on it. */
static inline unsigned int
poll_round(struct fwd_ctx *ctx, const struct lcore_conf *lc, struct rte_mbuf **pkts)
{
	const struct fwd_kern_ops *kern = ctx->kern;
	void *be = ctx->kern_be;
	uint16_t xid = ctx->xport.id, burst = (uint16_t)ctx->opts.burst;
	unsigned int i, k, total = 0;
	uint16_t n, sent;

	for (i = 0; i < lc->nq; i++) {
		uint16_t q = lc->q[i];
		struct fwd_pending *p = &ctx->pend[q];
		struct dir_stats *to_kern = &ctx->stats[q][0], *from_kern = &ctx->stats[q][1];

		n = rte_eth_rx_burst(xid, q, pkts, burst);
		if (n != 0) {
			to_kern->bytes += sum_bytes(pkts, n);
			kern->tx(be, q, pkts, n, to_kern);
			total += n;
		}
		for (k = 0; k < 4 && flush_pending(ctx, q, from_kern); k++) {
			n = kern->rx(be, q, p->pkts, burst);
			if (n == 0)
				break;
			from_kern->bytes += sum_bytes(p->pkts, n);
			total += n;
			sent = rte_eth_tx_burst(xid, q, p->pkts, n);
			from_kern->pkts += sent;
			p->off = sent;
			p->n = n - sent;
			if (n < burst)
				break;
		}
		if (p->n != 0)
			total++;	/* keep polling: the window drains soon */
	}
	return total;
}

/*
 * Longest wait on the window's doorbell (ms): a safety net, and the pace
 * of this end's proof of life while it sleeps: each wake disarms and the
 * next wait re-arms (a new request on the ring's consumer line, which the
 * peer counts as life when our control thread is late), so it stays below
 * net_cxlmem's default link_timeout (80 ms).
 */
#define ARMED_WAIT_MS 40

/* epoll data of a transport queue's doorbell (else: a kernel queue). */
#define EV_XPORT 0x10000u

/* The epoll set of an lcore: the kernel side's queue fds it polls and, with
 * Rx interrupts, the transport's (its doorbells); lc->xport_intr says
 * whether the latter are all there. */
static int
make_epoll(const struct fwd_ctx *ctx, struct lcore_conf *lc)
{
	struct epoll_event ev;
	unsigned int i;
	int ep, fd;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: epoll_create1: %s\n", strerror(errno));
	for (i = 0; i < lc->nq; i++) {
		fd = ctx->kern->wait_fd(ctx->kern_be, lc->q[i]);
		if (fd < 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = lc->q[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			rte_exit(EXIT_FAILURE, "cxl-fwd: epoll_ctl(queue %u): %s\n", lc->q[i],
				 strerror(errno));
	}
	lc->xport_intr = ctx->xport.rx_intr;
	for (i = 0; lc->xport_intr && i < lc->nq; i++) {
		fd = rte_eth_dev_rx_intr_ctl_q_get_fd(ctx->xport.id, lc->q[i]);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = EV_XPORT | lc->q[i];
		if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			printf("cxl-fwd: %s queue %u: no Rx interrupt fd; polling its window every "
			       "--idle-sleep\n", ctx->xport.label, lc->q[i]);
			lc->xport_intr = false;
		}
	}
	return ep;
}

/* Arm (on) or disarm the transport's Rx interrupts of lc's queues; true
 * when every queue is armed (the peer will ring). */
static bool
xport_intr_arm(uint16_t xid, const struct lcore_conf *lc, bool on)
{
	bool all = true;
	unsigned int i;

	for (i = 0; i < lc->nq; i++) {
		if (on)
			all &= rte_eth_dev_rx_intr_enable(xid, lc->q[i]) == 0;
		else
			rte_eth_dev_rx_intr_disable(xid, lc->q[i]);
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
 * The main lcore also prints the --stats lines.
 */
int
fwd_loop(void *arg)
{
	struct fwd_ctx *ctx = arg;
	const struct fwd_opts *o = &ctx->opts;
	unsigned int lcore = rte_lcore_id();
	struct lcore_conf *lc = &ctx->lconf[lcore];
	bool is_main = lcore == rte_get_main_lcore();
	struct rte_mbuf *pkts[MAX_BURST];
	struct epoll_event evs[2 * MAX_QUEUES];
	uint64_t hz = rte_get_timer_hz();
	uint64_t stats_cycles = (uint64_t)o->stats_sec * hz;
	uint64_t grace_base = (uint64_t)o->grace_us * hz / 1000000;
	uint64_t grace_max = (uint64_t)o->grace_max_us * hz / 1000000;
	uint64_t grace = grace_base;
	uint64_t deep_after = (uint64_t)o->deep_ms * hz / 1000;
	uint64_t now, last_busy, next_stats;
	struct timespec ts_idle = { 0, (long)o->idle_us * 1000 };
	struct timespec ts_deep = { 0, (long)o->deep_us * 1000 };
	const struct timespec ts_armed = { 0, ARMED_WAIT_MS * 1000000L };
	int ep = -1, n, i;
	bool armed, deep;

	if (lc->nq == 0 && !is_main)
		return 0;
	if (o->idle_us >= 1000000)
		ts_idle = (struct timespec){ 1, 0 };
	if (o->deep_us >= 1000000)
		ts_deep = (struct timespec){ 1, 0 };
	prctl(PR_SET_TIMERSLACK, TIMER_SLACK_NS, 0, 0, 0);
	if (lc->nq != 0) {
		lc->polls = true;
		fwd_lcore_cpu_register(lc);
		if (o->poll == FWD_POLL_ADAPTIVE)
			ep = make_epoll(ctx, lc);
	}
	lc->grace_us = lc->grace_top_us = o->grace_us;
	now = last_busy = rte_get_timer_cycles();
	next_stats = now + stats_cycles;
	while (!*ctx->quit) {
		unsigned int moved = lc->nq ? poll_round(ctx, lc, pkts) : 0;

		now = rte_get_timer_cycles();
		if (is_main && stats_cycles != 0 && now >= next_stats) {
			fwd_port_refresh_link(&ctx->xport);
			ctx->kern->link_up(ctx->kern_be);
			fwd_print_stats(ctx, false);
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
		if (o->poll == FWD_POLL_BUSY) {
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
			if (o->poll_yield) {
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
		armed = deep && lc->xport_intr && xport_intr_arm(ctx->xport.id, lc, true);
		n = epoll_pwait2(ep, evs, 2 * MAX_QUEUES,
				 armed ? &ts_armed : deep ? &ts_deep : &ts_idle, NULL);
		if (deep && lc->xport_intr)
			xport_intr_arm(ctx->xport.id, lc, false);
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

void
fwd_drain(struct fwd_ctx *ctx)
{
	struct lcore_conf all = { .nq = 0 };
	struct rte_mbuf *pkts[MAX_BURST];
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * DRAIN_MS / 1000;
	unsigned int q;

	for (q = 0; q < ctx->opts.queues; q++)
		all.q[all.nq++] = (uint16_t)q;
	while (rte_get_timer_cycles() < deadline)
		if (poll_round(ctx, &all, pkts) == 0)
			break;
	for (q = 0; q < ctx->opts.queues; q++) {
		struct fwd_pending *p = &ctx->pend[q];

		if (p->n == 0)
			continue;
		ctx->stats[q][1].drop_full += p->n;
		rte_pktmbuf_free_bulk(p->pkts + p->off, p->n);
		p->n = 0;
	}
}
