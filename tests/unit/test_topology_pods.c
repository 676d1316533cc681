// SPDX-License-Identifier: MIT
/* pods[].command in a topology: good lists decode and survive the saved
 * JSON copy; every bad one is refused with file, line and field; the
 * program name resolves as up resolves it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pod_commands.h"
#include "topology.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Lines 1-7: a cluster whose pod list starts on line 7. */
#define HEAD \
	"clusters:\n" \
	"  - name: C0\n" \
	"    workers: [C0w1, C0w2]\n" \
	"    etcd: [C0e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n" \
	"    pods:\n" \
	"      - name: ic0\n" \
	"        worker: C0w2\n"

static struct topology *parse(const char *text, char *err, size_t errlen)
{
	return topology_parse(text, strlen(text), "x.yaml", err, errlen);
}

static void test_good(void **state)
{
	static const char text[] = HEAD
		"        command: [knetsim-responder, --http, --tcp, 8000,\n"
		"                  --text, \"S1-W2\", \"\", \"a b\"]\n"
		"      - {name: ic1, worker: C0w1}\n";
	char err[512], *argv[TOPO_CMD_ARGS_MAX + 1], *json;
	struct topology *t = parse(text, err, sizeof(err)), *u;

	(void)state;
	if (!t)
		fail_msg("%s", err);
	assert_int_equal(t->pods[0].command.argc, 8);
	assert_int_equal(pod_command_argv(&t->pods[0].command, argv), 8);
	assert_string_equal(argv[0], "knetsim-responder");
	assert_string_equal(argv[3], "8000");
	assert_string_equal(argv[6], "");
	assert_string_equal(argv[7], "a b");
	assert_null(argv[8]);
	assert_int_equal(t->pods[1].command.argc, 0);
	assert_int_equal(pod_command_argv(&t->pods[1].command, argv), 0);
	assert_null(argv[0]);

	/* What up saves reloads with the same command, and none where
	 * there was none. */
	json = topology_to_json(t);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"command\""));
	u = topology_parse(json, strlen(json), "saved.json", err, sizeof(err));
	if (!u)
		fail_msg("%s\n%s", err, json);
	assert_int_equal(u->pods[0].command.argc, 8);
	assert_memory_equal(u->pods[0].command.buf, t->pods[0].command.buf,
			    TOPO_CMD_LEN_MAX);
	assert_int_equal(u->pods[1].command.argc, 0);
	free(json);
	topology_free(u);
	topology_free(t);
}

/* The most a command may hold: TOPO_CMD_ARGS_MAX arguments, and
 * TOPO_CMD_LEN_MAX bytes counting one NUL per argument. */
static char *command_of(size_t argc, size_t arg_len)
{
	size_t cap = sizeof(HEAD) + 64 + argc * (arg_len + 16);
	char *s = malloc(cap);
	size_t off;

	assert_non_null(s);
	off = (size_t)snprintf(s, cap, HEAD "        command:\n");
	for (size_t i = 0; i < argc; i++) {
		off += (size_t)snprintf(s + off, cap - off, "          - ");
		memset(s + off, 'a', arg_len);
		off += arg_len;
		s[off++] = '\n';
	}
	s[off] = '\0';
	return s;
}

static void test_limits(void **state)
{
	char err[512], *text;
	struct topology *t;

	(void)state;
	/* 32 arguments of 31 bytes: 1024 bytes with their NULs. */
	text = command_of(TOPO_CMD_ARGS_MAX, TOPO_CMD_LEN_MAX / TOPO_CMD_ARGS_MAX - 1);
	t = parse(text, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_int_equal(t->pods[0].command.argc, TOPO_CMD_ARGS_MAX);
	topology_free(t);
	free(text);

	/* One byte more. */
	text = command_of(TOPO_CMD_ARGS_MAX, TOPO_CMD_LEN_MAX / TOPO_CMD_ARGS_MAX - 1);
	*strrchr(text, '\n') = 'a';
	strcat(text, "\n");
	t = parse(text, err, sizeof(err));
	assert_null(t);
	assert_non_null(strstr(err, "x.yaml:41: clusters[0].pods[0].command: too long"));
	free(text);

	/* One argument more. */
	text = command_of(TOPO_CMD_ARGS_MAX + 1, 1);
	t = parse(text, err, sizeof(err));
	assert_null(t);
	assert_non_null(strstr(err, "x.yaml:10: clusters[0].pods[0].command: 33 arguments (expected at most 32)"));
	free(text);

	/* One argument alone too long. */
	text = command_of(1, TOPO_CMD_LEN_MAX);
	t = parse(text, err, sizeof(err));
	assert_null(t);
	assert_non_null(strstr(err, "x.yaml:10: clusters[0].pods[0].command: too long"));
	free(text);
}

static void test_bad(void **state)
{
	static const struct {
		const char *name, *tail, *message;
	} bad[] = {
		{ "empty list", "        command: []\n",
		  "x.yaml:9: clusters[0].pods[0].command: empty (expected the program" },
		{ "empty value", "        command:\n",
		  "x.yaml:9: clusters[0].pods[0].command: expected a list of strings" },
		{ "a string", "        command: knetsim-responder --tcp 80\n",
		  "x.yaml:9: clusters[0].pods[0].command: expected a list of strings" },
		{ "a map", "        command: {program: x}\n",
		  "x.yaml:9: clusters[0].pods[0].command: expected a list of strings" },
		{ "a map argument", "        command: [x, {a: b}]\n",
		  "x.yaml:9: clusters[0].pods[0].command[1]: expected a string, got a map" },
		{ "a list argument", "        command: [x, [a]]\n",
		  "x.yaml:9: clusters[0].pods[0].command[1]: expected a string, got a list" },
		{ "a null argument", "        command:\n          - x\n          -\n",
		  "x.yaml:11: clusters[0].pods[0].command[1]: expected a string, got nothing" },
		{ "empty program", "        command: [\"\", x]\n",
		  "x.yaml:9: clusters[0].pods[0].command[0]: empty program name" },
		{ "control character", "        command: [x, \"a\\tb\"]\n",
		  "x.yaml:9: clusters[0].pods[0].command[1]: argument has a control character 0x09" },
		{ "newline", "        command: [x, \"a\\nb\"]\n",
		  "x.yaml:9: clusters[0].pods[0].command[1]: argument has a control character 0x0a" },
	};
	char text[1024], err[512];

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct topology *t;

		snprintf(text, sizeof(text), "%s%s", HEAD, bad[i].tail);
		t = parse(text, err, sizeof(err));
		if (t) {
			topology_free(t);
			fail_msg("%s: accepted", bad[i].name);
		}
		if (strncmp(err, bad[i].message, strlen(bad[i].message)))
			fail_msg("%s: message\n  %s\nexpected\n  %s...",
				 bad[i].name, err, bad[i].message);
	}
}

static void test_program(void **state)
{
	char buf[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 16];

	(void)state;
	/* Names without a slash go to PATH as they are... */
	assert_string_equal(pod_command_program("nginx", buf, sizeof(buf)), "nginx");
	/* ...absolute paths too, and relative ones become absolute. */
	assert_string_equal(pod_command_program("/bin/true", buf, sizeof(buf)),
			    "/bin/true");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/bin/srv", cwd);
	assert_string_equal(pod_command_program("bin/srv", buf, sizeof(buf)), want);
	/* The responder is knetsim's: an absolute path when it sits next to
	 * the running binary, else the installed name. */
	pod_command_program(POD_CMD_RESPONDER, buf, sizeof(buf));
	assert_true(buf[0] == '/' || !strcmp(buf, POD_CMD_RESPONDER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
