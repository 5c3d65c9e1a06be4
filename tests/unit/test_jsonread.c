/* Unit tests for the strict JSON reader (sg_jsonread): the tree it builds,
 * every class of input it must refuse with where and why, UTF-8 and
 * surrogate edge cases, number limits, duplicate keys, depth bombs, and a
 * bounded fuzz loop over mutated documents that checks the tree's
 * invariants and agrees with jansson (JSON_REJECT_DUPLICATES) on what is
 * JSON. Every parse reads from a heap copy of exactly len bytes, so ASan
 * catches a read past the end. */
#include "check.h"
#include "wire/jsonread.h"
#include "core/utf8.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>

/* Parses a heap copy of exactly len bytes. */
static int parse_n(sg_jsonread_doc *doc, const char *json, size_t len, unsigned max_depth,
                   sg_jsonread_error *err) {
  char *copy = malloc(len ? len : 1);
  CHECK(copy != NULL);
  memcpy(copy, json, len);
  int rc = sg_jsonread_parse(doc, copy, len, max_depth, err);
  free(copy);
  return rc;
}

/* Parses json (which the tree may not point into: it is freed at once). */
static void parse_ok(sg_jsonread_doc *doc, const char *json) {
  sg_jsonread_error err = {0};
  int rc = parse_n(doc, json, strlen(json), 16, &err);
  if (rc != 0)
    CHECK_FAIL_("\"%s\" refused (%d) at %zu:%zu: %s", json, rc, err.line, err.column, err.reason);
  CHECK(doc->n_values > 0);
  CHECK_INT_EQ(doc->values[0].span, doc->n_values);
}

static const sg_jsonread_value *member(const sg_jsonread_value *obj, const char *key) {
  const sg_jsonread_value *v;
  size_t i;
  CHECK_INT_EQ(obj->type, SG_JSONREAD_OBJECT);
  SG_JSONREAD_FOREACH(obj, i, v) {
    if (strcmp(v->key, key) == 0)
      return v;
  }
  CHECK_FAIL_("no member \"%s\"", key);
}

static void test_tree(void) {
  sg_jsonread_doc doc;
  parse_ok(&doc, " {\"a\" : [1, -2.5, {\"b\":null}, []], \"c\":\"x\\ny\",\"d\":true,"
                 "\"e\":false, \"\":{}}\r\n");
  const sg_jsonread_value *root = &doc.values[0], *v;
  CHECK_INT_EQ(root->type, SG_JSONREAD_OBJECT);
  CHECK(root->key == NULL);
  CHECK_INT_EQ(root->u.count, 5);
  CHECK_INT_EQ(doc.n_values, 11);

  const sg_jsonread_value *a = member(root, "a");
  CHECK_INT_EQ(a->type, SG_JSONREAD_ARRAY);
  CHECK_INT_EQ(a->u.count, 4);
  CHECK_INT_EQ(a->span, 6);
  CHECK_INT_EQ(a->key_len, 1);
  CHECK_INT_EQ(a->key_offset, 2);
  static const enum sg_jsonread_type want[] = {SG_JSONREAD_INTEGER, SG_JSONREAD_REAL,
                                               SG_JSONREAD_OBJECT, SG_JSONREAD_ARRAY};
  size_t i;
  SG_JSONREAD_FOREACH(a, i, v) {
    CHECK_INT_EQ(v->type, want[i]);
    CHECK(v->key == NULL);
  }
  CHECK_INT_EQ(i, 4);
  v = a + 1;
  CHECK_INT_EQ(v->u.integer, 1);
  v = sg_jsonread_skip(v);
  CHECK(v->u.real == -2.5);
  v = sg_jsonread_skip(v);
  CHECK_INT_EQ(member(v, "b")->type, SG_JSONREAD_NULL);
  CHECK_INT_EQ(sg_jsonread_skip(v)->u.count, 0);

  v = member(root, "c");
  CHECK_INT_EQ(v->type, SG_JSONREAD_STRING);
  CHECK_STR_EQ(v->u.string.str, "x\ny");
  CHECK_INT_EQ(v->u.string.len, 3);
  CHECK_INT_EQ(member(root, "d")->type, SG_JSONREAD_TRUE);
  CHECK_INT_EQ(member(root, "e")->type, SG_JSONREAD_FALSE);
  v = member(root, "");
  CHECK_INT_EQ(v->type, SG_JSONREAD_OBJECT);
  CHECK_INT_EQ(v->key_len, 0);
  CHECK_INT_EQ(v->u.count, 0);
  sg_jsonread_close(&doc);
  sg_jsonread_close(&doc); /* closing twice is harmless */

  /* Any value may be the root. */
  static const struct {
    const char *json;
    enum sg_jsonread_type type;
  } roots[] = {
      {"null", SG_JSONREAD_NULL}, {" true ", SG_JSONREAD_TRUE},       {"false", SG_JSONREAD_FALSE},
      {"0", SG_JSONREAD_INTEGER}, {"\"\"", SG_JSONREAD_STRING},       {"[]", SG_JSONREAD_ARRAY},
      {"{}", SG_JSONREAD_OBJECT}, {"\t\n\r 1.5e3", SG_JSONREAD_REAL},
  };
  for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
    parse_ok(&doc, roots[i].json);
    CHECK_INT_EQ(doc.values[0].type, roots[i].type);
    CHECK_INT_EQ(doc.n_values, 1);
    sg_jsonread_close(&doc);
  }
}

