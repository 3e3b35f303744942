/* SPDX-License-Identifier: MIT */
/*
 * shadowd / hostcall-shadow test: plays QEMU without a VM.
 *   test_shadowd BUILD_DIR
 * Starts BUILD_DIR/shadowd, speaks the host protocol to it and to the
 * shadows it hands out, and prints one line per check:
 *   PASS: name | FAIL: name: reason | SKIP: name: reason
 * Exit status 1 if anything failed. The security model has its own
 * program, test_security.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "checks.h"

/* ---- checks ------------------------------------------------------------- */

static void check_sys(struct sess *s, const struct hc_session_info *si)
{
	unsigned char pat[1000], *out;
	struct hc_sys_info info;
	struct hc_timespec t;
	struct utsname un;
	struct passwd *pw = getpwuid(getuid());
	char tmp[] = "/tmp/hc-cwd-XXXXXX";
	uint32_t olen;
	int64_t r;
	int i;

	for (i = 0; i < (int)sizeof(pat); i++)
		pat[i] = i * 7 + 3;
	r = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, pat, sizeof(pat),
		 sizeof(pat), &out, &olen);
	CHECK("sys ping round trip", r == sizeof(pat) && olen == sizeof(pat)
	      && !memcmp(out, pat, sizeof(pat)), "result %lld len %u",
	      (long long)r, olen);
	free(out);
	r = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, pat, sizeof(pat), 10,
		 &out, &olen);
	CHECK("sys ping out_max cuts", r == 10 && olen == 10 &&
	      !memcmp(out, pat, 10), "result %lld len %u", (long long)r, olen);
	free(out);
	{
		unsigned char *m = malloc(HC_MAX_DATA);

		for (i = 0; i < HC_MAX_DATA; i++)
			m[i] = i ^ (i >> 8);
		r = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, m, HC_MAX_DATA,
			 HC_MAX_DATA, &out, &olen);
		CHECK("sys ping max size", r == HC_MAX_DATA &&
		      olen == HC_MAX_DATA && !memcmp(out, m, HC_MAX_DATA),
		      "result %lld", (long long)r);
		free(out);
		free(m);
	}

	r = call(s, T_SYS, HC_SYS_INFO, 0, 0, 0, NULL, 0, sizeof(info),
		 &out, &olen);
	if (r != 0 || olen != sizeof(info)) {
		fail("sys info", "result %lld len %u", (long long)r, olen);
	} else {
		memcpy(&info, out, sizeof(info));
		uname(&un);
		CHECK("sys info", info.abi_version == HC_ABI_VERSION &&
		      info.host_uid == getuid() &&
		      info.shadow_pid == si->shadow_pid &&
		      !strcmp(info.host_user, pw->pw_name) &&
		      !strcmp(info.kernel, un.release) &&
		      !strcmp(info.cwd, pw->pw_dir) && info.hostname[0],
		      "uid %u pid %d user %s kernel %s cwd %s", info.host_uid,
		      info.shadow_pid, info.host_user, info.kernel, info.cwd);
	}
	free(out);
	r = call(s, T_SYS, HC_SYS_INFO, 0, 0, 0, NULL, 0, 8, NULL, NULL);
	CHECK("sys info small buffer", r == -EINVAL, "result %lld",
	      (long long)r);

	r = call(s, T_SYS, HC_SYS_TIME, 0, 0, 0, NULL, 0, sizeof(t),
		 &out, &olen);
	if (r == 0 && olen == sizeof(t)) {
		memcpy(&t, out, sizeof(t));
		CHECK("sys time", llabs(t.sec - (int64_t)time(NULL)) < 5 &&
		      t.nsec >= 0 && t.nsec < 1000000000, "sec %lld",
		      (long long)t.sec);
	} else {
		fail("sys time", "result %lld", (long long)r);
	}
	free(out);

	if (!mkdtemp(tmp)) {
		fail("sys chdir/getcwd", "mkdtemp");
		return;
	}
	r = path_call(s, T_SYS, HC_SYS_CHDIR, 0, 0, tmp);
	if (r == 0)
		r = call(s, T_SYS, HC_SYS_GETCWD, 0, 0, 0, NULL, 0, 4096,
			 &out, &olen);
	else
		out = NULL;
	CHECK("sys chdir/getcwd", r == (int64_t)strlen(tmp) && out &&
	      !strcmp((char *)out, tmp), "result %lld cwd %s", (long long)r,
	      out ? (char *)out : "-");
	free(out);
	r = call(s, T_SYS, HC_SYS_GETCWD, 0, 0, 0, NULL, 0, 3, NULL, NULL);
	CHECK("sys getcwd small buffer", r == -ERANGE, "result %lld",
	      (long long)r);
	r = path_call(s, T_SYS, HC_SYS_CHDIR, 0, 0, "/nonexistent-hc");
	CHECK("sys chdir missing", r == -ENOENT, "result %lld", (long long)r);
	path_call(s, T_SYS, HC_SYS_CHDIR, 0, 0, pw->pw_dir);
	rmdir(tmp);
}

