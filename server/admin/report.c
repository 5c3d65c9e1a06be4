/* siaga-admin report: reads a period's contacts and incidents from Redis
 * and tallies them (report.h says what each number means).
 *
 * Three reads, each pipelined in batches so a year of a city takes round
 * trips by the thousand, not by the million:
 *  - every incident hash (SCAN), kept as a small summary: its category,
 *    priority, the kecamatan its address names, merged_into, step times;
 *  - the audit trail of each incident opened in the period and taken in
 *    hand, up to its first update out of OPEN: the first acknowledgement
 *    (the incident's own acknowledgedAtMs is the current handler's, which a
 *    take-over moves);
 *  - the reports stream between the period's bounds (its entry ids are the
 *    arrival times), with each report's incident from the report index.
 * The reports stream keeps about a million reports: a period older than
 * that has lost its contacts but keeps its incidents. */
#include "admin/report.h"

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/error.h"
#include "siaga/v1/siaga.pb-c.h"
#include "store/keys.h"
#include "text/textscan.h"

#define BATCH 500        /* commands per pipelined round trip */
#define AUDIT_PAGE 100   /* trail entries per XRANGE */
#define AUDIT_PAGES 1000 /* at most 100,000 entries read for one incident */
#define MERGE_HOPS 8     /* merged_into chains followed at most this far */
#define UNKNOWN "unknown"

/* What the report needs of one incident. */
typedef struct summary {
  char id[SG_KEY_ID_MAX + 1];
  char merged_into[SG_KEY_ID_MAX + 1];
  char category[24];
  char kecamatan[40];
  int priority; /* 1..4, 0 unknown */
  int status;
  long long created, ack, step[SG_REPORT_STEPS]; /* 0 = not (yet) */
  long long cleared;
} summary;

typedef struct reader {
  sg_admin *a;
  sg_report *r;
  sg_textscan_gazetteer *gaz;
  sg_textscan_result *scan; /* one, reused: it is large */
  summary *inc;             /* sorted by id */
  size_t n_inc, cap_inc;
  char **prank; /* sorted numbers of siaga:{R}:prank */
  size_t n_prank;
} reader;

static int by_id(const void *a, const void *b) {
  return strcmp(((const summary *)a)->id, ((const summary *)b)->id);
}

static int by_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static const summary *find_incident(const reader *rd, const char *id) {
  summary key;
  if (rd->n_inc == 0)
    return NULL;
  snprintf(key.id, sizeof(key.id), "%s", id);
  return bsearch(&key, rd->inc, rd->n_inc, sizeof(summary), by_id);
}

static void redis_error(sg_admin *a, redisReply *r) {
  fprintf(stderr, "siaga-admin: Redis: %s\n",
          r == NULL                      ? a->c->errstr
          : r->type == REDIS_REPLY_ERROR ? r->str
                                         : "unexpected answer");
}

/* The kecamatan the text names, through the gazetteer; "" for none. */
static void kecamatan_of(reader *rd, const char *text, char out[40]) {
  out[0] = '\0';
  if (rd->gaz == NULL || text == NULL || text[0] == '\0')
    return;
  sg_textscan_scan(rd->gaz, text, strlen(text), rd->scan);
  snprintf(out, 40, "%s", rd->scan->kecamatan);
}

