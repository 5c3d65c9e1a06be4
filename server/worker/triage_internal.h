/* Shared by the files of the triage module only: triage.c reads the stream
 * and decodes entries, triage_apply.c matches a report to an incident and
 * runs transition.lua. */
#ifndef SG_TRIAGE_INTERNAL_H
#define SG_TRIAGE_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "embedded.h"
#include "keys.h"
#include "rules.h"
#include "triage.h"
#include "triage_incident.h"

#define SG_TRIAGE_REGION_MAX 32
#define SG_TRIAGE_CONSUMER_MAX 128
#define SG_TRIAGE_UPDATES_MAXLEN 10000
#define SG_TRIAGE_DEAD_MAXLEN 10000
#define SG_TRIAGE_MARKER_TTL_S (7 * 24 * 3600)
#define SG_TRIAGE_INDEX_TTL_S "2592000" /* report index: 30 days, like idempotency keys */
#define SG_TRIAGE_ARENA_LIMIT (8u << 20)    /* memory for one report, all in */
#define SG_TRIAGE_INCIDENT_PB_MAX (1u << 20) /* a candidate larger than this is skipped */

struct sg_triage {
  char region[SG_TRIAGE_REGION_MAX];
  char consumer[SG_TRIAGE_CONSUMER_MAX];
  long claim_idle_ms;
  sg_triage_on_dead on_dead;
  void *data;

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

  sg_triage_arena arena; /* everything about the entry in hand; reset per entry */
};

/* Wall clock in Unix milliseconds. */

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

#endif
