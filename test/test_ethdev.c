/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ethdev.c - net_cxlmem through the real EAL and ethdev API, both ends
 * of one window in one process: host port and device port on the same file.
 *
 * Cases: every frame size 60..9000 arrives intact and in order per queue
 * (multi-queue, both directions, single- and multi-segment mbufs on TX,
 * scatter on RX), stats and xstats agree with what was sent, link up/down
 * with LSC events, peer restart (no stale frame delivered), role conflict,
 * sub-window overlap, and bad devargs refused.
 *
 * Usage: test_ethdev [EAL args]   (defaults: --no-huge -m 256 --no-pci ...)
 * CXLMEM_TEST_DEVARGS (e.g. "coherence=flush") is appended to both ends'
 * devargs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ethdev_driver.h>   /* rte_eth_dev_allocate(): the heap check's anchor port */
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define NB_QUEUES 4
#define NB_MBUFS 4095
#define BURST 32

#include "check.h"
#include "cxlmem_layout.h"

static char win_path[256];
static const char *extra_devargs = ""; /* CXLMEM_TEST_DEVARGS, for every port */
static bool stale_injected;            /* CXLMEM_STALE_INJECT=1: private window copies */
static struct rte_mempool *pool;       /* 2 KiB data room: scatter for jumbo */
static struct rte_mempool *big_pool;   /* 10 KiB data room */
static struct rte_mempool *jumbo_pool; /* 16 KiB data room: 12000-byte frames in one segment */
#define MAX_FRAME 16384
static volatile int lsc_events[RTE_MAX_ETHPORTS];

static int
lsc_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret)
{
	(void)type; (void)arg; (void)ret;
	lsc_events[port]++;
	return 0;
}

static int
add_port(const char *name, const char *args, uint16_t *port)
{
	int ret = rte_vdev_init(name, args);

	if (ret != 0)
		return ret;
	return rte_eth_dev_get_port_by_name(name, port);
}

/* Configure nq queue pairs with MTU mtu and nb_desc descriptors (0: the
 * port's default), and start. */
static int
setup_port_mtu(uint16_t port, uint16_t nq, struct rte_mempool *mp, uint16_t mtu, uint16_t nb_desc)
{
	struct rte_eth_conf conf = { .rxmode = { .mtu = mtu, .offloads = RTE_ETH_RX_OFFLOAD_SCATTER },
				     .intr_conf = { .lsc = 1 } };
	uint16_t q;
	int ret;

	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret != 0)
		return ret;
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_desc, rte_socket_id(), NULL, mp);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_desc, rte_socket_id(), NULL);
		if (ret != 0)
			return ret;
	}
	rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	return rte_eth_dev_start(port);
}

/* The usual setup: jumbo frames (MTU 9000), default descriptor counts. */
static int
setup_port(uint16_t port, uint16_t nq, struct rte_mempool *mp)
{
	return setup_port_mtu(port, nq, mp, 9000, 0);
}

static int
link_is(uint16_t port, int up)
{
	struct rte_eth_link l;

	if (rte_eth_link_get_nowait(port, &l) != 0)
		return 0;
	return l.link_status == (up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN);
}

static int
wait_link(uint16_t a, uint16_t b, int up, unsigned int ms)
{
	while (ms-- > 0) {
		if (link_is(a, up) && link_is(b, up))
			return 1;
		rte_delay_us_sleep(1000);
	}
	return 0;
}

/* Frame: 14-byte header, then a 32-bit sequence, then a byte pattern. */
static void
fill(uint8_t *p, uint32_t len, uint32_t seq, uint32_t q)
{
	uint32_t i;

	memset(p, 0xff, 6);
	memset(p + 6, 0x02, 6);
	p[12] = 0x88;
	p[13] = 0xb5;
	memcpy(p + 14, &seq, 4);
	for (i = 18; i < len; i++)
		p[i] = (uint8_t)(seq * 7 + i + q);
}

static struct rte_mbuf *
make_frame_from(struct rte_mempool *mp, uint32_t len, uint32_t seq, uint32_t q, uint32_t seg_size)
{
	uint8_t tmp[MAX_FRAME];
	struct rte_mbuf *head = NULL, *prev = NULL;
	uint32_t off = 0;

	fill(tmp, len, seq, q);
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t n = len - off < seg_size ? len - off : seg_size;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), tmp + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		prev = m;
	}
	return head;
}

static struct rte_mbuf *
make_frame(uint32_t len, uint32_t seq, uint32_t q, uint32_t seg_size)
{
	return make_frame_from(big_pool, len, seq, q, seg_size);
}

static int
check_frame(struct rte_mbuf *m, uint32_t len, uint32_t seq, uint32_t q)
{
	uint8_t want[MAX_FRAME], got[MAX_FRAME];
	const uint8_t *p;

	if (m->pkt_len != len)
		return 0;
	fill(want, len, seq, q);
	p = rte_pktmbuf_read(m, 0, len, got);
	return p != NULL && memcmp(p, want, len) == 0;
}

/* Send nframes of the given sizes on every queue from tx to rx and check
 * each arrives once, intact, in order per queue. */
static void
transfer(uint16_t tx, uint16_t rx, const uint32_t *sizes, unsigned int nsizes,
	 unsigned int rounds, uint32_t seg_size, const char *what)
{
	uint32_t sent[NB_QUEUES] = {0}, got[NB_QUEUES] = {0}, bad = 0;
	const uint32_t total = nsizes * rounds;
	uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	uint16_t q;

	while (rte_get_timer_cycles() < deadline) {
		int done = 1;

		for (q = 0; q < NB_QUEUES; q++) {
			struct rte_mbuf *pkts[BURST];
			uint16_t n = 0, k, i;

			while (n < BURST && sent[q] + n < total) {
				uint32_t s = sent[q] + n;

				pkts[n] = make_frame(sizes[s % nsizes], s, q, seg_size);
				if (pkts[n] == NULL)
					break;
				n++;
			}
			k = rte_eth_tx_burst(tx, q, pkts, n);
			for (i = k; i < n; i++)
				rte_pktmbuf_free(pkts[i]);
			sent[q] += k;

			n = rte_eth_rx_burst(rx, q, pkts, BURST);
			for (i = 0; i < n; i++) {
				uint32_t s = got[q]++;

				if (!check_frame(pkts[i], sizes[s % nsizes], s, q))
					bad++;
				rte_pktmbuf_free(pkts[i]);
			}
			if (got[q] < total)
				done = 0;
		}
		if (done)
			break;
	}
	for (q = 0; q < NB_QUEUES; q++)
		CHECK(got[q] == total, "%s: queue %u received %u of %u", what, q, got[q], total);
	CHECK(bad == 0, "%s: %u frames corrupt or out of order", what, bad);
}

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

static void
test_traffic(uint16_t host, uint16_t dev)
{
	static uint32_t sizes[9000 - 60 + 1];
	uint32_t small[] = {60, 64, 128, 1514};
	struct rte_eth_stats hs, ds;
	unsigned int i;

	for (i = 0; i < RTE_DIM(sizes); i++)
		sizes[i] = 60 + i;
	rte_eth_stats_reset(host);
	rte_eth_stats_reset(dev);
	/* Every size 60..9000 each way; multi-seg TX (1000-byte segments),
	 * RX scatters into 2 KiB mbufs on the device side. */
	transfer(host, dev, sizes, RTE_DIM(sizes), 1, 1000, "h2d all sizes");
	transfer(dev, host, sizes, RTE_DIM(sizes), 1, 10000, "d2h all sizes");
	transfer(host, dev, small, RTE_DIM(small), 2000, 10000, "h2d small x2000");

	CHECK(rte_eth_stats_get(host, &hs) == 0 && rte_eth_stats_get(dev, &ds) == 0,
	      "rte_eth_stats_get");
	CHECK(hs.opackets == ds.ipackets, "host opackets %" PRIu64 " != device ipackets %" PRIu64,
	      hs.opackets, ds.ipackets);
	CHECK(ds.opackets == hs.ipackets, "device opackets != host ipackets");
	CHECK(hs.obytes == ds.ibytes, "host obytes %" PRIu64 " != device ibytes %" PRIu64,
	      hs.obytes, ds.ibytes);
	CHECK(hs.opackets == NB_QUEUES * (RTE_DIM(sizes) + 2000 * RTE_DIM(small)),
	      "host opackets %" PRIu64, hs.opackets);
	CHECK(ds.ierrors == 0 && hs.ierrors == 0, "ierrors");
	/* Per-queue counters through ethdev's xstats (right on every release;
	 * 25.11 took the q_ fields out of struct rte_eth_stats). */
	CHECK(xstat(host, "tx_q3_packets") == xstat(dev, "rx_q3_packets") &&
	      xstat(host, "tx_q3_packets") != 0 && xstat(host, "tx_q3_packets") != UINT64_MAX,
	      "per-queue stats differ: tx_q3_packets %" PRIu64 ", rx_q3_packets %" PRIu64,
	      xstat(host, "tx_q3_packets"), xstat(dev, "rx_q3_packets"));
	CHECK(xstat(host, "window_bytes_written") >= hs.obytes, "window_bytes_written %" PRIu64,
	      xstat(host, "window_bytes_written"));
	CHECK(xstat(dev, "window_bytes_read") >= ds.ibytes, "window_bytes_read");
	CHECK(xstat(dev, "invalid_desc") == 0, "invalid_desc");
}

static void
test_ring_full(uint16_t host, uint16_t dev)
{
	struct rte_mbuf *pkts[BURST];
	uint32_t sent = 0, got = 0;
	uint16_t n, i;
	int rounds;

	/* Fill queue 0 without receiving: TX must stop at the ring size. */
	for (rounds = 0; rounds < 200; rounds++) {
		for (i = 0; i < BURST; i++)
			pkts[i] = make_frame(64, sent + i, 0, 10000);
		n = rte_eth_tx_burst(host, 0, pkts, BURST);
		for (i = n; i < BURST; i++)
			rte_pktmbuf_free(pkts[i]);
		sent += n;
	}
	CHECK(sent == 1024, "ring of 1024 accepted %u frames", sent);
	CHECK(xstat(host, "ring_full") > 0, "ring_full not counted");
	while ((n = rte_eth_rx_burst(dev, 0, pkts, BURST)) > 0) {
		for (i = 0; i < n; i++) {
			if (!check_frame(pkts[i], 64, got, 0))
				CHECK(0, "ring-full frame %u corrupt", got);
			got++;
			rte_pktmbuf_free(pkts[i]);
		}
	}
	CHECK(got == sent, "received %u of %u after ring full", got, sent);
}

/* A frame of several slots, sent alone, when the sender's cached view of
 * the ring says fewer slots are free than it needs: the TX burst must read
 * the consumer index again rather than report the ring full forever. */
static void
test_jumbo_alone(uint16_t host, uint16_t dev)
{
	struct rte_mbuf *pkts[BURST], *m;
	uint32_t sent = 0, got = 0, i;
	uint16_t n;

	/* 1023 small frames: the host's cache now says 1 slot is free. */
	while (sent < 1023) {
		n = (uint16_t)RTE_MIN(1023u - sent, (uint32_t)BURST);
		for (i = 0; i < n; i++)
			pkts[i] = make_frame(64, sent + i, 2, 10000);
		n = rte_eth_tx_burst(host, 2, pkts, n);
		sent += n;
		if (n == 0)
			break;
	}
	CHECK(sent == 1023, "queued %u of 1023", sent);
	while ((n = rte_eth_rx_burst(dev, 2, pkts, BURST)) > 0) {
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		got += n;
	}
	CHECK(got == sent, "drained %u of %u", got, sent);
	m = make_frame(9000, 0, 2, 10000);
	n = rte_eth_tx_burst(host, 2, &m, 1);
	CHECK(n == 1, "a lone 9000-byte frame was refused with the ring empty");
	if (n == 0)
		rte_pktmbuf_free(m);
	n = rte_eth_rx_burst(dev, 2, pkts, BURST);
	CHECK(n == 1 && check_frame(pkts[0], 9000, 0, 2), "lone jumbo frame not received");
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

static void
test_restart(uint16_t host, uint16_t dev)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n, i;
	int before = lsc_events[host];
	uint64_t restarts = xstat(host, "peer_restarts");

	/* Leave frames from the device's old life in the ring, then restart
	 * the device port: none of them may reach the host. */
	for (i = 0; i < BURST; i++)
		pkts[i] = make_frame(100, 0xdead0000u + i, 1, 10000);
	n = rte_eth_tx_burst(dev, 1, pkts, BURST);
	CHECK(n == BURST, "pre-restart tx %u", n);
	rte_eth_dev_stop(dev);
	CHECK(wait_link(host, host, 0, 1000), "host link not down after device stop");
	/* The event is raised on the alarm thread just after the status. */
	for (i = 0; i < 1000 && lsc_events[host] == before; i++)
		rte_delay_us_sleep(1000);
	CHECK(lsc_events[host] > before, "no LSC event on host for link down");
	rte_eth_dev_start(dev);
	CHECK(wait_link(host, dev, 1, 2000), "link not back after device restart");
	CHECK(xstat(host, "peer_restarts") == restarts + 1, "peer_restarts %" PRIu64,
	      xstat(host, "peer_restarts"));
	n = rte_eth_rx_burst(host, 1, pkts, BURST);
	CHECK(n == 0, "%u stale frames delivered after peer restart", n);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	/* And traffic flows again both ways. */
	{
		uint32_t sz[] = {60, 9000};

		transfer(host, dev, sz, 2, 50, 10000, "after restart h2d");
		transfer(dev, host, sz, 2, 50, 10000, "after restart d2h");
	}
}

