/* The outbound stream's consumer group, for sms/outbound (see outstream.h).
 *
 * Why a connection of its own for reading: the blocking XREADGROUP would
 * stall every command queued behind it (hiredis pipelines in order), so the
 * read has this one and the housekeeping goes on the owner's. */
#include "sms/outstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "store/keys.h"

#define GROUP SG_SMS_OUTSTREAM_GROUP
#define READ_COUNT 16
#define READ_BLOCK_MS "2000"  /* finite, so a dead connection is noticed */
#define CLAIM_IDLE_MS "30000" /* an entry this idle belongs to a dead process */
#define KEEP_MAX 64           /* ids in one keep-alive claim: sms/outbound holds at most 64 */
#define TICK_MS 250
#define HOUSEKEEP_TICKS 20                /* every 5 s: claim, keep held entries ours, trim */
#define KEEP_MS (7 * 24 * 3600 * 1000ULL) /* acknowledged entries kept this long */
#define CURSOR_MAX 48

struct sg_sms_outstream {
  sg_redis *read; /* the blocking XREADGROUP only */
  sg_redis *cmd;  /* the owner's: claims and trims */
  uv_timer_t tick;
  const sg_sms_outstream_held *held;
  void *held_data;
  char key[SG_KEY_MAX];
  char consumer[64];
  int destroying;
  int group_ready;
  int reading;
  int housekeeping; /* replies outstanding for the housekeeping commands */
  unsigned ticks;
  char claim_cursor[CURSOR_MAX];
};

static void on_ignored(void *data, redisReply *reply) {
  (void)data;
  if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
    sg_log(SG_LOG_ERROR, "sms.out.redis_error", "reason=%s", reply->str);
}

static const redisReply *field(const redisReply *fields, const char *name) {
  for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2) {
    const redisReply *k = fields->element[i], *v = fields->element[i + 1];
    if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0)
      return v->type == REDIS_REPLY_STRING ? v : NULL;
  }
  return NULL;
}

static int copy_field(char *dst, size_t size, const redisReply *v) {
  if (v == NULL) {
    dst[0] = '\0';
    return 0;
  }
  if ((size_t)v->len >= size || memchr(v->str, '\0', (size_t)v->len) != NULL)
    return -1;
  memcpy(dst, v->str, (size_t)v->len);
  dst[v->len] = '\0';
  return 0;
}

/* E.164 with or without '+', or a national number: what Kannel takes. */
static int phone_valid(const char *to) {
  const char *p = to[0] == '+' ? to + 1 : to;
  size_t n = strlen(p);
  if (n < 3 || n > 20)
    return 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return 0;
  }
  return 1;
}

/* Decodes [id, [field, value, ...]] and hands it to the owner; 1 if held.
 * An entry that is not that shape is skipped. */
static int take(sg_sms_outstream *s, const redisReply *e) {
  if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
      e->element[0]->type != REDIS_REPLY_STRING ||
      (size_t)e->element[0]->len >= SG_SMS_OUTSTREAM_ID_MAX)
    return 0;
  sg_sms_outstream_entry m;
  memset(&m, 0, sizeof(m));
  snprintf(m.id, sizeof(m.id), "%s", e->element[0]->str);
  const redisReply *fields = e->element[1];
  m.deleted = fields->type != REDIS_REPLY_ARRAY;
  const redisReply *to = field(fields, "to"), *text = field(fields, "text");
  if (copy_field(m.to, sizeof(m.to), to) != 0 || !phone_valid(m.to))
    m.invalid = "bad or missing \"to\"";
  if (copy_field(m.kind, sizeof(m.kind), field(fields, "kind")) != 0 ||
      copy_field(m.incident, sizeof(m.incident), field(fields, "incident")) != 0 ||
      copy_field(m.report, sizeof(m.report), field(fields, "report")) != 0)
    m.invalid = "kind, incident or report too long";
  if (text == NULL || text->len == 0 || (size_t)text->len > SG_SMS_OUTSTREAM_TEXT_MAX ||
      !sg_utf8_valid(text->str, (size_t)text->len)) {
    m.invalid = "text missing, too long or not UTF-8";
  } else {
    m.text = text->str;
    m.text_len = (size_t)text->len;
  }
  return s->held->take(s->held_data, &m);
}

