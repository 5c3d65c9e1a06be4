#include "api/assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSET_MAX (4 << 20) /* Leaflet is ~150 KB; anything this big is not it */

static const struct {
  const char *name, *content_type;
} wanted[] = {{"leaflet.js", "text/javascript; charset=utf-8"},
              {"leaflet.css", "text/css; charset=utf-8"}};
#define N_WANTED (sizeof(wanted) / sizeof(wanted[0]))

struct sg_assets {
  sg_asset files[N_WANTED];
  size_t n;
};

/* The whole file, or NULL (missing, unreadable, too big). */
static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  long n;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= ASSET_MAX &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    } else {
      buf[n] = '\0';
      *size = (size_t)n;
    }
  }
  fclose(f);
  return buf;
}

sg_assets *sg_assets_load(const char *dir) {
  sg_assets *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return NULL;
  for (size_t i = 0; i < N_WANTED; i++) {
    char path[1024];
    size_t size = 0;
    if (snprintf(path, sizeof(path), "%s/%s", dir, wanted[i].name) >= (int)sizeof(path))
      continue;
    char *data = read_file(path, &size);
    if (data == NULL)
      continue;
    a->files[a->n++] = (sg_asset){wanted[i].name, wanted[i].content_type, data, size};
  }
  return a;
}

void sg_assets_destroy(sg_assets *a) {
  if (a == NULL)
    return;
  for (size_t i = 0; i < a->n; i++)
    free((char *)a->files[i].data);
  free(a);
}

const sg_asset *sg_assets_find(const sg_assets *a, const char *name) {
  for (size_t i = 0; a != NULL && i < a->n; i++)
    if (strcmp(a->files[i].name, name) == 0)
      return &a->files[i];
  return NULL;
}

size_t sg_assets_count(const sg_assets *a) { return a != NULL ? a->n : 0; }
