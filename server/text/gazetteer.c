/* The gazetteer: kelurahan and kecamatan names with a centroid each, loaded
 * from a TSV file at runtime so the city's list can be corrected without a
 * rebuild. Format (documented again at the top of the data file):
 *
 *   kind<TAB>name<TAB>kecamatan<TAB>lat<TAB>lon<TAB>approx<TAB>source
 *
 * kind is "kecamatan" or "kelurahan"; name may list spellings separated by
 * '|', the first being canonical ("Sabangau|Sebangau"); approx is 1 or 0.
 * Two more kinds stand for places without being one:
 *  - landmark: a place people name instead of their kelurahan ("bandara",
 *    "nyaru menteng"); its third column is the kelurahan it lies in (a
 *    kelurahan row of the file), its point is the landmark's own;
 *  - city: the city's own name ("Palangka Raya", "kota palangka"), which
 *    consumes its words so that no kelurahan is read in them.
 * Lines starting with '#' and empty lines are ignored, as is a header line
 * whose first field is "kind". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/textscan_internal.h"

#define GAZ_MAX_BYTES (1u << 20)
#define GAZ_MAX_ROWS 4096
#define GAZ_MAX_ALTS 6

enum { KIND_KECAMATAN = 1, KIND_KELURAHAN = 2, KIND_LANDMARK = 3, KIND_CITY = 4 };

typedef struct gaz_entry {
  int kind;
  char name[40];      /* canonical spelling, as in the file */
  char kecamatan[40]; /* the kecamatan it lies in (itself for a kecamatan); for a
                         landmark, the kelurahan */
  size_t stands_for;  /* a landmark's kelurahan row, found once the file is read */
  double lat, lon;
  int approx;
  size_t n_alts;
  char alts[GAZ_MAX_ALTS][48]; /* folded words, space-separated, for matching */
  /* worked out at load for the typed variants: length, several words,
   * the words joined, the consonants */
  uint8_t alen[GAZ_MAX_ALTS], multi[GAZ_MAX_ALTS], skel_len[GAZ_MAX_ALTS];
  char second[GAZ_MAX_ALTS]; /* the first word's second letter once runs are squeezed */
  char joined[GAZ_MAX_ALTS][48], skel[GAZ_MAX_ALTS][48];
} gaz_entry;

struct sg_textscan_gazetteer {
  size_t n;
  gaz_entry *rows;
  /* Every spelling by its first letter, in file order (row * GAZ_MAX_ALTS
   * + alt): a token is compared with its own letter's only. */
  uint32_t *by_letter;
  size_t letter[SG_TEXTSCAN__BUCKETS + 1];
};

size_t sg_textscan_gazetteer_size(const sg_textscan_gazetteer *gaz) {
  return gaz ? gaz->n : 0;
}

void sg_textscan_gazetteer_destroy(sg_textscan_gazetteer *gaz) {
  if (!gaz)
    return;
  free(gaz->rows);
  free(gaz->by_letter);
  free(gaz);
}

static int index_letters(sg_textscan_gazetteer *gaz) {
  size_t count[SG_TEXTSCAN__BUCKETS] = {0}, total = 0;
  for (size_t k = 0; k < gaz->n; k++)
    for (size_t a = 0; a < gaz->rows[k].n_alts; a++, total++)
      count[sg_textscan__bucket(gaz->rows[k].alts[a][0])]++;
  gaz->by_letter = malloc((total ? total : 1) * sizeof *gaz->by_letter);
  if (!gaz->by_letter)
    return SG_ENOMEM;
  size_t at = 0, fill[SG_TEXTSCAN__BUCKETS];
  for (int b = 0; b < SG_TEXTSCAN__BUCKETS; b++)
    gaz->letter[b] = fill[b] = at, at += count[b];
  gaz->letter[SG_TEXTSCAN__BUCKETS] = at;
  for (size_t k = 0; k < gaz->n; k++)
    for (size_t a = 0; a < gaz->rows[k].n_alts; a++)
      gaz->by_letter[fill[sg_textscan__bucket(gaz->rows[k].alts[a][0])]++] =
          (uint32_t)(k * GAZ_MAX_ALTS + a);
  return 0;
}

