/* Command log lines (cmdlog.h), read generically off the protobuf-c
 * descriptors so a new command is logged without a change here. */
#include "ws/cmdlog.h"

#include <stdlib.h>
#include <string.h>

typedef struct step {
  sg_commands_done_cb done;
  void *data;
  sg_log_level level;
  char actor[SG_AUTH_NAME_MAX + 1];
  sg_role role;
  char command[48];                  /* lowerCamel, as the JSON mapping names it */
  char incident[80], assignment[80]; /* what it acts on, "" when it names none */
  char request[SG_COMMANDS_REQUEST_ID_MAX + 1];
} step;

/* The string field name of m, or NULL. */
static const char *string_field(const ProtobufCMessage *m, const char *name) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
  if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
    return NULL;
  return *(const char *const *)((const char *)m + f->offset);
}

/* Fills the command's name and the id it acts on from its oneof. */
static void describe(step *st, const ProtobufCMessage *c) {
  const ProtobufCMessageDescriptor *d = c->descriptor;
  snprintf(st->command, sizeof(st->command), "none");
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
        *(const uint32_t *)((const char *)c + f->quantifier_offset) != f->id)
      continue;
    size_t o = 0;
    for (const char *p = f->name; *p != '\0' && o + 1 < sizeof(st->command); p++)
      if (*p != '_')
        st->command[o++] = p > f->name && p[-1] == '_' && *p >= 'a' && *p <= 'z' ? *p - 32 : *p;
    st->command[o] = '\0';
    const ProtobufCMessage *m = NULL;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
      m = *(const ProtobufCMessage *const *)((const char *)c + f->offset);
    const char *incident = m != NULL ? string_field(m, "incident_id") : NULL;
    const char *assignment = m != NULL ? string_field(m, "assignment_id") : NULL;
    snprintf(st->incident, sizeof(st->incident), "%s", incident != NULL ? incident : "");
    snprintf(st->assignment, sizeof(st->assignment), "%s", assignment != NULL ? assignment : "");
    break;
  }
  const char *request = string_field(c, "request_id");
  snprintf(st->request, sizeof(st->request), "%s", request != NULL ? request : "");
}

/* Empty fields are left out of the line (log.h). */
static const char *or_null(const char *s) {
  return s != NULL && s[0] != '\0' ? s : NULL;
}

static void write_line(const step *st, const char *result, const char *code) {
  sg_log(st->level, "command",
         "actor=%s role=%s command=%s incident=%s assignment=%s request=%s result=%s code=%s",
         st->actor, sg_role_name(st->role), st->command, or_null(st->incident),
         or_null(st->assignment), or_null(st->request), result, or_null(code));
}

static void on_answered(void *data, const Siaga__V1__CommandReply *r) {
  step *st = data;
  const char *code = r->error != NULL && r->error->code != NULL ? r->error->code : r->error_code;
  write_line(st, r->ok ? "ok" : "error", r->ok || code == NULL ? "" : code);
  st->done(st->data, r);
  free(st);
}

void sg_cmdlog_refused(const sg_identity *who, const char *code) {
  sg_log(SG_LOG_INFO, "command", "actor=%s role=%s result=error code=%s", who->name,
         sg_role_name(who->role), code);
}

void sg_cmdlog_start(sg_log_level level, const ProtobufCMessage *command, const sg_identity *who,
                     sg_commands_done_cb *done, void **data) {
  if (!sg_log_enabled(level))
    return;
  step *st = calloc(1, sizeof(*st));
  step local;
  step *use = st != NULL ? st : &local;
  memset(use, 0, sizeof(*use));
  use->level = level;
  snprintf(use->actor, sizeof(use->actor), "%s", who->name);
  use->role = who->role;
  describe(use, command);
  if (st == NULL) {
    write_line(use, "unknown", "out_of_memory");
    return;
  }
  st->done = *done;
  st->data = *data;
  *done = on_answered;
  *data = st;
}
