/* SPDX-License-Identifier: MIT */
/*
 * flannel's subnet leases: each worker holds one subnet of the network
 * config's Network, as the key
 *	/coreos.com/network/subnets/<subnet address>-<prefix length>
 * (e.g. /coreos.com/network/subnets/11.10.16.0-20) whose value is the JSON
 * flannel's etcd subnet manager writes for an IPv4 vxlan lease:
 *	{"PublicIP":"10.0.0.1","PublicIPv6":null,"BackendType":"vxlan",
 *	 "BackendData":{"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:ff"}}
 * (Go's encoding of flannel's LeaseAttrs: PublicIPv6 is a nil pointer
 * without omitempty, BackendV6Data is left out when empty). Parsing also
 * accepts older flannel's value without PublicIPv6, and ignores fields it
 * does not know.
 *
 * flannel renews a 24 h TTL by rewriting the key. knetsim attaches the key
 * to an etcd lease of LEASE_TTL_S seconds that the agent keeps alive (every
 * TTL/3), so the subnet of a worker that died returns to the pool within
 * half a minute.
 *
 * Allocation follows flannel: reuse a lease whose PublicIP is ours (the
 * agent restarted), else pick at random among the first
 * LEASE_PICK_WINDOW free subnets between SubnetMin and SubnetMax (random
 * so that workers starting together rarely race for the same subnet; a
 * seedable generator keeps tests and simulations reproducible, and no
 * generator means lowest-first). The key is created by a transaction that
 * succeeds only if it is new; losing a race means reading the leases again
 * and choosing again, at most LEASE_RETRIES times.
 *
 * Functions return 0 or -errno, with a message in err naming what was
 * wrong; every key and value read from etcd is validated.
 */
#ifndef KNETSIM_AGENT_LEASE_H
#define KNETSIM_AGENT_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "etcd.h"
#include "netconf.h"

#define LEASE_PREFIX      "/coreos.com/network/subnets/"
/* LEASE_PREFIX + "255.255.255.255-32" + NUL */
#define LEASE_KEY_MAX     (sizeof(LEASE_PREFIX) + 18)
#define LEASE_TTL_S       30
#define LEASE_RETRIES     10
#define LEASE_PICK_WINDOW 100

struct subnet_lease {
	struct cidr subnet;
	uint32_t public_ip;     /* host order */
	char backend_type[16];  /* "vxlan"; "" when the value had none */
	uint32_t vni;           /* 0 when BackendData had no VNI */
	uint8_t vtep_mac[6];
	bool has_vtep_mac;
	int64_t lease_id;       /* etcd lease the key is attached to, 0: none */
	int64_t mod_revision;   /* as read; 0 after lease_acquire/renew */
};

/* The key of a subnet into buf (LEASE_KEY_MAX bytes suffice). */
int lease_key_format(const struct cidr *subnet, char *buf, size_t len);
/* A key's subnet: LEASE_PREFIX, a dotted quad, '-', a length 0..32,
 * nothing after, host bits zero. -EINVAL otherwise. */
int lease_key_parse(const char *key, struct cidr *subnet);
/* A subnet this network config could have handed out: SubnetLen long,
 * inside Network, between SubnetMin and SubnetMax. -ERANGE otherwise. */
int lease_subnet_check(const struct net_config *c, const struct cidr *subnet,
		       char *err, size_t errlen);

/* The value's JSON, exactly as flannel writes it (malloc'd), or NULL when
 * out of memory or backend_type is not a plain word. */
char *lease_value_format(const struct subnet_lease *l);
/* Fills everything but subnet, lease_id and mod_revision from a value;
 * -EINVAL with err when it is not a lease flannel would accept (a vxlan
 * lease needs BackendData.VtepMAC). */
int lease_value_parse(const char *val, size_t len, struct subnet_lease *l,
		      char *err, size_t errlen);
/* A key and value read from etcd, checked against the network config. */
int lease_from_kv(const struct net_config *c, const struct etcd_kv *kv,
		  struct subnet_lease *l, char *err, size_t errlen);

/* splitmix64: the generator lease_choose() draws from. */
uint64_t lease_rand(uint64_t *state);

struct lease_pick {
	bool reuse;             /* kvs[index] is ours: take it over */
	size_t index;
	struct cidr subnet;
};

/*
 * Chooses our subnet given every key under LEASE_PREFIX (kvs, as a range
 * read returns them). A key whose subnet parses counts as taken even when
 * its value is bad or it lies outside the config; other keys are ignored.
 * rng NULL: the lowest free subnet. -ENOSPC with err when every subnet
 * is taken.
 */
int lease_choose(const struct net_config *c, const struct etcd_kv *kvs,
		 size_t n, uint32_t public_ip, uint64_t *rng,
		 struct lease_pick *pick, char *err, size_t errlen);

struct lease_request {
	uint32_t public_ip;
	uint8_t vtep_mac[6];
	int64_t ttl_s;          /* 0: LEASE_TTL_S */
	uint64_t *rng;          /* NULL: lowest free subnet first */
};

/* Grants an etcd lease and takes a subnet under it (reusing ours, else
 * creating a new key), the value built from the config's backend and req.
 * On failure the etcd lease is revoked. */
int lease_acquire(struct etcd *e, const struct net_config *c,
		  const struct lease_request *req, struct subnet_lease *out,
		  char *err, size_t errlen);
/*
 * One keepalive of l's etcd lease. When it has expired (the worker was cut
 * off from etcd for longer than the TTL, so etcd deleted the key), grants
 * a new lease of ttl_s (0: LEASE_TTL_S) and creates the same key again,
 * updating l; -EEXIST when another worker took the subnet meanwhile: the
 * caller must start over with lease_acquire().
 */
int lease_renew(struct etcd *e, struct subnet_lease *l, int64_t ttl_s,
		char *err, size_t errlen);

/* flannel's subnet.env for our subnet (malloc'd text):
 *	FLANNEL_NETWORK=11.0.0.0/8
 *	FLANNEL_SUBNET=11.10.16.1/20
 *	FLANNEL_MTU=1450
 *	FLANNEL_IPMASQ=false
 * FLANNEL_SUBNET is the subnet's first address with its length. */
char *lease_subnet_env(const struct net_config *c, const struct cidr *subnet,
		       unsigned mtu, bool ipmasq);

#endif
