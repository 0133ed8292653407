/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash_peer.c - one end of a window under traffic, for the crash/restart
 * test (test/crash/crash_test.py kills and restarts these with SIGKILL).
 *
 * Sends sequence-numbered frames on every queue while the link is up and
 * checks what it receives. Each frame carries the sender's life (a number
 * the test gives each process, growing with every start), the sender's
 * count of peer restarts (xstat peer_restarts) when it sent the frame, and
 * a per-queue sequence number. The receiver flags:
 *   stale-life   a frame of an older life than one already seen;
 *   stale-epoch  a frame of the current life delivered after this port
 *                counted a restart of the peer since that life's first frame
 *                (i.e. a frame from before a restart, delivered after it);
 *   gap / dup    a sequence number that is not the next one of its queue
 *                within one life (lost, repeated or reordered frames).
 * Events go to stdout, one line each, with CLOCK_MONOTONIC nanoseconds:
 *   start T life=N           port started
 *   up T restarts=R          link up (R: peer restarts counted so far)
 *   down T
 *   first-rx T tag=R life=N queue=Q seq=S
 *                            first frame received from a peer life, its tag,
 *                            queue and sequence number
 *   retag T life=N from=R to=R2 s0=A e0=B ...
 *                            the restart count grew while this round sent:
 *                            frames [sQ, eQ) of each queue Q carry R but
 *                            may have entered the new peer's ring
 *   tick T rx=.. tx=.. viol=..  every 100 ms: proof of life
 *   violation T kind=.. ...
 *   stall T ms=M             on SIGUSR1: the EAL alarm thread (heartbeat,
 *                            link check) is held up for M ms from now on
 *   quiet T on=0|1           on SIGUSR2: sending stops (on=1) or resumes
 *                            (on=0); receive bursts go on
 *   exit T ...               on SIGTERM: leak figures and totals
 *
 * With --hold N the receiver keeps the last N frames of each queue before
 * it frees them (with zerocopy=rx: slots lent to the application across
 * the peer's kills and restarts); a held frame whose header changed before
 * it was freed is a violation kind=held-changed.
 *
 * Usage: crash_peer --role host|device --path FILE --life N [--queues Q]
 *                   [--devargs K=V,...] [--stall-ms M] [--hold N] [-- EAL args]
 */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "cxlmem_compat.h"

#define MAX_Q 4
#define BURST 32
#define CP_MAGIC 0x43525348u /* "CRSH" */

struct __rte_packed_begin cp_hdr {
	uint32_t magic;
	uint32_t life;
	uint64_t restarts;  /* sender's peer_restarts when sent */
	uint64_t seq;
	uint16_t queue;
} __rte_packed_end;

static volatile sig_atomic_t quit;
static volatile sig_atomic_t stall_req;
static volatile sig_atomic_t quiet_req;
static uint32_t stall_ms = 1500;
/* Test hook (--count-delay-us): a sleep between reading the restart count
 * and the round's bursts, widening the window in which a resync lands
 * between the two (see "retag"). */
static uint32_t count_delay_us;

static void
on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	stall_req = 1;
}

static void
on_usr2(int sig)
{
	(void)sig;
	quiet_req = 1;
}

/* Runs on the EAL alarm thread: holds up every alarm behind it, the PMD's
 * heartbeat and link check included, while the main loop keeps sending. A
 * control thread starved of CPU looks exactly like this to the peer. */
static void
stall_cb(void *arg)
{
	(void)arg;
	rte_delay_us_sleep(stall_ms * 1000u);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = 0;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

/* What each of this process's first FD_SNAP descriptors points at, to name
 * the descriptors that differ between start and exit when the count does. */
#define FD_SNAP 256
typedef char fd_targets[FD_SNAP][96];

/* Count the open descriptors (without the directory's own and without
 * epoll instances); when @snap is given, record each one's target there
 * ("" when closed). EAL's interrupt thread closes its epoll instance and
 * creates a new one whenever its list of sources changes (the first
 * rte_eal_alarm_set() registers one), so a count taken while it does so is
 * one short: the fd_growth=1 seen about once in 30 runs of crash-stale-flush
 * (strace: the thread's close(5) and epoll_create() straddle "start").
 * Neither net_cxlmem nor this program creates an epoll instance, so nothing
 * either could leak is left out. */
static int
count_fds(fd_targets *snap)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	if (snap != NULL)
		memset(*snap, 0, sizeof(*snap));
	while ((e = readdir(d)) != NULL) {
		char link[64];
		int fd;
		char target[96];
		ssize_t k;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		k = readlink(link, target, sizeof(target) - 1);
		/* Closed between readdir() and readlink(): the interrupt
		 * thread replacing its epoll instance, as above. */
		if (k < 0 && errno == ENOENT)
			continue;
		target[k > 0 ? k : 0] = '\0';
		if (strcmp(target, "anon_inode:[eventpoll]") == 0)
			continue;
		n++;
		if (snap != NULL && fd >= 0 && fd < FD_SNAP)
			snprintf((*snap)[fd], sizeof((*snap)[fd]), "%s", k > 0 ? target : "?");
	}
	closedir(d);
	return n;
}

