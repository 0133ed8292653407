/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * suite_offload.c - offloads carried across the window: TSO to a receiver
 * with LRO (whole) and without (segmented by the sender), a TSO frame of
 * one segment, IPv4 and L4 checksum offloads, partial checksums completed
 * on receive or handed over, and offload metadata from a hostile peer.
 * Every case brings up pairs of its own, each end configured for the
 * offloads under test; the suite has no set-up of its own.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "cxlmem_layout.h"
#include "ethdev_test.h"

/*
 * A fake host that writes frames straight into the device's queue 0
 * receive ring of window file <win_path>.<tag> (one queue pair), through a
 * mapping of its own, as a peer across the link would.
 */
struct fake_host {
	int fd;
	uint8_t *map;
	struct cxlmem_geometry g;
	uint32_t prod; /* the ring's producer index, with what was put */
};

static uint8_t *
fake_host_ring(const struct fake_host *fh)
{
	return fh->map + cxlmem_ring_offset(&fh->g, 0, CXLMEM_DIR_H2D);
}

/* Map the window of geometry (1 queue, rsize, bsize). 0 or -1. */
static int
fake_host_open(struct fake_host *fh, const char *tag, uint32_t rsize, uint32_t bsize)
{
	char path[300];

	snprintf(path, sizeof(path), "%s.%s", win_path, tag);
	cxlmem_geometry(1, rsize, bsize, &fh->g);
	fh->fd = open(path, O_RDWR);
	fh->map = fh->fd < 0 ? MAP_FAILED : mmap(NULL, fh->g.window_bytes, PROT_READ | PROT_WRITE,
						 MAP_SHARED, fh->fd, 0);
	if (fh->map == MAP_FAILED) {
		if (fh->fd >= 0)
			close(fh->fd);
		return -1;
	}
	fh->prod = __atomic_load_n((uint32_t *)fake_host_ring(fh), __ATOMIC_ACQUIRE);
	return 0;
}

/* Put a frame in the next slot: the offload metadata meta, then len bytes
 * of frame (NULL: len bytes of 0x33), tagged with the device's epoch. The
 * device sees it after fake_host_publish(). */
static void
fake_host_put(struct fake_host *fh, const struct cxlmem_offload *meta, const void *frame,
	      uint32_t len)
{
	uint8_t *ring = fake_host_ring(fh);
	struct cxlmem_desc *desc = (struct cxlmem_desc *)(ring + CXLMEM_DESC_OFFSET);
	const struct cxlmem_ctrl *dc = (const struct cxlmem_ctrl *)(fh->map +
					CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE));
	const uint32_t i = fh->prod & (fh->g.ring_size - 1);
	uint8_t *slot = ring + fh->g.buf_offset + (size_t)i * fh->g.buf_size;

	memcpy(slot, meta, sizeof(*meta));
	if (frame != NULL)
		memcpy(slot + sizeof(*meta), frame, len);
	else
		memset(slot + sizeof(*meta), 0x33, len);
	desc[i].len = (uint32_t)sizeof(*meta) + len;
	desc[i].flags = CXLMEM_DESC_F_META;
	desc[i].epoch_tag = (uint16_t)dc->epoch;
	fh->prod++;
}

static void
fake_host_publish(struct fake_host *fh)
{
	__atomic_store_n((uint32_t *)fake_host_ring(fh), fh->prod, __ATOMIC_RELEASE);
}

