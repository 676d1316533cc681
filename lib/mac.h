/* SPDX-License-Identifier: MIT */
/* Ethernet addresses as text: "aa:bb:cc:dd:ee:ff". */
#ifndef KNETSIM_MAC_H
#define KNETSIM_MAC_H

#include <stdint.h>

#define MAC_STRLEN 18

/* Exactly six two-digit hex bytes separated by ':'; 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);
/* Lower-case; buf holds MAC_STRLEN bytes. Returns buf. */
char *mac_format(const uint8_t mac[6], char *buf);

#endif
