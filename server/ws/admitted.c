#include "ws/admitted.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

typedef struct entry {
  int fd;
  sg_identity who;
  char token[SG_BEARER_LEN + 1];
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
    memset(e->token, 0, sizeof(e->token));
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

int sg_admitted_put(sg_admitted *a, int fd, const sg_identity *who, const char *token) {
  entry **p = find(a, fd);
  if (*p == NULL) {
    if ((*p = calloc(1, sizeof(entry))) == NULL)
      return SG_ENOMEM;
    (*p)->fd = fd;
  }
  (*p)->who = *who;
  snprintf((*p)->token, sizeof((*p)->token), "%s", token != NULL ? token : "");
  return 0;
}

int sg_admitted_take(sg_admitted *a, int fd, sg_identity *who, char token[SG_BEARER_LEN + 1]) {
  entry **p = find(a, fd);
  if (*p == NULL)
    return -1;
  entry *e = *p;
  *who = e->who;
  if (token != NULL)
    memcpy(token, e->token, SG_BEARER_LEN + 1);
  *p = e->next;
  memset(e->token, 0, sizeof(e->token));
  free(e);
  return 0;
}
