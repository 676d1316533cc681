/* SPDX-License-Identifier: MIT */
/* What the multi-cluster configuration generators (skupper-router JSON,
 * nginx stream) accept as names, hosts and paths: plain enough to be
 * written into either format without quoting. */
#ifndef KNETSIM_MC_INPUT_H
#define KNETSIM_MC_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#define MC_INPUT_NAME_MAX 64
#define MC_INPUT_PATH_MAX 1024

/* 1 to MC_INPUT_NAME_MAX bytes of [A-Za-z0-9_.-]. */
bool mc_name_valid(const char *s);
/* A dotted IPv4 address, or a host name: 1 to 253 bytes of
 * [A-Za-z0-9_.-] not starting with '-' or '.'. */
bool mc_host_valid(const char *s);
/* An absolute path of printable ASCII without spaces, quotes, '\\', ';',
 * '{', '}', '#' or '$' (nginx would read those as syntax or variables). */
bool mc_path_valid(const char *s);

#endif
