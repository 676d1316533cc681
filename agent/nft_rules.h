/* SPDX-License-Identifier: MIT */
/* The text of proxy "nft"'s rules (kube-proxy's nftables structure), kept
 * apart from libnftables so it can be tested without a kernel. Everything
 * lives in table "ip knetsim":
 *
 *   map service-ports  ip daddr . meta l4proto . th dport : goto svc-...
 *   map service-ips    ip daddr : goto svc-...   (VIP-only services)
 *   chain services     both vmap lookups; nat prerouting/output jump here
 *   chain svc-<ns>-<name>-<hash>[-<proto><port>]
 *                      one per service port: counter, numgen random mod N
 *                      vmap to the endpoint chains (one endpoint: a goto
 *                      to it, no anonymous map); with no backends it
 *                      rejects (tcp reset / icmp port-unreachable)
 *   chain ep-<svchash>-<hash>
 *                      one per service port and backend: marks hairpin
 *                      traffic, counter, dnat
 *   chain mark-masq    meta mark |= 0x4000
 *   chain nat-postrouting  masquerades marked packets (and clears the mark)
 *
 * Every name is a pure function of the service, so a restarted agent
 * re-adds the same objects ("add" is idempotent) without touching traffic.
 */
#ifndef KNETSIM_AGENT_NFT_RULES_H
#define KNETSIM_AGENT_NFT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy.h"

#define NFT_TABLE     "knetsim"
#define NFT_MASQ_MARK 0x4000u
/* Chain names stay well below the kernel's limit (256). */
#define NFT_CHAIN_MAX 80

/* A growing text buffer; err latches the first failure (-ENOMEM). */
struct nft_buf {
	char *data;
	size_t len, cap;
	int err;
};

void nft_buf_init(struct nft_buf *b);
void nft_buf_free(struct nft_buf *b);
void nft_buf_printf(struct nft_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum nft_form {
	NFT_FORM_CHAINS,  /* the kube-proxy structure above */
	NFT_FORM_LINEAR,  /* one rule per service port in chain services-linear */
};

/* The hash of a service's raw ns/name that its chain names carry. */
uint32_t nft_svc_hash(const char *ns, const char *name);
/* "svc-<ns>-<name>-<hash>": ns and name reduced to [A-Za-z0-9_.-] and
 * bounded; the hash (of the raw ns/name) keeps the name unique. */
void nft_svc_base(const char *ns, const char *name, char out[NFT_CHAIN_MAX]);
/* The chain of port index i (or of the VIP-only form when n_ports is 0). */
void nft_svc_chain(const struct proxy_service *s, size_t i,
		   char out[NFT_CHAIN_MAX]);
/* The endpoint chain of port index i and backend index j. */
void nft_ep_chain(const struct proxy_service *s, size_t i, size_t j,
		  char out[NFT_CHAIN_MAX]);

/* The table skeleton: table, maps, fixed chains and their rules, and the
 * set cluster-cidr holding the cluster's pod network. Safe to apply over
 * an existing table (adoption after a restart): only the fixed chains and
 * that set are rewritten, maps and service chains are kept. The form
 * decides what the nat hooks jump to. */
void nft_rules_init(struct nft_buf *b, enum nft_form form,
		    const struct cidr *cluster);

/* One transaction's worth of commands turning service old (NULL: unknown,
 * e.g. after a restart, so every chain of new is (re)written) into new.
 * Nothing is emitted when they are equal. Services are keyed by ns/name;
 * old and new must have the same key. Returns 0 or -EINVAL. */
int nft_rules_service(struct nft_buf *b, const struct proxy_service *old,
		      const struct proxy_service *new);
/* Removes everything of service old. */
void nft_rules_service_del(struct nft_buf *b, const struct proxy_service *old);

/* The linear form (the course's original, kept for comparison): rewrites
 * chain services-linear with one rule per service port, in the order
 * given:
 *   ip daddr V tcp dport P counter dnat to numgen random mod N map {...}:T */
void nft_rules_linear(struct nft_buf *b, const struct proxy_service *const *svcs,
		      size_t n);

/* What a previous agent left in the table (read once by init), so the
 * first service_set / service_del of each service after a restart can
 * remove that service's leftovers in the same transaction, and a prune
 * after the first resync removes those of services that are gone.
 * Every object is filed under its owner, the service hash its name
 * carries (svc-<base>-<hash>[-<proto><port>], ep-<hash>-*), so finding a
 * service's objects among tens of thousands is a binary search. */
struct nft_inv_chain {
	char name[NFT_CHAIN_MAX];
	uint32_t owner;
	bool gone;                  /* removed by a sweep or a prune */
};

struct nft_elem {
	char map[16];               /* "service-ports" or "service-ips" */
	char key[48];               /* "100.64.10.1 . tcp . 80" or "100.64.10.1" */
	char target[NFT_CHAIN_MAX]; /* the goto chain */
	uint32_t owner;             /* the target's */
	bool gone;
};

struct nft_inventory {
	struct nft_inv_chain *chains;
	size_t n_chains;            /* not gone */
	size_t len_chains, cap_chains;
	struct nft_elem *elems;
	size_t n_elems;             /* not gone */
	size_t len_elems, cap_elems;
	bool sorted;                /* both arrays by owner */
	/* What sweeps and prunes removed since the last commit: entries
	 * (elements with the top bit set) to bring back on a rollback. */
	size_t *undo;
	size_t n_undo, cap_undo;
};

/* Both return 0 or -ENOMEM (-EINVAL when a name does not fit). */
int nft_inventory_add_chain(struct nft_inventory *inv, const char *name);
int nft_inventory_add_elem(struct nft_inventory *inv, const char *map,
			   const char *key, const char *target);
void nft_inventory_free(struct nft_inventory *inv);
/* After the transaction holding the deletions went in: they stay. */
void nft_inventory_commit(struct nft_inventory *inv);
/* After it failed: what was removed since the last commit is back. */
void nft_inventory_rollback(struct nft_inventory *inv);
/* Emits the deletion of what inv holds of service ns/name and keep (the
 * service as now wanted, NULL when it is deleted) does not contain, and
 * forgets every object of ns/name from inv. Objects are recognised by
 * their names: svc-<base>[-<proto><port>] and ep-<svchash>-*. */
void nft_rules_sweep(struct nft_buf *b, struct nft_inventory *inv,
		     const char *ns, const char *name,
		     const struct proxy_service *keep);
/* Emits the deletion of every object of inv whose owner kept() refuses
 * (kept NULL: every object), and forgets them: the leftovers of services
 * deleted while no agent ran. */
void nft_rules_prune(struct nft_buf *b, struct nft_inventory *inv,
		     bool (*kept)(uint32_t owner, void *ctx), void *ctx);

/* Validates what the rule builder relies on (names, ports, protocols,
 * counts). Returns 0 or -EINVAL. */
int nft_service_check(const struct proxy_service *s);

#endif
