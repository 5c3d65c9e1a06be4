/* http/parse: the request parser of sg_http, on plain byte arrays. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "http/parse.h"

/* The head of buf (NUL-terminated, writable): found, parsed and cut. Returns
 * what sg_http_parse_head returned (-2 if no head was found). */
static int parse(char *buf, sg_http_parse_request *h, size_t *head_len, sg_http_parse_error *e) {
  sg_http_parse_scan s = {0, 0};
  if (sg_http_parse_find_end(&s, buf, strlen(buf), head_len, e) != 1)
    return -2;
  int rc = sg_http_parse_head(h, buf, *head_len, e);
  if (rc == 0)
    sg_http_parse_terminate(h);
  return rc;
}

/* The error a head gives, checked whole. */
static void check_refused(const char *text, int status, const char *code, const char *message) {
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s", text);
  sg_http_parse_request h;
  sg_http_parse_error e = {0};
  size_t head_len;
  CHECK_INT_EQ(parse(buf, &h, &head_len, &e), -1);
  CHECK_INT_EQ(e.status, status);
  CHECK_STR_EQ(e.code, code);
  CHECK_STR_EQ(e.message, message);
}

/* A repeated header: every line, in order (a proxy that adds its own
 * X-Forwarded-For line puts it last). */
static void test_header_values(void) {
  char buf[] = "GET / HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6\r\nHost: h\r\n"
               "x-forwarded-for: 10.0.0.1, 203.0.113.7\r\n\r\n";
  sg_http_parse_request h;
  sg_http_parse_error e;
  size_t head_len = 0;
  CHECK_INT_EQ(parse(buf, &h, &head_len, &e), 0);
  CHECK_STR_EQ(sg_http_parse_header_value(&h, "x-forwarded-for"), "6.6.6.6");
  const char *v[SG_HTTP_HEADERS_MAX];
  CHECK_INT_EQ(sg_http_parse_header_values(&h, "X-Forwarded-For", v, SG_HTTP_HEADERS_MAX), 2);
  CHECK_STR_EQ(v[0], "6.6.6.6");
  CHECK_STR_EQ(v[1], "10.0.0.1, 203.0.113.7");
  CHECK_INT_EQ(sg_http_parse_header_values(&h, "x-forwarded-for", v, 1), 1); /* bounded */
  CHECK_STR_EQ(v[0], "6.6.6.6");
  CHECK_INT_EQ(sg_http_parse_header_values(&h, "host", v, SG_HTTP_HEADERS_MAX), 1);
  CHECK_INT_EQ(sg_http_parse_header_values(&h, "x-forwarded-proto", v, SG_HTTP_HEADERS_MAX), 0);
}

static void test_good_get(void) {
  char buf[] = "GET /v1/reports?x=1&y=2 HTTP/1.1\r\nHost: a.example\r\n"
               "X-Pad: \t v w \t\r\nconnection: Keep-Alive, Upgrade\r\n\r\n";
  sg_http_parse_request h;
  sg_http_parse_error e;
  size_t head_len = 0;
  CHECK_INT_EQ(parse(buf, &h, &head_len, &e), 0);
  CHECK_INT_EQ(head_len, sizeof(buf) - 1);
  CHECK_INT_EQ(h.method, SG_HTTP_GET);
  CHECK_INT_EQ(h.minor_version, 1);
  CHECK_STR_EQ(h.path, "/v1/reports");
  CHECK_STR_EQ(h.query, "x=1&y=2");
  CHECK_INT_EQ(h.n_headers, 3);
  CHECK_STR_EQ(sg_http_parse_header_value(&h, "host"), "a.example");
  CHECK_STR_EQ(sg_http_parse_header_value(&h, "X-PAD"), "v w");
  CHECK(sg_http_parse_header_value(&h, "content-length") == NULL);
  CHECK_INT_EQ(h.content_length, -1);
  CHECK_INT_EQ(h.keep_alive, 1);
  CHECK_INT_EQ(h.upgrade, 0);
  CHECK_INT_EQ(sg_http_parse_framing(&h, &e), 0);

  /* HTTP/1.0, absolute-form, no query, bare '\n' line ends, a websocket upgrade */
  char old[] = "HEAD http://h.example:80/p HTTP/1.0\nUpgrade: WebSocket\n\n";
  CHECK_INT_EQ(parse(old, &h, &head_len, &e), 0);
  CHECK_INT_EQ(h.method, SG_HTTP_HEAD);
  CHECK_INT_EQ(h.minor_version, 0);
  CHECK_STR_EQ(h.path, "/p");
  CHECK_STR_EQ(h.query, "");
  CHECK_INT_EQ(h.keep_alive, 0);
  CHECK_INT_EQ(h.upgrade, 1);

  char other[] = "OPTIONS * HTTP/1.1\r\nConnection: close\r\n\r\n";
  CHECK_INT_EQ(parse(other, &h, &head_len, &e), 0);
  CHECK_INT_EQ(h.method, SG_HTTP_OTHER);
  CHECK_STR_EQ(h.path, "*");
  CHECK_INT_EQ(h.keep_alive, 0);
}

