/* Unit tests of the Redis half of triage against a real redis-server, which
 * main starts on a free loopback port in a temporary directory and stops at
 * the end: the transition.lua call builder (store/transition) against the
 * script itself, the join-or-open matcher (triage/match) on both paths, and
 * a batch through triage/batch.c. Each test flushes the database first.
 *
 * redis-server is taken from SIAGA_REDIS_SERVER (CMake sets it) or PATH. */
#include <time.h>

#include "check.h"
#include "redis_fixture.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "store/transition.h"
#include "triage/match.h"
#include "triage/triage_internal.h"

#define REGION "plk"
#define LAT -2.2096
#define LON 113.9135
#define DEG_PER_M (1.0 / 111195.0) /* metres to degrees of latitude */

static sg_arena arena;


/* A command's string answer, copied into buf ("" for nil). */
static const char *str_of(redisContext *c, char *buf, size_t size, const char *fmt,
                          const char *arg) {
  redisReply *reply = redisCommand(c, fmt, arg);
  CHECK(reply != NULL && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL));
  snprintf(buf, size, "%s", reply->type == REDIS_REPLY_STRING ? reply->str : "");
  freeReplyObject(reply);
  return buf;
}

/* ---- transition.lua through the builder ---- */

static Siaga__V1__Location here = SIAGA__V1__LOCATION__INIT;

/* An incident as a worker writes it, packed, with its update. */
static void fill(sg_transition *tr, const char *id, int64_t version, const char *category,
                 Siaga__V1__IncidentStatus status) {
  static Siaga__V1__Incident inc;
  static Siaga__V1__IncidentUpdate upd;
  here.lat = LAT;
  here.lon = LON;
  inc = (Siaga__V1__Incident)SIAGA__V1__INCIDENT__INIT;
  inc.id = (char *)id;
  inc.status = status;
  inc.category = (char *)category;
  inc.location = &here;
  inc.version = version;
  inc.score = 40;
  inc.priority = SIAGA__V1__PRIORITY__P3;
  inc.created_at_ms = inc.updated_at_ms = (int64_t)sg_clock_now_ms();
  upd = (Siaga__V1__IncidentUpdate)SIAGA__V1__INCIDENT_UPDATE__INIT;
  upd.kind = version == 1 ? SIAGA__V1__UPDATE_KIND__UPDATE_KIND_CREATED
                          : SIAGA__V1__UPDATE_KIND__UPDATE_KIND_REPORT_ATTACHED;
  upd.incident = &inc;
  upd.actor = "test";
  size_t inc_len, upd_len;
  uint8_t *inc_pb = sg_triage_pack(&arena, &inc.base, &inc_len);
  uint8_t *upd_pb = sg_triage_pack(&arena, &upd.base, &upd_len);
  CHECK(inc_pb != NULL && upd_pb != NULL);
  *tr = (sg_transition){.region = REGION,
                        .incident_id = id,
                        .expected_version = version - 1,
                        .incident_pb = inc_pb,
                        .incident_pb_len = inc_len,
                        .update_pb = upd_pb,
                        .update_pb_len = upd_len,
                        .status = (int)status,
                        .priority = (int)inc.priority,
                        .score = inc.score,
                        .created_at_ms = inc.created_at_ms,
                        .updated_at_ms = inc.updated_at_ms,
                        .has_point = 1,
                        .lon = LON,
                        .lat = LAT,
                        .marker_ttl_s = 60,
                        .index_ttl_s = 60,
                        .phone_ttl_s = 60};
}

static char sha[48];

static void load_script(redisContext *c) {
  const sg_embedded_file *script = sg_embedded_find("transition.lua");
  CHECK(script != NULL);
  redisReply *reply = redisCommand(c, "SCRIPT LOAD %b", script->data, script->size);
  CHECK(reply != NULL && reply->type == REDIS_REPLY_STRING && reply->len < sizeof(sha));
  memcpy(sha, reply->str, reply->len + 1);
  freeReplyObject(reply);
}

/* Runs tr (EVALSHA, or EVAL with the body) and returns the script's first
 * answer word in what, and its second element as text in second. */
