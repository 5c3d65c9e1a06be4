/* A whole batch of reports (what one XREADGROUP or XAUTOCLAIM returned)
 * matched to incidents with a fixed number of round trips, instead of three
 * to five per report: a worker waits on Redis, not on its CPU.
 *
 * First, the reports at places where nothing is open go straight to
 * transition.lua as openings (sight.c): one round trip. The rest,
 * and those the script refused there, take these:
 *
 *   search_nearby, pipelined: GEOSEARCH of every report with a point, GET of the phone
 *      map of every number the batch links by caller, and an INCRBY of the
 *      id sequence when the worker's pool of numbers holds fewer than the
 *      batch could open (numbers it does not use wait for the next batch);
 *   read_incidents, pipelined: WATCH, then HMGET pb version of every
 *      incident search_nearby named, each once;
 *   decide, in memory: decisions, in stream order, on a view of every
 *      incident the batch touched so far: a later report joins the state an
 *      earlier one built (or opened), expecting the version that earlier
 *      call writes; the phone map chains the same way;
 *   write_calls, pipelined: every transition.lua call, those opening incidents first,
 *      then the others; each in stream order, so the calls on one incident
 *      keep their order. An opening carries the incidents its GEOSEARCH
 *      named (and those the batch opened before it): the script refuses it
 *      if another worker opened or moved one there since search_nearby, and the report
 *      takes the one-report path, which joins that one. So two workers
 *      seeing the first reports of one fire at the same moment open one
 *      incident, not two.
 *
 * Chains (two or more calls on one incident) go inside MULTI/EXEC, under the
 * WATCH of read_incidents when the incident came from Redis. A refused call leaves the
 * incident's version where it was, so every later call of its chain is
 * refused too; the transaction makes sure no other client bumps the version
 * in between so that a later call matches by accident and writes a state
 * built on a call that never happened. An EXEC refused because a watched
 * incident changed wrote nothing: the batch is read and decided again, a few
 * times. A report whose call was refused (conflict, phone_moved, NOSCRIPT)
 * or that the batch could not plan takes the one-report path
 * (sg_triage__apply), which re-reads and retries with backoff.
 *
 * Everything here lives in t->batch_work, reset per attempt; the reports
 * themselves live in t->batch_reports, which the caller owns. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "wire/report.h"
#include "triage/batch.h"
#include "triage/match.h"

/* An opening's check names its search's hits and the batch's openings. */
_Static_assert(SG_TRIAGE_GEO_CANDIDATES + SG_TRIAGE_BATCH <= SG_TRANSITION_KNOWN_MAX,
               "an opening check may name more ids than a transition call takes");

#define BATCH_ATTEMPTS 3 /* EXEC refused this often: the one-report path */

int sg_triage__in_geo_set(const Siaga__V1__Location *loc) {
  return sg_report_has_point(loc) && fabs(loc->lon) <= 180 &&
         fabs(loc->lat) <= SG_TRIAGE_GEO_LAT_LIMIT;
}

/* ---- the view ---- */

static size_t slot_of(const char *id) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h & (VIEW_SLOTS - 1);
}

/* The view of incident id, added (to be read in read_incidents) when new to the batch.
 * NULL when id makes no key; with *rc set when the batch cannot hold it. */
static view_incident *view_get(batch *b, const char *id, size_t len, int *rc) {
  char key[SG_KEY_MAX];
  if (sg_key2(key, sizeof(key), b->t->region, "incident", id) < 0)
    return NULL; /* skipped, as the one-report path skips it */
  if (b->n_to_read == b->max_to_read) {
    *rc = SG_EREPLY; /* more than COUNT asked for: keeps slots half empty */
    return NULL;
  }
  size_t s = slot_of(id);
  for (; b->slots[s] != NULL; s = (s + 1) & (VIEW_SLOTS - 1)) {
    if (strcmp(b->slots[s]->id, id) == 0)
      return b->slots[s];
  }
  view_incident *v = sg_arena_alloc(b->a, sizeof(*v));
  if (v == NULL || (v->id = sg_arena_strndup(b->a, id, len)) == NULL ||
      (v->key = sg_arena_strndup(b->a, key, strlen(key))) == NULL) {
    *rc = SG_ENOMEM;
    return NULL;
  }
  *v = (view_incident){.id = v->id, .key = v->key};
  b->slots[s] = v;
  b->to_read[b->n_to_read++] = v;
  return v;
}

