/* Delivery reports (dlr.h): one HSET and its EXPIRE, answered when both
 * replies are in. */
#include "sms/dlr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sms/form.h"
#include "store/keys.h"
#include "wire/report.h"

#define DLR_TTL_S "604800"
#define DLR_ID_MAX 64

typedef struct dlr_job {
  sg_sms_dlr_cb cb;
  void *data;
  int pending, failed;
} dlr_job;

static void dlr_done(dlr_job *d) {
  if (--d->pending > 0)
    return;
  d->cb(d->data, !d->failed);
  free(d);
}

static void on_dlr(void *data, redisReply *reply) {
  dlr_job *d = data;
  d->failed |= reply == NULL || reply->type == REDIS_REPLY_ERROR;
  dlr_done(d);
}

sg_sms_dlr_status sg_sms_dlr_store(sg_redis *redis, const char *region, const char *id,
                                   size_t id_len, const char *st, size_t st_len, const char *to,
                                   size_t to_len, sg_sms_dlr_cb cb, void *data) {
  char key[SG_KEY_MAX], now[24];
  if (id == NULL || id_len == 0 || id_len > DLR_ID_MAX || !sg_report_key_valid(id, id_len) ||
      sg_key2(key, sizeof(key), region, "sms:dlr", id) < 0)
    return SG_SMS_DLR_BAD_ID;
  char *end;
  long status = st != NULL ? strtol(st, &end, 10) : -1;
  if (st == NULL || st_len == 0 || st_len > 4 || *end != '\0' || status < 0)
    return SG_SMS_DLR_BAD_STATUS;
  char phone[SG_SMS_FORM_PHONE_MAX] = "";
  if (to != NULL && to_len == strlen(to))
    sg_sms_form_phone(to, phone);
  snprintf(now, sizeof(now), "%llu", (unsigned long long)sg_clock_now_ms());
  dlr_job *d = calloc(1, sizeof(*d));
  if (d == NULL)
    return SG_SMS_DLR_NOMEM;
  d->cb = cb;
  d->data = data;
  d->pending = 1;
  const char *hset[] = {"HSET", key, "status", st, "at", now, "to", phone};
  const char *expire[] = {"EXPIRE", key, DLR_TTL_S};
  size_t hl[8], el[3];
  for (int i = 0; i < 8; i++)
    hl[i] = strlen(hset[i]);
  for (int i = 0; i < 3; i++)
    el[i] = strlen(expire[i]);
  int argc = phone[0] != '\0' ? 8 : 6;
  if (sg_redis_command(redis, on_dlr, d, argc, hset, hl) == 0) {
    d->pending++;
    if (sg_redis_command(redis, on_dlr, d, 3, expire, el) == 0)
      d->pending++;
    else
      d->failed = 1;
  } else {
    d->failed = 1;
  }
  dlr_done(d); /* drops the guard: answers now if nothing was queued */
  return SG_SMS_DLR_STARTED;
}
