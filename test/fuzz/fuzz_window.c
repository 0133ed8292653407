/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_window.c - libFuzzer harness: arbitrary window contents against the
 * parts of net_cxlmem that read what the peer wrote.
 *
 * The first input byte picks a target (byte % 4):
 *   0  superblock: cxlmem_sb_check() on 64 fuzzed bytes and a fuzzed window
 *      size; an accepted superblock must describe rings that fit the window.
 *   1  RX burst: the real eth_cxlmem_rx / eth_cxlmem_rx_flush on a ring whose
 *      producer index, consumer index and descriptors (lengths, chain flags)
 *      come from the input. Indexes, descriptors and buffers are separate
 *      heap blocks of their exact size, so ASan sees a read one byte outside
 *      any of them. Every frame delivered is checked against a reference
 *      reading of the ring written from cxlmem_layout.h (lengths 1..buf_size,
 *      chains of at most CXLMEM_MAX_FRAME_LEN bytes ending before prod, bad
 *      runs dropped whole) byte for byte, and every mbuf chain is checked to
 *      stay inside its buffers. Layout v2: descriptors may ask for offload
 *      metadata (struct cxlmem_offload, sometimes from the input, mostly
 *      plausible), checked against the metadata rules written again from
 *      cxlmem_layout.h, with fuzzed receive offloads (checksum, LRO and its
 *      largest frame); and sometimes zerocopy=rx with a fuzzed limit of
 *      slots lent (eth_cxlmem_rx_zc / _zc_flush).
 *   2  TX burst: eth_cxlmem_tx / _flush against a fuzzed consumer index and
 *      fuzzed mbufs (lengths 0..10000, chained segments, lying pkt_len,
 *      TSO and checksum requests) and a fuzzed peer (the offloads it takes,
 *      its largest frame, this end's descriptor count): the sender must
 *      never write a slot the receiver has not released, never hold more
 *      than a ring, and free every mbuf. Sometimes the peer sleeps (Rx
 *      interrupt mode) with a fuzzed doorbell request beside cons: the
 *      sender only compares it, and rings once per odd request.
 *   3  attach: the input becomes a window file (superblock, both control
 *      lines, the device's receive ring); a role=device port is probed on
 *      it through rte_vdev_init, started (the link check runs once
 *      synchronously against the fuzzed host control line), then the rest
 *      of the input is written into its receive ring while it runs bursts:
 *      a hostile host that rewrites the window under a live port.
 *
 * Build and run: test/fuzz/build.sh, test/fuzz/run.sh (docs/reliability.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_EQUAL */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"
#include "cxlmem_ring.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(c, ...) do {                                             \
	if (!(c)) {                                                        \
		fprintf(stderr, "fuzz_window: invariant broken: %s: ", #c); \
		fprintf(stderr, __VA_ARGS__);                              \
		fprintf(stderr, "\n");                                     \
		abort();                                                   \
	}                                                                  \
} while (0)

/* RX mbuf pools of three data rooms: frames scatter over 36, 5 or 1 mbufs. */
static const uint16_t pool_room[3] = { 256, 2048, 10240 };
static const unsigned int pool_count[3] = { 12287, 2047, 511 };
static struct rte_mempool *rx_pool[3];
static struct rte_mempool *tx_pool;
static char win_path[128];
static int win_fd = -1;

/* A cursor over the input. Reads past the end return zeros. */
struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t
take8(struct cursor *c)
{
	uint8_t v = 0;

	if (c->n > 0) {
		v = *c->p++;
		c->n--;
	}
	return v;
}

static uint32_t
take32(struct cursor *c)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < 4; i++)
		v |= (uint32_t)take8(c) << (8 * i);
	return v;
}

static void
take_bytes(struct cursor *c, void *dst, size_t len)
{
	size_t k = len < c->n ? len : c->n;

	memcpy(dst, c->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	c->p += k;
	c->n -= k;
}

static void
remove_window(void)
{
	unlink(win_path);
}

/*
 * "--lcores=0@(CPUS)": lcore 0 on the CPUs this process may already use.
 * With "-l 0", EAL pins the fuzzing thread to CPU 0, and every worker of a
 * parallel run (-workers=N) then shares that one CPU while the others idle.
 * Returns -1 when the set does not fit buf.
 */
static int
lcores_arg(char *buf, size_t len, const cpu_set_t *set)
{
	size_t off = (size_t)snprintf(buf, len, "--lcores=0@(");
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE && off < len; cpu++)
		if (CPU_ISSET(cpu, set))
			off += (size_t)snprintf(buf + off, len - off, "%d,", cpu);
	if (off >= len || buf[off - 1] != ',')
		return -1;
	buf[off - 1] = ')';
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64], lcores[1024];
	char *eal[] = { (*argv)[0], (char *)"--no-huge", (char *)"-m", (char *)"512",
			(char *)"--no-pci", (char *)"--no-shconf", lcores,
			(char *)"--log-level=pmd.net.cxlmem:emerg", (char *)"--log-level=lib.eal:error",
			prefix, NULL };
	cpu_set_t inherited, after;
	unsigned int i;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlfz%d", (int)getpid());
	if (sched_getaffinity(0, sizeof(inherited), &inherited) != 0 ||
	    lcores_arg(lcores, sizeof(lcores), &inherited) != 0) {
		fprintf(stderr, "fuzz_window: cannot read this process's CPU set\n");
		exit(1);
	}
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_window: EAL init failed: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	/* the fuzzing thread keeps the CPUs it was started with (see lcores_arg) */
	if (sched_getaffinity(0, sizeof(after), &after) != 0 || !CPU_EQUAL(&after, &inherited)) {
		fprintf(stderr, "fuzz_window: EAL narrowed the fuzzing thread's CPU set\n");
		exit(1);
	}
	for (i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fz_rx%u", i);
		/* Enough for a ring full of the largest frames, scattered. */
		rx_pool[i] = rte_pktmbuf_pool_create(name, pool_count[i], 0, 0,
						     pool_room[i] + RTE_PKTMBUF_HEADROOM,
						     rte_socket_id());
		if (rx_pool[i] == NULL)
			goto nomem;
	}
	tx_pool = rte_pktmbuf_pool_create("fz_tx", 1023, 0, 0, 10240 + RTE_PKTMBUF_HEADROOM,
					  rte_socket_id());
	if (tx_pool == NULL)
		goto nomem;
	cxlmem_coherence_init();
	snprintf(win_path, sizeof(win_path), "/dev/shm/cxlmem-fuzz-%d", (int)getpid());
	atexit(remove_window);
	return 0;
nomem:
	fprintf(stderr, "fuzz_window: mempool: %s\n", rte_strerror(rte_errno));
	exit(1);
}