static void check_spawn_basic(struct sess *s)
{
	char *sh7[] = { "sh", "-c", "exit 7", NULL };
	char *miss[] = { "hc-no-such-command-xyz", NULL };
	char *notx[] = { "/etc/passwd", NULL };
	char *envsh[] = { "sh", "-c",
		"echo $FOO; pwd; echo $PATH; echo $HOME; echo x$HC_UNSET", NULL };
	char *env[] = { "FOO=bar baz", NULL };
	char *merge[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	char *split[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct passwd *pw = getpwuid(getuid());
	char expect[512], *data, *data2;
	int64_t h, r, r2;
	pid_t pid;

	h = spawn(s, NULL, sh7, NULL, 0, &pid);
	if (h < 0) {
		fail("proc spawn sh exit 7", "spawn %lld", (long long)h);
	} else {
		r = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
		CHECK("proc spawn sh exit 7", r >= 0 && WIFEXITED(r) &&
		      WEXITSTATUS(r) == 7 && pid > 0, "wait %lld pid %d",
		      (long long)r, pid);
		r2 = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
		CHECK("proc wait repeated", r2 == r, "%lld vs %lld",
		      (long long)r2, (long long)r);
		r = call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
		r2 = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
		CHECK("proc release", r == 0 && r2 == -EBADF,
		      "release %lld, wait after %lld", (long long)r,
		      (long long)r2);
		/* the slot's next process gets a new handle; the old one
		 * stays dead */
		r = spawn(s, NULL, sh7, NULL, 0, NULL);
		r2 = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
		CHECK("proc released handle not reused", r >= 0 && r != h &&
		      (r & 0xff) == (h & 0xff) && r2 == -EBADF,
		      "old %lld, new %lld, wait on old %lld", (long long)h,
		      (long long)r, (long long)r2);
		if (r >= 0) {
			call0(s, T_PROC, HC_PROC_WAIT, r, 0, NULL, 0);
			call0(s, T_PROC, HC_PROC_RELEASE, r, 0, NULL, 0);
		}
	}

	r = spawn(s, NULL, miss, NULL, 0, NULL);
	CHECK("proc spawn missing command", r == -ENOENT, "result %lld",
	      (long long)r);
	r = spawn(s, NULL, notx, NULL, 0, NULL);
	CHECK("proc spawn not executable", r == -EACCES, "result %lld",
	      (long long)r);
	r = spawn(s, "/nonexistent-hc-dir", sh7, NULL, 0, NULL);
	CHECK("proc spawn bad cwd", r == -ENOENT, "result %lld",
	      (long long)r);

	h = spawn(s, "/tmp", envsh, env, 0, NULL);
	if (h < 0) {
		fail("proc spawn env and cwd", "spawn %lld", (long long)h);
	} else {
		r = read_all(s, h, 1, &data);
		snprintf(expect, sizeof(expect),
			 "bar baz\n/tmp\n/usr/local/bin:/usr/bin:/bin\n%s\nx\n",
			 pw->pw_dir);
		CHECK("proc spawn env and cwd", r >= 0 && !strcmp(data, expect),
		      "got '%s'", data);
		free(data);
		call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	}

	h = spawn(s, NULL, merge, NULL, HC_SPAWN_F_MERGE_ERR, NULL);
	if (h < 0) {
		fail("proc merge stderr", "spawn %lld", (long long)h);
	} else {
		r = read_all(s, h, 1, &data);
		r2 = call(s, T_PROC, HC_PROC_READ, h, 2, 0, NULL, 0, 100,
			  NULL, NULL);
		CHECK("proc merge stderr", !strcmp(data, "out\nerr\n") &&
		      r2 == -EBADF, "got '%s', stderr read %lld", data,
		      (long long)r2);
		free(data);
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	}

	h = spawn(s, NULL, split, NULL, 0, NULL);
	if (h < 0) {
		fail("proc separate stderr", "spawn %lld", (long long)h);
	} else {
		read_all(s, h, 1, &data);
		read_all(s, h, 2, &data2);
		r = call0(s, T_PROC, HC_PROC_WAIT, h, 0, NULL, 0);
		CHECK("proc separate stderr", !strcmp(data, "out\n") &&
		      !strcmp(data2, "err\n") && WIFEXITED(r) &&
		      WEXITSTATUS(r) == 3, "out '%s' err '%s' wait %lld",
		      data, data2, (long long)r);
		free(data);
		free(data2);
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	}
}

/* 4 MiB through cat, with a write and a read in flight together. */
static void check_cat(struct sess *s)
{
	enum { TOTAL = 4 << 20, CHUNK = 64 << 10 };
	char *argv[] = { "cat", NULL };
	unsigned char *src = malloc(TOTAL), *dst = malloc(TOTAL), *out;
	size_t sent = 0, got = 0;
	uint64_t wtag = 0, rtag = 0;
	int64_t h, r;
	uint32_t olen;
	int i, closed = 0, eof = 0, err = 0;

	for (i = 0; i < TOTAL; i++)
		src[i] = (i * 131) ^ (i >> 12);
	h = spawn(s, NULL, argv, NULL, 0, NULL);
	if (h < 0) {
		fail("proc cat 4 MiB", "spawn %lld", (long long)h);
		goto out;
	}
	while (!eof && !err) {
		if (!wtag && sent < TOTAL) {
			size_t n = TOTAL - sent < CHUNK ? TOTAL - sent : CHUNK;

			wtag = next_tag++;
			send_call(s, wtag, T_PROC, HC_PROC_WRITE, h, 0, 0,
				  src + sent, n, 0);
		}
		if (!wtag && sent == TOTAL && !closed) {
			r = call0(s, T_PROC, HC_PROC_CLOSE, h, 0, NULL, 0);
			if (r != 0) {
				fail("proc cat 4 MiB", "close stdin %lld",
				     (long long)r);
				err = 1;
				break;
			}
			closed = 1;
		}
		if (!rtag) {
			rtag = next_tag++;
			send_call(s, rtag, T_PROC, HC_PROC_READ, h, 1, 0,
				  NULL, 0, CHUNK);
		}
		/* Whichever finishes first. */
		{
			struct reply rp;

			if (next_reply(s, TIMEOUT_MS, &rp) < 0) {
				fail("proc cat 4 MiB", "no reply (sent %zu, "
				     "got %zu)", sent, got);
				err = 1;
				break;
			}
			if (rp.tag == wtag) {
				if (rp.result <= 0) {
					fail("proc cat 4 MiB", "write %lld",
					     (long long)rp.result);
					err = 1;
				}
				sent += rp.result > 0 ? rp.result : 0;
				wtag = 0;
			} else if (rp.tag == rtag) {
				if (rp.result < 0 ||
				    got + rp.len > TOTAL) {
					fail("proc cat 4 MiB", "read %lld",
					     (long long)rp.result);
					err = 1;
				} else if (rp.result == 0) {
					eof = 1;
				} else {
					memcpy(dst + got, rp.data, rp.len);
					got += rp.len;
				}
				rtag = 0;
			}
			free(rp.data);
		}
	}
	if (!err)
		CHECK("proc cat 4 MiB", got == TOTAL && !memcmp(src, dst, TOTAL),
		      "got %zu bytes, %s", got,
		      got == TOTAL ? "content differs" : "short");
	r = call(s, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, 0, &out,
		 &olen);
	free(out);
	CHECK("proc cat exit 0", r == 0, "wait %lld", (long long)r);
	call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
out:
	free(src);
	free(dst);
}

static void check_signal_cancel(struct sess *s)
{
	char *sleep100[] = { "sleep", "100", NULL };
	char *cat[] = { "cat", NULL };
	struct reply rp;
	uint64_t rtag, wtag;
	int64_t h, r, r2;
	int got;

	h = spawn(s, NULL, sleep100, NULL, 0, NULL);
	if (h < 0) {
		fail("proc signal", "spawn %lld", (long long)h);
	} else {
		/* WAIT first so it is pending when the signal lands. */
		wtag = next_tag++;
		send_call(s, wtag, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0,
			  0);
		r = call0(s, T_PROC, HC_PROC_SIGNAL, h, SIGTERM, NULL, 0);
		r2 = wait_reply(s, wtag, TIMEOUT_MS, NULL, NULL);
		CHECK("proc signal", r == 0 && r2 >= 0 && WIFSIGNALED(r2) &&
		      WTERMSIG(r2) == SIGTERM, "signal %lld wait %lld",
		      (long long)r, (long long)r2);
		r = call0(s, T_PROC, HC_PROC_SIGNAL, h, 999, NULL, 0);
		CHECK("proc signal bad number", r == -EINVAL, "result %lld",
		      (long long)r);
		call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	}

	h = spawn(s, NULL, cat, NULL, 0, NULL);
	if (h < 0) {
		fail("cancel pending read", "spawn %lld", (long long)h);
		return;
	}
	rtag = next_tag++;
	send_call(s, rtag, T_PROC, HC_PROC_READ, h, 1, 0, NULL, 0, 4096);
	r = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, "x", 1, 1, NULL, NULL);
	r2 = call(s, T_FS, HC_FS_STAT, 0, 0, 0, "/", 2,
		  sizeof(struct hc_stat), NULL, NULL);
	CHECK("calls run beside a blocked read", r == 1 && r2 == 0 &&
	      s->nstash == 0, "ping %lld stat %lld stashed %d",
	      (long long)r, (long long)r2, s->nstash);
	/* The read is still pending: nothing arrives on its own. */
	got = recv_reply(s, 200, &rp);
	if (got == 0) {
		fail("read stays pending", "reply tag %llu result %lld",
		     (unsigned long long)rp.tag, (long long)rp.result);
		free(rp.data);
	} else {
		pass("read stays pending");
	}
	send_cancel(s, rtag);
	r = wait_reply(s, rtag, TIMEOUT_MS, NULL, NULL);
	CHECK("cancel pending read", r == -ECANCELED, "result %lld",
	      (long long)r);
	send_cancel(s, 987654321);	/* unknown tag: nothing happens */
	r = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, "y", 1, 1, NULL, NULL);
	CHECK("calls work after cancel", r == 1, "ping %lld", (long long)r);
	/* A pending WAIT is cancelled by RELEASE. */
	wtag = next_tag++;
	send_call(s, wtag, T_PROC, HC_PROC_WAIT, h, 0, 0, NULL, 0, 0);
	r = call0(s, T_PROC, HC_PROC_RELEASE, h, 0, NULL, 0);
	r2 = wait_reply(s, wtag, TIMEOUT_MS, NULL, NULL);
	CHECK("release ends pending wait", r == 0 && r2 == -ECANCELED,
	      "release %lld wait %lld", (long long)r, (long long)r2);
}

