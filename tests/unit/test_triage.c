/* Unit tests of the worker's pure incident building (no Redis). */
#include "triage/incident.h"

#include <string.h>

#include "check.h"
#include "core/utf8.h"
#include "incident_check.h"

/* Code points in a UTF-8 string: every byte that is not a continuation. */
static size_t utf8_count(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

#define NOW 1700000000000LL

static sg_arena arena;

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
  sg_arena a;
  sg_arena_init(&a, 100000);
  void *p = sg_arena_alloc(&a, 3);
  void *q = sg_arena_alloc(&a, 5);
  CHECK(p != NULL && q != NULL);
  CHECK_INT_EQ((uintptr_t)q % _Alignof(max_align_t), 0);
  CHECK(sg_arena_alloc(&a, 50000) != NULL); /* larger than a chunk */
  CHECK_INT_EQ(a.exhausted, 0);
  CHECK(sg_arena_alloc(&a, 60000) == NULL); /* over the limit */
  CHECK_INT_EQ(a.exhausted, 1);
  CHECK(sg_arena_alloc(&a, (size_t)-8) == NULL);
  sg_arena_reset(&a);
  CHECK_INT_EQ(a.used, 0);
  CHECK_INT_EQ(a.exhausted, 0);
  CHECK(sg_arena_alloc(&a, 60000) != NULL);
  sg_arena_reset(&a);
}

static void test_open(void) {
  Siaga__V1__Report r = make_report("r-1", "fire", "Kebakaran rumah, ada anak terjebak");
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident inc;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000001", NOW, &inc), 0);
  Siaga__V1__Incident *back = incident_roundtrip(&arena, &inc);
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
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, &inc, &r2, &res, SG_TRIAGE_LINK_NEARBY, NOW + 1,
                                         &next),
               0);
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
  Siaga__V1__Incident *cur = incident_roundtrip(&arena, &opened);

  Siaga__V1__Incident two;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &r2, &res2, SG_TRIAGE_LINK_NEARBY,
                                         NOW + 1000, &two),
               0);
  Siaga__V1__Incident *after2 = incident_roundtrip(&arena, &two);
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
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, after2, &r3, &res3, SG_TRIAGE_LINK_NEARBY,
                                         NOW + 2000, &three),
               0);
  Siaga__V1__Incident *after3 = incident_roundtrip(&arena, &three);
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
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, after3, &r3, &res3, SG_TRIAGE_LINK_NEARBY,
                                         NOW + 3000, &again),
               0);
  CHECK_INT_EQ(again.n_report_ids, 3);
}

/* A fire reported a hundred times: the incident counts every report, but
 * carries only the first and the latest ids, so its updates stay small. */
static void test_report_ids_bounded(void) {
  static char ids[120][16];
  Siaga__V1__Report r = make_report("r-0", "fire", "Kebakaran rumah di Jl. Rajawali");
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident opened;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000020", NOW, &opened), 0);
  CHECK_INT_EQ(opened.report_count, 1);
  Siaga__V1__Incident *cur = incident_roundtrip(&arena, &opened);
  size_t largest = 0;
  for (int i = 1; i < 120; i++) {
    snprintf(ids[i], sizeof(ids[i]), "r-%d", i);
    Siaga__V1__Report ri = make_report(ids[i], "fire", "api besar");
    Siaga__V1__Incident next;
    CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &ri, &res, SG_TRIAGE_LINK_NEARBY,
                                           NOW + i, &next),
                 0);
    cur = incident_roundtrip(&arena, &next);
    CHECK_INT_EQ(cur->report_count, i + 1);
    CHECK_INT_EQ(cur->n_report_ids, (size_t)(i + 1 < SG_TRIAGE_REPORT_IDS_MAX
                                                 ? i + 1
                                                 : SG_TRIAGE_REPORT_IDS_MAX));
    CHECK_STR_EQ(cur->report_ids[0], "r-0");
    CHECK_STR_EQ(cur->report_ids[cur->n_report_ids - 1], ids[i]);
    size_t size = siaga__v1__incident__get_packed_size(cur);
    largest = size > largest ? size : largest;
  }
  /* The latest 49 after the first, in order. */
  for (size_t k = 1; k < cur->n_report_ids; k++)
    CHECK_STR_EQ(cur->report_ids[k], ids[119 - (SG_TRIAGE_REPORT_IDS_MAX - 1) + k]);
  CHECK(largest < 4096);
  /* The bonus counts every report, not the ids carried. */
  sg_rules_result all;
  memset(&all, 0, sizeof(all));
  sg_rules_corroborate(&all, 120);
  int found = 0;
  for (size_t i = 0; i < cur->n_reasons; i++)
    found += strcmp(cur->reasons[i]->rule, all.reasons[0].rule) == 0 &&
             cur->reasons[i]->points == all.reasons[0].points &&
             strcmp(cur->reasons[i]->detail, all.reasons[0].detail) == 0;
  CHECK_INT_EQ(found, 1);
  /* A replay of a report still carried adds nothing. */
  Siaga__V1__Report again = make_report(ids[119], "fire", "api besar");
  Siaga__V1__Incident same;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &again, &res, SG_TRIAGE_LINK_NEARBY,
                                         NOW + 200, &same),
               0);
  CHECK_INT_EQ(same.report_count, 120);
  CHECK_INT_EQ(same.n_report_ids, SG_TRIAGE_REPORT_IDS_MAX);
}