static void
test_refusals(void)
{
	char args[512];
	uint16_t port;
	struct {
		const char *args;
		const char *why;
	} bad[] = {
		{ "role=host,path=%s,bogus=1", "unknown key" },
		{ "path=%s", "no role" },
		{ "role=middle,path=%s", "bad role" },
		{ "role=device,path=%s.missing", "missing file for device" },
		{ "role=host,path=%s.new,rsize=1000", "rsize not a power of two" },
		{ "role=host,path=%s.new,queues=0", "zero queues" },
		{ "role=host,path=%s.new,queues=65", "too many queues" },
		{ "role=host,path=%s.new,bsize=1000", "bsize not a multiple of 64" },
		{ "role=host,path=%s.new,size=12x", "bad number" },
		{ "role=host,path=%s.new,mac=01:00:00:00:00:01", "multicast mac" },
		{ "role=host,path=%s.new,coherence=maybe", "bad coherence" },
		{ "role=host,path=%s.small,size=64K", "window too small" },
		{ "role=host,path=%s", "role conflict (host owned)" },
		{ "role=device,path=%s", "role conflict (device owned)" },
		{ "role=host,path=%s,offset=4096", "overlapping sub-window" },
		{ "role=host,path=%s,queues=2", "other geometry while device online" },
		{ "role=host,dax=dax9.9", "no such dax device" },
		{ "role=host,path=%s,dax=dax0.0", "both path and dax" },
		{ "role=host,path=%s.new,offset=100", "misaligned offset" },
		{ "role=host,path=%s,role=device", "duplicate key" },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		int ret;

		snprintf(args, sizeof(args), bad[i].args, win_path);
		ret = add_port("net_cxlmem9", args, &port);
		CHECK(ret != 0, "accepted bad devargs (%s): %s", bad[i].why, args);
		if (ret == 0)
			rte_eal_hotplug_remove("vdev", "net_cxlmem9");
	}
	/* The refusals created nothing and touched nothing. */
	snprintf(args, sizeof(args), "%s.missing", win_path);
	CHECK(access(args, F_OK) != 0, "refused device probe created %s", args);
	snprintf(args, sizeof(args), "%s.new", win_path);
	CHECK(access(args, F_OK) != 0, "refused probe created %s", args);
	unlink(args);
	snprintf(args, sizeof(args), "%s.small", win_path);
	unlink(args);
}

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t used = 0;
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

/* The device end starts first, on a window file that exists but that no
 * host has formatted yet; the host comes later. Both directions work, and
 * a restart of the host end is survived by the device end. */
