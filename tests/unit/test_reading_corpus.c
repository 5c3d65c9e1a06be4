/* Floors on the triage corpus's dev split (bench/data/triage-dev.tsv): the
 * figures bench/triage prints, each kept a little below what the reader
 * measured when the floor was set (category 95.0%, priority 88.4%, P1
 * recall 91.8%, under-triage 2, kelurahan 100% with 1 false; with the
 * places messages of branch triage2, 360 messages: 95.3%, 89.4%, 92.5%, 2,
 * kelurahan 100% of 94 with 1 false), so a reader
 * that regresses fails here. Never 100% by construction; the held-out split
 * is not checked here, as nothing may be tuned to pass on it. Spans text,
 * sms and triage, so it links all of siaga. */
#include "check.h"
#include "triage_eval.h"

#define DEV_SPLIT "../bench/data/triage-dev.tsv"
#define GAZETTEER_PATH "../data/gazetteer/palangka-raya.tsv"

#define FLOOR_CATEGORY 0.93
#define FLOOR_PRIORITY 0.86
#define FLOOR_P1_RECALL 0.89
#define MAX_UNDER_TRIAGE 3
#define FLOOR_KELURAHAN 0.95
#define MAX_FALSE_KELURAHAN 3

static void test_dev_split_floors(void) {
  sg_textscan_gazetteer *gaz = NULL;
  int line = 0;
  CHECK_INT_EQ(sg_textscan_gazetteer_load(GAZETTEER_PATH, &gaz, &line), 0);
  triage_figures fg;
  CHECK_INT_EQ(triage_eval_file(gaz, DEV_SPLIT, 0, &fg), 0);
  triage_eval_print("triage-dev.tsv", &fg);
  CHECK(fg.n >= 300);
  CHECK(fg.p1 >= 60);
  CHECK(fg.category_ok >= FLOOR_CATEGORY * fg.n);
  CHECK(fg.priority_ok >= FLOOR_PRIORITY * fg.n);
  CHECK(fg.p1_found >= FLOOR_P1_RECALL * fg.p1);
  CHECK(fg.under <= MAX_UNDER_TRIAGE);
  CHECK(fg.kel_ok >= FLOOR_KELURAHAN * fg.kel_named);
  CHECK(fg.kel_false <= MAX_FALSE_KELURAHAN);
  sg_textscan_gazetteer_destroy(gaz);
}

int main(void) {
  RUN_TEST(test_dev_split_floors);
  CHECK_DONE();
}
