/* The triage protocol loader (sg_protocol_load_buffer): any bytes load or
 * are refused with a line and a reason; a protocol that loads scores
 * reports within its bounds, each score the sum of its reasons. */
#include <string.h>

#include "core/error.h"
#include "fuzz.h"
#include "triage/protocol.h"
#include "triage/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

static void score(const char *category, const char *text) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  r.category = (char *)category;
  r.description = (char *)text;
  sg_rules_result res;
  sg_rules_evaluate(&r, &res);
  sg_rules_corroborate(&res, 7);
  int sum = 0;
  for (size_t k = 0; k < res.n_reasons; k++)
    sum += res.reasons[k].points;
  sum = sum < 0 ? 0 : sum > 100 ? 100 : sum;
  FUZZ_CHECK(res.score == sum && res.priority == sg_rules_priority(res.score));
  FUZZ_CHECK(sg_rules_category_known(res.category));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sg_protocol *p = NULL;
  int line = -1;
  const char *why = NULL;
  int rc = sg_protocol_load_buffer((const char *)data, size, &p, &line, &why);
  if (rc != 0) {
    FUZZ_CHECK(rc < 0 && p == NULL && line >= 0 && why != NULL && why[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(p != NULL && line == 0);
  for (int level = 2; level <= 3; level++)
    FUZZ_CHECK(sg_protocol_priority_min(p, level) < sg_protocol_priority_min(p, level - 1));
  for (size_t k = 0; k < 30; k++) {
    const sg_protocol_determinant *d = sg_protocol_determinant_at(p, k);
    FUZZ_CHECK(d != NULL && d->points >= 0 && d->points <= 100);
    FUZZ_CHECK(strlen(d->id) > 0 && strlen(d->en) > 0);
  }
  sg_protocol_use(p);
  score("", "tolong ada kebakaran rumah, anak terjebak di dalam, tdk bernapas");
  score("crime", "maling masih di dalam rumah, bawa parang");
  score("", "kemarin ada kecelakaan? terima kasih");
  score("", "banjir sedada, ada yg hanyut");
  score("", "tolong");
  sg_protocol_use(NULL);
  sg_protocol_destroy(p);
  return 0;
}
