/* Free-text understanding: tokenising (tokens.c), keyword lexicon, place extraction and
 * the gazetteer. See textscan.h for the contract.
 *
 * How text is read:
 *  1. UTF-8 is decoded; Latin letters with diacritics fold to ASCII, combining
 *     marks vanish, everything else (emoji, punctuation, invalid bytes) is a
 *     separator. Letters and digits split into separate tokens ("rt03" is
 *     "rt" "03", "anak2" is "anak" "2"), so glued abbreviations still parse.
 *  2. Words compare "squeezed": runs of one letter count once, so
 *     "tolooong", "tenggelam" and "tengelam" all meet their lexicon entry.
 *  3. The lexicon is matched longest phrase first ("senjata api" is a
 *     weapon, not a fire). A word no entry knows may still match a long
 *     keyword with one typo ("kbakaran"), the first letter kept.
 *  4. A keyword with a negation up to three words before it in the same
 *     clause ("tidak ada korban jiwa", "no one trapped") counts for nothing.
 *  5. Spelling, scope (negation, past, resolution) and the category decision
 *     are in reading.c, driven by the lexicon file (lexicon.c).
 * Place markers (jl, gg, dekat, rt, rw, kel, kec) then pick out the words
 * after them, stopping at punctuation, keywords and function words. */
#include "text/textscan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "text/textscan_internal.h"

/* ---- word comparison ---- */

/* Equal when runs of one letter count once ("tolooong" == "tolong").
 * b is NUL-terminated and may end at a space (the next phrase word). */
int sg_textscan__squeeze_eq(const char *a, size_t alen, const char *b, size_t *blen_out) {
  /* Most comparisons fail at the first letter: decide those before
   * measuring b (this is the reader's innermost loop). */
  if (alen == 0 || a[0] != b[0])
    return 0;
  /* Then on the second letter once runs are squeezed, which equal words
   * share whether compared exactly or squeezed: most of the rest fail here,
   * still before b is measured. */
  size_t ia = 1, ib = 1;
  while (ia < alen && a[ia] == a[0])
    ia++;
  while (b[ib] == b[0])
    ib++;
  char ca = ia < alen ? a[ia] : '\0', cb = b[ib] == ' ' ? '\0' : b[ib];
  if (ca != cb)
    return 0;
  size_t i = 0, j = 0, blen = 1;
  while (b[blen] && b[blen] != ' ')
    blen++;
  /* Short words compare exactly: "g" (an initial) is not "gg" (gang). */
  if (alen < 4 || blen < 4) {
    if (alen != blen || memcmp(a, b, alen) != 0)
      return 0;
    *blen_out = blen;
    return 1;
  }
  while (i < alen && b[j] && b[j] != ' ') {
    if (a[i] != b[j])
      return 0;
    char c = a[i];
    while (i < alen && a[i] == c)
      i++;
    while (b[j] == c)
      j++;
  }
  if (i != alen || (b[j] && b[j] != ' '))
    return 0;
  *blen_out = j;
  return 1;
}

size_t sg_textscan__skeleton(const char *s, size_t n, char *out) {
  size_t o = 0;
  for (size_t k = 0; k < n && s[k] && o + 1 < SG_TEXTSCAN__TOK_LEN; k++)
    if (s[k] != 'a' && s[k] != 'e' && s[k] != 'i' && s[k] != 'o' && s[k] != 'u')
      out[o++] = s[k];
  out[o] = '\0';
  return o;
}

int sg_textscan__word_in(const tok *t, const char *const *list) {
  size_t dummy;
  for (; *list; list++)
    if ((*list)[0] == t->norm[0] && /* most fail here: no call */
        sg_textscan__squeeze_eq(t->norm, t->len, *list, &dummy) && (*list)[dummy] == '\0')
      return 1;
  return 0;
}

