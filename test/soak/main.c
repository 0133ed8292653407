/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_soak - integrity soak: both ends of one window in one process, one
 * lcore per end, 4 queues, both directions at once.
 *
 * Every frame carries a soak header: magic, direction, queue, a per-queue
 * sequence number, its length, and a CRC32C of its payload. A hash of
 * (direction, queue, sequence) gives each frame its shape, so the receiver
 * knows what to expect:
 *   - 15 in 16 are plain frames (EtherType 0x88b5, the soak header right
 *     after the 14-byte Ethernet header) of 60..9000 bytes: 3 in 4 are
 *     60..1514, 1 in 4 are 1515..9000; every 8th frame is sent as a
 *     two-segment mbuf chain, and RX mbufs hold 2 KiB, so jumbo frames
 *     arrive scattered.
 *   - 1 in 16 is a TCP/IPv4 GSO frame of 2000..30000 bytes of TCP payload
 *     (the soak header right after the TCP header, then the CRC'd payload),
 *     MSS 536, 1448 or 8960, sent as an mbuf chain (its first segment
 *     ends inside or after the headers) with TX_TCP_SEG|IPV4|IP_CKSUM and
 *     the pseudo-header sum without the length in its TCP checksum field.
 *     Host->device: the device port enabled TCP_LRO, so the frame crosses
 *     whole and must arrive as one chain with RX_LRO and tso_segsz = MSS
 *     (and, with rx_partial_csum=on, its checksum still partial).
 *     Device->host: the host port did not, so the device's PMD segments it;
 *     the host checks each segment (IPv4 header checksum, total length and
 *     id; TCP checksum over the segment; sequence number continuity; at
 *     most MSS bytes of payload; FIN/PSH on the last only) and reassembles
 *     the frame per queue before checking it as a soak frame.
 * The receiver checks each soak frame: sequence is the next one of its
 * queue (none lost, none twice, in order), length, header and payload CRC.
 * At the end every counter (ethdev stats, per-queue stats, xstats) must
 * agree with what the soak itself sent and received: the PMD counts frames
 * in the window (a segmented GSO frame is one frame per segment), so the
 * soak counts those "wire" frames and bytes apart from its soak frames.
 *
 * frames.c builds what is sent, receive.c checks what arrives, reconcile.c
 * gives the verdict; main.c sets up the ports and drives both ends.
 *
 * Usage: test_soak [--seconds S] [--frames N] [--devargs K=V,...] [-- EAL args]
 *   --seconds S  stop sending after S seconds (default 20)
 *   --frames N   stop sending after N soak frames in all (default: no limit)
 *   --devargs    appended to both ends' devargs (e.g. coherence=flush)
 * Exits 0 when every check passed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "soak.h"

struct end ends[2];
static volatile int stop_sending;
static volatile int stop_all;
static uint64_t frame_limit;

/* One pass over queue q of end e: top up and send its pending frames
 * (what the PMD does not take stays pending, in order), then receive and
 * check a burst. */
static void
poll_queue(struct end *e, uint16_t q)
{
	struct rte_mbuf *rx[BURST];
	uint16_t i, n;

	if (!stop_sending) {
		while (e->npending[q] < BURST) {
			struct rte_mbuf *m = make_frame(e, q, e->sent[q] + e->npending[q]);

			if (m == NULL)
				break;
			e->pending[q][e->npending[q]++] = m;
		}
		n = rte_eth_tx_burst(e->port, q, e->pending[q], e->npending[q]);
		/* The PMD freed what it took (count it from its shape, not from
		 * the freed mbufs); keep the rest, in order. */
		for (i = 0; i < n; i++)
			count_sent(e, q, e->sent[q]);
		memmove(e->pending[q], e->pending[q] + n,
			(e->npending[q] - n) * sizeof(e->pending[q][0]));
		e->npending[q] -= n;
	}
	n = rte_eth_rx_burst(e->port, q, rx, BURST);
	for (i = 0; i < n; i++) {
		check_frame(e, q, rx[i]);
		rte_pktmbuf_free(rx[i]);
	}
}

static int
run_end(void *arg)
{
	struct end *e = arg;
	uint16_t q;

	while (!stop_all)
		for (q = 0; q < NB_Q; q++)
			poll_queue(e, q);
	for (q = 0; q < NB_Q; q++)
		rte_pktmbuf_free_bulk(e->pending[q], e->npending[q]);
	return 0;
}

/* MTU 9000, TSO on transmit; lro: take GSO frames whole on receive. */
static int
setup(uint16_t port, struct rte_mempool *rxp, bool lro)
{
	struct rte_eth_conf conf = { .rxmode = { .mtu = 9000 } };
	uint16_t q;

	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_SCATTER; /* 2 KiB mbufs, jumbo frames */
	if (lro) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_LRO;
		conf.rxmode.max_lro_pkt_size = 65535;
	}
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_TCP_TSO |
			       RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;

	if (rte_eth_dev_configure(port, NB_Q, NB_Q, &conf) != 0)
		return -1;
	for (q = 0; q < NB_Q; q++)
		if (rte_eth_rx_queue_setup(port, q, 0, rte_socket_id(), NULL, rxp) != 0 ||
		    rte_eth_tx_queue_setup(port, q, 0, rte_socket_id(), NULL) != 0)
			return -1;
	return rte_eth_dev_start(port);
}

