// SPDX-License-Identifier: MIT
/* Rules across fields of a decoded topology (unique names, interface names
 * that cannot clash, ranges that fit and do not overlap, pods on workers of
 * their own cluster, overrides that name real nodes), then the derived
 * values: underlay addresses and each node's effective link properties. */
#include "topology_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "units.h"

/* A name in the fabric namespace (or reserved there), for clash checks. */
enum fname_kind { FN_FIXED, FN_SWITCH, FN_UPLINK, FN_NODE };

struct fname {
	char name[NAMES_IFNAMSIZ];
	enum fname_kind kind;
	const char *what;      /* FN_FIXED: what it is */
	size_t idx;            /* FN_NODE: node, else cluster */
	size_t order;          /* earlier entries win a clash */
};

static int fname_cmp(const void *a, const void *b)
{
	const struct fname *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return (x->order > y->order) - (x->order < y->order);
}

/* Sorts v; finds the clash whose second name comes earliest. */
static bool earliest_clash(struct fname *v, size_t n, size_t *dup,
			   size_t *first)
{
	bool found = false;
	size_t run = 0;

	qsort(v, n, sizeof(*v), fname_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i - 1].name, v[i].name)) {
			run = i;
			continue;
		}
		if (!found || v[i].order < v[*dup].order) {
			*dup = i;
			*first = run;
			found = true;
		}
	}
	return found;
}

/* "clusters[0].etcd[2]" for a node. */
static const char *node_path(const struct topology *t, size_t idx, char *buf)
{
	const struct node *n = &t->nodes[idx];
	size_t start = idx;

	while (start > 0 && t->nodes[start - 1].cluster == n->cluster &&
	       t->nodes[start - 1].kind == n->kind)
		start--;
	snprintf(buf, TOPO_PATH_MAX, "clusters[%zu].%s[%zu]", n->cluster,
		 n->kind == NODE_WORKER ? "workers" : "etcd", idx - start);
	return buf;
}

static int check_cluster_names(struct topo_ctx *c)
{
	const struct topology *t = c->t;
	struct fname *v = calloc(t->n_clusters, sizeof(*v));
	char field[TOPO_PATH_MAX];
	size_t dup, first;
	int ret = 0;

	if (!v)
		return topo_fail(c, 0, NULL, "out of memory");
	for (size_t i = 0; i < t->n_clusters; i++) {
		snprintf(v[i].name, sizeof(v[i].name), "%s",
			 t->clusters[i].name);
		v[i].idx = v[i].order = i;
	}
	if (earliest_clash(v, t->n_clusters, &dup, &first)) {
		snprintf(field, sizeof(field), "clusters[%zu].name",
			 v[dup].idx);
		ret = topo_fail(c, t->clusters[v[dup].idx].line, field,
				"cluster \"%s\" is already defined (line %d)",
				v[dup].name, t->clusters[v[first].idx].line);
	}
	free(v);
	return ret;
}

static void add_fname(struct fname *v, size_t *n, const char *name,
		      enum fname_kind kind, const char *what, size_t idx)
{
	struct fname *f = &v[*n];

	snprintf(f->name, sizeof(f->name), "%s", name ? name : "");
	f->kind = kind;
	f->what = what;
	f->idx = idx;
	f->order = (*n)++;
}

/* Everything named in the fabric namespace, plus the fabric itself (its
 * namespace sits beside the nodes'). Fixed names first, then each
 * cluster's switch and uplink ends, then nodes, so a clash blames the
 * later declaration. */
static struct fname *fabric_names(const struct topology *t, size_t *count)
{
	size_t n = 0, max = 3 + 3 * t->n_clusters + t->n_nodes;
	struct fname *v = calloc(max, sizeof(*v));
	char buf[NAMES_IFNAMSIZ];

	if (!v)
		return NULL;
	add_fname(v, &n, NAMES_TOP_SWITCH, FN_FIXED, "the top switch", 0);
	add_fname(v, &n, NAMES_FABRIC, FN_FIXED, "the fabric namespace", 0);
	add_fname(v, &n, "lo", FN_FIXED, "the loopback interface", 0);
	for (size_t i = 0; i < t->n_clusters; i++) {
		const char *cl = t->clusters[i].name;

		add_fname(v, &n, names_switch(cl, buf), FN_SWITCH, NULL, i);
		add_fname(v, &n, names_uplink_down(cl, buf), FN_UPLINK, NULL,
			  i);
		add_fname(v, &n, names_uplink_up(cl, buf), FN_UPLINK, NULL, i);
	}
	for (size_t i = 0; i < t->n_nodes; i++)
		add_fname(v, &n, t->nodes[i].name, FN_NODE, NULL, i);
	*count = n;
	return v;
}

