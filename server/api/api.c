#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/pending.h"
#include "store/keys.h"
#include "wire/pbjson.h"
#include "wire/report.h"

#define CT_JSON "application/json"
#define CT_PROTOBUF "application/x-protobuf"
#define RETRY_AFTER_SECONDS "2"

typedef enum route {
  ROUTE_NONE,
  ROUTE_REPORTS,
  ROUTE_INCIDENTS,
  ROUTE_INCIDENT,
  ROUTE_HEALTH,
  ROUTE_STATIC
} route;

struct sg_api {
  sg_redis *redis;
  sg_ingest *ingest;
  sg_hub *hub;
  char k_open[SG_KEY_MAX];
  char k_updates[SG_KEY_MAX];
  char incident_prefix[SG_KEY_MAX];
  char sha_snapshot[SG_REDIS_SHA_LEN + 1];
};

typedef struct api_session api_session;

/* An asynchronous step (Redis) of a request. If the client leaves first,
 * on_abort clears op->session and the result is dropped (a report is stored
 * all the same). */
/* The api's memory in each sg_http request, zeroed by sg_http per request;
 * valid until the request is answered or aborted. */
struct api_session {
  sg_http_request *req;
  sg_api *api;
  route route;
  int body_protobuf;
  int reply_protobuf;
  int has_key;
  char key[SG_REPORT_KEY_MAX + 1];
  sg_pending *op; /* the Redis request in flight, if any */
  int retry_after;
  const char *allow;
};

sg_api *sg_api_create(sg_redis *redis, sg_ingest *ingest, sg_hub *hub, const char *region) {
  const sg_embedded_file *snap = sg_embedded_find("snapshot.lua");
  sg_api *api = calloc(1, sizeof(*api));
  if (api == NULL || snap == NULL)
    goto fail;
  api->redis = redis;
  api->ingest = ingest;
  api->hub = hub;
  if (sg_key(api->k_open, sizeof(api->k_open), region, SG_KEY_OPEN) < 0 ||
      sg_key(api->k_updates, sizeof(api->k_updates), region, SG_KEY_UPDATES) < 0 ||
      sg_key2(api->incident_prefix, sizeof(api->incident_prefix), region, "incident", "") < 0)
    goto fail;
  if (sg_redis_add_script(redis, (const char *)snap->data, snap->size, api->sha_snapshot) != 0)
    goto fail;
  return api;
fail:
  free(api);
  return NULL;
}

void sg_api_destroy(sg_api *api) {
  free(api);
}

size_t sg_api_request_size(void) {
  return sizeof(api_session);
}

/* ---- responses ---- */

static void release(api_session *s) {
  sg_pending_orphan(&s->op);
}

/* Answers the request; s is not to be used afterwards. */
static void respond(api_session *s, int status, const char *content_type, const void *body,
                    size_t len) {
  char headers[128];
  snprintf(headers, sizeof(headers), "cache-control: no-store\r\n%s%s%s%s",
           s->retry_after ? "retry-after: " RETRY_AFTER_SECONDS "\r\n" : "",
           s->allow != NULL ? "allow: " : "", s->allow != NULL ? s->allow : "",
           s->allow != NULL ? "\r\n" : "");
  sg_http_response r = {.status = status,
                        .content_type = content_type,
                        .body = body,
                        .body_len = len,
                        .headers = headers};
  release(s);
  sg_http_respond(s->req, &r);
}

static void respond_message(api_session *s, int status, const ProtobufCMessage *m) {
  if (s->reply_protobuf) {
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len + 1);
    if (buf != NULL) {
      protobuf_c_message_pack(m, buf);
      respond(s, status, CT_PROTOBUF, buf, len);
      free(buf);
      return;
    }
  } else {
    char *json;
    size_t len;
    if (sg_pbjson_encode(m, &json, &len) == 0) {
      respond(s, status, CT_JSON, json, len);
      free(json);
      return;
    }
  }
  respond(s, 503, CT_JSON, "", 0);
}

/* Errors are always JSON: a client that cannot parse our protobuf reply still
 * gets a readable reason. */
static void respond_error(api_session *s, int status, const char *code, const char *message) {
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  e.code = (char *)code;
  e.message = (char *)message;
  s->reply_protobuf = 0;
  respond_message(s, status, &e.base);
}

static void respond_unavailable(api_session *s, const char *message) {
  s->retry_after = 1;
  respond_error(s, 503, "unavailable", message);
}

/* ---- async steps ---- */

static void on_ingested(const sg_ingest_result *r, void *data) {
  api_session *s = sg_pending_finish(data);
  if (s == NULL)
    return; /* the client left; its report is stored all the same */
  if (r->status == SG_INGEST_OK || r->status == SG_INGEST_DUPLICATE) {
    Siaga__V1__ReportAccepted a = SIAGA__V1__REPORT_ACCEPTED__INIT;
    a.report_id = (char *)r->report_id;
    a.tracking_token = (char *)r->token;
    a.status = "accepted";
    respond_message(s, 202, &a.base);
    return;
  }
  respond_unavailable(s, "report store unavailable; retry with the same Idempotency-Key");
}