/* Matches a space-separated phrase at tokens[i..]; returns its word count or 0. */
size_t sg_textscan__phrase_at(const tokens *tk, size_t i, const char *phrase, size_t strip) {
  /* Words compare equal only when their first letters do: most of the
   * lexicon is ruled out here, before any length is counted (the worker
   * spent half its time in these comparisons). */
  if (i >= tk->n || tk->t[i].norm[0] != phrase[0])
    return 0;
  size_t k = 0;
  const char *p = phrase;
  while (*p) {
    size_t used;
    if (i + k >= tk->n)
      return 0;
    const tok *t = &tk->t[i + k];
    size_t tl = t->len;
    if (k == 0 && strip) {
      if (strchr(p, ' '))
        return 0; /* clitics are stripped for single words only */
      tl -= strip;
    }
    if (!sg_textscan__squeeze_eq(t->norm, tl, p, &used))
      return 0;
    p += used;
    k++;
    if (*p == ' ') {
      if (t->sep >= SEP_BREAK)
        return 0; /* a phrase never spans a clause break */
      p++;
    }
  }
  return k;
}

/* ---- places ---- */

static const char *const street_markers[] = {"jl", "jln", "jalan", "jalan raya", NULL};
static const char *const gang_markers[] = {"gg", "gang", NULL};
static const char *const number_markers[] = {"km", "no", "nomor", "blok", NULL};
static const char *const stop_words[] = {
    "di",        "dan",     "ada",       "yang",    "yg",     "ini",      "itu",      "sdh",
    "sudah",     "udah",    "dah",       "lagi",    "lg",     "tolong",   "tlg",      "mohon",
    "pak",       "bu",      "segera",    "sgr",     "cepat",  "skrg",     "sekarang", "kel",
    "kelurahan", "kec",     "kecamatan", "rt",      "rw",     "gg",       "gang",     "jl",
    "jln",       "jalan",   "dekat",     "dkt",     "deket",  "depan",    "dpn",      "belakang",
    "blkg",      "samping", "smpg",      "sebelah", "sblh",   "seberang", "sbrg",     "arah",
    "ke",        "dari",    "dr",        "utk",     "untuk",  "karena",   "krn",      "dengan",
    "dgn",       "tapi",    "tp",        "ya",      "sini",   "sana",     "situ",     "mau",
    "ke",        "near",    "in",        "at",      "on",     "and",      "the",      "is",
    "are",       "help",    "please",    "pls",     "there",  "kota",     "warga",    "saya",
    "sy",        "kami",    "kita",      "kak",     "bang",   "mas",      "orang",    "org",
    "sedang",    "sdg",     "masih",     "msh",     "juga",   "jg",       "ga",       "gak",
    "tidak",     "tdk",     "air",       "rumah",   "daerah", "kawasan",  "sekitar",  "lokasi",
    "tadi",      "td",      "sejak",     "dlm",     "dalam",  "dr",       "no",       "nomor",
    "arah",      "menuju",  "lewat",     "from",    "to",     "of",       NULL};

typedef struct relation {
  const char *word;
  const char *canonical;
} relation;
static const relation relations[] = {{"dekat", "dekat"},
                                     {"dkt", "dekat"},
                                     {"deket", "dekat"},
                                     {"dket", "dekat"},
                                     {"dkat", "dekat"},
                                     {"near", "dekat"},
                                     {"depan", "depan"},
                                     {"dpn", "depan"},
                                     {"didepan", "depan"},
                                     {"in front of", "depan"},
                                     {"belakang", "belakang"},
                                     {"blkg", "belakang"},
                                     {"blakang", "belakang"},
                                     {"dibelakang", "belakang"},
                                     {"behind", "belakang"},
                                     {"samping", "samping"},
                                     {"smpg", "samping"},
                                     {"sebelah", "samping"},
                                     {"sblh", "samping"},
                                     {"disamping", "samping"},
                                     {"next to", "samping"},
                                     {"beside", "samping"},
                                     {"seberang", "seberang"},
                                     {"sebrang", "seberang"},
                                     {"sbrg", "seberang"},
                                     {"diseberang", "seberang"},
                                     {"across", "seberang"},
                                     {"opposite", "seberang"},
                                     {"arah", "arah"},
                                     {"dari arah", "arah"},
                                     {NULL, NULL}};

