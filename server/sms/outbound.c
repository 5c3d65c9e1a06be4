/* Outbound SMS through Kannel's sendsms, following siaga:{R}:sms:out as a
 * member of the "smsout" consumer group.
 *
 * This file owns the messages: the held list, each entry's steps on Redis
 * (checks, attempt count, record or dead stream), the HTTP attempt and the
 * scheduling. Reading the stream and the group's housekeeping (claims,
 * keep-alive, trim, the tick) are sms/outstream's, which hands entries to the
 * held list through the sg_sms_outstream_held callbacks at the end of this
 * file. Limits, acknowledgements and claims share one Redis connection;
 * outstream has a second one for the blocking read.
 *
 * One entry's life: read (or claimed) -> held in memory, WAITING until due
 * -> checks (already sent? per-number limit) -> attempt counted -> HTTP GET
 * -> on 2xx recorded and acknowledged in one MULTI; on failure WAITING again
 * with backoff. An entry stays pending in the group until it is recorded as
 * sent or moved to the dead stream, so a siagad that dies at any point
 * leaves it for another one to claim (at-least-once: a crash between the
 * gateway's 202 and the MULTI sends it twice).
 *
 * Out of memory: an entry that cannot be held is left pending and comes
 * back by XAUTOCLAIM; nothing is lost. */
#include "sms/outbound.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/clock.h"
#include "http/client.h"
#include "store/keys.h"
#include "sms/gateway.h"
#include "sms/outstream.h"

#define GROUP SG_SMS_OUTSTREAM_GROUP
#define MAX_HELD 64     /* entries in memory: waiting for their turn or in flight */
#define MAX_INFLIGHT 4  /* entries being checked, sent or recorded at once */
#define MAX_REFUSALS 10 /* gateway answers that are not 2xx before giving up */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
#define REDIS_RETRY_MS 1000 /* a check or record that failed on Redis */
#define SENT_TTL_S "604800" /* 7 days */
#define TRY_TTL_S "604800"
#define LIMIT_TTL_S "120"
#define DEAD_MAXLEN "10000"
#define TO_MAX SG_SMS_OUTSTREAM_TO_MAX
#define ID_MAX SG_SMS_OUTSTREAM_ID_MAX
#define FIELD_MAX SG_SMS_OUTSTREAM_FIELD_MAX

typedef enum msg_state { MSG_WAITING, MSG_BUSY } msg_state;

/* Which group of Redis commands a message is waiting for. */
typedef enum msg_step {
  STEP_CHECK,   /* EXISTS sent, INCR limit, EXPIRE limit */
  STEP_ATTEMPT, /* HINCRBY attempts, EXPIRE */
  STEP_REFUSED, /* HINCRBY refused */
  STEP_FINISH   /* MULTI ... EXEC: recorded as sent, or dead */
} msg_step;

typedef struct msg {
  sg_sms_outbound *owner;
  struct msg *next;
  msg_state state;
  msg_step step;
  char id[ID_MAX];
  char to[TO_MAX];
  char kind[FIELD_MAX];
  char incident[FIELD_MAX];
  char report[FIELD_MAX];
  char *text;
  size_t text_len;
  const char *invalid; /* why the entry can never be sent, or NULL */
  uint64_t due_ms;
  int delivered; /* the gateway took it; only the record is missing */
  int limit_logged;
  int asked; /* named in the keep-alive XCLAIM in flight (outstream) */
  int seen;  /* and found still pending by it */
  int http_status;
  char http_error[64];
  long long attempts;
  int outstanding; /* Redis replies still to come for the current step */
  int failed;      /* one of them failed */
  long long v_exists, v_count, v_int;
  const char *dead_reason;
  sg_http_client *req; /* the attempt in flight, or NULL */
} msg;

struct sg_sms_outbound {
  uv_loop_t *loop;
  sg_redis *cmd;            /* everything but the blocking read */
  sg_sms_outstream *stream; /* the read, the claims, the tick */
  int destroying;

  char region[32];
  char consumer[FIELD_MAX];
  unsigned per_minute;
  sg_sms_gateway *gateway;

  char k_out[SG_KEY_MAX];
  char k_dead[SG_KEY_MAX];

  msg *held; /* in stream order, oldest first */
  size_t n_held;
  size_t inflight;
  sg_sms_outbound_stats stats;
};

