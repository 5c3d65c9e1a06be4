/* store/sentinel: the --sentinel list, and reading the sentinels' answers
 * (the live path, with real sentinels, is tests/integration/test_sentinel.py). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"
#include "reply_fixture.h"
#include "store/sentinel.h"

static void test_parse_list(void) {
  sg_sentinel_list l;
  CHECK_INT_EQ(sg_sentinel_parse("127.0.0.1:26379", &l), 0);
  CHECK_INT_EQ(l.n, 1);
  CHECK_STR_EQ(l.addr[0].host, "127.0.0.1");
  CHECK_INT_EQ(l.addr[0].port, 26379);
  CHECK_INT_EQ(sg_sentinel_parse("a:1,b.example:2,::1:3", &l), 0);
  CHECK_INT_EQ(l.n, 3);
  CHECK_STR_EQ(l.addr[1].host, "b.example");
  CHECK_STR_EQ(l.addr[2].host, "::1");
  CHECK_INT_EQ(l.addr[2].port, 3);
  CHECK_INT_EQ(sg_sentinel_parse("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8", &l), 0);
  CHECK_INT_EQ(l.n, SG_SENTINEL_MAX);
  CHECK_INT_EQ(sg_sentinel_parse("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", &l), -1); /* too many */
  CHECK_INT_EQ(sg_sentinel_parse("", &l), -1);
  CHECK_INT_EQ(sg_sentinel_parse("a:1,", &l), -1);
  CHECK_INT_EQ(sg_sentinel_parse(",a:1", &l), -1);
  CHECK_INT_EQ(sg_sentinel_parse("a:1,,b:2", &l), -1);
  CHECK_INT_EQ(sg_sentinel_parse("a", &l), -1);
  CHECK_INT_EQ(sg_sentinel_parse("a:0", &l), -1);
  CHECK_INT_EQ(sg_sentinel_parse("a:65536", &l), -1);
  char longhost[300];
  memset(longhost, 'h', 200);
  snprintf(longhost + 200, sizeof(longhost) - 200, ":1");
  CHECK_INT_EQ(sg_sentinel_parse(longhost, &l), -1);
}

static void test_name_valid(void) {
  CHECK(sg_sentinel_name_valid("siaga"));
  CHECK(sg_sentinel_name_valid("my-master.plk_1"));
  CHECK(!sg_sentinel_name_valid(""));
  CHECK(!sg_sentinel_name_valid("a b"));
  CHECK(!sg_sentinel_name_valid("a\r\nPING"));
  char name[80];
  memset(name, 'n', 64);
  name[64] = '\0';
  CHECK(sg_sentinel_name_valid(name));
  name[64] = 'n';
  name[65] = '\0';
  CHECK(!sg_sentinel_name_valid(name));
}

static void test_addr_reply(void) {
  redisReply host = reply_str("10.0.0.2"), port = reply_str("6380"), *items[2] = {&host, &port};
  redisReply a = reply_array(items, 2);
  char h[64];
  int p = 0;
  CHECK_INT_EQ(sg_sentinel_addr_reply(&a, h, sizeof(h), &p), 0);
  CHECK_STR_EQ(h, "10.0.0.2");
  CHECK_INT_EQ(p, 6380);
  CHECK_INT_EQ(sg_sentinel_addr_reply(&a, h, 8, &p), -1); /* host does not fit */
  port = reply_str("0");
  CHECK_INT_EQ(sg_sentinel_addr_reply(&a, h, sizeof(h), &p), -1);
  port = reply_str("80x");
  CHECK_INT_EQ(sg_sentinel_addr_reply(&a, h, sizeof(h), &p), -1);
  redisReply nil = {.type = REDIS_REPLY_NIL}; /* a master name it does not monitor */
  CHECK_INT_EQ(sg_sentinel_addr_reply(&nil, h, sizeof(h), &p), -1);
  CHECK_INT_EQ(sg_sentinel_addr_reply(NULL, h, sizeof(h), &p), -1);
  a.elements = 1;
  CHECK_INT_EQ(sg_sentinel_addr_reply(&a, h, sizeof(h), &p), -1);
}

static void test_switch_message(void) {
  redisReply kind = reply_str("message"), chan = reply_str("+switch-master"),
             body = reply_str("siaga 127.0.0.1 6380 127.0.0.1 6381"), *items[3] = {&kind, &chan, &body};
  redisReply m = reply_array(items, 3);
  char h[64];
  int p = 0;
  CHECK_INT_EQ(sg_sentinel_switch_message(&m, "siaga", h, sizeof(h), &p), 0);
  CHECK_STR_EQ(h, "127.0.0.1");
  CHECK_INT_EQ(p, 6381);
  CHECK_INT_EQ(sg_sentinel_switch_message(&m, "other", h, sizeof(h), &p), -1);
  CHECK_INT_EQ(sg_sentinel_switch_message(&m, "siag", h, sizeof(h), &p), -1);
  body = reply_str("siaga 127.0.0.1 6380 127.0.0.1");
  CHECK_INT_EQ(sg_sentinel_switch_message(&m, "siaga", h, sizeof(h), &p), -1);
  kind = reply_str("subscribe"); /* the confirmation, not a switch */
  body = reply_str("siaga 127.0.0.1 6380 127.0.0.1 6381");
  CHECK_INT_EQ(sg_sentinel_switch_message(&m, "siaga", h, sizeof(h), &p), -1);
}

static void test_role_and_readonly(void) {
  redisReply role = reply_str("master"), *items[1] = {&role};
  redisReply r = reply_array(items, 1);
  CHECK(sg_sentinel_role_is_master(&r));
  role = reply_str("slave");
  CHECK(!sg_sentinel_role_is_master(&r));
  CHECK(!sg_sentinel_role_is_master(NULL));
  redisReply ro = {.type = REDIS_REPLY_ERROR,
                   .str = "READONLY You can't write against a read only replica."};
  CHECK(sg_sentinel_readonly_reply(&ro));
  redisReply other = {.type = REDIS_REPLY_ERROR, .str = "ERR unknown command"};
  CHECK(!sg_sentinel_readonly_reply(&other));
  CHECK(!sg_sentinel_readonly_reply(NULL));
}

/* A loopback port nothing listens on: bound, then closed. */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(sa);
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
  close(fd);
  return ntohs(sa.sin_port);
}

static void test_connect_without_sentinels(void) {
  /* Each sentinel is tried, none answers. */
  char spec[64], refused[32];
  int port = closed_port();
  snprintf(spec, sizeof(spec), "127.0.0.1:%d,127.0.0.1:%d", port, port);
  snprintf(refused, sizeof(refused), "127.0.0.1:%d: ", port);
  sg_sentinel_list l;
  CHECK_INT_EQ(sg_sentinel_parse(spec, &l), 0);
  size_t next = 1;
  char host[64] = "", err[256] = "";
  int got_port = 0;
  redisContext *c =
      sg_sentinel_connect(&l, &next, "siaga", 500, host, sizeof(host), &got_port, err, sizeof(err));
  CHECK(c == NULL);
  CHECK(strncmp(err, refused, strlen(refused)) == 0); /* the connect failed, said where */
  CHECK_INT_EQ(next, 1);                              /* unchanged: nobody answered */
}

int main(void) {
  RUN_TEST(test_parse_list);
  RUN_TEST(test_name_valid);
  RUN_TEST(test_addr_reply);
  RUN_TEST(test_switch_message);
  RUN_TEST(test_role_and_readonly);
  RUN_TEST(test_connect_without_sentinels);
  CHECK_DONE();
}
