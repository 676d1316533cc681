// SPDX-License-Identifier: MIT
/* Pods' programs: started with fork/setns/exec (lib/proc) inside the pod's
 * namespace, recorded like every other daemon of the simulation. */
#include "pod_commands.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "names.h"
#include "netns.h"
#include "pods.h"
#include "proc.h"
#include "progress.h"

/* How long a program has to fail for up to notice. */
#define POD_CMD_SETTLE_MS 150

/* dir of the running knetsim + "/" + rel, when executable. */
static bool next_to_self(const char *rel, char *buf, size_t len)
{
	const char *self = cli_self_exe();
	const char *slash = strrchr(self, '/');
	int n;

	if (!slash)
		return false;
	n = snprintf(buf, len, "%.*s/%s", (int)(slash - self), self, rel);
	return n > 0 && (size_t)n < len && access(buf, X_OK) == 0;
}

char *pod_command_program(const char *argv0, char *buf, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	if (!strcmp(argv0, POD_CMD_RESPONDER)) {
		/* Installed side by side, or knetsim's build tree. */
		if (next_to_self(POD_CMD_RESPONDER, buf, len) ||
		    next_to_self("tools/responder", buf, len))
			return buf;
	} else if (strchr(argv0, '/') && argv0[0] != '/' &&
		   getcwd(cwd, sizeof(cwd))) {
		/* The daemon starts in "/": keep the path the user meant. */
		n = snprintf(buf, len, "%s/%s", cwd, argv0);
		if (n > 0 && (size_t)n < len)
			return buf;
	}
	snprintf(buf, len, "%s", argv0);
	return buf;
}

char *pod_command_node(const struct topology *t, const struct pod *p,
		       char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s", t->clusters[p->cluster].name, p->name);
	return buf;
}

int pod_command_start(struct state *st, const struct topology *t,
		      const struct pod *p, char *err, size_t errlen)
{
	char *argv[TOPO_CMD_ARGS_MAX + 1], prog[PATH_MAX], node[128];
	char ns[NAMES_NETNS_MAX], rel[160], log[PATH_MAX], why[PATH_MAX + 64];
	struct proc_spec spec = { .argv = argv };
	struct proc_id id;
	int ret;

	if (!pod_command_argv(&p->command, argv))
		return 0;
	argv[0] = pod_command_program(argv[0], prog, sizeof(prog));
	pod_command_node(t, p, node, sizeof(node));
	if (!pod_netns(state_sim(st), t->clusters[p->cluster].name, p->name,
		       ns, sizeof(ns))) {
		snprintf(err, errlen, "pod %s: name too long", node);
		return -ENAMETOOLONG;
	}
	snprintf(rel, sizeof(rel), "logs/" POD_CMD_ROLE "-%s.log", node);
	spec.log_path = state_path(st, rel, log, true);
	if (!spec.log_path) {
		snprintf(err, errlen, "pod %s: log directory: %s", node,
			 strerror(errno));
		return -EIO;
	}
	spec.nsfd = netns_open(ns);
	if (spec.nsfd < 0) {
		snprintf(err, errlen, "pod %s: %s: %s", node, ns,
			 strerror(-spec.nsfd));
		return spec.nsfd;
	}
	ret = proc_spawn(&spec, &id, why, sizeof(why));
	close(spec.nsfd);
	if (!ret)
		ret = state_add_proc(st, POD_CMD_ROLE, node, &id, log);
	if (ret)
		snprintf(err, errlen, "pod %s: command %s: %s", node, prog,
			 *why ? why : strerror(-ret));
	return ret;
}

size_t pod_commands_count(const struct topology *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_pods; i++)
		n += t->pods[i].command.argc > 0;
	return n;
}

/* The latest record of node's command, or NULL. */
static const struct state_proc *record_of(const struct state_view *v,
					  const char *node)
{
	for (size_t i = v->n_procs; i-- > 0;)
		if (!strcmp(v->procs[i].role, POD_CMD_ROLE) &&
		    !strcmp(v->procs[i].node, node))
			return &v->procs[i];
	return NULL;
}

