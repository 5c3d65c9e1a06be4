#include "api/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "api/commands.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "core/error.h"
#include "store/keys.h"
#include "store/transition.h"
#include "wire/report.h"

#define ARENA_LIMIT (16u << 20) /* two incidents and what is built from them */
#define ATTEMPTS 5              /* re-reads when a report joins meanwhile (no version given) */
#define REPORT_IDS_MAX 20       /* as triage keeps them: the first, then the latest */
#define PHONES_MAX 10
#define NOTE_MAX 256

struct sg_merge {
  sg_redis *redis;
  char region[SG_KEY_REGION_MAX + 1];
  char sha[SG_REDIS_SHA_LEN + 1];
  char phone_prefix[SG_KEY_MAX];
};

/* One Merge or Unmerge in flight. Everything decoded or built lives in the
 * arena, freed at once when the command is answered. */
typedef struct job {
  sg_merge *merge;
  sg_commands_done_cb done;
  void *data;
  int unmerge;
  char request_id[SG_COMMANDS_REQUEST_ID_MAX + 1];
  char actor[SG_COMMANDS_ACTOR_MAX + 1];
  sg_role role;
  char source[SG_KEY_ID_MAX + 1]; /* merged in (Merge), or taken back out (Unmerge) */
  char target[SG_KEY_ID_MAX + 1]; /* carries on */
  int64_t source_expected, target_expected;
  Siaga__V1__Incident *src, *dst;
  int src_read, dst_read;
  int attempts;
  Siaga__V1__Incident *result; /* what the reply carries */
  sg_arena arena;
} job;

sg_merge *sg_merge_create(sg_redis *redis, const char *region) {
  const sg_embedded_file *lua = sg_embedded_find("merge.lua");
  sg_merge *m = calloc(1, sizeof(*m));
  if (m == NULL || lua == NULL || !sg_key_region_valid(region) ||
      sg_key(m->phone_prefix, sizeof(m->phone_prefix), region, "phone:") < 0 ||
      sg_redis_add_script(redis, (const char *)lua->data, lua->size, m->sha) != 0) {
    free(m);
    return NULL;
  }
  m->redis = redis;
  snprintf(m->region, sizeof(m->region), "%s", region);
  return m;
}

void sg_merge_destroy(sg_merge *m) {
  free(m);
}

static void finish(job *j, int ok, const char *code, const char *message) {
  sg_commands_answer(j->done, j->data, j->request_id, j->result, ok ? NULL : code, message);
  sg_arena_reset(&j->arena);
  free(j);
}

static void *alloc(job *j, size_t n) {
  return sg_arena_alloc(&j->arena, n ? n : 1);
}

static char *note_text(job *j, const char *fmt, const char *a, const char *b) {
  char *s = alloc(j, NOTE_MAX);
  if (s != NULL)
    snprintf(s, NOTE_MAX, fmt, a, b);
  return s;
}

static Siaga__V1__Note *note_new(job *j, char *text, uint64_t now) {
  Siaga__V1__Note *n = alloc(j, sizeof(*n));
  if (n == NULL || text == NULL)
    return NULL;
  siaga__v1__note__init(n);
  n->author = j->actor;
  n->text = text;
  n->at_ms = (int64_t)now;
  return n;
}

static int has(char *const *list, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i], s) == 0)
      return 1;
  return 0;
}

/* Lower is more urgent; no priority ranks last. */
static int rank(Siaga__V1__Priority p) {
  return p == SIAGA__V1__PRIORITY__PRIORITY_UNSPECIFIED ? 5 : (int)p;
}

static int is_open(Siaga__V1__IncidentStatus s) {
  return s != SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED &&
         s != SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED;
}

/* One another dispatcher has in hand is a supervisor's to merge. */
static int held_by_other(const job *j, const Siaga__V1__Incident *inc) {
  return inc->handler[0] != '\0' && strcmp(inc->handler, j->actor) != 0 &&
         j->role < SG_ROLE_SUPERVISOR;
}

/* ---- the call ---- */

static void start(job *j);

