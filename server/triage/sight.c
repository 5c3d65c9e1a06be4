/* Opening on sight: the reports of a batch at places where nothing is open
 * open their incidents with the batch's first round trip.
 *
 * Most emergencies are reported first from a place where no incident is
 * open; for those the batch path's searches (search_nearby in batch.c) only confirm that
 * the report opens one. Here such a report goes straight to transition.lua
 * as an opening whose check knows no incident: the script searches the geo
 * set itself, inside the same atomic call, and refuses the opening
 * ("nearby") if any open incident is within reach, as it refuses one whose
 * search missed an incident. With the caller's phone map expected empty,
 * the same holds for a number that reported before ("phone_moved"). A
 * refused report loses nothing but the round trip: it goes on to the batch
 * path, which searches, reads and decides as before.
 *
 * So that a big event's later reports (which join) do not each pay that
 * round trip, a report is tried here only if it is not within reach of a
 * place this worker saw lately, nor of an earlier report of its batch (the
 * batch path keeps their order), nor of the same number as one; and only
 * while the worker's pool holds a number for it. Incident numbers are
 * taken from the pool before the calls go out; one INCRBY in the same write
 * tops the pool up for the batches after. */
#include <math.h>
#include <string.h>

#include "core/clock.h"
#include "wire/report.h"
#include "triage/match.h"
#include "triage/triage_internal.h"

/* Degrees of latitude no two points within the dedup radius can be apart
 * (a degree is at least 110.5 km): rules most pairs out before the
 * great-circle distance is computed. */
#define LAT_REACH_DEG (SG_TRIAGE_DEDUP_RADIUS_M / 110000.0)

static int within_reach(double lat1, double lon1, double lat2, double lon2) {
  return fabs(lat1 - lat2) <= LAT_REACH_DEG &&
         sg_triage_distance_m(lat1, lon1, lat2, lon2) <= SG_TRIAGE_DEDUP_RADIUS_M;
}

void sg_triage__remember_place(sg_triage *t, const Siaga__V1__Location *loc) {
  if (!sg_triage__in_geo_set(loc))
    return;
  t->recent[t->recent_next].lat = loc->lat;
  t->recent[t->recent_next].lon = loc->lon;
  t->recent_next = (t->recent_next + 1) % SG_TRIAGE_RECENT_PLACES;
  if (t->n_recent < SG_TRIAGE_RECENT_PLACES)
    t->n_recent++;
}

static int near_recent(const sg_triage *t, const Siaga__V1__Location *loc) {
  for (size_t k = 0; k < t->n_recent; k++) {
    if (within_reach(loc->lat, loc->lon, t->recent[k].lat, t->recent[k].lon))
      return 1;
  }
  return 0;
}

/* Whether entries[i] may open on sight, the entries before it considered. */
static int may_open(const sg_triage *t, const sg_triage__entry *entries, size_t i) {
  const Siaga__V1__Report *r = entries[i].r;
  if (!sg_triage__in_geo_set(r->location) || near_recent(t, r->location))
    return 0;
  int linked = sg_triage_report_links_caller(r);
  for (size_t j = 0; j < i; j++) {
    const Siaga__V1__Report *q = entries[j].r;
    if (sg_report_has_point(q->location) &&
        within_reach(r->location->lat, r->location->lon, q->location->lat, q->location->lon))
      return 0;
    if (linked && sg_triage_report_links_caller(q) &&
        strcmp(r->reporter->phone, q->reporter->phone) == 0)
      return 0;
  }
  return 1;
}

