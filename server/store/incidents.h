/* Incident reads: pages of the open incidents (snapshot.lua) and one
 * incident by id, for the HTTP API and the console hub alike.
 *
 * A page is the open set walked most urgent first from a cursor, with the
 * id of the last update in the updates stream, read in one script call. For
 * a console, a snapshot is a chain of pages from one position (the first
 * page's last update id): later pages leave out incidents changed after
 * that position, whose latest state the console gets from the updates that
 * follow, so every open incident reaches it exactly once by the pages. The
 * contract is documented in server/store/lua/snapshot.lua. */
#ifndef SG_INCIDENTS_H
#define SG_INCIDENTS_H

#include <stddef.h>
#include <stdint.h>

#include "store/redisconn.h"
#include "siaga/v1/siaga.pb-c.h"

/* "<score>:<id>": a score below 2^53 in digits, ':', an incident id. */
#define SG_INCIDENTS_CURSOR_MAX 80
#define SG_INCIDENTS_POSITION_MAX 48 /* a stream id "ms-seq" */

typedef struct sg_incidents sg_incidents;

typedef enum sg_incidents_status {
  SG_INCIDENTS_OK = 0,
  SG_INCIDENTS_UNAVAILABLE, /* Redis down, busy, or its answer did not decode */
  SG_INCIDENTS_NOT_FOUND    /* sg_incidents_get only: no such incident */
} sg_incidents_status;

typedef struct sg_incidents_query {
  const char *cursor;   /* NULL or "" = from the most urgent; else a next_cursor */
  const char *position; /* NULL or "" = a page on its own; else the position of
                           the chain's first page */
  size_t limit;         /* open set members looked at, 1.. (a page may hold fewer
                           incidents than that and still have a next cursor) */
} sg_incidents_query;

/* A page, valid only during the callback (copy what you keep). */
typedef struct sg_incidents_page {
  sg_incidents_status status;
  const char *position;    /* last update id when the page was read, "0-0" if none */
  const char *next_cursor; /* "" on the last page */
  Siaga__V1__Incident **incidents;
  size_t n_incidents;
  /* Every unit of the region, on a page read from the top (cursor ""),
   * for a console's first snapshot page (Snapshot.units); read after the
   * page's position, so a unit that changes meanwhile is in both and its
   * update, never in neither. */
  Siaga__V1__Unit **units;
  size_t n_units;
} sg_incidents_page;

typedef void (*sg_incidents_page_cb)(void *data, const sg_incidents_page *page);
/* incident is NULL unless status is SG_INCIDENTS_OK; valid during the call. */
typedef void (*sg_incidents_get_cb)(void *data, sg_incidents_status status,
                                    const Siaga__V1__Incident *incident);

/* redis must outlive the object. Returns NULL on out of memory or a bad
 * region. */
sg_incidents *sg_incidents_create(sg_redis *redis, const char *region);
void sg_incidents_destroy(sg_incidents *incidents);

/* 1 if s may be given as a cursor: what next_cursor looks like. Cursors come
 * from outside (a query parameter) and are checked before use. */
int sg_incidents_cursor_valid(const char *s);

/* Reads one page. Returns 0 and calls cb exactly once later (with
 * SG_INCIDENTS_UNAVAILABLE if the connection is lost), or a negative
 * SG_E* code without calling cb: SG_EINVAL for a bad cursor or position,
 * what sg_redis_command refused otherwise. */
int sg_incidents_page_read(sg_incidents *incidents, const sg_incidents_query *query,
                           sg_incidents_page_cb cb, void *data);

/* The incidents closed (RESOLVED or CLOSED) since since_ms, at most limit,
 * the most recent first, as one page with no cursor. Same return and
 * callback rules. transition.lua keeps a day of them. */
int sg_incidents_closed(sg_incidents *incidents, uint64_t since_ms, size_t limit,
                        sg_incidents_page_cb cb, void *data);

/* Reads one incident, any status. Same return and callback rules; SG_EINVAL
 * for an id that sg_key_id_valid refuses. */
int sg_incidents_get(sg_incidents *incidents, const char *id, sg_incidents_get_cb cb,
                     void *data);

#endif
