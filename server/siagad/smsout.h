/* Outbound SMS: acknowledgements and status messages to citizens, read from
 * the region's outbound stream siaga:{R}:sms:out (consumer group "smsout",
 * shared by every siagad process) and sent through Kannel's sendsms HTTP
 * interface, with retries and backoff, delivery reports, and at most
 * per_number_per_minute messages to one number per minute (no loops with
 * auto-responders). A gateway outage delays messages; it never drops them.
 *
 * Entries of siaga:{R}:sms:out (written by the worker and by console
 * commands): to (E.164), text (UTF-8), kind (ack|dispatched|closed),
 * incident (id), report (id, may be empty). */
#ifndef SG_SMSOUT_H
#define SG_SMSOUT_H

#include <uv.h>

#include "redisconn.h"

typedef struct sg_smsout sg_smsout;

typedef struct sg_smsout_options {
  const char *region;
  const char *sendsms_url;   /* Kannel sendsms URL with username and password in the query */
  const char *dlr_url;       /* base URL of /v1/sms/dlr as Kannel reaches it; NULL = no DLR */
  const char *consumer;      /* consumer name in the group, unique per process */
  unsigned per_number_per_minute; /* 0 = 5 */
} sg_smsout_options;

/* Starts following the outbound stream on its own Redis connection (named by
 * redis_options). Returns NULL on bad options or out of memory. */
sg_smsout *sg_smsout_create(uv_loop_t *loop, const sg_redis_options *redis_options,
                            const sg_smsout_options *options);

/* Stops; messages in flight stay pending in the group and are sent again
 * by the next process (at-least-once). */
void sg_smsout_destroy(sg_smsout *smsout);

#endif