/* The first letter of s[0..n) (up to a space) that differs from s[0], '\0'
 * for none: two words compare equal (squeezed or exactly) only if theirs
 * do, so most names are ruled out with one comparison. */
static char second_letter(const char *s, size_t n) {
  for (size_t k = 1; k < n && s[k] && s[k] != ' '; k++)
    if (s[k] != s[0])
      return s[k];
  return '\0';
}

/* Folds a place name into matching form, the way scanned text is folded. */
static int fold_name(const char *s, size_t len, char *out, size_t size) {
  tokens *tk = malloc(sizeof *tk); /* too big for a worker thread's stack */
  size_t o = 0;
  if (!tk)
    return SG_ENOMEM;
  sg_textscan__tokenize(s, len, tk);
  out[0] = '\0';
  for (size_t k = 0; k < tk->n; k++) {
    size_t need = tk->t[k].len + (o ? 1 : 0);
    if (o + need + 1 > size) {
      free(tk);
      return SG_EFORMAT;
    }
    if (o)
      out[o++] = ' ';
    memcpy(out + o, tk->t[k].norm, tk->t[k].len);
    o += tk->t[k].len;
    out[o] = '\0';
  }
  free(tk);
  return o ? 0 : SG_EFORMAT;
}

static int copy_field(char *dst, size_t size, const char *s, size_t len) {
  if (len == 0 || len >= size)
    return -1;
  memcpy(dst, s, len);
  dst[len] = '\0';
  return 0;
}

static int parse_double(const char *s, size_t len, double lo, double hi, double *out) {
  char buf[32];
  char *end;
  if (len == 0 || len >= sizeof buf)
    return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  errno = 0;
  *out = strtod(buf, &end);
  return (errno || *end || !(*out >= lo && *out <= hi)) ? -1 : 0;
}

static int parse_row(const char *line, size_t len, gaz_entry *e) {
  const char *f[7];
  size_t fl[7], nf = 0, start = 0;
  for (size_t i = 0; i <= len && nf < 7; i++) {
    if (i == len || line[i] == '\t') {
      f[nf] = line + start;
      fl[nf++] = i - start;
      start = i + 1;
    }
  }
  if (nf != 7 || start <= len)
    return SG_EFORMAT;
  memset(e, 0, sizeof *e);
  if (fl[0] == 9 && memcmp(f[0], "kecamatan", 9) == 0)
    e->kind = KIND_KECAMATAN;
  else if (fl[0] == 9 && memcmp(f[0], "kelurahan", 9) == 0)
    e->kind = KIND_KELURAHAN;
  else if (fl[0] == 8 && memcmp(f[0], "landmark", 8) == 0)
    e->kind = KIND_LANDMARK;
  else if (fl[0] == 4 && memcmp(f[0], "city", 4) == 0)
    e->kind = KIND_CITY;
  else
    return SG_EFORMAT;
  if (copy_field(e->kecamatan, sizeof e->kecamatan, f[2], fl[2]) < 0 ||
      parse_double(f[3], fl[3], -90, 90, &e->lat) < 0 ||
      parse_double(f[4], fl[4], -180, 180, &e->lon) < 0 || fl[5] != 1 ||
      (f[5][0] != '0' && f[5][0] != '1'))
    return SG_EFORMAT;
  e->approx = f[5][0] == '1';
  /* spellings */
  const char *p = f[1], *end = f[1] + fl[1];
  while (p <= end) {
    const char *bar = memchr(p, '|', (size_t)(end - p));
    const char *stop = bar ? bar : end;
    if (e->n_alts >= GAZ_MAX_ALTS)
      return SG_EFORMAT;
    if (e->n_alts == 0 && copy_field(e->name, sizeof e->name, p, (size_t)(stop - p)) < 0)
      return SG_EFORMAT;
    int rc = fold_name(p, (size_t)(stop - p), e->alts[e->n_alts], sizeof e->alts[0]);
    if (rc < 0)
      return rc;
    const char *alt = e->alts[e->n_alts];
    size_t o = 0;
    for (const char *c = alt; *c; c++)
      if (*c != ' ')
        e->joined[e->n_alts][o++] = *c;
    e->joined[e->n_alts][o] = '\0';
    e->alen[e->n_alts] = (uint8_t)strlen(alt);
    e->second[e->n_alts] = second_letter(alt, e->alen[e->n_alts]);
    e->multi[e->n_alts] = strchr(alt, ' ') != NULL;
    e->skel_len[e->n_alts] =
        (uint8_t)sg_textscan__skeleton(alt, e->alen[e->n_alts], e->skel[e->n_alts]);
    e->n_alts++;
    if (!bar)
      break;
    p = bar + 1;
  }
  return 0;
}