/* ---- target 0: superblock ------------------------------------------------ */

static void
fuzz_superblock(struct cursor *c)
{
	struct cxlmem_superblock sb;
	struct cxlmem_geometry g;
	uint64_t win;
	uint32_t q, r, b, i;

	take_bytes(c, &sb, sizeof(sb));
	take_bytes(c, &win, sizeof(win));
	if (cxlmem_sb_check(&sb, win, &g) != 0)
		return;
	q = g.nb_queues;
	r = g.ring_size;
	b = g.buf_size;
	FZ_ASSERT(q >= 1 && q <= CXLMEM_MAX_QUEUES, "q=%u", q);
	FZ_ASSERT(rte_is_power_of_2(r) && r >= CXLMEM_MIN_RING_SIZE && r <= CXLMEM_MAX_RING_SIZE,
		  "r=%u", r);
	FZ_ASSERT(b >= CXLMEM_MIN_BUF_SIZE && b <= CXLMEM_MAX_BUF_SIZE && b % CXLMEM_LINE == 0,
		  "b=%u", b);
	/* Every byte a port of this geometry touches lies inside the window. */
	FZ_ASSERT(g.window_bytes <= win, "geometry needs %lu, window %lu",
		  (unsigned long)g.window_bytes, (unsigned long)win);
	for (i = 0; i < q; i++) {
		uint64_t end = cxlmem_ring_offset(&g, i, CXLMEM_DIR_D2H) + g.buf_offset +
			       (uint64_t)r * b;

		FZ_ASSERT(end <= win, "queue %u ends at %lu, window %lu", i,
			  (unsigned long)end, (unsigned long)win);
	}
}

/* ---- targets 1 and 2: one ring ------------------------------------------ */

/* What a ring is built from: exact-size heap blocks. The burst functions
 * find a queue's ring through rte_eth_devices[port].process_private (each
 * process's own addresses): the harness registers its own under a port id
 * no real port uses. */
#define FZ_PORT (RTE_MAX_ETHPORTS - 1)
static struct pmd_process_private fz_pp;

struct ring {
	struct cxlmem_queue q;
	uint32_t *prod;
	uint32_t *cons;
	uint32_t *intr_arm;
	uint32_t *polls;
	struct cxlmem_desc *desc;
	uint8_t *bufs;
};

static const uint32_t ring_sizes[4] = { 64, 128, 256, 64 };
static const uint32_t buf_sizes[4] = { 256, 320, 2048, 9216 };

/*
 * A block of rsize x bsize bytes for one use (buffers, or their shadow
 * copy): one exact-size heap block per geometry and use (ASan still sees a
 * read past its end), kept across inputs: a fresh block of megabytes per
 * input spent most of the run in page faults.
 */
enum block_use { BLOCK_BUFS, BLOCK_SHADOW };

static uint8_t *
block_for(enum block_use use, uint32_t rsize, uint32_t bsize)
{
	static struct { enum block_use use; uint32_t r, b; uint8_t *p; } cache[32];
	unsigned int i;

	for (i = 0; i < RTE_DIM(cache) && cache[i].p != NULL; i++)
		if (cache[i].use == use && cache[i].r == rsize && cache[i].b == bsize)
			return cache[i].p;
	if (i == RTE_DIM(cache))
		abort();
	cache[i].use = use;
	cache[i].r = rsize;
	cache[i].b = bsize;
	cache[i].p = calloc(rsize, bsize);
	if (cache[i].p == NULL)
		abort();
	return cache[i].p;
}

static void
ring_make(struct ring *r, uint32_t rsize, uint32_t bsize)
{
	struct cxlmem_ring *fr = &fz_pp.rings[0][0];

	memset(&r->q, 0, sizeof(r->q));
	r->prod = malloc(sizeof(uint32_t));
	r->cons = malloc(sizeof(uint32_t));
	r->intr_arm = calloc(1, sizeof(uint32_t));
	r->polls = calloc(1, sizeof(uint32_t));
	r->desc = calloc(rsize, sizeof(struct cxlmem_desc));
	r->bufs = block_for(BLOCK_BUFS, rsize, bsize);
	if (r->prod == NULL || r->cons == NULL || r->intr_arm == NULL || r->polls == NULL ||
	    r->desc == NULL || r->bufs == NULL)
		abort();
	fr->prod = r->prod;
	fr->cons = r->cons;
	fr->intr_arm = r->intr_arm;
	fr->polls = r->polls;
	/* No doorbell socket: the harness rings nobody (tx_fd -1). */
	cxlmem_doorbell_init(&fz_pp);
	fr->desc = r->desc;
	fr->bufs = r->bufs;
	rte_eth_devices[FZ_PORT].process_private = &fz_pp;
	r->q.port_id = FZ_PORT;
	r->q.queue_id = 0;
	r->q.dir = 0;
	r->q.ring_size = rsize;
	r->q.mask = rsize - 1;
	r->q.buf_size = bsize;
	r->q.limit = rsize;
	r->q.max_frame = CXLMEM_MAX_FRAME_LEN;
	r->q.enabled = true;
	r->q.peer_polls = true;
}

