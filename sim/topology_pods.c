// SPDX-License-Identifier: MIT
/* pods[].command of a topology: the one program a pod runs, as a list of
 * strings (argv), e.g.
 *
 *   - {name: ic0, worker: C0w2,
 *      command: [knetsim-responder, --http, --tcp, "8000", --text, S1-W2]}
 *
 * Numbers and other plain scalars are taken as the text written; maps,
 * lists and nulls are not arguments. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "topology_priv.h"

#define CMD_EXAMPLE "[knetsim-responder, --tcp, \"8000\", --text, hi]"

size_t pod_command_argv(const struct pod_command *cmd, char **argv)
{
	const char *p = cmd->buf;
	size_t n = 0;

	for (; n < cmd->argc && n < TOPO_CMD_ARGS_MAX; n++) {
		argv[n] = (char *)p;
		p += strlen(p) + 1;
	}
	argv[n] = NULL;
	return n;
}

/* Control characters have no business in an argument of a lab program,
 * and would garble logs and status lines. */
static int check_arg(struct topo_ctx *c, const struct doc_node *v,
		     const char *field, size_t i)
{
	const char *s = v->scalar;

	if (!i && !*s)
		return topo_fail(c, v->line, field, "empty program name "
				 "(expected a program such as "
				 "knetsim-responder)");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return topo_fail(c, v->line, field, "argument has a "
					 "control character 0x%02x (expected "
					 "printable text)", (unsigned char)*p);
	return 0;
}

int topo_decode_pod_command(struct topo_ctx *c, const struct doc_node *m,
			    const char *ppath, struct pod *p)
{
	const struct doc_node *seq = doc_get(m, "command");
	char path[TOPO_PATH_MAX + 16], field[TOPO_PATH_MAX + 48];
	struct pod_command *cmd = &p->command;
	size_t used = 0;

	cmd->argc = 0;
	if (!seq)
		return 0;
	snprintf(path, sizeof(path), "%s.command", ppath);
	if (seq->type != DOC_SEQ || doc_is_null(seq))
		return topo_fail(c, seq->line, path, "expected a list of "
				 "strings such as " CMD_EXAMPLE);
	if (!seq->n)
		return topo_fail(c, seq->line, path, "empty (expected the "
				 "program and its arguments, such as "
				 CMD_EXAMPLE ")");
	if (seq->n > TOPO_CMD_ARGS_MAX)
		return topo_fail(c, seq->line, path, "%zu arguments (expected "
				 "at most %d)", seq->n, TOPO_CMD_ARGS_MAX);
	for (size_t i = 0; i < seq->n; i++) {
		const struct doc_node *v = seq->items[i];
		size_t len;

		snprintf(field, sizeof(field), "%s[%zu]", path, i);
		if (v->type != DOC_SCALAR || doc_is_null(v))
			return topo_fail(c, v->line, field, "expected a "
					 "string, got %s", doc_is_null(v) ?
					 "nothing" : v->type == DOC_MAP ?
					 "a map" : "a list");
		if (check_arg(c, v, field, i))
			return -1;
		len = strlen(v->scalar) + 1;
		if (len > sizeof(cmd->buf) - used)
			return topo_fail(c, v->line, path, "too long (expected "
					 "at most %d bytes in all, counting one "
					 "per argument)", TOPO_CMD_LEN_MAX);
		memcpy(cmd->buf + used, v->scalar, len);
		used += len;
	}
	cmd->argc = seq->n;
	return 0;
}

bool topo_json_pod_command(cJSON *o, const struct pod *p)
{
	char *argv[TOPO_CMD_ARGS_MAX + 1];
	size_t n = pod_command_argv(&p->command, argv);
	cJSON *a;

	if (!n)
		return true;
	a = cJSON_AddArrayToObject(o, "command");
	if (!a)
		return false;
	for (size_t i = 0; i < n; i++) {
		cJSON *s = cJSON_CreateString(argv[i]);

		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return true;
}
