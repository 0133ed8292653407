/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxl-perf main: EAL, the runner table (one entry per mode: which job the
 * generator end runs, which the peer end runs, how the result is finished),
 * and the sweep: rounds x modes x sizes x transports, alternating the
 * transports at every point so that cxlmem and its peers see the same vCPU
 * placement and the same neighbours; then the cards-scaling table.
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

struct perf_env;
typedef void (*perf_finish_t)(struct perf_env *env, struct perf_result *r);

struct perf_runner {
	const char *name;
	enum perf_job gen_job;
	enum perf_job peer_job;
	perf_finish_t finish;
};

struct perf_env {
	struct perf_options o;
	struct perf_card cards[PERF_TP_COUNT][PERF_MAX_CARDS];
	unsigned int nb_cards[PERF_TP_COUNT];
	struct rte_mempool *mp;
	struct perf_ctl *ctl;
	/* counters of the ends this process holds: [tp][card][queue][end] */
	struct perf_qstats qs[PERF_TP_COUNT][PERF_MAX_CARDS][PERF_MAX_QUEUES][2];
	struct perf_worker gen_w[PERF_MAX_LCORES], peer_w[PERF_MAX_LCORES];
	unsigned int nb_gen_w, nb_peer_w;
	struct perf_hist *hist[PERF_MAX_LCORES];
	volatile int stop_gen, stop_peer, measuring;
	struct perf_result *res;
	unsigned int nb_res, cap_res;
	double c2c_idle_ns;
	uint32_t run_id;
	struct perf_c2c *c2c;        /* the probe: c2c_local, or in the ctl file */
	struct perf_c2c c2c_local;
};

static void finish_throughput(struct perf_env *env, struct perf_result *r);
static void finish_latency(struct perf_env *env, struct perf_result *r);

static const struct perf_runner runners[PERF_MODE_COUNT] = {
	[PERF_MODE_THROUGHPUT] = {"throughput", PERF_JOB_TX, PERF_JOB_RX, finish_throughput},
	[PERF_MODE_LATENCY] = {"latency", PERF_JOB_LAT, PERF_JOB_REFLECT, finish_latency},
};

static enum perf_end
peer_end(const struct perf_options *o)
{
	return o->gen_end == PERF_END_HOST ? PERF_END_DEVICE : PERF_END_HOST;
}

/* counters of one (card, queue, end), wherever they live */
static struct perf_qstats *
qstats(struct perf_env *env, enum perf_tp tp, unsigned int card, unsigned int q,
	enum perf_end end)
{
	if (env->ctl != NULL && end == peer_end(&env->o))
		return &env->ctl->qs[tp][card][q];
	return &env->qs[tp][card][q][end];
}

static double
now_s(void)
{
	return (double)rte_get_timer_cycles() / (double)rte_get_timer_hz();
}

