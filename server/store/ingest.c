#include "store/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "store/cluster.h"
#include "store/keys.h"

#define REPORTS_MAXLEN "1000000"   /* far above any backlog a city produces */
#define REMEMBER_SECONDS "2592000" /* 30 days for idempotency keys */

typedef struct submission submission;

struct sg_ingest {
  sg_redis *redis;
  sg_ids *ids;
  char region[32];
  char sha[SG_REDIS_SHA_LEN + 1];
  unsigned min_replicas;  /* 0: answer at the append */
  char wait_args[2][16];  /* WAIT's arguments */
  submission *next_batch; /* appended, for the next WAIT */
  submission *batch;      /* covered by the WAIT in flight */
  int waiting;            /* a WAIT is in flight */
};

struct submission {
  sg_ingest *in;
  sg_ingest_cb cb;
  void *data;
  char id[SG_REPORT_ID_LEN + 1]; /* for the plain XADD, whose reply is the entry id */
  char token[SG_TOKEN_LEN + 1];
  sg_ingest_result result; /* held until WAIT confirms it */
  submission *next;
};

sg_ingest *sg_ingest_create(sg_redis *redis, const char *region) {
  const sg_embedded_file *script = sg_embedded_find("ingest.lua");
  sg_ingest *in = calloc(1, sizeof(*in));
  if (in == NULL || script == NULL)
    goto fail;
  in->redis = redis;
  snprintf(in->region, sizeof(in->region), "%s", region);
  in->ids = sg_ids_create();
  if (in->ids == NULL)
    goto fail;
  if (sg_redis_add_script(redis, (const char *)script->data, script->size, in->sha) != 0)
    goto fail;
  return in;
fail:
  if (in != NULL)
    sg_ids_destroy(in->ids);
  free(in);
  return NULL;
}

void sg_ingest_destroy(sg_ingest *in) {
  if (in == NULL)
    return;
  sg_ids_destroy(in->ids);
  free(in);
}

void sg_ingest_set_min_replicas(sg_ingest *in, unsigned min_replicas, unsigned timeout_ms) {
  in->min_replicas = min_replicas;
  snprintf(in->wait_args[0], sizeof(in->wait_args[0]), "%u", min_replicas);
  snprintf(in->wait_args[1], sizeof(in->wait_args[1]), "%u", timeout_ms);
}

static void send_wait(sg_ingest *in);

