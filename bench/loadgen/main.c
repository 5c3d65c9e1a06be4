/* siaga-loadgen: measures siaga (or nchan, the peer) from the outside.
 *
 *   siaga  offers reports over HTTP at a fixed rate (open loop) while N
 *          consoles listen on WebSocket /v1/console; matches every 202's
 *          reportId to the update each console receives.
 *   nchan  the same against nchan: HTTP publish, N WebSocket subscribers,
 *          each message carrying its sequence number and intended send time.
 *   idle   opens N WebSockets and holds them, measuring the server's memory
 *          per connection and its CPU while nothing happens.
 *
 * Open loop: report i is due at t0 + its place in the rate profile, and every
 * latency counts from that intended time, so a stalled server (or a pool
 * with no free connection) shows as latency instead of as a slower offer.
 * The run has a hard deadline; results go to stdout as one JSON object.
 *
 * Two threads: the main one offers reports, reads their acknowledgements and
 * drives the run's stages; the consoles' WebSockets are read on a second
 * thread with its own loop (lg_wsthread), so that 100,000 console frames a
 * second do not delay the acknowledgements, and the e2e latencies measure the
 * server rather than one busy client thread. Both threads record into
 * lg_track, which locks; the few counters on_message keeps are read only
 * after the console thread has stopped. With no consoles there is no second
 * thread. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include <libwebsockets.h>

#include "core/hostport.h"
#include "lg_http.h"
#include "lg_pbscan.h"
#include "lg_proc.h"
#include "lg_track.h"
#include "lg_ws.h"
#include "lg_wsthread.h"
#include "siaga/v1/siaga.pb-c.h"

#define MAX_PHASES 8
#define DECODE_SAMPLE 64 /* updates per run cross-checked with protobuf-c */
#define SNAPSHOT_SAMPLE 8 /* snapshots per run cross-checked (they are rare and big) */
#define GRID_ROWS 200    /* lat -3..-1 in 0.01 degree (1.1 km) steps */
#define GRID_COLS 300    /* lon 112..115 in 0.01 degree steps */

typedef enum lg_mode { MODE_SIAGA, MODE_NCHAN, MODE_IDLE } lg_mode;

typedef struct phase {
  double rate;   /* per second */
  double secs;
  uint64_t start_ns; /* offset from t0 */
  size_t first_seq, count;
} phase;

typedef struct options {
  lg_mode mode;
  char host[64];
  int port;
  phase phases[MAX_PHASES];
  size_t n_phases;
  size_t connections, consoles, payload, connect_window;
  size_t places; /* 0: every report at a place of its own */
  double drain_s, deadline_s, connect_s, hold_s, settle_s, timeout_s;
  const char *channel, *series_path;
  int idle_nchan; /* idle mode: hold nchan subscribers instead of siaga consoles */
  lg_proc_set watch;
} options;

typedef struct run {
  options o;
  uv_loop_t *loop;
  lg_track *track;
  lg_http_pool *http;
  lg_wsthread *ws; /* NULL with no consoles */
  size_t total, next_due, next_send;
  uint64_t t0, end_offer_ns;
  double cpu_self_start, cpu_self_end, window_s;
  /* The same per thread: the main one's, and the console thread's (when
   * there is one), so that a saturated thread shows under a process total
   * that two threads may take up to 200%. */
  double cpu_main_start, cpu_main_end, cpu_consoles_start, cpu_consoles_end;
  uv_timer_t tick, deadline, series_timer;
  FILE *series;
  size_t backlog_max;
  /* Written by on_message on the console thread; read by the main thread only
   * after lg_wsthread_stop. */
  size_t decode_checked, decode_mismatch, invalid_frames;
  size_t snapshots, snapshot_checked; /* snapshot frames received, cross-checked */
  size_t queued_max; /* most reports due but waiting for a free connection */
  size_t failed_closed, failed_status, failed_no_id; /* why requests failed */
  int failed_last_status;
  enum { STAGE_CONNECT, STAGE_SETTLE, STAGE_OFFER, STAGE_DRAIN, STAGE_HOLD, STAGE_DONE } stage;
  uint64_t stage_since;
  int deadline_hit;
  long rss_before[LG_PROC_MAX];
  size_t ws_open_at_start;
} run;

static uint64_t phase_intent(const run *r, size_t seq) {
  for (size_t i = 0; i < r->o.n_phases; i++) {
    const phase *ph = &r->o.phases[i];
    if (seq < ph->first_seq + ph->count)
      return r->t0 + ph->start_ns + (uint64_t)((double)(seq - ph->first_seq) * 1e9 / ph->rate);
  }
  return UINT64_MAX;
}

