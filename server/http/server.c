/* sg_http: see http.h for what is served and who owns what.
 *
 * A connection is a state machine (conn_state). Bytes are read into one
 * buffer per connection, which always starts with the current request; the
 * head is parsed in place (http/parse.h) once its blank line is in, and its
 * strings stay where they are until the request is answered, so the buffer
 * is never moved or grown while a handler holds a request. A body that does
 * not fit behind the head goes to a buffer of its own.
 *
 * The handler is never called from inside a function it called
 * (sg_http_respond, sg_http_read_body): those only record what happened, and
 * conn_process, the one place that calls on_request and on_body, moves on
 * once the handler returned. An answer given later (after Redis) finishes
 * its request at once; a pipelined request already read then waits for the
 * next loop turn (a zero timer) rather than starting inside the handler's
 * callback.
 *
 * Timeouts are deadlines on the connection checked by one timer a second: a
 * request costs no timer operation. Out of memory while serving a connection
 * closes that connection. */
#include "http/server.h"

#include "http/parse.h"
#include "http/server_internal.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_INITIAL 4096 /* holds a typical request, head and body */
#define SWEEP_MS 1000
#define LINGER_MS 2000 /* after an answer that closes, unread input is drained this long */
#define LINGER_BYTES_MAX (1 << 20) /* and at most this much */
#define DEFAULT_MAX_CONNECTIONS 16384
#define DEFAULT_HEAD_TIMEOUT_MS 10000
#define DEFAULT_BODY_TIMEOUT_MS 10000
#define DEFAULT_IDLE_TIMEOUT_MS 30000

static void conn_process(conn *c);
static void conn_close(conn *c);


/* ---- create / destroy ---- */

static void on_handle_closed(uv_handle_t *h) {
  sg_http *http = h->data;
  if (--http->handles == 0 && http->destroying)
    free(http);
}

static void on_sweep(uv_timer_t *t);
static void on_defer(uv_timer_t *t);

