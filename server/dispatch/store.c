/* The dispatch module's two Redis calls: dispatch_read.lua (three records
 * and their versions at one moment) and dispatch.lua (the compare-and-set
 * of all three, with the update, the audit entries, the ladder and SMS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/error.h"
#include "dispatch/dispatch_internal.h"

void sg_dispatch__state_clear(sg_dispatch__state *st) {
  if (st->unit != NULL)
    siaga__v1__unit__free_unpacked(st->unit, NULL);
  if (st->asg != NULL)
    siaga__v1__assignment__free_unpacked(st->asg, NULL);
  if (st->inc != NULL)
    siaga__v1__incident__free_unpacked(st->inc, NULL);
  memset(st, 0, sizeof(*st));
}

typedef struct read_op {
  sg_dispatch *d;
  sg_dispatch__state *st;
  sg_dispatch__read_cb cb;
  void *data;
} read_op;

static int64_t integer_of(const redisReply *r) {
  if (r->type == REDIS_REPLY_INTEGER)
    return r->integer;
  return r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
}

static void on_read(void *data, redisReply *reply) {
  read_op *op = data;
  sg_dispatch__state *st = op->st;
  int ok =
      reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 7 && !op->d->closing;
  for (size_t i = 0; ok && i < 7; i += 2)
    ok = reply->element[i]->type == REDIS_REPLY_STRING;
  if (ok) {
    redisReply **e = reply->element;
    if (e[0]->len > 0)
      st->unit = siaga__v1__unit__unpack(NULL, e[0]->len, (const uint8_t *)e[0]->str);
    if (e[2]->len > 0)
      st->asg = siaga__v1__assignment__unpack(NULL, e[2]->len, (const uint8_t *)e[2]->str);
    if (e[4]->len > 0)
      st->inc = siaga__v1__incident__unpack(NULL, e[4]->len, (const uint8_t *)e[4]->str);
    st->unit_version = st->unit != NULL ? integer_of(e[1]) : 0;
    st->asg_version = st->asg != NULL ? integer_of(e[3]) : 0;
    st->inc_version = st->inc != NULL ? integer_of(e[5]) : 0;
    snprintf(st->last_update_id, sizeof(st->last_update_id), "%s", e[6]->str);
  }
  sg_dispatch *d = op->d;
  op->cb(op->data, ok);
  free(op);
  sg_dispatch__unref(d);
}

int sg_dispatch__read(sg_dispatch *d, const char *unit_id, const char *asg_id, const char *inc_id,
                      sg_dispatch__state *st, sg_dispatch__read_cb cb, void *data) {
  memset(st, 0, sizeof(*st));
  if (d->closing)
    return SG_EUNAVAIL;
  char k[4][SG_KEY_MAX];
  if (sg_key(k[3], SG_KEY_MAX, d->region, SG_KEY_UPDATES) < 0 ||
      (unit_id != NULL && sg_dispatch__key(d, k[0], "unit", unit_id) < 0) ||
      (asg_id != NULL && sg_dispatch__key(d, k[1], "assignment", asg_id) < 0) ||
      (inc_id != NULL && sg_dispatch__key(d, k[2], "incident", inc_id) < 0))
    return SG_EINVAL;
  if (unit_id == NULL)
    memcpy(k[0], k[3], SG_KEY_MAX);
  if (asg_id == NULL)
    memcpy(k[1], k[3], SG_KEY_MAX);
  if (inc_id == NULL)
    memcpy(k[2], k[3], SG_KEY_MAX);
  read_op *op = calloc(1, sizeof(*op));
  if (op == NULL)
    return SG_ENOMEM;
  *op = (read_op){d, st, cb, data};
  const char *argv[] = {
      "EVALSHA",          d->sha_read,       "4", k[0], k[1], k[2], k[3], unit_id ? "1" : "0",
      asg_id ? "1" : "0", inc_id ? "1" : "0"};
  int rc = sg_redis_command(d->redis, on_read, op, 10, argv, NULL);
  if (rc != 0) {
    free(op);
    return rc;
  }
  sg_dispatch__ref(d);
  return SG_OK;
}

/* ---- the write ---- */

typedef struct write_op {
  sg_dispatch *d;
  sg_dispatch__write_cb cb;
  void *data;
} write_op;

