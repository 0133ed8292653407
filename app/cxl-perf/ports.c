/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cards of each transport.  A card is one link with two ends:
 *   cxlmem  one window: net_cxlmem role=host and role=device on the same file
 *   memif   one socket:  net_memif role=server (host end), role=client
 *   ring    rte_rings crossed between two net_ring ports (one process only)
 * A process creates the ends its --role asks for; port ids live in
 * perf_card.port[end], RTE_MAX_ETHPORTS for an end held by the other process.
 * The transports are the lines of perf_transports[] below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_ring.h>
#include <rte_string_fns.h>

#include "cxl_perf.h"

#define XS_MAX 16

/* One line per transport (struct perf_transport); the first is the anchor.
 * A net_cxlmem variant is one more line, e.g.
 *	{"cxlmem-zc", PERF_DRV_CXLMEM, "zerocopy=rx"},
 * and runs with --compare cxlmem-zc, its cards in windows of their own. */
const struct perf_transport perf_transports[] = {
	/* name          driver           devargs of each end */
	{"cxlmem",       PERF_DRV_CXLMEM, ""},
	{"memif",        PERF_DRV_MEMIF,  ""},
	{"ring",         PERF_DRV_RING,   ""},
	{"cxlmem-flush", PERF_DRV_CXLMEM, "coherence=flush"},
	{"cxlmem-zc",    PERF_DRV_CXLMEM, "zerocopy=rx"},
	{"cxlmem-nt",    PERF_DRV_CXLMEM, "nt_store=on"},
};

const unsigned int perf_nb_transports = RTE_DIM(perf_transports);

_Static_assert(RTE_DIM(perf_transports) <= PERF_MAX_TP, "raise PERF_MAX_TP");

/* xstats ids of the window counters, found by name once per port */
static struct {
	bool looked_up;
	unsigned int n_wr, n_rd;
	uint64_t wr[XS_MAX], rd[XS_MAX];
} xs_cache[RTE_MAX_ETHPORTS];

static bool
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* Every xstat whose name ends in window_bytes_written/read is summed: the
 * PMD may report them per port or per queue ("rx_q0_window_bytes_read"). */
static void
xs_lookup(uint16_t port)
{
	struct rte_eth_xstat_name *names;
	int n, i;

	xs_cache[port].looked_up = true;
	n = rte_eth_xstats_get_names(port, NULL, 0);
	if (n <= 0)
		return;
	names = calloc(n, sizeof(*names));
	if (names == NULL)
		return;
	if (rte_eth_xstats_get_names(port, names, n) == n) {
		for (i = 0; i < n; i++) {
			if (ends_with(names[i].name, "window_bytes_written") &&
			    xs_cache[port].n_wr < XS_MAX)
				xs_cache[port].wr[xs_cache[port].n_wr++] = i;
			else if (ends_with(names[i].name, "window_bytes_read") &&
				 xs_cache[port].n_rd < XS_MAX)
				xs_cache[port].rd[xs_cache[port].n_rd++] = i;
		}
	}
	free(names);
}

static uint64_t
xs_sum(uint16_t port, const uint64_t *ids, unsigned int n)
{
	uint64_t v[XS_MAX], s = 0;
	unsigned int i;

	if (n == 0 || rte_eth_xstats_get_by_id(port, ids, v, n) != (int)n)
		return UINT64_MAX;
	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

void
perf_port_snap(uint16_t port, struct perf_portsnap *s)
{
	struct rte_eth_stats st;

	memset(s, 0, sizeof(*s));
	s->win_wr = s->win_rd = UINT64_MAX;
	if (port >= RTE_MAX_ETHPORTS)
		return;
	if (!xs_cache[port].looked_up)
		xs_lookup(port);
	s->win_wr = xs_sum(port, xs_cache[port].wr, xs_cache[port].n_wr);
	s->win_rd = xs_sum(port, xs_cache[port].rd, xs_cache[port].n_rd);
	if (rte_eth_stats_get(port, &st) == 0) {
		s->imissed = st.imissed;
		s->ierrors = st.ierrors;
		s->oerrors = st.oerrors;
		s->rx_nombuf = st.rx_nombuf;
	}
}

static unsigned int
max_frame(const struct perf_options *o)
{
	unsigned int i, m = o->scaling ? o->scale_size : 0;

	for (i = 0; i < o->nb_sizes; i++)
		m = RTE_MAX(m, o->sizes[i]);
	return m;
}

static int
port_setup(uint16_t port, const struct perf_options *o, struct rte_mempool *mp)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nb_rxd = o->nb_desc, nb_txd = o->nb_desc, q;
	unsigned int need_mtu = max_frame(o) - RTE_ETHER_HDR_LEN;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	if (info.max_rx_queues < o->nb_queues || info.max_tx_queues < o->nb_queues) {
		fprintf(stderr, "cxl-perf: port %u (%s) has at most %u queue pairs\n", port,
			info.driver_name, RTE_MIN(info.max_rx_queues, info.max_tx_queues));
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* As testpmd asks for it wherever offered (its default tx_mode): every
	 * mbuf this process sends comes from its one pool, with refcnt 1. */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	ret = rte_eth_dev_configure(port, o->nb_queues, o->nb_queues, &conf);
	if (ret != 0)
		return ret;
	/* Jumbo frames where the port allows it; memif caps its MTU at 1500
	 * but receives longer chained frames anyway. */
	if (need_mtu > RTE_ETHER_MTU) {
		uint16_t mtu = RTE_MIN(need_mtu, (unsigned int)info.max_mtu);

		if (mtu > RTE_ETHER_MTU)
			(void)rte_eth_dev_set_mtu(port, mtu);
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	for (q = 0; q < o->nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, rte_eth_dev_socket_id(port),
					     NULL, mp);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, rte_eth_dev_socket_id(port), NULL);
		if (ret != 0)
			return ret;
	}
	return rte_eth_dev_start(port);
}