static const char *fname_what(const struct topology *t, const struct fname *f,
			      char *buf, size_t len)
{
	if (f->kind == FN_FIXED)
		snprintf(buf, len, "%s", f->what);
	else
		snprintf(buf, len, "cluster %s's %s",
			 t->clusters[f->idx].name,
			 f->kind == FN_SWITCH ? "switch" : "uplink");
	return buf;
}

static int name_clash(struct topo_ctx *c, const struct fname *dup,
		      const struct fname *first)
{
	const struct topology *t = c->t;
	char field[TOPO_PATH_MAX], what[64];

	if (dup->kind == FN_NODE && first->kind == FN_NODE)
		return topo_fail(c, t->nodes[dup->idx].line,
				 node_path(t, dup->idx, field), "name \"%s\" "
				 "is already used (line %d)", dup->name,
				 t->nodes[first->idx].line);
	if (dup->kind == FN_NODE)
		return topo_fail(c, t->nodes[dup->idx].line,
				 node_path(t, dup->idx, field), "name \"%s\" "
				 "is reserved for %s (expected another name)",
				 dup->name, fname_what(t, first, what,
						       sizeof(what)));
	/* Two clusters whose derived interface names meet (fixed names
	 * cannot end in "s0" or "-t0", so first is a cluster's too). */
	snprintf(field, sizeof(field), "clusters[%zu].name", dup->idx);
	return topo_fail(c, t->clusters[dup->idx].line, field, "cluster \"%s\" "
			 "would name an interface \"%s\", which is %s (line "
			 "%d) (expected another name)",
			 t->clusters[dup->idx].name, dup->name,
			 fname_what(t, first, what, sizeof(what)),
			 t->clusters[first->idx].line);
}

/* "ke<N>a"/"ke<N>b" are the link emulator's interfaces (names.h). */
static bool emulator_name(const char *s)
{
	size_t digits;

	if (strncmp(s, "ke", 2))
		return false;
	digits = strspn(s + 2, "0123456789");
	return digits && (s[2 + digits] == 'a' || s[2 + digits] == 'b') &&
	       !s[3 + digits];
}

static int check_fabric_names(struct topo_ctx *c, struct fname *v, size_t n)
{
	const struct topology *t = c->t;
	char field[TOPO_PATH_MAX];
	size_t dup, first;

	for (size_t i = 0; i < t->n_nodes; i++)
		if (emulator_name(t->nodes[i].name))
			return topo_fail(c, t->nodes[i].line,
					 node_path(t, i, field), "name \"%s\" "
					 "is reserved for link emulator "
					 "interfaces, ke<N>a and ke<N>b "
					 "(expected another name)",
					 t->nodes[i].name);
	if (earliest_clash(v, n, &dup, &first))
		return name_clash(c, &v[dup], &v[first]);
	return 0;
}

static int check_networks(struct topo_ctx *c)
{
	const struct topology *t = c->t;
	char field[TOPO_PATH_MAX], a[CIDR_STRLEN], b[CIDR_STRLEN];
	char lo[IP4_STRLEN], hi[IP4_STRLEN], where[32];

	if (c->subnet_line)
		snprintf(where, sizeof(where), "line %d", c->subnet_line);
	else
		snprintf(where, sizeof(where), "the default");
	for (size_t i = 0; i < t->n_clusters; i++) {
		const struct cluster *cl = &t->clusters[i];
		uint64_t room = netconf_subnet_count(&cl->net);

		if (cidr_overlaps(&cl->net.network, &t->underlay)) {
			snprintf(field, sizeof(field),
				 "clusters[%zu].network.Network", i);
			return topo_fail(c, c->cl_src[i].network_net, field,
					 "%s overlaps underlay.subnet %s (%s) "
					 "(expected a range apart from the "
					 "underlay)",
					 cidr_format(&cl->net.network, a),
					 cidr_format(&t->underlay, b), where);
		}
		if (cl->n_workers <= room)
			continue;
		/* Each worker leases one subnet of the pod network. */
		snprintf(field, sizeof(field), "clusters[%zu].workers", i);
		return topo_fail(c, c->cl_src[i].workers, field, "%zu workers, "
				 "but the network has %llu /%u subnet%s for "
				 "them (SubnetMin %s to SubnetMax %s) "
				 "(expected at most %llu worker%s, or a wider "
				 "range)",
				 cl->n_workers, (unsigned long long)room,
				 cl->net.subnet_len, room == 1 ? "" : "s",
				 ip4_format(cl->net.subnet_min, lo),
				 ip4_format(cl->net.subnet_max, hi),
				 (unsigned long long)room,
				 room == 1 ? "" : "s");
	}
	return 0;
}

