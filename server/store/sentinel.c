#include "store/sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/hostport.h"

int sg_sentinel_parse(const char *spec, sg_sentinel_list *out) {
  out->n = 0;
  const char *p = spec;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
    char one[SG_SENTINEL_HOST_MAX + 8];
    if (out->n == SG_SENTINEL_MAX || len == 0 || len >= sizeof(one))
      return -1;
    memcpy(one, p, len);
    one[len] = '\0';
    sg_sentinel_addr *a = &out->addr[out->n];
    if (sg_hostport_parse(one, a->host, sizeof(a->host), &a->port) != 0)
      return -1;
    out->n++;
    if (comma == NULL)
      return 0;
    p = comma + 1;
  }
}

int sg_sentinel_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > SG_SENTINEL_NAME_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

int sg_sentinel_addr_reply(const redisReply *r, char *host, size_t host_size, int *port) {
  if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING ||
      r->element[0]->len == 0 || r->element[0]->len >= host_size)
    return -1;
  char *end;
  long p = strtol(r->element[1]->str, &end, 10);
  if (r->element[1]->str[0] == '\0' || *end != '\0' || p < 1 || p > 65535)
    return -1;
  memcpy(host, r->element[0]->str, r->element[0]->len);
  host[r->element[0]->len] = '\0';
  *port = (int)p;
  return 0;
}

int sg_sentinel_switch_message(const redisReply *r, const char *name, char *host, size_t host_size,
                               int *port) {
  /* ["message", "+switch-master", "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT"] */
  if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
      r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0 ||
      r->element[2]->type != REDIS_REPLY_STRING)
    return -1;
  char got[SG_SENTINEL_NAME_MAX + 1], new_host[SG_SENTINEL_HOST_MAX];
  int new_port;
  if (sscanf(r->element[2]->str, "%64s %*s %*d %127s %d", got, new_host, &new_port) != 3 ||
      strcmp(got, name) != 0 || new_port < 1 || new_port > 65535 || strlen(new_host) >= host_size)
    return -1;
  snprintf(host, host_size, "%s", new_host);
  *port = new_port;
  return 0;
}

int sg_sentinel_role_is_master(const redisReply *r) {
  return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
         r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;
}

int sg_sentinel_readonly_reply(const redisReply *r) {
  return r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "READONLY", 8) == 0;
}

redisContext *sg_sentinel_connect_timed(const char *host, int port, unsigned timeout_ms, char *err,
                                        size_t err_size) {
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  redisContext *c = redisConnectWithTimeout(host, port, tv);
  if (c != NULL && c->err == 0)
    redisSetTimeout(c, tv);
  if (c == NULL || c->err != 0) {
    snprintf(err, err_size, "%s:%d: %s", host, port, c != NULL ? c->errstr : "out of memory");
    redisFree(c);
    return NULL;
  }
  return c;
}

redisContext *sg_sentinel_connect_primary(const char *host, int port, unsigned timeout_ms,
                                          char *err, size_t err_size) {
  redisContext *c = sg_sentinel_connect_timed(host, port, timeout_ms, err, err_size);
  if (c == NULL)
    return NULL; /* the primary named is down: the sentinels (or the cluster) will notice */
  redisReply *r = redisCommand(c, "ROLE");
  int master = sg_sentinel_role_is_master(r);
  freeReplyObject(r);
  if (master)
    return c;
  snprintf(err, err_size, "%s:%d is not a primary (yet)", host, port);
  redisFree(c);
  return NULL;
}

/* Asks one sentinel; 0 with the primary's address, or -1 with err. */
static int ask(const sg_sentinel_addr *s, const char *name, unsigned timeout_ms, char *host,
               size_t host_size, int *port, char *err, size_t err_size) {
  redisContext *c = sg_sentinel_connect_timed(s->host, s->port, timeout_ms, err, err_size);
  if (c == NULL)
    return -1;
  redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", name);
  int rc = sg_sentinel_addr_reply(r, host, host_size, port);
  if (rc != 0)
    snprintf(err, err_size, "sentinel %s:%d knows no primary \"%s\"%s%s", s->host, s->port, name,
             r != NULL && r->type == REDIS_REPLY_ERROR ? ": " : "",
             r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "");
  freeReplyObject(r);
  redisFree(c);
  return rc;
}

redisContext *sg_sentinel_connect(const sg_sentinel_list *list, size_t *next, const char *name,
                                  unsigned timeout_ms, char *host, size_t host_size, int *port,
                                  char *err, size_t err_size) {
  for (size_t i = 0; i < list->n; i++) {
    size_t k = (*next + i) % list->n;
    if (ask(&list->addr[k], name, timeout_ms, host, host_size, port, err, err_size) != 0)
      continue;
    *next = k;
    return sg_sentinel_connect_primary(host, *port, timeout_ms, err, err_size);
  }
  return NULL;
}
