/* SPDX-License-Identifier: MIT */
/*
 * Audit line values (shadowd and the shadow): key=value pairs, where a
 * value that is not plain is quoted with C-style escapes, so one record
 * is always one line whatever a guest put in a path or an argument.
 */
#ifndef HC_AUDITFMT_H
#define HC_AUDITFMT_H

#include <stddef.h>

/* Append ` key=value` to buf (length *len, capacity n), value quoted when
 * needed and cut (with "...") to fit. */
void audit_kv(char *buf, size_t n, size_t *len, const char *key,
	      const char *value);
/* The same for value as len bytes (need not be NUL-terminated). */
void audit_kvn(char *buf, size_t n, size_t *len, const char *key,
	       const char *value, size_t vlen);

#endif
