/* The metrics registry (metrics.h). A few dozen series registered at start:
 * families and their series are plain arrays searched linearly, and each
 * series is its own allocation so the pointers handed out never move. */
#include "core/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/error.h"

struct sg_metrics_histogram {
  size_t n;
  double bounds[SG_METRICS_BUCKETS_MAX];
  uint64_t counts[SG_METRICS_BUCKETS_MAX + 1]; /* not cumulative; the last is +Inf */
  double sum;
  uint64_t count;
};

typedef struct series {
  char *labels; /* "" for none */
  uint64_t value;
  sg_metrics_read_cb read; /* or NULL: value is the count */
  const void *data;
  sg_metrics_histogram hist;
} series;

typedef struct family {
  char *name, *help;
  sg_metrics_type type;
  series **series;
  size_t n;
} family;

struct sg_metrics {
  family *families;
  size_t n;
  double started; /* Unix time of sg_metrics_create */
};

static double read_started(const void *data) {
  return ((const sg_metrics *)data)->started;
}

sg_metrics *sg_metrics_create(void) {
  sg_metrics *m = calloc(1, sizeof(*m));
  struct timeval tv;
  if (m == NULL)
    return NULL;
  gettimeofday(&tv, NULL);
  m->started = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
  if (sg_metrics_read(m, SG_METRICS_GAUGE, "process_start_time_seconds",
                      "Start time of the process since the Unix epoch, in seconds", NULL,
                      read_started, m) != 0) {
    sg_metrics_destroy(m);
    return NULL;
  }
  return m;
}

void sg_metrics_destroy(sg_metrics *m) {
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n; i++) {
    family *f = &m->families[i];
    for (size_t j = 0; j < f->n; j++) {
      free(f->series[j]->labels);
      free(f->series[j]);
    }
    free(f->series);
    free(f->name);
    free(f->help);
  }
  free(m->families);
  free(m);
}

static int name_valid(const char *s) {
  if (s == NULL ||
      !(s[0] == '_' || s[0] == ':' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return 0;
  return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:") == strlen(s);
}

/* The series of name and labels, added if new; NULL on out of memory or a
 * type that does not match the name's. *added says whether it is new. */
static series *series_of(sg_metrics *m, sg_metrics_type type, const char *name, const char *help,
                         const char *labels, int *added) {
  if (!name_valid(name) || help == NULL || strchr(help, '\n') != NULL)
    return NULL;
  if (labels == NULL)
    labels = "";
  family *f = NULL;
  for (size_t i = 0; i < m->n && f == NULL; i++)
    if (strcmp(m->families[i].name, name) == 0)
      f = &m->families[i];
  if (f != NULL && f->type != type)
    return NULL;
  for (size_t j = 0; f != NULL && j < f->n; j++)
    if (strcmp(f->series[j]->labels, labels) == 0) {
      *added = 0;
      return f->series[j];
    }
  series *s = calloc(1, sizeof(*s)), **grown = NULL;
  if (s == NULL || (s->labels = strdup(labels)) == NULL)
    goto fail;
  if (f == NULL) {
    family *more = realloc(m->families, (m->n + 1) * sizeof(*more));
    if (more == NULL)
      goto fail;
    m->families = more;
    f = &m->families[m->n];
    memset(f, 0, sizeof(*f));
    f->type = type;
    if ((f->name = strdup(name)) == NULL || (f->help = strdup(help)) == NULL) {
      free(f->name);
      goto fail;
    }
    m->n++;
  }
  if ((grown = realloc(f->series, (f->n + 1) * sizeof(*grown))) == NULL)
    goto fail;
  f->series = grown;
  f->series[f->n++] = s;
  *added = 1;
  return s;

fail:
  if (s != NULL)
    free(s->labels);
  free(s);
  return NULL;
}

uint64_t *sg_metrics_counter(sg_metrics *m, const char *name, const char *help,
                             const char *labels) {
  int added;
  series *s = series_of(m, SG_METRICS_COUNTER, name, help, labels, &added);
  return s == NULL || s->read != NULL ? NULL : &s->value;
}

int sg_metrics_read(sg_metrics *m, sg_metrics_type type, const char *name, const char *help,
                    const char *labels, sg_metrics_read_cb read, const void *data) {
  int added;
  if (type == SG_METRICS_HISTOGRAM || read == NULL)
    return SG_EINVAL;
  series *s = series_of(m, type, name, help, labels, &added);
  if (s == NULL)
    return SG_ENOMEM;
  if (!added)
    return SG_EINVAL; /* one reader per series */
  s->read = read;
  s->data = data;
  return 0;
}

sg_metrics_histogram *sg_metrics_histogram_add(sg_metrics *m, const char *name, const char *help,
                                               const char *labels, const double *bounds, size_t n) {
  if (n == 0 || n > SG_METRICS_BUCKETS_MAX)
    return NULL;
  for (size_t i = 1; i < n; i++)
    if (!(bounds[i] > bounds[i - 1]))
      return NULL;
  int added;
  series *s = series_of(m, SG_METRICS_HISTOGRAM, name, help, labels, &added);
  if (s == NULL)
    return NULL;
  if (added) {
    s->hist.n = n;
    memcpy(s->hist.bounds, bounds, n * sizeof(bounds[0]));
  }
  return &s->hist;
}

void sg_metrics_observe(sg_metrics_histogram *h, double value) {
  size_t i = 0;
  while (i < h->n && value > h->bounds[i])
    i++;
  h->counts[i]++;
  h->sum += value;
  h->count++;
}

/* ---- rendering ---- */

typedef struct out {
  char *buf;
  size_t len, cap;
  int failed;
} out;

static void put(out *o, const char *fmt, ...) {
  for (int tries = 0; tries < 2 && !o->failed; tries++) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      o->failed = 1;
    } else if ((size_t)n < o->cap - o->len) {
      o->len += (size_t)n;
      return;
    } else {
      size_t cap = (o->cap + (size_t)n + 1) * 2;
      char *bigger = realloc(o->buf, cap);
      if (bigger == NULL)
        o->failed = 1;
      else
        o->buf = bigger, o->cap = cap;
    }
  }
}

