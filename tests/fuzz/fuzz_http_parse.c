/* The HTTP/1.1 request parser (http/parse) on what a client may send:
 * pipelined heads one after another, as sg_http's server reads them. The
 * end of a head is found the same whether the bytes come at once or in two
 * pieces; a parsed head's strings lie inside it. */
#include <string.h>

#include "fuzz.h"
#include "http/parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

static int inside(const char *p, const char *buf, size_t len) {
  return p >= buf && p <= buf + len;
}

/* Parses one head from buf[0..len); returns the bytes it used, 0 to stop. */
static size_t one_head(char *buf, size_t len, size_t split) {
  size_t skip = sg_http_parse_skip(buf, len);
  FUZZ_CHECK(skip <= len);
  buf += skip;
  len -= skip;
  sg_http_parse_scan whole = {0}, parts = {0};
  sg_http_parse_error e;
  size_t head_len = 0, head_len2 = 0;
  int rc = sg_http_parse_find_end(&whole, buf, len, &head_len, &e);
  /* The same search in two pieces, as bytes arrive. */
  if (split > len)
    split = len;
  int rc2 = sg_http_parse_find_end(&parts, buf, split, &head_len2, &e);
  if (rc2 == 0)
    rc2 = sg_http_parse_find_end(&parts, buf, len, &head_len2, &e);
  FUZZ_CHECK(rc2 == rc);
  if (rc == 1 && rc2 == 1)
    FUZZ_CHECK(head_len == head_len2);
  if (rc != 1) {
    if (rc < 0)
      FUZZ_CHECK(e.status == 431);
    return 0;
  }
  FUZZ_CHECK(head_len >= 2 && head_len <= len && head_len <= SG_HTTP_HEAD_MAX);
  static sg_http_parse_request h; /* large; one input at a time */
  sg_http_parse_reset(&h);
  if (sg_http_parse_head(&h, buf, head_len, &e) != 0) {
    FUZZ_CHECK(e.status >= 400 && e.status < 600 && e.code != NULL && e.message != NULL);
    return 0;
  }
  FUZZ_CHECK(h.n_headers <= SG_HTTP_HEADERS_MAX);
  FUZZ_CHECK(h.path != NULL && inside(h.path, buf, head_len));
  /* origin-form, or OPTIONS's asterisk-form */
  FUZZ_CHECK(h.path[0] == '/' || (h.path[0] == '*' && strncmp(buf, "OPTIONS ", 8) == 0));
  for (size_t i = 0; i < h.n_headers; i++)
    FUZZ_CHECK(inside(h.headers[i].name, buf, head_len) &&
               inside(h.headers[i].value + h.headers[i].value_len, buf, head_len));
  sg_http_parse_terminate(&h);
  FUZZ_CHECK(h.query != NULL);
  const char *names[] = {"host", "content-type", "content-length", "upgrade", "sec-websocket-key",
                         "idempotency-key", "authorization", "cookie", "origin"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    const char *v = sg_http_parse_header_value(&h, names[i]);
    if (v != NULL)
      FUZZ_CHECK(inside(v, buf, head_len));
  }
  if (sg_http_parse_framing(&h, &e) != 0)
    FUZZ_CHECK(e.status == 411);
  if (h.content_length > 0)
    return 0; /* a body follows: the next head is not ours to find */
  return skip + head_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t split = data[0];
  /* A copy the parser may cut with NULs, exactly size - 1 bytes long. */
  char *buf = malloc(size);
  FUZZ_CHECK(buf != NULL);
  memcpy(buf, data + 1, size - 1);
  size_t at = 0, len = size - 1;
  for (int n = 0; n < 16 && at < len; n++) {
    size_t used = one_head(buf + at, len - at, split);
    if (used == 0)
      break;
    at += used;
  }
  free(buf);
  return 0;
}