static void http_start(msg *m);
static void finish_sent(msg *m);
static void finish_dead(msg *m, const char *reason);

/* ---- small helpers ---- */

/* Numbers in logs show enough to tell them apart, not enough to dial. */
static const char *masked(const char *to, char *buf, size_t size) {
  size_t n = strlen(to);
  if (n <= 7)
    snprintf(buf, size, "***");
  else
    snprintf(buf, size, "%.5s***%s", to, to + n - 3);
  return buf;
}

static void on_ignored(void *data, redisReply *reply) {
  (void)data;
  if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
    sg_log(SG_LOG_ERROR, "sms.out.redis_error", "reason=%s", reply->str);
}

/* ---- held messages ---- */

static msg *find_held(sg_sms_outbound *o, const char *id) {
  for (msg *m = o->held; m != NULL; m = m->next) {
    if (strcmp(m->id, id) == 0)
      return m;
  }
  return NULL;
}

static void msg_free(msg *m) {
  free(m->text);
  free(m);
}

static void unlink_msg(sg_sms_outbound *o, msg *m) {
  for (msg **p = &o->held; *p != NULL; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      o->n_held--;
      return;
    }
  }
}

/* Back to waiting: the slot it used is free for another message. */
static void retry_in(msg *m, uint64_t delay_ms) {
  m->state = MSG_WAITING;
  m->due_ms = sg_clock_now_ms() + delay_ms;
  m->owner->inflight--;
}

static void release(msg *m) {
  sg_sms_outbound *o = m->owner;
  o->inflight--;
  unlink_msg(o, m);
  msg_free(m);
}

/* 1 s after the first failed attempt, doubling, at most 60 s. */
static uint64_t backoff_ms(long long attempts) {
  if (attempts < 1)
    attempts = 1;
  if (attempts > 7)
    return BACKOFF_MAX_MS;
  uint64_t delay = (uint64_t)BACKOFF_FIRST_MS << (attempts - 1);
  return delay > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay;
}

/* ---- Redis steps of one message ---- */

static void step_begin(msg *m, msg_step step) {
  m->step = step;
  m->outstanding = 0;
  m->failed = 0;
}

static void step_cmd(msg *m, sg_redis_reply_cb cb, int argc, const char **argv) {
  if (sg_redis_command(m->owner->cmd, cb, m, argc, argv, NULL) == 0)
    m->outstanding++;
  else
    m->failed = 1;
}

static void step_dispatch(msg *m);

static void step_reply(msg *m, int ok) {
  if (!ok)
    m->failed = 1;
  if (--m->outstanding > 0 || m->owner->destroying)
    return;
  step_dispatch(m);
}

static void on_step_ignored(void *data, redisReply *reply) {
  step_reply(data, reply != NULL && reply->type != REDIS_REPLY_ERROR);
}

static void on_step_integer(void *data, redisReply *reply) {
  msg *m = data;
  int ok = reply != NULL && reply->type == REDIS_REPLY_INTEGER;
  if (ok)
    m->v_int = reply->integer;
  step_reply(m, ok);
}

static void on_step_exists(void *data, redisReply *reply) {
  msg *m = data;
  int ok = reply != NULL && reply->type == REDIS_REPLY_INTEGER;
  if (ok)
    m->v_exists = reply->integer;
  step_reply(m, ok);
}

static void on_step_count(void *data, redisReply *reply) {
  msg *m = data;
  int ok = reply != NULL && reply->type == REDIS_REPLY_INTEGER;
  if (ok)
    m->v_count = reply->integer;
  step_reply(m, ok);
}

/* EXEC answers an array of the queued commands' replies, or nil or an error
 * when the transaction did not run. */
static void on_step_exec(void *data, redisReply *reply) {
  step_reply(data, reply != NULL && reply->type == REDIS_REPLY_ARRAY);
}

/* The steps' commands are queued in one go, so none can fail half-way
 * through a MULTI; only an unavailable connection fails them, all. */
static void step_end(msg *m) {
  if (m->outstanding == 0)
    step_dispatch(m);
}

