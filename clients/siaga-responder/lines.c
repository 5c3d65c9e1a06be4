#include "lines.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An enum value's name without its prefix ("EN_ROUTE"), or "?". */
static const char *enum_name(const ProtobufCEnumDescriptor *d, int value, const char *prefix) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  if (v == NULL)
    return "?";
  size_t n = strlen(prefix);
  return strncmp(v->name, prefix, n) == 0 ? v->name + n : v->name;
}

static void set(char *dst, const char *src) {
  snprintf(dst, SGR_ID_MAX, "%s", src != NULL ? src : "");
}

/* ---- lines typed ---- */

static const char *next_word(const char **p, char *word, size_t size) {
  while (**p == ' ' || **p == '\t')
    (*p)++;
  size_t n = strcspn(*p, " \t");
  if (n == 0)
    return NULL;
  snprintf(word, size, "%.*s", (int)(n < size ? n : size - 1), *p);
  *p += n;
  return word;
}

static const char *rest(const char *p) {
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

static int fail(char *err, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, size, fmt, ap);
  va_end(ap);
  return -1;
}

static int parse_double(const char *s, double *out) {
  char *end;
  if (s == NULL)
    return -1;
  *out = strtod(s, &end);
  return *end == '\0' && end != s ? 0 : -1;
}

int sgr_parse_line(const char *line, const sgr_state *st, unsigned seq, sgr_command *c, char *err,
                   size_t err_size) {
  memset(c, 0, sizeof(*c));
  siaga__v1__responder_client_message__init(&c->msg);
  siaga__v1__responder_command__init(&c->cmd);
  c->msg.msg_case = SIAGA__V1__RESPONDER_CLIENT_MESSAGE__MSG_COMMAND;
  c->msg.command = &c->cmd;
  snprintf(c->request_id, sizeof(c->request_id), "c%u", seq);
  c->cmd.request_id = c->request_id;

  const char *p = line;
  char verb[16], w1[64], w2[64], w3[64];
  if (next_word(&p, verb, sizeof(verb)) == NULL)
    return 0;
  const char *current = st->assignment_id[0] != '\0' ? st->assignment_id : NULL;

  if (strcmp(verb, "accept") == 0 || strcmp(verb, "seen") == 0) {
    const char *id = next_word(&p, w1, sizeof(w1)) != NULL ? w1 : current;
    if (id == NULL)
      return fail(err, err_size, "no assignment to %s", verb);
    snprintf(c->id, sizeof(c->id), "%s", id);
    if (verb[0] == 'a') {
      siaga__v1__accept__init(&c->u.accept);
      c->u.accept.assignment_id = c->id;
      c->cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_ACCEPT;
      c->cmd.accept = &c->u.accept;
    } else {
      siaga__v1__seen__init(&c->u.seen);
      c->u.seen.assignment_id = c->id;
      c->u.seen.opened = 1;
      c->cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_SEEN;
      c->cmd.seen = &c->u.seen;
    }
  } else if (strcmp(verb, "decline") == 0) {
    const char *reason = rest(p);
    if (current == NULL)
      return fail(err, err_size, "no assignment to decline");
    if (*reason == '\0')
      return fail(err, err_size, "usage: decline REASON");
    snprintf(c->id, sizeof(c->id), "%s", current);
    snprintf(c->text, sizeof(c->text), "%s", reason);
    siaga__v1__decline__init(&c->u.decline);
    c->u.decline.assignment_id = c->id;
    c->u.decline.reason = c->text;
    c->cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_DECLINE;
    c->cmd.decline = &c->u.decline;
  } else if (strcmp(verb, "status") == 0) {
    if (next_word(&p, w1, sizeof(w1)) == NULL)
      return fail(err, err_size,
                  "usage: status EN_ROUTE|ON_SCENE|TRANSPORTING|AT_HOSPITAL|RETURNING|AVAILABLE");
    char name[96];
    size_t k =
        strncmp(w1, "UNIT_STATUS_", 12) == 0 || strncmp(w1, "unit_status_", 12) == 0 ? 12 : 0;
    snprintf(name, sizeof(name), "UNIT_STATUS_%s", w1 + k);
    for (char *q = name; *q != '\0'; q++)
      *q = (char)toupper((unsigned char)*q);
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value_by_name(&siaga__v1__unit_status__descriptor, name);
    if (v == NULL || v->value == 0)
      return fail(err, err_size, "no unit status %s", w1);
    siaga__v1__set_unit_status__init(&c->u.status);
    c->u.status.status = (Siaga__V1__UnitStatus)v->value;
    c->cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_SET_UNIT_STATUS;
    c->cmd.set_unit_status = &c->u.status;
  } else if (strcmp(verb, "pos") == 0) {
    double lat, lon, acc = 0;
    if (parse_double(next_word(&p, w1, sizeof(w1)), &lat) != 0 ||
        parse_double(next_word(&p, w2, sizeof(w2)), &lon) != 0 ||
        (next_word(&p, w3, sizeof(w3)) != NULL && parse_double(w3, &acc) != 0))
      return fail(err, err_size, "usage: pos LAT LON [ACCURACY_M]");
    siaga__v1__position__init(&c->u.position);
    c->u.position.lat = lat;
    c->u.position.lon = lon;
    c->u.position.accuracy_m = acc;
    c->cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_POSITION;
    c->cmd.position = &c->u.position;
  } else if (strcmp(verb, "note") == 0) {
    const char *text = rest(p);
    if (st->incident_id[0] == '\0')
      return fail(err, err_size, "no assignment to note on");
    if (*text == '\0')
      return fail(err, err_size, "usage: note TEXT");
    snprintf(c->id, sizeof(c->id), "%s", st->incident_id);
    snprintf(c->text, sizeof(c->text), "%s", text);
    siaga__v1__add_note__init(&c->u.note);
    c->u.note.incident_id = c->id;
    c->u.note.text = c->text;
    c->cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_ADD_NOTE;
    c->cmd.add_note = &c->u.note;
  } else if (strcmp(verb, "ping") == 0) {
    siaga__v1__ping__init(&c->u.ping);
    c->cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_PING;
    c->cmd.ping = &c->u.ping;
  } else {
    return fail(err, err_size,
                "unknown command %s (accept, decline, seen, status, pos, note, ping)", verb);
  }
  return 1;
}

