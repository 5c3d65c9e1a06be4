#include "auth/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "store/keys.h"

#define POLL_DEFAULT_MS 1000
#define RECHECK_MS 60000 /* sessions are checked at least this often (idle expiry) */

static const char *const role_names[] = {"", "responder", "dispatcher", "supervisor", "admin"};

const char *sg_role_name(sg_role role) {
  return (unsigned)role < sizeof(role_names) / sizeof(role_names[0]) ? role_names[role] : "";
}

sg_role sg_role_parse(const char *name) {
  for (size_t i = 1; i < sizeof(role_names) / sizeof(role_names[0]); i++)
    if (strcmp(name, role_names[i]) == 0)
      return (sg_role)i;
  return SG_ROLE_NONE;
}

int sg_auth_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > SG_AUTH_NAME_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
      return 0;
  }
  return 1;
}

enum { SCRIPT_LOGIN, SCRIPT_FAIL, SCRIPT_OPEN, SCRIPT_CHECK, SCRIPT_CLOSE, SCRIPT_COUNT };
static const char *const script_files[SCRIPT_COUNT] = {
    "auth_login.lua", "auth_fail.lua", "auth_session_open.lua", "auth_session_check.lua",
    "auth_session_close.lua"};

struct sg_auth {
  uv_loop_t *loop;
  sg_redis *redis;
  char region[SG_KEY_REGION_MAX + 1];
  char sha[SCRIPT_COUNT][SG_REDIS_SHA_LEN + 1];
  char k_epoch[SG_KEY_MAX];
  char sessions_prefix[SG_KEY_MAX];
  char idle[24], window[24];
  uint64_t idle_ms;
  unsigned max_failures;
  char dummy_hash[SG_PASSWORD_HASH_MAX];
  size_t in_flight; /* calls that have not called back yet */
  int closing;
  uv_timer_t poll;
  int poll_started, poll_closed;
  void (*watch_cb)(void *data);
  void *watch_data;
  char epoch[32];
  int epoch_known;
  uint64_t poll_ms, since_recheck_ms;
};

/* One call in flight: a sign-in (through the thread pool) or a check. */
typedef struct job {
  uv_work_t work;
  sg_auth *auth;
  union {
    sg_auth_login_cb login;
    sg_auth_check_cb check;
    sg_auth_done_cb done;
  } cb;
  void *data;
  char name[SG_AUTH_NAME_MAX + 1];
  int name_ok;
  char password[SG_PASSWORD_MAX];
  size_t password_len;
  char hash[SG_PASSWORD_HASH_MAX]; /* the account's, "" when unknown */
  int usable;                      /* known, not disabled, has a role */
  int verified;
  char token[SG_BEARER_LEN + 1];
  char digest[SG_DIGEST_LEN + 1];
  sg_auth_login_result result;
} job;

static void maybe_free(sg_auth *a) {
  if (a->closing && a->in_flight == 0 && (!a->poll_started || a->poll_closed))
    free(a);
}

static job *job_new(sg_auth *a, void *data) {
  job *j = calloc(1, sizeof(*j));
  if (j == NULL)
    return NULL;
  j->auth = a;
  j->data = data;
  a->in_flight++;
  return j;
}

static void job_free(job *j) {
  sg_auth *a = j->auth;
  sodium_memzero(j->password, sizeof(j->password));
  sodium_memzero(j->token, sizeof(j->token));
  free(j);
  a->in_flight--;
  maybe_free(a);
}

static int key(const sg_auth *a, char *buf, const char *kind, const char *id) {
  return sg_key2(buf, SG_KEY_MAX, a->region, kind, id) < 0 ? SG_EINVAL : 0;
}

static int script(sg_auth *a, int which, sg_redis_reply_cb cb, job *j, int nkeys, int argc,
                  const char **args) {
  const char *argv[12];
  char n[8];
  snprintf(n, sizeof(n), "%d", nkeys);
  argv[0] = "EVALSHA";
  argv[1] = a->sha[which];
  argv[2] = n;
  for (int i = 0; i < argc; i++)
    argv[3 + i] = args[i];
  return sg_redis_command(a->redis, cb, j, 3 + argc, argv, NULL);
}

