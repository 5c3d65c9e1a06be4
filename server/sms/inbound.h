/* Inbound SMS: the webhooks SMS gateways call, normalised into the same
 * Report as the app path (channel SMS, or AML for the handset's automatic
 * location message) and stored through ingest.
 *
 *   /v1/sms/kannel    Kannel sms-service, get-url (GET, query) and post-url
 *                     (POST, raw text body, X-Kannel-* headers, id=%I query)
 *   /v1/sms/twilio    Twilio-style form POST (From, Body, MessageSid), the
 *                     X-Twilio-Signature checked when a token is configured
 *   /v1/sms/inbound   generic JSON for other providers (see README)
 *   /v1/sms/dlr       Kannel delivery reports for outbound messages
 *
 * The gateway's message id is the idempotency key, so a gateway that retries
 * never makes a second report. A webhook without the configured shared
 * secret (query parameter `secret` or header X-Siaga-Secret) is refused with
 * 401; with no secret configured, only loopback peers are accepted (403).
 * Query names, headers and answers are documented in README.md, "SMS". */
#ifndef SG_SMS_H
#define SG_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "http/server.h"
#include "store/ingest.h"
#include "store/redisconn.h"

typedef struct sg_sms sg_sms;

typedef struct sg_sms_options {
  const char *region;
  const char *webhook_secret; /* NULL: loopback peers only */
  const char *twilio_token;   /* NULL: Twilio signatures not checked */
  const char *public_url;     /* base URL gateways call, for Twilio signatures; NULL = from Host */
  const char *gazetteer_path; /* places for free-text locations; NULL = the built-in
                                palangka-raya.tsv */
} sg_sms_options;

/* One webhook request, as read by the HTTP layer. http is valid only during
 * sg_sms_handle (headers, query, peer address). */
typedef struct sg_sms_request {
  sg_http_request *http;
  const char *path; /* e.g. "/v1/sms/kannel" */
  int is_post;
  const uint8_t *body; /* the whole body (POST), NULL for GET */
  size_t body_len;
} sg_sms_request;

/* Sends the HTTP answer; called exactly once per request, possibly before
 * sg_sms_handle returns. body is copied. */
typedef void (*sg_sms_reply_fn)(void *ctx, int status, const char *content_type,
                                const char *body, size_t len);

/* ingest and redis must outlive the object (pending Redis commands are
 * answered by sg_redis_destroy, which must come first). Returns NULL on out
 * of memory or an unreadable gazetteer. */
sg_sms *sg_sms_create(sg_ingest *ingest, sg_redis *redis, const sg_sms_options *options);
void sg_sms_destroy(sg_sms *sms);

/* 1 if path is one of the webhooks above. */
int sg_sms_route(const char *path);

void sg_sms_handle(sg_sms *sms, const sg_sms_request *request, sg_sms_reply_fn reply, void *ctx);

#endif
