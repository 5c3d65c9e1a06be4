/* siagad's series (metrics.h). One small reader per value: the modules
 * keep their counts as they always did, and nothing is added to their hot
 * paths but the few counters they did not have. */
#include "siagad/metrics.h"

#include <stdlib.h>

static double read_http(const void *d) {
  return (double)sg_http_connections(d);
}
static double read_consoles(const void *d) {
  return (double)sg_hub_sessions(d);
}
static double read_lag_drops(const void *d) {
  return (double)sg_hub_lag_drops(d);
}
static double read_responders(const void *d) {
  return (double)sg_responder_sessions(d);
}
static double read_responder_drops(const void *d) {
  return (double)sg_responder_lag_drops(d);
}
static double read_follow(const void *d) {
  return (double)sg_citizen_follow_count(d);
}
static double read_redis_connected(const void *d) {
  return sg_redis_connected(d) ? 1 : 0;
}
static double read_redis_connects(const void *d) {
  return (double)sg_redis_connects(d);
}
static double read_redis_inflight(const void *d) {
  return (double)sg_redis_inflight(d);
}
static double read_sms_taken(const void *d) {
  return (double)sg_sms_outbound_stats_of(d)->taken;
}
static double read_sms_sent(const void *d) {
  return (double)sg_sms_outbound_stats_of(d)->sent;
}
static double read_sms_failed(const void *d) {
  return (double)sg_sms_outbound_stats_of(d)->failed;
}
static double read_sms_dead(const void *d) {
  return (double)sg_sms_outbound_stats_of(d)->dead;
}
static double read_sms_held(const void *d) {
  return (double)sg_sms_outbound_held(d);
}

/* The hub's observer: its data is the two counters, in the registry. */
struct sg_siagad_metrics {
  uint64_t *updates, *lost;
};
typedef sg_siagad_metrics update_counts;

static void on_update(void *data, sg_ring_id id, const Siaga__V1__IncidentUpdate *update) {
  (void)id;
  (void)update;
  (*((update_counts *)data)->updates)++;
}

static void on_lost(void *data, sg_ring_id last, const char *reason) {
  (void)last;
  (void)reason;
  (*((update_counts *)data)->lost)++;
}

static const sg_hub_observer counting_observer = {.update = on_update, .lost = on_lost};

typedef struct reader {
  sg_metrics_type type;
  const char *name, *help, *labels;
  sg_metrics_read_cb read;
  const void *data;
} reader;

sg_siagad_metrics *sg_siagad_metrics_create(sg_metrics *m, const sg_siagad_metrics_sources *s) {
  const sg_metrics_type C = SG_METRICS_COUNTER, G = SG_METRICS_GAUGE;
  const reader readers[] = {
      {G, "siaga_http_connections", "HTTP connections open (WebSockets apart)", NULL, read_http,
       s->http},
      {G, "siaga_consoles_connected", "Dispatcher consoles connected", NULL, read_consoles, s->hub},
      {G, "siaga_responders_connected", "Responder connections open", NULL, read_responders,
       s->responder},
      {G, "siaga_follow_sockets", "Citizens following a report over WebSocket", NULL, read_follow,
       s->follow},
      {C, "siaga_console_lag_drops_total", "Consoles closed with 4000 for falling too far behind",
       NULL, read_lag_drops, s->hub},
      {C, "siaga_responder_lag_drops_total",
       "Responder connections closed with 4000 for falling too far behind", NULL,
       read_responder_drops, s->responder},
      {G, "siaga_redis_connected", "1 while the Redis connection is up and its scripts loaded",
       "conn=\"commands\"", read_redis_connected, s->redis},
      {C, "siaga_redis_connects_total",
       "Successful connects to Redis, the first included: each one more is a reconnect",
       "conn=\"commands\"", read_redis_connects, s->redis},
      {G, "siaga_redis_inflight", "Redis commands sent and not answered yet", "conn=\"commands\"",
       read_redis_inflight, s->redis},
      {G, "siaga_redis_connected", "", "conn=\"follow\"", read_redis_connected, s->follow_redis},
      {C, "siaga_redis_connects_total", "", "conn=\"follow\"", read_redis_connects,
       s->follow_redis},
      {C, "siaga_sms_out_queued_total", "Outbound SMS taken from the stream to send", NULL,
       read_sms_taken, s->smsout},
      {C, "siaga_sms_out_sent_total", "Outbound SMS the gateway took (2xx)", NULL, read_sms_sent,
       s->smsout},
      {C, "siaga_sms_out_failed_total", "Outbound SMS attempts that failed and will be retried",
       NULL, read_sms_failed, s->smsout},
      {C, "siaga_sms_out_dead_total", "Outbound SMS given up (moved to the dead stream)", NULL,
       read_sms_dead, s->smsout},
      {G, "siaga_sms_out_held", "Outbound SMS held in memory, waiting or being sent", NULL,
       read_sms_held, s->smsout}};
  for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
    const reader *r = &readers[i];
    if (r->data == NULL)
      continue; /* no outbound SMS in this process */
    if (sg_metrics_read(m, r->type, r->name, r->help, r->labels, r->read, r->data) != 0)
      return NULL;
  }
  update_counts *counts = malloc(sizeof(*counts));
  if (counts == NULL)
    return NULL;
  counts->updates = sg_metrics_counter(m, "siaga_updates_total",
                                       "Incident updates read from the stream and fanned out to "
                                       "this process's consoles, responders and followers",
                                       NULL);
  counts->lost = sg_metrics_counter(m, "siaga_updates_lost_total",
                                    "Times the updates stream lost entries before this process "
                                    "read them (consoles resynchronise)",
                                    NULL);
  if (counts->updates == NULL || counts->lost == NULL ||
      sg_hub_add_observer(s->hub, &counting_observer, counts) != 0) {
    free(counts);
    return NULL;
  }
  return counts;
}

void sg_siagad_metrics_destroy(sg_siagad_metrics *counts) {
  free(counts);
}
