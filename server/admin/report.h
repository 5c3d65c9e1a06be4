/* siaga-admin report: the counts and response times a 112 centre reports
 * to the ministry, for a period of whole days in the centre's time zone.
 *
 * report.c reads Redis (blocking hiredis, pipelined in batches) into an
 * sg_report of tallies; reportout.c writes them as CSV files and one SVG
 * chart. Days are Asia/Jakarta (WIB, UTC+7, no daylight saving), the time
 * zone of Palangka Raya's neighbours in the ministry's tables. */
#ifndef SG_REPORT_H
#define SG_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "admin/admin.h"

#define SG_REPORT_TZ_OFFSET_MS (7LL * 3600 * 1000) /* WIB = UTC+7 all year */
#define SG_REPORT_TZ_NAME "Asia/Jakarta (WIB, UTC+7)"

/* What a contact was, once the centre had seen it. */
typedef enum sg_report_class {
  SG_REPORT_EMERGENCY = 0,
  SG_REPORT_NONEMERGENCY, /* triaged (or set by a dispatcher) as nonemergency */
  SG_REPORT_PRANK,        /* from a number marked as prank, then or since */
  SG_REPORT_CLASSES
} sg_report_class;

/* The steps of a response, each timed from the incident's opening but the
 * last, which is how long units stayed from the first arrival until the
 * last one cleared. */
typedef enum sg_report_step {
  SG_REPORT_ACKNOWLEDGE = 0, /* first time a dispatcher took it out of OPEN */
  SG_REPORT_ASSIGN,          /* first unit offered */
  SG_REPORT_ACCEPT,          /* first unit accepted */
  SG_REPORT_EN_ROUTE,        /* first unit en route */
  SG_REPORT_ARRIVE,          /* first unit on scene */
  SG_REPORT_ON_SCENE,        /* first on scene to last cleared */
  SG_REPORT_STEPS
} sg_report_step;

#define SG_REPORT_PRIORITIES 5 /* P1..P4, then every incident together */

typedef struct sg_report_row {
  char channel[8];   /* "app", "sms", "aml", "other" */
  char category[24]; /* as triaged, or as the report said when not yet triaged */
  long long n[SG_REPORT_CLASSES];
} sg_report_row;

typedef struct sg_report_place {
  char kecamatan[40]; /* "unknown" when no place of the gazetteer was named */
  long long hour[24]; /* contacts by hour of the day, WIB */
} sg_report_place;

typedef struct sg_report_durations {
  long long *ms; /* owned; sorted by sg_report_finish */
  size_t n, cap;
} sg_report_durations;

typedef struct sg_report {
  char from[11], to[11];    /* YYYY-MM-DD as given */
  long long from_ms, to_ms; /* [from 00:00 WIB, the day after `to` 00:00 WIB) */
  long long contacts;
  sg_report_row *rows; /* owned */
  size_t n_rows;
  sg_report_place *places; /* owned */
  size_t n_places;
  long long incidents[SG_REPORT_PRIORITIES]; /* opened in the period, merges not counted */
  sg_report_durations times[SG_REPORT_PRIORITIES][SG_REPORT_STEPS];
} sg_report;

/* "report --from DATE --to DATE [--out DIR]": argv after "report". Returns
 * the exit status, 2 for a usage error. */
int sg_admin_report_command(sg_admin *a, int argc, char **argv);

/* Start of day YYYY-MM-DD in WIB as Unix epoch ms. SG_EINVAL for anything
 * but a real calendar date between 2000 and 2999. */
int sg_report_day_start(const char *date, long long *ms);

/* Sorts the duration lists and the tables, before the writers read them. */
void sg_report_finish(sg_report *r);

/* Nearest-rank percentile (p in 1..100) of a sorted list: the smallest value
 * with at least p% of the list at or below it. -1 for an empty list. */
long long sg_report_percentile(const sg_report_durations *d, int p);

/* Writes the CSV files and the SVG chart into dir (which must exist), each
 * to a temporary name first and renamed into place, so a reader never
 * sees half a file. Prints each file written to out. 0, or -1 with a
 * message on stderr. */
int sg_report_write(const sg_report *r, const char *dir, FILE *out);

void sg_report_free(sg_report *r);

#endif