static void
test_device_first(void)
{
	char path[300], args[512];
	uint16_t h, d;
	FILE *f;
	uint32_t sz[] = {60, 1500, 9000};

	snprintf(path, sizeof(path), "%s.devfirst", win_path);
	f = fopen(path, "w");
	CHECK(f != NULL && ftruncate(fileno(f), 32 << 20) == 0, "create %s", path);
	if (f != NULL)
		fclose(f);
	snprintf(args, sizeof(args), "role=device,path=%s,queues=%d%s%s", path, NB_QUEUES,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem2", args, &d) == 0, "device probe on unformatted window");
	CHECK(setup_port(d, NB_QUEUES, pool) == 0, "device setup");
	rte_delay_us_sleep(100 * 1000);
	CHECK(link_is(d, 0), "link up with no host");
	snprintf(args, sizeof(args), "role=host,path=%s,queues=%d%s%s", path, NB_QUEUES,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem3", args, &h) == 0, "host probe after device");
	CHECK(setup_port(h, NB_QUEUES, big_pool) == 0, "host setup");
	CHECK(wait_link(h, d, 1, 2000), "link up, device first");
	transfer(h, d, sz, 3, 20, 10000, "device-first h2d");
	transfer(d, h, sz, 3, 20, 10000, "device-first d2h");
	rte_eth_dev_stop(h);
	CHECK(wait_link(d, d, 0, 1000), "device link down after host stop");
	rte_eth_dev_start(h);
	CHECK(wait_link(h, d, 1, 2000), "link back after host restart");
	transfer(d, h, sz, 3, 20, 10000, "after host restart d2h");
	rte_eth_dev_callback_unregister(h, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	rte_eth_dev_callback_unregister(d, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	rte_eth_dev_stop(d);
	rte_eth_dev_close(d);
	rte_eth_dev_stop(h);
	rte_eth_dev_close(h);
	unlink(path);
}

/* ---- issue 10: review defects and DPDK citizenship ------------------------ */

/* A host/device pair on window file <win_path>.<tag>, each end with its own
 * extra devargs, queue count and MTU; link up. Returns 0 or -1. */
static int
pair_up(const char *tag, const char *hextra, const char *dextra, uint16_t hq, uint16_t dq,
	uint16_t hmtu, uint16_t dmtu, uint16_t *h, uint16_t *d)
{
	char args[512], hname[32], dname[32];

	snprintf(hname, sizeof(hname), "net_cxlmem_%sh", tag);
	snprintf(dname, sizeof(dname), "net_cxlmem_%sd", tag);
	snprintf(args, sizeof(args), "role=host,path=%s.%s,%s%s%s", win_path, tag, hextra,
		 extra_devargs[0] ? "," : "", extra_devargs);
	if (add_port(hname, args, h) != 0)
		return -1;
	snprintf(args, sizeof(args), "role=device,path=%s.%s%s%s%s%s", win_path, tag,
		 dextra[0] ? "," : "", dextra, extra_devargs[0] ? "," : "", extra_devargs);
	if (add_port(dname, args, d) != 0)
		return -1;
	if (setup_port_mtu(*h, hq, big_pool, hmtu, 0) != 0 ||
	    setup_port_mtu(*d, dq, big_pool, dmtu, 0) != 0)
		return -1;
	return wait_link(*h, *d, 1, 2000) ? 0 : -1;
}

static void
pair_down(const char *tag, uint16_t h, uint16_t d)
{
	char name[300];

	rte_eth_dev_callback_unregister(h, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	rte_eth_dev_callback_unregister(d, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	snprintf(name, sizeof(name), "net_cxlmem_%sd", tag);
	rte_eal_hotplug_remove("vdev", name);
	snprintf(name, sizeof(name), "net_cxlmem_%sh", tag);
	rte_eal_hotplug_remove("vdev", name);
	snprintf(name, sizeof(name), "%s.%s", win_path, tag);
	unlink(name);
}

/* Receive on (port, q) until nothing comes for 20 ms; frees the frames and
 * returns how many came, and the length of the last. */
static unsigned int
drain(uint16_t port, uint16_t q, uint32_t *last_len)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int got = 0, idle = 0;
	uint16_t n, i;

	while (idle < 20) {
		n = rte_eth_rx_burst(port, q, pkts, BURST);
		if (n == 0) {
			idle++;
			rte_delay_us_sleep(1000);
			continue;
		}
		idle = 0;
		for (i = 0; i < n; i++) {
			if (last_len != NULL)
				*last_len = pkts[i]->pkt_len;
			rte_pktmbuf_free(pkts[i]);
		}
		got += n;
	}
	return got;
}

/*
 * Item 5: a single-segment mbuf whose pkt_len says more than its data_len
 * holds must be refused (counted), never copied: the old fast path copied
 * pkt_len bytes, 3940 of them from beyond the segment.
 */
static void
test_tx_lying_length(uint16_t host, uint16_t dev)
{
	struct rte_mbuf *m = make_frame(60, 1, 0, 10000);
	uint64_t refused = xstat(host, "tx_refused");
	uint16_t n;

	m->pkt_len = 2000; /* data_len stays 60; one 2048-byte slot would take it */
	n = rte_eth_tx_burst(host, 0, &m, 1);
	CHECK(n == 1, "a malformed frame must be taken (and freed), tx returned %u", n);
	if (n == 0)
		rte_pktmbuf_free(m);
	CHECK(xstat(host, "tx_refused") == refused + 1, "tx_refused %" PRIu64 " (was %" PRIu64 ")",
	      xstat(host, "tx_refused"), refused);
	CHECK(drain(dev, 0, NULL) == 0, "a frame with data_len 60 and pkt_len 2000 was delivered");
	/* A chain whose segments hold less than pkt_len: refused too. */
	m = make_frame(3000, 2, 0, 1000);
	m->pkt_len = 3500;
	n = rte_eth_tx_burst(host, 0, &m, 1);
	if (n == 0)
		rte_pktmbuf_free(m);
	CHECK(xstat(host, "tx_refused") == refused + 2, "short chain not refused");
	CHECK(drain(dev, 0, NULL) == 0, "a chain shorter than its pkt_len was delivered");
}

/*
 * Item 6: one frame-size rule for every path. With bsize=16384 a 12000-byte
 * frame fits one slot: it used to pass both ways although max_rx_pktlen is
 * 9216. TX refuses frames above our MTU and the peer's; RX drops frames
 * above the MTU it was configured with.
 */
static void
test_frame_limits(void)
{
	uint16_t h, d, n;
	struct rte_mbuf *m;
	uint32_t len = 0;

	CHECK(pair_up("lim", "queues=1,rsize=64,bsize=16384,size=4M", "", 1, 1, 9000, 1500, &h,
		      &d) == 0, "frame-limit pair up");
	/* Above our own limit (MTU 9000: 9022-byte frames), in one slot. */
	m = make_frame_from(jumbo_pool, 12000, 1, 0, 16000);
	n = rte_eth_tx_burst(h, 0, &m, 1);
	if (n == 0)
		rte_pktmbuf_free(m);
	CHECK(xstat(h, "tx_too_long") == 1, "12000-byte single-slot frame not refused (%" PRIu64 ")",
	      xstat(h, "tx_too_long"));
	/* Above the peer's published limit (its MTU 1500). */
	m = make_frame(3000, 2, 0, 10000);
	n = rte_eth_tx_burst(h, 0, &m, 1);
	if (n == 0)
		rte_pktmbuf_free(m);
	CHECK(xstat(h, "tx_too_long") == 2, "3000-byte frame to an MTU-1500 peer not refused");
	CHECK(drain(d, 0, NULL) == 0, "a frame above the receiver's MTU was delivered");
	/* Within both: delivered. */
	m = make_frame(1514, 3, 0, 10000);
	CHECK(rte_eth_tx_burst(h, 0, &m, 1) == 1, "1514-byte frame refused");
	CHECK(drain(d, 0, &len) == 1 && len == 1514, "1514-byte frame not delivered");
	/* RX: the device raises its MTU, the host sends 3000 bytes, the device
	 * lowers its MTU before it polls: the frame is dropped and counted. */
	CHECK(rte_eth_dev_set_mtu(d, 9000) == 0, "device MTU 9000");
	rte_delay_us_sleep(50 * 1000); /* the host reads it at its next tick */
	m = make_frame(3000, 4, 0, 10000);
	CHECK(rte_eth_tx_burst(h, 0, &m, 1) == 1 && xstat(h, "tx_too_long") == 2,
	      "3000-byte frame refused after the peer raised its MTU");
	CHECK(rte_eth_dev_set_mtu(d, 1500) == 0, "device MTU 1500");
	CHECK(drain(d, 0, NULL) == 0, "3000-byte frame delivered to an MTU-1500 receiver");
	CHECK(xstat(d, "rx_too_long") == 1, "rx_too_long %" PRIu64, xstat(d, "rx_too_long"));
	pair_down("lim", h, d);
}

/*
 * Item 7: a device that gives no geometry adopts the window's; a small,
 * correctly formatted window (64 KiB, queues=1,rsize=64,bsize=256) used to
 * be refused against the default geometry before the window's was read.
 */
static void
test_small_window(void)
{
	char args[512], path[300];
	uint16_t h, d;
	uint32_t len = 0;
	struct rte_mbuf *m;

	snprintf(path, sizeof(path), "%s.sw", win_path);
	snprintf(args, sizeof(args), "role=host,path=%s,size=64K,queues=1,rsize=64,bsize=256%s%s",
		 path, extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_swh", args, &h) == 0, "host on a 64 KiB window");
	snprintf(args, sizeof(args), "role=device,path=%s%s%s", path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_swd", args, &d) == 0,
	      "device without geometry refused on a small formatted window");
	if (check_failures == 0) {
		CHECK(setup_port_mtu(h, 1, big_pool, 1500, 0) == 0 &&
		      setup_port_mtu(d, 1, big_pool, 1500, 0) == 0 && wait_link(h, d, 1, 2000),
		      "small window link");
		m = make_frame(1000, 1, 0, 10000);
		CHECK(rte_eth_tx_burst(h, 0, &m, 1) == 1, "tx on the small window");
		CHECK(drain(d, 0, &len) == 1 && len == 1000, "frame across 256-byte slots");
	}
	pair_down("sw", h, d);
}

/*
 * Item 10: each end publishes the receive queues it polls; a TX queue the
 * peer does not poll refuses frames with its own counter instead of
 * filling a ring nobody drains. And coherence modes may differ: the link
 * comes up, and xstats show the mismatch.
 */
static void
test_peer_queues(void)
{
	uint16_t h, d, n, i;
	struct rte_mbuf *pkts[BURST];
	const bool flush = strstr(extra_devargs, "flush") != NULL;

	/* The device end configures 2 of the window's 4 queue pairs, and
	 * the other coherence mode than the host (whose extra devargs are
	 * the run's). */
	CHECK(pair_up("pq", "queues=4,size=64M", "", 4, 2, 1500, 1500, &h, &d) == 0,
	      "peer-queue pair up");
	for (i = 0; i < BURST; i++)
		pkts[i] = make_frame(100, i, 3, 10000);
	n = rte_eth_tx_burst(h, 3, pkts, BURST);
	for (i = n; i < BURST; i++)
		rte_pktmbuf_free(pkts[i]);
	CHECK(n == BURST && xstat(h, "tx_peer_queue_idle") == BURST,
	      "queue 3 (not polled by the peer): tx %u, tx_peer_queue_idle %" PRIu64, n,
	      xstat(h, "tx_peer_queue_idle"));
	pkts[0] = make_frame(100, 0, 1, 10000);
	CHECK(rte_eth_tx_burst(h, 1, pkts, 1) == 1 && drain(d, 1, NULL) == 1,
	      "queue 1 (polled) does not carry frames");
	CHECK(xstat(h, "coherence_mismatch") == 0, "no mismatch reported between equal modes");
	pair_down("pq", h, d);

	/* Other coherence modes on the two ends: allowed, and visible. Not
	 * under the stale-read injector, where the hw end's writes never
	 * reach memory (it does not write back: that is what hw means). */
	if (!stale_injected) {
		char harg[400], darg[64];
		uint16_t h2, d2;
		char args[512];

		snprintf(harg, sizeof(harg), "role=host,path=%s.cm,size=16M,coherence=%s", win_path,
			 flush ? "flush" : "hw");
		snprintf(darg, sizeof(darg), "coherence=%s", flush ? "hw" : "flush");
		CHECK(add_port("net_cxlmem_cmh", harg, &h2) == 0, "mixed-coherence host");
		snprintf(args, sizeof(args), "role=device,path=%s.cm,%s", win_path, darg);
		CHECK(add_port("net_cxlmem_cmd", args, &d2) == 0, "mixed-coherence device");
		CHECK(setup_port_mtu(h2, 1, big_pool, 1500, 0) == 0 &&
		      setup_port_mtu(d2, 1, big_pool, 1500, 0) == 0 && wait_link(h2, d2, 1, 2000),
		      "link up between coherence modes");
		CHECK(xstat(h2, "coherence_mismatch") == 1 && xstat(d2, "coherence_mismatch") == 1,
		      "coherence_mismatch %" PRIu64 "/%" PRIu64, xstat(h2, "coherence_mismatch"),
		      xstat(d2, "coherence_mismatch"));
		pkts[0] = make_frame(500, 0, 0, 10000);
		CHECK(rte_eth_tx_burst(h2, 0, pkts, 1) == 1 && drain(d2, 0, NULL) == 1,
		      "no traffic between coherence modes on coherent memory");
		rte_eth_dev_callback_unregister(h2, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
		rte_eth_dev_callback_unregister(d2, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
		rte_eal_hotplug_remove("vdev", "net_cxlmem_cmd");
		rte_eal_hotplug_remove("vdev", "net_cxlmem_cmh");
		snprintf(args, sizeof(args), "%s.cm", win_path);
		unlink(args);
	}
}

/*
 * Item 11: any descriptor count in range is accepted (apps ask 512, 2048,
 * 4096); the window's ring size is the default, and a TX count below it
 * bounds the frames this end keeps in flight.
 */
static void
test_desc_counts(void)
{
	static const uint16_t counts[] = { 32, 512, 2048, 4096 };
	struct rte_eth_dev_info info;
	struct rte_mbuf *pkts[BURST];
	char args[512];
	uint16_t h, d, n, i;
	unsigned int c, sent = 0;

	snprintf(args, sizeof(args), "role=host,path=%s.dc,size=16M%s%s", win_path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_dch", args, &h) == 0, "descriptor-count host");
	snprintf(args, sizeof(args), "role=device,path=%s.dc%s%s", win_path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_dcd", args, &d) == 0, "descriptor-count device");
	CHECK(rte_eth_dev_info_get(h, &info) == 0 && info.default_rxportconf.ring_size == 1024 &&
	      info.default_txportconf.ring_size == 1024, "the ring size is not the default");
	for (c = 0; c < RTE_DIM(counts); c++) {
		struct rte_eth_conf conf = { 0 };

		CHECK(rte_eth_dev_configure(h, 1, 1, &conf) == 0, "configure");
		CHECK(rte_eth_rx_queue_setup(h, 0, counts[c], rte_socket_id(), NULL, pool) == 0,
		      "rx queue setup with %u descriptors refused", counts[c]);
		CHECK(rte_eth_tx_queue_setup(h, 0, counts[c], rte_socket_id(), NULL) == 0,
		      "tx queue setup with %u descriptors refused", counts[c]);
	}
	/* Now 512 descriptors on the 1024-slot ring: 512 frames in flight. */
	CHECK(rte_eth_tx_queue_setup(h, 0, 512, rte_socket_id(), NULL) == 0, "512 descriptors");
	CHECK(rte_eth_dev_start(h) == 0 && setup_port_mtu(d, 1, pool, 1500, 0) == 0 &&
	      wait_link(h, d, 1, 2000), "descriptor-count link");
	for (c = 0; c < 100; c++) {
		for (i = 0; i < BURST; i++)
			pkts[i] = make_frame(64, sent + i, 0, 10000);
		n = rte_eth_tx_burst(h, 0, pkts, BURST);
		for (i = n; i < BURST; i++)
			rte_pktmbuf_free(pkts[i]);
		sent += n;
	}
	CHECK(sent == 512, "a TX queue of 512 descriptors held %u frames", sent);
	CHECK(drain(d, 0, NULL) == sent, "frames lost");
	rte_eth_dev_callback_unregister(d, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	rte_eal_hotplug_remove("vdev", "net_cxlmem_dcd");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_dch");
	snprintf(args, sizeof(args), "%s.dc", win_path);
	unlink(args);
}

/* Item 14: a real link speed: the documented default, or speed=. */
static void
test_link_speed(uint16_t host)
{
	struct rte_eth_link l;
	char args[512];
	uint16_t p;

	CHECK(rte_eth_link_get_nowait(host, &l) == 0 && l.link_speed == RTE_ETH_SPEED_NUM_100G,
	      "default link speed %u, expected %u", l.link_speed, RTE_ETH_SPEED_NUM_100G);
	snprintf(args, sizeof(args), "role=host,path=%s.speed,size=16M,speed=25000", win_path);
	CHECK(add_port("net_cxlmem_sp", args, &p) == 0, "speed= probe");
	CHECK(rte_eth_link_get_nowait(p, &l) == 0 && l.link_speed == 25000,
	      "speed=25000 reported as %u", l.link_speed);
	rte_eal_hotplug_remove("vdev", "net_cxlmem_sp");
	snprintf(args, sizeof(args), "%s.speed", win_path);
	unlink(args);
}

/*
 * Item 9: stats_reset must not race the lcore that owns the counters. A
 * worker lcore sends and receives one frame per burst, as fast as it can;
 * the main lcore resets and reads the counters many times. Right after a
 * reset the host can have sent no more frames than the worker sent during
 * the reset-and-read window; a reset the worker's "+= n" undid shows as
 * the whole count.
 */
static volatile int race_stop;
static volatile uint64_t race_sent;

static int
race_worker(void *arg)
{
	const uint16_t *ports = arg;
	struct rte_mbuf *m, *got[BURST];
	uint16_t n, i;

	while (!race_stop) {
		m = rte_pktmbuf_alloc(pool);
		if (m == NULL)
			continue;
		rte_pktmbuf_append(m, 60);
		if (rte_eth_tx_burst(ports[0], 0, &m, 1) == 1)
			race_sent++;
		else
			rte_pktmbuf_free(m);
		n = rte_eth_rx_burst(ports[1], 0, got, BURST);
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(got[i]);
	}
	return 0;
}

static void
test_stats_reset_race(uint16_t host, uint16_t dev)
{
	static uint16_t ports[2];
	unsigned int worker = rte_get_next_lcore(-1, 1, 0), i, bad = 0;
	uint64_t worst = 0;

	if (worker >= RTE_MAX_LCORE) {
		printf("SKIP stats-reset race: needs a second lcore (-l 0,1)\n");
		return;
	}
	ports[0] = host;
	ports[1] = dev;
	race_stop = 0;
	rte_eal_remote_launch(race_worker, ports, worker);
	for (i = 0; i < 200000; i++) {
		struct rte_eth_stats st;
		uint64_t before = race_sent, after;

		rte_eth_stats_reset(host);
		rte_eth_stats_get(host, &st);
		after = race_sent;
		/* +1: the burst the worker is inside may count after the
		 * reset but before race_sent moves. */
		if (st.opackets > after - before + 1) {
			bad++;
			worst = RTE_MAX(worst, st.opackets - (after - before));
		}
	}
	race_stop = 1;
	rte_eal_wait_lcore(worker);
	CHECK(bad == 0, "%u of 200000 resets lost to the lcore's update (worst: %" PRIu64
	      " frames counted that were sent before the reset)", bad, worst);
	drain(dev, 0, NULL);
}

/*
 * Item 1: the superblock is read once. A thread flips the window's
 * superblock between a small valid geometry and one whose sizes wrap at 64
 * bits while device ports without geometry probe it; every probe must
 * either fail cleanly or run with the valid geometry (a port that took the
 * flipped one would map its rings 2^62 bytes away and crash on start).
 */
static volatile int flip_stop;
static struct cxlmem_superblock *flip_sb;

static void *
flipper(void *arg)
{
	const struct cxlmem_superblock good = *flip_sb;
	unsigned long k = 0;

	(void)arg;
	while (!flip_stop) {
		/* The hostile geometry: queues=2, rsize=2^31, bsize=2^31-8,
		 * whose 64-bit-wrapped window size is 20 KiB. */
		__atomic_store_n(&flip_sb->ring_size, (k & 1) ? 1u << 31 : good.ring_size,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&flip_sb->buf_size, (k & 1) ? (1u << 31) - 8 : good.buf_size,
				 __ATOMIC_RELAXED);
		k++;
	}
	*flip_sb = good;
	return NULL;
}

static void
test_superblock_flip(void)
{
	char path[300], args[512];
	unsigned int i, ok = 0, refused = 0;
	pthread_t t;
	uint16_t h, d;
	int fd;
	void *map;

	/* The flipper writes the window through its own mapping: under the
	 * stale-read injector that is a private copy nobody else sees. */
	if (stale_injected)
		return;
	snprintf(path, sizeof(path), "%s.flip", win_path);
	snprintf(args, sizeof(args), "role=host,path=%s,size=8M,queues=2,rsize=64,bsize=256", path);
	CHECK(add_port("net_cxlmem_fh", args, &h) == 0, "flip host");
	fd = open(path, O_RDWR);
	map = fd >= 0 ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	CHECK(map != MAP_FAILED, "map %s", path);
	if (map == MAP_FAILED)
		return;
	flip_sb = map;
	flip_stop = 0;
	pthread_create(&t, NULL, flipper, NULL);
	snprintf(args, sizeof(args), "role=device,path=%s", path);
	for (i = 0; i < 300; i++) {
		struct rte_eth_dev_info info;

		if (add_port("net_cxlmem_fd", args, &d) != 0) {
			refused++;
			continue;
		}
		ok++;
		CHECK(rte_eth_dev_info_get(d, &info) == 0 && info.max_rx_queues == 2 &&
		      info.default_rxportconf.ring_size == 64,
		      "probe %u took queues=%u rsize=%u", i, info.max_rx_queues,
		      info.default_rxportconf.ring_size);
		/* Touch every ring: queue setup reads our indexes in the window. */
		CHECK(setup_port_mtu(d, 2, pool, 1500, 0) == 0, "start on a flipped window");
		rte_eth_dev_callback_unregister(d, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
		rte_eal_hotplug_remove("vdev", "net_cxlmem_fd");
	}
	flip_stop = 1;
	pthread_join(t, NULL);
	printf("superblock flip: %u probes accepted, %u refused\n", ok, refused);
	munmap(map, 4096);
	close(fd);
	rte_eal_hotplug_remove("vdev", "net_cxlmem_fh");
	unlink(path);
}

/* ---- issue 11: offloads carried across the window ------------------------- */

#define TCP_PAYLOAD_MAX 64000u
static uint8_t tcp_buf[TCP_PAYLOAD_MAX + 128];

/* fd00::1 -> fd00::2. The addresses are bytes on every release (arrays up
 * to DPDK 24.07, struct rte_ipv6_addr since). */
static void
set_ipv6_addrs(struct rte_ipv6_hdr *ip6)
{
	uint8_t *src6 = (uint8_t *)&ip6->src_addr, *dst6 = (uint8_t *)&ip6->dst_addr;

	memset(src6, 0, 16);
	memset(dst6, 0, 16);
	src6[0] = dst6[0] = 0xfd;
	src6[15] = 1;
	dst6[15] = 2;
}

static uint8_t
tcp_pat(uint32_t i)
{
	return (uint8_t)(i * 13 + (i >> 9));
}

/*
 * A TCP frame over IPv4 or IPv6 with `payload` bytes, as an mbuf chain of
 * 8000-byte segments. ol: the TX offload flags to request (their lengths
 * are filled in); the IPv4 header checksum is left 0 when IP_CKSUM is
 * asked, the TCP checksum holds what the mbuf API wants: the pseudo-header
 * sum for an offload (without the length for TSO), else the full sum.
 */
static struct rte_mbuf *
make_tcp(bool v6, uint32_t payload, uint16_t mss, uint64_t ol, uint32_t seq)
{
	const uint32_t l2 = RTE_ETHER_HDR_LEN, l3 = v6 ? 40 : 20, l4 = 20;
	const uint32_t len = l2 + l3 + l4 + payload;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)tcp_buf;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(tcp_buf + l2 + l3);
	struct rte_mbuf *head = NULL, *prev = NULL;
	uint32_t i, off = 0;

	memset(tcp_buf, 0, l2 + l3 + l4);
	memset(eth->dst_addr.addr_bytes, 0x02, 6);
	memset(eth->src_addr.addr_bytes, 0x04, 6);
	eth->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(tcp_buf + l2);

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		ip6->proto = IPPROTO_TCP;
		ip6->hop_limits = 64;
		set_ipv6_addrs(ip6);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(tcp_buf + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)RTE_MIN(l3 + l4 + payload, 65535u));
		ip->packet_id = rte_cpu_to_be_16(100);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0xc0000201);
		ip->dst_addr = rte_cpu_to_be_32(0xc0000202);
		if (!(ol & RTE_MBUF_F_TX_IP_CKSUM))
			ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	for (i = 0; i < payload; i++)
		tcp_buf[l2 + l3 + l4 + i] = tcp_pat(i);
	if (ol & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM))
		th->cksum = v6 ? rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)(tcp_buf + l2), ol) :
				 rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)(tcp_buf + l2), ol);
	else
		th->cksum = v6 ? rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)(tcp_buf + l2), th) :
				 rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)(tcp_buf + l2), th);
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(big_pool);
		uint32_t n = RTE_MIN(len - off, 8000u);

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), tcp_buf + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		prev = m;
	}
	head->ol_flags = ol | (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
	head->l2_len = l2;
	head->l3_len = l3;
	head->l4_len = l4;
	head->tso_segsz = mss;
	return head;
}

/* Receive everything that arrives on (port, 0) within 50 ms of quiet. */
static unsigned int
recv_all(uint16_t port, struct rte_mbuf **out, unsigned int max)
{
	unsigned int got = 0, idle = 0;

	while (idle < 50 && got < max) {
		uint16_t n = rte_eth_rx_burst(port, 0, out + got,
					      (uint16_t)RTE_MIN(max - got, (unsigned int)BURST));

		if (n == 0) {
			idle++;
			rte_delay_us_sleep(1000);
		}
		got += n;
		if (n != 0)
			idle = 0;
	}
	return got;
}

/* Check one received TCP frame of the stream: full checksums valid (when
 * want_csum), payload bytes in place. Returns its TCP payload length or -1. */
