/* SPDX-License-Identifier: MIT */
/*
 * Calls that block in the kernel without an io_uring form (stat, mkdir,
 * unlink, rename, readlink, getdents64, chdir: a path lookup on a dead NFS
 * or FUSE server waits for it) run on a few worker threads, so the event
 * loop never waits for them: PING, CANCEL and every other call go on.
 *
 * The workers are started before the seccomp filter (no clone after it).
 * A job runs the module's ordinary handler on the call, which the loop
 * does not touch meanwhile; the result comes back through an eventfd the
 * loop polls. CANCEL takes a job that has not started out of the queue
 * (-ECANCELED); one that has started ends with its real result, as an
 * io_uring operation would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "shadow.h"

#define WORKERS	4	/* hung lookups at once before jobs queue */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct call *todo, **todo_tail = &todo;	/* waiting, in order */
static struct call *done_list;			/* finished, any order */
static int running, started, efd = -1;

static void *worker(void *arg)
{
	struct call *c;
	uint64_t one = 1;
	int64_t res;

	(void)arg;
	pthread_mutex_lock(&lock);
	started++;
	pthread_cond_broadcast(&more);
	pthread_mutex_unlock(&lock);
	for (;;) {
		pthread_mutex_lock(&lock);
		while (!todo)
			pthread_cond_wait(&more, &lock);
		c = todo;
		todo = c->job_next;
		if (!todo)
			todo_tail = &todo;
		running++;
		pthread_mutex_unlock(&lock);

		res = c->job(c);

		pthread_mutex_lock(&lock);
		running--;
		c->job_res = res;
		c->job_next = done_list;
		done_list = c;
		pthread_mutex_unlock(&lock);
		if (write(efd, &one, sizeof(one)) < 0)
			log_err("offload: eventfd");
	}
	return NULL;
}

int offload_init(void)
{
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int i, e = 0;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	/* Signals are the loop's (its signalfd): none for the workers. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < WORKERS && !e; i++)
		e = pthread_create(&t, &a, worker, NULL);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* All idle in their wait before the launcher is forked: a fork
	 * must not copy a thread halfway through its start. */
	pthread_mutex_lock(&lock);
	while (started < i - (e ? 1 : 0))
		pthread_cond_wait(&more, &lock);
	pthread_mutex_unlock(&lock);
	return -e;
}

int offload_fd(void)
{
	return efd;
}

int64_t offload(struct call *c, int64_t (*job)(struct call *c))
{
	c->job = job;
	c->job_next = NULL;
	c->pending = 1;
	c->offloaded = 1;
	pthread_mutex_lock(&lock);
	*todo_tail = c;
	todo_tail = &c->job_next;
	pthread_cond_signal(&more);
	pthread_mutex_unlock(&lock);
	return ASYNC;
}

/* A CANCEL can close the handle meanwhile: the job keeps its own
 * reference to the file, never a number that may be reused. */
int64_t offload_file(struct call *c, int64_t (*job)(struct call *c))
{
	int fd = file_lookup(c->args[0]);

	if (fd < 0)
		return -EBADF;
	c->job_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (c->job_fd < 0)
		return -errno;
	c->fd = fd;		/* CLOSE of the handle cancels it (queued) */
	return offload(c, job);
}

/* Out of the queue if it has not started: it then ends -ECANCELED. */
void offload_cancel(struct call *c)
{
	struct call **pp;
	uint64_t one = 1;

	pthread_mutex_lock(&lock);
	for (pp = &todo; *pp && *pp != c; pp = &(*pp)->job_next)
		;
	if (*pp) {
		*pp = c->job_next;
		if (todo_tail == &c->job_next)
			todo_tail = pp;
		c->job_res = -ECANCELED;
		c->job_next = done_list;
		done_list = c;
	}
	pthread_mutex_unlock(&lock);
	if (write(efd, &one, sizeof(one)) < 0)
		log_err("offload: eventfd");
}

struct call *offload_next(int64_t *res)
{
	struct call *c;
	uint64_t n;

	pthread_mutex_lock(&lock);
	c = done_list;
	if (c)
		done_list = c->job_next;
	else if (read(efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("offload: eventfd");
	pthread_mutex_unlock(&lock);
	if (c) {
		*res = c->job_res;
		c->pending = 0;
		c->offloaded = 0;
	}
	return c;
}

/* Session end: drop what has not started; wait (bounded) for the rest.
 * 0, or -EBUSY when a job is still stuck in the kernel. */
int offload_stop(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int tries = 200, left;

	pthread_mutex_lock(&lock);
	while (todo) {
		struct call *c = todo;

		todo = c->job_next;
		c->job_res = -ECANCELED;
		c->job_next = done_list;
		done_list = c;
	}
	todo_tail = &todo;
	pthread_mutex_unlock(&lock);
	do {
		pthread_mutex_lock(&lock);
		left = running;
		pthread_mutex_unlock(&lock);
		if (left)
			nanosleep(&ts, NULL);
	} while (left && --tries > 0);
	return left ? -EBUSY : 0;
}
