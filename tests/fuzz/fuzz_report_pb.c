/* A Report as the app posts it in protobuf (POST /v1/reports,
 * application/x-protobuf): sg_report_decode_pb, phone normalisation and
 * validation, as the API runs them. What is valid is in range. */
#include <math.h>

#include "fuzz.h"
#include "wire/report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sg_report_error err;
  Siaga__V1__Report *r = sg_report_decode_pb(data, size, &err);
  if (r == NULL) {
    FUZZ_CHECK(err.code[0] != '\0');
    return 0;
  }
  sg_report_from_app(r); /* as the API: source and confidence are the server's */
  if (sg_report_normalise_phone(r, &err) == 0 && sg_report_validate(r, &err) == 0) {
    const Siaga__V1__Location *l = r->location;
    if (l != NULL) {
      FUZZ_CHECK(isfinite(l->lat) && l->lat >= -90 && l->lat <= 90);
      FUZZ_CHECK(isfinite(l->lon) && l->lon >= -180 && l->lon <= 180);
      FUZZ_CHECK(isfinite(l->accuracy_m) && l->accuracy_m >= 0 && l->accuracy_m <= 1e6);
    }
  } else {
    FUZZ_CHECK(err.code[0] != '\0' && err.message[0] != '\0');
  }
  siaga__v1__report__free_unpacked(r, NULL);
  return 0;
}
