#include "citizen/follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "citizen/status.h"
#include "core/ids.h"
#include "core/pending.h"
#include "store/keys.h"
#include "wire/pbjson.h"

#define BUCKETS 1024
/* Citizens one process follows for at most; the next is told to come back
 * (1013) rather than let connections grow without bound in a flood. */
#define FOLLOWERS_MAX 50000
/* Updates that came while a lookup was in flight may be newer than what it
 * read: it is asked again, this many times at most. */
#define LOOKUP_ATTEMPTS 3
/* As in ws/hub.c: lws 4.1 sends a close reason from SERVER_WRITEABLE only
 * if the frame is written by hand, with the opcode it leaves out of its
 * public enum. */
#define WRITE_CLOSE_FRAME ((enum lws_write_protocol)4)

typedef enum follower_state {
  FOLLOWER_LOOKING,
  FOLLOWER_LIVE,
  FOLLOWER_CLOSING
} follower_state;

/* One citizen's WebSocket: lws's per-session memory. */
typedef struct follower {
  struct lws *wsi;
  sg_citizen_follow *owner;
  follower_state state;
  char report_id[SG_REPORT_ID_LEN + 1];
  char token[SG_TOKEN_LEN + 1];
  /* The table key: the incident id once filed, else the report id. */
  char key[SG_KEY_ID_MAX + 1];
  int status;             /* the last status sent, -1 before the first */
  uint64_t lookup_seq;    /* owner->seq when the lookup was sent */
  int attempts;
  char *out;              /* the message to send, LWS_PRE bytes before it */
  size_t out_len;
  int close_code;
  char close_reason[64];
  sg_pending *op;
  struct follower *prev, *next; /* in the bucket of key */
  int in_table;
} follower;

struct sg_citizen_follow {
  sg_citizen_lookup *lookup;
  follower *buckets[BUCKETS];
  size_t count;
  uint64_t seq; /* updates tapped so far */
};

sg_citizen_follow *sg_citizen_follow_create(sg_citizen_lookup *lookup) {
  sg_citizen_follow *f = calloc(1, sizeof(*f));
  if (f != NULL)
    f->lookup = lookup;
  return f;
}

void sg_citizen_follow_destroy(sg_citizen_follow *f) {
  if (f == NULL)
    return;
  /* lws frees the sessions; leave none pointing here. */
  for (size_t b = 0; b < BUCKETS; b++)
    for (follower *x = f->buckets[b]; x != NULL; x = x->next)
      x->owner = NULL, x->in_table = 0;
  free(f);
}

size_t sg_citizen_follow_session_size(void) {
  return sizeof(follower);
}

size_t sg_citizen_follow_count(const sg_citizen_follow *f) {
  return f->count;
}

/* ---- the table ---- */

static size_t bucket_of(const char *key) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)key; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h % BUCKETS;
}

static void table_remove(follower *x) {
  if (!x->in_table || x->owner == NULL)
    return;
  follower **head = &x->owner->buckets[bucket_of(x->key)];
  if (x->prev != NULL)
    x->prev->next = x->next;
  else
    *head = x->next;
  if (x->next != NULL)
    x->next->prev = x->prev;
  x->prev = x->next = NULL;
  x->in_table = 0;
}

static void table_put(follower *x, const char *key) {
  table_remove(x);
  snprintf(x->key, sizeof(x->key), "%s", key);
  follower **head = &x->owner->buckets[bucket_of(x->key)];
  x->next = *head;
  if (*head != NULL)
    (*head)->prev = x;
  *head = x;
  x->in_table = 1;
}

/* ---- sending ---- */

static void close_follower(follower *x, int code, const char *reason) {
  if (x->state == FOLLOWER_CLOSING)
    return;
  x->state = FOLLOWER_CLOSING;
  x->close_code = code;
  snprintf(x->close_reason, sizeof(x->close_reason), "%s", reason);
  table_remove(x);
  sg_pending_orphan(&x->op);
  lws_callback_on_writable(x->wsi);
}