static view_phone *phone_get(batch *b, const char *phone, int *is_first) {
  for (size_t i = 0; i < b->n_phones; i++) {
    if (strcmp(b->phones[i].phone, phone) == 0) {
      *is_first = 0;
      return &b->phones[i];
    }
  }
  view_phone *ph = &b->phones[b->n_phones];
  if (sg_key2(ph->key, sizeof(ph->key), b->t->region, "phone", phone) < 0)
    return NULL; /* not linked, as on the one-report path */
  ph->phone = phone;
  ph->read[0] = '\0';
  ph->read_inc = NULL;
  ph->mapped = NULL;
  ph->broken = 0;
  b->n_phones++;
  *is_first = 1;
  return ph;
}

/* ---- search_nearby: GEOSEARCH and phone maps ---- */

static int append_a(batch *b, size_t i) {
  sg_triage *t = b->t;
  plan *p = &b->plans[i];
  const Siaga__V1__Report *r = b->entries[i].r;
  if (p->state == PLAN_DONE)
    return SG_OK;
  if (sg_triage_report_links_caller(r)) {
    p->phone = phone_get(b, r->reporter->phone, &p->reads_phone);
    if (p->reads_phone && redisAppendCommand(t->c, "GET %s", p->phone->key) != REDIS_OK)
      return SG_EUNAVAIL;
  }
  if (sg_triage_match_searchable(r->location)) {
    if (sg_triage_match_append_search(t, r->location) != SG_OK)
      return SG_EUNAVAIL;
    p->searched = 1;
  }
  return SG_OK;
}

/* The phone map's value, as the one-report path's find_caller takes it. */
static int take_phone(batch *b, view_phone *ph, const redisReply *reply) {
  if (reply->type == REDIS_REPLY_NIL)
    return SG_OK;
  if (reply->type != REDIS_REPLY_STRING || reply->len >= sizeof(ph->read)) {
    ph->broken = 1; /* longer than any id we write */
    return SG_OK;
  }
  memcpy(ph->read, reply->str, reply->len + 1);
  /* Only our own script writes the map; a value that makes no key is
   * treated as no incident, and the script's check then replaces it. */
  int rc = SG_OK;
  if (sg_key_id_valid(ph->read))
    ph->read_inc = view_get(b, ph->read, reply->len, &rc);
  return rc;
}

/* The report's GEOSEARCH answer: every member it named, and those that
 * make a key as the batch's hits. */
static int take_hits(batch *b, plan *p, const redisReply *reply) {
  sg_triage_match_hit *found = NULL;
  size_t n = 0;
  int rc = sg_triage_match_hits(reply, b->a, &found, &n);
  if (rc == SG_EREPLY) {
    p->search_failed = 1;
    return SG_OK;
  }
  if (rc != SG_OK)
    return rc;
  p->hits = sg_arena_alloc(b->a, (n + 1) * sizeof(*p->hits));
  p->named = sg_arena_alloc(b->a, (n + 1) * sizeof(*p->named));
  if (p->hits == NULL || p->named == NULL)
    return SG_ENOMEM;
  for (size_t k = 0; k < n; k++) {
    p->named[p->n_named++] = found[k].id;
    view_incident *v = view_get(b, found[k].id, found[k].len, &rc);
    if (rc != SG_OK)
      return rc;
    if (v != NULL)
      p->hits[p->n_hits++] = (geo_hit){v, found[k].dist_m};
  }
  return SG_OK;
}

/* Every reply is read, whatever happened before, to keep the connection in
 * step; the first problem is returned. An error reply sends the report on
 * the one-report path, which meets it again and says so. */
