/*
 * hostcall PCI device: connections to shadowd and to the shadows
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 *
 * One control connection per device to shadowd (a private shadowd started
 * by us, or a running one at socket=PATH), one direct connection per guest
 * session to its shadow. All are non-blocking SOCK_SEQPACKET sockets served
 * by main-loop fd handlers; a packet that does not fit waits in the
 * connection's queue until the socket is writable. A vCPU never waits for
 * the host.
 */
#include "qemu/osdep.h"
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "sysemu/sysemu.h"
#include "hostcall.h"

#define HOSTCALL_RECONNECT_NS   (1 * NANOSECONDS_PER_SECOND)
#define HOSTCALL_RX_BURST       64      /* packets per handler call */
#define HOSTCALL_TXQ_MAX        (2 * HC_RING_MAX)

static void ctrl_read(void *opaque);
static void ctrl_write(void *opaque);
static void session_read(void *opaque);
static void session_write(void *opaque);

/* ---- connections ---------------------------------------------------------- */

static void chan_init(HostcallChan *c)
{
    c->fd = -1;
    c->want_write = false;
    c->txq_len = 0;
    QSIMPLEQ_INIT(&c->txq);
}

static void chan_close(HostcallChan *c)
{
    HostcallMsg *m;

    while ((m = QSIMPLEQ_FIRST(&c->txq))) {
        QSIMPLEQ_REMOVE_HEAD(&c->txq, next);
        g_free(m);
    }
    c->txq_len = 0;
    c->want_write = false;
    if (c->fd >= 0) {
        qemu_set_fd_handler(c->fd, NULL, NULL, NULL);
        close(c->fd);
        c->fd = -1;
    }
}

static HostcallMsg *msg_new(const void *data, size_t len)
{
    HostcallMsg *m = g_malloc0(sizeof(*m) + len);

    m->len = len;
    memcpy(m->data, data, len);
    return m;
}

static void chan_queue(HostcallChan *c, HostcallMsg *m)
{
    QSIMPLEQ_INSERT_TAIL(&c->txq, m, next);
    c->txq_len++;
}

/* Build the HCP_CALL for req in s->txbuf, reading its input from the guest. */
static ssize_t build_call(HostcallState *s, HostcallReq *req)
{
    struct hcp_call *c = (struct hcp_call *)s->txbuf;
    size_t len = sizeof(*c) + req->in_len;
    int i;

    memset(c, 0, sizeof(*c));
    hcp_init(&c->hdr, HCP_CALL, len, req->session, req->tag);
    c->module = req->module;
    c->op = req->op;
    c->out_max = req->out_max;
    for (i = 0; i < 4; i++) {
        c->args[i] = req->args[i];
    }
    if (hostcall_gather(s, req, s->txbuf + sizeof(*c)) < 0) {
        return -EFAULT;
    }
    return len;
}

/*
 * Send queued packets until the socket is full, then wait for POLLOUT.
 * Returns 0, or -errno when the connection is broken (caller closes it).
 */
static int chan_flush(HostcallState *s, HostcallChan *c, IOHandler *rd,
                      IOHandler *wr, void *opaque)
{
    HostcallMsg *m;
    bool want;

    while (c->fd >= 0 && (m = QSIMPLEQ_FIRST(&c->txq))) {
        HostcallReq *call = m->call;
        const void *buf = m->data;
        ssize_t len = m->len, n;
        int err = 0;

        if (call) {
            len = build_call(s, call);
            buf = s->txbuf;
            if (len < 0) {
                err = len;
            }
        }
        if (!err) {
            do {
                n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
            } while (n < 0 && errno == EINTR);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (n < 0 && !(call && errno == EMSGSIZE)) {
                return -errno;
            }
            err = n < 0 ? -errno : 0;
        }
        QSIMPLEQ_REMOVE_HEAD(&c->txq, next);
        c->txq_len--;
        g_free(m);
        if (call) {
            if (err) {
                hostcall_complete(s, call, err, 0);
            } else {
                call->sent = true;
            }
        }
    }
    if (c->fd < 0) {
        return 0;
    }
    want = !QSIMPLEQ_EMPTY(&c->txq);
    if (want != c->want_write) {
        c->want_write = want;
        qemu_set_fd_handler(c->fd, rd, want ? wr : NULL, opaque);
    }
    return 0;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        return -errno;
    }
    return 0;
}

/* ---- sessions --------------------------------------------------------- */

