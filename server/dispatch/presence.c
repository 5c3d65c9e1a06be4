/* Unit.connected: whether a unit's app holds a responder WebSocket now.
 *
 * Each socket of this process that said hello is a holder here and in
 * Redis (presence.lua: a member of siaga:{r}:unitconn:<id> that expires
 * after connected_ms unless this process refreshes it, every third of
 * that). Kept in Redis, not in the process, because a unit's sockets may be
 * held by several siagad and any of them may be killed: a dead one's
 * holders expire on their own, and the sweep every siagad runs once a
 * second (the ladder's tick) tells the consoles. Readers (dispatch_read.lua,
 * units.lua) take the flag from what presence.lua last told, so the stored
 * protobuf's copy of it never matters, and dispatch.lua refuses a change
 * read before the flag moved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "dispatch/dispatch_internal.h"

/* Holders refreshed per tick (second), at most, so thousands of sockets
 * opened together (a siagad's restart) are not all refreshed in one tick:
 * at the default 45 s,
 * refreshed at 15 s, 1024 a second keep 30 000 sockets of one siagad within
 * their life. */
#define PRESENCE_REFRESH_MAX 1024
#define PRESENCE_SWEEP_BATCH "32" /* expired units looked at per tick */

/* A holder's open and refreshes are in flight at most one at a time, and
 * its close waits for them (closed): an open retried after a conflict must
 * not add back a holder its close already took away. */
struct sg_dispatch_presence {
  sg_dispatch_presence *prev, *next;
  char unit_id[SG_DISPATCH_UNIT_ID_MAX + 1];
  char holder[SG_DISPATCH__HOLDER_MAX];
  uint64_t refresh_at_ms;
  int busy;   /* its open or refresh is in flight */
  int closed; /* closed while busy: the close goes when that is over */
};

static void presence_run(sg_dispatch *d, const char *op, const char *unit_id, const char *holder,
                         sg_dispatch_presence *p);

typedef struct presence_op {
  sg_dispatch *d;
  sg_dispatch_presence *p; /* the holder's own open or refresh; NULL for a close or a sweep */
  const char *op;          /* "open", "refresh", "close", "sweep" */
  char unit_id[SG_DISPATCH_UNIT_ID_MAX + 1];
  char holder[SG_DISPATCH__HOLDER_MAX];
  int attempts;
  sg_dispatch__state st;
} presence_op;

int sg_dispatch__presence_init(sg_dispatch *d) {
  unsigned char r[8];
  if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
    return SG_EUNAVAIL;
  for (size_t i = 0; i < sizeof(r); i++)
    snprintf(d->instance + 2 * i, 3, "%02x", r[i]);
  return SG_OK;
}

void sg_dispatch__presence_free(sg_dispatch *d) {
  while (d->holders != NULL) {
    sg_dispatch_presence *p = d->holders;
    d->holders = p->next;
    free(p);
  }
}

static void op_free(presence_op *o) {
  sg_dispatch__state_clear(&o->st);
  sg_dispatch *d = o->d;
  sg_dispatch_presence *p = o->p;
  free(o);
  if (p != NULL) {
    p->busy = 0;
    if (p->closed) {
      presence_run(d, "close", p->unit_id, p->holder, NULL);
      free(p);
    }
  }
  sg_dispatch__unref(d);
}

static void op_read(presence_op *o);

/* The update a change of state appends: the unit with the flag, its
 * version untouched (nothing of the unit itself changed). */
static uint8_t *pack_update(const presence_op *o, int connected, uint64_t now, size_t *len) {
  Siaga__V1__Unit unit = *o->st.unit;
  unit.connected = connected;
  Siaga__V1__IncidentUpdate up = SIAGA__V1__INCIDENT_UPDATE__INIT;
  up.kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CONNECTED;
  up.actor = (char *)(strcmp(o->op, "sweep") == 0 ? "siagad" : o->unit_id);
  up.at_ms = (int64_t)now;
  up.unit = &unit;
  *len = siaga__v1__incident_update__get_packed_size(&up);
  uint8_t *buf = malloc(*len + 1);
  if (buf != NULL)
    siaga__v1__incident_update__pack(&up, buf);
  return buf;
}

static void on_written(void *data, redisReply *reply) {
  presence_op *o = data;
  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
      reply->element[0]->type == REDIS_REPLY_STRING &&
      strcmp(reply->element[0]->str, "conflict") == 0 && !o->d->closing &&
      ++o->attempts < SG_DISPATCH__ATTEMPTS) {
    sg_dispatch__state_clear(&o->st);
    op_read(o);
    return;
  }
  if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
    sg_log(SG_LOG_ERROR, "redis.refused", "script=presence.lua reason=%s", reply->str);
  /* Anything else (Redis away) is mended by the next refresh or the TTL. */
  op_free(o);
}

