#include "ws/msg.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/utf8.h"
#include "wire/pbjson.h"

void sg_msg_release(void *p) {
  sg_msg *m = p;
  if (m == NULL || --m->refs > 0)
    return;
  free(m->data[0]);
  free(m->data[1]);
  free(m);
}

/* Writes the WebSocket frame header (RFC 6455 5.2: FIN, opcode, unmasked
 * length) just before the payload, so the whole frame can be copied into a
 * batch as is: server frames are the same bytes for every console. */
static void msg_frame(sg_msg *m, int format) {
  size_t len = m->len[format];
  unsigned char h[10];
  size_t n;
  h[0] = 0x80 | (format == SG_MSG_JSON ? 0x1 : 0x2);
  if (len < 126) {
    h[1] = (unsigned char)len;
    n = 2;
  } else if (len < 65536) {
    h[1] = 126;
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
    n = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; i++)
      h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    n = 10;
  }
  memcpy(m->data[format] + LWS_PRE - n, h, n);
  m->header_len[format] = (unsigned char)n;
}

static int msg_encode(sg_msg *m, const ProtobufCMessage *sm, int format) {
  if (format == SG_MSG_PB) {
    size_t len = protobuf_c_message_get_packed_size(sm);
    m->data[SG_MSG_PB] = malloc(LWS_PRE + len + 1);
    if (m->data[SG_MSG_PB] == NULL)
      return -1;
    m->len[SG_MSG_PB] = protobuf_c_message_pack(sm, m->data[SG_MSG_PB] + LWS_PRE);
    msg_frame(m, SG_MSG_PB);
    return 0;
  }
  char *json;
  size_t len;
  if (sg_pbjson_encode(sm, &json, &len) != 0)
    return -1;
  m->data[SG_MSG_JSON] = malloc(LWS_PRE + len + 1);
  if (m->data[SG_MSG_JSON] != NULL)
    memcpy(m->data[SG_MSG_JSON] + LWS_PRE, json, len + 1);
  m->len[SG_MSG_JSON] = len;
  free(json);
  if (m->data[SG_MSG_JSON] == NULL)
    return -1;
  msg_frame(m, SG_MSG_JSON);
  return 0;
}

/* Encodes sm in the formats asked for (bit 1 << FORMAT_*). */
sg_msg *sg_msg_create_message(const ProtobufCMessage *sm, int formats, sg_ring_id id) {
  sg_msg *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return NULL;
  m->refs = 1;
  m->descriptor = sm->descriptor;
  m->id = id;
  for (int f = SG_MSG_PB; f <= SG_MSG_JSON; f++) {
    if ((formats & (1 << f)) && msg_encode(m, sm, f) != 0) {
      sg_msg_release(m);
      return NULL;
    }
  }
  return m;
}

sg_msg *sg_msg_create(const Siaga__V1__ConsoleServerMessage *sm, int formats, sg_ring_id id) {
  return sg_msg_create_message(&sm->base, formats, id);
}

/* Ring messages are encoded in protobuf when read; the JSON form is made
 * the first time a JSON console needs it, from the protobuf, so a hub whose
 * consoles all speak protobuf never spends time on JSON. */
int sg_msg_ensure(sg_msg *m, int format) {
  if (m->data[format] != NULL)
    return 0;
  if (format != SG_MSG_JSON || m->data[SG_MSG_PB] == NULL)
    return -1;
  ProtobufCMessage *sm =
      protobuf_c_message_unpack(m->descriptor, NULL, m->len[SG_MSG_PB], m->data[SG_MSG_PB] + LWS_PRE);
  if (sm == NULL)
    return -1;
  int rc = msg_encode(m, sm, SG_MSG_JSON);
  protobuf_c_message_free_unpacked(sm, NULL);
  return rc;
}

/* Wraps a packed IncidentUpdate read from the stream, with its id set. */
sg_msg *sg_msg_from_update(const char *id_str, size_t id_len, const uint8_t *pb, size_t pb_len,
                           int formats) {
  sg_ring_id id;
  if (sg_ring_id_parse(id_str, id_len, &id) != 0)
    return NULL;
  Siaga__V1__IncidentUpdate *u = siaga__v1__incident_update__unpack(NULL, pb_len, pb);
  if (u == NULL) {
    sg_log(SG_LOG_ERROR, "update.undecodable", "update=%.*s msg=skipped", (int)id_len, id_str);
    return NULL;
  }
  char idbuf[48];
  sg_ring_id_format(id, idbuf, sizeof(idbuf));
  char *saved = u->id;
  u->id = idbuf;
  sg_msg *m = sg_msg_of_update(u, id, formats);
  u->id = saved;
  siaga__v1__incident_update__free_unpacked(u, NULL);
  return m;
}

sg_msg *sg_msg_of_update(const Siaga__V1__IncidentUpdate *u, sg_ring_id id, int formats) {
  Siaga__V1__ConsoleServerMessage sm = SIAGA__V1__CONSOLE_SERVER_MESSAGE__INIT;
  sm.msg_case = SIAGA__V1__CONSOLE_SERVER_MESSAGE__MSG_UPDATE;
  sm.update = (Siaga__V1__IncidentUpdate *)u;
  return sg_msg_create(&sm, formats, id);
}

int sg_msg_close_valid(const uint8_t *payload, size_t len) {
  if (len == 0)
    return 1;
  if (len == 1)
    return 0;
  unsigned code = (unsigned)payload[0] << 8 | payload[1];
  int known = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
              (code >= 3000 && code <= 4999);
  return known && sg_utf8_valid((const char *)payload + 2, len - 2);
}
