/* JSON -> protobuf, the decoding half of pbjson.h: the text is read with
 * sg_jsonread (strict RFC 8259, duplicate keys and deep nesting refused while
 * reading) into a flat tree that is then walked against the descriptor. What
 * it shares with encoding is in pbjson_internal.h. */
#include "wire/pbjson.h"

#include "wire/jsonread.h"
#include "wire/pbjson_internal.h"
#include "core/utf8.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER(msg, offset) ((void *)((char *)(msg) + (offset)))

/* ---- decoding ---- */

struct dec {
  ProtobufCAllocator *allocator;
  char path[256];
  size_t path_len;
  char *err;
  size_t err_size;
};

/* The message is handed to protobuf_c_message_free_unpacked, which frees
 * with the same allocator, or with free() when it is NULL. */
static void *dec_alloc(struct dec *d, size_t n) {
  if (n == 0)
    n = 1;
  if (d->allocator == NULL)
    return malloc(n);
  return d->allocator->alloc(d->allocator->allocator_data, n);
}

static void dec_free(struct dec *d, void *p) {
  if (d->allocator == NULL)
    free(p);
  else
    d->allocator->free(d->allocator->allocator_data, p);
}

/* Formats "path: reason" and then makes it printable: the reason may quote
 * hostile input (a key or an enum name), and the error is meant for
 * one log line or a JSON error body. */
static int fail(struct dec *d, const char *fmt, ...) {
  va_list ap;
  size_t n = 0;

  if (d->err == NULL || d->err_size == 0)
    return -1;
  if (d->path_len > 0)
    n = (size_t)snprintf(d->err, d->err_size, "%s: ", d->path);
  if (n < d->err_size) {
    va_start(ap, fmt);
    vsnprintf(d->err + n, d->err_size - n, fmt, ap);
    va_end(ap);
  }
  unsigned char *p = (unsigned char *)d->err;
  size_t left = strlen(d->err);
  while (left > 0) {
    size_t len = *p < 0x20 || *p == 0x7f ? 0 : sg_utf8_seq_len((const char *)p, left);
    if (len == 0) {
      *p = '?';
      len = 1;
    }
    p += len, left -= len;
  }
  return -1;
}

static size_t path_push_field(struct dec *d, const ProtobufCFieldDescriptor *f) {
  size_t saved = d->path_len;

  if (saved > 0 && saved < sizeof(d->path) - 1)
    d->path[d->path_len++] = '.';
  sg_pbjson__json_name_z(f->name, d->path + d->path_len, sizeof(d->path) - d->path_len);
  d->path_len += strlen(d->path + d->path_len);
  return saved;
}

static size_t path_push_index(struct dec *d, size_t i) {
  size_t saved = d->path_len;
  int n = snprintf(d->path + d->path_len, sizeof(d->path) - d->path_len, "[%zu]", i);

  if (n > 0 && (size_t)n < sizeof(d->path) - d->path_len)
    d->path_len += (size_t)n;
  d->path[d->path_len] = '\0';
  return saved;
}

static void path_pop(struct dec *d, size_t saved) {
  d->path_len = saved;
  d->path[saved] = '\0';
}

/* Accepts what the proto3 JSON mapping allows for integers: a JSON integer,
 * a real with no fractional part, or a decimal string. Stores the value
 * range-checked for t, in two's complement. */
static int read_int(struct dec *d, const sg_jsonread_value *v, const struct sg_pbjson__type_info *t,
                    uint64_t *out) {
  bool neg = false;
  uint64_t mag = 0;

  if (v->type == SG_JSONREAD_INTEGER) {
    int64_t i = v->u.integer;
    neg = i < 0;
    mag = i < 0 ? (uint64_t)(-(i + 1)) + 1 : (uint64_t)i;
  } else if (v->type == SG_JSONREAD_REAL) {
    double x = v->u.real;
    if (!isfinite(x) || x != floor(x))
      return fail(d, "expected an integer");
    if (fabs(x) >= 18446744073709551616.0)
      return fail(d, "out of range for %s", t->int_name);
    neg = x < 0;
    mag = (uint64_t)fabs(x);
  } else if (v->type == SG_JSONREAD_STRING) {
    const char *s = v->u.string.str;
    size_t len = v->u.string.len, i = len > 0 && s[0] == '-';
    neg = i == 1;
    if (i == len)
      return fail(d, "expected an integer");
    for (; i < len; i++) {
      if (s[i] < '0' || s[i] > '9')
        return fail(d, "expected an integer");
      unsigned digit = (unsigned)(s[i] - '0');
      if (mag > (UINT64_MAX - digit) / 10)
        return fail(d, "out of range for %s", t->int_name);
      mag = mag * 10 + digit;
    }
  } else {
    return fail(d, "expected an integer");
  }
  uint64_t max = t->size == 8 ? UINT64_MAX : UINT32_MAX;
  if (t->int_kind == 's')
    max >>= 1;
  if (mag == 0)
    neg = false;
  if (neg ? t->int_kind != 's' || mag - 1 > max : mag > max)
    return fail(d, "out of range for %s", t->int_name);
  *out = neg ? 0 - mag : mag;
  return 0;
}

