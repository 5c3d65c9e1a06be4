/* Process figures from /proc, for the servers under test and the load
 * generator itself: CPU time (utime + stime of /proc/PID/stat) and resident
 * memory (VmRSS of /proc/PID/status). Processes are grouped by a name given on
 * the command line (--watch nchan=PID --watch nchan=PID2) so a multi-process
 * server counts as one. */
#ifndef LG_PROC_H
#define LG_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LG_PROC_MAX 32

typedef struct lg_proc_set {
  size_t n;
  struct {
    char name[32];
    int pid;
    double cpu_s_start; /* CPU seconds at lg_proc_mark */
    double cpu_s_end;
    long rss_kb_start, rss_kb_end;
  } p[LG_PROC_MAX];
} lg_proc_set;

/* Parses "name=pid"; -1 if malformed or the set is full. */
int lg_proc_add(lg_proc_set *s, const char *spec);

/* CPU seconds so far of pid, or of this process for pid 0; -1 if gone. */
double lg_proc_cpu_s(int pid);
/* CPU seconds of a CPU-time clock (CLOCK_THREAD_CPUTIME_ID, or a thread's
 * from pthread_getcpuclockid); -1 if it cannot be read. */
double lg_proc_clock_cpu_s(clockid_t clock);
/* VmRSS in KiB, -1 if gone. */
long lg_proc_rss_kb(int pid);

void lg_proc_mark_start(lg_proc_set *s);
void lg_proc_mark_end(lg_proc_set *s);

/* Distinct group names: returns how many, and first_of[k] is the index of
 * the k-th name's first process. The group_* functions sum over a name. */
size_t lg_proc_groups(const lg_proc_set *s, size_t first_of[LG_PROC_MAX]);
double lg_proc_group_cpu_s(const lg_proc_set *s, const char *name);
long lg_proc_group_rss_kb(const lg_proc_set *s, const char *name, int at_end);

#endif
