#include "store/redisconn.h"

#include <hiredis/async.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/cluster.h"
#include "store/sentinel.h"

#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 2000
#define MAX_SCRIPTS 32

typedef struct script {
  const char *body;
  size_t len;
} script;

/* One per hiredis context: the handles live until their close callbacks,
 * which may come after the context is gone. */
typedef struct poll_adapter {
  uv_poll_t poll;
  uv_prepare_t flush;    /* writes what the loop turn queued, before the loop blocks */
  redisAsyncContext *ac; /* NULL once hiredis cleaned up */
  int events;
  int flush_armed;
  int flushing;
  int open_handles;
} poll_adapter;

typedef struct pending {
  sg_redis *redis;
  sg_redis_reply_cb cb;
  void *data;
} pending;

struct sg_redis {
  uv_loop_t *loop;
  char host[256];
  int port;
  char name[32];
  size_t max_inflight;
  unsigned connect_timeout_ms;

  /* With sentinels (or cluster seeds): the primary is asked for before
   * every connect (host and port above are then its last known address).
   * The seeds of a cluster take the sentinels' place, asked CLUSTER SLOTS
   * for the primary of slot instead. */
  int use_sentinel;
  int use_cluster;
  unsigned slot;
  sg_sentinel_list sentinels;
  char master[SG_SENTINEL_NAME_MAX + 1];
  size_t sentinel_next;   /* the one that answered last: asked first */
  size_t sentinel_tries;  /* asked in this round */
  redisAsyncContext *sac; /* the sentinel being asked, or NULL */
  redisAsyncContext *wac; /* subscribed to +switch-master there, or NULL */

  redisAsyncContext *ac;
  int ready; /* connected, a primary, and scripts queued */
  size_t inflight;
  unsigned backoff_ms;
  int destroying;
  int handles_open;
  int outage_logged;
  uint64_t connects; /* successful connects, the first included */
  int role_logged;   /* "not a primary", once until connected */

  uv_timer_t connect_timer;
  uv_timer_t reconnect_timer;

  sg_redis_state_cb state_cb;
  void *state_data;

  script scripts[MAX_SCRIPTS];
  size_t n_scripts;
};

static void connect_now(sg_redis *r);
static void connect_primary(sg_redis *r);
static void watch_failovers(sg_redis *r);

/* ---- the libuv adapter ---- */

static void on_poll(uv_poll_t *handle, int status, int events) {
  poll_adapter *a = handle->data;
  if (a->ac == NULL)
    return;
  if (status < 0) {
    /* Let hiredis find the error itself: a failed connect shows in the
     * write path (SO_ERROR), a broken connection in the read path. */
    if (a->ac->c.flags & REDIS_CONNECTED)
      redisAsyncHandleRead(a->ac);
    else
      redisAsyncHandleWrite(a->ac);
    return;
  }
  if (a->ac != NULL && (events & UV_READABLE))
    redisAsyncHandleRead(a->ac);
  if (a->ac != NULL && (events & UV_WRITABLE))
    redisAsyncHandleWrite(a->ac);
}

static void poll_update(poll_adapter *a, int add, int ev) {
  int events = add ? (a->events | ev) : (a->events & ~ev);
  if (events == a->events)
    return;
  a->events = events;
  if (events)
    uv_poll_start(&a->poll, events, on_poll);
  else
    uv_poll_stop(&a->poll);
}

static void on_flush(uv_prepare_t *handle) {
  poll_adapter *a = handle->data;
  uv_prepare_stop(handle);
  a->flush_armed = 0;
  if (a->ac == NULL)
    return;
  a->flushing = 1;
  redisAsyncHandleWrite(a->ac); /* asks for POLLOUT itself if the socket is full */
  a->flushing = 0;
}

static void ev_add_read(void *p) {
  poll_update(p, 1, UV_READABLE);
}
static void ev_del_read(void *p) {
  poll_update(p, 0, UV_READABLE);
}

/* hiredis asks to write after every command. Polling for POLLOUT costs two
 * epoll_ctl calls per command (libuv's uv_poll_start is a DEL and an ADD),
 * and the socket is almost always writable: so the commands of one loop
 * turn are written together just before the loop would block, one write
 * for all of them, and POLLOUT is polled only while connecting or when the
 * kernel did not take everything. */
static void ev_add_write(void *p) {
  poll_adapter *a = p;
  if (a->ac != NULL && (a->ac->c.flags & REDIS_CONNECTED) && !a->flushing) {
    if (!a->flush_armed) {
      a->flush_armed = 1;
      uv_prepare_start(&a->flush, on_flush);
    }
    return;
  }
  poll_update(a, 1, UV_WRITABLE);
}

