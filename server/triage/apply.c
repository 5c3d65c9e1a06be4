/* One report's effect on incidents: de-duplication against open incidents
 * nearby, then one transition.lua call. Optimistic concurrency: the script
 * refuses to write when the incident's version moved since we read it, and
 * we read again and decide again. This is the path of a report whose
 * batch's plan failed (batch.c); the transition.lua call of both is
 * filled in here, and its keys and arguments laid out by store/transition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/report.h"
#include "core/clock.h"
#include "sms/gsm7.h"
#include "sms/replies.h"
#include "store/transition.h"
#include "triage/match.h"
#include "triage/triage_internal.h"

#define MAX_ATTEMPTS 8       /* a busy incident can lose a few races, not for ever */
#define ACTOR "worker"

/* Waits for the reply of the one command just appended (rc: how the append
 * went). Returns 0 with a usable *reply, or the code; *reply, set either
 * way or NULL, is the caller's to free. */
static int await_reply(sg_triage *t, int rc, redisReply **reply) {
  *reply = NULL;
  if (rc == SG_OK && redisGetReply(t->c, (void **)reply) != REDIS_OK)
    rc = SG_EUNAVAIL;
  if (rc == SG_OK)
    rc = sg_triage__check(t, *reply);
  return rc;
}

/* Finds the nearest open incident that may take the report. On success
 * *found is that incident (decoded into the arena) and *version its
 * current version, or *found is NULL when there is none; *check is the
 * opening check for when there is none: every member the search named. */
static int find_match(sg_triage *t, const Siaga__V1__Report *r, const char *category,
                      int64_t ref_ms, Siaga__V1__Incident **found, int64_t *version,
                      sg_transition_check *check) {
  *found = NULL;
  *check = (sg_transition_check){0};
  if (!sg_triage_match_searchable(r->location))
    return SG_OK;

  redisReply *reply;
  int rc = await_reply(t, sg_triage_match_append_search(t, r->location), &reply);
  sg_triage_match_hit *hits = NULL;
  size_t n_hits = 0;
  if (rc == SG_OK)
    rc = sg_triage_match_hits(reply, &t->arena, &hits, &n_hits);
  freeReplyObject(reply);
  if (rc != SG_OK)
    return rc;

  /* The script's opening check compares against every member named here,
   * even one that makes no key and is not read. */
  const char **known = sg_arena_alloc(&t->arena, (n_hits + 1) * sizeof(*known));
  sg_triage_match_candidate *cands = sg_arena_alloc(&t->arena, (n_hits + 1) * sizeof(*cands));
  int64_t *versions = sg_arena_alloc(&t->arena, (n_hits + 1) * sizeof(*versions));
  if (known == NULL || cands == NULL || versions == NULL)
    return SG_ENOMEM;
  /* One round trip for all candidates: pipeline the reads. */
  size_t n = 0;
  for (size_t i = 0; i < n_hits; i++) {
    char key[SG_KEY_MAX];
    known[i] = hits[i].id;
    if (sg_key2(key, sizeof(key), t->region, "incident", hits[i].id) < 0)
      continue;
    if (sg_triage_match_append_read(t, key) != SG_OK)
      return SG_EUNAVAIL;
    cands[n] = (sg_triage_match_candidate){NULL, hits[i].dist_m};
    versions[n] = 0;
    n++;
  }
  *check = sg_triage_match_check(known, n_hits);

  /* Every reply must be read, even after a problem, to keep the connection
   * in step. */
  for (size_t i = 0; i < n; i++) {
    reply = NULL;
    if (redisGetReply(t->c, (void **)&reply) != REDIS_OK)
      return SG_EUNAVAIL;
    if (rc == SG_OK)
      rc = sg_triage__check(t, reply);
    /* A reply of another shape is no candidate, not a failure. */
    Siaga__V1__Incident *inc = NULL;
    if (rc == SG_OK)
      (void)sg_triage_match_read(reply, &t->arena, &inc, &versions[i]);
    cands[i].inc = inc;
    freeReplyObject(reply);
  }
  if (rc != SG_OK)
    return rc;
  long best = sg_triage_match_nearest(cands, n, category, ref_ms);
  if (best >= 0) {
    *found = (Siaga__V1__Incident *)cands[best].inc;
    *version = versions[best];
  }
  return SG_OK;
}