static int search_nearby(batch *b) {
  sg_triage *t = b->t;
  if (sg_triage__top_up_numbers(b) != SG_OK)
    return SG_EUNAVAIL;
  for (size_t i = 0; i < b->n; i++) {
    int rc = append_a(b, i);
    if (rc != SG_OK)
      return rc;
  }
  /* Read first, as it was sent first. */
  int rc = b->topped_up > 0 ? sg_triage__take_numbers(t, b->topped_up) : SG_OK;
  if (rc == SG_EUNAVAIL)
    return rc;
  for (size_t i = 0; i < b->n; i++) {
    plan *p = &b->plans[i];
    for (int cmd = 0; cmd < 2; cmd++) {
      if ((cmd == 0 && !p->reads_phone) || (cmd == 1 && !p->searched))
        continue;
      redisReply *reply = NULL;
      if (redisGetReply(b->t->c, (void **)&reply) != REDIS_OK)
        return SG_EUNAVAIL;
      if (sg_triage__check(b->t, reply) == SG_EUNAVAIL) {
        freeReplyObject(reply);
        return SG_EUNAVAIL;
      }
      /* An error reply is taken as an unusable value by take_*. */
      if (rc == SG_OK)
        rc = cmd == 0 ? take_phone(b, p->phone, reply) : take_hits(b, p, reply);
      freeReplyObject(reply);
    }
  }
  return rc;
}

/* ---- read_incidents: the incidents search_nearby named ---- */

/* Decodes an HMGET pb version reply into v; an incident that is gone, too
 * large or does not decode stays without a state, as the one-report path
 * skips it. */
static int take_incident(batch *b, view_incident *v, const redisReply *reply) {
  if (sg_triage_match_read(reply, b->a, &v->cur, &v->version) != SG_OK) {
    v->unreadable = 1;
    return SG_OK;
  }
  if (v->cur == NULL && b->a->exhausted)
    return SG_ENOMEM; /* the batch's fault, not the incident's */
  return SG_OK;
}

static int read_incidents(batch *b) {
  if (b->n_to_read == 0)
    return SG_OK;
  /* WATCH before the reads: a chain of calls on one of these incidents
   * goes in MULTI/EXEC, which Redis then refuses if the incident changed
   * since this read. */
  const char **argv = sg_arena_alloc(b->a, (b->n_to_read + 1) * sizeof(*argv));
  if (argv == NULL)
    return SG_ENOMEM;
  argv[0] = "WATCH";
  for (size_t k = 0; k < b->n_to_read; k++)
    argv[k + 1] = b->to_read[k]->key;
  if (redisAppendCommandArgv(b->t->c, (int)b->n_to_read + 1, argv, NULL) != REDIS_OK)
    return SG_EUNAVAIL;
  b->watching = 1;
  for (size_t k = 0; k < b->n_to_read; k++) {
    if (sg_triage_match_append_read(b->t, b->to_read[k]->key) != SG_OK)
      return SG_EUNAVAIL;
  }
  int rc = SG_OK;
  for (size_t k = 0; k <= b->n_to_read; k++) {
    redisReply *reply = NULL;
    if (redisGetReply(b->t->c, (void **)&reply) != REDIS_OK)
      return SG_EUNAVAIL;
    int r = sg_triage__check(b->t, reply);
    if (r == SG_EUNAVAIL) {
      freeReplyObject(reply);
      return r;
    }
    if (k == 0 && r != SG_OK && rc == SG_OK)
      rc = r; /* WATCH refused: no chain can be made safe */
    if (k > 0 && rc == SG_OK)
      rc = take_incident(b, b->to_read[k - 1], reply);
    freeReplyObject(reply);
  }
  return rc;
}

/* ---- decisions, in memory ---- */

/* The nearest incident that may take the report: GEOSEARCH's candidates
 * the batch has not touched (their distance is Redis's), and every incident
 * the batch touched (their distance from the state built in memory, which
 * may have moved or just been opened). NULL when there is none; *alone when
 * a candidate could not be read. */