static void
ring_free(struct ring *r)
{
	free(r->prod);
	free(r->cons);
	free(r->intr_arm);
	free(r->polls);
	free(r->desc);
}

/* Byte o of slot s's buffer: a pattern the reference reading can predict. */
static inline uint8_t
pat(uint32_t s, uint32_t o)
{
	return (uint8_t)(s * 131u + o * 7u + (o >> 8));
}

/* One frame as the reference reading of the ring expects it. */
struct ref_frame {
	uint32_t first_slot;
	uint32_t nslots;
	uint32_t len;                 /* frame bytes, metadata excluded */
	bool meta;                    /* the first slot starts with metadata */
	struct cxlmem_offload ofl;    /* that metadata */
};

/* What a ring's receiver was configured with (the queue's fields). */
struct ref_conf {
	uint32_t rsize, bsize, room, max_frame, max_gso, offloads;
	uint16_t tag;
	bool zc;        /* zerocopy=rx: a bad producer index does not move cons */
};

/* The metadata rules of cxlmem_layout.h, written again from the layout's
 * words (not from the driver's code). */
static bool
ref_meta_ok(const struct cxlmem_offload *o, uint32_t len)
{
	unsigned int i;

	if (o->flags & ~(CXLMEM_OFL_F_NEEDS_CSUM | CXLMEM_OFL_F_DATA_VALID))
		return false;
	for (i = 0; i < sizeof(o->reserved); i++)
		if (o->reserved[i] != 0)
			return false; /* room for a later layout: refused */
	if ((o->flags & CXLMEM_OFL_F_NEEDS_CSUM) &&
	    (uint32_t)o->csum_start + o->csum_offset + 2 > len)
		return false;
	if (o->gso_type == CXLMEM_GSO_NONE)
		return true;
	if (o->gso_type != CXLMEM_GSO_TCPV4 && o->gso_type != CXLMEM_GSO_TCPV6)
		return false;
	return o->hdr_len >= 1 && o->hdr_len <= len && o->gso_size >= 1 &&
	       o->gso_size <= CXLMEM_MAX_FRAME_LEN;
}

/*
 * The receiver's rules, read from cxlmem_layout.h, applied to a copy of
 * the ring (descriptors desc, buffers bufs): returns frames expected from
 * one burst of nb, sets *new_cons and the counters' increments.
 */
struct ref_counts {
	uint64_t errors, stale, bad_index, too_long, bad_offload;
};

static unsigned int
ref_rx(const struct cxlmem_desc *desc, const uint8_t *bufs, const struct ref_conf *cf,
       uint32_t cons, uint32_t prod, unsigned int nb, struct ref_frame *out,
       uint32_t *new_cons, struct ref_counts *rc)
{
	const uint32_t meta = sizeof(struct cxlmem_offload);
	const uint32_t max_chain = (CXLMEM_MAX_GSO_FRAME_LEN + meta + CXLMEM_MIN_BUF_SIZE - 1) /
				   CXLMEM_MIN_BUF_SIZE;
	uint32_t avail = prod - cons;
	unsigned int nf = 0;

	memset(rc, 0, sizeof(*rc));
	if (avail > cf->rsize) {
		rc->bad_index = 1;
		*new_cons = cf->zc ? cons : prod;
		return 0;
	}
	while (nf < nb && avail != 0) {
		uint32_t n = 0, total = 0;
		int ok = 0, old = 0;
		bool has_meta = false, gso;
		struct cxlmem_offload o;

		while (n < avail && n < max_chain) {
			const struct cxlmem_desc *d = &desc[(cons + n) & (cf->rsize - 1)];

			n++;
			/* Tagged for another epoch of the receiver: dropped. */
			if (d->epoch_tag != cf->tag) {
				old = 1;
				break;
			}
			if (d->len == 0 || d->len > cf->bsize ||
			    (d->flags & ~(CXLMEM_DESC_F_MORE | CXLMEM_DESC_F_META)))
				break;
			if (d->flags & CXLMEM_DESC_F_META) {
				if (n != 1 || d->len <= meta)
					break;
				has_meta = true;
			}
			total += d->len;
			if (total > CXLMEM_MAX_GSO_FRAME_LEN + meta)
				break;
			if (!(d->flags & CXLMEM_DESC_F_MORE)) {
				ok = 1;
				break;
			}
		}
		memset(&o, 0, sizeof(o));
		if (ok && has_meta) {
			memcpy(&o, bufs + (size_t)(cons & (cf->rsize - 1)) * cf->bsize, meta);
			total -= meta;
			if (!ref_meta_ok(&o, total)) {
				rc->bad_offload++;
				cons += n;
				avail -= n;
				continue;
			}
		}
		gso = o.gso_type != CXLMEM_GSO_NONE;
		if (ok && gso && cf->max_gso == 0) {
			rc->bad_offload++; /* GSO the receiver did not take */
			cons += n;
			avail -= n;
			continue;
		}
		if (ok && total > (gso ? cf->max_gso : cf->max_frame)) {
			/* Well formed but above the receiver's limit: dropped whole. */
			rc->too_long++;
			cons += n;
			avail -= n;
			continue;
		}
		if (ok && (total + cf->room - 1) / cf->room > 512)
			ok = 0;
		if (ok) {
			out[nf].first_slot = cons;
			out[nf].nslots = n;
			out[nf].len = total;
			out[nf].meta = has_meta;
			out[nf].ofl = o;
			nf++;
		} else if (old) {
			rc->stale++;
		} else {
			rc->errors++;
		}
		cons += n;
		avail -= n;
	}
	*new_cons = cons;
	return nf;
}

