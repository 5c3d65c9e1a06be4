/* The EIDO of one incident (eido.h). Two reads, the incident then its
 * history; the incident is kept packed between them because the store's
 * answer is valid only during its callback. */
#include "api/eido.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/utf8.h"
#include "store/keys.h"

#define SYSTEM "siaga"         /* the element that issues the documents */
#define TZ_OFFSET_S (7 * 3600) /* timestamps in WIB, the centre's zone */
#define DEPTH_MAX 16
#define AGENTS_MAX 160 /* handler, 20 assignments, 100 notes, 2 overrides, merges */

/* ---- a JSON writer: commas and escapes in one place ---- */

typedef struct writer {
  FILE *f;
  int count[DEPTH_MAX]; /* members written at each open level */
  int depth;
  int after_key;
} writer;

static void sep(writer *w) {
  if (w->after_key)
    w->after_key = 0;
  else if (w->count[w->depth]++ > 0)
    fputc(',', w->f);
}

/* A JSON string of s; a byte that is not UTF-8 becomes U+FFFD. */
static void put_str(writer *w, const char *s) {
  size_t n = s != NULL ? strlen(s) : 0;
  sep(w);
  fputc('"', w->f);
  for (size_t i = 0; i < n;) {
    size_t k = sg_utf8_seq_len(s + i, n - i);
    unsigned char c = (unsigned char)s[i];
    if (k == 0) {
      fputs("\xEF\xBF\xBD", w->f);
      i++;
      continue;
    }
    if (c == '"' || c == '\\')
      fprintf(w->f, "\\%c", c);
    else if (c < 0x20)
      fprintf(w->f, "\\u%04x", c);
    else
      fwrite(s + i, 1, k, w->f);
    i += k;
  }
  fputc('"', w->f);
}

static void key(writer *w, const char *k) {
  put_str(w, k);
  fputc(':', w->f);
  w->after_key = 1;
}

static void begin(writer *w, char c) {
  sep(w);
  fputc(c, w->f);
  if (w->depth + 1 < DEPTH_MAX)
    w->count[++w->depth] = 0;
}

static void end(writer *w, char c) {
  fputc(c, w->f);
  if (w->depth > 0)
    w->depth--;
}

static void kv(writer *w, const char *k, const char *v) {
  if (v == NULL || v[0] == '\0')
    return;
  key(w, k);
  put_str(w, v);
}

/* A NENA timestamp (NENA-STA-010.3 2.3), in WIB: 2026-12-04T10:00:00.123+07:00. */
static void kv_time(writer *w, const char *k, long long ms) {
  if (ms <= 0)
    return;
  char buf[80];
  time_t t = (time_t)(ms / 1000) + TZ_OFFSET_S;
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d+07:00", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
  kv(w, k, buf);
}

/* "k":[{"$ref":"prefix<id>"}] */
static void refs(writer *w, const char *k, const char *prefix, const char *const *ids, size_t n) {
  if (n == 0)
    return;
  key(w, k);
  begin(w, '[');
  for (size_t i = 0; i < n; i++) {
    char ref[160];
    snprintf(ref, sizeof(ref), "%s%s", prefix, ids[i]);
    begin(w, '{');
    kv(w, "$ref", ref);
    end(w, '}');
  }
  end(w, ']');
}

static void ref_one(writer *w, const char *k, const char *prefix, const char *id) {
  if (id == NULL || id[0] == '\0')
    return;
  char ref[160];
  snprintf(ref, sizeof(ref), "%s%s", prefix, id);
  key(w, k);
  begin(w, '{');
  kv(w, "$ref", ref);
  end(w, '}');
}

/* ---- the components ---- */

static const char *status_name(Siaga__V1__IncidentStatus s) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&siaga__v1__incident_status__descriptor, (int)s);
  return v != NULL ? v->name + strlen("INCIDENT_STATUS_") : "UNSPECIFIED";
}

static const char *assignment_state(Siaga__V1__AssignmentState s) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&siaga__v1__assignment_state__descriptor, (int)s);
  return v != NULL ? v->name + strlen("ASSIGNMENT_STATE_") : "UNSPECIFIED";
}

static const char *channel_name(Siaga__V1__Channel c) {
  return c == SIAGA__V1__CHANNEL__CHANNEL_APP   ? "app"
         : c == SIAGA__V1__CHANNEL__CHANNEL_SMS ? "sms"
         : c == SIAGA__V1__CHANNEL__CHANNEL_AML ? "aml"
                                                : "other";
}

