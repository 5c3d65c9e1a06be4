/* The clarification loop (issue 13), its pure half: an incident with no
 * readable emergency or no place is unclear (its SMS acknowledgement asks
 * what and where); a plea is held at P2 until the same caller's reply says
 * what it is, and then the reply decides, not the hold. */
#include <string.h>

#include "check.h"
#include "incident_check.h"
#include "sms/gsm7.h"
#include "sms/replies.h"
#include "triage/incident.h"

#define NOW 1700000000000LL

static sg_arena arena;
static Siaga__V1__Reporter caller = SIAGA__V1__REPORTER__INIT;
static Siaga__V1__Location street = SIAGA__V1__LOCATION__INIT;

/* An SMS as sms/form.c makes it: a place only when the text names one. */
static Siaga__V1__Report sms(const char *id, const char *text, const char *address) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  caller.phone = "+6281200001313";
  r.id = (char *)id;
  r.channel = SIAGA__V1__CHANNEL__CHANNEL_SMS;
  r.reporter = &caller;
  r.description = (char *)text;
  r.received_at_ms = NOW;
  if (address) {
    street.address = (char *)address;
    street.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT;
    r.location = &street;
  }
  return r;
}

static Siaga__V1__Incident *open_with(Siaga__V1__Report *r, const char *id) {
  sg_rules_result res;
  sg_rules_evaluate(r, &res);
  Siaga__V1__Incident *inc = sg_arena_alloc(&arena, sizeof *inc);
  CHECK(inc != NULL);
  CHECK_INT_EQ(sg_triage_incident_open(&arena, r, &res, id, NOW, inc), 0);
  return inc;
}

static Siaga__V1__Incident *reply(const Siaga__V1__Incident *cur, Siaga__V1__Report *r) {
  sg_rules_result res;
  sg_rules_evaluate(r, &res);
  Siaga__V1__Incident *next = sg_arena_alloc(&arena, sizeof *next);
  CHECK(next != NULL);
  CHECK_INT_EQ(
      sg_triage_incident_attach(&arena, cur, r, &res, SG_TRIAGE_LINK_CALLER, NOW + 60000, next), 0);
  CHECK_INT_EQ(next->score, reasons_sum(next));
  return next;
}

static void test_unclear(void) {
  Siaga__V1__Report plea = sms("r-c1", "tolong", NULL);
  CHECK_INT_EQ(sg_triage_incident_unclear(open_with(&plea, "PLK-000101")),
               SG_TRIAGE_UNCLEAR_WHAT | SG_TRIAGE_UNCLEAR_WHERE);
  /* a category without a place, and a place without a category */
  Siaga__V1__Report fire = sms("r-c2", "kebakaran rumah!", NULL);
  CHECK_INT_EQ(sg_triage_incident_unclear(open_with(&fire, "PLK-000102")), SG_TRIAGE_UNCLEAR_WHERE);
  Siaga__V1__Report where = sms("r-c3", "tolong di jl rajawali", "Jl. Rajawali");
  CHECK_INT_EQ(sg_triage_incident_unclear(open_with(&where, "PLK-000103")), SG_TRIAGE_UNCLEAR_WHAT);
  Siaga__V1__Report both = sms("r-c4", "kebakaran rumah di jl rajawali", "Jl. Rajawali");
  Siaga__V1__Incident *clear = open_with(&both, "PLK-000104");
  CHECK_STR_EQ(clear->category, "fire");
  CHECK_INT_EQ(sg_triage_incident_unclear(clear), 0);
  /* thanks or a question needs no place */
  Siaga__V1__Report thanks = sms("r-c6", "terima kasih damkar tadi malam", NULL);
  Siaga__V1__Incident *nonemergency = open_with(&thanks, "PLK-000106");
  CHECK_STR_EQ(nonemergency->category, "nonemergency");
  CHECK_INT_EQ(sg_triage_incident_unclear(nonemergency), 0);
  /* an empty address is no place */
  Siaga__V1__Report blank = sms("r-c5", "kebakaran rumah", "");
  CHECK_INT_EQ(sg_triage_incident_unclear(open_with(&blank, "PLK-000105")),
               SG_TRIAGE_UNCLEAR_WHERE);
}

