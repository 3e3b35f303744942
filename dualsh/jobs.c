// SPDX-License-Identifier: MIT
/*
 * dualsh jobs: the processes of a pipeline, waiting for them, and job
 * control (process groups, the terminal, fg/bg). A pump process (host.c)
 * stands for all host stages of its run and reports their statuses on a
 * pipe before it exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shell.h"

static struct job *jobs;	/* background and stopped jobs */
static struct job *fg_job;	/* the job being waited for */

struct job *job_new(const char *text, int nstages)
{
	struct job *j = xmalloc(sizeof(*j));

	memset(j, 0, sizeof(*j));
	j->text = xstrdup(text ? text : "");
	j->nst = nstages;
	j->st = xmalloc(nstages * sizeof(int));
	memset(j->st, 0, nstages * sizeof(int));
	return j;
}

void job_free(struct job *j)
{
	int i;

	if (!j)
		return;
	for (i = 0; i < j->nprocs; i++)
		if (j->procs[i].statfd >= 0)
			close(j->procs[i].statfd);
	host_release_all(j);
	free(j->procs);
	free(j->st);
	free(j->text);
	free(j->hhandles);
	free(j);
}

void job_add(struct job *j, pid_t pid, int first, int nst, int statfd)
{
	struct proc *p;

	j->procs = xrealloc(j->procs, (j->nprocs + 1) * sizeof(*p));
	p = &j->procs[j->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->first = first;
	p->nst = nst;
	p->statfd = statfd;
	p->pump = statfd >= 0;
	if (pid <= 0)
		p->done = true;
}

void job_set_stage(struct job *j, int stage, int status)
{
	if (stage >= 0 && stage < j->nst)
		j->st[stage] = status;
}

void job_add_handles(struct job *j, const int *h, int n)
{
	j->hhandles = xrealloc(j->hhandles, (j->nhh + n) * sizeof(int));
	memcpy(j->hhandles + j->nhh, h, n * sizeof(int));
	j->nhh += n;
}

void job_child_setup(struct job *j, bool fg)
{
	pid_t pgid;

	if (!sh.jobctl)
		return;
	pgid = j->pgid ? j->pgid : getpid();
	setpgid(0, pgid);
	if (fg && sh.ttyfd >= 0)
		tcsetpgrp(sh.ttyfd, pgid);
}

void job_parent_setup(struct job *j, pid_t pid)
{
	if (!sh.jobctl)
		return;
	if (!j->pgid)
		j->pgid = pid;
	setpgid(pid, j->pgid);
}

bool job_done(const struct job *j)
{
	int i;

	for (i = 0; i < j->nprocs; i++)
		if (!j->procs[i].done)
			return false;
	return true;
}

static bool job_stopped(const struct job *j)
{
	int i;
	bool any = false;

	for (i = 0; i < j->nprocs; i++) {
		if (!j->procs[i].done && !j->procs[i].stopped)
			return false;
		if (j->procs[i].stopped)
			any = true;
	}
	return any;
}

/* a stage ended by SIGINT (Ctrl-C), in the guest or on the host */
static bool job_interrupted(const struct job *j)
{
	int i;

	for (i = 0; i < j->nst; i++)
		if (j->st[i] == 128 + SIGINT)
			return true;
	return false;
}

int job_status(struct job *j)
{
	int i;

	if (!j->nst)
		return 0;
	if (sh.pipefail)
		for (i = j->nst - 1; i >= 0; i--)
			if (j->st[i])
				return j->st[i];
	return j->st[j->nst - 1];
}

static void proc_finished(struct job *j, struct proc *p)
{
	int i, got = 0;

	if (p->statfd >= 0) {
		int *st = xmalloc(p->nst * sizeof(int));
		size_t want = p->nst * sizeof(int), have = 0;

		while (have < want) {
			ssize_t r = read(p->statfd, (char *)st + have, want - have);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			have += r;
		}
		if (have == want) {
			for (i = 0; i < p->nst; i++)
				j->st[p->first + i] = st[i];
			got = 1;
		}
		free(st);
		close(p->statfd);
		p->statfd = -1;
		if (!got)
			host_release_all(j);	/* the pump died: no orphans */
	}
	if (!got)
		for (i = 0; i < p->nst; i++)
			j->st[p->first + i] = wait_to_status(p->ws);
}

static struct proc *find_proc(struct job *j, pid_t pid)
{
	int i;

	for (i = 0; j && i < j->nprocs; i++)
		if (j->procs[i].pid == pid)
			return &j->procs[i];
	return NULL;
}

/* note a wait result for whichever job owns pid */
static void record(pid_t pid, int ws)
{
	struct job *j = fg_job;
	struct proc *p = find_proc(j, pid);

	for (j = p ? j : jobs; !p && j; j = j->next)
		if ((p = find_proc(j, pid)))
			break;
	if (!p)
		return;
	p->ws = ws;
	if (WIFSTOPPED(ws)) {
		p->stopped = true;
	} else if (WIFCONTINUED(ws)) {
		p->stopped = false;
	} else {
		p->done = true;
		p->stopped = false;
		proc_finished(j, p);
	}
}

static void list_add(struct job *j)
{
	struct job **pp;
	int id = 1;

	for (pp = &jobs; *pp; pp = &(*pp)->next)
		if ((*pp)->id >= id)
			id = (*pp)->id + 1;
	j->id = id;
	j->next = NULL;
	*pp = j;
}

static bool list_has(struct job *j)
{
	struct job *k;

	for (k = jobs; k; k = k->next)
		if (k == j)
			return true;
	return false;
}

static void list_del(struct job *j)
{
	struct job **pp;

	for (pp = &jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

/* SIGINT while a non-interactive shell waits: pass it to the job */
void jobs_forward_signal(int sig)
{
	int i;

	if (!fg_job)
		return;
	for (i = 0; i < fg_job->nprocs; i++)
		if (fg_job->procs[i].pid > 0 && !fg_job->procs[i].done)
			kill(fg_job->procs[i].pid, sig);
}

int job_wait_fg(struct job *j)
{
	int st, ws;

	if (sh.jobctl && j->pgid && sh.ttyfd >= 0)
		tcsetpgrp(sh.ttyfd, j->pgid);
	fg_job = j;
	/* an interrupt that came while the job was being started (before
	 * its pump existed) reaches the job now */
	if (!sh.interactive && sh.got_sigint)
		jobs_forward_signal(SIGINT);
	while (!job_done(j) && !job_stopped(j)) {
		pid_t pid = waitpid(-1, &ws, sh.jobctl ? WUNTRACED : 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			/* nothing left to wait for */
			int i;

			for (i = 0; i < j->nprocs; i++)
				if (!j->procs[i].done) {
					j->procs[i].done = true;
					proc_finished(j, &j->procs[i]);
				}
			break;
		}
		record(pid, ws);
	}
	fg_job = NULL;
	if (sh.jobctl && sh.ttyfd >= 0) {
		tcsetpgrp(sh.ttyfd, sh.pgid);
		if (tcgetattr(sh.ttyfd, &j->tmodes) == 0)
			j->have_tmodes = true;
		if (sh.have_tmodes)
			tcsetattr(sh.ttyfd, TCSADRAIN, &sh.tmodes);
	}
	if (job_stopped(j)) {
		if (!list_has(j))
			list_add(j);
		j->bg = true;
		fprintf(stderr, "\n[%d]+  Stopped\t\t%s\n", j->id, j->text);
		return 128 + SIGTSTP;
	}
	st = job_status(j);
	if (sh.interactive && job_interrupted(j))
		fputc('\n', stderr);	/* the prompt starts on a line of its own */
	if (list_has(j))
		list_del(j);
	job_free(j);
	if (!sh.interactive && sh.got_sigint && !sh.subshell) {
		/* interrupted: a non-interactive shell stops here */
		shell_exit(130);
	}
	return st;
}

void job_background(struct job *j)
{
	if (job_done(j) && !sh.interactive) {
		job_free(j);
		return;
	}
	list_add(j);
	if (sh.interactive)
		fprintf(stderr, "[%d] %d\n", j->id, (int)sh.lastbg);
}

void jobs_reap(bool notify)
{
	struct job *j, *n;
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG | (sh.jobctl ? WUNTRACED | WCONTINUED : 0))) > 0)
		record(pid, ws);
	for (j = jobs; j; j = n) {
		n = j->next;
		if (!job_done(j))
			continue;
		if (notify && sh.interactive)
			fprintf(stderr, "[%d]+  %s\t\t%s\n", j->id,
				job_status(j) ? "Exit" : "Done", j->text);
		if (notify || !sh.interactive) {
			list_del(j);
			job_free(j);
		}
	}
}

