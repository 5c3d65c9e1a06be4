/* The lexicon: read from a TSV file (data/lexicon/triage.tsv, built in; its
 * format is documented at the top of that file), kept as phrase entries
 * bucketed by first letter plus a sorted spelling table. Also here: what the
 * spelling table does to scanned tokens (sg_textscan__normalise). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "text/textscan_internal.h"

#define LEX_MAX_BYTES (1u << 20)
#define LEX_MAX_ROWS 8192
#define LEX_BUILTIN "triage.tsv"

static const char *const kind_names[] = {"",      "word",     "neutral",  "negator", "past",
                                         "since", "resolved", "spelling", NULL};
enum { KIND_SPELLING = 7 };

size_t sg_textscan_lexicon_size(const sg_textscan_lexicon *lex) {
  return lex ? lex->n : 0;
}

void sg_textscan_lexicon_destroy(sg_textscan_lexicon *lex) {
  if (!lex)
    return;
  free(lex->by_key);
  free(lex->key_slot);
  free(lex->sp_slot);
  free(lex->e);
  free(lex->sp);
  free(lex);
}

static const char *spelled(const sg_textscan_lexicon *lex, const char *w, size_t len);

/* Folds a phrase as scanned text is folded, each word read through the
 * spelling table, so the file may use either form. */
static int fold_phrase(const sg_textscan_lexicon *lex, tokens *tk, const char *s, size_t len,
                       char *out, size_t size) {
  size_t o = 0;
  sg_textscan__tokenize(s, len, tk);
  out[0] = '\0';
  for (size_t k = 0; k < tk->n; k++) {
    const char *w = tk->t[k].norm;
    size_t wl = tk->t[k].len;
    const char *canon = lex ? spelled(lex, w, wl) : NULL;
    if (canon)
      w = canon, wl = strlen(canon);
    if (o + wl + (o ? 1 : 0) + 1 > size)
      return -1;
    if (o)
      out[o++] = ' ';
    memcpy(out + o, w, wl);
    o += wl;
    out[o] = '\0';
  }
  return o ? 0 : -1;
}

static int cue_from_names(const char *s, size_t len, uint32_t *out) {
  *out = 0;
  if (len == 1 && s[0] == '-')
    return 0;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != ',')
      continue;
    size_t n = i - start;
    int found = 0;
    for (int k = 0; k < SG_CUE_COUNT && !found; k++) {
      const char *name = sg_cue_name(1u << k);
      if (strlen(name) == n && memcmp(name, s + start, n) == 0)
        *out |= 1u << k, found = 1;
    }
    if (!found)
      return -1;
    start = i + 1;
  }
  return 0;
}

static int category_from(const char *s, size_t len, uint8_t *out) {
  char buf[24];
  if (len == 1 && s[0] == '-') {
    *out = SG_TEXTSCAN_UNKNOWN;
    return 0;
  }
  if (len == 0 || len >= sizeof buf)
    return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  sg_textscan_category c = sg_textscan_category_from_name(buf);
  if (c == SG_TEXTSCAN_UNKNOWN)
    return -1;
  *out = (uint8_t)c;
  return 0;
}

typedef struct raw_row {
  int line;
  int kind;
  const char *f[6];
  size_t fl[6];
} raw_row;

static int split_row(const char *line, size_t len, raw_row *r, const char **why) {
  size_t nf = 0, start = 0;
  for (size_t i = 0; i <= len && nf < 6; i++) {
    if (i == len || line[i] == '\t') {
      r->f[nf] = line + start;
      r->fl[nf++] = i - start;
      start = i + 1;
    }
  }
  if (nf != 6 || start <= len) {
    *why = "expected 6 tab-separated fields: kind, phrase, category, weight, cues, en";
    return -1;
  }
  r->kind = 0;
  for (int k = 1; kind_names[k]; k++)
    if (strlen(kind_names[k]) == r->fl[0] && memcmp(kind_names[k], r->f[0], r->fl[0]) == 0)
      r->kind = k;
  if (!r->kind) {
    *why = "unknown kind (word, neutral, negator, past, since, resolved, spelling)";
    return -1;
  }
  return 0;
}

