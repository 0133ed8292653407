/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: ethdev ports (the transport, and net_tap for the tap backend),
 * their offloads and link state; the kernel interface's rtnetlink settings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <ethdev_driver.h>   /* rte_eth_devices[].data->mtu, see fwd_setup_port() */
#include <rte_jhash.h>

#include "fwd.h"
#include "ports.h"

/* Offloads the tun backend can use on the transport when it offers them:
 * the virtio_net_hdr information mapped to mbuf fields. */
#define XPORT_TX_OFFLOADS (RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_UDP_TSO | \
			   RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
			   RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
#define XPORT_RX_OFFLOADS (RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | \
			   RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)

unsigned int
fwd_frame_len(const struct fwd_opts *o)
{
	return o->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
}

unsigned int
fwd_data_room(const struct fwd_opts *o)
{
	return o->mbuf_size - RTE_PKTMBUF_HEADROOM;
}

unsigned int
fwd_segs(const struct fwd_opts *o, unsigned int frame_len)
{
	return (frame_len + fwd_data_room(o) - 1) / fwd_data_room(o);
}

void
fwd_probe_port(const struct fwd_ctx *ctx, struct port_info *pi, const char *devargs,
	       const char *role)
{
	const char *comma = strchr(devargs, ',');
	size_t len = comma ? (size_t)(comma - devargs) : strlen(devargs);
	int ret;

	if (len >= sizeof(pi->name))
		rte_exit(EXIT_FAILURE, "cxl-fwd: device name in '%s' (%s) is longer than %zu bytes\n",
			 devargs, role, sizeof(pi->name) - 1);
	memcpy(pi->name, devargs, len);
	pi->name[len] = '\0';
	/* rte_vdev_init() takes the arguments apart from the name, with no
	 * length limit (rte_dev_probe() refuses 128 bytes or more on some
	 * DPDK releases). */
	ret = rte_vdev_init(pi->name, comma != NULL ? comma + 1 : NULL);
	if (ret != 0) {
		if (pi == &ctx->xport && ctx->opts.xport_is_cxl)
			fprintf(stderr, "cxl-fwd: check --cxl: role=host needs size= when the "
				"window file does not exist yet; role=device needs it to exist; "
				"see the cxlmem log lines above\n");
		rte_exit(EXIT_FAILURE, "cxl-fwd: cannot create port '%s' (%s): %s\n", devargs,
			 role, rte_strerror(-ret));
	}
	if (rte_eth_dev_get_port_by_name(pi->name, &pi->id) != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: device '%s' was probed but is not an ethdev port\n",
			 pi->name);
	pi->label = pi->name;
	pi->link_up = -1;	/* unknown: the first check prints it */
	pi->ctx = ctx;
}

static int
lsc_event_cb(uint16_t port_id, enum rte_eth_event_type type, void *param, void *ret)
{
	struct port_info *pi = param;
	struct rte_eth_link link;

	RTE_SET_USED(type);
	RTE_SET_USED(ret);
	if (pi->id != port_id || rte_eth_link_get_nowait(port_id, &link) != 0)
		return 0;
	if (pi->link_up != link.link_status) {
		pi->link_up = link.link_status;
		printf("[%7.1fs] %s: link %s\n", fwd_now_s(pi->ctx), pi->label,
		       link.link_status ? "up" : "down");
		fflush(stdout);
	}
	return 0;
}

void
fwd_port_refresh_link(struct port_info *pi)
{
	lsc_event_cb(pi->id, RTE_ETH_EVENT_INTR_LSC, pi, NULL);
}