static void start_checks(msg *m) {
  sg_sms_outbound *o = m->owner;
  char k_sent[SG_KEY_MAX], k_limit[SG_KEY_MAX], suffix[ID_MAX + TO_MAX + 32];
  snprintf(suffix, sizeof(suffix), "sms:sent:%s", m->id);
  sg_key(k_sent, sizeof(k_sent), o->region, suffix);
  /* Counted per calendar minute: a fixed window is one key and one INCR. */
  snprintf(suffix, sizeof(suffix), "sms:limit:%s:%llu", m->to,
           (unsigned long long)(sg_clock_now_ms() / 60000));
  sg_key(k_limit, sizeof(k_limit), o->region, suffix);
  step_begin(m, STEP_CHECK);
  m->v_exists = 0;
  m->v_count = 0;
  const char *exists[] = {"EXISTS", k_sent};
  const char *incr[] = {"INCR", k_limit};
  const char *expire[] = {"EXPIRE", k_limit, LIMIT_TTL_S};
  step_cmd(m, on_step_exists, 2, exists);
  step_cmd(m, on_step_count, 2, incr);
  step_cmd(m, on_step_ignored, 3, expire);
  step_end(m);
}

static void try_key(const msg *m, char *buf, size_t size) {
  char suffix[ID_MAX + 16];
  snprintf(suffix, sizeof(suffix), "sms:try:%s", m->id);
  sg_key(buf, size, m->owner->region, suffix);
}

static void after_checks(msg *m) {
  sg_sms_outbound *o = m->owner;
  if (m->failed) {
    retry_in(m, REDIS_RETRY_MS);
    return;
  }
  if (m->v_exists) {
    /* A process died between the gateway's answer and the record's
     * acknowledgement; the record says it went. */
    m->delivered = 1;
    finish_sent(m);
    return;
  }
  if (m->v_count > (long long)o->per_minute) {
    /* Over the limit: not sent, not counted as an attempt; its turn comes
     * in the next minute. Logged once per message, not once per minute. */
    if (!m->limit_logged) {
      char buf[32];
      sg_log(SG_LOG_WARN, "sms.out.held", "sms=%s to=%s per_minute=%u", m->id,
             masked(m->to, buf, sizeof(buf)), o->per_minute);
      m->limit_logged = 1;
    }
    uint64_t now = sg_clock_now_ms();
    retry_in(m, (now / 60000 + 1) * 60000 - now + 50);
    return;
  }
  /* The attempt is counted before the request, so a siagad that dies
   * during it still leaves the count behind for the next owner. */
  char k_try[SG_KEY_MAX];
  try_key(m, k_try, sizeof(k_try));
  step_begin(m, STEP_ATTEMPT);
  const char *hincr[] = {"HINCRBY", k_try, "attempts", "1"};
  const char *expire[] = {"EXPIRE", k_try, TRY_TTL_S};
  step_cmd(m, on_step_integer, 4, hincr);
  step_cmd(m, on_step_ignored, 3, expire);
  step_end(m);
}

static void after_attempt(msg *m) {
  if (m->failed) {
    retry_in(m, REDIS_RETRY_MS);
    return;
  }
  m->attempts = m->v_int;
  http_start(m);
}

/* The gateway answered, but not with 2xx: the message itself may be what it
 * refuses (a bad number, a text it will not take), so these are counted
 * apart from outages, which only delay. */
static void after_refused(msg *m) {
  if (!m->failed && m->v_int >= MAX_REFUSALS) {
    finish_dead(m, "refused by the gateway too many times");
    return;
  }
  retry_in(m, backoff_ms(m->attempts));
}

static void after_finish(msg *m) {
  if (m->failed) {
    /* Not recorded: keep it, and record again later without sending. */
    retry_in(m, REDIS_RETRY_MS);
    return;
  }
  sg_sms_outbound *o = m->owner;
  release(m);
  /* Room in memory again: read on if the reader had stopped. */
  sg_sms_outstream_read(o->stream);
}

static void step_dispatch(msg *m) {
  switch (m->step) {
  case STEP_CHECK:
    after_checks(m);
    break;
  case STEP_ATTEMPT:
    after_attempt(m);
    break;
  case STEP_REFUSED:
    after_refused(m);
    break;
  case STEP_FINISH:
    after_finish(m);
    break;
  }
}