static void ev_del_write(void *p) {
  poll_update(p, 0, UV_WRITABLE);
}

static void on_handle_closed(uv_handle_t *h) {
  poll_adapter *a = h->data;
  if (--a->open_handles == 0)
    free(a);
}

static void ev_cleanup(void *p) {
  poll_adapter *a = p;
  a->ac = NULL;
  uv_close((uv_handle_t *)&a->poll, on_handle_closed);
  uv_close((uv_handle_t *)&a->flush, on_handle_closed);
}

static int attach(uv_loop_t *loop, redisAsyncContext *ac) {
  poll_adapter *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return -1;
  if (uv_poll_init(loop, &a->poll, ac->c.fd) != 0) {
    free(a);
    return -1;
  }
  uv_prepare_init(loop, &a->flush);
  a->poll.data = a;
  a->flush.data = a;
  a->open_handles = 2;
  a->ac = ac;
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
  ac->ev.data = a;
  return 0;
}

/* ---- connection life ---- */

static void log_outage(sg_redis *r, const char *why) {
  if (!r->outage_logged)
    sg_log(SG_LOG_WARN, "redis.unavailable", "conn=%s host=%s port=%d reason=%s", r->name, r->host,
           r->port, why);
  r->outage_logged = 1;
}

static void on_reconnect_timer(uv_timer_t *t) {
  connect_now(t->data);
}

static void schedule_reconnect(sg_redis *r) {
  if (r->destroying)
    return;
  uv_timer_start(&r->reconnect_timer, on_reconnect_timer, r->backoff_ms, 0);
  r->backoff_ms = r->backoff_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : r->backoff_ms * 2;
}

static void lost(sg_redis *r, const char *why) {
  int was_ready = r->ready;
  r->ac = NULL;
  r->ready = 0;
  uv_timer_stop(&r->connect_timer);
  log_outage(r, why);
  schedule_reconnect(r);
  if (was_ready && r->state_cb != NULL)
    r->state_cb(r->state_data, r, 0);
}

static void on_script_loaded(redisAsyncContext *ac, void *reply, void *privdata) {
  (void)ac;
  redisReply *rep = reply;
  script *s = privdata;
  if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
    sg_log(SG_LOG_ERROR, "redis.script_failed", "script=%.*s reason=%s", 40, s->body, rep->str);
}

/* Connected (and, with sentinels, a primary): scripts, then ready. */
static void become_ready(sg_redis *r) {
  uv_timer_stop(&r->connect_timer);
  r->backoff_ms = RECONNECT_MIN_MS;
  if (r->outage_logged)
    sg_log(SG_LOG_INFO, "redis.connected", "conn=%s host=%s port=%d", r->name, r->host, r->port);
  r->outage_logged = 0;
  r->connects++;
  r->role_logged = 0;
  /* Scripts go first on the connection, so any EVALSHA queued after this
   * point runs after its script is loaded. */
  for (size_t i = 0; i < r->n_scripts; i++) {
    const char *argv[3] = {"SCRIPT", "LOAD", r->scripts[i].body};
    size_t lens[3] = {6, 4, r->scripts[i].len};
    redisAsyncCommandArgv(r->ac, on_script_loaded, &r->scripts[i], 3, argv, lens);
  }
  r->ready = 1;
  if (r->use_sentinel && r->wac == NULL)
    watch_failovers(r);
  if (r->state_cb != NULL)
    r->state_cb(r->state_data, r, 1);
}

/* A sentinel's answer may be a failover behind: use the server only if it
 * says it is the primary. */
static void on_role(redisAsyncContext *ac, void *reply, void *privdata) {
  sg_redis *r = privdata;
  if (ac->data == NULL || reply == NULL || r->ac != ac)
    return; /* lost or timed out: accounted there */
  if (sg_sentinel_role_is_master(reply)) {
    become_ready(r);
    return;
  }
  if (!r->role_logged)
    sg_log(SG_LOG_WARN, "redis.not_primary", "conn=%s host=%s port=%d", r->name, r->host, r->port);
  r->role_logged = 1;
  redisAsyncDisconnect(ac); /* on_disconnect asks the sentinels again */
}

static void on_connect(const redisAsyncContext *cac, int status) {
  sg_redis *r = cac->data;
  if (r == NULL)
    return;
  if (status != REDIS_OK) {
    lost(r, cac->errstr[0] ? cac->errstr : "connect failed");
    return;
  }
  if (r->use_sentinel || r->use_cluster) {
    redisAsyncCommand(r->ac, on_role, r, "ROLE");
    return;
  }
  become_ready(r);
}