/* qsort has no context argument: the lexicon being sorted, per thread. */
static _Thread_local const sg_textscan_lexicon *sort_lex;

static int key_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  int c = strcmp(sort_lex->e[x].key, sort_lex->e[y].key);
  return c ? c : (x > y) - (x < y); /* file order among equal keys */
}

size_t sg_textscan__squeeze(const char *s, size_t len, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < SG_TEXTSCAN__TOK_LEN; i++)
    if (o == 0 || out[o - 1] != s[i])
      out[o++] = s[i];
  out[o] = '\0';
  return o;
}

/* ---- hash indexes ---- */

static uint32_t str_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* A table of at least twice n slots, a power of two; NULL out of memory. */
static uint32_t *table_new(size_t n, size_t *mask) {
  size_t m = 16;
  while (m < 2 * n)
    m <<= 1;
  *mask = m - 1;
  return calloc(m, sizeof(uint32_t));
}

/* Slot of name in the table: where it is, or the empty slot it would take.
 * name_of(i) is the name stored as 1 + i. */
#define TABLE_FIND(table, mask, name, name_of)                                                     \
  do {                                                                                             \
    slot = str_hash(name) & (mask);                                                                \
    while ((table)[slot] != 0 && strcmp(name_of((table)[slot] - 1), (name)) != 0)                  \
      slot = (slot + 1) & (mask);                                                                  \
  } while (0)

#define KEY_AT(i) (lex->e[lex->by_key[i]].key)
#define SP_AT(i) (lex->sp[i].from)

size_t sg_textscan__key_first(const sg_textscan_lexicon *lex, const char *key) {
  size_t slot;
  if (!lex->key_slot)
    return lex->n;
  TABLE_FIND(lex->key_slot, lex->key_mask, key, KEY_AT);
  return lex->key_slot[slot] ? lex->key_slot[slot] - 1 : lex->n;
}

static int index_keys(sg_textscan_lexicon *lex) {
  if (!(lex->key_slot = table_new(lex->n, &lex->key_mask)))
    return -1;
  for (size_t k = 0; k < lex->n; k++) {
    size_t slot;
    TABLE_FIND(lex->key_slot, lex->key_mask, KEY_AT(k), KEY_AT);
    if (!lex->key_slot[slot])
      lex->key_slot[slot] = (uint32_t)k + 1; /* by_key is sorted: the first of its key */
  }
  return 0;
}

static int index_spellings(sg_textscan_lexicon *lex) {
  if (!(lex->sp_slot = table_new(lex->n_sp, &lex->sp_mask)))
    return -1;
  for (size_t k = 0; k < lex->n_sp; k++) {
    size_t slot;
    TABLE_FIND(lex->sp_slot, lex->sp_mask, SP_AT(k), SP_AT);
    if (!lex->sp_slot[slot])
      lex->sp_slot[slot] = (uint32_t)k + 1;
  }
  return 0;
}

static int spelling_cmp(const void *a, const void *b) {
  return strcmp(((const spelling *)a)->from, ((const spelling *)b)->from);
}

