#include "dispatch/smsword.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"

static const struct {
  const char *word;
  sg_smsword_kind kind;
} words[] = {{"1", SG_SMSWORD_ACCEPT},     {"TERIMA", SG_SMSWORD_ACCEPT},
             {"2", SG_SMSWORD_DECLINE},    {"TOLAK", SG_SMSWORD_DECLINE},
             {"OTW", SG_SMSWORD_EN_ROUTE}, {"TIBA", SG_SMSWORD_ON_SCENE},
             {"SELESAI", SG_SMSWORD_CLEAR}};

static int is_sep(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ',' || ch == '.' ||
         ch == ':' || ch == ';' || ch == '!';
}

static sg_smsword_kind word_of(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
    if (strlen(words[i].word) == n && strncasecmp(words[i].word, s, n) == 0)
      return words[i].kind;
  return SG_SMSWORD_NONE;
}

/* PLK-000042, A-000042: letters, '-', digits. */
static int is_ref(const char *s, size_t n) {
  size_t letters = 0;
  while (letters < n && isalpha((unsigned char)s[letters]))
    letters++;
  if (letters == 0 || letters + 2 > n || s[letters] != '-' || n > SG_SMSWORD_REF_MAX)
    return 0;
  for (size_t i = letters + 1; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

sg_smsword_kind sg_smsword_parse(const char *text, size_t len, sg_smsword *out) {
  memset(out, 0, sizeof(*out));
  size_t i = 0;
  /* At most two leading tokens: the word and the reference, either first. */
  for (int token = 0; token < 2; token++) {
    while (i < len && is_sep(text[i]))
      i++;
    size_t start = i;
    while (i < len && !is_sep(text[i]))
      i++;
    size_t n = i - start;
    if (n == 0)
      break;
    sg_smsword_kind k = word_of(text + start, n);
    if (k != SG_SMSWORD_NONE && out->kind == SG_SMSWORD_NONE) {
      out->kind = k;
    } else if (out->ref[0] == '\0' && is_ref(text + start, n)) {
      for (size_t j = 0; j < n; j++)
        out->ref[j] = (char)toupper((unsigned char)text[start + j]);
    } else {
      i = start; /* the reason starts here */
      break;
    }
  }
  if (out->kind == SG_SMSWORD_NONE) {
    out->ref[0] = '\0';
    return SG_SMSWORD_NONE;
  }
  while (i < len && is_sep(text[i]))
    i++;
  size_t end = len;
  while (end > i && is_sep(text[end - 1]))
    end--;
  if (out->kind == SG_SMSWORD_DECLINE && end > i) {
    /* Whole characters only, as many as fit. */
    size_t n = 0, avail = end - i;
    while (n < avail) {
      size_t step = sg_utf8_seq_len(text + i + n, avail - n);
      if (step == 0 || n + step > SG_SMSWORD_REASON_MAX)
        break;
      n += step;
    }
    memcpy(out->reason, text + i, n);
  }
  return out->kind;
}
