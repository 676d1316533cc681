// SPDX-License-Identifier: MIT
/*
 * The state record is a line-oriented text file, appended to and synced
 * before each object is created:
 *
 *   netns <name>
 *   path <absolute path>
 *   proc <role> <node> <pid> <start-time> <log path>
 *   ready
 *
 * Lines are never rewritten, so a record cut short by a crash is still a
 * valid prefix of what was made.
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "knetsim/paths.h"

#define STATE_FILE "state"

struct state {
	char sim[KNETSIM_SIM_NAME_MAX + 1];
	char dir[sizeof(KNETSIM_RUN_DIR "/") + KNETSIM_SIM_NAME_MAX];
	int fd;
};

static int state_init(const char *sim, bool create, struct state **out)
{
	struct state *st;
	char file[PATH_MAX];
	int ret;

	if (strlen(sim) > KNETSIM_SIM_NAME_MAX || strchr(sim, '/') ||
	    !strcmp(sim, ".") || !strcmp(sim, ".."))
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	snprintf(st->sim, sizeof(st->sim), "%s", sim);
	snprintf(st->dir, sizeof(st->dir), KNETSIM_RUN_DIR "/%s", sim);
	snprintf(file, sizeof(file), "%s/" STATE_FILE, st->dir);

	if (create) {
		ret = mkdir_p(KNETSIM_RUN_DIR, 0755);
		if (ret)
			goto err;
		if (mkdir(st->dir, 0755)) {
			ret = -errno;
			goto err;
		}
		st->fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
				    O_CLOEXEC, 0644);
	} else {
		st->fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (st->fd < 0 && errno == ENOENT && access(st->dir, F_OK) == 0)
			/* crashed before the first line: an empty record */
			st->fd = open(file, O_WRONLY | O_APPEND | O_CREAT |
					    O_CLOEXEC, 0644);
	}
	if (st->fd < 0) {
		ret = -errno;
		if (create)
			rmdir(st->dir);
		goto err;
	}
	*out = st;
	return 0;
err:
	free(st);
	return ret;
}

int state_create(const char *sim, struct state **out)
{
	return state_init(sim, true, out);
}

int state_open(const char *sim, struct state **out)
{
	return state_init(sim, false, out);
}

void state_close(struct state *st)
{
	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd);
	free(st);
}

const char *state_sim(const struct state *st)
{
	return st->sim;
}

char *state_path(const struct state *st, const char *rel, char *buf,
		 bool mkdirs)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", st->dir, rel);
	char *slash;

	if (n < 0 || n >= PATH_MAX)
		return NULL;
	if (mkdirs) {
		slash = strrchr(buf, '/');
		*slash = '\0';
		n = mkdir_p(buf, 0755);
		*slash = '/';
		if (n)
			return NULL;
	}
	return buf;
}

__attribute__((format(printf, 2, 3)))
static int state_append(struct state *st, const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return -ENAMETOOLONG;
	line[n++] = '\n';
	if (write(st->fd, line, n) != n)
		return errno ? -errno : -EIO;
	if (fdatasync(st->fd))
		return -errno;
	return 0;
}

/* Recorded words are names and paths we made; refuse anything that would
 * break the line format. */
static bool word_ok(const char *s)
{
	return *s && !strpbrk(s, " \t\n");
}

int state_add_netns(struct state *st, const char *netns)
{
	if (!word_ok(netns))
		return -EINVAL;
	return state_append(st, "netns %s", netns);
}

int state_add_proc(struct state *st, const char *role, const char *node,
		   const struct proc_id *id, const char *log_path)
{
	if (!word_ok(role) || !word_ok(node) ||
	    (log_path && !word_ok(log_path)))
		return -EINVAL;
	return state_append(st, "proc %s %s %d %llu %s", role, node,
			    (int)id->pid, id->start, log_path ? log_path : "-");
}

int state_add_path(struct state *st, const char *path)
{
	if (!word_ok(path) || path[0] != '/')
		return -EINVAL;
	return state_append(st, "path %s", path);
}

int state_set_ready(struct state *st)
{
	return state_append(st, "ready");
}

static int push_str(char ***arr, size_t *n, const char *s)
{
	char **tmp = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!tmp)
		return -ENOMEM;
	*arr = tmp;
	tmp[*n] = strdup(s);
	if (!tmp[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int push_proc(struct state_view *v, const char *line)
{
	struct state_proc p = { 0 }, *tmp;
	int pid;

	if (sscanf(line, "proc %15s %63s %d %llu %4095s", p.role, p.node, &pid,
		   &p.id.start, p.log) != 5 || pid <= 0)
		return 0; /* a torn last line: nothing was started for it */
	p.id.pid = pid;
	tmp = realloc(v->procs, (v->n_procs + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	v->procs = tmp;
	v->procs[v->n_procs++] = p;
	return 0;
}

int state_load(const struct state *st, struct state_view *v)
{
	char file[PATH_MAX], line[PATH_MAX + 256];
	FILE *f;
	int ret = 0;

	memset(v, 0, sizeof(*v));
	snprintf(file, sizeof(file), "%s/" STATE_FILE, st->dir);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "netns ", 6) && word_ok(line + 6))
			ret = push_str(&v->netns, &v->n_netns, line + 6);
		else if (!strncmp(line, "path /", 6) && word_ok(line + 5))
			ret = push_str(&v->paths, &v->n_paths, line + 5);
		else if (!strncmp(line, "proc ", 5))
			ret = push_proc(v, line);
		else if (!strcmp(line, "ready"))
			v->ready = true;
	}
	fclose(f);
	if (ret)
		state_view_free(v);
	return ret;
}

void state_view_free(struct state_view *v)
{
	for (size_t i = 0; i < v->n_netns; i++)
		free(v->netns[i]);
	for (size_t i = 0; i < v->n_paths; i++)
		free(v->paths[i]);
	free(v->netns);
	free(v->paths);
	free(v->procs);
	memset(v, 0, sizeof(*v));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list(char ***names, size_t *n)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*names = NULL;
	*n = 0;
	d = opendir(KNETSIM_RUN_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		ret = push_str(names, n, de->d_name);
	}
	closedir(d);
	if (ret) {
		state_list_free(*names, *n);
		return ret;
	}
	qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
}

void state_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int state_destroy(struct state *st)
{
	int ret;

	/* The directory is knetsim's alone: logs, configs, daemon data. */
	close(st->fd);
	st->fd = -1;
	ret = rm_rf(st->dir);
	state_close(st);
	return ret;
}
