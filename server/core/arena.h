/* A bump allocator with a hard limit, for work that is freed all at once:
 * one report's decoded messages, the incidents built from them and their
 * packed bytes (triage), never freed one by one. The limit keeps a hostile
 * or corrupt message from making one unit of work use unbounded memory.
 * Not thread-safe: one arena per thread. */
#ifndef SG_ARENA_H
#define SG_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* Chunks are malloc'd on demand. */
typedef struct sg_arena {
  ProtobufCAllocator allocator; /* hand to protobuf_c unpack; free is a no-op */
  struct sg_arena_chunk *chunks;
  size_t used;   /* bytes handed out since the last reset */
  size_t limit;  /* refuse allocations beyond this */
  int exhausted; /* an allocation was refused since the last reset */
} sg_arena;

void sg_arena_init(sg_arena *a, size_t limit);
/* Frees every chunk: all memory handed out since init is gone. */
void sg_arena_reset(sg_arena *a);
/* Returns memory aligned for any type (max_align_t), or NULL when the limit or malloc says no
 * (and sets exhausted: protobuf_c unpack answers NULL for a corrupt message
 * and for a full arena alike, and only the first is the message's fault). */
void *sg_arena_alloc(sg_arena *a, size_t size);
/* s[0..len) and a NUL, copied into the arena; NULL when the arena is full. */
char *sg_arena_strndup(sg_arena *a, const char *s, size_t len);

#endif
