/* http:// URLs for the outbound client: splitting a configured URL into
 * host, port and request target, and percent-encoding query values.
 *
 * Nothing here allocates: every function writes into a buffer the caller
 * owns and reports when it does not fit. */
#ifndef SG_URL_H
#define SG_URL_H

#include <stddef.h>

#define SG_URL_HOST_MAX 256
#define SG_URL_TARGET_MAX 2048

/* An http:// URL split for a client: host (name or IPv4/IPv6 literal, no
 * brackets), port (80 if absent) and the request target (path and query,
 * "/" if the URL has no path). */
typedef struct sg_url_parts {
  char host[SG_URL_HOST_MAX];
  int port;
  char target[SG_URL_TARGET_MAX];
} sg_url_parts;

/* Splits an http:// URL. Refuses other schemes, user info, fragments,
 * control characters and spaces, and anything too long. Returns 0 or -1. */
int sg_url_parse(const char *url, sg_url_parts *out);

/* Percent-encodes len bytes of src for a query value: everything except the
 * RFC 3986 unreserved characters, so '+' and '&' survive any decoder.
 * Writes a NUL-terminated string and returns its length, or -1 if it does
 * not fit in size bytes. */
long sg_url_encode(char *dst, size_t size, const char *src, size_t len);

#endif
