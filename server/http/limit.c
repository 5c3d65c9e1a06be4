/* Per-address limits (limit.h).
 *
 * The table is a fixed array of entries, found through a chained hash on the
 * address text, with the entries no connection holds on a list from the most
 * recently seen to the least: that end is the one forgotten when the array is
 * full. Indices are 1-based so that 0 means "none" in every link. */
#include "http/limit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/parse.h"

#define TABLE_DEFAULT 65536
#define CONN_RETRY_S 5 /* Retry-After of a connection over the cap */

enum { BUCKET_REPORT, BUCKET_LOOKUP, BUCKETS };

typedef struct entry {
  char addr[INET6_ADDRSTRLEN];
  uint32_t hnext;      /* next in the hash chain, or in the free list */
  uint32_t prev, next; /* the recency list, while conns == 0 */
  uint32_t conns;
  double tokens[BUCKETS];
  uint64_t refilled_ms[BUCKETS];
} entry;

struct sg_http_limit {
  sg_http_limit_options o;
  const sg_http_handler *inner;
  void *inner_data;
  entry *e;          /* o.table_max of them, e[i - 1] for index i */
  uint32_t *buckets; /* hash heads, n_buckets of them (a power of two) */
  uint32_t n_buckets;
  uint32_t free_head;
  uint32_t newest, oldest; /* the recency list */
  size_t used;
  uint32_t *by_fd; /* index of the entry of each open connection's fd */
  size_t n_fd;
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

sg_http_limit *sg_http_limit_create(const sg_http_limit_options *options,
                                    const sg_http_handler *inner, void *inner_data) {
  sg_http_limit *l = calloc(1, sizeof(*l));
  if (l == NULL)
    return NULL;
  l->o = *options;
  if (l->o.table_max == 0)
    l->o.table_max = TABLE_DEFAULT;
  if (l->o.report_burst == 0)
    l->o.report_burst = l->o.report_per_min;
  if (l->o.lookup_burst == 0)
    l->o.lookup_burst = l->o.lookup_per_min;
  l->inner = inner;
  l->inner_data = inner_data;
  l->n_buckets = 1;
  while (l->n_buckets < l->o.table_max)
    l->n_buckets <<= 1;
  l->e = calloc(l->o.table_max, sizeof(entry));
  l->buckets = calloc(l->n_buckets, sizeof(uint32_t));
  if (l->e == NULL || l->buckets == NULL) {
    sg_http_limit_destroy(l);
    return NULL;
  }
  for (size_t i = l->o.table_max; i > 0; i--) {
    l->e[i - 1].hnext = l->free_head;
    l->free_head = (uint32_t)i;
  }
  return l;
}

void sg_http_limit_destroy(sg_http_limit *l) {
  if (l == NULL)
    return;
  free(l->e);
  free(l->buckets);
  free(l->by_fd);
  free(l);
}

size_t sg_http_limit_entries(const sg_http_limit *l) {
  return l->used;
}

/* ---- the table ---- */

#define E(l, i) (&(l)->e[(i)-1])

static uint32_t hash_of(const sg_http_limit *l, const char *addr) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)addr; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h & (l->n_buckets - 1);
}

static void unlink_recent(sg_http_limit *l, uint32_t i) {
  entry *e = E(l, i);
  if (e->prev != 0)
    E(l, e->prev)->next = e->next;
  else
    l->newest = e->next;
  if (e->next != 0)
    E(l, e->next)->prev = e->prev;
  else
    l->oldest = e->prev;
  e->prev = e->next = 0;
}

static void link_newest(sg_http_limit *l, uint32_t i) {
  entry *e = E(l, i);
  e->prev = 0;
  e->next = l->newest;
  if (l->newest != 0)
    E(l, l->newest)->prev = i;
  l->newest = i;
  if (l->oldest == 0)
    l->oldest = i;
}

static void unhash(sg_http_limit *l, uint32_t i) {
  for (uint32_t *p = &l->buckets[hash_of(l, E(l, i)->addr)]; *p != 0; p = &E(l, *p)->hnext) {
    if (*p == i) {
      *p = E(l, i)->hnext;
      return;
    }
  }
}

