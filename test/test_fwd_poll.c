/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fwd_poll.c - cxl-fwd's adaptive grace (app/cxl-fwd/poll.h): covered
 * gaps change nothing, gaps a longer grace would have caught double it up to
 * the largest, longer gaps halve it (not below the base); a train of
 * requests at a fixed interval ends up caught, one late request does not
 * undo that, and traffic that stops brings it back to the base. No EAL.
 */
#include <stdint.h>

#include "check.h"
#include "poll.h"

int
main(void)
{
	const uint64_t base = 200, max = 20000;   /* µs, as the defaults */
	uint64_t g;
	int i, caught;

	/* a gap the grace covered */
	CHECK(fwd_grace_next(200, 0, base, max) == 200, "no gap");
	CHECK(fwd_grace_next(200, 200, base, max) == 200, "gap = grace");
	CHECK(fwd_grace_next(3200, 1000, base, max) == 3200, "covered: kept, not shrunk");
	/* a gap a longer grace would have caught: doubles */
	CHECK(fwd_grace_next(200, 201, base, max) == 400, "got %lu",
	      (unsigned long)fwd_grace_next(200, 201, base, max));
	CHECK(fwd_grace_next(200, 20000, base, max) == 400, "gap = max: still doubles");
	CHECK(fwd_grace_next(12800, 15000, base, max) == 20000, "capped at max");
	CHECK(fwd_grace_next(20000, 20000, base, max) == 20000, "at max, caught");
	/* a gap no grace could have caught: halves, not below base */
	CHECK(fwd_grace_next(12800, 20001, base, max) == 6400, "halved");
	CHECK(fwd_grace_next(20000, 1000000, base, max) == 10000, "halved from max");
	CHECK(fwd_grace_next(300, 1000000, base, max) == base, "not below base");
	CHECK(fwd_grace_next(200, 1000000, base, max) == base, "base stays");
	/* fixed grace (max = base): never moves */
	for (i = 0; i < 1000; i += 7)
		CHECK(fwd_grace_next(500, (uint64_t)i * 13, 500, 500) == 500, "fixed, gap %d",
		      i * 13);
	/* base 0: grows to the gap, then doubles */
	CHECK(fwd_grace_next(0, 0, 0, max) == 0, "base 0, no gap");
	CHECK(fwd_grace_next(0, 150, 0, max) == 150, "base 0 grows to the gap");
	CHECK(fwd_grace_next(150, 160, 0, max) == 300, "then doubles");
	CHECK(fwd_grace_next(0, 30000, 0, max) == 0, "base 0, long gap");
	CHECK(fwd_grace_next(300, 30000, 0, max) == 150, "base 0 halves");

	/* requests every 10 ms (ping -i 0.01): caught after a few */
	g = base;
	caught = 0;
	for (i = 0; i < 100; i++) {
		if (10000 <= g)
			caught++;
		g = fwd_grace_next(g, 10000, base, max);
		CHECK(g >= base && g <= max, "in range: %lu", (unsigned long)g);
	}
	CHECK(caught >= 90, "10 ms train caught %d of 100", caught);
	/* one late request (25 ms) costs one request at most: the grace
	 * halves (a reset would cost six) */
	g = fwd_grace_next(g, 25000, base, max);
	CHECK(g >= 5000, "after one late request: %lu", (unsigned long)g);
	g = fwd_grace_next(g, 10000, base, max);
	CHECK(g >= 10000, "the request after it: %lu", (unsigned long)g);
	/* traffic stops (a heartbeat every 50 ms): back to base within ten
	 * beats, and a heartbeat never grows it again */
	for (i = 0; i < 10; i++)
		g = fwd_grace_next(g, 50000, base, max);
	CHECK(g == base, "50 ms heartbeat: %lu", (unsigned long)g);
	for (i = 0; i < 10; i++)
		g = fwd_grace_next(g, 50000, base, max);
	CHECK(g == base, "50 ms heartbeat, later: %lu", (unsigned long)g);
	return check_summary();
}
