#include "api/split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "api/commands.h"
#include "api/merge.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "store/keys.h"
#include "store/transition.h"
#include "triage/incident.h"
#include "triage/rules.h"

#define ARENA_LIMIT (16u << 20)
#define NOTE_MAX 256

struct sg_split {
  sg_redis *redis;
  char region[SG_KEY_REGION_MAX + 1];
  char sha_split[SG_REDIS_SHA_LEN + 1];
  char sha_reports[SG_REDIS_SHA_LEN + 1]; /* history.lua: a report as it was sent */
  char k_reports[SG_KEY_MAX];
  char report_prefix[SG_KEY_MAX];
  char k_seq[SG_KEY_MAX];
};

typedef struct job {
  sg_split *split;
  sg_commands_done_cb done;
  void *data;
  char request_id[SG_COMMANDS_REQUEST_ID_MAX + 1];
  char actor[SG_COMMANDS_ACTOR_MAX + 1];
  sg_role role;
  char source[SG_KEY_ID_MAX + 1];
  char report[SG_KEY_ID_MAX + 1];
  char fresh[SG_TRIAGE_ID_MAX]; /* the new incident's id */
  int64_t expected;
  Siaga__V1__Incident *src;
  Siaga__V1__Report *rep;
  int replies; /* of the two reads */
  int failed;
  Siaga__V1__Incident *result;
  sg_arena arena;
} job;

sg_split *sg_split_create(sg_redis *redis, const char *region) {
  const sg_embedded_file *split = sg_embedded_find("split.lua");
  const sg_embedded_file *history = sg_embedded_find("history.lua");
  sg_split *s = calloc(1, sizeof(*s));
  if (s == NULL || split == NULL || history == NULL || !sg_key_region_valid(region) ||
      sg_key(s->k_reports, sizeof(s->k_reports), region, SG_KEY_REPORTS) < 0 ||
      sg_key2(s->report_prefix, sizeof(s->report_prefix), region, "report", "") < 0 ||
      sg_key(s->k_seq, sizeof(s->k_seq), region, SG_KEY_INCIDENT_SEQ) < 0 ||
      sg_redis_add_script(redis, (const char *)split->data, split->size, s->sha_split) != 0 ||
      sg_redis_add_script(redis, (const char *)history->data, history->size, s->sha_reports) != 0) {
    free(s);
    return NULL;
  }
  s->redis = redis;
  snprintf(s->region, sizeof(s->region), "%s", region);
  return s;
}

void sg_split_destroy(sg_split *s) {
  free(s);
}

static void finish(job *j, int ok, const char *code, const char *message) {
  sg_commands_answer(j->done, j->data, j->request_id, j->result, ok ? NULL : code, message);
  sg_arena_reset(&j->arena);
  free(j);
}

static void *alloc(job *j, size_t n) {
  return sg_arena_alloc(&j->arena, n ? n : 1);
}

static Siaga__V1__Note *note_new(job *j, const char *fmt, const char *a, const char *b,
                                 uint64_t now) {
  Siaga__V1__Note *n = alloc(j, sizeof(*n));
  char *text = alloc(j, NOTE_MAX);
  if (n == NULL || text == NULL)
    return NULL;
  snprintf(text, NOTE_MAX, fmt, a, b, j->actor);
  siaga__v1__note__init(n);
  n->author = j->actor;
  n->text = text;
  n->at_ms = (int64_t)now;
  return n;
}

/* notes plus one, in the arena. */
static int add_note(job *j, Siaga__V1__Incident *inc, Siaga__V1__Note *note) {
  Siaga__V1__Note **notes = alloc(j, (inc->n_notes + 1) * sizeof(*notes));
  if (notes == NULL || note == NULL)
    return -1;
  if (inc->n_notes > 0) /* notes is NULL when there are none */
    memcpy(notes, inc->notes, inc->n_notes * sizeof(*notes));
  notes[inc->n_notes] = note;
  inc->notes = notes;
  inc->n_notes++;
  return 0;
}

/* A report a merge brought in leaves that merge's record too, so a later
 * unmerge takes out what is still there and no more. */
static int forget_merged(job *j, Siaga__V1__Incident *inc, const char **via) {
  Siaga__V1__MergeRecord **recs = alloc(j, inc->n_merged * sizeof(*recs));
  if (recs == NULL)
    return -1;
  for (size_t m = 0; m < inc->n_merged; m++) {
    Siaga__V1__MergeRecord *old = inc->merged[m];
    size_t at = 0;
    while (at < old->n_report_ids && strcmp(old->report_ids[at], j->report) != 0)
      at++;
    recs[m] = old;
    if (at == old->n_report_ids)
      continue;
    *via = old->incident_id;
    Siaga__V1__MergeRecord *r = alloc(j, sizeof(*r));
    char **ids = alloc(j, old->n_report_ids * sizeof(char *));
    if (r == NULL || ids == NULL)
      return -1;
    *r = *old;
    memcpy(ids, old->report_ids, at * sizeof(char *));
    memcpy(ids + at, old->report_ids + at + 1, (old->n_report_ids - at - 1) * sizeof(char *));
    r->report_ids = ids;
    r->n_report_ids = old->n_report_ids - 1;
    r->report_count = old->report_count > 0 ? old->report_count - 1 : 0;
    recs[m] = r;
  }
  inc->merged = recs;
  return 0;
}

