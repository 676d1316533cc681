// SPDX-License-Identifier: MIT
#include "netconf.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VNI_MAX 16777215u
#define SUBNET_LEN_MAX 30

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t subnet_size(uint8_t len)
{
	return len >= 1 && len <= 32 ? (uint32_t)1 << (32 - len) : 0;
}

void netconf_defaults(struct net_config *c, unsigned given)
{
	uint32_t last = c->network.addr | ~cidr_mask(c->network.len);

	if (!(given & NETCONF_SUBNET_LEN))
		c->subnet_len = c->network.len < 24 ? 24 : c->network.len + 1;
	if (!(given & NETCONF_SUBNET_MIN))
		c->subnet_min = c->network.addr + subnet_size(c->subnet_len);
	if (!(given & NETCONF_SUBNET_MAX))
		c->subnet_max = last - subnet_size(c->subnet_len) + 1;
	if (!(given & NETCONF_BACKEND_TYPE))
		snprintf(c->backend_type, sizeof(c->backend_type), "vxlan");
	if (!(given & NETCONF_VNI))
		c->vni = 1;
	if (!(given & NETCONF_PORT))
		c->port = 8472;
}

/* One end of the subnet range: inside Network, at a subnet boundary. */
static int check_bound(const struct net_config *c, const char *field,
		       uint32_t addr, char *err, size_t errlen)
{
	char ip[IP4_STRLEN], net[CIDR_STRLEN], start[IP4_STRLEN];

	if (!cidr_contains(&c->network, addr))
		return fail(err, errlen, "%s: %s is outside Network %s "
			    "(expected an address inside it)", field,
			    ip4_format(addr, ip),
			    cidr_format(&c->network, net));
	if (addr & ~cidr_mask(c->subnet_len))
		return fail(err, errlen, "%s: %s is not the start of a /%u "
			    "subnet (expected e.g. %s)", field,
			    ip4_format(addr, ip), c->subnet_len,
			    ip4_format(addr & cidr_mask(c->subnet_len), start));
	return 0;
}

int netconf_validate(const struct net_config *c, char *err, size_t errlen)
{
	char a[IP4_STRLEN], b[IP4_STRLEN];

	if (c->network.len > 32 ||
	    (c->network.addr & ~cidr_mask(c->network.len)))
		return fail(err, errlen, "Network: %s/%u is not a network "
			    "address (expected host bits zero, e.g. "
			    "11.0.0.0/8)",
			    ip4_format(c->network.addr, a), c->network.len);
	if (c->network.len >= SUBNET_LEN_MAX)
		return fail(err, errlen, "Network: %s/%u is too small to split "
			    "into subnets (expected /%u or shorter)",
			    ip4_format(c->network.addr, a), c->network.len,
			    SUBNET_LEN_MAX - 1);
	if (c->subnet_len <= c->network.len || c->subnet_len > SUBNET_LEN_MAX)
		return fail(err, errlen, "SubnetLen: %u is out of range "
			    "(expected %u to %u: longer than Network's /%u)",
			    c->subnet_len, c->network.len + 1, SUBNET_LEN_MAX,
			    c->network.len);
	if (check_bound(c, "SubnetMin", c->subnet_min, err, errlen) ||
	    check_bound(c, "SubnetMax", c->subnet_max, err, errlen))
		return -1;
	if (c->subnet_max < c->subnet_min)
		return fail(err, errlen, "SubnetMax: %s is below SubnetMin %s "
			    "(expected SubnetMin <= SubnetMax)",
			    ip4_format(c->subnet_max, a),
			    ip4_format(c->subnet_min, b));
	if (strncmp(c->backend_type, "vxlan", sizeof(c->backend_type)))
		return fail(err, errlen, "Backend.Type: \"%.*s\" is not "
			    "supported (expected vxlan, the only backend "
			    "knetsim implements)", (int)sizeof(c->backend_type),
			    c->backend_type);
	if (c->vni < 1 || c->vni > VNI_MAX)
		return fail(err, errlen, "Backend.VNI: %u is out of range "
			    "(expected 1 to %u)", c->vni, VNI_MAX);
	if (c->port < 1)
		return fail(err, errlen, "Backend.Port: %u is out of range "
			    "(expected 1 to 65535)", c->port);
	return 0;
}

uint64_t netconf_subnet_count(const struct net_config *c)
{
	if (c->subnet_len < 1 || c->subnet_len > 32 ||
	    c->subnet_max < c->subnet_min)
		return 0;
	return ((uint64_t)(c->subnet_max - c->subnet_min) >>
		(32 - c->subnet_len)) + 1;
}

char *netconf_to_json(const struct net_config *c)
{
	char net[CIDR_STRLEN], min[IP4_STRLEN], max[IP4_STRLEN];
	cJSON *root = cJSON_CreateObject(), *be = cJSON_CreateObject();
	char *out = NULL;

	if (!root || !be || !cJSON_AddItemToObject(root, "Network",
			cJSON_CreateString(cidr_format(&c->network, net))))
		goto out;
	if (!cJSON_AddNumberToObject(root, "SubnetLen", c->subnet_len) ||
	    !cJSON_AddStringToObject(root, "SubnetMin",
				     ip4_format(c->subnet_min, min)) ||
	    !cJSON_AddStringToObject(root, "SubnetMax",
				     ip4_format(c->subnet_max, max)) ||
	    !cJSON_AddStringToObject(be, "Type", c->backend_type) ||
	    !cJSON_AddNumberToObject(be, "VNI", c->vni) ||
	    !cJSON_AddNumberToObject(be, "Port", c->port))
		goto out;
	cJSON_AddItemToObject(root, "Backend", be);
	be = NULL;
	out = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(be);
	cJSON_Delete(root);
	return out;
}

