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

int64_t hc_call4(hc_session *hc, unsigned module, unsigned op,
		 int64_t a0, int64_t a1, int64_t a2, int64_t a3,
		 const void *in, size_t in_len, void *out, size_t out_len,
		 uint32_t *out_used)
{
	struct hostcall_ioc_call c;
	int ret;

	if (in_len > HC_MAX_DATA || out_len > HC_MAX_DATA)
		return -E2BIG;
	memset(&c, 0, sizeof(c));
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

/* results of calls that return an int (handles, 0) */
static int hc_int(int64_t r)
{
	if (r < 0)
		return r < -4095 ? -EIO : (int)r;
	return r > INT32_MAX ? -EOVERFLOW : (int)r;
}

/* a path as the host expects it: NUL-terminated, NUL included */
static int64_t hc_path_call(hc_session *hc, unsigned module, unsigned op,
			    const char *path, int64_t a0, int64_t a1,
			    void *out, size_t out_len, uint32_t *out_used)
{
	size_t len;

	if (!path)
		return -EFAULT;
	len = strlen(path) + 1;
	if (len > HC_MAX_DATA)
		return -ENAMETOOLONG;
	return hc_call4(hc, module, op, a0, a1, 0, 0, path, len, out, out_len,
			out_used);
}

const char *hc_transport_name(unsigned transport)
{
	return hc_transport_str(transport);
}

/* ---- sys ----------------------------------------------------------------- */

int hc_ping(hc_session *hc, const void *in, void *out, size_t len)
{
	len = clamp_len(len);
	return hc_int(hc_call4(hc, HC_MOD_SYS, HC_SYS_PING, 0, 0, 0, 0,
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
	ret = hc_int(hc_call4(hc, HC_MOD_SYS, HC_SYS_INFO, 0, 0, 0, 0, NULL, 0,
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
	ret = hc_int(hc_call4(hc, HC_MOD_SYS, HC_SYS_TIME, 0, 0, 0, 0, NULL, 0,
			      ts, sizeof(*ts), &used));
	if (ret >= 0 && used < sizeof(*ts))
		return -EIO;
	return ret < 0 ? ret : 0;
}

int hc_chdir(hc_session *hc, const char *path)
{
	return hc_int(hc_path_call(hc, HC_MOD_SYS, HC_SYS_CHDIR, path, 0, 0,
				   NULL, 0, NULL));
}

int hc_getcwd(hc_session *hc, char *buf, size_t size)
{
	uint32_t used = 0;
	int ret;

	if (!buf || !size)
		return -ERANGE;
	ret = hc_int(hc_call4(hc, HC_MOD_SYS, HC_SYS_GETCWD, 0, 0, 0, 0,
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
	r = hc_call4(hc, HC_MOD_PROC, HC_PROC_SPAWN, argc, envc, flags, arg3,
		     buf, total, &si, sizeof(si), NULL);
	free(buf);
	if (r >= 0 && pid)
		*pid = si.pid;
	return hc_int(r);
}

ssize_t hc_proc_read(hc_session *hc, int h, int stream, void *buf,
		     size_t len)
{
	return hc_call4(hc, HC_MOD_PROC, HC_PROC_READ, h, stream, 0, 0,
			NULL, 0, buf, clamp_len(len), NULL);
}

ssize_t hc_proc_write(hc_session *hc, int h, const void *buf, size_t len)
{
	return hc_call4(hc, HC_MOD_PROC, HC_PROC_WRITE, h, HC_STDIN, 0, 0,
			buf, clamp_len(len), NULL, 0, NULL);
}

int hc_proc_close(hc_session *hc, int h, int stream)
{
	return hc_int(hc_call4(hc, HC_MOD_PROC, HC_PROC_CLOSE, h, stream, 0, 0,
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
	return hc_int(hc_call4(hc, HC_MOD_PROC, HC_PROC_SIGNAL, h, sig, 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

int hc_proc_wait(hc_session *hc, int h, int *status)
{
	int64_t r = hc_call4(hc, HC_MOD_PROC, HC_PROC_WAIT, h, 0, 0, 0,
			     NULL, 0, NULL, 0, NULL);

	if (r < 0)
		return hc_int(r);
	if (status)
		*status = (int)r;
	return 0;
}

int hc_proc_resize(hc_session *hc, int h, unsigned rows, unsigned cols)
{
	return hc_int(hc_call4(hc, HC_MOD_PROC, HC_PROC_RESIZE, h,
			       hc_pty_size(rows, cols), 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

int hc_proc_release(hc_session *hc, int h)
{
	return hc_int(hc_call4(hc, HC_MOD_PROC, HC_PROC_RELEASE, h, 0, 0, 0,
			       NULL, 0, NULL, 0, NULL));
}

/* ---- fs ------------------------------------------------------------------ */

int hc_fs_open(hc_session *hc, const char *path, int flags, mode_t mode)
{
	return hc_int(hc_path_call(hc, HC_MOD_FS, HC_FS_OPEN, path, flags,
				   mode, NULL, 0, NULL));
}

ssize_t hc_fs_read(hc_session *hc, int fh, void *buf, size_t len)
{
	return hc_call4(hc, HC_MOD_FS, HC_FS_READ, fh, 0, 0, 0, NULL, 0,
			buf, clamp_len(len), NULL);
}

ssize_t hc_fs_write(hc_session *hc, int fh, const void *buf, size_t len)
{
	return hc_call4(hc, HC_MOD_FS, HC_FS_WRITE, fh, 0, 0, 0,
			buf, clamp_len(len), NULL, 0, NULL);
}

ssize_t hc_fs_pread(hc_session *hc, int fh, void *buf, size_t len, off_t off)
{
	return hc_call4(hc, HC_MOD_FS, HC_FS_PREAD, fh, off, 0, 0, NULL, 0,
			buf, clamp_len(len), NULL);
}

ssize_t hc_fs_pwrite(hc_session *hc, int fh, const void *buf, size_t len,
		     off_t off)
{
	return hc_call4(hc, HC_MOD_FS, HC_FS_PWRITE, fh, off, 0, 0,
			buf, clamp_len(len), NULL, 0, NULL);
}

int hc_fs_close(hc_session *hc, int fh)
{
	return hc_int(hc_call4(hc, HC_MOD_FS, HC_FS_CLOSE, fh, 0, 0, 0,
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
	ret = hc_int(hc_path_call(hc, HC_MOD_FS, HC_FS_STAT, path, flags, 0,
				  st, sizeof(*st), &used));
	return ret < 0 ? ret : 0;
}

int hc_fs_fstat(hc_session *hc, int fh, struct hc_stat *st)
{
	int ret;

	if (!st)
		return -EFAULT;
	memset(st, 0, sizeof(*st));
	ret = hc_int(hc_call4(hc, HC_MOD_FS, HC_FS_FSTAT, fh, 0, 0, 0, NULL, 0,
			      st, sizeof(*st), NULL));
	return ret < 0 ? ret : 0;
}

ssize_t hc_fs_readdir(hc_session *hc, int fh, void *buf, size_t len)
{
	return hc_call4(hc, HC_MOD_FS, HC_FS_READDIR, fh, 0, 0, 0, NULL, 0,
			buf, clamp_len(len), NULL);
}

int hc_fs_mkdir(hc_session *hc, const char *path, mode_t mode)
{
	return hc_int(hc_path_call(hc, HC_MOD_FS, HC_FS_MKDIR, path, mode, 0,
				   NULL, 0, NULL));
}

int hc_fs_unlink(hc_session *hc, const char *path, unsigned flags)
{
	return hc_int(hc_path_call(hc, HC_MOD_FS, HC_FS_UNLINK, path, flags, 0,
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
	ret = hc_int(hc_call4(hc, HC_MOD_FS, HC_FS_RENAME, 0, 0, 0, 0,
			      buf, lo + ln, NULL, 0, NULL));
	free(buf);
	return ret;
}

ssize_t hc_fs_readlink(hc_session *hc, const char *path, char *buf,
		       size_t size)
{
	uint32_t used = 0;
	int64_t r;

	r = hc_path_call(hc, HC_MOD_FS, HC_FS_READLINK, path, 0, 0, buf,
			 clamp_len(size), &used);
	if (r < 0)
		return r;
	/* truncated to size, like readlink(2) */
	return (ssize_t)r > (ssize_t)used ? (ssize_t)used : (ssize_t)r;
}
