/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxl-perf main: EAL, options, the cards and the control file, then the
 * sweep (sweep.c, which measures each point with engine.c) and the report,
 * or, in the peer process, the peer's loop (peer.c).
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

volatile sig_atomic_t perf_quit;

static void
on_signal(int sig)
{
	(void)sig;
	perf_quit = 1;
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
		env.ctl = perf_ctl_attach(o->ctl_path, o->link_timeout_s * 3, &perf_quit);
		if (env.ctl == NULL)
			goto out;
		env.c2c = &env.ctl->c2c;
	}
	if (!host_here && perf_cards_create(o, env.cards, env.nb_cards, env.mp) != 0)
		goto out;
	if (o->role == PERF_ROLE_PEER) {
		printf("# cxl-perf peer: attached to %s, following the generator\n", o->ctl_path);
		fflush(stdout);
		rc = perf_peer_loop(&env);
		goto out;
	}
	if (env.ctl != NULL && perf_ctl_wait_peer(env.ctl, o->link_timeout_s * 3, &perf_quit) != 0)
		goto out;
	if (perf_cards_wait_link(env.cards, env.nb_cards, o->link_timeout_s, &perf_quit) != 0)
		goto out;
	if (o->c2c) {
		env.c2c_idle_ns = perf_c2c_idle(&env);
		printf("# cxl-perf: core-to-core round trip lcore %u (CPU %u) <-> %slcore %u "
		       "at start: %.0f ns\n", o->gen_lcores[0],
		       rte_lcore_to_cpu_id(o->gen_lcores[0]), env.ctl ? "the peer's " : "",
		       o->peer_lcores[0], env.c2c_idle_ns);
	}

	if (perf_sweep(&env) != 0 && !perf_quit)
		goto out;
	perf_select_rounds(&env);
	if (env.nb_res > 1)
		qsort(env.res, env.nb_res, sizeof(env.res[0]), perf_result_cmp);
	perf_report_table(stdout, o, env.res, env.nb_res);
	rc = 0;
	if (o->json_path[0] &&
	    perf_report_json(o->json_path, o, env.res, env.nb_res, env.c2c_idle_ns) != 0)
		rc = 1;
	if (o->csv_path[0] && perf_report_csv(o->csv_path, env.res, env.nb_res) != 0)
		rc = 1;
	if (perf_quit)
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
