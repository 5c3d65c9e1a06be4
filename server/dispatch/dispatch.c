/* The dispatch object, the unit's sign-in (token, hello) and the crew's view
 * of an incident. The commands are in console.c and responder.c, the ladder
 * in ladder.c (see dispatch_internal.h for the map). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "auth/bearer.h"
#include "core/embedded.h"
#include "core/error.h"
#include "dispatch/dispatch_internal.h"

int sg_dispatch_unit_id_valid(const char *id) {
  size_t n = strlen(id);
  return n >= 2 && n <= SG_DISPATCH_UNIT_ID_MAX && id[0] != '-' &&
         strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

int sg_dispatch_phone_valid(const char *phone) {
  size_t n = strlen(phone);
  return n >= 9 && n <= 16 && phone[0] == '+' && phone[1] != '0' &&
         strspn(phone + 1, "0123456789") == n - 1;
}

int sg_dispatch__key(const sg_dispatch *d, char *buf, const char *kind, const char *id) {
  return sg_key2(buf, SG_KEY_MAX, d->region, kind, id);
}

uint64_t sg_dispatch__ack_ms(const sg_dispatch *d, int priority) {
  unsigned s =
      priority >= 1 && priority <= 4 && d->ack_s[priority] ? d->ack_s[priority] : d->ack_s[0];
  return (uint64_t)s * 1000;
}

sg_dispatch *sg_dispatch_create(uv_loop_t *loop, sg_redis *redis, const sg_dispatch_options *o) {
  const sg_embedded_file *read = sg_embedded_find("dispatch_read.lua");
  const sg_embedded_file *write = sg_embedded_find("dispatch.lua");
  const sg_embedded_file *units = sg_embedded_find("units.lua");
  const sg_embedded_file *presence = sg_embedded_find("presence.lua");
  if (o == NULL || o->region == NULL || !sg_key_region_valid(o->region) || read == NULL ||
      write == NULL || units == NULL || presence == NULL)
    return NULL;
  sg_dispatch *d = calloc(1, sizeof(*d));
  if (d == NULL)
    return NULL;
  d->loop = loop;
  d->redis = redis;
  d->refs = 1;
  snprintf(d->region, sizeof(d->region), "%s", o->region);
  memcpy(d->ack_s, o->ack_s, sizeof(d->ack_s));
  if (d->ack_s[0] == 0)
    d->ack_s[0] = SG_DISPATCH_ACK_DEFAULT_S;
  d->speed_kmh = o->speed_kmh > 0 ? o->speed_kmh : 40;
  d->stale_s = o->stale_s ? o->stale_s : 300;
  d->connected_ms =
      (uint64_t)(o->connected_s ? o->connected_s : SG_DISPATCH_CONNECTED_DEFAULT_S) * 1000;
  int line = 0;
  int rc = sg_kinds_load(o->kinds_path, &d->kinds, &line);
  if (rc != 0) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=unit-kinds file=%s reason=%s line=%.0d",
           o->kinds_path != NULL ? o->kinds_path : "(built in)", sg_strerror(rc), line);
    free(d);
    return NULL;
  }
  if (sg_redis_add_script(redis, (const char *)read->data, read->size, d->sha_read) != 0 ||
      sg_redis_add_script(redis, (const char *)write->data, write->size, d->sha_write) != 0 ||
      sg_redis_add_script(redis, (const char *)units->data, units->size, d->sha_units) != 0 ||
      sg_redis_add_script(redis, (const char *)presence->data, presence->size, d->sha_presence) !=
          0 ||
      sg_dispatch__presence_init(d) != 0 || uv_timer_init(loop, &d->timer) != 0) {
    sg_kinds_destroy(d->kinds);
    free(d);
    return NULL;
  }
  d->timer.data = d;
  d->timer_open = 1;
  return d;
}

static void on_timer_closed(uv_handle_t *h) {
  sg_dispatch *d = h->data;
  d->timer_open = 0;
  sg_dispatch__unref(d);
}

void sg_dispatch__ref(sg_dispatch *d) {
  d->refs++;
}

void sg_dispatch__unref(sg_dispatch *d) {
  if (--d->refs > 0)
    return;
  sg_dispatch__presence_free(d);
  sg_kinds_destroy(d->kinds);
  free(d);
}

int sg_dispatch_set_metrics(sg_dispatch *d, sg_metrics *m) {
  /* A crew answers in seconds when its phone rings, in minutes when the
   * ladder had to text it. */
  static const double bounds[] = {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800};
  static const char *const labels[2] = {"answer=\"accepted\"", "answer=\"declined\""};
  for (int i = 0; i < 2; i++) {
    d->answered[i] =
        sg_metrics_histogram_add(m, "siaga_assignment_answer_seconds",
                                 "Time from an assignment's offer to the crew's answer, in seconds",
                                 labels[i], bounds, sizeof(bounds) / sizeof(bounds[0]));
    if (d->answered[i] == NULL)
      return SG_ENOMEM;
  }
  return 0;
}

