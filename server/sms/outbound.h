/* Outbound SMS: acknowledgements and status messages to citizens, read from
 * the region's outbound stream siaga:{R}:sms:out (consumer group "smsout",
 * shared by every siagad process) and sent through Kannel's sendsms HTTP
 * interface, with retries and backoff, delivery reports, and at most
 * per_number_per_minute messages to one number per minute (no loops with
 * auto-responders). A gateway outage delays messages; it never drops them.
 *
 * Entries of siaga:{R}:sms:out are written by transition.lua, in the same
 * call as the incident change they announce (the worker's report
 * transitions, console SetStatus): to (E.164), text (UTF-8), kind
 * (ack|dispatched|closed), incident (id), report (id, may be empty). Anyone
 * may XADD such an entry; one that can never be sent (no valid number, no
 * text) goes to siaga:{R}:sms:out:dead with the reason.
 *
 * Delivery is at least once: an entry stays pending in the group until the
 * gateway answered 2xx and siaga:{R}:sms:sent:<entry id> (to, kind,
 * incident, report, at, http_status, attempts; 7 days) was written together
 * with the XACK. A siagad that dies after the gateway took a message but
 * before that record sends it again from the next process.
 *
 * Other keys: siaga:{R}:sms:try:<entry id> (hash: attempts, refused; gone
 * once the entry is done), siaga:{R}:sms:limit:<to>:<unix minute> (the
 * per-number counter, 120 s). Delivery reports arrive at dlr_url and are
 * stored by sms.c. */
#ifndef SG_SMS_OUTBOUND_H
#define SG_SMS_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/redisconn.h"

typedef struct sg_sms_outbound sg_sms_outbound;

typedef struct sg_sms_outbound_options {
  const char *region;
  const char *sendsms_url;        /* Kannel sendsms URL with username and password in the query;
                                     http:// only (host name or numeric address) */
  const char *dlr_url;            /* base URL of /v1/sms/dlr as Kannel reaches it; NULL = no DLR.
                                     Kannel is asked to call dlr_url?id=<entry id>&status=%d&to=%p */
  const char *consumer;           /* consumer name in the group, unique per process */
  unsigned per_number_per_minute; /* 0 = 5; counts attempts, not only successes */
} sg_sms_outbound_options;

/* Starts following the outbound stream on two Redis connections of its own
 * (named by redis_options; the blocking read gets the second, "<name>-read").
 * Every string in options is copied. Returns NULL on bad options (an
 * unparsable sendsms URL, a region or consumer with characters outside
 * [A-Za-z0-9._-]) or out of memory. */
sg_sms_outbound *sg_sms_outbound_create(uv_loop_t *loop, const sg_redis_options *redis_options,
                                        const sg_sms_outbound_options *options);

/* Stops; messages in flight stay pending in the group and are sent again
 * by the next process (at-least-once). HTTP requests in flight are
 * abandoned; their handles, and the object itself, are freed by the loop's
 * close callbacks, so keep running the loop until it has no handles left.
 * Not from inside one of the object's own callbacks. NULL is a no-op. */
void sg_sms_outbound_destroy(sg_sms_outbound *smsout);

/* What this process did since it started (for the metrics): entries taken
 * from the stream to send (new ones and those claimed from a dead
 * process), messages the gateway took (2xx), attempts that failed (an
 * outage or a refusal; each is retried), and entries moved to the dead
 * stream. */
typedef struct sg_sms_outbound_stats {
  uint64_t taken, sent, failed, dead;
} sg_sms_outbound_stats;
const sg_sms_outbound_stats *sg_sms_outbound_stats_of(const sg_sms_outbound *smsout);
/* Entries held in memory now, waiting or being sent. */
size_t sg_sms_outbound_held(const sg_sms_outbound *smsout);

#endif
