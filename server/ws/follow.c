#include "ws/follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/embedded.h"
#include "store/keys.h"

#define FOLLOW_BLOCK_MS "5000" /* a finite block, so a dead connection is noticed */

struct sg_follow {
  sg_redis *redis;
  const sg_follow_events *events;
  void *data;
  char k_updates[SG_KEY_MAX];
  char sha_follow[SG_REDIS_SHA_LEN + 1];
  sg_ring_id last;      /* the last id the follower read */
  long long read_count; /* entries ever added to the stream that the follower has read
                           (or that predate it) */
  int following;
  int destroying;
};

static void follow_read(sg_follow *f);
static void follow_check(sg_follow *f);

static void on_follow_read(void *data, redisReply *reply) {
  sg_follow *f = data;
  int behind = 0;
  if (f->destroying || reply == NULL)
    return; /* connection lost: the state callback restarts us */
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
      reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2) {
    redisReply *entries = reply->element[0]->element[1];
    behind = entries->type == REDIS_REPLY_ARRAY && entries->elements >= SG_FOLLOW_BATCH;
    for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
      redisReply *e = entries->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
          e->element[0]->type != REDIS_REPLY_STRING)
        continue;
      sg_ring_id id;
      if (sg_ring_id_parse(e->element[0]->str, e->element[0]->len, &id) != 0)
        continue;
      f->last = id;
      f->read_count++;
      redisReply *fields = e->element[1];
      for (size_t k = 0; fields->type == REDIS_REPLY_ARRAY && k + 1 < fields->elements; k += 2) {
        redisReply *key = fields->element[k], *v = fields->element[k + 1];
        if (key->type != REDIS_REPLY_STRING || strcmp(key->str, "u") != 0 ||
            v->type != REDIS_REPLY_STRING)
          continue;
        f->events->update(f->data, e->element[0]->str, e->element[0]->len, (const uint8_t *)v->str,
                          v->len);
      }
    }
    f->events->read_done(f->data);
  } else if (reply->type == REDIS_REPLY_ERROR) {
    sg_log(SG_LOG_ERROR, "redis.refused", "command=XREAD reason=%s", reply->str);
  }
  if (behind)
    follow_check(f);
  else
    follow_read(f);
}

/* Reads follow.lua's answer: {last id, entries ever added, retained}. */
static int follow_position(const redisReply *reply, sg_ring_id *last, long long *added,
                           long long *retained) {
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_INTEGER ||
      reply->element[2]->type != REDIS_REPLY_INTEGER ||
      sg_ring_id_parse(reply->element[0]->str, reply->element[0]->len, last) != 0)
    return -1;
  *added = reply->element[1]->integer;
  *retained = reply->element[2]->integer;
  return 0;
}

/* A full batch means the follower is behind the stream's end. If it falls
 * so far behind that the writers' MAXLEN trims entries it has not read, XREAD
 * would skip them without a word: count, and if entries we never read are
 * gone, make every console start again (4001) rather than leave a silent
 * hole. */
static void on_follow_check(void *data, redisReply *reply) {
  sg_follow *f = data;
  if (f->destroying || reply == NULL)
    return;
  sg_ring_id last;
  long long added, retained;
  if (follow_position(reply, &last, &added, &retained) == 0 && added - f->read_count > retained) {
    sg_log(SG_LOG_WARN, "updates.trimmed", "lost=%lld msg=%s", added - f->read_count - retained,
           "trimmed before this process read them; resyncing consoles");
    f->read_count = added - retained; /* XREAD goes on with what is retained */
    /* the ring cannot replay across the hole */
    f->events->lost(f->data, last, "server fell behind; reconnect");
  }
  follow_read(f);
}

static void follow_check(sg_follow *f) {
  const char *argv[] = {"EVALSHA", f->sha_follow, "1", f->k_updates};
  size_t lens[4];
  for (int i = 0; i < 4; i++)
    lens[i] = strlen(argv[i]);
  if (sg_redis_command(f->redis, on_follow_check, f, 4, argv, lens) != 0)
    follow_read(f);
}

static void follow_read(sg_follow *f) {
  char last[48];
  sg_ring_id_format(f->last, last, sizeof(last));
  char count[16];
  snprintf(count, sizeof(count), "%d", SG_FOLLOW_BATCH);
  const char *argv[] = {"XREAD",         "COUNT",   count,        "BLOCK",
                        FOLLOW_BLOCK_MS, "STREAMS", f->k_updates, last};
  size_t lens[8];
  for (int i = 0; i < 8; i++)
    lens[i] = strlen(argv[i]);
  sg_redis_command(f->redis, on_follow_read, f, 8, argv, lens);
}

static void on_follow_start(void *data, redisReply *reply) {
  sg_follow *f = data;
  if (f->destroying || reply == NULL)
    return;
  sg_ring_id last = {0, 0};
  long long added = 0, retained = 0;
  if (follow_position(reply, &last, &added, &retained) != 0) {
    sg_log(SG_LOG_WARN, "updates.position_unknown", "msg=%s", "retrying");
    follow_check(f); /* asks again, then reads on */
    return;
  }
  if (!f->following) {
    f->following = 1;
    f->last = last;
    f->read_count = added; /* everything before the start counts as read */
    f->events->started(f->data, last);
  } else if (sg_ring_id_cmp(last, f->last) < 0) {
    /* Redis came back with less than we had read: it lost data. Every
     * console's position is now meaningless; make them start again. */
    sg_log(SG_LOG_WARN, "updates.went_back", "msg=%s", "resyncing consoles");
    f->last = last;
    f->read_count = added;
    f->events->lost(f->data, last, "server lost its place; reconnect");
    follow_read(f);
    return;
  }
  follow_check(f); /* entries trimmed while we were away? then on to XREAD */
}

static void on_follow_state(void *data, sg_redis *redis, int connected) {
  sg_follow *f = data;
  if (!connected || f->destroying)
    return;
  const char *argv[] = {"EVALSHA", f->sha_follow, "1", f->k_updates};
  size_t lens[4];
  for (int i = 0; i < 4; i++)
    lens[i] = strlen(argv[i]);
  sg_redis_command(redis, on_follow_start, f, 4, argv, lens);
}

sg_follow *sg_follow_create(uv_loop_t *loop, const sg_redis_options *options, const char *k_updates,
                            const sg_follow_events *events, void *data) {
  const sg_embedded_file *follow = sg_embedded_find("follow.lua");
  size_t klen = strlen(k_updates);
  sg_follow *f = calloc(1, sizeof(*f));
  if (f == NULL || follow == NULL || klen >= sizeof(f->k_updates))
    goto fail;
  memcpy(f->k_updates, k_updates, klen + 1);
  f->events = events;
  f->data = data;
  f->redis = sg_redis_create(loop, options);
  if (f->redis == NULL ||
      sg_redis_add_script(f->redis, (const char *)follow->data, follow->size, f->sha_follow) != 0)
    goto fail;
  sg_redis_set_state_cb(f->redis, on_follow_state, f);
  return f;
fail:
  if (f != NULL)
    sg_redis_destroy(f->redis);
  free(f);
  return NULL;
}

void sg_follow_destroy(sg_follow *f) {
  if (f == NULL)
    return;
  f->destroying = 1;
  sg_redis_destroy(f->redis);
  free(f);
}

const sg_redis *sg_follow_redis(const sg_follow *f) {
  return f->redis;
}
