/* SPDX-License-Identifier: MIT */
/* What knetsim-cni prints: results, errors and version answers as CNI JSON
 * (spec 1.0.0, and the 0.3.x/0.4.0 result form for older configs), and the
 * previous result a runtime hands back for CHECK. */
#ifndef KNETSIM_CNI_RESULT_H
#define KNETSIM_CNI_RESULT_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mac.h"

/* Error codes: the spec's well-known ones, then knetsim's own (100+). */
enum cni_code {
	CNI_OK			= 0,
	CNI_ERR_VERSION		= 1,	/* incompatible CNI version */
	CNI_ERR_UNSUPPORTED	= 2,	/* unsupported field in the config */
	CNI_ERR_NO_CONTAINER	= 3,	/* container unknown or gone */
	CNI_ERR_ENV		= 4,	/* invalid environment variable */
	CNI_ERR_IO		= 5,	/* I/O failure (netlink, files) */
	CNI_ERR_DECODE		= 6,	/* cannot decode content */
	CNI_ERR_CONFIG		= 7,	/* invalid network config */
	CNI_ERR_TRY_AGAIN	= 11,	/* try again later */
	CNI_ERR_AGENT		= 100,	/* the worker's agent is unreachable or refused */
	CNI_ERR_EXHAUSTED	= 101,	/* no address left in the worker's lease */
	CNI_ERR_IF_EXISTS	= 102,	/* the interface already exists */
	CNI_ERR_IPAM		= 103,	/* host-local failed otherwise */
	CNI_ERR_CHECK		= 104,	/* CHECK found the attachment wrong */
};

#define CNI_VERSION_LATEST "1.0.0"
/* Every version knetsim-cni speaks, oldest first, NULL-ended. */
extern const char *const cni_versions[];
bool cni_version_supported(const char *v);

#define CNI_MSG_MAX	256
#define CNI_DETAILS_MAX	512

struct cni_err {
	unsigned code;
	char msg[CNI_MSG_MAX];
	char details[CNI_DETAILS_MAX];
};

/* Sets code and message (details cleared); returns code, so callers can
 * write `return cni_errf(e, CNI_ERR_CONFIG, "...")`. */
unsigned cni_errf(struct cni_err *e, unsigned code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds details to an error already set. */
void cni_err_details(struct cni_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One attachment as ADD reports it. */
struct cni_result {
	char host_ifname[IFNAMSIZ];
	char host_mac[MAC_STRLEN];
	char pod_ifname[IFNAMSIZ];
	char pod_mac[MAC_STRLEN];
	const char *sandbox;	/* the pod's CNI_NETNS */
	uint32_t ip;		/* host byte order */
	uint8_t prefixlen;
	uint32_t gateway;
	const cJSON *dns;	/* the config's "dns", or NULL: {} */
};

/* malloc'd JSON texts (NULL only when out of memory). version is the
 * config's cniVersion and selects the result's form. */
char *cni_result_json(const struct cni_result *r, const char *version);
char *cni_error_json(const struct cni_err *e, const char *version);
char *cni_version_json(void);

/* The pod side of a previous result (CHECK's prevResult). */
struct cni_prev {
	char pod_mac[MAC_STRLEN];	/* "" when the result has none */
	char host_ifname[IFNAMSIZ];	/* "" when the result has none */
	uint32_t ip;
	uint8_t prefixlen;
};

/* Finds interface ifname with a sandbox in prev, and its IPv4 address.
 * Returns 0 or a CNI code with e set. */
unsigned cni_prev_parse(const cJSON *prev, const char *ifname,
			struct cni_prev *out, struct cni_err *e);

/* "a.b.c.d/len" keeping the host bits (an interface address, not a
 * network). Returns 0 or -1. */
int cni_ipnet_parse(const char *s, uint32_t *ip, uint8_t *len);

#endif
