/* SPDX-License-Identifier: MIT */
/* Probe the kernel's Landlock ABI (see landlock_abi.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "landlock_abi.h"

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_VERSION);

	if (v >= 1)
		return (int)v;
	return errno == EOPNOTSUPP ? 0 : -1;
}
