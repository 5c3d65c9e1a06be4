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

typedef struct tok {
  uint16_t start, end; /* byte span in the input */
  uint8_t len;         /* of norm */
  uint8_t sep;         /* SEP_* after this token */
  uint8_t digit;       /* all digits */
  uint8_t used;        /* consumed by a lexicon match */
  char norm[SG_TEXTSCAN__TOK_LEN];
} tok;

typedef struct tokens {
  tok t[SG_TEXTSCAN__MAX_TOKENS];
  size_t n;
} tokens;

/* One lexicon entry: a phrase of folded words separated by single spaces,
 * the category it is evidence for (weight 1 weak .. 3 strong) and/or a cue. */
typedef struct lexentry {
  const char *phrase;
  uint8_t category; /* sg_textscan_category, UNKNOWN for a cue only */
  uint8_t weight;
  uint32_t cue;
  const char *en; /* English gloss shown in reasons */
} lexentry;

/* Terminated by an entry with phrase NULL. */
extern const lexentry sg_textscan__lexicon[];

void sg_textscan__tokenize(const char *text, size_t len, tokens *out);
int sg_textscan__squeeze_eq(const char *a, size_t alen, const char *b, size_t *blen_out);
int sg_textscan__word_in(const tok *t, const char *const *list);
size_t sg_textscan__phrase_at(const tokens *tk, size_t i, const char *phrase, size_t strip);
void sg_textscan__copy_span(char *dst, size_t size, const char *text, size_t start, size_t end);
void sg_textscan__match_gazetteer(const sg_textscan_gazetteer *gaz, const char *text,
                                  const tokens *tk, sg_textscan_result *r);

#endif
