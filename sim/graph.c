// SPDX-License-Identifier: MIT
/* knetsim graph: the topology drawn from the file alone, as Graphviz dot,
 * Mermaid or JSON. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "cli.h"
#include "log.h"
#include "names.h"
#include "topology.h"
#include "units.h"

enum graph_format { GRAPH_DOT, GRAPH_MERMAID, GRAPH_JSON };

/* "20ms delay, 100mbit" or "" for a plain link. */
static void link_label(const struct link_props *p, char *buf, size_t len)
{
	char v[UNITS_STRLEN];
	size_t off = 0;

	buf[0] = '\0';
#define ADD(fmt, ...) \
	off += snprintf(buf + off, off < len ? len - off : 0, "%s" fmt, \
			off ? ", " : "", __VA_ARGS__)
	if (p->delay_us)
		ADD("%s delay", units_format_duration(p->delay_us, v));
	if (p->jitter_us)
		ADD("%s jitter", units_format_duration(p->jitter_us, v));
	if (p->rate_bps)
		ADD("%s", units_format_rate(p->rate_bps, v));
	if (p->loss_ppm)
		ADD("%s loss", units_format_loss(p->loss_ppm, v));
#undef ADD
}

static void print_dot(const struct topology *t)
{
	char sw[NAMES_IFNAMSIZ], ip[IP4_STRLEN], label[128];

	printf("graph \"%s\" {\n\tnode [fontname=\"sans\"];\n", t->name);
	printf("\t\"%s\" [shape=box, style=filled, fillcolor=lightgrey];\n",
	       NAMES_TOP_SWITCH);
	for (size_t c = 0; c < t->n_clusters; c++) {
		const struct cluster *cl = &t->clusters[c];
		char net[CIDR_STRLEN];

		names_switch(cl->name, sw);
		printf("\tsubgraph \"cluster_%s\" {\n\t\tlabel=\"%s (%s, routing %s, proxy %s)\";\n",
		       cl->name, cl->name, cidr_format(&cl->net.network, net),
		       routing_mode_name(cl->routing), proxy_mode_name(cl->proxy));
		printf("\t\t\"%s\" [shape=box, style=filled, fillcolor=lightgrey];\n",
		       sw);
		for (size_t i = 0; i < t->n_nodes; i++) {
			const struct node *n = &t->nodes[i];

			if (n->cluster != c)
				continue;
			printf("\t\t\"%s\" [label=\"%s\\n%s\", shape=%s];\n",
			       n->name, n->name, ip4_format(n->addr, ip),
			       n->kind == NODE_WORKER ? "ellipse" : "cylinder");
			link_label(&n->link, label, sizeof(label));
			printf("\t\t\"%s\" -- \"%s\"%s%s%s;\n", n->name, sw,
			       *label ? " [label=\"" : "", label,
			       *label ? "\"]" : "");
		}
		printf("\t}\n\t\"%s\" -- \"%s\";\n", sw, NAMES_TOP_SWITCH);
	}
	printf("}\n");
}

static void print_mermaid(const struct topology *t)
{
	char sw[NAMES_IFNAMSIZ], ip[IP4_STRLEN], label[128];

	printf("graph TD\n\t%s[[%s]]\n", NAMES_TOP_SWITCH, NAMES_TOP_SWITCH);
	for (size_t c = 0; c < t->n_clusters; c++) {
		const struct cluster *cl = &t->clusters[c];

		names_switch(cl->name, sw);
		printf("\tsubgraph %s\n\t\t%s[[%s]]\n", cl->name, sw, sw);
		for (size_t i = 0; i < t->n_nodes; i++) {
			const struct node *n = &t->nodes[i];

			if (n->cluster != c)
				continue;
			printf(n->kind == NODE_WORKER ? "\t\t%s(\"%s<br/>%s\")\n"
						       : "\t\t%s[(\"%s<br/>%s\")]\n",
			       n->name, n->name, ip4_format(n->addr, ip));
			link_label(&n->link, label, sizeof(label));
			if (*label)
				printf("\t\t%s ---|\"%s\"| %s\n", n->name, label, sw);
			else
				printf("\t\t%s --- %s\n", n->name, sw);
		}
		printf("\tend\n\t%s --- %s\n", sw, NAMES_TOP_SWITCH);
	}
}

