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