static size_t batch(const sg_sms_outstream *s) {
  size_t room = s->held->room(s->held_data);
  return room < READ_COUNT ? room : READ_COUNT;
}

/* ---- reading the stream ---- */

static void on_group(void *data, redisReply *reply);

static void group_create(sg_sms_outstream *s) {
  const char *argv[] = {"XGROUP", "CREATE", s->key, GROUP, "0", "MKSTREAM"};
  sg_redis_command(s->read, on_group, s, 6, argv, NULL);
}

static void on_read(void *data, redisReply *reply) {
  sg_sms_outstream *s = data;
  s->reading = 0;
  if (s->destroying || reply == NULL)
    return; /* connection lost: the state callback starts again */
  if (reply->type == REDIS_REPLY_ERROR) {
    sg_log(SG_LOG_ERROR, "sms.out.redis_error", "command=XREADGROUP reason=%s", reply->str);
    if (strncmp(reply->str, "NOGROUP", 7) == 0) {
      /* Redis came back without the group (data lost): make it again. */
      s->group_ready = 0;
      group_create(s);
    }
    return; /* the tick reads again */
  }
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (size_t k = 0; k < reply->elements; k++) {
      const redisReply *st = reply->element[k];
      if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
          st->element[1]->type != REDIS_REPLY_ARRAY)
        continue;
      for (size_t i = 0; i < st->element[1]->elements; i++)
        take(s, st->element[1]->element[i]);
    }
  }
  s->held->pump(s->held_data);
  sg_sms_outstream_read(s);
}

void sg_sms_outstream_read(sg_sms_outstream *s) {
  if (s->destroying || s->reading || !s->group_ready)
    return;
  size_t n = batch(s);
  if (n == 0)
    return;
  char count[24];
  snprintf(count, sizeof(count), "%zu", n);
  const char *argv[] = {"XREADGROUP", "GROUP",       GROUP,     s->consumer, "COUNT", count,
                        "BLOCK",      READ_BLOCK_MS, "STREAMS", s->key,      ">"};
  if (sg_redis_command(s->read, on_read, s, 11, argv, NULL) == 0)
    s->reading = 1;
}

static void on_group(void *data, redisReply *reply) {
  sg_sms_outstream *s = data;
  if (s->destroying || reply == NULL)
    return;
  if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "BUSYGROUP", 9) != 0) {
    sg_log(SG_LOG_ERROR, "sms.out.redis_error", "command=XGROUP reason=%s", reply->str);
    return; /* the state callback tries again on the next connect */
  }
  s->group_ready = 1;
  sg_sms_outstream_read(s);
}

static void on_read_state(void *data, sg_redis *r, int connected) {
  sg_sms_outstream *s = data;
  (void)r;
  s->group_ready = 0;
  if (connected && !s->destroying)
    group_create(s);
}

/* ---- housekeeping: take over the dead's entries, keep ours, trim ---- */

static void on_autoclaim(void *data, redisReply *reply) {
  sg_sms_outstream *s = data;
  if (s->destroying)
    return;
  s->housekeeping--;
  /* Redis 7: [next cursor, [entries], [ids deleted meanwhile]]. */
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY)
    return;
  snprintf(s->claim_cursor, sizeof(s->claim_cursor), "%s", reply->element[0]->str);
  size_t taken = 0;
  for (size_t i = 0; i < reply->element[1]->elements; i++)
    taken += (size_t)take(s, reply->element[1]->element[i]);
  if (taken > 0)
    sg_log(SG_LOG_INFO, "sms.out.claimed", "messages=%zu msg=%s", taken,
           "took over what another process left");
  s->held->pump(s->held_data);
}

/* XCLAIM answers with the ids still pending: the owner drops the waiting
 * entries missing from it. */
static void on_keepalive(void *data, redisReply *reply) {
  sg_sms_outstream *s = data;
  if (s->destroying)
    return;
  s->housekeeping--;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    return;
  s->held->answer(s->held_data, reply);
}