int sg_textscan_gazetteer_load_buffer(const char *buf, size_t len, sg_textscan_gazetteer **out,
                                      int *bad_line) {
  int rc = 0, line_no = 0;
  sg_textscan_gazetteer *gaz = NULL;
  *out = NULL;
  if (bad_line)
    *bad_line = 0;
  if (len > GAZ_MAX_BYTES)
    return SG_ETOOBIG;
  gaz = calloc(1, sizeof *gaz);
  if (!gaz)
    return SG_ENOMEM;
  size_t cap = 0;
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    size_t llen = end - pos;
    const char *line = buf + pos;
    pos = end + 1;
    line_no++;
    if (llen && line[llen - 1] == '\r')
      llen--;
    if (llen == 0 || line[0] == '#' || (llen >= 5 && memcmp(line, "kind\t", 5) == 0))
      continue;
    if (gaz->n >= GAZ_MAX_ROWS) {
      rc = SG_ETOOBIG;
      goto fail;
    }
    if (gaz->n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      gaz_entry *rows = realloc(gaz->rows, ncap * sizeof *rows);
      if (!rows) {
        rc = SG_ENOMEM;
        goto fail;
      }
      gaz->rows = rows, cap = ncap;
    }
    rc = parse_row(line, llen, &gaz->rows[gaz->n]);
    if (rc < 0)
      goto fail;
    gaz->rows[gaz->n].stands_for = (size_t)line_no; /* until resolved below */
    gaz->n++;
  }
  /* A landmark names a kelurahan of the file, wherever it is listed. */
  for (size_t k = 0; k < gaz->n; k++) {
    gaz_entry *e = &gaz->rows[k];
    if (e->kind != KIND_LANDMARK)
      continue;
    size_t j = 0;
    while (j < gaz->n &&
           !(gaz->rows[j].kind == KIND_KELURAHAN && strcmp(gaz->rows[j].name, e->kecamatan) == 0))
      j++;
    if (j == gaz->n) {
      line_no = (int)e->stands_for;
      rc = SG_EFORMAT;
      goto fail;
    }
    e->stands_for = j;
  }
  if ((rc = index_letters(gaz)) < 0)
    goto fail;
  *out = gaz;
  return 0;
fail:
  if (bad_line && rc == SG_EFORMAT)
    *bad_line = line_no;
  sg_textscan_gazetteer_destroy(gaz);
  return rc;
}

