// SPDX-License-Identifier: MIT
/* dualsh: signal names for kill and trap (as dash spells them). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shell.h"

static const char *const names[] = {
	"EXIT", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
	"KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT",
	"CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
	"VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};

#define NNAMES ((int)(sizeof(names) / sizeof(names[0])))

const char *sig_name(int sig)
{
	return sig >= 0 && sig < NNAMES ? names[sig] : NULL;
}

/* a name (TERM, SIGTERM, term) or a number; -1 when it is neither */
int sig_number(const char *s)
{
	char *end;
	long n;
	int i;

	if (!*s)
		return -1;
	n = strtol(s, &end, 10);
	if (!*end)
		return n >= 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < NNAMES; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -1;
}
