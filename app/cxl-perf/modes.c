/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The modes cxl-perf measures, one runner each, in the table perf_runners[]
 * (as app/test-crypto-perf keeps its tests in a map of constructor, runner
 * and destructor): the lcore loops of the two ends and the hooks run_point()
 * calls around them (struct perf_runner, cxl_perf.h).  A new mode is its
 * runner and one line of the table: the sweep, the control file of two
 * processes, --mode, the text report, JSON and CSV take it from there.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <rte_cycles.h>

#include "cxl_perf.h"

/* ---- shared by the runners ---- */

/* after the generator stopped: until the receiving end's count stops
 * growing (at most one second) */
static void
drain_settle(struct perf_env *env, const struct perf_point *pt)
{
	static struct perf_snap s;
	uint64_t last = perf_rx_sum(pt->s1, pt->nb_cards), cur;
	double end = perf_now_s() + 1.0;

	for (;;) {
		rte_delay_us_sleep(50000);
		perf_read_counters(env, pt->tp, pt->nb_cards, &s);
		cur = perf_rx_sum(&s, pt->nb_cards);
		if (cur == last || perf_now_s() > end)
			break;
		last = cur;
	}
}

/* packets delivered per second over [a, b], Mpps */
static double
delivered_mpps(const struct perf_snap *a, const struct perf_snap *b, unsigned int nb_cards)
{
	return (double)(perf_rx_sum(b, nb_cards) - perf_rx_sum(a, nb_cards)) / (b->t - a->t) / 1e6;
}

/* ---- throughput: the generator end tx-only, the other end rx-only ---- */

static void
tput_fill(struct perf_env *env, const struct perf_point *pt, unsigned int lo,
	  unsigned int hi, struct perf_result *r)
{
	const struct perf_options *o = &env->o;
	double lcore_cyc = pt->secs * (double)rte_get_tsc_hz();
	uint64_t gcyc = 0, pcyc = 0;
	unsigned int k;

	for (k = lo; k < hi; k++) {
		uint64_t sent = pt->end->tx_pkts[k] - pt->init->tx_pkts[k];
		uint64_t got = pt->end->rx_pkts[k] - pt->init->rx_pkts[k];

		r->drops += sent > got ? sent - got : 0;
		gcyc += pt->s1->gen_cyc[k] - pt->s0->gen_cyc[k];
		pcyc += pt->s1->peer_cyc[k] - pt->s0->peer_cyc[k];
	}
	/* cost per packet where each end spent it (no PMU in a VM: TSC cycles
	 * of the polls that moved packets) */
	r->gen_cyc_per_pkt = r->tx_pkts ? (double)gcyc / (double)r->tx_pkts : NAN;
	r->peer_cyc_per_pkt = r->rx_pkts ? (double)pcyc / (double)r->rx_pkts : NAN;
	r->gen_busy = (double)gcyc / (lcore_cyc * o->nb_gen_lcores);
	r->peer_busy = (double)pcyc / (lcore_cyc * (o->nb_peer_lcores ? o->nb_peer_lcores : 1));
}

static double
tput_key(const struct perf_result *r)
{
	return r->rx_mpps;
}

static void
tput_table(FILE *f, const struct perf_options *o, const struct perf_result *r,
	   unsigned int n, unsigned int mode)
{
	char b[14][32];
	unsigned int i;
	int w = perf_tp_width(o);
	bool any = false;

	for (i = 0; i < n; i++) {
		const struct perf_result *x = &r[i];

		if (!x->selected || x->scaling || x->mode != mode)
			continue;
		if (!any)
			fprintf(f, "\n== throughput ==\n%6s %-*s %5s %9s %9s %8s %10s %8s %8s %6s %7s %9s %9s %13s %13s %s\n",
				"size", w, "port", "card", "tx Mpps", "rx Mpps", "Gbps", "drops",
				"winwr/pk", "winrd/pk", "x", "c2c ns", "near Mpps", "far Mpps",
				"gen cyc/pk", "peer cyc/pk", "samples n/f/s");
		any = true;
		fprintf(f, "%6u %-*s %5s %s %s %s %10" PRIu64 " %s %s %s %s %s %s %s(%s%%) %s(%s%%) %u/%u/%u\n",
			x->pkt_len, w, perf_tp_name(x->tp),
			x->card < 0 ? (x->nb_cards > 1 ? "all" : "-") :
				(snprintf(b[11], 32, "%d", x->card), b[11]),
			perf_fmt(b[0], 32, 9, 3, x->tx_mpps), perf_fmt(b[1], 32, 9, 3, x->rx_mpps),
			perf_fmt(b[2], 32, 8, 2, x->gbps), x->drops,
			perf_fmt(b[3], 32, 8, 1, x->win_wr_per_pkt),
			perf_fmt(b[4], 32, 8, 1, x->win_rd_per_pkt),
			perf_fmt(b[5], 32, 6, 3, perf_win_x(x)),
			perf_fmt(b[6], 32, 7, 0, x->c2c_ns),
			perf_fmt(b[7], 32, 9, 3, x->mpps_near), perf_fmt(b[8], 32, 9, 3, x->mpps_far),
			perf_fmt(b[9], 32, 7, 0, x->gen_cyc_per_pkt),
			perf_fmt(b[10], 32, 3, 0, x->gen_busy * 100),
			perf_fmt(b[12], 32, 7, 0, x->peer_cyc_per_pkt),
			perf_fmt(b[13], 32, 3, 0, x->peer_busy * 100), x->n_near, x->n_far,
			x->n_shared);
	}
}

