/* SPDX-License-Identifier: MIT */
/*
 * shadowd: serves QEMU's -device hostcall control connections. For each
 * HCP_OPEN it maps the guest caller to a host user and starts a shadow
 * (hostcall-shadow) for the session, handing QEMU a direct socket to it.
 * shadowd stays out of the data path; it only starts, tracks and reaps,
 * applies the policy (policy.c) and keeps the audit trail (audit.c).
 *
 *   shadowd --private --fd N    one connection (QEMU's socketpair end)
 *   shadowd --socket PATH       listen; many QEMUs
 *   shadowd --system            as root: the host's policy, its socket
 *   shadowd --check-config      report every error of a policy file
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
#include "audit.h"
#include "auditfmt.h"
#include "container.h"
#include "hostcall_proto.h"
#include "log.h"
#include "policy.h"
#include "session_policy.h"
#include "spawn.h"
#include "user.h"

#define MAX_CONNS	256
#define CTL_BUF		4096		/* control packets are small */
#define KILL_GRACE_MS	1000		/* SIGTERM, then SIGKILL after this */
#define START_MS	10000		/* a shadow's fork to exec, at most */
#define SYSTEM_SOCKET	"/run/hostcall/shadowd.sock"

struct conn {
	int fd;
	unsigned id;
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	int hello;
	char vm_name[64];
	const struct vm_policy *vm;	/* chosen at HELLO */
};

struct shadow_rec {
	pid_t pid;
	uint32_t session;
	unsigned conn_id;	/* 0 once its connection is gone */
	int64_t kill_at;	/* ms on CLOCK_MONOTONIC for SIGKILL, or 0 */
	uid_t owner;		/* the VM owner, and */
	const struct vm_policy *section;	/* its section: the limit */
	char vm_name[64];
	char fields[400];	/* its identity for audit lines */
	struct container *box;	/* its processes (container.h) */
	struct audit_rate rate;	/* of its audit lines */
	/* Starting: forked, not yet exec'd (its chdir to the home may
	 * hang); QEMU gets `opened` and sess_fd once it has exec'd. */
	int status_fd;		/* the status pipe while starting, else -1 */
	int sess_fd;
	int64_t start_by;	/* ms: refused and killed if not exec'd */
	int failed;		/* never started: no session-end line */
	int fallback;		/* mapped to the fallback user, not root */
	char guest[96];		/* "uid U gid G pid P COMM", for the log */
	struct hcp_opened opened;
};

static struct conn conns[MAX_CONNS];
static int nconns;
static unsigned next_conn_id = 1;
static struct shadow_rec *shadows;
static int nshadows, cap_shadows;
static int private_mode, system_mode;
static char shadow_path[PATH_MAX];
static struct policy policy;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: shadowd --private --fd N [--config FILE]\n"
"       shadowd --socket PATH [--config FILE]\n"
"       shadowd --system [--socket PATH] [--config FILE]\n"
"       shadowd --check-config [--config FILE]\n"
"\n"
"Serve QEMU's -device hostcall: start one shadow process (hostcall-shadow,\n"
"found next to this program) per guest session, as the mapped host user.\n"
"\n"
"  --private --fd N   serve the one control connection on fd N (an AF_UNIX\n"
"                     SOCK_SEQPACKET socket); exit when it closes, ending\n"
"                     every shadow it started\n"
"  --socket PATH      listen on PATH and serve every QEMU that connects\n"
"  --system           run as the host's daemon: root, the policy file\n"
"                     (" POLICY_DEFAULT_PATH ") required, socket\n"
"                     " SYSTEM_SOCKET " unless --socket\n"
"  --config FILE      the policy file (default: none, except --system)\n"
"  --check-config     check the policy file, print each error with its\n"
"                     line, exit 0 if it has none\n"
"  --help             this text\n"
"See shadowd(8).\n");
}

/* ---- shadows ---------------------------------------------------------- */

