/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control file of a two-process run (/dev/shm/TAG.ctl).  The generator
 * process creates it and issues commands (one at a time: it bumps cmd_seq
 * and waits until the peer echoes it in ack_seq); the peer process's lcores
 * write their counters into it, so the generator reads the receive side of
 * every card without a message per sample.  The peer's main lcore sleeps on
 * cmd_seq (a futex in the shared mapping) rather than polling it, so it does
 * not wake up on the generator's forwarding CPU while nothing happens.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "cxl_perf.h"

#define CMD_TIMEOUT_S 15.0

static bool
pid_alive(uint32_t pid)
{
	return pid != 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

struct perf_ctl *
perf_ctl_create(const char *path)
{
	struct perf_ctl *c;
	int fd;

	unlink(path); /* never reuse an inode a stale peer may still map */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "cxl-perf: cannot create %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (ftruncate(fd, sizeof(*c)) != 0) {
		fprintf(stderr, "cxl-perf: cannot size %s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (c == MAP_FAILED)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->version = PERF_CTL_VERSION;
	c->gen_pid = (uint32_t)getpid();
	__atomic_store_n(&c->magic, PERF_CTL_MAGIC, __ATOMIC_RELEASE);
	return c;
}

struct perf_ctl *
perf_ctl_attach(const char *path, double timeout_s, volatile int *quit)
{
	uint64_t end = rte_get_timer_cycles() + (uint64_t)(timeout_s * rte_get_timer_hz());

	while (!*quit) {
		struct perf_ctl *c = NULL;
		struct stat st;
		int fd = open(path, O_RDWR);

		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(*c)) {
				c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
				if (c == MAP_FAILED)
					c = NULL;
			}
			close(fd);
		}
		if (c != NULL) {
			if (__atomic_load_n(&c->magic, __ATOMIC_ACQUIRE) == PERF_CTL_MAGIC &&
			    c->version == PERF_CTL_VERSION && pid_alive(c->gen_pid) &&
			    c->peer_pid == 0) {
				c->peer_pid = (uint32_t)getpid();
				__atomic_store_n(&c->peer_ready, 1, __ATOMIC_RELEASE);
				return c;
			}
			munmap(c, sizeof(*c));
		}
		if (rte_get_timer_cycles() > end)
			break;
		rte_delay_us_sleep(50000);
	}
	fprintf(stderr, "cxl-perf: no generator process at %s\n", path);
	return NULL;
}

int
perf_ctl_wait_peer(struct perf_ctl *c, double timeout_s, volatile int *quit)
{
	uint64_t end = rte_get_timer_cycles() + (uint64_t)(timeout_s * rte_get_timer_hz());

	while (__atomic_load_n(&c->peer_ready, __ATOMIC_ACQUIRE) == 0) {
		if (*quit || rte_get_timer_cycles() > end) {
			fprintf(stderr, "cxl-perf: no peer process (start it with --role peer "
				"and the same options)\n");
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(10000);
	}
	return 0;
}

int
perf_ctl_cmd(struct perf_ctl *c, enum perf_cmd cmd, unsigned int tp,
	     unsigned int nb_cards, uint32_t mode, unsigned int pkt_len)
{
	uint64_t end = rte_get_timer_cycles() + (uint64_t)(CMD_TIMEOUT_S * rte_get_timer_hz());
	uint32_t seq = c->cmd_seq + 1;

	c->cmd = cmd;
	c->tp = tp;
	c->nb_cards = nb_cards;
	c->mode = mode;
	c->pkt_len = pkt_len;
	__atomic_store_n(&c->cmd_seq, seq, __ATOMIC_RELEASE);
	/* shared futex: the peer is another process */
	syscall(SYS_futex, &c->cmd_seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	while (__atomic_load_n(&c->ack_seq, __ATOMIC_ACQUIRE) != seq) {
		if (rte_get_timer_cycles() > end || !pid_alive(c->peer_pid)) {
			static const char *const names[] = {"none", "start", "stop", "snap", "quit"};

			fprintf(stderr, "cxl-perf: peer process %u does not answer command %s (%u)\n",
				c->peer_pid, cmd < RTE_DIM(names) ? names[cmd] : "?", seq);
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(200);
	}
	return c->ack_status;
}

void
perf_ctl_wait_cmd(struct perf_ctl *c, uint32_t seen, double timeout_s)
{
	struct timespec ts = {
		.tv_sec = (time_t)timeout_s,
		.tv_nsec = (long)((timeout_s - (double)(time_t)timeout_s) * 1e9),
	};

	/* returns at once if cmd_seq is no longer seen; EINTR, ETIMEDOUT: the
	 * caller looks again */
	syscall(SYS_futex, &c->cmd_seq, FUTEX_WAIT, seen, &ts, NULL, 0);
}

void
perf_ctl_close(struct perf_ctl *c, const char *path, bool owner)
{
	if (c == NULL)
		return;
	munmap(c, sizeof(*c));
	if (owner)
		unlink(path);
}