/* Looks up the incident the report's number last reported into (the phone
 * map, written by transition.lua). *seen gets the map's value as read, ""
 * when there is none: the script writes the map only if it still holds
 * that value, so two workers handling the same caller's messages at once
 * cannot open two incidents. *found is set when that incident is still open
 * and fresh enough to take the report. */
static int find_caller(sg_triage *t, const char *k_phone,
                       int64_t ref_ms, char *seen, size_t seen_size,
                       Siaga__V1__Incident **found, int64_t *version) {
  *found = NULL;
  seen[0] = '\0';
  redisReply *reply = redisCommand(t->c, "GET %s", k_phone);
  int rc = sg_triage__check(t, reply);
  if (rc == SG_OK && reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)
    rc = SG_EREPLY;
  char k_incident[SG_KEY_MAX];
  int usable = rc == SG_OK && reply->type == REDIS_REPLY_STRING && reply->len < seen_size;
  if (usable) {
    memcpy(seen, reply->str, reply->len + 1);
    /* Only our own script writes the map; a value that makes no key is
     * treated as no incident, and the script's check then replaces it. */
    usable = sg_key_id_valid(seen) &&
             sg_key2(k_incident, sizeof(k_incident), t->region, "incident", seen) >= 0;
  } else if (rc == SG_OK && reply->type == REDIS_REPLY_STRING) {
    rc = SG_EREPLY; /* longer than any id we write */
  }
  freeReplyObject(reply);
  if (!usable)
    return rc;

  rc = await_reply(t, sg_triage_match_append_read(t, k_incident), &reply);
  Siaga__V1__Incident *inc = NULL;
  int64_t v = 0;
  if (rc == SG_OK)
    (void)sg_triage_match_read(reply, &t->arena, &inc, &v); /* another shape: none */
  freeReplyObject(reply);
  if (rc == SG_OK && sg_triage_match_caller(inc, ref_ms)) {
    *found = inc;
    *version = v;
  }
  return rc;
}

/* The acknowledgement for a citizen who reported by SMS, written into text;
 * returns the number to send it to, or "" when the report did not come by
 * SMS (app users see their report in the app; AML messages are sent by the
 * handset, not typed by the caller). The script sends it only if it applies
 * the report, so a replay acknowledges nothing twice. */
static const char *sms_ack(const sg_triage *t, const Siaga__V1__Report *r, const char *token,
                           const Siaga__V1__Incident *inc, char *text, size_t size) {
  if (r->channel != SIAGA__V1__CHANNEL__CHANNEL_SMS || r->reporter == NULL ||
      r->reporter->phone == NULL || r->reporter->phone[0] == '\0')
    return "";
  /* A report joining an incident whose help is already on the way says
   * so: the caller should not wait for a second message that never comes.
   * Else, while the incident has no readable emergency or no place, the
   * acknowledgement asks for what is missing, with no link to crowd it out. */
  static const sg_sms_replies_kind ask[] = {SG_SMS_REPLIES_ACK, SG_SMS_REPLIES_ASK_WHAT,
                                            SG_SMS_REPLIES_ASK_WHERE, SG_SMS_REPLIES_ASK};
  sg_sms_replies_kind kind = inc->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_DISPATCHED
                                 ? SG_SMS_REPLIES_ACK_DISPATCHED
                                 : ask[sg_triage_incident_unclear(inc) & 3];
  if (kind != SG_SMS_REPLIES_ACK && kind != SG_SMS_REPLIES_ACK_DISPATCHED)
    return sg_sms_replies_text(text, size, kind, inc->id) < 0 ? "" : r->reporter->phone;
  /* With a public URL, a link to follow the report in the app, when it
   * fits in the one SMS (else the plain text). */
  char link[256];
  if (t->public_url[0] != '\0' && token != NULL && token[0] != '\0' && r->id != NULL &&
      snprintf(link, sizeof(link), "%s/l/%s.%s", t->public_url, r->id, token) <
          (int)sizeof(link) &&
      sg_sms_replies_ack_link(text, size, kind, inc->id, link) > 0)
    return r->reporter->phone;
  if (sg_sms_replies_text(text, size, kind, inc->id) < 0)
    return "";
  return r->reporter->phone;
}

