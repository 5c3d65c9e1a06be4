/* The citizens' side of siagad in one piece for main to wire: following a
 * report over HTTP and WebSocket, the app's page, and the flags on app
 * reports (README "Following a report", "The citizens' app"). It owns its
 * lookup, the HTTP handler, the follow table and the abuse counters. */
#ifndef SG_CITIZEN_H
#define SG_CITIZEN_H

#include <libwebsockets.h>

#include "citizen/abuse.h"
#include "citizen/follow.h"
#include "citizen/track.h"
#include "http/router.h"
#include "store/redisconn.h"

typedef struct sg_citizen sg_citizen;

/* redis and ingest must outlive it; sms_number as sg_citizen_track_create (NULL: 112).
 * NULL on out of memory or a bad number. */
sg_citizen *sg_citizen_create(sg_redis *redis, sg_ingest *ingest, const char *region,
                              const char *sms_number);
/* After the sg_http serving its routes and the lws context with its
 * protocol are destroyed. NULL-safe. */
void sg_citizen_destroy(sg_citizen *c);

/* The router entries of its HTTP paths (SG_CITIZEN_ROUTES of them). */
#define SG_CITIZEN_ROUTES 3
void sg_citizen_routes(sg_citizen *c, sg_http_route out[SG_CITIZEN_ROUTES]);

/* The lws protocol of /v1/follow, for the context's protocol list. */
struct lws_protocols sg_citizen_protocol(sg_citizen *c);

/* The abuse counters, to give the api (sg_api_set_abuse). */
sg_citizen_abuse *sg_citizen_abuse_of(sg_citizen *c);

/* The follow table, to give the hub as an observer (sg_citizen_follow_observer). */
sg_citizen_follow *sg_citizen_follower(sg_citizen *c);

#endif