int sg_textscan_gazetteer_load(const char *path, sg_textscan_gazetteer **out, int *bad_line) {
  int rc;
  *out = NULL;
  if (bad_line)
    *bad_line = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return errno > 0 ? -errno : SG_EIO; /* the reason, for the operator's message */
  char *buf = malloc(GAZ_MAX_BYTES + 1);
  if (!buf) {
    fclose(f);
    return SG_ENOMEM;
  }
  size_t n = fread(buf, 1, GAZ_MAX_BYTES + 1, f);
  if (ferror(f))
    rc = errno > 0 ? -errno : SG_EIO;
  else if (n > GAZ_MAX_BYTES)
    rc = SG_ETOOBIG;
  else
    rc = sg_textscan_gazetteer_load_buffer(buf, n, out, bad_line);
  free(buf);
  fclose(f);
  return rc;
}

/* ---- matching ---- */

static const char *const kel_markers[] = {"kel", "kelurahan", "desa", "kampung", NULL};
static const char *const kec_markers[] = {"kec", "kecamatan", NULL};

static const char *const not_the_scene[] = {"ke", "arah", "menuju", "to", "towards", NULL};
/* "bukan di Pahandut": not there */
static const char *const not_there[] = {"bukan", "bkn", "tidak", "not", NULL};
/* "sy warga Menteng", "sy dari Kalampangan", "tinggal di Langkai": where the
 * caller lives or comes from, the scene only when nothing else is named */
static const char *const home_words[] = {"warga", "asal", "dari", "dr", "from", NULL};

typedef struct candidate {
  const gaz_entry *e; /* the row named: a kelurahan, a landmark or a kecamatan */
  double conf;
} candidate;

/* The kelurahan a candidate stands for: itself, or a landmark's. */
static const gaz_entry *kelurahan_of(const sg_textscan_gazetteer *gaz, const gaz_entry *e) {
  return e->kind == KIND_LANDMARK ? &gaz->rows[e->stands_for] : e;
}

/* Ordinary words one edit from a place name: never read as its typo. */
static const char *const never_places[] = {"langkah", "mentang", NULL};
#define FUZZY_MIN 7 /* letters of a name a typo may be found in, as for keywords */

/* How token i may be a typed variant of a name, worked out once a token
 * (the fuzzy pass runs for every token no name matched exactly). */
typedef struct variant {
  int edit;        /* long enough for one typo of a long name */
  int dropped;     /* written without any vowel */
  size_t skel_len; /* its consonants, for dropped */
  char skel[SG_TEXTSCAN__TOK_LEN];
} variant;

static int variant_of(const tok *t, variant *v) {
  memset(v, 0, sizeof *v);
  if (t->digit || t->used || sg_textscan__word_in(t, never_places))
    return 0; /* a number or a lexicon keyword is no typo of a place */
  v->skel_len = sg_textscan__skeleton(t->norm, t->len, v->skel);
  v->edit = t->len + 1 >= FUZZY_MIN;
  v->dropped = v->skel_len >= 4 && v->skel_len == t->len; /* "lingk." keeps its vowel */
  return v->edit || v->dropped;
}

/* How alt a of row e matches at token i: its word count, 0 for none. skip
 * > 0 reads token i from that byte ("dimenteng" as "di menteng"); v (the
 * fuzzy pass) finds a single long name one edit away ("kalampngan") or
 * typed without its vowels ("mntng"). */
static size_t alt_at(const tokens *tk, size_t i, const gaz_entry *e, size_t a, size_t skip,
                     const variant *v, char second) {
  const tok *t = &tk->t[i];
  const char *alt = e->alts[a];
  if (t->len <= skip || alt[0] != t->norm[skip] || (!v && second != e->second[a]))
    return 0; /* most rows, decided without a call */
  if (v) {
    size_t al = e->alen[a];
    if (e->multi[a])
      return 0;
    return (v->edit && al >= FUZZY_MIN && sg_textscan__one_edit(t->norm, t->len, alt, al)) ||
           (v->dropped && al >= 6 && e->skel_len[a] == v->skel_len &&
            memcmp(e->skel[a], v->skel, v->skel_len) == 0);
  }
  if (!skip) {
    size_t n = sg_textscan__phrase_at(tk, i, alt, 0), used;
    /* "Palangka Raya" is the city, not kelurahan Palangka (also without
     * the file's city row) */
    if (n == 1 && i + 1 < tk->n && t->sep < SEP_BREAK && strcmp(tk->t[i + 1].norm, "raya") == 0)
      n = 0;
    /* a name of several words typed as one ("bukittunggal") */
    if (n == 0 && e->multi[a] && sg_textscan__squeeze_eq(t->norm, t->len, e->joined[a], &used) &&
        e->joined[a][used] == '\0')
      n = 1;
    return n;
  }
  size_t used;
  if (!sg_textscan__squeeze_eq(t->norm + skip, t->len - skip, alt, &used))
    return 0;
  if (!alt[used])
    return 1;
  if (t->sep >= SEP_BREAK)
    return 0;
  size_t rest = sg_textscan__phrase_at(tk, i + 1, alt + used + 1, 0);
  return rest ? rest + 1 : 0;
}

