#include "dispatch/kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/error.h"
#include "triage/rules.h"

#define KINDS_FILE_MAX (64 * 1024)
#define KINDS_CATEGORIES_MAX 16 /* categories one kind answers */

typedef struct kind {
  char name[SG_KINDS_NAME_MAX + 1];
  char categories[KINDS_CATEGORIES_MAX][SG_RULES_CATEGORY_MAX];
  size_t n_categories;
} kind;

struct sg_kinds {
  kind k[SG_KINDS_MAX];
  size_t n;
};

static int name_valid(const char *s, size_t len) {
  return len >= 1 && len <= SG_KINDS_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz_") >= len;
}

/* One "kind<TAB>cat,cat" line into k; -1 if it is not one. */
static int parse_line(const char *s, size_t len, kind *k) {
  const char *tab = memchr(s, '\t', len);
  if (tab == NULL || !name_valid(s, (size_t)(tab - s)))
    return -1;
  memset(k, 0, sizeof(*k));
  memcpy(k->name, s, (size_t)(tab - s));
  const char *p = tab + 1, *end = s + len;
  while (p < end) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *stop = comma != NULL ? comma : end;
    size_t n = (size_t)(stop - p);
    if (n == 0 || n >= SG_RULES_CATEGORY_MAX || k->n_categories == KINDS_CATEGORIES_MAX)
      return -1;
    char *cat = k->categories[k->n_categories];
    memcpy(cat, p, n);
    cat[n] = '\0';
    if (!sg_rules_category_known(cat))
      return -1;
    k->n_categories++;
    p = comma != NULL ? comma + 1 : end;
    if (comma != NULL && p == end)
      return -1; /* a trailing comma */
  }
  return k->n_categories > 0 ? 0 : -1;
}

int sg_kinds_load_buffer(const char *buf, size_t len, sg_kinds **out, int *line) {
  *out = NULL;
  *line = 0;
  sg_kinds *ks = calloc(1, sizeof(*ks));
  if (ks == NULL)
    return SG_ENOMEM;
  size_t pos = 0;
  while (pos < len) {
    const char *s = buf + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
    pos += n + (nl != NULL);
    ++*line;
    if (n > 0 && s[n - 1] == '\r')
      n--;
    if (n == 0 || s[0] == '#')
      continue;
    kind k;
    if (ks->n == SG_KINDS_MAX || parse_line(s, n, &k) != 0 || sg_kinds_known(ks, k.name)) {
      free(ks);
      return SG_EFORMAT;
    }
    ks->k[ks->n++] = k;
  }
  if (ks->n == 0) {
    free(ks);
    return SG_EFORMAT;
  }
  *line = 0;
  *out = ks;
  return SG_OK;
}

int sg_kinds_load(const char *path, sg_kinds **out, int *line) {
  *line = 0;
  if (path == NULL) {
    const sg_embedded_file *f = sg_embedded_find("unit_kinds.tsv");
    if (f == NULL)
      return SG_EIO;
    return sg_kinds_load_buffer((const char *)f->data, f->size, out, line);
  }
  FILE *fp = fopen(path, "rb");
  if (fp == NULL)
    return SG_EIO;
  char *buf = malloc(KINDS_FILE_MAX);
  size_t n = buf != NULL ? fread(buf, 1, KINDS_FILE_MAX, fp) : 0;
  int err = ferror(fp) || n == KINDS_FILE_MAX;
  fclose(fp);
  if (buf == NULL)
    return SG_ENOMEM;
  int rc = err ? SG_EIO : sg_kinds_load_buffer(buf, n, out, line);
  free(buf);
  return rc;
}

void sg_kinds_destroy(sg_kinds *ks) {
  free(ks);
}

static const kind *find(const sg_kinds *ks, const char *name) {
  for (size_t i = 0; ks != NULL && name != NULL && i < ks->n; i++)
    if (strcmp(ks->k[i].name, name) == 0)
      return &ks->k[i];
  return NULL;
}

int sg_kinds_known(const sg_kinds *ks, const char *name) {
  return find(ks, name) != NULL;
}

int sg_kinds_answers(const sg_kinds *ks, const char *name, const char *category) {
  const kind *k = find(ks, name);
  for (size_t i = 0; k != NULL && category != NULL && i < k->n_categories; i++)
    if (strcmp(k->categories[i], category) == 0)
      return 1;
  return 0;
}

const char *sg_kinds_list(const sg_kinds *ks, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < ks->n && used < size; i++) {
    int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", ks->k[i].name);
    if (n < 0)
      break;
    used += (size_t)n;
  }
  return buf;
}
