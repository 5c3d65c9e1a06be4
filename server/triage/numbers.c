/* The worker's pool of incident numbers: numbers taken from the region's
 * sequence ahead of need (one INCRBY per batch, pipelined with the batch's
 * reads), lent to openings in order and returned when an opening was not
 * applied, so the next batch uses them. */
#include <string.h>

#include "triage/batch.h"

int sg_triage__next_seq(sg_triage *t, long long *seq) {
  if (t->n_id_pool > 0) {
    *seq = t->id_pool[0];
    memmove(t->id_pool, t->id_pool + 1, --t->n_id_pool * sizeof(t->id_pool[0]));
    return SG_OK;
  }
  redisReply *reply = redisCommand(t->c, "INCR %s", t->k_seq);
  int rc = sg_triage__check(t, reply);
  if (rc == SG_OK && reply->type != REDIS_REPLY_INTEGER)
    rc = SG_EREPLY;
  if (rc == SG_OK)
    *seq = reply->integer;
  freeReplyObject(reply);
  return rc;
}

int sg_triage__take_numbers(sg_triage *t, long long asked) {
  redisReply *reply = NULL;
  if (redisGetReply(t->c, (void **)&reply) != REDIS_OK)
    return SG_EUNAVAIL;
  int rc = sg_triage__check(t, reply);
  if (rc == SG_OK && (reply->type != REDIS_REPLY_INTEGER || reply->integer < asked))
    rc = SG_EREPLY;
  /* INCRBY answers the last of the numbers it gave. */
  for (long long k = asked - 1; rc == SG_OK && k >= 0; k--)
    t->id_pool[t->n_id_pool++] = reply->integer - k;
  freeReplyObject(reply);
  return rc;
}

void sg_triage__drop_numbers(sg_triage *t, size_t k, const unsigned char *used) {
  size_t kept = 0;
  for (size_t i = 0; i < k; i++) {
    if (!used[i])
      t->id_pool[kept++] = t->id_pool[i];
  }
  memmove(t->id_pool + kept, t->id_pool + k, (t->n_id_pool - k) * sizeof(t->id_pool[0]));
  t->n_id_pool -= k - kept;
}

/* ---- a batch's openings ---- */

int sg_triage__top_up_numbers(batch *b) {
  sg_triage *t = b->t;
  /* Any report may open an incident: the pool is topped up to the batch's
   * size, so write_calls never waits for a number, and to half a batch at least, so
   * that the next batches open on sight. */
  size_t want = b->n_left > SG_TRIAGE_BATCH / 2 ? b->n_left : SG_TRIAGE_BATCH / 2;
  b->topped_up = t->n_id_pool < b->n_left ? (long long)(want - t->n_id_pool) : 0;
  if (b->topped_up > 0 &&
      redisAppendCommand(t->c, "INCRBY %s %lld", t->k_seq, b->topped_up) != REDIS_OK)
    return SG_EUNAVAIL;
  return SG_OK;
}

/* In the order opened, a later report's incident has the larger number:
 * the pool's first ones, which search_nearby made sure are there. */
int sg_triage__number_openings(batch *b) {
  sg_triage *t = b->t;
  if (b->n_opened > t->n_id_pool)
    return SG_EREPLY; /* search_nearby's INCRBY failed: the one-report path says why */
  for (size_t k = 0; k < b->n_opened; k++) {
    if (sg_triage_incident_id(b->opened[k]->id, SG_TRIAGE_ID_MAX, t->region, t->id_pool[k]) < 0)
      return SG_EINVAL;
  }
  b->n_numbered = b->n_opened;
  return SG_OK;
}

/* After write_calls: the numbers of openings that were applied leave the pool; those
 * of openings refused or never sent stay for the next one, in order. When
 * the connection failed, whether a sent opening was applied is unknown,
 * and its number is not used again. */
void sg_triage__settle_numbers(batch *b, int connection_failed) {
  unsigned char used[SG_TRIAGE_BATCH];
  for (size_t k = 0; k < b->n_numbered; k++) {
    const plan *p = b->opened[k]->opener;
    used[k] = p->state == PLAN_DONE || p->number_taken || (connection_failed && p->sent);
  }
  sg_triage__drop_numbers(b->t, b->n_numbered, used);
  b->n_numbered = 0;
}
