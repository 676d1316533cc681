// SPDX-License-Identifier: MIT
#include "nginx_gateway.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_input.h"

#define TLS_PROTOCOLS "TLSv1.2 TLSv1.3"
#define VERIFY_DEPTH 2             /* peer certificate + the CA */
#define CONNECT_TIMEOUT "5s"

__attribute__((format(printf, 3, 4)))
static bool invalid(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

static bool paths_valid(const struct ngw_config *c, char *err, size_t errlen)
{
	const struct {
		const char *path, *what;
	} p[] = {
		{ c->pid_file, "pid file" }, { c->error_log, "error log" },
		{ c->access_log, "access log" }, { c->ca_file, "CA file" },
		{ c->cert_file, "certificate file" }, { c->key_file, "key file" },
	};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (!mc_path_valid(p[i].path))
			return invalid(err, errlen, "%s: \"%.80s\" is not an "
				       "absolute path of plain characters",
				       p[i].what, p[i].path ? p[i].path : "");
	if (c->stream_module && !mc_path_valid(c->stream_module))
		return invalid(err, errlen, "stream module: \"%.80s\" is not an "
			       "absolute path of plain characters",
			       c->stream_module);
	return true;
}

/* The port of server i (exports first, then imports). */
static uint16_t server_port(const struct ngw_config *c, size_t i,
			    const char **name)
{
	if (i < c->n_exports) {
		*name = c->exports[i].name;
		return c->exports[i].listen;
	}
	*name = c->imports[i - c->n_exports].name;
	return c->imports[i - c->n_exports].listen;
}

static bool ports_unique(const struct ngw_config *c, char *err, size_t errlen)
{
	size_t n = c->n_exports + c->n_imports;

	for (size_t i = 0; i < n; i++) {
		const char *a, *b;
		uint16_t p = server_port(c, i, &a);

		for (size_t j = 0; j < i; j++)
			if (server_port(c, j, &b) == p)
				return invalid(err, errlen, "%s: port %u is "
					       "already opened for %s", a, p, b);
	}
	return true;
}

static bool name_ok(const char *name, const char *kind, size_t i, char *err,
		    size_t errlen)
{
	if (mc_name_valid(name))
		return true;
	return invalid(err, errlen, "%s %zu: name \"%.80s\" is not 1 to %d "
		       "characters of A-Z a-z 0-9 _ . -", kind, i,
		       name ? name : "", MC_INPUT_NAME_MAX);
}

static bool servers_valid(const struct ngw_config *c, char *err,
			  size_t errlen)
{
	for (size_t i = 0; i < c->n_exports; i++) {
		const struct ngw_export *e = &c->exports[i];

		if (!name_ok(e->name, "export", i, err, errlen))
			return false;
		if (!e->listen || !e->target_port ||
		    !mc_host_valid(e->target_host))
			return invalid(err, errlen, "export %s: listen %u to "
				       "\"%.80s\" port %u is not a port to a "
				       "host and port", e->name, e->listen,
				       e->target_host ? e->target_host : "",
				       e->target_port);
	}
	for (size_t i = 0; i < c->n_imports; i++) {
		const struct ngw_import *m = &c->imports[i];

		if (!name_ok(m->name, "import", i, err, errlen))
			return false;
		if (!m->listen || !m->remote_port ||
		    !mc_host_valid(m->remote_host))
			return invalid(err, errlen, "import %s: listen %u to "
				       "\"%.80s\" port %u is not a port to a "
				       "host and port", m->name, m->listen,
				       m->remote_host ? m->remote_host : "",
				       m->remote_port);
		if (!mc_name_valid(m->remote_name))
			return invalid(err, errlen, "import %s: peer name "
				       "\"%.80s\" is not a certificate name",
				       m->name,
				       m->remote_name ? m->remote_name : "");
	}
	return ports_unique(c, err, errlen);
}

static bool config_valid(const struct ngw_config *c, char *err, size_t errlen)
{
	if (!mc_name_valid(c->cluster))
		return invalid(err, errlen, "cluster name \"%.80s\" is not 1 to "
			       "%d characters of A-Z a-z 0-9 _ . -",
			       c->cluster ? c->cluster : "", MC_INPUT_NAME_MAX);
	if (!mc_host_valid(c->listen_host))
		return invalid(err, errlen, "listen host \"%.80s\" is not an "
			       "address", c->listen_host ? c->listen_host : "");
	if (!c->n_exports && !c->n_imports)
		return invalid(err, errlen, "cluster %s: no export and no "
			       "import (expected at least one service to "
			       "serve)", c->cluster);
	if ((c->n_exports && !c->exports) || (c->n_imports && !c->imports))
		return invalid(err, errlen, "a list is missing its entries");
	return paths_valid(c, err, errlen) && servers_valid(c, err, errlen);
}

static void render_main(FILE *f, const struct ngw_config *c)
{
	fprintf(f, "# knetsim multi-cluster gateway of cluster %s (generated: "
		   "edits are lost).\n", c->cluster);
	if (c->stream_module)
		fprintf(f, "load_module %s;\n", c->stream_module);
	fprintf(f, "daemon off;\n"
		   "master_process on;\n"
		   "worker_processes 1;\n"
		   "pid %s;\n"
		   "error_log %s info;\n\n"
		   "events {\n"
		   "    worker_connections 1024;\n"
		   "}\n\n", c->pid_file, c->error_log);
}

static void render_stream_head(FILE *f, const struct ngw_config *c)
{
	fprintf(f, "stream {\n"
		   "    log_format gateway '$remote_addr:$remote_port -> "
		   "$server_port [$time_local] $status $bytes_sent "
		   "$bytes_received $session_time $upstream_addr "
		   "$ssl_protocol \"$ssl_client_s_dn\"';\n"
		   "    access_log %s gateway;\n"
		   "    proxy_connect_timeout " CONNECT_TIMEOUT ";\n\n",
		c->access_log);
	if (!c->n_exports)
		return;
	fprintf(f, "    # Where services live: TLS from gateways holding a "
		   "certificate of this\n"
		   "    # simulation's CA only.\n"
		   "    ssl_certificate %s;\n"
		   "    ssl_certificate_key %s;\n"
		   "    ssl_client_certificate %s;\n"
		   "    ssl_verify_client on;\n"
		   "    ssl_verify_depth %d;\n"
		   "    ssl_protocols " TLS_PROTOCOLS ";\n\n",
		c->cert_file, c->key_file, c->ca_file, VERIFY_DEPTH);
}

static void render_export(FILE *f, const struct ngw_config *c,
			  const struct ngw_export *e)
{
	fprintf(f, "    # export %s: lives here\n"
		   "    server {\n"
		   "        listen %s:%u ssl;\n"
		   "        proxy_pass %s:%u;\n"
		   "    }\n\n",
		e->name, c->listen_host, e->listen, e->target_host,
		e->target_port);
}

static void render_import(FILE *f, const struct ngw_config *c,
			  const struct ngw_import *m)
{
	fprintf(f, "    # import %s: consumed here, lives behind %s\n"
		   "    server {\n"
		   "        listen %s:%u;\n"
		   "        proxy_pass %s:%u;\n"
		   "        proxy_ssl on;\n"
		   "        proxy_ssl_certificate %s;\n"
		   "        proxy_ssl_certificate_key %s;\n"
		   "        proxy_ssl_trusted_certificate %s;\n"
		   "        proxy_ssl_verify on;\n"
		   "        proxy_ssl_verify_depth %d;\n"
		   "        proxy_ssl_name %s;\n"
		   "        proxy_ssl_protocols " TLS_PROTOCOLS ";\n"
		   "        proxy_ssl_session_reuse on;\n"
		   "    }\n\n",
		m->name, m->remote_name, c->listen_host, m->listen,
		m->remote_host, m->remote_port, c->cert_file, c->key_file,
		c->ca_file, VERIFY_DEPTH, m->remote_name);
}

char *ngw_render(const struct ngw_config *c, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!c) {
		invalid(err, errlen, "no configuration");
		return NULL;
	}
	if (!config_valid(c, err, errlen))
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f) {
		invalid(err, errlen, "out of memory");
		return NULL;
	}
	render_main(f, c);
	render_stream_head(f, c);
	for (size_t i = 0; i < c->n_exports; i++)
		render_export(f, c, &c->exports[i]);
	for (size_t i = 0; i < c->n_imports; i++)
		render_import(f, c, &c->imports[i]);
	fputs("}\n", f);
	if (fclose(f) || !buf) {
		free(buf);
		invalid(err, errlen, "out of memory");
		return NULL;
	}
	return buf;
}
