#include "api/api.h"
#include "api/eido.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "auth/password.h"
#include "core/pending.h"
#include "sms/form.h"
#include "store/history.h"
#include "store/incidents.h"
#include "store/keys.h"
#include "wire/jsonread.h"
#include "wire/pbjson.h"
#include "wire/report.h"

#define CT_JSON "application/json"
#define CT_PROTOBUF "application/x-protobuf"
#define RETRY_AFTER_SECONDS 2
#define APP_KEY_PREFIX "app:" /* the app's Idempotency-Key space in Redis */
/* GET /v1/incidents: open set members per page unless ?limit= says fewer,
 * and the most ?limit= may ask for (README "HTTP API"). */
#define INCIDENTS_LIMIT_DEFAULT 1000
#define INCIDENTS_LIMIT_MAX 5000
#define QUERY_MAX 512 /* longest query string GET /v1/incidents reads */

typedef enum route {
  ROUTE_NONE,
  ROUTE_REPORTS,
  ROUTE_INCIDENTS,
  ROUTE_INCIDENT,
  ROUTE_STATIC,
  ROUTE_LOGIN,
  ROUTE_LOGOUT,
  ROUTE_SESSION
} route;

struct sg_api {
  sg_redis *redis;
  sg_ingest *ingest;
  sg_hub *hub;
  sg_incidents *incidents;
  sg_history *history;
  sg_auth *auth;
  sg_api_console console;     /* the page's Leaflet and settings */
  sg_citizen_abuse *abuse;    /* counts and flags app reports, or NULL */
  const sg_peer_trust *trust; /* whose X-Forwarded-* are believed, or NULL */
};

/* The api's memory in each sg_http request, zeroed by sg_http per request;
 * valid until the request is answered or aborted. An asynchronous step
 * (Redis) whose client left first has its result dropped (a report is
 * stored all the same). */
typedef struct api_session {
  sg_http_request *req;
  sg_api *api;
  route route;
  int body_protobuf, reply_protobuf, has_key;
  char key[sizeof(APP_KEY_PREFIX) + SG_REPORT_KEY_MAX]; /* "app:" and the client's key */
  sg_pending *op;                                       /* the Redis request in flight, if any */
  int retry_after; /* seconds, for a Retry-After header; 0 = none */
  const char *allow;
  char set_cookie[192]; /* a Set-Cookie value for the answer, or "" */
  sg_identity who;      /* the signed-in caller of an authenticated route */
} api_session;

sg_api *sg_api_create(sg_redis *redis, sg_ingest *ingest, sg_hub *hub, const char *region,
                      const sg_peer_trust *trust) {
  sg_api *api = calloc(1, sizeof(*api));
  if (api == NULL)
    return NULL;
  api->redis = redis;
  api->ingest = ingest;
  api->hub = hub;
  api->trust = trust;
  if ((api->incidents = sg_incidents_create(redis, region)) == NULL ||
      (api->history = sg_history_create(redis, region)) == NULL) {
    sg_incidents_destroy(api->incidents);
    free(api);
    return NULL;
  }
  return api;
}

void sg_api_set_auth(sg_api *api, sg_auth *auth) {
  api->auth = auth;
}

void sg_api_set_abuse(sg_api *api, sg_citizen_abuse *abuse) {
  api->abuse = abuse;
}

void sg_api_set_console(sg_api *api, const sg_api_console *console) {
  api->console = *console;
  if (api->console.map_tiles == NULL)
    api->console.map_tiles = "";
}

