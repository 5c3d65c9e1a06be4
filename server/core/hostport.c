#include "core/hostport.h"

#include <stdlib.h>
#include <string.h>

int sg_hostport_parse(const char *s, char *host, size_t host_size, int *port) {
  const char *colon = strrchr(s, ':');
  if (colon == NULL || colon == s || (size_t)(colon - s) >= host_size)
    return -1;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
    return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  *port = (int)p;
  return 0;
}
