/* AML SMS parsing: the table in tests/data/aml-corpus.tsv, field details,
 * and hostile input. Run from tests/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms/aml.h"
#include "check.h"
#include "corpus.h"

#define CORPUS_PATH "data/aml-corpus.tsv"

static void test_corpus(void) {
  FILE *f = fopen(CORPUS_PATH, "r");
  CHECK(f != NULL);
  char line[4096], text[4096];
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0')
      continue;
    char *cols[7];
    char *p = line;
    for (int k = 0; k < 7; k++) {
      cols[k] = p;
      char *tab = k < 6 ? strchr(p, '\t') : NULL;
      if (k < 6 && !tab)
        CHECK_FAIL_("too few columns: %s", line);
      if (tab)
        *tab = '\0', p = tab + 1;
    }
    size_t len = corpus_unescape(cols[6], text, sizeof text);
    sg_aml_location loc;
    sg_aml_status st = sg_aml_parse(text, len, &loc);
    if (strcmp(sg_aml_status_name(st), cols[1]) != 0)
      fprintf(stderr, "row %s\n", cols[0]);
    CHECK_STR_EQ(sg_aml_status_name(st), cols[1]);
    if (strcmp(cols[2], "-") != 0)
      CHECK_DBL_NEAR(loc.lat, atof(cols[2]), 1e-6);
    if (strcmp(cols[3], "-") != 0)
      CHECK_DBL_NEAR(loc.lon, atof(cols[3]), 1e-6);
    if (strcmp(cols[4], "-") != 0)
      CHECK_DBL_NEAR(loc.radius_m, atof(cols[4]), 1e-6);
    if (strcmp(cols[5], "-") != 0)
      CHECK_STR_EQ(sg_aml_method_name(loc.method), cols[5]);
    CHECK_INT_EQ(loc.has_fix, st == SG_AML_OK);
    if (st != SG_AML_OK && st != SG_AML_TRUNCATED) {
      CHECK_DBL_NEAR(loc.lat, 0, 0);
      CHECK_DBL_NEAR(loc.lon, 0, 0);
    }
    rows++;
  }
  fclose(f);
  printf("aml corpus: %d messages\n", rows);
  CHECK(rows >= 25);
}

static void test_fields_v1(void) {
  const char *m = "A\"ML=1;lt=-2.20960;lg=113.91360;rd=25;top=20261128083000;lc=68;pm=G;"
                  "si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=124";
  sg_aml_location loc;
  CHECK(sg_aml_detect(m, strlen(m)));
  CHECK_INT_EQ(sg_aml_parse(m, strlen(m), &loc), SG_AML_OK);
  CHECK_INT_EQ(loc.version, 1);
  CHECK_INT_EQ(loc.confidence, 68);
  CHECK_INT_EQ(loc.time_s, 1795854600); /* 2026-11-28 08:30:00 UTC */
  CHECK_STR_EQ(loc.imsi, "510101234567890");
  CHECK_STR_EQ(loc.imei, "358240051111110");
  CHECK_STR_EQ(loc.mcc, "510");
  CHECK_STR_EQ(loc.mnc, "10");
  CHECK_INT_EQ(loc.declared_length, 124);
  CHECK_INT_EQ(loc.actual_length, strlen(m));
  CHECK_INT_EQ(loc.has_altitude, 0);
}

static void test_fields_v2(void) {
  const char *m = "A\"ML=2;en=112;et=1764318600;lo=-2.20960,113.91360,20.1;lt=5;lc=68;"
                  "lz=30.5,10.0;ls=G;ei=358240051111110";
  sg_aml_location loc;
  CHECK_INT_EQ(sg_aml_parse(m, strlen(m), &loc), SG_AML_OK);
  CHECK_INT_EQ(loc.version, 2);
  CHECK_STR_EQ(loc.emergency_number, "112");
  CHECK_INT_EQ(loc.call_time_s, 1764318600);
  CHECK_INT_EQ(loc.time_s, 1764318605);
  CHECK_INT_EQ(loc.has_altitude, 1);
  CHECK_DBL_NEAR(loc.altitude_m, 30.5, 1e-9);
  CHECK_DBL_NEAR(loc.vertical_accuracy_m, 10.0, 1e-9);
  CHECK_INT_EQ(loc.declared_length, -1);
}

static void test_hostile(void) {
  sg_aml_location loc;
  char buf[SG_AML_MAX_LEN + 64];
  CHECK_INT_EQ(sg_aml_parse(NULL, 0, &loc), SG_AML_MALFORMED);
  CHECK(!sg_aml_detect(NULL, 5));
  /* over the bound */
  memset(buf, ';', sizeof buf);
  memcpy(buf, "A\"ML=1;", 7);
  CHECK_INT_EQ(sg_aml_parse(buf, sizeof buf, &loc), SG_AML_MALFORMED);
  /* random tails after a valid prefix, fixed seed */
  unsigned seed = 42;
  static const char alphabet[] = "A\"ML=12;ltgrdopmcsie.,-+0123456789N\xff";
  for (int round = 0; round < 2000; round++) {
    size_t len = 5 + (size_t)(round % 200);
    memcpy(buf, "A\"ML=", 5);
    for (size_t k = 5; k < len; k++) {
      seed = seed * 1103515245u + 12345u;
      buf[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
    }
    sg_aml_status st = sg_aml_parse(buf, len, &loc);
    CHECK(st >= SG_AML_OK && st <= SG_AML_MALFORMED);
    CHECK(loc.imsi[sizeof loc.imsi - 1] == '\0');
    if (st == SG_AML_OK)
      CHECK(loc.lat >= -90 && loc.lat <= 90 && loc.lon >= -180 && loc.lon <= 180);
  }
}

int main(void) {
  RUN_TEST(test_corpus);
  RUN_TEST(test_fields_v1);
  RUN_TEST(test_fields_v2);
  RUN_TEST(test_hostile);
  CHECK_DONE();
}
