/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_claim.c - coherence=flush: a role claim must not trust a cached
 * copy of the owner's control line (issue 10, item 8).
 *
 * Run under the stale-read injector with warm caches
 * (CXLMEM_STALE_INJECT=1 CXLMEM_STALE_WARM=1): this process first probes
 * the host end, whose mapping caches the device's control line while it
 * says OFFLINE. Then a device owner "on the other side of the link" comes
 * online: a thread that writes the device's control line straight to
 * memory (pwrite: no lock, no cache of ours) with a heartbeat that
 * advances every 5 ms. A role=device probe in this process starts from the
 * warm cache; it must invalidate the line before its first read, see the
 * live owner and refuse (-EBUSY). The old claim read the cached OFFLINE
 * and took the role: two writers on one set of rings.
 * Then the owner goes OFFLINE (heartbeat stops) and the same probe is
 * accepted, so the refusal was about the owner and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "cxlmem_layout.h"

#include "check.h"

static char path[128];
static int fd = -1;
static volatile int owner_run = 1, owner_online = 1;

/* The remote device owner: writes its control line to memory directly. */
static void *
owner(void *arg)
{
	struct cxlmem_ctrl c;

	(void)arg;
	memset(&c, 0, sizeof(c));
	c.pid = 424242;
	c.epoch = 7;
	while (owner_run) {
		c.state = owner_online ? CXLMEM_STATE_ONLINE : CXLMEM_STATE_OFFLINE;
		if (owner_online)
			c.heartbeat++;
		if (pwrite(fd, &c, sizeof(c), CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE)) != sizeof(c))
			break;
		usleep(5000);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	char prefix[64], args[256];
	char *eal[] = { argv[0], (char *)"--no-huge", (char *)"-m", (char *)"64", (char *)"--no-pci",
			(char *)"--no-shconf", (char *)"-l", (char *)"0",
			(char *)"--log-level=pmd.net.cxlmem:info", prefix, NULL };
	const char *inj = getenv("CXLMEM_STALE_INJECT"), *warm = getenv("CXLMEM_STALE_WARM");
	pthread_t t;
	int ret;

	(void)argc;
	if (inj == NULL || strcmp(inj, "1") != 0 || warm == NULL || strcmp(warm, "1") != 0) {
		printf("test_claim needs CXLMEM_STALE_INJECT=1 CXLMEM_STALE_WARM=1\n");
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=cxlclaim%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		printf("FAIL: EAL init\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/shm/cxlmem-claim-%d", (int)getpid());
	unlink(path);

	/* 1. The host end formats the window; its cache now holds the
	 *    device's control line as OFFLINE. */
	snprintf(args, sizeof(args), "role=host,path=%s,size=16M,coherence=flush", path);
	CHECK(rte_vdev_init("net_cxlmem0", args) == 0, "host probe");
	fd = open(path, O_RDWR);
	CHECK(fd >= 0, "open %s", path);

	/* 2. A device owner across the link comes online. */
	pthread_create(&t, NULL, owner, NULL);
	usleep(50 * 1000);

	/* 3. A second device claim here: refused. */
	snprintf(args, sizeof(args), "role=device,path=%s,coherence=flush", path);
	ret = rte_vdev_init("net_cxlmem1", args);
	CHECK(ret == -EBUSY, "a role=device claim against a live owner returned %d "
	      "(a stale cached OFFLINE was trusted)", ret);
	if (ret == 0)
		rte_vdev_uninit("net_cxlmem1");

	/* 4. The owner goes offline (and its thread ends): now the claim is
	 *    accepted. */
	owner_online = 0;
	usleep(50 * 1000);
	owner_run = 0;
	pthread_join(t, NULL);
	ret = rte_vdev_init("net_cxlmem1", args);
	CHECK(ret == 0, "the claim was refused after the owner went offline: %d", ret);
	if (ret == 0)
		rte_vdev_uninit("net_cxlmem1");
	close(fd);
	rte_vdev_uninit("net_cxlmem0");
	unlink(path);
	rte_eal_cleanup();
	return check_summary();
}
