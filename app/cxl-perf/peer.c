/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxl-perf's peer process (--role peer): it follows the generator's
 * commands through the control file (ctl.c) until the generator quits or
 * is gone.
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

/* the peer process: follow the generator's commands until it quits */
int
perf_peer_loop(struct perf_env *env)
{
	struct perf_ctl *c = env->ctl;
	struct perf_options *o = &env->o;
	enum perf_end pe = perf_peer_end(o);
	uint32_t seen = 0;
	bool running = false;

	while (!perf_quit) {
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
			env->nb_peer_w = perf_setup_workers(env, env->peer_w, o->peer_lcores,
						       o->nb_peer_lcores, c->tp, c->nb_cards, pe,
						       c->mode == PERF_CTL_IDLE ? perf_job_idle :
						       perf_runners[c->mode].peer_job,
						       c->pkt_len, &env->stop_peer);
			status = perf_launch(env->peer_w, env->nb_peer_w);
			running = status == 0;
			break;
		case PERF_CMD_STOP:
			env->stop_peer = 1;
			if (running)
				perf_join(env->peer_w, env->nb_peer_w);
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
		perf_join(env->peer_w, env->nb_peer_w);
	}
	return 0;
}
