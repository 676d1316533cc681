// SPDX-License-Identifier: MIT
/* The BPF pod-routing datapath from userspace: load, pin, attach, fill. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "datapath.h"
#include "fsutil.h"
#include "knetsim/lb.h"
#include "knetsim/paths.h"

#include "datapath.skel.h" /* bpftool gen skeleton, from build/bpf/ */

#define BPFFS_ROOT "/sys/fs/bpf"
#define VNI_MAX    0xffffffu
/* Where cgroup v2 is mounted when no mount is visible (e.g. under `ip
 * netns exec`, which gives the process a fresh /sys). The leading dot
 * keeps it out of the simulations' directories beside it: no simulation
 * name has one, and `status`/`down --all` skip such entries (a plain
 * "cgroup2" was taken for a simulation and given a state file). */
#define CGROUP2_OWN KNETSIM_RUN_DIR "/.cgroup2"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* Linux 5.14 */
#endif

/* The socket-level balancing hooks: link pin, attach type. */
enum { SOCK_CONNECT4, SOCK_SENDMSG4, SOCK_RECVMSG4, SOCK__MAX };

static const struct sock_hook {
	const char *link_pin;
	enum bpf_attach_type type;
} sock_hooks[SOCK__MAX] = {
	[SOCK_CONNECT4] = { LB_PIN_LINK_CONNECT4, BPF_CGROUP_INET4_CONNECT },
	[SOCK_SENDMSG4] = { LB_PIN_LINK_SENDMSG4, BPF_CGROUP_UDP4_SENDMSG },
	[SOCK_RECVMSG4] = { LB_PIN_LINK_RECVMSG4, BPF_CGROUP_UDP4_RECVMSG },
};

struct dp {
	struct knetsim_dp *skel;
	char *pin_dir;              /* NULL: nothing pinned */
	int sock_links[SOCK__MAX];  /* cgroup link fds; -1: none held */
};

static const char *const stat_names[DP_STAT__MAX] = {
#define DP_STAT_NAME_(name, text) [DP_##name] = text,
	DP_STATS(DP_STAT_NAME_)
#undef DP_STAT_NAME_
};

const char *dp_stat_name(unsigned int stat)
{
	return stat < DP_STAT__MAX ? stat_names[stat] : "?";
}

