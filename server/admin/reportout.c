/* siaga-admin report's files: three CSV tables and one SVG chart, written
 * by hand (the SVG is plain text: bars and labels, no library).
 *
 *   contacts_by_channel_category.csv  channel,category,emergency,nonemergency,prank,total
 *   contacts_by_kecamatan_hour.csv    kecamatan,00..23,total (hours of the day, WIB)
 *   response_times_by_priority.csv    priority,step,incidents,reached,p50_s,p90_s
 *   report.svg                        contacts by hour; p50/p90 to acknowledge by priority
 *
 * Names that came from Redis (categories) or the gazetteer (kecamatan) are
 * quoted for CSV and escaped for XML; a cell that a spreadsheet would take
 * for a formula (=, +, -, @) gets a leading apostrophe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/report.h"

static const char *const step_names[SG_REPORT_STEPS] = {"acknowledge", "assign", "accept",
                                                        "en_route",    "arrive", "on_scene"};
static const char *const priority_names[SG_REPORT_PRIORITIES] = {"P1", "P2", "P3", "P4", "all"};

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

long long sg_report_percentile(const sg_report_durations *d, int p) {
  if (d->n == 0 || p < 1 || p > 100)
    return -1;
  size_t rank = (d->n * (size_t)p + 99) / 100; /* ceil(n * p / 100), 1-based */
  return d->ms[rank - 1];
}

void sg_report_free(sg_report *r) {
  free(r->rows);
  free(r->places);
  for (int p = 0; p < SG_REPORT_PRIORITIES; p++)
    for (int k = 0; k < SG_REPORT_STEPS; k++)
      free(r->times[p][k].ms);
}

static void csv_cell(FILE *f, const char *s) {
  int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
  if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  if (formula)
    fputc('\'', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static void xml_text(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    default:
      fputc(*s, f);
    }
  }
}

/* Seconds with millisecond precision, exact from the stored ms. */
static void seconds(FILE *f, long long ms) {
  if (ms < 0)
    return;
  fprintf(f, "%lld.%03lld", ms / 1000, ms % 1000);
}

static int by_channel_category(const void *a, const void *b) {
  const sg_report_row *x = a, *y = b;
  int c = strcmp(x->channel, y->channel);
  return c != 0 ? c : strcmp(x->category, y->category);
}

/* Alphabetical, "unknown" last. */
static int by_kecamatan(const void *a, const void *b) {
  const sg_report_place *x = a, *y = b;
  int ux = strcmp(x->kecamatan, "unknown") == 0, uy = strcmp(y->kecamatan, "unknown") == 0;
  return ux != uy ? ux - uy : strcmp(x->kecamatan, y->kecamatan);
}

void sg_report_finish(sg_report *r) {
  for (int p = 0; p < SG_REPORT_PRIORITIES; p++)
    for (int k = 0; k < SG_REPORT_STEPS; k++)
      if (r->times[p][k].n > 1)
        qsort(r->times[p][k].ms, r->times[p][k].n, sizeof(long long), cmp_ll);
  if (r->n_rows > 1)
    qsort(r->rows, r->n_rows, sizeof(sg_report_row), by_channel_category);
  if (r->n_places > 1)
    qsort(r->places, r->n_places, sizeof(sg_report_place), by_kecamatan);
}

static void write_channels(const sg_report *r, FILE *f) {
  fputs("channel,category,emergency,nonemergency,prank,total\n", f);
  long long sum[SG_REPORT_CLASSES] = {0};
  for (size_t i = 0; i < r->n_rows; i++) {
    const sg_report_row *row = &r->rows[i];
    long long total = 0;
    csv_cell(f, row->channel);
    fputc(',', f);
    csv_cell(f, row->category);
    for (int c = 0; c < SG_REPORT_CLASSES; c++) {
      fprintf(f, ",%lld", row->n[c]);
      total += row->n[c];
      sum[c] += row->n[c];
    }
    fprintf(f, ",%lld\n", total);
  }
  fprintf(f, "all,all,%lld,%lld,%lld,%lld\n", sum[0], sum[1], sum[2], r->contacts);
}

static void write_places(const sg_report *r, FILE *f) {
  fputs("kecamatan", f);
  for (int h = 0; h < 24; h++)
    fprintf(f, ",%02d", h);
  fputs(",total\n", f);
  for (size_t i = 0; i < r->n_places; i++) {
    long long total = 0;
    csv_cell(f, r->places[i].kecamatan);
    for (int h = 0; h < 24; h++) {
      fprintf(f, ",%lld", r->places[i].hour[h]);
      total += r->places[i].hour[h];
    }
    fprintf(f, ",%lld\n", total);
  }
}

static void write_times(const sg_report *r, FILE *f) {
  fputs("priority,step,incidents,reached,p50_s,p90_s\n", f);
  for (int p = 0; p < SG_REPORT_PRIORITIES; p++)
    for (int k = 0; k < SG_REPORT_STEPS; k++) {
      const sg_report_durations *d = &r->times[p][k];
      fprintf(f, "%s,%s,%lld,%zu,", priority_names[p], step_names[k], r->incidents[p], d->n);
      seconds(f, sg_report_percentile(d, 50));
      fputc(',', f);
      seconds(f, sg_report_percentile(d, 90));
      fputc('\n', f);
    }
}

