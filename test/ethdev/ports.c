/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ports.c - test_ethdev's ports: the run's environment, net_cxlmem vdevs,
 * host/device pairs of them (the main pair among them), links, the DPDK
 * heap, and the bursts the suites send and receive with.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "ethdev_test.h"

char win_path[256];
const char *extra_devargs = "";
bool stale_injected;
struct rte_mempool *pool;
struct rte_mempool *big_pool;
struct rte_mempool *jumbo_pool;
volatile int lsc_events[RTE_MAX_ETHPORTS];
uint16_t main_host = RTE_MAX_ETHPORTS;
uint16_t main_dev = RTE_MAX_ETHPORTS;

static int
lsc_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret)
{
	(void)type; (void)arg; (void)ret;
	lsc_events[port]++;
	return 0;
}

int
add_port(const char *name, const char *args, uint16_t *port)
{
	int ret = rte_vdev_init(name, args);

	if (ret != 0)
		return ret;
	return rte_eth_dev_get_port_by_name(name, port);
}

int
setup_port_mtu(uint16_t port, uint16_t nq, struct rte_mempool *mp, uint16_t mtu, uint16_t nb_desc)
{
	struct rte_eth_conf conf = { .rxmode = { .mtu = mtu, .offloads = RTE_ETH_RX_OFFLOAD_SCATTER },
				     .intr_conf = { .lsc = 1 } };
	uint16_t q;
	int ret;

	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret != 0)
		return ret;
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_desc, rte_socket_id(), NULL, mp);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_desc, rte_socket_id(), NULL);
		if (ret != 0)
			return ret;
	}
	/* Port ids come back after a port is removed: count from here. */
	lsc_events[port] = 0;
	rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
	return rte_eth_dev_start(port);
}

void
lsc_unregister(uint16_t port)
{
	rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL);
}

int
setup_port(uint16_t port, uint16_t nq, struct rte_mempool *mp)
{
	return setup_port_mtu(port, nq, mp, 9000, 0);
}

int
port_start(uint16_t port, const struct rte_eth_conf *conf, struct rte_mempool *mp,
	   uint16_t tx_desc)
{
	int ret = rte_eth_dev_configure(port, 1, 1, conf);

	if (ret == 0 && mp != NULL)
		ret = rte_eth_rx_queue_setup(port, 0, 0, rte_socket_id(), NULL, mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, tx_desc, rte_socket_id(), NULL);
	return ret != 0 ? ret : rte_eth_dev_start(port);
}

int
link_is(uint16_t port, int up)
{
	struct rte_eth_link l;

	if (rte_eth_link_get_nowait(port, &l) != 0)
		return 0;
	return l.link_status == (up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN);
}

int
wait_link(uint16_t a, uint16_t b, int up, unsigned int ms)
{
	while (ms-- > 0) {
		if (link_is(a, up) && link_is(b, up))
			return 1;
		rte_delay_us_sleep(1000);
	}
	return 0;
}

int
pair_probe(const char *tag, const char *hextra, const char *dextra, uint16_t *h, uint16_t *d)
{
	char args[512], hname[32], dname[32];

	snprintf(hname, sizeof(hname), "net_cxlmem_%sh", tag);
	snprintf(dname, sizeof(dname), "net_cxlmem_%sd", tag);
	snprintf(args, sizeof(args), "role=host,path=%s.%s%s%s%s%s", win_path, tag,
		 hextra[0] ? "," : "", hextra, extra_devargs[0] ? "," : "", extra_devargs);
	if (add_port(hname, args, h) != 0)
		return -1;
	snprintf(args, sizeof(args), "role=device,path=%s.%s%s%s%s%s", win_path, tag,
		 dextra[0] ? "," : "", dextra, extra_devargs[0] ? "," : "", extra_devargs);
	return add_port(dname, args, d) != 0 ? -1 : 0;
}

int
pair_up(const char *tag, const char *hextra, const char *dextra, uint16_t hq, uint16_t dq,
	uint16_t hmtu, uint16_t dmtu, uint16_t *h, uint16_t *d)
{
	if (pair_probe(tag, hextra, dextra, h, d) != 0)
		return -1;
	if (setup_port_mtu(*h, hq, big_pool, hmtu, 0) != 0 ||
	    setup_port_mtu(*d, dq, big_pool, dmtu, 0) != 0)
		return -1;
	return wait_link(*h, *d, 1, 2000) ? 0 : -1;
}

void
pair_down(const char *tag, uint16_t h, uint16_t d)
{
	char name[300];

	lsc_unregister(h);
	lsc_unregister(d);
	snprintf(name, sizeof(name), "net_cxlmem_%sd", tag);
	rte_eal_hotplug_remove("vdev", name);
	snprintf(name, sizeof(name), "net_cxlmem_%sh", tag);
	rte_eal_hotplug_remove("vdev", name);
	snprintf(name, sizeof(name), "%s.%s", win_path, tag);
	unlink(name);
}

