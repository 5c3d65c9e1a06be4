/* Shared by batch.c and numbers.c only: the state of one batch as
 * sg_triage__apply_batch plans it (see batch.c for the path it takes). */
#ifndef SG_TRIAGE_BATCH_H
#define SG_TRIAGE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "triage/triage_internal.h"

/* Open addressing, a power of two above twice the incidents one batch can
 * name: GEOSEARCH candidates and caller incidents of every report. */
#define VIEW_SLOTS 2048
_Static_assert(VIEW_SLOTS >= 2 * SG_TRIAGE_BATCH * (SG_TRIAGE_GEO_CANDIDATES + 1),
               "VIEW_SLOTS too small for a batch");

/* An incident as the batch sees it. */
typedef struct view_incident {
  char *id;                 /* an opened one's is written once C gave its number */
  char *key;                /* siaga:{r}:incident:<id>, for one read from Redis */
  Siaga__V1__Incident *cur; /* the state after the calls planned so far; NULL: none usable */
  int64_t version;          /* the hash's version after those calls; 0: does not exist */
  int unreadable;           /* Redis answered its HMGET with an error */
  int is_new;               /* opened by this batch */
  int n_calls;              /* calls planned on it */
  int n_live;               /* ... and still to be sent in write_calls */
  struct plan *opener;      /* for one the batch opens, the plan that opens it */
  struct view_incident *next_touched;
} view_incident;

typedef struct geo_hit {
  view_incident *inc;
  double dist_m;
} geo_hit;

/* A number the batch links reports by, and its phone map. */
typedef struct view_phone {
  const char *phone;
  char key[SG_KEY_MAX];
  char read[SG_KEY_ID_MAX + 1]; /* the map's value as search_nearby read it, "" for none */
  view_incident *read_inc;      /* the incident that value names, if it names one */
  view_incident *mapped;        /* the map after the planned calls; NULL: as read */
  int broken;                   /* Redis answered the GET with something unusable */
} view_phone;

typedef enum plan_state {
  PLAN_UNDECIDED = 0,
  PLAN_CALL,  /* a transition.lua call is planned */
  PLAN_DONE,  /* applied, or processed before */
  PLAN_ALONE, /* takes the one-report path */
} plan_state;

typedef struct plan {
  plan_state state;
  view_phone *phone; /* NULL: not linked by number */
  int reads_phone;   /* this report sent its number's GET (the first of the number) */
  int searched;      /* a GEOSEARCH was sent: the report has a point */
  int search_failed; /* ... and Redis answered it with an error */
  geo_hit *hits;     /* nearest first, as GEOSEARCH ASC answered */
  size_t n_hits;
  const char **named; /* every member GEOSEARCH answered, even one making no key */
  size_t n_named;
  view_incident *inc; /* the incident the call writes */
  Siaga__V1__Incident *next;
  int64_t expected;
  Siaga__V1__UpdateKind kind;
  int64_t now_ms;
  view_incident *seen_inc; /* the phone map before the call: this one's id ... */
  const char *seen_read;   /* ... or, when NULL, the value search_nearby read */
  int sent;                /* the call went out in write_calls */
  int number_taken;        /* an opening refused because its number exists already */
} plan;

typedef struct batch {
  sg_triage *t;
  sg_arena *a;
  sg_triage__entry *entries;
  plan *plans;
  size_t n;
  size_t n_left;           /* entries not opened on sight, which this path plans */
  view_incident **slots;   /* VIEW_SLOTS, by id */
  view_incident **to_read; /* every incident in slots, in the order named */
  size_t n_to_read, max_to_read;
  view_incident *touched; /* incidents with a planned call, in the order first touched */
  view_incident **touched_tail;
  view_incident **opened; /* in the order opened, which is the order of their ids */
  size_t n_opened;
  view_phone *phones;
  size_t n_phones;
  int watching;        /* WATCH sent, neither EXEC nor UNWATCH yet */
  long long topped_up; /* numbers search_nearby's INCRBY asks for; 0: none sent */
  size_t n_numbered;   /* the pool's first numbers, given to b->opened in order */
} batch;

/* ---- the worker's pool of incident numbers (numbers.c) ---- */

/* Appends an INCRBY of the sequence when the pool holds fewer numbers than
 * b could open, and sets b->topped_up to what it asks for (0: none sent).
 * SG_EUNAVAIL when the command cannot be appended. */
int sg_triage__top_up_numbers(batch *b);

/* Gives b->opened their ids, in order, from the pool's first numbers. */
int sg_triage__number_openings(batch *b);

/* After write_calls: returns the numbers of b's openings that were not
 * applied to the pool, drops the others. */
void sg_triage__settle_numbers(batch *b, int connection_failed);

#endif
