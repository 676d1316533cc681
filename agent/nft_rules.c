// SPDX-License-Identifier: MIT
/* The rule text of proxy "nft"; see nft_rules.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "nft_rules.h"

#define T "ip " NFT_TABLE

/* Bounds of the readable parts of a service chain's name. */
#define NS_PART_MAX   20
#define NAME_PART_MAX 24

void nft_buf_init(struct nft_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void nft_buf_free(struct nft_buf *b)
{
	free(b->data);
	nft_buf_init(b);
}

void nft_buf_printf(struct nft_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;

		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->data, cap);

		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 16777619u;
	}
	return h;
}

uint32_t nft_svc_hash(const char *ns, const char *name)
{
	uint32_t h = 2166136261u;

	h = fnv1a(h, ns, strlen(ns));
	h = fnv1a(h, "/", 1);
	return fnv1a(h, name, strlen(name));
}

static size_t sanitise(char *out, const char *in, size_t max)
{
	size_t n = 0;

	for (; *in && n < max; in++) {
		char c = *in;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			  c == '.';
		out[n++] = ok ? c : '_';
	}
	out[n] = '\0';
	return n;
}

void nft_svc_base(const char *ns, const char *name, char out[NFT_CHAIN_MAX])
{
	char a[NS_PART_MAX + 1], b[NAME_PART_MAX + 1];

	sanitise(a, ns, NS_PART_MAX);
	sanitise(b, name, NAME_PART_MAX);
	snprintf(out, NFT_CHAIN_MAX, "svc-%s-%s-%08x", a, b,
		 nft_svc_hash(ns, name));
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void nft_svc_chain(const struct proxy_service *s, size_t i,
		   char out[NFT_CHAIN_MAX])
{
	char base[NFT_CHAIN_MAX];

	nft_svc_base(s->ns, s->name, base);
	if (!s->n_ports) {
		snprintf(out, NFT_CHAIN_MAX, "%s", base);
		return;
	}
	snprintf(out, NFT_CHAIN_MAX, "%.60s-%s%u", base,
		 proto_name(s->ports[i].proto), s->ports[i].port);
}

void nft_ep_chain(const struct proxy_service *s, size_t i, size_t j,
		  char out[NFT_CHAIN_MAX])
{
	uint32_t h = 2166136261u, sh = nft_svc_hash(s->ns, s->name);
	uint32_t ip = s->backends[j];

	h = fnv1a(h, &sh, sizeof(sh));
	if (s->n_ports) {
		const struct proxy_port *p = &s->ports[i];

		h = fnv1a(h, &p->proto, sizeof(p->proto));
		h = fnv1a(h, &p->port, sizeof(p->port));
		h = fnv1a(h, &p->target_port, sizeof(p->target_port));
	}
	h = fnv1a(h, &ip, sizeof(ip));
	snprintf(out, NFT_CHAIN_MAX, "ep-%08x-%08x", sh, h);
}

static void ip_str(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
}

int nft_service_check(const struct proxy_service *s)
{
	size_t i;

	if (!s || !s->ns[0] || !s->name[0] ||
	    strnlen(s->ns, sizeof(s->ns)) == sizeof(s->ns) ||
	    strnlen(s->name, sizeof(s->name)) == sizeof(s->name) ||
	    s->n_ports > PROXY_PORTS_MAX || s->n_backends > PROXY_BACKENDS_MAX ||
	    !s->vip)
		return -EINVAL;
	for (i = 0; i < s->n_ports; i++) {
		const struct proxy_port *p = &s->ports[i];

		if (!p->port || !p->target_port ||
		    (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
			return -EINVAL;
	}
	for (i = 0; i < s->n_backends; i++)
		if (!s->backends[i])
			return -EINVAL;
	return 0;
}

void nft_rules_init(struct nft_buf *b, enum nft_form form,
		    const struct cidr *cluster)
{
	char net[CIDR_STRLEN];

	const char *target = form == NFT_FORM_LINEAR ? "services-linear"
						       : "services";

	nft_buf_printf(b,
		"add table " T "\n"
		"add map " T " service-ports { type ipv4_addr . inet_proto . inet_service : verdict ; }\n"
		"add map " T " service-ips { type ipv4_addr : verdict ; }\n"
		"add chain " T " services\n"
		"add chain " T " services-linear\n"
		"add chain " T " mark-masq\n"
		/* nft 1.0.6 refuses the name "dstnat" on the output hook:
		 * numbers everywhere (listed back as dstnat / srcnat). */
		"add chain " T " nat-prerouting { type nat hook prerouting priority -100 ; policy accept ; }\n"
		"add chain " T " nat-output { type nat hook output priority -100 ; policy accept ; }\n"
		"add chain " T " nat-postrouting { type nat hook postrouting priority 100 ; policy accept ; }\n"
		"flush chain " T " services\n"
		"add rule " T " services ip daddr . meta l4proto . th dport vmap @service-ports\n"
		"add rule " T " services ip daddr vmap @service-ips\n"
		"%s"
		"flush chain " T " mark-masq\n"
		"add rule " T " mark-masq meta mark set meta mark | 0x%x\n"
		"flush chain " T " nat-prerouting\n"
		"add rule " T " nat-prerouting jump %s\n"
		"flush chain " T " nat-output\n"
		"add rule " T " nat-output jump %s\n"
		"flush chain " T " nat-postrouting\n"
		"add rule " T " nat-postrouting meta mark & 0x%x == 0 return\n"
		"add rule " T " nat-postrouting meta mark set meta mark ^ 0x%x\n"
		"add rule " T " nat-postrouting counter masquerade fully-random\n",
		/* a previous agent of the other form: its chain goes out
		 * of use with the hooks below; the linear form's own is
		 * rewritten by its first change or prune */
		form == NFT_FORM_LINEAR ? "" :
			"flush chain " T " services-linear\n",
		NFT_MASQ_MARK, target, target, NFT_MASQ_MARK, NFT_MASQ_MARK);
	/* kube-proxy's --cluster-cidr: the worker's own connections are
	 * masqueraded only from addresses outside it. */
	nft_buf_printf(b,
		"add set " T " cluster-cidr { type ipv4_addr ; flags interval ; }\n"
		"flush set " T " cluster-cidr\n");
	if (cluster && cluster->len)
		nft_buf_printf(b, "add element " T " cluster-cidr { %s }\n",
			       cidr_format(cluster, net));
}

/* ---- service chains ---- */

static size_t n_chains(const struct proxy_service *s)
{
	return s->n_ports ? s->n_ports : 1;
}

/* Is endpoint chain name among those of s? */
static bool has_ep(const struct proxy_service *s, const char *name)
{
	char c[NFT_CHAIN_MAX];
	size_t i, j;

	for (i = 0; i < n_chains(s); i++)
		for (j = 0; j < s->n_backends; j++) {
			nft_ep_chain(s, i, j, c);
			if (!strcmp(c, name))
				return true;
		}
	return false;
}

/* Index of port p of a among b's ports (VIP-only: both portless), or -1. */
static long find_port(const struct proxy_service *a, size_t i,
		      const struct proxy_service *b)
{
	size_t k;

	if (!a->n_ports)
		return b->n_ports ? -1 : 0;
	for (k = 0; k < b->n_ports; k++)
		if (b->ports[k].port == a->ports[i].port &&
		    b->ports[k].proto == a->ports[i].proto)
			return (long)k;
	return -1;
}

static bool same_port_chain(const struct proxy_service *a, size_t i,
			    const struct proxy_service *b, size_t k)
{
	char ca[NFT_CHAIN_MAX], cb[NFT_CHAIN_MAX], ea[NFT_CHAIN_MAX],
	     eb[NFT_CHAIN_MAX];
	size_t j;

	if (a->n_backends != b->n_backends)
		return false;
	if (a->n_ports && a->ports[i].target_port != b->ports[k].target_port)
		return false;
	nft_svc_chain(a, i, ca);
	nft_svc_chain(b, k, cb);
	if (strcmp(ca, cb))
		return false;
	for (j = 0; j < a->n_backends; j++) {
		nft_ep_chain(a, i, j, ea);
		nft_ep_chain(b, k, j, eb);
		if (strcmp(ea, eb))
			return false;
	}
	return true;
}

static void element(struct nft_buf *b, const char *verb,
		    const struct proxy_service *s, size_t i)
{
	char vip[16], chain[NFT_CHAIN_MAX];

	ip_str(s->vip, vip);
	nft_svc_chain(s, i, chain);
	if (s->n_ports)
		nft_buf_printf(b, "%s element " T " service-ports { %s . %s . %u : goto %s }\n",
			       verb, vip, proto_name(s->ports[i].proto),
			       s->ports[i].port, chain);
	else
		nft_buf_printf(b, "%s element " T " service-ips { %s : goto %s }\n",
			       verb, vip, chain);
}

static void ep_write(struct nft_buf *b, const struct proxy_service *s,
		     size_t i, size_t j)
{
	char chain[NFT_CHAIN_MAX], ip[16];

	nft_ep_chain(s, i, j, chain);
	ip_str(s->backends[j], ip);
	nft_buf_printf(b, "add chain " T " %s\nflush chain " T " %s\n"
		       "add rule " T " %s ip saddr %s jump mark-masq\n",
		       chain, chain, chain, ip);
	if (s->n_ports)
		nft_buf_printf(b, "add rule " T " %s meta l4proto %s counter dnat to %s:%u\n",
			       chain, proto_name(s->ports[i].proto), ip,
			       s->ports[i].target_port);
	else
		nft_buf_printf(b, "add rule " T " %s counter dnat to %s\n",
			       chain, ip);
}

static void reject_rules(struct nft_buf *b, const struct proxy_service *s,
			 size_t i, const char *chain)
{
	if (!s->n_ports || s->ports[i].proto == IPPROTO_TCP)
		nft_buf_printf(b, "add rule " T " %s meta l4proto tcp counter reject with tcp reset\n",
			       chain);
	if (!s->n_ports || s->ports[i].proto == IPPROTO_UDP)
		nft_buf_printf(b, "add rule " T " %s counter reject with icmp type port-unreachable\n",
			       chain);
}

static void svc_write(struct nft_buf *b, const struct proxy_service *s,
		      size_t i)
{
	char chain[NFT_CHAIN_MAX], ep[NFT_CHAIN_MAX];
	size_t j;

	nft_svc_chain(s, i, chain);
	nft_buf_printf(b, "add chain " T " %s\nflush chain " T " %s\n",
		       chain, chain);
	if (!s->n_backends) {
		reject_rules(b, s, i, chain);
		return;
	}
	/* The worker itself as the client, from an address outside the
	 * cluster (its underlay address, say): the backend's reply would
	 * not come back through this worker's conntrack. From its overlay
	 * address it is left alone, as kube-proxy leaves in-cluster
	 * sources: masquerading with fully random ports would hand the
	 * backend ports still in TIME_WAIT there under another timestamp
	 * offset (PAWS drops the SYN; a one-second stall per hit). */
	nft_buf_printf(b, "add rule " T " %s fib saddr type local ip saddr != @cluster-cidr jump mark-masq\n",
		       chain);
	/* One endpoint: straight to it. An anonymous map per service would
	 * cost more than the choice: the kernel finds a table's sets by
	 * name in a list, so with ten thousand of them every set lookup
	 * of a transaction (each map element added) walks them all. */
	if (s->n_backends == 1) {
		nft_ep_chain(s, i, 0, ep);
		nft_buf_printf(b, "add rule " T " %s counter goto %s\n", chain, ep);
		return;
	}
	nft_buf_printf(b, "add rule " T " %s counter numgen random mod %zu vmap {",
		       chain, s->n_backends);
	for (j = 0; j < s->n_backends; j++) {
		nft_ep_chain(s, i, j, ep);
		nft_buf_printf(b, "%s %zu : goto %s", j ? "," : "", j, ep);
	}
	nft_buf_printf(b, " }\n");
}

static void svc_delete(struct nft_buf *b, const struct proxy_service *s,
		       size_t i)
{
	char chain[NFT_CHAIN_MAX];

	nft_svc_chain(s, i, chain);
	nft_buf_printf(b, "flush chain " T " %s\ndelete chain " T " %s\n",
		       chain, chain);
}

static bool same_key(const struct proxy_service *a, const struct proxy_service *b)
{
	return !strcmp(a->ns, b->ns) && !strcmp(a->name, b->name);
}

int nft_rules_service(struct nft_buf *b, const struct proxy_service *old,
		      const struct proxy_service *new)
{
	char c[NFT_CHAIN_MAX];
	size_t i, j;
	long k;

	if (nft_service_check(new) || (old && (nft_service_check(old) ||
					       !same_key(old, new))))
		return -EINVAL;

	/* 1. endpoint chains that are new */
	for (i = 0; i < n_chains(new); i++)
		for (j = 0; j < new->n_backends; j++) {
			nft_ep_chain(new, i, j, c);
			if (!old || !has_ep(old, c))
				ep_write(b, new, i, j);
		}
	/* 2. service chains that are new or changed */
	for (i = 0; i < n_chains(new); i++) {
		k = old ? find_port(new, i, old) : -1;
		if (k < 0 || !same_port_chain(new, i, old, (size_t)k))
			svc_write(b, new, i);
	}
	/* 3. map elements: old ones that go, then new ones */
	if (old)
		for (i = 0; i < n_chains(old); i++) {
			k = find_port(old, i, new);
			if (k < 0 || old->vip != new->vip)
				element(b, "delete", old, i);
		}
	for (i = 0; i < n_chains(new); i++) {
		k = old ? find_port(new, i, old) : -1;
		if (k < 0 || old->vip != new->vip)
			element(b, "add", new, i);
	}
	if (!old)
		return b->err;
	/* 4. service chains that are gone */
	for (i = 0; i < n_chains(old); i++)
		if (find_port(old, i, new) < 0)
			svc_delete(b, old, i);
	/* 5. endpoint chains that are gone */
	for (i = 0; i < n_chains(old); i++)
		for (j = 0; j < old->n_backends; j++) {
			nft_ep_chain(old, i, j, c);
			if (!has_ep(new, c))
				nft_buf_printf(b, "delete chain " T " %s\n", c);
		}
	return b->err;
}

void nft_rules_service_del(struct nft_buf *b, const struct proxy_service *old)
{
	char c[NFT_CHAIN_MAX];
	size_t i, j;

	for (i = 0; i < n_chains(old); i++)
		element(b, "delete", old, i);
	for (i = 0; i < n_chains(old); i++)
		svc_delete(b, old, i);
	for (i = 0; i < n_chains(old); i++)
		for (j = 0; j < old->n_backends; j++) {
			nft_ep_chain(old, i, j, c);
			nft_buf_printf(b, "delete chain " T " %s\n", c);
		}
}

/* ---- linear form ---- */

static void linear_rule(struct nft_buf *b, const struct proxy_service *s,
			size_t i)
{
	char vip[16], ip[16];
	size_t j;

	ip_str(s->vip, vip);
	nft_buf_printf(b, "add rule " T " services-linear ip daddr %s", vip);
	if (s->n_ports)
		nft_buf_printf(b, " %s dport %u", proto_name(s->ports[i].proto),
			       s->ports[i].port);
	if (!s->n_backends) {
		if (!s->n_ports || s->ports[i].proto == IPPROTO_TCP)
			nft_buf_printf(b, " meta l4proto tcp counter reject with tcp reset\n");
		else
			nft_buf_printf(b, " counter reject with icmp type port-unreachable\n");
		if (!s->n_ports)
			nft_buf_printf(b, "add rule " T " services-linear ip daddr %s counter reject with icmp type port-unreachable\n",
				       vip);
		return;
	}
	if (s->n_backends == 1) {
		/* one backend: no choice to make */
		ip_str(s->backends[0], ip);
		if (s->n_ports)
			nft_buf_printf(b, " counter dnat to %s:%u\n", ip,
				       s->ports[i].target_port);
		else
			nft_buf_printf(b, " counter dnat to %s\n", ip);
		return;
	}
	nft_buf_printf(b, " counter dnat to numgen random mod %zu map {",
		       s->n_backends);
	for (j = 0; j < s->n_backends; j++) {
		ip_str(s->backends[j], ip);
		nft_buf_printf(b, "%s %zu : %s", j ? "," : "", j, ip);
	}
	if (s->n_ports)
		nft_buf_printf(b, " } : %u\n", s->ports[i].target_port);
	else
		nft_buf_printf(b, " }\n");
}

void nft_rules_linear(struct nft_buf *b, const struct proxy_service *const *svcs,
		      size_t n)
{
	size_t s, i;

	nft_buf_printf(b, "flush chain " T " services-linear\n");
	for (s = 0; s < n; s++) {
		if (nft_service_check(svcs[s]))
			continue;
		for (i = 0; i < n_chains(svcs[s]); i++)
			linear_rule(b, svcs[s], i);
	}
}

/* ---- leftovers of a previous agent ---- */

#define UNDO_ELEM ((size_t)1 << (sizeof(size_t) * 8 - 1))

static bool hex8(const char *p, size_t len, uint32_t *out)
{
	uint32_t v = 0;

	if (len != 8)
		return false;
	for (size_t i = 0; i < 8; i++) {
		char c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

static bool digits(const char *p)
{
	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* The service hash one of our chain names carries; 0 when it has none
 * (such a chain belongs to no service and is removed by a prune). */
static uint32_t chain_owner(const char *name)
{
	const char *end, *dash;
	uint32_t h = 0;

	if (!strncmp(name, "ep-", 3)) {
		dash = strchr(name + 3, '-');
		if (!dash || !hex8(name + 3, (size_t)(dash - name - 3), &h))
			return 0;
		return h;
	}
	if (strncmp(name, "svc-", 4))
		return 0;
	end = name + strlen(name);
	dash = strrchr(name, '-');
	if ((!strncmp(dash, "-tcp", 4) || !strncmp(dash, "-udp", 4)) &&
	    digits(dash + 4))
		end = dash;
	if (end - name < 4 + 9 || end[-9] != '-' || !hex8(end - 8, 8, &h))
		return 0;
	return h;
}

int nft_inventory_add_chain(struct nft_inventory *inv, const char *name)
{
	struct nft_inv_chain *c;

	if (strlen(name) >= NFT_CHAIN_MAX)
		return -EINVAL;
	if (inv->len_chains == inv->cap_chains) {
		size_t cap = inv->cap_chains ? inv->cap_chains * 2 : 64;
		void *p = realloc(inv->chains, cap * sizeof(*inv->chains));

		if (!p)
			return -ENOMEM;
		inv->chains = p;
		inv->cap_chains = cap;
	}
	c = &inv->chains[inv->len_chains++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->owner = chain_owner(name);
	c->gone = false;
	inv->n_chains++;
	inv->sorted = false;
	nft_inventory_commit(inv);
	return 0;
}

int nft_inventory_add_elem(struct nft_inventory *inv, const char *map,
			   const char *key, const char *target)
{
	struct nft_elem *e;

	if (strlen(map) >= sizeof(e->map) || strlen(key) >= sizeof(e->key) ||
	    strlen(target) >= sizeof(e->target))
		return -EINVAL;
	if (inv->len_elems == inv->cap_elems) {
		size_t cap = inv->cap_elems ? inv->cap_elems * 2 : 64;
		void *p = realloc(inv->elems, cap * sizeof(*inv->elems));

		if (!p)
			return -ENOMEM;
		inv->elems = p;
		inv->cap_elems = cap;
	}
	e = &inv->elems[inv->len_elems++];
	snprintf(e->map, sizeof(e->map), "%s", map);
	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->target, sizeof(e->target), "%s", target);
	e->owner = chain_owner(target);
	e->gone = false;
	inv->n_elems++;
	inv->sorted = false;
	nft_inventory_commit(inv);
	return 0;
}

void nft_inventory_free(struct nft_inventory *inv)
{
	free(inv->chains);
	free(inv->elems);
	free(inv->undo);
	memset(inv, 0, sizeof(*inv));
}

void nft_inventory_commit(struct nft_inventory *inv)
{
	inv->n_undo = 0;
}

void nft_inventory_rollback(struct nft_inventory *inv)
{
	for (size_t i = 0; i < inv->n_undo; i++) {
		size_t k = inv->undo[i];

		if (k & UNDO_ELEM) {
			inv->elems[k & ~UNDO_ELEM].gone = false;
			inv->n_elems++;
		} else {
			inv->chains[k].gone = false;
			inv->n_chains++;
		}
	}
	inv->n_undo = 0;
}

/* Marks entry k gone, remembering it for a rollback; -ENOMEM. */
static int forget(struct nft_inventory *inv, size_t k)
{
	if (inv->n_undo == inv->cap_undo) {
		size_t cap = inv->cap_undo ? inv->cap_undo * 2 : 64;
		size_t *p = realloc(inv->undo, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		inv->undo = p;
		inv->cap_undo = cap;
	}
	inv->undo[inv->n_undo++] = k;
	if (k & UNDO_ELEM) {
		inv->elems[k & ~UNDO_ELEM].gone = true;
		inv->n_elems--;
	} else {
		inv->chains[k].gone = true;
		inv->n_chains--;
	}
	return 0;
}

static void forget_or_fail(struct nft_buf *b, struct nft_inventory *inv,
			   size_t k)
{
	if (forget(inv, k) && !b->err)
		b->err = -ENOMEM;
}

static int cmp_chain(const void *a, const void *b)
{
	uint32_t x = ((const struct nft_inv_chain *)a)->owner;
	uint32_t y = ((const struct nft_inv_chain *)b)->owner;

	return x < y ? -1 : x > y;
}

static int cmp_elem(const void *a, const void *b)
{
	uint32_t x = ((const struct nft_elem *)a)->owner;
	uint32_t y = ((const struct nft_elem *)b)->owner;

	return x < y ? -1 : x > y;
}

/* Sorting moves entries: only with nothing to roll back. */
static void sort_inventory(struct nft_inventory *inv)
{
	if (inv->sorted)
		return;
	nft_inventory_commit(inv);
	if (inv->len_chains)
		qsort(inv->chains, inv->len_chains, sizeof(*inv->chains), cmp_chain);
	if (inv->len_elems)
		qsort(inv->elems, inv->len_elems, sizeof(*inv->elems), cmp_elem);
	inv->sorted = true;
}

/* The first index of a sorted array whose owner is not below h. */
#define LOWER_BOUND(arr, len, h) ({					\
	size_t lo_ = 0, hi_ = (len);					\
	while (lo_ < hi_) {						\
		size_t mid_ = lo_ + (hi_ - lo_) / 2;			\
		if ((arr)[mid_].owner < (h))				\
			lo_ = mid_ + 1;					\
		else							\
			hi_ = mid_;					\
	}								\
	lo_;								\
})

/* Is chain a service chain of the service whose base is base? */
static bool owns_svc(const char *base, const char *chain)
{
	size_t n = strlen(base);

	if (strncmp(chain, base, n))
		return false;
	if (!chain[n])
		return true;
	return (!strncmp(chain + n, "-tcp", 4) || !strncmp(chain + n, "-udp", 4)) &&
	       digits(chain + n + 4);
}

static bool keeps_chain(const struct proxy_service *keep, const char *chain)
{
	char c[NFT_CHAIN_MAX];
	size_t i;

	if (!keep)
		return false;
	for (i = 0; i < n_chains(keep); i++) {
		nft_svc_chain(keep, i, c);
		if (!strcmp(c, chain))
			return true;
	}
	return has_ep(keep, chain);
}

static bool keeps_elem(const struct proxy_service *keep,
		       const struct nft_elem *e)
{
	char key[48], vip[16];
	size_t i;

	if (!keep)
		return false;
	ip_str(keep->vip, vip);
	if (!keep->n_ports)
		return !strcmp(e->map, "service-ips") && !strcmp(e->key, vip);
	if (strcmp(e->map, "service-ports"))
		return false;
	for (i = 0; i < keep->n_ports; i++) {
		snprintf(key, sizeof(key), "%s . %s . %u", vip,
			 proto_name(keep->ports[i].proto), keep->ports[i].port);
		if (!strcmp(key, e->key))
			return true;
	}
	return false;
}

static void delete_elem(struct nft_buf *b, const struct nft_elem *e)
{
	nft_buf_printf(b, "delete element " T " %s { %s }\n", e->map, e->key);
}

/* Service chains hold the jumps to endpoint chains: flushed first. */
static void delete_svc_chain(struct nft_buf *b, const char *c)
{
	nft_buf_printf(b, "flush chain " T " %s\ndelete chain " T " %s\n", c, c);
}

void nft_rules_sweep(struct nft_buf *b, struct nft_inventory *inv,
		     const char *ns, const char *name,
		     const struct proxy_service *keep)
{
	char base[NFT_CHAIN_MAX], ep[NFT_CHAIN_MAX];
	uint32_t h = nft_svc_hash(ns, name);
	size_t i, first_e, first_c;

	if (!inv->n_chains && !inv->n_elems)
		return;
	sort_inventory(inv);
	nft_svc_base(ns, name, base);
	snprintf(ep, sizeof(ep), "ep-%08x-", h);
	first_e = LOWER_BOUND(inv->elems, inv->len_elems, h);
	first_c = LOWER_BOUND(inv->chains, inv->len_chains, h);
	for (i = first_e; i < inv->len_elems && inv->elems[i].owner == h; i++) {
		struct nft_elem *e = &inv->elems[i];

		if (e->gone || !owns_svc(base, e->target))
			continue;
		if (!keeps_elem(keep, e))
			delete_elem(b, e);
		forget_or_fail(b, inv, i | UNDO_ELEM);
	}
	for (i = first_c; i < inv->len_chains && inv->chains[i].owner == h; i++) {
		const char *c = inv->chains[i].name;

		if (!inv->chains[i].gone && owns_svc(base, c) && !keeps_chain(keep, c))
			delete_svc_chain(b, c);
	}
	for (i = first_c; i < inv->len_chains && inv->chains[i].owner == h; i++) {
		const char *c = inv->chains[i].name;

		if (!inv->chains[i].gone && !strncmp(c, ep, strlen(ep)) &&
		    !keeps_chain(keep, c))
			nft_buf_printf(b, "delete chain " T " %s\n", c);
	}
	for (i = first_c; i < inv->len_chains && inv->chains[i].owner == h; i++) {
		const char *c = inv->chains[i].name;

		if (!inv->chains[i].gone &&
		    (owns_svc(base, c) || !strncmp(c, ep, strlen(ep))))
			forget_or_fail(b, inv, i);
	}
}

static bool prunes(const struct nft_inventory *inv, bool elem, size_t i,
		   bool (*kept)(uint32_t owner, void *ctx), void *ctx)
{
	uint32_t owner = elem ? inv->elems[i].owner : inv->chains[i].owner;
	bool gone = elem ? inv->elems[i].gone : inv->chains[i].gone;

	return !gone && (!kept || !kept(owner, ctx));
}

void nft_rules_prune(struct nft_buf *b, struct nft_inventory *inv,
		     bool (*kept)(uint32_t owner, void *ctx), void *ctx)
{
	size_t i;

	for (i = 0; i < inv->len_elems; i++)
		if (prunes(inv, true, i, kept, ctx)) {
			delete_elem(b, &inv->elems[i]);
			forget_or_fail(b, inv, i | UNDO_ELEM);
		}
	for (i = 0; i < inv->len_chains; i++)
		if (prunes(inv, false, i, kept, ctx) &&
		    !strncmp(inv->chains[i].name, "svc-", 4))
			delete_svc_chain(b, inv->chains[i].name);
	for (i = 0; i < inv->len_chains; i++)
		if (prunes(inv, false, i, kept, ctx) &&
		    strncmp(inv->chains[i].name, "svc-", 4))
			nft_buf_printf(b, "delete chain " T " %s\n",
				       inv->chains[i].name);
	for (i = 0; i < inv->len_chains; i++)
		if (prunes(inv, false, i, kept, ctx))
			forget_or_fail(b, inv, i);
}
