// SPDX-License-Identifier: MIT
/* Proxies "nft" (kube-proxy's nftables structure, see nft_rules.h) and
 * "nft-linear" (the course's original: one rule per service port in one
 * chain, kept for comparison), applied through libnftables.
 *
 * Changes are collected in a batch and go in as one nft transaction (one
 * buffer), so a burst of ten thousand services costs one transaction, and
 * a single service_set outside a batch is a batch of one. A batch holds
 * the last wanted state of each service it touched. The "nft" form
 * rewrites only what changed of those services; the linear form rewrites
 * its chain whole, in installation order (new services at the end). When
 * a batch's transaction fails, its services are applied one by one, so
 * one bad service does not hold back the others.
 *
 * Restart: init re-adds the table skeleton over whatever a previous agent
 * left (only the fixed chains are rewritten, in one transaction), and the
 * first service_set of each service after that rewrites that service's
 * chains under the same deterministic names, so traffic keeps flowing.
 * What the previous agent left is read once at init (chains and map
 * elements, JSON output of libnftables); the first service_set or
 * service_del of a service also removes that service's leftovers that
 * are no longer wanted, in the same transaction, and prune (after the
 * first resync) removes those of services that no longer exist. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <nftables/libnftables.h>

#include "log.h"
#include "nft_rules.h"
#include "proxy.h"
#include "svc_index.h"

/* One service a batch touches: its wanted state, NULL to delete it. */
struct pending {
	struct proxy_key key;
	struct proxy_service *svc;
};

static struct nft_ctx *ctx;
static enum nft_form form;
/* What is installed, as last applied: one copy per service, in the order
 * installed (the linear chain's order). */
static struct proxy_service **svcs;
static size_t n_svcs, cap_svcs;
static struct svc_index ix;             /* ns/name -> position in svcs */
/* Leftovers of a previous agent not yet claimed by a service. */
static struct nft_inventory inv;
/* The linear chain has been rewritten by this process. */
static bool linear_written;
/* The batch being collected. */
static bool batching;
static struct pending *pend;
static size_t n_pend, cap_pend;
static struct svc_index pix;            /* ns/name -> position in pend */

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
	log_err("proxy %s: %s: %s", form == NFT_FORM_LINEAR ? "nft-linear" : "nft",
		what, err && *err ? err : "failed");
	return -EIO;
}

static struct proxy_service *installed(const char *ns, const char *name)
{
	size_t i;

	return svc_index_get(&ix, ns, name, &i) ? svcs[i] : NULL;
}

static void pending_clear(void)
{
	for (size_t i = 0; i < n_pend; i++)
		free(pend[i].svc);
	n_pend = 0;
	svc_index_free(&pix);
}

static void nft_close(void)
{
	pending_clear();
	free(pend);
	pend = NULL;
	cap_pend = 0;
	batching = false;
	for (size_t i = 0; i < n_svcs; i++)
		free(svcs[i]);
	free(svcs);
	svcs = NULL;
	n_svcs = cap_svcs = 0;
	svc_index_free(&ix);
	nft_inventory_free(&inv);
	linear_written = false;
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

static int init_form(const struct proxy_config *cfg, enum nft_form f)
{
	struct nft_buf b;
	int err;

	if (ctx)
		nft_close();
	form = f;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		nft_close();
		return -ENOMEM;
	}
	nft_buf_init(&b);
	nft_rules_init(&b, form, &cfg->pod_network);
	err = run(&b, "table " NFT_TABLE);
	nft_buf_free(&b);
	if (!err)
		err = read_inventory();
	if (err)
		nft_close();
	return err;
}

static int nft_init(const struct proxy_config *cfg)
{
	return init_form(cfg, NFT_FORM_CHAINS);
}

static int linear_init(const struct proxy_config *cfg)
{
	return init_form(cfg, NFT_FORM_LINEAR);
}

/* ---- batches ---- */

/* Records the wanted state of one service (s NULL: deleted); a later
 * change of the same service in the batch replaces an earlier one. */
static int pending_put(const char *ns, const char *name,
		       const struct proxy_service *s)
{
	struct proxy_service *copy = NULL;
	size_t i;

	if (s) {
		copy = malloc(sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, s, sizeof(*copy));
	}
	if (svc_index_get(&pix, ns, name, &i)) {
		free(pend[i].svc);
		pend[i].svc = copy;
		return 0;
	}
	if (n_pend == cap_pend) {
		size_t cap = cap_pend ? cap_pend * 2 : 16;
		struct pending *p = realloc(pend, cap * sizeof(*p));

		if (!p) {
			free(copy);
			return -ENOMEM;
		}
		pend = p;
		cap_pend = cap;
	}
	if (svc_index_put(&pix, ns, name, n_pend)) {
		free(copy);
		return -ENOMEM;
	}
	snprintf(pend[n_pend].key.ns, sizeof(pend[n_pend].key.ns), "%s", ns);
	snprintf(pend[n_pend].key.name, sizeof(pend[n_pend].key.name), "%s", name);
	pend[n_pend++].svc = copy;
	return 0;
}