/* A landmark of one of these words alone ("depan rumah") locates nothing. */
static const char *const generic_places[] = {"rumah",  "ruko",   "kamar",   "warung", "toko",
                                             "gedung", "kantor", "sekolah", "jalan",  "sungai",
                                             "sini",   "situ",   "sana",    NULL};

/* Nouns that make "di X" a landmark ("kebakaran di pasar Kahayan"). */
static const char *const landmark_heads[] = {
    "pasar",    "masjid",    "mesjid",   "musholla", "gereja",    "sekolah",   "sd",
    "smp",      "sma",       "smk",      "kantor",   "rs",        "rsud",      "puskesmas",
    "bundaran", "jembatan",  "terminal", "bandara",  "pelabuhan", "dermaga",   "hotel",
    "toko",     "indomaret", "alfamart", "spbu",     "kampus",    "upr",       "polsek",
    "polres",   "taman",     "bank",     "mall",     "komplek",   "perumahan", "asrama",
    "stadion",  "lapangan",  "kantor",   NULL};

/* Copies input bytes [start,end) as clean UTF-8: invalid bytes and control
 * characters become spaces, spaces collapse, no sequence is cut. */
void sg_textscan__copy_span(char *dst, size_t size, const char *text, size_t start, size_t end) {
  const unsigned char *s = (const unsigned char *)text;
  size_t o = 0, i = start;
  int space = 0;
  while (i < end) {
    size_t at = i;
    long cp = sg_utf8_next(text, end, &i);
    int ws = cp < 0x20 || cp == 0x7F;
    if (ws || cp == ' ') {
      space = o > 0;
      continue;
    }
    size_t n = i - at;
    if (o + (space ? 1 : 0) + n + 1 > size)
      break;
    if (space)
      dst[o++] = ' ', space = 0;
    memcpy(dst + o, s + at, n);
    o += n;
  }
  dst[o] = '\0';
}

static int name_stop(const tok *t) {
  return t->used || sg_textscan__word_in(t, stop_words);
}

/* Collects a name after a marker at tokens[i]: up to max_words words, plus a
 * number after km/no (street) or any number (allow_numbers). Returns the
 * index after the name; first and last span the name, or first is tk->n if
 * there is none. */
static size_t take_name(const tokens *tk, size_t i, int max_words, int allow_numbers, size_t *first,
                        size_t *last) {
  size_t k = i;
  int words = 0;
  *first = tk->n;
  while (k < tk->n) {
    const tok *t = &tk->t[k];
    int end_after = 0;
    if (t->digit) {
      int after_marker = k > i && sg_textscan__word_in(&tk->t[k - 1], number_markers);
      if (!allow_numbers && !after_marker)
        break;
      end_after = after_marker; /* "km 5" ends a street name */
    } else if (!allow_numbers && sg_textscan__word_in(t, number_markers) && k + 1 < tk->n &&
               tk->t[k + 1].digit) {
      /* "km 5": keep both */
    } else if (name_stop(t) || words >= max_words) {
      break;
    } else {
      words++;
    }
    if (*first == tk->n)
      *first = k;
    *last = k;
    k++;
    if (t->sep >= SEP_BREAK || end_after)
      break;
  }
  return k;
}

static size_t marker_at(const tokens *tk, size_t i, const char *const *markers) {
  size_t best = 0;
  for (; *markers; markers++) {
    size_t n = sg_textscan__phrase_at(tk, i, *markers, 0);
    if (n > best)
      best = n;
  }
  return best;
}

/* Bare landmark heads are taken without a preposition only on a second pass
 * and not the school-level abbreviations: "anak SD" is a pupil, not a place. */
static const char *const bare_heads_excluded[] = {"sd", "smp", "sma", "smk", "rs", NULL};

