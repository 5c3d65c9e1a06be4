/* Merge and Unmerge, console commands on two incidents at once.
 *
 * Merge: two incidents are one emergency. The source's reports, notes and
 * numbers move into the target, which carries on with the more urgent
 * priority of the two; the source is CLOSED with merged_into naming the
 * target; the target keeps a MergeRecord of exactly what came in, so
 * Unmerge takes exactly that back out and reopens the source as it was.
 * Both are one merge.lua call that checks both versions, writes both
 * incidents and sends one update for each.
 *
 * A dispatcher may merge incidents that nobody else has in hand; one
 * another dispatcher holds is a supervisor's to merge (README "WebSocket
 * API"). */
#ifndef SG_MERGE_H
#define SG_MERGE_H

#include "api/commands.h"
#include "core/arena.h"

typedef struct sg_merge sg_merge;

/* redis must outlive the object. NULL on out of memory. */
sg_merge *sg_merge_create(sg_redis *redis, const char *region);
void sg_merge_destroy(sg_merge *merge);

/* Runs a Merge or Unmerge command (the caller checked who is signed in and
 * a dispatcher at least). done is called exactly once, possibly before
 * this returns; the command need not outlive the call. */
void sg_merge_run(sg_merge *merge, const Siaga__V1__Command *command, const sg_identity *who,
                  sg_commands_done_cb done, void *data);

/* What merge.lua and split.lua take of each incident they write, shared
 * with api/split.c: the Incident and the IncidentUpdate that carries it,
 * packed into the arena. 0, or -1 when the arena is full. */
typedef struct sg_merge_packed {
  uint8_t *pb, *upd;
  size_t pb_len, upd_len;
} sg_merge_packed;
int sg_merge_pack(sg_arena *arena, Siaga__V1__Incident *incident, Siaga__V1__UpdateKind kind,
                  const char *actor, uint64_t now, sg_merge_packed *out);
/* status, priority, score, created_at_ms, lon, lat as the scripts take them. */
void sg_merge_state_args(const Siaga__V1__Incident *incident, char buf[6][32]);

#endif
