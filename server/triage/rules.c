/* Triage rules. A score is the sum of the points of the rules that fired,
 * clamped to 0..100, and every rule that fired is kept as a reason, so the
 * number a dispatcher sees is always explained by the list beside it.
 *
 * 1. Category (exactly one rule). The category the app sent wins when it is
 *    specific (not "other"/"unknown"); otherwise the text decides (textscan).
 *    Base points by how often the category means life at risk:
 *      fire 50, rescue 50, crime 50 (a past one is nonemergency), medical 40,
 *      accident 40, flood 35,
 *      land_fire 35, haze 30, animal 30, hazard 30, other 30,
 *      unknown 25 (unread text may hide anything), nonemergency 10 (a P4:
 *      still an incident, never dropped; its cues score nothing).
 *    If the app's category and a confident reading of the text disagree, a
 *    0-point reason says so, for the dispatcher to judge.
 * 2. Severity cues (one rule each, see cue_rules below), e.g. not breathing
 *    +35, unconscious +30, trapped +25, drowning +25, weapon +15,
 *    many casualties +20, water chest-deep +20, ... urgent plea +5.
 *    Scope (issue 13): a danger the text says has passed ("sudah
 *    dipadamkan" -20, "udh sadar" cancels unconscious and leaves +10), a past
 *    event and a question are reasons of their own; a plea with no readable
 *    category gets +20 (P2 until clarified); a second category is shown.
 * 3. Corroboration: +5 per further distinct report, at most +15 (four
 *    reports). More reports make an incident surer, not graver, so the bonus
 *    stays below one severity cue.
 *
 * Priority from the score:
 *    P1 >= 70  life at immediate risk (fire with someone trapped, unconscious)
 *    P2 >= 50  serious (any fire, accident with bleeding, flood chest-deep)
 *    P3 >= 30  respond soon (flood, theft, illness, a plea with no details)
 *    P4 <  30  no immediate danger (questions, thanks, past events, unreadable text) */
#include "triage/rules.h"

#include <stdio.h>
#include <string.h>

#include "text/textscan.h"

#define P1_MIN 70
#define P2_MIN 50
#define P3_MIN 30

#define CORROBORATION_STEP 5
#define CORROBORATION_MAX 15
#define CORROBORATION_RULE "corroboration"

/* Confidence above which the text is trusted enough to contradict the app. */
#define TEXT_DISAGREE_CONFIDENCE 0.6

/* unknown 25 + a plea 5 + this = 50: P2 until the caller says what and where */
#define UNCLEAR_PLEA_POINTS 20

typedef struct category_rule {
  const char *name;
  int points;
  const char *id; /* Bahasa Indonesia */
} category_rule;

/* Indexed by sg_textscan_category. */
static const category_rule category_rules[SG_TEXTSCAN_CATEGORY_COUNT] = {
    {"unknown", 25, "tidak diketahui"}, {"fire", 50, "kebakaran"}, {"flood", 35, "banjir"},
    {"accident", 40, "kecelakaan"},     {"medical", 40, "medis"},  {"crime", 50, "kriminal"},
    {"rescue", 50, "penyelamatan"},     {"other", 30, "lainnya"},
    {"land_fire", 35, "kebakaran hutan dan lahan"},
    {"haze", 30, "kabut asap"},
    {"animal", 30, "hewan"},
    {"hazard", 30, "bahaya (pohon, kabel, gas)"},
    {"nonemergency", 10, "bukan darurat"},
};

typedef struct cue_rule {
  uint32_t cue;
  const char *name;
  int points;
  const char *id; /* Bahasa Indonesia */
  const char *en;
} cue_rule;

