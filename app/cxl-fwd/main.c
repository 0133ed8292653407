/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: bridges a cxlmem port (a CXL memory window shared with a peer) to a
 * kernel network interface (TAP, or any other kernel-facing vdev), queue by
 * queue, in both directions.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setns, CLONE_NEWNET */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <ethdev_driver.h>   /* rte_eth_devices[].data->mtu, see setup_port() */
#include <rte_jhash.h>
#include <rte_kvargs.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fwd_netlink.h"

#define CXL_DEV_NAME      "net_cxlmem0"
#define TAP_DEV_NAME      "net_tap0"
#define MAX_QUEUES        16
#define MAX_BURST         256
#define MAX_ADDRS         8
#define MAX_MTU           9000
#define TX_RETRIES        16
#define MEMPOOL_CACHE     256
#define DRAIN_MS          200

/* Port roles inside the bridge. */
enum { P_XPORT = 0, P_KERN = 1, P_NUM = 2 };

struct fwd_opts {
	char *xport_devargs;          /* "name,args" of the transport port */
	bool xport_is_cxl;
	char *kern_devargs;           /* NULL: a TAP is built from --iface */
	char iface[IFNAMSIZ];
	struct rte_ether_addr mac;
	bool mac_set;
	struct fwd_ifaddr addrs[MAX_ADDRS];
	unsigned int n_addrs;
	unsigned int mtu;
	unsigned int queues;
	bool queues_set;
	unsigned int burst;
	const char *poll_lcores;
	unsigned int stats_sec;
	unsigned int idle_us;
	unsigned int mbuf_size;
	unsigned int nb_mbufs;
	unsigned int rxd, txd;
	const char *netns;
};

struct port_info {
	uint16_t id;
	char name[RTE_DEV_NAME_MAX_LEN];
	const char *label;            /* for messages: name or interface */
	bool started;
	volatile int link_up;
	struct rte_eth_stats last;    /* at the previous stats print */
};

/* Counters of one direction of one queue; written by one lcore only. */
struct dir_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t drop_full;           /* tx ring/queue full after retries */
	uint64_t drop_down;           /* tx port's link was down */
} __rte_cache_aligned;

struct lcore_conf {
	unsigned int nq;
	uint16_t q[MAX_QUEUES];
} __rte_cache_aligned;

static struct fwd_opts opts = {
	.iface = "cxl0",
	.mtu = 1500,
	.queues = 1,
	.burst = 32,
	.stats_sec = 1,
	.mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE,
	.rxd = 1024,
	.txd = 1024,
};

static struct port_info ports[P_NUM];
static struct lcore_conf lconf[RTE_MAX_LCORE];
/* stats[q][0]: transport -> kernel, stats[q][1]: kernel -> transport */
static struct dir_stats stats[MAX_QUEUES][2];
static struct rte_mempool *pool;
static unsigned int kern_ifindex;
static volatile bool force_quit;
static uint64_t start_tsc, last_stats_tsc;
static struct fwd_ifstats kern_base;     /* kernel counters at start */
static bool kern_base_ok;

static void
usage(const char *prog)
{
	printf(
"Usage: %s [EAL options] -- [options]\n"
"\n"
"Bridges a cxlmem port (CXL memory window shared with a peer) to a kernel\n"
"network interface, queue by queue, in both directions.\n"
"\n"
"Transport port (one of):\n"
"  --cxl DEVARGS             cxlmem arguments, hot-plugged as " CXL_DEV_NAME ", e.g.\n"
"                            role=host,path=/dev/shm/w,size=64M\n"
"                            role=device,dax=dax0.0,queues=2\n"
"  --port-devargs NAME,ARGS  any other vdev instead (development), e.g.\n"
"                            net_memif0,role=server,socket=/tmp/m.sock,socket-abstract=no\n"
"Kernel side:\n"
"  --iface NAME              kernel interface name (default cxl0); a TAP of this\n"
"                            name is created unless --kernel-devargs is given\n"
"  --kernel-devargs NAME,ARGS  other kernel-facing vdev instead of TAP, e.g.\n"
"                            virtio_user0,path=/dev/vhost-net,iface=cxl0,queue_size=1024\n"
"  --mac XX:XX:XX:XX:XX:XX   MAC of the TAP (default: stable, derived from the\n"
"                            interface name and transport arguments)\n"
"  --ipv4 ADDR/LEN           IPv4 address to assign (e.g. 192.0.2.1/24)\n"
"  --ipv6 ADDR/LEN           IPv6 address to assign (e.g. 2001:db8::1/64)\n"
"  --mtu N                   MTU of both sides, 68..%u (default 1500)\n"
"  --netns NAME|PATH         create the kernel interface in this network\n"
"                            namespace (/run/netns/NAME or a path)\n"
"Forwarding:\n"
"  --queues N                queue pairs (default: queues= of --cxl, else 1)\n"
"  --burst N                 packets per burst, 1..%u (default 32)\n"
"  --poll-lcores LIST        lcores that poll, e.g. 1,2 or 1-3 (default: all\n"
"                            worker lcores, or the main lcore if it is alone)\n"
"  --idle-sleep US           sleep US microseconds after an empty poll round\n"
"                            (default 0: busy polling)\n"
"  --stats SEC               print per-port rates every SEC seconds (default 1,\n"
"                            0: only at exit)\n"
"  --rxd N / --txd N         descriptors per queue (default 1024)\n"
"  --mbuf-size N             mbuf buffer size incl. headroom (default %u);\n"
"                            frames larger than one mbuf are chained\n"
"  --mbufs N                 mbufs in the pool (default: computed)\n"
"  -h, --help                this text\n",
	       prog, MAX_MTU, MAX_BURST, RTE_MBUF_DEFAULT_BUF_SIZE);
}

