/* core/log: the logfmt line writer, its escaping, the level filter and the
 * stderr filter. Lines are read back from a file put in place of fd 2. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/log.h"

/* The line after its time: "level=... event=... ..." (no newline). */
static const char *after_time(const char *line) {
  CHECK(strncmp(line, "time=", 5) == 0);
  const char *sp = strchr(line, ' ');
  CHECK(sp != NULL);
  CHECK_INT_EQ(sp - line, 5 + 24); /* 2026-12-04T18:40:46.123Z */
  CHECK(line[5 + 10] == 'T' && line[5 + 23] == 'Z' && line[5 + 19] == '.');
  return sp + 1;
}

static void check_line(const char *want, const char *got) {
  const char *rest = after_time(got);
  size_t n = strlen(rest);
  CHECK(n > 0 && rest[n - 1] == '\n');
  CHECK(memchr(rest, '\n', n - 1) == NULL); /* one line */
  char body[SG_LOG_LINE_MAX];
  memcpy(body, rest, n - 1);
  body[n - 1] = '\0';
  CHECK_STR_EQ(body, want);
}

static void test_plain_and_numbers(void) {
  char buf[SG_LOG_LINE_MAX];
  sg_log_format(buf, sizeof(buf), SG_LOG_INFO, "report.accepted",
                "region=%s report=%s ms=%.1f n=%d big=%lld u=%zu hex=%x", "plk", "r-01", 1.25, -3,
                (long long)1 << 40, (size_t)7, 255u);
  check_line("level=info event=report.accepted region=plk report=r-01 ms=1.2 n=-3 "
             "big=1099511627776 u=7 hex=ff",
             buf);
  sg_log_format(buf, sizeof(buf), SG_LOG_ERROR, "x", "%s", "");
  check_line("level=error event=x \"\"", buf);
  sg_log_format(buf, sizeof(buf), SG_LOG_WARN, "x", "p=%.*s", 3, "abcdef");
  check_line("level=warn event=x p=abc", buf);
  /* a NULL string and a 0 with %.0d leave their field out */
  const char *volatile none = NULL; /* volatile: gcc -O2 would refuse a NULL %s it can see */
  sg_log_format(buf, sizeof(buf), SG_LOG_WARN, "x", "a=%s b=%.0d c=%s d=%.0d e=%.0u", none, 0, "c",
                7, 0u);
  check_line("level=warn event=x c=c d=7", buf);
}

static void test_escaping(void) {
  char buf[SG_LOG_LINE_MAX];
  sg_log_format(buf, sizeof(buf), SG_LOG_INFO, "e", "a=%s b=%s c=%s d=%s", "two words", "x=\"y\"",
                "back\\slash\ttab", "bell\a del\x7f");
  check_line("level=info event=e a=\"two words\" b=\"x=\\\"y\\\"\" c=\"back\\\\slash\\ttab\" "
             "d=\"bell\\u0007 del\\u007f\"",
             buf);
  /* UTF-8 stays, a bad byte becomes U+FFFD, a C1 control is escaped */
  sg_log_format(buf, sizeof(buf), SG_LOG_INFO, "e", "t=%s", "banjir \xC3\xA9 \xFF \xC2\x85");
  check_line("level=info event=e t=\"banjir \xC3\xA9 \xEF\xBF\xBD \\u0085\"", buf);
}

/* A citizen's text that tries to end the line and start a forged one. */
static void test_hostile_value_stays_one_line(void) {
  char buf[SG_LOG_LINE_MAX];
  const char *text = "help\" role=admin\nlevel=error event=command actor=root\r\n";
  sg_log_format(buf, sizeof(buf), SG_LOG_INFO, "sms.received", "text=%s from=%s", text, "+62");
  check_line("level=info event=sms.received text=\"help\\\" role=admin\\nlevel=error "
             "event=command actor=root\\r\\n\" from=+62",
             buf);
}

