// SPDX-License-Identifier: MIT
#include "fabric.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "linkemu.h"
#include "names.h"
#include "netns.h"
#include "nl.h"
#include "proc.h"
#include "sysctl.h"

struct fabric {
	struct state *st;
	const struct topology *t;
	const char *self_exe;
	int fabric_fd;
	struct nlh *fab;
	bool netem;       /* the kernel has sch_netem */
	size_t emulated;
};

#define LINKEMU_READY_TIMEOUT_MS 3000

#define fail(err, errlen, ...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* Every namespace of the simulation: IPv4 only, so captures show just the
 * lab's traffic. */
static int make_netns(struct fabric *f, const char *node, int *fd, char *err,
		      size_t errlen)
{
	char name[NAMES_NETNS_MAX];
	int ret;

	if (!names_netns(state_sim(f->st), node, name, sizeof(name)))
		return fail(err, errlen, "%s: namespace name too long", node);
	/* Never record (and so never later delete) a namespace not ours. */
	if (netns_exists(name))
		return fail(err, errlen,
			    "namespace %s exists but is not part of this simulation (remove it with 'ip netns del %s')",
			    name, name);
	ret = state_add_netns(f->st, name);
	if (!ret)
		ret = netns_create(name);
	if (ret)
		return fail(err, errlen, "create namespace %s: %s", name,
			    strerror(-ret));
	*fd = netns_open(name);
	if (*fd < 0)
		return fail(err, errlen, "open namespace %s: %s", name,
			    strerror(-*fd));
	sysctl_write(*fd, "net/ipv6/conf/all/disable_ipv6", "1");
	sysctl_write(*fd, "net/ipv6/conf/default/disable_ipv6", "1");
	return 0;
}

static bool needs_netem(const struct link_props *p)
{
	return p->delay_us || p->jitter_us || p->loss_ppm;
}

static bool any_netem(const struct topology *t)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (needs_netem(&t->nodes[i].link))
			return true;
	return false;
}

static int add_switch(struct fabric *f, const char *name, char *err,
		      size_t errlen)
{
	int ret = nl_bridge_add(f->fab, name);

	if (!ret)
		ret = nl_link_up(f->fab, name);
	if (ret)
		return fail(err, errlen, "switch %s: %s", name, strerror(-ret));
	return 0;
}

/* A veth inside the fabric namespace with one end on each of two switches
 * (or one end free when master_b is NULL). */
static int add_fabric_veth(struct fabric *f, const char *a, const char *master_a,
			   const char *b, const char *master_b, char *err,
			   size_t errlen)
{
	int ret = nl_veth_add(f->fab, a, b, -1);

	if (!ret && master_a)
		ret = nl_link_set_master(f->fab, a, master_a);
	if (!ret && master_b)
		ret = nl_link_set_master(f->fab, b, master_b);
	if (!ret)
		ret = nl_link_up(f->fab, a);
	if (!ret)
		ret = nl_link_up(f->fab, b);
	if (ret)
		return fail(err, errlen, "link %s-%s: %s", a, b, strerror(-ret));
	return 0;
}

int fabric_open(struct state *st, const struct topology *t,
		const char *self_exe, struct fabric **out, char *err,
		size_t errlen)
{
	char sw[NAMES_IFNAMSIZ], down[NAMES_IFNAMSIZ], up[NAMES_IFNAMSIZ];
	struct fabric *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return fail(err, errlen, "out of memory");
	f->st = st;
	f->t = t;
	f->self_exe = self_exe;
	f->fabric_fd = -1;
	*out = f;

	ret = make_netns(f, NAMES_FABRIC, &f->fabric_fd, err, errlen);
	if (ret)
		return ret;
	/* The switches are plain L2, as real ones are: no netfilter hooks on
	 * bridged frames (br_netfilter, when loaded, defaults them on in
	 * every new namespace). Absent without br_netfilter: ignored. */
	sysctl_write(f->fabric_fd, "net/bridge/bridge-nf-call-iptables", "0");
	sysctl_write(f->fabric_fd, "net/bridge/bridge-nf-call-arptables", "0");
	f->fab = nlh_open(f->fabric_fd);
	if (!f->fab)
		return fail(err, errlen, "netlink socket in the fabric namespace");
	f->netem = any_netem(t) && nl_netem_supported(f->fab);

	ret = add_switch(f, NAMES_TOP_SWITCH, err, errlen);
	for (size_t c = 0; !ret && c < t->n_clusters; c++) {
		const char *cl = t->clusters[c].name;

		names_switch(cl, sw);
		names_uplink_down(cl, down);
		names_uplink_up(cl, up);
		ret = add_switch(f, sw, err, errlen);
		if (!ret)
			ret = add_fabric_veth(f, down, sw, up, NAMES_TOP_SWITCH,
					      err, errlen);
	}
	return ret;
}

static bool emulate(const struct fabric *f, const struct node *n)
{
	return needs_netem(&n->link) && !f->netem;
}

