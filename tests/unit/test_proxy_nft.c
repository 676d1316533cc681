// SPDX-License-Identifier: MIT
/* Proxy "nft" against the real kernel: a worker namespace routing between
 * a client namespace and two pod namespaces (point-to-point veths, made
 * with ip(8) here), the proxy applied inside the worker, and tiny TCP/UDP
 * responders in the pods that answer with their own name. Needs root;
 * every test skips itself otherwise. Everything lives in namespaces named
 * kto-<pid>-..., removed by the teardown whatever happened in the test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "netns.h"
#include "nft_rules.h"

static const struct cidr test_cluster = { 0x0b000000, 8 };
#include "proxy.h"

enum { W, C, P1, P2, NNS };

#define VIP      0x64400a01u /* 100.64.10.1: TCP 80 and UDP 53 */
#define VIP_ONLY 0x64400a02u /* 100.64.10.2: every protocol */
#define VIP_NONE 0x64400a03u /* 100.64.10.3: TCP 80, no backends */
#define POD1     0xc0000206u /* 192.0.2.6 */
#define POD2     0xc000020au /* 192.0.2.10 */
#define TPORT    8080

struct responder {
	int nsfd;
	const char *id;
	int tcp, udp;
	atomic_bool stop;
	pthread_t thread;
	bool running;
};

struct fx {
	char ns[NNS][64];
	int fd[NNS];
	struct responder r[2];
	bool proxy;
};

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("[  SKIP    ] needs root (network namespaces, nftables)\n");
		skip();
	}
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		print_message("command failed (%d): %s\n", rc, cmd);
	return rc;
}

