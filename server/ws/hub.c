#include "ws/hub.h"
#include "core/log.h"
#include "ws/hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/pending.h"
#include "store/incidents.h"
#include "store/keys.h"
#include "ws/admitted.h"
#include "ws/follow.h"
#include "ws/msg.h"
#include "ws/ring.h"
#include "siaga/v1/siaga.pb-c.h"

#define SYNC_ATTEMPTS 3
#define WRITES_PER_CALLBACK 64
#define CLOSE_GRACE_SECONDS 2  /* a laggard gets this long to take its close frame */

/* lws 4.1 sends the reason set by lws_close_reason() only when the callback
 * that returns -1 is a RECEIVE; from SERVER_WRITEABLE (where our closes
 * happen, often long after the cause) the peer would see no close frame. So
 * the frame is written here, with the opcode lws-write.h leaves out of its
 * public enum ("LWS_WRITE_CLOSE is handled by lws_close_reason"): 4. */
#define WRITE_CLOSE_FRAME ((enum lws_write_protocol)4)

/* ---- per-session queue of private messages (snapshot, replay, replies) ---- */

static int session_push(hub_session *s, sg_msg *m) {
  return sg_ring_queue_push(&s->q, m, sg_msg_release);
}

static sg_msg *session_pop(hub_session *s) {
  return sg_ring_queue_pop(&s->q);
}

static void session_clear(hub_session *s) {
  sg_ring_queue_clear(&s->q, sg_msg_release);
}

/* Closes after what is queued for this console alone (an error message) is
 * sent; ring updates are not sent any more. */
void sg_hub__session_close(hub_session *s, int code, const char *reason) {
  if (s->state == SESSION_CLOSING)
    return;
  s->state = SESSION_CLOSING;
  s->close_code = code;
  snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
  if (code == SG_HUB_CLOSE_LAGGING) {
    session_clear(s); /* it cannot take what it has now: do not add to it */
    if (s->hub != NULL)
      s->hub->lag_drops++;
  }
  /* A console that is lagging may never become writable again. */
  lws_set_timeout(s->wsi, PENDING_TIMEOUT_LAGGING, CLOSE_GRACE_SECONDS);
  lws_callback_on_writable(s->wsi);
}

