#include "triage/incident.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "wire/report.h"

#define CATEGORY_UNKNOWN "unknown"
#define CATEGORY_OTHER "other"
#define CATEGORY_NONEMERGENCY "nonemergency" /* "terima kasih" after a plea lowers nothing */
#define CATEGORY_RULE_PREFIX "category."
#define AML_RULE "location.aml"

uint8_t *sg_triage_pack(sg_arena *a, const ProtobufCMessage *msg, size_t *len) {
  /* pack() does not check bounds: size first, then pack exactly that. */
  size_t size = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = sg_arena_alloc(a, size > 0 ? size : 1);
  if (buf == NULL)
    return NULL;
  *len = protobuf_c_message_pack(msg, buf);
  return buf;
}

/* ---- ids and matching ---- */

int sg_triage_incident_id(char *buf, size_t size, const char *region, long long seq) {
  char upper[SG_TRIAGE_ID_MAX];
  size_t n = strlen(region);
  if (n >= sizeof(upper) || seq < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    upper[i] = (char)toupper((unsigned char)region[i]);
  upper[n] = '\0';
  int len = snprintf(buf, size, "%s-%06lld", upper, seq);
  return (len < 0 || (size_t)len >= size) ? -1 : len;
}

static int status_open(Siaga__V1__IncidentStatus s) {
  return s != SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED &&
         s != SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED;
}

int sg_triage_incident_matches(const Siaga__V1__Incident *inc, const char *category,
                               int64_t ref_ms) {
  return strcmp(inc->category, category) == 0 && status_open(inc->status) &&
         inc->updated_at_ms >= ref_ms - SG_TRIAGE_DEDUP_WINDOW_MS;
}

/* Redis's geohashGetDistance: the same formula and radius, so the two
 * agree to well under a metre at the dedup radius. */
#define EARTH_RADIUS_M 6372797.560856

double sg_triage_distance_m(double lat1, double lon1, double lat2, double lon2) {
  const double rad = M_PI / 180.0;
  double lat1r = lat1 * rad, lat2r = lat2 * rad;
  double u = sin((lat2r - lat1r) / 2);
  double v = sin((lon2 - lon1) * rad / 2);
  return 2.0 * EARTH_RADIUS_M * asin(sqrt(u * u + cos(lat1r) * cos(lat2r) * v * v));
}

int sg_triage_report_links_caller(const Siaga__V1__Report *r) {
  return r->reporter != NULL && r->reporter->phone != NULL && r->reporter->phone[0] != '\0';
}

int sg_triage_incident_matches_caller(const Siaga__V1__Incident *inc, int64_t ref_ms) {
  (void)ref_ms;
  return status_open(inc->status);
}

/* ---- summary text ---- */

static const char ellipsis[] = "\xE2\x80\xA6"; /* U+2026, one code point */

/* head + sep + tail cut to SG_TRIAGE_SUMMARY_MAX code points, ending in an
 * ellipsis when something was cut, so a dispatcher sees that there is more
 * in the reports. */
static char *summary_join(sg_arena *a, const char *head, const char *sep, const char *tail) {
  size_t hl = strlen(head), sl = strlen(sep), tl = strlen(tail);
  char *joined = sg_arena_alloc(a, hl + sl + tl + sizeof(ellipsis));
  if (joined == NULL)
    return NULL;
  memcpy(joined, head, hl);
  memcpy(joined + hl, sep, sl);
  memcpy(joined + hl + sl, tail, tl);
  size_t len = hl + sl + tl;
  joined[len] = '\0';
  size_t cps;
  sg_utf8_prefix(joined, len, SG_TRIAGE_SUMMARY_MAX + 1, &cps);
  if (cps > SG_TRIAGE_SUMMARY_MAX) {
    size_t keep = sg_utf8_prefix(joined, len, SG_TRIAGE_SUMMARY_MAX - 1, NULL);
    memcpy(joined + keep, ellipsis, sizeof(ellipsis));
  }
  return joined;
}

static char *summary_extend(sg_arena *a, const char *cur, const char *text) {
  /* A full summary stays as it is: the reports themselves hold the rest.
   * Text already in it (a resent SMS) adds nothing. */
  size_t cps;
  sg_utf8_prefix(cur, strlen(cur), SG_TRIAGE_SUMMARY_MAX, &cps);
  if (text[0] == '\0' || strstr(cur, text) != NULL || cps >= SG_TRIAGE_SUMMARY_MAX)
    return (char *)cur;
  return summary_join(a, cur, cur[0] != '\0' ? " | " : "", text);
}

/* Text first, then what the incident said so far: used when a caller's
 * words give an AML-only incident its category, so the dispatcher reads
 * the emergency before the handset's line. */
static char *summary_lead(sg_arena *a, const char *cur, const char *text) {
  if (text[0] == '\0' || strstr(cur, text) != NULL)
    return (char *)cur;
  return summary_join(a, text, cur[0] != '\0' ? " | " : "", cur);
}

/* ---- location ---- */

static int location_estimated(const Siaga__V1__Location *loc) {
  return loc->source == SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT ||
         loc->source == SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_GAZETTEER;
}

int sg_triage_location_better(const Siaga__V1__Location *cand, const Siaga__V1__Location *cur) {
  if (!sg_report_has_point(cand))
    return 0;
  if (!sg_report_has_point(cur))
    return 1;
  /* Only a handset fix displaces a point: a text's centroid or another
   * report's device point is no reason to move an incident that has one. */
  if (cand->source != SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML)
    return 0;
  if (location_estimated(cur))
    return 1;
  /* An unknown radius (0) is not known to be larger: keep what is there. */
  return cand->accuracy_m > 0 && cur->accuracy_m > cand->accuracy_m;
}

/* cand with the incident's address when cand has none, so a street a caller
 * typed is not lost when the handset's point arrives. */
static Siaga__V1__Location *location_merge(sg_arena *a, const Siaga__V1__Location *cand,
                                           const Siaga__V1__Location *cur) {
  Siaga__V1__Location *loc = sg_arena_alloc(a, sizeof(*loc));
  if (loc == NULL)
    return NULL;
  *loc = *cand; /* strings shared with the report, same arena */
  if (loc->address[0] == '\0' && cur != NULL && cur->address[0] != '\0')
    loc->address = cur->address;
  return loc;
}

/* A point or an address: somewhere to send help. */
static int has_place(const Siaga__V1__Location *loc) {
  return loc != NULL && (sg_report_has_point(loc) || (loc->address && loc->address[0] != '\0'));
}

static int is_aml_fix(const Siaga__V1__Location *loc) {
  return sg_report_has_point(loc) && loc->source == SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML;
}

/* ---- reasons ---- */

static Siaga__V1__ScoreReason *reason_new(sg_arena *a, const char *rule, int points,
                                          const char *detail) {
  Siaga__V1__ScoreReason *sr = sg_arena_alloc(a, sizeof(*sr));
  if (sr == NULL)
    return NULL;
  siaga__v1__score_reason__init(sr);
  sr->rule = sg_arena_strndup(a, rule, strlen(rule));
  sr->detail = sg_arena_strndup(a, detail, strlen(detail));
  sr->points = points;
  return (sr->rule != NULL && sr->detail != NULL) ? sr : NULL;
}

/* Room is made for `extra` more reasons after those of res. */
static int reasons_from_result(sg_arena *a, const sg_rules_result *res, size_t extra,
                               Siaga__V1__Incident *out) {
  out->n_reasons = 0;
  out->reasons = sg_arena_alloc(a, (res->n_reasons + extra + 1) * sizeof(*out->reasons));
  if (out->reasons == NULL)
    return -1;
  for (size_t i = 0; i < res->n_reasons; i++) {
    const sg_rules_reason *rr = &res->reasons[i];
    out->reasons[i] = reason_new(a, rr->rule, rr->points, rr->detail);
    if (out->reasons[i] == NULL)
      return -1;
  }
  out->n_reasons = res->n_reasons;
  return 0;
}

/* The rule name sg_rules_corroborate uses, learnt from the rules themselves
 * rather than copied from them, so the old bonus is dropped before the one
 * for the new count goes on, whatever rules.c calls it. */
static void corroboration_rule(char rule[48]) {
  sg_rules_result probe;
  memset(&probe, 0, sizeof(probe));
  sg_rules_corroborate(&probe, 2);
  rule[0] = '\0';
  if (probe.n_reasons > 0)
    snprintf(rule, 48, "%s", probe.reasons[probe.n_reasons - 1].rule);
}

/* Adds one rule to acc, keeping the stronger points when it is there. */
static void result_merge_reason(sg_rules_result *acc, const char *rule, int points,
                                const char *detail) {
  for (size_t i = 0; i < acc->n_reasons; i++) {
    if (strcmp(acc->reasons[i].rule, rule) == 0) {
      if (points > acc->reasons[i].points) {
        acc->reasons[i].points = points;
        snprintf(acc->reasons[i].detail, sizeof(acc->reasons[i].detail), "%s", detail);
      }
      return;
    }
  }
  /* One slot stays free for the corroboration reason. */
  if (acc->n_reasons + 1 >= SG_RULES_MAX_REASONS)
    return;
  sg_rules_reason *rr = &acc->reasons[acc->n_reasons++];
  snprintf(rr->rule, sizeof(rr->rule), "%s", rule);
  snprintf(rr->detail, sizeof(rr->detail), "%s", detail);
  rr->points = points;
}

/* ---- a danger that passed ---- */

#define CUE_RULE_PREFIX "cue."
#define RESOLVED_RULE_PREFIX "resolved."

/* The cue bit a rule "<prefix><cue name>" is about, 0 for any other rule. */
static uint32_t rule_cue(const char *rule, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(rule, prefix, n) != 0)
    return 0;
  for (int k = 0; k < SG_CUE_COUNT; k++)
    if (strcmp(rule + n, sg_rules_cue_name(1u << k)) == 0)
      return 1u << k;
  return 0;
}