static void extract_landmark(const char *text, tokens *tk, sg_textscan_result *r, int bare) {
  for (size_t i = 0; i < tk->n && !r->landmark[0]; i++) {
    size_t first, last;
    const relation *rel = NULL;
    size_t rl = 0;
    for (const relation *x = relations; x->word; x++) {
      if (x->word[0] != tk->t[i].norm[0])
        continue;
      size_t n = sg_textscan__phrase_at(tk, i, x->word, 0);
      if (n > rl)
        rel = x, rl = n;
    }
    if (rel && tk->t[i + rl - 1].sep >= SEP_BREAK)
      rel = NULL; /* "tetangga sebelah, istrinya ...": the relation ends the clause */
    if (!rel && sg_textscan__word_in(&tk->t[i], (const char *const[]){"di", "at", NULL}) &&
        i + 1 < tk->n && sg_textscan__word_in(&tk->t[i + 1], landmark_heads)) {
      static const relation at = {"di", "di"};
      rel = &at, rl = 1;
    }
    if (bare) {
      /* "naik ke atap masjid": a landmark named without a preposition */
      static const relation at = {"di", "di"};
      rel = NULL;
      if (!tk->t[i].used && sg_textscan__word_in(&tk->t[i], landmark_heads) &&
          !sg_textscan__word_in(&tk->t[i], generic_places) &&
          !sg_textscan__word_in(&tk->t[i], bare_heads_excluded))
        rel = &at, rl = 0;
    }
    if (!rel || i + rl >= tk->n || marker_at(tk, i + rl, street_markers) ||
        marker_at(tk, i + rl, gang_markers))
      continue;
    size_t next = take_name(tk, i + rl, 4, 1, &first, &last);
    if (first < tk->n && !(first == last && sg_textscan__word_in(&tk->t[first], generic_places))) {
      sg_textscan__copy_span(r->landmark, sizeof r->landmark, text, tk->t[first].start,
                             tk->t[last].end);
      snprintf(r->landmark_relation, sizeof r->landmark_relation, "%s", rel->canonical);
    } else if (next > i + 1) {
      i = next - 1;
    }
  }
}

static void mark_used(tokens *tk, size_t first, size_t last) {
  for (size_t k = first; k <= last; k++)
    tk->t[k].used = 1;
}

static void extract_places(const char *text, tokens *tk, sg_textscan_result *r) {
  for (size_t i = 0; i < tk->n; i++) {
    size_t first, last, m;
    if (!r->street[0] && (m = marker_at(tk, i, street_markers)) > 0) {
      size_t next = take_name(tk, i + m, 4, 0, &first, &last);
      if (first < tk->n) {
        sg_textscan__copy_span(r->street, sizeof r->street, text, tk->t[first].start,
                               tk->t[last].end);
        mark_used(tk, first, last); /* a street name is no landmark */
        i = next - 1;
        continue;
      }
    }
    if (!r->gang[0] && (m = marker_at(tk, i, gang_markers)) > 0) {
      size_t next = take_name(tk, i + m, 3, 1, &first, &last);
      if (first < tk->n) {
        sg_textscan__copy_span(r->gang, sizeof r->gang, text, tk->t[first].start, tk->t[last].end);
        mark_used(tk, first, last);
        i = next - 1;
        continue;
      }
    }
    if ((sg_textscan__word_in(&tk->t[i], (const char *const[]){"rt", NULL}) ||
         sg_textscan__word_in(&tk->t[i], (const char *const[]){"rw", NULL})) &&
        i + 1 < tk->n && tk->t[i + 1].digit && tk->t[i + 1].len <= 3) {
      int is_rt = tk->t[i].norm[1] == 't';
      int v = atoi(tk->t[i + 1].norm);
      if (is_rt && !r->rt) {
        r->rt = v;
        /* "RT 03/05": the second number is the RW */
        if (tk->t[i + 1].sep == SEP_SLASH && i + 2 < tk->n && tk->t[i + 2].digit &&
            tk->t[i + 2].len <= 3 && !r->rw)
          r->rw = atoi(tk->t[i + 2].norm);
      } else if (!is_rt && !r->rw) {
        r->rw = v;
      }
      continue;
    }
  }
  extract_landmark(text, tk, r, 0);
  if (!r->landmark[0])
    extract_landmark(text, tk, r, 1);
}