static void
die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void
die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cxl-fwd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see cxl-fwd -- --help)\n");
	exit(EXIT_FAILURE);
}

static unsigned int
parse_uint(const char *opt, const char *text, unsigned int min, unsigned int max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		die_usage("--%s '%s': expected a number in %u..%u", opt, text, min, max);
	return (unsigned int)v;
}

static char *
join_devargs(const char *name, const char *args)
{
	size_t n = strlen(name) + strlen(args) + 2;
	char *s = malloc(n);

	if (s == NULL)
		die_usage("out of memory");
	snprintf(s, n, "%s%s%s", name, args[0] ? "," : "", args);
	return s;
}

enum {
	OPT_CXL = 256, OPT_PORT_DEVARGS, OPT_IFACE, OPT_KERN_DEVARGS, OPT_MAC,
	OPT_IPV4, OPT_IPV6, OPT_MTU, OPT_NETNS, OPT_QUEUES, OPT_BURST,
	OPT_POLL_LCORES, OPT_IDLE, OPT_STATS, OPT_RXD, OPT_TXD, OPT_MBUF_SIZE,
	OPT_MBUFS,
};

static const struct option long_opts[] = {
	{ "cxl", required_argument, NULL, OPT_CXL },
	{ "port-devargs", required_argument, NULL, OPT_PORT_DEVARGS },
	{ "iface", required_argument, NULL, OPT_IFACE },
	{ "kernel-devargs", required_argument, NULL, OPT_KERN_DEVARGS },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "ipv4", required_argument, NULL, OPT_IPV4 },
	{ "ipv6", required_argument, NULL, OPT_IPV6 },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "poll-lcores", required_argument, NULL, OPT_POLL_LCORES },
	{ "idle-sleep", required_argument, NULL, OPT_IDLE },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "rxd", required_argument, NULL, OPT_RXD },
	{ "txd", required_argument, NULL, OPT_TXD },
	{ "mbuf-size", required_argument, NULL, OPT_MBUF_SIZE },
	{ "mbufs", required_argument, NULL, OPT_MBUFS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* queues= inside the cxlmem arguments, or 0 when absent. */
static unsigned int
cxl_devargs_queues(const char *args)
{
	struct rte_kvargs *kv = rte_kvargs_parse(args, NULL);
	const char *v;
	unsigned int q = 0;

	if (kv == NULL)
		die_usage("--cxl '%s': expected KEY=VALUE[,KEY=VALUE...]", args);
	v = rte_kvargs_get(kv, "queues");
	if (v != NULL)
		q = parse_uint("cxl queues=", v, 1, MAX_QUEUES);
	rte_kvargs_free(kv);
	return q;
}

static void
parse_app_args(int argc, char **argv)
{
	const char *cxl_args = NULL;
	char errmsg[160];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CXL:
			cxl_args = optarg;
			break;
		case OPT_PORT_DEVARGS:
			opts.xport_devargs = strdup(optarg);
			break;
		case OPT_IFACE:
			if (strlen(optarg) == 0 || strlen(optarg) >= IFNAMSIZ)
				die_usage("--iface '%s': 1..%d characters", optarg, IFNAMSIZ - 1);
			snprintf(opts.iface, sizeof(opts.iface), "%s", optarg);
			break;
		case OPT_KERN_DEVARGS:
			opts.kern_devargs = strdup(optarg);
			break;
		case OPT_MAC:
			if (rte_ether_unformat_addr(optarg, &opts.mac) != 0)
				die_usage("--mac '%s': expected XX:XX:XX:XX:XX:XX", optarg);
			if (!rte_is_unicast_ether_addr(&opts.mac) || rte_is_zero_ether_addr(&opts.mac))
				die_usage("--mac '%s': must be a non-zero unicast address", optarg);
			opts.mac_set = true;
			break;
		case OPT_IPV4:
		case OPT_IPV6:
			if (opts.n_addrs == MAX_ADDRS)
				die_usage("at most %d addresses", MAX_ADDRS);
			if (fwd_ifaddr_parse(optarg, c == OPT_IPV4 ? AF_INET : AF_INET6,
					     &opts.addrs[opts.n_addrs], errmsg, sizeof(errmsg)) != 0)
				die_usage("--%s %s", c == OPT_IPV4 ? "ipv4" : "ipv6", errmsg);
			opts.n_addrs++;
			break;
		case OPT_MTU:
			opts.mtu = parse_uint("mtu", optarg, RTE_ETHER_MIN_MTU, MAX_MTU);
			break;
		case OPT_NETNS:
			opts.netns = optarg;
			break;
		case OPT_QUEUES:
			opts.queues = parse_uint("queues", optarg, 1, MAX_QUEUES);
			opts.queues_set = true;
			break;
		case OPT_BURST:
			opts.burst = parse_uint("burst", optarg, 1, MAX_BURST);
			break;
		case OPT_POLL_LCORES:
			opts.poll_lcores = optarg;
			break;
		case OPT_IDLE:
			opts.idle_us = parse_uint("idle-sleep", optarg, 0, 1000000);
			break;
		case OPT_STATS:
			opts.stats_sec = parse_uint("stats", optarg, 0, 86400);
			break;
		case OPT_RXD:
			opts.rxd = parse_uint("rxd", optarg, 16, 16384);
			break;
		case OPT_TXD:
			opts.txd = parse_uint("txd", optarg, 16, 16384);
			break;
		case OPT_MBUF_SIZE:
			opts.mbuf_size = parse_uint("mbuf-size", optarg,
					RTE_PKTMBUF_HEADROOM + 256, UINT16_MAX);
			break;
		case OPT_MBUFS:
			opts.nb_mbufs = parse_uint("mbufs", optarg, 512, 1u << 24);
			break;
		case 'h':
			usage(argv[0]);
			exit(EXIT_SUCCESS);
		default:
			die_usage("unknown or incomplete option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	if ((cxl_args != NULL) == (opts.xport_devargs != NULL))
		die_usage("give exactly one of --cxl DEVARGS or --port-devargs NAME,ARGS");
	if (cxl_args != NULL) {
		unsigned int q = cxl_devargs_queues(cxl_args);
		char extra[32];
		char *tmp;

		opts.xport_is_cxl = true;
		if (q != 0 && opts.queues_set && q != opts.queues)
			die_usage("--queues %u disagrees with queues=%u in --cxl; drop one of them",
				  opts.queues, q);
		if (q != 0) {
			opts.queues = q;
			opts.xport_devargs = join_devargs(CXL_DEV_NAME, cxl_args);
		} else {
			snprintf(extra, sizeof(extra), "queues=%u", opts.queues);
			tmp = join_devargs(cxl_args, extra);
			opts.xport_devargs = join_devargs(CXL_DEV_NAME, tmp[0] == ',' ? tmp + 1 : tmp);
			free(tmp);
		}
	} else if (strchr(opts.xport_devargs, ',') == opts.xport_devargs) {
		die_usage("--port-devargs '%s': must start with the device name", opts.xport_devargs);
	}
	if (opts.kern_devargs != NULL && opts.kern_devargs[0] == ',')
		die_usage("--kernel-devargs '%s': must start with the device name", opts.kern_devargs);
}

/* Enter the network namespace given by --netns before any thread exists. */
static void
enter_netns(const char *ns)
{
	char path[256];
	int fd;

	if (strchr(ns, '/') != NULL)
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cxl-fwd: --netns: cannot open %s: %s (create it with 'ip netns add %s')\n",
			path, strerror(errno), ns);
		exit(EXIT_FAILURE);
	}
	if (setns(fd, CLONE_NEWNET) != 0) {
		fprintf(stderr, "cxl-fwd: --netns: setns(%s): %s (needs CAP_SYS_ADMIN)\n",
			path, strerror(errno));
		exit(EXIT_FAILURE);
	}
	close(fd);
}