/* Appends entries[i]'s opening as incident number seq. */
static int append_opening(sg_triage *t, sg_triage__entry *e, long long seq) {
  sg_arena *a = &t->batch_work;
  int64_t now_ms = (int64_t)sg_clock_now_ms();
  Siaga__V1__Incident *next = sg_arena_alloc(a, sizeof(*next));
  char *id = sg_arena_alloc(a, SG_TRIAGE_ID_MAX);
  char *k_phone = sg_arena_alloc(a, SG_KEY_MAX);
  if (next == NULL || id == NULL || k_phone == NULL)
    return SG_ENOMEM;
  if (sg_triage_incident_id(id, SG_TRIAGE_ID_MAX, t->region, seq) < 0)
    return SG_EINVAL;
  if (sg_triage_incident_open(a, e->r, &e->res, id, now_ms, next) != 0)
    return SG_ENOMEM;
  sg_triage__step step = {.entry_id = e->entry_id,
                          .token = e->token,
                          .r = e->r,
                          .inc = next,
                          .expected = 0,
                          .kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED,
                          .now_ms = now_ms,
                          .cm = {NULL, "", ""},
                          .check = sg_triage_match_check(NULL, 0)}; /* none may be within reach */
  if (sg_triage_report_links_caller(e->r) &&
      sg_key2(k_phone, SG_KEY_MAX, t->region, "phone", e->r->reporter->phone) >= 0)
    step.cm = (sg_triage__caller_map){e->r->reporter->phone, k_phone, ""};
  return sg_triage__append_transition(t, a, &step, 0);
}

int sg_triage__open_on_sight(sg_triage *t, sg_triage__entry *entries, size_t n) {
  /* The k-th call opens incident number id_pool[k]: the pool's first
   * numbers are lent to the calls, and those used leave it afterwards. */
  size_t sent[SG_TRIAGE_BATCH];
  size_t n_sent = 0;
  for (size_t i = 0; i < n; i++) {
    entries[i].applied = 0;
    if (n_sent == t->n_id_pool || !may_open(t, entries, i))
      continue;
    int rc = append_opening(t, &entries[i], t->id_pool[n_sent]);
    if (rc == SG_EUNAVAIL)
      return rc;
    if (rc == SG_OK)
      sent[n_sent++] = i; /* else the batch path meets the same problem */
  }
  if (n_sent == 0)
    return 0;
  /* Sent after the calls and read after them, once their numbers are
   * settled; room is kept for every lent number to come back. */
  long long top_up =
      t->n_id_pool - n_sent < SG_TRIAGE_BATCH / 2 ? (long long)(SG_TRIAGE_BATCH - t->n_id_pool) : 0;
  if (top_up > 0 && redisAppendCommand(t->c, "INCRBY %s %lld", t->k_seq, top_up) != REDIS_OK)
    return SG_EUNAVAIL;

  /* Until its answer is read, whether an opening was applied is unknown,
   * and its number is not used again. */
  unsigned char used[SG_TRIAGE_BATCH];
  memset(used, 1, n_sent);
  int applied = 0, rc = SG_OK;
  for (size_t k = 0; k < n_sent && rc != SG_EUNAVAIL; k++) {
    redisReply *reply = NULL;
    if (redisGetReply(t->c, (void **)&reply) != REDIS_OK) {
      rc = SG_EUNAVAIL;
      break;
    }
    sg_triage__outcome what;
    int out = sg_triage__outcome_of(t, reply, &what);
    freeReplyObject(reply);
    if (out == SG_EUNAVAIL) {
      rc = out;
      break;
    }
    entries[sent[k]].applied = out == SG_OK && what == SG_TRIAGE__OUTCOME_DONE;
    applied += entries[sent[k]].applied;
    /* A conflict on an opening means its number exists already. */
    used[k] = out == SG_OK &&
              (what == SG_TRIAGE__OUTCOME_DONE || what == SG_TRIAGE__OUTCOME_CONFLICT);
  }
  sg_triage__drop_numbers(t, n_sent, used);
  if (rc == SG_OK && top_up > 0)
    rc = sg_triage__take_numbers(t, top_up);
  /* A pool left short is topped up by the batch path's next INCRBY. */
  return rc == SG_EUNAVAIL ? rc : applied;
}