/* ---- messages received ---- */

typedef struct out {
  char *buf;
  size_t size, len;
} out;

static void put(out *o, const char *fmt, ...) {
  if (o->len + 1 >= o->size)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->len += (size_t)n < o->size - o->len ? (size_t)n : o->size - o->len - 1;
}

static const char *s_or(const char *s, const char *dflt) {
  return s != NULL && s[0] != '\0' ? s : dflt;
}

static void put_unit(out *o, const Siaga__V1__Unit *u) {
  if (u != NULL)
    put(o, " unit=%s status=%s", s_or(u->id, "?"),
        enum_name(&siaga__v1__unit_status__descriptor, u->status, "UNIT_STATUS_"));
}

static void put_assignment(out *o, const Siaga__V1__Assignment *a) {
  if (a != NULL)
    put(o, " assignment=%s state=%s", s_or(a->id, "?"),
        enum_name(&siaga__v1__assignment_state__descriptor, a->state, "ASSIGNMENT_STATE_"));
}

static void put_incident(out *o, const Siaga__V1__CrewIncident *i) {
  if (i == NULL)
    return;
  put(o, " incident=%s %s %s", s_or(i->id, "?"),
      enum_name(&siaga__v1__priority__descriptor, i->priority, "PRIORITY_"),
      s_or(i->category, "?"));
  if (i->location != NULL) {
    put(o, " at=%.5f,%.5f", i->location->lat, i->location->lon);
    if (i->location->address != NULL && i->location->address[0] != '\0')
      put(o, " place=\"%s\"", i->location->address);
  }
  if (i->summary != NULL && i->summary[0] != '\0')
    put(o, " summary=\"%s\"", i->summary);
  for (size_t k = 0; k < i->n_texts && k < 3; k++)
    put(o, " text=\"%s\"", i->texts[k]);
  for (size_t k = 0; k < i->n_phones; k++)
    put(o, " phone=%s", i->phones[k]);
  if (i->n_notes > 0)
    put(o, " notes=%zu", i->n_notes);
}

