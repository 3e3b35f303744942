/* SPDX-License-Identifier: MIT */
/*
 * The test client's window: what QEMU does at session open (a sealed
 * memfd, a kick and an interrupt eventfd, HCP_WINDOW on the session
 * socket) and what the guest does on it (entries in a queue pair, data in
 * its data area, kicks when the shadow sleeps, waits with HC_CQ_WAITING),
 * following Documentation/window.md. The helpers of client.h keep their
 * shape: send_call places a call, recv_reply reaps a completion.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "client.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define MB()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

int64_t next_a3;

int send_window(int sock, uint32_t session, const int *fds, int nfds,
		uint32_t size)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct hcp_window w;
	struct iovec iov = { &w, sizeof(w) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(&w, 0, sizeof(w));
	memset(&cm, 0, sizeof(cm));
	hcp_init(&w.hdr, HCP_WINDOW, sizeof(w), session, 0);
	w.size = size;
	if (nfds > 0) {
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == sizeof(w) ? 0 : -errno;
}

int sess_attach(struct sess *s)
{
	int fds[3], e;
	void *m;

	if (s->win)
		return 0;
	memset(s->handles, 0, sizeof(s->handles));	/* a new session */
	fds[0] = memfd_create("hc-test-window", MFD_CLOEXEC |
			      MFD_ALLOW_SEALING);
	if (fds[0] < 0 || ftruncate(fds[0], HC_WIN_SIZE) < 0 ||
	    fcntl(fds[0], F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_SEAL) < 0)
		return -errno;
	m = mmap(NULL, HC_WIN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fds[0], 0);
	if (m == MAP_FAILED) {
		close(fds[0]);
		return -errno;
	}
	fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[2] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e = send_window(s->fd, s->id, fds, 3, HC_WIN_SIZE);
	close(fds[0]);
	s->win = m;
	s->kick = fds[1];
	s->irq = fds[2];
	memset(s->q, 0, sizeof(s->q));
	return e;
}

struct hc_qp_ctl *sess_ctl(struct sess *s, int qp)
{
	return (struct hc_qp_ctl *)(s->win + qp * HC_QP_SIZE + HC_QP_CTL_OFF);
}

static unsigned char *qp_base(struct sess *s, int qp)
{
	return s->win + qp * HC_QP_SIZE;
}

/* ---- data placement: first fit among the calls in flight ----------------- */

static int overlaps(const struct gqp *q, uint32_t off, uint32_t len)
{
	int i;

	for (i = 0; i < 2 * HC_QP_ENTRIES; i++) {
		const struct slot *sl = &q->slots[i];

		if (sl->used && sl->len && off < sl->off + sl->len &&
		    sl->off < off + len)
			return 1;
	}
	return 0;
}

/* An offset for len bytes, or 0 when there is no room now. */
static uint32_t place(const struct gqp *q, uint32_t len)
{
	uint32_t cand = HC_QP_DATA_OFF;
	int i;

	if (!len)
		return HC_QP_DATA_OFF;
	for (i = -1; i < 2 * HC_QP_ENTRIES; i++) {
		if (i >= 0) {
			if (!q->slots[i].used || !q->slots[i].len)
				continue;
			cand = q->slots[i].off + q->slots[i].len;
		}
		if (cand + len <= HC_QP_SIZE && !overlaps(q, cand, len))
			return cand;
	}
	return 0;
}

static struct slot *free_slot(struct gqp *q)
{
	int i;

	for (i = 0; i < 2 * HC_QP_ENTRIES; i++)
		if (!q->slots[i].used)
			return &q->slots[i];
	return NULL;
}

uint32_t sess_data(struct sess *s, int qp, const void *data, uint32_t len)
{
	struct gqp *q = &s->q[qp];
	struct slot *sl = free_slot(q);
	uint32_t off = sl ? place(q, len) : 0;

	if (!off)
		return 0;
	/* Kept until the session closes: raw entries name it freely. */
	memset(sl, 0, sizeof(*sl));
	sl->used = 1;
	sl->internal = 2;
	sl->tag = UINT64_MAX;
	sl->off = off;
	sl->len = len;
	memcpy(qp_base(s, qp) + off, data, len);
	return off;
}

/* ---- submitting -------------------------------------------------------- */

static void publish(struct sess *s, int qp, const struct hc_sqe *e)
{
	struct hc_qp_ctl *ctl = sess_ctl(s, qp);
	struct hc_sqe *sq = (struct hc_sqe *)(qp_base(s, qp) + HC_QP_SQ_OFF);
	struct gqp *q = &s->q[qp];
	uint64_t one = 1;

	memcpy(&sq[q->prod % HC_QP_ENTRIES], e, sizeof(*e));
	q->prod++;
	STORE(&ctl->sq_prod, q->prod);		/* wmb: entry, then index */
	MB();					/* (1) */
	if (LOAD(&ctl->sq_flags) & HC_SQ_NEED_WAKEUP) {
		s->kicks++;
		STORE(&ctl->guest_kicks, ctl->guest_kicks + 1);
		if (write(s->kick, &one, sizeof(one)) < 0)
			perror("test: kick");
	}
}