static int has_place(const Siaga__V1__Location *l) {
  return l != NULL && (l->lat != 0 || l->lon != 0 || (l->address && l->address[0]));
}

/* A PIDF-LO presence document (RFC 4119, RFC 5491): a point, or a circle
 * when the accuracy is known. Numbers only: no text of the store gets in. */
static void pidf_lo(writer *w, const char *entity, const Siaga__V1__Location *l) {
  char doc[1024], shape[400];
  if (l->accuracy_m > 0)
    snprintf(shape, sizeof(shape),
             "<gs:Circle srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>%.6f %.6f</gml:pos>"
             "<gs:radius uom=\"urn:ogc:def:uom:EPSG::9001\">%.0f</gs:radius></gs:Circle>",
             l->lat, l->lon, l->accuracy_m);
  else
    snprintf(shape, sizeof(shape),
             "<gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>%.6f %.6f</gml:pos>"
             "</gml:Point>",
             l->lat, l->lon);
  snprintf(doc, sizeof(doc),
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?><presence "
           "xmlns=\"urn:ietf:params:xml:ns:pidf\" "
           "xmlns:gp=\"urn:ietf:params:xml:ns:pidf:geopriv10\" "
           "xmlns:gml=\"http://www.opengis.net/gml\" "
           "xmlns:gs=\"http://www.opengis.net/pidflo/1.0\" entity=\"pres:%s@" SYSTEM
           "\"><tuple id=\"location\"><status><gp:geopriv><gp:location-info>%s"
           "</gp:location-info><gp:usage-rules/></gp:geopriv></status></tuple></presence>",
           entity, shape);
  kv(w, "locationByValue", doc);
}

static void location(writer *w, const char *id, const char *type, const Siaga__V1__Location *l,
                     long long at_ms) {
  char lid[96];
  snprintf(lid, sizeof(lid), "location:%s", id);
  begin(w, '{');
  kv(w, "$id", lid);
  kv_time(w, "lastUpdateTimestamp", at_ms);
  kv(w, "locationTypeDescriptionRegistryText", type);
  if (l->lat != 0 || l->lon != 0)
    pidf_lo(w, id, l);
  kv(w, "locationDescriptionText", l->address);
  end(w, '}');
}

/* Every account that acted on the incident, once each, in first-seen order. */
static size_t agents_of(const Siaga__V1__Incident *inc, const char **out) {
  const char *cand[AGENTS_MAX];
  size_t nc = 0, n = 0;
  cand[nc++] = inc->handler;
  for (size_t i = 0; i < inc->n_assignments && nc < AGENTS_MAX; i++)
    cand[nc++] = inc->assignments[i]->by;
  for (size_t i = 0; i < inc->n_notes && nc < AGENTS_MAX; i++)
    cand[nc++] = inc->notes[i]->author;
  if (inc->priority_override != NULL && nc < AGENTS_MAX)
    cand[nc++] = inc->priority_override->by;
  if (inc->category_override != NULL && nc < AGENTS_MAX)
    cand[nc++] = inc->category_override->by;
  for (size_t i = 0; i < inc->n_merged && nc < AGENTS_MAX; i++)
    cand[nc++] = inc->merged[i]->by;
  for (size_t i = 0; i < nc; i++) {
    int seen = cand[i] == NULL || cand[i][0] == '\0';
    for (size_t j = 0; j < n && !seen; j++)
      seen = strcmp(out[j], cand[i]) == 0;
    if (!seen)
      out[n++] = cand[i];
  }
  return n;
}

/* A caller: one per distinct number (or name, for an app report with no
 * number), in the order they first reported. */
static const char *caller_key(const Siaga__V1__Report *r) {
  if (r->reporter == NULL)
    return NULL;
  if (r->reporter->phone != NULL && r->reporter->phone[0] != '\0')
    return r->reporter->phone;
  return r->reporter->name != NULL && r->reporter->name[0] != '\0' ? r->reporter->name : NULL;
}

/* callers->person[i] is the 1-based caller of report i (0: none). */
typedef struct callers {
  const char *incident_id; /* persons are "person:<incident>:<n>" */
  const char *key[SG_HISTORY_REPORTS_MAX];
  size_t n;
  size_t person[SG_HISTORY_REPORTS_MAX];
} callers;