static void summarise(reader *rd, const Siaga__V1__Incident *inc, summary *s) {
  memset(s, 0, sizeof(*s));
  snprintf(s->id, sizeof(s->id), "%s", inc->id);
  snprintf(s->merged_into, sizeof(s->merged_into), "%s", inc->merged_into);
  snprintf(s->category, sizeof(s->category), "%s", inc->category[0] ? inc->category : UNKNOWN);
  s->priority = inc->priority >= 1 && inc->priority <= 4 ? (int)inc->priority : 0;
  s->status = (int)inc->status;
  s->created = inc->created_at_ms;
  s->ack = inc->acknowledged_at_ms;
  const Siaga__V1__StepTimes *t = inc->times;
  if (t != NULL) {
    if (t->created_at_ms > 0)
      s->created = t->created_at_ms;
    if (t->acknowledged_at_ms > 0 && (s->ack == 0 || t->acknowledged_at_ms < s->ack))
      s->ack = t->acknowledged_at_ms;
    s->step[SG_REPORT_ASSIGN] = t->assigned_at_ms;
    s->step[SG_REPORT_ACCEPT] = t->accepted_at_ms;
    s->step[SG_REPORT_EN_ROUTE] = t->en_route_at_ms;
    s->step[SG_REPORT_ARRIVE] = t->on_scene_at_ms;
    s->cleared = t->cleared_at_ms;
  }
  if (inc->location != NULL)
    kecamatan_of(rd, inc->location->address, s->kecamatan);
  if (s->kecamatan[0] == '\0')
    kecamatan_of(rd, inc->summary, s->kecamatan);
}

/* Sends n commands, then reads their n replies into replies[] (the caller
 * frees them). -1 with a message if the connection failed. */
static int pipeline(sg_admin *a, size_t n, const char **argv[], const size_t *argc,
                    redisReply **replies) {
  for (size_t i = 0; i < n; i++)
    if (redisAppendCommandArgv(a->c, (int)argc[i], argv[i], NULL) != REDIS_OK)
      return redis_error(a, NULL), -1;
  for (size_t i = 0; i < n; i++) {
    void *reply = NULL;
    if (redisGetReply(a->c, &reply) != REDIS_OK) {
      for (size_t j = 0; j < i; j++)
        freeReplyObject(replies[j]);
      return redis_error(a, NULL), -1;
    }
    replies[i] = reply;
  }
  return 0;
}

/* HGET pb of keys[0..n), decoded into summaries. */
static int read_incidents(reader *rd, char **keys, size_t n) {
  const char **argv[BATCH];
  const char *args[BATCH][3];
  size_t argc[BATCH] = {0}; /* all set before use; gcc -O2 cannot see it */
  redisReply *replies[BATCH];
  for (size_t i = 0; i < n; i++) {
    args[i][0] = "HGET", args[i][1] = keys[i], args[i][2] = "pb";
    argv[i] = args[i], argc[i] = 3;
  }
  if (pipeline(rd->a, n, argv, argc, replies) != 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    redisReply *r = replies[i];
    Siaga__V1__Incident *inc =
        r->type == REDIS_REPLY_STRING
            ? siaga__v1__incident__unpack(NULL, r->len, (const uint8_t *)r->str)
            : NULL;
    if (inc != NULL && sg_key_id_valid(inc->id)) {
      if (rd->n_inc == rd->cap_inc) {
        size_t cap = rd->cap_inc ? rd->cap_inc * 2 : 1024;
        summary *grown = realloc(rd->inc, cap * sizeof(summary));
        if (grown == NULL)
          rc = -1;
        else
          rd->inc = grown, rd->cap_inc = cap;
      }
      if (rd->n_inc < rd->cap_inc)
        summarise(rd, inc, &rd->inc[rd->n_inc++]);
    } else if (r->type == REDIS_REPLY_STRING) {
      fprintf(stderr, "siaga-admin: %s does not decode; left out\n", keys[i]);
    }
    siaga__v1__incident__free_unpacked(inc, NULL);
    freeReplyObject(r);
  }
  if (rc != 0)
    fprintf(stderr, "siaga-admin: out of memory\n");
  return rc;
}

/* Every incident of the region: SCAN for the hashes siaga:{R}:incident:<id>
 * (not :<id>:phones and the like), then their protobufs. */
