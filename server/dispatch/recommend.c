/* Recommend: the units that could answer an incident, nearest first, and
 * the others with why they were passed over. The distances are Redis's
 * (GEOSEARCH of the units' last positions from the incident's point, with
 * WITHDIST); the statuses and kinds come from every unit's record
 * (units.lua), read in the same pipeline. A position older than --unit-stale-s
 * still counts, ranked after every fresh one and marked stale: the
 * dispatcher decides, the list says why. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "core/clock.h"
#include "dispatch/dispatch_internal.h"
#include "dispatch/unitstatus.h"
#include "wire/report.h"

#define RECOMMEND_RADIUS_M "300000" /* beyond this a unit is "far": no distance */
#define RECOMMEND_GEO_COUNT "1000"  /* units looked at around the point */
#define RECOMMEND_CANDIDATES 20
#define RECOMMEND_PASSED 50

typedef struct rec_job {
  sg_dispatch *d;
  sg_dispatch_done_cb done;
  void *data;
  char request_id[SG_COMMANDS_REQUEST_ID_MAX + 1];
  char inc_id[SG_KEY_ID_MAX + 1];
  Siaga__V1__Incident *inc;
  Siaga__V1__Unit **units;
  size_t n_units;
  char (*geo_ids)[SG_DISPATCH_UNIT_ID_MAX + 1];
  double *geo_dist;
  size_t n_geo;
  int pending, failed;
} rec_job;

static void job_free(rec_job *j) {
  if (j->inc != NULL)
    siaga__v1__incident__free_unpacked(j->inc, NULL);
  for (size_t i = 0; i < j->n_units; i++)
    siaga__v1__unit__free_unpacked(j->units[i], NULL);
  free(j->units);
  free(j->geo_ids);
  free(j->geo_dist);
  sg_dispatch *d = j->d;
  free(j);
  sg_dispatch__unref(d);
}

static void fail(rec_job *j, const char *code, const char *message) {
  sg_dispatch__refuse(j->done, j->data, j->request_id, code, message);
  job_free(j);
}

static double distance_of(const rec_job *j, const char *id) {
  for (size_t i = 0; i < j->n_geo; i++)
    if (strcmp(j->geo_ids[i], id) == 0)
      return j->geo_dist[i];
  return -1;
}

/* Best first: fresh before stale, then nearer, then unknown distances. */
static int by_rank(const void *pa, const void *pb) {
  const Siaga__V1__UnitCandidate *a = *(Siaga__V1__UnitCandidate *const *)pa;
  const Siaga__V1__UnitCandidate *b = *(Siaga__V1__UnitCandidate *const *)pb;
  if (a->stale != b->stale)
    return a->stale ? 1 : -1;
  if ((a->distance_m < 0) != (b->distance_m < 0))
    return a->distance_m < 0 ? 1 : -1;
  if (a->distance_m != b->distance_m)
    return a->distance_m < b->distance_m ? -1 : 1;
  return strcmp(a->unit->id, b->unit->id);
}

static const char *passed_reason(const rec_job *j, const Siaga__V1__Unit *u) {
  if (u->disabled)
    return "disabled";
  if (!sg_kinds_answers(j->d->kinds, u->kind, j->inc->category))
    return "kind";
  if (u->status == SIAGA__V1__UNIT_STATUS__UNIT_STATUS_OUT_OF_SERVICE ||
      u->status == SIAGA__V1__UNIT_STATUS__UNIT_STATUS_OFFLINE)
    return "out_of_service";
  if (u->status != SIAGA__V1__UNIT_STATUS__UNIT_STATUS_AVAILABLE)
    return "busy";
  return "";
}

static void answer(rec_job *j) {
  size_t n = j->n_units;
  Siaga__V1__UnitCandidate *all = calloc(n ? n : 1, sizeof(*all));
  Siaga__V1__UnitCandidate **cand = calloc(n ? n : 1, sizeof(*cand));
  Siaga__V1__UnitCandidate **passed = calloc(n ? n : 1, sizeof(*passed));
  char(*why)[96] = calloc(n ? n : 1, sizeof(*why));
  if (all == NULL || cand == NULL || passed == NULL || why == NULL) {
    free(all);
    free(cand);
    free(passed);
    free(why);
    fail(j, "unavailable", "out of memory");
    return;
  }
  int64_t now = (int64_t)sg_clock_now_ms();
  double mps = j->d->speed_kmh / 3.6;
  size_t nc = 0, np = 0;
  for (size_t i = 0; i < n; i++) {
    Siaga__V1__Unit *u = j->units[i];
    Siaga__V1__UnitCandidate *c = &all[i];
    siaga__v1__unit_candidate__init(c);
    c->unit = u;
    c->distance_m = distance_of(j, u->id);
    c->eta_s = c->distance_m >= 0 ? (int32_t)lround(c->distance_m / mps) : -1;
    c->stale = u->position == NULL || now - u->position_at_ms > (int64_t)j->d->stale_s * 1000;
    c->passed_over = (char *)passed_reason(j, u);
    if (c->passed_over[0] != '\0') {
      snprintf(why[i], sizeof(why[i]), "%s %s", u->kind, sg_unitstatus_name(u->status));
      c->why = why[i];
      passed[np++] = c;
      continue;
    }
    if (c->distance_m >= 0)
      snprintf(why[i], sizeof(why[i]), "%s answers %s, %.1f km, ~%d min%s", u->kind,
               j->inc->category, c->distance_m / 1000, (c->eta_s + 59) / 60,
               c->stale ? ", position stale" : "");
    else
      snprintf(why[i], sizeof(why[i]), "%s answers %s, distance unknown", u->kind,
               j->inc->category);
    c->why = why[i];
    cand[nc++] = c;
  }
  qsort(cand, nc, sizeof(*cand), by_rank);
  qsort(passed, np, sizeof(*passed), by_rank);
  Siaga__V1__Recommendation rec = SIAGA__V1__RECOMMENDATION__INIT;
  rec.incident_id = j->inc_id;
  rec.candidates = cand;
  rec.n_candidates = nc < RECOMMEND_CANDIDATES ? nc : RECOMMEND_CANDIDATES;
  rec.passed_over = passed;
  rec.n_passed_over = np < RECOMMEND_PASSED ? np : RECOMMEND_PASSED;
  Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
  r.request_id = j->request_id;
  r.ok = 1;
  r.recommendation = &rec;
  r.incident = j->inc;
  j->done(j->data, &r);
  free(all);
  free(cand);
  free(passed);
  free(why);
  job_free(j);
}

