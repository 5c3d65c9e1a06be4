#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "keys.h"
#include "pbjson.h"
#include "report.h"

#define CT_JSON "application/json"
#define CT_PROTOBUF "application/x-protobuf"
#define RETRY_AFTER_SECONDS "2"
#define SINGLE_WRITE_MAX 2048 /* bodies up to this go out with their headers */

typedef enum route {
  ROUTE_NONE,
  ROUTE_REPORTS,
  ROUTE_INCIDENTS,
  ROUTE_INCIDENT,
  ROUTE_HEALTH,
  ROUTE_STATIC,
  ROUTE_SMS
} route;

typedef enum method { METHOD_OTHER, METHOD_GET, METHOD_POST, METHOD_HEAD } method;

struct sg_api {
  sg_redis *redis;
  sg_ingest *ingest;
  sg_hub *hub;
  sg_sms *sms;
  char k_open[SG_KEY_MAX];
  char k_updates[SG_KEY_MAX];
  char incident_prefix[SG_KEY_MAX];
  char sha_snapshot[SG_REDIS_SHA_LEN + 1];
  int in_callback; /* inside sg_api_callback: answers wait for HTTP_WRITEABLE */
};

typedef struct api_session api_session;

/* An asynchronous step (Redis) of a request. If the connection closes first,
 * the session clears op->session and the result is dropped. */
typedef struct api_op {
  api_session *session;
} api_op;

struct api_session {
  struct lws *wsi;
  sg_api *api;
  route route;
  char path[256]; /* for routes answered after the body is read */
  int body_protobuf;
  int reply_protobuf;
  int has_key;
  char key[SG_REPORT_KEY_MAX + 1];
  uint8_t *body;
  size_t body_len, body_expected;
  api_op *op;

  int ready; /* a response is waiting for HTTP_WRITEABLE */
  int status;
  const char *content_type;
  unsigned char *resp; /* LWS_PRE headroom, then resp_len bytes */
  size_t resp_len;
  int retry_after;
  int close_after; /* the body was not read: the connection cannot be reused */
  const char *allow;
};

sg_api *sg_api_create(sg_redis *redis, sg_ingest *ingest, sg_hub *hub, sg_sms *sms,
                      const char *region) {
  const sg_embedded_file *snap = sg_embedded_find("snapshot.lua");
  sg_api *api = calloc(1, sizeof(*api));
  if (api == NULL || snap == NULL)
    goto fail;
  api->redis = redis;
  api->ingest = ingest;
  api->hub = hub;
  api->sms = sms;
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

size_t sg_api_session_size(void) {
  return sizeof(api_session);
}

/* ---- responses ---- */

static void send_now(api_session *s);

static void respond(api_session *s, int status, const char *content_type, const void *body,
                    size_t len) {
  free(s->resp);
  s->resp = malloc(LWS_PRE + len + 1);
  if (s->resp == NULL) {
    s->resp_len = 0;
    s->status = HTTP_STATUS_SERVICE_UNAVAILABLE;
    s->close_after = 1;
  } else {
    memcpy(s->resp + LWS_PRE, body, len);
    s->resp_len = len;
    s->status = status;
  }
  s->content_type = content_type;
  s->ready = 1;
  if (s->api != NULL && !s->api->in_callback && !s->close_after)
    send_now(s);
  else
    lws_callback_on_writable(s->wsi);
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
  respond(s, HTTP_STATUS_SERVICE_UNAVAILABLE, CT_JSON, "", 0);
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
  respond_error(s, HTTP_STATUS_SERVICE_UNAVAILABLE, "unavailable", message);
}

static int write_response(api_session *s) {
  unsigned char headers[LWS_PRE + 512];
  unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof(headers) - 1;
  struct lws *wsi = s->wsi;
  if (lws_add_http_common_headers(wsi, (unsigned int)s->status, s->content_type, s->resp_len, &p,
                                  end) != 0)
    return -1;
  if (s->retry_after &&
      lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
                                  (const unsigned char *)RETRY_AFTER_SECONDS, 1, &p, end) != 0)
    return -1;
  if (s->allow != NULL &&
      lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
                                  (const unsigned char *)s->allow, (int)strlen(s->allow), &p,
                                  end) != 0)
    return -1;
  if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                  (const unsigned char *)"no-store", 8, &p, end) != 0)
    return -1;
  if (s->close_after &&
      lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                  (const unsigned char *)"close", 5, &p, end) != 0)
    return -1;
  if (lws_finalize_http_header(wsi, &p, end) != 0)
    return -1;
  size_t head_len = (size_t)(p - start);
  if (s->resp_len <= SINGLE_WRITE_MAX) {
    /* Headers and body in one send: half the system calls and segments. */
    unsigned char one[LWS_PRE + 512 + SINGLE_WRITE_MAX];
    memcpy(one + LWS_PRE, start, head_len);
    memcpy(one + LWS_PRE + head_len, s->resp + LWS_PRE, s->resp_len);
    size_t total = head_len + s->resp_len;
    return lws_write(wsi, one + LWS_PRE, total, LWS_WRITE_HTTP_HEADERS) < (int)total ? -1 : 0;
  }
  if (lws_write(wsi, start, head_len, LWS_WRITE_HTTP_HEADERS) < (int)head_len ||
      lws_write(wsi, s->resp + LWS_PRE, s->resp_len, LWS_WRITE_HTTP_FINAL) < (int)s->resp_len)
    return -1;
  return 0;
}