/* A proto3 JSON float or double may come as a string ("-2.2", "1e3"):
 * only the JSON number grammar is taken (strtod alone would also take hex,
 * "inf", leading blanks). 0 with *out, or -1. The special strings "NaN" and
 * "Infinity" are refused later, as every non-finite value is. */
static int string_number(const char *s, size_t len, double *out) {
  char buf[64];
  size_t i = 0;
  if (len == 0 || len >= sizeof(buf))
    return -1;
  if (s[i] == '-')
    i++;
  if (i < len && s[i] == '0')
    i++;
  else if (i < len && s[i] >= '1' && s[i] <= '9')
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
  else
    return -1;
  if (i < len && s[i] == '.') {
    size_t start = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
    if (i == start)
      return -1;
  }
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
      i++;
    size_t start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
    if (i == start)
      return -1;
  }
  if (i != len)
    return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  *out = strtod(buf, NULL);
  return 0;
}

static int b64_value(char c) {
  const char *p = c != '\0' ? strchr(sg_pbjson__b64_std, c) : NULL;

  if (p != NULL)
    return (int)(p - sg_pbjson__b64_std);
  return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* Standard or URL-safe alphabet; padding is optional but must be right when
 * present. */
static int read_bytes(struct dec *d, const sg_jsonread_value *v, ProtobufCBinaryData *out) {
  if (v->type != SG_JSONREAD_STRING)
    return fail(d, "expected a base64 string");
  const char *s = v->u.string.str;
  size_t n = v->u.string.len, pad = 0;
  while (n > 0 && s[n - 1] == '=' && pad < 2)
    n--, pad++;
  if (n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0))
    return fail(d, "invalid base64");
  if (n == 0)
    return 0;
  uint8_t *data = dec_alloc(d, n / 4 * 3 + 3);
  if (data == NULL)
    return fail(d, "out of memory");
  uint32_t acc = 0;
  size_t bits = 0, len = 0;
  for (size_t i = 0; i < n; i++) {
    int x = b64_value(s[i]);
    if (x < 0) {
      dec_free(d, data);
      return fail(d, "invalid base64");
    }
    acc = (acc << 6) | (uint32_t)x;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      data[len++] = (uint8_t)(acc >> bits);
    }
  }
  out->data = data;
  out->len = len;
  return 0;
}

static int read_message(struct dec *d, const ProtobufCMessageDescriptor *desc,
                        const sg_jsonread_value *obj, ProtobufCMessage **out);

static bool is_number(const sg_jsonread_value *v) {
  return v->type == SG_JSONREAD_INTEGER || v->type == SG_JSONREAD_REAL;
}

static double number_value(const sg_jsonread_value *v) {
  return v->type == SG_JSONREAD_INTEGER ? (double)v->u.integer : v->u.real;
}

/* Reads one value (a singular field or one array element) into dst. Anything
 * allocated is stored in dst at once, so a later failure still frees it. */