/* Records the delivery and acknowledges the entry, atomically: a record
 * without the acknowledgement would be found by the next owner's EXISTS;
 * the acknowledgement without a record would lose the trace. */
static void finish_sent(msg *m) {
  sg_sms_outbound *o = m->owner;
  char k_sent[SG_KEY_MAX], k_try[SG_KEY_MAX], suffix[ID_MAX + 16], at[24], status[8], attempts[24];
  snprintf(suffix, sizeof(suffix), "sms:sent:%s", m->id);
  sg_key(k_sent, sizeof(k_sent), o->region, suffix);
  try_key(m, k_try, sizeof(k_try));
  snprintf(at, sizeof(at), "%llu", (unsigned long long)sg_clock_now_ms());
  snprintf(status, sizeof(status), "%d", m->http_status);
  snprintf(attempts, sizeof(attempts), "%lld", m->attempts);
  step_begin(m, STEP_FINISH);
  const char *multi[] = {"MULTI"};
  const char *hset[] = {"HSET",        k_sent,      "to",       m->to,     "kind", m->kind,
                        "incident",    m->incident, "report",   m->report, "at",   at,
                        "http_status", status,      "attempts", attempts};
  const char *expire[] = {"EXPIRE", k_sent, SENT_TTL_S};
  const char *xack[] = {"XACK", o->k_out, GROUP, m->id};
  const char *del[] = {"DEL", k_try};
  const char *exec[] = {"EXEC"};
  step_cmd(m, on_step_ignored, 1, multi);
  /* An entry whose record already exists keeps that record. */
  if (m->http_status != 0) {
    step_cmd(m, on_step_ignored, (int)(sizeof(hset) / sizeof(hset[0])), hset);
    step_cmd(m, on_step_ignored, 3, expire);
  }
  step_cmd(m, on_step_ignored, 4, xack);
  step_cmd(m, on_step_ignored, 2, del);
  step_cmd(m, on_step_exec, 1, exec);
  step_end(m);
}

static void finish_dead(msg *m, const char *reason) {
  sg_sms_outbound *o = m->owner;
  char k_try[SG_KEY_MAX], attempts[24], buf[32];
  try_key(m, k_try, sizeof(k_try));
  snprintf(attempts, sizeof(attempts), "%lld", m->attempts);
  sg_log(SG_LOG_ERROR, "sms.out.dead", "sms=%s to=%s reason=%s", m->id,
         masked(m->to, buf, sizeof(buf)), reason);
  m->dead_reason = reason;
  o->stats.dead++;
  step_begin(m, STEP_FINISH);
  const char *multi[] = {"MULTI"};
  const char *xadd[] = {
      "XADD",   o->k_dead, "MAXLEN",   "~",         DEAD_MAXLEN, "*",
      "entry",  m->id,     "to",       m->to,       "text",      m->text != NULL ? m->text : "",
      "kind",   m->kind,   "incident", m->incident, "report",    m->report,
      "reason", reason,    "attempts", attempts};
  const char *xack[] = {"XACK", o->k_out, GROUP, m->id};
  const char *del[] = {"DEL", k_try};
  const char *exec[] = {"EXEC"};
  step_cmd(m, on_step_ignored, 1, multi);
  step_cmd(m, on_step_ignored, (int)(sizeof(xadd) / sizeof(xadd[0])), xadd);
  step_cmd(m, on_step_ignored, 4, xack);
  step_cmd(m, on_step_ignored, 2, del);
  step_cmd(m, on_step_exec, 1, exec);
  step_end(m);
}

/* The HTTP result of one attempt: status 2xx, another status, or 0 with
 * error text when the gateway could not be reached or answered nonsense. */
