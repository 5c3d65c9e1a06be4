#include "api/commands.h"

#include "core/log.h"
#include "api/merge.h"
#include "api/split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embedded.h"
#include "store/keys.h"
#include "store/transition.h"
#include "wire/report.h"
#include "sms/replies.h"
#include "triage/rules.h"
#include "core/utf8.h"
#include "dispatch/dispatch.h"

#define ATTEMPTS 5 /* re-reads when another change wins the race (expected_version 0) */

struct sg_commands {
  sg_redis *redis;
  sg_merge *merge; /* Merge and Unmerge */
  sg_split *split;
  sg_dispatch *dispatch; /* Assign, CancelAssignment, Recommend; NULL = not taken */
  uint64_t claim_grace_ms;
  char region[32];
  char sha[SG_REDIS_SHA_LEN + 1];       /* transition.lua */
  char sha_prank[SG_REDIS_SHA_LEN + 1]; /* prank.lua */
};

/* A command in flight: a copy of what it needs, since Redis answers later. */
typedef struct job {
  sg_commands *commands;
  sg_commands_done_cb done;
  void *data;
  Siaga__V1__Command__ActionCase action;
  char request_id[SG_COMMANDS_REQUEST_ID_MAX + 1];
  char actor[SG_COMMANDS_ACTOR_MAX + 1];
  sg_role role;
  char incident_id[SG_KEY_ID_MAX + 1];
  Siaga__V1__IncidentStatus status;
  Siaga__V1__Priority priority;      /* SetPriority */
  char category[32];                 /* SetCategory */
  char reply_to[24];                 /* ReplySms: a reporter's number, or "*" for all */
  char *reply_note;                  /* ReplySms: the note that records it */
  char *takeover_note;               /* SetStatus taking over another's incident */
  int clear;                         /* SetPriority/SetCategory: drop the override */
  char *note;                        /* AddNote's text, or an override's reason */
  int prank; /* MarkPrank: 1 mark, 0 unmark */
  int64_t expected_version;
  int attempts;
  Siaga__V1__Incident *result; /* the incident as written, for the reply */
  uint8_t *result_pb;
} job;

sg_commands *sg_commands_create(sg_redis *redis, const char *region) {
  const sg_embedded_file *script = sg_embedded_find("transition.lua");
  const sg_embedded_file *prank = sg_embedded_find("prank.lua");
  sg_commands *c = calloc(1, sizeof(*c));
  if (c == NULL || script == NULL || prank == NULL ||
      sg_redis_add_script(redis, (const char *)script->data, script->size, c->sha) != 0 ||
      sg_redis_add_script(redis, (const char *)prank->data, prank->size, c->sha_prank) != 0 ||
      (c->merge = sg_merge_create(redis, region)) == NULL ||
      (c->split = sg_split_create(redis, region)) == NULL) {
    if (c != NULL)
      sg_merge_destroy(c->merge);
    free(c);
    return NULL;
  }
  c->redis = redis;
  c->claim_grace_ms = SG_COMMANDS_CLAIM_GRACE_DEFAULT_MS;
  snprintf(c->region, sizeof(c->region), "%s", region);
  return c;
}

size_t sg_commands_request_id_cut(const char *id) {
  size_t n = strnlen(id, SG_COMMANDS_REQUEST_ID_MAX + 1);
  if (n <= SG_COMMANDS_REQUEST_ID_MAX)
    return n;
  n = SG_COMMANDS_REQUEST_ID_MAX;
  while (n > 0 && ((unsigned char)id[n] & 0xC0) == 0x80)
    n--; /* id[n] continues a character: cut before that character */
  return n;
}

void sg_commands_set_claim_grace(sg_commands *c, uint64_t ms) {
  c->claim_grace_ms = ms;
}

void sg_commands_set_dispatch(sg_commands *c, sg_dispatch *dispatch) {
  c->dispatch = dispatch;
}

void sg_commands_destroy(sg_commands *c) {
  if (c != NULL) {
    sg_merge_destroy(c->merge);
    sg_split_destroy(c->split);
  }
  free(c);
}

