/* Route-prefix dispatch: one sg_http_handler that hands each request to the
 * handler of the longest path prefix that matches it, so each domain (the
 * api, the SMS webhooks) serves its own routes. A request keeps its handler
 * from on_request to on_body or on_abort (the path is matched again; it
 * does not change). A path no route matches is answered 404.
 *
 * Ownership: the router copies the route table, not what it points at:
 * the handlers and their data must outlive it. */
#ifndef SG_HTTP_ROUTER_H
#define SG_HTTP_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "http/server.h"

typedef struct sg_http_route {
  const char *prefix; /* "/v1/sms/"; "/" matches every path */
  const sg_http_handler *handler;
  void *handler_data;
  size_t request_data_size; /* the handler's per-request memory */
} sg_http_route;

typedef struct sg_http_router sg_http_router;

/* Returns NULL on out of memory or n == 0. */
sg_http_router *sg_http_router_create(const sg_http_route *routes, size_t n);
/* After the sg_http serving it was destroyed. NULL is a no-op. */
void sg_http_router_destroy(sg_http_router *router);

/* Called as every answer is about to be sent, to count it: path is the
 * request's (NULL for a request sg_http refused before any handler saw it:
 * malformed, too large a head), elapsed_ns the time since its head was read
 * (0 with a NULL path). At most one observer; data must outlive the router. */
typedef void (*sg_http_router_observe_cb)(void *data, const char *path, int status,
                                          uint64_t elapsed_ns);
void sg_http_router_observe(sg_http_router *router, sg_http_router_observe_cb cb, void *data);

/* The handler to give sg_http: handler_data is the router,
 * request_data_size is sg_http_router_request_size() (the largest of the
 * routes'; each handler sees its own memory at sg_http_request_data). */
extern const sg_http_handler sg_http_router_handler;
size_t sg_http_router_request_size(const sg_http_router *router);

#endif
