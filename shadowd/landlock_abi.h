/* SPDX-License-Identifier: MIT */
/* Which Landlock this kernel has (shadowd's notes and the shadow). */
#ifndef HC_LANDLOCK_ABI_H
#define HC_LANDLOCK_ABI_H

/* The Landlock ABI version (1 or more); 0 when the kernel has Landlock
 * but it is disabled (not in the lsm= list); -1 when it has none. */
int landlock_abi(void);

#endif