static void
check_mbuf_chain(const struct rte_mbuf *m)
{
	const struct rte_mbuf *s;
	uint32_t sum = 0, segs = 0;

	FZ_ASSERT(m->pkt_len >= 1 && m->pkt_len <= CXLMEM_MAX_GSO_FRAME_LEN, "pkt_len %u",
		  m->pkt_len);
	for (s = m; s != NULL; s = s->next) {
		FZ_ASSERT((uint32_t)s->data_off + s->data_len <= s->buf_len,
			  "segment %u: data_off %u + data_len %u > buf_len %u", segs, s->data_off,
			  s->data_len, s->buf_len);
		sum += s->data_len;
		segs++;
		FZ_ASSERT(segs <= 512, "more than 512 segments");
	}
	FZ_ASSERT(sum == m->pkt_len && segs == m->nb_segs, "sum %u pkt_len %u segs %u nb_segs %u",
		  sum, m->pkt_len, segs, m->nb_segs);
}

/* The bytes frame f should arrive with: the slots' bytes after any
 * metadata; a partial checksum completed when the receiver completes it
 * (not taken as LRO, no L4 checksum reporting). Returns the length. */
static uint32_t
ref_bytes(const struct ref_frame *f, const struct cxlmem_desc *desc, const uint8_t *bufs,
	  const struct ref_conf *cf, uint8_t *out)
{
	uint32_t k, o = 0;

	for (k = 0; k < f->nslots; k++) {
		const uint32_t slot = (f->first_slot + k) & (cf->rsize - 1);
		const uint32_t from = k == 0 && f->meta ? sizeof(struct cxlmem_offload) : 0;

		memcpy(out + o, bufs + (size_t)slot * cf->bsize + from, desc[slot].len - from);
		o += desc[slot].len - from;
	}
	if ((f->ofl.flags & CXLMEM_OFL_F_NEEDS_CSUM) && f->ofl.gso_type == CXLMEM_GSO_NONE &&
	    !(cf->offloads & CXLMEM_QRX_L4_CKSUM)) {
		uint16_t c = (uint16_t)~rte_raw_cksum(out + f->ofl.csum_start, o - f->ofl.csum_start);

		if (c == 0 && f->ofl.csum_offset == 6)
			c = 0xffff;
		memcpy(out + f->ofl.csum_start + f->ofl.csum_offset, &c, 2);
	}
	return o;
}

/* Largest frame a receiver delivers, rounded up. */
#define WANT_MAX (CXLMEM_MAX_GSO_FRAME_LEN + 64)

