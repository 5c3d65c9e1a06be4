/* Plain HTTP/1.1 for siagad's API, served on the libuv loop without
 * libwebsockets: lws's HTTP path changes a socket's poll mask several times a
 * request, and each change is two epoll_ctl calls through its libuv glue
 * (bench/README.md). Here a connection's uv_poll is started once for reading
 * and stays so; answers are sent at once, with their headers, in one
 * sendmsg, and only what the kernel does not take waits for UV_WRITABLE.
 *
 * What is served: one request at a time per connection, pipelined ones in
 * order (the next is parsed only once the previous was answered);
 * Content-Length bodies only (Transfer-Encoding is answered 411); heads up to
 * SG_HTTP_HEAD_MAX (431 beyond); keep-alive by HTTP/1.1 rules. The head must
 * arrive within head_timeout_ms of its first byte, the body within
 * body_timeout_ms of the head, and an idle keep-alive connection is closed
 * after idle_timeout_ms. Malformed requests get a 4xx with a JSON body
 * {"code","message"} and the connection closes.
 *
 * A request carrying "Upgrade: websocket" is not ours: its socket and every
 * byte read so far go to on_upgrade (siagad hands them to lws), and sg_http
 * forgets the connection.
 *
 * Ownership: sg_http owns its connections and their requests. A request
 * (sg_http_request) is valid from on_request until the handler answers it
 * with sg_http_respond, or until on_abort if the client went away first;
 * after either the handler must not touch it again. The strings a request
 * hands out live as long as the request. */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SG_HTTP_HEAD_MAX 8192      /* request line and headers */
#define SG_HTTP_BODY_MAX (1 << 20) /* hard cap, whatever a handler asks for */
#define SG_HTTP_HEADERS_MAX 64

/* Negative error codes (errno values, negated) */
#define SG_HTTP_EFULL (-EMFILE) /* the connection limit is reached */

typedef struct sg_http sg_http;
typedef struct sg_http_request sg_http_request;

typedef enum sg_http_method {
  SG_HTTP_OTHER,
  SG_HTTP_GET,
  SG_HTTP_HEAD,
  SG_HTTP_POST
} sg_http_method;

/* The handler of requests. data is handler_data of the options. */
typedef struct sg_http_handler {
  /* The head of a request was read. The handler answers now or later with
   * sg_http_respond, or asks for the body with sg_http_read_body. */
  void (*on_request)(void *data, sg_http_request *req);
  /* The body asked for is complete (sg_http_request_body). */
  void (*on_body)(void *data, sg_http_request *req);
  /* The client went away before the answer: req is gone when this returns. */
  void (*on_abort)(void *data, sg_http_request *req);
  /* An answer with this status is about to be sent (to count it), or NULL.
   * Also for requests sg_http refuses itself, which no handler saw: their
   * request data is then not the handler's (http/router.h tells them apart). */
  void (*on_respond)(void *data, sg_http_request *req, int status);
} sg_http_handler;

/* A WebSocket upgrade: fd is now the callee's (it must close it, even on
 * failure), bytes are what was read from it, the upgrade request first. */
typedef void (*sg_http_upgrade_cb)(void *data, int fd, const char *bytes, size_t len);

typedef struct sg_http_options {
  const sg_http_handler *handler;
  void *handler_data;
  size_t request_data_size; /* per-request memory for the handler, zeroed per request */
  sg_http_upgrade_cb on_upgrade;
  void *upgrade_data;
  unsigned max_connections; /* 0 = 16384 */
  uint64_t head_timeout_ms; /* 0 = 10 s */
  uint64_t body_timeout_ms; /* 0 = 10 s */
  uint64_t idle_timeout_ms; /* 0 = 30 s */
  /* Called with a connection's fd just before sg_http closes it, or NULL:
   * for per-address accounting (http/limit.h). Not for an fd handed to
   * on_upgrade: the fd is the callee's from then on. */
  void (*on_close)(void *data, int fd);
  void *close_data;
} sg_http_options;

/* handler must outlive the object. Returns NULL on out of memory. */
sg_http *sg_http_create(uv_loop_t *loop, const sg_http_options *options);

/* Closes every connection (requests in progress are aborted) and frees the
 * object once libuv closed its handles. */
void sg_http_destroy(sg_http *http);

/* Takes a connected, non-blocking socket. Returns 0, or a negative errno
 * (SG_HTTP_EFULL at the connection limit, -ENOMEM); on failure fd is still
 * the caller's. */
int sg_http_adopt(sg_http *http, int fd);

/* For a drained stop (SIGTERM): connections idle between requests close
 * now, and every answer from now on closes its own (Connection: close), so
 * sg_http_connections falls to 0 as the requests in flight are answered.
 * Stop accepting first (sg_listener_destroy). */
void sg_http_drain(sg_http *http);

/* Live connections, upgraded ones excluded. */
size_t sg_http_connections(const sg_http *http);

/* ---- reading a request ---- */

sg_http_method sg_http_request_method(const sg_http_request *req);
/* The path of the target, without the query, not decoded: "/v1/reports". */
const char *sg_http_request_path(const sg_http_request *req);
/* The raw query (after '?', not decoded), "" if none. */
const char *sg_http_request_query(const sg_http_request *req);
/* The first header of that name (lowercase), value trimmed; NULL if absent. */
const char *sg_http_request_header(const sg_http_request *req, const char *name);
/* The parsed head (http/parse.h), for headers that may come more than once. */
struct sg_http_parse_request;
const struct sg_http_parse_request *sg_http_request_head(const sg_http_request *req);
/* The Content-Length, -1 if the request has none. */
int64_t sg_http_request_content_length(const sg_http_request *req);
/* The peer's address as text ("127.0.0.1", "::1"), "" if unknown. */
const char *sg_http_request_peer(const sg_http_request *req);
/* The handler's per-request memory (request_data_size bytes). */
void *sg_http_request_data(sg_http_request *req);
/* The body, after on_body. */
const uint8_t *sg_http_request_body(const sg_http_request *req, size_t *len);

/* Reads the body (Content-Length bytes, at most SG_HTTP_BODY_MAX: the
 * handler checks its own limit first) and calls on_body when it is in, at
 * once if it already is. Only from on_request. */
void sg_http_read_body(sg_http_request *req);

/* ---- answering ---- */

typedef struct sg_http_response {
  int status;
  const char *content_type; /* NULL: no Content-Type */
  const void *body;
  size_t body_len;
  /* More header lines, each "name: value\r\n", or NULL. */
  const char *headers;
  /* Close the connection after this answer. sg_http also closes when the
   * body was not read, or the client asked for it. */
  int close;
} sg_http_response;

/* Answers req (exactly once), copying what it needs: the answer goes out at
 * once if the socket takes it. req is gone when this returns. */
void sg_http_respond(sg_http_request *req, const sg_http_response *response);

/* {"code":code,"message":message} with status; code and message must need no
 * JSON escaping. */
void sg_http_respond_error(sg_http_request *req, int status, const char *code, const char *message,
                           int close);

#endif
