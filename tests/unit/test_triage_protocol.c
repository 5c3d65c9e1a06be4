/* The triage protocol file (triage/protocol.h): a bad file is refused with
 * its line and reason; the shipped file loads, is the built-in one, and
 * decides every message of the dev corpus as the built-in does; and the
 * numbers in it are the ones scored with (a changed file changes the
 * decisions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/error.h"
#include "triage/protocol.h"
#include "triage/rules.h"

#define PROTOCOL_PATH "../data/protocol/triage-protocol.tsv"
#define DEV_CORPUS "../bench/data/triage-dev.tsv"

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(1 << 20);
  *len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
  fclose(f);
  if (buf)
    buf[*len] = '\0';
  return buf;
}

/* The shipped file with one line replaced (the first starting with
 * `prefix`), or removed when `with` is NULL, or `with` appended when prefix
 * is NULL. */
static char *edited(const char *prefix, const char *with, size_t *len) {
  size_t n;
  char *src = read_all(PROTOCOL_PATH, &n);
  CHECK(src != NULL);
  char *out = malloc(n + 512);
  CHECK(out != NULL);
  size_t o = 0;
  int done = prefix == NULL;
  for (char *line = src; *line;) {
    char *nl = strchr(line, '\n');
    size_t l = nl ? (size_t)(nl - line) + 1 : strlen(line);
    if (!done && strncmp(line, prefix, strlen(prefix)) == 0) {
      done = 1;
      if (with)
        o += (size_t)sprintf(out + o, "%s\n", with);
    } else {
      memcpy(out + o, line, l);
      o += l;
    }
    line += l;
  }
  if (!prefix)
    o += (size_t)sprintf(out + o, "%s\n", with);
  CHECK(done);
  free(src);
  out[o] = '\0';
  *len = o;
  return out;
}

/* The 1-based line of the first line starting with prefix in the file. */
static int line_of(const char *prefix) {
  size_t n;
  char *src = read_all(PROTOCOL_PATH, &n);
  CHECK(src != NULL);
  int no = 1, found = 0;
  for (char *line = src; *line && !found; no++) {
    if (strncmp(line, prefix, strlen(prefix)) == 0)
      found = no;
    char *nl = strchr(line, '\n');
    line = nl ? nl + 1 : line + strlen(line);
  }
  free(src);
  CHECK(found > 0);
  return found;
}

static int total_lines(void) {
  size_t n;
  char *src = read_all(PROTOCOL_PATH, &n);
  CHECK(src != NULL);
  int lines = 0;
  for (size_t k = 0; k < n; k++)
    lines += src[k] == '\n';
  free(src);
  return lines;
}

static void expect_refused(const char *buf, size_t len, int want_line, const char *why_has) {
  sg_protocol *p = (sg_protocol *)1;
  int line = -1;
  const char *why = NULL;
  int rc = sg_protocol_load_buffer(buf, len, &p, &line, &why);
  CHECK_INT_EQ(rc, SG_EFORMAT);
  CHECK(p == NULL);
  if (line != want_line || !why || !strstr(why, why_has))
    CHECK_FAIL_("want line %d \"%s\", got line %d \"%s\"", want_line, why_has, line,
                why ? why : "(null)");
}