static int
check_tcp(struct rte_mbuf *m, bool v6, uint32_t seq0, bool want_csum)
{
	const uint32_t l2 = RTE_ETHER_HDR_LEN, l3 = v6 ? 40 : 20, l4 = 20;
	static uint8_t b[TCP_PAYLOAD_MAX + 128];
	const uint8_t *p;
	const struct rte_tcp_hdr *th;
	uint32_t i, payload, first;

	if (m->pkt_len < l2 + l3 + l4 || m->pkt_len > sizeof(b))
		return -1;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, b);
	th = (const struct rte_tcp_hdr *)(p + l2 + l3);
	payload = m->pkt_len - l2 - l3 - l4;
	first = rte_be_to_cpu_32(th->sent_seq) - seq0;
	if (want_csum) {
		if (v6) {
			if (rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)(p + l2), th) != 0)
				return -1;
		} else {
			const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + l2);

			if (rte_raw_cksum(ip, 20) != 0xffff ||
			    rte_be_to_cpu_16(ip->total_length) != l3 + l4 + payload ||
			    rte_ipv4_udptcp_cksum_verify(ip, th) != 0)
				return -1;
		}
	}
	for (i = 0; i < payload; i++)
		if (p[l2 + l3 + l4 + i] != tcp_pat(first + i))
			return -1;
	return (int)payload;
}

/*
 * TSO and LRO across the window. The host sends a 30000-byte TCP GSO frame
 * (MSS 1448); a device end with TCP_LRO gets it whole, with RX_LRO and
 * tso_segsz; a device end without LRO gets 21 segments with correct
 * checksums, sequence numbers and payload, the host having segmented it.
 * Both for IPv4 and IPv6.
 */
static void
test_tso(void)
{
	static const uint64_t rx_lro = RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
				       RTE_ETH_RX_OFFLOAD_SCATTER;
	const uint32_t payload = 30000, mss = 1448;
	struct rte_mbuf *got[64], *m;
	unsigned int lro, v, n, i;

	/* lro 0: no LRO; 1: LRO (partial checksums completed by the receiving
	 * PMD, GOOD); 2: LRO with rx_partial_csum=on (handed over partial). */
	for (lro = 0; lro < 3; lro++) {
		for (v = 0; v < 2; v++) {
			const bool v6 = v == 1;
			char tag[16], args[512];
			struct rte_eth_conf conf = { .rxmode = { .mtu = 1500 } };
			uint16_t h, d;
			uint32_t seen = 0;
			bool ok = true;

			snprintf(tag, sizeof(tag), "tso%u%u", lro, v);
			snprintf(args, sizeof(args), "role=host,path=%s.%s,size=16M%s%s", win_path, tag,
				 extra_devargs[0] ? "," : "", extra_devargs);
			CHECK(add_port("net_cxlmem_tsoh", args, &h) == 0, "tso host");
			snprintf(args, sizeof(args), "role=device,path=%s.%s%s%s%s", win_path, tag,
				 lro == 2 ? ",rx_partial_csum=on" : "",
				 extra_devargs[0] ? "," : "", extra_devargs);
			CHECK(add_port("net_cxlmem_tsod", args, &d) == 0, "tso device");
			conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
					       RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
			CHECK(rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
			      rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, pool) == 0 &&
			      rte_eth_tx_queue_setup(h, 0, 0, rte_socket_id(), NULL) == 0 &&
			      rte_eth_dev_start(h) == 0, "tso host setup");
			memset(&conf, 0, sizeof(conf));
			conf.rxmode.mtu = 1500;
			if (lro) {
				conf.rxmode.offloads = rx_lro;
				conf.rxmode.max_lro_pkt_size = 65535;
			}
			CHECK(rte_eth_dev_configure(d, 1, 1, &conf) == 0 &&
			      rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, pool) == 0 &&
			      rte_eth_tx_queue_setup(d, 0, 0, rte_socket_id(), NULL) == 0 &&
			      rte_eth_dev_start(d) == 0 && wait_link(h, d, 1, 2000), "tso device setup");
			rte_delay_us_sleep(30 * 1000); /* the host reads what the device takes */

			m = make_tcp(v6, payload, (uint16_t)mss, RTE_MBUF_F_TX_TCP_SEG |
				     (v6 ? 0 : RTE_MBUF_F_TX_IP_CKSUM), 1000);
			CHECK(m != NULL && rte_eth_tx_burst(h, 0, &m, 1) == 1, "tso tx");
			n = recv_all(d, got, RTE_DIM(got));
			if (lro) {
				CHECK(n == 1, "LRO %s: %u frames, expected the GSO frame whole",
				      v6 ? "IPv6" : "IPv4", n);
				if (n == 1) {
					CHECK((got[0]->ol_flags & RTE_MBUF_F_RX_LRO) &&
					      got[0]->tso_segsz == mss &&
					      (got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
					      (lro == 2 ? RTE_MBUF_F_RX_L4_CKSUM_NONE :
					       RTE_MBUF_F_RX_L4_CKSUM_GOOD),
					      "LRO frame flags %#" PRIx64 " tso_segsz %u",
					      got[0]->ol_flags, got[0]->tso_segsz);
					CHECK(check_tcp(got[0], v6, 1000, lro == 1) == (int)payload,
					      "LRO frame payload%s differs", lro == 1 ? " or checksum" : "");
				}
				CHECK(xstat(h, "tx_gso_segmented") == 0, "segmented although the peer takes it");
			} else {
				CHECK(n == (payload + mss - 1) / mss, "no LRO %s: %u frames, expected %u",
				      v6 ? "IPv6" : "IPv4", n, (payload + mss - 1) / mss);
				for (i = 0; i < n; i++) {
					int pl = check_tcp(got[i], v6, 1000, true);
					const struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(got[i],
						const struct rte_tcp_hdr *, RTE_ETHER_HDR_LEN + (v6 ? 40 : 20));

					if (pl < 0 || rte_be_to_cpu_32(th->sent_seq) != 1000 + seen ||
					    ((th->tcp_flags & RTE_TCP_FIN_FLAG) != 0) != (i + 1 == n) ||
					    (got[i]->ol_flags & RTE_MBUF_F_RX_LRO))
						ok = false;
					seen += pl > 0 ? (uint32_t)pl : 0;
				}
				CHECK(ok && seen == payload, "segments: checksums, sequence or payload wrong "
				      "(%u of %u bytes)", seen, payload);
				CHECK(xstat(h, "tx_gso_segmented") == 1, "tx_gso_segmented %" PRIu64,
				      xstat(h, "tx_gso_segmented"));
			}
			for (i = 0; i < n; i++)
				rte_pktmbuf_free(got[i]);
			rte_eth_dev_stop(d);
			rte_eth_dev_stop(h);
			rte_eal_hotplug_remove("vdev", "net_cxlmem_tsod");
			rte_eal_hotplug_remove("vdev", "net_cxlmem_tsoh");
			snprintf(args, sizeof(args), "%s.%s", win_path, tag);
			unlink(args);
		}
	}
}

/*
 * L4 and IPv4 checksum offloads. TX TCP_CKSUM to a receiver that enabled
 * TCP_CKSUM: the frame crosses with its checksum partial, the receiving PMD
 * completes it and reports RX_L4_CKSUM_GOOD (rx_partial_csum=on is
 * test_partial_csum's); to a receiver that did not, the sender completes it
 * (tx_csum_completed) and a full, valid checksum arrives. TX IP_CKSUM
 * always arrives as a valid header. RX IPV4_CKSUM reports GOOD, and BAD
 * for a header sent with a broken checksum and no offload.
 */
static void
test_csum(void)
{
	unsigned int rxcsum;

	for (rxcsum = 0; rxcsum < 2; rxcsum++) {
		struct rte_eth_conf conf = { .rxmode = { .mtu = 1500 } };
		struct rte_mbuf *m, *got[4];
		char args[512];
		uint16_t h, d;
		unsigned int n;

		snprintf(args, sizeof(args), "role=host,path=%s.csum,size=16M%s%s", win_path,
			 extra_devargs[0] ? "," : "", extra_devargs);
		CHECK(add_port("net_cxlmem_ch", args, &h) == 0, "csum host");
		snprintf(args, sizeof(args), "role=device,path=%s.csum%s%s", win_path,
			 extra_devargs[0] ? "," : "", extra_devargs);
		CHECK(add_port("net_cxlmem_cd", args, &d) == 0, "csum device");
		conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		CHECK(rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
		      rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, pool) == 0 &&
		      rte_eth_tx_queue_setup(h, 0, 0, rte_socket_id(), NULL) == 0 &&
		      rte_eth_dev_start(h) == 0, "csum host setup");
		memset(&conf, 0, sizeof(conf));
		conf.rxmode.mtu = 1500;
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
				       (rxcsum ? RTE_ETH_RX_OFFLOAD_TCP_CKSUM : 0);
		CHECK(rte_eth_dev_configure(d, 1, 1, &conf) == 0 &&
		      rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, pool) == 0 &&
		      rte_eth_tx_queue_setup(d, 0, 0, rte_socket_id(), NULL) == 0 &&
		      rte_eth_dev_start(d) == 0 && wait_link(h, d, 1, 2000), "csum device setup");
		rte_delay_us_sleep(30 * 1000);

		m = make_tcp(false, 1000, 0, RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IP_CKSUM, 7);
		CHECK(rte_eth_tx_burst(h, 0, &m, 1) == 1, "csum tx");
		n = recv_all(d, got, RTE_DIM(got));
		CHECK(n == 1, "csum: %u frames", n);
		if (n == 1) {
			const uint64_t l4f = got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

			CHECK((got[0]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
			      RTE_MBUF_F_RX_IP_CKSUM_GOOD, "IPv4 header checksum not reported GOOD");
			if (rxcsum) {
				/* Crossed partial (the sender did not complete it);
				 * the receiving PMD did: an application that
				 * forwards it unchanged sends a valid frame. */
				CHECK(l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD && check_tcp(got[0], false, 7,
				      true) == 1000, "partial checksum not completed on receive: L4 "
				      "flags %#" PRIx64, l4f);
				CHECK(xstat(h, "tx_csum_completed") == 0 &&
				      xstat(d, "rx_csum_completed") == 1,
				      "tx_csum_completed %" PRIu64 " rx_csum_completed %" PRIu64,
				      xstat(h, "tx_csum_completed"), xstat(d, "rx_csum_completed"));
			} else {
				CHECK(l4f == 0 && check_tcp(got[0], false, 7, true) == 1000,
				      "a full, valid checksum did not arrive (L4 flags %#" PRIx64 ")", l4f);
				CHECK(xstat(h, "tx_csum_completed") == 1, "tx_csum_completed %" PRIu64,
				      xstat(h, "tx_csum_completed"));
			}
			rte_pktmbuf_free(got[0]);
		}
		/* A header with a wrong checksum and no offload: reported BAD. */
		m = make_tcp(false, 100, 0, 0, 9);
		rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN)->hdr_checksum ^= 0x5a;
		m->ol_flags = 0;
		CHECK(rte_eth_tx_burst(h, 0, &m, 1) == 1, "bad-header tx");
		n = recv_all(d, got, RTE_DIM(got));
		CHECK(n == 1 && (got[0]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
		      RTE_MBUF_F_RX_IP_CKSUM_BAD, "a broken IPv4 header checksum not reported BAD");
		if (n == 1)
			rte_pktmbuf_free(got[0]);
		rte_eth_dev_stop(d);
		rte_eth_dev_stop(h);
		rte_eal_hotplug_remove("vdev", "net_cxlmem_cd");
		rte_eal_hotplug_remove("vdev", "net_cxlmem_ch");
		snprintf(args, sizeof(args), "%s.csum", win_path);
		unlink(args);
	}
}

/*
 * Untrusted metadata: frames written straight into the device's receive
 * ring, as a hostile host would, with metadata that does not fit the
 * frame, an unknown GSO type, or GSO to a receiver without LRO: each is
 * dropped and counted in rx_bad_offload, none is delivered; a good one
 * after them is.
 */
static void
test_bad_metadata(void)
{
	struct cxlmem_geometry g;
	struct cxlmem_offload bad[5];
	char path[300];
	uint16_t h, d;
	uint8_t *map;
	uint32_t k, prod;
	struct rte_mbuf *got[8];
	int fd;

	if (stale_injected)
		return; /* our own mapping would be a private copy */
	snprintf(path, sizeof(path), "%s.meta", win_path);
	CHECK(pair_up("meta", "size=4M,queues=1,rsize=64,bsize=2048", "", 1, 1, 1500, 1500, &h,
		      &d) == 0, "meta link");
	cxlmem_geometry(1, 64, 2048, &g);
	fd = open(path, O_RDWR);
	map = mmap(NULL, g.window_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "map");
	if (map == MAP_FAILED)
		return;
	memset(bad, 0, sizeof(bad));
	bad[0].flags = CXLMEM_OFL_F_NEEDS_CSUM;     /* csum field beyond the frame */
	bad[0].csum_start = 90;
	bad[0].csum_offset = 16;
	bad[1].gso_type = 7;                         /* unknown GSO type */
	bad[1].hdr_len = 54;
	bad[1].gso_size = 1448;
	bad[2].gso_type = CXLMEM_GSO_TCPV4;          /* GSO to a receiver without LRO */
	bad[2].hdr_len = 54;
	bad[2].gso_size = 1448;
	bad[3].gso_type = CXLMEM_GSO_TCPV4;          /* hdr_len beyond the frame */
	bad[3].hdr_len = 200;
	bad[3].gso_size = 1448;
	bad[4].reserved[5] = 1;                      /* reserved bytes not zero */
	{
		uint8_t *ring = map + cxlmem_ring_offset(&g, 0, CXLMEM_DIR_H2D);
		uint32_t *prodp = (uint32_t *)ring;
		struct cxlmem_desc *desc = (struct cxlmem_desc *)(ring + CXLMEM_DESC_OFFSET);
		const struct cxlmem_ctrl *dc = (const struct cxlmem_ctrl *)(map +
						CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE));
		uint16_t tag = (uint16_t)dc->epoch;

		prod = __atomic_load_n(prodp, __ATOMIC_ACQUIRE);
		for (k = 0; k < 6; k++) {
			uint8_t *slot = ring + g.buf_offset + (size_t)(prod & 63) * 2048;
			uint32_t flen = 16 + 100;

			if (k < RTE_DIM(bad))
				memcpy(slot, &bad[k], 16);
			else
				memset(slot, 0, 16); /* good: no offload at all */
			memset(slot + 16, 0x33, 100);
			desc[prod & 63].len = flen;
			desc[prod & 63].flags = CXLMEM_DESC_F_META;
			desc[prod & 63].epoch_tag = tag;
			prod++;
		}
		__atomic_store_n(prodp, prod, __ATOMIC_RELEASE);
	}
	k = recv_all(d, got, RTE_DIM(got));
	CHECK(k == 1 && got[0]->pkt_len == 100, "%u frames delivered, expected the one good one", k);
	CHECK(xstat(d, "rx_bad_offload") == RTE_DIM(bad), "rx_bad_offload %" PRIu64,
	      xstat(d, "rx_bad_offload"));
	while (k > 0)
		rte_pktmbuf_free(got[--k]);
	munmap(map, g.window_bytes);
	close(fd);
	pair_down("meta", h, d);
}

