// SPDX-License-Identifier: MIT
/* Proxy "nft": kube-proxy's nftables structure (see nft_rules.h) applied
 * through libnftables. Each call is one nft transaction (one buffer), so
 * a service changes atomically and only its own objects are rewritten.
 *
 * Restart: init re-adds the table skeleton over whatever a previous agent
 * left (only the fixed chains are rewritten, in one transaction), and the
 * first service_set of each service after that rewrites that service's
 * chains under the same deterministic names, so traffic keeps flowing.
 * What the previous agent left is read once at init (chains and map
 * elements, JSON output of libnftables); the first service_set or
 * service_del of a service also removes that service's leftovers that
 * are no longer wanted, in the same transaction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <nftables/libnftables.h>

#include "log.h"
#include "nft_rules.h"
#include "proxy.h"

static struct nft_ctx *ctx;
/* What is installed, as last applied: one copy per service. */
static struct proxy_service **svcs;
static size_t n_svcs, cap_svcs;
/* Leftovers of a previous agent not yet claimed by a service. */
static struct nft_inventory inv;

static int run(struct nft_buf *b, const char *what)
{
	const char *err;

	if (b->err)
		return b->err;
	if (!b->len)
		return 0;
	if (!nft_run_cmd_from_buffer(ctx, b->data))
		return 0;
	err = nft_ctx_get_error_buffer(ctx);
	log_err("proxy nft: %s: %s", what, err && *err ? err : "failed");
	return -EIO;
}

static long find(const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < n_svcs; i++)
		if (!strcmp(svcs[i]->ns, ns) && !strcmp(svcs[i]->name, name))
			return (long)i;
	return -1;
}

static void nft_close(void)
{
	size_t i;

	for (i = 0; i < n_svcs; i++)
		free(svcs[i]);
	free(svcs);
	svcs = NULL;
	n_svcs = cap_svcs = 0;
	nft_inventory_free(&inv);
	if (ctx)
		nft_ctx_free(ctx);
	ctx = NULL;
}

/* Runs a listing command with JSON output; returns the parsed document
 * (NULL on failure). */
static cJSON *list_json(const char *cmd)
{
	unsigned int flags = nft_ctx_output_get_flags(ctx);
	cJSON *doc = NULL;

	nft_ctx_output_set_flags(ctx, flags | NFT_CTX_OUTPUT_JSON);
	if (!nft_run_cmd_from_buffer(ctx, cmd))
		doc = cJSON_Parse(nft_ctx_get_output_buffer(ctx));
	else
		log_err("proxy nft: %s: %s", cmd, nft_ctx_get_error_buffer(ctx));
	nft_ctx_output_set_flags(ctx, flags);
	return doc;
}

static int elem_key(const cJSON *k, char *out, size_t len)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(k, "concat");
	const cJSON *ip, *proto, *port;

	if (cJSON_IsString(k)) {
		snprintf(out, len, "%s", k->valuestring);
		return 0;
	}
	if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 3)
		return -EINVAL;
	ip = cJSON_GetArrayItem(c, 0);
	proto = cJSON_GetArrayItem(c, 1);
	port = cJSON_GetArrayItem(c, 2);
	if (!cJSON_IsString(ip) || !cJSON_IsNumber(port))
		return -EINVAL;
	if (cJSON_IsString(proto))
		snprintf(out, len, "%s . %s . %d", ip->valuestring,
			 proto->valuestring, port->valueint);
	else if (cJSON_IsNumber(proto))
		snprintf(out, len, "%s . %d . %d", ip->valuestring,
			 proto->valueint, port->valueint);
	else
		return -EINVAL;
	return 0;
}

static int read_map(const char *map)
{
	char cmd[96], key[48];
	const cJSON *item, *m, *e;
	cJSON *doc;
	int err = 0;

	snprintf(cmd, sizeof(cmd), "list map ip " NFT_TABLE " %s", map);
	doc = list_json(cmd);
	if (!doc)
		return -EIO;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "nftables")) {
		m = cJSON_GetObjectItemCaseSensitive(item, "map");
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m, "elem")) {
			const cJSON *v = cJSON_GetArrayItem(e, 1);
			const cJSON *g = cJSON_GetObjectItemCaseSensitive(v, "goto");
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(g, "target");

			if (!cJSON_IsString(t) ||
			    elem_key(cJSON_GetArrayItem(e, 0), key, sizeof(key)))
				continue;
			err = nft_inventory_add_elem(&inv, map, key, t->valuestring);
			if (err == -ENOMEM)
				goto out;
		}
	}
	err = 0;
