#include "ws/ring.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- stream ids ---- */

int sg_ring_id_parse(const char *s, size_t len, sg_ring_id *out) {
  char buf[48];
  if (len == 0 || len >= sizeof(buf))
    return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  if (buf[0] < '0' || buf[0] > '9')
    return -1;
  out->ms = strtoull(buf, &end, 10);
  if (*end != '-' || end[1] < '0' || end[1] > '9')
    return -1;
  out->seq = strtoull(end + 1, &end, 10);
  return *end == '\0' ? 0 : -1;
}

int sg_ring_id_cmp(sg_ring_id a, sg_ring_id b) {
  if (a.ms != b.ms)
    return a.ms < b.ms ? -1 : 1;
  if (a.seq != b.seq)
    return a.seq < b.seq ? -1 : 1;
  return 0;
}

void sg_ring_id_format(sg_ring_id id, char *buf, size_t size) {
  snprintf(buf, size, "%" PRIu64 "-%" PRIu64, id.ms, id.seq);
}

/* ---- the shared ring ---- */

int sg_ring_init(sg_ring *r, size_t cap, sg_ring_release_cb release) {
  memset(r, 0, sizeof(*r));
  r->slots = calloc(cap, sizeof(*r->slots));
  if (r->slots == NULL)
    return -1;
  r->cap = cap;
  r->release = release;
  return 0;
}

void sg_ring_free(sg_ring *r) {
  if (r->slots == NULL)
    return;
  for (uint64_t p = sg_ring_oldest(r); p < r->head; p++)
    r->release(r->slots[p % r->cap].item);
  free(r->slots);
  r->slots = NULL;
}

void sg_ring_push(sg_ring *r, sg_ring_id id, void *item) {
  size_t slot = r->head % r->cap;
  if (r->head >= r->cap) {
    r->known_after = r->slots[slot].id;
    r->release(r->slots[slot].item);
  }
  r->slots[slot].id = id;
  r->slots[slot].item = item;
  r->head++;
}

uint64_t sg_ring_oldest(const sg_ring *r) {
  return r->head > r->cap ? r->head - r->cap : 0;
}

uint64_t sg_ring_position_after(const sg_ring *r, sg_ring_id last) {
  uint64_t oldest = sg_ring_oldest(r);
  uint64_t pos = r->head;
  while (pos > oldest && sg_ring_id_cmp(r->slots[(pos - 1) % r->cap].id, last) > 0)
    pos--;
  return pos;
}

void *sg_ring_next(const sg_ring *r, uint64_t *pos, sg_ring_id *last) {
  while (*pos < r->head) {
    const sg_ring_entry *e = &r->slots[(*pos)++ % r->cap];
    if (sg_ring_id_cmp(e->id, *last) > 0) {
      *last = e->id;
      return e->item;
    }
  }
  return NULL;
}

/* ---- one console's private queue ---- */

struct sg_ring_node {
  void *item;
  sg_ring_node *next;
};

int sg_ring_queue_push(sg_ring_queue *q, void *item, sg_ring_release_cb release) {
  sg_ring_node *n = malloc(sizeof(*n));
  if (n == NULL) {
    release(item);
    return -1;
  }
  n->item = item;
  n->next = NULL;
  if (q->tail != NULL)
    q->tail->next = n;
  else
    q->head = n;
  q->tail = n;
  q->len++;
  return 0;
}

void *sg_ring_queue_pop(sg_ring_queue *q) {
  sg_ring_node *n = q->head;
  if (n == NULL)
    return NULL;
  q->head = n->next;
  if (q->head == NULL)
    q->tail = NULL;
  q->len--;
  void *item = n->item;
  free(n);
  return item;
}

void sg_ring_queue_clear(sg_ring_queue *q, sg_ring_release_cb release) {
  void *item;
  while ((item = sg_ring_queue_pop(q)) != NULL)
    release(item);
}
