/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_soak.c - integrity soak: both ends of one window in one process, one
 * lcore per end, 4 queues, both directions at once.
 *
 * Every frame carries (after a 14-byte Ethernet header) a soak header:
 * magic, direction, queue, a per-queue sequence number, its length, and a
 * CRC32C of its payload. Lengths are drawn from 60..9000 by a hash of
 * (direction, queue, sequence), so the receiver knows what to expect; 3 in
 * 4 are 60..1514, 1 in 4 are 1515..9000; every 8th frame is sent as a
 * two-segment mbuf chain, and RX mbufs hold 2 KiB, so jumbo frames arrive
 * scattered. The receiver checks each frame: sequence is the next one of
 * its queue (none lost, none twice, in order), length, header and payload
 * CRC. At the end every counter (ethdev stats, per-queue stats, xstats)
 * must agree with what the soak itself sent and received.
 *
 * Usage: test_soak [--seconds S] [--frames N] [--devargs K=V,...] [-- EAL args]
 *   --seconds S  stop sending after S seconds (default 20)
 *   --frames N   stop sending after N frames in all (default: no limit)
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
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define NB_Q 4
#define BURST 32
#define SOAK_MAGIC 0x534f414bu /* "SOAK" */
#define HDR_OFF 14
#define NOISE 16384

struct soak_hdr {
	uint32_t magic;
	uint16_t dir;
	uint16_t queue;
	uint64_t seq;
	uint32_t len;
	uint32_t crc;   /**< CRC32C of bytes [PAY_OFF, len) */
	uint16_t pad;   /**< puts the payload at an 8-byte boundary */
} __rte_packed;
#define PAY_OFF (HDR_OFF + sizeof(struct soak_hdr))
/* rte_hash_crc() reads 8 bytes at a time: keep its input 8-byte aligned. */
_Static_assert(PAY_OFF % 8 == 0, "payload offset");

struct end {
	const char *name;
	uint16_t port;
	uint16_t dir;                /* direction this end sends: 0 host->dev, 1 dev->host */
	uint64_t sent[NB_Q], sent_bytes[NB_Q];
	uint64_t got[NB_Q], got_bytes[NB_Q];
	uint64_t bad_seq, bad_len, bad_crc, bad_hdr;
	struct rte_mbuf *pending[NB_Q][BURST];
	uint16_t npending[NB_Q];
	struct rte_mempool *txp;
};

static uint8_t noise[NOISE + 9216] __rte_aligned(64);
static volatile int stop_sending;
static volatile int stop_all;
static struct end ends[2];
static uint64_t frame_limit;

static inline uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static inline uint32_t
frame_len(uint16_t dir, uint16_t q, uint64_t seq)
{
	uint64_t h = mix(seq * 8 + (uint64_t)dir * 4 + q);

	if ((h & 3) == 0)
		return 1515 + (uint32_t)((h >> 8) % (9000 - 1515 + 1));
	return 60 + (uint32_t)((h >> 8) % (1514 - 60 + 1));
}

static struct rte_mbuf *
make_frame(struct end *e, uint16_t q, uint64_t seq)
{
	const uint32_t len = frame_len(e->dir, q, seq);
	const uint8_t *pay = noise + (mix(seq ^ q) & (NOISE - 8)); /* 8-byte aligned */
	struct rte_mbuf *m = rte_pktmbuf_alloc(e->txp), *m2 = NULL;
	struct soak_hdr h = {
		.magic = SOAK_MAGIC, .dir = e->dir, .queue = q, .seq = seq, .len = len,
		.crc = rte_hash_crc(pay, len - PAY_OFF, 0),
	};
	uint32_t first = len;
	uint8_t *d;

	if (m == NULL)
		return NULL;
	if (seq % 8 == 7 && len > PAY_OFF + 1) {
		m2 = rte_pktmbuf_alloc(e->txp);
		if (m2 == NULL) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		first = PAY_OFF + (len - PAY_OFF) / 2;
	}
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0xff, 6);
	memset(d + 6, 0x02, 6);
	d[12] = 0x88;
	d[13] = 0xb5;
	memcpy(d + HDR_OFF, &h, sizeof(h));
	memcpy(d + PAY_OFF, pay, first - PAY_OFF);
	m->data_len = (uint16_t)first;
	m->pkt_len = len;
	if (m2 != NULL) {
		memcpy(rte_pktmbuf_mtod(m2, uint8_t *), pay + (first - PAY_OFF), len - first);
		m2->data_len = (uint16_t)(len - first);
		m->next = m2;
		m->nb_segs = 2;
	}
	return m;
}

