#include "sms/charset.h"

#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/utf8.h"

static const struct {
  const char *name;
  sg_charset cs;
} names[] = {
    {"utf-8", SG_CHARSET_UTF8},        {"utf8", SG_CHARSET_UTF8},
    {"us-ascii", SG_CHARSET_UTF8},     {"ascii", SG_CHARSET_UTF8},
    {"gsm", SG_CHARSET_UTF8},          {"binary", SG_CHARSET_UTF8},
    {"utf-16be", SG_CHARSET_UTF16BE},  {"utf16be", SG_CHARSET_UTF16BE},
    {"ucs-2", SG_CHARSET_UTF16BE},     {"ucs2", SG_CHARSET_UTF16BE},
    {"ucs-2be", SG_CHARSET_UTF16BE},   {"utf-16", SG_CHARSET_UTF16},
    {"utf16", SG_CHARSET_UTF16},       {"iso-8859-1", SG_CHARSET_LATIN1},
    {"iso8859-1", SG_CHARSET_LATIN1},  {"iso_8859-1", SG_CHARSET_LATIN1},
    {"latin1", SG_CHARSET_LATIN1},     {"latin-1", SG_CHARSET_LATIN1},
    {"windows-1252", SG_CHARSET_CP1252}, {"cp1252", SG_CHARSET_CP1252},
};

int sg_charset_from_name(const char *name, size_t len, sg_charset *out) {
  while (len > 0 && (*name == ' ' || *name == '\t' || *name == '"' || *name == '\'')) {
    name++;
    len--;
  }
  while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t' || name[len - 1] == '"' ||
                     name[len - 1] == '\''))
    len--;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0) {
      *out = names[i].cs;
      return 0;
    }
  }
  return SG_EUNSUPPORTED;
}

const char *sg_charset_name(sg_charset cs) {
  switch (cs) {
  case SG_CHARSET_UTF8:
    return "UTF-8";
  case SG_CHARSET_UTF16BE:
    return "UTF-16BE";
  case SG_CHARSET_UTF16:
    return "UTF-16";
  case SG_CHARSET_LATIN1:
    return "ISO-8859-1";
  case SG_CHARSET_CP1252:
    return "WINDOWS-1252";
  }
  return "?";
}

/* WINDOWS-1252 0x80..0x9F; 0 marks the five bytes the code page leaves
 * undefined, which we refuse rather than guess. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

typedef struct sink {
  char *out;
  size_t size, len;
} sink;

/* Appends one code point; -1 if it does not fit (room kept for the NUL) or
 * has no UTF-8 form. */
static int put(sink *s, uint32_t cp) {
  char b[SG_UTF8_MAX_SEQ];
  size_t n = sg_utf8_encode(cp, b);
  if (n == 0 || s->size - s->len <= n)
    return -1;
  memcpy(s->out + s->len, b, n);
  s->len += n;
  return 0;
}

static int from_utf16(const uint8_t *in, size_t len, int big_endian, sink *s) {
  if (len % 2 != 0)
    return SG_EINVAL;
  for (size_t i = 0; i < len; i += 2) {
    uint32_t u = big_endian ? (uint32_t)(in[i] << 8 | in[i + 1]) : (uint32_t)(in[i + 1] << 8 | in[i]);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 3 >= len)
        return SG_EINVAL; /* a high surrogate at the end */
      uint32_t lo = big_endian ? (uint32_t)(in[i + 2] << 8 | in[i + 3])
                               : (uint32_t)(in[i + 3] << 8 | in[i + 2]);
      if (lo < 0xDC00 || lo > 0xDFFF)
        return SG_EINVAL;
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return SG_EINVAL; /* a low surrogate with no high one before it */
    } else if (u == 0) {
      return SG_EINVAL;
    }
    if (put(s, u) != 0)
      return SG_ETOOBIG;
  }
  return 0;
}

static int from_single_byte(const uint8_t *in, size_t len, int cp1252, sink *s) {
  for (size_t i = 0; i < len; i++) {
    uint32_t u = in[i];
    if (u == 0)
      return SG_EINVAL;
    if (cp1252 && u >= 0x80 && u <= 0x9F && (u = cp1252_high[u - 0x80]) == 0)
      return SG_EINVAL;
    if (put(s, u) != 0)
      return SG_ETOOBIG;
  }
  return 0;
}

int sg_charset_to_utf8(sg_charset cs, const uint8_t *in, size_t len, char *out, size_t out_size,
                       size_t *out_len) {
  sink s = {out, out_size, 0};
  int rc;
  *out_len = 0;
  if (out_size == 0)
    return SG_ETOOBIG;
  switch (cs) {
  case SG_CHARSET_UTF8:
    if (!sg_utf8_valid((const char *)in, len))
      rc = SG_EINVAL;
    else if (len >= out_size)
      rc = SG_ETOOBIG;
    else {
      memcpy(out, in, len);
      s.len = len;
      rc = 0;
    }
    break;
  case SG_CHARSET_UTF16BE:
    rc = from_utf16(in, len, 1, &s);
    break;
  case SG_CHARSET_UTF16: {
    /* The mark is not text: it only says the byte order. */
    int big = 1;
    if (len >= 2 && in[0] == 0xFF && in[1] == 0xFE) {
      big = 0;
      in += 2;
      len -= 2;
    } else if (len >= 2 && in[0] == 0xFE && in[1] == 0xFF) {
      in += 2;
      len -= 2;
    }
    rc = from_utf16(in, len, big, &s);
    break;
  }
  case SG_CHARSET_LATIN1:
  case SG_CHARSET_CP1252:
    rc = from_single_byte(in, len, cs == SG_CHARSET_CP1252, &s);
    break;
  default:
    rc = SG_EUNSUPPORTED;
  }
  if (rc != 0) {
    out[0] = '\0';
    return rc;
  }
  out[s.len] = '\0';
  *out_len = s.len;
  return 0;
}

int sg_charset_kannel(const char *name, size_t len, const char *coding, sg_charset *out) {
  if (name != NULL && len > 0)
    return sg_charset_from_name(name, len, out) == 0 ? 0 : -1;
  *out = coding != NULL && strcmp(coding, "2") == 0 ? SG_CHARSET_UTF16BE : SG_CHARSET_UTF8;
  return 0;
}
