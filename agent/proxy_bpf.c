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
#include "svc_index.h"

struct bpf_svc {
	struct proxy_service s;
	__u32 id;
};

static struct dp *dp;
static struct bpf_svc **svcs;
static size_t n_svcs, cap_svcs;
static struct svc_index ix;     /* ns/name -> position in svcs */
static __u32 next_id = 1;

static long find(const char *ns, const char *name)
{
	size_t i;

	return svc_index_get(&ix, ns, name, &i) ? (long)i : -1;
}

static void bpf_close(void)
{
	for (size_t i = 0; i < n_svcs; i++)
		free(svcs[i]);
	free(svcs);
	svcs = NULL;
	n_svcs = cap_svcs = 0;
	svc_index_free(&ix);
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
	if (!copy || svc_index_put(&ix, s->ns, s->name, n_svcs)) {
		free(copy);
		return -ENOMEM;
	}
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
	svc_index_del(&ix, ns, name);
	free(e);
	svcs[i] = svcs[--n_svcs];
	if ((size_t)i < n_svcs)
		svc_index_put(&ix, svcs[i]->s.ns, svcs[i]->s.name, (size_t)i);
	return 0;
}

/* ---- prune: what no installed service accounts for ---- */

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct lb_service_key));
}

static int cmp_id(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

struct live {
	struct lb_service_key *keys;    /* sorted */
	size_t n_keys;
	__u32 *ids;                     /* sorted */
	size_t n_ids;
};

static int live_collect(struct live *l)
{
	size_t n = 0;
	__be16 t;

	for (size_t i = 0; i < n_svcs; i++)
		n += n_keys(&svcs[i]->s);
	l->keys = calloc(n ? n : 1, sizeof(*l->keys));
	l->ids = calloc(n_svcs ? n_svcs : 1, sizeof(*l->ids));
	if (!l->keys || !l->ids)
		return -ENOMEM;
	for (size_t i = 0; i < n_svcs; i++) {
		for (size_t j = 0; j < n_keys(&svcs[i]->s); j++)
			l->keys[l->n_keys++] = key_of(&svcs[i]->s, j, &t);
		l->ids[l->n_ids++] = svcs[i]->id;
	}
	qsort(l->keys, l->n_keys, sizeof(*l->keys), cmp_key);
	qsort(l->ids, l->n_ids, sizeof(*l->ids), cmp_id);
	return 0;
}

static int live_id(const struct live *l, __u32 id)
{
	return bsearch(&id, l->ids, l->n_ids, sizeof(id), cmp_id) != NULL;
}

/* A service entry of no installed service goes, and with it (unless its
 * id is a live service's) its connections and backend slots. */
static int prune_entry(const struct live *l, const struct lb_service_key *k,
		       const struct lb_service *v)
{
	int bfd = dp_map_fd(dp, LB_PIN_BACKENDS);
	int err = dp_lb_service_del(dp, k);

	if (err && err != -ENOENT)
		return err;
	if (live_id(l, v->id) || bfd < 0)
		return 0;
	for (__u32 slot = 0; slot < v->count; slot++) {
		struct lb_backend_key bk = { .id = v->id, .slot = slot };
		struct lb_backend b;

		if (bpf_map_lookup_elem(bfd, &bk, &b) == 0 && b.ip) {
			err = dp_lb_ct_flush_backend(dp, v->id, k->vip, b.ip);
			if (err)
				return err;
		}
	}
	return dp_lb_backends_set(dp, v->id, NULL, 0, v->count, 0);
}

/* Every entry of hash map fd: keys and values back to back in *buf
 * (ksize + vsize each), *n of them. In batches of a few thousand entries
 * per syscall (a key walk costs two syscalls an entry: a second or so for
 * ten thousand services here), else, where the kernel has no batches,
 * entry by entry. */
#define READ_CHUNK 4096

static int read_entries_walk(int fd, size_t ksize, size_t vsize,
			     unsigned char **buf, size_t *n)
{
	unsigned char key[64], next[64], *tmp;
	size_t cap = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ksize);
		prev = key;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(*buf, cap * (ksize + vsize));
			if (!tmp)
				return -ENOMEM;
			*buf = tmp;
		}
		if (bpf_map_lookup_elem(fd, key, *buf + *n * (ksize + vsize) + ksize))
			continue;
		memcpy(*buf + *n * (ksize + vsize), key, ksize);
		(*n)++;
	}
	return 0;
}

