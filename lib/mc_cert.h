/* SPDX-License-Identifier: MIT */
/* Certificates for the links between clusters, made with libcrypto: one CA
 * per simulation and, per router, a key and a certificate it signs, good
 * for both ends of a TLS connection (serverAuth and clientAuth) and naming
 * the router's node by name and by address. Keys are EC P-256 and written
 * 0600; certificates PEM, 0644. Functions return 0 or -errno with a reason
 * in err. */
#ifndef KNETSIM_MC_CERT_H
#define KNETSIM_MC_CERT_H

#include <stddef.h>
#include <stdint.h>

#define MC_CERT_DAYS 365

struct mc_ca;

/* A new CA whose subject is "CN=<cn>, O=knetsim". Its key stays in memory:
 * nothing outside this process can issue more certificates. */
int mc_ca_new(const char *cn, struct mc_ca **out, char *err, size_t errlen);
void mc_ca_free(struct mc_ca *ca);
/* The CA's certificate (what peers verify against). */
int mc_ca_write(const struct mc_ca *ca, const char *cert_path, char *err,
		size_t errlen);
/* A key (key_path, 0600) and a certificate signed by ca (cert_path):
 * subject CN=<name>, subjectAltName DNS:<name>, IP:<addr> and DNS:<addr>
 * (the last for TLS clients that match host names only, as Qpid Proton
 * does). name: 1 to 63 bytes of [A-Za-z0-9_-]; addr in host order. */
int mc_cert_issue(const struct mc_ca *ca, const char *name, uint32_t addr,
		  const char *cert_path, const char *key_path, char *err,
		  size_t errlen);

#endif
