/* What server.c and request.c share of sg_http's insides (not for other
 * modules: they see http/server.h). */
#ifndef SG_HTTP_SERVER_INTERNAL_H
#define SG_HTTP_SERVER_INTERNAL_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http/parse.h"
#include "http/server.h"

typedef enum conn_state {
  CONN_HEAD,    /* waiting for, or reading, a request head */
  CONN_HANDLER, /* the handler has the request and owes an answer */
  CONN_BODY,    /* reading the body the handler asked for */
  CONN_DONE,    /* answered and sent, the request still to be finished */
  CONN_WRITING, /* answered, part of the answer waits for UV_WRITABLE */
  CONN_LINGER,  /* answered with close: write side shut, input drained until EOF */
  CONN_CLOSING  /* uv_close called; freed in on_conn_closed */
} conn_state;

struct sg_http_request {
  sg_http_parse_request h; /* its strings in the connection's buffer */
  size_t head_len;
  uint8_t *body;     /* in the buffer right after the head, or body_own */
  uint8_t *body_own; /* malloc'd when the body does not fit behind the head */
  size_t body_len;   /* bytes of the body read so far */
  size_t consumed;   /* bytes of the connection's buffer this request used */
  void *data;        /* the handler's request_data_size bytes */
};

typedef struct conn conn;
struct conn {
  uv_poll_t poll;
  sg_http *http;
  int fd;
  conn_state state;
  int events;        /* what the poll watches now: changed only when needed */
  int dispatched;    /* on_request was called and no answer given: abort owes on_abort */
  int want_body;     /* sg_http_read_body was called during on_request */
  int close_after;   /* the answer being sent ends the connection */
  int rd_eof;        /* the peer shut its write side */
  int in_process;    /* inside conn_process: it will look at the state again */
  int broken;        /* a write failed inside a handler call: close once it returns */
  int handed_off;    /* the fd belongs to on_upgrade now */
  int deferred;      /* in http->deferred */
  uint64_t deadline; /* loop time in ms; 0 = none */
  char *buf;
  size_t cap, len;
  sg_http_parse_scan scan; /* the search for the end of the head */
  char *out;               /* unsent answer bytes */
  size_t out_len, out_off;
  size_t lingered;
  char peer[INET6_ADDRSTRLEN + 8];
  conn *prev, *next; /* http->conns */
  conn *next_deferred;
  sg_http_request req;
};

struct sg_http {
  uv_loop_t *loop;
  sg_http_options o;
  uv_timer_t sweep, defer;
  conn *conns;
  conn *deferred;
  size_t n_conns;
  size_t handles; /* open libuv handles: the two timers and every connection's poll */
  int destroying;
  int draining; /* sg_http_drain: every answer closes its connection */
};

#define CONN_OF(req) ((conn *)((char *)(req)-offsetof(conn, req)))

#endif
