// SPDX-License-Identifier: MIT
/* knetsim: object-then-verb commands, unique prefixes accepted (as ip and
 * bpftool do). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "linkemu.h"
#include "log.h"
#include "supervise.h"

#ifndef KNETSIM_VERSION
#define KNETSIM_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *help;
};

static int cmd_help(struct cli *cli, int argc, char **argv);
static int cmd_version(struct cli *cli, int argc, char **argv);

static const struct command commands[] = {
	{ "up", cmd_up, "build a simulation from a topology file" },
	{ "down", cmd_down, "remove a simulation (or --all)" },
	{ "status", cmd_status, "nodes, addresses, processes, etcd health" },
	{ "exec", cmd_exec, "run a command in a node: exec NODE -- CMD..." },
	{ "shell", cmd_shell, "interactive shell in a node" },
	{ "graph", cmd_graph, "draw the topology (dot, mermaid, json)" },
	{ "pod", cmd_pod, "pods: add WORKER POD, del POD, list" },
	{ "service", cmd_service, "services: add NAME --vip IP ..., del NAME, list" },
	{ "ingress", cmd_ingress, "ingresses: add NAME --worker W --port P --path ..., del, list" },
	{ "link", cmd_link, "multi-cluster routers: status of links and services" },
	{ "agent", cmd_agent, "a worker's agent: status, restart" },
	{ "help", cmd_help, "this list" },
	{ "version", cmd_version, "print the version" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: knetsim [-j] [-q] [-n SIM] COMMAND [ARGS...]\n\n"
		   "Commands (any unique prefix works):\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nOptions for every command:\n"
		   "  -j, --json      machine-readable output\n"
		   "  -q, --quiet     no progress or hints\n"
		   "  -n, --name SIM  the simulation to act on\n"
		   "Run 'knetsim COMMAND --help' for a command's options.\n");
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (cli->json)
		printf("{\"version\":\"%s\"}\n", KNETSIM_VERSION);
	else
		printf("knetsim %s\n", KNETSIM_VERSION);
	return 0;
}

static const struct command *lookup(const char *name)
{
	const struct command *found = NULL;
	size_t len = strlen(name);

	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (len && !strncmp(commands[i].name, name, len)) {
			if (found) {
				log_err("\"%s\" is ambiguous (%s, %s, ...)",
					name, found->name, commands[i].name);
				return NULL;
			}
			found = &commands[i];
		}
	}
	if (!found)
		log_err("unknown command \"%s\" (try 'knetsim help')", name);
	return found;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct cli cli = { 0 };
	const struct command *cmd;
	int c;

	log_init("knetsim", LOG_INFO);
	/* Hidden: the link emulator daemon that `up` starts. */
	if (argc > 1 && !strcmp(argv[1], LINKEMU_CMD))
		return linkemu_main(argc - 1, argv + 1);
	/* Hidden: the supervisor `up` runs the multi-cluster routers under. */
	if (argc > 1 && !strcmp(argv[1], SUPERVISE_CMD))
		return supervise_main(argc - 1, argv + 1);

	/* Global options stop at the command word. */
	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORT "hV", opts,
				NULL)) != -1) {
		if (cli_common_opt(&cli, c, optarg))
			continue;
		if (c == 'V')
			return cmd_version(&cli, 0, NULL);
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = lookup(argv[optind]);
	if (!cmd)
		return 2;
	argc -= optind;
	argv += optind;
	optind = 0; /* each command parses its own options (0: full reset) */
	return cmd->run(&cli, argc, argv);
}
