/* Triage: turns entries of a region's reports stream into incidents.
 *
 * A sg_triage reads the stream as one consumer of the "triage" group over a
 * synchronous hiredis connection that the caller owns and replaces after an
 * outage. Each report is decoded, scored by the rules, matched to the
 * incident its number last reported into (SMS and AML) or against open
 * incidents nearby, and written with one call of transition.lua, which also
 * marks the entry processed and acknowledges it: delivery is at least once,
 * the effect exactly once. The reports of one read are matched together, a
 * report seeing the incidents the reports before it opened or joined, with
 * a fixed number of round trips per read rather than per report. Entries that cannot be decoded go to the dead
 * letter stream, so nothing is redelivered for ever.
 *
 * Functions return 0 or a negative code of core/error.h (below); after
 * SG_EUNAVAIL the connection is unusable and the caller reconnects and
 * calls sg_triage_start again. Nothing is printed here. */
#ifndef SG_TRIAGE_H
#define SG_TRIAGE_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SG_TRIAGE_BATCH 32 /* entries per XREADGROUP and XAUTOCLAIM */

/* Errors are those of core/error.h: SG_EUNAVAIL (connection lost or timed
 * out: reconnect), SG_EREPLY (Redis answered something unexpected),
 * SG_ENOMEM, SG_ESCRIPT (transition.lua is not embedded), SG_ECONFLICT (the
 * incident kept changing under us), SG_EINVAL (bad region or consumer
 * name). */

/* Called for each entry moved to the dead letter stream, with the reason, so
 * the program can log it; the triage module itself prints nothing. */
typedef void (*sg_triage_dead_cb)(void *data, const char *entry_id, const char *reason);

/* Called for each report a batch applied (opened or joined an incident, or
 * found already processed: a redelivery is told again), with its triage
 * result and the time siagad received it (0 if unknown), for the worker's
 * metrics. */
typedef void (*sg_triage_done_cb)(void *data, const char *category, int priority,
                                  int64_t received_at_ms);

typedef struct sg_triage_options {
  const char *region;   /* e.g. "plk" */
  const char *consumer; /* unique per worker process */
  long claim_idle_ms;   /* entries pending this long are claimed from others */
  /* siagad as citizens reach it ("https://siaga.example"), or NULL: an SMS
   * reporter's acknowledgement then carries a link to follow the report,
   * PUBLIC_URL/l/<report id>.<tracking token>, when it fits in the SMS. */
  const char *public_url;
  sg_triage_dead_cb on_dead; /* may be NULL */
  void *data;                /* passed to on_dead and on_done */
  sg_triage_done_cb on_done; /* may be NULL */
} sg_triage_options;

typedef struct sg_triage sg_triage;

/* Copies the options. Returns NULL with *err set on a bad option or no
 * memory. */
sg_triage *sg_triage_create(const sg_triage_options *opts, int *err);
void sg_triage_destroy(sg_triage *t);

/* Takes c (still owned by the caller) for every later command, creates the
 * consumer group if missing, loads transition.lua and finishes the entries
 * this consumer had left pending. */
int sg_triage_start(sg_triage *t, redisContext *c);

/* Forgets the connection, before the caller frees it. */
void sg_triage_stop(sg_triage *t);

/* Reads up to SG_TRIAGE_BATCH new entries, waiting at most block_ms, and
 * processes them. *n_done counts the entries finished. */
int sg_triage_read(sg_triage *t, int block_ms, size_t *n_done);

/* Claims entries pending longer than claim_idle_ms (their worker died or
 * hangs) and processes them, up to a few batches per call. */
int sg_triage_claim(sg_triage *t, size_t *n_done);

#endif
