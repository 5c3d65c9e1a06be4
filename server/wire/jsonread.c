/* A recursive-descent JSON reader, one function per production of RFC 8259.
 *
 * Memory: values go into one array that grows by doubling (indices, not
 * pointers, are kept while it can move); unescaped strings go into one block
 * of len + 1 bytes allocated up front, which always suffices because every
 * string is at least as long in the input as unescaped with its NUL (two
 * quotes become one NUL; every escape is longer than what it stands for).
 * So strings never move and values can point at them. Out of memory is an
 * ordinary error (SG_JSONREAD_ENOMEM), as everywhere in this library. */
#include "wire/jsonread.h"

#include "core/hex.h"
#include "core/utf8.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Reals longer than this are copied to the heap for strtod. */
#define NUMBER_BUF 64
/* Objects with more members than this are checked for duplicate keys by
 * sorting; smaller ones by comparing every pair. */
#define SMALL_OBJECT 8

struct key_ref {
  const char *key;
  uint32_t len;
  uint32_t offset;
};

struct parser {
  const unsigned char *start, *p, *end;
  sg_jsonread_value *values;
  size_t n_values, cap_values;
  char *strings;
  size_t n_strings;
  unsigned depth, max_depth;
  struct key_ref *keys; /* scratch for the duplicate check of large objects */
  size_t cap_keys;
  /* The first error: its code, reason and where in the input. */
  int status;
  const char *reason;
  const unsigned char *err_at;
};

static int fail_at(struct parser *ps, const unsigned char *at, int status, const char *reason) {
  ps->status = status;
  ps->reason = reason;
  ps->err_at = at;
  return -1;
}

static int fail(struct parser *ps, const char *reason) {
  return fail_at(ps, ps->p, SG_JSONREAD_ESYNTAX, reason);
}

