/* SPDX-License-Identifier: MIT */
/* flannel's network config, the JSON stored at /coreos.com/network/config:
 * {"Network","SubnetLen","SubnetMin","SubnetMax","Backend":{"Type","VNI","Port"}}.
 * Written by knetsim up, read by the agent. */
#ifndef KNETSIM_NETCONF_H
#define KNETSIM_NETCONF_H

#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define NETCONF_KEY "/coreos.com/network/config"

struct net_config {
	struct cidr network;
	uint8_t subnet_len;
	uint32_t subnet_min;   /* host order, aligned to subnet_len */
	uint32_t subnet_max;
	char backend_type[16]; /* "vxlan" */
	uint32_t vni;
	uint16_t port;
};

/* Checks ranges and alignment; 0 or -1 with a message in err naming the
 * field ("SubnetMin: ..."). */
int netconf_validate(const struct net_config *c, char *err, size_t errlen);
/* malloc'd compact JSON in flannel's field names. */
char *netconf_to_json(const struct net_config *c);
/* Parses flannel's JSON (as the agent reads it from etcd), validates; 0 or
 * -1 with err. Absent fields get flannel's defaults: SubnetLen 24,
 * SubnetMin the second subnet of Network, SubnetMax the last, Backend
 * vxlan with VNI 1 and port 8472 (the topology loader applies the same). */
int netconf_from_json(const char *json, struct net_config *c, char *err,
		      size_t errlen);
/* The fields a config may leave out, for netconf_defaults(). */
enum netconf_field {
	NETCONF_SUBNET_LEN   = 1 << 0,
	NETCONF_SUBNET_MIN   = 1 << 1,
	NETCONF_SUBNET_MAX   = 1 << 2,
	NETCONF_BACKEND_TYPE = 1 << 3,
	NETCONF_VNI          = 1 << 4,
	NETCONF_PORT         = 1 << 5,
};
/* Gives every field not in given (NETCONF_* bits) flannel's default, as
 * netconf_from_json does; network must be set. SubnetLen is 24, or one
 * bit longer than Network when Network is /24 or smaller. */
void netconf_defaults(struct net_config *c, unsigned given);
/* Number of subnets between SubnetMin and SubnetMax inclusive. */
uint64_t netconf_subnet_count(const struct net_config *c);

#endif
