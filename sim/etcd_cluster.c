// SPDX-License-Identifier: MIT
/*
 * Starting each cluster's etcd members and waiting for them to form.
 *
 * A member listens for clients on its underlay address (and 127.0.0.1, for
 * etcdctl inside the node) and for peers on its underlay address. Its data
 * and log live under /run/knetsim/<sim>/ (tmpfs, so fsync is cheap).
 * knetsim talks to the members from its own namespace through sockets
 * opened in the members' namespaces (lib/etcd.c).
 */
#include "etcd_cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "etcd.h"
#include "names.h"
#include "netconf.h"
#include "netns.h"
#include "proc.h"

/* Raft timing on an unshaped lab: quick elections, still stable on a busy
 * two-core machine (measured: a 3-member cluster is healthy 0.3-0.5 s after
 * the first start; 9 members next to two busy loops kept their first
 * leader). */
#define ETCD_HEARTBEAT_MIN_MS 50
#define ETCD_ELECTION_MIN_MS  500
#define ETCD_ELECTION_LOSSY_MS 2000  /* survives a few TCP retransmits */
#define ETCD_ELECTION_MAX_MS  50000  /* etcd's own limit */

#define ETCD_POLL_MS          50
#define ETCD_PEER_POLL_MS     20
#define ETCD_PEER_WAIT_MS     3000
/* A ready member answers /health in milliseconds; one asked too early can
 * hold the request, so ask often with a short timeout. */
#define ETCD_HEALTH_TIMEOUT_MS 250
#define ETCD_REQUEST_TIMEOUT_MS 3000

