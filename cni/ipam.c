// SPDX-License-Identifier: MIT
/* host-local delegation: build its config, run it with pipes and a
 * deadline, read its result or its error. */
#include "ipam.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "log.h"

#define IPAM_OUT_MAX (1 << 20)
/* Any documentation range does: host-local's DEL releases by ID. */
#define IPAM_PLACEHOLDER_RANGE "192.0.2.0/24"

extern char **environ;

/* --- config and output --- */

static cJSON *range_json(const struct cni_lease *lease)
{
	char subnet[CIDR_STRLEN], gw[IP4_STRLEN];
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return NULL;
	if (lease) {
		cidr_format(&lease->subnet, subnet);
		ip4_format(lease->gateway, gw);
	} else {
		snprintf(subnet, sizeof(subnet), "%s", IPAM_PLACEHOLDER_RANGE);
	}
	if (!cJSON_AddStringToObject(r, "subnet", subnet) ||
	    (lease && !cJSON_AddStringToObject(r, "gateway", gw))) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/* {"type":"host-local","ranges":[[RANGE]],"dataDir":...} */
static cJSON *ipam_json(const struct cni_lease *lease, const char *data_dir)
{
	cJSON *ipam = cJSON_CreateObject(), *ranges, *set, *r = NULL;

	if (!ipam || !cJSON_AddStringToObject(ipam, "type", IPAM_PLUGIN) ||
	    !(ranges = cJSON_AddArrayToObject(ipam, "ranges")) ||
	    !(set = cJSON_CreateArray()) ||
	    !cJSON_AddItemToArray(ranges, set) ||
	    !(r = range_json(lease)) || !cJSON_AddItemToArray(set, r) ||
	    !cJSON_AddStringToObject(ipam, "dataDir", data_dir)) {
		cJSON_Delete(ipam);
		return NULL;
	}
	return ipam;
}

char *ipam_config_json(const char *name, const struct cni_lease *lease,
		       const char *data_dir)
{
	cJSON *root = cJSON_CreateObject(), *ipam = ipam_json(lease, data_dir);
	char *s = NULL;

	/* host-local answers in 1.0.0 whatever the runtime speaks to us. */
	if (root && ipam &&
	    cJSON_AddStringToObject(root, "cniVersion", CNI_VERSION_LATEST) &&
	    cJSON_AddStringToObject(root, "name", name) &&
	    cJSON_AddItemToObject(root, "ipam", ipam)) {
		ipam = NULL;
		s = cJSON_PrintUnformatted(root);
	}
	cJSON_Delete(ipam);
	cJSON_Delete(root);
	return s;
}

unsigned ipam_result_parse(const char *out, const struct cni_lease *lease,
			   struct ipam_addr *a, struct cni_err *e)
{
	cJSON *root = out ? cJSON_Parse(out) : NULL;
	const cJSON *ips, *ip, *addr;
	unsigned ret = 0;
	uint8_t len;

	ips = cJSON_GetObjectItemCaseSensitive(root, "ips");
	ip = cJSON_IsArray(ips) && cJSON_GetArraySize(ips) == 1 ?
	     cJSON_GetArrayItem(ips, 0) : NULL;
	addr = cJSON_GetObjectItemCaseSensitive(ip, "address");
	if (!cJSON_IsString(addr) ||
	    cni_ipnet_parse(addr->valuestring, &a->ip, &len)) {
		ret = cni_errf(e, CNI_ERR_IPAM, "host-local: unexpected result "
			       "(expected one IPv4 address)");
		cni_err_details(e, "%.400s", out ? out : "");
	} else if (!cidr_contains(&lease->subnet, a->ip) ||
		   a->ip == lease->gateway || len != lease->subnet.len) {
		ret = cni_errf(e, CNI_ERR_IPAM, "host-local: address %s is not "
			       "a pod address of the lease", addr->valuestring);
	} else {
		a->prefixlen = len;
		a->gateway = lease->gateway;
	}
	cJSON_Delete(root);
	return ret;
}

unsigned ipam_error_parse(const char *out, struct cni_err *e)
{
	cJSON *root = out ? cJSON_Parse(out) : NULL;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "msg");
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(root, "details");
	unsigned code = CNI_ERR_IPAM;

	if (!cJSON_IsString(msg)) {
		cni_errf(e, code, "host-local failed without a CNI error");
		cni_err_details(e, "%.400s", out && *out ? out : "(no output)");
	} else {
		if (strstr(msg->valuestring, "no IP addresses available"))
			code = CNI_ERR_EXHAUSTED;
		cni_errf(e, code, "%s%s", code == CNI_ERR_EXHAUSTED ?
			 "no pod address left in the worker's lease: " :
			 "host-local: ", msg->valuestring);
		if (cJSON_IsString(det))
			cni_err_details(e, "%s", det->valuestring);
	}
	cJSON_Delete(root);
	return code;
}

/* --- running host-local --- */

static unsigned find_plugin(const char *cni_path, char *out, size_t len,
			    struct cni_err *e)
{
	const char *p = cni_path;

	while (*p) {
		size_t n = strcspn(p, ":");

		if (n && snprintf(out, len, "%.*s/%s", (int)n, p, IPAM_PLUGIN) <
			 (int)len && !access(out, X_OK))
			return 0;
		p += n;
		if (*p)
			p++;
	}
	return cni_errf(e, CNI_ERR_ENV, "CNI_PATH: no executable %s in \"%s\"",
			IPAM_PLUGIN, cni_path);
}

