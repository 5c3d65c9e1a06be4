/* Counters, gauges and histograms for GET /metrics, written in the
 * Prometheus text exposition format 0.0.4.
 *
 * A registry is created by a program's main and handed to the modules that
 * count: there is no global. A module registers its series once (when it is
 * created, or the first time it meets a label value from a fixed set) and
 * gets a pointer it updates with a plain increment: everything runs on the
 * one loop, so a count costs no atomic and no lookup. Values a module keeps
 * anyway (connections open, a connection's state) are read at scrape time
 * through a callback instead, so counting them costs nothing at all.
 *
 * Label values come from small fixed sets chosen by the code, never from a
 * request, which bounds the number of series. labels is the text between
 * the braces, `route="reports",code="202"`, or NULL for none; values must
 * need no escaping.
 *
 * A name's help and type are those of its first registration (help may be
 * "" for the name's later series); a name registered again with another
 * type is refused.
 *
 * Ownership: the registry copies name, help and labels, owns every series,
 * and the pointers it hands out live until sg_metrics_destroy. Registration
 * returns NULL (or a negative code) on out of memory or when a name is
 * registered again with another type; nothing is half-added. */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define SG_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define SG_METRICS_BUCKETS_MAX 24

typedef struct sg_metrics sg_metrics;

typedef enum sg_metrics_type {
  SG_METRICS_COUNTER,
  SG_METRICS_GAUGE,
  SG_METRICS_HISTOGRAM
} sg_metrics_type;

/* A histogram series: observe with sg_metrics_observe. */
typedef struct sg_metrics_histogram sg_metrics_histogram;

/* A value read at scrape time. */
typedef double (*sg_metrics_read_cb)(const void *data);

/* With process_start_time_seconds, the time of this call. NULL on out of
 * memory. */
sg_metrics *sg_metrics_create(void);
/* NULL is a no-op. */
void sg_metrics_destroy(sg_metrics *m);

/* A counter the caller increments: (*c)++. The same name and labels again
 * give the same counter. */
uint64_t *sg_metrics_counter(sg_metrics *m, const char *name, const char *help, const char *labels);

/* A counter or gauge whose value read(data) gives at scrape time; data must
 * outlive the registry. 0, or SG_ENOMEM, SG_EINVAL. */
int sg_metrics_read(sg_metrics *m, sg_metrics_type type, const char *name, const char *help,
                    const char *labels, sg_metrics_read_cb read, const void *data);

/* A histogram with n (1..SG_METRICS_BUCKETS_MAX) increasing upper bounds;
 * +Inf is added. */
sg_metrics_histogram *sg_metrics_histogram_add(sg_metrics *m, const char *name, const char *help,
                                               const char *labels, const double *bounds, size_t n);
void sg_metrics_observe(sg_metrics_histogram *h, double value);

/* The whole exposition, in registration order of the names, as a malloc'd
 * NUL-terminated text (the caller frees it); NULL on out of memory. */
char *sg_metrics_render(const sg_metrics *m, size_t *len);

#endif
