/* siaga-admin unit ...: registering units (crews with a vehicle) and their
 * tokens. A unit's token is printed once and stored only as its SHA-256,
 * like a session's; each change is one unit_admin.lua call that also
 * appends a UNIT_CHANGED update, so open consoles see the unit at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "auth/bearer.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "core/utf8.h"
#include "dispatch/dispatch.h"
#include "dispatch/kinds.h"
#include "dispatch/unitstatus.h"
#include "store/keys.h"

#define UPDATES_MAXLEN "10000"

typedef struct unit_call {
  const char *op, *id;
  long long expected;
  const uint8_t *unit_pb, *update_pb;
  size_t unit_len, update_len;
  const char *new_digest, *old_digest, *phone;
} unit_call;

/* One unit_admin.lua call; *what gets its first answer word ("ok", ...),
 * *n its second element as a number. -1 with a message on a Redis error. */
static int unit_admin(sg_admin *a, const unit_call *u, char *what, size_t what_size, char *detail,
                      size_t detail_size) {
  char k[8][SG_KEY_MAX];
  const sg_embedded_file *f = sg_embedded_find("unit_admin.lua");
  int bad = f == NULL || sg_key2(k[0], SG_KEY_MAX, a->region, "unit", u->id) < 0 ||
            sg_key(k[1], SG_KEY_MAX, a->region, "units") < 0 ||
            sg_key2(k[5], SG_KEY_MAX, a->region, "unitaudit", u->id) < 0 ||
            sg_key(k[6], SG_KEY_MAX, a->region, SG_KEY_UPDATES) < 0 ||
            sg_key(k[7], SG_KEY_MAX, a->region, "auth:epoch") < 0;
  /* Keys a call does not use are the units set: the same slot. */
  memcpy(k[2], k[1], SG_KEY_MAX);
  memcpy(k[3], k[1], SG_KEY_MAX);
  memcpy(k[4], k[1], SG_KEY_MAX);
  if (u->new_digest[0] != '\0')
    bad = bad || sg_key2(k[2], SG_KEY_MAX, a->region, "unittoken", u->new_digest) < 0;
  if (u->old_digest[0] != '\0')
    bad = bad || sg_key2(k[3], SG_KEY_MAX, a->region, "unittoken", u->old_digest) < 0;
  if (u->phone[0] != '\0')
    bad = bad || sg_key2(k[4], SG_KEY_MAX, a->region, "unitphone", u->phone) < 0;
  if (bad) {
    fprintf(stderr, "siaga-admin: cannot build the keys\n");
    return -1;
  }
  char expected[24];
  snprintf(expected, sizeof(expected), "%lld", u->expected);
  const char *argv[] = {"EVAL",
                        (const char *)f->data,
                        "8",
                        k[0],
                        k[1],
                        k[2],
                        k[3],
                        k[4],
                        k[5],
                        k[6],
                        k[7],
                        u->op,
                        u->id,
                        expected,
                        (const char *)u->unit_pb,
                        (const char *)u->update_pb,
                        u->new_digest,
                        u->old_digest,
                        u->phone,
                        UPDATES_MAXLEN,
                        "siaga-admin"};
  size_t lens[21];
  /* The script and the protobufs by length (binary, not terminated). */
  for (int i = 0; i < 21; i++)
    if (i != 1 && i != 14 && i != 15)
      lens[i] = strlen(argv[i]);
  lens[1] = f->size;
  lens[14] = u->unit_pb != NULL ? u->unit_len : 0;
  lens[15] = u->update_pb != NULL ? u->update_len : 0;
  argv[14] = u->unit_pb != NULL ? argv[14] : "";
  argv[15] = u->update_pb != NULL ? argv[15] : "";
  redisReply *r = redisCommandArgv(a->c, 21, argv, lens);
  if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
      r->element[0]->type != REDIS_REPLY_STRING) {
    fprintf(stderr, "siaga-admin: Redis: %s\n",
            r == NULL                      ? a->c->errstr
            : r->type == REDIS_REPLY_ERROR ? r->str
                                           : "bad answer");
    freeReplyObject(r);
    return -1;
  }
  snprintf(what, what_size, "%s", r->element[0]->str);
  redisReply *e = r->element[1];
  if (e->type == REDIS_REPLY_INTEGER)
    snprintf(detail, detail_size, "%lld", e->integer);
  else
    snprintf(detail, detail_size, "%s", e->type == REDIS_REPLY_STRING ? e->str : "");
  freeReplyObject(r);
  return 0;
}