/* The WAIT's answer for its whole batch: how many replicas have it. */
static void on_waited(void *data, redisReply *reply) {
  sg_ingest *in = data;
  int ok = reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
           reply->integer >= (long long)in->min_replicas;
  if (!ok && reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    sg_log(SG_LOG_WARN, "ingest.replicas_short", "confirmed=%lld wanted=%u status=503",
           reply->integer, in->min_replicas);
  else if (!ok && reply != NULL)
    sg_log(SG_LOG_WARN, "ingest.wait_failed", "reason=%s status=503",
           reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
  submission *s = in->batch;
  in->batch = NULL;
  in->waiting = 0;
  while (s != NULL) {
    submission *next = s->next;
    if (!ok)
      s->result.status = SG_INGEST_UNAVAILABLE;
    s->cb(s->data, &s->result); /* may submit again, and so send the next WAIT */
    free(s);
    s = next;
  }
  if (!in->waiting && in->next_batch != NULL)
    send_wait(in);
}

static void send_wait(sg_ingest *in) {
  in->batch = in->next_batch;
  in->next_batch = NULL;
  in->waiting = 1;
  const char *argv[3] = {"WAIT", in->wait_args[0], in->wait_args[1]};
  if (sg_redis_command(in->redis, on_waited, in, 3, argv, NULL) != 0)
    on_waited(in, NULL);
}

static void finish(submission *s, sg_ingest_status status, const char *id, size_t id_len,
                   const char *token, size_t token_len) {
  sg_ingest_result *res = &s->result;
  memset(res, 0, sizeof(*res));
  res->status = status;
  if (id != NULL && id_len <= SG_REPORT_ID_LEN)
    memcpy(res->report_id, id, id_len);
  if (token != NULL && token_len <= SG_TOKEN_LEN)
    memcpy(res->token, token, token_len);
  sg_ingest *in = s->in;
  if (in->min_replicas > 0 && (status == SG_INGEST_OK || status == SG_INGEST_DUPLICATE)) {
    /* Newest first: the batch is answered together, order does not matter. */
    s->next = in->next_batch;
    in->next_batch = s;
    if (!in->waiting)
      send_wait(in);
    return;
  }
  s->cb(s->data, res);
  free(s);
}

static int passing_error(const redisReply *reply) {
  /* LOADING and BUSY are passing states of a healthy Redis; MOVED, ASK and
   * TRYAGAIN those of a cluster moving the region's slot (store/cluster.h). */
  return reply->type == REDIS_REPLY_ERROR &&
         (strncmp(reply->str, "LOADING", 7) == 0 || strncmp(reply->str, "BUSY", 4) == 0 ||
          sg_cluster_moved_reply(reply) || sg_cluster_retry_reply(reply));
}

/* The reply of the plain XADD: the new entry's id. */
static void on_added(void *data, redisReply *reply) {
  submission *s = data;
  if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
      sg_log(SG_LOG_ERROR, "redis.refused", "what=ingest reason=%s", reply->str);
    finish(s, reply == NULL || passing_error(reply) ? SG_INGEST_UNAVAILABLE : SG_INGEST_FAILED,
           NULL, 0, NULL, 0);
    return;
  }
  finish(s, SG_INGEST_OK, s->id, strlen(s->id), s->token, strlen(s->token));
}

/* The reply of ingest.lua. */
static void on_appended(void *data, redisReply *reply) {
  submission *s = data;
  if (reply == NULL) {
    finish(s, SG_INGEST_UNAVAILABLE, NULL, 0, NULL, 0);
    return;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING ||
      reply->element[2]->type != REDIS_REPLY_STRING) {
    if (reply->type == REDIS_REPLY_ERROR)
      sg_log(SG_LOG_ERROR, "redis.refused", "what=ingest reason=%s", reply->str);
    finish(s, passing_error(reply) ? SG_INGEST_UNAVAILABLE : SG_INGEST_FAILED, NULL, 0, NULL, 0);
    return;
  }
  int dup = strcmp(reply->element[0]->str, "dup") == 0;
  finish(s, dup ? SG_INGEST_DUPLICATE : SG_INGEST_OK, reply->element[1]->str,
         reply->element[1]->len, reply->element[2]->str, reply->element[2]->len);
}

void sg_ingest_submit(sg_ingest *in, Siaga__V1__Report *report, const char *key, sg_ingest_cb cb,
                      void *data) {
  submission *s = malloc(sizeof(*s));
  if (s == NULL) {
    sg_ingest_result res = {.status = SG_INGEST_UNAVAILABLE};
    cb(data, &res);
    return;
  }
  s->in = in;
  s->cb = cb;
  s->data = data;

  uint64_t now = sg_clock_now_ms();
  char *id = s->id, *token = s->token;
  sg_ids_report(in->ids, now, id);
  sg_ids_token(in->ids, token);
  char *caller_id = report->id, *caller_key = report->idempotency_key;
  report->id = id;
  report->received_at_ms = (int64_t)now;
  if (report->channel == SIAGA__V1__CHANNEL__CHANNEL_UNSPECIFIED)
    report->channel = SIAGA__V1__CHANNEL__CHANNEL_APP;
  if (key != NULL)
    report->idempotency_key = (char *)key;

  size_t packed_len = siaga__v1__report__get_packed_size(report);
  uint8_t *packed = malloc(packed_len ? packed_len : 1);
  if (packed != NULL)
    siaga__v1__report__pack(report, packed);
  /* The report stays the caller's: leave no pointer to our stack in it. */
  report->id = caller_id;
  report->idempotency_key = caller_key;
  if (packed == NULL) {
    finish(s, SG_INGEST_UNAVAILABLE, NULL, 0, NULL, 0);
    return;
  }

  char k_reports[SG_KEY_MAX], k_idem[SG_KEY_MAX], k_index[SG_KEY_MAX];
  sg_key(k_reports, sizeof(k_reports), in->region, SG_KEY_REPORTS);
  int rc;
  if (key == NULL) {
    const char *argv[] = {
        "XADD", k_reports, "MAXLEN", "~", REPORTS_MAXLEN, "*", "r", (const char *)packed,
        "t",    token};
    size_t lens[10];
    for (size_t i = 0; i < 10; i++)
      lens[i] = i == 7 ? packed_len : strlen(argv[i]);
    rc = sg_redis_command(in->redis, on_added, s, 10, argv, lens);
  } else if (sg_key2(k_idem, sizeof(k_idem), in->region, "idem", key) < 0 ||
             sg_key2(k_index, sizeof(k_index), in->region, "report", id) < 0) {
    rc = -1;
  } else {
    const char *argv[] = {"EVALSHA",
                          in->sha,
                          "3",
                          k_reports,
                          k_idem,
                          k_index,
                          (const char *)packed,
                          id,
                          token,
                          REPORTS_MAXLEN,
                          REMEMBER_SECONDS};
    size_t lens[11];
    for (size_t i = 0; i < 11; i++)
      lens[i] = i == 6 ? packed_len : strlen(argv[i]);
    rc = sg_redis_command(in->redis, on_appended, s, 11, argv, lens);
  }
  free(packed); /* hiredis copied the command into its output buffer */
  if (rc != 0)
    finish(s, SG_INGEST_UNAVAILABLE, NULL, 0, NULL, 0);
}
