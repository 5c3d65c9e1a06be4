/* What the parts of siaga-admin share: the Redis connection and the
 * region. Blocking hiredis, one command at a time. */
#ifndef SG_ADMIN_H
#define SG_ADMIN_H

#include <hiredis/hiredis.h>

typedef struct sg_admin {
  redisContext *c;
  const char *region;
} sg_admin;

/* "unit add|list|disable|enable|token ...": argv after "unit". Returns the
 * exit status, 2 for a usage error. */
int sg_admin_unit_command(sg_admin *a, int argc, char **argv);

#endif
