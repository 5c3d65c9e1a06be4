#include "store/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/error.h"
#include "store/keys.h"

struct sg_history {
  sg_redis *redis;
  char k_reports[SG_KEY_MAX];
  char report_prefix[SG_KEY_MAX];
  char audit_prefix[SG_KEY_MAX];
  char sha[SG_REDIS_SHA_LEN + 1];
};

/* One read in flight, between its two steps. The decoded trail is kept
 * whole (its strings back the answer) while the shells below point into it. */
typedef struct history_op {
  sg_history *history;
  sg_history_cb cb;
  void *data;
  char id[SG_KEY_ID_MAX + 1];
  Siaga__V1__IncidentUpdate **trail; /* decoded, owned */
  char **entry_ids;                  /* the updates stream id of each, owned */
  size_t n_trail;
  int more;
} history_op;

sg_history *sg_history_create(sg_redis *redis, const char *region) {
  const sg_embedded_file *lua = sg_embedded_find("history.lua");
  sg_history *h = calloc(1, sizeof(*h));
  if (h == NULL || lua == NULL)
    goto fail;
  h->redis = redis;
  if (sg_key(h->k_reports, sizeof(h->k_reports), region, SG_KEY_REPORTS) < 0 ||
      sg_key2(h->report_prefix, sizeof(h->report_prefix), region, "report", "") < 0 ||
      sg_key2(h->audit_prefix, sizeof(h->audit_prefix), region, "audit", "") < 0)
    goto fail;
  if (sg_redis_add_script(redis, (const char *)lua->data, lua->size, h->sha) != 0)
    goto fail;
  return h;
fail:
  free(h);
  return NULL;
}

void sg_history_destroy(sg_history *h) {
  free(h);
}

static void op_free(history_op *op) {
  for (size_t i = 0; i < op->n_trail; i++) {
    siaga__v1__incident_update__free_unpacked(op->trail[i], NULL);
    free(op->entry_ids[i]);
  }
  free(op->trail);
  free(op->entry_ids);
  free(op);
}

static void fail(history_op *op, sg_history_status status) {
  op->cb(op->data, status, NULL);
  op_free(op);
}

static const redisReply *field(const redisReply *fields, const char *name) {
  for (size_t j = 0; j + 1 < fields->elements; j += 2) {
    const redisReply *k = fields->element[j];
    if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0)
      return fields->element[j + 1];
  }
  return NULL;
}

static size_t add_id(const char **ids, size_t n, size_t max, const char *r) {
  if (n >= max || r == NULL || r[0] == '\0' || !sg_key_id_valid(r))
    return n;
  for (size_t k = 0; k < n; k++)
    if (strcmp(ids[k], r) == 0)
      return n;
  ids[n] = r;
  return n + 1;
}

/* The incident's report ids, each once, in the order they joined: those its
 * trail names, then those merges brought in (whose joining is in the other
 * incident's trail). */
static size_t report_ids(const history_op *op, const char **ids, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < op->n_trail; i++)
    n = add_id(ids, n, max, op->trail[i]->report_id);
  const Siaga__V1__Incident *last = op->n_trail > 0 ? op->trail[op->n_trail - 1]->incident : NULL;
  for (size_t m = 0; last != NULL && m < last->n_merged; m++)
    for (size_t k = 0; k < last->merged[m]->n_report_ids; k++)
      n = add_id(ids, n, max, last->merged[m]->report_ids[k]);
  return n;
}

/* What the trail shows of the incident after each update: its state, not
 * its reports and notes again (the newest note only, on NOTE_ADDED), so a
 * trail of five hundred updates stays small. */
static void slim(const Siaga__V1__Incident *full, Siaga__V1__Incident *out) {
  siaga__v1__incident__init(out);
  out->id = full->id;
  out->status = full->status;
  out->priority = full->priority;
  out->score = full->score;
  out->category = full->category;
  out->version = full->version;
  out->handler = full->handler;
  out->report_count = full->report_count;
  out->updated_at_ms = full->updated_at_ms;
  out->priority_override = full->priority_override;
  out->category_override = full->category_override;
  out->assignments = full->assignments;
  out->n_assignments = full->n_assignments;
  if (full->n_notes > 0) {
    out->notes = &full->notes[full->n_notes - 1];
    out->n_notes = 1;
  }
}

