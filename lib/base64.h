/* SPDX-License-Identifier: MIT */
/* Standard base64 (RFC 4648 §4, '+' '/' and '=' padding), as etcd's JSON
 * gateway encodes keys and values. */
#ifndef KNETSIM_BASE64_H
#define KNETSIM_BASE64_H

#include <stddef.h>

/* Length of the encoding of n bytes, without the NUL; 0 when it would not
 * fit in a size_t. */
size_t base64_encoded_len(size_t n);
/* malloc'd, NUL-ended encoding of in[0..n), or NULL when out of memory. */
char *base64_encode(const void *in, size_t n);
/* Decodes in[0..len): padded, canonical input only (no whitespace, unused
 * bits zero). *out is malloc'd and NUL-ended (so text values read as
 * strings), *outlen excludes the NUL. Returns 0, -EINVAL on malformed input
 * or -ENOMEM. */
int base64_decode(const char *in, size_t len, char **out, size_t *outlen);

#endif