static void on_write(void *data, redisReply *reply) {
  write_op *op = data;
  sg_dispatch__result result = SG_DISPATCH__UNAVAILABLE;
  const char *update_id = "";
  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
      reply->element[0]->type == REDIS_REPLY_STRING) {
    if (strcmp(reply->element[0]->str, "ok") == 0 &&
        reply->element[1]->type == REDIS_REPLY_STRING) {
      result = SG_DISPATCH__OK;
      update_id = reply->element[1]->str;
    } else if (strcmp(reply->element[0]->str, "conflict") == 0) {
      result = SG_DISPATCH__CONFLICT;
    }
  } else if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
    sg_log(SG_LOG_ERROR, "redis.refused", "script=dispatch.lua reason=%s", reply->str);
  }
  sg_dispatch *d = op->d;
  op->cb(op->data, result, update_id);
  free(op);
  sg_dispatch__unref(d);
}

typedef struct packed {
  uint8_t *unit, *asg, *inc, *update;
  size_t unit_len, asg_len, inc_len, update_len;
} packed;

static void packed_free(packed *p) {
  free(p->unit);
  free(p->asg);
  free(p->inc);
  free(p->update);
}

static int pack(const sg_dispatch__write *w, packed *p) {
  memset(p, 0, sizeof(*p));
  Siaga__V1__IncidentUpdate up = SIAGA__V1__INCIDENT_UPDATE__INIT;
  up.kind = w->kind;
  up.actor = (char *)w->actor;
  up.at_ms = w->now_ms;
  up.unit = (Siaga__V1__Unit *)w->unit;
  up.assignment = (Siaga__V1__Assignment *)w->asg;
  up.incident = (Siaga__V1__Incident *)w->inc;
  p->update_len = siaga__v1__incident_update__get_packed_size(&up);
  p->update = malloc(p->update_len + 1);
  if (w->unit != NULL) {
    p->unit_len = siaga__v1__unit__get_packed_size(w->unit);
    if ((p->unit = malloc(p->unit_len + 1)) != NULL)
      siaga__v1__unit__pack(w->unit, p->unit);
  }
  if (w->asg != NULL) {
    p->asg_len = siaga__v1__assignment__get_packed_size(w->asg);
    if ((p->asg = malloc(p->asg_len + 1)) != NULL)
      siaga__v1__assignment__pack(w->asg, p->asg);
  }
  if (w->inc != NULL) {
    p->inc_len = siaga__v1__incident__get_packed_size(w->inc);
    if ((p->inc = malloc(p->inc_len + 1)) != NULL)
      siaga__v1__incident__pack(w->inc, p->inc);
  }
  if (p->update == NULL || (w->unit != NULL && p->unit == NULL) ||
      (w->asg != NULL && p->asg == NULL) || (w->inc != NULL && p->inc == NULL)) {
    packed_free(p);
    return SG_ENOMEM;
  }
  siaga__v1__incident_update__pack(&up, p->update);
  return SG_OK;
}

static const char *or_empty(const char *s) {
  return s != NULL ? s : "";
}