/* ---- requests ---- */

/* Far-apart coordinates per report: the worker merges reports of one
 * category within 300 m, so by default each report opens its own incident.
 * A second layer shifted by half a cell keeps >700 m. With --places N the
 * reports go round N places instead and join the incidents there, as the
 * reports of one big fire do; every update still names its report. */
static void grid_point(size_t seq, size_t places, double *lat, double *lon) {
  if (places > 0)
    seq %= places;
  size_t cells = GRID_ROWS * GRID_COLS, j = seq % cells, layer = (seq / cells) % 2;
  *lat = -3.0 + 0.01 * (double)(j / GRID_COLS) + 0.005 * (double)layer;
  *lon = 112.0 + 0.01 * (double)(j % GRID_COLS) + 0.005 * (double)layer;
}

static size_t build_request(void *data, size_t seq, char *buf, size_t cap) {
  run *r = data;
  char body[2048];
  int n;
  if (r->o.mode == MODE_SIAGA) {
    double lat, lon;
    grid_point(seq, r->o.places, &lat, &lon);
    n = snprintf(body, sizeof(body),
                 "{\"category\":\"fire\",\"description\":\"Kebakaran lahan gambut, asap tebal, "
                 "laporan uji beban %zu ",
                 seq);
    /* Each report from a caller of its own, as a city's load is: one number
     * for all would join every report into that caller's open incident (the
     * phone map) and measure one ever-growing incident instead. Pad the
     * description so the body is o.payload bytes, like the peers'. */
    unsigned long caller = (unsigned long)(seq % 100000000u);
    size_t tail_len = (size_t)snprintf(NULL, 0,
                                       "\",\"location\":{\"lat\":%.4f,\"lon\":%.4f},\"reporter\":"
                                       "{\"phone\":\"+62812%08lu\"}}",
                                       lat, lon, caller);
    while ((size_t)n + tail_len < r->o.payload && (size_t)n < sizeof(body) - 200)
      body[n++] = '.';
    n += snprintf(body + n, sizeof(body) - (size_t)n,
                  "\",\"location\":{\"lat\":%.4f,\"lon\":%.4f},\"reporter\":"
                  "{\"phone\":\"+62812%08lu\"}}",
                  lat, lon, caller);
    int h = snprintf(buf, cap,
                     "POST /v1/reports HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\n\r\n%.*s",
                     r->o.host, r->o.port, n, n, body);
    return h > 0 && (size_t)h < cap ? (size_t)h : 0;
  }
  /* nchan: "<seq> <intended send ns> ....", the id and timestamp inside the
   * message as any pub/sub benchmark must do. */
  n = snprintf(body, sizeof(body), "%zu %" PRIu64 " ", seq, phase_intent(r, seq));
  while ((size_t)n < r->o.payload && (size_t)n < sizeof(body) - 1)
    body[n++] = '.';
  int h = snprintf(buf, cap,
                   "POST /pub?id=%s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/plain\r\n"
                   "Content-Length: %d\r\n\r\n%.*s",
                   r->o.channel, r->o.host, r->o.port, n, n, body);
  return h > 0 && (size_t)h < cap ? (size_t)h : 0;
}

static void send_waiting(void *data) {
  run *r = data;
  while (r->next_send < r->next_due && lg_http_send(r->http, r->next_send) == 0)
    r->next_send++;
}

static void on_response(void *data, size_t seq, int status, const char *body, size_t len,
                        uint64_t now) {
  run *r = data;
  if (status < 200 || status > 299) {
    if (status < 0) {
      r->failed_closed++;
    } else {
      r->failed_status++;
      r->failed_last_status = status;
    }
    lg_track_failed(r->track, seq);
    return;
  }
  if (r->o.mode == MODE_NCHAN) {
    char key[24];
    int n = snprintf(key, sizeof(key), "%zu", seq);
    lg_track_acked(r->track, seq, now, key, (size_t)n);
    return;
  }
  static const char field[] = "\"reportId\":\"";
  const char *p = body ? memmem(body, len, field, sizeof(field) - 1) : NULL;
  if (p == NULL) {
    r->failed_no_id++;
    lg_track_failed(r->track, seq);
    return;
  }
  p += sizeof(field) - 1;
  const char *q = memchr(p, '"', (size_t)(body + len - p));
  if (q == NULL) {
    lg_track_failed(r->track, seq);
    return;
  }
  lg_track_acked(r->track, seq, now, p, (size_t)(q - p));
}

/* ---- console messages ---- */