static void test_numbers(void) {
  static const struct {
    const char *json;
    int64_t want;
  } ints[] = {
      {"0", 0},
      {"-0", 0},
      {"7", 7},
      {"-12", -12},
      {"9223372036854775807", INT64_MAX},
      {"-9223372036854775808", INT64_MIN},
  };
  sg_jsonread_doc doc;
  for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
    parse_ok(&doc, ints[i].json);
    CHECK_INT_EQ(doc.values[0].type, SG_JSONREAD_INTEGER);
    CHECK_INT_EQ(doc.values[0].u.integer, ints[i].want);
    sg_jsonread_close(&doc);
  }

  static const struct {
    const char *json;
    double want;
  } reals[] = {
      {"0.0", 0.0},
      {"1e2", 100.0},
      {"1E+2", 100.0},
      {"1e-2", 0.01},
      {"-2.2096", -2.2096},
      {"113.9136", 113.9136},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"1e-400", 0.0}, /* underflow is not an error, as in jansson */
      {"9223372036854775808.0", 9223372036854775808.0},
      {"1e19", 1e19},
      /* Longer than the reader's stack buffer for strtod. */
      {"0.00000000000000000000000000000000000000000000000000000000000000000000000000000000001",
       1e-83},
      {"123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
       "890.5",
       123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890.5},
  };
  for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
    parse_ok(&doc, reals[i].json);
    CHECK_INT_EQ(doc.values[0].type, SG_JSONREAD_REAL);
    if (doc.values[0].u.real != reals[i].want)
      CHECK_FAIL_("%s read as %.17g", reals[i].json, doc.values[0].u.real);
    sg_jsonread_close(&doc);
  }

  parse_ok(&doc, "-0.0");
  CHECK_INT_EQ(doc.values[0].type, SG_JSONREAD_REAL);
  CHECK(doc.values[0].u.real == 0 && signbit(doc.values[0].u.real));
  sg_jsonread_close(&doc);
}

struct bad_case {
  const char *json;
  size_t len; /* 0: strlen(json) */
  const char *reason;
};

