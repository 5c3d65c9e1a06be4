/* The proxies' headers (http/peer): a --trusted-proxy list, a socket peer,
 * X-Forwarded-Proto, then X-Forwarded-For lines, one per line of the input
 * (up to SG_HTTP_HEADERS_MAX). The
 * client found is always an IP address in inet_ntop's form, or "" when the
 * socket's peer is none; it is the socket's peer itself unless that peer is
 * trusted; TLS is never believed from an untrusted peer. */
#include <string.h>

#include "fuzz.h"
#include "http/peer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

/* The next line of the input, NUL-terminated in place: NULL at the end. */
static char *next_line(char **at, char *end) {
  if (*at >= end)
    return NULL;
  char *line = *at, *nl = memchr(line, '\n', (size_t)(end - line));
  if (nl == NULL)
    nl = end;
  *nl = '\0';
  *at = nl + 1;
  return line;
}

/* 1 if s is an address as sg_peer writes it: parses and prints back the same. */
static int canonical(const char *s) {
  sg_peer p;
  sg_peer_resolve(NULL, s, NULL, 0, NULL, &p);
  return strcmp(p.addr, s) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1);
  FUZZ_CHECK(buf != NULL);
  memcpy(buf, data, size);
  buf[size] = '\0';
  char *at = buf, *end = buf + size;
  const char *list = next_line(&at, end), *socket_peer = next_line(&at, end);
  const char *xfp = next_line(&at, end), *xff[SG_HTTP_HEADERS_MAX];
  size_t n_xff = 0;
  while (n_xff < SG_HTTP_HEADERS_MAX && (xff[n_xff] = next_line(&at, end)) != NULL)
    n_xff++;
  sg_peer_trust t;
  int rc = sg_peer_trust_parse(&t, list != NULL ? list : "");
  FUZZ_CHECK(rc == 0 ? t.n >= 1 && t.n <= SG_PEER_TRUSTED_MAX : rc == -1 && t.n == 0);
  sg_peer p;
  sg_peer_resolve(&t, socket_peer != NULL ? socket_peer : "", xff, n_xff, xfp, &p);
  FUZZ_CHECK(memchr(p.addr, '\0', sizeof(p.addr)) != NULL);
  FUZZ_CHECK(p.addr[0] == '\0' || canonical(p.addr));
  FUZZ_CHECK(p.tls == 0 || p.proxied);
  if (!p.proxied) {
    sg_peer direct;
    sg_peer_resolve(NULL, socket_peer != NULL ? socket_peer : "", NULL, 0, NULL, &direct);
    FUZZ_CHECK(strcmp(p.addr, direct.addr) == 0 && p.tls == 0);
  } else {
    FUZZ_CHECK(sg_peer_trusted(&t, socket_peer));
  }
  (void)sg_peer_loopback(p.addr);
  free(buf);
  return 0;
}
