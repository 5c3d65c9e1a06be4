#include "lg_http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RBUF_SIZE 16384 /* a larger response is an error: ours are ~100 bytes */
#define WBUF_SIZE 4096

typedef enum conn_state {
  CONN_CLOSED = 0, /* waiting for the reopen timer */
  CONN_CONNECTING,
  CONN_IDLE,
  CONN_BUSY,
  CONN_ANSWERED, /* response in, but on_write not yet called: not reusable */
  CONN_CLOSING
} conn_state;

typedef struct conn {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req;
  lg_http_pool *pool;
  conn_state state;
  /* write_req and wbuf belong to libuv from uv_write until on_write. libuv
   * defers that callback (even for a write that completed at once) to its
   * pending queue, and under load the response can be read first: the epoll
   * loop polls again in the same iteration when a batch of events was full.
   * Reusing write_req then re-links it into the stream's write queue while it
   * still sits in the completed queue, and libuv later frees a garbage
   * req->bufs (the crash seen with 1000 consoles). So a connection becomes
   * idle only once both its response and its write callback are in. */
  int writing;
  size_t seq;
  uint64_t sent_ns;
  size_t rlen;
  char rbuf[RBUF_SIZE];
  char wbuf[WBUF_SIZE];
} conn;

struct lg_http_pool {
  uv_loop_t *loop;
  lg_http_options o;
  struct sockaddr_in addr;
  conn *conns;
  size_t *idle; /* stack of idle connection indexes */
  size_t n_idle, n_busy, open_handles;
  size_t connect_errors;
  uv_timer_t reopen_timer;
  int stopping;
};

static void conn_open(conn *c);

static void on_close(uv_handle_t *h) {
  conn *c = h->data;
  lg_http_pool *p = c->pool;
  c->state = CONN_CLOSED;
  p->open_handles--;
  if (p->stopping && p->open_handles == 0)
    uv_close((uv_handle_t *)&p->reopen_timer, NULL);
}

static void conn_idle(conn *c) {
  lg_http_pool *p = c->pool;
  c->state = CONN_IDLE;
  p->idle[p->n_idle++] = (size_t)(c - p->conns);
  if (p->o.on_idle != NULL && !p->stopping)
    p->o.on_idle(p->o.data);
}

/* Drops an idle connection from the idle stack (it is closing). */
static void unidle(conn *c) {
  lg_http_pool *p = c->pool;
  size_t me = (size_t)(c - p->conns);
  for (size_t i = 0; i < p->n_idle; i++) {
    if (p->idle[i] == me) {
      p->idle[i] = p->idle[--p->n_idle];
      return;
    }
  }
}

/* Closes c; a request in flight fails. The reopen timer opens it again. */
static void conn_close(conn *c, uint64_t now_ns) {
  lg_http_pool *p = c->pool;
  if (c->state == CONN_CLOSING || c->state == CONN_CLOSED)
    return;
  if (c->state == CONN_IDLE)
    unidle(c);
  if (c->state == CONN_BUSY) {
    p->n_busy--;
    c->state = CONN_CLOSING;
    p->o.on_response(p->o.data, c->seq, -1, NULL, 0, now_ns);
  }
  c->state = CONN_CLOSING;
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  conn *c = h->data;
  (void)suggested;
  buf->base = c->rbuf + c->rlen;
  buf->len = RBUF_SIZE - c->rlen;
}

static const char *find_crlfcrlf(const char *s, size_t n) {
  for (size_t i = 0; i + 3 < n; i++) {
    if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '\r' && s[i + 3] == '\n')
      return s + i;
  }
  return NULL;
}

/* Parses one response at the start of c->rbuf. Returns its total length, 0 if
 * incomplete, -1 if malformed. */
