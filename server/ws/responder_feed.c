/* Which updates of the stream concern a unit, and what its crew is sent
 * about each. Pure: decoded updates in, encoded messages out. Whether an
 * update concerns a unit is read from the update alone (its unit, and the
 * assignments its incident lists), never from what a connection remembers,
 * so a replay after a dropped connection is filtered exactly as the live
 * stream was. */
#include <string.h>

#include "dispatch/dispatch.h"
#include "ws/responder_internal.h"

static int assignment_open(const Siaga__V1__Assignment *a) {
  switch (a->state) {
  case SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_OFFERED:
  case SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_DELIVERED:
  case SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_SEEN:
  case SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_ACCEPTED:
    return 1;
  default:
    return 0;
  }
}

static int is_unit(const Siaga__V1__Unit *unit, const char *unit_id) {
  return unit != NULL && unit->id != NULL && strcmp(unit->id, unit_id) == 0;
}

/* The update is about the unit itself: its record, or its assignment (an
 * assignment's change may come without the unit, when only the assignment
 * moved: DELIVERED, SEEN). */
static int about_unit(const Siaga__V1__IncidentUpdate *u, const char *unit_id) {
  return is_unit(u->unit, unit_id) || (u->assignment != NULL && u->assignment->unit_id != NULL &&
                                       strcmp(u->assignment->unit_id, unit_id) == 0);
}

/* The unit's latest open assignment the incident lists, or NULL. */
static const Siaga__V1__Assignment *open_assignment_of(const Siaga__V1__Incident *inc,
                                                       const char *unit_id) {
  for (size_t i = inc->n_assignments; i > 0; i--) {
    const Siaga__V1__Assignment *a = inc->assignments[i - 1];
    if (a->unit_id != NULL && strcmp(a->unit_id, unit_id) == 0 && assignment_open(a))
      return a;
  }
  return NULL;
}

size_t sg_responder__units_of(const Siaga__V1__IncidentUpdate *u,
                              const char *ids[SG_RESPONDER__UNITS_MAX]) {
  size_t n = 0;
  /* Whether the app is connected is the consoles' business: the crew's
   * app knows. */
  if (u->kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CONNECTED)
    return 0;
  if (u->unit != NULL && u->unit->id != NULL && u->unit->id[0] != '\0')
    ids[n++] = u->unit->id;
  if (u->assignment != NULL && u->assignment->unit_id != NULL &&
      u->assignment->unit_id[0] != '\0' && (n == 0 || strcmp(ids[0], u->assignment->unit_id) != 0))
    ids[n++] = u->assignment->unit_id;
  /* Another unit's own change (its status, its position) is not the
   * business of the crews it shares an incident with. */
  if (u->incident == NULL || u->kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CHANGED)
    return n;
  for (size_t i = 0; i < u->incident->n_assignments && n < SG_RESPONDER__UNITS_MAX; i++) {
    const Siaga__V1__Assignment *a = u->incident->assignments[i];
    if (a->unit_id == NULL || a->unit_id[0] == '\0' || !assignment_open(a))
      continue;
    int seen = 0;
    for (size_t j = 0; j < n && !seen; j++)
      seen = strcmp(ids[j], a->unit_id) == 0;
    if (!seen)
      ids[n++] = a->unit_id;
  }
  return n;
}

int sg_responder__disables(const Siaga__V1__IncidentUpdate *u, const char *unit_id) {
  return is_unit(u->unit, unit_id) && u->unit->disabled;
}

static int encode(const Siaga__V1__ResponderServerMessage *sm, sg_ring_id id, int formats,
                  sg_msg **out) {
  *out = sg_msg_create_message(&sm->base, formats, id);
  return *out != NULL ? 0 : -1;
}

int sg_responder__message_for(const Siaga__V1__IncidentUpdate *u, sg_ring_id id,
                              const char *unit_id, int formats, sg_msg **out) {
  *out = NULL;
  if (u->kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CONNECTED)
    return 0; /* as sg_responder__units_of */
  Siaga__V1__ResponderServerMessage sm = SIAGA__V1__RESPONDER_SERVER_MESSAGE__INIT;
  Siaga__V1__CrewIncident crew = SIAGA__V1__CREW_INCIDENT__INIT;
  Siaga__V1__AssignmentOffer offer = SIAGA__V1__ASSIGNMENT_OFFER__INIT;
  Siaga__V1__AssignmentCancelled cancelled = SIAGA__V1__ASSIGNMENT_CANCELLED__INIT;
  Siaga__V1__ResponderUpdate ru = SIAGA__V1__RESPONDER_UPDATE__INIT;

  if (!about_unit(u, unit_id)) {
    /* A change of an incident the unit is assigned to. */
    const Siaga__V1__Assignment *mine =
        u->incident != NULL && u->kind != SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CHANGED
            ? open_assignment_of(u->incident, unit_id)
            : NULL;
    if (mine == NULL)
      return 0;
    sg_dispatch_crew_incident(u->incident, mine, &crew);
    ru.update_id = u->id;
    ru.kind = u->kind;
    ru.incident = &crew;
    sm.msg_case = SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_UPDATE;
    sm.update = &ru;
    return encode(&sm, id, formats, out);
  }

  /* The unit's own change. Its assignment, when the change is about one. */
  const Siaga__V1__Assignment *a = u->assignment != NULL && u->assignment->unit_id != NULL &&
                                           strcmp(u->assignment->unit_id, unit_id) == 0
                                       ? u->assignment
                                       : NULL;
  if (a == NULL && u->incident != NULL)
    a = open_assignment_of(u->incident, unit_id);
  int has_crew = a != NULL && u->incident != NULL && a->incident_id != NULL &&
                 u->incident->id != NULL && strcmp(a->incident_id, u->incident->id) == 0;
  if (has_crew)
    sg_dispatch_crew_incident(u->incident, a, &crew);
  /* The crew's own phone number is the consoles' business (siaga.proto). */
  Siaga__V1__Unit unit = SIAGA__V1__UNIT__INIT;
  if (u->unit != NULL && is_unit(u->unit, unit_id)) {
    unit = *u->unit;
    unit.phone = "";
  }

  if (u->kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_ASSIGNMENT_CHANGED && a != NULL &&
      a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_OFFERED) {
    offer.update_id = u->id;
    offer.assignment = (Siaga__V1__Assignment *)a;
    offer.incident = has_crew ? &crew : NULL;
    sm.msg_case = SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ASSIGNMENT;
    sm.assignment = &offer;
  } else if (u->kind == SIAGA__V1__UPDATE_KIND__UPDATE_KIND_ASSIGNMENT_CHANGED && a != NULL &&
             (a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_CANCELLED ||
              a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_TIMED_OUT)) {
    cancelled.update_id = u->id;
    cancelled.assignment = (Siaga__V1__Assignment *)a;
    sm.msg_case = SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ASSIGNMENT_CANCELLED;
    sm.assignment_cancelled = &cancelled;
  } else {
    ru.update_id = u->id;
    ru.kind = u->kind;
    ru.unit = is_unit(u->unit, unit_id) ? &unit : NULL;
    ru.assignment = (Siaga__V1__Assignment *)a;
    ru.incident = has_crew ? &crew : NULL;
    sm.msg_case = SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_UPDATE;
    sm.update = &ru;
  }
  return encode(&sm, id, formats, out);
}
