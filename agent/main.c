// SPDX-License-Identifier: MIT
/*
 * knetsim-agent --sim S --worker W --cluster C --address A.B.C.D
 *               --etcd URL[,URL...] --routing bpf|kernel [--log-level L]
 *
 * Runs inside worker W's network namespace (knetsim up starts it there).
 * Start-up: read the cluster's network config, take (or take back) this
 * worker's subnet lease, set up the routing datapath, write subnet.env,
 * replay known endpoints, install every other worker's lease, then serve
 * the control socket and follow the leases until SIGTERM. SIGTERM leaves
 * the datapath installed and the lease to expire (or to be taken back by
 * the next start), so traffic keeps flowing across a restart.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ctl.h"
#include "ctl_client.h"
#include "endpoints.h"
#include "fsutil.h"
#include "knetsim/ctl.h"
#include "knetsim/paths.h"
#include "log.h"
#include "mac.h"
#include "nl.h"
#include "nl_overlay.h"
#include "proxy.h"

#define ETCD_TIMEOUT_MS     3000
#define NETCONF_WAIT_MS     15000

struct options {
	const char *sim, *worker, *cluster, *address, *etcd, *routing;
	const char *proxy;       /* --proxy bpf|nft|nft-linear|none, default none */
	const char *underlay_if;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: knetsim-agent --sim S --worker W --cluster C --address IP\n"
		"                     --etcd URL[,URL...] --routing bpf|kernel\n"
		"                     [--proxy bpf|nft|nft-linear|none]\n"
		"                     [--underlay-if eth0] [--log-level error|warn|info|debug]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "sim", required_argument, NULL, 's' },
		{ "worker", required_argument, NULL, 'w' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "address", required_argument, NULL, 'a' },
		{ "etcd", required_argument, NULL, 'e' },
		{ "routing", required_argument, NULL, 'r' },
		{ "proxy", required_argument, NULL, 'x' },
		{ "underlay-if", required_argument, NULL, 'u' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, level;

	memset(o, 0, sizeof(*o));
	o->underlay_if = "eth0";
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->sim = optarg; break;
		case 'w': o->worker = optarg; break;
		case 'c': o->cluster = optarg; break;
		case 'a': o->address = optarg; break;
		case 'e': o->etcd = optarg; break;
		case 'r': o->routing = optarg; break;
		case 'x': o->proxy = optarg; break;
		case 'u': o->underlay_if = optarg; break;
		case 'l':
			level = log_level_parse(optarg);
			if (level < 0) {
				log_err("--log-level: unknown level \"%s\"", optarg);
				return 2;
			}
			log_set_level(level);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !o->sim || !o->worker || !o->cluster ||
	    !o->address || !o->etcd || !o->routing) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* The comma-separated endpoints as an array (pointers into buf). */
static size_t split_endpoints(char *buf, const char **eps, size_t max)
{
	size_t n = 0;

	for (char *tok = strtok(buf, ","); tok && n < max; tok = strtok(NULL, ","))
		eps[n++] = tok;
	return n;
}

/* The cluster's flannel config: written by `knetsim up` before agents
 * start, but a restarted etcd may take a moment to answer. */
static int read_netconf(struct agent *a)
{
	struct timespec ts;
	char *val = NULL, err[256];
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (long long deadline = ts.tv_sec * 1000LL + NETCONF_WAIT_MS;;) {
		ret = etcd_get(a->etcd, NETCONF_KEY, &val, NULL, NULL);
		if (!ret)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000LL >= deadline) {
			log_err("read %s: %s", NETCONF_KEY,
				ret == -ENOENT ? "not set" : etcd_error(a->etcd));
			return ret;
		}
		usleep(200 * 1000);
	}
	ret = netconf_from_json(val, &a->net, err, sizeof(err));
	free(val);
	if (ret)
		log_err("%s: %s", NETCONF_KEY, err);
	return ret;
}

/* The VTEP MAC: locally administered, from the worker's address, so the
 * lease written at start-up already holds the device's MAC and a restart
 * rewrites the lease with the very same value. */
static void vtep_mac_for(uint32_t addr, uint8_t mac[6])
{
	mac[0] = 0x0a;
	mac[1] = 0x6b;
	mac[2] = addr >> 24;
	mac[3] = addr >> 16;
	mac[4] = addr >> 8;
	mac[5] = addr;
}