/* ---- latency: the generator stamps frames, the other end echoes them ---- */

static void
lat_prepare(struct perf_env *env, const struct perf_point *pt)
{
	unsigned int i;

	(void)pt;
	for (i = 0; i < env->o.nb_gen_lcores; i++)
		memset(env->hist[i], 0, sizeof(*env->hist[i]));
}

/* round trips: half the frames delivered (each one crosses twice) */
static double
lat_sample(const struct perf_snap *a, const struct perf_snap *b, unsigned int nb_cards)
{
	return delivered_mpps(a, b, nb_cards) / 2;
}

static void
lat_fill(struct perf_env *env, const struct perf_point *pt, unsigned int lo,
	 unsigned int hi, struct perf_result *r)
{
	static struct perf_hist all;
	double ns = 1e9 / (double)rte_get_tsc_hz();
	unsigned int k, i;

	/* a round trip: the echo counts as received, not sent */
	r->rx_pkts = 0;
	r->rx_bytes = 0;
	for (k = lo; k < hi; k++) {
		uint64_t lost = pt->end->lost[k] - pt->init->lost[k];
		uint64_t back = pt->s1->back_pkts[k] - pt->s0->back_pkts[k];

		r->lost += lost;
		r->drops += lost;
		r->rx_pkts += back;
		r->rx_bytes += back * pt->pkt_len;
	}
	if (r->card >= 0)
		return; /* per-card rows carry no latency: one histogram per lcore */
	memset(&all, 0, sizeof(all));
	for (i = 0; i < env->nb_gen_w; i++)
		perf_hist_merge(&all, env->hist[i]);
	r->lat_samples = all.count;
	if (all.count == 0)
		return;
	r->p50 = perf_hist_percentile(&all, 50) * ns;
	r->p90 = perf_hist_percentile(&all, 90) * ns;
	r->p99 = perf_hist_percentile(&all, 99) * ns;
	r->p999 = perf_hist_percentile(&all, 99.9) * ns;
	r->max_ns = all.max * ns;
	r->min_ns = all.min * ns;
	r->mean_ns = all.sum / all.count * ns;
}

static double
lat_key(const struct perf_result *r)
{
	return r->p50;
}

static void
lat_table(FILE *f, const struct perf_options *o, const struct perf_result *r,
	  unsigned int n, unsigned int mode)
{
	char b[9][32];
	unsigned int i;
	int w = perf_tp_width(o);
	bool any = false;

	for (i = 0; i < n; i++) {
		const struct perf_result *x = &r[i];

		if (!x->selected || x->scaling || x->mode != mode || x->card >= 0)
			continue;
		if (!any)
			fprintf(f, "\n== latency (round trip, %u in flight per queue) ==\n"
				"%6s %-*s %9s %8s %8s %8s %8s %9s %8s %7s %8s %8s\n",
				o->inflight, "size", w, "port", "RTT/s M", "p50 ns", "p90 ns", "p99 ns",
				"p99.9 ns", "max ns", "lost", "c2c ns", "winwr/pk", "winrd/pk");
		any = true;
		fprintf(f, "%6u %-*s %s %s %s %s %s %s %8" PRIu64 " %s %s %s\n",
			x->pkt_len, w, perf_tp_name(x->tp), perf_fmt(b[0], 32, 9, 3, x->rx_mpps),
			perf_fmt(b[1], 32, 8, 0, x->p50), perf_fmt(b[2], 32, 8, 0, x->p90),
			perf_fmt(b[3], 32, 8, 0, x->p99), perf_fmt(b[4], 32, 8, 0, x->p999),
			perf_fmt(b[5], 32, 9, 0, x->max_ns), x->lost,
			perf_fmt(b[6], 32, 7, 0, x->c2c_ns),
			perf_fmt(b[7], 32, 8, 1, x->win_wr_per_pkt),
			perf_fmt(b[8], 32, 8, 1, x->win_rd_per_pkt));
	}
}

static void
lat_json(json_t *e, const struct perf_result *x)
{
	json_t *l;

	if (x->card >= 0)
		return;
	l = json_object();
	json_object_set_new(l, "samples", json_integer((json_int_t)x->lat_samples));
	json_object_set_new(l, "lost", json_integer((json_int_t)x->lost));
	json_object_set_new(l, "min", perf_jnum(x->min_ns));
	json_object_set_new(l, "mean", perf_jnum(x->mean_ns));
	json_object_set_new(l, "p50", perf_jnum(x->p50));
	json_object_set_new(l, "p90", perf_jnum(x->p90));
	json_object_set_new(l, "p99", perf_jnum(x->p99));
	json_object_set_new(l, "p99_9", perf_jnum(x->p999));
	json_object_set_new(l, "max", perf_jnum(x->max_ns));
	json_object_set_new(e, "latency_ns", l);
}

/* ---- the table ---- */

const struct perf_runner perf_runners[] = {
	/* name, alias, generator end, other end, prepare, sample, drain, fill,
	 * key, table, json */
	{"throughput", "tput", perf_job_tx, perf_job_rx, NULL, delivered_mpps, drain_settle,
	 tput_fill, tput_key, tput_table, NULL},
	{"latency", "lat", perf_job_lat, perf_job_reflect, lat_prepare, lat_sample,
	 drain_settle, lat_fill, lat_key, lat_table, lat_json},
};

const unsigned int perf_nb_runners = RTE_DIM(perf_runners);

_Static_assert(RTE_DIM(perf_runners) <= PERF_MAX_MODES, "raise PERF_MAX_MODES");
