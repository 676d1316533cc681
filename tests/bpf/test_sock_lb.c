// SPDX-License-Identifier: MIT
/*
 * Socket-level balancing (bpf/sock_lb.c) on real sockets: namespaces
 * ktp-w (the "worker", 192.0.2.1) and ktp-p (a backend, 192.0.2.2) joined
 * by a veth, ktp-o (another namespace). From ktp-w, TCP connect() and UDP
 * sendto() to the VIP reach the backend and UDP replies come from the VIP;
 * a service without backends refuses connect(); sockets of ktp-o and of
 * the host's namespace are not touched (a UDP connect() there sends
 * nothing). The links are pinned, survive dp_close(), are moved to a new
 * load's programs, and go with dp_unpin(): none of ours stays on the
 * cgroup root. Needs root, cgroup v2 and Linux 5.14; skips otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "datapath.h"
#include "datapath_lb.h"

#define NS_W   "ktp-w"
#define NS_P   "ktp-p"
#define NS_O   "ktp-o"
#define IP_W   "192.0.2.1"
#define IP_P   "192.0.2.2"
#define VIP    "100.64.99.1"
#define VIP_NB "100.64.99.2" /* a service without backends */
#define PIN    "/sys/fs/bpf/ktp-sock-lb"

static struct dp *dp;
static int host_ns = -1;
static char cgroot[PATH_MAX];
static int ready;

static __be32 ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		fail_msg("bad address %s", s);
	return a.s_addr;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	a.sin_addr.s_addr = ip4(ip);
	return a;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == 0 ? 0 : -1;
}

static void ns_enter(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	close(fd);
}

static void ns_leave(void)
{
	assert_int_equal(setns(host_ns, CLONE_NEWNET), 0);
}

/* A socket of namespace ns (NULL: the host's), 2 s timeouts. */
static int sock_in(const char *ns, int type)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd;

	if (ns)
		ns_enter(ns);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (ns)
		ns_leave();
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* connect() is balanced by the namespace of the calling task's socket,
 * whatever namespace the task is in: sockets carry theirs. */