/* Sends a server message to one console only. */
void sg_hub__session_send(hub_session *s, const Siaga__V1__ConsoleServerMessage *sm) {
  sg_ring_id none = {0, 0};
  sg_msg *m = sg_msg_create(sm, 1 << s->format, none);
  if (m == NULL || session_push(s, m) != 0) {
    sg_hub__session_close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  lws_callback_on_writable(s->wsi);
}

void sg_hub__session_send_error(hub_session *s, const char *code, const char *message) {
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  e.code = (char *)code;
  e.message = (char *)message;
  Siaga__V1__ConsoleServerMessage sm = SIAGA__V1__CONSOLE_SERVER_MESSAGE__INIT;
  sm.msg_case = SIAGA__V1__CONSOLE_SERVER_MESSAGE__MSG_ERROR;
  sm.error = &e;
  sg_hub__session_send(s, &sm);
}

/* ---- bringing a session in sync ---- */

static void start_snapshot(hub_session *s);

static void go_live(hub_session *s) {
  sg_hub *h = s->hub;
  if (!h->following) {
    s->state = SESSION_WAIT_FOLLOW;
    return;
  }
  if (sg_ring_id_cmp(s->last, h->ring.known_after) < 0) {
    /* Updates after the console's position have left the ring (or predate
     * the follower): it cannot be told exactly what it missed. */
    start_snapshot(s);
    return;
  }
  s->pos = sg_ring_position_after(&h->ring, s->last);
  s->state = SESSION_LIVE;
  lws_callback_on_writable(s->wsi);
}

static void store_unavailable(hub_session *s) {
  sg_hub__session_send_error(s, "unavailable", "incident store unavailable; reconnect later");
  sg_hub__session_close(s, SG_HUB_CLOSE_TRY_AGAIN, "store unavailable");
}

static void read_snapshot_page(hub_session *s);

/* A page of the snapshot goes to the console's queue. The first page fixes
 * the snapshot's position: the console follows the updates after it, which
 * bring whatever changed while the later pages were read (snapshot.lua
 * leaves those incidents out of them). */
static void on_snapshot_page(void *data, const sg_incidents_page *page) {
  hub_session *s = sg_pending_finish(data);
  if (s == NULL || s->hub == NULL || s->state == SESSION_CLOSING)
    return;
  if (page->status != SG_INCIDENTS_OK ||
      strlen(page->next_cursor) >= sizeof(s->snap_cursor) ||
      (s->snap_position[0] == '\0' &&
       (strlen(page->position) >= sizeof(s->snap_position) ||
        sg_ring_id_parse(page->position, strlen(page->position), &s->last) != 0))) {
    store_unavailable(s);
    return;
  }
  if (s->snap_position[0] == '\0')
    memcpy(s->snap_position, page->position, strlen(page->position) + 1);
  Siaga__V1__Snapshot snap = SIAGA__V1__SNAPSHOT__INIT;
  snap.incidents = page->incidents;
  snap.n_incidents = page->n_incidents;
  snap.last_update_id = s->snap_position;
  snap.more = page->next_cursor[0] != '\0';
  snap.units = page->units; /* every unit, on the first page only */
  snap.n_units = page->n_units;
  Siaga__V1__ConsoleServerMessage sm = SIAGA__V1__CONSOLE_SERVER_MESSAGE__INIT;
  sm.msg_case = SIAGA__V1__CONSOLE_SERVER_MESSAGE__MSG_SNAPSHOT;
  sm.snapshot = &snap;
  sg_hub__session_send(s, &sm);
  if (s->state == SESSION_CLOSING)
    return;
  if (snap.more) {
    memcpy(s->snap_cursor, page->next_cursor, strlen(page->next_cursor) + 1);
    s->snap_page_due = 1; /* read in on_writeable, once this page is written */
    return;
  }
  go_live(s);
}

static void read_snapshot_page(hub_session *s) {
  sg_hub *h = s->hub;
  sg_incidents_query q = {.cursor = s->snap_cursor, .position = s->snap_position,
                          .limit = h->snapshot_page};
  sg_pending *op = sg_pending_start(&s->ops, s);
  if (op == NULL || sg_incidents_page_read(h->incidents, &q, on_snapshot_page, op) != 0) {
    if (op != NULL)
      sg_pending_finish(op);
    store_unavailable(s);
  }
}

static void start_snapshot(hub_session *s) {
  s->state = SESSION_SYNCING;
  if (++s->attempts > SYNC_ATTEMPTS) {
    sg_hub__session_close(s, SG_HUB_CLOSE_RESYNC, "updates too fast to sync; reconnect");
    return;
  }
  s->snap_position[0] = '\0';
  s->snap_cursor[0] = '\0';
  s->snap_page_due = 0;
  read_snapshot_page(s);
}

static void on_resume(void *data, redisReply *reply) {
  hub_session *s = sg_pending_finish(data);
  if (s == NULL || s->hub == NULL || s->state == SESSION_CLOSING)
    return;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
      reply->element[0]->type != REDIS_REPLY_STRING || (reply->elements - 1) % 2 != 0) {
    store_unavailable(s);
    return;
  }
  if (strcmp(reply->element[0]->str, "ok") != 0) {
    start_snapshot(s);
    return;
  }
  for (size_t i = 1; i + 1 < reply->elements; i += 2) {
    redisReply *id = reply->element[i], *pb = reply->element[i + 1];
    if (id->type != REDIS_REPLY_STRING || pb->type != REDIS_REPLY_STRING)
      continue;
    sg_msg *m = sg_msg_from_update(id->str, id->len, (const uint8_t *)pb->str, pb->len,
                                 1 << s->format);
    if (m == NULL)
      continue;
    s->last = m->id;
    if (session_push(s, m) != 0) {
      sg_hub__session_close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
      return;
    }
  }
  lws_callback_on_writable(s->wsi);
  go_live(s);
}

static void start_resume(hub_session *s) {
  sg_hub *h = s->hub;
  char last[48];
  sg_ring_id_format(s->last, last, sizeof(last));
  sg_pending *op = sg_pending_start(&s->ops, s);
  const char *argv[] = {"EVALSHA", h->sha_resume, "1", h->k_updates, last, h->replay_limit};
  size_t lens[6];
  for (int i = 0; i < 6; i++)
    lens[i] = strlen(argv[i]);
  if (op == NULL || sg_redis_command(h->commands, on_resume, op, 6, argv, lens) != 0) {
    if (op != NULL)
      sg_pending_finish(op);
    store_unavailable(s);
  }
}

