/* The tokenizer of the textscan module: UTF-8 is decoded, Latin letters
 * with diacritics fold to ASCII, combining marks vanish, everything else
 * is a separator; letters and digits split into separate tokens. Used by
 * textscan.c (scanned text) and gazetteer.c (place names). See the
 * overview at the top of textscan.c. */
#include <string.h>

#include "core/utf8.h"
#include "text/textscan_internal.h"

/* ---- folding (UTF-8 is decoded by sg_utf8_next, core/utf8.h) ---- */

/* Latin-1 supplement U+00C0..U+00FF and Latin Extended-A U+0100..U+017F to
 * their base letter; '_' marks the two symbols among them (x and ÷). */
static const char fold_latin1[] = "aaaaaaaceeeeiiiidnooooo_ouuuuyts"
                                  "aaaaaaaceeeeiiiidnooooo_ouuuuyty";
static const char fold_exta[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklll"
    "lllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
_Static_assert(sizeof fold_latin1 == 65, "Latin-1 fold table covers U+00C0..U+00FF");
_Static_assert(sizeof fold_exta == 129, "Latin Extended-A fold table covers U+0100..U+017F");

/* Folds a code point: returns a lower-case ASCII letter or digit, 0 for a
 * separator (*sep says which), or 1 for "ignore" (combining marks). */
static int fold_cp(long cp, int *sep) {
  *sep = SEP_SPACE;
  if (cp >= 'A' && cp <= 'Z')
    return (int)(cp - 'A' + 'a');
  if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
    return (int)cp;
  if (cp >= 0xC0 && cp <= 0xFF && fold_latin1[cp - 0xC0] != '_')
    return fold_latin1[cp - 0xC0];
  if (cp >= 0x100 && cp <= 0x17F)
    return fold_exta[cp - 0x100];
  if (cp >= 0x300 && cp <= 0x36F)
    return 1;
  switch (cp) {
  case '.':
    *sep = SEP_DOT;
    break;
  case '/':
    *sep = SEP_SLASH;
    break;
  case '-':
    *sep = SEP_HYPHEN;
    break;
  case ',':
  case ';':
  case ':':
  case '!':
  case '?':
  case '\n':
  case '\r':
  case '(':
  case ')':
  case 0x2013:
  case 0x2014:
  case 0x2026: /* en dash, em dash, ellipsis end a clause */
    *sep = SEP_BREAK;
    break;
  default:
    break;
  }
  return 0;
}

static int is_abbrev_dot_word(const tok *t) {
  /* "Jl.", "G.", "dkt.", "No." end in a dot that is no full stop. */
  return !t->digit && t->len <= 3;
}

void sg_textscan__tokenize(const char *text, size_t len, tokens *out) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  tok *cur = NULL;
  int pending_sep = SEP_SPACE;
  out->n = 0;
  if (len > SG_TEXTSCAN_MAX_INPUT)
    len = SG_TEXTSCAN_MAX_INPUT;
  while (i < len) {
    size_t at = i;
    int sep;
    long cp = sg_utf8_next(text, len, &i);
    int c = cp < 0 ? 0 : fold_cp(cp, &sep);
    if (cp < 0)
      sep = SEP_SPACE;
    if (c == 1)
      continue;
    if (c == 0) {
      if (cur) {
        out->n++;
        cur = NULL;
        pending_sep = SEP_NONE;
      }
      if (sep == SEP_DOT && i < len && s[i] >= '0' && s[i] <= '9')
        sep = SEP_SLASH; /* "2.5", "rt.3": a joiner, not a full stop */
      if (sep > pending_sep)
        pending_sep = sep;
      if (out->n > 0)
        out->t[out->n - 1].sep = (uint8_t)pending_sep;
      continue;
    }
    int isdig = c >= '0' && c <= '9';
    if (cur && cur->digit != isdig) { /* letter/digit boundary splits */
      cur->sep = SEP_NONE;
      out->n++;
      cur = NULL;
    }
    if (!cur) {
      if (out->n >= SG_TEXTSCAN__MAX_TOKENS)
        break;
      cur = &out->t[out->n];
      memset(cur, 0, sizeof *cur);
      cur->start = (uint16_t)at;
      cur->digit = (uint8_t)isdig;
      cur->sep = SEP_SPACE;
    }
    if (cur->len < SG_TEXTSCAN__TOK_LEN - 1)
      cur->norm[cur->len++] = (char)c;
    cur->end = (uint16_t)i;
  }
  if (cur)
    out->n++;
  for (size_t k = 0; k < out->n; k++) {
    tok *t = &out->t[k];
    if (t->sep == SEP_DOT && !is_abbrev_dot_word(t))
      t->sep = SEP_BREAK;
  }
}
