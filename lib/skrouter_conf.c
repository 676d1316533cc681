// SPDX-License-Identifier: MIT
#include "skrouter_conf.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mc_input.h"

__attribute__((format(printf, 3, 4)))
static bool invalid(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

static bool tls_valid(const struct skr_config *c, char *err, size_t errlen)
{
	const char *files[] = { c->ca_file, c->cert_file, c->key_file };
	const char *what[] = { "CA certificate", "certificate", "key" };

	for (int i = 0; i < 3; i++)
		if (!mc_path_valid(files[i]))
			return invalid(err, errlen, "%s file: \"%.80s\" is not "
				       "an absolute path of plain characters",
				       what[i], files[i] ? files[i] : "");
	return true;
}

static bool tcp_valid(const struct skr_tcp *t, const char *kind, size_t i,
		      char *err, size_t errlen)
{
	if (!mc_name_valid(t->address))
		return invalid(err, errlen, "%s %zu: address \"%.80s\" is not "
			       "1 to %d characters of A-Z a-z 0-9 _ . -", kind,
			       i, t->address ? t->address : "",
			       MC_INPUT_NAME_MAX);
	if (!mc_host_valid(t->host))
		return invalid(err, errlen, "%s %s: host \"%.80s\" is not an "
			       "address or host name", kind, t->address,
			       t->host ? t->host : "");
	if (!t->port)
		return invalid(err, errlen, "%s %s: no port", kind, t->address);
	return true;
}

/* The ports this router opens, so that no two of them clash. */
static bool ports_valid(const struct skr_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct skr_tcp *l = &c->listeners[i];

		if (l->port == c->mgmt_port ||
		    (c->listen_host && l->port == c->listen_port))
			return invalid(err, errlen, "tcpListener %s: port %u "
				       "is the router's own %s listener",
				       l->address, l->port,
				       l->port == c->mgmt_port ? "management" :
				       "inter-router");
		for (size_t j = 0; j < i; j++) {
			if (c->listeners[j].port == l->port)
				return invalid(err, errlen, "tcpListener %s: "
					       "port %u is already opened for "
					       "%s", l->address, l->port,
					       c->listeners[j].address);
			if (!strcmp(c->listeners[j].address, l->address))
				return invalid(err, errlen, "tcpListener %s: "
					       "listed twice", l->address);
		}
	}
	if (c->listen_host && c->listen_port == c->mgmt_port)
		return invalid(err, errlen, "inter-router and management "
			       "listeners share port %u", c->mgmt_port);
	return true;
}

static bool peers_valid(const struct skr_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct skr_peer *p = &c->peers[i];

		if (!mc_name_valid(p->name))
			return invalid(err, errlen, "connector %zu: name "
				       "\"%.80s\" is not 1 to %d characters of "
				       "A-Z a-z 0-9 _ . -", i,
				       p->name ? p->name : "",
				       MC_INPUT_NAME_MAX);
		if (!mc_host_valid(p->host) || !p->port)
			return invalid(err, errlen, "connector %s: \"%.80s\" "
				       "port %u is not a host and port",
				       p->name, p->host ? p->host : "",
				       p->port);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->peers[j].name, p->name))
				return invalid(err, errlen, "connector %s: "
					       "listed twice", p->name);
	}
	return true;
}

static bool config_valid(const struct skr_config *c, char *err, size_t errlen)
{
	if (!mc_name_valid(c->id))
		return invalid(err, errlen, "router id \"%.80s\" is not 1 to %d "
			       "characters of A-Z a-z 0-9 _ . -",
			       c->id ? c->id : "", MC_INPUT_NAME_MAX);
	if (!mc_host_valid(c->mgmt_host) || !c->mgmt_port)
		return invalid(err, errlen, "management listener: \"%.80s\" port "
			       "%u is not a host and port",
			       c->mgmt_host ? c->mgmt_host : "", c->mgmt_port);
	if (c->listen_host && (!mc_host_valid(c->listen_host) ||
			       !c->listen_port))
		return invalid(err, errlen, "inter-router listener: \"%.80s\" "
			       "port %u is not a host and port",
			       c->listen_host, c->listen_port);
	if ((c->listen_host || c->n_peers) && !tls_valid(c, err, errlen))
		return false;
	if ((c->n_peers && !c->peers) || (c->n_connectors && !c->connectors) ||
	    (c->n_listeners && !c->listeners))
		return invalid(err, errlen, "a list is missing its entries");
	for (size_t i = 0; i < c->n_connectors; i++) {
		if (!tcp_valid(&c->connectors[i], "tcpConnector", i, err, errlen))
			return false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->connectors[j].address,
				    c->connectors[i].address))
				return invalid(err, errlen, "tcpConnector %s: "
					       "listed twice",
					       c->connectors[i].address);
	}
	for (size_t i = 0; i < c->n_listeners; i++)
		if (!tcp_valid(&c->listeners[i], "tcpListener", i, err, errlen))
			return false;
	return peers_valid(c, err, errlen) && ports_valid(c, err, errlen);
}

