/* Finds the strings the load generator needs in a binary
 * siaga.v1.ConsoleServerMessage by walking the protobuf wire format, without a
 * full decode: for an update its stream id and the report id that caused it;
 * for a snapshot its last_update_id and every report id of every incident (a
 * console resumed after a gap gets a snapshot instead of a replay, and the
 * reports in it reached that console).
 *
 * Why not protobuf_c_message_unpack for every frame: at 1000 updates/s to
 * 1000 consoles the client would unpack a million incidents a second and
 * measure itself instead of the server. main.c still unpacks a sample with
 * the generated code to prove this scanner agrees with it. */
#ifndef LG_PBSCAN_H
#define LG_PBSCAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum lg_pbscan_kind {
  LG_PBSCAN_OTHER = 0,    /* reply, error: nothing to match */
  LG_PBSCAN_UPDATE = 1,   /* an IncidentUpdate: id and report_id filled */
  LG_PBSCAN_SNAPSHOT = 2, /* a Snapshot: walk it with lg_pbscan_snapshot */
  LG_PBSCAN_INVALID = -1
} lg_pbscan_kind;

typedef struct lg_pbscan_update {
  const char *id; /* points into the frame; not NUL-terminated */
  size_t id_len;
  const char *report_id;
  size_t report_id_len;
} lg_pbscan_update;

/* Classifies a frame; for an update fills out (which is left alone otherwise).
 * Like protobuf, the last member of the message's oneof present wins. */
lg_pbscan_kind lg_pbscan_console(const uint8_t *buf, size_t len, lg_pbscan_update *out);

/* Called once per report id, in wire order; id points into the frame and is
 * not NUL-terminated. */
typedef void (*lg_pbscan_report_cb)(void *data, const char *id, size_t len);

/* Walks a ConsoleServerMessage holding a snapshot. The whole frame is checked
 * before the first callback, so a corrupt frame credits no report: returns
 * LG_PBSCAN_INVALID without calling cb, LG_PBSCAN_OTHER (cb not called) if
 * the frame is well formed but not a snapshot, or LG_PBSCAN_SNAPSHOT after
 * calling cb (if not NULL) for every report_ids entry of every incident.
 * *last_id / *last_id_len get the snapshot's last_update_id (pointing into
 * the frame; length 0 if absent). Several snapshot fields in one frame merge
 * as protobuf merges them: incidents concatenate, the last id wins. */
lg_pbscan_kind lg_pbscan_snapshot(const uint8_t *buf, size_t len, const char **last_id,
                                  size_t *last_id_len, lg_pbscan_report_cb cb, void *data);

#endif