static char win[128];

static void
remove_window(void)
{
	unlink(win);
}

int
main(int argc, char **argv)
{
	char prefix[64], args[512];
	const char *extra = "";
	char *eal[32];
	int eal_argc = 0, opt, i, status;
	double seconds = 20;
	struct rte_mempool *rxp, *txp[2];
	unsigned int worker;
	uint64_t t0, t_last, hz, frames = 0, bytes = 0;
	uint16_t q;
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'f' },
		{ "devargs", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's': seconds = atof(optarg); break;
		case 'f': frame_limit = strtoull(optarg, NULL, 0); break;
		case 'd': extra = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--seconds S] [--frames N] [--devargs K=V,...] [-- EAL args]\n",
				argv[0]);
			return 2;
		}
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlsoak%d", (int)getpid());
	eal[eal_argc++] = argv[0];
	if (optind < argc) {
		for (i = optind; i < argc && eal_argc < 30; i++)
			eal[eal_argc++] = argv[i];
	} else {
		const char *def[] = { "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "-l", "0,1",
				      "--log-level=pmd.net.cxlmem:notice", prefix };

		for (i = 0; i < (int)RTE_DIM(def); i++)
			eal[eal_argc++] = (char *)(uintptr_t)def[i];
	}
	eal[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal) < 0) {
		printf("FAIL: EAL init\n");
		return 1;
	}
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE) {
		printf("FAIL: the soak needs two lcores (-l 0,1)\n");
		return 1;
	}
	noise_init();

	rxp = rte_pktmbuf_pool_create("soak_rx", 16383, 256, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				      rte_socket_id());
	/* TX: up to NB_Q * BURST frames pending per end, a GSO frame a chain
	 * of up to 1 + GSO_MAX / GSO_TX_CHUNK + 1 mbufs. */
	txp[0] = rte_pktmbuf_pool_create("soak_tx0", 2047, 64, 0, 9216 + RTE_PKTMBUF_HEADROOM,
					 rte_socket_id());
	txp[1] = rte_pktmbuf_pool_create("soak_tx1", 2047, 64, 0, 9216 + RTE_PKTMBUF_HEADROOM,
					 rte_socket_id());
	if (rxp == NULL || txp[0] == NULL || txp[1] == NULL) {
		printf("FAIL: mempools: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	snprintf(win, sizeof(win), "/dev/shm/cxlmem-soak-%d", (int)getpid());
	unlink(win);
	atexit(remove_window); /* every exit, the early failures too */
	for (i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "net_cxlmem_soak%d", i);
		/* The device end checks GSO frames as they crossed, their
		 * checksum partial (rx_partial_csum=on). */
		snprintf(args, sizeof(args), "role=%s,path=%s,queues=%d%s%s%s", i ? "device" : "host",
			 win, NB_Q, i ? ",rx_partial_csum=on" : "", *extra ? "," : "", extra);
		if (i == 0)
			printf("devargs: %s\n", args);
		if (rte_vdev_init(name, args) != 0 ||
		    rte_eth_dev_get_port_by_name(name, &ends[i].port) != 0) {
			printf("FAIL: probe %s\n", args);
			return 1;
		}
		ends[i].name = i ? "device" : "host";
		ends[i].dir = (uint16_t)i;
		ends[i].txp = txp[i];
		/* The device end takes GSO frames whole (TCP_LRO); the host
		 * end does not, so the device's PMD segments them. */
		ends[i].peer_lro = i == 0;
	}
	if (setup(ends[0].port, rxp, false) != 0 || setup(ends[1].port, rxp, true) != 0) {
		printf("FAIL: port setup\n");
		return 1;
	}
	hz = rte_get_timer_hz();
	t0 = rte_get_timer_cycles();
	for (;;) {
		struct rte_eth_link a, b;

		if (rte_eth_link_get_nowait(ends[0].port, &a) == 0 &&
		    rte_eth_link_get_nowait(ends[1].port, &b) == 0 &&
		    a.link_status && b.link_status)
			break;
		if (rte_get_timer_cycles() - t0 > 5 * hz) {
			printf("FAIL: link not up within 5 s\n");
			return 1;
		}
		rte_delay_us_sleep(1000);
	}
	rte_eth_stats_reset(ends[0].port);
	rte_eth_stats_reset(ends[1].port);

	printf("soak: 4 queues, both directions, 60..9000-byte frames, %.0f s%s\n", seconds,
	       frame_limit ? " or frame limit" : "");
	printf("soak: 1 frame in 16 a TCP/IPv4 GSO frame of %u..%u bytes of TCP payload, MSS 536, "
	       "1448 or 8960: whole to the device (TCP_LRO), segmented to the host\n", GSO_MIN,
	       GSO_MAX);
	t0 = t_last = rte_get_timer_cycles();
	rte_eal_remote_launch(run_end, &ends[1], worker);
	/* The main lcore drives the host end and watches the clock between bursts. */
	{
		struct end *e = &ends[0];

		while (!stop_all) {
			uint64_t now = rte_get_timer_cycles();

			for (q = 0; q < NB_Q; q++)
				poll_queue(e, q);
			if (now - t_last > 5 * hz) {
				double el = (double)(now - t0) / hz;
				uint64_t f = total(ends[0].got) + total(ends[1].got);
				uint64_t b = total(ends[0].got_bytes) + total(ends[1].got_bytes);

				printf("  %6.0f s: %" PRIu64 " frames received (%.2f Mfps, %.2f Gbit/s)\n",
				       el, f, f / el / 1e6, b * 8 / el / 1e9);
				fflush(stdout);
				t_last = now;
			}
			if (!stop_sending &&
			    (now - t0 > (uint64_t)(seconds * hz) ||
			     (frame_limit && total(ends[0].sent) + total(ends[1].sent) >= frame_limit))) {
				stop_sending = 1;
				t_last = now; /* drain: stop when nothing is in flight */
			}
			if (stop_sending) {
				int drained = 1;

				for (q = 0; q < NB_Q; q++)
					if (ends[0].got[q] < ends[1].sent[q] ||
					    ends[1].got[q] < ends[0].sent[q])
						drained = 0;
				if (drained || now - t0 > (uint64_t)((seconds + 30) * hz))
					stop_all = 1;
			}
		}
		for (q = 0; q < NB_Q; q++)
			rte_pktmbuf_free_bulk(e->pending[q], e->npending[q]);
	}
	rte_eal_mp_wait_lcore();
	{
		double el = (double)(rte_get_timer_cycles() - t0) / hz;

		frames = total(ends[0].got) + total(ends[1].got);
		bytes = total(ends[0].got_bytes) + total(ends[1].got_bytes);
		printf("soak: %" PRIu64 " frames, %" PRIu64 " bytes in %.1f s (%.2f Mfps, %.2f Gbit/s)\n",
		       frames, bytes, el, frames / el / 1e6, bytes * 8 / el / 1e9);
		printf("soak: GSO frames: host->device %" PRIu64 " sent, %" PRIu64 " received whole; "
		       "device->host %" PRIu64 " sent, %" PRIu64 " received in %" PRIu64 " segments\n",
		       total(ends[0].gso_sent), total(ends[1].gso_whole), total(ends[1].gso_sent),
		       total(ends[0].gso_reasm), total(ends[0].segs_got));
	}

	status = reconcile(frames, rxp, txp);

	for (i = 0; i < 2; i++) {
		rte_eth_dev_stop(ends[i].port);
		rte_eth_dev_close(ends[i].port);
	}
	unlink(win);
	rte_eal_cleanup();
	return status;
}
