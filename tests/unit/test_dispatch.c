/* The pure parts of dispatch: the unit kinds file, the unit status table,
 * ids and phones, the crew's view of an incident. */
#include "check.h"
#include "core/error.h"
#include "dispatch/dispatch.h"
#include "dispatch/kinds.h"
#include "dispatch/dispatch_internal.h"
#include "dispatch/smsword.h"
#include "dispatch/unitstatus.h"
#include "sms/gsm7.h"

#define S(x) SIAGA__V1__UNIT_STATUS__UNIT_STATUS_##x

static void test_builtin_kinds(void) {
  sg_kinds *k = NULL;
  int line = -1;
  CHECK_INT_EQ(sg_kinds_load(NULL, &k, &line), SG_OK);
  CHECK(sg_kinds_known(k, "ambulance"));
  CHECK(sg_kinds_answers(k, "ambulance", "medical"));
  CHECK(sg_kinds_answers(k, "fire", "land_fire"));
  CHECK(sg_kinds_answers(k, "sar_boat", "flood"));
  CHECK(!sg_kinds_answers(k, "sar_boat", "fire"));
  CHECK(!sg_kinds_answers(k, "tank", "fire"));
  CHECK(!sg_kinds_known(k, "tank"));
  char buf[256];
  CHECK(strstr(sg_kinds_list(k, buf, sizeof(buf)), "fire, ambulance") != NULL);
  sg_kinds_destroy(k);
}

static void test_the_file_in_the_tree_loads(void) {
  sg_kinds *k = NULL;
  int line = -1;
  CHECK_INT_EQ(sg_kinds_load("../data/unit_kinds.tsv", &k, &line), SG_OK);
  CHECK(sg_kinds_answers(k, "animal", "animal"));
  sg_kinds_destroy(k);
  CHECK_INT_EQ(sg_kinds_load("/nonexistent/kinds.tsv", &k, &line), SG_EIO);
}

static void test_bad_kinds_files(void) {
  sg_kinds *k = NULL;
  int line = 0;
  static const struct {
    const char *text;
    int line;
  } bad[] = {
      {"# header\nfire\tfire,flood\nfire\tmedical\n", 3}, /* a kind twice */
      {"fire\tfire,flod\n", 1},                           /* a typo of a category */
      {"Fire\tfire\n", 1},                                /* not [a-z_] */
      {"fire fire\n", 1},                                 /* no TAB */
      {"fire\tfire,\n", 1},                               /* trailing comma */
      {"fire\t\n", 1},                                    /* no category */
      {"# only comments\n\n", 0},                         /* no kind at all */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_INT_EQ(sg_kinds_load_buffer(bad[i].text, strlen(bad[i].text), &k, &line), SG_EFORMAT);
    CHECK(k == NULL);
    if (bad[i].line)
      CHECK_INT_EQ(line, bad[i].line);
  }
  const char *ok = "# c\r\nboat\tflood,rescue\r\n\r\n";
  CHECK_INT_EQ(sg_kinds_load_buffer(ok, strlen(ok), &k, &line), SG_OK);
  CHECK(sg_kinds_answers(k, "boat", "rescue"));
  sg_kinds_destroy(k);
}