static void find_callers(const Siaga__V1__IncidentHistory *h, callers *c) {
  c->n = 0;
  for (size_t i = 0; h != NULL && i < h->n_reports && i < SG_HISTORY_REPORTS_MAX; i++) {
    const char *k = caller_key(h->reports[i]);
    size_t p = 0;
    for (size_t j = 0; k != NULL && j < c->n && p == 0; j++)
      if (strcmp(c->key[j], k) == 0)
        p = j + 1;
    if (k != NULL && p == 0) {
      c->key[c->n++] = k;
      p = c->n;
    }
    c->person[i] = p;
  }
}

static void call_id(char *buf, size_t size, const char *report_id) {
  snprintf(buf, size, "urn:emergency:uid:callid:%s:" SYSTEM, report_id);
}

static size_t n_reports(const Siaga__V1__IncidentHistory *h) {
  return h == NULL                               ? 0
         : h->n_reports < SG_HISTORY_REPORTS_MAX ? h->n_reports
                                                 : SG_HISTORY_REPORTS_MAX;
}

static void calls(writer *w, const Siaga__V1__IncidentHistory *h, const callers *c) {
  key(w, "callComponent");
  begin(w, '[');
  for (size_t i = 0; i < n_reports(h); i++) {
    const Siaga__V1__Report *r = h->reports[i];
    char cid[128], pid[96];
    call_id(cid, sizeof(cid), r->id);
    begin(w, '{');
    kv(w, "$id", cid);
    kv_time(w, "lastUpdateTimestamp", r->received_at_ms);
    kv(w, "localCallType", channel_name(r->channel));
    kv(w, "direction", "incoming");
    kv_time(w, "callStartTimestamp", r->received_at_ms);
    if (c->person[i] > 0) {
      snprintf(pid, sizeof(pid), "%s:%zu", c->incident_id, c->person[i]);
      const char *p[] = {pid};
      refs(w, "personReference", "person:", p, 1);
    }
    if (has_place(r->location)) {
      const char *l[] = {r->id};
      refs(w, "locationReference", "location:", l, 1);
    }
    end(w, '}');
  }
  end(w, ']');
}

static void persons(writer *w, const Siaga__V1__IncidentHistory *h, const callers *c) {
  key(w, "personComponent");
  begin(w, '[');
  for (size_t p = 1; p <= c->n; p++) {
    char pid[96], cid[128];
    const char *name = NULL;
    snprintf(pid, sizeof(pid), "person:%s:%zu", c->incident_id, p);
    begin(w, '{');
    kv(w, "$id", pid);
    key(w, "personIncidentRoleRegistryText");
    begin(w, '[');
    put_str(w, "Caller");
    end(w, ']');
    key(w, "callIdentifier");
    begin(w, '[');
    for (size_t i = 0; i < n_reports(h); i++) {
      if (c->person[i] != p)
        continue;
      call_id(cid, sizeof(cid), h->reports[i]->id);
      put_str(w, cid);
      if (name == NULL || name[0] == '\0')
        name = h->reports[i]->reporter->name;
    }
    end(w, ']');
    if (name != NULL && name[0] != '\0') {
      key(w, "ncPersonComponent");
      begin(w, '{');
      key(w, "personName");
      begin(w, '{');
      kv(w, "personFullName", name);
      end(w, '}');
      end(w, '}');
    }
    end(w, '}');
  }
  end(w, ']');
}

static void agents(writer *w, const char *const *names, size_t n) {
  key(w, "agentComponent");
  begin(w, '[');
  for (size_t i = 0; i < n; i++) {
    char id[96], jcard[256];
    snprintf(id, sizeof(id), "agent:%s", names[i]);
    /* A jCard (RFC 7095) with the account's name; names are account
     * names (a-z 0-9 . _ -), checked when the account was made. */
    snprintf(jcard, sizeof(jcard),
             "[\"vcard\",[[\"version\",{},\"text\",\"4.0\"],[\"fn\",{},\"text\",\"%s\"]]]",
             strpbrk(names[i], "\"\\") == NULL ? names[i] : "?");
    begin(w, '{');
    kv(w, "$id", id);
    kv(w, "agentJcard", jcard);
    end(w, '}');
  }
  end(w, ']');
}

