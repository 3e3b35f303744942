/* SPDX-License-Identifier: MIT */
/*
 * force-tls (Documentation/sock.md): the shadow wraps a matching TCP
 * connection in TLS (OpenSSL), so a guest that speaks plain text gets an
 * encrypted connection on the wire. The server is verified against the
 * host's CA store, or the policy's tls-ca file, and the name the guest
 * resolved is both the SNI and the name the certificate must carry (an
 * address the guest never resolved: the certificate must name the IP).
 *
 * The context, its CA store and OpenSSL's configuration are loaded
 * before confinement (sock_tls_init): afterwards the shadow may have no
 * opens at all. Everything after runs on the loop with the non-blocking
 * socket: each step says what it waits for (POLLIN or POLLOUT).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "log.h"
#include "sock.h"

static SSL_CTX *ctx;

int sock_tls_init(void)
{
	const char *ca = sock_tls_ca();

	if (ctx)
		return 0;
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* The guest's buffer moves between tries (a retried call keeps
	 * its own copy, but not at the same address every time). */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Loaded now into memory: a CA directory would be read at each
	 * verification, after confinement. */
	if (ca ? SSL_CTX_load_verify_file(ctx, ca) != 1 :
		 SSL_CTX_load_verify_file(ctx, X509_get_default_cert_file()) != 1 &&
		 SSL_CTX_set_default_verify_paths(ctx) != 1) {
		log_msg("force-tls: cannot load the CA store %s",
			ca ? ca : X509_get_default_cert_file());
		SSL_CTX_free(ctx);
		ctx = NULL;
		return -EIO;
	}
	return 0;
}

void sock_tls_fini(void)
{
	SSL_CTX_free(ctx);
	ctx = NULL;
}

void *sock_tls_new(int fd, const char *name, int family,
		   const uint8_t *addr)
{
	X509_VERIFY_PARAM *vp;
	unsigned char bin[16];
	char ip[64];
	SSL *ssl;

	if (!ctx)
		return NULL;
	/* A "name" that is an address literal: verify the address (and
	 * send no SNI, which must be a host name). */
	if (name && (inet_pton(AF_INET, name, bin) == 1 ||
		     inet_pton(AF_INET6, name, bin) == 1))
		name = NULL;
	ssl = SSL_new(ctx);
	if (!ssl)
		return NULL;
	vp = SSL_get0_param(ssl);
	if (SSL_set_fd(ssl, fd) != 1)
		goto bad;
	if (name && *name) {
		if (SSL_set_tlsext_host_name(ssl, name) != 1 ||
		    X509_VERIFY_PARAM_set1_host(vp, name, 0) != 1)
			goto bad;
	} else if (!inet_ntop(family, addr, ip, sizeof(ip)) ||
		   X509_VERIFY_PARAM_set1_ip_asc(vp, ip) != 1) {
		goto bad;
	}
	return ssl;
bad:
	SSL_free(ssl);
	return NULL;
}

void sock_tls_free(void *t)
{
	SSL *ssl = t;

	if (!ssl)
		return;
	/* One try at close_notify; a full peer is not waited for. */
	SSL_shutdown(ssl);
	SSL_free(ssl);
}

/* -EAGAIN with *want set, or the error (the queue of OpenSSL's errors
 * is emptied so the next call starts clean). */
static int wants(SSL *ssl, int r, unsigned *want, int eof)
{
	int e = SSL_get_error(ssl, r);

	ERR_clear_error();
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = POLLIN;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = POLLOUT;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return eof;
	case SSL_ERROR_SYSCALL:
		/* A peer that closed without close_notify: end of data
		 * for a read, a reset for the rest. */
		return errno && errno != EAGAIN ? -errno : eof;
	}
	return -ECONNRESET;
}

int sock_tls_handshake(void *t, unsigned *want, char *why, size_t n)
{
	SSL *ssl = t;
	long v;
	int r;

	r = SSL_connect(ssl);
	if (r == 1)
		return 0;
	v = SSL_get_verify_result(ssl);
	r = wants(ssl, r, want, -ECONNRESET);
	if (r == -EAGAIN)
		return r;
	snprintf(why, n, "%s", v != X509_V_OK ?
		 X509_verify_cert_error_string(v) : "handshake failed");
	return -ECONNREFUSED;
}

int sock_tls_close_notify(void *t, unsigned *want)
{
	SSL *ssl = t;
	int r = SSL_shutdown(ssl);

	if (r >= 0)
		return 0;
	r = SSL_get_error(ssl, r);
	ERR_clear_error();
	if (r == SSL_ERROR_WANT_WRITE) {
		*want = POLLOUT;
		return -EAGAIN;
	}
	return -EPIPE;
}

ssize_t sock_tls_write(void *t, const void *p, size_t len, unsigned *want)
{
	SSL *ssl = t;
	size_t done = 0;
	int r;

	/* After our close_notify, as send after shutdown(SHUT_WR) */
	if (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)
		return -EPIPE;
	if (!len)
		return 0;
	r = SSL_write_ex(ssl, p, len, &done);
	if (r == 1)
		return (ssize_t)done;
	return wants(ssl, r, want, -EPIPE);
}

ssize_t sock_tls_read(void *t, void *p, size_t len, int peek, unsigned *want)
{
	SSL *ssl = t;
	size_t done = 0;
	int r;

	if (!len)
		return 0;
	r = peek ? SSL_peek_ex(ssl, p, len, &done) :
		   SSL_read_ex(ssl, p, len, &done);
	if (r == 1)
		return (ssize_t)done;
	return wants(ssl, r, want, 0);
}

int sock_tls_pending(void *t)
{
	return SSL_pending((SSL *)t) > 0;
}
