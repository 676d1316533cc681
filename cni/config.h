/* SPDX-License-Identifier: MIT */
/* knetsim-cni's inputs: the CNI_* environment and the network config on
 * stdin, both validated completely before anything is touched.
 *
 * Network config (all paths absolute):
 *   cniVersion   one of cni_versions                      required
 *   name         network name, [A-Za-z0-9_.-]             required
 *   type         "knetsim-cni"                            required
 *   routing      "bpf" | "kernel"                         required
 *   subnetFile   the worker's flannel subnet.env          required
 *   dataDir      host-local's store for this worker       required
 *   agentSocket  the worker's agent control socket        optional
 *                (absent: no agent is told; `knetsim pod add` always
 *                sets it, the conformance test runs without an agent)
 *   bridge       bridge for routing "kernel" (default cni0) optional
 * and the spec's own keys (args, dns, capabilities, runtimeConfig,
 * prevResult, disableCheck, ipMasq false). Anything else, "ipam" among
 * them, is an unsupported field (code 2).
 *
 * Environment: CNI_COMMAND; for ADD, DEL and CHECK also CNI_CONTAINERID,
 * CNI_IFNAME, CNI_PATH and CNI_NETNS (which DEL may leave empty). CNI_ARGS
 * may name the pod (K8S_POD_NAME, K8S_POD_NAMESPACE: what the agent is
 * told; the container ID and "default" otherwise); other keys are errors
 * unless IgnoreUnknown=1, as in the reference plugins.
 *
 * The parsers return 0 or a CNI error code with e filled. */
#ifndef KNETSIM_CNI_CONFIG_H
#define KNETSIM_CNI_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "result.h"

#define CNI_PLUGIN_TYPE "knetsim-cni"
#define CNI_DEFAULT_BRIDGE "cni0"
#define CNI_CONTAINERID_MAX 1024
#define CNI_NAME_MAX 255
#define CNI_POD_MAX 254 /* Kubernetes names: 253 bytes + NUL */

enum cni_cmd { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK, CNI_CMD_VERSION };
enum cni_routing { CNI_ROUTING_BPF, CNI_ROUTING_KERNEL };

struct cni_env {
	enum cni_cmd cmd;
	const char *containerid;
	const char *netns;	/* NULL when unset or empty (allowed for DEL) */
	const char *ifname;
	const char *path;	/* CNI_PATH, where host-local is looked up */
	/* From CNI_ARGS (K8S_POD_NAME, K8S_POD_NAMESPACE); "" when absent. */
	char pod[CNI_POD_MAX];
	char pod_namespace[CNI_POD_MAX];
};

/* Strings point into root, which the config owns. */
struct cni_conf {
	cJSON *root;
	const char *version;	/* an entry of cni_versions, or NULL */
	const char *name;
	enum cni_routing routing;
	const char *subnet_file;
	const char *data_dir;
	const char *agent_socket; /* NULL: no agent to tell */
	char bridge[IFNAMSIZ];
	const cJSON *dns;	/* NULL when absent */
	const cJSON *prev_result; /* NULL when absent */
};

typedef const char *(*cni_getenv_fn)(const char *name);

/* "ADD" -> CNI_CMD_ADD ...; -1 when unknown. */
int cni_cmd_parse(const char *s);
const char *cni_cmd_name(enum cni_cmd cmd);

/* Reads CNI_COMMAND, then what that command needs. */
unsigned cni_env_parse(cni_getenv_fn get, struct cni_env *env,
		       struct cni_err *e);

/* Parses and validates stdin's config. On error nothing is kept, except
 * c->version when the config named a version knetsim-cni speaks, so the
 * error can be written in it. */
unsigned cni_conf_parse(const char *buf, size_t len, struct cni_conf *c,
			struct cni_err *e);
void cni_conf_free(struct cni_conf *c);

/* Name checks shared with the rest of the plugin. */
bool cni_ifname_valid(const char *s);
bool cni_containerid_valid(const char *s);

#endif