static int seterr(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int seterr(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Appends to err (for messages listing several members). */
static void adderr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void adderr(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used = strnlen(err, errlen);
	va_list ap;

	if (used + 1 >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

static bool is_member(const struct node *n, size_t cluster)
{
	return n->kind == NODE_ETCD && n->cluster == cluster;
}

/* One-way delay a node's link adds, worst case, in microseconds. */
static uint64_t link_delay_us(const struct node *n)
{
	return (uint64_t)n->link.delay_us + n->link.jitter_us;
}

void etcd_cluster_timing(const struct topology *t, size_t cluster,
			 struct etcd_timing *out)
{
	uint64_t first = 0, second = 0, rtt_ms, hb;
	bool lossy = false;

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		uint64_t d;

		if (!is_member(n, cluster))
			continue;
		d = link_delay_us(n);
		if (d > first) {
			second = first;
			first = d;
		} else if (d > second) {
			second = d;
		}
		lossy |= n->link.loss_ppm != 0;
	}
	/* Peers talk through two links (each member's own), both ways. */
	rtt_ms = (2 * (first + second) + 999) / 1000;
	hb = rtt_ms > ETCD_HEARTBEAT_MIN_MS ? rtt_ms : ETCD_HEARTBEAT_MIN_MS;
	if (hb > ETCD_ELECTION_MAX_MS / 10)
		hb = ETCD_ELECTION_MAX_MS / 10;
	out->heartbeat_ms = (unsigned)hb;
	out->election_ms = (unsigned)(hb * 10);
	if (out->election_ms < ETCD_ELECTION_MIN_MS)
		out->election_ms = ETCD_ELECTION_MIN_MS;
	if (lossy && out->election_ms < ETCD_ELECTION_LOSSY_MS)
		out->election_ms = ETCD_ELECTION_LOSSY_MS;
}

/* "http://ADDR:PORT" */
static void member_url(const struct node *n, unsigned port, char *buf,
		       size_t len)
{
	char ip[IP4_STRLEN];

	snprintf(buf, len, "http://%s:%u", ip4_format(n->addr, ip), port);
}

/* "--initial-cluster=NAME=URL,..." for every member of the cluster. */
static char *initial_cluster(const struct topology *t, size_t cluster)
{
	static const char prefix[] = "--initial-cluster=";
	size_t cap = sizeof(prefix), used;
	char *s;

	for (size_t i = 0; i < t->n_nodes; i++)
		if (is_member(&t->nodes[i], cluster))
			cap += sizeof(t->nodes[i].name) + 40;
	s = malloc(cap);
	if (!s)
		return NULL;
	used = (size_t)snprintf(s, cap, "%s", prefix);
	for (size_t i = 0; i < t->n_nodes; i++) {
		char url[48];

		if (!is_member(&t->nodes[i], cluster))
			continue;
		member_url(&t->nodes[i], ETCD_PEER_PORT, url, sizeof(url));
		used += (size_t)snprintf(s + used, cap - used, "%s%s=%s",
					 used > sizeof(prefix) - 1 ? "," : "",
					 t->nodes[i].name, url);
	}
	return s;
}

void etcd_member_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

#define ARGV_MAX 32

int etcd_member_argv(const struct topology *t, const struct node *member,
		     const char *data_dir, char ***argv_out)
{
	const struct cluster *c;
	struct etcd_timing tm;
	char client[48], peer[48];
	char **argv;
	size_t n = 0;
	bool oom = false;

	*argv_out = NULL;
	if (!t || !member || !data_dir || member->kind != NODE_ETCD ||
	    member->cluster >= t->n_clusters)
		return -EINVAL;
	c = &t->clusters[member->cluster];
	etcd_cluster_timing(t, member->cluster, &tm);
	member_url(member, ETCD_CLIENT_PORT, client, sizeof(client));
	member_url(member, ETCD_PEER_PORT, peer, sizeof(peer));
	argv = calloc(ARGV_MAX + 1, sizeof(*argv));
	if (!argv)
		return -ENOMEM;

#define ARG(...) do {							\
		if (asprintf(&argv[n], __VA_ARGS__) < 0) {		\
			argv[n] = NULL;					\
			oom = true;					\
		} else {						\
			n++;						\
		}							\
	} while (0)

	ARG("etcd");
	ARG("--name=%s", member->name);
	ARG("--data-dir=%s", data_dir);
	ARG("--listen-client-urls=%s,http://127.0.0.1:%u", client,
	    ETCD_CLIENT_PORT);
	ARG("--advertise-client-urls=%s", client);
	ARG("--listen-peer-urls=%s", peer);
	ARG("--initial-advertise-peer-urls=%s", peer);
	if (!oom) {
		argv[n] = initial_cluster(t, member->cluster);
		if (argv[n])
			n++;
		else
			oom = true;
	}
	ARG("--initial-cluster-token=%s-%s", t->name, c->name);
	ARG("--initial-cluster-state=new");
	ARG("--heartbeat-interval=%u", tm.heartbeat_ms);
	ARG("--election-timeout=%u", tm.election_ms);
	/* a rejoining member does not depose a working leader */
	ARG("--pre-vote=true");
	/* small footprint: a lab holds kilobytes of state */
	ARG("--snapshot-count=10000");
	ARG("--max-snapshots=2");
	ARG("--max-wals=2");
	ARG("--quota-backend-bytes=%u", 256u << 20);
	ARG("--enable-v2=false");
	/* JSON lines to stderr, which proc_spawn sends to the log file */
	ARG("--logger=zap");
	ARG("--log-outputs=stderr");
	ARG("--log-level=warn");
#undef ARG

	if (oom) {
		etcd_member_argv_free(argv);
		return -ENOMEM;
	}
	*argv_out = argv;
	return 0;
}

void etcd_cluster_endpoints_free(char **eps, size_t n)
{
	if (!eps)
		return;
	for (size_t i = 0; i < n; i++)
		free(eps[i]);
	free(eps);
}

int etcd_cluster_endpoints(const struct topology *t, size_t cluster,
			   char ***out, size_t *n)
{
	size_t count = 0, k = 0;
	char **eps;

	for (size_t i = 0; i < t->n_nodes; i++)
		count += is_member(&t->nodes[i], cluster);
	if (!count)
		return -ENOENT;
	eps = calloc(count, sizeof(*eps));
	if (!eps)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_nodes; i++) {
		char url[48];

		if (!is_member(&t->nodes[i], cluster))
			continue;
		member_url(&t->nodes[i], ETCD_CLIENT_PORT, url, sizeof(url));
		eps[k] = strdup(url);
		if (!eps[k]) {
			etcd_cluster_endpoints_free(eps, k);
			return -ENOMEM;
		}
		k++;
	}
	*out = eps;
	*n = count;
	return 0;
}

static int check_cluster(const struct topology *t, size_t cluster, char *err,
			 size_t errlen)
{
	if (!t || cluster >= t->n_clusters)
		return seterr(err, errlen, -EINVAL, "no cluster %zu", cluster);
	if (!t->clusters[cluster].n_etcd)
		return seterr(err, errlen, -ENOENT, "cluster %s has no etcd",
			      t->clusters[cluster].name);
	return 0;
}

/* The node's namespace, opened; -errno with err. */
static int open_node_netns(const struct state *st, const struct node *n,
			   char *err, size_t errlen)
{
	char name[NAMES_NETNS_MAX];
	int fd;

	if (!names_netns(state_sim(st), n->name, name, sizeof(name)))
		return seterr(err, errlen, -ENAMETOOLONG,
			      "%s: namespace name too long", n->name);
	fd = netns_open(name);
	if (fd < 0)
		return seterr(err, errlen, fd, "%s: open namespace %s: %s",
			      n->name, name, strerror(-fd));
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* "logs/etcd-<node>.log" under the simulation's directory. */
static char *log_path(const struct state *st, const struct node *n,
		      char *buf, bool mkdirs)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "logs/etcd-%s.log", n->name);
	return state_path(st, rel, buf, mkdirs);
}

