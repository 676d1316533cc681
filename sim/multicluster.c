// SPDX-License-Identifier: MIT
#include "multicluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "cli.h"
#include "etcd_cluster.h"
#include "fsutil.h"
#include "mc_cert.h"
#include "mc_plan.h"
#include "names.h"
#include "netns.h"
#include "pods.h"
#include "proc.h"
#include "progress.h"
#include "services.h"
#include "skrouter_conf.h"
#include "supervise.h"

#define POLL_MS 50
#define LOG_TAIL 400
#define TCP_STATE_LISTEN 0x0A /* in /proc/net/tcp */
/* Quick exits in a row after which a router's supervisor gives up: a
 * router that cannot start then fails `up` within MC_READY_TIMEOUT_MS
 * (0.5 + 1 + 2 + 4 s of backoff) instead of restarting forever. */
#define MC_GIVE_UP "5"

/* Where distributions put nginx's dynamic stream module. */
static const char *const stream_modules[] = {
	"/usr/lib/nginx/modules/ngx_stream_module.so",
	"/usr/lib64/nginx/modules/ngx_stream_module.so",
	"/usr/share/nginx/modules/ngx_stream_module.so",
	"/usr/local/nginx/modules/ngx_stream_module.so",
	NULL,
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

bool mc_wanted(const struct topology *t)
{
	return t->mc.enabled && t->mc.n_links;
}

bool mc_find_program(const char *name, char *buf)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 &&
		       snprintf(buf, PATH_MAX, "%s", name) < PATH_MAX;
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		struct stat sb;
		size_t len;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (!len || len + strlen(name) + 2 > PATH_MAX)
			continue;
		snprintf(buf, PATH_MAX, "%.*s/%s", (int)len, p, name);
		if (!stat(buf, &sb) && S_ISREG(sb.st_mode) &&
		    access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

enum mc_gateway mc_running_kind(const struct state_view *v)
{
	for (size_t i = 0; i < v->n_procs; i++) {
		if (!strcmp(v->procs[i].role, MC_ROLE_SKUPPER))
			return MC_GATEWAY_SKUPPER;
		if (!strcmp(v->procs[i].role, MC_ROLE_NGINX))
			return MC_GATEWAY_NGINX;
	}
	return MC_GATEWAY_AUTO;
}

static int pod_ip(struct etcd *e, const char *cluster, const char *pod,
		  uint32_t *ip, char *err, size_t errlen)
{
	char key[256], why[256];
	struct svc_pod p = { 0 };
	char *val = NULL;
	size_t len;
	int ret;

	snprintf(key, sizeof(key), PODS_PREFIX PODS_NAMESPACE "/%s", pod);
	ret = etcd_get(e, key, &val, &len, NULL);
	if (ret) {
		fail(err, errlen, "pod %s of %s: %s", pod, cluster,
		     ret == -ENOENT ? "not in etcd" : etcd_error(e));
		return ret;
	}
	ret = svc_pod_parse(val, len, &p, why, sizeof(why));
	free(val);
	if (!ret && !p.ip)
		ret = -EAGAIN;
	if (ret)
		fail(err, errlen, "pod %s of %s: %s", pod, cluster,
		     ret == -EAGAIN ? "has no address yet" : why);
	*ip = p.ip;
	return ret;
}

int mc_resolve_targets(const struct state *st, const struct topology *t,
		       uint32_t **out, char *err, size_t errlen)
{
	uint32_t *ip = calloc(t->mc.n_exports + 1, sizeof(*ip));
	int ret = 0;

	*out = NULL;
	if (!ip)
		return -ENOMEM;
	for (size_t i = 0; !ret && i < t->mc.n_exports; i++) {
		const struct topo_mc_export *x = &t->mc.exports[i];
		const char *cl = t->clusters[x->cluster].name;
		struct etcd *e;

		if (x->kind == MC_TARGET_SERVICE) {
			ip[i] = t->services[x->target].spec.vip;
			continue;
		}
		e = etcd_cluster_client(st, t, x->cluster, err, errlen);
		if (!e) {
			ret = -EIO;
			break;
		}
		ret = pod_ip(e, cl, t->pods[x->target].name, &ip[i], err, errlen);
		etcd_close(e);
	}
	if (ret) {
		free(ip);
		return ret;
	}
	*out = ip;
	return 0;
}

/* The simulation's CA and one certificate per router node. */
static int make_certs(struct state *st, const struct topology *t,
		      const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], key[PATH_MAX], cdir[PATH_MAX];
	char cn[KNETSIM_SIM_NAME_MAX + 8];
	struct mc_ca *ca;
	int ret;

	snprintf(cn, sizeof(cn), "%s-ca", state_sim(st));
	ret = mc_ca_new(cn, &ca, err, errlen);
	if (ret)
		return ret;
	ret = mc_ca_write(ca, mc_path(dir, NULL, MC_CA_CERT, path), err, errlen);
	for (size_t c = 0; !ret && c < t->n_clusters; c++) {
		const struct node *n = mc_router_node(t, c);
		const char *cl = t->clusters[c].name;

		if (!mc_cluster_linked(t, c))
			continue;
		if (!mc_path(dir, cl, MC_CERT, path) ||
		    !mc_path(dir, cl, MC_KEY, key) ||
		    !mc_path(dir, NULL, cl, cdir)) {
			ret = fail(err, errlen, "%s: path too long", dir);
			break;
		}
		ret = mkdir_p(cdir, 0755);
		if (ret) {
			fail(err, errlen, "create %s: %s", cdir, strerror(-ret));
			break;
		}
		ret = mc_cert_issue(ca, n->name, n->addr, path, key, err, errlen);
	}
	mc_ca_free(ca);
	return ret;
}

static const char *stream_module(void)
{
	for (size_t i = 0; stream_modules[i]; i++)
		if (access(stream_modules[i], R_OK) == 0)
			return stream_modules[i];
	return NULL; /* built in, or nginx will say it is missing */
}

/* What one router needs to start. */
struct launch {
	enum mc_gateway kind;
	char program[PATH_MAX];
	const char *module;
	const char *dir;
	const uint32_t *targets;
};

static int write_conf(const struct launch *l, const struct topology *t,
		      size_t c, char *conf, char *err, size_t errlen)
{
	const char *cl = t->clusters[c].name;
	bool skr = l->kind == MC_GATEWAY_SKUPPER;
	char *text;
	int ret;

	text = skr ? mc_render_skrouter(t, c, l->dir, l->targets, err, errlen) :
		     mc_render_nginx(t, c, l->dir, l->targets, l->module, err,
				     errlen);
	if (!text)
		return -EINVAL;
	if (!mc_path(l->dir, cl, skr ? MC_SKR_CONF : MC_NGX_CONF, conf)) {
		free(text);
		return fail(err, errlen, "%s: path too long", l->dir);
	}
	ret = write_file(conf, text, strlen(text), 0644);
	free(text);
	if (ret)
		fail(err, errlen, "write %s: %s", conf, strerror(-ret));
	return ret;
}

static int start_one(struct state *st, const struct launch *l,
		     const struct topology *t, size_t c, char *err,
		     size_t errlen)
{
	const struct node *n = mc_router_node(t, c);
	const char *cl = t->clusters[c].name;
	bool skr = l->kind == MC_GATEWAY_SKUPPER;
	char conf[PATH_MAX], log[PATH_MAX], prefix[PATH_MAX];
	char ns[NAMES_NETNS_MAX], why[PATH_MAX + 128];
	/* Run under `knetsim __supervise`, which restarts it if it dies; the
	 * supervisor is what the state records (same namespace). */
	char *skr_argv[] = { (char *)cli_self_exe(), SUPERVISE_CMD,
			     "--give-up", MC_GIVE_UP, "--",
			     (char *)l->program, "-c", conf, NULL };
	char *ngx_argv[] = { (char *)cli_self_exe(), SUPERVISE_CMD,
			     "--give-up", MC_GIVE_UP, "--",
			     (char *)l->program, "-p", prefix, "-c", conf,
			     "-e", log, NULL };
	struct proc_spec spec = { .argv = skr ? skr_argv : ngx_argv };
	struct proc_id id;
	int ret;

	ret = write_conf(l, t, c, conf, err, errlen);
	if (ret)
		return ret;
	if (!mc_path(l->dir, cl, skr ? MC_SKR_LOG : MC_NGX_ERRLOG, log) ||
	    snprintf(prefix, sizeof(prefix), "%s/%s/", l->dir, cl) >= PATH_MAX)
		return fail(err, errlen, "%s: path too long", l->dir);
	spec.log_path = log;
	spec.cwd = prefix;
	spec.nsfd = netns_open(names_netns(state_sim(st), n->name, ns, sizeof(ns)));
	if (spec.nsfd < 0)
		return fail(err, errlen, "%s: %s", ns, strerror(-spec.nsfd));
	ret = proc_spawn(&spec, &id, why, sizeof(why));
	close(spec.nsfd);
	if (!ret)
		ret = state_add_proc(st, skr ? MC_ROLE_SKUPPER : MC_ROLE_NGINX,
				     n->name, &id, log);
	if (ret)
		fail(err, errlen, "%s: %s: %s", n->name,
		     skr ? "skupper-router" : "nginx gateway",
		     *why ? why : strerror(-ret));
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

bool mc_port_listening(pid_t pid, uint16_t port)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned local_port, state;

		/* "  0: 00000000:0404 00000000:0000 0A ..." */
		if (sscanf(line, " %*u: %*x:%x %*x:%*x %x", &local_port,
			   &state) == 2)
			found = local_port == port && state == TCP_STATE_LISTEN;
	}
	fclose(f);
	return found;
}