sg_auth *sg_auth_create(uv_loop_t *loop, sg_redis *redis, const sg_auth_options *o) {
  if (sg_password_init() != 0 || !sg_key_region_valid(o->region))
    return NULL;
  sg_auth *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return NULL;
  a->loop = loop;
  a->redis = redis;
  snprintf(a->region, sizeof(a->region), "%s", o->region);
  a->idle_ms = o->idle_ms ? o->idle_ms : SG_AUTH_IDLE_DEFAULT_MS;
  a->max_failures = o->max_failures ? o->max_failures : 5;
  snprintf(a->idle, sizeof(a->idle), "%llu", (unsigned long long)a->idle_ms);
  snprintf(a->window, sizeof(a->window), "%llu",
           (unsigned long long)(o->failure_window_ms ? o->failure_window_ms : 5 * 60 * 1000));
  if (sg_key(a->k_epoch, sizeof(a->k_epoch), a->region, "auth:epoch") < 0 ||
      sg_key(a->sessions_prefix, sizeof(a->sessions_prefix), a->region, "sessions:") < 0)
    goto fail;
  for (int i = 0; i < SCRIPT_COUNT; i++) {
    const sg_embedded_file *f = sg_embedded_find(script_files[i]);
    if (f == NULL || sg_redis_add_script(redis, (const char *)f->data, f->size, a->sha[i]) != 0)
      goto fail;
  }
  /* The hash an unknown name is checked against: of a random password, so
   * that no password matches it. */
  char random_password[SG_BEARER_LEN + 1];
  sg_bearer_new(random_password);
  if (sg_password_hash(random_password, SG_BEARER_LEN, a->dummy_hash) != 0)
    goto fail;
  return a;
fail:
  free(a);
  return NULL;
}

static void on_poll_closed(uv_handle_t *h) {
  sg_auth *a = h->data;
  a->poll_closed = 1;
  maybe_free(a);
}

void sg_auth_destroy(sg_auth *a) {
  if (a == NULL)
    return;
  a->closing = 1;
  a->watch_cb = NULL;
  if (a->poll_started)
    uv_close((uv_handle_t *)&a->poll, on_poll_closed);
  maybe_free(a);
}

uint64_t sg_auth_idle_ms(const sg_auth *a) { return a->idle_ms; }

/* ---- signing in: read, verify off the loop, then open or count ---- */

static void login_finish(job *j, sg_auth_status status) {
  j->result.status = status;
  j->cb.login(j->data, &j->result);
  job_free(j);
}

static void on_opened(void *data, redisReply *reply) {
  job *j = data;
  if (reply == NULL || j->auth->closing) {
    login_finish(j, SG_AUTH_UNAVAILABLE);
  } else if (reply->type == REDIS_REPLY_STRING) {
    memcpy(j->result.token, j->token, sizeof(j->token));
    j->result.role = sg_role_parse(reply->str);
    j->result.expires_at_ms = (int64_t)(sg_clock_now_ms() + j->auth->idle_ms);
    login_finish(j, SG_AUTH_OK);
  } else {
    /* Disabled or changed while its password was being checked. */
    login_finish(j, SG_AUTH_BAD_CREDENTIALS);
  }
}

static void on_failure_counted(void *data, redisReply *reply) {
  job *j = data;
  login_finish(j, reply == NULL ? SG_AUTH_UNAVAILABLE : SG_AUTH_BAD_CREDENTIALS);
}

static void verify_work(uv_work_t *w) {
  job *j = w->data;
  const char *hash = j->hash[0] != '\0' ? j->hash : j->auth->dummy_hash;
  j->verified = sg_password_verify(hash, j->password, j->password_len) && j->usable;
}

static void verify_done(uv_work_t *w, int status) {
  job *j = w->data;
  sg_auth *a = j->auth;
  sodium_memzero(j->password, sizeof(j->password));
  if (status != 0 || a->closing) {
    login_finish(j, SG_AUTH_UNAVAILABLE);
    return;
  }
  if (!j->name_ok) { /* a name no account can have: nothing to count */
    login_finish(j, SG_AUTH_BAD_CREDENTIALS);
    return;
  }
  char k_fail[SG_KEY_MAX];
  int rc = key(a, k_fail, "loginfail", j->name);
  if (rc == 0 && j->verified) {
    char k_session[SG_KEY_MAX], k_sessions[SG_KEY_MAX], k_user[SG_KEY_MAX], now[24];
    sg_bearer_new(j->token);
    sg_bearer_digest(j->token, SG_BEARER_LEN, j->digest);
    snprintf(now, sizeof(now), "%llu", (unsigned long long)sg_clock_now_ms());
    rc = key(a, k_session, "session", j->digest);
    if (rc == 0)
      rc = key(a, k_sessions, "sessions", j->name);
    if (rc == 0)
      rc = key(a, k_user, "user", j->name);
    const char *args[] = {k_session, k_sessions, k_user, k_fail, j->name, a->idle, now, j->hash};
    if (rc == 0)
      rc = script(a, SCRIPT_OPEN, on_opened, j, 4, 8, args);
  } else if (rc == 0) {
    const char *args[] = {k_fail, a->window};
    rc = script(a, SCRIPT_FAIL, on_failure_counted, j, 1, 2, args);
  }
  if (rc != 0)
    login_finish(j, SG_AUTH_UNAVAILABLE);
}

