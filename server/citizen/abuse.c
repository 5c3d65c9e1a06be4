#include "citizen/abuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/keys.h"

#define WINDOW_TEXT "600"
#define ADDRESS_MAX_LEN 64

struct sg_citizen_abuse {
  sg_redis *redis;
  sg_ingest *ingest;
  char region[SG_KEY_REGION_MAX + 1];
};

/* One report waiting for its counters. */
typedef struct screening {
  sg_citizen_abuse *abuse;
  Siaga__V1__Report *r;
  char *key;
  sg_ingest_cb cb;
  void *data;
  int waiting;          /* replies still due */
  long long phone_count, address_count;
  int prank;
} screening;

sg_citizen_abuse *sg_citizen_abuse_create(sg_redis *redis, sg_ingest *ingest, const char *region) {
  if (!sg_key_region_valid(region))
    return NULL;
  sg_citizen_abuse *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return NULL;
  a->redis = redis;
  a->ingest = ingest;
  strcpy(a->region, region);
  return a;
}

void sg_citizen_abuse_destroy(sg_citizen_abuse *a) {
  free(a);
}

static void finish(screening *s) {
  static char rate_limited[] = "rate_limited", rate_address[] = "rate_limited_address",
              prank[] = "prank_history";
  char *flags[3];
  size_t n = 0;
  if (s->phone_count > SG_CITIZEN_ABUSE_PHONE_MAX)
    flags[n++] = rate_limited;
  if (s->address_count > SG_CITIZEN_ABUSE_ADDRESS_MAX)
    flags[n++] = rate_address;
  if (s->prank)
    flags[n++] = prank;
  /* Borrowed for the submit, which packs the report before it returns. */
  s->r->flags = n > 0 ? flags : NULL;
  s->r->n_flags = n;
  sg_ingest_submit(s->abuse->ingest, s->r, s->key, s->cb, s->data);
  s->r->flags = NULL;
  s->r->n_flags = 0;
  siaga__v1__report__free_unpacked(s->r, NULL);
  free(s->key);
  free(s);
}

static void on_phone_count(void *data, redisReply *reply) {
  screening *s = data;
  if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    s->phone_count = reply->integer;
  if (--s->waiting == 0)
    finish(s);
}

static void on_address_count(void *data, redisReply *reply) {
  screening *s = data;
  if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    s->address_count = reply->integer;
  if (--s->waiting == 0)
    finish(s);
}

static void on_prank(void *data, redisReply *reply) {
  screening *s = data;
  if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    s->prank = reply->integer == 1;
  if (--s->waiting == 0)
    finish(s);
}

static void on_ignored(void *data, redisReply *reply) {
  screening *s = data;
  (void)reply;
  if (--s->waiting == 0)
    finish(s);
}

/* Queues one command; a command Redis cannot take counts as answered. */
static void queue(screening *s, sg_redis_reply_cb cb, int argc, const char **argv) {
  s->waiting++;
  if (sg_redis_command(s->abuse->redis, cb, s, argc, argv, NULL) != 0)
    s->waiting--;
}

/* An address as a key part: the characters of IPv4 and IPv6 text only. */
static int address_usable(const char *peer) {
  size_t n = peer != NULL ? strlen(peer) : 0;
  return n > 0 && n <= ADDRESS_MAX_LEN && strspn(peer, "0123456789abcdefABCDEF:.") == n;
}

void sg_citizen_abuse_submit(sg_citizen_abuse *a, Siaga__V1__Report *r, const char *peer,
                             const char *key, sg_ingest_cb cb, void *data) {
  screening *s = calloc(1, sizeof(*s));
  if (s == NULL || (key != NULL && (s->key = strdup(key)) == NULL)) {
    free(s);
    sg_ingest_submit(a->ingest, r, key, cb, data); /* unflagged, but not lost */
    siaga__v1__report__free_unpacked(r, NULL);
    return;
  }
  s->abuse = a;
  s->r = r;
  s->cb = cb;
  s->data = data;
  s->waiting = 1; /* held until every command is queued */
  const char *phone = r->reporter != NULL ? r->reporter->phone : "";
  char k_phone[SG_KEY_MAX], k_address[SG_KEY_MAX], k_prank[SG_KEY_MAX];
  if (phone[0] != '\0' && sg_key2(k_phone, sizeof(k_phone), a->region, "sms:rate", phone) >= 0 &&
      sg_key(k_prank, sizeof(k_prank), a->region, "prank") >= 0) {
    const char *incr[] = {"INCR", k_phone};
    const char *expire[] = {"EXPIRE", k_phone, WINDOW_TEXT, "NX"};
    const char *member[] = {"SISMEMBER", k_prank, phone};
    queue(s, on_phone_count, 2, incr);
    queue(s, on_ignored, 4, expire);
    queue(s, on_prank, 3, member);
  }
  if (address_usable(peer) && sg_key2(k_address, sizeof(k_address), a->region, "app:rate", peer) >= 0) {
    const char *incr[] = {"INCR", k_address};
    const char *expire[] = {"EXPIRE", k_address, WINDOW_TEXT, "NX"};
    queue(s, on_address_count, 2, incr);
    queue(s, on_ignored, 4, expire);
  }
  if (--s->waiting == 0)
    finish(s);
}