/* The last lines of a log, on one line, for an error message. */
static void log_tail(const char *path, char *buf, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	const char *p;

	buf[0] = '\0';
	if (read_file(path, &text, &n) || !n) {
		free(text);
		return;
	}
	p = n > LOG_TAIL ? text + n - LOG_TAIL : text;
	snprintf(buf, len, "%s", p);
	for (char *q = buf; *q; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	free(text);
}

/* The ports a router of cluster c answers on once it is up. */
static size_t ready_ports(const struct topology *t, size_t c,
			  enum mc_gateway kind, uint16_t *ports, size_t max)
{
	size_t n = 0;

	if (kind == MC_GATEWAY_SKUPPER) {
		ports[n++] = SKR_PORT_AMQP;
		return n;
	}
	for (size_t i = 0; i < t->mc.n_exports && n < max; i++) {
		const struct topo_mc_export *e = &t->mc.exports[i];
		bool here = e->cluster == c;

		for (size_t j = 0; !here && j < e->n_consumers; j++)
			here = e->consumers[j] == c;
		if (here)
			ports[n++] = e->listen;
	}
	return n;
}

static int wait_one(const struct topology *t, size_t c,
		    enum mc_gateway kind, const struct state_proc *p,
		    long long deadline, char *err, size_t errlen)
{
	const struct node *n = mc_router_node(t, c);
	size_t np = t->mc.n_exports + 1, done = 0;
	uint16_t *ports = calloc(np, sizeof(*ports));
	char tail[LOG_TAIL + 1];
	int ret = 0;

	if (!ports)
		return -ENOMEM;
	np = ready_ports(t, c, kind, ports, np);
	while (done < np) {
		if (mc_port_listening(p->id.pid, ports[done])) {
			done++;
			continue;
		}
		if (!proc_alive(&p->id)) {
			log_tail(p->log, tail, sizeof(tail));
			ret = fail(err, errlen, "%s on %s exited: %s (log %s)",
				   p->role, n->name, tail, p->log);
			break;
		}
		if (now_ms() > deadline) {
			ret = fail(err, errlen, "%s on %s does not listen on "
				   "port %u (see %s)", p->role, n->name,
				   ports[done], p->log);
			break;
		}
		usleep(POLL_MS * 1000);
	}
	free(ports);
	return ret ? -ETIMEDOUT : 0;
}

static const struct state_proc *recorded(const struct state_view *v,
					 const char *role, const char *node)
{
	for (size_t i = v->n_procs; i-- > 0;)
		if (!strcmp(v->procs[i].role, role) &&
		    !strcmp(v->procs[i].node, node))
			return &v->procs[i];
	return NULL;
}

static int wait_all(struct state *st, const struct topology *t,
		    enum mc_gateway kind, char *err, size_t errlen)
{
	long long deadline = now_ms() + MC_READY_TIMEOUT_MS;
	const char *role = kind == MC_GATEWAY_SKUPPER ? MC_ROLE_SKUPPER :
							MC_ROLE_NGINX;
	struct state_view v;
	int ret = state_load(st, &v);

	if (ret)
		return fail(err, errlen, "read state: %s", strerror(-ret));
	for (size_t c = 0; !ret && c < t->n_clusters; c++) {
		const struct state_proc *p =
			recorded(&v, role, mc_router_node(t, c)->name);

		if (p)
			ret = wait_one(t, c, kind, p, deadline, err, errlen);
	}
	state_view_free(&v);
	return ret;
}

static int choose(const struct topology *t, struct launch *l, char *err,
		  size_t errlen)
{
	bool have = mc_find_program("skrouterd", l->program);

	l->kind = mc_gateway_resolve(t->mc.gateway, have);
	if (l->kind == MC_GATEWAY_SKUPPER) {
		if (!have)
			return fail(err, errlen, "multicluster.gateway is skupper "
				    "but skrouterd is not on PATH (see the "
				    "README: build skupper-router, or use "
				    "gateway: nginx)");
		return 0;
	}
	if (!mc_find_program("nginx", l->program))
		return fail(err, errlen, "the nginx gateway needs nginx with "
			    "its stream module (Debian: nginx, "
			    "libnginx-mod-stream; 'make deps')");
	l->module = stream_module();
	return 0;
}

static bool runs_here(const struct launch *l, const struct topology *t,
		      size_t c)
{
	if (!mc_cluster_linked(t, c))
		return false;
	return l->kind == MC_GATEWAY_SKUPPER || mc_nginx_needed(t, c);
}

int mc_up(struct state *st, const struct topology *t, char *err,
	  size_t errlen)
{
	struct launch l = { 0 };
	char dir[PATH_MAX];
	uint32_t *targets = NULL;
	size_t n = 0;
	int ret;

	if (!mc_wanted(t))
		return 0;
	progress_phase("multicluster", 0);
	if (choose(t, &l, err, errlen))
		return -ENOENT;
	if (!state_path(st, MC_DIR "/" MC_CA_CERT, dir, true))
		return fail(err, errlen, "state path too long");
	*strrchr(dir, '/') = '\0';
	l.dir = dir;
	ret = make_certs(st, t, dir, err, errlen);
	if (!ret)
		ret = mc_resolve_targets(st, t, &targets, err, errlen);
	l.targets = targets;
	for (size_t c = 0; !ret && c < t->n_clusters; c++) {
		if (!runs_here(&l, t, c))
			continue;
		ret = start_one(st, &l, t, c, err, errlen);
		n++;
	}
	if (!ret)
		ret = wait_all(st, t, l.kind, err, errlen);
	free(targets);
	if (ret)
		return ret;
	if (l.kind == MC_GATEWAY_SKUPPER)
		progress_done("%zu skupper-routers (%s)", n, l.program);
	else
		progress_done("%zu nginx TLS gateways (%s)", n,
			      t->mc.gateway == MC_GATEWAY_AUTO ?
			      "skrouterd not on PATH" : "gateway: nginx");
	return 0;
}
