/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xstat.h - a port's extended statistics by name, for the tests that run
 * net_cxlmem ports in the EAL.
 */
#ifndef CXLMEM_TEST_XSTAT_H
#define CXLMEM_TEST_XSTAT_H

#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>

/* The xstat of port called name; UINT64_MAX when the port has none. */
static inline uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

/* ethdev's per-queue xstat DIR_qQ_WHAT (e.g. tx_q1_packets). */
static inline uint64_t
qxstat(uint16_t port, const char *dir, unsigned int q, const char *what)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];

	snprintf(name, sizeof(name), "%s_q%u_%s", dir, q, what);
	return xstat(port, name);
}

#endif /* CXLMEM_TEST_XSTAT_H */