/* Decodes a sample with the generated code and checks the scanner agreed. */
static void cross_check(run *r, const uint8_t *msg, size_t len, const lg_pbscan_update *u) {
  Siaga__V1__ConsoleServerMessage *m = siaga__v1__console_server_message__unpack(NULL, len, msg);
  r->decode_checked++;
  int ok = m != NULL && m->msg_case == SIAGA__V1__CONSOLE_SERVER_MESSAGE__MSG_UPDATE &&
           strlen(m->update->report_id) == u->report_id_len &&
           memcmp(m->update->report_id, u->report_id, u->report_id_len) == 0 &&
           strlen(m->update->id) == u->id_len && memcmp(m->update->id, u->id, u->id_len) == 0;
  if (!ok)
    r->decode_mismatch++;
  if (m != NULL)
    siaga__v1__console_server_message__free_unpacked(m, NULL);
}

/* FNV-1a over a snapshot's report ids in order, each followed by a NUL, so
 * the scanner and protobuf-c can be compared without keeping the ids. */
typedef struct id_digest {
  uint64_t h;
  size_t n;
} id_digest;

static void digest_id(void *data, const char *id, size_t len) {
  id_digest *d = data;
  for (size_t i = 0; i <= len; i++) {
    d->h ^= i < len ? (uint8_t)id[i] : 0;
    d->h *= 1099511628211ULL;
  }
  d->n++;
}

/* Decodes a snapshot with the generated code and checks the scanner found the
 * same last_update_id and the same report ids in the same order. */
static void cross_check_snapshot(run *r, const uint8_t *msg, size_t len, const char *last_id,
                                 size_t last_id_len) {
  id_digest scanned = {1469598103934665603ULL, 0}, decoded = scanned;
  const char *id2;
  size_t id2_len;
  r->snapshot_checked++;
  int ok = lg_pbscan_snapshot(msg, len, &id2, &id2_len, digest_id, &scanned) == LG_PBSCAN_SNAPSHOT;
  Siaga__V1__ConsoleServerMessage *m = siaga__v1__console_server_message__unpack(NULL, len, msg);
  ok = ok && m != NULL && m->msg_case == SIAGA__V1__CONSOLE_SERVER_MESSAGE__MSG_SNAPSHOT &&
       strlen(m->snapshot->last_update_id) == last_id_len &&
       memcmp(m->snapshot->last_update_id, last_id, last_id_len) == 0;
  for (size_t i = 0; ok && i < m->snapshot->n_incidents; i++) {
    const Siaga__V1__Incident *inc = m->snapshot->incidents[i];
    for (size_t j = 0; j < inc->n_report_ids; j++)
      digest_id(&decoded, inc->report_ids[j], strlen(inc->report_ids[j]));
  }
  ok = ok && scanned.n == decoded.n && scanned.h == decoded.h;
  if (!ok)
    r->decode_mismatch++;
  if (m != NULL)
    siaga__v1__console_server_message__free_unpacked(m, NULL);
}

typedef struct snapshot_ctx {
  run *r;
  size_t conn;
  uint64_t now;
} snapshot_ctx;

static void snapshot_report(void *data, const char *id, size_t len) {
  snapshot_ctx *sc = data;
  lg_track_delivered_snapshot(sc->r->track, sc->conn, id, len, sc->now);
}

/* A snapshot (on connect, or on a resume whose history is gone) tells the
 * console everything open: each report in it reached this console now, and
 * the console continues from its last_update_id, not from the last update it
 * saw before the gap. */
static void on_snapshot(run *r, lg_ws_pool *pool, size_t conn, const uint8_t *msg, size_t len,
                        uint64_t now) {
  snapshot_ctx sc = {r, conn, now};
  const char *last_id;
  size_t last_id_len;
  if (lg_pbscan_snapshot(msg, len, &last_id, &last_id_len, snapshot_report, &sc) !=
      LG_PBSCAN_SNAPSHOT) {
    r->invalid_frames++;
    return;
  }
  r->snapshots++;
  if (last_id_len > 0)
    lg_ws_set_resume_id(pool, conn, last_id, last_id_len);
  if (r->snapshot_checked < SNAPSHOT_SAMPLE)
    cross_check_snapshot(r, msg, len, last_id, last_id_len);
}

/* Runs on the console thread. conn is the console's index in the lg_ws pool
 * (0..consoles-1), which is also its index in lg_track's per-report console
 * bitmap. */
