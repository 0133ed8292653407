/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev_test.h - what the suites of test_ethdev share: suites of cases
 * with a set-up and a tear-down, as DPDK's unit_test_suite (run by
 * main.c); the run's window path, extra devargs and mempools; ports and
 * host/device pairs of ports (ports.c); bursts (ports.c); the frames they
 * carry (frames.c); xstats (xstat.h).
 *
 * Every check is a CHECK() of check.h, counted once for the whole program.
 */
#ifndef CXLMEM_ETHDEV_TEST_H
#define CXLMEM_ETHDEV_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define CHECK_COUNTERS_EXTERN
#include "check.h"
#include "xstat.h"

#define NB_QUEUES 4     /* queue pairs of the main pair */
#define BURST 32
#define MAX_FRAME 16384 /* the longest frame a test builds */

/* ---- suites (main.c runs them) ------------------------------------------ */

/* A test case: its checks are CHECK()s; it leaves no port or window file
 * behind unless its suite's tear-down removes them. keeps_heap: the DPDK
 * heap it leaves allocated is kept on purpose (not counted as the suite's). */
struct unit_test_case {
	const char *name;
	void (*fn)(void);
	bool keeps_heap;
};

/*
 * A suite: set-up (NULL: none) returns 0, or -1 when the cases cannot run
 * (a failed check says why); tear-down (NULL: none) runs after the cases,
 * and after a failed set-up too, to undo what it did. Around every suite
 * the runner checks that it gave back all the DPDK heap and mbufs it took.
 */
struct unit_test_suite {
	const char *name;
	int (*setup)(void);
	void (*teardown)(void);
	const struct unit_test_case *cases; /* ends with TEST_CASES_END() */
};

#define TEST_CASE(fn) { #fn, fn, false }
#define TEST_CASE_KEEPS_HEAP(fn) { #fn, fn, true }
#define TEST_CASES_END() { NULL, NULL, false }

extern const struct unit_test_suite datapath_suite;
extern const struct unit_test_suite config_suite;
extern const struct unit_test_suite link_suite;
extern const struct unit_test_suite offload_suite;
extern const struct unit_test_suite zerocopy_suite;
extern const struct unit_test_suite rx_intr_suite;

/* ---- the run (set by main.c before any suite) ---------------------------- */

extern char win_path[256];          /* the main window file; others are win_path.<tag> */
extern const char *extra_devargs;   /* CXLMEM_TEST_DEVARGS, for every port ("" if none) */
extern bool stale_injected;         /* CXLMEM_STALE_INJECT=1: private window copies */
extern struct rte_mempool *pool;       /* 2 KiB data room: scatter for jumbo */
extern struct rte_mempool *big_pool;   /* 10 KiB data room */
extern struct rte_mempool *jumbo_pool; /* 16 KiB data room: 12000-byte frames in one segment */
extern volatile int lsc_events[RTE_MAX_ETHPORTS]; /* LSC events since setup_port_mtu() */

/* ---- ports and pairs (ports.c) -------------------------------------------- */

/* Create vdev name with devargs args; its port id in *port. 0 or negative errno. */
int add_port(const char *name, const char *args, uint16_t *port);

/* Configure nq queue pairs with MTU mtu (RX scatter on) and nb_desc
 * descriptors (0: the port's default), RX mbufs from mp, register the LSC
 * callback (lsc_events[port] from 0) and start. 0 or negative errno. */
int setup_port_mtu(uint16_t port, uint16_t nq, struct rte_mempool *mp, uint16_t mtu,
		   uint16_t nb_desc);
/* Unregister setup_port_mtu()'s LSC callback (ethdev keeps callbacks
 * across a close: they are the application's to remove). */
void lsc_unregister(uint16_t port);
/* The same with MTU 9000 and default descriptor counts. */
int setup_port(uint16_t port, uint16_t nq, struct rte_mempool *mp);

/* Configure one queue pair of a stopped port with conf, set up RX
 * queue 0 from mp (NULL: keep the RX queue as it is) and TX queue 0 with
 * tx_desc descriptors (0: default), and start. 0 or negative errno. */
int port_start(uint16_t port, const struct rte_eth_conf *conf, struct rte_mempool *mp,
	       uint16_t tx_desc);

/* 1 when port's link is up (up != 0) or down, else 0. */
int link_is(uint16_t port, int up);
/* Wait up to ms milliseconds for both a and b to be up (or down): 1 or 0. */
int wait_link(uint16_t a, uint16_t b, int up, unsigned int ms);

/* Probe host net_cxlmem_<tag>h and device net_cxlmem_<tag>d on window file
 * <win_path>.<tag>, each end with its own extra devargs (after them, the
 * run's). 0, or -1 when a probe failed. */
int pair_probe(const char *tag, const char *hextra, const char *dextra, uint16_t *h,
	       uint16_t *d);
/* pair_probe(), then each end set up with setup_port_mtu() (its queue
 * count and MTU, 10 KiB mbufs); link up. 0 or -1. */
