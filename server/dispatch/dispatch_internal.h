/* What the files of the dispatch module share (not for other folders).
 *
 *   dispatch.c   create/destroy, tokens, hello, the crew's view
 *   store.c      reads (dispatch_read.lua) and writes (dispatch.lua)
 *   console.c    Assign, CancelAssignment (and Recommend, recommend.c)
 *   responder.c  the crew's commands (app and SMS alike)
 *   ladder.c     the acknowledgement ladder's timer
 *   smsin.c      a unit's SMS
 *   presence.c   Unit.connected: the responder sockets' holders in Redis
 *
 * Lifetime: every operation in flight holds a reference (sg_dispatch__ref);
 * sg_dispatch_destroy marks the object closing and drops its own, and the
 * memory goes with the last reference and the timer's close. An operation
 * that finds the object closing finishes with "unavailable". */
#ifndef SG_DISPATCH_INTERNAL_H
#define SG_DISPATCH_INTERNAL_H

#include <stdint.h>

#include "auth/auth.h"
#include "core/metrics.h"
#include "dispatch/dispatch.h"
#include "dispatch/kinds.h"
#include "store/keys.h"

#define SG_DISPATCH__UPDATES_MAXLEN 10000 /* as transition.lua's callers pass */
#define SG_DISPATCH__ATTEMPTS 5           /* re-reads when another change wins */
#define SG_DISPATCH__ASSIGNMENTS_MAX 20   /* Incident.assignments kept */
#define SG_DISPATCH__HOLDER_MAX 48        /* "<instance hex>-<n>": a socket's holder id */

struct sg_dispatch {
  uv_loop_t *loop;
  sg_redis *redis;
  sg_kinds *kinds;
  char region[SG_KEY_REGION_MAX + 1];
  unsigned ack_s[5];
  double speed_kmh;
  unsigned stale_s;
  char sha_read[SG_REDIS_SHA_LEN + 1];  /* dispatch_read.lua */
  char sha_write[SG_REDIS_SHA_LEN + 1]; /* dispatch.lua */
  char sha_units[SG_REDIS_SHA_LEN + 1]; /* units.lua */
  uv_timer_t timer;
  int timer_open; /* initialised: closed on destroy */
  int closing;
  int ladder_busy; /* a ladder round is in flight */
  size_t refs;
  sg_metrics_histogram *answered[2]; /* offer to answer: accepted, declined; NULL = none */
  /* presence.c: presence.lua, a holder's life in Redis unless refreshed,
   * this process's holders' prefix (random hex) and its holders, linked. */
  char sha_presence[SG_REDIS_SHA_LEN + 1];
  uint64_t connected_ms;
  char instance[17];
  uint64_t holders_made;
  sg_dispatch_presence *holders;
  int sweep_busy;
};

void sg_dispatch__ref(sg_dispatch *d);
void sg_dispatch__unref(sg_dispatch *d);

/* siaga:{r}:kind:id into buf (SG_KEY_MAX); -1 if it does not fit. */
int sg_dispatch__key(const sg_dispatch *d, char *buf, const char *kind, const char *id);

/* The acknowledgement period of a priority, ms. */
uint64_t sg_dispatch__ack_ms(const sg_dispatch *d, int priority);

/* ---- store.c ---- */

/* The three records as read at one moment (owned: sg_dispatch__state_clear). */
typedef struct sg_dispatch__state {
  Siaga__V1__Unit *unit;
  int64_t unit_version;
  Siaga__V1__Assignment *asg;
  int64_t asg_version;
  Siaga__V1__Incident *inc;
  int64_t inc_version;
  char last_update_id[48];
} sg_dispatch__state;

void sg_dispatch__state_clear(sg_dispatch__state *st);

/* ok is 1 when Redis answered (absent records are NULL in st), 0 when it
 * could not be asked. */
typedef void (*sg_dispatch__read_cb)(void *data, int ok);

/* Reads the records whose ids are not NULL into st (cleared first), in one
 * script call. 0, or a negative code without calling back. */
int sg_dispatch__read(sg_dispatch *d, const char *unit_id, const char *asg_id, const char *inc_id,
                      sg_dispatch__state *st, sg_dispatch__read_cb cb, void *data);

/* One change to write. The records are the new states (their versions
 * already the read ones + 1); NULL leaves that record alone. */
typedef struct sg_dispatch__write {
  const Siaga__V1__Unit *unit;
  int64_t unit_expected;
  const Siaga__V1__Assignment *asg;
  int64_t asg_expected; /* 0: a new assignment */
  const Siaga__V1__Incident *inc;
  int64_t inc_expected;
  const char *unit_id, *asg_id, *inc_id; /* even when the record is left alone */
  Siaga__V1__UpdateKind kind;
  const char *actor;
  int64_t now_ms;
  int due; /* 0 leave the ladder alone, -1 take the assignment off it, 1 set due_ms */
  int64_t due_ms;
  const char *dispatched_text; /* for the citizens if the incident becomes DISPATCHED */
  const char *sms_to, *sms_text, *sms_kind; /* one SMS to the unit's phone */
  int position;                             /* only the unit's position: unit->position */
} sg_dispatch__write;

typedef enum sg_dispatch__result {
  SG_DISPATCH__OK,
  SG_DISPATCH__CONFLICT,   /* a version moved: re-read */
  SG_DISPATCH__UNAVAILABLE /* Redis could not be asked, or refused the call */
} sg_dispatch__result;

