/* The acknowledgement ladder. An assignment nobody accepted within the ack
 * period of its incident's priority goes to the unit's phone by SMS; as
 * long again without an answer, it times out (unit back AVAILABLE; the
 * console alerts on the TIMED_OUT update). siaga:{r}:assign:due holds each
 * unanswered assignment by when its next step is due. Once a second every
 * siagad looks at what is due; each step is a LADDER change (plan.c), a
 * compare-and-set on the assignment's version, so a step is taken once
 * across all of them and survives any being killed: the zset and the
 * assignment live in Redis, and the step's write moves both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "dispatch/dispatch_internal.h"
#include "sms/gsm7.h"

#define LADDER_TICK_MS 1000
#define LADDER_BATCH "32" /* due assignments looked at per tick */

static const struct {
  const char *category, *label;
} labels[] = {{"fire", "Kebakaran"},      {"land_fire", "Kebakaran lahan"},
              {"haze", "Kabut asap"},     {"flood", "Banjir"},
              {"accident", "Kecelakaan"}, {"medical", "Medis"},
              {"crime", "Kejahatan"},     {"rescue", "Penyelamatan"},
              {"animal", "Hewan"},        {"hazard", "Bahaya"},
              {"other", "Lainnya"},       {"nonemergency", "Bukan darurat"},
              {"unknown", "Belum jelas"}};

const char *sg_dispatch__category_label(const char *category) {
  for (size_t i = 0; category != NULL && i < sizeof(labels) / sizeof(labels[0]); i++)
    if (strcmp(labels[i].category, category) == 0)
      return labels[i].label;
  return "Insiden";
}

/* Appends the printable ASCII of s to buf while the whole stays within
 * limit septets: an address is free text, and one SMS of GSM 7-bit is the
 * promise. */
static void append_fitting(char *buf, size_t size, const char *s, size_t limit) {
  size_t n = strlen(buf);
  for (; *s != '\0' && n + 1 < size; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch < 0x20 || ch > 0x7e || strchr("[]{}\\^~|`", ch) != NULL)
      continue; /* outside GSM 7-bit, or two septets: left out */
    if (n >= limit)
      break;
    buf[n++] = (char)ch;
  }
  buf[n] = '\0';
}

long sg_dispatch__offer_text(char *buf, size_t size, const Siaga__V1__Incident *inc) {
  static const char *const prio[] = {"P?", "P1", "P2", "P3", "P4"};
  const Siaga__V1__Location *loc = inc->location;
  char head[96], place[48] = "", tail[] = ". Balas 1 terima, 2 tolak.";
  snprintf(head, sizeof(head), "SIAGA TUGAS %s %s %s, ", inc->id,
           prio[inc->priority >= 1 && inc->priority <= 4 ? inc->priority : 0],
           sg_dispatch__category_label(inc->category));
  int has_point = loc != NULL && !(loc->lat == 0 && loc->lon == 0);
  if (has_point)
    snprintf(place, sizeof(place), "(%.5f,%.5f)", loc->lat, loc->lon);
  const char *address = loc != NULL ? loc->address : "";
  size_t fixed = strlen(head) + strlen(place) + strlen(tail) + (address[0] && has_point);
  if (fixed > SG_GSM7_SMS_SEPTETS || size < SG_GSM7_SMS_SEPTETS + 1)
    return -1;
  snprintf(buf, size, "%s", head);
  if (address[0] != '\0') {
    append_fitting(buf, size, address, SG_GSM7_SMS_SEPTETS - (fixed - strlen(head)));
    if (has_point)
      strcat(buf, " ");
  } else if (!has_point) {
    snprintf(place, sizeof(place), "lokasi belum jelas");
  }
  strcat(buf, place);
  strcat(buf, tail);
  long septets = sg_gsm7_septets(buf, strlen(buf));
  return septets < 0 || septets > SG_GSM7_SMS_SEPTETS ? -1 : (long)strlen(buf);
}

/* ---- the timer ---- */

typedef struct round {
  sg_dispatch *d;
  size_t pending;
} round;

static void round_done(round *rd) {
  if (--rd->pending > 0)
    return;
  rd->d->ladder_busy = 0;
  sg_dispatch__unref(rd->d);
  free(rd);
}

static void on_zrem(void *data, redisReply *reply) {
  (void)reply;
  round_done(data);
}

static void on_step(void *data, const sg_dispatch__outcome *o) {
  round *rd = data;
  /* Answered, cancelled, gone: off the ladder. A step another siagad took
   * first is not "done": its write moved the due time already. */
  int over =
      o->asg == NULL || (o->asg->state != SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_OFFERED &&
                         o->asg->state != SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_DELIVERED &&
                         o->asg->state != SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_SEEN);
  if (!o->ok && o->code != NULL && strcmp(o->code, "not_found") != 0)
    over = 0; /* Redis trouble: try again next tick */
  if (over && o->asg_id[0] != '\0' && !rd->d->closing) {
    char key[SG_KEY_MAX];
    sg_key(key, sizeof(key), rd->d->region, "assign:due");
    const char *argv[] = {"ZREM", key, o->asg_id};
    rd->pending++;
    if (sg_redis_command(rd->d->redis, on_zrem, rd, 3, argv, NULL) != 0)
      rd->pending--;
  }
  round_done(rd);
}

static void on_due(void *data, redisReply *reply) {
  round *rd = data;
  sg_dispatch *d = rd->d;
  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && !d->closing) {
    for (size_t i = 0; i < reply->elements; i++) {
      redisReply *e = reply->element[i];
      if (e->type != REDIS_REPLY_STRING || !sg_key_id_valid(e->str))
        continue;
      sg_dispatch__change *c =
          sg_dispatch__change_new(d, SG_DISPATCH__LADDER, "siagad", on_step, rd);
      if (c == NULL)
        break;
      snprintf(c->asg_id, sizeof(c->asg_id), "%s", e->str);
      rd->pending++;
      sg_dispatch__change_run(c);
    }
  }
  round_done(rd);
}

static void on_tick(uv_timer_t *t) {
  sg_dispatch *d = t->data;
  if (d->closing || !sg_redis_connected(d->redis))
    return;
  sg_dispatch__presence_tick(d); /* the same clock: Unit.connected's refreshes and sweep */
  if (d->ladder_busy)
    return;
  round *rd = calloc(1, sizeof(*rd));
  if (rd == NULL)
    return;
  rd->d = d;
  rd->pending = 1;
  char key[SG_KEY_MAX], now[24];
  sg_key(key, sizeof(key), d->region, "assign:due");
  snprintf(now, sizeof(now), "%llu", (unsigned long long)sg_clock_now_ms());
  const char *argv[] = {"ZRANGEBYSCORE", key, "-inf", now, "LIMIT", "0", LADDER_BATCH};
  if (sg_redis_command(d->redis, on_due, rd, 7, argv, NULL) != 0) {
    free(rd);
    return;
  }
  d->ladder_busy = 1;
  sg_dispatch__ref(d);
}

void sg_dispatch_start(sg_dispatch *d) {
  if (d != NULL && !d->closing)
    uv_timer_start(&d->timer, on_tick, LADDER_TICK_MS, LADDER_TICK_MS);
}
