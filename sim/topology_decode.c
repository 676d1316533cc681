// SPDX-License-Identifier: MIT
/* The topology document, field by field, into struct topology. Rules about
 * one field live here (types, names, formats, ranges); rules across fields
 * are in topology_check.c. */
#include "topology_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define NAME_CHARS "A-Z a-z 0-9 _ -"
/* Labels as Kubernetes writes them, without its finer structure rules. */
#define LABEL_MAX 63
#define LABEL_KEY_CHARSET TOPO_NAME_CHARSET "./"
#define LABEL_KEY_CHARS NAME_CHARS " . /"
#define LABEL_VALUE_CHARSET TOPO_NAME_CHARSET "."
#define LABEL_VALUE_CHARS NAME_CHARS " ."
#define MAX_DELAY_US 60000000u /* one minute */
#define VNI_MAX 16777215u
#define SUBNET_LEN_MAX 30

static const char *const top_keys[] = {
	"name", "underlay", "clusters", "links", "multicluster", NULL };
static const char *const underlay_keys[] = { "subnet", "link", NULL };
static const char *const link_keys[] = {
	"delay", "jitter", "rate", "loss", NULL };
static const char *const override_keys[] = {
	"node", "delay", "jitter", "rate", "loss", NULL };
static const char *const cluster_keys[] = {
	"name", "workers", "etcd", "network", "datapath", "pods", "services",
	"ingresses", NULL };
static const char *const pod_keys[] = {
	"name", "worker", "labels", "command", NULL };
static const char *const network_keys[] = {
	"Network", "SubnetLen", "SubnetMin", "SubnetMax", "Backend", NULL };
static const char *const backend_keys[] = { "Type", "VNI", "Port", NULL };
static const char *const datapath_keys[] = { "routing", "proxy", NULL };

/* Field paths are for messages only: a rare truncation is harmless. */
static void pathf(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, TOPO_PATH_MAX, fmt, ap);
	va_end(ap);
}

static void join(char *buf, const char *parent, const char *key)
{
	if (*parent)
		pathf(buf, "%s.%s", parent, key);
	else
		pathf(buf, "%s", key);
}

static void index_path(char *buf, const char *parent, size_t i)
{
	pathf(buf, "%s[%zu]", parent, i);
}

/* What was found instead, for "expected X, got Y". */
static const char *got(const struct doc_node *n, char *buf, size_t len)
{
	if (doc_is_null(n))
		snprintf(buf, len, "nothing");
	else if (n->type == DOC_SCALAR)
		snprintf(buf, len, "\"%.40s%s\"", n->scalar,
			 strlen(n->scalar) > 40 ? "..." : "");
	else
		snprintf(buf, len, "a %s", doc_type_name(n->type));
	return buf;
}

static int wrong_type(struct topo_ctx *c, const struct doc_node *v,
		      const char *field, const char *expected)
{
	char what[64];

	return topo_fail(c, v->line, field, "expected %s, got %s", expected,
			 got(v, what, sizeof(what)));
}

/* Every key of m is one of names. */
static int known(struct topo_ctx *c, const struct doc_node *m,
		 const char *path, const char *const *names)
{
	char field[TOPO_PATH_MAX], list[160];
	size_t i, len = 0;

	for (size_t k = 0; k < m->n; k++) {
		const char *key = m->keys[k]->scalar;

		for (i = 0; names[i] && strcmp(names[i], key); i++)
			;
		if (names[i])
			continue;
		list[0] = '\0';
		for (i = 0; names[i] && len < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
						"%s%s", i ? ", " : "",
						names[i]);
		join(field, path, key);
		return topo_fail(c, m->keys[k]->line, field, "unknown field "
				 "(expected one of %s)", list);
	}
	return 0;
}

