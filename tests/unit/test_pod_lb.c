// SPDX-License-Identifier: MIT
/* Routing "kernel" with proxy "bpf": the agent's per-pod service programs
 * (agent/pod_lb.c) on real veths in a private network namespace, against
 * an unpinned datapath: attach on add (both directions, recorded in the
 * endpoints map), detach on delete, the restart sweep of pods that went
 * away, bad input. Needs root; every test skips itself otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "nl.h"
#include "nl_overlay.h"
#include "pod_lb.h"

#define IP_A 0x0b0a0002u /* 11.10.0.2 */
#define IP_B 0x0b0a0003u

static struct dp *dp;
static struct nlh *nl;

static void skip_unless_ready(void)
{
	if (!dp) {
		print_message("[  SKIP    ] needs root (BPF, network "
			      "namespaces)\n");
		skip();
	}
}

static __u32 attached_id(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE,
			    .priority = DP_TC_PRIO);
	libbpf_print_fn_t print = libbpf_set_print(NULL);
	int err = bpf_tc_query(&hook, &opts);

	libbpf_set_print(print);
	return err ? 0 : opts.prog_id;
}

static __u32 prog_id(enum dp_prog p)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(dp_prog_fd(dp, p), &info,
						&len), 0);
	return info.id;
}

/* A pod's host-side veth (its peer stays here too: nothing is sent). */
static struct routing_endpoint pod(const char *ifname, uint32_t ip)
{
	struct routing_endpoint ep = { .ip = ip };
	char peer[IF_NAMESIZE];
	int idx;

	snprintf(peer, sizeof(peer), "%sp", ifname);
	idx = nl_link_index(nl, ifname);
	if (idx < 0) {
		assert_int_equal(nl_veth_add(nl, ifname, peer, -1), 0);
		assert_int_equal(nl_link_up(nl, ifname), 0);
		idx = nl_link_index(nl, ifname);
	}
	assert_true(idx > 0);
	ep.host_ifindex = idx;
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "%s", ifname);
	memcpy(ep.pod_mac, "\x02\xaa\x00\x00\x00\x02", 6);
	ep.pod_mac[5] = (uint8_t)ip;
	return ep;
}

static void assert_attached(int ifindex, int yes)
{
	assert_int_equal(attached_id(ifindex, BPF_TC_INGRESS),
			 yes ? prog_id(DP_PROG_LB_FROM_POD) : 0);
	assert_int_equal(attached_id(ifindex, BPF_TC_EGRESS),
			 yes ? prog_id(DP_PROG_LB_TO_POD) : 0);
}

static void test_add_del(void **state)
{
	struct routing_endpoint ep;
	struct dp_endpoint e;
	uint8_t mac[6];

	(void)state;
	skip_unless_ready();
	ep = pod("vpa", IP_A);
	assert_int_equal(pod_lb_add(dp, &ep), 0);
	assert_attached(ep.host_ifindex, 1);
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_A), &e), 0);
	assert_int_equal(e.ifindex, ep.host_ifindex);
	assert_memory_equal(e.mac, ep.pod_mac, 6);
	assert_int_equal(nl_link_mac(nl, "vpa", mac), 0);
	assert_memory_equal(e.host_mac, mac, 6);
	assert_int_equal(pod_lb_add(dp, &ep), 0); /* a replay: the same */
	assert_attached(ep.host_ifindex, 1);

	assert_int_equal(pod_lb_del(dp, IP_A), 0);
	assert_attached(ep.host_ifindex, 0);
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_A), &e), -ENOENT);
	assert_int_equal(pod_lb_del(dp, IP_A), 0); /* unknown: fine */
}

/* The CNI's DEL may come after the veth is gone: nothing to detach. */
static void test_del_after_veth_gone(void **state)
{
	struct routing_endpoint ep;
	struct dp_endpoint e;

	(void)state;
	skip_unless_ready();
	ep = pod("vpg", IP_B);
	assert_int_equal(pod_lb_add(dp, &ep), 0);
	assert_int_equal(nl_link_del(nl, "vpg"), 0);
	assert_int_equal(pod_lb_del(dp, IP_B), 0);
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_B), &e), -ENOENT);
}

/* After a restart: pods still registered keep their programs, others
 * (veth gone or not) lose them and their record. */
static void test_prune(void **state)
{
	struct routing_endpoint a, b, c;
	const uint32_t keep[] = { IP_A };
	struct dp_endpoint e;

	(void)state;
	skip_unless_ready();
	a = pod("vpa", IP_A);
	b = pod("vpb", IP_B);
	c = pod("vpc", IP_B + 1);
	assert_int_equal(pod_lb_add(dp, &a), 0);
	assert_int_equal(pod_lb_add(dp, &b), 0);
	assert_int_equal(pod_lb_add(dp, &c), 0);
	assert_int_equal(nl_link_del(nl, "vpb"), 0);
	assert_int_equal(pod_lb_prune(dp, keep, 1), 0);
	assert_attached(a.host_ifindex, 1);
	assert_attached(c.host_ifindex, 0);
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_A), &e), 0);
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_B), &e), -ENOENT);
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_B + 1), &e), -ENOENT);
	assert_int_equal(pod_lb_prune(dp, NULL, 0), 0); /* nothing wanted */
	assert_attached(a.host_ifindex, 0);
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_A), &e), -ENOENT);
}

static void test_bad_input(void **state)
{
	struct routing_endpoint ep;
	struct dp_endpoint e;

	(void)state;
	skip_unless_ready();
	ep = pod("vpa", IP_A);
	assert_int_equal(pod_lb_add(NULL, &ep), -EINVAL);
	assert_int_equal(pod_lb_add(dp, NULL), -EINVAL);
	assert_int_equal(pod_lb_del(NULL, IP_A), -EINVAL);
	assert_int_equal(pod_lb_prune(NULL, NULL, 0), -EINVAL);
	assert_int_equal(pod_lb_prune(dp, NULL, 1), -EINVAL);
	ep.host_ifindex = 0;
	assert_int_equal(pod_lb_add(dp, &ep), -EINVAL);
	ep = pod("vpa", IP_A);
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "nosuch");
	assert_true(pod_lb_add(dp, &ep) < 0);   /* no such veth */
	ep = pod("vpa", IP_A);
	ep.host_ifindex = 4242;
	assert_true(pod_lb_add(dp, &ep) < 0);   /* ifindex of nothing */
	assert_int_equal(dp_endpoint_get(dp, htonl(IP_A), &e), -ENOENT);
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	nl = nlh_open(-1);
	if (!nl || dp_open(NULL, &dp)) {
		fprintf(stderr, "test_pod_lb: setup failed\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dp_close(dp);
	nlh_close(nl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_del),
		cmocka_unit_test(test_del_after_veth_gone),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