/*
 * A TCP or UDP frame over IPv4 or IPv6 with `payload` bytes in one mbuf of
 * big_pool, its L4 checksum requested as an offload (TX TCP_CKSUM or
 * UDP_CKSUM: the field holds the pseudo-header sum, as the mbuf API says).
 */
static struct rte_mbuf *
make_l4_partial(bool v6, bool udp, uint32_t payload, uint8_t salt)
{
	const uint32_t l2 = RTE_ETHER_HDR_LEN, l3 = v6 ? 40 : 20, l4 = udp ? 8 : 20;
	const uint64_t ol = (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
			    (udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
	struct rte_mbuf *m = rte_pktmbuf_alloc(big_pool);
	uint8_t *p;
	uint32_t i, field;
	uint16_t seed;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + l3 + l4 + payload));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, l2 + l3 + l4);
	memset(p, 0x02, 6);
	memset(p + 6, 0x04, 6);
	((struct rte_ether_hdr *)p)->ether_type =
		rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + l2);

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		ip6->proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip6->hop_limits = 64;
		set_ipv6_addrs(ip6);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + payload));
		ip->time_to_live = 64;
		ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0xc6336401);
		ip->dst_addr = rte_cpu_to_be_32(0xc6336402);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (udp) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(p + l2 + l3);

		uh->src_port = rte_cpu_to_be_16(40001);
		uh->dst_port = rte_cpu_to_be_16(4789);
		uh->dgram_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		field = l2 + l3 + offsetof(struct rte_udp_hdr, dgram_cksum);
	} else {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(p + l2 + l3);

		th->src_port = rte_cpu_to_be_16(40002);
		th->dst_port = rte_cpu_to_be_16(5201);
		th->sent_seq = rte_cpu_to_be_32(77);
		th->data_off = 5 << 4;
		th->tcp_flags = RTE_TCP_ACK_FLAG;
		th->rx_win = rte_cpu_to_be_16(65535);
		field = l2 + l3 + offsetof(struct rte_tcp_hdr, cksum);
	}
	for (i = 0; i < payload; i++)
		p[l2 + l3 + l4 + i] = (uint8_t)(tcp_pat(i) ^ salt);
	seed = v6 ? rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)(p + l2), ol) :
		    rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)(p + l2), ol);
	memcpy(p + field, &seed, sizeof(seed));
	m->ol_flags = ol;
	m->l2_len = l2;
	m->l3_len = l3;
	m->l4_len = l4;
	return m;
}

/* Whether received frame m (as make_l4_partial() built it) has a valid L4
 * checksum: it sums, pseudo-header included, to 0xffff. */
static bool
l4_csum_valid(struct rte_mbuf *m, bool v6)
{
	static uint8_t b[MAX_FRAME];
	const uint8_t *p;
	const uint32_t l2 = RTE_ETHER_HDR_LEN;

	if (m->pkt_len > sizeof(b))
		return false;
	p = rte_pktmbuf_read(m, 0, m->pkt_len, b);
	if (v6)
		return rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)(p + l2),
						    p + l2 + 40) == 0;
	return rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)(p + l2),
					    p + l2 + 20) == 0;
}

/*
 * Partial checksums (the peer's TX checksum offload) and the application
 * that forwards what it receives. The device end enables TCP/UDP checksum
 * offload (as OVS and testpmd's csum engine do), so the host sends TCP and
 * UDP over IPv4 and IPv6, 200-byte and 5000-byte (a chain of 2 KiB mbufs
 * at the receiver) frames, with their checksums partial:
 *   default:            each arrives with a valid checksum, RX_L4_CKSUM_GOOD
 *                       (completed by the receiving PMD: rx_csum_completed);
 *   rx_partial_csum=on: each arrives partial, RX_L4_CKSUM_NONE, as before.
 * Then (default only) a frame written into the ring by a fake peer whose
 * metadata puts the checksum inside the UDP payload: completed where the
 * peer said (the sum from csum_start, plus the seed that was in the field,
 * is 0xffff), but not reported GOOD.
 */
static void
test_partial_csum(void)
{
	static const uint32_t sizes[] = { 200, 5000 };
	unsigned int partial;

	for (partial = 0; partial < 2; partial++) {
		struct rte_eth_conf conf = { .rxmode = { .mtu = 9000 } };
		struct rte_mbuf *m, *got[4];
		unsigned int v, u, z, n, sent = 0;
		char args[512];
		uint16_t h, d;

		snprintf(args, sizeof(args), "role=host,path=%s.pcsum,size=16M%s%s", win_path,
			 extra_devargs[0] ? "," : "", extra_devargs);
		CHECK(add_port("net_cxlmem_pch", args, &h) == 0, "pcsum host");
		snprintf(args, sizeof(args), "role=device,path=%s.pcsum%s%s%s", win_path,
			 partial ? ",rx_partial_csum=on" : "",
			 extra_devargs[0] ? "," : "", extra_devargs);
		CHECK(add_port("net_cxlmem_pcd", args, &d) == 0, "pcsum device");
		conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		CHECK(rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
		      rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, big_pool) == 0 &&
		      rte_eth_tx_queue_setup(h, 0, 0, rte_socket_id(), NULL) == 0 &&
		      rte_eth_dev_start(h) == 0, "pcsum host setup");
		memset(&conf, 0, sizeof(conf));
		conf.rxmode.mtu = 9000;
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
				       RTE_ETH_RX_OFFLOAD_SCATTER;
		CHECK(rte_eth_dev_configure(d, 1, 1, &conf) == 0 &&
		      rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, pool) == 0 &&
		      rte_eth_tx_queue_setup(d, 0, 0, rte_socket_id(), NULL) == 0 &&
		      rte_eth_dev_start(d) == 0 && wait_link(h, d, 1, 2000), "pcsum device setup");
		rte_delay_us_sleep(30 * 1000); /* the host reads what the device takes */

		for (v = 0; v < 2; v++) {
			for (u = 0; u < 2; u++) {
				for (z = 0; z < RTE_DIM(sizes); z++) {
					const uint64_t want = partial ? RTE_MBUF_F_RX_L4_CKSUM_NONE :
								RTE_MBUF_F_RX_L4_CKSUM_GOOD;
					uint64_t l4f;

					m = make_l4_partial(v, u, sizes[z], (uint8_t)(v * 4 + u * 2 + z));
					CHECK(m != NULL && rte_eth_tx_burst(h, 0, &m, 1) == 1,
					      "pcsum tx");
					sent++;
					n = recv_all(d, got, RTE_DIM(got));
					CHECK(n == 1, "pcsum: %u frames", n);
					if (n != 1)
						continue;
					l4f = got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
					CHECK(l4f == want && l4_csum_valid(got[0], v) == !partial &&
					      (sizes[z] < 2000) == (got[0]->nb_segs == 1),
					      "%s %s over IPv%c, %u bytes, %u segment(s), "
					      "rx_partial_csum=%s: L4 flags %#" PRIx64 " (want %#"
					      PRIx64 "), checksum %s", u ? "UDP" : "TCP",
					      partial ? "partial" : "completed", v ? '6' : '4',
					      sizes[z], got[0]->nb_segs, partial ? "on" : "off", l4f,
					      want, l4_csum_valid(got[0], v) ? "valid" : "not valid");
					rte_pktmbuf_free(got[0]);
				}
			}
		}
		CHECK(xstat(h, "tx_csum_completed") == 0, "the sender completed %" PRIu64
		      " checksums (they must cross partial)", xstat(h, "tx_csum_completed"));
		CHECK(xstat(d, "rx_csum_completed") == (partial ? 0 : sent),
		      "rx_csum_completed %" PRIu64 ", expected %u", xstat(d, "rx_csum_completed"),
		      partial ? 0 : sent);

		if (!partial && !stale_injected) {
			/* A fake peer's frame: UDP/IPv4, csum_start 8 bytes into
			 * the payload, csum_offset 2. */
			struct cxlmem_geometry g;
			struct cxlmem_offload meta = { .flags = CXLMEM_OFL_F_NEEDS_CSUM,
						       .csum_start = 14 + 20 + 8 + 8,
						       .csum_offset = 2 };
			struct rte_mbuf *f = make_l4_partial(false, true, 100, 9);
			int fd;
			uint8_t *map;

			snprintf(args, sizeof(args), "%s.pcsum", win_path);
			fd = open(args, O_RDWR);
			cxlmem_geometry(1, 1024, 2048, &g);
			map = mmap(NULL, g.window_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			CHECK(map != MAP_FAILED && f != NULL, "pcsum map");
			if (map != MAP_FAILED && f != NULL) {
				uint8_t *ring = map + cxlmem_ring_offset(&g, 0, CXLMEM_DIR_H2D);
				uint32_t *prodp = (uint32_t *)ring;
				struct cxlmem_desc *desc = (struct cxlmem_desc *)(ring +
								CXLMEM_DESC_OFFSET);
				const struct cxlmem_ctrl *dc = (const struct cxlmem_ctrl *)(map +
								CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE));
				uint32_t prod = __atomic_load_n(prodp, __ATOMIC_ACQUIRE);
				uint8_t *slot = ring + g.buf_offset + (size_t)(prod & 1023) * 2048;
				uint16_t c = 0;

				memcpy(slot, &meta, sizeof(meta));
				memcpy(slot + sizeof(meta), rte_pktmbuf_mtod(f, void *), f->pkt_len);
				desc[prod & 1023].len = (uint32_t)sizeof(meta) + f->pkt_len;
				desc[prod & 1023].flags = CXLMEM_DESC_F_META;
				desc[prod & 1023].epoch_tag = (uint16_t)dc->epoch;
				__atomic_store_n(prodp, prod + 1, __ATOMIC_RELEASE);
				n = recv_all(d, got, RTE_DIM(got));
				CHECK(n == 1, "fake peer's frame: %u frames", n);
				if (n == 1) {
					/* The field held the seed (the peer's pseudo-
					 * header sum: here, payload bytes); completed,
					 * the sum from csum_start plus the seed is
					 * 0xffff, as a verifier's with the
					 * pseudo-header. */
					uint16_t seed;
					uint32_t sum;

					memcpy(&seed, rte_pktmbuf_mtod_offset(f, uint8_t *,
					       meta.csum_start + meta.csum_offset), 2);
					rte_raw_cksum_mbuf(got[0], meta.csum_start,
							   got[0]->pkt_len - meta.csum_start, &c);
					sum = (uint32_t)c + seed;
					c = (uint16_t)((sum & 0xffff) + (sum >> 16));
					CHECK(c == 0xffff && (got[0]->ol_flags &
					      RTE_MBUF_F_RX_L4_CKSUM_MASK) == 0,
					      "checksum outside the L4 header: sum %#x, L4 flags %#"
					      PRIx64, c, (uint64_t)(got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK));
					rte_pktmbuf_free(got[0]);
				}
				munmap(map, g.window_bytes);
			}
			rte_pktmbuf_free(f);
			if (fd >= 0)
				close(fd);
		}
		rte_eth_dev_stop(d);
		rte_eth_dev_stop(h);
		rte_eal_hotplug_remove("vdev", "net_cxlmem_pcd");
		rte_eal_hotplug_remove("vdev", "net_cxlmem_pch");
		snprintf(args, sizeof(args), "%s.pcsum", win_path);
		unlink(args);
	}
}

/*
 * A peer of layout version 1 (its control line has no version: 0) gets no
 * link and no acknowledgement: the host never resynchronises with it. The
 * same fake peer saying version 2 is acknowledged, so the version is what
 * made the difference. The fake device writes its line straight into the
 * file (pwrite), with a heartbeat, as a peer across the link would.
 */
static void
test_peer_version(void)
{
	char path[300], args[512];
	unsigned int v, i;
	uint16_t h;
	int fd;

	if (stale_injected)
		return;
	snprintf(path, sizeof(path), "%s.ver", win_path);
	snprintf(args, sizeof(args), "role=host,path=%s,size=16M%s%s", path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_vh", args, &h) == 0, "version host");
	CHECK(setup_port_mtu(h, 1, pool, 1500, 0) == 0, "version host setup");
	fd = open(path, O_RDWR);
	for (v = 0; v < 2; v++) {
		struct cxlmem_ctrl c, host;

		memset(&c, 0, sizeof(c));
		c.state = CXLMEM_STATE_RUNNING;
		c.epoch = 5 + v;
		c.version = v == 0 ? 0 : CXLMEM_LAYOUT_VERSION;
		for (i = 0; i < 30; i++) {
			c.heartbeat++;
			CHECK(pwrite(fd, &c, sizeof(c), CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE)) ==
			      sizeof(c), "pwrite");
			rte_delay_us_sleep(5000);
		}
		CHECK(pread(fd, &host, sizeof(host), CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_HOST)) ==
		      sizeof(host), "pread");
		if (v == 0)
			CHECK(host.peer_epoch_ack != c.epoch && link_is(h, 0),
			      "a layout version 1 peer was acknowledged (ack %u)", host.peer_epoch_ack);
		else
			CHECK(host.peer_epoch_ack == c.epoch,
			      "a layout version 2 peer was not acknowledged (ack %u)", host.peer_epoch_ack);
	}
	close(fd);
	rte_eth_dev_callback_unregister(h, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	rte_eal_hotplug_remove("vdev", "net_cxlmem_vh");
	unlink(path);
}

