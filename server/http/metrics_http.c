/* GET /metrics and the request counters (metrics_http.h). */
#include "http/metrics_http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The route labels. A series for a (route, status) pair is registered the
 * first time that pair is answered, so only the pairs seen are shown; at
 * most ROUTES x 500 in theory, a few dozen in practice. */
typedef enum route {
  ROUTE_REPORTS,
  ROUTE_TRACK,
  ROUTE_APP,
  ROUTE_INCIDENTS,
  ROUTE_AUTH,
  ROUTE_SMS,
  ROUTE_HEALTHZ,
  ROUTE_METRICS,
  ROUTE_OTHER,
  ROUTE_MALFORMED,
  ROUTES
} route;

static const char *const route_names[ROUTES] = {"reports", "track",    "app",     "incidents",
                                                "auth",    "sms",      "healthz", "metrics",
                                                "other",   "malformed"};

/* First match wins: exact paths (prefix 0) and prefixes. */
static const struct {
  const char *path;
  int prefix;
  route route;
} route_table[] = {{"/v1/reports", 0, ROUTE_REPORTS},
                   {"/v1/reports/", 1, ROUTE_TRACK},
                   {"/l/", 1, ROUTE_TRACK},
                   {"/lapor", 1, ROUTE_APP},
                   {"/v1/incidents", 0, ROUTE_INCIDENTS},
                   {"/v1/incidents/", 1, ROUTE_INCIDENTS},
                   {"/v1/auth/", 1, ROUTE_AUTH},
                   {"/v1/sms/", 1, ROUTE_SMS},
                   {"/healthz", 0, ROUTE_HEALTHZ},
                   {SG_METRICS_HTTP_PATH, 0, ROUTE_METRICS}};

#define STATUS_MIN 100
#define STATUS_MAX 599

struct sg_metrics_http {
  sg_metrics *m;
  char allow[SG_METRICS_HTTP_ALLOW_MAX][SG_METRICS_HTTP_ADDR_MAX];
  size_t n_allow;
  sg_metrics_histogram *ingest;
  uint64_t *requests[ROUTES][STATUS_MAX - STATUS_MIN + 1];
};

int sg_metrics_http_address(const char *in, char out[SG_METRICS_HTTP_ADDR_MAX]) {
  unsigned char a[16];
  if (inet_pton(AF_INET, in, a) == 1)
    return inet_ntop(AF_INET, a, out, SG_METRICS_HTTP_ADDR_MAX) != NULL ? 0 : -1;
  if (inet_pton(AF_INET6, in, a) != 1)
    return -1;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a, mapped, sizeof(mapped)) == 0)
    return inet_ntop(AF_INET, a + 12, out, SG_METRICS_HTTP_ADDR_MAX) != NULL ? 0 : -1;
  return inet_ntop(AF_INET6, a, out, SG_METRICS_HTTP_ADDR_MAX) != NULL ? 0 : -1;
}

int sg_metrics_http_parse_allow(const char *arg, char list[][SG_METRICS_HTTP_ADDR_MAX], size_t max,
                                size_t *n) {
  size_t count = *n;
  const char *p = arg;
  for (;;) {
    size_t len = strcspn(p, ",");
    char one[SG_METRICS_HTTP_ADDR_MAX], canon[SG_METRICS_HTTP_ADDR_MAX];
    if (len == 0 || len >= sizeof(one))
      return -1;
    memcpy(one, p, len);
    one[len] = '\0';
    if (sg_metrics_http_address(one, canon) != 0)
      return -1;
    size_t i = 0;
    while (i < count && strcmp(list[i], canon) != 0)
      i++;
    if (i == count) {
      if (count == max)
        return -1;
      memcpy(list[count++], canon, sizeof(canon));
    }
    if (p[len] == '\0')
      break;
    p += len + 1;
  }
  *n = count;
  return 0;
}

void sg_metrics_http_allow_init(sg_metrics_http_allow *a) {
  a->n = 0;
  a->given = 0;
  sg_metrics_http_parse_allow("127.0.0.1,::1", a->addr, SG_METRICS_HTTP_ALLOW_MAX, &a->n);
}

int sg_metrics_http_allow_option(sg_metrics_http_allow *a, const char *arg) {
  size_t n = a->given ? a->n : 0;
  if (sg_metrics_http_parse_allow(arg, a->addr, SG_METRICS_HTTP_ALLOW_MAX, &n) != 0)
    return -1;
  a->n = n;
  a->given = 1;
  return 0;
}

