/* SPDX-License-Identifier: MIT */
/* Named network namespaces, made the way iproute2 makes them: a namespace
 * bind-mounted at /run/netns/NAME, so `ip netns exec NAME` works on it. */
#ifndef KNETSIM_NETNS_H
#define KNETSIM_NETNS_H

#include <stdbool.h>
#include <sys/types.h>

/* Creates the namespace; -EEXIST when the name is taken. Brings up lo.
 * Returns 0 or -errno. Safe in a multi-threaded process (only the calling
 * thread switches namespaces, and it switches back). */
int netns_create(const char *name);
/* Unmounts and removes /run/netns/NAME; 0 when it is already gone. */
int netns_delete(const char *name);
bool netns_exists(const char *name);
/* O_RDONLY|O_CLOEXEC descriptor of the namespace, or -errno. */
int netns_open(const char *name);
/* Inode of the namespace (matches /proc/PID/ns/net), or 0 when absent. */
ino_t netns_inode(const char *name);

/* Switches the calling thread into nsfd; saves the current namespace in
 * *saved (a descriptor) so netns_leave() can restore it. */
int netns_enter(int nsfd, int *saved);
int netns_leave(int saved);

/* socket(2) created inside nsfd; the socket keeps that namespace for its
 * lifetime. Returns a descriptor or -errno. */
int netns_socket(int nsfd, int domain, int type, int protocol);

#endif
