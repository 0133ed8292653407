/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * suite_zerocopy.c - zerocopy=rx: frames lent as mbufs attached to their
 * slots (or copied below the copy-break and past half the ring), freed
 * from any lcore in any order; held slots kept across a peer restart, an
 * RX queue set up again and a port close; application writes into lent
 * buffers (coherence=flush); pools that never call the free callback
 * refused. Every case brings up a pair of its own; the suite has no set-up
 * of its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "ethdev_test.h"

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

		send_frames(h, 1, sizes[i], 100 + i);
		if (recv_frames(d, &m, 1, sizes[i], 100 + i) != 1) {
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
		send_frames(h, 200, 1000, 1000 + i);
		got = recv_frames(d, held + i, 200, 1000, 1000 + i);
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
		send_frames(h, 256, 600, 5000 + i);
		got = recv_frames(d, held, 256, 600, 5000 + i);
		CHECK(got == 256, "zero-copy: a ring after the frees: %u of 256", got);
		while (got > 0)
			rte_pktmbuf_free(held[--got]);
	}

	/* Hold 10 lent frames across a peer restart. */
	send_frames(h, 10, 3000, 9000);
	got = recv_frames(d, held, 10, 3000, 9000);
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
	send_frames(h, 500, 1500, 20000); /* the new life fills the ring around the held slots */
	got = recv_frames(d, held + 10, 500, 1500, 20000);
	CHECK(got == 500, "zero-copy: %u of 500 frames after the restart", got);
	for (i = 0; i < 10; i++)
		CHECK(check_frame(held[i], 3000, 9000 + i, 0),
		      "a held zero-copy frame changed under the application");
	for (i = 0; i < 10 + got; i++)
		rte_pktmbuf_free(held[i]);
	pair_down("zc", h, d);
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
	send_frames(h, 10, 1000, 1);
	got = recv_frames(d, held, 10, 1000, 1);
	CHECK(got == 10 && RTE_MBUF_HAS_EXTBUF(held[0]), "zero-copy requeue: 10 lent frames");
	CHECK(rte_eth_dev_stop(d) == 0 &&
	      rte_eth_rx_queue_setup(d, 0, 0, rte_socket_id(), NULL, big_pool) == 0 &&
	      rte_eth_dev_start(d) == 0 && wait_link(h, d, 1, 2000),
	      "zero-copy requeue: RX queue set up again with mbufs held");
	/* The rest of the ring flows around the held slots (cons stays below
	 * the oldest of them: 1014 more frames at most). */
	for (i = 0; i < 1000; i += 250) {
		unsigned int k = recv_frames(d, held + 10, (send_frames(h, 250, 1500, 100 + i), 250), 1500,
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
	send_frames(h, 100, 1500, 8000);
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
			unsigned int k = recv_frames(d, held, (send_frames(h, BURST, len, i), BURST), len, i);

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

/* Closing a port while the application still holds a zero-copy mbuf: the
 * slot and its state stay until the mbuf is freed; nothing crashes. */
static void
test_zerocopy_held_at_close(void)
{
	struct rte_mbuf *m;
	uint16_t h, d;

	CHECK(pair_up("zch", "size=16M", "zerocopy=rx", 1, 1, 1500, 1500, &h, &d) == 0,
	      "zero-copy close pair");
	send_frames(h, 1, 1000, 1);
	CHECK(recv_frames(d, &m, 1, 1000, 1) == 1 && RTE_MBUF_HAS_EXTBUF(m), "a lent frame to hold");
	pair_down("zch", h, d);
	CHECK(check_frame(m, 1000, 1, 0), "the held frame after close");
	rte_pktmbuf_free(m);
}

static const struct unit_test_case zerocopy_cases[] = {
	TEST_CASE(test_zerocopy),
	TEST_CASE(test_zerocopy_requeue),
	TEST_CASE(test_zerocopy_app_writes),
	TEST_CASE(test_zerocopy_pinned_pool),
	/* The port's window and zero-copy state stay (by design) once a
	 * zero-copy mbuf outlived the port. */
	TEST_CASE_KEEPS_HEAP(test_zerocopy_held_at_close),
	TEST_CASES_END()
};

const struct unit_test_suite zerocopy_suite = {
	.name = "zerocopy",
	.cases = zerocopy_cases,
};
