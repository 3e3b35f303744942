/* SPDX-License-Identifier: MIT */
/* "sys": liveness, who and where the shadow is, the host clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "registry.h"
#include "shadow.h"

static int64_t sys_ping(struct call *c)
{
	uint32_t n = c->in_len < c->out_max ? c->in_len : c->out_max;

	/* In and out are both in the window, and may overlap. */
	memmove(call_out(c), call_in(c), n);
	c->out_len = n;
	return n;
}

/* Copy a string into a fixed field, cut to fit, always NUL-terminated. */
static void put_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static char user_name[64];

/* Before confinement: a passwd lookup may want files and sockets (NSS)
 * that the filter does not allow later. */
void sys_init(void)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		put_str(user_name, sizeof(user_name), pw.pw_name);
}

const char *sys_user_name(void)
{
	return user_name;
}

static int64_t sys_info(struct call *c)
{
	struct hc_sys_info info;
	struct utsname un;
	char cwd[PATH_MAX];

	if (c->out_max < sizeof(info))
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.abi_version = HC_ABI_VERSION;
	info.host_uid = getuid();
	info.host_gid = getgid();
	info.shadow_pid = getpid();
	put_str(info.host_user, sizeof(info.host_user), user_name);
	if (gethostname(info.hostname, sizeof(info.hostname) - 1) < 0)
		info.hostname[0] = 0;
	if (uname(&un) == 0)
		put_str(info.kernel, sizeof(info.kernel), un.release);
	if (getcwd(cwd, sizeof(cwd)))
		put_str(info.cwd, sizeof(info.cwd), cwd);
	memcpy(call_out(c), &info, sizeof(info));
	c->out_len = sizeof(info);
	return 0;
}

static int64_t sys_time(struct call *c)
{
	struct hc_timespec t;
	struct timespec ts;

	if (c->out_max < sizeof(t))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	t.sec = ts.tv_sec;
	t.nsec = ts.tv_nsec;
	memcpy(call_out(c), &t, sizeof(t));
	c->out_len = sizeof(t);
	return 0;
}

static int64_t sys_chdir(struct call *c)
{
	const char *path = call_str(c);

	int fd, r;

	if (!path)
		return -EINVAL;
	if (fsroot_on()) {
		/* The cwd stays beneath the roots: relative paths too. */
		fd = fsroot_open("chdir", path, O_PATH | O_DIRECTORY, 0);
		if (fd < 0)
			return fd;
		r = fchdir(fd) < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	/* An O_PATH open and fchdir, not chdir(): the one path call the
	 * filter allows the proc module without fs (seccomp.c). Without
	 * either module the filter refuses it: -EPERM. */
	fd = open(path, SHADOW_DIR_OPEN);
	if (fd < 0)
		return -errno;
	r = fchdir(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int64_t sys_getcwd(struct call *c)
{
	char cwd[PATH_MAX];
	size_t n;

	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	n = strlen(cwd);
	if (n > c->out_max)
		return -ERANGE;
	memcpy(call_out(c), cwd, n);
	c->out_len = n;
	return n;
}

int64_t sys_call(struct call *c)
{
	switch (c->op) {
	case HC_SYS_PING:
		return sys_ping(c);
	case HC_SYS_INFO:
		return sys_info(c);
	case HC_SYS_TIME:
		return sys_time(c);
	case HC_SYS_CHDIR:
		return offload(c, sys_chdir);	/* a lookup: may hang */
	case HC_SYS_GETCWD:
		return sys_getcwd(c);
	}
	return -ENOSYS;
}

/* The built-in "sys" 1.0: function n is op n (HC_SYS_*). */
static int64_t sys_fn(struct hcm_call *h)
{
	return sys_call(call_of(h));
}

static const struct hcm_function sys_funcs[] = {
	{ "ping", sys_fn },
	{ "info", sys_fn },
	{ "time", sys_fn },
	{ "chdir", sys_fn },
	{ "getcwd", sys_fn },
};

const struct hcm_module sys_module = {
	.api = HCM_API_VERSION,
	.name = HC_SYS_MODULE,
	.major = HC_BUILTIN_MAJOR,
	.minor = HC_BUILTIN_MINOR,
	.nfuncs = sizeof(sys_funcs) / sizeof(sys_funcs[0]),
	.funcs = sys_funcs,
};
