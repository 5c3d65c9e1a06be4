/* What siagad shows at GET /metrics besides the request counters of
 * http/metrics_http.h: connections open (HTTP, consoles, responders,
 * citizens following a report), updates fanned out and lost, consoles
 * dropped for lagging, the Redis commands connection, and outbound SMS.
 * Most are read from their module at scrape time; the updates are counted
 * by an observer of the hub (the object here). The README's "Metrics" section lists them all.
 *
 * Every source but smsout (NULL without --kannel-sendsms) must be given and
 * outlive every scrape: siagad destroys its HTTP server, the one way in,
 * before them. */
#ifndef SG_SIAGAD_METRICS_H
#define SG_SIAGAD_METRICS_H

#include "citizen/follow.h"
#include "core/metrics.h"
#include "http/server.h"
#include "sms/outbound.h"
#include "store/redisconn.h"
#include "ws/hub.h"
#include "ws/responder.h"

typedef struct sg_siagad_metrics_sources {
  const sg_http *http;
  sg_hub *hub;
  const sg_responder *responder;
  const sg_citizen_follow *follow;
  const sg_redis *redis;        /* the commands connection */
  const sg_redis *follow_redis; /* the hub's, following the updates stream */
  const sg_sms_outbound *smsout;
} sg_siagad_metrics_sources;

/* The hub's observer that counts updates; the series it registers in m
 * live in m. */
typedef struct sg_siagad_metrics sg_siagad_metrics;

/* Registers the series in m and the observer with the hub. NULL on out of
 * memory, or when the hub has all the observers it takes. */
sg_siagad_metrics *sg_siagad_metrics_create(sg_metrics *m,
                                            const sg_siagad_metrics_sources *sources);
/* After the hub was destroyed. NULL is a no-op. */
void sg_siagad_metrics_destroy(sg_siagad_metrics *counts);

#endif
