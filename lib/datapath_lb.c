// SPDX-License-Identifier: MIT
/* Services in the BPF datapath: the lb_* maps from userspace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "datapath_lb.h"
#include "maglev.h"

_Static_assert(LB_MAGLEV_SIZE == MAGLEV_SIZE, "Maglev table sizes differ");

static int map_fd(struct dp *dp, const char *name)
{
	return dp ? dp_map_fd(dp, name) : -EINVAL;
}

static int neg_errno(int r)
{
	return r < 0 ? -errno : 0;
}

static int key_ok(const struct lb_service_key *key)
{
	return key && key->vip && !key->pad && (!key->port == !key->proto);
}

int dp_lb_service_set(struct dp *dp, const struct lb_service_key *key,
		      const struct lb_service *svc)
{
	int fd = map_fd(dp, LB_PIN_SERVICES);

	if (fd < 0)
		return fd;
	if (!key_ok(key) || !svc || svc->algo > LB_ALGO_MAGLEV)
		return -EINVAL;
	return neg_errno(bpf_map_update_elem(fd, key, svc, BPF_ANY));
}

int dp_lb_service_del(struct dp *dp, const struct lb_service_key *key)
{
	int fd = map_fd(dp, LB_PIN_SERVICES);

	if (fd < 0)
		return fd;
	if (!key_ok(key))
		return -EINVAL;
	return neg_errno(bpf_map_delete_elem(fd, key));
}

static int maglev_set(struct dp *dp, __u32 id, const __be32 *ips, size_t n)
{
	int fd = map_fd(dp, LB_PIN_MAGLEV);
	struct lb_maglev *m;
	int err;

	if (fd < 0)
		return fd;
	if (n == 0) {
		err = neg_errno(bpf_map_delete_elem(fd, &id));
		return err == -ENOENT ? 0 : err;
	}
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	err = maglev_build(ips, n, m->ip, LB_MAGLEV_SIZE);
	if (!err)
		err = neg_errno(bpf_map_update_elem(fd, &id, m, BPF_ANY));
	free(m);
	return err;
}

int dp_lb_backends_set(struct dp *dp, __u32 id, const __be32 *ips, size_t n,
		       size_t old_n, int maglev)
{
	int fd = map_fd(dp, LB_PIN_BACKENDS);
	struct lb_backend_key k = { .id = id };
	int err;

	if (fd < 0)
		return fd;
	if ((n && !ips) || n > 0xffff || old_n > 0xffff)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!ips[i])
			return -EINVAL;
	for (k.slot = 0; k.slot < n; k.slot++) {
		struct lb_backend b = { .ip = ips[k.slot] };

		err = neg_errno(bpf_map_update_elem(fd, &k, &b, BPF_ANY));
		if (err)
			return err;
	}
	err = maglev_set(dp, id, ips, maglev ? n : 0);
	if (err)
		return err;
	for (k.slot = (__u32)n; k.slot < old_n; k.slot++) {
		err = neg_errno(bpf_map_delete_elem(fd, &k));
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
}

/* What a flush matches: one service's connections to one backend. */
struct flush {
	__u32 id;
	__be32 vip;
	__be32 backend;
};

/* Keys of map fd (key size ksize) for which match() holds, then deleted:
 * collected first, as deleting while walking a hash restarts the walk. */
static int delete_matching(int fd, size_t ksize, size_t vsize,
			   int (*match)(const void *k, const void *v,
					const struct flush *fl),
			   const struct flush *fl)
{
	size_t n = 0, cap = 0;
	unsigned char *keys = NULL, *tmp;
	unsigned char key[64], next[64], val[64];
	void *prev = NULL;
	int err = 0;

	if (ksize > sizeof(key) || vsize > sizeof(val))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ksize);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val) < 0 ||
		    !match(key, val, fl))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(keys, cap * ksize);
			if (!tmp) {
				free(keys);
				return -ENOMEM;
			}
			keys = tmp;
		}
		memcpy(keys + n++ * ksize, key, ksize);
	}
	for (size_t i = 0; i < n; i++) {
		int r = neg_errno(bpf_map_delete_elem(fd, keys + i * ksize));

		if (r && r != -ENOENT && !err)
			err = r;
	}
	free(keys);
	return err;
}

static int ct_match(const void *k, const void *v, const struct flush *fl)
{
	const struct lb_ct *ct = v;

	(void)k;
	return ct->id == fl->id && ct->backend == fl->backend;
}

/* Replies from the backend that the client sees coming from the VIP
 * (hairpin included: its source is rewritten to the VIP as well). */
static int revnat_match(const void *k, const void *v, const struct flush *fl)
{
	return ((const struct lb_tuple *)k)->saddr == fl->backend &&
	       ((const struct lb_revnat *)v)->saddr == fl->vip;
}

int dp_lb_ct_flush_backend(struct dp *dp, __u32 id, __be32 vip,
			   __be32 backend)
{
	int ct = map_fd(dp, LB_PIN_CT), rn = map_fd(dp, LB_PIN_REVNAT);
	struct flush fl = { .id = id, .vip = vip, .backend = backend };
	int err;

	if (ct < 0)
		return ct;
	if (rn < 0)
		return rn;
	if (!backend || !vip)
		return -EINVAL;
	err = delete_matching(ct, sizeof(struct lb_tuple), sizeof(struct lb_ct),
			      ct_match, &fl);
	if (err)
		return err;
	return delete_matching(rn, sizeof(struct lb_tuple),
			       sizeof(struct lb_revnat), revnat_match, &fl);
}
