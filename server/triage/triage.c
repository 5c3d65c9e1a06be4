#include "triage/triage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/report.h"
#include "triage/triage_internal.h"

#define CLAIM_BATCHES_PER_CALL 4 /* then go back to new entries */

int sg_triage__check(const sg_triage *t, const redisReply *reply) {
  if (reply == NULL || t->c->err != 0)
    return SG_EUNAVAIL;
  return reply->type == REDIS_REPLY_ERROR ? SG_EREPLY : SG_OK;
}

sg_triage *sg_triage_create(const sg_triage_options *opts, int *err) {
  *err = SG_EINVAL;
  if (!sg_key_region_valid(opts->region) || !sg_key_consumer_valid(opts->consumer) ||
      opts->claim_idle_ms <= 0)
    return NULL;
  const sg_embedded_file *script = sg_embedded_find("transition.lua");
  if (script == NULL) {
    *err = SG_ESCRIPT;
    return NULL;
  }
  sg_triage *t = calloc(1, sizeof(*t));
  if (t == NULL) {
    *err = SG_ENOMEM;
    return NULL;
  }
  snprintf(t->region, sizeof(t->region), "%s", opts->region);
  snprintf(t->consumer, sizeof(t->consumer), "%s", opts->consumer);
  t->claim_idle_ms = opts->claim_idle_ms;
  /* A URL too long for the field would never fit in an SMS anyway. */
  if (opts->public_url != NULL && strlen(opts->public_url) < sizeof(t->public_url))
    snprintf(t->public_url, sizeof(t->public_url), "%s", opts->public_url);
  t->on_dead = opts->on_dead;
  t->data = opts->data;
  t->on_done = opts->on_done;
  t->script = script;
  snprintf(t->claim_cursor, sizeof(t->claim_cursor), "0-0");
  /* The region is short and checked above, so these keys always fit. */
  sg_key(t->k_reports, sizeof(t->k_reports), t->region, SG_KEY_REPORTS);
  sg_key(t->k_dead, sizeof(t->k_dead), t->region, SG_KEY_REPORTS ":dead");
  sg_key(t->k_updates, sizeof(t->k_updates), t->region, SG_KEY_UPDATES);
  sg_key(t->k_open, sizeof(t->k_open), t->region, SG_KEY_OPEN);
  sg_key(t->k_geo, sizeof(t->k_geo), t->region, SG_KEY_GEO);
  sg_key(t->k_seq, sizeof(t->k_seq), t->region, SG_KEY_INCIDENT_SEQ);
  sg_arena_init(&t->arena, SG_TRIAGE_ARENA_LIMIT);
  sg_arena_init(&t->batch_reports, SG_TRIAGE_BATCH_REPORTS_LIMIT);
  sg_arena_init(&t->batch_work, SG_TRIAGE_BATCH_WORK_LIMIT);
  *err = SG_OK;
  return t;
}

void sg_triage_destroy(sg_triage *t) {
  if (t == NULL)
    return;
  sg_arena_reset(&t->arena);
  sg_arena_reset(&t->batch_reports);
  sg_arena_reset(&t->batch_work);
  free(t);
}

void sg_triage_stop(sg_triage *t) {
  t->c = NULL;
}

/* ---- finishing entries without a transition ---- */

static int ack(sg_triage *t, const char *entry_id) {
  redisReply *reply = redisCommand(t->c, "XACK %s %s %s", t->k_reports, SG_GROUP_TRIAGE, entry_id);
  int rc = sg_triage__check(t, reply);
  freeReplyObject(reply);
  return rc;
}

/* Moves an entry that can never be processed to the dead letter stream,
 * with the reason and the raw bytes for a person to look at, and
 * acknowledges it, in one MULTI so a crash leaves either both or neither. */
