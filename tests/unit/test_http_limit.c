/* The per-address table of http/limit.h: bounded whatever the flood, an
 * address with connections open never forgotten, the connection cap. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "http/limit.h"

static const sg_http_handler none = {NULL, NULL, NULL};

static struct sockaddr_in v4(unsigned n) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(0x0a000000u + n); /* 10.x.y.z */
  return sa;
}

static int open_from(sg_http_limit *l, int fd, unsigned n) {
  struct sockaddr_in sa = v4(n);
  return sg_http_limit_conn_open(l, fd, (struct sockaddr *)&sa);
}

static void test_flood_is_bounded(void) {
  sg_http_limit_options o = {.conns_per_address = 2, .table_max = 16};
  sg_http_limit *l = sg_http_limit_create(&o, &none, NULL);
  CHECK(l != NULL);
  /* 10000 addresses, each opening and closing a connection: the table
   * keeps at most 16 of them. */
  for (unsigned i = 0; i < 10000; i++) {
    CHECK_INT_EQ(open_from(l, 5, i), 0);
    sg_http_limit_conn_closed(l, 5);
  }
  CHECK_INT_EQ(sg_http_limit_entries(l), 16);
  sg_http_limit_destroy(l);
}

static void test_cap_and_held_entries(void) {
  sg_http_limit_options o = {.conns_per_address = 2, .table_max = 16};
  sg_http_limit *l = sg_http_limit_create(&o, &none, NULL);
  CHECK(l != NULL);
  CHECK_INT_EQ(open_from(l, 3, 1), 0);
  CHECK_INT_EQ(open_from(l, 4, 1), 0);
  CHECK_INT_EQ(open_from(l, 5, 1), -1); /* the third from one address */
  /* A flood of other addresses cannot push out the one holding
   * connections: its count is still 2, so a third is still refused. */
  for (unsigned i = 100; i < 5000; i++) {
    CHECK_INT_EQ(open_from(l, 6, i), 0);
    sg_http_limit_conn_closed(l, 6);
  }
  CHECK_INT_EQ(open_from(l, 5, 1), -1);
  sg_http_limit_conn_closed(l, 3);
  CHECK_INT_EQ(open_from(l, 5, 1), 0); /* one closed: room again */
  /* Every entry held: a new address is refused, the table does not grow. */
  sg_http_limit_conn_closed(l, 4);
  sg_http_limit_conn_closed(l, 5);
  for (unsigned i = 0; i < 16; i++)
    CHECK_INT_EQ(open_from(l, 10 + (int)i, 200 + i), 0);
  CHECK_INT_EQ(open_from(l, 40, 999), -1);
  CHECK_INT_EQ(sg_http_limit_entries(l), 16);
  /* A close of an fd never counted, or counted twice, changes nothing. */
  sg_http_limit_conn_closed(l, 40);
  sg_http_limit_conn_closed(l, 1000000);
  sg_http_limit_conn_closed(l, 10);
  sg_http_limit_conn_closed(l, 10);
  CHECK_INT_EQ(open_from(l, 40, 999), 0); /* the one freed, and only it */
  CHECK_INT_EQ(open_from(l, 41, 998), -1);
  sg_http_limit_destroy(l);
}

static void test_loopback_exempt(void) {
  sg_http_limit_options o = {.conns_per_address = 1, .table_max = 16, .exempt_loopback = 1};
  sg_http_limit *l = sg_http_limit_create(&o, &none, NULL);
  struct sockaddr_in lo = v4(0);
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd = 3; fd < 10; fd++)
    CHECK_INT_EQ(sg_http_limit_conn_open(l, fd, (struct sockaddr *)&lo), 0);
  CHECK_INT_EQ(sg_http_limit_entries(l), 0);
  CHECK_INT_EQ(open_from(l, 20, 1), 0);
  CHECK_INT_EQ(open_from(l, 21, 1), -1);
  sg_http_limit_destroy(l);
}

int main(void) {
  RUN_TEST(test_flood_is_bounded);
  RUN_TEST(test_cap_and_held_entries);
  RUN_TEST(test_loopback_exempt);
  CHECK_DONE();
}
