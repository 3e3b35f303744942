// SPDX-License-Identifier: MIT
/*
 * hcnet: sockets made but not decided yet. socket(2) makes an ordinary
 * guest socket and the shim remembers it here; the first connect, bind or
 * sendto with an address decides: the guest keeps it, or the host's socket
 * replaces it under the same fd number (dup2), with the options set so
 * far. A static table by fd (no malloc: socket calls may run in signal
 * handlers); an entry knows its socket's inode, so an fd the program
 * closed and reused (close is not interposed) is not taken for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcnet.h"

#define PENDING_FDS	4096	/* sockets above stay in the guest (said once) */
#define PENDING_OPTS	8
#define PENDING_EPOLLS	4

struct hcnet_opt {
	int level, name;
	socklen_t len;
	unsigned char val[16];	/* int or struct timeval */
};

struct hcnet_pending {
	atomic_flag lock;
	int pending;
	int family, type, protocol;
	dev_t dev;
	ino_t ino;
	int nopts;
	struct hcnet_opt opts[PENDING_OPTS];
	int neps;
	struct {
		int epfd;
		struct epoll_event ev;
	} eps[PENDING_EPOLLS];
};

static struct hcnet_pending table[PENDING_FDS];
static atomic_int said_full;

static void lock(struct hcnet_pending *p)
{
	while (atomic_flag_test_and_set_explicit(&p->lock, memory_order_acquire))
		sched_yield();
}

static void unlock(struct hcnet_pending *p)
{
	atomic_flag_clear_explicit(&p->lock, memory_order_release);
}

void hcnet_pending_add(int fd, int family, int type, int protocol)
{
	struct hcnet_pending *p;
	struct stat st;
	int zero = 0;

	if (fd < 0 || fd >= PENDING_FDS) {
		if (atomic_compare_exchange_strong(&said_full, &zero, 1))
			hcnet_say("fd %d: above %d, its sockets stay in the guest",
				  fd, PENDING_FDS);
		return;
	}
	if (fstat(fd, &st) < 0)
		return;
	p = &table[fd];
	lock(p);
	p->pending = 1;
	p->family = family;
	p->type = type;
	p->protocol = protocol;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	p->nopts = 0;
	p->neps = 0;
	unlock(p);
}

struct hcnet_pending *hcnet_pending_claim(int fd)
{
	struct hcnet_pending *p;
	struct stat st;

	if (fd < 0 || fd >= PENDING_FDS)
		return NULL;
	p = &table[fd];
	if (!p->pending)	/* racy peek; checked again under the lock */
		return NULL;
	lock(p);
	if (p->pending && fstat(fd, &st) == 0 && st.st_dev == p->dev &&
	    st.st_ino == p->ino)
		return p;
	p->pending = 0;
	unlock(p);
	return NULL;
}

void hcnet_pending_release(struct hcnet_pending *p, int decided)
{
	if (decided)
		p->pending = 0;
	unlock(p);
}

void hcnet_pending_opt(struct hcnet_pending *p, int level, int name,
		       const void *val, socklen_t len)
{
	int i;

	if (len > sizeof(p->opts[0].val))
		return;	/* none the host knows is longer */
	for (i = 0; i < p->nopts; i++)
		if (p->opts[i].level == level && p->opts[i].name == name)
			break;
	if (i == PENDING_OPTS) {
		hcnet_dbg("option %d/%d: more than %d set before connect, not replayed",
			  level, name, PENDING_OPTS);
		return;
	}
	if (i == p->nopts)
		p->nopts++;
	p->opts[i].level = level;
	p->opts[i].name = name;
	p->opts[i].len = len;
	memcpy(p->opts[i].val, val, len);
}

void hcnet_pending_epoll(struct hcnet_pending *p, int epfd, int op,
			 const struct epoll_event *ev)
{
	int i;

	for (i = 0; i < p->neps; i++)
		if (p->eps[i].epfd == epfd)
			break;
	if (op == EPOLL_CTL_DEL) {
		if (i < p->neps)
			p->eps[i] = p->eps[--p->neps];
		return;
	}
	if (i == PENDING_EPOLLS || !ev) {
		hcnet_dbg("epoll %d: more than %d sets before connect, not kept",
			  epfd, PENDING_EPOLLS);
		return;
	}
	if (i == p->neps)
		p->neps++;
	p->eps[i].epfd = epfd;
	p->eps[i].ev = *ev;
}

int hcnet_pending_to_host(struct hcnet_pending *p, int fd)
{
	hc_session *hc = hcnet_session();
	int fl, fdfl, type, nfd, i;
	int64_t r;

	if (!hc)
		return 1;
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		return -errno;
	type = p->type | SOCK_CLOEXEC | (fl & O_NONBLOCK ? SOCK_NONBLOCK : 0);
	nfd = hc_socket(hc, p->family, type, p->protocol);
	if (nfd == -EPERM || nfd == -ENOENT || nfd == -ENODEV ||
	    nfd == -ENOTTY || nfd == -EPROTO) {
		/* the policy binds no "sock", or a driver without sockets */
		hcnet_no_host(-nfd);
		return 1;
	}
	if (nfd < 0)
		return nfd;
	for (i = 0; i < p->nopts; i++) {
		struct hcnet_opt *o = &p->opts[i];

		r = hc_sock_call(nfd, HC_SOCK_SETSOCKOPT, o->level, o->name, 0,
				 0, o->val, o->len, NULL, 0, NULL);
		if (r < 0)	/* the guest's socket took it: not the program's error */
			hcnet_dbg("fd %d: option %d/%d not replayed on the host: %s",
				  fd, o->level, o->name, strerror((int)-r));
	}
	if (dup3(nfd, fd, fdfl & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
		i = errno;
		close(nfd);
		return -i;
	}
	close(nfd);
	for (i = 0; i < p->neps; i++)
		if (REAL(epoll_ctl)(p->eps[i].epfd, EPOLL_CTL_ADD, fd,
				    &p->eps[i].ev) < 0)
			hcnet_dbg("fd %d: epoll %d not added again: %s", fd,
				  p->eps[i].epfd, strerror(errno));
	return 0;
}

int hcnet_decide(int fd, enum hcnet_where where, const char *what,
		 const struct sockaddr *sa, socklen_t len)
{
	struct hcnet_pending *p;
	char a[64];
	int r = 0;

	if (where == HCNET_LATER)
		return 0;
	p = hcnet_pending_claim(fd);
	if (!p)
		return 0;
	if (where == HCNET_HOST)
		r = hcnet_pending_to_host(p, fd);
	if (r < 0) {
		hcnet_pending_release(p, 0);
		hcnet_dbg("fd %d: %s %s: no host socket: %s", fd, what,
			  hcnet_addr_str(sa, len, a, sizeof(a)), strerror(-r));
		errno = -r;
		return -1;
	}
	hcnet_pending_release(p, 1);
	hcnet_dbg("fd %d: %s %s: %s", fd, what,
		  hcnet_addr_str(sa, len, a, sizeof(a)),
		  where == HCNET_HOST && !r ? "host" : "guest");
	return 0;
}