static void run(redisContext *c, const sg_transition *tr, int with_body, char *what, char *second) {
  sg_transition_call call;
  CHECK_INT_EQ(
      sg_transition_build(&call, tr, sha, with_body ? sg_embedded_find("transition.lua") : NULL),
      SG_OK);
  redisReply *reply = redisCommandArgv(c, call.argc, call.argv, call.lens);
  CHECK(reply != NULL);
  if (reply->type == REDIS_REPLY_ERROR)
    fprintf(stderr, "transition.lua: %s\n", reply->str);
  CHECK(reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2);
  CHECK(reply->element[0]->type == REDIS_REPLY_STRING);
  snprintf(what, 32, "%s", reply->element[0]->str);
  const redisReply *e = reply->element[1];
  if (e->type == REDIS_REPLY_INTEGER)
    snprintf(second, 64, "%lld", e->integer);
  else
    snprintf(second, 64, "%s", e->type == REDIS_REPLY_STRING ? e->str : "");
  freeReplyObject(reply);
}

/* An empty database with the script loaded and the triage group. */
static redisContext *fresh_with_script(void) {
  redisContext *c = fresh();
  load_script(c);
  sg_arena_init(&arena, 1 << 20);
  redisReply *reply = redisCommand(c, "XGROUP CREATE siaga:{plk}:reports triage $ MKSTREAM");
  CHECK(reply != NULL && reply->type == REDIS_REPLY_STATUS);
  freeReplyObject(reply);
  return c;
}

/* The shape of a call follows what is set, as the script's header says. */
static void test_transition_shape(void) {
  sg_transition tr;
  sg_transition_call call;
  sg_arena_init(&arena, 1 << 20);
  fill(&tr, "PLK-000001", 1, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);

  /* A console command: 10 keys, 19 arguments, KEYS 6-8 the reports stream. */
  CHECK_INT_EQ(sg_transition_build(&call, &tr, "abc", NULL), SG_OK);
  CHECK_INT_EQ(call.argc, 3 + 10 + 19);
  CHECK_STR_EQ(call.argv[0], "EVALSHA");
  CHECK_STR_EQ(call.argv[1], "abc");
  CHECK_STR_EQ(call.argv[2], "10");
  CHECK_STR_EQ(call.argv[3], "siaga:{plk}:incident:PLK-000001");
  CHECK_STR_EQ(call.argv[7], "siaga:{plk}:audit:PLK-000001");
  CHECK_STR_EQ(call.argv[8], "siaga:{plk}:reports");
  CHECK_STR_EQ(call.argv[9], "siaga:{plk}:reports");
  CHECK_STR_EQ(call.argv[10], "siaga:{plk}:reports");
  CHECK_STR_EQ(call.argv[11], "siaga:{plk}:sms:out");
  CHECK_STR_EQ(call.argv[12], "siaga:{plk}:incident:PLK-000001:sms");
  CHECK_STR_EQ(call.argv[13], "0"); /* ARGV 1 */
  CHECK_STR_EQ(call.argv[14], "PLK-000001");
  /* The protobufs go as bytes with their own lengths. */
  CHECK(call.argv[15] == (const char *)tr.incident_pb);
  CHECK_INT_EQ(call.lens[15], tr.incident_pb_len);
  CHECK_INT_EQ(call.lens[16], tr.update_pb_len);
  CHECK_STR_EQ(call.argv[13 + 8], "113.913500000"); /* ARGV 9, lon */
  CHECK_STR_EQ(call.argv[13 + 9], "-2.209600000");
  CHECK_STR_EQ(call.argv[13 + 10], "");       /* ARGV 11: no report */
  CHECK_STR_EQ(call.argv[13 + 11], "triage"); /* ARGV 12 */
  CHECK_STR_EQ(call.argv[13 + 14], "10000");  /* ARGV 15 */

  /* A report: 21 arguments, its marker and index as KEYS 6-7. */
  tr.entry_id = "1-1";
  tr.report_id = "r1";
  tr.token = "tok";
  CHECK_INT_EQ(sg_transition_build(&call, &tr, "abc", NULL), SG_OK);
  CHECK_INT_EQ(call.argc, 3 + 10 + 21);
  CHECK_STR_EQ(call.argv[8], "siaga:{plk}:processed:1-1");
  CHECK_STR_EQ(call.argv[9], "siaga:{plk}:report:r1");
  CHECK_STR_EQ(call.argv[13 + 19], "tok"); /* ARGV 20 */

  /* An opening check without a phone: ARGV 22-24 empty, then the check. */
  const char *known[] = {"PLK-000007", "PLK-000009"};
  tr.check = sg_triage_match_check(known, 2);
  CHECK_INT_EQ(sg_transition_build(&call, &tr, "abc", NULL), SG_OK);
  CHECK_INT_EQ(call.argc, 3 + 10 + 26 + 2);
  CHECK_STR_EQ(call.argv[13 + 21], "");           /* ARGV 22 */
  CHECK_STR_EQ(call.argv[13 + 24], "300");        /* ARGV 25 */
  CHECK_STR_EQ(call.argv[13 + 25], "16");         /* ARGV 26 */
  CHECK_STR_EQ(call.argv[13 + 27], "PLK-000009"); /* ARGV 28 */

  /* A phone: 12 keys, and 24 arguments without a check. */
  tr.check = (sg_transition_check){0};
  tr.phone = "+628111";
  tr.phone_seen = "PLK-000003";
  CHECK_INT_EQ(sg_transition_build(&call, &tr, "abc", NULL), SG_OK);
  CHECK_INT_EQ(call.argc, 3 + 12 + 24);
  CHECK_STR_EQ(call.argv[2], "12");
  CHECK_STR_EQ(call.argv[13], "siaga:{plk}:phone:+628111");
  CHECK_STR_EQ(call.argv[14], "siaga:{plk}:incident:PLK-000001:phones");
  CHECK_STR_EQ(call.argv[15 + 21], "+628111");    /* ARGV 22 */
  CHECK_STR_EQ(call.argv[15 + 23], "PLK-000003"); /* ARGV 24 */

  /* EVAL carries the script's text; a key too long is refused. */
  const sg_embedded_file *body = sg_embedded_find("transition.lua");
  CHECK_INT_EQ(sg_transition_build(&call, &tr, "abc", body), SG_OK);
  CHECK_STR_EQ(call.argv[0], "EVAL");
  CHECK_INT_EQ(call.lens[1], body->size);
  char id[SG_KEY_MAX + 8];
  memset(id, 'x', sizeof(id) - 1);
  id[sizeof(id) - 1] = '\0';
  tr.incident_id = id;
  CHECK_INT_EQ(sg_transition_build(&call, &tr, "abc", NULL), SG_EINVAL);
}