static int dir_has(const unsigned char *buf, size_t len, const char *name)
{
	size_t off = 0;

	while (off + 19 < len) {
		unsigned short reclen;

		memcpy(&reclen, buf + off + 16, 2);
		if (!reclen || off + reclen > len)
			return 0;
		if (!strcmp((const char *)buf + off + 19, name))
			return 1;
		off += reclen;
	}
	return 0;
}

static void check_fs(struct sess *s)
{
	char dir[] = "/tmp/hc-fs-XXXXXX", p1[256], p2[256], sub[256],
	     lnk[256], ren[600];
	struct hc_stat st;
	unsigned char *out;
	uint32_t olen;
	int64_t h, d, r, r2;
	int n;

	if (!mkdtemp(dir)) {
		fail("fs setup", "mkdtemp");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(p1, sizeof(p1), "%s/sub/f", dir);
	snprintf(p2, sizeof(p2), "%s/sub/g", dir);
	snprintf(lnk, sizeof(lnk), "%s/link", dir);

	r = path_call(s, T_FS, HC_FS_MKDIR, 0755, 0, sub);
	CHECK("fs mkdir", r == 0, "result %lld", (long long)r);
	r = path_call(s, T_FS, HC_FS_MKDIR, 0755, 0, sub);
	CHECK("fs mkdir exists", r == -EEXIST, "result %lld", (long long)r);

	h = path_call(s, T_FS, HC_FS_OPEN, O_CREAT | O_RDWR | O_TRUNC,
		      0644, p1);
	CHECK("fs open create", h >= 0, "result %lld", (long long)h);
	r = call0(s, T_FS, HC_FS_WRITE, h, 0, "hello world", 11);
	CHECK("fs write", r == 11, "result %lld", (long long)r);
	r = call(s, T_FS, HC_FS_PREAD, h, 6, 0, NULL, 0, 100, &out, &olen);
	CHECK("fs pread", r == 5 && olen == 5 && !memcmp(out, "world", 5),
	      "result %lld", (long long)r);
	free(out);
	r = call0(s, T_FS, HC_FS_PWRITE, h, 0, "J", 1);
	r2 = call(s, T_FS, HC_FS_PREAD, h, 0, 0, NULL, 0, 100, &out,
		  &olen);
	CHECK("fs pwrite", r == 1 && r2 == 11 && !memcmp(out, "Jello world", 11),
	      "pwrite %lld pread %lld", (long long)r, (long long)r2);
	free(out);
	r = call(s, T_FS, HC_FS_READ, h, 0, 0, NULL, 0, 100, NULL, NULL);
	CHECK("fs read at end", r == 0, "result %lld", (long long)r);
	r = call(s, T_FS, HC_FS_FSTAT, h, 0, 0, NULL, 0, sizeof(st), &out,
		 &olen);
	if (r == 0 && olen == sizeof(st))
		memcpy(&st, out, sizeof(st));
	CHECK("fs fstat", r == 0 && olen == sizeof(st) && st.size == 11 &&
	      S_ISREG(st.mode) && (st.mode & 0777) == 0644, "result %lld",
	      (long long)r);
	free(out);
	r = call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
	r2 = call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);
	CHECK("fs close", r == 0 && r2 == -EBADF, "close %lld again %lld",
	      (long long)r, (long long)r2);

	h = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, p1);
	r = call(s, T_FS, HC_FS_READ, h, 0, 0, NULL, 0, 5, &out, &olen);
	r2 = call(s, T_FS, HC_FS_READ, h, 0, 0, NULL, 0, 100, NULL, NULL);
	CHECK("fs read sequential", r == 5 && !memcmp(out, "Jello", 5) &&
	      r2 == 6, "read %lld then %lld", (long long)r, (long long)r2);
	free(out);
	call0(s, T_FS, HC_FS_CLOSE, h, 0, NULL, 0);

	r = call(s, T_FS, HC_FS_STAT, 0, 0, 0, p1, strlen(p1) + 1,
		 sizeof(st), &out, &olen);
	if (r == 0 && olen == sizeof(st))
		memcpy(&st, out, sizeof(st));
	CHECK("fs stat", r == 0 && st.size == 11 && st.uid == getuid(),
	      "result %lld", (long long)r);
	free(out);

	n = snprintf(ren, sizeof(ren), "%s", p1) + 1;
	n += snprintf(ren + n, sizeof(ren) - n, "%s", p2) + 1;
	r = call0(s, T_FS, HC_FS_RENAME, 0, 0, ren, n);
	CHECK("fs rename", r == 0 && access(p2, F_OK) == 0 &&
	      access(p1, F_OK) < 0, "result %lld", (long long)r);
	r = call0(s, T_FS, HC_FS_RENAME, 0, 0, ren, n - 1);
	CHECK("fs rename malformed", r == -EINVAL, "result %lld",
	      (long long)r);

	if (symlink("sub/g", lnk) < 0) {
		fail("fs readlink", "symlink: %s", strerror(errno));
	} else {
		r = call(s, T_FS, HC_FS_READLINK, 0, 0, 0, lnk,
			 strlen(lnk) + 1, 100, &out, &olen);
		CHECK("fs readlink", r == 5 && olen == 5 &&
		      !memcmp(out, "sub/g", 5), "result %lld", (long long)r);
		free(out);
		r = call(s, T_FS, HC_FS_STAT, HC_STAT_F_NOFOLLOW, 0, 0,
			 lnk, strlen(lnk) + 1, sizeof(st), &out, &olen);
		if (r == 0 && olen == sizeof(st))
			memcpy(&st, out, sizeof(st));
		CHECK("fs lstat", r == 0 && S_ISLNK(st.mode), "result %lld",
		      (long long)r);
		free(out);
	}

	d = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY | O_DIRECTORY, 0,
		      sub);
	r = call(s, T_FS, HC_FS_READDIR, d, 0, 0, NULL, 0, 4096, &out,
		 &olen);
	CHECK("fs readdir", d >= 0 && r > 0 && olen == r &&
	      dir_has(out, olen, "g") && dir_has(out, olen, ".."),
	      "open %lld readdir %lld", (long long)d, (long long)r);
	free(out);
	r = call(s, T_FS, HC_FS_READDIR, d, 0, 0, NULL, 0, 4096, NULL,
		 NULL);
	CHECK("fs readdir end", r == 0, "result %lld", (long long)r);
	call0(s, T_FS, HC_FS_CLOSE, d, 0, NULL, 0);

	r = path_call(s, T_FS, HC_FS_UNLINK, 0, 0, p2);
	r2 = path_call(s, T_FS, HC_FS_UNLINK, 0, 0, lnk);
	CHECK("fs unlink", r == 0 && r2 == 0 && access(p2, F_OK) < 0,
	      "unlink %lld, %lld", (long long)r, (long long)r2);
	r = path_call(s, T_FS, HC_FS_UNLINK, HC_UNLINK_F_DIR, 0, sub);
	CHECK("fs rmdir", r == 0 && access(sub, F_OK) < 0, "result %lld",
	      (long long)r);
	r = call(s, T_FS, HC_FS_STAT, 0, 0, 0, p2, strlen(p2) + 1,
		 sizeof(st), NULL, NULL);
	CHECK("fs stat missing", r == -ENOENT, "result %lld", (long long)r);
	r = path_call(s, T_FS, HC_FS_OPEN, O_RDONLY, 0, p2);
	CHECK("fs open missing", r == -ENOENT, "result %lld", (long long)r);
	rmdir(dir);
}

