#include "lg_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int lg_proc_add(lg_proc_set *s, const char *spec) {
  const char *eq = strchr(spec, '=');
  if (eq == NULL || eq == spec || (size_t)(eq - spec) >= sizeof(s->p[0].name) || s->n == LG_PROC_MAX)
    return -1;
  char *end;
  long pid = strtol(eq + 1, &end, 10);
  if (*end != '\0' || pid <= 0)
    return -1;
  memset(&s->p[s->n], 0, sizeof(s->p[0]));
  memcpy(s->p[s->n].name, spec, (size_t)(eq - spec));
  s->p[s->n].pid = (int)pid;
  s->n++;
  return 0;
}

double lg_proc_clock_cpu_s(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0)
    return -1;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double lg_proc_cpu_s(int pid) {
  if (pid == 0) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  }
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* The command name (field 2) may hold spaces and parentheses: count fields
   * from the last ')'. utime and stime are fields 14 and 15. */
  char *p = strrchr(buf, ')');
  if (p == NULL)
    return -1;
  unsigned long long ut = 0, st = 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long lg_proc_rss_kb(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  long kb = -1;
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kb;
}

void lg_proc_mark_start(lg_proc_set *s) {
  for (size_t i = 0; i < s->n; i++) {
    s->p[i].cpu_s_start = lg_proc_cpu_s(s->p[i].pid);
    s->p[i].rss_kb_start = lg_proc_rss_kb(s->p[i].pid);
  }
}

void lg_proc_mark_end(lg_proc_set *s) {
  for (size_t i = 0; i < s->n; i++) {
    s->p[i].cpu_s_end = lg_proc_cpu_s(s->p[i].pid);
    s->p[i].rss_kb_end = lg_proc_rss_kb(s->p[i].pid);
  }
}

size_t lg_proc_groups(const lg_proc_set *s, size_t first_of[LG_PROC_MAX]) {
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++) {
    size_t j = 0;
    while (j < i && strcmp(s->p[j].name, s->p[i].name) != 0)
      j++;
    if (j == i)
      first_of[n++] = i;
  }
  return n;
}

double lg_proc_group_cpu_s(const lg_proc_set *s, const char *name) {
  double sum = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (strcmp(s->p[i].name, name) == 0 && s->p[i].cpu_s_start >= 0 && s->p[i].cpu_s_end >= 0)
      sum += s->p[i].cpu_s_end - s->p[i].cpu_s_start;
  }
  return sum;
}

long lg_proc_group_rss_kb(const lg_proc_set *s, const char *name, int at_end) {
  long sum = 0;
  for (size_t i = 0; i < s->n; i++) {
    long v = at_end ? s->p[i].rss_kb_end : s->p[i].rss_kb_start;
    if (strcmp(s->p[i].name, name) == 0 && v > 0)
      sum += v;
  }
  return sum;
}
