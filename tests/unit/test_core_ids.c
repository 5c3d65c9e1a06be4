/* core/ids: report ids sort by time and never repeat; tokens are 128 random
 * bits in base64url. */
#include <string.h>

#include "check.h"
#include "core/ids.h"

static void test_report_ids(void) {
  sg_ids *ids = sg_ids_create();
  CHECK(ids != NULL);
  char a[SG_REPORT_ID_LEN + 1], b[SG_REPORT_ID_LEN + 1], c[SG_REPORT_ID_LEN + 1];
  sg_ids_report(ids, 1700000000000ull, a);
  sg_ids_report(ids, 1700000000000ull, b);
  sg_ids_report(ids, 1700000000001ull, c);
  CHECK_INT_EQ(strlen(a), SG_REPORT_ID_LEN);
  CHECK(strncmp(a, "r-", 2) == 0);
  CHECK(strcmp(a, b) != 0);
  CHECK(strcmp(b, c) < 0); /* a later millisecond sorts after */
  sg_ids_destroy(ids);
}

static void test_tokens(void) {
  sg_ids *ids = sg_ids_create();
  CHECK(ids != NULL);
  char t[SG_TOKEN_LEN + 1], u[SG_TOKEN_LEN + 1];
  sg_ids_token(ids, t);
  sg_ids_token(ids, u);
  CHECK_INT_EQ(strlen(t), SG_TOKEN_LEN);
  CHECK(strcmp(t, u) != 0);
  for (size_t i = 0; i < SG_TOKEN_LEN; i++)
    CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t[i]) != NULL);
  sg_ids_destroy(ids);
}

int main(void) {
  RUN_TEST(test_report_ids);
  RUN_TEST(test_tokens);
  CHECK_DONE();
}
