/* Who is signed in: accounts, sessions and roles, kept in Redis.
 *
 * An account (siaga:{R}:user:NAME) has a role and an Argon2id password hash;
 * siaga-admin makes them (store/lua/account.lua). Signing in checks the
 * password on libuv's thread pool (tenths of a second by design, never on
 * the loop) and opens a session: a random token handed to the client once,
 * stored only as its SHA-256 (siaga:{R}:session:DIGEST) with a sliding idle
 * expiry. An unknown name is checked against a dummy hash, so it answers as
 * a wrong password does, in the same time. After max_failures failures of
 * one name within failure_window_ms, sign-ins of that name are refused
 * (SG_AUTH_LOCKED) until the window ends, without checking the password.
 *
 * Disabling an account, changing its password or signing out bumps an epoch
 * counter; sg_auth_watch tells its owner (the console hub) so that open
 * WebSockets are checked again at once.
 *
 * Callbacks take the caller's data first and are called exactly once for
 * every call that returned 0, possibly after sg_auth_destroy (with
 * SG_AUTH_UNAVAILABLE): pass an sg_pending ticket when the caller may go
 * first. */
#ifndef SG_AUTH_H
#define SG_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "auth/bearer.h"
#include "store/redisconn.h"

#define SG_AUTH_NAME_MAX 32
#define SG_AUTH_IDLE_DEFAULT_MS (12 * 3600 * 1000ULL) /* a shift */
#define SG_AUTH_COOKIE "siaga_session"

/* Roles, weakest first. A responder is a unit's crew (its own issue). */
typedef enum sg_role {
  SG_ROLE_NONE = 0,
  SG_ROLE_RESPONDER,
  SG_ROLE_DISPATCHER,
  SG_ROLE_SUPERVISOR,
  SG_ROLE_ADMIN
} sg_role;

/* "dispatcher" ...; "" for SG_ROLE_NONE. */
const char *sg_role_name(sg_role role);
/* The role of that name, SG_ROLE_NONE if none. */
sg_role sg_role_parse(const char *name);

/* 1 if name may name an account: 1..SG_AUTH_NAME_MAX of [a-z0-9._-],
 * starting with a letter or digit (it becomes part of a key). */
int sg_auth_name_valid(const char *name);

typedef struct sg_identity {
  char name[SG_AUTH_NAME_MAX + 1];
  sg_role role;
  char digest[SG_DIGEST_LEN + 1]; /* the session's, to check it again later */
} sg_identity;

typedef enum sg_auth_status {
  SG_AUTH_OK,
  SG_AUTH_BAD_CREDENTIALS, /* wrong name or password; unknown or expired session */
  SG_AUTH_LOCKED,          /* too many failures of this name: retry_after_ms */
  SG_AUTH_UNAVAILABLE      /* Redis is not reachable, or the service is going */
} sg_auth_status;

typedef struct sg_auth_options {
  const char *region;
  uint64_t idle_ms;           /* 0 = SG_AUTH_IDLE_DEFAULT_MS */
  unsigned max_failures;      /* 0 = 5 */
  uint64_t failure_window_ms; /* 0 = 5 minutes */
} sg_auth_options;

typedef struct sg_auth sg_auth;

/* Registers its scripts on redis (which must outlive it) and prepares the
 * dummy hash (one Argon2id run). NULL on out of memory or a bad region. */
sg_auth *sg_auth_create(uv_loop_t *loop, sg_redis *redis, const sg_auth_options *options);

/* Stops watching; the object is freed once the calls in flight have called
 * back (with SG_AUTH_UNAVAILABLE if they had not finished). */
void sg_auth_destroy(sg_auth *auth);

uint64_t sg_auth_idle_ms(const sg_auth *auth);

typedef struct sg_auth_login_result {
  sg_auth_status status;
  char token[SG_BEARER_LEN + 1]; /* SG_AUTH_OK: the session's token, shown once */
  sg_role role;
  int64_t expires_at_ms;   /* SG_AUTH_OK: when the session ends if left idle */
  uint64_t retry_after_ms; /* SG_AUTH_LOCKED */
} sg_auth_login_result;

typedef void (*sg_auth_login_cb)(void *data, const sg_auth_login_result *result);
typedef void (*sg_auth_check_cb)(void *data, sg_auth_status status, const sg_identity *identity);
typedef void (*sg_auth_done_cb)(void *data, sg_auth_status status);

/* Signs name in with password[0..len) (copied). 0, or SG_ENOMEM / SG_EINVAL
 * (a password over SG_PASSWORD_MAX) without calling back. */
int sg_auth_login(sg_auth *auth, const char *name, const char *password, size_t len,
                  sg_auth_login_cb cb, void *data);

/* Who holds the session of token (SG_BEARER_LEN hex digits), sliding its
 * expiry. 0 or a negative code without calling back. */
int sg_auth_check(sg_auth *auth, const char *token, sg_auth_check_cb cb, void *data);
/* The same by the session's digest (an identity's), for checking again. */
int sg_auth_check_digest(sg_auth *auth, const char *digest, sg_auth_check_cb cb, void *data);

/* Ends the session of token. SG_AUTH_OK also when there was none. */
int sg_auth_logout(sg_auth *auth, const char *token, sg_auth_done_cb cb, void *data);

/* cb(data) whenever sessions should be checked again: some session may
 * have ended before its time (the epoch moved, polled every poll_ms, 0 = 1 s),
 * or a minute has passed (idle expiry). One watcher. */
void sg_auth_watch(sg_auth *auth, uint64_t poll_ms, void (*cb)(void *data), void *data);

#endif
