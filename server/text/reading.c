/* The lexicon pass of the text reader: which phrases a text holds, what
 * their scope makes of them, and the category they add up to.
 *
 *  1. At each token the longest lexicon phrase wins (in the token's
 *     first-letter bucket only); a single word the lexicon does not know may
 *     match a long keyword with one typo. Negator, past and since phrases
 *     only mark their tokens; neutral ones consume theirs.
 *  2. Scope, per clause (clauses end at SEP_BREAK):
 *     - negation: a negator up to three words before a keyword cancels it
 *       ("blm ada yg luka"); a plea for help is never negated;
 *     - time: a past phrase in the clause ("kemarin", "tadi malam") that no
 *       since word introduces ("dari kemarin" is ongoing) makes its keywords
 *       a past event: their weight counts for nonemergency, their cues not;
 *     - resolution: "sudah dipadamkan", "udh sadar" cancel the cues they
 *       name and withdraw a category's evidence, and keep their points for
 *       the rules to apply.
 *  3. The category: the heaviest emergency category, unless the
 *     nonemergency evidence (thanks, a test, a question, a referral, past
 *     events) weighs at least as much. A hazard with someone trapped is a
 *     rescue. A second category with real evidence is kept as secondary.
 * Every match is recorded with the phrase that fired it, for the reasons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/textscan_internal.h"

#define MAX_HITS 256
#define NEGATION_REACH 3
/* Cues that say someone or something is in danger now. */
#define DANGER_CUES                                                                                \
  (SG_CUE_TRAPPED | SG_CUE_UNCONSCIOUS | SG_CUE_NOT_BREATHING | SG_CUE_BREATHING |                 \
   SG_CUE_BLEEDING | SG_CUE_SPREADING | SG_CUE_DROWNING | SG_CUE_DEEP_WATER | SG_CUE_EXPLOSION |   \
   SG_CUE_WEAPON | SG_CUE_INSIDE | SG_CUE_STROKE | SG_CUE_CHEST_PAIN | SG_CUE_SEIZURE |            \
   SG_CUE_ELECTROCUTION | SG_CUE_ENVENOMATION | SG_CUE_OVERDOSE | SG_CUE_CYANOSIS |                \
   SG_CUE_LIVE_WIRE)
#define NAMED_WEIGHT 3          /* a word that names the emergency ("kebakaran") */
#define QUESTION_WEIGHT 2       /* a '?' counts as this much nonemergency evidence */
#define QUESTION_MAX_EVIDENCE 1 /* ... when no emergency weighs more than this */

/* Whether a and b are exactly one edit apart (a substitution, insertion,
 * deletion or swap of two neighbours: optimal string alignment distance 1),
 * in one pass: this runs for every unknown long word against every long
 * keyword of its letter. */
int sg_textscan__one_edit(const char *a, size_t n, const char *b, size_t m) {
  if (n > m + 1 || m > n + 1)
    return 0;
  size_t i = 0;
  while (i < n && i < m && a[i] == b[i])
    i++;
  if (n == m) {
    if (i == n)
      return 0; /* equal */
    if (memcmp(a + i + 1, b + i + 1, n - i - 1) == 0)
      return 1;
    return i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           memcmp(a + i + 2, b + i + 2, n - i - 2) == 0;
  }
  if (n == m + 1)
    return memcmp(a + i + 1, b + i, m - i) == 0;
  return memcmp(a + i, b + i + 1, n - i) == 0;
}

typedef struct hit {
  const lexentry *e;
  uint16_t i, n;
  uint8_t fuzzy;
} hit;

