/* SPDX-License-Identifier: MIT */
/*
 * Where a plugin module lives and whether it may be loaded: NAME.so in the
 * module directory, both owned by root and not writable by group or
 * others (a plugin runs inside every shadow that binds it). Used by the
 * shadow before it loads one and by shadowd --check-config.
 */
#ifndef HC_MODPATH_H
#define HC_MODPATH_H

#include <stddef.h>

#define MODULE_DIR_DEFAULT	"/usr/lib/hostcall/modules"

/* A module name: 1..31 bytes of [a-z0-9_-]. */
int module_name_ok(const char *name);
/* 0 with the file's path in path, or -errno with why in why:
 * -ENOENT (no such file), -EPERM (ownership or mode), -EINVAL. */
int module_file_check(const char *dir, const char *name, char *path,
		      size_t pathlen, char *why, size_t whylen);

#endif
