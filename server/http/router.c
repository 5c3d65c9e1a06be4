/* Route-prefix dispatch (router.h). A handful of routes: a linear scan. */
#include "http/router.h"

#include <stdlib.h>
#include <string.h>

struct sg_http_router {
  size_t n;
  size_t request_size;
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
  memcpy(r->routes, routes, n * sizeof(routes[0]));
  for (size_t i = 0; i < n; i++) {
    if (routes[i].request_data_size > r->request_size)
      r->request_size = routes[i].request_data_size;
  }
  return r;
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
  const sg_http_route *route = route_of(data, req);
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

const sg_http_handler sg_http_router_handler = {on_request, on_body, on_abort};
