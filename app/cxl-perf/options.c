/* SPDX-License-Identifier: BSD-3-Clause */
/* cxl-perf command line: everything after EAL's "--". */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_string_fns.h>

#include "cxl_perf.h"

const char *
perf_tp_name(unsigned int tp)
{
	return tp < perf_nb_transports ? perf_transports[tp].name : "?";
}

/* index of the transport called name, or -1 */
int
perf_tp_lookup(const char *name)
{
	unsigned int tp;

	for (tp = 0; tp < perf_nb_transports; tp++)
		if (strcmp(name, perf_transports[tp].name) == 0)
			return (int)tp;
	return -1;
}

const char *
perf_mode_name(unsigned int mode)
{
	return mode < perf_nb_runners ? perf_runners[mode].name : "?";
}

static const unsigned int full_sweep[] = {64, 128, 256, 512, 1024, 1518, 4096, 9000};

void
perf_options_usage(const char *prog)
{
	unsigned int i;

	printf("Usage: %s [EAL options] -- [options]\n"
	"\n"
	"Cards (each a window with a host end and a device end):\n"
	"  --card ARGS         a net_cxlmem window, devargs without role, e.g.\n"
	"                      path=/dev/shm/w0,size=64M or dax=dax0.0; repeatable\n"
	"  --cards N           N generated windows /dev/shm/cxl-perf-TAG-cardK.win\n"
	"  --card-extra ARGS   devargs appended to every card (e.g. coherence=flush)\n"
	"  --win-size SIZE     size= of generated windows (default: the PMD's)\n"
	"  --queues Q          queue pairs per card (default 1)\n"
	"  --gen-end host|device  end that generates (default host)\n"
	"  --compare LIST      also run these transports with the same workload\n"
	"                      (memif: server end = host; ring: one process only)\n"
	"  --transports LIST   exactly these transports (default %s)\n"
	"                      transports:", prog, perf_transports[0].name);
	for (i = 0; i < perf_nb_transports; i++)
		printf(" %s%s%s%s", perf_transports[i].name, perf_transports[i].devargs[0] ? " (" : "",
		       perf_transports[i].devargs, perf_transports[i].devargs[0] ? ")" : "");
	printf("\n"
	"\n"
	"Processes and lcores:\n"
	"  --role both|gen|peer  both ends here (default), or the generator /\n"
	"                      the sink-reflector process of a two-process run;\n"
	"                      give both processes the same options and --tag\n"
	"  --gen-lcores LIST   lcores of the generator (default: first worker)\n"
	"  --peer-lcores LIST  lcores of the sink/reflector (default: next worker,\n"
	"                      or the first worker with --role peer)\n"
	"  --tag NAME          names the control file, sockets, windows (default cxl-perf)\n"
	"\n"
	"Workload:\n");
	printf("  --mode MODE|all     what to measure (default %s); MODE is one of:\n"
	       "                     ", perf_runners[0].name);
	for (i = 0; i < perf_nb_runners; i++)
		printf(" %s%s%s%s", perf_runners[i].name, perf_runners[i].alias ? " (" : "",
		       perf_runners[i].alias ? perf_runners[i].alias : "",
		       perf_runners[i].alias ? ")" : "");
	printf("\n"
	"  --sizes LIST|full   frame lengths in bytes, no FCS (default full:\n"
	"                      64,128,256,512,1024,1518,4096,9000)\n"
	"  --warmup SEC        per point, not measured (default 1)\n"
	"  --time SEC          measuring time per point (default 3)\n"
	"  --burst N           packets per burst (default 32)\n"
	"  --inflight N        latency: packets outstanding per queue (default 1)\n"
	"  --rounds R          repeat the whole alternation R times; the table\n"
	"                      keeps each point's median round (default 1)\n"
	"  --scaling           also run 1..N cards at --scale-size (default 64)\n"
	"  --mbufs N           mbufs in the pool (default 16384)\n"
	"  --link-timeout SEC  wait for links up (default 20)\n"
	"\n"
	"Output:\n"
	"  --json FILE, --csv FILE   results ('-' = stdout)\n"
	"  --no-progress       no per-second lines on stderr\n"
	"  --no-c2c            no core-to-core probe (run by the first generator and\n"
	"                      the first peer lcore, a few microseconds a second)\n"
	"  --c2c-split NS      near/far threshold of the probe (default 250)\n"
	"  --keep-files        keep generated window files\n"
	"  -h, --help\n");
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_double(const char *s, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min)
		return -1;
	*out = v;
	return 0;
}