void sg_commands_answer(sg_commands_done_cb done, void *data, const char *request_id,
                        Siaga__V1__Incident *incident, const char *code, const char *message) {
  Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  r.request_id = (char *)request_id;
  r.ok = code == NULL;
  r.error_code = r.ok ? (char *)"" : (char *)code;
  r.message = r.ok ? (char *)"" : (char *)message;
  r.incident = r.ok ? incident : NULL;
  if (!r.ok) {
    e.code = r.error_code;
    e.message = r.message;
    r.error = &e;
  }
  done(data, &r);
}

static void finish(job *j, int ok, const char *code, const char *message) {
  sg_commands_answer(j->done, j->data, j->request_id, j->result, ok ? NULL : code, message);
  if (j->result != NULL)
    siaga__v1__incident__free_unpacked(j->result, NULL);
  free(j->result_pb);
  free(j->note);
  free(j->reply_note);
  free(j->takeover_note);
  free(j);
}

static void read_incident(job *j);

static void on_applied(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING) {
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
      sg_log(SG_LOG_ERROR, "redis.refused", "script=transition.lua reason=%s", reply->str);
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  const char *what = reply->element[0]->str;
  if (strcmp(what, "ok") == 0) {
    finish(j, 1, NULL, NULL);
  } else if (strcmp(what, "conflict") == 0 && j->expected_version == 0 &&
             ++j->attempts < ATTEMPTS) {
    siaga__v1__incident__free_unpacked(j->result, NULL);
    j->result = NULL;
    free(j->result_pb);
    j->result_pb = NULL;
    read_incident(j); /* someone else changed it first: apply ours on top */
  } else if (strcmp(what, "unknown_phone") == 0) {
    finish(j, 0, "unknown_phone", "that number did not report into this incident by SMS");
  } else if (strcmp(what, "no_phones") == 0) {
    finish(j, 0, "no_phones", "nobody reported this incident by SMS: there is no one to text");
  } else {
    finish(j, 0, "version_conflict", "the incident changed since you saw it; reload and retry");
  }
}

static const char *const priority_names[] = {"", "P1", "P2", "P3", "P4"};

/* An override as the incident keeps it; override is caller-owned and lives
 * until the incident is packed. */
static Siaga__V1__Override *override_set(job *j, Siaga__V1__Override *o, const char *value,
                                         uint64_t now) {
  siaga__v1__override__init(o);
  o->value = (char *)value;
  o->reason = j->note;
  o->by = j->actor;
  o->at_ms = (int64_t)now;
  return o;
}

static Siaga__V1__UpdateKind apply_change(job *j, Siaga__V1__Incident *inc,
                                          Siaga__V1__Note **note_slot, Siaga__V1__Note *note,
                                          Siaga__V1__Override *override, uint64_t now) {
  /* AddNote and MarkPrank (whose record is a note) add a note. */
  if (j->action == SIAGA__V1__COMMAND__ACTION_SET_STATUS) {
    if (j->takeover_note != NULL) {
      inc->handler = j->actor; /* the first acknowledgement's time stays */
      note->author = j->actor;
      note->text = j->takeover_note;
      note->at_ms = (int64_t)now;
      *note_slot = note;
      inc->n_notes++;
    } else if (j->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_ACKNOWLEDGED) {
      /* Acknowledging takes the incident in hand: the others see who. */
      inc->handler = j->actor;
      inc->acknowledged_at_ms = (int64_t)now;
    } else if (j->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN) {
      inc->handler = (char *)""; /* reopened: back in the queue, to be acknowledged again */
    }
    inc->status = j->status;
    return SIAGA__V1__UPDATE_KIND__UPDATE_KIND_STATUS_CHANGED;
  }
  if (j->action == SIAGA__V1__COMMAND__ACTION_SET_PRIORITY) {
    if (j->clear) {
      inc->priority_override = NULL;
    } else {
      inc->priority = j->priority;
      inc->priority_override = override_set(j, override, priority_names[j->priority], now);
    }
    return SIAGA__V1__UPDATE_KIND__UPDATE_KIND_PRIORITY_CHANGED;
  }
  if (j->action == SIAGA__V1__COMMAND__ACTION_SET_CATEGORY) {
    if (j->clear) {
      inc->category_override = NULL;
    } else {
      inc->category = j->category;
      inc->category_override = override_set(j, override, j->category, now);
    }
    return SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CATEGORY_CHANGED;
  }
  note->author = j->actor;
  note->text = j->action == SIAGA__V1__COMMAND__ACTION_REPLY_SMS ? j->reply_note : j->note;
  note->at_ms = (int64_t)now;
  *note_slot = note;
  inc->n_notes++;
  return SIAGA__V1__UPDATE_KIND__UPDATE_KIND_NOTE_ADDED;
}