static void check_bad_input(struct sess *s)
{
	int64_t r;

	r = call(s, T_FS, HC_FS_READ, 999, 0, 0, NULL, 0, 10, NULL, NULL);
	CHECK("bad handle fs read", r == -EBADF, "result %lld", (long long)r);
	r = call(s, T_FS, HC_FS_READ, -5, 0, 0, NULL, 0, 10, NULL, NULL);
	CHECK("bad handle negative", r == -EBADF, "result %lld", (long long)r);
	r = call0(s, T_FS, HC_FS_CLOSE, 1LL << 40, 0, NULL, 0);
	CHECK("bad handle huge", r == -EBADF, "result %lld", (long long)r);
	r = call0(s, T_PROC, HC_PROC_WAIT, 17, 0, NULL, 0);
	CHECK("bad handle proc wait", r == -EBADF, "result %lld", (long long)r);
	r = call0(s, T_PROC, HC_PROC_SIGNAL, 255, 9, NULL, 0);
	CHECK("bad handle proc signal", r == -EBADF, "result %lld",
	      (long long)r);
	r = call0(s, 77, 1, 0, 0, NULL, 0);
	CHECK("a handle never bound", r == -EBADF, "result %lld",
	      (long long)r);
	r = call0(s, HC_MOD_SESSION, HC_SESSION_OPEN, 0, 0, NULL, 0);
	CHECK("session module not served by shadow", r == -ENOSYS,
	      "result %lld", (long long)r);
	r = call0(s, T_SYS, 99, 0, 0, NULL, 0);
	CHECK("bad op", r == -ENOSYS, "result %lld", (long long)r);
	r = call0(s, T_PROC, 0, 0, 0, NULL, 0);
	CHECK("bad proc op", r == -ENOSYS, "result %lld", (long long)r);
	r = call0(s, T_FS, HC_FS_STAT, 0, 0, "/etc", 4);
	CHECK("path without NUL", r == -EINVAL, "result %lld", (long long)r);
	r = call0(s, T_FS, HC_FS_OPEN, 0, 0, "/etc\0junk", 10);
	CHECK("path with trailing bytes", r == -EINVAL, "result %lld",
	      (long long)r);
	r = call0(s, T_FS, HC_FS_MKDIR, 0755, 0, NULL, 0);
	CHECK("empty input", r == -EINVAL, "result %lld", (long long)r);
	r = call(s, T_PROC, HC_PROC_SPAWN, 2, 0, 0, "true", 5, 8, NULL,
		 NULL);
	CHECK("spawn argc mismatch", r == -EINVAL, "result %lld", (long long)r);
	r = call(s, T_PROC, HC_PROC_SPAWN, 1, 0, 0, "true\0x", 7, 8,
		 NULL, NULL);
	CHECK("spawn trailing bytes", r == -EINVAL, "result %lld",
	      (long long)r);
	r = call(s, T_PROC, HC_PROC_SPAWN, 1, 1, 0, "true\0NOEQUALS", 14,
		 8, NULL, NULL);
	CHECK("spawn bad env entry", r == -EINVAL, "result %lld", (long long)r);
	r = call(s, T_PROC, HC_PROC_SPAWN, 0, 0, 0, "", 1, 8, NULL, NULL);
	CHECK("spawn argc 0", r == -EINVAL, "result %lld", (long long)r);
	r = call(s, T_PROC, HC_PROC_SPAWN, 1, 0, 1u << 7, "true", 5, 8,
		 NULL, NULL);
	CHECK("spawn unknown flag", r == -EINVAL, "result %lld", (long long)r);
	r = call(s, T_PROC, HC_PROC_SPAWN, 1LL << 40, 0, 0, "true", 5, 8,
		 NULL, NULL);
	CHECK("spawn huge argc", r == -EINVAL, "result %lld", (long long)r);
	r = call(s, T_SYS, HC_SYS_PING, 0, 0, 0, "abc", 3,
		 HC_MAX_DATA + 1, NULL, NULL);
	CHECK("out_max over HC_MAX_DATA", r == -EINVAL || r == NO_REPLY,
	      "result %lld", (long long)r);
}

