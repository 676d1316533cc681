// SPDX-License-Identifier: MIT
/*
 * Conditional puts (POST /v3/kv/txn), prefix ranges and compaction.
 *
 * A conditional put is a transaction of one comparison and one put:
 * create_revision == 0 (the key does not exist) for etcd_create,
 * mod_revision == N (nobody wrote it since it was read) for etcd_replace.
 * etcd's answer has "succeeded": true when the comparison held; proto3
 * JSON leaves the field out when it is false.
 */
#include "etcd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base64.h"
#include "etcd_priv.h"

static int etcd_add_int64(cJSON *obj, const char *name, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return cJSON_AddStringToObject(obj, name, num) ? 0 : -ENOMEM;
}

/* {"request_put": {"key", "value", "lease"}} */
static cJSON *etcd_put_op(const char *key, const char *val, size_t len,
			  int64_t lease)
{
	cJSON *op = cJSON_CreateObject();
	cJSON *put = cJSON_AddObjectToObject(op, "request_put");

	if (!put || etcd_add_b64(put, "key", key, strlen(key)) ||
	    etcd_add_b64(put, "value", val ? val : "", len) ||
	    (lease && etcd_add_int64(put, "lease", lease))) {
		cJSON_Delete(op);
		return NULL;
	}
	return op;
}

/* {"key", "target": CREATE|MOD, "result": "EQUAL", field: rev} */
static cJSON *etcd_compare(const char *key, const char *target,
			   const char *field, int64_t rev)
{
	cJSON *cmp = cJSON_CreateObject();

	if (!cmp || etcd_add_b64(cmp, "key", key, strlen(key)) ||
	    !cJSON_AddStringToObject(cmp, "target", target) ||
	    !cJSON_AddStringToObject(cmp, "result", "EQUAL") ||
	    etcd_add_int64(cmp, field, rev)) {
		cJSON_Delete(cmp);
		return NULL;
	}
	return cmp;
}

/* Puts key when the comparison holds: 1 when it did, 0 when not. */
static int etcd_put_if(struct etcd *e, const char *key, const char *val,
		       size_t len, int64_t lease, const char *target,
		       const char *field, int64_t rev)
{
	cJSON *req, *cmps, *ops, *cmp, *op, *resp = NULL;
	const cJSON *ok;
	int ret;

	if (!e || (!val && len))
		return -EINVAL;
	if (!key || !*key) {
		etcd_seterr(e, "empty key");
		return -EINVAL;
	}
	req = cJSON_CreateObject();
	cmps = cJSON_AddArrayToObject(req, "compare");
	ops = cJSON_AddArrayToObject(req, "success");
	cmp = etcd_compare(key, target, field, rev);
	if (cmp && !cJSON_AddItemToArray(cmps, cmp)) {
		cJSON_Delete(cmp);
		cmp = NULL;
	}
	op = etcd_put_op(key, val, len, lease);
	if (op && !cJSON_AddItemToArray(ops, op)) {
		cJSON_Delete(op);
		op = NULL;
	}
	if (!req || !cmps || !ops || !cmp || !op) {
		cJSON_Delete(req);
		etcd_seterr(e, "out of memory");
		return -ENOMEM;
	}
	ret = etcd_call(e, "/v3/kv/txn", req, &resp);
	cJSON_Delete(req);
	if (!ret) {
		ok = cJSON_GetObjectItemCaseSensitive(resp, "succeeded");
		if (ok && !cJSON_IsBool(ok)) {
			etcd_seterr(e, "%s: malformed txn answer for %s",
				    e->endpoints[e->cur], key);
			ret = -EPROTO;
		} else {
			ret = cJSON_IsTrue(ok);
		}
	}
	cJSON_Delete(resp);
	return ret;
}

int etcd_create(struct etcd *e, const char *key, const char *val, size_t len,
		int64_t lease)
{
	int ret = etcd_put_if(e, key, val, len, lease, "CREATE",
			      "create_revision", 0);

	if (ret == 0) {
		etcd_seterr(e, "%s: key exists", key);
		return -EEXIST;
	}
	return ret < 0 ? ret : 0;
}

int etcd_replace(struct etcd *e, const char *key, const char *val,
		 size_t len, int64_t lease, int64_t mod_revision)
{
	int ret;

	if (e && mod_revision <= 0) {
		etcd_seterr(e, "%s: no revision to compare with", key);
		return -EINVAL;
	}
	ret = etcd_put_if(e, key, val, len, lease, "MOD", "mod_revision",
			  mod_revision);
	if (ret == 0) {
		etcd_seterr(e, "%s: changed since revision %" PRId64, key,
			    mod_revision);
		return -ECANCELED;
	}
	return ret < 0 ? ret : 0;
}

/*
 * The end of the range of keys starting with prefix: prefix with its last
 * byte below 0xff incremented and the rest cut. "\0" (every key after the
 * start) when there is no such byte. *len is the length of the end.
 */
static char *etcd_prefix_end(const char *prefix, size_t *len)
{
	size_t n = strlen(prefix);
	char *end;

	while (n && (unsigned char)prefix[n - 1] == 0xff)
		n--;
	end = malloc(n ? n : 1);
	if (!end)
		return NULL;
	if (!n) {
		end[0] = '\0';
		*len = 1;
		return end;
	}
	memcpy(end, prefix, n);
	end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
	*len = n;
	return end;
}