static void step_done(rec_job *j) {
  if (--j->pending > 0)
    return;
  if (j->failed)
    fail(j, "unavailable", "dispatch store unavailable; try again");
  else
    answer(j);
}

static void on_units(void *data, redisReply *reply) {
  rec_job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || j->d->closing) {
    j->failed = 1;
  } else if ((j->units = calloc(reply->elements + 1, sizeof(*j->units))) == NULL) {
    j->failed = 1;
  } else {
    for (size_t i = 0; i < reply->elements; i++) {
      redisReply *e = reply->element[i];
      Siaga__V1__Unit *u = e->type == REDIS_REPLY_STRING
                               ? siaga__v1__unit__unpack(NULL, e->len, (const uint8_t *)e->str)
                               : NULL;
      if (u != NULL)
        j->units[j->n_units++] = u;
    }
  }
  step_done(j);
}

static void on_geo(void *data, redisReply *reply) {
  rec_job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
    j->failed = 1;
    step_done(j);
    return;
  }
  size_t n = reply->elements;
  j->geo_ids = calloc(n + 1, sizeof(*j->geo_ids));
  j->geo_dist = calloc(n + 1, sizeof(*j->geo_dist));
  if (j->geo_ids == NULL || j->geo_dist == NULL)
    j->failed = 1;
  for (size_t i = 0; !j->failed && i < n; i++) {
    redisReply *e = reply->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_STRING ||
        e->element[0]->len > SG_DISPATCH_UNIT_ID_MAX)
      continue;
    memcpy(j->geo_ids[j->n_geo], e->element[0]->str, e->element[0]->len);
    j->geo_dist[j->n_geo++] = strtod(e->element[1]->str, NULL);
  }
  step_done(j);
}

static void on_incident(void *data, redisReply *reply) {
  rec_job *j = data;
  sg_dispatch *d = j->d;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR || d->closing) {
    fail(j, "unavailable", "dispatch store unavailable; try again");
    return;
  }
  if (reply->type == REDIS_REPLY_STRING)
    j->inc = siaga__v1__incident__unpack(NULL, reply->len, (const uint8_t *)reply->str);
  if (j->inc == NULL) {
    fail(j, "not_found", "no incident with that id");
    return;
  }
  char k_units[SG_KEY_MAX], prefix[SG_KEY_MAX], k_geo[SG_KEY_MAX], lon[32], lat[32];
  sg_key(k_units, sizeof(k_units), d->region, "units");
  sg_dispatch__key(d, prefix, "unit", "");
  sg_key(k_geo, sizeof(k_geo), d->region, "unitgeo");
  const char *units[] = {"EVALSHA", d->sha_units, "1", k_units, prefix};
  j->pending = 1;
  if (sg_redis_command(d->redis, on_units, j, 5, units, NULL) == 0)
    j->pending++;
  else
    j->failed = 1;
  if (!j->failed && sg_report_has_point(j->inc->location)) {
    snprintf(lon, sizeof(lon), "%.7f", j->inc->location->lon);
    snprintf(lat, sizeof(lat), "%.7f", j->inc->location->lat);
    const char *geo[] = {"GEOSEARCH", k_geo,      "FROMLONLAT",        lon,
                         lat,         "BYRADIUS", RECOMMEND_RADIUS_M,  "m",
                         "ASC",       "COUNT",    RECOMMEND_GEO_COUNT, "WITHDIST"};
    if (sg_redis_command(d->redis, on_geo, j, 12, geo, NULL) == 0)
      j->pending++;
    else
      j->failed = 1;
  }
  step_done(j);
}

void sg_dispatch__recommend(sg_dispatch *d, const Siaga__V1__Command *cmd, sg_dispatch_done_cb done,
                            void *data) {
  const char *id = cmd->recommend->incident_id;
  char key[SG_KEY_MAX];
  if (!sg_key_id_valid(id) || sg_dispatch__key(d, key, "incident", id) < 0) {
    sg_dispatch__refuse(done, data, cmd->request_id, "not_found", "no incident with that id");
    return;
  }
  rec_job *j = d->closing ? NULL : calloc(1, sizeof(*j));
  if (j == NULL) {
    sg_dispatch__refuse(done, data, cmd->request_id, "unavailable", "out of memory");
    return;
  }
  j->d = d;
  j->done = done;
  j->data = data;
  snprintf(j->request_id, sizeof(j->request_id), "%s", cmd->request_id);
  snprintf(j->inc_id, sizeof(j->inc_id), "%s", id);
  sg_dispatch__ref(d);
  const char *argv[] = {"HGET", key, "pb"};
  if (sg_redis_command(d->redis, on_incident, j, 3, argv, NULL) != 0)
    fail(j, "unavailable", "dispatch store unavailable; try again");
}