/* comma-separated unsigned list; "a-b" ranges allowed */
static int
parse_list(const char *s, unsigned int *out, unsigned int max_n, unsigned int *n,
	   unsigned long lo, unsigned long hi)
{
	char buf[512], *tok, *save = NULL;

	if (rte_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		unsigned int a, b, i;

		if (dash) {
			*dash = '\0';
			if (parse_uint(tok, lo, hi, &a) || parse_uint(dash + 1, lo, hi, &b) || b < a)
				return -1;
		} else {
			if (parse_uint(tok, lo, hi, &a))
				return -1;
			b = a;
		}
		for (i = a; i <= b; i++) {
			if (*n >= max_n)
				return -1;
			out[(*n)++] = i;
		}
	}
	return *n ? 0 : -1;
}

enum {
	OPT_CARD = 256, OPT_CARDS, OPT_CARD_EXTRA, OPT_WIN_SIZE, OPT_QUEUES, OPT_GEN_END,
	OPT_COMPARE, OPT_ROLE, OPT_GEN_LCORES, OPT_PEER_LCORES, OPT_TAG, OPT_MODE,
	OPT_SIZES, OPT_WARMUP, OPT_TIME, OPT_BURST, OPT_INFLIGHT, OPT_ROUNDS,
	OPT_SCALING, OPT_SCALE_SIZE, OPT_MBUFS, OPT_LINK_TIMEOUT, OPT_JSON, OPT_CSV,
	OPT_NO_PROGRESS, OPT_NO_C2C, OPT_C2C_SPLIT, OPT_KEEP, OPT_CTL, OPT_TRANSPORTS,
};

static const struct option long_opts[] = {
	{"card", required_argument, NULL, OPT_CARD},
	{"cards", required_argument, NULL, OPT_CARDS},
	{"card-extra", required_argument, NULL, OPT_CARD_EXTRA},
	{"win-size", required_argument, NULL, OPT_WIN_SIZE},
	{"queues", required_argument, NULL, OPT_QUEUES},
	{"gen-end", required_argument, NULL, OPT_GEN_END},
	{"compare", required_argument, NULL, OPT_COMPARE},
	{"transports", required_argument, NULL, OPT_TRANSPORTS},
	{"role", required_argument, NULL, OPT_ROLE},
	{"gen-lcores", required_argument, NULL, OPT_GEN_LCORES},
	{"peer-lcores", required_argument, NULL, OPT_PEER_LCORES},
	{"tag", required_argument, NULL, OPT_TAG},
	{"ctl", required_argument, NULL, OPT_CTL},
	{"mode", required_argument, NULL, OPT_MODE},
	{"sizes", required_argument, NULL, OPT_SIZES},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"time", required_argument, NULL, OPT_TIME},
	{"burst", required_argument, NULL, OPT_BURST},
	{"inflight", required_argument, NULL, OPT_INFLIGHT},
	{"rounds", required_argument, NULL, OPT_ROUNDS},
	{"scaling", no_argument, NULL, OPT_SCALING},
	{"scale-size", required_argument, NULL, OPT_SCALE_SIZE},
	{"mbufs", required_argument, NULL, OPT_MBUFS},
	{"link-timeout", required_argument, NULL, OPT_LINK_TIMEOUT},
	{"json", required_argument, NULL, OPT_JSON},
	{"csv", required_argument, NULL, OPT_CSV},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"no-c2c", no_argument, NULL, OPT_NO_C2C},
	{"c2c-split", required_argument, NULL, OPT_C2C_SPLIT},
	{"keep-files", no_argument, NULL, OPT_KEEP},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void
set_defaults(struct perf_options *o)
{
	memset(o, 0, sizeof(*o));
	o->role = PERF_ROLE_BOTH;
	o->mode_on[0] = true;
	o->tp_on[PERF_TP_CXLMEM] = true;
	o->nb_queues = 1;
	o->gen_end = PERF_END_HOST;
	memcpy(o->sizes, full_sweep, sizeof(full_sweep));
	o->nb_sizes = RTE_DIM(full_sweep);
	o->warmup_s = 1.0;
	o->measure_s = 3.0;
	o->burst = 32;
	o->inflight = 1;
	o->rounds = 1;
	o->scale_size = 64;
	o->nb_mbufs = 16384;
	o->nb_desc = 1024;
	o->link_timeout_s = 20.0;
	rte_strlcpy(o->tag, "cxl-perf", sizeof(o->tag));
	o->progress = true;
	o->c2c = true;
	o->c2c_split_ns = 250;
}

