/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ethdev - net_cxlmem through the real EAL and ethdev API, both ends
 * of each window in one process: host ports and device ports on the same
 * files.
 *
 * The suites, each in a file of its own:
 *   datapath  every frame size 60..9000 intact and in order per queue
 *             (multi-queue, both directions, single- and multi-segment
 *             mbufs on TX, scatter on RX), stats and xstats, ring full,
 *             malformed mbufs, frame-size limits, TX fast free
 *   config    devargs and geometry refused or adopted, descriptor counts,
 *             the scatter rule, link speed, queues and coherence modes of
 *             the peer, a superblock changing under the probe
 *   link      LSC events, peer restart (no stale frame delivered), device
 *             end first, the peer's layout version
 *   offload   TSO/LRO, checksum offloads, partial checksums, untrusted
 *             offload metadata
 *   zerocopy  zerocopy=rx: lent and copied frames, held slots across a peer
 *             restart, a queue set-up and a close, application writes
 *   rx_intr   Rx interrupts over the doorbells
 * main.c runs them: EAL, mempools, then every suite's set-up, cases and
 * tear-down, and checks that each suite gave back the DPDK heap and the
 * mbufs it took.
 *
 * Usage: test_ethdev [EAL args]   (defaults: --no-huge -m 256 --no-pci ...)
 * CXLMEM_TEST_DEVARGS (e.g. "coherence=flush") is appended to every port's
 * devargs. CXLMEM_TEST_ONLY=name runs only the case of that name, or only
 * the suite of that name (with its set-up and tear-down).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ethdev_driver.h>   /* rte_eth_dev_allocate(): the heap check's anchor port */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "ethdev_test.h"

#define NB_MBUFS 4095

int check_failures;
int check_count;

static const struct unit_test_suite *const suites[] = {
	&datapath_suite,
	&config_suite,
	&link_suite,
	&offload_suite,
	&zerocopy_suite,
	&rx_intr_suite,
};

static const char *only; /* CXLMEM_TEST_ONLY */

static bool
selected(const struct unit_test_suite *s, const struct unit_test_case *c)
{
	return only == NULL || strcmp(only, s->name) == 0 || strcmp(only, c->name) == 0;
}

static unsigned int
mbufs_in_use(void)
{
	return rte_mempool_in_use_count(pool) + rte_mempool_in_use_count(big_pool) +
	       rte_mempool_in_use_count(jumbo_pool);
}

/* Set-up, the selected cases, tear-down; nothing when no case is selected.
 * Returns how many cases ran. */
static unsigned int
run_suite(const struct unit_test_suite *s)
{
	const int checks0 = check_count, failures0 = check_failures;
	const struct unit_test_case *c;
	unsigned int n = 0, mbufs;
	size_t heap;

	for (c = s->cases; c->name != NULL; c++)
		n += selected(s, c);
	if (n == 0)
		return 0;
	printf("== suite %s\n", s->name);
	heap = heap_used();
	mbufs = mbufs_in_use();
	if (s->setup == NULL || s->setup() == 0) {
		for (c = s->cases; c->name != NULL; c++) {
			size_t before, kept;

			if (!selected(s, c))
				continue;
			printf("-- %s\n", c->name);
			before = heap_used();
			c->fn();
			if (c->keeps_heap) {
				kept = heap_used() - before;
				printf("%s keeps %zu bytes of DPDK heap\n", c->name, kept);
				heap += kept;
			}
		}
	} else {
		printf("suite %s: set-up failed, %u cases not run\n", s->name, n);
	}
	if (s->teardown != NULL)
		s->teardown();
	/* dev_close/remove gave back every rte_malloc byte the ports took
	 * (ASan cannot see DPDK's heap; this can). */
	CHECK(heap_used() == heap, "suite %s: DPDK heap: %zu bytes before, %zu after", s->name,
	      heap, heap_used());
	CHECK(mbufs_in_use() == mbufs, "suite %s: %u mbufs in use before, %u after", s->name,
	      mbufs, mbufs_in_use());
	printf("suite %s: %d checks, %d failed\n", s->name, check_count - checks0,
	       check_failures - failures0);
	return n;
}

int
main(int argc, char **argv)
{
	struct rte_eth_dev *anchor;
	char prefix[64];
	char *eal_argv[32];
	const char *extra;
	int eal_argc = 0, i;
	unsigned int k, ran = 0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlt%d", (int)getpid());
	eal_argv[eal_argc++] = argv[0];
	if (argc > 1) {
		for (i = 1; i < argc && eal_argc < 30; i++)
			eal_argv[eal_argc++] = argv[i];
	} else {
		eal_argv[eal_argc++] = (char *)"--no-huge";
		eal_argv[eal_argc++] = (char *)"-m";
		eal_argv[eal_argc++] = (char *)"256";
		eal_argv[eal_argc++] = (char *)"--no-pci";
		eal_argv[eal_argc++] = (char *)"--no-shconf";
		eal_argv[eal_argc++] = (char *)"-l";
		eal_argv[eal_argc++] = (char *)"0,1";
		eal_argv[eal_argc++] = (char *)"--log-level=pmd.net.cxlmem:info";
		eal_argv[eal_argc++] = prefix;
	}
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		printf("FAIL: EAL init\n");
		return 1;
	}

	snprintf(win_path, sizeof(win_path), "/dev/shm/cxlmem-test-%d", (int)getpid());
	unlink(win_path);
	pool = rte_pktmbuf_pool_create("pool", NB_MBUFS, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	big_pool = rte_pktmbuf_pool_create("big", 2047, 64, 0, 10240 + RTE_PKTMBUF_HEADROOM,
					   rte_socket_id());
	jumbo_pool = rte_pktmbuf_pool_create("jumbo", 63, 0, 0, MAX_FRAME + RTE_PKTMBUF_HEADROOM,
					     rte_socket_id());
	if (pool == NULL || big_pool == NULL || jumbo_pool == NULL) {
		printf("FAIL: mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	stale_injected = getenv("CXLMEM_STALE_INJECT") != NULL &&
			 strcmp(getenv("CXLMEM_STALE_INJECT"), "1") == 0;
	only = getenv("CXLMEM_TEST_ONLY");
	extra = getenv("CXLMEM_TEST_DEVARGS");
	if (extra != NULL)
		extra_devargs = extra;
	/* ethdev reserves its shared port data (a memzone) with the first
	 * port it allocates; 22.11 keeps it, later releases free it with the
	 * last port. A bare port held across the suites keeps it out of their
	 * heap counts. */
	anchor = rte_eth_dev_allocate("cxlmem_test_anchor");
	CHECK(anchor != NULL, "rte_eth_dev_allocate");

	for (k = 0; k < RTE_DIM(suites); k++)
		ran += run_suite(suites[k]);
	CHECK(ran > 0, "CXLMEM_TEST_ONLY=%s names no case and no suite", only);

	if (anchor != NULL)
		rte_eth_dev_release_port(anchor);
	unlink(win_path);
	rte_mempool_free(pool);
	rte_mempool_free(big_pool);
	rte_mempool_free(jumbo_pool);
	rte_eal_cleanup();
	return check_summary();
}
