#include "ws/gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "core/pending.h"
#include "http/parse.h"
#include "ws/hub.h"
#include "ws/responder.h"

/* The citizens' follow (citizen/follow.h names them too; ws/ does not
 * depend on citizen/, so they are spelt here as well). */
#define SG_FOLLOW_PATH "/v1/follow"
#define SG_FOLLOW_PROTOCOL "siaga.follow.v1.json"

/* Which WebSocket an upgrade asks for. */
typedef enum door { DOOR_CONSOLE, DOOR_RESPONDER } door;

/* An upgrade whose token is being checked: first by its own door's
 * authority, then, when that knows it not, by the other door's, so that a
 * token brought to the wrong door is told so (403) instead of 401. */
typedef struct upgrade {
  sg_gate *gate;
  int fd;
  door door;
  int asked_other;                       /* the first authority did not know the token */
  char path[64], peer[SG_PEER_ADDR_MAX]; /* for the log */
  char token[SG_BEARER_LEN + 1];
  char *bytes; /* as read, for lws */
  size_t len;
  sg_pending *op;
  struct upgrade *prev, *next;
} upgrade;

struct sg_gate {
  sg_gate_options o;
  upgrade *waiting;
};

sg_gate *sg_gate_create(const sg_gate_options *o) {
  sg_gate *g = calloc(1, sizeof(*g));
  if (g != NULL)
    g->o = *o;
  return g;
}

static void upgrade_free(upgrade *u) {
  sg_gate *g = u->gate;
  if (u->prev != NULL)
    u->prev->next = u->next;
  else
    g->waiting = u->next;
  if (u->next != NULL)
    u->next->prev = u->prev;
  sg_pending_orphan(&u->op);
  memset(u->token, 0, sizeof(u->token));
  free(u->bytes);
  free(u);
}

void sg_gate_destroy(sg_gate *g) {
  if (g == NULL)
    return;
  while (g->waiting != NULL) {
    close(g->waiting->fd);
    upgrade_free(g->waiting);
  }
  free(g);
}

/* Where an upgrade came from and what it asked for, for the log line of a
 * refusal (never its token). */
typedef struct asker {
  const char *path, *peer, *actor;
} asker;

/* A refusal, written at once: it is small, and the socket has just been
 * read from, so the kernel takes it whole; a client that does not read it
 * loses only its own answer. Logged with who asked and why. */
static void refuse_with(const asker *a, int fd, int status, const char *headers, const char *code,
                        const char *message) {
  sg_log(status >= 500 ? SG_LOG_WARN : SG_LOG_INFO, "upgrade.refused",
         "path=%s peer=%s actor=%s status=%d code=%s reason=%s", a->path, a->peer,
         a->actor, status, code, message);
  char body[256], out[768];
  size_t body_len = sg_http_parse_error_body(body, sizeof(body), code, message);
  sg_http_response r = {.status = status,
                        .content_type = "application/json",
                        .body = body,
                        .body_len = body_len,
                        .headers = headers};
  size_t n = sg_http_parse_response_head(out, sizeof(out) - body_len, &r, 1, 1);
  memcpy(out + n, body, body_len);
  ssize_t w = write(fd, out, n + body_len);
  (void)w; /* nothing more to do for a client that is gone */
  close(fd);
}

static void refuse(const asker *a, int fd, int status, const char *code, const char *message) {
  refuse_with(a, fd, status, status == 503 ? "retry-after: 2\r\n" : NULL, code, message);
}

/* 1 if the comma-separated list names one of the two subprotocols. */
static int names_protocol(const char *list, const char *pb, const char *json) {
  const char *p = list;
  while (p != NULL && *p != '\0') {
    while (*p == ' ' || *p == ',')
      p++;
    size_t n = strcspn(p, ", ");
    if ((n == strlen(pb) && strncmp(p, pb, n) == 0) ||
        (n == strlen(json) && strncmp(p, json, n) == 0))
      return 1;
    p += n;
  }
  return 0;
}

/* No Origin: not a browser (a browser always sends it on a WebSocket). The
 * scheme must be the request's: a page served over plain HTTP, which anyone
 * on the path can write, is not the origin of a console served over TLS. */
static int origin_allowed(const sg_gate *g, const char *origin, const char *host, int tls) {
  if (origin == NULL)
    return 1;
  for (size_t i = 0; i < g->o.n_allowed_origins; i++)
    if (strcasecmp(origin, g->o.allowed_origins[i]) == 0)
      return 1;
  const char *scheme = tls ? "https://" : "http://";
  size_t n = strlen(scheme);
  return host != NULL && strncasecmp(origin, scheme, n) == 0 && strcasecmp(origin + n, host) == 0;
}

static int check(upgrade *u, door authority);