static void handle_report(api_session *s) {
  sg_report_error err;
  Siaga__V1__Report *r = NULL;
  size_t body_len;
  const uint8_t *body = sg_http_request_body(s->req, &body_len);
  if (s->body_protobuf) {
    r = sg_report_decode_pb(body, body_len, &err);
  } else {
    char reason[192];
    snprintf(err.code, sizeof(err.code), "bad_json");
    if (sg_pbjson_decode(&siaga__v1__report__descriptor, (const char *)body, body_len, NULL,
                         (ProtobufCMessage **)&r, reason, sizeof(reason)) != 0)
      snprintf(err.message, sizeof(err.message), "%s", reason);
  }
  if (r == NULL) {
    respond_error(s, 400, err.code, err.message);
    return;
  }
  if (sg_report_validate(r, &err) != 0) {
    respond_error(s, 400, err.code, err.message);
    siaga__v1__report__free_unpacked(r, NULL);
    return;
  }
  if (r->n_flags > 0) {
    respond_error(s, 400, "bad_report", "flags: set by the server only");
    siaga__v1__report__free_unpacked(r, NULL);
    return;
  }
  /* Channel and ids are the server's to set, whatever the body said. */
  r->channel = SIAGA__V1__CHANNEL__CHANNEL_APP;
  sg_pending *op = sg_pending_start(&s->op, s);
  if (op == NULL)
    respond_unavailable(s, "out of memory");
  else
    sg_ingest_submit(s->api->ingest, r, s->has_key ? s->key : NULL, on_ingested, op);
  siaga__v1__report__free_unpacked(r, NULL);
}

static void on_incidents(redisReply *reply, void *data) {
  api_session *s = sg_pending_finish(data);
  if (s == NULL)
    return;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
      reply->element[0]->type != REDIS_REPLY_STRING) {
    respond_unavailable(s, "incident store unavailable");
    return;
  }
  size_t n = reply->elements - 1, got = 0;
  Siaga__V1__Incident **list = calloc(n ? n : 1, sizeof(*list));
  for (size_t i = 0; list != NULL && i < n; i++) {
    redisReply *e = reply->element[i + 1];
    if (e->type == REDIS_REPLY_STRING &&
        (list[got] = siaga__v1__incident__unpack(NULL, e->len, (const uint8_t *)e->str)) != NULL)
      got++;
  }
  Siaga__V1__IncidentList out = SIAGA__V1__INCIDENT_LIST__INIT;
  out.incidents = list;
  out.n_incidents = got;
  out.last_update_id = reply->element[0]->str;
  respond_message(s, 200, &out.base);
  for (size_t i = 0; i < got; i++)
    siaga__v1__incident__free_unpacked(list[i], NULL);
  free(list);
}

static void on_incident(redisReply *reply, void *data) {
  api_session *s = sg_pending_finish(data);
  if (s == NULL)
    return;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
    respond_unavailable(s, "incident store unavailable");
    return;
  }
  Siaga__V1__Incident *inc = NULL;
  if (reply->type == REDIS_REPLY_STRING)
    inc = siaga__v1__incident__unpack(NULL, reply->len, (const uint8_t *)reply->str);
  if (inc == NULL) {
    respond_error(s, 404, "not_found", "no incident with that id");
    return;
  }
  respond_message(s, 200, &inc->base);
  siaga__v1__incident__free_unpacked(inc, NULL);
}

static void respond_health(api_session *s, int up) {
  char body[128];
  int n = snprintf(body, sizeof(body), "{\"status\":\"%s\",\"redis\":\"%s\",\"consoles\":%zu}",
                   up ? "ok" : "unavailable", up ? "up" : "down", sg_hub_sessions(s->api->hub));
  s->retry_after = !up;
  respond(s, up ? 200 : 503, CT_JSON, body, (size_t)n);
}

static void on_ping(redisReply *reply, void *data) {
  api_session *s = sg_pending_finish(data);
  if (s != NULL)
    respond_health(s, reply != NULL && reply->type == REDIS_REPLY_STATUS);
}

/* Queues a Redis command for a request; returns -1 if Redis cannot take it. */
static int query(api_session *s, sg_redis_reply_cb cb, int argc, const char **argv) {
  size_t lens[8];
  for (int i = 0; i < argc; i++)
    lens[i] = strlen(argv[i]);
  sg_pending *op = sg_pending_start(&s->op, s);
  if (op != NULL && sg_redis_command(s->api->redis, cb, op, argc, argv, lens) == 0)
    return 0;
  if (op != NULL)
    sg_pending_finish(op);
  return -1;
}

/* ---- request start ---- */

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Checks Content-Length against the api's limit; 0 if the body may be read,
 * -1 if an error answer is sent. (sg_http refused Transfer-Encoding and
 * malformed lengths already.) */
static int check_length(api_session *s) {
  int64_t cl = sg_http_request_content_length(s->req);
  if (cl < 0) {
    respond_error(s, 411, "length_required", "Content-Length is required");
    return -1;
  }
  if (cl > SG_REPORT_BODY_MAX) {
    respond_error(s, 413, "too_large", "bodies are limited to 65536 bytes");
    return -1;
  }
  return 0;
}

