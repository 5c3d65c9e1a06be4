/* Log lines with their time. siagad and the worker write their lines to
 * stderr with fprintf; sg_log_init makes stderr a stream that starts every
 * line with its RFC 3339 UTC time, "2026-12-04T17:59:48.123Z ", so no call
 * site changes. A line goes to fd 2 in one writev with its prefix, so the
 * lines of several processes sharing the fd (siagad --processes) do not
 * interleave (up to PIPE_BUF bytes on a pipe). */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stddef.h>

/* Replaces stderr, once, first thing in main (before any thread). 0, or -1
 * if the stream could not be made (stderr is then unchanged). */
int sg_log_init(void);

/* The prefix for the time now into buf (at least SG_LOG_TIME_MAX bytes);
 * returns its length. */
#define SG_LOG_TIME_MAX 32
size_t sg_log_time(char *buf, size_t size);

#endif
