/* SPDX-License-Identifier: MIT */
/*
 * shadowd: serves QEMU's -device hostcall control connections. For each
 * HCP_OPEN it maps the guest caller to a host user and starts a shadow
 * (hostcall-shadow) for the session, handing QEMU a direct socket to it.
 * shadowd stays out of the data path; it only starts, tracks and reaps.
 *
 *   shadowd --private --fd N    one connection (QEMU's socketpair end)
 *   shadowd --socket PATH       listen; many QEMUs
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hostcall_proto.h"
#include "log.h"
#include "spawn.h"
#include "user.h"

#define MAX_CONNS	256
#define CTL_BUF		4096		/* control packets are small */
#define KILL_GRACE_MS	1000		/* SIGTERM, then SIGKILL after this */

struct conn {
	int fd;
	unsigned id;
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	int hello;
	char vm_name[64];
};

struct shadow_rec {
	pid_t pid;
	uint32_t session;
	unsigned conn_id;	/* 0 once its connection is gone */
	int64_t kill_at;	/* ms on CLOCK_MONOTONIC for SIGKILL, or 0 */
};

static struct conn conns[MAX_CONNS];
static int nconns;
static unsigned next_conn_id = 1;
static struct shadow_rec *shadows;
static int nshadows, cap_shadows;
static int private_mode;
static char shadow_path[PATH_MAX];

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: shadowd --private --fd N\n"
"       shadowd --socket PATH\n"
"\n"
"Serve QEMU's -device hostcall: start one shadow process (hostcall-shadow,\n"
"found next to this program) per guest session, as the mapped host user.\n"
"\n"
"  --private --fd N   serve the one control connection on fd N (an AF_UNIX\n"
"                     SOCK_SEQPACKET socket); exit when it closes, ending\n"
"                     every shadow it started\n"
"  --socket PATH      listen on PATH and serve every QEMU that connects\n"
"  --help             this text\n");
}

/* ---- shadows ---------------------------------------------------------- */

static void shadow_add(pid_t pid, uint32_t session, unsigned conn_id)
{
	if (nshadows == cap_shadows) {
		int cap = cap_shadows ? cap_shadows * 2 : 16;
		struct shadow_rec *s = realloc(shadows, cap * sizeof(*s));

		if (!s) {
			/* Cannot track it: do not leave it untracked. */
			log_msg("out of memory tracking shadow %d; killing it",
				(int)pid);
			kill(pid, SIGKILL);
			return;
		}
		shadows = s;
		cap_shadows = cap;
	}
	shadows[nshadows++] = (struct shadow_rec){ pid, session, conn_id, 0 };
}

/*
 * End a shadow: SIGTERM lets it kill what it started and reap it; SIGKILL
 * follows after a grace period in case it cannot.
 */
static void shadow_end(struct shadow_rec *s)
{
	if (s->kill_at)
		return;
	kill(s->pid, SIGTERM);
	s->kill_at = now_ms() + KILL_GRACE_MS;
}

static void describe_status(int st, char *buf, size_t n)
{
	if (WIFEXITED(st))
		snprintf(buf, n, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, n, "signal %d", WTERMSIG(st));
	else
		snprintf(buf, n, "status 0x%x", st);
}

static void reap(void)
{
	char how[32];
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		describe_status(st, how, sizeof(how));
		for (i = 0; i < nshadows; i++)
			if (shadows[i].pid == pid)
				break;
		if (i == nshadows) {
			log_msg("reaped unknown child %d (%s)", (int)pid, how);
			continue;
		}
		log_msg("session %u ended: shadow %d %s", shadows[i].session,
			(int)pid, how);
		shadows[i] = shadows[--nshadows];
	}
}

/* Poll timeout until the next SIGKILL is due; sends the due ones. */
static int kill_timers(void)
{
	int64_t now = now_ms(), next = -1;
	int i;

	for (i = 0; i < nshadows; i++) {
		struct shadow_rec *s = &shadows[i];

		if (!s->kill_at)
			continue;
		if (s->kill_at <= now) {
			kill(s->pid, SIGKILL);
			s->kill_at = INT64_MAX;	/* sent; now just wait */
			continue;
		}
		if (s->kill_at != INT64_MAX &&
		    (next < 0 || s->kill_at - now < next))
			next = s->kill_at - now;
	}
	return (int)next;
}

/* ---- control connections --------------------------------------------- */

static int send_packet(struct conn *c, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	}
	/* Never block the daemon on one client: a peer that does not read
	 * its few small replies is broken and gets dropped. */
	do
		n = sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		log_err("conn %u: send", c->id);
		return -1;
	}
	return 0;
}

