/* SPDX-License-Identifier: MIT */
/* Every name knetsim derives: namespaces, switches, interfaces. One place,
 * so the fabric, the CLI and teardown always agree. */
#ifndef KNETSIM_NAMES_H
#define KNETSIM_NAMES_H

#include <stddef.h>

#define NAMES_IFNAMSIZ 16
#define NAMES_NETNS_MAX 64

/* The top switch, in the fabric namespace. */
#define NAMES_TOP_SWITCH "t0"
/* The fabric namespace's node-like name (reserved: no node may use it). */
#define NAMES_FABRIC "fabric"
/* A node's underlay interface inside its own namespace. */
#define NAMES_NODE_IF "eth0"

/* "<sim>:<node>": ':' is in no valid name, so simulations never clash. */
char *names_netns(const char *sim, const char *node, char *buf, size_t len);
/* The cluster's switch "<cluster>s0"; its uplink ends "<cluster>s0-t0" (on
 * the cluster switch) and "t0-<cluster>s0" (on t0). IFNAMSIZ buffers. */
char *names_switch(const char *cluster, char *buf);
char *names_uplink_down(const char *cluster, char *buf);
char *names_uplink_up(const char *cluster, char *buf);
/* The pair a link emulator forwards into: "ke<idx>a" (emulator side) and
 * "ke<idx>b" (on the switch), idx being the node's index. */
char *names_emu_if(size_t node_idx, char end, char *buf);

#endif
