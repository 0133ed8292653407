/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxl-perf: throughput and latency of net_cxlmem cards, compared in the same
 * run with net_memif (two processes possible) and net_ring (in-process
 * ceiling).  Shared declarations of the tool's modules:
 *
 *   options.c  command line -> struct perf_options
 *   ports.c    cards (pairs of ethdev ports) of each transport, xstats
 *   worker.c   lcore loops: generator, sink, reflector, latency generator
 *   modes.c    the runner table: one runner per --mode, with its hooks
 *   ctl.c      the control file two processes (--role gen/peer) share
 *   probe.c    core-to-core round trip between the worker lcores (placement)
 *   report.c   table, JSON, CSV
 *   engine.c   worker lcores, counters, one measuring point (perf_run_point)
 *   sweep.c    rounds x modes x sizes x transports, scaling, median rounds
 *   peer.c     the peer process following the generator (--role peer)
 *   main.c     EAL, cards, control file, then the sweep or the peer loop
 */
#ifndef CXL_PERF_H
#define CXL_PERF_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#define PERF_MAX_CARDS 16
#define PERF_MAX_QUEUES 16
#define PERF_MAX_SIZES 16
#define PERF_MAX_LCORES 16
#define PERF_MAX_MODES 8      /* entries of perf_runners[] (modes.c) */
#define PERF_MAX_SAMPLES 3600
#define PERF_MAX_BURST 256
#define PERF_MAX_FRAME 9216
/* A core-to-core round trip above this (ns) means the two vCPUs do not run
 * at the same time (time sliced on one host core): neither near nor far. */
#define PERF_C2C_SHARED_NS 20000
/* Cache-line round trips of one core-to-core probe. */
#define PERF_C2C_TRIPS 64
#define PERF_MIN_FRAME 64

/* Drivers a card can be made of. */
enum perf_drv {
	PERF_DRV_CXLMEM = 0, /* net_cxlmem: a window, role=host and role=device */
	PERF_DRV_MEMIF,      /* net_memif: a socket, role=server and role=client */
	PERF_DRV_RING,       /* net_ring: rte_rings crossed, one process only */
};

/*
 * A transport: the cards of one driver with the devargs they get; one line
 * of perf_transports[] (ports.c) each, selected by name with --compare or
 * --transports.  The first line is net_cxlmem as it comes: the anchor every
 * other transport is compared with; a variant of it (a devarg such as
 * coherence=flush) is one more line with the same driver.
 */
struct perf_transport {
	const char *name;     /* option name; "transport" of the JSON and CSV */
	enum perf_drv drv;
	const char *devargs;  /* added to both ends' devargs (cxlmem, memif) */
};
#define PERF_MAX_TP 8         /* entries of perf_transports[] */
#define PERF_TP_CXLMEM 0      /* index of the anchor */

/* Which ends of the cards this process drives. */
enum perf_role {
	PERF_ROLE_BOTH = 0, /* one process, both ends */
	PERF_ROLE_GEN,      /* generator ends; drives the run */
	PERF_ROLE_PEER,     /* sink/reflector ends; follows the generator */
};

/* The two ends of a card: index of perf_card.port[]. */
enum perf_end {
	PERF_END_HOST = 0,   /* cxlmem role=host, memif role=server */
	PERF_END_DEVICE = 1, /* cxlmem role=device, memif role=client */
};

struct perf_worker;
/* What an lcore does with its (port, queue) items until *w->stop: 0 or -1. */
typedef int (*perf_job_fn)(struct perf_worker *w);

struct perf_options {
	enum perf_role role;
	bool mode_on[PERF_MAX_MODES];       /* by index of perf_runners[] */
	bool tp_on[PERF_MAX_TP];            /* by index of perf_transports[] */
	char *card_args[PERF_MAX_CARDS];    /* --card, without role */
	unsigned int nb_card_args;
	unsigned int nb_gen_cards;          /* --cards N */
	char card_extra[256];               /* --card-extra, appended to each */
	char win_size[32];                  /* --win-size of generated windows */
	unsigned int nb_queues;
	enum perf_end gen_end;
	unsigned int gen_lcores[PERF_MAX_LCORES], nb_gen_lcores;
	unsigned int peer_lcores[PERF_MAX_LCORES], nb_peer_lcores;
	unsigned int sizes[PERF_MAX_SIZES], nb_sizes;
	double warmup_s, measure_s;
	unsigned int burst;
	unsigned int inflight;
	unsigned int rounds;
	bool scaling;
	unsigned int scale_size;
	unsigned int nb_mbufs;
	unsigned int nb_desc;
	double link_timeout_s;
	char tag[48];
	char ctl_path[256];
	char json_path[256];
	char csv_path[256];
	bool progress;
	bool c2c;
	unsigned int c2c_split_ns;
	bool keep_files;
};

