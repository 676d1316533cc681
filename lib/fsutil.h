/* SPDX-License-Identifier: MIT */
/* Small file-system helpers. All return 0 or -errno. */
#ifndef KNETSIM_FSUTIL_H
#define KNETSIM_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

int mkdir_p(const char *path, mode_t mode);
/* Removes a tree without following symlinks or crossing mount points;
 * 0 when it is already gone. */
int rm_rf(const char *path);
/* Whole file into a malloc'd NUL-ended buffer. */
int read_file(const char *path, char **buf, size_t *len);
/* Replaces path atomically (temp file + rename). */
int write_file(const char *path, const char *buf, size_t len, mode_t mode);

#endif
