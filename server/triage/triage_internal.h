/* Shared by the files of the triage module only: triage.c reads the stream
 * and decodes entries, batch.c matches a whole batch of reports to
 * incidents with a fixed number of round trips, apply.c matches one
 * report at a time (the path a report takes when its batch's plan for it
 * failed) and fills in the transition.lua calls of both; match.c is the
 * join-or-open decision both make. */
#ifndef SG_TRIAGE_INTERNAL_H
#define SG_TRIAGE_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "core/embedded.h"
#include "store/keys.h"
#include "store/transition.h"
#include "triage/rules.h"
#include "triage/triage.h"
#include "triage/incident.h"

#define SG_TRIAGE_REGION_MAX 32
#define SG_TRIAGE_CONSUMER_MAX 128
#define SG_TRIAGE_DEAD_MAXLEN 10000
#define SG_TRIAGE_MARKER_TTL_S (7 * 24 * 3600)
#define SG_TRIAGE_INDEX_TTL_S 2592000 /* report index: 30 days, like idempotency keys */
#define SG_TRIAGE_ARENA_LIMIT (8u << 20)    /* memory for one report, all in */
#define SG_TRIAGE_INCIDENT_PB_MAX (1u << 20) /* a candidate larger than this is skipped */
/* A batch's decoded reports: a report is decoded only while at least
 * SG_TRIAGE_ARENA_LIMIT is left, as a single report always had, else the
 * batch is cut there and the rest forms the next one. */
#define SG_TRIAGE_BATCH_REPORTS_LIMIT (16u << 20)
/* A batch's candidates, built incidents and packed calls; when it runs out
 * the batch's reports take the one-report path instead. */
#define SG_TRIAGE_BATCH_WORK_LIMIT (32u << 20)
#define SG_TRIAGE_GEO_CANDIDATES 16 /* nearest open incidents looked at, of any category */
#define SG_TRIAGE_GEO_LAT_LIMIT 85.05112878 /* what a Redis geo set can hold */
/* Places of the worker's latest reports: one near them likely joins. */
#define SG_TRIAGE_RECENT_PLACES 256

/* One decoded, valid report of a batch. */
typedef struct sg_triage__entry {
  const char *entry_id; /* in the stream reply, which outlives the batch */
  char token[64];       /* tracking token, "" if none */
  Siaga__V1__Report *r; /* in t->batch_reports */
  sg_rules_result res;
  int rc; /* set by sg_triage__apply_batch: 0 once applied or already processed */
  int applied; /* opened on sight (sg_triage__open_on_sight): the batch path skips it */
} sg_triage__entry;

struct sg_triage {
  char region[SG_TRIAGE_REGION_MAX];
  char consumer[SG_TRIAGE_CONSUMER_MAX];
  long claim_idle_ms;
  char public_url[128]; /* "" when acknowledgements carry no link */
  sg_triage_dead_cb on_dead;
  void *data;
  sg_triage_done_cb on_done;

  redisContext *c; /* borrowed from the caller between start and stop */
  const sg_embedded_file *script;
  char sha[48]; /* SHA1 of transition.lua as SCRIPT LOAD returned it */
  char claim_cursor[64]; /* XAUTOCLAIM resumes here on the next call */

  char k_reports[SG_KEY_MAX];
  char k_dead[SG_KEY_MAX];
  char k_updates[SG_KEY_MAX];
  char k_open[SG_KEY_MAX];
  char k_geo[SG_KEY_MAX];
  char k_seq[SG_KEY_MAX];

  sg_arena arena; /* the one-report path's entry in hand; reset per entry */
  sg_arena batch_reports; /* the batch's decoded reports; reset per batch */
  sg_arena batch_work; /* the batch's plan; reset per attempt and batch */
  sg_triage__entry batch[SG_TRIAGE_BATCH]; /* the batch in hand, decoded */

  /* Incident numbers taken from the sequence and not used yet, ascending.
   * A batch takes what it may need with its first round trip, so opening
   * costs none of its own; what it does not use waits for the next
   * opening. Numbers are unique, but another worker's may overtake them. */
  long long id_pool[SG_TRIAGE_BATCH];
  size_t n_id_pool;

  /* Where this worker's latest reports were, a ring: a report near one of
   * them is not opened on sight, as it probably joins. */
  struct {
    double lat, lon;
  } recent[SG_TRIAGE_RECENT_PLACES];
  size_t n_recent, recent_next;
};

/* The phone map side of one transition, for a report linked by its number. */
typedef struct sg_triage__caller_map {
  const char *phone;   /* E.164; NULL when the report is not linked by number */
  const char *k_phone; /* siaga:{r}:phone:<e164> */
  const char *seen;    /* the map's value the decision was made on, "" for none */
} sg_triage__caller_map;

