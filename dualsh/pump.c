// SPDX-License-Identifier: MIT
/*
 * dualsh pump: the relay process of one run of host stages (see pump.h).
 * One thread per stream copy, in chunks of HC_MAX_DATA; the main thread
 * waits for the host processes; a signal thread forwards SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, stop/continue and window size changes to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "pump.h"
#include "shell.h"

static struct pump_plan *P;
static volatile int exited[PUMP_MAX_STAGES];
/* pty mode: the guest terminal's suspend key, or -1 (the terminal is raw
 * while a host pty has it, so the key arrives as a byte, not a signal) */
static int susp_char = -1;

static void forward(int sig);
static void resize(void);

/*
 * Stop the job as a guest job stops on Ctrl-Z: the host process group
 * first (SIGSTOP: the shadow's session is an orphaned process group, in
 * which SIGTSTP does nothing), then this process, so the shell sees the
 * job stopped and takes the terminal back. SIGCONT (fg, bg) continues both.
 */
static void stop_job(void)
{
	forward(SIGSTOP);
	kill(getpid(), SIGSTOP);
}

/* pty mode, reading the guest terminal failed: EIO while the job is in
 * the background (`bg`; SIGTTIN is blocked here). Wait to be in the
 * foreground again, as a host program that waits for input; true to
 * retry, false when the terminal is gone. */
static bool wait_foreground(void)
{
	pid_t fg = tcgetpgrp(P->ttyfd);

	if (fg < 0 || fg == getpgrp())
		return false;
	usleep(50000);
	return true;
}

static ssize_t ep_read(struct ep *e, void *buf, size_t len)
{
	ssize_t r;

	for (;;) {
		switch (e->kind) {
		case EP_FD:
			r = read(e->fd, buf, len);
			if (r < 0)
				r = -errno;
			break;
		case EP_PROC:
			r = hc_proc_read(P->hc, e->h, e->stream, buf, len);
			break;
		case EP_HFILE:
			r = hc_fs_read(P->hc, e->h, buf, len);
			break;
		default:
			return 0;
		}
		if (r != -EINTR)
			return r;
	}
}

static int ep_write(struct ep *e, const char *buf, size_t len)
{
	while (len) {
		ssize_t w;

		switch (e->kind) {
		case EP_FD:
			w = write(e->fd, buf, len);
			if (w < 0)
				w = -errno;
			break;
		case EP_PROC:
			w = hc_proc_write(P->hc, e->h, buf, len);
			break;
		case EP_HFILE:
			w = hc_fs_write(P->hc, e->h, buf, len);
			break;
		default:
			return -EBADF;
		}
		if (w == -EINTR)
			continue;
		if (w < 0)
			return (int)w;
		if (w == 0)
			return -EIO;
		buf += w;
		len -= w;
	}
	return 0;
}

static void ep_close(struct ep *e)
{
	switch (e->kind) {
	case EP_FD:
		close(e->fd);
		break;
	case EP_PROC:
		hc_proc_close(P->hc, e->h, e->stream);
		break;
	default:
		break;
	}
}

static void *copy_thread(void *arg)
{
	struct pump_copy *c = arg;
	char *buf = malloc(PUMP_CHUNK);
	bool eof = false;

	if (!buf)
		goto out;
	for (;;) {
		ssize_t r = ep_read(&c->src, buf, PUMP_CHUNK);

		if (r == -EIO && c->input && P->pty && wait_foreground())
			continue;
		if (r <= 0) {
			eof = true;
			break;
		}
		if (c->input && P->pty && susp_char >= 0) {
			char *z;
			bool bad = false;

			while ((z = memchr(buf, susp_char, r))) {
				size_t k = z - buf;

				if (k && ep_write(&c->dst, buf, k) < 0) {
					bad = true;
					break;
				}
				stop_job();
				memmove(buf, z + 1, r - k - 1);
				r -= k + 1;
			}
			if (bad)
				break;
			if (!r)
				continue;
		}
		if (ep_write(&c->dst, buf, r) < 0)
			break;
	}
out:
	free(buf);
	if (eof) {
		/* the reader sees the end */
		ep_close(&c->dst);
		if (c->src.kind == EP_FD)
			close(c->src.fd);
	} else {
		/* the writer learns that nobody reads (SIGPIPE / EPIPE) */
		ep_close(&c->src);
		if (c->dst.kind == EP_FD)
			close(c->dst.fd);
	}
	return NULL;
}

