// SPDX-License-Identifier: MIT
#include "tls_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "netns.h"

static int tcp_connect(int nsfd, uint32_t addr, uint16_t port, int timeout_ms,
		       char *err, size_t errlen)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, soerr = 0, ret;

	fd = netns_socket(nsfd, AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
			  SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(-fd));
		return fd;
	}
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret && errno == EINPROGRESS) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		ret = poll(&pfd, 1, timeout_ms);
		if (ret == 0)
			soerr = ETIMEDOUT;
		else if (ret < 0 ||
			 getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
			soerr = errno;
	} else if (ret) {
		soerr = errno;
	}
	if (!soerr && (fcntl(fd, F_SETFL, 0) ||
		       setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
		       setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))))
		soerr = errno;
	if (soerr) {
		snprintf(err, errlen, "connect: %s", strerror(soerr));
		close(fd);
		return -soerr;
	}
	return fd;
}

static int ssl_fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char why[256] = "no detail";

	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	snprintf(err, errlen, "%s: %s", what, why);
	return -EPROTO;
}

static SSL_CTX *client_ctx(const struct tls_probe *p, char *err,
			   size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		ssl_fail(err, errlen, "TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, p->ca_file, NULL) != 1) {
		ssl_fail(err, errlen, p->ca_file);
		goto fail;
	}
	if (p->cert_file &&
	    (SSL_CTX_use_certificate_file(ctx, p->cert_file, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, p->key_file, SSL_FILETYPE_PEM) != 1)) {
		ssl_fail(err, errlen, p->cert_file);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static void fill_result(SSL *ssl, struct tls_probe_result *r)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);

	snprintf(r->version, sizeof(r->version), "%s", SSL_get_version(ssl));
	r->peer[0] = '\0';
	if (peer)
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
					  NID_commonName, r->peer,
					  sizeof(r->peer));
	X509_free(peer);
}

/* Why a handshake failed, in words. */
static int handshake_fail(SSL *ssl, int rc, char *err, size_t errlen)
{
	long v = SSL_get_verify_result(ssl);
	int e = SSL_get_error(ssl, rc);

	if (v != X509_V_OK) {
		ERR_clear_error();
		snprintf(err, errlen, "peer certificate: %s",
			 X509_verify_cert_error_string(v));
		return -EPROTO;
	}
	if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
		snprintf(err, errlen, "handshake: %s",
			 errno ? strerror(errno) : "connection closed by the peer");
		return errno == EAGAIN ? -ETIMEDOUT : -ECONNRESET;
	}
	return ssl_fail(err, errlen, "handshake");
}

/* OpenSSL writes to the socket with write(): a peer that closed first
 * would raise SIGPIPE and end the caller. Blocked for this thread while
 * probing; one raised meanwhile is taken back before unblocking. */
static void sigpipe_block(sigset_t *old, bool *was_pending)
{
	sigset_t pipe, pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, old);
	*was_pending = !sigpending(&pending) && sigismember(&pending, SIGPIPE);
}

static void sigpipe_restore(const sigset_t *old, bool was_pending)
{
	struct timespec zero = { 0, 0 };
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	if (!was_pending)
		while (sigtimedwait(&pipe, NULL, &zero) > 0)
			;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int probe(int nsfd, uint32_t addr, uint16_t port,
		 const struct tls_probe *p, struct tls_probe_result *r,
		 char *err, size_t errlen);

int tls_probe_run(int nsfd, uint32_t addr, uint16_t port,
		  const struct tls_probe *p, struct tls_probe_result *r,
		  char *err, size_t errlen)
{
	bool was_pending;
	sigset_t old;
	int ret;

	sigpipe_block(&old, &was_pending);
	ret = probe(nsfd, addr, port, p, r, err, errlen);
	sigpipe_restore(&old, was_pending);
	return ret;
}

static int probe(int nsfd, uint32_t addr, uint16_t port,
		 const struct tls_probe *p, struct tls_probe_result *r,
		 char *err, size_t errlen)
{
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	int fd, rc, ret;

	memset(r, 0, sizeof(*r));
	if (!p || !p->ca_file || !p->name || (p->cert_file && !p->key_file)) {
		snprintf(err, errlen, "incomplete TLS settings");
		return -EINVAL;
	}
	ctx = client_ctx(p, err, errlen);
	if (!ctx)
		return -EINVAL;
	fd = tcp_connect(nsfd, addr, port, p->timeout_ms, err, errlen);
	if (fd < 0) {
		SSL_CTX_free(ctx);
		return fd;
	}
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || !SSL_set1_host(ssl, p->name)) {
		ret = ssl_fail(err, errlen, "TLS session");
		goto out;
	}
	errno = 0;
	rc = SSL_connect(ssl);
	if (rc != 1) {
		ret = handshake_fail(ssl, rc, err, errlen);
		goto out;
	}
	fill_result(ssl, r);
	SSL_shutdown(ssl);
	ret = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ERR_clear_error();
	return ret;
}
