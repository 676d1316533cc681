// SPDX-License-Identifier: MIT
/* Certificates for the links between clusters (lib/mc_cert.c) and the TLS
 * probe of `knetsim link status` (lib/tls_probe.c): a certificate the CA
 * issued verifies against it for both TLS roles and names its node; keys
 * are 0600; a probe against a TLS server on loopback (in this process)
 * succeeds with the right CA and name and fails, saying why, otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fsutil.h"
#include "mc_cert.h"
#include "tls_probe.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define LOOPBACK IP(127, 0, 0, 1)

struct files {
	char dir[64];
	char ca[128], cert[128], key[128];       /* CA, C0w1's */
	char cert2[128], key2[128];              /* C1w1's */
	char other_ca[128], other[128], other_key[128]; /* another CA's */
};

static int setup(void **state)
{
	struct files *f = calloc(1, sizeof(*f));
	struct mc_ca *ca, *other;
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/knetsim-mc-cert-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->ca, sizeof(f->ca), "%s/ca.crt", f->dir);
	snprintf(f->cert, sizeof(f->cert), "%s/c0.crt", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/c0.key", f->dir);
	snprintf(f->cert2, sizeof(f->cert2), "%s/c1.crt", f->dir);
	snprintf(f->key2, sizeof(f->key2), "%s/c1.key", f->dir);
	snprintf(f->other_ca, sizeof(f->other_ca), "%s/other-ca.crt", f->dir);
	snprintf(f->other, sizeof(f->other), "%s/other.crt", f->dir);
	snprintf(f->other_key, sizeof(f->other_key), "%s/other.key", f->dir);
	if (mc_ca_new("unit-ca", &ca, err, sizeof(err)) ||
	    mc_ca_write(ca, f->ca, err, sizeof(err)) ||
	    mc_cert_issue(ca, "C0w1", IP(10, 0, 0, 1), f->cert, f->key, err,
			  sizeof(err)) ||
	    mc_cert_issue(ca, "C1w1", IP(10, 0, 0, 7), f->cert2, f->key2, err,
			  sizeof(err)) ||
	    mc_ca_new("other-ca", &other, err, sizeof(err)) ||
	    mc_ca_write(other, f->other_ca, err, sizeof(err)) ||
	    mc_cert_issue(other, "C0w1", IP(10, 0, 0, 1), f->other,
			  f->other_key, err, sizeof(err)))
		fail_msg("%s", err);
	mc_ca_free(ca);
	mc_ca_free(other);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct files *f = *state;

	rm_rf(f->dir);
	free(f);
	return 0;
}

static X509 *load_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *k;

	assert_non_null(fp);
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(k);
	return k;
}

/* X509_verify_cert of cert against ca for a TLS purpose. */
static int verify(const char *ca_path, const char *cert_path, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *ca = load_cert(ca_path), *x = load_cert(cert_path);
	int ok;

	assert_true(X509_STORE_add_cert(store, ca));
	assert_true(X509_STORE_CTX_init(ctx, store, x, NULL));
	X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	X509_free(x);
	ERR_clear_error();
	return ok;
}

