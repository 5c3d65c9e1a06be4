/* The console hub's queues of outgoing messages: pure data structures, no I/O.
 *
 * Stream ids: a Redis stream entry id, "ms-seq", parsed, compared and printed.
 *
 * sg_ring: the bounded ring every console reads at its own position. The
 * follower pushes each update with its stream id; when the ring is full the
 * oldest entry is released and known_after becomes its id, so the ring holds
 * every update after known_after. Positions count pushes ever made (slot =
 * position % cap). The ring owns one reference to each item and drops it
 * with the release function given at init; items read are borrowed.
 *
 * sg_ring_queue: one console's FIFO of private messages (snapshot, replay,
 * replies). It owns what is pushed; pop hands ownership to the caller.
 * Unbounded here: the hub bounds it by refusing commands past a limit. */
#ifndef SG_WS_RING_H
#define SG_WS_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct sg_ring_id {
  uint64_t ms, seq;
} sg_ring_id;

/* 0 on success; -1 unless s[0..len) is exactly "<digits>-<digits>". */
int sg_ring_id_parse(const char *s, size_t len, sg_ring_id *out);
int sg_ring_id_cmp(sg_ring_id a, sg_ring_id b); /* -1, 0, 1 */
void sg_ring_id_format(sg_ring_id id, char *buf, size_t size);

typedef void (*sg_ring_release_cb)(void *item);

typedef struct sg_ring_entry {
  sg_ring_id id;
  void *item;
} sg_ring_entry;

typedef struct sg_ring {
  sg_ring_entry *slots;
  size_t cap;
  uint64_t head;          /* items ever pushed */
  sg_ring_id known_after; /* the ring holds every update after this id */
  sg_ring_release_cb release;
} sg_ring;

/* cap > 0. Returns -1 on out of memory. */
int sg_ring_init(sg_ring *r, size_t cap, sg_ring_release_cb release);
/* Releases every item held. */
void sg_ring_free(sg_ring *r);
/* Takes the caller's reference to item; may release the oldest. */
void sg_ring_push(sg_ring *r, sg_ring_id id, void *item);
/* The oldest position still held. */
uint64_t sg_ring_oldest(const sg_ring *r);
/* The first position whose id is after last, counting back from the head
 * (the head itself when none is). */
uint64_t sg_ring_position_after(const sg_ring *r, sg_ring_id last);
/* The next item after *last from *pos on, advancing both; NULL when none is
 * due. *pos must not be older than sg_ring_oldest(). Borrowed. */
void *sg_ring_next(const sg_ring *r, uint64_t *pos, sg_ring_id *last);

typedef struct sg_ring_node sg_ring_node;

typedef struct sg_ring_queue {
  sg_ring_node *head, *tail;
  size_t len;
} sg_ring_queue; /* zeroed is empty */

/* Takes item; on out of memory releases it with release and returns -1. */
int sg_ring_queue_push(sg_ring_queue *q, void *item, sg_ring_release_cb release);
/* NULL when empty; the caller owns the item. */
void *sg_ring_queue_pop(sg_ring_queue *q);
void sg_ring_queue_clear(sg_ring_queue *q, sg_ring_release_cb release);

#endif