int sg_dispatch__write_start(sg_dispatch *d, const sg_dispatch__write *w, sg_dispatch__write_cb cb,
                             void *data) {
  if (d->closing)
    return SG_EUNAVAIL;
  const char *unit_id = or_empty(w->unit_id), *asg_id = or_empty(w->asg_id),
             *inc_id = or_empty(w->inc_id);
  char k[10][SG_KEY_MAX], suffix[SG_KEY_MAX];
  int bad = sg_key(k[3], SG_KEY_MAX, d->region, SG_KEY_UPDATES) < 0 ||
            sg_key(k[6], SG_KEY_MAX, d->region, "assign:due") < 0 ||
            sg_key(k[7], SG_KEY_MAX, d->region, "sms:out") < 0 ||
            sg_key(k[9], SG_KEY_MAX, d->region, "unitgeo") < 0;
  for (int i = 0; i < 10; i++)
    if (i != 3 && i != 6 && i != 7 && i != 9)
      memcpy(k[i], k[3], SG_KEY_MAX); /* untouched keys: any of the slot */
  if (unit_id[0] != '\0')
    bad = bad || sg_dispatch__key(d, k[0], "unit", unit_id) < 0 ||
          sg_dispatch__key(d, k[5], "unitaudit", unit_id) < 0;
  if (asg_id[0] != '\0')
    bad = bad || sg_dispatch__key(d, k[1], "assignment", asg_id) < 0;
  if (inc_id[0] != '\0')
    bad = bad || sg_dispatch__key(d, k[2], "incident", inc_id) < 0 ||
          sg_dispatch__key(d, k[4], "audit", inc_id) < 0 ||
          snprintf(suffix, sizeof(suffix), "%s:sms", inc_id) >= (int)sizeof(suffix) ||
          sg_dispatch__key(d, k[8], "incident", suffix) < 0;
  if (bad)
    return SG_EINVAL;
  packed p;
  if (pack(w, &p) != SG_OK)
    return SG_ENOMEM;
  char n[10][32];
  snprintf(n[0], 32, "%lld", (long long)(w->unit != NULL ? w->unit_expected : -1));
  snprintf(n[1], 32, "%d", w->unit != NULL ? (int)w->unit->status : 0);
  snprintf(n[2], 32, "%lld", (long long)(w->asg != NULL ? w->asg_expected : -1));
  snprintf(n[3], 32, "%d", w->asg != NULL ? (int)w->asg->state : 0);
  snprintf(n[4], 32, "%lld", (long long)(w->inc != NULL ? w->inc_expected : -1));
  snprintf(n[5], 32, "%d", w->inc != NULL ? (int)w->inc->status : 0);
  snprintf(n[6], 32, "%d", SG_DISPATCH__UPDATES_MAXLEN);
  if (w->due > 0)
    snprintf(n[7], 32, "%lld", (long long)w->due_ms);
  else
    snprintf(n[7], 32, "%s", w->due < 0 ? "-" : "");
  snprintf(n[8], 32, "%lld", (long long)w->now_ms);
  double lon = 0, lat = 0;
  if (w->position && w->unit != NULL && w->unit->position != NULL) {
    lon = w->unit->position->lon;
    lat = w->unit->position->lat;
  }
  char slon[32], slat[32];
  snprintf(slon, sizeof(slon), "%.7f", lon);
  snprintf(slat, sizeof(slat), "%.7f", lat);
  const char *unit_asg = w->unit != NULL ? or_empty(w->unit->assignment_id) : "";
  const char *argv[] = {"EVALSHA",
                        d->sha_write,
                        "10",
                        k[0],
                        k[1],
                        k[2],
                        k[3],
                        k[4],
                        k[5],
                        k[6],
                        k[7],
                        k[8],
                        k[9],
                        w->position ? "position" : "cas", /* 1 */
                        n[0],
                        (const char *)p.unit,
                        n[1],
                        unit_asg,
                        n[2],
                        (const char *)p.asg,
                        n[3],
                        n[4],
                        (const char *)p.inc,
                        n[5],
                        (const char *)p.update,
                        n[6],
                        n[7],
                        asg_id,
                        n[8], /* 16 */
                        or_empty(w->dispatched_text),
                        or_empty(w->sms_to),
                        or_empty(w->sms_text),
                        or_empty(w->sms_kind),
                        unit_id,
                        inc_id,
                        slon,
                        slat,
                        SG_DISPATCH_POSITION_UPDATE_MS_TEXT,
                        w->unit != NULL && w->unit->connected ? "1" : "0"};
  enum { ARGC = sizeof(argv) / sizeof(argv[0]) };
  size_t lens[ARGC];
  /* The protobufs by length (binary, not terminated); absent ones as "". */
  enum { PB_UNIT = 15, PB_ASG = 19, PB_INC = 22, PB_UPDATE = 24 };
  for (size_t i = 0; i < ARGC; i++)
    if (i != PB_UNIT && i != PB_ASG && i != PB_INC && i != PB_UPDATE)
      lens[i] = strlen(argv[i]);
  lens[PB_UNIT] = p.unit != NULL ? p.unit_len : 0;
  lens[PB_ASG] = p.asg != NULL ? p.asg_len : 0;
  lens[PB_INC] = p.inc != NULL ? p.inc_len : 0;
  lens[PB_UPDATE] = p.update_len;
  for (size_t i = PB_UNIT; i <= PB_UPDATE; i++)
    if (argv[i] == NULL)
      argv[i] = "";
  write_op *op = calloc(1, sizeof(*op));
  int rc = op != NULL ? SG_OK : SG_ENOMEM;
  if (op != NULL) {
    *op = (write_op){d, cb, data};
    rc = sg_redis_command(d->redis, on_write, op, ARGC, argv, lens);
    if (rc != 0)
      free(op);
    else
      sg_dispatch__ref(d);
  }
  packed_free(&p);
  return rc;
}