static int read_value(struct dec *d, const ProtobufCFieldDescriptor *f, const sg_jsonread_value *v,
                      void *dst) {
  const struct sg_pbjson__type_info *t = &sg_pbjson__types[f->type];
  uint64_t u;

  if (t->int_kind != 0) {
    if (read_int(d, v, t, &u) != 0)
      return -1;
    if (t->size == 8)
      *(uint64_t *)dst = u;
    else
      *(uint32_t *)dst = (uint32_t)u;
    return 0;
  }
  switch (f->type) {
  case PROTOBUF_C_TYPE_FLOAT:
  case PROTOBUF_C_TYPE_DOUBLE: {
    double x;
    if (v->type == SG_JSONREAD_STRING) {
      if (string_number(v->u.string.str, v->u.string.len, &x) != 0)
        return fail(d, "expected a number");
    } else if (!is_number(v)) {
      return fail(d, "expected a number");
    } else {
      x = number_value(v);
    }
    if (!isfinite(x))
      return fail(d, "expected a finite number");
    if (f->type == PROTOBUF_C_TYPE_DOUBLE) {
      *(double *)dst = x;
      return 0;
    }
    if (fabs(x) > FLT_MAX)
      return fail(d, "out of range for float");
    *(float *)dst = (float)x;
    return 0;
  }
  case PROTOBUF_C_TYPE_BOOL:
    if (v->type != SG_JSONREAD_TRUE && v->type != SG_JSONREAD_FALSE)
      return fail(d, "expected true or false");
    *(protobuf_c_boolean *)dst = v->type == SG_JSONREAD_TRUE;
    return 0;
  case PROTOBUF_C_TYPE_ENUM: {
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    if (v->type == SG_JSONREAD_STRING) {
      const char *name = v->u.string.str;
      const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, name);
      if (ev == NULL || strlen(name) != v->u.string.len)
        return fail(d, "unknown enum value \"%.64s\"", name);
      *(int *)dst = ev->value;
      return 0;
    }
    if (!is_number(v))
      return fail(d, "expected an enum name or number");
    /* Unknown numbers are refused, not kept as proto3 would: a status or
     * priority nobody handles is worse than a clear error to the client. */
    if (read_int(d, v, &sg_pbjson__types[PROTOBUF_C_TYPE_INT32], &u) != 0)
      return -1;
    int32_t n = (int32_t)(uint32_t)u;
    if (protobuf_c_enum_descriptor_get_value(ed, n) == NULL)
      return fail(d, "unknown enum number %" PRId32, n);
    *(int *)dst = n;
    return 0;
  }
  case PROTOBUF_C_TYPE_STRING: {
    if (v->type != SG_JSONREAD_STRING)
      return fail(d, "expected a string");
    const char *s = v->u.string.str;
    size_t len = v->u.string.len;
    /* sg_jsonread refuses NUL characters and invalid UTF-8 in strings (its
     * tests check both); the cheap NUL check stays because C strings
     * downstream rely on it. */
    if (memchr(s, '\0', len) != NULL)
      return fail(d, "string contains a NUL character");
    char *copy = dec_alloc(d, len + 1);
    if (copy == NULL)
      return fail(d, "out of memory");
    memcpy(copy, s, len + 1);
    *(char **)dst = copy;
    return 0;
  }
  case PROTOBUF_C_TYPE_BYTES:
    return read_bytes(d, v, dst);
  case PROTOBUF_C_TYPE_MESSAGE:
    return read_message(d, f->descriptor, v, dst);
  default:
    return fail(d, "unsupported field type");
  }
}

static int read_repeated(struct dec *d, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                         const sg_jsonread_value *v) {
  if (v->type != SG_JSONREAD_ARRAY)
    return fail(d, "expected an array");
  size_t n = v->u.count, size = sg_pbjson__types[f->type].size;
  if (n == 0)
    return 0;
  char *arr = dec_alloc(d, n * size);
  if (arr == NULL)
    return fail(d, "out of memory");
  memset(arr, 0, n * size);
  *(void **)MEMBER(m, f->offset) = arr;
  size_t *count = MEMBER(m, f->quantifier_offset);
  const sg_jsonread_value *e;
  size_t i;
  SG_JSONREAD_FOREACH(v, i, e) {
    size_t saved = path_push_index(d, i);
    /* Counted before reading: a half-read element is zeroed or holds only
     * what free_unpacked can free. */
    *count = i + 1;
    int rc = e->type == SG_JSONREAD_NULL ? fail(d, "null array element")
                                         : read_value(d, f, e, arr + i * size);
    path_pop(d, saved);
    if (rc != 0)
      return -1;
  }
  return 0;
}

