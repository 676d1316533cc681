// SPDX-License-Identifier: MIT
/* The CNI_* environment and the network config: parsed strictly, every
 * error naming the variable or field, the value and what was expected. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const char *const cmd_names[] = {
	[CNI_CMD_ADD] = "ADD",
	[CNI_CMD_DEL] = "DEL",
	[CNI_CMD_CHECK] = "CHECK",
	[CNI_CMD_VERSION] = "VERSION",
};

int cni_cmd_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(cmd_names) / sizeof(*cmd_names); i++)
		if (!strcmp(s, cmd_names[i]))
			return (int)i;
	return -1;
}

const char *cni_cmd_name(enum cni_cmd cmd)
{
	return (unsigned)cmd < sizeof(cmd_names) / sizeof(*cmd_names) ?
	       cmd_names[cmd] : "?";
}

/* --- names --- */

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* [A-Za-z0-9_.-]+, at most max bytes; first must be alphanumeric when
 * strict_first. */
static bool name_valid(const char *s, size_t max, bool strict_first)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > max)
		return false;
	if (strict_first && !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

bool cni_containerid_valid(const char *s)
{
	return name_valid(s, CNI_CONTAINERID_MAX, true);
}

/* The kernel's rules (and libcni's): 1..15 bytes, not "." or "..", no
 * '/', ':' or white space. */
bool cni_ifname_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) ||
		    !isprint((unsigned char)s[i]))
			return false;
	return true;
}

/* Absolute, printable, shorter than max. */
static bool path_valid(const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len >= max || s[0] != '/')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isprint((unsigned char)s[i]))
			return false;
	return true;
}

/* --- environment --- */

static unsigned env_need(cni_getenv_fn get, const char *var, const char **out,
			 struct cni_err *e)
{
	const char *v = get(var);

	if (!v || !*v)
		return cni_errf(e, CNI_ERR_ENV, "%s: not set", var);
	*out = v;
	return 0;
}

/* One CNI_ARGS value: a Kubernetes-like name. */
static unsigned arg_copy(const char *key, const char *val, size_t len,
			 char *out, struct cni_err *e)
{
	if (!len || len >= CNI_POD_MAX)
		return cni_errf(e, CNI_ERR_ENV,
				"CNI_ARGS: %s: expected 1 to %d characters",
				key, CNI_POD_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!name_char(val[i]))
			return cni_errf(e, CNI_ERR_ENV,
					"CNI_ARGS: %s: \"%.*s\" is not a name "
					"(expected [A-Za-z0-9_.-])",
					key, (int)len, val);
	memcpy(out, val, len);
	out[len] = '\0';
	return 0;
}

/* Arguments kubelet passes that knetsim-cni has no use for. */
static bool arg_ignored(const char *key, size_t klen)
{
	static const char *const ignored[] = {
		"K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID", NULL,
	};

	for (const char *const *p = ignored; *p; p++)
		if (strlen(*p) == klen && !strncmp(*p, key, klen))
			return true;
	return false;
}

/* IgnoreUnknown=1 (or true) anywhere in CNI_ARGS. */
static bool ignore_unknown(const char *args)
{
	static const char key[] = "IgnoreUnknown=";
	const char *p = args;

	while ((p = strstr(p, key)) != NULL) {
		const char *v = p + strlen(key);
		size_t vlen = strcspn(v, ";");

		if ((p == args || p[-1] == ';') &&
		    ((vlen == 1 && *v == '1') ||
		     (vlen == 4 && !strncasecmp(v, "true", 4))))
			return true;
		p = v;
	}
	return false;
}

/* "K=V;K=V": the pod's name and namespace; other keys are errors unless
 * IgnoreUnknown is set, as with every reference plugin. */
static unsigned args_parse(const char *args, struct cni_env *env,
			   struct cni_err *e)
{
	bool lax = ignore_unknown(args);
	const char *p = args;
	unsigned ret;

	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t klen, vlen;

