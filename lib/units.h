/* SPDX-License-Identifier: MIT */
/* Link shaping quantities as people write them, in tc(8)'s conventions:
 * durations ("20ms", "1.5ms", "100us", "2s"), rates ("100mbit", "1gbit";
 * a plain number is bits/s and "bps" suffixes are BYTES/s, as in tc) and
 * loss ("1%", "0.5%"). "0" is accepted everywhere; "unlimited" for rates.
 * Parsers return 0, or -1 with a message in err saying what is expected
 * (without a field name: the caller prefixes its own). */
#ifndef KNETSIM_UNITS_H
#define KNETSIM_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNITS_STRLEN 32

#define UNITS_MAX_DURATION_US UINT32_MAX
#define UNITS_MAX_LOSS_PPM 1000000u

/* To microseconds; resolution 1us. */
int units_parse_duration(const char *s, uint32_t *us, char *err, size_t errlen);
/* To bits per second; 0 means unlimited. A non-zero rate is at least
 * 8bit (one byte per second). */
int units_parse_rate(const char *s, uint64_t *bps, char *err, size_t errlen);
/* A percentage to parts per million (0..1000000); resolution 0.0001%. */
int units_parse_loss(const char *s, uint32_t *ppm, char *err, size_t errlen);

/* Exact, shortest readable forms that the parsers read back to the same
 * value: "0ms", "20ms", "1.5ms", "100us", "2s"; "0", "100mbit", "1500kbit";
 * "0%", "0.5%". buf holds UNITS_STRLEN bytes; each returns buf. */
char *units_format_duration(uint32_t us, char *buf);
char *units_format_rate(uint64_t bps, char *buf);
char *units_format_loss(uint32_t ppm, char *buf);

#endif