static void on_reports(void *data, redisReply *reply) {
  history_op *op = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
    fail(op, SG_HISTORY_UNAVAILABLE);
    return;
  }
  size_t n = op->n_trail;
  Siaga__V1__IncidentUpdate *shells = calloc(n ? n : 1, sizeof(*shells));
  Siaga__V1__IncidentUpdate **updates = calloc(n ? n : 1, sizeof(*updates));
  Siaga__V1__Incident *incs = calloc(n ? n : 1, sizeof(*incs));
  Siaga__V1__Report **reports = calloc(reply->elements ? reply->elements : 1, sizeof(*reports));
  size_t n_reports = 0;
  if (shells == NULL || updates == NULL || incs == NULL || reports == NULL) {
    free(shells), free(updates), free(incs), free(reports);
    fail(op, SG_HISTORY_UNAVAILABLE);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    shells[i] = *op->trail[i];
    shells[i].id = op->entry_ids[i];
    if (op->trail[i]->incident != NULL) {
      slim(op->trail[i]->incident, &incs[i]);
      shells[i].incident = &incs[i];
    }
    updates[i] = &shells[i];
  }
  for (size_t i = 0; i < reply->elements; i++) {
    const redisReply *e = reply->element[i];
    if (e->type == REDIS_REPLY_STRING && e->len > 0 &&
        (reports[n_reports] = siaga__v1__report__unpack(NULL, e->len, (const uint8_t *)e->str)) != NULL)
      n_reports++;
  }
  Siaga__V1__IncidentHistory out = SIAGA__V1__INCIDENT_HISTORY__INIT;
  out.incident_id = op->id;
  out.updates = updates;
  out.n_updates = n;
  out.reports = reports;
  out.n_reports = n_reports;
  out.more = op->more;
  op->cb(op->data, SG_HISTORY_OK, &out);
  for (size_t i = 0; i < n_reports; i++)
    siaga__v1__report__free_unpacked(reports[i], NULL);
  free(reports), free(incs), free(updates), free(shells);
  op_free(op);
}

static void on_trail(void *data, redisReply *reply) {
  history_op *op = data;
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
    fail(op, SG_HISTORY_UNAVAILABLE);
    return;
  }
  if (reply->elements == 0) {
    fail(op, SG_HISTORY_NOT_FOUND);
    return;
  }
  size_t n = reply->elements;
  if (n > SG_HISTORY_UPDATES_MAX) {
    n = SG_HISTORY_UPDATES_MAX;
    op->more = 1;
  }
  op->trail = calloc(n, sizeof(*op->trail));
  op->entry_ids = calloc(n, sizeof(*op->entry_ids));
  if (op->trail == NULL || op->entry_ids == NULL) {
    fail(op, SG_HISTORY_UNAVAILABLE);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const redisReply *e = reply->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->type != REDIS_REPLY_ARRAY)
      continue;
    const redisReply *u = field(e->element[1], "u");
    const redisReply *at = field(e->element[1], "update");
    if (u == NULL || u->type != REDIS_REPLY_STRING)
      continue;
    Siaga__V1__IncidentUpdate *up =
        siaga__v1__incident_update__unpack(NULL, u->len, (const uint8_t *)u->str);
    if (up == NULL)
      continue;
    const char *entry = at != NULL && at->type == REDIS_REPLY_STRING ? at->str : "";
    if ((op->entry_ids[op->n_trail] = strdup(entry)) == NULL) {
      siaga__v1__incident_update__free_unpacked(up, NULL);
      fail(op, SG_HISTORY_UNAVAILABLE);
      return;
    }
    op->trail[op->n_trail++] = up;
  }
  const char *ids[SG_HISTORY_REPORTS_MAX];
  size_t n_ids = report_ids(op, ids, SG_HISTORY_REPORTS_MAX);
  const char *argv[4 + 1 + SG_HISTORY_REPORTS_MAX];
  int argc = 0;
  argv[argc++] = "EVALSHA";
  argv[argc++] = op->history->sha;
  argv[argc++] = "1";
  argv[argc++] = op->history->k_reports;
  argv[argc++] = op->history->report_prefix;
  for (size_t i = 0; i < n_ids; i++)
    argv[argc++] = ids[i];
  if (sg_redis_command(op->history->redis, on_reports, op, argc, argv, NULL) != 0)
    fail(op, SG_HISTORY_UNAVAILABLE);
}

int sg_history_read(sg_history *h, const char *id, sg_history_cb cb, void *data) {
  char key[SG_KEY_MAX], count[16];
  if (!sg_key_id_valid(id))
    return SG_EINVAL;
  int n = snprintf(key, sizeof(key), "%s%s", h->audit_prefix, id);
  if (n < 0 || n >= (int)sizeof(key))
    return SG_EINVAL;
  history_op *op = calloc(1, sizeof(*op));
  if (op == NULL)
    return SG_ENOMEM;
  op->history = h;
  op->cb = cb;
  op->data = data;
  snprintf(op->id, sizeof(op->id), "%s", id);
  snprintf(count, sizeof(count), "%d", SG_HISTORY_UPDATES_MAX + 1);
  const char *argv[] = {"XRANGE", key, "-", "+", "COUNT", count};
  int rc = sg_redis_command(h->redis, on_trail, op, 6, argv, NULL);
  if (rc != 0)
    free(op);
  return rc;
}