static void
fuzz_rx(struct cursor *c)
{
	const uint8_t cfg = take8(c);
	const bool flush = cfg & 1;
	const uint32_t rsize = ring_sizes[(cfg >> 1) & 3];
	const uint32_t bsize = buf_sizes[(cfg >> 3) & 3];
	const unsigned int pidx = ((cfg >> 5) & 3) % 3;
	static uint8_t have[WANT_MAX], want_all[64 * WANT_MAX];
	uint32_t want_len[64], held_slot[8];
	struct rte_mbuf *held[8];
	unsigned int nheld = 0;
	struct ref_frame ref[64];
	struct rte_mbuf *got[64];
	struct cxlmem_desc *snap;
	struct ref_conf cf;
	struct ring r;
	uint32_t cons, prod, i, s, fill;
	unsigned int nb, round;
	uint8_t ocfg;

	ring_make(&r, rsize, bsize);
	r.q.mp = rx_pool[pidx];
	r.q.mbuf_room = pool_room[pidx];
	r.q.mbuf_rearm = cxlmem_mbuf_rearm(r.q.port_id);
	/* The configured MTU's frame limit: mostly the largest, sometimes
	 * the default MTU's, sometimes anything from 1 up. */
	switch (take8(c) & 3) {
	case 0:
		r.q.max_frame = 1 + take32(c) % CXLMEM_MAX_FRAME_LEN;
		break;
	case 1:
		r.q.max_frame = 1522;
		break;
	default:
		r.q.max_frame = CXLMEM_MAX_FRAME_LEN;
		break;
	}
	/* What the application enabled: checksum reporting, LRO and its
	 * largest frame. */
	ocfg = take8(c);
	r.q.offloads = ocfg & (CXLMEM_QRX_L4_CKSUM | CXLMEM_QRX_IP_CKSUM | CXLMEM_QRX_LRO);
	r.q.max_gso = (r.q.offloads & CXLMEM_QRX_LRO) ?
		      (ocfg & 0x80 ? 1 + take32(c) % CXLMEM_MAX_GSO_FRAME_LEN :
		       CXLMEM_MAX_GSO_FRAME_LEN) : 0;
	cons = take32(c);
	/* Mostly a producer close to cons, sometimes anything. */
	prod = take8(c) & 0x80 ? take32(c) : cons + (take32(c) & (2 * rsize - 1));
	nb = 1 + take8(c) % 64;
	*r.prod = prod;
	*r.cons = cons;
	r.q.head = cons;
	/* zerocopy=rx, with a fuzzed limit of slots lent. */
	if (ocfg & 0x40) {
		r.q.zc = cxlmem_zc_create(&r.q, 1 + take8(c), flush, SOCKET_ID_ANY);
		if (r.q.zc == NULL)
			abort();
		r.q.zc->tail = cons;
	}
	/* Descriptors from the input, starting at the slot read first. */
	for (i = 0; i < rsize && c->n > 0; i++) {
		struct cxlmem_desc *d = &r.desc[(cons + i) & (rsize - 1)];

		take_bytes(c, d, sizeof(*d));
	}
	/* The slots a burst may read: a pattern, and where a descriptor asks
	 * for metadata, sometimes metadata from the input (else the pattern
	 * stands for it). */
	fill = prod - cons <= rsize ? prod - cons : 0;
	for (s = 0; s < fill; s++) {
		const uint32_t slot = (cons + s) & (rsize - 1);
		uint8_t *b = r.bufs + (size_t)slot * bsize;

		for (i = 0; i < bsize; i++)
			b[i] = pat(slot, i);
		if ((r.desc[slot].flags & CXLMEM_DESC_F_META) && c->n > 0 && (take8(c) & 1)) {
			struct cxlmem_offload o;

			take_bytes(c, &o, sizeof(o));
			/* Mostly plausible offsets for the frame at hand. */
			if (o.reserved[0] & 1) {
				o.csum_start %= 128;
				o.csum_offset = o.reserved[0] & 2 ? 16 : 6;
				o.hdr_len %= 128;
				o.gso_size = (uint16_t)(1 + o.gso_size % 9000);
			}
			memcpy(b, &o, sizeof(o));
		}
	}
	snap = malloc(rsize * sizeof(*snap));
	if (snap == NULL)
		abort();
	memcpy(snap, r.desc, rsize * sizeof(*snap));
	cf = (struct ref_conf){ .rsize = rsize, .bsize = bsize, .room = r.q.mbuf_room,
				.max_frame = r.q.max_frame, .max_gso = r.q.max_gso,
				.offloads = r.q.offloads, .tag = r.q.epoch_tag, .zc = r.q.zc != NULL };

	for (round = 0; round < 3; round++) {
		uint32_t want_cons, cons0 = *r.cons;
		struct ref_counts rc;
		const struct cxlmem_queue_stats st0 = r.q.st;
		unsigned int nf = ref_rx(snap, r.bufs, &cf, r.q.head, prod, nb, ref, &want_cons, &rc);
		uint16_t n;

		/* What each frame must hold, from the ring as it is now: with
		 * zero-copy the receiver may complete a checksum in the slot. */
		for (i = 0; i < nf; i++)
			want_len[i] = ref_bytes(&ref[i], snap, r.bufs, &cf, want_all + (size_t)i * WANT_MAX);
		n = flush ? (r.q.zc ? eth_cxlmem_rx_zc_flush(&r.q, got, (uint16_t)nb) :
			     eth_cxlmem_rx_flush(&r.q, got, (uint16_t)nb)) :
		    (r.q.zc ? eth_cxlmem_rx_zc(&r.q, got, (uint16_t)nb) :
			      eth_cxlmem_rx(&r.q, got, (uint16_t)nb));

		FZ_ASSERT(n == nf, "burst delivered %u frames, the ring holds %u", n, nf);
		FZ_ASSERT(r.q.head == want_cons, "read index %u, expected %u", r.q.head, want_cons);
		if (r.q.zc == NULL) {
			FZ_ASSERT(*r.cons == want_cons, "published cons %u, expected %u", *r.cons,
				  want_cons);
		} else {
			/* cons moves forward, never past the read index nor past
			 * a slot the application still holds. */
			FZ_ASSERT((uint32_t)(*r.cons - cons0) <= (uint32_t)(want_cons - cons0),
				  "published cons %u outside [%u, %u]", *r.cons, cons0, want_cons);
			FZ_ASSERT(nheld == 0 || (uint32_t)(held_slot[0] - *r.cons) <
				  (uint32_t)(want_cons - *r.cons) + 1,
				  "cons %u passed a held slot %u", *r.cons, held_slot[0]);
		}
		FZ_ASSERT(r.q.st.errors - st0.errors == rc.errors &&
			  r.q.st.bad_index - st0.bad_index == rc.bad_index &&
			  r.q.st.stale - st0.stale == rc.stale &&
			  r.q.st.too_long - st0.too_long == rc.too_long &&
			  r.q.st.bad_offload - st0.bad_offload == rc.bad_offload,
			  "errors +%lu bad_index +%lu stale +%lu too_long +%lu bad_offload +%lu, "
			  "expected +%lu +%lu +%lu +%lu +%lu",
			  (unsigned long)(r.q.st.errors - st0.errors),
			  (unsigned long)(r.q.st.bad_index - st0.bad_index),
			  (unsigned long)(r.q.st.stale - st0.stale),
			  (unsigned long)(r.q.st.too_long - st0.too_long),
			  (unsigned long)(r.q.st.bad_offload - st0.bad_offload),
			  (unsigned long)rc.errors, (unsigned long)rc.bad_index,
			  (unsigned long)rc.stale, (unsigned long)rc.too_long,
			  (unsigned long)rc.bad_offload);
		for (i = 0; i < n; i++) {
			const struct ref_frame *f = &ref[i];
			const bool gso = f->ofl.gso_type != CXLMEM_GSO_NONE;
			const uint8_t *p;

			check_mbuf_chain(got[i]);
			FZ_ASSERT(got[i]->pkt_len <= (gso ? r.q.max_gso : r.q.max_frame),
				  "frame %u of %u bytes above the limit", i, got[i]->pkt_len);
			FZ_ASSERT(got[i]->pkt_len == want_len[i], "frame %u: %u bytes, expected %u", i,
				  got[i]->pkt_len, want_len[i]);
			/* Byte for byte. */
			p = rte_pktmbuf_read(got[i], 0, want_len[i], have);
			FZ_ASSERT(p != NULL && memcmp(p, want_all + (size_t)i * WANT_MAX, want_len[i]) == 0,
				  "frame %u differs", i);
			/* The flags say what the metadata said, nothing more. */
			FZ_ASSERT(!!(got[i]->ol_flags & RTE_MBUF_F_RX_LRO) == gso,
				  "frame %u: RX_LRO %d, GSO %d", i,
				  !!(got[i]->ol_flags & RTE_MBUF_F_RX_LRO), gso);
			FZ_ASSERT(!gso || got[i]->tso_segsz == f->ofl.gso_size, "tso_segsz");
			FZ_ASSERT(r.q.zc != NULL || !RTE_MBUF_HAS_EXTBUF(got[i]),
				  "a slot lent without zerocopy=rx");
		}
		/* Free in an order of the input's; with zero-copy, hold some
		 * (their slots must stay ours). */
		for (i = 0; i < n; i++) {
			const uint32_t k = (i + take8(c)) % n;
			struct rte_mbuf *t = got[k];

			got[k] = got[i];
			got[i] = t;
		}
		for (i = 0; i < n; i++) {
			if (r.q.zc != NULL && RTE_MBUF_HAS_EXTBUF(got[i]) && nheld < RTE_DIM(held) &&
			    (take8(c) & 3) == 0) {
				/* Its first slot: where its data lies in the ring, as
				 * the latest index below head with that position. */
				const uint32_t pos = (uint32_t)((rte_pktmbuf_mtod(got[i], uint8_t *) -
								 r.bufs) / bsize);

				held_slot[nheld] = r.q.head - 1 - ((r.q.head - 1 - pos) & (rsize - 1));
				held[nheld++] = got[i];
				continue;
			}
			rte_pktmbuf_free(got[i]);
		}
		if (nheld > 1) {
			/* Oldest first: the smallest distance behind head. */
			for (i = 1; i < nheld; i++)
				if ((uint32_t)(r.q.head - held_slot[i]) > (uint32_t)(r.q.head - held_slot[0])) {
					uint32_t ts = held_slot[0];
					struct rte_mbuf *tm = held[0];

					held_slot[0] = held_slot[i];
					held[0] = held[i];
					held_slot[i] = ts;
					held[i] = tm;
				}
		}
		if (n == 0)
			break;
	}
	if (r.q.zc != NULL) {
		/* Everything back: the next burst gives every slot to the peer. */
		while (nheld > 0)
			rte_pktmbuf_free(held[--nheld]);
		*r.prod = r.q.head;
		flush ? eth_cxlmem_rx_zc_flush(&r.q, got, 1) : eth_cxlmem_rx_zc(&r.q, got, 1);
		FZ_ASSERT(r.q.zc->out == 0 && *r.cons == r.q.head,
			  "after every free: %u slots out, cons %u, head %u", r.q.zc->out, *r.cons,
			  r.q.head);
		rte_free(r.q.zc);
	}
	free(snap);
	ring_free(&r);
}