/* Records one match for the reasons (weights are applied by the caller). */
static void record(sg_textscan_result *r, sg_textscan_match_kind kind, sg_textscan_category cat,
                   int weight, uint32_t cue, const char *word, const char *en, const tokens *tk,
                   size_t i, size_t n, int fuzzy) {
  if (r->n_matches >= SG_TEXTSCAN_MAX_MATCHES)
    return;
  sg_textscan_match *m = &r->matches[r->n_matches++];
  memset(m, 0, sizeof *m);
  m->kind = kind;
  m->category = cat;
  m->cue = cue;
  m->weight = weight;
  m->fuzzy = fuzzy;
  m->en = en ? en : "";
  snprintf(m->word, sizeof m->word, "%s", word);
  size_t o = 0;
  for (size_t k = i; k < i + n && k < tk->n && o + 1 < sizeof m->typed; k++) {
    int w = snprintf(m->typed + o, sizeof m->typed - o, "%s%s", k > i ? " " : "", tk->t[k].typed);
    if (w < 0)
      break;
    o += (size_t)w;
    if (o >= sizeof m->typed)
      o = sizeof m->typed - 1;
  }
}

static void add_word(sg_textscan_result *r, const lexentry *e, const tokens *tk, size_t i, size_t n,
                     int fuzzy) {
  if (e->cue)
    r->cues |= e->cue;
  if (e->category != SG_TEXTSCAN_UNKNOWN)
    r->category_weight[e->category] += e->weight;
  sg_textscan_match_kind kind = e->cue && e->category ? SG_TEXTSCAN_MATCH_BOTH
                                : e->cue              ? SG_TEXTSCAN_MATCH_CUE
                                                      : SG_TEXTSCAN_MATCH_CATEGORY;
  record(r, kind, (sg_textscan_category)e->category, e->weight, e->cue, e->phrase, e->en, tk, i, n,
         fuzzy);
}

static const char *const conjunctions[] = {"dan", "tapi", "and", "but", NULL};

static int negated(const tokens *tk, size_t i) {
  for (size_t back = 1; back <= NEGATION_REACH && back <= i; back++) {
    const tok *t = &tk->t[i - back];
    if (t->sep >= SEP_BREAK)
      return 0;
    /* "tdk sadar dan ga napas": a negation inside an earlier keyword
     * phrase belongs to that phrase */
    if (!t->used && t->role == ROLE_NEGATOR)
      return 1;
    /* "ga nangis dan lemas": a conjunction ends what a negation covers */
    if (sg_textscan__word_in(t, conjunctions))
      return 0;
  }
  return 0;
}

/* Words that look like a typo of a keyword but are ordinary words. */
static const char *const never_fuzzy[] = {"terbaik", "terbaru", "sekolah",  "kemarin", "bersama",
                                          "pencari", "tempat",  "rumahnya", NULL};
static const char *const clitics[] = {"nya", "lah", "kah", "ku", "mu", NULL};

/* Entries whose first word may be token i (less `strip` clitic bytes): the
 * index narrows them to one key, phrase_at decides. */
static void try_key(const sg_textscan_lexicon *lex, const tokens *tk, size_t i, size_t strip,
                    const lexentry **best, size_t *best_n) {
  const tok *t = &tk->t[i];
  char key[SG_TEXTSCAN__TOK_LEN];
  sg_textscan__squeeze(t->norm, t->len - strip, key);
  for (size_t k = sg_textscan__key_first(lex, key); k < lex->n; k++) {
    const lexentry *e = &lex->e[lex->by_key[k]];
    if (strcmp(e->key, key) != 0)
      break;
    size_t n = sg_textscan__phrase_at(tk, i, e->phrase, strip);
    /* longest wins; among equal lengths the earlier row (lower index) */
    if (n > *best_n || (n && n == *best_n && e < *best))
      *best = e, *best_n = n;
  }
}

static const lexentry *best_at(const sg_textscan_lexicon *lex, const tokens *tk, size_t i,
                               size_t *n_out, int *fuzzy) {
  const tok *t = &tk->t[i];
  const lexentry *best = NULL;
  size_t best_n = 0;
  *fuzzy = 0;
  try_key(lex, tk, i, 0, &best, &best_n);
  if (!best) {
    for (const char *const *c = clitics; *c; c++) {
      size_t cl = strlen(*c);
      if (t->len >= cl + 3 && memcmp(t->norm + t->len - cl, *c, cl) == 0)
        try_key(lex, tk, i, cl, &best, &best_n);
      if (best)
        break;
    }
  }
  int b = sg_textscan__bucket(t->norm[0]);
  if (!best && !t->digit && t->len >= 6 && !sg_textscan__word_in(t, never_fuzzy)) {
    for (size_t k = lex->bucket[b]; k < lex->bucket[b + 1]; k++) {
      const lexentry *e = &lex->e[k];
      size_t pl = e->plen;
      if (e->kind == LEX_WORD && pl >= 7 && !e->multi &&
          sg_textscan__one_edit(t->norm, t->len, e->phrase, pl)) {
        best = e, best_n = 1, *fuzzy = 1;
        break;
      }
    }
  }
  *n_out = best_n;
  return best;
}

