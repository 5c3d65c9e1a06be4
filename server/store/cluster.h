/* Redis Cluster: which primary owns a region's slot now.
 *
 * Every key of a region carries the region as hash tag (store/keys.h), so a
 * region lives on one slot, and one connection to the primary owning it
 * serves every command and every script. The seed nodes come from the
 * command line ("--cluster HOST:PORT,HOST:PORT", parsed as a sentinel list
 * by sg_sentinel_parse); each is asked in turn "CLUSTER SLOTS", and the
 * primary named for the slot is used. siagad's async client (redisconn.c)
 * does this before every (re)connect with the reply helpers below;
 * siaga-worker and siaga-admin, which use blocking hiredis, call
 * sg_cluster_connect.
 *
 * Redirections are not followed command by command: a MOVED reply (the slot
 * moved, or a failover) closes the connection so the next connect asks the
 * seeds again, and the command that got it fails (503, retried by the
 * client). ASK and TRYAGAIN (a slot being migrated) fail the command the
 * same way without closing: the slot is still served here until the
 * migration ends with a MOVED. */
#ifndef SG_CLUSTER_H
#define SG_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "store/sentinel.h"

#define SG_CLUSTER_SLOTS 16384

/* The slot of a key as Redis computes it (keyHashSlot in cluster.c): CRC16
 * (XMODEM) of the hash tag, the part between the first '{' and the next
 * '}' when that part is not empty, else of the whole key; mod 16384. */
unsigned sg_cluster_key_slot(const char *key, size_t len);

/* The slot of a region's keys (siaga:{region}:...). */
unsigned sg_cluster_region_slot(const char *region);

/* A CLUSTER SLOTS reply: 0 with the address of the primary serving slot,
 * or -1 (no node serves it, an error, or a malformed answer). A node
 * listed without an address ("" or "?", a node that does not know its own)
 * gets seed_host, the one asked. */
int sg_cluster_slots_reply(const redisReply *reply, unsigned slot, const char *seed_host,
                           char *host, size_t host_size, int *port);

/* 1 if reply is a MOVED error (the slot is served elsewhere now). */
int sg_cluster_moved_reply(const redisReply *reply);

/* 1 if reply is an ASK, TRYAGAIN or CLUSTERDOWN error (a migration or an
 * outage under way: retry later). */
int sg_cluster_retry_reply(const redisReply *reply);

/* Blocking: asks the seeds in turn, starting with *next (updated to the one
 * that answered), for the primary of slot, connects there and checks its
 * ROLE. timeout_ms bounds each connect and reply. Returns the connection
 * with timeout_ms as its command timeout (the caller's to redisFree), or
 * NULL with the reason in err. host and port get the primary's address when
 * known (for log lines). */
redisContext *sg_cluster_connect(const sg_sentinel_list *seeds, size_t *next, unsigned slot,
                                 unsigned timeout_ms, char *host, size_t host_size, int *port,
                                 char *err, size_t err_size);

#endif