void sg_dispatch_destroy(sg_dispatch *d) {
  if (d == NULL || d->closing)
    return;
  d->closing = 1;
  /* The timer's close callback drops the reference the timer held; the
   * object's own goes now. */
  sg_dispatch__ref(d);
  uv_close((uv_handle_t *)&d->timer, on_timer_closed);
  sg_dispatch__unref(d);
}

void sg_dispatch__refuse(sg_dispatch_done_cb done, void *data, const char *request_id,
                         const char *code, const char *message) {
  Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  r.request_id = (char *)(request_id != NULL ? request_id : "");
  r.error_code = e.code = (char *)code;
  r.message = e.message = (char *)message;
  r.error = &e;
  done(data, &r);
}

/* ---- the unit's token ---- */

typedef struct token_op {
  sg_dispatch *d;
  sg_auth_check_cb cb;
  void *data;
} token_op;

static void on_token(void *data, redisReply *reply) {
  token_op *op = data;
  sg_identity who;
  memset(&who, 0, sizeof(who));
  sg_auth_status status = SG_AUTH_UNAVAILABLE;
  if (reply != NULL && !op->d->closing) {
    status = SG_AUTH_BAD_CREDENTIALS;
    if (reply->type == REDIS_REPLY_STRING && sg_dispatch_unit_id_valid(reply->str)) {
      snprintf(who.name, sizeof(who.name), "%s", reply->str);
      who.role = SG_ROLE_RESPONDER;
      status = SG_AUTH_OK;
    } else if (reply->type == REDIS_REPLY_ERROR) {
      status = SG_AUTH_UNAVAILABLE;
    }
  }
  sg_dispatch *d = op->d;
  op->cb(op->data, status, status == SG_AUTH_OK ? &who : NULL);
  free(op);
  sg_dispatch__unref(d);
}

/* A disabled unit has no token key (unit_admin.lua deletes it), so one
 * GET answers both questions. */
void sg_dispatch_check_token(sg_dispatch *d, const char *token, sg_auth_check_cb cb, void *data) {
  char digest[SG_DIGEST_LEN + 1], key[SG_KEY_MAX];
  if (token == NULL || !sg_bearer_valid(token, strlen(token))) {
    cb(data, SG_AUTH_BAD_CREDENTIALS, NULL);
    return;
  }
  sg_bearer_digest(token, SG_BEARER_LEN, digest);
  token_op *op = d->closing ? NULL : calloc(1, sizeof(*op));
  if (op == NULL || sg_dispatch__key(d, key, "unittoken", digest) < 0) {
    free(op);
    cb(data, SG_AUTH_UNAVAILABLE, NULL);
    return;
  }
  *op = (token_op){d, cb, data};
  const char *argv[] = {"GET", key};
  if (sg_redis_command(d->redis, on_token, op, 2, argv, NULL) != 0) {
    free(op);
    cb(data, SG_AUTH_UNAVAILABLE, NULL);
    return;
  }
  sg_dispatch__ref(d);
}

/* ---- hello: the unit, then its assignment and incident ---- */