static void verify(job *j) {
  j->work.data = j;
  if (uv_queue_work(j->auth->loop, &j->work, verify_work, verify_done) != 0)
    login_finish(j, SG_AUTH_UNAVAILABLE);
}

static long long reply_int(const redisReply *r) {
  if (r->type == REDIS_REPLY_INTEGER)
    return r->integer;
  if (r->type == REDIS_REPLY_STRING)
    return strtoll(r->str, NULL, 10);
  return 0;
}

static void on_login_read(void *data, redisReply *reply) {
  job *j = data;
  sg_auth *a = j->auth;
  if (reply == NULL || a->closing || reply->type != REDIS_REPLY_ARRAY || reply->elements != 5) {
    login_finish(j, SG_AUTH_UNAVAILABLE);
    return;
  }
  long long failures = reply_int(reply->element[0]);
  long long ttl = reply_int(reply->element[1]);
  if (failures >= (long long)a->max_failures) {
    j->result.retry_after_ms = ttl > 0 ? (uint64_t)ttl : 1000;
    login_finish(j, SG_AUTH_LOCKED);
    return;
  }
  const redisReply *hash = reply->element[2], *role = reply->element[3],
                   *disabled = reply->element[4];
  if (hash->type == REDIS_REPLY_STRING && hash->len > 0 && hash->len < SG_PASSWORD_HASH_MAX) {
    memcpy(j->hash, hash->str, hash->len);
    j->usable = role->type == REDIS_REPLY_STRING && sg_role_parse(role->str) != SG_ROLE_NONE &&
                !(disabled->type == REDIS_REPLY_STRING && strcmp(disabled->str, "1") == 0);
  }
  verify(j);
}

int sg_auth_login(sg_auth *a, const char *name, const char *password, size_t len,
                  sg_auth_login_cb cb, void *data) {
  if (len > SG_PASSWORD_MAX)
    return SG_EINVAL;
  if (a->closing)
    return SG_EUNAVAIL;
  job *j = job_new(a, data);
  if (j == NULL)
    return SG_ENOMEM;
  j->cb.login = cb;
  memcpy(j->password, password, len);
  j->password_len = len;
  j->name_ok = sg_auth_name_valid(name);
  if (!j->name_ok) { /* the same work as a wrong password, without Redis */
    verify(j);
    return 0;
  }
  snprintf(j->name, sizeof(j->name), "%s", name);
  char k_user[SG_KEY_MAX], k_fail[SG_KEY_MAX];
  int rc = key(a, k_user, "user", name);
  if (rc == 0)
    rc = key(a, k_fail, "loginfail", name);
  const char *args[] = {k_user, k_fail};
  if (rc == 0)
    rc = script(a, SCRIPT_LOGIN, on_login_read, j, 2, 2, args);
  if (rc != 0) {
    j->cb.login = NULL; /* not called: the caller gets rc */
    job_free(j);
  }
  return rc;
}

/* ---- checking a session ---- */

static void on_checked(void *data, redisReply *reply) {
  job *j = data;
  sg_identity id;
  memset(&id, 0, sizeof(id));
  sg_auth_status status = SG_AUTH_UNAVAILABLE;
  if (reply != NULL && !j->auth->closing) {
    status = SG_AUTH_BAD_CREDENTIALS;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING &&
        reply->element[1]->type == REDIS_REPLY_STRING &&
        reply->element[0]->len <= SG_AUTH_NAME_MAX) {
      memcpy(id.name, reply->element[0]->str, reply->element[0]->len);
      id.role = sg_role_parse(reply->element[1]->str);
      memcpy(id.digest, j->digest, sizeof(id.digest));
      if (id.role != SG_ROLE_NONE)
        status = SG_AUTH_OK;
    }
  }
  j->cb.check(j->data, status, status == SG_AUTH_OK ? &id : NULL);
  job_free(j);
}

