/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_layout.c - unit tests without EAL: the window layout arithmetic,
 * size parsing, and the superblock check against hostile values.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cxlmem.h"
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
			uint64_t bo = cxlmem_buf_offset(r), st = cxlmem_ring_stride(r, b);

			CHECK(bo % CXLMEM_LINE == 0, "buffers not line aligned r=%u", r);
			CHECK(bo >= CXLMEM_DESC_OFFSET + r * sizeof(struct cxlmem_desc),
			      "buffers overlap descriptors r=%u", r);
			CHECK(st % 4096 == 0, "stride not page aligned");
			CHECK(st >= bo + (uint64_t)r * b, "stride too small r=%u b=%u", r, b);
			CHECK(cxlmem_ring_offset(1, CXLMEM_DIR_H2D, r, b) ==
			      cxlmem_ring_offset(0, CXLMEM_DIR_D2H, r, b) + st, "rings not adjacent");
			CHECK(cxlmem_window_bytes(3, r, b) ==
			      cxlmem_ring_offset(2, CXLMEM_DIR_D2H, r, b) + st, "window bytes");
		}
	}
	/* The default geometry: 1 queue pair, 1024 x 2 KiB. */
	CHECK(cxlmem_window_bytes(1, 1024, 2048) == 4096 + 2 * 2109440ull,
	      "default window %" PRIu64, cxlmem_window_bytes(1, 1024, 2048));
	CHECK(CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_HOST) == 64 && CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE) == 128,
	      "control lines");
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
	sb->ring_stride = cxlmem_ring_stride(256, 2048);
}

static void
test_sb_check(void)
{
	struct cxlmem_superblock sb;
	uint32_t q, r, b;

	good_sb(&sb);
	CHECK(cxlmem_sb_check(&sb, 1 << 24, &q, &r, &b) == 0 && q == 2 && r == 256 && b == 2048,
	      "good superblock refused");
	good_sb(&sb);
	sb.version = 2;
	CHECK(cxlmem_sb_check(&sb, 1 << 24, &q, &r, &b) == -EPROTO, "other version");
#define BAD(field, value, win) do {                                              \
		good_sb(&sb);                                                    \
		sb.field = value;                                                \
		CHECK(cxlmem_sb_check(&sb, win, &q, &r, &b) == -EINVAL,          \
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
#undef BAD
}

int
main(void)
{
	test_geometry();
	test_parse_size();
	test_sb_check();
	return check_summary();
}
