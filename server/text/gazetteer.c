/* The gazetteer: kelurahan and kecamatan names with a centroid each, loaded
 * from a TSV file at runtime so the city's list can be corrected without a
 * rebuild. Format (documented again at the top of the data file):
 *
 *   kind<TAB>name<TAB>kecamatan<TAB>lat<TAB>lon<TAB>approx<TAB>source
 *
 * kind is "kecamatan" or "kelurahan"; name may list spellings separated by
 * '|', the first being canonical ("Sabangau|Sebangau"); approx is 1 or 0.
 * Lines starting with '#' and empty lines are ignored, as is a header line
 * whose first field is "kind". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/textscan_internal.h"

#define GAZ_MAX_BYTES (1u << 20)
#define GAZ_MAX_ROWS 4096
#define GAZ_MAX_ALTS 4

enum { KIND_KECAMATAN = 1, KIND_KELURAHAN = 2 };

typedef struct gaz_entry {
  int kind;
  char name[40];      /* canonical spelling, as in the file */
  char kecamatan[40]; /* the kecamatan it lies in (itself for a kecamatan) */
  double lat, lon;
  int approx;
  size_t n_alts;
  char alts[GAZ_MAX_ALTS][48]; /* folded words, space-separated, for matching */
} gaz_entry;

struct sg_textscan_gazetteer {
  size_t n;
  gaz_entry *rows;
};

size_t sg_textscan_gazetteer_size(const sg_textscan_gazetteer *gaz) { return gaz ? gaz->n : 0; }

void sg_textscan_gazetteer_destroy(sg_textscan_gazetteer *gaz) {
  if (!gaz)
    return;
  free(gaz->rows);
  free(gaz);
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
    gaz->n++;
  }
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

typedef struct candidate {
  const gaz_entry *e;
  double conf;
} candidate;

void sg_textscan__match_gazetteer(const sg_textscan_gazetteer *gaz, const char *text,
                                  const tokens *tk, sg_textscan_result *r) {
  candidate kel = {NULL, 0}, kec = {NULL, 0};
  int between = 0;
  (void)text;
  for (size_t i = 0; i < tk->n; i++) {
    const gaz_entry *best_kel = NULL, *best_kec = NULL;
    size_t best_n = 0;
    for (size_t k = 0; k < gaz->n; k++) {
      const gaz_entry *e = &gaz->rows[k];
      for (size_t a = 0; a < e->n_alts; a++) {
        if (e->alts[a][0] != tk->t[i].norm[0])
          continue; /* most rows, decided without a call */
        size_t n = sg_textscan__phrase_at(tk, i, e->alts[a], 0);
        /* "Palangka Raya" is the city, not kelurahan Palangka */
        if (n == 1 && i + 1 < tk->n && tk->t[i].sep < SEP_BREAK &&
            strcmp(tk->t[i + 1].norm, "raya") == 0)
          n = 0;
        if (n == 0 || n < best_n)
          continue;
        if (n > best_n)
          best_kel = best_kec = NULL, best_n = n;
        if (e->kind == KIND_KELURAHAN && !best_kel)
          best_kel = e;
        if (e->kind == KIND_KECAMATAN && !best_kec)
          best_kec = e;
      }
    }
    if (!best_n)
      continue;
    /* "lari ke arah Langkai", "dibawa ke Menteng", "jalan antara Menteng dan
     * Bukit Tunggal": a destination, a direction or a road between two
     * places is not where it happens. */
    const tok *before = i > 0 && tk->t[i - 1].sep < SEP_BREAK ? &tk->t[i - 1] : NULL;
    int away = before && sg_textscan__word_in(before, not_the_scene);
    if (before && sg_textscan__word_in(before, (const char *const[]){"antara", "between", NULL}))
      away = between = 1;
    else if (between && before &&
             sg_textscan__word_in(before, (const char *const[]){"dan", "and", NULL}))
      away = 1, between = 0;
    if (away) {
      i += best_n - 1;
      continue;
    }
    int kel_marked = i > 0 && sg_textscan__word_in(&tk->t[i - 1], kel_markers);
    int kec_marked = i > 0 && sg_textscan__word_in(&tk->t[i - 1], kec_markers);
    if (best_kel && !(kec_marked && best_kec)) {
      /* A kelurahan is a few km across: a fair fix for a dispatcher. */
      double c = 0.6 + (best_n > 1 ? 0.1 : 0.0) + (kel_marked ? 0.2 : 0.0);
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
    snprintf(r->kelurahan, sizeof r->kelurahan, "%s", kel.e->name);
    snprintf(r->kecamatan, sizeof r->kecamatan, "%s", kel.e->kecamatan);
    if (kec.e)
      conf += strcmp(kec.e->name, kel.e->kecamatan) == 0 ? 0.1 : -0.2;
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
