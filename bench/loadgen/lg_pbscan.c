/* Protobuf wire walking: varint tags, skip what we do not need. Field numbers
 * come from proto/siaga/v1/siaga.proto (ConsoleServerMessage: snapshot = 1,
 * update = 2, reply = 3, error = 4; IncidentUpdate.id = 1,
 * IncidentUpdate.report_id = 6; Snapshot: incidents = 1, last_update_id = 2;
 * Incident.report_ids = 9). */
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

/* Walks the top level of a ConsoleServerMessage: checks every field and
 * finds where the members of the oneof msg (fields 1..4) sit. *tail is set to
 * the start of the last run of fields that belong to the winning member (the
 * fields after the last occurrence of a different member), which is what
 * protobuf keeps: a oneof member replaces the other's value, repeats of the
 * same member merge. Returns the winning field number, 0 for none, -1 for a
 * malformed frame. */
static int oneof_member(const uint8_t *buf, size_t len, const uint8_t **tail) {
  const uint8_t *p = buf, *end = buf + len;
  int member = 0;
  field f;
  *tail = buf;
  while (p < end) {
    const uint8_t *at = p;
    if (next_field(&p, end, &f) != 0)
      return -1;
    if (f.number < 1 || f.number > 4)
      continue;
    if (f.wire != WIRE_LEN)
      return -1; /* every member is a message: another wire type is corrupt */
    if ((int)f.number != member) {
      member = (int)f.number;
      *tail = at;
    }
  }
  return member;
}

lg_pbscan_kind lg_pbscan_console(const uint8_t *buf, size_t len, lg_pbscan_update *out) {
  const uint8_t *tail;
  int member = oneof_member(buf, len, &tail);
  if (member < 0)
    return LG_PBSCAN_INVALID;
  if (member == 1)
    return LG_PBSCAN_SNAPSHOT;
  if (member != 2)
    return LG_PBSCAN_OTHER;
  /* Repeats of the update field merge as protobuf merges them: a later
   * occurrence of a singular string replaces the earlier one. */
  out->id = out->report_id = NULL;
  out->id_len = out->report_id_len = 0;
  const uint8_t *p = tail, *end = buf + len;
  field f;
  while (p < end) {
    if (next_field(&p, end, &f) != 0)
      return LG_PBSCAN_INVALID;
    if (f.number != 2)
      continue;
    const uint8_t *q = f.data, *qend = f.data + f.len;
    field g;
    while (q < qend) {
      if (next_field(&q, qend, &g) != 0)
        return LG_PBSCAN_INVALID;
      if (g.wire != WIRE_LEN)
        continue;
      if (g.number == 1) {
        out->id = (const char *)g.data;
        out->id_len = g.len;
      } else if (g.number == 6) {
        out->report_id = (const char *)g.data;
        out->report_id_len = g.len;
      }
    }
  }
  return LG_PBSCAN_UPDATE;
}

/* One Incident: calls cb for each report_ids entry (when cb is set). */
static int walk_incident(const uint8_t *p, const uint8_t *end, lg_pbscan_report_cb cb, void *data) {
  field f;
  while (p < end) {
    if (next_field(&p, end, &f) != 0)
      return -1;
    if (f.number != 9)
      continue;
    if (f.wire != WIRE_LEN)
      return -1;
    if (cb != NULL)
      cb(data, (const char *)f.data, f.len);
  }
  return 0;
}

/* The snapshot fields from tail on: incidents to walk_incident, the last
 * last_update_id kept. */
static int walk_snapshots(const uint8_t *p, const uint8_t *end, const char **last_id,
                          size_t *last_id_len, lg_pbscan_report_cb cb, void *data) {
  field f, g;
  while (p < end) {
    if (next_field(&p, end, &f) != 0)
      return -1;
    if (f.number != 1)
      continue;
    const uint8_t *q = f.data, *qend = f.data + f.len;
    while (q < qend) {
      if (next_field(&q, qend, &g) != 0)
        return -1;
      if (g.number != 1 && g.number != 2)
        continue;
      if (g.wire != WIRE_LEN)
        return -1;
      if (g.number == 1) {
        if (walk_incident(g.data, g.data + g.len, cb, data) != 0)
          return -1;
      } else {
        *last_id = (const char *)g.data;
        *last_id_len = g.len;
      }
    }
  }
  return 0;
}

lg_pbscan_kind lg_pbscan_snapshot(const uint8_t *buf, size_t len, const char **last_id,
                                  size_t *last_id_len, lg_pbscan_report_cb cb, void *data) {
  const uint8_t *tail;
  *last_id = NULL;
  *last_id_len = 0;
  int member = oneof_member(buf, len, &tail);
  if (member < 0)
    return LG_PBSCAN_INVALID;
  if (member != 1)
    return LG_PBSCAN_OTHER;
  /* Two passes: the first only checks, so that a frame cut or corrupted
   * half way credits none of its reports (the second cannot fail then). */
  if (walk_snapshots(tail, buf + len, last_id, last_id_len, NULL, NULL) != 0) {
    *last_id = NULL;
    *last_id_len = 0;
    return LG_PBSCAN_INVALID;
  }
  if (cb != NULL && walk_snapshots(tail, buf + len, last_id, last_id_len, cb, data) != 0)
    return LG_PBSCAN_INVALID;
  return LG_PBSCAN_SNAPSHOT;
}
