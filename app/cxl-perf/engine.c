/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxl-perf's measuring engine: the worker lcores of either end, the
 * counters of a point, and one measuring point (perf_run_point(): start
 * the two ends, warm up, one-second samples with a core-to-core probe each,
 * stop, drain, result rows). The mode's own steps are its runner's hooks
 * (modes.c); the sweep that calls the points is sweep.c.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "cxl_perf.h"

enum perf_end
perf_peer_end(const struct perf_options *o)
{
	return o->gen_end == PERF_END_HOST ? PERF_END_DEVICE : PERF_END_HOST;
}

/* counters of one (card, queue, end), wherever they live */
static struct perf_qstats *
qstats(struct perf_env *env, unsigned int tp, unsigned int card, unsigned int q,
	enum perf_end end)
{
	if (env->ctl != NULL && end == perf_peer_end(&env->o))
		return &env->ctl->qs[tp][card][q];
	return &env->qs[tp][card][q][end];
}

double
perf_now_s(void)
{
	return (double)rte_get_timer_cycles() / (double)rte_get_timer_hz();
}

/* sleep until absolute time t (perf_now_s clock); false if interrupted */
static bool
sleep_until(double t)
{
	for (;;) {
		double left = t - perf_now_s();

		if (perf_quit)
			return false;
		if (left <= 0)
			return true;
		rte_delay_us_sleep((unsigned int)(RTE_MIN(left, 0.05) * 1e6) + 1);
	}
}

/* ---- workers ---- */

unsigned int
perf_setup_workers(struct perf_env *env, struct perf_worker *ws, const unsigned int *lcores,
	      unsigned int nb_lcores, unsigned int tp, unsigned int nb_cards,
	      enum perf_end end, perf_job_fn job, unsigned int pkt_len, volatile int *stop)
{
	unsigned int c, q, k = 0, i;

	for (i = 0; i < nb_lcores; i++) {
		memset(&ws[i], 0, sizeof(ws[i]));
		ws[i].job = job;
		ws[i].lcore = lcores[i];
		ws[i].mp = env->mp;
		ws[i].pkt_len = pkt_len;
		ws[i].burst = env->o.burst;
		ws[i].inflight = env->o.inflight;
		ws[i].stop = stop;
		ws[i].measuring = &env->measuring;
		ws[i].hist = env->hist[i];
		ws[i].run_id = env->run_id;
	}
	/* the first lcore of each end runs the core-to-core probe */
	if (env->o.c2c && nb_lcores > 0) {
		ws[0].c2c = env->c2c;
		ws[0].c2c_ping = end == env->o.gen_end;
		ws[0].c2c_seen = __atomic_load_n(&env->c2c->req, __ATOMIC_ACQUIRE);
		ws[0].c2c_here = ws[0].c2c_seen;
	}
	for (c = 0; c < nb_cards; c++) {
		for (q = 0; q < env->o.nb_queues; q++, k++) {
			struct perf_worker *w = &ws[k % nb_lcores];
			struct perf_item *it = &w->items[w->nb_items++];

			it->port = env->cards[tp][c].port[end];
			it->queue = q;
			it->qs = qstats(env, tp, c, q, end);
		}
	}
	return nb_lcores;
}

int
perf_launch(struct perf_worker *ws, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (rte_eal_remote_launch(perf_worker_main, &ws[i], ws[i].lcore) != 0) {
			fprintf(stderr, "cxl-perf: lcore %u is busy\n", ws[i].lcore);
			return -1;
		}
	}
	return 0;
}

void
perf_join(struct perf_worker *ws, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		rte_eal_wait_lcore(ws[i].lcore);
}

/* Start the other end's lcores (here, or the peer process's) on job: the
 * peer process looks the job up as the peer job of runner `mode`. */
int
perf_start_peer(struct perf_env *env, unsigned int tp, unsigned int nb_cards, perf_job_fn job,
	   uint32_t mode, unsigned int pkt_len, unsigned int nb_lcores)
{
	struct perf_options *o = &env->o;

	env->stop_peer = 0;
	if (env->ctl != NULL)
		return perf_ctl_cmd(env->ctl, PERF_CMD_START, tp, nb_cards, mode, pkt_len);
	env->nb_peer_w = perf_setup_workers(env, env->peer_w, o->peer_lcores, nb_lcores, tp,
				       nb_cards, perf_peer_end(o), job, pkt_len, &env->stop_peer);
	return perf_launch(env->peer_w, env->nb_peer_w);
}

int
perf_stop_peer(struct perf_env *env, unsigned int tp, unsigned int nb_cards)
{
	if (env->ctl != NULL)
		return perf_ctl_cmd(env->ctl, PERF_CMD_STOP, tp, nb_cards, 0, 0);
	env->stop_peer = 1;
	perf_join(env->peer_w, env->nb_peer_w);
	return 0;
}

