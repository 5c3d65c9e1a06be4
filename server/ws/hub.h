/* The console hub: dispatcher consoles on WebSocket /v1/console.
 *
 * Each console gets a snapshot of the open incidents, in pages, with the id
 * of the last update it follows from, then every update live. A console that reconnects with
 * ?after=<last update id it saw> gets exactly what it missed, or a fresh
 * snapshot when that is no longer retained.
 *
 * The hub follows the region's updates stream on its own Redis connection
 * (a blocking XREAD would stall anything queued behind it), encodes each
 * update once per subprotocol into a ring, and every console reads the ring
 * at its own position. A console that falls more than max_lag updates behind
 * is closed with code 4000 and resumes with ?after=. One slow console never
 * holds the others back. */
#ifndef SG_HUB_H
#define SG_HUB_H

#include <libwebsockets.h>
#include <stdint.h>
#include <uv.h>

#include "api/commands.h"
#include "auth/auth.h"
#include "store/redisconn.h"
#include "ws/admitted.h"
#include "ws/ring.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_HUB_PATH "/v1/console"
#define SG_HUB_PROTOCOL_PB "siaga.console.v1"
#define SG_HUB_PROTOCOL_JSON "siaga.console.v1.json"

/* WebSocket close codes of the console protocol, beside RFC 6455's. */
#define SG_HUB_CLOSE_LAGGING 4000     /* fell too far behind: resume with ?after= */
#define SG_HUB_CLOSE_RESYNC 4001      /* the server lost its place: reconnect */
#define SG_HUB_CLOSE_TRY_AGAIN 1013   /* RFC 6455 registry: the store is unavailable */
#define SG_HUB_CLOSE_SIGNED_OUT 4003  /* the session ended (sign-out, disabled, expired) */
#define SG_HUB_CLOSE_GOING_AWAY 1001  /* this siagad is stopping: resume on another, or it again */

/* A snapshot comes in pages of this many open incidents (the last ones
 * fewer), each written before the next is read: a console connecting while
 * thousands are open gets them all without one big read or message holding
 * the loop, and a console that reads slowly holds one page in the server. */
#define SG_HUB_SNAPSHOT_PAGE 500

typedef struct sg_hub sg_hub;

typedef struct sg_hub_options {
  const char *region;
  size_t ring_size;      /* updates kept in memory for all consoles; 0 = max_lag + 4096 */
  size_t max_lag;        /* updates one console may be behind; 0 = 16384, eight seconds of
                            a 2000 reports/s surge: consoles ride it out instead of
                            resyncing while the machine is busiest */
  size_t snapshot_page;  /* open set members per snapshot page; 0 = SG_HUB_SNAPSHOT_PAGE */
  size_t replay_limit;   /* most updates replayed on resume; 0 = max_lag: a console dropped
                           for lagging gets an exact replay */
  /* Identities from the gate, shared with the responders' door (it must
   * outlive the hub); NULL: the hub keeps a table of its own. */
  sg_admitted *admitted;
} sg_hub_options;

/* commands is the connection for snapshots and replays; follow_options name
 * the Redis server for the hub's own following connection. Returns NULL on
 * out of memory. */
sg_hub *sg_hub_create(uv_loop_t *loop, sg_redis *commands, const sg_redis_options *follow_options,
                      const sg_hub_options *options);

/* Closes the following connection; consoles are closed by lws itself. */
void sg_hub_destroy(sg_hub *hub);

/* The lws protocol callback for both console subprotocols; the protocol's
 * `user` must be the hub. per_session_data_size: sg_hub_session_size(). */
int sg_hub_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);
size_t sg_hub_session_size(void);

/* Who runs console commands other than Ping; without it they are refused
 * as unsupported. commands must outlive the hub. */
void sg_hub_set_commands(sg_hub *hub, sg_commands *commands);

/* Sessions: consoles are admitted by ws/gate with the signed-in identity
 * (sg_hub_admit, just before lws gets the socket), and act as that identity;
 * with auth set, their sessions are checked again whenever some session may
 * have ended, and a console whose session has is closed with 4003. auth must
 * outlive the hub. */
int sg_hub_admit(sg_hub *hub, int fd, const sg_identity *who);
void sg_hub_set_auth(sg_hub *hub, sg_auth *auth);

/* Other readers of the updates the hub's follower reads (the responders'
 * channel, the citizens' follow), so that the stream is read, and each
 * update decoded, once per process however many kinds of connection follow
 * it. The events come in stream order: started
 * once the position is known (every update after last follows), update for
 * each one (decoded, its id set; valid during the call), read_done after
 * each batch, lost when updates were lost (nothing before last can be
 * replayed); and sessions_due whenever the hub checks its consoles'
 * sessions again (sg_auth_watch: a sign-out, a disabled account or unit, a
 * new unit token), so the observer checks its own. Any event may be NULL.
 * At most SG_HUB_OBSERVERS, added before the loop runs; observer and data
 * must outlive the hub. 0, or SG_ENOSPC when there are that many already. */
#define SG_HUB_OBSERVERS 4
typedef struct sg_hub_observer {
  void (*started)(void *data, sg_ring_id last);
  void (*update)(void *data, sg_ring_id id, const Siaga__V1__IncidentUpdate *update);
  void (*read_done)(void *data);
  void (*lost)(void *data, sg_ring_id last, const char *reason);
  void (*sessions_due)(void *data);
} sg_hub_observer;
int sg_hub_add_observer(sg_hub *hub, const sg_hub_observer *observer, void *data);

/* Consoles connected now (for /healthz and benchmarks). */
size_t sg_hub_sessions(const sg_hub *hub);
/* Closes every console with code and reason (a drained stop: 1001); each
 * resumes with ?after= on whichever siagad answers. */
void sg_hub_close_all(sg_hub *hub, int code, const char *reason);

/* Consoles closed with SG_HUB_CLOSE_LAGGING so far (for the metrics). */
uint64_t sg_hub_lag_drops(const sg_hub *hub);
/* The connection that follows the updates stream (for the metrics). */
const sg_redis *sg_hub_follow_redis(const sg_hub *hub);

#endif
