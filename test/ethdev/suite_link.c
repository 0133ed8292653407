/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * suite_link.c - the link between the two ends: LSC events, a peer's
 * restart (no frame of its old life delivered), the device end started
 * before any host, a peer of another layout version, a peer that polls
 * with its heartbeat late. The suite's set-up
 * brings up the main pair (an LSC event on each end at link up); its
 * tear-down closes the device end first, and the host must see the link
 * go down.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "cxlmem_layout.h"
#include "ethdev_test.h"

/* Frames of the device's old life left in the ring when it restarts: the
 * host gets none of them, an LSC event for the link down, and traffic
 * flows again both ways. */
static void
test_restart(void)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n, i;
	int before = lsc_events[main_host];
	uint64_t restarts = xstat(main_host, "peer_restarts");

	/* Leave frames from the device's old life in the ring, then restart
	 * the device port: none of them may reach the host. */
	for (i = 0; i < BURST; i++)
		pkts[i] = make_frame(100, 0xdead0000u + i, 1, 10000);
	n = rte_eth_tx_burst(main_dev, 1, pkts, BURST);
	CHECK(n == BURST, "pre-restart tx %u", n);
	rte_eth_dev_stop(main_dev);
	CHECK(wait_link(main_host, main_host, 0, 1000), "host link not down after device stop");
	/* The event is raised on the alarm thread just after the status. */
	for (i = 0; i < 1000 && lsc_events[main_host] == before; i++)
		rte_delay_us_sleep(1000);
	CHECK(lsc_events[main_host] > before, "no LSC event on host for link down");
	rte_eth_dev_start(main_dev);
	CHECK(wait_link(main_host, main_dev, 1, 2000), "link not back after device restart");
	CHECK(xstat(main_host, "peer_restarts") == restarts + 1, "peer_restarts %" PRIu64,
	      xstat(main_host, "peer_restarts"));
	n = rte_eth_rx_burst(main_host, 1, pkts, BURST);
	CHECK(n == 0, "%u stale frames delivered after peer restart", n);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	/* And traffic flows again both ways. */
	{
		uint32_t sz[] = {60, 9000};

		transfer(main_host, main_dev, sz, 2, 50, 10000, "after restart h2d");
		transfer(main_dev, main_host, sz, 2, 50, 10000, "after restart d2h");
	}
}

/* The device end starts first, on a window file that exists but that no
 * host has formatted yet; the host comes later. Both directions work, and
 * a restart of the host end is survived by the device end. */
static void
test_device_first(void)
{
	char path[300], args[512];
	uint16_t h, d;
	FILE *f;
	uint32_t sz[] = {60, 1500, 9000};

	snprintf(path, sizeof(path), "%s.devfirst", win_path);
	f = fopen(path, "w");
	CHECK(f != NULL && ftruncate(fileno(f), 32 << 20) == 0, "create %s", path);
	if (f != NULL)
		fclose(f);
	snprintf(args, sizeof(args), "role=device,path=%s,queues=%d%s%s", path, NB_QUEUES,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem2", args, &d) == 0, "device probe on unformatted window");
	CHECK(setup_port(d, NB_QUEUES, pool) == 0, "device setup");
	rte_delay_us_sleep(100 * 1000);
	CHECK(link_is(d, 0), "link up with no host");
	snprintf(args, sizeof(args), "role=host,path=%s,queues=%d%s%s", path, NB_QUEUES,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem3", args, &h) == 0, "host probe after device");
	CHECK(setup_port(h, NB_QUEUES, big_pool) == 0, "host setup");
	CHECK(wait_link(h, d, 1, 2000), "link up, device first");
	transfer(h, d, sz, 3, 20, 10000, "device-first h2d");
	transfer(d, h, sz, 3, 20, 10000, "device-first d2h");
	rte_eth_dev_stop(h);
	CHECK(wait_link(d, d, 0, 1000), "device link down after host stop");
	rte_eth_dev_start(h);
	CHECK(wait_link(h, d, 1, 2000), "link back after host restart");
	transfer(d, h, sz, 3, 20, 10000, "after host restart d2h");
	lsc_unregister(h);
	lsc_unregister(d);
	rte_eth_dev_stop(d);
	rte_eth_dev_close(d);
	rte_eth_dev_stop(h);
	rte_eth_dev_close(h);
	rte_eal_hotplug_remove("vdev", "net_cxlmem2");
	rte_eal_hotplug_remove("vdev", "net_cxlmem3");
	unlink(path);
}

/*
 * A host port alone on window <win_path>.<tag> (devargs "more", then the
 * suite's extra devargs), one queue pair set up, with no device end: the
 * test plays the device by writing its lines into the file (pwrite), as a
 * peer across the link would. Returns the window file, open read-write
 * (-1 on failure, after a failed CHECK); lone_host_close() undoes it.
 */
static int
lone_host_open(const char *tag, const char *name, const char *more, uint16_t *h,
	       char *path, size_t path_len)
{
	char args[512];

	snprintf(path, path_len, "%s.%s", win_path, tag);
	snprintf(args, sizeof(args), "role=host,path=%s,size=16M%s%s%s%s", path,
		 more[0] ? "," : "", more, extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port(name, args, h) == 0, "%s: host port", tag);
	CHECK(setup_port_mtu(*h, 1, pool, 1500, 0) == 0, "%s: host setup", tag);
	return open(path, O_RDWR);
}

static void
lone_host_close(const char *name, uint16_t h, int fd, const char *path)
{
	if (fd >= 0)
		close(fd);
	lsc_unregister(h);
	rte_eal_hotplug_remove("vdev", name);
	unlink(path);
}

/*
 * A peer of layout version 1 (its control line has no version: 0) gets no
 * link and no acknowledgement: the host never resynchronises with it. The
 * same fake peer saying version 2 is acknowledged, so the version is what
 * made the difference. The fake device writes its line straight into the
 * file (pwrite), with a heartbeat, as a peer across the link would.
 */
static void
test_peer_version(void)
{
	unsigned int v, i;
	char path[300];
	uint16_t h;
	int fd;

	if (stale_injected)
		return;
	fd = lone_host_open("ver", "net_cxlmem_vh", "", &h, path, sizeof(path));
	for (v = 0; v < 2; v++) {
		struct cxlmem_ctrl c, host;

		memset(&c, 0, sizeof(c));
		c.state = CXLMEM_STATE_RUNNING;
		c.epoch = 5 + v;
		c.version = v == 0 ? 0 : CXLMEM_LAYOUT_VERSION;
		for (i = 0; i < 30; i++) {
			c.heartbeat++;
			CHECK(pwrite(fd, &c, sizeof(c), CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE)) ==
			      sizeof(c), "pwrite");
			rte_delay_us_sleep(5000);
		}
		CHECK(pread(fd, &host, sizeof(host), CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_HOST)) ==
		      sizeof(host), "pread");
		if (v == 0)
			CHECK(host.peer_epoch_ack != c.epoch && link_is(h, 0),
			      "a layout version 1 peer was acknowledged (ack %u)", host.peer_epoch_ack);
		else
			CHECK(host.peer_epoch_ack == c.epoch,
			      "a layout version 2 peer was not acknowledged (ack %u)", host.peer_epoch_ack);
	}
	lone_host_close("net_cxlmem_vh", h, fd, path);
}

