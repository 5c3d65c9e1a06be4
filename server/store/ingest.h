/* Ingest: append a validated report to the region's reports stream, once per
 * idempotency key, and tell the caller only after Redis confirmed it. Shared
 * by every inbound channel (app HTTP, SMS gateways). */
#ifndef SG_INGEST_H
#define SG_INGEST_H

#include "core/ids.h"
#include "store/redisconn.h"
#include "siaga/v1/siaga.pb-c.h"

typedef struct sg_ingest sg_ingest;

typedef enum sg_ingest_status {
  SG_INGEST_OK = 0,
  SG_INGEST_DUPLICATE,   /* key seen before: report_id/token are the first answer's */
  SG_INGEST_UNAVAILABLE, /* Redis down, busy or lost the reply: retry later */
  SG_INGEST_FAILED       /* Redis refused (e.g. out of memory) */
} sg_ingest_status;

typedef struct sg_ingest_result {
  sg_ingest_status status;
  char report_id[SG_REPORT_ID_LEN + 1];
  char token[SG_TOKEN_LEN + 1];
} sg_ingest_result;

typedef void (*sg_ingest_cb)(void *data, const sg_ingest_result *result);

/* redis must outlive the ingest object. Returns NULL on out of memory. */
sg_ingest *sg_ingest_create(sg_redis *redis, const char *region);
void sg_ingest_destroy(sg_ingest *ingest);

/* With min_replicas > 0, a result is OK or DUPLICATE only once "WAIT
 * min_replicas timeout_ms" confirmed that the append reached that many
 * replicas; else UNAVAILABLE (the report may be stored: a retry with its
 * idempotency key gets the same answer). WAIT counts the writes of its own
 * connection and holds it while it waits, so give ingest a connection of its
 * own. One WAIT is in flight at a time and covers every append answered
 * before it was sent. */
void sg_ingest_set_min_replicas(sg_ingest *ingest, unsigned min_replicas, unsigned timeout_ms);

/* Assigns the report's id, receive time and idempotency key (key may be
 * NULL), packs it and appends it. cb is called exactly once, possibly before
 * this returns (Redis unavailable). The report stays the caller's. */
void sg_ingest_submit(sg_ingest *ingest, Siaga__V1__Report *report, const char *key,
                      sg_ingest_cb cb, void *data);

#endif
