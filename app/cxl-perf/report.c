/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Results out: a readable table on stdout, JSON (jansson) and CSV files.
 * Only the selected round of each point is printed; ratios between
 * transports are taken within a round (same placement, same neighbours) and
 * their median over the rounds is reported.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cxl_perf.h"

enum ratio_metric { RM_MPPS, RM_GBPS, RM_P50, RM_P99, RM_NEAR, RM_FAR, RM_COUNT };
static const char *const rm_names[RM_COUNT] = {"mpps", "gbps", "p50", "p99", "mpps_near",
						"mpps_far"};

static double
metric(const struct perf_result *r, enum ratio_metric m)
{
	switch (m) {
	case RM_MPPS:
		return r->rx_mpps;
	case RM_GBPS:
		return r->gbps;
	case RM_P50:
		return r->p50;
	case RM_NEAR:
		return r->mpps_near;
	case RM_FAR:
		return r->mpps_far;
	default:
		return r->p99;
	}
}

/* Median of v[0..n) (sorts v in place); NAN when n is 0. */
double
perf_median(double *v, unsigned int n)
{
	unsigned int i, j;

	if (n == 0)
		return NAN;
	for (i = 1; i < n; i++) {
		double t = v[i];

		for (j = i; j > 0 && v[j - 1] > t; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* received frame bytes / received frames, B; NaN when nothing arrived */
static double
rx_len_mean(const struct perf_result *r)
{
	return r->rx_pkts ? (double)r->rx_bytes / (double)r->rx_pkts : NAN;
}

/* Every frame of a point is pkt_len bytes: other byte counts mean the
 * transport merged or split frames on the way, and the row is not a rate
 * of pkt_len-byte frames (DPDK 22.11's net_memif did this, see memif_card()). */
static bool
frames_intact(const struct perf_result *r)
{
	return r->rx_bytes == r->rx_pkts * (uint64_t)r->pkt_len;
}

static bool
same_point(const struct perf_result *a, const struct perf_result *b)
{
	return a->mode == b->mode && a->scaling == b->scaling && a->nb_cards == b->nb_cards &&
	       a->pkt_len == b->pkt_len && a->card == b->card;
}

/* Is transport num (a net_cxlmem one) compared with transport den?  The
 * anchor (plain cxlmem) with the other drivers; a variant of it with those
 * and with the anchor. */
static bool
compared(unsigned int num, unsigned int den)
{
	if (perf_transports[num].drv != PERF_DRV_CXLMEM || den == num)
		return false;
	return perf_transports[den].drv != PERF_DRV_CXLMEM || den == PERF_TP_CXLMEM;
}

/* median over rounds of metric(a's transport) / metric(tp) at the point of a */
static double
ratio(const struct perf_result *r, unsigned int n, const struct perf_result *a,
      unsigned int tp, enum ratio_metric m)
{
	double v[100];
	unsigned int i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (r[i].tp != a->tp || !same_point(&r[i], a))
			continue;
		for (j = 0; j < n && k < 100; j++) {
			double x, y;

			if (r[j].tp != tp || r[j].round != r[i].round || !same_point(&r[j], a))
				continue;
			if (!frames_intact(&r[i]) || !frames_intact(&r[j]))
				continue; /* no rate of pkt_len frames to compare */
			x = metric(&r[i], m);
			y = metric(&r[j], m);
			if (!isnan(x) && !isnan(y) && y > 0)
				v[k++] = x / y;
		}
	}
	return perf_median(v, k);
}

/* median over rounds of aggregate(k cards) / aggregate(1 card), same tp */
static double
scale_ratio(const struct perf_result *r, unsigned int n, const struct perf_result *a)
{
	double v[100];
	unsigned int i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (!r[i].scaling || r[i].card != -1 || r[i].tp != a->tp ||
		    r[i].nb_cards != a->nb_cards)
			continue;
		for (j = 0; j < n && k < 100; j++)
			if (r[j].scaling && r[j].card == -1 && r[j].tp == a->tp &&
			    r[j].nb_cards == 1 && r[j].round == r[i].round && r[j].rx_mpps > 0)
				v[k++] = r[i].rx_mpps / r[j].rx_mpps;
	}
	return perf_median(v, k);
}

double
perf_win_x(const struct perf_result *r)
{
	if (isnan(r->win_wr_per_pkt) || isnan(r->win_rd_per_pkt))
		return NAN;
	return RTE_MAX(r->win_wr_per_pkt, r->win_rd_per_pkt) / r->pkt_len;
}

static double
efficiency(const struct perf_result *r)
{
	if (isnan(r->win_wr_per_pkt) || isnan(r->win_rd_per_pkt))
		return NAN;
	return 2.0 * r->pkt_len / (r->win_wr_per_pkt + r->win_rd_per_pkt);
}

/* width of the transport column: its longest name, at least 8 */
int
perf_tp_width(const struct perf_options *o)
{
	unsigned int tp;
	int w = 8;

	for (tp = 0; tp < perf_nb_transports; tp++)
		if (o->tp_on[tp])
			w = RTE_MAX(w, (int)strlen(perf_tp_name(tp)));
	return w;
}

/* "%*.*f" or NA */
const char *
perf_fmt(char *buf, size_t len, int width, int prec, double v)
{
	if (isnan(v))
		snprintf(buf, len, "%*s", width, "NA");
	else
		snprintf(buf, len, "%*.*f", width, prec, v);
	return buf;
}

/* the ratios of transport num over transport den, per point */
static void
ratio_table(FILE *f, const struct perf_result *r, unsigned int n, unsigned int num,
	    unsigned int den)
{
	char b[6][32];
	unsigned int i;
	bool any = false;

	for (i = 0; i < n; i++) {
		const struct perf_result *x = &r[i];

		if (!x->selected || x->scaling || x->card >= 0 || x->tp != num)
			continue;
		if (!any)
			fprintf(f, "\n== %s / %s (same run, same lcores; median of per-round ratios) ==\n"
				"%6s %-10s %7s %7s %7s %7s %9s %9s\n", perf_tp_name(num),
				perf_tp_name(den), "size", "mode", "Mpps", "Gbps", "p50", "p99",
				"Mpps near", "Mpps far");
		any = true;
		fprintf(f, "%6u %-10s %s %s %s %s %s %s\n", x->pkt_len, perf_mode_name(x->mode),
			perf_fmt(b[0], 32, 7, 2, ratio(r, n, x, den, RM_MPPS)),
			perf_fmt(b[1], 32, 7, 2, ratio(r, n, x, den, RM_GBPS)),
			perf_fmt(b[2], 32, 7, 2, ratio(r, n, x, den, RM_P50)),
			perf_fmt(b[3], 32, 7, 2, ratio(r, n, x, den, RM_P99)),
			perf_fmt(b[4], 32, 9, 2, ratio(r, n, x, den, RM_NEAR)),
			perf_fmt(b[5], 32, 9, 2, ratio(r, n, x, den, RM_FAR)));
	}
}

void
perf_report_table(FILE *f, const struct perf_options *o, const struct perf_result *r,
		  unsigned int n)
{
	char b[14][32];
	unsigned int i, tp, num;
	double cost;
	bool any;

	fprintf(f, "\n# cxl-perf results: %u queue(s)/card, burst %u, generator on the %s end, "
		"warm-up %.1f s, %.1f s measured, %u round(s)\n"
		"# Gbps: L2 frame bytes without FCS; win B/pkt: window bytes written / read "
		"per delivered packet (both ends); x: max(wr, rd) / frame length\n"
		"# samples n/f/s: one-second samples with the CPUs near (c2c < %u ns), far, or "
		"time-sharing one core (c2c >= %u ns)\n",
		o->nb_queues, o->burst, o->gen_end == PERF_END_HOST ? "host" : "device",
		o->warmup_s, o->measure_s, o->rounds, o->c2c_split_ns, PERF_C2C_SHARED_NS);

	/* each mode's own section, in the order of the runner table */
	for (i = 0; i < perf_nb_runners; i++)
		if (perf_runners[i].table != NULL)
			perf_runners[i].table(f, o, r, n, i);

	for (num = 0; num < perf_nb_transports; num++)
		for (tp = 0; tp < perf_nb_transports; tp++)
			if (o->tp_on[num] && o->tp_on[tp] && compared(num, tp))
				ratio_table(f, r, n, num, tp);

	any = false;
	for (i = 0; i < n; i++) {
		const struct perf_result *x = &r[i];

		if (!x->selected || !x->scaling)
			continue;
		if (!any)
			fprintf(f, "\n== cards scaling (%u B, same lcores) ==\n%5s %-*s %5s %9s %8s %9s %7s\n",
				o->scale_size, "cards", perf_tp_width(o), "port", "card", "rx Mpps", "Gbps",
				"vs 1 card", "c2c ns");
		any = true;
		fprintf(f, "%5u %-*s %5s %s %s %s %s\n", x->nb_cards, perf_tp_width(o),
			perf_tp_name(x->tp),
			x->card < 0 ? "all" : (snprintf(b[11], 32, "%d", x->card), b[11]),
			perf_fmt(b[0], 32, 9, 3, x->rx_mpps), perf_fmt(b[1], 32, 8, 2, x->gbps),
			perf_fmt(b[2], 32, 9, 3, x->card < 0 ? scale_ratio(r, n, x) : NAN),
			perf_fmt(b[3], 32, 7, 0, x->c2c_ns));
	}

	for (i = 0; i < n; i++) {
		const struct perf_result *x = &r[i];

		if (!x->selected || frames_intact(x))
			continue;
		fprintf(f, "\n# WARNING: %s %s %u B%s: received frames average %s B, not %u B: "
			"the transport merged or split frames, so this row is not a rate of "
			"%u-byte frames (left out of the ratios)\n",
			perf_tp_name(x->tp), perf_mode_name(x->mode), x->pkt_len,
			x->scaling ? " (scaling)" : "", perf_fmt(b[0], 32, 0, 1, rx_len_mean(x)),
			x->pkt_len, x->pkt_len);
	}

	cost = NAN;
	for (i = 0; i < n; i++)
		if (r[i].selected && !isnan(r[i].c2c_cost) && !(r[i].c2c_cost <= cost))
			cost = r[i].c2c_cost;
	if (o->c2c)
		fprintf(f, "\n# core-to-core probe: at most %s %% of a worker lcore's time at any point\n",
			perf_fmt(b[0], 32, 0, 3, cost * 100));
	fflush(f);
}

json_t *
perf_jnum(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void
iso_date(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
perf_report_json(const char *path, const struct perf_options *o,
		 const struct perf_result *r, unsigned int n, double c2c_idle_ns)
{
	json_t *root = json_object(), *opts = json_object(), *arr = json_array();
	json_t *sizes = json_array(), *cmp = json_array(), *ratios = json_array();
	char date[64], host[256];
	unsigned int i, tp, m;
	int ret;

	iso_date(date, sizeof(date));
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	json_object_set_new(root, "tool", json_string("cxl-perf"));
	json_object_set_new(root, "format", json_integer(1));
	json_object_set_new(root, "date", json_string(date));
	json_object_set_new(root, "host", json_string(host));
	json_object_set_new(root, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(root, "c2c_idle_ns", perf_jnum(c2c_idle_ns));

	for (i = 0; i < o->nb_sizes; i++)
		json_array_append_new(sizes, json_integer(o->sizes[i]));
	for (tp = 0; tp < perf_nb_transports; tp++)
		if (o->tp_on[tp])
			json_array_append_new(cmp, json_string(perf_tp_name(tp)));
	json_object_set_new(opts, "role", json_string(o->role == PERF_ROLE_BOTH ? "both" :
						      o->role == PERF_ROLE_GEN ? "gen" : "peer"));
	json_object_set_new(opts, "sizes", sizes);
	json_object_set_new(opts, "transports", cmp);
	json_object_set_new(opts, "cards", json_integer(o->nb_card_args ? o->nb_card_args :
							o->nb_gen_cards));
	json_object_set_new(opts, "queues", json_integer(o->nb_queues));
	json_object_set_new(opts, "gen_end", json_string(o->gen_end == PERF_END_HOST ?
							 "host" : "device"));
	json_object_set_new(opts, "warmup_s", json_real(o->warmup_s));
	json_object_set_new(opts, "measure_s", json_real(o->measure_s));
	json_object_set_new(opts, "burst", json_integer(o->burst));
	json_object_set_new(opts, "inflight", json_integer(o->inflight));
	json_object_set_new(opts, "rounds", json_integer(o->rounds));
	json_object_set_new(opts, "card_extra", json_string(o->card_extra));
	json_object_set_new(root, "options", opts);

	for (i = 0; i < n; i++) {
		const struct perf_result *x = &r[i];
		json_t *e;

		if (!x->selected)
			continue;
		e = json_object();
		json_object_set_new(e, "section", json_string(x->scaling ? "scaling" : "sweep"));
		json_object_set_new(e, "transport", json_string(perf_tp_name(x->tp)));
		json_object_set_new(e, "mode", json_string(perf_mode_name(x->mode)));
		json_object_set_new(e, "cards", json_integer(x->nb_cards));
		json_object_set_new(e, "card", x->card < 0 ? json_string("all") : json_integer(x->card));
		json_object_set_new(e, "pkt_len", json_integer(x->pkt_len));
		json_object_set_new(e, "round", json_integer(x->round));
		json_object_set_new(e, "seconds", perf_jnum(x->secs));
		json_object_set_new(e, "tx_pkts", json_integer((json_int_t)x->tx_pkts));
		json_object_set_new(e, "rx_pkts", json_integer((json_int_t)x->rx_pkts));
		json_object_set_new(e, "tx_mpps", perf_jnum(x->tx_mpps));
		json_object_set_new(e, "rx_mpps", perf_jnum(x->rx_mpps));
		json_object_set_new(e, "gbps", perf_jnum(x->gbps));
		json_object_set_new(e, "drops", json_integer((json_int_t)x->drops));
		json_object_set_new(e, "tx_full", json_integer((json_int_t)x->tx_full));
		json_object_set_new(e, "win_wr_per_pkt", perf_jnum(x->win_wr_per_pkt));
		json_object_set_new(e, "win_rd_per_pkt", perf_jnum(x->win_rd_per_pkt));
		json_object_set_new(e, "win_x_payload", perf_jnum(perf_win_x(x)));
		json_object_set_new(e, "efficiency", perf_jnum(efficiency(x)));
		json_object_set_new(e, "c2c_ns", perf_jnum(x->c2c_ns));
		json_object_set_new(e, "mpps_near", perf_jnum(x->mpps_near));
		json_object_set_new(e, "n_near", json_integer(x->n_near));
		json_object_set_new(e, "mpps_far", perf_jnum(x->mpps_far));
		json_object_set_new(e, "n_far", json_integer(x->n_far));
		json_object_set_new(e, "mpps_shared", perf_jnum(x->mpps_shared));
		json_object_set_new(e, "n_shared", json_integer(x->n_shared));
		json_object_set_new(e, "load1", perf_jnum(x->load1));
		json_object_set_new(e, "gen_cyc_per_pkt", perf_jnum(x->gen_cyc_per_pkt));
		json_object_set_new(e, "peer_cyc_per_pkt", perf_jnum(x->peer_cyc_per_pkt));
		json_object_set_new(e, "gen_busy", perf_jnum(x->gen_busy));
		json_object_set_new(e, "peer_busy", perf_jnum(x->peer_busy));
		json_object_set_new(e, "c2c_cost", perf_jnum(x->c2c_cost));
		json_object_set_new(e, "rx_len_mean", perf_jnum(rx_len_mean(x)));
		json_object_set_new(e, "frames_intact", json_boolean(frames_intact(x)));
		if (perf_runners[x->mode].json != NULL)
			perf_runners[x->mode].json(e, x);
		if (x->scaling && x->card < 0)
			json_object_set_new(e, "vs_one_card", perf_jnum(scale_ratio(r, n, x)));
		json_array_append_new(arr, e);

		if (x->card >= 0 || x->scaling)
			continue;
		for (tp = 0; tp < perf_nb_transports; tp++) {
			json_t *q;

			if (!o->tp_on[tp] || !compared(x->tp, tp))
				continue;
			q = json_object();
			json_object_set_new(q, "mode", json_string(perf_mode_name(x->mode)));
			json_object_set_new(q, "pkt_len", json_integer(x->pkt_len));
			json_object_set_new(q, "cards", json_integer(x->nb_cards));
			json_object_set_new(q, "transport", json_string(perf_tp_name(x->tp)));
			json_object_set_new(q, "versus", json_string(perf_tp_name(tp)));
			for (m = 0; m < RM_COUNT; m++)
				json_object_set_new(q, rm_names[m], perf_jnum(ratio(r, n, x, tp, m)));
			json_array_append_new(ratios, q);
		}
	}
	json_object_set_new(root, "results", arr);
	json_object_set_new(root, "ratios_cxlmem_over", ratios);

	if (strcmp(path, "-") == 0) {
		ret = json_dumpf(root, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		ret = json_dump_file(root, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	}
	json_decref(root);
	if (ret != 0)
		fprintf(stderr, "cxl-perf: cannot write %s\n", path);
	return ret;
}

static void
csv_num(FILE *f, double v, int prec)
{
	if (isnan(v) || isinf(v))
		fputs(",", f);
	else
		fprintf(f, ",%.*f", prec, v);
}

int
perf_report_csv(const char *path, const struct perf_result *r, unsigned int n)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	unsigned int i;

	if (f == NULL) {
		fprintf(stderr, "cxl-perf: cannot write %s\n", path);
		return -1;
	}
	fputs("section,transport,mode,cards,card,pkt_len,round,seconds,tx_mpps,rx_mpps,gbps,"
	      "drops,tx_full,win_wr_per_pkt,win_rd_per_pkt,win_x_payload,efficiency,c2c_ns,"
	      "mpps_near,n_near,mpps_far,n_far,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,lost,"
	      "vs_one_card,load1,gen_cyc_per_pkt,peer_cyc_per_pkt,gen_busy,peer_busy,"
	      "mpps_shared,n_shared,c2c_cost,rx_len_mean,frames_intact\n", f);
	for (i = 0; i < n; i++) {
		const struct perf_result *x = &r[i];

		if (!x->selected)
			continue;
		fprintf(f, "%s,%s,%s,%u,", x->scaling ? "scaling" : "sweep", perf_tp_name(x->tp),
			perf_mode_name(x->mode), x->nb_cards);
		if (x->card < 0)
			fputs("all", f);
		else
			fprintf(f, "%d", x->card);
		fprintf(f, ",%u,%u", x->pkt_len, x->round);
		csv_num(f, x->secs, 3);
		csv_num(f, x->tx_mpps, 4);
		csv_num(f, x->rx_mpps, 4);
		csv_num(f, x->gbps, 4);
		fprintf(f, ",%" PRIu64 ",%" PRIu64, x->drops, x->tx_full);
		csv_num(f, x->win_wr_per_pkt, 2);
		csv_num(f, x->win_rd_per_pkt, 2);
		csv_num(f, perf_win_x(x), 4);
		csv_num(f, efficiency(x), 4);
		csv_num(f, x->c2c_ns, 0);
		csv_num(f, x->mpps_near, 4);
		fprintf(f, ",%u", x->n_near);
		csv_num(f, x->mpps_far, 4);
		fprintf(f, ",%u", x->n_far);
		csv_num(f, x->p50, 0);
		csv_num(f, x->p90, 0);
		csv_num(f, x->p99, 0);
		csv_num(f, x->p999, 0);
		csv_num(f, x->max_ns, 0);
		fprintf(f, ",%" PRIu64, x->lost);
		csv_num(f, x->scaling && x->card < 0 ? scale_ratio(r, n, x) : NAN, 4);
		csv_num(f, x->load1, 2);
		csv_num(f, x->gen_cyc_per_pkt, 1);
		csv_num(f, x->peer_cyc_per_pkt, 1);
		csv_num(f, x->gen_busy, 3);
		csv_num(f, x->peer_busy, 3);
		csv_num(f, x->mpps_shared, 4);
		fprintf(f, ",%u", x->n_shared);
		csv_num(f, x->c2c_cost, 6);
		csv_num(f, rx_len_mean(x), 1);
		fprintf(f, ",%d", frames_intact(x));
		fputc('\n', f);
	}
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
	return 0;
}
