/* SPDX-License-Identifier: MIT */
/*
 * [vm cmds] confines the fs module beneath DIR/share. Inside works,
 * relative paths too; "..", symlinks out (relative, absolute, through a
 * directory link), plain outside paths and creating through a dangling
 * link are refused with -EPERM and audited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sec.h"

static char P[8][200];	/* scratch paths */

static const char *in(const char *rel)
{
	static int k;
	char *p = P[k++ & 3];

	snprintf(p, sizeof(P[0]), "%s/%s", S.share, rel);
	return p;
}

static const char *out_(const char *rel)
{
	static int k;
	char *p = P[4 + (k++ & 3)];

	snprintf(p, sizeof(P[0]), "%s/%s", S.dir, rel);
	return p;
}

static int64_t stat_call(struct sess *s, const char *path, int nofollow,
			 struct hc_stat *st)
{
	unsigned char *o = NULL;
	uint32_t olen = 0;
	int64_t r = call(s, T_FS, HC_FS_STAT, nofollow ?
			 HC_STAT_F_NOFOLLOW : 0, 0, 0, path, strlen(path) + 1,
			 sizeof(*st), &o, &olen);

	if (r == 0 && olen == sizeof(*st))
		memcpy(st, o, sizeof(*st));
	free(o);
	return r;
}

static void inside(struct sess *s)
{
	char buf[64];
	unsigned char *o = NULL;
	uint32_t olen = 0;
	struct hc_stat st;
	int64_t r;

	r = fs_read_file(s, in("in.txt"), buf, sizeof(buf));
	CHECK("fsroots: a file inside the root", r > 0 &&
	      !strcmp(buf, "inside\n"), "read %lld", (long long)r);
	r = call(s, T_SYS, HC_SYS_GETCWD, 0, 0, 0, NULL, 0, 4096, &o,
		 &olen);
	CHECK("fsroots: the shadow starts in the root",
	      r > 0 && o && !strcmp((char *)o, S.share), "getcwd %lld '%s'",
	      (long long)r, o ? (char *)o : "");
	free(o);
	r = fs_read_file(s, "sub/inner", buf, sizeof(buf));
	CHECK("fsroots: relative path and a symlink that stays inside",
	      r > 0 && !strcmp(buf, "inside\n"), "read %lld", (long long)r);
	r = stat_call(s, in("escape"), 1, &st);
	CHECK("fsroots: lstat of a link inside (not followed)",
	      r == 0 && S_ISLNK(st.mode), "stat %lld", (long long)r);
	r = call(s, T_FS, HC_FS_READLINK, 0, 0, 0, in("escape"),
		 strlen(in("escape")) + 1, 100, &o, &olen);
	CHECK("fsroots: readlink of a link inside", r == 14 && o &&
	      !memcmp(o, "../outside.txt", 14), "readlink %lld",
	      (long long)r);
	free(o);
	r = path_call(s, T_FS, HC_FS_MKDIR, 0755, 0, in("made"));
	CHECK("fsroots: mkdir inside", r == 0, "mkdir %lld", (long long)r);
	r = path_call(s, T_SYS, HC_SYS_CHDIR, 0, 0, "sub");
	if (r == 0)
		r = fs_read_file(s, "../in.txt", buf, sizeof(buf));
	CHECK("fsroots: chdir inside, then .. that stays inside",
	      r > 0 && !strcmp(buf, "inside\n"), "result %lld", (long long)r);
}

static void outside(struct sess *s)
{
	static const struct { const char *name; int rel; const char *path; }
	opens[] = {
		{ "fsroots: .. out of the root", 0, "../outside.txt" },
		{ "fsroots: .. out, relative to the cwd", 1,
		  "../../outside.txt" },
		{ "fsroots: a relative symlink out", 0, "escape" },
		{ "fsroots: an absolute symlink out", 0, "abs" },
		{ "fsroots: through a directory symlink out", 0,
		  "up/outside.txt" },
		{ "fsroots: a path through /proc", 2, "/proc/self/root/etc/"
		  "passwd" },
		{ "fsroots: a plain path outside", 2, "/etc/passwd" },
	};
	char buf[64];
	struct hc_stat st;
	unsigned i;
	int64_t r;

	/* The cwd is share/sub now (inside()). */
	for (i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		const char *p = opens[i].rel == 0 ? in(opens[i].path) :
				opens[i].path;

		r = fs_read_file(s, p, buf, sizeof(buf));
		CHECK(opens[i].name, r == -EPERM, "%s: read %lld '%s'", p,
		      (long long)r, r > 0 ? buf : "");
	}
	r = stat_call(s, in("escape"), 0, &st);
	CHECK("fsroots: stat through a link out", r == -EPERM, "stat %lld",
	      (long long)r);
	r = stat_call(s, out_("outside.txt"), 1, &st);
	CHECK("fsroots: stat outside", r == -EPERM, "stat %lld",
	      (long long)r);
	r = path_call(s, T_FS, HC_FS_MKDIR, 0755, 0, in("up/made"));
	CHECK("fsroots: mkdir through a link out",
	      r == -EPERM && access(out_("made"), F_OK) < 0, "mkdir %lld",
	      (long long)r);
	r = path_call(s, T_FS, HC_FS_UNLINK, 0, 0, in("up/outside.txt"));
	CHECK("fsroots: unlink through a link out",
	      r == -EPERM && access(out_("outside.txt"), F_OK) == 0,
	      "unlink %lld", (long long)r);
	{
		char two[400];
		size_t a = strlen(in("in.txt")) + 1;

		memcpy(two, in("in.txt"), a);
		strcpy(two + a, in("up/stolen.txt"));
		r = call0(s, T_FS, HC_FS_RENAME, 0, 0, two,
			  a + strlen(two + a) + 1);
		CHECK("fsroots: rename out of the root",
		      r == -EPERM && access(out_("stolen.txt"), F_OK) < 0,
		      "rename %lld", (long long)r);
	}
	r = path_call(s, T_SYS, HC_SYS_CHDIR, 0, 0, S.dir);
	CHECK("fsroots: chdir outside", r == -EPERM, "chdir %lld",
	      (long long)r);
	/* O_CREAT through a dangling link that points out. */
	r = path_call(s, T_FS, HC_FS_OPEN, O_CREAT | O_WRONLY, 0644,
		      in("dangling"));
	CHECK("fsroots: create through a dangling link out",
	      r == -EPERM && access(out_("created.txt"), F_OK) < 0,
	      "open %lld", (long long)r);
}

