/* SPDX-License-Identifier: MIT */
/*
 * Guest root is not host root: in a VM of an unprivileged owner it is
 * that owner; in a VM root owns it is the fallback user (nobody) unless
 * a rule names root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sec.h"

static void id_u(struct sess *s, char *buf, size_t n)
{
	char *argv[] = { "id", "-u", NULL }, *out = NULL;
	int64_t st = run_cmd(s, argv, NULL, &out);

	snprintf(buf, n, "%s", st == 0 && out ? out : "?");
	free(out);
}

static void guest_root_in_system_vm(void *arg)
{
	struct hc_session_info info;
	struct sess s;
	char got[64], want[32];
	int ctl = attach("sec"), st;

	(void)arg;
	st = ctl >= 0 ? session(ctl, 0, &s, &info) : ctl;
	if (st != 0) {
		fail("root: guest root runs `id -u` as a non-zero uid",
		     "open %d", st);
		goto out;
	}
	id_u(&s, got, sizeof(got));
	snprintf(want, sizeof(want), "%u\n", (unsigned)S.uid[UO]);
	CHECK("root: guest root runs `id -u` as a non-zero uid",
	      !strcmp(got, want) && S.uid[UO] != 0, "got '%s' want '%s'",
	      got, want);
	sess_close(&s);
out:
	if (ctl >= 0)
		close(ctl);
}

/* A private shadowd run by root: guest `uid` should be `want_uid`. */
static void private_root(const char *name, const char *conf, uint32_t uid,
			 unsigned want_uid)
{
	const char *extra[] = { "--config", NULL, NULL };
	struct hc_session_info info;
	struct sess s = { .fd = -1, .id = 1 };
	char path[160], got[64], want[32];
	int ctl = -1, st, ws;
	pid_t d;
	FILE *f;

	if (conf) {
		snprintf(path, sizeof(path), "%s/private.conf", S.dir);
		f = fopen(path, "w");
		fputs(conf, f);
		fclose(f);
		extra[1] = path;
	}
	d = start_shadowd(conf ? extra : NULL, &ctl);
	st = hello(ctl, HCP_VERSION);
	if (st == 0)
		st = open_session(ctl, 1, uid, &info, &s.fd);
	if (st != 0) {
		fail(name, "hello/open %d", st);
	} else {
		id_u(&s, got, sizeof(got));
		snprintf(want, sizeof(want), "%u\n", want_uid);
		CHECK(name, !strcmp(got, want) && info.host_uid == want_uid,
		      "id -u '%s', info uid %u, want %u", got, info.host_uid,
		      want_uid);
	}
	sess_close(&s);
	close(ctl);
	waitpid(d, &ws, 0);
}

void sec_root(void)
{
	char conf[512];

	run_as(UO, guest_root_in_system_vm, NULL);
	private_root("root: root-owned VM without a policy maps root to nobody",
		     NULL, 0, 65534);
	private_root("root: ... and any other guest user to nobody too",
		     NULL, 1000, 65534);
	private_root("root: a rule naming root gives root",
		     "[vm *]\nowners = root\nmap 0 = root\n", 0, 0);
	private_root("root: the owner rule never gives root",
		     "[vm *]\nowners = root\nmap 0 = root\n", 5, 65534);
	snprintf(conf, sizeof(conf), "[global]\nfallback-user = %s\n",
		 S.user[UA]);
	private_root("root: fallback-user chooses who stands in for root",
		     conf, 0, S.uid[UA]);
}