static void http_done(msg *m, int status, const char *error) {
  char buf[32];
  m->req = NULL;
  sg_sms_gateway_verdict verdict = sg_sms_gateway_verdict_of(status);
  if (verdict == SG_SMS_GATEWAY_SENT) {
    m->owner->stats.sent++;
    m->http_status = status;
    m->delivered = 1;
    finish_sent(m);
    return;
  }
  m->owner->stats.failed++;
  if (verdict == SG_SMS_GATEWAY_OUTAGE) {
    /* The gateway is down or overloaded: wait, never give up. */
    char why[80];
    if (error != NULL)
      snprintf(why, sizeof(why), "%s", error);
    else
      snprintf(why, sizeof(why), "HTTP %d", status);
    uint64_t delay = backoff_ms(m->attempts);
    /* An outage repeats the same line for every message every minute:
     * attempts 1, 2, 4, 8, ... say enough. */
    if ((m->attempts & (m->attempts - 1)) == 0)
      sg_log(SG_LOG_WARN, "sms.out.retry", "sms=%s to=%s attempt=%lld reason=%s retry_ms=%llu",
             m->id, masked(m->to, buf, sizeof(buf)), m->attempts, why, (unsigned long long)delay);
    retry_in(m, delay);
    return;
  }
  sg_log(SG_LOG_WARN, "sms.out.refused", "sms=%s to=%s status=%d attempt=%lld", m->id,
         masked(m->to, buf, sizeof(buf)), status, m->attempts);
  char k_try[SG_KEY_MAX];
  try_key(m, k_try, sizeof(k_try));
  step_begin(m, STEP_REFUSED);
  m->v_int = 0;
  const char *hincr[] = {"HINCRBY", k_try, "refused", "1"};
  step_cmd(m, on_step_integer, 4, hincr);
  step_end(m);
}

static void on_http_done(void *data, int status, const char *error) {
  msg *m = data;
  m->req = NULL;
  http_done(m, status, error);
}

static void http_start(msg *m) {
  sg_sms_outbound *o = m->owner;
  m->http_status = 0;
  int r = sg_sms_gateway_send(o->gateway, o->loop, m->to, m->text, m->text_len, m->id, on_http_done,
                              m, &m->req);
  if (r == SG_SMS_GATEWAY_TOO_LONG)
    finish_dead(m, "text too long for a sendsms URL");
  else if (r != SG_SMS_GATEWAY_STARTED)
    retry_in(m, REDIS_RETRY_MS);
}

/* ---- scheduling ---- */

/* An earlier message to the same number not yet done: messages to one
 * citizen go out in the order they were written (the acknowledgement
 * before "help is on the way"). */
static int blocked_by_earlier(const sg_sms_outbound *o, const msg *m) {
  for (const msg *p = o->held; p != NULL && p != m; p = p->next) {
    if (p->invalid == NULL && strcmp(p->to, m->to) == 0)
      return 1;
  }
  return 0;
}

static void pump(sg_sms_outbound *o) {
  if (o->destroying || !sg_redis_connected(o->cmd))
    return;
  uint64_t now = sg_clock_now_ms();
  msg *next;
  for (msg *m = o->held; m != NULL && o->inflight < MAX_INFLIGHT; m = next) {
    next = m->next; /* m may be released by a synchronous failure below */
    if (m->state != MSG_WAITING || m->due_ms > now)
      continue;
    if (m->invalid == NULL && blocked_by_earlier(o, m))
      continue;
    m->state = MSG_BUSY;
    o->inflight++;
    if (m->invalid != NULL)
      finish_dead(m, m->invalid);
    else if (m->delivered)
      finish_sent(m);
    else
      start_checks(m);
  }
}

/* ---- the held list, as sms/outstream sees it ---- */

static size_t held_room(void *data) {
  const sg_sms_outbound *o = data;
  return o->n_held < MAX_HELD ? MAX_HELD - o->n_held : 0;
}

static int held_take(void *data, const sg_sms_outstream_entry *e) {
  sg_sms_outbound *o = data;
  if (find_held(o, e->id) != NULL)
    return 0;
  if (e->deleted) {
    /* Trimmed or deleted while pending: nothing left to send. */
    const char *argv[] = {"XACK", o->k_out, GROUP, e->id};
    sg_redis_command(o->cmd, on_ignored, NULL, 4, argv, NULL);
    return 0;
  }
  msg *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return 0; /* stays pending; a claim brings it back */
  if (e->text != NULL && (m->text = malloc(e->text_len + 1)) == NULL) {
    free(m);
    return 0;
  }
  if (e->text != NULL) {
    memcpy(m->text, e->text, e->text_len);
    m->text[e->text_len] = '\0';
    m->text_len = e->text_len;
  }
  m->owner = o;
  memcpy(m->id, e->id, sizeof(m->id));
  memcpy(m->to, e->to, sizeof(m->to));
  memcpy(m->kind, e->kind, sizeof(m->kind));
  memcpy(m->incident, e->incident, sizeof(m->incident));
  memcpy(m->report, e->report, sizeof(m->report));
  m->invalid = e->invalid;
  o->stats.taken++;
  m->state = MSG_WAITING;
  m->due_ms = 0;
  msg **tail = &o->held;
  while (*tail != NULL)
    tail = &(*tail)->next;
  *tail = m;
  o->n_held++;
  return 1;
}

