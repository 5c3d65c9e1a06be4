/* Redis Sentinel: which server is the primary now.
 *
 * The list of sentinels comes from the command line ("--sentinel
 * HOST:PORT,HOST:PORT"); each is asked in turn
 * "SENTINEL get-master-addr-by-name NAME", and the server it names is used
 * only once "ROLE" there says "master" (a sentinel may be behind a failover).
 * siagad's async client (redisconn.c) does this before every (re)connect with
 * the reply helpers below; siaga-worker and siaga-admin, which use blocking
 * hiredis, call sg_sentinel_connect. */
#ifndef SG_SENTINEL_H
#define SG_SENTINEL_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#define SG_SENTINEL_MAX 8
#define SG_SENTINEL_HOST_MAX 128
#define SG_SENTINEL_NAME_MAX 64

typedef struct sg_sentinel_addr {
  char host[SG_SENTINEL_HOST_MAX];
  int port;
} sg_sentinel_addr;

typedef struct sg_sentinel_list {
  sg_sentinel_addr addr[SG_SENTINEL_MAX];
  size_t n;
} sg_sentinel_list;

/* "HOST:PORT[,HOST:PORT...]", 1..SG_SENTINEL_MAX of them. Returns 0, or -1
 * with out unspecified. */
int sg_sentinel_parse(const char *spec, sg_sentinel_list *out);

/* A master name as sentinel.conf may spell it: [A-Za-z0-9._-]{1,64}. */
int sg_sentinel_name_valid(const char *name);

/* The reply of SENTINEL get-master-addr-by-name: 0 with host and port, or -1
 * (no such master, an error, or a malformed answer). */
int sg_sentinel_addr_reply(const redisReply *reply, char *host, size_t host_size, int *port);

/* A message of a "SUBSCRIBE +switch-master" on a sentinel: 0 with the new
 * primary's address if it is about master name, else -1. */
int sg_sentinel_switch_message(const redisReply *reply, const char *name, char *host,
                               size_t host_size, int *port);

/* 1 if a ROLE reply says "master", else 0. */
int sg_sentinel_role_is_master(const redisReply *reply);

/* 1 if reply is the error a replica gives to a write (the primary moved). */
int sg_sentinel_readonly_reply(const redisReply *reply);

/* Blocking: connects to host:port with timeout_ms bounding the connect and
 * every reply. Returns the connection (the caller's to redisFree), or NULL
 * with the reason in err. */
redisContext *sg_sentinel_connect_timed(const char *host, int port, unsigned timeout_ms, char *err,
                                        size_t err_size);

/* The same, kept only if ROLE there says "master" (a sentinel, or a
 * cluster node, may be a failover behind). */
redisContext *sg_sentinel_connect_primary(const char *host, int port, unsigned timeout_ms,
                                          char *err, size_t err_size);

/* Blocking: asks the sentinels in turn, starting with *next (updated to the
 * one that answered, so the next call asks it first), connects to the
 * primary and checks its ROLE. timeout_ms bounds each connect and reply.
 * Returns the connection with timeout_ms as its command timeout (the
 * caller's to redisFree), or NULL with the reason in err. host and port get
 * the primary's address when known (for log lines). */
redisContext *sg_sentinel_connect(const sg_sentinel_list *list, size_t *next, const char *name,
                                  unsigned timeout_ms, char *host, size_t host_size, int *port,
                                  char *err, size_t err_size);

#endif