static int dead_letter(sg_triage *t, const char *entry_id, const char *reason,
                       const redisReply *raw) {
  const char *argv[12] = {"XADD", t->k_dead, "MAXLEN", "~", NULL, "*", "entry", entry_id,
                          "reason", reason, "r", NULL};
  size_t lens[12];
  char maxlen[16];
  snprintf(maxlen, sizeof(maxlen), "%d", SG_TRIAGE_DEAD_MAXLEN);
  argv[4] = maxlen;
  int argc = 10;
  if (raw != NULL) {
    argv[11] = raw->str;
    argc = 12;
  }
  for (int i = 0; i < argc; i++)
    lens[i] = (i == 11) ? (size_t)raw->len : strlen(argv[i]);

  redisAppendCommand(t->c, "MULTI");
  redisAppendCommandArgv(t->c, argc, argv, lens);
  redisAppendCommand(t->c, "XACK %s %s %s", t->k_reports, SG_GROUP_TRIAGE, entry_id);
  redisAppendCommand(t->c, "EXEC");
  int rc = SG_OK;
  for (int i = 0; i < 4; i++) {
    redisReply *reply = NULL;
    if (redisGetReply(t->c, (void **)&reply) != REDIS_OK)
      return SG_EUNAVAIL;
    int r = sg_triage__check(t, reply);
    if (r != SG_OK && rc == SG_OK)
      rc = r;
    freeReplyObject(reply);
  }
  if (rc == SG_OK && t->on_dead != NULL)
    t->on_dead(t->data, entry_id, reason);
  return rc;
}

/* ---- one entry ---- */

static const redisReply *field(const redisReply *fields, const char *name) {
  if (fields == NULL || fields->type != REDIS_REPLY_ARRAY)
    return NULL;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    const redisReply *k = fields->element[i];
    if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0)
      return fields->element[i + 1]->type == REDIS_REPLY_STRING ? fields->element[i + 1] : NULL;
  }
  return NULL;
}

/* Decodes and checks an entry's report into *e, ready for its batch, and
 * sets *decoded; an entry that can never be processed goes to the dead
 * letter stream instead. Returns the dead letter's failure, if any. */
static int decode_entry(sg_triage *t, const char *entry_id, const redisReply *fields,
                        sg_triage__entry *e, int *decoded) {
  *decoded = 0;
  const redisReply *raw = field(fields, "r");
  if (raw == NULL)
    return dead_letter(t, entry_id, "no field \"r\"", NULL);
  if (raw->len > SG_REPORT_BODY_MAX)
    return dead_letter(t, entry_id, "report larger than the body limit", raw);

  /* The caller left at least SG_TRIAGE_ARENA_LIMIT free, what a report
   * always had: a NULL here is the bytes' fault, not the batch's. */
  Siaga__V1__Report *r = siaga__v1__report__unpack(&t->batch_reports.allocator, (size_t)raw->len,
                                                   (const uint8_t *)raw->str);
  if (r == NULL)
    return dead_letter(t, entry_id, "not a siaga.v1.Report protobuf", raw);

  /* siagad validated the report before the append; checking again keeps a
   * foreign or corrupt writer from putting unchecked text in front of a
   * dispatcher, and the id must make valid keys. */
  char key[SG_KEY_MAX];
  if (r->id[0] == '\0' || sg_key2(key, sizeof(key), t->region, "report", r->id) < 0 ||
      sg_key2(key, sizeof(key), t->region, "processed", entry_id) < 0)
    return dead_letter(t, entry_id, "report id missing or too long", raw);
  sg_report_error verr;
  if (sg_report_validate(r, &verr) != 0) {
    char reason[sizeof(verr.code) + sizeof(verr.message) + 4];
    snprintf(reason, sizeof(reason), "%s: %s", verr.code, verr.message);
    return dead_letter(t, entry_id, reason, raw);
  }

  /* siagad puts the tracking token beside the report ("t"). */
  const redisReply *tok = field(fields, "t");
  e->token[0] = '\0';
  if (tok != NULL && tok->len < sizeof(e->token) && sg_report_key_valid(tok->str, tok->len))
    memcpy(e->token, tok->str, tok->len + 1);
  e->entry_id = entry_id;
  e->r = r;
  e->rc = SG_OK;
  sg_rules_evaluate(r, &e->res);
  *decoded = 1;
  return SG_OK;
}

/* Counts one entry's result. */
static void tally(int rc, size_t *n_done, int *first_rc) {
  if (rc == SG_OK)
    (*n_done)++;
  else if (*first_rc == SG_OK)
    *first_rc = rc;
}