/* The shortest text that reads back as v (0.005, not 0.0050000000000000001),
 * or the special values as Prometheus spells them. */
static void format_double(char buf[32], double v) {
  if (isnan(v)) {
    snprintf(buf, 32, "NaN");
    return;
  }
  if (isinf(v)) {
    snprintf(buf, 32, v > 0 ? "+Inf" : "-Inf");
    return;
  }
  for (int precision = 1; precision <= 17; precision++) {
    snprintf(buf, 32, "%.*g", precision, v);
    if (strtod(buf, NULL) == v)
      return;
  }
}

static void put_double(out *o, double v) {
  char buf[32];
  format_double(buf, v);
  put(o, "%s", buf);
}

static void put_labels(out *o, const char *labels, const char *extra) {
  if (labels[0] == '\0' && extra == NULL)
    return;
  put(o, "{%s%s%s}", labels, labels[0] != '\0' && extra != NULL ? "," : "",
      extra != NULL ? extra : "");
}

static void put_histogram(out *o, const char *name, const series *s) {
  const sg_metrics_histogram *h = &s->hist;
  uint64_t cumulative = 0;
  char le[48], bound[32];
  for (size_t i = 0; i <= h->n; i++) {
    cumulative += h->counts[i];
    format_double(bound, i < h->n ? h->bounds[i] : INFINITY);
    snprintf(le, sizeof(le), "le=\"%s\"", bound);
    put(o, "%s_bucket", name);
    put_labels(o, s->labels, le);
    put(o, " %llu\n", (unsigned long long)cumulative);
  }
  put(o, "%s_sum", name);
  put_labels(o, s->labels, NULL);
  put(o, " ");
  put_double(o, h->sum);
  put(o, "\n%s_count", name);
  put_labels(o, s->labels, NULL);
  put(o, " %llu\n", (unsigned long long)h->count);
}

char *sg_metrics_render(const sg_metrics *m, size_t *len) {
  static const char *const types[] = {"counter", "gauge", "histogram"};
  out o = {malloc(4096), 0, 4096, 0};
  if (o.buf == NULL)
    return NULL;
  o.buf[0] = '\0';
  for (size_t i = 0; i < m->n; i++) {
    const family *f = &m->families[i];
    put(&o, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, types[f->type]);
    for (size_t j = 0; j < f->n; j++) {
      const series *s = f->series[j];
      if (f->type == SG_METRICS_HISTOGRAM) {
        put_histogram(&o, f->name, s);
        continue;
      }
      put(&o, "%s", f->name);
      put_labels(&o, s->labels, NULL);
      if (s->read != NULL) {
        put(&o, " ");
        put_double(&o, s->read(s->data));
        put(&o, "\n");
      } else {
        put(&o, " %llu\n", (unsigned long long)s->value);
      }
    }
  }
  if (o.failed) {
    free(o.buf);
    return NULL;
  }
  *len = o.len;
  return o.buf;
}