/* One card: a window (or memif socket, or ring pair) and its two ports. */
struct perf_card {
	unsigned int tp;
	unsigned int idx;
	char name[32];
	uint16_t port[2];            /* RTE_MAX_ETHPORTS: end not in this process */
	char win_path[256];          /* generated window file to remove, or "" */
};

/* Per (card, queue, end) counters; single writer: the lcore owning the item. */
struct perf_qstats {
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_full;    /* tx bursts that took nothing (back-pressure) */
	uint64_t lost;       /* latency packets given up on */
	uint64_t busy_cyc;   /* TSC cycles of polls that moved packets */
	uint64_t c2c_ns;     /* thread CPU time spent in the core-to-core probe */
} __rte_cache_aligned;

/*
 * One core-to-core probe (probe.c), shared by the main lcore that asks for it
 * and the two worker lcores that run it: in the process's memory, or in the
 * control file when the ends are two processes.
 */
struct perf_c2c {
	uint32_t req __rte_cache_aligned;  /* main lcore: bumped to ask for a probe */
	struct {
		uint32_t v __rte_cache_aligned;
	} here[2];                         /* ping [0] / pong [1]: req seen running */
	uint64_t ball __rte_cache_aligned; /* the line bounced: seq << 32 | step */
	uint32_t done __rte_cache_aligned; /* ping lcore: seq of the last probe run */
	uint32_t trips;                    /* round trips completed; 0: no partner */
	uint64_t rtt_cyc;                  /* their median, TSC cycles */
};

/* Port-level figures read from ethdev; published by the peer over ctl. */
struct perf_portsnap {
	uint64_t win_wr;     /* window_bytes_written, UINT64_MAX if absent */
	uint64_t win_rd;     /* window_bytes_read, UINT64_MAX if absent */
	uint64_t imissed;
	uint64_t ierrors;
	uint64_t oerrors;
	uint64_t rx_nombuf;
};

/* Log-linear histogram of TSC cycles: 64 linear sub-buckets per power of 2. */
#define PERF_HIST_SUB 64
#define PERF_HIST_BUCKETS (2 * PERF_HIST_SUB + 57 * PERF_HIST_SUB)
struct perf_hist {
	uint64_t count;
	uint64_t min, max;
	double sum;
	uint64_t b[PERF_HIST_BUCKETS];
};

struct perf_item {
	uint16_t port;
	uint16_t queue;
	struct perf_qstats *qs;
	/* latency generator state */
	uint32_t outstanding;
	uint64_t last_rx_tsc;
};

/* What one lcore runs during one measuring point. */
struct perf_worker {
	perf_job_fn job;
	unsigned int lcore;
	struct perf_item items[PERF_MAX_CARDS * PERF_MAX_QUEUES];
	unsigned int nb_items;
	struct rte_mempool *mp;
	unsigned int pkt_len;
	unsigned int burst;
	unsigned int inflight;
	uint32_t run_id;             /* latency: tells this point's frames apart */
	volatile int *stop;
	volatile int *measuring;     /* latency: record only while set */
	struct perf_hist *hist;      /* latency generator only */
	struct perf_c2c *c2c;        /* the probe this lcore takes part in, or NULL */
	bool c2c_ping;               /* ping (generator end) or pong side */
	uint32_t c2c_seen;           /* last probe request served */
	uint32_t c2c_here;           /* last probe request noted in here[] */
	uint64_t c2c_ns;             /* probe CPU time when the lcore has no items */
};

