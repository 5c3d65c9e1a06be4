#include "core/arena.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 16384

struct sg_arena_chunk {
  struct sg_arena_chunk *next;
  size_t size; /* usable bytes after the header */
  size_t used;
  max_align_t data[]; /* keeps every allocation suitably aligned */
};

static void *arena_pb_alloc(void *data, size_t size) {
  return sg_arena_alloc(data, size);
}

/* Memory goes back all at once in sg_arena_reset. */
static void arena_pb_free(void *data, void *ptr) {
  (void)data;
  (void)ptr;
}

void sg_arena_init(sg_arena *a, size_t limit) {
  a->allocator.alloc = arena_pb_alloc;
  a->allocator.free = arena_pb_free;
  a->allocator.allocator_data = a;
  a->chunks = NULL;
  a->used = 0;
  a->limit = limit;
  a->exhausted = 0;
}

void sg_arena_reset(sg_arena *a) {
  while (a->chunks != NULL) {
    struct sg_arena_chunk *next = a->chunks->next;
    free(a->chunks);
    a->chunks = next;
  }
  a->used = 0;
  a->exhausted = 0;
}

void *sg_arena_alloc(sg_arena *a, size_t size) {
  const size_t align = sizeof(max_align_t);
  size_t rounded = (size + align - 1) / align * align;
  if (rounded < size || rounded > a->limit - a->used) {
    a->exhausted = 1;
    return NULL;
  }
  struct sg_arena_chunk *c = a->chunks;
  if (c == NULL || c->size - c->used < rounded) {
    size_t want = rounded > CHUNK_MIN ? rounded : CHUNK_MIN;
    c = malloc(sizeof(*c) + want);
    if (c == NULL) {
      a->exhausted = 1;
      return NULL;
    }
    c->size = want;
    c->used = 0;
    c->next = a->chunks;
    a->chunks = c;
  }
  void *p = (char *)c->data + c->used;
  c->used += rounded;
  a->used += rounded;
  return p;
}

char *sg_arena_strndup(sg_arena *a, const char *s, size_t len) {
  char *p = sg_arena_alloc(a, len + 1);
  if (p != NULL) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}
