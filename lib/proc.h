/* SPDX-License-Identifier: MIT */
/* Daemons started in a network namespace and later stopped by PID. A PID
 * is only trusted together with its start time (field 22 of
 * /proc/PID/stat), so a recycled PID is never signalled. */
#ifndef KNETSIM_PROC_H
#define KNETSIM_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proc_id {
	pid_t pid;
	unsigned long long start; /* clock ticks since boot */
};

struct proc_spec {
	char *const *argv;      /* argv[0] is looked up in PATH */
	int nsfd;               /* network namespace to run in, -1: ours */
	const char *log_path;   /* stdout+stderr appended here; NULL: /dev/null */
	const char *cwd;        /* NULL: / */
	char *const *env_add;   /* "K=V" added to our environment, NULL-ended */
	int pass_fd;            /* > 0: handed to the daemon as PROC_PASS_FD
				 * (e.g. a pipe it signals readiness on) */
};

#define PROC_PASS_FD 3

/* Starts a daemon detached from us (own session, reparented to init) and
 * waits until it has exec'd. Returns 0 and fills id, or -errno, with the
 * reason (e.g. exec failure) written to err. */
int proc_spawn(const struct proc_spec *spec, struct proc_id *id,
	       char *err, size_t errlen);

int proc_start_time(pid_t pid, unsigned long long *start);
/* Running (not a zombie) and still the same process. */
bool proc_alive(const struct proc_id *id);
/* SIGTERM to each live process, then waits up to timeout_ms for all, then
 * SIGKILL to the rest and waits for them to go. Returns how many needed
 * SIGKILL. */
int proc_stop_all(const struct proc_id *ids, size_t n, int timeout_ms);

/* PIDs of processes whose network namespace has inode ino; fills up to max,
 * returns the count found. */
size_t proc_in_netns(unsigned long ino, struct proc_id *out, size_t max);

#endif
