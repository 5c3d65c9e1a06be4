#include "lg_ws.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECONNECT_PAUSE_NS 200000000ULL /* 200 ms: let a struggling server breathe */
#define RESUME_ID_MAX 64
#define DEFAULT_MAX_MESSAGE 65536

/* Why two limits: siaga answers a connect (and a resume whose history is
 * gone) with one Snapshot frame holding up to the server's snapshot limit of
 * open incidents (5000 by default, each with its report ids), which is
 * megabytes under a surge; every later frame is one update of a few hundred
 * bytes. A snapshot skipped would count every report in it as lost on that
 * console, so the first message after connecting may be this large. Only the
 * first: a console could otherwise keep 32 MiB per connection, and with
 * thousands of consoles that is the machine's memory, not a bound. A buffer
 * that grew past the ordinary limit is freed after its message, so the large
 * allocations live only while a snapshot is being received. A snapshot comes
 * in pages (Snapshot.more), back to back: the message after a snapshot page
 * gets the same allowance, so every page may be large, and an update after
 * the last page only has a bound it does not need. */
#define DEFAULT_MAX_FIRST_MESSAGE (32u * 1024 * 1024)

typedef enum ws_state { WS_QUEUED = 0, WS_CONNECTING, WS_OPEN, WS_STOPPED } ws_state;

typedef struct ws_conn {
  lg_ws_pool *pool;
  struct lws *wsi;
  ws_state state;
  uint64_t not_before_ns;
  uint8_t *buf; /* reassembly of fragmented messages, allocated on first need */
  size_t len, cap;
  int skipping;
  int first_message; /* the next message is the first since connecting */
  char resume_id[RESUME_ID_MAX];
} ws_conn;

struct lg_ws_pool {
  uv_loop_t *loop;
  lg_ws_options o;
  struct lws_context *ctx;
  struct lws_protocols protocols[2];
  ws_conn *conns;
  size_t *queue; /* ring of connection indexes waiting to connect */
  size_t q_head, q_len;
  size_t inflight;
  /* Written on the pool's thread, read by lg_ws_get_stats from any thread. */
  uv_mutex_t stats_mutex;
  lg_ws_stats stats;
  uv_timer_t pacer;
  int stopping;
};

static void enqueue(lg_ws_pool *p, ws_conn *c, uint64_t not_before_ns) {
  c->state = WS_QUEUED;
  c->not_before_ns = not_before_ns;
  c->wsi = NULL;
  p->queue[(p->q_head + p->q_len) % p->o.connections] = (size_t)(c - p->conns);
  p->q_len++;
}

/* A handshake that ended without a connection: count it and retry later. */
static void connect_failed(ws_conn *c) {
  lg_ws_pool *p = c->pool;
  if (c->state != WS_CONNECTING)
    return;
  p->inflight--;
  uv_mutex_lock(&p->stats_mutex);
  p->stats.connect_errors++;
  uv_mutex_unlock(&p->stats_mutex);
  if (p->stopping)
    c->state = WS_STOPPED;
  else
    enqueue(p, c, uv_hrtime() + RECONNECT_PAUSE_NS);
}

static void start_connect(lg_ws_pool *p, ws_conn *c) {
  char path[256];
  if (c->resume_id[0] != '\0')
    snprintf(path, sizeof(path), "%s%cafter=%s", p->o.path, strchr(p->o.path, '?') ? '&' : '?',
             c->resume_id);
  else
    snprintf(path, sizeof(path), "%s", p->o.path);
  struct lws_client_connect_info i;
  memset(&i, 0, sizeof(i));
  i.context = p->ctx;
  i.address = p->o.host;
  i.port = p->o.port;
  i.path = path;
  i.host = p->o.host;
  i.origin = p->o.host;
  i.protocol = p->o.subprotocol;
  i.local_protocol_name = p->protocols[0].name;
  i.ietf_version_or_minus_one = -1;
  i.opaque_user_data = c;
  i.pwsi = &c->wsi;
  c->state = WS_CONNECTING;
  p->inflight++;
  if (lws_client_connect_via_info(&i) == NULL)
    connect_failed(c); /* no-op if lws already reported the error */
}