/*
 * Without RTE_ETH_RX_OFFLOAD_SCATTER an application takes one mbuf per
 * frame: a queue whose mbufs cannot hold a frame of the MTU is refused at
 * setup (and such an MTU later), and nothing arrives chained.
 */
static void
test_scatter_rule(void)
{
	struct rte_eth_conf conf = { .rxmode = { .mtu = 9000 } };
	char args[512];
	uint16_t h;

	snprintf(args, sizeof(args), "role=host,path=%s.sc,size=16M%s%s", win_path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_sc", args, &h) == 0, "scatter host");
	CHECK(rte_eth_dev_configure(h, 1, 1, &conf) == 0, "configure MTU 9000");
	CHECK(rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, pool) == -EINVAL,
	      "9022-byte frames into 2 KiB mbufs accepted without SCATTER");
	CHECK(rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, big_pool) == 0,
	      "10 KiB mbufs refused for MTU 9000");
	conf.rxmode.mtu = 1500;
	CHECK(rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
	      rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, pool) == 0, "MTU 1500");
	CHECK(rte_eth_dev_set_mtu(h, 9000) == -EINVAL, "MTU 9000 accepted over 2 KiB mbufs "
	      "without SCATTER");
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_SCATTER;
	CHECK(rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
	      rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, pool) == 0 &&
	      rte_eth_dev_set_mtu(h, 9000) == 0, "MTU 9000 with SCATTER");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_sc");
	snprintf(args, sizeof(args), "%s.sc", win_path);
	unlink(args);
}

/* ---- issue 12: zero-copy receive -------------------------------------------- */

static volatile int zc_free_go;
static struct rte_mbuf *zc_to_free[1100];
static volatile unsigned int zc_nfree;

/* Another lcore frees what main hands it, in an order of its own. */
static int
zc_freer(void *arg)
{
	unsigned int i;

	(void)arg;
	while (!zc_free_go)
		rte_pause();
	for (i = 0; i < zc_nfree; i++) {
		unsigned int k = (i * 7919u) % zc_nfree; /* a permutation: 7919 is prime */

		rte_pktmbuf_free(zc_to_free[k]);
	}
	return 0;
}

/* Send n frames of len bytes on queue 0, sequence from seq; all taken. */
static void
zc_send(uint16_t h, unsigned int n, uint32_t len, uint32_t seq)
{
	unsigned int sent = 0;
	uint64_t deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

	while (sent < n && rte_get_timer_cycles() < deadline) {
		struct rte_mbuf *pkts[BURST];
		uint16_t k = (uint16_t)RTE_MIN(n - sent, (unsigned int)BURST), t, i;

		for (i = 0; i < k; i++)
			pkts[i] = make_frame(len, seq + sent + i, 0, 10000);
		t = rte_eth_tx_burst(h, 0, pkts, k);
		for (i = t; i < k; i++)
			rte_pktmbuf_free(pkts[i]);
		sent += t;
	}
	CHECK(sent == n, "zero-copy: sent %u of %u frames", sent, n);
}

/* Receive n frames on queue 0 into out[] (not freed), checking them. */
static unsigned int
zc_recv(uint16_t d, struct rte_mbuf **out, unsigned int n, uint32_t len, uint32_t seq)
{
	unsigned int got = 0, bad = 0;
	uint64_t deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

	while (got < n && rte_get_timer_cycles() < deadline) {
		uint16_t k = rte_eth_rx_burst(d, 0, out + got,
					      (uint16_t)RTE_MIN(n - got, (unsigned int)BURST)), i;

		for (i = 0; i < k; i++)
			if (!check_frame(out[got + i], len, seq + got + i, 0))
				bad++;
		got += k;
	}
	CHECK(bad == 0, "zero-copy: %u of %u frames corrupt", bad, got);
	return got;
}

/*
 * zerocopy=rx: frames of CXLMEM_ZC_COPYBREAK bytes and more arrive as
 * mbufs attached to their slots (one or a chain of several), shorter ones
 * copied. The application may hold them: up to half the ring is lent, then
 * frames are copied and the ring keeps flowing; frees from another lcore
 * in any order give the slots back. Held mbufs survive a peer restart
 * intact (the peer's new life does not write them) and no frame of its
 * old life arrives.
 */
