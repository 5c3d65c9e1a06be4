/* A pool of keep-alive HTTP/1.1 client connections on libuv, one request in
 * flight per connection (no pipelining, like a phone app or wrk).
 *
 * Why not the lws HTTP client: in lws 4.1 client keep-alive reuse is tied to
 * its pipelining/mux machinery, and each request would cost the client more
 * CPU than the server it measures. This is 300 lines we control: a request is
 * written in one uv_write, the response parsed in place (Content-Length or
 * chunked). */
#ifndef LG_HTTP_H
#define LG_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct lg_http_pool lg_http_pool;

/* Writes the whole request for report seq into buf (at most cap bytes);
 * returns its length, 0 if it does not fit. */
typedef size_t (*lg_http_build_cb)(void *data, size_t seq, char *buf, size_t cap);
/* The response to report seq: status < 0 means no response (connection
 * error, timeout); body is only valid during the call. */
typedef void (*lg_http_response_cb)(void *data, size_t seq, int status, const char *body,
                                    size_t body_len, uint64_t now_ns);

typedef struct lg_http_options {
  const char *host; /* numeric IPv4 */
  int port;
  size_t connections;
  uint64_t timeout_ns; /* a request unanswered this long fails and its connection is reopened */
  lg_http_build_cb build;
  lg_http_response_cb on_response;
  void (*on_idle)(void *data); /* a connection became free: send what waits */
  void *data;
} lg_http_options;

lg_http_pool *lg_http_create(uv_loop_t *loop, const lg_http_options *o);
/* Sends seq on an idle connection; returns -1 if none is idle (retry later). */
int lg_http_send(lg_http_pool *p, size_t seq);
size_t lg_http_idle(const lg_http_pool *p);
size_t lg_http_busy(const lg_http_pool *p);
/* Fails requests older than the timeout; call from a timer. */
void lg_http_check_timeouts(lg_http_pool *p, uint64_t now_ns);
size_t lg_http_connect_errors(const lg_http_pool *p);
/* Closes every connection; the pool is freed once all handles closed. */
void lg_http_destroy(lg_http_pool *p);

#endif