/* ---- entry point ---- */

static void scan(const sg_textscan_lexicon *lex, const sg_textscan_gazetteer *gaz, int places,
                 const char *text, size_t len, sg_textscan_result *out) {
  static tokens empty;
  memset(out, 0, sizeof *out);
  if (!text)
    return;
  if (!lex)
    lex = sg_textscan_lexicon_builtin();
  tokens *tk = malloc(sizeof *tk);
  if (!tk) {
    tk = &empty; /* out of memory: no tokens, an empty but valid result */
  } else {
    sg_textscan__tokenize(text, len, tk);
    if (lex)
      sg_textscan__normalise(lex, tk);
  }
  if (lex)
    sg_textscan__read(lex, text, len, tk, out);
  if (places) {
    extract_places(text, tk, out);
    if (gaz)
      sg_textscan__match_gazetteer(gaz, text, tk, out);
  }
  if (tk != &empty)
    free(tk);
}

void sg_textscan_scan_with(const sg_textscan_lexicon *lex, const sg_textscan_gazetteer *gaz,
                           const char *text, size_t len, sg_textscan_result *out) {
  scan(lex, gaz, 1, text, len, out);
}

void sg_textscan_read(const char *text, size_t len, sg_textscan_result *out) {
  scan(NULL, NULL, 0, text, len, out);
}

void sg_textscan_scan(const sg_textscan_gazetteer *gaz, const char *text, size_t len,
                      sg_textscan_result *out) {
  sg_textscan_scan_with(NULL, gaz, text, len, out);
}

size_t sg_textscan_format_address(const sg_textscan_result *r, char *buf, size_t size) {
  size_t o = 0;
  char rtrw[32] = "";
  if (r->rt && r->rw)
    snprintf(rtrw, sizeof rtrw, "RT %d/RW %d", r->rt, r->rw);
  else if (r->rt || r->rw)
    snprintf(rtrw, sizeof rtrw, "%s %d", r->rt ? "RT" : "RW", r->rt ? r->rt : r->rw);
  const char *parts[][2] = {
      {"Jl. ", r->street}, {"Gg. ", r->gang},       {r->landmark_relation, r->landmark},
      {"", rtrw},          {"Kel. ", r->kelurahan}, {"Kec. ", r->kecamatan}};
  if (size == 0)
    return 0;
  buf[0] = '\0';
  for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
    if (!parts[k][1][0])
      continue;
    int rel = k == 2; /* "dekat pasar Kahayan": the relation word, then a space */
    int w = snprintf(buf + o, size - o, "%s%s%s%s", o ? ", " : "", parts[k][0], rel ? " " : "",
                     parts[k][1]);
    if (w < 0)
      break;
    o += (size_t)w;
    if (o >= size) {
      o = size - 1;
      /* never leave half a UTF-8 sequence at the cut */
      size_t lead = o;
      while (lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
        lead--;
      if (lead > 0) {
        unsigned char c = (unsigned char)buf[lead - 1];
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (lead - 1 + need > o)
          o = lead - 1;
      }
      buf[o] = '\0';
      break;
    }
  }
  return o;
}

const char *sg_textscan_category_name(sg_textscan_category c) {
  static const char *const names[SG_TEXTSCAN_CATEGORY_COUNT] = {
      "unknown", "fire",      "flood", "accident", "medical", "crime",       "rescue",
      "other",   "land_fire", "haze",  "animal",   "hazard",  "nonemergency"};
  return (unsigned)c < SG_TEXTSCAN_CATEGORY_COUNT ? names[c] : "unknown";
}

sg_textscan_category sg_textscan_category_from_name(const char *name) {
  if (!name)
    return SG_TEXTSCAN_UNKNOWN;
  for (int c = 0; c < SG_TEXTSCAN_CATEGORY_COUNT; c++)
    if (strcmp(name, sg_textscan_category_name((sg_textscan_category)c)) == 0)
      return (sg_textscan_category)c;
  return SG_TEXTSCAN_UNKNOWN;
}
