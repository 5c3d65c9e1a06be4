/* GET /healthz: whether this siagad can serve, and what an operator wants
 * to see at a glance (README "GET /healthz"): Redis, the consoles, the
 * triage workers connected, the triage group's backlog, and the
 * outbound SMS waiting, with a warning for each thing that is wrong but does
 * not stop serving. 200 while Redis answers, 503 (Retry-After) when not.
 *
 * Ownership: redis and hub must outlive it. */
#ifndef SG_HEALTH_H
#define SG_HEALTH_H

#include <stddef.h>

#include "http/server.h"
#include "store/redisconn.h"
#include "ws/hub.h"

#define SG_HEALTH_PATH "/healthz"

typedef struct sg_health sg_health;

/* sms_sender: whether this siagad sends SMS replies (--kannel-sendsms).
 * NULL on out of memory or a bad region. */
sg_health *sg_health_create(sg_redis *redis, sg_hub *hub, const char *region, int sms_sender);
void sg_health_destroy(sg_health *health);

/* For the router, at SG_HEALTH_PATH. */
extern const sg_http_handler sg_health_handler;
size_t sg_health_request_size(void);

#endif