static struct shadow_rec *shadow_add(pid_t pid, uint32_t session,
				     unsigned conn_id)
{
	if (nshadows == cap_shadows) {
		int cap = cap_shadows ? cap_shadows * 2 : 16;
		struct shadow_rec *s = realloc(shadows, cap * sizeof(*s));

		if (!s) {
			/* Cannot track it: do not leave it untracked. */
			log_msg("out of memory tracking shadow %d; killing it",
				(int)pid);
			kill(pid, SIGKILL);
			return NULL;
		}
		shadows = s;
		cap_shadows = cap;
	}
	memset(&shadows[nshadows], 0, sizeof(shadows[0]));
	shadows[nshadows].status_fd = shadows[nshadows].sess_fd = -1;
	shadows[nshadows].pid = pid;
	shadows[nshadows].session = session;
	shadows[nshadows].conn_id = conn_id;
	return &shadows[nshadows++];
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

static void audit_end(const struct shadow_rec *r, int st, const char *how)
{
	char f[600];
	size_t n = 0;

	f[0] = 0;
	snprintf(f, sizeof(f), "%s", r->fields);
	n = strlen(f);
	audit_kv(f, sizeof(f), &n, "result", how);
	/* RLIMIT_CPU's soft limit sends SIGXCPU, its hard limit SIGKILL. */
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)
		audit_kv(f, sizeof(f), &n, "reason", "cpu-limit");
	audit_event("session-end", f);
}

static void start_done(struct shadow_rec *s, int e);

