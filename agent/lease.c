// SPDX-License-Identifier: MIT
/* flannel subnet leases: keys, values, allocation, subnet.env. */
#include "lease.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"

#define VNI_MAX 16777215u

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- keys ---- */

int lease_key_format(const struct cidr *subnet, char *buf, size_t len)
{
	char ip[IP4_STRLEN];
	int n;

	if (!subnet || !buf || subnet->len > 32)
		return -EINVAL;
	n = snprintf(buf, len, LEASE_PREFIX "%s-%u",
		     ip4_format(subnet->addr, ip), subnet->len);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lease_key_parse(const char *key, struct cidr *subnet)
{
	const char *p, *dash;
	char ip[IP4_STRLEN];
	uint32_t addr;
	unsigned len = 0;

	if (!key || !subnet ||
	    strncmp(key, LEASE_PREFIX, sizeof(LEASE_PREFIX) - 1))
		return -EINVAL;
	p = key + sizeof(LEASE_PREFIX) - 1;
	dash = strchr(p, '-');
	if (!dash || (size_t)(dash - p) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, p, (size_t)(dash - p));
	ip[dash - p] = '\0';
	if (ip4_parse(ip, &addr))
		return -EINVAL;
	/* 1 or 2 digits, no leading zero, at most 32, nothing after */
	p = dash + 1;
	if (p[0] < '0' || p[0] > '9' || (p[0] == '0' && p[1]))
		return -EINVAL;
	for (int i = 0; p[i]; i++) {
		if (i == 2 || p[i] < '0' || p[i] > '9')
			return -EINVAL;
		len = len * 10 + (unsigned)(p[i] - '0');
	}
	if (len > 32 || (addr & ~cidr_mask((uint8_t)len)))
		return -EINVAL;
	subnet->addr = addr;
	subnet->len = (uint8_t)len;
	return 0;
}

int lease_subnet_check(const struct net_config *c, const struct cidr *subnet,
		       char *err, size_t errlen)
{
	char sn[CIDR_STRLEN], net[CIDR_STRLEN], lo[IP4_STRLEN], hi[IP4_STRLEN];

	cidr_format(subnet, sn);
	if (!cidr_contains_cidr(&c->network, subnet))
		return fail(err, errlen, -ERANGE,
			    "subnet %s is outside Network %s", sn,
			    cidr_format(&c->network, net));
	if (subnet->len != c->subnet_len)
		return fail(err, errlen, -ERANGE,
			    "subnet %s is not /%u (SubnetLen)", sn,
			    c->subnet_len);
	if (subnet->addr < c->subnet_min || subnet->addr > c->subnet_max)
		return fail(err, errlen, -ERANGE,
			    "subnet %s is outside SubnetMin %s .. SubnetMax %s",
			    sn, ip4_format(c->subnet_min, lo),
			    ip4_format(c->subnet_max, hi));
	return 0;
}

/* ---- values ---- */

static bool plain_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

char *lease_value_format(const struct subnet_lease *l)
{
	char ip[IP4_STRLEN], data[80] = "";
	const uint8_t *m = l->vtep_mac;
	char *out;

	if (l->backend_type[0] && !plain_word(l->backend_type))
		return NULL;
	/* Go's net.HardwareAddr prints lower-case hex */
	if (l->has_vtep_mac)
		snprintf(data, sizeof(data), ",\"BackendData\":{\"VNI\":%u,"
			 "\"VtepMAC\":\"%02x:%02x:%02x:%02x:%02x:%02x\"}",
			 l->vni, m[0], m[1], m[2], m[3], m[4], m[5]);
	if (asprintf(&out, "{\"PublicIP\":\"%s\",\"PublicIPv6\":null%s%s%s%s}",
		     ip4_format(l->public_ip, ip),
		     l->backend_type[0] ? ",\"BackendType\":\"" : "",
		     l->backend_type, l->backend_type[0] ? "\"" : "",
		     data) < 0)
		return NULL;
	return out;
}

static int parse_backend_data(const cJSON *bd, struct subnet_lease *l,
			      char *err, size_t errlen)
{
	const cJSON *vni, *mac;

	if (!bd || cJSON_IsNull(bd))
		return 0;
	if (!cJSON_IsObject(bd))
		return fail(err, errlen, -EINVAL,
			    "BackendData: expected an object");
	vni = cJSON_GetObjectItemCaseSensitive(bd, "VNI");
	if (vni) {
		double v = cJSON_GetNumberValue(vni);

		if (!cJSON_IsNumber(vni) || v < 0 || v > VNI_MAX ||
		    v != (double)(uint32_t)v)
			return fail(err, errlen, -EINVAL, "BackendData.VNI: "
				    "expected an integer 0..%u", VNI_MAX);
		l->vni = (uint32_t)v;
	}
	mac = cJSON_GetObjectItemCaseSensitive(bd, "VtepMAC");
	if (mac) {
		if (!cJSON_IsString(mac) || mac_parse(mac->valuestring,
						      l->vtep_mac))
			return fail(err, errlen, -EINVAL, "BackendData.VtepMAC:"
				    " expected a MAC address like "
				    "aa:bb:cc:dd:ee:ff");
		l->has_vtep_mac = true;
	}
	return 0;
}

static int parse_attrs(const cJSON *j, struct subnet_lease *l, char *err,
		       size_t errlen)
{
	const cJSON *ip = cJSON_GetObjectItemCaseSensitive(j, "PublicIP");
	const cJSON *ip6 = cJSON_GetObjectItemCaseSensitive(j, "PublicIPv6");
	const cJSON *bt = cJSON_GetObjectItemCaseSensitive(j, "BackendType");
	int ret;

	if (!cJSON_IsString(ip) || ip4_parse(ip->valuestring, &l->public_ip))
		return fail(err, errlen, -EINVAL,
			    "PublicIP: expected an IPv4 address");
	if (ip6 && !cJSON_IsNull(ip6) && !cJSON_IsString(ip6))
		return fail(err, errlen, -EINVAL,
			    "PublicIPv6: expected an address or null");
	if (bt) {
		if (!cJSON_IsString(bt) ||
		    strlen(bt->valuestring) >= sizeof(l->backend_type) ||
		    !plain_word(bt->valuestring))
			return fail(err, errlen, -EINVAL, "BackendType: "
				    "expected a backend name like \"vxlan\"");
		strcpy(l->backend_type, bt->valuestring);
	}
	ret = parse_backend_data(cJSON_GetObjectItemCaseSensitive(j,
				 "BackendData"), l, err, errlen);
	if (ret)
		return ret;
	if (!strcmp(l->backend_type, "vxlan") && !l->has_vtep_mac)
		return fail(err, errlen, -EINVAL, "BackendData.VtepMAC: "
			    "missing (a vxlan lease needs it)");
	return 0;
}

int lease_value_parse(const char *val, size_t len, struct subnet_lease *l,
		      char *err, size_t errlen)
{
	struct subnet_lease tmp = { 0 };
	cJSON *j;
	int ret;

	if (!val || !l)
		return fail(err, errlen, -EINVAL, "no value");
	if (memchr(val, '\0', len))
		return fail(err, errlen, -EINVAL, "value holds a NUL byte");
	j = cJSON_ParseWithLength(val, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return fail(err, errlen, -EINVAL,
			    "value is not a JSON object");
	}
	ret = parse_attrs(j, &tmp, err, errlen);
	cJSON_Delete(j);
	if (ret)
		return ret;
	tmp.subnet = l->subnet;
	tmp.lease_id = l->lease_id;
	tmp.mod_revision = l->mod_revision;
	*l = tmp;
	return 0;
}

int lease_from_kv(const struct net_config *c, const struct etcd_kv *kv,
		  struct subnet_lease *l, char *err, size_t errlen)
{
	char why[160];
	struct subnet_lease tmp = { 0 };
	int ret;

	if (!c || !kv || !kv->key || !l)
		return fail(err, errlen, -EINVAL, "no lease");
	if (strlen(kv->key) != kv->key_len ||
	    lease_key_parse(kv->key, &tmp.subnet))
		return fail(err, errlen, -EINVAL, "%.*s: not a subnet lease "
			    "key (expected %sADDR-LEN)", 100, kv->key,
			    LEASE_PREFIX);
	ret = lease_subnet_check(c, &tmp.subnet, why, sizeof(why));
	if (!ret)
		ret = lease_value_parse(kv->val, kv->len, &tmp, why,
					sizeof(why));
	if (ret)
		return fail(err, errlen, ret, "%s: %s", kv->key, why);
	tmp.lease_id = kv->lease;
	tmp.mod_revision = kv->mod_revision;
	*l = tmp;
	return 0;
}

/* ---- allocation ---- */

uint64_t lease_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The subnets of every key that parses (the taken ones), malloc'd. */
static int taken_subnets(const struct etcd_kv *kvs, size_t n,
			 struct cidr **out, size_t *count)
{
	struct cidr *t = n ? calloc(n, sizeof(*t)) : NULL;
	size_t k = 0;

	if (n && !t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (kvs[i].key && strlen(kvs[i].key) == kvs[i].key_len &&
		    !lease_key_parse(kvs[i].key, &t[k]))
			k++;
	*out = t;
	*count = k;
	return 0;
}

/* Our own lease (same PublicIP, valid, fits the config), or -1. */
static long find_own(const struct net_config *c, const struct etcd_kv *kvs,
		     size_t n, uint32_t public_ip)
{
	struct subnet_lease l;

	for (size_t i = 0; i < n; i++)
		if (!lease_from_kv(c, &kvs[i], &l, NULL, 0) &&
		    l.public_ip == public_ip)
			return (long)i;
	return -1;
}

/* Up to LEASE_PICK_WINDOW free subnets, lowest first, into free_[]. */
static size_t free_subnets(const struct net_config *c,
			   const struct cidr *taken, size_t nt,
			   uint32_t free_[LEASE_PICK_WINDOW])
{
	uint64_t size = (uint64_t)1 << (32 - c->subnet_len);
	uint64_t cand = c->subnet_min;
	size_t nf = 0;

	while (cand <= c->subnet_max && nf < LEASE_PICK_WINDOW) {
		struct cidr sn = { (uint32_t)cand, c->subnet_len };
		uint64_t next = cand + size;
		bool blocked = false;

		for (size_t i = 0; i < nt; i++) {
			uint64_t end;

			if (!cidr_overlaps(&sn, &taken[i]))
				continue;
			blocked = true;
			/* a bigger taken block: skip all of it */
			end = (uint64_t)taken[i].addr +
			      ((uint64_t)1 << (32 - taken[i].len));
			if (end > next)
				next = end;
		}
		if (!blocked)
			free_[nf++] = (uint32_t)cand;
		cand = next;
	}
	return nf;
}

int lease_choose(const struct net_config *c, const struct etcd_kv *kvs,
		 size_t n, uint32_t public_ip, uint64_t *rng,
		 struct lease_pick *pick, char *err, size_t errlen)
{
	uint32_t free_[LEASE_PICK_WINDOW];
	char net[CIDR_STRLEN], lo[IP4_STRLEN], hi[IP4_STRLEN];
	struct cidr *taken;
	size_t nt, nf;
	long own;

	if (!c || (n && !kvs) || !pick || c->subnet_len < 1 ||
	    c->subnet_len > 32)
		return fail(err, errlen, -EINVAL, "bad arguments");
	memset(pick, 0, sizeof(*pick));
	own = find_own(c, kvs, n, public_ip);
	if (own >= 0) {
		pick->reuse = true;
		pick->index = (size_t)own;
		lease_key_parse(kvs[own].key, &pick->subnet);
		return 0;
	}
	if (taken_subnets(kvs, n, &taken, &nt))
		return fail(err, errlen, -ENOMEM, "out of memory");
	nf = free_subnets(c, taken, nt, free_);
	free(taken);
	if (!nf)
		return fail(err, errlen, -ENOSPC, "no free subnet: all %" PRIu64
			    " subnets /%u of Network %s between SubnetMin %s "
			    "and SubnetMax %s are leased",
			    netconf_subnet_count(c), c->subnet_len,
			    cidr_format(&c->network, net),
			    ip4_format(c->subnet_min, lo),
			    ip4_format(c->subnet_max, hi));
	pick->subnet.addr = free_[rng ? lease_rand(rng) % nf : 0];
	pick->subnet.len = c->subnet_len;
	return 0;
}

/* ---- with etcd ---- */

static void lease_fill(const struct net_config *c,
		       const struct lease_request *req,
		       const struct cidr *subnet, struct subnet_lease *l)
{
	memset(l, 0, sizeof(*l));
	l->subnet = *subnet;
	l->public_ip = req->public_ip;
	snprintf(l->backend_type, sizeof(l->backend_type), "%s",
		 c->backend_type);
	if (!strcmp(c->backend_type, "vxlan")) {
		l->vni = c->vni;
		memcpy(l->vtep_mac, req->vtep_mac, sizeof(l->vtep_mac));
		l->has_vtep_mac = true;
	}
}

/* One attempt: 0 when the subnet is ours, -EAGAIN when we lost a race. */
static int try_acquire(struct etcd *e, const struct net_config *c,
		       const struct lease_request *req, int64_t id,
		       struct subnet_lease *out, char *err, size_t errlen)
{
	struct etcd_kv *kvs;
	struct lease_pick pick;
	char key[LEASE_KEY_MAX];
	size_t n;
	char *val;
	int ret;

	ret = etcd_range_prefix(e, LEASE_PREFIX, &kvs, &n, NULL);
	if (ret)
		return fail(err, errlen, ret, "cannot read the subnet leases: "
			    "%s", etcd_error(e));
	ret = lease_choose(c, kvs, n, req->public_ip, req->rng, &pick, err,
			   errlen);
	if (ret)
		goto out;
	lease_fill(c, req, &pick.subnet, out);
	val = lease_value_format(out);
	if (!val || lease_key_format(&pick.subnet, key, sizeof(key))) {
		free(val);
		ret = fail(err, errlen, -EINVAL, "cannot format lease (backend "
			   "type \"%s\")", c->backend_type);
		goto out;
	}
	if (pick.reuse)
		ret = etcd_replace(e, key, val, strlen(val), id,
				   kvs[pick.index].mod_revision);
	else
		ret = etcd_create(e, key, val, strlen(val), id);
	free(val);
	if (ret == -EEXIST || ret == -ECANCELED)
		ret = -EAGAIN;
	else if (ret)
		fail(err, errlen, ret, "cannot write %s: %s", key,
		     etcd_error(e));
	out->lease_id = id;
out:
	etcd_kvs_free(kvs, n);
	return ret;
}

int lease_acquire(struct etcd *e, const struct net_config *c,
		  const struct lease_request *req, struct subnet_lease *out,
		  char *err, size_t errlen)
{
	int64_t ttl, id;
	int ret;

	if (!e || !c || !req || !out)
		return fail(err, errlen, -EINVAL, "bad arguments");
	ttl = req->ttl_s ? req->ttl_s : LEASE_TTL_S;
	ret = etcd_lease_grant(e, ttl, &id);
	if (ret)
		return fail(err, errlen, ret, "cannot grant an etcd lease: %s",
			    etcd_error(e));
	for (int i = 0; i < LEASE_RETRIES; i++) {
		ret = try_acquire(e, c, req, id, out, err, errlen);
		if (ret != -EAGAIN)
			break;
	}
	if (ret == -EAGAIN)
		fail(err, errlen, ret, "other workers took the chosen subnet "
		     "%d times in a row", LEASE_RETRIES);
	if (ret)
		etcd_lease_revoke(e, id);
	return ret;
}

int lease_renew(struct etcd *e, struct subnet_lease *l, int64_t ttl_s,
		char *err, size_t errlen)
{
	char key[LEASE_KEY_MAX];
	char *val;
	int64_t id;
	int ret;

	if (!e || !l)
		return fail(err, errlen, -EINVAL, "bad arguments");
	ret = etcd_lease_keepalive(e, l->lease_id, NULL);
	if (ret != -ENOENT)
		return ret ? fail(err, errlen, ret, "lease keepalive: %s",
				  etcd_error(e)) : 0;
	/* expired: etcd deleted our key; take the subnet again if free */
	ret = etcd_lease_grant(e, ttl_s ? ttl_s : LEASE_TTL_S, &id);
	if (ret)
		return fail(err, errlen, ret, "cannot grant an etcd lease: %s",
			    etcd_error(e));
	val = lease_value_format(l);
	if (!val || lease_key_format(&l->subnet, key, sizeof(key))) {
		free(val);
		etcd_lease_revoke(e, id);
		return fail(err, errlen, -EINVAL, "cannot format our lease");
	}
	ret = etcd_create(e, key, val, strlen(val), id);
	free(val);
	if (ret) {
		fail(err, errlen, ret, "%s expired and %s", key,
		     ret == -EEXIST ? "another worker took it" :
		     etcd_error(e));
		etcd_lease_revoke(e, id);
		return ret;
	}
	l->lease_id = id;
	l->mod_revision = 0;
	return 0;
}

/* ---- subnet.env ---- */

char *lease_subnet_env(const struct net_config *c, const struct cidr *subnet,
		       unsigned mtu, bool ipmasq)
{
	char net[CIDR_STRLEN], ip[IP4_STRLEN];
	char *out;

	if (!c || !subnet || subnet->len > 32)
		return NULL;
	if (asprintf(&out, "FLANNEL_NETWORK=%s\nFLANNEL_SUBNET=%s/%u\n"
		     "FLANNEL_MTU=%u\nFLANNEL_IPMASQ=%s\n",
		     cidr_format(&c->network, net),
		     ip4_format(subnet->addr + 1, ip), subnet->len, mtu,
		     ipmasq ? "true" : "false") < 0)
		return NULL;
	return out;
}
