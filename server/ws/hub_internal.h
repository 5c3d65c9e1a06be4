/* What the hub's files share (hub.c: sessions, sync, the follower, lws;
 * hub_commands.c: what consoles send). Not for other modules. */
#ifndef SG_HUB_INTERNAL_H
#define SG_HUB_INTERNAL_H

#include <libwebsockets.h>

#include "core/pending.h"
#include "store/incidents.h"
#include "store/keys.h"
#include "ws/admitted.h"
#include "ws/follow.h"
#include "ws/hub.h"
#include "ws/msg.h"
#include "ws/ring.h"

#define SG_HUB__RX_MAX 65536           /* largest console command, bytes */
#define SG_HUB__PENDING_REPLIES_MAX 64 /* replies a console may leave unread */
#define SG_HUB__BATCH_MAX 65536        /* bytes of frames sent to one console in one write */

typedef struct hub_session hub_session;


typedef enum session_state {
  SESSION_SYNCING,     /* waiting for a snapshot or a replay */
  SESSION_WAIT_FOLLOW, /* synced, waiting for the hub to follow the stream */
  SESSION_LIVE,
  SESSION_CLOSING
} session_state;

struct hub_session {
  struct lws *wsi;
  sg_hub *hub;
  int format;
  session_state state;
  hub_session *prev, *next;
  uint64_t pos;   /* next ring position to send */
  sg_ring_id last; /* last update queued for this console */
  sg_ring_queue q; /* private messages: snapshot, replay, replies */
  sg_pending *ops; /* Redis requests in flight for this console */
  unsigned char *rx;
  size_t rx_len;
  int rx_overflow;
  int attempts;
  /* A snapshot in pages: the position of its first page, the cursor of the
   * next, and whether that page is to be read once this console has taken
   * everything queued (so a console that reads slowly holds one page here). */
  char snap_position[SG_INCIDENTS_POSITION_MAX];
  char snap_cursor[SG_INCIDENTS_CURSOR_MAX];
  int snap_page_due;
  int close_code;
  char close_reason[64];
  sg_identity who; /* the signed-in account the console acts as */
};

struct sg_hub {
  uv_loop_t *loop;
  sg_redis *commands;
  sg_follow *follow;
  sg_commands *commands_runner;
  sg_incidents *incidents;
  char k_updates[SG_KEY_MAX];
  char sha_resume[SG_REDIS_SHA_LEN + 1];
  size_t snapshot_page;
  char replay_limit[24];
  size_t max_lag;

  unsigned char batch[LWS_PRE + SG_HUB__BATCH_MAX]; /* one console's frames, one callback at a time */

  sg_ring ring; /* of sg_msg, encoded in protobuf */
  int following;
  int destroying;

  hub_session *sessions;
  size_t n_sessions;
  uint64_t lag_drops;    /* consoles closed with 4000 */
  sg_admitted *admitted; /* identities of upgrades lws has not established yet */
  int owns_admitted;
  struct {
    const sg_hub_observer *events;
    void *data;
  } observers[SG_HUB_OBSERVERS];
  size_t n_observers;
  sg_auth *auth;
};

/* Closes the console with code and reason once what is queued is written. */
void sg_hub__session_close(hub_session *s, int code, const char *reason);
/* Queues a server message for this console only. */
void sg_hub__session_send(hub_session *s, const Siaga__V1__ConsoleServerMessage *sm);
void sg_hub__session_send_error(hub_session *s, const char *code, const char *message);

/* A frame (or fragment) the console sent (hub_commands.c). */
void sg_hub__receive(hub_session *s, const void *in, size_t len);

#endif
