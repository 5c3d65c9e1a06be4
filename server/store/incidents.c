#include "store/incidents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/error.h"
#include "store/keys.h"

struct sg_incidents {
  sg_redis *redis;
  char k_open[SG_KEY_MAX];
  char k_updates[SG_KEY_MAX];
  char incident_prefix[SG_KEY_MAX];
  char sha_snapshot[SG_REDIS_SHA_LEN + 1];
  char k_closed[SG_KEY_MAX];
  char sha_closed[SG_REDIS_SHA_LEN + 1];
  char k_units[SG_KEY_MAX];
  char unit_prefix[SG_KEY_MAX];
  char sha_units[SG_REDIS_SHA_LEN + 1];
};

/* One read in flight: hiredis hands its reply to this, which decodes it
 * for the caller. */
typedef struct read_op {
  sg_incidents_page_cb page_cb;
  sg_incidents_get_cb get_cb;
  void *data;
  /* A first page waits for its units (a second reply) before answering. */
  int pending;
  sg_incidents_page page;
  char position[SG_INCIDENTS_POSITION_MAX], *next_cursor;
} read_op;

sg_incidents *sg_incidents_create(sg_redis *redis, const char *region) {
  const sg_embedded_file *snap = sg_embedded_find("snapshot.lua");
  const sg_embedded_file *closed = sg_embedded_find("closed.lua");
  const sg_embedded_file *units = sg_embedded_find("units.lua");
  sg_incidents *in = calloc(1, sizeof(*in));
  if (in == NULL || snap == NULL || closed == NULL || units == NULL)
    goto fail;
  in->redis = redis;
  if (sg_key(in->k_open, sizeof(in->k_open), region, SG_KEY_OPEN) < 0 ||
      sg_key(in->k_updates, sizeof(in->k_updates), region, SG_KEY_UPDATES) < 0 ||
      sg_key2(in->incident_prefix, sizeof(in->incident_prefix), region, "incident", "") < 0 ||
      sg_key(in->k_closed, sizeof(in->k_closed), region, SG_KEY_CLOSED) < 0 ||
      sg_key(in->k_units, sizeof(in->k_units), region, "units") < 0 ||
      sg_key2(in->unit_prefix, sizeof(in->unit_prefix), region, "unit", "") < 0)
    goto fail;
  if (sg_redis_add_script(redis, (const char *)snap->data, snap->size, in->sha_snapshot) != 0 ||
      sg_redis_add_script(redis, (const char *)closed->data, closed->size, in->sha_closed) != 0 ||
      sg_redis_add_script(redis, (const char *)units->data, units->size, in->sha_units) != 0)
    goto fail;
  return in;
fail:
  free(in);
  return NULL;
}

void sg_incidents_destroy(sg_incidents *in) {
  free(in);
}

int sg_incidents_cursor_valid(const char *s) {
  size_t digits = strspn(s, "0123456789");
  /* 16 digits hold any score below 2^53 (score * 1e13 + created_at_ms). */
  if (digits == 0 || digits > 16 || s[digits] != ':')
    return 0;
  return sg_key_id_valid(s + digits + 1);
}

static int position_valid(const char *s) {
  size_t ms = strspn(s, "0123456789");
  if (ms == 0 || ms > 20 || s[ms] != '-')
    return 0;
  size_t seq = strspn(s + ms + 1, "0123456789");
  return seq > 0 && seq <= 20 && s[ms + 1 + seq] == '\0';
}

/* Sends one read for whichever of page_cb or get_cb is set; 0, or the
 * refusal of sg_redis_command (the callbacks are then never called). */
static int start_read(sg_incidents *in, sg_incidents_page_cb page_cb, sg_incidents_get_cb get_cb,
                      void *data, sg_redis_reply_cb on_reply, int argc, const char **argv) {
  read_op *op = calloc(1, sizeof(*op));
  if (op == NULL)
    return SG_ENOMEM;
  *op = (read_op){page_cb, get_cb, data};
  int rc = sg_redis_command(in->redis, on_reply, op, argc, argv, NULL);
  if (rc != 0)
    free(op);
  return rc;
}

static int is_string(const redisReply *r) {
  return r->type == REDIS_REPLY_STRING;
}

static void page_free(read_op *op) {
  for (size_t i = 0; i < op->page.n_incidents; i++)
    siaga__v1__incident__free_unpacked(op->page.incidents[i], NULL);
  free(op->page.incidents);
  for (size_t i = 0; i < op->page.n_units; i++)
    siaga__v1__unit__free_unpacked(op->page.units[i], NULL);
  free(op->page.units);
  free(op->next_cursor);
  free(op);
}

/* Both replies of a first page are in (or the only one of a later page):
 * the page goes to the caller, whole or failed. */
static void page_answer(read_op *op) {
  if (--op->pending > 0)
    return;
  if (op->page.status != SG_INCIDENTS_OK) {
    sg_incidents_page failed = {.status = op->page.status, .position = "", .next_cursor = ""};
    op->page_cb(op->data, &failed);
  } else {
    op->page.position = op->position;
    op->page.next_cursor = op->next_cursor;
    op->page_cb(op->data, &op->page);
  }
  page_free(op);
}

