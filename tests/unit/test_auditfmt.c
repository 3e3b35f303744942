/* SPDX-License-Identifier: MIT */
/* Unit test of audit value quoting (shadowd/auditfmt.c). */
#include <string.h>
#include "auditfmt.h"
#include "unit.h"

static const char *kv(const char *v, size_t cap)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = 0;
	audit_kv(buf, cap, &len, "k", v);
	return buf;
}

int main(void)
{
	char small[16];
	size_t len = 0;

	CHECK("auditfmt: plain words stay plain",
	      !strcmp(kv("/usr/bin/sort", 256), " k=/usr/bin/sort"));
	CHECK("auditfmt: spaces get quotes",
	      !strcmp(kv("a b", 256), " k=\"a b\""));
	CHECK("auditfmt: empty is \"\"", !strcmp(kv("", 256), " k=\"\""));
	CHECK("auditfmt: newline, quote and backslash escaped",
	      !strcmp(kv("x\n\"\\", 256), " k=\"x\\x0a\\\"\\\\\""));
	CHECK("auditfmt: a forged field stays inside its value",
	      !strcmp(kv("a result=ok", 256), " k=\"a result=ok\""));
	CHECK("auditfmt: bytes over 0x7f escaped",
	      !strcmp(kv("\xff", 256), " k=\"\\xff\""));
	small[0] = 0;
	audit_kv(small, sizeof(small), &len, "key", "a very long value here");
	CHECK("auditfmt: cut to fit, marked, NUL-terminated",
	      strlen(small) < sizeof(small) && strstr(small, "...") &&
	      len == strlen(small));
	return DONE();
}
