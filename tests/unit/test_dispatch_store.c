/* The dispatch module against a real Redis: unit tokens, the responder's
 * hello, a whole assignment from the console's Assign through the crew's
 * commands to CLEARED, refusals, two answers racing, positions, and the
 * first snapshot page's units, and a change read before a connect. A
 * redis-server of its own is started on a free loopback port in a temporary
 * directory (SIAGA_REDIS_SERVER or PATH).
 * Each test flushes the database first. */
#include <time.h>

#include <hiredis/hiredis.h>

#include "auth/bearer.h"
#include "auth/password.h"
#include "check.h"
#include "redis_fixture.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "dispatch/dispatch.h"
#include "store/incidents.h"

#define REGION "plk"
#define U(x) SIAGA__V1__UNIT_STATUS__UNIT_STATUS_##x
#define A(x) SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_##x


/* ---- the loop ---- */

static uv_loop_t loop;
static uv_timer_t tick;
static sg_redis *redis;
static sg_dispatch *dispatch;

static void on_tick(uv_timer_t *t) {
  (void)t;
}

/* Runs the loop until *flag, at most 10 s (a tick keeps uv_run from
 * blocking for ever). */
static void spin(const int *flag) {
  for (int i = 0; i < 400 && !*flag; i++)
    uv_run(&loop, UV_RUN_ONCE);
  CHECK(*flag);
}

static void setup_ack(unsigned ack_s) {
  redisContext *c = fresh();
  redisFree(c);
  CHECK_INT_EQ(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &tick);
  uv_timer_start(&tick, on_tick, 25, 25);
  sg_redis_options ro = {.host = "127.0.0.1", .port = redis_port, .name = "test"};
  redis = sg_redis_create(&loop, &ro);
  CHECK(redis != NULL);
  sg_dispatch_options o = {.region = REGION, .ack_s = {ack_s}};
  dispatch = sg_dispatch_create(&loop, redis, &o);
  CHECK(dispatch != NULL);
  for (int i = 0; i < 400 && !sg_redis_connected(redis); i++)
    uv_run(&loop, UV_RUN_ONCE);
  CHECK(sg_redis_connected(redis));
}

static void setup(void) {
  setup_ack(60);
}