/* ---- counters of a point ---- */

void
perf_read_counters(struct perf_env *env, unsigned int tp, unsigned int nb_cards,
		   struct perf_snap *s)
{
	enum perf_end ge = env->o.gen_end, pe = perf_peer_end(&env->o);
	unsigned int c, q;

	s->t = perf_now_s();
	for (c = 0; c < nb_cards; c++) {
		s->tx_pkts[c] = s->tx_bytes[c] = s->rx_pkts[c] = s->rx_bytes[c] = 0;
		s->back_pkts[c] = s->tx_full[c] = s->lost[c] = 0;
		s->gen_cyc[c] = s->peer_cyc[c] = 0;
		s->gen_c2c[c] = s->peer_c2c[c] = 0;
		for (q = 0; q < env->o.nb_queues; q++) {
			const volatile struct perf_qstats *g = qstats(env, tp, c, q, ge);
			const volatile struct perf_qstats *p = qstats(env, tp, c, q, pe);

			s->tx_pkts[c] += g->tx_pkts;
			s->tx_bytes[c] += g->tx_bytes;
			s->back_pkts[c] += g->rx_pkts;
			s->tx_full[c] += g->tx_full;
			s->lost[c] += g->lost;
			s->rx_pkts[c] += p->rx_pkts;
			s->rx_bytes[c] += p->rx_bytes;
			s->gen_cyc[c] += g->busy_cyc;
			s->peer_cyc[c] += p->busy_cyc;
			s->gen_c2c[c] += g->c2c_ns;
			s->peer_c2c[c] += p->c2c_ns;
		}
	}
}

static int
read_ports(struct perf_env *env, unsigned int tp, unsigned int nb_cards, struct perf_snap *s)
{
	enum perf_end pe = perf_peer_end(&env->o);
	unsigned int c, e;

	for (c = 0; c < nb_cards; c++)
		for (e = 0; e < 2; e++)
			perf_port_snap(env->cards[tp][c].port[e], &s->port[c][e]);
	if (env->ctl != NULL) {
		if (perf_ctl_cmd(env->ctl, PERF_CMD_SNAP, tp, nb_cards, 0, 0) != 0)
			return -1;
		for (c = 0; c < nb_cards; c++)
			s->port[c][pe] = env->ctl->snap[tp][c];
	}
	return 0;
}

uint64_t
perf_rx_sum(const struct perf_snap *s, unsigned int nb_cards)
{
	uint64_t v = 0;
	unsigned int c;

	for (c = 0; c < nb_cards; c++)
		v += s->rx_pkts[c] + s->back_pkts[c];
	return v;
}

static double
delta_ratio(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1, uint64_t pkts)
{
	if (a0 == UINT64_MAX || a1 == UINT64_MAX || b0 == UINT64_MAX || b1 == UINT64_MAX ||
	    pkts == 0)
		return NAN;
	return (double)((a1 - a0) + (b1 - b0)) / (double)pkts;
}

static struct perf_result *
new_result(struct perf_env *env)
{
	if (env->nb_res == env->cap_res) {
		unsigned int cap = env->cap_res ? env->cap_res * 2 : 64;
		struct perf_result *r = realloc(env->res, cap * sizeof(*r));

		if (r == NULL)
			return NULL;
		env->res = r;
		env->cap_res = cap;
	}
	memset(&env->res[env->nb_res], 0, sizeof(env->res[0]));
	return &env->res[env->nb_res++];
}

/* one probe; asked again once if the lcores did not run it or the partner
 * did not show (one of them had lost its CPU) */
double
perf_c2c_probe(struct perf_env *env)
{
	double ns = perf_c2c_request(env->c2c, 0.05);

	return isnan(ns) ? perf_c2c_request(env->c2c, 0.05) : ns;
}

static double
load1(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : NAN;
}

/* per-second samples of a point: the point's rate and the probe's round trip */
struct perf_samples {
	double rate[PERF_MAX_SAMPLES], c2c[PERF_MAX_SAMPLES];
	unsigned int n;
};

/* The measured time: one-second samples, each with a core-to-core probe in
 * its middle; s0 and s1 get the counters at its start and end. */
static int
measure(struct perf_env *env, const struct perf_runner *run, const struct perf_point *pt,
	struct perf_snap *s0, struct perf_snap *s1, struct perf_samples *sm)
{
	static struct perf_snap s_prev, s;
	struct perf_options *o = &env->o;
	unsigned int c;
	double t_end;
	int ret = 0;