/* The unit's current assignment follows what the server says. */
static void track(sgr_state *st, const Siaga__V1__Unit *u, const Siaga__V1__Assignment *a) {
  if (u != NULL) {
    set(st->assignment_id, u->assignment_id);
    set(st->incident_id, u->incident_id);
  }
  if (a != NULL && (a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_OFFERED ||
                    a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_DELIVERED ||
                    a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_SEEN ||
                    a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_ACCEPTED)) {
    set(st->assignment_id, a->id);
    set(st->incident_id, a->incident_id);
  } else if (a != NULL && strcmp(st->assignment_id, s_or(a->id, "")) == 0) {
    st->assignment_id[0] = '\0';
    st->incident_id[0] = '\0';
  }
}

size_t sgr_format(const Siaga__V1__ResponderServerMessage *m, sgr_state *st, char *buf,
                  size_t size) {
  out o = {buf, size, 0};
  buf[0] = '\0';
  switch (m->msg_case) {
  case SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_HELLO: {
    const Siaga__V1__ResponderHello *h = m->hello;
    put(&o, "hello");
    put_unit(&o, h->unit);
    put_assignment(&o, h->assignment);
    put_incident(&o, h->incident);
    st->assignment_id[0] = st->incident_id[0] = '\0';
    track(st, h->unit, h->assignment);
    if (h->last_update_id != NULL && h->last_update_id[0] != '\0')
      set(st->last_update_id, h->last_update_id);
    break;
  }
  case SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ASSIGNMENT: {
    const Siaga__V1__AssignmentOffer *a = m->assignment;
    put(&o, "assignment %s", s_or(a->update_id, "-"));
    put_assignment(&o, a->assignment);
    put_incident(&o, a->incident);
    track(st, NULL, a->assignment);
    set(st->last_update_id, a->update_id);
    break;
  }
  case SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ASSIGNMENT_CANCELLED: {
    const Siaga__V1__AssignmentCancelled *a = m->assignment_cancelled;
    put(&o, "cancelled %s", s_or(a->update_id, "-"));
    put_assignment(&o, a->assignment);
    if (a->assignment != NULL && a->assignment->reason != NULL && a->assignment->reason[0] != '\0')
      put(&o, " reason=\"%s\"", a->assignment->reason);
    track(st, NULL, a->assignment);
    set(st->last_update_id, a->update_id);
    break;
  }
  case SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_UPDATE: {
    const Siaga__V1__ResponderUpdate *u = m->update;
    put(&o, "update %s %s", s_or(u->update_id, "-"),
        enum_name(&siaga__v1__update_kind__descriptor, u->kind, "UPDATE_KIND_"));
    put_unit(&o, u->unit);
    put_assignment(&o, u->assignment);
    put_incident(&o, u->incident);
    track(st, u->unit, u->assignment);
    set(st->last_update_id, u->update_id);
    break;
  }
  case SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_REPLY: {
    const Siaga__V1__CommandReply *r = m->reply;
    put(&o, "reply %s %s", s_or(r->request_id, "-"), r->ok ? "ok" : "error");
    if (!r->ok)
      put(&o, " %s: %s", s_or(r->error != NULL ? r->error->code : r->error_code, "?"),
          s_or(r->error != NULL ? r->error->message : r->message, ""));
    put_unit(&o, r->unit);
    break;
  }
  case SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ERROR:
    put(&o, "error %s: %s", s_or(m->error->code, "?"), s_or(m->error->message, ""));
    break;
  default:
    put(&o, "unknown message");
  }
  for (size_t i = 0; i < o.len; i++) /* one line, whatever the texts hold */
    if (buf[i] == '\n' || buf[i] == '\r')
      buf[i] = ' ';
  return o.len;
}

const char *sgr_delivered(const Siaga__V1__ResponderServerMessage *m) {
  if (m->msg_case != SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ASSIGNMENT ||
      m->assignment->assignment == NULL ||
      m->assignment->assignment->state != SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_OFFERED)
    return NULL;
  return m->assignment->assignment->id;
}
