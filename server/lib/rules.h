/* Triage rules: classify a report (category, severity cues) and score its
 * priority, recording every rule that fired so a dispatcher can see why.
 * Pure functions over a decoded Report; no I/O. The rule set is documented in
 * README.md ("Triage rules"). */
#ifndef SG_RULES_H
#define SG_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "siaga/v1/siaga.pb-c.h"

#define SG_RULES_MAX_REASONS 16
#define SG_RULES_CATEGORY_MAX 16

/* Severity cues: things a citizen says that make an emergency more urgent,
 * whatever its category. They are bits so a result carries all of them at
 * once; textscan finds them (Indonesian and English, informal spellings) and
 * rules.c gives each its points. The values are stable: they are logged. */
enum {
  SG_CUE_TRAPPED = 1u << 0,         /* terjebak, terjepit: trapped */
  SG_CUE_UNCONSCIOUS = 1u << 1,     /* pingsan, tidak sadar: unconscious */
  SG_CUE_NOT_BREATHING = 1u << 2,   /* tidak bernapas, henti napas: not breathing */
  SG_CUE_BREATHING = 1u << 3,       /* sesak napas: difficulty breathing */
  SG_CUE_BLEEDING = 1u << 4,        /* darah, berdarah: bleeding */
  SG_CUE_INJURED = 1u << 5,         /* luka, patah: injured */
  SG_CUE_CHILD = 1u << 6,           /* anak, balita, bayi: child */
  SG_CUE_ELDERLY = 1u << 7,         /* lansia, kakek, nenek: elderly */
  SG_CUE_PREGNANT = 1u << 8,        /* hamil, melahirkan: pregnant or in labour */
  SG_CUE_MANY_CASUALTIES = 1u << 9, /* banyak korban, "5 orang": many casualties */
  SG_CUE_WEAPON = 1u << 10,         /* senjata, pisau, parang, mandau: weapon */
  SG_CUE_SPREADING = 1u << 11,      /* merembet, api besar, banyak rumah: spreading or large */
  SG_CUE_PEAT_FIRE = 1u << 12,      /* karhutla, lahan gambut: land or peat fire */
  SG_CUE_DROWNING = 1u << 13,       /* tenggelam, hanyut: drowning or swept away */
  SG_CUE_DEEP_WATER = 1u << 14,     /* sedada, sampai atap: water chest-deep or higher */
  SG_CUE_EXPLOSION = 1u << 15,      /* ledakan, tabung gas: explosion */
  SG_CUE_FATALITY = 1u << 16,       /* meninggal, tewas: someone died */
  SG_CUE_URGENT = 1u << 17,         /* tolong, segera, darurat: plea for help */
};
#define SG_CUE_COUNT 18

/* Stable name of one cue bit ("trapped"), or NULL if it is not exactly one
 * known bit. */
const char *sg_rules_cue_name(uint32_t cue);

typedef struct sg_rules_reason {
  char rule[48]; /* stable rule name, e.g. "category.fire" */
  int points;
  char detail[160]; /* shown to the dispatcher, Bahasa Indonesia / English */
} sg_rules_reason;

typedef struct sg_rules_result {
  char category[SG_RULES_CATEGORY_MAX]; /* canonical: fire, flood, accident, medical, crime,
                                           rescue, other, unknown */
  int score;                            /* 0..100 */
  Siaga__V1__Priority priority;         /* from the score, see sg_rules_priority */
  uint32_t cues;                        /* bit set of SG_CUE_* found in the text */
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

/* P1 for the highest scores down to P4; thresholds in rules.c. */
Siaga__V1__Priority sg_rules_priority(int score);

/* Whether a category name is one siaga knows (including "unknown"). */
int sg_rules_category_known(const char *category);

#endif