/* The longest place named at token i, read as alt_at reads it. */
typedef struct place_hit {
  const gaz_entry *kel, *kec; /* kelurahan (or landmark) and kecamatan rows */
  size_t n;                   /* words, 0 for none */
  int city;                   /* the longest was the city's own name */
} place_hit;

static void place_at(const sg_textscan_gazetteer *gaz, const tokens *tk, size_t i, size_t skip,
                     const variant *v, place_hit *h) {
  memset(h, 0, sizeof *h);
  const tok *t = &tk->t[i];
  if (t->len <= skip)
    return;
  int b = sg_textscan__bucket(t->norm[skip]);
  char second = second_letter(t->norm + skip, t->len - skip);
  for (size_t x = gaz->letter[b]; x < gaz->letter[b + 1]; x++) {
    const gaz_entry *e = &gaz->rows[gaz->by_letter[x] / GAZ_MAX_ALTS];
    size_t a = gaz->by_letter[x] % GAZ_MAX_ALTS;
    size_t n = alt_at(tk, i, e, a, skip, v, second);
    if (n == 0 || n < h->n)
      continue;
    if (n > h->n)
      h->kel = h->kec = NULL, h->n = n, h->city = 0;
    if (e->kind == KIND_CITY)
      h->city = 1;
    /* a kelurahan before a landmark of the same length */
    if ((e->kind == KIND_KELURAHAN && (!h->kel || h->kel->kind == KIND_LANDMARK)) ||
        (e->kind == KIND_LANDMARK && !h->kel))
      h->kel = e;
    if (e->kind == KIND_KECAMATAN && !h->kec)
      h->kec = e;
  }
}

/* "dimenteng", "kepanarung": a glued "di" or "ke" (then *to is set) before
 * a word of four letters or more; returns its length, or 0. */
static size_t glued_preposition(const tok *t, int *to) {
  *to = 0;
  if (t->digit || t->len < 6 ||
      !((t->norm[0] == 'd' && t->norm[1] == 'i') || (t->norm[0] == 'k' && t->norm[1] == 'e')))
    return 0;
  *to = t->norm[0] == 'k';
  return 2;
}