static int parse_entry(const sg_textscan_lexicon *lex, tokens *tk, const raw_row *r, lexentry *e,
                       const char **why) {
  char num[16];
  memset(e, 0, sizeof *e);
  e->kind = (uint8_t)r->kind;
  if (fold_phrase(lex, tk, r->f[1], r->fl[1], e->phrase, sizeof e->phrase) < 0) {
    *why = "phrase empty or longer than 47 bytes";
    return -1;
  }
  if (category_from(r->f[2], r->fl[2], &e->category) < 0) {
    *why = "unknown category";
    return -1;
  }
  if (r->fl[3] == 0 || r->fl[3] >= sizeof num) {
    *why = "weight is not a number";
    return -1;
  }
  memcpy(num, r->f[3], r->fl[3]);
  num[r->fl[3]] = '\0';
  char *end;
  long w = strtol(num, &end, 10);
  int lo = e->kind == LEX_RESOLVED ? -100 : 0, hi = e->kind == LEX_RESOLVED ? 100 : 5;
  if (*end || w < lo || w > hi) {
    *why = "weight out of range (word 0..5, resolved -100..100)";
    return -1;
  }
  e->weight = (int8_t)w;
  if (cue_from_names(r->f[4], r->fl[4], &e->cue) < 0) {
    *why = "unknown cue name (see server/text/cue.h)";
    return -1;
  }
  if (e->kind == LEX_WORD && !e->cue && e->category == SG_TEXTSCAN_UNKNOWN) {
    *why = "a word needs a category or a cue (a compound that counts for nothing is neutral)";
    return -1;
  }
  if (e->kind == LEX_WORD && e->category != SG_TEXTSCAN_UNKNOWN && e->weight == 0) {
    *why = "a word with a category needs a weight of 1..5";
    return -1;
  }
  size_t el = r->fl[5];
  if (el >= sizeof e->en)
    el = sizeof e->en - 1;
  memcpy(e->en, r->f[5], el);
  e->en[el] = '\0';
  if (strcmp(e->en, "-") == 0)
    e->en[0] = '\0';
  return 0;
}

static int parse_spelling(tokens *tk, const raw_row *r, spelling *s, const char **why) {
  char a[48], b[48];
  if (fold_phrase(NULL, tk, r->f[1], r->fl[1], a, sizeof a) < 0 ||
      fold_phrase(NULL, tk, r->f[2], r->fl[2], b, sizeof b) < 0 || strchr(a, ' ') ||
      strchr(b, ' ') || strlen(a) >= sizeof s->from || strlen(b) >= sizeof s->to) {
    *why = "spelling: the typed and the canonical form must be one word each";
    return -1;
  }
  memcpy(s->from, a, strlen(a) + 1); /* lengths checked above */
  memcpy(s->to, b, strlen(b) + 1);
  return 0;
}

