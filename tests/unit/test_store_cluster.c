/* store/cluster: the slot of a key against a real Redis's CLUSTER KEYSLOT,
 * reading CLUSTER SLOTS, the redirections, and the blocking connect to a
 * one-node cluster (the live path with three primaries and a resharding is
 * tests/integration/test_cluster.py). */
#include "redis_fixture.h"
#include "reply_fixture.h"
#include "store/cluster.h"

static long long keyslot(redisContext *c, const char *key, size_t len) {
  redisReply *r = redisCommand(c, "CLUSTER KEYSLOT %b", key, len);
  CHECK(r != NULL && r->type == REDIS_REPLY_INTEGER);
  long long v = r != NULL ? r->integer : -1;
  freeReplyObject(r);
  return v;
}

static void test_key_slot_as_redis(void) {
  redisContext *c = redisConnect("127.0.0.1", redis_port);
  CHECK(c != NULL && c->err == 0);
  /* The hash tag rules of the specification, edge cases included. */
  static const char *keys[] = {"",
                               "a",
                               "123456789",
                               "{plk}",
                               "siaga:{plk}:reports",
                               "siaga:{sby}:open",
                               "{}",
                               "{}plk",
                               "foo{}{bar}",
                               "foo{{bar}}zap",
                               "foo{bar}{zap}",
                               "{",
                               "}",
                               "a{b",
                               "user{1000}.following",
                               "{user1000}.followers",
                               "{a}{b}",
                               "\xff\xfe{\x01}"};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
    CHECK_INT_EQ(sg_cluster_key_slot(keys[i], strlen(keys[i])),
                 int_of(c, "CLUSTER KEYSLOT %s", keys[i]));
  /* Many generated ones, binary bytes among them. */
  char key[40];
  unsigned seed = 12345;
  for (int i = 0; i < 2000; i++) {
    size_t len = (size_t)(i % 37);
    for (size_t k = 0; k < len; k++) {
      seed = seed * 1103515245u + 12345u;
      unsigned char b = (unsigned char)(seed >> 16);
      key[k] = (char)(b % 5 == 0 ? '{' : b % 7 == 0 ? '}' : b);
    }
    CHECK_INT_EQ(sg_cluster_key_slot(key, len), keyslot(c, key, len));
  }
  /* The specification's own example: CRC16("123456789") = 0x31C3. */
  CHECK_INT_EQ(sg_cluster_key_slot("123456789", 9), 0x31C3 % 16384);
  CHECK_INT_EQ(sg_cluster_region_slot("plk"), keyslot(c, "{plk}", 5));
  CHECK_INT_EQ(sg_cluster_region_slot("plk"), keyslot(c, "siaga:{plk}:incident:I-1", 24));
  redisFree(c);
}

static void test_slots_reply(void) {
  /* Two ranges: 0-5460 on :7001 (a replica :7004), 5461-16383 on :7002. */
  redisReply ip1 = reply_str("10.0.0.1"), p1 = reply_integer(7001), id1 = reply_str("aaaa"),
             *n1i[3] = {&ip1, &p1, &id1};
  redisReply ip4 = reply_str("10.0.0.4"), p4 = reply_integer(7004), *n4i[2] = {&ip4, &p4};
  redisReply n1 = reply_array(n1i, 3), n4 = reply_array(n4i, 2);
  redisReply s1 = reply_integer(0), e1 = reply_integer(5460), *r1i[4] = {&s1, &e1, &n1, &n4};
  redisReply ip2 = reply_str(""), p2 = reply_integer(7002), *n2i[2] = {&ip2, &p2};
  redisReply n2 = reply_array(n2i, 2);
  redisReply s2 = reply_integer(5461), e2 = reply_integer(16383), *r2i[3] = {&s2, &e2, &n2};
  redisReply r1 = reply_array(r1i, 4), r2 = reply_array(r2i, 3), *all[2] = {&r1, &r2};
  redisReply slots = reply_array(all, 2);
  char h[64];
  int port = 0;
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 0, "seed", h, sizeof(h), &port), 0);
  CHECK_STR_EQ(h, "10.0.0.1");
  CHECK_INT_EQ(port, 7001); /* the primary, not the replica */
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 5460, "seed", h, sizeof(h), &port), 0);
  CHECK_INT_EQ(port, 7001);
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 5461, "seed", h, sizeof(h), &port), 0);
  CHECK_STR_EQ(h, "seed"); /* no address of its own: the one asked */
  CHECK_INT_EQ(port, 7002);
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 16383, "seed", h, sizeof(h), &port), 0);
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 5000, "seed", h, 8, &port), -1); /* too long */
  slots.elements = 1; /* nobody serves 5461.. */
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 9000, "seed", h, sizeof(h), &port), -1);
  p1 = reply_integer(0);
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 1, "seed", h, sizeof(h), &port), -1);
  p1 = reply_str("7001"); /* a malformed answer */
  CHECK_INT_EQ(sg_cluster_slots_reply(&slots, 1, "seed", h, sizeof(h), &port), -1);
  redisReply err = {.type = REDIS_REPLY_ERROR,
                    .str = "ERR This instance has cluster support disabled"};
  CHECK_INT_EQ(sg_cluster_slots_reply(&err, 1, "seed", h, sizeof(h), &port), -1);
  CHECK_INT_EQ(sg_cluster_slots_reply(NULL, 1, "seed", h, sizeof(h), &port), -1);
}

