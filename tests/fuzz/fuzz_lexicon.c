/* The lexicon file loader (sg_textscan_lexicon_load_buffer): any bytes load
 * or are refused with a line and a reason; a lexicon that loads reads text. */
#include <string.h>

#include "core/error.h"
#include "fuzz.h"
#include "text/textscan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sg_textscan_lexicon *lex = NULL;
  int line = -1;
  const char *why = NULL;
  int rc = sg_textscan_lexicon_load_buffer((const char *)data, size, &lex, &line, &why);
  if (rc != 0) {
    FUZZ_CHECK(rc < 0 && lex == NULL && line >= 0 && why != NULL && why[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(lex != NULL);
  static sg_textscan_result r;
  static const char *texts[] = {"tolong ada kebakaran rumah di jl tjilik riwut km 5",
                                "banjir sdh sepinggang, ada org tdk sadar",
                                "kemarin ada kecelakaan?"};
  for (size_t i = 0; i < 3; i++)
    sg_textscan_scan_with(lex, NULL, texts[i], strlen(texts[i]), &r);
  /* The file's own bytes as a text, for the words it defines. */
  sg_textscan_scan_with(lex, NULL, (const char *)data, size, &r);
  sg_textscan_lexicon_destroy(lex);
  return 0;
}