/* Whether an earlier report's reason gives way to the new report: its cue
 * the new report says has passed ("sudah sadar" after "pingsan"), or its
 * "this has passed" the new report says again ("pingsan lagi"). The newest
 * word on a danger is the one that holds. */
static int reason_superseded(const char *rule, const sg_rules_result *res) {
  uint32_t cue = rule_cue(rule, CUE_RULE_PREFIX);
  if (cue != 0)
    return (res->resolved & cue) != 0;
  cue = rule_cue(rule, RESOLVED_RULE_PREFIX);
  return cue != 0 && (res->cues & cue) != 0;
}

/* Says on the new report's resolution reason which earlier cues it took
 * back (the one named after the first of them, else the first resolution),
 * so the dispatcher sees why the score went down. */
static void note_withdrawn(sg_rules_result *merged, uint32_t withdrawn) {
  if (withdrawn == 0)
    return;
  sg_rules_reason *target = NULL;
  for (size_t i = 0; i < merged->n_reasons; i++) {
    sg_rules_reason *rr = &merged->reasons[i];
    uint32_t cue = rule_cue(rr->rule, RESOLVED_RULE_PREFIX);
    if (cue & withdrawn) {
      target = rr;
      break;
    }
    if (target == NULL &&
        strncmp(rr->rule, RESOLVED_RULE_PREFIX, strlen(RESOLVED_RULE_PREFIX)) == 0)
      target = rr;
  }
  if (target == NULL)
    return;
  size_t len = strlen(target->detail);
  int n = snprintf(target->detail + len, sizeof(target->detail) - len, "; dicabut (withdrawn):");
  for (int k = 0; k < SG_CUE_COUNT && n > 0; k++) {
    len = strlen(target->detail);
    if (withdrawn & (1u << k))
      n = snprintf(target->detail + len, sizeof(target->detail) - len, " %s",
                   sg_rules_cue_name(1u << k));
  }
}

