// SPDX-License-Identifier: MIT
#include "agents.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_client.h"
#include "etcd_cluster.h"
#include "knetsim/paths.h"
#include "names.h"
#include "netns.h"
#include "proc.h"

#define AGENT_POLL_MS 50

/* knetsim-agent next to knetsim (build tree, install), else from PATH. */
static const char *agent_binary(void)
{
	static char path[PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s", cli_self_exe());
	slash = strrchr(path, '/');
	if (slash && (size_t)(slash - path) + sizeof("/knetsim-agent") <= sizeof(path)) {
		strcpy(slash, "/knetsim-agent");
		if (access(path, X_OK) == 0)
			return path;
	}
	return "knetsim-agent";
}

static int join_endpoints(const struct topology *t, size_t cluster, char *buf,
			  size_t len)
{
	char **eps;
	size_t n, off = 0;
	int ret = etcd_cluster_endpoints(t, cluster, &eps, &n);

	if (ret)
		return ret;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "", eps[i]);
	etcd_cluster_endpoints_free(eps, n);
	return off < len ? 0 : -ENAMETOOLONG;
}

static int start_one(struct state *st, const struct topology *t,
		     const struct node *w, char *err, size_t errlen)
{
	const struct cluster *c = &t->clusters[w->cluster];
	char etcd[1024], addr[IP4_STRLEN], ns[NAMES_NETNS_MAX], rel[64];
	char log[PATH_MAX], why[PATH_MAX + 128];
	char *argv[] = {
		(char *)agent_binary(), "--sim", (char *)state_sim(st),
		"--worker", (char *)w->name, "--cluster", (char *)c->name,
		"--address", ip4_format(w->addr, addr), "--etcd", etcd,
		"--routing", (char *)routing_mode_name(c->routing),
		"--proxy", (char *)proxy_mode_name(c->proxy), NULL,
	};
	struct proc_spec spec = { .argv = argv };
	struct proc_id id;
	int ret;

	ret = join_endpoints(t, w->cluster, etcd, sizeof(etcd));
	if (ret) {
		snprintf(err, errlen, "%s: agent: etcd endpoints: %s", w->name,
			 strerror(-ret));
		return ret;
	}
	snprintf(rel, sizeof(rel), "logs/agent-%s.log", w->name);
	spec.log_path = state_path(st, rel, log, true);
	spec.nsfd = netns_open(names_netns(state_sim(st), w->name, ns, sizeof(ns)));
	if (spec.nsfd < 0) {
		snprintf(err, errlen, "%s: %s", ns, strerror(-spec.nsfd));
		return spec.nsfd;
	}
	ret = proc_spawn(&spec, &id, why, sizeof(why));
	close(spec.nsfd);
	if (!ret)
		ret = state_add_proc(st, "agent", w->name, &id, log);
	if (ret)
		snprintf(err, errlen, "%s: agent: %s", w->name,
			 *why ? why : strerror(-ret));
	return ret;
}

int agents_start(struct state *st, const struct topology *t, char *err,
		 size_t errlen)
{
	char pins[PATH_MAX];
	int ret;

	/* The agents pin their datapath here; down removes it. */
	snprintf(pins, sizeof(pins), KNETSIM_BPF_DIR "/%s", state_sim(st));
	ret = state_add_path(st, pins);
	if (ret) {
		snprintf(err, errlen, "record %s: %s", pins, strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (t->nodes[i].kind != NODE_WORKER)
			continue;
		ret = start_one(st, t, &t->nodes[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool agent_ready(const char *sim, const char *worker)
{
	char path[PATH_MAX], why[256];
	cJSON *req = cJSON_CreateObject(), *rep;
	bool ok;

	cJSON_AddStringToObject(req, "op", "status");
	rep = ctl_socket_path(sim, worker, path, sizeof(path)) ?
		      ctl_call(path, req, 500, why, sizeof(why)) : NULL;
	ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok"));
	cJSON_Delete(req);
	cJSON_Delete(rep);
	return ok;
}

/* The recorded agent of a worker, to tell a dead one from a slow one. */
static const struct state_proc *agent_of(const struct state_view *v,
					 const char *worker)
{
	for (size_t i = v->n_procs; i-- > 0;)
		if (!strcmp(v->procs[i].role, "agent") &&
		    !strcmp(v->procs[i].node, worker))
			return &v->procs[i];
	return NULL;
}

int agents_wait(struct state *st, const struct topology *t, int timeout_ms,
		char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	bool *ready = calloc(t->n_nodes, sizeof(*ready));
	struct state_view v;
	size_t missing;
	int ret = 0;

	if (!ready)
		return -ENOMEM;
	ret = state_load(st, &v);
	if (ret) {
		free(ready);
		return ret;
	}
	for (;;) {
		missing = 0;
		for (size_t i = 0; i < t->n_nodes; i++) {
			const struct node *n = &t->nodes[i];
			const struct state_proc *p;

			if (n->kind != NODE_WORKER || ready[i])
				continue;
			ready[i] = agent_ready(state_sim(st), n->name);
			if (ready[i])
				continue;
			p = agent_of(&v, n->name);
			if (!p || !proc_alive(&p->id)) {
				snprintf(err, errlen, "agent of %s exited (see %s)",
					 n->name, p ? p->log : "its log");
				ret = -ESRCH;
				goto out;
			}
			missing++;
		}
		if (!missing)
			break;
		if (now_ms() >= deadline) {
			size_t off = snprintf(err, errlen, "%zu agents not ready after %d ms:",
					      missing, timeout_ms);

			for (size_t i = 0; i < t->n_nodes && off < errlen; i++)
				if (t->nodes[i].kind == NODE_WORKER && !ready[i])
					off += snprintf(err + off, errlen - off, " %s",
							t->nodes[i].name);
			ret = -ETIMEDOUT;
			break;
		}
		usleep(AGENT_POLL_MS * 1000);
	}
out:
	state_view_free(&v);
	free(ready);
	return ret;
}

int agents_restart(struct state *st, const struct topology *t,
		   const struct node *w, int timeout_ms, char *err,
		   size_t errlen)
{
	const struct state_proc *p;
	struct state_view v;
	int ret = state_load(st, &v);

	if (ret) {
		snprintf(err, errlen, "read state: %s", strerror(-ret));
		return ret;
	}
	p = agent_of(&v, w->name);
	if (p && proc_alive(&p->id) && proc_stop_all(&p->id, 1, timeout_ms)) {
		snprintf(err, errlen, "agent of %s ignored SIGTERM and was killed",
			 w->name);
		state_view_free(&v);
		return -ETIMEDOUT;
	}
	state_view_free(&v);
	ret = start_one(st, t, w, err, errlen);
	if (!ret)
		ret = agents_wait(st, t, timeout_ms, err, errlen);
	return ret;
}
