/* Join or open: the one matcher of both triage paths, the batch
 * (batch.c) and the one-report path (apply.c). It builds the search of open
 * incidents near a report (one GEOSEARCH: radius, COUNT, WITHDIST), reads
 * its answer and the candidates' HMGET, decides which candidate takes the
 * report (the same caller, or the nearest of the same category, both within
 * their time windows), and states the opening check transition.lua makes
 * with the same radius and COUNT when the report opens an incident instead.
 *
 * Folder-internal (triage/ only). Nothing here waits for Redis: the
 * callers pipeline the commands and read the replies in their own order. */
#ifndef SG_TRIAGE_MATCH_H
#define SG_TRIAGE_MATCH_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "store/transition.h"
#include "triage/triage_internal.h"

/* One member of a GEOSEARCH answer. */
typedef struct sg_triage_match_hit {
  const char *id; /* in the arena; may make no key (then it is not read) */
  size_t len;
  double dist_m; /* Redis's distance from the report */
} sg_triage_match_hit;

/* A candidate incident: a GEOSEARCH hit as read, or (the batch) one it
 * built in memory, with the distance measured from it. */
typedef struct sg_triage_match_candidate {
  const Siaga__V1__Incident *inc; /* NULL: not usable (gone, too large, not decoding) */
  double dist_m;
} sg_triage_match_candidate;

/* Whether the report at loc is searched for: it has a point a Redis geo set
 * can hold. Without one there is nothing to measure distance from. */
int sg_triage_match_searchable(const Siaga__V1__Location *loc);

/* Appends the GEOSEARCH of the open incidents near loc (which must be
 * searchable): SG_TRIAGE_DEDUP_RADIUS_M, nearest first, at most
 * SG_TRIAGE_GEO_CANDIDATES, WITHDIST. SG_EUNAVAIL if hiredis cannot. */
int sg_triage_match_append_search(sg_triage *t, const Siaga__V1__Location *loc);

/* Reads a GEOSEARCH answer ([[member, distance], ...], nearest first) into
 * *hits (allocated in a, nearest first; *n of them); members of another
 * shape are skipped. SG_EREPLY when the reply is not an array (an error
 * reply included), SG_ENOMEM when a is exhausted. */
int sg_triage_match_hits(const redisReply *reply, sg_arena *a, sg_triage_match_hit **hits,
                         size_t *n);

/* Appends HMGET <key> pb version, the read of one candidate. */
int sg_triage_match_append_read(sg_triage *t, const char *key);

/* Decodes an HMGET pb version answer into *inc (in a) and *version. *inc
 * is NULL when the reply holds no usable incident (gone, too large, not
 * decoding); *version is then set if the reply carried one. Returns 0, or
 * SG_EREPLY for a reply that is not an array (an error reply included). */
int sg_triage_match_read(const redisReply *reply, sg_arena *a, Siaga__V1__Incident **inc,
                         int64_t *version);

/* Whether the incident the report's number last reported into takes the
 * report made at ref_ms (open, changed within the caller window; any
 * category). inc may be NULL (no such incident). */
int sg_triage_match_caller(const Siaga__V1__Incident *inc, int64_t ref_ms);

/* The candidate that takes a report of category made at ref_ms: of those
 * whose incident matches (same category, open, changed within the dedup
 * window), the nearest; of equals, the first. -1 when none. The distances
 * are within SG_TRIAGE_DEDUP_RADIUS_M already: the caller filters what it
 * measures itself. */
long sg_triage_match_nearest(const sg_triage_match_candidate *c, size_t n, const char *category,
                             int64_t ref_ms);

/* The opening check of transition.lua for an opening decided on the
 * search above: the ids it named (and any the caller knows of besides) are
 * the incidents the script may find there without refusing. */
sg_transition_check sg_triage_match_check(const char *const *known, size_t n_known);

#endif
