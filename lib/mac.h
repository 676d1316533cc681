/* SPDX-License-Identifier: MIT */
/* Ethernet addresses as text: "aa:bb:cc:dd:ee:ff". */
#ifndef KNETSIM_MAC_H
#define KNETSIM_MAC_H

#include <stdint.h>

#define MAC_STRLEN 18

/* Exactly six two-digit hex bytes, either case, separated by ':' or '-'
 * (one of them throughout, as Go's net.ParseMAC reads flannel's leases);
 * 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);
/* Lower-case; buf holds MAC_STRLEN bytes. Returns buf. */
char *mac_format(const uint8_t mac[6], char *buf);

#endif
