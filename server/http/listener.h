/* The listening socket of one siagad process. With reuse_port, SO_REUSEPORT
 * lets several processes bind the same address (siagad --processes, or
 * --reuse-port on purpose), and the kernel spreads new connections over
 * them; without it, a port already served is refused (EADDRINUSE), so a
 * second siagad cannot start silently beside the first. Each accepted
 * connection is handed to sg_http, which passes WebSocket upgrades on to
 * lws. (lws 4.1's LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE shares a port between
 * vhosts of one context, not between processes.) */
#ifndef SG_LISTENER_H
#define SG_LISTENER_H

#include <uv.h>

#include "http/limit.h"
#include "http/server.h"

typedef struct sg_listener sg_listener;

/* Binds host:port (IPv4 or IPv6 literal) and starts accepting into http,
 * which must outlive the listener. Returns NULL and sets *err to a negative
 * errno-style code on failure. */
sg_listener *sg_listener_create(uv_loop_t *loop, sg_http *http, const char *host, int port,
                                int reuse_port, int *err);

/* Whether host:port can be bound without SO_REUSEPORT, i.e. nobody serves it
 * yet: 0, or a negative errno (-EADDRINUSE). For a parent about to start
 * processes that will share the port. */
int sg_listener_probe(const char *host, int port);

/* Counts each accepted connection against limit's per-address cap (which
 * must outlive the listener) and refuses those over it. */
void sg_listener_set_limit(sg_listener *listener, sg_http_limit *limit);

/* Stops accepting and closes the socket; frees once libuv closed the handle. */
void sg_listener_destroy(sg_listener *listener);

#endif