static int do_connect(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in a = sin_of(ip, port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
}

static void assert_peer(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	assert_int_equal(getpeername(fd, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(a.sin_addr.s_addr, ip4(ip));
	assert_int_equal(ntohs(a.sin_port), port);
}

static void service(const char *vip, uint16_t port, uint8_t proto,
		    uint16_t target, __u32 id, const char *backend)
{
	struct lb_service_key k = { .vip = ip4(vip), .port = htons(port),
				    .proto = proto };
	struct lb_service v = { .id = id, .count = backend ? 1 : 0,
				.target_port = htons(target) };
	__be32 b = backend ? ip4(backend) : 0;

	if (backend)
		assert_int_equal(dp_lb_backends_set(dp, id, &b, 1, 0, 0), 0);
	assert_int_equal(dp_lb_service_set(dp, &k, &v), 0);
}

/* Ids of the programs attached directly to the cgroup root at type. */
static __u32 attached(enum bpf_attach_type type, __u32 *ids, __u32 max)
{
	__u32 cnt = max;
	int fd = open(cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(bpf_prog_query(fd, type, 0, NULL, ids, &cnt), 0);
	close(fd);
	return cnt;
}

static __u32 pinned_prog_id(const char *name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", PIN, name);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.id;
}

/* How often prog id is attached at the root for type. */
static int times_attached(enum bpf_attach_type type, __u32 id)
{
	__u32 ids[256], n = attached(type, ids, 256);
	int times = 0;

	for (__u32 i = 0; i < n; i++)
		times += ids[i] == id;
	return times;
}

/* A link whose last reference goes (its pin removed) is released from a
 * work queue: the detach is asynchronous. Waits up to 2 s for it. */
static int times_attached_settled(enum bpf_attach_type type, __u32 id)
{
	int times = times_attached(type, id);

	for (int i = 0; times && i < 200; i++) {
		usleep(10000);
		times = times_attached(type, id);
	}
	return times;
}

static void assert_ours_attached(int times)
{
	assert_int_equal(times_attached(BPF_CGROUP_INET4_CONNECT,
			 pinned_prog_id(LB_PIN_SOCK_CONNECT4)), times);
	assert_int_equal(times_attached(BPF_CGROUP_UDP4_SENDMSG,
			 pinned_prog_id(LB_PIN_SOCK_SENDMSG4)), times);
	assert_int_equal(times_attached(BPF_CGROUP_UDP4_RECVMSG,
			 pinned_prog_id(LB_PIN_SOCK_RECVMSG4)), times);
}

static void skip_unless_ready(void)
{
	if (!ready)
		skip();
}

/* Tests ------------------------------------------------------------------ */

static void test_tcp_connect(void **state)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int c, l, a;

	(void)state;
	skip_unless_ready();
	l = sock_in(NS_P, SOCK_STREAM);
	{
		struct sockaddr_in b = sin_of(IP_P, 8080);
		int one = 1;

		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		assert_int_equal(bind(l, (struct sockaddr *)&b, sizeof(b)), 0);
		assert_int_equal(listen(l, 4), 0);
	}
	c = sock_in(NS_W, SOCK_STREAM);
	assert_int_equal(do_connect(c, VIP, 80), 0);
	assert_peer(c, IP_P, 8080);
	a = accept(l, (struct sockaddr *)&peer, &len);
	assert_true(a >= 0);
	assert_int_equal(peer.sin_addr.s_addr, ip4(IP_W));
	close(a);
	close(c);
	close(l);
}

static void test_udp_reply_from_vip(void **state)
{
	struct sockaddr_in b = sin_of(IP_P, 5353), vip = sin_of(VIP, 53);
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	char buf[8];
	int s, c;

	(void)state;
	skip_unless_ready();
	s = sock_in(NS_P, SOCK_DGRAM);
	assert_int_equal(bind(s, (struct sockaddr *)&b, sizeof(b)), 0);
	c = sock_in(NS_W, SOCK_DGRAM);
	assert_int_equal(sendto(c, "ping", 4, 0, (struct sockaddr *)&vip,
				sizeof(vip)), 4);
	assert_int_equal(recvfrom(s, buf, sizeof(buf), 0,
				  (struct sockaddr *)&from, &len), 4);
	assert_int_equal(from.sin_addr.s_addr, ip4(IP_W));
	assert_int_equal(sendto(s, "pong", 4, 0, (struct sockaddr *)&from,
				len), 4);
	len = sizeof(from);
	memset(&from, 0, sizeof(from));
	assert_int_equal(recvfrom(c, buf, sizeof(buf), 0,
				  (struct sockaddr *)&from, &len), 4);
	assert_memory_equal(buf, "pong", 4);
	assert_int_equal(from.sin_addr.s_addr, ip4(VIP));
	assert_int_equal(ntohs(from.sin_port), 53);
	close(c);
	close(s);
}

static void test_no_backend_rejected(void **state)
{
	int c;

	(void)state;
	skip_unless_ready();
	c = sock_in(NS_W, SOCK_STREAM);
	assert_int_equal(do_connect(c, VIP_NB, 80), -EPERM);
	close(c);
}

/* Another namespace: its own listener on the VIP answers (the backend is
 * unreachable from there, so a rewrite would fail the connect). */
static void test_other_netns_untouched(void **state)
{
	struct sockaddr_in b = sin_of(VIP, 80);
	int one = 1, l, c, a;

	(void)state;
	skip_unless_ready();
	l = sock_in(NS_O, SOCK_STREAM);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(l, (struct sockaddr *)&b, sizeof(b)), 0);
	assert_int_equal(listen(l, 4), 0);
	c = sock_in(NS_O, SOCK_STREAM);
	assert_int_equal(do_connect(c, VIP, 80), 0);
	assert_peer(c, VIP, 80);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	close(a);
	close(c);
	close(l);
	/* the service without backends is no service there */
	c = sock_in(NS_O, SOCK_DGRAM);
	assert_int_equal(do_connect(c, VIP_NB, 80), -ENETUNREACH);
	close(c);
}

/* The host's namespace: a UDP connect() only sets the peer, sends nothing. */
static void test_host_netns_untouched(void **state)
{
	int c;

	(void)state;
	skip_unless_ready();
	c = sock_in(NULL, SOCK_DGRAM);
	if (do_connect(c, VIP, 80) == 0) /* fails without a route: fine */
		assert_peer(c, VIP, 80);
	close(c);
	c = sock_in(NULL, SOCK_DGRAM);
	assert_int_not_equal(do_connect(c, VIP_NB, 80), -EPERM);
	close(c);
}

/* Pinned links outlive the handle, follow a new load, go with the pins. */
static void test_links_lifecycle(void **state)
{
	__u32 old_id;
	__u64 cookie;

	(void)state;
	skip_unless_ready();
	assert_ours_attached(1);
	old_id = pinned_prog_id(LB_PIN_SOCK_CONNECT4);
	ns_enter(NS_W);
	assert_int_equal(dp_netns_cookie(&cookie), 0);
	ns_leave();
	dp_close(dp);
	dp = NULL;
	assert_int_equal(times_attached(BPF_CGROUP_INET4_CONNECT, old_id), 1);

	/* a restart: the same links, the new programs */
	assert_int_equal(dp_open(PIN, &dp), 0);
	assert_int_equal(dp_attach_sock_lb(dp, cgroot, cookie), 0);
	assert_int_not_equal(pinned_prog_id(LB_PIN_SOCK_CONNECT4), old_id);
	assert_int_equal(times_attached(BPF_CGROUP_INET4_CONNECT, old_id), 0);
	assert_ours_attached(1);
	test_tcp_connect(state); /* the services are in the pinned maps */

	/* removing the pins detaches */
	{
		__u32 id[3] = {
			pinned_prog_id(LB_PIN_SOCK_CONNECT4),
			pinned_prog_id(LB_PIN_SOCK_SENDMSG4),
			pinned_prog_id(LB_PIN_SOCK_RECVMSG4),
		};

		dp_close(dp);
		dp = NULL;
		assert_int_equal(dp_unpin(PIN), 0);
		assert_int_equal(times_attached_settled(BPF_CGROUP_INET4_CONNECT,
						id[0]), 0);
		assert_int_equal(times_attached_settled(BPF_CGROUP_UDP4_SENDMSG,
						id[1]), 0);
		assert_int_equal(times_attached_settled(BPF_CGROUP_UDP4_RECVMSG,
						id[2]), 0);
	}
}

/* Setup ------------------------------------------------------------------ */

static void topology_down(void)
{
	sh("ip netns del " NS_W " 2>/dev/null; ip netns del " NS_P
	   " 2>/dev/null; ip netns del " NS_O " 2>/dev/null; true");
}

static int topology_up(void)
{
	topology_down();
	return sh("set -e; ip netns add " NS_W "; ip netns add " NS_P
		  "; ip netns add " NS_O
		  "; ip link add ktp-v0 netns " NS_W
		  " type veth peer name ktp-v1 netns " NS_P
		  "; ip -n " NS_W " addr add " IP_W "/24 dev ktp-v0"
		  "; ip -n " NS_P " addr add " IP_P "/24 dev ktp-v1"
		  "; ip -n " NS_W " link set ktp-v0 up"
		  "; ip -n " NS_P " link set ktp-v1 up"
		  "; ip -n " NS_W " link set lo up"
		  "; ip -n " NS_P " link set lo up"
		  "; ip -n " NS_O " link set lo up"
		  "; ip -n " NS_O " addr add " VIP "/32 dev lo");
}

static int setup(void **state)
{
	__u64 cookie;
	int err;

	(void)state;
	if (geteuid() != 0) {
		printf("test_sock_lb: skipped: needs root\n");
		return 0;
	}
	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (host_ns < 0 || topology_up()) {
		printf("test_sock_lb: skipped: cannot build namespaces\n");
		return 0;
	}
	if (dp_cgroup2_root(cgroot, sizeof(cgroot))) {
		printf("test_sock_lb: skipped: no cgroup v2\n");
		return 0;
	}
	ns_enter(NS_W);
	err = dp_netns_cookie(&cookie);
	ns_leave();
	if (err) {
		printf("test_sock_lb: skipped: no SO_NETNS_COOKIE: %s\n",
		       strerror(-err));
		return 0;
	}
	dp_unpin(PIN); /* a crashed run's leftovers */
	err = dp_open(PIN, &dp);
	if (!err)
		err = dp_attach_sock_lb(dp, cgroot, cookie);
	if (err) {
		printf("test_sock_lb: skipped: datapath: %s\n", strerror(-err));
		return 0;
	}
	service(VIP, 80, IPPROTO_TCP, 8080, 1, IP_P);
	service(VIP, 53, IPPROTO_UDP, 5353, 2, IP_P);
	service(VIP_NB, 80, IPPROTO_TCP, 0, 3, NULL);
	ready = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (dp) {
		dp_detach_sock_lb(dp);
		dp_close(dp);
		dp = NULL;
	}
	if (geteuid() == 0) {
		dp_unpin(PIN);
		topology_down();
	}
	if (host_ns >= 0)
		close(host_ns);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_connect),
		cmocka_unit_test(test_udp_reply_from_vip),
		cmocka_unit_test(test_no_backend_rejected),
		cmocka_unit_test(test_other_netns_untouched),
		cmocka_unit_test(test_host_netns_untouched),
		cmocka_unit_test(test_links_lifecycle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
