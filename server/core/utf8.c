#include "core/utf8.h"

#include <stdint.h>

size_t sg_utf8_seq_len(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  if (n == 0)
    return 0;
  unsigned char c = s[0];
  size_t len;
  uint32_t cp, min;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2, cp = c & 0x1f, min = 0x80;
  else if ((c & 0xf0) == 0xe0)
    len = 3, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4, cp = c & 0x07, min = 0x10000;
  else
    return 0; /* a continuation byte first, or C0/C1/F5+, which start nothing valid */
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

int sg_utf8_valid(const char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    if ((unsigned char)s[i] < 0x80) { /* the common case, without a call */
      if (s[i] == '\0')
        return 0;
      i++;
      continue;
    }
    size_t n = sg_utf8_seq_len(s + i, len - i);
    if (n == 0)
      return 0;
    i += n;
  }
  return 1;
}

long sg_utf8_next(const char *s, size_t len, size_t *i) {
  unsigned char c = (unsigned char)s[*i];
  if (c < 0x80) {
    (*i)++;
    return c;
  }
  size_t n = sg_utf8_seq_len(s + *i, len - *i);
  if (n == 0) {
    (*i)++;
    return -1;
  }
  long cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
  for (size_t k = 1; k < n; k++)
    cp = (cp << 6) | ((unsigned char)s[*i + k] & 0x3f);
  *i += n;
  return cp;
}

size_t sg_utf8_encode(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp >= 0xd800 && cp <= 0xdfff)
    return 0;
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  if (cp > 0x10ffff)
    return 0;
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

size_t sg_utf8_prefix(const char *s, size_t len, size_t max_cp, size_t *count) {
  size_t cp = 0, i = 0;
  while (i < len && cp < max_cp) {
    i++;
    while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
      i++; /* continuation bytes belong to the code point just counted */
    cp++;
  }
  if (count != NULL)
    *count = cp;
  return i;
}