/* m[key] when present and not null, checked to be of the given type. */
static int get(struct topo_ctx *c, const struct doc_node *m, const char *path,
	       const char *key, enum doc_type type, const char *expected,
	       bool required, const struct doc_node **out)
{
	const struct doc_node *v = doc_get(m, key);
	char field[TOPO_PATH_MAX];

	*out = NULL;
	join(field, path, key);
	if (!v || doc_is_null(v)) {
		if (!required)
			return 0;
		return topo_fail(c, v ? v->line : m->line, field,
				 "missing (expected %s)", expected);
	}
	if (v->type != type)
		return wrong_type(c, v, field, expected);
	*out = v;
	return 0;
}

static int check_name(struct topo_ctx *c, const struct doc_node *v,
		      const char *field, size_t max, const char *why)
{
	const char *s = v->scalar;
	size_t len = strlen(s);

	if (!len)
		return topo_fail(c, v->line, field, "empty name (expected 1 to "
				 "%zu characters from " NAME_CHARS ")", max);
	if (len > max)
		return topo_fail(c, v->line, field, "name \"%s\" is %zu bytes "
				 "long (expected at most %zu: %s)", s, len, max,
				 why);
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (strchr(TOPO_NAME_CHARSET, ch))
			continue;
		if (ch >= ' ' && ch < 0x7f)
			return topo_fail(c, v->line, field, "name \"%s\" has "
					 "an invalid character '%c' (expected "
					 "only " NAME_CHARS ")", s, ch);
		return topo_fail(c, v->line, field, "name \"%s\" has an "
				 "invalid character 0x%02x (expected only "
				 NAME_CHARS ")", s, ch);
	}
	return 0;
}

