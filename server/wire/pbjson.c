/* Protobuf <-> JSON, driven only by protobuf-c descriptors so that a new
 * message in siaga.proto needs no code here.
 *
 * Encoding uses a small writer of its own rather than jansson: it controls
 * number formatting (shortest text that round-trips a double) and can repair
 * invalid UTF-8 in strings that came from binary protobuf. Decoding is in
 * pbjson_decode.c; what both halves share is declared in pbjson_internal.h.
 * Out of memory is an ordinary error (-1), as everywhere in this library. */
#include "wire/pbjson.h"

#include "wire/pbjson_internal.h"
#include "core/utf8.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMEMBER(msg, offset) ((const void *)((const char *)(msg) + (offset)))

/* ---- shared with decoding (pbjson_internal.h) ---- */

static char ascii_upper(char c)
{
  return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* protobuf-c keeps no json_name, so it is derived here the way protoc does:
 * every '_' is dropped and the character after it upper-cased. Writes at most
 * size bytes (without a NUL) and returns the full length. */
size_t sg_pbjson__json_name(const char *name, char *out, size_t size)
{
  size_t n = 0;
  bool upper = false;

  for (; *name; name++) {
    if (*name == '_') {
      upper = true;
      continue;
    }
    if (n < size)
      out[n] = upper ? ascii_upper(*name) : *name;
    n++;
    upper = false;
  }
  return n;
}

/* json_name, NUL-terminated and cut to fit size. */
void sg_pbjson__json_name_z(const char *name, char *out, size_t size)
{
  size_t n = sg_pbjson__json_name(name, out, size - 1);
  out[n < size - 1 ? n : size - 1] = '\0';
}

bool sg_pbjson__json_name_eq(const char *name, const char *key)
{
  bool upper = false;

  for (; *name; name++) {
    if (*name == '_') {
      upper = true;
      continue;
    }
    if (*key++ != (upper ? ascii_upper(*name) : *name))
      return false;
    upper = false;
  }
  return *key == '\0';
}

const struct sg_pbjson__type_info sg_pbjson__types[PROTOBUF_C_TYPE_MESSAGE + 1] = {
    [PROTOBUF_C_TYPE_INT32] = {4, 's', "int32"},    [PROTOBUF_C_TYPE_SINT32] = {4, 's', "int32"},
    [PROTOBUF_C_TYPE_SFIXED32] = {4, 's', "int32"}, [PROTOBUF_C_TYPE_INT64] = {8, 's', "int64"},
    [PROTOBUF_C_TYPE_SINT64] = {8, 's', "int64"},   [PROTOBUF_C_TYPE_SFIXED64] = {8, 's', "int64"},
    [PROTOBUF_C_TYPE_UINT32] = {4, 'u', "uint32"},  [PROTOBUF_C_TYPE_FIXED32] = {4, 'u', "uint32"},
    [PROTOBUF_C_TYPE_UINT64] = {8, 'u', "uint64"},  [PROTOBUF_C_TYPE_FIXED64] = {8, 'u', "uint64"},
    [PROTOBUF_C_TYPE_FLOAT] = {sizeof(float)},      [PROTOBUF_C_TYPE_DOUBLE] = {sizeof(double)},
    [PROTOBUF_C_TYPE_BOOL] = {sizeof(protobuf_c_boolean)},
    [PROTOBUF_C_TYPE_ENUM] = {sizeof(int)},
    [PROTOBUF_C_TYPE_STRING] = {sizeof(char *)},
    [PROTOBUF_C_TYPE_BYTES] = {sizeof(ProtobufCBinaryData)},
    [PROTOBUF_C_TYPE_MESSAGE] = {sizeof(ProtobufCMessage *)},
};

bool sg_pbjson__has_flag(const ProtobufCFieldDescriptor *f)
{
  return f->label == PROTOBUF_C_LABEL_OPTIONAL && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
         f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* ---- encoding ---- */

struct sb {
  char *buf;
  size_t len, cap;
  bool oom;
};

static bool sb_reserve(struct sb *b, size_t n)
{
  if (b->oom)
    return false;
  if (b->cap - b->len >= n)
    return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < n && cap <= SIZE_MAX / 2)
    cap *= 2;
  char *p = cap - b->len >= n ? realloc(b->buf, cap) : NULL;
  if (p == NULL) {
    b->oom = true;
    return false;
  }
  b->buf = p;
  b->cap = cap;
  return true;
}

static void sb_put(struct sb *b, const char *s, size_t n)
{
  if (sb_reserve(b, n)) {
    memcpy(b->buf + b->len, s, n);
    b->len += n;
  }
}

static void sb_puts(struct sb *b, const char *s)
{
  sb_put(b, s, strlen(s));
}

static void sb_putc(struct sb *b, char c)
{
  sb_put(b, &c, 1);
}

/* Strings in a message may come from binary protobuf, which protobuf-c does
 * not check for UTF-8; bad bytes become U+FFFD so the output stays valid
 * JSON instead of failing the whole encode. */
static void put_string(struct sb *b, const char *s)
{
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t n = strlen((const char *)p);

  sb_putc(b, '"');
  while (n > 0) {
    unsigned char c = *p;
    char esc[8];

    if (c == '"' || c == '\\') {
      esc[0] = '\\', esc[1] = (char)c;
      sb_put(b, esc, 2);
    } else if (c < 0x20) {
      static const char short_esc[] = "btn\0fr";
      if (c >= '\b' && c <= '\r' && short_esc[c - '\b']) {
        esc[0] = '\\', esc[1] = short_esc[c - '\b'];
        sb_put(b, esc, 2);
      } else {
        snprintf(esc, sizeof(esc), "\\u%04x", c);
        sb_put(b, esc, 6);
      }
    } else {
      size_t len = sg_utf8_seq_len((const char *)p, n);
      if (len == 0) {
        sb_put(b, "\\ufffd", 6);
        len = 1;
      } else {
        sb_put(b, (const char *)p, len);
      }
      p += len, n -= len;
      continue;
    }
    p++, n--;
  }
  sb_putc(b, '"');
}

const char sg_pbjson__b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(struct sb *b, const uint8_t *data, size_t len)
{
  sb_putc(b, '"');
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)data[i + 1] << 8;
    if (i + 2 < len)
      v |= data[i + 2];
    const char *a = sg_pbjson__b64_std;
    char q[4] = {a[v >> 18], a[(v >> 12) & 63], i + 1 < len ? a[(v >> 6) & 63] : '=',
                 i + 2 < len ? a[v & 63] : '='};
    sb_put(b, q, 4);
  }
  sb_putc(b, '"');
}

