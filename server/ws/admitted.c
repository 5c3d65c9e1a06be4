#include "ws/admitted.h"

#include <stdlib.h>

#include "core/error.h"

typedef struct entry {
  int fd;
  sg_identity who;
  struct entry *next;
} entry;

struct sg_admitted {
  entry *head; /* a handful at most: upgrades between gate and ESTABLISHED */
};

sg_admitted *sg_admitted_create(void) { return calloc(1, sizeof(sg_admitted)); }

void sg_admitted_destroy(sg_admitted *a) {
  if (a == NULL)
    return;
  while (a->head != NULL) {
    entry *e = a->head;
    a->head = e->next;
    free(e);
  }
  free(a);
}

static entry **find(sg_admitted *a, int fd) {
  entry **p = &a->head;
  while (*p != NULL && (*p)->fd != fd)
    p = &(*p)->next;
  return p;
}

int sg_admitted_put(sg_admitted *a, int fd, const sg_identity *who) {
  entry **p = find(a, fd);
  if (*p == NULL) {
    if ((*p = calloc(1, sizeof(entry))) == NULL)
      return SG_ENOMEM;
    (*p)->fd = fd;
  }
  (*p)->who = *who;
  return 0;
}

int sg_admitted_take(sg_admitted *a, int fd, sg_identity *who) {
  entry **p = find(a, fd);
  if (*p == NULL)
    return -1;
  entry *e = *p;
  *who = e->who;
  *p = e->next;
  free(e);
  return 0;
}