/* The unit's pb, version and token digest; NULL with a message if none. */
static Siaga__V1__Unit *unit_read(sg_admin *a, const char *id, long long *version,
                                  char digest[SG_DIGEST_LEN + 1]) {
  char key[SG_KEY_MAX];
  if (sg_key2(key, sizeof(key), a->region, "unit", id) < 0)
    return NULL;
  redisReply *r = redisCommand(a->c, "HMGET %s pb version token", key);
  Siaga__V1__Unit *u = NULL;
  if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
      r->element[0]->type == REDIS_REPLY_STRING) {
    u = siaga__v1__unit__unpack(NULL, r->element[0]->len, (const uint8_t *)r->element[0]->str);
    *version = r->element[1]->str != NULL ? atoll(r->element[1]->str) : 0;
    snprintf(digest, SG_DIGEST_LEN + 1, "%s", r->element[2]->str ? r->element[2]->str : "");
  }
  if (r == NULL)
    fprintf(stderr, "siaga-admin: Redis: %s\n", a->c->errstr);
  else if (u == NULL)
    fprintf(stderr, "siaga-admin: there is no unit %s\n", id);
  freeReplyObject(r);
  return u;
}

/* Packs unit and its UNIT_CHANGED update into *unit_pb / *update_pb
 * (malloc'd). -1 on out of memory. */
static int pack_unit(Siaga__V1__Unit *unit, uint8_t **unit_pb, size_t *unit_len,
                     uint8_t **update_pb, size_t *update_len) {
  Siaga__V1__IncidentUpdate up = SIAGA__V1__INCIDENT_UPDATE__INIT;
  up.kind = SIAGA__V1__UPDATE_KIND__UPDATE_KIND_UNIT_CHANGED;
  up.actor = "siaga-admin";
  up.at_ms = unit->updated_at_ms;
  up.unit = unit;
  *unit_len = siaga__v1__unit__get_packed_size(unit);
  *update_len = siaga__v1__incident_update__get_packed_size(&up);
  *unit_pb = malloc(*unit_len + 1);
  *update_pb = malloc(*update_len + 1);
  if (*unit_pb == NULL || *update_pb == NULL) {
    free(*unit_pb);
    free(*update_pb);
    return -1;
  }
  siaga__v1__unit__pack(unit, *unit_pb);
  siaga__v1__incident_update__pack(&up, *update_pb);
  return 0;
}

static int text_valid(const char *s, size_t max) {
  size_t n = strlen(s);
  return n >= 1 && n <= max && sg_utf8_valid(s, n) && strpbrk(s, "\t\r\n") == NULL;
}

static int unit_add(sg_admin *a, const char *id, int argc, char **argv) {
  const char *kind = NULL, *name = NULL, *phone = NULL, *station = NULL;
  for (int i = 0; i < argc; i++) {
    const char **slot = strcmp(argv[i], "--kind") == 0      ? &kind
                        : strcmp(argv[i], "--name") == 0    ? &name
                        : strcmp(argv[i], "--phone") == 0   ? &phone
                        : strcmp(argv[i], "--station") == 0 ? &station
                                                            : NULL;
    if (slot == NULL || i + 1 >= argc)
      return 2;
    *slot = argv[++i];
  }
  sg_kinds *kinds = NULL;
  int line;
  char list[512];
  if (sg_kinds_load(NULL, &kinds, &line) != 0) {
    fprintf(stderr, "siaga-admin: the built-in unit kinds do not load\n");
    return 1;
  }
  int kind_ok = kind != NULL && sg_kinds_known(kinds, kind);
  if (!kind_ok)
    fprintf(stderr, "siaga-admin: --kind is one of %s\n", sg_kinds_list(kinds, list, sizeof(list)));
  sg_kinds_destroy(kinds);
  if (!kind_ok)
    return 1;
  if (name == NULL || !text_valid(name, SG_DISPATCH_TEXT_MAX) || station == NULL ||
      !text_valid(station, SG_DISPATCH_TEXT_MAX)) {
    fprintf(stderr, "siaga-admin: --name and --station are 1..%d bytes of UTF-8\n",
            SG_DISPATCH_TEXT_MAX);
    return 1;
  }
  if (phone == NULL || !sg_dispatch_phone_valid(phone)) {
    fprintf(stderr, "siaga-admin: --phone is the crew's number as +62..., 8 to 15 digits\n");
    return 1;
  }
  char token[SG_BEARER_LEN + 1], digest[SG_DIGEST_LEN + 1];
  sg_bearer_new(token);
  sg_bearer_digest(token, SG_BEARER_LEN, digest);
  Siaga__V1__Unit u = SIAGA__V1__UNIT__INIT;
  u.id = (char *)id;
  u.name = (char *)name;
  u.kind = (char *)kind;
  u.station = (char *)station;
  u.phone = (char *)phone;
  u.status = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_AVAILABLE;
  u.version = 1;
  u.updated_at_ms = (int64_t)sg_clock_now_ms();
  unit_call c = {.op = "add", .id = id, .new_digest = digest, .old_digest = "", .phone = phone};
  uint8_t *upb, *dpb;
  if (pack_unit(&u, &upb, &c.unit_len, &dpb, &c.update_len) != 0)
    return 1;
  c.unit_pb = upb;
  c.update_pb = dpb;
  char what[32], detail[64];
  int rc = unit_admin(a, &c, what, sizeof(what), detail, sizeof(detail));
  free(upb);
  free(dpb);
  if (rc != 0)
    return 1;
  if (strcmp(what, "exists") == 0) {
    fprintf(stderr, "siaga-admin: the unit %s exists already\n", id);
    return 1;
  }
  if (strcmp(what, "phone_taken") == 0) {
    fprintf(stderr, "siaga-admin: %s is the phone of unit %s already\n", phone, detail);
    return 1;
  }
  printf("added %s (%s, %s)\ntoken: %s\n", id, kind, name, token);
  return 0;
}