void sg_api_destroy(sg_api *api) {
  if (api == NULL)
    return;
  sg_incidents_destroy(api->incidents);
  sg_history_destroy(api->history);
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
  char headers[320];
  char retry[40] = "";
  if (s->retry_after > 0)
    snprintf(retry, sizeof(retry), "retry-after: %d\r\n", s->retry_after);
  snprintf(headers, sizeof(headers), "cache-control: no-store\r\n%s%s%s%s%s%s%s", retry,
           s->allow != NULL ? "allow: " : "", s->allow != NULL ? s->allow : "",
           s->allow != NULL ? "\r\n" : "", s->set_cookie[0] ? "set-cookie: " : "", s->set_cookie,
           s->set_cookie[0] ? "\r\n" : "");
  sg_http_response r = {.status = status,
                        .content_type = content_type,
                        .body = body,
                        .body_len = len,
                        .headers = headers};
  release(s);
  sg_http_respond(s->req, &r);
}

/* The request's client, through a trusted proxy's headers. */
static sg_peer client_of(const api_session *s) {
  sg_peer p;
  sg_peer_of(s->api->trust, s->req, &p);
  return p;
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
  s->retry_after = RETRY_AFTER_SECONDS;
  respond_error(s, 503, "unavailable", message);
}

/* ---- async steps ---- */

static void on_ingested(void *data, const sg_ingest_result *r) {
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
  /* Channel, source and confidence are the server's to set, whatever the
   * body said, and before validation: a claim of them is ignored, not
   * refused. The number next: validation takes only E.164 and short codes. */
  sg_report_from_app(r);
  if (sg_report_normalise_phone(r, &err) != 0 || sg_report_validate(r, &err) != 0) {
    respond_error(s, strcmp(err.code, "unavailable") == 0 ? 503 : 400, err.code, err.message);
    siaga__v1__report__free_unpacked(r, NULL);
    return;
  }
  if (r->n_flags > 0) {
    respond_error(s, 400, "bad_report", "flags: set by the server only");
    siaga__v1__report__free_unpacked(r, NULL);
    return;
  }
  sg_pending *op = sg_pending_start(&s->op, s);
  if (op == NULL)
    respond_unavailable(s, "out of memory");
  else if (s->api->abuse != NULL) {
    sg_citizen_abuse_submit(s->api->abuse, r, client_of(s).addr,          /* copied */
                            s->has_key ? s->key : NULL, on_ingested, op); /* takes r */
    return;
  } else
    sg_ingest_submit(s->api->ingest, r, s->has_key ? s->key : NULL, on_ingested, op);
  siaga__v1__report__free_unpacked(r, NULL);
}

static void on_incidents(void *data, const sg_incidents_page *page) {
  api_session *s = sg_pending_finish(data);
  if (s == NULL)
    return;
  if (page->status != SG_INCIDENTS_OK) {
    respond_unavailable(s, "incident store unavailable");
    return;
  }
  Siaga__V1__IncidentList out = SIAGA__V1__INCIDENT_LIST__INIT;
  out.incidents = page->incidents;
  out.n_incidents = page->n_incidents;
  out.last_update_id = (char *)page->position;
  out.next_cursor = (char *)page->next_cursor;
  respond_message(s, 200, &out.base);
}

/* 404 for an incident that is not there, else 503. */
static void respond_read_error(api_session *s, int not_found) {
  if (not_found)
    respond_error(s, 404, "not_found", "no incident with that id");
  else
    respond_unavailable(s, "incident store unavailable");
}

static void on_incident(void *data, sg_incidents_status status, const Siaga__V1__Incident *inc) {
  api_session *s = sg_pending_finish(data);
  if (s != NULL && status != SG_INCIDENTS_UNAVAILABLE && inc != NULL)
    respond_message(s, 200, &inc->base);
  else if (s != NULL)
    respond_read_error(s, status != SG_INCIDENTS_UNAVAILABLE);
}