static view_incident *nearest(batch *b, const plan *p, const Siaga__V1__Report *r,
                              const char *category, int64_t ref_ms, int *alone) {
  if (!p->searched)
    return NULL;
  if (p->search_failed) {
    *alone = 1;
    return NULL;
  }
  size_t max = p->n_hits + b->n_opened + b->n_to_read + 1;
  sg_triage_match_candidate *c = sg_arena_alloc(b->a, max * sizeof(*c));
  view_incident **of = sg_arena_alloc(b->a, max * sizeof(*of));
  if (c == NULL || of == NULL) {
    *alone = 1; /* as a batch out of memory: the one-report path */
    return NULL;
  }
  size_t n = 0;
  for (size_t k = 0; k < p->n_hits; k++) {
    view_incident *v = p->hits[k].inc;
    if (v->unreadable) {
      *alone = 1;
      return NULL;
    }
    if (v->n_calls == 0) {
      of[n] = v;
      c[n++] = (sg_triage_match_candidate){v->cur, p->hits[k].dist_m};
    }
  }
  for (view_incident *v = b->touched; v != NULL; v = v->next_touched) {
    const Siaga__V1__Location *loc = v->cur->location;
    if (!sg_triage__in_geo_set(loc))
      continue;
    double m = sg_triage_distance_m(r->location->lat, r->location->lon, loc->lat, loc->lon);
    if (m <= SG_TRIAGE_DEDUP_RADIUS_M && n < max) {
      of[n] = v;
      c[n++] = (sg_triage_match_candidate){v->cur, m};
    }
  }
  long best = sg_triage_match_nearest(c, n, category, ref_ms);
  return best >= 0 ? of[best] : NULL;
}

static view_incident *view_open(batch *b, plan *opener) {
  view_incident *v = sg_arena_alloc(b->a, sizeof(*v));
  if (v == NULL || (v->id = sg_arena_alloc(b->a, SG_TRIAGE_ID_MAX)) == NULL)
    return NULL;
  *v = (view_incident){.id = v->id, .is_new = 1, .opener = opener};
  v->id[0] = '\0';
  b->opened[b->n_opened++] = v;
  return v;
}

/* Plans report i's call as the one-report path would decide it, on the
 * batch's view instead of Redis. */
static int decide(batch *b, size_t i) {
  plan *p = &b->plans[i];
  const sg_triage__entry *e = &b->entries[i];
  const Siaga__V1__Report *r = e->r;
  int64_t now_ms = (int64_t)sg_clock_now_ms();
  int64_t ref_ms = r->received_at_ms > 0 ? r->received_at_ms : now_ms;

  /* The same caller first, whatever the category or distance. */
  view_incident *found = NULL;
  sg_triage_link link = SG_TRIAGE_LINK_CALLER;
  int alone = 0;
  if (p->phone != NULL) {
    view_incident *m = p->phone->mapped != NULL ? p->phone->mapped : p->phone->read_inc;
    alone = p->phone->broken || (m != NULL && m->unreadable);
    if (m != NULL && sg_triage_match_caller(m->cur, ref_ms))
      found = m;
    p->seen_inc = p->phone->mapped;
    p->seen_read = p->phone->read;
  }
  if (!alone && found == NULL) {
    link = SG_TRIAGE_LINK_NEARBY;
    found = nearest(b, p, r, e->res.category, ref_ms, &alone);
  }
  if (alone) {
    p->state = PLAN_ALONE;
    return SG_OK;
  }

  Siaga__V1__Incident *next = sg_arena_alloc(b->a, sizeof(*next));
  if (next == NULL)
    return SG_ENOMEM;
  if (found != NULL) {
    if (sg_triage_incident_attach(b->a, found->cur, r, &e->res, link, now_ms, next) != 0)
      return SG_ENOMEM;
    /* The hash's version is the one the script compares. */
    p->expected = found->version;
    p->kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_REPORT_ATTACHED;
  } else {
    if ((found = view_open(b, p)) == NULL ||
        sg_triage_incident_open(b->a, r, &e->res, "", now_ms, next) != 0)
      return SG_ENOMEM;
    next->id = found->id; /* shared by every later state: numbered in C */
    p->expected = 0;
    p->kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED;
  }
  next->version = p->expected + 1;
  found->cur = next;
  found->version = next->version;
  if (found->n_calls++ == 0) {
    *b->touched_tail = found;
    b->touched_tail = &found->next_touched;
  }
  if (p->phone != NULL)
    p->phone->mapped = found;
  p->inc = found;
  p->next = next;
  p->now_ms = now_ms;
  p->state = PLAN_CALL;
  return SG_OK;
}