/* A memfd for a bad window: size bytes, sealed against shrinking or not. */
static int test_memfd(off_t size, int seal)
{
	int fd = memfd_create("hc-bad-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, size) < 0 ||
	    (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0))
		return -1;
	return fd;
}

/* Each bad window message ends its session with a log line; the control
 * connection lives on. */
static void check_bad_windows(int ctl, uint32_t *next_session)
{
	static const char *const cases[] = {
		"short message", "wrong magic", "not HCP_WINDOW first",
		"no fds", "two fds", "memfd not sealed", "memfd too small",
		"size field wrong", "kick fd not an eventfd",
		"a message after the window",
	};
	struct hc_session_info info;
	struct sess s;
	unsigned k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char name[80];
		struct hcp_window w;
		struct reply rp;
		int fd, st, r, fds[3], pfd[2] = { -1, -1 }, i;
		uint32_t size = HC_WIN_SIZE;

		snprintf(name, sizeof(name), "bad window: %s", cases[k]);
		st = open_session(ctl, (*next_session)++, 1000, &info, &fd);
		if (st != 0) {
			fail(name, "open %d", st);
			continue;
		}
		memset(&s, 0, sizeof(s));
		s.fd = fd;
		s.id = info.session;
		fds[0] = test_memfd(HC_WIN_SIZE, k != 5);
		if (k == 6) {
			close(fds[0]);
			fds[0] = test_memfd(HC_WIN_SIZE / 2, 1);
		}
		fds[1] = eventfd(0, EFD_CLOEXEC);
		fds[2] = eventfd(0, EFD_CLOEXEC);
		if (k == 8 && pipe2(pfd, O_CLOEXEC) == 0) {
			close(fds[1]);
			fds[1] = pfd[0];
		}
		memset(&w, 0, sizeof(w));
		hcp_init(&w.hdr, HCP_WINDOW, sizeof(w), s.id, 0);
		w.size = size;
		switch (k) {
		case 0:
			send(fd, &w, 10, MSG_NOSIGNAL);
			break;
		case 1:
			w.hdr.magic = 0x12345678;
			send(fd, &w, sizeof(w), MSG_NOSIGNAL);
			break;
		case 2:
			w.hdr.type = HCP_OPEN;
			send(fd, &w, sizeof(w), MSG_NOSIGNAL);
			break;
		case 3:
			send_window(fd, s.id, fds, 0, size);
			break;
		case 4:
			send_window(fd, s.id, fds, 2, size);
			break;
		case 7:
			send_window(fd, s.id, fds, 3, HC_WIN_SIZE / 2);
			break;
		case 9:
			send_window(fd, s.id, fds, 3, size);
			send(fd, &w, sizeof(w), MSG_NOSIGNAL);
			break;
		default:
			send_window(fd, s.id, fds, 3, size);
		}
		for (i = 0; i < 3; i++)
			close(fds[i]);
		if (pfd[1] >= 0)
			close(pfd[1]);
		r = recv_reply(&s, TIMEOUT_MS, &rp);
		if (r == 0)
			free(rp.data);
		CHECK(name, r == -ECONNRESET, "session not closed (%d)", r);
		sess_close(&s);
		if (!gone_within(info.shadow_pid, 5000))
			fail(name, "shadow %d still running", info.shadow_pid);
	}
}