static bool same_service(const struct proxy_service *a,
			 const struct proxy_service *b)
{
	return a->vip == b->vip && a->algo == b->algo &&
	       a->n_ports == b->n_ports && a->n_backends == b->n_backends &&
	       !memcmp(a->ports, b->ports, a->n_ports * sizeof(a->ports[0])) &&
	       !memcmp(a->backends, b->backends,
		       a->n_backends * sizeof(a->backends[0]));
}

/* The commands of pending entries [from, to) in the "nft" form. */
static int chains_text(struct nft_buf *b, size_t from, size_t to)
{
	for (size_t i = from; i < to && !b->err; i++) {
		const struct pending *p = &pend[i];
		const struct proxy_service *old = installed(p->key.ns, p->key.name);
		int err;

		if (p->svc) {
			err = nft_rules_service(b, old, p->svc);
			if (err)
				return err;
			if (!old)
				nft_rules_sweep(b, &inv, p->key.ns, p->key.name, p->svc);
		} else if (old) {
			nft_rules_service_del(b, old);
		} else {
			nft_rules_sweep(b, &inv, p->key.ns, p->key.name, NULL);
		}
	}
	return b->err;
}

/* Whether pending entries [from, to) change anything installed. */
static bool changes(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct proxy_service *old =
			installed(pend[i].key.ns, pend[i].key.name);

		if (!old != !pend[i].svc || (old && !same_service(old, pend[i].svc)))
			return true;
	}
	return false;
}

/* The linear chain as it is once pending entries [from, to) are applied:
 * installed services in their order (replaced or left out), then the new
 * ones in the batch's order. */
static int linear_text(struct nft_buf *b, size_t from, size_t to)
{
	const struct proxy_service **v = malloc((n_svcs + (to - from) + 1) * sizeof(*v));
	size_t n = 0, k;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n_svcs; i++) {
		if (svc_index_get(&pix, svcs[i]->ns, svcs[i]->name, &k) &&
		    k >= from && k < to) {
			if (pend[k].svc)
				v[n++] = pend[k].svc;
		} else {
			v[n++] = svcs[i];
		}
	}
	for (k = from; k < to; k++)
		if (pend[k].svc && !installed(pend[k].key.ns, pend[k].key.name))
			v[n++] = pend[k].svc;
	nft_rules_linear(b, v, n);
	free(v);
	return b->err;
}

/* Pending entries [from, to) are in the kernel: so in svcs too. The
 * copies move over; deleted services leave holes, closed at the end. */
static int take(size_t from, size_t to)
{
	size_t i, k, holes = 0;

	for (k = from; k < to; k++) {
		struct pending *p = &pend[k];

		if (svc_index_get(&ix, p->key.ns, p->key.name, &i)) {
			free(svcs[i]);
			svcs[i] = p->svc;
			p->svc = NULL;
			if (!svcs[i]) {
				svc_index_del(&ix, p->key.ns, p->key.name);
				holes++;
			}
			continue;
		}
		if (!p->svc)
			continue;
		if (n_svcs == cap_svcs) {
			size_t cap = cap_svcs ? cap_svcs * 2 : 16;
			struct proxy_service **q = realloc(svcs, cap * sizeof(*q));

			if (!q)
				return -ENOMEM;
			svcs = q;
			cap_svcs = cap;
		}
		if (svc_index_put(&ix, p->key.ns, p->key.name, n_svcs))
			return -ENOMEM;
		svcs[n_svcs++] = p->svc;
		p->svc = NULL;
	}
	if (!holes)
		return 0;
	/* close the holes, keeping the order; the index follows */
	for (i = k = 0; i < n_svcs; i++) {
		if (!svcs[i])
			continue;
		if (i != k) {
			svcs[k] = svcs[i];
			svc_index_put(&ix, svcs[k]->ns, svcs[k]->name, k);
		}
		k++;
	}
	n_svcs = k;
	return 0;
}

/* One transaction for pending entries [from, to), plus extra commands
 * (a prune's) when extra is not NULL. */
static int apply_range(size_t from, size_t to, const struct nft_buf *extra,
		       const char *what)
{
	struct nft_buf b;
	int err = 0;

	if (!extra && !changes(from, to) &&
	    (form == NFT_FORM_LINEAR || (!inv.n_chains && !inv.n_elems)))
		return 0;
	nft_buf_init(&b);
	if (form == NFT_FORM_LINEAR)
		err = linear_text(&b, from, to);
	else
		err = chains_text(&b, from, to);
	if (!err && extra && extra->len)
		nft_buf_printf(&b, "%s", extra->data);
	if (!err)
		err = run(&b, what);
	nft_buf_free(&b);
	if (err) {
		nft_inventory_rollback(&inv);
		return err;
	}
	nft_inventory_commit(&inv);
	if (form == NFT_FORM_LINEAR)
		linear_written = true;
	return take(from, to);
}