static void on_applied(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING) {
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
      sg_log(SG_LOG_ERROR, "redis.refused", "script=merge.lua reason=%s", reply->str);
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  if (strcmp(reply->element[0]->str, "ok") == 0) {
    finish(j, 1, NULL, NULL);
  } else if (j->source_expected == 0 && j->target_expected == 0 && ++j->attempts < ATTEMPTS) {
    sg_arena_reset(&j->arena);
    start(j); /* a report joined one of them meanwhile: apply ours on top */
  } else {
    finish(j, 0, "version_conflict", "one of the incidents changed since you saw it; reload and retry");
  }
}

int sg_merge_pack(sg_arena *a, Siaga__V1__Incident *inc, Siaga__V1__UpdateKind kind,
                  const char *actor, uint64_t now, sg_merge_packed *out) {
  Siaga__V1__IncidentUpdate upd = SIAGA__V1__INCIDENT_UPDATE__INIT;
  upd.kind = kind;
  upd.incident = inc;
  upd.actor = (char *)actor;
  upd.at_ms = (int64_t)now;
  out->pb_len = siaga__v1__incident__get_packed_size(inc);
  out->upd_len = siaga__v1__incident_update__get_packed_size(&upd);
  out->pb = sg_arena_alloc(a, out->pb_len + 1);
  out->upd = sg_arena_alloc(a, out->upd_len + 1);
  if (out->pb == NULL || out->upd == NULL)
    return -1;
  siaga__v1__incident__pack(inc, out->pb);
  siaga__v1__incident_update__pack(&upd, out->upd);
  return 0;
}

void sg_merge_state_args(const Siaga__V1__Incident *inc, char buf[6][32]) {
  int point = sg_report_has_point(inc->location);
  snprintf(buf[0], 32, "%d", (int)inc->status);
  snprintf(buf[1], 32, "%d", (int)inc->priority);
  snprintf(buf[2], 32, "%d", (int)inc->score);
  snprintf(buf[3], 32, "%lld", (long long)inc->created_at_ms);
  snprintf(buf[4], 32, "%.7f", point ? inc->location->lon : 0.0);
  snprintf(buf[5], 32, "%.7f", point ? inc->location->lat : 0.0);
}

static void call(job *j, Siaga__V1__Incident *src, Siaga__V1__Incident *dst, uint64_t now) {
  Siaga__V1__UpdateKind kind = j->unmerge ? SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNMERGED
                                          : SIAGA__V1__UPDATE_KIND__UPDATE_KIND_MERGED;
  sg_merge_packed ps, pd;
  if (sg_merge_pack(&j->arena, src, kind, j->actor, now, &ps) != 0 ||
      sg_merge_pack(&j->arena, dst, kind, j->actor, now, &pd) != 0) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  const char *region = j->merge->region;
  char k[13][SG_KEY_MAX], suffix[2 * SG_KEY_ID_MAX + 16];
  sg_key2(k[0], SG_KEY_MAX, region, "incident", j->source);
  sg_key2(k[1], SG_KEY_MAX, region, "incident", j->target);
  sg_key(k[2], SG_KEY_MAX, region, SG_KEY_OPEN);
  sg_key(k[3], SG_KEY_MAX, region, SG_KEY_GEO);
  sg_key(k[4], SG_KEY_MAX, region, SG_KEY_UPDATES);
  sg_key2(k[5], SG_KEY_MAX, region, "audit", j->source);
  sg_key2(k[6], SG_KEY_MAX, region, "audit", j->target);
  sg_key(k[7], SG_KEY_MAX, region, SG_KEY_CLOSED);
  const char *sets[4][2] = {{j->source, "sms"}, {j->target, "sms"}, {j->source, "phones"},
                            {j->target, "phones"}};
  for (int i = 0; i < 4; i++) {
    snprintf(suffix, sizeof(suffix), "%s:%s", sets[i][0], sets[i][1]);
    sg_key2(k[8 + i], SG_KEY_MAX, region, "incident", suffix);
  }
  snprintf(suffix, sizeof(suffix), "%s:merged:%s", j->target, j->source);
  sg_key2(k[12], SG_KEY_MAX, region, "incident", suffix);

  char sv[24], tv[24], st[6][32], tt[6][32], maxlen[24], at[24];
  snprintf(sv, sizeof(sv), "%lld", (long long)(src->version - 1));
  snprintf(tv, sizeof(tv), "%lld", (long long)(dst->version - 1));
  snprintf(maxlen, sizeof(maxlen), "%d", SG_TRANSITION_UPDATES_MAXLEN);
  snprintf(at, sizeof(at), "%llu", (unsigned long long)now);
  sg_merge_state_args(src, st);
  sg_merge_state_args(dst, tt);
  const char *argv[3 + 13 + 24];
  size_t lens[3 + 13 + 24];
  int n = 0;
  argv[n++] = "EVALSHA";
  argv[n++] = j->merge->sha;
  argv[n++] = "13";
  for (int i = 0; i < 13; i++)
    argv[n++] = k[i];
  argv[n++] = j->unmerge ? "unmerge" : "merge";
  argv[n++] = j->source;
  argv[n++] = j->target;
  argv[n++] = sv;
  argv[n++] = tv;
  for (int i = 0; i < n; i++)
    lens[i] = strlen(argv[i]);
  argv[n] = (const char *)ps.pb, lens[n++] = ps.pb_len;
  argv[n] = (const char *)pd.pb, lens[n++] = pd.pb_len;
  argv[n] = (const char *)ps.upd, lens[n++] = ps.upd_len;
  argv[n] = (const char *)pd.upd, lens[n++] = pd.upd_len;
  for (int i = 0; i < 6; i++)
    argv[n] = st[i], lens[n++] = strlen(st[i]);
  for (int i = 0; i < 6; i++)
    argv[n] = tt[i], lens[n++] = strlen(tt[i]);
  argv[n] = maxlen, lens[n++] = strlen(maxlen);
  argv[n] = at, lens[n++] = strlen(at);
  argv[n] = j->merge->phone_prefix, lens[n++] = strlen(j->merge->phone_prefix);
  j->result = j->unmerge ? src : dst;
  if (sg_redis_command(j->merge->redis, on_applied, j, n, argv, lens) != 0)
    finish(j, 0, "unavailable", "incident store unavailable; try again");
}