/* ---- what the follower reads ---- */

static void close_all(sg_hub *h, int code, const char *reason) {
  for (hub_session *s = h->sessions; s != NULL; s = s->next)
    sg_hub__session_close(s, code, reason);
}

static int flush(hub_session *s);

/* Sends new updates to a console straight from the follower's reply when
 * nothing else is waiting for it, instead of asking lws for a writable
 * callback: with a thousand consoles the callback's two epoll_ctl calls and
 * loop turn per delivery cost more than the send itself (bench/README.md).
 * lws_write outside the callback is safe here: what the kernel does not
 * take, lws keeps and sends first when the socket is writable again, and a
 * console with such a remainder, or with private messages queued, waits
 * for its callback as before so frames never interleave. */
static void push_now(hub_session *s) {
  if (s->q.head != NULL || lws_partial_buffered(s->wsi)) {
    lws_callback_on_writable(s->wsi);
    return;
  }
  int rc = flush(s);
  if (rc < 0)
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_LAGGING, LWS_TO_KILL_ASYNC);
  else if (rc > 0)
    lws_callback_on_writable(s->wsi);
}

static void wake_sessions(sg_hub *h) {
  for (hub_session *s = h->sessions; s != NULL; s = s->next) {
    if (s->state != SESSION_LIVE)
      continue;
    if (h->ring.head - s->pos > h->max_lag)
      sg_hub__session_close(s, SG_HUB_CLOSE_LAGGING, "too slow; resume with ?after=");
    else
      push_now(s);
  }
}

static void on_follow_started(void *data, sg_ring_id last) {
  sg_hub *h = data;
  h->following = 1;
  h->ring.known_after = last;
  for (size_t i = 0; i < h->n_observers; i++)
    if (h->observers[i].events->started != NULL)
      h->observers[i].events->started(h->observers[i].data, last);
  for (hub_session *s = h->sessions; s != NULL; s = s->next) {
    if (s->state == SESSION_WAIT_FOLLOW)
      go_live(s);
  }
}

/* Each update is decoded once, for the consoles' ring and the observer. */
static void on_follow_update(void *data, const char *id, size_t id_len, const uint8_t *pb,
                             size_t pb_len) {
  sg_hub *h = data;
  sg_ring_id rid;
  if (sg_ring_id_parse(id, id_len, &rid) != 0)
    return;
  Siaga__V1__IncidentUpdate *u = siaga__v1__incident_update__unpack(NULL, pb_len, pb);
  if (u == NULL) {
    sg_log(SG_LOG_ERROR, "update.undecodable", "update=%.*s msg=skipped", (int)id_len, id);
    return;
  }
  char idbuf[48];
  sg_ring_id_format(rid, idbuf, sizeof(idbuf));
  char *saved = u->id;
  u->id = idbuf;
  sg_msg *m = sg_msg_of_update(u, rid, 1 << SG_MSG_PB);
  if (m != NULL)
    sg_ring_push(&h->ring, m->id, m);
  for (size_t i = 0; i < h->n_observers; i++)
    if (h->observers[i].events->update != NULL)
      h->observers[i].events->update(h->observers[i].data, rid, u);
  u->id = saved;
  siaga__v1__incident_update__free_unpacked(u, NULL);
}

static void on_follow_read_done(void *data) {
  sg_hub *h = data;
  wake_sessions(h);
  for (size_t i = 0; i < h->n_observers; i++)
    if (h->observers[i].events->read_done != NULL)
      h->observers[i].events->read_done(h->observers[i].data);
}

static void on_follow_lost(void *data, sg_ring_id last, const char *reason) {
  sg_hub *h = data;
  h->ring.known_after = last;
  close_all(h, SG_HUB_CLOSE_RESYNC, reason);
  for (size_t i = 0; i < h->n_observers; i++)
    if (h->observers[i].events->lost != NULL)
      h->observers[i].events->lost(h->observers[i].data, last, reason);
}

static const sg_follow_events follow_events = {
    .started = on_follow_started,
    .update = on_follow_update,
    .read_done = on_follow_read_done,
    .lost = on_follow_lost,
};