/* The batch compares distances it computes with GEOSEARCH's: they must
 * agree with Redis (values from GEODIST and GEOSEARCH ... WITHDIST on Redis
 * 7, which measure from a member's 52-bit geohash cell, hence the
 * tolerance). */
static void test_distance(void) {
  const double lat = -2.2096, lon = 113.9135;
  CHECK_DBL_NEAR(sg_triage_distance_m(lat, lon, lat, lon), 0.0, 1e-9);
  CHECK_DBL_NEAR(sg_triage_distance_m(lat, lon, lat + 0.0027, lon), 300.311, 0.001);
  CHECK_DBL_NEAR(sg_triage_distance_m(lat, lon, lat + 0.0027, lon), 299.899, 0.5); /* GEODIST */
  CHECK_DBL_NEAR(sg_triage_distance_m(lat, lon, lat, lon + 0.0027), 300.088, 0.001);
  CHECK_DBL_NEAR(sg_triage_distance_m(lat, lon, lat, lon + 0.0027), 299.900, 0.5); /* GEOSEARCH */
  CHECK_DBL_NEAR(sg_triage_distance_m(0, 0, 0, 0.0027), 300.311, 0.001);
  /* Palangka Raya to Jakarta: GEODIST 901268.3681 m. */
  CHECK_DBL_NEAR(sg_triage_distance_m(lat, lon, -6.2088, 106.8456), 901268.37, 0.5);
  /* Symmetric, and one dedup radius is one dedup radius either way. */
  CHECK_DBL_NEAR(sg_triage_distance_m(-6.2088, 106.8456, lat, lon),
                 sg_triage_distance_m(lat, lon, -6.2088, 106.8456), 1e-6);
  CHECK(sg_triage_distance_m(lat, lon, lat + 0.0026, lon) <= SG_TRIAGE_DEDUP_RADIUS_M);
  CHECK(sg_triage_distance_m(lat, lon, lat + 0.0028, lon) > SG_TRIAGE_DEDUP_RADIUS_M);
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

/* ---- callers: AML, category takeover, flags ---- */

static Siaga__V1__Location loc_aml = SIAGA__V1__LOCATION__INIT;
static Siaga__V1__Location loc_gaz = SIAGA__V1__LOCATION__INIT;
static Siaga__V1__Reporter caller = SIAGA__V1__REPORTER__INIT;

/* An AML message as sms.c builds it: no category, the handset's fix. */
static Siaga__V1__Report make_aml(const char *id, double accuracy_m) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  loc_aml.lat = -2.21;
  loc_aml.lon = 113.91;
  loc_aml.accuracy_m = accuracy_m;
  loc_aml.confidence = 0.68;
  loc_aml.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML;
  caller.phone = "+6281111111111";
  r.id = (char *)id;
  r.channel = SIAGA__V1__CHANNEL__CHANNEL_AML;
  r.reporter = &caller;
  r.description = "AML location (gnss)";
  r.location = &loc_aml;
  r.received_at_ms = NOW;
  return r;
}

/* A text SMS naming a kelurahan: its approximate centroid. */
static Siaga__V1__Report make_sms(const char *id, const char *text) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  loc_gaz.lat = -2.2;
  loc_gaz.lon = 113.9;
  loc_gaz.accuracy_m = 1500;
  loc_gaz.confidence = 0.6;
  loc_gaz.address = "Kel. Langkai";
  loc_gaz.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_GAZETTEER;
  caller.phone = "+6281111111111";
  r.id = (char *)id;
  r.channel = SIAGA__V1__CHANNEL__CHANNEL_SMS;
  r.reporter = &caller;
  r.description = (char *)text;
  r.location = &loc_gaz;
  r.received_at_ms = NOW;
  return r;
}