sg_metrics_http *sg_metrics_http_create(sg_metrics *m, const sg_metrics_http_allow *allow) {
  /* Reports are answered in about a millisecond on a quiet machine; the
   * upper buckets show a Redis in trouble. */
  static const double bounds[] = {0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                  0.05,    0.1,    0.25,  0.5,   1,     2.5};
  sg_metrics_http *mh = calloc(1, sizeof(*mh));
  if (mh == NULL)
    return NULL;
  mh->m = m;
  memcpy(mh->allow, allow->addr, allow->n * sizeof(allow->addr[0]));
  mh->n_allow = allow->n;
  mh->ingest =
      sg_metrics_histogram_add(m, "siaga_ingest_latency_seconds",
                               "Time from a report's request head read to its 202 sent, in seconds",
                               NULL, bounds, sizeof(bounds) / sizeof(bounds[0]));
  if (mh->ingest == NULL) {
    free(mh);
    return NULL;
  }
  return mh;
}

void sg_metrics_http_destroy(sg_metrics_http *mh) {
  free(mh);
}

static route classify(const char *path) {
  if (path == NULL)
    return ROUTE_MALFORMED;
  for (size_t i = 0; i < sizeof(route_table) / sizeof(route_table[0]); i++) {
    const char *p = route_table[i].path;
    if (route_table[i].prefix ? strncmp(path, p, strlen(p)) == 0 : strcmp(path, p) == 0)
      return route_table[i].route;
  }
  return ROUTE_OTHER;
}

const char *sg_metrics_http_route(const char *path) {
  return route_names[classify(path)];
}

void sg_metrics_http_observe(void *data, const char *path, int status, uint64_t elapsed_ns) {
  sg_metrics_http *mh = data;
  route r = classify(path);
  if (status < STATUS_MIN || status > STATUS_MAX)
    return; /* never sent by sg_http */
  uint64_t **slot = &mh->requests[r][status - STATUS_MIN];
  if (*slot == NULL) {
    char labels[64];
    snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%d\"", route_names[r], status);
    *slot = sg_metrics_counter(mh->m, "siaga_http_requests_total",
                               "HTTP answers sent, by route and status code", labels);
  }
  if (*slot != NULL)
    (**slot)++; /* out of memory at the first one: that pair goes uncounted */
  if (r == ROUTE_REPORTS && status == 202)
    sg_metrics_observe(mh->ingest, (double)elapsed_ns / 1e9);
}

/* ---- the route ---- */

static int allowed(const sg_metrics_http *mh, const char *peer) {
  char canon[SG_METRICS_HTTP_ADDR_MAX];
  if (sg_metrics_http_address(peer, canon) != 0)
    return 0;
  for (size_t i = 0; i < mh->n_allow; i++)
    if (strcmp(mh->allow[i], canon) == 0)
      return 1;
  return 0;
}

static void on_request(void *data, sg_http_request *req) {
  sg_metrics_http *mh = data;
  sg_http_method method = sg_http_request_method(req);
  if (strcmp(sg_http_request_path(req), SG_METRICS_HTTP_PATH) != 0) {
    sg_http_respond_error(req, 404, "not_found", "no such path", 0);
    return;
  }
  if (method != SG_HTTP_GET && method != SG_HTTP_HEAD) {
    sg_http_response r = {.status = 405,
                          .content_type = "application/json",
                          .body = "{\"code\":\"method_not_allowed\",\"message\":\"GET only\"}",
                          .headers = "allow: GET, HEAD\r\n",
                          .close = 1};
    r.body_len = strlen(r.body);
    sg_http_respond(req, &r);
    return;
  }
  if (!allowed(mh, sg_http_request_peer(req))) {
    sg_http_respond_error(req, 403, "forbidden",
                          "this address may not read the metrics (--metrics-allow)", 0);
    return;
  }
  size_t len;
  char *text = sg_metrics_render(mh->m, &len);
  if (text == NULL) {
    sg_http_respond_error(req, 503, "unavailable", "out of memory", 0);
    return;
  }
  sg_http_response r = {.status = 200,
                        .content_type = SG_METRICS_CONTENT_TYPE,
                        .body = text,
                        .body_len = len,
                        .headers = "cache-control: no-store\r\n"};
  sg_http_respond(req, &r);
  free(text);
}

/* No body is read: on_request always answers. */
static void on_body(void *data, sg_http_request *req) {
  (void)data;
  (void)req;
}

static void on_abort(void *data, sg_http_request *req) {
  (void)data;
  (void)req;
}

const sg_http_handler sg_metrics_http_handler = {on_request, on_body, on_abort, NULL};
