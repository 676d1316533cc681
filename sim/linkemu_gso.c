// SPDX-License-Identifier: MIT
/* Userspace segmentation of TCP-in-UDP-tunnel GSO super-frames. */
#include "linkemu_gso.h"

#include <string.h>

#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_TCPV4    1
#define VNET_GSO_TCPV6    4
#define VNET_GSO_ECN      0x80

#define ETH_HDR      14
#define ETYPE_IPV4   0x0800
#define ETYPE_IPV6   0x86dd
#define ETYPE_VLAN   0x8100
#define ETYPE_QINQ   0x88a8
#define IPV4_MIN     20
#define IPV6_HDR     40
#define UDP_HDR      8
#define TCP_MIN      20
#define PROTO_TCP    6
#define PROTO_UDP    17
#define TCP_FIN      0x01
#define TCP_PSH      0x08
#define TCP_CWR      0x80

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t lg_csum_partial(const void *p, size_t len, uint32_t sum)
{
	const unsigned char *b = p;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(b + i);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t lg_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}

/* Pseudo-header sum for an L4 segment of l4len bytes under the IP header
 * at ip. */
static uint32_t pseudo_sum(const unsigned char *ip, bool v6, uint8_t proto,
			   size_t l4len)
{
	uint32_t sum;

	if (v6)
		sum = lg_csum_partial(ip + 8, 32, 0);
	else
		sum = lg_csum_partial(ip + 12, 8, 0);
	return csum_add(sum, proto + (uint32_t)l4len);
}

/* Outer L3 header: offset of the UDP header after it, or 0. */
static size_t parse_outer(const unsigned char *f, size_t n, size_t l3,
			  uint16_t type, bool *v6)
{
	size_t ihl;

	if (type == ETYPE_IPV4) {
		if (l3 + IPV4_MIN > n || f[l3] >> 4 != 4)
			return 0;
		ihl = (size_t)(f[l3] & 0xf) * 4;
		/* UDP, not a fragment (no MF, offset 0) */
		if (ihl < IPV4_MIN || f[l3 + 9] != PROTO_UDP ||
		    (get16(f + l3 + 6) & 0x3fff))
			return 0;
		*v6 = false;
		return l3 + ihl;
	}
	if (type == ETYPE_IPV6) {
		if (l3 + IPV6_HDR > n || f[l3] >> 4 != 6 ||
		    f[l3 + 6] != PROTO_UDP)
			return 0;
		*v6 = true;
		return l3 + IPV6_HDR;
	}
	return 0;
}

/* Finds the inner IP header that ends where the inner TCP header starts;
 * its length field must cover the rest of the super-frame. */
static bool find_inner(const unsigned char *f, size_t n, bool v6,
		       struct lg_layout *lo)
{
	size_t tcp = lo->inner_l4, min = lo->outer_l4 + UDP_HDR, p;

	if (v6) {
		if (tcp < min + IPV6_HDR)
			return false;
		p = tcp - IPV6_HDR;
		if (f[p] >> 4 != 6 || f[p + 6] != PROTO_TCP ||
		    get16(f + p + 4) != n - p - IPV6_HDR)
			return false;
		lo->inner_l3 = p;
		return true;
	}
	for (size_t ihl = 5; ihl <= 15; ihl++) {
		if (tcp < min + ihl * 4)
			return false;
		p = tcp - ihl * 4;
		if (f[p] == (0x40 | ihl) && f[p + 9] == PROTO_TCP &&
		    get16(f + p + 2) == n - p) {
			lo->inner_l3 = p;
			return true;
		}
	}
	return false;
}

bool lg_classify(const void *frame, size_t len, struct lg_layout *lo)
{
	const unsigned char *v = frame, *f = v + LG_VNET_HDR_LEN;
	size_t n, off = 12, doff;
	unsigned gso;
	uint16_t type;

	if (len < LG_VNET_HDR_LEN + ETH_HDR || len - LG_VNET_HDR_LEN > 0xffff)
		return false;
	memset(lo, 0, sizeof(*lo));
	n = len - LG_VNET_HDR_LEN;
	gso = v[1] & ~VNET_GSO_ECN;
	if (!(v[0] & VNET_F_NEEDS_CSUM) ||
	    (gso != VNET_GSO_TCPV4 && gso != VNET_GSO_TCPV6))
		return false;
	lo->gso_size = le16(v + 4);
	lo->inner_l4 = le16(v + 6);
	if (!lo->gso_size)
		return false;
	type = get16(f + off);
	for (int tags = 0; tags < 2 && (type == ETYPE_VLAN ||
					type == ETYPE_QINQ); tags++) {
		off += 4;
		if (off + 2 > n)
			return false;
		type = get16(f + off);
	}
	lo->outer_l3 = off + 2;
	lo->outer_l4 = parse_outer(f, n, lo->outer_l3, type, &lo->outer_v6);
	/* Plain TCP GSO has its checksum right after the outer L3 header:
	 * the kernel takes those back as they are. */
	if (!lo->outer_l4 || lo->outer_l4 + UDP_HDR > n ||
	    lo->inner_l4 <= lo->outer_l4 || lo->inner_l4 + TCP_MIN > n)
		return false;
	doff = (size_t)(f[lo->inner_l4 + 12] >> 4) * 4;
	lo->hdr_len = lo->inner_l4 + doff;
	if (doff < TCP_MIN || lo->hdr_len >= n)
		return false;
	lo->inner_v6 = gso == VNET_GSO_TCPV6;
	if (!find_inner(f, n, lo->inner_v6, lo))
		return false;
	lo->len = n;
	lo->nsegs = (n - lo->hdr_len + lo->gso_size - 1) / lo->gso_size;
	lo->outer_csum = get16(f + lo->outer_l4 + 6) != 0;
	return true;
}