static int do_hello(struct conn *c, const struct hcp_hello *h)
{
	struct hcp_status r;
	size_t i;

	memset(&r, 0, sizeof(r));
	hcp_init(&r.hdr, HCP_HELLO_OK, sizeof(r), h->hdr.session, h->hdr.tag);
	r.version = HCP_VERSION;
	if (h->version != HCP_VERSION) {
		log_msg("conn %u: HELLO version %u, want %u", c->id,
			h->version, HCP_VERSION);
		r.status = -EPROTONOSUPPORT;
		return send_packet(c, &r, sizeof(r), -1);
	}
	for (i = 0; i < sizeof(c->vm_name) - 1 && h->vm_name[i]; i++) {
		unsigned char ch = h->vm_name[i];
		c->vm_name[i] = (ch > 0x20 && ch < 0x7f) ? ch : '?';
	}
	c->vm_name[i] = 0;
	c->hello = 1;
	log_msg("conn %u: hello, vm '%s'", c->id, c->vm_name);
	return send_packet(c, &r, sizeof(r), -1);
}

static int do_open(struct conn *c, const struct hcp_open *o)
{
	struct hcp_opened r;
	struct host_user u;
	struct map_request rq = {
		.owner_uid = private_mode ? getuid() : c->peer_uid,
		.vm_name = c->vm_name,
		.id = &o->id,
	};
	char comm[17];
	pid_t pid = -1;
	int fd = -1, e, ret;

	memset(&r, 0, sizeof(r));
	hcp_init(&r.hdr, HCP_OPENED, sizeof(r), o->hdr.session, o->hdr.tag);
	identity_comm(&o->id, comm);

	e = user_map(&rq, &u);
	if (e == 0)
		e = shadow_spawn(shadow_path, &u, &o->id, o->hdr.session,
				 c->vm_name, &pid, &fd);
	if (e < 0) {
		errno = -e;
		log_err("conn %u: session %u (guest uid %u pid %u %s): "
			"cannot start shadow", c->id, o->hdr.session,
			o->id.uid, o->id.pid, comm);
		r.status = e;
		return send_packet(c, &r, sizeof(r), -1);
	}
	shadow_add(pid, o->hdr.session, c->id);
	r.info.host_uid = u.uid;
	r.info.host_gid = u.gid;
	r.info.shadow_pid = pid;
	r.info.session = o->hdr.session;
	/* Cut to the field (NUL-terminated); logs show the full name. */
	memcpy(r.info.host_user, u.name,
	       strnlen(u.name, sizeof(r.info.host_user) - 1));
	log_msg("session %u started: vm '%s' guest uid %u gid %u pid %u %s "
		"-> host user %s (%u), shadow %d", o->hdr.session, c->vm_name,
		o->id.uid, o->id.gid, o->id.pid, comm, u.name, u.uid,
		(int)pid);
	ret = send_packet(c, &r, sizeof(r), fd);
	/* Our copy goes either way: if QEMU did not get it, the shadow
	 * sees EOF and ends itself. */
	close(fd);
	return ret;
}

/* One packet from a control connection: 0 to keep it, -1 to close it. */
static int conn_packet(struct conn *c, const unsigned char *buf, size_t n)
{
	struct hcp_hdr h;

	if (hcp_check(buf, n) < 0) {
		log_msg("conn %u: malformed packet (%zu bytes); closing",
			c->id, n);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	switch (h.type) {
	case HCP_HELLO: {
		struct hcp_hello m;

		if (c->hello) {
			log_msg("conn %u: second HELLO; closing", c->id);
			return -1;
		}
		memcpy(&m, buf, sizeof(m));
		return do_hello(c, &m);
	}
	case HCP_OPEN: {
		struct hcp_open m;

		if (!c->hello) {
			log_msg("conn %u: OPEN before HELLO; closing", c->id);
			return -1;
		}
		memcpy(&m, buf, sizeof(m));
		return do_open(c, &m);
	}
	default:
		log_msg("conn %u: unexpected packet type %u; closing", c->id,
			h.type);
		return -1;
	}
}

static void conn_close(int i)
{
	struct conn *c = &conns[i];
	int j, n = 0;

	/* The VMM is gone (or broken): its shadows go with it. */
	for (j = 0; j < nshadows; j++) {
		if (shadows[j].conn_id == c->id) {
			shadows[j].conn_id = 0;
			shadow_end(&shadows[j]);
			n++;
		}
	}
	log_msg("conn %u closed; ending %d shadow%s", c->id, n,
		n == 1 ? "" : "s");
	close(c->fd);
	conns[i] = conns[--nconns];
}

/* Readable control connection: 0 to keep it, -1 to close it. */
static int conn_input(struct conn *c)
{
	unsigned char buf[CTL_BUF];
	ssize_t n;

	/* MSG_TRUNC: n is the real packet length, so oversized packets are
	 * seen as such. fds sent to us are discarded by the kernel since we
	 * pass no control buffer. */
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		log_err("conn %u: recv", c->id);
		return -1;
	}
	if (n == 0)
		return -1;	/* EOF (SEQPACKET has no empty packets here) */
	if ((size_t)n > sizeof(buf)) {
		log_msg("conn %u: oversized packet (%zd bytes); closing",
			c->id, n);
		return -1;
	}
	return conn_packet(c, buf, n);
}