static void held_pump(void *data) {
  pump(data);
}

static size_t held_ask(void *data, const char **ids, size_t max) {
  sg_sms_outbound *o = data;
  size_t n = 0;
  for (msg *m = o->held; m != NULL; m = m->next) {
    m->asked = n < max;
    m->seen = 0;
    if (m->asked)
      ids[n++] = m->id;
  }
  return n;
}

/* A waiting message missing from the keep-alive's answer was acknowledged
 * elsewhere (or trimmed) and is dropped. */
static void held_answer(void *data, const redisReply *ids) {
  sg_sms_outbound *o = data;
  for (size_t i = 0; i < ids->elements; i++) {
    const redisReply *id = ids->element[i];
    msg *m = id->type == REDIS_REPLY_STRING ? find_held(o, id->str) : NULL;
    if (m != NULL)
      m->seen = 1;
  }
  msg *next;
  for (msg *m = o->held; m != NULL; m = next) {
    next = m->next;
    if (m->asked && !m->seen && m->state == MSG_WAITING) {
      unlink_msg(o, m);
      msg_free(m);
    } else {
      m->asked = 0;
    }
  }
}

static const sg_sms_outstream_held held_hooks = {held_room, held_take, held_pump, held_ask,
                                                 held_answer};

/* ---- lifecycle ---- */

sg_sms_outbound *sg_sms_outbound_create(uv_loop_t *loop, const sg_redis_options *redis_options,
                                        const sg_sms_outbound_options *options) {
  if (options->region == NULL || options->sendsms_url == NULL || options->consumer == NULL ||
      !sg_key_region_valid(options->region) || !sg_key_consumer_valid(options->consumer))
    return NULL;
  sg_sms_outbound *o = calloc(1, sizeof(*o));
  if (o == NULL)
    return NULL;
  o->loop = loop;
  snprintf(o->region, sizeof(o->region), "%s", options->region);
  snprintf(o->consumer, sizeof(o->consumer), "%s", options->consumer);
  o->per_minute = options->per_number_per_minute ? options->per_number_per_minute : 5;
  if ((o->gateway = sg_sms_gateway_create(options->sendsms_url, options->dlr_url)) == NULL ||
      sg_key(o->k_out, sizeof(o->k_out), o->region, "sms:out") < 0 ||
      sg_key(o->k_dead, sizeof(o->k_dead), o->region, "sms:out:dead") < 0)
    goto fail;

  o->cmd = sg_redis_create(loop, redis_options);
  sg_sms_outstream_options so = {
      .key = o->k_out, .consumer = o->consumer, .cmd = o->cmd, .held = &held_hooks, .held_data = o};
  o->stream = o->cmd != NULL ? sg_sms_outstream_create(loop, redis_options, &so) : NULL;
  if (o->stream == NULL)
    goto fail;
  return o;
fail:
  sg_redis_destroy(o->cmd);
  sg_sms_gateway_destroy(o->gateway);
  free(o);
  return NULL;
}

void sg_sms_outbound_destroy(sg_sms_outbound *o) {
  if (o == NULL)
    return;
  o->destroying = 1;
  /* The stream first (see outstream.h). Pending replies come back now with
   * NULL and see destroying; the messages they point at are still alive
   * until the loop below. */
  sg_sms_outstream_destroy(o->stream);
  sg_redis_destroy(o->cmd);
  while (o->held != NULL) {
    msg *m = o->held;
    o->held = m->next;
    sg_http_client_cancel(m->req);
    msg_free(m);
  }
  sg_sms_gateway_destroy(o->gateway);
  free(o);
}

const sg_sms_outbound_stats *sg_sms_outbound_stats_of(const sg_sms_outbound *o) {
  return &o->stats;
}

size_t sg_sms_outbound_held(const sg_sms_outbound *o) {
  return o->n_held;
}