		if (!eq || eq == p)
			return cni_errf(e, CNI_ERR_ENV,
					"CNI_ARGS: \"%.*s\": expected KEY=VALUE",
					(int)len, p);
		klen = (size_t)(eq - p);
		vlen = len - klen - 1;
		ret = 0;
		if (klen == 12 && !strncmp(p, "K8S_POD_NAME", klen))
			ret = arg_copy("K8S_POD_NAME", eq + 1, vlen, env->pod, e);
		else if (klen == 17 && !strncmp(p, "K8S_POD_NAMESPACE", klen))
			ret = arg_copy("K8S_POD_NAMESPACE", eq + 1, vlen,
				       env->pod_namespace, e);
		else if (!(klen == 13 && !strncmp(p, "IgnoreUnknown", klen)) &&
			 !arg_ignored(p, klen) && !lax)
			ret = cni_errf(e, CNI_ERR_ENV,
				       "CNI_ARGS: unknown argument \"%.*s\" "
				       "(set IgnoreUnknown=1 to ignore it)",
				       (int)klen, p);
		if (ret)
			return ret;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static unsigned env_netns(cni_getenv_fn get, struct cni_env *env,
			  struct cni_err *e)
{
	const char *v = get("CNI_NETNS");

	if (!v || !*v) {
		if (env->cmd == CNI_CMD_DEL)
			return 0; /* the namespace may be gone already */
		return cni_errf(e, CNI_ERR_ENV, "CNI_NETNS: not set");
	}
	if (!path_valid(v, PATH_MAX))
		return cni_errf(e, CNI_ERR_ENV,
				"CNI_NETNS: \"%s\" is not an absolute path", v);
	env->netns = v;
	return 0;
}

unsigned cni_env_parse(cni_getenv_fn get, struct cni_env *env,
		       struct cni_err *e)
{
	const char *cmd = NULL, *args;
	unsigned ret;
	int c;

	memset(env, 0, sizeof(*env));
	ret = env_need(get, "CNI_COMMAND", &cmd, e);
	if (ret)
		return ret;
	c = cni_cmd_parse(cmd);
	if (c < 0)
		return cni_errf(e, CNI_ERR_ENV,
				"CNI_COMMAND: unknown command \"%s\" "
				"(expected ADD, DEL, CHECK or VERSION)", cmd);
	env->cmd = (enum cni_cmd)c;
	if (env->cmd == CNI_CMD_VERSION)
		return 0;

	ret = env_need(get, "CNI_CONTAINERID", &env->containerid, e);
	if (ret)
		return ret;
	if (!cni_containerid_valid(env->containerid))
		return cni_errf(e, CNI_ERR_ENV,
				"CNI_CONTAINERID: \"%s\" is invalid (expected "
				"1 to %d of [A-Za-z0-9_.-], starting alphanumeric)",
				env->containerid, CNI_CONTAINERID_MAX);
	ret = env_netns(get, env, e);
	if (ret)
		return ret;
	ret = env_need(get, "CNI_IFNAME", &env->ifname, e);
	if (ret)
		return ret;
	if (!cni_ifname_valid(env->ifname))
		return cni_errf(e, CNI_ERR_ENV,
				"CNI_IFNAME: \"%s\" is not a valid interface name "
				"(1 to 15 bytes, no '/', ':' or spaces)",
				env->ifname);
	ret = env_need(get, "CNI_PATH", &env->path, e);
	if (ret)
		return ret;
	args = get("CNI_ARGS");
	return args ? args_parse(args, env, e) : 0;
}

/* --- network config --- */

enum field_kind { F_STRING, F_OBJECT, F_BOOL };

struct field {
	const char *key;
	enum field_kind kind;
};

/* Every top-level key knetsim-cni accepts: its own, then the spec's. */
static const struct field fields[] = {
	{ "cniVersion", F_STRING }, { "name", F_STRING }, { "type", F_STRING },
	{ "routing", F_STRING }, { "subnetFile", F_STRING },
	{ "dataDir", F_STRING }, { "agentSocket", F_STRING },
	{ "bridge", F_STRING },
	{ "args", F_OBJECT }, { "dns", F_OBJECT }, { "capabilities", F_OBJECT },
	{ "runtimeConfig", F_OBJECT }, { "prevResult", F_OBJECT },
	{ "disableCheck", F_BOOL }, { "ipMasq", F_BOOL },
};

static const char *kind_name(enum field_kind k)
{
	return k == F_STRING ? "a string" : k == F_OBJECT ? "an object" :
	       "true or false";
}

static bool kind_is(const cJSON *v, enum field_kind k)
{
	return k == F_STRING ? cJSON_IsString(v) && v->valuestring :
	       k == F_OBJECT ? cJSON_IsObject(v) : cJSON_IsBool(v);
}

/* The value as JSON, cut short, for messages. */
static void value_text(const cJSON *v, char *buf, size_t len)
{
	char *s = cJSON_PrintUnformatted(v);

	snprintf(buf, len, "%s", s ? s : "?");
	if (s && strlen(s) >= len && len > 4)
		strcpy(buf + len - 4, "...");
	free(s);
}

static unsigned check_key(const cJSON *root, const cJSON *item,
			  struct cni_err *e)
{
	char val[96];

