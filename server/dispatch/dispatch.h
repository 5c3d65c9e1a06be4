/* Units and assignments: the dispatch half of the server (issue 12).
 *
 * A unit (a crew with a vehicle) and an assignment (a unit sent to an
 * incident) change only through dispatch.lua, one atomic step that checks
 * the versions the caller read, writes the unit, the assignment and the
 * incident together, appends one IncidentUpdate (UPDATE_KIND_UNIT_CHANGED or
 * _ASSIGNMENT_CHANGED) to the region's updates stream (so every console and
 * the unit's responder connection see it, and resume across a dropped
 * connection as consoles do), and writes the unit's and the incident's audit
 * trails. Callers build the new protobufs in C; the script only compares and
 * sets, as transition.lua does for incidents.
 *
 * Keys (all with the region's hash tag):
 *   siaga:{r}:unit:<id>            hash: pb (Unit), version, status, token
 *                                  (SHA-256 hex of its token), phone
 *   siaga:{r}:units                set of unit ids
 *   siaga:{r}:unitgeo              geo set of units' last positions
 *   siaga:{r}:unittoken:<sha256>   the unit id a token belongs to
 *   siaga:{r}:unitphone:<e164>     the unit id a crew phone belongs to
 *   siaga:{r}:unitaudit:<id>       stream: the unit's audit trail
 *   siaga:{r}:assignment:<id>      hash: pb (Assignment), version
 *   siaga:{r}:seq:assignment       counter for assignment ids
 *   siaga:{r}:assign:due           zset: assignment id by when its next
 *                                  acknowledgement-ladder step is due
 *   siaga:{r}:unitconn:<id>        zset: the unit's responder sockets
 *                                  (holders) by when each expires
 *   siaga:{r}:unitconns            zset: units told connected, by expiry
 *
 * Every callback is called exactly once, possibly before the call returns;
 * what it is handed lives only during the call. */
#ifndef SG_DISPATCH_H
#define SG_DISPATCH_H

#include <stdint.h>
#include <uv.h>

#include "auth/auth.h"
#include "core/metrics.h"
#include "store/redisconn.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_DISPATCH_UNIT_ID_MAX 16    /* "AMB-01": [A-Z0-9-], 2..16 */
#define SG_DISPATCH_REASON_MAX 200    /* bytes of a decline's or cancel's reason */
#define SG_DISPATCH_ACK_DEFAULT_S 60  /* --assign-ack-s */
/* A unit's position is stored (hash, geo set) every time the crew's app
 * sends one, but told to the consoles at most this often per unit: 1000
 * units every 5 s would otherwise be 200 updates a second to every console,
 * as many as a disaster's reports (bench/README, responders rows). */
#define SG_DISPATCH_POSITION_UPDATE_MS 15000
#define SG_DISPATCH_POSITION_UPDATE_MS_TEXT "15000"
#define SG_DISPATCH_TEXT_MAX 64       /* bytes of a unit's name or station */
#define SG_DISPATCH_NOTE_MAX 1000     /* bytes of a crew's note */
/* --unit-connected-s: see sg_dispatch_options.connected_s. */
#define SG_DISPATCH_CONNECTED_DEFAULT_S 45

typedef struct sg_dispatch sg_dispatch;

/* The same shape as sg_dispatch_done_cb: consoles answer both alike. */
typedef void (*sg_dispatch_done_cb)(void *data, const Siaga__V1__CommandReply *reply);

typedef struct sg_dispatch_options {
  const char *region;
  /* Which unit kinds answer which categories: data/unit_kinds.tsv, read at
   * create; NULL = the copy built into the binary. */
  const char *kinds_path;
  /* The acknowledgement ladder: an assignment not accepted within ack_s[P]
   * seconds (index 1..4 by priority, 0 = default for any) goes to the
   * unit's phone by SMS; after as long again it times out. 0 entries take
   * ack_s[0], and ack_s[0] 0 takes SG_DISPATCH_ACK_DEFAULT_S. */
  unsigned ack_s[5];
  double speed_kmh;      /* for the estimated time of arrival; 0 = 40 */
  unsigned stale_s;      /* a position older than this ranks lower; 0 = 300 */
  /* A unit's socket counts as its app connected this long in Redis unless
   * its siagad refreshes it (every third of it): the bound on a killed
   * siagad's units showing connected. 0 = SG_DISPATCH_CONNECTED_DEFAULT_S. */
  unsigned connected_s;
} sg_dispatch_options;

