/* SPDX-License-Identifier: MIT */
/* The unit tests' one-line checks: PASS: name | FAIL: name: cond. */
#ifndef HC_UNIT_H
#define HC_UNIT_H

#include <stdio.h>

static int failures;

#define CHECK(name, cond) do {						\
	if (cond) {							\
		printf("PASS: %s\n", name);				\
	} else {							\
		printf("FAIL: %s: %s\n", name, #cond);			\
		failures++;						\
	}								\
	fflush(stdout);							\
} while (0)

#define DONE() (printf("%s: %d failure%s\n", failures ? "FAILED" : "OK", \
		       failures, failures == 1 ? "" : "s"), failures ? 1 : 0)

#endif
