/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Core-to-core round trip, measured in band by the two busy worker lcores
 * themselves.  On a VM whose vCPUs the host moves between cores that do or
 * do not share a cache, two-process rates follow this figure (near ~100 ns,
 * far ~450 ns; /work/shared/bench/README.md), so every one-second sample is
 * labelled with it.
 *
 * Once per sample the main lcore bumps perf_c2c.req.  The first generator
 * lcore ("ping") and the first sink/reflector lcore ("pong") each note it
 * between two rounds of bursts (here[side] = req) and go on forwarding; when
 * one of them finds both notes set, both are running, and within a round of
 * bursts both leave their loops to bounce one cache line PERF_C2C_TRIPS times
 * (a few microseconds), then go back to forwarding.  No other thread runs and
 * nothing changes scheduling policy, so the probe takes from the workers only
 * the time it spends, which each worker counts (its thread CPU time,
 * perf_qstats.c2c_ns) and cxl-perf reports as c2c_cost.
 *
 * The bounced line is a (seq << 32 | step) word: pong joins with step 1, ping
 * writes the even steps, pong answers each with the next odd one, ping ends
 * with PERF_C2C_END.  Either side gives up on a partner that does not join
 * (PERF_C2C_JOIN_US) or stops answering (PERF_C2C_TRIP_US), writing END, so
 * a worker that lost its vCPU costs the other one a bounded wait.
 */
#include <math.h>
#include <stdint.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_pause.h>

#include "cxl_perf.h"

#define PERF_C2C_JOIN_US 100   /* for the partner to join the bounce */
#define PERF_C2C_TRIP_US 100   /* for one answer */
#define PERF_C2C_END 0xffffffffu

static inline uint64_t
c2c_load(const struct perf_c2c *c)
{
	return __atomic_load_n(&c->ball, __ATOMIC_ACQUIRE);
}

static inline void
c2c_store(struct perf_c2c *c, uint64_t v)
{
	__atomic_store_n(&c->ball, v, __ATOMIC_RELEASE);
}

/* median of v[0..n), n >= 1; sorts v */
static uint64_t
median_u64(uint64_t *v, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		uint64_t t = v[i];

		for (j = i; j > 0 && v[j - 1] > t; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	return v[(n - 1) / 2];
}

static void
c2c_ping(struct perf_c2c *c, uint32_t seq)
{
	const uint64_t tag = (uint64_t)seq << 32, hz = rte_get_tsc_hz();
	const uint64_t wait = hz / 1000000 * PERF_C2C_JOIN_US;
	const uint64_t trip_max = hz / 1000000 * PERF_C2C_TRIP_US;
	uint64_t rtt[PERF_C2C_TRIPS], t0;
	unsigned int n = 0, i;

	t0 = rte_rdtsc();
	for (;;) {
		uint64_t v = c2c_load(c);

		if (v == (tag | 1))
			break;
		if (v == (tag | PERF_C2C_END) || rte_rdtsc() - t0 > wait)
			goto out; /* the partner did not join, or gave up */
	}
	for (i = 1; i <= PERF_C2C_TRIPS; i++) {
		const uint64_t want = tag | (2 * i + 1);

		t0 = rte_rdtsc();
		c2c_store(c, tag | (2 * i));
		while (c2c_load(c) != want) {
			if (rte_rdtsc() - t0 > trip_max) {
				rtt[n++] = trip_max; /* the partner lost its CPU */
				goto out;
			}
		}
		rtt[n++] = rte_rdtsc() - t0;
	}
out:
	c2c_store(c, tag | PERF_C2C_END);
	c->trips = n;
	c->rtt_cyc = n ? median_u64(rtt, n) : 0;
	__atomic_store_n(&c->done, seq, __ATOMIC_RELEASE);
}

static void
c2c_pong(struct perf_c2c *c, uint32_t seq)
{
	const uint64_t tag = (uint64_t)seq << 32, hz = rte_get_tsc_hz();
	uint64_t limit = hz / 1000000 * PERF_C2C_JOIN_US, t0, v, mine = tag | 1;
	uint32_t step = 2;

	v = c2c_load(c);
	if ((v >> 32) == seq)
		return; /* ping already gave up on this probe */
	if (!__atomic_compare_exchange_n(&c->ball, &v, mine, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	t0 = rte_rdtsc();
	for (;;) {
		while ((v = c2c_load(c)) != (tag | step)) {
			if (v == (tag | PERF_C2C_END))
				return;
			if (rte_rdtsc() - t0 > limit) {
				/* tell a late ping not to wait for us */
				__atomic_compare_exchange_n(&c->ball, &mine, tag | PERF_C2C_END,
							    false, __ATOMIC_ACQ_REL,
							    __ATOMIC_RELAXED);
				return;
			}
		}
		mine = tag | (step + 1);
		c2c_store(c, mine);
		step += 2;
		t0 = rte_rdtsc();
		limit = hz / 1000000 * PERF_C2C_TRIP_US;
	}
}

static uint64_t
thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

bool
perf_c2c_poll(struct perf_worker *w)
{
	struct perf_c2c *c = w->c2c;
	uint32_t seq = __atomic_load_n(&c->req, __ATOMIC_ACQUIRE);
	unsigned int me = w->c2c_ping ? 0 : 1;
	uint64_t t0, ns;

	if (w->c2c_here != seq) {
		/* a new request: say we are running, and go on forwarding */
		w->c2c_here = seq;
		__atomic_store_n(&c->here[me].v, seq, __ATOMIC_RELEASE);
	}
	if (__atomic_load_n(&c->here[!me].v, __ATOMIC_ACQUIRE) != seq)
		return false; /* the partner has not run since the request */
	w->c2c_seen = seq;
	t0 = thread_cpu_ns();
	if (w->c2c_ping)
		c2c_ping(c, seq);
	else
		c2c_pong(c, seq);
	ns = thread_cpu_ns() - t0;
	if (w->nb_items > 0)
		w->items[0].qs->c2c_ns += ns;
	else
		w->c2c_ns += ns;
	return true;
}

double
perf_c2c_request(struct perf_c2c *c, double timeout_s)
{
	uint32_t seq = __atomic_load_n(&c->req, __ATOMIC_RELAXED) + 1;
	uint64_t end = rte_get_timer_cycles() + (uint64_t)(timeout_s * rte_get_timer_hz());

	__atomic_store_n(&c->req, seq, __ATOMIC_RELEASE);
	while (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE) != seq) {
		if (rte_get_timer_cycles() > end)
			return NAN; /* the ping lcore did not run the probe */
		rte_delay_us_sleep(1000);
	}
	if (c->trips == 0)
		return NAN;
	return (double)c->rtt_cyc * 1e9 / (double)rte_get_tsc_hz();
}
