/* SPDX-License-Identifier: MIT */
/* Writes /proc/sys keys of a network namespace ("net/ipv4/ip_forward"). */
#ifndef KNETSIM_SYSCTL_H
#define KNETSIM_SYSCTL_H

/* nsfd -1: the caller's namespace. Returns 0 or -errno. */
int sysctl_write(int nsfd, const char *key, const char *val);

#endif
