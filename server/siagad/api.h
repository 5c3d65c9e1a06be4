/* The HTTP API of siagad: report ingest, incident reads, health, and the
 * console page. Routes and status codes are listed in README.md.
 *
 * Every request body is hostile until validated: bodies need a
 * Content-Length (411 otherwise, chunked included), at most 64 KiB (413), a
 * known Content-Type (415), and must decode and validate (400, with a JSON
 * body {"code","message"}). A report is answered 202 only after Redis
 * confirmed the append; Redis unavailable gives 503 with Retry-After. */
#ifndef SG_API_H
#define SG_API_H

#include <libwebsockets.h>

#include "hub.h"
#include "ingest.h"
#include "redisconn.h"
#include "sms.h"

typedef struct sg_api sg_api;

/* redis, ingest, hub and sms must outlive the api object. Returns NULL on out of
 * memory. */
sg_api *sg_api_create(sg_redis *redis, sg_ingest *ingest, sg_hub *hub, sg_sms *sms,
                      const char *region);
void sg_api_destroy(sg_api *api);

/* The lws protocol callback serving the "/" mount; the protocol's `user`
 * must be the api object. per_session_data_size: sg_api_session_size(). */
int sg_api_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);
size_t sg_api_session_size(void);

#endif
