/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * suite_config.c - what a port accepts and refuses at probe and set-up:
 * devargs, sub-windows and geometry (the window's adopted, a hostile one
 * refused), descriptor counts, the scatter rule, link speed, the queues
 * and coherence mode of the peer. The suite's set-up brings up the main
 * pair: the refusals need its window owned by both roles.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "cxlmem_layout.h"
#include "ethdev_test.h"

/* Bad devargs, and good ones that conflict with the main pair's window
 * (a role taken, an overlapping sub-window, another geometry), are refused
 * at probe, and a refused probe creates no file. */
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

/* A real link speed: the documented default, or speed=. */
static void
test_link_speed(void)
{
	struct rte_eth_link l;
	char args[512];
	uint16_t p;

	CHECK(rte_eth_link_get_nowait(main_host, &l) == 0 && l.link_speed == RTE_ETH_SPEED_NUM_100G,
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
 * A device that gives no geometry adopts the window's: a small, correctly
 * formatted window (64 KiB, queues=1,rsize=64,bsize=256) is taken, not
 * refused against the default geometry before the window's is read.
 */
static void
test_small_window(void)
{
	char args[512], path[300];
	uint16_t h, d;
	uint32_t len = 0;
	struct rte_mbuf *m;
	bool ok;

	snprintf(path, sizeof(path), "%s.sw", win_path);
	snprintf(args, sizeof(args), "role=host,path=%s,size=64K,queues=1,rsize=64,bsize=256%s%s",
		 path, extra_devargs[0] ? "," : "", extra_devargs);
	ok = add_port("net_cxlmem_swh", args, &h) == 0;
	CHECK(ok, "host on a 64 KiB window");
	snprintf(args, sizeof(args), "role=device,path=%s%s%s", path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	ok = add_port("net_cxlmem_swd", args, &d) == 0 && ok;
	CHECK(ok, "device without geometry refused on a small formatted window");
	if (ok) {
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
 * Any descriptor count in range is accepted (apps ask 512, 2048,
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
	lsc_unregister(d);
	rte_eal_hotplug_remove("vdev", "net_cxlmem_dcd");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_dch");
	snprintf(args, sizeof(args), "%s.dc", win_path);
	unlink(args);
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

/*
 * Each end publishes the receive queues it polls; a TX queue the
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
		lsc_unregister(h2);
		lsc_unregister(d2);
		rte_eal_hotplug_remove("vdev", "net_cxlmem_cmd");
		rte_eal_hotplug_remove("vdev", "net_cxlmem_cmh");
		snprintf(args, sizeof(args), "%s.cm", win_path);
		unlink(args);
	}
}

/*
 * The superblock is read once. A thread flips the window's
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
		lsc_unregister(d);
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

static const struct unit_test_case config_cases[] = {
	TEST_CASE(test_refusals),
	TEST_CASE(test_link_speed),
	TEST_CASE(test_small_window),
	TEST_CASE(test_desc_counts),
	TEST_CASE(test_scatter_rule),
	TEST_CASE(test_peer_queues),
	TEST_CASE(test_superblock_flip),
	TEST_CASES_END()
};

const struct unit_test_suite config_suite = {
	.name = "config",
	.setup = main_pair_up,
	.teardown = main_pair_down,
	.cases = config_cases,
};
