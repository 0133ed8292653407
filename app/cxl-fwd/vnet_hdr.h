/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: translation between the virtio-net header that a tun queue
 * carries beside each frame (struct virtio_net_hdr) and the offload fields
 * of an mbuf (rte_mbuf_core.h semantics), in both directions:
 *
 *   kernel -> window  fwd_from_vnet(): the kernel's header becomes TX
 *                     offload requests the transport port completes
 *   window -> kernel  fwd_to_vnet(): the transport's RX offload flags become
 *                     a header the kernel takes
 *
 * No I/O and no state of its own: what the translation depends on (the
 * offloads enabled on the transport, those the kernel took) and the
 * counters it updates are passed in. Used by kern_tun.c; tested alone by
 * test/test_vnet_hdr.c and test/fuzz/fuzz_vnet.c.
 */
#ifndef CXL_FWD_VNET_HDR_H
#define CXL_FWD_VNET_HDR_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include <rte_mbuf.h>

/* Linux 6.2 added UDP segmentation offload to tun (Debian 12's headers are
 * from 6.1): the kernel takes both bits or neither. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Bytes of a frame's headers that fwd_to_vnet() copies (and patches) at
 * most: the size of the buffer it is given. */
#define VNET_HDR_COPY 256

/* What the translation may use. */
struct vnet_offloads {
	uint64_t tx;        /* RTE_ETH_TX_OFFLOAD_* enabled on the transport port */
	unsigned int tun;   /* TUN_F_* the kernel took (TUNSETOFFLOAD) */
};

/* Frames translated with offloads; one writer (the lcore owning the queue).
 * "rx" is from the kernel, "tx" to it, as in the tun backend's counters. */
struct vnet_ctr {
	uint64_t rx_gso, rx_csum;     /* kernel -> window: GSO / checksum-partial */
	uint64_t tx_gso, tx_csum;     /* window -> kernel: GSO / checksum-partial */
};

/*
 * Kernel -> window. vh came with frame m (a chain whose pkt_len is the sum
 * of its data_len) from a tun queue; sets m's l2/l3/l4_len, tso_segsz and TX
 * offload flags (only offloads enabled in o->tx; only for TCP or UDP over
 * IPv4/IPv6 whose L4 header has at least its fixed size and whose headers
 * all lie in the first segment) so that the transport completes the
 * checksums or segments it, or completes a checksum in software where the
 * transport cannot (the checksum field at csum_start + csum_offset is then
 * written, the only bytes of m that change). Returns 0, or -1 when the
 * frame cannot be carried as the header asks (the caller drops and counts
 * it); counts frames sent on with offloads in c.
 */
int fwd_from_vnet(struct rte_mbuf *m, const struct virtio_net_hdr *vh,
		  const struct vnet_offloads *o, struct vnet_ctr *c);

/*
 * Window -> kernel. Fills vh for frame m, received from the transport with
 * RX offload flags. m is never written (with a zero-copy receive path its
 * data is window memory): headers that need a fix go into hbuf
 * (VNET_HDR_COPY bytes), a copy of the first *hlen bytes of the frame,
 * patched; the caller sends hbuf's *hlen bytes in place of the frame's
 * first *hlen bytes (*hlen is 0 when nothing was copied). vh must be zeroed
 * by the caller. A header with NEEDS_CSUM always has csum_start +
 * csum_offset + 2 <= hdr_len = *hlen; the GSO type follows the frame's
 * headers, UDP_L4 only when the kernel took TUN_F_USO4/6 (o->tun). Returns
 * 0, or -1 to drop the frame (the caller counts it): a checksum-none or LRO
 * frame whose headers cannot be described (not TCP or UDP over IP, past the
 * copy or the first segment), a TCP header shorter than 20 bytes, a UDP
 * super-frame to a kernel without USO. Counts frames sent on with offloads
 * in c.
 */
int fwd_to_vnet(const struct rte_mbuf *m, struct virtio_net_hdr *vh, uint8_t *hbuf,
		uint16_t *hlen, const struct vnet_offloads *o, struct vnet_ctr *c);

/*
 * Completes the checksum of a checksum-partial frame in software: the 16-bit
 * one's complement sum from byte start to the end of m (the checksum field,
 * at start + off, holds the pseudo-header seed) goes into the field; for UDP
 * (udp true) a sum of 0 is sent as 0xffff. Returns 0, or -1 when the field
 * is not inside the frame or straddles two segments (m unchanged).
 */
int fwd_csum_in_software(struct rte_mbuf *m, uint16_t start, uint16_t off, bool udp);

#endif