static void resources(writer *w, const Siaga__V1__Incident *inc) {
  key(w, "emergencyResourceComponent");
  begin(w, '[');
  for (size_t i = 0; i < inc->n_assignments; i++) {
    const Siaga__V1__Assignment *a = inc->assignments[i];
    char id[96];
    snprintf(id, sizeof(id), "resource:%s", a->id);
    begin(w, '{');
    kv(w, "$id", id);
    kv_time(w, "lastUpdateTimestamp", a->updated_at_ms);
    kv(w, "emergencyResourceName", a->unit_id);
    key(w, "unitStatusInternal");
    begin(w, '[');
    put_str(w, assignment_state(a->state));
    end(w, ']');
    const char *by[] = {a->by};
    refs(w, "agentReference", "agent:", by, a->by && a->by[0] ? 1 : 0);
    end(w, '}');
  }
  end(w, ']');
}

static void merges(writer *w, const Siaga__V1__Incident *inc) {
  if (inc->n_merged == 0 && (inc->merged_into == NULL || inc->merged_into[0] == '\0'))
    return;
  key(w, "mergeComponent");
  begin(w, '[');
  for (size_t i = 0; i <= inc->n_merged; i++) {
    const Siaga__V1__MergeRecord *m = i < inc->n_merged ? inc->merged[i] : NULL;
    const char *other = m != NULL ? m->incident_id : inc->merged_into;
    if (other == NULL || other[0] == '\0')
      continue;
    char id[96], tracking[128];
    snprintf(id, sizeof(id), "merge:%s", other);
    snprintf(tracking, sizeof(tracking), "urn:emergency:uid:incidentid:%s:" SYSTEM, other);
    begin(w, '{');
    kv(w, "$id", id);
    if (m != NULL)
      kv_time(w, "lastUpdateTimestamp", m->at_ms);
    if (m != NULL)
      ref_one(w, "updatedByAgentReference", "agent:", m->by);
    kv(w, "incidentTrackingIdentifier", tracking);
    /* REPLACING: this incident carries on with the other merged in;
     * REPLACED: this one was merged into the other. */
    kv(w, "incidentMergeDirectionCode", m != NULL ? "REPLACING" : "REPLACED");
    end(w, '}');
  }
  end(w, ']');
}

static void incident(writer *w, const Siaga__V1__Incident *inc, const char *tracking,
                     const char *const *agent_names, size_t n_agents, size_t n_persons) {
  static const int common_priority[] = {0, 10, 7, 4, 1}; /* P1..P4 on NENA's 0..10 */
  key(w, "incidentComponent");
  begin(w, '{');
  kv(w, "$id", tracking);
  kv_time(w, "lastUpdateTimestamp", inc->updated_at_ms);
  ref_one(w, "updatedByAgentReference", "agent:", inc->handler);
  kv(w, "incidentTrackingIdentifier", tracking);
  kv(w, "internalIncidentId", inc->id);
  kv(w, "incidentTypeInternalCode", inc->category);
  kv(w, "incidentTypeInternalText", inc->summary);
  key(w, "incidentStatusInternalText");
  begin(w, '[');
  put_str(w, status_name(inc->status));
  end(w, ']');
  if (inc->priority >= 1 && inc->priority <= 4) {
    kv(w, "incidentPriorityInternalText",
       inc->priority == 1   ? "P1"
       : inc->priority == 2 ? "P2"
       : inc->priority == 3 ? "P3"
                            : "P4");
    key(w, "incidentCommonPriorityNumber");
    sep(w);
    fprintf(w->f, "%d", common_priority[inc->priority]);
  }
  const char *self[] = {inc->id};
  refs(w, "locationReference", "location:", self, has_place(inc->location) ? 1 : 0);
  char nums[SG_HISTORY_REPORTS_MAX][SG_KEY_ID_MAX + 16];
  const char *pids[SG_HISTORY_REPORTS_MAX];
  for (size_t i = 0; i < n_persons && i < SG_HISTORY_REPORTS_MAX; i++) {
    snprintf(nums[i], sizeof(nums[i]), "%s:%zu", inc->id, i + 1);
    pids[i] = nums[i];
  }
  refs(w, "personReference", "person:", pids, n_persons);
  refs(w, "agentReference", "agent:", agent_names, n_agents);
  end(w, '}');
}

