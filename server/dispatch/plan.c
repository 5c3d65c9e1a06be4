/* Each dispatch change computed on the records as read: who may do it, the
 * unit's, the assignment's and the incident's next states, and what goes
 * with them (the ladder's due time, the citizens' "dispatched" SMS, the
 * crew's SMS). The records are changed in place; everything put into them
 * is malloc'd and owned by them, so protobuf-c's free_unpacked frees it
 * with the rest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "dispatch/dispatch_internal.h"
#include "dispatch/unitstatus.h"
#include "sms/replies.h"

#define A(x) SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_##x
#define U(x) SIAGA__V1__UNIT_STATUS__UNIT_STATUS_##x
#define I(x) SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_##x

typedef struct refusal {
  const char **code, **message;
} refusal;

static int refuse(refusal *r, const char *code, const char *message) {
  *r->code = code;
  *r->message = message;
  return -1;
}

static int oom(refusal *r) {
  return refuse(r, "unavailable", "out of memory");
}

/* Replaces a string field of an unpacked message. */
static int set_str(char **field, const char *value) {
  char *copy = strdup(value);
  if (copy == NULL)
    return -1;
  if (*field != NULL && *field != protobuf_c_empty_string)
    free(*field);
  *field = copy;
  return 0;
}

static Siaga__V1__Assignment *asg_copy(const Siaga__V1__Assignment *a) {
  size_t n = siaga__v1__assignment__get_packed_size(a);
  uint8_t *buf = malloc(n + 1);
  if (buf == NULL)
    return NULL;
  siaga__v1__assignment__pack(a, buf);
  Siaga__V1__Assignment *copy = siaga__v1__assignment__unpack(NULL, n, buf);
  free(buf);
  return copy;
}

static int asg_active(Siaga__V1__AssignmentState s) {
  return s == A(OFFERED) || s == A(DELIVERED) || s == A(SEEN) || s == A(ACCEPTED);
}

static int asg_unanswered(Siaga__V1__AssignmentState s) {
  return s == A(OFFERED) || s == A(DELIVERED) || s == A(SEEN);
}

/* The incident's step times, made if missing (with the steps the incident
 * itself already knows). */
static Siaga__V1__StepTimes *times_of(Siaga__V1__Incident *inc) {
  if (inc->times == NULL) {
    if ((inc->times = malloc(sizeof(*inc->times))) == NULL)
      return NULL;
    siaga__v1__step_times__init(inc->times);
  }
  if (inc->times->created_at_ms == 0)
    inc->times->created_at_ms = inc->created_at_ms;
  if (inc->times->acknowledged_at_ms == 0)
    inc->times->acknowledged_at_ms = inc->acknowledged_at_ms;
  return inc->times;
}

static void first(int64_t *at, int64_t now) {
  if (*at == 0)
    *at = now;
}

/* Puts a copy of asg into the incident's list: in its place, or appended
 * (the oldest finished one, else the oldest, gives way past the cap). */
static int inc_put(Siaga__V1__Incident *inc, const Siaga__V1__Assignment *asg) {
  Siaga__V1__Assignment *copy = asg_copy(asg);
  if (copy == NULL)
    return -1;
  for (size_t i = 0; i < inc->n_assignments; i++) {
    if (strcmp(inc->assignments[i]->id, asg->id) == 0) {
      siaga__v1__assignment__free_unpacked(inc->assignments[i], NULL);
      inc->assignments[i] = copy;
      return 0;
    }
  }
  if (inc->n_assignments >= SG_DISPATCH__ASSIGNMENTS_MAX) {
    size_t drop = 0;
    for (size_t i = 0; i < inc->n_assignments; i++)
      if (!asg_active(inc->assignments[i]->state)) {
        drop = i;
        break;
      }
    siaga__v1__assignment__free_unpacked(inc->assignments[drop], NULL);
    memmove(&inc->assignments[drop], &inc->assignments[drop + 1],
            (inc->n_assignments - drop - 1) * sizeof(*inc->assignments));
    inc->n_assignments--;
  }
  Siaga__V1__Assignment **list =
      realloc(inc->assignments, (inc->n_assignments + 1) * sizeof(*list));
  if (list == NULL) {
    siaga__v1__assignment__free_unpacked(copy, NULL);
    return -1;
  }
  inc->assignments = list;
  list[inc->n_assignments++] = copy;
  return 0;
}

