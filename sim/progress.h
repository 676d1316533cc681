/* SPDX-License-Identifier: MIT */
/* Per-phase progress on stderr: a live line on a terminal, one plain line
 * per finished phase otherwise (logs, CI). */
#ifndef KNETSIM_PROGRESS_H
#define KNETSIM_PROGRESS_H

#include <stdbool.h>

void progress_init(int n_phases, bool quiet);
/* Starts the next phase; total 0 when it has no countable steps. */
void progress_phase(const char *name, unsigned total);
void progress_step(unsigned done);
/* Ends the phase with a short result ("12 namespaces"); NULL for none. */
void progress_done(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the phase as failed; the caller prints the error. */
void progress_fail(void);
/* Seconds since progress_init. */
double progress_elapsed(void);

#endif
