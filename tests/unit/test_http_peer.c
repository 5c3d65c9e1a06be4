/* http/peer: whose X-Forwarded-For and X-Forwarded-Proto are believed, and
 * which address of the list is the client. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"
#include "http/peer.h"

/* One X-Forwarded-For line, or none when xff is NULL. */
static void resolve(const sg_peer_trust *t, const char *socket_peer, const char *xff,
                    const char *xfp, sg_peer *p) {
  memset(p, 0x55, sizeof(*p)); /* every field must be written */
  sg_peer_resolve(t, socket_peer, &xff, xff != NULL, xfp, p);
}

static void test_trust_parse(void) {
  sg_peer_trust t;
  CHECK_INT_EQ(sg_peer_trust_parse(&t, "127.0.0.1"), 0);
  CHECK_INT_EQ(t.n, 1);
  CHECK_INT_EQ(sg_peer_trust_parse(&t, "127.0.0.1, ::1,10.1.2.3,[fd00::1]"), 0);
  CHECK_INT_EQ(t.n, 4);
  CHECK(sg_peer_trusted(&t, "::1"));
  CHECK(sg_peer_trusted(&t, "fd00:0::1"));
  CHECK(sg_peer_trusted(&t, "::ffff:10.1.2.3")); /* the same address, mapped */
  CHECK(!sg_peer_trusted(&t, "10.1.2.4"));
  CHECK(!sg_peer_trusted(&t, "garbage"));
  const char *bad[] = {"",           ",",          "127.0.0.1,", ",127.0.0.1",      "localhost",
                       "10.0.0.0/8", "1.2.3.4:80", "1.2.3",      "1.2.3.4,,5.6.7.8"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (sg_peer_trust_parse(&t, bad[i]) != -1)
      CHECK_FAIL_("accepted \"%s\"", bad[i]);
    CHECK_INT_EQ(t.n, 0);
  }
  char many[17 * 16] = "";
  for (int i = 0; i < SG_PEER_TRUSTED_MAX + 1; i++)
    snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.0.0.%d", i ? "," : "", i);
  CHECK_INT_EQ(sg_peer_trust_parse(&t, many), -1);
  *strrchr(many, ',') = '\0'; /* exactly SG_PEER_TRUSTED_MAX */
  CHECK_INT_EQ(sg_peer_trust_parse(&t, many), 0);
  CHECK_INT_EQ(t.n, SG_PEER_TRUSTED_MAX);
}

/* Nobody trusted: the headers are a client's words, and ignored. */
static void test_untrusted_ignored(void) {
  sg_peer p;
  resolve(NULL, "203.0.113.7", "127.0.0.1", "https", &p);
  CHECK_STR_EQ(p.addr, "203.0.113.7");
  CHECK_INT_EQ(p.tls, 0);
  CHECK_INT_EQ(p.proxied, 0);
  sg_peer_trust t;
  CHECK_INT_EQ(sg_peer_trust_parse(&t, "10.0.0.1"), 0);
  resolve(&t, "10.0.0.2", "127.0.0.1", "https", &p);
  CHECK_STR_EQ(p.addr, "10.0.0.2");
  CHECK_INT_EQ(p.tls, 0);
  CHECK_INT_EQ(p.proxied, 0);
  resolve(&t, "::ffff:198.51.100.1", NULL, NULL, &p);
  CHECK_STR_EQ(p.addr, "198.51.100.1"); /* one spelling per address */
  resolve(&t, "", "1.2.3.4", "https", &p);
  CHECK_STR_EQ(p.addr, "");
  CHECK_INT_EQ(p.proxied, 0);
}

static void test_trusted_proxy(void) {
  sg_peer_trust t;
  sg_peer p;
  CHECK_INT_EQ(sg_peer_trust_parse(&t, "127.0.0.1,10.0.0.5"), 0);
  /* One proxy: the address it appended. */
  resolve(&t, "127.0.0.1", "203.0.113.7", "https", &p);
  CHECK_STR_EQ(p.addr, "203.0.113.7");
  CHECK_INT_EQ(p.tls, 1);
  CHECK_INT_EQ(p.proxied, 1);
  resolve(&t, "127.0.0.1", "203.0.113.7", "HTTPS", &p);
  CHECK_INT_EQ(p.tls, 1);
  resolve(&t, "127.0.0.1", "203.0.113.7", "http", &p);
  CHECK_INT_EQ(p.tls, 0);
  resolve(&t, "127.0.0.1", "203.0.113.7", NULL, &p);
  CHECK_INT_EQ(p.tls, 0);
  /* What the client wrote before the proxy's entry is not believed. */
  resolve(&t, "127.0.0.1", "127.0.0.1, 6.6.6.6 ,203.0.113.7", "https", &p);
  CHECK_STR_EQ(p.addr, "203.0.113.7");
  /* Two trusted hops: the walk passes both. */
  resolve(&t, "127.0.0.1", "6.6.6.6, 198.51.100.9, 10.0.0.5", NULL, &p);
  CHECK_STR_EQ(p.addr, "198.51.100.9");
  /* Every hop trusted: the left-most. */
  resolve(&t, "127.0.0.1", "10.0.0.5,127.0.0.1", NULL, &p);
  CHECK_STR_EQ(p.addr, "10.0.0.5");
  /* Garbage is never a client: the last address read stands. */
  resolve(&t, "127.0.0.1", "203.0.113.7, evil", NULL, &p);
  CHECK_STR_EQ(p.addr, "127.0.0.1");
  resolve(&t, "127.0.0.1", "junk, 10.0.0.5", NULL, &p);
  CHECK_STR_EQ(p.addr, "10.0.0.5");
  resolve(&t, "127.0.0.1", "203.0.113.7,", NULL, &p);
  CHECK_STR_EQ(p.addr, "127.0.0.1");
  /* No header: the proxy itself. */
  resolve(&t, "127.0.0.1", NULL, NULL, &p);
  CHECK_STR_EQ(p.addr, "127.0.0.1");
  resolve(&t, "127.0.0.1", "", NULL, &p);
  CHECK_STR_EQ(p.addr, "127.0.0.1");
  /* IPv6, bracketed or not, mapped IPv4 spelt as IPv4. */
  resolve(&t, "::ffff:127.0.0.1", "[2001:db8::1]", NULL, &p);
  CHECK_STR_EQ(p.addr, "2001:db8::1");
  resolve(&t, "127.0.0.1", "::FFFF:192.0.2.1", NULL, &p);
  CHECK_STR_EQ(p.addr, "192.0.2.1");
  /* An address far too long for any IP is garbage, not a crash. */
  char longer[200];
  memset(longer, '1', sizeof(longer) - 1);
  longer[sizeof(longer) - 1] = '\0';
  resolve(&t, "127.0.0.1", longer, NULL, &p);
  CHECK_STR_EQ(p.addr, "127.0.0.1");
}