/* ---- notices: 0-point reasons about the incident, not scored ---- */

/* Flags and the location's origin are facts for the dispatcher, worth no
 * points (a flagged number may report a real emergency, so a flag must
 * never lower a priority). They are kept apart from the rules' reasons so
 * that a report full of cues cannot push them out of the rules' slots. */
static int is_notice(const char *rule) {
  return strncmp(rule, "flag.", 5) == 0 || strncmp(rule, "location.", 9) == 0;
}

typedef struct notices {
  Siaga__V1__ScoreReason **v;
  size_t n, cap;
} notices;

static int notices_init(sg_arena *a, notices *ns, size_t cap) {
  ns->n = 0;
  ns->cap = cap;
  ns->v = sg_arena_alloc(a, (cap > 0 ? cap : 1) * sizeof(*ns->v));
  return ns->v != NULL ? 0 : -1;
}

/* Each rule once; the newer detail wins (a sharper AML fix says so). */
static void notices_put(notices *ns, Siaga__V1__ScoreReason *sr) {
  for (size_t i = 0; i < ns->n; i++) {
    if (strcmp(ns->v[i]->rule, sr->rule) == 0) {
      ns->v[i] = sr;
      return;
    }
  }
  if (ns->n < ns->cap)
    ns->v[ns->n++] = sr;
}

