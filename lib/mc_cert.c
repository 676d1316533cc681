// SPDX-License-Identifier: MIT
#include "mc_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cidr.h"

#define MC_NAME_MAX 63
#define MC_NAME_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define MC_SERIAL_BITS 127
#define MC_BACKDATE_S 3600 /* tolerate a clock set back a little */

struct mc_ca {
	EVP_PKEY *key;
	X509 *cert;
};

/* The first libcrypto error, or what, into err; -EIO. */
static int ssl_fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char why[256] = "unknown libcrypto error";

	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	snprintf(err, errlen, "%s: %s", what, why);
	return -EIO;
}

static bool name_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return len && len <= MC_NAME_MAX && strspn(s, MC_NAME_CHARS) == len;
}

static int set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, MC_SERIAL_BITS, BN_RAND_TOP_ANY,
			       BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));

	BN_free(bn);
	return ok ? 0 : -1;
}

static int set_subject(X509 *x, const char *cn)
{
	X509_NAME *n = X509_get_subject_name(x);

	if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					(const unsigned char *)"knetsim", -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0))
		return -1;
	return 0;
}

/* Extensions given as (NID, value) in OpenSSL's config syntax. */
struct ext {
	int nid;
	const char *value;
};

static int add_exts(X509 *x, X509 *issuer, const struct ext *e, size_t n)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, e[i].nid,
							  e[i].value);
		int ok = ext && X509_add_ext(x, ext, -1);

		X509_EXTENSION_free(ext);
		if (!ok)
			return -1;
	}
	return 0;
}

/* A certificate for key's public half, not yet signed nor extended. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, X509 *issuer)
{
	X509 *x = X509_new();

	if (!x || !X509_set_version(x, X509_VERSION_3) || set_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -MC_BACKDATE_S) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), MC_CERT_DAYS, 0, NULL) ||
	    !X509_set_pubkey(x, key) || set_subject(x, cn) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x))) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int mc_ca_new(const char *cn, struct mc_ca **out, char *err, size_t errlen)
{
	static const struct ext exts[] = {
		{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
		{ NID_subject_key_identifier, "hash" },
	};
	struct mc_ca *ca;
	int ret;

	*out = NULL;
	if (!name_valid(cn)) {
		snprintf(err, errlen, "CA name \"%.64s\" is not 1 to %d characters of A-Z a-z 0-9 _ -",
			 cn ? cn : "", MC_NAME_MAX);
		return -EINVAL;
	}
	ca = calloc(1, sizeof(*ca));
	if (!ca) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ca->key = EVP_EC_gen("P-256");
	if (!ca->key) {
		ret = ssl_fail(err, errlen, "CA key");
		goto fail;
	}
	ca->cert = cert_new(ca->key, cn, NULL);
	if (!ca->cert || add_exts(ca->cert, ca->cert, exts, 3) ||
	    !X509_sign(ca->cert, ca->key, EVP_sha256())) {
		ret = ssl_fail(err, errlen, "CA certificate");
		goto fail;
	}
	*out = ca;
	return 0;
fail:
	mc_ca_free(ca);
	return ret;
}

void mc_ca_free(struct mc_ca *ca)
{
	if (!ca)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca);
}

/* buf into path with exactly mode: a fresh temp file renamed over it. */
static int write_mode(const char *path, const char *buf, size_t len,
		      mode_t mode)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode))
		ret = -errno;
	while (!ret && off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			ret = -errno;
		else
			off += (size_t)w;
	}
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* A PEM object from write() into path. */
static int write_pem(const char *path, mode_t mode, const void *obj,
		     bool is_key, char *err, size_t errlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ok, ret;

	if (!b)
		return ssl_fail(err, errlen, path);
	ok = is_key ? PEM_write_bio_PrivateKey(b, (EVP_PKEY *)obj, NULL, NULL,
					       0, NULL, NULL) :
		      PEM_write_bio_X509(b, (X509 *)obj);
	if (!ok) {
		BIO_free(b);
		return ssl_fail(err, errlen, path);
	}
	len = BIO_get_mem_data(b, &data);
	ret = len > 0 ? write_mode(path, data, (size_t)len, mode) : -EIO;
	BIO_free(b);
	if (ret)
		snprintf(err, errlen, "write %s: %s", path, strerror(-ret));
	return ret;
}

int mc_ca_write(const struct mc_ca *ca, const char *cert_path, char *err,
		size_t errlen)
{
	if (!ca || !cert_path) {
		snprintf(err, errlen, "no CA or path");
		return -EINVAL;
	}
	return write_pem(cert_path, 0644, ca->cert, false, err, errlen);
}

int mc_cert_issue(const struct mc_ca *ca, const char *name, uint32_t addr,
		  const char *cert_path, const char *key_path, char *err,
		  size_t errlen)
{
	char ip[IP4_STRLEN], san[2 * MC_NAME_MAX + 64];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int ret;

	if (!ca || !cert_path || !key_path) {
		snprintf(err, errlen, "no CA or path");
		return -EINVAL;
	}
	if (!name_valid(name)) {
		snprintf(err, errlen, "certificate name \"%.64s\" is not 1 to %d characters of A-Z a-z 0-9 _ -",
			 name ? name : "", MC_NAME_MAX);
		return -EINVAL;
	}
	if (!addr || addr == UINT32_MAX) {
		snprintf(err, errlen, "%s: no address for the certificate", name);
		return -EINVAL;
	}
	ip4_format(addr, ip);
	snprintf(san, sizeof(san), "DNS:%s,IP:%s,DNS:%s", name, ip, ip);
	{
		const struct ext exts[] = {
			{ NID_basic_constraints, "critical,CA:FALSE" },
			{ NID_key_usage, "critical,digitalSignature,keyAgreement" },
			{ NID_ext_key_usage, "serverAuth,clientAuth" },
			{ NID_subject_key_identifier, "hash" },
			{ NID_authority_key_identifier, "keyid:always" },
			{ NID_subject_alt_name, san },
		};

		key = EVP_EC_gen("P-256");
		x = key ? cert_new(key, name, ca->cert) : NULL;
		if (!x || add_exts(x, ca->cert, exts, 6) ||
		    !X509_sign(x, ca->key, EVP_sha256())) {
			ret = ssl_fail(err, errlen, name);
			goto out;
		}
	}
	ret = write_pem(key_path, 0600, key, true, err, errlen);
	if (!ret)
		ret = write_pem(cert_path, 0644, x, false, err, errlen);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}