/* The text SMS reporters get for this command, or "" when it is not a
 * status they hear about. */
static const char *status_sms(const job *j, char *buf, size_t size) {
  sg_sms_replies_kind kind;
  if (j->action != SIAGA__V1__COMMAND__ACTION_SET_STATUS)
    return "";
  switch (j->status) {
  case SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_DISPATCHED:
    kind = SG_SMS_REPLIES_DISPATCHED;
    break;
  case SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED:
  case SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED:
    kind = SG_SMS_REPLIES_CLOSED;
    break;
  default:
    return "";
  }
  return sg_sms_replies_text(buf, size, kind, j->incident_id) > 0 ? buf : "";
}

/* Statuses move forward (OPEN, ACKNOWLEDGED, DISPATCHED, RESOLVED, CLOSED,
 * skipping steps when the work went faster); going back, which reopens a
 * closed incident or undoes a step, is a supervisor's. The same status again
 * is refused: it would send every console an update that changes nothing. */
static int status_refused(Siaga__V1__IncidentStatus from, Siaga__V1__IncidentStatus to,
                          sg_role role, const char **code, const char **why) {
  if (to == from) {
    *code = "no_change";
    *why = "the incident has that status already";
    return 1;
  }
  if (to < from && role < SG_ROLE_SUPERVISOR) {
    *code = "forbidden";
    *why = from == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED
               ? "only a supervisor may reopen a closed incident"
               : "only a supervisor may move an incident back";
    return 1;
  }
  return 0;
}

/* Acknowledging an incident another dispatcher has in hand takes it over:
 * anyone may within the claim grace of its acknowledgement (two dispatchers
 * reaching for one call), after that only a supervisor, with a reason. On
 * success j->takeover_note records it. */
static int takeover_refused(job *j, const Siaga__V1__Incident *inc, const char **code,
                            const char **why) {
  uint64_t now = sg_clock_now_ms();
  int64_t since = (int64_t)now - inc->acknowledged_at_ms;
  int in_grace = since >= 0 && (uint64_t)since <= j->commands->claim_grace_ms;
  if (!in_grace && j->role < SG_ROLE_SUPERVISOR) {
    *code = "forbidden";
    *why = "another dispatcher has it in hand: a supervisor may reassign it";
    return 1;
  }
  if (!in_grace && j->note == NULL) {
    *code = "bad_command";
    *why = "reason: say why you take it over";
    return 1;
  }
  size_t n = strlen(inc->handler) + (j->note != NULL ? strlen(j->note) : 0) + 96;
  if ((j->takeover_note = malloc(n)) == NULL) {
    *code = "unavailable";
    *why = "out of memory";
    return 1;
  }
  snprintf(j->takeover_note, n, "Diambil alih dari %s oleh %s%s%s", inc->handler, j->actor,
           j->note != NULL ? ": " : "", j->note != NULL ? j->note : "");
  return 0;
}