typedef struct flag_reason {
  const char *flag; /* Report.flags value set by siagad */
  const char *rule;
  const char *detail;
} flag_reason;

/* Only flags we can explain in both languages are shown; siagad sets no
 * others. */
static const flag_reason flag_reasons[] = {
    {"prank_history", "flag.prank_history",
     "Nomor ini pernah ditandai laporan palsu (number previously marked as prank)"},
    {"rate_limited", "flag.rate_limited",
     "Banyak pesan dari nomor ini dalam 10 menit (many messages from this number in 10 minutes)"},
    {"rate_limited_address", "flag.rate_limited_address",
     "Banyak laporan aplikasi dari alamat internet ini dalam 10 menit (many app reports from this "
     "internet address in 10 minutes)"},
};

static int notices_add_flags(sg_arena *a, notices *ns, const Siaga__V1__Report *r) {
  for (size_t i = 0; i < r->n_flags; i++) {
    for (size_t k = 0; k < sizeof(flag_reasons) / sizeof(flag_reasons[0]); k++) {
      if (strcmp(r->flags[i], flag_reasons[k].flag) != 0)
        continue;
      Siaga__V1__ScoreReason *sr = reason_new(a, flag_reasons[k].rule, 0, flag_reasons[k].detail);
      if (sr == NULL)
        return -1;
      notices_put(ns, sr);
    }
  }
  return 0;
}

static int notices_add_aml(sg_arena *a, notices *ns, const Siaga__V1__Location *loc) {
  char detail[256];
  if (loc->accuracy_m > 0)
    snprintf(detail, sizeof(detail),
             "Lokasi dari AML ponsel pelapor, akurasi %.0f m, keyakinan %.0f%% "
             "(location from the caller's handset (AML), accuracy %.0f m, confidence %.0f%%)",
             loc->accuracy_m, loc->confidence * 100, loc->accuracy_m, loc->confidence * 100);
  else
    snprintf(detail, sizeof(detail),
             "Lokasi dari AML ponsel pelapor, akurasi tidak diketahui "
             "(location from the caller's handset (AML), accuracy unknown)");
  Siaga__V1__ScoreReason *sr = reason_new(a, AML_RULE, 0, detail);
  if (sr == NULL)
    return -1;
  notices_put(ns, sr);
  return 0;
}

/* out->reasons = the rules' reasons of res, then the notices. */
static int reasons_build(sg_arena *a, const sg_rules_result *res, const notices *ns,
                         Siaga__V1__Incident *out) {
  if (reasons_from_result(a, res, ns->n, out) != 0)
    return -1;
  for (size_t i = 0; i < ns->n; i++)
    out->reasons[out->n_reasons++] = ns->v[i];
  return 0;
}

/* ---- building ---- */

#define PHONES_MAX 10 /* callers' numbers an incident keeps, for call-backs */

/* cur's phones with the reporter's number added when it is new and there is
 * room; 0, or -1 out of memory. */
static int phones_add(sg_arena *a, const Siaga__V1__Incident *cur, const Siaga__V1__Report *r,
                      Siaga__V1__Incident *out) {
  out->phones = cur != NULL ? cur->phones : NULL;
  out->n_phones = cur != NULL ? cur->n_phones : 0;
  const char *phone = r->reporter != NULL ? r->reporter->phone : "";
  if (phone[0] == '\0' || out->n_phones >= PHONES_MAX)
    return 0;
  for (size_t i = 0; i < out->n_phones; i++)
    if (strcmp(out->phones[i], phone) == 0)
      return 0;
  char **phones = sg_arena_alloc(a, (out->n_phones + 1) * sizeof(char *));
  if (phones == NULL)
    return -1;
  if (out->n_phones > 0)
    memcpy(phones, out->phones, out->n_phones * sizeof(char *));
  phones[out->n_phones++] = (char *)phone;
  out->phones = phones;
  return 0;
}