/* The entry of addr, made (full buckets) if it is new; 0 when every entry
 * is held by open connections. Seen now: it moves to the recent end. */
static uint32_t entry_of(sg_http_limit *l, const char *addr) {
  uint32_t h = hash_of(l, addr);
  uint32_t i = l->buckets[h];
  while (i != 0 && strcmp(E(l, i)->addr, addr) != 0)
    i = E(l, i)->hnext;
  if (i != 0) {
    if (E(l, i)->conns == 0) {
      unlink_recent(l, i);
      link_newest(l, i);
    }
    return i;
  }
  if (l->free_head != 0) {
    i = l->free_head;
    l->free_head = E(l, i)->hnext;
    l->used++;
  } else if ((i = l->oldest) != 0) {
    unlink_recent(l, i); /* forgotten: its address starts again with full buckets */
    unhash(l, i);
  } else {
    return 0;
  }
  entry *e = E(l, i);
  memset(e, 0, sizeof(*e));
  snprintf(e->addr, sizeof(e->addr), "%s", addr);
  uint64_t now = now_ms();
  e->tokens[BUCKET_REPORT] = l->o.report_burst;
  e->tokens[BUCKET_LOOKUP] = l->o.lookup_burst;
  e->refilled_ms[BUCKET_REPORT] = e->refilled_ms[BUCKET_LOOKUP] = now;
  e->hnext = l->buckets[h];
  l->buckets[h] = i;
  link_newest(l, i);
  return i;
}

/* ---- connections ---- */

/* The address as sg_http_request_peer writes it; "" if not IP. */
static void addr_text(const struct sockaddr *sa, char addr[INET6_ADDRSTRLEN]) {
  addr[0] = '\0';
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, INET6_ADDRSTRLEN);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, INET6_ADDRSTRLEN);
}

/* A 429 with its reason, written to a socket no one else writes to, if it
 * takes it (a fresh socket's send buffer does; if not, the close says it). */
