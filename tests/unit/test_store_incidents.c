/* store/incidents: what a cursor from outside may look like (the reads
 * themselves are tested against Redis in test_snapshot_pages.py). */
#include "check.h"
#include "store/incidents.h"

static void test_cursor_valid(void) {
  CHECK(sg_incidents_cursor_valid("500001795854882372:PLK-000123") == 0); /* 18 digits */
  CHECK(sg_incidents_cursor_valid("1001795854882372:PLK-000123"));        /* 16 digits */
  CHECK(sg_incidents_cursor_valid("0:PLK-1"));
  CHECK(!sg_incidents_cursor_valid(""));
  CHECK(!sg_incidents_cursor_valid(":PLK-1"));
  CHECK(!sg_incidents_cursor_valid("12:"));
  CHECK(!sg_incidents_cursor_valid("12PLK-1"));
  CHECK(!sg_incidents_cursor_valid("-12:PLK-1"));
  CHECK(!sg_incidents_cursor_valid("1.5:PLK-1"));
  CHECK(!sg_incidents_cursor_valid("12:PLK 1"));
  CHECK(!sg_incidents_cursor_valid("12:a:b"));
}

int main(void) {
  RUN_TEST(test_cursor_valid);
  CHECK_DONE();
}
