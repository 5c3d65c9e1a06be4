/* The doors of the WebSockets: every upgrade sg_http hands over is checked
 * here before libwebsockets sees a byte of it, and a refused one is
 * answered with a plain HTTP status and {"code","message"}, never a bare
 * hang-up. Two doors:
 *   /v1/console    dispatchers' consoles, by a signed-in session (Bearer, or
 *                  the siaga_session cookie), checked by sg_auth
 *   /v1/responder  units' crews, by the unit's token (Bearer, the siaga_unit
 *                  cookie, or ?token= since a browser cannot set headers on
 *                  a WebSocket), checked by sg_dispatch
 * Refusals, the same at both:
 *   404 not_found          another path (/v1/follow, the citizens' own, needs no
 *                          session: 400 no_subprotocol without siaga.follow.v1.json)
 *   400 no_subprotocol     Sec-WebSocket-Protocol names neither of the door's
 *   403 bad_origin         a browser page of another origin (cross-site
 *                          WebSocket hijacking): Origin must be the server's
 *                          own (same Host, and https:// exactly when the
 *                          request came over TLS through a trusted proxy,
 *                          http:// otherwise) or one of allowed_origins
 *   401 unauthenticated    no token, or one that is unknown or has ended
 *   403 forbidden          a token of the other door (a unit's at the
 *                          console, a dispatcher's at the responder door),
 *                          or a role that may not use the console
 *   503 unavailable        the store cannot be asked (Retry-After)
 * An admitted upgrade goes to admit() with the identity: a dispatcher's
 * account, or {unit id, SG_ROLE_RESPONDER}.
 *
 * Ownership: the gate owns an upgrade's fd from sg_gate_upgrade until it
 * calls admit (then admit owns it) or closes it. */
#ifndef SG_GATE_H
#define SG_GATE_H

#include <stddef.h>

#include "auth/auth.h"
#include "dispatch/dispatch.h"
#include "http/peer.h"

typedef struct sg_gate sg_gate;

/* fd and bytes (the upgrade request and whatever followed it) as sg_http
 * read them; who and token (the secret it was admitted by, which a
 * responder connection keeps to check it again) are valid during the
 * call. */
typedef void (*sg_gate_admit_cb)(void *data, int fd, const char *bytes, size_t len,
                                 const sg_identity *who, const char *token);

typedef struct sg_gate_options {
  sg_auth *auth;         /* must outlive the gate */
  sg_dispatch *dispatch; /* units' tokens; NULL: /v1/responder answers 503 */
  /* Origins besides the server's own ("https://console.example"), or NULL. */
  const char *const *allowed_origins;
  size_t n_allowed_origins;
  /* The proxies believed about TLS (X-Forwarded-Proto), or NULL: none. */
  const sg_peer_trust *trust;
  sg_gate_admit_cb admit;
  void *admit_data;
  /* The citizens' /v1/follow (citizen/follow.h): no session, only its
   * subprotocol is checked here (who is NULL); the report's token is
   * checked once the WebSocket is up. NULL: 404 like any other path. */
  sg_gate_admit_cb admit_follow;
} sg_gate_options;

/* NULL on out of memory. The options' strings must outlive the gate. */
sg_gate *sg_gate_create(const sg_gate_options *options);

/* Closes the sockets of upgrades still being checked. */
void sg_gate_destroy(sg_gate *gate);

/* An sg_http_upgrade_cb: takes fd (always) and checks the upgrade. */
void sg_gate_upgrade(void *gate, int fd, const char *bytes, size_t len);

#endif