static void test_post_content_length(void) {
  char buf[] = "POST /v1/reports HTTP/1.1\r\nContent-Type: application/json\r\n"
               "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n{\"a\":1}";
  sg_http_parse_request h;
  sg_http_parse_error e;
  size_t head_len = 0;
  CHECK_INT_EQ(parse(buf, &h, &head_len, &e), 0);
  CHECK_INT_EQ(head_len, sizeof(buf) - 1 - 7);
  CHECK_INT_EQ(h.method, SG_HTTP_POST);
  CHECK_INT_EQ(h.content_length, 7);
  CHECK_INT_EQ(h.expect_continue, 1);
  CHECK_INT_EQ(sg_http_parse_framing(&h, &e), 0);
  CHECK_STR_EQ(sg_http_parse_header_value(&h, "content-type"), "application/json");
  /* the same length twice is one length */
  char twice[] = "POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n";
  CHECK_INT_EQ(parse(twice, &h, &head_len, &e), 0);
  CHECK_INT_EQ(h.content_length, 3);
}

static void test_pipelined(void) {
  char buf[] = "\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n"
               "POST /b?c HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
               "GET /d HTTP/1.1\r\n";
  size_t len = sizeof(buf) - 1;
  char *p = buf;
  size_t skip = sg_http_parse_skip(p, len);
  CHECK_INT_EQ(skip, 2);
  p += skip;
  len -= skip;
  sg_http_parse_request h;
  sg_http_parse_error e;
  sg_http_parse_scan s = {0, 0};
  size_t head_len = 0;
  CHECK_INT_EQ(sg_http_parse_find_end(&s, p, len, &head_len, &e), 1);
  CHECK_INT_EQ(sg_http_parse_head(&h, p, head_len, &e), 0);
  sg_http_parse_terminate(&h);
  CHECK_STR_EQ(h.path, "/a");
  CHECK_INT_EQ(h.content_length, -1);
  p += head_len;
  len -= head_len;

  s = (sg_http_parse_scan){0, 0};
  CHECK_INT_EQ(sg_http_parse_find_end(&s, p, len, &head_len, &e), 1);
  CHECK_INT_EQ(sg_http_parse_head(&h, p, head_len, &e), 0);
  sg_http_parse_terminate(&h);
  CHECK_INT_EQ(h.method, SG_HTTP_POST);
  CHECK_STR_EQ(h.path, "/b");
  CHECK_STR_EQ(h.query, "c");
  CHECK_INT_EQ(h.n_headers, 1); /* nothing left of the first request */
  CHECK_INT_EQ(h.content_length, 2);
  CHECK(memcmp(p + head_len, "hi", 2) == 0);
  p += head_len + 2;
  len -= head_len + 2;

  /* the third is not complete yet */
  s = (sg_http_parse_scan){0, 0};
  CHECK_INT_EQ(sg_http_parse_find_end(&s, p, len, &head_len, &e), 0);
}

static void test_cut_at_every_byte(void) {
  const char text[] = "POST /v1/x?y=z HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n";
  size_t len = sizeof(text) - 1;
  for (size_t cut = 0; cut < len; cut++) {
    char buf[sizeof(text)];
    memcpy(buf, text, sizeof(text));
    sg_http_parse_scan s = {0, 0};
    sg_http_parse_error e;
    size_t head_len = 0;
    CHECK_INT_EQ(sg_http_parse_find_end(&s, buf, cut, &head_len, &e), 0);
    CHECK_INT_EQ(sg_http_parse_find_end(&s, buf, len, &head_len, &e), 1);
    CHECK_INT_EQ(head_len, len);
    sg_http_parse_request h;
    CHECK_INT_EQ(sg_http_parse_head(&h, buf, head_len, &e), 0);
    sg_http_parse_terminate(&h);
    CHECK_STR_EQ(h.path, "/v1/x");
    CHECK_STR_EQ(h.query, "y=z");
    CHECK_INT_EQ(h.content_length, 0);
  }
  /* one byte at a time into one search */
  sg_http_parse_scan s = {0, 0};
  sg_http_parse_error e;
  size_t head_len = 0;
  for (size_t n = 0; n < len; n++)
    CHECK_INT_EQ(sg_http_parse_find_end(&s, text, n, &head_len, &e), 0);
  CHECK_INT_EQ(sg_http_parse_find_end(&s, text, len, &head_len, &e), 1);
  CHECK_INT_EQ(head_len, len);
}