/* GET /v1/incidents[?limit=N][&cursor=C]: one page of the open incidents. */
static void begin_incidents(api_session *s) {
  const char *query = sg_http_request_query(s->req);
  size_t qlen = strlen(query);
  char buf[2 * QUERY_MAX + 2];
  sg_sms_form_form form;
  if (qlen > QUERY_MAX || sg_sms_form_form_parse(query, qlen, buf, sizeof(buf), &form) != 0) {
    respond_error(s, 400, "bad_query", "the query string does not decode");
    return;
  }
  sg_incidents_query q = {.limit = INCIDENTS_LIMIT_DEFAULT};
  int closed = 0;
  for (size_t i = 0; i < form.n; i++) {
    const sg_sms_form_pair *p = &form.pairs[i];
    if (strcmp(p->name, "status") == 0) {
      if (strcmp(p->value, "closed") != 0 && strcmp(p->value, "open") != 0) {
        respond_error(s, 400, "bad_status", "status: open (the default) or closed");
        return;
      }
      closed = strcmp(p->value, "closed") == 0;
    } else if (strcmp(p->name, "limit") == 0) {
      char *end;
      unsigned long n = strtoul(p->value, &end, 10);
      if (p->value_len == 0 || p->value_len > 6 || *end != '\0' || p->value[0] == '-' || n < 1 ||
          n > INCIDENTS_LIMIT_MAX) {
        respond_error(s, 400, "bad_limit", "limit: a number from 1 to 5000");
        return;
      }
      q.limit = n;
    } else if (strcmp(p->name, "cursor") == 0) {
      if (p->value_len != strlen(p->value) ||
          (p->value_len > 0 && !sg_incidents_cursor_valid(p->value))) {
        respond_error(s, 400, "bad_cursor", "cursor: pass back the nextCursor of a page");
        return;
      }
      q.cursor = p->value;
    }
  }
  sg_pending *op = sg_pending_start(&s->op, s);
  uint64_t day_ago = sg_clock_now_ms() - 24 * 3600 * 1000ULL;
  int rc = op == NULL ? SG_ENOMEM
           : closed   ? sg_incidents_closed(s->api->incidents, day_ago, q.limit, on_incidents, op)
                      : sg_incidents_page_read(s->api->incidents, &q, on_incidents, op);
  if (rc == 0)
    return;
  if (op != NULL)
    sg_pending_finish(op);
  respond_unavailable(s, "incident store unavailable");
}

static void on_history(void *data, sg_history_status status,
                       const Siaga__V1__IncidentHistory *history) {
  api_session *s = sg_pending_finish(data);
  if (s != NULL && status == SG_HISTORY_OK && history != NULL)
    respond_message(s, 200, &history->base);
  else if (s != NULL)
    respond_read_error(s, status != SG_HISTORY_UNAVAILABLE);
}

static void on_eido(void *data, sg_history_status status, const char *json, size_t len) {
  api_session *s = sg_pending_finish(data);
  if (s != NULL && status == SG_HISTORY_OK)
    respond(s, 200, CT_JSON, json, len);
  else if (s != NULL)
    respond_read_error(s, status == SG_HISTORY_NOT_FOUND);
}

/* GET /v1/incidents/{id}, /v1/incidents/{id}/history and /v1/incidents/{id}/eido. */
static void begin_incident(api_session *s, const char *id, int history, int eido) {
  sg_pending *op = sg_pending_start(&s->op, s);
  sg_api *a = s->api;
  if (op != NULL && (eido      ? sg_eido_read(a->incidents, a->history, id, on_eido, op)
                     : history ? sg_history_read(a->history, id, on_history, op)
                               : sg_incidents_get(a->incidents, id, on_incident, op)) == 0)
    return;
  if (op != NULL)
    sg_pending_finish(op);
  respond_unavailable(s, "incident store unavailable");
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
    /* The app's keys live apart from the gateways' ("inbound:", "kannel:",
     * "twilio:" and their message ids): a client that sends a gateway's key
     * must not claim the SMS that will come with it. */
    snprintf(s->key, sizeof(s->key), "%s%s", APP_KEY_PREFIX, key);
    s->has_key = 1;
  }
  if (sg_http_request_content_length(req) == 0) {
    respond_error(s, 400, "empty_body", "the body is empty");
    return;
  }
  sg_http_read_body(req);
}

