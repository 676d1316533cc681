/* SPDX-License-Identifier: MIT */
/* One TLS handshake as a client, from inside a network namespace: whether
 * a peer answers TLS with a certificate the given CA signed for the given
 * name, while presenting our own certificate. For `knetsim link status`
 * (the nginx gateway's peers) and tests. */
#ifndef KNETSIM_TLS_PROBE_H
#define KNETSIM_TLS_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct tls_probe {
	const char *ca_file;     /* trust anchors for the peer */
	const char *cert_file;   /* ours, for peers that require one; NULL: none */
	const char *key_file;
	const char *name;        /* the peer certificate must carry it */
	int timeout_ms;          /* connect and handshake, each */
};

struct tls_probe_result {
	char version[16];        /* "TLSv1.3" */
	char peer[128];          /* the peer certificate's subject CN */
};

/* Connects from namespace nsfd (-1: ours) to addr:port (host order) and
 * completes a handshake. 0, or -errno with the reason (refused, timed
 * out, not TLS, certificate not trusted, wrong name...) in err. */
int tls_probe_run(int nsfd, uint32_t addr, uint16_t port,
		  const struct tls_probe *p, struct tls_probe_result *r,
		  char *err, size_t errlen);

#endif