/* ---- building the two incidents ---- */

/* Adds b's items missing from a to a's list (at most max, the first kept and
 * then the latest when it is longer); *added gets every one that was
 * missing, kept or not. */
static int union_ids(job *j, char **a, size_t na, char **b, size_t nb, size_t max, char ***out,
                     size_t *n_out, char ***added, size_t *n_added) {
  char **all = alloc(j, (na + nb) * sizeof(char *));
  char **add = alloc(j, nb * sizeof(char *));
  if (all == NULL || add == NULL)
    return -1;
  size_t n = 0, m = 0;
  for (size_t i = 0; i < na; i++)
    all[n++] = a[i];
  for (size_t i = 0; i < nb; i++)
    if (!has(a, na, b[i]))
      all[n++] = add[m++] = b[i];
  if (n > max) {
    memmove(all + 1, all + 1 + (n - max), (max - 1) * sizeof(char *));
    n = max;
  }
  *out = all, *n_out = n, *added = add, *n_added = m;
  return 0;
}

/* a's items that are not in b. */
static char **minus(job *j, char **a, size_t na, char **b, size_t nb, size_t *n_out) {
  char **out = alloc(j, na * sizeof(char *));
  size_t n = 0;
  for (size_t i = 0; out != NULL && i < na; i++)
    if (!has(b, nb, a[i]))
      out[n++] = a[i];
  *n_out = n;
  return out;
}