/* pid's children (its main thread's) in state state, or -1 */
static int children_in_state(pid_t pid, char state)
{
	char path[64], buf[4096], stat[512];
	char *p, *end;
	int n = 0, fd;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len > 0 ? len : 0] = 0;
	for (p = buf;; p = end) {
		long c = strtol(p, &end, 10);
		char *rp;

		if (end == p)
			break;
		snprintf(path, sizeof(path), "/proc/%ld/stat", c);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		stat[len > 0 ? len : 0] = 0;
		rp = strrchr(stat, ')');
		if (rp && rp[1] == ' ' && rp[2] == state)
			n++;
	}
	return n;
}

/*
 * A command's child that leaves its process group and is orphaned is
 * adopted by the shadow (its subreaper): reaped when it exits, killed
 * when the session ends.
 */
static void check_orphans(int ctl, uint32_t session)
{
	char *brief[] = { "sh", "-c", "setsid sleep 0.3 </dev/null >/dev/null 2>&1 & exit 0", NULL };
	char *daemon[] = { "sh", "-c", "setsid sleep 10123 </dev/null >/dev/null 2>&1 & exit 0", NULL };
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	int64_t h1, h2;
	int st, i, zombies = -1;
	char cmd[128];

	st = open_session(ctl, session, 1000, &info, &s.fd);
	if (st != 0) {
		fail("orphans", "open %d", st);
		return;
	}
	s.id = info.session;
	h1 = spawn(&s, NULL, brief, NULL, 0, NULL);
	h2 = spawn(&s, NULL, daemon, NULL, 0, NULL);
	/* WAIT leaves a leader a zombie until RELEASE reaps it. */
	if (h1 >= 0) {
		call0(&s, T_PROC, HC_PROC_WAIT, h1, 0, NULL, 0);
		call0(&s, T_PROC, HC_PROC_RELEASE, h1, 0, NULL, 0);
	}
	if (h2 >= 0)
		call0(&s, T_PROC, HC_PROC_WAIT, h2, 0, NULL, 0);
	/* the brief orphan has exited after 0.3 s: reaped, not a zombie
	 * (h2's leader is one until its RELEASE) */
	for (i = 0; i < 50; i++) {
		msleep(100);
		zombies = children_in_state(info.shadow_pid, 'Z');
		if (i >= 5 && zombies == 1)
			break;
	}
	CHECK("orphans: an adopted orphan is reaped when it exits",
	      h1 >= 0 && h2 >= 0 && zombies == 1, "handles %lld %lld, %d zombie(s)",
	      (long long)h1, (long long)h2, zombies);
	if (h2 >= 0)
		call0(&s, T_PROC, HC_PROC_RELEASE, h2, 0, NULL, 0);
	snprintf(cmd, sizeof(cmd), "pgrep -P %d -f '^sleep 10123' >/dev/null",
		 (int)info.shadow_pid);
	CHECK("orphans: a setsid daemon is the shadow's child",
	      system(cmd) == 0, "not a child of shadow %d", info.shadow_pid);
	sess_close(&s);
	for (i = 0; i < 50 && system("pgrep -f '^sleep 10123' >/dev/null") == 0; i++)
		msleep(100);
	CHECK("orphans: session close ends a setsid daemon",
	      system("pgrep -f '^sleep 10123' >/dev/null") != 0, "still running");
}

