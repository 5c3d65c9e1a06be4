#include "triage/match.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "wire/report.h"

int sg_triage_match_searchable(const Siaga__V1__Location *loc) {
  return sg_report_has_point(loc) && fabs(loc->lat) <= SG_TRIAGE_GEO_LAT_LIMIT;
}

int sg_triage_match_append_search(sg_triage *t, const Siaga__V1__Location *loc) {
  char lon[32], lat[32];
  snprintf(lon, sizeof(lon), "%.9f", loc->lon);
  snprintf(lat, sizeof(lat), "%.9f", loc->lat);
  /* The same radius and COUNT as the opening check (sg_triage_match_check),
   * so the script looks where the caller looked. */
  int rc =
      redisAppendCommand(t->c, "GEOSEARCH %s FROMLONLAT %s %s BYRADIUS %d m ASC COUNT %d WITHDIST",
                         t->k_geo, lon, lat, SG_TRIAGE_DEDUP_RADIUS_M, SG_TRIAGE_GEO_CANDIDATES);
  return rc == REDIS_OK ? SG_OK : SG_EUNAVAIL;
}

int sg_triage_match_hits(const redisReply *reply, sg_arena *a, sg_triage_match_hit **hits,
                         size_t *n) {
  *hits = NULL;
  *n = 0;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    return SG_EREPLY;
  sg_triage_match_hit *h = sg_arena_alloc(a, (reply->elements + 1) * sizeof(*h));
  if (h == NULL)
    return SG_ENOMEM;
  for (size_t k = 0; k < reply->elements; k++) {
    const redisReply *e = reply->element[k];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_STRING)
      continue;
    char *id = sg_arena_strndup(a, e->element[0]->str, e->element[0]->len);
    if (id == NULL)
      return SG_ENOMEM;
    h[*n] = (sg_triage_match_hit){id, e->element[0]->len, strtod(e->element[1]->str, NULL)};
    (*n)++;
  }
  *hits = h;
  return SG_OK;
}

int sg_triage_match_append_read(sg_triage *t, const char *key) {
  return redisAppendCommand(t->c, "HMGET %s pb version", key) == REDIS_OK ? SG_OK : SG_EUNAVAIL;
}

int sg_triage_match_read(const redisReply *reply, sg_arena *a, Siaga__V1__Incident **inc,
                         int64_t *version) {
  *inc = NULL;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    return SG_EREPLY;
  if (reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING ||
      reply->element[0]->len > SG_TRIAGE_INCIDENT_PB_MAX)
    return SG_OK; /* gone (nil fields) or too large: skipped */
  /* A candidate that does not decode is skipped, not fatal: the report then
   * looks further or opens an incident of its own. */
  *inc = siaga__v1__incident__unpack(&a->allocator, (size_t)reply->element[0]->len,
                                     (const uint8_t *)reply->element[0]->str);
  *version = strtoll(reply->element[1]->str, NULL, 10);
  return SG_OK;
}

int sg_triage_match_caller(const Siaga__V1__Incident *inc, int64_t ref_ms) {
  return inc != NULL && sg_triage_incident_matches_caller(inc, ref_ms);
}

long sg_triage_match_nearest(const sg_triage_match_candidate *c, size_t n, const char *category,
                             int64_t ref_ms) {
  long best = -1;
  for (size_t k = 0; k < n; k++) {
    if (c[k].inc == NULL || !sg_triage_incident_matches(c[k].inc, category, ref_ms))
      continue;
    if (best < 0 || c[k].dist_m < c[best].dist_m)
      best = (long)k;
  }
  return best;
}

sg_transition_check sg_triage_match_check(const char *const *known, size_t n_known) {
  return (sg_transition_check){.on = 1,
                               .radius_m = SG_TRIAGE_DEDUP_RADIUS_M,
                               .count = SG_TRIAGE_GEO_CANDIDATES,
                               .known = known,
                               .n_known = n_known};
}
