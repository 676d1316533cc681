/* SPDX-License-Identifier: MIT */
/* IPv4 prefixes: parsing, formatting, containment and host arithmetic.
 * Addresses are held in host byte order. */
#ifndef KNETSIM_CIDR_H
#define KNETSIM_CIDR_H

#include <stdbool.h>
#include <stdint.h>

#define CIDR_STRLEN 19 /* "255.255.255.255/32" + NUL */
#define IP4_STRLEN 16

struct cidr {
	uint32_t addr; /* network address, host bits zero */
	uint8_t len;
};

/* "a.b.c.d" -> host order. Returns 0 or -1 on malformed input. */
int ip4_parse(const char *s, uint32_t *out);
/* Writes dotted quad into buf (IP4_STRLEN bytes); returns buf. */
char *ip4_format(uint32_t addr, char *buf);

/* "a.b.c.d/len". Host bits set is an error (strict) unless allow_host. */
int cidr_parse(const char *s, struct cidr *out, bool allow_host);
char *cidr_format(const struct cidr *c, char *buf); /* CIDR_STRLEN bytes */

uint32_t cidr_mask(uint8_t len);
bool cidr_contains(const struct cidr *c, uint32_t addr);
bool cidr_contains_cidr(const struct cidr *outer, const struct cidr *inner);
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);
/* Usable host addresses (excludes network and broadcast for len < 31). */
uint64_t cidr_host_count(const struct cidr *c);
/* n-th usable host (1-based); returns -1 when out of range. */
int cidr_host(const struct cidr *c, uint64_t n, uint32_t *out);

#endif
