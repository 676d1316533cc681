// SPDX-License-Identifier: MIT
/* flannel's subnet.env: KEY=VALUE lines, one lease. */
#include "subnet.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

#define SUBNET_LEN_MAX 30 /* a gateway and at least one pod */
#define LINE_MAX_LEN 256

enum { K_NETWORK, K_SUBNET, K_MTU, K_IPMASQ, K_COUNT };

static const char *const keys[K_COUNT] = {
	"FLANNEL_NETWORK", "FLANNEL_SUBNET", "FLANNEL_MTU", "FLANNEL_IPMASQ",
};

struct parse {
	struct cni_lease *l;
	bool seen[K_COUNT];
	char *err;
	size_t errlen;
	int line;
};

static int fail(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	int n = p->line ? snprintf(p->err, p->errlen, "line %d: ", p->line) : 0;

	if (n < 0 || (size_t)n >= p->errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_mtu(struct parse *p, const char *v)
{
	char *end;
	unsigned long mtu;

	errno = 0;
	mtu = strtoul(v, &end, 10);
	if (!*v || *v == '-' || *v == '+' || *end || errno ||
	    mtu < SUBNET_MTU_MIN || mtu > SUBNET_MTU_MAX)
		return fail(p, "FLANNEL_MTU: \"%s\" is not a number from %d to %d",
			    v, SUBNET_MTU_MIN, SUBNET_MTU_MAX);
	p->l->mtu = (unsigned)mtu;
	return 0;
}

static int parse_value(struct parse *p, int k, const char *v)
{
	struct cni_lease *l = p->l;

	switch (k) {
	case K_NETWORK:
		if (cidr_parse(v, &l->network, false))
			return fail(p, "FLANNEL_NETWORK: \"%s\" is not an IPv4 "
				    "network (a.b.c.d/len, host bits zero)", v);
		return 0;
	case K_SUBNET:
		if (cidr_parse(v, &l->subnet, true))
			return fail(p, "FLANNEL_SUBNET: \"%s\" is not an IPv4 "
				    "prefix (a.b.c.d/len)", v);
		return 0;
	case K_MTU:
		return parse_mtu(p, v);
	default:
		if (strcmp(v, "true") && strcmp(v, "false"))
			return fail(p, "FLANNEL_IPMASQ: \"%s\" (expected true "
				    "or false)", v);
		l->ipmasq = !strcmp(v, "true");
		return 0;
	}
}

static int parse_line(struct parse *p, char *line)
{
	char *eq;

	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return fail(p, "expected KEY=VALUE");
	*eq = '\0';
	for (int k = 0; k < K_COUNT; k++) {
		if (strcmp(line, keys[k]))
			continue;
		if (p->seen[k])
			return fail(p, "%s: given twice", line);
		p->seen[k] = true;
		return parse_value(p, k, eq + 1);
	}
	if (!strncmp(line, "FLANNEL_", 8))
		return 0; /* flannel's IPv6 keys and the like */
	return fail(p, "unknown key \"%.32s\"", line);
}

/* Cross-field rules once every line is read. */
static int lease_check(struct parse *p)
{
	struct cni_lease *l = p->l;
	char a[CIDR_STRLEN], b[CIDR_STRLEN];

	p->line = 0;
	for (int k = 0; k < K_IPMASQ; k++)
		if (!p->seen[k])
			return fail(p, "%s: missing", keys[k]);
	if (l->subnet.len > SUBNET_LEN_MAX)
		return fail(p, "FLANNEL_SUBNET: /%u leaves no pod address "
			    "(expected /%d or shorter)", l->subnet.len,
			    SUBNET_LEN_MAX);
	if (!cidr_contains_cidr(&l->network, &l->subnet))
		return fail(p, "FLANNEL_SUBNET: %s is not inside FLANNEL_NETWORK %s",
			    cidr_format(&l->subnet, a), cidr_format(&l->network, b));
	l->gateway = l->subnet.addr + 1;
	return 0;
}

int cni_lease_parse(const char *buf, size_t len, struct cni_lease *l,
		     char *err, size_t errlen)
{
	struct parse p = { .l = l, .err = err, .errlen = errlen };
	char line[LINE_MAX_LEN];
	size_t i = 0;

	memset(l, 0, sizeof(*l));
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t raw = nl ? (size_t)(nl - (buf + i)) : len - i, n = raw;

		p.line++;
		if (n && buf[i + n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			return fail(&p, "line too long");
		memcpy(line, buf + i, n);
		line[n] = '\0';
		if (strlen(line) != n)
			return fail(&p, "NUL byte");
		if (parse_line(&p, line))
			return -1;
		i += raw + 1;
	}
	return lease_check(&p);
}

unsigned cni_lease_load(const char *path, struct cni_lease *l,
			 struct cni_err *e)
{
	char err[200];
	char *buf;
	size_t len;
	int ret;

	ret = read_file(path, &buf, &len);
	if (ret == -ENOENT)
		return cni_errf(e, CNI_ERR_TRY_AGAIN,
				"%s: no lease yet (the worker's agent has not "
				"written it)", path);
	if (ret)
		return cni_errf(e, CNI_ERR_IO, "%s: cannot read: %s", path,
				strerror(-ret));
	ret = cni_lease_parse(buf, len, l, err, sizeof(err));
	free(buf);
	if (ret)
		return cni_errf(e, CNI_ERR_DECODE, "%s: %s", path, err);
	return 0;
}