static int load_incidents(reader *rd) {
  char prefix[SG_KEY_MAX], match[SG_KEY_MAX + 2];
  if (sg_key2(prefix, sizeof(prefix), rd->a->region, "incident", "") < 0)
    return -1;
  snprintf(match, sizeof(match), "%s*", prefix);
  size_t plen = strlen(prefix);
  char cursor[32] = "0";
  char *keys[BATCH];
  size_t n = 0;
  int rc = 0;
  do {
    redisReply *r = redisCommand(rd->a->c, "SCAN %s MATCH %s COUNT 1000 TYPE hash", cursor, match);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
      redis_error(rd->a, r);
      freeReplyObject(r);
      rc = -1;
      break;
    }
    snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
    redisReply *list = r->element[1];
    for (size_t i = 0; i < list->elements && rc == 0; i++) {
      const char *k = list->element[i]->str;
      if (k == NULL || strlen(k) <= plen || strchr(k + plen, ':') != NULL)
        continue;
      if ((keys[n] = strdup(k)) == NULL) {
        rc = -1;
        break;
      }
      if (++n == BATCH) {
        rc = read_incidents(rd, keys, n);
        while (n > 0)
          free(keys[--n]);
      }
    }
    freeReplyObject(r);
  } while (rc == 0 && strcmp(cursor, "0") != 0);
  if (rc == 0 && n > 0)
    rc = read_incidents(rd, keys, n);
  while (n > 0)
    free(keys[--n]);
  if (rd->n_inc > 1)
    qsort(rd->inc, rd->n_inc, sizeof(summary), by_id);
  return rc;
}

/* The time of the first update of the incident's trail that shows it out
 * of OPEN (acknowledged, or moved on by a dispatcher at once); 0 if none. */
static long long first_acknowledged(reader *rd, const char *id) {
  char key[SG_KEY_MAX], start[64] = "-";
  if (sg_key2(key, sizeof(key), rd->a->region, "audit", id) < 0)
    return 0;
  long long at = 0;
  for (int page = 0; page < AUDIT_PAGES && at == 0; page++) {
    redisReply *r = redisCommand(rd->a->c, "XRANGE %s %s + COUNT %d", key, start, AUDIT_PAGE);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
      redis_error(rd->a, r);
      freeReplyObject(r);
      return 0;
    }
    size_t n = r->elements;
    for (size_t i = 0; i < n && at == 0; i++) {
      redisReply *e = r->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->elements < 2)
        continue;
      snprintf(start, sizeof(start), "(%s", e->element[0]->str);
      redisReply *f = e->element[1];
      for (size_t j = 0; j + 1 < f->elements; j += 2) {
        if (strcmp(f->element[j]->str, "u") != 0)
          continue;
        Siaga__V1__IncidentUpdate *u = siaga__v1__incident_update__unpack(
            NULL, f->element[j + 1]->len, (const uint8_t *)f->element[j + 1]->str);
        if (u != NULL && u->incident != NULL &&
            (u->incident->status > SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN ||
             u->incident->acknowledged_at_ms > 0))
          at = u->at_ms > 0 ? u->at_ms : u->incident->acknowledged_at_ms;
        siaga__v1__incident_update__free_unpacked(u, NULL);
      }
    }
    freeReplyObject(r);
    if (n < AUDIT_PAGE)
      break;
  }
  return at;
}

static int add_duration(sg_report_durations *d, long long ms) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    long long *grown = realloc(d->ms, cap * sizeof(long long));
    if (grown == NULL)
      return -1;
    d->ms = grown, d->cap = cap;
  }
  d->ms[d->n++] = ms;
  return 0;
}

/* The response times of the incidents opened in the period. A merged-away
 * incident is a duplicate of the one it joined: its times are not counted. */