static void
test_zerocopy(void)
{
	static const uint32_t sizes[] = { 60, 255, 256, 1000, 1514, 2048, 3000, 9000 };
	static struct rte_mbuf *held[1100];
	unsigned int worker = rte_get_next_lcore(-1, 1, 0), i, got, ext = 0;
	uint64_t zc0;
	uint16_t h, d;

	CHECK(pair_up("zc", "size=32M", "zerocopy=rx", 1, 1, 9000, 9000, &h, &d) == 0,
	      "zero-copy pair up");
	/* Sizes: which are lent, which copied; content intact either way. */
	for (i = 0; i < RTE_DIM(sizes); i++) {
		struct rte_mbuf *m;

		zc_send(h, 1, sizes[i], 100 + i);
		if (zc_recv(d, &m, 1, sizes[i], 100 + i) != 1) {
			CHECK(0, "zero-copy: %u-byte frame not received", sizes[i]);
			continue;
		}
		CHECK(!!RTE_MBUF_HAS_EXTBUF(m) == (sizes[i] >= 256),
		      "zero-copy: a %u-byte frame %s", sizes[i],
		      RTE_MBUF_HAS_EXTBUF(m) ? "lent (below the copy-break)" : "copied");
		CHECK(m->nb_segs == (RTE_MBUF_HAS_EXTBUF(m) ? (sizes[i] + 2047) / 2048 : m->nb_segs),
		      "zero-copy: %u-byte frame in %u segments", sizes[i], m->nb_segs);
		ext += !!RTE_MBUF_HAS_EXTBUF(m);
		rte_pktmbuf_free(m);
	}
	CHECK(xstat(d, "rx_zerocopy_frames") == ext, "rx_zerocopy_frames %" PRIu64 ", expected %u",
	      xstat(d, "rx_zerocopy_frames"), ext);

	/* Hold 1000 frames of 1000 bytes: 512 lent (half of 1024 slots), the
	 * rest copied; the ring keeps flowing meanwhile. */
	zc0 = xstat(d, "rx_zerocopy_copied");
	for (i = 0; i < 1000; i += 200) {
		zc_send(h, 200, 1000, 1000 + i);
		got = zc_recv(d, held + i, 200, 1000, 1000 + i);
		CHECK(got == 200, "zero-copy: received %u of 200 while holding %u", got, i);
	}
	CHECK(xstat(d, "rx_zerocopy_slots_out") == 512, "rx_zerocopy_slots_out %" PRIu64,
	      xstat(d, "rx_zerocopy_slots_out"));
	CHECK(xstat(d, "rx_zerocopy_copied") - zc0 == 1000 - 512, "rx_zerocopy_copied +%" PRIu64,
	      xstat(d, "rx_zerocopy_copied") - zc0);
	/* Another lcore frees them, in its own order. */
	if (worker < RTE_MAX_LCORE) {
		memcpy(zc_to_free, held, 1000 * sizeof(held[0]));
		zc_nfree = 1000;
		zc_free_go = 0;
		rte_eal_remote_launch(zc_freer, NULL, worker);
		zc_free_go = 1;
		rte_eal_wait_lcore(worker);
	} else {
		for (i = 0; i < 1000; i++)
			rte_pktmbuf_free(held[999 - i]);
	}
	/* The next burst takes the slots back; a whole ring flows again. */
	rte_eth_rx_burst(d, 0, held, 1);
	CHECK(xstat(d, "rx_zerocopy_slots_out") == 0, "slots still out after every free: %" PRIu64,
	      xstat(d, "rx_zerocopy_slots_out"));
	for (i = 0; i < 1024; i += 256) {
		zc_send(h, 256, 600, 5000 + i);
		got = zc_recv(d, held, 256, 600, 5000 + i);
		CHECK(got == 256, "zero-copy: a ring after the frees: %u of 256", got);
		while (got > 0)
			rte_pktmbuf_free(held[--got]);
	}

	/* Hold 10 lent frames across a peer restart. */
	zc_send(h, 10, 3000, 9000);
	got = zc_recv(d, held, 10, 3000, 9000);
	CHECK(got == 10 && RTE_MBUF_HAS_EXTBUF(held[0]), "zero-copy: 10 frames to hold");
	for (i = 0; i < BURST; i++) {
		struct rte_mbuf *m = make_frame(100, 0xdead0000u + i, 0, 10000);

		if (rte_eth_tx_burst(h, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
	}
	rte_eth_dev_stop(h);
	CHECK(wait_link(d, d, 0, 1000), "device link down after host stop");
	rte_eth_dev_start(h);
	CHECK(wait_link(h, d, 1, 2000), "link back after the host restarted");
	{
		struct rte_mbuf *m[BURST];
		uint16_t n = rte_eth_rx_burst(d, 0, m, BURST);

		CHECK(n == 0, "%u frames of the peer's old life delivered", n);
		while (n > 0)
			rte_pktmbuf_free(m[--n]);
	}
	zc_send(h, 500, 1500, 20000); /* the new life fills the ring around the held slots */
	got = zc_recv(d, held + 10, 500, 1500, 20000);
	CHECK(got == 500, "zero-copy: %u of 500 frames after the restart", got);
	for (i = 0; i < 10; i++)
		CHECK(check_frame(held[i], 3000, 9000 + i, 0),
		      "a held zero-copy frame changed under the application");
	for (i = 0; i < 10 + got; i++)
		rte_pktmbuf_free(held[i]);
	pair_down("zc", h, d);
}

/* Closing a port while the application still holds a zero-copy mbuf: the
 * slot and its state stay until the mbuf is freed; nothing crashes. */
/* Is fd readable within ms milliseconds? */
static bool
fd_ready(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

static unsigned int ext_freed;

static void
ext_free_cb(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
	ext_freed++;
}

/*
 * TX MBUF_FAST_FREE: offered; with it, sent single-segment mbufs go back
 * to their pool (none is kept or lost) and arrive intact; an mbuf attached
 * to an external buffer is still detached, its buffer's free callback run
 * (a bulk put would return it to the pool attached, the callback never
 * called, the buffer never released).
 */
static void
test_fast_free(void)
{
	const struct rte_eth_conf conf = {
		.txmode = { .offloads = RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE } };
	static uint8_t ext[1024] __rte_aligned(RTE_CACHE_LINE_SIZE);
	struct rte_mbuf_ext_shared_info *shinfo;
	struct rte_eth_dev_info info;
	struct rte_mbuf *m;
	unsigned int in_use0;
	uint16_t h, d, buf_len = sizeof(ext);

	CHECK(pair_up("ff", "size=8M", "", 1, 1, 1500, 1500, &h, &d) == 0, "fast free: pair up");
	CHECK(rte_eth_dev_info_get(h, &info) == 0 &&
	      (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE),
	      "fast free: MBUF_FAST_FREE offered");
	CHECK(rte_eth_dev_stop(h) == 0 && rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
	      rte_eth_tx_queue_setup(h, 0, 0, rte_socket_id(), NULL) == 0 &&
	      rte_eth_dev_start(h) == 0 && wait_link(h, d, 1, 2000),
	      "fast free: host restarted with MBUF_FAST_FREE, link up");
	in_use0 = rte_mempool_in_use_count(big_pool);
	zc_send(h, 100, 100, 1);
	CHECK(rte_mempool_in_use_count(big_pool) == in_use0,
	      "fast free: the 100 sent mbufs are back in their pool (in use %u, was %u)",
	      rte_mempool_in_use_count(big_pool), in_use0);
	CHECK(drain(d, 0, NULL) == 100, "fast free: the 100 frames arrive");

	m = rte_pktmbuf_alloc(big_pool);
	shinfo = rte_pktmbuf_ext_shinfo_init_helper(ext, &buf_len, ext_free_cb, NULL);
	CHECK(m != NULL && shinfo != NULL, "fast free: an mbuf and an external buffer");
	if (m == NULL || shinfo == NULL)
		goto out;
	rte_pktmbuf_attach_extbuf(m, ext, rte_mem_virt2iova(ext), buf_len, shinfo);
	fill(rte_pktmbuf_mtod(m, uint8_t *), 100, 200, 0);
	m->data_len = 100;
	m->pkt_len = 100;
	ext_freed = 0;
	CHECK(rte_eth_tx_burst(h, 0, &m, 1) == 1, "fast free: external-buffer mbuf sent");
	CHECK(ext_freed == 1, "fast free: the external buffer was released (callback ran %u times)",
	      ext_freed);
	CHECK(rte_mempool_in_use_count(big_pool) == in_use0,
	      "fast free: the external-buffer mbuf is back, detached");
	CHECK(drain(d, 0, NULL) == 1, "fast free: its frame arrives");
out:
	pair_down("ff", h, d);
}

/* Restart port with Rx interrupts (intr_conf.rxq; a started port refuses
 * a new configuration). Returns 0 or the first negative errno. */
static int
intr_restart(uint16_t port)
{
	const struct rte_eth_conf conf = { .intr_conf = { .rxq = 1 } };
	int ret;

	rte_eth_dev_stop(port);
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	return ret != 0 ? ret : rte_eth_dev_start(port);
}

/* rte_eth_dev_rx_intr_enable(port, 0), retried for up to 500 ms while it
 * says -EAGAIN: the peer's doorbell flag reaches us on its next heartbeat. */
static int
intr_enable_wait(uint16_t port)
{
	unsigned int i;
	int ret = -EAGAIN;

	for (i = 0; i < 500 && ret == -EAGAIN; i++) {
		ret = rte_eth_dev_rx_intr_enable(port, 0);
		if (ret == -EAGAIN)
			rte_delay_us_sleep(1000);
	}
	return ret;
}

/* Restart the device end d of the pair (h, d) with Rx interrupts, arm its
 * queue 0 and send it one frame from h. Returns d's queue 0 interrupt fd
 * (-1: none, a failed check said why). */
static int
intr_arm_and_send(uint16_t h, uint16_t d, const char *what)
{
	int fd, ret;

	CHECK(intr_restart(d) == 0 && wait_link(h, d, 1, 2000),
	      "intr: %s: device restart with intr_conf.rxq, link up", what);
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(d, 0);
	ret = intr_enable_wait(d);
	CHECK(fd >= 0 && ret == 0, "intr: %s: enable: fd %d, %d", what, fd, ret);
	zc_send(h, 1, 100, 1);
	return fd;
}

/*
 * Rx interrupt mode (intr_conf.rxq) over the doorbell beside a file
 * window: an armed queue's fd becomes readable when the peer sends, once
 * per request; disarming consumes the doorbell; arming with frames already
 * waiting rings at once; no doorbell rung while the receiver polls; the
 * socket name exists only while the port is started. A port without a
 * doorbell (doorbell=off) refuses intr_conf.rxq.
 */
static void
test_rx_intr(void)
{
	struct rte_eth_conf conf = { .intr_conf = { .rxq = 1 } };
	char args[512], sock[600];
	struct rte_mbuf *m;
	uint16_t h, d, off;
	int fd, ret;

	CHECK(pair_up("intr", "size=8M", "", 1, 1, 1500, 1500, &h, &d) == 0, "intr: pair up");
	/* Both ends with Rx interrupts. */
	CHECK(intr_restart(h) == 0 && intr_restart(d) == 0, "intr: restart with intr_conf.rxq");
	CHECK(wait_link(h, d, 1, 2000), "intr: link up");
	snprintf(sock, sizeof(sock), "%s.intr.db-h2d-0", win_path);
	CHECK(access(sock, F_OK) == 0, "intr: %s exists while started", sock);
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(d, 0);
	CHECK(fd >= 0, "intr: queue 0 has an interrupt fd");
	if (fd < 0)
		goto out;
	ret = intr_enable_wait(d);
	CHECK(ret == 0, "intr: enable: %d", ret);
	CHECK(!fd_ready(fd, 20), "intr: armed, nothing sent, fd quiet");
	zc_send(h, 1, 100, 1);
	CHECK(fd_ready(fd, 1000), "intr: a frame from the peer rings the doorbell");
	zc_send(h, 3, 100, 2);
	rte_delay_us_sleep(20000);
	CHECK(xstat(h, "tx_doorbells") == 1, "intr: one doorbell per request, rang %" PRIu64,
	      xstat(h, "tx_doorbells"));
	CHECK(rte_eth_dev_rx_intr_disable(d, 0) == 0, "intr: disable");
	CHECK(!fd_ready(fd, 0), "intr: disable consumed the doorbell");
	CHECK(drain(d, 0, NULL) == 4, "intr: the 4 frames arrive");
	/* Polling (disarmed): the sender rings no doorbell. */
	zc_send(h, 2, 100, 6);
	rte_delay_us_sleep(20000);
	CHECK(xstat(h, "tx_doorbells") == 1, "intr: no doorbell while the receiver polls");
	CHECK(!fd_ready(fd, 0), "intr: fd quiet while polling");
	/* Frames already waiting: arming rings at once. */
	CHECK(rte_eth_dev_rx_intr_enable(d, 0) == 0, "intr: enable with frames waiting");
	CHECK(fd_ready(fd, 0), "intr: frames waiting when armed: the fd is readable at once");
	rte_eth_dev_rx_intr_disable(d, 0);
	CHECK(zc_recv(d, &m, 1, 100, 6) == 1, "intr: waiting frame received");
	rte_pktmbuf_free(m);
	drain(d, 0, NULL);
	/* Frames sent before the peer stopped are still ours to take: the
	 * doorbell still says so when we arm. */
	zc_send(h, 2, 100, 8);
	rte_eth_dev_stop(h);
	CHECK(wait_link(d, d, 0, 1000), "intr: link down after the peer stopped");
	ret = rte_eth_dev_rx_intr_enable(d, 0);
	CHECK(ret == 0 && fd_ready(fd, 0), "intr: a backlog from before the peer stopped rings "
	      "(enable %d)", ret);
	rte_eth_dev_rx_intr_disable(d, 0);
	CHECK(drain(d, 0, NULL) == 2, "intr: the backlog is received after the peer stopped");
	rte_eth_dev_stop(d);
	CHECK(access(sock, F_OK) != 0, "intr: %s removed at stop", sock);
out:
	pair_down("intr", h, d);

	/* A sub-window's doorbells carry its offset (two sub-windows of one
	 * file must not share them). */
	CHECK(pair_up("intro", "size=8M,offset=8M", "offset=8M", 1, 1, 1500, 1500, &h, &d) == 0,
	      "intr: sub-window pair up");
	CHECK(intr_restart(d) == 0, "intr: sub-window restart with intr_conf.rxq");
	snprintf(sock, sizeof(sock), "%s.intro.800000.db-h2d-0", win_path);
	CHECK(access(sock, F_OK) == 0, "intr: %s exists", sock);
	pair_down("intro", h, d);

	/* One file under two names (the device end through a symlink): both
	 * ends name the doorbells after the file's canonical path, so a
	 * frame from the host still rings the device. */
	snprintf(args, sizeof(args), "role=host,path=%s.intrl,size=8M%s%s", win_path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_intrlh", args, &h) == 0, "intr: symlink pair host probe");
	snprintf(sock, sizeof(sock), "%s.intrl-link", win_path);
	snprintf(args, sizeof(args), "%s.intrl", win_path);
	unlink(sock);
	CHECK(symlink(args, sock) == 0, "intr: symlink %s -> %s: %s", sock, args, strerror(errno));
	snprintf(args, sizeof(args), "role=device,path=%s.intrl-link%s%s", win_path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_intrld", args, &d) == 0, "intr: device probe through the symlink");
	CHECK(setup_port_mtu(h, 1, big_pool, 1500, 0) == 0 && setup_port_mtu(d, 1, big_pool, 1500, 0) == 0,
	      "intr: symlink pair setup");
	fd = intr_arm_and_send(h, d, "symlink pair");
	CHECK(fd >= 0 && fd_ready(fd, 1000), "intr: the host rings a device that opened the window "
	      "through a symlink");
	rte_eth_dev_rx_intr_disable(d, 0);
	drain(d, 0, NULL);
	pair_down("intrl", h, d);
	unlink(sock);

	/* Two different doorbell prefixes: the sender's ring finds no socket;
	 * counted as lost, the receiver's fd stays quiet. */
	snprintf(args, sizeof(args), "doorbell=%s.dba", win_path);
	snprintf(sock, sizeof(sock), "doorbell=%s.dbb", win_path);
	CHECK(pair_up("intrm", args, sock, 1, 1, 1500, 1500, &h, &d) == 0, "intr: mismatched pair up");
	fd = intr_arm_and_send(h, d, "mismatched pair");
	CHECK(fd >= 0 && !fd_ready(fd, 50), "intr: a doorbell under another prefix does not arrive");
	CHECK(xstat(h, "tx_doorbells_lost") == 1 && xstat(h, "tx_doorbells") == 0,
	      "intr: the sender counts the lost doorbell (lost %" PRIu64 ", rung %" PRIu64 ")",
	      xstat(h, "tx_doorbells_lost"), xstat(h, "tx_doorbells"));
	rte_eth_dev_rx_intr_disable(d, 0);
	CHECK(drain(d, 0, NULL) == 1, "intr: the frame is received by polling");
	pair_down("intrm", h, d);

	/* No doorbell: intr_conf.rxq refused, with a reason. */
	snprintf(args, sizeof(args), "role=host,path=%s.nodb,doorbell=off", win_path);
	CHECK(add_port("net_cxlmem_nodb", args, &off) == 0, "intr: doorbell=off probe");
	CHECK(rte_eth_dev_configure(off, 1, 1, &conf) == -ENOTSUP,
	      "intr: intr_conf.rxq without a doorbell is refused");
	CHECK(rte_eth_dev_rx_intr_enable(off, 0) != 0, "intr: enable without Rx interrupts fails");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_nodb");
	snprintf(args, sizeof(args), "%s.nodb", win_path);
	unlink(args);
}

/* ---- refusals and zero-copy lifecycle ------------------------------------- */

/*
 * A frame that needs more slots than the TX queue may ever hold is refused
 * (counted in tx_too_long, its mbuf freed), never left as "ring full": the
 * queue keeps sending. Cases: a 9000-byte frame with bsize=256 and a
 * 32-descriptor queue (36 slots); a TSO frame segmented here (the peer
 * takes no GSO) into more segments than a 64-descriptor queue holds.
 */
static void
test_tx_never_fits(void)
{
	struct rte_eth_conf conf = { .rxmode = { .mtu = 9000, .offloads = RTE_ETH_RX_OFFLOAD_SCATTER },
				     .txmode = { .offloads = RTE_ETH_TX_OFFLOAD_TCP_TSO |
						 RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
						 RTE_ETH_TX_OFFLOAD_TCP_CKSUM } };
	unsigned int in_use0, i;
	struct rte_mbuf *m;
	uint16_t h, d;

	CHECK(pair_up("nf", "size=8M,bsize=256", "", 1, 1, 9000, 9000, &h, &d) == 0,
	      "never fits: pair up");
	CHECK(rte_eth_dev_stop(h) == 0 && rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
	      rte_eth_tx_queue_setup(h, 0, 32, rte_socket_id(), NULL) == 0 &&
	      rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, big_pool) == 0 &&
	      rte_eth_dev_start(h) == 0 && wait_link(h, d, 1, 2000),
	      "never fits: host with a 32-descriptor TX queue");
	in_use0 = rte_mempool_in_use_count(big_pool);
	m = make_frame_from(big_pool, 9000, 1, 0, 10000);
	CHECK(m != NULL && rte_eth_tx_burst(h, 0, &m, 1) == 1,
	      "never fits: a 9000-byte frame (36 slots of 256 B, queue of 32) not taken");
	CHECK(xstat(h, "tx_too_long") == 1, "never fits: tx_too_long %" PRIu64,
	      xstat(h, "tx_too_long"));
	CHECK(rte_mempool_in_use_count(big_pool) == in_use0, "never fits: the refused mbuf was kept");
	zc_send(h, 10, 200, 2);
	CHECK(drain(d, 0, NULL) == 10, "never fits: the queue still sends after the refusal");

	/* 30000 bytes at MSS 200: 150 segments for a 64-descriptor queue. */
	CHECK(rte_eth_dev_stop(h) == 0 &&
	      rte_eth_tx_queue_setup(h, 0, 64, rte_socket_id(), NULL) == 0 &&
	      rte_eth_dev_start(h) == 0 && wait_link(h, d, 1, 2000),
	      "never fits: host with a 64-descriptor TX queue");
	m = make_tcp(false, 30000, 200, RTE_MBUF_F_TX_TCP_SEG, 1);
	CHECK(m != NULL && rte_eth_tx_burst(h, 0, &m, 1) == 1,
	      "never fits: a TSO frame of 150 segments (queue of 64) not taken");
	CHECK(xstat(h, "tx_too_long") == 1, "never fits: tx_too_long %" PRIu64 " after TSO",
	      xstat(h, "tx_too_long"));
	m = make_tcp(false, 6000, 200, RTE_MBUF_F_TX_TCP_SEG, 1);
	CHECK(m != NULL && rte_eth_tx_burst(h, 0, &m, 1) == 1, "never fits: 30 segments sent");
	for (i = 0; i < 1000 && drain(d, 0, NULL) == 0; i++)
		;
	CHECK(rte_mempool_in_use_count(big_pool) == in_use0, "never fits: mbufs kept after TSO");
	pair_down("nf", h, d);
}

/*
 * A TSO request whose payload fits one segment goes as a plain checksum
 * offload; its TCP field then needs the pseudo-header sum with the L4
 * length, not TSO's seed without it. To a receiver without checksum
 * offload the frame arrives with a full, valid checksum; to one with LRO
 * it arrives partial (RX_L4_CKSUM_NONE) with the checksum-offload seed.
 */
static void
test_tso_one_segment(void)
{
	unsigned int v, lro;

	for (lro = 0; lro < 2; lro++) {
		for (v = 0; v < 2; v++) {
			const bool v6 = v == 1;
			struct rte_eth_conf conf = { .rxmode = { .mtu = 1500 } };
			struct rte_mbuf *m, *got[4];
			unsigned int n;
			uint16_t h, d;

			/* The LRO receiver takes partial checksums as they came. */
			CHECK(pair_up("ts", "size=8M", lro ? "rx_partial_csum=on" : "", 1, 1, 1500,
				      1500, &h, &d) == 0, "tso one segment: pair up");
			conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
					       RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
					       RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
			CHECK(rte_eth_dev_stop(h) == 0 && rte_eth_dev_configure(h, 1, 1, &conf) == 0 &&
			      rte_eth_tx_queue_setup(h, 0, 0, rte_socket_id(), NULL) == 0 &&
			      rte_eth_rx_queue_setup(h, 0, 0, rte_socket_id(), NULL, big_pool) == 0 &&
			      rte_eth_dev_start(h) == 0, "tso one segment: host");
			memset(&conf, 0, sizeof(conf));
			conf.rxmode.mtu = 1500;
			if (lro) {
				conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TCP_LRO |
						       RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
						       RTE_ETH_RX_OFFLOAD_SCATTER;
				conf.rxmode.max_lro_pkt_size = 65535;
			}
			CHECK(rte_eth_dev_stop(d) == 0 && rte_eth_dev_configure(d, 1, 1, &conf) == 0 &&
			      rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, big_pool) == 0 &&
			      rte_eth_tx_queue_setup(d, 0, 0, rte_socket_id(), NULL) == 0 &&
			      rte_eth_dev_start(d) == 0 && wait_link(h, d, 1, 2000),
			      "tso one segment: device");
			rte_delay_us_sleep(30 * 1000); /* the host reads what the device takes */
			m = make_tcp(v6, 1000, 1448, RTE_MBUF_F_TX_TCP_SEG |
				     (v6 ? 0 : RTE_MBUF_F_TX_IP_CKSUM), 7);
			CHECK(m != NULL && rte_eth_tx_burst(h, 0, &m, 1) == 1, "tso one segment: tx");
			n = recv_all(d, got, RTE_DIM(got));
			CHECK(n == 1, "tso one segment: %u frames", n);
			if (n == 1 && !lro) {
				CHECK(check_tcp(got[0], v6, 7, true) == 1000,
				      "tso one segment, %s, completed by the sender: checksum or "
				      "payload wrong", v6 ? "IPv6" : "IPv4");
			} else if (n == 1) {
				const uint8_t *p = rte_pktmbuf_mtod(got[0], const uint8_t *);
				const void *ip = p + RTE_ETHER_HDR_LEN;
				const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)
					(p + RTE_ETHER_HDR_LEN + (v6 ? 40 : 20));
				uint16_t want = v6 ? rte_ipv6_phdr_cksum(ip, 0) :
						     rte_ipv4_phdr_cksum(ip, 0);

				CHECK((got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
				      RTE_MBUF_F_RX_L4_CKSUM_NONE && th->cksum == want,
				      "tso one segment, %s, partial: seed %#x, expected %#x",
				      v6 ? "IPv6" : "IPv4", th->cksum, want);
			}
			while (n > 0)
				rte_pktmbuf_free(got[--n]);
			pair_down("ts", h, d);
		}
	}
}

/*
 * zerocopy=rx: an RX queue set up again while the application still holds
 * zero-copy mbufs of the old one keeps their slots: the peer's next frames
 * fill the ring around them, never over them.
 */
static void
test_zerocopy_requeue(void)
{
	static struct rte_mbuf *held[600];
	unsigned int i, got;
	uint16_t h, d;

	CHECK(pair_up("zq", "size=32M", "zerocopy=rx", 1, 1, 1500, 1500, &h, &d) == 0,
	      "zero-copy requeue: pair up");
	zc_send(h, 10, 1000, 1);
	got = zc_recv(d, held, 10, 1000, 1);
	CHECK(got == 10 && RTE_MBUF_HAS_EXTBUF(held[0]), "zero-copy requeue: 10 lent frames");
	CHECK(rte_eth_dev_stop(d) == 0 &&
	      rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, big_pool) == 0 &&
	      rte_eth_dev_start(d) == 0 && wait_link(h, d, 1, 2000),
	      "zero-copy requeue: RX queue set up again with mbufs held");
	/* The rest of the ring flows around the held slots (cons stays below
	 * the oldest of them: 1014 more frames at most). */
	for (i = 0; i < 1000; i += 250) {
		unsigned int k = zc_recv(d, held + 10, (zc_send(h, 250, 1500, 100 + i), 250), 1500,
					 100 + i);

		CHECK(k == 250, "zero-copy requeue: %u of 250 frames", k);
		while (k > 0)
			rte_pktmbuf_free(held[10 + --k]);
	}
	CHECK(xstat(d, "rx_stale_dropped") == 0, "zero-copy requeue: %" PRIu64 " frames taken "
	      "as stale", xstat(d, "rx_stale_dropped"));
	/* 24 more: 14 slots are left before the held ones; the peer must
	 * not get the other 10, which would land on the held slots. */
	{
		struct rte_mbuf *more[24];
		unsigned int sent = 0, tries;

		for (i = 0; i < RTE_DIM(more); i++)
			more[i] = make_frame(1500, 7000 + i, 0, 10000);
		for (tries = 0; tries < 100 && sent < RTE_DIM(more); tries++) {
			sent += rte_eth_tx_burst(h, 0, more + sent, (uint16_t)(RTE_DIM(more) - sent));
			rte_delay_us_sleep(1000);
		}
		for (i = sent; i < RTE_DIM(more); i++)
			rte_pktmbuf_free(more[i]);
		CHECK(sent == 14, "zero-copy requeue: the peer sent %u of 24 frames into a ring "
		      "with 14 free slots", sent);
	}
	for (i = 0; i < got; i++) {
		CHECK(check_frame(held[i], 1000, 1 + i, 0),
		      "zero-copy requeue: held frame %u overwritten by the peer", i);
		rte_pktmbuf_free(held[i]);
	}
	CHECK(drain(d, 0, NULL) == 14, "zero-copy requeue: the last 14 frames");
	CHECK(xstat(d, "rx_zerocopy_slots_out") == 0, "zero-copy requeue: %" PRIu64 " slots out",
	      xstat(d, "rx_zerocopy_slots_out"));
	zc_send(h, 100, 1500, 8000);
	CHECK(drain(d, 0, NULL) == 100, "zero-copy requeue: the ring flows after the frees");
	pair_down("zq", h, d);
}

/*
 * zerocopy=rx, coherence=flush: the application may write anywhere in a
 * lent buffer (here it appends past the frame); the free writes back and
 * drops every line of the slot, so none of them is later written over the
 * peer's next frame in that slot. Under the stale-read injector a missing
 * line shows as corrupt frames.
 */
static void
test_zerocopy_app_writes(void)
{
	static struct rte_mbuf *held[BURST];
	unsigned int i, round, bad = 0;
	uint16_t h, d;

	if (strstr(extra_devargs, "coherence=flush") == NULL)
		return;
	CHECK(pair_up("zw", "size=32M", "zerocopy=rx", 1, 1, 1500, 1500, &h, &d) == 0,
	      "zero-copy app writes: pair up");
	/* Every slot once with a 300-byte frame the application extends by
	 * 600 bytes; then every slot with 1400-byte frames. */
	for (round = 0; round < 2; round++) {
		const uint32_t len = round == 0 ? 300 : 1400;

		for (i = 0; i < 1024; i += BURST) {
			unsigned int k = zc_recv(d, held, (zc_send(h, BURST, len, i), BURST), len, i);

			bad += k != BURST;
			while (k > 0) {
				struct rte_mbuf *m = held[--k];
				char *tail = round == 0 ? rte_pktmbuf_append(m, 600) : NULL;

				if (tail != NULL)
					memset(tail, 0xa5, 600);
				rte_pktmbuf_free(m);
			}
		}
	}
	CHECK(bad == 0, "zero-copy app writes: %u bursts short", bad);
	pair_down("zw", h, d);
}

/*
 * zerocopy=rx needs the free callback of each mbuf; a mempool of pinned
 * external buffers (rte_pktmbuf_pool_create_extbuf()) never calls it, so
 * its queue setup is refused, with a message.
 */
static void
test_zerocopy_pinned_pool(void)
{
	struct rte_pktmbuf_extmem ext = { .elt_size = 2048 + RTE_PKTMBUF_HEADROOM,
					  .buf_len = 64 * (2048 + RTE_PKTMBUF_HEADROOM) };
	struct rte_mempool *pinned;
	uint16_t h, d;

	ext.buf_ptr = rte_malloc("pinned", ext.buf_len, RTE_CACHE_LINE_SIZE);
	CHECK(ext.buf_ptr != NULL, "pinned pool: memory");
	if (ext.buf_ptr == NULL)
		return;
	ext.buf_iova = rte_malloc_virt2iova(ext.buf_ptr);
	pinned = rte_pktmbuf_pool_create_extbuf("pinned", 63, 0, 0, ext.elt_size,
						rte_socket_id(), &ext, 1);
	CHECK(pinned != NULL, "pinned pool: %s", rte_strerror(rte_errno));
	CHECK(pair_up("zp", "size=8M", "zerocopy=rx", 1, 1, 1500, 1500, &h, &d) == 0,
	      "pinned pool: pair up");
	if (pinned != NULL) {
		CHECK(rte_eth_dev_stop(d) == 0 &&
		      rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, pinned) == -EINVAL,
		      "pinned pool: zerocopy=rx queue setup with pinned external buffers accepted");
		CHECK(rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, big_pool) == 0 &&
		      rte_eth_dev_start(d) == 0, "pinned pool: an ordinary pool after the refusal");
	}
	pair_down("zp", h, d);
	rte_mempool_free(pinned);
	rte_free(ext.buf_ptr);
}

