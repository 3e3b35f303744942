// SPDX-License-Identifier: MIT
/*
 * libhostcall: typed wrappers for host-calls. Calls go through the
 * session's window (hc_window.c) when the driver maps it, else through
 * the /dev/hostcall ioctl. See hostcall.h for the API contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hc_internal.h"

#define HC_DEFAULT_DEVICE "/dev/hostcall"
/* a read or write: may move less when the window's data area is busy */
#define HC_SHORT HOSTCALL_CALL_F_SHORT

static size_t clamp_len(size_t len)
{
	return len > HC_MAX_DATA ? HC_MAX_DATA : len;
}

const char *hc_default_device(void)
{
	const char *dev = getenv("HOSTCALL_DEVICE");

	return dev && *dev ? dev : HC_DEFAULT_DEVICE;
}

hc_session *hc_open_path(const char *path)
{
	hc_session *hc;
	int fd, err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return NULL;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(hc);
		errno = err;
		return NULL;
	}
	hc->fd = fd;
	hc_win_open(hc);
	return hc;
}

hc_session *hc_open(void)
{
	return hc_open_path(hc_default_device());
}

void hc_close(hc_session *hc)
{
	if (!hc)
		return;
	hc_win_close(hc);
	close(hc->fd);
	free(hc);
}

int hc_fd(const hc_session *hc)
{
	return hc ? hc->fd : -EBADF;
}

int hc_call(hc_session *hc, struct hostcall_ioc_call *call)
{
	int ret;

	if (!hc || !call)
		return -EINVAL;
	ret = hc_win_call(hc, call);
	if (ret != HC_WIN_FALLBACK)
		return ret;
	if (ioctl(hc->fd, HOSTCALL_IOC_CALL, call) < 0)
		return -errno;
	return 0;
}

int hc_direct(const hc_session *hc)
{
	return hc && hc_win_get(hc) ? 1 : 0;
}

/* ---- the program's own window buffers ------------------------------------ */

void *hc_buf_alloc(hc_session *hc, size_t len)
{
	struct hc_window *w = hc ? hc_win_get(hc) : NULL;
	void *p = NULL;

	if (w && len && len <= HC_MAX_DATA)
		p = hc_win_buf_alloc(w, len);
	return p ? p : malloc(len ? len : 1);
}

void hc_buf_free(hc_session *hc, void *buf)
{
	struct hc_window *w;

	if (!buf)
		return;
	/* in a forked child the parent's window buffers are simply gone */
	if (hc && hc_win_holds(hc, buf, 1)) {
		w = hc_win_get(hc);
		if (w)
			hc_win_buf_free(w, buf);
		return;
	}
	free(buf);
}

int hc_buf_in_window(const hc_session *hc, const void *buf, size_t len)
{
	return hc && hc_win_get(hc) && hc_win_holds(hc, buf, len ? len : 1);
}

/* hc_call4 with ioctl call flags (HOSTCALL_CALL_F_SHORT). */
static int64_t hc_callf(hc_session *hc, int64_t module, unsigned op,
			unsigned flags, int64_t a0, int64_t a1, int64_t a2,
			int64_t a3, const void *in, size_t in_len, void *out,
			size_t out_len, uint32_t *out_used)
{
	struct hostcall_ioc_call c;
	int ret;

	if (in_len > HC_MAX_DATA || out_len > HC_MAX_DATA)
		return -E2BIG;
	if (module < 0)
		return module;	/* the built-in's bind failed: why */
	if (module > 0xffff)
		return -EBADF;
	memset(&c, 0, sizeof(c));
	c.flags = flags;
	c.module = (__u16)module;
	c.op = (__u16)op;
	c.args[0] = a0;
	c.args[1] = a1;
	c.args[2] = a2;
	c.args[3] = a3;
	c.in_ptr = (uintptr_t)in;
	c.in_len = in ? (__u32)in_len : 0;
	c.out_ptr = (uintptr_t)out;
	c.out_len = out ? (__u32)out_len : 0;
	ret = hc_call(hc, &c);
	if (ret < 0)
		return ret;
	if (out_used)
		*out_used = c.out_used;
	return c.result;
}

