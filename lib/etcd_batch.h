/* SPDX-License-Identifier: MIT */
/* Many keys created in one etcd transaction (lib/etcd_batch.c), for bulk
 * loads: one request instead of one per key, all or nothing. */
#ifndef KNETSIM_ETCD_BATCH_H
#define KNETSIM_ETCD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "etcd.h"

/* etcd's default --max-txn-ops: the most operations of one transaction. */
#define ETCD_TXN_OPS_MAX 128

struct etcd_put {
	const char *key;
	const char *val;
	size_t len;
};

/* Puts every key of puts[0..n) (no lease) if none of them exists yet: one
 * transaction comparing each key's create_revision with 0. Returns 0 (the
 * store's revision after it in *revision, which may be NULL), -EEXIST when
 * some key exists (nothing written), -EINVAL when n is 0 or above
 * ETCD_TXN_OPS_MAX or a key is empty, or another -errno. */
int etcd_create_many(struct etcd *e, const struct etcd_put *puts, size_t n,
		     int64_t *revision);

#endif
