/* The triage protocol file: parsed row by row into fixed tables (13
 * complaints, 30 determinants, a few levels), every field bounded and
 * checked, then checked as a whole (everything listed once, each
 * determinant inside its level's band, P1 > P2 > P3). The format is
 * documented at the top of data/protocol/triage-protocol.tsv. */
#include "triage/protocol.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "text/cue.h"

#define PROTOCOL_BUILTIN "triage-protocol.tsv"
#define PROTOCOL_MAX_BYTES (64u * 1024)
#define TEXT_MAX 64 /* id and en, with the NUL: two fit a reason's detail */
#define LEVEL_MAX 8
#define MAX_FIELDS 8

enum { RULE_STEP, RULE_MAX, RULE_PLEA, RULE_DISAGREE, RULE_COUNT };
static const char *const rule_names[RULE_COUNT] = {"corroboration_step", "corroboration_max",
                                                   "unclear_plea", "text_disagrees"};
static const int rule_hi[RULE_COUNT] = {50, 50, 100, 100};

typedef struct complaint_row {
  int line; /* 0: not listed */
  int points;
  unsigned flags;
  char id[TEXT_MAX], en[TEXT_MAX];
} complaint_row;

typedef struct determinant_row {
  sg_protocol_determinant v; /* its strings point into this row */
  int line;
  char level[LEVEL_MAX], id[TEXT_MAX], en[TEXT_MAX];
} determinant_row;

typedef struct level_row {
  int line;
  int min;
  char name[LEVEL_MAX];
} level_row;

struct sg_protocol {
  complaint_row complaint[SG_TEXTSCAN_CATEGORY_COUNT];
  determinant_row det[SG_CUE_COUNT]; /* file order */
  size_t n_det;
  level_row level[LEVEL_MAX];
  size_t n_level;
  int priority[3], priority_line[3];
  int rule[RULE_COUNT], rule_line[RULE_COUNT];
};

/* A reason naming what is missing; valid until the next load in the thread. */
static _Thread_local char missing_why[96];

typedef struct field {
  const char *s;
  size_t len;
} field;

static int field_is(field f, const char *word) {
  return f.len == strlen(word) && memcmp(f.s, word, f.len) == 0;
}

