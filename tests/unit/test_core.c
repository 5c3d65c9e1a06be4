/* core/: the UTF-8 decoder and encoder, hex digits, the error table and
 * reading a bounded file whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hex.h"
#include "core/pending.h"
#include <uv.h>
#include "core/utf8.h"

static void test_utf8_next(void) {
  const char s[] = "a\xC3\xA9\xE2\x80\xA6\xF0\x9F\x94\xA5\xFFz";
  size_t i = 0, len = sizeof(s) - 1;
  CHECK_INT_EQ(sg_utf8_next(s, len, &i), 'a');
  CHECK_INT_EQ(sg_utf8_next(s, len, &i), 0xE9);
  CHECK_INT_EQ(sg_utf8_next(s, len, &i), 0x2026);
  CHECK_INT_EQ(sg_utf8_next(s, len, &i), 0x1F525);
  CHECK_INT_EQ(i, 10);
  CHECK_INT_EQ(sg_utf8_next(s, len, &i), -1); /* 0xFF starts nothing */
  CHECK_INT_EQ(i, 11);
  CHECK_INT_EQ(sg_utf8_next(s, len, &i), 'z');
  /* a cut sequence, an overlong form and a surrogate each move one byte */
  const char cut[] = "\xE2\x80";
  i = 0;
  CHECK_INT_EQ(sg_utf8_next(cut, 2, &i), -1);
  CHECK_INT_EQ(i, 1);
  const char overlong[] = "\xC0\xAF";
  i = 0;
  CHECK_INT_EQ(sg_utf8_next(overlong, 2, &i), -1);
  CHECK_INT_EQ(i, 1);
  const char surrogate[] = "\xED\xA0\x80";
  i = 0;
  CHECK_INT_EQ(sg_utf8_next(surrogate, 3, &i), -1);
}

static void test_utf8_encode_round_trip(void) {
  char buf[SG_UTF8_MAX_SEQ];
  uint32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF};
  for (size_t k = 0; k < sizeof(cps) / sizeof(cps[0]); k++) {
    size_t n = sg_utf8_encode(cps[k], buf);
    CHECK(n >= 1 && n <= 4);
    CHECK_INT_EQ(sg_utf8_seq_len(buf, n), n);
    size_t i = 0;
    CHECK_INT_EQ(sg_utf8_next(buf, n, &i), cps[k]);
    CHECK_INT_EQ(i, n);
  }
  CHECK_INT_EQ(sg_utf8_encode(0xD800, buf), 0);
  CHECK_INT_EQ(sg_utf8_encode(0x110000, buf), 0);
}

static void test_utf8_prefix(void) {
  const char s[] = "k\xC3\xA9\xE2\x80\xA6z"; /* 4 code points, 7 bytes */
  size_t count;
  CHECK_INT_EQ(sg_utf8_prefix(s, 7, 2, &count), 3);
  CHECK_INT_EQ(count, 2);
  CHECK_INT_EQ(sg_utf8_prefix(s, 7, (size_t)-1, &count), 7);
  CHECK_INT_EQ(count, 4);
  CHECK_INT_EQ(sg_utf8_prefix(s, 7, 0, NULL), 0);
}

static void test_hex(void) {
  CHECK_INT_EQ(sg_hex_digit('0'), 0);
  CHECK_INT_EQ(sg_hex_digit('f'), 15);
  CHECK_INT_EQ(sg_hex_digit('A'), 10);
  CHECK_INT_EQ(sg_hex_digit('g'), -1);
  CHECK_INT_EQ(sg_hex_digit(-1), -1);
  const uint8_t b[] = {0x00, 0x9f, 0xff};
  char out[7];
  sg_hex_encode(b, 3, out);
  CHECK_STR_EQ(out, "009fff");
}

static void test_error_table(void) {
  CHECK_STR_EQ(sg_strerror(0), "ok");
  CHECK_STR_EQ(sg_strerror(SG_ENOMEM), "out of memory");
  CHECK_STR_EQ(sg_errname(SG_EUNAVAIL), "EUNAVAIL");
  CHECK_STR_EQ(sg_errname(SG_ECLOSED), "ECLOSED");
  /* libuv's codes pass through, and never meet siaga's */
  CHECK_STR_EQ(sg_errname(UV_EMFILE), "EMFILE");
  CHECK((int)SG_ENOMEM < (int)UV_EOF);
  CHECK(strcmp(sg_strerror(SG_ECLOSED), sg_strerror(SG_EFULL)) != 0);
}

static void test_pending(void) {
  int owner;
  sg_pending *list = NULL;
  sg_pending *a = sg_pending_start(&list, &owner);
  sg_pending *b = sg_pending_start(&list, &owner);
  sg_pending *c = sg_pending_start(&list, &owner);
  CHECK(a && b && c && list == c);
  CHECK(sg_pending_finish(b) == &owner); /* from the middle */
  CHECK(list == c && c->next == a);
  sg_pending_orphan(&list); /* the owner leaves with two out */
  CHECK(list == NULL);
  CHECK(sg_pending_finish(a) == NULL);
  CHECK(sg_pending_finish(c) == NULL);
}

static void test_file_read(void) {
  char path[] = "/tmp/siaga-test-file-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  CHECK(f != NULL && fwrite("0123456789", 1, 10, f) == 10);
  fclose(f);
  char *buf = (char *)1;
  size_t len = 99;
  CHECK_INT_EQ(sg_file_read(path, 10, &buf, &len), 0); /* exactly the limit */
  CHECK_INT_EQ(len, 10);
  CHECK_STR_EQ(buf, "0123456789");
  free(buf);
  CHECK_INT_EQ(sg_file_read(path, 9, &buf, &len), SG_ETOOBIG);
  CHECK(buf == NULL && len == 0);
  remove(path);
  CHECK_INT_EQ(sg_file_read(path, 10, &buf, &len), SG_EIO);
  CHECK(buf == NULL);
}

int main(void) {
  RUN_TEST(test_utf8_next);
  RUN_TEST(test_utf8_encode_round_trip);
  RUN_TEST(test_utf8_prefix);
  RUN_TEST(test_hex);
  RUN_TEST(test_error_table);
  RUN_TEST(test_pending);
  RUN_TEST(test_file_read);
  CHECK_DONE();
}
