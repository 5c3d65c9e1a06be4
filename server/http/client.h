/* A one-shot HTTP/1.1 GET on libuv: resolve, connect, send the request with
 * "Connection: close", read up to the status line, close. Enough for
 * gateway interfaces such as Kannel's sendsms, which answer with a status
 * and a line of text; no body is returned. One object per request. */
#ifndef SG_HTTP_CLIENT_H
#define SG_HTTP_CLIENT_H

#include <stddef.h>
#include <uv.h>

typedef struct sg_http_client sg_http_client;

/* status is the HTTP status, or 0 with error text when the server could not
 * be reached or answered something that is not HTTP/1.x. */
typedef void (*sg_http_client_cb)(void *data, int status, const char *error);

typedef struct sg_http_client_options {
  const char *host; /* name or address to resolve */
  int port;
  const char *host_header; /* value of the Host header */
  const char *target;      /* path and query, already percent-encoded */
  unsigned connect_timeout_ms;
  unsigned response_timeout_ms;
} sg_http_client_options;

/* Starts the request; cb is called exactly once, never before this returns,
 * unless the request is cancelled first. Returns NULL (and never calls cb)
 * when memory or libuv refuses. */
sg_http_client *sg_http_client_start(uv_loop_t *loop, const sg_http_client_options *options,
                                     sg_http_client_cb cb, void *data);

/* Stops the request without calling cb; its memory goes once libuv has
 * closed its handles. */
void sg_http_client_cancel(sg_http_client *req);

/* Reads the start of an HTTP/1.x response: skips interim 1xx responses and
 * stores the final status code. Returns 1 when *status is known, 0 when more
 * bytes are needed, -1 when the bytes are not an HTTP/1.x response. Pure;
 * exposed for the unit tests. */
int sg_http_client_parse_status(const char *buf, size_t len, int *status);

#endif