static void copy_trunc(char *out, size_t len, const char *s)
{
	size_t n = strnlen(s, len - 1);

	memcpy(out, s, n);
	out[n] = '\0';
}

/* The last line of the member's log, shortened: zap's JSON lines become
 * "level: msg: error". Empty when there is no log. */
static void log_tail(const struct state *st, const struct node *n, char *out,
		     size_t len)
{
	char path[PATH_MAX], buf[4096], *line, *end;
	const cJSON *lvl, *msg, *why;
	cJSON *j;
	ssize_t got;
	off_t size;
	int fd;

	out[0] = '\0';
	if (!log_path(st, n, path, false))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		size = 0;
	got = pread(fd, buf, sizeof(buf) - 1,
		    size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1
						   : 0);
	close(fd);
	if (got <= 0)
		return;
	buf[got] = '\0';
	end = buf + strlen(buf);
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' ||
			     end[-1] == ' '))
		*--end = '\0';
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	if (!*line)
		return;
	j = cJSON_Parse(line);
	lvl = cJSON_GetObjectItemCaseSensitive(j, "level");
	msg = cJSON_GetObjectItemCaseSensitive(j, "msg");
	why = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(msg))
		snprintf(out, len, "%s%s%s%s%s",
			 cJSON_IsString(lvl) ? lvl->valuestring : "",
			 cJSON_IsString(lvl) ? ": " : "", msg->valuestring,
			 cJSON_IsString(why) ? ": " : "",
			 cJSON_IsString(why) ? why->valuestring : "");
	else
		copy_trunc(out, len, line);
	cJSON_Delete(j);
}

/* Records and creates the member's data directory (0700, as etcd wants).
 * A directory left from an earlier run would make etcd rejoin an old
 * cluster, so it must not exist. */
static int make_data_dir(struct state *st, const struct node *n, char *dir,
			 char *err, size_t errlen)
{
	char rel[64];
	int ret;

	snprintf(rel, sizeof(rel), "etcd/%s", n->name);
	if (!state_path(st, rel, dir, true))
		return seterr(err, errlen, -ENAMETOOLONG,
			      "%s: etcd data path too long", n->name);
	ret = state_add_path(st, dir);
	if (ret)
		return seterr(err, errlen, ret, "%s: record %s: %s", n->name,
			      dir, strerror(-ret));
	if (mkdir(dir, 0700))
		return seterr(err, errlen, -errno, "%s: create %s: %s",
			      n->name, dir, strerror(errno));
	return 0;
}