/* Ordered by points so that, if reasons run out, the gravest are kept whole. */
static const cue_rule cue_rules[SG_CUE_COUNT] = {
    {SG_CUE_NOT_BREATHING, "not_breathing", 35, "Korban tidak bernapas", "not breathing"},
    {SG_CUE_UNCONSCIOUS, "unconscious", 30, "Korban tidak sadar", "unconscious"},
    {SG_CUE_CYANOSIS, "cyanosis", 30, "Bibir biru atau napas lemah", "blue lips or faint breathing"},
    {SG_CUE_STROKE, "stroke", 30, "Tanda stroke", "stroke signs"},
    {SG_CUE_SEIZURE, "seizure", 30, "Kejang", "seizure"},
    {SG_CUE_ELECTROCUTION, "electrocution", 30, "Tersengat listrik", "electrocution"},
    {SG_CUE_ENVENOMATION, "envenomation", 30, "Gigitan atau sengatan berbisa",
     "venomous bite or sting"},
    {SG_CUE_OVERDOSE, "overdose", 30, "Overdosis atau keracunan", "overdose or poisoning"},
    {SG_CUE_TRAPPED, "trapped", 25, "Ada korban terjebak", "someone trapped"},
    {SG_CUE_INSIDE, "inside", 25, "Masih ada orang di dalam", "someone still inside"},
    {SG_CUE_DROWNING, "drowning", 25, "Tenggelam atau hanyut", "drowning or swept away"},
    {SG_CUE_MANY_CASUALTIES, "many_casualties", 20, "Banyak korban", "many casualties"},

    {SG_CUE_EXPLOSION, "explosion", 20, "Ledakan atau gas bocor", "explosion or gas leak"},
    {SG_CUE_BREATHING, "breathing", 20, "Sesak napas", "difficulty breathing"},
    {SG_CUE_DEEP_WATER, "deep_water", 20, "Air setinggi dada atau lebih",
     "water chest-deep or higher"},
    {SG_CUE_CHEST_PAIN, "chest_pain", 20, "Nyeri dada", "chest pain"},
    {SG_CUE_DANGEROUS_ANIMAL, "dangerous_animal", 20, "Hewan berbahaya", "dangerous animal"},
    {SG_CUE_LIVE_WIRE, "live_wire", 20, "Kabel listrik bertegangan", "live wire"},
    {SG_CUE_WEAPON, "weapon", 15, "Ada senjata", "weapon involved"},
    {SG_CUE_BLEEDING, "bleeding", 15, "Perdarahan", "bleeding"},
    {SG_CUE_SPREADING, "spreading", 15, "Meluas atau besar", "spreading or large"},
    {SG_CUE_PREGNANT, "pregnant", 15, "Ibu hamil atau melahirkan", "pregnant or in labour"},
    {SG_CUE_FATALITY, "fatality", 10, "Ada korban jiwa", "fatality reported"},
    {SG_CUE_PEAT_FIRE, "peat_fire", 10, "Kebakaran lahan atau gambut", "land or peat fire"},
    {SG_CUE_CHILD, "child", 10, "Melibatkan anak", "child involved"},
    {SG_CUE_ELDERLY, "elderly", 10, "Melibatkan lansia", "elderly person involved"},
    {SG_CUE_INJURED, "injured", 10, "Ada korban luka", "injured"},
    {SG_CUE_SWEATING, "sweating", 10, "Keringat dingin", "cold sweat"},
    {SG_CUE_URGENT, "urgent", 5, "Minta tolong segera", "urgent plea for help"},
    {SG_CUE_ONGOING, "ongoing", 0, "Sedang terjadi", "happening now"},
};

/* A cue's points in a category. Someone inside matters where a building,
 * water or a vehicle holds them; in a crime it says the offender is still
 * there, which the crime's base already assumes. A nonemergency (a
 * question, thanks, a past event) scores no cue. */
static int cue_points(const cue_rule *c, sg_textscan_category cat) {
  if (cat == SG_TEXTSCAN_NONEMERGENCY)
    return 0;
  if (c->cue == SG_CUE_INSIDE && (cat == SG_TEXTSCAN_CRIME || cat == SG_TEXTSCAN_MEDICAL ||
                                   cat == SG_TEXTSCAN_ANIMAL || cat == SG_TEXTSCAN_HAZE ||
                                   cat == SG_TEXTSCAN_OTHER))
    return 0;
  return c->points;
}

const char *sg_rules_cue_name(uint32_t cue) {
  for (size_t k = 0; k < SG_CUE_COUNT; k++)
    if (cue_rules[k].cue == cue)
      return cue_rules[k].name;
  return NULL;
}

Siaga__V1__Priority sg_rules_priority(int score) {
  if (score >= P1_MIN)
    return SIAGA__V1__PRIORITY__P1;
  if (score >= P2_MIN)
    return SIAGA__V1__PRIORITY__P2;
  if (score >= P3_MIN)
    return SIAGA__V1__PRIORITY__P3;
  return SIAGA__V1__PRIORITY__P4;
}

int sg_rules_category_known(const char *category) {
  if (!category)
    return 0;
  for (size_t k = 0; k < SG_TEXTSCAN_CATEGORY_COUNT; k++)
    if (strcmp(category, category_rules[k].name) == 0)
      return 1;
  return 0;
}

void sg_rules_settle(sg_rules_result *r) {
  int sum = 0;
  for (size_t k = 0; k < r->n_reasons; k++)
    sum += r->reasons[k].points;
  r->score = sum < 0 ? 0 : sum > 100 ? 100 : sum;
  r->priority = sg_rules_priority(r->score);
}

/* Appends a reason. The last slot is kept for corroboration; when the others
 * are full, points go to the last reason, renamed "cue.more", so the score
 * still equals the sum of the reasons shown. */
