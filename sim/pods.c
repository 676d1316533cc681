// SPDX-License-Identifier: MIT
#include "pods.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "cli.h"
#include "ctl_client.h"
#include "etcd.h"
#include "etcd_cluster.h"
#include "fsutil.h"
#include "knetsim/paths.h"
#include "names.h"
#include "netns.h"
#include "proc.h"

#define CNI_TIMEOUT_MS 30000
#define CNI_OUT_MAX (256 * 1024)
#define CNI_PLUGIN_DIRS "/usr/lib/cni"
#define POD_STOP_TIMEOUT_MS 2000

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

char *pod_netns(const char *sim, const char *cluster, const char *pod,
		char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s:%s.%s", sim, cluster, pod);

	return n < 0 || (size_t)n >= len ? NULL : buf;
}

/* knetsim-cni next to knetsim (build tree, install), else in PATH's. */
static void plugin_dir(char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", cli_self_exe());
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(buf, len, "/usr/local/bin");
}

/* The worker's network config, as a kubelet would find it in
 * /etc/cni/net.d; written once per worker. */
static int cni_config(const struct state *st, const struct topology *t,
		      const struct node *w, char **json)
{
	const struct cluster *c = &t->clusters[w->cluster];
	char path[PATH_MAX], sock[PATH_MAX];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "cniVersion", "1.0.0");
	cJSON_AddStringToObject(o, "name", "knetsim");
	cJSON_AddStringToObject(o, "type", "knetsim-cni");
	cJSON_AddStringToObject(o, "routing", routing_mode_name(c->routing));
	snprintf(path, sizeof(path), KNETSIM_RUN_DIR "/%s/agent/%s/subnet.env",
		 state_sim(st), w->name);
	cJSON_AddStringToObject(o, "subnetFile", path);
	snprintf(path, sizeof(path), KNETSIM_RUN_DIR "/%s/ipam/%s",
		 state_sim(st), w->name);
	cJSON_AddStringToObject(o, "dataDir", path);
	cJSON_AddStringToObject(o, "agentSocket",
				ctl_socket_path(state_sim(st), w->name, sock, sizeof(sock)));
	*json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!*json)
		return -ENOMEM;
	/* Kept for people to read (and to run the plugin by hand). */
	if (state_path(st, "cni", path, false)) {
		char file[PATH_MAX + 32];

		mkdir_p(path, 0755);
		snprintf(file, sizeof(file), "%s/%s.conf", path, w->name);
		write_file(file, *json, strlen(*json), 0644);
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reads fd to EOF or until the deadline; NUL-ended. */
static ssize_t read_all(int fd, char *buf, size_t cap, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	for (;;) {
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
		if (n == cap - 1)
			break;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

struct cni_call {
	const char *command;      /* ADD, DEL */
	const char *container;
	const char *netns_path;
	const char *pod;
	int worker_fd;
	const char *config;
};

/* Runs the plugin as a runtime does: in the worker's namespace, CNI_*
 * in its environment, the config on stdin. The result (or the plugin's
 * error object) into *out; returns its exit status or -errno. */
static int cni_run(const struct cni_call *call, char **out)
{
	char dir[PATH_MAX], plugin[PATH_MAX + 16], cni_path[PATH_MAX + 32];
	char args[256], e_cmd[32], e_id[256], e_ns[PATH_MAX + 16];
	int in[2], outp[2], status, ret;
	long long deadline = now_ms() + CNI_TIMEOUT_MS;
	pid_t pid;
	ssize_t n;
	char *buf;

	plugin_dir(dir, sizeof(dir));
	snprintf(plugin, sizeof(plugin), "%s/knetsim-cni", dir);
	snprintf(cni_path, sizeof(cni_path), "CNI_PATH=%s:" CNI_PLUGIN_DIRS, dir);
	snprintf(args, sizeof(args),
		 "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=" PODS_NAMESPACE ";K8S_POD_NAME=%s",
		 call->pod);
	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", call->command);
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", call->container);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=%s", call->netns_path);
	buf = malloc(CNI_OUT_MAX);
	if (!buf)
		return -ENOMEM;
	if (pipe2(in, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	if (pipe2(outp, O_CLOEXEC)) {
		ret = -errno;
		close(in[0]);
		close(in[1]);
		free(buf);
		return ret;
	}
	pid = fork();
	if (pid == 0) {
		char *argv[] = { plugin, NULL };
		char *envp[] = { e_cmd, e_id, e_ns, "CNI_IFNAME=eth0", cni_path,
				 args, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

		if (setns(call->worker_fd, CLONE_NEWNET) ||
		    dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0)
			_exit(126);
		execve(plugin, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (pid < 0) {
		ret = -errno;
		close(in[1]);
		close(outp[0]);
		free(buf);
		return ret;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A failed write shows in the plugin's own error. */
	n = write(in[1], call->config, strlen(call->config));
	close(in[1]);
	n = read_all(outp[0], buf, CNI_OUT_MAX, deadline);
	close(outp[0]);
	if (n < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The plugin's {code,msg,details} as one line. */
static void cni_error(const char *out, int status, char *err, size_t errlen)
{
	cJSON *o = cJSON_Parse(out);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "msg");
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(o, "details");

	if (cJSON_IsString(msg))
		snprintf(err, errlen, "knetsim-cni: %s%s%s (code %d)", msg->valuestring,
			 cJSON_IsString(det) && *det->valuestring ? ": " : "",
			 cJSON_IsString(det) ? det->valuestring : "",
			 cJSON_IsNumber(code) ? code->valueint : -1);
	else
		snprintf(err, errlen, "knetsim-cni exited with %d: %.200s", status, out);
	cJSON_Delete(o);
}

/* The first address of a CNI result, without its prefix length. */
static int result_ip(const char *out, char *ip)
{
	cJSON *o = cJSON_Parse(out);
	const cJSON *ips = cJSON_GetObjectItemCaseSensitive(o, "ips");
	const cJSON *addr = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ips, 0),
							     "address");
	int ret = -EINVAL;

	if (cJSON_IsString(addr)) {
		snprintf(ip, IP4_STRLEN, "%.*s", (int)strcspn(addr->valuestring, "/"),
			 addr->valuestring);
		ret = 0;
	}
	cJSON_Delete(o);
	return ret;
}

static char *pod_key(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, PODS_PREFIX PODS_NAMESPACE "/%s", name);
	return buf;
}

static char *pod_object(const struct topology *t, const struct pod_request *req,
			const char *ip, const char *netns)
{
	char host[IP4_STRLEN];
	cJSON *o = cJSON_CreateObject(), *md, *labels, *spec, *status;
	char *out;

	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Pod");
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", req->name);
	cJSON_AddStringToObject(md, "namespace", PODS_NAMESPACE);
	labels = cJSON_AddObjectToObject(md, "labels");
	for (size_t i = 0; i < req->n_labels; i++)
		cJSON_AddStringToObject(labels, req->labels[i].key, req->labels[i].value);
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddStringToObject(spec, "nodeName", req->worker->name);
	status = cJSON_AddObjectToObject(o, "status");
	cJSON_AddStringToObject(status, "phase", "Running");
	cJSON_AddStringToObject(status, "podIP", ip);
	cJSON_AddStringToObject(status, "hostIP", ip4_format(req->worker->addr, host));
	cJSON_AddStringToObject(status, "netns", netns);
	(void)t;
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

struct pod_ctx {
	char netns[NAMES_NETNS_MAX];
	char netns_path[PATH_MAX];
	char container[160];
	char *config;
	int worker_fd;
};

static int ctx_init(struct pod_ctx *x, struct state *st, const struct topology *t,
		    const struct node *w, const char *pod, char *err, size_t errlen)
{
	const char *cluster = t->clusters[w->cluster].name;
	char wns[NAMES_NETNS_MAX];

	memset(x, 0, sizeof(*x));
	x->worker_fd = -1;
	if (!pod_netns(state_sim(st), cluster, pod, x->netns, sizeof(x->netns)))
		return fail(err, errlen, "%s: pod name too long", pod);
	snprintf(x->netns_path, sizeof(x->netns_path), KNETSIM_NETNS_DIR "/%s", x->netns);
	snprintf(x->container, sizeof(x->container), "%s-%s-%s", state_sim(st),
		 cluster, pod);
	if (cni_config(st, t, w, &x->config))
		return fail(err, errlen, "out of memory");
	x->worker_fd = netns_open(names_netns(state_sim(st), w->name, wns, sizeof(wns)));
	if (x->worker_fd < 0)
		return fail(err, errlen, "%s: %s", wns, strerror(-x->worker_fd));
	return 0;
}

static void ctx_free(struct pod_ctx *x)
{
	free(x->config);
	if (x->worker_fd >= 0)
		close(x->worker_fd);
}

static int cni_del(struct pod_ctx *x, const char *pod, char *err, size_t errlen)
{
	struct cni_call call = {
		.command = "DEL", .container = x->container,
		.netns_path = netns_exists(x->netns) ? x->netns_path : "",
		.pod = pod, .worker_fd = x->worker_fd, .config = x->config,
	};
	char *out = NULL;
	int ret = cni_run(&call, &out);

	if (ret)
		cni_error(out ? out : "", ret, err, errlen);
	free(out);
	return ret ? -1 : 0;
}

int pod_add(struct state *st, const struct topology *t,
	    const struct pod_request *req, char *ip, char *err, size_t errlen)
{
	const size_t cl = req->worker->cluster;
	char key[256], addr[IP4_STRLEN], *out = NULL, *obj = NULL, why[512];
	struct cni_call call = { .command = "ADD", .pod = req->name };
	struct etcd *e = NULL;
	struct pod_ctx x;
	int ret;

	if (!topology_name_valid(req->name, TOPO_POD_NAME_MAX))
		return fail(err, errlen, "pod name \"%s\": expected 1 to %d of [A-Za-z0-9_-]",
			    req->name, TOPO_POD_NAME_MAX);
	if (ctx_init(&x, st, t, req->worker, req->name, err, errlen)) {
		ctx_free(&x);
		return -1;
	}
	e = etcd_cluster_client(st, t, cl, err, errlen);
	if (!e) {
		ret = -1;
		goto out;
	}
	pod_key(req->name, key, sizeof(key));
	ret = etcd_get(e, key, &out, NULL, NULL);
	free(out);
	out = NULL;
	if (ret != -ENOENT || netns_exists(x.netns)) {
		ret = fail(err, errlen, ret ? "pod %s: etcd: %s" : "pod %s already exists in cluster %s",
			   req->name, ret ? etcd_error(e) : t->clusters[cl].name);
		goto out;
	}
	ret = state_add_netns(st, x.netns);
	if (!ret)
		ret = netns_create(x.netns);
	if (ret) {
		ret = fail(err, errlen, "pod %s: namespace %s: %s", req->name, x.netns,
			   strerror(-ret));
		goto out;
	}
	call.container = x.container;
	call.netns_path = x.netns_path;
	call.worker_fd = x.worker_fd;
	call.config = x.config;
	ret = cni_run(&call, &out);
	if (ret) {
		if (ret < 0)
			fail(err, errlen, "pod %s: knetsim-cni: %s", req->name, strerror(-ret));
		else
			cni_error(out ? out : "", ret, err, errlen);
		goto undo;
	}
	if (result_ip(out, addr)) {
		fail(err, errlen, "pod %s: knetsim-cni returned no address", req->name);
		goto undo;
	}
	obj = pod_object(t, req, addr, x.netns);
	if (!obj || etcd_put(e, key, obj, strlen(obj), 0)) {
		fail(err, errlen, "pod %s: record in etcd: %s", req->name,
		     obj ? etcd_error(e) : "out of memory");
		goto undo;
	}
	if (ip)
		snprintf(ip, IP4_STRLEN, "%s", addr);
	ret = 0;
	goto out;
undo:
	cni_del(&x, req->name, why, sizeof(why));
	netns_delete(x.netns);
	ret = -1;
out:
	free(out);
	free(obj);
	etcd_close(e);
	ctx_free(&x);
	return ret;
}

/* A runtime ends a pod's processes with the pod: once its namespace is
 * unmounted, nothing (not even knetsim down) could find them again. */
static void stop_pod_processes(const char *netns)
{
	struct proc_id ids[256];
	ino_t ino = netns_inode(netns);
	size_t n = ino ? proc_in_netns(ino, ids, 256) : 0;

	proc_stop_all(ids, n, POD_STOP_TIMEOUT_MS);
}

/* The worker a pod runs on, from its etcd record. */
static const struct node *pod_worker(const struct topology *t, const char *obj)
{
	cJSON *o = cJSON_Parse(obj);
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(o, "spec"), "nodeName");
	const struct node *w = NULL;

	if (cJSON_IsString(node))
		w = topology_node(t, node->valuestring);
	cJSON_Delete(o);
	return w && w->kind == NODE_WORKER ? w : NULL;
}

int pod_del(struct state *st, const struct topology *t, size_t cluster,
	    const char *name, char *err, size_t errlen)
{
	char key[256], *obj = NULL;
	const struct node *w;
	struct etcd *e;
	struct pod_ctx x;
	int ret;

	e = etcd_cluster_client(st, t, cluster, err, errlen);
	if (!e)
		return -1;
	pod_key(name, key, sizeof(key));
	ret = etcd_get(e, key, &obj, NULL, NULL);
	if (ret) {
		fail(err, errlen, ret == -ENOENT ? "pod %s: no such pod in cluster %s" :
			"pod %s: etcd: %s", name,
		     ret == -ENOENT ? t->clusters[cluster].name : etcd_error(e));
		etcd_close(e);
		return -1;
	}
	w = pod_worker(t, obj);
	free(obj);
	if (!w) {
		etcd_close(e);
		return fail(err, errlen, "pod %s: its record names no worker of this simulation",
			    name);
	}
	ret = ctx_init(&x, st, t, w, name, err, errlen);
	if (!ret)
		ret = cni_del(&x, name, err, errlen);
	if (!ret) {
		stop_pod_processes(x.netns);
		ret = netns_delete(x.netns);
		if (ret)
			fail(err, errlen, "pod %s: delete %s: %s", name, x.netns,
			     strerror(-ret));
	}
	if (!ret && etcd_delete(e, key))
		ret = fail(err, errlen, "pod %s: etcd: %s", name, etcd_error(e));
	ctx_free(&x);
	etcd_close(e);
	return ret ? -1 : 0;
}
