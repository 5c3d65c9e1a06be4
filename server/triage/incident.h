/* The pure half of triage: building the next state of an incident from a
 * report, with no I/O, so it can be tested without Redis.
 *
 * Every message built here lives in an arena (sg_arena) that the
 * caller resets once the report is finished: decoded reports and candidate
 * incidents, the incidents built from them and their packed bytes are never
 * freed one by one. Built incidents share strings and sub-messages with their
 * inputs, which therefore must outlive them (they do: same arena). */
#ifndef SG_TRIAGE_INCIDENT_H
#define SG_TRIAGE_INCIDENT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "triage/rules.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_TRIAGE_SUMMARY_MAX 280                  /* code points of an incident summary */
#define SG_TRIAGE_DEDUP_RADIUS_M 300               /* a report this close may join an incident */
#define SG_TRIAGE_DEDUP_WINDOW_MS (60 * 60 * 1000) /* ... if it changed this recently */
#define SG_TRIAGE_REPORT_IDS_MAX 20 /* ids an incident carries: the first, then the latest */
#define SG_TRIAGE_ID_MAX 32         /* "PLK-000042" and NUL, with room to spare */
/* A number's next report (app, SMS or AML) joins the incident it last
 * reported into for as long as that incident is open: a citizen answering
 * the acknowledgement an hour later is still talking about the same
 * emergency. The phone -> incident map lives this long, refreshed by every
 * report of the number, so it outlasts any incident that is still worked. */
#define SG_TRIAGE_PHONE_TTL_S (7 * 24 * 3600)

/* How a report found the incident it joins. */
typedef enum sg_triage_link {
  SG_TRIAGE_LINK_NEARBY = 0, /* same category, close by (GEOSEARCH) */
  SG_TRIAGE_LINK_CALLER = 1, /* same phone number, any channel (the phone map) */
} sg_triage_link;

/* Writes the incident id for a sequence number: the region in upper case, a
 * dash and at least six digits ("plk", 42 -> "PLK-000042"). Returns its
 * length, or -1 if it does not fit. */
int sg_triage_incident_id(char *buf, size_t size, const char *region, long long seq);

/* Whether a decoded incident may take a report of this category made at
 * ref_ms: same category, still open (not resolved or closed) and changed
 * within SG_TRIAGE_DEDUP_WINDOW_MS. Distance is the caller's (GEOSEARCH). */
int sg_triage_incident_matches(const Siaga__V1__Incident *inc, const char *category,
                               int64_t ref_ms);

/* Great-circle distance in metres between two points in degrees, measured
 * as Redis GEOSEARCH and GEODIST measure it (haversine on a sphere of radius
 * 6372797.560856 m), so that a distance computed here and one from the geo
 * set compare against SG_TRIAGE_DEDUP_RADIUS_M alike. */
double sg_triage_distance_m(double lat1, double lon1, double lat2, double lon2);

/* Whether report r is linked to incidents by its number: it carries a phone
 * number (E.164 on every channel, wire/phone.h), whichever way it came: one
 * number is one reporter, so an app report and an SMS of the same caller
 * make one incident, and the caller does not corroborate themself. */
int sg_triage_report_links_caller(const Siaga__V1__Report *r);

/* Whether a decoded incident may take the next report of a number that
 * last reported into it: still open, however long ago it last changed
 * (ref_ms, the report's time, is not needed for that; the phone map's TTL
 * bounds it). Any category: one caller, one emergency. */
int sg_triage_incident_matches_caller(const Siaga__V1__Incident *inc, int64_t ref_ms);

/* Fills out with a new incident opened by report r with rules result res:
 * status OPEN, version 1, location and summary from the report. Besides the
 * rules' reasons it carries 0-point notices: one per known report flag
 * ("flag.prank_history", "flag.rate_limited") and "location.aml" when the
 * location is an AML fix. Returns 0, or -1 when the arena is exhausted. */
int sg_triage_incident_open(sg_arena *a, const Siaga__V1__Report *r, const sg_rules_result *res,
                            const char *id, int64_t now_ms, Siaga__V1__Incident *out);

/* Fills out with incident cur after report r (rules result res), found by
 * link, joined it:
 *  - report id appended (once); version + 1; status and notes unchanged;
 *  - summary extended up to SG_TRIAGE_SUMMARY_MAX, except by an AML report,
 *    whose text is the handset's, not the caller's words;
 *  - reasons merged, each rule once at its stronger points; the report's
 *    category rule only when it names the incident's category (a caller's
 *    second message about something else adds its cues, not a second base
 *    score); score and priority as the rules make them from those reasons;
 *  - a danger that passed: an earlier cue the report says is over (its
 *    rules result's `resolved`, "sudah sadar" after "pingsan") is dropped,
 *    and the report's resolution reason says which it withdrew, so the
 *    score can go down; an earlier "resolved.*" the report says again
 *    ("pingsan lagi") is dropped likewise. The priority follows the score
 *    unless a dispatcher set it;
 *  - corroboration: a NEARBY report recounts the bonus for all reports; a
 *    CALLER report leaves it as it was, since the same number confirms
 *    nothing;
 *  - category takeover: a CALLER report whose text names a specific
 *    category (not unknown, not other) joining an incident of category
 *    "unknown" (typically opened by an AML message alone) gives the
 *    incident its category, replacing category.unknown by its own category
 *    rule (and dropping category.unclear, the plea's hold at P2: the caller
 *    has now said what it is), and its text leads the summary;
 *  - location: the report's replaces the incident's when it is better: the
 *    incident has no point, or the report is an AML fix and the incident's
 *    point is a text or gazetteer estimate or has a larger accuracy radius
 *    (sg_triage_location_better); the incident's address stays when the
 *    report has none, and an AML fix adds the 0-point "location.aml"; an
 *    incident with no place at all takes the report's address alone (the
 *    reply to the question of an unclear incident);
 *  - the report's flags become 0-point "flag.*" reasons, each once.
 * 0-point notices (flag.*, location.*) never count against the rules'
 * reason limit. Returns 0, or -1 when the arena is exhausted. */
int sg_triage_incident_attach(sg_arena *a, const Siaga__V1__Incident *cur,
                              const Siaga__V1__Report *r, const sg_rules_result *res,
                              sg_triage_link link, int64_t now_ms, Siaga__V1__Incident *out);

/* What the incident still needs the caller to say (issue 13), 0 when
 * nothing: what happened (no readable emergency, category "unknown") and
 * where (no point and no address; a nonemergency needs none). Its SMS
 * acknowledgement asks for it. */
enum { SG_TRIAGE_UNCLEAR_WHAT = 1, SG_TRIAGE_UNCLEAR_WHERE = 2 };
unsigned sg_triage_incident_unclear(const Siaga__V1__Incident *inc);

/* Whether location cand should replace cur, as described for attach. */
int sg_triage_location_better(const Siaga__V1__Location *cand, const Siaga__V1__Location *cur);

/* Packs msg into the arena. Returns the bytes and sets *len, or NULL. */
uint8_t *sg_triage_pack(sg_arena *a, const ProtobufCMessage *msg, size_t *len);

#endif
