/* Opening on sight: the reports of a batch at places where nothing is open
 * open their incidents with the batch's first round trip.
 *
 * Most emergencies are reported first from a place where no incident is
 * open; for those the batch path's searches (round trip A) only confirm that
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

#include "clock.h"
#include "report.h"
#include "triage_internal.h"

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
  sg_triage_arena *a = &t->batch_work;
  int64_t now_ms = (int64_t)sg_clock_now_ms();
  Siaga__V1__Incident *next = sg_triage_arena_alloc(a, sizeof(*next));
  char *id = sg_triage_arena_alloc(a, SG_TRIAGE_ID_MAX);
  char *k_phone = sg_triage_arena_alloc(a, SG_KEY_MAX);
  if (next == NULL || id == NULL || k_phone == NULL)
    return SG_TRIAGE_E_NOMEM;
  if (sg_triage_incident_id(id, SG_TRIAGE_ID_MAX, t->region, seq) < 0)
    return SG_TRIAGE_E_ARG;
  if (sg_triage_incident_open(a, e->r, &e->res, id, now_ms, next) != 0)
    return SG_TRIAGE_E_NOMEM;
  sg_triage__step step = {.entry_id = e->entry_id,
                          .token = e->token,
                          .r = e->r,
                          .inc = next,
                          .expected = 0,
                          .kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED,
                          .now_ms = now_ms,
                          .cm = {NULL, "", ""},
                          .near = {1, NULL, 0}}; /* no incident may be within reach */
  if (sg_triage_report_links_caller(e->r) &&
      sg_key2(k_phone, SG_KEY_MAX, t->region, "phone", e->r->reporter->phone) >= 0)
    step.cm = (sg_triage__caller_map){e->r->reporter->phone, k_phone, ""};
  return sg_triage__append_transition(t, a, &step, 0);
}

int sg_triage__open_on_sight(sg_triage *t, sg_triage__entry *entries, size_t n) {
  size_t sent[SG_TRIAGE_BATCH];
  long long numbers[SG_TRIAGE_BATCH];
  size_t n_sent = 0;
  for (size_t i = 0; i < n && n_sent < t->n_id_pool; i++) {
    if (!may_open(t, entries, i))
      continue;
    int rc = append_opening(t, &entries[i], t->id_pool[n_sent]);
    if (rc == SG_TRIAGE_E_REDIS)
      return rc;
    if (rc != SG_TRIAGE_OK)
      continue; /* the batch path meets the same problem and deals with it */
    numbers[n_sent] = t->id_pool[n_sent];
    sent[n_sent++] = i;
  }
  if (n_sent == 0)
    return SG_TRIAGE_OK;
  /* The numbers sent leave the pool now: if the connection fails, whether
   * their openings were applied is unknown, and none is used twice. */
  t->n_id_pool -= n_sent;
  memmove(t->id_pool, t->id_pool + n_sent, t->n_id_pool * sizeof(t->id_pool[0]));
  long long top_up =
      t->n_id_pool < SG_TRIAGE_BATCH / 2 ? (long long)(SG_TRIAGE_BATCH - t->n_id_pool - n_sent) : 0;
  /* Sent after the calls, read after them: the calls' numbers are taken. */
  if (top_up > 0 && redisAppendCommand(t->c, "INCRBY %s %lld", t->k_seq, top_up) != REDIS_OK)
    return SG_TRIAGE_E_REDIS;

  long long back[SG_TRIAGE_BATCH]; /* numbers of refused openings, for the pool again */
  size_t n_back = 0;
  for (size_t k = 0; k < n_sent; k++) {
    redisReply *reply = NULL;
    if (redisGetReply(t->c, (void **)&reply) != REDIS_OK)
      return SG_TRIAGE_E_REDIS;
    sg_triage__outcome what;
    int rc = sg_triage__outcome_of(t, reply, &what);
    freeReplyObject(reply);
    if (rc == SG_TRIAGE_E_REDIS)
      return rc;
    sg_triage__entry *e = &entries[sent[k]];
    if (rc == SG_TRIAGE_OK && what == SG_TRIAGE__OUTCOME_DONE) {
      e->applied = 1;
      e->rc = SG_TRIAGE_OK;
    } else if (!(rc == SG_TRIAGE_OK && what == SG_TRIAGE__OUTCOME_CONFLICT)) {
      back[n_back++] = numbers[k]; /* a conflict means the number exists: not again */
    }
  }
  /* Refused numbers first, then the rest, then the new ones: ascending. */
  memmove(t->id_pool + n_back, t->id_pool, t->n_id_pool * sizeof(t->id_pool[0]));
  memcpy(t->id_pool, back, n_back * sizeof(back[0]));
  t->n_id_pool += n_back;
  if (top_up > 0) {
    redisReply *reply = NULL;
    if (redisGetReply(t->c, (void **)&reply) != REDIS_OK)
      return SG_TRIAGE_E_REDIS;
    int rc = sg_triage__check(t, reply);
    if (rc == SG_TRIAGE_OK && reply->type == REDIS_REPLY_INTEGER && reply->integer >= top_up) {
      for (long long k = top_up - 1; k >= 0; k--)
        t->id_pool[t->n_id_pool++] = reply->integer - k;
    }
    freeReplyObject(reply);
    if (rc == SG_TRIAGE_E_REDIS)
      return rc;
  }
  return SG_TRIAGE_OK;
}