/* The window is the guest's to change while a call runs. */
struct flipper {
	volatile unsigned char *at;	/* the path in the window */
	char a[200], b[200];		/* same length, NUL included */
	size_t len;
	volatile int stop;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;
	unsigned long k = 0;

	while (!f->stop) {
		const char *p = (k++ & 1) ? f->b : f->a;
		size_t i;

		for (i = 0; i < f->len; i++)
			f->at[i] = p[i];
	}
	return NULL;
}

/*
 * An OPEN whose path flips between a file inside the root and one outside
 * while the call is queued and running: the shadow checks the copy it
 * took, so the outside file is never opened, whichever path it saw.
 */
static void toctou(struct sess *s)
{
	struct flipper f;
	pthread_t t;
	int i, n = 300, opened = 0, refused = 0, leaked = 0, other = 0;
	char buf[64];
	uint32_t off;

	memset(&f, 0, sizeof(f));
	snprintf(f.b, sizeof(f.b), "%s/outside.txt", S.dir);
	snprintf(f.a, sizeof(f.a), "%s/in.txt", S.share);
	/* Leading slashes make the two paths the same length. */
	while (strlen(f.b) < strlen(f.a))
		memmove(f.b + 1, f.b, strlen(f.b) + 1);
	while (strlen(f.a) < strlen(f.b))
		memmove(f.a + 1, f.a, strlen(f.a) + 1);
	f.len = strlen(f.a) + 1;
	off = sess_data(s, 0, f.a, f.len);
	if (!off) {
		fail("fsroots: a path changed in the window", "no room");
		return;
	}
	f.at = s->win + off;
	if (pthread_create(&t, NULL, flip, &f) != 0) {
		fail("fsroots: a path changed in the window", "thread");
		return;
	}
	for (i = 0; i < n; i++) {
		struct hc_sqe e;
		int64_t r;

		memset(&e, 0, sizeof(e));
		e.tag = next_tag++;
		e.module = sess_handle(s, T_FS);
		e.op = HC_FS_OPEN;
		e.args[0] = O_RDONLY;
		e.in_off = off;
		e.in_len = f.len;
		if (submit_sqe(s, 0, &e) < 0)
			break;
		r = wait_reply(s, e.tag, TIMEOUT_MS, NULL, NULL);
		if (r == -EPERM) {
			refused++;
			continue;
		}
		if (r < 0) {
			other++;
			continue;
		}
		opened++;
		memset(buf, 0, sizeof(buf));
		{
			unsigned char *o = NULL;
			uint32_t olen = 0;

			if (call(s, T_FS, HC_FS_READ, r, 0, 0, NULL, 0,
				 sizeof(buf) - 1, &o, &olen) > 0 &&
			    strcmp((char *)o, "inside\n"))
				leaked++;
			free(o);
		}
		call0(s, T_FS, HC_FS_CLOSE, r, 0, NULL, 0);
	}
	f.stop = 1;
	pthread_join(t, NULL);
	/* A copy taken mid-flip mixes the two: ENOENT, also fine. */
	CHECK("fsroots: a path changed in the window while its call runs",
	      leaked == 0 && opened + refused + other == n,
	      "%d opened, %d refused, %d read outside, %d other errors",
	      opened, refused, leaked, other);
}

static void roots(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	int ctl = attach("cmds"), st;

	(void)arg;
	st = ctl >= 0 ? session(ctl, 7, &s, &info) : ctl;
	if (st != 0) {
		fail("fsroots: session", "open %d", st);
	} else {
		inside(&s);
		outside(&s);
		toctou(&s);
		sess_close(&s);
	}
	if (ctl >= 0)
		close(ctl);
}

void sec_fsroots(void)
{
	char link[200], target[200];

	snprintf(link, sizeof(link), "%s/dangling", S.share);
	snprintf(target, sizeof(target), "%s/created.txt", S.dir);
	if (symlink(target, link) < 0)
		perror(link);
	run_as(UO, roots, NULL);
	CHECK("fsroots: the refusals are audited", audit_has(
		"event=fs-refused", "vm=cmds", "op=open", "escape",
		"reason=outside-fs-roots", NULL), "no audit line");
}