static void on_pacer(uv_timer_t *t) {
  lg_ws_pool *p = t->data;
  size_t window = p->o.connect_window ? p->o.connect_window : 64;
  uint64_t now = uv_hrtime();
  while (!p->stopping && p->q_len > 0 && p->inflight < window) {
    ws_conn *c = &p->conns[p->queue[p->q_head]];
    if (c->not_before_ns > now)
      break;
    p->q_head = (p->q_head + 1) % p->o.connections;
    p->q_len--;
    start_connect(p, c);
  }
}

static void deliver(lg_ws_pool *p, ws_conn *c, const uint8_t *msg, size_t len) {
  p->o.on_message(p->o.data, p, (size_t)(c - p->conns), msg, len, uv_hrtime());
}

static void count_skipped(lg_ws_pool *p) {
  uv_mutex_lock(&p->stats_mutex);
  p->stats.skipped++;
  uv_mutex_unlock(&p->stats_mutex);
}

/* A Snapshot frame, protobuf (ConsoleServerMessage field 1) or JSON. */
static int is_snapshot(const uint8_t *m, size_t len) {
  static const char json[] = "{\"snapshot\"";
  return (len > 0 && m[0] == 0x0a) ||
         (len >= sizeof(json) - 1 && memcmp(m, json, sizeof(json) - 1) == 0);
}

static void on_receive(lg_ws_pool *p, ws_conn *c, struct lws *wsi, const uint8_t *in, size_t len) {
  size_t normal = p->o.max_message ? p->o.max_message : DEFAULT_MAX_MESSAGE;
  size_t max = normal;
  if (c->first_message) {
    size_t first_max = p->o.max_first_message ? p->o.max_first_message : DEFAULT_MAX_FIRST_MESSAGE;
    if (first_max > max)
      max = first_max;
  }
  int first = lws_is_first_fragment(wsi);
  int last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
  if (first && last) { /* the usual case: no copy */
    c->first_message = 0;
    if (len > max) { /* the limit holds for unfragmented messages too */
      count_skipped(p);
      return;
    }
    c->first_message = is_snapshot(in, len);
    deliver(p, c, in, len);
    return;
  }
  if (first) {
    c->len = 0;
    c->skipping = 0;
  }
  if (!c->skipping && c->len + len > max) {
    c->skipping = 1;
    count_skipped(p);
  }
  if (!c->skipping) {
    if (c->len + len > c->cap) {
      size_t cap = c->cap ? c->cap : 4096;
      while (cap < c->len + len)
        cap *= 2;
      uint8_t *nb = realloc(c->buf, cap);
      if (nb == NULL) {
        c->skipping = 1;
        count_skipped(p);
      } else {
        c->buf = nb;
        c->cap = cap;
      }
    }
    if (!c->skipping) {
      memcpy(c->buf + c->len, in, len);
      c->len += len;
    }
  }
  if (!last)
    return;
  c->first_message = !c->skipping && is_snapshot(c->buf, c->len);
  if (!c->skipping)
    deliver(p, c, c->buf, c->len);
  if (c->cap > normal) {
    free(c->buf);
    c->buf = NULL;
    c->cap = c->len = 0;
  }
}

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)user;
  ws_conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
  if (c == NULL)
    return 0;
  lg_ws_pool *p = c->pool;
  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    /* siagad admits consoles that are signed in (its ws/gate.h). */
    if (p->o.authorization != NULL) {
      unsigned char **pos = in, *end = *pos + len;
      if (lws_add_http_header_by_name(wsi, (const unsigned char *)"authorization:",
                                      (const unsigned char *)p->o.authorization,
                                      (int)strlen(p->o.authorization), pos, end) != 0)
        return -1;
    }
    break;
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    if (c->state == WS_CONNECTING) {
      p->inflight--;
      c->state = WS_OPEN;
      c->first_message = 1;
      c->len = 0;
      c->skipping = 0;
      uv_mutex_lock(&p->stats_mutex);
      p->stats.open++;
      p->stats.established++;
      uv_mutex_unlock(&p->stats_mutex);
    }
    break;
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    connect_failed(c);
    break;
  case LWS_CALLBACK_CLIENT_RECEIVE:
    on_receive(p, c, wsi, in, len);
    break;
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    if (len >= 2 && ((((const uint8_t *)in)[0] << 8) | ((const uint8_t *)in)[1]) == 4000) {
      uv_mutex_lock(&p->stats_mutex);
      p->stats.closes_lagging++;
      uv_mutex_unlock(&p->stats_mutex);
    }
    break;
  case LWS_CALLBACK_CLIENT_CLOSED:
    if (c->state == WS_OPEN) {
      uv_mutex_lock(&p->stats_mutex);
      p->stats.open--;
      p->stats.closes++;
      uv_mutex_unlock(&p->stats_mutex);
      if (p->o.resume && !p->stopping)
        enqueue(p, c, uv_hrtime() + RECONNECT_PAUSE_NS);
      else
        c->state = WS_STOPPED;
    } else {
      connect_failed(c);
    }
    break;
  default:
    break;
  }
  return 0;
}