static void
signal_handler(int sig)
{
	(void)sig;
	force_quit = true;
}

static double
now_s(void)
{
	return (double)(rte_get_timer_cycles() - start_tsc) / rte_get_timer_hz();
}

static int
lsc_event_cb(uint16_t port_id, enum rte_eth_event_type type, void *param, void *ret)
{
	struct rte_eth_link link;
	int p;

	RTE_SET_USED(type);
	RTE_SET_USED(param);
	RTE_SET_USED(ret);
	for (p = 0; p < P_NUM; p++) {
		if (ports[p].id != port_id)
			continue;
		if (rte_eth_link_get_nowait(port_id, &link) != 0)
			return 0;
		if (ports[p].link_up != link.link_status) {
			ports[p].link_up = link.link_status;
			printf("[%7.1fs] %s: link %s\n", now_s(), ports[p].label,
			       link.link_status ? "up" : "down");
			fflush(stdout);
		}
	}
	return 0;
}

/* Link state for ports whose driver does not raise LSC events. */
static void
refresh_links(void)
{
	int p;

	for (p = 0; p < P_NUM; p++)
		lsc_event_cb(ports[p].id, RTE_ETH_EVENT_INTR_LSC, NULL, NULL);
}

/* Hand n packets to the other port; whatever it cannot take is freed and
 * counted where it is dropped. */