/* ---- write_calls: the transition calls ---- */

/* An opening's check: what its GEOSEARCH named, and the incidents the batch
 * opens before it (write_calls sends them first), which may lie within reach. */
static int check_of(batch *b, const plan *p, sg_transition_check *check) {
  *check = (sg_transition_check){0};
  if (p->kind != SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED || !p->searched)
    return SG_OK;
  const char **known = sg_arena_alloc(b->a, (p->n_named + b->n_opened + 1) * sizeof(*known));
  if (known == NULL)
    return SG_ENOMEM;
  size_t n = 0;
  for (size_t k = 0; k < p->n_named; k++)
    known[n++] = p->named[k];
  for (size_t k = 0; k < b->n_opened && b->opened[k] != p->inc; k++)
    known[n++] = b->opened[k]->id;
  *check = sg_triage_match_check(known, n);
  return SG_OK;
}

static int append_call(batch *b, plan *p, size_t i) {
  const sg_triage__entry *e = &b->entries[i];
  sg_triage__step step = {.entry_id = e->entry_id,
                          .token = e->token,
                          .r = e->r,
                          .inc = p->next,
                          .expected = p->expected,
                          .kind = p->kind,
                          .now_ms = p->now_ms,
                          .cm = {NULL, "", ""}};
  if (check_of(b, p, &step.check) != SG_OK)
    return SG_ENOMEM;
  if (p->phone != NULL) {
    step.cm.phone = p->phone->phone;
    step.cm.k_phone = p->phone->key;
    step.cm.seen = p->seen_inc != NULL ? p->seen_inc->id : p->seen_read;
  }
  return sg_triage__append_transition(b->t, b->a, &step, 0);
}

/* What one call answered: applied, or the report goes its own way. */
static void take_outcome(batch *b, plan *p, const redisReply *reply) {
  sg_triage__outcome what;
  int rc = sg_triage__outcome_of(b->t, reply, &what);
  if (rc == SG_OK && what == SG_TRIAGE__OUTCOME_DONE) {
    p->state = PLAN_DONE;
    return;
  }
  p->state = PLAN_ALONE; /* refused, NOSCRIPT or an error: sg_triage__apply deals with it */
  p->number_taken = rc == SG_OK && what == SG_TRIAGE__OUTCOME_CONFLICT &&
                    p->kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED;
}

/* Reads one reply that only says the command was taken (OK, QUEUED). A
 * call refused when queued makes EXEC refuse the whole transaction, which
 * is where that is handled. */
static int read_ack(batch *b) {
  redisReply *reply = NULL;
  if (redisGetReply(b->t->c, (void **)&reply) != REDIS_OK)
    return SG_EUNAVAIL;
  int rc = sg_triage__check(b->t, reply);
  freeReplyObject(reply);
  return rc == SG_EUNAVAIL ? rc : SG_OK;
}

/* The planned calls in the order they are sent: the openings, then the
 * rest, each in stream order. An opening comes before any call on its own
 * incident anyway; a call whose phone map chain this reorders meets a
 * phone_moved and goes the one-report way. */
static size_t *send_order(batch *b, size_t *n_calls) {
  size_t *order = sg_arena_alloc(b->a, (b->n + 1) * sizeof(*order));
  *n_calls = 0;
  for (int opening = 1; order != NULL && opening >= 0; opening--) {
    for (size_t i = 0; i < b->n; i++) {
      const plan *p = &b->plans[i];
      if (p->state == PLAN_CALL &&
          (p->kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED) == opening)
        order[(*n_calls)++] = i;
    }
  }
  return order;
}

/* Sends the planned calls; *aborted when Redis refused the EXEC because a
 * watched incident changed (nothing was written). */
