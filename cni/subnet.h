/* SPDX-License-Identifier: MIT */
/* The worker's lease as its agent writes it, in flannel's subnet.env
 * format (knetsim/ctl.h):
 *   FLANNEL_NETWORK=11.0.0.0/8
 *   FLANNEL_SUBNET=11.10.16.1/20
 *   FLANNEL_MTU=1450
 *   FLANNEL_IPMASQ=false
 * NETWORK, SUBNET and MTU are required, IPMASQ optional; other FLANNEL_*
 * keys (IPv6 ones) are ignored, anything else is an error. */
#ifndef KNETSIM_CNI_SUBNET_H
#define KNETSIM_CNI_SUBNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "result.h"

#define SUBNET_MTU_MIN 68
#define SUBNET_MTU_MAX 65535

struct cni_lease {
	struct cidr network;	/* the cluster's pod network */
	struct cidr subnet;	/* this worker's share of it */
	uint32_t gateway;	/* the subnet's first address */
	unsigned mtu;
	bool ipmasq;
};

/* Parses the text; on error returns -1 with "line N: problem" in err. */
int cni_lease_parse(const char *buf, size_t len, struct cni_lease *l,
		     char *err, size_t errlen);
/* Reads and parses path. A missing file is CNI_ERR_TRY_AGAIN (the agent
 * has not taken its lease yet); returns 0 or a CNI code with e set. */
unsigned cni_lease_load(const char *path, struct cni_lease *l,
			 struct cni_err *e);

#endif
