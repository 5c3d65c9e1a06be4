/* Triage rules: category choice, cue points, priority thresholds,
 * corroboration, and that the score always equals the sum of its reasons. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "triage/rules.h"

static void make_report(Siaga__V1__Report *r, const char *category, const char *text) {
  siaga__v1__report__init(r);
  r->category = (char *)category;
  r->description = (char *)text;
}

static int reason_sum(const sg_rules_result *res) {
  int sum = 0;
  for (size_t k = 0; k < res->n_reasons; k++)
    sum += res->reasons[k].points;
  return sum < 0 ? 0 : sum > 100 ? 100 : sum;
}

static const sg_rules_reason *find_reason(const sg_rules_result *res, const char *rule) {
  for (size_t k = 0; k < res->n_reasons; k++)
    if (strcmp(res->reasons[k].rule, rule) == 0)
      return &res->reasons[k];
  return NULL;
}

static void test_priority_thresholds(void) {
  CHECK_INT_EQ(sg_rules_priority(100), SIAGA__V1__PRIORITY__P1);
  CHECK_INT_EQ(sg_rules_priority(70), SIAGA__V1__PRIORITY__P1);
  CHECK_INT_EQ(sg_rules_priority(69), SIAGA__V1__PRIORITY__P2);
  CHECK_INT_EQ(sg_rules_priority(50), SIAGA__V1__PRIORITY__P2);
  CHECK_INT_EQ(sg_rules_priority(49), SIAGA__V1__PRIORITY__P3);
  CHECK_INT_EQ(sg_rules_priority(30), SIAGA__V1__PRIORITY__P3);
  CHECK_INT_EQ(sg_rules_priority(29), SIAGA__V1__PRIORITY__P4);
  CHECK_INT_EQ(sg_rules_priority(0), SIAGA__V1__PRIORITY__P4);
  CHECK_INT_EQ(sg_rules_priority(-5), SIAGA__V1__PRIORITY__P4);
}

static void test_category_known(void) {
  const char *known[] = {"fire",   "flood",  "accident", "medical", "crime",
                         "rescue", "other",  "unknown",  "land_fire", "haze",
                         "animal", "hazard", "nonemergency"};
  for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
    CHECK(sg_rules_category_known(known[k]));
  CHECK(!sg_rules_category_known("Fire"));
  CHECK(!sg_rules_category_known(""));
  CHECK(!sg_rules_category_known(NULL));
  CHECK(!sg_rules_category_known("kebakaran"));
}

static void test_cue_names(void) {
  CHECK_STR_EQ(sg_rules_cue_name(SG_CUE_TRAPPED), "trapped");
  CHECK_STR_EQ(sg_rules_cue_name(SG_CUE_NOT_BREATHING), "not_breathing");
  CHECK(sg_rules_cue_name(SG_CUE_TRAPPED | SG_CUE_CHILD) == NULL);
  CHECK(sg_rules_cue_name(0) == NULL);
  for (int k = 0; k < SG_CUE_COUNT; k++)
    CHECK(sg_rules_cue_name(1u << k) != NULL);
}

/* One table row: what a citizen sends and what triage must make of it. */
typedef struct rules_case {
  const char *category; /* as sent by the app, "" for SMS */
  const char *text;
  const char *want_category;
  Siaga__V1__Priority want_priority;
  uint32_t want_cues; /* must all be present */
} rules_case;