	if (read_ports(env, pt->tp, pt->nb_cards, s0) != 0)
		return -1;
	perf_read_counters(env, pt->tp, pt->nb_cards, s0);
	env->measuring = 1;
	s_prev = *s0;
	t_end = s0->t + o->measure_s;
	sm->n = 0;
	while (s_prev.t < t_end - 1e-3) {
		double t_next = RTE_MIN(s_prev.t + 1.0, t_end);
		double probe = NAN;

		if (o->c2c && t_next - s_prev.t > 0.1) {
			if (!sleep_until(s_prev.t + (t_next - s_prev.t) / 2)) {
				ret = -1;
				break;
			}
			probe = perf_c2c_probe(env);
		}
		if (!sleep_until(t_next)) {
			ret = -1;
			break;
		}
		perf_read_counters(env, pt->tp, pt->nb_cards, &s);
		if (sm->n < PERF_MAX_SAMPLES) {
			sm->rate[sm->n] = run->sample(&s_prev, &s, pt->nb_cards);
			sm->c2c[sm->n++] = probe;
		}
		if (o->progress) {
			uint64_t txp = 0;

			for (c = 0; c < pt->nb_cards; c++)
				txp += s.tx_pkts[c] - s_prev.tx_pkts[c];
			fprintf(stderr, "  [%s %s %ucard %uB r%u] %4.1fs %8.3f Mpps rx %8.3f Mpps tx  c2c %s%.0f ns\n",
				perf_tp_name(pt->tp), run->name, pt->nb_cards, pt->pkt_len, pt->round,
				s.t - s0->t,
				(double)(perf_rx_sum(&s, pt->nb_cards) -
					 perf_rx_sum(&s_prev, pt->nb_cards)) / (s.t - s_prev.t) / 1e6,
				(double)txp / (s.t - s_prev.t) / 1e6,
				isnan(probe) ? "NA " : "", isnan(probe) ? 0.0 : probe);
		}
		s_prev = s;
	}
	env->measuring = 0;
	perf_read_counters(env, pt->tp, pt->nb_cards, s1);
	if (ret == 0 && read_ports(env, pt->tp, pt->nb_cards, s1) != 0)
		ret = -1;
	perf_read_counters(env, pt->tp, pt->nb_cards, s1);
	return ret;
}

/* The result rows of a measured point: the aggregate, then one per card when
 * there are several.  What every mode shares is set here, the rest by the
 * runner's fill hook. */
static int
fill_results(struct perf_env *env, const struct perf_runner *run, const struct perf_point *pt,
	     struct perf_samples *sm)
{
	struct perf_options *o = &env->o;
	double near[PERF_MAX_SAMPLES], far[PERF_MAX_SAMPLES], shared[PERF_MAX_SAMPLES];
	double c2c_all[PERF_MAX_SAMPLES];
	unsigned int nn = 0, nf = 0, nsh = 0, nc = 0, i, c;
	enum perf_end pe = perf_peer_end(o);
	const struct perf_snap *s0 = pt->s0, *s1 = pt->s1;
	struct perf_result *agg = NULL;