static int read_field(struct dec *d, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                      const sg_jsonread_value *v) {
  if (f->label == PROTOBUF_C_LABEL_REPEATED)
    return read_repeated(d, m, f, v);
  void *dst = MEMBER(m, f->offset);
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
    uint32_t *which = MEMBER(m, f->quantifier_offset);
    if (*which != 0 && *which != f->id) {
      const ProtobufCFieldDescriptor *other =
          protobuf_c_message_descriptor_get_field(m->descriptor, *which);
      char name[64] = "?";
      if (other != NULL)
        sg_pbjson__json_name_z(other->name, name, sizeof(name));
      return fail(d, "conflicts with \"%s\" (same oneof)", name);
    }
    /* The members share a union; clear it so a pointer member reads NULL. */
    memset(dst, 0, sg_pbjson__types[f->type].size);
    *which = f->id;
  }
  if (read_value(d, f, v, dst) != 0)
    return -1;
  if (sg_pbjson__has_flag(f))
    *(protobuf_c_boolean *)MEMBER(m, f->quantifier_offset) = 1;
  return 0;
}

static int read_message(struct dec *d, const ProtobufCMessageDescriptor *desc,
                        const sg_jsonread_value *obj, ProtobufCMessage **out) {
  const sg_jsonread_value *v;
  unsigned char seen_small[64], *seen = seen_small;
  size_t k;
  int rc = 0;

  if (obj->type != SG_JSONREAD_OBJECT)
    return fail(d, "expected an object");
  ProtobufCMessage *m = dec_alloc(d, desc->sizeof_message);
  if (m == NULL)
    return fail(d, "out of memory");
  /* protoc-c initialises strings to the descriptor's default_value pointer,
   * which free_unpacked skips, so untouched fields need no allocation. */
  protobuf_c_message_init(desc, m);
  *out = m;
  if (desc->n_fields > sizeof(seen_small) && (seen = malloc(desc->n_fields)) == NULL)
    return fail(d, "out of memory");
  memset(seen, 0, desc->n_fields);

  SG_JSONREAD_FOREACH(obj, k, v) {
    const char *key = v->key;
    unsigned i;
    for (i = 0; i < desc->n_fields; i++)
      if (strcmp(desc->fields[i].name, key) == 0 ||
          sg_pbjson__json_name_eq(desc->fields[i].name, key))
        break;
    if (i == desc->n_fields) {
      rc = fail(d, "unknown field \"%.64s\"", key);
      break;
    }
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    size_t saved = path_push_field(d, f);
    /* The reader refuses repeated keys but cannot see "setStatus" next to
     * "set_status". */
    if (seen[i])
      rc = fail(d, "field given twice");
    else if (v->type != SG_JSONREAD_NULL)
      rc = read_field(d, m, f, v);
    seen[i] = 1;
    path_pop(d, saved);
    if (rc != 0)
      break;
  }
  for (unsigned i = 0; rc == 0 && i < desc->n_fields; i++) {
    if (desc->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i])
      rc = fail(d, "missing required field \"%s\"", desc->fields[i].name);
  }
  if (seen != seen_small)
    free(seen);
  return rc;
}

int sg_pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                     ProtobufCAllocator *allocator, ProtobufCMessage **out, char *err,
                     size_t err_size) {
  struct dec d = {.allocator = allocator, .err = err, .err_size = err_size};
  ProtobufCMessage *m = NULL;
  sg_jsonread_doc doc;
  sg_jsonread_error je;
  int rc = -1;

  *out = NULL;
  if (err != NULL && err_size > 0)
    err[0] = '\0';
  if (json == NULL || len == 0)
    return fail(&d, "empty input");
  /* Depth is bounded while reading, over values no message accepts too, so a
   * deep document fails the same way wherever it is deep. */
  switch (sg_jsonread_parse(&doc, json, len, SG_PBJSON_MAX_DEPTH, &je)) {
  case SG_JSONREAD_OK:
    break;
  case SG_JSONREAD_EDEPTH:
    return fail(&d, "nested deeper than %d levels", SG_PBJSON_MAX_DEPTH);
  case SG_JSONREAD_ENOMEM:
    return fail(&d, "out of memory");
  default:
    return fail(&d, "invalid JSON at line %zu column %zu: %s", je.line, je.column, je.reason);
  }
  if (doc.values[0].type != SG_JSONREAD_OBJECT)
    fail(&d, "expected a JSON object");
  else
    rc = read_message(&d, desc, &doc.values[0], &m);
  sg_jsonread_close(&doc);
  if (rc != 0) {
    if (m != NULL)
      protobuf_c_message_free_unpacked(m, allocator);
    return -1;
  }
  *out = m;
  return 0;
}