/* A JSON object's members, each at most once and each one known. */
static int check_members(const cJSON *obj, const char *prefix,
			 const char *const *known, const char *expected,
			 char *err, size_t errlen)
{
	for (const cJSON *m = obj->child; m; m = m->next) {
		size_t i;

		for (i = 0; known[i] && strcmp(known[i], m->string); i++)
			;
		if (!known[i])
			return fail(err, errlen, "%s%s: unknown field "
				    "(expected one of %s)", prefix, m->string,
				    expected);
		for (const cJSON *o = obj->child; o != m; o = o->next)
			if (!strcmp(o->string, m->string))
				return fail(err, errlen, "%s%s: given twice",
					    prefix, m->string);
	}
	return 0;
}

static const cJSON *member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static int json_uint(const cJSON *v, const char *field, uint32_t min,
		     uint32_t max, uint32_t *out, char *err, size_t errlen)
{
	double d;

	if (!cJSON_IsNumber(v))
		return fail(err, errlen, "%s: expected a number from %u to %u",
			    field, min, max);
	d = v->valuedouble;
	if (!(d >= min && d <= max) || d != (double)(uint32_t)d)
		return fail(err, errlen, "%s: %g is out of range (expected an "
			    "integer from %u to %u)", field, d, min, max);
	*out = (uint32_t)d;
	return 0;
}

static int json_ip(const cJSON *v, const char *field, uint32_t *out,
		   char *err, size_t errlen)
{
	if (!cJSON_IsString(v))
		return fail(err, errlen, "%s: expected a string", field);
	if (ip4_parse(v->valuestring, out))
		return fail(err, errlen, "%s: \"%s\" is not an IPv4 address "
			    "(expected e.g. 11.10.0.0)", field, v->valuestring);
	return 0;
}

static int parse_backend(const cJSON *be, struct net_config *c,
			 unsigned *given, char *err, size_t errlen)
{
	static const char *const known[] = { "Type", "VNI", "Port", NULL };
	const cJSON *v;
	uint32_t n;

	if (!cJSON_IsObject(be))
		return fail(err, errlen, "Backend: expected an object");
	if (check_members(be, "Backend.", known, "Type, VNI, Port", err,
			  errlen))
		return -1;
	v = member(be, "Type");
	if (v) {
		if (!cJSON_IsString(v))
			return fail(err, errlen, "Backend.Type: expected a "
				    "string");
		if (strlen(v->valuestring) >= sizeof(c->backend_type))
			return fail(err, errlen, "Backend.Type: \"%s\" is not "
				    "supported (expected vxlan)",
				    v->valuestring);
		strcpy(c->backend_type, v->valuestring);
		*given |= NETCONF_BACKEND_TYPE;
	}
	v = member(be, "VNI");
	if (v) {
		if (json_uint(v, "Backend.VNI", 1, VNI_MAX, &c->vni, err,
			      errlen))
			return -1;
		*given |= NETCONF_VNI;
	}
	v = member(be, "Port");
	if (v) {
		if (json_uint(v, "Backend.Port", 1, 65535, &n, err, errlen))
			return -1;
		c->port = (uint16_t)n;
		*given |= NETCONF_PORT;
	}
	return 0;
}

static int parse_config(const cJSON *root, struct net_config *c, char *err,
			size_t errlen)
{
	static const char *const known[] = { "Network", "SubnetLen",
		"SubnetMin", "SubnetMax", "Backend", NULL };
	unsigned given = 0;
	const cJSON *v;
	uint32_t n;

	if (!cJSON_IsObject(root))
		return fail(err, errlen, "expected a JSON object");
	if (check_members(root, "", known, "Network, SubnetLen, SubnetMin, "
			  "SubnetMax, Backend", err, errlen))
		return -1;
	v = member(root, "Network");
	if (!v)
		return fail(err, errlen, "Network: missing (expected e.g. "
			    "\"11.0.0.0/8\")");
	if (!cJSON_IsString(v))
		return fail(err, errlen, "Network: expected a string");
	if (cidr_parse(v->valuestring, &c->network, false))
		return fail(err, errlen, "Network: \"%s\" is not a network "
			    "address (expected e.g. 11.0.0.0/8)",
			    v->valuestring);
	v = member(root, "SubnetLen");
	if (v) {
		if (json_uint(v, "SubnetLen", 1, 32, &n, err, errlen))
			return -1;
		c->subnet_len = (uint8_t)n;
		given |= NETCONF_SUBNET_LEN;
	}
	v = member(root, "SubnetMin");
	if (v) {
		if (json_ip(v, "SubnetMin", &c->subnet_min, err, errlen))
			return -1;
		given |= NETCONF_SUBNET_MIN;
	}
	v = member(root, "SubnetMax");
	if (v) {
		if (json_ip(v, "SubnetMax", &c->subnet_max, err, errlen))
			return -1;
		given |= NETCONF_SUBNET_MAX;
	}
	v = member(root, "Backend");
	if (v && parse_backend(v, c, &given, err, errlen))
		return -1;
	netconf_defaults(c, given);
	return netconf_validate(c, err, errlen);
}

int netconf_from_json(const char *json, struct net_config *c, char *err,
		      size_t errlen)
{
	struct net_config tmp = { 0 };
	const char *end = NULL;
	cJSON *root;
	int ret;

	if (!json)
		return fail(err, errlen, "no config");
	root = cJSON_ParseWithOpts(json, &end, true);
	if (!root)
		return fail(err, errlen, "invalid JSON at byte %td",
			    end ? end - json : (ptrdiff_t)0);
	ret = parse_config(root, &tmp, err, errlen);
	cJSON_Delete(root);
	if (!ret)
		*c = tmp;
	return ret;
}
