// SPDX-License-Identifier: MIT
/* Daemons: started by a double fork (so they are reparented and never
 * become our zombies), identified by PID and start time, stopped with
 * SIGTERM then SIGKILL.
 *
 * Between fork and exec only async-signal-safe calls are made: the parent
 * may be multi-threaded. Everything that allocates (the environment, the
 * descriptors) is prepared before the fork. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define POLL_STEP_MS	20
#define KILL_WAIT_MS	2000
#define STAT_BUF	1024	/* comm is at most 16 bytes: lines are short */

/* What the children tell the parent through the pipe. */
enum spawn_step {
	STEP_STARTED,	/* from the first child: pid and start of the daemon */
	STEP_FORK,
	STEP_SETSID,
	STEP_SETNS,
	STEP_CHDIR,
	STEP_STDIO,
	STEP_EXEC,
};

struct spawn_msg {
	int step;
	int err;
	pid_t pid;
	unsigned long long start;
};

/* What the children need, all prepared before fork. */
struct spawn_ctx {
	char *const *argv;
	char **envp;
	const char *cwd;
	int nsfd, nullfd, logfd, pipefd, pass_fd;
};

/* --- /proc/PID/stat, async-signal-safe --- */

static size_t fmt_uint(char *buf, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static int stat_read(pid_t pid, char *buf, size_t len)
{
	char path[32] = "/proc/";
	size_t n = strlen(path);
	ssize_t got;
	int fd, ret;

	n += fmt_uint(path + n, (unsigned long)pid);
	memcpy(path + n, "/stat", sizeof("/stat"));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		got = read(fd, buf, len - 1);
	while (got < 0 && errno == EINTR);
	ret = got < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	buf[got] = '\0';
	return 0;
}

/* State (field 3) and start time (field 22). comm (field 2) may hold
 * spaces and parentheses, so fields are counted from the last ')'. */
static int stat_parse(const char *buf, char *state, unsigned long long *start)
{
	const char *p = strrchr(buf, ')');
	unsigned long long v = 0;
	int field = 2;

	if (!p)
		return -EINVAL;
	p++;
	while (field < 22) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		field++;
		if (field == 3)
			*state = *p;
		if (field < 22)
			while (*p && *p != ' ')
				p++;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (unsigned)(*p - '0');
	*start = v;
	return 0;
}

static int proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char buf[STAT_BUF];
	int ret;

	if (pid <= 0)
		return -EINVAL;
	ret = stat_read(pid, buf, sizeof(buf));
	if (ret)
		return ret;
	return stat_parse(buf, state, start);
}

int proc_start_time(pid_t pid, unsigned long long *start)
{
	char state;

	if (!start)
		return -EINVAL;
	return proc_stat(pid, &state, start);
}

bool proc_alive(const struct proc_id *id)
{
	unsigned long long start;
	char state;

	if (!id || proc_stat(id->pid, &state, &start))
		return false;
	return state != 'Z' && state != 'X' && start == id->start;
}

/* --- spawning --- */

