/* SPDX-License-Identifier: MIT */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of
 * prime size filled from each backend's permutation of the slots. Pure and
 * deterministic: the same set of backends gives the same table on every
 * worker, whatever the order it is passed in (the set is sorted first).
 * Removing one of N backends moves only about 1/N of the slots; backends
 * hold either floor(M/N) or ceil(M/N) slots each.
 *
 * Backend addresses are IPv4, any byte order as long as it is consistent
 * (the hash reads the 32-bit value); 0 is not a backend.
 */
#ifndef KNETSIM_MAGLEV_H
#define KNETSIM_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Table size used by the datapath (prime, >> PROXY_BACKENDS_MAX). */
#define MAGLEV_SIZE 16381

bool maglev_is_prime(uint32_t m);

/*
 * Fills table[0..m) with backend addresses. m must be prime and at least
 * the number of distinct backends; duplicates count once. Returns 0,
 * -EINVAL (bad arguments, no backend, a 0 address) or -ENOMEM.
 */
int maglev_build(const uint32_t *backends, size_t n, uint32_t *table,
		 uint32_t m);

#endif