static void on_checked(void *data, sg_auth_status status, const sg_identity *who) {
  upgrade *u = sg_pending_finish(data);
  if (u == NULL)
    return; /* the gate has gone, and closed the socket */
  sg_gate *g = u->gate;
  int fd = u->fd;
  asker a = {u->path, u->peer, who != NULL ? who->name : NULL};
  door other = u->door == DOOR_CONSOLE ? DOOR_RESPONDER : DOOR_CONSOLE;
  if (status == SG_AUTH_UNAVAILABLE) {
    refuse(&a, fd, 503, "unavailable", "the session store is unavailable, try again");
  } else if (status != SG_AUTH_OK && !u->asked_other &&
             (other == DOOR_CONSOLE || g->o.dispatch != NULL)) {
    u->asked_other = 1;
    if (check(u, other) == 0)
      return; /* on_checked again, with the other's answer */
    refuse(&a, fd, 503, "unavailable", "out of memory");
  } else if (status != SG_AUTH_OK) {
    refuse(&a, fd, 401, "unauthenticated",
           u->door == DOOR_CONSOLE ? "the session is unknown or has ended: sign in again"
                                   : "the unit's token is unknown, replaced or disabled");
  } else if (u->asked_other) {
    refuse(&a, fd, 403, "forbidden",
           u->door == DOOR_CONSOLE ? "a unit's token may not open the console"
                                   : "a dispatcher's session may not open the responder channel");
  } else if (u->door == DOOR_CONSOLE && who->role < SG_ROLE_DISPATCHER) {
    refuse(&a, fd, 403, "forbidden", "this account may not use the console");
  } else if (u->door == DOOR_RESPONDER && who->role != SG_ROLE_RESPONDER) {
    refuse(&a, fd, 403, "forbidden", "only a unit may open the responder channel");
  } else {
    sg_log(SG_LOG_INFO, "upgrade.accepted", "path=%s peer=%s actor=%s role=%s", u->path, u->peer,
           who->name, sg_role_name(who->role));
    g->o.admit(g->o.admit_data, fd, u->bytes, u->len, who, u->token);
  }
  upgrade_free(u);
}

/* Asks authority about u's token; on_checked gets the answer (possibly
 * before this returns). 0, or -1 when out of memory. */
static int check(upgrade *u, door authority) {
  sg_pending *op = sg_pending_start(&u->op, u);
  if (op == NULL)
    return -1;
  if (authority == DOOR_RESPONDER) {
    sg_dispatch_check_token(u->gate->o.dispatch, u->token, on_checked, op);
    return 0;
  }
  int rc = sg_auth_check(u->gate->o.auth, u->token, on_checked, op);
  if (rc != 0) /* never handed out: answer as the store would */
    on_checked(op, rc == SG_EINVAL ? SG_AUTH_BAD_CREDENTIALS : SG_AUTH_UNAVAILABLE, NULL);
  return 0;
}

/* The value of name in a query string ("a=1&token=..."), copied into out
 * when it has a token's shape: 0, else -1. */
static int token_from_query(const char *query, const char *name, char out[SG_BEARER_LEN + 1]) {
  size_t name_len = strlen(name);
  for (const char *p = query; p != NULL && *p != '\0';) {
    size_t n = strcspn(p, "&");
    if (n > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=' &&
        sg_bearer_valid(p + name_len + 1, n - name_len - 1)) {
      memcpy(out, p + name_len + 1, SG_BEARER_LEN);
      out[SG_BEARER_LEN] = '\0';
      return 0;
    }
    p += n;
    if (*p == '&')
      p++;
  }
  return -1;
}

/* Reads what the checks need from a copy of the head (parsing cuts it). */
typedef struct head_fields {
  char path[64];
  char peer[SG_PEER_ADDR_MAX]; /* the client's, past a trusted proxy */
  char token[SG_BEARER_LEN + 1];
  int has_token, has_protocol, follow_protocol, origin_ok;
  int version; /* Sec-WebSocket-Version: 13, 0 when absent, -1 for any other */
  door door;
} head_fields;

