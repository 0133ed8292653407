/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxl-perf's sweep: rounds x modes x sizes x transports, alternating the
 * transports at every point so that cxlmem and its peers see the same vCPU
 * placement and the same neighbours; then the cards-scaling table; the
 * choice of the median round per point, the output order, and the idle
 * core-to-core round trip measured before it all.
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

/* keep, of each point measured in several rounds, the round with the median
 * key (the runner's: delivered rate, or p50 for latency); its per-card rows
 * follow it */
void
perf_select_rounds(struct perf_env *env)
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
int
perf_result_cmp(const void *a, const void *b)
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

int
perf_sweep(struct perf_env *env)
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
					if (perf_run_point(env, m, tp, env->nb_cards[tp],
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
				if (perf_run_point(env, 0, tp, k, o->scale_size, true, round) != 0)
					return -1;
			}
	}
	return 0;
}

/* the round trip with nothing else running: both first lcores idle */
double
perf_c2c_idle(struct perf_env *env)
{
	struct perf_options *o = &env->o;
	double v[3];
	unsigned int n = 0, i;

	env->stop_gen = 0;
	if (perf_start_peer(env, PERF_TP_CXLMEM, 0, perf_job_idle, PERF_CTL_IDLE, 0, 1) != 0)
		return NAN;
	env->nb_gen_w = perf_setup_workers(env, env->gen_w, o->gen_lcores, 1, PERF_TP_CXLMEM, 0,
				      o->gen_end, perf_job_idle, 0, &env->stop_gen);
	if (perf_launch(env->gen_w, env->nb_gen_w) == 0) {
		for (i = 0; i < RTE_DIM(v); i++) {
			double ns = perf_c2c_probe(env);

			if (!isnan(ns))
				v[n++] = ns;
		}
		env->stop_gen = 1;
		perf_join(env->gen_w, env->nb_gen_w);
	}
	(void)perf_stop_peer(env, PERF_TP_CXLMEM, 0);
	return perf_median(v, n);
}
