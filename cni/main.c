// SPDX-License-Identifier: MIT
/* knetsim-cni: the CNI plugin (spec 1.0.0). Runs in the worker's network
 * namespace, as a kubelet's plugins run on their node; reads its config
 * on stdin and CNI_* from the environment; prints a result or an error on
 * stdout. See config.h for the config and veth.h for what ADD builds.
 * KNETSIM_CNI_DEBUG=1 in the environment logs each step on stderr. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "ipam.h"
#include "log.h"
#include "result.h"
#include "subnet.h"
#include "veth.h"

#define STDIN_MAX (1 << 20)

struct req {
	struct cni_env env;
	struct cni_conf conf;
	char host_ifname[IFNAMSIZ];
	char *out;	/* ADD's result */
};

static const char *env_get(const char *name)
{
	return getenv(name);
}

static unsigned read_stdin(char **buf, size_t *len, struct cni_err *e)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *tmp;
	ssize_t r;

	while (b) {
		if (n + 1 >= cap) {
			if (cap >= STDIN_MAX) {
				free(b);
				return cni_errf(e, CNI_ERR_DECODE, "network config "
						"on stdin is larger than %d bytes",
						STDIN_MAX / 2);
			}
			tmp = realloc(b, cap * 2);
			if (!tmp)
				break;
			b = tmp;
			cap *= 2;
		}
		r = read(STDIN_FILENO, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return cni_errf(e, CNI_ERR_IO, "reading stdin: %s",
					strerror(errno));
		}
		if (!r) {
			b[n] = '\0';
			*buf = b;
			*len = n;
			return 0;
		}
		n += (size_t)r;
	}
	free(b);
	return cni_errf(e, CNI_ERR_IO, "out of memory");
}

/* --- ADD --- */

static unsigned notify_add(const struct req *r, const struct veth_plan *p,
			   const struct veth_info *vi, struct cni_err *e)
{
	struct cni_endpoint ep = {
		.pod = r->env.pod[0] ? r->env.pod : r->env.containerid,
		.pod_namespace = r->env.pod_namespace[0] ?
				 r->env.pod_namespace : "default",
		.container = r->env.containerid,
		.ifname = p->host_ifname,
		.mac = vi->pod_mac,
		.netns = r->env.netns,
		.ip = p->ip,
		.ifindex = vi->host_ifindex,
	};
	char err[CNI_MSG_MAX - 32];
	int ret;

	if (!r->conf.agent_socket)
		return 0; /* no agent to tell: see config.h */
	ret = cni_agent_endpoint_add(r->conf.agent_socket, &ep, err, sizeof(err));
	if (ret == -EPROTO)
		return cni_errf(e, CNI_ERR_AGENT, "%s", err);
	if (ret)
		return cni_errf(e, CNI_ERR_AGENT, "agent unreachable: %s", err);
	return 0;
}

static void unnotify(const struct req *r)
{
	char err[CNI_MSG_MAX];

	if (r->conf.agent_socket)
		cni_agent_endpoint_del(r->conf.agent_socket, r->env.containerid,
				   err, sizeof(err));
}

static unsigned add_result(struct req *r, const struct veth_plan *p,
			   const struct veth_info *vi, struct cni_err *e)
{
	struct cni_result res = {
		.sandbox = r->env.netns,
		.ip = p->ip,
		.prefixlen = vi->pod_prefixlen,
		.gateway = p->gateway,
		.dns = r->conf.dns,
	};

	snprintf(res.host_ifname, sizeof(res.host_ifname), "%s", p->host_ifname);
	snprintf(res.pod_ifname, sizeof(res.pod_ifname), "%s", p->pod_ifname);
	memcpy(res.host_mac, vi->host_mac, sizeof(res.host_mac));
	memcpy(res.pod_mac, vi->pod_mac, sizeof(res.pod_mac));
	r->out = cni_result_json(&res, r->conf.version);
	return r->out ? 0 : cni_errf(e, CNI_ERR_IO, "out of memory");
}

/* Wires the pod once its address is held; undoes it all on failure. */
static unsigned add_wire(struct req *r, int nsfd, struct veth_plan *p,
			 const struct cni_lease *lease, struct cni_err *e)
{
	struct veth_info vi;
	struct cni_err ignored;
	unsigned code;

	code = veth_add(nsfd, p, &vi, e);
	if (!code) {
		code = notify_add(r, p, &vi, e);
		if (!code)
			code = add_result(r, p, &vi, e);
		if (code) {
			unnotify(r);
			veth_del(p->host_ifname, &ignored);
		}
	}
	if (code)
		ipam_del(&r->env, &r->conf, lease, &ignored);
	return code;
}

