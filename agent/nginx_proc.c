// SPDX-License-Identifier: MIT
/* The ingress nginx as a process: start, check, reload, stop, adopt. */
#include "nginx_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "nginx_ingress.h"

extern char **environ;

#define NGINX_TEST_MS     10000  /* nginx -t */
#define NGINX_START_MS    3000   /* until the pid file is written */
#define NGINX_RELOAD_MS   2000   /* until the master says how it went */
#define NGINX_QUIT_MS     5000   /* graceful stop, then SIGTERM */
#define NGINX_POLL_MS     20
#define NGINX_OUT_MAX     4096

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* $KNETSIM_NGINX, else nginx in PATH, else Debian's place. */
static const char *nginx_binary(char *buf, size_t len)
{
	const char *env = getenv("KNETSIM_NGINX"), *path = getenv("PATH");

	if (env && *env)
		return env;
	if (!path || !*path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && (size_t)snprintf(buf, len, "%.*s/nginx", (int)n, path) < len &&
		    access(buf, X_OK) == 0)
			return buf;
		path += n + (path[n] == ':');
	}
	return "/usr/sbin/nginx";
}

char *nginx_proc_path(const struct nginx_proc *n, const char *file, char *buf)
{
	snprintf(buf, PATH_MAX, "%.*s/%s", PATH_MAX - 64, n->dir, file);
	return buf;
}

int nginx_proc_init(struct nginx_proc *n, const char *dir)
{
	char path[PATH_MAX];
	int ret;

	memset(n, 0, sizeof(*n));
	if (dir[0] != '/' || strlen(dir) >= sizeof(n->dir) - 64)
		return -EINVAL;
	snprintf(n->dir, sizeof(n->dir), "%s", dir);
	ret = mkdir_p(nginx_proc_path(n, NGINX_INGRESS_LOG_DIR, path), 0755);
	if (!ret)
		ret = mkdir_p(nginx_proc_path(n, NGINX_INGRESS_TMP_DIR, path), 0755);
	return ret;
}

/* Signals the process only while it is still the one we know. */
static int send_signal(const struct proc_id *id, int sig)
{
	int pfd = (int)syscall(SYS_pidfd_open, id->pid, 0), ret = 0;

	if (pfd < 0 && errno == ENOSYS) /* old kernels, valgrind */
		return !proc_alive(id) ? -ESRCH : kill(id->pid, sig) ? -errno : 0;
	if (pfd < 0)
		return -errno;
	if (!proc_alive(id))
		ret = -ESRCH;
	else if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0))
		ret = -errno;
	close(pfd);
	return ret;
}

bool nginx_proc_alive(const struct nginx_proc *n)
{
	return n->have && proc_alive(&n->id);
}

static pid_t read_pid_file(const struct nginx_proc *n)
{
	char path[PATH_MAX], *buf = NULL, *end;
	long pid = 0;

	if (read_file(nginx_proc_path(n, NGINX_INGRESS_PID, path), &buf, NULL))
		return 0;
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || pid <= 0 || pid > 1 << 22)
		pid = 0;
	free(buf);
	return (pid_t)pid;
}

/* Started with "-p <dir>/", and in our network namespace. nginx writes
 * its title over its arguments ("nginx: master process /usr/sbin/nginx
 * -p ..."), so the command line is read as words either way. */
static bool ours(const struct nginx_proc *n, pid_t pid)
{
	char path[64], *cmd = NULL, *line, want[PATH_MAX + 8];
	struct stat a, b;
	size_t len = 0;
	bool found;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &a) || stat("/proc/self/ns/net", &b) || a.st_ino != b.st_ino)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (read_file(path, &cmd, &len))
		return false;
	line = malloc(len + 3);
	if (!line) {
		free(cmd);
		return false;
	}
	line[0] = ' ';
	for (size_t i = 0; i < len; i++)
		line[i + 1] = cmd[i] ? cmd[i] : ' ';
	line[len + 1] = ' ';
	line[len + 2] = '\0';
	snprintf(want, sizeof(want), " -p %s/ ", n->dir);
	found = strstr(line, want) != NULL;
	free(line);
	free(cmd);
	return found;
}

bool nginx_proc_adopt(struct nginx_proc *n)
{
	pid_t pid = read_pid_file(n);
	struct proc_id id = { .pid = pid };

	if (!pid || proc_start_time(pid, &id.start) || !proc_alive(&id) ||
	    !ours(n, pid))
		return false;
	n->id = id;
	n->have = true;
	return true;
}

/* Runs argv to its end (or the deadline), its output into out. Only
 * async-signal-safe calls after fork: the agent has threads. */
static int run(char *const argv[], char *out, size_t outlen, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t got = 0;
	int p[2], status = 0, null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	out[0] = '\0';
	if (null < 0 || pipe2(p, O_CLOEXEC)) {
		if (null >= 0)
			close(null);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(126);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	close(p[1]);
	close(null);
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		r = read(p[0], out + got, outlen - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == outlen - 1)
			break;
	}
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The message of nginx's last line, without its timestamp and pid. */
static void last_words(const char *text, char *err, size_t errlen)
{
	const char *line = text, *p, *nl;
	size_t n = strlen(text);

	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	for (p = text; p < text + n; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + n - p));
		if (!nl)
			break;
		if (nl + 1 < text + n)
			line = nl + 1;
	}
	p = strstr(line, "nginx: ");
	if (p && p < text + n)
		line = p + 7;
	snprintf(err, errlen, "%.*s", (int)(text + n - line), line);
}