static const struct bad_case bad_cases[] = {
    /* Structure. */
    {"", 0, "unexpected end of input"},
    {" \n ", 0, "unexpected end of input"},
    {"[", 0, "unexpected end of input"},
    {"[1", 0, "unexpected end of input in array"},
    {"{", 0, "unexpected end of input in object"},
    {"{\"a\"", 0, "expected ':'"},
    {"{\"a\":", 0, "unexpected end of input"},
    {"{\"a\":1", 0, "unexpected end of input in object"},
    {"[1,]", 0, "unexpected character"},
    {"[,1]", 0, "unexpected character"},
    {"[1 2]", 0, "expected ',' or ']'"},
    {"{\"a\":1,}", 0, "expected a string key"},
    {"{,}", 0, "expected a string key"},
    {"{a:1}", 0, "expected a string key"},
    {"{'a':1}", 0, "expected a string key"},
    {"{\"a\" 1}", 0, "expected ':'"},
    {"{\"a\":1 \"b\":2}", 0, "expected ',' or '}'"},
    {"[1]]", 0, "unexpected text after the JSON value"},
    {"{} {}", 0, "unexpected text after the JSON value"},
    {"1 x", 0, "unexpected text after the JSON value"},
    {"[1]\0", 4, "unexpected text after the JSON value"},
    {"\xef\xbb\xbf{}", 0, "unexpected character"}, /* a byte order mark */
    {"\f[]", 0, "unexpected character"},           /* not JSON whitespace */
    {"[1,\v2]", 0, "unexpected character"},
    /* Literals. */
    {"tru", 0, "invalid literal"},
    {"True", 0, "unexpected character"},
    {"nul", 0, "invalid literal"},
    {"nulll", 0, "unexpected text"},
    {"NaN", 0, "unexpected character"},
    {"Infinity", 0, "unexpected character"},
    {"-Infinity", 0, "expected a digit"},
    {"undefined", 0, "unexpected character"},
    /* Numbers. */
    {"01", 0, "leading zero"},
    {"-01", 0, "leading zero"},
    {"00000", 0, "leading zero"},
    {"+1", 0, "unexpected character"},
    {".5", 0, "unexpected character"},
    {"-", 0, "expected a digit"},
    {"--1", 0, "expected a digit"},
    {"- 1", 0, "expected a digit"},
    {"1.", 0, "after the decimal point"},
    {"1.e3", 0, "after the decimal point"},
    {"1e", 0, "in the exponent"},
    {"1e+", 0, "in the exponent"},
    {"1E-x", 0, "in the exponent"},
    {"0x10", 0, "unexpected text"},
    {"1.5.2", 0, "unexpected text"},
    {"9223372036854775808", 0, "integer outside the 64-bit range"},
    {"-9223372036854775809", 0, "integer outside the 64-bit range"},
    {"18446744073709551616", 0, "integer outside the 64-bit range"},
    {"[99999999999999999999999999]", 0, "integer outside the 64-bit range"},
    {"1e400", 0, "number too large for a double"},
    {"-1e400", 0, "number too large for a double"},
    {"1.8e308", 0, "number too large for a double"},
    /* Strings. */
    {"\"abc", 0, "unterminated string"},
    {"\"abc\\", 0, "unterminated string"},
    {"\"a\x01\"", 0, "control character"},
    {"\"a\nb\"", 0, "control character"},
    {"\"a\tb\"", 0, "control character"},
    {"\"a\0b\"", 5, "control character"},
    {"\"\\x\"", 0, "invalid escape"},
    {"\"\\'\"", 0, "invalid escape"},
    {"\"\\U0041\"", 0, "invalid escape"},
    {"\"\\u12\"", 0, "four hex digits"},
    {"\"\\u12G4\"", 0, "four hex digits"},
    {"\"\\u004", 0, "four hex digits"},
    {"\"\\u0000\"", 0, "\\u0000 is not allowed"},
    {"{\"a\\u0000\":1}", 0, "\\u0000 is not allowed"},
    /* Surrogates in escapes must come as a high-low pair. */
    {"\"\\ud800\"", 0, "unpaired surrogate"},
    {"\"\\udbff\"", 0, "unpaired surrogate"},
    {"\"\\udc00\"", 0, "unpaired surrogate"},
    {"\"\\udfff\\ud800\"", 0, "unpaired surrogate"},
    {"\"\\ud800x\"", 0, "unpaired surrogate"},
    {"\"\\ud800\\n\"", 0, "unpaired surrogate"},
    {"\"\\ud800\\u0041\"", 0, "unpaired surrogate"},
    {"\"\\ud800\\ud800\"", 0, "unpaired surrogate"},
    {"\"\\ud800\\", 0, "unpaired surrogate"},
    {"\"\\ud800\\udc0", 0, "four hex digits"},
    /* UTF-8 (RFC 3629). */
    {"\"\x80\"", 0, "invalid UTF-8"},
    {"\"\xbf\"", 0, "invalid UTF-8"},
    {"\"\xc0\xaf\"", 0, "invalid UTF-8"},                 /* overlong '/' */
    {"\"\xc1\xbf\"", 0, "invalid UTF-8"},                 /* overlong U+007F */
    {"\"\xe0\x80\xaf\"", 0, "invalid UTF-8"},             /* overlong, 3 bytes */
    {"\"\xe0\x9f\xbf\"", 0, "invalid UTF-8"},             /* overlong U+07FF */
    {"\"\xf0\x80\x80\xaf\"", 0, "invalid UTF-8"},         /* overlong, 4 bytes */
    {"\"\xf0\x8f\xbf\xbf\"", 0, "invalid UTF-8"},         /* overlong U+FFFF */
    {"\"\xed\xa0\x80\"", 0, "invalid UTF-8"},             /* U+D800 */
    {"\"\xed\xbf\xbf\"", 0, "invalid UTF-8"},             /* U+DFFF */
    {"\"\xed\xa0\xbd\xed\xb8\x80\"", 0, "invalid UTF-8"}, /* CESU-8 pair */
    {"\"\xf4\x90\x80\x80\"", 0, "invalid UTF-8"},         /* U+110000 */
    {"\"\xf5\x80\x80\x80\"", 0, "invalid UTF-8"},
    {"\"\xf8\x88\x80\x80\x80\"", 0, "invalid UTF-8"},
    {"\"\xfe\"", 0, "invalid UTF-8"},
    {"\"\xff\"", 0, "invalid UTF-8"},
    {"\"\xe2\x9c\"", 0, "invalid UTF-8"}, /* cut short */
    {"\"\xe2\x9c", 0, "invalid UTF-8"},   /* cut by the end of input */
    {"\"\xf0\x9f\x98", 0, "invalid UTF-8"},
    {"\"\xc3", 0, "invalid UTF-8"},
    {"\"\xc3x\"", 0, "invalid UTF-8"},
    {"{\"\xff\":1}", 0, "invalid UTF-8"},
    /* Duplicate keys, compared after unescaping. */
    {"{\"a\":1,\"a\":2}", 0, "duplicate object key"},
    {"{\"a\":1,\"b\":{\"a\":1},\"b\":2}", 0, "duplicate object key"},
    {"{\"a\":1,\"\\u0061\":2}", 0, "duplicate object key"},
    {"{\"\":1,\"\":2}", 0, "duplicate object key"},
    {"[{\"x\":{\"y\":[],\"y\":[]}}]", 0, "duplicate object key"},
};