out:
	cJSON_Delete(doc);
	return err;
}

static int read_chains(void)
{
	const cJSON *item, *c, *t, *n;
	cJSON *doc = list_json("list chains ip");
	int err = 0;

	if (!doc)
		return -EIO;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "nftables")) {
		c = cJSON_GetObjectItemCaseSensitive(item, "chain");
		t = cJSON_GetObjectItemCaseSensitive(c, "table");
		n = cJSON_GetObjectItemCaseSensitive(c, "name");
		if (!cJSON_IsString(t) || strcmp(t->valuestring, NFT_TABLE) ||
		    !cJSON_IsString(n))
			continue;
		if (strncmp(n->valuestring, "svc-", 4) &&
		    strncmp(n->valuestring, "ep-", 3))
			continue;
		err = nft_inventory_add_chain(&inv, n->valuestring);
		if (err == -ENOMEM)
			break;
		err = 0;
	}
	cJSON_Delete(doc);
	return err;
}

/* What a previous agent left; runs after the skeleton is in place. */
static int read_inventory(void)
{
	int err = read_chains();

	if (!err)
		err = read_map("service-ports");
	if (!err)
		err = read_map("service-ips");
	if (!err && (inv.n_chains || inv.n_elems))
		log_info("proxy nft: adopting table %s: %zu chains, %zu map elements",
			 NFT_TABLE, inv.n_chains, inv.n_elems);
	return err;
}

static int nft_init(const struct proxy_config *cfg)
{
	struct nft_buf b;
	int err;

	(void)cfg;
	if (ctx)
		nft_close();
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		nft_close();
		return -ENOMEM;
	}
	nft_buf_init(&b);
	nft_rules_init(&b, NFT_FORM_CHAINS);
	err = run(&b, "table " NFT_TABLE);
	nft_buf_free(&b);
	if (!err)
		err = read_inventory();
	if (err)
		nft_close();
	return err;
}

static int remember(long i, const struct proxy_service *s)
{
	struct proxy_service *copy;

	if (i >= 0) {
		memcpy(svcs[i], s, sizeof(*s));
		return 0;
	}
	if (n_svcs == cap_svcs) {
		size_t cap = cap_svcs ? cap_svcs * 2 : 16;
		struct proxy_service **p = realloc(svcs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		svcs = p;
		cap_svcs = cap;
	}
	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, sizeof(*s));
	svcs[n_svcs++] = copy;
	return 0;
}

static int nft_service_set(const struct proxy_service *s)
{
	struct nft_buf b;
	long i;
	int err;

	if (!ctx)
		return -ENOTCONN;
	err = nft_service_check(s);
	if (err) {
		log_err("proxy nft: service %s/%s: invalid", s ? s->ns : "?",
			s ? s->name : "?");
		return err;
	}
	i = find(s->ns, s->name);
	nft_buf_init(&b);
	err = nft_rules_service(&b, i >= 0 ? svcs[i] : NULL, s);
	if (!err && i < 0)
		nft_rules_sweep(&b, &inv, s->ns, s->name, s);
	if (!err)
		err = run(&b, s->name);
	nft_buf_free(&b);
	if (!err)
		err = remember(i, s);
	return err;
}

static int nft_service_del(const char *ns, const char *name)
{
	struct nft_buf b;
	long i;
	int err;

	if (!ctx)
		return -ENOTCONN;
	if (!ns || !name)
		return -EINVAL;
	i = find(ns, name);
	nft_buf_init(&b);
	if (i < 0)
		nft_rules_sweep(&b, &inv, ns, name, NULL);
	else
		nft_rules_service_del(&b, svcs[i]);
	err = run(&b, name);
	nft_buf_free(&b);
	if (err || i < 0)
		return err;
	free(svcs[i]);
	svcs[i] = svcs[--n_svcs];
	return 0;
}

const struct proxy_ops proxy_nft_ops = {
	.name = "nft",
	.init = nft_init,
	.service_set = nft_service_set,
	.service_del = nft_service_del,
	.close = nft_close,
};