static int parse_points(field f, int lo, int hi, int *out) {
  if (f.len == 0 || f.len > 3)
    return -1;
  int v = 0;
  for (size_t i = 0; i < f.len; i++) {
    if (f.s[i] < '0' || f.s[i] > '9')
      return -1;
    v = v * 10 + (f.s[i] - '0');
  }
  if (v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* Shown to dispatchers: well-formed UTF-8, no control bytes, bounded. */
static int copy_text(field f, char *out, size_t size) {
  if (f.len == 0 || f.len >= size || !sg_utf8_valid(f.s, f.len))
    return -1;
  for (size_t i = 0; i < f.len; i++)
    if ((unsigned char)f.s[i] < 0x20 || f.s[i] == 0x7f)
      return -1;
  memcpy(out, f.s, f.len);
  out[f.len] = '\0';
  return 0;
}

static int complaint_from(field f, sg_textscan_category *out) {
  for (int c = 0; c < SG_TEXTSCAN_CATEGORY_COUNT; c++)
    if (field_is(f, sg_textscan_category_name((sg_textscan_category)c))) {
      *out = (sg_textscan_category)c;
      return 0;
    }
  return -1;
}

static int cue_from(field f, uint32_t *out) {
  for (int k = 0; k < SG_CUE_COUNT; k++)
    if (field_is(f, sg_cue_name(1u << k))) {
      *out = 1u << k;
      return 0;
    }
  return -1;
}

/* A comma-separated list or '-', each item through one(). */
static int parse_list(field f, int (*one)(field, uint32_t *), uint32_t *out) {
  *out = 0;
  if (field_is(f, "-"))
    return 0;
  size_t start = 0;
  for (size_t i = 0; i <= f.len; i++) {
    if (i < f.len && f.s[i] != ',')
      continue;
    uint32_t bit;
    if (one((field){f.s + start, i - start}, &bit) < 0)
      return -1;
    *out |= bit;
    start = i + 1;
  }
  return 0;
}

static int complaint_bit(field f, uint32_t *out) {
  sg_textscan_category c;
  if (complaint_from(f, &c) < 0)
    return -1;
  *out = 1u << c;
  return 0;
}

static int flag_bit(field f, uint32_t *out) {
  if (field_is(f, "victim"))
    *out = SG_PROTOCOL_VICTIM;
  else if (field_is(f, "unscored"))
    *out = SG_PROTOCOL_UNSCORED;
  else
    return -1;
  return 0;
}

static int parse_level(sg_protocol *p, const field *f, int line, const char **why) {
  if (p->n_level >= LEVEL_MAX) {
    *why = "more than 8 levels";
    return -1;
  }
  level_row *l = &p->level[p->n_level];
  if (f[1].len == 0 || f[1].len >= LEVEL_MAX) {
    *why = "a level name is 1 to 7 capital letters";
    return -1;
  }
  for (size_t i = 0; i < f[1].len; i++)
    if (f[1].s[i] < 'A' || f[1].s[i] > 'Z') {
      *why = "a level name is 1 to 7 capital letters";
      return -1;
    }
  if (parse_points(f[2], 0, 100, &l->min) < 0) {
    *why = "a level's min_points is a number 0..100";
    return -1;
  }
  memcpy(l->name, f[1].s, f[1].len);
  l->name[f[1].len] = '\0';
  for (size_t k = 0; k < p->n_level; k++) {
    if (strcmp(p->level[k].name, l->name) == 0) {
      *why = "this level is listed twice";
      return -1;
    }
    if (p->level[k].min == l->min) {
      *why = "two levels with the same min_points";
      return -1;
    }
  }
  l->line = line;
  p->n_level++;
  return 0;
}

static int parse_complaint(sg_protocol *p, const field *f, int line, const char **why) {
  sg_textscan_category c;
  if (complaint_from(f[1], &c) < 0) {
    *why = "unknown complaint (one of siaga's 13 categories)";
    return -1;
  }
  complaint_row *r = &p->complaint[c];
  if (r->line) {
    *why = "this complaint is listed twice";
    return -1;
  }
  uint32_t flags;
  if (parse_points(f[2], 0, 100, &r->points) < 0) {
    *why = "a complaint's points is a number 0..100";
    return -1;
  }
  if (parse_list(f[3], flag_bit, &flags) < 0) {
    *why = "unknown flag (victim, unscored, or '-')";
    return -1;
  }
  if (copy_text(f[4], r->id, sizeof r->id) < 0 || copy_text(f[5], r->en, sizeof r->en) < 0) {
    *why = "id and en are 1 to 63 bytes of UTF-8 text";
    return -1;
  }
  r->flags = flags;
  r->line = line;
  return 0;
}

static int parse_determinant(sg_protocol *p, const field *f, int line, const char **why) {
  uint32_t cue;
  if (cue_from(f[1], &cue) < 0) {
    *why = "unknown determinant (a cue name of server/text/cue.h)";
    return -1;
  }
  for (size_t k = 0; k < p->n_det; k++)
    if (p->det[k].v.cue == cue) {
      *why = "this determinant is listed twice";
      return -1;
    }
  determinant_row *d = &p->det[p->n_det];
  if (f[2].len == 0 || f[2].len >= LEVEL_MAX) {
    *why = "unknown level (see the level rows)";
    return -1;
  }
  memcpy(d->level, f[2].s, f[2].len);
  d->level[f[2].len] = '\0';
  if (parse_points(f[3], 0, 100, &d->v.points) < 0) {
    *why = "a determinant's points is a number 0..100";
    return -1;
  }
  if (parse_list(f[4], complaint_bit, &d->v.not_in) < 0) {
    *why = "not_in: unknown complaint (comma-separated categories, or '-')";
    return -1;
  }
  if (copy_text(f[5], d->id, sizeof d->id) < 0 || copy_text(f[6], d->en, sizeof d->en) < 0) {
    *why = "id and en are 1 to 63 bytes of UTF-8 text";
    return -1;
  }
  d->v.cue = cue;
  d->v.name = sg_cue_name(cue);
  d->line = line;
  p->n_det++;
  return 0;
}

static int parse_priority(sg_protocol *p, const field *f, int line, const char **why) {
  int level = field_is(f[1], "P1") ? 1 : field_is(f[1], "P2") ? 2 : field_is(f[1], "P3") ? 3 : 0;
  if (!level) {
    *why = "a priority row is for P1, P2 or P3";
    return -1;
  }
  if (p->priority_line[level - 1]) {
    *why = "this priority is listed twice";
    return -1;
  }
  if (parse_points(f[2], 1, 100, &p->priority[level - 1]) < 0) {
    *why = "a priority's min_score is a number 1..100";
    return -1;
  }
  p->priority_line[level - 1] = line;
  return 0;
}

static int parse_rule(sg_protocol *p, const field *f, int line, const char **why) {
  int k = 0;
  while (k < RULE_COUNT && !field_is(f[1], rule_names[k]))
    k++;
  if (k == RULE_COUNT) {
    *why = "unknown rule (corroboration_step, corroboration_max, unclear_plea, text_disagrees)";
    return -1;
  }
  if (p->rule_line[k]) {
    *why = "this rule is listed twice";
    return -1;
  }
  if (parse_points(f[2], 0, rule_hi[k], &p->rule[k]) < 0) {
    *why =
        k <= RULE_MAX ? "a corroboration value is a number 0..50" : "the value is a number 0..100";
    return -1;
  }
  p->rule_line[k] = line;
  return 0;
}

static const struct {
  const char *kind;
  size_t n_fields;
  int (*parse)(sg_protocol *, const field *, int, const char **);
  const char *why;
} kinds[] = {
    {"level", 4, parse_level, "a level row has 4 fields: level, name, min_points, meaning"},
    {"complaint", 6, parse_complaint,
     "a complaint row has 6 fields: complaint, name, points, flags, id, en"},
    {"determinant", 7, parse_determinant,
     "a determinant row has 7 fields: determinant, name, level, points, not_in, id, en"},
    {"priority", 4, parse_priority,
     "a priority row has 4 fields: priority, P1|P2|P3, min, meaning"},
    {"rule", 4, parse_rule, "a rule row has 4 fields: rule, name, value, meaning"},
};

static int parse_row(sg_protocol *p, const char *line, size_t len, int line_no, const char **why) {
  field f[MAX_FIELDS];
  size_t nf = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && line[i] != '\t')
      continue;
    if (nf == MAX_FIELDS) {
      nf++;
      break;
    }
    f[nf++] = (field){line + start, i - start};
    start = i + 1;
  }
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    if (!field_is(f[0], kinds[k].kind))
      continue;
    if (nf != kinds[k].n_fields) {
      *why = kinds[k].why;
      return -1;
    }
    /* A meaning column is free text, but text all the same. */
    field last = f[nf - 1];
    if (kinds[k].n_fields == 4 && (!sg_utf8_valid(last.s, last.len))) {
      *why = "the meaning is not UTF-8 text";
      return -1;
    }
    return kinds[k].parse(p, f, line_no, why);
  }
  *why = "unknown kind (level, complaint, determinant, priority, rule)";
  return -1;
}

