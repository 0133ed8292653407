/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_stale.c - the stale-read injector (see cxlmem_stale.h for the
 * model). Linked into test binaries built from the PMD sources with
 * -DCXLMEM_STALE_INJECT and -Wl,--wrap=mmap64,--wrap=mmap,--wrap=munmap.
 *
 * With CXLMEM_STALE_INJECT=1 in the environment, every MAP_SHARED mapping
 * of a regular file made by the PMD (that is, of a window file) becomes:
 *   mem    the real shared mapping of the file    ("memory");
 *   cache  a private anonymous copy of it        (what the driver sees);
 *   clean  the cache's content as last fetched or written back, to tell a
 *          dirty line from a clean one (CLFLUSH writes dirty lines back).
 * Lines move between cache and mem only in cxlmem_stale_wb_line() and
 * cxlmem_stale_inv_line(), in aligned 8-byte units (the widest unit the
 * layout relies on being single-copy atomic).
 *
 * A new mapping starts as a copy of memory (a cold cache), unless
 * CXLMEM_STALE_WARM=1: then a mapping of the same range of the same file
 * that this process already has seeds it, as the same CPU's cache already
 * holds those lines, fetched at some earlier time. So a port probed after
 * another one in this process sees what the first one cached, however old:
 * a read it does not invalidate first returns that.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <rte_common.h>

#include "cxlmem_coherence.h"
#include "cxlmem_layout.h"
#include "cxlmem_stale.h"

#define STALE_MAX_WINDOWS 16

struct stale_win {
	uint8_t *cache;
	uint8_t *mem;
	uint8_t *clean;
	size_t len;
	dev_t dev;      /* the file and range mapped, for CXLMEM_STALE_WARM */
	ino_t ino;
	off_t off;
};

static struct stale_win wins[STALE_MAX_WINDOWS];
static int enabled = -1;
static int payload_only;       /* CXLMEM_STALE_INJECT=payload */
static int warm = -1;
static volatile int reg_lock;

void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);

static int
stale_enabled(void)
{
	if (enabled < 0) {
		const char *e = getenv("CXLMEM_STALE_INJECT");

		enabled = e != NULL && (strcmp(e, "1") == 0 || strcmp(e, "payload") == 0);
		payload_only = enabled && strcmp(e, "payload") == 0;
		if (enabled)
			fprintf(stderr, "cxlmem_stale: stale-read injector on: each window mapping "
				"gets a private cache copy; only wb/inv lines move data%s\n",
				payload_only ? " (packet buffers only)" : "");
	}
	return enabled;
}

/*
 * CXLMEM_STALE_INJECT=payload: only the packet buffers are cached; the
 * control page and each ring's index and descriptor pages are the file
 * itself, mapped over the private copy. With coherence=hw the link then
 * comes up and frames flow, and what goes wrong is exactly the payload
 * read stale: what a test of the data path's flushes needs to see. The
 * geometry comes from CXLMEM_STALE_GEOMETRY=queues,rsize,bsize (a host may
 * map the window before it formats it). Pages are 4 KiB; the page that
 * holds the last descriptors also holds the first buffers, which are
 * therefore not cached.
 */
static void
share_control_pages(void *(*real)(void *, size_t, int, int, int, off_t), uint8_t *cache,
		    size_t len, int fd, off_t off)
{
	const char *e = getenv("CXLMEM_STALE_GEOMETRY");
	unsigned int nq, rs, bs, q, d;
	struct cxlmem_geometry g;

	if (e == NULL || sscanf(e, "%u,%u,%u", &nq, &rs, &bs) != 3 ||
	    cxlmem_geometry(nq, rs, bs, &g) != 0 || g.window_bytes > len || (off & 4095) != 0) {
		fprintf(stderr, "cxlmem_stale: CXLMEM_STALE_INJECT=payload needs "
			"CXLMEM_STALE_GEOMETRY=queues,rsize,bsize of the window, a window that "
			"holds it, and a page-aligned offset\n");
		abort();
	}
	for (q = 0; q <= 2 * nq; q++) {
		/* q == 0: the control page; then ring (q - 1) / 2, d. */
		uint64_t start = 0, n = CXLMEM_QUEUE_AREA_OFFSET;

		if (q > 0) {
			d = (q - 1) % 2;
			start = cxlmem_ring_offset(&g, (q - 1) / 2, (enum cxlmem_dir)d);
			n = RTE_ALIGN_CEIL(g.buf_offset, 4096);
		}
		if (real(cache + start, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 off + (off_t)start) == MAP_FAILED) {
			perror("cxlmem_stale: mapping a control page shared");
			abort();
		}
	}
}

