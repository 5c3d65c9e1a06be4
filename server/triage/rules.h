/* Triage rules: classify a report (category, severity cues) and score its
 * priority, recording every rule that fired so a dispatcher can see why.
 * Pure functions over a decoded Report; no I/O. The numbers are the active
 * protocol's (triage/protocol.h, data/protocol/triage-protocol.tsv); README.md
 * "Triage rules" explains them. */
#ifndef SG_RULES_H
#define SG_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "siaga/v1/siaga.pb-c.h"
#include "text/cue.h"

#define SG_RULES_MAX_REASONS 16
#define SG_RULES_CATEGORY_MAX 16

/* The reason of a plea with no readable complaint ("tolong"), holding it at
 * P2 until the caller clarifies (the incident drops it once they do). */
#define SG_RULES_UNCLEAR_RULE "category.unclear"

/* Stable name of one cue bit ("trapped"), or NULL if it is not exactly one
 * known bit. */
const char *sg_rules_cue_name(uint32_t cue);

typedef struct sg_rules_reason {
  char rule[48]; /* stable rule name, e.g. "category.fire" */
  int points;
  char detail[160]; /* shown to the dispatcher, Bahasa Indonesia / English */
} sg_rules_reason;

typedef struct sg_rules_result {
  char category[SG_RULES_CATEGORY_MAX]; /* canonical: fire, land_fire, haze, flood, accident,
                                           medical, crime, rescue, animal, hazard, other,
                                           nonemergency, unknown */
  int score;                            /* 0..100 */
  Siaga__V1__Priority priority;         /* from the score, see sg_rules_priority */
  uint32_t cues;                        /* bit set of SG_CUE_* found in the text */
  uint32_t resolved; /* SG_CUE_* the text says have passed ("sudah sadar") and does not
                        say again: an incident this report joins drops them */
  size_t n_reasons;
  sg_rules_reason reasons[SG_RULES_MAX_REASONS];
} sg_rules_result;

/* Evaluates one report. Never fails on any content: unknown text yields
 * category "unknown" with a base score. */
void sg_rules_evaluate(const Siaga__V1__Report *report, sg_rules_result *out);

/* Adds the corroboration bonus for an incident backed by n_reports distinct
 * reports (n_reports >= 1; 1 adds nothing) and recomputes the priority. */
void sg_rules_corroborate(sg_rules_result *result, size_t n_reports);

/* Sets score (the sum of the reasons' points, clamped to 0..100) and
 * priority from the reasons: how every result is scored, also after a merge. */
void sg_rules_settle(sg_rules_result *result);

/* P1 for the highest scores down to P4, by the active protocol's thresholds
 * (triage/protocol.h). */
Siaga__V1__Priority sg_rules_priority(int score);

/* Whether a category name is one siaga knows (including "unknown"). */
int sg_rules_category_known(const char *category);

#endif