/* ---- lifecycle ---- */

sg_hub *sg_hub_create(uv_loop_t *loop, sg_redis *commands, const sg_redis_options *follow_options,
                      const sg_hub_options *o) {
  const sg_embedded_file *resume = sg_embedded_find("resume.lua");
  sg_hub *h = calloc(1, sizeof(*h));
  if (h == NULL || resume == NULL)
    goto fail;
  h->loop = loop;
  h->commands = commands;
  h->max_lag = o->max_lag ? o->max_lag : 16384;
  size_t cap = o->ring_size ? o->ring_size : h->max_lag + 4096;
  if (cap < h->max_lag + SG_FOLLOW_BATCH)
    cap = h->max_lag + SG_FOLLOW_BATCH; /* a session's position never leaves the ring */
  h->snapshot_page = o->snapshot_page ? o->snapshot_page : SG_HUB_SNAPSHOT_PAGE;
  snprintf(h->replay_limit, sizeof(h->replay_limit), "%zu",
           o->replay_limit ? o->replay_limit : h->max_lag);
  if (sg_key(h->k_updates, sizeof(h->k_updates), o->region, SG_KEY_UPDATES) < 0)
    goto fail;
  if ((h->incidents = sg_incidents_create(commands, o->region)) == NULL)
    goto fail;
  if (sg_ring_init(&h->ring, cap, sg_msg_release) != 0)
    goto fail;
  if (sg_redis_add_script(commands, (const char *)resume->data, resume->size, h->sha_resume) != 0)
    goto fail;
  h->follow = sg_follow_create(loop, follow_options, h->k_updates, &follow_events, h);
  h->admitted = o->admitted;
  if (h->admitted == NULL) {
    h->admitted = sg_admitted_create();
    h->owns_admitted = 1;
  }
  if (h->follow == NULL || h->admitted == NULL)
    goto fail;
  return h;
fail:
  if (h != NULL) {
    if (h->owns_admitted)
      sg_admitted_destroy(h->admitted);
    sg_follow_destroy(h->follow);
    sg_ring_free(&h->ring);
    sg_incidents_destroy(h->incidents);
  }
  free(h);
  return NULL;
}

void sg_hub_destroy(sg_hub *h) {
  if (h == NULL)
    return;
  h->destroying = 1;
  sg_follow_destroy(h->follow);
  /* Sessions still listed are closed by lws after this; detach them. */
  for (hub_session *s = h->sessions; s != NULL; s = s->next)
    s->hub = NULL;
  if (h->owns_admitted)
    sg_admitted_destroy(h->admitted);
  sg_ring_free(&h->ring);
  sg_incidents_destroy(h->incidents);
  free(h);
}

void sg_hub_set_commands(sg_hub *h, sg_commands *commands) {
  h->commands_runner = commands;
}

int sg_hub_admit(sg_hub *h, int fd, const sg_identity *who) {
  return sg_admitted_put(h->admitted, fd, who, NULL);
}

int sg_hub_add_observer(sg_hub *h, const sg_hub_observer *observer, void *data) {
  if (h->n_observers == SG_HUB_OBSERVERS)
    return SG_ENOSPC;
  h->observers[h->n_observers].events = observer;
  h->observers[h->n_observers].data = data;
  h->n_observers++;
  return 0;
}

static void on_rechecked(void *data, sg_auth_status status, const sg_identity *who) {
  hub_session *s = sg_pending_finish(data);
  (void)who;
  /* Unavailable is not an ending: the console stays until the store says. */
  if (s != NULL && s->hub != NULL && status == SG_AUTH_BAD_CREDENTIALS)
    sg_hub__session_close(s, SG_HUB_CLOSE_SIGNED_OUT, "the session has ended: sign in again");
}

static void on_sessions_due(void *data) {
  sg_hub *h = data;
  for (size_t i = 0; i < h->n_observers; i++)
    if (h->observers[i].events->sessions_due != NULL)
      h->observers[i].events->sessions_due(h->observers[i].data);
  for (hub_session *s = h->sessions; s != NULL; s = s->next) {
    if (s->state == SESSION_CLOSING)
      continue;
    sg_pending *op = sg_pending_start(&s->ops, s);
    if (op != NULL && sg_auth_check_digest(h->auth, s->who.digest, on_rechecked, op) != 0)
      sg_pending_finish(op);
  }
}