static int take_lease(struct agent *a)
{
	struct lease_request req = { .public_ip = a->address };
	uint64_t seed = ((uint64_t)a->address << 32) ^ (uint64_t)getpid();
	char err[256], s[CIDR_STRLEN];
	int ret;

	vtep_mac_for(a->address, req.vtep_mac);
	req.rng = &seed;
	ret = lease_acquire(a->etcd, &a->net, &req, &a->lease, err, sizeof(err));
	if (ret) {
		log_err("subnet lease: %s", err);
		return ret;
	}
	log_info("subnet lease %s (etcd lease %llx)", cidr_format(&a->lease.subnet, s),
		 (unsigned long long)a->lease.lease_id);
	return 0;
}

/* The datapath's VTEP MAC goes into our lease for the other workers. */
static int publish_vtep(struct agent *a)
{
	char key[LEASE_KEY_MAX], *val;
	int ret;

	if (!memcmp(a->lease.vtep_mac, a->vtep_mac, 6))
		return 0;
	memcpy(a->lease.vtep_mac, a->vtep_mac, 6);
	a->lease.has_vtep_mac = true;
	val = lease_value_format(&a->lease);
	if (!val)
		return -ENOMEM;
	lease_key_format(&a->lease.subnet, key, sizeof(key));
	ret = etcd_put(a->etcd, key, val, strlen(val), a->lease.lease_id);
	free(val);
	if (ret)
		log_err("%s: publish VTEP MAC: %s", key, etcd_error(a->etcd));
	return ret;
}

static int write_subnet_env(struct agent *a)
{
	char path[sizeof(a->run_dir) + 16];
	char *env = lease_subnet_env(&a->net, &a->lease.subnet,
				     ROUTING_UNDERLAY_MTU - VXLAN_OVERHEAD, false);
	int ret;

	if (!env)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/subnet.env", a->run_dir);
	ret = write_file(path, env, strlen(env), 0644);
	free(env);
	if (ret)
		log_err("%s: %s", path, strerror(-ret));
	return ret;
}

static int setup_routing(struct agent *a)
{
	struct routing_config cfg = {
		.sim = a->sim,
		.worker = a->worker,
		.underlay_ip = a->address,
		.underlay_if = a->underlay_if,
		.net = a->net,
		.subnet = a->lease.subnet,
		.pin_dir = a->pin_dir,
	};
	int ret;

	vtep_mac_for(a->address, cfg.vtep_mac);
	cfg.via_stack = a->proxy && a->proxy->via_stack;
	cfg.pod_lb = a->proxy == &proxy_bpf_ops;
	ret = a->routing->init(&cfg, a->vtep_mac);

	if (ret) {
		log_err("routing %s: set up: %s", a->routing->name, strerror(-ret));
		return ret;
	}
	return publish_vtep(a);
}

/* Endpoints known from before a restart go back into the datapath, but
 * only while their veth is still there: a pod deleted while no agent ran
 * takes its veth with it. */
static void replay_endpoints(struct agent *a)
{
	for (size_t i = endpoints_count(a->eps); i-- > 0;) {
		const struct endpoint *ep = endpoints_at(a->eps, i);
		struct routing_endpoint r = { .ip = ep->ip, .host_ifindex = ep->ifindex };
		char ip[IP4_STRLEN], container[sizeof(ep->container)];
		int ret;

		ip4_format(ep->ip, ip);
		if ((int)if_nametoindex(ep->ifname) != ep->ifindex) {
			log_info("endpoint %s: %s is gone: removing it", ip, ep->ifname);
			snprintf(container, sizeof(container), "%s", ep->container);
			a->routing->endpoint_del(ep->ip);
			endpoints_del(a->eps, container);
			continue;
		}
		snprintf(r.host_ifname, sizeof(r.host_ifname), "%s", ep->ifname);
		memcpy(r.pod_mac, ep->mac, 6);
		ret = a->routing->endpoint_add(&r);
		if (ret)
			log_warn("endpoint %s: replay: %s", ip, strerror(-ret));
	}
}

/* What a previous agent left that etcd and the registry no longer want. */
static void prune_stale(struct agent *a)
{
	size_t n_eps = endpoints_count(a->eps);
	struct routing_lease *leases = calloc(a->n_remote + 1, sizeof(*leases));
	uint32_t *ips = calloc(n_eps + 1, sizeof(*ips));

	if (!a->routing->prune || !leases || !ips)
		goto out;
	for (size_t i = 0; i < a->n_remote; i++) {
		leases[i].subnet = a->remote[i].subnet;
		leases[i].public_ip = a->remote[i].public_ip;
		memcpy(leases[i].vtep_mac, a->remote[i].vtep_mac,
		       sizeof(leases[i].vtep_mac));
	}
	for (size_t i = 0; i < n_eps; i++)
		ips[i] = endpoints_at(a->eps, i)->ip;
	a->routing->prune(leases, a->n_remote, ips, n_eps);
out:
	free(leases);
	free(ips);
}