static int inc_any_active(const Siaga__V1__Incident *inc) {
  for (size_t i = 0; i < inc->n_assignments; i++)
    if (asg_active(inc->assignments[i]->state))
      return 1;
  return 0;
}

/* The unit leaves its assignment: back to `status`, free. */
static int unit_release(Siaga__V1__Unit *u, Siaga__V1__UnitStatus status) {
  u->status = status;
  return set_str(&u->assignment_id, "") | set_str(&u->incident_id, "");
}

/* Which records the write carries, with the versions they were read at;
 * each written one gets version + 1 and the time. */
static void write_unit(sg_dispatch__change *c, int64_t now) {
  c->w.unit = c->st.unit;
  c->w.unit_expected = c->st.unit_version;
  c->st.unit->version = c->st.unit_version + 1;
  c->st.unit->updated_at_ms = now;
}

static void write_asg(sg_dispatch__change *c, int64_t now) {
  c->w.asg = c->st.asg;
  c->w.asg_expected = c->st.asg_version;
  c->st.asg->updated_at_ms = now;
}

static void write_inc(sg_dispatch__change *c, int64_t now) {
  c->w.inc = c->st.inc;
  c->w.inc_expected = c->st.inc_version;
  c->st.inc->version = c->st.inc_version + 1;
  c->st.inc->updated_at_ms = now;
}

/* ---- the crew's SMS ---- */

static void confirm(sg_dispatch__change *c, const char *fmt, const char *a, const char *b) {
  if (!c->confirm_by_sms || c->st.unit == NULL || c->st.unit->phone[0] == '\0')
    return;
  snprintf(c->sms_text, sizeof(c->sms_text), fmt, a, b);
  c->w.sms_to = c->st.unit->phone;
  c->w.sms_text = c->sms_text;
  c->w.sms_kind = "unit";
}

/* ---- the actions ---- */

static int plan_assign(sg_dispatch__change *c, int64_t now, refusal *r) {
  Siaga__V1__Unit *u = c->st.unit;
  Siaga__V1__Incident *inc = c->st.inc;
  if (u == NULL)
    return refuse(r, "not_found", "no unit with that id");
  if (inc == NULL)
    return refuse(r, "not_found", "no incident with that id");
  if (u->disabled)
    return refuse(r, "unit_disabled", "the unit is disabled");
  if (!sg_unitstatus_assignable(u->status) || u->assignment_id[0] != '\0')
    return refuse(r, "unit_busy", "the unit is not AVAILABLE nor RETURNING");
  if (inc->status == I(RESOLVED) || inc->status == I(CLOSED))
    return refuse(r, "incident_closed", "the incident is resolved or closed");
  Siaga__V1__Assignment a = SIAGA__V1__ASSIGNMENT__INIT;
  a.id = c->asg_id;
  a.incident_id = c->inc_id;
  a.unit_id = c->unit_id;
  a.state = A(OFFERED);
  a.by = c->actor;
  a.offered_at_ms = a.updated_at_ms = now;
  a.share_caller = c->share_caller;
  /* No app holds the unit's socket (Unit.connected, presence.c): nobody
   * would see the offer, so the ladder's SMS goes with it, and the
   * assignment times out one ack period later, as after a ladder's SMS. */
  if (!u->connected && u->phone[0] != '\0' &&
      sg_dispatch__offer_text(c->sms_text, sizeof(c->sms_text), inc) >= 0) {
    a.sms_sent_at_ms = now;
    c->w.sms_to = u->phone;
    c->w.sms_text = c->sms_text;
    c->w.sms_kind = "assignment";
  }
  if ((c->st.asg = asg_copy(&a)) == NULL)
    return oom(r);
  c->w.asg = c->st.asg;
  c->w.asg_expected = 0;
  u->status = U(ASSIGNED);
  if (set_str(&u->assignment_id, c->asg_id) != 0 || set_str(&u->incident_id, c->inc_id) != 0 ||
      times_of(inc) == NULL || inc_put(inc, c->st.asg) != 0)
    return oom(r);
  first(&inc->times->assigned_at_ms, now);
  write_unit(c, now);
  write_inc(c, now);
  c->w.due = 1;
  c->w.due_ms = now + (int64_t)sg_dispatch__ack_ms(c->d, inc->priority);
  return 0;
}