static void release(api_session *s);

/* Answers from a Redis reply at once instead of asking lws for a writable
 * callback: the callback costs two epoll_ctl calls and a loop turn per
 * request, the largest share of the edge's CPU after the send itself
 * (bench/README.md). lws_write outside the callback is safe: what the kernel
 * does not take now, lws keeps and sends first, and it completes the
 * transaction once that is out. Answers that close the connection keep the
 * callback path, which closes only after the answer has gone. */
static void send_now(api_session *s) {
  struct lws *wsi = s->wsi;
  s->ready = 0;
  int failed = write_response(s) != 0;
  release(s);
  if (failed || lws_http_transaction_completed(wsi) != 0)
    lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

/* ---- async steps ---- */

static api_op *op_start(api_session *s) {
  api_op *op = malloc(sizeof(*op));
  if (op != NULL) {
    op->session = s;
    s->op = op;
  }
  return op;
}

static api_session *op_finish(api_op *op) {
  api_session *s = op->session;
  free(op);
  if (s != NULL)
    s->op = NULL;
  return s;
}

static void on_ingested(const sg_ingest_result *r, void *data) {
  api_session *s = op_finish(data);
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
  if (s->body_protobuf) {
    r = sg_report_decode_pb(s->body, s->body_len, &err);
  } else {
    char reason[192];
    snprintf(err.code, sizeof(err.code), "bad_json");
    if (sg_pbjson_decode(&siaga__v1__report__descriptor, (const char *)s->body, s->body_len, NULL,
                         (ProtobufCMessage **)&r, reason, sizeof(reason)) != 0)
      snprintf(err.message, sizeof(err.message), "%s", reason);
  }
  if (r == NULL) {
    respond_error(s, HTTP_STATUS_BAD_REQUEST, err.code, err.message);
    return;
  }
  if (sg_report_validate(r, &err) != 0) {
    respond_error(s, HTTP_STATUS_BAD_REQUEST, err.code, err.message);
    siaga__v1__report__free_unpacked(r, NULL);
    return;
  }
  if (r->n_flags > 0) {
    respond_error(s, HTTP_STATUS_BAD_REQUEST, "bad_report", "flags: set by the server only");
    siaga__v1__report__free_unpacked(r, NULL);
    return;
  }
  /* Channel and ids are the server's to set, whatever the body said. */
  r->channel = SIAGA__V1__CHANNEL__CHANNEL_APP;
  api_op *op = op_start(s);
  if (op == NULL)
    respond_unavailable(s, "out of memory");
  else
    sg_ingest_submit(s->api->ingest, r, s->has_key ? s->key : NULL, on_ingested, op);
  siaga__v1__report__free_unpacked(r, NULL);
}

static void on_incidents(redisReply *reply, void *data) {
  api_session *s = op_finish(data);
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
  respond_message(s, HTTP_STATUS_OK, &out.base);
  for (size_t i = 0; i < got; i++)
    siaga__v1__incident__free_unpacked(list[i], NULL);
  free(list);
}

static void on_incident(redisReply *reply, void *data) {
  api_session *s = op_finish(data);
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
    respond_error(s, HTTP_STATUS_NOT_FOUND, "not_found", "no incident with that id");
    return;
  }
  respond_message(s, HTTP_STATUS_OK, &inc->base);
  siaga__v1__incident__free_unpacked(inc, NULL);
}

