/* Logs as one logfmt line per event, to stderr, for journald:
 *
 *   time=2026-12-04T18:40:46.123Z level=info event=report.accepted region=plk ms=1.2
 *
 * sg_log(level, event, "key=%s n=%d", ...) writes the line: the format names
 * the fields, each conversion is one value. A %s value is outside input as
 * often as not (a citizen's text, a header), so it is written as logfmt
 * wants: bare when it is plain, else in double quotes with \" \\ \n \r \t
 * and \u00XX for the other control bytes, invalid UTF-8 as U+FFFD, and cut
 * at SG_LOG_VALUE_MAX bytes (ending "..."): a value never breaks a line or
 * forges a field. A line is at most SG_LOG_LINE_MAX bytes and goes to fd 2
 * in one write, so the lines of several processes sharing the fd (siagad
 * --processes) do not interleave.
 *
 * State: the lowest level written, set once from main (sg_log_set_level)
 * before any thread or fork; info until then. sg_log_init also makes stderr
 * a stream that wraps every other line written to it (a library's, a stray
 * fprintf) as `level=warn event=stderr msg="..."`, so everything on fd 2 is
 * logfmt. */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
  SG_LOG_DEBUG = 0,
  SG_LOG_INFO = 1,
  SG_LOG_WARN = 2,
  SG_LOG_ERROR = 3,
} sg_log_level;

#define SG_LOG_VALUE_MAX 512
#define SG_LOG_LINE_MAX 4000 /* below PIPE_BUF: one write is one line */

/* Replaces stderr, once, first thing in main (before any thread). 0, or -1
 * if the stream could not be made (stderr is then unchanged). */
int sg_log_init(void);

/* The lowest level written from now on; once, from main. */
void sg_log_set_level(sg_log_level level);

/* "debug", "info", "warn" or "error" into *out: 0, or -1 for anything else. */
int sg_log_level_parse(const char *name, sg_log_level *out);

/* Whether a line of this level is written (to skip building costly fields). */
int sg_log_enabled(sg_log_level level);

/* Writes one line (see above). fmt holds `key=` literals and conversions:
 * %s (%.*s), %c, %d %i %u %x with no, l, ll or z length, and %f %g (with a
 * precision). A conversion is a whole value. A field whose %s is NULL, or
 * whose %.0d (%.0u ...) is 0, is left out with its key. event is a dotted
 * name of the program's. */
void sg_log(sg_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sg_log_v(sg_log_level level, const char *event, const char *fmt, va_list ap);

/* The line sg_log would write, into buf (NUL-terminated, newline included);
 * returns its length. For tests, and for writing elsewhere than fd 2. */
size_t sg_log_format(char *buf, size_t size, sg_log_level level, const char *event, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

/* The time now as RFC 3339 UTC with milliseconds, "2026-12-04T17:59:48.123Z",
 * into buf (at least SG_LOG_TIME_MAX bytes); returns its length. */
#define SG_LOG_TIME_MAX 32
size_t sg_log_time(char *buf, size_t size);

#endif