size_t lg_seg_max(const struct lg_layout *lo)
{
	return LG_VNET_HDR_LEN + lo->hdr_len + lo->gso_size;
}

/* Sets the IP length fields (and IPv4 id and checksum) for a segment of
 * seglen bytes, the i-th of its super-frame. */
static void fix_ip(unsigned char *o, size_t l3, bool v6, size_t seglen,
		   size_t i)
{
	unsigned char *ip = o + l3;
	size_t ihl;

	if (v6) {
		put16(ip + 4, (uint16_t)(seglen - l3 - IPV6_HDR));
		return;
	}
	ihl = (size_t)(ip[0] & 0xf) * 4;
	put16(ip + 2, (uint16_t)(seglen - l3));
	put16(ip + 4, (uint16_t)(get16(ip + 4) + i));
	put16(ip + 10, 0);
	put16(ip + 10, lg_csum_fold(lg_csum_partial(ip, ihl, 0)));
}

static void fix_tcp(unsigned char *o, const struct lg_layout *lo,
		    size_t seglen, size_t i)
{
	unsigned char *tcp = o + lo->inner_l4;
	size_t tcplen = seglen - lo->inner_l4;
	uint32_t sum;

	put32(tcp + 4, get32(tcp + 4) + (uint32_t)(i * lo->gso_size));
	if (i + 1 < lo->nsegs)
		tcp[13] &= (unsigned char)~(TCP_FIN | TCP_PSH);
	if (i)
		tcp[13] &= (unsigned char)~TCP_CWR;
	put16(tcp + 16, 0);
	sum = pseudo_sum(o + lo->inner_l3, lo->inner_v6, PROTO_TCP, tcplen);
	put16(tcp + 16, lg_csum_fold(lg_csum_partial(tcp, tcplen, sum)));
}

static void fix_udp(unsigned char *o, const struct lg_layout *lo,
		    size_t seglen)
{
	unsigned char *udp = o + lo->outer_l4;
	size_t udplen = seglen - lo->outer_l4;
	uint32_t sum;
	uint16_t c;

	put16(udp + 4, (uint16_t)udplen);
	if (!lo->outer_csum)
		return;
	put16(udp + 6, 0);
	sum = pseudo_sum(o + lo->outer_l3, lo->outer_v6, PROTO_UDP, udplen);
	c = lg_csum_fold(lg_csum_partial(udp, udplen, sum));
	put16(udp + 6, c ? c : 0xffff);
}

size_t lg_segment(const void *frame, const struct lg_layout *lo, size_t i,
		  void *out, size_t outlen)
{
	const unsigned char *f = (const unsigned char *)frame + LG_VNET_HDR_LEN;
	unsigned char *o = (unsigned char *)out + LG_VNET_HDR_LEN;
	size_t start, chunk, seglen;

	if (i >= lo->nsegs)
		return 0;
	start = lo->hdr_len + i * lo->gso_size;
	chunk = lo->len - start < lo->gso_size ? lo->len - start : lo->gso_size;
	seglen = lo->hdr_len + chunk;
	if (outlen < LG_VNET_HDR_LEN + seglen)
		return 0;
	memset(out, 0, LG_VNET_HDR_LEN);
	memcpy(o, f, lo->hdr_len);
	memcpy(o + lo->hdr_len, f + start, chunk);
	fix_ip(o, lo->outer_l3, lo->outer_v6, seglen, i);
	fix_ip(o, lo->inner_l3, lo->inner_v6, seglen, i);
	/* Inner TCP first: the outer UDP checksum covers it. */
	fix_tcp(o, lo, seglen, i);
	fix_udp(o, lo, seglen);
	return LG_VNET_HDR_LEN + seglen;
}