static const rules_case cases[] = {
    {"", "kebakaran rumah di jl rajawali, ada anak terjebak di dalam!!", "fire",
     SIAGA__V1__PRIORITY__P1, SG_CUE_TRAPPED | SG_CUE_CHILD},
    {"", "kebakaran rumah warga jl. G. Obos", "fire", SIAGA__V1__PRIORITY__P2, 0},
    {"", "banjir di gg damai, air selutut", "flood", SIAGA__V1__PRIORITY__P3, 0},
    {"", "banjir sudah sedada tolong ada nenek di rumah", "flood", SIAGA__V1__PRIORITY__P1,
     SG_CUE_DEEP_WATER | SG_CUE_ELDERLY | SG_CUE_URGENT},
    {"", "tlg ada org pingsan tdk bernapas di pasar", "medical", SIAGA__V1__PRIORITY__P1,
     SG_CUE_UNCONSCIOUS | SG_CUE_NOT_BREATHING},
    /* issue 13: a theft of last night is a past event, nonemergency P4
     * (was crime P3); the same theft now is a crime */
    {"", "motor saya dicuri tadi malam", "nonemergency", SIAGA__V1__PRIORITY__P4, 0},
    {"", "motor saya dicuri barusan", "crime", SIAGA__V1__PRIORITY__P2, SG_CUE_ONGOING},
    /* scope: negation, resolution, people at risk without the keyword */
    {"", "kebakaran rumah, nenek sy msh di dlm kamar", "fire", SIAGA__V1__PRIORITY__P1,
     SG_CUE_INSIDE | SG_CUE_ELDERLY},
    {"", "tadi ada api di dapur tp udh dipadamkan", "fire", SIAGA__V1__PRIORITY__P3, 0},
    {"", "mama pingsan tadi tp udh sadar", "medical", SIAGA__V1__PRIORITY__P2, 0},
    {"", "bapak tiba2 bicaranya pelo, mulut mencong", "medical", SIAGA__V1__PRIORITY__P1,
     SG_CUE_STROKE},
    {"", "digigit ular di kebun", "medical", SIAGA__V1__PRIORITY__P1, SG_CUE_ENVENOMATION},
    {"", "ada sapi di jalan, tapi aman", "unknown", SIAGA__V1__PRIORITY__P4, 0},
    {"", "terima kasih damkar tadi malam", "nonemergency", SIAGA__V1__PRIORITY__P4, 0},
    {"", "tolong", "unknown", SIAGA__V1__PRIORITY__P2, SG_CUE_URGENT},
    {"", "ada begal bawa parang di jalan tjilik riwut km 12", "crime", SIAGA__V1__PRIORITY__P2,
     SG_CUE_WEAPON},
    {"", "anak tenggelam di sungai kahayan", "rescue", SIAGA__V1__PRIORITY__P1,
     SG_CUE_DROWNING | SG_CUE_CHILD},
    /* issue 13: a fallen tree is a hazard (base 30, P3), no longer "other" P4 */
    {"", "pohon tumbang menutup jalan", "hazard", SIAGA__V1__PRIORITY__P3, 0},
    {"", "ada ular di dapur", "animal", SIAGA__V1__PRIORITY__P3, 0},
    {"", "karhutla di kalampangan", "land_fire", SIAGA__V1__PRIORITY__P3, SG_CUE_PEAT_FIRE},
    {"nonemergency", "terima kasih", "nonemergency", SIAGA__V1__PRIORITY__P4, 0},
    {"", "", "unknown", SIAGA__V1__PRIORITY__P4, 0},
    {"", "\xff\xfe\x01 garbage \xc3", "unknown", SIAGA__V1__PRIORITY__P4, 0},
    {"medical", "", "medical", SIAGA__V1__PRIORITY__P3, 0},
    /* the app's specific choice wins over the text */
    {"accident", "api besar", "accident", SIAGA__V1__PRIORITY__P2, SG_CUE_SPREADING},
    /* "other" from the app yields to a clear text */
    {"other", "kebakaran gudang", "fire", SIAGA__V1__PRIORITY__P2, 0},
    /* an unknown app category is ignored, not trusted */
    {"volcano", "laka lantas, korban berdarah", "accident", SIAGA__V1__PRIORITY__P2,
     SG_CUE_BLEEDING},
    /* negation: no casualties said means no casualty cue */
    {"", "kecelakaan ringan, tidak ada korban jiwa", "accident", SIAGA__V1__PRIORITY__P3, 0},
};

static void test_cases(void) {
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const rules_case *c = &cases[k];
    Siaga__V1__Report r;
    sg_rules_result res;
    make_report(&r, c->category, c->text);
    sg_rules_evaluate(&r, &res);
    if (strcmp(res.category, c->want_category) != 0 || res.priority != c->want_priority ||
        (res.cues & c->want_cues) != c->want_cues) {
      fprintf(stderr, "case %zu \"%s\": category %s score %d P%d cues 0x%x\n", k, c->text,
              res.category, res.score, (int)res.priority, res.cues);
      for (size_t j = 0; j < res.n_reasons; j++)
        fprintf(stderr, "  %-24s %+d %s\n", res.reasons[j].rule, res.reasons[j].points,
                res.reasons[j].detail);
    }
    CHECK_STR_EQ(res.category, c->want_category);
    CHECK_INT_EQ(res.priority, c->want_priority);
    CHECK_INT_EQ(res.cues & c->want_cues, c->want_cues);
    CHECK_INT_EQ(res.score, reason_sum(&res));
    CHECK(res.n_reasons >= 1);
  }
  /* the "tidak ada korban jiwa" case above must not carry a fatality cue */
  Siaga__V1__Report r;
  sg_rules_result res;
  make_report(&r, "", "kecelakaan ringan, tidak ada korban jiwa");
  sg_rules_evaluate(&r, &res);
  CHECK_INT_EQ(res.cues & SG_CUE_FATALITY, 0);
}