static long parse_response(conn *c, int *status, const char **body, size_t *body_len,
                           int *keep_alive) {
  const char *b = c->rbuf, *hend = find_crlfcrlf(b, c->rlen);
  if (hend == NULL)
    return c->rlen == RBUF_SIZE ? -1 : 0;
  if (c->rlen < 12 || strncmp(b, "HTTP/1.", 7) != 0)
    return -1;
  *status = atoi(b + 9);
  long clen = -1;
  int chunked = 0;
  *keep_alive = b[7] == '1';
  for (const char *line = memchr(b, '\n', (size_t)(hend - b)) + 1; line < hend;) {
    const char *eol = memchr(line, '\n', (size_t)(hend + 2 - line));
    if (eol == NULL)
      break;
    if (strncasecmp(line, "content-length:", 15) == 0)
      clen = strtol(line + 15, NULL, 10);
    else if (strncasecmp(line, "transfer-encoding:", 18) == 0 && memmem(line, (size_t)(eol - line), "chunked", 7))
      chunked = 1;
    else if (strncasecmp(line, "connection:", 11) == 0 && memmem(line, (size_t)(eol - line), "close", 5))
      *keep_alive = 0;
    line = eol + 1;
  }
  const char *start = hend + 4, *end = b + c->rlen;
  if (chunked) {
    /* We do not need chunked bodies (nchan's publisher status text): find
     * their end and hand the first chunk's bytes on. */
    const char *p = start;
    *body = NULL;
    *body_len = 0;
    for (;;) {
      const char *eol = memchr(p, '\n', (size_t)(end - p));
      if (eol == NULL)
        return 0;
      long n = strtol(p, NULL, 16);
      if (n < 0)
        return -1;
      if (n == 0) {
        if (end - (eol + 1) < 2)
          return 0;
        return (long)(eol + 3 - b);
      }
      if (end - (eol + 1) < n + 2)
        return 0;
      if (*body == NULL) {
        *body = eol + 1;
        *body_len = (size_t)n;
      }
      p = eol + 1 + n + 2;
    }
  }
  if (clen < 0)
    clen = 0;
  if (end - start < clen)
    return start + clen - b > RBUF_SIZE ? -1 : 0;
  *body = start;
  *body_len = (size_t)clen;
  return (long)(start + clen - b);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn *c = s->data;
  lg_http_pool *p = c->pool;
  (void)buf;
  uint64_t now = uv_hrtime();
  if (nread < 0) {
    conn_close(c, now);
    return;
  }
  c->rlen += (size_t)nread;
  for (;;) {
    int status = 0, keep_alive = 1;
    const char *body = NULL;
    size_t body_len = 0;
    long n = parse_response(c, &status, &body, &body_len, &keep_alive);
    if (n == 0)
      return;
    if (n < 0 || c->state != CONN_BUSY) {
      conn_close(c, now);
      return;
    }
    p->n_busy--;
    /* Not on the idle stack yet, so the callback cannot send on it. */
    c->state = CONN_ANSWERED;
    p->o.on_response(p->o.data, c->seq, status, body, body_len, now);
    memmove(c->rbuf, c->rbuf + n, c->rlen - (size_t)n);
    c->rlen -= (size_t)n;
    if (!keep_alive || p->stopping) {
      c->state = CONN_CLOSING;
      uv_close((uv_handle_t *)&c->tcp, on_close);
      return;
    }
    if (c->writing)
      return; /* on_write makes it idle; more bytes before that are an error */
    conn_idle(c);
  }
}

static void on_connect(uv_connect_t *req, int status) {
  conn *c = req->data;
  if (c->state != CONN_CONNECTING)
    return;
  if (status != 0) {
    c->pool->connect_errors++;
    c->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&c->tcp, on_close);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  conn_idle(c);
}

static void conn_open(conn *c) {
  lg_http_pool *p = c->pool;
  uv_tcp_init(p->loop, &c->tcp);
  c->tcp.data = c;
  c->connect_req.data = c;
  c->rlen = 0;
  c->state = CONN_CONNECTING;
  p->open_handles++;
  if (uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&p->addr, on_connect) != 0) {
    p->connect_errors++;
    c->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&c->tcp, on_close);
  }
}

/* Reopens closed connections at most every 50 ms, so a server that refuses
 * connections is not hammered in a tight loop. */
