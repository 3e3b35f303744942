// SPDX-License-Identifier: MIT
/*
 * hcnet: the next definitions (libc's) of the names the shim interposes,
 * looked up once when the library loads (dlsym is not async-signal-safe,
 * the socket calls are), and the shim's stderr lines.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcnet.h"

struct hcnet_real hcnet_real;
int hcnet_debug;

#define NEXT(name) (hcnet_real.name = (__typeof__(hcnet_real.name))dlsym(RTLD_NEXT, #name))

__attribute__((constructor)) void hcnet_real_init(void)
{
	const char *d;

	if (hcnet_real.socket)
		return;
	NEXT(connect);
	NEXT(bind);
	NEXT(listen);
	NEXT(accept4);
	NEXT(getsockname);
	NEXT(getpeername);
	NEXT(getsockopt);
	NEXT(setsockopt);
	NEXT(shutdown);
	NEXT(sendto);
	NEXT(recvfrom);
	NEXT(sendmsg);
	NEXT(recvmsg);
	NEXT(sendmmsg);
	NEXT(recvmmsg);
	NEXT(getaddrinfo);
	NEXT(freeaddrinfo);
	NEXT(gethostbyname2_r);
	NEXT(epoll_ctl);
	d = getenv("HCNET_DEBUG");
	hcnet_debug = d && *d && strcmp(d, "0");
	NEXT(socket);	/* last: the "initialised" mark */
}

void hcnet_say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	/* one write(2): lines of threads do not mix; no stdio lock */
	n = snprintf(line, sizeof(line), "hcnet[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0)
		return;	/* nowhere to say it */
}
