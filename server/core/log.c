/* logfmt lines to fd 2 (log.h); stderr wrapped with glibc's fopencookie. */
#include "core/log.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/utf8.h"

/* Set once from main before any thread or fork (log.h), read after. */
static sg_log_level min_level = SG_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sg_log_set_level(sg_log_level level) {
  min_level = level;
}

int sg_log_level_parse(const char *name, sg_log_level *out) {
  for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
    if (name != NULL && strcmp(name, level_names[i]) == 0) {
      *out = (sg_log_level)i;
      return 0;
    }
  }
  return -1;
}

int sg_log_enabled(sg_log_level level) {
  return level >= min_level;
}

size_t sg_log_time(char *buf, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n =
      snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
  return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* ---- one line ---- */

/* The worst case of one escaped value: every byte as \u00XX, the quotes and
 * the "..." of a cut value. */
#define VALUE_OUT_MAX (SG_LOG_VALUE_MAX * 6 + 8)
#define CUT_MARK " cut=1"

typedef struct {
  char *buf;
  size_t len, cap; /* cap leaves room for CUT_MARK, '\n' and NUL */
  int cut;
} line;

/* Appends s whole, or marks the line cut: a field is never half-written. */
static void put2(line *l, const char *a, size_t an, const char *b, size_t bn) {
  if (l->cut || an + bn > l->cap - l->len) {
    l->cut = 1;
    return;
  }
  memcpy(l->buf + l->len, a, an);
  memcpy(l->buf + l->len + an, b, bn);
  l->len += an + bn;
}

static void put(line *l, const char *s, size_t n) {
  put2(l, s, n, "", 0);
}

static int is_plain(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
}

/* s[0..n) as a logfmt value into out (VALUE_OUT_MAX bytes); its length. */
static size_t escape_value(char *out, const char *s, size_t n) {
  int cut = n > SG_LOG_VALUE_MAX;
  if (cut)
    n = SG_LOG_VALUE_MAX;
  int plain = n > 0 && !cut;
  for (size_t i = 0; plain && i < n; i++)
    plain = is_plain((unsigned char)s[i]);
  if (plain) {
    memcpy(out, s, n);
    return n;
  }
  size_t o = 0;
  out[o++] = '"';
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80) {
      size_t start = i;
      long cp = sg_utf8_next(s, n, &i);
      if (cp < 0) { /* cut inside a sequence at the cap, or invalid */
        memcpy(out + o, "\xEF\xBF\xBD", 3);
        o += 3;
      } else if (cp < 0xA0) { /* C1 controls */
        o += (size_t)snprintf(out + o, 7, "\\u%04lx", cp);
      } else {
        memcpy(out + o, s + start, i - start);
        o += i - start;
      }
      continue;
    }
    i++;
    switch (c) {
    case '"':
      out[o++] = '\\', out[o++] = '"';
      break;
    case '\\':
      out[o++] = '\\', out[o++] = '\\';
      break;
    case '\n':
      out[o++] = '\\', out[o++] = 'n';
      break;
    case '\r':
      out[o++] = '\\', out[o++] = 'r';
      break;
    case '\t':
      out[o++] = '\\', out[o++] = 't';
      break;
    default:
      if (c < 0x20 || c == 0x7f)
        o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
      else
        out[o++] = (char)c;
    }
  }
  if (cut) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o++] = '"';
  return o;
}

#define OMIT ((size_t)-1)

/* One conversion of fmt at *pf (just after '%'): its value into v
 * (VALUE_OUT_MAX bytes); returns its length, or OMIT to leave the field out
 * (a NULL %s, a 0 with %.0d as printf writes nothing for it). */
