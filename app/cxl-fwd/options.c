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
fwd_usage(const char *prog)
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
	       prog, MAX_MTU, MAX_BURST, opts.grace_us, opts.grace_max_us, opts.idle_us, opts.deep_us,
	       opts.deep_ms, RTE_MBUF_DEFAULT_BUF_SIZE);
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
fwd_parse_args(int argc, char **argv)
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
			opts.xport_devargs = strdup(optarg);
			break;
		case OPT_IFACE:
			if (strlen(optarg) == 0 || strlen(optarg) >= IFNAMSIZ)
				die_usage("--iface '%s': 1..%d characters", optarg, IFNAMSIZ - 1);
			snprintf(opts.iface, sizeof(opts.iface), "%s", optarg);
			break;
		case OPT_KERNEL:
			opts.kernel = parse_choice("kernel", optarg, kernels) == 0 ?
				      FWD_KERN_TUN : FWD_KERN_TAP;
			break;
		case OPT_KERN_DEVARGS:
			opts.kern_devargs = strdup(optarg);
			break;
		case OPT_OFFLOADS:
			opts.offloads = parse_choice("offloads", optarg, offl) == 0;
			break;
		case OPT_URING:
			opts.uring = parse_choice("uring", optarg, onoff) == 0;
			uring_set = true;
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
		case OPT_POLL:
			opts.poll = parse_choice("poll", optarg, polls) == 0 ?
				    FWD_POLL_ADAPTIVE : FWD_POLL_BUSY;
			break;
		case OPT_GRACE:
			opts.grace_us = parse_uint("poll-grace", optarg, 0, 10000000);
			poll_knob = true;
			break;
		case OPT_GRACE_MAX:
			opts.grace_max_us = parse_uint("poll-grace-max", optarg, 0, 10000000);
			grace_max_set = true;
			poll_knob = true;
			break;
		case OPT_YIELD:
			opts.poll_yield = parse_choice("poll-yield", optarg, onoff) == 0;
			poll_knob = true;
			break;
		case OPT_IDLE:
			opts.idle_us = parse_uint("idle-sleep", optarg, 1, 1000000);
			poll_knob = true;
			break;
		case OPT_DEEP:
			opts.deep_us = parse_uint("deep-sleep", optarg, 1, 1000000);
			poll_knob = true;
			break;
		case OPT_DEEP_AFTER:
			opts.deep_ms = parse_uint("deep-after", optarg, 0, 3600000);
			poll_knob = true;
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
			fwd_usage(argv[0]);
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
		char extra[64];
		char *tmp;

		opts.xport_is_cxl = true;
		if (q != 0 && opts.queues_set && q != opts.queues)
			die_usage("--queues %u disagrees with queues=%u in --cxl; drop one of them",
				  opts.queues, q);
		if (q != 0)
			opts.queues = q;
		extra[0] = '\0';
		if (q == 0)
			snprintf(extra, sizeof(extra), "queues=%u", opts.queues);
		/* The kernel finishes partial checksums (NEEDS_CSUM) itself:
		 * take them from net_cxlmem as they are, unless --cxl says. */
		if (!cxl_devargs_has(cxl_args, "rx_partial_csum"))
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 "%srx_partial_csum=on", extra[0] != '\0' ? "," : "");
		tmp = join_devargs(cxl_args, extra);
		opts.xport_devargs = join_devargs(CXL_DEV_NAME, tmp[0] == ',' ? tmp + 1 : tmp);
		free(tmp);
	} else if (strchr(opts.xport_devargs, ',') == opts.xport_devargs) {
		die_usage("--port-devargs '%s': must start with the device name", opts.xport_devargs);
	}
	if (opts.kern_devargs != NULL && opts.kern_devargs[0] == ',')
		die_usage("--kernel-devargs '%s': must start with the device name", opts.kern_devargs);
	if (opts.kern_devargs != NULL && opts.kernel == FWD_KERN_TUN)
		die_usage("--kernel-devargs names a DPDK vdev for the tap backend; "
			  "add --kernel tap (the tun backend opens /dev/net/tun itself)");
	if (!opts.offloads && opts.kernel == FWD_KERN_TAP)
		die_usage("--offloads applies to the tun backend only (the tap backend moves plain frames)");
	if (uring_set && opts.kernel == FWD_KERN_TAP)
		die_usage("--uring applies to the tun backend only (net_tap makes its own syscalls)");
	if (poll_knob && opts.poll == FWD_POLL_BUSY)
		die_usage("--poll-grace/--poll-grace-max/--poll-yield/--idle-sleep/--deep-sleep/--deep-after apply to "
			  "--poll adaptive; drop them or use --poll adaptive");
	if (opts.grace_max_us < opts.grace_us) {
		if (grace_max_set)
			die_usage("--poll-grace-max %u is shorter than --poll-grace %u; give a largest "
				  "grace at least the base one (equal: a fixed grace)",
				  opts.grace_max_us, opts.grace_us);
		opts.grace_max_us = opts.grace_us;	/* a long base: fixed */
	}
	if (opts.deep_us < opts.idle_us)
		die_usage("--deep-sleep %u is shorter than --idle-sleep %u; deep sleep is the "
			  "longer interval", opts.deep_us, opts.idle_us);
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
