/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.h - the tests' one assertion: CHECK(cond, fmt, ...) counts a check,
 * and on failure counts a failure and prints the file, line, condition and
 * a formatted reason. A test ends with check_summary(), which prints
 * "N checks, N failed" and returns the exit status.
 *
 * A test of one file gets the counters as its own. A test of several files
 * defines CHECK_COUNTERS_EXTERN before every include, and one of its files
 * defines the counters: int check_failures, check_count;
 */
#ifndef CXLMEM_TEST_CHECK_H
#define CXLMEM_TEST_CHECK_H

#include <stdio.h>

#ifdef CHECK_COUNTERS_EXTERN
extern int check_failures;
extern int check_count;
#else
static int check_failures;
static int check_count;
#endif

#define CHECK(cond, ...) do {                                           \
	check_count++;                                                  \
	if (!(cond)) {                                                  \
		check_failures++;                                       \
		printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
		printf(__VA_ARGS__);                                    \
		printf("\n");                                           \
	}                                                               \
} while (0)

static inline int
check_summary(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif /* CXLMEM_TEST_CHECK_H */
