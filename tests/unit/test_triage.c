/* Unit tests of the worker's pure incident building (no Redis). */
#include "triage_incident.h"

#include <string.h>

#include "check.h"
#include "utf8.h"

/* Code points in a UTF-8 string: every byte that is not a continuation. */
static size_t utf8_count(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

#define NOW 1700000000000LL

static sg_triage_arena arena;

static Siaga__V1__Location loc_point = SIAGA__V1__LOCATION__INIT;

static Siaga__V1__Report make_report(const char *id, const char *category, const char *text) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  loc_point.lat = -2.2096;
  loc_point.lon = 113.9135;
  loc_point.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_DEVICE;
  r.id = (char *)id;
  r.category = (char *)category;
  r.description = (char *)text;
  r.location = &loc_point;
  r.received_at_ms = NOW;
  return r;
}

/* Round-trips through the wire format, as the worker reads a candidate back
 * from Redis, so attach works on what unpack produces. */
static Siaga__V1__Incident *roundtrip(const Siaga__V1__Incident *inc) {
  size_t len;
  uint8_t *pb = sg_triage_pack(&arena, &inc->base, &len);
  CHECK(pb != NULL);
  Siaga__V1__Incident *back = siaga__v1__incident__unpack(&arena.allocator, len, pb);
  CHECK(back != NULL);
  return back;
}

static void check_reasons_unique(const Siaga__V1__Incident *inc) {
  for (size_t i = 0; i < inc->n_reasons; i++)
    for (size_t j = i + 1; j < inc->n_reasons; j++)
      CHECK(strcmp(inc->reasons[i]->rule, inc->reasons[j]->rule) != 0);
}

static void test_incident_id(void) {
  char buf[SG_TRIAGE_ID_MAX];
  CHECK_INT_EQ(sg_triage_incident_id(buf, sizeof(buf), "plk", 42), 10);
  CHECK_STR_EQ(buf, "PLK-000042");
  CHECK_INT_EQ(sg_triage_incident_id(buf, sizeof(buf), "plk", 1234567), 11);
  CHECK_STR_EQ(buf, "PLK-1234567");
  CHECK_INT_EQ(sg_triage_incident_id(buf, 8, "plk", 1), -1);
  CHECK_INT_EQ(sg_triage_incident_id(buf, sizeof(buf), "plk", -1), -1);
}

static void test_arena_limit(void) {
  sg_triage_arena a;
  sg_triage_arena_init(&a, 100000);
  void *p = sg_triage_arena_alloc(&a, 3);
  void *q = sg_triage_arena_alloc(&a, 5);
  CHECK(p != NULL && q != NULL);
  CHECK_INT_EQ((uintptr_t)q % sizeof(max_align_t), 0);
  CHECK(sg_triage_arena_alloc(&a, 50000) != NULL); /* larger than a chunk */
  CHECK(sg_triage_arena_alloc(&a, 60000) == NULL); /* over the limit */
  CHECK(sg_triage_arena_alloc(&a, (size_t)-8) == NULL);
  sg_triage_arena_reset(&a);
  CHECK_INT_EQ(a.used, 0);
  CHECK(sg_triage_arena_alloc(&a, 60000) != NULL);
  sg_triage_arena_reset(&a);
}

static void test_open(void) {
  Siaga__V1__Report r = make_report("r-1", "fire", "Kebakaran rumah, ada anak terjebak");
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident inc;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000001", NOW, &inc), 0);
  Siaga__V1__Incident *back = roundtrip(&inc);
  CHECK_STR_EQ(back->id, "PLK-000001");
  CHECK_INT_EQ(back->status, SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  CHECK_INT_EQ(back->version, 1);
  CHECK_STR_EQ(back->category, res.category);
  CHECK_INT_EQ(back->score, res.score);
  CHECK_INT_EQ(back->priority, sg_rules_priority(back->score));
  CHECK_INT_EQ(back->n_reasons, res.n_reasons);
  CHECK_STR_EQ(back->summary, "Kebakaran rumah, ada anak terjebak");
  CHECK_INT_EQ(back->n_report_ids, 1);
  CHECK_STR_EQ(back->report_ids[0], "r-1");
  CHECK(back->location != NULL);
  CHECK_DBL_NEAR(back->location->lat, -2.2096, 1e-9);
  CHECK_INT_EQ(back->created_at_ms, NOW);
  CHECK_INT_EQ(back->updated_at_ms, NOW);
}

static void test_open_without_text_uses_address(void) {
  Siaga__V1__Report r = make_report("r-2", "flood", "");
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  loc.address = "Jl. Tjilik Riwut km 5";
  r.location = &loc;
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident inc;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000002", NOW, &inc), 0);
  CHECK_STR_EQ(inc.summary, "Jl. Tjilik Riwut km 5");
}

static void test_summary_bounded(void) {
  /* 400 two-byte code points: cut to 279 of them plus an ellipsis. */
  char text[801];
  for (int i = 0; i < 400; i++)
    memcpy(text + 2 * i, "\xC3\xA9", 2); /* é */
  text[800] = '\0';
  Siaga__V1__Report r = make_report("r-3", "other", text);
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident inc;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000003", NOW, &inc), 0);
  size_t len = strlen(inc.summary);
  CHECK(sg_utf8_valid(inc.summary, len));
  CHECK_INT_EQ(utf8_count(inc.summary, len), SG_TRIAGE_SUMMARY_MAX);
  CHECK_INT_EQ(len, 2 * (SG_TRIAGE_SUMMARY_MAX - 1) + 3);
  CHECK_STR_EQ(inc.summary + len - 3, "\xE2\x80\xA6");

  /* A full summary takes no more text. */
  Siaga__V1__Report r2 = make_report("r-4", "other", "lagi");
  Siaga__V1__Incident next;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, &inc, &r2, &res, NOW + 1, &next), 0);
  CHECK_STR_EQ(next.summary, inc.summary);
  CHECK_INT_EQ(next.n_report_ids, 2);
}