/* The band of a level: from its min to the next higher level's min - 1. */
static int check_level(const sg_protocol *p, const determinant_row *d, const char **why) {
  const level_row *l = NULL;
  for (size_t k = 0; k < p->n_level; k++)
    if (strcmp(p->level[k].name, d->level) == 0)
      l = &p->level[k];
  if (!l) {
    *why = "unknown level (see the level rows)";
    return -1;
  }
  int hi = 100;
  for (size_t k = 0; k < p->n_level; k++)
    if (p->level[k].min > l->min && p->level[k].min - 1 < hi)
      hi = p->level[k].min - 1;
  if (d->v.points < l->min || d->v.points > hi) {
    *why = "the points are outside the band of the determinant's level";
    return -1;
  }
  return 0;
}

/* Everything listed, each determinant in its band, P1 > P2 > P3. */
static int check_whole(const sg_protocol *p, int last_line, int *bad_line, const char **why) {
  *bad_line = last_line;
  for (int c = 0; c < SG_TEXTSCAN_CATEGORY_COUNT; c++)
    if (!p->complaint[c].line) {
      snprintf(missing_why, sizeof missing_why, "complaint %s is missing",
               sg_textscan_category_name((sg_textscan_category)c));
      *why = missing_why;
      return -1;
    }
  for (int k = 0; k < SG_CUE_COUNT; k++) {
    size_t j = 0;
    while (j < p->n_det && p->det[j].v.cue != 1u << k)
      j++;
    if (j == p->n_det) {
      snprintf(missing_why, sizeof missing_why, "determinant %s is missing", sg_cue_name(1u << k));
      *why = missing_why;
      return -1;
    }
  }
  for (size_t k = 0; k < p->n_det; k++)
    if (check_level(p, &p->det[k], why) < 0) {
      *bad_line = p->det[k].line;
      return -1;
    }
  for (int k = 0; k < 3; k++)
    if (!p->priority_line[k]) {
      snprintf(missing_why, sizeof missing_why, "priority P%d is missing", k + 1);
      *why = missing_why;
      return -1;
    }
  for (int k = 1; k < 3; k++)
    if (p->priority[k] >= p->priority[k - 1]) {
      *why = "P1 > P2 > P3 must hold: each priority's min_score below the one above";
      *bad_line = p->priority_line[k] > p->priority_line[k - 1] ? p->priority_line[k]
                                                                : p->priority_line[k - 1];
      return -1;
    }
  for (int k = 0; k < RULE_COUNT; k++)
    if (!p->rule_line[k]) {
      snprintf(missing_why, sizeof missing_why, "rule %s is missing", rule_names[k]);
      *why = missing_why;
      return -1;
    }
  return 0;
}