/* Applies the n decoded entries of t->batch and frees their memory. */
static int flush_batch(sg_triage *t, size_t *n, size_t *n_done, int *first_rc) {
  int rc = *n > 0 ? sg_triage__apply_batch(t, t->batch, *n) : SG_OK;
  for (size_t i = 0; rc == SG_OK && i < *n; i++) {
    const sg_triage__entry *e = &t->batch[i];
    tally(e->rc, n_done, first_rc);
    if (e->rc == SG_OK && t->on_done != NULL)
      t->on_done(t->data, e->res.category, (int)e->res.priority, e->r->received_at_ms);
  }
  sg_arena_reset(&t->batch_reports);
  *n = 0;
  return rc;
}

/* Whether one more report may be decoded into the batch in hand. */
static int batch_has_room(const sg_triage *t, size_t n) {
  const sg_arena *a = &t->batch_reports;
  return n < SG_TRIAGE_BATCH && a->limit - a->used >= SG_TRIAGE_ARENA_LIMIT;
}

/* Processes an array of [id, [field, value, ...]] entries: decodes them all,
 * then opens or joins incidents for the whole batch at once. An entry whose
 * data was trimmed away comes back with nil fields and is acknowledged. An
 * entry that fails stays pending and comes back by claim; the others go on,
 * unless the connection is gone. Returns the first failure. */
static int process_entries(sg_triage *t, const redisReply *entries, size_t *n_done,
                           char *last_id, size_t last_id_size) {
  if (entries->type != REDIS_REPLY_ARRAY)
    return SG_EREPLY;
  int first_rc = SG_OK, rc = SG_OK, malformed = 0;
  const char *last = NULL;
  size_t n = 0;
  for (size_t i = 0; i < entries->elements; i++) {
    const redisReply *e = entries->element[i];
    if (e->type == REDIS_REPLY_NIL)
      continue; /* Redis 6.2 XAUTOCLAIM: deleted, its id is not even known */
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[0]->len >= 64) {
      malformed = 1; /* the entries before it are still applied */
      break;
    }
    const char *id = e->element[0]->str;
    const redisReply *fields = e->element[1];
    int decoded = 0;
    if (fields->type != REDIS_REPLY_ARRAY) {
      rc = ack(t, id);
    } else {
      if (!batch_has_room(t, n))
        rc = flush_batch(t, &n, n_done, &first_rc);
      if (rc == SG_OK)
        rc = decode_entry(t, id, fields, &t->batch[n], &decoded);
      n += (size_t)decoded;
    }
    if (rc == SG_EUNAVAIL)
      break;
    if (!decoded)
      tally(rc, n_done, &first_rc);
    rc = SG_OK;
    last = id;
  }
  if (rc == SG_OK)
    rc = flush_batch(t, &n, n_done, &first_rc);
  sg_arena_reset(&t->batch_reports);
  if (rc == SG_EUNAVAIL)
    return rc;
  if (last_id != NULL && last != NULL)
    snprintf(last_id, last_id_size, "%s", last);
  return malformed ? SG_EREPLY : first_rc;
}

/* ---- reading ---- */

/* XREADGROUP answers nil on timeout, else [[stream, entries]]. */
static int read_group(sg_triage *t, const char *from_id, int block_ms, size_t *n_done,
                      size_t *n_seen, char *last_id, size_t last_id_size) {
  /* BLOCK 0 would wait for ever; reading history never blocks anyway. */
  redisReply *reply =
      block_ms > 0
          ? redisCommand(t->c, "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s %s",
                         SG_GROUP_TRIAGE, t->consumer, SG_TRIAGE_BATCH, block_ms, t->k_reports,
                         from_id)
          : redisCommand(t->c, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s %s", SG_GROUP_TRIAGE,
                         t->consumer, SG_TRIAGE_BATCH, t->k_reports, from_id);
  int rc = sg_triage__check(t, reply);
  *n_seen = 0;
  if (rc == SG_OK && reply->type == REDIS_REPLY_ARRAY) {
    if (reply->elements != 1 || reply->element[0]->type != REDIS_REPLY_ARRAY ||
        reply->element[0]->elements != 2) {
      rc = SG_EREPLY;
    } else {
      const redisReply *entries = reply->element[0]->element[1];
      *n_seen = entries->type == REDIS_REPLY_ARRAY ? entries->elements : 0;
      rc = process_entries(t, entries, n_done, last_id, last_id_size);
    }
  } else if (rc == SG_OK && reply->type != REDIS_REPLY_NIL) {
    rc = SG_EREPLY;
  }
  freeReplyObject(reply);
  return rc;
}