void sg_citizen_follow_close_all(sg_citizen_follow *f, int code, const char *reason) {
  for (size_t b = 0; b < BUCKETS; b++)
    for (follower *x = f->buckets[b], *next; x != NULL; x = next) {
      next = x->next; /* closing takes x out of the table */
      close_follower(x, code, reason);
    }
}

/* The status of inc (NULL: not filed) becomes the one message due, unless
 * it is what was sent last. */
static void offer(follower *x, const Siaga__V1__Incident *inc) {
  Siaga__V1__ReportStatus st;
  Siaga__V1__StatusText text;
  sg_citizen_status_fill(&st, &text, x->report_id, inc);
  int status = (int)sg_citizen_status_of(inc);
  if (status == x->status)
    return;
  char *json;
  size_t len;
  char *buf;
  if (sg_pbjson_encode(&st.base, &json, &len) != 0 || (buf = malloc(LWS_PRE + len)) == NULL) {
    close_follower(x, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  memcpy(buf + LWS_PRE, json, len);
  free(json);
  free(x->out); /* an unsent older status is replaced, not queued */
  x->out = buf;
  x->out_len = len;
  x->status = status;
  lws_callback_on_writable(x->wsi);
}

/* ---- looking the report up ---- */

static void start_lookup(follower *x);

static void on_looked_up(void *data, sg_citizen_lookup_status status,
                         const Siaga__V1__Incident *inc) {
  follower *x = sg_pending_finish(data);
  if (x == NULL || x->owner == NULL)
    return;
  if (status == SG_CITIZEN_LOOKUP_NOT_FOUND) {
    close_follower(x, SG_CITIZEN_CLOSE_NOT_FOUND, "no report with that id and token");
    return;
  }
  if (status != SG_CITIZEN_LOOKUP_OK) {
    close_follower(x, SG_CITIZEN_CLOSE_TRY_AGAIN, "store unavailable");
    return;
  }
  table_put(x, inc != NULL ? inc->id : x->report_id);
  x->state = FOLLOWER_LIVE;
  offer(x, inc);
  if (x->owner->seq != x->lookup_seq && x->attempts < LOOKUP_ATTEMPTS)
    start_lookup(x); /* an update may have passed while it was read */
}

static void start_lookup(follower *x) {
  x->attempts++;
  x->lookup_seq = x->owner->seq;
  sg_pending *op = sg_pending_start(&x->op, x);
  if (op != NULL &&
      sg_citizen_lookup_report(x->owner->lookup, x->report_id, x->token, on_looked_up, op) == 0)
    return;
  if (op != NULL)
    sg_pending_finish(op);
  close_follower(x, SG_CITIZEN_CLOSE_TRY_AGAIN, "store unavailable");
}

static void on_established(follower *x, sg_citizen_follow *f, struct lws *wsi) {
  memset(x, 0, sizeof(*x));
  x->wsi = wsi;
  x->owner = f;
  x->status = -1;
  f->count++;
  if (f->count > FOLLOWERS_MAX) {
    close_follower(x, SG_CITIZEN_CLOSE_TRY_AGAIN, "too many followers here; try again later");
    return;
  }
  char report[64], token[64];
  const char *r = lws_get_urlarg_by_name(wsi, "report=", report, sizeof(report));
  const char *t = lws_get_urlarg_by_name(wsi, "token=", token, sizeof(token));
  if (!sg_citizen_lookup_args_valid(r, t)) {
    close_follower(x, SG_CITIZEN_CLOSE_NOT_FOUND, "no report with that id and token");
    return;
  }
  memcpy(x->report_id, r, SG_REPORT_ID_LEN + 1);
  memcpy(x->token, t, SG_TOKEN_LEN + 1);
  /* In the table from now, by report id, so an update filing it while the
   * lookup is out is noticed (the lookup is then asked again). */
  table_put(x, x->report_id);
  start_lookup(x);
}

/* ---- updates from the hub's follower ---- */

static void tap_key(sg_citizen_follow *f, const char *key, const Siaga__V1__Incident *inc) {
  follower *x = f->buckets[bucket_of(key)];
  while (x != NULL) {
    follower *next = x->next; /* table_put below may move x */
    if (strcmp(x->key, key) == 0 && x->state == FOLLOWER_LIVE) {
      if (strcmp(key, inc->id) != 0)
        table_put(x, inc->id); /* filed: follow the incident from now */
      offer(x, inc);
    }
    x = next;
  }
}

static void on_update(void *data, sg_ring_id id, const Siaga__V1__IncidentUpdate *u) {
  sg_citizen_follow *f = data;
  (void)id;
  f->seq++;
  if (f->count == 0)
    return; /* nobody follows */
  if (u->incident != NULL && u->incident->id != NULL && u->incident->id[0] != '\0') {
    tap_key(f, u->incident->id, u->incident);
    if (u->report_id != NULL && u->report_id[0] != '\0')
      tap_key(f, u->report_id, u->incident);
  }
}

static void on_lost(void *data, sg_ring_id last, const char *reason) {
  sg_citizen_follow *f = data;
  (void)last;
  (void)reason;
  f->seq++;
  for (size_t b = 0; b < BUCKETS; b++) {
    follower *next;
    for (follower *x = f->buckets[b]; x != NULL; x = next) {
      next = x->next; /* a lookup Redis refuses takes x out of the table */
      if (x->state == FOLLOWER_LIVE && x->op == NULL) {
        x->attempts = 0;
        start_lookup(x); /* keeps its place in the table until the answer */
      }
    }
  }
}

const sg_hub_observer sg_citizen_follow_observer = {.update = on_update, .lost = on_lost};

/* ---- the lws protocol ---- */

static int on_writeable(follower *x) {
  if (x->state == FOLLOWER_CLOSING) {
    unsigned char frame[LWS_PRE + 2 + sizeof(x->close_reason)];
    size_t n = strlen(x->close_reason);
    frame[LWS_PRE] = (unsigned char)(x->close_code >> 8);
    frame[LWS_PRE + 1] = (unsigned char)(x->close_code & 0xff);
    memcpy(frame + LWS_PRE + 2, x->close_reason, n);
    lws_write(x->wsi, frame + LWS_PRE, 2 + n, WRITE_CLOSE_FRAME);
    return -1;
  }
  if (x->out == NULL)
    return 0;
  if (lws_partial_buffered(x->wsi)) {
    lws_callback_on_writable(x->wsi);
    return 0;
  }
  int n = lws_write(x->wsi, (unsigned char *)x->out + LWS_PRE, x->out_len, LWS_WRITE_TEXT);
  free(x->out);
  x->out = NULL;
  return n < 0 ? -1 : 0;
}

static void on_closed(follower *x) {
  table_remove(x);
  sg_pending_orphan(&x->op);
  free(x->out);
  x->out = NULL;
  if (x->owner != NULL)
    x->owner->count--;
  x->owner = NULL;
}

static int path_is_follow(struct lws *wsi) {
  char uri[64];
  int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
  return n > 0 && strcmp(uri, SG_CITIZEN_FOLLOW_PATH) == 0;
}

int sg_citizen_follow_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                               void *in, size_t len) {
  follower *x = user;
  const struct lws_protocols *p = lws_get_protocol(wsi);
  sg_citizen_follow *f = p != NULL ? p->user : NULL;
  (void)in;
  (void)len;
  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return path_is_follow(wsi) ? 0 : 1;
  case LWS_CALLBACK_ESTABLISHED:
    if (f == NULL)
      return -1;
    on_established(x, f, wsi);
    return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return x->owner != NULL || x->state == FOLLOWER_CLOSING ? on_writeable(x) : -1;
  case LWS_CALLBACK_CLOSED:
    on_closed(x);
    return 0;
  default:
    return 0;
  }
}
