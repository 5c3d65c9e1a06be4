/* Finds the two strings the load generator needs in a binary
 * siaga.v1.ConsoleServerMessage (the update's stream id and the report id that
 * caused it) by walking the protobuf wire format, without a full decode.
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
  LG_PBSCAN_OTHER = 0,  /* snapshot, reply, error: nothing to match */
  LG_PBSCAN_UPDATE = 1, /* an IncidentUpdate: id and report_id filled */
  LG_PBSCAN_INVALID = -1
} lg_pbscan_kind;

typedef struct lg_pbscan_update {
  const char *id; /* points into the frame; not NUL-terminated */
  size_t id_len;
  const char *report_id;
  size_t report_id_len;
} lg_pbscan_update;

lg_pbscan_kind lg_pbscan_console(const uint8_t *buf, size_t len, lg_pbscan_update *out);

#endif