static void on_applied(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING) {
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
      sg_log(SG_LOG_ERROR, "redis.refused", "script=split.lua reason=%s", reply->str);
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  const char *what = reply->element[0]->str;
  if (strcmp(what, "ok") == 0)
    finish(j, 1, NULL, NULL);
  else if (strcmp(what, "not_in_incident") == 0)
    finish(j, 0, "not_in_incident", "that report is not in this incident");
  else
    finish(j, 0, "version_conflict", "the incident changed since you saw it; reload and retry");
}

static void apply(job *j) {
  uint64_t now = sg_clock_now_ms();
  Siaga__V1__Incident *src = j->src;
  Siaga__V1__Incident *s = alloc(j, sizeof(*s)), *n = alloc(j, sizeof(*n));
  char **ids = alloc(j, src->n_report_ids * sizeof(char *));
  if (s == NULL || n == NULL || ids == NULL) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  /* The new incident, as triage opens one from this report alone. */
  sg_rules_result res;
  sg_rules_evaluate(j->rep, &res);
  if (sg_triage_incident_open(&j->arena, j->rep, &res, j->fresh, (int64_t)now, n) != 0 ||
      add_note(j, n, note_new(j, "Dipisahkan dari %s (laporan %s) oleh %s", j->source, j->report, now)) != 0) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  /* The incident it leaves: the rest of its reports, and a note. */
  *s = *src;
  size_t k = 0;
  for (size_t i = 0; i < src->n_report_ids; i++)
    if (strcmp(src->report_ids[i], j->report) != 0)
      ids[k++] = src->report_ids[i];
  s->report_ids = ids;
  s->n_report_ids = k;
  const char *via = "";
  if (forget_merged(j, s, &via) != 0) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  s->report_count = src->report_count > 1 ? src->report_count - 1 : 1;
  s->version = src->version + 1;
  s->updated_at_ms = (int64_t)now;
  if (add_note(j, s, note_new(j, "Laporan %s dipisahkan ke %s oleh %s", j->report, j->fresh, now)) != 0) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  sg_merge_packed ps, pn;
  if (sg_merge_pack(&j->arena, s, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_SPLIT, j->actor, now, &ps) != 0 ||
      sg_merge_pack(&j->arena, n, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED, j->actor, now, &pn) != 0) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  const char *region = j->split->region;
  char k_[12][SG_KEY_MAX], suffix[SG_KEY_ID_MAX + 16];
  sg_key2(k_[0], SG_KEY_MAX, region, "incident", j->source);
  sg_key2(k_[1], SG_KEY_MAX, region, "incident", j->fresh);
  sg_key(k_[2], SG_KEY_MAX, region, SG_KEY_OPEN);
  sg_key(k_[3], SG_KEY_MAX, region, SG_KEY_GEO);
  sg_key(k_[4], SG_KEY_MAX, region, SG_KEY_UPDATES);
  sg_key2(k_[5], SG_KEY_MAX, region, "audit", j->source);
  sg_key2(k_[6], SG_KEY_MAX, region, "audit", j->fresh);
  sg_key2(k_[7], SG_KEY_MAX, region, "report", j->report);
  const char *sets[4][2] = {{j->source, "sms"}, {j->fresh, "sms"}, {j->source, "phones"},
                            {j->fresh, "phones"}};
  for (int i = 0; i < 4; i++) {
    snprintf(suffix, sizeof(suffix), "%s:%s", sets[i][0], sets[i][1]);
    sg_key2(k_[8 + i], SG_KEY_MAX, region, "incident", suffix);
  }
  char ver[24], st[6][32], nt[6][32], maxlen[24], at[24];
  snprintf(ver, sizeof(ver), "%lld", (long long)src->version);
  snprintf(maxlen, sizeof(maxlen), "%d", SG_TRANSITION_UPDATES_MAXLEN);
  snprintf(at, sizeof(at), "%llu", (unsigned long long)now);
  sg_merge_state_args(s, st);
  sg_merge_state_args(n, nt);
  const char *phone = j->rep->reporter != NULL ? j->rep->reporter->phone : "";
  const char *argv[3 + 12 + 24];
  size_t lens[3 + 12 + 24];
  int c = 0;
  argv[c++] = "EVALSHA";
  argv[c++] = j->split->sha_split;
  argv[c++] = "12";
  for (int i = 0; i < 12; i++)
    argv[c++] = k_[i];
  argv[c++] = ver;
  argv[c++] = j->source;
  argv[c++] = j->fresh;
  argv[c++] = j->report;
  for (int i = 0; i < c; i++)
    lens[i] = strlen(argv[i]);
  argv[c] = (const char *)ps.pb, lens[c++] = ps.pb_len;
  argv[c] = (const char *)pn.pb, lens[c++] = pn.pb_len;
  argv[c] = (const char *)ps.upd, lens[c++] = ps.upd_len;
  argv[c] = (const char *)pn.upd, lens[c++] = pn.upd_len;
  for (int i = 0; i < 6; i++)
    argv[c] = st[i], lens[c++] = strlen(st[i]);
  for (int i = 0; i < 6; i++)
    argv[c] = nt[i], lens[c++] = strlen(nt[i]);
  argv[c] = maxlen, lens[c++] = strlen(maxlen);
  argv[c] = at, lens[c++] = strlen(at);
  argv[c] = phone, lens[c++] = strlen(phone);
  argv[c] = via, lens[c++] = strlen(via);
  j->result = n;
  if (sg_redis_command(j->split->redis, on_applied, j, c, argv, lens) != 0)
    finish(j, 0, "unavailable", "incident store unavailable; try again");
}

