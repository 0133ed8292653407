/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_doorbell.c - Rx interrupt mode of net_cxlmem: a receive queue may
 * sleep (rte_eth_dev_rx_intr_enable(), then wait on the fd of
 * rte_eth_dev_rx_intr_ctl_q_get_fd()) and its peer wakes it when frames
 * arrive.
 *
 * The request travels in the window (ring_cons.intr_arm and the flag
 * CXLMEM_CTRL_F_RX_INTR of the receiver's control line, cxlmem_layout.h);
 * the wake-up itself is a doorbell outside it. Between two processes of
 * one host it is a datagram on a Unix socket per receive ring, bound by
 * the receiver at PREFIX.db-h2d-Q or PREFIX.db-d2h-Q (doorbell= devarg;
 * beside a file window by default). The socket is the queue's interrupt
 * fd (RTE_INTR_HANDLE_VDEV, one efd per queue, as net_vhost installs its
 * callfds). Sockets bound to a path, unlike abstract ones, reach across
 * network namespaces, so two cxl-fwd in two namespaces ring each other.
 * A device across a CXL link would ring with an MSI instead; the window
 * side of the protocol stays the same.
 *
 * A doorbell is a hint: a lost, late or spurious one costs latency, never
 * a frame, and the values read from the window here are only compared.
 * An application still bounds its wait: a peer that predates doorbells, or
 * has none configured, never rings.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ethdev_driver.h>
#include <rte_atomic.h>
#include <rte_cycles.h>
#include <rte_interrupts.h>

#include "cxlmem.h"
#include "cxlmem_coherence.h"
#include "cxlmem_ring.h"

/* The socket name of receive ring (q, d) under prefix. */
static void
db_addr(struct sockaddr_un *a, const char *prefix, uint32_t q, enum cxlmem_dir d)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	/* The prefix is shorter than sun_path by CXLMEM_DOORBELL_SUFFIX_MAX
	 * (devargs), which holds the longest suffix. */
	snprintf(a->sun_path, sizeof(a->sun_path), "%.*s.db-%s-%u",
		 (int)(CXLMEM_DOORBELL_PREFIX_MAX - 1), prefix,
		 d == CXLMEM_DIR_H2D ? "h2d" : "d2h", (unsigned int)(q % CXLMEM_MAX_QUEUES));
}

/**
 * Settle doorbell=auto once the window is open: beside a file window
 * (both ends of a file are on this host; PATH, or PATH.OFFSET in hex for
 * a sub-window at a non-zero offset, PATH being the file's canonical path
 * (realpath(3)), so that two ends naming one file differently, through a
 * symlink or a relative path, still meet), none for devdax (its peer may be
 * a device or another host; doorbell=PREFIX turns it on when both ends run
 * here). Leaves p->doorbell empty when there is none.
 */
void
cxlmem_doorbell_resolve(const char *name, struct cxlmem_params *p, const struct cxlmem_window *w)
{
	char real[PATH_MAX];
	const char *path;
	int n;

	switch (p->doorbell_mode) {
	case CXLMEM_DOORBELL_PATH:
		return;
	case CXLMEM_DOORBELL_OFF:
		p->doorbell[0] = '\0';
		return;
	case CXLMEM_DOORBELL_AUTO:
		break;
	}
	p->doorbell[0] = '\0';
	if (w->is_devdax) {
		CXLMEM_LOG(INFO, "%s: no doorbell for devdax %s (give doorbell=PATH_PREFIX when both "
			   "ends run on this host): Rx interrupt mode not offered", name, w->path);
		return;
	}
	/* The file is open, so realpath() fails only if it was unlinked
	 * meanwhile; its name as given is then as good as any. */
	path = realpath(w->path, real) != NULL ? real : w->path;
	/* A sub-window's doorbells carry its offset: two ports on two
	 * sub-windows of one file must not share names. */
	n = p->offset != 0 ?
		snprintf(p->doorbell, sizeof(p->doorbell), "%s.%" PRIx64, path, p->offset) :
		snprintf(p->doorbell, sizeof(p->doorbell), "%s", path);

	if (n < 0 || (size_t)n >= sizeof(p->doorbell)) {
		p->doorbell[0] = '\0';
		CXLMEM_LOG(INFO, "%s: window path %s is too long to name doorbell sockets after it "
			   "(give doorbell=PATH_PREFIX): Rx interrupt mode not offered", name,
			   path);
	}
}

