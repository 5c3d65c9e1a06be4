/* The console's dispatch commands: Assign, CancelAssignment (changes, see
 * change.c) and Recommend (recommend.c), by dispatchers and up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "core/utf8.h"
#include "dispatch/dispatch_internal.h"

typedef struct console_job {
  sg_dispatch_done_cb done;
  void *data;
  char request_id[SG_COMMANDS_REQUEST_ID_MAX + 1];
} console_job;

static void on_change(void *data, const sg_dispatch__outcome *o) {
  console_job *j = data;
  if (!o->ok) {
    sg_dispatch__refuse(j->done, j->data, j->request_id, o->code, o->message);
  } else {
    Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
    r.request_id = j->request_id;
    r.ok = 1;
    r.assignment = (Siaga__V1__Assignment *)o->asg;
    r.incident = (Siaga__V1__Incident *)o->inc;
    r.unit = (Siaga__V1__Unit *)o->unit;
    j->done(j->data, &r);
  }
  free(j);
}

void sg_dispatch_console_command(sg_dispatch *d, const Siaga__V1__Command *cmd,
                                 const sg_identity *who, sg_dispatch_done_cb done, void *data) {
  const char *rid = cmd->request_id;
  if (who->role < SG_ROLE_DISPATCHER) {
    sg_dispatch__refuse(done, data, rid, "forbidden", "this account may not dispatch units");
    return;
  }
  if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_RECOMMEND) {
    sg_dispatch__recommend(d, cmd, done, data);
    return;
  }
  sg_dispatch__action action;
  const char *unit_id = "", *inc_id = "", *asg_id = "", *reason = "";
  int share = 0;
  if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_ASSIGN) {
    action = SG_DISPATCH__ASSIGN;
    unit_id = cmd->assign->unit_id;
    inc_id = cmd->assign->incident_id;
    share = cmd->assign->share_caller;
    if (!sg_dispatch_unit_id_valid(unit_id)) {
      sg_dispatch__refuse(done, data, rid, "not_found", "no unit with that id");
      return;
    }
    if (!sg_key_id_valid(inc_id)) {
      sg_dispatch__refuse(done, data, rid, "not_found", "no incident with that id");
      return;
    }
  } else if (cmd->action_case == SIAGA__V1__COMMAND__ACTION_CANCEL_ASSIGNMENT) {
    action = SG_DISPATCH__CANCEL;
    asg_id = cmd->cancel_assignment->assignment_id;
    reason = cmd->cancel_assignment->reason;
    size_t n = strlen(reason);
    if (n > SG_DISPATCH_REASON_MAX || !sg_utf8_valid(reason, n)) {
      sg_dispatch__refuse(done, data, rid, "bad_command", "reason: at most 200 bytes of UTF-8");
      return;
    }
    if (!sg_key_id_valid(asg_id)) {
      sg_dispatch__refuse(done, data, rid, "not_found", "no assignment with that id");
      return;
    }
  } else {
    sg_dispatch__refuse(done, data, rid, "unsupported_command",
                        "this server does not take that command");
    return;
  }
  console_job *j = calloc(1, sizeof(*j));
  sg_dispatch__change *c =
      j != NULL ? sg_dispatch__change_new(d, action, who->name, on_change, j) : NULL;
  if (c == NULL) {
    free(j);
    sg_dispatch__refuse(done, data, rid, "unavailable", "out of memory");
    return;
  }
  j->done = done;
  j->data = data;
  snprintf(j->request_id, sizeof(j->request_id), "%s", rid);
  snprintf(c->unit_id, sizeof(c->unit_id), "%s", unit_id);
  snprintf(c->inc_id, sizeof(c->inc_id), "%s", inc_id);
  snprintf(c->asg_id, sizeof(c->asg_id), "%s", asg_id);
  snprintf(c->reason, sizeof(c->reason), "%s", reason[0] ? reason : "dibatalkan");
  c->share_caller = share;
  sg_dispatch__change_run(c);
}