static void teardown(void) {
  sg_dispatch_destroy(dispatch);
  sg_redis_destroy(redis);
  uv_close((uv_handle_t *)&tick, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_INT_EQ(uv_loop_close(&loop), 0);
}

/* ---- records written as siaga-admin and the worker write them ---- */

static void put_unit(redisContext *c, const char *id, const char *kind, const char *phone,
                     const char *token) {
  Siaga__V1__Unit u = SIAGA__V1__UNIT__INIT;
  u.id = (char *)id;
  u.kind = (char *)kind;
  u.name = (char *)id;
  u.phone = (char *)phone;
  u.status = U(AVAILABLE);
  u.version = 1;
  uint8_t buf[256];
  size_t n = siaga__v1__unit__pack(&u, buf);
  char digest[SG_DIGEST_LEN + 1];
  sg_bearer_digest(token, strlen(token), digest);
  redisReply *r =
      redisCommand(c,
                   "HSET siaga:{plk}:unit:%s pb %b version 1 status 1 token %s phone %s "
                   "disabled 0 assignment \"\" incident \"\"",
                   id, buf, n, digest, phone);
  CHECK(r != NULL && r->type == REDIS_REPLY_INTEGER);
  freeReplyObject(r);
  freeReplyObject(redisCommand(c, "SADD siaga:{plk}:units %s", id));
  freeReplyObject(redisCommand(c, "SET siaga:{plk}:unittoken:%s %s", digest, id));
  freeReplyObject(redisCommand(c, "SET siaga:{plk}:unitphone:%s %s", phone, id));
}

static void put_incident_as(redisContext *c, const char *id, const char *category, int64_t version,
                            Siaga__V1__IncidentStatus status) {
  Siaga__V1__Incident inc = SIAGA__V1__INCIDENT__INIT;
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  char *phones[] = {"+6281111111111"};
  loc.lat = -2.2096;
  loc.lon = 113.9135;
  inc.id = (char *)id;
  inc.status = status;
  inc.priority = SIAGA__V1__PRIORITY__P2;
  inc.category = (char *)category;
  inc.location = &loc;
  inc.summary = "Rumah terbakar";
  inc.phones = phones;
  inc.n_phones = 1;
  inc.version = version;
  inc.created_at_ms = 1000;
  uint8_t buf[512];
  size_t n = siaga__v1__incident__pack(&inc, buf);
  redisReply *r = redisCommand(c, "HSET siaga:{plk}:incident:%s pb %b version %lld status %d", id,
                               buf, n, (long long)version, (int)status);
  CHECK(r != NULL && r->type == REDIS_REPLY_INTEGER);
  freeReplyObject(r);
  freeReplyObject(redisCommand(c, "ZADD siaga:{plk}:open 1 %s", id));
}

static void put_incident(redisContext *c, const char *id, const char *category) {
  put_incident_as(c, id, category, 3, SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_ACKNOWLEDGED);
}

static const char TOKEN[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/* ---- calls and what came back ---- */

typedef struct got {
  int done;
  int ok;
  char code[48];
  char asg_id[48];
  int asg_state;
  int unit_status;
  int64_t unit_version;
  int inc_status;
  int64_t cleared_at, accepted_at, on_scene_at;
  int has_incident, has_recommendation;
  size_t n_candidates;
} got;

static void on_reply(void *data, const Siaga__V1__CommandReply *r) {
  got *g = data;
  memset(g, 0, sizeof(*g));
  g->done = 1;
  g->ok = r->ok;
  snprintf(g->code, sizeof(g->code), "%s", r->error != NULL ? r->error->code : "");
  if (r->assignment != NULL) {
    snprintf(g->asg_id, sizeof(g->asg_id), "%s", r->assignment->id);
    g->asg_state = r->assignment->state;
  }
  if (r->unit != NULL) {
    g->unit_status = r->unit->status;
    g->unit_version = r->unit->version;
  }
  g->has_incident = r->incident != NULL;
  if (r->incident != NULL) {
    g->inc_status = r->incident->status;
    if (r->incident->times != NULL) {
      g->cleared_at = r->incident->times->cleared_at_ms;
      g->accepted_at = r->incident->times->accepted_at_ms;
      g->on_scene_at = r->incident->times->on_scene_at_ms;
    }
  }
  g->has_recommendation = r->recommendation != NULL;
  if (r->recommendation != NULL)
    g->n_candidates = r->recommendation->n_candidates;
}

static const sg_identity DISPATCHER = {.name = "disp", .role = SG_ROLE_DISPATCHER};
static const sg_identity CREW = {.name = "AMB-01", .role = SG_ROLE_RESPONDER};

static got assign(const char *inc, const char *unit) {
  Siaga__V1__Command cmd = SIAGA__V1__COMMAND__INIT;
  Siaga__V1__Assign a = SIAGA__V1__ASSIGN__INIT;
  cmd.request_id = "r";
  cmd.action_case = SIAGA__V1__COMMAND__ACTION_ASSIGN;
  cmd.assign = &a;
  a.incident_id = (char *)inc;
  a.unit_id = (char *)unit;
  got g = {0};
  sg_dispatch_console_command(dispatch, &cmd, &DISPATCHER, on_reply, &g);
  spin(&g.done);
  return g;
}

/* One crew command; fill sets its action. */
static void crew(const sg_identity *who, Siaga__V1__ResponderCommand *cmd, got *g) {
  cmd->request_id = "c";
  memset(g, 0, sizeof(*g));
  sg_dispatch_responder_command(dispatch, cmd, who, on_reply, g);
}

static got crew_accept(const char *asg_id) {
  Siaga__V1__ResponderCommand cmd = SIAGA__V1__RESPONDER_COMMAND__INIT;
  Siaga__V1__Accept a = SIAGA__V1__ACCEPT__INIT;
  a.assignment_id = (char *)asg_id;
  cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_ACCEPT;
  cmd.accept = &a;
  got g;
  crew(&CREW, &cmd, &g);
  spin(&g.done);
  return g;
}

static got set_status(Siaga__V1__UnitStatus s) {
  Siaga__V1__ResponderCommand cmd = SIAGA__V1__RESPONDER_COMMAND__INIT;
  Siaga__V1__SetUnitStatus st = SIAGA__V1__SET_UNIT_STATUS__INIT;
  st.status = s;
  cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_SET_UNIT_STATUS;
  cmd.set_unit_status = &st;
  got g;
  crew(&CREW, &cmd, &g);
  spin(&g.done);
  return g;
}

static got seen(const char *asg_id, int opened) {
  Siaga__V1__ResponderCommand cmd = SIAGA__V1__RESPONDER_COMMAND__INIT;
  Siaga__V1__Seen s = SIAGA__V1__SEEN__INIT;
  s.assignment_id = (char *)asg_id;
  s.opened = opened;
  cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_SEEN;
  cmd.seen = &s;
  got g;
  crew(&CREW, &cmd, &g);
  spin(&g.done);
  return g;
}

/* ---- tests ---- */

typedef struct token_got {
  int done;
  sg_auth_status status;
  sg_identity who;
} token_got;

static void on_token(void *data, sg_auth_status status, const sg_identity *who) {
  token_got *t = data;
  t->done = 1;
  t->status = status;
  if (who != NULL)
    t->who = *who;
}

static void test_token(void) {
  setup();
  redisContext *c = fresh();
  put_unit(c, "AMB-01", "ambulance", "+6281300000001", TOKEN);
  token_got t = {0};
  sg_dispatch_check_token(dispatch, TOKEN, on_token, &t);
  spin(&t.done);
  CHECK_INT_EQ(t.status, SG_AUTH_OK);
  CHECK_STR_EQ(t.who.name, "AMB-01");
  CHECK_INT_EQ(t.who.role, SG_ROLE_RESPONDER);
  memset(&t, 0, sizeof(t));
  sg_dispatch_check_token(
      dispatch, "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", on_token, &t);
  spin(&t.done);
  CHECK_INT_EQ(t.status, SG_AUTH_BAD_CREDENTIALS);
  memset(&t, 0, sizeof(t));
  sg_dispatch_check_token(dispatch, "not-a-token", on_token, &t);
  CHECK(t.done); /* refused at once, without Redis */
  CHECK_INT_EQ(t.status, SG_AUTH_BAD_CREDENTIALS);
  redisFree(c);
  teardown();
}

typedef struct hello_got {
  int done;
  char error[32], unit[20], asg[48], inc[48], last[48];
  size_t n_phones, n_texts;
} hello_got;

static void on_hello(void *data, const Siaga__V1__ResponderHello *h, const char *error) {
  hello_got *g = data;
  g->done = 1;
  snprintf(g->error, sizeof(g->error), "%s", error ? error : "");
  if (h == NULL)
    return;
  snprintf(g->unit, sizeof(g->unit), "%s", h->unit->id);
  snprintf(g->last, sizeof(g->last), "%s", h->last_update_id);
  if (h->assignment != NULL)
    snprintf(g->asg, sizeof(g->asg), "%s", h->assignment->id);
  if (h->incident != NULL) {
    snprintf(g->inc, sizeof(g->inc), "%s", h->incident->id);
    g->n_phones = h->incident->n_phones;
    g->n_texts = h->incident->n_texts;
  }
}

static void test_assignment_through_its_life(void) {
  setup();
  redisContext *c = fresh();
  put_unit(c, "AMB-01", "ambulance", "+6281300000001", TOKEN);
  put_incident(c, "PLK-000001", "medical");

  hello_got h = {0};
  sg_dispatch_hello(dispatch, "AMB-01", on_hello, &h);
  spin(&h.done);
  CHECK_STR_EQ(h.error, "");
  CHECK_STR_EQ(h.unit, "AMB-01");
  CHECK_STR_EQ(h.asg, "");
  CHECK_STR_EQ(h.last, "0-0");

  got g = assign("PLK-000001", "AMB-01");
  CHECK(g.ok);
  CHECK_STR_EQ(g.asg_id, "A-000001");
  CHECK_INT_EQ(g.asg_state, A(OFFERED));
  CHECK_INT_EQ(g.unit_status, U(ASSIGNED));
  CHECK_INT_EQ(g.unit_version, 2);

  memset(&h, 0, sizeof(h));
  sg_dispatch_hello(dispatch, "AMB-01", on_hello, &h);
  spin(&h.done);
  CHECK_STR_EQ(h.asg, "A-000001");
  CHECK_STR_EQ(h.inc, "PLK-000001");
  CHECK_INT_EQ(h.n_phones, 0); /* not shared */
  CHECK_INT_EQ(h.n_texts, 1);
  CHECK(strcmp(h.last, "0-0") != 0);

  g = seen("A-000001", 0);
  CHECK(g.ok);
  CHECK_INT_EQ(g.asg_state, A(DELIVERED));
  g = seen("A-000001", 1);
  CHECK_INT_EQ(g.asg_state, A(SEEN));
  g = seen("A-000001", 0); /* a late receipt: nothing moves back */
  CHECK(g.ok);
  CHECK_INT_EQ(g.asg_state, A(SEEN));

  g = crew_accept("A-000009");
  CHECK(!g.ok);
  CHECK_STR_EQ(g.code, "not_your_assignment");
  g = set_status(U(ON_SCENE)); /* not before it answered */
  CHECK_STR_EQ(g.code, "status_not_allowed");
  g = crew_accept("A-000001");
  CHECK(g.ok);
  CHECK_INT_EQ(g.asg_state, A(ACCEPTED));
  CHECK_INT_EQ(g.unit_status, U(EN_ROUTE));
  CHECK(!g.has_incident); /* a crew's reply never carries the whole incident */
  g = crew_accept("A-000001");
  CHECK_STR_EQ(g.code, "already_accepted");
  redisReply *r = redisCommand(c, "HGET siaga:{plk}:incident:PLK-000001 status");
  CHECK(r != NULL && r->type == REDIS_REPLY_STRING);
  CHECK_STR_EQ(r->str, "3"); /* DISPATCHED: it follows its first accepting unit */
  freeReplyObject(r);
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:assign:due"), 0);

  g = set_status(U(AVAILABLE));
  CHECK_STR_EQ(g.code, "status_not_allowed");
  g = set_status(U(ON_SCENE));
  CHECK(g.ok);
  CHECK_INT_EQ(g.unit_status, U(ON_SCENE));

  /* A position: in the geo set, no new version. */
  Siaga__V1__ResponderCommand cmd = SIAGA__V1__RESPONDER_COMMAND__INIT;
  Siaga__V1__Position p = SIAGA__V1__POSITION__INIT;
  p.lat = -2.21;
  p.lon = 113.91;
  p.accuracy_m = 8;
  cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_POSITION;
  cmd.position = &p;
  int64_t before = g.unit_version;
  crew(&CREW, &cmd, &g);
  spin(&g.done);
  CHECK(g.ok);
  CHECK_INT_EQ(g.unit_version, before);
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:unitgeo"), 1);
  p.lat = 0;
  p.lon = 0;
  crew(&CREW, &cmd, &g);
  CHECK(g.done);
  CHECK_STR_EQ(g.code, "bad_position");

  /* A note, on its own incident only. */
  Siaga__V1__AddNote note = SIAGA__V1__ADD_NOTE__INIT;
  note.incident_id = "PLK-000002";
  note.text = "Korban dibawa ke RSUD";
  cmd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_ADD_NOTE;
  cmd.add_note = &note;
  crew(&CREW, &cmd, &g);
  spin(&g.done);
  CHECK_STR_EQ(g.code, "not_your_incident");
  note.incident_id = "PLK-000001";
  crew(&CREW, &cmd, &g);
  spin(&g.done);
  CHECK(g.ok);

  g = set_status(U(RETURNING));
  CHECK(g.ok);
  CHECK_INT_EQ(g.asg_state, A(CLEARED));
  CHECK_INT_EQ(g.unit_status, U(RETURNING));
  /* The unit may be sent again on its way back. */
  put_incident(c, "PLK-000002", "accident");
  g = assign("PLK-000002", "AMB-01");
  CHECK(g.ok);
  CHECK_STR_EQ(g.asg_id, "A-000002");

  /* The audit trails have every step. */
  CHECK(int_of(c, "XLEN %s", "siaga:{plk}:audit:PLK-000001") >= 7);
  CHECK(int_of(c, "XLEN %s", "siaga:{plk}:unitaudit:AMB-01") >= 5);
  redisFree(c);
  teardown();
}

static void test_who_may(void) {
  setup();
  redisContext *c = fresh();
  put_unit(c, "AMB-01", "ambulance", "+6281300000001", TOKEN);
  put_incident(c, "PLK-000001", "medical");
  long long updates = int_of(c, "XLEN %s", "siaga:{plk}:updates");
  /* A crew cannot assign, a dispatcher cannot answer for a crew. */
  Siaga__V1__Command cmd = SIAGA__V1__COMMAND__INIT;
  Siaga__V1__Assign a = SIAGA__V1__ASSIGN__INIT;
  cmd.request_id = "r";
  cmd.action_case = SIAGA__V1__COMMAND__ACTION_ASSIGN;
  cmd.assign = &a;
  a.incident_id = "PLK-000001";
  a.unit_id = "AMB-01";
  got g = {0};
  sg_dispatch_console_command(dispatch, &cmd, &CREW, on_reply, &g);
  CHECK(g.done);
  CHECK_STR_EQ(g.code, "forbidden");
  Siaga__V1__ResponderCommand rc = SIAGA__V1__RESPONDER_COMMAND__INIT;
  Siaga__V1__SetUnitStatus st = SIAGA__V1__SET_UNIT_STATUS__INIT;
  st.status = U(OUT_OF_SERVICE);
  rc.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_SET_UNIT_STATUS;
  rc.set_unit_status = &st;
  crew(&DISPATCHER, &rc, &g);
  CHECK(g.done);
  CHECK_STR_EQ(g.code, "forbidden");
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:updates"), updates);
  redisFree(c);
  teardown();
}

static void test_two_answers_race(void) {
  setup();
  redisContext *c = fresh();
  put_unit(c, "AMB-01", "ambulance", "+6281300000001", TOKEN);
  put_incident(c, "PLK-000001", "medical");
  got g = assign("PLK-000001", "AMB-01");
  CHECK(g.ok);
  /* Accept and decline at the same moment (two phones, app and SMS): one
   * wins, the other is refused on the state it finds. */
  Siaga__V1__ResponderCommand ca = SIAGA__V1__RESPONDER_COMMAND__INIT, cd = ca;
  Siaga__V1__Accept acc = SIAGA__V1__ACCEPT__INIT;
  Siaga__V1__Decline dec = SIAGA__V1__DECLINE__INIT;
  acc.assignment_id = dec.assignment_id = "A-000001";
  dec.reason = "ban bocor";
  ca.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_ACCEPT;
  ca.accept = &acc;
  cd.action_case = SIAGA__V1__RESPONDER_COMMAND__ACTION_DECLINE;
  cd.decline = &dec;
  got g1, g2;
  crew(&CREW, &ca, &g1);
  crew(&CREW, &cd, &g2);
  spin(&g1.done);
  spin(&g2.done);
  CHECK_INT_EQ(g1.ok + g2.ok, 1);
  CHECK(g1.ok ? strcmp(g2.code, "already_accepted") == 0 : strcmp(g1.code, "no_assignment") == 0);
  redisFree(c);
  teardown();
}

typedef struct page_got {
  int done;
  size_t n_units, n_incidents;
} page_got;

static void on_page(void *data, const sg_incidents_page *p) {
  page_got *g = data;
  g->done = 1;
  CHECK_INT_EQ(p->status, SG_INCIDENTS_OK);
  g->n_units = p->n_units;
  g->n_incidents = p->n_incidents;
}

static void test_first_page_has_every_unit(void) {
  setup();
  redisContext *c = fresh();
  put_unit(c, "AMB-01", "ambulance", "+6281300000001", TOKEN);
  put_unit(c, "DMK-01", "fire", "+6281300000002",
           "aa112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  put_incident(c, "PLK-000001", "medical");
  sg_incidents *in = sg_incidents_create(redis, REGION);
  CHECK(in != NULL);
  for (int i = 0; i < 400 && !sg_redis_connected(redis); i++)
    uv_run(&loop, UV_RUN_ONCE);
  page_got g = {0};
  sg_incidents_query q = {.limit = 10};
  CHECK_INT_EQ(sg_incidents_page_read(in, &q, on_page, &g), 0);
  spin(&g.done);
  CHECK_INT_EQ(g.n_units, 2);
  CHECK_INT_EQ(g.n_incidents, 1);
  /* A later page (a cursor) does not repeat them. */
  memset(&g, 0, sizeof(g));
  q.cursor = "1:PLK-000001";
  CHECK_INT_EQ(sg_incidents_page_read(in, &q, on_page, &g), 0);
  spin(&g.done);
  CHECK_INT_EQ(g.n_units, 0);
  sg_incidents_destroy(in);
  redisFree(c);
  teardown();
}

static int asg_state(redisContext *c, const char *id) {
  redisReply *r = redisCommand(c, "HGET siaga:{plk}:assignment:%s state", id);
  CHECK(r != NULL);
  int state = r->type == REDIS_REPLY_STRING ? atoi(r->str) : 0;
  freeReplyObject(r);
  return state;
}

/* Runs the loop until the assignment is in state, at most 10 s. */
static void wait_state(redisContext *c, const char *id, int state) {
  for (int i = 0; i < 400 && asg_state(c, id) != state; i++)
    uv_run(&loop, UV_RUN_ONCE);
  CHECK_INT_EQ(asg_state(c, id), state);
}

/* What presence.lua last told the consoles. */
static int unit_connected(redisContext *c, const char *id) {
  redisReply *r = redisCommand(c, "HGET siaga:{plk}:unit:%s connected", id);
  int on = r != NULL && r->type == REDIS_REPLY_STRING && strcmp(r->str, "1") == 0;
  freeReplyObject(r);
  return on;
}

static void test_ladder(void) {
  setup_ack(1);
  sg_dispatch_start(dispatch);
  redisContext *c = fresh();
  put_unit(c, "AMB-01", "ambulance", "+6281300000001", TOKEN);
  put_incident(c, "PLK-000001", "medical");
  /* The crew's app connected: the offer waits for it. */
  sg_dispatch_presence *app = sg_dispatch_presence_open(dispatch, "AMB-01");
  CHECK(app != NULL);
  for (int i = 0; i < 400 && !unit_connected(c, "AMB-01"); i++)
    uv_run(&loop, UV_RUN_ONCE);
  CHECK(unit_connected(c, "AMB-01"));
  got g = assign("PLK-000001", "AMB-01");
  CHECK(g.ok);
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:sms:out"), 0);
  /* Silent for a second: the offer goes to the crew's phone, once. */
  for (int i = 0; i < 400 && int_of(c, "XLEN %s", "siaga:{plk}:sms:out") == 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  redisReply *r = redisCommand(c, "XRANGE siaga:{plk}:sms:out - +");
  CHECK(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
  redisReply *f = r->element[0]->element[1];
  CHECK_STR_EQ(f->element[1]->str, "+6281300000001");
  CHECK(strncmp(f->element[3]->str, "SIAGA TUGAS PLK-000001 P2 Medis, (-2.20960,113.91350).", 54) ==
        0);
  CHECK_STR_EQ(f->element[5]->str, "assignment");
  freeReplyObject(r);
  /* As long again: timed out, the unit free, off the ladder. */
  wait_state(c, "A-000001", A(TIMED_OUT));
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:sms:out"), 2); /* and the crew hears of it */
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:assign:due"), 0);
  redisReply *st = redisCommand(c, "HGET siaga:{plk}:unit:AMB-01 status");
  CHECK(st != NULL && st->type == REDIS_REPLY_STRING);
  CHECK_STR_EQ(st->str, "1");
  freeReplyObject(st);

  /* Resolved before anyone answered: cancelled, and nobody is texted. */
  put_incident(c, "PLK-000002", "medical");
  g = assign("PLK-000002", "AMB-01");
  CHECK(g.ok);
  put_incident_as(c, "PLK-000002", "medical", 5,
                  SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED);
  wait_state(c, "A-000002", A(CANCELLED));
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:sms:out"), 2);

  /* The app gone: the next offer goes by SMS with the assignment, and a
   * resolved incident's end follows it by SMS too. */
  sg_dispatch_presence_close(dispatch, app);
  for (int i = 0; i < 400 && unit_connected(c, "AMB-01"); i++)
    uv_run(&loop, UV_RUN_ONCE);
  CHECK(!unit_connected(c, "AMB-01"));
  put_incident(c, "PLK-000003", "medical");
  g = assign("PLK-000003", "AMB-01");
  CHECK(g.ok);
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:sms:out"), 3);
  put_incident_as(c, "PLK-000003", "medical", 5,
                  SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED);
  wait_state(c, "A-000003", A(CANCELLED));
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:sms:out"), 4);
  redisFree(c);
  teardown();
}

/* dispatch.lua refuses a change whose unit carries another Unit.connected
 * than presence.lua last told (a change read before a connect), so the
 * consoles are not told the old state with a newer version. */
static void test_change_read_before_a_connect(void) {
  const sg_embedded_file *f = sg_embedded_find("dispatch.lua");
  CHECK(f != NULL);
  redisContext *c = fresh();
  put_unit(c, "AMB-01", "ambulance", "+6281300000001", TOKEN);
  freeReplyObject(redisCommand(c, "HSET siaga:{plk}:unit:AMB-01 connected 1"));
  const char *k = "siaga:{plk}:updates"; /* the keys the call leaves alone */
  for (int told = 0; told < 2; told++) {
    /* dispatch.lua's ARGV, numbered as its header: a unit-only change. */
    /* clang-format off */
    const char *argv[] = {"EVAL", "", "10", "siaga:{plk}:unit:AMB-01", k, k, k, k,
                          "siaga:{plk}:unitaudit:AMB-01", k, k, k, k,
                          /* 1 */ "cas", "1", "pb", "1", "", "-1", "", "0", "-1", "",
                          /* 11 */ "0", "update", "100", "", "", "1", "", "", "", "",
                          /* 21 */ "AMB-01", "", "0", "0", "15000", told ? "1" : "0"};
    /* clang-format on */
    argv[1] = (const char *)f->data;
    redisReply *r = redisCommandArgv(c, sizeof(argv) / sizeof(argv[0]), argv, NULL);
    CHECK(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 2);
    CHECK_STR_EQ(r->element[0]->str, told ? "ok" : "conflict");
    freeReplyObject(r);
  }
  redisFree(c);
}

int main(void) {
  CHECK(sg_password_init() == 0);
  start_redis();
  RUN_TEST(test_token);
  RUN_TEST(test_assignment_through_its_life);
  RUN_TEST(test_who_may);
  RUN_TEST(test_two_answers_race);
  RUN_TEST(test_first_page_has_every_unit);
  RUN_TEST(test_ladder);
  RUN_TEST(test_change_read_before_a_connect);
  stop_redis();
  CHECK_DONE();
}