/* A new incident, a join on it, and a join on a version it no longer has. */
static void test_transition_open_join_conflict(void) {
  redisContext *c = fresh_with_script();
  char buf[64], what[32], second[64];

  sg_transition tr;
  fill(&tr, "PLK-000001", 1, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  tr.entry_id = "1-1";
  tr.report_id = "r1";
  tr.token = "tok1";
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "ok");
  CHECK_STR_EQ(second, "1");
  CHECK_STR_EQ(str_of(c, buf, sizeof(buf), "HGET siaga:{plk}:incident:%s version", "PLK-000001"),
               "1");
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:open"), 1);
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:geo"), 1);
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:updates"), 1);
  CHECK_INT_EQ(int_of(c, "EXISTS %s", "siaga:{plk}:processed:1-1"), 1);
  CHECK_STR_EQ(str_of(c, buf, sizeof(buf), "HGET %s incident", "siaga:{plk}:report:r1"),
               "PLK-000001");
  CHECK_STR_EQ(str_of(c, buf, sizeof(buf), "HGET %s token", "siaga:{plk}:report:r1"), "tok1");

  /* An opening of an id that exists is a conflict. */
  run(c, &tr, 0, what, second);
  CHECK(strcmp(what, "processed") == 0); /* same entry: a replay */
  tr.entry_id = "1-9";
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "conflict");
  CHECK_STR_EQ(second, "1");

  /* A second report joins at version 2. */
  fill(&tr, "PLK-000001", 2, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  tr.entry_id = "1-2";
  tr.report_id = "r2";
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "ok");
  CHECK_STR_EQ(second, "2");
  CHECK_STR_EQ(str_of(c, buf, sizeof(buf), "HGET %s incident", "siaga:{plk}:report:r2"),
               "PLK-000001");

  /* A third made on version 1 (someone joined meanwhile) is refused and
   * writes nothing. */
  fill(&tr, "PLK-000001", 2, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  tr.entry_id = "1-3";
  tr.report_id = "r3";
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "conflict");
  CHECK_STR_EQ(second, "2");
  CHECK_STR_EQ(str_of(c, buf, sizeof(buf), "HGET siaga:{plk}:incident:%s version", "PLK-000001"),
               "2");
  CHECK_INT_EQ(int_of(c, "EXISTS %s", "siaga:{plk}:report:r3"), 0);
  CHECK_INT_EQ(int_of(c, "EXISTS %s", "siaga:{plk}:processed:1-3"), 0);
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:updates"), 2);
  redisFree(c);
}

