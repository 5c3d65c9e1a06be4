#include "citizen/track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "citizen/status.h"
#include "core/embedded.h"
#include "core/ids.h"
#include "core/pending.h"
#include "wire/pbjson.h"

#define CT_JSON "application/json"

struct sg_citizen_track {
  sg_citizen_lookup *lookup;
  char config[64 + SG_CITIZEN_SMS_NUMBER_MAX]; /* /lapor/config.json */
};

typedef struct track_request {
  sg_http_request *req;
  sg_citizen_track *track;
  sg_pending *op;
  char report_id[SG_REPORT_ID_LEN + 1];
} track_request;

sg_citizen_track *sg_citizen_track_create(sg_citizen_lookup *lookup, const char *sms_number) {
  if (sms_number == NULL)
    sms_number = "112";
  size_t n = strlen(sms_number);
  if (n == 0 || n > SG_CITIZEN_SMS_NUMBER_MAX || strspn(sms_number, "0123456789+ ") != n)
    return NULL;
  sg_citizen_track *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->lookup = lookup;
  snprintf(t->config, sizeof(t->config), "{\"smsNumber\":\"%s\"}", sms_number);
  return t;
}

void sg_citizen_track_destroy(sg_citizen_track *t) {
  free(t);
}

size_t sg_citizen_track_request_size(void) {
  return sizeof(track_request);
}

static void respond(track_request *r, int status, const char *ct, const void *body, size_t len,
                    const char *headers) {
  sg_pending_orphan(&r->op);
  sg_http_response resp = {.status = status,
                           .content_type = ct,
                           .body = body,
                           .body_len = len,
                           .headers = headers != NULL ? headers : "cache-control: no-store\r\n"};
  sg_http_respond(r->req, &resp);
}

static void respond_error(track_request *r, int status, const char *code, const char *message) {
  sg_pending_orphan(&r->op);
  sg_http_respond_error(r->req, status, code, message, 0);
}

static void respond_unavailable(track_request *r) {
  static const char body[] = "{\"code\":\"unavailable\",\"message\":\"try again\"}";
  respond(r, 503, CT_JSON, body, sizeof(body) - 1, "cache-control: no-store\r\nretry-after: 2\r\n");
}

/* ---- GET /v1/reports/{id}?token= ---- */

static void on_looked_up(void *data, sg_citizen_lookup_status status,
                         const Siaga__V1__Incident *inc) {
  track_request *r = sg_pending_finish(data);
  if (r == NULL)
    return;
  if (status == SG_CITIZEN_LOOKUP_NOT_FOUND) {
    respond_error(r, 404, "not_found", "no report with that id and token");
    return;
  }
  if (status != SG_CITIZEN_LOOKUP_OK) {
    respond_unavailable(r);
    return;
  }
  Siaga__V1__ReportStatus out;
  Siaga__V1__StatusText text;
  sg_citizen_status_fill(&out, &text, r->report_id, inc);
  char *json;
  size_t len;
  if (sg_pbjson_encode(&out.base, &json, &len) != 0) {
    respond_error(r, 503, "unavailable", "out of memory");
    return;
  }
  respond(r, 200, CT_JSON, json, len, NULL);
  free(json);
}

/* The value of name in a query of name=value pairs, copied into out
 * undecoded (tokens and ids need no %-escapes: one that has them is not
 * ours). 0, or -1 if absent or longer than size - 1. */
static int query_value(const char *query, const char *name, char *out, size_t size) {
  size_t nlen = strlen(name);
  for (const char *p = query; p != NULL && *p != '\0';) {
    size_t seg = strcspn(p, "&");
    if (seg > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
      size_t vlen = seg - nlen - 1;
      if (vlen >= size)
        return -1;
      memcpy(out, p + nlen + 1, vlen);
      out[vlen] = '\0';
      return 0;
    }
    p += seg;
    if (*p == '&')
      p++;
  }
  return -1;
}

static void begin_status(track_request *r) {
  const char *id = sg_http_request_path(r->req) + strlen(SG_CITIZEN_TRACK_PREFIX);
  char token[SG_TOKEN_LEN + 2];
  int usable = strlen(id) == SG_REPORT_ID_LEN &&
               query_value(sg_http_request_query(r->req), "token", token, sizeof(token)) == 0;
  if (usable)
    memcpy(r->report_id, id, SG_REPORT_ID_LEN + 1);
  if (!usable || !sg_citizen_lookup_args_valid(r->report_id, token)) {
    /* Malformed: no id of ours looks like this, so it is as unknown. */
    respond_error(r, 404, "not_found", "no report with that id and token");
    return;
  }
  sg_pending *op = sg_pending_start(&r->op, r);
  if (op != NULL &&
      sg_citizen_lookup_report(r->track->lookup, r->report_id, token, on_looked_up, op) == 0)
    return;
  if (op != NULL)
    sg_pending_finish(op);
  respond_unavailable(r);
}