int sg_triage__append_transition(sg_triage *t, sg_arena *a, const sg_triage__step *step,
                                 int with_body) {
  const Siaga__V1__Report *r = step->r;
  const Siaga__V1__Incident *inc = step->inc;
  const sg_triage__caller_map *cm = &step->cm;
  Siaga__V1__IncidentUpdate upd = SIAGA__V1__INCIDENT_UPDATE__INIT;
  upd.kind = step->kind;
  upd.incident = (Siaga__V1__Incident *)inc;
  upd.actor = ACTOR;
  upd.at_ms = step->now_ms;
  upd.report_id = r->id;
  size_t inc_len, upd_len;
  uint8_t *inc_pb = sg_triage_pack(a, &inc->base, &inc_len);
  uint8_t *upd_pb = sg_triage_pack(a, &upd.base, &upd_len);
  if (inc_pb == NULL || upd_pb == NULL)
    return SG_ENOMEM;
  char ack_text[SG_GSM7_SMS_SEPTETS + 1];
  const char *ack_to = sms_ack(t, r, step->token, inc, ack_text, sizeof(ack_text));

  /* A report never changes the status, so no status message. The phone
   * map goes only with a report linked by its number. */
  sg_transition tr = {.region = t->region,
                      .incident_id = inc->id,
                      .expected_version = step->expected,
                      .incident_pb = inc_pb,
                      .incident_pb_len = inc_len,
                      .update_pb = upd_pb,
                      .update_pb_len = upd_len,
                      .status = (int)inc->status,
                      .priority = (int)inc->priority,
                      .score = (int)inc->score,
                      .created_at_ms = inc->created_at_ms,
                      .updated_at_ms = inc->updated_at_ms,
                      .has_point = sg_report_has_point(inc->location),
                      .lon = inc->location != NULL ? inc->location->lon : 0.0,
                      .lat = inc->location != NULL ? inc->location->lat : 0.0,
                      .entry_id = step->entry_id,
                      .report_id = r->id,
                      .token = step->token,
                      .marker_ttl_s = SG_TRIAGE_MARKER_TTL_S,
                      .index_ttl_s = SG_TRIAGE_INDEX_TTL_S,
                      .ack_to = ack_to,
                      .ack_text = ack_text,
                      .phone = cm->phone,
                      .phone_ttl_s = SG_TRIAGE_PHONE_TTL_S,
                      .phone_seen = cm->seen,
                      .check = step->check};
  sg_transition_call call;
  int rc = sg_transition_build(&call, &tr, t->sha, with_body ? t->script : NULL);
  if (rc != SG_OK)
    return rc; /* ids and numbers were checked when the report was decoded */
  /* hiredis copies every argument into its output buffer, so the call's
   * buffers may go right after. */
  if (redisAppendCommandArgv(t->c, call.argc, call.argv, call.lens) != REDIS_OK)
    return SG_EUNAVAIL; /* out of memory in hiredis: c->err is set */
  return SG_OK;
}

