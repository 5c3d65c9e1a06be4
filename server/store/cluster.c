#include "store/cluster.h"

#include <stdio.h>
#include <string.h>

#include "store/keys.h"

/* CRC16-CCITT (XMODEM): polynomial 0x1021, initial 0, no reflection, as
 * the Redis Cluster specification names it. Bitwise: a region's slot is
 * computed once per connect, not per command. */
static unsigned crc16(const char *buf, size_t len) {
  unsigned crc = 0;
  for (size_t i = 0; i < len; i++) {
    crc ^= (unsigned)(unsigned char)buf[i] << 8;
    for (int b = 0; b < 8; b++)
      crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

unsigned sg_cluster_key_slot(const char *key, size_t len) {
  size_t s = 0;
  while (s < len && key[s] != '{')
    s++;
  if (s == len)
    return crc16(key, len) & (SG_CLUSTER_SLOTS - 1);
  size_t e = s + 1;
  while (e < len && key[e] != '}')
    e++;
  if (e == len || e == s + 1) /* no '}', or "{}": the whole key */
    return crc16(key, len) & (SG_CLUSTER_SLOTS - 1);
  return crc16(key + s + 1, e - s - 1) & (SG_CLUSTER_SLOTS - 1);
}

unsigned sg_cluster_region_slot(const char *region) {
  char key[SG_KEY_MAX];
  int n = sg_key(key, sizeof(key), region, "reports");
  return n < 0 ? 0 : sg_cluster_key_slot(key, (size_t)n);
}

static int is_int(const redisReply *r) {
  return r != NULL && r->type == REDIS_REPLY_INTEGER;
}

int sg_cluster_slots_reply(const redisReply *r, unsigned slot, const char *seed_host, char *host,
                           size_t host_size, int *port) {
  /* [[start, end, [ip, port, id, ...], replicas...], ...] */
  if (r == NULL || r->type != REDIS_REPLY_ARRAY)
    return -1;
  for (size_t i = 0; i < r->elements; i++) {
    const redisReply *range = r->element[i];
    if (range == NULL || range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
        !is_int(range->element[0]) || !is_int(range->element[1]) ||
        range->element[0]->integer > (long long)slot ||
        range->element[1]->integer < (long long)slot)
      continue;
    const redisReply *node = range->element[2];
    if (node == NULL || node->type != REDIS_REPLY_ARRAY || node->elements < 2 ||
        node->element[0]->type != REDIS_REPLY_STRING || !is_int(node->element[1]) ||
        node->element[1]->integer < 1 || node->element[1]->integer > 65535)
      return -1;
    const char *ip = node->element[0]->str;
    if (ip[0] == '\0' || strcmp(ip, "?") == 0)
      ip = seed_host;
    if (strlen(ip) >= host_size)
      return -1;
    snprintf(host, host_size, "%s", ip);
    *port = (int)node->element[1]->integer;
    return 0;
  }
  return -1;
}

static int error_starts(const redisReply *r, const char *word) {
  size_t n = strlen(word);
  return r != NULL && r->type == REDIS_REPLY_ERROR && r->len >= n &&
         strncmp(r->str, word, n) == 0 && (r->len == n || r->str[n] == ' ');
}

int sg_cluster_moved_reply(const redisReply *r) {
  return error_starts(r, "MOVED");
}

int sg_cluster_retry_reply(const redisReply *r) {
  return error_starts(r, "ASK") || error_starts(r, "TRYAGAIN") || error_starts(r, "CLUSTERDOWN");
}

/* Asks one seed; 0 with the primary's address, or -1 with err. */
static int ask(const sg_sentinel_addr *s, unsigned slot, unsigned timeout_ms, char *host,
               size_t host_size, int *port, char *err, size_t err_size) {
  redisContext *c = sg_sentinel_connect_timed(s->host, s->port, timeout_ms, err, err_size);
  if (c == NULL)
    return -1;
  redisReply *r = redisCommand(c, "CLUSTER SLOTS");
  int rc = sg_cluster_slots_reply(r, slot, s->host, host, host_size, port);
  if (rc != 0)
    snprintf(err, err_size, "cluster node %s:%d names no primary for slot %u%s%s", s->host, s->port,
             slot, r != NULL && r->type == REDIS_REPLY_ERROR ? ": " : "",
             r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "");
  freeReplyObject(r);
  redisFree(c);
  return rc;
}

redisContext *sg_cluster_connect(const sg_sentinel_list *seeds, size_t *next, unsigned slot,
                                 unsigned timeout_ms, char *host, size_t host_size, int *port,
                                 char *err, size_t err_size) {
  for (size_t i = 0; i < seeds->n; i++) {
    size_t k = (*next + i) % seeds->n;
    if (ask(&seeds->addr[k], slot, timeout_ms, host, host_size, port, err, err_size) != 0)
      continue;
    *next = k;
    return sg_sentinel_connect_primary(host, *port, timeout_ms, err, err_size);
  }
  return NULL;
}