static int start_member(struct state *st, const struct topology *t,
			const struct node *n, struct proc_id *idp, char *err,
			size_t errlen)
{
	char dir[PATH_MAX], log[PATH_MAX], why[256];
	struct proc_spec spec = { 0 };
	struct proc_id id;
	char **argv;
	int nsfd, ret;

	ret = make_data_dir(st, n, dir, err, errlen);
	if (ret)
		return ret;
	if (!log_path(st, n, log, true))
		return seterr(err, errlen, -ENAMETOOLONG,
			      "%s: log path too long", n->name);
	ret = etcd_member_argv(t, n, dir, &argv);
	if (ret)
		return seterr(err, errlen, ret, "%s: etcd arguments: %s",
			      n->name, strerror(-ret));
	nsfd = open_node_netns(st, n, err, errlen);
	if (nsfd < 0) {
		etcd_member_argv_free(argv);
		return nsfd;
	}
	spec.argv = argv;
	spec.nsfd = nsfd;
	spec.log_path = log;
	spec.cwd = dir;
	ret = proc_spawn(&spec, &id, why, sizeof(why));
	close(nsfd);
	etcd_member_argv_free(argv);
	if (ret)
		return seterr(err, errlen, ret, "%s: start etcd: %s", n->name,
			      why);
	ret = state_add_proc(st, "etcd", n->name, &id, log);
	if (ret)
		return seterr(err, errlen, ret, "%s: record etcd (pid %d): %s",
			      n->name, (int)id.pid, strerror(-ret));
	*idp = id;
	return 0;
}

/*
 * Waits until a member just started serves its peer URL. A new member
 * first asks each peer whether it is already bootstrapped, with a 1 s
 * timeout per peer; a peer that has bound its port but does not serve yet
 * holds the question for that whole second. Starting members one after
 * the other, each once the previous one serves, keeps formation well under
 * a second. Fails only when the member has exited; if it is merely slow,
 * the next one is started anyway and etcd_cluster_wait() judges.
 */
static int wait_peer_serving(struct state *st, const struct node *n,
			     const struct proc_id *id, char *err,
			     size_t errlen)
{
	long long deadline = now_ms() + ETCD_PEER_WAIT_MS;
	char url[48], version[32], tail[256], path[PATH_MAX];
	const char *ep = url;
	struct etcd *e;
	int nsfd;

	member_url(n, ETCD_PEER_PORT, url, sizeof(url));
	nsfd = open_node_netns(st, n, err, errlen);
	if (nsfd < 0)
		return nsfd;
	e = etcd_open(&ep, 1, nsfd, ETCD_PEER_POLL_MS * 10);
	close(nsfd);
	if (!e)
		return seterr(err, errlen, -ENOMEM, "%s: etcd client", n->name);
	while (etcd_version(e, 0, version, sizeof(version)) &&
	       now_ms() < deadline) {
		if (!proc_alive(id)) {
			etcd_close(e);
			log_tail(st, n, tail, sizeof(tail));
			return seterr(err, errlen, -ESRCH,
				      "%s: etcd exited at start; log %s%s%s",
				      n->name,
				      log_path(st, n, path, false) ? path : "?",
				      tail[0] ? " ends with: " : "", tail);
		}
		sleep_ms(ETCD_PEER_POLL_MS);
	}
	etcd_close(e);
	return 0;
}

int etcd_cluster_start(struct state *st, const struct topology *t,
		       size_t cluster, char *err, size_t errlen)
{
	size_t left;
	int ret = check_cluster(t, cluster, err, errlen);

	if (ret)
		return ret;
	left = t->clusters[cluster].n_etcd;
	for (size_t i = 0; !ret && i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		struct proc_id id;

		if (!is_member(n, cluster))
			continue;
		ret = start_member(st, t, n, &id, err, errlen);
		if (!ret && --left)
			ret = wait_peer_serving(st, n, &id, err, errlen);
	}
	return ret;
}

/* One member being waited for. */
struct member_wait {
	const struct node *node;
	struct etcd *client;   /* one endpoint, in the member's namespace */
	struct proc_id id;
	bool have_id;
	long long deadline;    /* CLOCK_MONOTONIC ms */
	bool *stop;            /* shared: set when a member has exited */
	pthread_t thread;
	bool started;
	/* results */
	bool healthy;
	bool exited;
	char last[256];        /* why it is not healthy yet */
};