static fd_targets fd_start, fd_exit;

/* Print each descriptor whose target differs between two snapshots. */
static void
print_fd_changes(const fd_targets *a, const fd_targets *b)
{
	int fd;

	for (fd = 0; fd < FD_SNAP; fd++)
		if (strcmp((*a)[fd], (*b)[fd]) != 0)
			printf("fdchange %" PRIu64 " fd=%d start=%s exit=%s\n", now_ns(), fd,
			       (*a)[fd][0] ? (*a)[fd] : "-", (*b)[fd][0] ? (*b)[fd] : "-");
}

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static size_t
heap_bytes(void)
{
	struct rte_malloc_socket_stats s;

	if (rte_malloc_get_socket_stats(rte_socket_id(), &s) != 0)
		return 0;
	return s.heap_allocsz_bytes;
}

/* Frames the receiver holds (--hold), oldest first, with the header each
 * had when it arrived. */
#define MAX_HOLD 64
static struct held {
	struct rte_mbuf *m[MAX_HOLD];
	struct cp_hdr h[MAX_HOLD];
	unsigned int first, n;
} held[MAX_Q];
static unsigned int hold_n;

/* Free the oldest held frame of queue q; returns 1 when its header
 * changed while it was held. */
static int
release_oldest(uint16_t q)
{
	struct held *hq = &held[q];
	struct rte_mbuf *m = hq->m[hq->first];
	struct cp_hdr now;
	const struct cp_hdr *hp = rte_pktmbuf_read(m, 14, sizeof(now), &now);
	int changed = hp == NULL || memcmp(hp, &hq->h[hq->first], sizeof(now)) != 0;

	rte_pktmbuf_free(m);
	hq->first = (hq->first + 1) % MAX_HOLD;
	hq->n--;
	return changed;
}

