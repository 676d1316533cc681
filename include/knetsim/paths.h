/* SPDX-License-Identifier: MIT */
/* Where knetsim keeps its runtime state; shared by every binary. */
#ifndef KNETSIM_PATHS_H
#define KNETSIM_PATHS_H

#define KNETSIM_RUN_DIR   "/run/knetsim"      /* <sim>/ per simulation */
#define KNETSIM_NETNS_DIR "/run/netns"        /* named namespaces, as iproute2 */
#define KNETSIM_BPF_DIR   "/sys/fs/bpf/knetsim" /* <sim>/<worker>/ pins */

#define KNETSIM_DEFAULT_SIM "knetsim"
/* Names are [A-Za-z0-9_-] (no '.': bpffs refuses it in pin names,
 * and pins are named after simulations and workers). A node name is also an interface name in the
 * fabric namespace, so it obeys IFNAMSIZ (15 bytes + NUL). */
#define KNETSIM_SIM_NAME_MAX  32
#define KNETSIM_NODE_NAME_MAX 15

#endif
