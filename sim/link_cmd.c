// SPDX-License-Identifier: MIT
/* knetsim link status: each cluster's router and what it says of its links
 * and services. skupper-router is asked through its management interface
 * (skmanage, run in the router's namespace); the nginx gateway's listeners
 * are tried, and each remote gateway must answer a TLS handshake with a
 * certificate of the simulation's CA. The table is printed from the same
 * JSON that -j prints. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "cli.h"
#include "log.h"
#include "mc_plan.h"
#include "multicluster.h"
#include "names.h"
#include "netns.h"
#include "skrouter_conf.h"
#include "state.h"
#include "tls_probe.h"
#include "topology.h"

#define PROBE_TIMEOUT_MS 2000
#define SKMANAGE_TIMEOUT_MS 5000
#define SKMANAGE_OUT_MAX (1 << 20)

static void link_usage(FILE *f)
{
	fprintf(f,
		"usage: knetsim link status [--name SIM] [-j]\n"
		"  Each cluster's router (skupper-router or the nginx TLS gateway):\n"
		"  its links to the other clusters and the services it exposes.\n");
}

/* --- skupper-router, through skmanage --- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static __attribute__((noreturn)) void child_exec(int nsfd, int out,
						 char *const *argv)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (setns(nsfd, CLONE_NEWNET) || null < 0 || dup2(null, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(null, 2) < 0)
		_exit(126);
	execvp(argv[0], argv);
	_exit(127);
}

/* Runs argv in namespace nsfd and returns its stdout (malloc'd), NULL
 * when it fails, exits non-zero or takes longer than the timeout. */