static void *respond(void *arg)
{
	struct responder *r = arg;
	size_t idlen = strlen(r->id);

	while (!atomic_load(&r->stop)) {
		struct pollfd p[2] = { { r->tcp, POLLIN, 0 }, { r->udp, POLLIN, 0 } };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		char buf[64];

		if (poll(p, 2, 100) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept(r->tcp, NULL, NULL);

			if (c >= 0) {
				if (write(c, r->id, idlen) < 0)
					perror("responder write");
				close(c);
			}
		}
		if (p[1].revents & POLLIN &&
		    recvfrom(r->udp, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl) >= 0)
			sendto(r->udp, r->id, idlen, 0,
			       (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static int bound(int nsfd, int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(TPORT) };
	int one = 1;
	int fd = netns_socket(nsfd, AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 64))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int responder_start(struct responder *r, int nsfd, const char *id)
{
	r->nsfd = nsfd;
	r->id = id;
	r->tcp = bound(nsfd, SOCK_STREAM);
	r->udp = bound(nsfd, SOCK_DGRAM);
	if (r->tcp < 0 || r->udp < 0)
		return -1;
	atomic_store(&r->stop, false);
	if (pthread_create(&r->thread, NULL, respond, r))
		return -1;
	r->running = true;
	return 0;
}

static void responder_stop(struct responder *r)
{
	if (r->running) {
		atomic_store(&r->stop, true);
		pthread_join(r->thread, NULL);
		r->running = false;
	}
	if (r->tcp > 0)
		close(r->tcp);
	if (r->udp > 0)
		close(r->udp);
	r->tcp = r->udp = -1;
}

/* Runs a proxy call inside the worker. */
#define IN_WORKER(f, call) ({						\
	int saved_, ret_;						\
	assert_int_equal(netns_enter((f)->fd[W], &saved_), 0);		\
	ret_ = (call);							\
	assert_int_equal(netns_leave(saved_), 0);			\
	ret_;								\
})

static void fx_teardown_ns(struct fx *f)
{
	for (int i = 0; i < 2; i++)
		responder_stop(&f->r[i]);
	for (int i = 0; i < NNS; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		netns_delete(f->ns[i]);
	}
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	if (f->proxy) {
		int saved;

		if (!netns_enter(f->fd[W], &saved)) {
			proxy_nft_ops.close();
			netns_leave(saved);
		}
	}
	fx_teardown_ns(f);
	free(f);
	return 0;
}

static int fx_setup(void **state)
{
	static const char *const suffix[NNS] = { "w", "c", "p1", "p2" };
	struct fx *f = calloc(1, sizeof(*f));
	int i;

	if (!f)
		return -1;
	*state = f;
	for (i = 0; i < NNS; i++) {
		snprintf(f->ns[i], sizeof(f->ns[i]), "kto-%d-%s", (int)getpid(),
			 suffix[i]);
		f->fd[i] = -1;
	}
	f->r[0].tcp = f->r[0].udp = f->r[1].tcp = f->r[1].udp = -1;
	if (geteuid() != 0)
		return 0;
	for (i = 0; i < NNS; i++) {
		if (netns_create(f->ns[i]))
			goto fail;
		f->fd[i] = netns_open(f->ns[i]);
		if (f->fd[i] < 0)
			goto fail;
	}
	/* worker <-> client, worker <-> pod1, worker <-> pod2 */
	static const struct { int peer; const char *w, *p; } l[] = {
		{ C, "192.0.2.1", "192.0.2.2" },
		{ P1, "192.0.2.5", "192.0.2.6" },
		{ P2, "192.0.2.9", "192.0.2.10" },
	};
	for (i = 0; i < 3; i++) {
		const char *w = f->ns[W], *p = f->ns[l[i].peer];

		if (sh("ip -n %s link add v%d type veth peer name eth0 netns %s", w, i, p) ||
		    sh("ip -n %s addr add %s/30 dev v%d", w, l[i].w, i) ||
		    sh("ip -n %s link set v%d up", w, i) ||
		    sh("ip -n %s addr add %s/30 dev eth0", p, l[i].p) ||
		    sh("ip -n %s link set eth0 up", p) ||
		    sh("ip -n %s route add default via %s", p, l[i].w))
			goto fail;
	}
	/* the worker forwards, and reaches the VIPs itself like a node with
	 * a default route would */
	if (sh("ip netns exec %s sysctl -qw net.ipv4.ip_forward=1", f->ns[W]) ||
	    sh("ip -n %s route add 100.64.0.0/10 via 192.0.2.2", f->ns[W]))
		goto fail;
	if (responder_start(&f->r[0], f->fd[P1], "pod1") ||
	    responder_start(&f->r[1], f->fd[P2], "pod2"))
		goto fail;
	return 0;
fail:
	fx_teardown_ns(f);
	free(f);
	*state = NULL;
	return -1;
}

static void service(struct proxy_service *s, const char *name, uint32_t vip,
		    bool ports, size_t n_backends)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->ns, "default");
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = vip;
	if (ports) {
		s->ports[0] = (struct proxy_port){ 80, TPORT, IPPROTO_TCP };
		s->ports[1] = (struct proxy_port){ 53, TPORT, IPPROTO_UDP };
		s->n_ports = 2;
	}
	s->n_backends = n_backends;
	s->backends[0] = POD1;
	s->backends[1] = POD2;
}

/* One TCP connection from namespace fd to vip:port; fills who with the
 * responder's name. Returns 0 or -errno. */
static int tcp_ask(int nsfd, uint32_t vip, uint16_t port, char who[16])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(vip) };
	struct timeval tv = { 2, 0 };
	int fd = netns_socket(nsfd, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		ret = -errno;
	} else {
		n = read(fd, who, 15);
		if (n <= 0)
			ret = n < 0 ? -errno : -EPIPE;
		else
			who[n] = '\0';
	}
	close(fd);
	return ret;
}

static int udp_ask(int nsfd, uint32_t vip, uint16_t port, char who[16])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(vip) };
	struct timeval tv = { 2, 0 };
	int fd = netns_socket(nsfd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* connected, so an ICMP port-unreachable shows as ECONNREFUSED */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, "?", 1, 0) != 1) {
		ret = -errno;
	} else {
		n = recv(fd, who, 15, 0);
		if (n <= 0)
			ret = n < 0 ? -errno : -EPIPE;
		else
			who[n] = '\0';
	}
	close(fd);
	return ret;
}