static void reap(void)
{
	char how[32];
	pid_t pid;
	int st, i, e;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		describe_status(st, how, sizeof(how));
		for (i = 0; i < nshadows; i++)
			if (shadows[i].pid == pid)
				break;
		if (i == nshadows) {
			log_msg("reaped unknown child %d (%s)", (int)pid, how);
			continue;
		}
		if (shadows[i].status_fd >= 0) {
			/* Gone before we read how its start went. */
			e = shadow_spawn_status(shadows[i].status_fd);
			start_done(&shadows[i], e > 0 ? -EIO : e);
		}
		if (!shadows[i].failed) {
			log_msg("session %u ended: shadow %d %s",
				shadows[i].session, (int)pid, how);
			audit_rate_flush(&shadows[i].rate, shadows[i].fields);
			audit_end(&shadows[i], st, how);
		}
		/* Whatever it started goes now, even if it was killed. */
		if (shadows[i].box) {
			container_end(shadows[i].box, shadows[i].fields);
			free(shadows[i].box);
		}
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

		if (s->status_fd >= 0 && s->start_by <= now) {
			log_msg("session %u: shadow %d did not start in %d s "
				"(its home directory hangs?); killing it",
				s->session, (int)s->pid, START_MS / 1000);
			start_done(s, -ETIMEDOUT);
			s->kill_at = now;
		}
		if (s->status_fd >= 0 &&
		    (next < 0 || s->start_by - now < next))
			next = s->start_by - now;
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

/* " vm=.. owner=.." of a connection, for audit lines. */
static size_t conn_fields(const struct conn *c, char *f, size_t n)
{
	char num[16];
	size_t len = 0;

	f[0] = 0;
	audit_kv(f, n, &len, "vm", c->vm_name);
	snprintf(num, sizeof(num), "%u", (unsigned)c->peer_uid);
	audit_kv(f, n, &len, "owner", num);
	return len;
}

static int do_hello(struct conn *c, const struct hcp_hello *h)
{
	struct hcp_status r;
	char f[300];
	size_t i, n;

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
	c->vm = policy_vm(&policy, c->vm_name);
	n = conn_fields(c, f, sizeof(f));
	if (!c->vm) {
		log_msg("conn %u: vm '%s' has no policy section (and there is "
			"no [vm *]); refused", c->id, c->vm_name);
		audit_kv(f, sizeof(f), &n, "result", "refused");
		audit_kv(f, sizeof(f), &n, "reason", "unknown-vm");
		audit_event("attach", f);
		r.status = -EPERM;
		send_packet(c, &r, sizeof(r), -1);
		return -1;
	}
	/* In private mode the owner started us: nothing to authenticate.
	 * Otherwise the peer's uid (SO_PEERCRED, from the kernel) must be
	 * an owner of the VM's policy section. */
	if (!private_mode && !policy_may_attach(&policy, c->vm, c->peer_uid)) {
		log_msg("conn %u: vm '%s' of uid %u refused by policy", c->id,
			c->vm_name, (unsigned)c->peer_uid);
		audit_kv(f, sizeof(f), &n, "result", "refused");
		audit_event("attach", f);
		r.status = -EPERM;
		send_packet(c, &r, sizeof(r), -1);
		return -1;
	}
	c->hello = 1;
	log_msg("conn %u: hello, vm '%s' (policy [vm %s])", c->id, c->vm_name,
		c->vm->name);
	audit_kv(f, sizeof(f), &n, "result", "ok");
	audit_event("attach", f);
	return send_packet(c, &r, sizeof(r), -1);
}

/*
 * Live (or starting) sessions a limit counts: one owner's, under one
 * policy section, over all its connections, devices and VM names. A
 * [vm *] section's limit is thus the owner's budget for all the names
 * it covers: choosing more names or devices gives no more sessions.
 */
static unsigned vm_sessions(uid_t owner, const struct vm_policy *section)
{
	unsigned n = 0;
	int i;

	for (i = 0; i < nshadows; i++)
		if (shadows[i].owner == owner &&
		    shadows[i].section == section && !shadows[i].failed)
			n++;
	return n;
}

/* " vm=.. owner=.. session=.. guest_uid=.. ..." of an OPEN. */
static size_t open_fields(const struct conn *c, const struct hcp_open *o,
			  char *f, size_t n)
{
	char num[16], comm[17];
	size_t len = conn_fields(c, f, n);

	identity_comm(&o->id, comm);
	snprintf(num, sizeof(num), "%u", o->hdr.session);
	audit_kv(f, n, &len, "session", num);
	snprintf(num, sizeof(num), "%u", o->id.uid);
	audit_kv(f, n, &len, "guest_uid", num);
	snprintf(num, sizeof(num), "%u", o->id.pid);
	audit_kv(f, n, &len, "guest_pid", num);
	audit_kv(f, n, &len, "comm", comm);
	return len;
}

static int refuse_open(struct conn *c, struct hcp_opened *r, int e,
		       char *f, size_t n, size_t len, const char *reason)
{
	audit_kv(f, n, &len, "result", "refused");
	audit_kv(f, n, &len, "reason", reason);
	audit_event("session-start", f);
	r->status = e;
	return send_packet(c, r, sizeof(*r), -1);
}

static int do_open(struct conn *c, const struct hcp_open *o)
{
	struct hcp_opened r;
	struct host_user u;
	struct map_request rq = {
		.owner_uid = private_mode ? getuid() : c->peer_uid,
		.vm_name = c->vm_name,
		.id = &o->id,
		.vm = c->vm,
		.fallback_user = policy.fallback_user,
	};
	struct shadow_rec *rec;
	struct container *box = NULL;
	char comm[17], f[400], num[16];
	pid_t pid = -1;
	int fd = -1, sfd = -1, pfd, e;
	size_t len;

	memset(&r, 0, sizeof(r));
	hcp_init(&r.hdr, HCP_OPENED, sizeof(r), o->hdr.session, o->hdr.tag);
	identity_comm(&o->id, comm);
	len = open_fields(c, o, f, sizeof(f));

	if (vm_sessions(rq.owner_uid, c->vm) >= c->vm->lim.sessions) {
		log_msg("conn %u: session %u refused: owner %u has its %u "
			"sessions of [vm %s]", c->id, o->hdr.session,
			(unsigned)rq.owner_uid, c->vm->lim.sessions,
			c->vm->name);
		return refuse_open(c, &r, -EAGAIN, f, sizeof(f), len,
				   "max-sessions");
	}
	e = user_map(&rq, &u);
	if (e == -EPERM) {
		log_msg("conn %u: session %u (guest uid %u pid %u %s) refused "
			"by policy", c->id, o->hdr.session, o->id.uid,
			o->id.pid, comm);
		return refuse_open(c, &r, e, f, sizeof(f), len, "map");
	}
	pfd = e == 0 ? session_policy_fd(&policy, c->vm, &u, &o->id) : -1;
	if (e == 0 && pfd < 0)
		e = pfd;
	if (e == 0 && !(box = malloc(sizeof(*box))))
		e = -ENOMEM;
	if (e == 0)
		e = container_prepare(box, c->vm, u.uid);
	if (e == 0)
		e = shadow_spawn(shadow_path, &u, &o->id, o->hdr.session,
				 c->vm_name, pfd, audit_tx_fd(), box, &pid,
				 &fd, &sfd);
	if (pfd >= 0)
		close(pfd);
	rec = e == 0 ? shadow_add(pid, o->hdr.session, c->id) : NULL;
	if (e == 0 && !rec) {
		close(fd);
		close(sfd);
		e = -ENOMEM;
	}
	if (e < 0) {
		if (box) {
			container_end(box, f);
			free(box);
		}
		errno = -e;
		log_err("conn %u: session %u (guest uid %u pid %u %s): "
			"cannot start shadow", c->id, o->hdr.session,
			o->id.uid, o->id.pid, comm);
		return refuse_open(c, &r, e, f, sizeof(f), len,
				   strerrorname_np(-e) ? strerrorname_np(-e)
						       : "error");
	}
	audit_kv(f, sizeof(f), &len, "host_user", u.name);
	snprintf(num, sizeof(num), "%u", (unsigned)u.uid);
	audit_kv(f, sizeof(f), &len, "host_uid", num);
	snprintf(num, sizeof(num), "%d", (int)pid);
	audit_kv(f, sizeof(f), &len, "shadow", num);
	rec->box = box;
	rec->owner = rq.owner_uid;
	rec->section = c->vm;
	snprintf(rec->vm_name, sizeof(rec->vm_name), "%s", c->vm_name);
	snprintf(rec->fields, sizeof(rec->fields), "%s", f);
	rec->status_fd = sfd;
	rec->sess_fd = fd;
	rec->start_by = now_ms() + START_MS;
	rec->fallback = u.fallback;
	snprintf(rec->guest, sizeof(rec->guest), "uid %u gid %u pid %u %s",
		 o->id.uid, o->id.gid, o->id.pid, comm);
	r.info.host_uid = u.uid;
	r.info.host_gid = u.gid;
	r.info.shadow_pid = pid;
	r.info.session = o->hdr.session;
	/* Cut to the field (NUL-terminated); logs show the full name. */
	memcpy(r.info.host_user, u.name,
	       strnlen(u.name, sizeof(r.info.host_user) - 1));
	rec->opened = r;
	/* The answer waits for the exec (start_input). */
	return 0;
}

static struct conn *conn_find(unsigned id)
{
	int i;

	for (i = 0; id && i < nconns; i++)
		if (conns[i].id == id)
			return &conns[i];
	return NULL;
}

static void conn_close(int i);

/*
 * The shadow exec'd (e == 0) or failed to (-errno; it exits and is
 * reaped): answer the OPEN, if its connection is still there.
 */
static void start_done(struct shadow_rec *s, int e)
{
	struct conn *c = conn_find(s->conn_id);
	struct hcp_opened *r = &s->opened;
	char f[600];
	size_t len;
	int fd = -1;

	close(s->status_fd);
	s->status_fd = -1;
	snprintf(f, sizeof(f), "%s", s->fields);
	len = strlen(f);
	if (e < 0) {
		errno = -e;
		log_err("session %u (vm '%s', guest %s): cannot start shadow",
			s->session, s->vm_name, s->guest);
		audit_kv(f, sizeof(f), &len, "result", "refused");
		audit_kv(f, sizeof(f), &len, "reason", strerrorname_np(-e) ?
			 strerrorname_np(-e) : "error");
		s->failed = 1;
		r->status = e;
		memset(&r->info, 0, sizeof(r->info));
	} else {
		log_msg("session %u started: vm '%s' guest %s -> host user %s "
			"(%u)%s, shadow %d", s->session, s->vm_name, s->guest,
			r->info.host_user, r->info.host_uid,
			s->fallback ? " instead of root" : "", (int)s->pid);
		if (s->fallback)
			audit_kv(f, sizeof(f), &len, "note", "root-not-named");
		audit_kv(f, sizeof(f), &len, "result", "ok");
		fd = s->sess_fd;
	}
	audit_event("session-start", f);
	if (c && send_packet(c, r, sizeof(*r), fd) < 0)
		conn_close(c - conns);
	/* Our copy goes either way: if QEMU did not get it, the shadow
	 * sees EOF and ends itself. */
	close(s->sess_fd);
	s->sess_fd = -1;
}

/* A starting shadow's status pipe is readable. */
static void start_input(int fd)
{
	int i, e;

	for (i = 0; i < nshadows; i++) {
		if (shadows[i].status_fd != fd)
			continue;
		e = shadow_spawn_status(fd);
		if (e <= 0)
			start_done(&shadows[i], e);
		return;
	}
}

static int shadow_index(pid_t pid)
{
	int i;

	for (i = 0; i < nshadows; i++)
		if (shadows[i].pid == pid)
			return i;
	return -1;
}

/* pid's parent, from /proc; 0 if unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	rp = strrchr(buf, ')');		/* "pid (comm) S ppid ..." */
	return rp && rp[1] == ' ' && rp[2] ? (pid_t)atoi(rp + 4) : 0;
}