/*
 * A peer whose heartbeat stops while its lcore keeps polling (its control
 * thread starved on a loaded machine) keeps the link: the poll count on
 * the consumer line of a ring it receives on is proof of life. When the
 * polls stop too, the link goes down within link_timeout plus a tick or
 * two. The fake device writes its control line and that poll count
 * straight into the file (pwrite), as a peer across the link would.
 */
static void
test_peer_polls(void)
{
	const char *given = strstr(extra_devargs, "link_timeout=");
	struct cxlmem_superblock sb;
	struct cxlmem_ctrl c, host;
	unsigned int i, n, downs = 0, timeout_ms = 40;
	char path[300], more[32] = "";
	uint32_t polls = 0;
	off_t polls_off;
	uint16_t h;
	int fd;

	if (stale_injected)
		return;
	/* A link_timeout in the suite's devargs (slow emulated runs) is kept:
	 * the phases below scale with it. */
	if (given != NULL)
		timeout_ms = (unsigned int)strtoul(given + strlen("link_timeout="), NULL, 10);
	else
		snprintf(more, sizeof(more), "link_timeout=%u", timeout_ms);
	fd = lone_host_open("polls", "net_cxlmem_ph", more, &h, path, sizeof(path));
	CHECK(fd >= 0 && pread(fd, &sb, sizeof(sb), CXLMEM_SB_OFFSET) == sizeof(sb),
	      "superblock");
	/* The host transmits on ring H2D of queue 0; the device's receive
	 * burst writes that ring's consumer line. */
	polls_off = (off_t)(sb.queue_offset + (uint64_t)CXLMEM_DIR_H2D * sb.ring_stride) +
		    CXLMEM_LINE + (off_t)offsetof(struct cxlmem_ring_cons, polls);

	/* Link up with a live heartbeat, acknowledging the host's epoch. */
	memset(&c, 0, sizeof(c));
	c.state = CXLMEM_STATE_RUNNING;
	c.epoch = 3;
	c.version = CXLMEM_LAYOUT_VERSION;
	c.tick_us = 10000;
	for (i = 0; i < 200 && !link_is(h, 1); i++) {
		CHECK(pread(fd, &host, sizeof(host), CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_HOST)) ==
		      sizeof(host), "pread");
		c.peer_epoch_ack = host.epoch;
		c.heartbeat++;
		CHECK(pwrite(fd, &c, sizeof(c), CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE)) ==
		      sizeof(c), "pwrite");
		rte_delay_us_sleep(5000);
	}
	CHECK(link_is(h, 1), "no link with a live fake peer");

	/* Heartbeat frozen, polls moving: five timeouts with the link up. */
	n = 5 * timeout_ms / 5;
	for (i = 0; i < n; i++) {
		polls++;
		CHECK(pwrite(fd, &polls, sizeof(polls), polls_off) == sizeof(polls), "pwrite polls");
		rte_delay_us_sleep(5000);
		downs += link_is(h, 0);
	}
	CHECK(downs == 0, "a polling peer with a late heartbeat lost the link (%u of %u checks)",
	      downs, n);

	/* Nothing moves: down within the timeout and two ticks (and slack). */
	n = (3 * timeout_ms + 200) / 5;
	for (i = 0; i < n && !link_is(h, 0); i++)
		rte_delay_us_sleep(5000);
	CHECK(link_is(h, 0), "a silent peer kept the link for %u ms (link_timeout %u ms)", n * 5,
	      timeout_ms);
	lone_host_close("net_cxlmem_ph", h, fd, path);
}

static const struct unit_test_case link_cases[] = {
	TEST_CASE(test_restart),
	TEST_CASE(test_device_first),
	TEST_CASE(test_peer_version),
	TEST_CASE(test_peer_polls),
	TEST_CASES_END()
};

const struct unit_test_suite link_suite = {
	.name = "link",
	.setup = main_pair_up,
	.teardown = main_pair_down,
	.cases = link_cases,
};
