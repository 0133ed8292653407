/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: the --stats lines: per-port rates, forwarded and dropped frames,
 * the kernel's own drop counters, and each polling lcore's CPU share.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "fwd.h"

double
fwd_now_s(const struct fwd_ctx *ctx)
{
	return (double)(rte_get_timer_cycles() - ctx->start_tsc) / rte_get_timer_hz();
}

static uint64_t
clock_ns(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
fwd_stats_init(struct fwd_ctx *ctx)
{
	struct fwd_stats_base *b = &ctx->base;

	b->tsc = rte_get_timer_cycles();
	b->proc_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	b->kern_ok = ctx->kern_ifindex != 0 &&
		     fwd_nl_link_stats(ctx->kern_ifindex, &b->kern) == 0;
}

/* Called by each polling lcore once, with its own lc: the main lcore reads
 * its CPU clock. */
void
fwd_lcore_cpu_register(struct lcore_conf *lc)
{
	if (pthread_getcpuclockid(pthread_self(), &lc->cpu_clock) == 0) {
		lc->last_cpu_ns = clock_ns(lc->cpu_clock);
		lc->cpu_clock_ok = true;
	}
}

static void
format_rate(char *buf, size_t len, double pps, double bps)
{
	snprintf(buf, len, "%9.0f pkt/s %9.2f Mbit/s", pps, bps / 1e6);
}

void
fwd_print_port_stats(struct port_info *pi, bool final, double dt)
{
	struct rte_eth_stats s;
	char rx[64], tx[64];

	if (rte_eth_stats_get(pi->id, &s) != 0)
		return;
	if (final) {
		printf("  %-12s rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
		       " pkts %" PRIu64 " bytes\n", pi->label, s.ipackets,
		       s.ibytes, s.opackets, s.obytes);
	} else {
		format_rate(rx, sizeof(rx), (s.ipackets - pi->last.ipackets) / dt,
			    (s.ibytes - pi->last.ibytes) * 8.0 / dt);
		format_rate(tx, sizeof(tx), (s.opackets - pi->last.opackets) / dt,
			    (s.obytes - pi->last.obytes) * 8.0 / dt);
		printf("  %-12s link %-4s rx %s  tx %s\n", pi->label,
		       pi->link_up ? "up" : "down", rx, tx);
	}
	printf("  %-12s drops: rx-missed %" PRIu64 " rx-errors %" PRIu64
	       " rx-nombuf %" PRIu64 " tx-errors %" PRIu64 "\n", "",
	       s.imissed, s.ierrors, s.rx_nombuf, s.oerrors);
	pi->last = s;
}

/* "cpu: lcore 1 3.2% (...)" for every polling lcore, then the process. */
static void
print_cpu(struct fwd_ctx *ctx, bool final, double dt)
{
	uint64_t proc = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	unsigned int l;

	printf("  cpu:");
	RTE_LCORE_FOREACH(l) {
		struct lcore_conf *lc = &ctx->lconf[l];
		uint64_t ns;

		if (!lc->polls || !lc->cpu_clock_ok)
			continue;
		ns = clock_ns(lc->cpu_clock);
		if (final)
			printf(" lcore %u %.2f s", l, ns / 1e9);
		else
			printf(" lcore %u %.1f%%", l, (ns - lc->last_cpu_ns) / 1e9 / dt * 100.0);
		if (ctx->opts.poll == FWD_POLL_ADAPTIVE)
			printf(" (waits %" PRIu64 ", %" PRIu64 " ended by the kernel, %" PRIu64
			       " by the window; %" PRIu64 " yields; grace %" PRIu32 " us, longest %"
			       PRIu32 " us)", lc->sleeps, lc->wakeups_kern, lc->wakeups_xport,
			       lc->yields, lc->grace_us, lc->grace_top_us);
		lc->last_cpu_ns = ns;
	}
	if (final)
		printf(", process %.2f s (%.1f%% of %.1f s)\n", proc / 1e9,
		       proc / 1e9 / fwd_now_s(ctx) * 100.0, fwd_now_s(ctx));
	else
		printf(", process %.1f%%\n", (proc - ctx->base.proc_ns) / 1e9 / dt * 100.0);
	ctx->base.proc_ns = proc;
}

void
fwd_print_stats(struct fwd_ctx *ctx, bool final)
{
	uint64_t now = rte_get_timer_cycles();
	double dt = (double)(now - ctx->base.tsc) / rte_get_timer_hz();
	struct dir_stats tot[2];
	const char *xl = ctx->xport.label, *kl = ctx->opts.iface;
	unsigned int q;
	int d;

	if (dt <= 0)
		dt = 1e-9;
	memset(tot, 0, sizeof(tot));
	for (q = 0; q < ctx->opts.queues; q++) {
		for (d = 0; d < 2; d++) {
			const struct dir_stats *st = &ctx->stats[q][d];

			tot[d].pkts += st->pkts;
			tot[d].bytes += st->bytes;
			tot[d].drop_full += st->drop_full;
			tot[d].drop_down += st->drop_down;
			tot[d].drop_bad += st->drop_bad;
		}
	}
	printf("[%7.1fs] %s\n", fwd_now_s(ctx), final ? "cxl-fwd totals at exit:" : "stats");
	fwd_print_port_stats(&ctx->xport, final, dt);
	ctx->kern->print_stats(ctx->kern_be, final, dt);
	printf("  forwarded %s -> %s: %" PRIu64 " pkts, dropped %" PRIu64 " (%s full) %" PRIu64
	       " (%s link down) %" PRIu64 " (bad offload)\n", xl, kl, tot[0].pkts,
	       tot[0].drop_full, kl, tot[0].drop_down, kl, tot[0].drop_bad);
	printf("  forwarded %s -> %s: %" PRIu64 " pkts, dropped %" PRIu64 " (%s full) %" PRIu64
	       " (%s link down) %" PRIu64 " (bad offload)\n", kl, xl, tot[1].pkts,
	       tot[1].drop_full, xl, tot[1].drop_down, xl, tot[1].drop_bad);
	if (ctx->base.kern_ok) {
		const struct fwd_ifstats *kb = &ctx->base.kern;
		struct fwd_ifstats ks;

		if (fwd_nl_link_stats(ctx->kern_ifindex, &ks) == 0)
			printf("  kernel %s: tx-dropped %" PRIu64 " (not read in time)"
			       " rx-dropped %" PRIu64 " tx-errors %" PRIu64 "\n",
			       kl, ks.tx_dropped - kb->tx_dropped,
			       ks.rx_dropped - kb->rx_dropped, ks.tx_errors - kb->tx_errors);
	}
	print_cpu(ctx, final, dt);
	fflush(stdout);
	ctx->base.tsc = now;
}