int nginx_proc_test(const struct nginx_proc *n, const char *conf, char *err,
		    size_t errlen)
{
	char bin[PATH_MAX], prefix[PATH_MAX + 1], elog[PATH_MAX], out[NGINX_OUT_MAX];
	char *argv[] = { (char *)nginx_binary(bin, sizeof(bin)), "-t", "-q",
			 "-p", prefix, "-c", (char *)conf, "-e", elog, NULL };
	int ret;

	snprintf(prefix, sizeof(prefix), "%s/", n->dir);
	nginx_proc_path(n, NGINX_INGRESS_LOG_DIR "/error.log", elog);
	ret = run(argv, out, sizeof(out), NGINX_TEST_MS);
	if (!ret)
		return 0;
	if (ret == 127)
		snprintf(err, errlen, "cannot run %s (is nginx installed?)", argv[0]);
	else if (ret < 0)
		snprintf(err, errlen, "nginx -t: %s", strerror(-ret));
	else
		last_words(out, err, errlen);
	return -EINVAL;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_size;
}

/* What nginx wrote to its error log since offset, NUL-ended. */
static void log_since(const char *path, off_t off, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = -1;

	if (fd >= 0 && lseek(fd, off, SEEK_SET) == off)
		r = read(fd, buf, len - 1);
	buf[r > 0 ? r : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* The first "[emerg]" or "[alert]" line of text, as err. */
static bool emergency(const char *text, char *err, size_t errlen)
{
	const char *p = strstr(text, "[emerg]");

	if (!p)
		p = strstr(text, "[alert]");
	if (!p)
		return false;
	snprintf(err, errlen, "%.*s", (int)strcspn(p, "\n"), p);
	return true;
}

int nginx_proc_start(struct nginx_proc *n, char *err, size_t errlen)
{
	char bin[PATH_MAX], prefix[PATH_MAX + 1], conf[PATH_MAX], elog[PATH_MAX];
	char out[PATH_MAX], why[PATH_MAX + 64], text[NGINX_OUT_MAX];
	char *argv[] = { (char *)nginx_binary(bin, sizeof(bin)), "-p", prefix,
			 "-c", conf, "-e", elog, NULL };
	struct proc_spec spec = { .argv = argv, .nsfd = -1, .cwd = n->dir };
	off_t off;
	long long deadline;
	int ret;

	snprintf(prefix, sizeof(prefix), "%s/", n->dir);
	nginx_proc_path(n, NGINX_INGRESS_CONF, conf);
	nginx_proc_path(n, NGINX_INGRESS_LOG_DIR "/error.log", elog);
	spec.log_path = nginx_proc_path(n, NGINX_INGRESS_LOG_DIR "/nginx.out", out);
	off = file_size(elog);
	ret = proc_spawn(&spec, &n->id, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "%s", why);
		return ret;
	}
	n->have = true;
	for (deadline = now_ms() + NGINX_START_MS; now_ms() < deadline;
	     sleep_ms(NGINX_POLL_MS)) {
		if (!proc_alive(&n->id)) {
			log_since(elog, off, text, sizeof(text));
			if (!emergency(text, err, errlen))
				snprintf(err, errlen, "nginx exited at once (see %s)",
					 elog);
			n->have = false;
			return -EIO;
		}
		if (read_pid_file(n) == n->id.pid)
			return 0;
	}
	return 0; /* slow, but running */
}

int nginx_proc_reload(struct nginx_proc *n, char *err, size_t errlen)
{
	char elog[PATH_MAX], text[NGINX_OUT_MAX];
	off_t off;
	int ret;

	nginx_proc_path(n, NGINX_INGRESS_LOG_DIR "/error.log", elog);
	off = file_size(elog);
	ret = send_signal(&n->id, SIGHUP);
	if (ret) {
		snprintf(err, errlen, "SIGHUP to nginx %d: %s", (int)n->id.pid,
			 strerror(-ret));
		return ret;
	}
	/* The master logs the outcome: new workers, or why not. */
	for (long long deadline = now_ms() + NGINX_RELOAD_MS;
	     now_ms() < deadline; sleep_ms(NGINX_POLL_MS)) {
		log_since(elog, off, text, sizeof(text));
		if (emergency(text, err, errlen))
			return -EIO;
		if (strstr(text, "start worker process"))
			return 0;
	}
	return 0;
}

void nginx_proc_stop(struct nginx_proc *n)
{
	long long deadline = now_ms() + NGINX_QUIT_MS;

	if (!n->have)
		return;
	if (!send_signal(&n->id, SIGQUIT))
		while (proc_alive(&n->id) && now_ms() < deadline)
			sleep_ms(NGINX_POLL_MS);
	if (proc_alive(&n->id) && proc_stop_all(&n->id, 1, 1000))
		log_warn("nginx %d ignored SIGQUIT and SIGTERM: killed",
			 (int)n->id.pid);
	n->have = false;
}