static int get_uint(struct topo_ctx *c, const struct doc_node *v,
		    const char *field, uint32_t min, uint32_t max,
		    uint32_t *out)
{
	const char *s = v->scalar;
	uint64_t n = 0;
	size_t len = strlen(s);

	if (v->quoted)
		return topo_fail(c, v->line, field, "expected a number from %u "
				 "to %u, got the string \"%s\"", min, max, s);
	if (!len || len > 10 || strspn(s, "0123456789") != len ||
	    (len > 1 && s[0] == '0'))
		return topo_fail(c, v->line, field, "\"%s\" is not a number "
				 "(expected %u to %u)", s, min, max);
	for (const char *p = s; *p; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (n < min || n > max)
		return topo_fail(c, v->line, field, "%s is out of range "
				 "(expected %u to %u)", s, min, max);
	*out = (uint32_t)n;
	return 0;
}

/* Ranges no simulated network may use. */
static int check_range(struct topo_ctx *c, int line, const char *field,
		       const struct cidr *net)
{
	static const struct {
		struct cidr net;
		const char *what;
	} reserved[] = {
		{ { 0x00000000, 8 }, "0.0.0.0/8 (\"this network\")" },
		{ { 0x7f000000, 8 }, "127.0.0.0/8 (loopback)" },
		{ { 0xe0000000, 3 }, "224.0.0.0/3 (multicast and reserved)" },
	};
	char buf[CIDR_STRLEN];

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (cidr_overlaps(net, &reserved[i].net))
			return topo_fail(c, line, field, "%s overlaps %s "
					 "(expected a private range such as "
					 "10.0.0.0/8)", cidr_format(net, buf),
					 reserved[i].what);
	return 0;
}

static int get_cidr(struct topo_ctx *c, const struct doc_node *v,
		    const char *field, const char *example, struct cidr *out)
{
	char buf[CIDR_STRLEN];
	struct cidr loose;

	if (!cidr_parse(v->scalar, out, false))
		return check_range(c, v->line, field, out);
	if (!cidr_parse(v->scalar, &loose, true))
		return topo_fail(c, v->line, field, "\"%s\" has host bits set "
				 "(expected a network address like %s)",
				 v->scalar, cidr_format(&loose, buf));
	return topo_fail(c, v->line, field, "\"%s\" is not an IPv4 prefix "
			 "(expected a.b.c.d/len, e.g. %s)", v->scalar, example);
}

static int get_ip(struct topo_ctx *c, const struct doc_node *v,
		  const char *field, uint32_t *out)
{
	if (ip4_parse(v->scalar, out))
		return topo_fail(c, v->line, field, "\"%s\" is not an IPv4 "
				 "address (expected a.b.c.d, e.g. 11.10.0.0)",
				 v->scalar);
	return 0;
}

static int parse_link_field(unsigned bit, const char *s, struct link_props *p,
			    char *err, size_t errlen)
{
	switch (bit) {
	case LINK_DELAY:
	case LINK_JITTER: {
		uint32_t *us = bit == LINK_DELAY ? &p->delay_us : &p->jitter_us;

		if (units_parse_duration(s, us, err, errlen))
			return -1;
		if (*us > MAX_DELAY_US) {
			snprintf(err, errlen, "\"%s\" is too long (expected "
				 "at most 60s)", s);
			return -1;
		}
		return 0;
	}
	case LINK_RATE:
		return units_parse_rate(s, &p->rate_bps, err, errlen);
	default:
		return units_parse_loss(s, &p->loss_ppm, err, errlen);
	}
}

/* delay, jitter, rate, loss of map m into p; records where each was. */
static int decode_link_fields(struct topo_ctx *c, const struct doc_node *m,
			      const char *path, struct link_props *p,
			      struct topo_link_src *src)
{
	static const struct {
		const char *key;
		unsigned bit;
		const char *expected;
	} fields[] = {
		{ "delay", LINK_DELAY, "a duration such as 20ms" },
		{ "jitter", LINK_JITTER, "a duration such as 5ms" },
		{ "rate", LINK_RATE, "a rate such as 100mbit" },
		{ "loss", LINK_LOSS, "a percentage such as 0.5%" },
	};
	char field[TOPO_PATH_MAX], why[160];
	const struct doc_node *v;

	src->path = path;
	src->line = m->line;
	for (size_t i = 0; i < 4; i++) {
		join(field, path, fields[i].key);
		if (get(c, m, path, fields[i].key, DOC_SCALAR,
			fields[i].expected, false, &v))
			return -1;
		if (!v)
			continue;
		if (parse_link_field(fields[i].bit, v->scalar, p, why,
				     sizeof(why)))
			return topo_fail(c, v->line, field, "%s", why);
		p->set |= fields[i].bit;
		src->field_line[i] = v->line;
	}
	return 0;
}

static int decode_underlay(struct topo_ctx *c, const struct doc_node *root)
{
	struct topology *t = c->t;
	const struct doc_node *u, *v;

	cidr_parse(TOPO_DEFAULT_UNDERLAY, &t->underlay, false);
	c->link_src.path = "underlay.link";
	if (get(c, root, "", "underlay", DOC_MAP, "a map of subnet, link",
		false, &u))
		return -1;
	if (!u)
		return 0;
	if (known(c, u, "underlay", underlay_keys) ||
	    get(c, u, "underlay", "subnet", DOC_SCALAR,
		"an IPv4 prefix such as 10.0.0.0/16", false, &v))
		return -1;
	if (v) {
		if (get_cidr(c, v, "underlay.subnet", "10.0.0.0/16",
			     &t->underlay))
			return -1;
		c->subnet_line = v->line;
	}
	if (get(c, u, "underlay", "link", DOC_MAP,
		"a map of delay, jitter, rate, loss", false, &v))
		return -1;
	if (!v)
		return 0;
	if (known(c, v, "underlay.link", link_keys))
		return -1;
	return decode_link_fields(c, v, "underlay.link", &t->link_defaults,
				  &c->link_src);
}

static int add_node(struct topo_ctx *c, const char *name, enum node_kind kind,
		    size_t cluster, int line)
{
	struct topology *t = c->t;
	struct node *n;

	if (t->n_nodes == c->nodes_cap) {
		size_t cap = c->nodes_cap ? c->nodes_cap * 2 : 16;

		n = realloc(t->nodes, cap * sizeof(*n));
		if (!n)
			return topo_fail(c, line, NULL, "out of memory");
		t->nodes = n;
		c->nodes_cap = cap;
	}
	n = &t->nodes[t->n_nodes++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->kind = kind;
	n->cluster = cluster;
	n->line = line;
	return 0;
}

/* A cluster's workers or etcd members. */
static int decode_members(struct topo_ctx *c, const struct doc_node *m,
			  const char *path, const char *key,
			  enum node_kind kind, size_t ci, size_t *count)
{
	char list[TOPO_PATH_MAX], field[TOPO_PATH_MAX];
	const struct doc_node *seq;

	join(list, path, key);
	if (get(c, m, path, key, DOC_SEQ, "a list of node names", true, &seq))
		return -1;
	if (!seq->n)
		return topo_fail(c, seq->line, list, "empty (expected at least "
				 "one node name)");
	if (kind == NODE_WORKER)
		c->cl_src[ci].workers = seq->line;
	for (size_t j = 0; j < seq->n; j++) {
		const struct doc_node *v = seq->items[j];

		index_path(field, list, j);
		if (v->type != DOC_SCALAR || doc_is_null(v))
			return wrong_type(c, v, field, "a node name");
		if (check_name(c, v, field, KNETSIM_NODE_NAME_MAX,
			       "node names are interface names") ||
		    add_node(c, v->scalar, kind, ci, v->line))
			return -1;
	}
	*count = seq->n;
	return 0;
}

static int decode_backend(struct topo_ctx *c, const struct doc_node *n,
			  const char *path, struct net_config *nc,
			  unsigned *given)
{
	char bpath[TOPO_PATH_MAX], field[TOPO_PATH_MAX];
	const struct doc_node *b, *v;
	uint32_t port;

	join(bpath, path, "Backend");
	if (get(c, n, path, "Backend", DOC_MAP, "a map of Type, VNI, Port",
		false, &b))
		return -1;
	if (!b)
		return 0;
	if (known(c, b, bpath, backend_keys) ||
	    get(c, b, bpath, "Type", DOC_SCALAR, "vxlan", false, &v))
		return -1;
	if (v) {
		join(field, bpath, "Type");
		if (strcmp(v->scalar, "vxlan"))
			return topo_fail(c, v->line, field, "\"%s\" is not "
					 "supported (expected vxlan, the only "
					 "backend knetsim implements)",
					 v->scalar);
		snprintf(nc->backend_type, sizeof(nc->backend_type), "vxlan");
		*given |= NETCONF_BACKEND_TYPE;
	}
	if (get(c, b, bpath, "VNI", DOC_SCALAR, "a VXLAN id from 1 to 16777215",
		false, &v))
		return -1;
	if (v) {
		join(field, bpath, "VNI");
		if (get_uint(c, v, field, 1, VNI_MAX, &nc->vni))
			return -1;
		*given |= NETCONF_VNI;
	}
	if (get(c, b, bpath, "Port", DOC_SCALAR, "a UDP port from 1 to 65535",
		false, &v))
		return -1;
	if (v) {
		join(field, bpath, "Port");
		if (get_uint(c, v, field, 1, 65535, &port))
			return -1;
		nc->port = (uint16_t)port;
		*given |= NETCONF_PORT;
	}
	return 0;
}

/* netconf_validate() names the field first ("SubnetMin: ..."): point at
 * its line when it was written, else at the network map. */
static int network_invalid(struct topo_ctx *c, const struct doc_node *n,
			   const char *path, const char *msg)
{
	const char *colon = strchr(msg, ':');
	const struct doc_node *v = NULL;
	char name[32], field[TOPO_PATH_MAX];

	if (!colon || (size_t)(colon - msg) >= sizeof(name))
		return topo_fail(c, n->line, path, "%s", msg);
	snprintf(name, sizeof(name), "%.*s", (int)(colon - msg), msg);
	if (!strncmp(name, "Backend.", 8))
		v = doc_get(doc_get(n, "Backend"), name + 8);
	else
		v = doc_get(n, name);
	join(field, path, name);
	return topo_fail(c, v ? v->line : n->line, field, "%s",
			 colon[1] == ' ' ? colon + 2 : colon + 1);
}

static int decode_network(struct topo_ctx *c, const struct doc_node *m,
			  const char *cpath, size_t ci)
{
	struct net_config *nc = &c->t->clusters[ci].net;
	char path[TOPO_PATH_MAX], field[TOPO_PATH_MAX], why[256];
	const struct doc_node *n, *v;
	unsigned given = 0;
	uint32_t len;

	join(path, cpath, "network");
	if (get(c, m, cpath, "network", DOC_MAP, "a map of Network, SubnetLen, "
		"SubnetMin, SubnetMax, Backend", true, &n) ||
	    known(c, n, path, network_keys) ||
	    get(c, n, path, "Network", DOC_SCALAR,
		"an IPv4 prefix such as 11.0.0.0/8", true, &v))
		return -1;
	c->cl_src[ci].network = n->line;
	c->cl_src[ci].network_net = v->line;
	join(field, path, "Network");
	if (get_cidr(c, v, field, "11.0.0.0/8", &nc->network) ||
	    get(c, n, path, "SubnetLen", DOC_SCALAR, "a prefix length such as "
		"24", false, &v))
		return -1;
	if (v) {
		/* Longer than Network, at most 30, as netconf_validate() says;
		 * a Network too small for any is reported there. */
		uint32_t lo = nc->network.len + 1u, hi = SUBNET_LEN_MAX;

		join(field, path, "SubnetLen");
		if (lo > hi) {
			lo = 0;
			hi = 32;
		}
		if (get_uint(c, v, field, lo, hi, &len))
			return -1;
		nc->subnet_len = (uint8_t)len;
		given |= NETCONF_SUBNET_LEN;
	}
	if (get(c, n, path, "SubnetMin", DOC_SCALAR, "an IPv4 address such as "
		"11.10.0.0", false, &v))
		return -1;
	join(field, path, "SubnetMin");
	if (v && get_ip(c, v, field, &nc->subnet_min))
		return -1;
	given |= v ? NETCONF_SUBNET_MIN : 0;
	if (get(c, n, path, "SubnetMax", DOC_SCALAR, "an IPv4 address such as "
		"11.99.0.0", false, &v))
		return -1;
	join(field, path, "SubnetMax");
	if (v && get_ip(c, v, field, &nc->subnet_max))
		return -1;
	given |= v ? NETCONF_SUBNET_MAX : 0;
	if (decode_backend(c, n, path, nc, &given))
		return -1;
	netconf_defaults(nc, given);
	if (netconf_validate(nc, why, sizeof(why)))
		return network_invalid(c, n, path, why);
	return 0;
}

static int decode_mode(struct topo_ctx *c, const struct doc_node *d,
		       const char *path, const char *key,
		       const char *const names[], int n, int *mode)
{
	char field[TOPO_PATH_MAX], expected[64];
	const struct doc_node *v;
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(expected + len, sizeof(expected) - len,
					"%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
					names[i]);
	if (get(c, d, path, key, DOC_SCALAR, expected, false, &v))
		return -1;
	if (!v)
		return 0;
	for (int i = 0; i < n; i++) {
		if (!strcmp(v->scalar, names[i])) {
			*mode = i;
			return 0;
		}
	}
	join(field, path, key);
	return topo_fail(c, v->line, field, "unknown mode \"%s\" (expected "
			 "%s)", v->scalar, expected);
}

static int decode_datapath(struct topo_ctx *c, const struct doc_node *m,
			   const char *cpath, struct cluster *cl)
{
	static const char *const routing[2] = {
		[ROUTING_BPF] = "bpf", [ROUTING_KERNEL] = "kernel" };
	static const char *const proxy[3] = {
		[PROXY_BPF] = "bpf", [PROXY_NFT] = "nft",
		[PROXY_NFT_LINEAR] = "nft-linear" };
	char path[TOPO_PATH_MAX];
	const struct doc_node *d;
	int r = ROUTING_BPF, p = PROXY_BPF;

	join(path, cpath, "datapath");
	if (get(c, m, cpath, "datapath", DOC_MAP, "a map of routing, proxy",
		false, &d))
		return -1;
	if (d && (known(c, d, path, datapath_keys) ||
		  decode_mode(c, d, path, "routing", routing, 2, &r) ||
		  decode_mode(c, d, path, "proxy", proxy, 3, &p)))
		return -1;
	cl->routing = (enum routing_mode)r;
	cl->proxy = (enum proxy_mode)p;
	return 0;
}

/* A label key or value: 1 to LABEL_MAX bytes from charset. */
static int check_label(struct topo_ctx *c, const struct doc_node *v,
		       const char *field, const char *what,
		       const char *charset, const char *chars)
{
	const char *s = v->scalar;
	size_t len = strlen(s);

	if (!len)
		return topo_fail(c, v->line, field, "empty label %s (expected "
				 "1 to %d characters from %s)", what,
				 LABEL_MAX, chars);
	if (len > LABEL_MAX)
		return topo_fail(c, v->line, field, "label %s \"%s\" is %zu "
				 "bytes long (expected at most %d)", what, s,
				 len, LABEL_MAX);
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (strchr(charset, ch))
			continue;
		if (ch >= ' ' && ch < 0x7f)
			return topo_fail(c, v->line, field, "label %s \"%s\" "
					 "has an invalid character '%c' "
					 "(expected only %s)", what, s, ch,
					 chars);
		/* Control characters are not for messages. */
		if (ch < ' ' || ch == 0x7f)
			return topo_fail(c, v->line, field, "label %s has an "
					 "invalid character 0x%02x (expected "
					 "only %s)", what, ch, chars);
		return topo_fail(c, v->line, field, "label %s \"%s\" has an "
				 "invalid character 0x%02x (expected only %s)",
				 what, s, ch, chars);
	}
	return 0;
}

static int decode_labels(struct topo_ctx *c, const struct doc_node *m,
			 const char *ppath, struct pod *p)
{
	char path[TOPO_PATH_MAX], field[TOPO_PATH_MAX];
	const struct doc_node *l;

	join(path, ppath, "labels");
	if (get(c, m, ppath, "labels", DOC_MAP, "a map of label keys to "
		"values such as {app: web}", false, &l))
		return -1;
	if (!l)
		return 0;
	if (l->n > TOPO_LABELS_MAX)
		return topo_fail(c, l->line, path, "%zu labels (expected at "
				 "most %d)", l->n, TOPO_LABELS_MAX);
	for (size_t k = 0; k < l->n; k++) {
		const struct doc_node *key = l->keys[k], *v = l->items[k];
		struct pod_label *lb = &p->labels[k];

		if (check_label(c, key, path, "key", LABEL_KEY_CHARSET,
				LABEL_KEY_CHARS))
			return -1;
		join(field, path, key->scalar);
		if (v->type != DOC_SCALAR || doc_is_null(v))
			return wrong_type(c, v, field, "a label value");
		if (check_label(c, v, field, "value", LABEL_VALUE_CHARSET,
				LABEL_VALUE_CHARS))
			return -1;
		snprintf(lb->key, sizeof(lb->key), "%s", key->scalar);
		snprintf(lb->value, sizeof(lb->value), "%s", v->scalar);
	}
	p->n_labels = l->n;
	return 0;
}

/* The pod's worker is resolved by topology_check.c. */
static int decode_pod(struct topo_ctx *c, const struct doc_node *m,
		      const char *list, size_t ci, size_t j)
{
	struct pod *p = &c->t->pods[c->t->n_pods];
	struct topo_pod_src *src = &c->pod_src[c->t->n_pods];
	char path[TOPO_PATH_MAX], field[TOPO_PATH_MAX];
	const struct doc_node *v;

	index_path(path, list, j);
	if (m->type != DOC_MAP || doc_is_null(m))
		return wrong_type(c, m, path, "a map of name, worker, labels, "
				  "command");
	memset(p, 0, sizeof(*p));
	memset(src, 0, sizeof(*src));
	p->cluster = ci;
	p->line = m->line;
	src->index = j;
	join(field, path, "name");
	if (known(c, m, path, pod_keys) ||
	    get(c, m, path, "name", DOC_SCALAR, "a pod name such as c1", true,
		&v) ||
	    check_name(c, v, field, TOPO_POD_NAME_MAX,
		       "it names the pod's namespace, <sim>:<cluster>.<pod>"))
		return -1;
	snprintf(p->name, sizeof(p->name), "%s", v->scalar);
	src->name_line = v->line;
	if (get(c, m, path, "worker", DOC_SCALAR, "the name of one of the "
		"cluster's workers", true, &v))
		return -1;
	src->worker = v->scalar;
	src->worker_line = v->line;
	if (decode_labels(c, m, path, p))
		return -1;
	return topo_decode_pod_command(c, m, path, p);
}

/* Room for more pods in t->pods and c->pod_src. */
static int reserve_pods(struct topo_ctx *c, size_t more, int line)
{
	struct topology *t = c->t;
	size_t cap = t->n_pods + more;
	struct topo_pod_src *src;
	struct pod *p;

	if (cap <= c->pods_cap)
		return 0;
	p = realloc(t->pods, cap * sizeof(*p));
	if (!p)
		return topo_fail(c, line, NULL, "out of memory");
	t->pods = p;
	src = realloc(c->pod_src, cap * sizeof(*src));
	if (!src)
		return topo_fail(c, line, NULL, "out of memory");
	c->pod_src = src;
	c->pods_cap = cap;
	return 0;
}

static int decode_pods(struct topo_ctx *c, const struct doc_node *m,
		       const char *cpath, size_t ci)
{
	char list[TOPO_PATH_MAX];
	const struct doc_node *seq;

	join(list, cpath, "pods");
	if (get(c, m, cpath, "pods", DOC_SEQ, "a list of pods", false, &seq))
		return -1;
	if (!seq || !seq->n)
		return 0;
	if (reserve_pods(c, seq->n, seq->line))
		return -1;
	for (size_t j = 0; j < seq->n; j++) {
		if (decode_pod(c, seq->items[j], list, ci, j))
			return -1;
		c->t->n_pods++;
		c->t->clusters[ci].n_pods++;
	}
	return 0;
}

static int decode_cluster(struct topo_ctx *c, const struct doc_node *m,
			  size_t ci)
{
	struct cluster *cl = &c->t->clusters[ci];
	char path[TOPO_PATH_MAX], field[TOPO_PATH_MAX];
	const struct doc_node *v;

	index_path(path, "clusters", ci);
	if (m->type != DOC_MAP || doc_is_null(m))
		return wrong_type(c, m, path, "a map of name, workers, etcd, "
				  "network, datapath, pods, services, "
				  "ingresses");
	cl->line = m->line;
	join(field, path, "name");
	if (known(c, m, path, cluster_keys) ||
	    get(c, m, path, "name", DOC_SCALAR, "a cluster name such as C0",
		true, &v) ||
	    check_name(c, v, field, TOPO_CLUSTER_NAME_MAX,
		       "switch interface names derive from it"))
		return -1;
	snprintf(cl->name, sizeof(cl->name), "%s", v->scalar);
	if (decode_members(c, m, path, "workers", NODE_WORKER, ci,
			   &cl->n_workers) ||
	    decode_members(c, m, path, "etcd", NODE_ETCD, ci, &cl->n_etcd) ||
	    decode_network(c, m, path, ci) ||
	    decode_datapath(c, m, path, cl))
		return -1;
	if (decode_pods(c, m, path, ci))
		return -1;
	if (topo_decode_services(c, m, path, ci))
		return -1;
	return topo_decode_ingresses(c, m, path, ci);
}

static int decode_clusters(struct topo_ctx *c, const struct doc_node *root)
{
	struct topology *t = c->t;
	const struct doc_node *seq;

	if (get(c, root, "", "clusters", DOC_SEQ, "a list of clusters", true,
		&seq))
		return -1;
	if (!seq->n)
		return topo_fail(c, seq->line, "clusters", "empty (expected at "
				 "least one cluster)");
	t->clusters = calloc(seq->n, sizeof(*t->clusters));
	c->cl_src = calloc(seq->n, sizeof(*c->cl_src));
	if (!t->clusters || !c->cl_src)
		return topo_fail(c, seq->line, "clusters", "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		if (decode_cluster(c, seq->items[i], i))
			return -1;
		t->n_clusters++;
	}
	return 0;
}

static int decode_override(struct topo_ctx *c, const struct doc_node *m,
			   struct topo_override *ov, size_t i)
{
	char field[TOPO_PATH_MAX];
	const struct doc_node *v;

	snprintf(ov->path, sizeof(ov->path), "links[%zu]", i);
	if (m->type != DOC_MAP || doc_is_null(m))
		return wrong_type(c, m, ov->path, "a map of node, delay, "
				  "jitter, rate, loss");
	join(field, ov->path, "node");
	if (known(c, m, ov->path, override_keys) ||
	    get(c, m, ov->path, "node", DOC_SCALAR, "the name of a node", true,
		&v))
		return -1;
	ov->node = v->scalar;
	ov->node_line = v->line;
	return decode_link_fields(c, m, ov->path, &ov->props, &ov->src);
}

static int decode_links(struct topo_ctx *c, const struct doc_node *root)
{
	const struct doc_node *seq;

	if (get(c, root, "", "links", DOC_SEQ, "a list of link overrides",
		false, &seq))
		return -1;
	if (!seq || !seq->n)
		return 0;
	c->ov = calloc(seq->n, sizeof(*c->ov));
	if (!c->ov)
		return topo_fail(c, seq->line, "links", "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		if (decode_override(c, seq->items[i], &c->ov[i], i))
			return -1;
		c->n_ov++;
	}
	return 0;
}

static int decode_name(struct topo_ctx *c, const struct doc_node *root)
{
	const struct doc_node *v;

	snprintf(c->t->name, sizeof(c->t->name), "%s", KNETSIM_DEFAULT_SIM);
	if (get(c, root, "", "name", DOC_SCALAR, "a simulation name such as "
		"knetsim", false, &v))
		return -1;
	if (!v)
		return 0;
	if (check_name(c, v, "name", KNETSIM_SIM_NAME_MAX,
		       "it names the state directory"))
		return -1;
	snprintf(c->t->name, sizeof(c->t->name), "%s", v->scalar);
	return 0;
}

int topo_decode(struct topo_ctx *c, const struct doc_node *root)
{
	char what[64];

	c->root_line = root->line;
	if (doc_is_null(root))
		return topo_fail(c, 0, NULL, "empty topology (expected a map "
				 "with at least \"clusters\")");
	if (root->type != DOC_MAP)
		return topo_fail(c, root->line, NULL, "expected a map of name, "
				 "underlay, clusters, links at the top level, "
				 "got %s", got(root, what, sizeof(what)));
	if (known(c, root, "", top_keys) || decode_name(c, root) ||
	    decode_underlay(c, root) || decode_clusters(c, root) ||
	    decode_links(c, root))
		return -1;
	return topo_decode_multicluster(c, root);
}