static void test_plea_held_until_the_reply_says_what(void) {
  Siaga__V1__Report plea = sms("r-c10", "tolong", NULL);
  Siaga__V1__Incident *inc = open_with(&plea, "PLK-000110");
  CHECK_STR_EQ(inc->category, "unknown");
  CHECK_INT_EQ(inc->priority, SIAGA__V1__PRIORITY__P2);
  CHECK(reason(inc, SG_RULES_UNCLEAR_RULE) != NULL);

  /* A reply with only a place: still no emergency named, still P2. */
  Siaga__V1__Report where = sms("r-c11", "di jl rajawali", "Jl. Rajawali");
  Siaga__V1__Incident *placed = reply(inc, &where);
  CHECK_STR_EQ(placed->category, "unknown");
  CHECK_INT_EQ(sg_triage_incident_unclear(placed), SG_TRIAGE_UNCLEAR_WHAT);
  CHECK(placed->priority <= SIAGA__V1__PRIORITY__P2 &&
        placed->priority != SIAGA__V1__PRIORITY__PRIORITY_UNSPECIFIED);
  CHECK(reason(placed, SG_RULES_UNCLEAR_RULE) != NULL);

  /* The reply names a fire and a street: the incident is that fire, scored
   * by what was said (the hold is dropped, the plea's own cue stays). */
  Siaga__V1__Report what = sms("r-c12", "rumah terbakar di jalan rajawali", "Jl. Rajawali");
  sg_rules_result alone;
  sg_rules_evaluate(&what, &alone);
  Siaga__V1__Incident *fire = reply(inc, &what);
  CHECK_STR_EQ(fire->category, "fire");
  CHECK_INT_EQ(sg_triage_incident_unclear(fire), 0);
  CHECK(reason(fire, SG_RULES_UNCLEAR_RULE) == NULL);
  CHECK(reason(fire, "category.unknown") == NULL);
  CHECK(reason(fire, "category.fire") != NULL);
  CHECK(reason(fire, "cue.urgent") != NULL);
  CHECK_INT_EQ(fire->score, alone.score + reason(fire, "cue.urgent")->points);
  CHECK_STR_EQ(fire->location->address, "Jl. Rajawali");
  CHECK_INT_EQ(fire->n_report_ids, 2);

  /* Thanks is not a clarification: the hold stays. */
  Siaga__V1__Report thanks = sms("r-c13", "terima kasih", NULL);
  Siaga__V1__Incident *kept = reply(inc, &thanks);
  CHECK(reason(kept, SG_RULES_UNCLEAR_RULE) != NULL);
  CHECK(kept->priority <= SIAGA__V1__PRIORITY__P2);
}

static void test_the_questions(void) {
  static const struct {
    sg_sms_replies_kind kind;
    const char *text;
  } q[] = {
      {SG_SMS_REPLIES_ASK,
       "SIAGA 112: Laporan PLK-000110 diterima. Apa yang terjadi dan di mana? Balas pesan ini."},
      {SG_SMS_REPLIES_ASK_WHAT,
       "SIAGA 112: Laporan PLK-000110 diterima. Apa yang terjadi? Balas pesan ini."},
      {SG_SMS_REPLIES_ASK_WHERE, "SIAGA 112: Laporan PLK-000110 diterima. Di mana lokasinya "
                                 "(jalan, kelurahan atau patokan)? Balas pesan ini."},
  };
  char buf[200];
  for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
    long n = sg_sms_replies_text(buf, sizeof buf, q[k].kind, "PLK-000110");
    CHECK(n > 0);
    CHECK_STR_EQ(buf, q[k].text);
    long septets = sg_gsm7_septets(buf, (size_t)n);
    CHECK(septets > 0 && septets <= SG_GSM7_SMS_SEPTETS); /* GSM 7-bit, one SMS */
    /* with room for incident ids far longer than today's */
    CHECK(sg_sms_replies_text(buf, sizeof buf, q[k].kind, "PLK-000000000110") > 0);
  }
}

int main(void) {
  sg_arena_init(&arena, 1 << 20);
  RUN_TEST(test_unclear);
  RUN_TEST(test_plea_held_until_the_reply_says_what);
  RUN_TEST(test_the_questions);
  CHECK_DONE();
}