static void respond_health(api_session *s, int up) {
  char body[128];
  int n = snprintf(body, sizeof(body), "{\"status\":\"%s\",\"redis\":\"%s\",\"consoles\":%zu}",
                   up ? "ok" : "unavailable", up ? "up" : "down", sg_hub_sessions(s->api->hub));
  s->retry_after = !up;
  respond(s, up ? HTTP_STATUS_OK : HTTP_STATUS_SERVICE_UNAVAILABLE, CT_JSON, body, (size_t)n);
}

static void on_ping(redisReply *reply, void *data) {
  api_session *s = op_finish(data);
  if (s != NULL)
    respond_health(s, reply != NULL && reply->type == REDIS_REPLY_STATUS);
}

/* Queues a Redis command for a request; returns -1 if Redis cannot take it. */
static int query(api_session *s, sg_redis_reply_cb cb, int argc, const char **argv) {
  size_t lens[8];
  for (int i = 0; i < argc; i++)
    lens[i] = strlen(argv[i]);
  api_op *op = op_start(s);
  if (op != NULL && sg_redis_command(s->api->redis, cb, op, argc, argv, lens) == 0)
    return 0;
  if (op != NULL)
    op_finish(op);
  return -1;
}

/* ---- request start ---- */

static int header_copy(struct lws *wsi, enum lws_token_indexes h, char *buf, int size) {
  int len = lws_hdr_total_length(wsi, h);
  if (len <= 0)
    return 0;
  if (len >= size)
    return -1;
  return lws_hdr_copy(wsi, buf, size, h) < 0 ? -1 : len;
}

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Checks Content-Length and prepares to read the body; returns 0 if the
 * body will be read, -1 if an error answer is already queued. */
static int begin_body(api_session *s) {
  struct lws *wsi = s->wsi;
  char buf[32];
  s->close_after = 1; /* until the body is known to be readable */
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
    respond_error(s, HTTP_STATUS_LENGTH_REQUIRED, "length_required",
                  "chunked bodies are not accepted; send Content-Length");
    return -1;
  }
  int n = header_copy(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, buf, sizeof(buf));
  if (n <= 0) {
    respond_error(s, HTTP_STATUS_LENGTH_REQUIRED, "length_required", "Content-Length is required");
    return -1;
  }
  char *end;
  unsigned long long cl = strtoull(buf, &end, 10);
  if (buf[0] < '0' || buf[0] > '9' || *end != '\0') {
    respond_error(s, HTTP_STATUS_BAD_REQUEST, "bad_length", "Content-Length is not a number");
    return -1;
  }
  if (cl > SG_REPORT_BODY_MAX) {
    respond_error(s, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "too_large",
                  "bodies are limited to 65536 bytes");
    return -1;
  }
  s->body = malloc(cl ? cl : 1);
  if (s->body == NULL) {
    respond_unavailable(s, "out of memory");
    return -1;
  }
  s->body_expected = cl;
  s->close_after = 0;
  return 0;
}