/* Bar charts in one SVG: 24 bars of contacts by hour, then two bars (p50,
 * p90) of the time to acknowledge for each priority. */
static void write_svg(const sg_report *r, FILE *f) {
  enum { W = 880, H = 640, LEFT = 60, TOP1 = 70, PLOT = 200, TOP2 = 390 };
  long long hours[24] = {0}, hmax = 1;
  for (size_t i = 0; i < r->n_places; i++)
    for (int h = 0; h < 24; h++)
      hours[h] += r->places[i].hour[h];
  for (int h = 0; h < 24; h++)
    hmax = hours[h] > hmax ? hours[h] : hmax;
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
          "<title>siaga report ",
          W, H, W, H);
  xml_text(f, r->from);
  fputs(" to ", f);
  xml_text(f, r->to);
  fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", f);
  fprintf(f, "<text x=\"%d\" y=\"30\" font-size=\"16\">Kontak per jam (contacts by hour), ", LEFT);
  xml_text(f, r->from);
  fputs(" .. ", f);
  xml_text(f, r->to);
  fprintf(f, ", " SG_REPORT_TZ_NAME ": %lld</text>\n", r->contacts);
  int bw = (W - LEFT - 40) / 24;
  for (int h = 0; h < 24; h++) {
    int bh = (int)(hours[h] * PLOT / hmax), x = LEFT + h * bw;
    fprintf(f,
            "<rect class=\"hour\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#c0392b\">"
            "<title>%02d:00 %lld</title></rect>\n",
            x + 2, TOP1 + PLOT - bh, bw - 4, bh, h, hours[h]);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%02d</text>\n", x + bw / 2,
            TOP1 + PLOT + 16, h);
    if (hours[h] > 0)
      fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%lld</text>\n", x + bw / 2,
              TOP1 + PLOT - bh - 4, hours[h]);
  }
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", LEFT, TOP1 + PLOT,
          LEFT + 24 * bw, TOP1 + PLOT);

  fprintf(f,
          "<text x=\"%d\" y=\"%d\" font-size=\"16\">Waktu sampai diterima petugas (time to "
          "acknowledge), p50 / p90, detik (s)</text>\n",
          LEFT, TOP2 - 40);
  long long tmax = 1;
  for (int p = 0; p < 4; p++) {
    long long v = sg_report_percentile(&r->times[p][SG_REPORT_ACKNOWLEDGE], 90);
    tmax = v > tmax ? v : tmax;
  }
  for (int p = 0; p < 4; p++)
    for (int q = 0; q < 2; q++) {
      long long v = sg_report_percentile(&r->times[p][SG_REPORT_ACKNOWLEDGE], q ? 90 : 50);
      int bh = v > 0 ? (int)(v * PLOT / tmax) : 0, x = LEFT + p * 190 + q * 70;
      fprintf(f,
              "<rect class=\"ack\" x=\"%d\" y=\"%d\" width=\"60\" height=\"%d\" fill=\"%s\">"
              "<title>%s p%d</title></rect>\n",
              x, TOP2 + PLOT - bh, bh, q ? "#7f8c8d" : "#2980b9", priority_names[p], q ? 90 : 50);
      fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x + 30, TOP2 + PLOT - bh - 4);
      if (v >= 0)
        seconds(f, v);
      else
        fputs("-", f);
      fputs("</text>\n", f);
    }
  for (int p = 0; p < 4; p++)
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s (p50, p90; %zu)</text>\n",
            LEFT + p * 190 + 65, TOP2 + PLOT + 16, priority_names[p],
            r->times[p][SG_REPORT_ACKNOWLEDGE].n);
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n</svg>\n", LEFT,
          TOP2 + PLOT, LEFT + 4 * 190, TOP2 + PLOT);
}

/* dir/name through dir/.name.tmp and a rename. */
static int write_file(const sg_report *r, const char *dir, const char *name,
                      void (*body)(const sg_report *, FILE *), FILE *out) {
  char path[4096], tmp[4096];
  if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
      snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= (int)sizeof(tmp)) {
    fprintf(stderr, "siaga-admin: --out is too long\n");
    return -1;
  }
  FILE *f = fopen(tmp, "w");
  if (f == NULL) {
    perror(tmp);
    return -1;
  }
  body(r, f);
  int failed = ferror(f);
  if (fclose(f) != 0 || failed || rename(tmp, path) != 0) {
    perror(path);
    unlink(tmp);
    return -1;
  }
  fprintf(out, "%s\n", path);
  return 0;
}

int sg_report_write(const sg_report *r, const char *dir, FILE *out) {
  if (write_file(r, dir, "contacts_by_channel_category.csv", write_channels, out) != 0 ||
      write_file(r, dir, "contacts_by_kecamatan_hour.csv", write_places, out) != 0 ||
      write_file(r, dir, "response_times_by_priority.csv", write_times, out) != 0 ||
      write_file(r, dir, "report.svg", write_svg, out) != 0)
    return -1;
  return 0;
}