/* Connects tries times; counts the answers of each pod. */
static void spread(int nsfd, int tries, int *p1, int *p2)
{
	char who[16];

	*p1 = *p2 = 0;
	for (int i = 0; i < tries; i++) {
		int ret = tcp_ask(nsfd, VIP, 80, who);

		if (ret)
			fail_msg("connect to the VIP: %s", strerror(-ret));
		if (!strcmp(who, "pod1"))
			(*p1)++;
		else if (!strcmp(who, "pod2"))
			(*p2)++;
		else
			fail_msg("unexpected answer \"%s\"", who);
	}
}

static char *worker_ruleset(struct fx *f)
{
	char cmd[160], *out = NULL;
	size_t len = 0;
	FILE *p, *m = open_memstream(&out, &len);
	int c;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s nft list table ip knetsim",
		 f->ns[W]);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF)
		fputc(c, m);
	assert_int_equal(pclose(p), 0);
	fclose(m);
	return out;
}

/* Does the rule containing needle have a counter above 0? */
static bool counted(const char *rules, const char *needle)
{
	const char *p = strstr(rules, needle), *line;

	if (!p)
		return false;
	for (line = p; line > rules && line[-1] != '\n'; line--)
		;
	p = strstr(line, "counter packets ");
	return p && p < strchr(line, '\n') && p[16] != '0';
}

static void test_balance(void **state)
{
	struct fx *f = *state;
	struct proxy_service s;
	struct proxy_config cfg = { .sim = "t", .worker = "w" };
	int p1, p2;
	char who[16], *rules;

	need_root();
	assert_non_null(f);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	service(&s, "web", VIP, true, 2);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	/* idempotent */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);

	spread(f->fd[C], 40, &p1, &p2);
	print_message("two backends: pod1 %d, pod2 %d of 40\n", p1, p2);
	assert_true(p1 > 0 && p2 > 0);
	assert_int_equal(udp_ask(f->fd[C], VIP, 53, who), 0);
	assert_true(!strcmp(who, "pod1") || !strcmp(who, "pod2"));

	/* the worker itself as the client (output hook, masqueraded) */
	assert_int_equal(tcp_ask(f->fd[W], VIP, 80, who), 0);
	/* hairpin: a pod reaching itself through the VIP */
	for (int i = 0; i < 6; i++)
		assert_int_equal(tcp_ask(f->fd[P1], VIP, 80, who), 0);

	/* pod1 goes: every new connection lands on pod2 */
	s.backends[0] = POD2;
	s.n_backends = 1;
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	spread(f->fd[C], 20, &p1, &p2);
	assert_int_equal(p1, 0);
	assert_int_equal(p2, 20);

	rules = worker_ruleset(f);
	if (strstr(rules, "numgen") || !strstr(rules, "goto ep-") ||
	    !strstr(rules, "counter packets") ||
	    !strstr(rules, "masquerade") ||
	    !strstr(rules, "dnat to 192.0.2.10:8080"))
		fail_msg("unexpected ruleset:\n%s", rules);
	/* counters move */
	if (!counted(rules, "dnat to 192.0.2.10:8080") ||
	    !counted(rules, "goto ep-"))
		fail_msg("counters did not move:\n%s", rules);
	if (strstr(rules, "dnat to 192.0.2.6"))
		fail_msg("stale endpoint chain left:\n%s", rules);
	free(rules);

	/* back to two, then delete */
	s.backends[0] = POD1;
	s.backends[1] = POD2;
	s.n_backends = 2;
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	spread(f->fd[C], 30, &p1, &p2);
	assert_true(p1 > 0 && p2 > 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_del("default", "web")), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_del("default", "web")), 0);
	rules = worker_ruleset(f);
	if (strstr(rules, "chain ep-") || strstr(rules, "chain svc-"))
		fail_msg("service left behind:\n%s", rules);
	free(rules);
}