/* ---- signing in and out ---- */

#define LOGIN_BODY_MAX 4096

/* A sign-in's outcome, with the name asked for (s->who.name, cut to an
 * account name's length) and the client, never the password or token. */
static void log_login(api_session *s, const char *reason) {
  if (reason == NULL)
    sg_log(SG_LOG_INFO, "login", "actor=%s role=%s peer=%s", s->who.name, sg_role_name(s->who.role),
           client_of(s).addr);
  else
    sg_log(SG_LOG_INFO, "login.refused", "actor=%s peer=%s reason=%s", s->who.name,
           client_of(s).addr, reason);
}

static void on_login(void *data, const sg_auth_login_result *r) {
  api_session *s = sg_pending_finish(data);
  if (s == NULL)
    return;
  s->who.role = r->role;
  log_login(s, r->status == SG_AUTH_LOCKED            ? "locked"
               : r->status == SG_AUTH_BAD_CREDENTIALS ? "bad_credentials"
               : r->status != SG_AUTH_OK              ? "unavailable"
                                                      : NULL);
  if (r->status == SG_AUTH_LOCKED) {
    s->retry_after = (int)((r->retry_after_ms + 999) / 1000);
    respond_error(s, 429, "too_many_failures",
                  "too many failed sign-ins for this name: wait, then try again");
  } else if (r->status == SG_AUTH_BAD_CREDENTIALS) {
    respond_error(s, 401, "bad_credentials", "wrong name or password");
  } else if (r->status != SG_AUTH_OK) {
    respond_unavailable(s, "the account store is unavailable; try again");
  } else {
    char body[256];
    sg_bearer_cookie(s->set_cookie, sizeof(s->set_cookie), SG_AUTH_COOKIE, r->token,
                     sg_auth_idle_ms(s->api->auth) / 1000, client_of(s).tls);
    int n = snprintf(body, sizeof(body), "{\"token\":\"%s\",\"role\":\"%s\",\"expiresAtMs\":%lld}",
                     r->token, sg_role_name(r->role), (long long)r->expires_at_ms);
    respond(s, 200, CT_JSON, body, (size_t)n);
  }
}

static void handle_login(api_session *s) {
  size_t len = 0;
  const uint8_t *body = sg_http_request_body(s->req, &len);
  sg_jsonread_doc doc;
  sg_jsonread_error err;
  if (sg_jsonread_parse(&doc, (const char *)body, len, 4, &err) != 0) {
    respond_error(s, 400, "bad_json", "the body is not JSON");
    return;
  }
  size_t name_len = 0, pw_len = 0;
  const char *name = sg_jsonread_member_string(&doc.values[0], "username", &name_len);
  const char *pw = sg_jsonread_member_string(&doc.values[0], "password", &pw_len);
  int rc = SG_EINVAL;
  sg_pending *op = NULL;
  snprintf(s->who.name, sizeof(s->who.name), "%.*s", name != NULL ? (int)name_len : 0,
           name != NULL ? name : "");
  if (name == NULL || pw == NULL) {
    log_login(s, "bad_request");
    respond_error(s, 400, "bad_request", "expected {\"username\":\"...\",\"password\":\"...\"}");
  } else if (pw_len > SG_PASSWORD_MAX || name_len > 256) {
    log_login(s, "bad_credentials");
    respond_error(s, 401, "bad_credentials", "wrong name or password");
  } else if ((op = sg_pending_start(&s->op, s)) == NULL) {
    respond_unavailable(s, "out of memory");
  } else if ((rc = sg_auth_login(s->api->auth, name, pw, pw_len, on_login, op)) != 0) {
    sg_pending_finish(op);
    respond_unavailable(s, "the account store is unavailable; try again");
  }
  sg_jsonread_close(&doc);
}