/* A program that exits right away (a wrong option, a port in use) is
 * worth a word now rather than a puzzling test later. */
static void warn_exited(struct state *st, const struct topology *t)
{
	struct timespec ts = { 0, POD_CMD_SETTLE_MS * 1000000L };
	struct state_view v;
	char node[128];

	nanosleep(&ts, NULL);
	if (state_load(st, &v))
		return;
	for (size_t i = 0; i < t->n_pods; i++) {
		const struct state_proc *r;

		if (!t->pods[i].command.argc)
			continue;
		r = record_of(&v, pod_command_node(t, &t->pods[i], node,
						    sizeof(node)));
		if (r && !proc_alive(&r->id))
			log_warn("pod %s: its command exited at once (see %s)",
				 node, r->log);
	}
	state_view_free(&v);
}

int pod_commands_phase(struct state *st, const struct topology *t,
		       char *err, size_t errlen)
{
	size_t n = pod_commands_count(t), done = 0;

	if (!n)
		return 0;
	progress_phase("pod commands", (unsigned)n);
	for (size_t i = 0; i < t->n_pods; i++) {
		if (!t->pods[i].command.argc)
			continue;
		if (pod_command_start(st, t, &t->pods[i], err, errlen))
			return -1;
		progress_step((unsigned)++done);
	}
	warn_exited(st, t);
	progress_done("%zu programs started in their pods", n);
	return 0;
}

/* argv joined by spaces, for people. */
static void join_argv(const struct pod_command *cmd, char *buf, size_t len)
{
	char *argv[TOPO_CMD_ARGS_MAX + 1];
	size_t n = pod_command_argv(cmd, argv), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		int r = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				 argv[i]);

		if (r < 0)
			break;
		off += (size_t)r;
	}
}

cJSON *pod_commands_status(const struct topology *t,
			   const struct state_view *v, const char *sim)
{
	cJSON *arr = cJSON_CreateArray();
	char node[128], ns[NAMES_NETNS_MAX], line[TOPO_CMD_LEN_MAX];

	for (size_t i = 0; arr && i < t->n_pods; i++) {
		const struct pod *p = &t->pods[i];
		const struct state_proc *r;
		cJSON *o;

		if (!p->command.argc ||
		    !pod_netns(sim, t->clusters[p->cluster].name, p->name, ns,
			       sizeof(ns)) || !netns_exists(ns))
			continue;
		r = record_of(v, pod_command_node(t, p, node, sizeof(node)));
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			break;
		}
		join_argv(&p->command, line, sizeof(line));
		cJSON_AddStringToObject(o, "cluster", t->clusters[p->cluster].name);
		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "worker", t->nodes[p->worker].name);
		cJSON_AddStringToObject(o, "command", line);
		if (r) {
			cJSON_AddNumberToObject(o, "pid", r->id.pid);
			cJSON_AddBoolToObject(o, "alive", proc_alive(&r->id));
			cJSON_AddStringToObject(o, "log", r->log);
		}
	}
	return arr;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

void pod_commands_print(const cJSON *sim_status)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(sim_status,
							     "pod_commands");
	const cJSON *o;

	if (!cJSON_GetArraySize(list))
		return;
	printf("\n%-16s %-12s %-20s %s\n", "POD", "WORKER", "PROCESS",
	       "COMMAND");
	cJSON_ArrayForEach(o, list) {
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid");
		char node[128], proc[32] = "not started";

		snprintf(node, sizeof(node), "%s.%s", jstr(o, "cluster"),
			 jstr(o, "name"));
		if (cJSON_IsNumber(pid))
			snprintf(proc, sizeof(proc), "pod(%d) %s", pid->valueint,
				 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "alive")) ?
				 "alive" : "DEAD");
		printf("%-16s %-12s %-20s %s\n", node, jstr(o, "worker"), proc,
		       jstr(o, "command"));
	}
}