static void test_reject(void **state)
{
	struct fx *f = *state;
	struct proxy_service s;
	struct proxy_config cfg = { .sim = "t", .worker = "w" };
	struct timeval t0, t1;
	char who[16], *rules;
	int ret;

	need_root();
	assert_non_null(f);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	service(&s, "none", VIP_NONE, true, 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	gettimeofday(&t0, NULL);
	ret = tcp_ask(f->fd[C], VIP_NONE, 80, who);
	gettimeofday(&t1, NULL);
	if (ret != -ECONNREFUSED) {
		rules = worker_ruleset(f);
		fail_msg("tcp to a service without backends: %s, not refused; ruleset:\n%s",
			 strerror(-ret), rules);
	}
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	ret = udp_ask(f->fd[C], VIP_NONE, 53, who);
	assert_int_equal(ret, -ECONNREFUSED);
	rules = worker_ruleset(f);
	if (!counted(rules, "reject with tcp reset") ||
	    !counted(rules, " reject\n"))
		fail_msg("reject not counted:\n%s", rules);
	free(rules);

	/* a backend arrives: connections go through */
	s.n_backends = 1;
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP_NONE, 80, who), 0);
	assert_string_equal(who, "pod1");
}

static void test_vip_only(void **state)
{
	struct fx *f = *state;
	struct proxy_service s;
	struct proxy_config cfg = { .sim = "t", .worker = "w" };
	char who[16], *rules;

	need_root();
	assert_non_null(f);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	service(&s, "any", VIP_ONLY, false, 2);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	/* ports are kept: the pods listen on TPORT */
	assert_int_equal(tcp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
	assert_int_equal(udp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
	assert_int_equal(sh("ip netns exec %s ping -q -c 2 -W 2 100.64.10.2 >/dev/null",
			    f->ns[C]), 0);
	rules = worker_ruleset(f);
	if (!strstr(rules, "100.64.10.2 : goto svc-default-any-"))
		fail_msg("no VIP-only element:\n%s", rules);
	free(rules);

	/* restart: a new agent adopts the table without disturbing it */
	IN_WORKER(f, (proxy_nft_ops.close(), 0));
	assert_int_equal(tcp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
}

/* A restarted agent: adopts the table, traffic never stops, and what the
 * old agent installed but is no longer wanted goes away. */
static void test_restart(void **state)
{
	struct fx *f = *state;
	struct proxy_service s, gone;
	struct proxy_config cfg = { .sim = "t", .worker = "w" };
	char who[16], *rules;
	int p1, p2;

	need_root();
	assert_non_null(f);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	service(&s, "web", VIP, true, 2);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	service(&gone, "gone", VIP_NONE, true, 1);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&gone)), 0);
	IN_WORKER(f, (proxy_nft_ops.close(), 0));
	f->proxy = false;

	/* no agent: still served */
	assert_int_equal(tcp_ask(f->fd[C], VIP, 80, who), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	assert_int_equal(tcp_ask(f->fd[C], VIP, 80, who), 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP_NONE, 80, who), 0);

	/* while it was down: pod1 and the UDP port went, "gone" was deleted */
	s.n_ports = 1;
	s.backends[0] = POD2;
	s.n_backends = 1;
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_del("default", "gone")), 0);
	spread(f->fd[C], 10, &p1, &p2);
	assert_int_equal(p2, 10);
	rules = worker_ruleset(f);
	if (strstr(rules, "192.0.2.6") || strstr(rules, "udp53") ||
	    strstr(rules, ". udp . 53") || strstr(rules, "svc-default-gone") ||
	    strstr(rules, "100.64.10.3"))
		fail_msg("leftovers of the old agent:\n%s", rules);
	free(rules);
}

/* The linear form (benchmark baseline) is accepted by the kernel and
 * balances the same way. */