static int read_head(const sg_gate *g, int fd, const char *bytes, size_t len, head_fields *f) {
  char *copy = malloc(len + 1);
  sg_http_parse_request *h = malloc(sizeof(*h));
  int rc = -1;
  if (copy == NULL || h == NULL)
    goto done;
  memcpy(copy, bytes, len);
  sg_http_parse_scan scan = {0, 0};
  sg_http_parse_error e;
  size_t head_len;
  sg_http_parse_reset(h);
  if (sg_http_parse_find_end(&scan, copy, len, &head_len, &e) != 1 ||
      sg_http_parse_head(h, copy, head_len, &e) != 0)
    goto done;
  sg_http_parse_terminate(h);
  snprintf(f->path, sizeof(f->path), "%s", h->path);
  f->door = strcmp(f->path, SG_RESPONDER_PATH) == 0 ? DOOR_RESPONDER : DOOR_CONSOLE;
  const char *version = sg_http_parse_header_value(h, "sec-websocket-version");
  f->version = version == NULL ? 0 : strcmp(version, "13") == 0 ? 13 : -1;
  const char *proto = sg_http_parse_header_value(h, "sec-websocket-protocol");
  f->has_protocol =
      proto != NULL &&
      (f->door == DOOR_CONSOLE
           ? names_protocol(proto, SG_HUB_PROTOCOL_PB, SG_HUB_PROTOCOL_JSON)
           : names_protocol(proto, SG_RESPONDER_PROTOCOL_PB, SG_RESPONDER_PROTOCOL_JSON));
  f->follow_protocol =
      proto != NULL && names_protocol(proto, SG_FOLLOW_PROTOCOL, SG_FOLLOW_PROTOCOL);
  char socket_peer[SG_PEER_ADDR_MAX];
  sg_peer client;
  sg_peer_socket_addr(fd, socket_peer, sizeof(socket_peer));
  sg_peer_of_head(g->o.trust, socket_peer, h, &client);
  snprintf(f->peer, sizeof(f->peer), "%s", client.addr);
  f->origin_ok = origin_allowed(g, sg_http_parse_header_value(h, "origin"),
                                sg_http_parse_header_value(h, "host"), client.tls);
  const char *authorization = sg_http_parse_header_value(h, "authorization");
  const char *cookie = sg_http_parse_header_value(h, "cookie");
  if (f->door == DOOR_CONSOLE)
    f->has_token = sg_bearer_from_headers(authorization, cookie, SG_AUTH_COOKIE, f->token) == 0;
  else
    f->has_token =
        sg_bearer_from_headers(authorization, cookie, SG_RESPONDER_COOKIE, f->token) == 0 ||
        (authorization == NULL && token_from_query(h->query, "token", f->token) == 0);
  rc = 0;
done:
  free(h);
  free(copy);
  return rc;
}

void sg_gate_upgrade(void *data, int fd, const char *bytes, size_t len) {
  sg_gate *g = data;
  head_fields f;
  memset(&f, 0, sizeof(f));
  asker a = {f.path, f.peer, NULL};
  if (read_head(g, fd, bytes, len, &f) != 0) {
    sg_peer_socket_addr(fd, f.peer, sizeof(f.peer));
    refuse(&a, fd, 400, "bad_request", "the upgrade request cannot be read");
    return;
  }
  int console = f.door == DOOR_CONSOLE;
  /* RFC 6455 4.2.2 and 4.4: only version 13 is spoken, and a client asking
   * for another hears which one (426); lws would upgrade it anyway. */
  if (f.version == 0) {
    refuse(&a, fd, 400, "bad_upgrade", "Sec-WebSocket-Version is required (13)");
  } else if (f.version != 13) {
    refuse_with(&a, fd, 426, "sec-websocket-version: 13\r\n", "unsupported_version",
                "only Sec-WebSocket-Version 13 is supported");
  } else if (strcmp(f.path, SG_FOLLOW_PATH) == 0 && g->o.admit_follow != NULL) {
    if (f.follow_protocol)
      g->o.admit_follow(g->o.admit_data, fd, bytes, len, NULL, NULL);
    else
      refuse(&a, fd, 400, "no_subprotocol", "name the subprotocol " SG_FOLLOW_PROTOCOL);
  } else if (strcmp(f.path, SG_HUB_PATH) != 0 && strcmp(f.path, SG_RESPONDER_PATH) != 0) {
    refuse(&a, fd, 404, "not_found", "no WebSocket at this path");
  } else if (!f.has_protocol) {
    refuse(&a, fd, 400, "no_subprotocol",
           console ? "name the subprotocol " SG_HUB_PROTOCOL_PB " or " SG_HUB_PROTOCOL_JSON
                   : "name the subprotocol " SG_RESPONDER_PROTOCOL_PB
                     " or " SG_RESPONDER_PROTOCOL_JSON);
  } else if (!f.origin_ok) {
    refuse(&a, fd, 403, "bad_origin", "this page's origin may not open this WebSocket");
  } else if (!f.has_token) {
    refuse(&a, fd, 401, "unauthenticated",
           console ? "sign in first (Authorization: Bearer, or the cookie)"
                   : "the unit's token: Authorization: Bearer, the siaga_unit cookie, or ?token=");
  } else if (!console && g->o.dispatch == NULL) {
    refuse(&a, fd, 503, "unavailable", "this server does not serve units");
  } else {
    upgrade *u = calloc(1, sizeof(*u));
    char *copy = u != NULL ? malloc(len) : NULL;
    if (copy == NULL) {
      free(u);
      refuse(&a, fd, 503, "unavailable", "out of memory");
      return;
    }
    memcpy(copy, bytes, len);
    u->gate = g;
    u->fd = fd;
    u->door = f.door;
    memcpy(u->path, f.path, sizeof(u->path));
    memcpy(u->peer, f.peer, sizeof(u->peer));
    memcpy(u->token, f.token, sizeof(u->token));
    u->bytes = copy;
    u->len = len;
    u->next = g->waiting;
    if (g->waiting != NULL)
      g->waiting->prev = u;
    g->waiting = u;
    if (check(u, f.door) != 0) {
      upgrade_free(u);
      refuse(&a, fd, 503, "unavailable", "out of memory");
    }
  }
  memset(f.token, 0, sizeof(f.token));
}
