/* The unit kinds file (dispatch/kinds, sg_kinds_load_buffer): any bytes load
 * or are refused with a line; a table that loads answers its questions. */
#include <string.h>

#include "core/error.h"
#include "dispatch/kinds.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sg_kinds *k = NULL;
  int line = -1;
  int rc = sg_kinds_load_buffer((const char *)data, size, &k, &line);
  if (rc != 0) {
    FUZZ_CHECK(rc < 0 && k == NULL);
    return 0;
  }
  FUZZ_CHECK(k != NULL);
  char list[1024];
  const char *s = sg_kinds_list(k, list, sizeof(list));
  FUZZ_CHECK(s != NULL && strlen(s) < sizeof(list));
  char small[8];
  s = sg_kinds_list(k, small, sizeof(small));
  FUZZ_CHECK(s != NULL && strlen(s) < sizeof(small));
  FUZZ_CHECK(!sg_kinds_known(k, ""));
  sg_kinds_answers(k, "fire", "fire");
  sg_kinds_answers(k, "ambulance", "medical");
  sg_kinds_destroy(k);
  return 0;
}
