/* Protobuf wire walking: varint tags, skip what we do not need. Field numbers
 * come from proto/siaga/v1/siaga.proto (ConsoleServerMessage.update = 2,
 * IncidentUpdate.id = 1, IncidentUpdate.report_id = 6). */
#include "lg_pbscan.h"

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

/* Returns bytes consumed, 0 on a malformed or truncated varint. */
static size_t read_varint(const uint8_t *p, size_t len, uint64_t *v) {
  uint64_t x = 0;
  for (size_t i = 0; i < len && i < 10; i++) {
    x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if ((p[i] & 0x80) == 0) {
      *v = x;
      return i + 1;
    }
  }
  return 0;
}

/* Reads the field at *p: its number, wire type and, for length-delimited
 * fields, its payload; advances *p past it. Returns -1 if the bytes are not a
 * well-formed field, so a corrupt frame is counted, never overread. */
typedef struct field {
  uint32_t number;
  int wire;
  const uint8_t *data;
  size_t len;
} field;

static int next_field(const uint8_t **p, const uint8_t *end, field *f) {
  uint64_t tag, v;
  size_t n = read_varint(*p, (size_t)(end - *p), &tag);
  if (n == 0)
    return -1;
  *p += n;
  f->number = (uint32_t)(tag >> 3);
  f->wire = (int)(tag & 7);
  switch (f->wire) {
  case WIRE_VARINT:
    n = read_varint(*p, (size_t)(end - *p), &v);
    if (n == 0)
      return -1;
    *p += n;
    return 0;
  case WIRE_FIXED64:
    if (end - *p < 8)
      return -1;
    *p += 8;
    return 0;
  case WIRE_FIXED32:
    if (end - *p < 4)
      return -1;
    *p += 4;
    return 0;
  case WIRE_LEN:
    n = read_varint(*p, (size_t)(end - *p), &v);
    if (n == 0 || v > (uint64_t)(end - *p - (ptrdiff_t)n))
      return -1;
    f->data = *p + n;
    f->len = (size_t)v;
    *p += n + v;
    return 0;
  default:
    return -1;
  }
}

lg_pbscan_kind lg_pbscan_console(const uint8_t *buf, size_t len, lg_pbscan_update *out) {
  const uint8_t *p = buf, *end = buf + len;
  const uint8_t *upd = NULL;
  size_t upd_len = 0;
  field f;
  while (p < end) {
    if (next_field(&p, end, &f) != 0)
      return LG_PBSCAN_INVALID;
    if (f.number == 2 && f.wire == WIRE_LEN) {
      upd = f.data;
      upd_len = f.len;
    }
  }
  if (upd == NULL)
    return LG_PBSCAN_OTHER;
  out->id = out->report_id = NULL;
  out->id_len = out->report_id_len = 0;
  p = upd;
  end = upd + upd_len;
  while (p < end) {
    if (next_field(&p, end, &f) != 0)
      return LG_PBSCAN_INVALID;
    if (f.wire != WIRE_LEN)
      continue;
    if (f.number == 1) {
      out->id = (const char *)f.data;
      out->id_len = f.len;
    } else if (f.number == 6) {
      out->report_id = (const char *)f.data;
      out->report_id_len = f.len;
    }
  }
  return LG_PBSCAN_UPDATE;
}
