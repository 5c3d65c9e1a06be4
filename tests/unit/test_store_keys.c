/* store/keys: key names and the one validator of names from outside. */
#include "check.h"
#include "store/keys.h"

static void test_key_shape(void) {
  char buf[SG_KEY_MAX];
  CHECK_INT_EQ(sg_key(buf, sizeof(buf), "plk", SG_KEY_REPORTS), 19);
  CHECK_STR_EQ(buf, "siaga:{plk}:reports");
  CHECK_INT_EQ(sg_key2(buf, sizeof(buf), "plk", "incident", "PLK-000042"), 31);
  CHECK_STR_EQ(buf, "siaga:{plk}:incident:PLK-000042");
  CHECK_INT_EQ(sg_key(buf, 12, "plk", SG_KEY_REPORTS), -1); /* does not fit */
}

static void test_region_valid(void) {
  CHECK(sg_key_region_valid("plk"));
  CHECK(sg_key_region_valid("kalteng2"));
  CHECK(sg_key_region_valid("abcdefghijklmnop")); /* 16 */
  CHECK(!sg_key_region_valid("abcdefghijklmnopq"));
  CHECK(!sg_key_region_valid(""));
  CHECK(!sg_key_region_valid("PLK"));
  CHECK(!sg_key_region_valid("p}k")); /* would break the hash tag */
  CHECK(!sg_key_region_valid("p:k"));
}

static void test_consumer_and_id_valid(void) {
  CHECK(sg_key_consumer_valid("siagad-1234"));
  CHECK(sg_key_consumer_valid("w1.host_A"));
  CHECK(!sg_key_consumer_valid("w 1"));
  CHECK(!sg_key_consumer_valid(""));
  CHECK(sg_key_id_valid("PLK-000042"));
  CHECK(!sg_key_id_valid("PLK.000042"));
  CHECK(!sg_key_id_valid("a:b"));
  CHECK(!sg_key_id_valid("0123456789012345678901234567890123456789012345678")); /* 49 */
}

int main(void) {
  RUN_TEST(test_key_shape);
  RUN_TEST(test_region_valid);
  RUN_TEST(test_consumer_and_id_valid);
  CHECK_DONE();
}