static char *run_capture(int nsfd, char *const *argv, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int p[2], status = -1;
	bool ok = true;
	pid_t pid;

	if (!buf || pipe2(p, O_CLOEXEC)) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid == 0)
		child_exec(nsfd, p[1], argv);
	close(p[1]);
	while (ok && pid > 0) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long long left = end - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			ok = false;
			break;
		}
		if (len + 1 >= cap) {
			char *tmp = cap < SKMANAGE_OUT_MAX ? realloc(buf, cap * 2) : NULL;

			if (!tmp) {
				ok = false;
				break;
			}
			buf = tmp;
			cap *= 2;
		}
		n = read(p[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	if (pid > 0) {
		if (!ok)
			kill(pid, SIGKILL); /* our own child, by its PID */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (pid <= 0 || !ok || !WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* `skmanage query --type TYPE` against the router's management listener. */
static cJSON *skmanage(int nsfd, const char *prog, const char *type)
{
	char bus[32], *out;
	char *argv[] = { (char *)prog, "-b", bus, "query", "--type",
			 (char *)type, NULL };
	cJSON *j;

	snprintf(bus, sizeof(bus), MC_MGMT_HOST ":%u", SKR_PORT_AMQP);
	out = run_capture(nsfd, argv, SKMANAGE_TIMEOUT_MS);
	j = out ? cJSON_Parse(out) : NULL;
	free(out);
	if (j && !cJSON_IsArray(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

static void copy_field(cJSON *to, const cJSON *from, const char *key,
		       const char *as)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);

	if (v)
		cJSON_AddItemToObject(to, as ? as : key, cJSON_Duplicate(v, true));
}

static void skupper_links(cJSON *r, const cJSON *conns)
{
	cJSON *links = cJSON_AddArrayToObject(r, "links");
	const cJSON *c;

	cJSON_ArrayForEach(c, conns) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(c, "role");
		cJSON *l;

		if (!cJSON_IsString(role) || strcmp(role->valuestring, "inter-router"))
			continue;
		l = cJSON_CreateObject();
		copy_field(l, c, "container", "peer");
		copy_field(l, c, "host", NULL);
		copy_field(l, c, "dir", NULL);
		copy_field(l, c, "operStatus", "status");
		copy_field(l, c, "isEncrypted", "encrypted");
		copy_field(l, c, "isAuthenticated", "authenticated");
		copy_field(l, c, "sslProto", "tls");
		copy_field(l, c, "user", NULL);
		cJSON_AddItemToArray(links, l);
	}
}

static void skupper_services(cJSON *r, const cJSON *list, const char *kind)
{
	cJSON *svcs = cJSON_GetObjectItemCaseSensitive(r, "services");
	const cJSON *e;

	if (!svcs)
		svcs = cJSON_AddArrayToObject(r, "services");
	cJSON_ArrayForEach(e, list) {
		cJSON *s = cJSON_CreateObject();

		copy_field(s, e, "address", "service");
		cJSON_AddStringToObject(s, "kind", kind);
		copy_field(s, e, "host", NULL);
		copy_field(s, e, "port", NULL);
		copy_field(s, e, "operStatus", "status");
		copy_field(s, e, "connectionsOpened", "connections");
		cJSON_AddItemToArray(svcs, s);
	}
}

static void skupper_router(cJSON *r, int nsfd)
{
	char prog[PATH_MAX];
	cJSON *conns, *lis, *con;

	if (!mc_find_program("skmanage", prog)) {
		cJSON_AddStringToObject(r, "management", "skmanage is not on PATH: "
					"install skupper-router's tools to see links "
					"and services (see the README)");
		return;
	}
	conns = skmanage(nsfd, prog, "connection");
	lis = skmanage(nsfd, prog, "tcpListener");
	con = skmanage(nsfd, prog, "tcpConnector");
	if (!conns) {
		cJSON_AddStringToObject(r, "management", "the router does not "
					"answer skmanage on " MC_MGMT_HOST);
	} else {
		cJSON_AddStringToObject(r, "management", "skmanage");
		skupper_links(r, conns);
		skupper_services(r, con, "lives here");
		skupper_services(r, lis, "consumed here");
	}
	cJSON_Delete(conns);
	cJSON_Delete(lis);
	cJSON_Delete(con);
}

/* --- the nginx gateway --- */

static bool consumes(const struct topo_mc_export *e, size_t ci)
{
	for (size_t i = 0; i < e->n_consumers; i++)
		if (e->consumers[i] == ci)
			return true;
	return false;
}

static void probe_peer(cJSON *p, int nsfd, const char *dir, const char *cl,
		       const struct node *peer, uint16_t port)
{
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], why[256];
	struct tls_probe pr = {
		.ca_file = mc_path(dir, NULL, MC_CA_CERT, ca),
		.cert_file = mc_path(dir, cl, MC_CERT, cert),
		.key_file = mc_path(dir, cl, MC_KEY, key),
		.name = peer->name,
		.timeout_ms = PROBE_TIMEOUT_MS,
	};
	struct tls_probe_result res;

	if (tls_probe_run(nsfd, peer->addr, port, &pr, &res, why, sizeof(why))) {
		cJSON_AddStringToObject(p, "handshake", "failed");
		cJSON_AddStringToObject(p, "error", why);
		return;
	}
	cJSON_AddStringToObject(p, "handshake", "ok");
	cJSON_AddStringToObject(p, "tls", res.version);
	cJSON_AddStringToObject(p, "certificate", res.peer);
}

static void nginx_gateway(cJSON *r, const struct topology *t, size_t ci,
			  int nsfd, pid_t pid, const char *dir,
			  const uint32_t *targets)
{
	cJSON *lis = cJSON_AddArrayToObject(r, "listeners");
	cJSON *peers = cJSON_AddArrayToObject(r, "peers");
	char ip[IP4_STRLEN], to[64];

	for (size_t i = 0; i < t->mc.n_exports; i++) {
		const struct topo_mc_export *e = &t->mc.exports[i];
		const struct node *peer = mc_router_node(t, e->cluster);
		bool here = e->cluster == ci;
		cJSON *l;

		if (!here && !consumes(e, ci))
			continue;
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "service", e->name);
		cJSON_AddNumberToObject(l, "port", e->listen);
		cJSON_AddStringToObject(l, "kind", here ? "lives here" :
					"consumed here");
		cJSON_AddBoolToObject(l, "tls", here);
		if (here && targets)
			snprintf(to, sizeof(to), "%s:%u",
				 ip4_format(targets[i], ip), e->port);
		else if (here)
			snprintf(to, sizeof(to), "?:%u", e->port);
		else
			snprintf(to, sizeof(to), "%s:%u (TLS)",
				 ip4_format(peer->addr, ip), e->listen);
		cJSON_AddStringToObject(l, "to", to);
		cJSON_AddBoolToObject(l, "listening",
				      mc_port_listening(pid, e->listen));
		cJSON_AddItemToArray(lis, l);
		if (here)
			continue;
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "service", e->name);
		cJSON_AddStringToObject(l, "cluster", t->clusters[e->cluster].name);
		cJSON_AddStringToObject(l, "node", peer->name);
		cJSON_AddStringToObject(l, "address", ip4_format(peer->addr, ip));
		cJSON_AddNumberToObject(l, "port", e->listen);
		probe_peer(l, nsfd, dir, t->clusters[ci].name, peer, e->listen);
		cJSON_AddItemToArray(peers, l);
	}
}

/* --- both --- */

static const struct state_proc *router_proc(const struct state_view *v,
					    const char *role, const char *node)
{
	for (size_t i = v->n_procs; i-- > 0;)
		if (!strcmp(v->procs[i].role, role) &&
		    !strcmp(v->procs[i].node, node))
			return &v->procs[i];
	return NULL;
}

static cJSON *router_status(const struct state *st, const struct topology *t,
			    size_t ci, const struct state_proc *p,
			    enum mc_gateway kind, const uint32_t *targets)
{
	const struct node *n = mc_router_node(t, ci);
	char ip[IP4_STRLEN], ns[NAMES_NETNS_MAX], dir[PATH_MAX];
	cJSON *r = cJSON_CreateObject();
	bool alive = proc_alive(&p->id);
	int fd;

	cJSON_AddStringToObject(r, "cluster", t->clusters[ci].name);
	cJSON_AddStringToObject(r, "node", n->name);
	cJSON_AddStringToObject(r, "address", ip4_format(n->addr, ip));
	cJSON_AddNumberToObject(r, "pid", p->id.pid);
	cJSON_AddBoolToObject(r, "alive", alive);
	cJSON_AddStringToObject(r, "log", p->log);
	if (!alive)
		return r;
	fd = netns_open(names_netns(state_sim(st), n->name, ns, sizeof(ns)));
	if (fd < 0)
		return r;
	state_path(st, MC_DIR, dir, false);
	if (kind == MC_GATEWAY_SKUPPER)
		skupper_router(r, fd);
	else
		nginx_gateway(r, t, ci, fd, p->id.pid, dir, targets);
	close(fd);
	return r;
}

static cJSON *link_status(const struct state *st, const struct topology *t,
			  const struct state_view *v)
{
	enum mc_gateway kind = mc_running_kind(v);
	const char *role = kind == MC_GATEWAY_SKUPPER ? MC_ROLE_SKUPPER :
							MC_ROLE_NGINX;
	cJSON *o = cJSON_CreateObject(), *routers;
	uint32_t *targets = NULL;
	char why[256];

	cJSON_AddStringToObject(o, "simulation", state_sim(st));
	if (kind == MC_GATEWAY_AUTO)
		cJSON_AddNullToObject(o, "gateway");
	else
		cJSON_AddStringToObject(o, "gateway", mc_gateway_name(kind));
	routers = cJSON_AddArrayToObject(o, "routers");
	if (kind == MC_GATEWAY_NGINX)
		mc_resolve_targets(st, t, &targets, why, sizeof(why));
	for (size_t c = 0; kind != MC_GATEWAY_AUTO && c < t->n_clusters; c++) {
		const struct state_proc *p =
			router_proc(v, role, mc_router_node(t, c)->name);

		if (p)
			cJSON_AddItemToArray(routers,
					     router_status(st, t, c, p, kind, targets));
	}
	free(targets);
	return o;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

static const char *flag(const cJSON *o, const char *key, const char *yes,
			const char *no)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key)) ? yes : no;
}