int sg_triage_incident_open(sg_arena *a, const Siaga__V1__Report *r, const sg_rules_result *res,
                            const char *id, int64_t now_ms, Siaga__V1__Incident *out) {
  sg_rules_result scored = *res;
  sg_rules_corroborate(&scored, 1); /* one report: keeps the score, settles the priority */

  siaga__v1__incident__init(out);
  out->id = sg_arena_strndup(a, id, strlen(id));
  out->status = SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN;
  out->priority = scored.priority;
  out->score = scored.score;
  out->category = sg_arena_strndup(a, scored.category, strlen(scored.category));
  out->location = r->location; /* shared with the report, same arena */
  const char *text = r->description;
  if (text[0] == '\0' && r->location != NULL)
    text = r->location->address; /* a bare location still tells where */
  out->summary = summary_join(a, text, "", "");
  out->report_ids = sg_arena_alloc(a, sizeof(*out->report_ids));
  notices ns;
  if (out->id == NULL || out->category == NULL || out->summary == NULL || out->report_ids == NULL ||
      notices_init(a, &ns, r->n_flags + 1) != 0 || notices_add_flags(a, &ns, r) != 0 ||
      (is_aml_fix(r->location) && notices_add_aml(a, &ns, r->location) != 0) ||
      reasons_build(a, &scored, &ns, out) != 0 || phones_add(a, NULL, r, out) != 0)
    return -1;
  out->report_ids[0] = r->id;
  out->n_report_ids = 1;
  out->report_count = 1;
  out->created_at_ms = now_ms;
  out->updated_at_ms = now_ms;
  out->version = 1;
  return 0;
}

unsigned sg_triage_incident_unclear(const Siaga__V1__Incident *inc) {
  /* Thanks, a question, a past event: nothing to send help to, no place to ask for. */
  if (inc->category != NULL && strcmp(inc->category, CATEGORY_NONEMERGENCY) == 0)
    return 0;
  unsigned what = inc->category == NULL || strcmp(inc->category, CATEGORY_UNKNOWN) == 0;
  return (what ? SG_TRIAGE_UNCLEAR_WHAT : 0) |
         (has_place(inc->location) ? 0 : SG_TRIAGE_UNCLEAR_WHERE);
}

