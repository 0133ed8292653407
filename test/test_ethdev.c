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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define NB_QUEUES 4
#define NB_MBUFS 4095
#define BURST 32

#include "check.h"

static char win_path[256];
static const char *extra_devargs = ""; /* CXLMEM_TEST_DEVARGS, for every port */
static struct rte_mempool *pool;       /* 2 KiB data room: scatter for jumbo */
static struct rte_mempool *big_pool;   /* 10 KiB data room */
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
	int ret = rte_eal_hotplug_add("vdev", name, args);

	if (ret != 0)
		return ret;
	return rte_eth_dev_get_port_by_name(name, port);
}

static int
setup_port(uint16_t port, uint16_t nq, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { .intr_conf = { .lsc = 1 } };
	uint16_t q;
	int ret;

	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret != 0)
		return ret;
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, 0, rte_socket_id(), NULL, mp);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, 0, rte_socket_id(), NULL);
		if (ret != 0)
			return ret;
	}
	rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	return rte_eth_dev_start(port);
}

static int
link_is(uint16_t port, int up)
{
	struct rte_eth_link l;

	rte_eth_link_get_nowait(port, &l);
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
make_frame(uint32_t len, uint32_t seq, uint32_t q, uint32_t seg_size)
{
	uint8_t tmp[10000];
	struct rte_mbuf *head = NULL, *prev = NULL;
	uint32_t off = 0;

	fill(tmp, len, seq, q);
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(big_pool);
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

static int
check_frame(struct rte_mbuf *m, uint32_t len, uint32_t seq, uint32_t q)
{
	uint8_t want[10000], got[10000];
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

	rte_eth_stats_get(host, &hs);
	rte_eth_stats_get(dev, &ds);
	CHECK(hs.opackets == ds.ipackets, "host opackets %" PRIu64 " != device ipackets %" PRIu64,
	      hs.opackets, ds.ipackets);
	CHECK(ds.opackets == hs.ipackets, "device opackets != host ipackets");
	CHECK(hs.obytes == ds.ibytes, "host obytes %" PRIu64 " != device ibytes %" PRIu64,
	      hs.obytes, ds.ibytes);
	CHECK(hs.opackets == NB_QUEUES * (RTE_DIM(sizes) + 2000 * RTE_DIM(small)),
	      "host opackets %" PRIu64, hs.opackets);
	CHECK(ds.ierrors == 0 && hs.ierrors == 0, "ierrors");
	CHECK(hs.q_opackets[3] == ds.q_ipackets[3], "per-queue stats differ");
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

int
main(int argc, char **argv)
{
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
		eal_argv[eal_argc++] = (char *)"0";
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
	if (pool == NULL || big_pool == NULL) {
		printf("FAIL: mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	extra = getenv("CXLMEM_TEST_DEVARGS");
	if (extra != NULL)
		extra_devargs = extra;
	/* ethdev reserves its shared port data (a memzone that stays) at the
	 * first port it allocates: let a refused probe do that, then count. */
	snprintf(host_args, sizeof(host_args), "role=device,path=%s.missing", win_path);
	add_port("net_cxlmem9", host_args, &host);
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

	test_traffic(host, dev);
	test_ring_full(host, dev);
	test_jumbo_alone(host, dev);
	test_restart(host, dev);
	test_refusals();

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
out:
	unlink(win_path);
	rte_mempool_free(pool);
	rte_mempool_free(big_pool);
	rte_eal_cleanup();
	return check_summary();
}
