#include "http/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESPONSE_MAX 4096 /* only the status line is read */

struct sg_http_client {
  sg_http_client_cb cb; /* NULL once finished or cancelled */
  void *data;
  unsigned response_timeout_ms;
  uv_getaddrinfo_t gai;
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  uv_timer_t timer;
  int open; /* handles not yet closed + a resolution in progress */
  int resolving;
  int tcp_open;
  int done;
  char *request;
  size_t request_len;
  char response[RESPONSE_MAX];
  size_t response_len;
};

/* ---- the status line ---- */

/* Finds "\r\n" from buf[from]; returns the index of '\r' or -1. */
static long find_crlf(const char *buf, size_t len, size_t from) {
  for (size_t i = from; i + 1 < len; i++) {
    if (buf[i] == '\r' && buf[i + 1] == '\n')
      return (long)i;
  }
  return -1;
}

int sg_http_client_parse_status(const char *buf, size_t len, int *status) {
  size_t pos = 0;
  for (;;) {
    /* "HTTP/1.x SSS" with an optional reason phrase. Check what has arrived
     * so far, so garbage is refused without waiting for a line end. */
    static const char proto[] = "HTTP/1.";
    size_t avail = len - pos;
    size_t cmp = avail < sizeof(proto) - 1 ? avail : sizeof(proto) - 1;
    if (memcmp(buf + pos, proto, cmp) != 0)
      return -1;
    long eol = find_crlf(buf, len, pos);
    if (eol < 0)
      return 0;
    const char *line = buf + pos;
    size_t line_len = (size_t)eol - pos;
    if (line_len < 12 || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        (line_len > 12 && line[12] != ' '))
      return -1;
    int code = 0;
    for (int i = 9; i < 12; i++) {
      if (line[i] < '0' || line[i] > '9')
        return -1;
      code = code * 10 + (line[i] - '0');
    }
    if (code < 100 || code > 599)
      return -1;
    if (code >= 200) {
      *status = code;
      return 1;
    }
    /* An interim response (100 Continue, 103 Early Hints): its header block
     * ends with an empty line, and the real response follows. */
    size_t i = (size_t)eol + 2;
    for (;;) {
      long next = find_crlf(buf, len, i);
      if (next < 0)
        return 0;
      if ((size_t)next == i) {
        pos = i + 2;
        break;
      }
      i = (size_t)next + 2;
    }
    if (pos >= len)
      return 0;
  }
}

static void maybe_free(sg_http_client *req) {
  if (req->open == 0) {
    free(req->request);
    free(req);
  }
}

static void on_closed(uv_handle_t *h) {
  sg_http_client *req = h->data;
  req->open--;
  maybe_free(req);
}

/* Ends the request once: closes what is open and tells the message, if it
 * still listens. Memory goes when the last handle is closed. */
static void finish(sg_http_client *req, int status, const char *error) {
  if (req->done)
    return;
  req->done = 1;
  uv_close((uv_handle_t *)&req->timer, on_closed);
  if (req->tcp_open)
    uv_close((uv_handle_t *)&req->tcp, on_closed);
  if (req->resolving)
    uv_cancel((uv_req_t *)&req->gai); /* its callback still comes, and frees */
  sg_http_client_cb cb = req->cb;
  req->cb = NULL;
  if (cb != NULL)
    cb(req->data, status, error);
}

static void on_timeout(uv_timer_t *t) {
  finish(t->data, 0, "timeout");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  sg_http_client *req = h->data;
  (void)suggested;
  buf->base = req->response + req->response_len;
  buf->len = sizeof(req->response) - req->response_len;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  sg_http_client *req = s->data;
  (void)buf;
  if (req->done)
    return;
  int status = 0;
  if (nread > 0) {
    req->response_len += (size_t)nread;
    int rc = sg_http_client_parse_status(req->response, req->response_len, &status);
    if (rc == 1)
      finish(req, status, NULL);
    else if (rc < 0)
      finish(req, 0, "not an HTTP/1.x response");
    else if (req->response_len == sizeof(req->response))
      finish(req, 0, "response head too long");
  } else if (nread < 0) {
    finish(req, 0, nread == UV_EOF ? "closed before the status line" : uv_strerror((int)nread));
  }
}

static void on_written(uv_write_t *w, int status) {
  sg_http_client *req = w->data;
  if (status < 0 && !req->done)
    finish(req, 0, uv_strerror(status));
}

static void on_connected(uv_connect_t *c, int status) {
  sg_http_client *req = c->data;
  if (req->done)
    return;
  if (status < 0) {
    finish(req, 0, uv_strerror(status));
    return;
  }
  uv_timer_start(&req->timer, on_timeout, req->response_timeout_ms, 0);
  uv_buf_t b = uv_buf_init(req->request, (unsigned)req->request_len);
  int rc = uv_write(&req->write, (uv_stream_t *)&req->tcp, &b, 1, on_written);
  if (rc == 0)
    rc = uv_read_start((uv_stream_t *)&req->tcp, on_alloc, on_read);
  if (rc < 0)
    finish(req, 0, uv_strerror(rc));
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res) {
  sg_http_client *req = g->data;
  req->resolving = 0;
  req->open--;
  if (req->done || status < 0) {
    if (!req->done)
      finish(req, 0, uv_strerror(status));
    uv_freeaddrinfo(res);
    maybe_free(req);
    return;
  }
  int rc = uv_tcp_init(g->loop, &req->tcp);
  if (rc == 0) {
    req->tcp.data = req;
    req->tcp_open = 1;
    req->open++;
    req->connect.data = req;
    rc = uv_tcp_connect(&req->connect, &req->tcp, res->ai_addr, on_connected);
  }
  uv_freeaddrinfo(res);
  if (rc < 0)
    finish(req, 0, uv_strerror(rc));
}

sg_http_client *sg_http_client_start(uv_loop_t *loop, const sg_http_client_options *o,
                                     sg_http_client_cb cb, void *data) {
  sg_http_client *req = calloc(1, sizeof(*req));
  if (req == NULL)
    return NULL;
  size_t size = strlen(o->target) + strlen(o->host_header) + 128;
  req->request = malloc(size);
  if (req->request == NULL) {
    free(req);
    return NULL;
  }
  /* Connection: close keeps the client simple: one request per connection,
   * and the answer ends where the connection does. */
  int len = snprintf(req->request, size,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: siagad\r\n"
                     "Connection: close\r\n\r\n",
                     o->target, o->host_header);
  req->request_len = (size_t)len;
  req->cb = cb;
  req->data = data;
  req->response_timeout_ms = o->response_timeout_ms;
  uv_timer_init(loop, &req->timer);
  req->timer.data = req;
  req->open = 1;
  uv_timer_start(&req->timer, on_timeout, o->connect_timeout_ms, 0);

  char port[8];
  snprintf(port, sizeof(port), "%d", o->port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  req->gai.data = req;
  int rc = uv_getaddrinfo(loop, &req->gai, on_resolved, o->host, port, &hints);
  if (rc < 0) {
    /* No callback for a request that never started; the timer's close
     * frees the memory. */
    req->cb = NULL;
    finish(req, 0, uv_strerror(rc));
    return NULL;
  }
  req->resolving = 1;
  req->open++;
  return req;
}

void sg_http_client_cancel(sg_http_client *req) {
  if (req == NULL)
    return;
  req->cb = NULL;
  finish(req, 0, "cancelled");
}