static void on_message(void *data, lg_ws_pool *pool, size_t conn, const uint8_t *msg, size_t len,
                       uint64_t now) {
  run *r = data;
  if (r->o.mode == MODE_IDLE)
    return;
  if (r->o.mode == MODE_NCHAN) {
    const uint8_t *sp = memchr(msg, ' ', len);
    if (sp == NULL) {
      r->invalid_frames++;
      return;
    }
    lg_track_delivered(r->track, conn, (const char *)msg, (size_t)(sp - msg), now);
    return;
  }
  lg_pbscan_update u;
  lg_pbscan_kind k = lg_pbscan_console(msg, len, &u);
  if (k == LG_PBSCAN_INVALID) {
    r->invalid_frames++;
    return;
  }
  if (k == LG_PBSCAN_SNAPSHOT) {
    on_snapshot(r, pool, conn, msg, len, now);
    return;
  }
  if (k != LG_PBSCAN_UPDATE)
    return;
  if (u.id_len > 0)
    lg_ws_set_resume_id(pool, conn, u.id, u.id_len);
  if (conn == 0 && r->decode_checked < DECODE_SAMPLE)
    cross_check(r, msg, len, &u);
  if (u.report_id_len > 0)
    lg_track_delivered(r->track, conn, u.report_id, u.report_id_len, now);
}

/* ---- the run's stages, driven by a 1 ms tick ---- */

static void finish(run *r);

static void mark_start(run *r) {
  lg_proc_mark_start(&r->o.watch);
  r->cpu_self_start = lg_proc_cpu_s(0);
  r->cpu_main_start = lg_proc_clock_cpu_s(CLOCK_THREAD_CPUTIME_ID);
  r->cpu_consoles_start = r->ws != NULL ? lg_wsthread_cpu_s(r->ws) : -1;
  r->t0 = uv_hrtime();
}

static void mark_end(run *r) {
  lg_proc_mark_end(&r->o.watch);
  r->cpu_self_end = lg_proc_cpu_s(0);
  r->cpu_main_end = lg_proc_clock_cpu_s(CLOCK_THREAD_CPUTIME_ID);
  r->cpu_consoles_end = r->ws != NULL ? lg_wsthread_cpu_s(r->ws) : -1;
  r->window_s = (double)(uv_hrtime() - r->t0) / 1e9;
}

static void enter(run *r, int stage) {
  r->stage = stage;
  r->stage_since = uv_hrtime();
}

static void on_tick(uv_timer_t *t) {
  run *r = t->data;
  uint64_t now = uv_hrtime();
  double in_stage = (double)(now - r->stage_since) / 1e9;
  lg_ws_stats ws = {0};
  if (r->ws != NULL)
    lg_wsthread_get_stats(r->ws, &ws);
  switch (r->stage) {
  case STAGE_CONNECT: {
    int http_ready = r->http == NULL || lg_http_idle(r->http) == r->o.connections;
    if ((ws.open >= r->o.consoles && http_ready) || in_stage > r->o.connect_s) {
      r->ws_open_at_start = ws.open;
      fprintf(stderr, "loadgen: %zu/%zu websockets open after %.1f s\n", ws.open, r->o.consoles,
              in_stage);
      enter(r, STAGE_SETTLE);
    }
    break;
  }
  case STAGE_SETTLE:
    if (in_stage < r->o.settle_s)
      break;
    mark_start(r);
    if (r->o.mode == MODE_IDLE) {
      enter(r, STAGE_HOLD);
    } else {
      r->end_offer_ns = phase_intent(r, r->total - 1);
      enter(r, STAGE_OFFER);
    }
    break;
  case STAGE_HOLD:
    if (in_stage >= r->o.hold_s) {
      mark_end(r);
      finish(r);
    }
    break;
  case STAGE_OFFER:
    while (r->next_due < r->total && phase_intent(r, r->next_due) <= now) {
      lg_track_offered(r->track, r->next_due, phase_intent(r, r->next_due));
      r->next_due++;
    }
    send_waiting(r);
    lg_http_check_timeouts(r->http, now);
    if (r->next_due == r->total)
      enter(r, STAGE_DRAIN);
    break;
  case STAGE_DRAIN: {
    send_waiting(r);
    lg_http_check_timeouts(r->http, now);
    int answered = r->next_send == r->total && lg_http_busy(r->http) == 0;
    if ((answered && lg_track_backlog_all(r->track) == 0) || in_stage > r->o.drain_s) {
      mark_end(r);
      finish(r);
    }
    break;
  }
  case STAGE_DONE:
    break;
  }
}