static int write_calls(batch *b, int *aborted) {
  size_t n_calls;
  size_t *order = send_order(b, &n_calls);
  if (order == NULL)
    return SG_ENOMEM;
  int chained = 0, watch_needed = 0;
  for (size_t i = 0; i < b->n; i++) {
    if (b->plans[i].state == PLAN_CALL)
      b->plans[i].inc->n_live++;
  }
  for (view_incident *v = b->touched; v != NULL; v = v->next_touched) {
    chained |= v->n_live > 1;
    watch_needed |= v->n_live > 1 && !v->is_new;
  }
  /* One call per incident needs no transaction: the script's own version
   * check is enough. Opened incidents need no WATCH: nobody else knows
   * their ids before EXEC. */
  int unwatch = b->watching && !watch_needed;
  if (unwatch && redisAppendCommand(b->t->c, "UNWATCH") != REDIS_OK)
    return SG_EUNAVAIL;
  if (chained && redisAppendCommand(b->t->c, "MULTI") != REDIS_OK)
    return SG_EUNAVAIL;
  int discard = 0;
  size_t n_sent = 0;
  for (size_t k = 0; k < n_calls; k++) {
    plan *p = &b->plans[order[k]];
    int rc = discard ? SG_ENOMEM : append_call(b, p, order[k]);
    if (rc == SG_EUNAVAIL)
      return rc;
    if (rc != SG_OK) {
      p->state = PLAN_ALONE;
      discard = chained; /* a chain with a hole in it must not run at all */
      continue;
    }
    p->sent = 1;
    n_sent++;
  }
  if (chained && redisAppendCommand(b->t->c, discard ? "DISCARD" : "EXEC") != REDIS_OK)
    return SG_EUNAVAIL;
  b->watching = 0;

  if (unwatch && read_ack(b) != SG_OK)
    return SG_EUNAVAIL;
  for (size_t k = 0; chained && k <= n_sent; k++) { /* MULTI, then each call's QUEUED */
    if (read_ack(b) != SG_OK)
      return SG_EUNAVAIL;
  }
  redisReply *exec = NULL;
  if (chained) {
    if (redisGetReply(b->t->c, (void **)&exec) != REDIS_OK ||
        sg_triage__check(b->t, exec) == SG_EUNAVAIL) {
      freeReplyObject(exec);
      return SG_EUNAVAIL;
    }
    *aborted = exec->type == REDIS_REPLY_NIL;
    /* DISCARD, EXECABORT (a call refused when queued): nothing ran. */
    if (exec->type != REDIS_REPLY_ARRAY || exec->elements != n_sent) {
      for (size_t i = 0; i < b->n; i++) {
        if (b->plans[i].sent)
          b->plans[i].state = PLAN_ALONE;
      }
      freeReplyObject(exec);
      return SG_OK;
    }
  }
  size_t next = 0;
  for (size_t k = 0; k < n_calls; k++) {
    plan *p = &b->plans[order[k]];
    if (!p->sent)
      continue;
    if (chained) {
      take_outcome(b, p, exec->element[next++]);
      continue;
    }
    redisReply *reply = NULL;
    if (redisGetReply(b->t->c, (void **)&reply) != REDIS_OK) {
      freeReplyObject(exec);
      return SG_EUNAVAIL;
    }
    take_outcome(b, p, reply);
    freeReplyObject(reply);
  }
  freeReplyObject(exec);
  return SG_OK;
}

/* ---- one attempt ---- */