/* Closing the session kills what it started; the shadow goes too. */
static void check_session_close(int ctl, uint32_t session)
{
	char *argv[] = { "sleep", "100", NULL };
	char *sharg[] = { "sh", "-c", "sleep 100 & sleep 100", NULL };
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	pid_t p1 = -1, p2 = -1;
	int64_t h;
	int st;

	st = open_session(ctl, session, 1000, &info, &s.fd);
	if (st != 0) {
		fail("session close kills children", "open %d", st);
		return;
	}
	s.id = info.session;
	h = spawn(&s, NULL, argv, NULL, 0, &p1);
	if (h >= 0)
		h = spawn(&s, NULL, sharg, NULL, 0, &p2);
	if (h < 0 || p1 <= 0 || p2 <= 0) {
		fail("session close kills children", "spawn %lld", (long long)h);
		sess_close(&s);
		return;
	}
	msleep(100);	/* let sh start its background sleep */
	sess_close(&s);
	CHECK("session close kills children", gone_within(p1, 5000) &&
	      gone_within(p2, 5000), "pid %d or %d still there", p1, p2);
	CHECK("session close ends shadow", gone_within(info.shadow_pid, 5000),
	      "shadow %d still there", info.shadow_pid);
}

/* A shadow keeps serving after shadowd dies. */
static void check_shadowd_killed(void)
{
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	int ctl, st;
	pid_t d;
	int64_t r;

	d = start_private(&ctl);
	if (d < 0 || hello(ctl, HCP_VERSION) != 0 ||
	    (st = open_session(ctl, 1, 1000, &info, &s.fd)) != 0) {
		fail("session outlives shadowd", "setup");
		return;
	}
	s.id = info.session;
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	close(ctl);
	r = call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "abc", 3, 3, NULL, NULL);
	CHECK("session outlives shadowd", r == 3, "ping %lld", (long long)r);
	sess_close(&s);
	CHECK("orphaned shadow ends on close", gone_within(info.shadow_pid,
							   5000),
	      "shadow %d still there", info.shadow_pid);
}

/* Closing the control connection ends shadowd and all its shadows. */
static void check_ctl_close(void)
{
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	struct reply rp;
	int ctl, st, ws = -1, r, i;
	pid_t d;

	d = start_private(&ctl);
	if (d < 0 || hello(ctl, HCP_VERSION) != 0 ||
	    (st = open_session(ctl, 1, 1000, &info, &s.fd)) != 0) {
		fail("control close ends shadowd", "setup");
		return;
	}
	s.id = info.session;
	close(ctl);
	r = recv_reply(&s, TIMEOUT_MS, &rp);
	if (r == 0)
		free(rp.data);
	/* shadowd first: gone_within() reaps any child, shadowd too. */
	for (i = 0; i < 250 && waitpid(d, &ws, WNOHANG) != d; i++)
		msleep(20);
	CHECK("control close ends shadows", r == -ECONNRESET &&
	      gone_within(info.shadow_pid, 5000), "session still open (%d)", r);
	CHECK("control close ends shadowd", ws == 0 || (WIFEXITED(ws) &&
	      WEXITSTATUS(ws) == 0), "status 0x%x", ws);
	sess_close(&s);
}

/* As an unprivileged peer: the shadow runs as that user. Child process. */
static int as_nobody(const char *sock)
{
	struct hc_session_info info;
	struct hc_sys_info si;
	struct sess s = { .fd = -1 };
	unsigned char *out = NULL;
	uint32_t olen;
	int ctl, st;
	int64_t r;

	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return 2;
	ctl = connect_to(sock);
	if (ctl < 0 || hello(ctl, HCP_VERSION) != 0)
		return 3;
	st = open_session(ctl, 7, 0 /* guest root */, &info, &s.fd);
	if (st != 0 || info.host_uid != 65534)
		return 4;
	s.id = 7;
	r = call(&s, T_SYS, HC_SYS_INFO, 0, 0, 0, NULL, 0, sizeof(si),
		 &out, &olen);
	if (r != 0 || olen != sizeof(si))
		return 5;
	memcpy(&si, out, sizeof(si));
	free(out);
	if (si.host_uid != 65534 || si.host_gid != 65534 ||
	    strcmp(si.cwd, "/"))
		return 6;
	r = path_call(&s, T_FS, HC_FS_OPEN, O_RDONLY, 0, "/etc/shadow");
	if (r != -EACCES)
		return 7;
	sess_close(&s);
	close(ctl);
	return 0;
}

