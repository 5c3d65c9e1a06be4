/* The report's effect on incidents: de-duplication against open incidents
 * nearby, then one transition.lua call. Optimistic concurrency: the script
 * refuses to write when the incident's version moved since we read it, and
 * we read again and decide again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "clock.h"
#include "smsurl.h"
#include "triage_internal.h"

#define MAX_ATTEMPTS 8       /* a busy incident can lose a few races, not for ever */
#define GEO_CANDIDATES 16    /* nearest open incidents looked at, of any category */
#define GEO_LAT_LIMIT 85.05112878 /* what a Redis geo set can hold */
#define ACTOR "worker"

/* Finds the nearest open incident that may take the report. On success
 * *found is that incident (decoded into the arena) and *version its
 * current version, or *found is NULL when there is none. */
static int find_match(sg_triage *t, const Siaga__V1__Report *r, const char *category,
                      int64_t ref_ms, Siaga__V1__Incident **found, int64_t *version) {
  *found = NULL;
  const Siaga__V1__Location *loc = r->location;
  /* Without a point there is nothing to measure distance from; a later
   * matcher may use the reporter or the place name. */
  if (!sg_report_has_point(loc) || fabs(loc->lat) > GEO_LAT_LIMIT)
    return SG_TRIAGE_OK;

  char lon[32], lat[32];
  snprintf(lon, sizeof(lon), "%.9f", loc->lon);
  snprintf(lat, sizeof(lat), "%.9f", loc->lat);
  redisReply *ids = redisCommand(t->c, "GEOSEARCH %s FROMLONLAT %s %s BYRADIUS %d m ASC COUNT %d",
                                 t->k_geo, lon, lat, SG_TRIAGE_DEDUP_RADIUS_M, GEO_CANDIDATES);
  int rc = sg_triage__check(t, ids);
  if (rc == SG_TRIAGE_OK && ids->type != REDIS_REPLY_ARRAY)
    rc = SG_TRIAGE_E_REPLY;
  if (rc != SG_TRIAGE_OK) {
    freeReplyObject(ids);
    return rc;
  }

  /* One round trip for all candidates: pipeline the reads. */
  size_t n = 0;
  for (size_t i = 0; i < ids->elements; i++) {
    char key[SG_KEY_MAX];
    const redisReply *id = ids->element[i];
    if (id->type != REDIS_REPLY_STRING ||
        sg_key2(key, sizeof(key), t->region, "incident", id->str) < 0)
      continue;
    redisAppendCommand(t->c, "HMGET %s pb version", key);
    n++;
  }
  freeReplyObject(ids);

  /* Replies come in distance order; every one must be read, even after a
   * match, to keep the connection in step. */
  for (size_t i = 0; i < n; i++) {
    redisReply *reply = NULL;
    if (redisGetReply(t->c, (void **)&reply) != REDIS_OK)
      return SG_TRIAGE_E_REDIS;
    if (rc == SG_TRIAGE_OK)
      rc = sg_triage__check(t, reply);
    if (rc == SG_TRIAGE_OK && *found == NULL && reply->type == REDIS_REPLY_ARRAY &&
        reply->elements == 2 && reply->element[0]->type == REDIS_REPLY_STRING &&
        reply->element[1]->type == REDIS_REPLY_STRING &&
        reply->element[0]->len <= SG_TRIAGE_INCIDENT_PB_MAX) {
      /* A candidate that does not decode is skipped, not fatal: the report
       * then opens an incident of its own. */
      Siaga__V1__Incident *inc =
          siaga__v1__incident__unpack(&t->arena.allocator, (size_t)reply->element[0]->len,
                                      (const uint8_t *)reply->element[0]->str);
      if (inc != NULL && sg_triage_incident_matches(inc, category, ref_ms)) {
        *found = inc;
        *version = strtoll(reply->element[1]->str, NULL, 10);
      }
    }
    freeReplyObject(reply);
  }
  return rc;
}

static int next_incident_seq(sg_triage *t, long long *seq) {
  redisReply *reply = redisCommand(t->c, "INCR %s", t->k_seq);
  int rc = sg_triage__check(t, reply);
  if (rc == SG_TRIAGE_OK && reply->type != REDIS_REPLY_INTEGER)
    rc = SG_TRIAGE_E_REPLY;
  if (rc == SG_TRIAGE_OK)
    *seq = reply->integer;
  freeReplyObject(reply);
  return rc;
}

/* The acknowledgement for a citizen who reported by SMS, written into text;
 * returns the number to send it to, or "" when the report did not come by
 * SMS (app users see their report in the app; AML messages are sent by the
 * handset, not typed by the caller). The script sends it only if it applies
 * the report, so a replay acknowledges nothing twice. */