/* One transition.lua call: report r opens or joins incident inc. */
typedef struct sg_triage__step {
  const char *entry_id;
  const char *token;
  const Siaga__V1__Report *r;
  const Siaga__V1__Incident *inc; /* the next state, already at version expected + 1 */
  int64_t expected;               /* 0: the incident must not exist yet */
  Siaga__V1__UpdateKind kind;
  int64_t now_ms;
  sg_triage__caller_map cm;
  sg_transition_check check; /* an opening's, from sg_triage_match_check */
} sg_triage__step;

/* What transition.lua did with one call. */
typedef enum sg_triage__outcome {
  SG_TRIAGE__OUTCOME_DONE = 0,    /* applied, or the entry was already processed */
  SG_TRIAGE__OUTCOME_CONFLICT,    /* the incident's version moved: re-read, decide again */
  SG_TRIAGE__OUTCOME_PHONE_MOVED, /* the caller's phone map moved: re-read, decide again */
  SG_TRIAGE__OUTCOME_NEARBY,      /* an opening met an incident it did not see: decide again */
} sg_triage__outcome;

/* Maps a NULL reply (the connection failed) or an error reply to a code;
 * 0 if the reply is usable. Frees nothing. */
int sg_triage__check(const sg_triage *t, const redisReply *reply);

/* Writes the report's effect on incidents: joins a matching open incident or
 * opens one, with one transition.lua call (which also records the report's
 * tracking token, "" if none, in its index), re-reading and retrying when an
 * incident changed meanwhile. The call also marks entry_id processed and
 * acknowledges it. */
int sg_triage__apply(sg_triage *t, const char *entry_id, const char *token,
                     const Siaga__V1__Report *r, const sg_rules_result *res);

/* Appends step's transition.lua call to the connection's output buffer
 * without waiting for the reply: EVALSHA, or EVAL with the script's text
 * when with_body is set. The protobufs are packed into a; the command is
 * copied, so nothing of step need outlive the call. */
int sg_triage__append_transition(sg_triage *t, sg_arena *a, const sg_triage__step *step,
                                 int with_body);

/* Whether reply is Redis saying it does not have the script (restarted or
 * flushed): the call is to be made again with EVAL. */
int sg_triage__noscript(const redisReply *reply);

/* Reads transition.lua's answer into *out; SG_EREPLY for anything
 * else, an error reply included. */
int sg_triage__outcome_of(const sg_triage *t, const redisReply *reply, sg_triage__outcome *out);

/* Takes the lowest number of t's pool, or one from the sequence when the
 * pool is empty. */
int sg_triage__next_seq(sg_triage *t, long long *seq);

/* Reads the answer of an INCRBY of the sequence by `asked` (already sent)
 * and appends those numbers to the pool, which must have room for them.
 * SG_EREPLY (nothing added) for an answer that is not a number. */
int sg_triage__take_numbers(sg_triage *t, long long asked);

/* Of the pool's first k numbers (lent to openings), drops those whose
 * used[i] is set (applied, or existing already, or unknown after a failed
 * connection) and keeps the others first, in order. */
void sg_triage__drop_numbers(sg_triage *t, size_t k, const unsigned char *used);

/* Whether the script puts an incident at loc in the geo set: a point that
 * Web Mercator holds (transition.lua's has_point). */
int sg_triage__in_geo_set(const Siaga__V1__Location *loc);

/* Adds loc, if it has a point, to the worker's recent places. */
void sg_triage__remember_place(sg_triage *t, const Siaga__V1__Location *loc);

/* Sends, in one round trip, an opening with an empty check for every entry
 * of entries[0..n) that is not near the worker's recent places or an
 * earlier entry, while the id pool has numbers, and sets each entry's
 * applied: 1 for those the script applied, 0 for the others, which are left
 * to the batch path. Returns how many were applied, or SG_EUNAVAIL
 * when the connection failed. Allocates in t->batch_work. */
int sg_triage__open_on_sight(sg_triage *t, sg_triage__entry *entries, size_t n);

/* Opens or joins incidents for entries[0..n) (decoded, in stream order) with
 * a fixed number of round trips for the whole batch, and sets each entry's
 * rc; a report the batch could not apply as planned takes sg_triage__apply.
 * Returns SG_EUNAVAIL when the connection failed (the entries not yet
 * applied stay pending), else 0. Resets t->batch_work, not the reports. */
int sg_triage__apply_batch(sg_triage *t, sg_triage__entry *entries, size_t n);

#endif
