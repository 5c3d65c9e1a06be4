/* Identities between the gate and the hub: the gate admits an upgrade with
 * its signed-in identity, hands the socket to lws, and the hub takes the
 * identity back by the socket when lws says the WebSocket is established.
 * A socket's entry is replaced when the same fd number is admitted again,
 * so an entry lws never established (a handshake it refused) cannot be
 * taken by a later connection: every upgrade passes the gate first. One
 * table serves both doors (consoles and responders), so that an entry left
 * by one door can never be taken through the other; each taker checks the
 * role it was given. */
#ifndef SG_ADMITTED_H
#define SG_ADMITTED_H

#include "auth/auth.h"

typedef struct sg_admitted sg_admitted;

sg_admitted *sg_admitted_create(void);
void sg_admitted_destroy(sg_admitted *a);

/* token (the secret it was admitted by, SG_BEARER_LEN hex digits) may be
 * NULL. 0, or SG_ENOMEM. */
int sg_admitted_put(sg_admitted *a, int fd, const sg_identity *who, const char *token);
/* Copies the identity of fd into *who (and its token into token, when not
 * NULL; "" if none was put) and forgets it: 0, or -1 if none. */
int sg_admitted_take(sg_admitted *a, int fd, sg_identity *who, char token[SG_BEARER_LEN + 1]);

#endif