static size_t conversion(char *v, const char **pf, va_list *ap) {
  const char *f = *pf;
  int prec = -1;
  if (*f == '.') {
    f++;
    if (*f == '*') {
      prec = va_arg(*ap, int);
      f++;
    } else {
      prec = 0;
      while (*f >= '0' && *f <= '9' && prec < 100)
        prec = prec * 10 + (*f++ - '0');
    }
  }
  int longs = 0, size_t_len = 0;
  while (*f == 'l')
    longs++, f++;
  if (*f == 'z')
    size_t_len = 1, f++;
  int n = 0;
  char conv = *f != '\0' ? *f++ : '\0';
  switch (conv) {
  case 's': {
    const char *s = va_arg(*ap, const char *);
    *pf = f;
    if (s == NULL)
      return OMIT;
    return escape_value(v, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
  }
  case 'c': {
    char c = (char)va_arg(*ap, int);
    *pf = f;
    return escape_value(v, &c, 1);
  }
  case 'd':
  case 'i': {
    long long d = size_t_len   ? va_arg(*ap, ssize_t)
                  : longs >= 2 ? va_arg(*ap, long long)
                  : longs == 1 ? va_arg(*ap, long)
                               : va_arg(*ap, int);
    *pf = f;
    if (d == 0 && prec == 0)
      return OMIT;
    n = snprintf(v, 64, "%lld", d);
    break;
  }
  case 'u':
  case 'x': {
    unsigned long long u = size_t_len   ? va_arg(*ap, size_t)
                           : longs >= 2 ? va_arg(*ap, unsigned long long)
                           : longs == 1 ? va_arg(*ap, unsigned long)
                                        : va_arg(*ap, unsigned);
    *pf = f;
    if (u == 0 && prec == 0)
      return OMIT;
    n = snprintf(v, 64, conv == 'u' ? "%llu" : "%llx", u);
    break;
  }
  case 'f':
  case 'g':
    n = snprintf(v, 64, conv == 'f' ? "%.*f" : "%.*g", prec >= 0 ? prec : 6, va_arg(*ap, double));
    break;
  case '%':
    n = 1, v[0] = '%';
    break;
  default: /* not one log.h allows: nothing more of the format is trusted */
    f += strlen(f);
    break;
  }
  *pf = f;
  return n > 0 ? ((size_t)n < 64 ? (size_t)n : 63) : 0;
}

static size_t format_v(char *buf, size_t size, sg_log_level level, const char *event,
                       const char *fmt, va_list ap) {
  if (size < sizeof(CUT_MARK) + 2)
    return 0;
  line l = {buf, 0, size - sizeof(CUT_MARK) - 1, 0};
  char t[SG_LOG_TIME_MAX];
  put(&l, "time=", 5);
  put(&l, t, sg_log_time(t, sizeof(t)));
  put(&l, " level=", 7);
  const char *name = level_names[level <= SG_LOG_ERROR ? level : SG_LOG_ERROR];
  put(&l, name, strlen(name));
  char v[VALUE_OUT_MAX];
  put2(&l, " event=", 7, v,
       escape_value(v, event != NULL ? event : "", event != NULL ? strlen(event) : 0));
  if (fmt != NULL && *fmt != '\0')
    put(&l, " ", 1);
  va_list aq;
  va_copy(aq, ap);
  /* A key and its value go in together, or not at all. */
  for (const char *f = fmt; f != NULL && *f != '\0';) {
    const char *pct = strchr(f, '%');
    size_t n = pct != NULL ? (size_t)(pct - f) : strlen(f);
    const char *key = f;
    f += n;
    size_t vn = 0;
    if (*f == '%') {
      f++;
      if ((vn = conversion(v, &f, &aq)) == OMIT)
        continue;
    }
    if (n > 0 && key[0] == ' ' && l.len > 0 && buf[l.len - 1] == ' ')
      key++, n--; /* the field before was left out */
    put2(&l, key, n, v, vn);
  }
  while (l.len > 0 && buf[l.len - 1] == ' ')
    l.len--;
  va_end(aq);
  if (l.cut) {
    memcpy(buf + l.len, CUT_MARK, sizeof(CUT_MARK) - 1);
    l.len += sizeof(CUT_MARK) - 1;
  }
  buf[l.len++] = '\n';
  buf[l.len] = '\0';
  return l.len;
}

size_t sg_log_format(char *buf, size_t size, sg_log_level level, const char *event, const char *fmt,
                     ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = format_v(buf, size, level, event, fmt, ap);
  va_end(ap);
  return n;
}

/* Writes all of buf to fd 2, going on after a short write. */
static void write_all(const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(STDERR_FILENO, buf, len);
    if (w <= 0)
      return; /* nowhere left to say so */
    buf += w;
    len -= (size_t)w;
  }
}

void sg_log_v(sg_log_level level, const char *event, const char *fmt, va_list ap) {
  if (!sg_log_enabled(level))
    return;
  char buf[SG_LOG_LINE_MAX];
  write_all(buf, format_v(buf, sizeof(buf), level, event, fmt, ap));
}

void sg_log(sg_log_level level, const char *event, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sg_log_v(level, event, fmt, ap);
  va_end(ap);
}

/* ---- stderr as a filter ---- */

/* The line being gathered from stderr's writes; a longer one is logged in
 * pieces. */
static char pending[SG_LOG_VALUE_MAX];
static size_t pending_len;

static void flush_pending(void) {
  size_t n = pending_len;
  while (n > 0 && (pending[n - 1] == '\n' || pending[n - 1] == '\r'))
    n--;
  if (n > 0)
    sg_log(SG_LOG_WARN, "stderr", "msg=%.*s", (int)n, pending);
  pending_len = 0;
}

static ssize_t on_write(void *cookie, const char *buf, size_t len) {
  (void)cookie;
  for (size_t i = 0; i < len; i++) {
    pending[pending_len++] = buf[i];
    if (buf[i] == '\n' || pending_len == sizeof(pending))
      flush_pending();
  }
  return (ssize_t)len;
}

int sg_log_init(void) {
  static const cookie_io_functions_t io = {.write = on_write};
  FILE *f = fopencookie(NULL, "w", io);
  if (f == NULL)
    return -1;
  setvbuf(f, NULL, _IOLBF, 4096);
  stderr = f;
  return 0;
}
