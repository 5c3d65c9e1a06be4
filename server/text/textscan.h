/* Free-text understanding of what citizens write (app descriptions and plain
 * SMS): which kind of emergency, which severity cues, and where.
 *
 * Text is UTF-8 in any case, with or without diacritics, in Bahasa Indonesia,
 * English or both, with the abbreviations people really type ("tlg", "kbakaran",
 * "jln", "dkt", "rt.3/rw.5"). Hostile input is fine: invalid UTF-8 and control
 * bytes are separators, and only the first SG_TEXTSCAN_MAX_INPUT bytes are read.
 *
 * Place names of the city (kelurahan, kecamatan) come from a gazetteer file
 * loaded at runtime (data/gazetteer/palangka-raya.tsv); the words, their
 * spellings and the words that scope them (negation, time, resolution) from
 * a lexicon file (data/lexicon/triage.tsv, built in). Both formats are
 * documented at the top of their files.
 *
 * Scanning is a pure function and may run on any number of threads sharing
 * one gazetteer and one lexicon. */
#ifndef SG_TEXTSCAN_H
#define SG_TEXTSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "text/cue.h"

#define SG_TEXTSCAN_MAX_INPUT 4096 /* bytes read; ten concatenated SMS fit */
#define SG_TEXTSCAN_MAX_MATCHES 32

typedef enum sg_textscan_category {
  SG_TEXTSCAN_UNKNOWN = 0, /* nothing recognised */
  SG_TEXTSCAN_FIRE,
  SG_TEXTSCAN_FLOOD,
  SG_TEXTSCAN_ACCIDENT,
  SG_TEXTSCAN_MEDICAL,
  SG_TEXTSCAN_CRIME,
  SG_TEXTSCAN_RESCUE,
  SG_TEXTSCAN_OTHER,        /* recognised but none of the others */
  SG_TEXTSCAN_LAND_FIRE,    /* karhutla: forest, peat, scrub, field */
  SG_TEXTSCAN_HAZE,         /* smoke and haze complaints */
  SG_TEXTSCAN_ANIMAL,       /* snakes, hornets, crocodiles, stray animals */
  SG_TEXTSCAN_HAZARD,       /* fallen trees, live wires, gas leaks, road hazards */
  SG_TEXTSCAN_NONEMERGENCY, /* questions, tests, thanks, past events, referrals (PLN, RT) */
  SG_TEXTSCAN_CATEGORY_COUNT
} sg_textscan_category;

/* Errors are the codes of core/error.h, returned negative (name them with
 * sg_strerror): the gazetteer loaders return SG_ENOMEM, SG_EIO (cannot open
 * or read the file, errno kept), SG_EFORMAT (a line is not
 * kind,name,kecamatan,lat,lon,approx,source) and SG_ETOOBIG (file over 1 MiB
 * or over 4096 rows). */

/* Canonical lower-case name ("fire"), and back; from_name returns
 * SG_TEXTSCAN_UNKNOWN for any name it does not know. */
const char *sg_textscan_category_name(sg_textscan_category c);
sg_textscan_category sg_textscan_category_from_name(const char *name);

/* ---- gazetteer ---- */

typedef struct sg_textscan_gazetteer sg_textscan_gazetteer;

/* Loads a gazetteer TSV. On success *out owns it: free it with
 * sg_textscan_gazetteer_destroy. On error *out is NULL and, for EFORMAT,
 * *bad_line (if not NULL) is the 1-based line that failed; a file that
 * cannot be opened or read gives the negated errno (-ENOENT ...). */
int sg_textscan_gazetteer_load(const char *path, sg_textscan_gazetteer **out, int *bad_line);
int sg_textscan_gazetteer_load_buffer(const char *buf, size_t len, sg_textscan_gazetteer **out,
                                      int *bad_line);
void sg_textscan_gazetteer_destroy(sg_textscan_gazetteer *gaz);
size_t sg_textscan_gazetteer_size(const sg_textscan_gazetteer *gaz);

/* ---- lexicon ---- */

typedef struct sg_textscan_lexicon sg_textscan_lexicon;

/* Loads a lexicon TSV. On success *out owns it: free it with
 * sg_textscan_lexicon_destroy. On error *out is NULL and *bad_line (1-based,
 * 0 when no line is to blame) and *why (a static English sentence) say what
 * is wrong; either may be NULL. Errors: SG_EFORMAT (a bad row), SG_ETOOBIG
 * (over 1 MiB or 8192 rows), SG_EIO, SG_ENOMEM. */
int sg_textscan_lexicon_load(const char *path, sg_textscan_lexicon **out, int *bad_line,
                             const char **why);
int sg_textscan_lexicon_load_buffer(const char *buf, size_t len, sg_textscan_lexicon **out,
                                    int *bad_line, const char **why);