static void do_merge(job *j) {
  Siaga__V1__Incident *src = j->src, *dst = j->dst;
  if (held_by_other(j, src) || held_by_other(j, dst)) {
    finish(j, 0, "forbidden", "another dispatcher has one of them in hand: a supervisor may merge it");
    return;
  }
  uint64_t now = sg_clock_now_ms();
  Siaga__V1__Incident *s = alloc(j, sizeof(*s)), *d = alloc(j, sizeof(*d));
  Siaga__V1__MergeRecord *rec = alloc(j, sizeof(*rec));
  Siaga__V1__Note *s_note = note_new(j, note_text(j, "Digabung ke %s oleh %s", j->target, j->actor), now);
  Siaga__V1__Note *d_note =
      note_new(j, note_text(j, "%s digabung ke insiden ini oleh %s", j->source, j->actor), now);
  Siaga__V1__Note **s_notes = alloc(j, (src->n_notes + 1) * sizeof(*s_notes));
  Siaga__V1__Note **d_notes = alloc(j, (dst->n_notes + src->n_notes + 1) * sizeof(*d_notes));
  Siaga__V1__MergeRecord **merged = alloc(j, (dst->n_merged + 1) * sizeof(*merged));
  if (s == NULL || d == NULL || rec == NULL || s_note == NULL || d_note == NULL ||
      s_notes == NULL || d_notes == NULL || merged == NULL) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  siaga__v1__merge_record__init(rec);
  rec->incident_id = j->source;
  rec->by = j->actor;
  rec->at_ms = (int64_t)now;
  rec->report_count = src->report_count;
  rec->notes = src->notes;
  rec->n_notes = src->n_notes;
  rec->status_before = src->status;
  rec->priority_before = dst->priority;
  rec->score_before = dst->score;

  /* The source: closed, pointing at the one that carries on. */
  *s = *src;
  s->status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED;
  s->merged_into = j->target;
  s->version = src->version + 1;
  s->updated_at_ms = (int64_t)now;
  if (src->n_notes > 0) /* notes is NULL when there are none */
    memcpy(s_notes, src->notes, src->n_notes * sizeof(*s_notes));
  s_notes[src->n_notes] = s_note;
  s->notes = s_notes;
  s->n_notes = src->n_notes + 1;

  /* The target: everything the source had, and the record of it. */
  *d = *dst;
  if (union_ids(j, dst->report_ids, dst->n_report_ids, src->report_ids, src->n_report_ids,
                REPORT_IDS_MAX, &d->report_ids, &d->n_report_ids, &rec->report_ids,
                &rec->n_report_ids) != 0 ||
      union_ids(j, dst->phones, dst->n_phones, src->phones, src->n_phones, PHONES_MAX, &d->phones,
                &d->n_phones, &rec->phones, &rec->n_phones) != 0) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  d->report_count = dst->report_count + src->report_count;
  if (dst->n_notes > 0)
    memcpy(d_notes, dst->notes, dst->n_notes * sizeof(*d_notes));
  if (src->n_notes > 0)
    memcpy(d_notes + dst->n_notes, src->notes, src->n_notes * sizeof(*d_notes));
  d_notes[dst->n_notes + src->n_notes] = d_note;
  d->notes = d_notes;
  d->n_notes = dst->n_notes + src->n_notes + 1;
  /* The more urgent of the two stays, with its reasons, unless a dispatcher
   * fixed the target's priority. */
  if (dst->priority_override == NULL && rank(src->priority) < rank(dst->priority)) {
    rec->reasons_before = dst->reasons;
    rec->n_reasons_before = dst->n_reasons;
    d->priority = src->priority;
    d->score = src->score;
    d->reasons = src->reasons;
    d->n_reasons = src->n_reasons;
  }
  rec->priority_after = d->priority;
  if (dst->n_merged > 0)
    memcpy(merged, dst->merged, dst->n_merged * sizeof(*merged));
  merged[dst->n_merged] = rec;
  d->merged = merged;
  d->n_merged = dst->n_merged + 1;
  d->version = dst->version + 1;
  d->updated_at_ms = (int64_t)now;
  call(j, s, d, now);
}

static int same_note(const Siaga__V1__Note *a, const Siaga__V1__Note *b) {
  return a->at_ms == b->at_ms && strcmp(a->author, b->author) == 0 && strcmp(a->text, b->text) == 0;
}

