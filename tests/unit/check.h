/* Minimal typed assertions for unit tests, in the spirit of libuv's
 * test/task.h: each failure prints both sides with file and line and aborts
 * the test binary with a non-zero status. */
#ifndef SG_CHECK_H
#define SG_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_FAIL_(fmt, ...)                                                      \
  do {                                                                             \
    fprintf(stderr, "%s:%d: check failed: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__); \
    exit(1);                                                                       \
  } while (0)

#define CHECK(cond)                                                               \
  do {                                                                            \
    if (!(cond))                                                                  \
      CHECK_FAIL_("%s", #cond);                                                   \
  } while (0)

#define CHECK_INT_EQ(a, b)                                                        \
  do {                                                                            \
    int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                 \
    if (a_ != b_)                                                                 \
      CHECK_FAIL_("%s == %s (%" PRId64 " != %" PRId64 ")", #a, #b, a_, b_);        \
  } while (0)

#define CHECK_STR_EQ(a, b)                                                        \
  do {                                                                            \
    const char *a_ = (a), *b_ = (b);                                              \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                          \
      CHECK_FAIL_("%s == %s (\"%s\" != \"%s\")", #a, #b, a_ ? a_ : "(null)",       \
                  b_ ? b_ : "(null)");                                            \
  } while (0)

#define CHECK_DBL_NEAR(a, b, eps)                                                 \
  do {                                                                            \
    double a_ = (a), b_ = (b);                                                    \
    if (a_ - b_ > (eps) || b_ - a_ > (eps))                                       \
      CHECK_FAIL_("%s ~= %s (%g != %g)", #a, #b, a_, b_);                         \
  } while (0)

/* Runs one named test function and counts it. */
#define RUN_TEST(fn)                                                              \
  do {                                                                            \
    fn();                                                                         \
    check_passed_++;                                                              \
    printf("ok - %s\n", #fn);                                                     \
  } while (0)

static int check_passed_ = 0;

#define CHECK_DONE()                                                              \
  do {                                                                            \
    printf("%d passed, 0 failed\n", check_passed_);                               \
    return 0;                                                                     \
  } while (0)

#endif
