/* ws/responder_feed: which updates concern a unit and what its crew is sent
 * about each, from hand-made IncidentUpdates. */
#include <string.h>

#include "check.h"
#include "ws/responder_internal.h"

typedef struct fixture {
  Siaga__V1__IncidentUpdate u;
  Siaga__V1__Incident inc;
  Siaga__V1__Unit unit;
  Siaga__V1__Assignment mine, other, old;
  Siaga__V1__Assignment *list[3];
} fixture;

/* PLK-000001 with AMB-01 accepted, DMK-02 offered, and POL-03 cleared. */
static void setup(fixture *f, Siaga__V1__UpdateKind kind) {
  memset(f, 0, sizeof(*f));
  siaga__v1__incident_update__init(&f->u);
  siaga__v1__incident__init(&f->inc);
  siaga__v1__unit__init(&f->unit);
  Siaga__V1__Assignment *as[3] = {&f->mine, &f->other, &f->old};
  const char *ids[3] = {"A-000001", "A-000002", "A-000003"};
  const char *units[3] = {"AMB-01", "DMK-02", "POL-03"};
  Siaga__V1__AssignmentState states[3] = {SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_ACCEPTED,
                                          SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_OFFERED,
                                          SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_CLEARED};
  for (int i = 0; i < 3; i++) {
    siaga__v1__assignment__init(as[i]);
    as[i]->id = (char *)ids[i];
    as[i]->incident_id = "PLK-000001";
    as[i]->unit_id = (char *)units[i];
    as[i]->state = states[i];
    f->list[i] = as[i];
  }
  f->inc.id = "PLK-000001";
  f->inc.category = "fire";
  f->inc.summary = "Kebakaran rumah";
  f->inc.n_phones = 0;
  f->inc.assignments = f->list;
  f->inc.n_assignments = 3;
  f->u.id = "1700000000000-1";
  f->u.kind = kind;
  f->u.incident = &f->inc;
}

static Siaga__V1__ResponderServerMessage *decode(sg_msg *m) {
  CHECK(m != NULL);
  CHECK(m->data[SG_MSG_PB] != NULL);
  Siaga__V1__ResponderServerMessage *sm = siaga__v1__responder_server_message__unpack(
      NULL, m->len[SG_MSG_PB], m->data[SG_MSG_PB] + LWS_PRE);
  CHECK(sm != NULL);
  return sm;
}

static const sg_ring_id ID = {1700000000000ULL, 1};

static void test_units_of_an_incident_change(void) {
  fixture f;
  setup(&f, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_NOTE_ADDED);
  const char *ids[SG_RESPONDER__UNITS_MAX];
  size_t n = sg_responder__units_of(&f.u, ids);
  CHECK_INT_EQ(n, 2); /* the cleared POL-03 is done with it */
  CHECK_STR_EQ(ids[0], "AMB-01");
  CHECK_STR_EQ(ids[1], "DMK-02");
  f.inc.n_assignments = 0;
  CHECK_INT_EQ(sg_responder__units_of(&f.u, ids), 0);
}

static void test_another_units_own_change_stays_its_own(void) {
  fixture f;
  setup(&f, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CHANGED);
  f.unit.id = "DMK-02";
  f.unit.status = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_EN_ROUTE;
  f.u.unit = &f.unit;
  const char *ids[SG_RESPONDER__UNITS_MAX];
  CHECK_INT_EQ(sg_responder__units_of(&f.u, ids), 1);
  CHECK_STR_EQ(ids[0], "DMK-02");
  sg_msg *m = (sg_msg *)1;
  CHECK_INT_EQ(sg_responder__message_for(&f.u, ID, "AMB-01", 1 << SG_MSG_PB, &m), 0);
  CHECK(m == NULL);
}

/* The unit's own app connecting is the consoles' news, not its crew's. */
static void test_the_units_own_connected_stays_with_the_consoles(void) {
  fixture f;
  setup(&f, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CONNECTED);
  f.u.incident = NULL;
  f.unit.id = "AMB-01";
  f.unit.connected = 1;
  f.u.unit = &f.unit;
  const char *ids[SG_RESPONDER__UNITS_MAX];
  CHECK_INT_EQ(sg_responder__units_of(&f.u, ids), 0);
  sg_msg *m = (sg_msg *)1;
  CHECK_INT_EQ(sg_responder__message_for(&f.u, ID, "AMB-01", 1 << SG_MSG_PB, &m), 0);
  CHECK(m == NULL);
}

static void test_an_offer(void) {
  fixture f;
  setup(&f, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_ASSIGNMENT_CHANGED);
  f.unit.id = "DMK-02";
  f.unit.phone = "+6281300000002";
  f.unit.status = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_ASSIGNED;
  f.u.unit = &f.unit;
  f.u.assignment = &f.other;
  sg_msg *m;
  CHECK_INT_EQ(sg_responder__message_for(&f.u, ID, "DMK-02", 1 << SG_MSG_PB, &m), 0);
  Siaga__V1__ResponderServerMessage *sm = decode(m);
  CHECK_INT_EQ(sm->msg_case, SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ASSIGNMENT);
  CHECK_STR_EQ(sm->assignment->update_id, "1700000000000-1");
  CHECK_STR_EQ(sm->assignment->assignment->id, "A-000002");
  CHECK(sm->assignment->incident != NULL);
  CHECK_STR_EQ(sm->assignment->incident->id, "PLK-000001");
  CHECK_STR_EQ(sm->assignment->incident->category, "fire");
  siaga__v1__responder_server_message__free_unpacked(sm, NULL);
  sg_msg_release(m);

  /* The same update means, to AMB-01 on the incident, a change of its incident. */
  CHECK_INT_EQ(sg_responder__message_for(&f.u, ID, "AMB-01", 1 << SG_MSG_PB, &m), 0);
  sm = decode(m);
  CHECK_INT_EQ(sm->msg_case, SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_UPDATE);
  CHECK(sm->update->unit == NULL);
  CHECK(sm->update->assignment == NULL);
  CHECK_STR_EQ(sm->update->incident->id, "PLK-000001");
  siaga__v1__responder_server_message__free_unpacked(sm, NULL);
  sg_msg_release(m);
}