	for (const cJSON *p = root->child; p != item; p = p->next)
		if (!strcmp(p->string, item->string))
			return cni_errf(e, CNI_ERR_CONFIG,
					"%s: duplicate key", item->string);
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		if (strcmp(fields[i].key, item->string))
			continue;
		if (!kind_is(item, fields[i].kind)) {
			value_text(item, val, sizeof(val));
			return cni_errf(e, CNI_ERR_CONFIG,
					"%s: expected %s, got %s", item->string,
					kind_name(fields[i].kind), val);
		}
		return 0;
	}
	value_text(item, val, sizeof(val));
	if (!strcmp(item->string, "ipam"))
		return cni_errf(e, CNI_ERR_UNSUPPORTED,
				"ipam: unsupported field (value %s): knetsim-cni "
				"runs host-local on the worker's lease itself",
				val);
	return cni_errf(e, CNI_ERR_UNSUPPORTED,
			"unsupported field \"%s\" (value %s)", item->string, val);
}

static const char *str_get(const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static unsigned str_need(const cJSON *root, const char *key, const char **out,
			 struct cni_err *e)
{
	*out = str_get(root, key);
	if (!*out)
		return cni_errf(e, CNI_ERR_CONFIG, "%s: missing (required)", key);
	return 0;
}

static unsigned conf_version(struct cni_conf *c, struct cni_err *e)
{
	const char *v;
	unsigned ret = str_need(c->root, "cniVersion", &v, e);

	if (ret)
		return ret;
	for (const char *const *p = cni_versions; *p; p++)
		if (!strcmp(*p, v)) {
			c->version = *p;
			return 0;
		}
	return cni_errf(e, CNI_ERR_VERSION,
			"cniVersion: \"%s\" is not supported (expected 0.3.0, "
			"0.3.1, 0.4.0 or 1.0.0)", v);
}

static unsigned conf_identity(struct cni_conf *c, struct cni_err *e)
{
	const char *type;
	unsigned ret;

	ret = str_need(c->root, "name", &c->name, e);
	if (!ret && (!name_valid(c->name, CNI_NAME_MAX, true)))
		ret = cni_errf(e, CNI_ERR_CONFIG,
			       "name: \"%s\" is invalid (expected 1 to %d of "
			       "[A-Za-z0-9_.-], starting alphanumeric)",
			       c->name, CNI_NAME_MAX);
	if (!ret)
		ret = str_need(c->root, "type", &type, e);
	if (!ret && strcmp(type, CNI_PLUGIN_TYPE))
		ret = cni_errf(e, CNI_ERR_CONFIG,
			       "type: \"%s\" is not this plugin (expected \"%s\")",
			       type, CNI_PLUGIN_TYPE);
	return ret;
}

static unsigned conf_routing(struct cni_conf *c, struct cni_err *e)
{
	const char *r, *bridge;
	unsigned ret = str_need(c->root, "routing", &r, e);

	if (ret)
		return ret;
	if (!strcmp(r, "bpf"))
		c->routing = CNI_ROUTING_BPF;
	else if (!strcmp(r, "kernel"))
		c->routing = CNI_ROUTING_KERNEL;
	else
		return cni_errf(e, CNI_ERR_CONFIG,
				"routing: unknown value \"%s\" (expected bpf or "
				"kernel)", r);
	bridge = str_get(c->root, "bridge");
	if (!bridge)
		bridge = CNI_DEFAULT_BRIDGE;
	if (!cni_ifname_valid(bridge))
		return cni_errf(e, CNI_ERR_CONFIG,
				"bridge: \"%s\" is not a valid interface name "
				"(1 to 15 bytes, no '/', ':' or spaces)", bridge);
	snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);
	return 0;
}