/* update_id is the updates stream entry (OK only). */
typedef void (*sg_dispatch__write_cb)(void *data, sg_dispatch__result result,
                                      const char *update_id);

/* Packs and sends the change; 0, or a negative code without calling back. */
int sg_dispatch__write_start(sg_dispatch *d, const sg_dispatch__write *w, sg_dispatch__write_cb cb,
                             void *data);

/* ---- change.c: one change, read, planned, written, retried ---- */

typedef enum sg_dispatch__action {
  SG_DISPATCH__ASSIGN,   /* console */
  SG_DISPATCH__CANCEL,   /* console */
  SG_DISPATCH__ACCEPT,   /* crew */
  SG_DISPATCH__DECLINE,  /* crew */
  SG_DISPATCH__SEEN,     /* crew's app */
  SG_DISPATCH__STATUS,   /* crew */
  SG_DISPATCH__POSITION, /* crew's app */
  SG_DISPATCH__NOTE,     /* crew */
  SG_DISPATCH__LADDER    /* the ladder's timer: the SMS, then TIMED_OUT */
} sg_dispatch__action;

/* What came of a change: ok, or a refusal {code, message}; the records
 * after it (or as they were, for a refusal after the read), valid during
 * the callback only. */
typedef struct sg_dispatch__outcome {
  int ok;
  int wrote;          /* 0: nothing to do (a ladder step not due, a Seen already seen) */
  const char *asg_id; /* the assignment the change was about, "" if none */
  const char *code, *message;
  const Siaga__V1__Unit *unit;
  const Siaga__V1__Assignment *asg;
  const Siaga__V1__Incident *inc;
} sg_dispatch__outcome;

typedef void (*sg_dispatch__change_cb)(void *data, const sg_dispatch__outcome *outcome);

typedef struct sg_dispatch__change {
  sg_dispatch *d;
  sg_dispatch__action action;
  char actor[SG_AUTH_NAME_MAX + 1];
  const char *via; /* "app" or "sms": Assignment.answered_via */
  char unit_id[SG_DISPATCH_UNIT_ID_MAX + 1];
  char asg_id[SG_KEY_ID_MAX + 1];
  char inc_id[SG_KEY_ID_MAX + 1];
  /* What the command said. */
  char named_asg[SG_KEY_ID_MAX + 1]; /* the assignment a crew command names, "" = current */
  char named_ref[SG_KEY_ID_MAX + 1]; /* an SMS's reference: incident or assignment id */
  int share_caller;
  char reason[SG_DISPATCH_REASON_MAX + 1];
  int opened;                   /* Seen */
  Siaga__V1__UnitStatus status; /* Status */
  double lat, lon, accuracy_m;  /* Position */
  int64_t at_ms;
  char *note; /* Note, owned */
  /* The SMS that confirms a crew's SMS answer, sent with the change. */
  int confirm_by_sms;
  /* The engine's. */
  sg_dispatch__state st;
  int phase; /* 1: the anchor was read, 2: the three */
  int attempts;
  sg_dispatch__change_cb cb;
  void *data;
  /* plan.c's results for the write. */
  sg_dispatch__write w;
  char sms_text[200], dispatched_text[256];
  int answered; /* plan.c: the crew accepted or declined (for the metrics) */
} sg_dispatch__change;

/* A change of action for actor; NULL on out of memory. The caller fills the
 * ids and parameters, then runs it: cb is called exactly once and the
 * change is freed after. */
sg_dispatch__change *sg_dispatch__change_new(sg_dispatch *d, sg_dispatch__action action,
                                             const char *actor, sg_dispatch__change_cb cb,
                                             void *data);
void sg_dispatch__change_run(sg_dispatch__change *c);

/* plan.c: the change computed on c->st, in place (the records are then the
 * new states, owning all they point to) with c->w filled. 0 and *skip = 1
 * when there is nothing to write; -1 with *code and *message for a refusal
 * (the records untouched). */
int sg_dispatch__plan(sg_dispatch__change *c, int *skip, const char **code, const char **message);

/* ---- replies ---- */

/* Calls done with a refusal {code, message}. */
void sg_dispatch__refuse(sg_dispatch_done_cb done, void *data, const char *request_id,
                         const char *code, const char *message);

/* ---- console.c, responder.c ---- */

/* The texts of the SMS a crew gets (ladder.c): the offer and the confirmations. */
long sg_dispatch__offer_text(char *buf, size_t size, const Siaga__V1__Incident *inc);
const char *sg_dispatch__category_label(const char *category);

/* Takes a due step of the ladder for one assignment; done(data) when over. */
void sg_dispatch__ladder_step(sg_dispatch *d, const char *asg_id, void (*done)(void *data),
                              void *data);

/* presence.c: the instance id (0, or SG_EUNAVAIL without randomness); the
 * holders freed at the end; the refreshes due and the sweep, once a tick. */
int sg_dispatch__presence_init(sg_dispatch *d);
void sg_dispatch__presence_free(sg_dispatch *d);
void sg_dispatch__presence_tick(sg_dispatch *d);

/* Recommend (recommend.c). */
void sg_dispatch__recommend(sg_dispatch *d, const Siaga__V1__Command *command,
                            sg_dispatch_done_cb done, void *data);

#endif
