/* A Report as the app posts it in JSON (POST /v1/reports): the
 * protobuf-JSON mapping, then the checks of wire/report as the API runs
 * them (phone normalisation, validation). */
#include "fuzz.h"
#include "pbjson_check.h"
#include "wire/report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > SG_REPORT_BODY_MAX)
    return 0;
  Siaga__V1__Report *r =
      (Siaga__V1__Report *)fuzz_pbjson_round_trip(&siaga__v1__report__descriptor, data, size);
  if (r == NULL)
    return 0;
  sg_report_error err;
  sg_report_from_app(r); /* as the API: source and confidence are the server's */
  if (sg_report_normalise_phone(r, &err) == 0 && sg_report_validate(r, &err) == 0) {
    /* What is valid says something and holds numbers in range. */
    if (r->location != NULL) {
      FUZZ_CHECK(r->location->lat >= -90 && r->location->lat <= 90);
      FUZZ_CHECK(r->location->lon >= -180 && r->location->lon <= 180);
    }
  } else {
    FUZZ_CHECK(err.code[0] != '\0' && err.message[0] != '\0');
  }
  siaga__v1__report__free_unpacked(r, NULL);
  return 0;
}