int sg_auth_check_digest(sg_auth *a, const char *digest, sg_auth_check_cb cb, void *data) {
  if (a->closing)
    return SG_EUNAVAIL;
  if (strlen(digest) != SG_DIGEST_LEN)
    return SG_EINVAL;
  job *j = job_new(a, data);
  if (j == NULL)
    return SG_ENOMEM;
  j->cb.check = cb;
  memcpy(j->digest, digest, SG_DIGEST_LEN + 1);
  char k_session[SG_KEY_MAX];
  int rc = key(a, k_session, "session", j->digest);
  const char *args[] = {k_session, a->idle};
  if (rc == 0)
    rc = script(a, SCRIPT_CHECK, on_checked, j, 1, 2, args);
  if (rc != 0)
    job_free(j);
  return rc;
}

int sg_auth_check(sg_auth *a, const char *token, sg_auth_check_cb cb, void *data) {
  if (!sg_bearer_valid(token, strlen(token)))
    return SG_EINVAL;
  char digest[SG_DIGEST_LEN + 1];
  sg_bearer_digest(token, SG_BEARER_LEN, digest);
  return sg_auth_check_digest(a, digest, cb, data);
}

/* ---- signing out ---- */

static void on_closed(void *data, redisReply *reply) {
  job *j = data;
  j->cb.done(j->data, reply == NULL || reply->type == REDIS_REPLY_ERROR ? SG_AUTH_UNAVAILABLE
                                                                         : SG_AUTH_OK);
  job_free(j);
}

int sg_auth_logout(sg_auth *a, const char *token, sg_auth_done_cb cb, void *data) {
  if (a->closing)
    return SG_EUNAVAIL;
  if (!sg_bearer_valid(token, strlen(token)))
    return SG_EINVAL;
  job *j = job_new(a, data);
  if (j == NULL)
    return SG_ENOMEM;
  j->cb.done = cb;
  sg_bearer_digest(token, SG_BEARER_LEN, j->digest);
  char k_session[SG_KEY_MAX];
  int rc = key(a, k_session, "session", j->digest);
  const char *args[] = {k_session, a->k_epoch, a->sessions_prefix};
  if (rc == 0)
    rc = script(a, SCRIPT_CLOSE, on_closed, j, 2, 3, args);
  if (rc != 0)
    job_free(j);
  return rc;
}

/* ---- watching the epoch ---- */

static void on_epoch(void *data, redisReply *reply) {
  job *j = data;
  sg_auth *a = j->auth;
  if (reply != NULL && !a->closing &&
      (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL)) {
    const char *now = reply->type == REDIS_REPLY_STRING ? reply->str : "0";
    /* The first answer counts as a move: a sign-out may have come between
     * a console's admission and this first look. */
    int moved = !a->epoch_known || strcmp(now, a->epoch) != 0;
    snprintf(a->epoch, sizeof(a->epoch), "%s", now);
    a->epoch_known = 1;
    a->since_recheck_ms += a->poll_ms;
    if (a->since_recheck_ms >= RECHECK_MS)
      moved = 1;
    if (moved)
      a->since_recheck_ms = 0;
    if (moved && a->watch_cb != NULL)
      a->watch_cb(a->watch_data);
  }
  job_free(j);
}

static void on_poll(uv_timer_t *t) {
  sg_auth *a = t->data;
  if (a->closing || !sg_redis_connected(a->redis))
    return;
  job *j = job_new(a, NULL);
  if (j == NULL)
    return;
  const char *argv[] = {"GET", a->k_epoch};
  if (sg_redis_command(a->redis, on_epoch, j, 2, argv, NULL) != 0)
    job_free(j);
}

void sg_auth_watch(sg_auth *a, uint64_t poll_ms, void (*cb)(void *data), void *data) {
  a->watch_cb = cb;
  a->watch_data = data;
  if (!a->poll_started) {
    uv_timer_init(a->loop, &a->poll);
    a->poll.data = a;
    a->poll_started = 1;
  }
  a->poll_ms = poll_ms ? poll_ms : POLL_DEFAULT_MS;
  uv_timer_start(&a->poll, on_poll, 0, a->poll_ms);
  uv_unref((uv_handle_t *)&a->poll);
}