static int renew_lease(struct agent *a)
{
	char err[256];
	int ret = lease_renew(a->etcd, &a->lease, 0, err, sizeof(err));

	if (ret == -EEXIST) {
		log_err("subnet lease lost to another worker: %s", err);
		return ret;
	}
	if (ret)
		log_warn("subnet lease keepalive: %s (retrying)", err);
	return 0;
}

static int make_timer(int period_s)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = period_s },
		.it_value = { .tv_sec = period_s },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int make_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void drain_watch(struct agent *a)
{
	struct etcd_event *ev;
	size_t n;

	if (etcd_watch_next(a->watch, 0, &ev, &n))
		return;
	for (size_t i = 0; i < n; i++)
		agent_leases_event(a, &ev[i]);
	etcd_events_free(ev, n);
}

static void drain_svc_watch(struct agent *a)
{
	struct etcd_event *ev;
	size_t n;

	if (etcd_watch_next(a->svc_watch, 0, &ev, &n))
		return;
	agent_services_events(a, ev, n);
	etcd_events_free(ev, n);
}

/* netfilter NATs a connection to a VIP only after the kernel found a
 * route for it, and a worker has no default route: give it one into the
 * overlay (as a kube-proxy node has one), whose own address becomes the
 * source. Packets to no pod at all are dropped there, counted. */
static int default_route(struct agent *a)
{
	char dev[IF_NAMESIZE];
	struct nlh *h = nlh_open(-1);
	int ret;

	if (!h)
		return -ENOMEM;
	snprintf(dev, sizeof(dev), a->routing->overlay_fmt, a->net.vni);
	ret = nl_route_replace(h, 0, 0, 0, dev, false);
	nlh_close(h);
	if (ret)
		log_err("default route via %s: %s", dev, strerror(-ret));
	return ret;
}

/* The service proxy of the worker; services follow etcd from here on. */
static int setup_proxy(struct agent *a)
{
	struct proxy_config cfg = {
		.sim = a->sim,
		.worker = a->worker,
		.pin_dir = a->pin_dir,
		.pod_network = a->net.network,
		.subnet = a->lease.subnet,
		.underlay_ip = a->address,
	};
	int ret;

	if (!a->proxy)
		return 0;
	if (a->proxy->via_stack) {
		ret = default_route(a);
		if (ret)
			return ret;
	}
	ret = a->proxy->init(&cfg);
	if (ret) {
		log_err("proxy %s: set up: %s", a->proxy->name, strerror(-ret));
		a->proxy = NULL;
		return ret;
	}
	return agent_services_resync(a);
}