static int tally_incidents(reader *rd) {
  sg_report *r = rd->r;
  for (size_t i = 0; i < rd->n_inc; i++) {
    summary *s = &rd->inc[i];
    if (s->created < r->from_ms || s->created >= r->to_ms || s->merged_into[0] != '\0')
      continue;
    if (s->status > SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_OPEN || s->ack > 0) {
      long long first = first_acknowledged(rd, s->id);
      if (first > 0 && (s->ack == 0 || first < s->ack))
        s->ack = first;
    }
    s->step[SG_REPORT_ACKNOWLEDGE] = s->ack;
    long long d[SG_REPORT_STEPS];
    for (int k = 0; k < SG_REPORT_STEPS; k++)
      d[k] = s->step[k] >= s->created && s->step[k] > 0 ? s->step[k] - s->created : -1;
    d[SG_REPORT_ON_SCENE] = s->step[SG_REPORT_ARRIVE] > 0 && s->cleared >= s->step[SG_REPORT_ARRIVE]
                                ? s->cleared - s->step[SG_REPORT_ARRIVE]
                                : -1;
    int rows[2] = {s->priority - 1, SG_REPORT_PRIORITIES - 1};
    for (int p = s->priority > 0 ? 0 : 1; p < 2; p++) {
      r->incidents[rows[p]]++;
      for (int k = 0; k < SG_REPORT_STEPS; k++)
        if (d[k] >= 0 && add_duration(&r->times[rows[p]][k], d[k]) != 0)
          return fprintf(stderr, "siaga-admin: out of memory\n"), -1;
    }
  }
  return 0;
}

static int load_pranks(reader *rd) {
  char key[SG_KEY_MAX];
  if (sg_key(key, sizeof(key), rd->a->region, "prank") < 0)
    return -1;
  redisReply *r = redisCommand(rd->a->c, "SMEMBERS %s", key);
  if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
    redis_error(rd->a, r);
    freeReplyObject(r);
    return -1;
  }
  rd->prank = calloc(r->elements + 1, sizeof(char *));
  for (size_t i = 0; rd->prank != NULL && i < r->elements; i++)
    if (r->element[i]->str != NULL && (rd->prank[rd->n_prank] = strdup(r->element[i]->str)))
      rd->n_prank++;
  freeReplyObject(r);
  if (rd->prank == NULL)
    return -1;
  if (rd->n_prank > 1)
    qsort(rd->prank, rd->n_prank, sizeof(char *), by_str);
  return 0;
}

static sg_report_row *row_for(sg_report *r, const char *channel, const char *category) {
  for (size_t i = 0; i < r->n_rows; i++)
    if (strcmp(r->rows[i].channel, channel) == 0 && strcmp(r->rows[i].category, category) == 0)
      return &r->rows[i];
  sg_report_row *grown = realloc(r->rows, (r->n_rows + 1) * sizeof(*grown));
  if (grown == NULL)
    return NULL;
  r->rows = grown;
  sg_report_row *row = &r->rows[r->n_rows++];
  memset(row, 0, sizeof(*row));
  snprintf(row->channel, sizeof(row->channel), "%s", channel);
  snprintf(row->category, sizeof(row->category), "%s", category);
  return row;
}

static sg_report_place *place_for(sg_report *r, const char *kecamatan) {
  for (size_t i = 0; i < r->n_places; i++)
    if (strcmp(r->places[i].kecamatan, kecamatan) == 0)
      return &r->places[i];
  sg_report_place *grown = realloc(r->places, (r->n_places + 1) * sizeof(*grown));
  if (grown == NULL)
    return NULL;
  r->places = grown;
  sg_report_place *p = &r->places[r->n_places++];
  memset(p, 0, sizeof(*p));
  snprintf(p->kecamatan, sizeof(p->kecamatan), "%s", kecamatan);
  return p;
}

static const char *channel_name(Siaga__V1__Channel c) {
  switch (c) {
  case SIAGA__V1__CHANNEL__CHANNEL_APP:
    return "app";
  case SIAGA__V1__CHANNEL__CHANNEL_SMS:
    return "sms";
  case SIAGA__V1__CHANNEL__CHANNEL_AML:
    return "aml";
  default:
    return "other";
  }
}

/* One contact: its class, its row, its place and hour. incident_id is the
 * report index's ("" before triage). */