/*
 * audit.c asks who sent a datagram: one of our shadows, or its launcher
 * (a child of a shadow: only the launcher holds the socket; commands do
 * not, and cannot take it from the undumpable launcher).
 */
static struct audit_rate *audit_who(pid_t pid, char *prefix, size_t n,
				    const char **from)
{
	int i = shadow_index(pid);

	*from = "shadow";
	if (i < 0 && (i = shadow_index(parent_of(pid))) >= 0)
		*from = "launcher";
	if (i < 0) {
		log_msg("audit line from pid %d, not a shadow; dropped",
			(int)pid);
		return NULL;
	}
	snprintf(prefix, n, "%s", shadows[i].fields);
	return &shadows[i].rate;
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
	/* The peer's uid is its VM's owner: HELLO checks it against the
	 * policy once the VM's name is known. */
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
		audit_input(audit_who);
		signal_input(sfd);
	}
}

/* --check-config and startup: every error on its own line. */
static void config_error(const char *file, int line, const char *msg)
{
	if (line)
		fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}

static void config_note(const char *msg)
{
	printf("note: %s\n", msg);
}

static int check_config(const char *path)
{
	int n = policy_load(path, &policy, config_error);

	/* A plugin a modules line names must be there, and safe to load. */
	if (!n)
		n = policy_check_plugins(&policy, config_error);
	if (!n)
		policy_notes(&policy, config_note);
	policy_free(&policy);
	if (n) {
		fprintf(stderr, "%s: %d error%s\n", path, n, n == 1 ? "" : "s");
		return 1;
	}
	printf("%s: OK\n", path);
	return 0;
}

