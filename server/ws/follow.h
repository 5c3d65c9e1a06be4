/* The console hub's follower of the region's updates stream.
 *
 * It owns its own Redis connection (a blocking XREAD would stall anything
 * queued behind it) and the stream position: on each (re)connect it asks
 * follow.lua where the stream is, then XREADs in batches. A full batch means
 * it is behind, so it checks whether the writers' MAXLEN trimmed entries it
 * never read; if so, or if Redis came back with less than was read, the hub
 * is told its consoles lost their place. The follower neither encodes nor
 * stores updates: it hands each one to the hub's events. */
#ifndef SG_WS_FOLLOW_H
#define SG_WS_FOLLOW_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/redisconn.h"
#include "ws/ring.h"

typedef struct sg_follow sg_follow;

typedef struct sg_follow_events {
  /* Called once, when the stream's position is first known: every update
   * after last will be delivered. */
  void (*started)(void *data, sg_ring_id last);
  /* One update read, in stream order: the entry's id as Redis wrote it and
   * its packed IncidentUpdate. The bytes live only during the call. */
  void (*update)(void *data, const char *id, size_t id_len, const uint8_t *pb, size_t pb_len);
  /* After each batch of updates. */
  void (*read_done)(void *data);
  /* Updates were lost (trimmed unread, or Redis went back in time); the
   * follower goes on after last, and nothing before it can be replayed. */
  void (*lost)(void *data, sg_ring_id last, const char *reason);
} sg_follow_events;

/* k_updates is copied; events and data must outlive the follower. Returns
 * NULL on failure (out of memory, follow.lua missing). */
sg_follow *sg_follow_create(uv_loop_t *loop, const sg_redis_options *options, const char *k_updates,
                            const sg_follow_events *events, void *data);

/* Closes the connection; no event is called after this. NULL-safe. */
void sg_follow_destroy(sg_follow *f);

/* The follower's own connection (for the metrics). */
const sg_redis *sg_follow_redis(const sg_follow *f);

/* Updates per XREAD: a console's position in a ring of at least
 * max_lag + SG_FOLLOW_BATCH never leaves it. */
#define SG_FOLLOW_BATCH 256

#endif
