/* The pure half of triage: building the next state of an incident from a
 * report, with no I/O, so it can be tested without Redis.
 *
 * Every message built here lives in an arena (sg_triage_arena) that the
 * caller resets once the report is finished: decoded reports and candidate
 * incidents, the incidents built from them and their packed bytes are never
 * freed one by one. Built incidents share strings and sub-messages with their
 * inputs, which therefore must outlive them (they do: same arena). */
#ifndef SG_TRIAGE_INCIDENT_H
#define SG_TRIAGE_INCIDENT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_TRIAGE_SUMMARY_MAX 280         /* code points of an incident summary */
#define SG_TRIAGE_DEDUP_RADIUS_M 300      /* a report this close may join an incident */
#define SG_TRIAGE_DEDUP_WINDOW_MS (60 * 60 * 1000) /* ... if it changed this recently */
#define SG_TRIAGE_ID_MAX 32               /* "PLK-000042" and NUL, with room to spare */

/* A bump allocator with a hard limit, so a hostile or corrupt message cannot
 * make one report use unbounded memory. Chunks are malloc'd on demand. */
typedef struct sg_triage_arena {
  ProtobufCAllocator allocator; /* hand to protobuf_c unpack; free is a no-op */
  struct sg_triage_chunk *chunks;
  size_t used;  /* bytes handed out since the last reset */
  size_t limit; /* refuse allocations beyond this */
} sg_triage_arena;

void sg_triage_arena_init(sg_triage_arena *a, size_t limit);
/* Frees every chunk: all memory handed out since init is gone. */
void sg_triage_arena_reset(sg_triage_arena *a);
/* Returns 8-byte aligned memory, or NULL when the limit or malloc says no. */
void *sg_triage_arena_alloc(sg_triage_arena *a, size_t size);

/* Writes the incident id for a sequence number: the region in upper case, a
 * dash and at least six digits ("plk", 42 -> "PLK-000042"). Returns its
 * length, or -1 if it does not fit. */
int sg_triage_incident_id(char *buf, size_t size, const char *region, long long seq);

/* Whether a decoded incident may take a report of this category made at
 * ref_ms: same category, still open (not resolved or closed) and changed
 * within SG_TRIAGE_DEDUP_WINDOW_MS. Distance is the caller's (GEOSEARCH). */
int sg_triage_incident_matches(const Siaga__V1__Incident *inc, const char *category,
                               int64_t ref_ms);

/* Fills out with a new incident opened by report r with rules result res:
 * status OPEN, version 1, location and summary from the report. Returns 0, or
 * -1 when the arena is exhausted. */
int sg_triage_incident_open(sg_triage_arena *a, const Siaga__V1__Report *r,
                            const sg_rules_result *res, const char *id, int64_t now_ms,
                            Siaga__V1__Incident *out);

/* Fills out with incident cur after report r (rules result res) joined it:
 * report id appended (once), summary extended up to SG_TRIAGE_SUMMARY_MAX,
 * reasons merged (each rule once, at its stronger points) with the
 * corroboration for the number of reports, score and priority as the rules
 * make them from those reasons, version + 1. Status, category, location and
 * notes stay as they are. Returns 0, or -1 when the arena is exhausted. */
int sg_triage_incident_attach(sg_triage_arena *a, const Siaga__V1__Incident *cur,
                              const Siaga__V1__Report *r, const sg_rules_result *res,
                              int64_t now_ms, Siaga__V1__Incident *out);

/* Packs msg into the arena. Returns the bytes and sets *len, or NULL. */
uint8_t *sg_triage_pack(sg_triage_arena *a, const ProtobufCMessage *msg, size_t *len);

#endif
