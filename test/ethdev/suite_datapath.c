/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * suite_datapath.c - frames across the window: every size intact and in
 * order on every queue, the counters that say so, a full ring, malformed
 * mbufs and frames too long for either end refused, TX fast free. The
 * suite's set-up brings up the main pair; the cases that need other
 * geometry or offloads bring up pairs of their own.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "ethdev_test.h"

static void
test_traffic(void)
{
	static uint32_t sizes[9000 - 60 + 1];
	uint32_t small[] = {60, 64, 128, 1514};
	struct rte_eth_stats hs, ds;
	unsigned int i;

	for (i = 0; i < RTE_DIM(sizes); i++)
		sizes[i] = 60 + i;
	rte_eth_stats_reset(main_host);
	rte_eth_stats_reset(main_dev);
	/* Every size 60..9000 each way; multi-seg TX (1000-byte segments),
	 * RX scatters into 2 KiB mbufs on the device side. */
	transfer(main_host, main_dev, sizes, RTE_DIM(sizes), 1, 1000, "h2d all sizes");
	transfer(main_dev, main_host, sizes, RTE_DIM(sizes), 1, 10000, "d2h all sizes");
	transfer(main_host, main_dev, small, RTE_DIM(small), 2000, 10000, "h2d small x2000");

	CHECK(rte_eth_stats_get(main_host, &hs) == 0 && rte_eth_stats_get(main_dev, &ds) == 0,
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
	CHECK(xstat(main_host, "tx_q3_packets") == xstat(main_dev, "rx_q3_packets") &&
	      xstat(main_host, "tx_q3_packets") != 0 && xstat(main_host, "tx_q3_packets") != UINT64_MAX,
	      "per-queue stats differ: tx_q3_packets %" PRIu64 ", rx_q3_packets %" PRIu64,
	      xstat(main_host, "tx_q3_packets"), xstat(main_dev, "rx_q3_packets"));
	CHECK(xstat(main_host, "window_bytes_written") >= hs.obytes, "window_bytes_written %" PRIu64,
	      xstat(main_host, "window_bytes_written"));
	CHECK(xstat(main_dev, "window_bytes_read") >= ds.ibytes, "window_bytes_read");
	CHECK(xstat(main_dev, "invalid_desc") == 0, "invalid_desc");
}

static void
test_ring_full(void)
{
	struct rte_mbuf *pkts[BURST];
	uint32_t sent = 0, got = 0;
	uint16_t n, i;
	int rounds;

	/* Fill queue 0 without receiving: TX must stop at the ring size. */
	for (rounds = 0; rounds < 200; rounds++) {
		for (i = 0; i < BURST; i++)
			pkts[i] = make_frame(64, sent + i, 0, 10000);
		n = rte_eth_tx_burst(main_host, 0, pkts, BURST);
		for (i = n; i < BURST; i++)
			rte_pktmbuf_free(pkts[i]);
		sent += n;
	}
	CHECK(sent == 1024, "ring of 1024 accepted %u frames", sent);
	CHECK(xstat(main_host, "ring_full") > 0, "ring_full not counted");
	while ((n = rte_eth_rx_burst(main_dev, 0, pkts, BURST)) > 0) {
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
test_jumbo_alone(void)
{
	struct rte_mbuf *pkts[BURST], *m;
	uint32_t sent = 0, got = 0, i;
	uint16_t n;

	/* 1023 small frames: the host's cache now says 1 slot is free. */
	while (sent < 1023) {
		n = (uint16_t)RTE_MIN(1023u - sent, (uint32_t)BURST);
		for (i = 0; i < n; i++)
			pkts[i] = make_frame(64, sent + i, 2, 10000);
		n = rte_eth_tx_burst(main_host, 2, pkts, n);
		sent += n;
		if (n == 0)
			break;
	}
	CHECK(sent == 1023, "queued %u of 1023", sent);
	while ((n = rte_eth_rx_burst(main_dev, 2, pkts, BURST)) > 0) {
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		got += n;
	}
	CHECK(got == sent, "drained %u of %u", got, sent);
	m = make_frame(9000, 0, 2, 10000);
	n = rte_eth_tx_burst(main_host, 2, &m, 1);
	CHECK(n == 1, "a lone 9000-byte frame was refused with the ring empty");
	if (n == 0)
		rte_pktmbuf_free(m);
	n = rte_eth_rx_burst(main_dev, 2, pkts, BURST);
	CHECK(n == 1 && check_frame(pkts[0], 9000, 0, 2), "lone jumbo frame not received");
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

/*
 * A single-segment mbuf whose pkt_len says more than its data_len holds is
 * refused (counted), never copied: copying pkt_len bytes would read 1940
 * of them from beyond the segment.
 */
static void
test_tx_lying_length(void)
{
	struct rte_mbuf *m = make_frame(60, 1, 0, 10000);
	uint64_t refused = xstat(main_host, "tx_refused");
	uint16_t n;

	m->pkt_len = 2000; /* data_len stays 60; one 2048-byte slot would take it */
	n = rte_eth_tx_burst(main_host, 0, &m, 1);
	CHECK(n == 1, "a malformed frame must be taken (and freed), tx returned %u", n);
	if (n == 0)
		rte_pktmbuf_free(m);
	CHECK(xstat(main_host, "tx_refused") == refused + 1, "tx_refused %" PRIu64 " (was %" PRIu64 ")",
	      xstat(main_host, "tx_refused"), refused);
	CHECK(drain(main_dev, 0, NULL) == 0, "a frame with data_len 60 and pkt_len 2000 was delivered");
	/* A chain whose segments hold less than pkt_len: refused too. */
	m = make_frame(3000, 2, 0, 1000);
	m->pkt_len = 3500;
	n = rte_eth_tx_burst(main_host, 0, &m, 1);
	if (n == 0)
		rte_pktmbuf_free(m);
	CHECK(xstat(main_host, "tx_refused") == refused + 2, "short chain not refused");
	CHECK(drain(main_dev, 0, NULL) == 0, "a chain shorter than its pkt_len was delivered");
}

/*
 * stats_reset must not race the lcore that owns the counters. A
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
		if (rte_pktmbuf_append(m, 60) == NULL) {
			rte_pktmbuf_free(m);
			continue;
		}
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
test_stats_reset_race(void)
{
	static uint16_t ports[2];
	unsigned int worker = rte_get_next_lcore(-1, 1, 0), i, bad = 0;
	uint64_t worst = 0;

	if (worker >= RTE_MAX_LCORE) {
		printf("SKIP stats-reset race: needs a second lcore (-l 0,1)\n");
		return;
	}
	ports[0] = main_host;
	ports[1] = main_dev;
	race_stop = 0;
	rte_eal_remote_launch(race_worker, ports, worker);
	for (i = 0; i < 200000; i++) {
		struct rte_eth_stats st;
		uint64_t before = race_sent, after;

		rte_eth_stats_reset(main_host);
		rte_eth_stats_get(main_host, &st);
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
	drain(main_dev, 0, NULL);
}

/*
 * One frame-size rule for every path. With bsize=16384 a 12000-byte frame
 * fits one slot, but max_rx_pktlen is 9216: TX refuses frames above our
 * MTU and the peer's; RX drops frames above the MTU it was configured with.
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
	CHECK(rte_eth_dev_stop(h) == 0 && port_start(h, &conf, big_pool, 32) == 0 &&
	      wait_link(h, d, 1, 2000),
	      "never fits: host with a 32-descriptor TX queue");
	in_use0 = rte_mempool_in_use_count(big_pool);
	m = make_frame_from(big_pool, 9000, 1, 0, 10000);
	CHECK(m != NULL && rte_eth_tx_burst(h, 0, &m, 1) == 1,
	      "never fits: a 9000-byte frame (36 slots of 256 B, queue of 32) not taken");
	CHECK(xstat(h, "tx_too_long") == 1, "never fits: tx_too_long %" PRIu64,
	      xstat(h, "tx_too_long"));
	CHECK(rte_mempool_in_use_count(big_pool) == in_use0, "never fits: the refused mbuf was kept");
	send_frames(h, 10, 200, 2);
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
	CHECK(rte_eth_dev_stop(h) == 0 && port_start(h, &conf, NULL, 0) == 0 &&
	      wait_link(h, d, 1, 2000),
	      "fast free: host restarted with MBUF_FAST_FREE, link up");
	in_use0 = rte_mempool_in_use_count(big_pool);
	send_frames(h, 100, 100, 1);
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

static const struct unit_test_case datapath_cases[] = {
	TEST_CASE(test_traffic),
	TEST_CASE(test_ring_full),
	TEST_CASE(test_jumbo_alone),
	TEST_CASE(test_tx_lying_length),
	TEST_CASE(test_stats_reset_race),
	TEST_CASE(test_frame_limits),
	TEST_CASE(test_tx_never_fits),
	TEST_CASE(test_fast_free),
	TEST_CASES_END()
};

const struct unit_test_suite datapath_suite = {
	.name = "datapath",
	.setup = main_pair_up,
	.teardown = main_pair_down,
	.cases = datapath_cases,
};