/* sleep until absolute time t (now_s clock); false if interrupted */
static bool
sleep_until(double t)
{
	for (;;) {
		double left = t - now_s();

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
	      unsigned int nb_lcores, enum perf_tp tp, unsigned int nb_cards,
	      enum perf_end end, enum perf_job job, unsigned int pkt_len, volatile int *stop)
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

/* ---- counters of a point ---- */

struct perf_snap {
	uint64_t tx_pkts[PERF_MAX_CARDS], tx_bytes[PERF_MAX_CARDS];  /* generator end */
	uint64_t rx_pkts[PERF_MAX_CARDS], rx_bytes[PERF_MAX_CARDS];  /* peer end */
	uint64_t back_pkts[PERF_MAX_CARDS];                          /* generator end rx */
	uint64_t tx_full[PERF_MAX_CARDS], lost[PERF_MAX_CARDS];
	uint64_t gen_cyc[PERF_MAX_CARDS], peer_cyc[PERF_MAX_CARDS];
	uint64_t gen_c2c[PERF_MAX_CARDS], peer_c2c[PERF_MAX_CARDS];  /* probe ns */
	struct perf_portsnap port[PERF_MAX_CARDS][2];
	double t;
};

static void
read_counters(struct perf_env *env, enum perf_tp tp, unsigned int nb_cards, struct perf_snap *s)
{
	enum perf_end ge = env->o.gen_end, pe = peer_end(&env->o);
	unsigned int c, q;

	s->t = now_s();
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
read_ports(struct perf_env *env, enum perf_tp tp, unsigned int nb_cards, struct perf_snap *s)
{
	enum perf_end pe = peer_end(&env->o);
	unsigned int c, e;

	for (c = 0; c < nb_cards; c++)
		for (e = 0; e < 2; e++)
			perf_port_snap(env->cards[tp][c].port[e], &s->port[c][e]);
	if (env->ctl != NULL) {
		if (perf_ctl_cmd(env->ctl, PERF_CMD_SNAP, tp, nb_cards, PERF_JOB_NONE, 0) != 0)
			return -1;
		for (c = 0; c < nb_cards; c++)
			s->port[c][pe] = env->ctl->snap[tp][c];
	}
	return 0;
}

static uint64_t
rx_sum(const struct perf_snap *s, unsigned int nb_cards)
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

static void
finish_throughput(struct perf_env *env, struct perf_result *r)
{
	(void)env;
	r->p50 = r->p90 = r->p99 = r->p999 = r->max_ns = r->min_ns = r->mean_ns = NAN;
}

static void
finish_latency(struct perf_env *env, struct perf_result *r)
{
	static struct perf_hist all;
	double ns = 1e9 / (double)rte_get_tsc_hz();
	unsigned int i;

	memset(&all, 0, sizeof(all));
	for (i = 0; i < env->nb_gen_w; i++)
		perf_hist_merge(&all, env->hist[i]);
	r->lat_samples = all.count;
	if (all.count == 0) {
		r->p50 = r->p90 = r->p99 = r->p999 = r->max_ns = r->min_ns = r->mean_ns = NAN;
		return;
	}
	r->p50 = perf_hist_percentile(&all, 50) * ns;
	r->p90 = perf_hist_percentile(&all, 90) * ns;
	r->p99 = perf_hist_percentile(&all, 99) * ns;
	r->p999 = perf_hist_percentile(&all, 99.9) * ns;
	r->max_ns = all.max * ns;
	r->min_ns = all.min * ns;
	r->mean_ns = all.sum / all.count * ns;
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

/* one measuring point: warm-up, measure, drain; appends the results */
static int
run_point(struct perf_env *env, const struct perf_runner *run, enum perf_mode mode,
	  enum perf_tp tp, unsigned int nb_cards, unsigned int pkt_len, bool scaling,
	  unsigned int round)
{
	static struct perf_snap s_init, s0, s1, s_prev, s_end;
	struct perf_options *o = &env->o;
	double rates[PERF_MAX_SAMPLES], c2c[PERF_MAX_SAMPLES];
	double near[PERF_MAX_SAMPLES], far[PERF_MAX_SAMPLES], c2c_all[PERF_MAX_SAMPLES];
	double shared[PERF_MAX_SAMPLES];
	unsigned int ns = 0, nn = 0, nf = 0, nsh = 0, nc = 0, i, c;
	enum perf_end ge = o->gen_end, pe = peer_end(o);
	struct perf_result *agg;
	double t_meas_end, t, drain_end;
	uint64_t last;
	int ret = 0;

	for (i = 0; i < o->nb_gen_lcores; i++)
		memset(env->hist[i], 0, sizeof(*env->hist[i]));
	env->stop_gen = env->stop_peer = 0;
	env->measuring = 0;
	env->run_id++;
	read_counters(env, tp, nb_cards, &s_init);

	/* receiver first, then the generator */
	if (env->ctl == NULL) {
		env->nb_peer_w = setup_workers(env, env->peer_w, o->peer_lcores, o->nb_peer_lcores,
					       tp, nb_cards, pe, run->peer_job, pkt_len,
					       &env->stop_peer);
		if (launch(env->peer_w, env->nb_peer_w) != 0)
			return -1;
	} else if (perf_ctl_cmd(env->ctl, PERF_CMD_START, tp, nb_cards, run->peer_job,
				pkt_len) != 0) {
		return -1;
	}
	env->nb_gen_w = setup_workers(env, env->gen_w, o->gen_lcores, o->nb_gen_lcores, tp,
				      nb_cards, ge, run->gen_job, pkt_len, &env->stop_gen);
	if (launch(env->gen_w, env->nb_gen_w) != 0) {
		env->stop_peer = 1;
		return -1;
	}

	if (!sleep_until(now_s() + o->warmup_s))
		ret = -1;
	if (ret == 0 && read_ports(env, tp, nb_cards, &s0) != 0)
		ret = -1;
	read_counters(env, tp, nb_cards, &s0);
	env->measuring = 1;
	s_prev = s0;
	t_meas_end = s0.t + o->measure_s;
	/* one-second samples, each with a core-to-core probe in its middle */
	while (ret == 0 && s_prev.t < t_meas_end - 1e-3) {
		double t_next = RTE_MIN(s_prev.t + 1.0, t_meas_end);
		double probe = NAN, rate;
		struct perf_snap s;

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
		read_counters(env, tp, nb_cards, &s);
		rate = (double)(rx_sum(&s, nb_cards) - rx_sum(&s_prev, nb_cards)) /
		       (s.t - s_prev.t) / 1e6;
		if (ns < PERF_MAX_SAMPLES) {
			rates[ns] = rate;
			c2c[ns++] = probe;
		}
		if (o->progress) {
			uint64_t txp = 0;

			for (c = 0; c < nb_cards; c++)
				txp += s.tx_pkts[c] - s_prev.tx_pkts[c];
			fprintf(stderr, "  [%s %s %ucard %uB r%u] %4.1fs %8.3f Mpps rx %8.3f Mpps tx  c2c %s%.0f ns\n",
				perf_tp_name(tp), run->name, nb_cards, pkt_len, round,
				s.t - s0.t, rate, (double)txp / (s.t - s_prev.t) / 1e6,
				isnan(probe) ? "NA " : "", isnan(probe) ? 0.0 : probe);
		}
		s_prev = s;
	}
	env->measuring = 0;
	read_counters(env, tp, nb_cards, &s1);
	if (ret == 0 && read_ports(env, tp, nb_cards, &s1) != 0)
		ret = -1;
	read_counters(env, tp, nb_cards, &s1);
	t = s1.t - s0.t;

	/* stop the generator, let the receiver drain, stop the receiver */
	env->stop_gen = 1;
	join(env->gen_w, env->nb_gen_w);
	last = rx_sum(&s1, nb_cards);
	drain_end = now_s() + 1.0;
	for (;;) {
		uint64_t cur;

		rte_delay_us_sleep(50000);
		read_counters(env, tp, nb_cards, &s_end);
		cur = rx_sum(&s_end, nb_cards);
		if (cur == last || now_s() > drain_end)
			break;
		last = cur;
	}
	if (env->ctl == NULL) {
		env->stop_peer = 1;
		join(env->peer_w, env->nb_peer_w);
	} else if (perf_ctl_cmd(env->ctl, PERF_CMD_STOP, tp, nb_cards, PERF_JOB_NONE, 0) != 0) {
		ret = -1;
	}
	read_counters(env, tp, nb_cards, &s_end);
	if (ret != 0)
		return ret;

	for (i = 0; i < ns; i++) {
		if (isnan(c2c[i]))
			continue;
		c2c_all[nc++] = c2c[i];
		if (c2c[i] < o->c2c_split_ns)
			near[nn++] = rates[i];
		else if (c2c[i] < PERF_C2C_SHARED_NS)
			far[nf++] = rates[i];
		else
			shared[nsh++] = rates[i];
	}

	/* the aggregate row, then one per card when there are several */
	agg = NULL;
	for (c = 0; c <= nb_cards; c++) {
		unsigned int c_lo = c == 0 ? 0 : c - 1, c_hi = c == 0 ? nb_cards : c, k;
		struct perf_result *r;
		uint64_t delivered = 0, gcyc = 0, pcyc = 0, gc2c = 0, pc2c = 0;
		double wr = 0, rd = 0, lcore_cyc;

		if (c == 1 && nb_cards == 1)
			break;
		r = new_result(env);
		if (r == NULL)
			return -1;
		if (c == 0)
			agg = r;
		r->tp = tp;
		r->mode = mode;
		r->scaling = scaling;
		r->card = c == 0 ? -1 : (int)c - 1;
		r->nb_cards = nb_cards;
		r->pkt_len = pkt_len;
		r->round = round;
		r->secs = t;
		for (k = c_lo; k < c_hi; k++) {
			r->tx_pkts += s1.tx_pkts[k] - s0.tx_pkts[k];
			r->tx_bytes += s1.tx_bytes[k] - s0.tx_bytes[k];
			r->rx_pkts += s1.rx_pkts[k] - s0.rx_pkts[k];
			r->rx_bytes += s1.rx_bytes[k] - s0.rx_bytes[k];
			r->tx_full += s1.tx_full[k] - s0.tx_full[k];
			gcyc += s1.gen_cyc[k] - s0.gen_cyc[k];
			pcyc += s1.peer_cyc[k] - s0.peer_cyc[k];
			gc2c += s1.gen_c2c[k] - s0.gen_c2c[k];
			pc2c += s1.peer_c2c[k] - s0.peer_c2c[k];
			delivered += (s1.rx_pkts[k] - s0.rx_pkts[k]) +
				     (s1.back_pkts[k] - s0.back_pkts[k]);
			if (mode == PERF_MODE_THROUGHPUT) {
				uint64_t sent = s_end.tx_pkts[k] - s_init.tx_pkts[k];
				uint64_t got = s_end.rx_pkts[k] - s_init.rx_pkts[k];

				r->drops += sent > got ? sent - got : 0;
			} else {
				r->lost += s_end.lost[k] - s_init.lost[k];
				r->drops += s_end.lost[k] - s_init.lost[k];
			}
			r->drops += (s1.port[k][pe].imissed - s0.port[k][pe].imissed);
			wr += delta_ratio(s0.port[k][0].win_wr, s1.port[k][0].win_wr,
					  s0.port[k][1].win_wr, s1.port[k][1].win_wr, 1);
			rd += delta_ratio(s0.port[k][0].win_rd, s1.port[k][0].win_rd,
					  s0.port[k][1].win_rd, s1.port[k][1].win_rd, 1);
		}
		if (mode == PERF_MODE_LATENCY) {
			/* a round trip: the echo counts as received, not sent */
			r->rx_pkts = 0;
			r->rx_bytes = 0;
			for (k = c_lo; k < c_hi; k++) {
				r->rx_pkts += s1.back_pkts[k] - s0.back_pkts[k];
				r->rx_bytes += (s1.back_pkts[k] - s0.back_pkts[k]) * pkt_len;
			}
		}
		r->tx_mpps = (double)r->tx_pkts / t / 1e6;
		r->rx_mpps = (double)r->rx_pkts / t / 1e6;
		r->gbps = (double)r->rx_bytes * 8 / t / 1e9;
		r->win_wr_per_pkt = delivered ? wr / (double)delivered : NAN;
		r->win_rd_per_pkt = delivered ? rd / (double)delivered : NAN;
		/* cost per packet where each end spent it (no PMU in a VM:
		 * TSC cycles of the polls that moved packets) */
		r->gen_cyc_per_pkt = mode == PERF_MODE_THROUGHPUT && r->tx_pkts ?
				     (double)gcyc / (double)r->tx_pkts : NAN;
		r->peer_cyc_per_pkt = mode == PERF_MODE_THROUGHPUT && r->rx_pkts ?
				      (double)pcyc / (double)r->rx_pkts : NAN;
		lcore_cyc = t * (double)rte_get_tsc_hz();
		r->gen_busy = mode == PERF_MODE_THROUGHPUT ?
			      (double)gcyc / (lcore_cyc * o->nb_gen_lcores) : NAN;
		r->peer_busy = mode == PERF_MODE_THROUGHPUT ?
			       (double)pcyc / (lcore_cyc * (o->nb_peer_lcores ? o->nb_peer_lcores : 1)) : NAN;
		r->c2c_ns = c == 0 ? perf_median(c2c_all, nc) : agg->c2c_ns;
		/* the probe runs on one lcore of each end */
		r->c2c_cost = c == 0 ? (double)RTE_MAX(gc2c, pc2c) / (t * 1e9) : agg->c2c_cost;
		r->load1 = load1();
		if (c == 0) {
			r->mpps_near = perf_median(near, nn) / (mode == PERF_MODE_LATENCY ? 2 : 1);
			r->mpps_far = perf_median(far, nf) / (mode == PERF_MODE_LATENCY ? 2 : 1);
			r->mpps_shared = perf_median(shared, nsh) / (mode == PERF_MODE_LATENCY ? 2 : 1);
			r->n_near = nn;
			r->n_far = nf;
			r->n_shared = nsh;
			run->finish(env, r);
		} else {
			r->mpps_near = r->mpps_far = r->mpps_shared = NAN;
			finish_throughput(env, r); /* per-card rows carry no latency */
			if (mode == PERF_MODE_LATENCY) {
				r->lat_samples = 0;
			}
		}
	}
	return 0;
}

/* keep, of each point measured in several rounds, the round with the median
 * delivered rate (latency: median p50); its per-card rows follow it */
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
				key[n] = b->mode == PERF_MODE_LATENCY ? b->p50 : b->rx_mpps;
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
		for (m = 0; m < PERF_MODE_COUNT; m++) {
			if (!o->mode_on[m])
				continue;
			for (s = 0; s < o->nb_sizes; s++)
				for (tp = 0; tp < PERF_TP_COUNT; tp++) {
					if (env->nb_cards[tp] == 0)
						continue;
					if (run_point(env, &runners[m], m, tp, env->nb_cards[tp],
						      o->sizes[s], false, round) != 0)
						return -1;
				}
		}
		if (!o->scaling)
			continue;
		for (k = 1; k <= env->nb_cards[PERF_TP_CXLMEM]; k++)
			for (tp = 0; tp < PERF_TP_COUNT; tp++) {
				if (env->nb_cards[tp] < k)
					continue;
				if (run_point(env, &runners[PERF_MODE_THROUGHPUT],
					      PERF_MODE_THROUGHPUT, tp, k, o->scale_size, true,
					      round) != 0)
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
			rte_delay_us_sleep(2000);
			continue;
		}
		seen = seq;
		switch (c->cmd) {
		case PERF_CMD_START:
			if (running || c->tp >= PERF_TP_COUNT || c->nb_cards > env->nb_cards[c->tp]) {
				status = -1;
				break;
			}
			env->stop_peer = 0;
			env->nb_peer_w = setup_workers(env, env->peer_w, o->peer_lcores,
						       o->nb_peer_lcores, c->tp, c->nb_cards, pe,
						       c->job, c->pkt_len, &env->stop_peer);
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

	env->stop_gen = env->stop_peer = 0;
	if (env->ctl == NULL) {
		env->nb_peer_w = setup_workers(env, env->peer_w, o->peer_lcores, 1, PERF_TP_CXLMEM,
					       0, peer_end(o), PERF_JOB_IDLE, 0, &env->stop_peer);
		if (launch(env->peer_w, env->nb_peer_w) != 0)
			return NAN;
	} else if (perf_ctl_cmd(env->ctl, PERF_CMD_START, PERF_TP_CXLMEM, 0, PERF_JOB_IDLE,
				0) != 0) {
		return NAN;
	}
	env->nb_gen_w = setup_workers(env, env->gen_w, o->gen_lcores, 1, PERF_TP_CXLMEM, 0,
				      o->gen_end, PERF_JOB_IDLE, 0, &env->stop_gen);
	if (launch(env->gen_w, env->nb_gen_w) == 0) {
		for (i = 0; i < RTE_DIM(v); i++) {
			double ns = c2c_probe(env);

			if (!isnan(ns))
				v[n++] = ns;
		}
		env->stop_gen = 1;
		join(env->gen_w, env->nb_gen_w);
	}
	if (env->ctl == NULL) {
		env->stop_peer = 1;
		join(env->peer_w, env->nb_peer_w);
	} else {
		(void)perf_ctl_cmd(env->ctl, PERF_CMD_STOP, PERF_TP_CXLMEM, 0, PERF_JOB_NONE, 0);
	}
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
		    perf_ctl_cmd(env.ctl, PERF_CMD_QUIT, 0, 0, PERF_JOB_NONE, 0) == 0) {
			/* let the peer go and our interrupt thread see its
			 * sockets close before we tear ours down: memif's
			 * teardown races with a disconnect being handled */
			double end = now_s() + 5;

			while (kill((pid_t)env.ctl->peer_pid, 0) == 0 && now_s() < end)
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
	if (env.nb_cards[PERF_TP_MEMIF] == 0) {
		rte_mempool_free(env.mp);
		rte_eal_cleanup();
	}
	return rc;
}
