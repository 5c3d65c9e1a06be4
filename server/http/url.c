#include "http/url.h"

#include <stdio.h>
#include <string.h>

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

long sg_url_encode(char *dst, size_t size, const char *src, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)src[i];
    size_t need = unreserved(c) ? 1 : 3;
    if (o + need >= size)
      return -1;
    if (need == 1) {
      dst[o++] = (char)c;
    } else {
      dst[o++] = '%';
      dst[o++] = hex[c >> 4];
      dst[o++] = hex[c & 15];
    }
  }
  if (o >= size)
    return -1;
  dst[o] = '\0';
  return (long)o;
}

int sg_url_parse(const char *url, sg_url_parts *out) {
  static const char scheme[] = "http://";
  if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
    return -1;
  const char *p = url + sizeof(scheme) - 1;
  for (const char *q = url; *q != '\0'; q++) {
    unsigned char c = (unsigned char)*q;
    if (c <= 0x20 || c >= 0x7F || c == '#')
      return -1;
  }
  const char *host_end;
  const char *after;
  if (*p == '[') {
    host_end = strchr(p, ']');
    if (host_end == NULL)
      return -1;
    p++;
    after = host_end + 1;
  } else {
    host_end = p + strcspn(p, ":/?");
    after = host_end;
  }
  size_t host_len = (size_t)(host_end - p);
  if (host_len == 0 || host_len >= sizeof(out->host) || memchr(p, '@', host_len) != NULL)
    return -1;
  memcpy(out->host, p, host_len);
  out->host[host_len] = '\0';

  out->port = 80;
  if (*after == ':') {
    long port = 0;
    const char *d = after + 1;
    if (*d < '0' || *d > '9')
      return -1;
    while (*d >= '0' && *d <= '9') {
      port = port * 10 + (*d - '0');
      if (port > 65535)
        return -1;
      d++;
    }
    if (port == 0)
      return -1;
    out->port = (int)port;
    after = d;
  }
  if (*after != '\0' && *after != '/' && *after != '?')
    return -1;
  int n = snprintf(out->target, sizeof(out->target), "%s%s", *after == '/' ? "" : "/", after);
  return (n < 0 || (size_t)n >= sizeof(out->target)) ? -1 : 0;
}