/* disable, enable, token: read, change, compare-and-set, a few times if
 * the unit moves meanwhile. */
static int unit_change(sg_admin *a, const char *op, const char *id) {
  for (int attempt = 0; attempt < 5; attempt++) {
    long long version = 0;
    char old_digest[SG_DIGEST_LEN + 1];
    Siaga__V1__Unit *u = unit_read(a, id, &version, old_digest);
    if (u == NULL)
      return 1;
    char token[SG_BEARER_LEN + 1] = "", digest[SG_DIGEST_LEN + 1] = "";
    if (strcmp(op, "token") == 0) {
      sg_bearer_new(token);
      sg_bearer_digest(token, SG_BEARER_LEN, digest);
    }
    u->disabled = strcmp(op, "disable") == 0 ? 1 : strcmp(op, "enable") == 0 ? 0 : u->disabled;
    u->version = version + 1;
    u->updated_at_ms = (int64_t)sg_clock_now_ms();
    unit_call c = {.op = op,
                   .id = id,
                   .expected = version,
                   .new_digest = digest,
                   .old_digest = old_digest,
                   .phone = ""};
    uint8_t *upb = NULL, *dpb = NULL;
    int rc = pack_unit(u, &upb, &c.unit_len, &dpb, &c.update_len);
    siaga__v1__unit__free_unpacked(u, NULL);
    if (rc != 0)
      return 1;
    c.unit_pb = upb;
    c.update_pb = dpb;
    char what[32], detail[64];
    rc = unit_admin(a, &c, what, sizeof(what), detail, sizeof(detail));
    free(upb);
    free(dpb);
    if (rc != 0)
      return 1;
    if (strcmp(what, "ok") == 0) {
      if (token[0] != '\0')
        printf("new token of %s (the old one no longer works): %s\n", id, token);
      else
        printf("%sd %s%s\n", op, id, strcmp(op, "disable") == 0 ? "; its token is ended" : "");
      return 0;
    }
    if (strcmp(what, "unknown") == 0) {
      fprintf(stderr, "siaga-admin: there is no unit %s\n", id);
      return 1;
    }
  }
  fprintf(stderr, "siaga-admin: the unit %s kept changing; try again\n", id);
  return 1;
}

static int unit_list(sg_admin *a) {
  char k_units[SG_KEY_MAX], prefix[SG_KEY_MAX];
  const sg_embedded_file *f = sg_embedded_find("units.lua");
  if (f == NULL || sg_key(k_units, sizeof(k_units), a->region, "units") < 0 ||
      sg_key2(prefix, sizeof(prefix), a->region, "unit", "") < 0)
    return 1;
  const char *argv[] = {"EVAL", (const char *)f->data, "1", k_units, prefix};
  size_t lens[] = {4, f->size, 1, strlen(k_units), strlen(prefix)};
  redisReply *r = redisCommandArgv(a->c, 5, argv, lens);
  if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
    fprintf(stderr, "siaga-admin: Redis: %s\n",
            r == NULL                      ? a->c->errstr
            : r->type == REDIS_REPLY_ERROR ? r->str
                                           : "bad answer");
    freeReplyObject(r);
    return 1;
  }
  for (size_t i = 0; i < r->elements; i++) {
    redisReply *e = r->element[i];
    Siaga__V1__Unit *u = e->type == REDIS_REPLY_STRING
                             ? siaga__v1__unit__unpack(NULL, e->len, (const uint8_t *)e->str)
                             : NULL;
    if (u == NULL)
      continue;
    printf("%-16s %-10s %-14s %-8s %-16s %s · %s\n", u->id, u->kind, sg_unitstatus_name(u->status),
           u->disabled ? "disabled" : "enabled", u->phone, u->name, u->station);
    siaga__v1__unit__free_unpacked(u, NULL);
  }
  freeReplyObject(r);
  return 0;
}

int sg_admin_unit_command(sg_admin *a, int argc, char **argv) {
  if (argc < 1)
    return 2;
  if (strcmp(argv[0], "list") == 0)
    return argc == 1 ? unit_list(a) : 2;
  if (argc < 2)
    return 2;
  const char *id = argv[1];
  if (!sg_dispatch_unit_id_valid(id)) {
    fprintf(stderr, "siaga-admin: a unit id is 2..%d of A-Z 0-9 -, such as AMB-01, not \"%s\"\n",
            SG_DISPATCH_UNIT_ID_MAX, id);
    return 1;
  }
  if (strcmp(argv[0], "add") == 0)
    return unit_add(a, id, argc - 2, argv + 2);
  if (argc != 2)
    return 2;
  if (strcmp(argv[0], "disable") == 0 || strcmp(argv[0], "enable") == 0 ||
      strcmp(argv[0], "token") == 0)
    return unit_change(a, argv[0], id);
  return 2;
}