/* 1 if id may name a unit: 2..SG_DISPATCH_UNIT_ID_MAX of [A-Z0-9-], starting
 * with a letter or digit (it becomes part of keys). */
int sg_dispatch_unit_id_valid(const char *id);
/* 1 if phone is a crew phone as units keep it: '+' and 8..15 digits. */
int sg_dispatch_phone_valid(const char *phone);

/* redis (and loop) must outlive the object. NULL on bad options (an
 * unreadable kinds file) or out of memory. */
sg_dispatch *sg_dispatch_create(uv_loop_t *loop, sg_redis *redis, const sg_dispatch_options *options);
void sg_dispatch_destroy(sg_dispatch *dispatch);

/* Starts the ladder's timer: once a second, the due steps (SMS to the
 * unit's phone, then TIMED_OUT) are taken, each exactly once across every
 * siagad of the region, surviving a killed one. */
void sg_dispatch_start(sg_dispatch *dispatch);

/* Times from an assignment's offer to the crew's answer go to
 * siaga_assignment_answer_seconds{answer="accepted"|"declined"} in m, which
 * must outlive the object. 0, or SG_ENOMEM. */
int sg_dispatch_set_metrics(sg_dispatch *dispatch, sg_metrics *m);

/* Console commands (Assign, CancelAssignment, Recommend) by a signed-in
 * dispatcher; the reply carries assignment or recommendation. */
void sg_dispatch_console_command(sg_dispatch *dispatch, const Siaga__V1__Command *command,
                                 const sg_identity *who, sg_dispatch_done_cb done, void *data);

/* A responder's command, for its own unit only (who->role ==
 * SG_ROLE_RESPONDER, who->name the unit id); the reply carries the unit. */
void sg_dispatch_responder_command(sg_dispatch *dispatch, const Siaga__V1__ResponderCommand *command,
                                   const sg_identity *who, sg_dispatch_done_cb done, void *data);

/* A unit's token (from Authorization: Bearer): status SG_AUTH_OK with the
 * identity {unit id, SG_ROLE_RESPONDER}, BAD_CREDENTIALS for an unknown
 * token or a disabled unit, UNAVAILABLE when Redis cannot be asked. */
void sg_dispatch_check_token(sg_dispatch *dispatch, const char *token, sg_auth_check_cb cb, void *data);

/* What a responder gets first on connecting. hello == NULL with the error
 * code when the unit cannot be read. */
typedef void (*sg_dispatch_hello_cb)(void *data, const Siaga__V1__ResponderHello *hello,
                                     const char *error_code);
void sg_dispatch_hello(sg_dispatch *dispatch, const char *unit_id, sg_dispatch_hello_cb cb, void *data);

/* Unit.connected. A unit's responder socket that said hello opens a
 * presence: the unit is connected (an update to every console when that
 * changes, its version untouched, as a position's) until its last presence
 * closes or, if this process dies, connected_s after the last refresh. An
 * assignment offered to a unit not connected goes by SMS at once. Returns
 * NULL on out of memory (the unit then shows as not connected); the
 * presence is the dispatch object's until closed, and close frees it. */
typedef struct sg_dispatch_presence sg_dispatch_presence;
sg_dispatch_presence *sg_dispatch_presence_open(sg_dispatch *dispatch, const char *unit_id);
void sg_dispatch_presence_close(sg_dispatch *dispatch, sg_dispatch_presence *presence);

/* The incident as a crew sees it, for an assignment (phones only when it
 * shares the caller). Writes into out, whose strings point into incident:
 * valid while incident is. */
void sg_dispatch_crew_incident(const Siaga__V1__Incident *incident, const Siaga__V1__Assignment *assignment,
                               Siaga__V1__CrewIncident *out);

/* A text from a number that is a unit's phone: its answer to an
 * assignment ("1", "2", TERIMA, TOLAK, with or without the reference) or a
 * status word (OTW, TIBA, SELESAI), confirmed by a short SMS back. matched
 * is 0 when the number is no unit's (the caller then treats it as a
 * citizen's message), 1 when it was the unit's and was handled, -1 when
 * Redis could not tell (the caller answers 503 so the gateway retries; the
 * answer is safe to apply twice). */
typedef void (*sg_dispatch_sms_cb)(void *data, int matched);
void sg_dispatch_sms(sg_dispatch *dispatch, const char *from_e164, const char *text, size_t len,
                     sg_dispatch_sms_cb cb, void *data);

#endif