/* Pass 1: every phrase, in order; roles marked, hits kept for pass 2. */
static size_t find_hits(const sg_textscan_lexicon *lex, tokens *tk, hit *hits) {
  size_t nh = 0;
  for (size_t i = 0; i < tk->n; i++) {
    size_t n;
    int fuzzy;
    const lexentry *e = best_at(lex, tk, i, &n, &fuzzy);
    if (!e)
      continue;
    switch (e->kind) {
    case LEX_NEGATOR:
      tk->t[i].role = ROLE_NEGATOR;
      break;
    case LEX_PAST:
      tk->t[i].role = ROLE_PAST;
      break;
    case LEX_SINCE:
      tk->t[i].role = ROLE_SINCE;
      break;
    default:
      for (size_t k = i; k < i + n; k++)
        tk->t[k].used = 1;
      if (e->kind != LEX_NEUTRAL && nh < MAX_HITS)
        hits[nh++] = (hit){e, (uint16_t)i, (uint16_t)n, (uint8_t)fuzzy};
      break;
    }
    i += n - 1;
  }
  return nh;
}

/* Marks the clauses that speak of the past: a past phrase not introduced
 * by a since word ("dari semalam" is ongoing). */
static void mark_clauses(tokens *tk, uint8_t *past) {
  uint16_t clause = 0;
  for (size_t k = 0; k < tk->n; k++) {
    tk->t[k].clause = clause;
    if (tk->t[k].role == ROLE_PAST && !(k > 0 && tk->t[k - 1].role == ROLE_SINCE))
      past[clause] = 1;
    if (tk->t[k].sep >= SEP_BREAK)
      clause++;
  }
}

/* ---- numbers: "5 orang luka", "tiga rumah terbakar" ---- */

static const char *const number_words[] = {
    "dua",     "tiga",    "empat",   "lima",    "enam", "tujuh",  "delapan", "sembilan",
    "sepuluh", "belasan", "puluhan", "ratusan", "two",  "three",  "four",    "five",
    "six",     "seven",   "eight",   "nine",    "ten",  "dozens", NULL};
static const char *const people_words[] = {"orang",      "org",     "korban",
                                           "jiwa",       "warga",   "penumpang",
                                           "penduduk",   "kk",      /* households */ "people",
                                           "persons",    "victims", "injured",
                                           "casualties", NULL};
static const char *const age_words[] = {"umur", "usia", "umurnya", "usianya", "age", "aged", NULL};
static const char *const house_words[] = {"rumah",  "ruko",  "kios",      "bangunan",
                                          "houses", "homes", "buildings", NULL};
static const char *const number_prefixes[] = {"km",   "no",   "nomor", "rt",    "rw", "gg",
                                              "gang", "blok", "jam",   "pukul", NULL};

static long token_count(const tok *t) {
  if (t->digit)
    return t->len > 6 ? 0 : strtol(t->norm, NULL, 10);
  for (size_t k = 0; number_words[k]; k++) {
    size_t dummy;
    if (number_words[k][0] == t->norm[0] &&
        sg_textscan__squeeze_eq(t->norm, t->len, number_words[k], &dummy) &&
        number_words[k][dummy] == 0)
      return k == 0 ? 2 : 3 + (long)(k >= 12 ? k - 12 : k - 1);
  }
  return 0;
}