static unsigned path_field(const cJSON *root, const char *key, size_t max,
			   bool required, const char **out, struct cni_err *e)
{
	*out = str_get(root, key);
	if (!*out)
		return required ? cni_errf(e, CNI_ERR_CONFIG,
					   "%s: missing (required)", key) : 0;
	if (!path_valid(*out, max))
		return cni_errf(e, CNI_ERR_CONFIG,
				"%s: \"%s\" is not an absolute path (shorter "
				"than %zu bytes)", key, *out, max);
	return 0;
}

static unsigned conf_paths(struct cni_conf *c, struct cni_err *e)
{
	struct sockaddr_un sa;
	unsigned ret;

	ret = path_field(c->root, "subnetFile", PATH_MAX, true,
			 &c->subnet_file, e);
	if (!ret)
		ret = path_field(c->root, "dataDir", PATH_MAX, true,
				 &c->data_dir, e);
	if (!ret)
		ret = path_field(c->root, "agentSocket", sizeof(sa.sun_path),
				 false, &c->agent_socket, e);
	return ret;
}

static unsigned conf_reserved(struct cni_conf *c, struct cni_err *e)
{
	const cJSON *masq = cJSON_GetObjectItemCaseSensitive(c->root, "ipMasq");

	if (cJSON_IsTrue(masq))
		return cni_errf(e, CNI_ERR_UNSUPPORTED,
				"ipMasq: unsupported value true (masquerading "
				"is the worker's business, not the plugin's)");
	c->dns = cJSON_GetObjectItemCaseSensitive(c->root, "dns");
	c->prev_result = cJSON_GetObjectItemCaseSensitive(c->root, "prevResult");
	return 0;
}

static unsigned conf_decode(const char *buf, size_t len, struct cni_conf *c,
			    struct cni_err *e)
{
	const char *end = NULL;

	if (!buf || !len)
		return cni_errf(e, CNI_ERR_DECODE,
				"no network config on stdin");
	if (memchr(buf, '\0', len))
		return cni_errf(e, CNI_ERR_DECODE,
				"network config: NUL byte in the input");
	c->root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!c->root) {
		size_t off = end && end >= buf ? (size_t)(end - buf) : 0;

		return cni_errf(e, CNI_ERR_DECODE,
				"network config: not valid JSON (at byte %zu)", off);
	}
	while (end && (size_t)(end - buf) < len && isspace((unsigned char)*end))
		end++;
	if (end && (size_t)(end - buf) < len)
		return cni_errf(e, CNI_ERR_DECODE,
				"network config: trailing data at byte %zu",
				(size_t)(end - buf));
	if (!cJSON_IsObject(c->root))
		return cni_errf(e, CNI_ERR_DECODE,
				"network config: expected a JSON object");
	return 0;
}

unsigned cni_conf_parse(const char *buf, size_t len, struct cni_conf *c,
			struct cni_err *e)
{
	unsigned ret;

	memset(c, 0, sizeof(*c));
	ret = conf_decode(buf, len, c, e);
	/* Errors are written in the config's version when it is usable. */
	if (!ret && cni_version_supported(str_get(c->root, "cniVersion")))
		conf_version(c, e);
	for (const cJSON *it = c->root ? c->root->child : NULL;
	     !ret && it; it = it->next)
		ret = check_key(c->root, it, e);
	if (!ret)
		ret = conf_version(c, e);
	if (!ret)
		ret = conf_identity(c, e);
	if (!ret)
		ret = conf_routing(c, e);
	if (!ret)
		ret = conf_paths(c, e);
	if (!ret)
		ret = conf_reserved(c, e);
	if (ret) {
		const char *v = c->version;

		cni_conf_free(c);
		c->version = v;
	}
	return ret;
}

void cni_conf_free(struct cni_conf *c)
{
	cJSON_Delete(c->root);
	memset(c, 0, sizeof(*c));
}