static void msg_send(int fd, int step, int err, pid_t pid,
		     unsigned long long start)
{
	struct spawn_msg m;
	ssize_t n;

	memset(&m, 0, sizeof(m)); /* no uninitialised padding on the wire */
	m.step = step;
	m.err = err;
	m.pid = pid;
	m.start = start;

	/* Smaller than PIPE_BUF: written at once or not at all. */
	do
		n = write(fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
}

static __attribute__((noreturn)) void child_fail(const struct spawn_ctx *c,
						 int step)
{
	msg_send(c->pipefd, step, errno, 0, 0);
	_exit(127);
}

/* Default dispositions, nothing blocked: what a fresh daemon expects. */
static void signals_reset(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* fails harmlessly for some */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Marks every descriptor from 3 on close-on-exec; the pipe goes with exec. */
static void fds_cloexec_from_3(void)
{
	struct rlimit rl;

	if (!syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC))
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > 65536)
		rl.rlim_cur = 65536;
	for (int fd = 3; fd < (int)rl.rlim_cur; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static __attribute__((noreturn)) void grandchild(const struct spawn_ctx *c)
{
	signals_reset();
	if (setsid() < 0)
		child_fail(c, STEP_SETSID);
	if (c->nsfd >= 0 && setns(c->nsfd, CLONE_NEWNET))
		child_fail(c, STEP_SETNS);
	if (chdir(c->cwd ? c->cwd : "/"))
		child_fail(c, STEP_CHDIR);
	if (dup2(c->nullfd, 0) < 0 || dup2(c->logfd, 1) < 0 ||
	    dup2(c->logfd, 2) < 0)
		child_fail(c, STEP_STDIO);
	fds_cloexec_from_3();
	/* Our own descriptors are all above PROC_PASS_FD (open_high). */
	if (c->pass_fd == PROC_PASS_FD ? fcntl(PROC_PASS_FD, F_SETFD, 0) < 0 :
	    c->pass_fd > 0 && dup2(c->pass_fd, PROC_PASS_FD) < 0)
		child_fail(c, STEP_STDIO);
	execvpe(c->argv[0], c->argv, c->envp);
	child_fail(c, STEP_EXEC);
}

/* The first child forks the daemon, reports it and exits at once. */
static __attribute__((noreturn)) void first_child(const struct spawn_ctx *c)
{
	unsigned long long start = 0;
	char state;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		child_fail(c, STEP_FORK);
	if (pid == 0)
		grandchild(c);
	/* Not reaped before we exit, so its /proc entry is still there. */
	proc_stat(pid, &state, &start);
	msg_send(c->pipefd, STEP_STARTED, 0, pid, start);
	_exit(0);
}

static bool env_key_eq(const char *a, const char *b)
{
	for (; *a && *a != '='; a++, b++)
		if (*a != *b)
			return false;
	return *a == '=' && *b == '=';
}

/* environ with env_add laid over it; the strings are not copied. */
static int env_build(char *const *add, char ***out)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	for (; environ && environ[n]; n++)
		;
	for (; add && add[m]; m++) {
		const char *eq = strchr(add[m], '=');

		if (!eq || eq == add[m])
			return -EINVAL;
	}
	env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;

		for (size_t j = 0; j < m && !replaced; j++)
			replaced = env_key_eq(add[j], environ[i]);
		if (!replaced && strchr(environ[i], '='))
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = add[j];
	*out = env;
	return 0;
}

/* Opens path as a descriptor >= 3 (so dup2 onto 0-2 never clobbers it). */
static int open_high(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags | O_CLOEXEC, mode), hi;

	if (fd < 0 || fd > PROC_PASS_FD)
		return fd < 0 ? -errno : fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, PROC_PASS_FD + 1);
	if (hi < 0)
		hi = -errno;
	close(fd);
	return hi;
}

static int pipe_high(int p[2])
{
	int ret = 0;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	for (int i = 0; i < 2; i++) {
		int hi;

		if (p[i] > PROC_PASS_FD)
			continue;
		hi = fcntl(p[i], F_DUPFD_CLOEXEC, PROC_PASS_FD + 1);
		if (hi < 0 && !ret)
			ret = -errno;
		close(p[i]);
		p[i] = hi;
	}
	if (ret) {
		for (int i = 0; i < 2; i++)
			if (p[i] >= 0)
				close(p[i]);
	}
	return ret;
}

static void err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void err_step(const struct proc_spec *spec, const struct spawn_msg *m,
		     char *err, size_t errlen)
{
	const char *e = strerror(m->err);

	switch (m->step) {
	case STEP_FORK:
		err_set(err, errlen, "fork: %s", e);
		break;
	case STEP_SETSID:
		err_set(err, errlen, "setsid: %s", e);
		break;
	case STEP_SETNS:
		err_set(err, errlen, "entering the network namespace: %s", e);
		break;
	case STEP_CHDIR:
		err_set(err, errlen, "chdir %s: %s",
			spec->cwd ? spec->cwd : "/", e);
		break;
	case STEP_STDIO:
		err_set(err, errlen, "redirecting stdio: %s", e);
		break;
	default:
		err_set(err, errlen, "exec %s: %s", spec->argv[0], e);
		break;
	}
}

/* Reads the children's reports until every write end is closed. */
static int spawn_collect(const struct proc_spec *spec, int fd,
			 struct proc_id *id, char *err, size_t errlen)
{
	struct spawn_msg m;
	bool started = false;
	int ret = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (n != sizeof(m))
			continue;
		if (m.step == STEP_STARTED) {
			id->pid = m.pid;
			id->start = m.start;
			started = true;
		} else if (!ret) {
			ret = m.err > 0 ? -m.err : -EIO;
			err_step(spec, &m, err, errlen);
		}
	}
	if (!ret && (!started || !id->start)) {
		ret = -ECHILD;
		err_set(err, errlen, "starting %s: child died unreported",
			spec->argv[0]);
	}
	return ret;
}

static int spawn_fork(const struct proc_spec *spec, struct spawn_ctx *c,
		      struct proc_id *id, char *err, size_t errlen)
{
	int p[2], ret, status;
	sigset_t all, old;
	pid_t pid;