/** No doorbell yet: every fd -1 (call before anything may fail). */
void
cxlmem_doorbell_init(struct pmd_process_private *pp)
{
	unsigned int q;

	pp->db.tx_fd = -1;
	for (q = 0; q < CXLMEM_MAX_QUEUES; q++)
		pp->db.rx_fd[q] = -1;
}

/**
 * This process's doorbell names (the peer's receive rings and ours) and
 * the socket it rings the peer with. Without a doorbell, or without a
 * socket (logged), the process never rings: its peer's sleeps end on
 * their timeouts.
 */
void
cxlmem_doorbell_open(const struct pmd_internals *pi, struct pmd_process_private *pp)
{
	const char *prefix = pi->params.doorbell;
	uint32_t q;

	cxlmem_doorbell_init(pp);
	if (prefix[0] == '\0')
		return;
	for (q = 0; q < pi->run.nb_queues; q++) {
		/* The peer receives on the ring we transmit on. */
		db_addr(&pp->db.peer[q], prefix, q, cxlmem_tx_dir(pi->params.role));
		db_addr(&pp->db.own[q], prefix, q, cxlmem_rx_dir(pi->params.role));
	}
	pp->db.tx_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pp->db.tx_fd < 0)
		CXLMEM_LOG(WARNING, "port %u: no doorbell socket (%s): the peer's Rx interrupts "
			   "end on their timeouts", pi->port_id, strerror(errno));
}

/** Close what cxlmem_doorbell_open() opened. */
void
cxlmem_doorbell_close(struct pmd_process_private *pp)
{
	if (pp->db.tx_fd >= 0)
		close(pp->db.tx_fd);
	pp->db.tx_fd = -1;
}

/* Write the request of receive queue q into its ring's consumer line. */
static void
arm_store(const struct pmd_internals *pi, struct cxlmem_queue *q, const struct cxlmem_ring *r)
{
	rte_atomic_store_explicit(r->intr_arm, q->intr_arm, rte_memory_order_relaxed);
	if (pi->params.coherence == CXLMEM_COHERENCE_FLUSH)
		cxlmem_wb_line(r->intr_arm);
}

/**
 * Remove Rx interrupt mode: no request left in the window, the sockets
 * closed and their names unlinked, the interrupt handle freed. Idempotent.
 */
void
cxlmem_rx_intr_uninstall(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = dev->process_private;
	unsigned int q;

	pi->rx_intr = false;
	for (q = 0; pp != NULL && q < CXLMEM_MAX_QUEUES; q++) {
		struct cxlmem_queue *rq = pi->rxq[q];

		if (rq != NULL && (rq->intr_arm & 1) && pp->win.base != NULL) {
			rq->intr_arm++;
			arm_store(pi, rq, &pp->rings[q][rq->dir]);
		}
		if (pp->db.rx_fd[q] < 0)
			continue;
		close(pp->db.rx_fd[q]);
		pp->db.rx_fd[q] = -1;
		unlink(pp->db.own[q].sun_path);
	}
	if (dev->intr_handle != NULL) {
		rte_intr_vec_list_free(dev->intr_handle);
		rte_intr_instance_free(dev->intr_handle);
		dev->intr_handle = NULL;
	}
}

/**
 * Install Rx interrupt mode (dev_start with intr_conf.rxq): bind one
 * doorbell socket per receive queue and make it the queue's interrupt fd.
 * Returns 0; -ENOTSUP without a doorbell (doorbell=off, or devdax without
 * doorbell=PREFIX); -ENOMEM; or the negative errno of socket()/bind(),
 * each logged with what to change.
 */