static int plan_cancel(sg_dispatch__change *c, int64_t now, refusal *r) {
  Siaga__V1__Assignment *a = c->st.asg;
  if (!asg_active(a->state))
    return refuse(r, "not_active", "the assignment is over already");
  a->state = A(CANCELLED);
  if (set_str(&a->reason, c->reason) != 0)
    return oom(r);
  write_asg(c, now);
  Siaga__V1__Unit *u = c->st.unit;
  if (u != NULL && strcmp(u->assignment_id, a->id) == 0) {
    if (unit_release(u, U(AVAILABLE)) != 0)
      return oom(r);
    write_unit(c, now);
  }
  if (c->st.inc != NULL) {
    if (inc_put(c->st.inc, a) != 0)
      return oom(r);
    write_inc(c, now);
  }
  c->w.due = -1;
  /* A crew that heard of it by SMS hears of the cancel the same way. */
  if (u != NULL && u->phone[0] != '\0' &&
      (a->sms_sent_at_ms != 0 || strcmp(a->answered_via, "sms") == 0)) {
    snprintf(c->sms_text, sizeof(c->sms_text), "SIAGA: tugas %s dibatalkan oleh 112.",
             a->incident_id);
    c->w.sms_to = u->phone;
    c->w.sms_text = c->sms_text;
    c->w.sms_kind = "unit";
  }
  return 0;
}

/* The crew's assignment, as its command names it. */
static int crew_assignment(sg_dispatch__change *c, refusal *r) {
  Siaga__V1__Assignment *a = c->st.asg;
  if (a == NULL || c->st.inc == NULL)
    return refuse(r, "no_assignment", "the unit has no assignment now");
  if (c->named_asg[0] != '\0' && strcmp(c->named_asg, a->id) != 0)
    return refuse(r, "not_your_assignment", "that is not the unit's current assignment");
  if (c->named_ref[0] != '\0' && strcmp(c->named_ref, a->id) != 0 &&
      strcmp(c->named_ref, a->incident_id) != 0)
    return refuse(r, "not_your_assignment", "that is not the unit's current assignment");
  return 0;
}

static int plan_answer(sg_dispatch__change *c, int64_t now, refusal *r) {
  if (crew_assignment(c, r) != 0)
    return -1;
  Siaga__V1__Assignment *a = c->st.asg;
  Siaga__V1__Incident *inc = c->st.inc;
  int accept = c->action != SG_DISPATCH__DECLINE;
  if (a->state == A(ACCEPTED))
    return refuse(r, "already_accepted", "the unit accepted this assignment already");
  if (!asg_unanswered(a->state))
    return refuse(r, "not_active", "the assignment is over already");
  a->state = accept ? A(ACCEPTED) : A(DECLINED);
  c->answered = 1;
  if (set_str(&a->answered_via, c->via) != 0 ||
      (!accept && set_str(&a->reason, c->reason[0] ? c->reason : "ditolak") != 0))
    return oom(r);
  write_asg(c, now);
  Siaga__V1__Unit *u = c->st.unit;
  if (accept)
    u->status = U(EN_ROUTE);
  else if (unit_release(u, U(AVAILABLE)) != 0)
    return oom(r);
  write_unit(c, now);
  if (times_of(inc) == NULL || inc_put(inc, a) != 0)
    return oom(r);
  if (accept) {
    first(&inc->times->accepted_at_ms, now);
    first(&inc->times->en_route_at_ms, now);
    /* The incident follows its first accepting unit; the citizens who
     * reported it by SMS hear that help is on the way, as transition.lua
     * tells them when a dispatcher sets DISPATCHED. */
    if (inc->status == I(OPEN) || inc->status == I(ACKNOWLEDGED)) {
      inc->status = I(DISPATCHED);
      if (sg_sms_replies_text(c->dispatched_text, sizeof(c->dispatched_text),
                              SG_SMS_REPLIES_DISPATCHED, inc->id) > 0)
        c->w.dispatched_text = c->dispatched_text;
    }
  }
  write_inc(c, now);
  c->w.due = -1;
  confirm(c,
          accept ? "SIAGA: tugas %s diterima (%s). Hati-hati di jalan."
                 : "SIAGA: tugas %s ditolak (%s).",
          inc->id, a->id);
  return 0;
}

static int plan_seen(sg_dispatch__change *c, int64_t now, int *skip, refusal *r) {
  if (crew_assignment(c, r) != 0)
    return -1;
  Siaga__V1__Assignment *a = c->st.asg;
  Siaga__V1__AssignmentState to = c->opened ? A(SEEN) : A(DELIVERED);
  /* Only forward, and never past an answer: a late receipt changes nothing. */
  if (!asg_unanswered(a->state) || a->state >= to) {
    *skip = 1;
    return 0;
  }
  a->state = to;
  write_asg(c, now);
  if (inc_put(c->st.inc, a) != 0)
    return oom(r);
  write_inc(c, now);
  return 0;
}