static void cue_at(sg_textscan_result *r, uint32_t cue, const char *word, const char *en,
                   const tokens *tk, size_t i, size_t n, const uint8_t *past) {
  if (past[tk->t[i].clause])
    return;
  r->cues |= cue;
  record(r, SG_TEXTSCAN_MATCH_CUE, SG_TEXTSCAN_UNKNOWN, 0, cue, word, en, tk, i, n, 0);
}

static void match_counts(const tokens *tk, sg_textscan_result *r, const uint8_t *past) {
  for (size_t i = 0; i < tk->n; i++) {
    const tok *t = &tk->t[i];
    long n = token_count(t);
    /* "umur 70", "usia 3": an age says elderly or child */
    if (t->digit && i > 0 && sg_textscan__word_in(&tk->t[i - 1], age_words) && n <= 120) {
      if (n >= 60)
        cue_at(r, SG_CUE_ELDERLY, "umur", "elderly (age)", tk, i - 1, 2, past);
      else if (n <= 12)
        cue_at(r, SG_CUE_CHILD, "umur", "child (age)", tk, i - 1, 2, past);
      continue;
    }
    if (n < 2 || i + 1 >= tk->n || t->sep >= SEP_BREAK ||
        (i > 0 && sg_textscan__word_in(&tk->t[i - 1], number_prefixes)))
      continue;
    const tok *next = &tk->t[i + 1];
    if (n >= 3 && sg_textscan__word_in(next, people_words) && !negated(tk, i))
      cue_at(r, SG_CUE_MANY_CASUALTIES, "n orang", "many casualties", tk, i, 2, past);
    else if (sg_textscan__word_in(next, house_words) && !negated(tk, i))
      cue_at(r, SG_CUE_SPREADING, "n rumah", "several buildings", tk, i, 2, past);
  }
}

/* ---- category decision ---- */

/* Ties go to the category whose responders are hardest to redirect later;
 * a land fire before a fire, as "api di semak" is the land's. */
static const sg_textscan_category tie_order[] = {
    SG_TEXTSCAN_RESCUE, SG_TEXTSCAN_LAND_FIRE, SG_TEXTSCAN_FIRE,  SG_TEXTSCAN_ACCIDENT,
    SG_TEXTSCAN_CRIME,  SG_TEXTSCAN_MEDICAL,   SG_TEXTSCAN_FLOOD, SG_TEXTSCAN_HAZARD,
    SG_TEXTSCAN_ANIMAL, SG_TEXTSCAN_HAZE,      SG_TEXTSCAN_OTHER};

static void decide_category(sg_textscan_result *r) {
  int best = 0, second = 0, total = 0;
  sg_textscan_category cat = SG_TEXTSCAN_UNKNOWN, sec = SG_TEXTSCAN_UNKNOWN;
  for (size_t k = 0; k < sizeof tie_order / sizeof tie_order[0]; k++) {
    int w = r->category_weight[tie_order[k]];
    total += w;
    if (w > best) {
      second = best, sec = cat;
      best = w, cat = tie_order[k];
    } else if (w > second) {
      second = w, sec = tie_order[k];
    }
  }
  int non = r->category_weight[SG_TEXTSCAN_NONEMERGENCY];
  /* "bakar sampah tp makin besar": a danger said now outweighs the words
   * that would make it routine. */
  if (non > 0 && non >= best && !(best > 0 && (r->cues & DANGER_CUES))) {
    r->category = SG_TEXTSCAN_NONEMERGENCY;
    r->secondary = best >= 2 ? cat : SG_TEXTSCAN_UNKNOWN;
    r->category_confidence = (non / (non + 1.5)) * ((double)non / (non + total));
    return;
  }
  /* The victim's state ("ga sadar", "terjepit") is no incident of its own
   * when a fire, a crash, a flood or a crime is named (weight 3): that one
   * decides the first response, the medical or rescue need is secondary. */
  if (cat == SG_TEXTSCAN_MEDICAL || cat == SG_TEXTSCAN_RESCUE) {
    static const sg_textscan_category named[] = {SG_TEXTSCAN_FIRE, SG_TEXTSCAN_LAND_FIRE,
                                                 SG_TEXTSCAN_ACCIDENT, SG_TEXTSCAN_FLOOD,
                                                 SG_TEXTSCAN_CRIME};
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
      if (r->category_weight[named[k]] >= NAMED_WEIGHT) {
        sec = cat, second = best;
        cat = named[k], best = r->category_weight[named[k]];
        break;
      }
  }
  /* A tree on an occupied car: the first response is the rescue. */
  if (cat == SG_TEXTSCAN_HAZARD && (r->cues & (SG_CUE_TRAPPED | SG_CUE_INSIDE))) {
    sec = cat, second = best;
    cat = SG_TEXTSCAN_RESCUE;
  }
  r->category = cat;
  r->secondary = second >= 2 ? sec : SG_TEXTSCAN_UNKNOWN;
  /* Strength grows with evidence (one strong keyword: 0.67), scaled by the
   * share the winner has over competing categories. */
  r->category_confidence = best > 0 ? (best / (best + 1.5)) * ((double)best / total) : 0.0;
}

