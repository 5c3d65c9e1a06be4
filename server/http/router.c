/* Route-prefix dispatch (router.h). A handful of routes: a linear scan.
 *
 * For the observer, the router keeps the time a request's head was read
 * behind the handlers' per-request memory (they each use at most the
 * largest of their sizes), and zeroes it once the answer is counted: a
 * request sg_http refuses itself finds 0 there. */
#include "http/router.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct sg_http_router {
  size_t n;
  size_t request_size;
  size_t stamp_offset; /* of the uint64_t start time in the request memory */
  sg_http_router_observe_cb observe;
  void *observe_data;
  sg_http_route routes[];
};

sg_http_router *sg_http_router_create(const sg_http_route *routes, size_t n) {
  if (n == 0)
    return NULL;
  sg_http_router *r = malloc(sizeof(*r) + n * sizeof(routes[0]));
  if (r == NULL)
    return NULL;
  r->n = n;
  r->request_size = 0;
  r->observe = NULL;
  memcpy(r->routes, routes, n * sizeof(routes[0]));
  for (size_t i = 0; i < n; i++) {
    if (routes[i].request_data_size > r->request_size)
      r->request_size = routes[i].request_data_size;
  }
  r->stamp_offset = (r->request_size + 7) & ~(size_t)7;
  r->request_size = r->stamp_offset + sizeof(uint64_t);
  return r;
}

void sg_http_router_observe(sg_http_router *r, sg_http_router_observe_cb cb, void *data) {
  r->observe = cb;
  r->observe_data = data;
}

static uint64_t *stamp_of(const sg_http_router *r, sg_http_request *req) {
  return (uint64_t *)((char *)sg_http_request_data(req) + r->stamp_offset);
}

void sg_http_router_destroy(sg_http_router *r) {
  free(r);
}

size_t sg_http_router_request_size(const sg_http_router *r) {
  return r->request_size;
}

static const sg_http_route *route_of(const sg_http_router *r, sg_http_request *req) {
  const char *path = sg_http_request_path(req);
  const sg_http_route *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < r->n; i++) {
    size_t len = strlen(r->routes[i].prefix);
    if (strncmp(path, r->routes[i].prefix, len) == 0 && (best == NULL || len > best_len)) {
      best = &r->routes[i];
      best_len = len;
    }
  }
  return best;
}

static void on_request(void *data, sg_http_request *req) {
  sg_http_router *r = data;
  if (r->observe != NULL)
    *stamp_of(r, req) = uv_hrtime();
  const sg_http_route *route = route_of(r, req);
  if (route == NULL)
    sg_http_respond_error(req, 404, "not_found", "no such path", 0);
  else
    route->handler->on_request(route->handler_data, req);
}

static void on_body(void *data, sg_http_request *req) {
  const sg_http_route *route = route_of(data, req);
  route->handler->on_body(route->handler_data, req);
}

static void on_abort(void *data, sg_http_request *req) {
  const sg_http_route *route = route_of(data, req);
  if (route != NULL)
    route->handler->on_abort(route->handler_data, req);
}

static void on_respond(void *data, sg_http_request *req, int status) {
  sg_http_router *r = data;
  if (r->observe == NULL)
    return;
  uint64_t *stamp = stamp_of(r, req), started = *stamp;
  *stamp = 0;
  if (started == 0) {
    /* Answered without passing on_request: refused in front of the router
     * (the limits' 429, counted under its route), or a request sg_http could
     * not read (no path: "malformed"). */
    const char *path = sg_http_request_path(req);
    r->observe(r->observe_data, path != NULL && path[0] != '\0' ? path : NULL, status, 0);
  } else
    r->observe(r->observe_data, sg_http_request_path(req), status, uv_hrtime() - started);
}

const sg_http_handler sg_http_router_handler = {on_request, on_body, on_abort, on_respond};
