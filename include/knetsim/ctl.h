/* SPDX-License-Identifier: MIT */
/* The agent's control socket: how the CNI plugin and `knetsim` talk to the
 * knetsim-agent of a worker.
 *
 * Socket: AF_UNIX, SOCK_SEQPACKET, at KNETSIM_RUN_DIR/<sim>/agent/<worker>.sock
 * (created by the agent; the path is in the filesystem, so it is reachable
 * from any network namespace). One JSON object per message each way.
 *
 * Requests and replies:
 *   {"op":"status"}
 *     -> {"ok":true,"worker":"C0w1","cluster":"C0","routing":"bpf",
 *         "address":"10.0.0.1","subnet":"11.10.16.0/20","watching":true,
 *         "endpoints":[{endpoint}...],"leases":[{"subnet","PublicIP"}...]}
 *   {"op":"endpoint-add","endpoint":{"pod":"c1","namespace":"default",
 *     "container":"<id>","ip":"11.10.16.2","ifname":"ks5f2a9c01",
 *     "ifindex":12,"mac":"aa:bb:cc:dd:ee:ff","netns":"/run/netns/..."}}
 *     -> {"ok":true}   (idempotent for the same container and ip)
 *   {"op":"endpoint-del","container":"<id>"}
 *     -> {"ok":true}   (also when unknown: DEL is idempotent)
 *   any failure -> {"ok":false,"error":"what went wrong"}
 *
 * The worker's lease is also written, in flannel's format, to
 * KNETSIM_RUN_DIR/<sim>/agent/<worker>/subnet.env (FLANNEL_NETWORK,
 * FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ), which the CNI plugin reads
 * for address management, as flannel's CNI plugin reads
 * /run/flannel/subnet.env.
 */
#ifndef KNETSIM_CTL_H
#define KNETSIM_CTL_H

#define KNETSIM_CTL_MSG_MAX 65536
#define KNETSIM_AGENT_DIR "agent" /* under KNETSIM_RUN_DIR/<sim>/ */

#endif