static unsigned cmd_add(struct req *r, struct cni_err *e)
{
	struct cni_lease lease;
	struct veth_plan p = {
		.routing = r->conf.routing,
		.bridge = r->conf.bridge,
		.pod_ifname = r->env.ifname,
	};
	struct ipam_addr a;
	unsigned code;
	int nsfd = -1;

	memcpy(p.host_ifname, r->host_ifname, sizeof(p.host_ifname));
	code = cni_lease_load(r->conf.subnet_file, &lease, e);
	if (!code)
		code = veth_netns_open(r->env.netns, &nsfd, e);
	if (!code)
		code = veth_preflight(nsfd, &p, e);
	if (!code)
		code = ipam_add(&r->env, &r->conf, &lease, &a, e);
	if (!code) {
		p.ip = a.ip;
		p.gateway = a.gateway;
		p.prefixlen = a.prefixlen;
		p.mtu = lease.mtu;
		code = add_wire(r, nsfd, &p, &lease, e);
	}
	if (nsfd >= 0)
		close(nsfd);
	return code;
}

/* --- DEL --- */

/* Whether host-local ever kept anything for this network here. */
static bool ipam_store_exists(const struct cni_conf *c)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", c->data_dir, c->name) >=
	    (int)sizeof(path))
		return true;
	return !stat(path, &st);
}

static unsigned cmd_del(struct req *r, struct cni_err *e)
{
	struct cni_lease lease;
	char err[CNI_MSG_MAX - 32];
	unsigned code;
	int ret;

	if (r->conf.agent_socket) {
		ret = cni_agent_endpoint_del(r->conf.agent_socket,
					 r->env.containerid, err, sizeof(err));
		if (ret == -EPROTO)
			return cni_errf(e, CNI_ERR_AGENT, "%s", err);
		if (ret)
			log_info("agent not told: %s", err); /* not running */
	}
	code = veth_del(r->host_ifname, e);
	if (code)
		return code;
	if (!ipam_store_exists(&r->conf))
		return 0;
	/* Without a lease (the worker is going away) host-local still
	 * releases by container ID. */
	code = cni_lease_load(r->conf.subnet_file, &lease, e);
	return ipam_del(&r->env, &r->conf, code ? NULL : &lease, e);
}

/* --- CHECK --- */

static unsigned cmd_check(struct req *r, struct cni_err *e)
{
	struct cni_lease lease;
	struct cni_prev prev;
	unsigned code;
	int nsfd = -1;

	if (!strncmp(r->conf.version, "0.3.", 4))
		return cni_errf(e, CNI_ERR_VERSION, "CHECK needs cniVersion "
				"0.4.0 or later, the config has %s",
				r->conf.version);
	code = cni_prev_parse(r->conf.prev_result, r->env.ifname, &prev, e);
	if (code)
		return code;
	if (prev.host_ifname[0] && strcmp(prev.host_ifname, r->host_ifname))
		return cni_errf(e, CNI_ERR_CHECK, "prevResult: host interface "
				"%s, expected %s", prev.host_ifname,
				r->host_ifname);
	code = veth_netns_open(r->env.netns, &nsfd, e);
	if (code)
		return code;
	code = veth_check(nsfd, r->env.ifname, r->host_ifname, prev.ip,
			  prev.prefixlen, prev.pod_mac, e);
	close(nsfd);
	if (!code)
		code = cni_lease_load(r->conf.subnet_file, &lease, e);
	if (!code)
		code = ipam_check(&r->env, &r->conf, &lease, e);
	return code;
}

/* --- dispatch --- */

static unsigned run(struct req *r, const char *in, size_t len,
		    struct cni_err *e)
{
	unsigned code;

	code = cni_env_parse(env_get, &r->env, e);
	if (code)
		return code;
	if (r->env.cmd == CNI_CMD_VERSION) {
		r->out = cni_version_json();
		return r->out ? 0 : cni_errf(e, CNI_ERR_IO, "out of memory");
	}
	code = cni_conf_parse(in, len, &r->conf, e);
	if (code)
		return code;
	veth_host_name(r->env.containerid, r->env.ifname, r->host_ifname);
	log_debug("%s container %s ifname %s host %s",
		  cni_cmd_name(r->env.cmd), r->env.containerid, r->env.ifname,
		  r->host_ifname);
	switch (r->env.cmd) {
	case CNI_CMD_ADD:
		return cmd_add(r, e);
	case CNI_CMD_DEL:
		return cmd_del(r, e);
	default:
		return cmd_check(r, e);
	}
}

static int print_line(const char *s)
{
	return printf("%s\n", s) < 0 || fflush(stdout) ? -1 : 0;
}

int main(void)
{
	struct req r = { 0 };
	struct cni_err e = { 0 };
	char *in = NULL, *out;
	size_t len = 0;
	unsigned code;
	int status = 0;

	log_init("knetsim-cni", getenv("KNETSIM_CNI_DEBUG") ? LOG_DEBUG :
		 LOG_WARN);
	signal(SIGPIPE, SIG_IGN);
	code = read_stdin(&in, &len, &e);
	if (!code)
		code = run(&r, in, len, &e);
	if (!code && r.out) {
		status = print_line(r.out);
	} else if (code) {
		log_err("%s%s%s", e.msg, e.details[0] ? ": " : "", e.details);
		out = cni_error_json(&e, r.conf.version);
		if (out)
			print_line(out);
		free(out);
		status = 1;
	}
	free(r.out);
	free(in);
	cni_conf_free(&r.conf);
	return status ? EXIT_FAILURE : EXIT_SUCCESS;
}