static void on_disconnect(const redisAsyncContext *cac, int status) {
  sg_redis *r = cac->data;
  (void)status;
  if (r == NULL)
    return;
  lost(r, cac->errstr[0] ? cac->errstr : "connection closed");
}

static void on_connect_timeout(uv_timer_t *t) {
  sg_redis *r = t->data;
  redisAsyncContext *ac = r->ac;
  if (ac == NULL || r->ready)
    return;
  /* Not connected, so hiredis calls neither callback: account here. */
  ac->data = NULL;
  redisAsyncFree(ac);
  lost(r, "connect timed out");
}

/* ---- asking the sentinels ---- */

static void ask_sentinel(sg_redis *r);

/* Leaves the sentinel being asked: its late callbacks do nothing. */
static void drop_sentinel(sg_redis *r, int free_now) {
  redisAsyncContext *sac = r->sac;
  r->sac = NULL;
  uv_timer_stop(&r->connect_timer);
  if (sac == NULL)
    return;
  sac->data = NULL;
  if (free_now)
    redisAsyncFree(sac);
  else
    redisAsyncDisconnect(sac);
}

static void on_sentinel_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  sg_redis *r = privdata;
  if (ac->data == NULL || r->sac != ac)
    return;
  size_t asked = (r->sentinel_next + r->sentinel_tries - 1) % r->sentinels.n;
  char host[sizeof(r->host)];
  int port;
  int rc = r->use_cluster ? sg_cluster_slots_reply(reply, r->slot, r->sentinels.addr[asked].host,
                                                   host, sizeof(host), &port)
                          : sg_sentinel_addr_reply(reply, host, sizeof(host), &port);
  /* With reply NULL hiredis is freeing the context already, and the
   * disconnect below only marks it. */
  drop_sentinel(r, 0);
  if (rc != 0) {
    ask_sentinel(r);
    return;
  }
  r->sentinel_next = asked;
  if (strcmp(host, r->host) != 0 || port != r->port)
    sg_log(SG_LOG_INFO, "redis.primary", "conn=%s via=%s asked_host=%s asked_port=%d master=%s host=%s port=%d",
           r->name, r->use_cluster ? "cluster" : "sentinel", r->sentinels.addr[asked].host,
           r->sentinels.addr[asked].port, r->master, host, port);
  snprintf(r->host, sizeof(r->host), "%s", host);
  r->port = port;
  connect_primary(r);
}

static void on_sentinel_connect(const redisAsyncContext *cac, int status) {
  sg_redis *r = cac->data;
  if (r == NULL || status == REDIS_OK)
    return;
  /* hiredis frees the context now, failing the question with NULL: detach
   * first so that does nothing. */
  ((redisAsyncContext *)cac)->data = NULL;
  r->sac = NULL;
  uv_timer_stop(&r->connect_timer);
  ask_sentinel(r);
}

static void on_sentinel_timeout(uv_timer_t *t) {
  sg_redis *r = t->data;
  drop_sentinel(r, 1);
  ask_sentinel(r);
}

/* Asks the next sentinel of this round; after the last, waits and starts
 * again. */
static void ask_sentinel(sg_redis *r) {
  while (!r->destroying && r->sentinel_tries < r->sentinels.n) {
    const sg_sentinel_addr *s =
        &r->sentinels.addr[(r->sentinel_next + r->sentinel_tries) % r->sentinels.n];
    r->sentinel_tries++;
    redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
    if (ac == NULL)
      break;
    if (ac->err || attach(r->loop, ac) != 0) {
      redisAsyncFree(ac);
      continue;
    }
    ac->data = r;
    r->sac = ac;
    redisAsyncSetConnectCallback(ac, on_sentinel_connect);
    /* Queued now, sent once connected. */
    if (r->use_cluster)
      redisAsyncCommand(ac, on_sentinel_reply, r, "CLUSTER SLOTS");
    else
      redisAsyncCommand(ac, on_sentinel_reply, r, "SENTINEL get-master-addr-by-name %s", r->master);
    uv_timer_start(&r->connect_timer, on_sentinel_timeout, r->connect_timeout_ms, 0);
    return;
  }
  log_outage(r, r->use_cluster ? "no cluster node named a primary" : "no sentinel named a primary");
  schedule_reconnect(r);
}

/* ---- +switch-master: a primary that hangs (or is cut off) neither closes
 * the connection nor answers READONLY; the sentinels' word on a failover is
 * what moves us then. ---- */

