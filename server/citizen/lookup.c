#include "citizen/lookup.h"

#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/ids.h"
#include "store/keys.h"

struct sg_citizen_lookup {
  sg_redis *redis;
  char region[SG_KEY_REGION_MAX + 1];
  char incident_prefix[SG_KEY_MAX];
  char sha[SG_REDIS_SHA_LEN + 1];
};

typedef struct lookup_op {
  sg_citizen_lookup_cb cb;
  void *data;
  char token[SG_TOKEN_LEN + 1];
} lookup_op;

sg_citizen_lookup *sg_citizen_lookup_create(sg_redis *redis, const char *region) {
  const sg_embedded_file *script = sg_embedded_find("report_status.lua");
  sg_citizen_lookup *lk = calloc(1, sizeof(*lk));
  if (lk == NULL || script == NULL || !sg_key_region_valid(region))
    goto fail;
  lk->redis = redis;
  strcpy(lk->region, region);
  if (sg_key2(lk->incident_prefix, sizeof(lk->incident_prefix), region, "incident", "") < 0 ||
      sg_redis_add_script(redis, (const char *)script->data, script->size, lk->sha) != 0)
    goto fail;
  return lk;
fail:
  free(lk);
  return NULL;
}

void sg_citizen_lookup_destroy(sg_citizen_lookup *lk) {
  free(lk);
}

int sg_citizen_lookup_args_valid(const char *report_id, const char *token) {
  return report_id != NULL && token != NULL && strlen(report_id) == SG_REPORT_ID_LEN &&
         sg_key_id_valid(report_id) && strlen(token) == SG_TOKEN_LEN &&
         strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             SG_TOKEN_LEN;
}

/* Every byte is looked at whatever differs, so the time says nothing about
 * how much of a guessed token was right. */
static int same_token(const char *want, const char *got, size_t got_len) {
  unsigned char diff = got_len != SG_TOKEN_LEN;
  for (size_t i = 0; i < SG_TOKEN_LEN; i++)
    diff |= (unsigned char)want[i] ^ (unsigned char)(i < got_len ? got[i] : 0);
  return diff == 0;
}

static void on_reply(void *data, redisReply *reply) {
  lookup_op *op = data;
  sg_citizen_lookup_status status = SG_CITIZEN_LOOKUP_UNAVAILABLE;
  Siaga__V1__Incident *inc = NULL;
  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
      reply->element[0]->type == REDIS_REPLY_STRING &&
      reply->element[2]->type == REDIS_REPLY_STRING) {
    const redisReply *tok = reply->element[0], *pb = reply->element[2];
    int ok = same_token(op->token, tok->str, tok->len);
    status = ok ? SG_CITIZEN_LOOKUP_OK : SG_CITIZEN_LOOKUP_NOT_FOUND;
    if (ok && pb->len > 0 &&
        (inc = siaga__v1__incident__unpack(NULL, pb->len, (const uint8_t *)pb->str)) == NULL)
      status = SG_CITIZEN_LOOKUP_UNAVAILABLE;
  }
  op->cb(op->data, status, inc);
  if (inc != NULL)
    siaga__v1__incident__free_unpacked(inc, NULL);
  free(op);
}

int sg_citizen_lookup_report(sg_citizen_lookup *lk, const char *report_id, const char *token,
                             sg_citizen_lookup_cb cb, void *data) {
  char k_report[SG_KEY_MAX];
  lookup_op *op = malloc(sizeof(*op));
  if (op == NULL || sg_key2(k_report, sizeof(k_report), lk->region, "report", report_id) < 0) {
    free(op);
    return -1;
  }
  op->cb = cb;
  op->data = data;
  memcpy(op->token, token, SG_TOKEN_LEN + 1);
  const char *argv[] = {"EVALSHA", lk->sha, "1", k_report, lk->incident_prefix};
  if (sg_redis_command(lk->redis, on_reply, op, 5, argv, NULL) != 0) {
    free(op);
    return -1;
  }
  return 0;
}