/* Several X-Forwarded-For lines are one list (a proxy that adds its own
 * line, as HAProxy does); X-Forwarded-Proto is the last line's. */
static void test_header_lines(void) {
  sg_peer_trust t;
  sg_peer p;
  CHECK_INT_EQ(sg_peer_trust_parse(&t, "127.0.0.1,10.0.0.5"), 0);
  const char *forged_then_real[] = {"6.6.6.6", "203.0.113.7"};
  sg_peer_resolve(&t, "127.0.0.1", forged_then_real, 2, NULL, &p);
  CHECK_STR_EQ(p.addr, "203.0.113.7");
  const char *across[] = {"6.6.6.6, 198.51.100.9", "10.0.0.5", " 10.0.0.5 "};
  sg_peer_resolve(&t, "127.0.0.1", across, 3, "https", &p);
  CHECK_STR_EQ(p.addr, "198.51.100.9");
  CHECK_INT_EQ(p.tls, 1);
  const char *all_trusted[] = {"10.0.0.5", "127.0.0.1"};
  sg_peer_resolve(&t, "127.0.0.1", all_trusted, 2, NULL, &p);
  CHECK_STR_EQ(p.addr, "10.0.0.5");
  const char *empty_line[] = {"203.0.113.7", ""};
  sg_peer_resolve(&t, "127.0.0.1", empty_line, 2, NULL, &p);
  CHECK_STR_EQ(p.addr, "127.0.0.1"); /* an empty entry is garbage too */
  sg_peer_resolve(&t, "127.0.0.1", NULL, 0, NULL, &p);
  CHECK_STR_EQ(p.addr, "127.0.0.1");

  char buf[] = "GET / HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: http\r\n"
               "Host: h\r\nx-forwarded-for: 203.0.113.7\r\nx-forwarded-proto: https\r\n\r\n";
  sg_http_parse_request h;
  sg_http_parse_error e;
  sg_http_parse_scan scan = {0, 0};
  size_t head_len = 0;
  sg_http_parse_reset(&h);
  CHECK_INT_EQ(sg_http_parse_find_end(&scan, buf, sizeof(buf) - 1, &head_len, &e), 1);
  CHECK_INT_EQ(sg_http_parse_head(&h, buf, head_len, &e), 0);
  sg_http_parse_terminate(&h);
  sg_peer_of_head(&t, "127.0.0.1", &h, &p);
  CHECK_STR_EQ(p.addr, "203.0.113.7");
  CHECK_INT_EQ(p.tls, 1);
  sg_peer_of_head(&t, "10.9.9.9", &h, &p); /* not a proxy: nothing believed */
  CHECK_STR_EQ(p.addr, "10.9.9.9");
  CHECK_INT_EQ(p.tls, 0);
}

static void test_loopback(void) {
  CHECK(sg_peer_loopback("127.0.0.1"));
  CHECK(sg_peer_loopback("127.8.9.10"));
  CHECK(sg_peer_loopback("::1"));
  CHECK(sg_peer_loopback("::ffff:127.0.0.1"));
  CHECK(sg_peer_loopback("::FFFF:127.0.0.1"));
  CHECK(!sg_peer_loopback("10.0.0.1"));
  CHECK(!sg_peer_loopback("::ffff:10.0.0.1"));
  CHECK(!sg_peer_loopback("1127.0.0.1"));
  CHECK(!sg_peer_loopback(""));
  CHECK(!sg_peer_loopback("127.0.0.1junk"));
}

/* The socket's peer, read from a real loopback connection. */
static void test_socket_addr(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(l >= 0 && c >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  CHECK_INT_EQ(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
  CHECK_INT_EQ(listen(l, 1), 0);
  CHECK_INT_EQ(getsockname(l, (struct sockaddr *)&a, &len), 0);
  CHECK_INT_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
  int s = accept(l, NULL, NULL);
  CHECK(s >= 0);
  char out[SG_PEER_ADDR_MAX];
  sg_peer_socket_addr(s, out, sizeof(out));
  CHECK_STR_EQ(out, "127.0.0.1");
  sg_peer_socket_addr(l, out, sizeof(out)); /* a listener has no peer */
  CHECK_STR_EQ(out, "");
  close(s);
  close(c);
  close(l);
}

int main(void) {
  RUN_TEST(test_trust_parse);
  RUN_TEST(test_untrusted_ignored);
  RUN_TEST(test_trusted_proxy);
  RUN_TEST(test_header_lines);
  RUN_TEST(test_loopback);
  RUN_TEST(test_socket_addr);
  CHECK_DONE();
}
