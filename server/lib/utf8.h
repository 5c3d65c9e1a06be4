/* UTF-8 validation for input from outside (protobuf strings are not checked
 * by protobuf-c, form data and SMS bodies arrive as raw bytes). */
#ifndef SG_UTF8_H
#define SG_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s[0..n) (1 for any ASCII
 * byte, NUL included), or 0 if there is none: overlong forms, surrogates,
 * code points above U+10FFFF and cut sequences are refused (RFC 3629). */
size_t sg_utf8_seq_len(const char *s, size_t n);

/* 1 if s[0..len) is well-formed UTF-8 and holds no NUL byte; else 0. */
int sg_utf8_valid(const char *s, size_t len);

#endif