static void test_bad_request_line(void) {
  check_refused("GET /\r\n\r\n", 400, "bad_request", "malformed request line");
  check_refused(" / HTTP/1.1\r\n\r\n", 400, "bad_request", "malformed request line");
  check_refused("GET  HTTP/1.1\r\n\r\n", 400, "bad_request", "malformed request line");
  check_refused("GET / HTTP/1.1x\r\n\r\n", 400, "bad_request", "malformed request line");
  check_refused("GET / http/1.1\r\n\r\n", 400, "bad_request", "malformed request line");
  check_refused("G(T / HTTP/1.1\r\n\r\n", 400, "bad_request", "malformed method");
  check_refused("GET /a\x01 HTTP/1.1\r\n\r\n", 400, "bad_request",
                "invalid character in the request target");
  check_refused("GET example.com/ HTTP/1.1\r\n\r\n", 400, "bad_request",
                "malformed request target");
  check_refused("GET http://h.example HTTP/1.1\r\n\r\n", 400, "bad_request",
                "malformed request target");
  /* The asterisk-form is OPTIONS's only; the fuzzer's "POST *" with an empty line before {}. */
  check_refused("POST * HTTP/1.1\r\n\n\r\n{}", 400, "bad_request", "malformed request target");
  check_refused("DELETE * HTTP/1.1\r\n\r\n", 400, "bad_request", "malformed request target");
  check_refused("GET / HTTP/2.0\r\n\r\n", 505, "version_not_supported",
                "HTTP/1.0 and HTTP/1.1 only");
  check_refused("GET / HTTP/1.2\r\n\r\n", 505, "version_not_supported",
                "HTTP/1.0 and HTTP/1.1 only");
}

