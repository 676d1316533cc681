// SPDX-License-Identifier: MIT
/*
 * Proxy "bpf": services in the tc programs' maps (lib/datapath_lb.h).
 * Each service gets an id naming its backend slots and Maglev table; each
 * of its ports (or, with none, the VIP alone) is one lb_services entry.
 * An update writes new backends first, then the service entries, then
 * drops the slots and the connections of backends that went away; other
 * services' entries and connections are never touched.
 *
 * After a restart the maps still hold everything: a service set again is
 * matched to its entry by its first key and keeps its id.
 *
 * The worker's own connections to VIPs are balanced at the socket
 * (dp_attach_sock_lb): only when the agent runs in the worker's namespace
 * (or, where that has no name, one other than PID 1's); skipped with a
 * warning where the kernel cannot name namespaces (SO_NETNS_COOKIE, Linux
 * 5.14), has no cgroup v2, or the cgroup root holds 64 programs of a kind
 * already (one set per worker).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "datapath.h"
#include "datapath_lb.h"
#include "knetsim/paths.h"
#include "log.h"
#include "proxy.h"

struct bpf_svc {
	struct proxy_service s;
	__u32 id;
};

static struct dp *dp;
static struct bpf_svc **svcs;
static size_t n_svcs, cap_svcs;
static __u32 next_id = 1;

static long find(const char *ns, const char *name)
{
	for (size_t i = 0; i < n_svcs; i++)
		if (!strcmp(svcs[i]->s.ns, ns) && !strcmp(svcs[i]->s.name, name))
			return (long)i;
	return -1;
}

static void bpf_close(void)
{
	for (size_t i = 0; i < n_svcs; i++)
		free(svcs[i]);
	free(svcs);
	svcs = NULL;
	n_svcs = cap_svcs = 0;
	dp_close(dp);
	dp = NULL;
}

/* Ids already in the maps (a previous agent's) are not handed out again. */
static void scan_ids(void)
{
	int fd = dp_map_fd(dp, LB_PIN_SERVICES);
	struct lb_service_key k, *prev = NULL;
	struct lb_service v;

	if (fd < 0)
		return;
	while (bpf_map_get_next_key(fd, prev, &k) == 0) {
		if (bpf_map_lookup_elem(fd, &k, &v) == 0 && v.id >= next_id)
			next_id = v.id + 1;
		prev = &k;
	}
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

/* Whether the caller runs in the worker's own network namespace (named
 * "<sim>:<worker>" by knetsim), else at least not in PID 1's (the
 * machine's): socket balancing there would touch everything. */
static int in_worker_netns(const struct proxy_config *cfg)
{
	struct stat self, other;
	char path[PATH_MAX];
	int n;

	if (stat("/proc/self/ns/net", &self) < 0)
		return 0;
	if (cfg->sim && cfg->worker) {
		n = snprintf(path, sizeof(path), "%s/%s:%s", KNETSIM_NETNS_DIR,
			     cfg->sim, cfg->worker);
		if (n > 0 && (size_t)n < sizeof(path) &&
		    stat(path, &other) == 0)
			return same_file(&self, &other);
	}
	if (stat("/proc/1/ns/net", &other) == 0)
		return !same_file(&self, &other);
	return 0; /* cannot tell: assume the worst */
}

static void sock_lb_init(const struct proxy_config *cfg)
{
	__u64 cookie;
	int err;

	if (!in_worker_netns(cfg)) {
		log_warn("proxy bpf: not in the worker's network namespace: "
			 "worker-originated traffic to VIPs not balanced");
		return;
	}
	err = dp_netns_cookie(&cookie);
	if (!err)
		err = dp_attach_sock_lb(dp, NULL, cookie);
	if (err)
		log_warn("proxy bpf: socket-level balancing: %s; "
			 "worker-originated traffic to VIPs not balanced",
			 strerror(-err));
}

static int bpf_init(const struct proxy_config *cfg)
{
	int err;

	if (!cfg || !cfg->pin_dir)
		return -EINVAL;
	if (dp)
		bpf_close();
	err = dp_open(cfg->pin_dir, &dp);
	if (err) {
		log_err("proxy bpf: datapath at %s: %s", cfg->pin_dir,
			strerror(-err));
		return err;
	}
	scan_ids();
	sock_lb_init(cfg);
	return 0;
}

static int service_check(const struct proxy_service *s)
{
	if (!s || !s->ns[0] || !s->name[0] || !s->vip ||
	    s->n_ports > PROXY_PORTS_MAX ||
	    s->n_backends > PROXY_BACKENDS_MAX ||
	    (s->algo != PROXY_ALGO_RANDOM && s->algo != PROXY_ALGO_MAGLEV))
		return -EINVAL;
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct proxy_port *p = &s->ports[i];

		if (!p->port || (p->proto != IPPROTO_TCP &&
				 p->proto != IPPROTO_UDP))
			return -EINVAL;
	}
	for (size_t i = 0; i < s->n_backends; i++)
		if (!s->backends[i])
			return -EINVAL;
	return 0;
}

/* Entry i of s: its key and, with target, the port on the backends. */
static size_t n_keys(const struct proxy_service *s)
{
	return s->n_ports ? s->n_ports : 1;
}

static struct lb_service_key key_of(const struct proxy_service *s, size_t i,
				    __be16 *target)
{
	struct lb_service_key k = { .vip = htonl(s->vip) };

	*target = 0;
	if (s->n_ports) {
		k.port = htons(s->ports[i].port);
		k.proto = s->ports[i].proto;
		*target = htons(s->ports[i].target_port);
	}
	return k;
}