static HostcallSession *session_new(HostcallState *s)
{
    int i;

    for (i = 0; i < HOSTCALL_MAX_SESSIONS; i++) {
        uint32_t id = s->next_session;

        s->next_session = id % HOSTCALL_MAX_SESSIONS + 1;
        if (!s->sessions[id]) {
            HostcallSession *sess = g_new0(HostcallSession, 1);

            sess->s = s;
            sess->id = id;
            sess->state = HC_SESS_OPENING;
            chan_init(&sess->chan);
            QTAILQ_INIT(&sess->calls);
            s->sessions[id] = sess;
            return sess;
        }
    }
    return NULL;
}

/* Drop a session; its calls must have been completed or freed. */
static void session_free(HostcallSession *sess)
{
    assert(QTAILQ_EMPTY(&sess->calls));
    chan_close(&sess->chan);
    sess->s->sessions[sess->id] = NULL;
    g_free(sess);
}

/* The shadow is gone (or we end it): fail what waits, keep the id. */
static void session_dead(HostcallSession *sess, int err)
{
    HostcallReq *req;

    chan_close(&sess->chan);       /* queued packets point at calls */
    sess->state = HC_SESS_DEAD;
    while ((req = QTAILQ_FIRST(&sess->calls))) {
        hostcall_complete(sess->s, req, err, 0);
    }
}

static void session_flush(HostcallSession *sess)
{
    if (chan_flush(sess->s, &sess->chan, session_read, session_write,
                   sess) < 0) {
        session_dead(sess, -ECONNRESET);
    }
}

static void session_write(void *opaque)
{
    session_flush(opaque);
}

static void session_send(HostcallSession *sess, HostcallMsg *m)
{
    chan_queue(&sess->chan, m);
    if (!sess->chan.want_write) {
        session_flush(sess);
    }
}

static void session_reply(HostcallSession *sess, size_t n)
{
    HostcallState *s = sess->s;
    struct hcp_reply *r = (struct hcp_reply *)s->rxbuf;
    size_t dlen = n - sizeof(*r);
    HostcallReq *req;
    int err;

    QTAILQ_FOREACH(req, &sess->calls, link) {
        if (req->sent && req->tag == r->hdr.tag) {
            break;
        }
    }
    if (!req) {
        qemu_log_mask(LOG_UNIMP, "hostcall: session %u: reply for unknown "
                      "tag 0x%" PRIx64 " dropped\n", sess->id, r->hdr.tag);
        return;
    }
    if (dlen > req->out_max) {
        hostcall_complete(s, req, -EPROTO, 0);
        return;
    }
    err = hostcall_scatter(s, req, s->rxbuf + sizeof(*r), dlen);
    if (err < 0) {
        hostcall_complete(s, req, err, 0);
    } else {
        hostcall_complete(s, req, r->result, dlen);
    }
}

static void session_read(void *opaque)
{
    HostcallSession *sess = opaque;
    HostcallState *s = sess->s;
    int i;

    for (i = 0; i < HOSTCALL_RX_BURST; i++) {
        struct iovec iov = { .iov_base = s->rxbuf, .iov_len = HCP_MAX_MSG };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n = recvmsg(sess->chan.fd, &mh, MSG_DONTWAIT);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) {
            /* The shadow exited: its session is over. */
            session_dead(sess, -ECONNRESET);
            return;
        }
        if ((mh.msg_flags & MSG_TRUNC) || hcp_check(s->rxbuf, n) < 0 ||
            ((struct hcp_hdr *)s->rxbuf)->type != HCP_REPLY) {
            error_report("hostcall: session %u: malformed packet from the "
                         "shadow, ending the session", sess->id);
            session_dead(sess, -ECONNRESET);
            return;
        }
        session_reply(sess, n);
    }
}

static void session_cancel(HostcallSession *sess, uint64_t tag)
{
    struct hcp_hdr h;
    HostcallReq *req;

    if (sess->state != HC_SESS_OPEN ||
        sess->chan.txq_len >= HOSTCALL_TXQ_MAX) {
        return;
    }
    QTAILQ_FOREACH(req, &sess->calls, link) {
        if (req->tag == tag && !req->cancel_sent) {
            break;
        }
    }
    if (!req) {
        return;         /* finished already: nothing to cancel */
    }
    req->cancel_sent = true;
    hcp_init(&h, HCP_CANCEL, sizeof(h), sess->id, tag);
    session_send(sess, msg_new(&h, sizeof(h)));
}