static void on_series(uv_timer_t *t) {
  run *r = t->data;
  if (r->stage != STAGE_OFFER && r->stage != STAGE_DRAIN)
    return;
  size_t backlog = lg_track_backlog_offered(r->track);
  if (backlog > r->backlog_max)
    r->backlog_max = backlog;
  if (r->next_due - r->next_send > r->queued_max)
    r->queued_max = r->next_due - r->next_send;
  if (r->series != NULL) {
    lg_ws_stats ws = {0};
    if (r->ws != NULL)
      lg_wsthread_get_stats(r->ws, &ws);
    fprintf(r->series, "%.2f %zu %zu %zu %zu %zu\n", (double)(uv_hrtime() - r->t0) / 1e9,
            r->next_due, lg_track_acked_count(r->track), backlog, r->next_due - r->next_send,
            ws.open);
  }
}

static void on_deadline(uv_timer_t *t) {
  run *r = t->data;
  fprintf(stderr, "loadgen: hard deadline of %.0f s reached; reporting what was measured\n",
          r->o.deadline_s);
  r->deadline_hit = 1;
  if (r->stage != STAGE_DONE) {
    if (r->t0 == 0)
      mark_start(r);
    mark_end(r);
    finish(r);
  }
}

/* ---- output ---- */

static void print_dist(const char *name, const lg_track_dist *d) {
  printf("\"%s\":{\"count\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},",
         name, d->count, d->p50, d->p90, d->p99, d->p999, d->max);
}

static void print_procs(run *r) {
  size_t first[LG_PROC_MAX], n = lg_proc_groups(&r->o.watch, first);
  double self = r->cpu_self_end - r->cpu_self_start;
  printf("\"cpu_pct\":{\"loadgen\":%.1f", r->window_s > 0 ? 100.0 * self / r->window_s : 0.0);
  for (size_t i = 0; i < n; i++) {
    const char *name = r->o.watch.p[first[i]].name;
    double s = lg_proc_group_cpu_s(&r->o.watch, name);
    printf(",\"%s\":%.1f", name, r->window_s > 0 ? 100.0 * s / r->window_s : 0.0);
  }
  printf("}");
  if (r->window_s > 0 && r->cpu_main_start >= 0 && r->cpu_consoles_start >= 0 &&
      r->cpu_consoles_end >= 0)
    printf(",\"cpu_pct_threads\":{\"main\":%.1f,\"consoles\":%.1f}",
           100.0 * (r->cpu_main_end - r->cpu_main_start) / r->window_s,
           100.0 * (r->cpu_consoles_end - r->cpu_consoles_start) / r->window_s);
  printf(",\"cpu_s\":{\"loadgen\":%.3f", self);
  for (size_t i = 0; i < n; i++) {
    const char *name = r->o.watch.p[first[i]].name;
    printf(",\"%s\":%.3f", name, lg_proc_group_cpu_s(&r->o.watch, name));
  }
  printf("},\"rss_kb\":{");
  for (size_t i = 0; i < n; i++) {
    const char *name = r->o.watch.p[first[i]].name;
    long before = 0;
    for (size_t j = 0; j < r->o.watch.n; j++) {
      if (strcmp(r->o.watch.p[j].name, name) == 0 && r->rss_before[j] > 0)
        before += r->rss_before[j];
    }
    printf("%s\"%s\":{\"before_connect\":%ld,\"start\":%ld,\"end\":%ld}", i ? "," : "", name, before,
           lg_proc_group_rss_kb(&r->o.watch, name, 0), lg_proc_group_rss_kb(&r->o.watch, name, 1));
  }
  printf("},");
}

static const char *mode_name(lg_mode m) {
  return m == MODE_SIAGA ? "siaga" : m == MODE_NCHAN ? "nchan" : "idle";
}

static int exit_status;