static bool
end_here(const struct perf_options *o, enum perf_end e)
{
	if (o->role == PERF_ROLE_BOTH)
		return true;
	return (o->role == PERF_ROLE_GEN) == (e == o->gen_end);
}

/*
 * The value of key in a devargs string ("k1=v1,k2=v2,...", read by rte_kvargs
 * as the PMDs read it): 1 with the value in out (at most len - 1 bytes), 0
 * when the key is absent (out = ""), -EINVAL when args is not devargs.
 */
static int
devargs_get(const char *args, const char *key, char *out, size_t len)
{
	struct rte_kvargs *kv = rte_kvargs_parse(args, NULL);
	const char *v;

	out[0] = '\0';
	if (kv == NULL)
		return -EINVAL;
	v = rte_kvargs_get(kv, key);
	if (v != NULL)
		rte_strlcpy(out, v, len);
	rte_kvargs_free(kv);
	return v != NULL;
}

static int
wait_file(const char *path, double timeout_s, volatile int *quit)
{
	uint64_t end = rte_get_timer_cycles() + (uint64_t)(timeout_s * rte_get_timer_hz());
	struct stat st;

	while (stat(path, &st) != 0 || st.st_size == 0) {
		if (rte_get_timer_cycles() > end || (quit && *quit))
			return -ENOENT;
		rte_delay_us_sleep(10000);
	}
	return 0;
}