int
cxlmem_rx_intr_install(struct rte_eth_dev *dev)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = dev->process_private;
	const uint16_t nb_rxq = dev->data->nb_rx_queues;
	struct rte_intr_handle *h;
	struct stat win_st;
	uint16_t q;
	int ret;

	if (pi->params.doorbell[0] == '\0') {
		CXLMEM_LOG(ERR, "port %u: Rx interrupts need a doorbell: a file window has one "
			   "(doorbell=auto), a devdax window needs doorbell=PATH_PREFIX", pi->port_id);
		return -ENOTSUP;
	}
	cxlmem_rx_intr_uninstall(dev);
	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL)
		return -ENOMEM;
	dev->intr_handle = h;
	if (rte_intr_vec_list_alloc(h, NULL, nb_rxq) != 0) {
		ret = -ENOMEM;
		goto fail;
	}
	for (q = 0; q < nb_rxq; q++) {
		const char *path = pp->db.own[q].sun_path;
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			ret = -errno;
			CXLMEM_LOG(ERR, "port %u: doorbell socket: %s", pi->port_id, strerror(errno));
			goto fail;
		}
		/* A name left by an earlier life of our role (we own the role
		 * now: cxlmem_lock_role()). In a sticky folder such as
		 * /dev/shm a name another user made cannot be removed. */
		if (unlink(path) != 0 && errno != ENOENT) {
			ret = -errno;
			CXLMEM_LOG(ERR, "port %u: doorbell %s exists and cannot be removed (%s): "
				   "another user's file? Remove it, or give doorbell=PATH_PREFIX "
				   "in a folder only the two ends can write", pi->port_id, path,
				   strerror(errno));
			close(fd);
			goto fail;
		}
		if (bind(fd, (const struct sockaddr *)&pp->db.own[q], sizeof(pp->db.own[q])) != 0) {
			ret = -errno;
			CXLMEM_LOG(ERR, "port %u: cannot bind doorbell %s: %s (doorbell=PATH_PREFIX "
				   "moves it)", pi->port_id, path, strerror(errno));
			close(fd);
			goto fail;
		}
		/* Who may ring it: who may write the window, whatever the
		 * process's umask made of the new name. */
		if (fstat(pp->win.fd, &win_st) == 0)
			chmod(path, win_st.st_mode & 0666);
		pp->db.rx_fd[q] = fd;
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0 ||
		    rte_intr_efds_index_set(h, q, fd) != 0) {
			ret = -rte_errno;
			goto fail;
		}
	}
	/* One datagram is one doorbell: EAL's Rx interrupt read
	 * (eal_intr_proc_rxtx_intr) takes one per wake-up. */
	if (rte_intr_nb_efd_set(h, nb_rxq) != 0 || rte_intr_max_intr_set(h, nb_rxq + 1) != 0 ||
	    rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, sizeof(uint64_t)) != 0) {
		ret = -rte_errno;
		goto fail;
	}
	for (q = 0; q < nb_rxq; q++) {
		struct cxlmem_queue *rq = pi->rxq[q];

		if (rq == NULL)
			continue;
		/* Requests of this life start from a value of no earlier one
		 * (even: not armed), so a sender's memory of the last value it
		 * rang for cannot swallow our first request. */
		rq->intr_arm = (uint32_t)rte_get_timer_cycles() << 1;
		arm_store(pi, rq, &pp->rings[q][rq->dir]);
	}
	pi->rx_intr = true;
	return 0;
fail:
	cxlmem_rx_intr_uninstall(dev);
	return ret;
}

/* Wake ourselves: frames came in before our request was visible. */
static void
self_ring(const struct pmd_process_private *pp, uint16_t qid, uint32_t v)
{
	/* A full socket already wakes the waiter: the error is no loss. */
	(void)sendto(pp->db.rx_fd[qid], &v, sizeof(v), MSG_DONTWAIT | MSG_NOSIGNAL,
		     (const struct sockaddr *)&pp->db.own[qid], sizeof(pp->db.own[qid]));
}

/**
 * ethdev rx_queue_intr_enable: ask the peer for a doorbell when frames
 * arrive on queue qid. If frames are already there, ring our own doorbell
 * so that the wait ends at once. Call it from the lcore that polls the
 * queue, between its bursts. Returns 0; -ENOTSUP when Rx interrupt mode
 * is not installed (dev_configure without intr_conf.rxq); -EAGAIN when the
 * peer would not ring now (no peer, or one without doorbells): poll, or
 * wait with a short timeout.
 */