/* Appends ["type", {}] to list; returns the attribute map. */
static cJSON *entity(cJSON *list, const char *type)
{
	cJSON *pair = cJSON_CreateArray(), *attrs = cJSON_CreateObject();

	if (!pair || !attrs || !cJSON_AddItemToArray(list, pair)) {
		cJSON_Delete(pair);
		cJSON_Delete(attrs);
		return NULL;
	}
	if (!cJSON_AddItemToArray(pair, cJSON_CreateString(type)) ||
	    !cJSON_AddItemToArray(pair, attrs)) {
		cJSON_Delete(attrs);
		return NULL;
	}
	return attrs;
}

static bool str(cJSON *o, const char *key, const char *val)
{
	return o && cJSON_AddStringToObject(o, key, val);
}

/* Ports are strings in the schema (they may be service names). */
static bool port(cJSON *o, uint16_t p)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%u", p);
	return str(o, "port", buf);
}

static bool add_router(cJSON *list, const struct skr_config *c)
{
	cJSON *r = entity(list, "router");

	if (!str(r, "id", c->id) || !str(r, "mode", "interior"))
		return false;
	return !c->worker_threads ||
	       cJSON_AddNumberToObject(r, "workerThreads", c->worker_threads);
}

static bool add_tls(cJSON *list, const struct skr_config *c)
{
	cJSON *s;

	if (!c->listen_host && !c->n_peers)
		return true;
	s = entity(list, "sslProfile");
	return str(s, "name", SKR_SSL_PROFILE) &&
	       str(s, "caCertFile", c->ca_file) &&
	       str(s, "certFile", c->cert_file) &&
	       str(s, "privateKeyFile", c->key_file);
}

static bool add_listeners(cJSON *list, const struct skr_config *c)
{
	cJSON *l = entity(list, "listener");

	if (!str(l, "name", "management") || !str(l, "role", "normal") ||
	    !str(l, "host", c->mgmt_host) || !port(l, c->mgmt_port))
		return false;
	if (!c->listen_host)
		return true;
	l = entity(list, "listener");
	return str(l, "name", "inter-router") &&
	       str(l, "role", "inter-router") &&
	       str(l, "host", c->listen_host) && port(l, c->listen_port) &&
	       str(l, "sslProfile", SKR_SSL_PROFILE) &&
	       str(l, "saslMechanisms", "EXTERNAL") &&
	       cJSON_AddTrueToObject(l, "authenticatePeer") &&
	       cJSON_AddTrueToObject(l, "requireSsl");
}

static bool add_connectors(cJSON *list, const struct skr_config *c)
{
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct skr_peer *p = &c->peers[i];
		cJSON *o = entity(list, "connector");

		if (!str(o, "name", p->name) || !str(o, "role", "inter-router") ||
		    !str(o, "host", p->host) || !port(o, p->port) ||
		    !str(o, "sslProfile", SKR_SSL_PROFILE) ||
		    !str(o, "saslMechanisms", "EXTERNAL") ||
		    !cJSON_AddTrueToObject(o, "verifyHostname"))
			return false;
	}
	return true;
}

/* Entity names are unique over every type: "export-web", "import-web". */
static bool add_tcp(cJSON *list, const char *type, const char *prefix,
		    const struct skr_tcp *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON *o = entity(list, type);
		char name[MC_INPUT_NAME_MAX + 16];

		snprintf(name, sizeof(name), "%s-%s", prefix, t[i].address);
		if (!str(o, "name", name) ||
		    !str(o, "address", t[i].address) ||
		    !str(o, "host", t[i].host) || !port(o, t[i].port))
			return false;
	}
	return true;
}

static bool add_log(cJSON *list)
{
	cJSON *l = entity(list, "log");

	return str(l, "module", "DEFAULT") && str(l, "enable", "info+") &&
	       cJSON_AddTrueToObject(l, "includeTimestamp");
}

/* skrouterd wants entity names unique over every type. */
static bool names_unique(const cJSON *list, char *err, size_t errlen)
{
	const cJSON *a, *b;

	cJSON_ArrayForEach(a, list) {
		const cJSON *na = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetArrayItem(a, 1), "name");

		if (!cJSON_IsString(na))
			continue;
		for (b = list->child; b && b != a; b = b->next) {
			const cJSON *nb = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetArrayItem(b, 1), "name");

			if (cJSON_IsString(nb) &&
			    !strcmp(na->valuestring, nb->valuestring))
				return invalid(err, errlen, "two entities are "
					       "named \"%s\"", na->valuestring);
		}
	}
	return true;
}

char *skr_config_render(const struct skr_config *c, char *err, size_t errlen)
{
	cJSON *list;
	char *out = NULL;
	bool ok;

	if (!c) {
		invalid(err, errlen, "no configuration");
		return NULL;
	}
	if (!config_valid(c, err, errlen))
		return NULL;
	list = cJSON_CreateArray();
	ok = list && add_router(list, c) && add_tls(list, c) &&
	     add_listeners(list, c) && add_connectors(list, c) &&
	     add_tcp(list, "tcpConnector", "export", c->connectors,
		     c->n_connectors) &&
	     add_tcp(list, "tcpListener", "import", c->listeners,
		     c->n_listeners) &&
	     add_log(list);
	if (!ok) {
		invalid(err, errlen, "out of memory");
	} else if (names_unique(list, err, errlen)) {
		out = cJSON_Print(list);
		if (!out)
			invalid(err, errlen, "out of memory");
	}
	cJSON_Delete(list);
	return out;
}
