/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxl-perf main: EAL, one measuring point (run_point: start the two ends,
 * warm up, one-second samples with a core-to-core probe each, stop, drain,
 * result rows; the mode's own steps are its runner's hooks, modes.c), and
 * the sweep: rounds x modes x sizes x transports, alternating the transports
 * at every point so that cxlmem and its peers see the same vCPU placement
 * and the same neighbours; then the cards-scaling table.
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

static volatile int quit_flag;

static void
on_signal(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static enum perf_end
peer_end(const struct perf_options *o)
{
	return o->gen_end == PERF_END_HOST ? PERF_END_DEVICE : PERF_END_HOST;
}

/* counters of one (card, queue, end), wherever they live */
static struct perf_qstats *
qstats(struct perf_env *env, unsigned int tp, unsigned int card, unsigned int q,
	enum perf_end end)
{
	if (env->ctl != NULL && end == peer_end(&env->o))
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

		if (quit_flag)
			return false;
		if (left <= 0)
			return true;
		rte_delay_us_sleep((unsigned int)(RTE_MIN(left, 0.05) * 1e6) + 1);
	}
}

/* ---- workers ---- */

static unsigned int
setup_workers(struct perf_env *env, struct perf_worker *ws, const unsigned int *lcores,
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

static int
launch(struct perf_worker *ws, unsigned int n)
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

static void
join(struct perf_worker *ws, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		rte_eal_wait_lcore(ws[i].lcore);
}

/* Start the other end's lcores (here, or the peer process's) on job: the
 * peer process looks the job up as the peer job of runner `mode`. */
static int
start_peer(struct perf_env *env, unsigned int tp, unsigned int nb_cards, perf_job_fn job,
	   uint32_t mode, unsigned int pkt_len, unsigned int nb_lcores)
{
	struct perf_options *o = &env->o;

	env->stop_peer = 0;
	if (env->ctl != NULL)
		return perf_ctl_cmd(env->ctl, PERF_CMD_START, tp, nb_cards, mode, pkt_len);
	env->nb_peer_w = setup_workers(env, env->peer_w, o->peer_lcores, nb_lcores, tp,
				       nb_cards, peer_end(o), job, pkt_len, &env->stop_peer);
	return launch(env->peer_w, env->nb_peer_w);
}

static int
stop_peer(struct perf_env *env, unsigned int tp, unsigned int nb_cards)
{
	if (env->ctl != NULL)
		return perf_ctl_cmd(env->ctl, PERF_CMD_STOP, tp, nb_cards, 0, 0);
	env->stop_peer = 1;
	join(env->peer_w, env->nb_peer_w);
	return 0;
}

/* ---- counters of a point ---- */

void
perf_read_counters(struct perf_env *env, unsigned int tp, unsigned int nb_cards,
		   struct perf_snap *s)
{
	enum perf_end ge = env->o.gen_end, pe = peer_end(&env->o);
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
	enum perf_end pe = peer_end(&env->o);
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
static double
c2c_probe(struct perf_env *env)
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
			probe = c2c_probe(env);
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
	enum perf_end pe = peer_end(o);
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
static int
run_point(struct perf_env *env, unsigned int mode, unsigned int tp, unsigned int nb_cards,
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
	if (start_peer(env, tp, nb_cards, run->peer_job, mode, pkt_len, o->nb_peer_lcores) != 0)
		return -1;
	env->nb_gen_w = setup_workers(env, env->gen_w, o->gen_lcores, o->nb_gen_lcores, tp,
				      nb_cards, o->gen_end, run->gen_job, pkt_len, &env->stop_gen);
	if (launch(env->gen_w, env->nb_gen_w) != 0) {
		(void)stop_peer(env, tp, nb_cards);
		return -1;
	}
	if (!sleep_until(perf_now_s() + o->warmup_s) ||
	    measure(env, run, &pt, &s0, &s1, &sm) != 0)
		ret = -1;
	pt.secs = s1.t - s0.t;

	/* stop the generator, let the receiver drain, stop the receiver */
	env->stop_gen = 1;
	join(env->gen_w, env->nb_gen_w);
	if (ret == 0)
		run->drain(env, &pt);
	if (stop_peer(env, tp, nb_cards) != 0)
		ret = -1;
	perf_read_counters(env, tp, nb_cards, &s_end);
	if (ret != 0)
		return ret;
	return fill_results(env, run, &pt, &sm);
}

/* keep, of each point measured in several rounds, the round with the median
 * key (the runner's: delivered rate, or p50 for latency); its per-card rows
 * follow it */
static void
select_rounds(struct perf_env *env)
{
	unsigned int i, j;

	for (i = 0; i < env->nb_res; i++) {
		struct perf_result *a = &env->res[i];
		double key[100];
		unsigned int idx[100], n = 0, k, best;

		if (a->card != -1 || a->round != 0)
			continue;
		for (j = 0; j < env->nb_res && n < 100; j++) {
			struct perf_result *b = &env->res[j];

			if (b->card == -1 && b->tp == a->tp && b->mode == a->mode &&
			    b->scaling == a->scaling && b->nb_cards == a->nb_cards &&
			    b->pkt_len == a->pkt_len) {
				key[n] = perf_runners[b->mode].key(b);
				idx[n++] = j;
			}
		}
		/* the lower median of the keys */
		best = idx[0];
		for (k = 0; k < n; k++) {
			unsigned int below = 0, m;

			for (m = 0; m < n; m++)
				if (key[m] < key[k] || (key[m] == key[k] && m < k))
					below++;
			if (below == (n - 1) / 2)
				best = idx[k];
		}
		for (j = 0; j < env->nb_res; j++) {
			struct perf_result *b = &env->res[j];

			if (b->tp == a->tp && b->mode == a->mode && b->scaling == a->scaling &&
			    b->nb_cards == a->nb_cards && b->pkt_len == a->pkt_len &&
			    b->round == env->res[best].round)
				b->selected = true;
		}
	}
}

/* output order: sweep then scaling; mode, size, cards, transport, card */
static int
result_cmp(const void *a, const void *b)
{
	const struct perf_result *x = a, *y = b;

	if (x->scaling != y->scaling)
		return x->scaling - y->scaling;
	if (x->mode != y->mode)
		return (int)x->mode - (int)y->mode;
	if (x->scaling && x->nb_cards != y->nb_cards)
		return (int)x->nb_cards - (int)y->nb_cards;
	if (x->pkt_len != y->pkt_len)
		return (int)x->pkt_len - (int)y->pkt_len;
	if (x->nb_cards != y->nb_cards)
		return (int)x->nb_cards - (int)y->nb_cards;
	if (x->tp != y->tp)
		return (int)x->tp - (int)y->tp;
	if (x->card != y->card)
		return x->card - y->card;
	return (int)x->round - (int)y->round;
}

static int
run_all(struct perf_env *env)
{
	struct perf_options *o = &env->o;
	unsigned int round, m, s, tp, k;

	for (round = 0; round < o->rounds; round++) {
		for (m = 0; m < perf_nb_runners; m++) {
			if (!o->mode_on[m])
				continue;
			for (s = 0; s < o->nb_sizes; s++)
				for (tp = 0; tp < perf_nb_transports; tp++) {
					if (env->nb_cards[tp] == 0)
						continue;
					if (run_point(env, m, tp, env->nb_cards[tp],
						      o->sizes[s], false, round) != 0)
						return -1;
				}
		}
		if (!o->scaling)
			continue;
		for (k = 1; k <= env->nb_cards[PERF_TP_CXLMEM]; k++)
			for (tp = 0; tp < perf_nb_transports; tp++) {
				if (env->nb_cards[tp] < k)
					continue;
				/* the first runner: throughput */
				if (run_point(env, 0, tp, k, o->scale_size, true, round) != 0)
					return -1;
			}
	}
	return 0;
}

/* the peer process: follow the generator's commands until it quits */
static int
peer_loop(struct perf_env *env)
{
	struct perf_ctl *c = env->ctl;
	struct perf_options *o = &env->o;
	enum perf_end pe = peer_end(o);
	uint32_t seen = 0;
	bool running = false;

	while (!quit_flag) {
		uint32_t seq = __atomic_load_n(&c->cmd_seq, __ATOMIC_ACQUIRE);
		int status = 0;
		unsigned int i;

		if (seq == seen) {
			if (kill((pid_t)c->gen_pid, 0) != 0)
				break; /* the generator is gone */
			perf_ctl_wait_cmd(c, seen, 0.1);
			continue;
		}
		seen = seq;
		switch (c->cmd) {
		case PERF_CMD_START:
			if (running || c->tp >= perf_nb_transports || c->nb_cards > env->nb_cards[c->tp] ||
			    (c->mode >= perf_nb_runners && c->mode != PERF_CTL_IDLE)) {
				status = -1;
				break;
			}
			env->stop_peer = 0;
			env->nb_peer_w = setup_workers(env, env->peer_w, o->peer_lcores,
						       o->nb_peer_lcores, c->tp, c->nb_cards, pe,
						       c->mode == PERF_CTL_IDLE ? perf_job_idle :
						       perf_runners[c->mode].peer_job,
						       c->pkt_len, &env->stop_peer);
			status = launch(env->peer_w, env->nb_peer_w);
			running = status == 0;
			break;
		case PERF_CMD_STOP:
			env->stop_peer = 1;
			if (running)
				join(env->peer_w, env->nb_peer_w);
			running = false;
			break;
		case PERF_CMD_SNAP:
			for (i = 0; i < c->nb_cards && i < env->nb_cards[c->tp]; i++)
				perf_port_snap(env->cards[c->tp][i].port[pe], &c->snap[c->tp][i]);
			break;
		case PERF_CMD_QUIT:
			__atomic_store_n(&c->ack_status, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&c->ack_seq, seq, __ATOMIC_RELEASE);
			goto out;
		default:
			status = -1;
		}
		c->ack_status = status;
		__atomic_store_n(&c->ack_seq, seq, __ATOMIC_RELEASE);
	}
out:
	if (running) {
		env->stop_peer = 1;
		join(env->peer_w, env->nb_peer_w);
	}
	return 0;
}

/* the round trip with nothing else running: both first lcores idle */
static double
c2c_idle(struct perf_env *env)
{
	struct perf_options *o = &env->o;
	double v[3];
	unsigned int n = 0, i;

	env->stop_gen = 0;
	if (start_peer(env, PERF_TP_CXLMEM, 0, perf_job_idle, PERF_CTL_IDLE, 0, 1) != 0)
		return NAN;
	env->nb_gen_w = setup_workers(env, env->gen_w, o->gen_lcores, 1, PERF_TP_CXLMEM, 0,
				      o->gen_end, perf_job_idle, 0, &env->stop_gen);
	if (launch(env->gen_w, env->nb_gen_w) == 0) {
		for (i = 0; i < RTE_DIM(v); i++) {
			double ns = c2c_probe(env);

			if (!isnan(ns))
				v[n++] = ns;
		}
		env->stop_gen = 1;
		join(env->gen_w, env->nb_gen_w);
	}
	(void)stop_peer(env, PERF_TP_CXLMEM, 0);
	return perf_median(v, n);
}

int
main(int argc, char **argv)
{
	static struct perf_env env;
	struct perf_options *o = &env.o;
	unsigned int nb_pool, i;
	int ret, rc = 1;
	bool host_here;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "cxl-perf: EAL initialisation failed\n");
	argc -= ret;
	argv += ret;
	argv[0] = (char *)(uintptr_t)"cxl-perf";
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	ret = perf_options_parse(o, argc, argv);
	if (ret != 0) {
		rte_eal_cleanup();
		return ret > 0 ? 0 : 2;
	}
	for (i = 0; i < PERF_MAX_LCORES; i++) {
		env.hist[i] = calloc(1, sizeof(struct perf_hist));
		if (env.hist[i] == NULL)
			rte_exit(EXIT_FAILURE, "cxl-perf: out of memory\n");
	}
	env.c2c_idle_ns = NAN;
	env.c2c = &env.c2c_local;

	nb_pool = o->nb_mbufs;
	env.mp = rte_pktmbuf_pool_create("perf_pool", nb_pool, 256, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (env.mp == NULL)
		rte_exit(EXIT_FAILURE, "cxl-perf: cannot create a pool of %u mbufs: %s\n",
			 nb_pool, rte_strerror(rte_errno));

	/* The process holding the host ends formats the windows before the
	 * control file exists; the other one attaches its ends only after it
	 * found the control file, so it never maps a stale window. */
	host_here = o->role == PERF_ROLE_BOTH ||
		    (o->role == PERF_ROLE_GEN) == (o->gen_end == PERF_END_HOST);
	if (host_here && perf_cards_create(o, env.cards, env.nb_cards, env.mp) != 0)
		goto out;
	if (o->role == PERF_ROLE_GEN) {
		env.ctl = perf_ctl_create(o->ctl_path);
		if (env.ctl == NULL)
			goto out;
		env.c2c = &env.ctl->c2c;
	} else if (o->role == PERF_ROLE_PEER) {
		env.ctl = perf_ctl_attach(o->ctl_path, o->link_timeout_s * 3, &quit_flag);
		if (env.ctl == NULL)
			goto out;
		env.c2c = &env.ctl->c2c;
	}
	if (!host_here && perf_cards_create(o, env.cards, env.nb_cards, env.mp) != 0)
		goto out;
	if (o->role == PERF_ROLE_PEER) {
		printf("# cxl-perf peer: attached to %s, following the generator\n", o->ctl_path);
		fflush(stdout);
		rc = peer_loop(&env);
		goto out;
	}
	if (env.ctl != NULL && perf_ctl_wait_peer(env.ctl, o->link_timeout_s * 3, &quit_flag) != 0)
		goto out;
	if (perf_cards_wait_link(env.cards, env.nb_cards, o->link_timeout_s, &quit_flag) != 0)
		goto out;
	if (o->c2c) {
		env.c2c_idle_ns = c2c_idle(&env);
		printf("# cxl-perf: core-to-core round trip lcore %u (CPU %u) <-> %slcore %u "
		       "at start: %.0f ns\n", o->gen_lcores[0],
		       rte_lcore_to_cpu_id(o->gen_lcores[0]), env.ctl ? "the peer's " : "",
		       o->peer_lcores[0], env.c2c_idle_ns);
	}

	if (run_all(&env) != 0 && !quit_flag)
		goto out;
	select_rounds(&env);
	if (env.nb_res > 1)
		qsort(env.res, env.nb_res, sizeof(env.res[0]), result_cmp);
	perf_report_table(stdout, o, env.res, env.nb_res);
	rc = 0;
	if (o->json_path[0] &&
	    perf_report_json(o->json_path, o, env.res, env.nb_res, env.c2c_idle_ns) != 0)
		rc = 1;
	if (o->csv_path[0] && perf_report_csv(o->csv_path, env.res, env.nb_res) != 0)
		rc = 1;
	if (quit_flag)
		rc = 130;
out:
	if (env.ctl != NULL) {
		if (o->role == PERF_ROLE_GEN &&
		    perf_ctl_cmd(env.ctl, PERF_CMD_QUIT, 0, 0, 0, 0) == 0) {
			/* let the peer go and our interrupt thread see its
			 * sockets close before we tear ours down: memif's
			 * teardown races with a disconnect being handled */
			double end = perf_now_s() + 5;

			while (kill((pid_t)env.ctl->peer_pid, 0) == 0 && perf_now_s() < end)
				rte_delay_us_sleep(10000);
			rte_delay_us_sleep(200000);
		}
		perf_ctl_close(env.ctl, o->ctl_path, o->role == PERF_ROLE_GEN);
	}
	perf_cards_close(env.cards, env.nb_cards, o->keep_files);
	for (i = 0; i < PERF_MAX_LCORES; i++)
		free(env.hist[i]);
	free(env.res);
	/* DPDK 22.11's memif frees its socket's interrupt handle while EAL's
	 * interrupt thread may still walk it (a use-after-free seen here as a
	 * SIGSEGV in rte_intr_fd_get at exit): with memif ports, leave the
	 * teardown to the process exit. */
	for (i = 0; i < perf_nb_transports; i++)
		if (perf_transports[i].drv == PERF_DRV_MEMIF && env.nb_cards[i] > 0)
			break;
	if (i == perf_nb_transports) {
		rte_mempool_free(env.mp);
		rte_eal_cleanup();
	}
	return rc;
}