bool hostcall_host_session_exists(HostcallState *s, uint32_t id)
{
    return id >= 1 && id <= HOSTCALL_MAX_SESSIONS && s->sessions[id] &&
           s->sessions[id]->state != HC_SESS_OPENING;
}

/* ---- the shadowd control connection ----------------------------------- */

static void ctrl_down(HostcallState *s, const char *why)
{
    uint32_t id;

    if (s->host_up || !s->down_reported) {
        error_report("hostcall: shadowd connection lost: %s", why);
        s->down_reported = true;
    }
    chan_close(&s->ctrl);
    s->host_up = false;
    for (id = 1; id <= HOSTCALL_MAX_SESSIONS; id++) {
        HostcallSession *sess = s->sessions[id];

        if (sess && sess->state == HC_SESS_OPENING) {
            HostcallReq *req = sess->open_req;

            session_free(sess);
            if (req) {
                hostcall_complete(s, req, -EHOSTDOWN, 0);
            }
        }
    }
}

static void ctrl_flush(HostcallState *s)
{
    int err = chan_flush(s, &s->ctrl, ctrl_read, ctrl_write, s);

    if (err < 0) {
        ctrl_down(s, strerror(-err));
    }
}

static void ctrl_write(void *opaque)
{
    ctrl_flush(opaque);
}

static void ctrl_send(HostcallState *s, HostcallMsg *m)
{
    chan_queue(&s->ctrl, m);
    if (!s->ctrl.want_write) {
        ctrl_flush(s);
    }
}

static bool is_seqpacket(int fd)
{
    int type;
    socklen_t len = sizeof(type);

    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
           type == SOCK_SEQPACKET;
}

static void ctrl_opened(HostcallState *s, const struct hcp_opened *o, int fd)
{
    uint32_t id = o->hdr.session;
    HostcallSession *sess = NULL;
    struct hc_session_info info;
    HostcallReq *req;
    int status = o->status;
    uint32_t n;
    int err;

    if (id >= 1 && id <= HOSTCALL_MAX_SESSIONS) {
        sess = s->sessions[id];
    }
    if (!sess || sess->state != HC_SESS_OPENING) {
        error_report("hostcall: shadowd answered an unknown session %u", id);
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    if (status == 0 && (fd < 0 || !is_seqpacket(fd) || set_nonblock(fd))) {
        error_report("hostcall: shadowd opened session %u without a usable "
                     "session socket", id);
        status = -EPROTO;
    } else if (status > 0) {
        status = -EPROTO;
    }
    if (status && fd >= 0) {
        close(fd);
        fd = -1;
    }
    req = sess->open_req;
    if (status || !req) {
        /* failed, or the guest reset the device meanwhile */
        if (fd >= 0) {
            close(fd);
        }
        session_free(sess);
        if (req) {
            hostcall_complete(s, req, status, 0);
        }
        return;
    }

    sess->open_req = NULL;
    sess->state = HC_SESS_OPEN;
    sess->chan.fd = fd;
    qemu_set_fd_handler(fd, session_read, NULL, sess);

    info = o->info;
    info.session = id;
    info.host_user[sizeof(info.host_user) - 1] = 0;
    n = MIN(sizeof(info), req->out_max);
    err = hostcall_scatter(s, req, &info, n);
    if (err < 0) {
        session_dead(sess, -ECONNRESET);
        session_free(sess);
        hostcall_complete(s, req, err, 0);
        return;
    }
    hostcall_complete(s, req, id, n);
}

/* Handle one checked packet from shadowd; takes ownership of fd. */
static void ctrl_message(HostcallState *s, int fd)
{
    const struct hcp_hdr *h = (const struct hcp_hdr *)s->rxbuf;
    g_autofree char *why = NULL;

    switch (h->type) {
    case HCP_HELLO_OK: {
        const struct hcp_status *st = (const struct hcp_status *)s->rxbuf;

        if (fd >= 0) {
            close(fd);
        }
        if (st->status != 0) {
            why = g_strdup_printf("shadowd refused this VM: %s",
                                  strerror(st->status < 0 ? -st->status
                                                          : EPROTO));
            ctrl_down(s, why);
            return;
        }
        s->host_up = true;
        s->down_reported = false;
        return;
    }
    case HCP_OPENED:
        ctrl_opened(s, (const struct hcp_opened *)s->rxbuf, fd);
        return;
    default:
        if (fd >= 0) {
            close(fd);
        }
        why = g_strdup_printf("unexpected packet type %u", h->type);
        ctrl_down(s, why);
        return;
    }
}

static void ctrl_read(void *opaque)
{
    HostcallState *s = opaque;
    int i;

    for (i = 0; i < HOSTCALL_RX_BURST && s->ctrl.fd >= 0; i++) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int) * 4)];
        } cbuf;
        struct iovec iov = { .iov_base = s->rxbuf, .iov_len = HCP_MAX_MSG };
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = &cbuf, .msg_controllen = sizeof(cbuf),
        };
        struct cmsghdr *cm;
        int fd = -1;
        ssize_t n;

        n = recvmsg(s->ctrl.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0) {
            ctrl_down(s, strerror(errno));
            return;
        }
        if (n == 0) {
            ctrl_down(s, "shadowd closed the connection");
            return;
        }
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                size_t k, nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                for (k = 0; k < nfd; k++) {
                    int f;

                    memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
                    if (fd < 0) {
                        fd = f;
                    } else {
                        close(f);       /* only one is expected */
                    }
                }
            }
        }
        if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
            hcp_check(s->rxbuf, n) < 0) {
            if (fd >= 0) {
                close(fd);
            }
            ctrl_down(s, "malformed packet from shadowd");
            return;
        }
        ctrl_message(s, fd);
    }
}

