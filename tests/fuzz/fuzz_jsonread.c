/* The strict JSON reader (wire/jsonread): any bytes, any depth. What it
 * accepts must hold together: spans inside the document, counts that match
 * the children, strings that are valid UTF-8 without NUL. */
#include <string.h>

#include "core/utf8.h"
#include "fuzz.h"
#include "wire/jsonread.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

static void check_value(const sg_jsonread_doc *doc, const sg_jsonread_value *v) {
  size_t at = (size_t)(v - doc->values);
  FUZZ_CHECK(v->span >= 1 && at + v->span <= doc->n_values);
  if (v->key != NULL)
    FUZZ_CHECK(strlen(v->key) == v->key_len && sg_utf8_valid(v->key, v->key_len));
  if (v->type == SG_JSONREAD_STRING)
    FUZZ_CHECK(strlen(v->u.string.str) == v->u.string.len &&
               sg_utf8_valid(v->u.string.str, v->u.string.len));
  if (v->type == SG_JSONREAD_ARRAY || v->type == SG_JSONREAD_OBJECT) {
    size_t i, covered = 1;
    const sg_jsonread_value *c;
    SG_JSONREAD_FOREACH(v, i, c) {
      FUZZ_CHECK((v->type == SG_JSONREAD_OBJECT) == (c->key != NULL));
      covered += c->span;
    }
    FUZZ_CHECK(covered == v->span);
  } else {
    FUZZ_CHECK(v->span == 1);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sg_jsonread_doc doc;
  sg_jsonread_error err;
  int rc = sg_jsonread_parse(&doc, (const char *)data, size, SG_JSONREAD_DEPTH_LIMIT, &err);
  if (rc != 0) {
    FUZZ_CHECK(rc < 0 && doc.n_values == 0 && err.reason != NULL && err.offset <= size);
    sg_jsonread_close(&doc);
    return 0;
  }
  FUZZ_CHECK(doc.n_values >= 1 && doc.values[0].span == doc.n_values && doc.values[0].key == NULL);
  for (size_t i = 0; i < doc.n_values; i++)
    check_value(&doc, &doc.values[i]);
  sg_jsonread_close(&doc);
  /* A shallow limit refuses or accepts, never crashes. */
  if (sg_jsonread_parse(&doc, (const char *)data, size, 2, NULL) == 0)
    sg_jsonread_close(&doc);
  return 0;
}