int sg_triage__noscript(const redisReply *reply) {
  return reply != NULL && reply->type == REDIS_REPLY_ERROR &&
         strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

int sg_triage__outcome_of(const sg_triage *t, const redisReply *reply, sg_triage__outcome *out) {
  *out = SG_TRIAGE__OUTCOME_DONE;
  int rc = sg_triage__check(t, reply);
  if (rc == SG_OK && (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
                             reply->element[0]->type != REDIS_REPLY_STRING))
    rc = SG_EREPLY;
  if (rc != SG_OK)
    return rc;
  const char *what = reply->element[0]->str;
  if (strcmp(what, "conflict") == 0)
    *out = SG_TRIAGE__OUTCOME_CONFLICT;
  else if (strcmp(what, "phone_moved") == 0)
    *out = SG_TRIAGE__OUTCOME_PHONE_MOVED;
  else if (strcmp(what, "nearby") == 0)
    *out = SG_TRIAGE__OUTCOME_NEARBY;
  else if (strcmp(what, "ok") != 0 && strcmp(what, "processed") != 0)
    return SG_EREPLY;
  return SG_OK;
}

/* Runs step's transition.lua call and sets *out to what happened. */
static int transition(sg_triage *t, const sg_triage__step *step, sg_triage__outcome *out) {
  *out = SG_TRIAGE__OUTCOME_DONE;
  int rc = sg_triage__append_transition(t, &t->arena, step, 0);
  redisReply *reply = NULL;
  if (rc == SG_OK && redisGetReply(t->c, (void **)&reply) != REDIS_OK)
    rc = SG_EUNAVAIL;
  if (rc == SG_OK && sg_triage__noscript(reply)) {
    /* Redis restarted or flushed its scripts: EVAL sends the body, which
     * also caches it again for the following EVALSHA calls. */
    freeReplyObject(reply);
    reply = NULL;
    rc = sg_triage__append_transition(t, &t->arena, step, 1);
    if (rc == SG_OK && redisGetReply(t->c, (void **)&reply) != REDIS_OK)
      rc = SG_EUNAVAIL;
  }
  if (rc == SG_OK)
    rc = sg_triage__outcome_of(t, reply, out);
  freeReplyObject(reply);
  return rc;
}

int sg_triage__apply(sg_triage *t, const char *entry_id, const char *token,
                     const Siaga__V1__Report *r,
                     const sg_rules_result *res) {
  /* The window is measured from when the citizen reported, so a backlog
   * worked off after an outage still joins the incidents of its time. */
  int64_t ref_ms = r->received_at_ms > 0 ? r->received_at_ms : (int64_t)sg_clock_now_ms();
  char k_phone[SG_KEY_MAX], seen[SG_KEY_ID_MAX + 1] = "";
  sg_triage__caller_map cm = {NULL, "", seen};
  if (sg_triage_report_links_caller(r) &&
      sg_key2(k_phone, sizeof(k_phone), t->region, "phone", r->reporter->phone) >= 0) {
    cm.phone = r->reporter->phone;
    cm.k_phone = k_phone;
  }
  long long seq = 0;
  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    int64_t now_ms = (int64_t)sg_clock_now_ms();
    Siaga__V1__Incident *found = NULL;
    int64_t version = 0;
    sg_transition_check check = {0};
    sg_triage_link link = SG_TRIAGE_LINK_CALLER;
    int rc = SG_OK;
    /* The same caller first, whatever the category or distance: an AML fix
     * and the text typed beside it are one emergency. Then neighbours. */
    if (cm.phone != NULL)
      rc = find_caller(t, k_phone, ref_ms, seen, sizeof(seen), &found, &version);
    if (rc == SG_OK && found == NULL) {
      link = SG_TRIAGE_LINK_NEARBY;
      rc = find_match(t, r, res->category, ref_ms, &found, &version, &check);
    }
    if (rc != SG_OK)
      return rc;

    Siaga__V1__Incident next;
    Siaga__V1__UpdateKind kind;
    int64_t expected;
    if (found != NULL) {
      if (sg_triage_incident_attach(&t->arena, found, r, res, link, now_ms, &next) != 0)
        return SG_ENOMEM;
      /* The hash's version field is the one the script compares. */
      expected = version;
      next.version = version + 1;
      kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_REPORT_ATTACHED;
    } else {
      /* One id per report, kept across retries so ids are not burnt. */
      if (seq == 0 && (rc = sg_triage__next_seq(t, &seq)) != SG_OK)
        return rc;
      char id[SG_TRIAGE_ID_MAX];
      if (sg_triage_incident_id(id, sizeof(id), t->region, seq) < 0)
        return SG_EINVAL;
      if (sg_triage_incident_open(&t->arena, r, res, id, now_ms, &next) != 0)
        return SG_ENOMEM;
      expected = 0;
      kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED;
    }

    sg_triage__step step = {.entry_id = entry_id,
                            .token = token,
                            .r = r,
                            .inc = &next,
                            .expected = expected,
                            .kind = kind,
                            .now_ms = now_ms,
                            .cm = cm,
                            .check = found == NULL ? check : (sg_transition_check){0}};
    sg_triage__outcome what;
    rc = transition(t, &step, &what);
    if (rc != SG_OK || what == SG_TRIAGE__OUTCOME_DONE)
      return rc;
    if (found == NULL && what == SG_TRIAGE__OUTCOME_CONFLICT)
      seq = 0; /* that id exists already (a reset counter?): take the next one */
    /* Another worker won the race. A short random pause, growing with each
     * loss, keeps two workers from colliding again in lockstep. */
    struct timespec pause = {0, (long)(rand() % (1 << attempt) + 1) * 1000000L};
    nanosleep(&pause, NULL);
  }
  return SG_ECONFLICT;
}