static void add_reason(sg_rules_result *r, const char *rule, int points, const char *detail) {
  if (r->n_reasons < SG_RULES_MAX_REASONS - 1) {
    sg_rules_reason *x = &r->reasons[r->n_reasons++];
    snprintf(x->rule, sizeof x->rule, "%s", rule);
    x->points = points;
    snprintf(x->detail, sizeof x->detail, "%s", detail);
    return;
  }
  sg_rules_reason *last = &r->reasons[r->n_reasons - 1];
  if (strcmp(last->rule, "cue.more") != 0) {
    snprintf(last->rule, sizeof last->rule, "cue.more");
    snprintf(last->detail, sizeof last->detail, "Beberapa tanda lain (several more cues):");
  }
  last->points += points;
  size_t len = strlen(last->detail);
  snprintf(last->detail + len, sizeof last->detail - len, " %s", rule + 4 /* after "cue." */);
}

static const sg_rules_reason *find_reason(const sg_rules_result *r, const char *rule) {
  for (size_t k = 0; k < r->n_reasons; k++)
    if (strcmp(r->reasons[k].rule, rule) == 0)
      return &r->reasons[k];
  return NULL;
}

/* The match that explains a cue (the first) or a category (the heaviest). */
static const sg_textscan_match *first_match(const sg_textscan_result *ts, uint32_t cue,
                                            sg_textscan_category cat) {
  const sg_textscan_match *best = NULL;
  for (size_t k = 0; k < ts->n_matches; k++) {
    const sg_textscan_match *m = &ts->matches[k];
    if (m->kind == SG_TEXTSCAN_MATCH_RESOLVED)
      continue;
    if (cue && (m->cue & cue))
      return m;
    if (!cue && cat && m->category == cat && (!best || m->weight > best->weight))
      best = m;
  }
  return best;
}

/* What the text's scope said: a danger that passed (its points, once per
 * kind, one lowering at most), a past event, a question; and a plea with no
 * readable emergency, kept at P2 until someone clarifies it. */
static void explain_scope(const sg_textscan_result *ts, sg_textscan_category cat,
                          sg_rules_result *out) {
  char detail[160], rule[48];
  int lowered = 0, past = 0, question = 0;
  for (size_t k = 0; k < ts->n_matches; k++) {
    const sg_textscan_match *m = &ts->matches[k];
    if (m->kind == SG_TEXTSCAN_MATCH_RESOLVED) {
      const char *what = m->cue ? sg_cue_name(m->cue & -m->cue) : "danger";
      int points = cat == SG_TEXTSCAN_NONEMERGENCY ? 0 : m->weight;
      if (points < 0 && lowered++)
        continue;
      snprintf(rule, sizeof rule, "resolved.%s", what);
      if (find_reason(out, rule))
        continue;
      snprintf(detail, sizeof detail, "Bahaya sudah lewat: kata \"%s\" (danger has passed: %s)",
               m->typed, m->en);
      add_reason(out, rule, points, detail);
    } else if (m->kind == SG_TEXTSCAN_MATCH_PAST && !past++) {
      snprintf(detail, sizeof detail,
               "Kejadian lampau: kata \"%s\" (a past event: %s), tidak dihitung (not scored)",
               m->typed, m->en);
      add_reason(out, "text.past", 0, detail);
    } else if (m->kind == SG_TEXTSCAN_MATCH_QUESTION && !question++) {
      add_reason(out, "text.question", 0, "Pesan berupa pertanyaan (the message is a question)");
    }
  }
  if (cat == SG_TEXTSCAN_UNKNOWN && (ts->cues & SG_CUE_URGENT))
    add_reason(out, "category.unclear", UNCLEAR_PLEA_POINTS,
               "Minta tolong tanpa keterangan: P2 sampai jelas (a plea with no details: P2 until "
               "clarified)");
}

