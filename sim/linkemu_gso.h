/* SPDX-License-Identifier: MIT */
/* TCP segmentation in userspace for the one kind of GSO super-frame that
 * the link emulator cannot hand back to the kernel: TCP inside a UDP tunnel
 * (VXLAN, the underlay's everyday traffic).
 *
 * A packet socket with PACKET_VNET_HDR describes such a frame with a plain
 * TCPV4/TCPV6 virtio_net_hdr: the kernel drops the tunnel bit, so a frame
 * sent back that way is refused (the kernel would segment it as if the
 * outer UDP were TCP). The emulator therefore cuts these into wire-sized
 * frames itself, the way the kernel's GSO would: every header copied,
 * lengths, IPv4 ids, TCP sequence numbers and flags adjusted, and the inner
 * TCP, IPv4 header and (when it was used) outer UDP checksums computed in
 * full. Plain TCP GSO frames are left to the kernel.
 *
 * Frames here start with the 10-byte struct virtio_net_hdr (fields little
 * endian, as packet sockets use on every little-endian host), then the
 * link-layer frame. Pure functions, no I/O. */
#ifndef KNETSIM_LINKEMU_GSO_H
#define KNETSIM_LINKEMU_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_VNET_HDR_LEN 10

/* Where the headers of a tunnelled TCP super-frame are. Offsets are from
 * the start of the link-layer frame (after the virtio_net_hdr). */
struct lg_layout {
	size_t len;          /* link-layer frame length */
	size_t outer_l3;     /* outer IPv4/IPv6 header */
	size_t outer_l4;     /* outer UDP header */
	size_t inner_l3;     /* inner IPv4/IPv6 header */
	size_t inner_l4;     /* inner TCP header */
	size_t hdr_len;      /* end of the inner TCP header */
	size_t gso_size;     /* TCP payload per segment */
	size_t nsegs;
	bool outer_v6, inner_v6;
	bool outer_csum;     /* the outer UDP checksum is in use */
};

/* Whether frame (vnet header + frame, len bytes in all) is a TCP GSO
 * super-frame inside a UDP tunnel; fills lo when it is. Anything else
 * (plain GSO, no GSO, unknown layouts) is false: send it as it is. */
bool lg_classify(const void *frame, size_t len, struct lg_layout *lo);

/* Largest segment lg_segment() can write for lo, vnet header included. */
size_t lg_seg_max(const struct lg_layout *lo);

/* Writes segment i (0 <= i < lo->nsegs) of frame to out as a complete
 * frame with a zeroed virtio_net_hdr in front. Returns its length, or 0
 * when i is out of range or out is too small. */
size_t lg_segment(const void *frame, const struct lg_layout *lo, size_t i,
		  void *out, size_t outlen);

/* Internet checksum helpers, exposed for the tests. csum_partial sums len
 * bytes as big-endian 16-bit words onto sum (odd length: last byte is
 * padded with zero); csum_fold folds and complements. */
uint32_t lg_csum_partial(const void *p, size_t len, uint32_t sum);
uint16_t lg_csum_fold(uint32_t sum);

#endif