static void on_logout(void *data, sg_auth_status status) {
  api_session *s = sg_pending_finish(data);
  if (s == NULL)
    return;
  if (status != SG_AUTH_OK) {
    respond_unavailable(s, "the account store is unavailable; try again");
    return;
  }
  sg_bearer_cookie(s->set_cookie, sizeof(s->set_cookie), SG_AUTH_COOKIE, "", 0, client_of(s).tls);
  respond(s, 200, CT_JSON, "{\"ok\":true}", 11);
}

/* The session token of the request, or NULL. */
static const char *request_token(api_session *s, char token[SG_BEARER_LEN + 1]) {
  return sg_bearer_from_headers(sg_http_request_header(s->req, "authorization"),
                                sg_http_request_header(s->req, "cookie"), SG_AUTH_COOKIE,
                                token) == 0
             ? token
             : NULL;
}

static int check_login(api_session *s) {
  int64_t cl = sg_http_request_content_length(s->req);
  const char *ct = sg_http_request_header(s->req, "content-type");
  if (cl < 0)
    respond_error(s, 411, "length_required", "Content-Length is required");
  else if (cl > LOGIN_BODY_MAX)
    respond_error(s, 413, "too_large", "a sign-in is at most 4096 bytes");
  else if (ct == NULL || !starts_with(ct, CT_JSON))
    respond_error(s, 415, "unsupported_media_type", "send application/json");
  else
    return 0;
  return -1;
}

static void begin_logout(api_session *s) {
  char token[SG_BEARER_LEN + 1];
  sg_pending *op = NULL;
  if (request_token(s, token) == NULL)
    respond_error(s, 401, "unauthenticated", "no session to end");
  else if ((op = sg_pending_start(&s->op, s)) == NULL)
    respond_unavailable(s, "out of memory");
  else if (sg_auth_logout(s->api->auth, token, on_logout, op) != 0) {
    sg_pending_finish(op);
    respond_unavailable(s, "the account store is unavailable; try again");
  }
}

/* ---- authenticated routes: the session is checked, then the route runs ---- */

static void serve_authenticated(api_session *s);

static void on_authenticated(void *data, sg_auth_status status, const sg_identity *who) {
  api_session *s = sg_pending_finish(data);
  if (s == NULL)
    return;
  if (status == SG_AUTH_UNAVAILABLE)
    respond_unavailable(s, "the account store is unavailable; try again");
  else if (status != SG_AUTH_OK)
    respond_error(s, 401, "unauthenticated", "the session is unknown or has ended: sign in again");
  else if (who->role < SG_ROLE_DISPATCHER)
    respond_error(s, 403, "forbidden", "this account may not read incidents");
  else {
    s->who = *who;
    serve_authenticated(s);
  }
}

static void authenticate(api_session *s) {
  char token[SG_BEARER_LEN + 1];
  sg_pending *op = NULL;
  if (request_token(s, token) == NULL)
    respond_error(s, 401, "unauthenticated",
                  "sign in first: POST /v1/auth/login, then Authorization: Bearer TOKEN");
  else if ((op = sg_pending_start(&s->op, s)) == NULL)
    respond_unavailable(s, "out of memory");
  else if (sg_auth_check(s->api->auth, token, on_authenticated, op) != 0) {
    sg_pending_finish(op);
    respond_unavailable(s, "the account store is unavailable; try again");
  }
}

static void begin_static(api_session *s, const char *name, const char *ct) {
  const sg_embedded_file *f = sg_embedded_find(name);
  if (f == NULL)
    respond_error(s, 404, "not_found", "no such page");
  else
    respond(s, 200, ct, f->data, f->size);
}

