/* The responders' channel: a unit's crew on WebSocket /v1/responder.
 *
 * A connection is admitted by ws/gate with the unit's identity ({unit id,
 * SG_ROLE_RESPONDER}) and gets first a ResponderHello (its unit, its open
 * assignment and that incident as the crew sees it, and the update id it
 * follows from), then every update of the region's updates stream that
 * concerns its unit: an AssignmentOffer when an assignment to it is
 * OFFERED, AssignmentCancelled when one is cancelled or timed out, and a
 * ResponderUpdate for any other change of the unit or its assignment, and
 * for a change of an incident the unit is assigned to (a CrewIncident,
 * never another unit's business). A connection that reconnects with
 * ?resume=<last update id> gets exactly what it missed instead of the
 * hello, or the hello when that is no longer retained (as consoles resume).
 * It sends ResponderCommands (accept, decline, status, position, notes),
 * each answered by a CommandReply and run by sg_dispatch as the unit.
 *
 * The stream is read once per process, by the console hub's follower
 * (sg_hub_add_observer with sg_responder_observer): what concerns a unit is
 * encoded once per unit and the same bytes go to each of its connections.
 * Updates that concern some unit are also kept in a ring so that a
 * connection being synced (hello or replay in flight) misses none of those
 * that arrive meanwhile.
 *
 * A unit disabled (its UNIT_CHANGED update) closes its connections at once;
 * whenever the hub checks sessions again (sg_auth's epoch, which siaga-admin
 * bumps on unit disable and unit token), every connection's token is
 * checked again, and one that no longer opens its unit is closed.
 *
 * Close codes are the console's (ws/hub.h): 4000 fell behind (resume),
 * 4001 the server lost its place (reconnect), 1013 the store is
 * unavailable, 4003 the unit was disabled or its token replaced. */
#ifndef SG_RESPONDER_H
#define SG_RESPONDER_H

#include <libwebsockets.h>
#include <stdint.h>
#include <uv.h>

#include "auth/auth.h"
#include "dispatch/dispatch.h"
#include "store/redisconn.h"
#include "ws/admitted.h"
#include "ws/hub.h"

#define SG_RESPONDER_PATH "/v1/responder"
#define SG_RESPONDER_PROTOCOL_PB "siaga.responder.v1"
#define SG_RESPONDER_PROTOCOL_JSON "siaga.responder.v1.json"
#define SG_RESPONDER_COOKIE "siaga_unit" /* the page may keep the unit's token here */

typedef struct sg_responder sg_responder;

typedef struct sg_responder_options {
  const char *region;
  /* Identities from the gate, the table the hub takes consoles' from (it
   * must outlive the responder). */
  sg_admitted *admitted;
  size_t max_queue;    /* messages one connection may leave unread; 0 = 256 */
  size_t ring_size;    /* updates about units kept for connections syncing; 0 = 4096 */
  size_t replay_limit; /* most updates replayed on resume; 0 = 16384 */
} sg_responder_options;

/* commands (for replays), dispatch and admitted must outlive the object.
 * NULL on out of memory or a bad region. */
sg_responder *sg_responder_create(uv_loop_t *loop, sg_redis *commands, sg_dispatch *dispatch,
                                  const sg_responder_options *options);

/* Connections still open are detached (lws closes them after this). */
void sg_responder_destroy(sg_responder *responder);

/* The gate admitted a unit's upgrade on fd, by token (kept to check it
 * again): 0, or SG_ENOMEM. */
int sg_responder_admit(sg_responder *responder, int fd, const sg_identity *who, const char *token);

/* The lws protocol callback for both subprotocols; the protocol's `user`
 * must be the responder. per_session_data_size: sg_responder_session_size(). */
int sg_responder_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len);
size_t sg_responder_session_size(void);

/* For sg_hub_add_observer, with the responder as data. */
extern const sg_hub_observer sg_responder_observer;

/* Responder connections open now. */
size_t sg_responder_sessions(const sg_responder *responder);

/* Closes every crew's connection with code and reason (a drained stop:
 * 1001); each resumes with ?resume= on whichever siagad answers. */
void sg_responder_close_all(sg_responder *responder, int code, const char *reason);
/* Connections closed with SG_HUB_CLOSE_LAGGING so far (for the metrics). */
uint64_t sg_responder_lag_drops(const sg_responder *responder);

#endif
