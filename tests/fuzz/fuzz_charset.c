/* The charsets of inbound SMS (sms/charset) and the GSM 7-bit count of
 * outbound ones (sms/gsm7). The first byte picks the charset; the rest is
 * the message. What converts is valid UTF-8 of the length said, with no NUL,
 * in any buffer size; UTF-8 in is UTF-8 out unchanged; the septet count is
 * bounded by the text. */
#include <string.h>

#include "core/utf8.h"
#include "fuzz.h"
#include "sms/charset.h"
#include "sms/gsm7.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 8192)
    return 0;
  static const sg_charset all[] = {SG_CHARSET_UTF8, SG_CHARSET_UTF16BE, SG_CHARSET_UTF16,
                                   SG_CHARSET_LATIN1, SG_CHARSET_CP1252};
  sg_charset cs = all[data[0] % 5];
  const uint8_t *in = data + 1;
  size_t len = size - 1;
  static char out[4 * 8192 + 1];
  size_t out_len = 0;
  int rc = sg_charset_to_utf8(cs, in, len, out, sizeof(out), &out_len);
  if (rc == 0) {
    FUZZ_CHECK(out_len == strlen(out) && sg_utf8_valid(out, out_len));
    if (cs == SG_CHARSET_UTF8)
      FUZZ_CHECK(out_len == len && memcmp(out, in, len) == 0);
    /* A smaller buffer fits it or says so, never overruns. */
    size_t small = data[0] % 64;
    char *tight = malloc(small + 1);
    FUZZ_CHECK(tight != NULL);
    size_t tight_len;
    int rc2 = sg_charset_to_utf8(cs, in, len, tight, small + 1, &tight_len);
    FUZZ_CHECK(rc2 == 0 ? tight_len == out_len : (rc2 == SG_ETOOBIG && out_len > small));
    free(tight);
    long septets = sg_gsm7_septets(out, out_len);
    FUZZ_CHECK(septets >= -1 && septets <= 2 * (long)out_len);
    FUZZ_CHECK(sg_gsm7_safe(out, out_len) == (septets >= 0));
  } else {
    FUZZ_CHECK(rc == SG_EINVAL || rc == SG_ETOOBIG);
  }
  /* The name lookups take any bytes. */
  sg_charset named;
  if (sg_charset_from_name((const char *)in, len, &named) == 0)
    FUZZ_CHECK(sg_charset_name(named) != NULL);
  char coding[4] = {0};
  memcpy(coding, in, len < 3 ? len : 3);
  sg_charset_kannel((const char *)in, len > 40 ? 40 : len, coding, &named);
  sg_charset_kannel(NULL, 0, coding, &named);
  /* And the septet count takes any bytes, not only UTF-8. */
  long raw = sg_gsm7_septets((const char *)in, len);
  FUZZ_CHECK(raw >= -1 && raw <= 2 * (long)len);
  return 0;
}
