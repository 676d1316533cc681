// SPDX-License-Identifier: MIT
/* The nginx stream gateway's configuration: TLS where a service lives
 * (client certificates required), plain TCP to TLS where it is consumed,
 * one port per service, everything under the gateway's own files; bad
 * input refused with the reason. When nginx is installed, the rendered
 * file also passes `nginx -t` (with real certificates, in a temporary
 * directory; nothing is started). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "mc_cert.h"
#include "nginx_gateway.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define MODULE "/usr/lib/nginx/modules/ngx_stream_module.so"

static const struct ngw_export exports[] = {
	{ "web", 1028, "11.10.32.3", 80 },
	{ "db", 1030, "100.64.10.2", 5432 },
};
static const struct ngw_import imports[] = {
	{ "api", 1029, "10.0.0.7", 1029, "C1w1" },
};

static struct ngw_config base(void)
{
	return (struct ngw_config){
		.cluster = "C0", .listen_host = "0.0.0.0",
		.pid_file = "/run/knetsim/s/mc/C0/nginx.pid",
		.error_log = "/run/knetsim/s/mc/C0/error.log",
		.access_log = "/run/knetsim/s/mc/C0/access.log",
		.stream_module = MODULE,
		.ca_file = "/run/knetsim/s/mc/ca.crt",
		.cert_file = "/run/knetsim/s/mc/C0/router.crt",
		.key_file = "/run/knetsim/s/mc/C0/router.key",
		.exports = exports, .n_exports = N(exports),
		.imports = imports, .n_imports = N(imports),
	};
}

static void expect(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("missing \"%s\" in:\n%s", needle, text);
}

/* The text of the server block that listens on port. */
static char *server_of(const char *conf, const char *listen)
{
	const char *at = strstr(conf, listen), *start, *end;
	char *out;

	if (!at)
		fail_msg("no \"%s\" in:\n%s", listen, conf);
	for (start = at; start > conf && strncmp(start, "server {", 8); start--)
		;
	end = strstr(at, "    }\n");
	assert_non_null(end);
	out = strndup(start, (size_t)(end - start));
	assert_non_null(out);
	return out;
}

static void test_render(void **state)
{
	struct ngw_config c = base();
	char err[256], *conf = ngw_render(&c, err, sizeof(err)), *s;

	(void)state;
	if (!conf)
		fail_msg("%s", err);
	expect(conf, "load_module " MODULE ";\n");
	expect(conf, "daemon off;\n");
	expect(conf, "pid /run/knetsim/s/mc/C0/nginx.pid;\n");
	expect(conf, "error_log /run/knetsim/s/mc/C0/error.log info;\n");
	expect(conf, "access_log /run/knetsim/s/mc/C0/access.log gateway;\n");
	/* Nothing of the system's nginx. */
	assert_null(strstr(conf, "/etc/nginx"));
	assert_null(strstr(conf, "/var/log"));
	assert_null(strstr(conf, "include"));
	/* Where it lives: TLS, client certificates of the CA. */
	expect(conf, "ssl_certificate /run/knetsim/s/mc/C0/router.crt;");
	expect(conf, "ssl_certificate_key /run/knetsim/s/mc/C0/router.key;");
	expect(conf, "ssl_client_certificate /run/knetsim/s/mc/ca.crt;");
	expect(conf, "ssl_verify_client on;");
	s = server_of(conf, "listen 0.0.0.0:1028 ssl;");
	expect(s, "proxy_pass 11.10.32.3:80;");
	assert_null(strstr(s, "proxy_ssl"));
	free(s);
	s = server_of(conf, "listen 0.0.0.0:1030 ssl;");
	expect(s, "proxy_pass 100.64.10.2:5432;");
	free(s);
	/* Where it is consumed: plain in, TLS out, the peer verified. */
	s = server_of(conf, "listen 0.0.0.0:1029;");
	expect(s, "proxy_pass 10.0.0.7:1029;");
	expect(s, "proxy_ssl on;");
	expect(s, "proxy_ssl_certificate /run/knetsim/s/mc/C0/router.crt;");
	expect(s, "proxy_ssl_certificate_key /run/knetsim/s/mc/C0/router.key;");
	expect(s, "proxy_ssl_trusted_certificate /run/knetsim/s/mc/ca.crt;");
	expect(s, "proxy_ssl_verify on;");
	expect(s, "proxy_ssl_name C1w1;");
	free(s);
	free(conf);

	/* Built-in stream module, imports only: no load_module, no server
	 * TLS settings. */
	c.stream_module = NULL;
	c.n_exports = 0;
	conf = ngw_render(&c, err, sizeof(err));
	assert_non_null(conf);
	assert_null(strstr(conf, "load_module"));
	assert_null(strstr(conf, "ssl_verify_client"));
	free(conf);
}