/* The shortest %g text that reads back as the same value, so that -2.2096
 * stays -2.2096 rather than -2.2096000000000002. Non-finite values cannot be
 * JSON numbers; they are written as the proto3 JSON mapping's strings. */
static void put_double(struct sb *b, double v, bool single)
{
  char tmp[40];

  if (isnan(v)) {
    sb_puts(b, "\"NaN\"");
    return;
  }
  if (isinf(v)) {
    sb_puts(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  int max = single ? FLT_DECIMAL_DIG : DBL_DECIMAL_DIG;
  for (int prec = single ? FLT_DIG : DBL_DIG; prec <= max; prec++) {
    snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
    if (single ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
      break;
  }
  sb_puts(b, tmp);
}

static void put_message(struct sb *b, const ProtobufCMessage *msg);

static void put_value(struct sb *b, const ProtobufCFieldDescriptor *f, const void *p)
{
  char tmp[32];

  const struct sg_pbjson__type_info *t = &sg_pbjson__types[f->type];
  if (t->int_kind != 0) {
    /* JavaScript numbers lose precision above 2^53, hence strings. */
    if (t->size == 8 && t->int_kind == 's')
      snprintf(tmp, sizeof(tmp), "\"%" PRId64 "\"", *(const int64_t *)p);
    else if (t->size == 8)
      snprintf(tmp, sizeof(tmp), "\"%" PRIu64 "\"", *(const uint64_t *)p);
    else if (t->int_kind == 's')
      snprintf(tmp, sizeof(tmp), "%" PRId32, *(const int32_t *)p);
    else
      snprintf(tmp, sizeof(tmp), "%" PRIu32, *(const uint32_t *)p);
    sb_puts(b, tmp);
    return;
  }
  switch (f->type) {
  default:
    return;
  case PROTOBUF_C_TYPE_FLOAT:
    put_double(b, *(const float *)p, true);
    return;
  case PROTOBUF_C_TYPE_DOUBLE:
    put_double(b, *(const double *)p, false);
    return;
  case PROTOBUF_C_TYPE_BOOL:
    sb_puts(b, *(const protobuf_c_boolean *)p ? "true" : "false");
    return;
  case PROTOBUF_C_TYPE_ENUM: {
    int v = *(const int *)p;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    /* An unknown number (a newer peer's value) is kept as a number. */
    if (ev != NULL) {
      put_string(b, ev->name);
    } else {
      snprintf(tmp, sizeof(tmp), "%d", v);
      sb_puts(b, tmp);
    }
    return;
  }
  case PROTOBUF_C_TYPE_STRING:
    put_string(b, *(char *const *)p);
    return;
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *bd = p;
    put_base64(b, bd->data, bd->len);
    return;
  }
  case PROTOBUF_C_TYPE_MESSAGE:
    put_message(b, *(ProtobufCMessage *const *)p);
    return;
  }
}

/* proto3 fields without presence are written only when not at their zero
 * value; oneof members, repeated fields and the proto2 labels follow their
 * own presence rules. */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
  const void *p = CMEMBER(m, f->offset);

  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
    return *(const uint32_t *)CMEMBER(m, f->quantifier_offset) == f->id;
  if (f->label == PROTOBUF_C_LABEL_REPEATED)
    return *(const size_t *)CMEMBER(m, f->quantifier_offset) > 0;
  if (f->label == PROTOBUF_C_LABEL_REQUIRED)
    return true;
  if (sg_pbjson__has_flag(f))
    return *(const protobuf_c_boolean *)CMEMBER(m, f->quantifier_offset);
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(char *const *)p;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
      return s != NULL && s != f->default_value;
    return s != NULL && s[0] != '\0';
  }
  case PROTOBUF_C_TYPE_MESSAGE:
    return *(ProtobufCMessage *const *)p != NULL;
  case PROTOBUF_C_TYPE_BYTES:
    return ((const ProtobufCBinaryData *)p)->len > 0;
  case PROTOBUF_C_TYPE_FLOAT:
    return *(const float *)p != 0;
  case PROTOBUF_C_TYPE_DOUBLE:
    return *(const double *)p != 0;
  default:
    if (sg_pbjson__types[f->type].size == 8)
      return *(const uint64_t *)p != 0;
    return *(const uint32_t *)p != 0;
  }
}