int fabric_add_node(struct fabric *f, size_t idx, char *err, size_t errlen)
{
	const struct node *n = &f->t->nodes[idx];
	const struct cluster *c = &f->t->clusters[n->cluster];
	char sw[NAMES_IFNAMSIZ], ea[NAMES_IFNAMSIZ], eb[NAMES_IFNAMSIZ];
	struct nlh *h;
	int nsfd, ret;

	ret = make_netns(f, n->name, &nsfd, err, errlen);
	if (ret)
		return ret;
	h = nlh_open(nsfd);
	if (!h) {
		close(nsfd);
		return fail(err, errlen, "%s: netlink socket", n->name);
	}
	/* Made inside the node, its peer straight in the fabric. */
	ret = nl_veth_add(h, NAMES_NODE_IF, n->name, f->fabric_fd);
	if (!ret)
		ret = nl_addr_add(h, NAMES_NODE_IF, n->addr, f->t->underlay.len);
	if (!ret)
		ret = nl_link_up(h, NAMES_NODE_IF);
	nlh_close(h);
	close(nsfd);
	if (ret)
		return fail(err, errlen, "%s: %s: %s", n->name, NAMES_NODE_IF,
			    strerror(-ret));

	names_switch(c->name, sw);
	if (emulate(f, n)) {
		/* node <-> [emulator] <-> keNa/keNb <-> switch */
		names_emu_if(idx, 'a', ea);
		names_emu_if(idx, 'b', eb);
		ret = add_fabric_veth(f, ea, NULL, eb, sw, err, errlen);
		if (ret)
			return ret;
	} else {
		ret = nl_link_set_master(f->fab, n->name, sw);
	}
	if (!ret)
		ret = nl_link_up(f->fab, n->name);
	if (ret)
		return fail(err, errlen, "%s: switch port: %s", n->name,
			    strerror(-ret));
	return 0;
}

/* True once the emulator wrote its ready line. */
static bool wait_ready(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[16];

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	return read(fd, buf, sizeof(buf)) > 0 && !strncmp(buf, "ready", 5);
}

static int start_emulator(struct fabric *f, size_t idx, char *err,
			  size_t errlen)
{
	const struct node *n = &f->t->nodes[idx];
	char ea[NAMES_IFNAMSIZ], log[PATH_MAX], rel[64];
	char delay[24], jitter[24], loss[24], ready[3] = "3";
	char *argv[] = {
		(char *)f->self_exe, LINKEMU_CMD, "--a", (char *)n->name,
		"--b", names_emu_if(idx, 'a', ea), "--delay-us", delay,
		"--jitter-us", jitter, "--loss-ppm", loss, "--ready-fd", ready,
		NULL,
	};
	struct proc_spec spec = { .argv = argv, .nsfd = f->fabric_fd };
	struct proc_id id;
	char why[PATH_MAX + 128];
	int ret, p[2];

	snprintf(delay, sizeof(delay), "%" PRIu32, n->link.delay_us);
	snprintf(jitter, sizeof(jitter), "%" PRIu32, n->link.jitter_us);
	snprintf(loss, sizeof(loss), "%" PRIu32, n->link.loss_ppm);
	snprintf(rel, sizeof(rel), "logs/linkemu-%s.log", n->name);
	spec.log_path = state_path(f->st, rel, log, true);
	snprintf(ready, sizeof(ready), "%d", PROC_PASS_FD);
	if (pipe2(p, O_CLOEXEC))
		return fail(err, errlen, "%s: pipe: %s", n->name, strerror(errno));
	spec.pass_fd = p[1];
	ret = proc_spawn(&spec, &id, why, sizeof(why));
	close(p[1]);
	if (!ret)
		ret = state_add_proc(f->st, "linkemu", n->name, &id, log);
	else
		snprintf(why + strlen(why), sizeof(why) - strlen(why), " (see %s)", log);
	/* Frames sent before it listens would be lost: wait for "ready". */
	if (!ret && !wait_ready(p[0], LINKEMU_READY_TIMEOUT_MS))
		snprintf(why, sizeof(why), "not ready after %d ms (see %s)",
			 LINKEMU_READY_TIMEOUT_MS, log), ret = -ETIMEDOUT;
	close(p[0]);
	if (ret)
		return fail(err, errlen, "%s: link emulator: %s", n->name,
			    *why ? why : strerror(-ret));
	f->emulated++;
	return 0;
}

static int shape_end(struct nlh *h, const char *ifname,
		     const struct nl_shaping *s, const char *node, char *err,
		     size_t errlen)
{
	int ret = nl_qdisc_shape(h, ifname, s);

	if (ret)
		return fail(err, errlen, "%s: shaping on %s: %s", node, ifname,
			    strerror(-ret));
	return 0;
}

int fabric_shape_node(struct fabric *f, size_t idx, char *err, size_t errlen)
{
	const struct node *n = &f->t->nodes[idx];
	struct nl_shaping s = {
		.delay_us = n->link.delay_us,
		.jitter_us = n->link.jitter_us,
		.loss_ppm = n->link.loss_ppm,
		.rate_bps = n->link.rate_bps,
	};
	char name[NAMES_NETNS_MAX];
	struct nlh *h;
	int nsfd, ret;

	if (!link_props_shaped(&n->link))
		return 0;
	if (emulate(f, n)) {
		ret = start_emulator(f, idx, err, errlen);
		if (ret)
			return ret;
		s.delay_us = s.jitter_us = s.loss_ppm = 0;
		if (!s.rate_bps)
			return 0;
	}
	/* Both directions: the node's egress and the switch port's. */
	ret = shape_end(f->fab, n->name, &s, n->name, err, errlen);
	if (ret)
		return ret;
	nsfd = netns_open(names_netns(state_sim(f->st), n->name, name,
				      sizeof(name)));
	if (nsfd < 0)
		return fail(err, errlen, "%s: %s", name, strerror(-nsfd));
	h = nlh_open(nsfd);
	close(nsfd);
	if (!h)
		return fail(err, errlen, "%s: netlink socket", n->name);
	ret = shape_end(h, NAMES_NODE_IF, &s, n->name, err, errlen);
	nlh_close(h);
	return ret;
}

size_t fabric_emulated(const struct fabric *f)
{
	return f->emulated;
}

void fabric_close(struct fabric *f)
{
	if (!f)
		return;
	nlh_close(f->fab);
	if (f->fabric_fd >= 0)
		close(f->fabric_fd);
	free(f);
}