static int join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* bpffs refuses names with a dot (kept for the kernel's own files). */
static int pin_name_ok(const char *s)
{
	return s && *s && !strchr(s, '/') && !strchr(s, '.');
}

int dp_pin_path(char *buf, size_t len, const char *sim, const char *worker)
{
	int n;

	if (!buf || !pin_name_ok(sim) || !pin_name_ok(worker))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s/%s", KNETSIM_BPF_DIR, sim, worker);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* bpffs at /sys/fs/bpf, mounted when nothing is (pins need it). A mount
 * made from a private mount namespace (`ip netns exec` makes one and
 * remounts /sys) vanishes with it, pins and all: see datapath.h. */
static int bpffs_ensure(const char *pin_dir)
{
	struct statfs st;

	if (strncmp(pin_dir, BPFFS_ROOT "/", sizeof(BPFFS_ROOT)))
		return 0; /* elsewhere: the caller's bpffs, checked by use */
	if (statfs(BPFFS_ROOT, &st) < 0)
		return -errno;
	if (st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

static int set_map_pins(struct knetsim_dp *skel, const char *pin_dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int err;

	bpf_object__for_each_map(map, skel->obj) {
		err = join(path, sizeof(path), pin_dir, bpf_map__name(map));
		if (err)
			return err;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

/* A fresh load has fresh programs: pin each one beside, then rename over
 * the old pin, so the name never points nowhere. */
static int pin_progs(struct knetsim_dp *skel, const char *pin_dir)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);

		err = join(path, sizeof(path), pin_dir, name);
		if (!err) {
			int n = snprintf(tmp, sizeof(tmp), "%s/%s_%ld_new",
					 pin_dir, name, (long)getpid());

			if (n < 0 || (size_t)n >= sizeof(tmp))
				err = -ENAMETOOLONG;
		}
		if (err)
			return err;
		unlink(tmp);
		err = bpf_obj_pin(bpf_program__fd(prog), tmp);
		if (err)
			return err;
		if (rename(tmp, path) < 0) {
			err = -errno;
			unlink(tmp);
			return err;
		}
	}
	return 0;
}

int dp_open(const char *pin_dir, struct dp **out)
{
	struct dp *dp;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (pin_dir) {
		if (*pin_dir != '/' || strlen(pin_dir) >= PATH_MAX - 32)
			return -EINVAL;
		err = bpffs_ensure(pin_dir);
		if (!err)
			err = mkdir_p(pin_dir, 0700);
		if (err)
			return err;
	}
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	for (int i = 0; i < SOCK__MAX; i++)
		dp->sock_links[i] = -1;
	if (pin_dir) {
		dp->pin_dir = strdup(pin_dir);
		if (!dp->pin_dir) {
			free(dp);
			return -ENOMEM;
		}
	}
	dp->skel = knetsim_dp__open();
	if (!dp->skel) {
		err = errno ? -errno : -EINVAL;
		free(dp->pin_dir);
		free(dp);
		return err;
	}
	err = pin_dir ? set_map_pins(dp->skel, pin_dir) : 0;
	if (!err)
		err = knetsim_dp__load(dp->skel);
	if (!err && pin_dir)
		err = pin_progs(dp->skel, pin_dir);
	if (err) {
		dp_close(dp);
		return err < 0 ? err : -EINVAL;
	}
	*out = dp;
	return 0;
}

void dp_close(struct dp *dp)
{
	if (!dp)
		return;
	/* Unpinned links go with their last descriptor; pinned ones stay. */
	for (int i = 0; i < SOCK__MAX; i++)
		if (dp->sock_links[i] >= 0)
			close(dp->sock_links[i]);
	knetsim_dp__destroy(dp->skel);
	free(dp->pin_dir);
	free(dp);
}

int dp_unpin(const char *pin_dir)
{
	static const char *const names[] = {
		DP_PIN_ENDPOINTS, DP_PIN_ROUTES, DP_PIN_CONFIG, DP_PIN_STATS,
		DP_PIN_EVENTS, DP_PIN_FROM_POD, DP_PIN_FROM_OVERLAY,
		DP_PIN_TO_OVERLAY, DP_PIN_LB_FROM_POD, DP_PIN_LB_TO_POD,
		LB_PIN_SERVICES, LB_PIN_BACKENDS,
		LB_PIN_MAGLEV, LB_PIN_CT, LB_PIN_REVNAT,
		/* removing a link's pin detaches it when no one holds it */
		LB_PIN_LINK_CONNECT4, LB_PIN_LINK_SENDMSG4,
		LB_PIN_LINK_RECVMSG4, LB_PIN_SOCK_CONNECT4,
		LB_PIN_SOCK_SENDMSG4, LB_PIN_SOCK_RECVMSG4,
		LB_PIN_SOCK_CONFIG, LB_PIN_SOCK_REVNAT,
	};
	char path[PATH_MAX];
	size_t i;
	int err;

	if (!pin_dir || *pin_dir != '/')
		return -EINVAL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		err = join(path, sizeof(path), pin_dir, names[i]);
		if (err)
			return err;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	if (rmdir(pin_dir) < 0 && errno != ENOENT && errno != ENOTEMPTY)
		return -errno;
	return 0;
}

/* tc: a clsact qdisc (made when missing, never removed: other filters may
 * live there) and our direct-action cls_bpf filter at a fixed handle and
 * priority. libbpf's printer is swapped out around calls whose expected
 * failures it would report: the swap is process-wide, so attach and detach
 * should not race with a thread installing its own printer. */
static int tc_attach(int ifindex, enum bpf_tc_attach_point where, int fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE,
			    .priority = DP_TC_PRIO, .prog_fd = fd,
			    .flags = BPF_TC_F_REPLACE);
	libbpf_print_fn_t print;
	int err;

	if (ifindex <= 0 || fd < 0)
		return -EINVAL;
	/* libbpf warns of the existing qdisc (-EEXIST, expected once the
	 * first filter is in); errors are returned either way. */
	print = libbpf_set_print(NULL);
	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(print);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

static int tc_detach(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE,
			    .priority = DP_TC_PRIO);
	libbpf_print_fn_t print;
	int err;

	if (ifindex <= 0)
		return -EINVAL;
	print = libbpf_set_print(NULL); /* "no such filter" is fine here */
	err = bpf_tc_detach(&hook, &opts);
	libbpf_set_print(print);
	/* No filter there, or no clsact qdisc at all: nothing to do. */
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int dp_attach_pod(struct dp *dp, int ifindex)
{
	if (!dp)
		return -EINVAL;
	return tc_attach(ifindex, BPF_TC_INGRESS,
			 bpf_program__fd(dp->skel->progs.from_pod));
}

int dp_detach_pod(int ifindex)
{
	return tc_detach(ifindex, BPF_TC_INGRESS);
}

int dp_attach_pod_lb(struct dp *dp, int ifindex)
{
	int err;

	if (!dp)
		return -EINVAL;
	err = tc_attach(ifindex, BPF_TC_INGRESS,
			bpf_program__fd(dp->skel->progs.lb_from_pod));
	if (err)
		return err;
	err = tc_attach(ifindex, BPF_TC_EGRESS,
			bpf_program__fd(dp->skel->progs.lb_to_pod));
	if (err)
		tc_detach(ifindex, BPF_TC_INGRESS);
	return err;
}

int dp_detach_pod_lb(int ifindex)
{
	int err = tc_detach(ifindex, BPF_TC_INGRESS);
	int err2 = tc_detach(ifindex, BPF_TC_EGRESS);

	return err ? err : err2;
}

int dp_attach_overlay(struct dp *dp, int ifindex)
{
	int err;

	if (!dp)
		return -EINVAL;
	err = tc_attach(ifindex, BPF_TC_INGRESS,
			bpf_program__fd(dp->skel->progs.from_overlay));
	if (err)
		return err;
	err = tc_attach(ifindex, BPF_TC_EGRESS,
			bpf_program__fd(dp->skel->progs.to_overlay));
	if (err)
		tc_detach(ifindex, BPF_TC_INGRESS);
	return err;
}

int dp_detach_overlay(int ifindex)
{
	int err = tc_detach(ifindex, BPF_TC_INGRESS);
	int err2 = tc_detach(ifindex, BPF_TC_EGRESS);

	return err ? err : err2;
}

static __u32 prefix_mask(unsigned int len)
{
	return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);
}

static int config_ok(const struct dp_config *c)
{
	__u32 mask = prefix_mask(c->subnet_len);

	if (c->subnet_len > 32 || (ntohl(c->subnet) & ~mask))
		return 0;
	if (c->vni > VNI_MAX)
		return 0;
	if (c->flags & ~(__u32)(DP_CFG_F_TRACE | DP_CFG_F_NO_PEER | DP_CFG_F_VIA_STACK))
		return 0;
	if (c->host_ip && (!c->subnet_len ||
			   ((ntohl(c->host_ip) ^ ntohl(c->subnet)) & mask)))
		return 0;
	return 1;
}

int dp_config_set(struct dp *dp, const struct dp_config *cfg)
{
	struct dp_config c;
	__u32 key = 0;

	if (!dp || !cfg || !config_ok(cfg))
		return -EINVAL;
	c = *cfg;
	memset(c.pad, 0, sizeof(c.pad));
	return bpf_map__update_elem(dp->skel->maps.config, &key, sizeof(key),
				    &c, sizeof(c), BPF_ANY);
}

int dp_config_get(struct dp *dp, struct dp_config *cfg)
{
	__u32 key = 0;

	if (!dp || !cfg)
		return -EINVAL;
	return bpf_map__lookup_elem(dp->skel->maps.config, &key, sizeof(key),
				    cfg, sizeof(*cfg), 0);
}

/* A pod address: not 0.0.0.0, multicast, broadcast or loopback. */
static int unicast_ok(__be32 ip)
{
	__u32 h = ntohl(ip);

	return h != 0 && h != 0xffffffffu && (h >> 28) != 0xe &&
	       (h >> 24) != 127;
}

int dp_endpoint_set(struct dp *dp, __be32 ip, const struct dp_endpoint *ep)
{
	struct dp_endpoint_key key = { .ip = ip };

	if (!dp || !ep || !unicast_ok(ip) || ep->ifindex == 0 ||
	    ep->ifindex > INT_MAX)
		return -EINVAL;
	return bpf_map__update_elem(dp->skel->maps.endpoints, &key,
				    sizeof(key), ep, sizeof(*ep), BPF_ANY);
}

int dp_endpoint_get(struct dp *dp, __be32 ip, struct dp_endpoint *ep)
{
	struct dp_endpoint_key key = { .ip = ip };

	if (!dp || !ep)
		return -EINVAL;
	return bpf_map__lookup_elem(dp->skel->maps.endpoints, &key,
				    sizeof(key), ep, sizeof(*ep), 0);
}

int dp_endpoint_del(struct dp *dp, __be32 ip)
{
	struct dp_endpoint_key key = { .ip = ip };

	if (!dp)
		return -EINVAL;
	return bpf_map__delete_elem(dp->skel->maps.endpoints, &key,
				    sizeof(key), 0);
}

int dp_endpoint_next(struct dp *dp, const __be32 *prev, __be32 *ip,
		     struct dp_endpoint *ep)
{
	struct dp_endpoint_key cur, next;
	int err;

	if (!dp || !ip || !ep)
		return -EINVAL;
	if (prev)
		cur.ip = *prev;
	err = bpf_map__get_next_key(dp->skel->maps.endpoints,
				    prev ? &cur : NULL, &next, sizeof(next));
	if (!err)
		err = bpf_map__lookup_elem(dp->skel->maps.endpoints, &next,
					   sizeof(next), ep, sizeof(*ep), 0);
	if (!err)
		*ip = next.ip;
	return err;
}

static int route_key(struct dp_route_key *key, __be32 prefix, unsigned int len)
{
	if (len > 32 || (ntohl(prefix) & ~prefix_mask(len)))
		return -EINVAL;
	key->prefixlen = len;
	key->addr = prefix;
	return 0;
}

int dp_route_set(struct dp *dp, __be32 prefix, unsigned int len,
		 const struct dp_route *r)
{
	struct dp_route_key key;

	if (!dp || !r || !unicast_ok(r->remote) || r->vni > VNI_MAX ||
	    route_key(&key, prefix, len))
		return -EINVAL;
	return bpf_map__update_elem(dp->skel->maps.routes, &key, sizeof(key),
				    r, sizeof(*r), BPF_ANY);
}

int dp_route_lookup(struct dp *dp, __be32 ip, struct dp_route *r)
{
	struct dp_route_key key = { .prefixlen = 32, .addr = ip };

	if (!dp || !r)
		return -EINVAL;
	return bpf_map__lookup_elem(dp->skel->maps.routes, &key, sizeof(key),
				    r, sizeof(*r), 0);
}

int dp_route_del(struct dp *dp, __be32 prefix, unsigned int len)
{
	struct dp_route_key key;

	if (!dp || route_key(&key, prefix, len))
		return -EINVAL;
	return bpf_map__delete_elem(dp->skel->maps.routes, &key, sizeof(key),
				    0);
}

int dp_route_next(struct dp *dp, const struct dp_route_key *prev,
		  struct dp_route_key *key, struct dp_route *r)
{
	int err;

	if (!dp || !key || !r)
		return -EINVAL;
	err = bpf_map__get_next_key(dp->skel->maps.routes, prev, key,
				    sizeof(*key));
	/* An LPM lookup bounded by the entry's own length finds the entry. */
	if (!err)
		err = bpf_map__lookup_elem(dp->skel->maps.routes, key,
					   sizeof(*key), r, sizeof(*r), 0);
	return err;
}

int dp_stats_read(struct dp *dp, struct dp_counter out[DP_STAT__MAX])
{
	struct dp_counter *cpu;
	int ncpu, i, err = 0;
	__u32 key;

	if (!dp || !out)
		return -EINVAL;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	cpu = calloc((size_t)ncpu, sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	for (key = 0; key < DP_STAT__MAX && !err; key++) {
		err = bpf_map__lookup_elem(dp->skel->maps.stats, &key,
					   sizeof(key), cpu,
					   (size_t)ncpu * sizeof(*cpu), 0);
		out[key].packets = out[key].bytes = 0;
		for (i = 0; i < ncpu && !err; i++) {
			out[key].packets += cpu[i].packets;
			out[key].bytes += cpu[i].bytes;
		}
	}
	free(cpu);
	return err;
}

int dp_prog_fd(struct dp *dp, enum dp_prog prog)
{
	if (!dp)
		return -EINVAL;
	switch (prog) {
	case DP_PROG_FROM_POD:
		return bpf_program__fd(dp->skel->progs.from_pod);
	case DP_PROG_FROM_OVERLAY:
		return bpf_program__fd(dp->skel->progs.from_overlay);
	case DP_PROG_TO_OVERLAY:
		return bpf_program__fd(dp->skel->progs.to_overlay);
	case DP_PROG_LB_FROM_POD:
		return bpf_program__fd(dp->skel->progs.lb_from_pod);
	case DP_PROG_LB_TO_POD:
		return bpf_program__fd(dp->skel->progs.lb_to_pod);
	default:
		return -EINVAL;
	}
}

int dp_map_fd(struct dp *dp, const char *name)
{
	struct bpf_map *map;

	if (!dp || !name)
		return -EINVAL;
	map = bpf_object__find_map_by_name(dp->skel->obj, name);
	if (!map)
		return -ENOENT;
	return bpf_map__fd(map);
}

int dp_events_fd(struct dp *dp)
{
	if (!dp)
		return -EINVAL;
	return bpf_map__fd(dp->skel->maps.events);
}

/* Socket-level balancing ------------------------------------------------- */

int dp_netns_cookie(__u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd, err = 0;

	if (!cookie)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		err = -errno;
	else if (len != sizeof(*cookie) || !*cookie)
		err = -EINVAL;
	close(fd);
	return err;
}

static int copy_path(char *buf, size_t len, const char *path)
{
	int n = snprintf(buf, len, "%s", path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int dp_cgroup2_root(char *buf, size_t len)
{
	struct mntent *m;
	int err = -ENOENT;
	FILE *f;

	if (!buf || !len)
		return -EINVAL;
	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			err = copy_path(buf, len, m->mnt_dir);
			break;
		}
	endmntent(f);
	if (err != -ENOENT)
		return err;
	err = mkdir_p(CGROUP2_OWN, 0700);
	if (err)
		return err;
	if (mount("cgroup2", CGROUP2_OWN, "cgroup2", 0, NULL) < 0 &&
	    errno != EBUSY)
		return -errno;
	return copy_path(buf, len, CGROUP2_OWN);
}

static int sock_prog_fd(struct dp *dp, int hook)
{
	switch (hook) {
	case SOCK_CONNECT4:
		return bpf_program__fd(dp->skel->progs.sock_connect4);
	case SOCK_SENDMSG4:
		return bpf_program__fd(dp->skel->progs.sock_sendmsg4);
	default:
		return bpf_program__fd(dp->skel->progs.sock_recvmsg4);
	}
}

/* A pinned link of an earlier load, for the same hook, now runs prog. */
static int sock_link_reuse(const char *path, int hook, int prog)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	    info.type == BPF_LINK_TYPE_CGROUP &&
	    info.cgroup.attach_type == sock_hooks[hook].type &&
	    bpf_link_update(fd, prog, NULL) == 0)
		return fd;
	close(fd);
	unlink(path); /* not ours to reuse: detached once unpinned */
	return -ENOENT;
}

static int sock_link(struct dp *dp, int hook, int cg_fd)
{
	int prog = sock_prog_fd(dp, hook), fd, err;
	char path[PATH_MAX];

	if (dp->sock_links[hook] >= 0)
		return bpf_link_update(dp->sock_links[hook], prog, NULL);
	if (dp->pin_dir) {
		err = join(path, sizeof(path), dp->pin_dir,
			   sock_hooks[hook].link_pin);
		if (err)
			return err;
		fd = sock_link_reuse(path, hook, prog);
		if (fd >= 0) {
			dp->sock_links[hook] = fd;
			return 0;
		}
	}
	fd = bpf_link_create(prog, cg_fd, sock_hooks[hook].type, NULL);
	if (fd < 0)
		return fd;
	if (dp->pin_dir) {
		err = bpf_obj_pin(fd, path);
		if (err) {
			close(fd);
			return err;
		}
	}
	dp->sock_links[hook] = fd;
	return 0;
}

static int sock_config_set(struct dp *dp, __u64 netns_cookie)
{
	struct lb_sock_config c = { .netns_cookie = netns_cookie };
	__u32 key = 0;

	return bpf_map__update_elem(dp->skel->maps.lb_sock_config, &key,
				    sizeof(key), &c, sizeof(c), BPF_ANY);
}

int dp_attach_sock_lb(struct dp *dp, const char *cgroup, __u64 netns_cookie)
{
	char root[PATH_MAX];
	int cg_fd, err, hook;

	if (!dp || !netns_cookie)
		return -EINVAL;
	if (!cgroup) {
		err = dp_cgroup2_root(root, sizeof(root));
		if (err)
			return err;
		cgroup = root;
	}
	cg_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return -errno;
	err = sock_config_set(dp, netns_cookie);
	for (hook = 0; hook < SOCK__MAX && !err; hook++)
		err = sock_link(dp, hook, cg_fd);
	close(cg_fd);
	if (err)
		dp_detach_sock_lb(dp);
	return err;
}

int dp_detach_sock_lb(struct dp *dp)
{
	char path[PATH_MAX];
	int hook, err = 0;

	if (!dp)
		return -EINVAL;
	for (hook = 0; hook < SOCK__MAX; hook++) {
		if (dp->sock_links[hook] >= 0) {
			close(dp->sock_links[hook]);
			dp->sock_links[hook] = -1;
		}
		if (!dp->pin_dir)
			continue;
		if (!err)
			err = join(path, sizeof(path), dp->pin_dir,
				   sock_hooks[hook].link_pin);
		if (!err && unlink(path) < 0 && errno != ENOENT)
			err = -errno;
	}
	if (!err)
		err = sock_config_set(dp, 0);
	return err;
}