static int max_emergency(const sg_textscan_result *r) {
  int best = 0;
  for (size_t k = 0; k < sizeof tie_order / sizeof tie_order[0]; k++)
    if (r->category_weight[tie_order[k]] > best)
      best = r->category_weight[tie_order[k]];
  return best;
}

void sg_textscan__read(const sg_textscan_lexicon *lex, const char *text, size_t len, tokens *tk,
                       sg_textscan_result *r) {
  hit hits[MAX_HITS];
  uint8_t past[SG_TEXTSCAN__MAX_TOKENS] = {0};
  size_t nh = find_hits(lex, tk, hits);
  mark_clauses(tk, past);
  uint32_t cancel = 0;
  for (size_t h = 0; h < nh; h++) {
    const lexentry *e = hits[h].e;
    size_t i = hits[h].i, n = hits[h].n;
    /* A plea for help is never negated: "ga bisa jalan tolong". */
    if (e->cue != SG_CUE_URGENT && negated(tk, i))
      continue;
    if (e->kind == LEX_RESOLVED) {
      cancel |= e->cue;
      if (e->category != SG_TEXTSCAN_UNKNOWN)
        r->category_weight[e->category] = -1000; /* withdrawn, whatever follows */
      record(r, SG_TEXTSCAN_MATCH_RESOLVED, (sg_textscan_category)e->category, e->weight, e->cue,
             e->phrase, e->en, tk, i, n, 0);
      continue;
    }
    if (past[tk->t[i].clause] && e->category != SG_TEXTSCAN_NONEMERGENCY) {
      if (e->category != SG_TEXTSCAN_UNKNOWN) {
        r->category_weight[SG_TEXTSCAN_NONEMERGENCY] += e->weight;
        record(r, SG_TEXTSCAN_MATCH_PAST, SG_TEXTSCAN_NONEMERGENCY, e->weight, 0, e->phrase, e->en,
               tk, i, n, hits[h].fuzzy);
      }
      continue;
    }
    add_word(r, e, tk, i, n, hits[h].fuzzy);
  }
  for (int c = 0; c < SG_TEXTSCAN_CATEGORY_COUNT; c++)
    if (r->category_weight[c] < 0)
      r->category_weight[c] = 0;
  match_counts(tk, r, past);
  r->cues_resolved = r->cues & cancel;
  r->cues &= ~cancel;
  /* "kapan nyala pak?": a question with little emergency in it */
  if (tk->n > 0 && memchr(text, '?', len < SG_TEXTSCAN_MAX_INPUT ? len : SG_TEXTSCAN_MAX_INPUT) &&
      max_emergency(r) <= QUESTION_MAX_EVIDENCE) {
    r->category_weight[SG_TEXTSCAN_NONEMERGENCY] += QUESTION_WEIGHT;
    record(r, SG_TEXTSCAN_MATCH_QUESTION, SG_TEXTSCAN_NONEMERGENCY, QUESTION_WEIGHT, 0, "?",
           "a question", tk, 0, 0, 0);
  }
  decide_category(r);
}