static inline void
fwd_send(uint16_t tx, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
	 volatile int *tx_link_up, struct dir_stats *st)
{
	uint16_t sent;
	unsigned int tries = 0;

	sent = rte_eth_tx_burst(tx, q, pkts, n);
	while (sent < n && tries++ < TX_RETRIES && *tx_link_up) {
		rte_pause();
		sent += rte_eth_tx_burst(tx, q, pkts + sent, n - sent);
	}
	st->pkts += sent;
	if (sent < n) {
		if (*tx_link_up)
			st->drop_full += n - sent;
		else
			st->drop_down += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

/* One poll round over the queues of this lcore; returns packets moved. */
static inline unsigned int
poll_round(const struct lcore_conf *lc, struct rte_mbuf **pkts)
{
	unsigned int i, total = 0;
	uint16_t n, j;
	uint64_t bytes;

	for (i = 0; i < lc->nq; i++) {
		uint16_t q = lc->q[i];

		n = rte_eth_rx_burst(ports[P_XPORT].id, q, pkts, opts.burst);
		if (n != 0) {
			bytes = 0;
			for (j = 0; j < n; j++)
				bytes += pkts[j]->pkt_len;
			stats[q][0].bytes += bytes;
			fwd_send(ports[P_KERN].id, q, pkts, n, &ports[P_KERN].link_up,
				 &stats[q][0]);
			total += n;
		}
		n = rte_eth_rx_burst(ports[P_KERN].id, q, pkts, opts.burst);
		if (n != 0) {
			bytes = 0;
			for (j = 0; j < n; j++)
				bytes += pkts[j]->pkt_len;
			stats[q][1].bytes += bytes;
			fwd_send(ports[P_XPORT].id, q, pkts, n, &ports[P_XPORT].link_up,
				 &stats[q][1]);
			total += n;
		}
	}
	return total;
}

static void print_stats(bool final);

static int
fwd_loop(void *arg)
{
	const struct lcore_conf *lc = &lconf[rte_lcore_id()];
	bool is_main = rte_lcore_id() == rte_get_main_lcore();
	struct rte_mbuf *pkts[MAX_BURST];
	uint64_t stats_cycles = (uint64_t)opts.stats_sec * rte_get_timer_hz();
	uint64_t now;

	RTE_SET_USED(arg);
	if (lc->nq == 0 && !is_main)
		return 0;
	while (!force_quit) {
		unsigned int moved = lc->nq ? poll_round(lc, pkts) : 0;

		if (is_main) {
			now = rte_get_timer_cycles();
			if (stats_cycles != 0 && now - last_stats_tsc >= stats_cycles) {
				refresh_links();
				print_stats(false);
			}
			if (lc->nq == 0) {
				rte_delay_us_sleep(100 * 1000);
				continue;
			}
		}
		if (moved == 0 && opts.idle_us != 0)
			rte_delay_us_sleep(opts.idle_us);
	}
	return 0;
}

static void
format_rate(char *buf, size_t len, double pps, double bps)
{
	snprintf(buf, len, "%9.0f pkt/s %9.2f Mbit/s", pps, bps / 1e6);
}

static void
print_stats(bool final)
{
	uint64_t now = rte_get_timer_cycles();
	double dt = (double)(now - last_stats_tsc) / rte_get_timer_hz();
	struct dir_stats tot[2];
	struct rte_eth_stats s;
	char rx[64], tx[64];
	unsigned int q;
	int p, d;

	if (dt <= 0)
		dt = 1e-9;
	memset(tot, 0, sizeof(tot));
	for (q = 0; q < opts.queues; q++) {
		for (d = 0; d < 2; d++) {
			tot[d].pkts += stats[q][d].pkts;
			tot[d].bytes += stats[q][d].bytes;
			tot[d].drop_full += stats[q][d].drop_full;
			tot[d].drop_down += stats[q][d].drop_down;
		}
	}
	printf("[%7.1fs] %s\n", now_s(), final ? "cxl-fwd totals at exit:" : "stats");
	for (p = 0; p < P_NUM; p++) {
		if (rte_eth_stats_get(ports[p].id, &s) != 0)
			continue;
		if (final) {
			printf("  %-12s rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
			       " pkts %" PRIu64 " bytes\n", ports[p].label, s.ipackets,
			       s.ibytes, s.opackets, s.obytes);
		} else {
			format_rate(rx, sizeof(rx), (s.ipackets - ports[p].last.ipackets) / dt,
				    (s.ibytes - ports[p].last.ibytes) * 8.0 / dt);
			format_rate(tx, sizeof(tx), (s.opackets - ports[p].last.opackets) / dt,
				    (s.obytes - ports[p].last.obytes) * 8.0 / dt);
			printf("  %-12s link %-4s rx %s  tx %s\n", ports[p].label,
			       ports[p].link_up ? "up" : "down", rx, tx);
		}
		printf("  %-12s drops: rx-missed %" PRIu64 " rx-errors %" PRIu64
		       " rx-nombuf %" PRIu64 " tx-errors %" PRIu64 "\n", "",
		       s.imissed, s.ierrors, s.rx_nombuf, s.oerrors);
		ports[p].last = s;
	}
	printf("  forwarded %s -> %s: %" PRIu64 " pkts, dropped %" PRIu64
	       " (%s full) %" PRIu64 " (%s link down)\n",
	       ports[P_XPORT].label, ports[P_KERN].label, tot[0].pkts,
	       tot[0].drop_full, ports[P_KERN].label, tot[0].drop_down, ports[P_KERN].label);
	printf("  forwarded %s -> %s: %" PRIu64 " pkts, dropped %" PRIu64
	       " (%s full) %" PRIu64 " (%s link down)\n",
	       ports[P_KERN].label, ports[P_XPORT].label, tot[1].pkts,
	       tot[1].drop_full, ports[P_XPORT].label, tot[1].drop_down, ports[P_XPORT].label);
	if (kern_ifindex != 0 && kern_base_ok) {
		struct fwd_ifstats ks;

		if (fwd_nl_link_stats(kern_ifindex, &ks) == 0)
			printf("  kernel %s: tx-dropped %" PRIu64 " (not read in time)"
			       " rx-dropped %" PRIu64 " tx-errors %" PRIu64 "\n",
			       opts.iface, ks.tx_dropped - kern_base.tx_dropped,
			       ks.rx_dropped - kern_base.rx_dropped,
			       ks.tx_errors - kern_base.tx_errors);
	}
	fflush(stdout);
	last_stats_tsc = now;
}

/* Parse "1,3-4" into lcore ids; every one must be enabled in EAL. */
static unsigned int
parse_lcore_list(const char *list, unsigned int *out, unsigned int max)
{
	const char *p = list;
	unsigned int n = 0;

	while (*p != '\0') {
		unsigned long a, b;
		char *end;

		errno = 0;
		a = strtoul(p, &end, 10);
		if (errno != 0 || end == p)
			goto bad;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (errno != 0 || end == p || b < a)
				goto bad;
		}
		for (; a <= b; a++) {
			if (a >= RTE_MAX_LCORE || !rte_lcore_is_enabled((unsigned int)a)) {
				fprintf(stderr, "cxl-fwd: --poll-lcores: lcore %lu is not enabled; "
					"add it to the EAL -l/--lcores list\n", a);
				exit(EXIT_FAILURE);
			}
			if (n == max)
				goto bad;
			out[n++] = (unsigned int)a;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0')
			goto bad;
		p = end;
	}
	if (n == 0)
		goto bad;
	return n;
bad:
	fprintf(stderr, "cxl-fwd: --poll-lcores '%s': expected a list like 1,2 or 1-3\n", list);
	exit(EXIT_FAILURE);
}

static void
assign_queues(void)
{
	unsigned int lcores[RTE_MAX_LCORE];
	unsigned int n = 0, q, i;

	if (opts.poll_lcores != NULL) {
		n = parse_lcore_list(opts.poll_lcores, lcores, RTE_MAX_LCORE);
	} else {
		RTE_LCORE_FOREACH_WORKER(i)
			lcores[n++] = i;
		if (n == 0)
			lcores[n++] = rte_get_main_lcore();
	}
	for (q = 0; q < opts.queues; q++) {
		struct lcore_conf *lc = &lconf[lcores[q % n]];

		lc->q[lc->nq++] = (uint16_t)q;
	}
	for (i = 0; i < n; i++) {
		if (lconf[lcores[i]].nq == 0) {
			printf("cxl-fwd: lcore %u has no queue to poll (%u queue pair(s), %u lcores)\n",
			       lcores[i], opts.queues, n);
			continue;
		}
		printf("cxl-fwd: lcore %u polls queue(s)", lcores[i]);
		for (q = 0; q < lconf[lcores[i]].nq; q++)
			printf(" %u", lconf[lcores[i]].q[q]);
		printf("\n");
	}
}

static void
probe_port(int p, const char *devargs)
{
	const char *comma = strchr(devargs, ',');
	size_t len = comma ? (size_t)(comma - devargs) : strlen(devargs);
	int ret;

	if (len >= sizeof(ports[p].name))
		len = sizeof(ports[p].name) - 1;
	memcpy(ports[p].name, devargs, len);
	ports[p].name[len] = '\0';
	ret = rte_dev_probe(devargs);
	if (ret != 0) {
		fprintf(stderr, "cxl-fwd: cannot create port '%s' (%s): %s\n", devargs,
			p == P_XPORT ? "transport" : "kernel side", rte_strerror(-ret));
		if (p == P_XPORT && opts.xport_is_cxl)
			fprintf(stderr, "cxl-fwd: check --cxl: role=host needs size= when the "
				"window file does not exist yet; role=device needs it to exist; "
				"see the cxlmem log lines above\n");
		exit(EXIT_FAILURE);
	}
	if (rte_eth_dev_get_port_by_name(ports[p].name, &ports[p].id) != 0) {
		fprintf(stderr, "cxl-fwd: device '%s' was probed but is not an ethdev port\n",
			ports[p].name);
		exit(EXIT_FAILURE);
	}
	ports[p].label = ports[p].name;
}

/* Frames of MTU bytes plus Ethernet header and one VLAN tag. */
static unsigned int
frame_len(void)
{
	return opts.mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
}

static unsigned int
data_room(void)
{
	return opts.mbuf_size - RTE_PKTMBUF_HEADROOM;
}

static unsigned int
segs_per_frame(void)
{
	return (frame_len() + data_room() - 1) / data_room();
}

static bool
is_tap(int p)
{
	return p == P_KERN && (opts.kern_devargs == NULL ||
			       strncmp(ports[p].name, "net_tap", 7) == 0);
}

static void
setup_port(int p)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t id = ports[p].id;
	uint16_t nb_rxd, nb_txd;
	unsigned int q;
	bool multiseg = segs_per_frame() > 1;
	int ret;

	ret = rte_eth_dev_info_get(id, &info);
	if (ret != 0) {
		fprintf(stderr, "cxl-fwd: %s: cannot get device info: %s\n",
			ports[p].label, rte_strerror(-ret));
		exit(EXIT_FAILURE);
	}
	if (info.max_rx_queues < opts.queues || info.max_tx_queues < opts.queues) {
		fprintf(stderr, "cxl-fwd: %s offers %u rx / %u tx queues, %u needed; %s\n",
			ports[p].label, info.max_rx_queues, info.max_tx_queues, opts.queues,
			p == P_XPORT && opts.xport_is_cxl ?
			"the window geometry (queues=) must match on both sides" :
			"lower --queues");
		exit(EXIT_FAILURE);
	}

	memset(&conf, 0, sizeof(conf));
	/* The ethdev MTU; TAP advertises 1522-byte frames only although the
	 * kernel side takes any MTU, so its MTU is set through rtnetlink. */
	if (opts.mtu <= info.max_mtu && opts.mtu >= info.min_mtu &&
	    frame_len() - RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN <= info.max_rx_pktlen)
		conf.rxmode.mtu = opts.mtu;
	else if (!is_tap(p)) {
		fprintf(stderr, "cxl-fwd: %s takes MTU %u..%u (frames up to %u bytes); "
			"--mtu %u is out of range\n", ports[p].label, info.min_mtu,
			info.max_mtu, info.max_rx_pktlen, opts.mtu);
		exit(EXIT_FAILURE);
	}
	if (multiseg) {
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else if (!(p == P_XPORT && opts.xport_is_cxl)) {
			fprintf(stderr, "cxl-fwd: %s cannot receive %u-byte frames into "
				"%u-byte mbufs (no scatter); use --mbuf-size %u or more\n",
				ports[p].label, frame_len(), data_room(),
				frame_len() + RTE_PKTMBUF_HEADROOM);
			exit(EXIT_FAILURE);
		}
		if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
			conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	}
	if (info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;

	ret = rte_eth_dev_configure(id, opts.queues, opts.queues, &conf);
	if (ret != 0) {
		fprintf(stderr, "cxl-fwd: %s: configure (%u queues, MTU %u): %s\n",
			ports[p].label, opts.queues, conf.rxmode.mtu, rte_strerror(-ret));
		exit(EXIT_FAILURE);
	}
	/* net_tap advertises 1522-byte frames (so ethdev refuses a larger MTU)
	 * but its kernel side takes any MTU; its transmit path drops frames
	 * longer than the ethdev MTU. Raise that MTU to ours directly; the
	 * kernel interface's MTU is set through rtnetlink below. */
	if (is_tap(p) && conf.rxmode.mtu != opts.mtu)
		rte_eth_devices[id].data->mtu = (uint16_t)opts.mtu;
	/* TAP: one receive descriptor is one segment of a frame. */
	nb_rxd = is_tap(p) ? (uint16_t)RTE_MAX(segs_per_frame() + 1, 4u) : opts.rxd;
	nb_txd = opts.txd;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);
	if (ret != 0) {
		fprintf(stderr, "cxl-fwd: %s: descriptor counts: %s\n", ports[p].label,
			rte_strerror(-ret));
		exit(EXIT_FAILURE);
	}
	rxc = info.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (q = 0; q < opts.queues; q++) {
		ret = rte_eth_rx_queue_setup(id, q, nb_rxd, rte_eth_dev_socket_id(id),
					     &rxc, pool);
		if (ret != 0) {
			fprintf(stderr, "cxl-fwd: %s: rx queue %u setup: %s (try more --mbufs or EAL -m)\n",
				ports[p].label, q, rte_strerror(-ret));
			exit(EXIT_FAILURE);
		}
		ret = rte_eth_tx_queue_setup(id, q, nb_txd, rte_eth_dev_socket_id(id), &txc);
		if (ret != 0) {
			fprintf(stderr, "cxl-fwd: %s: tx queue %u setup: %s\n",
				ports[p].label, q, rte_strerror(-ret));
			exit(EXIT_FAILURE);
		}
	}
	if (conf.intr_conf.lsc)
		rte_eth_dev_callback_register(id, RTE_ETH_EVENT_INTR_LSC, lsc_event_cb, NULL);
	/* The transport carries every frame, whatever its destination MAC; the
	 * kernel interface keeps its own filtering. */
	if (p == P_XPORT) {
		ret = rte_eth_promiscuous_enable(id);
		if (ret != 0 && ret != -ENOTSUP)
			printf("cxl-fwd: %s: promiscuous mode: %s\n", ports[p].label,
			       rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(id);
	if (ret != 0) {
		fprintf(stderr, "cxl-fwd: %s: start: %s\n", ports[p].label, rte_strerror(-ret));
		exit(EXIT_FAILURE);
	}
	ports[p].started = true;
}

/* A locally administered MAC that stays the same across restarts, so that
 * the peer's neighbour cache remains valid. */
static void
default_mac(struct rte_ether_addr *mac)
{
	uint32_t h1 = rte_jhash(opts.xport_devargs, strlen(opts.xport_devargs), 0x63786c31);
	uint32_t h2 = rte_jhash(opts.iface, strlen(opts.iface), h1);

	mac->addr_bytes[0] = 0x02;
	mac->addr_bytes[1] = (uint8_t)(h1 >> 24);
	mac->addr_bytes[2] = (uint8_t)(h2 >> 24);
	mac->addr_bytes[3] = (uint8_t)(h2 >> 16);
	mac->addr_bytes[4] = (uint8_t)(h2 >> 8);
	mac->addr_bytes[5] = (uint8_t)h2;
}

static void
configure_kernel_iface(void)
{
	char text[INET6_ADDRSTRLEN];
	unsigned int i;
	int ret;

	kern_ifindex = if_nametoindex(opts.iface);
	if (kern_ifindex == 0) {
		fprintf(stderr, "cxl-fwd: interface %s not found after starting %s; with "
			"--kernel-devargs, --iface must name the interface that device creates\n",
			opts.iface, ports[P_KERN].name);
		exit(EXIT_FAILURE);
	}
	ret = fwd_nl_link_set(kern_ifindex, opts.mtu, 1);
	if (ret != 0) {
		fprintf(stderr, "cxl-fwd: %s: setting MTU %u and up: %s\n", opts.iface,
			opts.mtu, strerror(-ret));
		exit(EXIT_FAILURE);
	}
	for (i = 0; i < opts.n_addrs; i++) {
		ret = fwd_nl_addr_add(kern_ifindex, &opts.addrs[i]);
		inet_ntop(opts.addrs[i].family, &opts.addrs[i].addr, text, sizeof(text));
		if (ret != 0) {
			fprintf(stderr, "cxl-fwd: %s: adding %s/%u: %s\n", opts.iface, text,
				opts.addrs[i].prefixlen, strerror(-ret));
			exit(EXIT_FAILURE);
		}
		printf("cxl-fwd: %s: address %s/%u\n", opts.iface, text, opts.addrs[i].prefixlen);
	}
	kern_base_ok = fwd_nl_link_stats(kern_ifindex, &kern_base) == 0;
}

/* After the poll loops ended: forward what is still queued, bounded in time. */
static void
drain(void)
{
	struct lcore_conf all = { .nq = 0 };
	struct rte_mbuf *pkts[MAX_BURST];
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * DRAIN_MS / 1000;
	unsigned int q;

	for (q = 0; q < opts.queues; q++)
		all.q[all.nq++] = (uint16_t)q;
	while (rte_get_timer_cycles() < deadline)
		if (poll_round(&all, pkts) == 0)
			break;
}

int
main(int argc, char **argv)
{
	char **app_argv;
	int eal_argc = argc, app_argc, i, p, ret;
	unsigned int nb_mbufs, lcore;
	char tapargs[128];
	struct rte_ether_addr mac;
	char macstr[RTE_ETHER_ADDR_FMT_SIZE];

	/* Application options follow "--"; parse them before EAL so that
	 * --help and mistakes need no EAL, and --netns applies to all threads. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	}
	if (eal_argc == argc) {
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
				usage(argv[0]);
				printf("\nEAL options: see any DPDK application's --help, e.g. dpdk-testpmd --help\n");
				return 0;
			}
		}
		die_usage("options missing: %s [EAL options] -- --cxl DEVARGS [options]", argv[0]);
	}
	app_argc = argc - eal_argc;
	app_argv = calloc(app_argc + 1, sizeof(char *));
	if (app_argv == NULL)
		die_usage("out of memory");
	app_argv[0] = argv[0];
	for (i = 1; i < app_argc; i++)
		app_argv[i] = argv[eal_argc + i];
	parse_app_args(app_argc, app_argv);
	if (opts.netns != NULL)
		enter_netns(opts.netns);

	ret = rte_eal_init(eal_argc, argv);
	if (ret < 0) {
		fprintf(stderr, "cxl-fwd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	start_tsc = last_stats_tsc = rte_get_timer_cycles();
	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);

	nb_mbufs = opts.nb_mbufs;
	if (nb_mbufs == 0) {
		/* cxlmem receive rings, TAP's segment chain per queue, bursts in
		 * flight in both directions, and the per-lcore caches. */
		nb_mbufs = opts.queues * (opts.rxd + opts.txd + (segs_per_frame() + 1) +
			   4 * opts.burst * segs_per_frame()) +
			   rte_lcore_count() * MEMPOOL_CACHE + 1024;
		nb_mbufs = RTE_MAX(nb_mbufs, 4095u);
	}
	pool = rte_pktmbuf_pool_create("cxlfwd_pool", nb_mbufs, MEMPOOL_CACHE, 0,
				       (uint16_t)opts.mbuf_size, rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "cxl-fwd: cannot create a pool of %u mbufs of %u bytes (%u MiB): %s; "
			"raise EAL -m or lower --mbufs/--rxd\n", nb_mbufs, opts.mbuf_size,
			(unsigned int)((uint64_t)nb_mbufs * (opts.mbuf_size + 192) >> 20),
			rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}

	probe_port(P_XPORT, opts.xport_devargs);
	if (opts.kern_devargs != NULL) {
		probe_port(P_KERN, opts.kern_devargs);
	} else {
		if (opts.mac_set)
			mac = opts.mac;
		else
			default_mac(&mac);
		rte_ether_format_addr(macstr, sizeof(macstr), &mac);
		snprintf(tapargs, sizeof(tapargs), TAP_DEV_NAME ",iface=%s,mac=%s",
			 opts.iface, macstr);
		probe_port(P_KERN, tapargs);
	}
	ports[P_KERN].label = opts.iface;
	for (p = 0; p < P_NUM; p++) {
		ports[p].link_up = -1;	/* unknown: the first check prints it */
		setup_port(p);
	}
	configure_kernel_iface();
	refresh_links();
	printf("cxl-fwd: bridging %s (port %u) <-> %s (port %u), %u queue pair(s), MTU %u, "
	       "%u mbufs of %u bytes\n", ports[P_XPORT].name, ports[P_XPORT].id,
	       opts.iface, ports[P_KERN].id, opts.queues, opts.mtu, nb_mbufs, opts.mbuf_size);

	assign_queues();
	fflush(stdout);
	rte_eal_mp_remote_launch(fwd_loop, NULL, CALL_MAIN);
	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_wait_lcore(lcore);

	printf("[%7.1fs] cxl-fwd: stopping\n", now_s());
	drain();
	for (p = 0; p < P_NUM; p++) {
		ret = rte_eth_dev_stop(ports[p].id);
		if (ret != 0)
			printf("cxl-fwd: %s: stop: %s\n", ports[p].label, rte_strerror(-ret));
	}
	print_stats(true);
	for (p = 0; p < P_NUM; p++) {
		rte_eth_dev_callback_unregister(ports[p].id, RTE_ETH_EVENT_INTR_LSC,
						lsc_event_cb, NULL);
		rte_eth_dev_close(ports[p].id);
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	free(app_argv);
	printf("cxl-fwd: done\n");
	return 0;
}