/* The PID the record holds for this member's etcd. */
static void find_proc(const struct state_view *v, struct member_wait *m)
{
	for (size_t i = 0; i < v->n_procs; i++) {
		if (strcmp(v->procs[i].role, "etcd") ||
		    strcmp(v->procs[i].node, m->node->name))
			continue;
		m->id = v->procs[i].id;  /* the last one recorded wins */
		m->have_id = true;
	}
}

/* "C0e2 (pid 123 exited; http://...: connection refused; log ...: tail)" */
static void describe_member(const struct state *st, const struct member_wait *m,
			    char *err, size_t errlen)
{
	char path[PATH_MAX], tail[256];
	const char *run;

	if (!m->have_id)
		run = "no etcd process recorded";
	else
		run = proc_alive(&m->id) ? "running" : "exited";
	log_tail(st, m->node, tail, sizeof(tail));
	adderr(err, errlen, "\n  %s: etcd ", m->node->name);
	if (m->have_id)
		adderr(err, errlen, "pid %d ", (int)m->id.pid);
	adderr(err, errlen, "%s; %s; log %s", run,
	       m->last[0] ? m->last : "not checked",
	       log_path(st, m->node, path, false) ? path : "?");
	if (tail[0])
		adderr(err, errlen, " ends with: %s", tail);
}

static void wait_free(struct member_wait *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		etcd_close(m[i].client);
	free(m);
}

/* Clients for every member, each in the member's own namespace. */
static int wait_init(struct state *st, const struct topology *t,
		     size_t cluster, struct member_wait **out, size_t *count,
		     char *err, size_t errlen)
{
	struct state_view v;
	struct member_wait *m;
	size_t n = t->clusters[cluster].n_etcd, k = 0;
	int ret = 0;

	m = calloc(n, sizeof(*m));
	if (!m)
		return seterr(err, errlen, -ENOMEM, "out of memory");
	if (state_load(st, &v))
		memset(&v, 0, sizeof(v));
	for (size_t i = 0; i < t->n_nodes && k < n && !ret; i++) {
		const struct node *node = &t->nodes[i];
		char url[48];
		const char *ep = url;
		int nsfd;

		if (!is_member(node, cluster))
			continue;
		m[k].node = node;
		find_proc(&v, &m[k]);
		member_url(node, ETCD_CLIENT_PORT, url, sizeof(url));
		nsfd = open_node_netns(st, node, err, errlen);
		if (nsfd < 0) {
			ret = nsfd;
			break;
		}
		m[k].client = etcd_open(&ep, 1, nsfd, ETCD_HEALTH_TIMEOUT_MS);
		close(nsfd);
		if (!m[k].client)
			ret = seterr(err, errlen, -ENOMEM, "%s: etcd client",
				     node->name);
		k++;
	}
	state_view_free(&v);
	if (ret) {
		wait_free(m, k);
		return ret;
	}
	*out = m;
	*count = k;
	return 0;
}

/*
 * Polls one member until it is healthy, it has exited, another member has
 * exited, or the deadline. A member's /health can hang until its cluster
 * has a leader, so every member is polled by its own thread and one slow
 * answer does not hold up the others.
 */
static void *poll_member(void *arg)
{
	struct member_wait *m = arg;

	while (!__atomic_load_n(m->stop, __ATOMIC_RELAXED)) {
		if (m->have_id && !proc_alive(&m->id)) {
			/* it will not come back: stop everyone */
			m->exited = true;
			__atomic_store_n(m->stop, true, __ATOMIC_RELAXED);
			break;
		}
		if (!etcd_health(m->client, 0)) {
			m->healthy = true;
			break;
		}
		snprintf(m->last, sizeof(m->last), "%s",
			 etcd_error(m->client));
		if (now_ms() >= m->deadline)
			break;
		sleep_ms(ETCD_POLL_MS);
	}
	return NULL;
}