static void shadowd_exited(GPid pid, gint status, gpointer data)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        /* normal end */
    } else if (WIFEXITED(status)) {
        warn_report("hostcall: private shadowd (pid %d) exited with "
                    "status %d", pid, WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        warn_report("hostcall: private shadowd (pid %d) killed by signal "
                    "%d", pid, WTERMSIG(status));
    }
    g_spawn_close_pid(pid);
}

/* Start `shadowd --private --fd 3` with child_fd as its fd 3. */
static int spawn_shadowd(HostcallState *s, int child_fd, Error **errp)
{
    const char *prog = s->shadowd_path ? s->shadowd_path : "shadowd";
    g_autofree char *path = g_find_program_in_path(prog);
    char *argv[] = { path, (char *)"--private", (char *)"--fd", (char *)"3",
                     NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    pid_t pid;
    int err;

    if (!path) {
        error_setg(errp, "cannot find the shadowd program '%s'%s (set "
                   "-device hostcall,shadowd=PATH or socket=PATH)", prog,
                   strchr(prog, '/') ? "" : " in PATH");
        return -1;
    }

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, child_fd, 3);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
#if defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&fa, 4);
#endif
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGCHLD);
    sigaddset(&dfl, SIGHUP);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                    POSIX_SPAWN_SETSIGDEF);
    err = posix_spawn(&pid, path, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        error_setg_errno(errp, err, "cannot start shadowd '%s'", path);
        return -1;
    }
    g_child_watch_add(pid, shadowd_exited, NULL);
    return 0;
}

static int start_private(HostcallState *s, Error **errp)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        error_setg_errno(errp, errno, "socketpair for shadowd failed");
        return -1;
    }
    if (spawn_shadowd(s, sv[1], errp) < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    close(sv[1]);
    if (set_nonblock(sv[0]) < 0) {
        error_setg_errno(errp, errno, "cannot make the shadowd socket "
                         "non-blocking");
        close(sv[0]);
        return -1;
    }
    return sv[0];
}

static int connect_socket(HostcallState *s, Error **errp)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(s->socket_path) >= sizeof(sun.sun_path)) {
        error_setg(errp, "shadowd socket path '%s' is too long",
                   s->socket_path);
        return -1;
    }
    pstrcpy(sun.sun_path, sizeof(sun.sun_path), s->socket_path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "socket() failed");
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        error_setg_errno(errp, errno, "cannot connect to the shadowd "
                         "socket '%s'", s->socket_path);
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Make sure a control connection exists: connect to socket=PATH or start a
 * private shadowd, then say HCP_HELLO. At most one attempt per second; a
 * failure is reported once (until the next success) and leaves the device
 * working, with SESSION_OPEN failing -EHOSTDOWN.
 */
