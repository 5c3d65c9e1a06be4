/* The listening socket of one siagad process. SO_REUSEPORT lets several
 * processes bind the same address, and the kernel spreads new connections
 * over them; each accepted connection is handed to sg_http, which passes
 * WebSocket upgrades on to lws. (lws 4.1's LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE
 * shares a port between vhosts of one context, not between processes.) */
#ifndef SG_LISTENER_H
#define SG_LISTENER_H

#include <uv.h>

#include "http/server.h"

typedef struct sg_listener sg_listener;

/* Binds host:port (IPv4 or IPv6 literal) and starts accepting into http,
 * which must outlive the listener. Returns NULL and sets *err to a negative
 * errno-style code on failure. */
sg_listener *sg_listener_create(uv_loop_t *loop, sg_http *http, const char *host, int port,
                                int *err);

/* Stops accepting and closes the socket; frees once libuv closed the handle. */
void sg_listener_destroy(sg_listener *listener);

#endif