int64_t hc_call4(hc_session *hc, unsigned module, unsigned op,
		 int64_t a0, int64_t a1, int64_t a2, int64_t a3,
		 const void *in, size_t in_len, void *out, size_t out_len,
		 uint32_t *out_used)
{
	return hc_callf(hc, module, op, 0, a0, a1, a2, a3, in, in_len, out,
			out_len, out_used);
}

/* ---- modules by name ------------------------------------------------------ */

int hc_bind_info(hc_session *hc, const char *name, unsigned major,
		 unsigned minor, struct hc_bind_info *info)
{
	struct hc_bind_info bi;
	size_t len;
	int64_t r;

	if (!hc || !name)
		return -EINVAL;
	len = strlen(name);
	if (len < 1 || len > HC_MODULE_NAME_MAX || major > 0xffff ||
	    minor > 0xffff)
		return -EINVAL;
	memset(&bi, 0, sizeof(bi));
	r = hc_call4(hc, HC_MOD_SESSION, HC_SESSION_BIND, major, minor, 0, 0,
		     name, len, &bi, sizeof(bi), NULL);
	if (r > 0 && info)
		*info = bi;
	if (r >= HC_MAX_BINDINGS)
		return -EIO;
	return r < -4095 ? -EIO : (int)r;
}

int hc_bind(hc_session *hc, const char *name, unsigned major, unsigned minor)
{
	return hc_bind_info(hc, name, major, minor, NULL);
}

int hc_unbind(hc_session *hc, int handle)
{
	int64_t r;

	if (!hc)
		return -EINVAL;
	r = hc_call4(hc, HC_MOD_SESSION, HC_SESSION_UNBIND, handle, 0, 0, 0,
		     NULL, 0, NULL, 0, NULL);
	return r < -4095 ? -EIO : (int)r;
}

int64_t hc_rpc(hc_session *hc, int handle, unsigned fn, const int64_t args[4],
	       const void *in, size_t in_len, void *out, size_t out_len,
	       size_t *out_used)
{
	static const int64_t none[4];
	uint32_t used = 0;
	int64_t r;

	if (!hc)
		return -EINVAL;
	if (handle <= 0 || handle >= HC_MAX_BINDINGS)
		return -EBADF;
	if (fn < 1 || fn > 0xffff)
		return -ENOSYS;
	if (!args)
		args = none;
	r = hc_call4(hc, (unsigned)handle, fn, args[0], args[1], args[2],
		     args[3], in, in_len, out, out_len, &used);
	if (out_used)
		*out_used = r < 0 ? 0 : used;
	return r;
}

ssize_t hc_modules(hc_session *hc, char *buf, size_t size)
{
	uint32_t used = 0;
	int64_t r;

	if (!buf || !size)
		return -ERANGE;
	r = hc_call4(hc, HC_MOD_SESSION, HC_SESSION_MODULES, 0, 0, 0, 0,
		     NULL, 0, buf, clamp_len(size - 1), &used);
	if (r < 0)
		return r == -ENOSPC ? -ERANGE : r;
	if (used > size - 1)
		used = size - 1;
	buf[used] = '\0';
	return used;
}

/*
 * The built-in modules, bound at their first use and kept for the
 * session (a forked child shares them: bindings are the session's). Two
 * threads binding at once get the same handle; the second reference is
 * harmless.
 */
static const char *const builtin_name[] = {
	[HC_BI_SYS] = HC_SYS_MODULE, [HC_BI_PROC] = HC_PROC_MODULE,
	[HC_BI_FS] = HC_FS_MODULE, [HC_BI_SOCK] = HC_SOCK_MODULE,
};

int hc_builtin(hc_session *hc, int which)
{
	int h;

	if (!hc)
		return -EINVAL;
	h = __atomic_load_n(&hc->builtin[which], __ATOMIC_ACQUIRE);
	if (h > 0)
		return h;
	/* A refusal (-EPERM: the policy) is each call's answer; asked
	 * again next time, as the call would be. */
	h = hc_bind(hc, builtin_name[which], HC_BUILTIN_MAJOR,
		    HC_BUILTIN_MINOR);
	if (h > 0)
		__atomic_store_n(&hc->builtin[which], h, __ATOMIC_RELEASE);
	return h == 0 ? -EIO : h;
}

