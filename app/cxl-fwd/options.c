/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: command line -> struct fwd_opts. Runs before EAL: mistakes and
 * --help need no EAL, and --netns applies to every thread EAL starts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>

#include "fwd.h"

void
fwd_opts_init(struct fwd_opts *o)
{
	*o = (struct fwd_opts){
		.iface = "cxl0",
		.kernel = FWD_KERN_TUN,
		.offloads = true,
		.uring = true,
		.mtu = 1500,
		.queues = 1,
		.burst = 32,
		.poll = FWD_POLL_ADAPTIVE,
		.grace_us = 200,
		.grace_max_us = 20000,
		.poll_yield = true,
		.idle_us = 50,
		.deep_us = 1000,
		.deep_ms = 100,
		.stats_sec = 1,
		.mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE,
		.rxd = 1024,
		.txd = 1024,
	};
}

void
fwd_usage(const char *prog)
{
	struct fwd_opts def;

	fwd_opts_init(&def);
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
"  --iface NAME              kernel interface name (default cxl0), created by\n"
"                            the kernel backend\n"
"  --kernel tun|tap          kernel backend (default tun): tun opens /dev/net/tun\n"
"                            queues with virtio-net headers (checksum and TSO\n"
"                            offloads when the transport carries them); tap is\n"
"                            DPDK's net_tap (one frame per syscall, no offloads)\n"
"  --kernel-devargs NAME,ARGS  (tap backend) other kernel-facing vdev instead\n"
"                            of net_tap, e.g.\n"
"                            virtio_user0,path=/dev/vhost-net,iface=cxl0,queue_size=1024\n"
"  --offloads auto|off       (tun backend) auto: the offloads the transport port\n"
"                            advertises (default); off: plain frames only\n"
"  --uring on|off            (tun backend) on: reads and writes of the kernel\n"
"                            queues in batches through io_uring (default);\n"
"                            off: one readv()/writev() per frame\n"
"  --mac XX:XX:XX:XX:XX:XX   MAC of the interface (default: stable, derived from\n"
"                            the interface name and transport arguments)\n"
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
"  --poll adaptive|busy      adaptive (default): busy-poll while traffic flows\n"
"                            and --poll-grace after it, then wait in epoll on\n"
"                            the kernel queues (kernel-to-window wakes at once),\n"
"                            looking at the window every --idle-sleep; once\n"
"                            idle for --deep-after, on the window's doorbell\n"
"                            too (net_cxlmem Rx interrupts: wakes at once), or\n"
"                            without one every --deep-sleep; busy:\n"
"                            never sleep (a whole core per polling lcore)\n"
"  --poll-grace US           polling after the last frame, at least (default %u)\n"
"  --poll-grace-max US       the most the grace grows to: it doubles after a gap\n"
"                            between frames that a longer one would have\n"
"                            caught, and halves (not below --poll-grace) after\n"
"                            one longer than this (default %u; = --poll-grace:\n"
"                            fixed)\n"
"  --poll-yield on|off       on (default): during --poll-grace, give the CPU to\n"
"                            any other runnable thread between empty rounds\n"
"                            (sched_yield); off: spin\n"
"  --idle-sleep US           window poll interval while idle (default %u)\n"
"  --deep-sleep US           the interval once idle for --deep-after, without\n"
"                            a doorbell (default %u)\n"
"  --deep-after MS           idle time before --deep-sleep applies (default %u)\n"
"  --stats SEC               print per-port rates and CPU every SEC seconds\n"
"                            (default 1, 0: only at exit)\n"
"  --rxd N / --txd N         descriptors per queue (default 1024)\n"
"  --mbuf-size N             mbuf buffer size incl. headroom (default %u);\n"
"                            frames larger than one mbuf are chained\n"
"  --mbufs N                 mbufs in the pool (default: computed)\n"
"  -h, --help                this text\n",
	       prog, MAX_MTU, MAX_BURST, def.grace_us, def.grace_max_us, def.idle_us, def.deep_us,
	       def.deep_ms, def.mbuf_size);
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

