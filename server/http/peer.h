/* Who a request came from, and whether it came over TLS, when siagad may sit
 * behind a TLS-terminating proxy (config/nginx/siaga.conf).
 *
 * siagad speaks plain TCP: its socket's peer is the client itself, or a
 * proxy. Only a peer named in --trusted-proxy is believed about the client:
 *   X-Forwarded-For    the client is the right-most address of the list that
 *                      is not itself a trusted proxy (each proxy appends the
 *                      address it saw, so everything left of the last
 *                      untrusted hop may have been written by the client);
 *                      when every address is trusted, the left-most one.
 *                      Several header lines are one list, in their order.
 *   X-Forwarded-Proto  "https": the client spoke TLS to the proxy (the last
 *                      line, the nearest proxy's, if several)
 * From any other peer both headers are ignored: the client is the socket's
 * peer, and TLS is 0 (siagad itself never speaks TLS). A list that cannot
 * be read ends the walk at the last address that could: an entry that is
 * not an IP address is never taken for a client.
 *
 * Addresses are compared as parsed IPv4 or IPv6 addresses (an IPv4-mapped
 * IPv6 address is its IPv4 address), and written back in inet_ntop form, so
 * "::FFFF:127.0.0.1" and "127.0.0.1" are one client. */
#ifndef SG_PEER_H
#define SG_PEER_H

#include <stddef.h>

#include "http/parse.h"
#include "http/server.h"

#define SG_PEER_TRUSTED_MAX 16
#define SG_PEER_ADDR_MAX 46 /* INET6_ADDRSTRLEN */

/* The --trusted-proxy addresses. A plain value, embedded in its owner. */
typedef struct sg_peer_trust {
  unsigned char addr[SG_PEER_TRUSTED_MAX][16]; /* IPv6, IPv4 as mapped */
  size_t n;
} sg_peer_trust;

/* A request's client. */
typedef struct sg_peer {
  char addr[SG_PEER_ADDR_MAX]; /* "203.0.113.7", "" if unknown */
  int tls;                     /* 1: https to a trusted proxy */
  int proxied;                 /* 1: the socket's peer is a trusted proxy */
} sg_peer;

/* Reads "ADDR[,ADDR...]" (IPv4 or IPv6 addresses, no names, no ranges) into
 * t, replacing what it held. 0, or -1 for a bad address or more than
 * SG_PEER_TRUSTED_MAX; t is then empty. */
int sg_peer_trust_parse(sg_peer_trust *t, const char *list);

/* 1 if ip (text) is one of t's addresses. */
int sg_peer_trusted(const sg_peer_trust *t, const char *ip);

/* The client of a connection from socket_peer (text, "" if unknown) that
 * carried n_forwarded_for X-Forwarded-For lines, in their order, and an
 * X-Forwarded-Proto (NULL when absent). t NULL trusts nobody. Pure. */
void sg_peer_resolve(const sg_peer_trust *t, const char *socket_peer,
                     const char *const *forwarded_for, size_t n_forwarded_for,
                     const char *forwarded_proto, sg_peer *out);

/* sg_peer_resolve with the headers of a parsed head: the gate's upgrades. */
void sg_peer_of_head(const sg_peer_trust *t, const char *socket_peer,
                     const sg_http_parse_request *h, sg_peer *out);

/* sg_peer_resolve for an HTTP request. */
void sg_peer_of(const sg_peer_trust *t, const sg_http_request *req, sg_peer *out);

/* The peer address of a connected socket as text into out[0..cap), "" if
 * unknown. */
void sg_peer_socket_addr(int fd, char *out, size_t cap);

/* 1 if ip (text) is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x. */
int sg_peer_loopback(const char *ip);

/* 1 if the client of req (sg_peer_of) is on loopback: a request a proxy on
 * this machine forwards from elsewhere is not. */
int sg_peer_client_loopback(const sg_peer_trust *t, const sg_http_request *req);

#endif
