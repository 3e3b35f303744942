// SPDX-License-Identifier: MIT
/*
 * hcnet: this process's libhostcall session, opened at the first socket
 * the host serves (or the first host name resolved), not before: a program
 * that only talks to guest loopback never opens /dev/hostcall. A forked
 * child opens its own for its new sockets (the parent's stays the
 * parent's; the socket fds it inherited keep working, they hold their
 * session themselves).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "hcnet.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static hc_session *session;
static pid_t session_pid, failed_pid;
static atomic_int said;

hc_session *hcnet_session(void)
{
	pid_t pid = getpid();
	hc_session *hc;
	int e;

	pthread_mutex_lock(&lock);
	if (session_pid != pid)
		session = NULL;	/* the parent's: its window is not ours */
	if (!session && failed_pid != pid) {
		session = hc_open();
		e = errno;
		if (session) {
			session_pid = pid;
			hcnet_dbg("session opened (%s)", hc_default_device());
		} else {
			failed_pid = pid;	/* one try a process */
			hcnet_no_host(e);
		}
	}
	hc = session;
	pthread_mutex_unlock(&lock);
	return hc;
}

void hcnet_no_host(int err)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&said, &zero, 1))
		hcnet_say("%s: %s: sockets stay in the guest",
			  hc_default_device(), strerror(err));
}