/* Applies the batch: all at once, else one service at a time. */
static int commit(const struct nft_buf *extra)
{
	char what[160];
	int err, first = 0;

	if (!n_pend && !extra)
		return 0;
	if (n_pend == 1)
		snprintf(what, sizeof(what), "service %s/%s", pend[0].key.ns,
			 pend[0].key.name);
	else
		snprintf(what, sizeof(what), "%zu services%s", n_pend,
			 extra ? " and leftovers" : "");
	err = apply_range(0, n_pend, extra, what);
	if (err && n_pend > 1) {
		log_warn("proxy nft: the batch of %zu services failed: applying them one by one",
			 n_pend);
		for (size_t i = 0; i < n_pend; i++) {
			snprintf(what, sizeof(what), "service %s/%s",
				 pend[i].key.ns, pend[i].key.name);
			err = apply_range(i, i + 1, NULL, what);
			if (err && !first)
				first = err;
		}
		/* a prune's leftovers wait for the next resync */
		err = first ? first : -EIO;
	}
	pending_clear();
	return err;
}

static int nft_batch_begin(void)
{
	if (!ctx)
		return -ENOTCONN;
	batching = true;
	return 0;
}

static int nft_batch_commit(void)
{
	if (!ctx)
		return -ENOTCONN;
	batching = false;
	return commit(NULL);
}

static int nft_service_set(const struct proxy_service *s)
{
	int err;

	if (!ctx)
		return -ENOTCONN;
	err = nft_service_check(s);
	if (err) {
		log_err("proxy nft: service %s/%s: invalid", s ? s->ns : "?",
			s ? s->name : "?");
		return err;
	}
	err = pending_put(s->ns, s->name, s);
	if (!err && !batching)
		err = commit(NULL);
	return err;
}

static int nft_service_del(const char *ns, const char *name)
{
	int err;

	if (!ctx)
		return -ENOTCONN;
	if (!ns || !name || strlen(ns) > PROXY_NAME_MAX ||
	    strlen(name) > PROXY_NAME_MAX)
		return -EINVAL;
	err = pending_put(ns, name, NULL);
	if (!err && !batching)
		err = commit(NULL);
	return err;
}

/* ---- prune ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct keep_set {
	uint32_t *hashes;       /* sorted */
	size_t n;
};

static bool kept(uint32_t owner, void *arg)
{
	const struct keep_set *k = arg;

	return bsearch(&owner, k->hashes, k->n, sizeof(*k->hashes), cmp_u32);
}

static int nft_prune(const struct proxy_key *keep, size_t n)
{
	struct keep_set ks = { .n = n };
	struct svc_index want;
	struct nft_buf extra;
	int err = 0;

	if (!ctx)
		return -ENOTCONN;
	if (n && !keep)
		return -EINVAL;
	if (batching)
		err = nft_batch_commit();
	svc_index_init(&want);
	ks.hashes = malloc((n ? n : 1) * sizeof(*ks.hashes));
	if (!ks.hashes)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		ks.hashes[i] = nft_svc_hash(keep[i].ns, keep[i].name);
		err = svc_index_put(&want, keep[i].ns, keep[i].name, i);
	}
	qsort(ks.hashes, n, sizeof(*ks.hashes), cmp_u32);
	/* installed by this process, no longer wanted */
	for (size_t i = 0; i < n_svcs && !err; i++)
		if (!svc_index_get(&want, svcs[i]->ns, svcs[i]->name, NULL))
			err = pending_put(svcs[i]->ns, svcs[i]->name, NULL);
	/* left by a previous agent: in the linear form, every object of the
	 * other form is a leftover */
	nft_buf_init(&extra);
	if (!err) {
		nft_rules_prune(&extra, &inv, form == NFT_FORM_LINEAR ? NULL : kept,
				&ks);
		err = extra.err;
	}
	if (!err) {
		if (n_pend || inv.n_undo)
			log_info("proxy nft: pruning %zu services and %zu leftover objects",
				 n_pend, inv.n_undo);
		/* the linear form rewrites its chain once, whatever a
		 * previous agent left in it */
		if (extra.len || (form == NFT_FORM_LINEAR && !linear_written))
			err = commit(&extra);
		else
			err = commit(NULL);
	} else {
		nft_inventory_rollback(&inv);
		pending_clear();
	}
	nft_buf_free(&extra);
	svc_index_free(&want);
	free(ks.hashes);
	return err;
}

const struct proxy_ops proxy_nft_ops = {
	.name = "nft",
	.init = nft_init,
	.service_set = nft_service_set,
	.service_del = nft_service_del,
	.close = nft_close,
	.batch_begin = nft_batch_begin,
	.batch_commit = nft_batch_commit,
	.prune = nft_prune,
	.via_stack = true,
};

const struct proxy_ops proxy_nft_linear_ops = {
	.name = "nft-linear",
	.init = linear_init,
	.service_set = nft_service_set,
	.service_del = nft_service_del,
	.close = nft_close,
	.batch_begin = nft_batch_begin,
	.batch_commit = nft_batch_commit,
	.prune = nft_prune,
	.via_stack = true,
};
