/* UTF-8 validation for input from outside (protobuf strings are not checked
 * by protobuf-c, form data and SMS bodies arrive as raw bytes). */
#ifndef SG_UTF8_H
#define SG_UTF8_H

#include <stddef.h>

/* 1 if s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF) and holds no NUL byte; else 0. */
int sg_utf8_valid(const char *s, size_t len);

#endif
