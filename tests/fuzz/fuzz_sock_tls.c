/* SPDX-License-Identifier: MIT */
/*
 * A TLS echo server inside fuzz_sock, so that force-tls connections get
 * past their handshake: it listens on 127.0.0.3 (the harness's force-tls
 * address) with a certificate for that IP made at build time
 * (FUZZ_TLS_DIR, also the policy's tls-ca), and is driven, non-blocking,
 * at each turn of the fake loop. Its sockets are not the module's: made
 * with the unwrapped calls, they are not counted as the module's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "fuzz_sock.h"

#define CONNS	8

int __real_socket(int d, int t, int p);
int __real_bind(int fd, const struct sockaddr *a, socklen_t l);
int __real_accept4(int fd, struct sockaddr *a, socklen_t *l, int f);
int __real_close(int fd);

static SSL_CTX *sctx;
static int lfd = -1;
static struct { int fd; SSL *ssl; } conn[CONNS];

uint16_t fz_tls_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int i;

	for (i = 0; i < CONNS; i++)
		conn[i].fd = -1;
	sctx = SSL_CTX_new(TLS_server_method());
	if (!sctx ||
	    SSL_CTX_use_certificate_file(sctx, FUZZ_TLS_DIR "/cert.pem",
					 SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, FUZZ_TLS_DIR "/key.pem",
					SSL_FILETYPE_PEM) != 1)
		return 0;
	SSL_CTX_set_mode(sctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	inet_pton(AF_INET, "127.0.0.3", &a.sin_addr);
	lfd = __real_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
	if (lfd < 0 || __real_bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &l) < 0)
		return 0;
	return ntohs(a.sin_port);
}

static void drop(int i)
{
	SSL_free(conn[i].ssl);
	__real_close(conn[i].fd);
	conn[i].fd = -1;
	conn[i].ssl = NULL;
}

/* One turn: new connections accepted, handshakes and echoes moved on. */
void fz_tls_turn(void)
{
	unsigned char buf[4096];
	size_t n, w;
	int i, fd, r;

	if (lfd < 0)
		return;
	while ((fd = __real_accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < CONNS && conn[i].fd >= 0; i++)
			;
		if (i == CONNS || !(conn[i].ssl = SSL_new(sctx))) {
			__real_close(fd);
			continue;
		}
		conn[i].fd = fd;
		SSL_set_fd(conn[i].ssl, fd);
		SSL_set_accept_state(conn[i].ssl);
	}
	for (i = 0; i < CONNS; i++) {
		if (conn[i].fd < 0)
			continue;
		r = SSL_read_ex(conn[i].ssl, buf, sizeof(buf), &n);
		if (r == 1) {
			if (SSL_write_ex(conn[i].ssl, buf, n, &w) != 1)
				ERR_clear_error();
			continue;
		}
		r = SSL_get_error(conn[i].ssl, r);
		ERR_clear_error();
		if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
			drop(i);	/* the end, clean or not */
	}
}

/* Between inputs: no connection carries over. */
void fz_tls_reset(void)
{
	int i;

	for (i = 0; i < CONNS; i++)
		if (conn[i].fd >= 0)
			drop(i);
	if (lfd >= 0)	/* what is still in the backlog */
		while ((i = __real_accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			__real_close(i);
}
