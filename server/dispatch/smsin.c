/* A text from a crew's phone (siaga:{r}:unitphone:<e164> names its unit):
 * its answer to the assignment or a status word, never a citizen's report.
 * Each is the same change as from the app (via "sms"), confirmed by a short
 * SMS back in the same write; a refusal (a second "1", a word the unit's
 * status does not allow) is answered by an SMS that says why, and writes
 * nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/dispatch_internal.h"
#include "dispatch/smsword.h"
#include "sms/aml.h"

typedef struct sms_job {
  sg_dispatch *d;
  sg_dispatch_sms_cb cb;
  void *data;
  char phone[24];
  char unit_id[SG_DISPATCH_UNIT_ID_MAX + 1];
  sg_smsword word;
} sms_job;

static void job_end(sms_job *j, int matched) {
  sg_dispatch *d = j->d;
  j->cb(j->data, matched);
  free(j);
  sg_dispatch__unref(d);
}

static void on_told(void *data, redisReply *reply) {
  sms_job *j = data;
  /* The crew's message was handled either way; a lost explanation is not
   * worth the gateway's retry of a message already applied. */
  (void)reply;
  job_end(j, 1);
}

/* One SMS to the crew's phone, on its own (a refusal or the help text). */
static void tell(sms_job *j, const char *text) {
  char key[SG_KEY_MAX];
  sg_key(key, sizeof(key), j->d->region, "sms:out");
  const char *argv[] = {"XADD", key,    "*",        "to", j->phone, "text", text,
                        "kind", "unit", "incident", "",   "report", ""};
  if (j->d->closing || sg_redis_command(j->d->redis, on_told, j, 13, argv, NULL) != 0)
    job_end(j, 1);
}

static void on_change(void *data, const sg_dispatch__outcome *o) {
  sms_job *j = data;
  char text[160];
  const char *ref = o->inc != NULL ? o->inc->id : o->asg != NULL ? o->asg->incident_id : "";
  if (o->ok && o->wrote) {
    job_end(j, 1); /* confirmed by the SMS the change queued */
    return;
  }
  if (!o->ok && strcmp(o->code, "unavailable") == 0) {
    job_end(j, -1); /* the gateway retries; the change is safe to apply again */
    return;
  }
  if (o->ok || strcmp(o->code, "already_accepted") == 0)
    snprintf(text, sizeof(text), "SIAGA: tugas %s sudah Anda terima.", ref);
  else if (strcmp(o->code, "no_assignment") == 0)
    snprintf(text, sizeof(text), "SIAGA: tidak ada tugas untuk %s saat ini.", j->unit_id);
  else if (strcmp(o->code, "not_your_assignment") == 0)
    snprintf(text, sizeof(text), "SIAGA: %s bukan tugas %s saat ini.", j->word.ref, j->unit_id);
  else if (strcmp(o->code, "not_active") == 0)
    snprintf(text, sizeof(text), "SIAGA: tugas %s sudah berakhir.", ref);
  else
    snprintf(text, sizeof(text), "SIAGA: status %s tidak bisa diubah begitu sekarang.", j->unit_id);
  tell(j, text);
}

static void on_unit(void *data, redisReply *reply) {
  sms_job *j = data;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR || j->d->closing) {
    job_end(j, -1);
    return;
  }
  if (reply->type != REDIS_REPLY_STRING || !sg_dispatch_unit_id_valid(reply->str)) {
    job_end(j, 0); /* no unit's phone: a citizen */
    return;
  }
  snprintf(j->unit_id, sizeof(j->unit_id), "%s", reply->str);
  if (j->word.kind == SG_SMSWORD_NONE) {
    tell(j, "SIAGA: balas 1 terima, 2 tolak, OTW berangkat, TIBA di lokasi, SELESAI.");
    return;
  }
  static const sg_dispatch__action actions[] = {[SG_SMSWORD_ACCEPT] = SG_DISPATCH__ACCEPT,
                                                [SG_SMSWORD_DECLINE] = SG_DISPATCH__DECLINE,
                                                [SG_SMSWORD_EN_ROUTE] = SG_DISPATCH__STATUS,
                                                [SG_SMSWORD_ON_SCENE] = SG_DISPATCH__STATUS,
                                                [SG_SMSWORD_CLEAR] = SG_DISPATCH__STATUS};
  sg_dispatch__change *c =
      sg_dispatch__change_new(j->d, actions[j->word.kind], j->unit_id, on_change, j);
  if (c == NULL) {
    job_end(j, -1);
    return;
  }
  c->via = "sms";
  c->confirm_by_sms = 1;
  snprintf(c->unit_id, sizeof(c->unit_id), "%s", j->unit_id);
  snprintf(c->named_ref, sizeof(c->named_ref), "%s", j->word.ref);
  snprintf(c->reason, sizeof(c->reason), "%s",
           j->word.reason[0] ? j->word.reason : "ditolak lewat SMS");
  c->status = j->word.kind == SG_SMSWORD_EN_ROUTE   ? SIAGA__V1__UNIT_STATUS__UNIT_STATUS_EN_ROUTE
              : j->word.kind == SG_SMSWORD_ON_SCENE ? SIAGA__V1__UNIT_STATUS__UNIT_STATUS_ON_SCENE
                                                    : SIAGA__V1__UNIT_STATUS__UNIT_STATUS_RETURNING;
  sg_dispatch__change_run(c);
}

void sg_dispatch_sms(sg_dispatch *d, const char *from, const char *text, size_t len,
                     sg_dispatch_sms_cb cb, void *data) {
  char key[SG_KEY_MAX];
  /* An AML message is the handset's own, sent when its owner calls 112:
   * a crew member in an emergency of their own is a citizen. */
  if (d == NULL || from == NULL || !sg_dispatch_phone_valid(from) || sg_aml_detect(text, len) ||
      sg_dispatch__key(d, key, "unitphone", from) < 0) {
    cb(data, 0);
    return;
  }
  sms_job *j = d->closing ? NULL : calloc(1, sizeof(*j));
  if (j == NULL) {
    cb(data, -1);
    return;
  }
  j->d = d;
  j->cb = cb;
  j->data = data;
  snprintf(j->phone, sizeof(j->phone), "%s", from);
  sg_smsword_parse(text, len, &j->word);
  const char *argv[] = {"GET", key};
  if (sg_redis_command(d->redis, on_unit, j, 2, argv, NULL) != 0) {
    free(j);
    cb(data, -1);
    return;
  }
  sg_dispatch__ref(d);
}
