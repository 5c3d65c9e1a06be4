/* The text reader (text/textscan) with the built-in lexicon and the
 * gazetteer of Palangka Raya, on any bytes: the result's strings are
 * terminated UTF-8, numbers in range, the address formats in any buffer. */
#include <math.h>
#include <string.h>

#include "core/embedded.h"
#include "core/utf8.h"
#include "fuzz.h"
#include "text/textscan.h"

static sg_textscan_gazetteer *gaz;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const sg_embedded_file *f = sg_embedded_find("palangka-raya.tsv");
  FUZZ_CHECK(f != NULL);
  FUZZ_CHECK(sg_textscan_gazetteer_load_buffer((const char *)f->data, f->size, &gaz, NULL) == 0);
  FUZZ_CHECK(sg_textscan_lexicon_builtin() != NULL);
  return 0;
}

#define CHECK_STR(field) FUZZ_CHECK(memchr(field, 0, sizeof(field)) != NULL && sg_utf8_valid(field, strlen(field)))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sg_textscan_result r;
  sg_textscan_scan(gaz, (const char *)data, size, &r);
  FUZZ_CHECK(r.category >= SG_TEXTSCAN_UNKNOWN && r.category < SG_TEXTSCAN_CATEGORY_COUNT);
  FUZZ_CHECK(r.secondary >= SG_TEXTSCAN_UNKNOWN && r.secondary < SG_TEXTSCAN_CATEGORY_COUNT);
  FUZZ_CHECK(isfinite(r.category_confidence) && r.category_confidence >= 0 &&
             r.category_confidence <= 1);
  FUZZ_CHECK(isfinite(r.place_confidence) && r.place_confidence >= 0 && r.place_confidence <= 1);
  FUZZ_CHECK(r.n_matches <= SG_TEXTSCAN_MAX_MATCHES);
  CHECK_STR(r.street);
  CHECK_STR(r.gang);
  CHECK_STR(r.landmark);
  CHECK_STR(r.landmark_relation);
  CHECK_STR(r.kelurahan);
  CHECK_STR(r.kecamatan);
  for (size_t i = 0; i < r.n_matches; i++) {
    CHECK_STR(r.matches[i].word);
    CHECK_STR(r.matches[i].typed);
    FUZZ_CHECK(r.matches[i].en != NULL);
  }
  if (r.place_confidence > 0 && (r.lat != 0 || r.lon != 0))
    FUZZ_CHECK(r.lat >= -90 && r.lat <= 90 && r.lon >= -180 && r.lon <= 180);
  char address[600];
  size_t n = sg_textscan_format_address(&r, address, sizeof(address));
  FUZZ_CHECK(n < sizeof(address) && strlen(address) == n && sg_utf8_valid(address, n));
  /* A small buffer truncates, always terminated. */
  char small[17];
  size_t m = sg_textscan_format_address(&r, small, size % sizeof(small) + 1);
  FUZZ_CHECK(m <= size % sizeof(small) && strlen(small) == m);
  /* Without a gazetteer the same text scans too. */
  sg_textscan_scan(NULL, (const char *)data, size, &r);
  return 0;
}
