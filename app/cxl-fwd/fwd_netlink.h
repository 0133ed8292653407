/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: the few rtnetlink requests the forwarder needs (libmnl).
 */
#ifndef CXL_FWD_NETLINK_H
#define CXL_FWD_NETLINK_H

#include <stdint.h>
#include <netinet/in.h>

/* One interface address: family AF_INET or AF_INET6, prefix length. */
struct fwd_ifaddr {
	int family;
	uint8_t prefixlen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

/* Counters the kernel keeps for the interface (IFLA_STATS64 subset). */
struct fwd_ifstats {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_dropped, tx_dropped;
	uint64_t rx_errors, tx_errors;
};

/* Parse "ADDR/LEN" for the given family; returns 0 or -1 (errmsg filled). */
int fwd_ifaddr_parse(const char *text, int family, struct fwd_ifaddr *out,
		     char *errmsg, size_t errlen);

/*
 * All calls below open a NETLINK_ROUTE socket in the calling thread's network
 * namespace, send one request, wait for the kernel's answer and return 0 or a
 * negative errno.
 */
int fwd_nl_link_set(unsigned int ifindex, unsigned int mtu, int up);
int fwd_nl_addr_add(unsigned int ifindex, const struct fwd_ifaddr *a);
int fwd_nl_link_stats(unsigned int ifindex, struct fwd_ifstats *st);

#endif