static int sq_full(struct sess *s, int qp)
{
	return s->q[qp].prod - LOAD(&sess_ctl(s, qp)->sq_cons) >=
	       HC_QP_ENTRIES;
}

int submit_sqe(struct sess *s, int qp, const struct hc_sqe *e)
{
	struct slot *sl;

	if (!s->win && sess_attach(s) < 0)
		return -EIO;
	sl = free_slot(&s->q[qp]);
	if (!sl || sq_full(s, qp))
		return -EAGAIN;
	memset(sl, 0, sizeof(*sl));
	sl->used = 1;
	sl->tag = e->tag;
	publish(s, qp, e);
	return 0;
}

static uint32_t round64(uint32_t n)
{
	return (n + 63) & ~63u;
}

/* Room for a call: reap completions (into the stash) until there is. */
static struct slot *make_room(struct sess *s, int qp, uint32_t len,
			      uint32_t *off)
{
	struct gqp *q = &s->q[qp];
	struct reply r;
	struct slot *sl;

	for (;;) {
		sl = free_slot(q);
		*off = place(q, len);
		if (sl && *off && !sq_full(s, qp))
			return sl;
		if (s->nstash == 64 || recv_reply(s, TIMEOUT_MS, &r) < 0)
			return NULL;
		s->stash[s->nstash++] = r;
	}
}

static int submit(struct sess *s, uint64_t tag, uint16_t mod, uint16_t op,
		  const int64_t args[4], const void *in, uint32_t in_len,
		  uint32_t out_max, int internal)
{
	int qp = s->qp;
	uint32_t off, in_room = round64(in_len);
	struct hc_sqe e;
	struct slot *sl;

	if (!s->win && sess_attach(s) < 0)
		return -EIO;
	if (s->eof)
		return -EPIPE;
	sl = make_room(s, qp, in_room + round64(out_max), &off);
	if (!sl)
		return -EIO;
	memset(sl, 0, sizeof(*sl));
	sl->used = 1;
	sl->internal = internal;
	sl->tag = tag;
	sl->off = off;
	sl->len = in_room + round64(out_max);
	sl->out_off = off + in_room;
	sl->out_len = out_max;
	if (in_len)
		memcpy(qp_base(s, qp) + off, in, in_len);
	memset(&e, 0, sizeof(e));
	e.tag = tag;
	e.module = mod;
	e.op = op;
	memcpy(e.args, args, sizeof(e.args));
	e.in_off = in_len ? off : 0;
	e.in_len = in_len;
	e.out_off = out_max ? sl->out_off : 0;
	e.out_len = out_max;
	publish(s, qp, &e);
	return 0;
}

int64_t sess_bind(struct sess *s, const char *name, unsigned major,
		  unsigned minor, struct hc_bind_info *info)
{
	int64_t args[4] = { major, minor, 0, 0 };
	uint64_t tag = next_tag++;
	unsigned char *out = NULL;
	uint32_t len = 0;
	int64_t r;
	int e;

	e = submit(s, tag, HC_MOD_SESSION, HC_SESSION_BIND, args, name,
		   strlen(name), info ? sizeof(*info) : 0, 0);
	if (e < 0)
		return e;
	r = wait_reply(s, tag, TIMEOUT_MS, &out, &len);
	if (info && r > 0 && len == sizeof(*info))
		memcpy(info, out, sizeof(*info));
	free(out);
	return r;
}

int64_t sess_handle(struct sess *s, uint16_t mod)
{
	static const char *const names[] = { "sys", "proc", "fs" };
	int i = mod - T_SYS;

	if (mod < T_SYS || mod > T_FS)
		return mod;
	if (!s->win && sess_attach(s) < 0)
		return -EIO;
	if (!s->handles[i])
		s->handles[i] = sess_bind(s, names[i], 1, 0, NULL);
	return s->handles[i];
}

int send_call(struct sess *s, uint64_t tag, uint16_t mod, uint16_t op,
	      int64_t a0, int64_t a1, int64_t a2, const void *in,
	      size_t in_len, uint32_t out_max)
{
	int64_t args[4] = { a0, a1, a2, next_a3 };
	int64_t h;

	next_a3 = 0;
	if (mod >= T_SYS && mod <= T_FS) {
		if (!s->win && sess_attach(s) < 0)
			return -EIO;
		h = sess_handle(s, mod);
		if (h <= 0) {
			/* The bind's refusal is this call's answer. */
			s->handles[mod - T_SYS] = 0;
			if (h == NO_REPLY || s->nstash == 64)
				return -EIO;
			s->stash[s->nstash].tag = tag;
			s->stash[s->nstash].result = h;
			s->stash[s->nstash].len = 0;
			s->stash[s->nstash++].data = calloc(1, 1);
			return 0;
		}
		mod = h;
	}
	return submit(s, tag, mod, op, args, in, in_len, out_max, 0);
}

