/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reconcile.c - the soak's verdict, once both ends stopped: every frame
 * arrived once, intact, in order (the receivers' bad_* counts are zero),
 * no GSO frame was left half reassembled, and every counter of the ports
 * (ethdev stats, per-queue xstats, the PMD's xstats) agrees with what the
 * soak sent and received; no mbuf is left out of its pool.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_ethdev.h>

#include "check.h"
#include "soak.h"
#include "xstat.h"

int
reconcile(uint64_t frames, struct rte_mempool *rxp, struct rte_mempool *const txp[2])
{
	struct rte_eth_stats st[2];
	uint16_t q;
	int i;

	CHECK(rte_eth_stats_get(ends[0].port, &st[0]) == 0 &&
	      rte_eth_stats_get(ends[1].port, &st[1]) == 0, "rte_eth_stats_get failed");
	for (i = 0; i < 2; i++) {
		struct end *tx = &ends[i], *rx = &ends[!i];
		const uint64_t gso_tx = total(tx->gso_sent);

		CHECK(rx->bad_seq == 0 && rx->bad_len == 0 && rx->bad_crc == 0 && rx->bad_hdr == 0,
		      "%s received %" PRIu64 " out-of-sequence, %" PRIu64 " wrong-length, %" PRIu64
		      " corrupt, %" PRIu64 " foreign frames", rx->name, rx->bad_seq, rx->bad_len,
		      rx->bad_crc, rx->bad_hdr);
		CHECK(rx->bad_seg == 0 && rx->bad_lro == 0,
		      "%s received %" PRIu64 " bad TCP segments, %" PRIu64 " bad LRO frames", rx->name,
		      rx->bad_seg, rx->bad_lro);
		for (q = 0; q < NB_Q; q++) {
			CHECK(!rx->rs[q].active, "queue %u %s->%s: GSO frame %" PRIu64 " incomplete at "
			      "the end (%u bytes in %u segments)", q, tx->name, rx->name,
			      rx->rs[q].seq, rx->rs[q].have, rx->rs[q].nseg);
			CHECK(rx->got[q] == tx->sent[q], "queue %u %s->%s: sent %" PRIu64 ", received %"
			      PRIu64, q, tx->name, rx->name, tx->sent[q], rx->got[q]);
			CHECK(rx->got_bytes[q] == tx->sent_bytes[q], "queue %u %s->%s: bytes differ", q,
			      tx->name, rx->name);
			/* The PMDs count frames in the window: segments one by one. */
			CHECK(rx->wire_got[q] == tx->wire_sent[q] &&
			      rx->wire_got_bytes[q] == tx->wire_sent_bytes[q],
			      "queue %u %s->%s: window frames sent %" PRIu64 " / %" PRIu64 " bytes, received %"
			      PRIu64 " / %" PRIu64 " bytes", q, tx->name, rx->name, tx->wire_sent[q],
			      tx->wire_sent_bytes[q], rx->wire_got[q], rx->wire_got_bytes[q]);
			/* Per-queue counters: ethdev's tx_qN_ and rx_qN_ xstats,
			 * which it fills from the PMD's stats_get on every release. */
			CHECK(qxstat(tx->port, "tx", q, "packets") == tx->wire_sent[q] &&
			      qxstat(rx->port, "rx", q, "packets") == rx->wire_got[q],
			      "queue %u %s->%s: tx_q%u_packets %" PRIu64 " rx_q%u_packets %" PRIu64
			      ", soak %" PRIu64, q, tx->name, rx->name, q, qxstat(tx->port, "tx", q, "packets"),
			      q, qxstat(rx->port, "rx", q, "packets"), tx->wire_sent[q]);
			CHECK(qxstat(tx->port, "tx", q, "bytes") == tx->wire_sent_bytes[q] &&
			      qxstat(rx->port, "rx", q, "bytes") == rx->wire_got_bytes[q],
			      "queue %u %s->%s: per-queue bytes disagree", q, tx->name, rx->name);
		}
		CHECK(st[i].opackets == total(tx->wire_sent) && st[!i].ipackets == total(rx->wire_got),
		      "%s opackets %" PRIu64 " / peer ipackets %" PRIu64 " / soak %" PRIu64, tx->name,
		      st[i].opackets, st[!i].ipackets, total(tx->wire_sent));
		CHECK(st[i].obytes == total(tx->wire_sent_bytes) &&
		      st[!i].ibytes == total(rx->wire_got_bytes),
		      "%s obytes %" PRIu64 " / peer ibytes %" PRIu64 " / soak %" PRIu64, tx->name,
		      st[i].obytes, st[!i].ibytes, total(tx->wire_sent_bytes));
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
		CHECK(xstat(tx->port, "rx_bad_offload") == 0 && xstat(tx->port, "tx_bad_offload") == 0 &&
		      xstat(tx->port, "rx_too_long") == 0 && xstat(tx->port, "tx_too_long") == 0,
		      "%s xstats: rx_bad_offload %" PRIu64 " tx_bad_offload %" PRIu64 " rx_too_long %"
		      PRIu64 " tx_too_long %" PRIu64, tx->name, xstat(tx->port, "rx_bad_offload"),
		      xstat(tx->port, "tx_bad_offload"), xstat(tx->port, "rx_too_long"),
		      xstat(tx->port, "tx_too_long"));
		/* GSO frames: whole to a receiver with LRO, else segmented by
		 * the sender's PMD (and only then). */
		CHECK(gso_tx > 0, "%s sent no GSO frame", tx->name);
		CHECK(xstat(tx->port, "tx_gso_segmented") == (tx->peer_lro ? 0 : gso_tx),
		      "%s tx_gso_segmented %" PRIu64 ", expected %" PRIu64, tx->name,
		      xstat(tx->port, "tx_gso_segmented"), tx->peer_lro ? 0 : gso_tx);
		if (tx->peer_lro)
			CHECK(total(rx->gso_whole) == gso_tx && total(rx->segs_got) == 0,
			      "%s->%s: %" PRIu64 " GSO frames sent, %" PRIu64 " received whole, %" PRIu64
			      " TCP segments received", tx->name, rx->name, gso_tx, total(rx->gso_whole),
			      total(rx->segs_got));
		else
			CHECK(total(rx->gso_reasm) == gso_tx && total(rx->gso_whole) == 0 &&
			      total(rx->segs_got) == total(tx->gso_segs_sent),
			      "%s->%s: %" PRIu64 " GSO frames sent as %" PRIu64 " segments; received %"
			      PRIu64 " segments, %" PRIu64 " frames reassembled, %" PRIu64 " whole",
			      tx->name, rx->name, gso_tx, total(tx->gso_segs_sent), total(rx->segs_got),
			      total(rx->gso_reasm), total(rx->gso_whole));
		printf("%s: sent %" PRIu64 " frames / %" PRIu64 " bytes, ring_full %" PRIu64
		       ", rx_nombuf %" PRIu64 "\n", tx->name, total(tx->sent), total(tx->sent_bytes),
		       xstat(tx->port, "ring_full"), xstat(tx->port, "rx_nombuf"));
		printf("%s: %" PRIu64 " GSO frames (%s), %" PRIu64 " frames / %" PRIu64
		       " bytes in the window, tx_gso_segmented %" PRIu64 "\n", tx->name, gso_tx,
		       tx->peer_lro ? "whole" : "segmented", total(tx->wire_sent),
		       total(tx->wire_sent_bytes), xstat(tx->port, "tx_gso_segmented"));
	}
	CHECK(frames > 0, "no frame moved");
	CHECK(rte_mempool_in_use_count(rxp) == 0 && rte_mempool_in_use_count(txp[0]) == 0 &&
	      rte_mempool_in_use_count(txp[1]) == 0, "mbufs leaked: rx %u tx %u/%u",
	      rte_mempool_in_use_count(rxp), rte_mempool_in_use_count(txp[0]),
	      rte_mempool_in_use_count(txp[1]));
	return check_summary();
}