/* Checks the headers of POST /v1/reports before its body is read. */
static int begin_report(api_session *s) {
  struct lws *wsi = s->wsi;
  char buf[128];
  if (begin_body(s) != 0)
    return 0;
  int n = header_copy(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, buf, sizeof(buf));
  if (n > 0 && (starts_with(buf, CT_PROTOBUF) || starts_with(buf, "application/protobuf")))
    s->body_protobuf = 1;
  else if (n <= 0 || !starts_with(buf, CT_JSON)) {
    s->close_after = 1;
    respond_error(s, HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                  "Content-Type must be application/json or application/x-protobuf");
    return 0;
  }
  n = header_copy(wsi, WSI_TOKEN_HTTP_ACCEPT, buf, sizeof(buf));
  s->reply_protobuf = n > 0 && strstr(buf, CT_PROTOBUF) != NULL;
  int key_len = lws_hdr_custom_length(wsi, "idempotency-key:", 16);
  if (key_len > 0) {
    if (key_len > SG_REPORT_KEY_MAX ||
        lws_hdr_custom_copy(wsi, s->key, sizeof(s->key), "idempotency-key:", 16) != key_len ||
        !sg_report_key_valid(s->key, (size_t)key_len)) {
      s->close_after = 1;
      respond_error(s, HTTP_STATUS_BAD_REQUEST, "bad_idempotency_key",
                    "Idempotency-Key: 1 to 128 printable ASCII characters");
      return 0;
    }
    s->has_key = 1;
  }
  if (s->body_expected == 0)
    respond_error(s, HTTP_STATUS_BAD_REQUEST, "empty_body", "the body is empty");
  return 0;
}

/* ---- SMS webhooks: the sms module answers through api_op ---- */

static void on_sms_reply(void *ctx, int status, const char *content_type, const char *body,
                         size_t len) {
  api_session *s = op_finish(ctx);
  if (s == NULL)
    return;
  s->retry_after = status == HTTP_STATUS_SERVICE_UNAVAILABLE;
  respond(s, status, content_type, body, len);
}

static void handle_sms(api_session *s, int is_post) {
  api_op *op = op_start(s);
  if (op == NULL) {
    respond_unavailable(s, "out of memory");
    return;
  }
  sg_sms_request req = {.wsi = s->wsi,
                        .path = s->path,
                        .is_post = is_post,
                        .body = is_post ? s->body : NULL,
                        .body_len = is_post ? s->body_len : 0};
  sg_sms_handle(s->api->sms, &req, on_sms_reply, op);
}

static void begin_static(api_session *s, const char *name) {
  const sg_embedded_file *f = sg_embedded_find(name);
  const char *ct = "text/html; charset=utf-8";
  if (strstr(name, ".js") != NULL)
    ct = "text/javascript; charset=utf-8";
  else if (strstr(name, ".css") != NULL)
    ct = "text/css; charset=utf-8";
  if (f == NULL)
    respond_error(s, HTTP_STATUS_NOT_FOUND, "not_found", "no such page");
  else
    respond(s, HTTP_STATUS_OK, ct, f->data, f->size);
}

static method request_method(struct lws *wsi) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
    return METHOD_GET;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
    return METHOD_POST;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0)
    return METHOD_HEAD;
  return METHOD_OTHER;
}

static int method_allowed(api_session *s, method m, method want) {
  if (m == want)
    return 1;
  s->allow = want == METHOD_GET ? "GET" : "POST";
  s->close_after = m == METHOD_POST || m == METHOD_OTHER; /* a body may follow */
  respond_error(s, HTTP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                want == METHOD_GET ? "use GET" : "use POST");
  return 0;
}