	for (i = 0; i < sm->n; i++) {
		if (isnan(sm->c2c[i]))
			continue;
		c2c_all[nc++] = sm->c2c[i];
		if (sm->c2c[i] < o->c2c_split_ns)
			near[nn++] = sm->rate[i];
		else if (sm->c2c[i] < PERF_C2C_SHARED_NS)
			far[nf++] = sm->rate[i];
		else
			shared[nsh++] = sm->rate[i];
	}
	for (c = 0; c <= pt->nb_cards; c++) {
		unsigned int lo = c == 0 ? 0 : c - 1, hi = c == 0 ? pt->nb_cards : c, k;
		uint64_t delivered = 0, gc2c = 0, pc2c = 0;
		struct perf_result *r;
		double wr = 0, rd = 0;

		if (c == 1 && pt->nb_cards == 1)
			break;
		r = new_result(env);
		if (r == NULL)
			return -1;
		if (c == 0)
			agg = r;
		r->tp = pt->tp;
		r->mode = pt->mode;
		r->scaling = pt->scaling;
		r->card = c == 0 ? -1 : (int)c - 1;
		r->nb_cards = pt->nb_cards;
		r->pkt_len = pt->pkt_len;
		r->round = pt->round;
		r->secs = pt->secs;
		for (k = lo; k < hi; k++) {
			r->tx_pkts += s1->tx_pkts[k] - s0->tx_pkts[k];
			r->tx_bytes += s1->tx_bytes[k] - s0->tx_bytes[k];
			r->rx_pkts += s1->rx_pkts[k] - s0->rx_pkts[k];
			r->rx_bytes += s1->rx_bytes[k] - s0->rx_bytes[k];
			r->tx_full += s1->tx_full[k] - s0->tx_full[k];
			gc2c += s1->gen_c2c[k] - s0->gen_c2c[k];
			pc2c += s1->peer_c2c[k] - s0->peer_c2c[k];
			delivered += (s1->rx_pkts[k] - s0->rx_pkts[k]) +
				     (s1->back_pkts[k] - s0->back_pkts[k]);
			wr += delta_ratio(s0->port[k][0].win_wr, s1->port[k][0].win_wr,
					  s0->port[k][1].win_wr, s1->port[k][1].win_wr, 1);
			rd += delta_ratio(s0->port[k][0].win_rd, s1->port[k][0].win_rd,
					  s0->port[k][1].win_rd, s1->port[k][1].win_rd, 1);
		}
		r->win_wr_per_pkt = delivered ? wr / (double)delivered : NAN;
		r->win_rd_per_pkt = delivered ? rd / (double)delivered : NAN;
		r->gen_cyc_per_pkt = r->peer_cyc_per_pkt = r->gen_busy = r->peer_busy = NAN;
		r->p50 = r->p90 = r->p99 = r->p999 = r->max_ns = r->min_ns = r->mean_ns = NAN;
		r->c2c_ns = c == 0 ? perf_median(c2c_all, nc) : agg->c2c_ns;
		/* the probe runs on one lcore of each end */
		r->c2c_cost = c == 0 ? (double)RTE_MAX(gc2c, pc2c) / (pt->secs * 1e9) :
				       agg->c2c_cost;
		r->load1 = load1();
		if (c == 0) {
			r->mpps_near = perf_median(near, nn);
			r->mpps_far = perf_median(far, nf);
			r->mpps_shared = perf_median(shared, nsh);
			r->n_near = nn;
			r->n_far = nf;
			r->n_shared = nsh;
		} else {
			r->mpps_near = r->mpps_far = r->mpps_shared = NAN;
		}
		run->fill(env, pt, lo, hi, r);
		for (k = lo; k < hi; k++)
			r->drops += s1->port[k][pe].imissed - s0->port[k][pe].imissed;
		r->tx_mpps = (double)r->tx_pkts / pt->secs / 1e6;
		r->rx_mpps = (double)r->rx_pkts / pt->secs / 1e6;
		r->gbps = (double)r->rx_bytes * 8 / pt->secs / 1e9;
	}
	return 0;
}

/* one measuring point: warm-up, measure, drain; appends the results */
int
perf_run_point(struct perf_env *env, unsigned int mode, unsigned int tp, unsigned int nb_cards,
	  unsigned int pkt_len, bool scaling, unsigned int round)
{
	static struct perf_snap s_init, s0, s1, s_end;
	static struct perf_samples sm;
	const struct perf_runner *run = &perf_runners[mode];
	struct perf_options *o = &env->o;
	struct perf_point pt = {
		.mode = mode, .tp = tp, .nb_cards = nb_cards, .pkt_len = pkt_len,
		.round = round, .scaling = scaling,
		.init = &s_init, .s0 = &s0, .s1 = &s1, .end = &s_end,
	};
	int ret = 0;

	env->stop_gen = env->stop_peer = 0;
	env->measuring = 0;
	env->run_id++;
	if (run->prepare != NULL)
		run->prepare(env, &pt);
	perf_read_counters(env, tp, nb_cards, &s_init);

	/* receiver first, then the generator */
	if (perf_start_peer(env, tp, nb_cards, run->peer_job, mode, pkt_len, o->nb_peer_lcores) != 0)
		return -1;
	env->nb_gen_w = perf_setup_workers(env, env->gen_w, o->gen_lcores, o->nb_gen_lcores, tp,
				      nb_cards, o->gen_end, run->gen_job, pkt_len, &env->stop_gen);
	if (perf_launch(env->gen_w, env->nb_gen_w) != 0) {
		(void)perf_stop_peer(env, tp, nb_cards);
		return -1;
	}
	if (!sleep_until(perf_now_s() + o->warmup_s) ||
	    measure(env, run, &pt, &s0, &s1, &sm) != 0)
		ret = -1;
	pt.secs = s1.t - s0.t;

	/* stop the generator, let the receiver drain, stop the receiver */
	env->stop_gen = 1;
	perf_join(env->gen_w, env->nb_gen_w);
	if (ret == 0)
		run->drain(env, &pt);
	if (perf_stop_peer(env, tp, nb_cards) != 0)
		ret = -1;
	perf_read_counters(env, tp, nb_cards, &s_end);
	if (ret != 0)
		return ret;
	return fill_results(env, run, &pt, &sm);
}