static cJSON *json_link(const char *a, const char *b, const struct link_props *p)
{
	cJSON *l = cJSON_CreateObject();
	char v[UNITS_STRLEN];

	cJSON_AddStringToObject(l, "a", a);
	cJSON_AddStringToObject(l, "b", b);
	if (!p)
		return l;
	cJSON_AddStringToObject(l, "delay", units_format_duration(p->delay_us, v));
	cJSON_AddStringToObject(l, "jitter", units_format_duration(p->jitter_us, v));
	cJSON_AddStringToObject(l, "rate", units_format_rate(p->rate_bps, v));
	cJSON_AddStringToObject(l, "loss", units_format_loss(p->loss_ppm, v));
	return l;
}

static cJSON *json_vertex(cJSON *arr, const char *id, const char *type)
{
	cJSON *v = cJSON_CreateObject();

	cJSON_AddStringToObject(v, "id", id);
	cJSON_AddStringToObject(v, "type", type);
	cJSON_AddItemToArray(arr, v);
	return v;
}

static int print_json(const struct topology *t)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
	cJSON *links = cJSON_AddArrayToObject(root, "links");
	char sw[NAMES_IFNAMSIZ], ip[IP4_STRLEN];
	char *out;

	cJSON_AddStringToObject(root, "name", t->name);
	json_vertex(nodes, NAMES_TOP_SWITCH, "switch");
	for (size_t c = 0; c < t->n_clusters; c++) {
		cJSON *v;

		names_switch(t->clusters[c].name, sw);
		v = json_vertex(nodes, sw, "switch");
		cJSON_AddStringToObject(v, "cluster", t->clusters[c].name);
		cJSON_AddItemToArray(links, json_link(sw, NAMES_TOP_SWITCH, NULL));
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		cJSON *v = json_vertex(nodes, n->name, node_kind_name(n->kind));

		cJSON_AddStringToObject(v, "cluster", t->clusters[n->cluster].name);
		cJSON_AddStringToObject(v, "address", ip4_format(n->addr, ip));
		names_switch(t->clusters[n->cluster].name, sw);
		cJSON_AddItemToArray(links, json_link(n->name, sw, &n->link));
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!out)
		return -1;
	printf("%s\n", out);
	free(out);
	return 0;
}

static void graph_usage(FILE *f)
{
	fprintf(f, "usage: knetsim graph [-t FILE] [--format dot|mermaid|json] [-j]\n"
		   "  Draws the topology in FILE (default: %s).\n",
		cli_default_topology());
}

int cmd_graph(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "topology", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum graph_format fmt = GRAPH_DOT;
	const char *file = NULL;
	struct topology *t;
	char err[1024];
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "t:f:h", opts,
				NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		if (c == 't') {
			file = optarg;
		} else if (c == 'f' && !strcmp(optarg, "dot")) {
			fmt = GRAPH_DOT;
		} else if (c == 'f' && !strcmp(optarg, "mermaid")) {
			fmt = GRAPH_MERMAID;
		} else if (c == 'f' && !strcmp(optarg, "json")) {
			fmt = GRAPH_JSON;
		} else {
			if (c == 'f')
				log_err("--format: unknown format \"%s\" (expected dot, mermaid or json)",
					optarg);
			graph_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		graph_usage(stderr);
		return 2;
	}
	if (cli->json)
		fmt = GRAPH_JSON;
	t = topology_load(file ? file : cli_default_topology(), err, sizeof(err));
	if (!t) {
		log_err("%s", err);
		return 1;
	}
	if (fmt == GRAPH_DOT)
		print_dot(t);
	else if (fmt == GRAPH_MERMAID)
		print_mermaid(t);
	else
		ret = print_json(t) ? 1 : 0;
	topology_free(t);
	return ret;
}
