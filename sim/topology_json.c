// SPDX-License-Identifier: MIT
/* A resolved topology back as a topology file, in JSON, with every default
 * written out: what `knetsim up` saves, and what reloads identically. */
#include "topology_priv.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>

#include "units.h"

static bool add_string(cJSON *obj, const char *key, const char *val)
{
	return cJSON_AddStringToObject(obj, key, val) != NULL;
}

static bool add_number(cJSON *obj, const char *key, double val)
{
	return cJSON_AddNumberToObject(obj, key, val) != NULL;
}

/* Adds item to obj (or to an array when key is NULL); frees it on failure. */
static cJSON *add(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return NULL;
	if (key ? cJSON_AddItemToObject(obj, key, item) :
		  cJSON_AddItemToArray(obj, item))
		return item;
	cJSON_Delete(item);
	return NULL;
}

static bool add_link_fields(cJSON *obj, const struct link_props *p)
{
	char buf[UNITS_STRLEN];

	if (!add_string(obj, "delay",
			units_format_duration(p->delay_us, buf)) ||
	    !add_string(obj, "jitter",
			units_format_duration(p->jitter_us, buf)))
		return false;
	/* 0 (unlimited) as a number, a rate as "<n><unit>bit". */
	if (!(p->rate_bps ? add_string(obj, "rate",
				       units_format_rate(p->rate_bps, buf)) :
			    add_number(obj, "rate", 0)))
		return false;
	return add_string(obj, "loss", units_format_loss(p->loss_ppm, buf));
}

static bool add_underlay(cJSON *root, const struct topology *t)
{
	cJSON *u = add(root, "underlay", cJSON_CreateObject());
	char buf[CIDR_STRLEN];
	cJSON *l;

	if (!u || !add_string(u, "subnet", cidr_format(&t->underlay, buf)))
		return false;
	l = add(u, "link", cJSON_CreateObject());
	return l && add_link_fields(l, &t->link_defaults);
}

static bool add_network(cJSON *cl, const struct net_config *nc)
{
	cJSON *n = add(cl, "network", cJSON_CreateObject()), *b;
	char net[CIDR_STRLEN], ip[IP4_STRLEN];

	if (!n || !add_string(n, "Network", cidr_format(&nc->network, net)) ||
	    !add_number(n, "SubnetLen", nc->subnet_len) ||
	    !add_string(n, "SubnetMin", ip4_format(nc->subnet_min, ip)) ||
	    !add_string(n, "SubnetMax", ip4_format(nc->subnet_max, ip)))
		return false;
	b = add(n, "Backend", cJSON_CreateObject());
	return b && add_string(b, "Type", nc->backend_type) &&
	       add_number(b, "VNI", nc->vni) && add_number(b, "Port", nc->port);
}

static bool add_members(cJSON *cl, const struct topology *t, size_t ci,
			enum node_kind kind)
{
	cJSON *list = add(cl, kind == NODE_WORKER ? "workers" : "etcd",
			  cJSON_CreateArray());

	if (!list)
		return false;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		if (n->cluster == ci && n->kind == kind &&
		    !add(list, NULL, cJSON_CreateString(n->name)))
			return false;
	}
	return true;
}

/* Labels only when there are some. */
static bool add_labels(cJSON *o, const struct pod *p)
{
	cJSON *l;

	if (!p->n_labels)
		return true;
	l = add(o, "labels", cJSON_CreateObject());
	if (!l)
		return false;
	for (size_t i = 0; i < p->n_labels; i++)
		if (!add_string(l, p->labels[i].key, p->labels[i].value))
			return false;
	return true;
}

/* Always written, as links are, even when empty. */
static bool add_pods(cJSON *cl, const struct topology *t, size_t ci)
{
	cJSON *list = add(cl, "pods", cJSON_CreateArray());

	if (!list)
		return false;
	for (size_t i = 0; i < t->n_pods; i++) {
		const struct pod *p = &t->pods[i];
		cJSON *o;

		if (p->cluster != ci)
			continue;
		o = add(list, NULL, cJSON_CreateObject());
		if (!o || !add_string(o, "name", p->name) ||
		    !add_string(o, "worker", t->nodes[p->worker].name) ||
		    !add_labels(o, p) || !topo_json_pod_command(o, p))
			return false;
	}
	return true;
}

static bool add_cluster(cJSON *list, const struct topology *t, size_t ci)
{
	const struct cluster *c = &t->clusters[ci];
	cJSON *cl = add(list, NULL, cJSON_CreateObject()), *d;

	if (!cl || !add_string(cl, "name", c->name) ||
	    !add_members(cl, t, ci, NODE_WORKER) ||
	    !add_members(cl, t, ci, NODE_ETCD) || !add_network(cl, &c->net))
		return false;
	d = add(cl, "datapath", cJSON_CreateObject());
	return d && add_string(d, "routing", routing_mode_name(c->routing)) &&
	       add_string(d, "proxy", proxy_mode_name(c->proxy)) &&
	       add_pods(cl, t, ci) && topo_json_services(cl, t, ci) &&
	       topo_json_ingresses(cl, t, ci);
}

static bool same_link(const struct link_props *a, const struct link_props *b)
{
	return a->delay_us == b->delay_us && a->jitter_us == b->jitter_us &&
	       a->rate_bps == b->rate_bps && a->loss_ppm == b->loss_ppm;
}

static bool add_links(cJSON *root, const struct topology *t)
{
	cJSON *list = add(root, "links", cJSON_CreateArray());

	if (!list)
		return false;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		cJSON *o;

		if (same_link(&n->link, &t->link_defaults))
			continue;
		o = add(list, NULL, cJSON_CreateObject());
		if (!o || !add_string(o, "node", n->name) ||
		    !add_link_fields(o, &n->link))
			return false;
	}
	return true;
}

char *topology_to_json(const struct topology *t)
{
	cJSON *root = cJSON_CreateObject(), *clusters;
	char *out = NULL;
	bool ok;

	if (!root)
		return NULL;
	ok = add_string(root, "name", t->name) && add_underlay(root, t);
	clusters = ok ? add(root, "clusters", cJSON_CreateArray()) : NULL;
	ok = clusters != NULL;
	for (size_t i = 0; ok && i < t->n_clusters; i++)
		ok = add_cluster(clusters, t, i);
	if (ok && add_links(root, t) && topo_json_multicluster(root, t))
		out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}
