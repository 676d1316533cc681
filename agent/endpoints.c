// SPDX-License-Identifier: MIT
#include "endpoints.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "fsutil.h"
#include "log.h"
#include "mac.h"

struct endpoints {
	char path[PATH_MAX];
	struct endpoint *v;
	size_t n;
};

size_t endpoints_count(const struct endpoints *eps)
{
	return eps->n;
}

const struct endpoint *endpoints_at(const struct endpoints *eps, size_t i)
{
	return i < eps->n ? &eps->v[i] : NULL;
}

static ssize_t find(const struct endpoints *eps, const char *container)
{
	for (size_t i = 0; i < eps->n; i++)
		if (!strcmp(eps->v[i].container, container))
			return (ssize_t)i;
	return -1;
}

const struct endpoint *endpoints_find(const struct endpoints *eps,
				      const char *container)
{
	ssize_t i = find(eps, container);

	return i < 0 ? NULL : &eps->v[i];
}

static int copy_str(char *dst, size_t len, const cJSON *o, const char *key,
		    bool required, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v && !required) {
		dst[0] = '\0';
		return 0;
	}
	if (!cJSON_IsString(v) || !*v->valuestring ||
	    strlen(v->valuestring) >= len) {
		snprintf(err, errlen, "endpoint.%s: expected a string of 1..%zu bytes",
			 key, len - 1);
		return -EINVAL;
	}
	strcpy(dst, v->valuestring);
	return 0;
}

int endpoint_from_json(const cJSON *o, struct endpoint *ep, char *err,
		       size_t errlen)
{
	char ip[IP4_STRLEN], mac[MAC_STRLEN];
	const cJSON *idx;
	int ret;

	memset(ep, 0, sizeof(*ep));
	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen, "endpoint: expected an object");
		return -EINVAL;
	}
	ret = copy_str(ep->container, sizeof(ep->container), o, "container", true, err, errlen);
	if (!ret)
		ret = copy_str(ep->pod, sizeof(ep->pod), o, "pod", false, err, errlen);
	if (!ret)
		ret = copy_str(ep->ns, sizeof(ep->ns), o, "namespace", false, err, errlen);
	if (!ret)
		ret = copy_str(ep->ifname, sizeof(ep->ifname), o, "ifname", true, err, errlen);
	if (!ret)
		ret = copy_str(ep->netns, sizeof(ep->netns), o, "netns", false, err, errlen);
	if (!ret)
		ret = copy_str(ip, sizeof(ip), o, "ip", true, err, errlen);
	if (!ret)
		ret = copy_str(mac, sizeof(mac), o, "mac", true, err, errlen);
	if (ret)
		return ret;
	if (ip4_parse(ip, &ep->ip)) {
		snprintf(err, errlen, "endpoint.ip: \"%s\" is not an IPv4 address", ip);
		return -EINVAL;
	}
	if (mac_parse(mac, ep->mac)) {
		snprintf(err, errlen, "endpoint.mac: \"%s\" is not a MAC address", mac);
		return -EINVAL;
	}
	idx = cJSON_GetObjectItemCaseSensitive(o, "ifindex");
	if (!cJSON_IsNumber(idx) || idx->valuedouble < 1 ||
	    idx->valuedouble > INT_MAX || idx->valuedouble != (int)idx->valuedouble) {
		snprintf(err, errlen, "endpoint.ifindex: expected a positive integer");
		return -EINVAL;
	}
	ep->ifindex = idx->valueint;
	return 0;
}

cJSON *endpoint_to_json(const struct endpoint *ep)
{
	char ip[IP4_STRLEN], mac[MAC_STRLEN];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "container", ep->container);
	if (*ep->pod)
		cJSON_AddStringToObject(o, "pod", ep->pod);
	if (*ep->ns)
		cJSON_AddStringToObject(o, "namespace", ep->ns);
	cJSON_AddStringToObject(o, "ip", ip4_format(ep->ip, ip));
	cJSON_AddStringToObject(o, "ifname", ep->ifname);
	cJSON_AddNumberToObject(o, "ifindex", ep->ifindex);
	cJSON_AddStringToObject(o, "mac", mac_format(ep->mac, mac));
	if (*ep->netns)
		cJSON_AddStringToObject(o, "netns", ep->netns);
	return o;
}

static int save(const struct endpoints *eps)
{
	cJSON *arr = cJSON_CreateArray();
	char *out;
	int ret;

	for (size_t i = 0; i < eps->n; i++)
		cJSON_AddItemToArray(arr, endpoint_to_json(&eps->v[i]));
	out = cJSON_Print(arr);
	cJSON_Delete(arr);
	if (!out)
		return -ENOMEM;
	ret = write_file(eps->path, out, strlen(out), 0644);
	free(out);
	return ret;
}

static int load(struct endpoints *eps)
{
	char *buf, err[256];
	const cJSON *o;
	cJSON *arr;
	int ret = read_file(eps->path, &buf, NULL);

	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	arr = cJSON_Parse(buf);
	free(buf);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		log_warn("%s: not a JSON array; starting with no endpoints", eps->path);
		return 0;
	}
	cJSON_ArrayForEach(o, arr) {
		struct endpoint ep;

		if (endpoint_from_json(o, &ep, err, sizeof(err))) {
			log_warn("%s: skipping an entry: %s", eps->path, err);
			continue;
		}
		ret = endpoints_put(eps, &ep);
		if (ret)
			break;
	}
	cJSON_Delete(arr);
	return ret;
}

int endpoints_open(const char *path, struct endpoints **out)
{
	struct endpoints *eps = calloc(1, sizeof(*eps));
	int ret;

	if (!eps)
		return -ENOMEM;
	if (strlen(path) >= sizeof(eps->path)) {
		free(eps);
		return -ENAMETOOLONG;
	}
	strcpy(eps->path, path);
	ret = load(eps);
	if (ret) {
		endpoints_close(eps);
		return ret;
	}
	*out = eps;
	return 0;
}

void endpoints_close(struct endpoints *eps)
{
	if (!eps)
		return;
	free(eps->v);
	free(eps);
}

int endpoints_put(struct endpoints *eps, const struct endpoint *ep)
{
	ssize_t i = find(eps, ep->container);
	struct endpoint *tmp;

	if (i < 0) {
		tmp = realloc(eps->v, (eps->n + 1) * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		eps->v = tmp;
		i = (ssize_t)eps->n++;
	}
	eps->v[i] = *ep;
	return save(eps);
}

int endpoints_del(struct endpoints *eps, const char *container)
{
	ssize_t i = find(eps, container);

	if (i < 0)
		return -ENOENT;
	eps->v[i] = eps->v[--eps->n];
	return save(eps);
}
