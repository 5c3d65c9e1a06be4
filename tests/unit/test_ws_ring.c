/* ws/ring: stream ids, the shared bounded ring and one console's queue. */
#include <string.h>

#include "check.h"
#include "ws/ring.h"

static int released[64];
static int n_released;

static void release(void *item) {
  released[n_released++] = (int)(intptr_t)item;
}

static sg_ring_id id(uint64_t ms, uint64_t seq) {
  sg_ring_id r = {ms, seq};
  return r;
}

static void test_id_parse_format(void) {
  sg_ring_id a;
  CHECK_INT_EQ(sg_ring_id_parse("1700000000000-7", 15, &a), 0);
  CHECK(a.ms == 1700000000000ULL);
  CHECK_INT_EQ(a.seq, 7);
  char buf[48];
  sg_ring_id_format(a, buf, sizeof(buf));
  CHECK_STR_EQ(buf, "1700000000000-7");
  CHECK_INT_EQ(sg_ring_id_parse("12-3x", 5, &a), -1);
  CHECK_INT_EQ(sg_ring_id_parse("12", 2, &a), -1);
  CHECK_INT_EQ(sg_ring_id_parse("-1-2", 4, &a), -1);
  CHECK_INT_EQ(sg_ring_id_parse("1-", 2, &a), -1);
  CHECK_INT_EQ(sg_ring_id_parse("", 0, &a), -1);
  CHECK_INT_EQ(sg_ring_id_parse("5-6 trailing", 3, &a), 0); /* only len bytes */
  CHECK_INT_EQ(a.ms, 5);
  CHECK_INT_EQ(a.seq, 6);
}

static void test_id_cmp(void) {
  CHECK_INT_EQ(sg_ring_id_cmp(id(1, 2), id(1, 2)), 0);
  CHECK_INT_EQ(sg_ring_id_cmp(id(1, 2), id(1, 3)), -1);
  CHECK_INT_EQ(sg_ring_id_cmp(id(2, 0), id(1, 9)), 1);
}

static void test_ring_wraps(void) {
  sg_ring r;
  n_released = 0;
  CHECK_INT_EQ(sg_ring_init(&r, 4, release), 0);
  for (int i = 1; i <= 4; i++)
    sg_ring_push(&r, id(10, (uint64_t)i), (void *)(intptr_t)i);
  CHECK_INT_EQ(n_released, 0);
  CHECK_INT_EQ(sg_ring_oldest(&r), 0);
  CHECK_INT_EQ(sg_ring_id_cmp(r.known_after, id(0, 0)), 0);
  sg_ring_push(&r, id(10, 5), (void *)(intptr_t)5);
  sg_ring_push(&r, id(10, 6), (void *)(intptr_t)6);
  CHECK_INT_EQ(n_released, 2);
  CHECK_INT_EQ(released[0], 1);
  CHECK_INT_EQ(released[1], 2);
  CHECK_INT_EQ(r.head, 6);
  CHECK_INT_EQ(sg_ring_oldest(&r), 2);
  CHECK_INT_EQ(sg_ring_id_cmp(r.known_after, id(10, 2)), 0);
  sg_ring_free(&r);
  CHECK_INT_EQ(n_released, 6); /* 3..6 released, oldest first */
  CHECK_INT_EQ(released[2], 3);
  CHECK_INT_EQ(released[5], 6);
}

static void test_ring_positions(void) {
  sg_ring r;
  n_released = 0;
  CHECK_INT_EQ(sg_ring_init(&r, 8, release), 0);
  CHECK_INT_EQ(sg_ring_position_after(&r, id(0, 0)), 0);
  for (int i = 1; i <= 5; i++)
    sg_ring_push(&r, id(10, (uint64_t)i * 2), (void *)(intptr_t)i); /* ids 10-2 .. 10-10 */
  CHECK_INT_EQ(sg_ring_position_after(&r, id(10, 10)), 5);          /* up to date */
  CHECK_INT_EQ(sg_ring_position_after(&r, id(10, 5)), 2);           /* 10-6 is next */
  CHECK_INT_EQ(sg_ring_position_after(&r, id(1, 0)), 0);
  uint64_t pos = 0;
  sg_ring_id last = id(10, 6);
  /* Entries at or before last are skipped. */
  CHECK_INT_EQ((intptr_t)sg_ring_next(&r, &pos, &last), 4);
  CHECK_INT_EQ(pos, 4);
  CHECK_INT_EQ(sg_ring_id_cmp(last, id(10, 8)), 0);
  CHECK_INT_EQ((intptr_t)sg_ring_next(&r, &pos, &last), 5);
  CHECK(sg_ring_next(&r, &pos, &last) == NULL);
  CHECK_INT_EQ(pos, 5);
  sg_ring_push(&r, id(10, 12), (void *)(intptr_t)6);
  CHECK_INT_EQ((intptr_t)sg_ring_next(&r, &pos, &last), 6);
  CHECK_INT_EQ(n_released, 0); /* reading borrows */
  sg_ring_free(&r);
  CHECK_INT_EQ(n_released, 6);
}

static void test_queue(void) {
  sg_ring_queue q;
  memset(&q, 0, sizeof(q));
  n_released = 0;
  CHECK(sg_ring_queue_pop(&q) == NULL);
  for (int i = 1; i <= 3; i++)
    CHECK_INT_EQ(sg_ring_queue_push(&q, (void *)(intptr_t)i, release), 0);
  CHECK_INT_EQ(q.len, 3);
  CHECK_INT_EQ((intptr_t)sg_ring_queue_pop(&q), 1);
  CHECK_INT_EQ((intptr_t)sg_ring_queue_pop(&q), 2);
  CHECK_INT_EQ(q.len, 1);
  CHECK_INT_EQ(sg_ring_queue_push(&q, (void *)(intptr_t)4, release), 0);
  CHECK_INT_EQ(n_released, 0); /* pop hands ownership over */
  sg_ring_queue_clear(&q, release);
  CHECK_INT_EQ(n_released, 2);
  CHECK_INT_EQ(released[0], 3);
  CHECK_INT_EQ(released[1], 4);
  CHECK_INT_EQ(q.len, 0);
  CHECK(q.head == NULL && q.tail == NULL);
  CHECK_INT_EQ(sg_ring_queue_push(&q, (void *)(intptr_t)5, release), 0);
  CHECK_INT_EQ((intptr_t)sg_ring_queue_pop(&q), 5);
  CHECK(q.tail == NULL);
}

int main(void) {
  RUN_TEST(test_id_parse_format);
  RUN_TEST(test_id_cmp);
  RUN_TEST(test_ring_wraps);
  RUN_TEST(test_ring_positions);
  RUN_TEST(test_queue);
  CHECK_DONE();
}
