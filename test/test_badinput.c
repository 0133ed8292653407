/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_badinput.c - table-driven refusals: bad devargs, bad or truncated
 * windows, wrong layout versions, wrong permissions, overlapping
 * sub-windows, role and geometry conflicts.
 *
 * The parent is "another process using the window": it holds live ports on
 * three windows (both ends of LIVE, only the device end of DEVONLY, only
 * the host end of HOSTONLY) and prepares broken window files. Each case
 * runs in a fresh child process (this binary with --probe ARGS) that does
 * what an application does: EAL init, then probe net_cxlmem with ARGS. A
 * case passes when the child
 *   - exits normally (no signal, no hang) with a non-zero status,
 *   - printed an error naming the problem (an expected piece of text),
 *   - left every window file byte for byte as it was (heartbeat counters
 *     of the live owners aside), and created no file.
 *
 * Usage: test_badinput            run the table (prints one line per case)
 *        test_badinput --probe ARGS [--uid N]   one probe (the child)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "cxlmem_layout.h"

#define CHILD_TIMEOUT_S 30
#define SMALL_GEOM "queues=1,rsize=64,bsize=256"

static int failures;

/* ---- child: one probe ------------------------------------------------------ */

static int
child_probe(const char *args, int uid)
{
	char prefix[64];
	char *eal[] = { (char *)"test_badinput", (char *)"--no-huge", (char *)"-m", (char *)"32",
			(char *)"--no-pci", (char *)"--no-shconf", (char *)"--no-telemetry",
			(char *)"-l", (char *)"0", (char *)"--log-level=lib.eal:error",
			(char *)"--log-level=pmd.net.cxlmem:info", prefix, NULL };
	uint16_t port;
	int ret;

	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlbad%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		printf("child: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 101;
	}
	/* Drop to uid only now, for the probe alone: what is tested is the
	 * window's permission, not whether EAL starts unprivileged (it needs a
	 * runtime folder that a minimal system may not give an unprivileged
	 * user). setuid() from root drops every capability, in every thread. */
	if (uid >= 0 && (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 ||
			 setuid((uid_t)uid) != 0)) {
		printf("child: cannot drop to uid %d: %s\n", uid, strerror(errno));
		return 100;
	}
	if (uid >= 0 && geteuid() != (uid_t)uid) {
		printf("child: still uid %u after dropping to %d\n", geteuid(), uid);
		return 100;
	}
	ret = rte_vdev_init("net_cxlmem_bad", args);
	/* What an application sees: the status, and whether a port exists. */
	printf("child: probe of net_cxlmem_bad,%s returned %d (%s); port %s\n", args, ret,
	       ret == 0 ? "success" : strerror(-ret),
	       rte_eth_dev_get_port_by_name("net_cxlmem_bad", &port) == 0 ? "exists" : "absent");
	fflush(stdout);
	if (ret == 0)
		rte_eal_hotplug_remove("vdev", "net_cxlmem_bad");
	rte_eal_cleanup();
	return ret == 0 ? 0 : 2;
}

/* ---- parent ---------------------------------------------------------------- */

enum { W_LIVE, W_DEVONLY, W_HOSTONLY, W_VERSION, W_GEOM, W_STRIDE, W_BIG, W_SMALL, W_PERM,
       W_COUNT };
static const char *const win_tag[W_COUNT] = {
	"live", "devonly", "hostonly", "version", "geom", "stride", "big", "small", "perm",
};
static char win_path[W_COUNT][128];
static char missing_path[128];

struct snapshot {
	uint8_t *data;
	off_t size;
};

static void
snap_take(const char *path, struct snapshot *s)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	s->data = NULL;
	s->size = -1;
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0) {
		s->size = st.st_size;
		s->data = malloc((size_t)st.st_size + 1);
		if (s->data == NULL || pread(fd, s->data, (size_t)st.st_size, 0) != st.st_size)
			s->size = -2;
	}
	close(fd);
}