static void test_links_caller(void) {
  Siaga__V1__Report sms = make_sms("r-20", "tolong");
  CHECK(sg_triage_report_links_caller(&sms));
  Siaga__V1__Report aml = make_aml("r-21", 30);
  CHECK(sg_triage_report_links_caller(&aml));
  Siaga__V1__Report app = make_report("r-22", "fire", "api");
  app.reporter = &caller;
  CHECK(sg_triage_report_links_caller(&app)); /* one number, one reporter, any channel */
  Siaga__V1__Reporter nobody = SIAGA__V1__REPORTER__INIT;
  sms.reporter = &nobody;
  CHECK(!sg_triage_report_links_caller(&sms));
  sms.reporter = NULL;
  CHECK(!sg_triage_report_links_caller(&sms));

  Siaga__V1__Incident inc = SIAGA__V1__INCIDENT__INIT;
  inc.category = "flood"; /* any category */
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_ACKNOWLEDGED;
  inc.updated_at_ms = NOW - 30 * 60 * 1000;
  CHECK(sg_triage_incident_matches_caller(&inc, NOW));
  /* A reply joins for as long as the incident is open, not 30 minutes. */
  CHECK(sg_triage_incident_matches_caller(&inc, NOW + 6 * 3600 * 1000LL));
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED;
  CHECK(!sg_triage_incident_matches_caller(&inc, NOW));
}

static void test_location_better(void) {
  Siaga__V1__Location none = SIAGA__V1__LOCATION__INIT;
  Siaga__V1__Location aml30 = SIAGA__V1__LOCATION__INIT, aml10, aml_unknown, gaz, text,
                      device50, device20;
  aml30.lat = -2.21;
  aml30.lon = 113.91;
  aml30.accuracy_m = 30;
  aml30.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML;
  aml10 = aml30;
  aml10.accuracy_m = 10;
  aml_unknown = aml30;
  aml_unknown.accuracy_m = 0;
  gaz = aml30;
  gaz.accuracy_m = 1500;
  gaz.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_GAZETTEER;
  text = none;
  text.address = "Jl. Rajawali";
  text.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT;
  device50 = aml30;
  device50.accuracy_m = 50;
  device50.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_DEVICE;
  device20 = device50;
  device20.accuracy_m = 20;

  /* No coordinates, or an estimate: any AML fix is better. */
  CHECK(sg_triage_location_better(&aml30, NULL));
  CHECK(sg_triage_location_better(&aml30, &none));
  CHECK(sg_triage_location_better(&aml30, &text));
  CHECK(sg_triage_location_better(&aml30, &gaz));
  CHECK(sg_triage_location_better(&aml_unknown, &gaz));
  /* A measured point only gives way to a smaller radius. */
  CHECK(sg_triage_location_better(&aml30, &device50));
  CHECK(!sg_triage_location_better(&aml30, &device20));
  CHECK(sg_triage_location_better(&aml10, &aml30));
  CHECK(!sg_triage_location_better(&aml30, &aml10));
  CHECK(!sg_triage_location_better(&aml30, &aml30));
  CHECK(!sg_triage_location_better(&aml_unknown, &device50));
  /* Without coordinates nothing replaces anything; a non-AML point only
   * fills a gap. */
  CHECK(!sg_triage_location_better(&none, NULL));
  CHECK(!sg_triage_location_better(&text, &none));
  CHECK(!sg_triage_location_better(NULL, &none));
  CHECK(sg_triage_location_better(&gaz, &text));
  CHECK(!sg_triage_location_better(&gaz, &device50));
  CHECK(!sg_triage_location_better(&device20, &device50));
}

