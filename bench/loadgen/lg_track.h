/* Bookkeeping of one run: every offered report (or nchan message), when it
 * was meant to be sent, when it was acknowledged, and when consoles saw it.
 *
 * Reports are numbered 0..capacity-1 in send order. Deliveries are matched by
 * a key (siaga's reportId from the 202 body, or nchan's sequence number), and
 * a delivery may arrive before its acknowledgement (the worker can beat the
 * HTTP reply back to us), so keys seen first on a console wait in the same
 * table until their report is acknowledged.
 *
 * Each console counts once per report: an entry keeps a bitmap of the consoles
 * that saw it, so a report that reaches a console twice (an update, then again
 * inside the snapshot that console got after a reconnect) does not stand in
 * for another console that never got it.
 *
 * Thread safe: every function but create and destroy takes the tracker's
 * mutex, so acknowledgements may come from one thread while consoles deliver
 * on another. destroy must not race with any other call. */
#ifndef LG_TRACK_H
#define LG_TRACK_H

#include <stddef.h>
#include <stdint.h>

typedef struct lg_track lg_track;

/* Percentiles in milliseconds over the values given; count == 0 means none. */
typedef struct lg_track_dist {
  size_t count;
  double p50, p90, p99, p999, max;
} lg_track_dist;

typedef struct lg_track_summary {
  size_t offered;       /* reports whose intended send time came */
  size_t acked;         /* 2xx with a usable key */
  size_t failed;        /* non-2xx, connection errors, timeouts */
  size_t seen_first;    /* acknowledged and seen by at least one console */
  size_t seen_all;      /* acknowledged and seen by every console */
  size_t lost_any;      /* acknowledged, seen by no console */
  size_t lost_some;     /* acknowledged, missed by at least one console */
  size_t unmatched;     /* deliveries whose key no acknowledgement named */
  size_t duplicates;    /* updates for a report its console had already seen */
  size_t via_snapshot;  /* (report, console) pairs first seen in a snapshot */
  size_t untracked;     /* deliveries not credited: console index out of range
                           or no memory for its bitmap (shows as a loss) */
  uint64_t deliveries;  /* update frames matched to a report plus snapshot
                           credits, all consoles */
  lg_track_dist ack;    /* intended send -> 2xx */
  lg_track_dist first;  /* intended send -> first console */
  lg_track_dist all;    /* intended send -> last of all consoles */
  lg_track_dist each;   /* intended send -> each console, every (report, console)
                           delivery; percentiles to the 10 us (1 ms past 1 s) */
  size_t each_dropped;  /* deliveries left out of `each` (no memory to hold one
                           that came before its acknowledgement) */
} lg_track_summary;

/* capacity: most reports in the run; consoles: how many must see each, indexed
 * 0..consoles-1 in the delivery calls. A report's console bitmap (consoles/8
 * bytes) is allocated at its first delivery and freed once every console saw
 * it, so memory follows the reports in flight, not the whole run. NULL on out
 * of memory. */
lg_track *lg_track_create(size_t capacity, size_t consoles);
void lg_track_destroy(lg_track *t);

void lg_track_offered(lg_track *t, size_t seq, uint64_t intent_ns);
void lg_track_failed(lg_track *t, size_t seq);
/* A 2xx for report seq with its key (copied). */
void lg_track_acked(lg_track *t, size_t seq, uint64_t now_ns, const char *key, size_t key_len);
/* Console `console` received the update for key. A second update for the same
 * key on the same console counts as a duplicate, not as a delivery. */
void lg_track_delivered(lg_track *t, size_t console, const char *key, size_t key_len,
                        uint64_t now_ns);
/* Console `console` received a snapshot naming key among an incident's
 * reports: it has seen the report, at now_ns if not before. A key the console
 * already had is no duplicate (a snapshot restates everything open), and a
 * key no acknowledgement or update named is ignored rather than tabled:
 * snapshots carry incidents from before this run, which are not ours. */
void lg_track_delivered_snapshot(lg_track *t, size_t console, const char *key, size_t key_len,
                                 uint64_t now_ns);

/* Offered reports not yet seen by any console (in flight, unacknowledged or
 * not yet pushed: what a surge piles up). */
size_t lg_track_backlog_offered(lg_track *t);
/* Acknowledged reports not yet seen by any console / by all consoles. */
size_t lg_track_backlog_first(lg_track *t);
size_t lg_track_backlog_all(lg_track *t);
size_t lg_track_acked_count(lg_track *t);
uint64_t lg_track_last_delivery_ns(lg_track *t);

void lg_track_summarize(lg_track *t, lg_track_summary *out);

#endif