static void test_bad_files_refused(void) {
  /* Row by row: each edit breaks one line of the shipped file. */
  static const struct {
    const char *prefix, *with, *why_has;
  } bad[] = {
      {"complaint\tfire\t", "complaint\tvolcano\t50\t-\tgunung api\tvolcano", "unknown complaint"},
      {"complaint\tfire\t", "complaint\tfire\t150\t-\tkebakaran\tfire", "0..100"},
      {"complaint\tfire\t", "complaint\tfire\t5x\t-\tkebakaran\tfire", "0..100"},
      {"complaint\tfire\t", "complaint\tfire\t50\tgrave\tkebakaran\tfire", "unknown flag"},
      {"complaint\tfire\t", "complaint\tfire\t50\t-\tkebakaran", "6 fields"},
      {"complaint\tfire\t", "complaint\tfire\t50\t-\t\tfire", "UTF-8 text"},
      {"complaint\tfire\t", "complaint\tfire\t50\t-\tkebakar\xff\tfire", "UTF-8 text"},
      {"complaint\tflood\t", "complaint\tfire\t35\t-\tbanjir\tflood", "listed twice"},
      {"determinant\ttrapped\t", "determinant\ttrapt\tDELTA\t25\t-\tTerjebak\ttrapped",
       "unknown determinant"},
      {"determinant\ttrapped\t", "determinant\ttrapped\tSIERRA\t25\t-\tTerjebak\ttrapped",
       "unknown level"},
      /* DELTA is 25..34: 40 is an ECHO's points */
      {"determinant\ttrapped\t", "determinant\ttrapped\tDELTA\t40\t-\tTerjebak\ttrapped", "band"},
      {"determinant\ttrapped\t", "determinant\ttrapped\tDELTA\t25\tfire,volcano\tTerjebak\ttrapped",
       "not_in"},
      {"determinant\ttrapped\t", "determinant\ttrapped\tDELTA\t25\t-\tTerjebak", "7 fields"},
      {"determinant\tchild\t", "determinant\ttrapped\tBRAVO\t10\t-\tAnak\tchild", "listed twice"},
      {"level\tDELTA\t", "level\tDelta\t25\tlife at risk", "capital letters"},
      {"level\tDELTA\t", "level\tDELTA\t35\tlife at risk", "same min_points"},
      {"priority\tP1\t", "priority\tP0\t70\tnow", "P1, P2 or P3"},
      {"priority\tP2\t", "priority\tP2\t0\tserious", "1..100"},
      {"rule\tcorroboration_max\t", "rule\tcorroboration_max\t90\tat most", "0..50"},
      {"rule\tunclear_plea\t", "rule\tunclear_plee\t20\tplea", "unknown rule"},
      {"rule\tunclear_plea\t", "rule\tunclear_plea\t20\tplea\textra", "4 fields"},
      {"rule\tunclear_plea\t", "rul\tunclear_plea\t20\tplea", "unknown kind"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    size_t len;
    char *buf = edited(bad[k].prefix, bad[k].with, &len);
    expect_refused(buf, len, line_of(bad[k].prefix), bad[k].why_has);
    free(buf);
  }

  /* As a whole: P2 above P1 is refused at the later of the two lines. */
  size_t len;
  char *buf = edited("priority\tP2\t", "priority\tP2\t80\tserious", &len);
  expect_refused(buf, len, line_of("priority\tP2\t"), "P1 > P2 > P3");
  free(buf);

  /* What is missing is named, at the file's last line. */
  static const struct {
    const char *prefix, *why_has;
  } missing[] = {
      {"complaint\thaze\t", "complaint haze is missing"},
      {"determinant\tsweating\t", "determinant sweating is missing"},
      {"priority\tP3\t", "priority P3 is missing"},
      {"rule\ttext_disagrees\t", "rule text_disagrees is missing"},
  };
  for (size_t k = 0; k < sizeof missing / sizeof missing[0]; k++) {
    buf = edited(missing[k].prefix, NULL, &len);
    expect_refused(buf, len, total_lines() - 1, missing[k].why_has);
    free(buf);
  }

  expect_refused("", 0, 1, "complaint unknown is missing");
  char big[70 * 1024];
  memset(big, '#', sizeof big);
  sg_protocol *p = (sg_protocol *)1;
  CHECK_INT_EQ(sg_protocol_load_buffer(big, sizeof big, &p, NULL, NULL), SG_ETOOBIG);
  CHECK(p == NULL);
  const char *why = NULL;
  int line = -1;
  CHECK_INT_EQ(sg_protocol_load("/nonexistent/protocol.tsv", &p, &line, &why), SG_EIO);
  CHECK(p == NULL && line == 0 && why != NULL);
}

/* The shipped file as the medical director reads it, and its numbers. */
static void test_shipped_file(void) {
  sg_protocol *f = NULL;
  int line = -1;
  const char *why = NULL;
  int rc = sg_protocol_load(PROTOCOL_PATH, &f, &line, &why);
  if (rc != 0)
    CHECK_FAIL_("%s line %d: %s", PROTOCOL_PATH, line, why ? why : "?");
  const sg_protocol *b = sg_protocol_builtin();
  CHECK(b != NULL && sg_protocol_active() == b);
  CHECK_INT_EQ(sg_protocol_complaint_points(f, SG_TEXTSCAN_FIRE), 50);
  CHECK_INT_EQ(sg_protocol_complaint_points(f, SG_TEXTSCAN_NONEMERGENCY), 10);
  CHECK(sg_protocol_complaint_is(f, SG_TEXTSCAN_RESCUE, SG_PROTOCOL_VICTIM));
  CHECK(!sg_protocol_complaint_is(f, SG_TEXTSCAN_FIRE, SG_PROTOCOL_VICTIM));
  CHECK_STR_EQ(sg_protocol_complaint_id(f, SG_TEXTSCAN_FLOOD), "banjir");
  CHECK_INT_EQ(sg_protocol_priority_min(f, 1), 70);
  CHECK_INT_EQ(sg_protocol_priority_min(f, 3), 30);
  CHECK_INT_EQ(sg_protocol_corroboration(f, 1), 5);
  CHECK_INT_EQ(sg_protocol_corroboration(f, 3), 15);
  CHECK_INT_EQ(sg_protocol_corroboration(f, (size_t)-1), 15);
  CHECK_INT_EQ(sg_protocol_unclear_plea(f), 20);
  const sg_protocol_determinant *first = sg_protocol_determinant_at(f, 0);
  CHECK_STR_EQ(first->name, "not_breathing");
  CHECK_STR_EQ(first->level, "ECHO");
  CHECK_INT_EQ(first->points, 35);
  CHECK(sg_protocol_determinant_at(f, SG_CUE_COUNT) == NULL);
  uint32_t seen = 0;
  for (size_t k = 0; k < SG_CUE_COUNT; k++) {
    const sg_protocol_determinant *d = sg_protocol_determinant_at(f, k);
    const sg_protocol_determinant *e = sg_protocol_determinant_at(b, k);
    seen |= d->cue;
    CHECK(d->cue == e->cue && d->points == e->points && d->not_in == e->not_in);
    CHECK_STR_EQ(d->id, e->id);
    if (d->cue == SG_CUE_INSIDE) {
      CHECK_INT_EQ(sg_protocol_determinant_points(f, d, SG_TEXTSCAN_FIRE), 25);
      CHECK_INT_EQ(sg_protocol_determinant_points(f, d, SG_TEXTSCAN_CRIME), 0);
    }
    CHECK_INT_EQ(sg_protocol_determinant_points(f, d, SG_TEXTSCAN_NONEMERGENCY), 0);
  }
  CHECK_INT_EQ(seen, (uint32_t)((1ull << SG_CUE_COUNT) - 1));
  sg_protocol_destroy(f);
}

typedef struct decision {
  char category[SG_RULES_CATEGORY_MAX];
  int score;
  Siaga__V1__Priority priority;
} decision;

/* Decides every text of the dev corpus under the active protocol. */
static size_t decide_corpus(decision *out, size_t max, sg_rules_result *last_p1) {
  size_t len, n = 0;
  char *src = read_all(DEV_CORPUS, &len);
  CHECK(src != NULL);
  for (char *line = src; *line && n < max;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    char *text = strrchr(line, '\t');
    if (line[0] != '#' && text && strncmp(line, "id\t", 3) != 0) {
      Siaga__V1__Report r;
      siaga__v1__report__init(&r);
      r.channel = SIAGA__V1__CHANNEL__CHANNEL_SMS;
      r.description = text + 1;
      sg_rules_result res;
      sg_rules_evaluate(&r, &res);
      snprintf(out[n].category, sizeof out[n].category, "%s", res.category);
      out[n].score = res.score;
      out[n].priority = res.priority;
      if (res.priority == SIAGA__V1__PRIORITY__P1 && last_p1)
        *last_p1 = res;
      n++;
    }
    line = nl ? nl + 1 : line + strlen(line);
  }
  free(src);
  return n;
}

static void test_file_reproduces_builtin(void) {
  static decision want[512], got[512];
  sg_rules_result p1;
  size_t n = decide_corpus(want, 512, &p1);
  CHECK(n >= 300);
  sg_protocol *f = NULL;
  CHECK_INT_EQ(sg_protocol_load(PROTOCOL_PATH, &f, NULL, NULL), 0);
  sg_protocol_use(f);
  CHECK(sg_protocol_active() == f);
  CHECK_INT_EQ(decide_corpus(got, 512, NULL), n);
  for (size_t k = 0; k < n; k++) {
    CHECK_STR_EQ(got[k].category, want[k].category);
    CHECK_INT_EQ(got[k].score, want[k].score);
    CHECK_INT_EQ(got[k].priority, want[k].priority);
  }
  sg_protocol_use(NULL);
  sg_protocol_destroy(f);
  /* A P1 of the corpus is explained by its reasons. */
  int sum = 0;
  for (size_t k = 0; k < p1.n_reasons; k++)
    sum += p1.reasons[k].points;
  CHECK(sum >= 70);
}

/* The file is what is scored with: a P1 threshold of 90 and a fire worth
 * 60 change the decisions of the same texts. */
static void test_changed_file_changes_decisions(void) {
  size_t len;
  char *buf = edited("priority\tP1\t", "priority\tP1\t90\tonly the gravest", &len);
  char *buf2 = malloc(len + 64);
  CHECK(buf2 != NULL);
  /* and fire 60: edit the edited text in place */
  char *at = strstr(buf, "complaint\tfire\t50\t");
  CHECK(at != NULL);
  size_t head = (size_t)(at - buf);
  memcpy(buf2, buf, head);
  size_t o = head + (size_t)sprintf(buf2 + head, "complaint\tfire\t60\t");
  strcpy(buf2 + o, at + strlen("complaint\tfire\t50\t"));
  sg_protocol *p = NULL;
  int line = 0;
  const char *why = NULL;
  int rc = sg_protocol_load_buffer(buf2, strlen(buf2), &p, &line, &why);
  if (rc != 0)
    CHECK_FAIL_("line %d: %s", line, why ? why : "?");

  Siaga__V1__Report r;
  siaga__v1__report__init(&r);
  r.description = "kebakaran rumah di jl rajawali, ada anak terjebak di dalam!!";
  sg_rules_result before, after;
  sg_rules_evaluate(&r, &before);
  sg_protocol_use(p);
  sg_rules_evaluate(&r, &after);
  CHECK_INT_EQ(sg_rules_priority(85), SIAGA__V1__PRIORITY__P2);
  sg_protocol_use(NULL);
  CHECK_INT_EQ(sg_rules_priority(85), SIAGA__V1__PRIORITY__P1);
  CHECK_STR_EQ(before.category, "fire");
  CHECK_INT_EQ(before.priority, SIAGA__V1__PRIORITY__P1);
  CHECK_INT_EQ(after.score, before.score + 10 > 100 ? 100 : before.score + 10);
  CHECK_INT_EQ(after.priority,
               after.score >= 90 ? SIAGA__V1__PRIORITY__P1 : SIAGA__V1__PRIORITY__P2);
  CHECK_INT_EQ(after.reasons[0].points, 60);
  sg_protocol_destroy(p);
  free(buf);
  free(buf2);
}

int main(void) {
  RUN_TEST(test_bad_files_refused);
  RUN_TEST(test_shipped_file);
  RUN_TEST(test_file_reproduces_builtin);
  RUN_TEST(test_changed_file_changes_decisions);
  CHECK_DONE();
}
