/* One encoded server message (a console's or a responder's), shared by every
 * connection that sends it.
 *
 * The buffers have LWS_PRE bytes of headroom whose tail holds the WebSocket
 * frame header; server frames are not masked, so the same bytes go to every
 * connection. Reference counted: whoever holds a message holds a reference,
 * created with one; sg_msg_release drops it and frees the last. Pure
 * encoding, no I/O. */
#ifndef SG_WS_MSG_H
#define SG_WS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "ws/ring.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_MSG_PB 0
#define SG_MSG_JSON 1

typedef struct sg_msg {
  unsigned refs;
  const ProtobufCMessageDescriptor *descriptor; /* of what is encoded */
  sg_ring_id id;          /* the update's id; zero for snapshots and replies */
  unsigned char *data[2]; /* LWS_PRE headroom, whose tail holds the frame header */
  size_t len[2];
  unsigned char header_len[2];
} sg_msg;

/* 1 if a client's close frame payload may be answered in kind (RFC 6455
 * 5.5.1, 7.4): empty, or a code of 1000-1003, 1007-1011 or 3000-4999
 * followed by UTF-8. lws echoes what it does not know, 5000 and a 1-byte
 * payload among them; the doors fail those connections with 1002. */
int sg_msg_close_valid(const uint8_t *payload, size_t len);

/* NULL-safe. Takes void * so it serves as the ring's release function. */
void sg_msg_release(void *m);

/* Encodes sm in the formats asked for (bit 1 << SG_MSG_*); NULL on failure. */
sg_msg *sg_msg_create(const Siaga__V1__ConsoleServerMessage *sm, int formats, sg_ring_id id);
/* The same for any message (a ResponderServerMessage). */
sg_msg *sg_msg_create_message(const ProtobufCMessage *message, int formats, sg_ring_id id);

/* Makes the format's encoding if it is missing (JSON from protobuf); -1 on
 * failure. */
int sg_msg_ensure(sg_msg *m, int format);

/* Wraps a packed IncidentUpdate read from the stream, with its id set; NULL
 * when the id or the update does not decode. */
sg_msg *sg_msg_from_update(const char *id_str, size_t id_len, const uint8_t *pb, size_t pb_len,
                           int formats);
/* Wraps a decoded one whose id is set. */
sg_msg *sg_msg_of_update(const Siaga__V1__IncidentUpdate *update, sg_ring_id id, int formats);

#endif