static batch *batch_new(sg_triage *t, sg_triage__entry *entries, size_t n, size_t n_left) {
  sg_arena *a = &t->batch_work;
  batch *b = sg_arena_alloc(a, sizeof(*b));
  if (b == NULL)
    return NULL;
  memset(b, 0, sizeof(*b));
  b->t = t;
  b->a = a;
  b->entries = entries;
  b->n = n;
  b->n_left = n_left;
  b->plans = sg_arena_alloc(a, n * sizeof(*b->plans));
  b->slots = sg_arena_alloc(a, VIEW_SLOTS * sizeof(*b->slots));
  b->max_to_read = n * (SG_TRIAGE_GEO_CANDIDATES + 1);
  b->to_read = sg_arena_alloc(a, b->max_to_read * sizeof(*b->to_read));
  b->opened = sg_arena_alloc(a, n * sizeof(*b->opened));
  b->phones = sg_arena_alloc(a, n * sizeof(*b->phones));
  if (b->plans == NULL || b->slots == NULL || b->to_read == NULL || b->opened == NULL ||
      b->phones == NULL)
    return NULL;
  memset(b->plans, 0, n * sizeof(*b->plans));
  for (size_t i = 0; i < n; i++) {
    if (entries[i].applied)
      b->plans[i].state = PLAN_DONE;
  }
  memset(b->slots, 0, VIEW_SLOTS * sizeof(*b->slots));
  b->touched_tail = &b->touched;
  return b;
}

/* Reads, decides and writes once. A problem other than the connection
 * (no memory, an odd reply) sends every report not yet applied on the
 * one-report path. */
static int attempt(batch *b, int *aborted) {
  *aborted = 0;
  int rc = search_nearby(b);
  if (rc == SG_OK)
    rc = read_incidents(b);
  for (size_t i = 0; rc == SG_OK && i < b->n; i++) {
    if (b->plans[i].state != PLAN_DONE)
      rc = decide(b, i);
  }
  if (rc == SG_OK)
    rc = sg_triage__number_openings(b);
  if (rc == SG_OK)
    rc = write_calls(b, aborted);
  sg_triage__settle_numbers(b, rc == SG_EUNAVAIL);
  if (rc == SG_EUNAVAIL)
    return rc;
  if (b->watching) { /* gave up before write_calls: the next transaction must not inherit it */
    redisReply *reply = redisCommand(b->t->c, "UNWATCH");
    int r = sg_triage__check(b->t, reply);
    freeReplyObject(reply);
    if (r == SG_EUNAVAIL)
      return r;
    b->watching = 0;
  }
  for (size_t i = 0; rc != SG_OK && i < b->n; i++) {
    if (b->plans[i].state != PLAN_DONE)
      b->plans[i].state = PLAN_ALONE;
  }
  return SG_OK;
}

int sg_triage__apply_batch(sg_triage *t, sg_triage__entry *entries, size_t n) {
  assert(n <= SG_TRIAGE_BATCH); /* the id pool and the view are sized for it */
  int applied = sg_triage__open_on_sight(t, entries, n);
  if (applied == SG_EUNAVAIL) {
    sg_arena_reset(&t->batch_work);
    return SG_EUNAVAIL;
  }
  size_t n_left = n - (size_t)applied;
  batch *b = NULL;
  int aborted = n_left > 0;
  for (int k = 0; aborted && k < BATCH_ATTEMPTS; k++) {
    if (k > 0) {
      /* Another worker changed an incident of ours meanwhile; a short
       * random pause keeps the two from colliding again in lockstep. */
      struct timespec pause = {0, (long)(rand() % (1 << k) + 1) * 1000000L};
      nanosleep(&pause, NULL);
    }
    sg_arena_reset(&t->batch_work);
    aborted = 0;
    b = batch_new(t, entries, n, n_left);
    if (b == NULL)
      break; /* every report on its own */
    int rc = attempt(b, &aborted);
    if (rc == SG_EUNAVAIL) {
      sg_arena_reset(&t->batch_work);
      return rc;
    }
  }

  /* In stream order, what the batch did not apply goes the one-report way;
   * it reads what the batch wrote. */
  int rc = SG_OK;
  for (size_t i = 0; i < n && rc != SG_EUNAVAIL; i++) {
    sg_triage__entry *e = &entries[i];
    sg_triage__remember_place(t, e->r->location);
    if (e->applied || (b != NULL && !aborted && b->plans[i].state == PLAN_DONE)) {
      e->rc = SG_OK;
      continue;
    }
    e->rc = sg_triage__apply(t, e->entry_id, e->token, e->r, &e->res);
    sg_arena_reset(&t->arena);
    if (e->rc == SG_EUNAVAIL)
      rc = e->rc;
  }
  sg_arena_reset(&t->batch_work);
  return rc;
}
