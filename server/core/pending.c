#include "core/pending.h"

#include <stdlib.h>

sg_pending *sg_pending_start(sg_pending **list, void *owner) {
  sg_pending *p = malloc(sizeof(*p));
  if (p == NULL)
    return NULL;
  p->owner = owner;
  p->list = list;
  p->next = *list;
  *list = p;
  return p;
}

void *sg_pending_finish(sg_pending *p) {
  void *owner = p->owner;
  if (p->list != NULL) {
    sg_pending **q = p->list;
    while (*q != p)
      q = &(*q)->next;
    *q = p->next;
  }
  free(p);
  return owner;
}

void sg_pending_orphan(sg_pending **list) {
  for (sg_pending *p = *list; p != NULL; p = p->next) {
    p->owner = NULL;
    p->list = NULL;
  }
  *list = NULL;
}