static void do_unmerge(job *j) {
  Siaga__V1__Incident *src = j->src, *dst = j->dst;
  Siaga__V1__MergeRecord *rec = NULL;
  size_t at = 0;
  for (; at < dst->n_merged; at++)
    if (strcmp(dst->merged[at]->incident_id, j->source) == 0) {
      rec = dst->merged[at];
      break;
    }
  if (rec == NULL || strcmp(src->merged_into, j->target) != 0) {
    finish(j, 0, "not_merged", "that incident is not merged into another");
    return;
  }
  if (held_by_other(j, dst)) {
    finish(j, 0, "forbidden", "another dispatcher has it in hand: a supervisor may unmerge it");
    return;
  }
  uint64_t now = sg_clock_now_ms();
  Siaga__V1__Incident *s = alloc(j, sizeof(*s)), *d = alloc(j, sizeof(*d));
  Siaga__V1__Note *s_note =
      note_new(j, note_text(j, "Penggabungan ke %s dibatalkan oleh %s", j->target, j->actor), now);
  Siaga__V1__Note *d_note =
      note_new(j, note_text(j, "%s dipisahkan kembali oleh %s", j->source, j->actor), now);
  Siaga__V1__Note **s_notes = alloc(j, (src->n_notes + 1) * sizeof(*s_notes));
  Siaga__V1__Note **d_notes = alloc(j, (dst->n_notes + 1) * sizeof(*d_notes));
  Siaga__V1__MergeRecord **merged = alloc(j, dst->n_merged * sizeof(*merged));
  if (s == NULL || d == NULL || s_note == NULL || d_note == NULL || s_notes == NULL ||
      d_notes == NULL || merged == NULL) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  /* The source, as it was. */
  *s = *src;
  s->status = rec->status_before != SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_UNSPECIFIED
                  ? rec->status_before
                  : SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN;
  s->merged_into = (char *)"";
  s->version = src->version + 1;
  s->updated_at_ms = (int64_t)now;
  if (src->n_notes > 0) /* notes is NULL when there are none */
    memcpy(s_notes, src->notes, src->n_notes * sizeof(*s_notes));
  s_notes[src->n_notes] = s_note;
  s->notes = s_notes;
  s->n_notes = src->n_notes + 1;

  /* The target, without what the source brought. */
  *d = *dst;
  d->report_ids = minus(j, dst->report_ids, dst->n_report_ids, rec->report_ids, rec->n_report_ids,
                        &d->n_report_ids);
  d->phones = minus(j, dst->phones, dst->n_phones, rec->phones, rec->n_phones, &d->n_phones);
  if (d->report_ids == NULL || d->phones == NULL) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  d->report_count = dst->report_count - rec->report_count;
  if (d->report_count < (int32_t)d->n_report_ids)
    d->report_count = (int32_t)d->n_report_ids;
  size_t nn = 0;
  for (size_t i = 0; i < dst->n_notes; i++) {
    int moved = 0;
    for (size_t k = 0; k < rec->n_notes && !moved; k++)
      moved = same_note(dst->notes[i], rec->notes[k]);
    if (!moved)
      d_notes[nn++] = dst->notes[i];
  }
  d_notes[nn++] = d_note;
  d->notes = d_notes;
  d->n_notes = nn;
  /* The priority the merge raised goes back, if nothing changed it since. */
  if (dst->priority_override == NULL && dst->priority == rec->priority_after &&
      rec->priority_before != rec->priority_after) {
    d->priority = rec->priority_before;
    d->score = rec->score_before;
    if (rec->n_reasons_before > 0) {
      d->reasons = rec->reasons_before;
      d->n_reasons = rec->n_reasons_before;
    }
  }
  size_t nm = 0;
  for (size_t i = 0; i < dst->n_merged; i++)
    if (i != at)
      merged[nm++] = dst->merged[i];
  d->merged = merged;
  d->n_merged = nm;
  d->version = dst->version + 1;
  d->updated_at_ms = (int64_t)now;
  call(j, s, d, now);
}

/* ---- reading the two incidents ---- */

static void decide(job *j) {
  if (j->src == NULL || j->dst == NULL) {
    finish(j, 0, "not_found", j->src == NULL ? "no incident with that id" : "no incident to merge into");
    return;
  }
  if ((j->source_expected != 0 && j->source_expected != j->src->version) ||
      (j->target_expected != 0 && j->target_expected != j->dst->version)) {
    finish(j, 0, "version_conflict", "one of the incidents changed since you saw it; reload and retry");
    return;
  }
  if (!is_open(j->dst->status) || j->dst->merged_into[0] != '\0') {
    finish(j, 0, "not_open", j->unmerge ? "the incident it was merged into is closed: reopen it first"
                                        : "the incident to merge into is closed: reopen it first");
    return;
  }
  if (j->unmerge) {
    do_unmerge(j);
  } else if (!is_open(j->src->status) || j->src->merged_into[0] != '\0') {
    finish(j, 0, "not_open", "a closed or merged incident cannot be merged: reopen it first");
  } else {
    do_merge(j);
  }
}

