#include "api/assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"

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

/* ---- the responder's page ---- */

static const struct {
  const char *suffix, *content_type;
} page_types[] = {{".html", "text/html; charset=utf-8"},
                  {".js", "text/javascript; charset=utf-8"},
                  {".css", "text/css; charset=utf-8"},
                  {".webmanifest", "application/manifest+json"},
                  {".svg", "image/svg+xml"}};

static const char *page_type(const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < sizeof(page_types) / sizeof(page_types[0]); i++) {
    size_t k = strlen(page_types[i].suffix);
    if (n > k && strcmp(name + n - k, page_types[i].suffix) == 0)
      return page_types[i].content_type;
  }
  return NULL;
}

static void on_page_request(void *data, sg_http_request *req) {
  (void)data;
  const char *path = sg_http_request_path(req);
  sg_http_method method = sg_http_request_method(req);
  if (method != SG_HTTP_GET) {
    static const char body[] = "{\"code\":\"method_not_allowed\",\"message\":\"use GET\"}";
    sg_http_response r = {.status = 405,
                          .content_type = "application/json",
                          .body = body,
                          .body_len = sizeof(body) - 1,
                          .headers = "allow: GET\r\n"};
    sg_http_respond(req, &r);
    return;
  }
  /* Only the page's own files: names of clients/responder/, no folders. */
  const char *name = strcmp(path, "/responder") == 0 || strcmp(path, "/responder/") == 0
                         ? "responder.html"
                         : path + 1;
  const sg_embedded_file *f = strchr(name, '/') == NULL ? sg_embedded_find(name) : NULL;
  const char *type = f != NULL ? page_type(name) : NULL;
  if (type == NULL || strncmp(name, "responder", 9) != 0) {
    sg_http_respond_error(req, 404, "not_found", "no such page", 0);
    return;
  }
  /* Revalidated on every load: the service worker keeps the offline copy. */
  sg_http_response r = {.status = 200,
                        .content_type = type,
                        .body = f->data,
                        .body_len = f->size,
                        .headers = "cache-control: no-cache\r\n"
                                   "x-content-type-options: nosniff\r\n"};
  sg_http_respond(req, &r);
}

static void on_page_body(void *data, sg_http_request *req) {
  (void)data;
  (void)req; /* no body is ever asked for */
}

static void on_page_abort(void *data, sg_http_request *req) {
  (void)data;
  (void)req; /* nothing kept per request */
}

const sg_http_handler sg_assets_responder_handler = {on_page_request, on_page_body, on_page_abort};

const char *sg_assets_console_file(const char *path, const char **content_type) {
  static const struct {
    const char *path, *file, *type;
  } files[] = {
      {"/", "index.html", "text/html; charset=utf-8"},
      {"/index.html", "index.html", "text/html; charset=utf-8"},
      {"/console.js", "console.js", "text/javascript; charset=utf-8"},
      {"/units.js", "units.js", "text/javascript; charset=utf-8"},
      {"/history.js", "history.js", "text/javascript; charset=utf-8"},
      {"/merge.js", "merge.js", "text/javascript; charset=utf-8"},
      {"/i18n.js", "i18n.js", "text/javascript; charset=utf-8"},
      {"/console.css", "console.css", "text/css; charset=utf-8"},
      {"/gazetteer.tsv", "palangka-raya.tsv", "text/tab-separated-values; charset=utf-8"},
  };
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    if (strcmp(path, files[i].path) == 0) {
      *content_type = files[i].type;
      return files[i].file;
    }
  return NULL;
}