static void on_page(void *data, redisReply *reply) {
  read_op *op = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      !is_string(reply->element[0]) || !is_string(reply->element[1]) ||
      reply->element[0]->len >= sizeof(op->position) ||
      (op->next_cursor = strdup(reply->element[1]->str)) == NULL) {
    op->page.status = SG_INCIDENTS_UNAVAILABLE;
    page_answer(op);
    return;
  }
  memcpy(op->position, reply->element[0]->str, reply->element[0]->len + 1);
  size_t n = reply->elements - 2, got = 0;
  Siaga__V1__Incident **list = calloc(n ? n : 1, sizeof(*list));
  for (size_t i = 0; list != NULL && i < n; i++) {
    redisReply *e = reply->element[i + 2];
    if (is_string(e) &&
        (list[got] = siaga__v1__incident__unpack(NULL, e->len, (const uint8_t *)e->str)) != NULL)
      got++;
  }
  if (list == NULL)
    op->page.status = SG_INCIDENTS_UNAVAILABLE;
  op->page.incidents = list;
  op->page.n_incidents = got;
  page_answer(op);
}

static void on_units(void *data, redisReply *reply) {
  read_op *op = data;
  size_t n = reply != NULL && reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
  op->page.units = calloc(n ? n : 1, sizeof(*op->page.units));
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || op->page.units == NULL)
    op->page.status = SG_INCIDENTS_UNAVAILABLE;
  for (size_t i = 0; op->page.units != NULL && i < n; i++) {
    redisReply *e = reply->element[i];
    Siaga__V1__Unit *u = is_string(e)
                             ? siaga__v1__unit__unpack(NULL, e->len, (const uint8_t *)e->str)
                             : NULL;
    if (u != NULL)
      op->page.units[op->page.n_units++] = u;
  }
  page_answer(op);
}

int sg_incidents_page_read(sg_incidents *in, const sg_incidents_query *q,
                           sg_incidents_page_cb cb, void *data) {
  const char *cursor = q->cursor != NULL ? q->cursor : "";
  const char *position = q->position != NULL ? q->position : "";
  if (q->limit == 0 || (cursor[0] != '\0' && !sg_incidents_cursor_valid(cursor)) ||
      (position[0] != '\0' && !position_valid(position)))
    return SG_EINVAL;
  char limit[24];
  snprintf(limit, sizeof(limit), "%zu", q->limit);
  const char *argv[] = {"EVALSHA", in->sha_snapshot, "2",      in->k_open, in->k_updates,
                        in->incident_prefix, limit,  cursor, position};
  read_op *op = calloc(1, sizeof(*op));
  if (op == NULL)
    return SG_ENOMEM;
  op->page_cb = cb;
  op->data = data;
  op->page.status = SG_INCIDENTS_OK;
  int rc = sg_redis_command(in->redis, on_page, op, 9, argv, NULL);
  if (rc != 0) {
    free(op);
    return rc;
  }
  op->pending = 1;
  if (cursor[0] == '\0') {
    /* Pipelined on the same connection: it runs after the page's script. */
    const char *units[] = {"EVALSHA", in->sha_units, "1", in->k_units, in->unit_prefix};
    if (sg_redis_command(in->redis, on_units, op, 5, units, NULL) == 0)
      op->pending++;
    else
      op->page.status = SG_INCIDENTS_UNAVAILABLE;
  }
  return SG_OK;
}

int sg_incidents_closed(sg_incidents *in, uint64_t since_ms, size_t limit,
                        sg_incidents_page_cb cb, void *data) {
  if (limit == 0)
    return SG_EINVAL;
  char since[24], n[24];
  snprintf(since, sizeof(since), "%llu", (unsigned long long)since_ms);
  snprintf(n, sizeof(n), "%zu", limit);
  const char *argv[] = {"EVALSHA", in->sha_closed, "1", in->k_closed, in->incident_prefix, since, n};
  read_op *op = calloc(1, sizeof(*op));
  if (op == NULL)
    return SG_ENOMEM;
  op->page_cb = cb;
  op->data = data;
  op->page.status = SG_INCIDENTS_OK;
  op->pending = 1;
  int rc = sg_redis_command(in->redis, on_page, op, 7, argv, NULL);
  if (rc != 0)
    free(op);
  return rc;
}

static void on_get(void *data, redisReply *reply) {
  read_op *op = data;
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
    op->get_cb(op->data, SG_INCIDENTS_UNAVAILABLE, NULL);
    free(op);
    return;
  }
  Siaga__V1__Incident *inc = NULL;
  if (is_string(reply))
    inc = siaga__v1__incident__unpack(NULL, reply->len, (const uint8_t *)reply->str);
  op->get_cb(op->data, inc != NULL ? SG_INCIDENTS_OK : SG_INCIDENTS_NOT_FOUND, inc);
  if (inc != NULL)
    siaga__v1__incident__free_unpacked(inc, NULL);
  free(op);
}

int sg_incidents_get(sg_incidents *in, const char *id, sg_incidents_get_cb cb, void *data) {
  char key[SG_KEY_MAX];
  if (!sg_key_id_valid(id))
    return SG_EINVAL;
  int n = snprintf(key, sizeof(key), "%s%s", in->incident_prefix, id);
  if (n < 0 || n >= (int)sizeof(key))
    return SG_EINVAL;
  const char *argv[] = {"HGET", key, "pb"};
  return start_read(in, NULL, cb, data, on_get, 3, argv);
}