/* One measured point. */
struct perf_result {
	unsigned int tp;
	unsigned int mode;           /* index of its runner in perf_runners[] */
	bool scaling;                /* a row of the cards-scaling table */
	int card;                    /* -1: aggregate of nb_cards, else a card */
	unsigned int nb_cards;
	unsigned int pkt_len;
	unsigned int round;
	bool selected;               /* the median round of its point */
	double secs;
	uint64_t tx_pkts, rx_pkts, tx_bytes, rx_bytes;
	double tx_mpps, rx_mpps, gbps;
	uint64_t drops;              /* sent - received after drain, + imissed */
	uint64_t tx_full;
	double win_wr_per_pkt;       /* NaN if the PMD has no such xstat */
	double win_rd_per_pkt;
	double load1;                /* 1-minute load average at the point's end */
	double gen_cyc_per_pkt;      /* busy TSC cycles per packet, generator end */
	double peer_cyc_per_pkt;     /* same, sink/reflector end */
	double gen_busy, peer_busy;  /* share of the lcores' time spent busy */
	double c2c_ns;               /* median of the per-second probes, NaN */
	double c2c_cost;             /* probe CPU time / measured time, worst end */
	double mpps_near, mpps_far;  /* median per-second rates by placement */
	double mpps_shared;          /* ... while both CPUs time-share one core */
	unsigned int n_near, n_far, n_shared;
	/* latency, nanoseconds */
	uint64_t lat_samples, lost;
	double p50, p90, p99, p999, max_ns, min_ns, mean_ns;
};

struct perf_ctl;

/* Counters of the cards of one transport at one instant (engine.c). */
struct perf_snap {
	uint64_t tx_pkts[PERF_MAX_CARDS], tx_bytes[PERF_MAX_CARDS];  /* generator end */
	uint64_t rx_pkts[PERF_MAX_CARDS], rx_bytes[PERF_MAX_CARDS];  /* peer end */
	uint64_t back_pkts[PERF_MAX_CARDS];                          /* generator end rx */
	uint64_t tx_full[PERF_MAX_CARDS], lost[PERF_MAX_CARDS];
	uint64_t gen_cyc[PERF_MAX_CARDS], peer_cyc[PERF_MAX_CARDS];
	uint64_t gen_c2c[PERF_MAX_CARDS], peer_c2c[PERF_MAX_CARDS];  /* probe ns */
	struct perf_portsnap port[PERF_MAX_CARDS][2];
	double t;                                                    /* seconds */
};

/* The state of a run (main.c sets it up), as the runners' hooks see it. */
struct perf_env {
	struct perf_options o;
	struct perf_card cards[PERF_MAX_TP][PERF_MAX_CARDS];
	unsigned int nb_cards[PERF_MAX_TP];
	struct rte_mempool *mp;
	struct perf_ctl *ctl;        /* two processes: the control file, else NULL */
	/* counters of the ends this process holds: [tp][card][queue][end] */
	struct perf_qstats qs[PERF_MAX_TP][PERF_MAX_CARDS][PERF_MAX_QUEUES][2];
	struct perf_worker gen_w[PERF_MAX_LCORES], peer_w[PERF_MAX_LCORES];
	unsigned int nb_gen_w, nb_peer_w;
	struct perf_hist *hist[PERF_MAX_LCORES]; /* one per generator lcore */
	volatile int stop_gen, stop_peer, measuring;
	struct perf_result *res;
	unsigned int nb_res, cap_res;
	double c2c_idle_ns;
	uint32_t run_id;
	struct perf_c2c *c2c;        /* the probe: c2c_local, or in the ctl file */
	struct perf_c2c c2c_local;
};

/* One measuring point, as run_point() hands it to the hooks. */
struct perf_point {
	unsigned int mode;           /* index of the runner */
	unsigned int tp;
	unsigned int nb_cards;       /* cards [0, nb_cards) of tp */
	unsigned int pkt_len;
	unsigned int round;
	bool scaling;
	double secs;                 /* measured time, s1.t - s0.t */
	/* counters before the start, at the start and end of the measured
	 * time, and after the drain */
	const struct perf_snap *init, *s0, *s1, *end;
};

/*
 * A mode: what the two ends run and the hooks run_point() calls, in order:
 *   prepare   before the lcores start (optional)
 *   sample    the point's rate over one sample [a, b], Mpps (the near/far
 *             medians are taken over these)
 *   drain     after the generator stopped, before the receiver is stopped
 *   fill      the mode's figures of one result row (cards [lo, hi); card -1
 *             is the aggregate): run_point() has set the counts, window
 *             traffic and placement; fill adjusts the counts it defines
 *             differently, sets drops, cost per packet, latency
 *   key       the figure whose median round is kept (--rounds)
 *   table     prints the mode's section of the text report (optional)
 *   json      adds the mode's own members to a result's JSON (optional)
 * perf_runners[] (modes.c) lists them; --mode takes name or alias; the
 * first runner is the default mode and the one the cards-scaling table runs.
 */