static void test_long_values_are_cut(void) {
  char big[SG_LOG_VALUE_MAX * 3];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  char buf[SG_LOG_LINE_MAX];
  size_t n = sg_log_format(buf, sizeof(buf), SG_LOG_INFO, "e", "v=%s", big);
  const char *v = strstr(buf, "v=\"");
  CHECK(v != NULL);
  CHECK_INT_EQ(strlen(v), 3 + SG_LOG_VALUE_MAX + 3 + 2); /* v=" a... ..." \n */
  CHECK(strcmp(v + 3 + SG_LOG_VALUE_MAX, "...\"\n") == 0);
  CHECK_INT_EQ(n, strlen(buf));
  /* a cut inside a UTF-8 sequence leaves no half character */
  char utf[SG_LOG_VALUE_MAX + 8];
  memset(utf, 'a', SG_LOG_VALUE_MAX - 1);
  memcpy(utf + SG_LOG_VALUE_MAX - 1, "\xC3\xA9zz", 5);
  sg_log_format(buf, sizeof(buf), SG_LOG_INFO, "e", "v=%s", utf);
  CHECK(strstr(buf, "a\xEF\xBF\xBD...\"\n") != NULL);
  /* more fields than the line holds: whole fields, then cut=1 */
  char small[128];
  sg_log_format(small, sizeof(small), SG_LOG_INFO, "e", "a=%s b=%s c=%s", "1111111111",
                "2222222222222222222222222222222222222222", "33333333333333333333333333333333333");
  const char *rest = after_time(small);
  CHECK_STR_EQ(rest, "level=info event=e a=1111111111 b=2222222222222222222222222222222222222222 "
                     "cut=1\n");
}

/* fd 2 into a temporary file; returns the file's path. */
static void capture_fd2(char *path) {
  strcpy(path, "/tmp/siaga-test-log-XXXXXX");
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  CHECK(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
  close(fd);
}

static size_t read_back(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
  remove(path);
  return n;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void test_levels_filtered(void) {
  char path[64], got[4096];
  capture_fd2(path);
  sg_log_level lv;
  CHECK_INT_EQ(sg_log_level_parse("warn", &lv), 0);
  CHECK_INT_EQ(lv, SG_LOG_WARN);
  CHECK_INT_EQ(sg_log_level_parse("verbose", &lv), -1);
  CHECK_INT_EQ(sg_log_level_parse("", &lv), -1);
  CHECK(sg_log_enabled(SG_LOG_INFO)); /* info by default */
  CHECK(!sg_log_enabled(SG_LOG_DEBUG));
  sg_log_set_level(SG_LOG_WARN);
  sg_log(SG_LOG_DEBUG, "d", "n=%d", 1);
  sg_log(SG_LOG_INFO, "i", "n=%d", 2);
  sg_log(SG_LOG_WARN, "w", "n=%d", 3);
  sg_log(SG_LOG_ERROR, "e", "n=%d", 4);
  sg_log_set_level(SG_LOG_DEBUG);
  sg_log(SG_LOG_DEBUG, "d", "n=%d", 5);
  read_back(path, got, sizeof(got));
  CHECK_INT_EQ(count_lines(got), 3);
  CHECK(strstr(got, "level=warn event=w n=3\n") != NULL);
  CHECK(strstr(got, "level=error event=e n=4\n") != NULL);
  CHECK(strstr(got, "level=debug event=d n=5\n") != NULL);
  CHECK(strstr(got, "n=1") == NULL && strstr(got, "n=2") == NULL);
}

/* What others print on stderr is wrapped, one logfmt line per line. */
static void test_stderr_filter(void) {
  char path[64], got[4096];
  capture_fd2(path);
  CHECK_INT_EQ(sg_log_init(), 0);
  fprintf(stderr, "lib: something \"odd\"\nsecond ");
  fprintf(stderr, "half\n");
  fflush(stderr);
  read_back(path, got, sizeof(got));
  CHECK_INT_EQ(count_lines(got), 2);
  char *second = strchr(got, '\n') + 1;
  second[-1] = '\0';
  CHECK_STR_EQ(after_time(got), "level=warn event=stderr msg=\"lib: something \\\"odd\\\"\"");
  CHECK_STR_EQ(after_time(second), "level=warn event=stderr msg=\"second half\"\n");
}

int main(void) {
  RUN_TEST(test_plain_and_numbers);
  RUN_TEST(test_escaping);
  RUN_TEST(test_hostile_value_stays_one_line);
  RUN_TEST(test_long_values_are_cut);
  RUN_TEST(test_levels_filtered);
  RUN_TEST(test_stderr_filter);
  CHECK_DONE();
}
