/* What the responder channel's files share (responder.c: connections,
 * sync, lws; responder_commands.c: what crews send; responder_feed.c: which
 * updates concern a unit and what it is sent). Not for other modules. */
#ifndef SG_RESPONDER_INTERNAL_H
#define SG_RESPONDER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/pending.h"
#include "store/keys.h"
#include "ws/msg.h"
#include "ws/responder.h"
#include "ws/ring.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_RESPONDER__RX_MAX 16384   /* largest command a crew sends, bytes */
#define SG_RESPONDER__REPLIES_MAX 16 /* commands a connection may leave unanswered */
#define SG_RESPONDER__BUCKETS 256    /* connections by unit id */

typedef struct session session;

typedef enum session_state {
  SESSION_WAIT_FOLLOW, /* the follower does not know the stream's position yet */
  SESSION_SYNCING,     /* the hello or the replay is being read */
  SESSION_LIVE,
  SESSION_CLOSING
} session_state;

struct session {
  struct lws *wsi;
  sg_responder *r;
  int format;
  session_state state;
  session *prev, *next; /* in the unit's bucket */
  sg_identity who;      /* who.name is the unit id */
  char token[SG_BEARER_LEN + 1];
  int resume;      /* asked for ?resume= */
  sg_ring_id last; /* every update up to this one is dealt with */
  uint64_t pos;    /* while syncing: the ring's head when the sync began */
  sg_msg *hello;   /* while replaying: sent if the replay cannot be exact */
  sg_ring_id hello_last;
  sg_ring_queue q;    /* of sg_msg, in order */
  sg_ring_queue held; /* replies made while syncing, sent once live */
  sg_pending *ops;
  size_t replies_due;
  unsigned char *rx;
  size_t rx_len;
  int rx_overflow;
  int attempts;
  int close_code;
  char close_reason[64];
  sg_dispatch_presence *presence; /* since the hello: the unit's app is connected */
};

struct sg_responder {
  uv_loop_t *loop;
  sg_redis *commands;
  sg_dispatch *dispatch;
  sg_admitted *admitted;
  char k_updates[SG_KEY_MAX];
  char sha_resume[SG_REDIS_SHA_LEN + 1];
  char replay_limit[24];
  size_t max_queue;
  sg_ring ring; /* of sg_msg holding the packed IncidentUpdate: those about some unit */
  int following;
  int destroying;
  session *buckets[SG_RESPONDER__BUCKETS];
  size_t n_sessions;
  uint64_t lag_drops; /* connections closed with 4000 */
};

/* Queues a message for this connection only. */
void sg_responder__send(session *s, const Siaga__V1__ResponderServerMessage *sm);
void sg_responder__send_error(session *s, const char *code, const char *message);
/* The same for a command's reply, held while the connection syncs. */
void sg_responder__reply(session *s, const Siaga__V1__ResponderServerMessage *sm);
/* Closes with code and reason once what is queued is written. */
void sg_responder__close(session *s, int code, const char *reason);
/* A frame (or fragment) the crew sent (responder_commands.c). */
void sg_responder__receive(session *s, const void *in, size_t len);

/* An incident lists at most 20 assignments (siaga.proto), so an update
 * concerns at most its own unit, its assignment's and those 20. */
#define SG_RESPONDER__UNITS_MAX 22

/* The units an update concerns: the unit it is about (its record or its
 * assignment), and every unit with
 * an open assignment (offered, delivered, seen, accepted) to its incident.
 * Writes pointers into u to ids; returns how many (0 = none: the update
 * concerns no unit). */
size_t sg_responder__units_of(const Siaga__V1__IncidentUpdate *u,
                              const char *ids[SG_RESPONDER__UNITS_MAX]);

/* What unit_id is sent about u (whose id is the stream id, id): *out is a
 * new message in the formats asked for (bit 1 << SG_MSG_*), or NULL when u
 * is not for that unit (another unit's status or position). 0, or -1 when
 * out of memory. */
int sg_responder__message_for(const Siaga__V1__IncidentUpdate *u, sg_ring_id id,
                              const char *unit_id, int formats, sg_msg **out);

/* 1 if the update disables unit_id (its connections then close). */
int sg_responder__disables(const Siaga__V1__IncidentUpdate *u, const char *unit_id);

#endif