static void put_message(struct sb *b, const ProtobufCMessage *msg)
{
  bool first = true;

  sb_putc(b, '{');
  /* protoc-c emits fields sorted by number, which fixes the key order. */
  for (unsigned i = 0; msg != NULL && i < msg->descriptor->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &msg->descriptor->fields[i];
    if (!field_present(msg, f))
      continue;
    if (!first)
      sb_putc(b, ',');
    first = false;
    size_t n = sg_pbjson__json_name(f->name, NULL, 0);
    if (!sb_reserve(b, n + 3))
      return;
    b->buf[b->len++] = '"';
    b->len += sg_pbjson__json_name(f->name, b->buf + b->len, n);
    b->buf[b->len++] = '"';
    b->buf[b->len++] = ':';
    const void *p = CMEMBER(msg, f->offset);
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
      put_value(b, f, p);
      continue;
    }
    size_t count = *(const size_t *)CMEMBER(msg, f->quantifier_offset);
    const char *arr = *(char *const *)p;
    size_t size = sg_pbjson__types[f->type].size;
    sb_putc(b, '[');
    for (size_t j = 0; j < count; j++) {
      if (j > 0)
        sb_putc(b, ',');
      put_value(b, f, arr + j * size);
    }
    sb_putc(b, ']');
  }
  sb_putc(b, '}');
}

int sg_pbjson_encode(const ProtobufCMessage *msg, char **out, size_t *len)
{
  struct sb b = {0};

  put_message(&b, msg);
  sb_putc(&b, '\0');
  if (b.oom) {
    free(b.buf);
    *out = NULL;
    *len = 0;
    return -1;
  }
  *out = b.buf;
  *len = b.len - 1;
  return 0;
}
