/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cxlmem_layout.h - the wire format of a cxlmem window.
 *
 * This header alone defines what lives in the shared window (a CXL HDM
 * range exposed as devdax, or a file that emulates one).  Both ends of a
 * window (role=host and role=device) may run different builds, different
 * operating systems or different architectures: every field is fixed-width
 * little-endian, every structure has an explicit size and every offset is
 * pinned with a _Static_assert.  Nothing here depends on DPDK.
 *
 * Window map (all offsets in bytes from the start of the (sub-)window):
 *
 *   0x0000  struct cxlmem_superblock     one line, written by the host only
 *   0x0040  struct cxlmem_ctrl[HOST]      one line, written by the host only
 *   0x0080  struct cxlmem_ctrl[DEVICE]    one line, written by the device only
 *   ...     (rest of the first 4 KiB reserved, zero)
 *   0x1000  queue area: for queue q = 0..nb_queues-1 and direction
 *           d = 0 (host to device), 1 (device to host), one ring region at
 *           queue_offset + (2 * q + d) * ring_stride:
 *             +0                     struct cxlmem_ring_prod  (sender writes)
 *             +64                    struct cxlmem_ring_cons  (receiver writes:
 *                                    cons, polls, and intr_arm in Rx
 *                                    interrupt mode)
 *             +128                   struct cxlmem_desc[ring_size]
 *             +buf_offset            ring_size buffers of buf_size bytes;
 *                                    descriptor slot i owns buffer i
 *
 * A descriptor carries no address: slot i always owns buffer i, so the only
 * peer-supplied values a reader must check are the indexes, the length and
 * flags, and, for a frame that carries offload metadata (CXLMEM_DESC_F_META),
 * the 16 bytes of struct cxlmem_offload at the start of its first slot.
 * A frame without offloads costs what it did in layout version 1: its bytes,
 * one descriptor per slot, no metadata.
 *
 * Ownership (single writer per line; no cross-side atomics, because a
 * read-modify-write across a CXL link, or across QEMU's emulated window, is
 * not atomic against the other side):
 *   - superblock: host, while the device is not online.
 *   - ctrl[role]: the side with that role.
 *   - ring_prod, descriptors and buffers of a ring: its sender.
 *   - ring_cons: its receiver.
 *
 * Ordering contract of a ring (SPSC, indexes free-running modulo 2^32):
 *   sender:   write buffers and descriptors [prod, prod + n)  (plain stores)
 *             [coherence=flush: write back those lines, then sfence]
 *             store-release prod += n                            (one per burst)
 *   receiver: load-acquire prod                                 (one per burst)
 *             [coherence=flush: invalidate descriptors and buffers first]
 *             check 0 <= prod - cons <= ring_size, copy out
 *             store-release cons += n                            (one per burst)
 *   sender:   reads cons only when its cached free space runs out
 *             (at most one remote index read per burst).
 * The receiver reads each descriptor once into a local copy and validates
 * that copy (len <= buf_size, chain length, frame length, epoch_tag equal
 * to the receiver's current epoch), so a peer that
 * rewrites a descriptor under our feet costs packets, never memory safety.
 *
 * Link protocol (cxlmem_link.c): each side bumps ctrl.epoch when it
 * starts a life, bumps ctrl.heartbeat every tick, and, after discarding the
 * backlog of its receive rings (cons := prod), publishes ctrl.peer_epoch_ack
 * = the peer's epoch.  The link is up when the peer's heartbeat advances
 * and both sides have acknowledged each other's current epoch.
 */
#ifndef CXLMEM_LAYOUT_H
#define CXLMEM_LAYOUT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* Fields are stored in host order and the layout is little-endian: a
 * big-endian port would add byte swaps in the accessors, not change this. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cxlmem: the window layout is little-endian; big-endian hosts are not supported yet"
#endif

/** Line size of the layout in bytes. Fixed: never RTE_CACHE_LINE_SIZE. */
#define CXLMEM_LINE 64u

/** "CXLMEMW\0" read as a little-endian u64. */
#define CXLMEM_MAGIC 0x0057454d4d4c5843ull
/**
 * Layout version; a window or a peer of another version is refused.
 *   1: the first layout.
 *   2: per-frame offload metadata (struct cxlmem_offload, CXLMEM_DESC_F_META),
 *      frames up to CXLMEM_MAX_GSO_FRAME_LEN, receive offloads and the
 *      layout version in each control line.
 */
#define CXLMEM_LAYOUT_VERSION 2u

/** Offset of the first ring region in bytes. */
#define CXLMEM_QUEUE_AREA_OFFSET 4096u
/** Offset of the descriptor array inside a ring region, in bytes. */
#define CXLMEM_DESC_OFFSET (2u * CXLMEM_LINE)

/** Limits of the geometry (also the devargs' accepted ranges). */
#define CXLMEM_MAX_QUEUES 64u
#define CXLMEM_MIN_RING_SIZE 64u
#define CXLMEM_MAX_RING_SIZE 32768u
#define CXLMEM_MIN_BUF_SIZE 256u
#define CXLMEM_MAX_BUF_SIZE 65536u
/** Largest frame without segmentation offload, in bytes without FCS: a
 *  9000-byte MTU plus 14 bytes of header and 8 for two VLAN tags, rounded
 *  up (so MTUs up to 9194 fit). */
#define CXLMEM_MAX_FRAME_LEN 9216u
/** Largest segmentation-offload (GSO) frame, in bytes without FCS and
 *  without its metadata: a 65535-byte IP packet (its largest total length)
 *  plus 14 bytes of header and 8 for two VLAN tags, rounded up. */
#define CXLMEM_MAX_GSO_FRAME_LEN 65600u

/** Roles; also the index of a side's control line. */
enum cxlmem_role {
	CXLMEM_ROLE_HOST = 0,
	CXLMEM_ROLE_DEVICE = 1,
};

/** Ring direction d of a queue pair. */
enum cxlmem_dir {
	CXLMEM_DIR_H2D = 0, /**< host transmits, device receives */
	CXLMEM_DIR_D2H = 1, /**< device transmits, host receives */
};

/** Feature bits in superblock.features (none defined in version 1). */
#define CXLMEM_FEAT_NONE 0ull

/**
 * Superblock, at offset 0. Written by the host when it formats the window;
 * magic is written last (store-release) so a reader that sees the magic
 * sees the whole geometry.
 */
struct cxlmem_superblock {
	uint64_t magic;        /**< CXLMEM_MAGIC */
	uint32_t version;      /**< CXLMEM_LAYOUT_VERSION */
	uint32_t line_size;    /**< CXLMEM_LINE, in bytes */
	uint64_t features;     /**< CXLMEM_FEAT_* bits */
	uint64_t window_size;  /**< bytes of the (sub-)window the host formatted */
	uint32_t nb_queues;    /**< queue pairs, 1..CXLMEM_MAX_QUEUES */
	uint32_t ring_size;    /**< descriptors per ring, power of two */
	uint32_t buf_size;     /**< bytes per packet buffer, multiple of 64 */
	uint32_t desc_size;    /**< sizeof(struct cxlmem_desc), in bytes */
	uint64_t queue_offset; /**< bytes from window start to ring region 0 */
	uint64_t ring_stride;  /**< bytes between two ring regions */
};

/** Control line state values. */
enum cxlmem_ctrl_state {
	CXLMEM_STATE_OFFLINE = 0, /**< no process owns this role */
	CXLMEM_STATE_ONLINE = 1,  /**< a process owns it (port stopped); heartbeat advances */
	CXLMEM_STATE_RUNNING = 2, /**< port started: its rings are live */
};

/** Receive offloads a side accepts (ctrl.rx_offloads), as virtio-net's
 *  guest features are negotiated (VIRTIO_NET_F_GUEST_CSUM, _GUEST_TSO4,
 *  _GUEST_TSO6): a sender uses one only when its receiver publishes it. */
#define CXLMEM_RXO_CSUM 0x0001u /**< frames whose L4 checksum is left partial
				 *   (CXLMEM_OFL_F_NEEDS_CSUM) */
#define CXLMEM_RXO_TSO4 0x0002u /**< TCP/IPv4 GSO frames (CXLMEM_GSO_TCPV4) */
#define CXLMEM_RXO_TSO6 0x0004u /**< TCP/IPv6 GSO frames (CXLMEM_GSO_TCPV6) */
#define CXLMEM_RXO_ALL (CXLMEM_RXO_CSUM | CXLMEM_RXO_TSO4 | CXLMEM_RXO_TSO6)

/**
 * One side's control line, at 64 * (1 + role). Written only by that side,
 * read by both (the owner reads its own fields back only at start-up).
 * A reader copies the whole line once (cxlmem_line_copy()) and uses only
 * the copy, so a peer rewriting it cannot change a value between its check
 * and its use.
 */
struct cxlmem_ctrl {
	uint32_t state;          /**< enum cxlmem_ctrl_state */
	uint32_t epoch;          /**< life counter; 0 = never started */
	uint32_t peer_epoch_ack; /**< peer epoch whose backlog this side dropped */
	uint32_t mtu;            /**< this side's MTU, in bytes (L3); informative */
	uint64_t heartbeat;      /**< bumped every heartbeat tick while online */
	uint8_t mac[6];          /**< this side's MAC address */
	uint16_t nb_queues;      /**< receive queues this side configured; informative */
	uint32_t pid;            /**< owner's process id, for diagnostics only */
	uint32_t tick_us;        /**< owner's heartbeat period, microseconds */
	/**
	 * Receive queues this side polls: bit q is set while receive queue q
	 * is set up and the port is started. A sender refuses (and counts)
	 * frames for a queue whose bit is clear instead of filling a ring
	 * that nobody drains.
	 */
	uint64_t rx_queue_mask;
	/** Largest frame without segmentation offload this side's receive
	 *  path accepts, in bytes without FCS (its MTU plus L2 overhead);
	 *  0 = not published yet. A sender refuses longer frames. */
	uint32_t max_rx_frame;
	/** CXLMEM_RXO_* bits: the receive offloads this side accepts. */
	uint32_t rx_offloads;
	/** Largest GSO frame this side accepts (without its metadata), in
	 *  bytes; 0 unless rx_offloads has a TSO bit. A sender segments a
	 *  longer one itself. */
	uint32_t max_gso_frame;
	uint8_t coherence;       /**< this side's enum cxlmem_coherence */
	uint8_t version;         /**< CXLMEM_LAYOUT_VERSION this side speaks
				  *   (0 in a version 1 line) */
	uint8_t flags;           /**< CXLMEM_CTRL_F_* (zero in lines of builds
				  *   that predate them) */
	uint8_t reserved[1];     /**< zero */
};

/**
 * ctrl.flags: this side's receive queues may sleep between bursts (ethdev
 * Rx interrupt mode) and ask, in ring_cons.intr_arm, to be woken by a
 * doorbell. A sender whose peer publishes it checks intr_arm after each
 * burst it publishes and rings the receiver's doorbell once per request.
 * Doorbells are not in the window: on one host they are datagrams on a
 * Unix socket per receive ring (docs/cxlmem.md, "Rx interrupts"); a pair
 * without a doorbell between them polls, as before.
 */
#define CXLMEM_CTRL_F_RX_INTR 0x01u
/** ctrl.flags: this side rings its peer's doorbells (it has them configured,
 *  under the same names as the peer); a receiver whose peer does not
 *  publish it polls rather than sleep. */
#define CXLMEM_CTRL_F_DOORBELL 0x02u

/**
 * Coherence mode of one side (devarg coherence=), published in
 * ctrl.coherence. It describes that side's caches only, so the two sides
 * may differ (docs/cxlmem.md, "Coherence").
 */
enum cxlmem_coherence {
	CXLMEM_COHERENCE_HW = 0,    /**< coherent memory: plain loads and stores */
	CXLMEM_COHERENCE_FLUSH = 1, /**< writer writes back, reader invalidates */
};

/** Producer line of a ring: the sender's index. */
struct cxlmem_ring_prod {
	uint32_t prod;            /**< next descriptor the sender fills */
	uint8_t pad[CXLMEM_LINE - 4];
};

/** Consumer line of a ring: the receiver's index and wake-up request. */
struct cxlmem_ring_cons {
	uint32_t cons;            /**< next descriptor the receiver reads */
	/**
	 * Doorbell request: odd while the receiver sleeps on this ring and
	 * wants a doorbell when prod moves, even while it polls. Each request
	 * is a new odd value, so a sender rings once per request (it keeps the
	 * last value it rang for). Zero in builds that predate it (ctrl.flags
	 * says whether the receiver uses it). Ordering (Dekker): the receiver
	 * stores it, full fence, loads prod; the sender stores prod, full
	 * fence, loads it; at least one of them sees the other's store.
	 */
	uint32_t intr_arm;
	/**
	 * Proof that the receiver polls: a count its receive burst bumps when
	 * it finds the ring empty, at most once per its heartbeat period
	 * (ctrl.tick_us). Only compared, never used: the sender counts any
	 * change as the peer being alive, as it counts cons moving, so a
	 * receiver whose lcore polls while a loaded machine delays its control
	 * thread (and heartbeat) keeps the link. Zero in builds that predate
	 * it, which then rely on the heartbeat alone.
	 */
	uint32_t polls;
	uint8_t pad[CXLMEM_LINE - 12];
};

/** Descriptor flag: the frame continues in the next slot. */
#define CXLMEM_DESC_F_MORE 0x0001u
/** Descriptor flag, first slot of a frame only: the slot starts with a
 *  struct cxlmem_offload, which the descriptor's len counts. */
#define CXLMEM_DESC_F_META 0x0002u

/**
 * Descriptor: 8 bytes. Slot i's buffer is at buf_offset + i * buf_size.
 * epoch_tag is the low 16 bits of the receiver's epoch that the sender had
 * acknowledged when it wrote the descriptor; a receiver drops descriptors
 * tagged with another epoch. So a sender that has not yet noticed that its
 * peer restarted (its control thread stalled) cannot deliver frames meant
 * for the peer's previous life to the new one.
 */
struct cxlmem_desc {
	uint32_t len;       /**< bytes of this segment in the slot, 1..buf_size
			     *   (metadata included, with CXLMEM_DESC_F_META) */
	uint16_t flags;     /**< CXLMEM_DESC_F_* */
	uint16_t epoch_tag; /**< receiver epoch (low 16 bits) this frame is for */
};

/** cxlmem_offload.flags (the values of virtio_net_hdr.flags). */
#define CXLMEM_OFL_F_NEEDS_CSUM 0x01u /**< L4 checksum left partial: the field at
				       *   csum_start + csum_offset holds the
				       *   pseudo-header sum; the rest is to be
				       *   summed from csum_start to the end */
#define CXLMEM_OFL_F_DATA_VALID 0x02u /**< the sender verified the checksums */

/** cxlmem_offload.gso_type (the values of virtio_net_hdr.gso_type). */
#define CXLMEM_GSO_NONE  0u
#define CXLMEM_GSO_TCPV4 1u   /**< TCP over IPv4, gso_size bytes of TCP payload per segment */
#define CXLMEM_GSO_TCPV6 4u   /**< TCP over IPv6 */

/**
 * Offload metadata: the first 16 bytes of a frame's first slot when its
 * descriptor has CXLMEM_DESC_F_META. It carries what a struct
 * virtio_net_hdr carries (virtio 1.2, section 5.1.6 "Device Operation"),
 * with the same flag and GSO type values, so a vnet_hdr TAP/TUN's header
 * maps onto it field by field. One difference in the frame itself: the
 * checksum field of a GSO frame holds DPDK's seed for TCP segmentation,
 * the pseudo-header sum without the L4 length (rte_ipv4_phdr_cksum() with
 * RTE_MBUF_F_TX_TCP_SEG), where a kernel leaves one with the super-frame's
 * length; a NEEDS_CSUM frame without GSO holds the sum with the length, as
 * both do. Offsets are from the start of the frame (after the metadata).
 * Untrusted: a receiver checks every field against the frame
 * (csum_start + csum_offset + 2 <= len, hdr_len <= len, gso_size in
 * 1..CXLMEM_MAX_FRAME_LEN, gso_type known, only known flags, reserved
 * bytes zero) and drops the frame otherwise.
 */
struct cxlmem_offload {
	uint8_t flags;        /**< CXLMEM_OFL_F_* */
	uint8_t gso_type;     /**< CXLMEM_GSO_*; NONE for a frame without segmentation */
	uint16_t hdr_len;     /**< GSO: bytes of L2 + L3 + L4 headers, repeated per segment */
	uint16_t gso_size;    /**< GSO: bytes of L4 payload per segment (the MSS) */
	uint16_t csum_start;  /**< NEEDS_CSUM: offset where checksumming starts (the L4 header) */
	uint16_t csum_offset; /**< NEEDS_CSUM: offset of the checksum field from csum_start */
	uint8_t reserved[6];  /**< zero */
};

_Static_assert(sizeof(struct cxlmem_superblock) == CXLMEM_LINE, "superblock is one line");
_Static_assert(offsetof(struct cxlmem_superblock, version) == 8, "sb.version");
_Static_assert(offsetof(struct cxlmem_superblock, features) == 16, "sb.features");
_Static_assert(offsetof(struct cxlmem_superblock, window_size) == 24, "sb.window_size");
_Static_assert(offsetof(struct cxlmem_superblock, nb_queues) == 32, "sb.nb_queues");
_Static_assert(offsetof(struct cxlmem_superblock, ring_size) == 36, "sb.ring_size");
_Static_assert(offsetof(struct cxlmem_superblock, buf_size) == 40, "sb.buf_size");
_Static_assert(offsetof(struct cxlmem_superblock, desc_size) == 44, "sb.desc_size");
_Static_assert(offsetof(struct cxlmem_superblock, queue_offset) == 48, "sb.queue_offset");
_Static_assert(offsetof(struct cxlmem_superblock, ring_stride) == 56, "sb.ring_stride");
_Static_assert(sizeof(struct cxlmem_ctrl) == CXLMEM_LINE, "ctrl is one line");
_Static_assert(offsetof(struct cxlmem_ctrl, epoch) == 4, "ctrl.epoch");
_Static_assert(offsetof(struct cxlmem_ctrl, peer_epoch_ack) == 8, "ctrl.ack");
_Static_assert(offsetof(struct cxlmem_ctrl, mtu) == 12, "ctrl.mtu");
_Static_assert(offsetof(struct cxlmem_ctrl, heartbeat) == 16, "ctrl.heartbeat");
_Static_assert(offsetof(struct cxlmem_ctrl, mac) == 24, "ctrl.mac");
_Static_assert(offsetof(struct cxlmem_ctrl, nb_queues) == 30, "ctrl.nb_queues");
_Static_assert(offsetof(struct cxlmem_ctrl, pid) == 32, "ctrl.pid");
_Static_assert(offsetof(struct cxlmem_ctrl, tick_us) == 36, "ctrl.tick_us");
_Static_assert(offsetof(struct cxlmem_ctrl, rx_queue_mask) == 40, "ctrl.rx_queue_mask");
_Static_assert(offsetof(struct cxlmem_ctrl, max_rx_frame) == 48, "ctrl.max_rx_frame");
_Static_assert(offsetof(struct cxlmem_ctrl, rx_offloads) == 52, "ctrl.rx_offloads");
_Static_assert(offsetof(struct cxlmem_ctrl, max_gso_frame) == 56, "ctrl.max_gso_frame");
_Static_assert(offsetof(struct cxlmem_ctrl, coherence) == 60, "ctrl.coherence");
_Static_assert(offsetof(struct cxlmem_ctrl, version) == 61, "ctrl.version");
_Static_assert(offsetof(struct cxlmem_ctrl, flags) == 62, "ctrl.flags");
_Static_assert(CXLMEM_MAX_QUEUES <= 64, "rx_queue_mask has a bit per queue");
_Static_assert(sizeof(struct cxlmem_ring_prod) == CXLMEM_LINE, "prod line");
_Static_assert(sizeof(struct cxlmem_ring_cons) == CXLMEM_LINE, "cons line");
_Static_assert(offsetof(struct cxlmem_ring_cons, intr_arm) == 4, "cons.intr_arm");
_Static_assert(offsetof(struct cxlmem_ring_cons, polls) == 8, "cons.polls");
_Static_assert(sizeof(struct cxlmem_desc) == 8, "descriptor size");
_Static_assert(offsetof(struct cxlmem_desc, flags) == 4, "desc.flags");
_Static_assert(offsetof(struct cxlmem_desc, epoch_tag) == 6, "desc.epoch_tag");
_Static_assert(sizeof(struct cxlmem_offload) == 16, "offload metadata size");
_Static_assert(offsetof(struct cxlmem_offload, hdr_len) == 2, "ofl.hdr_len");
_Static_assert(offsetof(struct cxlmem_offload, gso_size) == 4, "ofl.gso_size");
_Static_assert(offsetof(struct cxlmem_offload, csum_start) == 6, "ofl.csum_start");
_Static_assert(offsetof(struct cxlmem_offload, csum_offset) == 8, "ofl.csum_offset");

/** Offset of the superblock, in bytes. */
#define CXLMEM_SB_OFFSET 0u
/** Offset of role r's control line, in bytes. */
#define CXLMEM_CTRL_OFFSET(r) (CXLMEM_LINE * (1u + (unsigned int)(r)))
_Static_assert(CXLMEM_CTRL_OFFSET(CXLMEM_ROLE_DEVICE) + CXLMEM_LINE <= CXLMEM_QUEUE_AREA_OFFSET,
	       "control lines fit below the queue area");

/** A 64-bit word that may alias any other type (a line is read as words). */
typedef uint64_t __attribute__((__may_alias__)) cxlmem_word_t;

/**
 * Copy one 64-byte line of the window into dst with eight single-copy
 * atomic 8-byte loads (no torn field), each made exactly once: the copy is
 * what a reader checks and then uses, never the live line again.
 */
static inline void
cxlmem_line_copy(void *dst, const void *line)
{
	const cxlmem_word_t *src = (const cxlmem_word_t *)line;
	cxlmem_word_t *d = (cxlmem_word_t *)dst;
	unsigned int i;

	for (i = 0; i < CXLMEM_LINE / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/**
 * A window geometry and the byte sizes it implies. Filled by
 * cxlmem_geometry(), whose every multiplication and addition is checked:
 * a geometry whose sizes do not fit in 64 bits is refused, never wrapped.
 */
struct cxlmem_geometry {
	uint32_t nb_queues;    /**< queue pairs */
	uint32_t ring_size;    /**< descriptors per ring */
	uint32_t buf_size;     /**< bytes per packet buffer */
	uint64_t buf_offset;   /**< bytes from a ring region's start to its buffers (64-aligned) */
	uint64_t ring_stride;  /**< bytes between two ring regions (4 KiB aligned) */
	uint64_t window_bytes; /**< bytes of window the whole layout needs */
};

static inline int
cxlmem_align_up(uint64_t v, uint64_t align, uint64_t *out)
{
	if (__builtin_add_overflow(v, align - 1, out))
		return -EOVERFLOW;
	*out &= ~(align - 1);
	return 0;
}

/**
 * Compute the sizes of geometry (q queue pairs, r descriptors per ring, b
 * bytes per buffer) into *g. Only the arithmetic is checked here, not the
 * ranges (devargs and cxlmem_sb_check() do that). Returns 0, or -EOVERFLOW
 * when a size would not fit in 64 bits (*g is then unspecified).
 */
static inline int
cxlmem_geometry(uint32_t q, uint32_t r, uint32_t b, struct cxlmem_geometry *g)
{
	uint64_t v, rings;

	g->nb_queues = q;
	g->ring_size = r;
	g->buf_size = b;
	/* buf_offset = align64(DESC_OFFSET + r * desc) */
	if (__builtin_mul_overflow((uint64_t)r, (uint64_t)sizeof(struct cxlmem_desc), &v) ||
	    __builtin_add_overflow(v, (uint64_t)CXLMEM_DESC_OFFSET, &v) ||
	    cxlmem_align_up(v, CXLMEM_LINE, &g->buf_offset) != 0)
		return -EOVERFLOW;
	/* ring_stride = align4k(buf_offset + r * b) */
	if (__builtin_mul_overflow((uint64_t)r, (uint64_t)b, &v) ||
	    __builtin_add_overflow(v, g->buf_offset, &v) ||
	    cxlmem_align_up(v, 4096, &g->ring_stride) != 0)
		return -EOVERFLOW;
	/* window_bytes = QUEUE_AREA_OFFSET + 2 * q * ring_stride */
	if (__builtin_mul_overflow(2 * (uint64_t)q, g->ring_stride, &rings) ||
	    __builtin_add_overflow(rings, (uint64_t)CXLMEM_QUEUE_AREA_OFFSET, &g->window_bytes))
		return -EOVERFLOW;
	return 0;
}

/**
 * Offset of the ring region of queue q, direction d, in bytes from the
 * window start. q must be below g->nb_queues: the result then lies below
 * g->window_bytes, which cxlmem_geometry() computed without overflow.
 */
static inline uint64_t
cxlmem_ring_offset(const struct cxlmem_geometry *g, uint32_t q, enum cxlmem_dir d)
{
	return CXLMEM_QUEUE_AREA_OFFSET + (2ull * q + (uint64_t)d) * g->ring_stride;
}

#endif /* CXLMEM_LAYOUT_H */