static void on_switch_master(redisAsyncContext *ac, void *reply, void *privdata) {
  sg_redis *r = privdata;
  char host[sizeof(r->host)];
  int port;
  if (ac->data == NULL || reply == NULL ||
      sg_sentinel_switch_message(reply, r->master, host, sizeof(host), &port) != 0)
    return;
  redisAsyncContext *old = r->ac;
  if (old == NULL || (strcmp(host, r->host) == 0 && port == r->port))
    return; /* already asking, or already there */
  sg_log(SG_LOG_WARN, "redis.failover",
         "conn=%s master=%s from_host=%s from_port=%d host=%s port=%d", r->name, r->master, r->host,
         r->port, host, port);
  /* Commands in flight on the old primary fail now (callbacks get NULL)
   * rather than wait for it; the next connect asks the sentinels. */
  old->data = NULL;
  redisAsyncFree(old);
  r->backoff_ms = RECONNECT_MIN_MS;
  lost(r, "failover");
}

static void on_watch_connect(const redisAsyncContext *cac, int status) {
  sg_redis *r = cac->data;
  if (r == NULL || status == REDIS_OK)
    return;
  ((redisAsyncContext *)cac)->data = NULL; /* freed by hiredis now */
  r->wac = NULL;
}

static void on_watch_disconnect(const redisAsyncContext *cac, int status) {
  sg_redis *r = cac->data;
  (void)status;
  if (r != NULL)
    r->wac = NULL; /* watched again at the next connect */
}

/* Subscribes on the sentinel that named the primary. Best effort: without
 * it, a lost connection or READONLY still moves us. */
static void watch_failovers(sg_redis *r) {
  const sg_sentinel_addr *s = &r->sentinels.addr[r->sentinel_next];
  redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
  if (ac == NULL)
    return;
  if (ac->err || attach(r->loop, ac) != 0) {
    redisAsyncFree(ac);
    return;
  }
  ac->data = r;
  r->wac = ac;
  redisAsyncSetConnectCallback(ac, on_watch_connect);
  redisAsyncSetDisconnectCallback(ac, on_watch_disconnect);
  redisAsyncCommand(ac, on_switch_master, r, "SUBSCRIBE +switch-master");
}

static void connect_now(sg_redis *r) {
  if (r->destroying || r->ac != NULL || r->sac != NULL)
    return;
  if (r->use_sentinel || r->use_cluster) {
    r->sentinel_tries = 0;
    ask_sentinel(r);
    return;
  }
  connect_primary(r);
}

static void connect_primary(sg_redis *r) {
  redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
  if (ac == NULL) {
    log_outage(r, "out of memory");
    schedule_reconnect(r);
    return;
  }
  if (ac->err) {
    log_outage(r, ac->errstr);
    redisAsyncFree(ac);
    schedule_reconnect(r);
    return;
  }
  if (attach(r->loop, ac) != 0) {
    redisAsyncFree(ac);
    schedule_reconnect(r);
    return;
  }
  ac->data = r;
  r->ac = ac;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  uv_timer_start(&r->connect_timer, on_connect_timeout, r->connect_timeout_ms, 0);
}

sg_redis *sg_redis_create(uv_loop_t *loop, const sg_redis_options *o) {
  sg_sentinel_list sentinels;
  if (o->cluster != NULL) {
    if (sg_sentinel_parse(o->cluster, &sentinels) != 0 || o->sentinels != NULL ||
        o->cluster_slot >= SG_CLUSTER_SLOTS)
      return NULL;
  } else if (o->sentinels != NULL) {
    if (sg_sentinel_parse(o->sentinels, &sentinels) != 0 || o->sentinel_master == NULL ||
        !sg_sentinel_name_valid(o->sentinel_master))
      return NULL;
  } else if (o->host == NULL || o->port <= 0 || o->port > 65535 || strlen(o->host) >= 256) {
    return NULL;
  }
  sg_redis *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return NULL;
  r->loop = loop;
  if (o->cluster != NULL) {
    r->use_cluster = 1;
    r->slot = o->cluster_slot;
    r->sentinels = sentinels;
    snprintf(r->master, sizeof(r->master), "slot %u", r->slot); /* for log lines */
    snprintf(r->host, sizeof(r->host), "(%s)", r->master);
  } else if (o->sentinels != NULL) {
    r->use_sentinel = 1;
    r->sentinels = sentinels;
    snprintf(r->master, sizeof(r->master), "%s", o->sentinel_master);
    snprintf(r->host, sizeof(r->host), "(%s)", r->master); /* until a sentinel answers */
  } else {
    snprintf(r->host, sizeof(r->host), "%s", o->host);
    r->port = o->port;
  }
  snprintf(r->name, sizeof(r->name), "%s", o->name ? o->name : "redis");
  r->max_inflight = o->max_inflight ? o->max_inflight : 65536;
  r->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 2000;
  r->backoff_ms = RECONNECT_MIN_MS;
  uv_timer_init(loop, &r->connect_timer);
  uv_timer_init(loop, &r->reconnect_timer);
  r->connect_timer.data = r;
  r->reconnect_timer.data = r;
  r->handles_open = 2;
  connect_now(r);
  return r;
}

