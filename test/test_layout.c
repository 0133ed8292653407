/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_layout.c - unit tests without EAL: the window layout arithmetic,
 * size parsing, the superblock check against hostile values, and the
 * sender's copy into the window (cached and non-temporal stores).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "cxlmem.h"
#include "cxlmem_copy.h"
#include "cxlmem_layout.h"

#include "check.h"

static void
test_geometry(void)
{
	static const uint32_t rings[] = {64, 256, 1024, 32768};
	static const uint32_t bufs[] = {256, 2048, 2112, 9216, 65536};
	unsigned int i, j;

	for (i = 0; i < 4; i++) {
		for (j = 0; j < 5; j++) {
			uint32_t r = rings[i], b = bufs[j];
			struct cxlmem_geometry g = {0}, g3 = {0};

			CHECK(cxlmem_geometry(1, r, b, &g) == 0, "geometry r=%u b=%u", r, b);
			CHECK(g.buf_offset % CXLMEM_LINE == 0, "buffers not line aligned r=%u", r);
			CHECK(g.buf_offset >= CXLMEM_DESC_OFFSET + r * sizeof(struct cxlmem_desc),
			      "buffers overlap descriptors r=%u", r);
			CHECK(g.ring_stride % 4096 == 0, "stride not page aligned");
			CHECK(g.ring_stride >= g.buf_offset + (uint64_t)r * b,
			      "stride too small r=%u b=%u", r, b);
			CHECK(cxlmem_ring_offset(&g, 1, CXLMEM_DIR_H2D) ==
			      cxlmem_ring_offset(&g, 0, CXLMEM_DIR_D2H) + g.ring_stride,
			      "rings not adjacent");
			CHECK(cxlmem_geometry(3, r, b, &g3) == 0 &&
			      g3.window_bytes == cxlmem_ring_offset(&g3, 2, CXLMEM_DIR_D2H) + g3.ring_stride,
			      "window bytes");
		}
	}
	/* The default geometry: 1 queue pair, 1024 x 2 KiB. */
	{
		struct cxlmem_geometry g;

		CHECK(cxlmem_geometry(1, 1024, 2048, &g) == 0 && g.window_bytes == 4096 + 2 * 2109440ull,
		      "default window %" PRIu64, g.window_bytes);
	}
	CHECK(CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_HOST) == 64 && CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE) == 128,
	      "control lines");
}

/*
 * Geometries whose sizes do not fit 64 bits are refused, never wrapped
 * (issue 10, item 1): the old helpers computed 4 * (2^62 + 4096) for
 * queues=2, rsize=2^31, bsize=2^31-8 and got 16 KiB, so a superblock
 * flipped to those values after its check passed the size check and put
 * rings 2^62 bytes outside the mapping.
 */
static void
test_geometry_overflow(void)
{
	static const struct { uint32_t q, r, b; int ok; } cases[] = {
		{ 2, 1u << 31, (1u << 31) - 8, 0 },         /* 4 * stride wraps to 16 KiB */
		{ UINT32_MAX, UINT32_MAX, UINT32_MAX, 0 },  /* r * b near 2^64 */
		{ 1, 1u << 31, UINT32_MAX, 0 },             /* stride ~2^63: 2 * stride wraps */
		{ 64, 1u << 31, 1u << 31, 0 },              /* stride 2^62: 128 * 2^62 wraps */
		{ 1, 1u << 30, 1u << 31, 1 },               /* 2^61 + ...: fits */
		{ UINT32_MAX, 64, 256, 1 },                 /* many queues, small rings: fits */
		{ 1, UINT32_MAX, UINT32_MAX, 0 },           /* stride ~2^64: 2 * stride wraps */
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		struct cxlmem_geometry g = {0};
		int ret = cxlmem_geometry(cases[i].q, cases[i].r, cases[i].b, &g);

		if (cases[i].ok) {
			CHECK(ret == 0, "q=%u r=%u b=%u refused", cases[i].q, cases[i].r, cases[i].b);
			/* No wrap: every component is below the total. */
			CHECK(ret != 0 || (g.window_bytes > g.ring_stride &&
					   g.ring_stride > (uint64_t)cases[i].r * cases[i].b),
			      "q=%u r=%u b=%u wrapped", cases[i].q, cases[i].r, cases[i].b);
		} else {
			CHECK(ret == -EOVERFLOW, "q=%u r=%u b=%u: %d, expected -EOVERFLOW "
			      "(window_bytes %" PRIu64 ")", cases[i].q, cases[i].r, cases[i].b, ret,
			      g.window_bytes);
		}
	}
}

