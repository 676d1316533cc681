/* SPDX-License-Identifier: MIT */
/* Creating a service in a cluster's etcd, shared by `knetsim service add`
 * and `knetsim up`: every rule is checked before anything is written. */
#ifndef KNETSIM_SERVICES_STORE_H
#define KNETSIM_SERVICES_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "etcd.h"
#include "services.h"
#include "state.h"
#include "topology.h"

/* A VIP may not be 0/8, 127/8, multicast or reserved (224/3), nor inside
 * the cluster's pod Network or the underlay subnet. 0 or -EINVAL. */
int service_vip_check(const struct topology *t, size_t cluster, uint32_t vip,
		      char *err, size_t errlen);
/* Whether s and o may not share their VIP: the same VIP with a common
 * port/protocol, or either VIP-only. 0 or -EEXIST with why in err. */
int service_conflict(const struct svc_spec *s, const struct svc_spec *o,
		     char *err, size_t errlen);
/* Against the services and pods already in etcd (kvs: a range read of
 * SVC_ROOT): the name is free, no VIP:port/proto is taken twice (a
 * VIP-only service takes its VIP whole), every pod named exists. */
int service_check_existing(const struct svc_spec *s, const struct etcd_kv *kvs,
			   size_t n, char *err, size_t errlen);
/* Checks everything, then creates the object (etcd_create). */
int service_create(const struct state *st, const struct topology *t,
		   size_t cluster, const struct svc_spec *s, char *err,
		   size_t errlen);

#endif