int pair_up(const char *tag, const char *hextra, const char *dextra, uint16_t hq, uint16_t dq,
	    uint16_t hmtu, uint16_t dmtu, uint16_t *h, uint16_t *d);
/* Remove a pair of pair_probe()/pair_up() (callbacks unregistered) and its file. */
void pair_down(const char *tag, uint16_t h, uint16_t d);

/* The main pair, a suite's set-up and tear-down: host net_cxlmem0
 * (main_host) and device net_cxlmem1 (main_dev) on win_path, NB_QUEUES
 * queue pairs, MTU 9000, the host receiving into 10 KiB mbufs, the device
 * into 2 KiB ones (jumbo frames scatter); link up and an LSC event on each
 * end. main_pair_up() returns 0, or -1 when the ports are not up.
 * main_pair_down() closes the device end (the host must see its link go
 * down), then the host, and removes win_path. */
extern uint16_t main_host, main_dev;
int main_pair_up(void);
void main_pair_down(void);

/* Bytes allocated in DPDK's heap, every socket. */
size_t heap_used(void);

/* ---- bursts (ports.c) ------------------------------------------------------ */

/* Send nsizes * rounds frames of the given sizes (cycling) on every queue
 * from tx to rx (TX chains of seg_size-byte mbufs) and check each arrives
 * once, intact, in order per queue; what names the transfer in failures. */
void transfer(uint16_t tx, uint16_t rx, const uint32_t *sizes, unsigned int nsizes,
	      unsigned int rounds, uint32_t seg_size, const char *what);
/* Receive on (port, q) until nothing comes for 20 ms; frees the frames and
 * returns how many came, and (last_len not NULL) the length of the last. */
unsigned int drain(uint16_t port, uint16_t q, uint32_t *last_len);
/* Receive up to max frames on (port, 0) into out[] (not freed) until 50 ms
 * pass without one; returns how many. */
unsigned int recv_all(uint16_t port, struct rte_mbuf **out, unsigned int max);
/* Send n frames of len bytes (make_frame(), sequence from seq) on queue 0,
 * retrying for up to 5 s; checks that all were taken. */
void send_frames(uint16_t port, unsigned int n, uint32_t len, uint32_t seq);
/* Receive n frames on queue 0 into out[] (not freed) within 5 s, checking
 * each against make_frame(len, seq + i, 0); returns how many came. */
unsigned int recv_frames(uint16_t port, struct rte_mbuf **out, unsigned int n, uint32_t len,
			 uint32_t seq);

/* ---- frames (frames.c) ------------------------------------------------------ */

/* The test frame of len bytes: Ethernet header (EtherType 0x88b5), the
 * 32-bit sequence seq, then a pattern of seq and q. */
void fill(uint8_t *p, uint32_t len, uint32_t seq, uint32_t q);
/* fill() as an mbuf chain of mp, seg_size bytes a segment; NULL when mp is short. */
struct rte_mbuf *make_frame_from(struct rte_mempool *mp, uint32_t len, uint32_t seq, uint32_t q,
				 uint32_t seg_size);
/* make_frame_from(big_pool, ...). */
struct rte_mbuf *make_frame(uint32_t len, uint32_t seq, uint32_t q, uint32_t seg_size);
/* 1 when m is exactly fill(len, seq, q), else 0. */
int check_frame(struct rte_mbuf *m, uint32_t len, uint32_t seq, uint32_t q);

/* Byte i of the TCP and UDP payloads of make_tcp() and make_l4_partial(). */
uint8_t tcp_pat(uint32_t i);
/* A TCP frame over IPv4 or IPv6 with payload (<= 64000) bytes, sequence
 * seq, ACK|PSH|FIN, as a chain of 8000-byte segments of big_pool; ol: the
 * TX offload flags to request (lengths and tso_segsz = mss filled in).
 * NULL when big_pool is short. */
struct rte_mbuf *make_tcp(bool v6, uint32_t payload, uint16_t mss, uint64_t ol, uint32_t seq);
/* A received frame of a make_tcp() stream that began at seq0: its TCP
 * payload length, or -1 when a payload byte (or, want_csum, a full
 * checksum or the IPv4 length) is wrong. */
int check_tcp(struct rte_mbuf *m, bool v6, uint32_t seq0, bool want_csum);
/* A TCP or UDP frame over IPv4 or IPv6 with payload bytes (pattern ^ salt)
 * in one mbuf of big_pool, its L4 checksum requested as an offload (the
 * field holds the pseudo-header sum). NULL when big_pool is short. */
struct rte_mbuf *make_l4_partial(bool v6, bool udp, uint32_t payload, uint8_t salt);
/* Whether a received make_l4_partial() frame's L4 checksum is valid. */
bool l4_csum_valid(struct rte_mbuf *m, bool v6);

#endif /* CXLMEM_ETHDEV_TEST_H */
