/* A pool of WebSocket client connections (libwebsockets on our libuv loop):
 * consoles of siaga or nchan subscribers.
 *
 * Connects are paced (at most `connect_window` handshakes in flight) because
 * opening 10,000 at once overflows the server's accept backlog and measures
 * SYN retries instead of the server. A connection that closes is reopened
 * after a short pause when `resume` is set; siaga consoles then ask for
 * ?after=<last update id seen>, so a console dropped for lagging still sees
 * every update (the server's resume contract, which the run checks).
 *
 * Threads: a pool lives on the thread that runs its loop (lws requires its
 * context to be created, serviced and used there), and every function below
 * must be called on that thread, except lg_ws_get_stats, which any thread may
 * call. lg_wsthread runs a pool on a thread of its own. */
#ifndef LG_WS_H
#define LG_WS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct lg_ws_pool lg_ws_pool;

/* One whole message (all fragments), called on the pool's thread with the
 * pool that received it. msg is only valid during the call. */
typedef void (*lg_ws_message_cb)(void *data, lg_ws_pool *pool, size_t conn, const uint8_t *msg,
                                 size_t len, uint64_t now_ns);

typedef struct lg_ws_options {
  const char *host; /* numeric IPv4 */
  int port;
  const char *path;        /* e.g. "/v1/console" or "/sub?id=x" */
  const char *subprotocol; /* Sec-WebSocket-Protocol, or NULL for none */
  const char *authorization; /* Authorization header value ("Bearer T"), or NULL */
  size_t connections;
  size_t connect_window;   /* handshakes in flight at once; 0 = 64 */
  size_t max_message;      /* longer messages are skipped; 0 = 64 KiB */
  size_t max_first_message; /* ... except the first after each connect, which
                               may be siaga's snapshot; 0 = 32 MiB */
  int resume;              /* reopen closed connections (with ?after= if set) */
  lg_ws_message_cb on_message;
  void *data;
} lg_ws_options;

typedef struct lg_ws_stats {
  size_t open;           /* established now */
  size_t established;    /* handshakes completed, reconnects included */
  size_t connect_errors;
  size_t closes;         /* established connections that closed */
  size_t closes_lagging; /* ... of which the server closed with 4000 (lagging) */
  size_t skipped;        /* messages over their limit, not delivered */
} lg_ws_stats;

/* NULL if lws cannot start (missing libwebsockets-evlib-uv) or no memory.
 * The strings in o must outlive the pool. */
lg_ws_pool *lg_ws_create(uv_loop_t *loop, const lg_ws_options *o);
/* Remember the last update id conn saw, for ?after= on reconnect. */
void lg_ws_set_resume_id(lg_ws_pool *p, size_t conn, const char *id, size_t len);
/* A consistent copy of the counters; safe from any thread (a mutex guards
 * them, taken only when a connection opens or closes and when a message is
 * skipped, so not per message). */
void lg_ws_get_stats(lg_ws_pool *p, lg_ws_stats *out);
/* No more reconnects; connections stay open until the process exits. */
void lg_ws_stop(lg_ws_pool *p);

#endif
