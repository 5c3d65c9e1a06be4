#include "wire/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/rules.h"
#include "core/utf8.h"
#include "wire/phone.h"

static int fail(sg_report_error *err, const char *code, const char *fmt, ...) {
  va_list ap;
  snprintf(err->code, sizeof(err->code), "%s", code);
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  return -1;
}

Siaga__V1__Report *sg_report_decode_pb(const uint8_t *buf, size_t len, sg_report_error *err) {
  if (len > SG_REPORT_BODY_MAX) {
    fail(err, "too_large", "report of %zu bytes exceeds %d", len, SG_REPORT_BODY_MAX);
    return NULL;
  }
  Siaga__V1__Report *r = siaga__v1__report__unpack(NULL, len, buf);
  if (r == NULL) {
    fail(err, "bad_protobuf", "body is not a siaga.v1.Report protobuf");
    return NULL;
  }
  if (r->base.n_unknown_fields > 0) {
    fail(err, "bad_protobuf", "unknown field %u in siaga.v1.Report",
         (unsigned)r->base.unknown_fields[0].tag);
    siaga__v1__report__free_unpacked(r, NULL);
    return NULL;
  }
  /* Sub-messages can carry unknown fields too. */
  if ((r->reporter != NULL && r->reporter->base.n_unknown_fields > 0) ||
      (r->location != NULL && r->location->base.n_unknown_fields > 0)) {
    fail(err, "bad_protobuf", "unknown field in a nested message of siaga.v1.Report");
    siaga__v1__report__free_unpacked(r, NULL);
    return NULL;
  }
  return r;
}

static int check_text(sg_report_error *err, const char *field, const char *s, size_t max) {
  size_t len = strlen(s);
  if (len > max)
    return fail(err, "too_long", "%s: %zu bytes exceeds %zu", field, len, max);
  if (!sg_utf8_valid(s, len))
    return fail(err, "bad_utf8", "%s: not valid UTF-8", field);
  return 0;
}

static int phone_valid(const char *p) {
  size_t digits = 0;
  if (*p == '+')
    p++;
  for (; *p != '\0'; p++, digits++) {
    if (*p < '0' || *p > '9')
      return 0;
  }
  return digits >= 3 && digits <= 15; /* 3 for short codes like 112, 15 for E.164 */
}

int sg_report_normalise_phone(Siaga__V1__Report *r, sg_report_error *err) {
  if (r->reporter == NULL || r->reporter->phone == NULL || r->reporter->phone[0] == '\0')
    return 0;
  char e164[SG_PHONE_MAX];
  if (sg_phone_e164(r->reporter->phone, e164) != 0)
    return fail(err, "bad_phone",
                "reporter.phone: a phone number, e.g. +6281234567890 or 081234567890");
  char *copy = strdup(e164);
  if (copy == NULL)
    return fail(err, "unavailable", "out of memory");
  if (r->reporter->phone != protobuf_c_empty_string)
    free(r->reporter->phone);
  r->reporter->phone = copy;
  return 0;
}

int sg_report_has_point(const Siaga__V1__Location *loc) {
  return loc != NULL && !(loc->lat == 0.0 && loc->lon == 0.0);
}

int sg_report_key_valid(const char *key, size_t len) {
  if (len == 0 || len > SG_REPORT_KEY_MAX)
    return 0;
  for (size_t i = 0; i < len; i++) {
    if (key[i] < 0x21 || key[i] > 0x7E)
      return 0;
  }
  return 1;
}

int sg_report_validate(const Siaga__V1__Report *r, sg_report_error *err) {
  if (check_text(err, "description", r->description, SG_REPORT_DESCRIPTION_MAX) != 0 ||
      check_text(err, "category", r->category, SG_RULES_CATEGORY_MAX - 1) != 0)
    return -1;
  if (r->category[0] != '\0' && !sg_rules_category_known(r->category))
    return fail(err, "bad_category",
                "category: \"%.32s\" is not one of fire, land_fire, haze, flood, accident, "
                "medical, crime, rescue, animal, hazard, other, nonemergency, unknown",
                r->category);
  if (r->reporter != NULL) {
    if (check_text(err, "reporter.name", r->reporter->name, SG_REPORT_NAME_MAX) != 0 ||
        check_text(err, "reporter.phone", r->reporter->phone, SG_REPORT_PHONE_MAX) != 0)
      return -1;
    if (r->reporter->phone[0] != '\0' && !phone_valid(r->reporter->phone))
      return fail(err, "bad_phone", "reporter.phone: expected + and 3 to 15 digits");
  }
  const Siaga__V1__Location *loc = r->location;
  if (loc != NULL) {
    if (!isfinite(loc->lat) || loc->lat < -90.0 || loc->lat > 90.0)
      return fail(err, "bad_location", "location.lat: must be within -90..90");
    if (!isfinite(loc->lon) || loc->lon < -180.0 || loc->lon > 180.0)
      return fail(err, "bad_location", "location.lon: must be within -180..180");
    if (!isfinite(loc->accuracy_m) || loc->accuracy_m < 0.0 ||
        loc->accuracy_m > SG_REPORT_ACCURACY_MAX)
      return fail(err, "bad_location", "location.accuracyM: must be within 0..1000000");
    if (!isfinite(loc->confidence) || loc->confidence < 0.0 || loc->confidence > 1.0)
      return fail(err, "bad_location", "location.confidence: must be within 0..1");
    if (protobuf_c_enum_descriptor_get_value(&siaga__v1__location_source__descriptor,
                                             (int)loc->source) == NULL)
      return fail(err, "bad_location", "location.source: not a LocationSource");
    if (check_text(err, "location.address", loc->address, SG_REPORT_ADDRESS_MAX) != 0)
      return -1;
  }
  int says_something = r->description[0] != '\0' || r->category[0] != '\0' ||
                       sg_report_has_point(loc) || (loc != NULL && loc->address[0] != '\0');
  if (!says_something)
    return fail(err, "empty_report", "a report needs a description, a category or a location");
  return 0;
}

void sg_report_from_app(Siaga__V1__Report *r) {
  r->channel = SIAGA__V1__CHANNEL__CHANNEL_APP;
  Siaga__V1__Location *loc = r->location;
  if (loc == NULL)
    return;
  loc->confidence = 0.0;
  if (sg_report_has_point(loc))
    loc->source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_DEVICE;
  else if (loc->address != NULL && loc->address[0] != '\0')
    loc->source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT;
  else
    loc->source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_UNSPECIFIED;
}
