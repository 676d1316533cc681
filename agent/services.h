/* SPDX-License-Identifier: MIT */
/* Services as Kubernetes-shaped objects in etcd, and their backends
 * derived from the pods that exist (pure: no I/O).
 *
 * /knetsim/services/<namespace>/<name>:
 *   {"apiVersion":"v1","kind":"Service",
 *    "metadata":{"name":N,"namespace":NS,"labels":{..}},
 *    "spec":{"clusterIP":"100.64.10.1",
 *            "ports":[{"name":..,"port":80,"targetPort":8080,"protocol":"TCP"}],
 *            "selector":{"app":"web"}   (or)   "pods":["c2","c3"],
 *            "algorithm":"random"|"maglev"}}
 *
 * No ports is the course's VIP-only form (every protocol balanced).
 * Exactly one of selector (labels of pods in the service's namespace) and
 * pods (names: a knetsim extension) chooses the backends; a pod counts
 * once it has a status.podIP.
 *
 * A svc_store mirrors the services and pods of one etcd and remembers each
 * service's computed proxy_service, so every change of either kind yields
 * just the services whose computed form changed. */
#ifndef KNETSIM_AGENT_SERVICES_H
#define KNETSIM_AGENT_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd.h"
#include "proxy.h"

#define SVC_ROOT          "/knetsim/"
#define SVC_PREFIX        "/knetsim/services/"
#define SVC_POD_PREFIX    "/knetsim/pods/"
#define SVC_NAMESPACE     "default"
#define SVC_LABELS_MAX    16
#define SVC_PODS_MAX      64
#define SVC_LABEL_MAX     63

struct svc_label {
	char key[SVC_LABEL_MAX + 1];
	char value[SVC_LABEL_MAX + 1];
};

struct svc_spec {
	char ns[PROXY_NAME_MAX + 1];
	char name[PROXY_NAME_MAX + 1];
	uint32_t vip;                           /* host order */
	struct proxy_port ports[PROXY_PORTS_MAX];
	size_t n_ports;
	enum proxy_algo algo;
	bool by_name;                           /* pods, else selector */
	struct svc_label selector[SVC_LABELS_MAX];
	size_t n_selector;
	char pods[SVC_PODS_MAX][PROXY_NAME_MAX + 1];
	size_t n_pods;
};

struct svc_pod {
	char ns[PROXY_NAME_MAX + 1];
	char name[PROXY_NAME_MAX + 1];
	struct svc_label labels[SVC_LABELS_MAX];
	size_t n_labels;
	uint32_t ip;                            /* 0: no podIP yet */
};

/* Parses and validates a service object; 0, or -EINVAL with why in err. */
int svc_parse(const char *json, size_t len, struct svc_spec *s, char *err,
	      size_t errlen);
/* The object for s (malloc'd JSON), NULL when out of memory. */
char *svc_to_json(const struct svc_spec *s);
/* "/knetsim/services/<ns>/<name>" into buf; -ENAMETOOLONG. */
int svc_key(const char *ns, const char *name, char *buf, size_t len);
/* The fields of a pod object a service needs; 0 or -EINVAL. */
int svc_pod_parse(const char *json, size_t len, struct svc_pod *p, char *err,
		  size_t errlen);
/* Whether pod p (any podIP) is one of service s's. */
bool svc_selects(const struct svc_spec *s, const struct svc_pod *p);
/* s with its backends: the podIPs of the pods it selects, sorted, unique
 * (at most PROXY_BACKENDS_MAX). */
void svc_compute(const struct svc_spec *s, const struct svc_pod *pods,
		 size_t n_pods, struct proxy_service *out);
bool svc_same(const struct proxy_service *a, const struct proxy_service *b);
/* Splits "<prefix><ns>/<name>" of a service (kind 's') or pod ('p') key;
 * -EINVAL when key is neither. */
int svc_key_parse(const char *key, char *kind, char *ns, char *name);
/* "tcp"/"udp" (any case) -> IPPROTO_*; -EINVAL. */
int svc_proto_parse(const char *s, uint8_t *proto);
const char *svc_proto_name(uint8_t proto);

/* ---- the store ---- */

struct svc_change {
	bool deleted;                   /* service_del(ns, name), else set */
	struct proxy_service svc;       /* ns and name always filled */
};

struct svc_store;

struct svc_store *svc_store_new(void);
void svc_store_free(struct svc_store *st);
/* Applies one PUT or DELETE of a service or pod key (other keys and
 * RESYNC give no change). *ch (malloc'd, NULL when *n is 0; free()) lists
 * the services whose computed form changed. Invalid service objects are
 * treated as absent (a warning in err when err is not NULL and err[0]
 * set). 0 or -ENOMEM. */
int svc_store_event(struct svc_store *st, const struct etcd_event *ev,
		    struct svc_change **ch, size_t *n, char *err,
		    size_t errlen);
/* Replaces the whole content with kvs (a range read of SVC_ROOT) and
 * lists the differences with the previous content. 0 or -ENOMEM. */
int svc_store_reset(struct svc_store *st, const struct etcd_kv *kvs,
		    size_t n_kvs, struct svc_change **ch, size_t *n);
size_t svc_store_count(const struct svc_store *st);
/* Service i (0 <= i < count) as last computed; NULL past the end. The
 * order changes when services are removed. */
const struct proxy_service *svc_store_at(const struct svc_store *st,
					 size_t i);

#endif