/* results of calls that return an int (handles, 0) */
static int hc_int(int64_t r)
{
	if (r < 0)
		return r < -4095 ? -EIO : (int)r;
	return r > INT32_MAX ? -EOVERFLOW : (int)r;
}

/* a path as the host expects it: NUL-terminated, NUL included */
static int64_t hc_path_call(hc_session *hc, int64_t module, unsigned op,
			    const char *path, int64_t a0, int64_t a1,
			    void *out, size_t out_len, uint32_t *out_used)
{
	size_t len;

	if (!path)
		return -EFAULT;
	len = strlen(path) + 1;
	if (len > HC_MAX_DATA)
		return -ENAMETOOLONG;
	return hc_callf(hc, module, op, 0, a0, a1, 0, 0, path, len, out,
			out_len, out_used);
}

const char *hc_transport_name(unsigned transport)
{
	return hc_transport_str(transport);
}

/* ---- sys ----------------------------------------------------------------- */

int hc_ping(hc_session *hc, const void *in, void *out, size_t len)
{
	len = clamp_len(len);
	return hc_int(hc_callf(hc, HC_M(hc, SYS), HC_SYS_PING, 0, 0, 0, 0, 0,
			       in, len, out, out ? len : 0, NULL));
}

int hc_dev_info(hc_session *hc, struct hostcall_ioc_info *info)
{
	if (!hc || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (ioctl(hc->fd, HOSTCALL_IOC_INFO, info) < 0)
		return -errno;
	info->host.host_user[sizeof(info->host.host_user) - 1] = '\0';
	info->device[sizeof(info->device) - 1] = '\0';
	return 0;
}

#define HC_TERMINATE(field) ((field)[sizeof(field) - 1] = '\0')

int hc_info(hc_session *hc, struct hc_info *info)
{
	int ret;

	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	ret = hc_dev_info(hc, &info->dev);
	if (ret)
		return ret;
	ret = hc_int(hc_callf(hc, HC_M(hc, SYS), HC_SYS_INFO, 0, 0, 0, 0, 0, NULL, 0,
			      &info->sys, sizeof(info->sys), NULL));
	HC_TERMINATE(info->sys.host_user);
	HC_TERMINATE(info->sys.hostname);
	HC_TERMINATE(info->sys.kernel);
	HC_TERMINATE(info->sys.cwd);
	return ret < 0 ? ret : 0;
}

int hc_time(hc_session *hc, struct hc_timespec *ts)
{
	uint32_t used = 0;
	int ret;

	if (!ts)
		return -EINVAL;
	ret = hc_int(hc_callf(hc, HC_M(hc, SYS), HC_SYS_TIME, 0, 0, 0, 0, 0, NULL, 0,
			      ts, sizeof(*ts), &used));
	if (ret >= 0 && used < sizeof(*ts))
		return -EIO;
	return ret < 0 ? ret : 0;
}

int hc_chdir(hc_session *hc, const char *path)
{
	return hc_int(hc_path_call(hc, HC_M(hc, SYS), HC_SYS_CHDIR, path, 0, 0,
				   NULL, 0, NULL));
}

int hc_getcwd(hc_session *hc, char *buf, size_t size)
{
	uint32_t used = 0;
	int ret;

	if (!buf || !size)
		return -ERANGE;
	ret = hc_int(hc_callf(hc, HC_M(hc, SYS), HC_SYS_GETCWD, 0, 0, 0, 0, 0,
			      NULL, 0, buf, clamp_len(size - 1), &used));
	if (ret < 0)
		return ret;
	if ((size_t)ret > size - 1 || used < (uint32_t)ret)
		return -ERANGE;
	buf[ret] = '\0';
	return ret;
}

/* ---- proc ---------------------------------------------------------------- */

int hc_proc_spawn(hc_session *hc, char *const argv[], char *const envp[],
		  const char *cwd, unsigned flags, int *pid)
{
	return hc_proc_spawn_ex(hc, argv, envp, cwd, flags, 0, pid);
}

int hc_proc_spawn_ex(hc_session *hc, char *const argv[], char *const envp[],
		     const char *cwd, unsigned flags, int64_t arg3, int *pid)
{
	struct hc_spawn_info si;
	size_t total = 0, n;
	int64_t argc = 0, envc = 0, r;
	char *buf, *p;
	int i;

	if (!argv || !argv[0])
		return -EINVAL;
	if (cwd) {
		flags |= HC_SPAWN_F_CWD;
		total += strlen(cwd) + 1;
	} else {
		flags &= ~HC_SPAWN_F_CWD;
	}
	for (i = 0; argv[i]; i++, argc++)
		total += strlen(argv[i]) + 1;
	for (i = 0; envp && envp[i]; i++, envc++)
		total += strlen(envp[i]) + 1;
	if (total > HC_MAX_DATA)
		return -E2BIG;

	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	if (cwd) {
		n = strlen(cwd) + 1;
		memcpy(p, cwd, n);
		p += n;
	}
	for (i = 0; argv[i]; i++) {
		n = strlen(argv[i]) + 1;
		memcpy(p, argv[i], n);
		p += n;
	}
	for (i = 0; envp && envp[i]; i++) {
		n = strlen(envp[i]) + 1;
		memcpy(p, envp[i], n);
		p += n;
	}

	memset(&si, 0, sizeof(si));
	si.pid = -1;
	r = hc_callf(hc, HC_M(hc, PROC), HC_PROC_SPAWN, 0, argc, envc, flags, arg3,
		     buf, total, &si, sizeof(si), NULL);
	free(buf);
	if (r >= 0 && pid)
		*pid = si.pid;
	return hc_int(r);
}

ssize_t hc_proc_read(hc_session *hc, int h, int stream, void *buf,
		     size_t len)
{
	return hc_callf(hc, HC_M(hc, PROC), HC_PROC_READ, HC_SHORT, h, stream, 0, 0,
			NULL, 0, buf, clamp_len(len), NULL);
}

ssize_t hc_proc_write(hc_session *hc, int h, const void *buf, size_t len)
{
	return hc_callf(hc, HC_M(hc, PROC), HC_PROC_WRITE, HC_SHORT, h, HC_STDIN, 0, 0,
			buf, clamp_len(len), NULL, 0, NULL);
}

int hc_proc_close(hc_session *hc, int h, int stream)
{
	return hc_int(hc_callf(hc, HC_M(hc, PROC), HC_PROC_CLOSE, 0, h, stream, 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

int hc_proc_stream_fd(hc_session *hc, int h, int stream, unsigned flags)
{
	struct hostcall_ioc_stream a = {
		.handle = h, .stream = (uint32_t)stream, .flags = flags, .fd = -1,
	};

	if (!hc || h < 0 || stream < 0 || stream > 2)
		return -EINVAL;
	if (ioctl(hc->fd, HOSTCALL_IOC_STREAM, &a) < 0)
		return -errno;
	return a.fd;
}

int hc_proc_signal(hc_session *hc, int h, int sig)
{
	return hc_int(hc_callf(hc, HC_M(hc, PROC), HC_PROC_SIGNAL, 0, h, sig, 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

int hc_proc_wait(hc_session *hc, int h, int *status)
{
	int64_t r = hc_callf(hc, HC_M(hc, PROC), HC_PROC_WAIT, 0, h, 0, 0, 0,
			     NULL, 0, NULL, 0, NULL);

	if (r < 0)
		return hc_int(r);
	if (status)
		*status = (int)r;
	return 0;
}

int hc_proc_resize(hc_session *hc, int h, unsigned rows, unsigned cols)
{
	return hc_int(hc_callf(hc, HC_M(hc, PROC), HC_PROC_RESIZE, 0, h,
			       hc_pty_size(rows, cols), 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

int hc_proc_release(hc_session *hc, int h)
{
	return hc_int(hc_callf(hc, HC_M(hc, PROC), HC_PROC_RELEASE, 0, h, 0, 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

/* ---- fs ------------------------------------------------------------------ */

int hc_fs_open(hc_session *hc, const char *path, int flags, mode_t mode)
{
	return hc_int(hc_path_call(hc, HC_M(hc, FS), HC_FS_OPEN, path, flags,
				   mode, NULL, 0, NULL));
}

ssize_t hc_fs_read(hc_session *hc, int fh, void *buf, size_t len)
{
	return hc_callf(hc, HC_M(hc, FS), HC_FS_READ, HC_SHORT, fh, 0, 0, 0, NULL, 0,
			buf, clamp_len(len), NULL);
}

ssize_t hc_fs_write(hc_session *hc, int fh, const void *buf, size_t len)
{
	return hc_callf(hc, HC_M(hc, FS), HC_FS_WRITE, HC_SHORT, fh, 0, 0, 0,
			buf, clamp_len(len), NULL, 0, NULL);
}

ssize_t hc_fs_pread(hc_session *hc, int fh, void *buf, size_t len, off_t off)
{
	return hc_callf(hc, HC_M(hc, FS), HC_FS_PREAD, HC_SHORT, fh, off, 0, 0, NULL, 0,
			buf, clamp_len(len), NULL);
}

ssize_t hc_fs_pwrite(hc_session *hc, int fh, const void *buf, size_t len,
		     off_t off)
{
	return hc_callf(hc, HC_M(hc, FS), HC_FS_PWRITE, HC_SHORT, fh, off, 0, 0,
			buf, clamp_len(len), NULL, 0, NULL);
}

int hc_fs_close(hc_session *hc, int fh)
{
	return hc_int(hc_callf(hc, HC_M(hc, FS), HC_FS_CLOSE, 0, fh, 0, 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

int hc_fs_stat(hc_session *hc, const char *path, struct hc_stat *st,
	       unsigned flags)
{
	uint32_t used = 0;
	int ret;

	if (!st)
		return -EFAULT;
	memset(st, 0, sizeof(*st));
	ret = hc_int(hc_path_call(hc, HC_M(hc, FS), HC_FS_STAT, path, flags, 0,
				  st, sizeof(*st), &used));
	return ret < 0 ? ret : 0;
}

int hc_fs_fstat(hc_session *hc, int fh, struct hc_stat *st)
{
	int ret;

	if (!st)
		return -EFAULT;
	memset(st, 0, sizeof(*st));
	ret = hc_int(hc_callf(hc, HC_M(hc, FS), HC_FS_FSTAT, 0, fh, 0, 0, 0, NULL, 0,
			      st, sizeof(*st), NULL));
	return ret < 0 ? ret : 0;
}

ssize_t hc_fs_readdir(hc_session *hc, int fh, void *buf, size_t len)
{
	return hc_callf(hc, HC_M(hc, FS), HC_FS_READDIR, HC_SHORT, fh, 0, 0, 0, NULL, 0,
			buf, clamp_len(len), NULL);
}

int hc_fs_mkdir(hc_session *hc, const char *path, mode_t mode)
{
	return hc_int(hc_path_call(hc, HC_M(hc, FS), HC_FS_MKDIR, path, mode, 0,
				   NULL, 0, NULL));
}

int hc_fs_unlink(hc_session *hc, const char *path, unsigned flags)
{
	return hc_int(hc_path_call(hc, HC_M(hc, FS), HC_FS_UNLINK, path, flags, 0,
				   NULL, 0, NULL));
}

int hc_fs_rename(hc_session *hc, const char *oldpath, const char *newpath)
{
	size_t lo, ln;
	char *buf;
	int ret;

	if (!oldpath || !newpath)
		return -EFAULT;
	lo = strlen(oldpath) + 1;
	ln = strlen(newpath) + 1;
	if (lo + ln > HC_MAX_DATA)
		return -ENAMETOOLONG;
	buf = malloc(lo + ln);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, oldpath, lo);
	memcpy(buf + lo, newpath, ln);
	ret = hc_int(hc_callf(hc, HC_M(hc, FS), HC_FS_RENAME, 0, 0, 0, 0, 0,
			      buf, lo + ln, NULL, 0, NULL));
	free(buf);
	return ret;
}

ssize_t hc_fs_readlink(hc_session *hc, const char *path, char *buf,
		       size_t size)
{
	uint32_t used = 0;
	int64_t r;

	r = hc_path_call(hc, HC_M(hc, FS), HC_FS_READLINK, path, 0, 0, buf,
			 clamp_len(size), &used);
	if (r < 0)
		return r;
	/* truncated to size, like readlink(2) */
	return (ssize_t)r > (ssize_t)used ? (ssize_t)used : (ssize_t)r;
}