static void test_cancel_and_own_status(void) {
  fixture f;
  setup(&f, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_ASSIGNMENT_CHANGED);
  f.mine.state = SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_CANCELLED;
  f.unit.id = "AMB-01";
  f.unit.phone = "+6281300000001";
  f.u.unit = &f.unit;
  f.u.assignment = &f.mine;
  sg_msg *m;
  CHECK_INT_EQ(sg_responder__message_for(&f.u, ID, "AMB-01", 1 << SG_MSG_PB, &m), 0);
  Siaga__V1__ResponderServerMessage *sm = decode(m);
  CHECK_INT_EQ(sm->msg_case, SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_ASSIGNMENT_CANCELLED);
  CHECK_STR_EQ(sm->assignment_cancelled->assignment->id, "A-000001");
  siaga__v1__responder_server_message__free_unpacked(sm, NULL);
  sg_msg_release(m);

  setup(&f, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CHANGED);
  f.unit.id = "AMB-01";
  f.unit.phone = "+6281300000001";
  f.unit.status = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_ON_SCENE;
  f.u.unit = &f.unit;
  CHECK_INT_EQ(sg_responder__message_for(&f.u, ID, "AMB-01", 1 << SG_MSG_PB | 1 << SG_MSG_JSON, &m),
               0);
  sm = decode(m);
  CHECK_INT_EQ(sm->msg_case, SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_UPDATE);
  CHECK_INT_EQ(sm->update->unit->status, SIAGA__V1__UNIT_STATUS__UNIT_STATUS_ON_SCENE);
  CHECK_STR_EQ(sm->update->unit->phone, "");            /* the consoles' business */
  CHECK_STR_EQ(sm->update->assignment->id, "A-000001"); /* found in the incident's list */
  CHECK(sm->update->incident != NULL);
  CHECK(m->data[SG_MSG_JSON] != NULL);
  CHECK(strstr((const char *)m->data[SG_MSG_JSON] + LWS_PRE, "\"UNIT_STATUS_ON_SCENE\"") != NULL);
  CHECK(strstr((const char *)m->data[SG_MSG_JSON] + LWS_PRE, "+62813") == NULL);
  siaga__v1__responder_server_message__free_unpacked(sm, NULL);
  sg_msg_release(m);
  CHECK_INT_EQ(sg_responder__disables(&f.u, "AMB-01"), 0);
  f.unit.disabled = 1;
  CHECK_INT_EQ(sg_responder__disables(&f.u, "AMB-01"), 1);
  CHECK_INT_EQ(sg_responder__disables(&f.u, "DMK-02"), 0);
}

/* DELIVERED and SEEN move only the assignment: the update may carry no
 * unit, and is still the unit's own. */
static void test_an_assignment_change_without_the_unit(void) {
  fixture f;
  setup(&f, SIAGA__V1__UPDATE_KIND__UPDATE_KIND_ASSIGNMENT_CHANGED);
  f.other.state = SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_DELIVERED;
  f.u.assignment = &f.other;
  const char *ids[SG_RESPONDER__UNITS_MAX];
  size_t n = sg_responder__units_of(&f.u, ids);
  CHECK_INT_EQ(n, 2); /* DMK-02 once, though its assignment is listed too */
  CHECK_STR_EQ(ids[0], "DMK-02");
  CHECK_STR_EQ(ids[1], "AMB-01");
  sg_msg *m;
  CHECK_INT_EQ(sg_responder__message_for(&f.u, ID, "DMK-02", 1 << SG_MSG_PB, &m), 0);
  Siaga__V1__ResponderServerMessage *sm = decode(m);
  CHECK_INT_EQ(sm->msg_case, SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_UPDATE);
  CHECK(sm->update->unit == NULL);
  CHECK_STR_EQ(sm->update->assignment->id, "A-000002");
  CHECK_INT_EQ(sm->update->assignment->state,
               SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_DELIVERED);
  CHECK_STR_EQ(sm->update->incident->id, "PLK-000001");
  siaga__v1__responder_server_message__free_unpacked(sm, NULL);
  sg_msg_release(m);
}

int main(void) {
  RUN_TEST(test_units_of_an_incident_change);
  RUN_TEST(test_another_units_own_change_stays_its_own);
  RUN_TEST(test_the_units_own_connected_stays_with_the_consoles);
  RUN_TEST(test_an_offer);
  RUN_TEST(test_cancel_and_own_status);
  RUN_TEST(test_an_assignment_change_without_the_unit);
  CHECK_DONE();
}