/* Check one received frame of queue q sent by the other end. */
static void
check_frame(struct end *e, uint16_t q, struct rte_mbuf *m)
{
	const struct end *peer = &ends[!(e - ends)];
	struct soak_hdr h;
	const uint64_t want = e->got[q];
	const struct rte_mbuf *s;
	uint32_t crc = 0, off = 0;

	const void *hp = rte_pktmbuf_read(m, HDR_OFF, sizeof(h), &h);

	if (hp != NULL && hp != &h)
		memcpy(&h, hp, sizeof(h));
	if (hp == NULL || h.magic != SOAK_MAGIC ||
	    h.dir != peer->dir || h.queue != q) {
		if (e->bad_hdr++ < 5)
			printf("%s q%u: frame %" PRIu64 ": bad soak header (len %u: magic 0x%08x "
			       "dir %u queue %u)\n", e->name, q, want, m->pkt_len, h.magic, h.dir,
			       h.queue);
		e->got[q]++;
		return;
	}
	if (h.seq != want) {
		if (e->bad_seq++ < 5)
			printf("%s q%u: got sequence %" PRIu64 ", expected %" PRIu64 "\n", e->name, q,
			       h.seq, want);
		e->got[q] = h.seq; /* resynchronise, to count further faults separately */
	}
	if (m->pkt_len != h.len || h.len != frame_len(peer->dir, q, h.seq)) {
		if (e->bad_len++ < 5)
			printf("%s q%u seq %" PRIu64 ": length %u, header says %u, expected %u\n",
			       e->name, q, h.seq, m->pkt_len, h.len, frame_len(peer->dir, q, h.seq));
	} else {
		/* CRC over the payload, segment by segment. */
		for (s = m; s != NULL; s = s->next) {
			uint32_t a = off < PAY_OFF ? PAY_OFF - off : 0;

			if (a < s->data_len)
				crc = rte_hash_crc(rte_pktmbuf_mtod_offset(s, uint8_t *, a),
						   s->data_len - a, crc);
			off += s->data_len;
		}
		if (crc != h.crc && e->bad_crc++ < 5)
			printf("%s q%u seq %" PRIu64 ": payload CRC 0x%08x, header says 0x%08x\n",
			       e->name, q, h.seq, crc, h.crc);
	}
	e->got[q]++;
	e->got_bytes[q] += m->pkt_len;
}

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
		for (i = 0; i < n; i++)
			e->sent_bytes[q] += e->pending[q][i]->pkt_len;
		/* The PMD freed what it took; keep the rest, in order. */
		memmove(e->pending[q], e->pending[q] + n,
			(e->npending[q] - n) * sizeof(e->pending[q][0]));
		e->npending[q] -= n;
		e->sent[q] += n;
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

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

static uint64_t
total(const uint64_t *v)
{
	uint64_t t = 0;
	unsigned int q;

	for (q = 0; q < NB_Q; q++)
		t += v[q];
	return t;
}