static int num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valueint : 0;
}

static void print_skupper(const cJSON *r)
{
	const cJSON *x;

	if (strcmp(str(r, "management"), "skmanage")) {
		printf("  %s\n", str(r, "management"));
		return;
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "links"))
		printf("  link  %-8s %-3s %-21s %s, %s%s%s%s\n", str(x, "peer"),
		       str(x, "dir"), str(x, "host"), str(x, "status"),
		       flag(x, "encrypted", "encrypted (", "NOT encrypted"),
		       flag(x, "encrypted", str(x, "tls"), ""),
		       flag(x, "encrypted", ")", ""),
		       flag(x, "authenticated", ", peer authenticated", ""));
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "services"))
		printf("  svc   %-12s %-13s %s:%s%s%s\n", str(x, "service"),
		       str(x, "kind"), str(x, "host"), str(x, "port"),
		       cJSON_GetObjectItemCaseSensitive(x, "status") ? " " : "",
		       cJSON_GetObjectItemCaseSensitive(x, "status") ?
		       str(x, "status") : "");
}

static void print_nginx(const cJSON *r)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "listeners"))
		printf("  listen %-5d %-12s %-13s %-4s -> %-24s %s\n",
		       num(x, "port"), str(x, "service"), str(x, "kind"),
		       flag(x, "tls", "TLS", "TCP"), str(x, "to"),
		       flag(x, "listening", "listening", "NOT LISTENING"));
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "peers")) {
		if (strcmp(str(x, "handshake"), "ok"))
			printf("  peer   %-8s %s:%d TLS handshake FAILED: %s\n",
			       str(x, "node"), str(x, "address"), num(x, "port"),
			       str(x, "error"));
		else
			printf("  peer   %-8s %s:%d TLS handshake ok (%s, certificate %s)\n",
			       str(x, "node"), str(x, "address"), num(x, "port"),
			       str(x, "tls"), str(x, "certificate"));
	}
}

