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
 * 401; with no secret configured, only loopback clients are accepted (403):
 * through a trusted proxy, the client it names (http/peer.h).
 * Query names, headers and answers are documented in README.md, "SMS". */
#ifndef SG_SMS_H
#define SG_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "http/peer.h"
#include "http/server.h"
#include "store/ingest.h"
#include "store/redisconn.h"

typedef struct sg_sms sg_sms;

typedef struct sg_sms_options {
  const char *region;
  const char *webhook_secret; /* NULL: loopback clients only */
  const sg_peer_trust *trust; /* proxies believed about the client; NULL: none. Outlives sms */
  const char *twilio_token;   /* NULL: Twilio signatures not checked */
  const char *public_url;     /* base URL gateways call, for Twilio signatures; NULL = from Host */
  const char *gazetteer_path; /* places for free-text locations; NULL = the built-in
                                palangka-raya.tsv */
} sg_sms_options;

/* ingest and redis must outlive the object (pending Redis commands are
 * answered by sg_redis_destroy, which must come first). Returns NULL on out
 * of memory or an unreadable gazetteer. */
sg_sms *sg_sms_create(sg_ingest *ingest, sg_redis *redis, const sg_sms_options *options);
void sg_sms_destroy(sg_sms *sms);

/* Asked first about every inbound text: is the sender a unit's crew phone
 * (dispatch's sg_dispatch_sms has this shape)? done(data, 1) when it was and
 * the text was handled, 0 when it is a citizen's (the usual path follows),
 * -1 when that could not be told (503: the gateway retries). */
typedef void (*sg_sms_unit_done_cb)(void *data, int matched);
typedef void (*sg_sms_unit_fn)(void *hook_data, const char *from, const char *text, size_t len,
                               sg_sms_unit_done_cb done, void *data);
void sg_sms_set_unit_hook(sg_sms *sms, sg_sms_unit_fn fn, void *hook_data);

/* The webhooks' routes: every path under it is the sms handler's (an
 * unknown one is answered 404). */
#define SG_SMS_ROUTE_PREFIX "/v1/sms/"

/* The handler of the webhooks, for sg_http (or an sg_http_router route):
 * handler_data is the sms object, request_data_size is
 * sg_sms_request_size(). GET, or POST with a Content-Length of at most
 * 64 KiB (405, 411, 413 otherwise, as the api answers). */
extern const sg_http_handler sg_sms_handler;
size_t sg_sms_request_size(void);

#endif