static void on_read(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  Siaga__V1__Incident *inc = NULL;
  if (reply->type == REDIS_REPLY_STRING)
    inc = siaga__v1__incident__unpack(NULL, reply->len, (const uint8_t *)reply->str);
  if (inc == NULL) {
    finish(j, 0, "not_found", "no incident with that id");
    return;
  }
  int64_t current = inc->version;
  if (j->expected_version != 0 && j->expected_version != current) {
    siaga__v1__incident__free_unpacked(inc, NULL);
    finish(j, 0, "version_conflict", "the incident changed since you saw it; reload and retry");
    return;
  }
  if (j->action == SIAGA__V1__COMMAND__ACTION_SET_STATUS) {
    const char *code, *why;
    Siaga__V1__IncidentStatus from = inc->status;
    int take = from == j->status && j->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_ACKNOWLEDGED &&
               inc->handler[0] != '\0' && strcmp(inc->handler, j->actor) != 0;
    if (take && takeover_refused(j, inc, &code, &why)) {
      siaga__v1__incident__free_unpacked(inc, NULL);
      finish(j, 0, code, why);
      return;
    }
    if (!take && status_refused(from, j->status, j->role, &code, &why)) {
      siaga__v1__incident__free_unpacked(inc, NULL);
      finish(j, 0, code, why);
      return;
    }
  }

  /* Change the decoded incident in place; restore what we borrowed before
   * freeing it. The note array gets one more slot of our own. */
  uint64_t now = sg_clock_now_ms();
  Siaga__V1__Note note = SIAGA__V1__NOTE__INIT;
  Siaga__V1__Note **saved_notes = inc->notes;
  size_t saved_n_notes = inc->n_notes;
  Siaga__V1__Note **notes = calloc(inc->n_notes + 1, sizeof(*notes));
  if (notes == NULL) {
    siaga__v1__incident__free_unpacked(inc, NULL);
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  if (inc->n_notes > 0)
    memcpy(notes, inc->notes, inc->n_notes * sizeof(*notes));
  inc->notes = notes;
  /* What apply_change points the incident at is ours: put back before the
   * unpacked incident is freed. */
  Siaga__V1__Override override;
  Siaga__V1__Override *saved_priority_override = inc->priority_override;
  Siaga__V1__Override *saved_category_override = inc->category_override;
  char *saved_category = inc->category, *saved_handler = inc->handler;
  Siaga__V1__UpdateKind kind = apply_change(j, inc, &notes[inc->n_notes], &note, &override, now);
  /* Bounded growth: every console gets the whole incident with each
   * update, so an incident that took notes without end would cost each of
   * them (and Redis) more with every note. */
  const char *limit_code = NULL, *limit_why = NULL;
  if (inc->n_notes > saved_n_notes && inc->n_notes > SG_COMMANDS_NOTES_MAX) {
    limit_code = "too_many_notes";
    limit_why = "an incident holds at most 100 notes";
  }
  inc->version = current + 1;
  inc->updated_at_ms = (int64_t)now;

  Siaga__V1__IncidentUpdate upd = SIAGA__V1__INCIDENT_UPDATE__INIT;
  upd.kind = kind;
  upd.incident = inc;
  upd.actor = j->actor;
  upd.at_ms = (int64_t)now;
  size_t inc_len = siaga__v1__incident__get_packed_size(inc);
  size_t upd_len = siaga__v1__incident_update__get_packed_size(&upd);
  j->result_pb = malloc(inc_len + 1);
  uint8_t *upd_pb = malloc(upd_len + 1);
  if (j->result_pb != NULL && upd_pb != NULL) {
    siaga__v1__incident__pack(inc, j->result_pb);
    siaga__v1__incident_update__pack(&upd, upd_pb);
  }

  sg_transition tr = {.region = j->commands->region,
                      .incident_id = j->incident_id,
                      .expected_version = current,
                      .incident_pb_len = inc_len,
                      .update_pb_len = upd_len,
                      .status = (int)inc->status,
                      .priority = (int)inc->priority,
                      .score = (int)inc->score,
                      .created_at_ms = inc->created_at_ms,
                      .updated_at_ms = (int64_t)now,
                      .has_point = sg_report_has_point(inc->location),
                      .lon = inc->location != NULL ? inc->location->lon : 0.0,
                      .lat = inc->location != NULL ? inc->location->lat : 0.0};

  inc->notes = saved_notes;
  inc->n_notes = saved_n_notes;
  inc->priority_override = saved_priority_override;
  inc->category_override = saved_category_override;
  inc->category = saved_category;
  inc->handler = saved_handler;
  free(notes);
  siaga__v1__incident__free_unpacked(inc, NULL);
  if (limit_code == NULL && kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_NOTE_ADDED &&
      inc_len > SG_COMMANDS_INCIDENT_MAX) {
    limit_code = "incident_too_large";
    limit_why = "the incident would be over 64 KiB with this note";
  }
  if (limit_code != NULL) {
    free(upd_pb);
    finish(j, 0, limit_code, limit_why);
    return;
  }
  if (j->result_pb == NULL || upd_pb == NULL) {
    free(upd_pb);
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  j->result = siaga__v1__incident__unpack(NULL, inc_len, j->result_pb);

  /* No report: the script leaves the processed marker, the report index
   * and the phone map alone. SMS reporters hear when help is sent and when
   * it is over; the script decides from the previous status whether this
   * change is such a moment. */
  char sms_text[256];
  tr.incident_pb = j->result_pb;
  tr.update_pb = upd_pb;
  tr.status_text = status_sms(j, sms_text, sizeof(sms_text));
  if (j->action == SIAGA__V1__COMMAND__ACTION_REPLY_SMS) {
    tr.ack_to = j->reply_to; /* with no report: the dispatcher's reply */
    tr.ack_text = j->note;
  }
  sg_transition_call call;
  int rc = sg_transition_build(&call, &tr, j->commands->sha, NULL);
  if (rc == SG_OK)
    rc = sg_redis_command(j->commands->redis, on_applied, j, call.argc, call.argv, call.lens);
  free(upd_pb);
  if (rc != 0)
    finish(j, 0, "unavailable", "incident store unavailable; try again");
}

static void read_incident(job *j) {
  char key[SG_KEY_MAX];
  sg_key2(key, sizeof(key), j->commands->region, "incident", j->incident_id);
  const char *argv[] = {"HGET", key, "pb"};
  size_t lens[] = {4, strlen(key), 2};
  if (sg_redis_command(j->commands->redis, on_read, j, 3, argv, lens) != 0)
    finish(j, 0, "unavailable", "incident store unavailable; try again");
}

/* ---- MarkPrank: the numbers first (prank.lua), then the note ---- */

/* The numbers are marked before the note is written, so the note never
 * claims what did not happen. If the note then fails, the dispatcher gets
 * an error and retries: marking again changes nothing, and the note is
 * written once it succeeds. */
static void on_prank(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
      reply->element[0]->type != REDIS_REPLY_STRING) {
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
      sg_log(SG_LOG_ERROR, "redis.refused", "script=prank.lua reason=%s", reply->str);
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  if (strcmp(reply->element[0]->str, "not_found") == 0) {
    finish(j, 0, "not_found", "no incident with that id");
    return;
  }
  if (strcmp(reply->element[0]->str, "ok") != 0 || reply->elements < 2 ||
      reply->element[1]->type != REDIS_REPLY_INTEGER) {
    finish(j, 0, "unavailable", "incident store unavailable; try again");
    return;
  }
  if (reply->element[1]->integer == 0) {
    finish(j, 0, "no_numbers", "no one reported this incident by SMS or AML");
    return;
  }
  /* Recorded as a note, through the same path as AddNote, so every console
   * and the audit trail show who marked the numbers. */
  char text[160];
  snprintf(text, sizeof(text),
           j->prank ? "Nomor pelapor ditandai laporan palsu oleh %s"
                    : "Tanda laporan palsu pada nomor pelapor dicabut oleh %s",
           j->actor);
  j->note = strdup(text);
  if (j->note == NULL) {
    finish(j, 0, "unavailable", "out of memory");
    return;
  }
  read_incident(j);
}

static void run_prank(job *j) {
  char k_inc[SG_KEY_MAX], k_sms[SG_KEY_MAX], k_phones[SG_KEY_MAX], k_prank[SG_KEY_MAX],
      suffix[SG_KEY_ID_MAX + 8];
  const char *region = j->commands->region;
  sg_key2(k_inc, sizeof(k_inc), region, "incident", j->incident_id);
  snprintf(suffix, sizeof(suffix), "%s:sms", j->incident_id);
  sg_key2(k_sms, sizeof(k_sms), region, "incident", suffix);
  snprintf(suffix, sizeof(suffix), "%s:phones", j->incident_id);
  sg_key2(k_phones, sizeof(k_phones), region, "incident", suffix);
  sg_key(k_prank, sizeof(k_prank), region, "prank");
  const char *argv[] = {"EVALSHA", j->commands->sha_prank, "4", k_inc, k_sms, k_phones, k_prank,
                        j->prank ? "1" : "0"};
  enum { ARGC = sizeof(argv) / sizeof(argv[0]) };
  size_t lens[ARGC];
  for (size_t i = 0; i < ARGC; i++)
    lens[i] = strlen(argv[i]);
  if (sg_redis_command(j->commands->redis, on_prank, j, ARGC, argv, lens) != 0)
    finish(j, 0, "unavailable", "incident store unavailable; try again");
}

void sg_commands_run(sg_commands *c, const Siaga__V1__Command *cmd, const sg_identity *who,
                     sg_commands_done_cb done, void *data) {
  /* Units are the dispatch module's: it checks the role and answers alike. */
  if (c->dispatch != NULL && (cmd->action_case == SIAGA__V1__COMMAND__ACTION_ASSIGN ||
                              cmd->action_case == SIAGA__V1__COMMAND__ACTION_CANCEL_ASSIGNMENT ||
                              cmd->action_case == SIAGA__V1__COMMAND__ACTION_RECOMMEND)) {
    sg_dispatch_console_command(c->dispatch, cmd, who, done, data);
    return;
  }
  job *j = calloc(1, sizeof(*j));
  if (j == NULL) {
    sg_commands_answer(done, data, cmd->request_id, NULL, "unavailable", "out of memory");
    return;
  }
  j->commands = c;
  j->done = done;
  j->data = data;
  j->action = cmd->action_case;
  snprintf(j->request_id, sizeof(j->request_id), "%s", cmd->request_id);
  /* The actor is who signed in; whatever name the client puts in actor is
   * not read. Incidents are worked by dispatchers and up (an admin may do
   * what a supervisor does); a responder's account is for its unit. */
  snprintf(j->actor, sizeof(j->actor), "%s", who->name);
  j->role = who->role;
  if (who->role < SG_ROLE_DISPATCHER) {
    finish(j, 0, "forbidden", "this account may not work incidents");
    return;
  }
  if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_MERGE ||
      cmd->action_case == SIAGA__V1__COMMAND__ACTION_UNMERGE) {
    free(j);
    sg_merge_run(c->merge, cmd, who, done, data);
    return;
  }
  if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_SPLIT) {
    free(j);
    sg_split_run(c->split, cmd, who, done, data);
    return;
  }

  const char *incident_id = NULL;
  if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_SET_STATUS) {
    incident_id = cmd->set_status->incident_id;
    j->status = cmd->set_status->status;
    j->expected_version = cmd->set_status->expected_version;
    size_t rn = strlen(cmd->set_status->reason);
    if (rn > SG_COMMANDS_REASON_MAX || !sg_utf8_valid(cmd->set_status->reason, rn)) {
      finish(j, 0, "bad_command", "reason: at most 200 bytes of UTF-8");
      return;
    }
    if (rn > 0 && (j->note = strdup(cmd->set_status->reason)) == NULL) {
      finish(j, 0, "unavailable", "out of memory");
      return;
    }
    if (j->status <= SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_UNSPECIFIED ||
        j->status > SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED) {
      finish(j, 0, "bad_command", "status: one of OPEN, ACKNOWLEDGED, DISPATCHED, RESOLVED, CLOSED");
      return;
    }
  } else if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_ADD_NOTE) {
    incident_id = cmd->add_note->incident_id;
    j->expected_version = cmd->add_note->expected_version;
    size_t n = strlen(cmd->add_note->text);
    if (n == 0 || n > SG_COMMANDS_NOTE_MAX || !sg_utf8_valid(cmd->add_note->text, n)) {
      finish(j, 0, "bad_command", "text: 1 to 1000 bytes of UTF-8");
      return;
    }
    j->note = strdup(cmd->add_note->text);
    if (j->note == NULL) {
      finish(j, 0, "unavailable", "out of memory");
      return;
    }
  } else if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_SET_PRIORITY ||
             cmd->action_case == SIAGA__V1__COMMAND__ACTION_SET_CATEGORY) {
    int is_priority = cmd->action_case == SIAGA__V1__COMMAND__ACTION_SET_PRIORITY;
    const char *reason = is_priority ? cmd->set_priority->reason : cmd->set_category->reason;
    incident_id = is_priority ? cmd->set_priority->incident_id : cmd->set_category->incident_id;
    j->expected_version =
        is_priority ? cmd->set_priority->expected_version : cmd->set_category->expected_version;
    j->clear = is_priority ? cmd->set_priority->clear : cmd->set_category->clear;
    size_t n = strlen(reason);
    if (j->clear && who->role < SG_ROLE_SUPERVISOR) {
      finish(j, 0, "forbidden", "only a supervisor may clear a dispatcher's override");
      return;
    }
    if (!j->clear && (n == 0 || n > SG_COMMANDS_REASON_MAX || !sg_utf8_valid(reason, n))) {
      finish(j, 0, "bad_command", "reason: say why, 1 to 200 bytes of UTF-8");
      return;
    }
    if (is_priority) {
      j->priority = cmd->set_priority->priority;
      if (!j->clear && (j->priority < SIAGA__V1__PRIORITY__P1 || j->priority > SIAGA__V1__PRIORITY__P4)) {
        finish(j, 0, "bad_command", "priority: one of P1, P2, P3, P4");
        return;
      }
    } else {
      const char *cat = cmd->set_category->category;
      if (!j->clear && (strlen(cat) >= sizeof(j->category) || !sg_rules_category_known(cat))) {
        finish(j, 0, "bad_command", "category: one of the categories triage knows (README)");
        return;
      }
      snprintf(j->category, sizeof(j->category), "%s", cat);
    }
    if ((j->note = strdup(reason)) == NULL) {
      finish(j, 0, "unavailable", "out of memory");
      return;
    }
  } else if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_REPLY_SMS) {
    const Siaga__V1__ReplySms *rs = cmd->reply_sms;
    incident_id = rs->incident_id;
    size_t n = strlen(rs->text), np = strlen(rs->phone);
    if (n == 0 || n > SG_COMMANDS_SMS_MAX || !sg_utf8_valid(rs->text, n)) {
      finish(j, 0, "bad_command", "text: 1 to 300 bytes of UTF-8");
      return;
    }
    if (np > 0 && (np < 8 || np > 16 || rs->phone[0] != '+' ||
                   strspn(rs->phone + 1, "0123456789") != np - 1)) {
      finish(j, 0, "bad_command", "phone: \"\" for every reporter, or one number as +62...");
      return;
    }
    snprintf(j->reply_to, sizeof(j->reply_to), "%s", np > 0 ? rs->phone : "*");
    size_t note_len = n + 64;
    j->note = strdup(rs->text);
    j->reply_note = malloc(note_len);
    if (j->note == NULL || j->reply_note == NULL) {
      finish(j, 0, "unavailable", "out of memory");
      return;
    }
    snprintf(j->reply_note, note_len, "SMS ke %s: %s", np > 0 ? rs->phone : "semua pelapor",
             rs->text);
  } else if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_MARK_PRANK) {
    /* Always applied on top of the current version: marking numbers does
     * not depend on what the dispatcher saw of the incident. */
    incident_id = cmd->mark_prank->incident_id;
    j->prank = cmd->mark_prank->prank;
  } else {
    finish(j, 0, "unsupported_command", "this server does not take that command");
    return;
  }
  if (!sg_key_id_valid(incident_id)) {
    finish(j, 0, "not_found", "no incident with that id");
    return;
  }
  snprintf(j->incident_id, sizeof(j->incident_id), "%s", incident_id);
  if (j->expected_version < 0) {
    finish(j, 0, "bad_command", "expectedVersion: 0 or the version you saw");
    return;
  }
  if (j->action == SIAGA__V1__COMMAND__ACTION_MARK_PRANK)
    run_prank(j);
  else
    read_incident(j);
}
