/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * poll.h - how long an adaptive-polling lcore keeps polling after its last
 * frame (the grace), adapted to the gaps it sees between frames.
 *
 * The rule is the one Linux uses to poll before halting an idle vCPU (KVM's
 * halt polling, Documentation/virt/kvm/halt-polling.rst, and the guest's
 * cpuidle-haltpoll governor, Documentation/virt/guest-halt-polling.rst,
 * with its default factors: grow 2, shrink 2), with the grace for the poll
 * window and the gap between two frames for the halt: a gap the grace
 * covered changes nothing; a gap longer than the grace but within the
 * largest grace would have been caught by a longer one, so the grace
 * doubles (at most to the largest); a gap longer than the largest could not
 * have been caught, so the polling was wasted and the grace halves (not
 * below the base). Frames that come regularly (a request every few ms) thus
 * find the lcore polling after a few of them, rather than asleep on a vCPU
 * that is slow to wake (docs/cxl-fwd.md, "Polling"); one late request
 * costs them little (halving, not a reset: a ping train at 10 ms has
 * gaps over 20 ms now and then); traffic that stops costs a few shrinking
 * graces, then a base grace per frame. With a base of 0 the first growth
 * is to the gap itself (the governors start from a grow_start instead).
 *
 * No EAL here: test/test_fwd_poll.c checks the rule alone.
 */
#ifndef CXL_FWD_POLL_H
#define CXL_FWD_POLL_H

#include <stdint.h>

/*
 * The grace after a gap: grace, base and max in any one time unit (the
 * caller's: TSC cycles), base <= max; gap is the time from the end of the
 * previous busy round to the busy round that ends it, in the same unit.
 * Returns a value in [base, max].
 */
static inline uint64_t
fwd_grace_next(uint64_t grace, uint64_t gap, uint64_t base, uint64_t max)
{
	if (gap <= grace)
		return grace;           /* caught while polling */
	if (gap > max)                  /* no grace could have caught it */
		return grace / 2 > base ? grace / 2 : base;
	grace = grace < base ? base : grace;
	if (grace == 0)
		return gap;             /* base 0: doubling would never leave 0 */
	return grace > max / 2 ? max : 2 * grace;
}

#endif /* CXL_FWD_POLL_H */