void sg_hub_set_auth(sg_hub *h, sg_auth *auth) {
  h->auth = auth;
  sg_auth_watch(auth, 0, on_sessions_due, h);
}

void sg_hub_close_all(sg_hub *h, int code, const char *reason) {
  for (hub_session *s = h->sessions; s != NULL; s = s->next)
    sg_hub__session_close(s, code, reason);
}

size_t sg_hub_sessions(const sg_hub *h) {
  return h->n_sessions;
}

uint64_t sg_hub_lag_drops(const sg_hub *h) {
  return h->lag_drops;
}

const sg_redis *sg_hub_follow_redis(const sg_hub *h) {
  return sg_follow_redis(h->follow);
}

size_t sg_hub_session_size(void) {
  return sizeof(hub_session);
}

/* ---- the lws protocol ---- */

static int path_is_console(struct lws *wsi) {
  char uri[64];
  int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
  return n > 0 && strcmp(uri, SG_HUB_PATH) == 0;
}

static void on_established(hub_session *s, sg_hub *h, struct lws *wsi) {
  memset(s, 0, sizeof(*s));
  s->wsi = wsi;
  s->hub = h;
  const struct lws_protocols *p = lws_get_protocol(wsi);
  s->format = strcmp(p->name, SG_HUB_PROTOCOL_JSON) == 0 ? SG_MSG_JSON : SG_MSG_PB;
  s->next = h->sessions;
  if (h->sessions != NULL)
    h->sessions->prev = s;
  h->sessions = s;
  h->n_sessions++;
  /* The role is checked again: the table is shared with the responders'
   * door, whose identities must never open a console. */
  if (sg_admitted_take(h->admitted, lws_get_socket_fd(wsi), &s->who, NULL) != 0 ||
      s->who.role < SG_ROLE_DISPATCHER) {
    sg_hub__session_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "not signed in");
    return;
  }

  char arg[64];
  /* The value comes back URL-decoded, after "after=" inside arg. */
  const char *after = lws_get_urlarg_by_name(wsi, "after=", arg, sizeof(arg));
  if (after != NULL) {
    if (sg_ring_id_parse(after, strlen(after), &s->last) != 0) {
      sg_hub__session_send_error(s, "bad_after", "after: expected a stream id like 1700000000000-0");
      sg_hub__session_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad after parameter");
      return;
    }
    s->state = SESSION_SYNCING;
    start_resume(s);
    return;
  }
  start_snapshot(s);
}

static void on_closed(hub_session *s) {
  sg_hub *h = s->hub;
  sg_pending_orphan(&s->ops);
  session_clear(s);
  free(s->rx);
  s->rx = NULL;
  if (h == NULL)
    return;
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    h->sessions = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  h->n_sessions--;
}

/* The next message for this console: its own queue first (snapshot,
 * replay, replies), then the shared ring. *owned says whether the caller must
 * release it. NULL when nothing is due. */
static sg_msg *next_message(hub_session *s, int *owned) {
  sg_msg *m = session_pop(s);
  *owned = m != NULL;
  if (m != NULL || s->state != SESSION_LIVE)
    return m;
  return sg_ring_next(&s->hub->ring, &s->pos, &s->last);
}

static int write_close(hub_session *s) {
  unsigned char frame[LWS_PRE + 2 + sizeof(s->close_reason)];
  size_t n = strlen(s->close_reason);
  frame[LWS_PRE] = (unsigned char)(s->close_code >> 8);
  frame[LWS_PRE + 1] = (unsigned char)(s->close_code & 0xff);
  memcpy(frame + LWS_PRE + 2, s->close_reason, n);
  lws_write(s->wsi, frame + LWS_PRE, 2 + n, WRITE_CLOSE_FRAME);
  return -1;
}

/* lws_write takes the whole frame or fails: what the kernel does not take
 * goes to the connection's output list (and while that list is not empty,
 * lws_write answers with what it sent of the list, fewer bytes than given),
 * so only a negative answer is an error. */
static int write_frame(hub_session *s, sg_msg *m) {
  size_t len = m->len[s->format];
  int n = lws_write(s->wsi, m->data[s->format] + LWS_PRE, len,
                    s->format == SG_MSG_JSON ? LWS_WRITE_TEXT : LWS_WRITE_BINARY);
  return n < 0 ? -1 : 0;
}

