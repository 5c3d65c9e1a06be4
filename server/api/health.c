/* GET /healthz (health.h). Five commands are pipelined on the commands
 * connection; Redis answers them in order, so the n-th reply is the n-th
 * command's, and the answer goes once the last one is in. */
#include "api/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pending.h"
#include "sms/outstream.h"
#include "store/keys.h"

#define RETRY_AFTER_SECONDS 2

enum step { STEP_PING, STEP_GROUPS, STEP_CLIENTS, STEP_SMS_LEN, STEP_SMS_GROUPS, STEPS };

struct sg_health {
  sg_redis *redis;
  sg_hub *hub;
  int sms_sender;
  char k_reports[SG_KEY_MAX];
  char k_sms[SG_KEY_MAX];
  char worker_name[64]; /* " name=siaga-worker:REGION:", as in CLIENT LIST */
};

/* Per request (zeroed by sg_http). -1 in a count: not known. */
typedef struct health_req {
  sg_http_request *req;
  sg_health *h;
  sg_pending *ops;
  int issued, got;
  int up;
  long long workers, consumers, pending, lag, sms_len, sms_waiting;
} health_req;

sg_health *sg_health_create(sg_redis *redis, sg_hub *hub, const char *region, int sms_sender) {
  sg_health *h = calloc(1, sizeof(*h));
  if (h == NULL)
    return NULL;
  h->redis = redis;
  h->hub = hub;
  h->sms_sender = sms_sender;
  if (sg_key(h->k_reports, sizeof(h->k_reports), region, SG_KEY_REPORTS) < 0 ||
      sg_key(h->k_sms, sizeof(h->k_sms), region, "sms:out") < 0) {
    free(h);
    return NULL;
  }
  snprintf(h->worker_name, sizeof(h->worker_name), " name=%s%s:", SG_CLIENT_NAME_WORKER, region);
  return h;
}

void sg_health_destroy(sg_health *h) {
  free(h);
}

size_t sg_health_request_size(void) {
  return sizeof(health_req);
}

/* ---- reading XINFO replies (RESP2: each entry a flat name, value list) ---- */

/* The integer of field name in one XINFO entry, or -1 (absent, nil). */
static long long field_of(const redisReply *entry, const char *name) {
  if (entry == NULL || entry->type != REDIS_REPLY_ARRAY)
    return -1;
  for (size_t i = 0; i + 1 < entry->elements; i += 2) {
    const redisReply *k = entry->element[i], *v = entry->element[i + 1];
    if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0)
      return v->type == REDIS_REPLY_INTEGER ? v->integer : -1;
  }
  return -1;
}

/* The entry of group name in an XINFO GROUPS reply, or NULL. */
static const redisReply *group_of(const redisReply *groups, const char *name) {
  if (groups == NULL || groups->type != REDIS_REPLY_ARRAY)
    return NULL;
  for (size_t i = 0; i < groups->elements; i++) {
    const redisReply *g = groups->element[i];
    for (size_t j = 0; g->type == REDIS_REPLY_ARRAY && j + 1 < g->elements; j += 2) {
      const redisReply *k = g->element[j], *v = g->element[j + 1];
      if (k->type == REDIS_REPLY_STRING && strcmp(k->str, "name") == 0 &&
          v->type == REDIS_REPLY_STRING && strcmp(v->str, name) == 0)
        return g;
    }
  }
  return NULL;
}

static void take_reply(health_req *r, int step, const redisReply *reply) {
  const redisReply *g;
  switch (step) {
  case STEP_PING:
    r->up = reply != NULL && reply->type == REDIS_REPLY_STATUS;
    break;
  case STEP_GROUPS:
    g = group_of(reply, SG_GROUP_TRIAGE);
    r->consumers = field_of(g, "consumers");
    r->pending = field_of(g, "pending");
    r->lag = field_of(g, "lag");
    break;
  case STEP_CLIENTS:
    /* One line per connection; a worker's carries its name (keys.h). */
    if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
      for (const char *p = reply->str; (p = strstr(p, r->h->worker_name)) != NULL; p++)
        r->workers++;
    }
    break;
  case STEP_SMS_LEN:
    r->sms_len = reply != NULL && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    break;
  case STEP_SMS_GROUPS:
    g = group_of(reply, SG_SMS_OUTSTREAM_GROUP);
    if (g == NULL) /* no sender ever read it: all of it waits */
      r->sms_waiting = r->sms_len;
    else if (field_of(g, "lag") >= 0)
      r->sms_waiting =
          field_of(g, "lag") + (field_of(g, "pending") > 0 ? field_of(g, "pending") : 0);
    break;
  }
}

