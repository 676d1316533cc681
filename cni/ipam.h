/* SPDX-License-Identifier: MIT */
/* Address management by delegation: the standard host-local plugin, found
 * in CNI_PATH and run with the same environment (minus CNI_ARGS, whose pod
 * arguments host-local would reject), hands out addresses from the
 * worker's lease and keeps them in dataDir/<network name>/. Every function
 * returns 0 or a CNI code with e set. */
#ifndef KNETSIM_CNI_IPAM_H
#define KNETSIM_CNI_IPAM_H

#include <stdint.h>

#include "config.h"
#include "result.h"
#include "subnet.h"

#define IPAM_PLUGIN "host-local"
#define IPAM_TIMEOUT_MS 30000

struct ipam_addr {
	uint32_t ip;	/* host byte order */
	uint8_t prefixlen;	/* the lease's */
	uint32_t gateway;
};

/* host-local's stdin for this network and lease (lease NULL: a
 * placeholder range, enough for DEL, which releases by container ID).
 * malloc'd, NULL when out of memory. */
char *ipam_config_json(const char *name, const struct cni_lease *lease,
		       const char *data_dir);
/* host-local's ADD result: one IPv4 address inside the lease. */
unsigned ipam_result_parse(const char *out, const struct cni_lease *lease,
			   struct ipam_addr *a, struct cni_err *e);
/* host-local's error output as our error: an exhausted range is
 * CNI_ERR_EXHAUSTED, anything else CNI_ERR_IPAM, with its message. */
unsigned ipam_error_parse(const char *out, struct cni_err *e);

unsigned ipam_add(const struct cni_env *env, const struct cni_conf *c,
		  const struct cni_lease *lease, struct ipam_addr *a,
		  struct cni_err *e);
/* Releases the container's address; 0 when it holds none. lease may be
 * NULL (the worker's subnet.env is gone). */
unsigned ipam_del(const struct cni_env *env, const struct cni_conf *c,
		  const struct cni_lease *lease, struct cni_err *e);
/* Whether the container holds an address in the store. */
unsigned ipam_check(const struct cni_env *env, const struct cni_conf *c,
		    const struct cni_lease *lease, struct cni_err *e);

#endif