static void on_seq(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_INTEGER ||
      sg_triage_incident_id(j->fresh, sizeof(j->fresh), j->split->region, reply->integer) < 0) {
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  apply(j);
}

static void decide(job *j) {
  if (j->failed) {
    finish(j, 0, "unavailable", "incident store unavailable; try again");
  } else if (j->src == NULL) {
    finish(j, 0, "not_found", "no incident with that id");
  } else if (j->expected != 0 && j->expected != j->src->version) {
    finish(j, 0, "version_conflict", "the incident changed since you saw it; reload and retry");
  } else if (j->src->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED ||
             j->src->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED) {
    finish(j, 0, "not_open", "a closed incident cannot be split: reopen it first");
  } else if (j->src->report_count < 2) {
    finish(j, 0, "only_report", "that is the incident's only report: nothing to split it from");
  } else if (j->rep == NULL) {
    finish(j, 0, "not_found", "no such report kept (its text is no longer stored)");
  } else if (j->src->handler[0] != '\0' && strcmp(j->src->handler, j->actor) != 0 &&
             j->role < SG_ROLE_SUPERVISOR) {
    finish(j, 0, "forbidden", "another dispatcher has it in hand: a supervisor may split it");
  } else {
    const char *argv[] = {"INCR", j->split->k_seq};
    if (sg_redis_command(j->split->redis, on_seq, j, 2, argv, NULL) != 0)
      finish(j, 0, "unavailable", "incident store unavailable; try again");
  }
}

static void on_incident(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
    j->failed = 1;
  else if (reply->type == REDIS_REPLY_STRING)
    j->src = siaga__v1__incident__unpack(&j->arena.allocator, reply->len, (const uint8_t *)reply->str);
  if (++j->replies == 2)
    decide(j);
}

static void on_report(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 1)
    j->failed = 1;
  else if (reply->element[0]->type == REDIS_REPLY_STRING && reply->element[0]->len > 0)
    j->rep = siaga__v1__report__unpack(&j->arena.allocator, reply->element[0]->len,
                                       (const uint8_t *)reply->element[0]->str);
  if (++j->replies == 2)
    decide(j);
}

void sg_split_run(sg_split *s, const Siaga__V1__Command *cmd, const sg_identity *who,
                  sg_commands_done_cb done, void *data) {
  job *j = calloc(1, sizeof(*j));
  if (j == NULL) {
    sg_commands_answer(done, data, cmd->request_id, NULL, "unavailable", "out of memory");
    return;
  }
  j->split = s;
  j->done = done;
  j->data = data;
  sg_arena_init(&j->arena, ARENA_LIMIT);
  snprintf(j->request_id, sizeof(j->request_id), "%s", cmd->request_id);
  snprintf(j->actor, sizeof(j->actor), "%s", who->name);
  j->role = who->role;
  const Siaga__V1__Split *sp = cmd->split;
  if (!sg_key_id_valid(sp->incident_id)) {
    finish(j, 0, "not_found", "no incident with that id");
    return;
  }
  if (!sg_key_id_valid(sp->report_id)) {
    finish(j, 0, "bad_command", "reportId: one of the incident's report ids");
    return;
  }
  if (sp->expected_version < 0) {
    finish(j, 0, "bad_command", "expectedVersion: 0 or the version you saw");
    return;
  }
  snprintf(j->source, sizeof(j->source), "%s", sp->incident_id);
  snprintf(j->report, sizeof(j->report), "%s", sp->report_id);
  j->expected = sp->expected_version;
  char key[SG_KEY_MAX];
  sg_key2(key, sizeof(key), s->region, "incident", j->source);
  const char *get[] = {"HGET", key, "pb"};
  const char *rep[] = {"EVALSHA", s->sha_reports, "1", s->k_reports, s->report_prefix, j->report};
  if (sg_redis_command(s->redis, on_incident, j, 3, get, NULL) != 0) {
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  if (sg_redis_command(s->redis, on_report, j, 6, rep, NULL) != 0) {
    j->failed = 1;
    j->replies++; /* the incident's answer finishes it */
  }
}