static void print_table(const cJSON *o)
{
	const cJSON *gw = cJSON_GetObjectItemCaseSensitive(o, "gateway");
	const cJSON *r;

	if (!cJSON_IsString(gw)) {
		printf("%s runs no multi-cluster router\n", str(o, "simulation"));
		return;
	}
	printf("%s: %s\n", str(o, "simulation"),
	       !strcmp(gw->valuestring, "skupper") ? "skupper-router" :
	       "nginx TLS gateway (stream)");
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(o, "routers")) {
		printf("\n%s on %s (%s) pid %d %s\n", str(r, "cluster"),
		       str(r, "node"), str(r, "address"), num(r, "pid"),
		       flag(r, "alive", "alive", "DEAD"));
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "alive")))
			printf("  see %s\n", str(r, "log"));
		else if (!strcmp(gw->valuestring, "skupper"))
			print_skupper(r);
		else
			print_nginx(r);
	}
}

static int link_status_cmd(const struct cli *cli)
{
	struct state_view v;
	struct topology *t;
	struct state *st;
	cJSON *o;
	int ret;

	if (cli_open_sim(cli, &st, &t))
		return 1;
	ret = state_load(st, &v);
	if (ret) {
		log_err("read state: %s", strerror(-ret));
		cli_close_sim(st, t);
		return 1;
	}
	o = link_status(st, t, &v);
	if (cli->json) {
		char *s = cJSON_PrintUnformatted(o);

		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		print_table(o);
	}
	cJSON_Delete(o);
	state_view_free(&v);
	cli_close_sim(st, t);
	return 0;
}

int cmd_link(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts,
				NULL)) != -1) {
		if (cli_common_opt(cli, c, optarg))
			continue;
		link_usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (optind < argc && !strcmp(argv[optind], "help")) {
		link_usage(stdout);
		return 0;
	}
	if (argc - optind != 1 || !*argv[optind] ||
	    strncmp("status", argv[optind], strlen(argv[optind]))) {
		if (optind < argc)
			log_err("link: unknown verb \"%s\"", argv[optind]);
		link_usage(stderr);
		return 2;
	}
	if (cli_need_root("link status"))
		return 1;
	return link_status_cmd(cli);
}