void hostcall_host_connect(HostcallState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    struct hcp_hello hello;
    Error *err = NULL;
    int fd;

    if (s->ctrl.fd >= 0) {
        return;
    }
    if (s->last_connect && now - s->last_connect < HOSTCALL_RECONNECT_NS) {
        return;
    }
    s->last_connect = now;
    fd = s->socket_path ? connect_socket(s, &err) : start_private(s, &err);
    if (fd < 0) {
        if (!s->down_reported) {
            error_prepend(&err, "hostcall: ");
            error_append_hint(&err, "host-calls fail with EHOSTDOWN until "
                              "shadowd is reachable\n");
            error_report_err(err);
            s->down_reported = true;
        } else {
            error_free(err);
        }
        return;
    }
    chan_init(&s->ctrl);
    s->ctrl.fd = fd;
    qemu_set_fd_handler(fd, ctrl_read, NULL, s);

    memset(&hello, 0, sizeof(hello));
    hcp_init(&hello.hdr, HCP_HELLO, sizeof(hello), 0, 0);
    hello.version = HCP_VERSION;
    pstrcpy(hello.vm_name, sizeof(hello.vm_name),
            s->vm_name ? s->vm_name : (qemu_name ? qemu_name : ""));
    ctrl_send(s, msg_new(&hello, sizeof(hello)));
}

/* ---- requests --------------------------------------------------------- */

static void session_open(HostcallState *s, HostcallReq *req)
{
    HostcallSession *sess;
    struct hcp_open o;

    if (req->in_len != sizeof(struct hc_identity)) {
        hostcall_complete(s, req, -EINVAL, 0);
        return;
    }
    hostcall_host_connect(s);
    if (s->ctrl.fd < 0) {
        hostcall_complete(s, req, -EHOSTDOWN, 0);
        return;
    }
    sess = session_new(s);
    if (!sess) {
        hostcall_complete(s, req, -EMFILE, 0);
        return;
    }
    memset(&o, 0, sizeof(o));
    hcp_init(&o.hdr, HCP_OPEN, sizeof(o), sess->id, req->tag);
    if (hostcall_gather(s, req, &o.id) < 0) {
        session_free(sess);
        hostcall_complete(s, req, -EFAULT, 0);
        return;
    }
    sess->open_req = req;
    ctrl_send(s, msg_new(&o, sizeof(o)));   /* on failure completes req */
}

/* Serve a validated request: session ops here, calls go to the shadow. */
void hostcall_host_submit(HostcallState *s, HostcallReq *req)
{
    HostcallSession *sess;
    HostcallMsg *m;

    if (req->module == HC_MOD_SESSION && req->op == HC_SESSION_OPEN) {
        session_open(s, req);
        return;
    }
    sess = s->sessions[req->session];   /* checked by the ring parser */
    assert(sess && sess->state != HC_SESS_OPENING);

    if (req->module == HC_MOD_SESSION) {
        switch (req->op) {
        case HC_SESSION_CLOSE:
            session_dead(sess, -ECONNRESET);
            session_free(sess);
            break;
        case HC_SESSION_CANCEL:
            session_cancel(sess, req->args[0]);
            break;
        }
        hostcall_complete(s, req, 0, 0);
        return;
    }

    if (sess->state == HC_SESS_DEAD) {
        hostcall_complete(s, req, -ECONNRESET, 0);
        return;
    }
    req->sess = sess;
    QTAILQ_INSERT_TAIL(&sess->calls, req, link);
    m = g_new0(HostcallMsg, 1);
    m->call = req;
    session_send(sess, m);
}

/* Device reset: end every session; the guest gets no completions. */
void hostcall_host_reset(HostcallState *s)
{
    uint32_t id;

    for (id = 1; id <= HOSTCALL_MAX_SESSIONS; id++) {
        HostcallSession *sess = s->sessions[id];
        HostcallReq *req;

        if (!sess) {
            continue;
        }
        if (sess->state == HC_SESS_OPENING) {
            /* shadowd's answer will find it orphaned and close the socket */
            g_free(sess->open_req);
            sess->open_req = NULL;
            continue;
        }
        chan_close(&sess->chan);
        while ((req = QTAILQ_FIRST(&sess->calls))) {
            QTAILQ_REMOVE(&sess->calls, req, link);
            g_free(req);
        }
        session_free(sess);
    }
}

/* Unrealize: close everything (a private shadowd exits on EOF). */
void hostcall_host_close(HostcallState *s)
{
    uint32_t id;

    hostcall_host_reset(s);
    for (id = 1; id <= HOSTCALL_MAX_SESSIONS; id++) {
        if (s->sessions[id]) {
            session_free(s->sessions[id]);
        }
    }
    chan_close(&s->ctrl);
    s->host_up = false;
}