static int
vdev_port(const char *name, const char *args, uint16_t *port)
{
	int ret = rte_vdev_init(name, args);

	if (ret != 0) {
		fprintf(stderr, "cxl-perf: cannot create %s,%s: %s\n", name, args, strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(name, port);
	if (ret != 0)
		fprintf(stderr, "cxl-perf: %s created no ethdev port\n", name);
	return ret;
}

static int
cxlmem_card(const struct perf_options *o, struct perf_card *c, unsigned int i,
	    volatile int *quit)
{
	const struct perf_transport *t = &perf_transports[c->tp];
	char args[768], base[640], path[256], queues[16];
	static const char *const role[2] = {"host", "device"};
	unsigned int e;
	int ret, len, has_queues;

	if (o->nb_card_args) {
		const char *a = o->card_args[i];

		/* accept a full "net_cxlmemX,..." too: drop the name */
		if (strncmp(a, "net_", 4) == 0)
			a = strchr(a, ',') ? strchr(a, ',') + 1 : "";
		len = snprintf(base, sizeof(base), "%s", a);
	} else {
		if (c->tp == PERF_TP_CXLMEM)
			snprintf(c->win_path, sizeof(c->win_path), "/dev/shm/%s-card%u.win", o->tag, i);
		else
			snprintf(c->win_path, sizeof(c->win_path), "/dev/shm/%s-%s-card%u.win", o->tag,
				 t->name, i);
		len = snprintf(base, sizeof(base), "path=%s%s%s", c->win_path,
			       o->win_size[0] ? ",size=" : "", o->win_size);
	}
	if (t->devargs[0])
		len += snprintf(base + len, sizeof(base) - len, "%s%s", len ? "," : "", t->devargs);
	if (o->card_extra[0] && (size_t)len < sizeof(base))
		len += snprintf(base + len, sizeof(base) - len, "%s%s", len ? "," : "",
				o->card_extra);
	if ((size_t)len >= sizeof(base)) {
		fprintf(stderr, "cxl-perf: devargs of card %u longer than %zu bytes\n", i,
			sizeof(base) - 1);
		return -E2BIG;
	}
	has_queues = devargs_get(base, "queues", queues, sizeof(queues));
	if (has_queues < 0 || devargs_get(base, "path", path, sizeof(path)) < 0) {
		fprintf(stderr, "cxl-perf: card %u: '%s' is not devargs "
			"(expected KEY=VALUE[,KEY=VALUE...]: check --card and --card-extra)\n",
			i, base);
		return -EINVAL;
	}
	for (e = 0; e < 2; e++) {
		char name[32];

		if (!end_here(o, e))
			continue;
		snprintf(name, sizeof(name), "net_cxlmem%u", 2 * (c->tp * PERF_MAX_CARDS + i) + e);
		len = snprintf(args, sizeof(args), "role=%s%s%s", role[e], base[0] ? "," : "", base);
		if (!has_queues)
			snprintf(args + len, sizeof(args) - len, ",queues=%u", o->nb_queues);
		if (e == PERF_END_HOST && c->win_path[0])
			unlink(c->win_path); /* a fresh window each run */
		if (e == PERF_END_DEVICE && path[0] && wait_file(path, o->link_timeout_s, quit)) {
			fprintf(stderr, "cxl-perf: window %s did not appear (is the host end running?)\n",
				path);
			return -ENOENT;
		}
		ret = vdev_port(name, args, &c->port[e]);
		if (ret != 0)
			return ret;
	}
	if (!end_here(o, PERF_END_HOST))
		c->win_path[0] = '\0'; /* the host end's process removes it */
	return 0;
}

/* net_memif's default buffer size (DPDK 22.11 rte_eth_memif.h) */
#define MEMIF_DEFAULT_BSIZE 2048u

/*
 * A memif card.  Its buffers hold the longest frame of the run, so that no
 * frame takes more than one descriptor: DPDK 22.11's memif copy-mode TX
 * (eth_memif_tx) sets MEMIF_DESC_FLAG_NEXT on the descriptors of a chained
 * frame but never clears the flags of a frame's first descriptor, so once a
 * frame has been chained over a slot, a later single-descriptor frame in
 * that slot inherits a stale NEXT and the receiver merges it with the
 * frames after it (seen: 64-byte frames arriving as ~6 KB ones after a
 * 9000-byte point).  Runs of frames up to the default size keep memif's
 * default, as stock testpmd uses it.
 */
static int
memif_card(const struct perf_options *o, struct perf_card *c, unsigned int i)
{
	const struct perf_transport *t = &perf_transports[c->tp];
	char args[512], sock[256], bsize[32] = "";
	static const char *const role[2] = {"server", "client"};
	unsigned int e, longest = max_frame(o);
	int ret;

	if (longest > MEMIF_DEFAULT_BSIZE)
		snprintf(bsize, sizeof(bsize), ",bsize=%u", RTE_ALIGN_CEIL(longest, 128u));

	snprintf(sock, sizeof(sock), "/tmp/%s-%s%u.sock", o->tag, t->name, i);
	for (e = 0; e < 2; e++) {
		char name[32];

		if (!end_here(o, e))
			continue;
		if (e == PERF_END_HOST)
			unlink(sock); /* memif does not replace a stale socket */
		snprintf(name, sizeof(name), "net_memif%u", 2 * (c->tp * PERF_MAX_CARDS + i) + e);
		snprintf(args, sizeof(args), "role=%s,id=%u,socket=%s,socket-abstract=no%s%s%s",
			 role[e], i, sock, bsize, t->devargs[0] ? "," : "", t->devargs);
		ret = vdev_port(name, args, &c->port[e]);
		if (ret != 0)
			return ret;
	}
	if (end_here(o, PERF_END_HOST))
		rte_strlcpy(c->win_path, sock, sizeof(c->win_path));
	return 0;
}

static int
ring_card(const struct perf_options *o, struct perf_card *c, unsigned int i)
{
	struct rte_ring *h2d[PERF_MAX_QUEUES], *d2h[PERF_MAX_QUEUES];
	char name[RTE_RING_NAMESIZE];
	unsigned int q, id = c->tp * PERF_MAX_CARDS + i; /* unique names */
	int p;

	for (q = 0; q < o->nb_queues; q++) {
		snprintf(name, sizeof(name), "perf_r%u_h2d%u", id, q);
		h2d[q] = rte_ring_create(name, o->nb_desc, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "perf_r%u_d2h%u", id, q);
		d2h[q] = rte_ring_create(name, o->nb_desc, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (h2d[q] == NULL || d2h[q] == NULL)
			return -ENOMEM;
	}
	snprintf(name, sizeof(name), "perf_ring%uh", id);
	p = rte_eth_from_rings(name, d2h, o->nb_queues, h2d, o->nb_queues, SOCKET_ID_ANY);
	if (p < 0)
		return -rte_errno;
	c->port[PERF_END_HOST] = p;
	snprintf(name, sizeof(name), "perf_ring%ud", id);
	p = rte_eth_from_rings(name, h2d, o->nb_queues, d2h, o->nb_queues, SOCKET_ID_ANY);
	if (p < 0)
		return -rte_errno;
	c->port[PERF_END_DEVICE] = p;
	return 0;
}

int
perf_cards_create(const struct perf_options *o,
		  struct perf_card cards[PERF_MAX_TP][PERF_MAX_CARDS],
		  unsigned int nb_cards[PERF_MAX_TP], struct rte_mempool *mp)
{
	unsigned int n = o->nb_card_args ? o->nb_card_args : o->nb_gen_cards;
	unsigned int tp, i, e;
	int ret;

	for (tp = 0; tp < perf_nb_transports; tp++) {
		nb_cards[tp] = 0;
		if (!o->tp_on[tp])
			continue;
		for (i = 0; i < n; i++) {
			struct perf_card *c = &cards[tp][i];

			memset(c, 0, sizeof(*c));
			c->tp = tp;
			c->idx = i;
			c->port[0] = c->port[1] = RTE_MAX_ETHPORTS;
			snprintf(c->name, sizeof(c->name), "%s%u", perf_tp_name(tp), i);
			nb_cards[tp] = i + 1;
			switch (perf_transports[tp].drv) {
			case PERF_DRV_CXLMEM:
				ret = cxlmem_card(o, c, i, NULL);
				break;
			case PERF_DRV_MEMIF:
				ret = memif_card(o, c, i);
				break;
			default:
				ret = ring_card(o, c, i);
			}
			if (ret != 0)
				return ret;
			for (e = 0; e < 2; e++) {
				if (c->port[e] == RTE_MAX_ETHPORTS)
					continue;
				ret = port_setup(c->port[e], o, mp);
				if (ret != 0) {
					fprintf(stderr, "cxl-perf: %s: cannot set up port %u: %s\n",
						c->name, c->port[e], strerror(-ret));
					return ret;
				}
			}
		}
	}
	return 0;
}

int
perf_cards_wait_link(struct perf_card cards[PERF_MAX_TP][PERF_MAX_CARDS],
		     const unsigned int nb_cards[PERF_MAX_TP], double timeout_s,
		     volatile int *quit)
{
	uint64_t end = rte_get_timer_cycles() + (uint64_t)(timeout_s * rte_get_timer_hz());
	unsigned int tp, i, e;

	for (;;) {
		const char *down = NULL;

		for (tp = 0; tp < perf_nb_transports && !down; tp++) {
			for (i = 0; i < nb_cards[tp] && !down; i++) {
				for (e = 0; e < 2; e++) {
					struct rte_eth_link l;
					uint16_t p = cards[tp][i].port[e];

					if (p == RTE_MAX_ETHPORTS)
						continue;
					if (rte_eth_link_get_nowait(p, &l) != 0 ||
					    l.link_status != RTE_ETH_LINK_UP) {
						down = cards[tp][i].name;
						break;
					}
				}
			}
		}
		if (!down)
			return 0;
		if (rte_get_timer_cycles() > end || *quit) {
			fprintf(stderr, "cxl-perf: link of %s still down after %.1f s\n",
				down, timeout_s);
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(10000);
	}
}

void
perf_cards_close(struct perf_card cards[PERF_MAX_TP][PERF_MAX_CARDS],
		 const unsigned int nb_cards[PERF_MAX_TP], bool keep_files)
{
	unsigned int tp, i, e;

	for (tp = 0; tp < perf_nb_transports; tp++) {
		for (i = 0; i < nb_cards[tp]; i++) {
			struct perf_card *c = &cards[tp][i];

			for (e = 0; e < 2; e++) {
				char name[RTE_ETH_NAME_MAX_LEN];
				uint16_t p = c->port[e];

				if (p == RTE_MAX_ETHPORTS)
					continue;
				if (rte_eth_dev_get_name_by_port(p, name) != 0)
					name[0] = '\0';
				(void)rte_eth_dev_stop(p);
				/* memif: closing while EAL's interrupt thread still
				 * polls the socket crashes that thread (DPDK 22.11);
				 * the process exits right after, so leave it open */
				if (perf_transports[tp].drv == PERF_DRV_MEMIF)
					continue;
				(void)rte_eth_dev_close(p);
				if (perf_transports[tp].drv != PERF_DRV_RING && name[0])
					(void)rte_vdev_uninit(name);
				c->port[e] = RTE_MAX_ETHPORTS;
			}
			if (c->win_path[0] &&
			    (!keep_files || perf_transports[tp].drv == PERF_DRV_MEMIF))
				unlink(c->win_path);
		}
	}
}