static int tally_contact(reader *rd, const Siaga__V1__Report *rep, long long arrived_ms,
                         const char *incident_id) {
  const summary *s = incident_id[0] ? find_incident(rd, incident_id) : NULL;
  for (int hop = 0; s != NULL && s->merged_into[0] && hop < MERGE_HOPS; hop++) {
    const summary *next = find_incident(rd, s->merged_into);
    if (next == NULL)
      break;
    s = next;
  }
  const char *category = s != NULL ? s->category : rep->category[0] ? rep->category : UNKNOWN;
  sg_report_class cls =
      strcmp(category, "nonemergency") == 0 ? SG_REPORT_NONEMERGENCY : SG_REPORT_EMERGENCY;
  for (size_t i = 0; i < rep->n_flags; i++)
    if (strcmp(rep->flags[i], "prank_history") == 0)
      cls = SG_REPORT_PRANK;
  const char *phone = rep->reporter != NULL ? rep->reporter->phone : "";
  if (phone[0] != '\0' && bsearch(&phone, rd->prank, rd->n_prank, sizeof(char *), by_str))
    cls = SG_REPORT_PRANK;

  char kec[40] = "";
  if (rep->location != NULL)
    kecamatan_of(rd, rep->location->address, kec);
  if (kec[0] == '\0')
    kecamatan_of(rd, rep->description, kec);
  if (kec[0] == '\0' && s != NULL)
    snprintf(kec, sizeof(kec), "%s", s->kecamatan);
  long long at = rep->received_at_ms > 0 ? rep->received_at_ms : arrived_ms;
  int hour = (int)(((at + SG_REPORT_TZ_OFFSET_MS) / 3600000) % 24);

  sg_report_row *row = row_for(rd->r, channel_name(rep->channel), category);
  sg_report_place *place = place_for(rd->r, kec[0] ? kec : UNKNOWN);
  if (row == NULL || place == NULL)
    return fprintf(stderr, "siaga-admin: out of memory\n"), -1;
  row->n[cls]++;
  place->hour[hour]++;
  rd->r->contacts++;
  return 0;
}

/* One page of the reports stream: decode each, ask the report index for
 * its incident (one pipeline), tally. */
static int tally_page(reader *rd, redisReply *page) {
  size_t n = page->elements;
  Siaga__V1__Report *reps[BATCH] = {0};
  long long arrived[BATCH];
  char keys[BATCH][SG_KEY_MAX];
  const char *args[BATCH][3];
  const char **argv[BATCH];
  size_t argc[BATCH] = {0}, m = 0, which[BATCH]; /* gcc -O2 cannot see argc is set */
  for (size_t i = 0; i < n && i < BATCH; i++) {
    redisReply *e = page->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[1]->type != REDIS_REPLY_ARRAY)
      continue;
    arrived[i] = atoll(e->element[0]->str);
    redisReply *f = e->element[1];
    for (size_t j = 0; j + 1 < f->elements; j += 2)
      if (strcmp(f->element[j]->str, "r") == 0 && reps[i] == NULL)
        reps[i] = siaga__v1__report__unpack(NULL, f->element[j + 1]->len,
                                            (const uint8_t *)f->element[j + 1]->str);
    if (reps[i] == NULL || !sg_key_id_valid(reps[i]->id) ||
        sg_key2(keys[m], SG_KEY_MAX, rd->a->region, "report", reps[i]->id) < 0)
      continue;
    args[m][0] = "HGET", args[m][1] = keys[m], args[m][2] = "incident";
    argv[m] = args[m], argc[m] = 3, which[m++] = i;
  }
  redisReply *replies[BATCH];
  int rc = pipeline(rd->a, m, argv, argc, replies);
  int have_replies = rc == 0;
  for (size_t k = 0; have_replies && k < m; k++) {
    redisReply *x = replies[k];
    if (rc == 0)
      rc = tally_contact(rd, reps[which[k]], arrived[which[k]],
                         x->type == REDIS_REPLY_STRING ? x->str : "");
    freeReplyObject(x);
  }
  for (size_t i = 0; i < n && i < BATCH; i++)
    siaga__v1__report__free_unpacked(reps[i], NULL);
  return rc;
}