static const char *sms_ack(const Siaga__V1__Report *r, const Siaga__V1__Incident *inc, char *text,
                           size_t size) {
  if (r->channel != SIAGA__V1__CHANNEL__CHANNEL_SMS || r->reporter == NULL ||
      r->reporter->phone == NULL || r->reporter->phone[0] == '\0')
    return "";
  /* A report joining an incident whose help is already on the way says
   * so: the caller should not wait for a second message that never comes. */
  sg_smsurl_reply kind = inc->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_DISPATCHED
                             ? SG_SMSURL_REPLY_ACK_DISPATCHED
                             : SG_SMSURL_REPLY_ACK;
  if (sg_smsurl_reply_text(text, size, kind, inc->id) < 0)
    return "";
  return r->reporter->phone;
}

/* Runs transition.lua for inc (already at version expected + 1). Sets
 * *conflict when the incident's version was not `expected`. A replay
 * (entry already processed) counts as done. */
static int transition(sg_triage *t, const char *entry_id, const char *token,
                      const Siaga__V1__Report *r,
                      const Siaga__V1__Incident *inc, int64_t expected,
                      Siaga__V1__UpdateKind kind, int64_t now_ms, int *conflict) {
  *conflict = 0;
  Siaga__V1__IncidentUpdate upd = SIAGA__V1__INCIDENT_UPDATE__INIT;
  upd.kind = kind;
  upd.incident = (Siaga__V1__Incident *)inc;
  upd.actor = ACTOR;
  upd.at_ms = now_ms;
  upd.report_id = r->id;
  size_t inc_len, upd_len;
  uint8_t *inc_pb = sg_triage_pack(&t->arena, &inc->base, &inc_len);
  uint8_t *upd_pb = sg_triage_pack(&t->arena, &upd.base, &upd_len);
  if (inc_pb == NULL || upd_pb == NULL)
    return SG_TRIAGE_E_NOMEM;

  char k_incident[SG_KEY_MAX], k_audit[SG_KEY_MAX], k_marker[SG_KEY_MAX], k_index[SG_KEY_MAX],
      k_smsout[SG_KEY_MAX], k_sms[SG_KEY_MAX], sms_suffix[SG_KEY_MAX];
  snprintf(sms_suffix, sizeof(sms_suffix), "%s:sms", inc->id);
  if (sg_key2(k_incident, sizeof(k_incident), t->region, "incident", inc->id) < 0 ||
      sg_key2(k_audit, sizeof(k_audit), t->region, "audit", inc->id) < 0 ||
      sg_key2(k_marker, sizeof(k_marker), t->region, "processed", entry_id) < 0 ||
      sg_key2(k_index, sizeof(k_index), t->region, "report", r->id) < 0 ||
      sg_key(k_smsout, sizeof(k_smsout), t->region, "sms:out") < 0 ||
      sg_key2(k_sms, sizeof(k_sms), t->region, "incident", sms_suffix) < 0)
    return SG_TRIAGE_E_ARG; /* checked when the report was decoded */
  char ack_text[SG_SMSURL_SMS_SEPTETS + 1];
  const char *ack_to = sms_ack(r, inc, ack_text, sizeof(ack_text));

  char s_expected[24], s_status[8], s_priority[8], s_score[16], s_created[24], s_lon[32],
      s_lat[32], s_ttl[16], s_maxlen[16], s_updated[24];
  const Siaga__V1__Location *loc = inc->location;
  int has_point = sg_report_has_point(loc);
  snprintf(s_expected, sizeof(s_expected), "%lld", (long long)expected);
  snprintf(s_status, sizeof(s_status), "%d", (int)inc->status);
  snprintf(s_priority, sizeof(s_priority), "%d", (int)inc->priority);
  snprintf(s_score, sizeof(s_score), "%d", (int)inc->score);
  snprintf(s_created, sizeof(s_created), "%lld", (long long)inc->created_at_ms);
  snprintf(s_lon, sizeof(s_lon), "%.9f", has_point ? loc->lon : 0.0);
  snprintf(s_lat, sizeof(s_lat), "%.9f", has_point ? loc->lat : 0.0);
  snprintf(s_ttl, sizeof(s_ttl), "%d", SG_TRIAGE_MARKER_TTL_S);
  snprintf(s_maxlen, sizeof(s_maxlen), "%d", SG_TRIAGE_UPDATES_MAXLEN);
  snprintf(s_updated, sizeof(s_updated), "%lld", (long long)inc->updated_at_ms);

  const char *argv[] = {
      "EVALSHA", t->sha, "10",
      /* KEYS, in the order documented in transition.lua */
      k_incident, t->k_open, t->k_geo, t->k_updates, k_audit, k_marker, k_index, t->k_reports,
      k_smsout, k_sms,
      /* ARGV; a report never changes the status, so no status message */
      s_expected, inc->id, (const char *)inc_pb, (const char *)upd_pb, s_status, s_priority,
      s_score, s_created, s_lon, s_lat, entry_id, SG_GROUP_TRIAGE, s_ttl, r->id, s_maxlen,
      s_updated, ack_to, ack_to[0] != '\0' ? ack_text : "", "", token, SG_TRIAGE_INDEX_TTL_S};
  enum { ARGC = sizeof(argv) / sizeof(argv[0]), ARG_INC_PB = 15, ARG_UPD_PB = 16 };
  size_t lens[ARGC];
  for (size_t i = 0; i < ARGC; i++)
    lens[i] = strlen(argv[i]);
  lens[ARG_INC_PB] = inc_len;
  lens[ARG_UPD_PB] = upd_len;

  redisReply *reply = redisCommandArgv(t->c, ARGC, argv, lens);
  if (reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
    /* Redis restarted or flushed its scripts: EVAL sends the body, which
     * also caches it again for the following EVALSHA calls. */
    freeReplyObject(reply);
    argv[0] = "EVAL";
    argv[1] = (const char *)t->script->data;
    lens[0] = 4;
    lens[1] = t->script->size;
    reply = redisCommandArgv(t->c, ARGC, argv, lens);
  }
  int rc = sg_triage__check(t, reply);
  if (rc == SG_TRIAGE_OK && (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
                             reply->element[0]->type != REDIS_REPLY_STRING))
    rc = SG_TRIAGE_E_REPLY;
  if (rc == SG_TRIAGE_OK) {
    const char *outcome = reply->element[0]->str;
    if (strcmp(outcome, "conflict") == 0)
      *conflict = 1;
    else if (strcmp(outcome, "ok") != 0 && strcmp(outcome, "processed") != 0)
      rc = SG_TRIAGE_E_REPLY;
  }
  freeReplyObject(reply);
  return rc;
}