static void test_aml_opens(void) {
  Siaga__V1__Report r = make_aml("r-30", 30);
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident inc;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000030", NOW, &inc), 0);
  Siaga__V1__Incident *back = incident_roundtrip(&arena, &inc);
  CHECK_STR_EQ(back->category, "unknown");
  CHECK_INT_EQ(back->score, res.score); /* someone in distress: the base score stays */
  CHECK(back->score > 0);
  CHECK_STR_EQ(back->summary, "AML location (gnss)");
  CHECK_INT_EQ(back->location->source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML);
  const Siaga__V1__ScoreReason *aml = reason(back, "location.aml");
  CHECK(aml != NULL);
  CHECK_INT_EQ(aml->points, 0);
  CHECK(strstr(aml->detail, "30 m") != NULL);
  CHECK_INT_EQ(back->n_reasons, res.n_reasons + 1);

  /* Without a fix: no location, no location reason. */
  Siaga__V1__Report nofix = make_aml("r-31", 0);
  nofix.location = NULL;
  nofix.description = "AML: the handset had no position";
  sg_rules_evaluate(&nofix, &res);
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &nofix, &res, "PLK-000031", NOW, &inc), 0);
  CHECK(inc.location == NULL);
  CHECK(reason(&inc, "location.aml") == NULL);
}

static void test_aml_sharpens_text_incident(void) {
  Siaga__V1__Report text = make_sms("r-40", "kebakaran rumah di kelurahan langkai, tolong");
  sg_rules_result res_text;
  sg_rules_evaluate(&text, &res_text);
  CHECK_STR_EQ(res_text.category, "fire");
  Siaga__V1__Incident opened;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &text, &res_text, "PLK-000040", NOW, &opened), 0);
  Siaga__V1__Incident *cur = incident_roundtrip(&arena, &opened);
  CHECK(reason(cur, "location.aml") == NULL);

  Siaga__V1__Report aml = make_aml("r-41", 30);
  sg_rules_result res_aml;
  sg_rules_evaluate(&aml, &res_aml);
  Siaga__V1__Incident next;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &aml, &res_aml, SG_TRIAGE_LINK_CALLER,
                                         NOW + 1000, &next), 0);
  Siaga__V1__Incident *after = incident_roundtrip(&arena, &next);
  CHECK_INT_EQ(after->n_report_ids, 2);
  CHECK_STR_EQ(after->category, "fire");
  CHECK_INT_EQ(after->location->source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML);
  CHECK_DBL_NEAR(after->location->lat, -2.21, 1e-9);
  CHECK_DBL_NEAR(after->location->lon, 113.91, 1e-9);
  CHECK_DBL_NEAR(after->location->accuracy_m, 30, 1e-9);
  CHECK_DBL_NEAR(after->location->confidence, 0.68, 1e-9);
  CHECK_STR_EQ(after->location->address, "Kel. Langkai"); /* the typed place stays */
  const Siaga__V1__ScoreReason *sr = reason(after, "location.aml");
  CHECK(sr != NULL);
  CHECK_INT_EQ(sr->points, 0);
  CHECK(strstr(sr->detail, "Lokasi dari AML") != NULL && strstr(sr->detail, "(location") != NULL);
  /* The handset's line is not the caller's words, and the same caller
   * corroborates nothing: summary and score stay. */
  CHECK_STR_EQ(after->summary, cur->summary);
  CHECK_INT_EQ(after->score, cur->score);
  CHECK(reason(after, "category.unknown") == NULL);
  check_reasons_unique(after);

  /* A coarser fix later changes nothing about the place. */
  Siaga__V1__Report coarse = make_aml("r-42", 80);
  loc_aml.lat = -2.30;
  Siaga__V1__Incident third;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, after, &coarse, &res_aml, SG_TRIAGE_LINK_CALLER,
                                         NOW + 2000, &third), 0);
  CHECK_DBL_NEAR(third.location->lat, -2.21, 1e-9);
  CHECK_DBL_NEAR(third.location->accuracy_m, 30, 1e-9);
  CHECK_STR_EQ(reason(&third, "location.aml")->detail, sr->detail);

  /* A sharper one moves it, and says so once. */
  Siaga__V1__Report sharp = make_aml("r-43", 8);
  Siaga__V1__Incident fourth;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, incident_roundtrip(&arena, &third), &sharp, &res_aml,
                                         SG_TRIAGE_LINK_CALLER, NOW + 3000, &fourth), 0);
  CHECK_DBL_NEAR(fourth.location->accuracy_m, 8, 1e-9);
  CHECK(strstr(reason(&fourth, "location.aml")->detail, "8 m") != NULL);
  check_reasons_unique(&fourth);
}

