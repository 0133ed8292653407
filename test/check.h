/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.h - the tests' one assertion: CHECK(cond, fmt, ...) counts a check,
 * and on failure counts a failure and prints the file, line, condition and
 * a formatted reason. A test ends with check_summary(), which prints
 * "N checks, N failed" and returns the exit status.
 */
#ifndef CXLMEM_TEST_CHECK_H
#define CXLMEM_TEST_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

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