static void test_redirections(void) {
  redisReply moved = {.type = REDIS_REPLY_ERROR, .str = "MOVED 3999 127.0.0.1:6381"};
  redisReply ask = {.type = REDIS_REPLY_ERROR, .str = "ASK 3999 127.0.0.1:6381"};
  redisReply again = {.type = REDIS_REPLY_ERROR,
                      .str = "TRYAGAIN Multiple keys request during "
                             "rehashing of slot"};
  redisReply down = {.type = REDIS_REPLY_ERROR, .str = "CLUSTERDOWN The cluster is down"};
  redisReply other = {.type = REDIS_REPLY_ERROR, .str = "ASKING is not a redirection"};
  redisReply *all[] = {&moved, &ask, &again, &down, &other};
  for (size_t i = 0; i < 5; i++)
    all[i]->len = strlen(all[i]->str);
  CHECK(sg_cluster_moved_reply(&moved));
  CHECK(!sg_cluster_moved_reply(&ask));
  CHECK(!sg_cluster_retry_reply(&moved));
  CHECK(sg_cluster_retry_reply(&ask));
  CHECK(sg_cluster_retry_reply(&again));
  CHECK(sg_cluster_retry_reply(&down));
  CHECK(!sg_cluster_retry_reply(&other));
  CHECK(!sg_cluster_moved_reply(&other));
  CHECK(!sg_cluster_moved_reply(NULL));
  CHECK(!sg_cluster_retry_reply(NULL));
}

/* A one-node cluster owning every slot: the seed names itself. */
static void test_connect_one_node(void) {
  redisContext *c = fresh();
  redisReply *r = redisCommand(c, "CLUSTER ADDSLOTSRANGE 0 16383");
  CHECK(r != NULL && r->type == REDIS_REPLY_STATUS);
  freeReplyObject(r);
  /* The node says cluster_state:ok on its next cron tick; wait for it
   * (bounded: 10 s). */
  int ok = 0;
  for (int i = 0; i < 200 && !ok; i++) {
    r = redisCommand(c, "CLUSTER INFO");
    ok = r != NULL && r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_state:ok") != NULL;
    freeReplyObject(r);
    if (!ok)
      nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
  }
  CHECK(ok);
  redisFree(c);
  char spec[64];
  snprintf(spec, sizeof(spec), "127.0.0.1:%d", redis_port);
  sg_sentinel_list seeds;
  CHECK_INT_EQ(sg_sentinel_parse(spec, &seeds), 0);
  size_t next = 0;
  char host[64] = "", err[256] = "";
  int port = 0;
  c = sg_cluster_connect(&seeds, &next, sg_cluster_region_slot("plk"), 2000, host, sizeof(host),
                         &port, err, sizeof(err));
  CHECK(c != NULL);
  CHECK_STR_EQ(host, "127.0.0.1");
  CHECK_INT_EQ(port, redis_port);
  r = c != NULL ? redisCommand(c, "SET siaga:{plk}:x 1") : NULL;
  CHECK(r != NULL && r->type == REDIS_REPLY_STATUS); /* served here: no MOVED */
  freeReplyObject(r);
  redisFree(c);
}

int main(void) {
  redis_cluster_mode = 1;
  start_redis();
  RUN_TEST(test_key_slot_as_redis);
  RUN_TEST(test_slots_reply);
  RUN_TEST(test_redirections);
  RUN_TEST(test_connect_one_node);
  stop_redis();
  CHECK_DONE();
}