lg_ws_pool *lg_ws_create(uv_loop_t *loop, const lg_ws_options *o) {
  lg_ws_pool *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return NULL;
  p->loop = loop;
  p->o = *o;
  if (uv_mutex_init(&p->stats_mutex) != 0) {
    free(p);
    return NULL;
  }
  p->conns = calloc(o->connections ? o->connections : 1, sizeof(ws_conn));
  p->queue = calloc(o->connections ? o->connections : 1, sizeof(size_t));
  if (p->conns == NULL || p->queue == NULL)
    goto fail;
  /* The local protocol must carry the subprotocol's name: lws binds the
   * client to the local protocol named by the server's answer. */
  p->protocols[0].name = o->subprotocol ? o->subprotocol : "lg-ws";
  p->protocols[0].callback = on_lws;
  p->protocols[0].rx_buffer_size = 65536;

  void *loops[1] = {loop};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = p->protocols;
  info.options = LWS_SERVER_OPTION_LIBUV;
  info.foreign_loops = loops;
  info.timeout_secs = 20;
  info.connect_timeout_secs = 10;
  p->ctx = lws_create_context(&info);
  if (p->ctx == NULL)
    goto fail;
  for (size_t i = 0; i < o->connections; i++) {
    p->conns[i].pool = p;
    enqueue(p, &p->conns[i], 0);
  }
  uv_timer_init(loop, &p->pacer);
  p->pacer.data = p;
  uv_timer_start(&p->pacer, on_pacer, 0, 2);
  return p;
fail:
  uv_mutex_destroy(&p->stats_mutex);
  free(p->conns);
  free(p->queue);
  free(p);
  return NULL;
}

void lg_ws_set_resume_id(lg_ws_pool *p, size_t conn, const char *id, size_t len) {
  if (conn >= p->o.connections || len >= RESUME_ID_MAX)
    return;
  memcpy(p->conns[conn].resume_id, id, len);
  p->conns[conn].resume_id[len] = '\0';
}

void lg_ws_get_stats(lg_ws_pool *p, lg_ws_stats *out) {
  uv_mutex_lock(&p->stats_mutex);
  *out = p->stats;
  uv_mutex_unlock(&p->stats_mutex);
}

void lg_ws_stop(lg_ws_pool *p) {
  p->stopping = 1;
  uv_timer_stop(&p->pacer);
}