int sg_triage_incident_attach(sg_arena *a, const Siaga__V1__Incident *cur,
                              const Siaga__V1__Report *r, const sg_rules_result *res,
                              sg_triage_link link, int64_t now_ms, Siaga__V1__Incident *out) {
  *out = *cur; /* shallow: unchanged fields keep pointing into cur */

  /* An incident stored before report_count existed counts its list. */
  out->report_count = cur->report_count > 0 ? cur->report_count : (int32_t)cur->n_report_ids;
  int seen = 0;
  for (size_t i = 0; i < cur->n_report_ids; i++)
    seen |= strcmp(cur->report_ids[i], r->id) == 0;
  if (!seen) {
    /* The first report stays (it opened the incident); past the limit the
     * oldest of the others makes room for this one. */
    size_t keep = cur->n_report_ids;
    size_t n = keep < SG_TRIAGE_REPORT_IDS_MAX ? keep + 1 : SG_TRIAGE_REPORT_IDS_MAX;
    out->report_ids = sg_arena_alloc(a, n * sizeof(char *));
    if (out->report_ids == NULL)
      return -1;
    if (keep < SG_TRIAGE_REPORT_IDS_MAX) {
      if (keep > 0)
        memcpy(out->report_ids, cur->report_ids, keep * sizeof(char *));
    } else {
      out->report_ids[0] = cur->report_ids[0];
      memcpy(out->report_ids + 1, cur->report_ids + (keep - n + 2), (n - 2) * sizeof(char *));
    }
    out->report_ids[n - 1] = r->id;
    out->n_report_ids = n;
    out->report_count++;
  }

  if (phones_add(a, cur, r, out) != 0)
    return -1;
  int is_aml = r->channel == SIAGA__V1__CHANNEL__CHANNEL_AML;
  /* A dispatcher's category stands: the caller's words do not take over. */
  int takeover = cur->category_override == NULL && link == SG_TRIAGE_LINK_CALLER &&
                 strcmp(cur->category, CATEGORY_UNKNOWN) == 0 &&
                 strcmp(res->category, CATEGORY_UNKNOWN) != 0 &&
                 strcmp(res->category, CATEGORY_OTHER) != 0 &&
                 strcmp(res->category, CATEGORY_NONEMERGENCY) != 0;
  if (is_aml)
    out->summary = cur->summary;
  else if (takeover)
    out->summary = summary_lead(a, cur->summary, r->description);
  else
    out->summary = summary_extend(a, cur->summary, r->description);
  if (out->summary == NULL)
    return -1;
  if (takeover &&
      (out->category = sg_arena_strndup(a, res->category, strlen(res->category))) == NULL)
    return -1;

  notices ns;
  if (notices_init(a, &ns, cur->n_reasons + r->n_flags + 1) != 0)
    return -1;
  if (sg_triage_location_better(r->location, cur->location)) {
    out->location = location_merge(a, r->location, cur->location);
    if (out->location == NULL)
      return -1;
  } else if (!has_place(cur->location) && has_place(r->location)) {
    out->location = r->location; /* the street a caller's reply names fills the gap */
  }

  /* The incident's reasons and the new report's, each rule once at its
   * stronger points: the incident now shows every cue any of its reports
   * gave. The rules score a result from its reasons; a report found nearby
   * recounts corroboration for the new number of reports, while one from
   * the same caller leaves the bonus as it was. */
  char bonus_rule[48], own_category[48];
  corroboration_rule(bonus_rule);
  snprintf(own_category, sizeof(own_category), CATEGORY_RULE_PREFIX "%s", out->category);
  sg_rules_result merged;
  memset(&merged, 0, sizeof(merged));
  snprintf(merged.category, sizeof(merged.category), "%s", out->category);
  merged.cues = res->cues;
  uint32_t withdrawn = 0;
  for (size_t i = 0; i < cur->n_reasons; i++) {
    Siaga__V1__ScoreReason *sr = cur->reasons[i];
    if (is_notice(sr->rule)) {
      notices_put(&ns, sr);
      continue;
    }
    if (reason_superseded(sr->rule, res)) {
      withdrawn |= rule_cue(sr->rule, CUE_RULE_PREFIX);
      continue;
    }
    if (link == SG_TRIAGE_LINK_NEARBY && bonus_rule[0] != '\0' && strcmp(sr->rule, bonus_rule) == 0)
      continue;
    if (takeover && (strcmp(sr->rule, CATEGORY_RULE_PREFIX CATEGORY_UNKNOWN) == 0 ||
                     strcmp(sr->rule, SG_RULES_UNCLEAR_RULE) == 0))
      continue; /* the caller's words replace "category not recognised" */
    result_merge_reason(&merged, sr->rule, sr->points, sr->detail);
  }
  for (size_t i = 0; i < res->n_reasons; i++) {
    const sg_rules_reason *rr = &res->reasons[i];
    const char *prefix = CATEGORY_RULE_PREFIX;
    if (strncmp(rr->rule, prefix, strlen(prefix)) == 0 &&
        sg_rules_category_known(rr->rule + strlen(prefix)) && strcmp(rr->rule, own_category) != 0)
      continue; /* a second base score would count one emergency twice */
    result_merge_reason(&merged, rr->rule, rr->points, rr->detail);
  }
  note_withdrawn(&merged, withdrawn);
  if (link == SG_TRIAGE_LINK_NEARBY)
    sg_rules_corroborate(&merged, (size_t)out->report_count);
  else
    sg_rules_settle(&merged);

  if (notices_add_flags(a, &ns, r) != 0 ||
      (out->location != cur->location && is_aml_fix(out->location) &&
       notices_add_aml(a, &ns, out->location) != 0))
    return -1;
  if (reasons_build(a, &merged, &ns, out) != 0)
    return -1;
  out->score = merged.score;
  /* A dispatcher's priority stands whatever later reports say (the score
   * and reasons still show what they said). */
  out->priority = cur->priority_override != NULL ? cur->priority : merged.priority;
  out->updated_at_ms = now_ms;
  out->version = cur->version + 1;
  return 0;
}