static void test_reasons_explain(void) {
  Siaga__V1__Report r;
  sg_rules_result res;
  make_report(&r, "", "kbakaran dkt pasar, ada yg terjebak");
  sg_rules_evaluate(&r, &res);
  const sg_rules_reason *cat = find_reason(&res, "category.fire");
  const sg_rules_reason *trap = find_reason(&res, "cue.trapped");
  CHECK(cat != NULL);
  CHECK(trap != NULL);
  CHECK_INT_EQ(cat->points, 50);
  CHECK_INT_EQ(trap->points, 25);
  CHECK(strstr(cat->detail, "kbakaran") != NULL); /* the word as typed */
  CHECK(strstr(trap->detail, "terjebak") != NULL);
  CHECK(strstr(trap->detail, "(someone trapped)") != NULL);

  make_report(&r, "fire", "tabrakan beruntun");
  sg_rules_evaluate(&r, &res);
  CHECK_STR_EQ(res.category, "fire");
  CHECK(find_reason(&res, "category.text_disagrees") != NULL);
}

/* Only an app's reporter chooses a category: an SMS's was read from its
 * text, and the reason says so. */
static void test_category_source_is_told(void) {
  Siaga__V1__Report r;
  sg_rules_result res;
  make_report(&r, "fire", "kebakaran rumah di jalan rajawali");
  r.channel = SIAGA__V1__CHANNEL__CHANNEL_SMS;
  sg_rules_evaluate(&r, &res);
  const sg_rules_reason *cat = find_reason(&res, "category.fire");
  CHECK(cat != NULL);
  CHECK(strstr(cat->detail, "dari teks") != NULL);
  CHECK(strstr(cat->detail, "pelapor") == NULL);
  r.channel = SIAGA__V1__CHANNEL__CHANNEL_APP;
  sg_rules_evaluate(&r, &res);
  cat = find_reason(&res, "category.fire");
  CHECK(cat != NULL);
  CHECK(strstr(cat->detail, "dari pelapor") != NULL);
}

static void test_null_report(void) {
  sg_rules_result res;
  sg_rules_evaluate(NULL, &res);
  CHECK_STR_EQ(res.category, "unknown");
  CHECK_INT_EQ(res.score, 25);
  CHECK_INT_EQ(res.priority, SIAGA__V1__PRIORITY__P4);
}

static void test_every_cue_overflows_cleanly(void) {
  /* A text that names every cue: more rules fire than reasons fit. The score
   * must still be the sum of what is shown, and capped at 100. */
  Siaga__V1__Report r;
  sg_rules_result res;
  make_report(&r, "",
              "tolong kebakaran besar merembet, karhutla gambut, ledakan gas, 5 orang terjebak, "
              "anak dan nenek pingsan tidak bernapas, sesak napas, berdarah, luka, ibu hamil, "
              "ada yang tenggelam, air sedada, pelaku bawa parang, 2 orang meninggal");
  sg_rules_evaluate(&r, &res);
  CHECK(res.n_reasons <= SG_RULES_MAX_REASONS - 1);
  CHECK_INT_EQ(res.score, 100);
  CHECK_INT_EQ(res.priority, SIAGA__V1__PRIORITY__P1);
  CHECK_STR_EQ(res.reasons[res.n_reasons - 1].rule, "cue.more");
  int sum = 0;
  for (size_t k = 0; k < res.n_reasons; k++)
    sum += res.reasons[k].points;
  CHECK(sum >= 100);
  sg_rules_corroborate(&res, 3); /* the reserved slot still takes corroboration */
  CHECK_STR_EQ(res.reasons[res.n_reasons - 1].rule, "corroboration");
}

static void test_corroborate(void) {
  Siaga__V1__Report r;
  sg_rules_result res;
  make_report(&r, "", "banjir di jalan beliang");
  sg_rules_evaluate(&r, &res);
  int base = res.score;
  CHECK_INT_EQ(base, 35);
  sg_rules_corroborate(&res, 1);
  CHECK_INT_EQ(res.score, base);
  CHECK(find_reason(&res, "corroboration") == NULL);
  sg_rules_corroborate(&res, 2);
  CHECK_INT_EQ(res.score, base + 5);
  sg_rules_corroborate(&res, 3); /* replaces, does not add up */
  CHECK_INT_EQ(res.score, base + 10);
  sg_rules_corroborate(&res, 50);
  CHECK_INT_EQ(res.score, base + 15); /* bounded */
  CHECK_INT_EQ(res.priority, SIAGA__V1__PRIORITY__P2);
  const sg_rules_reason *c = find_reason(&res, "corroboration");
  CHECK(c != NULL);
  CHECK_INT_EQ(c->points, 15);
  CHECK(strstr(c->detail, "49") != NULL);
  sg_rules_corroborate(&res, 1); /* back to one report: bonus gone */
  CHECK_INT_EQ(res.score, base);
  CHECK(find_reason(&res, "corroboration") == NULL);
}

int main(void) {
  RUN_TEST(test_priority_thresholds);
  RUN_TEST(test_category_known);
  RUN_TEST(test_cue_names);
  RUN_TEST(test_cases);
  RUN_TEST(test_reasons_explain);
  RUN_TEST(test_category_source_is_told);
  RUN_TEST(test_null_report);
  RUN_TEST(test_every_cue_overflows_cleanly);
  RUN_TEST(test_corroborate);
  CHECK_DONE();
}