void sg_textscan_lexicon_destroy(sg_textscan_lexicon *lex);
size_t sg_textscan_lexicon_size(const sg_textscan_lexicon *lex); /* phrase rows */

/* The built-in lexicon (data/lexicon/triage.tsv embedded at build time),
 * read on first use and owned by the program; NULL only if that file is
 * bad, which tests/unit/test_textscan.c rules out. */
const sg_textscan_lexicon *sg_textscan_lexicon_builtin(void);

/* ---- scanning ---- */

typedef enum sg_textscan_match_kind {
  SG_TEXTSCAN_MATCH_CATEGORY = 1, /* a keyword counted for `category` */
  SG_TEXTSCAN_MATCH_CUE,          /* a severity cue, bit in `cue` */
  SG_TEXTSCAN_MATCH_BOTH,         /* both at once (tenggelam: rescue + drowning) */
  SG_TEXTSCAN_MATCH_PAST,         /* a keyword about the past ("kemarin ... kebakaran"):
                                     its weight counted for nonemergency, no cue */
  SG_TEXTSCAN_MATCH_RESOLVED,     /* a danger that passed ("udh sadar"): `cue` the cues
                                     it cancelled, `weight` its points */
  SG_TEXTSCAN_MATCH_QUESTION,     /* a question mark with little else: nonemergency */
} sg_textscan_match_kind;

/* One keyword found, to explain a decision. `word` is the lexicon form
 * (lower case, no diacritics, e.g. "tidak sadar"); `typed` is what the citizen
 * typed, folded the same way (e.g. "gak sadar", "kbakaran"); `en` an English
 * gloss. */
typedef struct sg_textscan_match {
  sg_textscan_match_kind kind;
  sg_textscan_category category;
  uint32_t cue;
  int weight;
  int fuzzy; /* 1 if matched by a one-letter typo, not exactly */
  char word[32];
  char typed[32];
  const char *en; /* owned by the lexicon (or static), "" for none */
} sg_textscan_match;

typedef struct sg_textscan_result {
  sg_textscan_category category;                   /* best category, UNKNOWN if none */
  sg_textscan_category secondary;                  /* a second emergency category with
                                                      real evidence, UNKNOWN if none */
  double category_confidence;                      /* 0..1; 0 for UNKNOWN */
  int category_weight[SG_TEXTSCAN_CATEGORY_COUNT]; /* evidence per category */
  uint32_t cues;                                   /* SG_CUE_* bits, resolved ones removed */
  uint32_t cues_resolved;                          /* cues said to have passed ("udh sadar") */

  /* Place, each field "" / 0 when absent. Text fields are copied from the
   * input (valid UTF-8, trimmed), without their marker word: street
   * "Tjilik Riwut km 5" for "Jl. Tjilik Riwut km 5". */
  char street[64];
  char gang[48];
  char landmark[64];
  char landmark_relation[16]; /* canonical: dekat, depan, belakang, samping, seberang, di */
  int rt, rw;

  /* Best gazetteer match (needs a gazetteer). lat/lon are the centroid of
   * the most specific area named; place_approx is 1 when the gazetteer row
   * says its centroid is approximate. */
  char kelurahan[40];
  char kecamatan[40];
  double lat, lon;
  double place_confidence; /* 0 when nothing matched */
  int place_approx;

  size_t n_matches;
  sg_textscan_match matches[SG_TEXTSCAN_MAX_MATCHES];
} sg_textscan_result;

/* Scans text (not necessarily NUL-terminated; len bytes). gaz may be NULL:
 * then no kelurahan/kecamatan is matched. Never fails. */
void sg_textscan_scan(const sg_textscan_gazetteer *gaz, const char *text, size_t len,
                      sg_textscan_result *out);
/* The same with a lexicon of one's own (lex NULL: the built-in one). */
void sg_textscan_scan_with(const sg_textscan_lexicon *lex, const sg_textscan_gazetteer *gaz,
                           const char *text, size_t len, sg_textscan_result *out);
/* The reading alone, with the built-in lexicon: category, secondary,
 * cues and matches exactly as sg_textscan_scan finds them, the place
 * fields left empty. For the triage rules, which score what a text says
 * and take its place from the report: a third less work per byte. */
void sg_textscan_read(const char *text, size_t len, sg_textscan_result *out);

/* Writes a one-line address for a dispatcher from the place fields, e.g.
 * "Jl. Tjilik Riwut km 5, Gg. Damai, dekat pasar Kahayan, RT 3/RW 5,
 * Kel. Menteng, Kec. Jekan Raya". Returns the length written (truncated to
 * fit, always NUL-terminated when size > 0), 0 when no place is known. */
size_t sg_textscan_format_address(const sg_textscan_result *r, char *buf, size_t size);

#endif
