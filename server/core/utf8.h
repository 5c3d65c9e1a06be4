/* UTF-8: the one decoder, encoder and validator of siaga. Input from
 * outside arrives as raw bytes (protobuf strings are not checked by
 * protobuf-c, form data and SMS bodies are whatever the sender put there),
 * so every module that reads text goes through these. */
#ifndef SG_UTF8_H
#define SG_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define SG_UTF8_MAX_SEQ 4 /* bytes of the longest sequence */

/* Length of the well-formed UTF-8 sequence at s[0..n) (1 for any ASCII
 * byte, NUL included), or 0 if there is none: overlong forms, surrogates,
 * code points above U+10FFFF and cut sequences are refused (RFC 3629). */
size_t sg_utf8_seq_len(const char *s, size_t n);

/* 1 if s[0..len) is well-formed UTF-8 and holds no NUL byte; else 0. */
int sg_utf8_valid(const char *s, size_t len);

/* Decodes the code point at s[*i] (*i < len) and advances *i past it.
 * Returns -1 for a malformed sequence, and then *i moved by one byte, so a
 * reader that treats -1 as a separator resynchronises on the next byte. */
long sg_utf8_next(const char *s, size_t len, size_t *i);

/* Writes cp (at most U+10FFFF, not a surrogate) into out, which has room for
 * SG_UTF8_MAX_SEQ bytes; returns the bytes written, or 0 for a code point
 * that has no UTF-8 form. */
size_t sg_utf8_encode(uint32_t cp, char *out);

/* Byte length of the first max_cp code points of the valid UTF-8 s[0..len);
 * *count (if not NULL) gets how many code points that is. */
size_t sg_utf8_prefix(const char *s, size_t len, size_t max_cp, size_t *count);

#endif