static void
test_zerocopy_held_at_close(void)
{
	struct rte_mbuf *m;
	uint16_t h, d;

	CHECK(pair_up("zch", "size=16M", "zerocopy=rx", 1, 1, 1500, 1500, &h, &d) == 0,
	      "zero-copy close pair");
	zc_send(h, 1, 1000, 1);
	CHECK(zc_recv(d, &m, 1, 1000, 1) == 1 && RTE_MBUF_HAS_EXTBUF(m), "a lent frame to hold");
	pair_down("zch", h, d);
	CHECK(check_frame(m, 1000, 1, 0), "the held frame after close");
	rte_pktmbuf_free(m);
}

/* CXLMEM_TEST_ONLY=test_name runs that case alone (after the common set-up). */
static const char *only;
#define RUN(t, ...) do { if (only == NULL || strcmp(only, #t) == 0) t(__VA_ARGS__); } while (0)

int
main(int argc, char **argv)
{
	struct rte_eth_dev *anchor;
	size_t heap_before;
	char host_args[512], dev_args[512], prefix[64];
	char *eal_argv[32];
	const char *extra;
	int eal_argc = 0, i;
	uint16_t host, dev;

	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlt%d", (int)getpid());
	eal_argv[eal_argc++] = argv[0];
	if (argc > 1) {
		for (i = 1; i < argc && eal_argc < 30; i++)
			eal_argv[eal_argc++] = argv[i];
	} else {
		eal_argv[eal_argc++] = (char *)"--no-huge";
		eal_argv[eal_argc++] = (char *)"-m";
		eal_argv[eal_argc++] = (char *)"256";
		eal_argv[eal_argc++] = (char *)"--no-pci";
		eal_argv[eal_argc++] = (char *)"--no-shconf";
		eal_argv[eal_argc++] = (char *)"-l";
		eal_argv[eal_argc++] = (char *)"0,1";
		eal_argv[eal_argc++] = (char *)"--log-level=pmd.net.cxlmem:info";
		eal_argv[eal_argc++] = prefix;
	}
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		printf("FAIL: EAL init\n");
		return 1;
	}

	snprintf(win_path, sizeof(win_path), "/dev/shm/cxlmem-test-%d", (int)getpid());
	unlink(win_path);
	pool = rte_pktmbuf_pool_create("pool", NB_MBUFS, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	big_pool = rte_pktmbuf_pool_create("big", 2047, 64, 0, 10240 + RTE_PKTMBUF_HEADROOM,
					   rte_socket_id());
	jumbo_pool = rte_pktmbuf_pool_create("jumbo", 63, 0, 0, MAX_FRAME + RTE_PKTMBUF_HEADROOM,
					     rte_socket_id());
	if (pool == NULL || big_pool == NULL || jumbo_pool == NULL) {
		printf("FAIL: mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	stale_injected = getenv("CXLMEM_STALE_INJECT") != NULL &&
			 strcmp(getenv("CXLMEM_STALE_INJECT"), "1") == 0;
	only = getenv("CXLMEM_TEST_ONLY");
	extra = getenv("CXLMEM_TEST_DEVARGS");
	if (extra != NULL)
		extra_devargs = extra;
	/* ethdev reserves its shared port data (a memzone) with the first
	 * port it allocates; 22.11 keeps it, later releases free it with the
	 * last port. A bare port held across the count keeps it out of it. */
	anchor = rte_eth_dev_allocate("cxlmem_test_anchor");
	CHECK(anchor != NULL, "rte_eth_dev_allocate");
	heap_before = heap_used();
	snprintf(host_args, sizeof(host_args), "role=host,path=%s,queues=%d%s%s", win_path,
		 NB_QUEUES, extra ? "," : "", extra ? extra : "");
	snprintf(dev_args, sizeof(dev_args), "role=device,path=%s,queues=%d%s%s", win_path,
		 NB_QUEUES, extra ? "," : "", extra ? extra : "");
	printf("host: %s\ndevice: %s\n", host_args, dev_args);
	CHECK(add_port("net_cxlmem0", host_args, &host) == 0, "host probe");
	CHECK(add_port("net_cxlmem1", dev_args, &dev) == 0, "device probe");
	if (check_failures)
		goto out;
	CHECK(setup_port(host, NB_QUEUES, big_pool) == 0, "host setup");
	CHECK(setup_port(dev, NB_QUEUES, pool) == 0, "device setup");
	CHECK(wait_link(host, dev, 1, 2000), "link up on both ends");
	for (i = 0; i < 1000 && (lsc_events[host] < 1 || lsc_events[dev] < 1); i++)
		rte_delay_us_sleep(1000);
	CHECK(lsc_events[host] >= 1 && lsc_events[dev] >= 1, "LSC events at link up");

	RUN(test_traffic, host, dev);
	RUN(test_ring_full, host, dev);
	RUN(test_jumbo_alone, host, dev);
	RUN(test_restart, host, dev);
	RUN(test_refusals);
	RUN(test_tx_lying_length, host, dev);
	RUN(test_link_speed, host);
	RUN(test_stats_reset_race, host, dev);
	RUN(test_frame_limits);
	RUN(test_small_window);
	RUN(test_peer_queues);
	RUN(test_desc_counts);
	RUN(test_superblock_flip);
	RUN(test_tso);
	RUN(test_csum);
	RUN(test_bad_metadata);
	RUN(test_peer_version);
	RUN(test_zerocopy);
	RUN(test_scatter_rule);
	RUN(test_rx_intr);
	RUN(test_fast_free);
	RUN(test_tx_never_fits);
	RUN(test_tso_one_segment);
	RUN(test_zerocopy_requeue);
	RUN(test_zerocopy_app_writes);
	RUN(test_zerocopy_pinned_pool);
	RUN(test_partial_csum);

	/* Callbacks are the application's to remove (ethdev keeps them). */
	rte_eth_dev_callback_unregister(host, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	rte_eth_dev_callback_unregister(dev, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	/* Close the device end: host sees the link go down. */
	CHECK(rte_eal_hotplug_remove("vdev", "net_cxlmem1") == 0, "device remove");
	CHECK(wait_link(host, host, 0, 1000), "host link down after device close");
	rte_eth_dev_stop(host);
	rte_eth_dev_close(host);
	rte_eal_hotplug_remove("vdev", "net_cxlmem0");
	test_device_first();
	rte_eal_hotplug_remove("vdev", "net_cxlmem2");
	rte_eal_hotplug_remove("vdev", "net_cxlmem3");
	/* dev_close/remove gave back every rte_malloc byte the ports took
	 * (ASan cannot see DPDK's heap; this can). */
	CHECK(heap_used() == heap_before, "DPDK heap: %zu bytes before the ports, %zu after",
	      heap_before, heap_used());
	if (anchor != NULL)
		rte_eth_dev_release_port(anchor);
	/* After the heap check: this one keeps a window mapped on purpose. */
	test_zerocopy_held_at_close();
out:
	unlink(win_path);
	rte_mempool_free(pool);
	rte_mempool_free(big_pool);
	rte_mempool_free(jumbo_pool);
	rte_eal_cleanup();
	return check_summary();
}