int sg_textscan_lexicon_load_buffer(const char *buf, size_t len, sg_textscan_lexicon **out,
                                    int *bad_line, const char **why) {
  const char *dummy_why;
  int dummy_line;
  if (!why)
    why = &dummy_why;
  if (!bad_line)
    bad_line = &dummy_line;
  *out = NULL;
  *bad_line = 0;
  *why = NULL;
  if (len > LEX_MAX_BYTES) {
    *why = "file over 1 MiB";
    return SG_ETOOBIG;
  }
  int rc = SG_ENOMEM;
  raw_row *rows = malloc(LEX_MAX_ROWS * sizeof *rows);
  tokens *tk = malloc(sizeof *tk);
  sg_textscan_lexicon *lex = calloc(1, sizeof *lex);
  lexentry *flat = NULL;
  size_t n_rows = 0, n_sp = 0, n_e = 0;
  if (!rows || !tk || !lex)
    goto fail;
  /* Pass 1: split every row; spelling first, so the phrases of the other
   * rows can be read through it wherever they stand in the file. */
  int line_no = 0;
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    size_t l = end - pos;
    const char *line = buf + pos;
    line_no++;
    pos = end + 1;
    if (l > 0 && line[l - 1] == '\r')
      l--;
    if (l == 0 || line[0] == '#' || (l >= 5 && memcmp(line, "kind\t", 5) == 0))
      continue;
    if (n_rows >= LEX_MAX_ROWS) {
      *why = "more than 8192 rows";
      *bad_line = line_no;
      rc = SG_ETOOBIG;
      goto fail;
    }
    rows[n_rows].line = line_no;
    if (split_row(line, l, &rows[n_rows], why) < 0) {
      *bad_line = line_no;
      rc = SG_EFORMAT;
      goto fail;
    }
    if (rows[n_rows].kind == KIND_SPELLING)
      n_sp++;
    else
      n_e++;
    n_rows++;
  }
  lex->sp = calloc(n_sp ? n_sp : 1, sizeof *lex->sp);
  flat = calloc(n_e ? n_e : 1, sizeof *flat);
  lex->e = calloc(n_e ? n_e : 1, sizeof *lex->e);
  if (!lex->sp || !flat || !lex->e)
    goto fail;
  for (size_t k = 0; k < n_rows; k++) {
    if (rows[k].kind != KIND_SPELLING)
      continue;
    if (parse_spelling(tk, &rows[k], &lex->sp[lex->n_sp], why) < 0) {
      *bad_line = rows[k].line;
      rc = SG_EFORMAT;
      goto fail;
    }
    lex->n_sp++;
  }
  qsort(lex->sp, lex->n_sp, sizeof *lex->sp, spelling_cmp);
  if (index_spellings(lex) < 0)
    goto fail;
  size_t nf = 0;
  for (size_t k = 0; k < n_rows; k++) {
    if (rows[k].kind == KIND_SPELLING)
      continue;
    if (parse_entry(lex, tk, &rows[k], &flat[nf], why) < 0) {
      *bad_line = rows[k].line;
      rc = SG_EFORMAT;
      goto fail;
    }
    flat[nf].line = (uint32_t)rows[k].line;
    nf++;
  }
  /* Bucket by first letter, keeping file order inside a bucket (the first
   * of two equal phrases wins). */
  size_t count[SG_TEXTSCAN__BUCKETS] = {0};
  for (size_t k = 0; k < nf; k++)
    count[sg_textscan__bucket(flat[k].phrase[0])]++;
  size_t at = 0;
  for (int b = 0; b < SG_TEXTSCAN__BUCKETS; b++) {
    lex->bucket[b] = at;
    at += count[b];
  }
  lex->bucket[SG_TEXTSCAN__BUCKETS] = at;
  size_t fill[SG_TEXTSCAN__BUCKETS];
  memcpy(fill, lex->bucket, sizeof fill);
  for (size_t k = 0; k < nf; k++)
    lex->e[fill[sg_textscan__bucket(flat[k].phrase[0])]++] = flat[k];
  lex->n = nf;
  lex->by_key = malloc((nf ? nf : 1) * sizeof *lex->by_key);
  if (!lex->by_key)
    goto fail;
  for (size_t k = 0; k < nf; k++) {
    lexentry *e = &lex->e[k];
    sg_textscan__squeeze(e->phrase, strcspn(e->phrase, " "), e->key);
    e->plen = (uint8_t)strlen(e->phrase);
    e->multi = strchr(e->phrase, ' ') != NULL;
    lex->by_key[k] = (uint32_t)k;
  }
  sort_lex = lex;
  qsort(lex->by_key, nf, sizeof *lex->by_key, key_cmp);
  sort_lex = NULL;
  if (index_keys(lex) < 0)
    goto fail;
  /* Two rows of one phrase (once spelling is applied, "ga sadar" is "tidak
   * sadar") would leave the reader's choice to file order: refused. */
  for (size_t a = 0; a < nf; a++) {
    const lexentry *x = &lex->e[lex->by_key[a]];
    for (size_t b = a + 1; b < nf; b++) {
      const lexentry *y = &lex->e[lex->by_key[b]];
      if (strcmp(x->key, y->key) != 0)
        break;
      if (strcmp(x->phrase, y->phrase) == 0) {
        *why = "the same phrase as another row, once spelling is applied: keep one";
        *bad_line = (int)(x->line > y->line ? x->line : y->line);
        rc = SG_EFORMAT;
        goto fail;
      }
    }
  }
  free(flat);
  free(rows);
  free(tk);
  *out = lex;
  return 0;
