/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wake-cost.c - what waking a sleeping process costs on this machine: a
 * one-byte pipe ping-pong between two processes pinned to two CPUs, with a
 * pause before each round so that both sleep that long. Prints the round
 * trip's p50 and p90 in microseconds. On a VM, a vCPU that slept long is
 * slow to wake; that decides cxl-fwd's adaptive polling (docs/cxl-fwd.md,
 * "Polling").
 *
 *   gcc -O2 -Wall -o /tmp/wake-cost scripts/wake-cost.c
 *   /tmp/wake-cost CPU_A CPU_B PAUSE_US [ROUNDS]   e.g. 0 1 10000 200
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int ping[2], pong[2], a, b, pause_us, rounds, i;
	double *rtt;
	char c = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: %s CPU_A CPU_B PAUSE_US [ROUNDS]\n", argv[0]);
		return 2;
	}
	a = atoi(argv[1]);
	b = atoi(argv[2]);
	pause_us = atoi(argv[3]);
	rounds = argc > 4 ? atoi(argv[4]) : 200;
	if (rounds < 2 || pipe(ping) != 0 || pipe(pong) != 0)
		return 2;
	rtt = calloc((size_t)rounds, sizeof(*rtt));
	if (rtt == NULL)
		return 2;
	if (fork() == 0) {
		pin(b);
		close(ping[1]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				return 1;
		return 0;
	}
	pin(a);
	close(ping[0]);
	for (i = 0; i < rounds; i++) {
		double t;

		usleep((useconds_t)pause_us);
		t = now_us();
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
		rtt[i] = now_us() - t;
	}
	close(ping[1]);
	wait(NULL);
	qsort(rtt, (size_t)rounds, sizeof(*rtt), cmp);
	printf("CPU %d <-> CPU %d, %d us pause: round trip p50 %.1f us, p90 %.1f us (%d rounds)\n",
	       a, b, pause_us, rtt[rounds / 2], rtt[rounds * 9 / 10], rounds);
	free(rtt);
	return 0;
}
