// SPDX-License-Identifier: MIT
/* Many keys created in one transaction; see etcd_batch.h. The request is
 * the one etcd_create sends with n comparisons and n puts. */
#include "etcd_batch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "etcd_priv.h"

/* {"key", "target": "CREATE", "result": "EQUAL", "create_revision": "0"} */
static cJSON *not_exists(const char *key)
{
	cJSON *cmp = cJSON_CreateObject();

	if (!cmp || etcd_add_b64(cmp, "key", key, strlen(key)) ||
	    !cJSON_AddStringToObject(cmp, "target", "CREATE") ||
	    !cJSON_AddStringToObject(cmp, "result", "EQUAL") ||
	    !cJSON_AddStringToObject(cmp, "create_revision", "0")) {
		cJSON_Delete(cmp);
		return NULL;
	}
	return cmp;
}

/* {"request_put": {"key", "value"}} */
static cJSON *put_op(const struct etcd_put *p)
{
	cJSON *op = cJSON_CreateObject();
	cJSON *put = cJSON_AddObjectToObject(op, "request_put");

	if (!put || etcd_add_b64(put, "key", p->key, strlen(p->key)) ||
	    etcd_add_b64(put, "value", p->val ? p->val : "", p->len)) {
		cJSON_Delete(op);
		return NULL;
	}
	return op;
}

static cJSON *request(const struct etcd_put *puts, size_t n)
{
	cJSON *req = cJSON_CreateObject();
	cJSON *cmps = cJSON_AddArrayToObject(req, "compare");
	cJSON *ops = cJSON_AddArrayToObject(req, "success");

	if (!cmps || !ops) {
		cJSON_Delete(req);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *cmp = not_exists(puts[i].key), *op = put_op(&puts[i]);

		if (!cmp || !op || !cJSON_AddItemToArray(cmps, cmp)) {
			cJSON_Delete(cmp);
			cJSON_Delete(op);
			cJSON_Delete(req);
			return NULL;
		}
		if (!cJSON_AddItemToArray(ops, op)) {
			cJSON_Delete(op);
			cJSON_Delete(req);
			return NULL;
		}
	}
	return req;
}

int etcd_create_many(struct etcd *e, const struct etcd_put *puts, size_t n,
		     int64_t *revision)
{
	cJSON *req, *resp = NULL;
	const cJSON *ok;
	int ret;

	if (!e)
		return -EINVAL;
	if (!puts || !n || n > ETCD_TXN_OPS_MAX) {
		etcd_seterr(e, "a transaction takes 1 to %d keys", ETCD_TXN_OPS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!puts[i].key || !*puts[i].key || (!puts[i].val && puts[i].len)) {
			etcd_seterr(e, "empty key or missing value");
			return -EINVAL;
		}
	req = request(puts, n);
	if (!req) {
		etcd_seterr(e, "out of memory");
		return -ENOMEM;
	}
	ret = etcd_call(e, "/v3/kv/txn", req, &resp);
	cJSON_Delete(req);
	if (!ret) {
		ok = cJSON_GetObjectItemCaseSensitive(resp, "succeeded");
		if (ok && !cJSON_IsBool(ok)) {
			etcd_seterr(e, "%s: malformed txn answer", e->endpoints[e->cur]);
			ret = -EPROTO;
		} else if (!cJSON_IsTrue(ok)) {
			etcd_seterr(e, "one of %zu keys exists (first: %s)", n,
				    puts[0].key);
			ret = -EEXIST;
		} else if (revision && etcd_header_revision(resp, revision)) {
			etcd_seterr(e, "%s: txn answer without a revision",
				    e->endpoints[e->cur]);
			ret = -EPROTO;
		}
	}
	cJSON_Delete(resp);
	return ret;
}