/* Equal except the two heartbeat counters, which live owners keep bumping. */
static int
snap_same(const struct snapshot *a, const struct snapshot *b, char *why, size_t why_len)
{
	off_t i;

	if (a->size != b->size) {
		snprintf(why, why_len, "size %jd -> %jd", (intmax_t)a->size, (intmax_t)b->size);
		return 0;
	}
	for (i = 0; i < a->size; i++) {
		const off_t r = i - CXLMEM_CTRL_OFFSET(0);

		if (r >= 0 && r < 2 * CXLMEM_LINE &&
		    r % CXLMEM_LINE >= (off_t)offsetof(struct cxlmem_ctrl, heartbeat) &&
		    r % CXLMEM_LINE < (off_t)offsetof(struct cxlmem_ctrl, heartbeat) + 8)
			continue;
		if (a->data[i] != b->data[i]) {
			snprintf(why, why_len, "byte %jd changed 0x%02x -> 0x%02x", (intmax_t)i,
				 a->data[i], b->data[i]);
			return 0;
		}
	}
	return 1;
}

/* Run this binary with --probe args; collect its output and status. */
static int
run_child(const char *self, const char *args, int uid, char *out, size_t out_len, int *status)
{
	char uidbuf[16];
	int pfd[2];
	size_t got = 0;
	pid_t pid;
	time_t deadline = time(NULL) + CHILD_TIMEOUT_S;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		snprintf(uidbuf, sizeof(uidbuf), "%d", uid);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execl(self, self, "--probe", args, "--uid", uidbuf, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			snprintf(out + got, out_len - got, "\n[killed: no exit after %d s]\n",
				 CHILD_TIMEOUT_S);
			break;
		}
		if (poll(&p, 1, 500) <= 0)
			continue;
		n = read(pfd[0], out + got, out_len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		out[got] = '\0';
		if (got + 1 >= out_len)
			got = 0; /* keep the tail; errors come last */
	}
	close(pfd[0]);
	waitpid(pid, status, 0);
	return 0;
}

struct bad_case {
	const char *what;     /* the problem, for the report */
	const char *args;     /* devargs; %L etc. replaced below */
	const char *expect;   /* text the error must contain */
	int uid;              /* -1: stay root */
};