/* Index of text in words[] (NULL-terminated), or die naming the choices. */
static int
parse_choice(const char *opt, const char *text, const char *const *words)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(text, words[i]) == 0)
			return i;
	die_usage("--%s '%s': expected %s%s%s", opt, text, words[0],
		  words[1] ? " or " : "", words[1] ? words[1] : "");
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
	OPT_CXL = 256, OPT_PORT_DEVARGS, OPT_IFACE, OPT_KERNEL, OPT_KERN_DEVARGS,
	OPT_OFFLOADS, OPT_URING, OPT_MAC, OPT_IPV4, OPT_IPV6, OPT_MTU, OPT_NETNS, OPT_QUEUES,
	OPT_BURST, OPT_POLL_LCORES, OPT_POLL, OPT_GRACE, OPT_GRACE_MAX, OPT_YIELD, OPT_IDLE, OPT_DEEP,
	OPT_DEEP_AFTER, OPT_STATS, OPT_RXD, OPT_TXD, OPT_MBUF_SIZE, OPT_MBUFS,
};

static const struct option long_opts[] = {
	{ "cxl", required_argument, NULL, OPT_CXL },
	{ "port-devargs", required_argument, NULL, OPT_PORT_DEVARGS },
	{ "iface", required_argument, NULL, OPT_IFACE },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "kernel-devargs", required_argument, NULL, OPT_KERN_DEVARGS },
	{ "offloads", required_argument, NULL, OPT_OFFLOADS },
	{ "uring", required_argument, NULL, OPT_URING },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "ipv4", required_argument, NULL, OPT_IPV4 },
	{ "ipv6", required_argument, NULL, OPT_IPV6 },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "poll-lcores", required_argument, NULL, OPT_POLL_LCORES },
	{ "poll", required_argument, NULL, OPT_POLL },
	{ "poll-grace", required_argument, NULL, OPT_GRACE },
	{ "poll-grace-max", required_argument, NULL, OPT_GRACE_MAX },
	{ "poll-yield", required_argument, NULL, OPT_YIELD },
	{ "idle-sleep", required_argument, NULL, OPT_IDLE },
	{ "deep-sleep", required_argument, NULL, OPT_DEEP },
	{ "deep-after", required_argument, NULL, OPT_DEEP_AFTER },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "rxd", required_argument, NULL, OPT_RXD },
	{ "txd", required_argument, NULL, OPT_TXD },
	{ "mbuf-size", required_argument, NULL, OPT_MBUF_SIZE },
	{ "mbufs", required_argument, NULL, OPT_MBUFS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Whether the cxlmem arguments give key. */
static bool
cxl_devargs_has(const char *args, const char *key)
{
	struct rte_kvargs *kv = rte_kvargs_parse(args, NULL);
	bool has;

	if (kv == NULL)
		die_usage("--cxl '%s': expected KEY=VALUE[,KEY=VALUE...]", args);
	has = rte_kvargs_count(kv, key) != 0;
	rte_kvargs_free(kv);
	return has;
}

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

void
fwd_parse_args(struct fwd_opts *o, int argc, char **argv)
{
	static const char *const kernels[] = { "tun", "tap", NULL };
	static const char *const polls[] = { "adaptive", "busy", NULL };
	static const char *const offl[] = { "auto", "off", NULL };
	static const char *const onoff[] = { "on", "off", NULL };
	bool uring_set = false;
	const char *cxl_args = NULL;
	bool poll_knob = false;
	bool grace_max_set = false;
	char errmsg[160];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CXL:
			cxl_args = optarg;
			break;
		case OPT_PORT_DEVARGS:
			o->xport_devargs = strdup(optarg);
			break;
		case OPT_IFACE:
			if (strlen(optarg) == 0 || strlen(optarg) >= IFNAMSIZ)
				die_usage("--iface '%s': 1..%d characters", optarg, IFNAMSIZ - 1);
			snprintf(o->iface, sizeof(o->iface), "%s", optarg);
			break;
		case OPT_KERNEL:
			o->kernel = parse_choice("kernel", optarg, kernels) == 0 ?
				      FWD_KERN_TUN : FWD_KERN_TAP;
			break;
		case OPT_KERN_DEVARGS:
			o->kern_devargs = strdup(optarg);
			break;
		case OPT_OFFLOADS:
			o->offloads = parse_choice("offloads", optarg, offl) == 0;
			break;
		case OPT_URING:
			o->uring = parse_choice("uring", optarg, onoff) == 0;
			uring_set = true;
			break;
		case OPT_MAC:
			if (rte_ether_unformat_addr(optarg, &o->mac) != 0)
				die_usage("--mac '%s': expected XX:XX:XX:XX:XX:XX", optarg);
			if (!rte_is_unicast_ether_addr(&o->mac) || rte_is_zero_ether_addr(&o->mac))
				die_usage("--mac '%s': must be a non-zero unicast address", optarg);
			o->mac_set = true;
			break;
		case OPT_IPV4:
		case OPT_IPV6:
			if (o->n_addrs == MAX_ADDRS)
				die_usage("at most %d addresses", MAX_ADDRS);
			if (fwd_ifaddr_parse(optarg, c == OPT_IPV4 ? AF_INET : AF_INET6,
					     &o->addrs[o->n_addrs], errmsg, sizeof(errmsg)) != 0)
				die_usage("--%s %s", c == OPT_IPV4 ? "ipv4" : "ipv6", errmsg);
			o->n_addrs++;
			break;
		case OPT_MTU:
			o->mtu = parse_uint("mtu", optarg, RTE_ETHER_MIN_MTU, MAX_MTU);
			break;
		case OPT_NETNS:
			o->netns = optarg;
			break;
		case OPT_QUEUES:
			o->queues = parse_uint("queues", optarg, 1, MAX_QUEUES);
			o->queues_set = true;
			break;
		case OPT_BURST:
			o->burst = parse_uint("burst", optarg, 1, MAX_BURST);
			break;
		case OPT_POLL_LCORES:
			o->poll_lcores = optarg;
			break;
		case OPT_POLL:
			o->poll = parse_choice("poll", optarg, polls) == 0 ?
				    FWD_POLL_ADAPTIVE : FWD_POLL_BUSY;
			break;
		case OPT_GRACE:
			o->grace_us = parse_uint("poll-grace", optarg, 0, 10000000);
			poll_knob = true;
			break;
		case OPT_GRACE_MAX:
			o->grace_max_us = parse_uint("poll-grace-max", optarg, 0, 10000000);
			grace_max_set = true;
			poll_knob = true;
			break;
		case OPT_YIELD:
			o->poll_yield = parse_choice("poll-yield", optarg, onoff) == 0;
			poll_knob = true;
			break;
		case OPT_IDLE:
			o->idle_us = parse_uint("idle-sleep", optarg, 1, 1000000);
			poll_knob = true;
			break;
		case OPT_DEEP:
			o->deep_us = parse_uint("deep-sleep", optarg, 1, 1000000);
			poll_knob = true;
			break;
		case OPT_DEEP_AFTER:
			o->deep_ms = parse_uint("deep-after", optarg, 0, 3600000);
			poll_knob = true;
			break;
		case OPT_STATS:
			o->stats_sec = parse_uint("stats", optarg, 0, 86400);
			break;
		case OPT_RXD:
			o->rxd = parse_uint("rxd", optarg, 16, 16384);
			break;
		case OPT_TXD:
			o->txd = parse_uint("txd", optarg, 16, 16384);
			break;
		case OPT_MBUF_SIZE:
			o->mbuf_size = parse_uint("mbuf-size", optarg,
					RTE_PKTMBUF_HEADROOM + 256, UINT16_MAX);
			break;
		case OPT_MBUFS:
			o->nb_mbufs = parse_uint("mbufs", optarg, 512, 1u << 24);
			break;
		case 'h':
			fwd_usage(argv[0]);
			exit(EXIT_SUCCESS);
		default:
			die_usage("unknown or incomplete option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	if ((cxl_args != NULL) == (o->xport_devargs != NULL))
		die_usage("give exactly one of --cxl DEVARGS or --port-devargs NAME,ARGS");
	if (cxl_args != NULL) {
		unsigned int q = cxl_devargs_queues(cxl_args);
		char extra[64];
		char *tmp;

		o->xport_is_cxl = true;
		if (q != 0 && o->queues_set && q != o->queues)
			die_usage("--queues %u disagrees with queues=%u in --cxl; drop one of them",
				  o->queues, q);
		if (q != 0)
			o->queues = q;
		extra[0] = '\0';
		if (q == 0)
			snprintf(extra, sizeof(extra), "queues=%u", o->queues);
		/* The kernel finishes partial checksums (NEEDS_CSUM) itself:
		 * take them from net_cxlmem as they are, unless --cxl says. */
		if (!cxl_devargs_has(cxl_args, "rx_partial_csum"))
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 "%srx_partial_csum=on", extra[0] != '\0' ? "," : "");
		tmp = join_devargs(cxl_args, extra);
		o->xport_devargs = join_devargs(CXL_DEV_NAME, tmp[0] == ',' ? tmp + 1 : tmp);
		free(tmp);
	} else if (strchr(o->xport_devargs, ',') == o->xport_devargs) {
		die_usage("--port-devargs '%s': must start with the device name", o->xport_devargs);
	}
	if (o->kern_devargs != NULL && o->kern_devargs[0] == ',')
		die_usage("--kernel-devargs '%s': must start with the device name", o->kern_devargs);
	if (o->kern_devargs != NULL && o->kernel == FWD_KERN_TUN)
		die_usage("--kernel-devargs names a DPDK vdev for the tap backend; "
			  "add --kernel tap (the tun backend opens /dev/net/tun itself)");
	if (!o->offloads && o->kernel == FWD_KERN_TAP)
		die_usage("--offloads applies to the tun backend only (the tap backend moves plain frames)");
	if (uring_set && o->kernel == FWD_KERN_TAP)
		die_usage("--uring applies to the tun backend only (net_tap makes its own syscalls)");
	if (poll_knob && o->poll == FWD_POLL_BUSY)
		die_usage("--poll-grace/--poll-grace-max/--poll-yield/--idle-sleep/--deep-sleep/--deep-after apply to "
			  "--poll adaptive; drop them or use --poll adaptive");
	if (o->grace_max_us < o->grace_us) {
		if (grace_max_set)
			die_usage("--poll-grace-max %u is shorter than --poll-grace %u; give a largest "
				  "grace at least the base one (equal: a fixed grace)",
				  o->grace_max_us, o->grace_us);
		o->grace_max_us = o->grace_us;	/* a long base: fixed */
	}
	if (o->deep_us < o->idle_us)
		die_usage("--deep-sleep %u is shorter than --idle-sleep %u; deep sleep is the "
			  "longer interval", o->deep_us, o->idle_us);
}

/* Parse "1,3-4" into lcore ids; every one must be enabled in EAL. */
unsigned int
fwd_parse_lcore_list(const char *list, unsigned int *out, unsigned int max)
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
			if (a >= RTE_MAX_LCORE || !rte_lcore_is_enabled((unsigned int)a))
				rte_exit(EXIT_FAILURE, "cxl-fwd: --poll-lcores: lcore %lu is not "
					 "enabled; add it to the EAL -l/--lcores list\n", a);
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
	rte_exit(EXIT_FAILURE, "cxl-fwd: --poll-lcores '%s': expected a list like 1,2 or 1-3\n",
		 list);
}