static void test_status_table(void) {
  const int crew = SG_UNITSTATUS_CREW, disp = SG_UNITSTATUS_DISPATCH;
  /* The crew moves itself along the work... */
  CHECK(sg_unitstatus_allowed(S(EN_ROUTE), S(ON_SCENE), crew));
  CHECK(sg_unitstatus_allowed(S(ON_SCENE), S(TRANSPORTING), crew));
  CHECK(sg_unitstatus_allowed(S(TRANSPORTING), S(AT_HOSPITAL), crew));
  CHECK(sg_unitstatus_allowed(S(AT_HOSPITAL), S(RETURNING), crew));
  CHECK(sg_unitstatus_allowed(S(RETURNING), S(AVAILABLE), crew));
  CHECK(sg_unitstatus_allowed(S(AVAILABLE), S(OUT_OF_SERVICE), crew));
  /* ...but never out of ASSIGNED (it accepts or declines), nor into it. */
  CHECK(!sg_unitstatus_allowed(S(ASSIGNED), S(EN_ROUTE), crew));
  CHECK(!sg_unitstatus_allowed(S(ASSIGNED), S(AVAILABLE), crew));
  CHECK(!sg_unitstatus_allowed(S(AVAILABLE), S(ASSIGNED), crew));
  CHECK(!sg_unitstatus_allowed(S(AVAILABLE), S(EN_ROUTE), crew));
  CHECK(!sg_unitstatus_allowed(S(EN_ROUTE), S(AVAILABLE), crew));
  /* Assignments move it. */
  CHECK(sg_unitstatus_allowed(S(AVAILABLE), S(ASSIGNED), disp));
  CHECK(sg_unitstatus_allowed(S(RETURNING), S(ASSIGNED), disp));
  CHECK(sg_unitstatus_allowed(S(ASSIGNED), S(EN_ROUTE), disp));
  CHECK(!sg_unitstatus_allowed(S(OUT_OF_SERVICE), S(ASSIGNED), disp));
  CHECK(!sg_unitstatus_allowed(S(OFFLINE), S(ASSIGNED), disp));
  /* Never the same status, nor unknown values. */
  for (int s = 0; s <= 10; s++)
    CHECK(!sg_unitstatus_allowed((sg_unitstatus)s, (sg_unitstatus)s,
                                 crew | disp | SG_UNITSTATUS_DISPATCHER));
  CHECK(!sg_unitstatus_allowed((sg_unitstatus)99, S(AVAILABLE), crew));
  CHECK(sg_unitstatus_clears(S(ON_SCENE), S(RETURNING)));
  CHECK(sg_unitstatus_clears(S(AT_HOSPITAL), S(AVAILABLE)));
  CHECK(!sg_unitstatus_clears(S(ASSIGNED), S(AVAILABLE)));
  CHECK(!sg_unitstatus_clears(S(EN_ROUTE), S(AVAILABLE)));
  CHECK(sg_unitstatus_assignable(S(RETURNING)));
  CHECK(!sg_unitstatus_assignable(S(EN_ROUTE)));
  CHECK_STR_EQ(sg_unitstatus_name(S(AT_HOSPITAL)), "AT_HOSPITAL");
  CHECK_INT_EQ(sg_unitstatus_parse("on_scene"), S(ON_SCENE));
  CHECK_INT_EQ(sg_unitstatus_parse("UNIT_STATUS_OFFLINE"), S(OFFLINE));
  CHECK_INT_EQ(sg_unitstatus_parse("FLYING"), S(UNSPECIFIED));
}

static void test_ids_and_phones(void) {
  CHECK(sg_dispatch_unit_id_valid("AMB-01"));
  CHECK(sg_dispatch_unit_id_valid("D3"));
  CHECK(!sg_dispatch_unit_id_valid("A"));
  CHECK(!sg_dispatch_unit_id_valid("amb-01"));
  CHECK(!sg_dispatch_unit_id_valid("-AMB"));
  CHECK(!sg_dispatch_unit_id_valid("AMB:01"));
  CHECK(!sg_dispatch_unit_id_valid("ABCDEFGHIJKLMNOPQ")); /* 17 */
  CHECK(sg_dispatch_phone_valid("+6281234567890"));
  CHECK(!sg_dispatch_phone_valid("081234567890"));
  CHECK(!sg_dispatch_phone_valid("+62812 3456"));
  CHECK(!sg_dispatch_phone_valid("+1234567"));
}

static void test_crew_incident(void) {
  Siaga__V1__Incident inc = SIAGA__V1__INCIDENT__INIT;
  char *phones[] = {"+6281111111111"};
  inc.id = "PLK-000042";
  inc.category = "fire";
  inc.summary = "Kebakaran gudang | asap tebal";
  inc.phones = phones;
  inc.n_phones = 1;
  inc.version = 7;
  Siaga__V1__Assignment asg = SIAGA__V1__ASSIGNMENT__INIT;
  Siaga__V1__CrewIncident ci;
  sg_dispatch_crew_incident(&inc, &asg, &ci);
  CHECK_STR_EQ(ci.id, "PLK-000042");
  CHECK_INT_EQ(ci.version, 7);
  CHECK_INT_EQ(ci.n_phones, 0); /* not shared */
  CHECK_INT_EQ(ci.n_texts, 1);
  CHECK_STR_EQ(ci.texts[0], inc.summary);
  asg.share_caller = 1;
  sg_dispatch_crew_incident(&inc, &asg, &ci);
  CHECK_INT_EQ(ci.n_phones, 1);
  CHECK_STR_EQ(ci.phones[0], "+6281111111111");
  /* It packs: every pointer is a valid field. */
  uint8_t buf[512];
  CHECK(siaga__v1__crew_incident__get_packed_size(&ci) < sizeof(buf));
  siaga__v1__crew_incident__pack(&ci, buf);
}