/* {"key": prefix or "\0", "range_end": end-of-prefix} */
int etcd_prefix_request(const char *prefix, cJSON **out)
{
	cJSON *req = cJSON_CreateObject();
	size_t end_len;
	char *end = etcd_prefix_end(prefix, &end_len);
	int ret = -ENOMEM;

	if (!req || !end)
		goto out;
	/* an empty prefix: from the lowest key "\0" to the end */
	if (*prefix)
		ret = etcd_add_b64(req, "key", prefix, strlen(prefix));
	else
		ret = etcd_add_b64(req, "key", "", 1);
	if (!ret)
		ret = etcd_add_b64(req, "range_end", end, end_len);
out:
	free(end);
	if (ret) {
		cJSON_Delete(req);
		return ret;
	}
	*out = req;
	return 0;
}

/* A base64 string field, decoded; absent means empty. */
static int etcd_b64_field(const cJSON *obj, const char *name, char **out,
			  size_t *len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!v) {
		*out = strdup("");
		*len = 0;
		return *out ? 0 : -ENOMEM;
	}
	if (!cJSON_IsString(v))
		return -EPROTO;
	switch (base64_decode(v->valuestring, strlen(v->valuestring), out,
			      len)) {
	case 0:
		return 0;
	case -ENOMEM:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

void etcd_kv_clear(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->val);
	memset(kv, 0, sizeof(*kv));
}

int etcd_kv_decode(const cJSON *kv, struct etcd_kv *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(kv))
		return -EPROTO;
	if (etcd_json_int64(cJSON_GetObjectItemCaseSensitive(kv,
			    "mod_revision"), &out->mod_revision) ||
	    etcd_json_int64(cJSON_GetObjectItemCaseSensitive(kv,
			    "create_revision"), &out->create_revision) ||
	    etcd_json_int64(cJSON_GetObjectItemCaseSensitive(kv, "lease"),
			    &out->lease) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(kv, "key")))
		return -EPROTO;
	ret = etcd_b64_field(kv, "key", &out->key, &out->key_len);
	if (!ret)
		ret = etcd_b64_field(kv, "value", &out->val, &out->len);
	if (!ret && (!out->key_len || out->mod_revision <= 0))
		ret = -EPROTO;
	if (ret)
		etcd_kv_clear(out);
	return ret;
}

void etcd_kvs_free(struct etcd_kv *kvs, size_t n)
{
	if (!kvs)
		return;
	for (size_t i = 0; i < n; i++)
		etcd_kv_clear(&kvs[i]);
	free(kvs);
}

int etcd_header_revision(const cJSON *resp, int64_t *rev)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(resp, "header");

	if (!cJSON_IsObject(h) ||
	    etcd_json_int64(cJSON_GetObjectItemCaseSensitive(h, "revision"),
			    rev) || *rev < 0)
		return -EPROTO;
	return 0;
}

static int etcd_range_kvs(const cJSON *resp, struct etcd_kv **kvs,
			  size_t *n)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(resp, "kvs");
	const cJSON *item;
	struct etcd_kv *out;
	size_t i = 0;
	int ret;

	*kvs = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return -EPROTO;
	if (!cJSON_GetArraySize(arr))
		return 0;
	out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*out));
	if (!out)
		return -ENOMEM;
	cJSON_ArrayForEach(item, arr) {
		ret = etcd_kv_decode(item, &out[i]);
		if (ret) {
			etcd_kvs_free(out, i);
			return ret;
		}
		i++;
	}
	*kvs = out;
	*n = i;
	return 0;
}

int etcd_range_prefix(struct etcd *e, const char *prefix,
		      struct etcd_kv **kvs, size_t *n, int64_t *revision)
{
	cJSON *req, *resp = NULL;
	int64_t rev;
	int ret;

	if (!e || !prefix || !kvs || !n)
		return -EINVAL;
	*kvs = NULL;
	*n = 0;
	ret = etcd_prefix_request(prefix, &req);
	if (ret) {
		etcd_seterr(e, "out of memory");
		return ret;
	}
	ret = etcd_call(e, "/v3/kv/range", req, &resp);
	cJSON_Delete(req);
	if (!ret) {
		ret = etcd_header_revision(resp, &rev);
		if (!ret)
			ret = etcd_range_kvs(resp, kvs, n);
		if (ret == -EPROTO)
			etcd_seterr(e, "%s: malformed range answer for prefix "
				    "%s", e->endpoints[e->cur], prefix);
		else if (ret)
			etcd_seterr(e, "out of memory");
		else if (revision)
			*revision = rev;
	}
	cJSON_Delete(resp);
	return ret;
}

int etcd_compact(struct etcd *e, int64_t revision)
{
	cJSON *req, *resp = NULL;
	int ret;

	if (!e)
		return -EINVAL;
	if (revision <= 0) {
		etcd_seterr(e, "compaction: bad revision %" PRId64, revision);
		return -EINVAL;
	}
	req = cJSON_CreateObject();
	if (!req || etcd_add_int64(req, "revision", revision) ||
	    !cJSON_AddTrueToObject(req, "physical")) {
		cJSON_Delete(req);
		etcd_seterr(e, "out of memory");
		return -ENOMEM;
	}
	ret = etcd_call(e, "/v3/kv/compaction", req, &resp);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return ret;
}