sg_http *sg_http_create(uv_loop_t *loop, const sg_http_options *options) {
  sg_http *http = calloc(1, sizeof(*http));
  if (http == NULL)
    return NULL;
  http->loop = loop;
  http->o = *options;
  if (http->o.max_connections == 0)
    http->o.max_connections = DEFAULT_MAX_CONNECTIONS;
  if (http->o.head_timeout_ms == 0)
    http->o.head_timeout_ms = DEFAULT_HEAD_TIMEOUT_MS;
  if (http->o.body_timeout_ms == 0)
    http->o.body_timeout_ms = DEFAULT_BODY_TIMEOUT_MS;
  if (http->o.idle_timeout_ms == 0)
    http->o.idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
  uv_timer_init(loop, &http->sweep);
  uv_timer_init(loop, &http->defer);
  http->sweep.data = http->defer.data = http;
  http->handles = 2;
  uv_timer_start(&http->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
  return http;
}

void sg_http_destroy(sg_http *http) {
  if (http == NULL)
    return;
  http->destroying = 1;
  for (conn *c = http->conns, *next; c != NULL; c = next) {
    next = c->next;
    conn_close(c);
  }
  uv_close((uv_handle_t *)&http->sweep, on_handle_closed);
  uv_close((uv_handle_t *)&http->defer, on_handle_closed);
}

void sg_http_drain(sg_http *http) {
  http->draining = 1;
  for (conn *c = http->conns, *next; c != NULL; c = next) {
    next = c->next;
    if (c->state == CONN_HEAD && c->len == 0 && !c->in_process && !c->deferred)
      conn_close(c); /* idle between requests: nothing owed */
  }
}

size_t sg_http_connections(const sg_http *http) {
  return http->n_conns;
}

/* ---- connections ---- */

static void set_deadline(conn *c, uint64_t ms) {
  c->deadline = ms ? uv_now(c->http->loop) + ms : 0;
}

static void on_poll(uv_poll_t *poll, int status, int events);

static void set_events(conn *c, int events) {
  if (events == c->events || c->state == CONN_CLOSING)
    return;
  c->events = events;
  if (events == 0)
    uv_poll_stop(&c->poll);
  else
    uv_poll_start(&c->poll, events, on_poll);
}

/* The poll mask this state needs. In the common case (HEAD, HANDLER, BODY)
 * it is UV_READABLE, so a request goes by without an epoll_ctl. */
static void update_events(conn *c) {
  int want = 0;
  switch (c->state) {
  case CONN_HEAD:
  case CONN_BODY:
    want = UV_READABLE;
    break;
  case CONN_HANDLER:
  case CONN_DONE:
    /* Pipelined bytes are read while the handler works, as long as they fit
     * (the buffer may not move under the request). */
    want = c->len < c->cap ? UV_READABLE : 0;
    break;
  case CONN_WRITING:
    want = UV_WRITABLE;
    break;
  case CONN_LINGER:
    want = UV_READABLE;
    break;
  case CONN_CLOSING:
    return;
  }
  if (c->rd_eof)
    want &= ~UV_READABLE;
  set_events(c, want);
}

int sg_http_adopt(sg_http *http, int fd) {
  if (http->destroying || http->n_conns >= http->o.max_connections)
    return SG_HTTP_EFULL;
  conn *c = calloc(1, sizeof(*c) + http->o.request_data_size);
  char *buf = malloc(BUF_INITIAL);
  if (c == NULL || buf == NULL || uv_poll_init(http->loop, &c->poll, fd) != 0) {
    free(c);
    free(buf);
    return -ENOMEM;
  }
  c->http = http;
  c->fd = fd;
  c->buf = buf;
  c->cap = BUF_INITIAL;
  c->req.data = c + 1;
  c->req.h.content_length = -1;
  c->poll.data = c;
  c->state = CONN_HEAD;
  c->next = http->conns;
  if (http->conns != NULL)
    http->conns->prev = c;
  http->conns = c;
  http->n_conns++;
  http->handles++;
  c->events = UV_READABLE;
  uv_poll_start(&c->poll, UV_READABLE, on_poll);
  set_deadline(c, http->o.idle_timeout_ms);
  return 0;
}

static void on_conn_closed(uv_handle_t *h) {
  conn *c = h->data;
  sg_http *http = c->http;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    http->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  if (!c->handed_off) {
    if (http->o.on_close != NULL)
      http->o.on_close(http->o.close_data, c->fd);
    close(c->fd);
    http->n_conns--;
  }
  free(c->req.body_own);
  free(c->out);
  free(c->buf);
  free(c);
  if (--http->handles == 0 && http->destroying)
    free(http);
}

static void undefer(conn *c) {
  if (!c->deferred)
    return;
  for (conn **p = &c->http->deferred; *p != NULL; p = &(*p)->next_deferred) {
    if (*p == c) {
      *p = c->next_deferred;
      break;
    }
  }
  c->deferred = 0;
}

/* Closes at once; a request the handler holds is aborted first. */
static void conn_close(conn *c) {
  if (c->state == CONN_CLOSING)
    return;
  if (c->dispatched) {
    c->dispatched = 0;
    c->http->o.handler->on_abort(c->http->o.handler_data, &c->req);
  }
  c->state = CONN_CLOSING;
  undefer(c);
  uv_close((uv_handle_t *)&c->poll, on_conn_closed);
}

/* The socket and what was read go to on_upgrade. uv_close stops the poll at
 * once (epoll forgets the fd), so the new owner can watch the fd on this
 * loop right away; the fd is not closed with the handle. */
static void conn_hand_off(conn *c) {
  sg_http *http = c->http;
  c->handed_off = 1;
  http->n_conns--;
  conn_close(c);
  http->o.on_upgrade(http->o.upgrade_data, c->fd, c->buf, c->len);
}

static void defer(conn *c) {
  if (c->deferred || c->state == CONN_CLOSING)
    return;
  c->deferred = 1;
  c->next_deferred = c->http->deferred;
  c->http->deferred = c;
  uv_timer_start(&c->http->defer, on_defer, 0, 0);
}

static void on_defer(uv_timer_t *t) {
  sg_http *http = t->data;
  while (http->deferred != NULL) {
    conn *c = http->deferred;
    http->deferred = c->next_deferred;
    c->deferred = 0;
    conn_process(c);
  }
}

static void on_sweep(uv_timer_t *t) {
  sg_http *http = t->data;
  uint64_t now = uv_now(http->loop);
  for (conn *c = http->conns, *next; c != NULL; c = next) {
    next = c->next;
    if (c->deadline != 0 && now >= c->deadline && c->state != CONN_CLOSING)
      conn_close(c);
  }
}

/* ---- writing ---- */

/* What the socket does not take now waits in c->out; returns -1 if the
 * connection failed. */
static int send_or_keep(conn *c, const char *head, size_t head_len, const void *body,
                        size_t body_len) {
  struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, body_len}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = body_len > 0 ? 2 : 1};
  size_t total = head_len + body_len;
  ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return -1;
    n = 0;
  }
  if ((size_t)n == total)
    return 0;
  size_t rest = total - (size_t)n;
  c->out = malloc(rest);
  if (c->out == NULL)
    return -1;
  size_t from_head = (size_t)n < head_len ? head_len - (size_t)n : 0;
  memcpy(c->out, head + (head_len - from_head), from_head);
  memcpy(c->out + from_head, (const char *)body + (body_len - (rest - from_head)),
         rest - from_head);
  c->out_len = rest;
  c->out_off = 0;
  return 0;
}

