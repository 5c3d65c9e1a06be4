/* sg_charset: names, each charset to UTF-8, and every refusal. */
#include "sms/charset.h"
#include "check.h"

static int conv(sg_charset cs, const char *in, size_t len, char *out, size_t size) {
  size_t n = 0;
  int rc = sg_charset_to_utf8(cs, (const uint8_t *)in, len, out, size, &n);
  if (rc == 0)
    CHECK_INT_EQ(n, strlen(out));
  else
    CHECK_STR_EQ(out, "");
  return rc;
}

static void test_names(void) {
  sg_charset cs;
  CHECK_INT_EQ(sg_charset_from_name("\"UTF-16BE\"", 10, &cs), 0);
  CHECK_INT_EQ(cs, SG_CHARSET_UTF16BE);
  CHECK_INT_EQ(sg_charset_from_name("ucs-2", 5, &cs), 0);
  CHECK_INT_EQ(cs, SG_CHARSET_UTF16BE);
  CHECK_INT_EQ(sg_charset_from_name(" utf-8 ", 7, &cs), 0);
  CHECK_INT_EQ(cs, SG_CHARSET_UTF8);
  CHECK_INT_EQ(sg_charset_from_name("GSM", 3, &cs), 0);
  CHECK_INT_EQ(cs, SG_CHARSET_UTF8);
  CHECK_INT_EQ(sg_charset_from_name("WINDOWS-1252", 12, &cs), 0);
  CHECK_INT_EQ(cs, SG_CHARSET_CP1252);
  CHECK_INT_EQ(sg_charset_from_name("ISO-8859-1xyz", 10, &cs), 0); /* length decides */
  CHECK_INT_EQ(cs, SG_CHARSET_LATIN1);
  CHECK_INT_EQ(sg_charset_from_name("EBCDIC", 6, &cs), SG_EUNSUPPORTED);
  CHECK_INT_EQ(sg_charset_from_name("", 0, &cs), SG_EUNSUPPORTED);
  CHECK_INT_EQ(sg_charset_from_name("utf-8x", 6, &cs), SG_EUNSUPPORTED);
  CHECK_STR_EQ(sg_charset_name(SG_CHARSET_CP1252), "WINDOWS-1252");
}

static void test_utf16(void) {
  char out[64];
  /* "A—🔥": U+2014 em dash, U+1F525 as the pair D83D DD25 */
  const char be[] = "\x00" "A" "\x20\x14" "\xD8\x3D\xDD\x25";
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, be, 8, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "A\xE2\x80\x94\xF0\x9F\x94\xA5");
  const char le_bom[] = "\xFF\xFE" "A\x00" "\x14\x20";
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16, le_bom, 6, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "A\xE2\x80\x94");
  const char be_bom[] = "\xFE\xFF\x00" "B";
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16, be_bom, 4, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "B");
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\xD8\x3D\x00" "A", 4, out, sizeof(out)),
               SG_EINVAL); /* high surrogate, then no low one */
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\xD8\x3D", 2, out, sizeof(out)), SG_EINVAL);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\xDD\x25\x00" "A", 4, out, sizeof(out)),
               SG_EINVAL); /* a lone low surrogate */
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\x00" "A\x00", 3, out, sizeof(out)), SG_EINVAL);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\x00\x00", 2, out, sizeof(out)), SG_EINVAL);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "", 0, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "");
}

static void test_single_byte(void) {
  char out[16];
  CHECK_INT_EQ(conv(SG_CHARSET_LATIN1, "caf\xE9", 4, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "caf\xC3\xA9");
  CHECK_INT_EQ(conv(SG_CHARSET_LATIN1, "\x80", 1, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "\xC2\x80"); /* a C1 control in ISO-8859-1 */
  CHECK_INT_EQ(conv(SG_CHARSET_CP1252, "\x80\x97", 2, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "\xE2\x82\xAC\xE2\x80\x94"); /* euro sign, em dash */
  CHECK_INT_EQ(conv(SG_CHARSET_CP1252, "a\x81", 2, out, sizeof(out)), SG_EINVAL);
  CHECK_INT_EQ(conv(SG_CHARSET_LATIN1, "a\0b", 3, out, sizeof(out)), SG_EINVAL);
}

static void test_utf8(void) {
  char out[16];
  CHECK_INT_EQ(conv(SG_CHARSET_UTF8, "tolong \xE2\x80\x94", 10, out, sizeof(out)), 0);
  CHECK_STR_EQ(out, "tolong \xE2\x80\x94");
  CHECK_INT_EQ(conv(SG_CHARSET_UTF8, "caf\xC3(", 5, out, sizeof(out)), SG_EINVAL);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF8, "\xC0\xAF", 2, out, sizeof(out)), SG_EINVAL);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF8, "\xED\xA0\x80", 3, out, sizeof(out)), SG_EINVAL);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF8, "a\0", 2, out, sizeof(out)), SG_EINVAL);
}

static void test_bounds(void) {
  char out[4];
  /* 3 bytes of text fit in 4 with the NUL, 4 do not. */
  CHECK_INT_EQ(conv(SG_CHARSET_UTF8, "abc", 3, out, sizeof(out)), 0);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF8, "abcd", 4, out, sizeof(out)), SG_ETOOBIG);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\x20\x14", 2, out, sizeof(out)), 0);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\x00" "a\x20\x14", 4, out, sizeof(out)),
               SG_ETOOBIG);
  CHECK_INT_EQ(conv(SG_CHARSET_UTF16BE, "\xD8\x3D\xDD\x25", 4, out, sizeof(out)),
               SG_ETOOBIG); /* 4 bytes of UTF-8 need 5 */
  CHECK_INT_EQ(conv(SG_CHARSET_LATIN1, "\xE9\xE9", 2, out, sizeof(out)), SG_ETOOBIG);
  size_t n;
  CHECK_INT_EQ(sg_charset_to_utf8(SG_CHARSET_UTF8, (const uint8_t *)"a", 1, out, 0, &n),
               SG_ETOOBIG);
  CHECK_STR_EQ(sg_strerror(SG_EUNSUPPORTED), "not supported"); /* the one error table */
}

int main(void) {
  RUN_TEST(test_names);
  RUN_TEST(test_utf16);
  RUN_TEST(test_single_byte);
  RUN_TEST(test_utf8);
  RUN_TEST(test_bounds);
  CHECK_DONE();
}
