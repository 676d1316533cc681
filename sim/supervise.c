// SPDX-License-Identifier: MIT
/* The supervisor (see supervise.h). One thread; SIGCHLD, SIGTERM and
 * SIGINT stay blocked and are taken with sigtimedwait(), so a stop asked
 * while the child is exiting is never missed: every pending signal is
 * handled before deciding to start the child again. */
#include "supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SV_TIDY_GRACE_MS 1000 /* leftovers of a child that exited */
#define SV_KILL_WAIT_MS 1000  /* after SIGKILL, for the kernel to finish */
#define SV_GIVE_UP_MAX 1000000u

long sv_backoff_next(struct sv_backoff *b, long long ran_ms,
		     unsigned give_up)
{
	unsigned delay;

	if (ran_ms >= SV_RESET_AFTER_MS) {
		b->next_ms = SV_BACKOFF_MIN_MS;
		b->quick = 0;
	} else {
		b->quick++;
	}
	delay = b->next_ms ? b->next_ms : SV_BACKOFF_MIN_MS;
	b->next_ms = delay >= SV_BACKOFF_MAX_MS / 2 ? SV_BACKOFF_MAX_MS :
						      delay * 2;
	if (give_up && b->quick >= give_up)
		return -1;
	return delay;
}

static const struct option sv_longopts[] = {
	{ "log", required_argument, NULL, 'l' },
	{ "give-up", required_argument, NULL, 'g' },
	{ 0 },
};

static int parse_count(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > SV_GIVE_UP_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int sv_parse_args(int argc, char **argv, struct sv_opts *o, char *err,
		  size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	err[0] = '\0';
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", sv_longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (!*optarg) {
				snprintf(err, errlen, "--log: expected a file name");
				return -EINVAL;
			}
			o->log = optarg;
			break;
		case 'g':
			if (parse_count(optarg, &o->give_up)) {
				snprintf(err, errlen, "--give-up: expected a "
					 "count 0..%u, got \"%s\"",
					 SV_GIVE_UP_MAX, optarg);
				return -EINVAL;
			}
			break;
		case ':':
			snprintf(err, errlen, "%s: expected a value",
				 argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, errlen, "unknown option %s",
				 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind >= argc || !argv[optind] || !*argv[optind]) {
		snprintf(err, errlen, "expected -- PROGRAM [ARGS...]");
		return -EINVAL;
	}
	o->argv = argv + optind;
	return 0;
}

/* --- running --- */

struct sv {
	const struct sv_opts *o;
	FILE *log;
	sigset_t sigs;
	pid_t child;      /* 0: none unreaped */
	int status;       /* of the child, once reaped */
	bool exited;
	bool stopping;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3)))
static void sv_log(struct sv *s, const char *fmt, ...)
{
	char stamp[32];
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(s->log, "%s knetsim supervise: ", stamp);
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->log);
	fflush(s->log);
}

/* Reaps every child that has terminated (orphans included: we are their
 * subreaper); notes the supervised child's status. */
static void reap(struct sv *s)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->child) {
			s->child = 0;
			s->status = status;
			s->exited = true;
		}
	}
}

/* Takes the signals pending within timeout_ms (-1: until one comes).
 * Returns after the first batch. */
static void take_signals(struct sv *s, long timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000 };
	struct timespec zero = { 0, 0 };
	const struct timespec *wait = timeout_ms < 0 ? NULL : &ts;
	int sig;

	for (;;) {
		sig = sigtimedwait(&s->sigs, NULL, wait);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN: nothing (more) pending */
		}
		if (sig == SIGTERM || sig == SIGINT)
			s->stopping = true;
		wait = &zero;
	}
	reap(s);
}

static bool our_child(pid_t pid, pid_t self)
{
	char path[64], buf[512];
	const char *p;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* "PID (comm) S PPID ..." */
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return false;
	return ppid == self;
}

/* Signals the child and its group (while it is unreaped its PID cannot be
 * reused) and every other child of ours: what it left behind. Returns how
 * many processes were signalled. */
static size_t signal_all(struct sv *s, int sig)
{
	pid_t self = getpid();
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	if (s->child > 0) {
		kill(-s->child, sig);
		kill(s->child, sig);
		n++;
	}
	dir = opendir("/proc");
	if (!dir)
		return n;
	while ((d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0 || (pid_t)pid == s->child ||
		    !our_child((pid_t)pid, self))
			continue;
		kill((pid_t)pid, sig); /* our child: its PID is ours to use */
		n++;
	}
	closedir(dir);
	return n;
}