void
fwd_setup_port(const struct fwd_ctx *ctx, struct port_info *pi, const struct fwd_port_cfg *cfg)
{
	const struct fwd_opts *o = &ctx->opts;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t id = pi->id;
	uint16_t nb_rxd, nb_txd;
	unsigned int q;
	bool multiseg;
	int ret;

	ret = rte_eth_dev_info_get(id, &info);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: cannot get device info: %s\n",
			 pi->label, rte_strerror(-ret));
	if (info.max_rx_queues < o->queues || info.max_tx_queues < o->queues)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s offers %u rx / %u tx queues, %u needed; %s\n",
			 pi->label, info.max_rx_queues, info.max_tx_queues, o->queues,
			 pi == &ctx->xport && o->xport_is_cxl ?
			 "the window geometry (queues=) must match on both sides" :
			 "lower --queues");

	memset(&conf, 0, sizeof(conf));
	/* The ethdev MTU; TAP advertises 1522-byte frames only although the
	 * kernel side takes any MTU, so its MTU is set through rtnetlink. */
	if (o->mtu <= info.max_mtu && o->mtu >= info.min_mtu &&
	    fwd_frame_len(o) - RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN <= info.max_rx_pktlen)
		conf.rxmode.mtu = o->mtu;
	else if (!cfg->is_tap)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s takes MTU %u..%u (frames up to %u bytes); "
			 "--mtu %u is out of range\n", pi->label, info.min_mtu,
			 info.max_mtu, info.max_rx_pktlen, o->mtu);

	/* Offloads: enabled from the capabilities alone, so that they come
	 * into use the day the driver advertises them. */
	if (cfg->want_offloads) {
		conf.txmode.offloads |= info.tx_offload_capa & XPORT_TX_OFFLOADS;
		conf.rxmode.offloads |= info.rx_offload_capa & XPORT_RX_OFFLOADS;
		if (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO)
			conf.rxmode.max_lro_pkt_size = RTE_MIN(info.max_lro_pkt_size,
							      (uint32_t)GSO_MAX_FRAME);
	}
	multiseg = cfg->max_frame > fwd_data_room(o) ||
		   (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO);
	if (multiseg) {
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else if (!(pi == &ctx->xport && o->xport_is_cxl))
			rte_exit(EXIT_FAILURE, "cxl-fwd: %s cannot receive %u-byte frames into "
				 "%u-byte mbufs (no scatter); use --mbuf-size %u or more\n",
				 pi->label, fwd_frame_len(o), fwd_data_room(o),
				 fwd_frame_len(o) + RTE_PKTMBUF_HEADROOM);
	}
	/* Chains come from the kernel side (tun reads, TAP) and from LRO. */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	conf.intr_conf.rxq = cfg->rx_intr;

	ret = rte_eth_dev_configure(id, o->queues, o->queues, &conf);
	if (ret == -ENOTSUP && conf.intr_conf.rxq && !cfg->is_tap) {
		/* net_cxlmem without a doorbell (devdax, doorbell=off). */
		printf("cxl-fwd: %s: no Rx interrupts; while idle the window is looked at every "
		       "--idle-sleep\n", pi->label);
		conf.intr_conf.rxq = 0;
		ret = rte_eth_dev_configure(id, o->queues, o->queues, &conf);
	}
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: configure (%u queues, MTU %u, offloads "
			 "rx 0x%" PRIx64 " tx 0x%" PRIx64 "): %s\n", pi->label, o->queues,
			 conf.rxmode.mtu, conf.rxmode.offloads, conf.txmode.offloads,
			 rte_strerror(-ret));
	pi->rx_offloads = conf.rxmode.offloads;
	pi->tx_offloads = conf.txmode.offloads;
	pi->rx_intr = conf.intr_conf.rxq;
	/* net_tap advertises 1522-byte frames (so ethdev refuses a larger MTU)
	 * but its kernel side takes any MTU; its transmit path drops frames
	 * longer than the ethdev MTU. Raise that MTU to ours directly; the
	 * kernel interface's MTU is set through rtnetlink. */
	if (cfg->is_tap && conf.rxmode.mtu != o->mtu)
		rte_eth_devices[id].data->mtu = (uint16_t)o->mtu;
	/* TAP: one receive descriptor is one segment of a frame. */
	nb_rxd = cfg->is_tap ? (uint16_t)RTE_MAX(fwd_segs(o, fwd_frame_len(o)) + 1, 4u) : o->rxd;
	nb_txd = o->txd;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: descriptor counts: %s\n", pi->label,
			 rte_strerror(-ret));
	rxc = info.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (q = 0; q < o->queues; q++) {
		ret = rte_eth_rx_queue_setup(id, q, nb_rxd, rte_eth_dev_socket_id(id),
					     &rxc, ctx->pool);
		if (ret != 0)
			rte_exit(EXIT_FAILURE, "cxl-fwd: %s: rx queue %u setup: %s "
				 "(try more --mbufs or EAL -m)\n", pi->label, q, rte_strerror(-ret));
		ret = rte_eth_tx_queue_setup(id, q, nb_txd, rte_eth_dev_socket_id(id), &txc);
		if (ret != 0)
			rte_exit(EXIT_FAILURE, "cxl-fwd: %s: tx queue %u setup: %s\n",
				 pi->label, q, rte_strerror(-ret));
	}
	if (conf.intr_conf.lsc)
		rte_eth_dev_callback_register(id, RTE_ETH_EVENT_INTR_LSC, lsc_event_cb, pi);
	/* The transport carries every frame, whatever its destination MAC; the
	 * kernel interface keeps its own filtering. */
	if (cfg->promisc) {
		ret = rte_eth_promiscuous_enable(id);
		if (ret != 0 && ret != -ENOTSUP)
			printf("cxl-fwd: %s: promiscuous mode: %s\n", pi->label,
			       rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(id);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: start: %s%s\n", pi->label, rte_strerror(-ret),
			 conf.intr_conf.rxq && !cfg->is_tap ?
			 " (with Rx interrupts; doorbell=off in its devargs, or --poll busy, "
			 "does without)" : "");
}

