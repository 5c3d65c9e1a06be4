/* http:// URLs (http/url.h): splitting and percent-encoding. */
#include <string.h>

#include "check.h"
#include "http/url.h"

static void test_encode(void) {
  char buf[64];
  CHECK_INT_EQ(sg_url_encode(buf, sizeof(buf), "+62 81&a=b", 10), 18);
  CHECK_STR_EQ(buf, "%2B62%2081%26a%3Db");
  CHECK_INT_EQ(sg_url_encode(buf, sizeof(buf), "AZaz09-._~", 10), 10);
  CHECK_STR_EQ(buf, "AZaz09-._~");
  CHECK_INT_EQ(sg_url_encode(buf, sizeof(buf), "\xE2\x80\x94", 3), 9);
  CHECK_STR_EQ(buf, "%E2%80%94");
  /* Exactly full (with the NUL) fits; one byte less does not. */
  CHECK_INT_EQ(sg_url_encode(buf, 4, "%", 1), 3);
  CHECK_INT_EQ(sg_url_encode(buf, 3, "%", 1), -1);
  CHECK_INT_EQ(sg_url_encode(buf, 1, "", 0), 0);
}

static void test_parse(void) {
  sg_url_parts p;
  CHECK_INT_EQ(sg_url_parse("http://127.0.0.1:13013/cgi-bin/sendsms?username=u&password=p", &p), 0);
  CHECK_STR_EQ(p.host, "127.0.0.1");
  CHECK_INT_EQ(p.port, 13013);
  CHECK_STR_EQ(p.target, "/cgi-bin/sendsms?username=u&password=p");
  CHECK_INT_EQ(sg_url_parse("http://kannel.local", &p), 0);
  CHECK_STR_EQ(p.host, "kannel.local");
  CHECK_INT_EQ(p.port, 80);
  CHECK_STR_EQ(p.target, "/");
  CHECK_INT_EQ(sg_url_parse("http://gw?user=u", &p), 0);
  CHECK_STR_EQ(p.target, "/?user=u");
  CHECK_INT_EQ(sg_url_parse("http://[::1]:8080/x", &p), 0);
  CHECK_STR_EQ(p.host, "::1");
  CHECK_INT_EQ(p.port, 8080);
  CHECK_STR_EQ(p.target, "/x");

  CHECK_INT_EQ(sg_url_parse("https://gw/x", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://:80/", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://user:pw@gw/", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://gw:0/", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://gw:65536/", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://gw:x/", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://gw/a b", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://gw/a#frag", &p), -1);
  CHECK_INT_EQ(sg_url_parse("http://[::1/", &p), -1);
}

int main(void) {
  RUN_TEST(test_encode);
  RUN_TEST(test_parse);
  CHECK_DONE();
}