static void test_sms_words(void) {
  static const struct {
    const char *text;
    sg_smsword_kind kind;
    const char *ref, *reason;
  } cases[] = {
      {"1", SG_SMSWORD_ACCEPT, "", ""},
      {" terima ", SG_SMSWORD_ACCEPT, "", ""},
      {"TERIMA PLK-000042", SG_SMSWORD_ACCEPT, "PLK-000042", ""},
      {"plk-000042 1", SG_SMSWORD_ACCEPT, "PLK-000042", ""},
      {"1 terima", SG_SMSWORD_ACCEPT, "", ""},
      {"2", SG_SMSWORD_DECLINE, "", ""},
      {"Tolak A-000007 ban bocor, maaf.", SG_SMSWORD_DECLINE, "A-000007", "ban bocor, maaf"},
      {"2 mobil rusak", SG_SMSWORD_DECLINE, "", "mobil rusak"},
      {"OTW", SG_SMSWORD_EN_ROUTE, "", ""},
      {"otw.", SG_SMSWORD_EN_ROUTE, "", ""},
      {"Tiba", SG_SMSWORD_ON_SCENE, "", ""},
      {"SELESAI PLK-000042", SG_SMSWORD_CLEAR, "PLK-000042", ""},
      /* not answers: a citizen-like text, a number that is not 1 or 2 */
      {"kebakaran di jalan 1", SG_SMSWORD_NONE, "", ""},
      {"3", SG_SMSWORD_NONE, "", ""},
      {"", SG_SMSWORD_NONE, "", ""},
      {"PLK-000042", SG_SMSWORD_NONE, "", ""},
      {"12", SG_SMSWORD_NONE, "", ""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sg_smsword w;
    CHECK_INT_EQ(sg_smsword_parse(cases[i].text, strlen(cases[i].text), &w), cases[i].kind);
    CHECK_STR_EQ(w.ref, cases[i].ref);
    CHECK_STR_EQ(w.reason, cases[i].reason);
  }
  /* A long reason is cut at a whole character within the limit. */
  char text[400] = "2 ";
  for (int i = 0; i < 120; i++)
    strcat(text, "\xc3\xa9"); /* é, two bytes each */
  sg_smsword w;
  sg_smsword_parse(text, strlen(text), &w);
  CHECK_INT_EQ(strlen(w.reason), SG_SMSWORD_REASON_MAX);
}

static void test_offer_text(void) {
  Siaga__V1__Incident inc = SIAGA__V1__INCIDENT__INIT;
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  inc.id = "PLK-000042";
  inc.priority = SIAGA__V1__PRIORITY__P1;
  inc.category = "fire";
  loc.address = "Jl. Tjilik Riwut km 5";
  loc.lat = -2.2096;
  loc.lon = 113.9135;
  inc.location = &loc;
  char buf[200];
  CHECK(sg_dispatch__offer_text(buf, sizeof(buf), &inc) > 0);
  CHECK_STR_EQ(buf, "SIAGA TUGAS PLK-000042 P1 Kebakaran, Jl. Tjilik Riwut km 5 "
                    "(-2.20960,113.91350). Balas 1 terima, 2 tolak.");
  /* A long address with characters outside GSM 7-bit still makes one SMS. */
  char address[800] = "";
  for (int i = 0; i < 30; i++)
    strcat(address, "Jalan \xe2\x80\x94 [x] ");
  loc.address = address;
  long n = sg_dispatch__offer_text(buf, sizeof(buf), &inc);
  CHECK(n > 0);
  CHECK(sg_gsm7_septets(buf, (size_t)n) <= SG_GSM7_SMS_SEPTETS);
  CHECK(strstr(buf, "(-2.20960,113.91350). Balas 1 terima, 2 tolak.") != NULL);
  /* Nothing known of the place. */
  inc.location = NULL;
  inc.category = "medical";
  inc.priority = SIAGA__V1__PRIORITY__P3;
  CHECK(sg_dispatch__offer_text(buf, sizeof(buf), &inc) > 0);
  CHECK_STR_EQ(buf,
               "SIAGA TUGAS PLK-000042 P3 Medis, lokasi belum jelas. Balas 1 terima, 2 tolak.");
}

int main(void) {
  RUN_TEST(test_builtin_kinds);
  RUN_TEST(test_the_file_in_the_tree_loads);
  RUN_TEST(test_bad_kinds_files);
  RUN_TEST(test_status_table);
  RUN_TEST(test_ids_and_phones);
  RUN_TEST(test_crew_incident);
  RUN_TEST(test_sms_words);
  RUN_TEST(test_offer_text);
  CHECK_DONE();
}