static void test_linear(void **state)
{
	struct fx *f = *state;
	struct proxy_service s, v;
	const struct proxy_service *all[] = { &s, &v };
	struct nft_buf b;
	struct nft_ctx *nft;
	char who[16];
	int p1, p2, saved, rc;

	need_root();
	assert_non_null(f);
	service(&s, "web", VIP, true, 2);
	service(&v, "any", VIP_ONLY, false, 1);
	nft_buf_init(&b);
	nft_rules_init(&b, NFT_FORM_LINEAR, &test_cluster);
	nft_rules_linear(&b, all, 2);
	assert_int_equal(b.err, 0);
	assert_int_equal(netns_enter(f->fd[W], &saved), 0);
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	rc = nft ? nft_run_cmd_from_buffer(nft, b.data) : -1;
	if (nft)
		nft_ctx_free(nft);
	assert_int_equal(netns_leave(saved), 0);
	nft_buf_free(&b);
	assert_int_equal(rc, 0);
	spread(f->fd[C], 30, &p1, &p2);
	assert_true(p1 > 0 && p2 > 0);
	assert_int_equal(udp_ask(f->fd[C], VIP, 53, who), 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
	assert_string_equal(who, "pod1");
}

static void key(struct proxy_key *k, const char *name)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->ns, "default");
	snprintf(k->name, sizeof(k->name), "%s", name);
}

/* Services deleted while no agent ran: the restarted agent's prune, after
 * it set every service that exists, removes the rest, and also what this
 * process installed that is no longer wanted. */
static void test_prune(void **state)
{
	struct fx *f = *state;
	struct proxy_service s, gone, other;
	struct proxy_config cfg = { .sim = "t", .worker = "w" };
	struct proxy_key keep[1];
	char who[16], *rules;

	need_root();
	assert_non_null(f);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	service(&s, "web", VIP, true, 2);
	service(&gone, "gone", VIP_NONE, true, 1);
	service(&other, "other", VIP_ONLY, false, 1);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&gone)), 0);
	IN_WORKER(f, (proxy_nft_ops.close(), 0));
	f->proxy = false;

	/* the new agent: "gone" was deleted while no agent ran */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.batch_begin()), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&other)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.batch_commit()), 0);
	/* still there until the prune */
	assert_int_equal(tcp_ask(f->fd[C], VIP_NONE, 80, who), 0);
	key(&keep[0], "web");
	/* "other" was set by this process and is not kept either */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.prune(keep, 1)), 0);
	rules = worker_ruleset(f);
	if (strstr(rules, "svc-default-gone") || strstr(rules, "100.64.10.3") ||
	    strstr(rules, "svc-default-other") || strstr(rules, "100.64.10.2"))
		fail_msg("pruned services left behind:\n%s", rules);
	if (!strstr(rules, "svc-default-web"))
		fail_msg("kept service pruned:\n%s", rules);
	free(rules);
	assert_int_equal(tcp_ask(f->fd[C], VIP, 80, who), 0);
	assert_int_not_equal(tcp_ask(f->fd[C], VIP_NONE, 80, who), 0);
	/* nothing left to prune: a no-op */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.prune(keep, 1)), 0);
	/* everything goes */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.prune(NULL, 0)), 0);
	rules = worker_ruleset(f);
	if (strstr(rules, "chain svc-") || strstr(rules, "chain ep-"))
		fail_msg("prune of everything left services:\n%s", rules);
	free(rules);
}

/* Many services in one batch: one transaction; the last change of a
 * service in the batch wins. */