/* SIGTERM, up to grace_ms, SIGKILL; everything reaped. */
static void stop_all(struct sv *s, long grace_ms)
{
	long long deadline = now_ms() + grace_ms;

	if (!signal_all(s, SIGTERM))
		return;
	while (now_ms() < deadline) {
		take_signals(s, 50);
		if (!s->child && !signal_all(s, 0))
			return;
	}
	signal_all(s, SIGKILL);
	deadline = now_ms() + SV_KILL_WAIT_MS;
	while (now_ms() < deadline) {
		take_signals(s, 20);
		if (!s->child && !signal_all(s, 0))
			return;
	}
	sv_log(s, "some processes did not go after SIGKILL");
}

static pid_t start(struct sv *s)
{
	pid_t parent = getpid(), pid;
	sigset_t none;

	pid = fork();
	if (pid < 0) {
		sv_log(s, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		setpgid(pid, pid); /* also done by the child: no race */
		return pid;
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(s->o->argv[0], s->o->argv);
	fprintf(s->log, "knetsim supervise: exec %s: %s\n", s->o->argv[0],
		strerror(errno));
	fflush(s->log);
	_exit(127);
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended (status 0x%x)", (unsigned)status);
}

/* Waits out delay_ms unless a stop comes. */
static void pause_for(struct sv *s, long delay_ms)
{
	long long deadline = now_ms() + delay_ms;
	long long left;

	while (!s->stopping && (left = deadline - now_ms()) > 0)
		take_signals(s, (long)left);
}

static int run(struct sv *s)
{
	struct sv_backoff b = { 0 };
	char what[96];

	while (!s->stopping) {
		long long started = now_ms(), ran;
		pid_t pid = start(s);
		long delay;

		if (pid < 0)
			return 1;
		s->child = pid;
		s->exited = false;
		sv_log(s, "started %s (pid %d)", s->o->argv[0], (int)pid);
		while (!s->stopping && !s->exited)
			take_signals(s, -1);
		if (s->stopping)
			break;
		ran = now_ms() - started;
		describe(s->status, what, sizeof(what));
		delay = sv_backoff_next(&b, ran, s->o->give_up);
		if (delay < 0) {
			sv_log(s, "%s (pid %d) %s after %lld.%lld s; giving up "
			       "after %u short runs in a row", s->o->argv[0],
			       (int)pid, what, ran / 1000, ran % 1000 / 100,
			       b.quick);
			stop_all(s, SV_TIDY_GRACE_MS);
			return 1;
		}
		sv_log(s, "%s (pid %d) %s after %lld.%lld s; restarting in "
		       "%ld.%ld s", s->o->argv[0], (int)pid, what, ran / 1000,
		       ran % 1000 / 100, delay / 1000, delay % 1000 / 100);
		stop_all(s, SV_TIDY_GRACE_MS); /* what it left behind */
		pause_for(s, delay);
	}
	sv_log(s, "stopping %s", s->o->argv[0]);
	stop_all(s, SV_STOP_GRACE_MS);
	return 0;
}

int supervise_main(int argc, char **argv)
{
	struct sv_opts o;
	struct sv s = { .o = &o };
	char err[256];
	int ret;

	if (sv_parse_args(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "knetsim %s: %s\nusage: knetsim %s [--log FILE] "
			"[--give-up N] -- PROGRAM [ARGS...]\n", SUPERVISE_CMD,
			err, SUPERVISE_CMD);
		return 2;
	}
	s.log = stderr;
	if (o.log) {
		s.log = fopen(o.log, "ae");
		if (!s.log) {
			fprintf(stderr, "knetsim %s: %s: %s\n", SUPERVISE_CMD,
				o.log, strerror(errno));
			return 1;
		}
	}
	sigemptyset(&s.sigs);
	sigaddset(&s.sigs, SIGCHLD);
	sigaddset(&s.sigs, SIGTERM);
	sigaddset(&s.sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &s.sigs, NULL) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		fprintf(s.log, "knetsim %s: setup: %s\n", SUPERVISE_CMD,
			strerror(errno));
		ret = 1;
	} else {
		ret = run(&s);
	}
	if (s.log != stderr)
		fclose(s.log);
	return ret;
}