static void forward(int sig)
{
	int i;

	for (i = 0; i < P->n; i++)
		if (P->h[i] >= 0 && !exited[i])
			hc_proc_signal(P->hc, P->h[i], sig);
}

static void resize(void)
{
	struct winsize ws;
	static bool reported;
	int r;

	if (!P->pty || P->h[0] < 0 || ioctl(P->ttyfd, TIOCGWINSZ, &ws) < 0 ||
	    !ws.ws_row || !ws.ws_col)
		return;
	r = hc_proc_resize(P->hc, P->h[0], ws.ws_row, ws.ws_col);
	if (r < 0 && r != -ESRCH && !reported) {
		/* once: a host that cannot resize is worth knowing about */
		errmsg("host: window size not passed on: %s", strerror(-r));
		reported = true;
	}
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;

	for (;;) {
		int sig;

		if (sigwait(set, &sig))
			continue;
		switch (sig) {
		case SIGWINCH:
			resize();
			break;
		case SIGTSTP:
		case SIGTTIN:
		case SIGTTOU:
			/* a host process group has no terminal here: stop it
			 * for real, then stop ourselves */
			forward(SIGSTOP);
			kill(getpid(), SIGSTOP);
			break;
		case SIGCONT:
			/* fg or bg: the window may have changed meanwhile */
			forward(SIGCONT);
			resize();
			break;
		default:
			forward(sig);
		}
	}
	return NULL;
}

static bool keep_fd(int fd, const int *keep, int nkeep)
{
	int i;

	for (i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

void pump_main(struct pump_plan *p)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
				    SIGTTIN, SIGTTOU, SIGCONT, SIGWINCH };
	pthread_t out[PUMP_MAX_COPIES], tid;
	int nout = 0, i, keep[PUMP_MAX_COPIES * 2 + 4], nkeep = 0, maxfd;
	struct termios saved;
	bool raw = false;
	static sigset_t set;

	P = p;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		sigaddset(&set, sigs[i]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* each copy owns its descriptors; everything else is closed so that
	 * readers and writers see the ends they should */
	for (i = 0; i < p->ncopy; i++) {
		struct pump_copy *c = &p->copy[i];

		if (c->src.kind == EP_FD)
			keep[nkeep++] = c->src.fd = fcntl(c->src.fd, F_DUPFD_CLOEXEC, 3);
		if (c->dst.kind == EP_FD)
			keep[nkeep++] = c->dst.fd = fcntl(c->dst.fd, F_DUPFD_CLOEXEC, 3);
	}
	keep[nkeep++] = p->statfd;
	keep[nkeep++] = hc_fd(p->hc);
	if (p->pty)
		keep[nkeep++] = p->ttyfd;
	maxfd = (int)sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (i = 3; i < maxfd; i++)
		if (!keep_fd(i, keep, nkeep))
			close(i);

	for (i = 0; i < p->nclose; i++)
		ep_close(&p->close[i]);

	if (p->pty && tcgetattr(p->ttyfd, &saved) == 0) {
		struct termios t = saved;

		cfmakeraw(&t);
		raw = tcsetattr(p->ttyfd, TCSADRAIN, &t) == 0;
		if ((saved.c_lflag & ISIG) && saved.c_cc[VSUSP] != _POSIX_VDISABLE)
			susp_char = saved.c_cc[VSUSP];
	}

	pthread_create(&tid, NULL, signal_thread, &set);
	for (i = 0; i < p->ncopy; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, copy_thread, &p->copy[i]))
			continue;
		if (p->copy[i].input)
			pthread_detach(t);
		else
			out[nout++] = t;
	}

	for (i = 0; i < p->n; i++) {
		int ws = 0, r;

		if (p->h[i] < 0)
			continue;
		do
			r = hc_proc_wait(p->hc, p->h[i], &ws);
		while (r == -EINTR);
		exited[i] = 1;
		p->st[i] = r < 0 ? 128 + SIGKILL : wait_to_status(ws);
	}
	for (i = 0; i < nout; i++)
		pthread_join(out[i], NULL);
	if (raw)
		tcsetattr(p->ttyfd, TCSADRAIN, &saved);
	write_all(p->statfd, p->st, p->n * sizeof(int));
	/* The shell releases the processes once the whole job is over: a
	 * guest stage may still be reading a stream fd of one that exited. */
	for (i = 0; i < p->nhfile; i++)
		hc_fs_close(p->hc, p->hfile[i]);
	_exit(0);
}