int
eth_cxlmem_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = dev->process_private;
	struct cxlmem_queue *q = pi->rxq[qid];
	const struct cxlmem_ring *r;
	uint32_t prod;

	if (!pi->rx_intr || q == NULL || pp == NULL || pp->db.rx_fd[qid] < 0)
		return -ENOTSUP;
	if (!rte_atomic_load_explicit(&pi->peer_rings, rte_memory_order_relaxed))
		return -EAGAIN;
	r = &pp->rings[qid][q->dir];
	q->intr_arm += (q->intr_arm & 1) ? 2 : 1; /* a new odd value: a new request */
	arm_store(pi, q, r);
	/* Full fence (Dekker, with cxlmem_doorbell_ring()): our request is
	 * visible before we load prod. Either the sender's load after its
	 * prod store sees the request and rings, or our load sees its prod. */
	rte_atomic_thread_fence(rte_memory_order_seq_cst);
	if (pi->params.coherence == CXLMEM_COHERENCE_FLUSH) {
		cxlmem_mfence(); /* the write-back of arm_store() is done */
		cxlmem_inv_line(r->prod);
		cxlmem_mfence();
	}
	prod = rte_atomic_load_explicit(r->prod, rte_memory_order_relaxed);
	/* Only frames a burst would take: while the queue is off (link down,
	 * a backlog of a dead peer's waiting for the resync that drops it)
	 * a self-ring would wake the caller again and again for nothing. */
	if (prod != q->head && rte_atomic_load_explicit(&q->enabled, rte_memory_order_relaxed))
		self_ring(pp, qid, q->intr_arm);
	return 0;
}

/**
 * ethdev rx_queue_intr_disable: withdraw the request (the queue polls
 * again) and consume the doorbells that came, so that the fd is quiet
 * until the next request. Returns 0, or -ENOTSUP as enable.
 */
int
eth_cxlmem_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct pmd_internals *pi = dev->data->dev_private;
	struct pmd_process_private *pp = dev->process_private;
	struct cxlmem_queue *q = pi->rxq[qid];
	uint64_t buf[4];

	if (!pi->rx_intr || q == NULL || pp == NULL || pp->db.rx_fd[qid] < 0)
		return -ENOTSUP;
	if (q->intr_arm & 1) {
		q->intr_arm++;
		arm_store(pi, q, &pp->rings[qid][q->dir]);
	}
	while (recv(pp->db.rx_fd[qid], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	return 0;
}

/**
 * After a TX burst published prod: ring the peer's doorbell if it sleeps
 * on this ring and asked for one we have not rung yet. Called with the
 * queue's lock held, only when q->peer_sleeps.
 */
void
cxlmem_doorbell_ring(struct cxlmem_queue *q, const struct cxlmem_ring *r, bool flush)
{
	const struct pmd_process_private *pp = rte_eth_devices[q->port_id].process_private;
	uint32_t arm;

	/* Full fence (Dekker, with eth_cxlmem_rx_intr_enable()): our store
	 * of prod (and, coherence=flush, its write-back) before the load of
	 * the receiver's request. */
	rte_atomic_thread_fence(rte_memory_order_seq_cst);
	if (flush) {
		cxlmem_inv_line(r->intr_arm);
		cxlmem_mfence();
	}
	/* Untrusted, and only compared: a peer writing nonsense here costs us
	 * a datagram per burst at most. */
	arm = rte_atomic_load_explicit(r->intr_arm, rte_memory_order_relaxed);
	if (!(arm & 1) || arm == q->rung)
		return;
	q->rung = arm;
	if (pp->db.tx_fd < 0)
		return;
	/* A full socket (EAGAIN) means the receiver has doorbells to read:
	 * nothing to do. Nobody listening (ENOENT, ECONNREFUSED) while the
	 * peer asks to be rung means our names for its doorbells are not its
	 * own: it sleeps until its own timeout. Counted, and said once. */
	if (sendto(pp->db.tx_fd, &arm, sizeof(arm), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&pp->db.peer[q->queue_id],
		   sizeof(pp->db.peer[q->queue_id])) == (ssize_t)sizeof(arm)) {
		q->st.doorbells++;
	} else if (errno == ENOENT || errno == ECONNREFUSED) {
		q->st.doorbells_lost++;
		if (!q->ring_lost_said) {
			q->ring_lost_said = true;
			CXLMEM_LOG(WARNING, "port %u queue %u: the peer asked to be rung, but "
				   "%s is not there (%s): unless the peer just went away, "
				   "give both ends the same doorbell= (auto: the same window "
				   "file)", q->port_id, q->queue_id,
				   pp->db.peer[q->queue_id].sun_path, strerror(errno));
		}
	}
}