static void refuse_fd(int fd, int retry_s, const char *code, const char *message) {
  char body[256], answer[512];
  size_t n = sg_http_parse_error_body(body, sizeof(body), code, message);
  int len = snprintf(answer, sizeof(answer),
                     "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n"
                     "retry-after: %d\r\ncache-control: no-store\r\nconnection: close\r\n"
                     "content-length: %zu\r\n\r\n%.*s",
                     retry_s, n, (int)n, body);
  if (len > 0 && (size_t)len < sizeof(answer))
    (void)send(fd, answer, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int sg_http_limit_conn_open(sg_http_limit *l, int fd, const struct sockaddr *sa) {
  char addr[INET6_ADDRSTRLEN];
  addr_text(sa, addr);
  if (l->o.conns_per_address == 0 || fd < 0 || addr[0] == '\0' ||
      (l->o.exempt_loopback && sg_peer_loopback(addr)) || sg_peer_trusted(l->o.trust, addr))
    return 0;
  if ((size_t)fd >= l->n_fd) {
    size_t n = (size_t)fd + 1 > 2 * l->n_fd ? (size_t)fd + 1 : 2 * l->n_fd;
    uint32_t *grown = realloc(l->by_fd, n * sizeof(uint32_t));
    if (grown == NULL)
      return -1;
    memset(grown + l->n_fd, 0, (n - l->n_fd) * sizeof(uint32_t));
    l->by_fd = grown;
    l->n_fd = n;
  }
  uint32_t i = entry_of(l, addr);
  if (i == 0 || E(l, i)->conns >= l->o.conns_per_address)
    return -1;
  if (E(l, i)->conns++ == 0)
    unlink_recent(l, i); /* held: never forgotten while open */
  l->by_fd[fd] = i;
  return 0;
}

void sg_http_limit_conn_closed(void *data, int fd) {
  sg_http_limit *l = data;
  if (l == NULL || fd < 0 || (size_t)fd >= l->n_fd || l->by_fd[fd] == 0)
    return;
  uint32_t i = l->by_fd[fd];
  l->by_fd[fd] = 0;
  if (--E(l, i)->conns == 0)
    link_newest(l, i);
}

void sg_http_limit_refuse_fd(int fd) {
  refuse_fd(fd, CONN_RETRY_S, "too_many_connections", "too many connections from this address");
}

/* ---- requests ---- */

/* The bucket a request is counted in, or -1 for a path without a limit. */
static int bucket_of(const sg_http_request *req) {
  const char *path = sg_http_request_path(req);
  sg_http_method m = sg_http_request_method(req);
  if (m == SG_HTTP_POST && strcmp(path, "/v1/reports") == 0)
    return BUCKET_REPORT;
  if ((m == SG_HTTP_GET || m == SG_HTTP_HEAD) &&
      (strncmp(path, "/v1/reports/", 12) == 0 || strncmp(path, "/l/", 3) == 0))
    return BUCKET_LOOKUP;
  return -1;
}

/* Takes a token for the request; 0 if there was one, else the seconds until
 * there is. */
static int take(sg_http_limit *l, const char *addr, int b) {
  unsigned per_min = b == BUCKET_REPORT ? l->o.report_per_min : l->o.lookup_per_min;
  unsigned burst = b == BUCKET_REPORT ? l->o.report_burst : l->o.lookup_burst;
  if (per_min == 0 || addr[0] == '\0' || (l->o.exempt_loopback && sg_peer_loopback(addr)))
    return 0;
  uint32_t i = entry_of(l, addr);
  if (i == 0)
    return CONN_RETRY_S; /* every entry held by open connections: a flood */
  entry *e = E(l, i);
  uint64_t now = now_ms();
  double per_ms = per_min / 60000.0;
  e->tokens[b] += (double)(now - e->refilled_ms[b]) * per_ms;
  if (e->tokens[b] > burst)
    e->tokens[b] = burst;
  e->refilled_ms[b] = now;
  if (e->tokens[b] >= 1.0) {
    e->tokens[b] -= 1.0;
    return 0;
  }
  return (int)ceil((1.0 - e->tokens[b]) / per_ms / 1000.0);
}

int sg_http_limit_follow(sg_http_limit *l, int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  char addr[INET6_ADDRSTRLEN];
  if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
    return 0;
  addr_text((struct sockaddr *)&ss, addr);
  int wait_s = addr[0] != '\0' && !sg_peer_trusted(l->o.trust, addr) ? take(l, addr, BUCKET_LOOKUP) : 0;
  if (wait_s == 0)
    return 0;
  refuse_fd(fd, wait_s, "rate_limited", "too many requests from this address; retry later");
  return -1;
}

static void on_request(void *data, sg_http_request *req) {
  sg_http_limit *l = data;
  int b = bucket_of(req);
  sg_peer client;
  if (b >= 0)
    sg_peer_of(l->o.trust, req, &client); /* behind a trusted proxy, the client it names */
  int wait_s = b < 0 ? 0 : take(l, client.addr, b);
  if (wait_s == 0) {
    l->inner->on_request(l->inner_data, req);
    return;
  }
  char body[256], headers[80];
  size_t n = sg_http_parse_error_body(body, sizeof(body), "rate_limited",
                                      b == BUCKET_REPORT
                                          ? "too many reports from this address; retry later"
                                          : "too many requests from this address; retry later");
  snprintf(headers, sizeof(headers), "retry-after: %d\r\ncache-control: no-store\r\n", wait_s);
  sg_http_response r = {.status = 429,
                        .content_type = "application/json",
                        .body = body,
                        .body_len = n,
                        .headers = headers};
  sg_http_respond(req, &r);
}

static void on_body(void *data, sg_http_request *req) {
  sg_http_limit *l = data;
  l->inner->on_body(l->inner_data, req);
}

static void on_abort(void *data, sg_http_request *req) {
  sg_http_limit *l = data;
  l->inner->on_abort(l->inner_data, req);
}

static void on_respond(void *data, sg_http_request *req, int status) {
  sg_http_limit *l = data;
  if (l->inner->on_respond != NULL)
    l->inner->on_respond(l->inner_data, req, status);
}

const sg_http_handler sg_http_limit_handler = {on_request, on_body, on_abort, on_respond};