static void load_policy(const char *path)
{
	struct stat st;
	int n;

	if (!path) {
		policy_builtin(&policy);
		return;
	}
	/* The system's policy decides who may act as whom: only root may
	 * be able to change it. */
	if (system_mode && stat(path, &st) == 0 &&
	    (st.st_uid != 0 || (st.st_mode & 022)))
		die("%s: must be owned by root and writable by root alone; "
		    "not starting", path);
	n = policy_load(path, &policy, config_error);
	if (n)
		die("%s: %d error%s; not starting", path, n,
		    n == 1 ? "" : "s");
	log_msg("policy %s: %d VM section%s", path, policy.nvms,
		policy.nvms == 1 ? "" : "s");
}

/* The system socket's directory: root's, searchable by all. */
static void system_socket_dir(const char *sock)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die("cannot create %s: %s", dir, strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "private", no_argument, NULL, 'p' },
		{ "fd", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "system", no_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sock_path = NULL, *config = NULL;
	long ctl_fd = -1;
	int lfd = -1, sfd, afd, o, stop = 0, check = 0, e;
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
		case 'S':
			system_mode = 1;
			break;
		case 'c':
			config = optarg;
			break;
		case 'C':
			check = 1;
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
	if (check) {
		if (private_mode || system_mode || sock_path || ctl_fd >= 0) {
			log_msg("--check-config takes only --config");
			return 2;
		}
		return check_config(config ? config : POLICY_DEFAULT_PATH);
	}
	if (system_mode) {
		if (private_mode || ctl_fd >= 0) {
			log_msg("--system does not go with --private");
			return 2;
		}
		if (geteuid() != 0)
			die("--system needs root (it starts shadows as other "
			    "users)");
		if (!sock_path)
			sock_path = SYSTEM_SOCKET;
		if (!config)
			config = POLICY_DEFAULT_PATH;
	}
	if (private_mode == !!sock_path || (private_mode && ctl_fd < 0) ||
	    (!private_mode && ctl_fd >= 0)) {
		log_msg("give either --private --fd N, --socket PATH or "
			"--system");
		usage(stderr);
		return 2;
	}

	find_shadow();
	load_policy(config);
	/* Only a daemon without a policy file serves any VM name. */
	policy.refuse_unknown = !private_mode && config;
	container_init();
	e = audit_open(&policy);
	if (e < 0)
		die("audit: %s%s%s", policy.audit == AUDIT_FILE ?
		    policy.audit_file : "", policy.audit == AUDIT_FILE ?
		    ": " : "", strerror(-e));
	afd = audit_rx_fd();
	sfd = setup_signals();
	if (private_mode) {
		if (fcntl(ctl_fd, F_GETFD) < 0)
			die("--fd %ld: %s", ctl_fd, strerror(errno));
		if (conn_add(ctl_fd) < 0)
			die("--fd %ld: not a usable control socket", ctl_fd);
	} else {
		if (system_mode)
			system_socket_dir(sock_path);
		lfd = listen_on(sock_path);
		/* Anyone may connect; SO_PEERCRED and the policy decide
		 * who is served (at HELLO). */
		if (system_mode && chmod(sock_path, 0666) < 0)
			die("chmod %s: %s", sock_path, strerror(errno));
	}

	while (!stop) {
		static struct pollfd *p;
		static int cap;
		int n = 0, i, t, base, sbase, li = -1;

		/* Room for the connections and the starting shadows. */
		if (cap < 3 + nconns + nshadows) {
			cap = 3 + MAX_CONNS + nshadows * 2;
			p = realloc(p, cap * sizeof(*p));
			if (!p)
				die("out of memory");
		}
		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = afd, .events = POLLIN };
		if (lfd >= 0) {
			li = n;
			p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		}
		base = n;
		for (i = 0; i < nconns; i++)
			p[n++] = (struct pollfd){ .fd = conns[i].fd,
						  .events = POLLIN };
		sbase = n;
		for (i = 0; i < nshadows; i++)
			if (shadows[i].status_fd >= 0)
				p[n++] = (struct pollfd){
					.fd = shadows[i].status_fd,
					.events = POLLIN };
		t = kill_timers();
		if (poll(p, n, t) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		/* Audit lines before the signals: a shadow's last words come
		 * before its session-end line. */
		if (p[1].revents)
			audit_input(audit_who);
		if (p[0].revents)
			stop |= signal_input(sfd);
		if (li >= 0 && (p[li].revents & POLLIN)) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0 && conn_add(fd) < 0)
				close(fd);
			else if (fd < 0 && errno != EAGAIN && errno != EINTR)
				log_err("accept");
		}
		/* Starting shadows first: a connection closed below must
		 * not be answered. reap() may have finished some already. */
		for (i = sbase; i < n; i++)
			if (p[i].revents)
				start_input(p[i].fd);
		/* Connections from the back so closing one (which moves the
		 * last into its slot) does not skip any. */
		for (i = sbase - 1; i >= base; i--) {
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
	audit_input(audit_who);
	container_shutdown();
	free(shadows);
	audit_close();
	policy_free(&policy);
	log_msg("exiting");
	return 0;
}