static int assign_addresses(struct topo_ctx *c)
{
	struct topology *t = c->t;
	uint64_t room = cidr_host_count(&t->underlay);
	struct cidr fit = { 0, 30 };
	char buf[CIDR_STRLEN];

	if (t->n_nodes > room) {
		while (fit.len > 0 && cidr_host_count(&fit) < t->n_nodes)
			fit.len--;
		return topo_fail(c, c->subnet_line ? c->subnet_line :
				 c->root_line, "underlay.subnet", "%s has room "
				 "for %llu nodes, the topology has %zu "
				 "(expected a /%u or shorter prefix)",
				 cidr_format(&t->underlay, buf),
				 (unsigned long long)room, t->n_nodes, fit.len);
	}
	for (size_t i = 0; i < t->n_nodes; i++)
		cidr_host(&t->underlay, i + 1, &t->nodes[i].addr);
	return 0;
}

static int fname_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct fname *)elem)->name);
}

/* v is sorted and its names unique by now. */
static const struct fname *find_node(const struct fname *v, size_t n,
				     const char *name)
{
	const struct fname *f = bsearch(name, v, n, sizeof(*v),
					fname_name_cmp);

	return f && f->kind == FN_NODE ? f : NULL;
}

/* "clusters[0].pods[3].worker" for a pod's field. */
static const char *pod_field(const struct topo_ctx *c, size_t i,
			     const char *key, char *buf)
{
	snprintf(buf, TOPO_PATH_MAX, "clusters[%zu].pods[%zu].%s",
		 c->t->pods[i].cluster, c->pod_src[i].index, key);
	return buf;
}

/* "C0w1, C0w2, C0w3", cut short with "..." when long. */
static const char *worker_list(const struct topology *t, size_t ci,
			       char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct node *nd = &t->nodes[i];
		const char *sep = n ? ", " : "";
		size_t need = strlen(sep) + strlen(nd->name);

		if (nd->cluster != ci || nd->kind != NODE_WORKER)
			continue;
		/* Always room left for ", ..." and the NUL. */
		if (n + need + sizeof(", ...") > len) {
			snprintf(buf + n, len - n, "%s...", sep);
			break;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, nd->name);
	}
	return buf;
}

static int resolve_worker(struct topo_ctx *c, const struct fname *v,
			  size_t n, size_t i)
{
	struct topology *t = c->t;
	struct pod *p = &t->pods[i];
	const struct topo_pod_src *src = &c->pod_src[i];
	const struct fname *f = find_node(v, n, src->worker);
	const char *cl = t->clusters[p->cluster].name;
	char field[TOPO_PATH_MAX], workers[160];
	const struct node *nd = f ? &t->nodes[f->idx] : NULL;

	if (nd && nd->kind == NODE_WORKER && nd->cluster == p->cluster) {
		p->worker = f->idx;
		return 0;
	}
	pod_field(c, i, "worker", field);
	worker_list(t, p->cluster, workers, sizeof(workers));
	if (!nd)
		return topo_fail(c, src->worker_line, field, "no worker named "
				 "\"%s\" in cluster %s (expected one of %s)",
				 src->worker, cl, workers);
	if (nd->kind == NODE_ETCD)
		return topo_fail(c, src->worker_line, field, "\"%s\" is an "
				 "etcd member of cluster %s, not a worker "
				 "(expected one of cluster %s's workers: %s)",
				 nd->name, t->clusters[nd->cluster].name, cl,
				 workers);
	return topo_fail(c, src->worker_line, field, "\"%s\" is a worker of "
			 "cluster %s, not of %s (expected one of cluster %s's "
			 "workers: %s)", nd->name,
			 t->clusters[nd->cluster].name, cl, cl, workers);
}