static void test_attach(void) {
  Siaga__V1__Report r1 = make_report("r-10", "fire", "Kebakaran rumah di Jl. Rajawali");
  Siaga__V1__Report r2 = make_report("r-11", "fire", "api besar, ada orang terjebak di dalam");
  Siaga__V1__Report r3 = make_report("r-12", "fire", "api besar, ada orang terjebak di dalam");
  sg_rules_result res1, res2, res3;
  sg_rules_evaluate(&r1, &res1);
  sg_rules_evaluate(&r2, &res2);
  sg_rules_evaluate(&r3, &res3);

  Siaga__V1__Incident opened;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r1, &res1, "PLK-000010", NOW, &opened), 0);
  Siaga__V1__Incident *cur = roundtrip(&opened);

  Siaga__V1__Incident two;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &r2, &res2, NOW + 1000, &two), 0);
  Siaga__V1__Incident *after2 = roundtrip(&two);
  CHECK_INT_EQ(after2->version, 2);
  CHECK_INT_EQ(after2->n_report_ids, 2);
  CHECK_STR_EQ(after2->report_ids[1], "r-11");
  CHECK_STR_EQ(after2->summary,
               "Kebakaran rumah di Jl. Rajawali | api besar, ada orang terjebak di dalam");
  CHECK_STR_EQ(after2->id, "PLK-000010");
  CHECK_INT_EQ(after2->status, SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN);
  CHECK_INT_EQ(after2->created_at_ms, NOW);
  CHECK_INT_EQ(after2->updated_at_ms, NOW + 1000);
  CHECK(after2->score >= res1.score && after2->score >= res2.score);
  CHECK(after2->score <= 100);
  CHECK_INT_EQ(after2->priority, sg_rules_priority(after2->score));
  check_reasons_unique(after2);

  /* The third report repeats the second's text: the summary stays, the
   * corroboration bonus is replaced, not stacked. */
  Siaga__V1__Incident three;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, after2, &r3, &res3, NOW + 2000, &three), 0);
  Siaga__V1__Incident *after3 = roundtrip(&three);
  CHECK_INT_EQ(after3->version, 3);
  CHECK_INT_EQ(after3->n_report_ids, 3);
  CHECK_STR_EQ(after3->summary, after2->summary);
  CHECK(after3->score >= after2->score);
  check_reasons_unique(after3);

  /* One corroboration reason, for three reports. */
  sg_rules_result bonus3;
  memset(&bonus3, 0, sizeof(bonus3));
  sg_rules_corroborate(&bonus3, 3);
  CHECK_INT_EQ(bonus3.n_reasons, 1);
  int found = 0;
  for (size_t i = 0; i < after3->n_reasons; i++) {
    if (strcmp(after3->reasons[i]->rule, bonus3.reasons[0].rule) == 0) {
      found++;
      CHECK_INT_EQ(after3->reasons[i]->points, bonus3.reasons[0].points);
    }
  }
  CHECK_INT_EQ(found, 1);

  /* The same report again (a replay reaching the builder) is not listed twice. */
  Siaga__V1__Incident again;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, after3, &r3, &res3, NOW + 3000, &again), 0);
  CHECK_INT_EQ(again.n_report_ids, 3);
}

static void test_matches(void) {
  Siaga__V1__Incident inc = SIAGA__V1__INCIDENT__INIT;
  inc.category = "fire";
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_DISPATCHED;
  inc.updated_at_ms = NOW - SG_TRIAGE_DEDUP_WINDOW_MS;
  CHECK(sg_triage_incident_matches(&inc, "fire", NOW));
  CHECK(!sg_triage_incident_matches(&inc, "flood", NOW));
  CHECK(!sg_triage_incident_matches(&inc, "fire", NOW + 1));
  inc.updated_at_ms = NOW + 5000; /* changed after the report was made */
  CHECK(sg_triage_incident_matches(&inc, "fire", NOW));
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED;
  CHECK(!sg_triage_incident_matches(&inc, "fire", NOW));
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED;
  CHECK(!sg_triage_incident_matches(&inc, "fire", NOW));
}

int main(void) {
  sg_triage_arena_init(&arena, 1u << 20);
  RUN_TEST(test_incident_id);
  RUN_TEST(test_arena_limit);
  RUN_TEST(test_open);
  RUN_TEST(test_open_without_text_uses_address);
  RUN_TEST(test_summary_bounded);
  RUN_TEST(test_attach);
  RUN_TEST(test_matches);
  sg_triage_arena_reset(&arena);
  CHECK_DONE();
}