static int conn_add(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct conn *c;
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    type != SOCK_SEQPACKET) {
		log_msg("fd %d is not a SOCK_SEQPACKET socket", fd);
		return -1;
	}
	if (nconns == MAX_CONNS) {
		log_msg("too many connections (%d); refusing one", MAX_CONNS);
		return -1;
	}
	c = &conns[nconns];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->id = next_conn_id++;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		log_err("conn %u: SO_PEERCRED", c->id);
		return -1;
	}
	/* Today any peer is served as itself (see user.c); a system mode
	 * will check the peer against its policy here. */
	c->peer_pid = cr.pid;
	c->peer_uid = cr.uid;
	c->peer_gid = cr.gid;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	nconns++;
	log_msg("conn %u: peer pid %d uid %u gid %u", c->id, (int)cr.pid,
		cr.uid, cr.gid);
	return 0;
}

/* ---- setup ------------------------------------------------------------- */

static void find_shadow(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		die("cannot read /proc/self/exe: %s", strerror(errno));
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		die("odd /proc/self/exe: %s", self);
	*slash = 0;
	if ((size_t)snprintf(shadow_path, sizeof(shadow_path),
			     "%s/hostcall-shadow", self) >= sizeof(shadow_path))
		die("path of hostcall-shadow too long");
	if (access(shadow_path, X_OK) < 0)
		die("shadow program %s: %s", shadow_path, strerror(errno));
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	/* Replace a stale socket, never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			die("%s exists and is not a socket", path);
		if (unlink(path) < 0)
			die("cannot remove old socket %s: %s", path,
			    strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot bind %s: %s", path, strerror(errno));
	if (listen(fd, 64) < 0)
		die("cannot listen on %s: %s", path, strerror(errno));
	log_msg("listening on %s", path);
	return fd;
}

static int setup_signals(void)
{
	sigset_t set;
	int fd;

	/* EPIPE instead of death when a QEMU goes away mid-send. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die("signalfd: %s", strerror(errno));
	return fd;
}

/* Returns 1 when a terminating signal arrived. */
static int signal_input(int sfd)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			log_msg("signal %u; ending", si.ssi_signo);
			stop = 1;
		}
	}
	reap();
	return stop;
}

/* End every shadow and wait for all of them, bounded by the grace time. */
static void shutdown_all(int sfd)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN };
	int i, t;

	while (nconns)
		conn_close(nconns - 1);
	for (i = 0; i < nshadows; i++)
		shadow_end(&shadows[i]);
	reap();
	while (nshadows) {
		t = kill_timers();
		poll(&p, 1, t < 0 ? 100 : t);
		signal_input(sfd);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "private", no_argument, NULL, 'p' },
		{ "fd", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sock_path = NULL;
	long ctl_fd = -1;
	int lfd = -1, sfd, o, stop = 0;
	char *end;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			private_mode = 1;
			break;
		case 'f':
			errno = 0;
			ctl_fd = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || ctl_fd < 0 ||
			    ctl_fd > INT_MAX)
				die("--fd: not a file descriptor: %s", optarg);
			break;
		case 's':
			sock_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		log_msg("unexpected argument: %s", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (private_mode == !!sock_path || (private_mode && ctl_fd < 0) ||
	    (!private_mode && ctl_fd >= 0)) {
		log_msg("give either --private --fd N or --socket PATH");
		usage(stderr);
		return 2;
	}

	find_shadow();
	sfd = setup_signals();
	if (private_mode) {
		if (fcntl(ctl_fd, F_GETFD) < 0)
			die("--fd %ld: %s", ctl_fd, strerror(errno));
		if (conn_add(ctl_fd) < 0)
			die("--fd %ld: not a usable control socket", ctl_fd);
	} else {
		lfd = listen_on(sock_path);
	}

	while (!stop) {
		struct pollfd p[MAX_CONNS + 2];
		int n = 0, i, t, base;

		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (lfd >= 0)
			p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		base = n;
		for (i = 0; i < nconns; i++)
			p[n++] = (struct pollfd){ .fd = conns[i].fd,
						  .events = POLLIN };
		t = kill_timers();
		if (poll(p, n, t) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (p[0].revents)
			stop |= signal_input(sfd);
		if (lfd >= 0 && (p[1].revents & POLLIN)) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0 && conn_add(fd) < 0)
				close(fd);
			else if (fd < 0 && errno != EAGAIN && errno != EINTR)
				log_err("accept");
		}
		/* Connections from the back so closing one (which moves the
		 * last into its slot) does not skip any. */
		for (i = n - 1; i >= base; i--) {
			int ci = i - base;

			if (ci >= nconns || !p[i].revents)
				continue;
			if (conns[ci].fd != p[i].fd)
				continue;
			if (conn_input(&conns[ci]) < 0)
				conn_close(ci);
		}
		if (private_mode && nconns == 0)
			break;
	}
	shutdown_all(sfd);
	if (lfd >= 0) {
		close(lfd);
		unlink(sock_path);
	}
	free(shadows);
	log_msg("exiting");
	return 0;
}
