// SPDX-License-Identifier: MIT
/* CNI JSON out (results, errors, versions) and in (prevResult). The result
 * of spec 0.3.0 to 0.4.0 differs from 1.0.0 only in the "version" field
 * each IP carries, so one writer serves all of them. */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"

const char *const cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", NULL };

bool cni_version_supported(const char *v)
{
	if (!v)
		return false;
	for (const char *const *p = cni_versions; *p; p++)
		if (!strcmp(*p, v))
			return true;
	return false;
}

unsigned cni_errf(struct cni_err *e, unsigned code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->details[0] = '\0';
	return code;
}

void cni_err_details(struct cni_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
}

/* Prints and frees root; NULL when anything was out of memory. */
static char *print_free(cJSON *root, bool ok)
{
	char *s = ok && root ? cJSON_PrintUnformatted(root) : NULL;

	cJSON_Delete(root);
	return s;
}

static bool add_iface(cJSON *ifs, const char *name, const char *mac,
		      const char *sandbox)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(ifs, o))
		return cJSON_Delete(o), false;
	if (!cJSON_AddStringToObject(o, "name", name))
		return false;
	if (*mac && !cJSON_AddStringToObject(o, "mac", mac))
		return false;
	return !sandbox || cJSON_AddStringToObject(o, "sandbox", sandbox);
}

static bool add_ip(cJSON *ips, const struct cni_result *r, bool v1)
{
	char addr[CIDR_STRLEN], gw[IP4_STRLEN];
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(ips, o))
		return cJSON_Delete(o), false;
	/* Not cidr_format: the host bits are the point here. */
	snprintf(addr, sizeof(addr), "%s/%u", ip4_format(r->ip, gw),
		 r->prefixlen);
	if (!v1 && !cJSON_AddStringToObject(o, "version", "4"))
		return false;
	return cJSON_AddStringToObject(o, "address", addr) &&
	       cJSON_AddStringToObject(o, "gateway", ip4_format(r->gateway, gw)) &&
	       cJSON_AddNumberToObject(o, "interface", 1);
}

static bool add_default_route(cJSON *routes, uint32_t gateway)
{
	char gw[IP4_STRLEN];
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(routes, o))
		return cJSON_Delete(o), false;
	return cJSON_AddStringToObject(o, "dst", "0.0.0.0/0") &&
	       cJSON_AddStringToObject(o, "gw", ip4_format(gateway, gw));
}

static bool add_dns(cJSON *root, const cJSON *dns)
{
	cJSON *d = dns ? cJSON_Duplicate(dns, 1) : cJSON_CreateObject();

	if (!d || !cJSON_AddItemToObject(root, "dns", d))
		return cJSON_Delete(d), false;
	return true;
}

char *cni_result_json(const struct cni_result *r, const char *version)
{
	cJSON *root = cJSON_CreateObject(), *ifs, *ips, *routes;
	bool v1 = !strcmp(version, "1.0.0"), ok;

	if (!root)
		return NULL;
	ok = cJSON_AddStringToObject(root, "cniVersion", version) &&
	     (ifs = cJSON_AddArrayToObject(root, "interfaces")) &&
	     add_iface(ifs, r->host_ifname, r->host_mac, NULL) &&
	     add_iface(ifs, r->pod_ifname, r->pod_mac, r->sandbox) &&
	     (ips = cJSON_AddArrayToObject(root, "ips")) &&
	     add_ip(ips, r, v1) &&
	     (routes = cJSON_AddArrayToObject(root, "routes")) &&
	     add_default_route(routes, r->gateway) &&
	     add_dns(root, r->dns);
	return print_free(root, ok);
}

char *cni_error_json(const struct cni_err *e, const char *version)
{
	cJSON *root = cJSON_CreateObject();
	bool ok;

	if (!root)
		return NULL;
	ok = cJSON_AddStringToObject(root, "cniVersion",
				     version ? version : CNI_VERSION_LATEST) &&
	     cJSON_AddNumberToObject(root, "code", e->code) &&
	     cJSON_AddStringToObject(root, "msg", e->msg) &&
	     (!e->details[0] ||
	      cJSON_AddStringToObject(root, "details", e->details));
	return print_free(root, ok);
}