fail:
  if (rc == SG_ENOMEM && !*why)
    *why = "out of memory";
  free(flat);
  free(rows);
  free(tk);
  sg_textscan_lexicon_destroy(lex);
  return rc;
}

int sg_textscan_lexicon_load(const char *path, sg_textscan_lexicon **out, int *bad_line,
                             const char **why) {
  const char *dummy;
  if (!why)
    why = &dummy;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    *why = "cannot open the file";
    return SG_EIO;
  }
  char *buf = malloc(LEX_MAX_BYTES + 1);
  if (!buf) {
    fclose(f);
    *why = "out of memory";
    return SG_ENOMEM;
  }
  size_t n = fread(buf, 1, LEX_MAX_BYTES + 1, f);
  int err = ferror(f);
  fclose(f);
  int rc;
  if (err) {
    *why = "cannot read the file";
    rc = SG_EIO;
  } else {
    rc = sg_textscan_lexicon_load_buffer(buf, n, out, bad_line, why);
  }
  free(buf);
  return rc;
}

/* The built-in lexicon is read once, on first use, and never changes after:
 * a constant of the program like the tables it replaced, shared by every
 * thread. A unit test loads the same file, so a bad one never ships. */
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static sg_textscan_lexicon *builtin;

static void load_builtin(void) {
  const sg_embedded_file *f = sg_embedded_find(LEX_BUILTIN);
  if (f)
    (void)sg_textscan_lexicon_load_buffer((const char *)f->data, f->size, &builtin, NULL, NULL);
}

const sg_textscan_lexicon *sg_textscan_lexicon_builtin(void) {
  pthread_once(&builtin_once, load_builtin);
  return builtin;
}

/* ---- what the spelling table does to scanned text ---- */

static const char *lookup(const sg_textscan_lexicon *lex, const char *w) {
  size_t slot;
  TABLE_FIND(lex->sp_slot, lex->sp_mask, w, SP_AT);
  return lex->sp_slot[slot] ? lex->sp[lex->sp_slot[slot] - 1].to : NULL;
}

static const char *spelled(const sg_textscan_lexicon *lex, const char *w, size_t len) {
  char buf[SG_TEXTSCAN__TOK_LEN];
  if (len >= sizeof buf)
    return NULL;
  memcpy(buf, w, len);
  buf[len] = '\0';
  const char *hit = lookup(lex, buf);
  if (hit || len < 4)
    return hit;
  /* "bangeeet", "tulungg": runs of a letter count once */
  size_t o = 0;
  for (size_t i = 0; i < len; i++)
    if (o == 0 || buf[o - 1] != w[i])
      buf[o++] = w[i];
  buf[o] = '\0';
  return o == len ? NULL : lookup(lex, buf);
}

static const char *const redup_exempt[] = {"rt",   "rw",  "km", "no",     "gg",
                                           "blok", "jam", "lt", "lantai", NULL};

void sg_textscan__normalise(const sg_textscan_lexicon *lex, tokens *tk) {
  size_t o = 0;
  for (size_t k = 0; k < tk->n; k++) {
    tok *t = &tk->t[k];
    /* "anak2", "teriak2": a "2" glued to a word repeats it; drop it and
     * keep what separated it from the next word. */
    if (o > 0 && t->digit && t->len == 1 && t->norm[0] == '2') {
      tok *prev = &tk->t[o - 1];
      if (!prev->digit && prev->sep == SEP_NONE && !sg_textscan__word_in(prev, redup_exempt)) {
        prev->sep = t->sep;
        prev->end = t->end;
        continue;
      }
    }
    if (o != k)
      tk->t[o] = *t;
    t = &tk->t[o++];
    memcpy(t->typed, t->norm, sizeof t->typed);
    const char *canon = t->digit ? NULL : spelled(lex, t->norm, t->len);
    if (canon) {
      size_t cl = strlen(canon);
      memcpy(t->norm, canon, cl + 1);
      t->len = (uint8_t)cl;
    }
  }
  tk->n = o;
}