static void test_bad_inputs(void) {
  for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    const struct bad_case *c = &bad_cases[i];
    sg_jsonread_doc doc;
    sg_jsonread_error err = {0};
    size_t len = c->len ? c->len : strlen(c->json);
    int rc = parse_n(&doc, c->json, len, 16, &err);
    if (rc != SG_JSONREAD_ESYNTAX || err.reason == NULL || strstr(err.reason, c->reason) == NULL)
      CHECK_FAIL_("case %zu \"%s\": rc %d, reason \"%s\", want \"%s\"", i, c->json, rc,
                  err.reason ? err.reason : "(none)", c->reason);
    CHECK(doc.values == NULL && doc.n_values == 0 && doc.strings == NULL);
    CHECK(err.offset <= len);
    CHECK(err.line >= 1 && err.column >= 1);
    sg_jsonread_close(&doc);
  }
  /* No error struct is fine too. */
  sg_jsonread_doc doc;
  CHECK_INT_EQ(parse_n(&doc, "[", 1, 16, NULL), SG_JSONREAD_ESYNTAX);
  CHECK_INT_EQ(sg_jsonread_parse(&doc, NULL, 0, 16, NULL), SG_JSONREAD_ESYNTAX);
  CHECK_STR_EQ(sg_jsonread_strerror(SG_JSONREAD_ESYNTAX), "invalid JSON");
  CHECK_STR_EQ(sg_jsonread_strerror(SG_JSONREAD_EDEPTH), "nested too deep");
}

