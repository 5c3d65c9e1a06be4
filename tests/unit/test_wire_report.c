/* wire/report: validation of a Report from outside, field by field, each
 * refusal with its stable code. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "wire/report.h"

static Siaga__V1__Report report;
static Siaga__V1__Reporter reporter;
static Siaga__V1__Location location;

static void fresh(void) {
  siaga__v1__report__init(&report);
  siaga__v1__reporter__init(&reporter);
  siaga__v1__location__init(&location);
  report.description = "kebakaran di Jl. Tjilik Riwut km 5";
}

static const char *refusal(void) {
  static sg_report_error err;
  memset(&err, 0, sizeof(err));
  return sg_report_validate(&report, &err) == 0 ? "ok" : err.code;
}

static void test_valid(void) {
  fresh();
  CHECK_STR_EQ(refusal(), "ok");
  report.category = "fire";
  report.reporter = &reporter;
  reporter.phone = "+628123456789";
  report.location = &location;
  location.lat = -2.21;
  location.lon = 113.92;
  location.accuracy_m = 12;
  CHECK_STR_EQ(refusal(), "ok");
}

static void test_refusals(void) {
  static char big[SG_REPORT_DESCRIPTION_MAX + 2];
  fresh();
  memset(big, 'a', sizeof(big) - 1);
  report.description = big;
  CHECK_STR_EQ(refusal(), "too_long");
  fresh();
  report.description = "api \xC3\x28";
  CHECK_STR_EQ(refusal(), "bad_utf8");
  fresh();
  report.category = "volcano";
  CHECK_STR_EQ(refusal(), "bad_category");
  fresh();
  report.reporter = &reporter;
  reporter.phone = "0812-345";
  CHECK_STR_EQ(refusal(), "bad_phone");
  reporter.phone = "+1234567890123456"; /* 16 digits */
  CHECK_STR_EQ(refusal(), "bad_phone");
  reporter.phone = "112";
  CHECK_STR_EQ(refusal(), "ok");
  fresh();
  report.location = &location;
  location.lat = 91;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.lat = NAN;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.lat = -2.2;
  location.lon = INFINITY;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.lon = 113.9;
  location.accuracy_m = -1;
  CHECK_STR_EQ(refusal(), "bad_location");
  fresh();
  report.description = "";
  CHECK_STR_EQ(refusal(), "empty_report");
  report.location = &location;
  location.address = "Jl. Yos Sudarso";
  CHECK_STR_EQ(refusal(), "ok");
}

/* Issue 14: every double checked for NaN and range, and the location's
 * source one the schema knows (a protobuf body may carry any number). */
static void test_doubles_and_source(void) {
  fresh();
  report.location = &location;
  location.lat = -2.21;
  location.lon = 113.92;
  location.confidence = NAN;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.confidence = -1e308;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.confidence = 1.5;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.confidence = 1.0;
  CHECK_STR_EQ(refusal(), "ok");
  location.accuracy_m = NAN;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.accuracy_m = SG_REPORT_ACCURACY_MAX;
  CHECK_STR_EQ(refusal(), "ok");
  location.lon = INFINITY;
  CHECK_STR_EQ(refusal(), "bad_location");
  location.lon = 113.92;
  location.source = (Siaga__V1__LocationSource)77;
  CHECK_STR_EQ(refusal(), "bad_location");
}

/* Source and confidence of an app report are the server's: a claim of an
 * AML fix is overwritten, not believed and not refused. */
static void test_from_app(void) {
  fresh();
  report.channel = SIAGA__V1__CHANNEL__CHANNEL_AML;
  report.location = &location;
  location.lat = -2.21;
  location.lon = 113.92;
  location.accuracy_m = 1;
  location.source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML;
  location.confidence = NAN;
  sg_report_from_app(&report);
  CHECK_INT_EQ(report.channel, SIAGA__V1__CHANNEL__CHANNEL_APP);
  CHECK_INT_EQ(location.source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_DEVICE);
  CHECK(location.confidence == 0.0);
  CHECK_STR_EQ(refusal(), "ok");
  location.lat = location.lon = 0;
  location.address = "Jl. Tjilik Riwut km 5";
  location.source = (Siaga__V1__LocationSource)77;
  sg_report_from_app(&report);
  CHECK_INT_EQ(location.source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT);
  CHECK_STR_EQ(refusal(), "ok");
}

static void test_key_valid(void) {
  CHECK(sg_report_key_valid("a", 1));
  CHECK(!sg_report_key_valid("", 0));
  CHECK(!sg_report_key_valid("a b", 3));
  CHECK(!sg_report_key_valid("\x7f", 1));
  static char key[SG_REPORT_KEY_MAX + 1];
  memset(key, 'k', sizeof(key));
  CHECK(sg_report_key_valid(key, SG_REPORT_KEY_MAX));
  CHECK(!sg_report_key_valid(key, SG_REPORT_KEY_MAX + 1));
}

static void test_decode_pb(void) {
  sg_report_error err;
  const uint8_t garbage[] = {0xff, 0xff, 0xff};
  CHECK(sg_report_decode_pb(garbage, sizeof(garbage), &err) == NULL);
  fresh();
  uint8_t buf[256];
  size_t n = siaga__v1__report__pack(&report, buf);
  Siaga__V1__Report *r = sg_report_decode_pb(buf, n, &err);
  CHECK(r != NULL);
  CHECK_STR_EQ(r->description, report.description);
  siaga__v1__report__free_unpacked(r, NULL);
  CHECK(sg_report_decode_pb(buf, SG_REPORT_BODY_MAX + 1, &err) == NULL); /* over the limit */
}

int main(void) {
  RUN_TEST(test_valid);
  RUN_TEST(test_refusals);
  RUN_TEST(test_doubles_and_source);
  RUN_TEST(test_from_app);
  RUN_TEST(test_key_valid);
  RUN_TEST(test_decode_pb);
  CHECK_DONE();
}