static void on_reopen_timer(uv_timer_t *t) {
  lg_http_pool *p = t->data;
  if (p->stopping)
    return;
  for (size_t i = 0; i < p->o.connections; i++) {
    if (p->conns[i].state == CONN_CLOSED)
      conn_open(&p->conns[i]);
  }
}

lg_http_pool *lg_http_create(uv_loop_t *loop, const lg_http_options *o) {
  lg_http_pool *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return NULL;
  p->loop = loop;
  p->o = *o;
  if (uv_ip4_addr(o->host, o->port, &p->addr) != 0) {
    free(p);
    return NULL;
  }
  p->conns = calloc(o->connections, sizeof(conn));
  p->idle = calloc(o->connections, sizeof(size_t));
  if (p->conns == NULL || p->idle == NULL) {
    free(p->conns);
    free(p->idle);
    free(p);
    return NULL;
  }
  uv_timer_init(loop, &p->reopen_timer);
  p->reopen_timer.data = p;
  for (size_t i = 0; i < o->connections; i++) {
    p->conns[i].pool = p;
    conn_open(&p->conns[i]);
  }
  uv_timer_start(&p->reopen_timer, on_reopen_timer, 50, 50);
  return p;
}

static void on_write(uv_write_t *req, int status) {
  conn *c = req->data;
  c->writing = 0;
  if (status != 0) {
    /* A cancelled write (UV_ECANCELED) means the handle is already closing. */
    if (c->state == CONN_BUSY || c->state == CONN_ANSWERED)
      conn_close(c, uv_hrtime());
    return;
  }
  /* The response beat this callback: only now may write_req be reused. */
  if (c->state == CONN_ANSWERED) {
    if (c->pool->stopping)
      conn_close(c, uv_hrtime());
    else
      conn_idle(c);
  }
}

int lg_http_send(lg_http_pool *p, size_t seq) {
  if (p->n_idle == 0 || p->stopping)
    return -1;
  conn *c = &p->conns[p->idle[--p->n_idle]];
  size_t n = p->o.build(p->o.data, seq, c->wbuf, WBUF_SIZE);
  c->seq = seq;
  c->state = CONN_BUSY;
  c->sent_ns = uv_hrtime();
  p->n_busy++;
  if (n == 0) {
    conn_close(c, c->sent_ns);
    return 0;
  }
  uv_buf_t b = uv_buf_init(c->wbuf, (unsigned)n);
  c->write_req.data = c;
  c->writing = 1;
  if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
    c->writing = 0; /* on_write is not called for a write libuv refused */
    conn_close(c, c->sent_ns);
  }
  return 0;
}

size_t lg_http_idle(const lg_http_pool *p) {
  return p->n_idle;
}

size_t lg_http_busy(const lg_http_pool *p) {
  return p->n_busy;
}

size_t lg_http_connect_errors(const lg_http_pool *p) {
  return p->connect_errors;
}

void lg_http_check_timeouts(lg_http_pool *p, uint64_t now_ns) {
  for (size_t i = 0; i < p->o.connections; i++) {
    conn *c = &p->conns[i];
    if (c->state == CONN_BUSY && now_ns > c->sent_ns && now_ns - c->sent_ns > p->o.timeout_ns)
      conn_close(c, now_ns);
  }
}

void lg_http_destroy(lg_http_pool *p) {
  p->stopping = 1;
  uv_timer_stop(&p->reopen_timer);
  uint64_t now = uv_hrtime();
  for (size_t i = 0; i < p->o.connections; i++) {
    conn *c = &p->conns[i];
    if (c->state == CONN_CONNECTING) {
      c->state = CONN_CLOSING;
      uv_close((uv_handle_t *)&c->tcp, on_close);
    } else {
      conn_close(c, now);
    }
  }
  if (p->open_handles == 0)
    uv_close((uv_handle_t *)&p->reopen_timer, NULL);
  /* The pool's memory is left to process exit: handles still closing point
   * into it, and the load generator exits right after. */
}