/* Our environment with CNI_COMMAND replaced and CNI_ARGS left out. */
static char **child_env(enum cni_cmd cmd)
{
	size_t n = 0, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12) &&
		    strncmp(environ[i], "CNI_ARGS=", 9))
			env[j++] = environ[i];
	if (asprintf(&env[j], "CNI_COMMAND=%s", cni_cmd_name(cmd)) < 0) {
		free(env);
		return NULL;
	}
	return env;
}

static void child_env_free(char **env)
{
	size_t n = 0;

	if (!env)
		return;
	while (env[n])
		n++;
	if (n)
		free(env[n - 1]); /* the CNI_COMMAND we made */
	free(env);
}

/* In the child: fd becomes target (clearing close-on-exec). */
static void child_fd(int fd, int target)
{
	if (fd == target)
		fcntl(fd, F_SETFD, 0);
	else if (dup2(fd, target) < 0)
		_exit(127);
}

static void child_exec(const char *prog, char **env, int in, int out)
{
	char *argv[] = { (char *)prog, NULL };

	signal(SIGPIPE, SIG_DFL);
	child_fd(in, STDIN_FILENO);
	child_fd(out, STDOUT_FILENO);
	execve(prog, argv, env);
	_exit(127);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads fd to EOF within the deadline into a malloc'd string. */
static int read_all(int fd, long long deadline, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *tmp;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (!buf)
		return -ENOMEM;
	for (;;) {
		long long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		r = poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue; /* timeout: caught at the top */
		if (len + 1 >= cap) {
			if (cap >= IPAM_OUT_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			cap *= 2;
			tmp = realloc(buf, cap);
			if (!tmp) {
				free(buf);
				return -ENOMEM;
			}
			buf = tmp;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Runs prog with stdin in, collects stdout, waits for it. */
static int run(const char *prog, char **env, const char *in, char **out,
	       int *status)
{
	int pin[2], pout[2], ret;
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC))
		return -errno;
	if (pipe2(pout, O_CLOEXEC)) {
		ret = -errno;
		close(pin[0]);
		close(pin[1]);
		return ret;
	}
	pid = fork();
	if (pid == 0)
		child_exec(prog, env, pin[0], pout[1]);
	ret = pid < 0 ? -errno : 0;
	close(pin[0]);
	close(pout[1]);
	if (!ret) {
		/* A child that exits without reading is no failure here. */
		write_all(pin[1], in, strlen(in));
		close(pin[1]);
		ret = read_all(pout[0], now_ms() + IPAM_TIMEOUT_MS, out);
		if (ret)
			kill(pid, SIGKILL); /* our own child, by its PID */
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	} else {
		close(pin[1]);
	}
	close(pout[0]);
	return ret;
}

/* host-local with command cmd; out holds its stdout when it succeeded. */
static unsigned ipam_exec(enum cni_cmd cmd, const struct cni_env *env,
			  const struct cni_conf *c,
			  const struct cni_lease *lease, char **out,
			  struct cni_err *e)
{
	char prog[PATH_MAX], *in = NULL, *text = NULL, **cenv = NULL;
	int status = 0, ret;
	unsigned code;

	*out = NULL;
	code = find_plugin(env->path, prog, sizeof(prog), e);
	if (code)
		return code;
	in = ipam_config_json(c->name, lease, c->data_dir);
	cenv = child_env(cmd);
	if (!in || !cenv) {
		code = cni_errf(e, CNI_ERR_IO, "out of memory");
		goto out;
	}
	log_debug("%s %s: %s", prog, cni_cmd_name(cmd), in);
	ret = run(prog, cenv, in, &text, &status);
	if (ret) {
		code = cni_errf(e, CNI_ERR_IPAM, "%s %s: %s", prog,
				cni_cmd_name(cmd), ret == -ETIMEDOUT ?
				"no answer in time" : strerror(-ret));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*out = text;
		text = NULL;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*text) {
		code = cni_errf(e, CNI_ERR_IPAM, "%s: cannot run it", prog);
	} else if (WIFSIGNALED(status)) {
		code = cni_errf(e, CNI_ERR_IPAM, "%s %s: killed by signal %d",
				prog, cni_cmd_name(cmd), WTERMSIG(status));
	} else {
		code = ipam_error_parse(text, e);
	}
out:
	free(text);
	free(in);
	child_env_free(cenv);
	return code;
}

unsigned ipam_add(const struct cni_env *env, const struct cni_conf *c,
		  const struct cni_lease *lease, struct ipam_addr *a,
		  struct cni_err *e)
{
	char *out;
	unsigned code = ipam_exec(CNI_CMD_ADD, env, c, lease, &out, e);

	if (code)
		return code;
	code = ipam_result_parse(out, lease, a, e);
	free(out);
	if (code) {
		struct cni_err ignored;

		ipam_del(env, c, lease, &ignored); /* keep nothing */
	}
	return code;
}

unsigned ipam_del(const struct cni_env *env, const struct cni_conf *c,
		  const struct cni_lease *lease, struct cni_err *e)
{
	char *out;
	unsigned code = ipam_exec(CNI_CMD_DEL, env, c, lease, &out, e);

	free(out);
	return code;
}

unsigned ipam_check(const struct cni_env *env, const struct cni_conf *c,
		    const struct cni_lease *lease, struct cni_err *e)
{
	char *out;
	unsigned code = ipam_exec(CNI_CMD_CHECK, env, c, lease, &out, e);

	free(out);
	return code;
}
