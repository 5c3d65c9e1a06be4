#include "store/transition.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

static const char *or_empty(const char *s) {
  return s != NULL ? s : "";
}

/* Appends a string argument. */
static void push(sg_transition_call *call, const char *s) {
  call->argv[call->argc] = s;
  call->lens[call->argc] = strlen(s);
  call->argc++;
}

static void push_bytes(sg_transition_call *call, const void *p, size_t len) {
  call->argv[call->argc] = p != NULL ? (const char *)p : "";
  call->lens[call->argc] = p != NULL ? len : 0;
  call->argc++;
}

/* Appends a number as decimal text, kept in call->numbers. */
static void push_int(sg_transition_call *call, size_t *n_numbers, long long v) {
  char *s = call->numbers[(*n_numbers)++];
  snprintf(s, sizeof(call->numbers[0]), "%lld", v);
  push(call, s);
}

static void push_coordinate(sg_transition_call *call, size_t *n_numbers, double v) {
  char *s = call->numbers[(*n_numbers)++];
  snprintf(s, sizeof(call->numbers[0]), "%.9f", v);
  push(call, s);
}

/* Writes the keys into call->keys in the script's order; returns how many
 * the call passes, or -1 when one does not fit. */
static int build_keys(sg_transition_call *call, const sg_transition *tr, int has_report,
                      int has_phone) {
  const char *region = tr->region, *id = or_empty(tr->incident_id);
  char(*k)[SG_KEY_MAX] = call->keys;
  char suffix[SG_KEY_MAX];
  int bad = sg_key2(k[0], SG_KEY_MAX, region, "incident", id) < 0 ||
            sg_key(k[1], SG_KEY_MAX, region, SG_KEY_OPEN) < 0 ||
            sg_key(k[2], SG_KEY_MAX, region, SG_KEY_GEO) < 0 ||
            sg_key(k[3], SG_KEY_MAX, region, SG_KEY_UPDATES) < 0 ||
            sg_key2(k[4], SG_KEY_MAX, region, "audit", id) < 0 ||
            sg_key(k[7], SG_KEY_MAX, region, SG_KEY_REPORTS) < 0 ||
            sg_key(k[8], SG_KEY_MAX, region, "sms:out") < 0;
  /* Without a report the script never touches KEYS 6-7, but they must be
   * keys of the same slot: the reports stream serves. */
  if (has_report) {
    bad = bad || sg_key2(k[5], SG_KEY_MAX, region, "processed", tr->entry_id) < 0;
    if (tr->report_id != NULL && tr->report_id[0] != '\0')
      bad = bad || sg_key2(k[6], SG_KEY_MAX, region, "report", tr->report_id) < 0;
    else
      memcpy(k[6], k[7], sizeof(k[6]));
  } else {
    memcpy(k[5], k[7], sizeof(k[5]));
    memcpy(k[6], k[7], sizeof(k[6]));
  }
  bad = bad || snprintf(suffix, sizeof(suffix), "%s:sms", id) >= (int)sizeof(suffix) ||
        sg_key2(k[9], SG_KEY_MAX, region, "incident", suffix) < 0;
  if (has_phone) {
    bad = bad || sg_key2(k[10], SG_KEY_MAX, region, "phone", tr->phone) < 0 ||
          snprintf(suffix, sizeof(suffix), "%s:phones", id) >= (int)sizeof(suffix) ||
          sg_key2(k[11], SG_KEY_MAX, region, "incident", suffix) < 0;
  }
  if (bad)
    return -1;
  return has_phone ? 12 : 10;
}

int sg_transition_build(sg_transition_call *call, const sg_transition *tr, const char *sha,
                        const sg_embedded_file *body) {
  call->argc = 0;
  int has_report = tr->entry_id != NULL && tr->entry_id[0] != '\0';
  int has_phone = tr->phone != NULL && tr->phone[0] != '\0';
  const sg_transition_check *check = &tr->check;
  if (check->on && check->n_known > SG_TRANSITION_KNOWN_MAX)
    return SG_EINVAL;
  int n_keys = build_keys(call, tr, has_report, has_phone);
  if (n_keys < 0)
    return SG_EINVAL;

  size_t n_numbers = 0;
  if (body != NULL) {
    push(call, "EVAL");
    push_bytes(call, body->data, body->size);
  } else {
    push(call, "EVALSHA");
    push(call, or_empty(sha));
  }
  push_int(call, &n_numbers, n_keys);
  for (int i = 0; i < n_keys; i++)
    push(call, call->keys[i]);

  /* ARGV, numbered as in transition.lua. */
  push_int(call, &n_numbers, tr->expected_version);                 /* 1 */
  push(call, or_empty(tr->incident_id));                            /* 2 */
  push_bytes(call, tr->incident_pb, tr->incident_pb_len);           /* 3 */
  push_bytes(call, tr->update_pb, tr->update_pb_len);               /* 4 */
  push_int(call, &n_numbers, tr->status);                           /* 5 */
  push_int(call, &n_numbers, tr->priority);                         /* 6 */
  push_int(call, &n_numbers, tr->score);                            /* 7 */
  push_int(call, &n_numbers, tr->created_at_ms);                    /* 8 */
  push_coordinate(call, &n_numbers, tr->has_point ? tr->lon : 0.0); /* 9 */
  push_coordinate(call, &n_numbers, tr->has_point ? tr->lat : 0.0); /* 10 */
  push(call, has_report ? tr->entry_id : "");                       /* 11 */
  push(call, SG_GROUP_TRIAGE);                                      /* 12 */
  push_int(call, &n_numbers, tr->marker_ttl_s);                     /* 13 */
  push(call, or_empty(tr->report_id));                              /* 14 */
  push_int(call, &n_numbers, SG_TRANSITION_UPDATES_MAXLEN);         /* 15 */
  push_int(call, &n_numbers, tr->updated_at_ms);                    /* 16 */
  const char *ack_to = or_empty(tr->ack_to);
  push(call, ack_to);                                          /* 17 */
  push(call, ack_to[0] != '\0' ? or_empty(tr->ack_text) : ""); /* 18 */
  push(call, or_empty(tr->status_text));                       /* 19 */
  if (!has_report && !has_phone && !check->on)
    return SG_OK;
  push(call, or_empty(tr->token));             /* 20 */
  push_int(call, &n_numbers, tr->index_ttl_s); /* 21 */
  if (!has_phone && !check->on)
    return SG_OK;
  push(call, has_phone ? tr->phone : "");      /* 22 */
  push_int(call, &n_numbers, tr->phone_ttl_s); /* 23 */
  push(call, or_empty(tr->phone_seen));        /* 24 */
  if (!check->on)
    return SG_OK;
  push_int(call, &n_numbers, check->radius_m); /* 25 */
  push_int(call, &n_numbers, check->count);    /* 26 */
  for (size_t i = 0; i < check->n_known; i++)  /* 27.. */
    push(call, or_empty(check->known[i]));
  return SG_OK;
}