static void test_batch(void **state)
{
	struct fx *f = *state;
	struct proxy_config cfg = { .sim = "t", .worker = "w" };
	struct proxy_service *s = malloc(sizeof(*s));
	char name[16], who[16], *rules;

	need_root();
	assert_non_null(f);
	assert_non_null(s);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.batch_begin()), 0);
	for (uint32_t i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		service(s, name, VIP + 0x100 + i, true, 1 + i % 2);
		assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(s)), 0);
	}
	/* s7: set, changed, deleted; s8: set then changed */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_del("default", "s7")), 0);
	service(s, "s8", VIP, true, 2);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(s)), 0);
	/* nothing is in the kernel yet */
	assert_int_not_equal(tcp_ask(f->fd[C], VIP, 80, who), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.batch_commit()), 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP, 80, who), 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP + 0x100 + 299, 80, who), 0);
	rules = worker_ruleset(f);
	if (strstr(rules, "svc-default-s7-") || !strstr(rules, "svc-default-s299-"))
		fail_msg("batch not applied as expected");
	free(rules);
	/* an empty batch does nothing */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.batch_begin()), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.batch_commit()), 0);
	free(s);
}

/* Proxy nft-linear: one rule per service port, in installation order;
 * switching forms across a restart leaves nothing of the other form. */
static void test_linear_proxy(void **state)
{
	struct fx *f = *state;
	struct proxy_config cfg = { .sim = "t", .worker = "w" };
	struct proxy_service s, v, n;
	struct proxy_key keep[2];
	char who[16], *rules, *a, *b;
	int p1, p2;

	need_root();
	assert_non_null(f);
	/* a chains-form agent first */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	f->proxy = true;
	service(&s, "web", VIP, true, 2);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	IN_WORKER(f, (proxy_nft_ops.close(), 0));

	assert_int_equal(IN_WORKER(f, proxy_nft_linear_ops.init(&cfg)), 0);
	service(&v, "any", VIP_ONLY, false, 1);
	service(&n, "none", VIP_NONE, true, 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_linear_ops.service_set(&v)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_linear_ops.service_set(&s)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_linear_ops.service_set(&n)), 0);
	key(&keep[0], "web");
	key(&keep[1], "any");
	assert_int_equal(IN_WORKER(f, proxy_nft_linear_ops.prune(keep, 2)), 0);
	spread(f->fd[C], 30, &p1, &p2);
	assert_true(p1 > 0 && p2 > 0);
	assert_int_equal(tcp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
	/* web changes: it keeps its place, after "any" */
	s.n_backends = 1;
	assert_int_equal(IN_WORKER(f, proxy_nft_linear_ops.service_set(&s)), 0);
	spread(f->fd[C], 10, &p1, &p2);
	assert_int_equal(p1, 10);
	rules = worker_ruleset(f);
	a = strstr(rules, "ip daddr 100.64.10.2 ");
	b = strstr(rules, "ip daddr 100.64.10.1 tcp dport 80");
	if (!a || !b || a > b || strstr(rules, "chain svc-") ||
	    strstr(rules, "chain ep-") || strstr(rules, "100.64.10.3") ||
	    strstr(rules, "goto svc-"))
		fail_msg("unexpected linear ruleset:\n%s", rules);
	free(rules);
	assert_int_equal(IN_WORKER(f, proxy_nft_linear_ops.service_del("default", "any")), 0);
	assert_int_not_equal(tcp_ask(f->fd[C], VIP_ONLY, TPORT, who), 0);
	IN_WORKER(f, (proxy_nft_linear_ops.close(), 0));

	/* and back to the chains form: the linear chain is emptied */
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.init(&cfg)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.service_set(&s)), 0);
	assert_int_equal(IN_WORKER(f, proxy_nft_ops.prune(keep, 1)), 0);
	rules = worker_ruleset(f);
	if (strstr(rules, "dnat to 192.0.2.6:8080\n\t\t}") ||
	    strstr(rules, "ip daddr 100.64.10.1 tcp dport 80"))
		fail_msg("linear rules left:\n%s", rules);
	free(rules);
	assert_int_equal(tcp_ask(f->fd[C], VIP, 80, who), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_balance, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_vip_only, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restart, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_linear, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_prune, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_batch, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_linear_proxy, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("proxy_nft", tests, NULL, NULL);
}
