/* siaga-triage-eval: how well the text reader and the triage rules read what
 * people write, measured on labelled corpora (bench/data/triage-*.tsv, format
 * at the top of each file). Each message goes the way a plain SMS goes through
 * the Kannel webhook: sg_sms_form_report (textscan with the gazetteer, the
 * category when confident, the address), then sg_rules_evaluate (category,
 * cues, score, priority), as the worker does.
 *
 *   siaga-triage-eval [-v] [-g GAZETTEER] [-p PROTOCOL] FILE...   figures per file
 *   siaga-triage-eval -t [-g GAZETTEER]             time the scan of a 4 KB text
 *
 * -v lists every message that missed (use it on the dev split only: the
 * held-out split is never tuned on). -p scores with a triage protocol file
 * instead of the built-in one, refused as siaga-worker refuses it. Exit
 * status 0 unless a file is unreadable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/textscan.h"
#include "triage/protocol.h"
#include "triage_eval.h"

static int run_file(const sg_textscan_gazetteer *gaz, const char *path, int verbose) {
  triage_figures fg;
  if (triage_eval_file(gaz, path, verbose, &fg) < 0) {
    fprintf(stderr, "%s: cannot read it or a line is bad\n", path);
    return -1;
  }
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  triage_eval_print(base, &fg);
  return 0;
}

/* The cost of reading the longest text allowed, at each hop a report takes:
 * the text reader alone (sg_textscan_scan with the gazetteer), siaga-worker
 * scoring it (sg_rules_evaluate: one scan without the gazetteer) and the
 * SMS path (siagad's sg_sms_form_report, a scan with the gazetteer, then the
 * worker's): a flood of such texts drains at these rates per core. Each
 * figure is the best of five rounds, as the machine is shared. Texts: 4 KB
 * of real-style sentences, 4 KB of long words no lexicon row knows (each
 * one tried for clitics and typos: the reader's worst case per byte) and a
 * 52-byte SMS. */
enum { HOP_SCAN, HOP_WORKER, HOP_SMS };

static double time_hop(const sg_textscan_gazetteer *gaz, int hop, char *text, size_t len,
                       int iters) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  r.category = "";
  r.description = text;
  sg_textscan_result ts;
  sg_rules_result res;
  char kel[64];
  double best = 0;
  for (int round = 0; round < 5; round++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < iters; i++) {
      if (hop == HOP_SCAN)
        sg_textscan_scan(gaz, text, len, &ts);
      else if (hop == HOP_WORKER)
        sg_rules_evaluate(&r, &res);
      else
        triage_eval_message(gaz, text, len, &res, kel, sizeof kel);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / iters;
    if (round == 0 || ms < best)
      best = ms;
  }
  return best;
}

static void run_timing(const sg_textscan_gazetteer *gaz) {
  static const char sentence[] =
      "tolong ada kebakaran rumah di jl. rajawali gg. 3 menteng, api sdh besar, nenek msh di "
      "dlm kamar ga bisa keluar, asap tebal bgt. ";
  static char texts[3][SG_TEXTSCAN_MAX_INPUT + 1];
  size_t lens[3] = {0, 0, 0};
  size_t sl = sizeof sentence - 1;
  while (lens[0] + sl <= SG_TEXTSCAN_MAX_INPUT) {
    memcpy(texts[0] + lens[0], sentence, sl);
    lens[0] += sl;
  }
  /* distinct 9-letter words of a fixed pseudo-random sequence */
  unsigned x = 12345;
  while (lens[1] + 10 <= SG_TEXTSCAN_MAX_INPUT) {
    for (int k = 0; k < 9; k++) {
      x = x * 1103515245u + 12345u;
      texts[1][lens[1]++] = (char)('a' + (x >> 16) % 26);
    }
    texts[1][lens[1]++] = ' ';
  }
  const char *sms = "kebakaran rumah di jl rajawali menteng, tolong cepat";
  lens[2] = strlen(sms);
  memcpy(texts[2], sms, lens[2]);
  static const char *const names[] = {"sentences", "unknown words", "SMS"};
  static const char *const hops[] = {"scan", "worker", "sms path"};
  for (int t = 0; t < 3; t++) {
    texts[t][lens[t]] = '\0';
    for (int hop = 0; hop < 3; hop++) {
      double ms = time_hop(gaz, hop, texts[t], lens[t], t == 2 ? 5000 : 100);
      printf("%-8s %-13s %4zu bytes: %.4f ms (%.1f ns/byte, %.0f/s on one core)\n", hops[hop],
             names[t], lens[t], ms, ms * 1e6 / (double)lens[t], 1e3 / ms);
    }
  }
}

int main(int argc, char **argv) {
  const char *gaz_path = "data/gazetteer/palangka-raya.tsv", *protocol_path = NULL;
  int verbose = 0, timing = 0, i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-v") == 0)
      verbose = 1;
    else if (strcmp(argv[i], "-t") == 0)
      timing = 1;
    else if (strcmp(argv[i], "-g") == 0 && i + 1 < argc)
      gaz_path = argv[++i];
    else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
      protocol_path = argv[++i];
    else {
      fprintf(stderr, "usage: %s [-v] [-t] [-g GAZETTEER] [-p PROTOCOL] FILE...\n", argv[0]);
      return 2;
    }
  }
  char why[512];
  if (protocol_path && sg_protocol_use_file(protocol_path, why, sizeof(why)) != 0) {
    fprintf(stderr, "%s\n", why);
    return 2;
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