static int tally_reports(reader *rd) {
  char key[SG_KEY_MAX], start[64], end[32];
  if (sg_key(key, sizeof(key), rd->a->region, SG_KEY_REPORTS) < 0)
    return -1;
  snprintf(start, sizeof(start), "%lld", rd->r->from_ms);
  snprintf(end, sizeof(end), "%lld", rd->r->to_ms - 1);
  for (;;) {
    redisReply *r = redisCommand(rd->a->c, "XRANGE %s %s %s COUNT %d", key, start, end, BATCH);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
      redis_error(rd->a, r);
      freeReplyObject(r);
      return -1;
    }
    size_t n = r->elements;
    if (n > 0 && r->element[n - 1]->type == REDIS_REPLY_ARRAY)
      snprintf(start, sizeof(start), "(%s", r->element[n - 1]->element[0]->str);
    int rc = tally_page(rd, r);
    freeReplyObject(r);
    if (rc != 0)
      return rc;
    if (n < BATCH)
      return 0;
  }
}

int sg_report_day_start(const char *date, long long *ms) {
  if (date == NULL || strlen(date) != 10)
    return SG_EINVAL;
  for (int i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? date[i] != '-' : date[i] < '0' || date[i] > '9')
      return SG_EINVAL;
  int y = atoi(date), m = atoi(date + 5), d = atoi(date + 8);
  if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1)
    return SG_EINVAL;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[m - 1] + (m == 2 && leap))
    return SG_EINVAL;
  /* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
   * days_from_civil), so no time zone database is consulted. */
  int yy = m <= 2 ? y - 1 : y;
  int era = yy / 400, yoe = yy - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long days = (long long)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
  *ms = days * 86400000LL - SG_REPORT_TZ_OFFSET_MS;
  return 0;
}

static void reader_free(reader *rd) {
  free(rd->inc);
  for (size_t i = 0; i < rd->n_prank; i++)
    free(rd->prank[i]);
  free(rd->prank);
  free(rd->scan);
  sg_textscan_gazetteer_destroy(rd->gaz);
}

int sg_admin_report_command(sg_admin *a, int argc, char **argv) {
  const char *from = NULL, *to = NULL, *dir = ".";
  for (int i = 0; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--from") == 0)
      from = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--to") == 0)
      to = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
      dir = argv[++i];
    else
      return 2;
  }
  sg_report r = {0};
  long long last_day;
  if (from == NULL || to == NULL || sg_report_day_start(from, &r.from_ms) != 0 ||
      sg_report_day_start(to, &last_day) != 0 || last_day < r.from_ms) {
    fprintf(stderr, "siaga-admin: report needs --from and --to as YYYY-MM-DD, from <= to\n");
    return 1;
  }
  r.to_ms = last_day + 86400000LL;
  snprintf(r.from, sizeof(r.from), "%s", from);
  snprintf(r.to, sizeof(r.to), "%s", to);

  reader rd = {.a = a, .r = &r};
  const sg_embedded_file *g = sg_embedded_find("palangka-raya.tsv");
  int bad_line = 0;
  if (g == NULL || (rd.scan = malloc(sizeof(*rd.scan))) == NULL ||
      sg_textscan_gazetteer_load_buffer((const char *)g->data, g->size, &rd.gaz, &bad_line) != 0) {
    fprintf(stderr, "siaga-admin: the built-in gazetteer does not load (line %d)\n", bad_line);
    reader_free(&rd);
    return 1;
  }
  int rc = load_incidents(&rd) == 0 && load_pranks(&rd) == 0 && tally_incidents(&rd) == 0 &&
                   tally_reports(&rd) == 0
               ? 0
               : 1;
  reader_free(&rd);
  if (rc == 0) {
    sg_report_finish(&r);
    rc = sg_report_write(&r, dir, stdout) == 0 ? 0 : 1;
  }
  sg_report_free(&r);
  return rc;
}
