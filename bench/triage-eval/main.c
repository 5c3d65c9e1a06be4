/* siaga-triage-eval: how well the text reader and the triage rules read what
 * people write, measured on labelled corpora (bench/data/triage-*.tsv, format
 * at the top of each file). Each message goes the way a plain SMS goes through
 * the Kannel webhook: sg_sms_form_report (textscan with the gazetteer, the
 * category when confident, the address), then sg_rules_evaluate (category,
 * cues, score, priority), as the worker does.
 *
 *   siaga-triage-eval [-v] [-g GAZETTEER] FILE...   one block of figures per file
 *   siaga-triage-eval -t [-g GAZETTEER]             time the scan of a 4 KB text
 *
 * -v lists every message that missed (use it on the dev split only: the
 * held-out split is never tuned on). Exit status 0 unless a file is unreadable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "sms/form.h"
#include "text/textscan.h"
#include "triage/rules.h"

#define LINE_MAX_BYTES 8192

typedef struct figures {
  int n;
  int category_ok;
  int priority_ok;
  int p1, p1_found;
  int under;         /* P1/P2 given two or more levels lower */
  int kel_named, kel_ok, kel_false;
} figures;

static const char *priority_name(int p) {
  static const char *const names[] = {"P?", "P1", "P2", "P3", "P4"};
  return p >= 0 && p <= 4 ? names[p] : "P?";
}

/* The kelurahan inside "..., Kel. Menteng, Kec. Jekan Raya", or "". */
static void address_kelurahan(const char *address, char *out, size_t size) {
  const char *k = address ? strstr(address, "Kel. ") : NULL;
  out[0] = '\0';
  if (!k)
    return;
  k += 5;
  size_t n = strcspn(k, ",");
  if (n >= size)
    n = size - 1;
  memcpy(out, k, n);
  out[n] = '\0';
}

static void evaluate(const sg_textscan_gazetteer *gaz, const char *text, size_t len,
                     sg_rules_result *res, char *kel, size_t kel_size) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  char address[256] = "", desc[512] = "";
  r.category = "";
  sg_sms_form_report(gaz, text, len, &r, &loc, address, sizeof address, desc, sizeof desc);
  sg_rules_evaluate(&r, res);
  address_kelurahan(r.location ? r.location->address : NULL, kel, kel_size);
}

static int run_file(const sg_textscan_gazetteer *gaz, const char *path, int verbose) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    return -1;
  }
  static char line[LINE_MAX_BYTES], text[LINE_MAX_BYTES];
  figures fg = {0};
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0' || strncmp(line, "id\t", 3) == 0)
      continue;
    char *field[5];
    char *p = line;
    int nf = 0;
    for (; nf < 5 && p; nf++) {
      field[nf] = p;
      p = nf < 4 ? strchr(p, '\t') : NULL;
      if (p)
        *p++ = '\0';
    }
    if (nf < 5 || field[2][0] != 'P') {
      fprintf(stderr, "%s: bad line: %s\n", path, line);
      continue;
    }
    size_t len = corpus_unescape(field[4], text, sizeof text);
    sg_rules_result res;
    char kel[64];
    evaluate(gaz, text, len, &res, kel, sizeof kel);
    int want_p = field[2][1] - '0';
    int got_p = (int)res.priority;
    int cat_ok = strcmp(res.category, field[1]) == 0;
    int kel_want = strcmp(field[3], "-") != 0;
    int kel_good = kel_want ? strcmp(kel, field[3]) == 0 : kel[0] == '\0';
    fg.n++;
    fg.category_ok += cat_ok;
    fg.priority_ok += got_p == want_p;
    if (want_p == 1) {
      fg.p1++;
      fg.p1_found += got_p == 1;
    }
    if (want_p <= 2 && got_p - want_p >= 2)
      fg.under++;
    if (kel_want) {
      fg.kel_named++;
      fg.kel_ok += kel_good;
    } else if (kel[0]) {
      fg.kel_false++;
    }
    if (verbose && (!cat_ok || got_p != want_p || !kel_good)) {
      printf("  %-5s want %-12s %s %-16s got %-12s %s(%3d) %-16s | %s\n", field[0], field[1],
             field[2], field[3], res.category, priority_name(got_p), res.score, kel[0] ? kel : "-",
             text);
      for (size_t k = 0; k < res.n_reasons; k++)
        printf("        %+4d %s: %s\n", res.reasons[k].points, res.reasons[k].rule,
               res.reasons[k].detail);
    }
  }
  fclose(f);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  double n = fg.n ? fg.n : 1;
  printf("%-22s n=%-4d category %5.1f%%  priority %5.1f%%  P1 recall %5.1f%% (%d of %d)  "
         "under-triage %d  kelurahan %5.1f%% (%d of %d named, %d false)\n",
         base, fg.n, 100.0 * fg.category_ok / n, 100.0 * fg.priority_ok / n,
         fg.p1 ? 100.0 * fg.p1_found / fg.p1 : 0.0, fg.p1_found, fg.p1, fg.under,
         fg.kel_named ? 100.0 * fg.kel_ok / fg.kel_named : 0.0, fg.kel_ok, fg.kel_named,
         fg.kel_false);
  return 0;
}

/* The cost of reading the longest text allowed: a 4 KB description made of
 * real-style sentences, scanned with the gazetteer as the SMS path does. */
static void run_timing(const sg_textscan_gazetteer *gaz) {
  static const char sentence[] =
      "tolong ada kebakaran rumah di jl. rajawali gg. 3 menteng, api sdh besar, nenek msh di "
      "dlm kamar ga bisa keluar, asap tebal bgt. ";
  char text[SG_TEXTSCAN_MAX_INPUT];
  size_t o = 0, sl = sizeof sentence - 1;
  while (o + sl <= sizeof text) {
    memcpy(text + o, sentence, sl);
    o += sl;
  }
  const char *sms = "kebakaran rumah di jl rajawali menteng, tolong cepat";
  sg_textscan_result res;
  for (int pass = 0; pass < 2; pass++) {
    const char *t = pass ? sms : text;
    size_t len = pass ? strlen(sms) : o;
    int iters = pass ? 20000 : 200;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < iters; i++)
      sg_textscan_scan(gaz, t, len, &res);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / iters;
    printf("scan %4zu bytes: %.4f ms (%.1f ns/byte, %.0f texts/s on one core)\n", len, ms,
           ms * 1e6 / (double)len, 1e3 / ms);
  }
}

int main(int argc, char **argv) {
  const char *gaz_path = "data/gazetteer/palangka-raya.tsv";
  int verbose = 0, timing = 0, i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-v") == 0)
      verbose = 1;
    else if (strcmp(argv[i], "-t") == 0)
      timing = 1;
    else if (strcmp(argv[i], "-g") == 0 && i + 1 < argc)
      gaz_path = argv[++i];
    else {
      fprintf(stderr, "usage: %s [-v] [-t] [-g GAZETTEER] FILE...\n", argv[0]);
      return 2;
    }
  }
  sg_textscan_gazetteer *gaz = NULL;
  int bad = 0;
  int rc = sg_textscan_gazetteer_load(gaz_path, &gaz, &bad);
  if (rc < 0) {
    fprintf(stderr, "%s: %s (line %d)\n", gaz_path, sg_strerror(rc), bad);
    return 1;
  }
  int status = 0;
  if (timing)
    run_timing(gaz);
  for (; i < argc; i++)
    if (run_file(gaz, argv[i], verbose) < 0)
      status = 1;
  sg_textscan_gazetteer_destroy(gaz);
  return status;
}
