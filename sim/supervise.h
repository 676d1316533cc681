/* SPDX-License-Identifier: MIT */
/* A small supervisor for the daemons a simulation must keep running (the
 * multi-cluster routers):
 *
 * `knetsim __supervise [--log FILE] [--give-up N] -- PROGRAM ARGS...`
 * runs PROGRAM (looked up in PATH) as its child, in its own network
 * namespace, cwd and environment, in a process group of its own. When the
 * child exits while no stop was asked, the supervisor logs it (time, exit
 * status or signal, how long it ran) to FILE (default: stderr), stops
 * whatever the child left behind (it is a child subreaper, so orphaned
 * descendants, e.g. nginx's workers, become its children) and starts
 * PROGRAM again after a backoff: 0.5 s, doubling up to 10 s, back to 0.5 s
 * once a run lasted 30 s. With --give-up N it gives up (exit 1) after N
 * runs in a row shorter than 30 s; default: never.
 *
 * On SIGTERM or SIGINT it sends SIGTERM to the child and its group, waits
 * up to SV_STOP_GRACE_MS, SIGKILLs what is left, reaps everything and
 * exits 0. The child gets SIGTERM if the supervisor itself dies
 * (PR_SET_PDEATHSIG). Exit status 2 on bad arguments, 1 on a setup
 * failure or when it gave up. */
#ifndef KNETSIM_SUPERVISE_H
#define KNETSIM_SUPERVISE_H

#include <stddef.h>

#define SUPERVISE_CMD "__supervise"
#define SV_BACKOFF_MIN_MS 500
#define SV_BACKOFF_MAX_MS 10000
#define SV_RESET_AFTER_MS 30000
/* Under `down`'s own 3 s grace, so the supervisor escalates first. */
#define SV_STOP_GRACE_MS 2500

/* The backoff between runs, kept between exits of the child. */
struct sv_backoff {
	unsigned next_ms; /* 0: not started yet, i.e. SV_BACKOFF_MIN_MS */
	unsigned quick;   /* runs in a row shorter than SV_RESET_AFTER_MS */
};

/* After a run that lasted ran_ms: the delay before the next start in ms,
 * or -1 to give up (give_up > 0 and that many quick runs in a row).
 * Pure: no system calls. */
long sv_backoff_next(struct sv_backoff *b, long long ran_ms,
		     unsigned give_up);

struct sv_opts {
	const char *log;  /* NULL: stderr */
	unsigned give_up; /* 0: never */
	char **argv;      /* PROGRAM ARGS..., NULL-ended (points into argv) */
};

/* Parses argv (argv[0] is the subcommand's name); no system calls.
 * Returns 0, or -EINVAL with err saying what is wrong. */
int sv_parse_args(int argc, char **argv, struct sv_opts *o, char *err,
		  size_t errlen);

int supervise_main(int argc, char **argv);

#endif