char *cni_version_json(void)
{
	cJSON *root = cJSON_CreateObject(), *list;
	bool ok;

	if (!root)
		return NULL;
	ok = cJSON_AddStringToObject(root, "cniVersion", CNI_VERSION_LATEST) &&
	     (list = cJSON_CreateStringArray(cni_versions,
			(int)(sizeof(cni_versions) / sizeof(*cni_versions) - 1)));
	if (ok && !cJSON_AddItemToObject(root, "supportedVersions", list)) {
		cJSON_Delete(list);
		ok = false;
	}
	return print_free(root, ok);
}

int cni_ipnet_parse(const char *s, uint32_t *ip, uint8_t *len)
{
	char buf[IP4_STRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	struct cidr c;

	if (!slash || (size_t)(slash - s) >= sizeof(buf) ||
	    cidr_parse(s, &c, true))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (ip4_parse(buf, ip))
		return -1;
	*len = c.len;
	return 0;
}

/* --- prevResult --- */

static const char *str_field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* Index of the pod interface (named ifname, with a sandbox), or -1; also
 * notes the first host-side interface (no sandbox). */
static int prev_find_ifaces(const cJSON *ifs, const char *ifname,
			    struct cni_prev *out)
{
	const cJSON *it;
	int i = 0, found = -1;

	cJSON_ArrayForEach(it, ifs) {
		const char *name = str_field(it, "name");
		const char *sandbox = str_field(it, "sandbox");

		if (name && sandbox && *sandbox && !strcmp(name, ifname) &&
		    found < 0) {
			found = i;
			copy_str(out->pod_mac, sizeof(out->pod_mac),
				 str_field(it, "mac"));
		} else if (name && (!sandbox || !*sandbox) &&
			   !out->host_ifname[0] && strlen(name) < IFNAMSIZ) {
			copy_str(out->host_ifname, sizeof(out->host_ifname),
				 name);
		}
		i++;
	}
	return found;
}

/* The IPv4 address of interface idx: an entry naming idx, or the only
 * entry when none names an interface. */
static const char *prev_find_ip(const cJSON *ips, int idx)
{
	const cJSON *it, *only = NULL;
	int n = 0;

	cJSON_ArrayForEach(it, ips) {
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(it, "interface");
		const char *a = str_field(it, "address");

		if (!a || strchr(a, ':'))
			continue; /* not IPv4 */
		if (cJSON_IsNumber(i) && i->valuedouble == idx)
			return a;
		if (!i) {
			only = it;
			n++;
		}
	}
	return n == 1 ? str_field(only, "address") : NULL;
}

unsigned cni_prev_parse(const cJSON *prev, const char *ifname,
			struct cni_prev *out, struct cni_err *e)
{
	const cJSON *ifs, *ips;
	const char *addr;
	int idx;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(prev))
		return cni_errf(e, CNI_ERR_CONFIG,
				"prevResult: missing (CHECK needs the result of ADD)");
	ifs = cJSON_GetObjectItemCaseSensitive(prev, "interfaces");
	ips = cJSON_GetObjectItemCaseSensitive(prev, "ips");
	if (!cJSON_IsArray(ifs) || !cJSON_IsArray(ips))
		return cni_errf(e, CNI_ERR_CONFIG,
				"prevResult: expected arrays \"interfaces\" and \"ips\"");
	idx = prev_find_ifaces(ifs, ifname, out);
	if (idx < 0)
		return cni_errf(e, CNI_ERR_CONFIG,
				"prevResult: no interface \"%s\" with a sandbox",
				ifname);
	addr = prev_find_ip(ips, idx);
	if (!addr)
		return cni_errf(e, CNI_ERR_CONFIG,
				"prevResult: no IPv4 address for interface \"%s\"",
				ifname);
	if (cni_ipnet_parse(addr, &out->ip, &out->prefixlen))
		return cni_errf(e, CNI_ERR_CONFIG,
				"prevResult: address \"%s\" is no IPv4 prefix", addr);
	return 0;
}