/* The incident reads, once the caller's session was checked. */
static void serve_authenticated(api_session *s) {
  sg_api *api = s->api;
  if (s->route == ROUTE_SESSION) {
    char body[256 + SG_API_MAP_TILES_MAX];
    const sg_api_console *c = &api->console;
    int n = snprintf(body, sizeof(body),
                     "{\"name\":\"%s\",\"role\":\"%s\",\"expiresAtMs\":%llu,\"mapTiles\":\"%s\","
                     "\"p1EscalateS\":%u,\"ackTargetS\":{\"P1\":%u,\"P2\":%u,\"P3\":%u,\"P4\":%u}}",
                     s->who.name, sg_role_name(s->who.role),
                     (unsigned long long)(sg_clock_now_ms() + sg_auth_idle_ms(api->auth)),
                     c->map_tiles, c->p1_escalate_s, c->ack_target_s[0], c->ack_target_s[1],
                     c->ack_target_s[2], c->ack_target_s[3]);
    respond(s, 200, CT_JSON, body, (size_t)n);
  } else if (s->route == ROUTE_INCIDENTS) {
    begin_incidents(s);
  } else {
    char id[SG_KEY_ID_MAX + 1];
    const char *rest = sg_http_request_path(s->req) + strlen("/v1/incidents/");
    size_t len = strcspn(rest, "/");
    int history = strcmp(rest + len, "/history") == 0, eido = strcmp(rest + len, "/eido") == 0;
    if (len > SG_KEY_ID_MAX || (rest[len] != '\0' && !history && !eido)) {
      respond_error(s, 404, "not_found", "no incident with that id");
      return;
    }
    memcpy(id, rest, len);
    id[len] = '\0';
    if (!sg_key_id_valid(id))
      respond_error(s, 404, "not_found", "no incident with that id");
    else
      begin_incident(s, id, history, eido);
  }
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
  const char *page, *page_type;

  if (strcmp(path, "/v1/reports") == 0) {
    s->route = ROUTE_REPORTS;
    if (method_allowed(s, SG_HTTP_POST))
      begin_report(s);
  } else if (strcmp(path, "/v1/incidents") == 0 || starts_with(path, "/v1/incidents/")) {
    s->route = path[strlen("/v1/incidents")] == '\0' ? ROUTE_INCIDENTS : ROUTE_INCIDENT;
    if (method_allowed(s, SG_HTTP_GET))
      authenticate(s);
  } else if (strcmp(path, "/v1/auth/login") == 0) {
    s->route = ROUTE_LOGIN;
    if (method_allowed(s, SG_HTTP_POST) && check_login(s) == 0)
      sg_http_read_body(req);
  } else if (strcmp(path, "/v1/auth/session") == 0) {
    s->route = ROUTE_SESSION;
    if (method_allowed(s, SG_HTTP_GET))
      authenticate(s);
  } else if (strcmp(path, "/v1/auth/logout") == 0) {
    s->route = ROUTE_LOGOUT;
    if (method_allowed(s, SG_HTTP_POST))
      begin_logout(s);
  } else if ((page = sg_assets_console_file(path, &page_type)) != NULL) {
    s->route = ROUTE_STATIC;
    if (method_allowed(s, SG_HTTP_GET))
      begin_static(s, page, page_type);
  } else if (starts_with(path, "/vendor/")) {
    const sg_asset *a = sg_assets_find(api->console.assets, path + strlen("/vendor/"));
    s->route = ROUTE_STATIC;
    if (!method_allowed(s, SG_HTTP_GET))
      return;
    if (a == NULL)
      respond_error(s, 404, "not_found", "not installed here (apt-get install libjs-leaflet)");
    else
      respond(s, 200, a->content_type, a->data, a->size);
  } else {
    respond_error(s, 404, "not_found", "no such path");
  }
}

static void on_body(void *data, sg_http_request *req) {
  api_session *s = sg_http_request_data(req);
  (void)data;
  if (s->route == ROUTE_LOGIN)
    handle_login(s);
  else
    handle_report(s);
}

static void on_abort(void *data, sg_http_request *req) {
  (void)data;
  release(sg_http_request_data(req));
}

const sg_http_handler sg_api_handler = {on_request, on_body, on_abort};