/* %L %D %H %V %G %S %B %s %P %X: window paths (see expand). */
static const struct bad_case cases[] = {
	/* devargs */
	{ "unknown key", "role=host,path=%L,bogus=1", "unknown devarg 'bogus'", -1 },
	{ "no role", "path=%L", "role= is required", -1 },
	{ "bad role", "role=middle,path=%L", "role=middle: expected role=host or role=device", -1 },
	{ "no window", "role=host", "give exactly one window", -1 },
	{ "path and dax", "role=host,path=%L,dax=dax0.0", "give exactly one window", -1 },
	{ "duplicate key", "role=host,path=%L,role=device", "'role' given more than once", -1 },
	{ "key without value", "role=host,path=%X,queues", "'queues' needs a value", -1 },
	{ "rsize not a power of 2", "role=host,path=%X,rsize=1000",
	  "rsize=1000: expected a power of two", -1 },
	{ "rsize too large", "role=host,path=%X,rsize=65536",
	  "rsize=65536: expected a number from 64 to 32768", -1 },
	{ "zero queues", "role=host,path=%X,queues=0", "queues=0: expected a number from 1 to 64", -1 },
	{ "too many queues", "role=host,path=%X,queues=65",
	  "queues=65: expected a number from 1 to 64", -1 },
	{ "bsize not a multiple of 64", "role=host,path=%X,bsize=1000",
	  "bsize=1000: expected a multiple of 64", -1 },
	{ "bsize too small", "role=host,path=%X,bsize=128",
	  "bsize=128: expected a number from 256 to 65536", -1 },
	{ "size not a number", "role=host,path=%X,size=12x", "size=12x: expected bytes", -1 },
	{ "size zero", "role=host,path=%X,size=0", "size=0: expected bytes > 0", -1 },
	{ "offset overflows", "role=host,path=%X,offset=99999999999G", "offset=99999999999G: expected bytes", -1 },
	{ "offset misaligned", "role=host,path=%X,offset=100", "offset=100 is not a multiple of 4096", -1 },
	{ "doorbell relative", "role=host,path=%X,doorbell=db", "doorbell=db: expected auto, off, or "
	  "an absolute path prefix", -1 },
	{ "doorbell too long", "role=host,path=%X,doorbell=/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "an absolute path prefix of "
	  "at most 97 bytes", -1 },
	{ "multicast mac", "role=host,path=%X,mac=01:00:00:00:00:01",
	  "mac=01:00:00:00:00:01: expected a non-zero unicast MAC", -1 },
	{ "bad mac", "role=host,path=%X,mac=02:00:00:00:01", "mac=02:00:00:00:01: expected a non-zero unicast MAC", -1 },
	{ "bad coherence", "role=host,path=%X,coherence=maybe",
	  "coherence=maybe: expected coherence=hw or coherence=flush", -1 },
	{ "bad nt_store", "role=host,path=%X,nt_store=yes",
	  "nt_store=yes: expected nt_store=auto, on or off", -1 },
	{ "link_timeout too short", "role=host,path=%X,link_timeout=5",
	  "link_timeout=5: expected a number from 20 to 60000", -1 },
	{ "malformed dax name", "role=host,dax=nvme0", "dax=nvme0: expected a devdax name", -1 },
	{ "no such dax device", "role=host,dax=dax9.9", "dax=dax9.9", -1 },
	/* windows */
	{ "device window missing", "role=device,path=%X", "does not exist; start the role=host end first", -1 },
	{ "wrong layout version", "role=device,path=%V", "layout version 1, this driver speaks 2", -1 },
	{ "superblock geometry invalid", "role=device,path=%G", "superblock is inconsistent", -1 },
	{ "superblock stride wrong", "role=device,path=%S", "superblock is inconsistent", -1 },
	{ "superblock larger than window", "role=device,path=%B", "bsize=2048, which needs", -1 },
	{ "truncated window", "role=device,path=%s", "bsize=2048, which needs", -1 },
	{ "truncated window (host)", "role=host,path=%s," SMALL_GEOM, "the geometry queues=1 rsize=64 bsize=256 needs", -1 },
	{ "offset beyond end", "role=device,path=%s,offset=1G", "beyond the end of", -1 },
	{ "offset+size beyond end", "role=host,path=%s,offset=4096,size=1M", "exceeds", -1 },
	{ "path is a directory", "role=host,path=/dev/shm", "Is a directory", -1 },
	{ "path is not devdax", "role=host,path=/dev/null", "null", -1 },
	{ "no permission", "role=device,path=%P", "Permission denied", 65534 },
	/* live windows */
	{ "host role owned", "role=host,path=%L,size=64K," SMALL_GEOM, "role=host of", -1 },
	{ "device role owned", "role=device,path=%L,size=64K," SMALL_GEOM, "role=device of", -1 },
	{ "overlapping sub-window", "role=host,path=%L,offset=32K,size=64K," SMALL_GEOM,
	  "overlaps a sub-window", -1 },
	{ "overlapping sub-window (device)", "role=device,path=%L,offset=60K,size=64K," SMALL_GEOM,
	  "overlaps a sub-window", -1 },
	{ "geometry differs, device online", "role=host,path=%D,queues=1,rsize=64,bsize=320",
	  "its device end is online", -1 },
	{ "geometry differs, host online", "role=device,path=%H,queues=1,rsize=64,bsize=320",
	  "give the same geometry", -1 },
};

static void
expand(const char *fmt, char *out, size_t len)
{
	size_t o = 0;

	for (; *fmt != '\0' && o + 1 < len; fmt++) {
		const char *rep = NULL;

		if (*fmt == '%' && fmt[1] != '\0') {
			switch (fmt[1]) {
			case 'L': rep = win_path[W_LIVE]; break;
			case 'D': rep = win_path[W_DEVONLY]; break;
			case 'H': rep = win_path[W_HOSTONLY]; break;
			case 'V': rep = win_path[W_VERSION]; break;
			case 'G': rep = win_path[W_GEOM]; break;
			case 'S': rep = win_path[W_STRIDE]; break;
			case 'B': rep = win_path[W_BIG]; break;
			case 's': rep = win_path[W_SMALL]; break;
			case 'P': rep = win_path[W_PERM]; break;
			case 'X': rep = missing_path; break;
			}
		}
		if (rep != NULL) {
			o += (size_t)snprintf(out + o, len - o, "%s", rep);
			fmt++;
		} else {
			out[o++] = *fmt;
		}
	}
	out[o < len ? o : len - 1] = '\0';
}

static struct rte_mempool *pool;

