/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * suite_rx_intr.c - Rx interrupt mode (intr_conf.rxq) over the doorbells
 * beside a file window: when they ring and when not, their names (a
 * sub-window's offset, a window opened through a symlink, prefixes that do
 * not match), and a port without them. Every case brings up ports of its
 * own; the suite has no set-up of its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "ethdev_test.h"

/* Is fd readable within ms milliseconds? */
static bool
fd_ready(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

/* Restart port with Rx interrupts (intr_conf.rxq; a started port refuses
 * a new configuration). Returns 0 or the first negative errno. */
static int
intr_restart(uint16_t port)
{
	const struct rte_eth_conf conf = { .intr_conf = { .rxq = 1 } };
	int ret;

	rte_eth_dev_stop(port);
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	return ret != 0 ? ret : rte_eth_dev_start(port);
}

/* rte_eth_dev_rx_intr_enable(port, 0), retried for up to 500 ms while it
 * says -EAGAIN: the peer's doorbell flag reaches us on its next heartbeat. */
static int
intr_enable_wait(uint16_t port)
{
	unsigned int i;
	int ret = -EAGAIN;

	for (i = 0; i < 500 && ret == -EAGAIN; i++) {
		ret = rte_eth_dev_rx_intr_enable(port, 0);
		if (ret == -EAGAIN)
			rte_delay_us_sleep(1000);
	}
	return ret;
}

/* Restart the device end d of the pair (h, d) with Rx interrupts, arm its
 * queue 0 and send it one frame from h. Returns d's queue 0 interrupt fd
 * (-1: none, a failed check said why). */
static int
intr_arm_and_send(uint16_t h, uint16_t d, const char *what)
{
	int fd, ret;

	CHECK(intr_restart(d) == 0 && wait_link(h, d, 1, 2000),
	      "intr: %s: device restart with intr_conf.rxq, link up", what);
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(d, 0);
	ret = intr_enable_wait(d);
	CHECK(fd >= 0 && ret == 0, "intr: %s: enable: fd %d, %d", what, fd, ret);
	send_frames(h, 1, 100, 1);
	return fd;
}

/*
 * Rx interrupt mode (intr_conf.rxq) over the doorbell beside a file
 * window: an armed queue's fd becomes readable when the peer sends, once
 * per request; disarming consumes the doorbell; arming with frames already
 * waiting rings at once; no doorbell rung while the receiver polls; the
 * socket name exists only while the port is started.
 */
static void
test_rx_intr(void)
{
	char sock[600];
	struct rte_mbuf *m;
	uint16_t h, d;
	int fd, ret;

	CHECK(pair_up("intr", "size=8M", "", 1, 1, 1500, 1500, &h, &d) == 0, "intr: pair up");
	/* Both ends with Rx interrupts. */
	CHECK(intr_restart(h) == 0 && intr_restart(d) == 0, "intr: restart with intr_conf.rxq");
	CHECK(wait_link(h, d, 1, 2000), "intr: link up");
	snprintf(sock, sizeof(sock), "%s.intr.db-h2d-0", win_path);
	CHECK(access(sock, F_OK) == 0, "intr: %s exists while started", sock);
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(d, 0);
	CHECK(fd >= 0, "intr: queue 0 has an interrupt fd");
	if (fd < 0)
		goto out;
	ret = intr_enable_wait(d);
	CHECK(ret == 0, "intr: enable: %d", ret);
	CHECK(!fd_ready(fd, 20), "intr: armed, nothing sent, fd quiet");
	send_frames(h, 1, 100, 1);
	CHECK(fd_ready(fd, 1000), "intr: a frame from the peer rings the doorbell");
	send_frames(h, 3, 100, 2);
	rte_delay_us_sleep(20000);
	CHECK(xstat(h, "tx_doorbells") == 1, "intr: one doorbell per request, rang %" PRIu64,
	      xstat(h, "tx_doorbells"));
	CHECK(rte_eth_dev_rx_intr_disable(d, 0) == 0, "intr: disable");
	CHECK(!fd_ready(fd, 0), "intr: disable consumed the doorbell");
	CHECK(drain(d, 0, NULL) == 4, "intr: the 4 frames arrive");
	/* Polling (disarmed): the sender rings no doorbell. */
	send_frames(h, 2, 100, 6);
	rte_delay_us_sleep(20000);
	CHECK(xstat(h, "tx_doorbells") == 1, "intr: no doorbell while the receiver polls");
	CHECK(!fd_ready(fd, 0), "intr: fd quiet while polling");
	/* Frames already waiting: arming rings at once. */
	CHECK(rte_eth_dev_rx_intr_enable(d, 0) == 0, "intr: enable with frames waiting");
	CHECK(fd_ready(fd, 0), "intr: frames waiting when armed: the fd is readable at once");
	rte_eth_dev_rx_intr_disable(d, 0);
	CHECK(recv_frames(d, &m, 1, 100, 6) == 1, "intr: waiting frame received");
	rte_pktmbuf_free(m);
	drain(d, 0, NULL);
	/* Frames sent before the peer stopped are still ours to take: the
	 * doorbell still says so when we arm. */
	send_frames(h, 2, 100, 8);
	rte_eth_dev_stop(h);
	CHECK(wait_link(d, d, 0, 1000), "intr: link down after the peer stopped");
	ret = rte_eth_dev_rx_intr_enable(d, 0);
	CHECK(ret == 0 && fd_ready(fd, 0), "intr: a backlog from before the peer stopped rings "
	      "(enable %d)", ret);
	rte_eth_dev_rx_intr_disable(d, 0);
	CHECK(drain(d, 0, NULL) == 2, "intr: the backlog is received after the peer stopped");
	rte_eth_dev_stop(d);
	CHECK(access(sock, F_OK) != 0, "intr: %s removed at stop", sock);
out:
	pair_down("intr", h, d);
}

/* A sub-window's doorbells carry its offset (two sub-windows of one file
 * must not share them). */
static void
test_rx_intr_subwindow(void)
{
	char sock[600];
	uint16_t h, d;

	CHECK(pair_up("intro", "size=8M,offset=8M", "offset=8M", 1, 1, 1500, 1500, &h, &d) == 0,
	      "intr: sub-window pair up");
	CHECK(intr_restart(d) == 0, "intr: sub-window restart with intr_conf.rxq");
	snprintf(sock, sizeof(sock), "%s.intro.800000.db-h2d-0", win_path);
	CHECK(access(sock, F_OK) == 0, "intr: %s exists", sock);
	pair_down("intro", h, d);
}

/* One file under two names (the device end through a symlink): both ends
 * name the doorbells after the file's canonical path, so a frame from the
 * host still rings the device. */
static void
test_rx_intr_symlink(void)
{
	char args[512], sock[600];
	uint16_t h, d;
	int fd;

	snprintf(args, sizeof(args), "role=host,path=%s.intrl,size=8M%s%s", win_path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_intrlh", args, &h) == 0, "intr: symlink pair host probe");
	snprintf(sock, sizeof(sock), "%s.intrl-link", win_path);
	snprintf(args, sizeof(args), "%s.intrl", win_path);
	unlink(sock);
	CHECK(symlink(args, sock) == 0, "intr: symlink %s -> %s: %s", sock, args, strerror(errno));
	snprintf(args, sizeof(args), "role=device,path=%s.intrl-link%s%s", win_path,
		 extra_devargs[0] ? "," : "", extra_devargs);
	CHECK(add_port("net_cxlmem_intrld", args, &d) == 0, "intr: device probe through the symlink");
	CHECK(setup_port_mtu(h, 1, big_pool, 1500, 0) == 0 &&
	      setup_port_mtu(d, 1, big_pool, 1500, 0) == 0, "intr: symlink pair setup");
	fd = intr_arm_and_send(h, d, "symlink pair");
	CHECK(fd >= 0 && fd_ready(fd, 1000), "intr: the host rings a device that opened the window "
	      "through a symlink");
	rte_eth_dev_rx_intr_disable(d, 0);
	drain(d, 0, NULL);
	pair_down("intrl", h, d);
	unlink(sock);
}

/* Two different doorbell prefixes: the sender's ring finds no socket;
 * counted as lost, the receiver's fd stays quiet. */
static void
test_rx_intr_prefix_mismatch(void)
{
	char args[512], sock[600];
	uint16_t h, d;
	int fd;

	snprintf(args, sizeof(args), "doorbell=%s.dba", win_path);
	snprintf(sock, sizeof(sock), "doorbell=%s.dbb", win_path);
	CHECK(pair_up("intrm", args, sock, 1, 1, 1500, 1500, &h, &d) == 0, "intr: mismatched pair up");
	fd = intr_arm_and_send(h, d, "mismatched pair");
	CHECK(fd >= 0 && !fd_ready(fd, 50), "intr: a doorbell under another prefix does not arrive");
	CHECK(xstat(h, "tx_doorbells_lost") == 1 && xstat(h, "tx_doorbells") == 0,
	      "intr: the sender counts the lost doorbell (lost %" PRIu64 ", rung %" PRIu64 ")",
	      xstat(h, "tx_doorbells_lost"), xstat(h, "tx_doorbells"));
	rte_eth_dev_rx_intr_disable(d, 0);
	CHECK(drain(d, 0, NULL) == 1, "intr: the frame is received by polling");
	pair_down("intrm", h, d);
}

/* A port without a doorbell (doorbell=off) refuses intr_conf.rxq. */
static void
test_rx_intr_no_doorbell(void)
{
	const struct rte_eth_conf conf = { .intr_conf = { .rxq = 1 } };
	char args[512];
	uint16_t off;

	snprintf(args, sizeof(args), "role=host,path=%s.nodb,doorbell=off", win_path);
	CHECK(add_port("net_cxlmem_nodb", args, &off) == 0, "intr: doorbell=off probe");
	CHECK(rte_eth_dev_configure(off, 1, 1, &conf) == -ENOTSUP,
	      "intr: intr_conf.rxq without a doorbell is refused");
	CHECK(rte_eth_dev_rx_intr_enable(off, 0) != 0, "intr: enable without Rx interrupts fails");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_nodb");
	snprintf(args, sizeof(args), "%s.nodb", win_path);
	unlink(args);
}

static const struct unit_test_case rx_intr_cases[] = {
	TEST_CASE(test_rx_intr),
	TEST_CASE(test_rx_intr_subwindow),
	TEST_CASE(test_rx_intr_symlink),
	TEST_CASE(test_rx_intr_prefix_mismatch),
	TEST_CASE(test_rx_intr_no_doorbell),
	TEST_CASES_END()
};

const struct unit_test_suite rx_intr_suite = {
	.name = "rx_intr",
	.cases = rx_intr_cases,
};