int sg_eido_encode(const Siaga__V1__Incident *inc, const Siaga__V1__IncidentHistory *h, char **out,
                   size_t *len) {
  char *buf = NULL, tracking[128];
  size_t size = 0;
  writer w = {.f = open_memstream(&buf, &size)};
  if (w.f == NULL)
    return SG_ENOMEM;
  const char *names[AGENTS_MAX];
  size_t n_agents = agents_of(inc, names);
  callers *c = malloc(sizeof(*c));
  if (c == NULL) {
    fclose(w.f);
    free(buf);
    return SG_ENOMEM;
  }
  c->incident_id = inc->id;
  find_callers(h, c);
  snprintf(tracking, sizeof(tracking), "urn:emergency:uid:incidentid:%s:" SYSTEM, inc->id);

  begin(&w, '{');
  char doc_id[96];
  snprintf(doc_id, sizeof(doc_id), "eido:%s:%lld", inc->id, (long long)inc->version);
  kv(&w, "$id", doc_id);
  kv(&w, "eidoVersion", "1.0");
  kv_time(&w, "lastUpdateTimestamp", inc->updated_at_ms);
  kv(&w, "issuingElementIdentification", SYSTEM);
  merges(&w, inc);
  incident(&w, inc, tracking, names, n_agents, c->n);
  calls(&w, h, c);
  key(&w, "locationComponent");
  begin(&w, '[');
  if (has_place(inc->location))
    location(&w, inc->id, "CurrentIncident", inc->location, inc->updated_at_ms);
  for (size_t i = 0; i < n_reports(h); i++)
    if (has_place(h->reports[i]->location))
      location(&w, h->reports[i]->id, "Caller", h->reports[i]->location,
               h->reports[i]->received_at_ms);
  end(&w, ']');
  persons(&w, h, c);
  agents(&w, names, n_agents);
  resources(&w, inc);
  end(&w, '}');
  free(c);
  if (fclose(w.f) != 0) {
    free(buf);
    return SG_ENOMEM;
  }
  *out = buf;
  *len = size;
  return 0;
}

/* ---- the two reads ---- */

typedef struct eido_op {
  sg_history *history;
  sg_eido_cb cb;
  void *data;
  uint8_t *incident; /* packed, between the reads */
  size_t incident_len;
} eido_op;

static void finish(eido_op *op, sg_history_status status, const char *json, size_t len) {
  op->cb(op->data, status, json, len);
  free(op->incident);
  free(op);
}

static void on_history(void *data, sg_history_status status, const Siaga__V1__IncidentHistory *h) {
  eido_op *op = data;
  if (status == SG_HISTORY_UNAVAILABLE) {
    finish(op, status, NULL, 0);
    return;
  }
  Siaga__V1__Incident *inc = siaga__v1__incident__unpack(NULL, op->incident_len, op->incident);
  char *json = NULL;
  size_t len = 0;
  if (inc == NULL || sg_eido_encode(inc, status == SG_HISTORY_OK ? h : NULL, &json, &len) != 0)
    finish(op, SG_HISTORY_UNAVAILABLE, NULL, 0);
  else
    finish(op, SG_HISTORY_OK, json, len);
  free(json);
  siaga__v1__incident__free_unpacked(inc, NULL);
}

static void on_incident(void *data, sg_incidents_status status, const Siaga__V1__Incident *inc) {
  eido_op *op = data;
  if (status != SG_INCIDENTS_OK || inc == NULL) {
    finish(op, status == SG_INCIDENTS_UNAVAILABLE ? SG_HISTORY_UNAVAILABLE : SG_HISTORY_NOT_FOUND,
           NULL, 0);
    return;
  }
  op->incident_len = siaga__v1__incident__get_packed_size(inc);
  if ((op->incident = malloc(op->incident_len + 1)) == NULL) {
    finish(op, SG_HISTORY_UNAVAILABLE, NULL, 0);
    return;
  }
  siaga__v1__incident__pack(inc, op->incident);
  if (sg_history_read(op->history, inc->id, on_history, op) != 0)
    finish(op, SG_HISTORY_UNAVAILABLE, NULL, 0);
}

int sg_eido_read(sg_incidents *incidents, sg_history *history, const char *id, sg_eido_cb cb,
                 void *data) {
  eido_op *op = calloc(1, sizeof(*op));
  if (op == NULL)
    return SG_ENOMEM;
  *op = (eido_op){.history = history, .cb = cb, .data = data};
  int rc = sg_incidents_get(incidents, id, on_incident, op);
  if (rc != 0)
    free(op);
  return rc;
}
