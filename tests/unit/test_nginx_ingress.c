// SPDX-License-Identifier: MIT
/* The nginx configuration of a worker's ingresses: one server per port,
 * locations in nginx's own order (exact, then longest prefix), Prefix
 * paths by whole segments, VIP:port backends, 503 for a missing service,
 * everything under the prefix; bad input refused. When nginx is
 * installed, `nginx -t` accepts what is rendered. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "nginx_ingress.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define PREFIX "/run/knetsim/lab/ingress/C0w1"

static const struct nginx_ingress_svc svcs[] = {
	{ "default", "svc1", IP(100, 64, 11, 1) },
	{ "default", "svc2", IP(100, 64, 11, 2) },
};

static void add_path(struct ingress_spec *s, const char *path,
		     enum ingress_path_type type, const char *svc, uint16_t port)
{
	struct ingress_path *p = &s->paths[s->n_paths++];

	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(p->service, sizeof(p->service), "%s", svc);
	p->type = type;
	p->port = port;
}

static struct ingress_spec *spec(const char *name, uint16_t port)
{
	struct ingress_spec *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	snprintf(s->ns, sizeof(s->ns), "default");
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->node, sizeof(s->node), "C0w1");
	s->port = port;
	return s;
}

static char *render(const struct ingress_spec *const *ings, size_t n,
		    const char *prefix, int want, char *err, size_t errlen)
{
	const struct nginx_ingress_conf conf = {
		.prefix = prefix, .worker = "C0w1", .worker_processes = 1,
	};
	char *out = NULL;
	int ret = nginx_ingress_render(&conf, ings, n, svcs, 2, &out, err, errlen);

	if (ret != want)
		fail_msg("render returned %d (%s), expected %d", ret,
			 ret ? err : "", want);
	if (ret)
		assert_null(out);
	return out;
}

/* Where each of the needles appears, in order. */
static void assert_in_order(const char *text, const char *const *needles,
			    size_t n)
{
	const char *at = text;

	for (size_t i = 0; i < n; i++) {
		const char *f = strstr(at, needles[i]);

		if (!f)
			fail_msg("\"%s\" missing (or out of order) in\n%s",
				 needles[i], text);
		at = f + strlen(needles[i]);
	}
}

static void test_course(void **state)
{
	static const char *const want[] = {
		"# nginx of the ingresses on worker C0w1",
		"# Ingresses: default/grp1 (port 8001)",
		"daemon off;",
		"pid \"" PREFIX "/nginx.pid\";",
		"error_log \"" PREFIX "/logs/error.log\" notice;",
		"http {",
		"access_log \"" PREFIX "/logs/access.log\" knetsim",
		"client_body_temp_path \"" PREFIX "/tmp/body\";",
		"proxy_temp_path \"" PREFIX "/tmp/proxy\";",
		"# ingress default/grp1\n\tserver {\n\t\tlisten 8001;",
		"location = \"/svc1\" {\n\t\t\tproxy_pass http://100.64.11.1:8000;\n\t\t}",
		"location = \"/svc2\" {\n\t\t\tproxy_pass http://100.64.11.2:8000;\n\t\t}",
		"location \"/svc1/\" {\n\t\t\tproxy_pass http://100.64.11.1:8000;\n\t\t}",
		"location \"/svc2/\" {\n\t\t\tproxy_pass http://100.64.11.2:8000;\n\t\t}",
		"location / {\n\t\t\treturn 404;\n\t\t}",
		"\t}\n}\n",
	};
	struct ingress_spec *s = spec("grp1", 8001);
	const struct ingress_spec *v[] = { s };
	char err[256], *out;

	(void)state;
	add_path(s, "/svc1", INGRESS_PATH_PREFIX, "svc1", 8000);
	add_path(s, "/svc2", INGRESS_PATH_PREFIX, "svc2", 8000);
	out = render(v, 1, PREFIX, 0, err, sizeof(err));
	assert_in_order(out, want, sizeof(want) / sizeof(want[0]));
	/* Nothing outside the prefix. */
	assert_null(strstr(out, "/var/"));
	assert_null(strstr(out, "/etc/"));
	free(out);
	free(s);
}

static void test_order_and_types(void **state)
{
	/* Exact first; then prefixes longest first, whatever the input order. */
	static const char *const want[] = {
		"location = \"/a/b\" {",
		"location = \"/a\" {",
		"location = \"/x\" {",
		"location \"/impl-x\" {",
		"location \"/a/b/\" {",
		"location \"/a/\" {",
		"location \"/\" {\n\t\t\tproxy_pass http://100.64.11.2:80;",
	};
	struct ingress_spec *s = spec("many", 80);
	const struct ingress_spec *v[] = { s };
	char err[256], *out;

	(void)state;
	add_path(s, "/", INGRESS_PATH_PREFIX, "svc2", 80);
	add_path(s, "/a/", INGRESS_PATH_PREFIX, "svc1", 80);
	add_path(s, "/x", INGRESS_PATH_EXACT, "svc1", 80);
	add_path(s, "/a/b", INGRESS_PATH_PREFIX, "svc1", 81);
	add_path(s, "/impl-x", INGRESS_PATH_IMPL, "svc2", 80);
	out = render(v, 1, PREFIX, 0, err, sizeof(err));
	assert_in_order(out, want, sizeof(want) / sizeof(want[0]));
	/* "/" is routed: no 404 catch-all. */
	assert_null(strstr(out, "return 404"));
	free(out);
	free(s);
}