int etcd_cluster_wait(struct state *st, const struct topology *t,
		      size_t cluster, int timeout_ms, char *err, size_t errlen)
{
	long long start = now_ms();
	struct member_wait *m = NULL;
	size_t n = 0, healthy = 0;
	bool stop = false;
	int ret;

	ret = check_cluster(t, cluster, err, errlen);
	if (!ret)
		ret = wait_init(st, t, cluster, &m, &n, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		m[i].deadline = start + (timeout_ms > 0 ? timeout_ms : 0);
		m[i].stop = &stop;
		if (pthread_create(&m[i].thread, NULL, poll_member, &m[i]))
			poll_member(&m[i]); /* no thread: poll from here */
		else
			m[i].started = true;
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].started)
			pthread_join(m[i].thread, NULL);
		healthy += m[i].healthy;
	}
	if (healthy < n) {
		ret = seterr(err, errlen, stop ? -ESRCH : -ETIMEDOUT,
			     "cluster %s: etcd %s after %.1f s; %zu of %zu members healthy:",
			     t->clusters[cluster].name,
			     stop ? "member exited" : "not ready",
			     (double)(now_ms() - start) / 1000, healthy, n);
		for (size_t i = 0; i < n; i++)
			if (!m[i].healthy)
				describe_member(st, &m[i], err, errlen);
	}
	wait_free(m, n);
	return ret;
}

/* A client for the whole cluster, its sockets in the first member's
 * namespace (every member reaches every other on the underlay). */
struct etcd *etcd_cluster_client(const struct state *st,
				 const struct topology *t, size_t cluster,
				 char *err, size_t errlen)
{
	const struct node *first = NULL;
	struct etcd *e;
	char **eps;
	size_t n;
	int nsfd, ret;

	for (size_t i = 0; i < t->n_nodes && !first; i++)
		if (is_member(&t->nodes[i], cluster))
			first = &t->nodes[i];
	ret = etcd_cluster_endpoints(t, cluster, &eps, &n);
	if (ret) {
		seterr(err, errlen, ret, "cluster %s: etcd endpoints: %s",
		       t->clusters[cluster].name, strerror(-ret));
		return NULL;
	}
	nsfd = open_node_netns(st, first, err, errlen);
	if (nsfd < 0) {
		etcd_cluster_endpoints_free(eps, n);
		return NULL;
	}
	e = etcd_open((const char *const *)eps, n, nsfd,
		      ETCD_REQUEST_TIMEOUT_MS);
	close(nsfd);
	etcd_cluster_endpoints_free(eps, n);
	if (!e)
		seterr(err, errlen, -ENOMEM, "cluster %s: etcd client",
		       t->clusters[cluster].name);
	return e;
}

/* Transient while a cluster settles: no leader yet, a slow answer. */
static bool retryable(int ret)
{
	return ret == -EAGAIN || ret == -ETIMEDOUT;
}

int etcd_cluster_put_config(struct state *st, const struct topology *t,
			    size_t cluster, char *err, size_t errlen)
{
	const char *cname;
	char *json, *back = NULL;
	struct etcd *e;
	size_t len = 0;
	int ret;

	ret = check_cluster(t, cluster, err, errlen);
	if (ret)
		return ret;
	cname = t->clusters[cluster].name;
	json = netconf_to_json(&t->clusters[cluster].net);
	if (!json)
		return seterr(err, errlen, -ENOMEM, "cluster %s: network config",
			      cname);
	e = etcd_cluster_client(st, t, cluster, err, errlen);
	if (!e) {
		free(json);
		return -EIO;
	}
	for (int attempt = 0; attempt < 5; attempt++) {
		if (attempt)
			sleep_ms(200);
		ret = etcd_put(e, NETCONF_KEY, json, strlen(json), 0);
		if (!retryable(ret))
			break;
	}
	if (ret) {
		seterr(err, errlen, ret, "cluster %s: put %s: %s", cname,
		       NETCONF_KEY, etcd_error(e));
		goto out;
	}
	ret = etcd_get(e, NETCONF_KEY, &back, &len, NULL);
	if (ret)
		seterr(err, errlen, ret, "cluster %s: read back %s: %s", cname,
		       NETCONF_KEY, etcd_error(e));
	else if (len != strlen(json) || memcmp(back, json, len))
		ret = seterr(err, errlen, -EIO,
			     "cluster %s: %s reads back as %s, not %s", cname,
			     NETCONF_KEY, back, json);
out:
	free(back);
	free(json);
	etcd_close(e);
	return ret;
}