static void
fake_host_close(struct fake_host *fh)
{
	munmap(fh->map, fh->g.window_bytes);
	close(fh->fd);
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
			char tag[16];
			struct rte_eth_conf conf = { .rxmode = { .mtu = 1500 } };
			uint16_t h, d;
			uint32_t seen = 0;
			bool ok = true;

			snprintf(tag, sizeof(tag), "tso%u%u", lro, v);
			CHECK(pair_probe(tag, "size=16M", lro == 2 ? "rx_partial_csum=on" : "", &h,
					 &d) == 0, "tso pair probe");
			conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
					       RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
			CHECK(port_start(h, &conf, pool, 0) == 0, "tso host setup");
			memset(&conf, 0, sizeof(conf));
			conf.rxmode.mtu = 1500;
			if (lro) {
				conf.rxmode.offloads = rx_lro;
				conf.rxmode.max_lro_pkt_size = 65535;
			}
			CHECK(port_start(d, &conf, pool, 0) == 0 && wait_link(h, d, 1, 2000),
			      "tso device setup");
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
			pair_down(tag, h, d);
		}
	}
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
			CHECK(rte_eth_dev_stop(h) == 0 && port_start(h, &conf, big_pool, 0) == 0,
			      "tso one segment: host");
			memset(&conf, 0, sizeof(conf));
			conf.rxmode.mtu = 1500;
			if (lro) {
				conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TCP_LRO |
						       RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
						       RTE_ETH_RX_OFFLOAD_SCATTER;
				conf.rxmode.max_lro_pkt_size = 65535;
			}
			CHECK(rte_eth_dev_stop(d) == 0 && port_start(d, &conf, big_pool, 0) == 0 &&
			      wait_link(h, d, 1, 2000), "tso one segment: device");
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
		uint16_t h, d;
		unsigned int n;

		CHECK(pair_probe("csum", "size=16M", "", &h, &d) == 0, "csum pair probe");
		conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		CHECK(port_start(h, &conf, pool, 0) == 0, "csum host setup");
		memset(&conf, 0, sizeof(conf));
		conf.rxmode.mtu = 1500;
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
				       (rxcsum ? RTE_ETH_RX_OFFLOAD_TCP_CKSUM : 0);
		CHECK(port_start(d, &conf, pool, 0) == 0 && wait_link(h, d, 1, 2000),
		      "csum device setup");
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
		pair_down("csum", h, d);
	}
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
		uint16_t h, d;

		CHECK(pair_probe("pcsum", "size=16M", partial ? "rx_partial_csum=on" : "", &h, &d) == 0,
		      "pcsum pair probe");
		conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		CHECK(port_start(h, &conf, big_pool, 0) == 0, "pcsum host setup");
		memset(&conf, 0, sizeof(conf));
		conf.rxmode.mtu = 9000;
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
				       RTE_ETH_RX_OFFLOAD_SCATTER;
		CHECK(port_start(d, &conf, pool, 0) == 0 && wait_link(h, d, 1, 2000),
		      "pcsum device setup");
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
			const struct cxlmem_offload meta = { .flags = CXLMEM_OFL_F_NEEDS_CSUM,
							     .csum_start = 14 + 20 + 8 + 8,
							     .csum_offset = 2 };
			struct rte_mbuf *f = make_l4_partial(false, true, 100, 9);
			struct fake_host fh;
			bool mapped = fake_host_open(&fh, "pcsum", 1024, 2048) == 0;

			CHECK(mapped && f != NULL, "pcsum map");
			if (mapped && f != NULL) {
				uint16_t c = 0;

				fake_host_put(&fh, &meta, rte_pktmbuf_mtod(f, void *), f->pkt_len);
				fake_host_publish(&fh);
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
			}
			if (mapped)
				fake_host_close(&fh);
			rte_pktmbuf_free(f);
		}
		rte_eth_dev_stop(d);
		rte_eth_dev_stop(h);
		pair_down("pcsum", h, d);
	}
}

/*
 * Untrusted metadata: frames written straight into the device's receive
 * ring, as a hostile host would, with metadata that does not fit the
 * frame, an unknown GSO type, GSO to a receiver without LRO, or reserved
 * bytes set: each is dropped and counted in rx_bad_offload, none is
 * delivered; a good one after them is.
 */
static void
test_bad_metadata(void)
{
	static const struct cxlmem_offload none;
	struct cxlmem_offload bad[5];
	struct fake_host fh;
	uint16_t h, d;
	struct rte_mbuf *got[8];
	bool mapped;
	uint32_t k;

	if (stale_injected)
		return; /* our own mapping would be a private copy */
	CHECK(pair_up("meta", "size=4M,queues=1,rsize=64,bsize=2048", "", 1, 1, 1500, 1500, &h,
		      &d) == 0, "meta link");
	mapped = fake_host_open(&fh, "meta", 64, 2048) == 0;
	CHECK(mapped, "map");
	if (!mapped)
		goto out;
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
	for (k = 0; k < RTE_DIM(bad); k++)
		fake_host_put(&fh, &bad[k], NULL, 100);
	fake_host_put(&fh, &none, NULL, 100);        /* good: no offload at all */
	fake_host_publish(&fh);
	k = recv_all(d, got, RTE_DIM(got));
	CHECK(k == 1 && got[0]->pkt_len == 100, "%u frames delivered, expected the one good one", k);
	CHECK(xstat(d, "rx_bad_offload") == RTE_DIM(bad), "rx_bad_offload %" PRIu64,
	      xstat(d, "rx_bad_offload"));
	while (k > 0)
		rte_pktmbuf_free(got[--k]);
	fake_host_close(&fh);
out:
	pair_down("meta", h, d);
}

static const struct unit_test_case offload_cases[] = {
	TEST_CASE(test_tso),
	TEST_CASE(test_tso_one_segment),
	TEST_CASE(test_csum),
	TEST_CASE(test_partial_csum),
	TEST_CASE(test_bad_metadata),
	TEST_CASES_END()
};

const struct unit_test_suite offload_suite = {
	.name = "offload",
	.cases = offload_cases,
};
