// SPDX-License-Identifier: MIT
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct {
	bool tty, quiet;
	int n_phases, phase;
	const char *name;
	unsigned total;
	double start, phase_start;
} pg;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_init(int n_phases, bool quiet)
{
	pg.tty = isatty(STDERR_FILENO);
	pg.quiet = quiet;
	pg.n_phases = n_phases;
	pg.phase = 0;
	pg.start = now();
}

double progress_elapsed(void)
{
	return now() - pg.start;
}

void progress_phase(const char *name, unsigned total)
{
	pg.phase++;
	pg.name = name;
	pg.total = total;
	pg.phase_start = now();
	if (pg.tty && !pg.quiet)
		fprintf(stderr, "\r\033[K[%d/%d] %s ...", pg.phase, pg.n_phases,
			name);
}

void progress_step(unsigned done)
{
	if (!pg.tty || pg.quiet)
		return;
	fprintf(stderr, "\r\033[K[%d/%d] %s %u/%u", pg.phase, pg.n_phases,
		pg.name, done, pg.total);
}

void progress_done(const char *fmt, ...)
{
	char what[256] = "done";
	va_list ap;

	if (pg.quiet)
		return;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "%s[%d/%d] %s: %s (%.2fs)\n", pg.tty ? "\r\033[K" : "",
		pg.phase, pg.n_phases, pg.name, what, now() - pg.phase_start);
}

void progress_fail(void)
{
	if (pg.quiet)
		return;
	fprintf(stderr, "%s[%d/%d] %s: failed after %.2fs\n",
		pg.tty ? "\r\033[K" : "", pg.phase, pg.n_phases, pg.name,
		now() - pg.phase_start);
}
