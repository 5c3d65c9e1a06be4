/* "HOST:PORT" as the command lines of siagad, siaga-worker and the bench
 * tools take it. */
#ifndef SG_HOSTPORT_H
#define SG_HOSTPORT_H

#include <stddef.h>

/* Splits s at its last colon (so "[::1]"-less IPv6 literals work too) into
 * host (NUL-terminated, at most host_size - 1 bytes) and port 1..65535.
 * Returns 0, or -1 leaving host and port unchanged. */
int sg_hostport_parse(const char *s, char *host, size_t host_size, int *port);

#endif
