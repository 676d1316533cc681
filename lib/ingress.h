/* SPDX-License-Identifier: MIT */
/* Ingresses as Kubernetes-shaped objects in etcd (pure: no I/O), shared by
 * the CLI, the topology and the agent's controller.
 *
 * /knetsim/ingresses/<namespace>/<name>:
 *   {"apiVersion":"networking.k8s.io/v1","kind":"Ingress",
 *    "metadata":{"name":"grp1","namespace":"default"},
 *    "spec":{"nodeName":"C0w1","port":8001,
 *            "rules":[{"http":{"paths":[
 *              {"path":"/svc1","pathType":"Prefix",
 *               "backend":{"service":{"name":"svc1",
 *                                     "port":{"number":8000}}}}]}}]}}
 *
 * spec.nodeName (the worker whose nginx serves it) and spec.port (where
 * that nginx listens) are knetsim's: Kubernetes leaves both to the
 * controller's deployment. Paths are matched as Kubernetes says: Prefix by
 * whole path elements (/svc1 matches /svc1 and /svc1/x, not /svc1x), Exact
 * as written; ImplementationSpecific is nginx's own prefix match. The
 * longest match wins. Hosts, TLS and a default backend are not supported
 * and are refused rather than ignored. */
#ifndef KNETSIM_INGRESS_H
#define KNETSIM_INGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INGRESS_PREFIX       "/knetsim/ingresses/"
#define INGRESS_API_VERSION  "networking.k8s.io/v1"
#define INGRESS_NAMESPACE    "default"
#define INGRESS_NAME_MAX     63
#define INGRESS_NODE_MAX     15
#define INGRESS_PATH_MAX     255
#define INGRESS_PATHS_MAX    32

enum ingress_path_type {
	INGRESS_PATH_PREFIX,
	INGRESS_PATH_EXACT,
	INGRESS_PATH_IMPL,          /* ImplementationSpecific */
};

struct ingress_path {
	char path[INGRESS_PATH_MAX + 1];
	enum ingress_path_type type;
	char service[INGRESS_NAME_MAX + 1];  /* in the ingress's namespace */
	uint16_t port;                       /* the service's port */
};

struct ingress_spec {
	char ns[INGRESS_NAME_MAX + 1];
	char name[INGRESS_NAME_MAX + 1];
	char node[INGRESS_NODE_MAX + 1];
	uint16_t port;
	struct ingress_path paths[INGRESS_PATHS_MAX];
	size_t n_paths;
};

/* Parses and validates an object; 0, or -EINVAL with "FIELD: why" in err
 * (err may be NULL). */
int ingress_parse(const char *json, size_t len, struct ingress_spec *s,
		  char *err, size_t errlen);
/* Every rule of a spec built by hand (the CLI, the topology): names,
 * node, port, each path, no path twice. 0 or -EINVAL. */
int ingress_validate(const struct ingress_spec *s, char *err, size_t errlen);
/* The object for s (malloc'd JSON); NULL when out of memory. */
char *ingress_to_json(const struct ingress_spec *s);

/* A path as nginx will see it: starts with '/', at most INGRESS_PATH_MAX
 * bytes of [A-Za-z0-9-._~/!*+,:=@], no empty, "." or ".." segment (nginx
 * matches normalised URIs, so such a path would never match). */
int ingress_path_check(const char *path, char *err, size_t errlen);
const char *ingress_path_type_name(enum ingress_path_type t);
/* "Prefix", "Exact", "ImplementationSpecific"; -EINVAL. */
int ingress_path_type_parse(const char *s, enum ingress_path_type *t);
/* The nginx locations a path becomes: Prefix "/" is "location /", any
 * other Prefix /a (or /a/) "location = /a" and "location /a/", Exact /a
 * "location = /a", ImplementationSpecific /a "location /a". */
struct ingress_location {
	bool exact;                         /* "location = URI" */
	char uri[INGRESS_PATH_MAX + 2];
};

/* Fills out (room for 2); returns how many. */
size_t ingress_path_locations(const struct ingress_path *p,
			      struct ingress_location out[2]);
/* Whether two paths claim a location in common (nginx refuses such a
 * pair, and the routing would be ambiguous): /a and /a/ as Prefix, Exact
 * /a and Prefix /a, the same path twice... */
bool ingress_paths_clash(const struct ingress_path *a,
			 const struct ingress_path *b);

/* Two different ingresses may not listen on the same port of the same
 * node. 0, or -EEXIST with why in err. */
int ingress_conflict(const struct ingress_spec *s, const struct ingress_spec *o,
		     char *err, size_t errlen);

/* "/knetsim/ingresses/<ns>/<name>" into buf; -ENAMETOOLONG. */
int ingress_key(const char *ns, const char *name, char *buf, size_t len);
/* Splits an ingress key (INGRESS_NAME_MAX + 1 buffers); -EINVAL when key
 * is not one. */
int ingress_key_parse(const char *key, char *ns, char *name);
/* A name of 1 to 63 of [A-Za-z0-9-_.]. */
bool ingress_name_valid(const char *s);

#endif