typedef struct hello_op {
  sg_dispatch *d;
  sg_dispatch_hello_cb cb;
  void *data;
  char unit_id[SG_DISPATCH_UNIT_ID_MAX + 1];
  char last_update_id[48];
  int second;
  sg_dispatch__state st;
} hello_op;

static void hello_finish(hello_op *op, const char *error) {
  if (error != NULL) {
    op->cb(op->data, NULL, error);
  } else {
    Siaga__V1__ResponderHello h = SIAGA__V1__RESPONDER_HELLO__INIT;
    Siaga__V1__CrewIncident ci = SIAGA__V1__CREW_INCIDENT__INIT;
    h.unit = op->st.unit;
    h.last_update_id = op->last_update_id;
    if (op->st.asg != NULL && op->st.inc != NULL) {
      h.assignment = op->st.asg;
      sg_dispatch_crew_incident(op->st.inc, op->st.asg, &ci);
      h.incident = &ci;
    }
    op->cb(op->data, &h, NULL);
  }
  sg_dispatch__state_clear(&op->st);
  free(op);
}

static void on_hello_read(void *data, int ok) {
  hello_op *op = data;
  if (!ok) {
    hello_finish(op, "unavailable");
    return;
  }
  if (op->st.unit == NULL) {
    hello_finish(op, "not_found");
    return;
  }
  /* The position is the first read's: whatever changed after it reaches
   * the unit as updates, so nothing falls between. */
  if (!op->second)
    snprintf(op->last_update_id, sizeof(op->last_update_id), "%s", op->st.last_update_id);
  if (op->second || op->st.unit->assignment_id[0] == '\0' ||
      !sg_key_id_valid(op->st.unit->assignment_id) || !sg_key_id_valid(op->st.unit->incident_id)) {
    hello_finish(op, NULL);
    return;
  }
  char asg[SG_KEY_ID_MAX + 1], inc[SG_KEY_ID_MAX + 1];
  snprintf(asg, sizeof(asg), "%s", op->st.unit->assignment_id);
  snprintf(inc, sizeof(inc), "%s", op->st.unit->incident_id);
  sg_dispatch__state_clear(&op->st);
  op->second = 1;
  if (sg_dispatch__read(op->d, op->unit_id, asg, inc, &op->st, on_hello_read, op) != 0)
    hello_finish(op, "unavailable");
}

void sg_dispatch_hello(sg_dispatch *d, const char *unit_id, sg_dispatch_hello_cb cb, void *data) {
  if (unit_id == NULL || !sg_dispatch_unit_id_valid(unit_id)) {
    cb(data, NULL, "not_found");
    return;
  }
  hello_op *op = calloc(1, sizeof(*op));
  if (op == NULL) {
    cb(data, NULL, "unavailable");
    return;
  }
  op->d = d;
  op->cb = cb;
  op->data = data;
  snprintf(op->unit_id, sizeof(op->unit_id), "%s", unit_id);
  if (sg_dispatch__read(d, unit_id, NULL, NULL, &op->st, on_hello_read, op) != 0) {
    free(op);
    cb(data, NULL, "unavailable");
  }
}

/* ---- the crew's view ---- */

void sg_dispatch_crew_incident(const Siaga__V1__Incident *inc, const Siaga__V1__Assignment *asg,
                               Siaga__V1__CrewIncident *out) {
  siaga__v1__crew_incident__init(out);
  out->id = inc->id;
  out->status = inc->status;
  out->priority = inc->priority;
  out->category = inc->category;
  out->reasons = inc->reasons;
  out->n_reasons = inc->n_reasons;
  out->location = inc->location;
  out->summary = inc->summary;
  /* The summary is the reporters' texts as triage joined them; the crew
   * reads it as one text (the array points at the incident's field). */
  if (inc->summary != NULL && inc->summary[0] != '\0') {
    out->texts = (char **)&inc->summary;
    out->n_texts = 1;
  }
  if (asg != NULL && asg->share_caller) {
    out->phones = inc->phones;
    out->n_phones = inc->n_phones;
  }
  out->notes = inc->notes;
  out->n_notes = inc->n_notes;
  out->version = inc->version;
  out->created_at_ms = inc->created_at_ms;
}