/* By cluster, then name, then place in the file. */
static int pod_cmp(const void *a, const void *b)
{
	const struct pod *x = *(const struct pod *const *)a;
	const struct pod *y = *(const struct pod *const *)b;
	int r;

	if (x->cluster != y->cluster)
		return x->cluster < y->cluster ? -1 : 1;
	r = strcmp(x->name, y->name);
	if (r)
		return r;
	return (x > y) - (x < y);
}

/* Pod names are unique within a cluster. Finds the earliest second
 * definition (*dup, SIZE_MAX when none) and the one it repeats. */
static int find_dup_pod(struct topo_ctx *c, size_t *dup, size_t *first)
{
	const struct topology *t = c->t;
	const struct pod **v, *run;

	*dup = SIZE_MAX;
	if (t->n_pods < 2)
		return 0;
	v = calloc(t->n_pods, sizeof(*v));
	if (!v)
		return topo_fail(c, 0, NULL, "out of memory");
	for (size_t i = 0; i < t->n_pods; i++)
		v[i] = &t->pods[i];
	qsort(v, t->n_pods, sizeof(*v), pod_cmp);
	run = v[0];
	for (size_t i = 1; i < t->n_pods; i++) {
		size_t d = (size_t)(v[i] - t->pods);

		if (v[i]->cluster != run->cluster ||
		    strcmp(v[i]->name, run->name)) {
			run = v[i];
			continue;
		}
		if (d < *dup) {
			*dup = d;
			*first = (size_t)(run - t->pods);
		}
	}
	free(v);
	return 0;
}

static int dup_pod(struct topo_ctx *c, size_t dup, size_t first)
{
	const struct pod *p = &c->t->pods[dup];
	char field[TOPO_PATH_MAX];

	pod_field(c, dup, "name", field);
	return topo_fail(c, c->pod_src[dup].name_line, field, "pod \"%s\" is "
			 "already defined in cluster %s (line %d) (expected a "
			 "name unique within the cluster)", p->name,
			 c->t->clusters[p->cluster].name,
			 c->pod_src[first].name_line);
}

/* Each pod takes an address of its worker's subnet; the network, gateway
 * and broadcast addresses are not for pods. */
static uint64_t pods_per_worker(const struct cluster *cl)
{
	uint64_t size = cl->net.subnet_len < 32 ?
			1ull << (32 - cl->net.subnet_len) : 1;

	return size > 3 ? size - 3 : 0;
}

static int check_pod_counts(struct topo_ctx *c)
{
	const struct topology *t = c->t;
	char field[TOPO_PATH_MAX];
	size_t *count = calloc(t->n_nodes ? t->n_nodes : 1, sizeof(*count));
	int ret = 0;

	if (!count)
		return topo_fail(c, 0, NULL, "out of memory");
	for (size_t i = 0; i < t->n_pods; i++) {
		const struct pod *p = &t->pods[i];
		const struct cluster *cl = &t->clusters[p->cluster];
		uint64_t room = pods_per_worker(cl);

		if (++count[p->worker] <= room)
			continue;
		pod_field(c, i, "worker", field);
		ret = topo_fail(c, c->pod_src[i].worker_line, field, "worker "
				"%s has %zu pods, but its /%u subnet holds "
				"%llu (expected at most %llu pod%s per worker, "
				"or a shorter network.SubnetLen)",
				t->nodes[p->worker].name, count[p->worker],
				cl->net.subnet_len, (unsigned long long)room,
				(unsigned long long)room, room == 1 ? "" : "s");
		break;
	}
	free(count);
	return ret;
}

/* v is sorted and its names unique by now. Problems are reported in
 * file order: a pod's name, then its worker, then the next pod. */
static int check_pods(struct topo_ctx *c, const struct fname *v, size_t n)
{
	size_t dup, first = 0;

	if (find_dup_pod(c, &dup, &first))
		return -1;
	for (size_t i = 0; i < c->t->n_pods; i++) {
		if (i == dup)
			return dup_pod(c, dup, first);
		if (resolve_worker(c, v, n, i))
			return -1;
	}
	return check_pod_counts(c);
}