/* ---- the answer ---- */

static void respond(health_req *r) {
  char body[768], warnings[384] = "";
  size_t w = 0;
  if (r->up && r->workers <= 0)
    w += (size_t)snprintf(warnings + w, sizeof(warnings) - w,
                          "%s\"no triage worker connected: reports wait untriaged\"", w ? "," : "");
  if (!r->h->sms_sender && w < sizeof(warnings))
    w += (size_t)snprintf(warnings + w, sizeof(warnings) - w,
                          "%s\"no --kannel-sendsms: SMS "
                          "replies wait in the outbound stream\"",
                          w ? "," : "");
  int n = snprintf(body, sizeof(body),
                   "{\"status\":\"%s\",\"redis\":\"%s\",\"consoles\":%zu,\"workers\":%lld,"
                   "\"triage\":{\"consumers\":%lld,\"pending\":%lld,\"lag\":%lld},"
                   "\"smsOutbound\":{\"sender\":\"%s\",\"length\":%lld,\"waiting\":%lld},"
                   "\"warnings\":[%s]}",
                   r->up ? "ok" : "unavailable", r->up ? "up" : "down", sg_hub_sessions(r->h->hub),
                   r->workers, r->consumers, r->pending, r->lag,
                   r->h->sms_sender ? "kannel" : "none", r->sms_len, r->sms_waiting, warnings);
  sg_http_response resp = {.status = r->up ? 200 : 503,
                           .content_type = "application/json",
                           .body = body,
                           .body_len = n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0,
                           .headers = r->up ? "cache-control: no-store\r\n"
                                            : "cache-control: no-store\r\nretry-after: 2\r\n"};
  sg_pending_orphan(&r->ops);
  sg_http_respond(r->req, &resp);
}

static void on_reply(void *data, redisReply *reply) {
  health_req *r = sg_pending_finish(data);
  if (r == NULL)
    return; /* the client left */
  take_reply(r, r->got++, reply);
  if (r->got == r->issued)
    respond(r);
}

static void on_request(void *data, sg_http_request *req) {
  sg_health *h = data;
  health_req *r = sg_http_request_data(req);
  if (strcmp(sg_http_request_path(req), SG_HEALTH_PATH) != 0) {
    sg_http_respond_error(req, 404, "not_found", "no such path", 0);
    return;
  }
  if (sg_http_request_method(req) != SG_HTTP_GET) {
    static const char body[] = "{\"code\":\"method_not_allowed\",\"message\":\"use GET\"}";
    sg_http_response resp = {.status = 405,
                             .content_type = "application/json",
                             .body = body,
                             .body_len = sizeof(body) - 1,
                             .headers = "cache-control: no-store\r\nallow: GET\r\n"};
    sg_http_respond(req, &resp);
    return;
  }
  r->req = req;
  r->h = h;
  r->consumers = r->pending = r->lag = r->sms_len = r->sms_waiting = -1; /* workers: 0 */
  const char *cmds[STEPS][4] = {{"PING"},
                                {"XINFO", "GROUPS", h->k_reports},
                                {"CLIENT", "LIST", "TYPE", "normal"},
                                {"XLEN", h->k_sms},
                                {"XINFO", "GROUPS", h->k_sms}};
  static const int argc[STEPS] = {1, 3, 4, 2, 3};
  for (int i = 0; i < STEPS; i++) {
    sg_pending *op = sg_pending_start(&r->ops, r);
    if (op == NULL)
      break;
    if (sg_redis_command(h->redis, on_reply, op, argc[i], cmds[i], NULL) != 0) {
      sg_pending_finish(op);
      break;
    }
    r->issued++;
  }
  if (r->issued == 0)
    respond(r); /* Redis down: up stays 0, a 503 */
}

static void on_body(void *data, sg_http_request *req) {
  (void)data;
  (void)req; /* never asked for */
}

static void on_abort(void *data, sg_http_request *req) {
  health_req *r = sg_http_request_data(req);
  (void)data;
  sg_pending_orphan(&r->ops);
}

const sg_http_handler sg_health_handler = {on_request, on_body, on_abort};