/* ---- the app's files ---- */

static const struct {
  const char *path, *file, *content_type, *headers;
} app_files[] = {
    {"/lapor/", "lapor.html", "text/html; charset=utf-8", "cache-control: no-cache\r\n"},
    {"/lapor/lapor.js", "lapor.js", "text/javascript; charset=utf-8", "cache-control: no-cache\r\n"},
    {"/lapor/lapor.css", "lapor.css", "text/css; charset=utf-8", "cache-control: no-cache\r\n"},
    {"/lapor/manifest.webmanifest", "lapor.webmanifest", "application/manifest+json",
     "cache-control: no-cache\r\n"},
    {"/lapor/icon.svg", "lapor-icon.svg", "image/svg+xml", "cache-control: max-age=86400\r\n"},
    /* The worker is checked for updates on each visit (no-cache). */
    {"/lapor/sw.js", "lapor-sw.js", "text/javascript; charset=utf-8",
     "cache-control: no-cache\r\nservice-worker-allowed: /lapor/\r\n"},
};

static void begin_app(track_request *r, const char *path) {
  if (strcmp(path, "/lapor") == 0) {
    respond(r, 301, "text/plain", "/lapor/\n", 8, "location: /lapor/\r\n");
    return;
  }
  if (strcmp(path, "/lapor/config.json") == 0) {
    respond(r, 200, CT_JSON, r->track->config, strlen(r->track->config), NULL);
    return;
  }
  for (size_t i = 0; i < sizeof(app_files) / sizeof(app_files[0]); i++) {
    if (strcmp(path, app_files[i].path) != 0)
      continue;
    const sg_embedded_file *f = sg_embedded_find(app_files[i].file);
    if (f == NULL)
      break;
    respond(r, 200, app_files[i].content_type, f->data, f->size, app_files[i].headers);
    return;
  }
  respond_error(r, 404, "not_found", "no such page");
}

/* /l/<report id>.<token> -> /lapor/#<report id>.<token>: the fragment
 * never reaches a server log or a proxy, and the page reads it. A link
 * that cannot be ours is 404 (nothing is looked up: the page does that). */
static void begin_link(track_request *r, const char *path) {
  const char *rest = path + strlen(SG_CITIZEN_LINK_PREFIX);
  char id[SG_REPORT_ID_LEN + 1], token[SG_TOKEN_LEN + 1];
  if (strlen(rest) != SG_REPORT_ID_LEN + 1 + SG_TOKEN_LEN || rest[SG_REPORT_ID_LEN] != '.') {
    respond_error(r, 404, "not_found", "no such link");
    return;
  }
  memcpy(id, rest, SG_REPORT_ID_LEN);
  id[SG_REPORT_ID_LEN] = '\0';
  memcpy(token, rest + SG_REPORT_ID_LEN + 1, SG_TOKEN_LEN + 1);
  if (!sg_citizen_lookup_args_valid(id, token)) {
    respond_error(r, 404, "not_found", "no such link");
    return;
  }
  char headers[128];
  snprintf(headers, sizeof(headers), "location: /lapor/#%s.%s\r\ncache-control: no-store\r\n", id,
           token);
  respond(r, 302, "text/plain", "/lapor/\n", 8, headers);
}

static void on_request(void *data, sg_http_request *req) {
  track_request *r = sg_http_request_data(req);
  r->req = req;
  r->track = data;
  const char *path = sg_http_request_path(req);
  sg_http_method m = sg_http_request_method(req);
  if (m != SG_HTTP_GET && m != SG_HTTP_HEAD) {
    static const char body[] = "{\"code\":\"method_not_allowed\",\"message\":\"use GET\"}";
    respond(r, 405, CT_JSON, body, sizeof(body) - 1, "allow: GET\r\n");
    return;
  }
  if (strncmp(path, SG_CITIZEN_TRACK_PREFIX, strlen(SG_CITIZEN_TRACK_PREFIX)) == 0)
    begin_status(r);
  else if (strncmp(path, SG_CITIZEN_LINK_PREFIX, strlen(SG_CITIZEN_LINK_PREFIX)) == 0)
    begin_link(r, path);
  else
    begin_app(r, path);
}

static void on_body(void *data, sg_http_request *req) {
  (void)data;
  (void)req; /* never asked for */
}

static void on_abort(void *data, sg_http_request *req) {
  (void)data;
  track_request *r = sg_http_request_data(req);
  sg_pending_orphan(&r->op);
}

const sg_http_handler sg_citizen_track_handler = {on_request, on_body, on_abort};