static int has_key(const struct proxy_service *s,
		   const struct lb_service_key *k)
{
	__be16 t;

	for (size_t i = 0; i < n_keys(s); i++) {
		struct lb_service_key o = key_of(s, i, &t);

		if (!memcmp(&o, k, sizeof(o)))
			return 1;
	}
	return 0;
}

static int has_backend(const struct proxy_service *s, uint32_t ip)
{
	for (size_t i = 0; i < s->n_backends; i++)
		if (s->backends[i] == ip)
			return 1;
	return 0;
}

static int write_entries(const struct proxy_service *s, __u32 id)
{
	struct lb_service v = {
		.id = id, .count = (__u16)s->n_backends,
		.algo = s->algo == PROXY_ALGO_MAGLEV ? LB_ALGO_MAGLEV
						     : LB_ALGO_RANDOM,
	};

	for (size_t i = 0; i < n_keys(s); i++) {
		struct lb_service_key k = key_of(s, i, &v.target_port);
		int err = dp_lb_service_set(dp, &k, &v);

		if (err)
			return err;
	}
	return 0;
}

static int backends_write(const struct proxy_service *s, __u32 id,
			  size_t old_n)
{
	__be32 *ips = calloc(s->n_backends ? s->n_backends : 1, sizeof(*ips));
	int err;

	if (!ips)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_backends; i++)
		ips[i] = htonl(s->backends[i]);
	err = dp_lb_backends_set(dp, id, ips, s->n_backends, old_n,
				 s->algo == PROXY_ALGO_MAGLEV);
	free(ips);
	return err;
}

/* The old state's entries, backends and connections that s no longer has
 * (old NULL: nothing to compare with). */
static int remove_stale(const struct proxy_service *old,
			const struct proxy_service *s, __u32 id)
{
	__be16 t;
	int err = 0;

	if (!old)
		return 0;
	for (size_t i = 0; i < n_keys(old); i++) {
		struct lb_service_key k = key_of(old, i, &t);

		if (s && has_key(s, &k))
			continue;
		err = dp_lb_service_del(dp, &k);
		if (err && err != -ENOENT)
			return err;
	}
	for (size_t i = 0; i < old->n_backends; i++) {
		if (s && s->vip == old->vip &&
		    has_backend(s, old->backends[i]))
			continue;
		err = dp_lb_ct_flush_backend(dp, id, htonl(old->vip),
					     htonl(old->backends[i]));
		if (err)
			return err;
	}
	return 0;
}

static int remember(long i, const struct proxy_service *s, __u32 id)
{
	struct bpf_svc *copy;

	if (i >= 0) {
		svcs[i]->s = *s;
		return 0;
	}
	if (n_svcs == cap_svcs) {
		size_t cap = cap_svcs ? cap_svcs * 2 : 16;
		struct bpf_svc **p = realloc(svcs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		svcs = p;
		cap_svcs = cap;
	}
	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	copy->s = *s;
	copy->id = id;
	svcs[n_svcs++] = copy;
	return 0;
}

/* A service not known to this process: a previous agent's entry for its
 * first key gives its id and slot count, else a fresh id. */
static __u32 adopt(const struct proxy_service *s, size_t *old_n)
{
	int fd = dp_map_fd(dp, LB_PIN_SERVICES);
	struct lb_service v;
	__be16 t;
	struct lb_service_key k = key_of(s, 0, &t);

	*old_n = 0;
	if (fd >= 0 && bpf_map_lookup_elem(fd, &k, &v) == 0 && v.id) {
		*old_n = v.count;
		return v.id;
	}
	return next_id++;
}

static int bpf_service_set(const struct proxy_service *s)
{
	const struct proxy_service *old = NULL;
	size_t old_n;
	long i;
	__u32 id;
	int err;

	if (!dp)
		return -ENOTCONN;
	err = service_check(s);
	if (err) {
		log_err("proxy bpf: service %s/%s: invalid", s ? s->ns : "?",
			s ? s->name : "?");
		return err;
	}
	i = find(s->ns, s->name);
	if (i >= 0) {
		old = &svcs[i]->s;
		id = svcs[i]->id;
		old_n = old->n_backends;
	} else {
		id = adopt(s, &old_n);
	}
	/* new backends in place (slots beyond the old count unused yet),
	 * then the entries with the new count, then what is gone */
	err = backends_write(s, id, s->n_backends);
	if (!err)
		err = write_entries(s, id);
	if (!err && old_n > s->n_backends)
		err = backends_write(s, id, old_n);
	if (!err)
		err = remove_stale(old, s, id);
	if (!err)
		err = remember(i, s, id);
	if (err)
		log_err("proxy bpf: service %s/%s: %s", s->ns, s->name,
			strerror(-err));
	return err;
}

static int bpf_service_del(const char *ns, const char *name)
{
	struct bpf_svc *e;
	long i;
	int err;

	if (!dp)
		return -ENOTCONN;
	if (!ns || !name)
		return -EINVAL;
	i = find(ns, name);
	if (i < 0)
		return 0;
	e = svcs[i];
	err = remove_stale(&e->s, NULL, e->id);
	if (!err)
		err = dp_lb_backends_set(dp, e->id, NULL, 0, e->s.n_backends, 0);
	if (err) {
		log_err("proxy bpf: service %s/%s: %s", ns, name,
			strerror(-err));
		return err;
	}
	free(e);
	svcs[i] = svcs[--n_svcs];
	return 0;
}

const struct proxy_ops proxy_bpf_ops = {
	.name = "bpf",
	.init = bpf_init,
	.service_set = bpf_service_set,
	.service_del = bpf_service_del,
	.close = bpf_close,
};