static void
test_parse_size(void)
{
	static const struct { const char *s; int ok; uint64_t v; } cases[] = {
		{"0", 1, 0}, {"4096", 1, 4096}, {"0x1000", 1, 4096}, {"4K", 1, 4096},
		{"4k", 1, 4096}, {"16M", 1, 16u << 20}, {"2G", 1, 2ull << 30},
		{"", 0, 0}, {"-1", 0, 0}, {"12x", 0, 0}, {"4KB", 0, 0}, {"M", 0, 0},
		{"18446744073709551615", 1, UINT64_MAX}, {"18446744073709551616", 0, 0},
		{"17179869184G", 0, 0},
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		int ret = cxlmem_parse_size(cases[i].s, &v);

		CHECK((ret == 0) == cases[i].ok, "'%s' -> %d", cases[i].s, ret);
		if (cases[i].ok)
			CHECK(v == cases[i].v, "'%s' -> %" PRIu64, cases[i].s, v);
	}
}

static void
good_sb(struct cxlmem_superblock *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->magic = CXLMEM_MAGIC;
	sb->version = CXLMEM_LAYOUT_VERSION;
	sb->line_size = CXLMEM_LINE;
	sb->window_size = 1 << 24;
	sb->nb_queues = 2;
	sb->ring_size = 256;
	sb->buf_size = 2048;
	sb->desc_size = sizeof(struct cxlmem_desc);
	sb->queue_offset = CXLMEM_QUEUE_AREA_OFFSET;
	{
		struct cxlmem_geometry g;

		cxlmem_geometry(2, 256, 2048, &g);
		sb->ring_stride = g.ring_stride;
	}
}

static void
test_sb_check(void)
{
	struct cxlmem_superblock sb;
	struct cxlmem_geometry g;

	good_sb(&sb);
	CHECK(cxlmem_sb_check(&sb, 1 << 24, &g) == 0 && g.nb_queues == 2 && g.ring_size == 256 &&
	      g.buf_size == 2048, "good superblock refused");
	good_sb(&sb);
	sb.version = CXLMEM_LAYOUT_VERSION + 1;
	CHECK(cxlmem_sb_check(&sb, 1 << 24, &g) == -EPROTO, "other version");
#define BAD(field, value, win) do {                                              \
		good_sb(&sb);                                                    \
		sb.field = value;                                                \
		CHECK(cxlmem_sb_check(&sb, win, &g) == -EINVAL,                  \
		      #field " = " #value " accepted");                          \
	} while (0)
	BAD(line_size, 128, 1 << 24);
	BAD(desc_size, 16, 1 << 24);
	BAD(nb_queues, 0, 1 << 24);
	BAD(nb_queues, 65, 1ull << 40);
	BAD(nb_queues, UINT32_MAX, 1ull << 40);
	BAD(ring_size, 100, 1 << 24);
	BAD(ring_size, 1u << 31, 1ull << 50);
	BAD(ring_size, 32, 1 << 24);
	BAD(buf_size, 100, 1 << 24);
	BAD(buf_size, 0, 1 << 24);
	BAD(buf_size, 1u << 20, 1ull << 40);
	BAD(queue_offset, 0, 1 << 24);
	BAD(ring_stride, 4096, 1 << 24);
	BAD(nb_queues, 2, 1 << 20);     /* window smaller than the geometry */
	BAD(ring_stride, UINT64_MAX, UINT64_MAX);
#undef BAD
}

/*
 * Item 1 of issue 10: the superblock is read once. A thread flips the
 * live superblock between a valid geometry and one whose sizes wrap at 64
 * bits (queues=2, rsize=2^31, bsize=2^31-8: the old 64-bit window size was
 * 20 KiB) while cxlmem_sb_check() runs on it 10^7 times: every accepted
 * call must return the valid geometry. The old check validated the fields
 * in the window, then read them again to return them (about 4 bad results
 * in 2000 on this machine).
 */