static void
lock(void)
{
	while (__atomic_exchange_n(&reg_lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void
unlock(void)
{
	__atomic_store_n(&reg_lock, 0, __ATOMIC_RELEASE);
}

static void *
stale_map(void *(*real)(void *, size_t, int, int, int, off_t), void *addr, size_t len, int prot,
	  int flags, int fd, off_t off)
{
	struct stat st;
	uint8_t *mem, *cache, *clean;
	int i;

	if (!stale_enabled() || !(flags & MAP_SHARED) || fd < 0 || fstat(fd, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return real(addr, len, prot, flags, fd, off);
	mem = real(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (mem == MAP_FAILED)
		return MAP_FAILED;
	cache = real(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	clean = malloc(len);
	if (cache == MAP_FAILED || clean == NULL) {
		fprintf(stderr, "cxlmem_stale: no memory for a %zu-byte cache copy\n", len);
		abort();
	}
	if (warm < 0) {
		const char *e = getenv("CXLMEM_STALE_WARM");

		warm = e != NULL && strcmp(e, "1") == 0;
	}
	lock();
	/* A cold cache: a copy of memory. A warm one: what this process's
	 * other mapping of the same range holds (CXLMEM_STALE_WARM=1). */
	memcpy(cache, mem, len);
	memcpy(clean, mem, len);
	if (payload_only)
		share_control_pages(real, cache, len, fd, off);
	for (i = 0; warm && i < STALE_MAX_WINDOWS; i++) {
		if (wins[i].cache != NULL && wins[i].dev == st.st_dev && wins[i].ino == st.st_ino &&
		    wins[i].off == off && wins[i].len == len) {
			memcpy(cache, wins[i].cache, len);
			memcpy(clean, wins[i].clean, len);
			break;
		}
	}
	for (i = 0; i < STALE_MAX_WINDOWS; i++) {
		if (wins[i].cache == NULL) {
			wins[i].mem = mem;
			wins[i].clean = clean;
			wins[i].len = len;
			wins[i].dev = st.st_dev;
			wins[i].ino = st.st_ino;
			wins[i].off = off;
			__atomic_store_n(&wins[i].cache, cache, __ATOMIC_RELEASE);
			break;
		}
	}
	unlock();
	if (i == STALE_MAX_WINDOWS) {
		fprintf(stderr, "cxlmem_stale: more than %d windows mapped\n", STALE_MAX_WINDOWS);
		abort();
	}
	return cache;
}

void *
__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return stale_map(__real_mmap64, addr, len, prot, flags, fd, off);
}

void *
__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return stale_map(__real_mmap, addr, len, prot, flags, fd, off);
}

int
__wrap_munmap(void *addr, size_t len)
{
	int i;

	lock();
	for (i = 0; i < STALE_MAX_WINDOWS; i++) {
		if (wins[i].cache == addr) {
			struct stale_win w = wins[i];

			__atomic_store_n(&wins[i].cache, NULL, __ATOMIC_RELEASE);
			unlock();
			/* Dirty lines never written back are lost, as they would be
			 * to a peer that only reads memory. */
			__real_munmap(w.mem, w.len);
			free(w.clean);
			return __real_munmap(w.cache, w.len);
		}
	}
	unlock();
	return __real_munmap(addr, len);
}

static struct stale_win *
find(uintptr_t a)
{
	int i;

	for (i = 0; i < STALE_MAX_WINDOWS; i++) {
		uint8_t *c = __atomic_load_n(&wins[i].cache, __ATOMIC_ACQUIRE);

		if (c != NULL && a >= (uintptr_t)c && a < (uintptr_t)c + wins[i].len)
			return &wins[i];
	}
	return NULL;
}

static void
copy_line(uint8_t *dst, const uint8_t *src)
{
	unsigned int i;

	for (i = 0; i < CXLMEM_LINE; i += 8)
		__atomic_store_n((uint64_t *)(dst + i),
				 __atomic_load_n((const uint64_t *)(src + i), __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
}

void
cxlmem_stale_wb_line(const volatile void *p)
{
	const uintptr_t a = (uintptr_t)p & ~(uintptr_t)(CXLMEM_LINE - 1);
	struct stale_win *w = find(a);
	size_t off;

	if (w == NULL) {
		cxlmem_hw_wb_line(p);
		return;
	}
	off = a - (uintptr_t)w->cache;
	/* Our stores to the line happen before it reaches memory. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	copy_line(w->mem + off, w->cache + off);
	copy_line(w->clean + off, w->cache + off);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
cxlmem_stale_inv_line(const volatile void *p)
{
	const uintptr_t a = (uintptr_t)p & ~(uintptr_t)(CXLMEM_LINE - 1);
	struct stale_win *w = find(a);
	size_t off;

	if (w == NULL) {
		cxlmem_hw_inv_line(p);
		return;
	}
	off = a - (uintptr_t)w->cache;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (memcmp(w->cache + off, w->clean + off, CXLMEM_LINE) != 0)
		copy_line(w->mem + off, w->cache + off); /* dirty: written back first */
	copy_line(w->cache + off, w->mem + off);
	copy_line(w->clean + off, w->cache + off);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