static void test_text_takes_over_aml_incident(void) {
  Siaga__V1__Report aml = make_aml("r-50", 30);
  sg_rules_result res_aml;
  sg_rules_evaluate(&aml, &res_aml);
  Siaga__V1__Incident opened;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &aml, &res_aml, "PLK-000050", NOW, &opened), 0);
  Siaga__V1__Incident *cur = incident_roundtrip(&arena, &opened);

  Siaga__V1__Report text = make_sms("r-51", "kebakaran rumah di kelurahan langkai, tolong");
  sg_rules_result res_text;
  sg_rules_evaluate(&text, &res_text);

  /* A neighbour's text does not take over: only the same caller's. */
  Siaga__V1__Incident nearby;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &text, &res_text, SG_TRIAGE_LINK_NEARBY,
                                         NOW + 1000, &nearby), 0);
  CHECK_STR_EQ(nearby.category, "unknown");

  Siaga__V1__Incident next;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &text, &res_text, SG_TRIAGE_LINK_CALLER,
                                         NOW + 1000, &next), 0);
  Siaga__V1__Incident *after = incident_roundtrip(&arena, &next);
  CHECK_STR_EQ(after->category, "fire");
  CHECK_INT_EQ(after->score, res_text.score); /* the text's score, not the AML's */
  CHECK_INT_EQ(after->priority, res_text.priority);
  CHECK(reason(after, "category.unknown") == NULL);
  CHECK(reason(after, "category.fire") != NULL);
  for (size_t i = 0; i < res_text.n_reasons; i++)
    CHECK(reason(after, res_text.reasons[i].rule) != NULL);
  CHECK(reason(after, "location.aml") != NULL);
  CHECK_INT_EQ(after->location->source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML);
  CHECK_DBL_NEAR(after->location->accuracy_m, 30, 1e-9);
  CHECK_STR_EQ(after->summary,
               "kebakaran rumah di kelurahan langkai, tolong | AML location (gnss)");
  CHECK_INT_EQ(after->score, reasons_sum(after));
  check_reasons_unique(after);

  /* A later message about something else keeps the category and adds its
   * cues, without a second base score. */
  Siaga__V1__Report more = make_sms("r-52", "ada orang pingsan");
  more.location = NULL;
  sg_rules_result res_more;
  sg_rules_evaluate(&more, &res_more);
  CHECK_STR_EQ(res_more.category, "medical");
  Siaga__V1__Incident third;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, after, &more, &res_more, SG_TRIAGE_LINK_CALLER,
                                         NOW + 2000, &third), 0);
  CHECK_STR_EQ(third.category, "fire");
  CHECK(reason(&third, "category.medical") == NULL);
  CHECK(reason(&third, "cue.unconscious") != NULL);
  CHECK(third.score > after->score);
  CHECK_INT_EQ(third.score, reasons_sum(&third));

  /* "other" is no category to take over with: it would lower the score. */
  /* (A snake is "animal" since issue 13: a real category, so a text
   * without one is used here.) */
  Siaga__V1__Report other = make_sms("r-53", "ada yang aneh di dapur");
  other.category = "other";
  sg_rules_result res_other;
  sg_rules_evaluate(&other, &res_other);
  Siaga__V1__Incident kept;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &other, &res_other, SG_TRIAGE_LINK_CALLER,
                                         NOW + 1000, &kept), 0);
  CHECK_STR_EQ(kept.category, "unknown");
  CHECK(kept.score >= cur->score);

  /* Nor is "nonemergency": thanks after a plea must not lower it to P4. */
  Siaga__V1__Report thanks = make_sms("r-54", "ada yang aneh, terima kasih");
  thanks.category = "nonemergency";
  sg_rules_result res_thanks;
  sg_rules_evaluate(&thanks, &res_thanks);
  CHECK_STR_EQ(res_thanks.category, "nonemergency");
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &thanks, &res_thanks, SG_TRIAGE_LINK_CALLER,
                                         NOW + 1000, &kept), 0);
  CHECK_STR_EQ(kept.category, "unknown");
  CHECK(kept.score >= cur->score);
}