static void skip_space(struct parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

/* Appends a value and returns its index, or SIZE_MAX when out of memory. */
static size_t new_value(struct parser *ps, enum sg_jsonread_type type, const char *key,
                        uint32_t key_len, uint32_t key_offset) {
  if (ps->n_values == ps->cap_values) {
    size_t cap = ps->cap_values * 2;
    sg_jsonread_value *v = realloc(ps->values, cap * sizeof(*v));
    if (v == NULL) {
      fail_at(ps, ps->p, SG_JSONREAD_ENOMEM, "out of memory");
      return SIZE_MAX;
    }
    ps->values = v;
    ps->cap_values = cap;
  }
  sg_jsonread_value *v = &ps->values[ps->n_values];
  memset(v, 0, sizeof(*v));
  v->type = type;
  v->span = 1;
  v->key = key;
  v->key_len = key_len;
  v->key_offset = key_offset;
  return ps->n_values++;
}

/* Reads the four hex digits after "\u" at ps->p; returns the code unit or
 * -1. */
static long read_hex4(struct parser *ps) {
  long cu = 0;

  if (ps->end - ps->p < 4)
    return fail(ps, "\\u escape needs four hex digits");
  for (int i = 0; i < 4; i++) {
    int h = sg_hex_digit(ps->p[i]);
    if (h < 0)
      return fail_at(ps, ps->p + i, SG_JSONREAD_ESYNTAX, "\\u escape needs four hex digits");
    cu = cu << 4 | h;
  }
  ps->p += 4;
  return cu;
}

/* Reads the escape after a backslash at ps->p, writing what it stands for at
 * *dst. */
static int read_escape(struct parser *ps, char **dst) {
  const unsigned char *at = ps->p - 1;

  if (ps->p == ps->end)
    return fail(ps, "unterminated string");
  unsigned char c = *ps->p++;
  switch (c) {
  case '"':
  case '\\':
  case '/':
    *(*dst)++ = (char)c;
    return 0;
  case 'b':
    *(*dst)++ = '\b';
    return 0;
  case 'f':
    *(*dst)++ = '\f';
    return 0;
  case 'n':
    *(*dst)++ = '\n';
    return 0;
  case 'r':
    *(*dst)++ = '\r';
    return 0;
  case 't':
    *(*dst)++ = '\t';
    return 0;
  case 'u':
    break;
  default:
    return fail_at(ps, at, SG_JSONREAD_ESYNTAX, "invalid escape in string");
  }
  long cu = read_hex4(ps);
  if (cu < 0)
    return -1;
  uint32_t cp = (uint32_t)cu;
  if (cp == 0)
    return fail_at(ps, at, SG_JSONREAD_ESYNTAX, "\\u0000 is not allowed in strings");
  if (cp >= 0xdc00 && cp <= 0xdfff)
    return fail_at(ps, at, SG_JSONREAD_ESYNTAX, "unpaired surrogate in \\u escape");
  if (cp >= 0xd800 && cp <= 0xdbff) {
    if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
      return fail_at(ps, at, SG_JSONREAD_ESYNTAX, "unpaired surrogate in \\u escape");
    ps->p += 2;
    long lo = read_hex4(ps);
    if (lo < 0)
      return -1;
    if (lo < 0xdc00 || lo > 0xdfff)
      return fail_at(ps, at, SG_JSONREAD_ESYNTAX, "unpaired surrogate in \\u escape");
    cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
  }
  /* cp is at most U+10FFFF and no surrogate here: it always has a UTF-8 form. */
  *dst += sg_utf8_encode(cp, *dst);
  return 0;
}

/* Reads the string whose opening quote is at ps->p into the strings block;
 * sets *out and *len to the unescaped, NUL-terminated text. */
static int read_string(struct parser *ps, const char **out, size_t *len) {
  char *begin = ps->strings + ps->n_strings, *dst = begin;

  ps->p++;
  for (;;) {
    if (ps->p == ps->end)
      return fail(ps, "unterminated string");
    unsigned char c = *ps->p;
    if (c == '"')
      break;
    if (c == '\\') {
      ps->p++;
      if (read_escape(ps, &dst) != 0)
        return -1;
    } else if (c < 0x20) {
      return fail(ps, "control character in string (escape it)");
    } else if (c < 0x80) {
      /* Most text is plain ASCII: copy it a run at a time. */
      const unsigned char *run = ps->p + 1;
      while (run < ps->end && *run >= 0x20 && *run < 0x80 && *run != '"' && *run != '\\')
        run++;
      memcpy(dst, ps->p, (size_t)(run - ps->p));
      dst += run - ps->p;
      ps->p = run;
    } else {
      size_t n = sg_utf8_seq_len((const char *)ps->p, (size_t)(ps->end - ps->p));
      if (n == 0)
        return fail(ps, "invalid UTF-8 in string");
      memcpy(dst, ps->p, n);
      dst += n;
      ps->p += n;
    }
  }
  ps->p++;
  *dst++ = '\0';
  *out = begin;
  *len = (size_t)(dst - begin) - 1;
  ps->n_strings += (size_t)(dst - begin);
  return 0;
}

static bool is_digit(const struct parser *ps) {
  return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

/* Reads a number into values[idx]: an integer when the literal has neither
 * fraction nor exponent (as jansson decides), else a real. */
static int read_number(struct parser *ps, size_t idx) {
  const unsigned char *begin = ps->p;
  bool neg = false, integer = true;

  if (*ps->p == '-') {
    neg = true;
    ps->p++;
  }
  if (!is_digit(ps))
    return fail(ps, "expected a digit");
  if (*ps->p == '0') {
    ps->p++;
    if (is_digit(ps))
      return fail(ps, "leading zero in number");
  } else {
    while (is_digit(ps))
      ps->p++;
  }
  if (ps->p < ps->end && *ps->p == '.') {
    integer = false;
    ps->p++;
    if (!is_digit(ps))
      return fail(ps, "expected a digit after the decimal point");
    while (is_digit(ps))
      ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    integer = false;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
      ps->p++;
    if (!is_digit(ps))
      return fail(ps, "expected a digit in the exponent");
    while (is_digit(ps))
      ps->p++;
  }

  sg_jsonread_value *v = &ps->values[idx];
  if (integer) {
    /* The magnitude of INT64_MIN is one more than INT64_MAX. */
    uint64_t mag = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (const unsigned char *d = begin + neg; d < ps->p; d++) {
      unsigned digit = (unsigned)(*d - '0');
      if (mag > (max - digit) / 10)
        return fail_at(ps, begin, SG_JSONREAD_ESYNTAX, "integer outside the 64-bit range");
      mag = mag * 10 + digit;
    }
    v->type = SG_JSONREAD_INTEGER;
    v->u.integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
  }

  /* strtod needs a NUL-terminated copy: the input has none. The literal is
   * already known to be a JSON number, which strtod reads whole. strtod
   * follows LC_NUMERIC; siaga never calls setlocale, so '.' is the decimal
   * point. */
  char buf[NUMBER_BUF], *copy = buf;
  size_t n = (size_t)(ps->p - begin);
  if (n >= sizeof(buf) && (copy = malloc(n + 1)) == NULL)
    return fail_at(ps, begin, SG_JSONREAD_ENOMEM, "out of memory");
  memcpy(copy, begin, n);
  copy[n] = '\0';
  double x = strtod(copy, NULL);
  if (copy != buf)
    free(copy);
  if (!isfinite(x))
    return fail_at(ps, begin, SG_JSONREAD_ESYNTAX, "number too large for a double");
  v->type = SG_JSONREAD_REAL;
  v->u.real = x;
  return 0;
}

static int read_value(struct parser *ps, const char *key, uint32_t key_len, uint32_t key_offset);

static int read_array(struct parser *ps, size_t idx) {
  size_t count = 0;

  ps->p++;
  skip_space(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return 0;
  }
  for (;;) {
    if (read_value(ps, NULL, 0, 0) != 0)
      return -1;
    count++;
    skip_space(ps);
    if (ps->p == ps->end)
      return fail(ps, "unexpected end of input in array");
    if (*ps->p == ']')
      break;
    if (*ps->p != ',')
      return fail(ps, "expected ',' or ']'");
    ps->p++;
  }
  ps->p++;
  ps->values[idx].u.count = count;
  return 0;
}

static int compare_keys(const void *a, const void *b) {
  const struct key_ref *x = a, *y = b;

  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  int c = memcmp(x->key, y->key, x->len);
  if (c != 0)
    return c;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Refuses the object at values[idx] if two members share a key, pointing at
 * the first key that repeats an earlier one. */
static int check_duplicates(struct parser *ps, size_t idx) {
  const sg_jsonread_value *obj = &ps->values[idx], *a, *b;
  size_t count = obj->u.count, i, j;
  uint32_t dup = UINT32_MAX;

  if (count <= SMALL_OBJECT) {
    SG_JSONREAD_FOREACH(obj, i, a) {
      b = sg_jsonread_skip(a);
      for (j = i + 1; j < count; j++, b = sg_jsonread_skip(b)) {
        if (a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0 &&
            b->key_offset < dup)
          dup = b->key_offset;
      }
    }
  } else {
    if (count > ps->cap_keys) {
      free(ps->keys);
      ps->cap_keys = 0;
      if ((ps->keys = malloc(count * sizeof(*ps->keys))) == NULL)
        return fail_at(ps, ps->p, SG_JSONREAD_ENOMEM, "out of memory");
      ps->cap_keys = count;
    }
    SG_JSONREAD_FOREACH(obj, i, a) {
      ps->keys[i] = (struct key_ref){a->key, a->key_len, a->key_offset};
    }
    /* Equal keys end up adjacent, in document order. */
    qsort(ps->keys, count, sizeof(*ps->keys), compare_keys);
    for (i = 1; i < count; i++) {
      const struct key_ref *x = &ps->keys[i - 1], *y = &ps->keys[i];
      if (x->len == y->len && memcmp(x->key, y->key, x->len) == 0 && y->offset < dup)
        dup = y->offset;
    }
  }
  if (dup != UINT32_MAX)
    return fail_at(ps, ps->start + dup, SG_JSONREAD_ESYNTAX, "duplicate object key");
  return 0;
}

static int read_object(struct parser *ps, size_t idx) {
  size_t count = 0;

  ps->p++;
  skip_space(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return 0;
  }
  for (;;) {
    if (ps->p == ps->end)
      return fail(ps, "unexpected end of input in object");
    if (*ps->p != '"')
      return fail(ps, "expected a string key");
    uint32_t key_offset = (uint32_t)(ps->p - ps->start);
    const char *key;
    size_t key_len;
    if (read_string(ps, &key, &key_len) != 0)
      return -1;
    skip_space(ps);
    if (ps->p == ps->end || *ps->p != ':')
      return fail(ps, "expected ':' after the key");
    ps->p++;
    if (read_value(ps, key, (uint32_t)key_len, key_offset) != 0)
      return -1;
    count++;
    skip_space(ps);
    if (ps->p == ps->end)
      return fail(ps, "unexpected end of input in object");
    if (*ps->p == '}')
      break;
    if (*ps->p != ',')
      return fail(ps, "expected ',' or '}'");
    ps->p++;
    skip_space(ps);
  }
  ps->p++;
  ps->values[idx].u.count = count;
  return check_duplicates(ps, idx);
}

static int read_literal(struct parser *ps, const char *word, size_t n) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
    return fail(ps, "invalid literal (expected true, false or null)");
  ps->p += n;
  return 0;
}

static int read_value(struct parser *ps, const char *key, uint32_t key_len, uint32_t key_offset) {
  skip_space(ps);
  if (ps->p == ps->end)
    return fail(ps, "unexpected end of input");

  size_t idx = new_value(ps, SG_JSONREAD_NULL, key, key_len, key_offset);
  if (idx == SIZE_MAX)
    return -1;
  int rc;
  unsigned char c = *ps->p;
  switch (c) {
  case '{':
  case '[':
    if (ps->depth >= ps->max_depth)
      return fail_at(ps, ps->p, SG_JSONREAD_EDEPTH, "nested too deep");
    ps->depth++;
    ps->values[idx].type = c == '{' ? SG_JSONREAD_OBJECT : SG_JSONREAD_ARRAY;
    rc = c == '{' ? read_object(ps, idx) : read_array(ps, idx);
    ps->depth--;
    break;
  case '"': {
    const char *s = NULL;
    size_t len = 0;
    rc = read_string(ps, &s, &len);
    ps->values[idx].type = SG_JSONREAD_STRING;
    ps->values[idx].u.string.str = s;
    ps->values[idx].u.string.len = len;
    break;
  }
  case 't':
    rc = read_literal(ps, "true", 4);
    ps->values[idx].type = SG_JSONREAD_TRUE;
    break;
  case 'f':
    rc = read_literal(ps, "false", 5);
    ps->values[idx].type = SG_JSONREAD_FALSE;
    break;
  case 'n':
    rc = read_literal(ps, "null", 4);
    break;
  default:
    if (c == '-' || (c >= '0' && c <= '9'))
      rc = read_number(ps, idx);
    else
      rc = fail(ps, "unexpected character");
    break;
  }
  if (rc != 0)
    return -1;
  ps->values[idx].span = (uint32_t)(ps->n_values - idx);
  return 0;
}

/* Line and column (in characters: UTF-8 continuation bytes do not count)
 * of the byte at `at`, both from 1. */
static void locate(const unsigned char *start, const unsigned char *at, sg_jsonread_error *err) {
  err->line = 1;
  err->column = 1;
  for (const unsigned char *q = start; q < at; q++) {
    if (*q == '\n') {
      err->line++;
      err->column = 1;
    } else if ((*q & 0xc0) != 0x80) {
      err->column++;
    }
  }
  err->offset = (size_t)(at - start);
}

int sg_jsonread_parse(sg_jsonread_doc *doc, const char *json, size_t len, unsigned max_depth,
                      sg_jsonread_error *err) {
  if (json == NULL) {
    json = "";
    len = 0;
  }
  struct parser ps = {
      .start = (const unsigned char *)json,
      .p = (const unsigned char *)json,
      .end = (const unsigned char *)json + len,
      .max_depth = max_depth < SG_JSONREAD_DEPTH_LIMIT ? max_depth : SG_JSONREAD_DEPTH_LIMIT,
  };

  memset(doc, 0, sizeof(*doc));
  if (len >= UINT32_MAX) {
    fail_at(&ps, ps.start, SG_JSONREAD_ETOOBIG, "document of 4 GiB or more");
    goto cleanup;
  }
  /* A guess that fits typical documents in one allocation; it grows. */
  ps.cap_values = len / 16 + 8;
  ps.values = malloc(ps.cap_values * sizeof(*ps.values));
  ps.strings = malloc(len + 1);
  if (ps.values == NULL || ps.strings == NULL) {
    fail_at(&ps, ps.start, SG_JSONREAD_ENOMEM, "out of memory");
    goto cleanup;
  }
  if (read_value(&ps, NULL, 0, 0) != 0)
    goto cleanup;
  skip_space(&ps);
  if (ps.p != ps.end) {
    fail(&ps, "unexpected text after the JSON value");
    goto cleanup;
  }
  doc->values = ps.values;
  doc->n_values = ps.n_values;
  doc->strings = ps.strings;
  free(ps.keys);
  return 0;

cleanup:
  free(ps.values);
  free(ps.strings);
  free(ps.keys);
  if (err != NULL) {
    locate(ps.start, ps.err_at, err);
    err->reason = ps.reason;
  }
  return ps.status;
}

void sg_jsonread_close(sg_jsonread_doc *doc) {
  free(doc->values);
  free(doc->strings);
  memset(doc, 0, sizeof(*doc));
}

const char *sg_jsonread_strerror(int status) {
  switch (status) {
  case SG_JSONREAD_OK:
    return "success";
  case SG_JSONREAD_ESYNTAX:
    return "invalid JSON";
  case SG_JSONREAD_EDEPTH:
    return "nested too deep";
  case SG_JSONREAD_ENOMEM:
    return "out of memory";
  case SG_JSONREAD_ETOOBIG:
    return "document too large";
  default:
    return "unknown error";
  }
}

const char *sg_jsonread_member_string(const sg_jsonread_value *obj, const char *name, size_t *len) {
  if (obj->type != SG_JSONREAD_OBJECT)
    return NULL;
  for (size_t i = 1; i < obj->span; i += obj[i].span) {
    const sg_jsonread_value *v = &obj[i];
    if (strcmp(v->key, name) == 0 && v->type == SG_JSONREAD_STRING) {
      *len = v->u.string.len;
      return v->u.string.str;
    }
  }
  return NULL;
}