static int read_entries(int fd, size_t ksize, size_t vsize,
			unsigned char **buf, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	unsigned char *keys = NULL, *vals = NULL, *tmp;
	__u64 in_tok = 0, out_tok = 0;
	size_t cap = 0;
	int err = 0;
	bool first = true;

	*buf = NULL;
	*n = 0;
	if (ksize > 64 || vsize > 64)
		return -EINVAL;
	for (;;) {
		__u32 count = READ_CHUNK;

		if (*n + READ_CHUNK > cap) {
			cap = *n + READ_CHUNK;
			tmp = realloc(keys, cap * ksize);
			if (tmp)
				keys = tmp;
			tmp = tmp ? realloc(vals, cap * vsize) : NULL;
			if (tmp)
				vals = tmp;
			if (!tmp) {
				err = -ENOMEM;
				break;
			}
		}
		err = bpf_map_lookup_batch(fd, first ? NULL : &in_tok, &out_tok,
					   keys + *n * ksize, vals + *n * vsize,
					   &count, &opts);
		err = err < 0 ? -errno : 0;
		if (!err || err == -ENOENT)
			*n += count;
		if (err == -ENOENT) {           /* the last batch */
			err = 0;
			break;
		}
		if (err)
			break;
		in_tok = out_tok;
		first = false;
	}
	if (!err) {
		/* interleave: key, value, key, value... */
		*buf = malloc((*n ? *n : 1) * (ksize + vsize));
		if (!*buf)
			err = -ENOMEM;
		for (size_t i = 0; !err && i < *n; i++) {
			memcpy(*buf + i * (ksize + vsize), keys + i * ksize, ksize);
			memcpy(*buf + i * (ksize + vsize) + ksize, vals + i * vsize, vsize);
		}
	}
	free(keys);
	free(vals);
	if (err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUP) {
		free(*buf);
		*buf = NULL;
		*n = 0;
		err = read_entries_walk(fd, ksize, vsize, buf, n);
	}
	if (err) {
		free(*buf);
		*buf = NULL;
		*n = 0;
	}
	return err;
}

/* Deletes the entries of map fd whose keys keep() refuses. */
static int prune_map(int fd, size_t ksize, size_t vsize,
		     int (*keep)(const struct live *l, const void *k),
		     const struct live *l)
{
	unsigned char *buf;
	size_t n;
	int err;

	if (fd < 0)
		return 0;
	err = read_entries(fd, ksize, vsize, &buf, &n);
	for (size_t i = 0; i < n && !err; i++) {
		const void *k = buf + i * (ksize + vsize);

		if (!keep(l, k) && bpf_map_delete_elem(fd, k) < 0 && errno != ENOENT)
			err = -errno;
	}
	free(buf);
	return err;
}

static int keep_backend(const struct live *l, const void *k)
{
	return live_id(l, ((const struct lb_backend_key *)k)->id);
}

/* Maglev tables of ids no service uses (a key walk: at most
 * LB_MAX_MAGLEV entries, and their values are 64 KiB). */
static int prune_maglev(const struct live *l)
{
	int fd = dp_map_fd(dp, LB_PIN_MAGLEV);
	__u32 *ids = NULL, *tmp, key, *prev = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	if (fd < 0)
		return 0;
	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		prev = &key;
		if (live_id(l, key))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(ids, cap * sizeof(*ids));
			if (!tmp) {
				free(ids);
				return -ENOMEM;
			}
			ids = tmp;
		}
		ids[n++] = key;
	}
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(fd, &ids[i]) < 0 && errno != ENOENT)
			err = -errno;
	free(ids);
	return err;
}

static int prune_entries(const struct live *l)
{
	const size_t ks = sizeof(struct lb_service_key), vs = sizeof(struct lb_service);
	int fd = dp_map_fd(dp, LB_PIN_SERVICES);
	unsigned char *buf;
	size_t n, stale = 0;
	int err;

	if (fd < 0)
		return 0;
	err = read_entries(fd, ks, vs, &buf, &n);
	for (size_t i = 0; i < n && !err; i++) {
		struct lb_service_key k;
		struct lb_service v;

		memcpy(&k, buf + i * (ks + vs), ks);
		memcpy(&v, buf + i * (ks + vs) + ks, vs);
		if (bsearch(&k, l->keys, l->n_keys, sizeof(k), cmp_key))
			continue;
		err = prune_entry(l, &k, &v);
		stale++;
	}
	if (stale)
		log_info("proxy bpf: %zu service entries of no service removed", stale);
	free(buf);
	return err;
}

static int bpf_prune(const struct proxy_key *keep, size_t n)
{
	struct live l = { 0 };
	struct svc_index want;
	int err = 0;

	if (!dp)
		return -ENOTCONN;
	if (n && !keep)
		return -EINVAL;
	svc_index_init(&want);
	for (size_t i = 0; i < n && !err; i++)
		err = svc_index_put(&want, keep[i].ns, keep[i].name, i);
	/* installed by this process, no longer wanted */
	for (size_t i = n_svcs; i-- > 0 && !err;)
		if (!svc_index_get(&want, svcs[i]->s.ns, svcs[i]->s.name, NULL))
			err = bpf_service_del(svcs[i]->s.ns, svcs[i]->s.name);
	svc_index_free(&want);
	if (!err)
		err = live_collect(&l);
	if (!err)
		err = prune_entries(&l);
	if (!err)
		err = prune_map(dp_map_fd(dp, LB_PIN_BACKENDS),
				sizeof(struct lb_backend_key),
				sizeof(struct lb_backend), keep_backend, &l);
	/* the tables are 64 KiB each: keys only */
	if (!err)
		err = prune_maglev(&l);
	free(l.keys);
	free(l.ids);
	if (err)
		log_err("proxy bpf: prune: %s", strerror(-err));
	return err;
}

const struct proxy_ops proxy_bpf_ops = {
	.name = "bpf",
	.init = bpf_init,
	.service_set = bpf_service_set,
	.service_del = bpf_service_del,
	.close = bpf_close,
	.prune = bpf_prune,
};
