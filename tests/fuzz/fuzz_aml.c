/* AML and ELS SMS (sms/aml): any bytes. A fix is a real position, the
 * strings are the digits they claim, and the report siagad builds from any
 * AML text a gateway delivers passes validation (issue 14: rd=2000000 was
 * refused, and the handset's message lost). */
#include <math.h>

#include "core/utf8.h"
#include "fuzz.h"
#include "sms/aml.h"
#include "sms_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_gazetteer();
  return 0;
}

static int digits(const char *s) {
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *msg = (const char *)data;
  sg_aml_location a;
  sg_aml_status st = sg_aml_parse(msg, size, &a);
  FUZZ_CHECK(st >= SG_AML_OK && st <= SG_AML_MALFORMED);
  FUZZ_CHECK(sg_aml_status_name(st) != NULL && sg_aml_method_name(a.method) != NULL);
  if (st == SG_AML_OK && a.has_fix) {
    FUZZ_CHECK(isfinite(a.lat) && a.lat >= -90 && a.lat <= 90);
    FUZZ_CHECK(isfinite(a.lon) && a.lon >= -180 && a.lon <= 180);
    FUZZ_CHECK(isfinite(a.radius_m) && a.radius_m >= 0);
  }
  FUZZ_CHECK(a.imsi[sizeof(a.imsi) - 1] == '\0' && digits(a.imsi));
  FUZZ_CHECK(a.imei[sizeof(a.imei) - 1] == '\0' && digits(a.imei));
  FUZZ_CHECK(a.mcc[sizeof(a.mcc) - 1] == '\0' && a.mnc[sizeof(a.mnc) - 1] == '\0');
  FUZZ_CHECK(a.emergency_number[sizeof(a.emergency_number) - 1] == '\0');
  /* What a gateway hands over is UTF-8 without NUL by then (sms/charset). */
  if (size > 0 && size <= FUZZ_SMS_TEXT_MAX && sg_utf8_valid(msg, size) && memchr(msg, 0, size) == NULL) {
    char text[FUZZ_SMS_TEXT_MAX + 1];
    memcpy(text, msg, size);
    text[size] = '\0';
    fuzz_sms_report("+6281234567890", text, size, "", 0);
  }
  return 0;
}