int
main(int argc, char **argv)
{
	const char *role = NULL, *path = NULL, *extra = "";
	uint32_t life = 0, nq = 2;
	char prefix[64], args[512];
	char *eal[32];
	int eal_argc = 0, opt, i;
	uint16_t port, q;
	struct rte_mempool *pool;
	struct rte_eth_conf conf = { 0 };
	uint64_t tx_seq[MAX_Q] = {0}, rx_next[MAX_Q] = {0};
	uint32_t rx_life[MAX_Q] = {0};
	uint64_t rx_life_restarts = 0, max_life = 0, cur_life = 0;
	uint64_t rx_total = 0, tx_total = 0, violations = 0, last_tick = 0;
	int link = 0, quiet = 0, fds0;
	size_t heap0;
	long rss0;
	static const struct option lo[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "path", required_argument, NULL, 'p' },
		{ "life", required_argument, NULL, 'l' },
		{ "queues", required_argument, NULL, 'q' },
		{ "devargs", required_argument, NULL, 'd' },
		{ "stall-ms", required_argument, NULL, 's' },
		{ "hold", required_argument, NULL, 'H' },
		{ "count-delay-us", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'r': role = optarg; break;
		case 'p': path = optarg; break;
		case 'l': life = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': nq = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'd': extra = optarg; break;
		case 's': stall_ms = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'H': hold_n = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'D': count_delay_us = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: role = NULL; optind = argc; break;
		}
	}
	if (role == NULL || path == NULL || life == 0 || nq < 1 || nq > MAX_Q ||
	    hold_n > MAX_HOLD - 1) {
		fprintf(stderr, "usage: crash_peer --role host|device --path FILE --life N "
			"[--queues 1-4] [--devargs K=V,...] [--hold 0-63] [--count-delay-us N] "
			"[-- EAL args]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlcrash%d", (int)getpid());
	eal[eal_argc++] = argv[0];
	if (optind < argc) {
		for (i = optind; i < argc && eal_argc < 30; i++)
			eal[eal_argc++] = argv[i];
	} else {
		const char *def[] = { "--no-huge", "-m", "64", "--no-pci", "--no-shconf", "-l", "0",
				      "--no-telemetry", "--log-level=lib.eal:error",
				      "--log-level=pmd.net.cxlmem:notice", prefix };

		for (i = 0; i < (int)RTE_DIM(def); i++)
			eal[eal_argc++] = (char *)(uintptr_t)def[i];
	}
	eal[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal) < 0) {
		printf("fatal %" PRIu64 " EAL init failed\n", now_ns());
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);

	pool = rte_pktmbuf_pool_create("cp_pool", 2047, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	snprintf(args, sizeof(args), "role=%s,path=%s,queues=%u%s%s", role, path, nq,
		 *extra ? "," : "", extra);
	if (pool == NULL || rte_vdev_init("net_cxlmem_cp", args) != 0 ||
	    rte_eth_dev_get_port_by_name("net_cxlmem_cp", &port) != 0) {
		printf("fatal %" PRIu64 " cannot probe %s\n", now_ns(), args);
		return 1;
	}
	if (rte_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf) != 0)
		return 1;
	for (q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(port, q, 0, rte_socket_id(), NULL, pool) != 0 ||
		    rte_eth_tx_queue_setup(port, q, 0, rte_socket_id(), NULL) != 0)
			return 1;
	if (rte_eth_dev_start(port) != 0)
		return 1;
	printf("start %" PRIu64 " life=%u pid=%d\n", now_ns(), life, (int)getpid());
	fds0 = count_fds(&fd_start);
	heap0 = heap_bytes();
	rss0 = rss_kb();

	while (!quit) {
		struct rte_eth_link l;
		struct rte_mbuf *pkts[BURST];
		uint64_t restarts, t, seq0[MAX_Q];
		uint16_t n, k;

		/* Link first, then the restart count: a link seen up was resynced
		 * with the peer it is up with, so frames sent below carry a count
		 * that already includes that peer's start. */
		if (stall_req) {
			stall_req = 0;
			if (rte_eal_alarm_set(1, stall_cb, NULL) == 0)
				printf("stall %" PRIu64 " ms=%u\n", now_ns(), stall_ms);
		}
		if (quiet_req) {
			quiet_req = 0;
			quiet = !quiet;
			printf("quiet %" PRIu64 " on=%d\n", now_ns(), quiet);
		}
		if (rte_eth_link_get_nowait(port, &l) != 0)
			l.link_status = link;   /* no news: keep what we had */
		restarts = xstat(port, "peer_restarts");
		if (count_delay_us != 0 && link)
			rte_delay_us_sleep(count_delay_us);
		t = now_ns();
		if (l.link_status != link) {
			link = l.link_status;
			if (link)
				printf("up %" PRIu64 " restarts=%" PRIu64 "\n", t, restarts);
			else
				printf("down %" PRIu64 "\n", t);
		}
		memcpy(seq0, tx_seq, sizeof(seq0));
		for (q = 0; q < nq; q++) {
			/* Receive: check life, epoch and sequence. */
			n = rte_eth_rx_burst(port, q, pkts, BURST);
			for (k = 0; k < n; k++) {
				struct cp_hdr h;
				const struct cp_hdr *hp = rte_pktmbuf_read(pkts[k], 14, sizeof(h), &h);

				if (hp == NULL || hp->magic != CP_MAGIC || hp->queue != q) {
					violations++;
					printf("violation %" PRIu64 " kind=foreign queue=%u len=%u\n",
					       now_ns(), q, pkts[k]->pkt_len);
					continue;
				}
				h = *hp;
				rx_total++;
				if (h.life < max_life) {
					violations++;
					printf("violation %" PRIu64 " kind=stale-life queue=%u life=%u "
					       "newest=%" PRIu64 " seq=%" PRIu64 "\n", now_ns(), q, h.life,
					       max_life, h.seq);
				} else {
					if (h.life > cur_life) {
						/* A new peer life: remember the restart count,
						 * read now: the count read at the top of the
						 * round may predate the resync that let this
						 * life's frames in (it is counted first). */
						cur_life = h.life;
						max_life = h.life;
						rx_life_restarts = xstat(port, "peer_restarts");
						printf("first-rx %" PRIu64 " tag=%" PRIu64 " life=%u "
						       "queue=%u seq=%" PRIu64 "\n", now_ns(),
						       h.restarts, h.life, q, h.seq);
					} else if (restarts > rx_life_restarts) {
						violations++;
						printf("violation %" PRIu64 " kind=stale-epoch queue=%u "
						       "life=%u seq=%" PRIu64 " (peer restarted since)\n",
						       now_ns(), q, h.life, h.seq);
					}
					if (rx_life[q] == h.life && h.seq != rx_next[q]) {
						violations++;
						printf("violation %" PRIu64 " kind=%s queue=%u life=%u "
						       "seq=%" PRIu64 " expected=%" PRIu64 "\n", now_ns(),
						       h.seq < rx_next[q] ? "dup" : "gap", q, h.life,
						       h.seq, rx_next[q]);
					}
					rx_life[q] = h.life;
					rx_next[q] = h.seq + 1;
				}
				if (hold_n > 0) {
					/* Keep it; free the oldest beyond hold_n. */
					struct held *hq = &held[q];
					unsigned int at = (hq->first + hq->n) % MAX_HOLD;

					hq->m[at] = pkts[k];
					hq->h[at] = h;
					hq->n++;
					pkts[k] = NULL;
					if (hq->n > hold_n && release_oldest(q)) {
						violations++;
						printf("violation %" PRIu64 " kind=held-changed queue=%u\n",
						       now_ns(), q);
					}
				}
			}
			for (k = 0; k < n; k++)
				if (pkts[k] != NULL)
					rte_pktmbuf_free(pkts[k]);

			/* Send while the link is up (and we are not told to
			 * keep quiet: then only the receive bursts poll). */
			if (!link || quiet)
				continue;
			for (k = 0; k < BURST; k++) {
				struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
				struct cp_hdr h = {
					.magic = CP_MAGIC, .life = life, .restarts = restarts,
					.seq = tx_seq[q] + k, .queue = q,
				};
				uint8_t *d;

				if (m == NULL)
					break;
				d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(64 + (h.seq % 8) * 180));
				memset(d, 0xff, 12);
				d[12] = 0x88;
				d[13] = 0xb5;
				memcpy(d + 14, &h, sizeof(h));
				pkts[k] = m;
			}
			n = rte_eth_tx_burst(port, q, pkts, k);
			rte_pktmbuf_free_bulk(pkts + n, (unsigned int)(k - n));
			tx_seq[q] += n;
			tx_total += n;
		}
		/* The restart count read above may have grown while this round
		 * sent: a link that never looked down (our control thread held
		 * up) resyncs with the new peer between the read and a burst,
		 * whose frames then enter the new peer's ring with the old
		 * count. net_cxlmem counts the restart before it resyncs, so a
		 * second read after the bursts catches it; say which frames
		 * carry the old count legitimately. */
		if (link && memcmp(seq0, tx_seq, sizeof(seq0)) != 0) {
			uint64_t after = xstat(port, "peer_restarts");

			if (after != restarts) {
				printf("retag %" PRIu64 " life=%u from=%" PRIu64 " to=%" PRIu64, now_ns(),
				       life, restarts, after);
				for (q = 0; q < nq; q++)
					printf(" s%u=%" PRIu64 " e%u=%" PRIu64, q, seq0[q], q, tx_seq[q]);
				printf("\n");
			}
		}
		/* Leave the CPU to the control threads (heartbeat, link check)
		 * now and then: with two peers on a small machine a pure busy
		 * loop measures the scheduler, not the driver. */
		rte_delay_us_sleep(100);
		if (t - last_tick > 100000000ull) {
			printf("tick %" PRIu64 " rx=%" PRIu64 " tx=%" PRIu64 " viol=%" PRIu64 " link=%d\n",
			       t, rx_total, tx_total, violations, link);
			last_tick = t;
		}
	}

	/* SIGTERM: free what is held (checking it), account for everything,
	 * then leave cleanly. */
	for (q = 0; q < nq; q++)
		while (held[q].n > 0)
			if (release_oldest(q)) {
				violations++;
				printf("violation %" PRIu64 " kind=held-changed queue=%u\n", now_ns(), q);
			}
	{
		long rss1 = rss_kb();
		size_t heap1 = heap_bytes();
		int fds1 = count_fds(&fd_exit);
		unsigned int in_use;

		print_fd_changes(&fd_start, &fd_exit);

		/* A zero-copy run that lent nothing tested nothing. */
		if (strstr(extra, "zerocopy=rx") != NULL && rx_total > 100 &&
		    xstat(port, "rx_zerocopy_frames") == 0) {
			violations++;
			printf("violation %" PRIu64 " kind=no-zerocopy rx=%" PRIu64 "\n", now_ns(),
			       rx_total);
		}
		rte_eth_dev_stop(port);
		in_use = rte_mempool_in_use_count(pool);
		printf("exit %" PRIu64 " rx=%" PRIu64 " tx=%" PRIu64 " viol=%" PRIu64
		       " peer_restarts=%" PRIu64 " mbufs_in_use=%u heap_growth=%zd fd_growth=%d"
		       " rss_growth_kb=%ld rx_zerocopy=%" PRIu64 "\n", now_ns(), rx_total, tx_total,
		       violations, xstat(port, "peer_restarts"), in_use, (ssize_t)(heap1 - heap0),
		       fds1 - fds0, rss1 - rss0, xstat(port, "rx_zerocopy_frames"));
		rte_eth_dev_close(port);
		rte_eal_hotplug_remove("vdev", "net_cxlmem_cp");
		rte_eal_cleanup();
		return violations != 0 || in_use != 0 ? 1 : 0;
	}
}