/* The request was finished with: drop its bytes, keep what follows. */
static void request_finish(conn *c) {
  sg_http_request *r = &c->req;
  size_t used = r->consumed;
  assert(used <= c->len);
  memmove(c->buf, c->buf + used, c->len - used);
  c->len -= used;
  free(r->body_own);
  void *data = r->data;
  sg_http_parse_reset(&r->h);
  memset(&r->head_len, 0, sizeof(*r) - offsetof(sg_http_request, head_len));
  r->data = data;
  c->scan = (sg_http_parse_scan){0, 0};
  c->close_after = 0;
  c->lingered = 0;
  if (c->len == 0 && c->cap > BUF_INITIAL) {
    /* An idle connection goes back to a small buffer. */
    char *small = malloc(BUF_INITIAL);
    if (small != NULL) {
      free(c->buf);
      c->buf = small;
      c->cap = BUF_INITIAL;
    }
  }
  c->state = CONN_HEAD;
  set_deadline(c, c->len > 0 ? c->http->o.head_timeout_ms : c->http->o.idle_timeout_ms);
}

/* The answer is out: close, linger, or go on with the next request. */
static void answer_sent(conn *c) {
  if (c->close_after) {
    if (c->rd_eof) {
      conn_close(c);
      return;
    }
    /* Closing with unread input would send a reset that can destroy the
     * answer before the client read it: shut our side, drain theirs. */
    shutdown(c->fd, SHUT_WR);
    c->state = CONN_LINGER;
    set_deadline(c, LINGER_MS);
    return;
  }
  if (c->in_process) {
    c->state = CONN_DONE;
    return;
  }
  request_finish(c);
  if (c->len > 0 || c->rd_eof)
    defer(c);
}

static void flush(conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n =
        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return;
      conn_close(c);
      return;
    }
    c->out_off += (size_t)n;
    set_deadline(c, c->http->o.idle_timeout_ms);
  }
  free(c->out);
  c->out = NULL;
  c->out_len = c->out_off = 0;
  answer_sent(c);
}

