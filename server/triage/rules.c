/* Triage rules: how a report is scored with the active protocol
 * (triage/protocol.h; the numbers are data, data/protocol/triage-protocol.tsv,
 * documented there and in README "Triage rules"). A score is the sum of the
 * points of the rules that fired, clamped to 0..100, and every rule that
 * fired is kept as a reason, so the number a dispatcher sees is always
 * explained by the list beside it.
 *
 * 1. Chief complaint (exactly one rule). The category the app sent wins
 *    when it is specific (not "other"/"unknown"); otherwise the text decides
 *    (textscan). Its base points are the complaint's. If the app's category
 *    and a confident reading of the text disagree, a 0-point reason says so,
 *    for the dispatcher to judge. A second complaint read in the text is
 *    shown; a victim one (rescue, medical) makes its graver base count.
 * 2. Determinants (one rule each, in the protocol's order): the cues the
 *    text reader found, each at its points unless the complaint is one where
 *    it does not count or is unscored (a nonemergency). Scope (issue 13): a
 *    danger the text says has passed lowers the score (the lexicon's
 *    resolved rows), a past event and a question are reasons of their own; a
 *    plea with no readable complaint gets the unclear_plea points (P2 until
 *    clarified).
 * 3. Corroboration: points per further distinct report, up to a maximum.
 *
 * Priority from the score by the protocol's thresholds (P1 >= 70, P2 >= 50,
 * P3 >= 30 as shipped), else P4. */
#include "triage/rules.h"

#include <stdio.h>
#include <string.h>

#include "text/textscan.h"
#include "triage/protocol.h"

#define CORROBORATION_RULE "corroboration"

const char *sg_rules_cue_name(uint32_t cue) {
  return sg_cue_name(cue);
}

Siaga__V1__Priority sg_rules_priority(int score) {
  const sg_protocol *p = sg_protocol_active();
  if (score >= sg_protocol_priority_min(p, 1))
    return SIAGA__V1__PRIORITY__P1;
  if (score >= sg_protocol_priority_min(p, 2))
    return SIAGA__V1__PRIORITY__P2;
  if (score >= sg_protocol_priority_min(p, 3))
    return SIAGA__V1__PRIORITY__P3;
  return SIAGA__V1__PRIORITY__P4;
}

int sg_rules_category_known(const char *category) {
  if (!category)
    return 0;
  return strcmp(category, sg_textscan_category_name(SG_TEXTSCAN_UNKNOWN)) == 0 ||
         sg_textscan_category_from_name(category) != SG_TEXTSCAN_UNKNOWN;
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
static void explain_scope(const sg_protocol *p, const sg_textscan_result *ts,
                          sg_textscan_category cat, sg_rules_result *out) {
  char detail[160], rule[48];
  int lowered = 0, past = 0, question = 0;
  for (size_t k = 0; k < ts->n_matches; k++) {
    const sg_textscan_match *m = &ts->matches[k];
    if (m->kind == SG_TEXTSCAN_MATCH_RESOLVED) {
      const char *what = m->cue ? sg_cue_name(m->cue & -m->cue) : "danger";
      int points = sg_protocol_complaint_is(p, cat, SG_PROTOCOL_UNSCORED) ? 0 : m->weight;
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
    add_reason(out, SG_RULES_UNCLEAR_RULE, sg_protocol_unclear_plea(p),
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

  const sg_protocol *p = sg_protocol_active();
  memset(out, 0, sizeof *out);
  sg_textscan_read(text, strlen(text), &ts); /* the report carries its place */

  sg_textscan_category app_cat = sg_textscan_category_from_name(app);
  int app_specific = app_cat != SG_TEXTSCAN_UNKNOWN && app_cat != SG_TEXTSCAN_OTHER;
  sg_textscan_category cat;
  if (app_specific || (app_cat == SG_TEXTSCAN_OTHER && ts.category == SG_TEXTSCAN_UNKNOWN)) {
    cat = app_cat;
    snprintf(detail, sizeof detail, "Kategori dari pelapor: %s (category chosen by reporter: %s)",
             sg_protocol_complaint_id(p, cat), sg_protocol_complaint_en(p, cat));
  } else if (ts.category != SG_TEXTSCAN_UNKNOWN) {
    const sg_textscan_match *m = first_match(&ts, 0, ts.category);
    cat = ts.category;
    snprintf(detail, sizeof detail,
             "Kategori dari teks: %s, kata \"%s\", keyakinan %.0f%% (category from text: %s, "
             "word \"%s\")",
             sg_protocol_complaint_id(p, cat), m ? m->typed : "", ts.category_confidence * 100,
             sg_protocol_complaint_en(p, cat), m && m->en ? m->en : "");
  } else {
    cat = SG_TEXTSCAN_UNKNOWN;
    snprintf(detail, sizeof detail,
             "Kategori tidak dikenali dari teks (category not recognised in the text)");
  }
  snprintf(out->category, sizeof out->category, "%s", sg_textscan_category_name(cat));
  snprintf(rule, sizeof rule, "category.%s", out->category);
  add_reason(out, rule, sg_protocol_complaint_points(p, cat), detail);

  if (app_specific && ts.category != SG_TEXTSCAN_UNKNOWN && ts.category != cat &&
      ts.category_confidence >= sg_protocol_text_disagrees(p)) {
    snprintf(detail, sizeof detail, "Teks lebih mirip %s (the text reads more like %s)",
             sg_protocol_complaint_id(p, ts.category), sg_protocol_complaint_en(p, ts.category));
    add_reason(out, "category.text_disagrees", 0, detail);
  }

  if (ts.secondary != SG_TEXTSCAN_UNKNOWN && ts.secondary != cat) {
    /* A victim to rescue or treat besides the incident: the graver base
     * counts ("banjir ... ada yg hanyut" is scored as a rescue, read as a
     * flood). */
    int extra =
        sg_protocol_complaint_points(p, ts.secondary) - sg_protocol_complaint_points(p, cat);
    snprintf(detail, sizeof detail, "Kategori kedua: %s (secondary category: %s)",
             sg_protocol_complaint_id(p, ts.secondary), sg_protocol_complaint_en(p, ts.secondary));
    int counts = sg_protocol_complaint_is(p, ts.secondary, SG_PROTOCOL_VICTIM) && extra > 0 &&
                 !sg_protocol_complaint_is(p, cat, SG_PROTOCOL_UNSCORED);
    add_reason(out, "category.secondary", counts ? extra : 0, detail);
  }
  explain_scope(p, &ts, cat, out);

  out->cues = ts.cues;
  for (size_t k = 0; k < ts.n_matches; k++)
    if (ts.matches[k].kind == SG_TEXTSCAN_MATCH_RESOLVED)
      out->resolved |= ts.matches[k].cue;
  out->resolved &= ~ts.cues; /* "sudah sadar, pingsan lagi": the danger is back */
  for (size_t k = 0; k < SG_CUE_COUNT; k++) {
    const sg_protocol_determinant *c = sg_protocol_determinant_at(p, k);
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
    add_reason(out, rule, sg_protocol_determinant_points(p, c, cat), detail);
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
    int bonus = sg_protocol_corroboration(sg_protocol_active(), extra);
    sg_rules_reason *x = &result->reasons[result->n_reasons++];
    snprintf(x->rule, sizeof x->rule, CORROBORATION_RULE);
    x->points = bonus;
    snprintf(x->detail, sizeof x->detail,
             "Dikuatkan %zu laporan lain (corroborated by %zu more %s)", extra, extra,
             extra == 1 ? "report" : "reports");
  }
  sg_rules_settle(result);
}