static int on_http(api_session *s, sg_api *api, struct lws *wsi, const char *path) {
  memset(s, 0, sizeof(*s));
  s->wsi = wsi;
  s->api = api;
  method m = request_method(wsi);

  if (strcmp(path, "/v1/reports") == 0) {
    s->route = ROUTE_REPORTS;
    if (method_allowed(s, m, METHOD_POST))
      return begin_report(s);
  } else if (strcmp(path, "/v1/incidents") == 0) {
    s->route = ROUTE_INCIDENTS;
    if (method_allowed(s, m, METHOD_GET)) {
      const char *argv[] = {"EVALSHA", api->sha_snapshot, "2", api->k_open, api->k_updates,
                            api->incident_prefix, "5000"};
      if (query(s, on_incidents, 7, argv) != 0)
        respond_unavailable(s, "incident store unavailable");
    }
  } else if (starts_with(path, "/v1/incidents/")) {
    const char *id = path + strlen("/v1/incidents/");
    s->route = ROUTE_INCIDENT;
    if (!sg_key_id_valid(id)) {
      respond_error(s, HTTP_STATUS_NOT_FOUND, "not_found", "no incident with that id");
    } else if (method_allowed(s, m, METHOD_GET)) {
      char key[SG_KEY_MAX];
      int n = snprintf(key, sizeof(key), "%s%s", api->incident_prefix, id);
      const char *argv[] = {"HGET", key, "pb"};
      if (n >= (int)sizeof(key) || query(s, on_incident, 3, argv) != 0)
        respond_unavailable(s, "incident store unavailable");
    }
  } else if (sg_sms_route(path)) {
    s->route = ROUTE_SMS;
    snprintf(s->path, sizeof(s->path), "%s", path);
    if (m == METHOD_GET)
      handle_sms(s, 0);
    else if (method_allowed(s, m, METHOD_POST) && begin_body(s) == 0 && s->body_expected == 0)
      handle_sms(s, 1);
  } else if (strcmp(path, "/healthz") == 0) {
    s->route = ROUTE_HEALTH;
    if (method_allowed(s, m, METHOD_GET)) {
      const char *argv[] = {"PING"};
      if (query(s, on_ping, 1, argv) != 0)
        respond_health(s, 0);
    }
  } else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0 ||
             strcmp(path, "/console.js") == 0 || strcmp(path, "/console.css") == 0) {
    s->route = ROUTE_STATIC;
    if (method_allowed(s, m, METHOD_GET))
      begin_static(s, strcmp(path, "/") == 0 ? "index.html" : path + 1);
  } else {
    s->close_after = m == METHOD_POST || m == METHOD_OTHER;
    respond_error(s, HTTP_STATUS_NOT_FOUND, "not_found", "no such path");
  }
  return 0;
}

static void release(api_session *s) {
  if (s->op != NULL) {
    s->op->session = NULL;
    s->op = NULL;
  }
  free(s->body);
  s->body = NULL;
  free(s->resp);
  s->resp = NULL;
}

static int api_callback(sg_api *api, struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len);

int sg_api_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  const struct lws_protocols *p = lws_get_protocol(wsi);
  sg_api *api = p != NULL ? p->user : NULL;
  if (api != NULL)
    api->in_callback++;
  int rc = api_callback(api, wsi, reason, user, in, len);
  if (api != NULL)
    api->in_callback--;
  return rc;
}

static int api_callback(sg_api *api, struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len) {
  api_session *s = user;
  switch (reason) {
  case LWS_CALLBACK_HTTP: {
    char path[256];
    int n = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
    if (n <= 0)
      n = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_POST_URI);
    if (n <= 0)
      snprintf(path, sizeof(path), "%s", in != NULL ? (const char *)in : "");
    return on_http(s, api, wsi, path);
  }
  case LWS_CALLBACK_HTTP_BODY:
    if ((s->route != ROUTE_REPORTS && s->route != ROUTE_SMS) || s->ready || s->body == NULL)
      return 0; /* an answer is already on its way; the body is ignored */
    if (len > s->body_expected - s->body_len) {
      s->close_after = 1;
      respond_error(s, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "too_large",
                    "body longer than its Content-Length");
      return 0;
    }
    memcpy(s->body + s->body_len, in, len);
    s->body_len += len;
    return 0;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    if ((s->route == ROUTE_REPORTS || s->route == ROUTE_SMS) && !s->ready && s->op == NULL &&
        s->body_expected > 0) {
      if (s->body == NULL || s->body_len != s->body_expected)
        respond_error(s, HTTP_STATUS_BAD_REQUEST, "truncated", "body shorter than Content-Length");
      else if (s->route == ROUTE_REPORTS)
        handle_report(s);
      else
        handle_sms(s, 1);
    }
    return 0;
  case LWS_CALLBACK_HTTP_WRITEABLE: {
    if (!s->ready)
      return 0;
    s->ready = 0;
    int failed = write_response(s) != 0;
    int close_after = s->close_after;
    release(s);
    if (failed || close_after)
      return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
  case LWS_CALLBACK_CLOSED_HTTP:
    if (s != NULL)
      release(s);
    return 0;
  default:
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}