void sg_http_respond(sg_http_request *req, const sg_http_response *resp) {
  conn *c = CONN_OF(req);
  assert(c->state == CONN_HANDLER || c->state == CONN_BODY);
  if (c->http->o.handler->on_respond != NULL)
    c->http->o.handler->on_respond(c->http->o.handler_data, req, resp->status);
  c->dispatched = c->want_body = 0;
  if (resp->close || c->http->draining || !req->h.keep_alive || c->state == CONN_BODY ||
      (req->h.content_length > 0 && req->body == NULL))
    c->close_after = 1; /* the body was not read: its bytes are in the way */
  char small[1024], *head = small;
  size_t need = sg_http_parse_response_size(resp);
  if (need > sizeof(small) && (head = malloc(need)) == NULL) {
    conn_close(c);
    return;
  }
  size_t n = sg_http_parse_response_head(head, need > sizeof(small) ? need : sizeof(small), resp,
                                         c->close_after, req->h.minor_version);
  size_t body_len = req->h.method == SG_HTTP_HEAD ? 0 : resp->body_len;
  int rc = send_or_keep(c, head, n, resp->body, body_len);
  if (head != small)
    free(head);
  if (rc != 0) {
    if (c->in_process)
      c->broken = 1, c->state = CONN_DONE;
    else
      conn_close(c);
    return;
  }
  if (c->out != NULL) {
    c->state = CONN_WRITING;
    set_deadline(c, c->http->o.idle_timeout_ms);
    update_events(c);
    return;
  }
  answer_sent(c);
  if (c->state != CONN_CLOSING && !c->in_process)
    update_events(c);
}

void sg_http_respond_error(sg_http_request *req, int status, const char *code, const char *message,
                           int close) {
  char body[512];
  size_t n = sg_http_parse_error_body(body, sizeof(body), code, message);
  sg_http_response r = {.status = status,
                        .content_type = "application/json",
                        .body = body,
                        .body_len = n,
                        .headers = "cache-control: no-store\r\n",
                        .close = close};
  sg_http_respond(req, &r);
}

/* ---- the request API (the accessors are in request.c) ---- */

void sg_http_read_body(sg_http_request *req) {
  conn *c = CONN_OF(req);
  assert(c->state == CONN_HANDLER && c->dispatched && req->body == NULL);
  size_t cl = req->h.content_length > 0 ? (size_t)req->h.content_length : 0;
  if (cl > SG_HTTP_BODY_MAX) {
    sg_http_respond_error(req, 413, "too_large", "body too large", 1);
    return;
  }
  size_t have = c->len - req->head_len;
  if (req->head_len + cl <= c->cap) {
    req->body = (uint8_t *)c->buf + req->head_len;
    req->body_len = have < cl ? have : cl;
    req->consumed = req->head_len + cl;
  } else {
    /* Not all of it fits behind the head, so nothing follows it yet. */
    req->body_own = malloc(cl);
    if (req->body_own == NULL) {
      sg_http_respond_error(req, 503, "unavailable", "out of memory", 1);
      return;
    }
    memcpy(req->body_own, c->buf + req->head_len, have);
    req->body = req->body_own;
    req->body_len = have;
    req->consumed = c->len;
  }
  c->want_body = 1;
  if (req->h.expect_continue && req->body_len < cl && req->h.minor_version == 1) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
        (ssize_t)(sizeof(cont) - 1))
      c->broken = 1; /* a fresh connection's send buffer takes 25 bytes: it failed */
  }
}

/* ---- reading ---- */

static void read_input(conn *c) {
  sg_http_request *r = &c->req;
  char *dst;
  size_t room;
  if (c->state == CONN_BODY && r->body_own != NULL) {
    dst = (char *)r->body_own + r->body_len;
    room = (size_t)r->h.content_length - r->body_len;
  } else if (c->state == CONN_LINGER) {
    dst = c->buf;
    room = c->cap;
  } else {
    if (c->len == c->cap && c->state == CONN_HEAD && c->cap < SG_HTTP_HEAD_MAX) {
      char *bigger = realloc(c->buf, SG_HTTP_HEAD_MAX);
      if (bigger == NULL) {
        conn_close(c);
        return;
      }
      c->buf = bigger;
      c->cap = SG_HTTP_HEAD_MAX;
    }
    dst = c->buf + c->len;
    room = c->cap - c->len;
  }
  if (room == 0)
    return;
  ssize_t n = recv(c->fd, dst, room, MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      conn_close(c); /* a reset: the client is gone */
    return;
  }
  if (n == 0) {
    c->rd_eof = 1;
    if (c->state == CONN_LINGER || c->state == CONN_BODY)
      conn_close(c);
    return;
  }
  if (c->state == CONN_LINGER) {
    c->lingered += (size_t)n;
    if (c->lingered > LINGER_BYTES_MAX)
      conn_close(c);
    return;
  }
  if (c->state == CONN_BODY && r->body_own != NULL) {
    r->body_len += (size_t)n;
    return;
  }
  if (c->state == CONN_HEAD && c->len == 0)
    set_deadline(c, c->http->o.head_timeout_ms); /* the first byte of a request */
  c->len += (size_t)n;
  if (c->state == CONN_BODY)
    r->body_len = c->len - r->head_len < (size_t)r->h.content_length ? c->len - r->head_len
                                                                     : (size_t)r->h.content_length;
}