/* A console command's shape (no report): the status message goes to the
 * incident's SMS reporters; EVAL with the body works where the script was
 * never loaded. */
static void test_transition_command(void) {
  redisContext *c = fresh();
  sg_arena_init(&arena, 1 << 20);
  char what[32], second[64];
  snprintf(sha, sizeof(sha), "0000000000000000000000000000000000000000");
  sg_transition tr;
  fill(&tr, "PLK-000005", 1, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  run(c, &tr, 1, what, second);
  CHECK_STR_EQ(what, "ok");
  freeReplyObject(redisCommand(c, "SADD %s +628111", "siaga:{plk}:incident:PLK-000005:sms"));

  fill(&tr, "PLK-000005", 2, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_DISPATCHED);
  tr.status_text = "help is on the way";
  run(c, &tr, 1, what, second);
  CHECK_STR_EQ(what, "ok");
  CHECK_INT_EQ(int_of(c, "XLEN %s", "siaga:{plk}:sms:out"), 1);
  CHECK_INT_EQ(int_of(c, "EXISTS %s", "siaga:{plk}:reports"), 0); /* untouched */
  redisFree(c);
}

/* The script's own checks: an opening that missed an incident nearby, and
 * a phone map that moved since it was read. */
static void test_transition_refusals(void) {
  redisContext *c = fresh_with_script();
  char what[32], second[64];
  sg_transition tr;
  fill(&tr, "PLK-000001", 1, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  tr.entry_id = "1-1";
  tr.report_id = "r1";
  tr.phone = "+628111";
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "ok");

  /* At the same place, an opening whose search saw nothing. */
  fill(&tr, "PLK-000002", 1, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  tr.entry_id = "1-2";
  tr.report_id = "r2";
  tr.check = sg_triage_match_check(NULL, 0);
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "nearby");
  CHECK_STR_EQ(second, "PLK-000001");
  /* ... and one whose search saw it. */
  const char *known[] = {"PLK-000001"};
  tr.check = sg_triage_match_check(known, 1);
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "ok");

  /* The same number, decided on an empty phone map. */
  fill(&tr, "PLK-000003", 1, "fire", SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  tr.entry_id = "1-3";
  tr.report_id = "r3";
  tr.phone = "+628111";
  tr.phone_seen = "";
  run(c, &tr, 0, what, second);
  CHECK_STR_EQ(what, "phone_moved");
  CHECK_STR_EQ(second, "PLK-000001");
  redisFree(c);
}

/* ---- the matcher ---- */

static Siaga__V1__Incident incident_at(const char *category, int64_t updated_at_ms,
                                       Siaga__V1__IncidentStatus status) {
  Siaga__V1__Incident inc = SIAGA__V1__INCIDENT__INIT;
  inc.category = (char *)category;
  inc.status = status;
  inc.updated_at_ms = updated_at_ms;
  return inc;
}

static void test_match_decision(void) {
  int64_t now = 1700000000000LL;
  Siaga__V1__IncidentStatus open = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN;
  Siaga__V1__Incident fire = incident_at("fire", now, open);
  Siaga__V1__Incident fire2 = incident_at("fire", now, open);
  Siaga__V1__Incident flood = incident_at("flood", now, open);
  Siaga__V1__Incident old = incident_at("fire", now - SG_TRIAGE_DEDUP_WINDOW_MS - 1, open);
  Siaga__V1__Incident closed =
      incident_at("fire", now, SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED);
  sg_triage_match_candidate c[] = {{&flood, 10},  {&old, 20},   {NULL, 30},
                                   {&closed, 40}, {&fire, 120}, {&fire2, 90}};
  /* The nearest of the same category, open and recent. */
  CHECK_INT_EQ(sg_triage_match_nearest(c, 6, "fire", now), 5);
  CHECK_INT_EQ(sg_triage_match_nearest(c, 5, "fire", now), 4);
  CHECK_INT_EQ(sg_triage_match_nearest(c, 6, "flood", now), 0);
  CHECK_INT_EQ(sg_triage_match_nearest(c, 4, "fire", now), -1);
  CHECK_INT_EQ(sg_triage_match_nearest(c, 6, "medical", now), -1);
  /* Of equals, the first (GEOSEARCH's order). */
  c[5].dist_m = 120;
  CHECK_INT_EQ(sg_triage_match_nearest(c, 6, "fire", now), 4);
  /* The same caller: any category, for as long as it is open. */
  CHECK(sg_triage_match_caller(&flood, now));
  CHECK(!sg_triage_match_caller(&closed, now));
  CHECK(!sg_triage_match_caller(NULL, now));
  CHECK(sg_triage_match_caller(&flood, now + 6 * 3600 * 1000LL));
}

/* A worker's triage on a fresh database. */
static sg_triage *triage_on(redisContext *c) {
  int err;
  sg_triage_options o = {.region = REGION, .consumer = "t1", .claim_idle_ms = 60000};
  sg_triage *t = sg_triage_create(&o, &err);
  CHECK(t != NULL);
  CHECK_INT_EQ(sg_triage_start(t, c), SG_OK);
  return t;
}

static Siaga__V1__Location locs[16];
static Siaga__V1__Reporter reporters[16];
static Siaga__V1__Report reports[16];

/* Report n: category at north_m metres north of the reference point, by
 * phone when phone is not NULL (SMS), received at received_ms. */
static Siaga__V1__Report *report(int n, const char *category, double north_m, const char *phone,
                                 int64_t received_ms) {
  static char ids[16][16];
  snprintf(ids[n], sizeof(ids[n]), "r%d", n);
  locs[n] = (Siaga__V1__Location)SIAGA__V1__LOCATION__INIT;
  locs[n].lat = LAT + north_m * DEG_PER_M;
  locs[n].lon = LON;
  locs[n].source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_DEVICE;
  reports[n] = (Siaga__V1__Report)SIAGA__V1__REPORT__INIT;
  reports[n].id = ids[n];
  reports[n].category = (char *)category;
  reports[n].description = "tolong";
  reports[n].location = &locs[n];
  reports[n].received_at_ms = received_ms;
  reports[n].channel = SIAGA__V1__CHANNEL__CHANNEL_APP;
  if (phone != NULL) {
    reporters[n] = (Siaga__V1__Reporter)SIAGA__V1__REPORTER__INIT;
    reporters[n].phone = (char *)phone;
    reports[n].reporter = &reporters[n];
    reports[n].channel = SIAGA__V1__CHANNEL__CHANNEL_SMS;
  }
  return &reports[n];
}

/* The incident report n went into (the report index). */
static const char *incident_of(redisContext *c, int n, char *buf) {
  char k[SG_KEY_MAX];
  snprintf(k, sizeof(k), "siaga:{plk}:report:r%d", n);
  return str_of(c, buf, 64, "HGET %s incident", k);
}

/* The one-report path: sg_triage__apply, its GEOSEARCH and decision. */
static void apply_one(sg_triage *t, Siaga__V1__Report *r) {
  char entry[32];
  snprintf(entry, sizeof(entry), "1-%s", r->id + 1);
  sg_rules_result res;
  sg_rules_evaluate(r, &res);
  CHECK_INT_EQ(sg_triage__apply(t, entry, "", r, &res), SG_OK);
  sg_arena_reset(&t->arena);
}

static void test_match_one_report(void) {
  redisContext *c = fresh();
  sg_triage *t = triage_on(c);
  int64_t now = (int64_t)sg_clock_now_ms();
  char a[64], b[64];
  apply_one(t, report(1, "fire", 0, NULL, now));
  CHECK(incident_of(c, 1, a)[0] != '\0');
  /* Near, the same category: joins. */
  apply_one(t, report(2, "fire", 100, NULL, now));
  CHECK_STR_EQ(incident_of(c, 2, b), a);
  /* Far, or another category, or long after: opens. */
  apply_one(t, report(3, "fire", 5000, NULL, now));
  CHECK(strcmp(incident_of(c, 3, b), a) != 0 && b[0] != '\0');
  apply_one(t, report(4, "flood", 50, NULL, now));
  CHECK(strcmp(incident_of(c, 4, b), a) != 0 && b[0] != '\0');
  apply_one(t, report(5, "fire", 0, NULL, now + SG_TRIAGE_DEDUP_WINDOW_MS + 60000));
  CHECK(strcmp(incident_of(c, 5, b), a) != 0 && b[0] != '\0');
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:open"), 4);

  /* The same caller joins whatever the category and distance. */
  apply_one(t, report(6, "medical", 20000, "+628111", now));
  incident_of(c, 6, a);
  apply_one(t, report(7, "crime", 40000, "+628111", now));
  CHECK_STR_EQ(incident_of(c, 7, b), a);
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:open"), 5);

  /* The search itself: nearest first, with distances, within the radius. */
  CHECK_INT_EQ(sg_triage_match_append_search(t, report(8, "fire", 0, NULL, now)->location), SG_OK);
  redisReply *reply = NULL;
  CHECK(redisGetReply(c, (void **)&reply) == REDIS_OK);
  sg_triage_match_hit *hits;
  size_t n;
  CHECK_INT_EQ(sg_triage_match_hits(reply, &t->arena, &hits, &n), SG_OK);
  freeReplyObject(reply);
  CHECK_INT_EQ(n, 3); /* the fire of 1-2, the late fire of 5 and the flood of 4 */
  for (size_t k = 0; k < n; k++) {
    CHECK(hits[k].dist_m <= SG_TRIAGE_DEDUP_RADIUS_M);
    CHECK(k == 0 || hits[k].dist_m >= hits[k - 1].dist_m);
  }
  CHECK_STR_EQ(hits[n - 1].id, incident_of(c, 4, b)); /* the flood, 50 m away */
  sg_triage_stop(t);
  sg_triage_destroy(t);
  redisFree(c);
}

/* ---- a batch through batch.c ---- */

static void xadd(redisContext *c, const Siaga__V1__Report *r) {
  size_t len;
  uint8_t *pb = sg_triage_pack(&arena, &r->base, &len);
  CHECK(pb != NULL);
  redisReply *reply = redisCommand(c, "XADD siaga:{plk}:reports * r %b", pb, len);
  CHECK(reply != NULL && reply->type == REDIS_REPLY_STRING);
  freeReplyObject(reply);
}

static void test_batch(void) {
  redisContext *c = fresh();
  sg_arena_init(&arena, 1 << 20);
  sg_triage *t = triage_on(c);
  int64_t now = (int64_t)sg_clock_now_ms();
  char a[64], b[64];
  /* One read: the second joins what the first opens in the same batch. */
  xadd(c, report(1, "fire", 0, NULL, now));
  xadd(c, report(2, "fire", 80, NULL, now));
  xadd(c, report(3, "fire", 5000, NULL, now));
  xadd(c, report(4, "flood", 30, NULL, now));
  /* Opened by the batch path (near 1), then joined in memory. */
  xadd(c, report(9, "flood", 60, NULL, now));
  xadd(c, report(5, "medical", 20000, "+628111", now));
  xadd(c, report(6, "crime", 40000, "+628111", now));
  size_t n_done = 0;
  CHECK_INT_EQ(sg_triage_read(t, 100, &n_done), SG_OK);
  CHECK_INT_EQ(n_done, 7);
  incident_of(c, 1, a);
  CHECK(a[0] != '\0');
  CHECK_STR_EQ(incident_of(c, 2, b), a);
  CHECK(strcmp(incident_of(c, 3, b), a) != 0 && b[0] != '\0');
  CHECK(strcmp(incident_of(c, 4, b), a) != 0 && b[0] != '\0');
  CHECK_STR_EQ(incident_of(c, 9, a), b);
  CHECK_STR_EQ(incident_of(c, 6, b), incident_of(c, 5, a));
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:open"), 4);

  /* The next read joins what is in Redis now. */
  xadd(c, report(7, "fire", 150, NULL, now));
  xadd(c, report(8, "flood", 0, NULL, now));
  CHECK_INT_EQ(sg_triage_read(t, 100, &n_done), SG_OK);
  CHECK_INT_EQ(n_done, 2);
  CHECK_STR_EQ(incident_of(c, 7, b), incident_of(c, 1, a));
  CHECK_STR_EQ(incident_of(c, 8, b), incident_of(c, 4, a));
  CHECK_INT_EQ(int_of(c, "ZCARD %s", "siaga:{plk}:open"), 4);
  /* Every entry acknowledged. */
  redisReply *reply = redisCommand(c, "XPENDING siaga:{plk}:reports triage");
  CHECK(reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1);
  CHECK_INT_EQ(reply->element[0]->integer, 0);
  freeReplyObject(reply);
  sg_triage_stop(t);
  sg_triage_destroy(t);
  redisFree(c);
}

int main(void) {
  start_redis();
  RUN_TEST(test_transition_shape);
  RUN_TEST(test_transition_open_join_conflict);
  RUN_TEST(test_transition_command);
  RUN_TEST(test_transition_refusals);
  RUN_TEST(test_match_decision);
  RUN_TEST(test_match_one_report);
  RUN_TEST(test_batch);
  stop_redis();
  CHECK_DONE();
}