static void test_servers(void **state)
{
	static const char *const want[] = {
		"# Ingresses: default/low (port 80) default/high (port 9000)",
		"listen 80;", "listen 9000;",
	};
	struct ingress_spec *a = spec("high", 9000), *b = spec("low", 80);
	const struct ingress_spec *v[] = { a, b };
	char err[256], *out;

	(void)state;
	add_path(a, "/", INGRESS_PATH_PREFIX, "svc1", 80);
	add_path(b, "/", INGRESS_PATH_PREFIX, "gone", 80);
	out = render(v, 2, PREFIX, 0, err, sizeof(err));
	assert_in_order(out, want, sizeof(want) / sizeof(want[0]));
	/* A service that does not exist (any more): 503, not a bad config. */
	assert_non_null(strstr(out, "return 503; # no service default/gone"));

	/* Two ingresses on one port. */
	b->port = 9000;
	render(v, 2, PREFIX, -EINVAL, err, sizeof(err));
	assert_string_equal(err, "ingresses default/high and default/low both listen on port 9000");
	free(out);
	free(a);
	free(b);
}

static void test_bad(void **state)
{
	static const char *const bad_paths[] = {
		"/a\";\n}\nserver {", "/a b", "/a{", "/a}", "/a;", "/a$x",
		"/a'", "/a\\", "/a#", "noslash", "/a//b", "/../etc",
	};
	struct ingress_spec *s = spec("bad", 80);
	const struct ingress_spec *v[] = { s };
	char err[256], *out;

	(void)state;
	add_path(s, "/ok", INGRESS_PATH_PREFIX, "svc1", 80);
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		snprintf(s->paths[0].path, sizeof(s->paths[0].path), "%s",
			 bad_paths[i]);
		render(v, 1, PREFIX, -EINVAL, err, sizeof(err));
		assert_non_null(strstr(err, "ingress default/bad: paths[0].path: "));
	}
	snprintf(s->paths[0].path, sizeof(s->paths[0].path), "/ok");
	/* Duplicate paths never reach nginx either. */
	add_path(s, "/ok/", INGRESS_PATH_PREFIX, "svc1", 80);
	render(v, 1, PREFIX, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "duplicate path"));
	s->n_paths = 1;
	/* The prefix must be plain. */
	render(v, 1, "relative/dir", -EINVAL, err, sizeof(err));
	render(v, 1, "/run/a b", -EINVAL, err, sizeof(err));
	render(v, 1, "/run/a\";", -EINVAL, err, sizeof(err));
	out = render(v, 1, PREFIX, 0, err, sizeof(err));
	free(out);
	free(s);
}

/* nginx -t on a rendered file, when nginx is installed. */
static void test_nginx_accepts(void **state)
{
	char dir[] = "/tmp/knetsim-nginx-test-XXXXXX", path[256], cmd[1024];
	struct ingress_spec *a = spec("grp1", 18001), *b = spec("grp2", 18002);
	const struct ingress_spec *v[] = { a, b };
	char err[256], *out;
	int status;

	(void)state;
	if (system("command -v nginx >/dev/null 2>&1")) {
		print_message("nginx not installed: rendered file not checked\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	add_path(a, "/svc1", INGRESS_PATH_PREFIX, "svc1", 8000);
	add_path(a, "/svc2", INGRESS_PATH_PREFIX, "svc2", 8000);
	add_path(a, "/x", INGRESS_PATH_EXACT, "svc2", 8000);
	add_path(a, "/odd-._~!*+,:=@", INGRESS_PATH_IMPL, "svc2", 8000);
	add_path(b, "/", INGRESS_PATH_PREFIX, "none", 80);
	out = render(v, 2, dir, 0, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/logs", dir);
	assert_int_equal(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	assert_int_equal(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nginx.conf", dir);
	assert_int_equal(write_file(path, out, strlen(out), 0644), 0);
	snprintf(cmd, sizeof(cmd), "nginx -t -q -p %s/ -c %s -e %s/logs/error.log",
		 dir, path, dir);
	status = system(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("nginx -t refused:\n%s", out);
	free(out);
	free(a);
	free(b);
	assert_int_equal(rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_course),
		cmocka_unit_test(test_order_and_types),
		cmocka_unit_test(test_servers),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_nginx_accepts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
