/* Identities between the gate and the hub: the gate admits an upgrade with
 * its signed-in identity, hands the socket to lws, and the hub takes the
 * identity back by the socket when lws says the WebSocket is established.
 * A socket's entry is replaced when the same fd number is admitted again,
 * so an entry lws never established (a handshake it refused) cannot be
 * taken by a later connection: every upgrade passes the gate first. */
#ifndef SG_ADMITTED_H
#define SG_ADMITTED_H

#include "auth/auth.h"

typedef struct sg_admitted sg_admitted;

sg_admitted *sg_admitted_create(void);
void sg_admitted_destroy(sg_admitted *a);

/* 0, or SG_ENOMEM. */
int sg_admitted_put(sg_admitted *a, int fd, const sg_identity *who);
/* Copies the identity of fd into *who and forgets it: 0, or -1 if none. */
int sg_admitted_take(sg_admitted *a, int fd, sg_identity *who);

#endif
