/* Text from SMS gateways to UTF-8. Gateways hand over the bytes of a message
 * together with a charset name: Kannel gives UCS-2 messages as UTF-16BE,
 * 7-bit ones already recoded (UTF-8, or WINDOWS-1252 after mo-recode), and
 * other providers say ISO-8859-1 or UTF-8. Everything inside siaga is UTF-8,
 * so every inbound text goes through sg_charset_to_utf8 once, at the edge.
 *
 * Input is hostile: conversion is bounded by the caller's buffer, never
 * allocates, and refuses rather than repairs (a lone surrogate, an odd byte
 * count, an undefined WINDOWS-1252 byte, invalid UTF-8, or a NUL anywhere,
 * since our strings are C strings). */
#ifndef SG_CHARSET_H
#define SG_CHARSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum sg_charset {
  SG_CHARSET_UTF8 = 1,
  SG_CHARSET_UTF16BE, /* also UCS-2: surrogate pairs are decoded, lone ones refused */
  SG_CHARSET_UTF16,   /* a byte order mark decides, big endian without one (RFC 2781) */
  SG_CHARSET_LATIN1,  /* ISO-8859-1 */
  SG_CHARSET_CP1252   /* WINDOWS-1252 */
} sg_charset;

/* Errors are the codes of core/error.h, returned negative: SG_EUNSUPPORTED
 * for a charset name we do not convert, SG_EINVAL for bytes that are not
 * valid in the charset (or a NUL), SG_ETOOBIG when the UTF-8 text does not
 * fit the output buffer. sg_strerror names them. */

/* Looks a charset name up, case-insensitively, with surrounding quotes and
 * blanks ignored ("UTF-16BE", "\"utf-8\"", "UCS-2", "latin1", "cp1252", ...).
 * Kannel's "GSM" (7-bit text it already recoded) and "binary" are taken as
 * UTF-8, so their bytes are still validated. name need not be NUL-terminated.
 * Returns 0 with *out set, or SG_EUNSUPPORTED. */
int sg_charset_from_name(const char *name, size_t len, sg_charset *out);

/* The charset of a Kannel message: by its name if given (-1 if unknown),
 * else by Kannel's coding ("2" is UCS-2, big-endian; anything else UTF-8). */
int sg_charset_kannel(const char *name, size_t len, const char *coding, sg_charset *out);

/* The canonical name, e.g. "UTF-16BE". */
const char *sg_charset_name(sg_charset cs);

/* Converts in[0..len) from cs to UTF-8 in out, NUL-terminated. out_size
 * counts the NUL, so at most out_size - 1 bytes of text fit. On success
 * returns 0 and sets *out_len (without the NUL); on error returns SG_EINVAL,
 * SG_ETOOBIG or SG_EUNSUPPORTED (a cs that is none of the above) and leaves
 * out as an empty string (when out_size > 0). */
int sg_charset_to_utf8(sg_charset cs, const uint8_t *in, size_t len, char *out, size_t out_size,
                       size_t *out_len);

#endif