static int
setup(uint16_t port, struct rte_mempool *rxp)
{
	struct rte_eth_conf conf = { .rxmode = { .mtu = 9000 } };
	uint16_t q;

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
	int eal_argc = 0, opt, i;
	double seconds = 20;
	struct rte_mempool *rxp, *txp[2];
	struct rte_eth_stats st[2];
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
	for (i = 0; i < (int)sizeof(noise); i++)
		noise[i] = (uint8_t)mix((uint64_t)i);

	rxp = rte_pktmbuf_pool_create("soak_rx", 16383, 256, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				      rte_socket_id());
	txp[0] = rte_pktmbuf_pool_create("soak_tx0", 1023, 64, 0, 9216 + RTE_PKTMBUF_HEADROOM,
					 rte_socket_id());
	txp[1] = rte_pktmbuf_pool_create("soak_tx1", 1023, 64, 0, 9216 + RTE_PKTMBUF_HEADROOM,
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
		snprintf(args, sizeof(args), "role=%s,path=%s,queues=%d%s%s", i ? "device" : "host",
			 win, NB_Q, *extra ? "," : "", extra);
		if (i == 0)
			printf("devargs: %s\n", args);
		if (rte_eal_hotplug_add("vdev", name, args) != 0 ||
		    rte_eth_dev_get_port_by_name(name, &ends[i].port) != 0) {
			printf("FAIL: probe %s\n", args);
			return 1;
		}
		ends[i].name = i ? "device" : "host";
		ends[i].dir = (uint16_t)i;
		ends[i].txp = txp[i];
	}
	if (setup(ends[0].port, rxp) != 0 || setup(ends[1].port, rxp) != 0) {
		printf("FAIL: port setup\n");
		return 1;
	}
	hz = rte_get_timer_hz();
	t0 = rte_get_timer_cycles();
	for (;;) {
		struct rte_eth_link a, b;

		rte_eth_link_get_nowait(ends[0].port, &a);
		rte_eth_link_get_nowait(ends[1].port, &b);
		if (a.link_status && b.link_status)
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
	}

	/* Every frame once, intact, in order; every counter agrees. */
	rte_eth_stats_get(ends[0].port, &st[0]);
	rte_eth_stats_get(ends[1].port, &st[1]);
	for (i = 0; i < 2; i++) {
		struct end *tx = &ends[i], *rx = &ends[!i];

		CHECK(rx->bad_seq == 0 && rx->bad_len == 0 && rx->bad_crc == 0 && rx->bad_hdr == 0,
		      "%s received %" PRIu64 " out-of-sequence, %" PRIu64 " wrong-length, %" PRIu64
		      " corrupt, %" PRIu64 " foreign frames", rx->name, rx->bad_seq, rx->bad_len,
		      rx->bad_crc, rx->bad_hdr);
		for (q = 0; q < NB_Q; q++) {
			CHECK(rx->got[q] == tx->sent[q], "queue %u %s->%s: sent %" PRIu64 ", received %"
			      PRIu64, q, tx->name, rx->name, tx->sent[q], rx->got[q]);
			CHECK(rx->got_bytes[q] == tx->sent_bytes[q], "queue %u %s->%s: bytes differ", q,
			      tx->name, rx->name);
			CHECK(st[i].q_opackets[q] == tx->sent[q] && st[!i].q_ipackets[q] == rx->got[q],
			      "queue %u %s->%s: q_opackets %" PRIu64 " q_ipackets %" PRIu64 ", soak %" PRIu64,
			      q, tx->name, rx->name, st[i].q_opackets[q], st[!i].q_ipackets[q], tx->sent[q]);
			CHECK(st[i].q_obytes[q] == tx->sent_bytes[q] && st[!i].q_ibytes[q] == rx->got_bytes[q],
			      "queue %u %s->%s: per-queue bytes disagree", q, tx->name, rx->name);
		}
		CHECK(st[i].opackets == total(tx->sent) && st[!i].ipackets == total(rx->got),
		      "%s opackets %" PRIu64 " / peer ipackets %" PRIu64 " / soak %" PRIu64, tx->name,
		      st[i].opackets, st[!i].ipackets, total(tx->sent));
		CHECK(st[i].obytes == total(tx->sent_bytes) && st[!i].ibytes == total(rx->got_bytes),
		      "%s obytes %" PRIu64 " / peer ibytes %" PRIu64 " / soak %" PRIu64, tx->name,
		      st[i].obytes, st[!i].ibytes, total(tx->sent_bytes));
		CHECK(st[i].ierrors == 0 && st[i].oerrors == 0, "%s ierrors %" PRIu64 " oerrors %" PRIu64,
		      tx->name, st[i].ierrors, st[i].oerrors);
		CHECK(xstat(tx->port, "invalid_desc") == 0 && xstat(tx->port, "invalid_index") == 0 &&
		      xstat(tx->port, "tx_refused") == 0 && xstat(tx->port, "peer_restarts") == 0 &&
		      xstat(tx->port, "link_flaps") == 0,
		      "%s xstats: invalid_desc %" PRIu64 " invalid_index %" PRIu64 " tx_refused %" PRIu64
		      " peer_restarts %" PRIu64 " link_flaps %" PRIu64, tx->name,
		      xstat(tx->port, "invalid_desc"), xstat(tx->port, "invalid_index"),
		      xstat(tx->port, "tx_refused"), xstat(tx->port, "peer_restarts"),
		      xstat(tx->port, "link_flaps"));
		printf("%s: sent %" PRIu64 " frames / %" PRIu64 " bytes, ring_full %" PRIu64
		       ", rx_nombuf %" PRIu64 "\n", tx->name, total(tx->sent), total(tx->sent_bytes),
		       xstat(tx->port, "ring_full"), xstat(tx->port, "rx_nombuf"));
	}
	CHECK(frames > 0, "no frame moved");
	CHECK(rte_mempool_in_use_count(rxp) == 0 && rte_mempool_in_use_count(txp[0]) == 0 &&
	      rte_mempool_in_use_count(txp[1]) == 0, "mbufs leaked: rx %u tx %u/%u",
	      rte_mempool_in_use_count(rxp), rte_mempool_in_use_count(txp[0]),
	      rte_mempool_in_use_count(txp[1]));

	for (i = 0; i < 2; i++) {
		rte_eth_dev_stop(ends[i].port);
		rte_eth_dev_close(ends[i].port);
	}
	unlink(win);
	rte_eal_cleanup();
	printf("soak: %" PRIu64 " frames, %d failed checks\n", frames, failures);
	return failures ? 1 : 0;
}
