/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Core-to-core round trip: one cache line bounced between two CPUs for a few
 * milliseconds.  On a VM whose vCPUs the host moves between cores that do or
 * do not share a cache, two-process rates follow this figure, so every
 * one-second sample is labelled with it.  Both threads run SCHED_FIFO so
 * they preempt the spinning lcores for the probe's few milliseconds; without
 * the privilege the probe reports NaN rather than a figure distorted by
 * time-slicing.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_common.h>

#include "cxl_perf.h"

struct c2c_line {
	uint64_t v;
} __rte_cache_aligned;

struct c2c_ctx {
	struct c2c_line ball;
	struct c2c_line quit;
	struct c2c_line ready;
	int cpu_b;
};

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* a thread born SCHED_FIFO on its CPU, so it need not wait for a slice */
static int
rt_thread(pthread_t *t, int cpu, void *(*fn)(void *), void *arg)
{
	struct sched_param sp = { .sched_priority = 10 };
	pthread_attr_t at;
	cpu_set_t s;
	int ret;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_attr_init(&at);
	pthread_attr_setaffinity_np(&at, sizeof(s), &s);
	pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&at, SCHED_FIFO);
	pthread_attr_setschedparam(&at, &sp);
	ret = pthread_create(t, &at, fn, arg);
	pthread_attr_destroy(&at);
	return ret;
}

static void *
pong(void *arg)
{
	struct c2c_ctx *c = arg;
	uint64_t v;

	__atomic_store_n(&c->ready.v, 1, __ATOMIC_RELEASE);
	for (v = 1;; v += 2) {
		while (__atomic_load_n(&c->ball.v, __ATOMIC_ACQUIRE) != v)
			if (__atomic_load_n(&c->quit.v, __ATOMIC_RELAXED))
				return NULL;
		__atomic_store_n(&c->ball.v, v + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

struct ping_arg {
	struct c2c_ctx *c;
	int cpu_a;
	double ms;
	double result;
};

static void *
ping(void *arg)
{
	struct ping_arg *p = arg;
	struct c2c_ctx *c = p->c;
	double t0, limit;
	uint64_t v = 0, n = 0;

	p->result = NAN;
	t0 = now_s();
	while (!__atomic_load_n(&c->ready.v, __ATOMIC_ACQUIRE))
		if (now_s() - t0 > 0.05)
			return NULL; /* the peer thread never got its CPU */
	t0 = now_s();
	limit = t0 + p->ms / 1e3 + 0.05;
	do {
		int i;

		for (i = 0; i < 64; i++) {
			uint64_t spin = 0;

			__atomic_store_n(&c->ball.v, v + 1, __ATOMIC_RELEASE);
			while (__atomic_load_n(&c->ball.v, __ATOMIC_ACQUIRE) != v + 2) {
				if ((++spin & 0xffff) == 0 &&
				    (now_s() > limit || __atomic_load_n(&c->quit.v, __ATOMIC_ACQUIRE)))
					return NULL; /* peer never answered */
			}
			v += 2;
		}
		n += 64;
	} while (now_s() - t0 < p->ms / 1e3);
	p->result = (now_s() - t0) / (double)n * 1e9;
	return NULL;
}

double
perf_c2c_probe(int cpu_a, int cpu_b, double ms)
{
	static struct c2c_ctx ctx;
	struct ping_arg pa = { .c = &ctx, .cpu_a = cpu_a, .ms = ms, .result = NAN };
	pthread_t tb, ta;

	if (cpu_a < 0 || cpu_b < 0 || cpu_a == cpu_b)
		return NAN;
	ctx.ball.v = 0;
	ctx.quit.v = 0;
	ctx.ready.v = 0;
	ctx.cpu_b = cpu_b;
	if (rt_thread(&tb, cpu_b, pong, &ctx) != 0)
		return NAN; /* no SCHED_FIFO (not root?): no figure */
	if (rt_thread(&ta, cpu_a, ping, &pa) != 0) {
		__atomic_store_n(&ctx.quit.v, 1, __ATOMIC_RELEASE);
		pthread_join(tb, NULL);
		return NAN;
	}
	pthread_join(ta, NULL);
	__atomic_store_n(&ctx.quit.v, 1, __ATOMIC_RELEASE);
	pthread_join(tb, NULL);
	return pa.result;
}