	ret = pipe_high(p);
	if (ret) {
		err_set(err, errlen, "pipe: %s", strerror(-ret));
		return ret;
	}
	c->pipefd = p[1];
	/* No handler of ours may run in the children before they reset. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		first_child(c);
	ret = pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	if (ret) {
		close(p[0]);
		err_set(err, errlen, "fork: %s", strerror(-ret));
		return ret;
	}
	ret = spawn_collect(spec, p[0], id, err, errlen);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return ret;
}

int proc_spawn(const struct proc_spec *spec, struct proc_id *id,
	       char *err, size_t errlen)
{
	struct spawn_ctx c = { .nullfd = -1, .logfd = -1, .pipefd = -1 };
	const char *log;
	int ret;

	err_set(err, errlen, "%s", "");
	if (!spec || !id || !spec->argv || !spec->argv[0] || !*spec->argv[0]) {
		err_set(err, errlen, "no program to start");
		return -EINVAL;
	}
	c.argv = spec->argv;
	c.cwd = spec->cwd;
	c.nsfd = spec->nsfd;
	c.pass_fd = spec->pass_fd;
	ret = env_build(spec->env_add, &c.envp);
	if (ret) {
		err_set(err, errlen, "environment: %s", strerror(-ret));
		return ret;
	}
	c.nullfd = open_high("/dev/null", O_RDWR, 0);
	if (c.nullfd < 0) {
		ret = c.nullfd;
		err_set(err, errlen, "/dev/null: %s", strerror(-ret));
		goto out;
	}
	log = spec->log_path ? spec->log_path : "/dev/null";
	c.logfd = open_high(log, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY,
			    0644);
	if (c.logfd < 0) {
		ret = c.logfd;
		err_set(err, errlen, "log %s: %s", log, strerror(-ret));
		goto out;
	}
	ret = spawn_fork(spec, &c, id, err, errlen);
out:
	if (c.logfd >= 0)
		close(c.logfd);
	if (c.nullfd >= 0)
		close(c.nullfd);
	free(c.envp);
	return ret;
}

/* --- stopping --- */

/* Signals id only if it is still the same process: a pidfd pins the
 * process, so the start time checked after opening it cannot go stale. */
static int proc_signal(const struct proc_id *id, int sig)
{
	int pfd, ret = 0;

	pfd = (int)syscall(SYS_pidfd_open, id->pid, 0);
	if (pfd < 0) {
		if (errno != ENOSYS)
			return -errno;
		if (!proc_alive(id))
			return -ESRCH;
		return kill(id->pid, sig) ? -errno : 0;
	}
	if (!proc_alive(id))
		ret = -ESRCH;
	else if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0))
		ret = -errno;
	close(pfd);
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t count_alive(const struct proc_id *ids, size_t n)
{
	size_t alive = 0;

	for (size_t i = 0; i < n; i++)
		alive += proc_alive(&ids[i]);
	return alive;
}

/* True when all are gone (or zombies) within timeout_ms. */
static bool wait_gone(const struct proc_id *ids, size_t n, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		long long left = end - now_ms();
		struct timespec ts;

		if (!count_alive(ids, n))
			return true;
		if (left <= 0)
			return false;
		if (left > POLL_STEP_MS)
			left = POLL_STEP_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

int proc_stop_all(const struct proc_id *ids, size_t n, int timeout_ms)
{
	int killed = 0;

	if (!ids || !n)
		return 0;
	if (timeout_ms < 0)
		timeout_ms = 0;
	for (size_t i = 0; i < n; i++) {
		/* SIGCONT so a stopped process sees its SIGTERM. */
		if (!proc_signal(&ids[i], SIGTERM))
			proc_signal(&ids[i], SIGCONT);
	}
	if (wait_gone(ids, n, timeout_ms))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!proc_signal(&ids[i], SIGKILL))
			killed++;
	wait_gone(ids, n, KILL_WAIT_MS);
	return killed;
}

/* --- discovery --- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

size_t proc_in_netns(unsigned long ino, struct proc_id *out, size_t max)
{
	char path[64];
	struct dirent *de;
	struct stat st;
	size_t found = 0;
	pid_t self = getpid();
	DIR *d;

	if (!out || !max)
		return 0;
	d = opendir("/proc");
	if (!d)
		return 0;
	while (found < max && (de = readdir(d))) {
		unsigned long long start;
		long pid;

		if (!all_digits(de->d_name))
			continue;
		pid = strtol(de->d_name, NULL, 10);
		if (pid <= 0 || pid > INT_MAX || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) || st.st_ino != ino)
			continue;
		if (proc_start_time((pid_t)pid, &start))
			continue;
		out[found].pid = (pid_t)pid;
		out[found].start = start;
		found++;
	}
	closedir(d);
	return found;
}
