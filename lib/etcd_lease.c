// SPDX-License-Identifier: MIT
/*
 * Leases through the gateway: grant, revoke and time-to-live are plain
 * requests; keepalive is a stream in gRPC, which the gateway answers with
 * one {"result": ...} object per request, or {"error": {"grpc_code",
 * "message"}} with HTTP 200 when the stream fails. A lease that expired
 * (or never existed) is renewed with TTL 0, which proto3 JSON leaves out.
 */
#include "etcd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "etcd_priv.h"

/* A request {"ID": id} (or {"TTL": ttl} for a grant). */
static cJSON *etcd_lease_request(const char *name, int64_t v)
{
	cJSON *req = cJSON_CreateObject();
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	if (!cJSON_AddStringToObject(req, name, num)) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

/* POST {name: v} to path; the answer in *resp. */
static int etcd_lease_call(struct etcd *e, const char *path,
			   const char *name, int64_t v, cJSON **resp)
{
	cJSON *req;
	int ret;

	*resp = NULL;
	req = etcd_lease_request(name, v);
	if (!req) {
		etcd_seterr(e, "out of memory");
		return -ENOMEM;
	}
	ret = etcd_call(e, path, req, resp);
	cJSON_Delete(req);
	return ret;
}

static int etcd_lease_malformed(struct etcd *e, const char *what, int64_t id)
{
	etcd_seterr(e, "%s: malformed %s answer for lease %" PRIx64,
		    e->endpoints[e->cur], what, (uint64_t)id);
	return -EPROTO;
}

int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *id)
{
	const cJSON *msg;
	cJSON *resp;
	int64_t got;
	int ret;

	if (!e || !id)
		return -EINVAL;
	if (ttl_s <= 0) {
		etcd_seterr(e, "lease TTL must be positive, not %" PRId64,
			    ttl_s);
		return -EINVAL;
	}
	ret = etcd_lease_call(e, "/v3/lease/grant", "TTL", ttl_s, &resp);
	if (ret)
		return ret;
	msg = cJSON_GetObjectItemCaseSensitive(resp, "error");
	if (cJSON_IsString(msg) && msg->valuestring[0]) {
		etcd_seterr(e, "%s: lease grant: %s", e->endpoints[e->cur],
			    msg->valuestring);
		ret = -EIO;
	} else if (etcd_json_int64(cJSON_GetObjectItemCaseSensitive(resp,
				   "ID"), &got) || got == 0) {
		ret = etcd_lease_malformed(e, "grant", 0);
	} else {
		*id = got;
	}
	cJSON_Delete(resp);
	return ret;
}

/* The TTL in a keepalive stream's answer. */
static int etcd_keepalive_answer(struct etcd *e, int64_t id,
				 const cJSON *resp, int64_t *ttl)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(resp, "result");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
	const cJSON *code, *msg;

	if (cJSON_IsObject(err)) {
		code = cJSON_GetObjectItemCaseSensitive(err, "grpc_code");
		msg = cJSON_GetObjectItemCaseSensitive(err, "message");
		etcd_seterr(e, "%s: lease keepalive: %s", e->endpoints[e->cur],
			    cJSON_IsString(msg) ? msg->valuestring :
			    "stream failed");
		return cJSON_IsNumber(code) ? etcd_grpc_errno(code->valueint) :
		       -EIO;
	}
	if (!cJSON_IsObject(res) ||
	    etcd_json_int64(cJSON_GetObjectItemCaseSensitive(res, "TTL"), ttl))
		return etcd_lease_malformed(e, "keepalive", id);
	return 0;
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl_s)
{
	cJSON *resp;
	int64_t ttl = 0;
	int ret;

	if (!e)
		return -EINVAL;
	ret = etcd_lease_call(e, "/v3/lease/keepalive", "ID", id, &resp);
	if (!ret)
		ret = etcd_keepalive_answer(e, id, resp, &ttl);
	cJSON_Delete(resp);
	if (!ret && ttl <= 0) {
		etcd_seterr(e, "lease %" PRIx64 " has expired", (uint64_t)id);
		ret = -ENOENT;
	}
	if (!ret && ttl_s)
		*ttl_s = ttl;
	return ret;
}

int etcd_lease_revoke(struct etcd *e, int64_t id)
{
	cJSON *resp;
	int ret;

	if (!e)
		return -EINVAL;
	ret = etcd_lease_call(e, "/v3/lease/revoke", "ID", id, &resp);
	cJSON_Delete(resp);
	return ret;
}

int etcd_lease_timetolive(struct etcd *e, int64_t id, int64_t *ttl_s,
			  int64_t *granted_ttl_s)
{
	cJSON *resp;
	int64_t ttl, granted;
	int ret;

	if (!e)
		return -EINVAL;
	ret = etcd_lease_call(e, "/v3/lease/timetolive", "ID", id, &resp);
	if (ret)
		return ret;
	if (etcd_json_int64(cJSON_GetObjectItemCaseSensitive(resp, "TTL"),
			    &ttl) ||
	    etcd_json_int64(cJSON_GetObjectItemCaseSensitive(resp,
			    "grantedTTL"), &granted)) {
		ret = etcd_lease_malformed(e, "timetolive", id);
	} else if (ttl < 0) { /* etcd says -1 for a lease it does not know */
		etcd_seterr(e, "lease %" PRIx64 " has expired", (uint64_t)id);
		ret = -ENOENT;
	} else {
		if (ttl_s)
			*ttl_s = ttl;
		if (granted_ttl_s)
			*granted_ttl_s = granted;
	}
	cJSON_Delete(resp);
	return ret;
}