static int
add_port(const char *name, const char *args, uint16_t *port)
{
	struct rte_eth_conf conf = { 0 };
	int ret = rte_vdev_init(name, args);

	if (ret != 0) {
		printf("FAIL: cannot set up %s (%s): %d\n", name, args, ret);
		return ret;
	}
	rte_eth_dev_get_port_by_name(name, port);
	ret = rte_eth_dev_configure(*port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(*port, 0, 0, rte_socket_id(), NULL, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(*port, 0, 0, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(*port);
	return ret;
}

/* Sizes of a geometry (cxlmem_geometry() cannot fail for these). */
static struct cxlmem_geometry
geom(uint32_t q, uint32_t r, uint32_t b)
{
	struct cxlmem_geometry g;

	cxlmem_geometry(q, r, b, &g);
	return g;
}

/* A file holding a formatted superblock for the small geometry, altered. */
static void
write_window(const char *path, uint64_t size, void (*alter)(struct cxlmem_superblock *))
{
	struct cxlmem_superblock sb = {
		.magic = CXLMEM_MAGIC, .version = CXLMEM_LAYOUT_VERSION, .line_size = CXLMEM_LINE,
		.window_size = size, .nb_queues = 1, .ring_size = 1024, .buf_size = 2048,
		.desc_size = sizeof(struct cxlmem_desc), .queue_offset = CXLMEM_QUEUE_AREA_OFFSET,
		.ring_stride = geom(1, 1024, 2048).ring_stride,
	};
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (alter != NULL)
		alter(&sb);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0 || pwrite(fd, &sb, sizeof(sb), 0) != sizeof(sb)) {
		printf("FAIL: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void alter_version(struct cxlmem_superblock *sb) { sb->version = 1; } /* layout version 1 */
static void alter_geom(struct cxlmem_superblock *sb) { sb->ring_size = 1000; }
static void alter_stride(struct cxlmem_superblock *sb) { sb->ring_stride -= 4096; }
static void alter_big(struct cxlmem_superblock *sb)
{
	sb->nb_queues = 8;
	sb->window_size = geom(8, 1024, 2048).window_bytes;
}

int
main(int argc, char **argv)
{
	char prefix[64], args[512], out[16384], why[128];
	char *eal[] = { argv[0], (char *)"--no-huge", (char *)"-m", (char *)"64", (char *)"--no-pci",
			(char *)"--no-shconf", (char *)"-l", (char *)"0",
			(char *)"--log-level=pmd.net.cxlmem:warning", prefix, NULL };
	const uint64_t std_size = geom(1, 1024, 2048).window_bytes;
	struct snapshot before[W_COUNT], after;
	uint16_t p_live_h, p_live_d, p_dev, p_host, tmp;
	unsigned int i, w, ncase = RTE_DIM(cases);
	char self[512];
	ssize_t sl;

	if (argc >= 3 && strcmp(argv[1], "--probe") == 0)
		return child_probe(argv[2], argc >= 5 ? atoi(argv[4]) : -1);

	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0)
		return 1;
	self[sl] = '\0';
	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlbadp%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		printf("FAIL: EAL init\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("bad_pool", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	if (pool == NULL)
		return 1;
	for (w = 0; w < W_COUNT; w++) {
		snprintf(win_path[w], sizeof(win_path[w]), "/dev/shm/cxlmem-bad-%d-%s", (int)getpid(),
			 win_tag[w]);
		unlink(win_path[w]);
	}
	snprintf(missing_path, sizeof(missing_path), "/dev/shm/cxlmem-bad-%d-missing", (int)getpid());
	unlink(missing_path);

	/* Live windows, owned by this process. LIVE: a 128 KiB file, both ends
	 * on its first 64 KiB. DEVONLY: the host formatted it and left.
	 * HOSTONLY: only the host end. */
	{
		int fd = open(win_path[W_LIVE], O_RDWR | O_CREAT, 0600);

		if (fd < 0 || ftruncate(fd, 128 << 10) != 0)
			return 1;
		close(fd);
	}
	snprintf(args, sizeof(args), "role=host,path=%s,size=64K," SMALL_GEOM, win_path[W_LIVE]);
	if (add_port("net_cxlmem_lh", args, &p_live_h) != 0)
		return 1;
	snprintf(args, sizeof(args), "role=device,path=%s,size=64K," SMALL_GEOM, win_path[W_LIVE]);
	if (add_port("net_cxlmem_ld", args, &p_live_d) != 0)
		return 1;
	snprintf(args, sizeof(args), "role=host,path=%s,size=64K," SMALL_GEOM, win_path[W_DEVONLY]);
	if (add_port("net_cxlmem_tmp", args, &tmp) != 0)
		return 1;
	rte_eth_dev_stop(tmp);
	rte_eth_dev_close(tmp);
	rte_eal_hotplug_remove("vdev", "net_cxlmem_tmp");
	snprintf(args, sizeof(args), "role=device,path=%s," SMALL_GEOM, win_path[W_DEVONLY]);
	if (add_port("net_cxlmem_dv", args, &p_dev) != 0)
		return 1;
	snprintf(args, sizeof(args), "role=host,path=%s,size=64K," SMALL_GEOM, win_path[W_HOSTONLY]);
	if (add_port("net_cxlmem_ho", args, &p_host) != 0)
		return 1;
	(void)p_live_h; (void)p_live_d; (void)p_dev; (void)p_host;

	write_window(win_path[W_VERSION], std_size, alter_version);
	write_window(win_path[W_GEOM], std_size, alter_geom);
	write_window(win_path[W_STRIDE], std_size, alter_stride);
	write_window(win_path[W_BIG], std_size, alter_big);
	write_window(win_path[W_SMALL], 8192, NULL);
	write_window(win_path[W_PERM], std_size, NULL);
	/* Let the live ports' link settle so their control lines are steady. */
	rte_delay_us_sleep(200 * 1000);

	printf("%u bad-input cases; each runs in its own process\n", ncase);
	for (i = 0; i < ncase; i++) {
		const struct bad_case *c = &cases[i];
		int status = 0, ok = 1;
		char *line;
		const char *verdict = "ok";

		expand(c->args, args, sizeof(args));
		for (w = 0; w < W_COUNT; w++)
			snap_take(win_path[w], &before[w]);
		out[0] = '\0';
		if (run_child(self, args, c->uid, out, sizeof(out), &status) != 0) {
			printf("FAIL: cannot start a child: %s\n", strerror(errno));
			return 1;
		}
		if (WIFSIGNALED(status)) {
			ok = 0;
			verdict = "child died of a signal";
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) == 0) {
			ok = 0;
			verdict = "accepted (exit status 0)";
		} else if (WEXITSTATUS(status) >= 100) {
			ok = 0;
			verdict = "child could not run the probe";
		} else if (strstr(out, c->expect) == NULL) {
			ok = 0;
			verdict = "error text does not name the problem";
		}
		for (w = 0; w < W_COUNT; w++) {
			snap_take(win_path[w], &after);
			if (!snap_same(&before[w], &after, why, sizeof(why))) {
				ok = 0;
				printf("     window %s changed: %s\n", win_tag[w], why);
				verdict = "a window changed";
			}
			free(after.data);
			free(before[w].data);
		}
		if (access(missing_path, F_OK) == 0) {
			ok = 0;
			verdict = "a file was created";
			unlink(missing_path);
		}
		/* The error line the child printed, for the log. */
		line = strstr(out, c->expect);
		if (line == NULL)
			line = strstr(out, "(): ");
		if (line != NULL) {
			char *end = strchr(line, '\n');

			if (end != NULL)
				*end = '\0';
			while (line > out && line[-1] != '\n')
				line--;
		}
		printf("%-4s %2u %-36s status %d: %s\n", ok ? "ok" : "FAIL", i + 1, c->what,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1, line != NULL ? line : "(no error text)");
		if (!ok) {
			failures++;
			printf("     %s; args: %s\n     expected text: %s\n     child output:\n%s\n",
			       verdict, args, c->expect, out);
		}
	}

	/* The live ports survived all of it. */
	{
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(p_live_h, &l) != 0 || l.link_status != RTE_ETH_LINK_UP) {
			printf("FAIL: live window's link went down during the refusals\n");
			failures++;
		}
	}
	rte_eal_hotplug_remove("vdev", "net_cxlmem_lh");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_ld");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_dv");
	rte_eal_hotplug_remove("vdev", "net_cxlmem_ho");
	for (w = 0; w < W_COUNT; w++)
		unlink(win_path[w]);
	rte_eal_cleanup();
	printf("%u cases, %d failed\n", ncase, failures);
	return failures ? 1 : 0;
}