struct perf_runner {
	const char *name;
	const char *alias;
	perf_job_fn gen_job;         /* lcore loop of the generator end */
	perf_job_fn peer_job;        /* lcore loop of the other end */
	void (*prepare)(struct perf_env *env, const struct perf_point *pt);
	double (*sample)(const struct perf_snap *a, const struct perf_snap *b,
			 unsigned int nb_cards);
	void (*drain)(struct perf_env *env, const struct perf_point *pt);
	void (*fill)(struct perf_env *env, const struct perf_point *pt, unsigned int lo,
		     unsigned int hi, struct perf_result *r);
	double (*key)(const struct perf_result *r);
	void (*table)(FILE *f, const struct perf_options *o, const struct perf_result *r,
		      unsigned int n, unsigned int mode);
	void (*json)(json_t *e, const struct perf_result *r);
};

/* modes.c */
extern const struct perf_runner perf_runners[];
extern const unsigned int perf_nb_runners;

/* main.c: set by SIGINT/SIGTERM; every wait and loop ends when it is */
extern volatile sig_atomic_t perf_quit;

/* engine.c: the runners' hooks use the first three */
double perf_now_s(void);
void perf_read_counters(struct perf_env *env, unsigned int tp, unsigned int nb_cards,
			struct perf_snap *s);
uint64_t perf_rx_sum(const struct perf_snap *s, unsigned int nb_cards);
enum perf_end perf_peer_end(const struct perf_options *o);
unsigned int perf_setup_workers(struct perf_env *env, struct perf_worker *ws,
				const unsigned int *lcores, unsigned int nb_lcores,
				unsigned int tp, unsigned int nb_cards, enum perf_end end,
				perf_job_fn job, unsigned int pkt_len, volatile int *stop);
int perf_launch(struct perf_worker *ws, unsigned int n);
void perf_join(struct perf_worker *ws, unsigned int n);
int perf_start_peer(struct perf_env *env, unsigned int tp, unsigned int nb_cards,
		    perf_job_fn job, uint32_t mode, unsigned int pkt_len, unsigned int nb_lcores);
int perf_stop_peer(struct perf_env *env, unsigned int tp, unsigned int nb_cards);
double perf_c2c_probe(struct perf_env *env);
/* One measuring point of runner `mode`; appends its results to env->res.
 * 0, or -1 when an end did not start or stop. */
int perf_run_point(struct perf_env *env, unsigned int mode, unsigned int tp,
		   unsigned int nb_cards, unsigned int pkt_len, bool scaling, unsigned int round);

/* sweep.c */
int perf_sweep(struct perf_env *env);
void perf_select_rounds(struct perf_env *env);
int perf_result_cmp(const void *a, const void *b);
double perf_c2c_idle(struct perf_env *env);

/* peer.c */
int perf_peer_loop(struct perf_env *env);

/* options.c */
int perf_options_parse(struct perf_options *o, int argc, char **argv);
void perf_options_usage(const char *prog);
const char *perf_tp_name(unsigned int tp);
int perf_tp_lookup(const char *name);
const char *perf_mode_name(unsigned int mode);

/* ports.c */
extern const struct perf_transport perf_transports[];
extern const unsigned int perf_nb_transports;
int perf_cards_create(const struct perf_options *o,
		      struct perf_card cards[PERF_MAX_TP][PERF_MAX_CARDS],
		      unsigned int nb_cards[PERF_MAX_TP],
		      struct rte_mempool *mp);
int perf_cards_wait_link(struct perf_card cards[PERF_MAX_TP][PERF_MAX_CARDS],
			 const unsigned int nb_cards[PERF_MAX_TP], double timeout_s,
			 volatile int *quit);
void perf_cards_close(struct perf_card cards[PERF_MAX_TP][PERF_MAX_CARDS],
		      const unsigned int nb_cards[PERF_MAX_TP], bool keep_files);
void perf_port_snap(uint16_t port, struct perf_portsnap *s);