/* default lcores: the workers in order, generator first */
static int
default_lcores(struct perf_options *o)
{
	unsigned int workers[PERF_MAX_LCORES], n = 0, lc;

	RTE_LCORE_FOREACH_WORKER(lc) {
		if (n < PERF_MAX_LCORES)
			workers[n++] = lc;
	}
	if (o->nb_gen_lcores == 0 && o->role != PERF_ROLE_PEER) {
		if (n < 1)
			return -1;
		o->gen_lcores[0] = workers[0];
		o->nb_gen_lcores = 1;
	}
	if (o->nb_peer_lcores == 0 && o->role != PERF_ROLE_GEN) {
		unsigned int k = o->role == PERF_ROLE_PEER ? 0 : 1;

		if (n <= k)
			return -1;
		o->peer_lcores[0] = workers[k];
		o->nb_peer_lcores = 1;
	}
	return 0;
}

static int
check_lcores(const unsigned int *l, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!rte_lcore_is_enabled(l[i]) || l[i] == rte_get_main_lcore()) {
			fprintf(stderr, "cxl-perf: lcore %u is not an enabled worker lcore\n", l[i]);
			return -1;
		}
	}
	return 0;
}

int
perf_options_parse(struct perf_options *o, int argc, char **argv)
{
	int opt, idx = 0;

	set_defaults(o);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		switch (opt) {
		case OPT_CARD:
			if (o->nb_card_args >= PERF_MAX_CARDS)
				goto bad;
			o->card_args[o->nb_card_args++] = optarg;
			break;
		case OPT_CARDS:
			if (parse_uint(optarg, 1, PERF_MAX_CARDS, &o->nb_gen_cards))
				goto bad;
			break;
		case OPT_CARD_EXTRA:
			rte_strlcpy(o->card_extra, optarg, sizeof(o->card_extra));
			break;
		case OPT_WIN_SIZE:
			rte_strlcpy(o->win_size, optarg, sizeof(o->win_size));
			break;
		case OPT_QUEUES:
			if (parse_uint(optarg, 1, PERF_MAX_QUEUES, &o->nb_queues))
				goto bad;
			break;
		case OPT_GEN_END:
			if (strcmp(optarg, "host") == 0)
				o->gen_end = PERF_END_HOST;
			else if (strcmp(optarg, "device") == 0)
				o->gen_end = PERF_END_DEVICE;
			else
				goto bad;
			break;
		case OPT_TRANSPORTS:
			memset(o->tp_on, 0, sizeof(o->tp_on));
			/* fall through */
		case OPT_COMPARE: {
			char buf[128], *tok, *save = NULL;

			rte_strlcpy(buf, optarg, sizeof(buf));
			for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int tp = perf_tp_lookup(tok);

				if (tp < 0)
					goto bad;
				o->tp_on[tp] = true;
			}
			break;
		}
		case OPT_ROLE:
			if (strcmp(optarg, "both") == 0)
				o->role = PERF_ROLE_BOTH;
			else if (strcmp(optarg, "gen") == 0)
				o->role = PERF_ROLE_GEN;
			else if (strcmp(optarg, "peer") == 0)
				o->role = PERF_ROLE_PEER;
			else
				goto bad;
			break;
		case OPT_GEN_LCORES:
			if (parse_list(optarg, o->gen_lcores, PERF_MAX_LCORES, &o->nb_gen_lcores,
				       0, RTE_MAX_LCORE - 1))
				goto bad;
			break;
		case OPT_PEER_LCORES:
			if (parse_list(optarg, o->peer_lcores, PERF_MAX_LCORES, &o->nb_peer_lcores,
				       0, RTE_MAX_LCORE - 1))
				goto bad;
			break;
		case OPT_TAG:
			if (rte_strlcpy(o->tag, optarg, sizeof(o->tag)) >= sizeof(o->tag) ||
			    strpbrk(optarg, "/,= ") != NULL)
				goto bad;
			break;
		case OPT_CTL:
			rte_strlcpy(o->ctl_path, optarg, sizeof(o->ctl_path));
			break;
		case OPT_MODE: {
			unsigned int m;
			bool all = strcmp(optarg, "all") == 0, found = all;

			for (m = 0; m < perf_nb_runners; m++) {
				const struct perf_runner *run = &perf_runners[m];

				o->mode_on[m] = all || strcmp(optarg, run->name) == 0 ||
						(run->alias && strcmp(optarg, run->alias) == 0);
				found |= o->mode_on[m];
			}
			if (!found)
				goto bad;
			break;
		}
		case OPT_SIZES:
			if (strcmp(optarg, "full") == 0) {
				memcpy(o->sizes, full_sweep, sizeof(full_sweep));
				o->nb_sizes = RTE_DIM(full_sweep);
			} else if (parse_list(optarg, o->sizes, PERF_MAX_SIZES, &o->nb_sizes,
					      PERF_MIN_FRAME, PERF_MAX_FRAME)) {
				goto bad;
			}
			break;
		case OPT_WARMUP:
			if (parse_double(optarg, 0, &o->warmup_s))
				goto bad;
			break;
		case OPT_TIME:
			if (parse_double(optarg, 0.1, &o->measure_s) ||
			    o->measure_s > PERF_MAX_SAMPLES)
				goto bad;
			break;
		case OPT_BURST:
			if (parse_uint(optarg, 1, PERF_MAX_BURST, &o->burst))
				goto bad;
			break;
		case OPT_INFLIGHT:
			if (parse_uint(optarg, 1, 4096, &o->inflight))
				goto bad;
			break;
		case OPT_ROUNDS:
			if (parse_uint(optarg, 1, 99, &o->rounds))
				goto bad;
			break;
		case OPT_SCALING:
			o->scaling = true;
			break;
		case OPT_SCALE_SIZE:
			if (parse_uint(optarg, PERF_MIN_FRAME, PERF_MAX_FRAME, &o->scale_size))
				goto bad;
			break;
		case OPT_MBUFS:
			if (parse_uint(optarg, 1024, 1u << 22, &o->nb_mbufs))
				goto bad;
			break;
		case OPT_LINK_TIMEOUT:
			if (parse_double(optarg, 0.1, &o->link_timeout_s))
				goto bad;
			break;
		case OPT_JSON:
			rte_strlcpy(o->json_path, optarg, sizeof(o->json_path));
			break;
		case OPT_CSV:
			rte_strlcpy(o->csv_path, optarg, sizeof(o->csv_path));
			break;
		case OPT_NO_PROGRESS:
			o->progress = false;
			break;
		case OPT_NO_C2C:
			o->c2c = false;
			break;
		case OPT_C2C_SPLIT:
			if (parse_uint(optarg, 1, 100000, &o->c2c_split_ns))
				goto bad;
			break;
		case OPT_KEEP:
			o->keep_files = true;
			break;
		case 'h':
			perf_options_usage(argv[0]);
			return 1;
		default:
			perf_options_usage(argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cxl-perf: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->nb_card_args == 0 && o->nb_gen_cards == 0)
		o->nb_gen_cards = 1;
	if (o->nb_card_args && o->nb_gen_cards) {
		fprintf(stderr, "cxl-perf: --card and --cards are exclusive\n");
		return -1;
	}
	for (idx = 0; idx < (int)perf_nb_transports; idx++) {
		const struct perf_transport *t = &perf_transports[idx];

		if (o->role != PERF_ROLE_BOTH && o->tp_on[idx] && t->drv == PERF_DRV_RING) {
			fprintf(stderr, "cxl-perf: note: %s is an in-process ceiling, skipped with --role %s\n",
				t->name, o->role == PERF_ROLE_GEN ? "gen" : "peer");
			o->tp_on[idx] = false;
		}
		/* a window holds one card: variants need windows of their own */
		if (o->tp_on[idx] && idx != PERF_TP_CXLMEM && t->drv == PERF_DRV_CXLMEM &&
		    o->nb_card_args) {
			fprintf(stderr, "cxl-perf: %s needs generated windows (--cards N), not --card: "
				"a window holds one card, and %s's are in use\n", t->name,
				perf_tp_name(PERF_TP_CXLMEM));
			return -1;
		}
	}
	if (default_lcores(o) < 0) {
		fprintf(stderr, "cxl-perf: not enough worker lcores (need %s)\n",
			o->role == PERF_ROLE_BOTH ? "two: a generator and a sink" : "one");
		return -1;
	}
	if (check_lcores(o->gen_lcores, o->nb_gen_lcores) ||
	    check_lcores(o->peer_lcores, o->nb_peer_lcores))
		return -1;
	if (o->ctl_path[0] == '\0')
		snprintf(o->ctl_path, sizeof(o->ctl_path), "/dev/shm/%s.ctl", o->tag);
	for (idx = 0; idx < (int)perf_nb_transports && !o->tp_on[idx]; idx++)
		;
	if (idx == (int)perf_nb_transports) {
		fprintf(stderr, "cxl-perf: no transport left to run\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "cxl-perf: bad value for --%s: '%s'\n",
		long_opts[idx].name ? long_opts[idx].name : "?", optarg ? optarg : "");
	return -1;
}
