#include "ws/responder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/pending.h"
#include "store/keys.h"
#include "wire/pbjson.h"
#include "ws/msg.h"
#include "ws/responder_internal.h"
#include "ws/ring.h"
#include "siaga/v1/siaga.pb-c.h"

#define SYNC_ATTEMPTS 3
#define CLOSE_GRACE_SECONDS 2 /* a laggard gets this long to take its close frame */
#define WRITE_CLOSE_FRAME ((enum lws_write_protocol)4) /* see hub.c */
#define BUCKETS SG_RESPONDER__BUCKETS

static void start_sync(session *s);

/* ---- connections by unit ---- */

static size_t bucket_of(const char *unit_id) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)unit_id; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h % BUCKETS;
}

static void session_link(session *s) {
  session **head = &s->r->buckets[bucket_of(s->who.name)];
  s->prev = NULL;
  s->next = *head;
  if (*head != NULL)
    (*head)->prev = s;
  *head = s;
  s->r->n_sessions++;
}

static void session_unlink(session *s) {
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    s->r->buckets[bucket_of(s->who.name)] = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  s->r->n_sessions--;
}

/* ---- sending ---- */

/* Takes the caller's reference to m. */
static void session_push(session *s, sg_msg *m) {
  if (s->state == SESSION_CLOSING) {
    sg_msg_release(m);
    return;
  }
  if (s->q.len >= s->r->max_queue) {
    sg_msg_release(m);
    sg_ring_queue_clear(&s->q, sg_msg_release);
    s->r->lag_drops++;
    sg_responder__close(s, SG_HUB_CLOSE_LAGGING, "too slow; resume with ?resume=");
    return;
  }
  if (sg_ring_queue_push(&s->q, m, sg_msg_release) != 0) {
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  lws_callback_on_writable(s->wsi);
}

void sg_responder__send(session *s, const Siaga__V1__ResponderServerMessage *sm) {
  sg_ring_id none = {0, 0};
  sg_msg *m = sg_msg_create_message(&sm->base, 1 << s->format, none);
  if (m == NULL)
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
  else
    session_push(s, m);
}

/* A reply waits while the connection syncs: the hello (or the replay) is
 * always what a connection gets first. */
void sg_responder__reply(session *s, const Siaga__V1__ResponderServerMessage *sm) {
  if (s->state != SESSION_WAIT_FOLLOW && s->state != SESSION_SYNCING) {
    sg_responder__send(s, sm);
    return;
  }
  sg_ring_id none = {0, 0};
  sg_msg *m = sg_msg_create_message(&sm->base, 1 << s->format, none);
  if (m == NULL || sg_ring_queue_push(&s->held, m, sg_msg_release) != 0)
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
}

void sg_responder__send_error(session *s, const char *code, const char *message) {
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  e.code = (char *)code;
  e.message = (char *)message;
  Siaga__V1__ResponderServerMessage sm = SIAGA__V1__RESPONDER_SERVER_MESSAGE__INIT;
  sm.msg_case = SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ERROR;
  sm.error = &e;
  sg_responder__send(s, &sm);
}

void sg_responder__close(session *s, int code, const char *reason) {
  if (s->state == SESSION_CLOSING)
    return;
  s->state = SESSION_CLOSING;
  s->close_code = code;
  snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
  lws_set_timeout(s->wsi, PENDING_TIMEOUT_LAGGING, CLOSE_GRACE_SECONDS);
  lws_callback_on_writable(s->wsi);
}

static void store_unavailable(session *s) {
  sg_responder__send_error(s, "unavailable", "the unit store is unavailable; reconnect later");
  sg_responder__close(s, SG_HUB_CLOSE_TRY_AGAIN, "store unavailable");
}

/* ---- what concerns the unit ---- */

/* Sends s what update u (stream id id) means for its unit, if anything,
 * unless it was dealt with already. */
static void consider(session *s, sg_ring_id id, const Siaga__V1__IncidentUpdate *u) {
  if (sg_ring_id_cmp(id, s->last) <= 0 || s->state == SESSION_CLOSING)
    return;
  s->last = id;
  sg_msg *m;
  if (sg_responder__message_for(u, id, s->who.name, 1 << s->format, &m) != 0) {
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  if (m != NULL)
    session_push(s, m);
  if (sg_responder__disables(u, s->who.name))
    sg_responder__close(s, SG_HUB_CLOSE_SIGNED_OUT, "the unit is disabled");
}

/* The same for a packed update (from the ring or a replay). */
static void consider_packed(session *s, sg_ring_id id, const uint8_t *pb, size_t len) {
  if (sg_ring_id_cmp(id, s->last) <= 0)
    return;
  Siaga__V1__IncidentUpdate *u = siaga__v1__incident_update__unpack(NULL, len, pb);
  if (u == NULL) {
    s->last = id;
    return;
  }
  char idbuf[48];
  sg_ring_id_format(id, idbuf, sizeof(idbuf));
  char *saved = u->id;
  u->id = idbuf;
  consider(s, id, u);
  u->id = saved;
  siaga__v1__incident_update__free_unpacked(u, NULL);
}

/* The observer's update: to every live connection of each unit it
 * concerns, one encoding per unit and format; kept in the ring for those
 * syncing. */
static void on_update(void *data, sg_ring_id id, const Siaga__V1__IncidentUpdate *u) {
  sg_responder *r = data;
  const char *units[SG_RESPONDER__UNITS_MAX];
  size_t n = sg_responder__units_of(u, units);
  if (n == 0)
    return;
  size_t len = siaga__v1__incident_update__get_packed_size(u);
  sg_msg *kept = calloc(1, sizeof(*kept));
  if (kept != NULL && (kept->data[SG_MSG_PB] = malloc(len + 1)) != NULL) {
    kept->refs = 1;
    kept->id = id;
    kept->len[SG_MSG_PB] = siaga__v1__incident_update__pack(u, kept->data[SG_MSG_PB]);
    sg_ring_push(&r->ring, id, kept);
  } else {
    free(kept);
    /* The ring lost an update a syncing connection may need: each resyncs
     * (the ring's known_after says so). */
    r->ring.known_after = id;
  }
  for (size_t i = 0; i < n; i++) {
    sg_msg *shared[2] = {NULL, NULL};
    for (session *s = r->buckets[bucket_of(units[i])]; s != NULL; s = s->next) {
      if (s->state != SESSION_LIVE || strcmp(s->who.name, units[i]) != 0 ||
          sg_ring_id_cmp(id, s->last) <= 0)
        continue;
      s->last = id;
      if (shared[s->format] == NULL &&
          sg_responder__message_for(u, id, units[i], 1 << s->format, &shared[s->format]) != 0) {
        sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
        continue;
      }
      if (shared[s->format] != NULL) {
        shared[s->format]->refs++;
        session_push(s, shared[s->format]);
      }
      if (sg_responder__disables(u, units[i]))
        sg_responder__close(s, SG_HUB_CLOSE_SIGNED_OUT, "the unit is disabled");
    }
    sg_msg_release(shared[0]);
    sg_msg_release(shared[1]);
  }
}

/* A syncing connection takes the updates the ring kept since its sync
 * began, then goes live. */
static void catch_up(session *s) {
  sg_responder *r = s->r;
  if (s->pos < sg_ring_oldest(&r->ring) || sg_ring_id_cmp(s->last, r->ring.known_after) < 0) {
    /* The ring moved on while the hello was read (a surge): again. */
    start_sync(s);
    return;
  }
  sg_ring_id last = s->last;
  for (uint64_t pos = s->pos; pos < r->ring.head && s->state != SESSION_CLOSING;) {
    sg_msg *m = sg_ring_next(&r->ring, &pos, &last);
    if (m == NULL)
      break;
    consider_packed(s, m->id, m->data[SG_MSG_PB], m->len[SG_MSG_PB]);
  }
  if (s->state == SESSION_CLOSING)
    return;
  s->state = SESSION_LIVE;
  for (sg_msg *m; (m = sg_ring_queue_pop(&s->held)) != NULL;)
    session_push(s, m);
}

/* ---- bringing a connection in sync ---- */

static void on_replay(void *data, redisReply *reply) {
  session *s = sg_pending_finish(data);
  if (s == NULL || s->r == NULL || s->state != SESSION_SYNCING)
    return;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
      reply->element[0]->type != REDIS_REPLY_STRING || (reply->elements - 1) % 2 != 0) {
    store_unavailable(s);
    return;
  }
  sg_msg *hello = s->hello;
  s->hello = NULL;
  if (strcmp(reply->element[0]->str, "ok") != 0) {
    /* Not retained any more: the unit as it is now, and on from there. */
    s->last = s->hello_last;
    session_push(s, hello);
    catch_up(s);
    return;
  }
  sg_msg_release(hello);
  for (size_t i = 1; i + 1 < reply->elements && s->state == SESSION_SYNCING; i += 2) {
    redisReply *id = reply->element[i], *pb = reply->element[i + 1];
    sg_ring_id rid;
    if (id->type != REDIS_REPLY_STRING || pb->type != REDIS_REPLY_STRING ||
        sg_ring_id_parse(id->str, id->len, &rid) != 0)
      continue;
    consider_packed(s, rid, (const uint8_t *)pb->str, pb->len);
  }
  if (s->state == SESSION_SYNCING)
    catch_up(s);
}

static void start_replay(session *s, sg_ring_id after) {
  sg_responder *r = s->r;
  char last[48];
  sg_ring_id_format(after, last, sizeof(last));
  s->last = after;
  sg_pending *op = sg_pending_start(&s->ops, s);
  const char *argv[] = {"EVALSHA", r->sha_resume, "1", r->k_updates, last, r->replay_limit};
  if (op == NULL || sg_redis_command(r->commands, on_replay, op, 6, argv, NULL) != 0) {
    if (op != NULL)
      sg_pending_finish(op);
    store_unavailable(s);
  }
}

static void on_hello(void *data, const Siaga__V1__ResponderHello *hello, const char *error_code) {
  session *s = sg_pending_finish(data);
  if (s == NULL || s->r == NULL || s->state != SESSION_SYNCING)
    return;
  if (hello == NULL) {
    if (error_code != NULL && strcmp(error_code, "not_found") == 0) {
      sg_responder__send_error(s, "not_found", "this unit is no longer registered");
      sg_responder__close(s, SG_HUB_CLOSE_SIGNED_OUT, "no such unit");
    } else {
      store_unavailable(s);
    }
    return;
  }
  if (hello->unit != NULL && hello->unit->disabled) {
    sg_responder__close(s, SG_HUB_CLOSE_SIGNED_OUT, "the unit is disabled");
    return;
  }
  sg_ring_id last = {0, 0};
  if (hello->last_update_id != NULL && hello->last_update_id[0] != '\0' &&
      sg_ring_id_parse(hello->last_update_id, strlen(hello->last_update_id), &last) != 0) {
    store_unavailable(s);
    return;
  }
  /* From this hello the unit's app counts as connected, for the consoles
   * and the ladder, until the socket closes. */
  if (s->presence == NULL)
    s->presence = sg_dispatch_presence_open(s->r->dispatch, s->who.name);
  /* The crew's own phone number is the consoles' business (siaga.proto). */
  Siaga__V1__ResponderHello copy = *hello;
  Siaga__V1__Unit unit;
  if (hello->unit != NULL) {
    unit = *hello->unit;
    unit.phone = "";
    unit.connected = 1; /* this very socket */
    copy.unit = &unit;
  }
  Siaga__V1__ResponderServerMessage sm = SIAGA__V1__RESPONDER_SERVER_MESSAGE__INIT;
  sm.msg_case = SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_HELLO;
  sm.hello = &copy;
  sg_ring_id none = {0, 0};
  sg_msg *m = sg_msg_create_message(&sm.base, 1 << s->format, none);
  if (m == NULL) {
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  s->hello_last = last;
  if (s->resume) {
    /* Asked to resume: the missed updates, or this hello if they are gone. */
    s->hello = m;
    start_replay(s, s->last);
    return;
  }
  s->last = last;
  session_push(s, m);
  catch_up(s);
}

/* A hello is read first on every connection, also one that resumes: it
 * tells whether the unit is still there, and is what a resume that cannot
 * replay sends instead. Updates from now on are kept in the ring (s->pos)
 * for when the reads are done. */
static void start_sync(session *s) {
  sg_responder *r = s->r;
  if (!r->following) {
    s->state = SESSION_WAIT_FOLLOW;
    return;
  }
  if (++s->attempts > SYNC_ATTEMPTS) {
    sg_responder__close(s, SG_HUB_CLOSE_RESYNC, "updates too fast to sync; reconnect");
    return;
  }
  s->state = SESSION_SYNCING;
  s->pos = r->ring.head;
  sg_msg_release(s->hello);
  s->hello = NULL;
  sg_pending *op = sg_pending_start(&s->ops, s);
  if (op == NULL) {
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  sg_dispatch_hello(r->dispatch, s->who.name, on_hello, op);
}

/* ---- the follower, through the hub ---- */

static void on_follow_started(void *data, sg_ring_id last) {
  sg_responder *r = data;
  r->following = 1;
  r->ring.known_after = last;
  for (size_t b = 0; b < BUCKETS; b++)
    for (session *s = r->buckets[b]; s != NULL; s = s->next)
      if (s->state == SESSION_WAIT_FOLLOW)
        start_sync(s);
}

static void on_follow_read_done(void *data) {
  (void)data; /* each update was sent as it came */
}

static void on_follow_lost(void *data, sg_ring_id last, const char *reason) {
  sg_responder *r = data;
  r->ring.known_after = last;
  for (size_t b = 0; b < BUCKETS; b++)
    for (session *s = r->buckets[b]; s != NULL; s = s->next)
      sg_responder__close(s, SG_HUB_CLOSE_RESYNC, reason);
}

static void on_sessions_due(void *data);

const sg_hub_observer sg_responder_observer = {
    .started = on_follow_started,
    .update = on_update,
    .read_done = on_follow_read_done,
    .lost = on_follow_lost,
    .sessions_due = on_sessions_due,
};

/* ---- the unit's token, checked again ---- */

static void on_rechecked(void *data, sg_auth_status status, const sg_identity *who) {
  session *s = sg_pending_finish(data);
  /* Unavailable is not an ending: the connection stays until the store says. */
  if (s == NULL || s->r == NULL || s->state == SESSION_CLOSING)
    return;
  if (status == SG_AUTH_BAD_CREDENTIALS ||
      (status == SG_AUTH_OK && strcmp(who->name, s->who.name) != 0))
    sg_responder__close(s, SG_HUB_CLOSE_SIGNED_OUT, "the unit's token was replaced or disabled");
}

static void recheck(session *s) {
  sg_pending *op = sg_pending_start(&s->ops, s);
  if (op != NULL)
    sg_dispatch_check_token(s->r->dispatch, s->token, on_rechecked, op);
}

static void on_sessions_due(void *data) {
  sg_responder *r = data;
  for (size_t b = 0; b < BUCKETS; b++)
    for (session *s = r->buckets[b]; s != NULL; s = s->next)
      if (s->state != SESSION_CLOSING)
        recheck(s);
}

/* ---- lifecycle ---- */

sg_responder *sg_responder_create(uv_loop_t *loop, sg_redis *commands, sg_dispatch *dispatch,
                                  const sg_responder_options *o) {
  const sg_embedded_file *resume = sg_embedded_find("resume.lua");
  sg_responder *r = calloc(1, sizeof(*r));
  if (r == NULL || resume == NULL || o->admitted == NULL)
    goto fail;
  r->loop = loop;
  r->commands = commands;
  r->dispatch = dispatch;
  r->admitted = o->admitted;
  r->max_queue = o->max_queue ? o->max_queue : 256;
  snprintf(r->replay_limit, sizeof(r->replay_limit), "%zu",
           o->replay_limit ? o->replay_limit : 16384);
  if (sg_key(r->k_updates, sizeof(r->k_updates), o->region, SG_KEY_UPDATES) < 0 ||
      sg_ring_init(&r->ring, o->ring_size ? o->ring_size : 4096, sg_msg_release) != 0)
    goto fail;
  if (sg_redis_add_script(commands, (const char *)resume->data, resume->size, r->sha_resume) != 0) {
    sg_ring_free(&r->ring);
    goto fail;
  }
  return r;
fail:
  free(r);
  return NULL;
}

void sg_responder_destroy(sg_responder *r) {
  if (r == NULL)
    return;
  r->destroying = 1;
  for (size_t b = 0; b < BUCKETS; b++)
    for (session *s = r->buckets[b]; s != NULL; s = s->next)
      s->r = NULL; /* lws closes them after this */
  sg_ring_free(&r->ring);
  free(r);
}

int sg_responder_admit(sg_responder *r, int fd, const sg_identity *who, const char *token) {
  return sg_admitted_put(r->admitted, fd, who, token);
}

void sg_responder_close_all(sg_responder *r, int code, const char *reason) {
  for (size_t b = 0; b < BUCKETS; b++)
    for (session *s = r->buckets[b]; s != NULL; s = s->next)
      sg_responder__close(s, code, reason);
}

size_t sg_responder_sessions(const sg_responder *r) {
  return r != NULL ? r->n_sessions : 0;
}

uint64_t sg_responder_lag_drops(const sg_responder *r) {
  return r->lag_drops;
}

size_t sg_responder_session_size(void) {
  return sizeof(session);
}

/* ---- the lws protocol ---- */

static int path_is_responder(struct lws *wsi) {
  char uri[64];
  int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
  return n > 0 && strcmp(uri, SG_RESPONDER_PATH) == 0;
}

static void on_established(session *s, sg_responder *r, struct lws *wsi) {
  memset(s, 0, sizeof(*s));
  s->wsi = wsi;
  s->r = r;
  const struct lws_protocols *p = lws_get_protocol(wsi);
  s->format = strcmp(p->name, SG_RESPONDER_PROTOCOL_JSON) == 0 ? SG_MSG_JSON : SG_MSG_PB;
  /* The table is shared with the consoles' door: only a unit's identity
   * opens this one. */
  int admitted = sg_admitted_take(r->admitted, lws_get_socket_fd(wsi), &s->who, s->token) == 0 &&
                 s->who.role == SG_ROLE_RESPONDER;
  if (!admitted)
    s->who.name[0] = '\0';
  session_link(s);
  if (!admitted) {
    sg_responder__close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "not signed in");
    return;
  }
  char arg[64];
  /* The value comes back URL-decoded, after "resume=" inside arg. */
  const char *resume = lws_get_urlarg_by_name(wsi, "resume=", arg, sizeof(arg));
  if (resume != NULL) {
    if (sg_ring_id_parse(resume, strlen(resume), &s->last) != 0) {
      sg_responder__send_error(s, "bad_resume",
                               "resume: expected a stream id like 1700000000000-0");
      sg_responder__close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad resume parameter");
      return;
    }
    s->resume = 1;
  }
  start_sync(s);
}

static void on_closed(session *s) {
  sg_pending_orphan(&s->ops);
  sg_ring_queue_clear(&s->q, sg_msg_release);
  sg_ring_queue_clear(&s->held, sg_msg_release);
  sg_msg_release(s->hello);
  s->hello = NULL;
  free(s->rx);
  s->rx = NULL;
  memset(s->token, 0, sizeof(s->token));
  if (s->r != NULL) {
    sg_dispatch_presence_close(s->r->dispatch, s->presence);
    session_unlink(s);
  }
  s->presence = NULL;
}

static int write_close(session *s) {
  unsigned char frame[LWS_PRE + 2 + sizeof(s->close_reason)];
  size_t n = strlen(s->close_reason);
  frame[LWS_PRE] = (unsigned char)(s->close_code >> 8);
  frame[LWS_PRE + 1] = (unsigned char)(s->close_code & 0xff);
  memcpy(frame + LWS_PRE + 2, s->close_reason, n);
  lws_write(s->wsi, frame + LWS_PRE, 2 + n, WRITE_CLOSE_FRAME);
  return -1;
}

/* One frame per writable callback: a crew gets a few messages a minute. */
static int on_writeable(session *s) {
  if (s->r == NULL)
    return write_close(s);
  sg_msg *m = sg_ring_queue_pop(&s->q);
  if (m == NULL)
    return s->state == SESSION_CLOSING ? write_close(s) : 0;
  int rc = sg_msg_ensure(m, s->format);
  if (rc == 0 && lws_write(s->wsi, m->data[s->format] + LWS_PRE, m->len[s->format],
                           s->format == SG_MSG_JSON ? LWS_WRITE_TEXT : LWS_WRITE_BINARY) < 0)
    rc = -1;
  sg_msg_release(m);
  if (rc != 0)
    return -1;
  if (s->q.head != NULL || s->state == SESSION_CLOSING)
    lws_callback_on_writable(s->wsi);
  return 0;
}

int sg_responder_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len) {
  session *s = user;
  const struct lws_protocols *p = lws_get_protocol(wsi);
  sg_responder *r = p != NULL ? p->user : NULL;

  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return path_is_responder(wsi) ? 0 : 1;
  case LWS_CALLBACK_ESTABLISHED:
    if (r == NULL || r->destroying)
      return -1;
    on_established(s, r, wsi);
    return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return on_writeable(s);
  case LWS_CALLBACK_RECEIVE:
    sg_responder__receive(s, in, len);
    return 0;
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: /* as the hub: 1002 for a bad close */
    if (sg_msg_close_valid(in, len))
      return 0;
    lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (unsigned char *)"bad close frame", 15);
    return -1;
  case LWS_CALLBACK_CLOSED:
    on_closed(s);
    return 0;
  default:
    return 0;
  }
}
