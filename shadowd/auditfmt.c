/* SPDX-License-Identifier: MIT */
/* Audit values: plain words as they are, anything else quoted. */
#include <stdio.h>
#include <string.h>
#include "auditfmt.h"

static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("._/:@+,-*", c));
}

static void put(char *buf, size_t n, size_t *len, const char *s, size_t k)
{
	if (*len + k >= n)
		return;
	memcpy(buf + *len, s, k);
	*len += k;
	buf[*len] = 0;
}

void audit_kvn(char *buf, size_t n, size_t *len, const char *key,
	       const char *value, size_t vlen)
{
	size_t i;
	int quote = vlen == 0;
	char esc[8];

	if (n == 0 || *len >= n)
		return;
	for (i = 0; i < vlen && !quote; i++)
		quote = !plain((unsigned char)value[i]);
	put(buf, n, len, " ", 1);
	put(buf, n, len, key, strlen(key));
	put(buf, n, len, "=", 1);
	if (quote)
		put(buf, n, len, "\"", 1);
	for (i = 0; i < vlen; i++) {
		unsigned char c = value[i];
		size_t k;

		/* Room for this character, "..." and the closing quote. */
		if (c == '"' || c == '\\')
			k = snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			k = snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			k = snprintf(esc, sizeof(esc), "%c", c);
		if (*len + k + 5 >= n) {
			put(buf, n, len, "...", 3);
			break;
		}
		put(buf, n, len, esc, k);
	}
	if (quote)
		put(buf, n, len, "\"", 1);
}

void audit_kv(char *buf, size_t n, size_t *len, const char *key,
	      const char *value)
{
	audit_kvn(buf, n, len, key, value, strlen(value));
}