/* worker.c: the lcore loops */
int perf_worker_main(void *arg);
int perf_job_tx(struct perf_worker *w);      /* throughput generator: tx-only */
int perf_job_rx(struct perf_worker *w);      /* sink: rx-only */
int perf_job_reflect(struct perf_worker *w); /* echo back what arrives */
int perf_job_lat(struct perf_worker *w);     /* latency generator */
int perf_job_idle(struct perf_worker *w);    /* nothing but the probe */
void perf_hist_add(struct perf_hist *h, uint64_t v);
void perf_hist_merge(struct perf_hist *dst, const struct perf_hist *src);
uint64_t perf_hist_percentile(const struct perf_hist *h, double pct);
unsigned int perf_build_frame_segs(unsigned int pkt_len, const struct rte_mempool *mp);

/* ctl.c: the file a generator and a peer process share */
enum perf_cmd {
	PERF_CMD_NONE = 0,
	PERF_CMD_START,  /* start job on cards [0, nb_cards) of tp */
	PERF_CMD_STOP,   /* stop the job, return the lcores */
	PERF_CMD_SNAP,   /* publish perf_portsnap of the active cards */
	PERF_CMD_QUIT,
};

#define PERF_CTL_MAGIC 0x4c544366726570ull /* "perfCTL" */
#define PERF_CTL_VERSION 2u
#define PERF_CTL_IDLE UINT32_MAX /* START: only the core-to-core probe */

struct perf_ctl {
	uint64_t magic;
	uint32_t version;
	uint32_t gen_pid;
	/* generator -> peer */
	uint32_t cmd_seq __rte_cache_aligned;
	uint32_t cmd;
	uint32_t tp;
	uint32_t nb_cards;
	uint32_t mode;           /* runner whose peer job to run, or PERF_CTL_IDLE */
	uint32_t pkt_len;
	/* peer -> generator */
	uint32_t ack_seq __rte_cache_aligned;
	int32_t ack_status;
	uint32_t peer_pid;
	uint32_t peer_ready;
	struct perf_portsnap snap[PERF_MAX_TP][PERF_MAX_CARDS];
	/* the core-to-core probe between the two processes' lcores */
	struct perf_c2c c2c;
	/* counters of the peer's lcores, written by them */
	struct perf_qstats qs[PERF_MAX_TP][PERF_MAX_CARDS][PERF_MAX_QUEUES];
};

struct perf_ctl *perf_ctl_create(const char *path);
struct perf_ctl *perf_ctl_attach(const char *path, double timeout_s, volatile int *quit);
int perf_ctl_wait_peer(struct perf_ctl *c, double timeout_s, volatile int *quit);
int perf_ctl_cmd(struct perf_ctl *c, enum perf_cmd cmd, unsigned int tp,
		 unsigned int nb_cards, uint32_t mode, unsigned int pkt_len);
/* Peer: sleep until cmd_seq differs from seen, at most timeout_s. */
void perf_ctl_wait_cmd(struct perf_ctl *c, uint32_t seen, double timeout_s);
void perf_ctl_close(struct perf_ctl *c, const char *path, bool owner);

/* probe.c */
/* Worker side, when c2c->req differs from w->c2c_seen: note the request, and
 * run the probe once the partner lcore noted it too; true when it ran (its
 * thread CPU time is added to the worker's first item's c2c_ns). */
bool perf_c2c_poll(struct perf_worker *w);
/* Main lcore: ask for one probe and wait for it at most timeout_s; the median
 * round trip in ns, NaN when the lcores did not run it or found no partner. */
double perf_c2c_request(struct perf_c2c *c, double timeout_s);

/* report.c */
void perf_report_table(FILE *f, const struct perf_options *o,
		       const struct perf_result *r, unsigned int n);
int perf_report_json(const char *path, const struct perf_options *o,
		     const struct perf_result *r, unsigned int n, double c2c_idle_ns);
int perf_report_csv(const char *path, const struct perf_result *r, unsigned int n);
double perf_median(double *v, unsigned int n);
const char *perf_fmt(char *buf, size_t len, int width, int prec, double v);
json_t *perf_jnum(double v);
double perf_win_x(const struct perf_result *r);
int perf_tp_width(const struct perf_options *o);

#endif /* CXL_PERF_H */
