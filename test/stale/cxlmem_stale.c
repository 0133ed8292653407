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

#include "cxlmem_coherence.h"
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

		enabled = e != NULL && strcmp(e, "1") == 0;
		if (enabled)
			fprintf(stderr, "cxlmem_stale: stale-read injector on: each window mapping "
				"gets a private cache copy; only wb/inv lines move data\n");
	}
	return enabled;
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