int
main_pair_up(void)
{
	char host_args[512], dev_args[512];
	const char *sep = extra_devargs[0] ? "," : "";
	unsigned int i;
	int hp, dp, hs, ds, up;

	snprintf(host_args, sizeof(host_args), "role=host,path=%s,queues=%d%s%s", win_path,
		 NB_QUEUES, sep, extra_devargs);
	snprintf(dev_args, sizeof(dev_args), "role=device,path=%s,queues=%d%s%s", win_path,
		 NB_QUEUES, sep, extra_devargs);
	printf("host: %s\ndevice: %s\n", host_args, dev_args);
	main_host = main_dev = RTE_MAX_ETHPORTS;
	hp = add_port("net_cxlmem0", host_args, &main_host) == 0;
	CHECK(hp, "host probe");
	dp = add_port("net_cxlmem1", dev_args, &main_dev) == 0;
	CHECK(dp, "device probe");
	if (!hp || !dp)
		return -1;
	hs = setup_port(main_host, NB_QUEUES, big_pool) == 0;
	CHECK(hs, "host setup");
	ds = setup_port(main_dev, NB_QUEUES, pool) == 0;
	CHECK(ds, "device setup");
	up = wait_link(main_host, main_dev, 1, 2000);
	CHECK(up, "link up on both ends");
	for (i = 0; i < 1000 && (lsc_events[main_host] < 1 || lsc_events[main_dev] < 1); i++)
		rte_delay_us_sleep(1000);
	CHECK(lsc_events[main_host] >= 1 && lsc_events[main_dev] >= 1, "LSC events at link up");
	return hs && ds && up ? 0 : -1;
}

void
main_pair_down(void)
{
	/* Callbacks are the application's to remove (ethdev keeps them). */
	lsc_unregister(main_host);
	lsc_unregister(main_dev);
	CHECK(rte_eal_hotplug_remove("vdev", "net_cxlmem1") == 0, "device remove");
	CHECK(wait_link(main_host, main_host, 0, 1000), "host link down after device close");
	rte_eth_dev_stop(main_host);
	rte_eth_dev_close(main_host);
	rte_eal_hotplug_remove("vdev", "net_cxlmem0");
	unlink(win_path);
}

size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t used = 0;
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

void
transfer(uint16_t tx, uint16_t rx, const uint32_t *sizes, unsigned int nsizes,
	 unsigned int rounds, uint32_t seg_size, const char *what)
{
	uint32_t sent[NB_QUEUES] = {0}, got[NB_QUEUES] = {0}, bad = 0;
	const uint32_t total = nsizes * rounds;
	uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	uint16_t q;

	while (rte_get_timer_cycles() < deadline) {
		int done = 1;

		for (q = 0; q < NB_QUEUES; q++) {
			struct rte_mbuf *pkts[BURST];
			uint16_t n = 0, k, i;

			while (n < BURST && sent[q] + n < total) {
				uint32_t s = sent[q] + n;

				pkts[n] = make_frame(sizes[s % nsizes], s, q, seg_size);
				if (pkts[n] == NULL)
					break;
				n++;
			}
			k = rte_eth_tx_burst(tx, q, pkts, n);
			for (i = k; i < n; i++)
				rte_pktmbuf_free(pkts[i]);
			sent[q] += k;

			n = rte_eth_rx_burst(rx, q, pkts, BURST);
			for (i = 0; i < n; i++) {
				uint32_t s = got[q]++;

				if (!check_frame(pkts[i], sizes[s % nsizes], s, q))
					bad++;
				rte_pktmbuf_free(pkts[i]);
			}
			if (got[q] < total)
				done = 0;
		}
		if (done)
			break;
	}
	for (q = 0; q < NB_QUEUES; q++)
		CHECK(got[q] == total, "%s: queue %u received %u of %u", what, q, got[q], total);
	CHECK(bad == 0, "%s: %u frames corrupt or out of order", what, bad);
}

unsigned int
drain(uint16_t port, uint16_t q, uint32_t *last_len)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int got = 0, idle = 0;
	uint16_t n, i;

	while (idle < 20) {
		n = rte_eth_rx_burst(port, q, pkts, BURST);
		if (n == 0) {
			idle++;
			rte_delay_us_sleep(1000);
			continue;
		}
		idle = 0;
		for (i = 0; i < n; i++) {
			if (last_len != NULL)
				*last_len = pkts[i]->pkt_len;
			rte_pktmbuf_free(pkts[i]);
		}
		got += n;
	}
	return got;
}

unsigned int
recv_all(uint16_t port, struct rte_mbuf **out, unsigned int max)
{
	unsigned int got = 0, idle = 0;

	while (idle < 50 && got < max) {
		uint16_t n = rte_eth_rx_burst(port, 0, out + got,
					      (uint16_t)RTE_MIN(max - got, (unsigned int)BURST));

		if (n == 0) {
			idle++;
			rte_delay_us_sleep(1000);
		}
		got += n;
		if (n != 0)
			idle = 0;
	}
	return got;
}

void
send_frames(uint16_t port, unsigned int n, uint32_t len, uint32_t seq)
{
	unsigned int sent = 0;
	uint64_t deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

	while (sent < n && rte_get_timer_cycles() < deadline) {
		struct rte_mbuf *pkts[BURST];
		uint16_t k = (uint16_t)RTE_MIN(n - sent, (unsigned int)BURST), t, i;

		for (i = 0; i < k; i++)
			pkts[i] = make_frame(len, seq + sent + i, 0, 10000);
		t = rte_eth_tx_burst(port, 0, pkts, k);
		for (i = t; i < k; i++)
			rte_pktmbuf_free(pkts[i]);
		sent += t;
	}
	CHECK(sent == n, "sent %u of %u frames", sent, n);
}

unsigned int
recv_frames(uint16_t port, struct rte_mbuf **out, unsigned int n, uint32_t len, uint32_t seq)
{
	unsigned int got = 0, bad = 0;
	uint64_t deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

	while (got < n && rte_get_timer_cycles() < deadline) {
		uint16_t k = rte_eth_rx_burst(port, 0, out + got,
					      (uint16_t)RTE_MIN(n - got, (unsigned int)BURST)), i;

		for (i = 0; i < k; i++)
			if (!check_frame(out[got + i], len, seq + got + i, 0))
				bad++;
		got += k;
	}
	CHECK(bad == 0, "%u of %u frames corrupt", bad, got);
	return got;
}