void sg_rules_evaluate(const Siaga__V1__Report *report, sg_rules_result *out) {
  sg_textscan_result ts;
  char detail[160], rule[48];
  const char *text = report && report->description ? report->description : "";
  /* Only an app's report has a category its reporter chose; an SMS's (and
   * an AML message's) was read from the same text by the SMS parser, and
   * the reason must say it came from the text. */
  int chosen = report == NULL || report->channel == SIAGA__V1__CHANNEL__CHANNEL_APP ||
               report->channel == SIAGA__V1__CHANNEL__CHANNEL_UNSPECIFIED;
  const char *app = chosen && report && report->category ? report->category : "";

  memset(out, 0, sizeof *out);
  sg_textscan_scan(NULL, text, strlen(text), &ts);

  sg_textscan_category app_cat = sg_textscan_category_from_name(app);
  int app_specific = app_cat != SG_TEXTSCAN_UNKNOWN && app_cat != SG_TEXTSCAN_OTHER;
  sg_textscan_category cat;
  if (app_specific || (app_cat == SG_TEXTSCAN_OTHER && ts.category == SG_TEXTSCAN_UNKNOWN)) {
    cat = app_cat;
    snprintf(detail, sizeof detail, "Kategori dari pelapor: %s (category chosen by reporter: %s)",
             category_rules[cat].id, category_rules[cat].name);
  } else if (ts.category != SG_TEXTSCAN_UNKNOWN) {
    const sg_textscan_match *m = first_match(&ts, 0, ts.category);
    cat = ts.category;
    snprintf(detail, sizeof detail,
             "Kategori dari teks: %s, kata \"%s\", keyakinan %.0f%% (category from text: %s, "
             "word \"%s\")",
             category_rules[cat].id, m ? m->typed : "", ts.category_confidence * 100,
             category_rules[cat].name, m && m->en ? m->en : "");
  } else {
    cat = SG_TEXTSCAN_UNKNOWN;
    snprintf(detail, sizeof detail,
             "Kategori tidak dikenali dari teks (category not recognised in the text)");
  }
  snprintf(out->category, sizeof out->category, "%s", category_rules[cat].name);
  snprintf(rule, sizeof rule, "category.%s", category_rules[cat].name);
  add_reason(out, rule, category_rules[cat].points, detail);

  if (app_specific && ts.category != SG_TEXTSCAN_UNKNOWN && ts.category != cat &&
      ts.category_confidence >= TEXT_DISAGREE_CONFIDENCE) {
    snprintf(detail, sizeof detail, "Teks lebih mirip %s (the text reads more like %s)",
             category_rules[ts.category].id, category_rules[ts.category].name);
    add_reason(out, "category.text_disagrees", 0, detail);
  }

  if (ts.secondary != SG_TEXTSCAN_UNKNOWN && ts.secondary != cat) {
    /* A victim to rescue or treat besides the incident: the graver base
     * counts ("banjir ... ada yg hanyut" is scored as a rescue, read as a
     * flood). */
    int extra = category_rules[ts.secondary].points - category_rules[cat].points;
    snprintf(detail, sizeof detail, "Kategori kedua: %s (secondary category: %s)",
             category_rules[ts.secondary].id, category_rules[ts.secondary].name);
    int victim = ts.secondary == SG_TEXTSCAN_RESCUE || ts.secondary == SG_TEXTSCAN_MEDICAL;
    add_reason(out, "category.secondary",
               victim && extra > 0 && cat != SG_TEXTSCAN_NONEMERGENCY ? extra : 0, detail);
  }
  explain_scope(&ts, cat, out);

  out->cues = ts.cues;
  for (size_t k = 0; k < SG_CUE_COUNT; k++) {
    const cue_rule *c = &cue_rules[k];
    if (!(ts.cues & c->cue))
      continue;
    const sg_textscan_match *m = first_match(&ts, c->cue, SG_TEXTSCAN_UNKNOWN);
    if (m)
      snprintf(detail, sizeof detail, "%s (%s): kata \"%s\"", c->id, c->en, m->typed);
    else
      snprintf(detail, sizeof detail, "%s (%s)", c->id, c->en);
    snprintf(rule, sizeof rule, "cue.%s", c->name);
    /* Not an emergency (a question, thanks, a past event): the cue is shown
     * for the dispatcher but raises nothing. */
    add_reason(out, rule, cue_points(c, cat), detail);
  }
  sg_rules_settle(out);
}

void sg_rules_corroborate(sg_rules_result *result, size_t n_reports) {
  /* Idempotent: an earlier corroboration reason is replaced, not added to. */
  for (size_t k = 0; k < result->n_reasons; k++) {
    if (strcmp(result->reasons[k].rule, CORROBORATION_RULE) == 0) {
      memmove(&result->reasons[k], &result->reasons[k + 1],
              (result->n_reasons - k - 1) * sizeof result->reasons[0]);
      result->n_reasons--;
      break;
    }
  }
  if (n_reports > 1 && result->n_reasons < SG_RULES_MAX_REASONS) {
    size_t extra = n_reports - 1;
    int bonus = extra >= CORROBORATION_MAX / CORROBORATION_STEP ? CORROBORATION_MAX
                                                                : (int)extra * CORROBORATION_STEP;
    sg_rules_reason *x = &result->reasons[result->n_reasons++];
    snprintf(x->rule, sizeof x->rule, CORROBORATION_RULE);
    x->points = bonus;
    snprintf(x->detail, sizeof x->detail,
             "Dikuatkan %zu laporan lain (corroborated by %zu more %s)", extra, extra,
             extra == 1 ? "report" : "reports");
  }
  sg_rules_settle(result);
}