int sg_protocol_load_buffer(const char *buf, size_t len, sg_protocol **out, int *bad_line,
                            const char **why) {
  const char *dummy_why;
  int dummy_line;
  if (!why)
    why = &dummy_why;
  if (!bad_line)
    bad_line = &dummy_line;
  *out = NULL;
  *bad_line = 0;
  *why = NULL;
  if (len > PROTOCOL_MAX_BYTES) {
    *why = "file over 64 KiB";
    return SG_ETOOBIG;
  }
  sg_protocol *p = calloc(1, sizeof *p);
  if (!p) {
    *why = "out of memory";
    return SG_ENOMEM;
  }
  int line_no = 0;
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    const char *line = buf + pos;
    size_t l = end - pos;
    line_no++;
    pos = end + 1;
    if (l > 0 && line[l - 1] == '\r')
      l--;
    if (l == 0 || line[0] == '#' || (l >= 5 && memcmp(line, "kind\t", 5) == 0))
      continue;
    if (parse_row(p, line, l, line_no, why) < 0) {
      *bad_line = line_no;
      free(p);
      return SG_EFORMAT;
    }
  }
  if (check_whole(p, line_no ? line_no : 1, bad_line, why) < 0) {
    free(p);
    return SG_EFORMAT;
  }
  for (size_t k = 0; k < p->n_det; k++) {
    determinant_row *d = &p->det[k];
    d->v.level = d->level;
    d->v.id = d->id;
    d->v.en = d->en;
  }
  *bad_line = 0;
  *out = p;
  return 0;
}