static void test_flag_reasons(void) {
  char *flags[] = {"prank_history", "rate_limited", "prank_history", "something_else"};
  Siaga__V1__Report r = make_sms("r-60", "kebakaran rumah, tolong");
  r.location = NULL;
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Report clean = r;
  r.flags = flags;
  r.n_flags = 4;

  Siaga__V1__Incident flagged, plain;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000060", NOW, &flagged), 0);
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &clean, &res, "PLK-000061", NOW, &plain), 0);
  const Siaga__V1__ScoreReason *prank = reason(&flagged, "flag.prank_history");
  const Siaga__V1__ScoreReason *rate = reason(&flagged, "flag.rate_limited");
  CHECK(prank != NULL && rate != NULL);
  CHECK_INT_EQ(prank->points, 0);
  CHECK_INT_EQ(rate->points, 0);
  CHECK_STR_EQ(prank->detail,
               "Nomor ini pernah ditandai laporan palsu (number previously marked as prank)");
  CHECK_STR_EQ(rate->detail, "Banyak pesan dari nomor ini dalam 10 menit (many messages from "
                             "this number in 10 minutes)");
  CHECK_INT_EQ(flagged.n_reasons, plain.n_reasons + 2); /* unknown flags are not shown */
  check_reasons_unique(&flagged);
  /* Never lower: a prank number's emergency ranks as anyone's. */
  CHECK_INT_EQ(flagged.score, plain.score);
  CHECK_INT_EQ(flagged.priority, plain.priority);

  /* More flagged reports: each flag still once; a clean one keeps them. */
  Siaga__V1__Incident *cur = incident_roundtrip(&arena, &flagged);
  Siaga__V1__Report r2 = r;
  r2.id = "r-61";
  Siaga__V1__Incident two;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &r2, &res, SG_TRIAGE_LINK_CALLER, NOW + 1,
                                         &two), 0);
  check_reasons_unique(&two);
  CHECK(reason(&two, "flag.prank_history") != NULL);
  Siaga__V1__Report r3 = clean;
  r3.id = "r-62";
  Siaga__V1__Incident three;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, incident_roundtrip(&arena, &two), &r3, &res,
                                         SG_TRIAGE_LINK_NEARBY, NOW + 2, &three), 0);
  check_reasons_unique(&three);
  CHECK(reason(&three, "flag.rate_limited") != NULL);
  CHECK(three.score >= flagged.score);

  /* A clean incident joined by a flagged report shows the flag, and its
   * priority does not drop. */
  Siaga__V1__Incident joined;
  Siaga__V1__Report r4 = r;
  r4.id = "r-63";
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, incident_roundtrip(&arena, &plain), &r4, &res,
                                         SG_TRIAGE_LINK_NEARBY, NOW + 3, &joined), 0);
  CHECK(reason(&joined, "flag.prank_history") != NULL);
  CHECK(joined.score >= plain.score);
  CHECK(joined.priority <= plain.priority); /* P1 = 1 is the most urgent */
}

static void test_notices_survive_full_reasons(void) {
  /* A text full of cues fills the rules' reason slots; the flag and the AML
   * notice are kept beside them all the same. */
  char *flags[] = {"prank_history"};
  Siaga__V1__Report r = make_sms(
      "r-70", "kebakaran, ledakan tabung gas, api besar merembet, ada anak dan nenek terjebak, "
              "korban pingsan tidak bernapas, sesak napas, berdarah, luka, hamil, meninggal, "
              "ada pisau, banyak korban, tenggelam, air sedada, tolong segera");
  r.flags = flags;
  r.n_flags = 1;
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  CHECK(res.n_reasons >= SG_RULES_MAX_REASONS - 1);
  Siaga__V1__Incident inc;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000070", NOW, &inc), 0);
  Siaga__V1__Report aml = make_aml("r-71", 30);
  aml.flags = flags;
  aml.n_flags = 1;
  sg_rules_result res_aml;
  sg_rules_evaluate(&aml, &res_aml);
  Siaga__V1__Incident next;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, incident_roundtrip(&arena, &inc), &aml, &res_aml,
                                         SG_TRIAGE_LINK_CALLER, NOW + 1, &next), 0);
  CHECK(reason(&next, "flag.prank_history") != NULL);
  CHECK(reason(&next, "location.aml") != NULL);
  CHECK_INT_EQ(next.score, inc.score);
  check_reasons_unique(&next);
}

int main(void) {
  sg_arena_init(&arena, 1u << 20);
  RUN_TEST(test_incident_id);
  RUN_TEST(test_arena_limit);
  RUN_TEST(test_open);
  RUN_TEST(test_open_without_text_uses_address);
  RUN_TEST(test_summary_bounded);
  RUN_TEST(test_attach);
  RUN_TEST(test_report_ids_bounded);
  RUN_TEST(test_distance);
  RUN_TEST(test_matches);
  RUN_TEST(test_links_caller);
  RUN_TEST(test_location_better);
  RUN_TEST(test_aml_opens);
  RUN_TEST(test_aml_sharpens_text_incident);
  RUN_TEST(test_text_takes_over_aml_incident);
  RUN_TEST(test_flag_reasons);
  RUN_TEST(test_notices_survive_full_reasons);
  sg_arena_reset(&arena);
  CHECK_DONE();
}
