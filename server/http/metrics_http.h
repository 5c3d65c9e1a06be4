/* GET /metrics over sg_http, and the counting of every HTTP answer.
 *
 * The route is not behind the dispatchers' sign-in (a scraper has no
 * session): the allow list of exact peer addresses is its door. Any other
 * peer gets 403 with a JSON reason, any other method 405, any path but
 * SG_METRICS_HTTP_PATH 404. The answer is the registry's exposition
 * (core/metrics.h), built when asked.
 *
 * As the router's observer (http/router.h) it counts answers by route and
 * status code in siaga_http_requests_total, the route being one of a fixed
 * set of labels (sg_metrics_http_route), never the raw path; and the time
 * from a report's request head to its 202 in siaga_ingest_latency_seconds.
 *
 * Ownership: the object keeps the registry (which must outlive it) and
 * copies the allow list. */
#ifndef SG_METRICS_HTTP_H
#define SG_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/metrics.h"
#include "http/server.h"

#define SG_METRICS_HTTP_PATH "/metrics"
#define SG_METRICS_HTTP_ALLOW_MAX 16
#define SG_METRICS_HTTP_ADDR_MAX 48 /* an IPv6 address as text, with its NUL */

/* The canonical text of a numeric IPv4 or IPv6 address, as a peer's is
 * shown ("::1", "127.0.0.1"; an IPv4-mapped IPv6 address as its IPv4 one),
 * so that "0:0::1" in an allow list matches a peer ::1. 0, or -1 if in is no
 * numeric address. */
int sg_metrics_http_address(const char *in, char out[SG_METRICS_HTTP_ADDR_MAX]);

/* Adds the addresses of "ADDR[,ADDR...]" to list (canonical, duplicates
 * once), which holds *n of at most max. 0, or -1 (list unchanged) for an
 * empty or non-numeric address, or more than max in all. */
int sg_metrics_http_parse_allow(const char *arg, char list[][SG_METRICS_HTTP_ADDR_MAX], size_t max,
                                size_t *n);

/* The allow list of a command line (siagad's, siaga-worker's): the default
 * 127.0.0.1 and ::1 until the first --metrics-allow replaces it; later ones
 * add to it. */
typedef struct sg_metrics_http_allow {
  char addr[SG_METRICS_HTTP_ALLOW_MAX][SG_METRICS_HTTP_ADDR_MAX];
  size_t n;
  int given; /* an --metrics-allow was seen */
} sg_metrics_http_allow;
void sg_metrics_http_allow_init(sg_metrics_http_allow *allow);
/* One --metrics-allow ARG. 0, or -1 (the caller prints
 * SG_METRICS_HTTP_ALLOW_USAGE). */
int sg_metrics_http_allow_option(sg_metrics_http_allow *allow, const char *arg);
#define SG_METRICS_HTTP_ALLOW_USAGE "--metrics-allow wants numeric addresses, at most 16 in all"

typedef struct sg_metrics_http sg_metrics_http;

/* Copies the allow list and registers the ingest histogram in m. NULL on
 * out of memory. */
sg_metrics_http *sg_metrics_http_create(sg_metrics *m, const sg_metrics_http_allow *allow);
/* After the sg_http serving it was destroyed. NULL is a no-op. */
void sg_metrics_http_destroy(sg_metrics_http *mh);

/* The handler of SG_METRICS_HTTP_PATH: handler_data is the object, no
 * per-request memory. It answers at once. */
extern const sg_http_handler sg_metrics_http_handler;

/* The router's observer (sg_http_router_observe): data is the object. */
void sg_metrics_http_observe(void *data, const char *path, int status, uint64_t elapsed_ns);

/* The route label of a path: reports, track, app, incidents, auth, sms,
 * healthz, metrics or other; "malformed" for NULL (refused by sg_http). */
const char *sg_metrics_http_route(const char *path);

#endif