static int run(struct agent *a)
{
	enum { P_SIG, P_CTL, P_WATCH, P_TIMER, P_SVC, P_ING, P_N };
	struct pollfd pfd[P_N];
	int sfd = make_signalfd();
	int tfd = make_timer(LEASE_TTL_S / 3);
	int ret = 0;

	if (sfd < 0 || tfd < 0) {
		log_err("signalfd/timerfd: %s", strerror(errno));
		ret = -errno;
		goto out;
	}
	log_info("ready: %s routing, subnet lease held, %zu other workers",
		 a->routing->name, a->n_remote);
	for (;;) {
		pfd[P_SIG] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[P_CTL] = (struct pollfd){ .fd = ctl_fd(a->ctl), .events = POLLIN };
		pfd[P_WATCH] = (struct pollfd){ .fd = etcd_watch_fd(a->watch), .events = POLLIN };
		pfd[P_TIMER] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		pfd[P_SVC] = (struct pollfd){ .fd = a->svc_watch ?
			etcd_watch_fd(a->svc_watch) : -1, .events = POLLIN };
		pfd[P_ING] = (struct pollfd){ .fd = agent_ingress_fd(a), .events = POLLIN };
		if (poll(pfd, P_N, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (pfd[P_SIG].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				log_info("signal %u: stopping (datapath stays installed)",
					 si.ssi_signo);
			break;
		}
		if (pfd[P_CTL].revents)
			ctl_serve(a->ctl);
		if (pfd[P_WATCH].revents)
			drain_watch(a);
		if (pfd[P_SVC].revents)
			drain_svc_watch(a);
		if (pfd[P_ING].revents)
			agent_ingress_drain(a);
		if (pfd[P_TIMER].revents) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				log_warn("timerfd: %s", strerror(errno));
			ret = renew_lease(a);
			if (ret)
				break;
			agent_ingress_tick(a);
		}
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return ret;
}

static int agent_start(struct agent *a, const struct options *o)
{
	char buf[1024], path[sizeof(a->run_dir) + 16], logname[64];
	const char *eps[16];
	size_t n;
	int ret;

	snprintf(logname, sizeof(logname), "knetsim-agent[%s]", o->worker);
	log_init(strdup(logname), log_get_level());
	a->sim = o->sim;
	a->worker = o->worker;
	a->cluster = o->cluster;
	a->underlay_if = o->underlay_if;
	if (ip4_parse(o->address, &a->address)) {
		log_err("--address: \"%s\" is not an IPv4 address", o->address);
		return -EINVAL;
	}
	if (!strcmp(o->routing, "bpf")) {
		a->routing = &routing_bpf_ops;
	} else if (!strcmp(o->routing, "kernel")) {
		a->routing = &routing_kernel_ops;
	} else {
		log_err("--routing: unknown mode \"%s\" (expected bpf or kernel)", o->routing);
		return -EINVAL;
	}
	if (o->proxy && !strcmp(o->proxy, "nft")) {
		a->proxy = &proxy_nft_ops;
	} else if (o->proxy && !strcmp(o->proxy, "nft-linear")) {
		a->proxy = &proxy_nft_linear_ops;
	} else if (o->proxy && !strcmp(o->proxy, "bpf")) {
		a->proxy = &proxy_bpf_ops;
	} else if (o->proxy && strcmp(o->proxy, "none")) {
		log_err("--proxy: unknown mode \"%s\" (expected bpf, nft, nft-linear or none)", o->proxy);
		return -EINVAL;
	}
	snprintf(a->run_dir, sizeof(a->run_dir), KNETSIM_RUN_DIR "/%s/" KNETSIM_AGENT_DIR "/%s",
		 o->sim, o->worker);
	snprintf(a->pin_dir, sizeof(a->pin_dir), KNETSIM_BPF_DIR "/%s/%s", o->sim, o->worker);
	ret = mkdir_p(a->run_dir, 0755);
	if (ret) {
		log_err("%s: %s", a->run_dir, strerror(-ret));
		return ret;
	}

	snprintf(buf, sizeof(buf), "%s", o->etcd);
	n = split_endpoints(buf, eps, 16);
	a->etcd = etcd_open(eps, n, -1, ETCD_TIMEOUT_MS);
	if (!a->etcd)
		return -ENOMEM;
	ret = read_netconf(a);
	if (!ret)
		ret = take_lease(a);
	if (!ret)
		ret = setup_routing(a);
	if (!ret)
		ret = write_subnet_env(a);
	if (ret)
		return ret;

	snprintf(path, sizeof(path), "%s/endpoints.json", a->run_dir);
	ret = endpoints_open(path, &a->eps);
	if (ret) {
		log_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	replay_endpoints(a);
	ret = agent_leases_resync(a);
	if (ret)
		return ret;
	prune_stale(a);
	ret = setup_proxy(a);
	if (!ret)
		ret = agent_ingress_start(a);
	if (ret)
		return ret;
	if (!ctl_socket_path(a->sim, a->worker, path, sizeof(path)))
		return -ENAMETOOLONG;
	ret = ctl_open(path, agent_api, a, &a->ctl);
	if (ret)
		log_err("control socket %s: %s", path, strerror(-ret));
	return ret;
}

static void agent_stop(struct agent *a)
{
	ctl_close(a->ctl);
	if (a->watch)
		etcd_watch_close(a->watch);
	if (a->routing)
		a->routing->close();
	agent_leases_free(a);
	agent_services_free(a);   /* closes svc_watch */
	agent_ingress_free(a);    /* nginx keeps serving */
	if (a->proxy)
		a->proxy->close();
	endpoints_close(a->eps);
	etcd_close(a->etcd);
}

int main(int argc, char **argv)
{
	struct agent a = { 0 };
	struct options o;
	int ret;

	log_init("knetsim-agent", LOG_INFO);
	ret = parse_options(argc, argv, &o);
	if (ret >= 0)
		return ret;
	ret = agent_start(&a, &o);
	if (!ret)
		ret = run(&a);
	agent_stop(&a);
	return ret ? 1 : 0;
}