static void on_poll(uv_poll_t *poll, int status, int events) {
  conn *c = poll->data;
  if (status < 0) {
    conn_close(c);
    return;
  }
  if ((events & UV_WRITABLE) && c->state == CONN_WRITING)
    flush(c);
  if ((events & UV_READABLE) && c->state != CONN_CLOSING && c->state != CONN_WRITING)
    read_input(c);
  conn_process(c);
}

/* Answers a request sg_http refuses itself (no handler involved); 1, as
 * step_head returns then. */
static int refuse(conn *c, const sg_http_parse_error *e) {
  c->state = CONN_HANDLER;
  c->req.h.keep_alive = 0;
  sg_http_respond_error(&c->req, e->status, e->code, e->message, 1);
  return 1;
}

/* One step for a connection in CONN_HEAD; 0 if it must wait for bytes. */
static int step_head(conn *c) {
  sg_http *http = c->http;
  size_t skip = sg_http_parse_skip(c->buf, c->len);
  if (skip > 0) {
    memmove(c->buf, c->buf + skip, c->len - skip);
    c->len -= skip;
    c->scan = (sg_http_parse_scan){0, 0};
  }
  sg_http_parse_error e;
  int found = sg_http_parse_find_end(&c->scan, c->buf, c->len, &c->req.head_len, &e);
  if (found == 0) {
    if (c->rd_eof)
      conn_close(c);
    return 0;
  }
  if (found < 0 || sg_http_parse_head(&c->req.h, c->buf, c->req.head_len, &e) != 0)
    return refuse(c, &e);
  if (c->req.h.upgrade && http->o.on_upgrade != NULL) {
    conn_hand_off(c);
    return 0;
  }
  sg_http_parse_terminate(&c->req.h);
  c->req.consumed = c->req.head_len;
  if (sg_http_parse_framing(&c->req.h, &e) != 0)
    return refuse(c, &e);
  memset(c->req.data, 0, http->o.request_data_size);
  c->state = CONN_HANDLER;
  c->dispatched = 1;
  set_deadline(c, 0);
  http->o.handler->on_request(http->o.handler_data, &c->req);
  return 1;
}

/* Moves the connection on as far as the bytes in hand allow. The only place
 * that calls on_request and on_body. */
static void conn_process(conn *c) {
  if (c->in_process)
    return;
  c->in_process = 1;
  for (;;) {
    if (c->broken && c->state != CONN_CLOSING) {
      conn_close(c);
      break;
    }
    if (c->state == CONN_HEAD) {
      if (c->len == 0 && c->rd_eof) {
        conn_close(c);
        break;
      }
      if (!step_head(c))
        break;
    } else if (c->state == CONN_HANDLER && c->want_body) {
      c->want_body = 0;
      c->state = CONN_BODY;
      set_deadline(c, c->http->o.body_timeout_ms);
    } else if (c->state == CONN_BODY) {
      if (c->req.body_len < (size_t)c->req.h.content_length)
        break;
      c->state = CONN_HANDLER;
      set_deadline(c, 0);
      c->http->o.handler->on_body(c->http->o.handler_data, &c->req);
    } else if (c->state == CONN_DONE) {
      request_finish(c);
    } else {
      break; /* HANDLER waits for the answer; WRITING, LINGER, CLOSING for the socket */
    }
  }
  c->in_process = 0;
  update_events(c);
}