static void finish(run *r) {
  enter(r, STAGE_DONE);
  uv_timer_stop(&r->tick);
  uv_timer_stop(&r->deadline);
  uv_timer_stop(&r->series_timer);
  /* After this the console thread runs no more callbacks, so its counters
   * and its share of lg_track are final. */
  lg_ws_stats ws = {0};
  if (r->ws != NULL) {
    lg_wsthread_stop(r->ws);
    lg_wsthread_get_stats(r->ws, &ws);
  }
  printf("{\"mode\":\"%s\",\"consoles\":%zu,\"connections\":%zu,\"payload\":%zu,", mode_name(r->o.mode),
         r->o.consoles, r->o.connections, r->o.payload);
  printf("\"client_threads\":%d,", r->ws != NULL ? 2 : 1);
  printf("\"window_s\":%.3f,\"deadline_hit\":%s,", r->window_s, r->deadline_hit ? "true" : "false");
  printf("\"ws\":{\"open_at_start\":%zu,\"open_at_end\":%zu,\"established\":%zu,"
         "\"connect_errors\":%zu,\"closes\":%zu,\"closes_lagging\":%zu,\"skipped_large\":%zu},",
         r->ws_open_at_start, ws.open, ws.established, ws.connect_errors, ws.closes,
         ws.closes_lagging, ws.skipped);
  print_procs(r);
  int lost = 0;
  if (r->o.mode != MODE_IDLE) {
    lg_track_summary s;
    lg_track_summarize(r->track, &s);
    printf("\"phases\":[");
    for (size_t i = 0; i < r->o.n_phases; i++)
      printf("%s{\"rate\":%.1f,\"secs\":%.2f}", i ? "," : "", r->o.phases[i].rate, r->o.phases[i].secs);
    printf("],\"offered\":%zu,\"acked\":%zu,\"failed\":%zu,\"not_answered\":%zu,", s.offered, s.acked,
           s.failed, s.offered - s.acked - s.failed);
    printf("\"failed_closed\":%zu,\"failed_status\":%zu,\"failed_last_status\":%d,"
           "\"failed_no_id\":%zu,",
           r->failed_closed, r->failed_status, r->failed_last_status, r->failed_no_id);
    printf("\"seen_first\":%zu,\"seen_all\":%zu,\"lost_any\":%zu,\"lost_some\":%zu,\"unmatched\":%zu,"
           "\"duplicates\":%zu,\"deliveries\":%" PRIu64 ",",
           s.seen_first, s.seen_all, s.lost_any, s.lost_some, s.unmatched, s.duplicates, s.deliveries);
    printf("\"snapshots\":%zu,\"via_snapshot\":%zu,\"untracked\":%zu,\"snapshot_checked\":%zu,",
           r->snapshots, s.via_snapshot, s.untracked, r->snapshot_checked);
    print_dist("ack_ms", &s.ack);
    print_dist("e2e_first_ms", &s.first);
    print_dist("e2e_all_ms", &s.all);
    print_dist("e2e_each_ms", &s.each);
    printf("\"each_dropped\":%zu,", s.each_dropped);
    uint64_t last = lg_track_last_delivery_ns(r->track);
    double drain = last > r->end_offer_ns ? (double)(last - r->end_offer_ns) / 1e9 : 0.0;
    printf("\"queued_max\":%zu,", r->queued_max);
    printf("\"drain_s\":%.3f,\"backlog_max\":%zu,\"invalid_frames\":%zu,\"decode_checked\":%zu,"
           "\"decode_mismatch\":%zu,",
           drain, r->backlog_max, r->invalid_frames, r->decode_checked, r->decode_mismatch);
    lost = s.lost_any > 0 || s.lost_some > 0 || r->decode_mismatch > 0;
    fprintf(stderr,
            "loadgen: offered %zu, acked %zu, failed %zu; seen by a console %zu, by all %zu; "
            "lost %zu (any) %zu (some); ack p99 %.2f ms; e2e first p99 %.2f ms, all p99 %.2f ms; "
            "failures: %zu connection closed, %zu non-2xx (last %d), %zu without reportId\n",
            s.offered, s.acked, s.failed, s.seen_first, s.seen_all, s.lost_any, s.lost_some,
            s.ack.p99, s.first.p99, s.all.p99, r->failed_closed, r->failed_status,
            r->failed_last_status, r->failed_no_id);
  }
  printf("\"ok\":%s}\n", lost || r->deadline_hit ? "false" : "true");
  fflush(stdout);
  if (r->series != NULL)
    fclose(r->series);
  exit_status = r->deadline_hit ? 3 : lost ? 1 : 0;
  /* Exit here, not after a teardown: the kernel closes thousands of sockets
   * faster than lws would, and nothing of ours outlives the process. */
  exit(exit_status);
}

/* ---- options ---- */

static void usage(FILE *f) {
  fprintf(f,
          "usage: siaga-loadgen --mode siaga|nchan|idle --target HOST:PORT [options]\n"
          "  --rate R --duration S    offer R per second for S seconds (default 100, 5)\n"
          "  --profile R:S,R:S,...    a rate profile instead, e.g. 100:5,1000:10,100:5\n"
          "  --connections N          keep-alive HTTP connections (default 32)\n"
          "  --consoles N             WebSockets (consoles, subscribers, idle) (default 10)\n"
          "  --payload BYTES          body size (default 300)\n"
          "  --places N               siaga: reports go round N places and join the\n"
          "                           incidents there (default: each at a place of its own)\n"
          "  --channel ID             nchan channel (default bench)\n"
          "  --system siaga|nchan     idle: whose WebSockets to hold (default siaga)\n"
          "  --connect-timeout S      wait this long for all WebSockets (default 30)\n"
          "  --connect-window N       handshakes in flight (default 64)\n"
          "  --settle S               pause after connecting (default 0.5)\n"
          "  --drain S                wait this long after the last send (default 30)\n"
          "  --hold S                 idle: measure CPU over S seconds (default 10)\n"
          "  --timeout S              HTTP request timeout (default 10)\n"
          "  --deadline S             hard end of the whole run (default 300)\n"
          "  --watch NAME=PID         report CPU and RSS of PID under NAME (repeatable)\n"
          "  --series FILE            write t offered acked backlog queued ws_open\n"
          "                           every 100 ms (backlog: offered, on no console yet;\n"
          "                           queued: due, waiting for a free connection)\n"
          "exit: 0 ok, 1 something acknowledged was not seen by every console, 2 usage,\n"
          "      3 deadline hit\n");
}