static Siaga__V1__Incident *unpack(job *j, redisReply *reply) {
  if (reply->type != REDIS_REPLY_STRING)
    return NULL;
  return siaga__v1__incident__unpack(&j->arena.allocator, reply->len, (const uint8_t *)reply->str);
}

static int read_incident(job *j, const char *id, sg_redis_reply_cb cb) {
  char key[SG_KEY_MAX];
  sg_key2(key, sizeof(key), j->merge->region, "incident", id);
  const char *argv[] = {"HGET", key, "pb"};
  return sg_redis_command(j->merge->redis, cb, j, 3, argv, NULL);
}

static void on_target(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
    j->dst_read = -1;
  } else {
    j->dst = unpack(j, reply);
    j->dst_read = 1;
  }
  if (j->src_read == 0)
    return; /* a Merge reads both at once: the source's answer comes next */
  if (j->src_read < 0 || j->dst_read < 0)
    finish(j, 0, "unavailable", "incident store unavailable; try again");
  else
    decide(j);
}

static void on_source(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
    j->src_read = -1;
  } else {
    j->src = unpack(j, reply);
    j->src_read = 1;
  }
  if (!j->unmerge) {
    if (j->dst_read == 0)
      return;
    if (j->src_read < 0 || j->dst_read < 0)
      finish(j, 0, "unavailable", "incident store unavailable; try again");
    else
      decide(j);
    return;
  }
  /* An Unmerge finds the other incident in the source. */
  if (j->src_read < 0) {
    finish(j, 0, "unavailable", "incident store unavailable; try again");
  } else if (j->src == NULL) {
    finish(j, 0, "not_found", "no incident with that id");
  } else if (j->src->merged_into[0] == '\0' || !sg_key_id_valid(j->src->merged_into)) {
    finish(j, 0, "not_merged", "that incident is not merged into another");
  } else {
    snprintf(j->target, sizeof(j->target), "%s", j->src->merged_into);
    if (read_incident(j, j->target, on_target) != 0)
      finish(j, 0, "unavailable", "incident store unavailable; try again");
  }
}

static void start(job *j) {
  j->src = j->dst = NULL;
  j->src_read = j->dst_read = 0;
  if (read_incident(j, j->source, on_source) != 0) {
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  /* A Merge reads both at once; replies come in order, the source's first,
   * so a target read that cannot be queued is told to on_source. */
  if (!j->unmerge && read_incident(j, j->target, on_target) != 0)
    j->dst_read = -1;
}

void sg_merge_run(sg_merge *m, const Siaga__V1__Command *cmd, const sg_identity *who,
                  sg_commands_done_cb done, void *data) {
  job *j = calloc(1, sizeof(*j));
  if (j == NULL) {
    sg_commands_answer(done, data, cmd->request_id, NULL, "unavailable", "out of memory");
    return;
  }
  j->merge = m;
  j->done = done;
  j->data = data;
  sg_arena_init(&j->arena, ARENA_LIMIT);
  snprintf(j->request_id, sizeof(j->request_id), "%s", cmd->request_id);
  snprintf(j->actor, sizeof(j->actor), "%s", who->name);
  j->role = who->role;
  const char *source = "", *target = "";
  if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_MERGE) {
    source = cmd->merge->incident_id;
    target = cmd->merge->into_incident_id;
    j->source_expected = cmd->merge->expected_version;
    j->target_expected = cmd->merge->into_expected_version;
  } else {
    j->unmerge = 1;
    source = cmd->unmerge->incident_id;
  }
  if (!sg_key_id_valid(source) || (!j->unmerge && !sg_key_id_valid(target))) {
    finish(j, 0, "not_found", "no incident with that id");
    return;
  }
  if (!j->unmerge && strcmp(source, target) == 0) {
    finish(j, 0, "bad_command", "intoIncidentId: another incident than incidentId");
    return;
  }
  if (j->source_expected < 0 || j->target_expected < 0) {
    finish(j, 0, "bad_command", "expectedVersion: 0 or the version you saw");
    return;
  }
  snprintf(j->source, sizeof(j->source), "%s", source);
  snprintf(j->target, sizeof(j->target), "%s", target);
  start(j);
}
