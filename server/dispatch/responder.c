/* A crew's commands from its app: for its own unit only (the unit is the
 * signed-in identity, never an id the client sends). The reply carries the
 * unit and the assignment, never the full incident (the crew's view of it
 * comes as a CrewIncident on its own channel). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "core/utf8.h"
#include "dispatch/dispatch_internal.h"

typedef struct crew_job {
  sg_dispatch_done_cb done;
  void *data;
  char request_id[SG_COMMANDS_REQUEST_ID_MAX + 1];
} crew_job;

static void on_change(void *data, const sg_dispatch__outcome *o) {
  crew_job *j = data;
  if (!o->ok) {
    sg_dispatch__refuse(j->done, j->data, j->request_id, o->code, o->message);
  } else {
    Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
    r.request_id = j->request_id;
    r.ok = 1;
    r.unit = (Siaga__V1__Unit *)o->unit;
    r.assignment = (Siaga__V1__Assignment *)o->asg;
    j->done(j->data, &r);
  }
  free(j);
}

static int position_valid(const Siaga__V1__Position *p) {
  return isfinite(p->lat) && isfinite(p->lon) && isfinite(p->accuracy_m) && p->lat >= -85 &&
         p->lat <= 85 && p->lon >= -180 && p->lon <= 180 && !(p->lat == 0 && p->lon == 0) &&
         p->accuracy_m >= 0 && p->accuracy_m <= 100000;
}

void sg_dispatch_responder_command(sg_dispatch *d, const Siaga__V1__ResponderCommand *cmd,
                                   const sg_identity *who, sg_dispatch_done_cb done, void *data) {
  const char *rid = cmd->request_id;
  if (who->role != SG_ROLE_RESPONDER || !sg_dispatch_unit_id_valid(who->name)) {
    sg_dispatch__refuse(done, data, rid, "forbidden", "only a unit's crew commands its unit");
    return;
  }
  if (cmd->action_case == SIAGA__V1__RESPONDER_COMMAND__ACTION_PING) {
    Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
    r.request_id = (char *)rid;
    r.ok = 1;
    done(data, &r);
    return;
  }
  sg_dispatch__action action;
  const char *named = "", *ref = "", *reason = "", *note = NULL;
  switch (cmd->action_case) {
  case SIAGA__V1__RESPONDER_COMMAND__ACTION_ACCEPT:
    action = SG_DISPATCH__ACCEPT;
    named = cmd->accept->assignment_id;
    break;
  case SIAGA__V1__RESPONDER_COMMAND__ACTION_DECLINE:
    action = SG_DISPATCH__DECLINE;
    named = cmd->decline->assignment_id;
    reason = cmd->decline->reason;
    if (strlen(reason) == 0 || strlen(reason) > SG_DISPATCH_REASON_MAX ||
        !sg_utf8_valid(reason, strlen(reason))) {
      sg_dispatch__refuse(done, data, rid, "bad_command", "reason: 1 to 200 bytes of UTF-8");
      return;
    }
    break;
  case SIAGA__V1__RESPONDER_COMMAND__ACTION_SEEN:
    action = SG_DISPATCH__SEEN;
    named = cmd->seen->assignment_id;
    break;
  case SIAGA__V1__RESPONDER_COMMAND__ACTION_SET_UNIT_STATUS:
    action = SG_DISPATCH__STATUS;
    if ((int)cmd->set_unit_status->status < 1 || (int)cmd->set_unit_status->status > 9) {
      sg_dispatch__refuse(done, data, rid, "bad_command", "status: one of the unit statuses");
      return;
    }
    break;
  case SIAGA__V1__RESPONDER_COMMAND__ACTION_POSITION:
    action = SG_DISPATCH__POSITION;
    if (!position_valid(cmd->position)) {
      sg_dispatch__refuse(done, data, rid, "bad_position",
                          "lat -85..85, lon -180..180 (not both 0), accuracyM 0..100000");
      return;
    }
    break;
  case SIAGA__V1__RESPONDER_COMMAND__ACTION_ADD_NOTE:
    action = SG_DISPATCH__NOTE;
    ref = cmd->add_note->incident_id;
    note = cmd->add_note->text;
    if (strlen(note) == 0 || strlen(note) > SG_DISPATCH_NOTE_MAX ||
        !sg_utf8_valid(note, strlen(note))) {
      sg_dispatch__refuse(done, data, rid, "bad_command", "text: 1 to 1000 bytes of UTF-8");
      return;
    }
    break;
  default:
    sg_dispatch__refuse(done, data, rid, "unsupported_command",
                        "this server does not take that command");
    return;
  }
  if ((named[0] != '\0' && !sg_key_id_valid(named)) || (ref[0] != '\0' && !sg_key_id_valid(ref)) ||
      (action != SG_DISPATCH__STATUS && action != SG_DISPATCH__POSITION &&
       action != SG_DISPATCH__NOTE && named[0] == '\0')) {
    sg_dispatch__refuse(done, data, rid, "not_your_assignment",
                        "name the unit's current assignment");
    return;
  }
  char *note_copy = note != NULL ? strdup(note) : NULL;
  crew_job *j = calloc(1, sizeof(*j));
  sg_dispatch__change *c = j != NULL && (note == NULL || note_copy != NULL)
                               ? sg_dispatch__change_new(d, action, who->name, on_change, j)
                               : NULL;
  if (c == NULL) {
    free(j);
    free(note_copy);
    sg_dispatch__refuse(done, data, rid, "unavailable", "out of memory");
    return;
  }
  c->note = note_copy;
  j->done = done;
  j->data = data;
  snprintf(j->request_id, sizeof(j->request_id), "%s", rid);
  memcpy(c->unit_id, who->name, strlen(who->name) + 1); /* checked: at most 16 */
  snprintf(c->named_asg, sizeof(c->named_asg), "%s", named);
  snprintf(c->named_ref, sizeof(c->named_ref), "%s", ref);
  snprintf(c->reason, sizeof(c->reason), "%s", reason);
  if (action == SG_DISPATCH__STATUS)
    c->status = cmd->set_unit_status->status;
  if (action == SG_DISPATCH__SEEN)
    c->opened = cmd->seen->opened;
  if (action == SG_DISPATCH__POSITION) {
    c->lat = cmd->position->lat;
    c->lon = cmd->position->lon;
    c->accuracy_m = cmd->position->accuracy_m;
    c->at_ms = cmd->position->at_ms;
  }
  sg_dispatch__change_run(c);
}
