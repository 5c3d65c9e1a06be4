/* The pure part of the HTTP client (http/client.h): reading the status
 * line of a response. */
#include <string.h>

#include "check.h"
#include "http/client.h"

static void test_status(void) {
  int status = 0;
  const char *ok = "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nSent.";
  CHECK_INT_EQ(sg_http_client_parse_status(ok, strlen(ok), &status), 1);
  CHECK_INT_EQ(status, 202);
  CHECK_INT_EQ(sg_http_client_parse_status("HTTP/1.0 503\r\n", 14, &status), 1);
  CHECK_INT_EQ(status, 503);
  /* Incomplete: every prefix of a good response asks for more. */
  for (size_t i = 0; i < 23; i++)
    CHECK_INT_EQ(sg_http_client_parse_status(ok, i, &status), 0);
  /* Interim responses are skipped. */
  const char *cont = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
  CHECK_INT_EQ(sg_http_client_parse_status(cont, strlen(cont), &status), 1);
  CHECK_INT_EQ(status, 200);
  CHECK_INT_EQ(sg_http_client_parse_status(cont, 25, &status), 0);
  const char *hints = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 400 Bad\r\n";
  CHECK_INT_EQ(sg_http_client_parse_status(hints, strlen(hints), &status), 1);
  CHECK_INT_EQ(status, 400);
  /* Not HTTP/1.x. */
  CHECK_INT_EQ(sg_http_client_parse_status("SSH-2.0-x\r\n", 11, &status), -1);
  CHECK_INT_EQ(sg_http_client_parse_status("HTTP/2 200\r\n", 12, &status), -1);
  CHECK_INT_EQ(sg_http_client_parse_status("HTTP/1.1 20\r\n", 13, &status), -1);
  CHECK_INT_EQ(sg_http_client_parse_status("HTTP/1.1 2000\r\n", 15, &status), -1);
  CHECK_INT_EQ(sg_http_client_parse_status("HTTP/1.1 099 x\r\n", 16, &status), -1);
  CHECK_INT_EQ(sg_http_client_parse_status("HTTP/1.1 abc x\r\n", 16, &status), -1);
  CHECK_INT_EQ(sg_http_client_parse_status("HTTP/1.1 100 x\r\n\r\nFTP", 21, &status), -1);
}

int main(void) {
  RUN_TEST(test_status);
  CHECK_DONE();
}
