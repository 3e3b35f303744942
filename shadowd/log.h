/* SPDX-License-Identifier: MIT */
/* Logging to stderr, one line per message, with a program prefix. */
#ifndef HC_LOG_H
#define HC_LOG_H

#include <stddef.h>

extern char log_prefix[64];
/* Where lines go instead of stderr (the shadow: to shadowd); 0 when it
 * took the line, else stderr gets it. */
extern int (*log_sink)(const char *line, size_t n);

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_msg(), then ": strerror(errno)" */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);

#endif