static int plan_status(sg_dispatch__change *c, int64_t now, refusal *r) {
  Siaga__V1__Unit *u = c->st.unit;
  Siaga__V1__UnitStatus from = u->status, to = c->status;
  if (from == to)
    return refuse(r, "no_change", "the unit has that status already");
  if (!sg_unitstatus_allowed(from, to, SG_UNITSTATUS_CREW))
    return refuse(r, "status_not_allowed", "a crew cannot move its unit between those statuses");
  Siaga__V1__Assignment *a = c->st.asg;
  Siaga__V1__Incident *inc = c->st.inc;
  u->status = to;
  c->w.kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CHANGED;
  if (a != NULL && inc != NULL && a->state == A(ACCEPTED)) {
    if (times_of(inc) == NULL)
      return oom(r);
    if (to == U(ON_SCENE))
      first(&inc->times->on_scene_at_ms, now);
    if (sg_unitstatus_clears(from, to)) {
      /* Done with the incident: the assignment is CLEARED, and when no
       * other unit is still on it, cleared_at tells the console it may
       * offer to resolve it. */
      a->state = A(CLEARED);
      write_asg(c, now);
      if (unit_release(u, to) != 0 || inc_put(inc, a) != 0)
        return oom(r);
      if (!inc_any_active(inc))
        inc->times->cleared_at_ms = now;
      c->w.kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_ASSIGNMENT_CHANGED;
    }
    write_inc(c, now);
  }
  write_unit(c, now);
  const char *ref = inc != NULL ? inc->id : "";
  confirm(c,
          to == U(ON_SCENE)    ? "SIAGA: %s TIBA di lokasi %s."
          : to == U(RETURNING) ? "SIAGA: %s SELESAI %s, kembali ke pos."
                               : "SIAGA: status %s diubah %s.",
          u->id, to == U(ON_SCENE) || to == U(RETURNING) ? ref : sg_unitstatus_name(to));
  return 0;
}

static int plan_position(sg_dispatch__change *c, int64_t now, int *skip, refusal *r) {
  Siaga__V1__Unit *u = c->st.unit;
  int64_t at = c->at_ms <= 0 || c->at_ms > now + 60000 ? now : c->at_ms;
  if (at < u->position_at_ms) {
    *skip = 1; /* an older fix arriving late: the newer one stands */
    return 0;
  }
  if (u->position == NULL) {
    if ((u->position = malloc(sizeof(*u->position))) == NULL)
      return oom(r);
    siaga__v1__location__init(u->position);
  }
  u->position->lat = c->lat;
  u->position->lon = c->lon;
  u->position->accuracy_m = c->accuracy_m;
  u->position->source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_DEVICE;
  u->position_at_ms = at;
  /* Positions do not bump the version (they would make every status
   * change race the phone's reports); the script still checks it. */
  c->w.unit = u;
  c->w.unit_expected = c->st.unit_version;
  c->w.position = 1;
  c->w.kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CHANGED;
  c->w.inc_id = ""; /* no incident audit entry for a position */
  return 0;
}

static int plan_note(sg_dispatch__change *c, int64_t now, refusal *r) {
  if (c->st.inc == NULL || strcmp(c->named_ref, c->st.inc->id) != 0)
    return refuse(r, "not_your_incident", "a crew writes notes on its own assignment's incident");
  Siaga__V1__Incident *inc = c->st.inc;
  Siaga__V1__Note *n = malloc(sizeof(*n));
  Siaga__V1__Note **list = realloc(inc->notes, (inc->n_notes + 1) * sizeof(*list));
  if (list != NULL)
    inc->notes = list;
  if (n == NULL || list == NULL) {
    free(n);
    return oom(r);
  }
  siaga__v1__note__init(n);
  n->author = strdup(c->unit_id);
  n->text = c->note;
  c->note = NULL; /* the incident owns it now */
  n->at_ms = now;
  list[inc->n_notes++] = n;
  if (n->author == NULL)
    return oom(r);
  write_inc(c, now);
  c->w.kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_NOTE_ADDED;
  return 0;
}