void sg_textscan__match_gazetteer(const sg_textscan_gazetteer *gaz, const char *text,
                                  const tokens *tk, sg_textscan_result *r) {
  candidate kel = {NULL, 0}, kec = {NULL, 0};
  int between = 0;
  (void)text;
  for (size_t i = 0; i < tk->n; i++) {
    place_hit h;
    int to = 0;
    variant v;
    place_at(gaz, tk, i, 0, NULL, &h);
    if (!h.n) {
      size_t skip = glued_preposition(&tk->t[i], &to);
      if (skip)
        place_at(gaz, tk, i, skip, NULL, &h);
    }
    if (!h.n && variant_of(&tk->t[i], &v)) {
      to = 0;
      place_at(gaz, tk, i, 0, &v, &h);
    }
    const gaz_entry *best_kel = h.kel, *best_kec = h.kec;
    size_t best_n = h.n;
    int city = h.city;
    if (!best_n)
      continue;
    if (city && !best_kel) { /* "Palangka Raya", "kota palangka": the whole city */
      i += best_n - 1;
      continue;
    }
    /* "lari ke arah Langkai", "dibawa ke Menteng", "jalan antara Menteng dan
     * Bukit Tunggal": a destination, a direction or a road between two
     * places is not where it happens. */
    const tok *before = i > 0 && tk->t[i - 1].sep < SEP_BREAK ? &tk->t[i - 1] : NULL;
    int away = to || (before && sg_textscan__word_in(before, not_the_scene));
    /* "asap dari arah Kalampangan": where it comes from is the scene */
    if (away && !to && i > 1 && tk->t[i - 2].sep < SEP_BREAK &&
        sg_textscan__word_in(&tk->t[i - 2], (const char *const[]){"dari", "dr", NULL}))
      away = 0;
    if (before && sg_textscan__word_in(before, (const char *const[]){"antara", "between", NULL}))
      away = between = 1;
    else if (between && before &&
             sg_textscan__word_in(before, (const char *const[]){"dan", "and", NULL}))
      away = 1, between = 0;
    const tok *before2 = before && i > 1 && tk->t[i - 2].sep < SEP_BREAK ? &tk->t[i - 2] : NULL;
    int at = before && sg_textscan__word_in(before, (const char *const[]){"di", "at", NULL});
    if ((before && sg_textscan__word_in(before, not_there)) ||
        (at && before2 && sg_textscan__word_in(before2, not_there)))
      away = 1;
    if (away) {
      i += best_n - 1;
      continue;
    }
    int home =
        (before && sg_textscan__word_in(before, home_words)) ||
        (at && before2 && sg_textscan__word_in(before2, (const char *const[]){"tinggal", NULL}));
    int kel_marked = i > 0 && sg_textscan__word_in(&tk->t[i - 1], kel_markers);
    int kec_marked = i > 0 && sg_textscan__word_in(&tk->t[i - 1], kec_markers);
    if (best_kel && !(kec_marked && best_kec)) {
      /* A kelurahan is a few km across: a fair fix for a dispatcher. A
       * landmark says which one less directly (a market's name may be
       * where someone shops, not where they are): a kelurahan named
       * outright wins over it. */
      double c = best_kel->kind == KIND_LANDMARK
                     ? 0.45 + (best_n > 1 ? 0.1 : 0.0)
                     : 0.6 + (best_n > 1 ? 0.1 : 0.0) + (kel_marked ? 0.2 : 0.0);
      if (home)
        c -= 0.2; /* below any kelurahan named otherwise, a landmark's too */
      if (c > kel.conf)
        kel.e = best_kel, kel.conf = c;
    } else if (best_kec) {
      /* A kecamatan can be hundreds of km²: a weak fix on its own. */
      double c = 0.35 + (kec_marked ? 0.15 : 0.0);
      if (c > kec.conf)
        kec.e = best_kec, kec.conf = c;
    }
    i += best_n - 1;
  }
  const gaz_entry *where = kel.e ? kel.e : kec.e;
  if (!where)
    return;
  double conf = kel.e ? kel.conf : kec.conf;
  if (kel.e) {
    const gaz_entry *k = kelurahan_of(gaz, kel.e);
    snprintf(r->kelurahan, sizeof r->kelurahan, "%s", k->name);
    snprintf(r->kecamatan, sizeof r->kecamatan, "%s", k->kecamatan);
    if (kec.e)
      conf += strcmp(kec.e->name, k->kecamatan) == 0 ? 0.1 : -0.2;
  } else {
    snprintf(r->kecamatan, sizeof r->kecamatan, "%s", kec.e->name);
  }
  if (conf > 0.95)
    conf = 0.95;
  r->lat = where->lat;
  r->lon = where->lon;
  r->place_confidence = conf;
  r->place_approx = where->approx;
}