/*
 * A job by spec: %n, %% %+ (current: the last started or stopped), %-
 * (the one before), %string (command starts with it), %?string (contains
 * it), or a process id. NULL with *why set when there is none.
 */
struct job *job_find(const char *spec, const char **why)
{
	struct job *j, *last = NULL, *prev = NULL, *hit = NULL;
	int nhit = 0;

	*why = "no such job";
	for (j = jobs; j; j = j->next) {
		prev = last;
		last = j;
	}
	if (!spec || !strcmp(spec, "%") || !strcmp(spec, "%%") ||
	    !strcmp(spec, "%+"))
		return last;
	if (!strcmp(spec, "%-"))
		return prev ? prev : last;
	if (spec[0] == '%' && spec[1] >= '0' && spec[1] <= '9') {
		char *end;
		long id = strtol(spec + 1, &end, 10);

		for (j = jobs; j && !*end; j = j->next)
			if (j->id == id)
				return j;
		return NULL;
	}
	if (spec[0] == '%') {
		bool any = spec[1] == '?';
		const char *s = spec + 1 + any;

		for (j = jobs; j; j = j->next)
			if (any ? strstr(j->text, s) != NULL :
				  !strncmp(j->text, s, strlen(s))) {
				hit = j;
				nhit++;
			}
		if (nhit > 1) {
			*why = "ambiguous job spec";
			return NULL;
		}
		return hit;
	}
	{
		char *end;
		long pid = strtol(spec, &end, 10);
		int i;

		if (*end || end == spec || pid <= 0) {
			*why = "not a job spec or process id";
			return NULL;
		}
		for (j = jobs; j; j = j->next)
			for (i = 0; i < j->nprocs; i++)
				if (j->procs[i].pid == pid)
					return j;
	}
	return NULL;
}

