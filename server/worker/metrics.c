/* siaga-worker's metrics (metrics.h). */
#include "worker/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/metrics.h"
#include "http/listener.h"
#include "http/server.h"
#include "triage/rules.h"

struct sg_worker_metrics {
  uv_loop_t loop;
  int loop_ready;
  sg_metrics *m;
  sg_metrics_http *door;
  sg_http *http;
  sg_listener *listener;
  sg_metrics_histogram *batch, *hop;
  uint64_t *dead, *connects;
  int connected;
};

static double read_connected(const void *data) {
  return ((const sg_worker_metrics *)data)->connected;
}

/* Registers the series; 0 or SG_ENOMEM. */
static int add_series(sg_worker_metrics *wm) {
  static const double batch[] = {1, 2, 4, 8, 16, 32};
  /* From a few ms on a quiet stream to seconds behind a surge. */
  static const double hop[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                               0.25,  0.5,    1,     2.5,  5,     10,   30};
  wm->batch = sg_metrics_histogram_add(wm->m, "siaga_worker_batch_size",
                                       "Reports finished per read of the stream (empty reads "
                                       "apart)",
                                       NULL, batch, sizeof(batch) / sizeof(batch[0]));
  wm->hop = sg_metrics_histogram_add(wm->m, "siaga_worker_hop_seconds",
                                     "Time from siagad's receipt of a report to its incident "
                                     "written, in seconds (wall clocks of both machines)",
                                     NULL, hop, sizeof(hop) / sizeof(hop[0]));
  wm->dead = sg_metrics_counter(wm->m, "siaga_worker_dead_total",
                                "Stream entries moved to the dead letter stream", NULL);
  wm->connects = sg_metrics_counter(wm->m, "siaga_worker_redis_connects_total",
                                    "Successful connects to Redis, the first included", NULL);
  if (wm->batch == NULL || wm->hop == NULL || wm->dead == NULL || wm->connects == NULL)
    return SG_ENOMEM;
  return sg_metrics_read(wm->m, SG_METRICS_GAUGE, "siaga_worker_redis_connected",
                         "1 while the worker's Redis connection is up", NULL, read_connected, wm);
}

sg_worker_metrics *sg_worker_metrics_create(const char *host, int port,
                                            const sg_metrics_http_allow *allow, int *err) {
  sg_worker_metrics *wm = calloc(1, sizeof(*wm));
  *err = SG_ENOMEM;
  if (wm == NULL)
    return NULL;
  if ((*err = uv_loop_init(&wm->loop)) != 0) {
    free(wm);
    return NULL;
  }
  wm->loop_ready = 1;
  *err = SG_ENOMEM;
  sg_http_options ho = {.handler = &sg_metrics_http_handler};
  if ((wm->m = sg_metrics_create()) != NULL &&
      (wm->door = sg_metrics_http_create(wm->m, allow)) != NULL && add_series(wm) == 0) {
    ho.handler_data = wm->door;
    if ((wm->http = sg_http_create(&wm->loop, &ho)) != NULL)
      wm->listener = sg_listener_create(&wm->loop, wm->http, host, port, 0 /* a port of its own */, err);
  }
  if (wm->listener == NULL) {
    sg_worker_metrics_destroy(wm);
    return NULL;
  }
  return wm;
}

void sg_worker_metrics_destroy(sg_worker_metrics *wm) {
  if (wm == NULL)
    return;
  sg_listener_destroy(wm->listener);
  sg_http_destroy(wm->http);
  if (wm->loop_ready) {
    uv_run(&wm->loop, UV_RUN_DEFAULT); /* the close callbacks */
    uv_loop_close(&wm->loop);
  }
  sg_metrics_http_destroy(wm->door);
  sg_metrics_destroy(wm->m);
  free(wm);
}

void sg_worker_metrics_poll(sg_worker_metrics *wm) {
  if (wm != NULL)
    uv_run(&wm->loop, UV_RUN_NOWAIT);
}

void sg_worker_metrics_batch(sg_worker_metrics *wm, size_t n_done) {
  if (wm != NULL && n_done > 0)
    sg_metrics_observe(wm->batch, (double)n_done);
}

void sg_worker_metrics_done(sg_worker_metrics *wm, const char *category, int priority,
                            int64_t received_at_ms) {
  if (wm == NULL)
    return;
  /* Categories and priorities are the rules' own fixed sets; anything else
   * (never expected) is counted under "unknown" so the series stay few. */
  char labels[96];
  snprintf(labels, sizeof(labels), "category=\"%s\",priority=\"%s\"",
           sg_rules_category_known(category) ? category : "unknown",
           priority >= 1 && priority <= 4 ? (const char *[]){"P1", "P2", "P3", "P4"}[priority - 1]
                                          : "unspecified");
  uint64_t *c = sg_metrics_counter(wm->m, "siaga_triage_reports_total",
                                   "Reports triaged, by category and priority", labels);
  if (c != NULL)
    (*c)++;
  uint64_t now = sg_clock_now_ms();
  if (received_at_ms > 0 && now >= (uint64_t)received_at_ms)
    sg_metrics_observe(wm->hop, (double)(now - (uint64_t)received_at_ms) / 1000.0);
}

void sg_worker_metrics_dead(sg_worker_metrics *wm) {
  if (wm != NULL)
    (*wm->dead)++;
}

void sg_worker_metrics_redis(sg_worker_metrics *wm, int connected) {
  if (wm == NULL)
    return;
  if (connected && !wm->connected)
    (*wm->connects)++;
  wm->connected = connected;
}