static void on_pending_summary(void *data, redisReply *reply) {
  sg_sms_outstream *s = data;
  if (s->destroying)
    return;
  s->housekeeping--;
  /* [count, smallest id, greatest id, consumers]: nothing below the
   * smallest pending id is still wanted, and a week of history is kept
   * for people. Entries not yet read are never below it: we keep reading. */
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
    return;
  unsigned long long keep_from = sg_clock_now_ms() - KEEP_MS;
  if (reply->element[1]->type == REDIS_REPLY_STRING) {
    unsigned long long oldest = strtoull(reply->element[1]->str, NULL, 10);
    if (oldest < keep_from)
      keep_from = oldest;
  }
  char minid[32];
  snprintf(minid, sizeof(minid), "%llu", keep_from);
  const char *argv[] = {"XTRIM", s->key, "MINID", "~", minid};
  sg_redis_command(s->cmd, on_ignored, NULL, 5, argv, NULL);
}

/* Entries we hold, waiting for backoff or the next minute, would look dead
 * to other processes after CLAIM_IDLE_MS: claiming them again (JUSTID: no
 * delivery count) resets their idle time. */
static void keepalive(sg_sms_outstream *s) {
  const char *argv[5 + KEEP_MAX + 1];
  size_t lens[5 + KEEP_MAX + 1];
  size_t n = s->held->ask(s->held_data, argv + 5, KEEP_MAX);
  if (n == 0)
    return;
  argv[0] = "XCLAIM";
  argv[1] = s->key;
  argv[2] = GROUP;
  argv[3] = s->consumer;
  argv[4] = "0";
  int argc = 5 + (int)n;
  argv[argc++] = "JUSTID";
  for (int i = 0; i < argc; i++)
    lens[i] = strlen(argv[i]);
  if (sg_redis_command(s->cmd, on_keepalive, s, argc, argv, lens) == 0)
    s->housekeeping++;
}

static void housekeep(sg_sms_outstream *s) {
  if (s->housekeeping > 0 || !s->group_ready || !sg_redis_connected(s->cmd))
    return;
  size_t n = batch(s);
  if (n > 0) {
    char count[24];
    snprintf(count, sizeof(count), "%zu", n);
    const char *argv[] = {"XAUTOCLAIM",  s->key,          GROUP,   s->consumer,
                          CLAIM_IDLE_MS, s->claim_cursor, "COUNT", count};
    if (sg_redis_command(s->cmd, on_autoclaim, s, 8, argv, NULL) == 0)
      s->housekeeping++;
  }
  keepalive(s);
  const char *argv[] = {"XPENDING", s->key, GROUP};
  if (sg_redis_command(s->cmd, on_pending_summary, s, 3, argv, NULL) == 0)
    s->housekeeping++;
}

static void on_tick(uv_timer_t *t) {
  sg_sms_outstream *s = t->data;
  if (s->ticks++ % HOUSEKEEP_TICKS == 0)
    housekeep(s);
  s->held->pump(s->held_data);
  sg_sms_outstream_read(s);
}

/* ---- lifecycle ---- */

sg_sms_outstream *sg_sms_outstream_create(uv_loop_t *loop, const sg_redis_options *read_options,
                                          const sg_sms_outstream_options *options) {
  sg_sms_outstream *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->cmd = options->cmd;
  s->held = options->held;
  s->held_data = options->held_data;
  snprintf(s->claim_cursor, sizeof(s->claim_cursor), "0-0");
  int kn = snprintf(s->key, sizeof(s->key), "%s", options->key);
  int cn = snprintf(s->consumer, sizeof(s->consumer), "%s", options->consumer);
  sg_redis_options ro = *read_options;
  char read_name[64];
  snprintf(read_name, sizeof(read_name), "%s-read",
           read_options->name ? read_options->name : "smsout");
  ro.name = read_name;
  if (kn < 0 || (size_t)kn >= sizeof(s->key) || cn < 0 || (size_t)cn >= sizeof(s->consumer) ||
      (s->read = sg_redis_create(loop, &ro)) == NULL) {
    free(s);
    return NULL;
  }
  sg_redis_set_state_cb(s->read, on_read_state, s);
  uv_timer_init(loop, &s->tick);
  s->tick.data = s;
  uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
  return s;
}

static void on_tick_closed(uv_handle_t *h) {
  free(h->data);
}

void sg_sms_outstream_destroy(sg_sms_outstream *s) {
  if (s == NULL)
    return;
  s->destroying = 1;
  uv_timer_stop(&s->tick);
  /* Pending reads come back now with NULL and see destroying. */
  sg_redis_destroy(s->read);
  s->read = NULL;
  uv_close((uv_handle_t *)&s->tick, on_tick_closed);
}