/* Checks the headers of POST /v1/reports, then reads its body. */
static void begin_report(api_session *s) {
  sg_http_request *req = s->req;
  if (check_length(s) != 0)
    return;
  const char *ct = sg_http_request_header(req, "content-type");
  if (ct != NULL && (starts_with(ct, CT_PROTOBUF) || starts_with(ct, "application/protobuf")))
    s->body_protobuf = 1;
  else if (ct == NULL || !starts_with(ct, CT_JSON)) {
    respond_error(s, 415, "unsupported_media_type",
                  "Content-Type must be application/json or application/x-protobuf");
    return;
  }
  const char *accept = sg_http_request_header(req, "accept");
  s->reply_protobuf = accept != NULL && strstr(accept, CT_PROTOBUF) != NULL;
  const char *key = sg_http_request_header(req, "idempotency-key");
  if (key != NULL) {
    size_t key_len = strlen(key);
    if (key_len == 0 || key_len > SG_REPORT_KEY_MAX || !sg_report_key_valid(key, key_len)) {
      respond_error(s, 400, "bad_idempotency_key",
                    "Idempotency-Key: 1 to 128 printable ASCII characters");
      return;
    }
    memcpy(s->key, key, key_len + 1);
    s->has_key = 1;
  }
  if (sg_http_request_content_length(req) == 0) {
    respond_error(s, 400, "empty_body", "the body is empty");
    return;
  }
  sg_http_read_body(req);
}

static void begin_static(api_session *s, const char *name) {
  const sg_embedded_file *f = sg_embedded_find(name);
  const char *ct = "text/html; charset=utf-8";
  if (strstr(name, ".js") != NULL)
    ct = "text/javascript; charset=utf-8";
  else if (strstr(name, ".css") != NULL)
    ct = "text/css; charset=utf-8";
  if (f == NULL)
    respond_error(s, 404, "not_found", "no such page");
  else
    respond(s, 200, ct, f->data, f->size);
}

static int method_allowed(api_session *s, sg_http_method want) {
  if (sg_http_request_method(s->req) == want)
    return 1;
  s->allow = want == SG_HTTP_GET ? "GET" : "POST";
  respond_error(s, 405, "method_not_allowed", want == SG_HTTP_GET ? "use GET" : "use POST");
  return 0;
}

static void on_request(void *data, sg_http_request *req) {
  sg_api *api = data;
  api_session *s = sg_http_request_data(req);
  s->req = req;
  s->api = api;
  const char *path = sg_http_request_path(req);

  if (strcmp(path, "/v1/reports") == 0) {
    s->route = ROUTE_REPORTS;
    if (method_allowed(s, SG_HTTP_POST))
      begin_report(s);
  } else if (strcmp(path, "/v1/incidents") == 0) {
    s->route = ROUTE_INCIDENTS;
    if (method_allowed(s, SG_HTTP_GET)) {
      const char *argv[] = {"EVALSHA",      api->sha_snapshot,    "2",   api->k_open,
                            api->k_updates, api->incident_prefix, "5000"};
      if (query(s, on_incidents, 7, argv) != 0)
        respond_unavailable(s, "incident store unavailable");
    }
  } else if (starts_with(path, "/v1/incidents/")) {
    const char *id = path + strlen("/v1/incidents/");
    s->route = ROUTE_INCIDENT;
    if (!sg_key_id_valid(id)) {
      respond_error(s, 404, "not_found", "no incident with that id");
    } else if (method_allowed(s, SG_HTTP_GET)) {
      char key[SG_KEY_MAX];
      int n = snprintf(key, sizeof(key), "%s%s", api->incident_prefix, id);
      const char *argv[] = {"HGET", key, "pb"};
      if (n >= (int)sizeof(key) || query(s, on_incident, 3, argv) != 0)
        respond_unavailable(s, "incident store unavailable");
    }
  } else if (strcmp(path, "/healthz") == 0) {
    s->route = ROUTE_HEALTH;
    if (method_allowed(s, SG_HTTP_GET)) {
      const char *argv[] = {"PING"};
      if (query(s, on_ping, 1, argv) != 0)
        respond_health(s, 0);
    }
  } else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0 ||
             strcmp(path, "/console.js") == 0 || strcmp(path, "/console.css") == 0) {
    s->route = ROUTE_STATIC;
    if (method_allowed(s, SG_HTTP_GET))
      begin_static(s, strcmp(path, "/") == 0 ? "index.html" : path + 1);
  } else {
    respond_error(s, 404, "not_found", "no such path");
  }
}

static void on_body(void *data, sg_http_request *req) {
  api_session *s = sg_http_request_data(req);
  (void)data;
  handle_report(s);
}

static void on_abort(void *data, sg_http_request *req) {
  (void)data;
  release(sg_http_request_data(req));
}

const sg_http_handler sg_api_handler = {on_request, on_body, on_abort};