static struct rte_mbuf *
fuzz_mbuf(struct cursor *c)
{
	const uint8_t kind = take8(c);
	uint32_t len = take32(c) % 10001;
	uint32_t nsegs = 1 + (kind >> 4) % 8, left = len, k;
	struct rte_mbuf *head = NULL, *prev = NULL;

	for (k = 0; k < nsegs; k++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tx_pool);
		uint32_t n = k + 1 == nsegs ? left : left / 2;

		if (m == NULL)
			break;
		if (n > 10240)
			n = 10240;
		memset(rte_pktmbuf_mtod(m, uint8_t *), (int)(k + 1), n);
		m->data_len = (uint16_t)n;
		left -= n;
		if (head == NULL) {
			head = m;
			head->pkt_len = n;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		prev = m;
	}
	/* Sometimes a pkt_len that the segments do not back. */
	if (head != NULL && (kind & 1))
		head->pkt_len += kind >> 1;
	/* Sometimes offload requests, plausible or not. */
	if (head != NULL && (kind & 2)) {
		static const uint64_t ol[8] = {
			RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM,
			RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV6,
			RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4,
			RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV6,
			RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_IPV4,
			RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IPV4,
			RTE_MBUF_F_TX_SCTP_CKSUM | RTE_MBUF_F_TX_IPV4,
			RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6,
		};
		const uint8_t o = take8(c);

		head->ol_flags = ol[o & 7];
		head->l2_len = o & 8 ? take8(c) & 0x7f : RTE_ETHER_HDR_LEN;
		head->l3_len = o & 16 ? take8(c) : (head->ol_flags & RTE_MBUF_F_TX_IPV6 ? 40 : 20);
		head->l4_len = o & 32 ? take8(c) : 20;
		head->tso_segsz = o & 64 ? (uint16_t)take32(c) : 1 + take8(c) * 8;
	}
	return head;
}

