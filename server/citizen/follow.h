/* Following a report live: the WebSocket /v1/follow?report=ID&token=T,
 * subprotocol SG_CITIZEN_FOLLOW_PROTOCOL. The first message is the
 * report's status (siaga.v1.ReportStatus in proto3 JSON, as GET
 * /v1/reports/{id} answers), then one message each time that status
 * changes. The citizen sends nothing; what it sends is ignored.
 *
 * No XREAD per citizen: the hub's one follower of the updates stream hands
 * every update, decoded once, to sg_citizen_follow_observer, which looks up
 * who follows that incident (or that report, while it is not yet filed) in
 * a table. Each follower holds at most one unsent message, the latest
 * status: a citizen who reads slowly costs one message, never a queue.
 *
 * Close codes: 4004 unknown report or wrong token (alike), 1013 the store
 * is unavailable or the process follows its most (50,000) already
 * (reconnect later). */
#ifndef SG_CITIZEN_FOLLOW_H
#define SG_CITIZEN_FOLLOW_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#include "citizen/lookup.h"
#include "ws/hub.h"

#define SG_CITIZEN_FOLLOW_PROTOCOL "siaga.follow.v1.json"
#define SG_CITIZEN_FOLLOW_PATH "/v1/follow"
#define SG_CITIZEN_CLOSE_NOT_FOUND 4004
#define SG_CITIZEN_CLOSE_TRY_AGAIN 1013

typedef struct sg_citizen_follow sg_citizen_follow;

/* lookup must outlive the object. NULL on out of memory. */
sg_citizen_follow *sg_citizen_follow_create(sg_citizen_lookup *lookup);
/* After lws has closed every connection. NULL-safe. */
void sg_citizen_follow_destroy(sg_citizen_follow *follow);

/* An observer of the hub (ws/hub.h): each update of the updates stream, and
 * word that some were lost, after which every follower's report is read
 * again (a status may have changed unseen). */
extern const sg_hub_observer sg_citizen_follow_observer;

/* The lws protocol callback; the protocol's user is the follow object and
 * its per_session_data_size sg_citizen_follow_session_size(). */
int sg_citizen_follow_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                               void *in, size_t len);
size_t sg_citizen_follow_session_size(void);

/* Citizens following now. */
size_t sg_citizen_follow_count(const sg_citizen_follow *follow);

/* Closes every citizen's follow socket with code and reason (a drained
 * stop: 1001); the page follows again on whichever siagad answers. */
void sg_citizen_follow_close_all(sg_citizen_follow *follow, int code, const char *reason);

#endif