static int parse_profile(const char *s, options *o) {
  o->n_phases = 0;
  while (*s) {
    char *end;
    if (o->n_phases == MAX_PHASES)
      return -1;
    phase *p = &o->phases[o->n_phases++];
    p->rate = strtod(s, &end);
    if (*end != ':' || p->rate <= 0 || p->rate > 1e6)
      return -1;
    p->secs = strtod(end + 1, &end);
    if (p->secs <= 0 || p->secs > 3600 || (*end != ',' && *end != '\0'))
      return -1;
    s = *end ? end + 1 : end;
  }
  return o->n_phases ? 0 : -1;
}

static int parse_options(int argc, char **argv, options *o) {
  static const struct option opts[] = {
      {"mode", 1, NULL, 'm'},       {"target", 1, NULL, 't'},       {"rate", 1, NULL, 'r'},
      {"duration", 1, NULL, 'd'},   {"profile", 1, NULL, 'p'},      {"connections", 1, NULL, 'c'},
      {"consoles", 1, NULL, 'n'},   {"payload", 1, NULL, 'b'},      {"channel", 1, NULL, 'C'},
      {"connect-timeout", 1, NULL, 'T'}, {"connect-window", 1, NULL, 'W'},
      {"settle", 1, NULL, 's'},     {"drain", 1, NULL, 'D'},        {"hold", 1, NULL, 'H'},
      {"timeout", 1, NULL, 'o'},    {"deadline", 1, NULL, 'X'},     {"watch", 1, NULL, 'w'},
      {"series", 1, NULL, 'S'},     {"system", 1, NULL, 'y'},       {"places", 1, NULL, 'P'},
      {"help", 0, NULL, 'h'},       {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof(*o));
  double rate = 100, duration = 5;
  const char *profile = NULL;
  o->connections = 32;
  o->consoles = 10;
  o->payload = 300;
  o->channel = "bench";
  o->connect_s = 30;
  o->connect_window = 64;
  o->settle_s = 0.5;
  o->drain_s = 30;
  o->hold_s = 10;
  o->timeout_s = 10;
  o->deadline_s = 300;
  o->mode = -1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      o->mode = !strcmp(optarg, "siaga") ? MODE_SIAGA : !strcmp(optarg, "nchan") ? MODE_NCHAN
                : !strcmp(optarg, "idle") ? MODE_IDLE : (lg_mode)-1;
      break;
    case 't':
      if (sg_hostport_parse(optarg, o->host, sizeof(o->host), &o->port) != 0)
        return -1;
      break;
    case 'r': rate = atof(optarg); break;
    case 'd': duration = atof(optarg); break;
    case 'p': profile = optarg; break;
    case 'c': o->connections = (size_t)atol(optarg); break;
    case 'n': o->consoles = (size_t)atol(optarg); break;
    case 'b': o->payload = (size_t)atol(optarg); break;
    case 'P': o->places = (size_t)atol(optarg); break;
    case 'C': o->channel = optarg; break;
    case 'T': o->connect_s = atof(optarg); break;
    case 'W': o->connect_window = (size_t)atol(optarg); break;
    case 's': o->settle_s = atof(optarg); break;
    case 'D': o->drain_s = atof(optarg); break;
    case 'H': o->hold_s = atof(optarg); break;
    case 'o': o->timeout_s = atof(optarg); break;
    case 'X': o->deadline_s = atof(optarg); break;
    case 'w':
      if (lg_proc_add(&o->watch, optarg) != 0)
        return -1;
      break;
    case 'S': o->series_path = optarg; break;
    case 'y':
      if (strcmp(optarg, "siaga") != 0 && strcmp(optarg, "nchan") != 0)
        return -1;
      o->idle_nchan = strcmp(optarg, "nchan") == 0;
      break;
    case 'h': usage(stdout); exit(0);
    default: return -1;
    }
  }
  if ((int)o->mode < 0 || o->port == 0 || optind < argc || o->payload > 1500 ||
      o->connections < 1 || o->connections > 4096 || o->consoles > 100000 ||
      o->deadline_s <= 0 || o->deadline_s > 3600)
    return -1;
  if (o->mode != MODE_IDLE && o->consoles < 1)
    return -1;
  if (profile != NULL) {
    if (parse_profile(profile, o) != 0)
      return -1;
  } else {
    if (rate <= 0 || duration <= 0)
      return -1;
    o->phases[0].rate = rate;
    o->phases[0].secs = duration;
    o->n_phases = 1;
  }
  return 0;
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int main(int argc, char **argv) {
  static run r;
  if (parse_options(argc, argv, &r.o) != 0) {
    usage(stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  /* A backstop beyond the loop's own deadline timer: if the loop itself is
   * wedged, SIGALRM ends the process and the caller sees it. */
  alarm((unsigned)r.o.deadline_s + 15);
  lws_set_log_level(LLL_ERR, NULL);

  size_t total = 0;
  uint64_t start = 0;
  for (size_t i = 0; i < r.o.n_phases; i++) {
    phase *ph = &r.o.phases[i];
    ph->count = (size_t)(ph->rate * ph->secs + 0.5);
    ph->first_seq = total;
    ph->start_ns = start;
    total += ph->count;
    start += (uint64_t)(ph->secs * 1e9);
  }
  if (r.o.mode != MODE_IDLE && (total == 0 || total > 2000000)) {
    fprintf(stderr, "loadgen: %zu reports is out of bounds (1..2000000)\n", total);
    return 2;
  }
  r.total = total;
  uv_loop_t loop;
  uv_loop_init(&loop);
  r.loop = &loop;
  for (size_t i = 0; i < r.o.watch.n; i++)
    r.rss_before[i] = lg_proc_rss_kb(r.o.watch.p[i].pid);

  if (r.o.mode != MODE_IDLE) {
    r.track = lg_track_create(total, r.o.consoles);
    lg_http_options ho = {.host = r.o.host, .port = r.o.port, .connections = r.o.connections,
                          .timeout_ns = (uint64_t)(r.o.timeout_s * 1e9), .build = build_request,
                          .on_response = on_response, .on_idle = send_waiting, .data = &r};
    r.http = r.track ? lg_http_create(&loop, &ho) : NULL;
    if (r.http == NULL) {
      fprintf(stderr, "loadgen: cannot set up HTTP (out of memory or bad address)\n");
      return 2;
    }
    if (r.o.series_path && (r.series = fopen(r.o.series_path, "w")) == NULL) {
      perror(r.o.series_path);
      return 2;
    }
  }
  char sub_path[128];
  snprintf(sub_path, sizeof(sub_path), "/sub?id=%s", r.o.channel);
  int nchan = r.o.mode == MODE_NCHAN || (r.o.mode == MODE_IDLE && r.o.idle_nchan);
  /* siagad's consoles sign in: bench/run puts a session token in SIAGA_TOKEN. */
  static char authorization[128];
  const char *token = getenv("SIAGA_TOKEN");
  if (token != NULL && !nchan)
    snprintf(authorization, sizeof(authorization), "Bearer %s", token);
  lg_ws_options wo = {.host = r.o.host, .port = r.o.port,
                      .path = nchan ? sub_path : "/v1/console",
                      .subprotocol = nchan ? NULL : "siaga.console.v1",
                      .authorization = authorization[0] != '\0' ? authorization : NULL,
                      .connections = r.o.consoles, .connect_window = r.o.connect_window,
                      .resume = r.o.mode == MODE_SIAGA, .on_message = on_message, .data = &r};
  if (r.o.consoles > 0 && (r.ws = lg_wsthread_start(&wo)) == NULL) {
    fprintf(stderr, "loadgen: cannot start libwebsockets (is libwebsockets-evlib-uv installed?)\n");
    return 2;
  }
  uv_timer_init(&loop, &r.tick);
  uv_timer_init(&loop, &r.deadline);
  uv_timer_init(&loop, &r.series_timer);
  r.tick.data = r.deadline.data = r.series_timer.data = &r;
  enter(&r, STAGE_CONNECT);
  uv_timer_start(&r.tick, on_tick, 1, 1);
  uv_timer_start(&r.series_timer, on_series, 100, 100);
  uv_timer_start(&r.deadline, on_deadline, (uint64_t)(r.o.deadline_s * 1000), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  return exit_status;
}