void
fwd_close_port(struct port_info *pi)
{
	rte_eth_dev_callback_unregister(pi->id, RTE_ETH_EVENT_INTR_LSC, lsc_event_cb, pi);
	rte_eth_dev_close(pi->id);
}

void
fwd_setup_xport(struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = &ctx->opts;
	struct fwd_port_cfg cfg = {
		.max_frame = fwd_frame_len(o),
		.promisc = true,
		.want_offloads = o->kernel == FWD_KERN_TUN && o->offloads,
		/* Adaptive polling sleeps on the window's doorbell too. Only
		 * net_cxlmem's: how another PMD's Rx interrupt fd is consumed
		 * (vhost's proxy epoll fds, memif's eventfds) is its own. */
		.rx_intr = o->poll == FWD_POLL_ADAPTIVE && o->xport_is_cxl,
	};

	fwd_setup_port(ctx, &ctx->xport, &cfg);
}

/* A locally administered MAC that stays the same across restarts, so that
 * the peer's neighbour cache remains valid. */
void
fwd_default_mac(const struct fwd_opts *o, struct rte_ether_addr *mac)
{
	uint32_t h1 = rte_jhash(o->xport_devargs, strlen(o->xport_devargs), 0x63786c31);
	uint32_t h2 = rte_jhash(o->iface, strlen(o->iface), h1);

	mac->addr_bytes[0] = 0x02;
	mac->addr_bytes[1] = (uint8_t)(h1 >> 24);
	mac->addr_bytes[2] = (uint8_t)(h2 >> 24);
	mac->addr_bytes[3] = (uint8_t)(h2 >> 16);
	mac->addr_bytes[4] = (uint8_t)(h2 >> 8);
	mac->addr_bytes[5] = (uint8_t)h2;
}

/* MTU, up and addresses of the kernel interface, through rtnetlink. */
void
fwd_configure_kernel_iface(struct fwd_ctx *ctx)
{
	const struct fwd_opts *o = &ctx->opts;
	char text[INET6_ADDRSTRLEN];
	unsigned int i;
	int ret;

	ctx->kern_ifindex = if_nametoindex(o->iface);
	if (ctx->kern_ifindex == 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: interface %s not found after creating it; with "
			 "--kernel-devargs, --iface must name the interface that device creates\n",
			 o->iface);
	ret = fwd_nl_link_set(ctx->kern_ifindex, o->mtu, 1);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "cxl-fwd: %s: setting MTU %u and up: %s\n", o->iface,
			 o->mtu, strerror(-ret));
	for (i = 0; i < o->n_addrs; i++) {
		ret = fwd_nl_addr_add(ctx->kern_ifindex, &o->addrs[i]);
		inet_ntop(o->addrs[i].family, &o->addrs[i].addr, text, sizeof(text));
		if (ret != 0)
			rte_exit(EXIT_FAILURE, "cxl-fwd: %s: adding %s/%u: %s\n", o->iface, text,
				 o->addrs[i].prefixlen, strerror(-ret));
		printf("cxl-fwd: %s: address %s/%u\n", o->iface, text, o->addrs[i].prefixlen);
	}
}