static int plan_ladder(sg_dispatch__change *c, int64_t now, int *skip, refusal *r) {
  Siaga__V1__Assignment *a = c->st.asg;
  Siaga__V1__Unit *u = c->st.unit;
  Siaga__V1__Incident *inc = c->st.inc;
  if (!asg_unanswered(a->state) || u == NULL || inc == NULL) {
    *skip = 1; /* answered or gone: ladder.c takes it off the ladder */
    return 0;
  }
  int64_t ack = (int64_t)sg_dispatch__ack_ms(c->d, inc->priority);
  int64_t since = a->sms_sent_at_ms ? a->sms_sent_at_ms : a->offered_at_ms;
  if (now < since + ack) {
    *skip = 1; /* another siagad took this step first */
    return 0;
  }
  int closed = inc->status == I(RESOLVED) || inc->status == I(CLOSED);
  if (!closed && a->sms_sent_at_ms == 0) {
    /* The app was silent: the offer goes to the crew's phone, and the
     * assignment waits as long again before it times out. */
    if (sg_dispatch__offer_text(c->sms_text, sizeof(c->sms_text), inc) < 0)
      return refuse(r, "unavailable", "the offer does not fit an SMS");
    a->sms_sent_at_ms = now;
    c->w.sms_to = u->phone;
    c->w.sms_text = c->sms_text;
    c->w.sms_kind = "assignment";
    c->w.due = 1;
    c->w.due_ms = now + ack;
  } else {
    /* As long again without an answer; or the incident was resolved before
     * anyone answered, and nobody is texted to go: the unit is free. */
    a->state = closed ? A(CANCELLED) : A(TIMED_OUT);
    if (closed && set_str(&a->reason, "insiden sudah selesai") != 0)
      return oom(r);
    /* It had the offer by SMS: the end too (an offer sent at once to a unit
     * with no app may meet a resolved incident). */
    if (u->phone[0] != '\0' && (!closed || a->sms_sent_at_ms != 0)) {
      snprintf(c->sms_text, sizeof(c->sms_text),
               closed ? "SIAGA: tugas %s dibatalkan, insiden sudah selesai."
                      : "SIAGA: tugas %s tidak dijawab, dibatalkan.",
               inc->id);
      c->w.sms_to = u->phone;
      c->w.sms_text = c->sms_text;
      c->w.sms_kind = "unit";
    }
    if (strcmp(u->assignment_id, a->id) == 0) {
      if (unit_release(u, U(AVAILABLE)) != 0)
        return oom(r);
      write_unit(c, now);
    }
    c->w.due = -1;
  }
  write_asg(c, now);
  if (inc_put(inc, a) != 0)
    return oom(r);
  write_inc(c, now);
  return 0;
}

int sg_dispatch__plan(sg_dispatch__change *c, int *skip, const char **code, const char **message) {
  refusal r = {code, message};
  int64_t now = (int64_t)sg_clock_now_ms();
  memset(&c->w, 0, sizeof(c->w));
  c->w.unit_id = c->unit_id;
  c->w.asg_id = c->asg_id;
  c->w.inc_id = c->inc_id;
  c->w.actor = c->actor;
  c->w.now_ms = now;
  c->w.kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_ASSIGNMENT_CHANGED;
  *skip = 0;
  if (c->action != SG_DISPATCH__ASSIGN && c->action != SG_DISPATCH__CANCEL &&
      c->action != SG_DISPATCH__LADDER && c->st.unit == NULL)
    return refuse(&r, "not_found", "no unit with that id");
  /* A crew setting out on an assignment it has not answered accepts it. */
  if (c->action == SG_DISPATCH__STATUS && c->status == U(EN_ROUTE) &&
      c->st.unit->status == U(ASSIGNED))
    c->action = SG_DISPATCH__ACCEPT;
  switch (c->action) {
  case SG_DISPATCH__ASSIGN:
    return plan_assign(c, now, &r);
  case SG_DISPATCH__CANCEL:
    return plan_cancel(c, now, &r);
  case SG_DISPATCH__ACCEPT:
  case SG_DISPATCH__DECLINE:
    return plan_answer(c, now, &r);
  case SG_DISPATCH__SEEN:
    return plan_seen(c, now, skip, &r);
  case SG_DISPATCH__STATUS:
    return plan_status(c, now, &r);
  case SG_DISPATCH__POSITION:
    return plan_position(c, now, skip, &r);
  case SG_DISPATCH__NOTE:
    return plan_note(c, now, &r);
  case SG_DISPATCH__LADDER:
    return plan_ladder(c, now, skip, &r);
  }
  return refuse(&r, "unsupported_command", "this server does not take that command");
}