static void
fuzz_tx(struct cursor *c)
{
	const uint8_t cfg = take8(c);
	const bool flush = cfg & 1;
	const uint32_t rsize = ring_sizes[(cfg >> 1) & 3];
	const uint32_t bsize = buf_sizes[(cfg >> 3) & 3];
	struct rte_mbuf *pkts[32];
	uint32_t want_len[32];
	bool want_ok[32];
	struct ring r;
	uint8_t *shadow;
	uint32_t head, peer, s, held, rel, arm_before, rung_before;
	unsigned int n, i, round, taken;
	bool any_offload;

	ring_make(&r, rsize, bsize);
	/* This end's descriptor count (slots it may hold) and the frame
	 * limit (ours and the peer's): mostly the whole ring and the largest
	 * frame, sometimes anything. */
	if (cfg & 0x20)
		r.q.limit = 1 + take8(c) % rsize;
	if (cfg & 0x40)
		r.q.max_frame = 1 + take32(c) % CXLMEM_MAX_FRAME_LEN;
	/* What the peer takes: offloads and its largest GSO frame. */
	if (cfg & 0x80) {
		r.q.offloads = take8(c) & CXLMEM_RXO_ALL;
		r.q.max_gso = r.q.offloads & (CXLMEM_RXO_TSO4 | CXLMEM_RXO_TSO6) ?
			      take32(c) % (CXLMEM_MAX_GSO_FRAME_LEN + 1) : 0;
	}
	head = take32(c);
	r.q.head = head;
	r.q.peer_cons = head - rsize;  /* as after queue setup: assume full */
	*r.prod = head;
	shadow = block_for(BLOCK_SHADOW, rsize, bsize);

	/* rel: the furthest the receiver has released (never moves back). */
	rel = head - rsize;
	for (round = 0; round < 3 && c->n > 0; round++) {
		/* The receiver's consumer index: honest (moves forward, never
		 * past head) or hostile (anything). */
		peer = take8(c) & 0x80 ? take32(c) : rel + take32(c) % (head - rel + 1);
		*r.cons = peer;
		/* A receiver in Rx interrupt mode (or one lying about it):
		 * the request word beside cons is the peer's to write. */
		r.q.peer_sleeps = take8(c) & 1;
		if (r.q.peer_sleeps)
			*r.intr_arm = take32(c);
		arm_before = *r.intr_arm;
		rung_before = r.q.rung;
		if ((uint32_t)(peer - rel) <= (uint32_t)(head - rel))
			rel = peer;
		held = head - rel;
		/* Slots [head - held, head) are not released: they must not change. */
		for (s = 0; s < held; s++) {
			const uint32_t slot = (head - held + s) & (rsize - 1);

			memcpy(shadow + (size_t)slot * bsize, r.bufs + (size_t)slot * bsize, bsize);
		}
		n = 1 + take8(c) % 32;
		any_offload = false;
		for (i = 0; i < n; i++) {
			pkts[i] = fuzz_mbuf(c);
			if (pkts[i] == NULL)
				break;
		}
		n = i;
		/* What the reference expects in the ring, in order: every
		 * well-formed frame within the limit, nothing else. */
		for (i = 0; i < n; i++) {
			const struct rte_mbuf *seg;
			uint32_t sum = 0, k = 0;

			for (seg = pkts[i]; seg != NULL && k < pkts[i]->nb_segs; seg = seg->next, k++)
				sum += seg->data_len;
			want_len[i] = pkts[i]->pkt_len;
			/* A frame of more slots than this end may hold is refused. */
			want_ok[i] = seg == NULL && k == pkts[i]->nb_segs && sum == want_len[i] &&
				     want_len[i] >= 1 && want_len[i] <= r.q.max_frame &&
				     (want_len[i] + bsize - 1) / bsize <= r.q.limit;
			/* A frame with offload requests may be refused, segmented
			 * or carry metadata: checked by its structure below. */
			if (pkts[i]->ol_flags & CXLMEM_TX_OFFLOAD_FLAGS)
				any_offload = true;
		}
		i = flush ? eth_cxlmem_tx_flush(&r.q, pkts, (uint16_t)n) :
			    eth_cxlmem_tx(&r.q, pkts, (uint16_t)n);
		FZ_ASSERT(i <= n, "tx returned %u of %u", i, n);
		/* The request is only compared: a burst that published rings
		 * for an odd request it has not rung for, and nothing else. */
		FZ_ASSERT(r.q.rung == rung_before ||
			  (r.q.peer_sleeps && (arm_before & 1) && r.q.rung == arm_before),
			  "rung %u, before %u, request %u", r.q.rung, rung_before, arm_before);
		FZ_ASSERT(*r.intr_arm == arm_before, "the sender wrote the receiver's request word");
		FZ_ASSERT(r.q.st.doorbells == 0, "a doorbell rung without a socket");
		taken = i;
		for (; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		FZ_ASSERT(*r.prod == r.q.head, "published prod %u, head %u", *r.prod, r.q.head);
		/* This end never holds more slots than its limit: a round writes
		 * at most that many (a hostile cons moving back may make the
		 * held count look larger afterwards; the overwrite check below
		 * is what guards the slots). */
		FZ_ASSERT((uint32_t)(r.q.head - head) <= r.q.limit,
			  "a round wrote %u slots, the limit is %u", r.q.head - head, r.q.limit);
		FZ_ASSERT((uint32_t)(r.q.head - r.q.peer_cons) <= rsize,
			  "head %u runs more than a ring ahead of cons %u", r.q.head, r.q.peer_cons);
		/* Walk the frames written: each is one a receiver takes (metadata
		 * it accepts, within the limits the peer published); without
		 * offload requests, each is the next well-formed mbuf. */
		{
			uint32_t at = head, f = 0;

			while (at != r.q.head) {
				uint32_t total = 0, nsl = 0;
				const struct cxlmem_desc *d = &r.desc[at & (rsize - 1)];
				const bool meta = d->flags & CXLMEM_DESC_F_META;

				do {
					d = &r.desc[(at + nsl) & (rsize - 1)];
					FZ_ASSERT(d->len >= 1 && d->len <= bsize, "slot length %u", d->len);
					FZ_ASSERT(nsl == 0 || !(d->flags & CXLMEM_DESC_F_META),
						  "metadata past a frame's first slot");
					total += d->len;
					nsl++;
				} while ((d->flags & CXLMEM_DESC_F_MORE) && at + nsl != r.q.head);
				FZ_ASSERT(!(d->flags & CXLMEM_DESC_F_MORE), "published a partial frame");
				if (meta) {
					struct cxlmem_offload o;

					memcpy(&o, r.bufs + (size_t)(at & (rsize - 1)) * bsize, sizeof(o));
					total -= sizeof(o);
					FZ_ASSERT(ref_meta_ok(&o, total), "metadata a receiver refuses");
					FZ_ASSERT(!(o.flags & CXLMEM_OFL_F_NEEDS_CSUM) ||
						  (r.q.offloads & CXLMEM_RXO_CSUM) ||
						  o.gso_type != CXLMEM_GSO_NONE,
						  "a partial checksum the peer does not take");
					if (o.gso_type != CXLMEM_GSO_NONE)
						FZ_ASSERT((r.q.offloads & (o.gso_type == CXLMEM_GSO_TCPV4 ?
							  CXLMEM_RXO_TSO4 : CXLMEM_RXO_TSO6)) &&
							  total <= r.q.max_gso,
							  "a GSO frame the peer does not take");
					else
						FZ_ASSERT(total <= r.q.max_frame, "frame above the limit");
				} else {
					FZ_ASSERT(total <= r.q.max_frame, "frame of %u above the limit %u",
						  total, r.q.max_frame);
				}
				if (!any_offload) {
					while (f < taken && !want_ok[f])
						f++;
					FZ_ASSERT(f < taken, "a frame in the ring that no valid mbuf holds");
					FZ_ASSERT(total == want_len[f], "frame of %u bytes, mbuf %u has %u",
						  total, f, want_len[f]);
					f++;
				}
				at += nsl;
			}
		}
		for (s = 0; s < held; s++) {
			const uint32_t slot = (head - held + s) & (rsize - 1);

			FZ_ASSERT(memcmp(shadow + (size_t)slot * bsize, r.bufs + (size_t)slot * bsize,
					 bsize) == 0, "unreleased slot %u overwritten", slot);
		}
		head = r.q.head;
	}
	FZ_ASSERT(rte_mempool_in_use_count(tx_pool) == 0, "%u tx mbufs leaked",
		  rte_mempool_in_use_count(tx_pool));
	ring_free(&r);
}

/* ---- target 3: attach a real port to a fuzzed window --------------------- */

#define FZ_RSIZE 64u
#define FZ_BSIZE 256u

static void
fuzz_attach(struct cursor *c)
{
	const uint8_t cfg = take8(c);
	struct cxlmem_geometry g;
	uint64_t full, ring;
	struct rte_eth_conf conf = { .rxmode = { .offloads = RTE_ETH_RX_OFFLOAD_SCATTER } };
	struct rte_mbuf *pkts[32];
	uint8_t head[3 * CXLMEM_LINE], ringhead[2 * CXLMEM_LINE];
	char args[256];
	uint8_t *map;
	uint64_t size;
	uint16_t port;
	unsigned int i, k;
	int ret;

	cxlmem_geometry(1, FZ_RSIZE, FZ_BSIZE, &g);
	full = g.window_bytes;
	ring = cxlmem_ring_offset(&g, 0, CXLMEM_DIR_H2D);
	take_bytes(c, head, sizeof(head));
	take_bytes(c, ringhead, sizeof(ringhead));
	/* The device's own control line says "offline" unless asked (rarely):
	 * otherwise probe waits link_timeout for a heartbeat that never comes. */
	if ((cfg & 0x0a) != 0x0a)
		((struct cxlmem_ctrl *)(head + CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE)))->state =
			CXLMEM_STATE_OFFLINE;
	/* Mostly the right size; sometimes truncated anywhere. */
	size = cfg & 4 ? (full * (uint64_t)take8(c)) / 255 : full;

	if (win_fd < 0) {
		win_fd = open(win_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (win_fd < 0)
			abort();
	}
	if (ftruncate(win_fd, 0) != 0 || ftruncate(win_fd, (off_t)size) != 0)
		abort();
	if (size > 0 && pwrite(win_fd, head, RTE_MIN(size, (uint64_t)sizeof(head)), 0) < 0)
		abort();
	if (size > ring && pwrite(win_fd, ringhead, RTE_MIN(size - ring, (uint64_t)sizeof(ringhead)),
				  (off_t)ring) < 0)
		abort();

	snprintf(args, sizeof(args), "role=device,path=%s,queues=1,rsize=%u,bsize=%u,"
		 "link_timeout=20%s", win_path, FZ_RSIZE, FZ_BSIZE,
		 cfg & 1 ? ",coherence=flush" : "");
	ret = rte_vdev_init("net_cxlmem_fz", args);
	if (ret != 0) {
		FZ_ASSERT(rte_eth_dev_get_port_by_name("net_cxlmem_fz", &port) != 0,
			  "failed probe left a port behind");
		return;
	}
	FZ_ASSERT(size >= full, "probe accepted a %lu-byte window, geometry needs %lu",
		  (unsigned long)size, (unsigned long)full);
	FZ_ASSERT(rte_eth_dev_get_port_by_name("net_cxlmem_fz", &port) == 0, "no port");
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 0, rte_socket_id(), NULL, rx_pool[cfg >> 7]) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 0, rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start(port) != 0)
		goto out;

	/* The hostile host: rewrite the ring under the running port. */
	map = mmap(NULL, full, PROT_READ | PROT_WRITE, MAP_SHARED, win_fd, 0);
	if (map == MAP_FAILED)
		abort();
	for (k = 0; k < 4 && c->n > 0; k++) {
		struct cxlmem_ring_prod *rp = (struct cxlmem_ring_prod *)(map + ring);
		struct cxlmem_ring_cons *rc = (struct cxlmem_ring_cons *)(map + ring + CXLMEM_LINE);
		struct cxlmem_desc *d = (struct cxlmem_desc *)(map + ring + CXLMEM_DESC_OFFSET);
		const uint32_t cons = __atomic_load_n(&rc->cons, __ATOMIC_ACQUIRE);
		const uint8_t nd = take8(c) % 65;
		uint16_t n;

		for (i = 0; i < nd; i++)
			take_bytes(c, &d[(cons + i) & (FZ_RSIZE - 1)], sizeof(*d));
		__atomic_store_n(&rp->prod, take8(c) & 0x80 ? take32(c) : cons + nd,
				 __ATOMIC_RELEASE);
		n = rte_eth_rx_burst(port, 0, pkts, 32);
		for (i = 0; i < n; i++) {
			check_mbuf_chain(pkts[i]);
			rte_pktmbuf_free(pkts[i]);
		}
		/* And send a few frames into the other ring. */
		n = 1 + take8(c) % 8;
		for (i = 0; i < n; i++) {
			pkts[i] = rte_pktmbuf_alloc(tx_pool);
			if (pkts[i] == NULL)
				break;
			rte_pktmbuf_append(pkts[i], (uint16_t)(60 + 100 * i));
		}
		n = (uint16_t)i;
		i = rte_eth_tx_burst(port, 0, pkts, n);
		for (; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
	}
	munmap(map, full);
	rte_eth_dev_stop(port);
out:
	rte_eth_dev_close(port);
	FZ_ASSERT(rte_vdev_uninit("net_cxlmem_fz") == 0, "remove failed");
	for (i = 0; i < 3; i++)
		FZ_ASSERT(rte_mempool_in_use_count(rx_pool[i]) == 0, "rx mbufs leaked");
	FZ_ASSERT(rte_mempool_in_use_count(tx_pool) == 0, "tx mbufs leaked");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };

	switch (take8(&c) % 4) {
	case 0:
		fuzz_superblock(&c);
		break;
	case 1:
		fuzz_rx(&c);
		break;
	case 2:
		fuzz_tx(&c);
		break;
	default:
		fuzz_attach(&c);
		break;
	}
	return 0;
}
