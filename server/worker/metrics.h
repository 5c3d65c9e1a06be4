/* siaga-worker's GET /metrics (--metrics-listen HOST:PORT): a registry
 * (core/metrics.h) with the worker's series, served by sg_http on a libuv
 * loop of its own with the same door as siagad's (http/metrics_http.h:
 * --metrics-allow, 403 to anyone else).
 *
 * The worker is synchronous (one blocking Redis connection), so the loop
 * is run without waiting (sg_worker_metrics_poll) between two reads of the
 * stream: a scrape is answered within one read's block time, about 2 s when
 * the stream is quiet, at once between the batches of a busy one. Counting
 * and answering happen on the one thread: no locks.
 *
 * Series: siaga_worker_batch_size (reports finished per read),
 * siaga_worker_hop_seconds (siagad's receipt to the incident written),
 * siaga_triage_reports_total{category,priority}, siaga_worker_dead_total,
 * siaga_worker_redis_connected, siaga_worker_redis_connects_total. */
#ifndef SG_WORKER_METRICS_H
#define SG_WORKER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http/metrics_http.h"

typedef struct sg_worker_metrics sg_worker_metrics;

/* Starts listening on host:port. NULL with *err (a negative code of
 * core/error.h or libuv) on failure. */
sg_worker_metrics *sg_worker_metrics_create(const char *host, int port,
                                            const sg_metrics_http_allow *allow, int *err);
/* Closes the listener and every connection, and the loop. NULL is a no-op. */
void sg_worker_metrics_destroy(sg_worker_metrics *wm);

/* Accepts and answers what is ready, without waiting. NULL is a no-op. */
void sg_worker_metrics_poll(sg_worker_metrics *wm);

/* What the worker tells as it goes. All NULL-safe. */
void sg_worker_metrics_batch(sg_worker_metrics *wm, size_t n_done);
void sg_worker_metrics_done(sg_worker_metrics *wm, const char *category, int priority,
                            int64_t received_at_ms);
void sg_worker_metrics_dead(sg_worker_metrics *wm);
void sg_worker_metrics_redis(sg_worker_metrics *wm, int connected);

#endif