static void on_timer_closed(uv_handle_t *h) {
  sg_redis *r = h->data;
  if (--r->handles_open == 0)
    free(r);
}

void sg_redis_destroy(sg_redis *r) {
  if (r == NULL)
    return;
  r->destroying = 1;
  r->state_cb = NULL;
  drop_sentinel(r, 1);
  if (r->wac != NULL) {
    redisAsyncContext *wac = r->wac;
    wac->data = NULL;
    r->wac = NULL;
    redisAsyncFree(wac);
  }
  if (r->ac != NULL) {
    redisAsyncContext *ac = r->ac;
    ac->data = NULL;
    r->ac = NULL;
    redisAsyncFree(ac); /* pending callbacks run now, with NULL */
  }
  uv_close((uv_handle_t *)&r->connect_timer, on_timer_closed);
  uv_close((uv_handle_t *)&r->reconnect_timer, on_timer_closed);
}

void sg_redis_set_state_cb(sg_redis *r, sg_redis_state_cb cb, void *data) {
  r->state_cb = cb;
  r->state_data = data;
}

int sg_redis_add_script(sg_redis *r, const char *body, size_t len, char sha[SG_REDIS_SHA_LEN + 1]) {
  if (r->n_scripts == MAX_SCRIPTS)
    return SG_ENOMEM;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (EVP_Digest(body, len, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
    return SG_ENOMEM;
  for (unsigned i = 0; i < 20; i++)
    snprintf(sha + 2 * i, 3, "%02x", md[i]);
  r->scripts[r->n_scripts].body = body;
  r->scripts[r->n_scripts].len = len;
  r->n_scripts++;
  if (r->ready) {
    const char *argv[3] = {"SCRIPT", "LOAD", body};
    size_t lens[3] = {6, 4, len};
    redisAsyncCommandArgv(r->ac, on_script_loaded, &r->scripts[r->n_scripts - 1], 3, argv, lens);
  }
  return 0;
}

int sg_redis_connected(const sg_redis *r) {
  return r->ready;
}

uint64_t sg_redis_connects(const sg_redis *r) {
  return r->connects;
}

size_t sg_redis_inflight(const sg_redis *r) {
  return r->inflight;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata) {
  pending *p = privdata;
  sg_redis *r = p->redis;
  if (r->use_sentinel && r->ac == ac && sg_sentinel_readonly_reply(reply) &&
      !(ac->c.flags & REDIS_DISCONNECTING)) {
    /* The primary became a replica under us: the replies still due come,
     * then on_disconnect asks the sentinels for the new one. */
    sg_log(SG_LOG_WARN, "redis.read_only", "conn=%s host=%s port=%d", r->name, r->host, r->port);
    redisAsyncDisconnect(ac);
  }
  if (r->use_cluster && r->ac == ac && sg_cluster_moved_reply(reply) &&
      !(ac->c.flags & REDIS_DISCONNECTING)) {
    /* The slot is served elsewhere now (a resharding ended, or a failover):
     * this command fails (503, the client retries), the replies still due
     * come, then on_disconnect asks the seeds where the slot is. ASK and
     * TRYAGAIN only fail their command: the slot is still here. */
    sg_log(SG_LOG_WARN, "redis.moved", "conn=%s host=%s port=%d reply=%s", r->name, r->host, r->port,
           ((redisReply *)reply)->str);
    redisAsyncDisconnect(ac);
  }
  r->inflight--;
  p->cb(p->data, reply);
  free(p);
}

int sg_redis_command(sg_redis *r, sg_redis_reply_cb cb, void *data, int argc, const char **argv,
                     const size_t *argvlen) {
  if (!r->ready || r->ac == NULL)
    return SG_EUNAVAIL;
  if (r->inflight >= r->max_inflight)
    return SG_EBUSY;
  pending *p = malloc(sizeof(*p));
  if (p == NULL)
    return SG_ENOMEM;
  p->redis = r;
  p->cb = cb;
  p->data = data;
  if (redisAsyncCommandArgv(r->ac, on_reply, p, argc, argv, argvlen) != REDIS_OK) {
    free(p);
    return SG_EUNAVAIL;
  }
  r->inflight++;
  return 0;
}