static void check_error_at(const char *json, size_t line, size_t column, const char *reason) {
  sg_jsonread_doc doc;
  sg_jsonread_error err = {0};
  CHECK_INT_EQ(parse_n(&doc, json, strlen(json), 16, &err), SG_JSONREAD_ESYNTAX);
  if (err.line != line || err.column != column || strstr(err.reason, reason) == NULL)
    CHECK_FAIL_("\"%s\": error at %zu:%zu \"%s\", want %zu:%zu \"%s\"", json, err.line, err.column,
                err.reason, line, column, reason);
}

static void test_error_positions(void) {
  check_error_at("{\n  \"a\": tru\n}", 2, 8, "invalid literal");
  check_error_at("{\"a\":1,\n\"b\":2,\n  \"a\":3}", 3, 3, "duplicate object key");
  /* Columns count characters: "é" and "✓" are one column each. */
  check_error_at("[\"\xc3\xa9\xe2\x9c\x93\", x]", 1, 8, "unexpected character");
  check_error_at("[1,\r\n 2,\n\n]", 4, 1, "unexpected character");
  check_error_at("\"ab\\q\"", 1, 4, "invalid escape");
  check_error_at("\"ab\\ud800\"", 1, 4, "unpaired surrogate");
  check_error_at("[12345678901234567890]", 1, 2, "integer outside");
  check_error_at("[1] 2", 1, 5, "unexpected text");

  /* The first of three equal keys to repeat one is named, even when the
   * object is large enough to be checked by sorting. */
  char big[512];
  size_t n = (size_t)snprintf(big, sizeof(big), "{");
  for (int i = 0; i < 20; i++)
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k%02d\":%d,", i == 15 || i == 9 ? 3 : i, i);
  snprintf(big + n - 1, sizeof(big) - n + 1, ",\"k03\":0}");
  /* "k03" appears at members 3, 9 and 15, and again last; member 9 is the
   * first repeat. Each member "kNN":N, is 8 or 9 bytes. */
  sg_jsonread_doc doc;
  sg_jsonread_error err = {0};
  CHECK_INT_EQ(parse_n(&doc, big, strlen(big), 16, &err), SG_JSONREAD_ESYNTAX);
  CHECK_STR_EQ(err.reason, "duplicate object key");
  CHECK(strncmp(big + err.offset, "\"k03\":9,", 8) == 0);

  /* Without the repeats, the same large object is fine. */
  n = (size_t)snprintf(big, sizeof(big), "{");
  for (int i = 0; i < 40; i++)
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k%d\":%d,", i, i);
  big[n - 1] = '}';
  parse_ok(&doc, big);
  CHECK_INT_EQ(doc.values[0].u.count, 40);
  sg_jsonread_close(&doc);
}

static char *repeat(const char *open, size_t times, const char *middle, const char *close) {
  size_t lo = strlen(open), lm = strlen(middle), lc = strlen(close);
  char *s = malloc(times * (lo + lc) + lm + 1), *p = s;
  CHECK(s != NULL);
  for (size_t i = 0; i < times; i++, p += lo)
    memcpy(p, open, lo);
  memcpy(p, middle, lm);
  p += lm;
  for (size_t i = 0; i < times; i++, p += lc)
    memcpy(p, close, lc);
  *p = '\0';
  return s;
}

