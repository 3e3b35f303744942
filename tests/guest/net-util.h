/* SPDX-License-Identifier: MIT */
/* Shared bits of hc-net and hc-netsem (dynamically linked, plain libc
 * sockets: the programs hcnet serves): errors, names, connecting. */
#ifndef NET_UTIL_H
#define NET_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void die(const char *what)
{
	int e = errno;

	printf("error %s\n", strerrorname_np(e) ? strerrorname_np(e) : "?");
	fprintf(stderr, "hc-net: %s: %s\n", what, strerror(e));
	exit(1);
}

static inline const char *astr(const struct sockaddr *sa)
{
	static char buf[80];
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s:%u", ip, ntohs(a->sin_port));
	} else {
		const struct sockaddr_in6 *a = (const void *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "[%s]:%u", ip, ntohs(a->sin6_port));
	}
	return buf;
}

static inline struct addrinfo *resolve(const char *host, const char *port, int type,
				int flags)
{
	struct addrinfo h = { .ai_socktype = type, .ai_flags = flags }, *r;
	int e = getaddrinfo(host, port, &h, &r);

	if (e) {
		printf("error %s\n", gai_strerror(e));
		fprintf(stderr, "hc-net: getaddrinfo %s: %s\n", host, gai_strerror(e));
		exit(1);
	}
	return r;
}

static inline int tcp_connect(const char *host, const char *port)
{
	struct addrinfo *r = resolve(host, port, SOCK_STREAM, 0), *a;
	int fd = -1, e = 0;

	for (a = r; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(r);
	errno = e;
	return fd;
}

static inline int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#endif /* NET_UTIL_H */