int sg_triage_read(sg_triage *t, int block_ms, size_t *n_done) {
  size_t n_seen;
  *n_done = 0;
  return read_group(t, ">", block_ms, n_done, &n_seen, NULL, 0);
}

int sg_triage_claim(sg_triage *t, size_t *n_done) {
  *n_done = 0;
  for (int batch = 0; batch < CLAIM_BATCHES_PER_CALL; batch++) {
    /* Redis 7 answers [next cursor, entries, deleted ids] and drops deleted
     * entries from the pending list itself; 6.2 answers two elements and
     * returns deleted entries as nil, acknowledged in process_entries. */
    redisReply *reply = redisCommand(t->c, "XAUTOCLAIM %s %s %s %ld %s COUNT %d", t->k_reports,
                                     SG_GROUP_TRIAGE, t->consumer, t->claim_idle_ms,
                                     t->claim_cursor, SG_TRIAGE_BATCH);
    int rc = sg_triage__check(t, reply);
    if (rc == SG_OK &&
        (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
         reply->element[0]->type != REDIS_REPLY_STRING ||
         reply->element[0]->len >= (size_t)sizeof(t->claim_cursor)))
      rc = SG_EREPLY;
    if (rc == SG_OK) {
      snprintf(t->claim_cursor, sizeof(t->claim_cursor), "%s", reply->element[0]->str);
      rc = process_entries(t, reply->element[1], n_done, NULL, 0);
    }
    freeReplyObject(reply);
    if (rc != SG_OK)
      return rc;
    if (strcmp(t->claim_cursor, "0-0") == 0)
      break; /* went round the whole pending list */
  }
  return SG_OK;
}

/* ---- start ---- */

static int load_script(sg_triage *t) {
  redisReply *reply = redisCommand(t->c, "SCRIPT LOAD %b", t->script->data, t->script->size);
  int rc = sg_triage__check(t, reply);
  if (rc == SG_OK && (reply->type != REDIS_REPLY_STRING || reply->len >= sizeof(t->sha)))
    rc = SG_EREPLY;
  if (rc == SG_OK)
    snprintf(t->sha, sizeof(t->sha), "%s", reply->str);
  freeReplyObject(reply);
  return rc;
}

int sg_triage_start(sg_triage *t, redisContext *c) {
  t->c = c;
  /* At 0, not $: reports appended before the first worker ever started
   * must be triaged too. An existing group (BUSYGROUP) is what we want. */
  redisReply *reply = redisCommand(c, "XGROUP CREATE %s %s 0 MKSTREAM", t->k_reports,
                                   SG_GROUP_TRIAGE);
  int rc = sg_triage__check(t, reply);
  if (rc == SG_EREPLY && strncmp(reply->str, "BUSYGROUP", 9) == 0)
    rc = SG_OK;
  freeReplyObject(reply);
  if (rc == SG_OK)
    rc = load_script(t);

  /* Entries this consumer name read before a crash or an outage are still
   * pending under it: finish them now instead of waiting to claim them. The
   * read position moves past each one handled, so an entry that fails again
   * does not loop here, nor stop the start: the claim picks it up later. */
  char from[64] = "0";
  size_t n_done = 0, n_seen = SG_TRIAGE_BATCH;
  while (rc == SG_OK && n_seen > 0) {
    char last[64] = "";
    if (read_group(t, from, 0, &n_done, &n_seen, last, sizeof(last)) == SG_EUNAVAIL)
      rc = SG_EUNAVAIL;
    if (last[0] == '\0')
      break;
    snprintf(from, sizeof(from), "%s", last);
  }
  return rc;
}
