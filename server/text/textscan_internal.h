/* Shared inside the textscan module only (textscan.c, tokens.c, lexicon.c,
 * gazetteer.c): the token array and the helpers that read it. Not
 * for other modules; their contract is textscan.h. */
#ifndef SG_TEXTSCAN_INTERNAL_H
#define SG_TEXTSCAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "text/textscan.h"

#define SG_TEXTSCAN__MAX_TOKENS 768 /* more than SG_TEXTSCAN_MAX_INPUT can make of real words */
#define SG_TEXTSCAN__TOK_LEN 24     /* longer words are cut; no keyword is that long */

/* What separates a token from the next one, weakest first. SEP_BREAK ends a
 * clause (comma, full stop, newline, dash); phrases and names never cross it. */
enum { SEP_NONE, SEP_SPACE, SEP_HYPHEN, SEP_SLASH, SEP_DOT, SEP_BREAK };

/* What a lexicon phrase does to the words near it (tok.role). */
enum { ROLE_NONE, ROLE_NEGATOR, ROLE_PAST, ROLE_SINCE };

typedef struct tok {
  uint16_t start, end;              /* byte span in the input */
  uint8_t len;                      /* of norm */
  uint8_t sep;                      /* SEP_* after this token */
  uint8_t digit;                    /* all digits */
  uint8_t used;                     /* consumed by a lexicon match */
  uint8_t role;                     /* ROLE_*: set by a negator, past or since phrase */
  uint16_t clause;                  /* index of the clause (SEP_BREAK-separated) it is in */
  char norm[SG_TEXTSCAN__TOK_LEN];  /* folded, then read through the spelling table */
  char typed[SG_TEXTSCAN__TOK_LEN]; /* folded as typed, for the reasons */
} tok;

typedef struct tokens {
  tok t[SG_TEXTSCAN__MAX_TOKENS];
  size_t n;
} tokens;

/* Kinds of lexicon rows (data/lexicon/triage.tsv documents them). */
enum { LEX_WORD = 1, LEX_NEUTRAL, LEX_NEGATOR, LEX_PAST, LEX_SINCE, LEX_RESOLVED };

/* One lexicon entry: a phrase of folded words separated by single spaces,
 * the category it is evidence for (weight 1 weak .. 5) and/or cues. For a
 * resolved row, cue is what it cancels, category the evidence it withdraws
 * and weight its points. */
typedef struct lexentry {
  char phrase[48];
  uint8_t kind;     /* LEX_* */
  uint8_t category; /* sg_textscan_category, UNKNOWN for none */
  int8_t weight;
  uint32_t cue;
  char en[40];                    /* English gloss shown in reasons, "" for none */
  char key[SG_TEXTSCAN__TOK_LEN]; /* first word, runs of a letter squeezed: the index key */
  uint8_t plen;                   /* strlen(phrase) */
  uint8_t multi;                  /* more than one word */
  uint32_t line;                  /* in the file, for errors */
} lexentry;

typedef struct spelling {
  char from[SG_TEXTSCAN__TOK_LEN], to[SG_TEXTSCAN__TOK_LEN];
} spelling;

/* Entries are bucketed by the first letter of their phrase (a-z, 0-9, other):
 * a token is compared with its own bucket only. */
#define SG_TEXTSCAN__BUCKETS 37

/* The bucket of a phrase by its first letter: a-z, 0-9, the rest. The
 * lexicon sorts its entries so, and the reader looks only in a token's. */
static inline int sg_textscan__bucket(char c) {
  if (c >= 'a' && c <= 'z')
    return c - 'a';
  if (c >= '0' && c <= '9')
    return 26 + (c - '0');
  return SG_TEXTSCAN__BUCKETS - 1;
}
struct sg_textscan_lexicon {
  lexentry *e; /* bucket b is e[bucket[b] .. bucket[b + 1]) */
  size_t n;
  size_t bucket[SG_TEXTSCAN__BUCKETS + 1];
  spelling *sp; /* sorted by from */
  size_t n_sp;
  uint32_t *by_key; /* indices into e, sorted by key (then file order) */
  /* Hash indexes (open addressing, 1 + the index, 0 for an empty slot), so
   * a token costs one probe instead of a binary search of strcmp: the first
   * by_key position of each key, and each spelling row. */
  uint32_t *key_slot, *sp_slot;
  size_t key_mask, sp_mask;
};

/* The first position in lex->by_key of the entries whose key is key, or
 * lex->n when there is none. */
size_t sg_textscan__key_first(const sg_textscan_lexicon *lex, const char *key);

/* Writes s[0..len) with runs of one letter squeezed into out (size
 * SG_TEXTSCAN__TOK_LEN), cut to fit; returns the length. Two words compare
 * equal under sg_textscan__squeeze_eq only if their squeezed forms do. */
size_t sg_textscan__squeeze(const char *s, size_t len, char *out);

void sg_textscan__tokenize(const char *text, size_t len, tokens *out);
/* Reads tokens through the lexicon's spelling table and drops a glued "2"
 * of reduplication; keeps each token's typed form. */
void sg_textscan__normalise(const sg_textscan_lexicon *lex, tokens *tk);
/* The lexicon pass (reading.c): phrases, their scope, counts, the category. */
void sg_textscan__read(const sg_textscan_lexicon *lex, const char *text, size_t len, tokens *tk,
                       sg_textscan_result *r);
int sg_textscan__squeeze_eq(const char *a, size_t alen, const char *b, size_t *blen_out);
/* Whether a[0..n) and b[0..m) are exactly one edit apart (a substitution,
 * insertion, deletion or swap of neighbours), in one pass (reading.c). */
int sg_textscan__one_edit(const char *a, size_t n, const char *b, size_t m);
/* s[0..n) without its vowels into out (SG_TEXTSCAN__TOK_LEN bytes, cut to
 * fit): "menteng" -> "mntng"; returns the length (textscan.c). */
size_t sg_textscan__skeleton(const char *s, size_t n, char *out);
int sg_textscan__word_in(const tok *t, const char *const *list);
size_t sg_textscan__phrase_at(const tokens *tk, size_t i, const char *phrase, size_t strip);
void sg_textscan__copy_span(char *dst, size_t size, const char *text, size_t start, size_t end);
void sg_textscan__match_gazetteer(const sg_textscan_gazetteer *gaz, const char *text,
                                  const tokens *tk, sg_textscan_result *r);

#endif