static void merge(struct link_props *to, const struct link_props *from)
{
	if (from->set & LINK_DELAY)
		to->delay_us = from->delay_us;
	if (from->set & LINK_JITTER)
		to->jitter_us = from->jitter_us;
	if (from->set & LINK_RATE)
		to->rate_bps = from->rate_bps;
	if (from->set & LINK_LOSS)
		to->loss_ppm = from->loss_ppm;
}

static int apply_overrides(struct topo_ctx *c, const struct fname *v,
			   size_t n, size_t *ov_of)
{
	struct topology *t = c->t;
	char field[TOPO_PATH_MAX];

	for (size_t i = 0; i < t->n_nodes; i++) {
		t->nodes[i].link = t->link_defaults;
		ov_of[i] = SIZE_MAX;
	}
	for (size_t i = 0; i < c->n_ov; i++) {
		const struct topo_override *ov = &c->ov[i];
		const struct fname *f = find_node(v, n, ov->node);

		snprintf(field, sizeof(field), "%s.node", ov->path);
		if (!f)
			return topo_fail(c, ov->node_line, field, "no node "
					 "named \"%s\" (expected one of the "
					 "workers or etcd members of a "
					 "cluster)", ov->node);
		if (ov_of[f->idx] != SIZE_MAX)
			return topo_fail(c, ov->node_line, field, "node \"%s\" "
					 "already has an override, %s (line "
					 "%d) (expected one entry per node)",
					 ov->node, c->ov[ov_of[f->idx]].path,
					 c->ov[ov_of[f->idx]].node_line);
		ov_of[f->idx] = i;
		merge(&t->nodes[f->idx].link, &ov->props);
	}
	return 0;
}

/* Jitter varies a delay; alone it means nothing. Blames whoever set the
 * jitter, or the override that zeroed the delay under it. */
static int check_jitter(struct topo_ctx *c, const size_t *ov_of)
{
	const struct topology *t = c->t;
	char field[TOPO_PATH_MAX], j[UNITS_STRLEN];

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct link_props *p = &t->nodes[i].link;
		const struct topo_link_src *src = &c->link_src;
		const struct topo_override *ov = NULL;
		int bit = 1; /* field_line[] index: 0 delay, 1 jitter */

		if (!p->jitter_us || p->delay_us)
			continue;
		if (ov_of[i] != SIZE_MAX)
			ov = &c->ov[ov_of[i]];
		if (ov && ov->props.set & (LINK_JITTER | LINK_DELAY)) {
			src = &ov->src;
			bit = ov->props.set & LINK_JITTER ? 1 : 0;
		}
		snprintf(field, sizeof(field), "%s.%s", src->path,
			 bit ? "jitter" : "delay");
		units_format_duration(p->jitter_us, j);
		if (bit)
			return topo_fail(c, src->field_line[1], field,
					 "jitter needs a delay (expected a "
					 "delay above 0 for jitter %s)", j);
		return topo_fail(c, src->field_line[0], field, "a zero delay "
				 "leaves jitter %s from underlay.link without "
				 "a delay (expected a delay above 0)", j);
	}
	return 0;
}

int topo_check(struct topo_ctx *c)
{
	struct topology *t = c->t;
	struct fname *names = NULL;
	size_t n = 0, *ov_of = NULL;
	int ret;

	ret = check_cluster_names(c);
	if (!ret) {
		names = fabric_names(t, &n);
		ov_of = calloc(t->n_nodes ? t->n_nodes : 1, sizeof(*ov_of));
		if (!names || !ov_of)
			ret = topo_fail(c, 0, NULL, "out of memory");
	}
	if (!ret)
		ret = check_fabric_names(c, names, n);
	if (!ret)
		ret = check_networks(c);
	if (!ret)
		ret = check_pods(c, names, n);
	if (!ret)
		ret = topo_check_services(c);
	if (!ret)
		ret = topo_check_ingresses(c);
	if (!ret)
		ret = topo_check_multicluster(c);
	if (!ret)
		ret = assign_addresses(c);
	if (!ret)
		ret = apply_overrides(c, names, n, ov_of);
	if (!ret)
		ret = check_jitter(c, ov_of);
	free(names);
	free(ov_of);
	if (ret)
		return ret;
	/* Resolved: every field now has its value. */
	t->link_defaults.set = LINK_ALL;
	for (size_t i = 0; i < t->n_nodes; i++)
		t->nodes[i].link.set = LINK_ALL;
	return 0;
}