static void test_depth(void) {
  sg_jsonread_doc doc;
  sg_jsonread_error err;

  /* The root container is at depth 1. */
  char *s = repeat("[", 16, "1", "]");
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), 16, &err), 0);
  CHECK_INT_EQ(doc.n_values, 17);
  sg_jsonread_close(&doc);
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), 15, &err), SG_JSONREAD_EDEPTH);
  CHECK_INT_EQ(err.offset, 15);
  free(s);

  s = repeat("{\"a\":", 17, "1", "}");
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), 17, &err), 0);
  sg_jsonread_close(&doc);
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), 16, &err), SG_JSONREAD_EDEPTH);
  free(s);

  /* Scalars do not count; max_depth 0 allows no container at all. */
  CHECK_INT_EQ(parse_n(&doc, "\"x\"", 3, 0, &err), 0);
  sg_jsonread_close(&doc);
  CHECK_INT_EQ(parse_n(&doc, "[]", 2, 0, &err), SG_JSONREAD_EDEPTH);

  /* Bombs fail fast, closed or not, whatever depth the caller asks for:
   * the reader never recurses past SG_JSONREAD_DEPTH_LIMIT. */
  s = repeat("[", 100000, "", "");
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), 16, &err), SG_JSONREAD_EDEPTH);
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), 1000000, &err), SG_JSONREAD_EDEPTH);
  CHECK_INT_EQ(err.offset, SG_JSONREAD_DEPTH_LIMIT);
  free(s);
  s = repeat("{\"\":[", 50000, "", "]}");
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), UINT32_MAX, &err), SG_JSONREAD_EDEPTH);
  free(s);
  s = repeat("[", SG_JSONREAD_DEPTH_LIMIT, "", "]");
  CHECK_INT_EQ(parse_n(&doc, s, strlen(s), UINT32_MAX, &err), 0);
  sg_jsonread_close(&doc);
  free(s);
}

static void check_string(const char *json, const char *want, size_t want_len) {
  sg_jsonread_doc doc;
  parse_ok(&doc, json);
  const sg_jsonread_value *v = &doc.values[0];
  CHECK_INT_EQ(v->type, SG_JSONREAD_STRING);
  CHECK_INT_EQ(v->u.string.len, want_len);
  if (memcmp(v->u.string.str, want, want_len) != 0 || v->u.string.str[want_len] != '\0')
    CHECK_FAIL_("%s read as \"%s\"", json, v->u.string.str);
  sg_jsonread_close(&doc);
}

#define CHECK_STRING(json, want) check_string(json, want, sizeof(want) - 1)