static struct cxlmem_superblock flip_sb;
static volatile int flip_stop, flip_started;

static void *
flipper(void *arg)
{
	unsigned long k = 0;

	(void)arg;
	flip_started = 1;
	while (!flip_stop) {
		__atomic_store_n(&flip_sb.ring_size, (k & 1) ? 1u << 31 : 256, __ATOMIC_RELAXED);
		__atomic_store_n(&flip_sb.buf_size, (k & 1) ? (1u << 31) - 8 : 2048,
				 __ATOMIC_RELAXED);
		k++;
	}
	return NULL;
}

static void
test_sb_flip(void)
{
	unsigned long i, ok = 0, bad = 0;
	pthread_t t;

	good_sb(&flip_sb);
	rte_log_set_global_level(RTE_LOG_EMERG); /* a refusal per call otherwise */
	pthread_create(&t, NULL, flipper, NULL);
	while (!flip_started)
		;
	for (i = 0; i < 10000000; i++) {
		struct cxlmem_geometry g;

		if (cxlmem_sb_check(&flip_sb, 1 << 24, &g) != 0)
			continue;
		ok++;
		if (g.ring_size != 256 || g.buf_size != 2048 || g.window_bytes > (1 << 24))
			bad++;
	}
	flip_stop = 1;
	pthread_join(t, NULL);
	rte_log_set_global_level(RTE_LOG_DEBUG);
	printf("superblock flip: %lu checks passed, %lu returned unchecked values\n", ok, bad);
	CHECK(bad == 0, "%lu of %lu accepted checks returned a geometry that was not checked", bad,
	      ok);
}

/*
 * cxlmem_copy_to_window(), both ways (nt_min 0: every copy non-temporal;
 * CXLMEM_NT_OFF: none), at every source alignment within 16 bytes, every
 * destination alignment within a line, and lengths around each boundary of
 * the non-temporal loop (head, whole lines, tail): the bytes arrive, and
 * nothing before or after the destination is written.
 */
static void
test_copy_to_window(void)
{
	static const uint32_t lens[] = {0, 1, 15, 16, 17, 31, 48, 63, 64, 65, 79, 80, 127, 128,
					129, 200, 1514, 2048, 9000};
	enum { GUARD = 64, MAXLEN = 9000 };
	static uint8_t src[MAXLEN + 16], dst[GUARD + MAXLEN + 64 + GUARD];
	unsigned int nt, so, d_o, l, i, bad = 0;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	for (nt = 0; nt < 2; nt++) {
		for (so = 0; so < 16; so++) {
			for (d_o = 0; d_o < 64; d_o++) {
				for (l = 0; l < RTE_DIM(lens); l++) {
					uint8_t *d = dst + GUARD + d_o;

					memset(dst, 0xee, sizeof(dst));
					cxlmem_copy_to_window(d, src + so, lens[l], nt ? 0 : CXLMEM_NT_OFF);
					if (memcmp(d, src + so, lens[l]) != 0)
						bad++;
					for (i = 0; i < GUARD + d_o; i++)
						bad += dst[i] != 0xee;
					for (i = GUARD + d_o + lens[l]; i < sizeof(dst); i++)
						bad += dst[i] != 0xee;
				}
			}
		}
		CHECK(bad == 0, "copy into the window (%s stores): %u wrong bytes or copies",
		      nt ? "non-temporal" : "cached", bad);
		bad = 0;
	}
	/* Which copies are non-temporal (docs/cxlmem.md, "Non-temporal
	 * stores"): from 256 B in coherence=hw, from 512 B in coherence=flush
	 * (smaller ones measured faster cached and written back), none off. */
	CHECK(cxlmem_nt_min(true, false) == 256, "hw: %u", cxlmem_nt_min(true, false));
	CHECK(cxlmem_nt_min(true, true) == 512, "flush: %u", cxlmem_nt_min(true, true));
	CHECK(cxlmem_nt_min(false, false) == CXLMEM_NT_OFF, "off, hw");
	CHECK(cxlmem_nt_min(false, true) == CXLMEM_NT_OFF, "off, flush");
}

int
main(void)
{
	test_geometry();
	test_geometry_overflow();
	test_parse_size();
	test_sb_check();
	test_sb_flip();
	test_copy_to_window();
	return check_summary();
}
