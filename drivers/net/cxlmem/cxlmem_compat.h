/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_compat.h - the one place where the DPDK releases cxlmem builds
 * against (22.11, 23.11, 24.11, 25.11) differ, for the PMD, the apps and
 * the tests.
 *
 * meson.build probes DPDK's API (cc.has_member and the like, as DPDK's own
 * af_xdp driver does) and passes what it found as CXLMEM_HAVE_* flags to
 * every compile; this header turns them into one spelling. No other file
 * tests DPDK's version: code that is right on every release (say, reading
 * per-queue counters through xstats) is preferred to a shim here.
 *
 * Where a newer release deprecated an idiom for another (atomics, logging),
 * the code is written in the newer one and the older releases get it here,
 * so that dropping a release means deleting its shim, not editing the code.
 *
 * Flags (set by meson.build):
 *   CXLMEM_HAVE_ETH_STATS_QUEUE_FIELDS  struct rte_eth_stats has the q_*
 *       per-queue arrays (up to 25.07); from 25.11 they are in struct
 *       eth_queue_stats, the third argument of the stats_get callback.
 *   CXLMEM_HAVE_RTE_STDATOMIC  rte_stdatomic.h is there (23.11 on).
 *   CXLMEM_HAVE_RTE_LOG_LINE_PREFIX  rte_log.h defines RTE_LOG_LINE_PREFIX
 *       (24.03 on).
 */
#ifndef CXLMEM_COMPAT_H
#define CXLMEM_COMPAT_H

#include <rte_common.h>
#include <rte_log.h>

/*
 * Atomics: since 23.11 DPDK's code calls rte_atomic_load_explicit(),
 * rte_atomic_store_explicit() and rte_atomic_thread_fence() with the
 * orders rte_memory_order_*, not GCC's __atomic builtins (rte_stdatomic.h:
 * C11 atomics when DPDK is built with enable_stdatomic, the builtins
 * otherwise). The driver does too; 22.11 gets those names here, as the
 * builtins they stand for there. rte_atomic_thread_fence() itself is in
 * rte_atomic.h on every release.
 * They are applied to plain (not RTE_ATOMIC()) objects: the window's
 * layout (cxlmem_layout.h) is shared with code built without DPDK. That is
 * right with a DPDK built with enable_stdatomic=false (the default, and
 * every Debian release's) and, with GCC, with =true too; clang refuses C11
 * atomic operations on objects not declared _Atomic.
 */
#ifdef CXLMEM_HAVE_RTE_STDATOMIC
#include <rte_stdatomic.h>
#else
#define rte_memory_order_relaxed __ATOMIC_RELAXED
#define rte_memory_order_acquire __ATOMIC_ACQUIRE
#define rte_memory_order_release __ATOMIC_RELEASE
#define rte_memory_order_seq_cst __ATOMIC_SEQ_CST
#define rte_atomic_load_explicit(ptr, order) __atomic_load_n(ptr, order)
#define rte_atomic_store_explicit(ptr, val, order) __atomic_store_n(ptr, val, order)
#endif
#include <rte_atomic.h>

/*
 * Logging: since 24.03 DPDK's drivers log with
 *     RTE_LOG_LINE_PREFIX(level, type, prefix, prefix_arg, fmt, ...)
 * which ends the line itself (and, with GCC, refuses a format that holds
 * a newline). Older releases get it here for the one way the driver calls
 * it (one prefix argument, then a literal format), with the same output:
 * "TYPE: " prefix, message, newline.
 */
#ifndef CXLMEM_HAVE_RTE_LOG_LINE_PREFIX
#define RTE_LOG_LINE_PREFIX(level, type, prefix, prefix_arg, fmt, ...) \
	RTE_LOG(level, type, prefix fmt "\n", prefix_arg, ##__VA_ARGS__)
#endif

/*
 * Packed structures: 25.03 deprecated __rte_packed (25.11 warns on each use)
 * for __rte_packed_begin/__rte_packed_end around the definition:
 *     struct __rte_packed_begin name { ... } __rte_packed_end;
 * Older releases get the same pair here.
 */
#ifndef __rte_packed_begin
#define __rte_packed_begin
#define __rte_packed_end __attribute__((__packed__))
#endif

/*
 * The PMD's stats_get callback. The driver writes one function
 *     static int fill(struct rte_eth_dev *dev, struct rte_eth_stats *st,
 *                     cxlmem_eth_queue_stats *qs);
 * filling qs->q_ipackets[] etc. when qs is not NULL, and
 * CXLMEM_ETH_STATS_GET_OP(name, fill) defines `name` with the signature of
 * the eth_dev_ops.stats_get of the DPDK built against.
 */
#ifdef CXLMEM_HAVE_ETH_STATS_QUEUE_FIELDS
typedef struct rte_eth_stats cxlmem_eth_queue_stats;
#define CXLMEM_ETH_STATS_GET_OP(name, fill) \
static int \
name(struct rte_eth_dev *dev, struct rte_eth_stats *st) \
{ \
	return fill(dev, st, st); \
}
#else
typedef struct eth_queue_stats cxlmem_eth_queue_stats;
#define CXLMEM_ETH_STATS_GET_OP(name, fill) \
static int \
name(struct rte_eth_dev *dev, struct rte_eth_stats *st, struct eth_queue_stats *qs) \
{ \
	return fill(dev, st, qs); \
}
#endif

#endif /* CXLMEM_COMPAT_H */