static void test_strings(void) {
  CHECK_STRING("\"\"", "");
  CHECK_STRING("\"plain ascii ~\x7f\"", "plain ascii ~\x7f");
  CHECK_STRING("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
  CHECK_STRING("\"\\u0001\\u001F\\u0041\\u007f\"", "\x01\x1f"
                                                   "A\x7f");
  CHECK_STRING("\"\\u0080\\u07ff\\u0800\\uFFFF\"", "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
  CHECK_STRING("\"\\u00e9\\u20AC\\ud7ff\\ue000\"", "\xc3\xa9\xe2\x82\xac\xed\x9f\xbf\xee\x80\x80");
  /* Surrogate pairs become one four-byte sequence. */
  CHECK_STRING("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
  CHECK_STRING("\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80");
  CHECK_STRING("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf");
  CHECK_STRING("\"a\\ud834\\udd1eb\"", "a\xf0\x9d\x84\x9e"
                                       "b");
  /* Raw UTF-8 at the edges of each length. */
  CHECK_STRING("\"\xc2\x80\xdf\xbf\"", "\xc2\x80\xdf\xbf");
  CHECK_STRING("\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"",
               "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
  CHECK_STRING("\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
  CHECK_STRING("\"Kebakaran lahan gambut \xe2\x9c\x93\"", "Kebakaran lahan gambut \xe2\x9c\x93");

  /* Worst cases for the strings block: all escapes, all empty strings. */
  sg_jsonread_doc doc;
  parse_ok(&doc, "[\"\",\"\",{\"\":\"\"},\"\\u0041\\n\\ud83d\\ude00\"]");
  CHECK_INT_EQ(doc.n_values, 6);
  CHECK_STR_EQ(doc.values[5].u.string.str, "A\n\xf0\x9f\x98\x80");
  sg_jsonread_close(&doc);
}

/* ---- fuzzing ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rng(void) {
  /* xorshift64*: deterministic, so a failure reproduces. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Checks what the header promises about any tree the reader returns. */
static void check_tree(const sg_jsonread_value *v, const sg_jsonread_value *end) {
  CHECK(v + v->span <= end);
  switch (v->type) {
  case SG_JSONREAD_STRING:
    CHECK(v->u.string.str[v->u.string.len] == '\0');
    CHECK(sg_utf8_valid(v->u.string.str, v->u.string.len));
    break;
  case SG_JSONREAD_REAL:
    CHECK(isfinite(v->u.real));
    break;
  case SG_JSONREAD_ARRAY:
  case SG_JSONREAD_OBJECT: {
    const sg_jsonread_value *c, *d;
    size_t i, j;
    SG_JSONREAD_FOREACH(v, i, c) {
      CHECK(c < v + v->span);
      CHECK((c->key != NULL) == (v->type == SG_JSONREAD_OBJECT));
      if (c->key != NULL) {
        CHECK(c->key[c->key_len] == '\0');
        CHECK(sg_utf8_valid(c->key, c->key_len));
        for (j = i + 1, d = sg_jsonread_skip(c); j < v->u.count; j++, d = sg_jsonread_skip(d))
          CHECK(c->key_len != d->key_len || memcmp(c->key, d->key, c->key_len) != 0);
      }
      check_tree(c, end);
    }
    CHECK(c == v + v->span);
    break;
  }
  default:
    break;
  }
}

/* Is a (ours) the same value as b (jansson's)? */
static bool same_value(const sg_jsonread_value *a, const json_t *b) {
  const sg_jsonread_value *c;
  size_t i;

  switch (a->type) {
  case SG_JSONREAD_NULL:
    return json_is_null(b);
  case SG_JSONREAD_TRUE:
    return json_is_true(b);
  case SG_JSONREAD_FALSE:
    return json_is_false(b);
  case SG_JSONREAD_INTEGER:
    return json_is_integer(b) && json_integer_value(b) == a->u.integer;
  case SG_JSONREAD_REAL:
    return json_is_real(b) && json_real_value(b) == a->u.real;
  case SG_JSONREAD_STRING:
    return json_is_string(b) && json_string_length(b) == a->u.string.len &&
           memcmp(json_string_value(b), a->u.string.str, a->u.string.len) == 0;
  case SG_JSONREAD_ARRAY:
    if (!json_is_array(b) || json_array_size(b) != a->u.count)
      return false;
    SG_JSONREAD_FOREACH(a, i, c) {
      if (!same_value(c, json_array_get(b, i)))
        return false;
    }
    return true;
  case SG_JSONREAD_OBJECT:
    if (!json_is_object(b) || json_object_size(b) != a->u.count)
      return false;
    SG_JSONREAD_FOREACH(a, i, c) {
      const json_t *m = json_object_get(b, c->key);
      if (m == NULL || !same_value(c, m))
        return false;
    }
    return true;
  }
  return false;
}

static const char *const seeds[] = {
    "{\"category\":\"fire\",\"description\":\"Kebakaran lahan gambut, asap tebal\","
    "\"location\":{\"lat\":-2.2096,\"lon\":113.9136},\"reporter\":{\"phone\":\"+6281234567890\"}}",
    "{\"notes\":[{\"author\":\"budi\",\"text\":\"OTW\",\"atMs\":\"5\"}],\"score\":87,"
    "\"reasons\":[{\"rule\":\"category.fire\",\"points\":40},{\"points\":-3}],\"ok\":true,"
    "\"none\":null,\"no\":false,\"big\":-9223372036854775808,\"e\":1.5e-3}",
    "[\"\\u00e9\\ud83d\\ude00\\n\\\"\", \"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\", 0, -0.0, 1E+2, "
    "[], {}, [[[[1]]]], {\"a\":{\"b\":{\"c\":[]}}}]",
    "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,"
    "\"k10\":[10]}",
};

/* Characters that make mutations likely to stay close to JSON. */
static const char interesting[] = "{}[]:,\"\\u0123456789.eE+-tfn \n\xc3\xa9\xed\xa0\xf4\x90\xff";

static void test_fuzz(void) {
  char buf[512];
  size_t accepted = 0, total = 0;

  for (int iter = 0; iter < 40000; iter++) {
    const char *seed = seeds[rng() % (sizeof(seeds) / sizeof(seeds[0]))];
    size_t len = strlen(seed);
    memcpy(buf, seed, len);
    int edits = 1 + (int)(rng() % 4);
    for (int e = 0; e < edits; e++) {
      size_t at = len ? rng() % len : 0;
      char c = rng() % 2 ? interesting[rng() % (sizeof(interesting) - 1)] : (char)rng();
      switch (rng() % 5) {
      case 0: /* replace */
        if (len > 0)
          buf[at] = c;
        break;
      case 1: /* insert */
        if (len + 1 < sizeof(buf)) {
          memmove(buf + at + 1, buf + at, len - at);
          buf[at] = c;
          len++;
        }
        break;
      case 2: /* delete */
        if (len > 0) {
          memmove(buf + at, buf + at + 1, len - at - 1);
          len--;
        }
        break;
      case 3: /* truncate */
        len = at;
        break;
      default: /* duplicate a span */
        if (len > 0) {
          size_t from = rng() % len, n = rng() % 16;
          if (n > len - from)
            n = len - from;
          if (len + n <= sizeof(buf)) {
            memmove(buf + at + n, buf + at, len - at);
            memmove(buf + at, buf + from + (from >= at ? n : 0), n);
            len += n;
          }
        }
        break;
      }
    }

    sg_jsonread_doc doc;
    sg_jsonread_error err = {0};
    int rc = parse_n(&doc, buf, len, SG_JSONREAD_DEPTH_LIMIT, &err);
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    total++;
    if (rc == 0) {
      accepted++;
      check_tree(&doc.values[0], doc.values + doc.n_values);
      if (j == NULL || !same_value(&doc.values[0], j))
        CHECK_FAIL_("accepted what jansson refuses or reads otherwise: \"%.*s\"", (int)len, buf);
    } else {
      CHECK_INT_EQ(rc, SG_JSONREAD_ESYNTAX);
      CHECK(err.offset <= len && err.reason != NULL);
      /* jansson 2.14 swallows one NUL byte after a number or literal
       * ("[1\0]" loads); refusing it is right. */
      if (j != NULL && memchr(buf, '\0', len) == NULL)
        CHECK_FAIL_("refused what jansson accepts (%s): \"%.*s\"", err.reason, (int)len, buf);
    }
    json_decref(j);
    sg_jsonread_close(&doc);
  }
  printf("  fuzz: %zu of %zu mutated documents accepted\n", accepted, total);
  CHECK(accepted > 100);
}

/* sg_jsonread_member_string: a top-level string member only, by name. */
static void test_member_string(void) {
  sg_jsonread_doc doc;
  size_t len = 0;
  parse_ok(&doc, "{\"o\":{\"u\":\"inner\"},\"n\":1,\"u\":\"a\\u00e9b\",\"p\":\"pw\"}");
  const char *u = sg_jsonread_member_string(&doc.values[0], "u", &len);
  CHECK(u != NULL);
  CHECK_INT_EQ(len, 4); /* é is two bytes */
  CHECK(memcmp(u,
               "a\xc3\xa9"
               "b",
               4) == 0);
  CHECK(sg_jsonread_member_string(&doc.values[0], "n", &len) == NULL);
  CHECK(sg_jsonread_member_string(&doc.values[0], "missing", &len) == NULL);
  CHECK(strcmp(sg_jsonread_member_string(&doc.values[0], "p", &len), "pw") == 0);
  sg_jsonread_close(&doc);
  parse_ok(&doc, "[\"u\"]");
  CHECK(sg_jsonread_member_string(&doc.values[0], "u", &len) == NULL);
  sg_jsonread_close(&doc);
}

int main(void) {
  RUN_TEST(test_tree);
  RUN_TEST(test_member_string);
  RUN_TEST(test_numbers);
  RUN_TEST(test_bad_inputs);
  RUN_TEST(test_error_positions);
  RUN_TEST(test_depth);
  RUN_TEST(test_strings);
  RUN_TEST(test_fuzz);
  CHECK_DONE();
}
