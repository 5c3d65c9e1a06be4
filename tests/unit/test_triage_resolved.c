/* A later report that says a danger has passed (issue 13, found when tried
 * as a new user): "dia sudah sadar tapi sesak napas" joined to an incident
 * of "pingsan" used to raise its score and keep cue.unconscious. The
 * earlier cue now gives way, the resolution reason says so, and a
 * dispatcher's priority still stands. The pure half; the worker's is
 * tests/integration/test_triage_resolved.py. */
#include <string.h>

#include "check.h"
#include "incident_check.h"
#include "triage/incident.h"

#define NOW 1700000000000LL

static sg_arena arena;
static Siaga__V1__Reporter caller = SIAGA__V1__REPORTER__INIT;
static Siaga__V1__Location street = SIAGA__V1__LOCATION__INIT;

static Siaga__V1__Report sms(const char *id, const char *text) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  caller.phone = "+6281200001414";
  street.address = "Jl. Rajawali";
  street.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT;
  r.id = (char *)id;
  r.channel = SIAGA__V1__CHANNEL__CHANNEL_SMS;
  r.reporter = &caller;
  r.description = (char *)text;
  r.location = &street;
  r.received_at_ms = NOW;
  return r;
}

static Siaga__V1__Incident *open_with(const char *text) {
  Siaga__V1__Report r = sms("r-1", text);
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident inc;
  CHECK_INT_EQ(sg_triage_incident_open(&arena, &r, &res, "PLK-000201", NOW, &inc), 0);
  return incident_roundtrip(&arena, &inc);
}

static Siaga__V1__Incident *join(const Siaga__V1__Incident *cur, const char *id, const char *text,
                                 sg_triage_link link) {
  Siaga__V1__Report r = sms(id, text);
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  Siaga__V1__Incident next;
  CHECK_INT_EQ(sg_triage_incident_attach(&arena, cur, &r, &res, link, NOW + 60000, &next), 0);
  CHECK_INT_EQ(next.score, reasons_sum(&next));
  return incident_roundtrip(&arena, &next);
}

static void test_rules_say_what_passed(void) {
  Siaga__V1__Report r = sms("r-0", "dia sudah sadar tapi sesak napas");
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  CHECK(res.resolved & SG_CUE_UNCONSCIOUS);
  CHECK_INT_EQ(res.cues & SG_CUE_UNCONSCIOUS, 0);
  CHECK(res.cues & SG_CUE_BREATHING);
  /* negated: not over */
  r = sms("r-0", "dia belum sadar");
  sg_rules_evaluate(&r, &res);
  CHECK_INT_EQ(res.resolved & SG_CUE_UNCONSCIOUS, 0);
}

static void test_a_later_report_lowers(void) {
  Siaga__V1__Incident *inc = open_with("tolong bapak sy pingsan di rumah jl rajawali");
  CHECK_STR_EQ(inc->category, "medical");
  const Siaga__V1__ScoreReason *was = reason(inc, "cue.unconscious");
  CHECK(was != NULL && was->points > 0);
  CHECK_INT_EQ(inc->priority, SIAGA__V1__PRIORITY__P1);

  Siaga__V1__Incident *after =
      join(inc, "r-2", "dia sudah sadar tapi sesak napas", SG_TRIAGE_LINK_CALLER);
  CHECK(reason(after, "cue.unconscious") == NULL);
  CHECK(reason(after, "cue.breathing") != NULL);
  const Siaga__V1__ScoreReason *why = reason(after, "resolved.unconscious");
  CHECK(why != NULL);
  CHECK(strstr(why->detail, "sudah sadar") != NULL);
  CHECK(strstr(why->detail, "dicabut (withdrawn): unconscious") != NULL);
  /* what the bug made of it: every reason of both, the cue kept */
  int kept = inc->score + why->points + reason(after, "cue.breathing")->points;
  CHECK(after->score < (kept > 100 ? 100 : kept));
  CHECK(after->score ==
        inc->score - was->points + why->points + reason(after, "cue.breathing")->points);

  /* Only awake again, no other sign: below P1. */
  Siaga__V1__Incident *awake = join(inc, "r-3", "udh sadar kok", SG_TRIAGE_LINK_CALLER);
  CHECK(reason(awake, "cue.unconscious") == NULL);
  CHECK(awake->score < inc->score);
  CHECK(awake->priority > inc->priority); /* P1 = 1 is the most urgent */

  /* And unconscious again: the cue is back, the resolution gone. */
  Siaga__V1__Incident *again = join(awake, "r-4", "pingsan lagi", SG_TRIAGE_LINK_CALLER);
  CHECK(reason(again, "cue.unconscious") != NULL);
  CHECK(reason(again, "resolved.unconscious") == NULL);
  CHECK_INT_EQ(again->priority, SIAGA__V1__PRIORITY__P1);
}

static void test_a_report_that_says_nothing_passed_keeps(void) {
  Siaga__V1__Incident *inc = open_with("tolong bapak sy pingsan di rumah jl rajawali");
  Siaga__V1__Incident *after = join(inc, "r-5", "masih belum sadar, cepat", SG_TRIAGE_LINK_NEARBY);
  CHECK(reason(after, "cue.unconscious") != NULL);
  CHECK(reason(after, "resolved.unconscious") == NULL);
  CHECK(after->score >= inc->score);
}

static void test_the_dispatchers_priority_stands(void) {
  Siaga__V1__Incident *inc = open_with("tolong bapak sy pingsan di rumah jl rajawali");
  Siaga__V1__Override ov = SIAGA__V1__OVERRIDE__INIT;
  ov.value = "P1";
  ov.reason = "riwayat jantung";
  ov.by = "disp";
  inc->priority_override = &ov;
  Siaga__V1__Incident *after = join(inc, "r-6", "udh sadar kok", SG_TRIAGE_LINK_CALLER);
  CHECK_INT_EQ(after->priority, SIAGA__V1__PRIORITY__P1);
  CHECK(after->score < inc->score);                     /* the score still says what was said */
  CHECK(reason(after, "resolved.unconscious") != NULL); /* and why */
}

int main(void) {
  sg_arena_init(&arena, 1 << 20);
  RUN_TEST(test_rules_say_what_passed);
  RUN_TEST(test_a_later_report_lowers);
  RUN_TEST(test_a_report_that_says_nothing_passed_keeps);
  RUN_TEST(test_the_dispatchers_priority_stands);
  CHECK_DONE();
}
