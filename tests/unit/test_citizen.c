/* citizen/: what a reporter is told (status words from an incident), what
 * an id and a token must look like, the SMS acknowledgement with its link,
 * and the app's number normalised. */
#include <string.h>

#include "check.h"
#include "citizen/lookup.h"
#include "citizen/status.h"
#include "sms/gsm7.h"
#include "sms/replies.h"
#include "wire/report.h"

static void test_status_words(void) {
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(NULL)), "received");
  Siaga__V1__Incident inc = SIAGA__V1__INCIDENT__INIT;
  Siaga__V1__StepTimes times = SIAGA__V1__STEP_TIMES__INIT;
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "received");
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_ACKNOWLEDGED;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "assessing");
  /* A unit that accepted is help on the way before the console says so. */
  Siaga__V1__Assignment a = SIAGA__V1__ASSIGNMENT__INIT, *as[] = {&a};
  a.state = SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_ACCEPTED;
  inc.assignments = as;
  inc.n_assignments = 1;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "on_the_way");
  a.state = SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_DECLINED;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "assessing");
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_DISPATCHED;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "on_the_way");
  inc.times = &times;
  times.on_scene_at_ms = 1764740000000;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "arrived");
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "handled");
  inc.status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED;
  CHECK_STR_EQ(sg_citizen_status_name(sg_citizen_status_of(&inc)), "handled");

  /* Only the reporter's view is filled: the id, the status, the words. */
  Siaga__V1__ReportStatus st;
  Siaga__V1__StatusText text;
  inc.id = "PLK-000042";
  inc.priority = SIAGA__V1__PRIORITY__P1;
  inc.updated_at_ms = 42;
  sg_citizen_status_fill(&st, &text, "r-x", &inc);
  CHECK_STR_EQ(st.report_id, "r-x");
  CHECK_STR_EQ(st.incident_id, "PLK-000042");
  CHECK_STR_EQ(st.status, "handled");
  CHECK_STR_EQ(st.status_text->id, "Laporan selesai ditangani");
  CHECK_STR_EQ(st.status_text->en, "Your report has been handled");
  CHECK_INT_EQ(st.updated_at_ms, 42);
}

static void test_args(void) {
  const char *id = "r-01M8GN02XK52ZTXQ3DJZATG03H", *tok = "JCrGw2HuI89rAdNyHNkJ7A";
  CHECK(sg_citizen_lookup_args_valid(id, tok));
  CHECK(!sg_citizen_lookup_args_valid(id, "JCrGw2HuI89rAdNyHNkJ7"));   /* short */
  CHECK(!sg_citizen_lookup_args_valid(id, "JCrGw2HuI89rAdNyHNkJ7A="));/* long */
  CHECK(!sg_citizen_lookup_args_valid(id, "JCrGw2HuI89rAdNyHNkJ7/")); /* not base64url */
  CHECK(!sg_citizen_lookup_args_valid("r-01M8GN02XK52ZTXQ3DJZATG03", tok));
  CHECK(!sg_citizen_lookup_args_valid("r-01M8GN02XK52ZTXQ3DJZAT:03H", tok));
  CHECK(!sg_citizen_lookup_args_valid(NULL, tok));
  CHECK(!sg_citizen_lookup_args_valid(id, NULL));
}

static void test_ack_link(void) {
  char buf[200];
  const char *link = "http://127.0.0.1:8080/l/r-01M8GN02XK52ZTXQ3DJZATG03H.JCrGw2HuI89rAdNyHNkJ7A";
  long n = sg_sms_replies_ack_link(buf, sizeof(buf), SG_SMS_REPLIES_ACK, "PLK-000042", link);
  CHECK(n > 0);
  CHECK(strstr(buf, link) != NULL);
  CHECK(strstr(buf, "PLK-000042") != NULL);
  CHECK(sg_gsm7_septets(buf, (size_t)n) <= SG_GSM7_SMS_SEPTETS);
  CHECK(sg_sms_replies_ack_link(buf, sizeof(buf), SG_SMS_REPLIES_ACK_DISPATCHED, "PLK-000042",
                                link) > 0);
  /* A public URL too long for one SMS: the caller sends the plain text. */
  const char *longer = "https://layanan-darurat.palangkaraya.go.id/l/r-01M8GN02XK52ZTXQ3DJZATG03H."
                       "JCrGw2HuI89rAdNyHNkJ7A";
  CHECK_INT_EQ(sg_sms_replies_ack_link(buf, sizeof(buf), SG_SMS_REPLIES_ACK, "PLK-000042", longer), -1);
  CHECK_INT_EQ(sg_sms_replies_ack_link(buf, sizeof(buf), SG_SMS_REPLIES_CLOSED, "PLK-000042", link), -1);
}

static void test_app_phone(void) {
  static const struct {
    const char *in, *want;
  } cases[] = {{"08123456789", "+628123456789"},
               {"+62 812 3456 789", "+628123456789"},
               {"0812-3456-789", "+628123456789"},
               {"(0812) 3456.789", "+628123456789"},
               {"+62 0812 3456 789", "+628123456789"},
               {"628123456789", "+628123456789"},
               {"00628123456789", "+628123456789"}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
    Siaga__V1__Reporter who = SIAGA__V1__REPORTER__INIT;
    who.phone = strdup(cases[i].in);
    r.reporter = &who;
    sg_report_error err;
    CHECK_INT_EQ(sg_report_normalise_phone(&r, &err), 0);
    CHECK_STR_EQ(who.phone, cases[i].want);
    free(who.phone);
  }
  static const char *bad[] = {"112", "TELKOMSEL", "0812x3456789", "+1234567890123456"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
    Siaga__V1__Reporter who = SIAGA__V1__REPORTER__INIT;
    char *p = strdup(bad[i]);
    who.phone = p;
    r.reporter = &who;
    sg_report_error err;
    CHECK_INT_EQ(sg_report_normalise_phone(&r, &err), -1);
    CHECK_STR_EQ(err.code, "bad_phone");
    CHECK(who.phone == p); /* nothing changed */
    free(p);
  }
}

int main(void) {
  RUN_TEST(test_status_words);
  RUN_TEST(test_args);
  RUN_TEST(test_ack_link);
  RUN_TEST(test_app_phone);
  CHECK_DONE();
}