/*
 * kill for a job (-1 with errno on failure). Guest processes (and pumps) get sig; a pump passes the
 * signals it forwards (pump.c) on to its host processes. Others (SIGKILL,
 * SIGSTOP, SIGUSR1, ...) go to the host processes directly through the
 * session, and to a pump only if they must stop or end it too. A stopped
 * job is continued after a signal that should end it, as other shells do.
 */
int job_kill(struct job *j, int sig)
{
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
				   SIGTTIN, SIGTTOU, SIGCONT, SIGWINCH, 0 };
	bool forwarded = false, stopped = job_stopped(j);
	int i, k, r = 0;

	for (k = 0; fwd[k]; k++)
		if (fwd[k] == sig)
			forwarded = true;
	if (!forwarded && sig)
		host_signal_all(j, sig);
	for (i = 0; i < j->nprocs; i++) {
		struct proc *p = &j->procs[i];

		if (p->pid <= 0 || p->done)
			continue;
		if (p->pump && !forwarded && sig != SIGKILL && sig != SIGSTOP)
			continue;
		if (kill(p->pid, sig) < 0)
			r = -1;
	}
	if (stopped && sig != SIGCONT && sig != SIGSTOP && sig != SIGTSTP &&
	    sig != SIGTTIN && sig != SIGTTOU && sig)
		job_kill(j, SIGCONT);
	return r;
}

/* kill(pid, sig), but a pump's pid stands for its host processes too */
int pid_kill(pid_t pid, int sig)
{
	struct job *j;
	int i;

	for (j = pid > 0 ? jobs : NULL; j; j = j->next)
		for (i = 0; i < j->nprocs; i++)
			if (j->procs[i].pid == pid && j->procs[i].pump &&
			    !j->procs[i].done) {
				if (job_kill(j, sig) < 0)
					return -1;
				return 0;
			}
	return kill(pid, sig);
}

static void job_continue(struct job *j)
{
	int i;

	for (i = 0; i < j->nprocs; i++)
		j->procs[i].stopped = false;
	if (sh.jobctl && j->pgid) {
		kill(-j->pgid, SIGCONT);
		return;
	}
	for (i = 0; i < j->nprocs; i++)
		if (j->procs[i].pid > 0 && !j->procs[i].done)
			kill(j->procs[i].pid, SIGCONT);
}

int job_fg(struct job *j, bool cont)
{
	fprintf(stderr, "%s\n", j->text);
	j->bg = false;
	if (sh.jobctl && j->have_tmodes && sh.ttyfd >= 0)
		tcsetattr(sh.ttyfd, TCSADRAIN, &j->tmodes);
	if (sh.jobctl && j->pgid && sh.ttyfd >= 0)
		tcsetpgrp(sh.ttyfd, j->pgid);
	if (cont)
		job_continue(j);
	return job_wait_fg(j);
}

int job_bg(struct job *j)
{
	j->bg = true;
	fprintf(stderr, "[%d]+ %s &\n", j->id, j->text);
	job_continue(j);
	return 0;
}

void jobs_print(void)
{
	struct job *j;

	jobs_reap(false);
	for (j = jobs; j; j = j->next) {
		const char *state = job_done(j) ? (job_status(j) ? "Exit" : "Done") :
				    job_stopped(j) ? "Stopped" : "Running";

		printf("[%d]%c  %-8s\t%s\n", j->id, j->next ? ' ' : '+', state,
		       j->text);
	}
	fflush(stdout);
	jobs_reap(true);
}

int jobs_wait_all(void)
{
	int st = 0, ws;

	for (;;) {
		struct job *j, *n;
		pid_t pid;
		bool pending = false;

		for (j = jobs; j; j = n) {
			n = j->next;
			if (job_done(j)) {
				st = job_status(j);
				list_del(j);
				job_free(j);
			} else if (!job_stopped(j)) {
				pending = true;
			}
		}
		if (!pending)
			return st;
		pid = waitpid(-1, &ws, 0);
		if (pid < 0) {
			if (errno == EINTR) {
				if (sh.got_sigint)
					return 130;
				continue;
			}
			return st;
		}
		record(pid, ws);
	}
}

int job_wait_one(struct job *j)
{
	int ws;

	while (!job_done(j)) {
		pid_t pid = waitpid(-1, &ws, 0);

		if (pid < 0) {
			if (errno == EINTR && !sh.got_sigint)
				continue;
			return 127;
		}
		record(pid, ws);
	}
	{
		int st = job_status(j);

		list_del(j);
		job_free(j);
		return st;
	}
}

void jobs_hangup(void)
{
	struct job *j;

	for (j = jobs; j; j = j->next) {
		if (job_stopped(j) && j->pgid) {
			kill(-j->pgid, SIGHUP);
			kill(-j->pgid, SIGCONT);
		}
	}
}
