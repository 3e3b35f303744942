// SPDX-License-Identifier: MIT
/*
 * dualsh traps: `trap` records an action per signal; the handler only
 * notes the signal, and the walk runs the action between commands
 * (trap_run_pending) or when the shell exits (EXIT).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

static char *actions[NSIG];		/* NULL: default, "": ignored */
static volatile sig_atomic_t pending[NSIG];
volatile sig_atomic_t trap_pending;
static bool in_trap;

void trap_note(int sig)
{
	pending[sig] = 1;
	trap_pending = 1;
}

static void on_trapped(int sig)
{
	trap_note(sig);
}

bool trap_set(int sig)
{
	return sig >= 0 && sig < NSIG && actions[sig] && *actions[sig];
}

static void run_action(int sig)
{
	int st = sh.status;
	char *a = xstrdup(actions[sig]);

	in_trap = true;
	run_string(a, strlen(a), NULL);
	in_trap = false;
	free(a);
	sh.status = st;
}

void trap_run_pending(void)
{
	int sig;

	if (!trap_pending || in_trap)
		return;
	trap_pending = 0;
	for (sig = 1; sig < NSIG; sig++)
		if (pending[sig]) {
			pending[sig] = 0;
			if (trap_set(sig))
				run_action(sig);
		}
}

void trap_run_exit(void)
{
	if (actions[0] && *actions[0] && !in_trap) {
		char *a = actions[0];

		actions[0] = NULL;
		in_trap = true;
		run_string(a, strlen(a), NULL);
		in_trap = false;
		free(a);
	}
}

/* a forked child: traps with actions go back to the default; ignored
 * signals stay ignored */
void trap_reset_child(void)
{
	int sig;

	for (sig = 0; sig < NSIG; sig++) {
		if (actions[sig] && *actions[sig]) {
			free(actions[sig]);
			actions[sig] = NULL;
		}
		if (actions[sig] && sig)
			signal(sig, SIG_IGN);
	}
}

static void print_traps(void)
{
	int sig;

	for (sig = 0; sig < NSIG; sig++) {
		const char *a = actions[sig], *c;

		if (!a || !sig_name(sig))
			continue;
		fputs("trap -- '", stdout);
		for (c = a; *c; c++) {
			if (*c == '\'')
				fputs("'\\''", stdout);
			else
				putchar(*c);
		}
		printf("' %s\n", sig_name(sig));
	}
}

int b_trap(int argc, char **argv)
{
	const char *action;
	int i = 1, st = 0;

	if (argc > 1 && !strcmp(argv[1], "--"))
		i++;
	if (i >= argc) {
		print_traps();
		return 0;
	}
	action = argv[i];
	/* a number first: all operands are conditions to reset */
	if (sig_number(action) >= 0 && action[0] >= '0' && action[0] <= '9')
		action = "-";
	else
		i++;
	for (; i < argc; i++) {
		int sig = sig_number(argv[i]);

		if (sig < 0 || sig == SIGKILL || sig == SIGSTOP) {
			errmsg("trap: %s: bad trap", argv[i]);
			st = 1;
			continue;
		}
		free(actions[sig]);
		actions[sig] = strcmp(action, "-") ? xstrdup(action) : NULL;
		if (!sig)
			continue;
		if (!actions[sig]) {
			/* back to what the shell itself does */
			if (sig == SIGINT)
				shell_signals_default(sig);
			else
				signal(sig, sig == SIGCHLD ? SIG_DFL :
				       (sh.interactive && (sig == SIGTERM || sig == SIGQUIT)) ?
				       SIG_IGN : SIG_DFL);
		} else if (!*actions[sig]) {
			signal(sig, SIG_IGN);
		} else {
			struct sigaction sa;

			if (sig == SIGINT) {
				shell_signals_default(sig);
				continue;
			}
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_trapped;
			sigemptyset(&sa.sa_mask);
			sigaction(sig, &sa, NULL);
		}
	}
	return st;
}
