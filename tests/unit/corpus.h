/* Reading the table-driven corpora in tests/data/: one case a line, fields
 * separated by tabs, text fields with C-like escapes so a case can hold
 * newlines, tabs and raw bytes (\n, \r, \t, \xHH). */
#ifndef SG_TEST_CORPUS_H
#define SG_TEST_CORPUS_H

#include <stddef.h>
#include <stdlib.h>

/* Writes s unescaped into out (NUL-terminated, at most size - 1 bytes);
 * returns the length, which may be shorter than strlen(out) when the text
 * holds \x00. */
static inline size_t corpus_unescape(const char *s, char *out, size_t size) {
  size_t o = 0;
  for (; *s && o + 1 < size; s++) {
    if (*s != '\\' || !s[1]) {
      out[o++] = *s;
      continue;
    }
    s++;
    if (*s == 'n')
      out[o++] = '\n';
    else if (*s == 'r')
      out[o++] = '\r';
    else if (*s == 't')
      out[o++] = '\t';
    else if (*s == 'x' && s[1] && s[2]) {
      char hex[3] = {s[1], s[2], 0};
      out[o++] = (char)strtol(hex, NULL, 16);
      s += 2;
    } else
      out[o++] = *s;
  }
  out[o] = '\0';
  return o;
}

#endif