static void test_bad_input(void **state)
{
	static const struct ngw_export clash[] = {
		{ "a", 1028, "1.2.3.4", 80 }, { "b", 1028, "1.2.3.5", 80 } };
	static const struct ngw_import clash_imp[] = {
		{ "c", 1028, "10.0.0.7", 1028, "C1w1" } };
	static const struct ngw_export bad_target[] = { { "a", 1028, "1.2.3.4 x", 80 } };
	static const struct ngw_export no_port[] = { { "a", 1028, "1.2.3.4", 0 } };
	static const struct ngw_export bad_name[] = { { "a;b", 1028, "1.2.3.4", 80 } };
	static const struct ngw_import bad_peer[] = { { "c", 1029, "10.0.0.7", 1029, "C1w1 x" } };
	static const struct ngw_import no_remote[] = { { "c", 1029, NULL, 1029, "C1w1" } };
	struct {
		const char *name;
		struct ngw_config c;
		const char *what;
	} bad[] = {
		{ "nothing to serve", base(), "no export and no import" },
		{ "two exports on one port", base(), "b: port 1028 is already opened for a" },
		{ "import on an export's port", base(), "c: port 1028 is already opened for web" },
		{ "target with a space", base(), "export a: listen 1028 to \"1.2.3.4 x\"" },
		{ "target port 0", base(), "export a" },
		{ "name with ;", base(), "export 0: name \"a;b\"" },
		{ "peer name with a space", base(), "import c: peer name" },
		{ "import without host", base(), "import c" },
		{ "relative pid path", base(), "pid file" },
		{ "key with a brace", base(), "key file" },
		{ "log with a variable", base(), "access log" },
		{ "module with a space", base(), "stream module" },
		{ "bad cluster name", base(), "cluster name" },
		{ "bad listen host", base(), "listen host" },
		{ "missing list", base(), "a list is missing its entries" },
	};
	char err[256];
	size_t failed = 0;

	(void)state;
	bad[0].c.n_exports = bad[0].c.n_imports = 0;
	bad[1].c.exports = clash;
	bad[1].c.n_exports = 2;
	bad[1].c.n_imports = 0;
	bad[2].c.imports = clash_imp;
	bad[3].c.exports = bad_target;
	bad[3].c.n_exports = 1;
	bad[4].c.exports = no_port;
	bad[4].c.n_exports = 1;
	bad[5].c.exports = bad_name;
	bad[5].c.n_exports = 1;
	bad[6].c.imports = bad_peer;
	bad[7].c.imports = no_remote;
	bad[8].c.pid_file = "nginx.pid";
	bad[9].c.key_file = "/run/{x}";
	bad[10].c.access_log = "/run/$host.log";
	bad[11].c.stream_module = "/usr/lib/a b.so";
	bad[12].c.cluster = "";
	bad[13].c.listen_host = "0.0.0.0;";
	bad[14].c.exports = NULL;
	for (size_t i = 0; i < N(bad); i++) {
		char *conf;

		err[0] = '\0';
		conf = ngw_render(&bad[i].c, err, sizeof(err));
		if (conf) {
			print_error("%s: accepted\n", bad[i].name);
			free(conf);
			failed++;
		} else if (!strstr(err, bad[i].what)) {
			print_error("%s: \"%s\", expected \"%s\"\n", bad[i].name,
				    err, bad[i].what);
			failed++;
		}
	}
	assert_null(ngw_render(NULL, err, sizeof(err)));
	if (failed)
		fail_msg("%zu of %zu cases failed", failed, N(bad));
}

/* nginx itself reads the file: syntax, module, certificates. */
static void test_nginx_accepts(void **state)
{
	char dir[] = "/tmp/knetsim-ngw-XXXXXX", conf[128], cmd[512];
	char ca[96], cert[96], key[96], pid[96], elog[96], alog[96], err[256];
	struct ngw_config c = base();
	struct mc_ca *mca;
	char *text;
	int rc;

	(void)state;
	if (system("command -v nginx >/dev/null 2>&1")) {
		print_message("nginx not installed: nginx -t skipped\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(cert, sizeof(cert), "%s/router.crt", dir);
	snprintf(key, sizeof(key), "%s/router.key", dir);
	snprintf(pid, sizeof(pid), "%s/nginx.pid", dir);
	snprintf(elog, sizeof(elog), "%s/error.log", dir);
	snprintf(alog, sizeof(alog), "%s/access.log", dir);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	if (mc_ca_new("t", &mca, err, sizeof(err)) ||
	    mc_ca_write(mca, ca, err, sizeof(err)) ||
	    mc_cert_issue(mca, "C0w1", IP(10, 0, 0, 1), cert, key, err, sizeof(err)))
		fail_msg("%s", err);
	mc_ca_free(mca);
	c.ca_file = ca;
	c.cert_file = cert;
	c.key_file = key;
	c.pid_file = pid;
	c.error_log = elog;
	c.access_log = alog;
	if (access(MODULE, R_OK))
		c.stream_module = NULL;
	text = ngw_render(&c, err, sizeof(err));
	assert_non_null(text);
	assert_int_equal(write_file(conf, text, strlen(text), 0644), 0);
	free(text);
	snprintf(cmd, sizeof(cmd), "nginx -q -t -p %s/ -c %s -e %s", dir, conf, elog);
	rc = system(cmd);
	if (rc) {
		char *log = NULL;
		size_t len;

		read_file(elog, &log, &len);
		print_error("%s\n", log ? log : "");
		free(log);
	}
	rm_rf(dir);
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_nginx_accepts),
	};

	return cmocka_run_group_tests_name("nginx gateway", tests, NULL, NULL);
}