static void test_bad_headers(void) {
  check_refused("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "bad_header", "malformed header line");
  check_refused("GET / HTTP/1.1\r\n: v\r\n\r\n", 400, "bad_header", "malformed header line");
  check_refused("GET / HTTP/1.1\r\nBad Name: v\r\n\r\n", 400, "bad_header",
                "malformed header name");
  check_refused("GET / HTTP/1.1\r\nX: a\x01"
                "b\r\n\r\n",
                400, "bad_header", "invalid character in a header value");
}

static void test_head_too_long(void) {
  static char buf[SG_HTTP_HEAD_MAX + 64];
  const char line[] = "GET / HTTP/1.1\r\nX-Long: ";
  memcpy(buf, line, sizeof(line) - 1);
  memset(buf + sizeof(line) - 1, 'a', sizeof(buf) - (sizeof(line) - 1));
  sg_http_parse_scan s = {0, 0};
  sg_http_parse_error e = {0};
  size_t head_len = 0;
  /* no end in sight below the limit: wait; at the limit: refuse */
  CHECK_INT_EQ(sg_http_parse_find_end(&s, buf, SG_HTTP_HEAD_MAX - 1, &head_len, &e), 0);
  CHECK_INT_EQ(sg_http_parse_find_end(&s, buf, SG_HTTP_HEAD_MAX, &head_len, &e), -1);
  CHECK_INT_EQ(e.status, 431);
  CHECK_STR_EQ(e.code, "headers_too_large");
  CHECK_STR_EQ(e.message, "request head over 8192 bytes");
  /* an end found past the limit */
  memcpy(buf + SG_HTTP_HEAD_MAX, "\r\n\r\n", 4);
  s = (sg_http_parse_scan){0, 0};
  e = (sg_http_parse_error){0};
  CHECK_INT_EQ(sg_http_parse_find_end(&s, buf, SG_HTTP_HEAD_MAX + 4, &head_len, &e), -1);
  CHECK_INT_EQ(head_len, SG_HTTP_HEAD_MAX + 4);
  CHECK_INT_EQ(e.status, 431);
  CHECK_STR_EQ(e.code, "headers_too_large");
  /* exactly at the limit is accepted */
  memcpy(buf + SG_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
  s = (sg_http_parse_scan){0, 0};
  CHECK_INT_EQ(sg_http_parse_find_end(&s, buf, SG_HTTP_HEAD_MAX, &head_len, &e), 1);
  CHECK_INT_EQ(head_len, SG_HTTP_HEAD_MAX);
}

static void test_too_many_headers(void) {
  char buf[4096];
  for (int n = SG_HTTP_HEADERS_MAX; n <= SG_HTTP_HEADERS_MAX + 1; n++) {
    size_t len = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
    for (int i = 0; i < n; i++)
      len += (size_t)snprintf(buf + len, sizeof(buf) - len, "X-%d: %d\r\n", i, i);
    snprintf(buf + len, sizeof(buf) - len, "\r\n");
    sg_http_parse_request h;
    sg_http_parse_error e = {0};
    size_t head_len;
    int rc = parse(buf, &h, &head_len, &e);
    if (n == SG_HTTP_HEADERS_MAX) {
      CHECK_INT_EQ(rc, 0);
      CHECK_INT_EQ(h.n_headers, SG_HTTP_HEADERS_MAX);
      CHECK_STR_EQ(sg_http_parse_header_value(&h, "x-63"), "63");
    } else {
      CHECK_INT_EQ(rc, -1);
      CHECK_INT_EQ(e.status, 431);
      CHECK_STR_EQ(e.code, "headers_too_large");
      CHECK_STR_EQ(e.message, "too many header lines");
    }
  }
}

static void test_length_and_chunked(void) {
  char buf[] = "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
  sg_http_parse_request h;
  sg_http_parse_error e = {0};
  size_t head_len;
  /* the head parses (an upgrade would be handed on as it came); framing refuses */
  CHECK_INT_EQ(parse(buf, &h, &head_len, &e), 0);
  CHECK_INT_EQ(h.transfer_encoding, 1);
  CHECK_INT_EQ(sg_http_parse_framing(&h, &e), -1);
  CHECK_INT_EQ(e.status, 411);
  CHECK_STR_EQ(e.code, "length_required");
  CHECK_STR_EQ(e.message, "chunked bodies are not accepted; send Content-Length");
  char chunked[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK_INT_EQ(parse(chunked, &h, &head_len, &e), 0);
  CHECK_INT_EQ(sg_http_parse_framing(&h, &e), -1);
  CHECK_INT_EQ(e.status, 411);
  check_refused("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
                "bad_length", "conflicting Content-Length headers");
}

static void test_bad_content_length(void) {
  const char *bad[] = {"5a", "-1", "+5", "0x10", "1 2", "1234567890123456789"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char buf[256];
    snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nContent-Length: %s\r\n\r\n", bad[i]);
    check_refused(buf, 400, "bad_length", "Content-Length is not a number");
  }
  check_refused("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "bad_length",
                "Content-Length is not a number");
  char ok[] = "POST / HTTP/1.1\r\nContent-Length: 123456789012345678\r\n\r\n";
  sg_http_parse_request h;
  sg_http_parse_error e;
  size_t head_len;
  CHECK_INT_EQ(parse(ok, &h, &head_len, &e), 0);
  CHECK_INT_EQ(h.content_length, 123456789012345678);
}

static void test_obs_fold(void) {
  check_refused("GET / HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n", 400, "bad_header",
                "folded header lines are not accepted");
  check_refused("GET / HTTP/1.1\r\nX-A: b\r\n\tc\r\n\r\n", 400, "bad_header",
                "folded header lines are not accepted");
}

static void test_answer_text(void) {
  CHECK_STR_EQ(sg_http_parse_reason(200), "OK");
  CHECK_STR_EQ(sg_http_parse_reason(431), "Request Header Fields Too Large");
  CHECK_STR_EQ(sg_http_parse_reason(299), "Status");
  char out[512];
  size_t n = sg_http_parse_error_body(out, sizeof(out), "bad_request", "no");
  CHECK_STR_EQ(out, "{\"code\":\"bad_request\",\"message\":\"no\"}");
  CHECK_INT_EQ(n, strlen(out));
  char small[40];
  sg_http_parse_error_body(small, sizeof(small), "bad_request", "a message far too long here");
  CHECK_STR_EQ(small, "{\"code\":\"error\",\"message\":\"error\"}");
  sg_http_response r = {
      .status = 404, .content_type = "text/plain", .body_len = 3, .headers = "x-a: b\r\n"};
  CHECK(sg_http_parse_response_size(&r) >= 200);
  n = sg_http_parse_response_head(out, sizeof(out), &r, 0, 1);
  CHECK_STR_EQ(out, "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n"
                    "content-length: 3\r\nx-a: b\r\n\r\n");
  CHECK_INT_EQ(n, strlen(out));
  r = (sg_http_response){.status = 204};
  sg_http_parse_response_head(out, sizeof(out), &r, 0, 0);
  CHECK_STR_EQ(out, "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n"
                    "connection: keep-alive\r\n\r\n");
  sg_http_parse_response_head(out, sizeof(out), &r, 1, 0);
  CHECK_STR_EQ(out, "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
}

int main(void) {
  RUN_TEST(test_good_get);
  RUN_TEST(test_header_values);
  RUN_TEST(test_post_content_length);
  RUN_TEST(test_pipelined);
  RUN_TEST(test_cut_at_every_byte);
  RUN_TEST(test_bad_request_line);
  RUN_TEST(test_bad_headers);
  RUN_TEST(test_head_too_long);
  RUN_TEST(test_too_many_headers);
  RUN_TEST(test_length_and_chunked);
  RUN_TEST(test_bad_content_length);
  RUN_TEST(test_obs_fold);
  RUN_TEST(test_answer_text);
  CHECK_DONE();
}
