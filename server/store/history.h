/* One incident's history for the dispatcher's detail: its audit trail
 * (every update that touched it, with who and when) and the reports that
 * joined it as their senders wrote them (channel, time, text, number).
 *
 * Two reads: the audit stream (XRANGE), then history.lua for the reports
 * the trail names, from the reports stream through the report index. A
 * report whose stream entry was trimmed away is left out of `reports`; the
 * trail still names it. */
#ifndef SG_HISTORY_H
#define SG_HISTORY_H

#include <stddef.h>

#include "store/redisconn.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_HISTORY_UPDATES_MAX 500 /* trail entries in one answer, the first ones */
#define SG_HISTORY_REPORTS_MAX 200 /* reports in one answer, the first ones */

typedef struct sg_history sg_history;

typedef enum sg_history_status {
  SG_HISTORY_OK = 0,
  SG_HISTORY_NOT_FOUND,   /* no trail: no such incident (or not kept any more) */
  SG_HISTORY_UNAVAILABLE  /* Redis down or busy, or an answer that did not decode */
} sg_history_status;

/* history is NULL unless status is SG_HISTORY_OK; valid during the call. */
typedef void (*sg_history_cb)(void *data, sg_history_status status,
                              const Siaga__V1__IncidentHistory *history);

/* redis must outlive the object. NULL on out of memory or a bad region. */
sg_history *sg_history_create(sg_redis *redis, const char *region);
void sg_history_destroy(sg_history *history);

/* Reads the history of incident id. Returns 0 and calls cb exactly once
 * later, or a negative SG_E* code without calling it (SG_EINVAL for an id
 * sg_key_id_valid refuses). */
int sg_history_read(sg_history *history, const char *id, sg_history_cb cb, void *data);

#endif