int sg_protocol_load(const char *path, sg_protocol **out, int *bad_line, const char **why) {
  const char *dummy;
  if (!why)
    why = &dummy;
  if (bad_line)
    *bad_line = 0;
  *out = NULL;
  char *buf;
  size_t len;
  int rc = sg_file_read(path, PROTOCOL_MAX_BYTES, &buf, &len);
  if (rc != 0) {
    *why = rc == SG_ETOOBIG ? "file over 64 KiB"
           : rc == SG_EIO   ? "cannot open or read the file"
                            : "out of memory";
    return rc;
  }
  rc = sg_protocol_load_buffer(buf, len, out, bad_line, why);
  free(buf);
  return rc;
}

void sg_protocol_destroy(sg_protocol *p) {
  free(p);
}

/* Read once, on first use, and never changed after: a constant of the
 * program like the C tables it replaced. */
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static sg_protocol *builtin;
static const sg_protocol *in_use;

static void load_builtin(void) {
  const sg_embedded_file *f = sg_embedded_find(PROTOCOL_BUILTIN);
  int line = 0;
  const char *why = "not built in";
  if (f)
    (void)sg_protocol_load_buffer((const char *)f->data, f->size, &builtin, &line, &why);
  if (!builtin) {
    /* A build defect, never input: the unit test loads the same file. */
    fprintf(stderr, "siaga: built-in %s line %d: %s\n", PROTOCOL_BUILTIN, line, why);
    abort();
  }
}

const sg_protocol *sg_protocol_builtin(void) {
  pthread_once(&builtin_once, load_builtin);
  return builtin;
}

const sg_protocol *sg_protocol_active(void) {
  return in_use ? in_use : sg_protocol_builtin();
}

void sg_protocol_use(const sg_protocol *p) {
  in_use = p;
}

static sg_protocol *from_file; /* the process's, never freed */

int sg_protocol_use_file(const char *path, char *err, size_t err_size) {
  int line = 0;
  const char *why = NULL;
  sg_protocol *p = NULL;
  int rc = sg_protocol_load(path, &p, &line, &why);
  if (rc != 0) {
    if (line > 0)
      snprintf(err, err_size, "%s:%d: %s", path, line, why);
    else
      snprintf(err, err_size, "%s: %s", path, why);
    return rc;
  }
  sg_protocol_destroy(from_file);
  from_file = p;
  sg_protocol_use(p);
  return 0;
}

int sg_protocol_complaint_points(const sg_protocol *p, sg_textscan_category c) {
  return p->complaint[c].points;
}

int sg_protocol_complaint_is(const sg_protocol *p, sg_textscan_category c, unsigned flag) {
  return (p->complaint[c].flags & flag) != 0;
}

const char *sg_protocol_complaint_id(const sg_protocol *p, sg_textscan_category c) {
  return p->complaint[c].id;
}

const char *sg_protocol_complaint_en(const sg_protocol *p, sg_textscan_category c) {
  return p->complaint[c].en;
}

const sg_protocol_determinant *sg_protocol_determinant_at(const sg_protocol *p, size_t k) {
  return k < p->n_det ? &p->det[k].v : NULL;
}

int sg_protocol_determinant_points(const sg_protocol *p, const sg_protocol_determinant *d,
                                   sg_textscan_category c) {
  if (sg_protocol_complaint_is(p, c, SG_PROTOCOL_UNSCORED) || (d->not_in & (1u << c)))
    return 0;
  return d->points;
}

int sg_protocol_priority_min(const sg_protocol *p, int level) {
  return p->priority[level - 1];
}

int sg_protocol_corroboration(const sg_protocol *p, size_t n_more) {
  size_t step = (size_t)p->rule[RULE_STEP], max = (size_t)p->rule[RULE_MAX];
  if (step == 0)
    return 0;
  /* n_more >= max implies n_more * step >= max, without the overflow */
  return (int)(n_more >= max ? max : n_more * step > max ? max : n_more * step);
}

int sg_protocol_unclear_plea(const sg_protocol *p) {
  return p->rule[RULE_PLEA];
}

double sg_protocol_text_disagrees(const sg_protocol *p) {
  return p->rule[RULE_DISAGREE] / 100.0;
}
