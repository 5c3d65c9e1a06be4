/* The Kannel side of outbound SMS: the parsed sendsms URL and the DLR base
 * URL, one sendsms GET per attempt, and what its HTTP status means for the
 * message. No Redis and no retries here; outbound.c decides what to do with
 * the verdict.
 *
 * Ownership: a gateway copies every string it is given and is freed with
 * sg_sms_gateway_destroy. A request it starts belongs to the HTTP client
 * (http/client.h): it calls cb exactly once unless cancelled first with
 * sg_http_client_cancel. The gateway may be destroyed while requests are in
 * flight; they do not point at it. */
#ifndef SG_SMS_GATEWAY_H
#define SG_SMS_GATEWAY_H

#include <stddef.h>
#include <uv.h>

#include "http/client.h"

typedef struct sg_sms_gateway sg_sms_gateway;

/* sendsms_url: Kannel sendsms URL with username and password in the query,
 * http:// only. dlr_url: base URL Kannel calls with delivery reports, or
 * NULL for none. Returns NULL on an unparsable sendsms URL or out of
 * memory. */
sg_sms_gateway *sg_sms_gateway_create(const char *sendsms_url, const char *dlr_url);

/* NULL is a no-op. */
void sg_sms_gateway_destroy(sg_sms_gateway *g);

/* Results of sg_sms_gateway_send. */
#define SG_SMS_GATEWAY_STARTED 0
#define SG_SMS_GATEWAY_AGAIN -1    /* out of memory or no request started: try later */
#define SG_SMS_GATEWAY_TOO_LONG -2 /* the text never fits in a sendsms URL */

/* Starts the sendsms GET for one message (UTF-8 text of text_len bytes to
 * the number to, with a DLR for entry_id when the gateway has a dlr_url).
 * On SG_SMS_GATEWAY_STARTED *req is the request and cb will be called; on
 * anything else *req is NULL and cb is never called. */
int sg_sms_gateway_send(const sg_sms_gateway *g, uv_loop_t *loop, const char *to, const char *text,
                        size_t text_len, const char *entry_id, sg_http_client_cb cb, void *data,
                        sg_http_client **req);

typedef enum sg_sms_gateway_verdict {
  SG_SMS_GATEWAY_SENT,   /* 2xx: the gateway took it */
  SG_SMS_GATEWAY_OUTAGE, /* unreachable (status 0), 429 or 5xx: wait, never give up */
  SG_SMS_GATEWAY_REFUSED /* any other status: the message itself may be the reason */
} sg_sms_gateway_verdict;

sg_sms_gateway_verdict sg_sms_gateway_verdict_of(int status);

#endif