static int write_batch(hub_session *s, unsigned char *batch, size_t *used) {
  if (*used == 0)
    return 0;
  int n = lws_write(s->wsi, batch, *used, LWS_WRITE_RAW);
  *used = 0;
  return n < 0 ? -1 : 0;
}

/* Sends what is due to one console. Frames are copied, already framed, into
 * one batch and written with one send: at a thousand updates a second a
 * console has several due at each turn, and a system call per frame per
 * console was what the profile showed. At most WRITES_PER_CALLBACK frames,
 * so one busy console cannot starve the loop; a frame larger than the batch
 * (a big snapshot) goes alone. Returns -1 when the connection failed, 1 when
 * more is due, 0 when the console is up to date. */
static int flush(hub_session *s) {
  sg_hub *h = s->hub;
  unsigned char *batch = h->batch + LWS_PRE;
  size_t used = 0;
  for (int i = 0; i < WRITES_PER_CALLBACK; i++) {
    if (s->state == SESSION_CLOSING && s->q.head == NULL)
      return write_batch(s, batch, &used);
    int owned;
    sg_msg *m = next_message(s, &owned);
    if (m == NULL)
      return write_batch(s, batch, &used);
    if (sg_msg_ensure(m, s->format) != 0) {
      if (owned)
        sg_msg_release(m);
      return -1; /* out of memory */
    }
    size_t frame_len = m->header_len[s->format] + m->len[s->format];
    int rc = 0;
    if (used + frame_len > SG_HUB__BATCH_MAX)
      rc = write_batch(s, batch, &used);
    if (rc == 0 && frame_len > SG_HUB__BATCH_MAX) {
      rc = write_frame(s, m);
    } else if (rc == 0) {
      memcpy(batch + used, m->data[s->format] + LWS_PRE - m->header_len[s->format], frame_len);
      used += frame_len;
    }
    if (owned)
      sg_msg_release(m);
    if (rc != 0)
      return -1;
    /* The kernel is full: what is in hand goes to lws's output list (at most
     * one batch), the rest waits for the writable callback, so a console
     * that does not read holds a bounded amount here. */
    if (lws_partial_buffered(s->wsi))
      return write_batch(s, batch, &used) != 0 ? -1 : 1;
  }
  return write_batch(s, batch, &used) != 0 ? -1 : 1;
}

static int on_writeable(hub_session *s) {
  sg_hub *h = s->hub;
  if (h == NULL)
    return write_close(s);
  if (s->state == SESSION_LIVE && s->pos < sg_ring_oldest(&h->ring)) {
    sg_hub__session_close(s, SG_HUB_CLOSE_LAGGING, "too slow; resume with ?after=");
    return 0;
  }
  /* A closing console's close frame goes in a callback of its own, after
   * its last queued message. */
  if (s->state == SESSION_CLOSING && s->q.head == NULL)
    return write_close(s);
  int rc = flush(s);
  if (rc < 0)
    return -1;
  if (rc > 0 || s->state == SESSION_CLOSING) {
    lws_callback_on_writable(s->wsi); /* more is due, or the close frame */
  } else if (s->snap_page_due && !lws_partial_buffered(s->wsi)) {
    s->snap_page_due = 0; /* the last page is written: read the next */
    read_snapshot_page(s);
  } else if (s->snap_page_due) {
    lws_callback_on_writable(s->wsi);
  }
  return 0;
}

int sg_hub_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  hub_session *s = user;
  const struct lws_protocols *p = lws_get_protocol(wsi);
  sg_hub *h = p != NULL ? p->user : NULL;

  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return path_is_console(wsi) ? 0 : 1;
  case LWS_CALLBACK_ESTABLISHED:
    if (h == NULL || h->destroying)
      return -1;
    on_established(s, h, wsi);
    return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return on_writeable(s);
  case LWS_CALLBACK_RECEIVE:
    sg_hub__receive(s, in, len);
    return 0;
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    if (sg_msg_close_valid(in, len))
      return 0; /* lws echoes the close */
    lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (unsigned char *)"bad close frame", 15);
    return -1;
  case LWS_CALLBACK_CLOSED:
    on_closed(s);
    return 0;
  default:
    return 0;
  }
}