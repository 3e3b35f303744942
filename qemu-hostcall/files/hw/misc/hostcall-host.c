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
 * session to its shadow, control only: HCP_WINDOW goes out on it, and its
 * EOF says the shadow died. All are non-blocking SOCK_SEQPACKET sockets
 * served in the main loop (fd handlers, the ring's bottom half); a vCPU
 * never connects, spawns or waits for the host.
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

static void ctrl_read(void *opaque);
static void ctrl_write(void *opaque);

/* ---- connections ----------------------------------------------------- */

static void chan_init(HostcallChan *c)
{
    c->fd = -1;
    c->want_write = false;
    QSIMPLEQ_INIT(&c->txq);
}

static void chan_close(HostcallChan *c)
{
    HostcallMsg *m;

    while ((m = QSIMPLEQ_FIRST(&c->txq))) {
        QSIMPLEQ_REMOVE_HEAD(&c->txq, next);
        g_free(m);
    }
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

/*
 * Send queued packets until the socket is full, then wait for POLLOUT.
 * Returns 0, or -errno when the connection is broken (caller closes it).
 */
static int chan_flush(HostcallChan *c, IOHandler *rd, IOHandler *wr,
                      void *opaque)
{
    HostcallMsg *m;
    bool want;

    while (c->fd >= 0 && (m = QSIMPLEQ_FIRST(&c->txq))) {
        ssize_t n;

        do {
            n = send(c->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n < 0) {
            return -errno;
        }
        QSIMPLEQ_REMOVE_HEAD(&c->txq, next);
        g_free(m);
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
    uint32_t i;

    for (i = 0; i < s->nwindows; i++) {
        uint32_t id = s->next_session;

        s->next_session = id % s->nwindows + 1;
        if (!s->sessions[id]) {
            HostcallSession *sess = g_new0(HostcallSession, 1);

            sess->s = s;
            sess->id = id;
            sess->state = HC_SESS_OPENING;
            sess->fd = -1;
            s->sessions[id] = sess;
            return sess;
        }
    }
    return NULL;
}

static void session_close_fd(HostcallSession *sess)
{
    if (sess->fd >= 0) {
        qemu_set_fd_handler(sess->fd, NULL, NULL, NULL);
        close(sess->fd);        /* the shadow ends its session on EOF */
        sess->fd = -1;
    }
}

/* Drop a session: its socket, its window and its id. */
static void session_free(HostcallSession *sess)
{
    HostcallState *s = sess->s;

    session_close_fd(sess);
    if (sess->win) {
        hostcall_window_free(s, sess->win, sess->id);
        sess->win = NULL;
    }
    s->sessions[sess->id] = NULL;
    g_free(sess);
}

/* The shadow is gone: mark the window, keep it and the id until CLOSE. */
static void session_dead(HostcallSession *sess)
{
    session_close_fd(sess);
    if (sess->state == HC_SESS_OPEN) {
        sess->state = HC_SESS_DEAD;
        hostcall_window_mark_dead(sess->s, sess->win, sess->id);
    }
}

/*
 * The session socket is control only: the shadow sends nothing we act on.
 * Drain it; EOF or an error means the shadow died.
 */
static void session_read(void *opaque)
{
    HostcallSession *sess = opaque;
    char buf[HCP_MAX_MSG];
    int i;

    for (i = 0; i < HOSTCALL_RX_BURST; i++) {
        ssize_t n = recv(sess->fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) {
            session_dead(sess);
            return;
        }
        qemu_log_mask(LOG_UNIMP, "hostcall: session %u: %zd-byte packet "
                      "from the shadow ignored\n", sess->id, n);
    }
}

bool hostcall_host_session_exists(HostcallState *s, uint32_t id)
{
    return id >= 1 && id <= s->nwindows && s->sessions[id] &&
           s->sessions[id]->state != HC_SESS_OPENING;
}

/* The session with a window at id (open or dead), or NULL. */
HostcallSession *hostcall_host_session(HostcallState *s, uint64_t id)
{
    if (id < 1 || id > s->nwindows || !s->sessions[id] ||
        !s->sessions[id]->win) {
        return NULL;
    }
    return s->sessions[id];
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
    for (id = 1; id <= s->nwindows; id++) {
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
    int err = chan_flush(&s->ctrl, ctrl_read, ctrl_write, s);

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
    QSIMPLEQ_INSERT_TAIL(&s->ctrl.txq, m, next);
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

/*
 * Give an opened session its window: map it, hand it to the shadow, and
 * only then tell the guest (so its first kick finds the shadow ready).
 * Returns 0 or -errno.
 */
static int session_start(HostcallSession *sess, int fd)
{
    HostcallState *s = sess->s;
    Error *err = NULL;
    int ret;

    sess->fd = fd;
    sess->win = hostcall_window_new(s, sess->id, &err);
    if (!sess->win) {
        error_report_err(err);
        return -ENOMEM;
    }
    ret = hostcall_window_send(s, sess->win, sess->id, fd);
    if (ret < 0) {
        error_report("hostcall: session %u: cannot hand the window to its "
                     "shadow: %s", sess->id, strerror(-ret));
        return -ECONNRESET;
    }
    sess->state = HC_SESS_OPEN;
    qemu_set_fd_handler(fd, session_read, NULL, sess);
    return 0;
}

static void ctrl_opened(HostcallState *s, const struct hcp_opened *o, int fd)
{
    uint32_t id = o->hdr.session;
    HostcallSession *sess = NULL;
    struct hc_session_info info;
    HostcallReq *req;
    int status = o->status;
    uint32_t n;

    if (id >= 1 && id <= s->nwindows) {
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
    req = sess->open_req;
    sess->open_req = NULL;
    if (!status && req) {
        status = session_start(sess, fd);
        fd = -1;
    }
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

    info = o->info;
    info.session = id;
    info.host_user[sizeof(info.host_user) - 1] = 0;
    n = MIN(sizeof(info), req->out_max);
    if (hostcall_scatter(s, req, &info, n) < 0) {
        session_free(sess);
        hostcall_complete(s, req, -EFAULT, 0);
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

/*
 * Serve a validated session request (main loop). CLOSE ends the shadow
 * (it sees EOF) and frees the window and the id.
 */
void hostcall_host_submit(HostcallState *s, HostcallReq *req)
{
    if (req->op == HC_SESSION_OPEN) {
        session_open(s, req);
        return;
    }
    assert(req->op == HC_SESSION_CLOSE);
    session_free(s->sessions[req->session]);    /* checked by the parser */
    hostcall_complete(s, req, 0, 0);
}

/* Device reset: end every session; the guest gets no completions. */
void hostcall_host_reset(HostcallState *s)
{
    uint32_t id;

    for (id = 1; id <= s->nwindows; id++) {
        HostcallSession *sess = s->sessions[id];

        if (!sess) {
            continue;
        }
        if (sess->state == HC_SESS_OPENING) {
            /* shadowd's answer will find it orphaned and close the socket */
            g_free(sess->open_req);
            sess->open_req = NULL;
            continue;
        }
        session_free(sess);
    }
}

/* Unrealize: close everything (a private shadowd exits on EOF). */
void hostcall_host_close(HostcallState *s)
{
    uint32_t id;

    hostcall_host_reset(s);
    for (id = 1; id <= s->nwindows; id++) {
        if (s->sessions[id]) {
            session_free(s->sessions[id]);
        }
    }
    chan_close(&s->ctrl);
    s->host_up = false;
}
