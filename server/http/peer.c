#include "http/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* ip (text, len bytes, no NUL needed; "[v6]" accepted) as 16 bytes, IPv4
 * as its mapped IPv6 form. 0, else -1. */
static int parse_addr(const char *ip, size_t len, unsigned char out[16]) {
  char buf[SG_PEER_ADDR_MAX];
  if (len >= 2 && ip[0] == '[' && ip[len - 1] == ']') {
    ip++;
    len -= 2;
  }
  if (len == 0 || len >= sizeof(buf))
    return -1;
  memcpy(buf, ip, len);
  buf[len] = '\0';
  struct in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &v4, 4);
    return 0;
  }
  return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

static int mapped_v4(const unsigned char a[16]) {
  static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a, prefix, 12) == 0;
}

static void format_addr(const unsigned char a[16], char out[SG_PEER_ADDR_MAX]) {
  if (mapped_v4(a) ? inet_ntop(AF_INET, a + 12, out, SG_PEER_ADDR_MAX) == NULL
                   : inet_ntop(AF_INET6, a, out, SG_PEER_ADDR_MAX) == NULL)
    out[0] = '\0';
}

static int trusted_bytes(const sg_peer_trust *t, const unsigned char a[16]) {
  for (size_t i = 0; t != NULL && i < t->n; i++)
    if (memcmp(t->addr[i], a, 16) == 0)
      return 1;
  return 0;
}

int sg_peer_trust_parse(sg_peer_trust *t, const char *list) {
  t->n = 0;
  for (const char *p = list; *p != '\0';) {
    size_t n = strcspn(p, ",");
    while (n > 0 && *p == ' ') {
      p++;
      n--;
    }
    if (t->n == SG_PEER_TRUSTED_MAX || parse_addr(p, n, t->addr[t->n]) != 0) {
      t->n = 0;
      return -1;
    }
    t->n++;
    p += n;
    if (*p == ',' && *++p == '\0') { /* "a," names an empty address */
      t->n = 0;
      return -1;
    }
  }
  return t->n > 0 ? 0 : -1;
}

int sg_peer_trusted(const sg_peer_trust *t, const char *ip) {
  unsigned char a[16];
  return parse_addr(ip, strlen(ip), a) == 0 && trusted_bytes(t, a);
}

/* The entry of a list that ends at end (exclusive), trimmed: *start and
 * the returned length; *before is where the walk goes on (the comma). */
static size_t entry_before(const char *list, const char *end, const char **start,
                           const char **before) {
  const char *b = end;
  while (b > list && b[-1] != ',')
    b--;
  const char *s = b, *e = end;
  while (s < e && (*s == ' ' || *s == '\t'))
    s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  *start = s;
  *before = b > list ? b - 1 : NULL; /* NULL: the list's first entry was read */
  return (size_t)(e - s);
}

void sg_peer_resolve(const sg_peer_trust *t, const char *socket_peer,
                     const char *const *forwarded_for, size_t n_forwarded_for,
                     const char *forwarded_proto, sg_peer *out) {
  unsigned char a[16];
  memset(out, 0, sizeof(*out));
  if (parse_addr(socket_peer, strlen(socket_peer), a) != 0)
    return; /* unknown, and trusted by nobody */
  format_addr(a, out->addr);
  if (!trusted_bytes(t, a))
    return;
  out->proxied = 1;
  out->tls = forwarded_proto != NULL && strcasecmp(forwarded_proto, "https") == 0;
  /* Right to left, the last line first: each hop that is trusted passes
   * the word to the one before it; the first that is not is the client. */
  for (size_t line = n_forwarded_for; line > 0; line--) {
    const char *list = forwarded_for[line - 1];
    for (const char *end = list + strlen(list); end != NULL;) {
      const char *s;
      size_t n = entry_before(list, end, &s, &end);
      unsigned char hop[16];
      if (parse_addr(s, n, hop) != 0)
        return; /* garbage: the last address read stands */
      format_addr(hop, out->addr);
      if (!trusted_bytes(t, hop))
        return;
    }
  }
}

void sg_peer_of_head(const sg_peer_trust *t, const char *socket_peer,
                     const sg_http_parse_request *h, sg_peer *out) {
  const char *xff[SG_HTTP_HEADERS_MAX], *xfp[SG_HTTP_HEADERS_MAX];
  size_t n_xff = sg_http_parse_header_values(h, "x-forwarded-for", xff, SG_HTTP_HEADERS_MAX);
  size_t n_xfp = sg_http_parse_header_values(h, "x-forwarded-proto", xfp, SG_HTTP_HEADERS_MAX);
  sg_peer_resolve(t, socket_peer, xff, n_xff, n_xfp > 0 ? xfp[n_xfp - 1] : NULL, out);
}

void sg_peer_of(const sg_peer_trust *t, const sg_http_request *req, sg_peer *out) {
  sg_peer_of_head(t, sg_http_request_peer(req), sg_http_request_head(req), out);
}

void sg_peer_socket_addr(int fd, char *out, size_t cap) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  out[0] = '\0';
  if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
    return;
  if (ss.ss_family == AF_INET)
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)cap);
  else if (ss.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)cap);
}

int sg_peer_client_loopback(const sg_peer_trust *t, const sg_http_request *req) {
  sg_peer p;
  sg_peer_of(t, req, &p);
  return sg_peer_loopback(p.addr);
}

int sg_peer_loopback(const char *ip) {
  unsigned char a[16];
  static const unsigned char v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (parse_addr(ip, strlen(ip), a) != 0)
    return 0;
  return (mapped_v4(a) && a[12] == 127) || memcmp(a, v6_loopback, 16) == 0;
}
