/* Scoring the triage corpus (bench/data/triage-*.tsv, format at the top of
 * triage-heldout.tsv): each message goes the way a plain SMS goes through the
 * Kannel webhook (sg_sms_form_report, then sg_rules_evaluate) and is compared
 * with its labels. Shared by bench/triage-eval (the figures) and
 * tests/unit/test_reading_corpus.c (the floors). Header only, like corpus.h. */
#ifndef SG_TEST_TRIAGE_EVAL_H
#define SG_TEST_TRIAGE_EVAL_H

#include <stdio.h>
#include <string.h>

#include "corpus.h"
#include "sms/form.h"
#include "text/textscan.h"
#include "triage/rules.h"

typedef struct triage_figures {
  int n;
  int category_ok;
  int priority_ok;
  int p1, p1_found;
  int under; /* P1/P2 given two or more levels lower */
  int kel_named, kel_ok, kel_false;
} triage_figures;

/* The kelurahan inside "..., Kel. Menteng, Kec. Jekan Raya", or "". */
static inline void triage_eval_kelurahan(const char *address, char *out, size_t size) {
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

static inline void triage_eval_message(const sg_textscan_gazetteer *gaz, const char *text,
                                       size_t len, sg_rules_result *res, char *kel,
                                       size_t kel_size) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  char address[256] = "", desc[512] = "";
  r.category = "";
  sg_sms_form_report(gaz, text, len, &r, &loc, address, sizeof address, desc, sizeof desc);
  sg_rules_evaluate(&r, res);
  triage_eval_kelurahan(r.location ? r.location->address : NULL, kel, kel_size);
}

/* Scores every message of the file into *fg; with verbose, prints each miss
 * and its reasons. Returns -1 if the file cannot be read or a line is bad. */
static inline int triage_eval_file(const sg_textscan_gazetteer *gaz, const char *path, int verbose,
                                   triage_figures *fg) {
  static char line[8192], text[8192];
  FILE *f = fopen(path, "r");
  int status = 0;
  memset(fg, 0, sizeof *fg);
  if (!f)
    return -1;
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
    if (nf < 5 || field[2][0] != 'P' || field[2][1] < '1' || field[2][1] > '4') {
      fprintf(stderr, "%s: bad line: %s\n", path, line);
      status = -1;
      continue;
    }
    size_t len = corpus_unescape(field[4], text, sizeof text);
    sg_rules_result res;
    char kel[64];
    triage_eval_message(gaz, text, len, &res, kel, sizeof kel);
    int want_p = field[2][1] - '0', got_p = (int)res.priority;
    int cat_ok = strcmp(res.category, field[1]) == 0;
    int kel_want = strcmp(field[3], "-") != 0;
    int kel_good = kel_want ? strcmp(kel, field[3]) == 0 : kel[0] == '\0';
    fg->n++;
    fg->category_ok += cat_ok;
    fg->priority_ok += got_p == want_p;
    if (want_p == 1) {
      fg->p1++;
      fg->p1_found += got_p == 1;
    }
    if (want_p <= 2 && got_p - want_p >= 2)
      fg->under++;
    if (kel_want) {
      fg->kel_named++;
      fg->kel_ok += kel_good;
    } else if (kel[0]) {
      fg->kel_false++;
    }
    if (verbose && (!cat_ok || got_p != want_p || !kel_good)) {
      printf("  %-5s want %-12s %s %-16s got %-12s P%d(%3d) %-16s | %s\n", field[0], field[1],
             field[2], field[3], res.category, got_p, res.score, kel[0] ? kel : "-", text);
      for (size_t k = 0; k < res.n_reasons; k++)
        printf("        %+4d %s: %s\n", res.reasons[k].points, res.reasons[k].rule,
               res.reasons[k].detail);
    }
  }
  fclose(f);
  return status;
}

static inline void triage_eval_print(const char *name, const triage_figures *fg) {
  double n = fg->n ? fg->n : 1;
  printf("%-22s n=%-4d category %5.1f%%  priority %5.1f%%  P1 recall %5.1f%% (%d of %d)  "
         "under-triage %d  kelurahan %5.1f%% (%d of %d named, %d false)\n",
         name, fg->n, 100.0 * fg->category_ok / n, 100.0 * fg->priority_ok / n,
         fg->p1 ? 100.0 * fg->p1_found / fg->p1 : 0.0, fg->p1_found, fg->p1, fg->under,
         fg->kel_named ? 100.0 * fg->kel_ok / fg->kel_named : 0.0, fg->kel_ok, fg->kel_named,
         fg->kel_false);
}

#endif