static void test_issued_verifies(void **state)
{
	struct files *f = *state;
	X509 *x = load_cert(f->cert);
	EVP_PKEY *k = load_key(f->key);

	assert_int_equal(verify(f->ca, f->cert, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_equal(verify(f->ca, f->cert, X509_PURPOSE_SSL_CLIENT), 1);
	assert_int_equal(verify(f->ca, f->cert2, X509_PURPOSE_SSL_SERVER), 1);
	/* Not against another simulation's CA. */
	assert_int_not_equal(verify(f->other_ca, f->cert, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_not_equal(verify(f->ca, f->other, X509_PURPOSE_SSL_CLIENT), 1);
	/* Names: node name, address, and the address as a DNS name. */
	assert_int_equal(X509_check_host(x, "C0w1", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "10.0.0.1", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.1", 0), 1);
	assert_int_not_equal(X509_check_host(x, "C1w1", 0, 0, NULL), 1);
	assert_int_not_equal(X509_check_ip_asc(x, "10.0.0.7", 0), 1);
	assert_int_equal(X509_check_private_key(x, k), 1);
	assert_int_equal(X509_check_ca(x), 0);
	X509_free(x);
	EVP_PKEY_free(k);
	x = load_cert(f->ca);
	assert_int_not_equal(X509_check_ca(x), 0);
	X509_free(x);
}

static void test_file_modes(void **state)
{
	struct files *f = *state;
	struct stat st;

	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->cert, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(stat(f->ca, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_bad_input(void **state)
{
	struct files *f = *state;
	char err[256], path[160], key[160];
	struct mc_ca *ca;

	assert_int_equal(mc_ca_new("", &ca, err, sizeof(err)), -EINVAL);
	assert_null(ca);
	assert_int_equal(mc_ca_new("a b", &ca, err, sizeof(err)), -EINVAL);
	assert_int_equal(mc_ca_new(NULL, &ca, err, sizeof(err)), -EINVAL);
	assert_int_equal(mc_ca_new("ok", &ca, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/x.crt", f->dir);
	snprintf(key, sizeof(key), "%s/x.key", f->dir);
	assert_int_equal(mc_cert_issue(ca, "C0w1;", IP(10, 0, 0, 1), path, key,
				       err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "certificate name"));
	assert_int_equal(mc_cert_issue(ca, "C0w1", 0, path, key, err,
				       sizeof(err)), -EINVAL);
	assert_int_equal(mc_cert_issue(ca, "C0w1", IP(10, 0, 0, 1), path, NULL,
				       err, sizeof(err)), -EINVAL);
	assert_int_equal(mc_cert_issue(NULL, "C0w1", IP(10, 0, 0, 1), path, key,
				       err, sizeof(err)), -EINVAL);
	/* A directory that does not exist: an error, nothing half written. */
	assert_int_equal(mc_cert_issue(ca, "C0w1", IP(10, 0, 0, 1),
				       "/nonexistent/dir/x.crt",
				       "/nonexistent/dir/x.key", err,
				       sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/dir/x.key"));
	assert_int_equal(mc_ca_write(ca, "/nonexistent/dir/ca.crt", err,
				     sizeof(err)), -ENOENT);
	assert_int_equal(access(path, F_OK), -1);
	mc_ca_free(ca);
	mc_ca_free(NULL);
}

/* --- the probe against a TLS server on loopback --- */

struct server {
	int lfd;
	uint16_t port;
	SSL_CTX *ctx;            /* NULL: plain TCP, closes at once */
	int accepts;
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	sigset_t pipe;

	/* A client that gives up first must not end the test from here;
	 * the probe's own side is what is tested. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);

	for (int i = 0; i < s->accepts; i++) {
		int fd = accept(s->lfd, NULL, NULL);
		SSL *ssl;

		if (fd < 0)
			break;
		if (s->ctx) {
			ssl = SSL_new(s->ctx);
			SSL_set_fd(ssl, fd);
			if (SSL_accept(ssl) == 1)
				SSL_shutdown(ssl);
			SSL_free(ssl);
			ERR_clear_error();
		} else {
			ssize_t n = send(fd, "hello\n", 6, MSG_NOSIGNAL);

			(void)n;
		}
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *s, const struct files *f,
			 bool tls, int accepts)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->accepts = accepts;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	if (tls) {
		s->ctx = SSL_CTX_new(TLS_server_method());
		assert_non_null(s->ctx);
		assert_int_equal(SSL_CTX_use_certificate_file(s->ctx, f->cert,
							      SSL_FILETYPE_PEM), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey_file(s->ctx, f->key,
							     SSL_FILETYPE_PEM), 1);
		assert_int_equal(SSL_CTX_load_verify_locations(s->ctx, f->ca, NULL), 1);
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
}

static void test_probe(void **state)
{
	struct files *f = *state;
	struct tls_probe p = {
		.ca_file = f->ca, .cert_file = f->cert2, .key_file = f->key2,
		.name = "C0w1", .timeout_ms = 2000,
	};
	struct tls_probe_result r;
	struct server s;
	char err[256];

	/* Right CA, name, our certificate: ok. */
	server_start(&s, f, true, 3);
	assert_int_equal(tls_probe_run(-1, LOOPBACK, s.port, &p, &r, err,
				       sizeof(err)), 0);
	assert_string_equal(r.peer, "C0w1");
	assert_non_null(strstr(r.version, "TLSv1."));
	/* Wrong name. */
	p.name = "C1w1";
	assert_int_not_equal(tls_probe_run(-1, LOOPBACK, s.port, &p, &r, err,
					   sizeof(err)), 0);
	assert_non_null(strstr(err, "peer certificate"));
	/* Another simulation's CA. */
	p.name = "C0w1";
	p.ca_file = f->other_ca;
	assert_int_not_equal(tls_probe_run(-1, LOOPBACK, s.port, &p, &r, err,
					   sizeof(err)), 0);
	assert_non_null(strstr(err, "peer certificate"));
	server_stop(&s);

	/* Plain TCP is not TLS. */
	p.ca_file = f->ca;
	server_start(&s, f, false, 1);
	assert_int_not_equal(tls_probe_run(-1, LOOPBACK, s.port, &p, &r, err,
					   sizeof(err)), 0);
	server_stop(&s);
	/* Nobody listening (the port just closed). */
	assert_int_equal(tls_probe_run(-1, LOOPBACK, s.port, &p, &r, err,
				       sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "connect"));
	/* Incomplete settings. */
	p.name = NULL;
	assert_int_equal(tls_probe_run(-1, LOOPBACK, s.port, &p, &r, err,
				       sizeof(err)), -EINVAL);
	p.name = "C0w1";
	p.ca_file = "/nonexistent/ca.crt";
	assert_int_equal(tls_probe_run(-1, LOOPBACK, s.port, &p, &r, err,
				       sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issued_verifies),
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_probe),
	};

	return cmocka_run_group_tests_name("multicluster certificates", tests,
					   setup, teardown);
}
