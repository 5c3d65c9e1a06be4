/* Limits on the citizens' doors, per client address: a token bucket for
 * POST /v1/reports, another for the citizens' lookups (GET /v1/reports/...,
 * the /l/ links), and a cap on the connections one address holds open.
 *
 * A WebSocket upgrade to /v1/follow counts as a lookup (sg_http_limit_follow).
 * A request over its bucket is answered 429 with Retry-After and a JSON
 * reason before its body is read, so nothing refused reaches Redis. A
 * connection over the cap is answered 429 at accept and closed. The SMS
 * webhooks (/v1/sms/) are never refused for rate: they keep the flags of
 * README "Abuse". Loopback addresses are exempt unless exempt_loopback is 0
 * (a proxy or a tool on the machine itself; the tests turn it off).
 *
 * The table is bounded: at most table_max addresses are remembered, the
 * least recently seen one is forgotten first (which only refills its
 * buckets); an address with connections open is never forgotten, and when
 * every entry is held so, a new address is refused as if over its cap.
 *
 * The client of a request is the peer module's (http/peer.h): the socket's
 * peer, or behind a --trusted-proxy the client the proxy names.
 *
 * Ownership: the limit wraps a handler (sg_http_limit_handler), which must
 * outlive it; it is destroyed after the sg_http and the listener using it. */
#ifndef SG_HTTP_LIMIT_H
#define SG_HTTP_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/peer.h"
#include "http/server.h"

typedef struct sg_http_limit_options {
  unsigned report_per_min; /* bucket refill per minute; 0 = no limit */
  unsigned report_burst;   /* bucket size; 0 = report_per_min */
  unsigned lookup_per_min;
  unsigned lookup_burst;
  unsigned conns_per_address; /* 0 = no cap */
  size_t table_max;           /* addresses remembered; 0 = 65536 */
  int exempt_loopback;
  /* The --trusted-proxy addresses (must outlive the limit), or NULL. A
   * request through one is counted for the client it names; the proxy's own
   * connections are not capped (it carries many clients), and a /v1/follow
   * upgrade through it is not counted here (limit it in the proxy). */
  const sg_peer_trust *trust;
} sg_http_limit_options;

/* Defaults (README "Configuration"): generous, for the many phones a mobile
 * operator puts behind one address. */
#define SG_HTTP_LIMIT_REPORT_PER_MIN 600
#define SG_HTTP_LIMIT_LOOKUP_PER_MIN 6000
#define SG_HTTP_LIMIT_CONNS 256

typedef struct sg_http_limit sg_http_limit;

/* inner and its data must outlive the limit. NULL on out of memory. */
sg_http_limit *sg_http_limit_create(const sg_http_limit_options *options,
                                    const sg_http_handler *inner, void *inner_data);
void sg_http_limit_destroy(sg_http_limit *limit);

/* The handler to give sg_http, with the limit as handler_data: it checks the
 * buckets and passes the rest to inner. Its request memory is inner's. */
extern const sg_http_handler sg_http_limit_handler;

/* A connection was accepted from addr: 0 to serve it, -1 over the cap (the
 * caller answers with sg_http_limit_refuse_fd and closes it). fd is
 * remembered until sg_http_limit_conn_closed(fd). */
int sg_http_limit_conn_open(sg_http_limit *limit, int fd, const struct sockaddr *addr);
/* For sg_http_options.on_close: fd left sg_http (closed or upgraded). */
void sg_http_limit_conn_closed(void *limit, int fd);
/* Writes a 429 answer to a fresh connection, if its socket takes it. */
void sg_http_limit_refuse_fd(int fd);

/* A WebSocket upgrade to /v1/follow on fd, counted as a lookup by the
 * socket's peer address: 0 to go on, -1 over the bucket (a 429 was written;
 * the caller closes fd). */
int sg_http_limit_follow(sg_http_limit *limit, int fd);

/* Addresses remembered now, for the tests and /healthz. */
size_t sg_http_limit_entries(const sg_http_limit *limit);

#endif
