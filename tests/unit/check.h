/* Minimal typed assertions for unit tests, in the spirit of libuv's
 * test/task.h: each failure prints both sides with file and line and ends
 * the test's process with a non-zero status. */
#ifndef SG_CHECK_H
#define SG_CHECK_H

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK_FAIL_(fmt, ...)                                                                      \
  do {                                                                                             \
    fprintf(stderr, "%s:%d: check failed: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);            \
    exit(1);                                                                                       \
  } while (0)

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      CHECK_FAIL_("%s", #cond);                                                                    \
  } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
  do {                                                                                             \
    int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                                  \
    if (a_ != b_)                                                                                  \
      CHECK_FAIL_("%s == %s (%" PRId64 " != %" PRId64 ")", #a, #b, a_, b_);                        \
  } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
  do {                                                                                             \
    const char *a_ = (a), *b_ = (b);                                                               \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                                           \
      CHECK_FAIL_("%s == %s (\"%s\" != \"%s\")", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");  \
  } while (0)

#define CHECK_DBL_NEAR(a, b, eps)                                                                  \
  do {                                                                                             \
    double a_ = (a), b_ = (b);                                                                     \
    if (a_ - b_ > (eps) || b_ - a_ > (eps))                                                        \
      CHECK_FAIL_("%s ~= %s (%g != %g)", #a, #b, a_, b_);                                          \
  } while (0)

/* Runs one named test function in a child process, as libuv's runner does,
 * so a failed check, a crash or a hang in one test does not hide the others:
 * each prints "ok" or "not ok" and the binary exits non-zero if any failed.
 * A test gets CHECK_TIMEOUT_S seconds (SIGALRM ends it). What main sets up
 * before the first RUN_TEST is inherited; what a test changes is not seen by
 * the next. */
#define CHECK_TIMEOUT_S 30

static int check_passed_ = 0;
static int check_failed_ = 0;

static inline void check_run_(void (*fn)(void), const char *name) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(2);
  }
  if (pid == 0) {
    alarm(CHECK_TIMEOUT_S);
    fn();
    fflush(stdout);
    exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("waitpid");
      exit(2);
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    check_passed_++;
    printf("ok - %s\n", name);
  } else {
    check_failed_++;
    if (WIFSIGNALED(status))
      printf("not ok - %s (signal %d%s)\n", name, WTERMSIG(status),
             WTERMSIG(status) == SIGALRM ? ": timed out" : "");
    else
      printf("not ok - %s (exit %d)\n", name, WEXITSTATUS(status));
  }
}

#define RUN_TEST(fn) check_run_(fn, #fn)

#define CHECK_DONE()                                                                               \
  do {                                                                                             \
    printf("%d passed, %d failed\n", check_passed_, check_failed_);                                \
    return check_failed_ ? 1 : 0;                                                                  \
  } while (0)

#endif