static void on_read(void *data, int ok) {
  presence_op *o = data;
  if (!ok || o->d->closing) {
    op_free(o);
    return;
  }
  sg_dispatch *d = o->d;
  uint64_t now = sg_clock_now_ms();
  uint8_t *up_on = NULL, *up_off = NULL;
  size_t on_len = 0, off_len = 0;
  if (o->st.unit != NULL) {
    up_on = pack_update(o, 1, now, &on_len);
    up_off = pack_update(o, 0, now, &off_len);
    if (up_on == NULL || up_off == NULL)
      goto fail;
  }
  char k[4][SG_KEY_MAX], n[4][24];
  if (sg_dispatch__key(d, k[0], "unit", o->unit_id) < 0 ||
      sg_dispatch__key(d, k[1], "unitconn", o->unit_id) < 0 ||
      sg_key(k[2], SG_KEY_MAX, d->region, "unitconns") < 0 ||
      sg_key(k[3], SG_KEY_MAX, d->region, SG_KEY_UPDATES) < 0)
    goto fail;
  snprintf(n[0], sizeof(n[0]), "%llu", (unsigned long long)now);
  snprintf(n[1], sizeof(n[1]), "%llu", (unsigned long long)d->connected_ms);
  snprintf(n[2], sizeof(n[2]), "%lld", (long long)(o->st.unit != NULL ? o->st.unit_version : 0));
  snprintf(n[3], sizeof(n[3]), "%d", SG_DISPATCH__UPDATES_MAXLEN);
  const char *argv[] = {"EVALSHA",
                        d->sha_presence,
                        "4",
                        k[0],
                        k[1],
                        k[2],
                        k[3],
                        o->op,
                        o->holder,
                        n[0],
                        n[1],
                        n[2],
                        up_on != NULL ? (const char *)up_on : "",
                        up_off != NULL ? (const char *)up_off : "",
                        n[3],
                        o->unit_id};
  enum { ARGC = sizeof(argv) / sizeof(argv[0]), PB_ON = 12, PB_OFF = 13 };
  size_t lens[ARGC];
  for (size_t i = 0; i < ARGC; i++)
    lens[i] = i == PB_ON ? on_len : i == PB_OFF ? off_len : strlen(argv[i]);
  int rc = sg_redis_command(d->redis, on_written, o, ARGC, argv, lens);
  free(up_on);
  free(up_off);
  if (rc != 0)
    op_free(o);
  return;
fail:
  free(up_on);
  free(up_off);
  op_free(o);
}

static void op_read(presence_op *o) {
  if (sg_dispatch__read(o->d, o->unit_id, NULL, NULL, &o->st, on_read, o) != 0)
    op_free(o);
}

/* Fire and forget: what fails is mended by the next refresh or the TTL. */
static void presence_run(sg_dispatch *d, const char *op, const char *unit_id, const char *holder,
                         sg_dispatch_presence *p) {
  if (d->closing || !sg_dispatch_unit_id_valid(unit_id))
    return;
  presence_op *o = calloc(1, sizeof(*o));
  if (o == NULL)
    return;
  o->d = d;
  o->p = p;
  if (p != NULL)
    p->busy = 1;
  o->op = op;
  snprintf(o->unit_id, sizeof(o->unit_id), "%s", unit_id);
  snprintf(o->holder, sizeof(o->holder), "%s", holder);
  sg_dispatch__ref(d);
  op_read(o);
}

sg_dispatch_presence *sg_dispatch_presence_open(sg_dispatch *d, const char *unit_id) {
  if (d == NULL || d->closing || !sg_dispatch_unit_id_valid(unit_id))
    return NULL;
  sg_dispatch_presence *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return NULL;
  snprintf(p->unit_id, sizeof(p->unit_id), "%s", unit_id);
  snprintf(p->holder, sizeof(p->holder), "%s-%llu", d->instance,
           (unsigned long long)++d->holders_made);
  p->refresh_at_ms = sg_clock_now_ms() + d->connected_ms / 3;
  p->next = d->holders;
  if (d->holders != NULL)
    d->holders->prev = p;
  d->holders = p;
  presence_run(d, "open", p->unit_id, p->holder, p);
  return p;
}

void sg_dispatch_presence_close(sg_dispatch *d, sg_dispatch_presence *p) {
  if (d == NULL || p == NULL)
    return;
  if (p->prev != NULL)
    p->prev->next = p->next;
  else
    d->holders = p->next;
  if (p->next != NULL)
    p->next->prev = p->prev;
  p->prev = p->next = NULL;
  if (p->busy) {
    p->closed = 1; /* op_free sends the close and frees it */
    return;
  }
  presence_run(d, "close", p->unit_id, p->holder, NULL);
  free(p);
}

/* ---- the tick: refreshes and the sweep ---- */

static void on_expired(void *data, redisReply *reply) {
  sg_dispatch *d = data;
  d->sweep_busy = 0;
  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && !d->closing)
    for (size_t i = 0; i < reply->elements; i++)
      if (reply->element[i]->type == REDIS_REPLY_STRING)
        presence_run(d, "sweep", reply->element[i]->str, "", NULL);
  sg_dispatch__unref(d);
}

void sg_dispatch__presence_tick(sg_dispatch *d) {
  uint64_t now = sg_clock_now_ms();
  size_t n = 0;
  for (sg_dispatch_presence *p = d->holders; p != NULL && n < PRESENCE_REFRESH_MAX; p = p->next)
    if (p->refresh_at_ms <= now && !p->busy) {
      p->refresh_at_ms = now + d->connected_ms / 3;
      presence_run(d, "refresh", p->unit_id, p->holder, p);
      n++;
    }
  if (d->sweep_busy)
    return;
  char key[SG_KEY_MAX], max[24];
  if (sg_key(key, sizeof(key), d->region, "unitconns") < 0)
    return;
  snprintf(max, sizeof(max), "%llu", (unsigned long long)now);
  const char *argv[] = {"ZRANGEBYSCORE", key, "-inf", max, "LIMIT", "0", PRESENCE_SWEEP_BATCH};
  if (sg_redis_command(d->redis, on_expired, d, 7, argv, NULL) == 0) {
    d->sweep_busy = 1;
    sg_dispatch__ref(d);
  }
}