int sg_triage__apply(sg_triage *t, const char *entry_id, const char *token,
                     const Siaga__V1__Report *r,
                     const sg_rules_result *res) {
  /* The window is measured from when the citizen reported, so a backlog
   * worked off after an outage still joins the incidents of its time. */
  int64_t ref_ms = r->received_at_ms > 0 ? r->received_at_ms : (int64_t)sg_clock_now_ms();
  long long seq = 0;
  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    int64_t now_ms = (int64_t)sg_clock_now_ms();
    Siaga__V1__Incident *found = NULL;
    int64_t version = 0;
    int rc = find_match(t, r, res->category, ref_ms, &found, &version);
    if (rc != SG_TRIAGE_OK)
      return rc;

    Siaga__V1__Incident next;
    Siaga__V1__UpdateKind kind;
    int64_t expected;
    if (found != NULL) {
      if (sg_triage_incident_attach(&t->arena, found, r, res, now_ms, &next) != 0)
        return SG_TRIAGE_E_NOMEM;
      /* The hash's version field is the one the script compares. */
      expected = version;
      next.version = version + 1;
      kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_REPORT_ATTACHED;
    } else {
      /* One id per report, kept across retries so ids are not burnt. */
      if (seq == 0 && (rc = next_incident_seq(t, &seq)) != SG_TRIAGE_OK)
        return rc;
      char id[SG_TRIAGE_ID_MAX];
      if (sg_triage_incident_id(id, sizeof(id), t->region, seq) < 0)
        return SG_TRIAGE_E_ARG;
      if (sg_triage_incident_open(&t->arena, r, res, id, now_ms, &next) != 0)
        return SG_TRIAGE_E_NOMEM;
      expected = 0;
      kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED;
    }

    int conflict;
    rc = transition(t, entry_id, token, r, &next, expected, kind, now_ms, &conflict);
    if (rc != SG_TRIAGE_OK || !conflict)
      return rc;
    if (found == NULL)
      seq = 0; /* that id exists already (a reset counter?): take the next one */
    /* Another worker won the race. A short random pause, growing with each
     * loss, keeps two workers from colliding again in lockstep. */
    struct timespec pause = {0, (long)(rand() % (1 << attempt) + 1) * 1000000L};
    nanosleep(&pause, NULL);
  }
  return SG_TRIAGE_E_CONFLICT;
}
