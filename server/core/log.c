/* Time-prefixed stderr (log.h), with glibc's fopencookie. */
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int at_line_start = 1; /* of the next byte written */

size_t sg_log_time(char *buf, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n =
      snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
  return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Writes all of iov, going on after a short write; -1 on an error. */
static int write_all(struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(STDERR_FILENO, iov, n);
    if (w < 0)
      return -1;
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++, n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return 0;
}

static ssize_t on_write(void *cookie, const char *buf, size_t len) {
  (void)cookie;
  size_t done = 0;
  while (done < len) {
    const char *nl = memchr(buf + done, '\n', len - done);
    size_t seg = nl != NULL ? (size_t)(nl - (buf + done)) + 1 : len - done;
    char prefix[SG_LOG_TIME_MAX];
    struct iovec iov[2] = {{prefix, at_line_start ? sg_log_time(prefix, sizeof(prefix)) : 0},
                           {(char *)buf + done, seg}};
    if (write_all(iov, 2) != 0)
      return done > 0 ? (ssize_t)done : -1;
    at_line_start = nl != NULL;
    done += seg;
  }
  return (ssize_t)len;
}

int sg_log_init(void) {
  static const cookie_io_functions_t io = {.write = on_write};
  FILE *f = fopencookie(NULL, "w", io);
  if (f == NULL)
    return -1;
  /* Whole lines per write; a line longer than the buffer is written in
   * pieces, its prefix with the first. */
  setvbuf(f, NULL, _IOLBF, 4096);
  stderr = f;
  return 0;
}
