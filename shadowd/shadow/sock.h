/* SPDX-License-Identifier: MIT */
/*
 * The built-in "sock" module (Documentation/sock.md): guest sockets on
 * the host's stack. sock.c the functions and the waits, sock_rules.c the
 * policy's rules and the names the guest resolved, sock_addr.c the
 * addresses as they travel (checked, host.internal translated).
 */
#ifndef HC_SOCK_H
#define HC_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "hostcall_module.h"

extern const struct hcm_module sock_module;	/* "sock" 1.0 */

/* ---- sock_rules.c ---- */
/* A policy line for the module (key, value): 0 or -EINVAL. */
int sock_rules_line(const char *key, const char *v);
void sock_rules_release(void);
/*
 * May the guest connect (or send) to family/addr (4 or 16 bytes, IPv4
 * for a mapped address)/port, resolved from name (NULL: none)? 1 or 0;
 * *rule gets what decided ("allow:DEST", "deny:DEST", "default",
 * "unlisted"): static text.
 */
int sock_connect_allowed(const char *name, int family, const uint8_t *addr,
			 uint16_t port, const char **rule);
/* The same for every name the guest resolved to addr (GETADDRINFO):
 * an explicit deny by any name or the address wins, else an allow by any
 * (the latest name's first); name gets the name that decided (or the
 * latest, "" for none), n bytes. */
int sock_dest_allowed(int family, const uint8_t *addr, uint16_t port,
		      const char **rule, char *name, size_t n);
/* May it bind there (sock-listen)? 1 or 0. */
int sock_listen_allowed(int family, const uint8_t *addr, uint16_t port);
/* Does force-tls name the destination? */
int sock_tls_wanted(const char *name, int family, const uint8_t *addr,
		    uint16_t port);
const char *sock_tls_ca(void);	/* tls-ca, or NULL: the host's store */
int sock_tls_rules(void);	/* are there force-tls rules? */
/* The names the guest resolved (GETADDRINFO), for name rules and SNI:
 * remember one (thread-safe: the resolver runs on a worker; 256 pairs of
 * name and address, the oldest go), and the name that last gave an
 * address (NULL: none). */
void sock_names_remember(const char *name, int family, const uint8_t *addr);
const char *sock_names_lookup(int family, const uint8_t *addr, char *buf,
			      size_t n);

/* ---- sock_addr.c ---- */
/* A guest sockaddr (len bytes) for a socket of family: 0 with the host's
 * address (host.internal made the host's loopback) in *ss, *sl; or
 * -EINVAL (length, port-less garbage), -EAFNOSUPPORT (family). */
int sock_addr_in(const void *p, size_t len, int family,
		 struct sockaddr_storage *ss, socklen_t *sl);
/* The host's address as the guest sees it (the host's loopback as
 * host.internal), into out (max bytes, cut): the full length. */
size_t sock_addr_out(const struct sockaddr_storage *ss, socklen_t sl,
		     void *out, size_t max);
/* Family, address bytes (IPv4 for a v4-mapped one) and port of ss, for
 * the rules: the family, or 0 if none. */
int sock_addr_key(const struct sockaddr_storage *ss, uint8_t addr[16],
		  uint16_t *port);
/* "ADDR:PORT" ("[ADDR]:PORT" for IPv6) for audit lines. */
void sock_addr_text(const struct sockaddr_storage *ss, char *buf, size_t n);

/* ---- sock_tls.c: force-tls with OpenSSL ---- */
/* Before confinement: the client context and its CA store (tls-ca or
 * the host's): 0 or -errno, logged. */
int sock_tls_init(void);
void sock_tls_fini(void);
/* A TLS client on the connected fd, for name (SNI and the certificate's
 * name) or, without one, the address; NULL on failure. */
void *sock_tls_new(int fd, const char *name, int family,
		   const uint8_t *addr);
void sock_tls_free(void *t);	/* close_notify tried once */
/* 0 done; -EAGAIN with *want (POLLIN/POLLOUT); -ECONNREFUSED with why
 * (a certificate that does not verify, a failed handshake). */
int sock_tls_handshake(void *t, unsigned *want, char *why, size_t n);
/* Bytes, -EAGAIN with *want, or -errno (read: 0 at the end of data). */
ssize_t sock_tls_write(void *t, const void *p, size_t len, unsigned *want);
ssize_t sock_tls_read(void *t, void *p, size_t len, int peek,
		      unsigned *want);
int sock_tls_pending(void *t);	/* decrypted bytes wait to be read */
/* Send close_notify (SHUTDOWN of the writing side): 0 sent (or given
 * up: -EPIPE), -EAGAIN with *want while the socket has no room. Once:
 * after it, writes are -EPIPE; reads go on to the peer's end. */
int sock_tls_close_notify(void *t, unsigned *want);

/* ---- sock_resolver.c: name lookups (GETADDRINFO) ---- */
/* The getaddrinfo flags a guest may ask for. */
#define SOCK_AI_OK	(AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV | \
			 AI_ADDRCONFIG | AI_CANONNAME | AI_V4MAPPED | AI_ALL)
struct addrinfo;
/* Before confinement and the workers, for a shadow without fs: fork the
 * resolver helper. 0 or -errno (lookups then run in the shadow). */
int sock_resolver_start(void);
/* getaddrinfo's contract, through the helper when it runs; inet
 * families only; the list is sock_freeaddrinfo's to free. */
int sock_getaddrinfo(const char *node, const char *service,
		     const struct addrinfo *hints, struct addrinfo **res);
void sock_freeaddrinfo(struct addrinfo *ai);

/* undo.c: the socket handle h a gone caller's SOCKET or ACCEPT made is
 * closed (nothing if the module is not bound any more). */
void sock_undo(int64_t h);

/* main.c, before confinement, when the session may bind sock */
void sock_prepare(void);

#endif
