/* An asynchronous Redis connection on a libuv loop, over hiredis 0.14.
 *
 * Why not hiredis's own adapters/libuv.h: it ignores poll errors, so a
 * refused connect never reports and the connection hangs for ever. This one
 * passes errors on, bounds connect time, reconnects with backoff, caps the
 * commands in flight, and reloads the registered Lua scripts on every
 * (re)connect so EVALSHA never meets NOSCRIPT after a Redis restart.
 *
 * Commands on a connection run in order. Every callback is called exactly
 * once: with the reply, or with reply == NULL if the connection was lost (the
 * command may or may not have run: writes must be idempotent) or the client
 * is being destroyed. The reply is freed when the callback returns. */
#ifndef SG_REDISCONN_H
#define SG_REDISCONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/error.h" /* SG_EUNAVAIL: not connected, SG_EBUSY: too many in flight (both 503) */

#define SG_REDIS_SHA_LEN 40

typedef struct sg_redis sg_redis;

typedef void (*sg_redis_reply_cb)(void *data, redisReply *reply);
/* connected is 1 when the connection (and its scripts) are ready, 0 when it
 * was lost; reconnection is already scheduled then. */
typedef void (*sg_redis_state_cb)(void *data, sg_redis *redis, int connected);

/* With sentinels set, host and port are ignored: before every (re)connect
 * the sentinels are asked for the primary of sentinel_master (store/
 * sentinel.h), the connection is ready only once ROLE there says "master",
 * and a READONLY reply (the primary became a replica) closes the connection
 * so the next connect asks again. The command that got READONLY gets that
 * reply; the others in flight get theirs. */
/* With cluster set (seed nodes, instead of host and port or sentinels), the
 * seeds are asked CLUSTER SLOTS for the primary of cluster_slot before
 * every (re)connect (store/cluster.h); a MOVED reply closes the connection
 * so the next connect asks again. The command that got MOVED, ASK or
 * TRYAGAIN gets that reply (an error: 503 to the client, who retries). */
typedef struct sg_redis_options {
  const char *host;
  int port;
  const char *sentinels;       /* "HOST:PORT[,HOST:PORT...]" or NULL */
  const char *sentinel_master; /* the name the sentinels monitor, with sentinels */
  const char *cluster;         /* "HOST:PORT[,HOST:PORT...]" seed nodes, or NULL */
  unsigned cluster_slot;       /* the region's slot (sg_cluster_region_slot), with cluster */
  const char *name;            /* for log lines, e.g. "ingest" */
  size_t max_inflight;         /* 0 = 65536 */
  unsigned connect_timeout_ms; /* 0 = 2000 */
} sg_redis_options;

/* Creates the client and starts connecting. Returns NULL on bad options or
 * out of memory. */
sg_redis *sg_redis_create(uv_loop_t *loop, const sg_redis_options *options);

/* Fails every pending command (callbacks get NULL), closes the handles and
 * frees the client once libuv has closed them. Not from inside a reply
 * callback of this client. */
void sg_redis_destroy(sg_redis *redis);

void sg_redis_set_state_cb(sg_redis *redis, sg_redis_state_cb cb, void *data);

/* Registers a Lua script to load on every connect; writes its SHA-1 (40 hex
 * chars + NUL) to sha for EVALSHA. body must outlive the client. */
int sg_redis_add_script(sg_redis *redis, const char *body, size_t len,
                        char sha[SG_REDIS_SHA_LEN + 1]);

int sg_redis_connected(const sg_redis *redis);
size_t sg_redis_inflight(const sg_redis *redis);
/* Successful connects so far, the first included (for the metrics). */
uint64_t sg_redis_connects(const sg_redis *redis);

/* Queues a command: argvlen gives the arguments' lengths (binary-safe), or
 * is NULL for NUL-terminated strings. Returns 0, or a negative
 * SG_REDIS_E* code without calling cb. */
int sg_redis_command(sg_redis *redis, sg_redis_reply_cb cb, void *data, int argc, const char **argv,
                     const size_t *argvlen);

#endif