static void check_socket_mode(void)
{
	char dir[] = "/tmp/hc-sock-XXXXXX", sock[128], path[4096];
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	int ctl, ctl2, st, ws, i;
	struct hcp_hello junk;
	pid_t d, c;
	int64_t r;

	if (!mkdtemp(dir)) {
		fail("socket mode", "mkdtemp");
		return;
	}
	chmod(dir, 0755);
	snprintf(sock, sizeof(sock), "%s/shadowd.sock", dir);
	snprintf(path, sizeof(path), "%s/shadowd", build);
	d = fork();
	if (d == 0) {
		execl(path, "shadowd", "--socket", sock, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 250 && access(sock, F_OK) < 0; i++)
		msleep(20);
	chmod(sock, 0777);

	/* A bad control packet closes that connection only. */
	ctl2 = connect_to(sock);
	memset(&junk, 0xab, sizeof(junk));
	if (ctl2 >= 0)
		send(ctl2, &junk, sizeof(junk), MSG_NOSIGNAL);
	{
		char b[64];
		int n = ctl2 >= 0 ? recv_timeout(ctl2, b, sizeof(b), NULL) : -1;

		CHECK("socket: bad control packet closes", n == 0,
		      "recv %d", n);
	}
	if (ctl2 >= 0)
		close(ctl2);
	ctl2 = connect_to(sock);
	if (ctl2 >= 0) {
		struct hcp_open o;
		char b[64];
		int n;

		memset(&o, 0, sizeof(o));
		hcp_init(&o.hdr, HCP_OPEN, sizeof(o), 1, 1);
		send(ctl2, &o, sizeof(o), MSG_NOSIGNAL);
		n = recv_timeout(ctl2, b, sizeof(b), NULL);
		CHECK("socket: OPEN before HELLO closes", n == 0, "recv %d", n);
		close(ctl2);
	}
	ctl = connect_to(sock);
	st = ctl < 0 ? -1 : hello(ctl, HCP_VERSION + 1);
	CHECK("socket: other version refused", st == -EPROTONOSUPPORT,
	      "status %d", st);
	st = ctl < 0 ? -1 : hello(ctl, HCP_VERSION);
	if (st == 0)
		st = open_session(ctl, 3, 1000, &info, &s.fd);
	s.id = 3;
	r = st == 0 ? call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "ab", 2, 2,
			   NULL, NULL) : -1;
	CHECK("socket: serves after bad connections", r == 2,
	      "open %d ping %lld", st, (long long)r);
	st = hello(ctl, HCP_VERSION);
	CHECK("socket: second HELLO closes", st == -ECONNRESET, "status %d",
	      st);
	r = call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "ab", 2, 2, NULL, NULL);
	CHECK("socket: control close ends its shadows",
	      r == NO_REPLY && gone_within(info.shadow_pid, 5000),
	      "ping %lld", (long long)r);
	sess_close(&s);
	if (ctl >= 0)
		close(ctl);

	if (getuid() != 0) {
		skip("socket: unprivileged peer mapped to itself",
		     "needs root");
	} else {
		c = fork();
		if (c == 0)
			_exit(as_nobody(sock));
		waitpid(c, &ws, 0);
		CHECK("socket: unprivileged peer mapped to itself",
		      WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
		      "step %d failed", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	}

	kill(d, SIGTERM);
	waitpid(d, &ws, 0);
	CHECK("socket: SIGTERM exits cleanly", WIFEXITED(ws) &&
	      WEXITSTATUS(ws) == 0 && access(sock, F_OK) < 0,
	      "status 0x%x", ws);
	unlink(sock);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	struct hc_session_info info;
	struct sess s = { .fd = -1 };
	char path[4096];
	uint32_t session = 1;
	int ctl, st, ws;
	pid_t d;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BUILD_DIR\n", argv[0]);
		return 2;
	}
	build = argv[1];
	snprintf(path, sizeof(path), "%s/shadowd", build);
	if (access(path, X_OK) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	alarm(300);	/* a hang is a failure, not a stuck CI job */
	write_test_policy();

	d = start_private(&ctl);
	st = hello(ctl, HCP_VERSION + 7);
	CHECK("hello other version refused", st == -EPROTONOSUPPORT,
	      "status %d", st);
	st = hello(ctl, HCP_VERSION);
	CHECK("hello", st == 0, "status %d", st);
	st = open_session(ctl, session++, 1000, &info, &s.fd);
	CHECK("open session", st == 0 && info.shadow_pid > 0 &&
	      info.host_uid == getuid() && info.session == 1 &&
	      info.host_user[0], "status %d", st);
	if (st != 0) {
		printf("FAIL: cannot continue without a session\n");
		return 1;
	}
	s.id = info.session;

	check_sys(&s, &info);
	check_spawn_basic(&s);
	check_cat(&s);
	check_signal_cancel(&s);
	check_stdin_proc(&s);
	check_pty(&s);
	check_fs(&s);
	check_lifetimes(&s);
	check_undo(&s);
	check_hosterrors(&s);
	check_bad_input(&s);
	sess_close(&s);
	CHECK("shadow exits on close", gone_within(info.shadow_pid, 5000),
	      "shadow %d still there", info.shadow_pid);

	check_bad_windows(ctl, &session);
	check_window(ctl, &session);
	check_evq(ctl, &session);
	st = open_session(ctl, session++, 1000, &info, &s.fd);
	s.id = info.session;
	CHECK("second session after bad packets", st == 0 &&
	      call(&s, T_SYS, HC_SYS_PING, 0, 0, 0, "z", 1, 1, NULL,
		   NULL) == 1, "status %d", st);
	sess_close(&s);
	check_session_close(ctl, session++);
	check_orphans(ctl, session++);
	check_blocking(ctl, session++);

	close(ctl);
	ws = -1;
	waitpid(d, &ws, 0);
	CHECK("private shadowd exits 0", WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
	      "status 0x%x", ws);

	check_evq_pingpong();
	check_sock();
	check_sock_modules();
	check_shadowd_killed();
	check_ctl_close();
	check_socket_mode();
	check_daemon();
	reap_any();
	remove_test_policy();

	printf("%s: %d failure%s\n", failures ? "FAILED" : "OK", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