int send_cancel(struct sess *s, uint64_t tag)
{
	int64_t args[4] = { (int64_t)tag, 0, 0, 0 };

	return submit(s, next_tag++, HC_MOD_SESSION, HC_SESSION_CANCEL, args,
		      NULL, 0, 0, 1);
}

/* ---- completions --------------------------------------------------------- */

/* One completion of qp: 1 (in *r), 2 (an internal one, consumed), 0. */
static int reap(struct sess *s, int qp, struct reply *r)
{
	struct hc_qp_ctl *ctl = sess_ctl(s, qp);
	const struct hc_cqe *cq;
	struct gqp *q = &s->q[qp];
	struct hc_cqe c;
	struct slot *sl = NULL;
	uint32_t n = 0;
	int i, internal = 0;

	if (LOAD(&ctl->cq_prod) == q->cons)	/* rmb: then the entry */
		return 0;
	cq = (const struct hc_cqe *)(qp_base(s, qp) + HC_QP_CQ_OFF);
	memcpy(&c, &cq[q->cons % HC_QP_ENTRIES], sizeof(c));
	for (i = 0; i < 2 * HC_QP_ENTRIES && !sl; i++)
		if (q->slots[i].used && q->slots[i].internal != 2 &&
		    q->slots[i].tag == c.tag)
			sl = &q->slots[i];
	if (sl) {
		n = c.out_len <= sl->out_len ? c.out_len : sl->out_len;
		if (c.out_len > sl->out_len)
			fprintf(stderr, "test: completion %llu: out_len %u "
				"over the %u asked for\n",
				(unsigned long long)c.tag, c.out_len,
				sl->out_len);
		internal = sl->internal;
	}
	r->tag = c.tag;
	r->result = c.result;
	r->len = n;
	r->data = malloc(n + 1);
	if (n)
		memcpy(r->data, qp_base(s, qp) + sl->out_off, n);
	r->data[n] = 0;
	if (sl)
		sl->used = 0;
	q->cons++;
	STORE(&ctl->cq_cons, q->cons);
	if (internal) {
		free(r->data);
		return 2;
	}
	return 1;
}

static void set_waiting(struct sess *s, uint32_t flags)
{
	STORE(&sess_ctl(s, 0)->cq_flags, flags);
	STORE(&sess_ctl(s, 1)->cq_flags, flags);
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static long us_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* A guest that looks a while before it sleeps: 1 when a completion came. */
static int spin(struct sess *s)
{
	long end = us_now() + s->spin_us;

	do {
		if (LOAD(&sess_ctl(s, 0)->cq_prod) != s->q[0].cons ||
		    LOAD(&sess_ctl(s, 1)->cq_prod) != s->q[1].cons)
			return 1;
		__builtin_ia32_pause();
	} while (us_now() < end);
	return 0;
}

int recv_reply(struct sess *s, int ms, struct reply *r)
{
	struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN },
			       { .fd = s->irq, .events = POLLIN } };
	long end = ms_now() + ms;
	uint64_t n;
	int qp, k, left;

	for (;;) {
		for (qp = 0; s->win && qp < 2; qp++) {
			while ((k = reap(s, qp, r)) == 2)
				;
			if (k == 1)
				return 0;
		}
		if (s->eof)
			return -ECONNRESET;
		if (s->win && s->spin_us && spin(s))
			continue;
		if (s->win) {
			set_waiting(s, HC_CQ_WAITING);
			MB();			/* (4): flag, then cq_prod */
			if (LOAD(&sess_ctl(s, 0)->cq_prod) != s->q[0].cons ||
			    LOAD(&sess_ctl(s, 1)->cq_prod) != s->q[1].cons) {
				set_waiting(s, 0);
				continue;
			}
		}
		left = (int)(end - ms_now());
		k = left > 0 ? poll(p, s->win ? 2 : 1, left) : 0;
		if (s->win) {
			set_waiting(s, 0);
			if (read(s->irq, &n, sizeof(n)) == sizeof(n))
				s->irqs += n;
		}
		/* The shadow writes nothing to fd 3: readable is its end. */
		if (k > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			s->eof = 1;
		else if (k <= 0)
			return -ETIMEDOUT;
	}
}

void sess_close(struct sess *s)
{
	int i;

	for (i = 0; i < s->nstash; i++)
		free(s->stash[i].data);
	s->nstash = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->win) {
		munmap(s->win, HC_WIN_SIZE);
		close(s->kick);
		close(s->irq);
		s->win = NULL;
	}
}
